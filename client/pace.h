/*
 * pace: the probe schedule. Absolute deadlines (start + k * interval), so
 * timer latency never accumulates into drift; optional Poisson spacing
 * (exponential gaps with the interval as mean, RFC 2330 style) so probes
 * do not phase-lock with periodic events on the path. Measures how late
 * each send ran. Slots a little past (at high rates a timer wake-up covers
 * several) are sent together; slots more than an interval (at least 1 ms)
 * past are skipped and counted, never sent in a burst after a stall.
 * Pure: times come in.
 */
#ifndef PM_PACE_H
#define PM_PACE_H

#include <stdint.h>
#include "rttstats.h"

struct pace {
	int64_t next;		/* next deadline, monotonic ns */
	int64_t interval;
	int poisson;
	uint64_t rng;		/* xorshift64* state */
	struct rttstats late;	/* how late each send ran, ns */
	uint64_t missed;	/* deadlines skipped */
};

void pace_init(struct pace *s, int64_t start, int64_t interval, int poisson,
    uint64_t seed);
void pace_set_interval(struct pace *s, int64_t interval);
/*
 * The timer fired at now: how many probes to send (at most cap), with the
 * lateness of each recorded; s->next is then the next deadline after now.
 */
unsigned pace_due(struct pace *s, int64_t now, unsigned cap);

#endif
