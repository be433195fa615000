/*
 * log: stderr logging with levels, in OpenNTPD's vocabulary. When stderr is
 * the journal (systemd says so in $JOURNAL_STREAM), each line starts with
 * its syslog priority, "<4>", which journald takes as the line's level.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_prog = "pktmon";
static enum log_level log_level = LOG_LVL_INFO;
static int log_journal;

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's socket; a child whose
 * stderr was redirected elsewhere inherits the variable, hence the check. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_level = level;
	log_journal = stderr_is_journal();
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

	/* syslog priorities: err 3, warning 4, info 6, debug 7 */
	static const char prio[] = { '3', '4', '6', '7' };

	if (lvl > log_level)
		return;
	if (log_journal)
		fprintf(stderr, "<%c>", prio[lvl]);
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
	const char *prio = log_journal ? "<3>" : "";
	va_list ap;

	fprintf(stderr, "%s%s: ", prio, log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%sTry '%s --help'.\n", prio, log_prog);
	exit(2);
}
