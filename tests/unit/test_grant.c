/*
 * grant: the checks promised in grant.h. A grant may lengthen the
 * interval and shorten the probe within the protocol's limits; every other
 * change, and a zero id, port or nonce, is refused with the field named.
 */
#include "check.h"
#include "../../client/grant.c"

#define ONE_S 1000000u

struct grant_case {
	const char *name;
	struct grant_ask ask;
	uint16_t ssid, port;
	uint32_t interval_us;
	uint16_t size;
	uint8_t nonce0;		/* first nonce octet; the rest are zero */
	const char *want;	/* NULL: accepted */
};

static const struct grant_case cases[] = {
	{ "as asked", { ONE_S, 112 }, 1, 862, ONE_S, 112, 1, NULL },
	{ "longer interval (the server's minimum)", { 10000, 112 }, 7, 862,
	    50000, 112, 1, NULL },
	{ "shorter probe (the server's maximum)", { ONE_S, 9000 }, 7, 862,
	    ONE_S, 1472, 1, NULL },
	{ "the largest ids and interval", { 10, 65535 }, 65535, 65535,
	    3600000000u, 65535, 0xff, NULL },
	{ "the client's shortest interval", { 10, 112 }, 1, 1, 10, 112, 1, NULL },
	{ "interval 0", { ONE_S, 112 }, 1, 862, 0, 112, 1,
	    "granted interval 0 us, shorter than the 1000000 us asked" },
	{ "1 us to a client that asked 1 s", { ONE_S, 112 }, 1, 862, 1, 112, 1,
	    "granted interval 1 us, shorter than the 1000000 us asked" },
	{ "one microsecond short", { ONE_S, 112 }, 1, 862, ONE_S - 1, 112, 1,
	    "granted interval 999999 us, shorter than the 1000000 us asked" },
	{ "below the protocol's minimum, whatever was asked", { 0, 112 }, 1, 862,
	    9, 112, 1, "granted interval 9 us, shorter than the 10 us allowed" },
	{ "longer than an hour", { ONE_S, 112 }, 1, 862, 3600000001u, 112, 1,
	    "granted interval 3600000001 us, longer than the 3600000000 us allowed" },
	{ "the largest interval on the wire", { ONE_S, 112 }, 1, 862, UINT32_MAX,
	    112, 1, "granted interval 4294967295 us, longer than the 3600000000 us allowed" },
	{ "size 0", { ONE_S, 112 }, 1, 862, ONE_S, 0, 1,
	    "granted probes of 0 octets, shorter than the 112 of an authenticated STAMP probe" },
	{ "below the authenticated base", { ONE_S, 1472 }, 1, 862, ONE_S, 111, 1,
	    "granted probes of 111 octets, shorter than the 112 of an authenticated STAMP probe" },
	{ "size 65535", { ONE_S, 112 }, 1, 862, ONE_S, 65535, 1,
	    "granted probes of 65535 octets, larger than the 112 asked" },
	{ "one octet more than asked", { ONE_S, 1472 }, 1, 862, ONE_S, 1473, 1,
	    "granted probes of 1473 octets, larger than the 1472 asked" },
	{ "UDP port 0", { ONE_S, 112 }, 1, 0, ONE_S, 112, 1,
	    "granted UDP port 0 for the reflector" },
	{ "ssid 0", { ONE_S, 112 }, 0, 862, ONE_S, 112, 1,
	    "granted session id 0" },
	{ "all-zero nonce", { ONE_S, 112 }, 1, 862, ONE_S, 112, 0,
	    "granted an all-zero key nonce" },
	{ "everything wrong: the first field is named", { ONE_S, 112 }, 0, 0, 0, 0, 0,
	    "granted session id 0" },
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		const struct grant_case *c = &cases[i];
		struct ctl_grant g;
		char why[160] = "";
		int r;

		memset(&g, 0, sizeof(g));
		g.ssid = c->ssid;
		g.udp_port = c->port;
		g.interval_us = c->interval_us;
		g.size = c->size;
		g.nonce[0] = c->nonce0;
		r = grant_check(&c->ask, &g, why, sizeof(why));
		if (c->want == NULL) {
			if (r != 0)
				check_fail("%s: expected the grant accepted, got %s: "
				    "\"%s\"", c->name, pm_strerror(r), why);
			continue;
		}
		if (check_err(desc("%s: result", c->name), PM_E_RANGE, r))
			check_str(desc("%s: reason", c->name), c->want, why);
	}
	check_done();
}

/* Any nonzero octet is a nonce, the last one too. */
static void
test_nonce_last_octet(void **state)
{
	const struct grant_ask ask = { ONE_S, 112 };
	struct ctl_grant g;
	char why[160] = "";

	(void)state;
	memset(&g, 0, sizeof(g));
	g.ssid = 1;
	g.udp_port = 862;
	g.interval_us = ONE_S;
	g.size = 112;
	g.nonce[CTL_NONCE_LEN - 1] = 0x80;
	check_err("nonce with only its last octet set", 0,
	    grant_check(&ask, &g, why, sizeof(why)));
	check_done();
}

/* A short buffer gets a cut reason, never an overrun. */
static void
test_short_reason_buffer(void **state)
{
	const struct grant_ask ask = { ONE_S, 112 };
	struct ctl_grant g;
	char why[12];

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(why, 'x', sizeof(why));
	check_err("interval 0, 8-octet reason buffer", PM_E_RANGE,
	    grant_check(&ask, &g, why, 8));
	check_str("the reason cut to fit", "granted", why);
	check_mem("the octets past the buffer", "xxxx", why + 8, 4);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nonce_last_octet),
		cmocka_unit_test(test_short_reason_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
