/*
 * preauth: the per-source and total caps on unauthenticated connections,
 * and which connection a newcomer may push out when every slot is taken.
 * Owners are small integers cast to pointers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"
#include "../../server/preauth.c"

#define OWNER(n) ((void *)(uintptr_t)(n))

static struct net_addr
addr(const char *ip, uint16_t port)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
			fail_msg("bad test address %s", ip);
		a.len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, ip, &s4->sin_addr) != 1)
			fail_msg("bad test address %s", ip);
		a.len = sizeof(*s4);
	}
	return a;
}

static const char *
verdict_name(enum preauth_verdict v)
{
	switch (v) {
	case PREAUTH_ADMIT:
		return "admit";
	case PREAUTH_EVICT:
		return "evict";
	case PREAUTH_REFUSE_SOURCE:
		return "refuse-source";
	case PREAUTH_REFUSE_FULL:
		return "refuse-full";
	}
	return "?";
}

/* Each step: judge a newcomer from ip; on admit or evict, add it as
 * owner 'id' (after removing the victim). */
struct step {
	const char *ip;
	enum preauth_verdict want;
	unsigned victim;	/* EVICT: the owner expected */
};

#define END { NULL, PREAUTH_ADMIT, 0 }

static const struct scenario {
	const char *name;
	unsigned max_total, max_per_src;
	struct step steps[16];
} scenarios[] = {
	{ "per-source cap, others unaffected", 8, 2, {
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.1", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_REFUSE_SOURCE, 0 },
	    { "10.0.0.2", PREAUTH_ADMIT, 0 }, END } },
	{ "the port does not make another source", 8, 1, {
	    { "10.0.0.1", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_REFUSE_SOURCE, 0 }, END } },
	{ "full: a quiet source takes the busiest one's oldest", 4, 4, {
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.1", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.2", PREAUTH_ADMIT, 0 },
	    { "10.0.0.3", PREAUTH_EVICT, 1 },	/* 0 + 1 < 3 */
	    /* 10.0.0.1 now holds 2 (owners 2, 3): 10.0.0.2 holds 1: 2 < 2 no */
	    { "10.0.0.2", PREAUTH_REFUSE_FULL, 0 },
	    { "10.0.0.4", PREAUTH_EVICT, 2 },	/* 0 + 1 < 2 */
	    END } },
	{ "full: the busiest source cannot push itself out", 4, 4, {
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.1", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.2", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_REFUSE_FULL, 0 }, END } },
	{ "full: two flooders of 2 cannot take turns", 4, 4, {
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.2", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_ADMIT, 0 }, { "10.0.0.2", PREAUTH_ADMIT, 0 },
	    { "10.0.0.1", PREAUTH_REFUSE_FULL, 0 },
	    { "10.0.0.2", PREAUTH_REFUSE_FULL, 0 },
	    { "10.0.0.9", PREAUTH_EVICT, 1 }, END } },
	{ "IPv6 and IPv4 are separate sources", 3, 2, {
	    { "2001:db8::1", PREAUTH_ADMIT, 0 }, { "2001:db8::1", PREAUTH_ADMIT, 0 },
	    { "2001:db8::1", PREAUTH_REFUSE_SOURCE, 0 },
	    { "10.0.0.1", PREAUTH_ADMIT, 0 },
	    { "2001:db8::2", PREAUTH_EVICT, 1 },	/* 0 + 1 < 2 */
	    { "10.0.0.2", PREAUTH_REFUSE_FULL, 0 },	/* every source holds 1 */
	    END } },
};

static void
test_scenarios(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		struct preauth *p = preauth_new(sc->max_total, sc->max_per_src);
		struct preauth_ent *ents[32] = { NULL };
		unsigned owner = 0;

		assert_non_null(p);
		for (k = 0; sc->steps[k].ip != NULL; k++) {
			const struct step *st = &sc->steps[k];
			struct net_addr a = addr(st->ip, (uint16_t)(40000 + k));
			void *victim = OWNER(99);
			enum preauth_verdict v = preauth_judge(p, &a, &victim);

			if (v != st->want) {
				check_fail("%s, step %zu (%s): expected %s, got %s",
				    sc->name, k + 1, st->ip, verdict_name(st->want),
				    verdict_name(v));
				break;
			}
			if (v == PREAUTH_EVICT) {
				uintptr_t vid = (uintptr_t)victim;

				check_u64(desc("%s, step %zu: victim", sc->name, k + 1),
				    st->victim, vid);
				preauth_remove(p, ents[vid]);
				ents[vid] = NULL;
			} else
				check_u64(desc("%s, step %zu: no victim", sc->name,
				    k + 1), 0, (uintptr_t)victim);
			if (v == PREAUTH_ADMIT || v == PREAUTH_EVICT) {
				owner++;
				ents[owner] = preauth_add(p, &a, OWNER(owner));
				assert_non_null(ents[owner]);
			}
		}
		preauth_free(p);	/* with entries left: nothing leaks */
	}
	check_done();
}

static void
test_counts(void **state)
{
	struct preauth *p = preauth_new(8, 8);
	struct net_addr a1 = addr("192.0.2.1", 1), a1b = addr("192.0.2.1", 2);
	struct net_addr a2 = addr("192.0.2.2", 1);
	struct preauth_ent *e1, *e2, *e3;

	(void)state;
	assert_non_null(p);
	e1 = preauth_add(p, &a1, OWNER(1));
	e2 = preauth_add(p, &a1b, OWNER(2));
	e3 = preauth_add(p, &a2, OWNER(3));
	check_u64("count", 3, preauth_count(p));
	check_u64("from 192.0.2.1 (two ports)", 2, preauth_from(p, &a1));
	check_u64("from 192.0.2.2", 1, preauth_from(p, &a2));
	preauth_remove(p, e1);
	preauth_remove(p, NULL);
	check_u64("after one removal", 1, preauth_from(p, &a1b));
	preauth_remove(p, e2);
	check_u64("source gone", 0, preauth_from(p, &a1));
	check_u64("count after removals", 1, preauth_count(p));
	preauth_remove(p, e3);
	check_u64("empty", 0, preauth_count(p));
	preauth_free(p);
	preauth_free(NULL);
	check_done();
}

/* Many sources, added and removed in turn: the hash chains stay whole. */
static void
test_churn(void **state)
{
	struct preauth *p = preauth_new(64, 4);
	struct preauth_ent *e[256] = { NULL };
	char ip[32];
	unsigned i, live = 0;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < 256; i++) {
		struct net_addr a;

		snprintf(ip, sizeof(ip), "10.%u.%u.1", i % 7, i % 40);
		a = addr(ip, (uint16_t)i);
		if (preauth_from(p, &a) < 4 && preauth_count(p) < 64) {
			e[i] = preauth_add(p, &a, OWNER(i));
			live++;
		}
		if (i >= 30 && e[i - 30] != NULL) {
			preauth_remove(p, e[i - 30]);
			e[i - 30] = NULL;
			live--;
		}
		if (preauth_count(p) != live) {
			check_fail("churn step %u: count %u, expected %u", i,
			    preauth_count(p), live);
			break;
		}
	}
	preauth_free(p);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
