/*
 * pace: the probe schedule. Absolute deadlines (start + k * interval), so
 * timer latency never accumulates into drift; optional Poisson spacing
 * (exponential gaps with the interval as mean, RFC 2330 style) so probes
 * do not phase-lock with periodic events on the path. Measures how late
 * each send ran and counts deadlines missed by more than an interval,
 * which are skipped rather than sent in a burst. Pure: times come in.
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
/* The timer fired at now: record lateness. */
void pace_fired(struct pace *s, int64_t now);
/* Compute and return the next deadline after now. */
int64_t pace_advance(struct pace *s, int64_t now);

#endif
