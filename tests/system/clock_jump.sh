#!/bin/bash
# The client's wall clock (CLOCK_REALTIME) steps back 1 h, then forward 2 h,
# while it probes every 20 ms (T34). RTTs and loss timeouts run on the
# monotonic clock, so: no negative RTT, no RTT near an hour, no false loss.
# The stored send times show both steps, which proves the steps happened.
#
# The steps come from a small LD_PRELOAD library built here that adds an
# offset, read from a file, to CLOCK_REALTIME readings (clock_gettime,
# gettimeofday, time) and leaves every other clock and every timer alone, as
# a real step does. libfaketime is not used: with FAKETIME_DONT_FAKE_MONOTONIC
# it still rewrites absolute CLOCK_MONOTONIC timerfd deadlines as wall-clock
# times (0.9.10 moves a deadline 1 s ahead to 0 s or 3601 s ahead at +-1 h),
# which stalls or floods any epoll + timerfd loop on its own.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pki.sh"
pm_init clock-jump 50
pm_need_binaries "$PM_SERVER" "$PM_CLIENT"
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip "no C compiler ($cc) to build the clock-offset preload library"

cat >"$PM_TMP/clockshift.c" <<'C'
/* CLOCK_REALTIME + the whole seconds in $CLOCK_SHIFT_FILE (re-read every 10 ms). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long shift_s, next_read_ns;

static int
real_clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*fn)(clockid_t, struct timespec *);

	if (fn == NULL)
		fn = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	return fn(id, ts);
}

static long long
shift(void)
{
	const char *path = getenv("CLOCK_SHIFT_FILE");
	struct timespec now;
	long long v, now_ns;
	FILE *f;

	real_clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
	if (path == NULL || now_ns < __atomic_load_n(&next_read_ns, __ATOMIC_RELAXED))
		return __atomic_load_n(&shift_s, __ATOMIC_RELAXED);
	__atomic_store_n(&next_read_ns, now_ns + 10000000LL, __ATOMIC_RELAXED);
	if ((f = fopen(path, "re")) != NULL) {
		if (fscanf(f, "%lld", &v) == 1)
			__atomic_store_n(&shift_s, v, __ATOMIC_RELAXED);
		fclose(f);
	}
	return __atomic_load_n(&shift_s, __ATOMIC_RELAXED);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = real_clock_gettime(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += shift();
	return r;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
C
"$cc" -shared -fPIC -O2 -o "$PM_TMP/clockshift.so" "$PM_TMP/clockshift.c" -ldl 2>"$PM_TMP/cc.err" ||
	fail "cannot build the clock-offset preload library: $(head -n 3 "$PM_TMP/cc.err")"

pki_make
port=$(pm_free_port 127.0.0.1)
pm_start_server - "127.0.0.1:$port"

shift_file=$PM_TMP/clock-shift
echo 0 >"$shift_file"
db=$PM_TMP/history.db
count=150
mapfile -t certs < <(pm_client_args)
# A sanitizer runtime linked in dynamically wants to be first in the preload
# order; this library only wraps libc's clock reads, so that check may go.
LD_PRELOAD=$PM_TMP/clockshift.so CLOCK_SHIFT_FILE=$shift_file \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	timeout 40 "$PM_CLIENT" "${certs[@]}" --server "127.0.0.1:$port" --db "$db" \
	-c "$count" -i 0.02 --json >"$PM_TMP/client.json" 2>"$PM_TMP/client.err" &
client=$!
pm_track "$client"
sleep 1
echo -3600 >"$shift_file"
sleep 1
echo +3600 >"$shift_file"
rc=0
wait "$client" || rc=$?

pm_json_load "$PM_TMP/client.json" C
expect_eq "client JSON sent" "$count" "${C[sent]-missing}"
expect_eq "client JSON lost (no false loss across the steps)" 0 "${C[lost]-missing}"
expect_eq "client JSON received" "$count" "${C[received]-missing}"
expect_eq "client exit status" 0 "$rc"

# Both steps are in the stored send times (else the test proved nothing).
read -r back fwd <<<"$(pm_sql "$db" "SELECT min(d), max(d) FROM (SELECT sent_ns -
	lag(sent_ns) OVER (ORDER BY session_id, seq) AS d FROM probes)" | tr '|' ' ')"
[[ $back =~ ^-?[0-9]+$ && $fwd =~ ^-?[0-9]+$ ]] || fail "cannot read the stored send times (got '$back' '$fwd')"
((back < -3500000000000)) ||
	fail "expected a step of about -3600 s between stored send times, smallest step was $((back / 1000000)) ms"
((fwd > 7000000000000)) ||
	fail "expected a step of about +7200 s between stored send times, largest step was $((fwd / 1000000)) ms"

expect_eq "rows in probes" "$count" "$(pm_sql "$db" 'SELECT count(*) FROM probes')"
expect_eq "probes not answered (fate != 0)" 0 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE fate != 0')"
expect_eq "probes with a negative RTT" 0 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE rtt_ns < 0')"
expect_eq "probes without an RTT" 0 "$(pm_sql "$db" 'SELECT count(*) FROM probes WHERE rtt_ns IS NULL')"
max_rtt=$(pm_sql "$db" 'SELECT max(rtt_ns) FROM probes')
((max_rtt < 1000000000)) || fail "largest RTT on loopback: expected < 1 s, got $((max_rtt / 1000000)) ms"
for k in min max; do
	v=${C[rtt_ns.$k]-missing}
	if ! [[ $v =~ ^[0-9]+$ ]] || ((v >= 1000000000)); then
		fail "client JSON rtt_ns.$k: expected 0 <= RTT < 1 s, got $v"
	fi
done

pm_stop_server
pm_check_sanitizers
pass "steps of $((back / 1000000000)) s and +$((fwd / 1000000000)) s: $count/$count answered," \
	"RTT ${C[rtt_ns.min]}..${C[rtt_ns.max]} ns"
