/*
 * rttstats: HDR-style binning. Bin b < 64 holds the value b exactly; above,
 * each power of two is split into 64 equal sub-bins.
 */
#include <math.h>
#include <string.h>

#include "rttstats.h"

void
rtt_init(struct rttstats *s)
{
	memset(s, 0, sizeof(*s));
	s->min = INT64_MAX;
	s->max = -1;
}

static unsigned
bin_of(uint64_t v)
{
	unsigned e;

	if (v < RTT_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);	/* >= 6 */
	return RTT_SUB + (e - 6) * RTT_SUB + (unsigned)((v >> (e - 6)) & (RTT_SUB - 1));
}

/* The middle of bin b. */
static int64_t
bin_value(unsigned b)
{
	unsigned e, sub;
	uint64_t lo, width;

	if (b < RTT_SUB)
		return b;
	e = (b - RTT_SUB) / RTT_SUB + 6;
	sub = (b - RTT_SUB) % RTT_SUB;
	width = 1ULL << (e - 6);
	lo = (1ULL << e) + sub * width;
	return (int64_t)(lo + width / 2);
}

void
rtt_add(struct rttstats *s, int64_t ns)
{
	unsigned b;

	if (ns < 0)
		ns = 0;
	b = bin_of((uint64_t)ns);
	if (b >= RTT_BINS)
		b = RTT_BINS - 1;
	s->bins[b]++;
	s->n++;
	s->sum += (double)ns;
	s->sumsq += (double)ns * (double)ns;
	if (ns < s->min)
		s->min = ns;
	if (ns > s->max)
		s->max = ns;
}

int64_t
rtt_quantile(const struct rttstats *s, double q)
{
	uint64_t rank, seen = 0;
	int64_t v;
	unsigned b;

	if (s->n == 0)
		return -1;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	rank = (uint64_t)(q * (double)s->n);
	if ((double)rank < q * (double)s->n)
		rank++;
	for (b = 0; b < RTT_BINS; b++) {
		seen += s->bins[b];
		if (seen >= rank)
			break;
	}
	v = bin_value(b < RTT_BINS ? b : RTT_BINS - 1);
	return v < s->min ? s->min : v > s->max ? s->max : v;
}

double
rtt_mean(const struct rttstats *s)
{
	return s->n ? s->sum / (double)s->n : 0.0;
}

double
rtt_mdev(const struct rttstats *s)
{
	double m, v;

	if (s->n == 0)
		return 0.0;
	m = s->sum / (double)s->n;
	v = s->sumsq / (double)s->n - m * m;
	return v > 0 ? sqrt(v) : 0.0;
}
