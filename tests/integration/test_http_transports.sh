#!/usr/bin/env bash
# The socket transport (net_socket/: sockets + OpenSSL, what mlbox-trainer links) against the
# curl transport (net_curl/, the CLI's): the same cases through both -- framing (length,
# chunked, to-close), streaming to a file, request bodies, redirects (relative, to another
# origin without credentials, to plain HTTP refused, loops), resets, stalls, TLS (verified,
# unknown CA, wrong name, insecure host), a CONNECT proxy with credentials, no_proxy and
# keep-alive -- must give the same answers, each one checked against what the case expects.
source "$(dirname "$0")/lib.sh"
: "${MLBOX_BUILD_DIR:?}"
for b in mlbox_http_probe_curl mlbox_http_probe_socket; do
  [ -x "$MLBOX_BUILD_DIR/tests/$b" ] || fail "$b is not built"
done

# A test CA and a server certificate for localhost / 127.0.0.1.
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mlbox test CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile san.ext -out server.pem 2>/dev/null

python3 "$MLBOX_SOURCE_DIR/tests/fakes/http_cases_server.py" "$WORK/ports" server.pem server.key &
cleanup_hooks+=("kill $! 2>/dev/null")
python3 "$MLBOX_SOURCE_DIR/tests/fakes/connect_proxy.py" "$WORK/proxy-port" "$WORK/proxy.log" user:s3cr3t &
cleanup_hooks+=("kill $! 2>/dev/null")
for _ in $(seq 100); do [ -s "$WORK/ports" ] && [ -s "$WORK/proxy-port" ] && break; sleep 0.1; done
read -r http_port tls_port <"$WORK/ports" || fail "the case server did not start"
proxy_port=$(cat "$WORK/proxy-port")

timeout 600 python3 "$MLBOX_SOURCE_DIR/tests/integration/local/http_transport_cases.py" \
  "$MLBOX_BUILD_DIR/tests" "$WORK" "$http_port" "$tls_port" "$proxy_port" "$WORK/ca.pem" ||
  fail "the transports disagree or a case failed (above)"
grep -q "^localhost:$tls_port$" "$WORK/proxy.log" || fail "no tunnel went through the proxy"
pass "socket and curl transports give the same answers on every case"
