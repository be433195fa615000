/*
 * Unit tests for shared/episode.c: where loss episodes start and end,
 * what they count, and when their longest run of losses is an outage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../shared/episode.c"

#define SEC 1000000000LL

struct got {
	struct episode e[8];
	int n;
};

static void
collect(void *arg, const struct episode *e)
{
	struct got *g = arg;

	if (g->n < 8)
		g->e[g->n++] = *e;
}

/* Feed fates as a string, one probe per second: '.' reply, 'f' 'b' 'x' lost. */
static void
feed(struct got *g, const char *fates, uint32_t quiet)
{
	struct episode_params p = { quiet, 2 * SEC, 3 };
	struct episode_det *d = episode_new(&p, NULL, collect, g);
	size_t i;

	assert_non_null(d);
	memset(g, 0, sizeof(*g));
	for (i = 0; fates[i] != '\0'; i++)
		episode_feed(d, (int64_t)i * SEC, fates[i] == '.' ? PM_FATE_ANSWERED :
		    fates[i] == 'f' ? PM_FATE_LOST_FWD : fates[i] == 'b' ?
		    PM_FATE_LOST_BWD : PM_FATE_LOST);
	episode_flush(d);
	episode_free(d);
}

static void
test_episodes_split_by_quiet_replies(void **state)
{
	static const struct {
		const char *fates;
		uint32_t quiet;
		int n;
		int64_t start0, end0;
		uint64_t probes0, lost0;
	} cases[] = {
		{ "....", 3, 0, 0, 0, 0, 0 },
		{ "..f...", 3, 1, 2, 2, 1, 1 },
		{ "..f.b...", 3, 1, 2, 4, 3, 2 },
		{ "..f...b", 3, 2, 2, 2, 1, 1 },
		{ "f..b..x", 3, 1, 0, 6, 7, 3 },
		{ "xxxxx", 3, 1, 0, 4, 5, 5 },
	};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		feed(&g, cases[i].fates, cases[i].quiet);
		if (g.n != cases[i].n)
			fail_msg("'%s' quiet %u: expected %d episodes, got %d", cases[i].fates,
			    cases[i].quiet, cases[i].n, g.n);
		if (g.n == 0)
			continue;
		if (g.e[0].start_ns != cases[i].start0 * SEC ||
		    g.e[0].end_ns != cases[i].end0 * SEC ||
		    g.e[0].probes != cases[i].probes0 || g.e[0].lost != cases[i].lost0)
			fail_msg("'%s': expected %lld..%lld s, %llu probes, %llu lost; got "
			    "%lld..%lld s, %llu, %llu", cases[i].fates,
			    (long long)cases[i].start0, (long long)cases[i].end0,
			    (unsigned long long)cases[i].probes0,
			    (unsigned long long)cases[i].lost0,
			    (long long)(g.e[0].start_ns / SEC), (long long)(g.e[0].end_ns / SEC),
			    (unsigned long long)g.e[0].probes, (unsigned long long)g.e[0].lost);
	}
}

static void
test_directions_counted(void **state)
{
	struct got g;

	(void)state;
	feed(&g, "fbx.f...", 3);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].fate[PM_FATE_LOST_FWD], 2);
	assert_int_equal(g.e[0].fate[PM_FATE_LOST_BWD], 1);
	assert_int_equal(g.e[0].fate[PM_FATE_LOST], 1);
	assert_int_equal(g.e[0].fate[PM_FATE_ANSWERED], 1);
	assert_int_equal(g.e[0].close_ns, 7 * SEC);
}

static void
test_outage_is_longest_long_run(void **state)
{
	struct got g;

	(void)state;
	/* Runs of 2 (too few) and 4 (3 s: an outage). */
	feed(&g, "ff.ffff...", 3);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].outage_probes, 4);
	assert_int_equal(g.e[0].outage_start_ns, 3 * SEC);
	assert_int_equal(g.e[0].outage_end_ns, 6 * SEC);
	/* Three probes in 2 s is the shortest outage. */
	feed(&g, "xxx", 3);
	assert_int_equal(g.e[0].outage_probes, 3);
	assert_int_equal(g.e[0].close_ns, -1);
	feed(&g, "xx.xx...", 3);
	assert_int_equal(g.e[0].outage_probes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_episodes_split_by_quiet_replies),
		cmocka_unit_test(test_directions_counted),
		cmocka_unit_test(test_outage_is_longest_long_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
