/*
 * policy: the renewal triggers, hysteresis and storm control promised in
 * policy.h. Each scenario is a script of outcomes, checks, renewals and
 * expectations; times are in seconds.
 */
#include "check.h"
#include "../../client/policy.c"

#define SEC 1000000000LL

enum op { END, OBSERVE, CHECK, RENEWED, NEXT_ALLOWED, FILL, LOSS };

struct step {
	enum op op;
	int64_t t;		/* CHECK, RENEWED, NEXT_ALLOWED: s; FILL: n */
	const char *arg;	/* OBSERVE: outcomes, x lost . answered;
				   CHECK: detail or NULL; LOSS: "%.1f" */
	enum policy_reason why;
};

#define O(outcomes) { OBSERVE, 0, (outcomes), POLICY_NONE }
#define C(t, why, detail) { CHECK, (t), (detail), (why) }
#define NO(t) { CHECK, (t), NULL, POLICY_NONE }
#define RN(t) { RENEWED, (t), NULL, POLICY_NONE }
#define NA(t) { NEXT_ALLOWED, (t), NULL, POLICY_NONE }
#define FILLED(n) { FILL, (n), NULL, POLICY_NONE }
#define LOSS_PCT(s) { LOSS, 0, (s), POLICY_NONE }
#define STEPS(...) (const struct step[]){ __VA_ARGS__, { END, 0, NULL, 0 } }

#define CONS POLICY_CONSECUTIVE
#define WIN POLICY_WINDOW
#define CLEAN20 "...................."

struct scenario {
	const char *name;
	struct policy_cfg cfg;	/* consecutive 0 and window 0: defaults */
	const struct step *steps;
};

#define DEFAULTS { 0, 0, 0, 0, 0, 0, 0 }

static const struct scenario scenarios[] = {
	{ "three consecutive losses", DEFAULTS, STEPS(
	    O("..xx"), NO(0), O("x"), C(0, CONS, "3 consecutive losses")) },
	{ "an answer resets the run", DEFAULTS, STEPS(
	    O("xx.xx"), NO(0), O("."), NO(0)) },
	{ "a longer run says how long", DEFAULTS, STEPS(
	    O("xxxx"), C(0, CONS, "4 consecutive losses")) },
	{ "window: 2 of 20 lost is 10 %", DEFAULTS, STEPS(
	    O("x.........x........."), FILLED(20), LOSS_PCT("10.0"),
	    C(0, WIN, "10.0 % loss over 20 probes")) },
	{ "window: 3 of 20 lost", DEFAULTS, STEPS(
	    O("x....x....x........."),
	    C(0, WIN, "15.0 % loss over 20 probes")) },
	{ "window: 1 of 20 lost is below 10 %", DEFAULTS, STEPS(
	    O("x..................."), FILLED(20), LOSS_PCT("5.0"), NO(0)) },
	{ "window: 19 outcomes are not a full window", DEFAULTS, STEPS(
	    O("x........x........."), FILLED(19), NO(0)) },
	{ "window slides: the oldest loss falls out", DEFAULTS, STEPS(
	    O("x.........x........."), C(0, WIN, NULL),
	    O("."), FILLED(20), LOSS_PCT("5.0"), NO(0)) },
	{ "hysteresis: after a renewal the window refills", DEFAULTS, STEPS(
	    O("x.x.x.x............."), C(0, WIN, NULL), RN(0),
	    FILLED(0), LOSS_PCT("0.0"),
	    O("x........x"), FILLED(10), NO(100),
	    O(".........."), FILLED(20), C(100, WIN, NULL)) },
	{ "a renewal clears the run", DEFAULTS, STEPS(
	    O("xxx"), C(0, CONS, NULL), RN(0), O("x"), NO(100), O("xx"),
	    C(100, CONS, "3 consecutive losses")) },
	{ "gap: 10 s, then doubling", DEFAULTS, STEPS(
	    O("xxx"), C(0, CONS, NULL), RN(0), NA(10),
	    O("xxx"), NO(9), C(10, CONS, NULL), RN(10), NA(30),
	    O("xxx"), NO(29), C(30, CONS, NULL), RN(30), NA(70),
	    O("xxx"), NO(69), C(70, CONS, NULL), RN(70), NA(150)) },
	{ "gap: capped at 10 min, then 10 renewals per hour", DEFAULTS, STEPS(
	    O("xxx"), RN(0), O("xxx"), RN(10), O("xxx"), RN(30),
	    O("xxx"), RN(70), O("xxx"), RN(150), O("xxx"), RN(310),
	    NA(630), O("xxx"), NO(629), C(630, CONS, NULL), RN(630),
	    NA(1230), O("xxx"), NO(1229), C(1230, CONS, NULL), RN(1230),
	    NA(1830), O("xxx"), RN(1830), NA(2430), O("xxx"), RN(2430),
	    /* Ten renewals in the hour from 0: the next waits for 3600. */
	    O("xxx"), NO(3030), NO(3599), NA(3600), C(3600, CONS, NULL)) },
	{ "a clean full window resets the gap", DEFAULTS, STEPS(
	    O("xxx"), RN(0), O("xxx"), RN(10), NA(30),
	    O(CLEAN20), NA(20),
	    O("xxx"), NO(19), C(20, CONS, NULL)) },
	{ "5 % is not clean enough to reset the gap", DEFAULTS, STEPS(
	    O("xxx"), RN(0), O("xxx"), RN(10), NA(30),
	    O("x..................."), NA(30)) },
	{ "a clean window before the first renewal changes nothing",
	    DEFAULTS, STEPS(
	    O(CLEAN20), O("xxx"), C(0, CONS, NULL), RN(0), NA(10)) },
	{ "consecutive trigger off", { 0, 20, 50, 10 * SEC, 600 * SEC, 10,
	    3600 * SEC }, STEPS(
	    O("xxxxxxxx"), NO(0)) },
	{ "window trigger off", { 3, 0, 10, 10 * SEC, 600 * SEC, 10,
	    3600 * SEC }, STEPS(
	    O("x.x.x.x.x.x.x.x.x.x.x.x.x"), FILLED(0), LOSS_PCT("0.0"), NO(0),
	    O("xx"), C(0, CONS, NULL)) },
	{ "window of 4 at 100 %", { 0, 4, 100, 10 * SEC, 600 * SEC, 10,
	    3600 * SEC }, STEPS(
	    O("xxx."), NO(0), O("xxxx"), C(0, WIN, "100.0 % loss over 4 probes")) },
	{ "window of 1024", { 0, 1024, 1, 10 * SEC, 600 * SEC, 10,
	    3600 * SEC }, STEPS(
	    O(CLEAN20 CLEAN20 CLEAN20 CLEAN20 CLEAN20), FILLED(100), NO(0)) },
};

static void
run(const struct scenario *sc)
{
	const struct step *st;
	struct policy_cfg cfg;
	struct policy *p;
	char detail[128], loss[16];
	enum policy_reason why;
	const char *o;

	cfg = sc->cfg;
	if (cfg.consecutive == 0 && cfg.window == 0)
		policy_defaults(&cfg);
	if ((p = policy_new(&cfg)) == NULL) {
		check_fail("%s: policy_new: expected a handle, got NULL", sc->name);
		return;
	}
	for (st = sc->steps; st->op != END; st++) {
		switch (st->op) {
		case OBSERVE:
			for (o = st->arg; *o != '\0'; o++)
				policy_observe(p, *o == 'x');
			break;
		case CHECK:
			detail[0] = '\0';
			why = policy_check(p, st->t * SEC, detail, sizeof(detail));
			if (why != st->why)
				check_fail("%s: policy_check at %lld s: expected reason %d, "
				    "got %d (\"%s\")", sc->name, (long long)st->t, st->why,
				    why, detail);
			else if (st->arg != NULL)
				check_str(desc("%s: detail at %lld s", sc->name,
				    (long long)st->t), st->arg, detail);
			break;
		case RENEWED:
			policy_renewed(p, st->t * SEC);
			break;
		case NEXT_ALLOWED:
			check_i64(desc("%s: policy_next_allowed (ns)", sc->name),
			    st->t * SEC, policy_next_allowed(p));
			break;
		case FILL:
			check_u64(desc("%s: policy_window_fill", sc->name),
			    (uint64_t)st->t, policy_window_fill(p));
			break;
		case LOSS:
			snprintf(loss, sizeof(loss), "%.1f", policy_window_loss(p));
			check_str(desc("%s: policy_window_loss", sc->name), st->arg, loss);
			break;
		case END:
			break;
		}
	}
	policy_free(p);
}

static void
test_scenarios(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(scenarios); i++)
		run(&scenarios[i]);
	check_done();
}

static void
test_defaults(void **state)
{
	struct policy_cfg c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	policy_defaults(&c);
	check_u64("default consecutive", 3, c.consecutive);
	check_u64("default window", 20, c.window);
	check_u64("default window_pct", 10, c.window_pct);
	check_i64("default min_gap_ns", 10 * SEC, c.min_gap_ns);
	check_i64("default max_gap_ns", 600 * SEC, c.max_gap_ns);
	check_u64("default max_per_period", 10, c.max_per_period);
	check_i64("default period_ns", 3600 * SEC, c.period_ns);
	check_done();
}

static const struct range_case {
	const char *name;
	uint32_t window, window_pct;
	int ok;
} range_cases[] = {
	{ "window 1, 1 %", 1, 1, 1 },
	{ "window 1024, 100 %", 1024, 100, 1 },
	{ "window 1025", 1025, 10, 0 },
	{ "window UINT32_MAX", UINT32_MAX, 10, 0 },
	{ "window_pct 0", 20, 0, 0 },
	{ "window_pct 101", 20, 101, 0 },
};

static void
test_cfg_range(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(range_cases); i++) {
		const struct range_case *c = &range_cases[i];
		struct policy_cfg cfg;
		struct policy *p;

		policy_defaults(&cfg);
		cfg.window = c->window;
		cfg.window_pct = c->window_pct;
		p = policy_new(&cfg);
		if ((p != NULL) != c->ok)
			check_fail("policy_new(%s): expected %s, got %s", c->name,
			    c->ok ? "a handle" : "NULL", p ? "a handle" : "NULL");
		policy_free(p);
	}
	policy_free(NULL);
	check_done();
}

/* The doubling gap stops at max_gap, however large, and never wraps. */
static void
test_gap_cap_large(void **state)
{
	static const int64_t caps[] = { 600 * SEC, INT64_MAX / 4, INT64_MAX };
	struct policy_cfg cfg;
	struct policy *p;
	int64_t prev, gap;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < NELEM(caps); i++) {
		policy_defaults(&cfg);
		cfg.min_gap_ns = 1;
		cfg.max_gap_ns = caps[i];
		cfg.max_per_period = 1;
		cfg.period_ns = 1;
		if ((p = policy_new(&cfg)) == NULL) {
			check_fail("gap cap %lld: policy_new returned NULL",
			    (long long)caps[i]);
			continue;
		}
		for (prev = 0, k = 0; k < 70; k++) {
			policy_renewed(p, 0);
			gap = policy_next_allowed(p);
			if (gap < prev || gap > caps[i]) {
				check_fail("gap cap %lld, renewal %d: expected a gap in "
				    "[%lld, %lld], got %lld", (long long)caps[i], k + 1,
				    (long long)prev, (long long)caps[i], (long long)gap);
				break;
			}
			prev = gap;
		}
		check_i64(desc("gap cap %lld after 70 renewals", (long long)caps[i]),
		    caps[i], prev);
		policy_free(p);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cfg_range),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_gap_cap_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
