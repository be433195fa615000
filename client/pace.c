/*
 * pace: deadlines, lateness and exponential gaps.
 */
#include <math.h>

#include "pace.h"

#define PACE_STALE_NS 1000000LL	/* 1 ms */

void
pace_init(struct pace *s, int64_t start, int64_t interval, int poisson,
    uint64_t seed)
{
	s->next = start;
	s->interval = interval;
	s->poisson = poisson;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	s->missed = 0;
	rtt_init(&s->late);
}

void
pace_set_interval(struct pace *s, int64_t interval)
{
	s->interval = interval;
}

static double
uniform01(struct pace *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	/* 53 random bits in (0, 1]: never 0, so log() stays finite. */
	return ((double)((s->rng * 0x2545f4914f6cdd1dULL) >> 11) + 1.0) /
	    9007199254740992.0;
}

static int64_t
gap(struct pace *s)
{
	if (!s->poisson)
		return s->interval;
	return (int64_t)(-log(uniform01(s)) * (double)s->interval) + 1;
}

unsigned
pace_due(struct pace *s, int64_t now, unsigned cap)
{
	int64_t stale = s->interval > PACE_STALE_NS ? s->interval : PACE_STALE_NS;
	unsigned n = 0;

	for (; s->next <= now; s->next += gap(s)) {
		/* A slot long past (a stall) is skipped, not sent in a burst; a
		 * few just past (timer granularity at high rates) are sent. */
		if (now - s->next > stale || n >= cap) {
			s->missed++;
			continue;
		}
		rtt_add(&s->late, now - s->next);
		n++;
	}
	return n;
}
