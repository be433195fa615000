/*
 * Unit tests for reports/scale.c: ticks, time labels, buckets, histogram
 * quantiles, loss classes and formats, as tables of inputs and answers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "scale.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 (1795600800LL * SEC)	/* 2026-11-25 10:00:00Z, a Wednesday */

static void
test_ticks_round_numbers(void **state)
{
	static const struct {
		double lo, hi;
		int max;
		double first, step;
		int count, decimals;
	} cases[] = {
		{ 0, 100, 6, 0, 20, 6, 0 },
		{ 0, 1, 11, 0, 0.1, 11, 1 },
		{ 0, 47.3, 10, 0, 5, 10, 0 },
		{ 3, 97, 5, 20, 20, 4, 0 },
		{ 0.013, 0.061, 6, 0.02, 0.01, 5, 2 },
		{ 0, 1234, 5, 0, 500, 3, 0 },
		{ 0, 18, 11, 0, 2, 10, 0 },
	};
	struct scale_ticks tk;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(scale_ticks(cases[i].lo, cases[i].hi, cases[i].max, &tk), 0);
		if (fabs(tk.first - cases[i].first) > 1e-9 || fabs(tk.step - cases[i].step) > 1e-9 ||
		    tk.count != cases[i].count || tk.decimals != cases[i].decimals)
			fail_msg("ticks [%g, %g] max %d: expected %g+%g x%d (%d dp), got %g+%g x%d (%d dp)",
			    cases[i].lo, cases[i].hi, cases[i].max, cases[i].first, cases[i].step,
			    cases[i].count, cases[i].decimals, tk.first, tk.step, tk.count, tk.decimals);
		assert_true(tk.count <= cases[i].max);
	}
	assert_int_equal(scale_ticks(5, 5, 10, &tk), PM_E_RANGE);
	assert_int_equal(scale_ticks(0, 1, 1, &tk), PM_E_RANGE);
}

static void
test_nice_ceil(void **state)
{
	static const double in[] = { 0.7, 1, 1.01, 2.5, 4.9, 5, 7, 0.0031, 120 };
	static const double out[] = { 1, 1, 2, 5, 5, 5, 10, 0.005, 200 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		if (fabs(scale_nice_ceil(in[i]) - out[i]) > 1e-12)
			fail_msg("nice_ceil(%g): expected %g, got %g", in[i], out[i],
			    scale_nice_ceil(in[i]));
}

static void
test_fmt_value_no_negative_zero(void **state)
{
	char buf[32];

	(void)state;
	scale_fmt_value(-0.0000001, 1, buf, sizeof(buf));
	assert_string_equal(buf, "0.0");
	scale_fmt_value(2.5, 1, buf, sizeof(buf));
	assert_string_equal(buf, "2.5");
}

static void
test_time_ticks_fit_every_range(void **state)
{
	static const struct {
		int64_t span;
		int max;
		enum scale_tfmt fmt;
		int64_t step;	/* 0: calendar months */
	} cases[] = {
		{ 2 * SEC, 10, SCALE_TF_SUBSEC, 200 * 1000000LL },
		{ 2 * SEC, 5, SCALE_TF_SUBSEC, 500 * 1000000LL },
		{ 30 * SEC, 10, SCALE_TF_SEC, 5 * SEC },
		{ 20 * MIN, 5, SCALE_TF_MIN, 5 * MIN },
		{ 20 * MIN, 11, SCALE_TF_MIN, 2 * MIN },
		{ DAY, 10, SCALE_TF_MIN, 3 * HOUR },
		{ 7 * DAY, 10, SCALE_TF_DAY, DAY },
		{ 60 * DAY, 10, SCALE_TF_DAY, 7 * DAY },
		{ 365 * DAY, 10, SCALE_TF_MONTH, 0 },
	};
	struct scale_tticks tt;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(scale_time_ticks(T0 + 1, T0 + cases[i].span, cases[i].max, &tt), 0);
		if (tt.fmt != cases[i].fmt || tt.count < 2 || tt.count > cases[i].max)
			fail_msg("span %lld s: expected format %d and 2..%d ticks, got format %d, %d ticks",
			    (long long)(cases[i].span / SEC), cases[i].fmt, cases[i].max, tt.fmt, tt.count);
		for (k = 1; cases[i].step && k < tt.count; k++)
			assert_int_equal(tt.t[k] - tt.t[k - 1], cases[i].step);
		for (k = 0; k < tt.count; k++)
			assert_true(tt.t[k] > T0 && tt.t[k] <= T0 + cases[i].span);
	}
}

static void
test_time_ticks_calendar_alignment(void **state)
{
	struct scale_tticks tt;

	(void)state;
	/* Weekly ticks fall on Mondays: 2026-11-30 is one. */
	assert_int_equal(scale_time_ticks(T0, T0 + 60 * DAY, 10, &tt), 0);
	assert_int_equal(tt.t[0], 1795996800LL * SEC);
	assert_int_equal(tt.t[1] - tt.t[0], 7 * DAY);
	/* Yearly range: month ticks on the first of a month at 00:00Z. */
	assert_int_equal(scale_time_ticks(1767225600LL * SEC, 1798761600LL * SEC, 10, &tt), 0);
	assert_int_equal(tt.fmt, SCALE_TF_MONTH);
	assert_int_equal(tt.t[0], 1767225600LL * SEC);		/* 2026-01-01 */
	assert_int_equal(tt.t[1], 1772323200LL * SEC);		/* 2026-03-01 */
}

static void
test_time_labels(void **state)
{
	static const struct {
		int64_t t, prev;
		enum scale_tfmt fmt;
		const char *main, *context;
	} cases[] = {
		{ T0, -1, SCALE_TF_MIN, "10:00", "2026-11-25" },
		{ T0 + 5 * MIN, T0, SCALE_TF_MIN, "10:05", "" },
		{ T0 + 14 * HOUR, T0 + 11 * HOUR, SCALE_TF_MIN, "00:00", "2026-11-26" },
		{ T0 + 7 * SEC, T0 + 6 * SEC, SCALE_TF_SEC, "10:00:07", "" },
		{ T0 + 1500000000LL, -1, SCALE_TF_SUBSEC, "10:00:01.5", "2026-11-25" },
		{ T0 + 2 * DAY, T0 + DAY, SCALE_TF_DAY, "Nov 27", "" },
		{ T0 + 40 * DAY, -1, SCALE_TF_DAY, "Jan 04", "2027" },
		{ T0, -1, SCALE_TF_MONTH, "Nov", "2026" },
		{ T0, -1, SCALE_TF_YEAR, "2026", "" },
	};
	char main[32], context[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scale_time_label(cases[i].t, cases[i].prev, cases[i].fmt, main, context,
		    sizeof(main));
		if (strcmp(main, cases[i].main) != 0 || strcmp(context, cases[i].context) != 0)
			fail_msg("label %zu: expected '%s'/'%s', got '%s'/'%s'", i,
			    cases[i].main, cases[i].context, main, context);
	}
}

static void
test_grid_round_widths(void **state)
{
	static const struct {
		int64_t span, least;
		int max;
		int64_t width;
	} cases[] = {
		{ 20 * MIN, 0, 366, 5 * SEC },
		{ 20 * MIN, 10 * SEC, 366, 10 * SEC },
		{ DAY, 0, 366, 5 * MIN },
		{ 365 * DAY, 0, 366, DAY },
		{ 10 * 365 * DAY, 0, 366, 10 * DAY },
		{ 60 * SEC, 2 * SEC, 366, 2 * SEC },
	};
	struct scale_grid g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(scale_grid(T0 + 7, T0 + 7 + cases[i].span, cases[i].max,
		    cases[i].least, &g), 0);
		if (g.width != cases[i].width)
			fail_msg("grid over %lld s: expected width %lld ns, got %lld",
			    (long long)(cases[i].span / SEC), (long long)cases[i].width,
			    (long long)g.width);
		assert_int_equal(g.start % g.width, 0);
		assert_true(g.start <= T0 + 7);
		assert_true(g.start + g.width * g.count >= T0 + 7 + cases[i].span);
		assert_true(g.count <= cases[i].max + 1);
	}
	assert_int_equal(scale_grid(T0, T0, 10, 0, &g), PM_E_RANGE);
}

/*
 * Ranges that reach the ends of int64_t (a damaged history, --until in
 * 2262): every bucket edge of the grid is a valid time, or the grid is
 * refused; never an overflow.
 */
static void
test_grid_extremes(void **state)
{
	static const struct {
		int64_t lo, hi;
		int max;
		int64_t least;
		int ok;
	} cases[] = {
		{ 0, INT64_MAX, 366, 0, 1 },
		{ 0, INT64_MAX, 1, 0, 1 },
		{ INT64_MIN, INT64_MAX, 1, 0, 0 },
		{ INT64_MIN, INT64_MAX, 366, 0, 0 },
		{ INT64_MIN, -1, 366, 0, 1 },
		{ INT64_MIN, INT64_MIN + 1, 366, 0, 1 },
		{ INT64_MAX - 1, INT64_MAX, 366, 0, 1 },
		{ INT64_MAX - 5 * SEC, INT64_MAX, 366, 0, 1 },
		{ -DAY, 4 * DAY, 1, 0, 1 },
		{ T0, T0 + SEC, 366, INT64_MAX, 1 },
		{ T0, T0 + SEC, 366, INT64_MAX / 2, 1 },
	};
	struct scale_grid g;
	int64_t end;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = scale_grid(cases[i].lo, cases[i].hi, cases[i].max, cases[i].least, &g);
		if ((r == 0) != cases[i].ok)
			fail_msg("grid %zu: expected %s, got %d", i,
			    cases[i].ok ? "a grid" : "PM_E_RANGE", r);
		if (r != 0)
			continue;
		assert_true(g.width > 0 && g.count > 0);
		assert_false(__builtin_mul_overflow(g.width, (int64_t)g.count, &end));
		assert_false(__builtin_add_overflow(g.start, end, &end));
		assert_true(g.start <= cases[i].lo);
		assert_true(end >= cases[i].hi);
		assert_true(g.count <= cases[i].max + 1);
	}
}

static void
test_grid_index(void **state)
{
	struct scale_grid g = { 1000, 10, 5 };

	(void)state;
	assert_int_equal(scale_grid_index(&g, 999), -1);
	assert_int_equal(scale_grid_index(&g, 1000), 0);
	assert_int_equal(scale_grid_index(&g, 1049), 4);
	assert_int_equal(scale_grid_index(&g, 1050), -1);
}

/* Every value falls inside its bin's integer edges, on both grids. */
static void
test_logbin_edges_hold_their_values(void **state)
{
	const struct scale_logbins *grids[] = { &scale_rtt_coarse, &scale_rtt_fine };
	static const int64_t vals[] = { 0, 1, 999, 1000, 1001, 10000, 12345, 20000000,
	    99999999, 100000000, 123456789012LL, 100000000000LL, INT64_MAX / 2 };
	size_t g, i;
	int b, e;

	(void)state;
	for (g = 0; g < 2; g++) {
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			b = scale_logbin(grids[g], vals[i]);
			if (vals[i] < scale_logbin_edge(grids[g], b) ||
			    vals[i] >= scale_logbin_edge(grids[g], b + 1))
				fail_msg("%lld in bin %d [%lld, %lld)", (long long)vals[i], b,
				    (long long)scale_logbin_edge(grids[g], b),
				    (long long)scale_logbin_edge(grids[g], b + 1));
		}
		/* Each edge is the first value of its bin. */
		for (e = 1; e < grids[g]->count; e += 37)
			assert_int_equal(scale_logbin(grids[g], scale_logbin_edge(grids[g], e)), e);
	}
}

/* series.c derives coarse bins from fine ones: every coarse edge is a fine one. */
static void
test_coarse_edges_are_fine_edges(void **state)
{
	int per = scale_rtt_fine.per_decade / scale_rtt_coarse.per_decade, i;

	(void)state;
	assert_int_equal(scale_rtt_fine.per_decade % scale_rtt_coarse.per_decade, 0);
	assert_int_equal((scale_rtt_fine.count - 2) / per, scale_rtt_coarse.count - 2);
	for (i = 1; i < scale_rtt_coarse.count; i++)
		assert_int_equal(scale_logbin_edge(&scale_rtt_coarse, i),
		    scale_logbin_edge(&scale_rtt_fine, 1 + (i - 1) * per));
}

static void
test_rank_is_nearest_rank(void **state)
{
	(void)state;
	assert_int_equal(scale_rank(4, 0.5), 2);
	assert_int_equal(scale_rank(5, 0.5), 3);
	assert_int_equal(scale_rank(100, 0.99), 99);
	assert_int_equal(scale_rank(101, 0.99), 100);
	assert_int_equal(scale_rank(1, 0.01), 1);
	assert_int_equal(scale_rank(10, 1.0), 10);
	assert_int_equal(scale_rank(10, 0.0), 1);
}

/* Quantiles of a histogram land within one bin of the exact value. */
static void
test_quantile_from_histogram(void **state)
{
	const struct scale_logbins *b = &scale_rtt_coarse;
	uint64_t *hist = calloc((size_t)b->count, sizeof(uint64_t));
	static const double qs[] = { 0.1, 0.25, 0.5, 0.75, 0.9, 0.99 };
	int64_t v, exact, got;
	size_t i;

	(void)state;
	assert_non_null(hist);
	for (v = 1; v <= 1000; v++)		/* 1 ms .. 1 s, evenly */
		hist[scale_logbin(b, v * 1000000)]++;
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		exact = (int64_t)scale_rank(1000, qs[i]) * 1000000;
		got = scale_quantile(b, hist, 1000, qs[i], 1000000, 1000000000);
		if (fabs((double)got / (double)exact - 1) > 0.05)
			fail_msg("q%.2f: expected about %lld, got %lld", qs[i],
			    (long long)exact, (long long)got);
	}
	assert_int_equal(scale_quantile(b, hist, 1000, 0, 1000000, 1000000000), 1000000);
	assert_int_equal(scale_quantile(b, hist, 1000, 1, 1000000, 1000000000), 1000000000);
	assert_int_equal(scale_quantile(b, hist, 0, 0.5, -1, -1), -1);
	free(hist);
}

static void
test_quantile_single_value_is_exact(void **state)
{
	const struct scale_logbins *b = &scale_rtt_fine;
	uint64_t *hist = calloc((size_t)b->count, sizeof(uint64_t));

	(void)state;
	assert_non_null(hist);
	hist[scale_logbin(b, 12345678)] = 3;
	assert_int_equal(scale_quantile(b, hist, 3, 0.5, 12345678, 12345678), 12345678);
	free(hist);
}

static void
test_linbins(void **state)
{
	struct scale_linbins lb;

	(void)state;
	assert_int_equal(scale_linbins(20000000, 44000000, 100, &lb), 0);
	assert_int_equal(lb.width, 500000);
	assert_int_equal(lb.lo, 20000000);
	assert_int_equal(lb.count, 49);
	assert_int_equal(scale_linbin(&lb, 19999999), -1);
	assert_int_equal(scale_linbin(&lb, 20000000), 0);
	assert_int_equal(scale_linbin(&lb, 44000000), 48);
	assert_int_equal(scale_linbin(&lb, 44500000), 49);
	/* Bins whose last edge would pass the end of int64_t are refused. */
	assert_int_equal(scale_linbins(INT64_MAX - 1000, INT64_MAX, 100, &lb), PM_E_RANGE);
	assert_int_equal(scale_linbins(0, INT64_MAX, 100, &lb), PM_E_RANGE);
	assert_int_equal(scale_linbins(0, INT64_MAX / 4, 100, &lb), 0);
	assert_true(lb.lo + lb.width * lb.count > INT64_MAX / 4);
	assert_int_equal(scale_linbin(&lb, INT64_MAX / 4), lb.count - 1);
	assert_int_equal(scale_linbin(&lb, INT64_MAX), lb.count);
	assert_int_equal(scale_linbin(&lb, INT64_MIN), -1);
}

/* A quantile at the top of int64_t is the maximum, not a rounding overflow. */
static void
test_quantile_at_int64_max(void **state)
{
	const struct scale_logbins *b = &scale_rtt_coarse;
	uint64_t *hist = calloc((size_t)b->count, sizeof(*hist));

	(void)state;
	assert_non_null(hist);
	hist[b->count - 1] = 4;
	assert_int_equal(scale_quantile(b, hist, 4, 0.5, INT64_MAX - 1, INT64_MAX),
	    INT64_MAX - 1);
	assert_int_equal(scale_quantile(b, hist, 4, 0.99, INT64_MAX, INT64_MAX),
	    INT64_MAX);
	free(hist);
}

/* Time ticks of ranges at the ends of int64_t stop there. */
static void
test_time_ticks_extremes(void **state)
{
	struct scale_tticks tt;
	int i;

	(void)state;
	assert_int_equal(scale_time_ticks(0, INT64_MAX, 10, &tt), 0);
	assert_true(tt.count >= 1);
	for (i = 1; i < tt.count; i++)
		assert_true(tt.t[i] > tt.t[i - 1]);
	assert_int_equal(scale_time_ticks(INT64_MIN, INT64_MAX, 10, &tt), 0);
	assert_int_equal(scale_time_ticks(INT64_MAX - 3 * SEC, INT64_MAX, 10, &tt), 0);
	for (i = 1; i < tt.count; i++)
		assert_true(tt.t[i] > tt.t[i - 1]);
	assert_int_equal(scale_time_ticks(INT64_MIN, INT64_MIN + 3 * SEC, 10, &tt), 0);
	for (i = 0; i < tt.count; i++)
		assert_true(tt.t[i] >= INT64_MIN && tt.t[i] <= INT64_MIN + 3 * SEC);
}

/* Parts of a bar: none below least, the bar as high as before. */
static void
test_least(void **state)
{
	static const struct {
		double in[4], least, out[4];
	} cases[] = {
		{ { 10, 20, 30, 40 }, 3, { 10, 20, 30, 40 } },
		{ { 99, 1, 0, 0 }, 3, { 97, 3, 0, 0 } },
		{ { 99.8, 0.1, 0.1, 0 }, 3, { 94, 3, 3, 0 } },
		{ { 2, 1, 0, 1 }, 3, { 4.0 / 3, 4.0 / 3, 0, 4.0 / 3 } },
		{ { 0, 0, 0, 0 }, 3, { 0, 0, 0, 0 } },
		{ { 0, 2, 0, -1 }, 3, { 0, 2, 0, 0 } },
		{ { 1, 1, 1, 97 }, 3, { 3, 3, 3, 91 } },
	};
	double parts[4], before, after;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(parts, cases[i].in, sizeof(parts));
		scale_least(parts, 4, cases[i].least);
		for (k = 0, before = after = 0; k < 4; k++) {
			before += cases[i].in[k] > 0 ? cases[i].in[k] : 0;
			after += parts[k];
			if (fabs(parts[k] - cases[i].out[k]) > 1e-6)
				fail_msg("bar %zu, part %d: expected %g, got %g", i, k,
				    cases[i].out[k], parts[k]);
		}
		assert_true(fabs(before - after) < 1e-6);
	}
}

static void
test_loss_classes(void **state)
{
	static const struct {
		uint64_t lost, sent;
		enum scale_loss cls;
	} cases[] = {
		{ 0, 0, SCALE_LOSS_NONE }, { 0, 100, SCALE_LOSS_NONE },
		{ 1, 1000, SCALE_LOSS_LOW }, { 2, 100, SCALE_LOSS_LOW },
		{ 3, 100, SCALE_LOSS_MID }, { 10, 100, SCALE_LOSS_MID },
		{ 11, 100, SCALE_LOSS_HIGH }, { 50, 100, SCALE_LOSS_HIGH },
		{ 51, 100, SCALE_LOSS_SEVERE }, { 99, 100, SCALE_LOSS_SEVERE },
		{ 100, 100, SCALE_LOSS_TOTAL }, { 1, 1, SCALE_LOSS_TOTAL },
	};
	size_t i;
	int c, d;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (scale_loss_class(cases[i].lost, cases[i].sent) != cases[i].cls)
			fail_msg("%llu of %llu lost: expected class %d, got %d",
			    (unsigned long long)cases[i].lost, (unsigned long long)cases[i].sent,
			    cases[i].cls, scale_loss_class(cases[i].lost, cases[i].sent));
	/* Every class has its own colour and a label. */
	for (c = 0; c < SCALE_LOSS_CLASSES; c++) {
		assert_true(strlen(scale_loss_label((enum scale_loss)c)) > 0);
		for (d = 0; d < c; d++)
			assert_int_not_equal(scale_loss_rgba((enum scale_loss)c),
			    scale_loss_rgba((enum scale_loss)d));
	}
}

static void
test_formats(void **state)
{
	static const struct {
		int64_t ns;
		const char *rtt, *dur;
	} cases[] = {
		{ 850000, "850 \xc2\xb5s", "0 ms" },
		{ 1234, "1.23 \xc2\xb5s", "0 ms" },
		{ 12345678, "12.35 ms", "12 ms" },
		{ 123456789, "123.5 ms", "123 ms" },
		{ 1250000000, "1.25 s", "1.2 s" },
		{ 303 * SEC, "303.00 s", "5 min 03 s" },
		{ 2 * HOUR + 5 * MIN, "7500.00 s", "2 h 05 min" },
		{ 3 * DAY + 4 * HOUR, "273600.00 s", "3 d 04 h" },
		{ -1, "-", "-" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scale_fmt_rtt(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].rtt);
		scale_fmt_duration(cases[i].ns, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].dur);
	}
	scale_fmt_count(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	scale_fmt_count(999, buf, sizeof(buf));
	assert_string_equal(buf, "999");
	scale_fmt_count(12345678, buf, sizeof(buf));
	assert_string_equal(buf, "12,345,678");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticks_round_numbers),
		cmocka_unit_test(test_nice_ceil),
		cmocka_unit_test(test_fmt_value_no_negative_zero),
		cmocka_unit_test(test_time_ticks_fit_every_range),
		cmocka_unit_test(test_time_ticks_calendar_alignment),
		cmocka_unit_test(test_time_labels),
		cmocka_unit_test(test_grid_round_widths),
		cmocka_unit_test(test_grid_extremes),
		cmocka_unit_test(test_grid_index),
		cmocka_unit_test(test_logbin_edges_hold_their_values),
		cmocka_unit_test(test_coarse_edges_are_fine_edges),
		cmocka_unit_test(test_rank_is_nearest_rank),
		cmocka_unit_test(test_quantile_from_histogram),
		cmocka_unit_test(test_quantile_single_value_is_exact),
		cmocka_unit_test(test_linbins),
		cmocka_unit_test(test_quantile_at_int64_max),
		cmocka_unit_test(test_time_ticks_extremes),
		cmocka_unit_test(test_least),
		cmocka_unit_test(test_loss_classes),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
