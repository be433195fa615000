#!/bin/bash
# Idle probe sessions (--session-idle): a client that is granted a session
# and then sends no probe is told (ERROR 7, naming the session) and closed
# once the idle time has passed, and counted as session_idle; a client that
# probes, even less often than the idle time, is never touched (a session
# is idle after three of its own intervals when that is longer).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init session-idle 70
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
idle=10
pm_start_server - "127.0.0.1:$HX_PORT" --session-idle "${idle}s" --keepalive 2s

# A slow but live client beside the idle one: one probe every 12 s, so 12 s
# pass between probes, more than --session-idle.
mapfile -t certs < <(pm_client_args)
timeout 50 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$HX_PORT" --db "$PM_TMP/h.db" \
	-i 12 -w 26 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

hx_peer idle --wait 20 >"$PM_TMP/idle.kv"
line=$(<"$PM_TMP/idle.kv")
pm_log "idle session: $line"
expect_eq "idle session: ERROR code (7: timeout)" 7 "$(hx_kv "$line" error_code)"
[[ $(hx_kv "$line" error_text) == *received_no_probe_for_${idle}_s* ]] ||
	fail "idle session: ERROR text should say why, got '$(hx_kv "$line" error_text)'"
close_s=$(hx_kv "$line" close_s)
awk -v c="$close_s" -v i="$idle" 'BEGIN { exit !(c >= i && c <= i + 1.5) }' ||
	fail "idle session closed after $close_s s; expected $idle to $idle + 1.5 s"

rc=0
wait "$client" || rc=$?
expect_eq "slow client exit status (every probe answered)" 0 "$rc"
pm_json_load "$PM_TMP/client.json" C
expect_eq "slow client sessions (never cut off)" 1 "${C[sessions]-missing}"
expect_eq "slow client lost" 0 "${C[lost]-missing}"
expect_eq "slow client sent (at 0, 12 and 24 s)" 3 "${C[sent]-missing}"

s=$(pm_server_stats)
expect_eq "server session_idle" 1 "$(pm_stat "$s" session_idle)"
expect_eq "server protocol_errors" 0 "$(pm_stat "$s" protocol_errors)"
pm_stop_server
pm_check_sanitizers
pass "idle session closed after $close_s s (ERROR 7); a 1-in-12 s client untouched"
