/*
 * timeutil: NTP 32.32 timestamps from and to Unix ns, against vectors
 * computed independently (exact integer arithmetic: seconds + 2208988800,
 * fraction = floor(ns * 2^32 / 1e9); back: round(fraction * 1e9 / 2^32)),
 * and an exact ns round trip across NTP era 0.
 */
#include "check.h"
#include "../../shared/timeutil.c"

static const struct ntp_case {
	const char *name;
	int64_t unix_ns;
	uint64_t ntp;
} ntp_cases[] = {
	{ "Unix epoch", 0, 0x83aa7e8000000000ULL },
	{ "1 ns", 1, 0x83aa7e8000000004ULL },
	{ "half a second", 500000000, 0x83aa7e8080000000ULL },
	{ "last ns of the first second", 999999999, 0x83aa7e80fffffffbULL },
	{ "1 s", 1000000000, 0x83aa7e8100000000ULL },
	{ "2023-11-14T22:13:20.25Z", 1700000000250000000LL, 0xe8fe6f8040000000ULL },
	{ "2026-11-25T10:00:00.123456789Z", 1795600800123456789LL,
	    0xeeb130201f9add37ULL },
	{ "last ns of NTP era 0 (2036-02-07)", 2085978495999999999LL,
	    0xfffffffffffffffbULL },
};

static void
test_ntp_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ntp_cases); i++) {
		const struct ntp_case *c = &ntp_cases[i];

		check_u64(desc("ntp_from_unix_ns(%s)", c->name), c->ntp,
		    ntp_from_unix_ns(c->unix_ns));
		check_i64(desc("ntp_to_unix_ns(%s)", c->name), c->unix_ns,
		    ntp_to_unix_ns(c->ntp));
	}
	check_done();
}

/* Decoding rounds to the nearest ns, whatever the sender's fraction. */
static const struct ntp_dec_case {
	const char *name;
	uint64_t ntp;
	int64_t unix_ns;
} ntp_dec_cases[] = {
	{ "NTP zero (1900-01-01)", 0, -2208988800LL * 1000000000LL },
	{ "smallest fraction rounds to 0 ns", 0x83aa7e8000000001ULL, 0 },
	{ "fraction 2^32-1 rounds up to the next second", 0x83aa7e80ffffffffULL,
	    1000000000 },
	{ "largest NTP era 0 value", UINT64_MAX, 2085978496000000000LL },
	{ "fraction 0x80000000", 0x83aa7e8080000000ULL, 500000000 },
};

static void
test_ntp_decode_rounding(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ntp_dec_cases); i++) {
		const struct ntp_dec_case *c = &ntp_dec_cases[i];

		check_i64(desc("ntp_to_unix_ns(%s)", c->name), c->unix_ns,
		    ntp_to_unix_ns(c->ntp));
	}
	check_done();
}

static uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every ns from 1970 to the end of NTP era 0 survives encode + decode. */
static void
test_ntp_round_trip(void **state)
{
	const int64_t era_end = 2085978496LL * 1000000000LL;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int64_t ns, back;
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		if (i < 2000)
			ns = i;				/* first ns */
		else if (i < 4000)
			/* around each second boundary */
			ns = 1000000000LL * (i - 1999) - 1000 + (i % 2000);
		else if (i < 6000)
			ns = era_end - 1 - (i - 4000);	/* last ns of the era */
		else
			ns = (int64_t)(xorshift64(&seed) % (uint64_t)era_end);
		back = ntp_to_unix_ns(ntp_from_unix_ns(ns));
		if (!check_i64(desc("round trip of %lld ns", (long long)ns), ns, back))
			break;
	}
	check_done();
}

/*
 * NTP era 0 starts in 1900, so Unix times before 1970 have an NTP form too;
 * the decoder already yields them (the rows above), the encoder must agree.
 */
static const struct ntp_case pre_epoch_cases[] = {
	{ "1 ns before the Unix epoch", -1, 0x83aa7e7ffffffffbULL },
	{ "1.5 s before the Unix epoch", -1500000000LL, 0x83aa7e7e80000000ULL },
	{ "NTP zero (1900-01-01)", -2208988800LL * 1000000000LL, 0 },
};

static void
test_ntp_before_1970(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(pre_epoch_cases); i++) {
		const struct ntp_case *c = &pre_epoch_cases[i];

		check_u64(desc("ntp_from_unix_ns(%s)", c->name), c->ntp,
		    ntp_from_unix_ns(c->unix_ns));
		check_i64(desc("ntp_to_unix_ns(%s)", c->name), c->unix_ns,
		    ntp_to_unix_ns(c->ntp));
	}
	check_done();
}

static const struct fmt_case {
	int64_t unix_ns;
	const char *text;
} fmt_cases[] = {
	{ 0, "1970-01-01 00:00:00Z" },
	{ 1795600800123456789LL, "2026-11-25 10:00:00Z" },
	{ 951868799999999999LL, "2000-02-29 23:59:59Z" },
};

static void
test_fmt_utc(void **state)
{
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(fmt_cases); i++)
		check_str(desc("fmt_utc(%lld)", (long long)fmt_cases[i].unix_ns),
		    fmt_cases[i].text, fmt_utc(fmt_cases[i].unix_ns, buf, sizeof(buf)));
	check_done();
}

static void
test_clocks(void **state)
{
	int64_t a, b;

	(void)state;
	a = mono_ns();
	b = mono_ns();
	if (b < a)
		check_fail("mono_ns went backwards: %lld then %lld",
		    (long long)a, (long long)b);
	a = wall_ns();
	if (a < 1577836800LL * 1000000000LL)	/* 2020-01-01 */
		check_fail("wall_ns: expected a time after 2020, got %lld",
		    (long long)a);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ntp_vectors),
		cmocka_unit_test(test_ntp_decode_rounding),
		cmocka_unit_test(test_ntp_round_trip),
		cmocka_unit_test(test_ntp_before_1970),
		cmocka_unit_test(test_fmt_utc),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
