/*
 * check: assertions for table-driven unit tests. Each names the case it
 * checks and prints what was expected and what came. A failed check does
 * not stop the test: it returns 0 (so the caller can skip what depends on
 * it) and the table goes on, so one run lists every failing row; the test
 * fails at check_done().
 */
#ifndef PM_TEST_CHECK_H
#define PM_TEST_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned check_failures;

static inline int __attribute__((format(printf, 1, 2)))
check_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	check_failures++;
	return 0;
}

/* Ends a test: fails it if any check in it failed. */
#define check_done() do {						\
	unsigned n_ = check_failures;					\
	check_failures = 0;						\
	if (n_ != 0)							\
		fail_msg("%u check(s) failed, listed above", n_);	\
} while (0)

/* A case description for one check; valid until the next call. */
static inline const char * __attribute__((format(printf, 1, 2)))
desc(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static inline int
check_err(const char *what, int expected, int got)
{
	if (expected == got)
		return 1;
	return check_fail("%s: expected %d (%s), got %d (%s)", what,
	    expected, pm_strerror(expected), got, pm_strerror(got));
}

static inline int
check_u64(const char *what, uint64_t expected, uint64_t got)
{
	if (expected == got)
		return 1;
	return check_fail("%s: expected %llu (0x%llx), got %llu (0x%llx)", what,
	    (unsigned long long)expected, (unsigned long long)expected,
	    (unsigned long long)got, (unsigned long long)got);
}

static inline int
check_i64(const char *what, int64_t expected, int64_t got)
{
	if (expected == got)
		return 1;
	return check_fail("%s: expected %lld, got %lld (off by %lld)", what,
	    (long long)expected, (long long)got, (long long)(got - expected));
}

static inline int
check_str(const char *what, const char *expected, const char *got)
{
	if (strcmp(expected, got) == 0)
		return 1;
	return check_fail("%s: expected \"%s\", got \"%s\"", what, expected, got);
}

/* Bytes: the first differing offset and both values there. */
static inline int
check_mem(const char *what, const void *expected, const void *got, size_t n)
{
	const unsigned char *e = expected, *g = got;
	size_t i;

	for (i = 0; i < n; i++)
		if (e[i] != g[i])
			return check_fail("%s: at octet %zu expected 0x%02x, "
			    "got 0x%02x", what, i, e[i], g[i]);
	return 1;
}

#endif
