/*
 * Fuzz the strict parsers with one string: numbers, durations, times and
 * host:port. Checks against simple oracles: a number that parses prints
 * back as the input without leading zeros; a duration that parses equals
 * the input's exact value (worked out here in 128 bits), and one whose exact
 * value does not fit in 64 bits must not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../shared/parse.c"

__extension__ typedef unsigned __int128 u128;

#define NOW (1764000000LL * NS_PER_SEC)
#define MAX_INPUT 256

static volatile uint64_t sink;

static void
check_number(const char *s, uint64_t v)
{
	char back[24];

	while (s[0] == '0' && s[1] != '\0')
		s++;
	snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
	if (strcmp(back, s) != 0)
		abort();
}

/*
 * Exact duration in ns, or -1 if the text is not a duration, or 1 with
 * *over set if it does not fit in 64 bits. Digits past the 9th after the
 * point are dropped, as the parser documents by example.
 */
static int
ref_duration(const char *s, uint64_t *out, int *over)
{
	static const struct { const char *sfx; u128 num, den; } units[] = {
		{ "ns", 1, 1000000000 }, { "us", 1, 1000000 }, { "ms", 1, 1000 },
		{ "s", 1, 1 }, { "", 1, 1 }, { "m", 60, 1 }, { "min", 60, 1 },
		{ "h", 3600, 1 }, { "d", 86400, 1 },
	};
	u128 whole = 0, frac = 0, scale = 1000000000, v;
	int digits = 0, big = 0;
	size_t i;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > (u128)UINT64_MAX * 10)
			big = 1;
		else
			whole = whole * 10 + (u128)(*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			scale /= 10;
			frac += (u128)(*s - '0') * scale;
		}
	if (digits == 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].sfx) != 0)
			continue;
		v = (whole * 1000000000 + frac) * units[i].num / units[i].den;
		*over = big || v > UINT64_MAX;
		*out = (uint64_t)v;
		return 0;
	}
	return -1;
}

static void
fuzz_duration(const char *s)
{
	uint64_t v = 0, want = 0;
	int r, over = 0;

	r = parse_duration_ns(s, 0, UINT64_MAX, &v);
	sink += v + (uint64_t)-r;
	if (r != 0)
		return;
	if (ref_duration(s, &want, &over) != 0)
		abort();	/* parsed something that is not a duration */
	if (over)
		abort();	/* accepted a value that does not fit */
	if (v != want)
		abort();
}

static void
fuzz_hostport(const char *s, size_t hostlen, uint16_t defport)
{
	char host[64];
	uint16_t port = 0;
	size_t n;

	if (parse_hostport(s, host, hostlen, defport, &port) != 0)
		return;
	n = strnlen(host, hostlen);
	if (n == 0 || n >= hostlen || port == 0)
		abort();
	if (defport == 0 && strchr(s, ':') == NULL)
		abort();	/* the port is mandatory */
	sink += n + port;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_INPUT + 1];
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	int64_t t = 0;

	if (size > MAX_INPUT)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (parse_u32(s, 0, UINT32_MAX, &v32) == 0)
		check_number(s, v32);
	if (parse_u32(s, 10, 1000, &v32) == 0 && (v32 < 10 || v32 > 1000))
		abort();
	if (parse_u64(s, 0, UINT64_MAX, &v64) == 0)
		check_number(s, v64);
	fuzz_duration(s);
	if (parse_duration_ns(s, 1000, 1000000000, &v64) == 0 &&
	    (v64 < 1000 || v64 > 1000000000))
		abort();
	if (parse_time_ns(s, NOW, &t) == 0) {
		if (s[0] == '-' && (t > NOW || t < 0))
			abort();	/* relative times are in the past */
		sink += (uint64_t)t;
	}
	fuzz_hostport(s, 64, 862);
	fuzz_hostport(s, 64, 0);
	fuzz_hostport(s, 5, 862);
	return 0;
}
