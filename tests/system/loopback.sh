#!/bin/bash
# End to end over loopback: 200 probes all answered, all stored, and the
# report renders them and agrees with the client's own totals.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init loopback 90
pm_need_binaries "$PM_SERVER" "$PM_CLIENT" "$PM_REPORT"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"

db=$PM_TMP/history.db
rc=0
mapfile -t certs < <(pm_client_args)
timeout 60 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" \
	-c 200 -i 0.01 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" || rc=$?
expect_eq "client exit status (every probe answered)" 0 "$rc"

pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON sent" 200 "${C[sent]-missing}"
expect_eq "client JSON received" 200 "${C[received]-missing}"
expect_eq "client JSON lost" 0 "${C[lost]-missing}"

expect_eq "rows in probes" 200 "$(pm_sql "$db" 'SELECT count(*) FROM probes')"
expect_eq "answered rows in probes (fate 0)" 200 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0')"
expect_ge "rows in sessions" 1 "$(pm_sql "$db" 'SELECT count(*) FROM sessions')"
expect_eq "probes with an RTT" 200 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE rtt_ns > 0')"

# The report: at least four PNGs, each a real PNG.
out=$PM_TMP/report
mkdir "$out"
rc=0
timeout 60 "$PM_REPORT" --db "$db" --out "$out" >"$PM_TMP/report.out" 2>"$PM_TMP/report.err" || rc=$?
expect_eq "pktmon-report exit status" 0 "$rc"
pngs=0
for f in "$out"/*.png; do
	[[ -e $f ]] || continue
	[[ -s $f ]] || fail "$f is empty"
	sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
	expect_eq "PNG signature of $(basename "$f")" 89504e470d0a1a0a "$sig"
	grep -qF "$(basename "$f")" "$PM_TMP/report.out" ||
		fail "pktmon-report did not print the path of $(basename "$f")"
	pngs=$((pngs + 1))
done
expect_ge "PNG files written by pktmon-report" 4 "$pngs"
for f in latency.png loss.png rtt-distribution.png sessions.png; do
	[[ -s $out/$f ]] || fail "expected $out/$f, not written"
done

# The report's totals match what the client counted.
rc=0
timeout 60 "$PM_REPORT" --db "$db" --json >"$PM_TMP/report.json" 2>"$PM_TMP/report.err" || rc=$?
expect_eq "pktmon-report --json exit status" 0 "$rc"
pm_json_load "$PM_TMP/report.json" R
for k in sent received lost lost_forward lost_backward lost_unknown duplicates reordered late renewals sessions; do
	expect_eq "report --json '$k' (as the client counted)" "${C[$k]-missing}" "${R[$k]-missing}"
done

pm_stop_server
pm_check_sanitizers
pass "200/200 answered, $pngs PNGs, report totals agree"
