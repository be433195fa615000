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

__extension__ typedef unsigned __int128 u128;

/* Parse "123", "1.5", ".25": whole part and the fraction in 1e-9 units. */
static int
parse_decimal(const char **sp, uint64_t *whole, uint64_t *frac)
{
	const char *s = *sp;
	uint64_t scale = 1000000000ULL;
	int digits = 0;

	*whole = *frac = 0;
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (*whole > (UINT64_MAX - 9) / 10)
			return PM_E_RANGE;
		*whole = *whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			scale /= 10;
			*frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (digits == 0)
		return PM_E_FORMAT;
	*sp = s;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t ns;		/* nanoseconds per unit */
} duration_units[] = {
	{ "ns", 1ULL }, { "us", 1000ULL }, { "ms", 1000000ULL },
	{ "s", 1000000000ULL }, { "", 1000000000ULL },
	{ "m", 60000000000ULL }, { "min", 60000000000ULL },
	{ "h", 3600000000000ULL }, { "d", 86400000000000ULL },
};

int
parse_duration_ns(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t whole, frac;
	u128 v;
	size_t i;
	int r;

	if (s == NULL)
		return PM_E_FORMAT;
	if ((r = parse_decimal(&s, &whole, &frac)) != 0)
		return r;
	for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		if (strcmp(s, duration_units[i].suffix) != 0)
			continue;
		/* 128-bit arithmetic: no input can wrap around. */
		v = (u128)whole * duration_units[i].ns +
		    (u128)frac * duration_units[i].ns / 1000000000ULL;
		if (v < lo || v > hi)
			return PM_E_RANGE;
		*out = (uint64_t)v;
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
			time_t t = timegm(&tm);

			/* int64 nanoseconds reach from 1677 to 2262. */
			if (t < -(INT64_MAX / NS_PER_SEC) || t > INT64_MAX / NS_PER_SEC)
				return PM_E_RANGE;
			*out = (int64_t)t * NS_PER_SEC;
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

/*
 * host:port split: host copied into host when it is not NULL. On failure
 * *why (when why is not NULL) says what is wrong, for the user.
 */
static int
hostport(const char *s, char *host, size_t hostlen, uint16_t defport,
    uint16_t *port, const char **why)
{
	const char *hend, *colon, *dummy;
	uint32_t p;
	size_t n;

	if (why == NULL)
		why = &dummy;
	*why = "empty";
	if (s == NULL || *s == '\0')
		return PM_E_FORMAT;
	if (s[0] == '[') {
		*why = "no ']' after the IPv6 address";
		if ((hend = strchr(s, ']')) == NULL)
			return PM_E_FORMAT;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		*why = "write IPv6 addresses as [ADDR]:PORT";
		if (hend[1] != '\0' && colon == NULL)
			return PM_E_FORMAT;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon) {
			/* A bare IPv6 address: its last group could be a port. */
			*why = "write IPv6 addresses as [ADDR]:PORT";
			if (defport == 0)
				return PM_E_FORMAT;
			colon = NULL;
		}
		hend = colon != NULL ? colon : s + strlen(s);
	}
	n = (size_t)(hend - s);
	*why = n == 0 ? "no host before the port" : "host name too long";
	if (n == 0 || n >= hostlen)
		return PM_E_FORMAT;
	if (host != NULL) {
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (colon == NULL) {
		*why = "no port (want HOST:PORT)";
		if (defport == 0)
			return PM_E_FORMAT;
		*port = defport;
		return 0;
	}
	*why = "the port must be a number from 1 to 65535";
	if (parse_u32(colon + 1, 1, 65535, &p) != 0)
		return PM_E_FORMAT;
	*port = (uint16_t)p;
	return 0;
}

int
parse_hostport(const char *s, char *host, size_t hostlen, uint16_t defport,
    uint16_t *port)
{
	return hostport(s, host, hostlen, defport, port, NULL);
}

const char *
parse_hostport_why(const char *s, size_t hostlen, uint16_t defport)
{
	const char *why;
	uint16_t port;

	return hostport(s, NULL, hostlen, defport, &port, &why) == 0 ? NULL : why;
}
