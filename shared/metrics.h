/*
 * metrics: a Prometheus endpoint served by libmicrohttpd (the only file that
 * includes it), run from the program's own event loop: MHD's epoll fd and a
 * timer for MHD's timeouts are added to ev, so rendering happens on the
 * loop's thread and reads the program's counters without locks.
 *
 * It speaks both formats Prometheus scrapes, chosen from the request's
 * Accept header as the official client libraries choose: the text format
 * 0.0.4 by default, OpenMetrics 1.0.0 when asked for. A program renders
 * its families once; the few lines where the formats differ (a counter's
 * declared name, the info type, the final "# EOF") are written here.
 */
#ifndef PM_METRICS_H
#define PM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "ev.h"

enum metrics_format {
	METRICS_TEXT,		/* text/plain; version=0.0.4 */
	METRICS_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0 */
};

/*
 * A family's type. A counter's samples are written NAME_total and an info's
 * NAME_info, whatever the format; NAME is the family as OpenMetrics names it.
 */
enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_SUMMARY,
	METRICS_HISTOGRAM,
	METRICS_INFO,
};

/* A growing text buffer for the exposition, in one format. */
struct mbuf {
	char *p;
	size_t len, cap;
	int failed;
	enum metrics_format format;
};

void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The "# HELP" and "# TYPE" lines of a family, as b's format declares it. */
void mbuf_family(struct mbuf *b, const char *name, enum metrics_type type,
    const char *help);

/* The format to answer a request with this Accept header (NULL: none). */
enum metrics_format metrics_negotiate(const char *accept);

/* Fill b with the program's families; build info and "# EOF" are added. */
typedef void (*metrics_render_fn)(void *arg, struct mbuf *b);

struct metrics;

/*
 * Connections served at once (idle ones are closed after a few seconds), and
 * the descriptors the endpoint can hold open: those, MHD's listener, epoll
 * fd and wake-up pipe, and the timer that runs MHD's timeouts.
 */
#define METRICS_MAX_CONNECTIONS 128
#define METRICS_FDS (METRICS_MAX_CONNECTIONS + 5)

/* Listen on HOST:PORT; PORT or :PORT alone means 127.0.0.1. */
int metrics_start(struct ev *ev, const char *addrport, metrics_render_fn fn,
    void *arg, struct metrics **out, char *err, size_t errlen) PM_MUST_CHECK;
void metrics_stop(struct ev *ev, struct metrics *m);

#endif
