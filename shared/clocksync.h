/*
 * clocksync: is the wall clock synchronised to UTC (by chrony, ntpd,
 * systemd-timesyncd ...), and how far off may it be? The kernel keeps the
 * answer (adjtimex); this module reads it at most once a second and turns
 * it into the STAMP Error Estimate both ends put on the wire. One-way delays
 * are only meaningful when both ends say S = 1 (RFC 8762 §4.1.1).
 */
#ifndef PM_CLOCKSYNC_H
#define PM_CLOCKSYNC_H

#include <stdint.h>

struct clocksync {
	int synced;		/* kernel says an external source disciplines it */
	uint64_t err_ns;	/* estimated error; a bound when not synced */
};

/*
 * The kernel's view, refreshed when the cached one is older than a second
 * (now_mono_ns: the caller's monotonic time). Not thread-safe: each process
 * asks from one thread.
 */
const struct clocksync *clocksync_get(int64_t now_mono_ns);
/* The STAMP Error Estimate for it. */
uint16_t clocksync_err_est(int64_t now_mono_ns);

/*
 * Pure: the kernel's adjtimex answer as a struct clocksync. state is the
 * return value (TIME_OK ... TIME_ERROR), status the STA_* bits, esterror
 * and maxerror in microseconds.
 */
void clocksync_from_timex(int state, int status, long esterror, long maxerror,
    struct clocksync *out);

#endif
