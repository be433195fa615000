#!/bin/bash
# T42: out of file descriptors.
#   At start: under `ulimit -n 64` the default caps (4096 clients + 256
#       pre-auth) cannot fit: the server refuses with one line naming
#       RLIMIT_NOFILE and exits 3. With only the soft limit low (hard limit
#       above what the caps need) it raises the soft limit to the hard one.
#   Running: a server started under `ulimit -n 64` with caps that fit has its
#       limit cut to 16 (as if something else held its descriptors), then 100
#       plain TCP connections arrive and are held. accept4 fails with EMFILE:
#       the server pauses accepting (100 ms at a time) instead of spinning on
#       the readable listener: its CPU over 2 s stays under 5 % of one core,
#       it writes at most 3 lines meanwhile (one for the pauses), accept_paused
#       counts the pauses, and once the connections are gone (each then ends
#       its handshake with a line) a good client authenticates.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
# shellcheck source=tests/hardening/hardening.sh
. "$(dirname "$0")/hardening.sh"
pm_init fd-exhaust 60
pm_need_binaries "$PM_SERVER"
pm_need_root	# prlimit on a server that dropped to another user

pki_make
HX_PORT=$(pm_free_port 127.0.0.1)
srv=("$PM_SERVER" --cert "$PM_PKI/server.crt" --key "$PM_PKI/server.key"
	--ca "$PM_PKI/ca.crt" --listen "127.0.0.1:$HX_PORT")

# --- at start ------------------------------------------------------------------------
rc=0
(ulimit -n 64 && exec "${srv[@]}") >"$PM_TMP/refused.out" 2>"$PM_TMP/refused.err" || rc=$?
pm_log "default caps under ulimit -n 64: exit $rc: $(cat "$PM_TMP/refused.err")"
expect_eq "exit status with caps above the open files limit" 3 "$rc"
expect_eq "lines written when refusing" 1 "$(wc -l <"$PM_TMP/refused.err")"
grep -q 'need up to 4368 open files, above the hard limit of 64 (RLIMIT_NOFILE)' "$PM_TMP/refused.err" ||
	fail "refusal should name the need and RLIMIT_NOFILE, got: $(cat "$PM_TMP/refused.err")"

hard=$(ulimit -Hn)
if [[ $hard == unlimited ]] || ((hard >= 4368)); then
	(ulimit -Sn 64 && exec "${srv[@]}" -n) >"$PM_TMP/soft.out" 2>"$PM_TMP/soft.err" ||
		fail "with only the soft limit at 64 (hard $hard) the check failed: $(cat "$PM_TMP/soft.err")"
	grep -q "open files limit raised to" "$PM_TMP/soft.err" ||
		fail "expected 'open files limit raised to' with a soft limit of 64, got: $(cat "$PM_TMP/soft.err")"
	soft_note="soft 64 raised ($(sed -n 's/.*raised to \([0-9]*\).*/\1/p' "$PM_TMP/soft.err"))"
else
	soft_note="soft-limit raise not checked (hard limit $hard)"
fi

# --- running out ----------------------------------------------------------------------
(ulimit -n 64 && exec "${srv[@]}" --max-clients 8 --max-preauth 16 \
	--max-preauth-per-source 16) >>"$PM_TMP/server.out" 2>>"$PM_TMP/server.log" &
PM_SERVER_PID=$!
pm_track "$PM_SERVER_PID"
pm_wait_for "$PM_TMP/server.log" 'listening on' 10 "$PM_SERVER_PID" ||
	fail "server did not start under ulimit -n 64 with caps that fit"
sleep 0.3	# past the privilege drop
base_fds=$(hx_fds "$PM_SERVER_PID")
line=$("$PM_PY" "$HX_DIR/fdflood.py" --port "$HX_PORT" --pid "$PM_SERVER_PID" --nofile 16 \
	--conns 100 --settle 0.5 --sample 2 --log "$PM_TMP/server.log" 2>>"$PM_TMP/peer.err") ||
	fail "fdflood.py failed: $(tail -n 3 "$PM_TMP/peer.err")"
lines=$(hx_kv "$line" log_lines)
pm_log "limit 16 (server held $base_fds fds), 100 connections: $line; $lines log lines meanwhile"
[[ $(pm_alive "$PM_SERVER_PID") == yes ]] || fail "the server died out of file descriptors"
expect_eq "connections made (they wait in the backlog)" 100 "$(hx_kv "$line" connected)"
cpu=$(hx_kv "$line" cpu_pct)
hx_below "server CPU while out of descriptors (% of one core)" 5 "$cpu"
((lines <= 3)) || fail "server wrote $lines lines while out of descriptors (expected at most 3): $(tail -n 5 "$PM_TMP/server.log")"
grep -q 'accept failed; not accepting for 100 ms at a time.*Too many open files' "$PM_TMP/server.log" ||
	fail "expected one 'accept failed ... Too many open files' line"

# The connections are gone: a legitimate client gets in.
ok=no
for _ in 1 2 3 4 5 6 7 8 9 10; do
	if "$PM_PY" "$HX_PEER" good --port "$HX_PORT" --pki "$PM_PKI" >"$PM_TMP/good.kv" 2>>"$PM_TMP/peer.err"; then
		ok=yes
		break
	fi
	sleep 0.5
done
expect_eq "a good client authenticates after the flood" yes "$ok"
s=$(pm_server_stats)
paused=$(pm_stat "$s" accept_paused)
expect_ge "accept_paused" 1 "$paused"
pm_stop_server
pm_check_sanitizers
pass "refused at start under ulimit -n 64 (exit 3); $soft_note; out of fds: CPU $cpu % over 2 s, $lines log lines, $paused pauses, good client after"
