/*
 * Unit tests for client/slots.c: slots settle in slot order whatever order
 * their fates arrive in, each exactly once; fates that change after
 * settling come back as refates; a full ring settles its oldest as lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../client/slots.c"

#define MAXN 20000

struct rec {
	uint64_t n, order[MAXN];
	unsigned fate[MAXN];
	uint64_t refates;
	unsigned last_from, last_to;
};

static void
settled(void *arg, uint64_t slot, int64_t wall, unsigned fate, int64_t rtt)
{
	struct rec *r = arg;

	(void)wall;
	(void)rtt;
	if (r->n < MAXN) {
		r->order[r->n] = slot;
		r->fate[r->n++] = fate;
	}
}

static void
refate(void *arg, uint64_t slot, int64_t wall, unsigned from, unsigned to)
{
	struct rec *r = arg;

	(void)slot;
	(void)wall;
	r->refates++;
	r->last_from = from;
	r->last_to = to;
}

static struct slots *
book(struct rec *r)
{
	struct slots_events ev = { settled, refate, r };
	struct slots *b;

	memset(r, 0, sizeof(*r));
	b = slots_new(0, &ev);
	assert_non_null(b);
	return b;
}

/* Two sessions' slots: the old one's tail times out after the new one's
 * first answers; the detector still sees 0, 1, 2, 3 in order. */
static void
test_settle_in_slot_order(void **state)
{
	struct rec r;
	struct slots *b = book(&r);
	uint64_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(slots_add(b, (int64_t)i, SLOT_PENDING), i);
	slots_set(b, 2, PM_FATE_ANSWERED, 5, 2);
	slots_set(b, 3, PM_FATE_ANSWERED, 5, 3);
	assert_int_equal(r.n, 0);
	slots_set(b, 1, PM_FATE_LOST, -1, 1);
	assert_int_equal(r.n, 0);
	slots_set(b, 0, PM_FATE_LOST, -1, 0);
	assert_int_equal(r.n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(r.order[i], i);
	assert_int_equal(r.fate[0], PM_FATE_LOST);
	assert_int_equal(r.fate[2], PM_FATE_ANSWERED);
	/* Direction learnt later: a refate, never a second settle. */
	slots_set(b, 1, PM_FATE_LOST_FWD, -1, 1);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.refates, 1);
	assert_int_equal(r.last_from, PM_FATE_LOST);
	assert_int_equal(r.last_to, PM_FATE_LOST_FWD);
	/* The same fate again (a duplicate reply's row) changes nothing. */
	slots_set(b, 2, PM_FATE_ANSWERED, 5, 2);
	assert_int_equal(r.refates, 1);
	slots_free(b);
}

/* Unsent slots are final at once and settle in their place. */
static void
test_unsent_settles_at_once(void **state)
{
	struct rec r;
	struct slots *b = book(&r);

	(void)state;
	(void)slots_add(b, 0, PM_FATE_UNSENT);
	assert_int_equal(r.n, 1);
	(void)slots_add(b, 1, SLOT_PENDING);
	(void)slots_add(b, 2, PM_FATE_UNSENT);
	assert_int_equal(r.n, 1);
	slots_set(b, 1, PM_FATE_ANSWERED, 1, 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.fate[2], PM_FATE_UNSENT);
	slots_free(b);
}

/* A ring full of slots nobody settles: each slot still settles once, the
 * stuck ones as lost, and a fate for a slot that left the ring is ignored. */
static void
test_full_ring(void **state)
{
	struct rec r;
	struct slots *b = book(&r);
	uint64_t i, n = SLOTS_MIN + 10;

	(void)state;
	for (i = 0; i < n; i++)
		(void)slots_add(b, (int64_t)i, SLOT_PENDING);
	assert_int_equal(r.n, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(r.order[i], i);
		assert_int_equal(r.fate[i], PM_FATE_LOST);
	}
	slots_set(b, 0, PM_FATE_ANSWERED, 1, 0);	/* gone: ignored */
	assert_int_equal(r.refates, 0);
	slots_set(b, n, PM_FATE_ANSWERED, 1, 0);	/* never added: ignored */
	for (i = 10; i < n; i++)
		slots_set(b, i, PM_FATE_ANSWERED, 1, (int64_t)i);
	assert_int_equal(r.n, n);
	assert_int_equal(slots_settled(b), n);
	slots_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle_in_slot_order),
		cmocka_unit_test(test_unsent_settles_at_once),
		cmocka_unit_test(test_full_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
