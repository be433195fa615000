/*
 * scale: axis, bucket, histogram and label arithmetic for the graphs.
 * Pure: the only library calls are libm and the calendar arithmetic of
 * gmtime_r/timegm, which read no clock.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "scale.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 1970-01-01 was a Thursday: weekly ticks start on Mondays, 4 days later. */
#define MONDAY_OFFSET (4 * DAY)

const struct scale_logbins scale_rtt_coarse = { 1e3, 50, 8 * 50 + 2 };
const struct scale_logbins scale_rtt_fine = { 1e3, 500, 8 * 500 + 2 };

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

double
scale_nice_ceil(double v)
{
	static const double mult[] = { 1, 2, 5, 10 };
	double base = pow(10, floor(log10(v)));
	size_t i;

	for (i = 0; i < sizeof(mult) / sizeof(mult[0]); i++)
		if (mult[i] * base >= v * (1 - 1e-9))
			return mult[i] * base;
	return 10 * base;
}

static int
tick_count(double lo, double hi, double step)
{
	return (int)(floor(hi / step + 1e-9) - ceil(lo / step - 1e-9)) + 1;
}

int
scale_ticks(double lo, double hi, int max_ticks, struct scale_ticks *out)
{
	double step, finer;

	if (!(hi > lo) || max_ticks < 2 || !isfinite(hi - lo))
		return PM_E_RANGE;
	/* The step that surely fits, or the next finer one if alignment lets it. */
	step = scale_nice_ceil((hi - lo) / (max_ticks - 1));
	finer = scale_nice_ceil(step * 0.4);
	if (finer < step && tick_count(lo, hi, finer) <= max_ticks)
		step = finer;
	out->step = step;
	out->first = ceil(lo / step - 1e-9) * step;
	out->count = tick_count(lo, hi, step);
	out->decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	return 0;
}

void
scale_fmt_value(double v, int decimals, char *buf, size_t len)
{
	if (fabs(v) < pow(10, -decimals) / 2)
		v = 0;		/* never print "-0" */
	snprintf(buf, len, "%.*f", decimals, v);
}

/* Time steps from finest to coarsest; months != 0 steps by calendar months. */
static const struct {
	int64_t ns;
	int months;
	enum scale_tfmt fmt;
} tsteps[] = {
	{ 100 * MS, 0, SCALE_TF_SUBSEC }, { 200 * MS, 0, SCALE_TF_SUBSEC },
	{ 500 * MS, 0, SCALE_TF_SUBSEC }, { SEC, 0, SCALE_TF_SEC },
	{ 2 * SEC, 0, SCALE_TF_SEC }, { 5 * SEC, 0, SCALE_TF_SEC },
	{ 10 * SEC, 0, SCALE_TF_SEC }, { 15 * SEC, 0, SCALE_TF_SEC },
	{ 30 * SEC, 0, SCALE_TF_SEC }, { MIN, 0, SCALE_TF_MIN },
	{ 2 * MIN, 0, SCALE_TF_MIN }, { 5 * MIN, 0, SCALE_TF_MIN },
	{ 10 * MIN, 0, SCALE_TF_MIN }, { 15 * MIN, 0, SCALE_TF_MIN },
	{ 30 * MIN, 0, SCALE_TF_MIN }, { HOUR, 0, SCALE_TF_MIN },
	{ 2 * HOUR, 0, SCALE_TF_MIN }, { 3 * HOUR, 0, SCALE_TF_MIN },
	{ 6 * HOUR, 0, SCALE_TF_MIN }, { 12 * HOUR, 0, SCALE_TF_MIN },
	{ DAY, 0, SCALE_TF_DAY }, { 2 * DAY, 0, SCALE_TF_DAY },
	{ 7 * DAY, 0, SCALE_TF_DAY }, { 0, 1, SCALE_TF_MONTH },
	{ 0, 2, SCALE_TF_MONTH }, { 0, 3, SCALE_TF_MONTH },
	{ 0, 6, SCALE_TF_MONTH }, { 0, 12, SCALE_TF_YEAR },
	{ 0, 24, SCALE_TF_YEAR }, { 0, 60, SCALE_TF_YEAR },
	{ 0, 120, SCALE_TF_YEAR },
};
#define NTSTEPS (sizeof(tsteps) / sizeof(tsteps[0]))

static int64_t
tstep_len(size_t i)
{
	/* A month is counted as its average length only to choose the step. */
	return tsteps[i].months ? tsteps[i].months * (DAY * 3044 / 100) : tsteps[i].ns;
}

/* Ticks stop short of the ends of int64_t rather than overflow there. */
static void
ns_ticks(int64_t lo, int64_t hi, int64_t step, struct scale_tticks *out)
{
	int64_t off = step == 7 * DAY ? MONDAY_OFFSET : 0;
	int64_t t;

	out->count = 0;
	if (__builtin_sub_overflow(lo, off + 1, &t) ||
	    __builtin_mul_overflow(floor_div(t, step) + 1, step, &t) ||
	    __builtin_add_overflow(t, off, &t))
		return;
	while (t <= hi && out->count < SCALE_MAX_TICKS) {
		out->t[out->count++] = t;
		if (__builtin_add_overflow(t, step, &t))
			break;
	}
}

static void
month_ticks(int64_t lo, int64_t hi, int months, struct scale_tticks *out)
{
	time_t s = (time_t)floor_div(lo, SEC);
	struct tm tm;
	int64_t t;

	out->count = 0;
	if (gmtime_r(&s, &tm) == NULL)
		return;
	tm.tm_mon -= (tm.tm_year * 12 + tm.tm_mon) % months;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	for (; out->count < SCALE_MAX_TICKS; tm.tm_mon += months) {
		struct tm c = tm;

		/* No month start is -1; that is timegm's failure. */
		if ((s = timegm(&c)) == -1 ||
		    __builtin_mul_overflow((int64_t)s, SEC, &t) || t > hi)
			break;
		if (t >= lo)
			out->t[out->count++] = t;
	}
}

int
scale_time_ticks(int64_t lo, int64_t hi, int max_ticks, struct scale_tticks *out)
{
	uint64_t span;
	size_t i;

	if (hi <= lo || max_ticks < 1)
		return PM_E_RANGE;
	if (max_ticks > SCALE_MAX_TICKS)
		max_ticks = SCALE_MAX_TICKS;
	span = (uint64_t)hi - (uint64_t)lo;
	for (i = 0; i + 1 < NTSTEPS; i++)
		if (span / (uint64_t)tstep_len(i) + 1 <= (uint64_t)max_ticks)
			break;
	out->fmt = tsteps[i].fmt;
	if (tsteps[i].months)
		month_ticks(lo, hi, tsteps[i].months, out);
	else
		ns_ticks(lo, hi, tsteps[i].ns, out);
	return 0;
}

static void
utc_tm(int64_t t, struct tm *tm)
{
	time_t s = (time_t)floor_div(t, SEC);

	gmtime_r(&s, tm);
}

void
scale_time_label(int64_t t, int64_t prev, enum scale_tfmt fmt, char *main,
    char *context, size_t len)
{
	struct tm tm, ptm;
	int newday, newyear;

	utc_tm(t, &tm);
	utc_tm(prev < 0 ? t : prev, &ptm);
	newyear = prev < 0 || tm.tm_year != ptm.tm_year;
	newday = newyear || tm.tm_yday != ptm.tm_yday;
	context[0] = '\0';
	switch (fmt) {
	case SCALE_TF_SUBSEC:
		strftime(main, len, "%H:%M:%S", &tm);
		snprintf(main + strlen(main), len - strlen(main), ".%d",
		    (int)((t % SEC + SEC) % SEC / (100 * MS)));
		break;
	case SCALE_TF_SEC:
		strftime(main, len, "%H:%M:%S", &tm);
		break;
	case SCALE_TF_MIN:
		strftime(main, len, "%H:%M", &tm);
		break;
	case SCALE_TF_DAY:
		strftime(main, len, "%b %d", &tm);
		break;
	case SCALE_TF_MONTH:
		strftime(main, len, "%b", &tm);
		break;
	case SCALE_TF_YEAR:
		strftime(main, len, "%Y", &tm);
		return;
	}
	if (fmt >= SCALE_TF_DAY ? newyear : newday)
		strftime(context, len, fmt >= SCALE_TF_DAY ? "%Y" : "%Y-%m-%d", &tm);
}

static const int64_t bucket_widths[] = {
	MS, 2 * MS, 5 * MS, 10 * MS, 20 * MS, 50 * MS, 100 * MS, 200 * MS,
	500 * MS, SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN,
	2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR,
	3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY,
};

/* The round width at least need; 0 when whole days that long overflow. */
static int64_t
bucket_width(uint64_t need)
{
	uint64_t days;
	size_t i;

	for (i = 0; i < sizeof(bucket_widths) / sizeof(bucket_widths[0]); i++)
		if ((uint64_t)bucket_widths[i] >= need)
			return bucket_widths[i];
	days = need / DAY + (need % DAY != 0);
	return days <= INT64_MAX / DAY ? (int64_t)days * DAY : 0;
}

/* The grid from start in buckets of width up to hi, if its end fits. */
static int
grid_fits(int64_t start, int64_t hi, int64_t width, struct scale_grid *out)
{
	uint64_t span = (uint64_t)hi - (uint64_t)start;
	uint64_t count = span / (uint64_t)width + (span % (uint64_t)width != 0);
	int64_t end;

	if (count > INT_MAX || __builtin_mul_overflow((int64_t)count, width, &end) ||
	    __builtin_add_overflow(start, end, &end))
		return 0;
	out->start = start;
	out->width = width;
	out->count = (int)count;
	return 1;
}

/*
 * Spans are unsigned: hi - lo of any two int64_t fits a uint64_t. Every
 * bucket edge start + i * width of a grid fits an int64_t: where the round,
 * aligned grid would not (buckets of centuries near the ends of the int64_t
 * range) the buckets start at lo and are exactly as wide as needed, and
 * where even those would pass the end, one bucket is the whole range.
 */
int
scale_grid(int64_t lo, int64_t hi, int max_buckets, int64_t min_width,
    struct scale_grid *out)
{
	uint64_t span, need;
	int64_t width, start;

	if (hi <= lo || max_buckets < 1)
		return PM_E_RANGE;
	span = (uint64_t)hi - (uint64_t)lo;
	need = span / (unsigned)max_buckets + (span % (unsigned)max_buckets != 0);
	if (min_width > 0 && need < (uint64_t)min_width)
		need = (uint64_t)min_width;
	/* Aligning the start may add one bucket beyond max_buckets. */
	if ((width = bucket_width(need)) != 0 &&
	    !__builtin_mul_overflow(floor_div(lo, width), width, &start) &&
	    grid_fits(start, hi, width, out))
		return 0;
	if (need <= INT64_MAX && grid_fits(lo, hi, (int64_t)need, out))
		return 0;
	return span <= INT64_MAX && grid_fits(lo, hi, (int64_t)span, out) ? 0 :
	    PM_E_RANGE;
}

int
scale_grid_index(const struct scale_grid *g, int64_t t)
{
	int64_t i;

	if (t < g->start)
		return -1;
	i = (t - g->start) / g->width;
	return i < g->count ? (int)i : -1;
}

int64_t
scale_logbin_edge(const struct scale_logbins *b, int i)
{
	if (i <= 0)
		return 0;
	if (i >= b->count)
		return INT64_MAX;
	return (int64_t)ceil(b->lo * pow(10, (double)(i - 1) / b->per_decade));
}

int
scale_logbin(const struct scale_logbins *b, int64_t v)
{
	double x, frac;
	int i;

	if ((double)v < b->lo)
		return 0;
	x = log10((double)v / b->lo) * b->per_decade;
	i = x >= b->count - 2 ? b->count - 1 : 1 + (int)x;
	frac = x - floor(x);
	if (frac > 1e-6 && frac < 1 - 1e-6 && x < b->count - 1)
		return i;
	/* Near an edge, decide on the integer edges query.c also uses. */
	while (i > 1 && v < scale_logbin_edge(b, i))
		i--;
	while (i < b->count - 1 && v >= scale_logbin_edge(b, i + 1))
		i++;
	return i;
}

uint64_t
scale_rank(uint64_t n, double q)
{
	double r = ceil(q * (double)n - 1e-9);

	if (r < 1)
		return 1;
	return r > (double)n ? n : (uint64_t)r;
}

int
scale_rank_bin(const struct scale_logbins *b, const uint64_t *hist,
    uint64_t rank, uint64_t *below)
{
	uint64_t cum = 0;
	int i;

	for (i = 0; i < b->count - 1; i++) {
		if (cum + hist[i] >= rank)
			break;
		cum += hist[i];
	}
	*below = cum;
	return i;
}

int64_t
scale_quantile(const struct scale_logbins *b, const uint64_t *hist,
    uint64_t n, double q, int64_t min, int64_t max)
{
	double lo, hi, frac, v;
	uint64_t below;
	int i;

	if (n == 0)
		return -1;
	if (q <= 0)
		return min;
	if (q >= 1)
		return max;
	i = scale_rank_bin(b, hist, scale_rank(n, q), &below);
	lo = fmax((double)scale_logbin_edge(b, i), (double)min);
	hi = fmin((double)scale_logbin_edge(b, i + 1), (double)max);
	frac = hist[i] ? ((double)(scale_rank(n, q) - below) - 0.5) / (double)hist[i] : 0;
	if (lo > 0 && hi > lo)
		v = lo * pow(hi / lo, frac);
	else
		v = lo + (hi - lo) * frac;
	/* Compared before rounding: (double)INT64_MAX is 2^63, past int64_t. */
	if (!(v > (double)min))
		return min;
	if (v >= (double)max)
		return max;
	return (int64_t)llround(v);
}

/* Widths and edges that do not fit an int64_t are refused (PM_E_RANGE). */
int
scale_linbins(int64_t lo, int64_t hi, int want, struct scale_linbins *out)
{
	uint64_t span, count;
	int64_t start, end;
	double w;

	if (hi < lo || want < 1)
		return PM_E_RANGE;
	span = (uint64_t)hi - (uint64_t)lo;
	w = scale_nice_ceil(((double)span + 1) / want);
	if (!(w < 0x1p62))
		return PM_E_RANGE;
	out->width = w < 1 ? 1 : (int64_t)w;
	if (__builtin_mul_overflow(floor_div(lo, out->width), out->width, &start))
		return PM_E_RANGE;
	count = ((uint64_t)hi - (uint64_t)start) / (uint64_t)out->width + 1;
	if (count > INT_MAX || __builtin_mul_overflow((int64_t)count, out->width, &end) ||
	    __builtin_add_overflow(start, end, &end))
		return PM_E_RANGE;
	out->lo = start;
	out->count = (int)count;
	return 0;
}

int
scale_linbin(const struct scale_linbins *b, int64_t v)
{
	uint64_t i;

	if (v < b->lo)
		return -1;
	i = ((uint64_t)v - (uint64_t)b->lo) / (uint64_t)b->width;
	return i < (uint64_t)b->count ? (int)i : b->count;
}

enum scale_loss
scale_loss_class(uint64_t lost, uint64_t sent)
{
	if (lost == 0 || sent == 0)
		return SCALE_LOSS_NONE;
	if (lost >= sent)
		return SCALE_LOSS_TOTAL;
	if (lost * 50 <= sent)
		return SCALE_LOSS_LOW;
	if (lost * 10 <= sent)
		return SCALE_LOSS_MID;
	if (lost * 2 <= sent)
		return SCALE_LOSS_HIGH;
	return SCALE_LOSS_SEVERE;
}

static const struct {
	uint32_t rgba;
	const char *label;
} loss_classes[SCALE_LOSS_CLASSES] = {
	[SCALE_LOSS_NONE] = { 0x1a9850ff, "0 %" },
	[SCALE_LOSS_LOW] = { 0x2c7bb6ff, "\xe2\x89\xa4 2 %" },
	[SCALE_LOSS_MID] = { 0xd4a800ff, "\xe2\x89\xa4 10 %" },
	[SCALE_LOSS_HIGH] = { 0xf46d00ff, "\xe2\x89\xa4 50 %" },
	[SCALE_LOSS_SEVERE] = { 0x9e1a9eff, "< 100 %" },
	[SCALE_LOSS_TOTAL] = { 0xd7191cff, "100 % (outage)" },
};

uint32_t
scale_loss_rgba(enum scale_loss c)
{
	return c < SCALE_LOSS_CLASSES ? loss_classes[c].rgba : 0x000000ff;
}

const char *
scale_loss_label(enum scale_loss c)
{
	return c < SCALE_LOSS_CLASSES ? loss_classes[c].label : "?";
}

void
scale_least(double *parts, int n, double least)
{
	double h = 0, excess = 0, d;
	int i, k, nonzero = 0;

	for (i = 0; i < n; i++) {
		parts[i] = parts[i] > 0 ? parts[i] : 0;
		h += parts[i];
		nonzero += parts[i] > 0;
	}
	if (nonzero == 0)
		return;
	if (least * nonzero > h)
		least = h / nonzero;
	for (i = 0; i < n; i++) {
		if (parts[i] > 0 && parts[i] < least) {
			excess += least - parts[i];
			parts[i] = least;
		}
	}
	/* Each round either settles the excess or brings a part to least. */
	while (excess > 1e-9) {
		for (k = -1, i = 0; i < n; i++)
			if (parts[i] > least && (k < 0 || parts[i] > parts[k]))
				k = i;
		if (k < 0)
			break;
		d = fmin(excess, parts[k] - least);
		parts[k] -= d;
		excess -= d;
	}
}

void
scale_fmt_count(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, i, o = 0;

	nd = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	for (i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	if (len > 0)
		buf[o] = '\0';
}

void
scale_fmt_rtt(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 10 * 1000)
		snprintf(buf, len, "%.2f \xc2\xb5s", (double)ns / 1e3);
	else if (ns < MS)
		snprintf(buf, len, "%.0f \xc2\xb5s", (double)ns / 1e3);
	else if (ns < 100 * MS)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else if (ns < SEC)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}

void
scale_fmt_duration(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / SEC;

	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < SEC)
		snprintf(buf, len, "%lld ms", (long long)(ns / MS));
	else if (ns < MIN)
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
	else if (ns < HOUR)
		snprintf(buf, len, "%lld min %02lld s", (long long)(s / 60), (long long)(s % 60));
	else if (ns < DAY)
		snprintf(buf, len, "%lld h %02lld min", (long long)(s / 3600),
		    (long long)(s / 60 % 60));
	else
		snprintf(buf, len, "%lld d %02lld h", (long long)(s / 86400),
		    (long long)(s / 3600 % 24));
}
