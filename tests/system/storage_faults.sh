#!/bin/bash
# Storage faults while the client probes every 10 ms over loopback:
#
# T31  another process holds the write lock (BEGIN IMMEDIATE) for 3 s: the
#      writer waits (busy_timeout 5 s), so no error is printed, the exit status
#      is 0 and every probe is stored, seq 0..sent-1 without a gap.
# T32  a reader holds one read transaction (a snapshot) for most of the run,
#      as a long report does: every row is stored, the WAL stays bounded, and
#      the writer never stalls, seen from a third connection polling every
#      50 ms: each stored row is committed within 1.5 s of being sent, the row
#      count never stands still for 2 s while probes go on, and the client
#      exits within 1.5 s of its last probe's due time.
# T30  (root: a tmpfs of its own) the file system holding the history fills
#      up during the run. Probing goes on (sent == count asked), "cannot write"
#      is logged once (at most once a minute), the exit status is 4 as
#      documented, and integrity_check passes on the history as left.
#      a) space comes back mid-run: every buffered row lands, stored == sent,
#         unstored == 0.
#      b) space never comes back: stored rows + the reported "unstored" count
#         == sent exactly, the same count in the exit warning and the summary.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init storage-faults 110
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
command -v sqlite3 >/dev/null || skip "sqlite3 command not installed"
"$PM_PY" -c 'import sqlite3' 2>/dev/null || skip "$PM_PY has no sqlite3 module"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)
interval=0.01

# The other processes: a lock holder, a long reader, a watcher that samples
# the history every 50 ms from a third connection, and the analysis.
tool=$PM_TMP/dbtool.py
cat >"$tool" <<'PY'
import os, sqlite3, sys, time

def ro(db):
    return sqlite3.connect("file:%s?mode=ro" % db, uri=True,
                           isolation_level=None, timeout=10)

def hold(db, kind, secs):
    """Hold a write lock (BEGIN IMMEDIATE) or a read snapshot for secs."""
    if kind == "write":
        con = sqlite3.connect(db, isolation_level=None, timeout=10)
        con.execute("BEGIN IMMEDIATE")
    else:
        con = ro(db)
        con.execute("BEGIN")
    n = con.execute("SELECT count(*) FROM probes").fetchone()[0]
    t0 = time.time_ns()
    print("held %s %d %d" % (kind, t0, n), flush=True)
    time.sleep(secs)
    t1 = time.time_ns()
    con.execute("COMMIT")
    con.close()
    print("released %s %d %d" % (kind, t1, n), flush=True)

def watch(db, stop, out):
    """Every 50 ms: wall time, rows, newest stored send time, WAL size."""
    con = None
    with open(out, "w") as f:
        while True:
            last = os.path.exists(stop)
            now = time.time_ns()
            try:
                if con is None:
                    con = ro(db)
                n, newest = con.execute(
                    "SELECT count(*), coalesce(max(sent_ns), 0) FROM probes").fetchone()
                try:
                    wal = os.stat(db + "-wal").st_size
                except OSError:
                    wal = 0
                f.write("%d %d %d %d\n" % (now, n, newest, wal))
            except sqlite3.Error:
                if con is not None:
                    con.close()
                con = None	# not created yet
            if last:
                break
            time.sleep(0.05)

def analyze(samples, last_sent_ns, held_from, held_to):
    """Writer stalls seen while probes were still being sent."""
    rows = [tuple(map(int, l.split())) for l in open(samples)]
    busy = [r for r in rows if r[1] > 0 and r[0] <= last_sent_ns]
    lag = max((r[0] - r[2] for r in busy), default=-1)
    gap, since, prev = 0, None, None
    for r in busy:
        if prev is None or r[1] != prev:
            if since is not None:
                gap = max(gap, r[0] - since)
            since, prev = r[0], r[1]
    if busy:
        gap = max(gap, busy[-1][0] - since)
    held = [r for r in rows if held_from <= r[0] <= held_to]
    print("samples=%d busy=%d held=%d max_lag_ms=%d max_gap_ms=%d max_wal=%d"
          % (len(rows), len(busy), len(held), lag // 10**6, gap // 10**6,
             max((r[3] for r in rows), default=0)))

cmd = sys.argv[1]
if cmd == "hold":
    hold(sys.argv[2], sys.argv[3], float(sys.argv[4]))
elif cmd == "watch":
    watch(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "analyze":
    analyze(sys.argv[2], *map(int, sys.argv[3:6]))
PY

now_ns() {
	date +%s%N
}

# start_client NAME DB COUNT: probe in the background; sets client, t_start.
start_client() {
	t_start=$(now_ns)
	timeout 40 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$2" \
		-c "$3" -i "$interval" --json >"$PM_TMP/$1.out" 2>"$PM_TMP/$1.err" &
	client=$!
	pm_track "$client"
}

# finish_client NAME: wait for it; sets rc, t_end and C (its --json).
finish_client() {
	rc=0
	wait "$client" || rc=$?
	t_end=$(now_ns)
	pm_json_load "$PM_TMP/$1.out" C
}

# rows DB: probe rows stored (empty while the history has no table yet).
rows() {
	pm_sql "$1" 'SELECT count(*) FROM probes' 2>/dev/null || true
}

# wait_rows NAME DB: until the client has stored rows (10 s at most).
wait_rows() {
	local n=200 r
	while ((n-- > 0)); do
		r=$(rows "$2")
		[[ -n $r && $r != 0 ]] && return 0
		kill -0 "$client" 2>/dev/null || fail "$1: client exited before storing a row"
		sleep 0.05
	done
	fail "$1: no probe rows stored within 10 s"
}

# check_history NAME DB EXPECTED: integrity_check, one session, EXPECTED rows
# with seq 0..EXPECTED-1.
check_history() {
	local ic got
	ic=$(sqlite3 "$2" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ' | sed 's/ $//')
	expect_eq "$1: PRAGMA integrity_check" ok "$ic"
	expect_eq "$1: sessions in the history" 1 "$(pm_sql "$2" 'SELECT count(*) FROM sessions')"
	got=$(pm_sql "$2" "SELECT count(*) || ' ' || coalesce(min(seq), '-') || ' ' ||
		coalesce(max(seq), '-') || ' ' || count(DISTINCT seq) FROM probes")
	if (($3 == 0)); then
		expect_eq "$1: probe rows (count min max distinct)" "0 - - 0" "$got"
	else
		expect_eq "$1: probe rows (count min(seq) max(seq) distinct seq)" "$3 0 $(($3 - 1)) $3" "$got"
	fi
}

# ---- T31: the write lock held by another process for 3 s ----------------
n31=500
db=$PM_TMP/locked.db
start_client t31 "$db" "$n31"
wait_rows T31 "$db"
"$PM_PY" "$tool" hold "$db" write 3 >"$PM_TMP/t31-lock.log" 2>&1 ||
	fail "T31: the lock holder failed: $(tail -n 2 "$PM_TMP/t31-lock.log")"
read -r _ _ t_lock rows_at_lock <"$PM_TMP/t31-lock.log"
kill -0 "$client" 2>/dev/null ||
	fail "T31: the client had finished before the 3 s lock was released; the lock tested nothing"
finish_client t31
expect_eq "T31: client exit status with the history locked 3 s" 0 "$rc"
[[ ! -s $PM_TMP/t31.err ]] ||
	fail "T31: expected nothing on stderr (the writer waits out a 3 s lock), got: $(head -n 3 "$PM_TMP/t31.err")"
expect_eq "T31: client sent" "$n31" "${C[sent]-missing}"
expect_eq "T31: client received" "$n31" "${C[received]-missing}"
expect_eq "T31: client unstored" 0 "${C[unstored]-missing}"
check_history T31 "$db" "$n31"
pm_log "T31: lock held 3 s from $(((t_lock - t_start) / 1000000)) ms into the run" \
	"($rows_at_lock rows stored then); exit 0, $n31/$n31 rows, no error"

# ---- T32: a reader holding one snapshot for most of the run --------------
# 1500 probes (15 s), the reader holding for 14 s of them: the writer tries a
# TRUNCATE checkpoint every 40 wake-ups (one wake-up per 200 ms flush), about
# 9 s into the run, so that attempt, and a 5 s busy wait it might make behind
# the reader, falls inside both the hold and the probing.
n32=1500 hold32=14
db=$PM_TMP/reader.db
stop=$PM_TMP/t32.stop
"$PM_PY" "$tool" watch "$db" "$stop" "$PM_TMP/t32-samples.txt" 2>"$PM_TMP/t32-watch.err" &
watcher=$!
pm_track "$watcher"
start_client t32 "$db" "$n32"
wait_rows T32 "$db"
"$PM_PY" "$tool" hold "$db" read "$hold32" >"$PM_TMP/t32-reader.log" 2>&1 &
reader=$!
pm_track "$reader"
finish_client t32
rc_reader=0
wait "$reader" || rc_reader=$?
touch "$stop"
wait "$watcher" || fail "T32: the watcher failed: $(tail -n 2 "$PM_TMP/t32-watch.err")"
expect_eq "T32: long reader exit status" 0 "$rc_reader"
read -r _ _ t_held rows_held < <(grep '^held' "$PM_TMP/t32-reader.log")
read -r _ _ t_released _ < <(grep '^released' "$PM_TMP/t32-reader.log")

expect_eq "T32: client exit status with a long reader" 0 "$rc"
[[ ! -s $PM_TMP/t32.err ]] ||
	fail "T32: expected nothing on stderr, got: $(head -n 3 "$PM_TMP/t32.err")"
expect_eq "T32: client sent" "$n32" "${C[sent]-missing}"
expect_eq "T32: client unstored" 0 "${C[unstored]-missing}"
check_history T32 "$db" "$n32"
last_sent=$(pm_sql "$db" 'SELECT max(sent_ns) FROM probes')
# The reader must have pinned an old snapshot while the client still sent.
((rows_held > 0 && rows_held < n32)) ||
	fail "T32: expected the reader's snapshot to hold 1..$((n32 - 1)) rows, got $rows_held"
((t_released > last_sent - 2000000000)) ||
	fail "T32: the reader let go $(((last_sent - t_released) / 1000000)) ms before the last probe; expected it held for most of the run"
read -r samples busy held lag gap wal < <("$PM_PY" "$tool" analyze "$PM_TMP/t32-samples.txt" \
	"$last_sent" "$t_held" "$t_released" | tr '=' ' ' | awk '{print $2, $4, $6, $8, $10, $12}')
expect_ge "T32: watcher samples taken while the reader held its snapshot" 100 "$held"
pm_log "T32: reader held a snapshot of $rows_held rows for $(((t_released - t_held) / 1000000)) ms;" \
	"$samples samples ($busy while probing); longest commit lag $lag ms, longest stand-still $gap ms, largest WAL $((wal / 1024)) KiB"
((lag <= 1500)) ||
	fail "T32: the writer stalled behind the reader: a row was committed $lag ms after it was sent (expected <= 1500 ms)"
((gap <= 2000)) ||
	fail "T32: the writer stalled behind the reader: no new row for $gap ms while probes were sent (expected <= 2000 ms)"
((wal < 4 * 1024 * 1024)) || fail "T32: WAL grew to $wal bytes for $n32 rows (expected < 4 MiB)"
run_ms=$(((t_end - t_start) / 1000000))
due_ms=$(awk -v n="$n32" -v i="$interval" 'BEGIN { printf "%d", n * i * 1000 }')
pm_log "T32: client ran $run_ms ms for $n32 probes due over $due_ms ms"
((run_ms <= due_ms + 1500)) ||
	fail "T32: the client took $run_ms ms for probes due over $due_ms ms: its exit waited on the writer"

# ---- T30: disk full -------------------------------------------------------
if [[ $(id -u) -ne 0 ]]; then
	skip "T31 and T32 passed; T30 (disk full) needs root to mount a tmpfs (uid $(id -u))"
fi
mnt=$PM_TMP/small
mkdir "$mnt"
mount -t tmpfs -o size=2m,mode=0755 pktmon-test "$mnt" 2>"$PM_TMP/mount.err" ||
	skip "T31 and T32 passed; T30 (disk full) cannot mount a tmpfs: $(head -n 1 "$PM_TMP/mount.err")"
pm_register_cleanup "umount '$mnt' || umount -l '$mnt'"

# fill_up NAME: fill the tmpfs to the last block.
fill_up() {
	dd if=/dev/zero of="$mnt/filler" bs=4k status=none 2>/dev/null || true
	local avail
	avail=$(df --output=avail -k "$mnt" | tail -n 1 | tr -d ' ')
	expect_eq "$1: free KiB on the tmpfs after filling it" 0 "$avail"
}

# wait_warn NAME: until the client logs that it cannot write (8 s at most).
wait_warn() {
	pm_wait_for "$PM_TMP/$1.err" 'cannot write' 8 "$client" ||
		fail "$1: expected 'cannot write' on stderr within 8 s of the disk filling up" \
			"(client alive: $(pm_alive "$client")), got: $(head -n 3 "$PM_TMP/$1.err")"
}

# The warnings a disk-full run must print: one "cannot write" (the line is
# rate-limited to one a minute) and one "write failed; probing continues".
check_warnings() {
	local err=$PM_TMP/$1.err
	expect_eq "$1: 'cannot write' lines on stderr" 1 "$(grep -c 'cannot write' "$err" || true)"
	expect_eq "$1: 'write failed; probing continues' lines on stderr" 1 \
		"$(grep -c 'write failed; probing continues' "$err" || true)"
}

# a) the disk fills up for 2 s, then space comes back: every row lands.
n30a=800
db=$mnt/a.db
start_client t30a "$db" "$n30a"
wait_rows T30a "$db"
fill_up T30a
t_full=$(now_ns)
wait_warn t30a
rows_full=$(rows "$db")
sleep 2
kill -0 "$client" 2>/dev/null || fail "T30a: the client finished while the disk was still full; the test proves nothing"
rows_still=$(rows "$db")
rm -f "$mnt/filler"
t_free=$(now_ns)
finish_client t30a
# The buffer, not the disk, must have held rows when space came back, or the
# retry path was not tested: at least 100 of the probes due by then.
due_free=$(((t_free - t_start) / 10000000))	# one probe per 10 ms ($interval s)
((rows_still + 100 <= due_free)) ||
	fail "T30a: $rows_still rows were stored while the disk was full, of $due_free probes due; expected writes to fail until space came back"
expect_eq "T30a: client exit status after a write failure (documented: 4 even if written later)" 4 "$rc"
expect_eq "T30a: client sent" "$n30a" "${C[sent]-missing}"
expect_eq "T30a: client received" "$n30a" "${C[received]-missing}"
expect_eq "T30a: client unstored" 0 "${C[unstored]-missing}"
check_warnings t30a
! grep -q 'could not be written at exit' "$PM_TMP/t30a.err" ||
	fail "T30a: space came back but the client says: $(grep 'could not be written' "$PM_TMP/t30a.err")"
check_history T30a "$db" "$n30a"
pm_log "T30a: disk full for $(((t_free - t_full) / 1000000)) ms from $(((t_full - t_start) / 1000000)) ms" \
	"($rows_full rows stored then, $rows_still when space came back, $due_free probes due);" \
	"after freeing: $n30a/$n30a rows, unstored 0, exit 4;" \
	"warning: $(grep -m1 'cannot write' "$PM_TMP/t30a.err" | sed 's/^pktmon-client: //')"

# b) the disk fills up and stays full until the client has exited.
n30b=500
db=$mnt/b.db
start_client t30b "$db" "$n30b"
wait_rows T30b "$db"
fill_up T30b
wait_warn t30b
finish_client t30b
# The history exactly as the client left it, on the full disk, copied out.
left=$PM_TMP/left
mkdir "$left"
cp "$db" "$left/b.db"
[[ ! -e $db-wal ]] || cp "$db-wal" "$left/b.db-wal"
rm -f "$mnt/filler"
expect_eq "T30b: client exit status with the disk full to the end" 4 "$rc"
expect_eq "T30b: client sent" "$n30b" "${C[sent]-missing}"
expect_eq "T30b: client received" "$n30b" "${C[received]-missing}"
check_warnings t30b
unstored=${C[unstored]-missing}
expect_ge "T30b: client unstored (rows held when the disk stayed full)" 1 "$unstored"
stored=$(pm_sql "$left/b.db" 'SELECT count(*) FROM probes')
at_exit=$(sed -n 's/.*: \([0-9][0-9]*\) probe rows could not be written at exit.*/\1/p' "$PM_TMP/t30b.err")
pm_log "T30b: disk full to the end: $stored rows stored + $unstored unstored (exit warning: ${at_exit:-none})" \
	"= $((stored + unstored)) for $n30b sent; exit $rc"
expect_eq "T30b: rows at exit in the warning '... probe rows could not be written at exit'" "$unstored" "$at_exit"
check_history T30b "$left/b.db" "$stored"
expect_eq "T30b: stored rows + reported unstored rows (every probe accounted for)" "$n30b" "$((stored + unstored))"

pm_stop_server
pm_check_sanitizers
pass "T31 lock 3 s: all $n31 rows, exit 0; T32 long reader: all $n32 rows, lag <= $lag ms;" \
	"T30 disk full: recovered $n30a/$n30a, and $stored + $unstored unstored = $n30b"
