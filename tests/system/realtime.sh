#!/bin/bash
# --realtime: the probe thread runs at SCHED_FIFO priority 1 and the history
# writer stays an ordinary task (nice 10, below the prober); every probe is
# still answered and stored. Refused (an unprivileged user without
# RLIMIT_RTPRIO), the client exits 2 with one line naming --realtime, and
# creates no history file.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init realtime 40
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
[[ $(id -u) -eq 0 ]] || skip "SCHED_FIFO needs root (uid $(id -u))"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)
db=$PM_TMP/history.db

"$PM_CLIENT" "${certs[@]}" --server "localhost:$port" --db "$db" -c 150 -i 0.02 \
	--realtime --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
cpid=$!
pm_track "$cpid"
# Both threads exist once the history is open and the first probe went.
for ((i = 0; i < 100; i++)); do
	(($(ls "/proc/$cpid/task" 2>/dev/null | wc -l) >= 2)) && [[ -e $db ]] && break
	sleep 0.05
done
main_policy=$(awk '/^policy/ {print $3}' "/proc/$cpid/sched")
main_prio=$(chrt -p "$cpid" | sed -n 's/.*scheduling priority: //p')
writer=$(ls "/proc/$cpid/task" | grep -vx "$cpid" | head -n 1)
[[ -n $writer ]] || fail "no second thread (the history writer) in the client"
writer_policy=$(awk '/^policy/ {print $3}' "/proc/$cpid/task/$writer/sched")
writer_nice=$(awk '{print $19}' "/proc/$cpid/task/$writer/stat")
rc=0
wait "$cpid" || rc=$?
expect_eq "client exit status" 0 "$rc"
# /proc/PID/sched: 0 SCHED_OTHER, 1 SCHED_FIFO.
expect_eq "probe thread policy (1 = SCHED_FIFO)" 1 "$main_policy"
expect_eq "probe thread priority" 1 "$main_prio"
expect_eq "history writer policy (0 = SCHED_OTHER)" 0 "$writer_policy"
expect_eq "history writer nice" 10 "$writer_nice"
pm_json_load "$PM_TMP/client.json" C
expect_eq "received" 150 "${C[received]-missing}"
expect_eq "rows stored" 150 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0')"

# Refused: nobody, with RLIMIT_RTPRIO 0, cannot have SCHED_FIFO.
chmod 0755 "$PM_TMP"
chmod 0644 "$PM_PKI"/*
chmod 0755 "$PM_PKI"
rc=0
timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
	prlimit --rtprio=0 -- "$PM_CLIENT" "${certs[@]}" --server "localhost:$port" \
	--db "$PM_TMP/refused.db" -c 5 -i 0.02 --realtime \
	>"$PM_TMP/refused.out" 2>"$PM_TMP/refused.err" || rc=$?
expect_eq "refused --realtime: exit status" 2 "$rc"
expect_eq "refused --realtime: lines on stderr" 1 "$(wc -l <"$PM_TMP/refused.err")"
grep -q -- '--realtime: cannot run at SCHED_FIFO' "$PM_TMP/refused.err" ||
	fail "refused --realtime: expected a line naming --realtime, got: $(head -c 300 "$PM_TMP/refused.err")"
[[ ! -e $PM_TMP/refused.db ]] || fail "refused --realtime: created $PM_TMP/refused.db"
pm_stop_server
pm_check_sanitizers
pass "probe thread SCHED_FIFO 1, writer SCHED_OTHER at nice 10, 150/150 stored; refused: exit 2, one line"
