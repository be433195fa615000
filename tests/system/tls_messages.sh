#!/bin/bash
# TLS and set-up failures are said in words, naming what is wrong, never as
# OpenSSL error codes (error:0A000...). Over loopback:
#   a client whose --cert is the server's      "... is not a client certificate (no clientAuth)", exit 2
#   a server whose --cert is a client's        "... is not a server certificate (no serverAuth)", exit 3, -n too
#   a server certificate without the host      "server certificate names localhost, 127.0.0.1, ::1, not 127.0.0.2"
#   (the same by a 54-octet DNS name)           "server certificate names LONG-NAME, not localhost", the name whole
#   the client at an HTTP server / plain TCP   "this port is not a pktmon control port (is it HTTP or plain TCP?)"
#   a client certificate from another CA       client: the server refused it (alert unknown_ca);
#                                              server: it does not chain to the --ca file
#   HTTP sent to the server                    server: "the peer does not speak TLS"
#   the server without some required options   "missing --key and --listen: ..."
#   the server on a port below 1024 as nobody  "binding port N needs root or CAP_NET_BIND_SERVICE"
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init tls-messages 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
mapfile -t certs < <(pm_client_args)
long=a-rather-long-name-for-a-server.monitoring.example.net	# named whole
wrong=$PM_TMP/wrong	# same CA, a server certificate for $long only
mkdir -p "$wrong"
cp "$PM_PKI/ca.crt" "$PM_PKI/ca.key" "$wrong/"
"$PM_CERTS" "$wrong" --server-name "$long" 2>"$PM_TMP/wrong.err" ||
	fail "pktmon-certs --server-name $long failed: $(tail -n 1 "$PM_TMP/wrong.err")"
chmod 755 "$wrong"
foreign=$PM_TMP/foreign
"$PM_CERTS" "$foreign" 2>"$PM_TMP/foreign.err" ||
	fail "pktmon-certs for a second CA failed: $(tail -n 1 "$PM_TMP/foreign.err")"

# run NAME CMD...: run CMD (20 s at most); sets rc and out (stdout and stderr).
run() {
	local name=$1
	shift
	rc=0
	timeout 20 "$@" >"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
	out=$(cat "$PM_TMP/$name.out" "$PM_TMP/$name.err")
	! grep -q 'error:[0-9A-F]\{8\}' <<<"$out" || fail "$name: an OpenSSL error code in the output: $out"
}

# expect_line NAME EXIT LINE: the last run exited EXIT and printed LINE.
expect_line() {
	expect_eq "$1: exit status" "$2" "$rc"
	grep -qxF -- "$3" <<<"$out" || fail "$1: expected the line '$3', got: $out"
}

# client NAME HOST PORT [certificate options]: a short pktmon-client run.
client() {
	local name=$1 host=$2 port=$3
	shift 3
	(($#)) || set -- "${certs[@]}"
	run "$name" "$PM_CLIENT" "$@" --server "$host:$port" --db "$PM_TMP/$name.db" -c 2 -i 20ms
}

# server_at NAME PKI LISTEN: a server with the certificates of PKI; logs to NAME.log.
server_at() {
	local pid
	"$PM_SERVER" --cert "$2/server.crt" --key "$2/server.key" --ca "$PM_PKI/ca.crt" \
		--listen "$3" >"$PM_TMP/$1.stdout" 2>"$PM_TMP/$1.log" &
	pid=$!
	pm_track "$pid"
	pm_wait_for "$PM_TMP/$1.log" 'listening on' 10 "$pid" || fail "$1: the server did not start"
}

port=$(pm_free_port 127.0.0.1)

# 1. Certificates of the wrong kind, refused before any connection.
client own-server-cert 127.0.0.1 "$port" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key" --ca "$PM_PKI/ca.crt"
expect_line "client with the server's certificate" 2 \
	"pktmon-client: $PM_PKI/server.crt is not a client certificate (no clientAuth)"
srv=("$PM_SERVER" --cert "$PM_PKI/client.crt" --key "$PM_PKI/client.key" --ca "$PM_PKI/ca.crt"
	--listen "127.0.0.1:$port")
run client-cert-server "${srv[@]}"
expect_line "server with a client certificate" 3 \
	"pktmon-server: $PM_PKI/client.crt is not a server certificate (no serverAuth)"
run client-cert-check "${srv[@]}" -n
expect_line "server -n with a client certificate" 3 \
	"pktmon-server: $PM_PKI/client.crt is not a server certificate (no serverAuth)"
! grep -q 'configuration OK' <<<"$out" || fail "server -n with a client certificate said 'configuration OK'"

# 2. A server certificate that does not name the host the client asked for.
server_at names "$PM_PKI" "127.0.0.2:$port"
client by-address 127.0.0.2 "$port"
expect_line "server certificate without 127.0.0.2" 3 \
	"pktmon-client: server 127.0.0.2 (127.0.0.2:$port): TLS handshake failed: server certificate names localhost, 127.0.0.1, ::1, not 127.0.0.2"
wport=$(pm_free_port 127.0.0.1)
server_at wrong-name "$wrong" "127.0.0.1:$wport"
client by-name localhost "$wport"
expect_line "server certificate for $long only" 3 \
	"pktmon-client: server localhost (127.0.0.1:$wport): TLS handshake failed: server certificate names $long, not localhost"

# 3. The client at something that is not a pktmon control port.
hport=$(pm_free_port 127.0.0.1)
"$PM_PY" -m http.server "$hport" --bind 127.0.0.1 >"$PM_TMP/http.stdout" 2>"$PM_TMP/http.log" &
pm_track $!
for ((i = 0; i < 100; i++)); do
	"$PM_PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$hport" \
		2>/dev/null && break
	sleep 0.1
done
client http 127.0.0.1 "$hport"
expect_line "client at an HTTP server" 3 \
	"pktmon-client: server 127.0.0.1 (127.0.0.1:$hport): TLS handshake failed: this port is not a pktmon control port (is it HTTP or plain TCP?)"

# 4. A client certificate from another CA: both ends say which certificate.
gport=$(pm_free_port 127.0.0.1)
server_at good "$PM_PKI" "127.0.0.1:$gport"
client foreign-client 127.0.0.1 "$gport" --cert "$foreign/client.crt" --key "$foreign/client.key" --ca "$PM_PKI/ca.crt"
expect_eq "client certificate from another CA: exit status" 3 "$rc"
grep -qF "the server refused this client's certificate: it does not chain to its CA file (alert unknown_ca)" <<<"$out" ||
	fail "client certificate from another CA: expected the client to say the server refused it (alert unknown_ca), got: $out"
pm_wait_for "$PM_TMP/good.log" 'does not chain' 5 ||
	fail "client certificate from another CA: expected the server to say so, got: $(tail -n 2 "$PM_TMP/good.log")"
grep -qF "TLS handshake failed: certificate verify failed: unable to get local issuer certificate (the client's certificate does not chain to the --ca file)" "$PM_TMP/good.log" ||
	fail "client certificate from another CA: server log: $(grep 'handshake failed' "$PM_TMP/good.log")"
# HTTP to the server's control port.
"$PM_PY" - "$gport" <<'PY' 2>/dev/null || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
s.settimeout(5)
try:
    s.recv(100)
except OSError:
    pass
PY
pm_wait_for "$PM_TMP/good.log" 'does not speak TLS' 5 ||
	fail "HTTP to the control port: expected 'the peer does not speak TLS' in the server log, got: $(tail -n 1 "$PM_TMP/good.log")"
! grep -q 'error:[0-9A-F]\{8\}' "$PM_TMP"/*.log || fail "an OpenSSL error code in a server log: $(grep -h 'error:[0-9A-F]\{8\}' "$PM_TMP"/*.log)"

# 5. Required options missing: named.
run missing "$PM_SERVER" --cert "$PM_PKI/server.crt" --ca "$PM_PKI/ca.crt"
expect_eq "server without --key and --listen: exit status" 2 "$rc"
grep -qxF "pktmon-server: missing --key and --listen: cert, key, ca and listen must be set, as options or in the --config file" <<<"$out" ||
	fail "server without --key and --listen: got: $out"
run missing-three "$PM_SERVER" --listen "127.0.0.1:$port"
grep -qF "pktmon-server: missing --cert, --key and --ca:" <<<"$out" ||
	fail "server with --listen only: expected 'missing --cert, --key and --ca:', got: $out"

# 6. A port below 1024 without the privilege to bind it.
low_note="not run"
unpriv_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && ((unpriv_start > 700)); then
	lport=$("$PM_PY" - <<'PY'
import socket
for p in range(700, 1000):
    t = socket.socket(); u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", p)); u.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        t.close(); u.close()
    print(p); break
PY
	)
	[[ -n $lport ]] || fail "no free port from 700 to 999 on 127.0.0.1"
	npki=$PM_TMP/nobody-pki	# the key readable by the user the server runs as
	cp -r "$PM_PKI" "$npki"
	chown -R 65534 "$npki"
	run low-port setpriv --reuid=65534 --regid=65534 --clear-groups "$PM_SERVER" \
		--cert "$npki/server.crt" --key "$npki/server.key" --ca "$npki/ca.crt" --listen "127.0.0.1:$lport"
	expect_line "server as uid 65534 on port $lport" 3 \
		"pktmon-server: cannot bind TCP 127.0.0.1:$lport: binding port $lport needs root or CAP_NET_BIND_SERVICE"
	run low-udp-port setpriv --reuid=65534 --regid=65534 --clear-groups "$PM_SERVER" \
		--cert "$npki/server.crt" --key "$npki/server.key" --ca "$npki/ca.crt" \
		--listen "127.0.0.1:$port" --udp-port "$lport"
	expect_line "server as uid 65534 with --udp-port $lport" 3 \
		"pktmon-server: cannot bind UDP 127.0.0.1:$lport: binding port $lport needs root or CAP_NET_BIND_SERVICE"
	low_note="port $lport as uid 65534 named"
else
	pm_log "low port case not run (needs root and setpriv, and ip_unprivileged_port_start above 700: $unpriv_start)"
fi

pm_check_sanitizers
pass "own certificate kinds, names the server certificate has, HTTP port, another CA, missing options; low port: $low_note"
