/*
 * pace: the probe schedule. Absolute deadlines (start + k * interval), so
 * timer latency never accumulates into drift; optional Poisson spacing
 * (exponential gaps with the interval as mean, RFC 2330 style) so probes
 * do not phase-lock with periodic events on the path. Measures how late
 * each send ran. Slots a little past (at high rates a timer wake-up covers
 * several) are sent together; slots more than an interval (at least 1 ms)
 * past are skipped and counted, never sent in a burst after a stall.
 * Pure: times come in.
 *
 * Intervals are held to the client's own -i range, whatever the caller
 * passes: a step of 0 would never move the schedule past now (the send
 * handler would spin, and with it the deadline and the signals), and one
 * near INT64_MAX would overflow the deadlines.
 */
#ifndef PM_PACE_H
#define PM_PACE_H

#include <stdint.h>
#include "rttstats.h"

#define PACE_INTERVAL_MIN_NS 10000LL		/* 10 us */
#define PACE_INTERVAL_MAX_NS 3600000000000LL	/* 3600 s */

struct pace {
	int64_t next;		/* next deadline, monotonic ns */
	int64_t interval;
	int poisson;
	uint64_t rng;		/* xorshift64* state */
	struct rttstats late;	/* how late each send ran, ns */
	uint64_t missed;	/* deadlines skipped */
};

/* interval is clamped to [PACE_INTERVAL_MIN_NS, PACE_INTERVAL_MAX_NS]. */
void pace_init(struct pace *s, int64_t start, int64_t interval, int poisson,
    uint64_t seed);
void pace_set_interval(struct pace *s, int64_t interval);
/*
 * The timer fired at now: how many probes to send (at most cap), with the
 * lateness of each recorded; s->next is then the next deadline after now.
 * The work is bounded whatever now is: slots long past are skipped in one
 * step (with Poisson gaps, their number is estimated).
 */
unsigned pace_due(struct pace *s, int64_t now, unsigned cap);

#endif
