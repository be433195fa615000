/*
 * log: the one logging vocabulary of every pktmon program.
 * Messages go to stderr as "prog: message". log_warn appends strerror(errno);
 * fatal/fatalx exit with the given code. errno is preserved across calls.
 */
#ifndef PM_LOG_H
#define PM_LOG_H

#include <stdnoreturn.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: the message, then "Try 'PROG --help'.", exit 2. */
noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
