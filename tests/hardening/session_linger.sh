#!/bin/bash
# Session linger (--session-linger): the probe sessions of a client whose
# control connection ends without CLOSE stay answered, and the client's
# next connection closes them for their counts.
#   default linger: a session answers 5 probes, the control connection is
#       reset, the next 60 probes (3 s at 20/s) are all answered; a new
#       connection with the same certificate sends CLOSE for the old SSID
#       and gets CLOSED with received = reflected = 65; a second CLOSE of it,
#       and a CLOSE of an SSID never granted, get CLOSED with UINT64_MAX
#       counts (the client set the LINGER feature) and the connection still
#       opens, answers and closes a session; without the feature that CLOSE
#       gets ERROR 6 and the close, as before. Counters: lingered 1,
#       linger_closed 1; WELCOME carries the LINGER bit.
#   --session-linger 0: after the reset no probe is answered, WELCOME has
#       no LINGER bit, nothing lingers.
#   --session-linger 2s: the session goes 2 s after the reset (probes sent
#       after that get no reply; linger_expired 1).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init session-linger 80
pm_need_binaries "$PM_SERVER"

pki_make
linger() {
	"$PM_PY" "$HX_DIR/linger.py" "$@" --port "$HX_PORT" --pki "$PM_PKI" --tmp "$PM_TMP" \
		2>>"$PM_TMP/peer.err" || fail "linger.py $1 failed: $(tail -n 3 "$PM_TMP/peer.err")"
}
# kv KEY: the value of KEY in any line of $out.
kv() {
	local l v
	while read -r l; do
		v=$(hx_kv "$l" "$1")
		[[ -n $v ]] && { echo "$v"; return; }
	done <<<"$out"
}

# --- default linger ----------------------------------------------------------------
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT"
out=$(linger outage --before 5 --seconds 3)
pm_log "default linger: $(tr '\n' ' ' <<<"$out")"
expect_eq "WELCOME features (LINGER bit)" 1 "$(kv welcome_features)"
expect_eq "replies before the reset" 5 "$(kv before_replies)"
expect_eq "probes answered in the 3 s after the reset (of $(kv during_sent))" \
	"$(kv during_sent)" "$(kv during_replies)"
expect_eq "CLOSE of the old SSID on the new connection" closed "$(kv old_close)"
expect_eq "CLOSED ssid" "$(kv ssid)" "$(kv old_ssid)"
total=$(($(kv before_sent) + $(kv during_sent)))
expect_eq "CLOSED received (every probe sent before and after the reset)" "$total" "$(kv old_received)"
expect_eq "CLOSED reflected" "$total" "$(kv old_reflected)"
expect_eq "second CLOSE of the old SSID (gone now): received" max "$(kv again_received)"
expect_eq "CLOSE of an unknown SSID with LINGER" closed "$(kv unknown_close)"
expect_eq "its CLOSED ssid" "$(kv unknown_ssid)" "$(kv unknown_ssid_back)"
expect_eq "its received (UINT64_MAX)" max "$(kv unknown_received)"
expect_eq "its reflected (UINT64_MAX)" max "$(kv unknown_reflected)"
expect_eq "OPEN after the unknown CLOSE" accept "$(kv after_open)"
expect_eq "probes answered on that session" 5 "$(kv after_replies)"
expect_eq "its CLOSED received" 5 "$(kv after_received)"
expect_eq "CLOSE of an unknown SSID without LINGER: ERROR code" 6 "$(kv nofeat_error)"
[[ $(kv nofeat_end) =~ ^(eof|reset)$ ]] ||
	fail "without LINGER the server should close after ERROR 6, got end=$(kv nofeat_end)"
s=$(pm_server_stats)
expect_eq "lingered" 1 "$(pm_stat "$s" lingered)"
expect_eq "linger_closed" 1 "$(pm_stat "$s" linger_closed)"
expect_eq "lingering now" 0 "$(pm_stat "$s" lingering)"
expect_eq "sessions left" 0 "$(pm_stat "$s" sessions)"
grep -q 'kept for 120 s after the connection ended' "$PM_TMP/server.log" ||
	fail "no 'kept for 120 s' line in the server log"
figures="linger: $(kv during_replies)/$(kv during_sent) after the reset, CLOSED received $(kv old_received)"
pm_stop_server

# --- --session-linger 0 --------------------------------------------------------------
mv "$PM_TMP/server.log" "$PM_TMP/server-default.log"
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT" --session-linger 0
# A moment for the server to see the reset before the probes resume.
out=$(linger outage --before 5 --seconds 3 --pause 0.3 --no-reconnect)
pm_log "--session-linger 0: $(tr '\n' ' ' <<<"$out")"
expect_eq "WELCOME features without linger" 0 "$(kv welcome_features)"
expect_eq "replies before the reset" 5 "$(kv before_replies)"
expect_eq "replies after the reset with --session-linger 0" 0 "$(kv during_replies)"
s=$(pm_server_stats)
expect_eq "lingered (linger 0)" 0 "$(pm_stat "$s" lingered)"
expect_eq "sessions left (linger 0)" 0 "$(pm_stat "$s" sessions)"
expect_ge "unknown_ssid drops (linger 0)" "$(kv during_sent)" "$(pm_stat "$s" unknown_ssid)"
pm_stop_server

# --- --session-linger 2s ---------------------------------------------------------------
mv "$PM_TMP/server.log" "$PM_TMP/server-zero.log"
HX_PORT=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$HX_PORT" --session-linger 2s
out=$(linger outage --before 5 --seconds 1 --pause 2.5 --no-reconnect)
pm_log "--session-linger 2s, probes from 2.5 s after the reset: $(tr '\n' ' ' <<<"$out")"
expect_eq "replies after the linger time" 0 "$(kv during_replies)"
s=$(pm_server_stats)
expect_eq "linger_expired" 1 "$(pm_stat "$s" linger_expired)"
expect_eq "sessions left (linger 2s)" 0 "$(pm_stat "$s" sessions)"
pm_stop_server
pm_check_sanitizers
pass "$figures; linger 0: 0 after the reset; linger 2s: gone by 2.5 s"
