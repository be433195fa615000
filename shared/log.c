/*
 * log: stderr logging with levels, in OpenNTPD's vocabulary.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_prog = "pktmon";
static enum log_level log_level = LOG_LVL_INFO;

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_vemit(enum log_level, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;

	if (lvl > log_level)
		return;
	fprintf(stderr, "%s: ", log_prog);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	fflush(stderr);
	errno = saved;
}

#define LOG_BODY(lvl, err) do {			\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vemit((lvl), (err), fmt, ap);	\
	va_end(ap);				\
} while (0)

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 1);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, 0);
}

void
fatal(int code, const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 1);
	exit(code);
}

void
fatalx(int code, const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, 0);
	exit(code);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", log_prog);
	exit(2);
}
