/*
 * Unit tests for reports/series.c: bucketing of probes, fate totals,
 * exact min/max, histogram quantiles, and outages kept apart from loss.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "series.h"

#define MS 1000000LL
#define SEC 1000000000LL

static struct rec_probe
probe(int64_t session, int64_t seq, int64_t sent, int64_t rtt, enum rec_fate f)
{
	struct rec_probe p = { session, seq, sent, rtt, -1, f, 0, 0, 0, 0 };

	return p;
}

static void
test_buckets_count_fates(void **state)
{
	struct scale_grid g = { 0, 10 * SEC, 3 };
	static const struct {
		int64_t sent, rtt;
		enum rec_fate fate;
	} rows[] = {
		{ 1 * SEC, 20 * MS, REC_ANSWERED }, { 2 * SEC, -1, REC_LOST_FORWARD },
		{ 3 * SEC, 30 * MS, REC_REORDERED }, { 12 * SEC, -1, REC_LOST_BACKWARD },
		{ 13 * SEC, 1200 * MS, REC_LATE }, { 25 * SEC, -1, REC_LOST },
		{ 45 * SEC, 10 * MS, REC_ANSWERED },	/* past the grid */
	};
	struct series *s = series_new(&g);
	const struct series_bucket *b;
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rec_probe p = probe(1, (int64_t)i, rows[i].sent, rows[i].rtt, rows[i].fate);

		series_add(s, &p);
	}
	series_finish(s);
	b = series_bucket(s, 0);
	assert_int_equal(series_sent(b), 3);
	assert_int_equal(series_lost(b), 1);
	assert_int_equal(series_received(b), 2);
	assert_int_equal(b->rtt_min, 20 * MS);
	assert_int_equal(b->rtt_max, 30 * MS);
	b = series_bucket(s, 1);
	assert_int_equal(b->fate[REC_LOST_BACKWARD], 1);
	assert_int_equal(b->fate[REC_LATE], 1);
	b = series_bucket(s, 2);
	assert_int_equal(series_sent(b), 1);
	assert_int_equal(b->rtts, 0);
	assert_int_equal(series_quantile(s, 2, 0.5), -1);
	/* The whole range counts the probe past the grid too. */
	b = series_bucket(s, -1);
	assert_int_equal(series_sent(b), 7);
	assert_int_equal(b->rtt_min, 10 * MS);
	assert_int_equal(b->rtt_max, 1200 * MS);
	series_free(s);
}

static void
test_quantiles_of_a_bucket(void **state)
{
	struct scale_grid g = { 0, 100 * SEC, 1 };
	struct series *s = series_new(&g);
	int64_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < 100; i++) {
		struct rec_probe p = probe(1, i, i * SEC / 2, (10 + i) * MS, REC_ANSWERED);

		series_add(s, &p);
	}
	series_finish(s);
	assert_int_equal(series_quantile(s, 0, 0), 10 * MS);
	assert_int_equal(series_quantile(s, 0, 1), 109 * MS);
	assert_in_range(series_quantile(s, 0, 0.5), 57 * MS, 61 * MS);
	assert_in_range(series_quantile(s, -1, 0.5), 59 * MS, 60 * MS);
	series_free(s);
}

/* Three losses over 2 s make an outage; three over 0.2 s do not. */
static void
test_outage_runs(void **state)
{
	struct scale_grid g = { 0, 10 * SEC, 4 };
	struct series *s = series_new(&g);
	static const struct {
		int64_t sent;
		enum rec_fate fate;
	} rows[] = {
		{ 1 * SEC, REC_ANSWERED }, { 9 * SEC, REC_LOST_FORWARD },
		{ 10 * SEC, REC_LOST_FORWARD }, { 11 * SEC, REC_LOST_FORWARD },
		{ 12 * SEC, REC_ANSWERED },
		{ 30 * SEC, REC_LOST }, { 30 * SEC + 100 * MS, REC_LOST },
		{ 30 * SEC + 200 * MS, REC_LOST },
	};
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rec_probe p = probe(1, (int64_t)i, rows[i].sent, -1, rows[i].fate);

		series_add(s, &p);
	}
	series_finish(s);
	assert_int_equal(series_bucket(s, 0)->outage_ns, 1 * SEC);
	assert_int_equal(series_bucket(s, 1)->outage_ns, 1 * SEC);
	assert_int_equal(series_bucket(s, 2)->outage_ns, 0);
	assert_int_equal(series_bucket(s, 3)->outage_ns, 0);
	assert_int_equal(series_bucket(s, -1)->outage_ns, 2 * SEC);
	series_free(s);
}

/* A run of losses does not continue across sessions or sequence gaps. */
static void
test_outage_breaks_at_session_change(void **state)
{
	struct scale_grid g = { 0, 10 * SEC, 1 };
	struct series *s = series_new(&g);
	struct rec_probe rows[] = {
		probe(1, 7, 1 * SEC, -1, REC_LOST), probe(1, 8, 2 * SEC, -1, REC_LOST),
		probe(2, 0, 3 * SEC, -1, REC_LOST), probe(2, 1, 4 * SEC, -1, REC_LOST),
		probe(2, 5, 5 * SEC, -1, REC_LOST),
	};
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		series_add(s, &rows[i]);
	series_finish(s);
	assert_int_equal(series_bucket(s, 0)->outage_ns, 0);
	series_free(s);
}

/*
 * A damaged history: sequence numbers through INT64_MAX, send times out of
 * order or at the ends of int64_t. Runs continue through the wrap, never
 * overflow, and a run whose times go backwards is no outage.
 */
static void
test_hostile_runs(void **state)
{
	struct scale_grid g = { 0, 10 * SEC, 2 };
	struct series *s = series_new(&g);
	struct rec_probe rows[] = {
		probe(1, INT64_MAX - 1, 1 * SEC, -1, REC_LOST),
		probe(1, INT64_MAX, 2 * SEC, -1, REC_LOST),
		probe(1, INT64_MIN, 3 * SEC, -1, REC_LOST),
		probe(2, 0, INT64_MAX, -1, REC_LOST), probe(2, 1, 0, -1, REC_LOST),
		probe(2, 2, INT64_MIN, -1, REC_LOST),
		probe(3, 0, INT64_MIN, -1, REC_LOST), probe(3, 1, 0, -1, REC_LOST),
		probe(3, 2, INT64_MAX, -1, REC_LOST),
		probe(4, 0, 0, INT64_MAX, REC_ANSWERED),
	};
	size_t i;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		series_add(s, &rows[i]);
	series_finish(s);
	/* Session 1: 1 s to 3 s through the wrap; 2 and 3: no int64_t span. */
	assert_int_equal(series_bucket(s, 0)->outage_ns, 2 * SEC);
	assert_int_equal(series_bucket(s, -1)->outage_ns, 2 * SEC);
	assert_int_equal(series_bucket(s, -1)->rtt_max, INT64_MAX);
	assert_int_equal(series_quantile(s, -1, 0.5), INT64_MAX);
	series_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_count_fates),
		cmocka_unit_test(test_quantiles_of_a_bucket),
		cmocka_unit_test(test_outage_runs),
		cmocka_unit_test(test_outage_breaks_at_session_change),
		cmocka_unit_test(test_hostile_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
