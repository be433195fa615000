/*
 * parse: strict numbers, durations, points in time and host:port. Every
 * table row is one input and what must come out of it.
 */
#include "check.h"
#include "../../shared/parse.c"

#define S 1000000000ULL		/* ns per second, for readable tables */
#define E_ANY 1			/* either PM_E_FORMAT or PM_E_RANGE */

static int
check_ret(const char *what, int expected, int got)
{
	if (expected != E_ANY)
		return check_err(what, expected, got);
	if (got == PM_E_FORMAT || got == PM_E_RANGE)
		return 1;
	return check_fail("%s: expected PM_E_FORMAT or PM_E_RANGE, got %d (%s)",
	    what, got, pm_strerror(got));
}

static const struct num_case {
	const char *s;
	uint64_t lo, hi;
	int ret;
	uint64_t value;
} u32_cases[] = {
	{ "0", 0, UINT32_MAX, 0, 0 },
	{ "1", 0, UINT32_MAX, 0, 1 },
	{ "007", 0, UINT32_MAX, 0, 7 },
	{ "4294967295", 0, UINT32_MAX, 0, UINT32_MAX },
	{ "4294967296", 0, UINT32_MAX, PM_E_RANGE, 0 },
	{ "99999999999999999999999", 0, UINT32_MAX, PM_E_RANGE, 0 },
	{ "10", 10, 20, 0, 10 },
	{ "20", 10, 20, 0, 20 },
	{ "9", 10, 20, PM_E_RANGE, 0 },
	{ "21", 10, 20, PM_E_RANGE, 0 },
	{ "", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "7x", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "x7", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "-1", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "-0", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "+1", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ " 1", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "1 ", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "0x10", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "1e3", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "1.0", 0, UINT32_MAX, PM_E_FORMAT, 0 },
	{ "1,000", 0, UINT32_MAX, PM_E_FORMAT, 0 },
}, u64_cases[] = {
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "4294967296", 0, UINT64_MAX, 0, 4294967296ULL },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "99999999999999999999999", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "100", 101, UINT64_MAX, PM_E_RANGE, 0 },
	{ "100", 0, 99, PM_E_RANGE, 0 },
	{ "", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "-1", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "-18446744073709551615", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "+5", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "5\n", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "\t5", 0, UINT64_MAX, PM_E_FORMAT, 0 },
};

static void
test_u32(void **state)
{
	size_t i;

	(void)state;
	check_ret("parse_u32(NULL)", PM_E_FORMAT,
	    parse_u32(NULL, 0, UINT32_MAX, &(uint32_t){ 0 }));
	for (i = 0; i < NELEM(u32_cases); i++) {
		const struct num_case *c = &u32_cases[i];
		uint32_t v = 0;

		const char *what = desc("parse_u32(\"%s\", %llu, %llu)", c->s,
		    (unsigned long long)c->lo, (unsigned long long)c->hi);

		if (check_ret(what, c->ret,
		    parse_u32(c->s, (uint32_t)c->lo, (uint32_t)c->hi, &v)) &&
		    c->ret == 0)
			check_u64(what, c->value, v);
	}
	check_done();
}

static void
test_u64(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(u64_cases); i++) {
		const struct num_case *c = &u64_cases[i];
		uint64_t v = 0;

		const char *what = desc("parse_u64(\"%s\", %llu, %llu)", c->s,
		    (unsigned long long)c->lo, (unsigned long long)c->hi);

		if (check_ret(what, c->ret, parse_u64(c->s, c->lo, c->hi, &v)) &&
		    c->ret == 0)
			check_u64(what, c->value, v);
	}
	check_done();
}

/* The decimal scanner under the duration parser: value in 1e-9 units. */
static const struct decimal_case {
	const char *s;
	int ret;
	uint64_t nano;
	const char *rest;	/* where the scan stopped */
} decimal_cases[] = {
	{ "123", 0, 123 * S, "" },
	{ "1.5", 0, 1500000000, "" },
	{ ".25", 0, 250000000, "" },
	{ "0.123456789", 0, 123456789, "" },
	{ "0.1234567891", 0, 123456789, "" },	/* below 1e-9 is dropped */
	{ "10ms", 0, 10 * S, "ms" },
	{ "2.5h", 0, 2500000000, "h" },
	{ "1.2.3", 0, 1200000000, ".3" },
	{ "", PM_E_FORMAT, 0, NULL },
	{ ".", PM_E_FORMAT, 0, NULL },
	{ "s", PM_E_FORMAT, 0, NULL },
	{ "-1", PM_E_FORMAT, 0, NULL },
	{ "99999999999999999999", PM_E_RANGE, 0, NULL },
};

/* The old single-number form of parse_decimal, for the table above. */
static int
parse_decimal_nano(const char **sp, uint64_t *out)
{
	uint64_t whole, frac;
	int r = parse_decimal(sp, &whole, &frac);

	if (r == 0 && whole > (UINT64_MAX - frac) / 1000000000ULL)
		return PM_E_RANGE;
	if (r == 0)
		*out = whole * 1000000000ULL + frac;
	return r;
}

static void
test_decimal_nano(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(decimal_cases); i++) {
		const struct decimal_case *c = &decimal_cases[i];
		const char *p = c->s;
		uint64_t v = 0;

		const char *what = desc("parse_decimal_nano(\"%s\")", c->s);

		if (!check_err(what, c->ret, parse_decimal_nano(&p, &v)) ||
		    c->ret != 0)
			continue;
		what = desc("parse_decimal_nano(\"%s\"): value", c->s);
		check_u64(what, c->nano, v);
		what = desc("parse_decimal_nano(\"%s\"): stops at", c->s);
		check_str(what, c->rest, p);
	}
	check_done();
}

static const struct num_case duration_cases[] = {
	/* The forms the header names. */
	{ "0.01", 0, UINT64_MAX, 0, 10000000 },
	{ "10ms", 0, UINT64_MAX, 0, 10000000 },
	{ "1.5s", 0, UINT64_MAX, 0, 1500000000 },
	{ "2m", 0, UINT64_MAX, 0, 120 * S },
	{ "1h", 0, UINT64_MAX, 0, 3600 * S },
	{ "250us", 0, UINT64_MAX, 0, 250000 },
	/* Every unit. */
	{ "7ns", 0, UINT64_MAX, 0, 7 },
	{ "3us", 0, UINT64_MAX, 0, 3000 },
	{ "1.5ms", 0, UINT64_MAX, 0, 1500000 },
	{ "1", 0, UINT64_MAX, 0, S },
	{ "1s", 0, UINT64_MAX, 0, S },
	{ "2min", 0, UINT64_MAX, 0, 120 * S },
	{ "0.5m", 0, UINT64_MAX, 0, 30 * S },
	{ "1.25h", 0, UINT64_MAX, 0, 4500 * S },
	{ "1d", 0, UINT64_MAX, 0, 86400 * S },
	{ ".25", 0, UINT64_MAX, 0, 250000000 },
	{ "0", 0, UINT64_MAX, 0, 0 },
	{ "0.000000001", 0, UINT64_MAX, 0, 1 },
	/* Bounds. */
	{ "1ms", 2000000, UINT64_MAX, PM_E_RANGE, 0 },
	{ "2ms", 2000000, 2000000, 0, 2000000 },
	{ "1h", 0, 60 * S, PM_E_RANGE, 0 },
	{ "60s", 0, 60 * S, 0, 60 * S },
	/* Overflow, at every step: digits, scaling to ns, unit multiplier. */
	{ "18446744073s", 0, UINT64_MAX, 0, 18446744073ULL * S },
	{ "18446744074s", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "18446744079", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "18446744073.9s", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "184467440737", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "99999999999999999999ns", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "300000000m", 0, UINT64_MAX, 0, 18000000000ULL * S },
	{ "310000000m", 0, UINT64_MAX, PM_E_RANGE, 0 },
	{ "213503982d", 0, UINT64_MAX, PM_E_RANGE, 0 },
	/* Malformed. */
	{ "", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "ms", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ ".", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ ".s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "-1s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "+1s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ " 1s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1 s", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1s ", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1sec", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1S", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1mss", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "10x", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1.2.3", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1e3", 0, UINT64_MAX, PM_E_FORMAT, 0 },
	{ "1h30m", 0, UINT64_MAX, PM_E_FORMAT, 0 },
};

static void
test_duration(void **state)
{
	size_t i;

	(void)state;
	check_ret("parse_duration_ns(NULL)", PM_E_FORMAT,
	    parse_duration_ns(NULL, 0, UINT64_MAX, &(uint64_t){ 0 }));
	for (i = 0; i < NELEM(duration_cases); i++) {
		const struct num_case *c = &duration_cases[i];
		uint64_t v = 0;

		const char *what = desc("parse_duration_ns(\"%s\", %llu, %llu)",
		    c->s, (unsigned long long)c->lo, (unsigned long long)c->hi);

		if (check_ret(what, c->ret,
		    parse_duration_ns(c->s, c->lo, c->hi, &v)) && c->ret == 0)
			check_u64(what, c->value, v);
	}
	check_done();
}

#define NOW (1764000000LL * (int64_t)S)	/* 2025-11-24T16:00:00Z */

static const struct time_case {
	const char *s;
	int ret;
	int64_t value;
} time_cases[] = {
	{ "now", 0, NOW },
	{ "-1d", 0, NOW - 86400LL * (int64_t)S },
	{ "-90m", 0, NOW - 5400LL * (int64_t)S },
	{ "-30s", 0, NOW - 30LL * (int64_t)S },
	{ "-1.5h", 0, NOW - 5400LL * (int64_t)S },
	{ "-250ms", 0, NOW - 250000000LL },
	{ "-0s", 0, NOW },
	{ "-1764000000s", 0, 0 },
	{ "-1764000001s", PM_E_RANGE, 0 },
	{ "1700000000", 0, 1700000000LL * (int64_t)S },
	{ "0", 0, 0 },
	{ "9223372036", 0, 9223372036LL * (int64_t)S },
	{ "9223372037", E_ANY, 0 },
	{ "2026-11-25T10:00:00Z", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25T10:00:00", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25 10:00:00Z", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25 10:00:00", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25T10:00Z", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25T10:00", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25 10:00", 0, 1795600800LL * (int64_t)S },
	{ "2026-11-25", 0, 1795564800LL * (int64_t)S },
	{ "2000-02-29T23:59:59Z", 0, 951868799LL * (int64_t)S },
	{ "1970-01-01", 0, 0 },
	/* Past what int64 ns can hold (2262-04-11T23:47:16.854775807Z). */
	{ "2262-04-11T23:47:16Z", 0, 9223372036LL * (int64_t)S },
	{ "2262-04-11T23:47:17Z", E_ANY, 0 },
	{ "2263-01-01", E_ANY, 0 },
	{ "9999-12-31T23:59:59Z", E_ANY, 0 },
	{ "1677-09-21T00:12:43Z", E_ANY, 0 },
	{ "0003-01-01", E_ANY, 0 },
	{ "", PM_E_FORMAT, 0 },
	{ "-", E_ANY, 0 },
	{ "-1x", E_ANY, 0 },
	{ "-1d ago", E_ANY, 0 },
	{ "+1d", E_ANY, 0 },
	{ "1d", E_ANY, 0 },
	{ "NOW", E_ANY, 0 },
	{ "now ", E_ANY, 0 },
	{ "yesterday", E_ANY, 0 },
	{ "2026-11-25T10:00:00+01:00", E_ANY, 0 },
	{ "2026-11-25T10:00:00Zjunk", E_ANY, 0 },
	{ "2026-11-25junk", E_ANY, 0 },
	{ "2026-13-01", E_ANY, 0 },
	{ "2026-11-32", E_ANY, 0 },
	{ "2026-11-25T24:00:00Z", E_ANY, 0 },
	{ "2026-11", E_ANY, 0 },
};

static void
test_time(void **state)
{
	size_t i;

	(void)state;
	check_ret("parse_time_ns(NULL)", PM_E_FORMAT,
	    parse_time_ns(NULL, NOW, &(int64_t){ 0 }));
	for (i = 0; i < NELEM(time_cases); i++) {
		const struct time_case *c = &time_cases[i];
		int64_t v = 0;

		const char *what = desc("parse_time_ns(\"%s\")", c->s);

		if (check_ret(what, c->ret, parse_time_ns(c->s, NOW, &v)) &&
		    c->ret == 0)
			check_i64(what, c->value, v);
	}
	check_done();
}

static const struct hostport_case {
	const char *s;
	size_t hostlen;
	uint16_t defport;
	int ret;
	const char *host;
	uint16_t port;
} hostport_cases[] = {
	{ "example.net:862", 64, 0, 0, "example.net", 862 },
	{ "192.0.2.1:4000", 64, 0, 0, "192.0.2.1", 4000 },
	{ "[2001:db8::1]:862", 64, 0, 0, "2001:db8::1", 862 },
	{ "[::1]:1", 64, 0, 0, "::1", 1 },
	{ "[fe80::1%eth0]:862", 64, 0, 0, "fe80::1%eth0", 862 },
	{ "h:65535", 64, 0, 0, "h", 65535 },
	/* Port left out: the default, or an error when there is none. */
	{ "example.net", 64, 862, 0, "example.net", 862 },
	{ "192.0.2.1", 64, 862, 0, "192.0.2.1", 862 },
	{ "[::1]", 64, 862, 0, "::1", 862 },
	{ "::1", 64, 862, 0, "::1", 862 },
	{ "2001:db8::1", 64, 862, 0, "2001:db8::1", 862 },
	{ "example.net", 64, 0, E_ANY, NULL, 0 },
	{ "[::1]", 64, 0, E_ANY, NULL, 0 },
	/* A port given overrides the default. */
	{ "example.net:9000", 64, 862, 0, "example.net", 9000 },
	{ "[::1]:9000", 64, 862, 0, "::1", 9000 },
	/* Bad ports. */
	{ "h:", 64, 862, E_ANY, NULL, 0 },
	{ "h:0", 64, 862, E_ANY, NULL, 0 },
	{ "h:65536", 64, 862, E_ANY, NULL, 0 },
	{ "h:-1", 64, 862, E_ANY, NULL, 0 },
	{ "h:+80", 64, 862, E_ANY, NULL, 0 },
	{ "h: 80", 64, 862, E_ANY, NULL, 0 },
	{ "h:80x", 64, 862, E_ANY, NULL, 0 },
	{ "h:http", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]:", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]:0", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]:80:", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]:99999", 64, 862, E_ANY, NULL, 0 },
	/* Bad hosts and brackets. */
	{ "", 64, 862, E_ANY, NULL, 0 },
	{ ":862", 64, 862, E_ANY, NULL, 0 },
	{ "[]:862", 64, 862, E_ANY, NULL, 0 },
	{ "[]", 64, 862, E_ANY, NULL, 0 },
	{ "[::1", 64, 862, E_ANY, NULL, 0 },
	{ "[::1:862", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]862", 64, 862, E_ANY, NULL, 0 },
	{ "[::1]]:862", 64, 862, E_ANY, NULL, 0 },
	{ "[::1] :862", 64, 862, E_ANY, NULL, 0 },
	/* The host must fit with its NUL. */
	{ "abcd:1", 5, 0, 0, "abcd", 1 },
	{ "abcd:1", 4, 0, E_ANY, NULL, 0 },
	{ "[::1]:1", 4, 0, 0, "::1", 1 },
	{ "[::1]:1", 3, 0, E_ANY, NULL, 0 },
	/* A bare IPv6 address cannot be followed by a port: "::1:4010" is an
	 * address whose last group looks like one. */
	{ "::1:4010", 64, 0, E_ANY, NULL, 0 },
	{ "2001:db8::1:862", 64, 0, E_ANY, NULL, 0 },
	{ "::1:4010", 64, 862, 0, "::1:4010", 862 },
};

static void
test_hostport(void **state)
{
	size_t i;

	(void)state;
	check_ret("parse_hostport(NULL)", PM_E_FORMAT,
	    parse_hostport(NULL, (char[8]){ 0 }, 8, 862, &(uint16_t){ 0 }));
	for (i = 0; i < NELEM(hostport_cases); i++) {
		const struct hostport_case *c = &hostport_cases[i];
		char host[80];
		uint16_t port = 0;

		const char *what;
		int r;

		memset(host, 'Z', sizeof(host));
		r = parse_hostport(c->s, host, c->hostlen, c->defport, &port);
		what = desc("parse_hostport(\"%s\", hostlen %zu, defport %u)",
		    c->s, c->hostlen, c->defport);
		/* Never writes past hostlen, success or not. */
		if (host[c->hostlen] != 'Z')
			check_fail("%s: wrote past hostlen", what);
		if (!check_ret(what, c->ret, r) || c->ret != 0)
			continue;
		check_str(what, c->host, host);
		check_u64(what, c->port, port);
	}
	check_done();
}

/* What the user is told for each way a HOST:PORT can be wrong. */
static const struct why_case {
	const char *s;
	uint16_t defport;
	const char *why;	/* NULL: taken */
} why_cases[] = {
	{ "::1:4010", 0, "write IPv6 addresses as [ADDR]:PORT" },
	{ "fe80::1%eth0:862", 0, "write IPv6 addresses as [ADDR]:PORT" },
	{ "[::1]862", 0, "write IPv6 addresses as [ADDR]:PORT" },
	{ "[::1]x", 862, "write IPv6 addresses as [ADDR]:PORT" },
	{ "[::1", 862, "no ']' after the IPv6 address" },
	{ "", 862, "empty" },
	{ NULL, 862, "empty" },
	{ ":862", 0, "no host before the port" },
	{ "[]:862", 0, "no host before the port" },
	{ "h", 0, "no port (want HOST:PORT)" },
	{ "[::1]", 0, "no port (want HOST:PORT)" },
	{ "h:0", 0, "the port must be a number from 1 to 65535" },
	{ "h:65536", 862, "the port must be a number from 1 to 65535" },
	{ "[::1]:http", 0, "the port must be a number from 1 to 65535" },
	{ "abcdefghijklmnop:1", 0, "host name too long" },
	{ "[::1]:4010", 0, NULL },
	{ "::1", 862, NULL },
	{ "h:1", 0, NULL },
};

static void
test_hostport_why(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(why_cases); i++) {
		const struct why_case *c = &why_cases[i];
		const char *why = parse_hostport_why(c->s, 16, c->defport);

		if (c->why == NULL && why != NULL)
			check_fail("parse_hostport_why(\"%s\", %u): expected NULL "
			    "(taken), got \"%s\"", c->s, c->defport, why);
		else if (c->why != NULL)
			check_str(desc("parse_hostport_why(\"%s\", %u)", c->s ?
			    c->s : "(null)", c->defport), c->why, why ? why : "(null)");
	}
	/* It agrees with parse_hostport on every row of that table. */
	for (i = 0; i < NELEM(hostport_cases); i++) {
		const struct hostport_case *c = &hostport_cases[i];
		const char *why = parse_hostport_why(c->s, c->hostlen, c->defport);

		if ((c->ret == 0) != (why == NULL))
			check_fail("parse_hostport_why(\"%s\", hostlen %zu, defport "
			    "%u): %s, but parse_hostport %s it", c->s, c->hostlen,
			    c->defport, why ? why : "taken", c->ret ? "refuses" :
			    "takes");
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_decimal_nano),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_hostport_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
