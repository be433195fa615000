#!/bin/bash
# Slow and silent peers on the control port; the server runs with
# --handshake-timeout 3s and --keepalive 1s.
# T9:  plaintext "GET /" instead of TLS: closed within 1 s.
# T14: TCP connect, then silence: closed at the handshake deadline, 3 +- 1 s.
# T15: a real ClientHello written one octet a second: the deadline is
#      overall, not per read: closed within deadline + 1 s (4 s).
# T11: a control message cut short (header says 200 octets, 20 sent, then
#      nothing): before HELLO the handshake deadline closes it (3 +- 1 s
#      from connect); after HELLO there is no per-message read deadline: the
#      dead-peer rule closes it, 3 keepalive intervals without a received
#      octet (3 s here, checked on a 250 ms tick), so 3 +- 1 s from the last
#      octet. A cut-short OPEN creates no session meanwhile.
# While all of these are held, a good client connects and probes normally.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init control-deadlines 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT" --handshake-timeout 3s --keepalive 1s
mapfile -t certs < <(pm_client_args)
before=$(pm_server_stats)

# --- T9 -------------------------------------------------------------------------
line=$(hx_peer plain --wait 3)
[[ $(hx_kv "$line" closed) =~ ^(eof|reset)$ ]] || fail "T9 plaintext GET: expected the server to close, got: $line"
t9=$(hx_kv "$line" close_s)
hx_below "T9 plaintext GET: seconds to close" 1 "$t9"

# --- T14, T15, T11: all at once, each on its own connection --------------------
pad=$(printf '00%.0s' {1..20})
hx_peer silent --wait 8 >"$PM_TMP/t14.kv" &
p14=$!
hx_peer dribble --wait 8 --every 1 >"$PM_TMP/t15.kv" &
p15=$!
hx_peer stall "010a00c8$pad" --wait 8 >"$PM_TMP/t11-pre.kv" &
p11a=$!
hx_peer stall "010a00c8$pad" --hello --wait 8 >"$PM_TMP/t11-post.kv" &
p11b=$!
hx_peer stall 0103000800002710 --hello --wait 8 >"$PM_TMP/t11-open.kv" &
p11c=$!
pm_track "$p14"; pm_track "$p15"; pm_track "$p11a"; pm_track "$p11b"; pm_track "$p11c"

# Meanwhile: a good client, and the session table while OPEN is cut short.
sleep 1
good=$(hx_peer good)
good_ms=$(hx_kv "$good" handshake_ms)
hx_below "good client handshake + HELLO/WELCOME while the slow peers are held (ms)" 1000 "$good_ms"
hx_run_client good --server "127.0.0.1:$HX_PORT" "${certs[@]}" -c 5 -i 0.05 --json
expect_eq "good client while the slow peers are held: exit status" 0 "$rc"
mid=$(pm_server_stats)
expect_eq "sessions while an OPEN is cut short (the good client's has closed)" 0 "$(pm_stat "$mid" sessions)"

for p in "$p14" "$p15" "$p11a" "$p11b" "$p11c"; do
	wait "$p" || fail "a slow peer failed: $(tail -n 3 "$PM_TMP/peer.err")"
done
t14=$(<"$PM_TMP/t14.kv") t15=$(<"$PM_TMP/t15.kv")
t11a=$(<"$PM_TMP/t11-pre.kv") t11b=$(<"$PM_TMP/t11-post.kv") t11c=$(<"$PM_TMP/t11-open.kv")
pm_log "T14 silent: $t14"
pm_log "T15 dribble: $t15"
pm_log "T11 before HELLO: $t11a"
pm_log "T11 after HELLO: $t11b"
pm_log "T11 OPEN cut short: $t11c"

[[ $(hx_kv "$t14" closed) =~ ^(eof|reset)$ ]] || fail "T14 silent connection: not closed within 8 s: $t14"
hx_between "T14 silent connection: seconds to close (deadline 3 s)" 2 4 "$(hx_kv "$t14" close_s)"

[[ $(hx_kv "$t15" closed) =~ ^(eof|reset|reset-on-send)$ ]] || fail "T15 dribbled ClientHello: not closed within 8 s: $t15"
hx_below "T15 dribbled ClientHello: seconds to close (deadline 3 s + 1)" 4.0 "$(hx_kv "$t15" close_s)"
hx_below "T15: octets of the ClientHello sent before the close" "$(hx_kv "$t15" clienthello_octets)" \
	"$(hx_kv "$t15" octets_sent)"

[[ $(hx_kv "$t11a" closed) =~ ^(eof|reset)$ ]] || fail "T11 before HELLO: not closed within 8 s: $t11a"
hx_between "T11 before HELLO: seconds from connect to close (handshake deadline 3 s)" 2 4 \
	"$(hx_kv "$t11a" since_connect_s)"
expect_eq "T11 before HELLO: messages from the server" none "$(hx_kv "$t11a" other_msgs)"

for v in t11b t11c; do
	[[ $(hx_kv "${!v}" closed) =~ ^(eof|reset)$ ]] || fail "T11 after HELLO ($v): not closed within 8 s: ${!v}"
	hx_between "T11 after HELLO ($v): seconds from the last octet to close (3 x keepalive 1 s)" 2 4 \
		"$(hx_kv "${!v}" close_s)"
	expect_eq "T11 after HELLO ($v): messages other than KEEPALIVE from the server" none \
		"$(hx_kv "${!v}" other_msgs)"
done

after=$(pm_server_stats)
pm_log "$after"
expect_eq "handshake_timeout (T14, T15, T11 before HELLO)" \
	$(($(pm_stat "$before" handshake_timeout) + 3)) "$(pm_stat "$after" handshake_timeout)"
expect_eq "handshake_failed (T9)" $(($(pm_stat "$before" handshake_failed) + 1)) \
	"$(pm_stat "$after" handshake_failed)"
expect_eq "sessions after everything" 0 "$(pm_stat "$after" sessions)"
grep -q 'silent for 3 keepalive intervals' "$PM_TMP/server.log" ||
	fail "expected the server to log the dead-peer close of the T11 connections"

pm_stop_server
pm_check_sanitizers
pass "T9 ${t9}s; T14 $(hx_kv "$t14" close_s)s; T15 $(hx_kv "$t15" close_s)s after $(hx_kv "$t15" octets_sent) octets;" \
	"T11 pre-HELLO $(hx_kv "$t11a" since_connect_s)s from connect, post-HELLO $(hx_kv "$t11b" close_s)s /" \
	"$(hx_kv "$t11c" close_s)s from the last octet; good handshake ${good_ms} ms"
