#!/bin/bash
# The client killed with SIGKILL at random moments, 20 times, probing every
# 5 ms into one history (T29). After every kill the history as the crash left
# it (main file and WAL) passes integrity_check, and each session's stored
# probes run from seq 0 without a gap: a batch of rows is written whole or
# not at all, so only the tail after the last batch may be missing. A last
# clean run uses the same history without finding it damaged.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init kill9 58
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v sqlite3 >/dev/null || skip "sqlite3 command not installed"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

db=$PM_TMP/history.db
snap=$PM_TMP/snapshot
mkdir "$snap"
kills=20 stored_sessions=0

for ((i = 1; i <= kills; i++)); do
	"$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" -i 0.005 -w 10 --json \
		>"$PM_TMP/kill9-$i.out" 2>>"$PM_TMP/clients.err" &
	client=$!
	pm_track "$client"
	ms=$((200 + RANDOM % 1301))	# 0.2 .. 1.5 s
	delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	sleep "$delay"
	kill -0 "$client" 2>/dev/null || {
		rc=0
		wait "$client" || rc=$?
		fail "run $i: client exited by itself (status $rc) before the kill at $delay s"
	}
	kill -KILL "$client"
	wait "$client" 2>/dev/null || true

	# The history exactly as the crash left it, checked on a copy.
	rm -f "$snap"/h.db*
	cp "$db" "$snap/h.db"
	[[ ! -e $db-wal ]] || cp "$db-wal" "$snap/h.db-wal"
	ic=$(sqlite3 "$snap/h.db" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ' | sed 's/ $//')
	expect_eq "run $i (killed at $delay s): PRAGMA integrity_check" ok "$ic"
	gaps=$(sqlite3 -separator ' ' "$snap/h.db" 'SELECT session_id, count(*), min(seq), max(seq)
		FROM probes GROUP BY session_id HAVING min(seq) != 0 OR count(*) != max(seq) + 1')
	[[ -z $gaps ]] || fail "run $i (killed at $delay s): expected each session's seq to run 0..max" \
		"without gaps, got (session rows min max): $gaps"
	stored=$(sqlite3 "$snap/h.db" "SELECT count(*) FROM probes
		WHERE session_id = (SELECT max(id) FROM sessions)")
	[[ -n $stored && $stored != 0 ]] && stored_sessions=$((stored_sessions + 1))
	pm_log "run $i: killed at $delay s, $stored rows stored for its session"
done

# The history is still good for a clean run, and nothing was moved aside.
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" -c 20 -i 0.005 --json \
	>"$PM_TMP/final.out" 2>"$PM_TMP/final.err" || rc=$?
expect_eq "clean run on the history after $kills kills: exit status" 0 "$rc"
if grep -qi 'corrupt\|integrity' "$PM_TMP/final.err"; then
	fail "clean run after the kills: the client found the history damaged: $(head -n 2 "$PM_TMP/final.err")"
fi
set -- "$db".corrupt-*
[[ ! -e $1 ]] || fail "expected no history moved aside after the kills, got $(basename "$1")"
expect_eq "integrity_check after the clean run" ok "$(sqlite3 "$db" 'PRAGMA integrity_check')"
# The killed runs' sessions never ended; opening the history closed them.
expect_eq "sessions left open by the killed runs, after the clean run opened the history" 0 \
	"$(pm_sql "$db" 'SELECT count(*) FROM sessions WHERE ended_ns IS NULL')"
expect_eq "sessions of the killed runs closed as aborted (all but the clean run's)" \
	"$(($(pm_sql "$db" 'SELECT count(*) FROM sessions') - 1))" \
	"$(pm_sql "$db" "SELECT count(*) FROM sessions WHERE end_reason = 'aborted'")"
expect_eq "rows of the clean run's session" 20 \
	"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE session_id = (SELECT max(id) FROM sessions)')"
# The kills must have hit a writer at work, or the test proves little.
expect_ge "killed runs whose session had rows stored" 10 "$stored_sessions"

pm_stop_server
pm_check_sanitizers
pass "$kills kills: integrity ok and no gaps each time; $stored_sessions sessions had rows stored"
