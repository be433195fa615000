#!/bin/bash
# T3, T4: client certificates from the right CA that must still be refused.
#   expired            alert 45 certificate_expired
#   not yet valid      alert 42 bad_certificate
#   EKU serverAuth     alert 43 unsupported_certificate
# Each is tried with openssl s_client (for the alert) and with pktmon-client
# (exit 3; with the serverAuth certificate exit 2, as pktmon-client refuses
# it itself before connecting); the server logs the reason, counts a failed
# handshake, creates no session, and a good client is served right after.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init client-certs 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"

pki_make
hx_ca_init
hx_issue expired-client client_ext "$(hx_date '-20 days')" "$(hx_date '-1 day')"
hx_issue future-client client_ext "$(hx_date '+1 day')" "$(hx_date '+30 days')"
hx_issue serverauth-client serverauth_ext
hx_issue fresh-client client_ext	# control: same CA set-up, valid now

HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT"
mapfile -t certs < <(pm_client_args)
ca=$PM_TMP/ca

before=$(pm_server_stats)

# name, expected alert, pktmon-client's exit status, what the server log must say
cases=(
	"expired-client 45 3 certificate has expired"
	"future-client 42 3 certificate is not yet valid"
	"serverauth-client 43 2 unsuitable certificate purpose"
)
summary=()
handshakes=0
for c in "${cases[@]}"; do
	read -r name alert want reason <<<"$c"
	hx_s_client "$PM_TMP/$name.s_client" "$HX_PORT" -cert "$ca/$name.crt" -key "$ca/$name.key"
	got=$(hx_alert "$PM_TMP/$name.s_client")
	[[ $got == "$alert" ]] ||
		fail "$name: expected TLS alert $alert from the server, got $got ($(hx_s_client_summary "$PM_TMP/$name.s_client"))"
	grep -q "TLS handshake failed: certificate verify failed: $reason" "$PM_TMP/server.log" ||
		fail "$name: expected the server log to say 'certificate verify failed: $reason', got:" \
			"$(grep 'handshake failed' "$PM_TMP/server.log" | tail -n 2 | tr '\n' ' ')"
	hx_run_client "$name-client" --server "127.0.0.1:$HX_PORT" --cert "$ca/$name.crt" \
		--key "$ca/$name.key" --ca "$PM_PKI/ca.crt" -c 2 -i 0.05
	expect_eq "pktmon-client with the $name certificate: exit status" "$want" "$rc"
	handshakes=$((handshakes + (want == 3 ? 2 : 1)))
	summary+=("$name=alert$got/exit$rc")
done
grep -qxF "pktmon-client: $ca/serverauth-client.crt is not a client certificate (no clientAuth)" \
	"$PM_TMP/serverauth-client-client.err" ||
	fail "pktmon-client with a serverAuth certificate: expected it to say the file is not a client" \
		"certificate (no clientAuth), got: $(cat "$PM_TMP/serverauth-client-client.err")"

after=$(pm_server_stats)
pm_log "$after"
expect_eq "server handshake_failed after 3 refused certificates (s_client, and pktmon-client where it connects)" \
	$(($(pm_stat "$before" handshake_failed) + handshakes)) "$(pm_stat "$after" handshake_failed)"
expect_eq "server sessions after the refused clients" 0 "$(pm_stat "$after" sessions)"
expect_eq "server protocol_errors after the refused clients" \
	"$(pm_stat "$before" protocol_errors)" "$(pm_stat "$after" protocol_errors)"

# Controls: a certificate from the same `openssl ca` set-up that is valid now,
# and the ordinary client, are both served.
hx_s_client "$PM_TMP/fresh.s_client" "$HX_PORT" -cert "$ca/fresh-client.crt" -key "$ca/fresh-client.key"
[[ $(hx_alert "$PM_TMP/fresh.s_client") == none ]] ||
	fail "control: a currently valid clientAuth certificate was refused: $(hx_s_client_summary "$PM_TMP/fresh.s_client")"
hx_run_client fresh --server "127.0.0.1:$HX_PORT" --cert "$ca/fresh-client.crt" \
	--key "$ca/fresh-client.key" --ca "$PM_PKI/ca.crt" -c 3 -i 0.05
expect_eq "control: pktmon-client with a currently valid certificate: exit status" 0 "$rc"
hx_run_client good --server "127.0.0.1:$HX_PORT" "${certs[@]}" -c 3 -i 0.05
expect_eq "good client after the refused ones: exit status" 0 "$rc"

pm_stop_server
pm_check_sanitizers
pass "${summary[*]}"
