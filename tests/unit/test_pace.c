/*
 * pace: the probe schedule promised in pace.h: slots due at a wake-up are
 * sent together up to the cap, slots long past are skipped and counted
 * in bounded time, deadlines never drift, Poisson gaps average the
 * interval, and no interval can stop the schedule from moving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../client/pace.c"
#include "../../shared/rttstats.c"

#define MS 1000000LL
#define HOUR (3600 * 1000 * MS)

struct due_case {
	const char *name;
	int64_t interval;
	int64_t wake;		/* ns after start */
	unsigned cap;
	unsigned want_n;	/* probes to send */
	uint64_t want_missed;
	int64_t want_next;	/* ns after start */
};

static const struct due_case due_cases[] = {
	{ "on time: the first slot", 10 * MS, 0, 64, 1, 0, 10 * MS },
	{ "not yet due", 10 * MS, -1, 64, 0, 0, 0 },
	{ "late within an interval", 10 * MS, 9 * MS, 64, 1, 0, 10 * MS },
	{ "two due at a fast rate", 20000, 20000, 64, 2, 0, 40000 },
	{ "cap reached: rest skipped", 20000, 200000, 4, 4, 7, 220000 },
	{ "stall: old slots skipped", 10 * MS, 55 * MS, 64, 1, 5, 60 * MS },
	{ "stall at a slow rate", 1000 * MS, 3500 * MS, 64, 1, 3, 4000 * MS },
	/* 360 million slots skipped in one step; the last 1 ms (101 slots)
	 * is sent up to the cap. */
	{ "an hour's stall at 10 us", 10000, HOUR, 64, 64, 359999937, HOUR + 10000 },
	{ "interval 0: held to 10 us", 0, 0, 64, 1, 0, 10000 },
	{ "interval 0, 25 us late", 0, 25000, 64, 3, 0, 30000 },
	{ "negative interval: held to 10 us", -1 * MS, 0, 64, 1, 0, 10000 },
	{ "interval past an hour: held to an hour", INT64_MAX, 0, 64, 1, 0, HOUR },
};

static void
test_due(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(due_cases) / sizeof(due_cases[0]); i++) {
		const struct due_case *c = &due_cases[i];
		struct pace p;
		const int64_t start = 1000 * MS;
		unsigned n;

		pace_init(&p, start, c->interval, 0, 1);
		n = pace_due(&p, start + c->wake, c->cap);
		if (n != c->want_n || p.missed != c->want_missed ||
		    p.next != start + c->want_next)
			fail_msg("%s: expected n=%u missed=%llu next=+%lld, got n=%u "
			    "missed=%llu next=+%lld", c->name, c->want_n,
			    (unsigned long long)c->want_missed, (long long)c->want_next,
			    n, (unsigned long long)p.missed, (long long)(p.next - start));
	}
}

/* Wake-ups 0.3 ms late every time: deadlines stay on the grid, no drift. */
static void
test_no_drift(void **state)
{
	struct pace p;
	int64_t t = 0;
	unsigned sent = 0;
	int k;

	(void)state;
	pace_init(&p, 0, 1 * MS, 0, 1);
	for (k = 0; k < 1000; k++) {
		t = p.next + 300000;
		sent += pace_due(&p, t, 64);
	}
	assert_int_equal(sent, 1000);
	assert_int_equal(p.next, 1000 * MS);
	assert_int_equal(rtt_quantile(&p.late, 0.5), 300000);
}

/* Exponential gaps: the mean over many is the interval, within 3 %. */
static void
test_poisson_mean(void **state)
{
	struct pace p;
	const int n = 100000;
	int k;

	(void)state;
	pace_init(&p, 0, 10 * MS, 1, 12345);
	for (k = 0; k < n; k++)
		(void)pace_due(&p, p.next, 1);
	if (p.next < (int64_t)(0.97 * n * 10 * MS) || p.next > (int64_t)(1.03 * n * 10 * MS))
		fail_msg("mean gap: expected 10 ms within 3 %%, got %.3f ms",
		    (double)p.next / n / MS);
}

/* pace_set_interval holds to the same range as pace_init. */
static void
test_set_interval_clamped(void **state)
{
	static const struct { int64_t in, want; } cases[] = {
		{ 0, PACE_INTERVAL_MIN_NS }, { -1, PACE_INTERVAL_MIN_NS },
		{ INT64_MIN, PACE_INTERVAL_MIN_NS }, { 9999, PACE_INTERVAL_MIN_NS },
		{ 10000, 10000 }, { 1000 * MS, 1000 * MS }, { HOUR, HOUR },
		{ HOUR + 1, PACE_INTERVAL_MAX_NS }, { INT64_MAX, PACE_INTERVAL_MAX_NS },
	};
	struct pace p;
	size_t i;

	(void)state;
	pace_init(&p, 0, 1000 * MS, 0, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pace_set_interval(&p, cases[i].in);
		if (p.interval != cases[i].want)
			fail_msg("pace_set_interval(%lld): expected %lld, got %lld",
			    (long long)cases[i].in, (long long)cases[i].want,
			    (long long)p.interval);
	}
}

/* Set to 0 after start, the schedule still moves past now. */
static void
test_zero_after_start(void **state)
{
	struct pace p;
	unsigned n;

	(void)state;
	pace_init(&p, 0, 1000 * MS, 0, 1);
	assert_int_equal(pace_due(&p, 0, 64), 1);
	pace_set_interval(&p, 0);
	n = pace_due(&p, p.next, 64);
	assert_int_equal(n, 1);
	assert_true(p.next > 1000 * MS);
}

/* Poisson gaps after an hour's stall: skipped in one step, about as many
 * slots counted missed as fit in the hour, the next deadline ahead. */
static void
test_poisson_stall(void **state)
{
	struct pace p;
	unsigned n;

	(void)state;
	pace_init(&p, 0, 10000, 1, 99);
	n = pace_due(&p, HOUR, 64);
	if (n > 64 || p.next <= HOUR || p.missed < 359000000 || p.missed > 361000000)
		fail_msg("expected at most 64 sent, about 360 million missed and the "
		    "next deadline after the hour; got %u sent, %llu missed, next "
		    "%lld ns after", n, (unsigned long long)p.missed,
		    (long long)(p.next - HOUR));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_no_drift),
		cmocka_unit_test(test_poisson_mean),
		cmocka_unit_test(test_set_interval_clamped),
		cmocka_unit_test(test_zero_after_start),
		cmocka_unit_test(test_poisson_stall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
