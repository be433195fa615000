#!/bin/bash
# T5: a revoked client certificate is refused when the server has the CRL
# (alert 44 certificate_revoked; pktmon-client exit 3), while a certificate
# the CRL does not list is still served.
# T10: resumption cannot bring a revoked certificate back. pktmon-server
# issues no tickets, so a client has nothing to resume; and a ticket from
# another TLS server with the same certificate (openssl s_server, which does
# issue tickets; the control run shows it resumes) offered to pktmon-server
# after the revocation gets a full handshake and alert 44, never "Reused".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init revocation 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"

pki_make
hx_ca_init
hx_issue revoked-client client_ext
hx_issue kept-client client_ext
ca=$PM_TMP/ca
rv=(-cert "$ca/revoked-client.crt" -key "$ca/revoked-client.key")

HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT"

# --- T10, before the revocation ----------------------------------------------
# 1. pktmon-server itself: a full handshake, and no ticket to save.
hx_s_client "$PM_TMP/pktmon-first.s_client" "$HX_PORT" "${rv[@]}" -sess_out "$PM_TMP/pktmon.sess"
grep -q '^New, TLSv1.3' "$PM_TMP/pktmon-first.s_client" ||
	fail "before revocation: expected a new TLS 1.3 session with pktmon-server, got: $(hx_s_client_summary "$PM_TMP/pktmon-first.s_client")"
tickets=$(grep -c 'New Session Ticket arrived' "$PM_TMP/pktmon-first.s_client" || true)
expect_eq "session tickets sent by pktmon-server" 0 "$tickets"
[[ ! -s $PM_TMP/pktmon.sess ]] ||
	fail "s_client saved a resumable session from pktmon-server (expected none: no tickets)"

# 2. A ticket-issuing TLS server with the same certificate, on another port.
sport=$(pm_free_port 127.0.0.1)
openssl s_server -accept "127.0.0.1:$sport" -cert "$PM_PKI/server.crt" -key "$PM_PKI/server.key" \
	-CAfile "$PM_PKI/ca.crt" -Verify 1 -tls1_3 -www -naccept 3 \
	</dev/null >"$PM_TMP/s_server.out" 2>&1 &
s_server=$!
pm_track "$s_server"
n=100
until (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null; do
	((n-- > 0)) || fail "openssl s_server did not listen on $sport within 5 s"
	sleep 0.05
done
# -naccept 3: that readiness probe, then the two runs below.
hx_s_client "$PM_TMP/other-first.s_client" "$sport" "${rv[@]}" -sess_out "$PM_TMP/other.sess"
[[ -s $PM_TMP/other.sess ]] ||
	fail "control: s_client saved no session from openssl s_server ($(hx_s_client_summary "$PM_TMP/other-first.s_client"))"
hx_s_client "$PM_TMP/other-again.s_client" "$sport" "${rv[@]}" -sess_in "$PM_TMP/other.sess"
grep -q '^Reused, TLSv1.3' "$PM_TMP/other-again.s_client" ||
	fail "control: expected openssl s_server to resume the saved session, got: $(hx_s_client_summary "$PM_TMP/other-again.s_client")"

# --- T5: revoke, restart pktmon-server with the CRL ---------------------------
hx_revoke revoked-client
pm_stop_server
: >"$PM_TMP/server.log"
pm_start_server - "127.0.0.1:$HX_PORT" --crl "$ca/crl.pem"
before=$(pm_server_stats)

hx_s_client "$PM_TMP/revoked.s_client" "$HX_PORT" "${rv[@]}"
got=$(hx_alert "$PM_TMP/revoked.s_client")
expect_eq "revoked certificate: TLS alert from pktmon-server" 44 "$got"
grep -q 'TLS handshake failed: certificate verify failed: certificate revoked' "$PM_TMP/server.log" ||
	fail "expected the server log to say 'certificate verify failed: certificate revoked', got:" \
		"$(grep 'handshake failed' "$PM_TMP/server.log" | tail -n 1)"
hx_run_client revoked --server "127.0.0.1:$HX_PORT" --cert "$ca/revoked-client.crt" \
	--key "$ca/revoked-client.key" --ca "$PM_PKI/ca.crt" -c 2 -i 0.05
expect_eq "pktmon-client with the revoked certificate: exit status" 3 "$rc"

# --- T10: offer the saved ticket to pktmon-server after the revocation --------
hx_s_client "$PM_TMP/resume.s_client" "$HX_PORT" "${rv[@]}" -sess_in "$PM_TMP/other.sess"
if grep -q '^Reused' "$PM_TMP/resume.s_client"; then
	fail "pktmon-server RESUMED a session for a revoked certificate: $(hx_s_client_summary "$PM_TMP/resume.s_client")"
fi
grep -q '^New, TLSv1.3' "$PM_TMP/resume.s_client" ||
	fail "resumption attempt: expected a full (New) handshake, got: $(hx_s_client_summary "$PM_TMP/resume.s_client")"
got_resume=$(hx_alert "$PM_TMP/resume.s_client")
expect_eq "resumption attempt with the revoked certificate: TLS alert" 44 "$got_resume"

after=$(pm_server_stats)
pm_log "$after"
expect_eq "server handshake_failed (revoked: s_client, pktmon-client, resumption)" \
	$(($(pm_stat "$before" handshake_failed) + 3)) "$(pm_stat "$after" handshake_failed)"
expect_eq "server sessions after the revoked client" 0 "$(pm_stat "$after" sessions)"

# Controls under the CRL: a certificate it does not list, and the ordinary client.
hx_s_client "$PM_TMP/kept.s_client" "$HX_PORT" -cert "$ca/kept-client.crt" -key "$ca/kept-client.key"
expect_eq "certificate not on the CRL: TLS alert" none "$(hx_alert "$PM_TMP/kept.s_client")"
mapfile -t certs < <(pm_client_args)
hx_run_client good --server "127.0.0.1:$HX_PORT" "${certs[@]}" -c 3 -i 0.05
expect_eq "good client with the CRL loaded: exit status" 0 "$rc"

pm_stop_server
pm_check_sanitizers
pass "revoked: alert $got, pktmon-client exit 3; pktmon-server tickets 0; foreign ticket offered after revocation: New handshake, alert $got_resume"
