/*
 * reflector: when a dropped plain STAMP packet is said in the log (once per
 * source address and reason every 10 minutes, from a fixed table) and which
 * reason the open reflector's counters give.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "check.h"
#include "../../server/reflector.c"
#include "../../server/openpeers.c"

#define SEC 1000000000LL

static struct net_addr
addr4(uint32_t ip, uint16_t port)
{
	struct net_addr a;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;

	memset(&a, 0, sizeof(a));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	s4->sin_addr.s_addr = htonl(ip);
	a.len = sizeof(*s4);
	return a;
}

static struct net_addr
addr6(uint8_t last, uint16_t port)
{
	struct net_addr a;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.ss;

	memset(&a, 0, sizeof(a));
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_addr.s6_addr[15] = last;
	a.len = sizeof(*s6);
	return a;
}

/* Once per source and reason per period; the port does not count. */
static void
test_once_per_period(void **state)
{
	struct reflector *r = refl_new(-1, 1472);
	struct net_addr a = addr4(0xc0000201, 5000), b = addr4(0xc0000202, 5000);
	struct net_addr a_port = addr4(0xc0000201, 6000), v6 = addr6(1, 5000);
	int64_t t0 = 1000 * SEC;

	(void)state;
	assert_non_null(r);
	check_i64("first drop from a", 1, plain_note_due(r, &a, PLAIN_NO_ALLOW, t0));
	check_i64("a again at once", 0, plain_note_due(r, &a, PLAIN_NO_ALLOW, t0));
	check_i64("a from another port", 0, plain_note_due(r, &a_port, PLAIN_NO_ALLOW, t0 + SEC));
	check_i64("a just inside 10 min", 0,
	    plain_note_due(r, &a, PLAIN_NO_ALLOW, t0 + PLAIN_NOTE_NS - 1));
	check_i64("a for another reason", 1, plain_note_due(r, &a, PLAIN_RATE, t0 + SEC));
	check_i64("b", 1, plain_note_due(r, &b, PLAIN_NO_ALLOW, t0 + SEC));
	check_i64("an IPv6 source", 1, plain_note_due(r, &v6, PLAIN_NO_ALLOW, t0 + SEC));
	check_i64("a after 10 min", 1, plain_note_due(r, &a, PLAIN_NO_ALLOW, t0 + PLAIN_NOTE_NS));
	check_i64("a right after that", 0,
	    plain_note_due(r, &a, PLAIN_NO_ALLOW, t0 + PLAIN_NOTE_NS + SEC));
	refl_free(r);
	check_done();
}

/* Many sources at once: at most one line per table slot per period. */
static void
test_bounded(void **state)
{
	struct reflector *r = refl_new(-1, 1472);
	struct net_addr a;
	int64_t t0 = 1000 * SEC;
	unsigned i, said = 0, again = 0;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 20000; i++) {
		a = addr4(0x0a000000 + i, 862);
		said += (unsigned)plain_note_due(r, &a, PLAIN_NOT_COVERED, t0 + i);
	}
	if (said > PLAIN_NOTES || said < PLAIN_NOTES / 2)
		check_fail("20,000 sources within a period: expected %d to %d lines "
		    "(at most one per slot, most slots used), got %u",
		    PLAIN_NOTES / 2, PLAIN_NOTES, said);
	for (i = 0; i < 20000; i++) {
		a = addr4(0x0a000000 + i, 862);
		again += (unsigned)plain_note_due(r, &a, PLAIN_NOT_COVERED,
		    t0 + PLAIN_NOTE_NS + 20000 + i);
	}
	if (again > PLAIN_NOTES || again == 0)
		check_fail("the same sources in the next period: expected 1 to %d "
		    "lines, got %u", PLAIN_NOTES, again);
	refl_free(r);
	check_done();
}

/* The open reflector's counter that moved gives the reason. */
static void
test_open_why(void **state)
{
	uint8_t unauth[STAMP_UNAUTH_LEN], junk[STAMP_UNAUTH_LEN], big[STAMP_AUTH_LEN];
	struct openpeers_stats was, now;
	struct stamp_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.err_est = 1;	/* a multiplier of 1: decodes */
	check_err("encode", 0, stamp_encode_sender(unauth, sizeof(unauth), STAMP_UNAUTH, &m));
	check_err("encode", 0, stamp_encode_sender(big, sizeof(big), STAMP_UNAUTH, &m));
	memset(junk, 0, sizeof(junk));	/* multiplier 0 */
	memset(&was, 0, sizeof(was));
	now = was;
	now.rate_limited++;
	check_i64("rate limited", PLAIN_RATE, plain_open_why(&was, &now, unauth, sizeof(unauth)));
	now = was;
	now.bad_hmac++;
	check_i64("bad HMAC", PLAIN_BAD_HMAC, plain_open_why(&was, &now, big, sizeof(big)));
	now = was;
	now.table_full++;
	check_i64("table full", PLAIN_TABLE_FULL, plain_open_why(&was, &now, unauth, sizeof(unauth)));
	now = was;
	now.malformed++;
	check_i64("44 octets refused as malformed: authenticated mode only",
	    PLAIN_UNAUTH, plain_open_why(&was, &now, unauth, sizeof(unauth)));
	check_i64("multiplier 0", PLAIN_MALFORMED, plain_open_why(&was, &now, junk, sizeof(junk)));
	check_i64("shorter than any STAMP packet: not said", -1,
	    plain_open_why(&was, &now, unauth, 20));
	check_i64("nothing moved (reflected): not said", -1,
	    plain_open_why(&was, &was, unauth, sizeof(unauth)));
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_per_period),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_open_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
