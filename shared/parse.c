/*
 * parse: strict numbers, durations, times and host:port (wireguard config.c,
 * chrony parse_int). No atoi anywhere: every byte of the input is accounted for.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse.h"
#include "timeutil.h"

int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return PM_E_FORMAT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return PM_E_FORMAT;
	if (errno == ERANGE || v < lo || v > hi)
		return PM_E_RANGE;
	*out = v;
	return 0;
}

int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;
	int r;

	if ((r = parse_u64(s, lo, hi, &v)) != 0)
		return r;
	*out = (uint32_t)v;
	return 0;
}

/* Parse "123", "1.5", ".25" as a decimal scaled by 1e9 (nano-units). */
static int
parse_decimal_nano(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t whole = 0, frac = 0, scale = 1000000000ULL;
	int digits = 0;

	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > (UINT64_MAX / 10 - 9) / 1000000000ULL)
			return PM_E_RANGE;
		whole = whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			scale /= 10;
			frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (digits == 0)
		return PM_E_FORMAT;
	*sp = s;
	*out = whole * 1000000000ULL + frac;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t num, den;	/* nanoseconds = nano-units * num / den / 1e9 */
} duration_units[] = {
	{ "ns", 1, 1000000000ULL },
	{ "us", 1, 1000000ULL },
	{ "ms", 1, 1000ULL },
	{ "s", 1, 1 },
	{ "", 1, 1 },
	{ "m", 60, 1 },
	{ "min", 60, 1 },
	{ "h", 3600, 1 },
	{ "d", 86400, 1 },
};

int
parse_duration_ns(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t nano, v;
	size_t i;
	int r;

	if (s == NULL)
		return PM_E_FORMAT;
	if ((r = parse_decimal_nano(&s, &nano)) != 0)
		return r;
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(s, duration_units[i].suffix) != 0)
			continue;
		if (nano > UINT64_MAX / duration_units[i].num)
			return PM_E_RANGE;
		v = nano * duration_units[i].num / duration_units[i].den;
		if (v < lo || v > hi)
			return PM_E_RANGE;
		*out = v;
		return 0;
	}
	return PM_E_FORMAT;
}

static int
parse_iso_utc(const char *s, int64_t *out)
{
	static const char *const fmts[] = {
		"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%SZ",
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d %H:%M", "%Y-%m-%d",
	};
	struct tm tm;
	const char *end;
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = (int64_t)timegm(&tm) * NS_PER_SEC;
			return 0;
		}
	}
	return PM_E_FORMAT;
}

int
parse_time_ns(const char *s, int64_t now_ns, int64_t *out)
{
	uint64_t v;
	int r;

	if (s == NULL || *s == '\0')
		return PM_E_FORMAT;
	if (strcmp(s, "now") == 0) {
		*out = now_ns;
		return 0;
	}
	if (s[0] == '-') {
		if ((r = parse_duration_ns(s + 1, 0, (uint64_t)now_ns, &v)) != 0)
			return r;
		*out = now_ns - (int64_t)v;
		return 0;
	}
	if (parse_u64(s, 0, INT64_MAX / NS_PER_SEC, &v) == 0) {
		*out = (int64_t)v * NS_PER_SEC;
		return 0;
	}
	return parse_iso_utc(s, out);
}

int
parse_hostport(const char *s, char *host, size_t hostlen, uint16_t defport,
    uint16_t *port)
{
	const char *hend, *colon;
	uint32_t p;
	size_t n;

	if (s == NULL || *s == '\0')
		return PM_E_FORMAT;
	if (s[0] == '[') {
		if ((hend = strchr(s, ']')) == NULL)
			return PM_E_FORMAT;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] != '\0' && colon == NULL)
			return PM_E_FORMAT;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL;	/* bare IPv6 address without a port */
		hend = colon != NULL ? colon : s + strlen(s);
	}
	n = (size_t)(hend - s);
	if (n == 0 || n >= hostlen)
		return PM_E_FORMAT;
	memcpy(host, s, n);
	host[n] = '\0';
	if (colon == NULL) {
		if (defport == 0)
			return PM_E_FORMAT;
		*port = defport;
		return 0;
	}
	if (parse_u32(colon + 1, 1, 65535, &p) != 0)
		return PM_E_FORMAT;
	*port = (uint16_t)p;
	return 0;
}
