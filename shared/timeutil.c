/*
 * timeutil: clock reads and NTP conversions.
 */
#include <stdio.h>
#include <time.h>

#include "timeutil.h"

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800ULL

int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

void
clock_pair(int64_t *mono, int64_t *wall)
{
	int64_t w1, m, w2, best = INT64_MAX;
	int i;

	for (i = 0; i < 4; i++) {
		w1 = wall_ns();
		m = mono_ns();
		w2 = wall_ns();
		/* A wall-clock step between the reads is not a window. */
		if (w2 < w1)
			continue;
		if (w2 - w1 < best) {
			best = w2 - w1;
			*mono = m;
			*wall = w1 + (w2 - w1) / 2;
		}
		if (best < 2 * NS_PER_US)
			break;
	}
	if (best == INT64_MAX) {
		*mono = mono_ns();
		*wall = wall_ns();
	}
}

uint64_t
ntp_from_unix_ns(int64_t ns)
{
	/* Floor division, so times before 1970 get a positive fraction. */
	int64_t s = ns / NS_PER_SEC, rem = ns % NS_PER_SEC;
	uint64_t sec, frac;

	if (rem < 0) {
		s--;
		rem += NS_PER_SEC;
	}
	sec = (uint64_t)(s + (int64_t)NTP_UNIX_OFFSET);
	frac = ((uint64_t)rem << 32) / NS_PER_SEC;

	return (sec << 32) | (frac & 0xffffffffULL);
}

int64_t
ntp_to_unix_ns(uint64_t ntp)
{
	int64_t sec = (int64_t)(ntp >> 32) - (int64_t)NTP_UNIX_OFFSET;
	uint64_t frac = ntp & 0xffffffffULL;

	/* Round to the nearest ns so encode/decode round-trips exactly. */
	return sec * NS_PER_SEC + (int64_t)((frac * NS_PER_SEC + (1ULL << 31)) >> 32);
}

char *
fmt_utc(int64_t unix_ns, char *buf, unsigned len)
{
	time_t t = (time_t)(unix_ns / NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}
