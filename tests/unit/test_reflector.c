/*
 * reflector: the SSID table, the replay window, the token bucket and the
 * order of the checks a probe goes through (refl_admit), without a socket:
 * the reflector is made with fd -1 and nothing is sent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"
#include "../../server/reflector.c"
#include "../../server/openpeers.c"

#define SEC 1000000000LL

/* --- the SSID table ------------------------------------------------------ */

static struct refl_terms
terms(uint16_t ssid, uint32_t interval_us)
{
	struct refl_terms t;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&t.peer.ss;

	memset(&t, 0, sizeof(t));
	t.ssid = ssid;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(40000);
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t.peer.len = sizeof(*s4);
	/* A session key as pktmon derives it: 32 octets. */
	t.key.len = 32;
	memset(t.key.k, 0x11, t.key.len);
	t.size = 112;
	t.interval_us = interval_us;
	return t;
}

static void
test_table(void **state)
{
	struct reflector *r = refl_new(-1, 1472);
	struct refl_terms t = terms(5, 10000);
	uint64_t rx = 1, tx = 1;

	(void)state;
	assert_non_null(r);
	t.ssid = 0;
	check_err("add ssid 0", PM_E_LIMIT, refl_add(r, &t));
	t.ssid = 5;
	check_err("add ssid 5", 0, refl_add(r, &t));
	check_err("add ssid 5 again", PM_E_LIMIT, refl_add(r, &t));
	check_u64("count", 1, refl_count(r));
	check_u64("received of a new session", 0, refl_received(r, 5));
	check_u64("received of no session", 0, refl_received(r, 6));
	r->tab[5]->received = 7;
	r->tab[5]->reflected = 6;
	refl_remove(r, 5, &rx, &tx);
	check_u64("final received", 7, rx);
	check_u64("final reflected", 6, tx);
	check_u64("count after removal", 0, refl_count(r));
	refl_remove(r, 5, NULL, NULL);	/* gone already: no-op */
	check_u64("count after a second removal", 0, refl_count(r));
	refl_free(r);
	check_done();
}

/* refl_pick_ssid never names 0 or a taken SSID, and 0 when all are taken. */
static void
test_pick(void **state)
{
	static struct refl_sess taken;
	struct reflector *r = refl_new(-1, 1472);
	unsigned i, bad = 0;
	uint16_t v;

	(void)state;
	assert_non_null(r);
	for (i = 1; i < 65536; i += 2)	/* every odd SSID taken */
		r->tab[i] = &taken;
	for (i = 0; i < 2000; i++) {
		v = refl_pick_ssid(r);
		bad += v == 0 || (v & 1) != 0;
	}
	check_u64("picks of 0 or a taken SSID, of 2000, half the table taken", 0, bad);
	for (i = 1; i < 65536; i++)
		r->tab[i] = i == 4321 ? NULL : &taken;
	check_u64("the one free SSID is found", 4321, refl_pick_ssid(r));
	r->tab[4321] = &taken;
	check_u64("a full table", 0, refl_pick_ssid(r));
	memset(r->tab, 0, sizeof(r->tab));
	refl_free(r);
	check_done();
}

/* --- the replay window ---------------------------------------------------- */

static void
test_replay(void **state)
{
	static const struct {
		const char *name;
		uint32_t seq;
		int want;	/* 0 new, -1 dropped */
	} steps[] = {
		{ "first", 0, 0 }, { "again", 0, -1 },
		{ "next", 1, 0 }, { "a gap", 5, 0 }, { "into the gap", 3, 0 },
		{ "into the gap again", 3, -1 }, { "the gap's other", 2, 0 },
		{ "forward 2000", 2000, 0 },
		{ "1,000 back, never seen: inside the window", 1000, 0 },
		{ "1,000 back again", 1000, -1 },
		{ "1,024 back from the newest: too old", 976, -1 },
		{ "1,023 back from the newest: the window's oldest", 977, 0 },
		{ "1,023 back again", 977, -1 },
		{ "an old one inside the first window", 5, -1 },
		{ "the newest + 1 reuses 977's slot", 2001, 0 },
		{ "so 977 is too old now", 977, -1 },
		{ "far forward clears the window", 100000, 0 },
		{ "just below it, never seen", 99999, 0 },
		{ "2000, seen before the jump: too old now", 2000, -1 },
	};
	static const struct {
		const char *name;
		uint32_t seq;
		int want;
	} wrap[] = {
		{ "near the top", 0xfffffff0u, 0 }, { "the top", 0xffffffffu, 0 },
		{ "wrapped to 0", 0, 0 }, { "1", 1, 0 },
		{ "the top again, after the wrap", 0xffffffffu, -1 },
		{ "near the top, never seen, inside the window", 0xfffffff5u, 0 },
		{ "0 again", 0, -1 },
	};
	struct refl_sess s;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < NELEM(steps); i++)
		check_i64(desc("replay step %zu (%s, seq %u)", i + 1, steps[i].name,
		    steps[i].seq), steps[i].want, replay_check(&s, steps[i].seq));
	memset(&s, 0, sizeof(s));
	for (i = 0; i < NELEM(wrap); i++)
		check_i64(desc("wrap step %zu (%s, seq %u)", i + 1, wrap[i].name,
		    wrap[i].seq), wrap[i].want, replay_check(&s, wrap[i].seq));
	check_done();
}

/* Every one of 5,000 in-order sequence numbers is new exactly once, with
 * each resent 3 later (reordering inside the window). */
static void
test_replay_stream(void **state)
{
	struct refl_sess s;
	unsigned i, fresh = 0, dup = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 5000; i++) {
		fresh += replay_check(&s, i) == 0;
		if (i >= 3)
			dup += replay_check(&s, i - 3) != 0;
	}
	check_u64("in-order sequence numbers accepted", 5000, fresh);
	check_u64("resent ones dropped", 4997, dup);
	check_done();
}

/* --- the token bucket ----------------------------------------------------- */

static unsigned
takes(struct refl_sess *s, int64_t t0, int64_t gap, unsigned n)
{
	unsigned i, ok = 0;

	for (i = 0; i < n; i++)
		ok += bucket_take(s, t0 + (int64_t)i * gap) == 0;
	return ok;
}

static void
test_bucket(void **state)
{
	struct reflector *r = refl_new(-1, 1472);
	struct refl_terms t;
	struct refl_sess *s;
	int64_t t0 = 1000 * SEC;

	(void)state;
	assert_non_null(r);
	/* 100/s granted: 110/s refill, burst of 32 (a quarter second is 25). */
	t = terms(1, 10000);
	assert_int_equal(refl_add(r, &t), 0);
	s = r->tab[1];
	check_u64("100/s: a burst at one instant", 32, takes(s, t0, 0, 40));
	check_u64("100/s: after 1 s the bucket is full again, not fuller", 32,
	    takes(s, t0 + SEC, 0, 40));
	/* A step back of the clock adds nothing. */
	check_u64("100/s: clock 10 s back, bucket empty", 0, takes(s, t0, 0, 1));
	/* 1000/s granted: burst 250, refill 1,100/s. */
	t = terms(2, 1000);
	assert_int_equal(refl_add(r, &t), 0);
	s = r->tab[2];
	check_u64("1000/s: a burst at one instant", 250, takes(s, t0, 0, 300));
	/* Offered at twice the rate for 10 s after the burst: 1,100/s pass. */
	{
		unsigned ok = takes(s, t0 + SEC / 2000, SEC / 2000, 20000);

		if (ok < 10990 || ok > 11010)
			check_fail("1000/s offered 2000/s for 10 s: expected about "
			    "11,000 to pass (1.1 x the rate), got %u", ok);
	}
	/* At the granted rate nothing is dropped, Poisson-like bunching
	 * within the burst included. */
	t = terms(3, 10000);
	assert_int_equal(refl_add(r, &t), 0);
	s = r->tab[3];
	check_u64("100/s offered at 100/s for 60 s", 6000,
	    takes(s, t0, SEC / 100, 6000));
	refl_free(r);
	check_done();
}

/* --- the order of the checks ---------------------------------------------- */

static size_t
probe(struct reflector *r, uint16_t ssid, uint32_t seq, uint8_t *pkt, size_t len)
{
	struct stamp_msg m;

	memset(&m, 0, sizeof(m));
	memset(pkt, 0, len);
	m.seq = seq;
	m.err_est = 1;
	m.ssid = ssid;
	if (stamp_encode_sender(pkt, len, STAMP_AUTH, &m) != 0 ||
	    (r->tab[ssid] != NULL && stamp_auth_sign(r->tab[ssid]->mac, pkt, len) != 0))
		fail_msg("could not make a probe");
	return len;
}

static void
test_admit(void **state)
{
	struct reflector *r = refl_new(-1, 1472);
	struct refl_terms t = terms(9, 10000);
	struct stamp_msg m;
	struct net_rx rx;
	uint8_t pkt[1500];
	struct sockaddr_in *from = (struct sockaddr_in *)&rx.from.ss;

	(void)state;
	assert_non_null(r);
	assert_int_equal(refl_add(r, &t), 0);
	memset(&rx, 0, sizeof(rx));
	rx.from = t.peer;
	rx.rx_wall_ns = 1000 * SEC;

	probe(r, 9, 0, pkt, 112);
	check_u64("a good probe is admitted", 1, refl_admit(r, pkt, 112, &rx, &m) != NULL);
	check_u64("the same probe again: replayed", 1,
	    refl_admit(r, pkt, 112, &rx, &m) == NULL && r->st.replayed == 1);
	probe(r, 9, 1, pkt, 112);
	pkt[40] ^= 1;
	check_u64("one bit flipped: bad_hmac", 1,
	    refl_admit(r, pkt, 112, &rx, &m) == NULL && r->st.bad_hmac == 1);
	probe(r, 9, 2, pkt, 200);
	check_u64("not the granted size: bad_length", 1,
	    refl_admit(r, pkt, 200, &rx, &m) == NULL && r->st.bad_length == 1);
	check_u64("longer than --max-size: bad_length", 1,
	    refl_admit(r, pkt, 1473, &rx, &m) == NULL && r->st.bad_length == 2);
	check_u64("shorter than 112: bad_length", 1,
	    refl_admit(r, pkt, 111, &rx, &m) == NULL && r->st.bad_length == 3);
	probe(r, 77, 0, pkt, 112);
	check_u64("no such session: unknown_ssid", 1,
	    refl_admit(r, pkt, 112, &rx, &m) == NULL && r->st.unknown_ssid == 1);
	probe(r, 9, 3, pkt, 112);
	from->sin_port = htons(40001);
	check_u64("another source port: wrong_source", 1,
	    refl_admit(r, pkt, 112, &rx, &m) == NULL && r->st.wrong_source == 1);
	/* A spoofed probe must not touch the replay window: from the right
	 * source, seq 3 is still new. */
	from->sin_port = htons(40000);
	check_u64("the same probe from the registered source", 1,
	    refl_admit(r, pkt, 112, &rx, &m) != NULL);
	refl_free(r);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_stream),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_admit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
