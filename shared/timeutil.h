/*
 * timeutil: clocks in nanoseconds and NTP timestamp conversion.
 * Deadlines and durations use the monotonic clock; only stored or
 * on-the-wire timestamps use the wall clock.
 */
#ifndef PM_TIMEUTIL_H
#define PM_TIMEUTIL_H

#include <stdint.h>

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000LL
#define NS_PER_US 1000LL

int64_t mono_ns(void);
int64_t wall_ns(void);
/*
 * The monotonic and wall clocks read as one instant: the wall clock is read
 * on both sides of the monotonic one and the tightest of a few tries is
 * kept, its midpoint as the wall time. A preemption between two plain
 * reads would otherwise shift every time converted from one clock to the
 * other by its length.
 */
void clock_pair(int64_t *mono, int64_t *wall);

/* NTP 64-bit (32.32 since 1900) <-> Unix ns. Pure. */
uint64_t ntp_from_unix_ns(int64_t ns);
int64_t ntp_to_unix_ns(uint64_t ntp);

/* "2026-11-25 10:00:00Z" style, UTC, into buf. Returns buf. */
char *fmt_utc(int64_t unix_ns, char *buf, unsigned len);

#endif
