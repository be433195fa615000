#!/bin/bash
# The server goes away under a running client (T27, T28), with a 1 s
# keepalive announced to the client:
#   1. kill -9: the client notices at once (the TCP connection is reset),
#      goes on probing its session (the schedule never stops: every slot of
#      the downtime is stored, and lost) and retries with backoff 1, 2, 4 s
#      +-20 %; a new server on the same port gets a new session, probing
#      resumes there, the old session ends 'aborted' (the new server cannot
#      count it) and its SSID gets no reply from it.
#   2. SIGSTOP (the server falls silent, the connection stays open): the
#      client declares it dead after 3 keepalive intervals, probes on, and
#      reconnects once the server runs again; the old session, which the
#      server kept (linger), is closed over the new channel: 'reconnected'.
# The run ends with exit status 1: the downtime was loss.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init server-restart 58
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port" --keepalive 1s

db=$PM_TMP/history.db
keylog=$PM_TMP/keylog
out=$PM_TMP/client.out
mapfile -t certs < <(pm_client_args)
"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" -i 0.05 -w 45 \
	--keylog "$keylog" >"$out" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_count FILE REGEX N SECONDS: until FILE has N lines matching REGEX;
# fails if the client dies first.
wait_count() {
	local n=$(($4 * 20)) c
	while ((n-- > 0)); do
		c=$(grep -Ec -- "$2" "$1" 2>/dev/null || true)
		((${c:-0} >= $3)) && return 0
		kill -0 "$client" 2>/dev/null || fail "client died (while waiting for '$2' x $3 in $(basename "$1"))"
		sleep 0.05
	done
	return 1
}

# keylog_line N: "ssid port key" of the Nth session.
keylog_line() {
	grep '^PKTMON_STAMP_KEY ' "$keylog" | sed -n "$1{s/^PKTMON_STAMP_KEY //p}"
}

# sql_wait SECONDS SQL EXPECTED: poll the history until SQL gives EXPECTED.
sql_wait() {
	local n=$(($1 * 10)) got=
	while ((n-- > 0)); do
		got=$(pm_sql "$db" "$2" 2>/dev/null || true)
		[[ $got == "$3" ]] && return 0
		sleep 0.1
	done
	echo "$got"
	return 1
}

# cpu_ticks PID: user + system clock ticks used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

key_re='^PKTMON_STAMP_KEY [0-9]+ [0-9]+ [0-9a-f]{64}$'
wait_count "$keylog" "$key_re" 1 10 || fail "expected the first session's key line in --keylog within 10 s"
read -r ssid1 cport1 key1 <<<"$(keylog_line 1)"
got=$(sql_wait 5 'SELECT count(*) > 5 FROM probes WHERE fate = 0' 1) ||
	fail "expected answered probes in the history before the kill, got none"

# ---- 1. kill -9 ------------------------------------------------------------
t_kill=$(now_ms)
kill -KILL "$PM_SERVER_PID"
wait "$PM_SERVER_PID" 2>/dev/null || true
mv "$PM_TMP/server.log" "$PM_TMP/server-killed.log"

wait_count "$out" 'reconnecting in' 1 5 || fail "client printed no 'reconnecting in' line within 5 s of kill -9"
t_notice=$(now_ms)
((t_notice - t_kill <= 3000)) ||
	fail "client noticed the killed server after $((t_notice - t_kill)) ms, expected <= 3000 (3 keepalives)"

# Nothing listens: attempts 1, 2 and 4 s apart (+-20 %), the client idle.
# The waits it announces are checked, and the first two as they happen.
ticks0=$(cpu_ticks "$client")
wait_count "$out" 'reconnecting in' 2 5 || fail "expected a 2nd 'reconnecting in' line within 5 s"
t_second=$(now_ms)
wait_count "$out" 'reconnecting in' 3 5 || fail "expected a 3rd 'reconnecting in' line within 5 s"
t_third=$(now_ms)
ticks1=$(cpu_ticks "$client")
mapfile -t waits < <(sed -n 's/^.*reconnecting in \([0-9.]*\) s.*$/\1/p' "$out")
for i in 0 1 2; do
	base=$((1 << i))
	awk -v w="${waits[i]}" -v b="$base" 'BEGIN { exit !(w >= 0.8 * b - 0.05 && w <= 1.2 * b + 0.05) }' ||
		fail "reconnect wait $((i + 1)): expected ${base} s +-20 %, got ${waits[i]} s (all: ${waits[*]})"
done
# measured_gap WHAT MS ANNOUNCED: the time between two lines fits the wait
# announced (polling adds up to ~50 ms; a busy machine a little more).
measured_gap() {
	awk -v g="$2" -v w="$3" 'BEGIN { exit !(g >= w * 1000 - 100 && g <= w * 1000 + 400) }' ||
		fail "$1: the client announced ${3} s, the next attempt came after $2 ms"
}
measured_gap "time from the 1st to the 2nd reconnect attempt" $((t_second - t_notice)) "${waits[0]}"
measured_gap "time from the 2nd to the 3rd reconnect attempt" $((t_third - t_second)) "${waits[1]}"
hz=$(getconf CLK_TCK)
cpu_pct=$(((ticks1 - ticks0) * 100000 / hz / (t_third - t_notice > 0 ? t_third - t_notice : 1)))
((cpu_pct < 5)) || fail "client CPU while waiting to reconnect: expected < 5 %, got ${cpu_pct} %"

t_restart=$(now_ms)

# A new server on the same port; the client comes back on its own.
pm_start_server - "127.0.0.1:$port" --keepalive 1s
wait_count "$keylog" "$key_re" 2 10 || fail "client did not open a session on the restarted server within 10 s"
t_back=$(now_ms)
read -r ssid2 _ _ <<<"$(keylog_line 2)"
got=$(sql_wait 5 "SELECT count(*) > 5 FROM probes p JOIN sessions s ON s.id = p.session_id
	WHERE s.ssid = $ssid2 AND s.id = (SELECT max(id) FROM sessions) AND p.fate = 0" 1) ||
	fail "expected answered probes on the new session (ssid $ssid2) within 5 s, got none"
expect_eq "sessions in the history after the restart" 2 "$(pm_sql "$db" 'SELECT count(*) FROM sessions')"
# The schedule went on while nothing answered: every slot of the downtime
# is stored, and lost. Read once the slots of the window are all settled
# (the new session answers, so more than a loss timeout has passed), in
# one query so that both counts see the same rows.
lo=$(((t_kill + 1100) * 1000000)) hi=$(((t_restart - 100) * 1000000))
IFS='|' read -r down_slots down_lost < <(pm_sql "$db" "SELECT count(*),
	coalesce(sum(fate IN (3, 4, 5, 6)), 0) FROM probes WHERE sent_ns BETWEEN $lo AND $hi")
expect_ge "slots stored while the server was down (20/s)" \
	$(((hi - lo) / 1000000 / 50 * 9 / 10 - 20)) "$down_slots"
expect_eq "slots lost while the server was down (all of them)" "$down_slots" "$down_lost"
got=$(sql_wait 10 "SELECT end_reason FROM sessions WHERE ssid = $ssid1" aborted) ||
	fail "session ssid $ssid1 after the restart: expected end_reason 'aborted', got '${got}'"

# The new server has no state for the old session: its SSID gets no reply.
before=$(pm_server_stats)
res=$(timeout 10 "$PM_PY" "$(dirname "$0")/stale_ssid.py" 127.0.0.1 "$port" "$ssid1" "$key1" "$cport1" 20 \
	2>"$PM_TMP/stale.err") || fail "stale_ssid.py failed: $(tail -n 2 "$PM_TMP/stale.err")"
after=$(pm_server_stats)
expect_eq "replies from the restarted server to 20 probes of the old SSID $ssid1" 0 \
	"$(sed -n 's/^replies=\([0-9]*\).*/\1/p' <<<"$res")"
dropped=0
for k in unknown_ssid bad_hmac wrong_source; do
	dropped=$((dropped + $(pm_stat "$after" "$k") - $(pm_stat "$before" "$k")))
done
expect_ge "probes of the old SSID the restarted server counted as dropped" 20 "$dropped"

# ---- 2. the server falls silent ---------------------------------------------
sleep 1
kill -STOP "$PM_SERVER_PID"
t_stop=$(now_ms)
wait_count "$PM_TMP/client.err" 'silent for 3 keepalive' 1 8 || {
	kill -CONT "$PM_SERVER_PID"
	fail "client did not declare the stopped server dead within 8 s (keepalive 1 s)"
}
t_dead=$(now_ms)
kill -CONT "$PM_SERVER_PID"
silent=$((t_dead - t_stop))
((silent >= 1500 && silent <= 3500)) ||
	fail "client declared the silent server dead after $silent ms, expected 3 keepalives (1500..3500 ms)"
wait_count "$keylog" "$key_re" 3 10 || fail "client did not reconnect within 10 s after SIGCONT"
got=$(sql_wait 10 "SELECT end_reason FROM sessions WHERE ssid = $ssid2 AND id = 2" reconnected) ||
	fail "session ssid $ssid2 after the server fell silent: expected end_reason 'reconnected', got '${got}'"
read -r ssid3 _ _ <<<"$(keylog_line 3)"
got=$(sql_wait 5 "SELECT count(*) > 3 FROM probes WHERE session_id = 3 AND fate = 0" 1) ||
	fail "expected answered probes on session 3 (ssid $ssid3) within 5 s, got none"

kill -INT "$client"
rc=0
wait "$client" || rc=$?
expect_eq "client exit status after SIGINT (the downtime was loss)" 1 "$rc"
expect_eq "end_reason of the sessions (1 killed, 2 silent, 3 stopped by SIGINT)" \
	"aborted reconnected stopped" "$(pm_sql "$db" 'SELECT end_reason FROM sessions ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "PRAGMA integrity_check" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"

pm_stop_server
pm_check_sanitizers
pass "kill -9 noticed in $((t_notice - t_kill)) ms, $down_lost of $down_slots slots lost while down, waits ${waits[*]} s at ${cpu_pct} % CPU," \
	"back $(((t_back - t_kill) / 1000)) s after the kill (ssid $ssid1 -> $ssid2); silent server dead" \
	"after $silent ms; old SSID unanswered"
