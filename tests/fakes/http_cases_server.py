#!/usr/bin/env python3
"""HTTP cases for test_http_transports.sh: one server, plain and TLS, whose paths each show
one transport behaviour (framing, redirects, resets, stalls, keep-alive).

  http_cases_server.py PORT_FILE CERT KEY   -> writes "HTTP_PORT TLS_PORT" to PORT_FILE
"""
import hashlib
import http.server
import json
import socket
import ssl
import sys
import threading
import time

BIG = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(3 * 1024 * 1024 + 17))
connections = {"next": 0}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with lock:
            connections["next"] += 1
            self.conn_id = connections["next"]

    def send_body(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Conn-Id", str(self.conn_id))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def other_port(self):
        return self.server.other_port

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path
        if p == "/connections":
            return self.send_body(200, str(connections["next"]).encode(), extra=[("Connection", "close")])
        if p == "/text":
            return self.send_body(200, b"hello")
        if p == "/headers":
            seen = {k.lower(): v for k, v in self.headers.items()}
            return self.send_body(200, json.dumps(seen, sort_keys=True).encode(), "application/json")
        if p == "/big":
            return self.send_body(200, BIG, "application/octet-stream")
        if p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(50):
                piece = (b"chunk-%03d;" % i) * (i + 1)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if p == "/until-close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 100000)
            self.close_connection = True
            return
        if p in ("/bad-status", "/http2-status"):  # a status line that is not HTTP/1.x NNN
            line = b"HTTP/1.1 2x0 OK" if p == "/bad-status" else b"HTTP/2 200 OK"
            self.wfile.write(line + b"\r\nContent-Length: 2\r\n\r\nok")
            self.close_connection = True
            return
        if p == "/reset-mid":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"y" * 1000)
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            return
        if p == "/stall":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"ab")
            self.wfile.flush()
            time.sleep(6)
            self.close_connection = True
            return
        if p.startswith("/status/"):
            code = int(p.split("/")[2])
            return self.send_body(code, b'{"errors":[{"code":"UNAVAILABLE"}]}', "application/json")
        if p == "/redirect-relative":
            return self.send_body(302, b"moved", extra=[("Location", "text")])
        if p == "/redirect-absolute":
            return self.send_body(307, b"", extra=[("Location", "http://127.0.0.1:%d/text" % self.server.server_port)])
        if p == "/redirect-to-tls":
            # To another origin (localhost over TLS): credentials must not follow.
            return self.send_body(302, b"", extra=[("Location", "https://localhost:%d/headers" % self.other_port())])
        if p == "/redirect-plain":
            return self.send_body(302, b"", extra=[("Location", "http://plain.example.test:%d/text" % self.server.server_port)])
        if p == "/redirect-loop":
            return self.send_body(302, b"", extra=[("Location", "/redirect-loop")])
        if p == "/redirect-303":
            return self.send_body(303, b"", extra=[("Location", "/headers")])
        return self.send_body(404, b"no such case")

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def do_PUT(self):
        body = self.read_body()
        if self.path == "/redirect-303":
            return self.send_body(303, b"", extra=[("Location", "/headers")])
        seen = {k.lower(): v for k, v in self.headers.items()}
        answer = {"method": self.command, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                  "content-length": seen.get("content-length"), "expect": seen.get("expect"),
                  "transfer-encoding": seen.get("transfer-encoding")}
        return self.send_body(201, json.dumps(answer, sort_keys=True).encode(), "application/json")

    do_POST = do_PUT
    do_PATCH = do_PUT


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    port_file, cert, key = sys.argv[1:4]
    plain = Server(("127.0.0.1", 0), Handler)
    tls = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    plain.other_port = tls.server_port
    tls.other_port = tls.server_port
    for s in (plain, tls):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(port_file + ".tmp", "w") as f:
        f.write("%d %d\n" % (plain.server_port, tls.server_port))
    import os
    os.rename(port_file + ".tmp", port_file)
    threading.Event().wait()


if __name__ == "__main__":
    main()
