#!/bin/bash
# Schema migrations: a version 1 history (as the first release wrote it, from
# the committed sql/schema.sql) is upgraded in place when the client opens
# it: its rows are kept, user_version becomes the current one, new columns
# are filled for new rows, and a history newer than this client is refused
# untouched (exit 4).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init migrate 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT" "$PM_REPORT"
command -v sqlite3 >/dev/null || skip "sqlite3 CLI not installed"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"
mapfile -t certs < <(pm_client_args)

db=$PM_TMP/v1.db
{
	cat "$PKTMON_SOURCE/sql/schema.sql"
	cat <<'SQL'
PRAGMA user_version = 1;
INSERT INTO sessions (id, server, mode, ssid, interval_ns, size, timeout_ns,
    timestamping, started_ns, ended_ns, end_reason, sent, received)
    VALUES (1, 'old.example:4000', 'stamp-auth', 7, 100000000, 112, 1000000000,
    'kernel-rx', 1700000000000000000, 1700000001000000000, 'stopped', 2, 2);
INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate) VALUES
    (1, 0, 1700000000000000000, 250000, 0), (1, 1, 1700000000100000000, 260000, 0);
SQL
} | sqlite3 "$db" || fail "cannot build a version 1 history with sqlite3"
before=$(sqlite3 "$db" 'SELECT group_concat(seq || ":" || rtt_ns) FROM probes')

# The report reads a version 1 history as it is (read-only: no upgrade).
cp "$db" "$PM_TMP/v1-copy.db"
"$PM_REPORT" --db "$PM_TMP/v1-copy.db" export --format csv >"$PM_TMP/v1.csv" 2>"$PM_TMP/v1.err" ||
	fail "pktmon-report export on a version 1 history failed: $(head -c 300 "$PM_TMP/v1.err")"
expect_eq "version 1 export: rows, one-way columns empty" "1,0,1700000000000000000,2023-11-14T22:13:20.000000000Z,250000,answered,0,,," \
	"$(sed -n 2p "$PM_TMP/v1.csv")"
expect_eq "version 1 history left at version 1 by the report" 1 "$(pm_sql "$PM_TMP/v1-copy.db" 'PRAGMA user_version')"

rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" \
	-c 20 -i 0.01 --dscp 10 -q >"$PM_TMP/client.out" 2>"$PM_TMP/client.err" || rc=$?
expect_eq "client exit status on a version 1 history" 0 "$rc"
grep -q "schema upgraded from version 1 to" "$PM_TMP/client.err" ||
	fail "the client did not say it upgraded the schema (stderr: $(head -c 300 "$PM_TMP/client.err"))"

ver=$(pm_sql "$db" 'PRAGMA user_version')
expect_ge "user_version after the upgrade" 2 "$ver"
expect_eq "version 1 rows kept as they were" "$before" \
	"$(pm_sql "$db" 'SELECT group_concat(seq || ":" || rtt_ns) FROM probes WHERE session_id = 1')"
expect_eq "old rows: one-way delay columns NULL" 2 \
	"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE session_id = 1 AND owd_fwd_ns IS NULL')"
expect_eq "new probes stored" 20 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE session_id > 1')"
expect_eq "new session's dscp" 10 "$(pm_sql "$db" 'SELECT dscp FROM sessions WHERE id = 2')"
expect_eq "new session's host drops" 0 "$(pm_sql "$db" 'SELECT host_drops FROM sessions WHERE id = 2')"
expect_eq "integrity_check" ok "$(pm_sql "$db" 'PRAGMA integrity_check')"

# Opening it again changes nothing (no second upgrade).
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" \
	-c 5 -i 0.01 -q >"$PM_TMP/client2.out" 2>"$PM_TMP/client2.err" || rc=$?
expect_eq "client exit status on the upgraded history" 0 "$rc"
grep -q "schema upgraded" "$PM_TMP/client2.err" && fail "upgraded a current history again"
expect_eq "user_version stays" "$ver" "$(pm_sql "$db" 'PRAGMA user_version')"

# The report reads upgraded histories.
rc=0
"$PM_REPORT" --db "$db" --json >"$PM_TMP/report.json" 2>"$PM_TMP/report.err" || rc=$?
expect_eq "pktmon-report exit status on the upgraded history" 0 "$rc"
pm_json_load "$PM_TMP/report.json" R
expect_eq "report --json sent (2 old + 20 + 5 new)" 27 "${R[sent]-missing}"

# A history from a newer pktmon: refused, named, left byte for byte.
newer=$PM_TMP/newer.db
cp "$db" "$newer"
sqlite3 "$newer" "PRAGMA user_version = $((ver + 1))"
sum=$(sha256sum <"$newer")
rc=0
timeout 30 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$newer" \
	-c 5 -i 0.01 -q >"$PM_TMP/client3.out" 2>"$PM_TMP/client3.err" || rc=$?
expect_eq "client exit status on a newer history" 4 "$rc"
grep -q "newer than this pktmon" "$PM_TMP/client3.err" ||
	fail "no clear message for a newer history (stderr: $(head -c 300 "$PM_TMP/client3.err"))"
expect_eq "newer history untouched" "$sum" "$(sha256sum <"$newer")"

pm_stop_server
pm_check_sanitizers
pass "version 1 -> $ver upgrade kept every row; newer history refused untouched"
