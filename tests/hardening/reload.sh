#!/bin/bash
# SIGHUP reload (issue 3: "SIGHUP reloads certificates, CRL and allowlist
# without dropping established sessions"). The server runs from a config
# file and a directory of live files it reads again on SIGHUP; started as
# root it has dropped to its unprivileged user and (unless the build has no
# seccomp, as the sanitizer build) entered its seccomp filter, so the reload
# happens there. A long-running client (-i 0.05 -w 8) probes throughout, and
# while it runs:
#   (a) the server certificate and key are replaced by newly issued ones and
#       SIGHUP sent: a new handshake (openssl s_client with a client
#       certificate) sees the new certificate's serial, and pktmon-client
#       (which checks the IP SAN) connects against it;
#   (b) the CRL is replaced by one revoking "victim-client", and "third-client"
#       is taken off the allowlist in the config file, then SIGHUP: both (which
#       connected before) are refused: victim with alert 44, third by the
#       allowlist (pktmon-client exit 3, refused_identity +1);
#   (d) a broken reload: the key made unreadable (chmod 000), then a
#       certificate file of garbage; each SIGHUP logs a warning naming the
#       file and that the running settings are kept; the server keeps
#       running, still presents the new certificate and still refuses the
#       revoked one;
#   (c) the established client saw none of it: exit 0, --json sessions 1,
#       lost 0, sent == received, and it was still running after the last
#       reload.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init reload 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v openssl >/dev/null || skip "openssl command not installed"

pki_make
orig_pki=$PM_PKI
hx_ca_init	# server2_ext: a second server leaf for loopback, from the same CA
hx_issue victim-client client_ext
hx_issue third-client client_ext
hx_issue server2 server2_ext
hx_gencrl	# an empty CRL to start with
ca=$PM_TMP/ca

# The live files, readable by the user the server drops to (keys included:
# throwaway keys, so the reload is not refused for a reason other than tested).
live=$PM_TMP/live
mkdir -p "$live"
chmod 755 "$live"
cp "$orig_pki/ca.crt" "$orig_pki/server.crt" "$orig_pki/server.key" \
	"$orig_pki/client.crt" "$orig_pki/client.key" "$live/"
cp "$ca/crl.pem" "$live/crl.pem"
chmod 644 "$live"/*
PM_PKI=$live	# pm_start_server, pm_client_args and hx_s_client read it

HX_PORT=$(pm_free_port 127.0.0.1)
conf=$PM_TMP/server.conf
write_conf() {	# write_conf ALLOWED-NAME...
	local a
	{
		echo "[server]"
		echo "crl = $live/crl.pem"
		echo "keepalive = 1s"
		for a in "$@"; do
			echo "allow = $a"
		done
	} >"$conf.new"
	chmod 644 "$conf.new"
	mv -f "$conf.new" "$conf"
}
write_conf pktmon-client victim-client third-client
pm_start_server - "127.0.0.1:$HX_PORT" --config "$conf"
mode=unprivileged
if [[ $(id -u) -eq 0 ]]; then
	pm_wait_for "$PM_TMP/server.log" 'running as uid' 5 "$PM_SERVER_PID" ||
		fail "started as root, the server did not log 'running as uid' (privilege drop)"
	suid=$(awk '/^Uid:/ {print $3}' "/proc/$PM_SERVER_PID/status")
	[[ $suid != 0 ]] || fail "server still runs as uid 0 after start"
	seccomp=$(awk '/^Seccomp:/ {print $2}' "/proc/$PM_SERVER_PID/status")
	if grep -q 'with a seccomp allowlist' "$PM_TMP/server.log"; then
		expect_eq "server Seccomp mode before the reloads" 2 "$seccomp"
		mode="uid $suid, seccomp"
	else
		mode="uid $suid, no seccomp in this build"
	fi
fi
pm_log "server: $mode"

# serial_of FILE: the serial of the first certificate in FILE.
serial_of() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null | sed 's/^serial=//'
}
# seen_serial NAME: the serial of the certificate a new handshake shows.
seen_serial() {
	timeout 10 openssl s_client -connect "127.0.0.1:$HX_PORT" -servername localhost \
		-CAfile "$live/ca.crt" -tls1_3 -cert "$live/client.crt" -key "$live/client.key" \
		</dev/null >"$PM_TMP/$1.s_client" 2>&1 || true
	serial_of "$PM_TMP/$1.s_client"
}
# sighup WHAT: send SIGHUP and wait for the server's verdict on it; sets hup
# to "reloaded" or "kept".
reloads=0
sighup() {
	local n0 n
	n0=$(grep -cE 'SIGHUP: (reloaded|keeping)' "$PM_TMP/server.log" || true)
	kill -HUP "$PM_SERVER_PID"
	for ((n = 0; n < 100; n++)); do
		(($(grep -cE 'SIGHUP: (reloaded|keeping)' "$PM_TMP/server.log" || true) > n0)) && break
		sleep 0.05
	done
	((n < 100)) || fail "$1: no 'SIGHUP: reloaded/keeping' line within 5 s (server alive: $(pm_alive "$PM_SERVER_PID"))"
	reloads=$((reloads + 1))
	if grep -E 'SIGHUP: (reloaded|keeping)' "$PM_TMP/server.log" | tail -n 1 | grep -q 'SIGHUP: reloaded'; then
		hup=reloaded
	else
		hup=kept
	fi
}
# client_try NAME PREFIX: a short pktmon-client run with PREFIX.crt/.key.
client_try() {
	hx_run_client "$1" --server "127.0.0.1:$HX_PORT" --cert "$2.crt" --key "$2.key" \
		--ca "$live/ca.crt" -c 2 -i 0.05
}

old_serial=$(serial_of "$orig_pki/server.crt")
new_serial=$(serial_of "$ca/server2.crt")
[[ -n $old_serial && -n $new_serial && $old_serial != "$new_serial" ]] ||
	fail "test set-up: expected two different serials, got '$old_serial' and '$new_serial'"

# --- the long-running client --------------------------------------------------
mapfile -t certs < <(pm_client_args)
"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$HX_PORT" --db "$PM_TMP/long.db" \
	-i 0.05 -w 8 --renew=no --json >"$PM_TMP/long.json" 2>"$PM_TMP/long.err" &
long=$!
pm_track "$long"
pm_wait_for "$PM_TMP/server.log" 'session ssid=[0-9]+ port' 10 "$long" ||
	fail "the long-running client opened no session within 10 s"

# Before: the original certificate; victim and third are served.
expect_eq "serial a new handshake sees before the reload (original server.crt)" \
	"$old_serial" "$(seen_serial before)"
client_try victim-before "$ca/victim-client"
expect_eq "victim-client before the reload (not revoked yet): exit status" 0 "$rc"
client_try third-before "$ca/third-client"
expect_eq "third-client before the reload (on the allowlist): exit status" 0 "$rc"

# --- (a) new server certificate -------------------------------------------------
cp "$ca/server2.crt" "$live/server.crt.new"
cp "$ca/server2.key" "$live/server.key.new"
chmod 644 "$live/server.crt.new" "$live/server.key.new"
mv -f "$live/server.key.new" "$live/server.key"
mv -f "$live/server.crt.new" "$live/server.crt"
sighup a
expect_eq "(a) SIGHUP after replacing the certificate" reloaded "$hup"
got=$(seen_serial after-a)
expect_eq "(a) serial a new handshake sees after the reload (the new certificate)" "$new_serial" "$got"
grep -q 'Verification: OK\|Verify return code: 0 (ok)' "$PM_TMP/after-a.s_client" ||
	fail "(a) the new certificate did not verify against the CA: $(hx_s_client_summary "$PM_TMP/after-a.s_client")"
client_try good-after-a "$live/client"	# the long client's identity, a new connection
expect_eq "(a) a new pktmon-client against the new certificate: exit status" 0 "$rc"

# --- (b) CRL revoking victim-client, third-client off the allowlist -------------
s0=$(pm_server_stats)
hx_revoke victim-client
cp "$ca/crl.pem" "$live/crl.pem.new"
chmod 644 "$live/crl.pem.new"
mv -f "$live/crl.pem.new" "$live/crl.pem"
write_conf pktmon-client victim-client
sighup b
expect_eq "(b) SIGHUP after the new CRL and allowlist" reloaded "$hup"
hx_s_client "$PM_TMP/victim-after.s_client" "$HX_PORT" -cert "$ca/victim-client.crt" -key "$ca/victim-client.key"
alert_b=$(hx_alert "$PM_TMP/victim-after.s_client")
expect_eq "(b) revoked victim-client after the reload: TLS alert" 44 "$alert_b"
client_try victim-after "$ca/victim-client"
expect_eq "(b) revoked victim-client after the reload: pktmon-client exit status" 3 "$rc"
client_try third-after "$ca/third-client"
expect_eq "(b) third-client, off the allowlist after the reload: pktmon-client exit status" 3 "$rc"
s1=$(pm_server_stats)
expect_eq "(b) server handshake_failed (victim: s_client + pktmon-client)" \
	$(($(pm_stat "$s0" handshake_failed) + 2)) "$(pm_stat "$s1" handshake_failed)"
expect_eq "(b) server refused_identity (third-client)" \
	$(($(pm_stat "$s0" refused_identity) + 1)) "$(pm_stat "$s1" refused_identity)"
expect_eq "(b) server sessions (only the long-running client's)" 1 "$(pm_stat "$s1" sessions)"

# --- (d) broken files on reload: the running settings stay ----------------------
chmod 000 "$live/server.key"
sighup d-key
expect_eq "(d) SIGHUP with an unreadable key" kept "$hup"
warn=$(grep -F "$live/server.key" "$PM_TMP/server.log" | tail -n 1)
[[ $warn == *"cannot read key file $live/server.key"* ]] ||
	fail "(d) expected a warning 'cannot read key file $live/server.key: ...', got: '${warn:-<none>}'"
grep 'SIGHUP: keeping' "$PM_TMP/server.log" | tail -n 1 | grep -q 'keeping the running settings' ||
	fail "(d) expected 'SIGHUP: keeping the running settings', got: $(grep 'SIGHUP' "$PM_TMP/server.log" | tail -n 1)"
pm_log "(d) unreadable key: ${warn#*pktmon-server: }"
chmod 644 "$live/server.key"
cp "$live/server.crt" "$PM_TMP/server.crt.good"
printf 'this is not a certificate\n' >"$live/server.crt"
sighup d-cert
expect_eq "(d) SIGHUP with a garbage certificate" kept "$hup"
warn2=$(grep -F "$live/server.crt" "$PM_TMP/server.log" | tail -n 1)
[[ $warn2 == *"certificate $live/server.crt"* ]] ||
	fail "(d) expected a warning naming the certificate $live/server.crt, got: '${warn2:-<none>}'"
pm_log "(d) garbage certificate: ${warn2#*pktmon-server: }"
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "(d) the server died on a broken reload"
expect_eq "(d) serial after the failed reloads (the last good one)" "$new_serial" "$(seen_serial after-d)"
hx_s_client "$PM_TMP/victim-after-d.s_client" "$HX_PORT" -cert "$ca/victim-client.crt" -key "$ca/victim-client.key"
expect_eq "(d) revoked victim-client after the failed reloads (CRL kept): TLS alert" 44 \
	"$(hx_alert "$PM_TMP/victim-after-d.s_client")"
client_try good-after-d "$live/client"
expect_eq "(d) a new pktmon-client after the failed reloads: exit status" 0 "$rc"
cp "$PM_TMP/server.crt.good" "$live/server.crt"

# --- (c) the established session ------------------------------------------------
[[ $(pm_alive "$long") == yes ]] ||
	fail "(c) the long-running client ended before the last reload; the steps were not mid-run (budget)"
if [[ $(id -u) -eq 0 && $mode == *seccomp ]]; then
	expect_eq "server Seccomp mode after $reloads reloads" 2 \
		"$(awk '/^Seccomp:/ {print $2}' "/proc/$PM_SERVER_PID/status")"
fi
rc=0
wait "$long" || rc=$?
expect_eq "(c) long-running client exit status" 0 "$rc"
pm_json_load "$PM_TMP/long.json" C
expect_eq "(c) long-running client sessions (none dropped or renewed)" 1 "${C[sessions]-missing}"
expect_eq "(c) long-running client lost" 0 "${C[lost]-missing}"
expect_eq "(c) long-running client received (= sent)" "${C[sent]-missing}" "${C[received]-missing}"
expect_ge "(c) long-running client sent in 8 s at 50 ms (160 nominal)" 120 "${C[sent]-0}"
if grep -E 'closing|silent' "$PM_TMP/server.log" | grep -q 'pktmon-client'; then
	fail "(c) the server closed a pktmon-client connection: $(grep -E 'closing|silent' "$PM_TMP/server.log" | grep 'pktmon-client' | head -n 2)"
fi

pm_stop_server
pm_check_sanitizers
pass "server $mode; $reloads SIGHUPs; (a) serial $old_serial -> $new_serial;" \
	"(b) revoked alert $alert_b, off-allowlist exit 3; (d) unreadable key and garbage cert kept the old settings;" \
	"(c) established client ${C[received]}/${C[sent]}, sessions ${C[sessions]}, lost ${C[lost]}"
