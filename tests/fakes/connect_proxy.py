#!/usr/bin/env python3
"""A forward proxy that speaks CONNECT only (as corporate egress proxies do for https), for
test_http_transports.sh. Requires "Proxy-Authorization: Basic base64(user:secret)"; logs each
tunnel's target to LOG.

  connect_proxy.py PORT_FILE LOG USER:SECRET
"""
import base64
import os
import select
import socket
import sys
import threading


def pump(a, b):
    try:
        while True:
            r, _, _ = select.select([a, b], [], [], 30)
            if not r:
                return
            for s in r:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def handle(conn, log, expected):
    head = b""
    while b"\r\n\r\n" not in head:
        data = conn.recv(4096)
        if not data:
            conn.close()
            return
        head += data
    lines = head.split(b"\r\n\r\n")[0].decode().split("\r\n")
    method, target, _ = lines[0].split(" ")
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    if method != "CONNECT":
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    if headers.get("proxy-authorization") != expected:
        conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    host, port = target.rsplit(":", 1)
    with open(log, "a") as f:
        f.write(target + "\n")
    upstream = socket.create_connection(("127.0.0.1" if host == "localhost" else host, int(port)))
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    pump(conn, upstream)


def main():
    port_file, log, userpass = sys.argv[1:4]
    expected = "Basic " + base64.b64encode(userpass.encode()).decode()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, log, expected), daemon=True).start()


if __name__ == "__main__":
    main()
