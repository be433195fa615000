#!/bin/bash
# Peers that must not get a control channel: no client certificate, a client
# certificate from another CA, a client that does not trust the server, TLS
# 1.2, and a client whose certificate file is missing. The server survives
# all of them and still serves a good client.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init bad-peers 100
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"

pki_make
pki_make_foreign
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

# s_client_try NAME [s_client options]: a raw TLS attempt. Stdin stays open
# for 2 s so s_client waits for what the server sends after its handshake.
s_client_try() {
	local name=$1
	shift
	(sleep 2) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$PM_PKI/ca.crt" "$@" >"$PM_TMP/$name.out" 2>&1 || true
}

# 1. No client certificate (TLS 1.3): alert 116 certificate_required.
s_client_try nocert -tls1_3
grep -Eqi 'alert number 116|certificate required' "$PM_TMP/nocert.out" ||
	fail "client without a certificate: expected alert 116 certificate_required, got:" \
		"$(grep -Ei 'alert|error|Verif|Cipher' "$PM_TMP/nocert.out" | head -n 5 | tr '\n' ' ')"

# 2. TLS 1.2 with a good certificate: alert 70 protocol_version.
s_client_try tls12 -tls1_2 -cert "$PM_PKI/client.crt" -key "$PM_PKI/client.key"
grep -Eqi 'alert number 70|protocol version|no protocols available' "$PM_TMP/tls12.out" ||
	fail "TLS 1.2 client: expected alert 70 protocol_version, got:" \
		"$(grep -Ei 'alert|error|Protocol|Cipher' "$PM_TMP/tls12.out" | head -n 5 | tr '\n' ' ')"
if grep -Eq 'New, TLSv1\.2, Cipher is [A-Z]' "$PM_TMP/tls12.out"; then
	fail "TLS 1.2 client: a TLS 1.2 session was negotiated"
fi

# run_client NAME CLIENT-OPTIONS...: one short client run; sets rc.
run_client() {
	local name=$1
	shift
	rc=0
	timeout 30 "$PM_CLIENT" --server "127.0.0.1:$port" --db "$PM_TMP/$name.db" "$@" \
		>"$PM_TMP/$name.out" 2>"$PM_TMP/$name.err" || rc=$?
}

# 2b. A client certificate from another CA, raw: alert 48 unknown_ca.
s_client_try foreign-raw -tls1_3 -cert "$PM_FOREIGN/client.crt" -key "$PM_FOREIGN/client.key"
grep -Eqi 'alert number 48|unknown ca' "$PM_TMP/foreign-raw.out" ||
	fail "client certificate from another CA: expected alert 48 unknown_ca, got:" \
		"$(grep -Ei 'alert|error|Verif' "$PM_TMP/foreign-raw.out" | head -n 5 | tr '\n' ' ')"

# 3. A client certificate from a foreign CA: the server refuses; exit 3.
run_client foreign-cert --cert "$PM_FOREIGN/client.crt" --key "$PM_FOREIGN/client.key" \
	--ca "$PM_PKI/ca.crt" -c 1 -i 0.05
expect_eq "client with a foreign CA's certificate: exit status" 3 "$rc"

# 4. A client that trusts only the foreign CA does not trust the server; exit 3.
run_client foreign-ca --cert "$PM_PKI/client.crt" --key "$PM_PKI/client.key" \
	--ca "$PM_FOREIGN/ca.crt" -c 1 -i 0.05
expect_eq "client trusting a foreign CA only: exit status" 3 "$rc"

# 5. Missing certificate or key file: exit 2, and the message names the file.
missing=$PM_TMP/no-such-client.crt
run_client missing-cert --cert "$missing" --key "$PM_PKI/client.key" --ca "$PM_PKI/ca.crt" -c 1
expect_eq "client with a missing --cert file: exit status" 2 "$rc"
grep -qF "$missing" "$PM_TMP/missing-cert.err" ||
	fail "client with a missing --cert file: expected the message to name $missing, got: $(head -n 3 "$PM_TMP/missing-cert.err")"
missing=$PM_TMP/no-such-client.key
run_client missing-key --cert "$PM_PKI/client.crt" --key "$missing" --ca "$PM_PKI/ca.crt" -c 1
expect_eq "client with a missing --key file: exit status" 2 "$rc"
grep -qF "$missing" "$PM_TMP/missing-key.err" ||
	fail "client with a missing --key file: expected the message to name $missing, got: $(head -n 3 "$PM_TMP/missing-key.err")"

# 6. Nothing of the bad peers stayed on the server: no client, no session
# (T1: "sessions created: 0").
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "server died after the bad peers"
s=$(pm_server_stats)
expect_eq "server clients after the bad peers" 0 "$(pm_stat "$s" clients)"
expect_eq "server sessions after the bad peers" 0 "$(pm_stat "$s" sessions)"
expect_ge "server handshakes failed (no cert, TLS 1.2, other CA x2, untrusted server)" 4 \
	"$(pm_stat "$s" handshake_failed)"

# 7. The server serves a good client at once (T1: within 1 s).
t0=$(date +%s%N)
run_client good "${certs[@]}" -c 5 -i 0.05 --json
t1=$(date +%s%N)
expect_eq "good client after the bad peers: exit status" 0 "$rc"
pm_json_load "$PM_TMP/good.out" C
expect_eq "good client: received" 5 "${C[received]-missing}"
(((t1 - t0) / 1000000 < 1000)) ||
	fail "good client after the bad peers took $(((t1 - t0) / 1000000)) ms for 5 probes (expected < 1 s)"

pm_stop_server
pm_check_sanitizers
pass "all bad peers refused; good client done in $(((t1 - t0) / 1000000)) ms"
