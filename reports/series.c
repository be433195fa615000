/*
 * series: streaming per-bucket aggregation of probes. Pure.
 */
#include <stdlib.h>
#include <string.h>

#include "series.h"

struct series {
	struct scale_grid grid;
	struct series_bucket *b;	/* grid.count buckets */
	uint64_t *hist;			/* grid.count x scale_rtt_coarse.count */
	struct series_bucket total;
	/* The current run of consecutive losses. */
	int have_last;			/* a probe was seen: the two below are set */
	int64_t last_session;
	int64_t last_seq;
	int64_t run_first_ns;
	int64_t run_last_ns;
	uint64_t run_len;
	uint64_t fine[];		/* scale_rtt_fine.count */
};

void
series_bucket_init(struct series_bucket *b)
{
	memset(b, 0, sizeof(*b));
	b->rtt_min = b->rtt_max = -1;
}

struct series *
series_new(const struct scale_grid *grid)
{
	struct series *s;
	size_t n = (size_t)grid->count;
	size_t i;

	s = calloc(1, sizeof(*s) + sizeof(uint64_t) * (size_t)scale_rtt_fine.count);
	if (s == NULL)
		return NULL;
	s->grid = *grid;
	s->b = calloc(n ? n : 1, sizeof(*s->b));
	s->hist = calloc(n ? n : 1, sizeof(uint64_t) * (size_t)scale_rtt_coarse.count);
	if (s->b == NULL || s->hist == NULL) {
		series_free(s);
		return NULL;
	}
	for (i = 0; i < n; i++)
		series_bucket_init(&s->b[i]);
	series_bucket_init(&s->total);
	return s;
}

void
series_free(struct series *s)
{
	if (s == NULL)
		return;
	free(s->b);
	free(s->hist);
	free(s);
}

void
series_bucket_add(struct series_bucket *b, const struct rec_probe *p)
{
	if ((unsigned)p->fate >= REC_FATES)
		return;
	b->fate[p->fate]++;
	b->dups += p->dups;
	if (p->rtt_ns < 0)
		return;
	b->rtts++;
	if (b->rtt_min < 0 || p->rtt_ns < b->rtt_min)
		b->rtt_min = p->rtt_ns;
	if (p->rtt_ns > b->rtt_max)
		b->rtt_max = p->rtt_ns;
}

/* a + b for durations, held at INT64_MAX: outages of many sessions overlap. */
static int64_t
add_sat(int64_t a, int64_t b)
{
	int64_t sum;

	return __builtin_add_overflow(a, b, &sum) ? INT64_MAX : sum;
}

/* Credit each bucket with the part of the outage [a, b] (a <= b) that it covers. */
static void
mark_outage(struct series *s, int64_t a, int64_t b)
{
	const struct scale_grid *g = &s->grid;
	int64_t i, t, lo, hi;

	s->total.outage_ns = add_sat(s->total.outage_ns, b - a);
	if (b < g->start || a >= g->start + g->width * g->count)
		return;
	for (i = a < g->start ? 0 : (a - g->start) / g->width;
	    i < g->count && g->start + i * g->width <= b; i++) {
		t = g->start + i * g->width;
		lo = a > t ? a : t;
		hi = b < t + g->width ? b : t + g->width;
		/* An outage that only touches a bucket still marks it. */
		s->b[i].outage_ns = add_sat(s->b[i].outage_ns, hi > lo ? hi - lo : 1);
	}
}

void
series_finish(struct series *s)
{
	/* Send times out of order (a clock step, a damaged row) make no outage,
	 * nor does a span no int64_t holds. */
	uint64_t span = (uint64_t)s->run_last_ns - (uint64_t)s->run_first_ns;

	if (s->run_len >= SERIES_OUTAGE_PROBES && s->run_last_ns >= s->run_first_ns &&
	    span >= SERIES_OUTAGE_NS && span <= INT64_MAX)
		mark_outage(s, s->run_first_ns, s->run_last_ns);
	s->run_len = 0;
}

static void
track_run(struct series *s, const struct rec_probe *p)
{
	/* Unsigned: the sequence after INT64_MAX is INT64_MIN, not overflow. */
	int next = s->have_last && p->session_id == s->last_session &&
	    (uint64_t)p->seq == (uint64_t)s->last_seq + 1;

	s->have_last = 1;
	s->last_session = p->session_id;
	s->last_seq = p->seq;
	if (rec_fate_received(p->fate) || !next)
		series_finish(s);
	if (rec_fate_received(p->fate))
		return;
	if (s->run_len++ == 0)
		s->run_first_ns = p->sent_ns;
	s->run_last_ns = p->sent_ns;
}

/*
 * The coarse bin from the fine one, saving a logarithm per probe: every
 * coarse edge is a fine edge, as 10 fine bins make one coarse bin.
 */
static int
coarse_bin(int fine)
{
	const int per = scale_rtt_fine.per_decade / scale_rtt_coarse.per_decade;

	if (fine == 0)
		return 0;
	if (fine == scale_rtt_fine.count - 1)
		return scale_rtt_coarse.count - 1;
	return 1 + (fine - 1) / per;
}

void
series_add(struct series *s, const struct rec_probe *p)
{
	int i, fine = 0;

	if ((unsigned)p->fate >= REC_FATES)
		return;
	track_run(s, p);
	series_bucket_add(&s->total, p);
	if (p->rtt_ns >= 0)
		s->fine[fine = scale_logbin(&scale_rtt_fine, p->rtt_ns)]++;
	if ((i = scale_grid_index(&s->grid, p->sent_ns)) < 0)
		return;
	series_bucket_add(&s->b[i], p);
	if (p->rtt_ns >= 0)
		s->hist[(size_t)i * (size_t)scale_rtt_coarse.count +
		    (size_t)coarse_bin(fine)]++;
}

const struct scale_grid *
series_grid(const struct series *s)
{
	return &s->grid;
}

const struct series_bucket *
series_bucket(const struct series *s, int i)
{
	return i < 0 ? &s->total : &s->b[i];
}

const uint64_t *
series_fine_hist(const struct series *s)
{
	return s->fine;
}

uint64_t
series_sent(const struct series_bucket *b)
{
	uint64_t n = 0;
	int f;

	for (f = 0; f < REC_FATES; f++)
		n += b->fate[f];
	return n;
}

uint64_t
series_received(const struct series_bucket *b)
{
	return b->fate[REC_ANSWERED] + b->fate[REC_REORDERED] + b->fate[REC_LATE];
}

uint64_t
series_lost(const struct series_bucket *b)
{
	return b->fate[REC_LOST_FORWARD] + b->fate[REC_LOST_BACKWARD] + b->fate[REC_LOST] +
	    b->fate[REC_UNSENT];
}

int64_t
series_quantile(const struct series *s, int i, double q)
{
	const struct series_bucket *b = series_bucket(s, i);
	const struct scale_logbins *bins = i < 0 ? &scale_rtt_fine : &scale_rtt_coarse;
	const uint64_t *h = i < 0 ? s->fine :
	    &s->hist[(size_t)i * (size_t)scale_rtt_coarse.count];

	return scale_quantile(bins, h, b->rtts, q, b->rtt_min, b->rtt_max);
}
