/*
 * metrics: an OpenMetrics text endpoint served by libmicrohttpd (the only
 * file that includes it), run from the program's own event loop: MHD's
 * epoll fd and a timer for MHD's timeouts are added to ev, so rendering
 * happens on the loop's thread and reads the program's counters without
 * locks.
 */
#ifndef PM_METRICS_H
#define PM_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "ev.h"

/* A growing text buffer for the exposition. */
struct mbuf {
	char *p;
	size_t len, cap;
	int failed;
};

void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# HELP" and "# TYPE" lines for a metric family. */
void mbuf_family(struct mbuf *b, const char *name, const char *type, const char *help);

/* Fill b with the exposition, without the final "# EOF". */
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
