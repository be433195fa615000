/*
 * fdlimit: the descriptors the caps need, and the soft limit chosen from
 * the current soft and hard limits.
 */
#include "check.h"
#include "../../server/fdlimit.c"

static void
test_needed(void **state)
{
	(void)state;
	check_u64("defaults (4096 + 256), no metrics", 4368,
	    fdlimit_needed(4096, 256, 0));
	check_u64("defaults with metrics", 4096 + 256 + 16 + METRICS_FDS,
	    fdlimit_needed(4096, 256, 1));
	check_u64("1 + 1", 18, fdlimit_needed(1, 1, 0));
	check_u64("the largest caps do not wrap", 200016,
	    fdlimit_needed(100000, 100000, 0));
	check_done();
}

static void
test_plan(void **state)
{
	static const struct {
		uint64_t need, soft, hard;
		int want_r;
		uint64_t want_soft;
	} cases[] = {
		{ 4368, 16384, 16384, 0, 16384 },	/* fits: unchanged */
		{ 4368, 4368, 4368, 0, 4368 },		/* exactly */
		{ 4368, 1024, 524288, 0, 524288 },	/* soft raised to hard */
		{ 4368, 1024, 4368, 0, 4368 },
		{ 4368, 1024, UINT64_MAX, 0, 4368 },	/* unlimited hard: need */
		{ 4368, 64, 64, PM_E_LIMIT, 64 },	/* refused */
		{ 4368, 1024, 4367, PM_E_LIMIT, 1024 },
		{ 18, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX },
	};
	uint64_t soft;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		check_err(desc("need %llu soft %llu hard %llu: result",
		    (unsigned long long)cases[i].need,
		    (unsigned long long)cases[i].soft,
		    (unsigned long long)cases[i].hard), cases[i].want_r,
		    fdlimit_plan(cases[i].need, cases[i].soft, cases[i].hard, &soft));
		check_u64(desc("need %llu soft %llu hard %llu: soft limit",
		    (unsigned long long)cases[i].need,
		    (unsigned long long)cases[i].soft,
		    (unsigned long long)cases[i].hard), cases[i].want_soft, soft);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_needed),
		cmocka_unit_test(test_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
