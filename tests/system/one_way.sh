#!/bin/bash
# One-way delays are measured only when both ends say their clock is
# synchronised (STAMP Error Estimate S bit, RFC 8762 §4.1.1), and flagged
# otherwise. A small LD_PRELOAD library built here makes adjtimex(2) report
# a clock disciplined by NTP (TIME_OK, STA_UNSYNC clear, 40 us estimated
# error), since a test machine's clock may well not be. Over loopback both
# ends read one clock, so forward + backward must come to the RTT.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init one-way 60
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip "no C compiler ($cc) to build the clock-sync preload library"

cat >"$PM_TMP/synced.c" <<'C'
/* adjtimex() as a synchronised clock would answer it (read-only calls). */
#include <sys/timex.h>

int
adjtimex(struct timex *tx)
{
	tx->status = STA_PLL;
	tx->esterror = 40;
	tx->maxerror = 500;
	return TIME_OK;
}
C
"$cc" -shared -fPIC -O2 -o "$PM_TMP/synced.so" "$PM_TMP/synced.c" ||
	fail "cannot build the clock-sync preload library"
synced=$PM_TMP/synced.so
# The sanitizer runtime must come first when the binaries carry one.
asan=$(ldd "$PM_CLIENT" 2>/dev/null | awk '/libasan|libclang_rt.asan/ {print $3; exit}')
[[ -n $asan ]] && synced="$asan:$synced"

pki_make
mapfile -t certs < <(pm_client_args)

# run NAME CLIENT_PRELOAD: a client of 100 probes against the server running.
run() {
	local rc=0
	env ${2:+LD_PRELOAD=$2} timeout 30 "$PM_CLIENT" "${certs[@]}" \
		--server "127.0.0.1:$port" --db "$PM_TMP/$1.db" -c 100 -i 0.01 \
		>"$PM_TMP/$1.out" 2>"$PM_TMP/$1.err" || rc=$?
	expect_eq "$1: client exit status" 0 "$rc"
}

# 1. Both clocks synchronised: every answered probe has both delays.
port=$(pm_free_port 127.0.0.1)
: >"$PM_TMP/server.log"	# pm_start_server waits for a fresh "listening on"
LD_PRELOAD=$synced pm_start_server - "127.0.0.1:$port"
run both "$synced"
db=$PM_TMP/both.db
expect_eq "both synced: probes with one-way delays" 100 \
	"$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate = 0 AND owd_fwd_ns IS NOT NULL AND owd_bwd_ns IS NOT NULL')"
# One clock at both ends: a delay below zero can only be the few
# microseconds between where the kernel stamps a send and a receive on lo.
neg=$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE owd_fwd_ns < -50000 OR owd_bwd_ns < -50000')
expect_eq "both synced on one clock: one-way delays below -50 us" 0 "$neg"
# fwd + bwd = (T2-T1) + (T4-T3) = RTT: both start at the kernel's stamps.
gap=$(pm_sql "$db" 'SELECT max(abs(owd_fwd_ns + owd_bwd_ns - rtt_ns)) FROM probes WHERE fate = 0')
[[ $gap =~ ^[0-9]+$ ]] || fail "no one-way figures to compare (got '$gap')"
((gap < 100000)) || fail "forward + backward differs from the RTT by $gap ns (expected < 100 us)"
# pktmon-report export carries them.
"$PM_REPORT" --db "$db" export --format csv >"$PM_TMP/export.csv" ||
	fail "pktmon-report export failed"
expect_eq "export header" "session_id,seq,sent_ns,rtt_ns,fate,dups,ttl,owd_fwd_ns,owd_bwd_ns" \
	"$(head -n 1 "$PM_TMP/export.csv")"
expect_eq "exported rows with both one-way delays" 100 \
	"$(awk -F, 'NR > 1 && $8 != "" && $9 != ""' "$PM_TMP/export.csv" | wc -l)"
grep -q "^one-way: forward median .* ms, backward median .* ms (100 replies with both clocks synchronised)" \
	"$PM_TMP/both.out" || fail "summary lacks the one-way line: $(grep one-way "$PM_TMP/both.out")"
pm_stop_server

# 2. Only the client synchronised: no one-way figure, and the summary says
# whose clock is to blame.
port=$(pm_free_port 127.0.0.1)
: >"$PM_TMP/server.log"	# pm_start_server waits for a fresh "listening on"
pm_start_server - "127.0.0.1:$port"
run client-only "$synced"
expect_eq "server unsynced: probes with one-way delays" 0 \
	"$(pm_sql "$PM_TMP/client-only.db" 'SELECT count(*) FROM probes WHERE owd_fwd_ns IS NOT NULL OR owd_bwd_ns IS NOT NULL')"
grep -q "^one-way: not measured: the server's clock is not synchronised" "$PM_TMP/client-only.out" ||
	fail "summary does not blame the server's clock: $(grep one-way "$PM_TMP/client-only.out")"
pm_stop_server

# 3. Only the server synchronised.
port=$(pm_free_port 127.0.0.1)
: >"$PM_TMP/server.log"	# pm_start_server waits for a fresh "listening on"
LD_PRELOAD=$synced pm_start_server - "127.0.0.1:$port"
run server-only "${asan:-}"
expect_eq "client unsynced: probes with one-way delays" 0 \
	"$(pm_sql "$PM_TMP/server-only.db" 'SELECT count(*) FROM probes WHERE owd_fwd_ns IS NOT NULL')"
grep -q "^one-way: not measured: this host's clock is not synchronised" "$PM_TMP/server-only.out" ||
	fail "summary does not blame this host's clock: $(grep one-way "$PM_TMP/server-only.out")"
pm_stop_server

pm_check_sanitizers
pass "one-way delays on 100/100 with both clocks synced (max |fwd+bwd-rtt| $gap ns), none otherwise"
