/*
 * pace: deadlines, lateness and exponential gaps.
 */
#include <math.h>

#include "pace.h"

#define PACE_STALE_NS 1000000LL	/* 1 ms */

static int64_t
clamp_interval(int64_t interval)
{
	if (interval < PACE_INTERVAL_MIN_NS)
		return PACE_INTERVAL_MIN_NS;
	return interval > PACE_INTERVAL_MAX_NS ? PACE_INTERVAL_MAX_NS : interval;
}

void
pace_init(struct pace *s, int64_t start, int64_t interval, int poisson,
    uint64_t seed)
{
	s->next = start;
	s->interval = clamp_interval(interval);
	s->poisson = poisson;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	s->missed = 0;
	rtt_init(&s->late);
}

void
pace_set_interval(struct pace *s, int64_t interval)
{
	s->interval = clamp_interval(interval);
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

/*
 * Skip every slot before `before` in one step: one at a time, a stall of an
 * hour at 10 us would take 360 million turns of the loop in pace_due while
 * the deadline and the signals wait.
 */
static void
skip_stale(struct pace *s, int64_t before)
{
	uint64_t k;

	if (s->next >= before)
		return;
	/* Slots next + j * interval < before, for j = 0, 1, ... */
	k = (uint64_t)((before - s->next - 1) / s->interval) + 1;
	s->missed += k;
	if (!s->poisson)
		s->next += (int64_t)k * s->interval;
	else	/* exponential gaps have no memory: restart the chain */
		s->next = before + gap(s);
}

unsigned
pace_due(struct pace *s, int64_t now, unsigned cap)
{
	int64_t stale = s->interval > PACE_STALE_NS ? s->interval : PACE_STALE_NS;
	unsigned n = 0;

	/* Slots long past (a stall) are skipped, not sent in a burst; a few
	 * just past (timer granularity at high rates) are sent, up to cap. */
	skip_stale(s, now - stale);
	for (; s->next <= now; s->next += gap(s)) {
		if (n >= cap) {
			s->missed++;
			continue;
		}
		rtt_add(&s->late, now - s->next);
		n++;
	}
	return n;
}
