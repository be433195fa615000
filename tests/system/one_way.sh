#!/bin/bash
# One-way delays are measured only when both ends say their clock is
# synchronised (STAMP Error Estimate S bit, RFC 8762 §4.1.1), and flagged
# otherwise. A small LD_PRELOAD library built here makes adjtimex(2) report
# a clock disciplined by NTP (TIME_OK, STA_UNSYNC clear, 40 us estimated
# error), since a test machine's clock may well not be. Over loopback both
# ends read one clock, so each delay lies within the round trip.
#
# How far within is not a constant a busy host keeps: the client reads the
# monotonic clock (where the RTT and the forward delay start) and then the
# wall clock (the timestamp on the wire) one after the other, and a
# preemption between the two reads makes the forward delay, and the sum
# forward + backward, short by its length (tens of microseconds were seen
# under load). Each probe shows that gap itself, RTT - forward - backward,
# so the bounds below are per probe, from the run's own figures.
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
# One clock at both ends, per probe, with gap = RTT - forward - backward:
# backward (the reflector's T3 is read before its reply leaves, our receive
# stamp after it arrives) lies in [0, RTT]; forward + backward never exceeds
# the RTT (gap >= 0); so forward is below zero by at most the probe's own gap.
# eps covers only timestamp resolution and the monotonic/wall mapping (well
# under a microsecond), not scheduling.
eps=5000
owd="FROM probes WHERE owd_fwd_ns IS NOT NULL AND owd_bwd_ns IS NOT NULL AND rtt_ns >= 0"
outside="owd_bwd_ns < -$eps OR owd_bwd_ns > rtt_ns + $eps OR owd_fwd_ns + owd_bwd_ns > rtt_ns + $eps"
bad=$(pm_sql "$db" "SELECT count(*) $owd AND ($outside)")
((bad == 0)) || fail "both synced on one clock: expected every probe's one-way delays within its RTT," \
	"got $bad outside, first: $(pm_sql "$db" "SELECT 'seq ' || seq || ' fwd ' || owd_fwd_ns ||
		' bwd ' || owd_bwd_ns || ' rtt ' || rtt_ns || ' ns' $owd AND ($outside) LIMIT 1")"
# The gap is a pause of the probe thread between two adjacent clock reads:
# rare, so its median stays near the cost of a clock read however busy the
# host; a forward delay taken at the wrong point would move every probe's.
# The allowance is the run's own median timer lateness (how long this
# thread waited for a CPU), at least 10 us.
read -r n_owd gap_med gap_max fwd_min < <(pm_sql "$db" "SELECT count(*),
	(SELECT rtt_ns - owd_fwd_ns - owd_bwd_ns AS g $owd ORDER BY g LIMIT 1 OFFSET (SELECT count(*) / 2 $owd)),
	max(rtt_ns - owd_fwd_ns - owd_bwd_ns), min(owd_fwd_ns) $owd" | tr '|' ' ')
[[ $n_owd -gt 0 && $gap_med =~ ^-?[0-9]+$ ]] || fail "no one-way figures to compare (got '$n_owd $gap_med')"
late_med=$(sed -n 's/^timer: sends late by median \([0-9.]*\) us.*/\1/p' "$PM_TMP/both.out")
allow=$(awk -v l="${late_med:-0}" 'BEGIN { a = l * 1000; if (a < 10000) a = 10000; printf "%.0f", a }')
((gap_med <= allow)) ||
	fail "median of RTT - forward - backward is $gap_med ns (expected <= $allow ns, the run's median" \
		"timer lateness ${late_med:-?} us or 10 us): the delays do not start where the RTT does"
# pktmon-report export carries them.
"$PM_REPORT" --db "$db" export --format csv >"$PM_TMP/export.csv" ||
	fail "pktmon-report export failed"
expect_eq "export header" "session_id,seq,sent_ns,sent_utc,rtt_ns,fate,dups,ttl,owd_fwd_ns,owd_bwd_ns" \
	"$(head -n 1 "$PM_TMP/export.csv")"
expect_eq "exported rows with both one-way delays" 100 \
	"$(awk -F, 'NR > 1 && $9 != "" && $10 != ""' "$PM_TMP/export.csv" | wc -l)"
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
pass "one-way delays on 100/100 with both clocks synced, each within its RTT (RTT - fwd - bwd:" \
	"median $gap_med ns, max $gap_max ns; lowest fwd $fwd_min ns), none otherwise"
