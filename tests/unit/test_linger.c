/*
 * linger: which lingering sessions an identity may close, the cap per
 * identity, and when the linger and idle times let a session go. The
 * reflector's counts come from a table in the test.
 */
#include "check.h"
#include "../../server/linger.c"

#define SEC 1000000000LL

static uint64_t counts[65536];
static uint16_t dropped[64];
static enum linger_end why[64];
static unsigned ndropped;

static uint64_t
received(void *arg, uint16_t ssid)
{
	(void)arg;
	return counts[ssid];
}

static void
drop(void *arg, uint16_t ssid, enum linger_end w)
{
	(void)arg;
	if (ndropped < NELEM(dropped)) {
		dropped[ndropped] = ssid;
		why[ndropped] = w;
	}
	ndropped++;
}

static void
tick(struct linger_table *l, int64_t now)
{
	ndropped = 0;
	linger_tick(l, now, received, drop, NULL);
}

static struct linger_sess
sess(uint16_t ssid, uint32_t interval_us, int64_t active_at)
{
	struct linger_sess s = { ssid, interval_us, counts[ssid], active_at };

	return s;
}

static void
add(struct linger_table *l, const char *id, struct linger_sess s, int64_t now,
    uint16_t want_dropped)
{
	uint16_t d = 1;

	if (!check_err(desc("add %s ssid %u", id, s.ssid), 0,
	    linger_add(l, id, &s, now, &d)))
		return;
	check_u64(desc("add %s ssid %u: dropped", id, s.ssid), want_dropped, d);
}

static void
test_take(void **state)
{
	struct linger_table *l = linger_new(120 * SEC, 60 * SEC, 4);

	(void)state;
	assert_non_null(l);
	add(l, "alice", sess(10, 50000, 0), 0, 0);
	add(l, "bob", sess(11, 50000, 0), 0, 0);
	check_u64("count", 2, linger_count(l));
	check_u64("bob cannot take alice's", 0, linger_take(l, "bob", 10));
	check_u64("a prefix is another identity", 0, linger_take(l, "alic", 10));
	check_u64("alice takes hers", 1, linger_take(l, "alice", 10));
	check_u64("only once", 0, linger_take(l, "alice", 10));
	check_u64("count after", 1, linger_count(l));
	linger_free(l);
	linger_free(NULL);
	check_done();
}

static void
test_cap(void **state)
{
	struct linger_table *l = linger_new(120 * SEC, 60 * SEC, 2);

	(void)state;
	assert_non_null(l);
	add(l, "a", sess(1, 50000, 0), 0, 0);
	add(l, "b", sess(2, 50000, 0), 0, 0);
	add(l, "a", sess(3, 50000, 0), 1, 0);
	add(l, "a", sess(4, 50000, 0), 2, 1);	/* a's oldest goes */
	add(l, "a", sess(5, 50000, 0), 3, 3);
	check_u64("count: a's 4 and 5, b's 2", 3, linger_count(l));
	check_u64("pop: oldest first (b's 2)", 2, linger_pop(l));
	check_u64("pop: then 4", 4, linger_pop(l));
	check_u64("pop: then 5", 5, linger_pop(l));
	check_u64("pop: empty", 0, linger_pop(l));
	linger_free(l);
	check_done();
}

static void
test_expiry(void **state)
{
	struct linger_table *l = linger_new(120 * SEC, 60 * SEC, 4);
	int64_t t;

	(void)state;
	assert_non_null(l);
	memset(counts, 0, sizeof(counts));
	add(l, "a", sess(20, 50000, 0), 0, 0);
	/* Probed all along: only the linger time ends it. */
	for (t = SEC; t <= 120 * SEC; t += SEC) {
		counts[20]++;
		tick(l, t);
		if (ndropped != 0) {
			check_fail("a probed session went at %lld s, before the "
			    "linger time", (long long)(t / SEC));
			break;
		}
	}
	counts[20]++;
	tick(l, 120 * SEC + 1);
	check_u64("the linger time: one dropped", 1, ndropped);
	check_u64("the linger time: ssid", 20, dropped[0]);
	check_u64("the linger time: why", LINGER_EXPIRED, why[0]);
	check_u64("empty after", 0, linger_count(l));
	linger_free(l);
	check_done();
}

static void
test_idle(void **state)
{
	struct linger_table *l = linger_new(600 * SEC, 60 * SEC, 4);

	(void)state;
	assert_non_null(l);
	memset(counts, 0, sizeof(counts));
	/* 21: last probe 10 s before its connection ended; 22: slow (30 s
	 * interval, so idle after 90 s); 23: keeps being probed. */
	add(l, "a", sess(21, 50000, 0), 10 * SEC, 0);
	add(l, "a", sess(22, 30000000, 10 * SEC), 10 * SEC, 0);
	add(l, "a", sess(23, 50000, 10 * SEC), 10 * SEC, 0);
	counts[23] = 5;
	tick(l, 60 * SEC);
	check_u64("60 s after 21's last probe: nothing yet", 0, ndropped);
	counts[23] = 6;
	tick(l, 60 * SEC + 1);
	check_u64("past 60 s: 21 goes", 1, ndropped);
	check_u64("past 60 s: ssid", 21, dropped[0]);
	check_u64("past 60 s: why", LINGER_IDLE, why[0]);
	counts[23] = 7;
	tick(l, 99 * SEC);
	check_u64("89 s after 22's last probe (3 x 30 s = 90): kept", 0, ndropped);
	counts[23] = 8;
	tick(l, 101 * SEC);
	check_u64("91 s: 22 goes", 1, ndropped);
	check_u64("91 s: ssid", 22, dropped[0]);
	check_u64("23, still probed, stays", 1, linger_count(l));
	linger_free(l);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
