/*
 * expo: the client's metrics, rendered from a plain snapshot the engine
 * fills (so the names and units live in one place). Pure apart from the
 * text buffer.
 */
#ifndef PM_EXPO_H
#define PM_EXPO_H

#include <stdint.h>
#include "fate.h"
#include "metrics.h"

/* Histogram bucket bounds in seconds: 12.5 us doubling to 26.2 s. */
#define EXPO_NBUCKETS 22
extern const double expo_bounds[EXPO_NBUCKETS];

struct expo_rtt {
	uint64_t bucket[EXPO_NBUCKETS + 1];	/* per bound, then +Inf; not cumulative */
	uint64_t count;
	double sum_s;
};

/*
 * Counters as exported: each never goes down between scrapes, as
 * Prometheus requires, although the engine's own counts can (a late reply
 * undoes a loss). Held by the engine, updated by expo_render.
 */
struct expo_marks {
	uint64_t sent, received, lost_fwd, lost_bwd, lost_unknown, late;
	uint64_t duplicates, reordered, unsent;
};

struct expo_snapshot {
	const char *server;
	const char *mode;
	struct fate_counts c;
	uint64_t renewals_consecutive, renewals_window;
	uint64_t sessions, unstored, host_drops, send_errors;
	int session_up;
	int control_up;			/* -1: no control channel in this mode */
	int in_outage;			/* an episode of class outage is open */
	int in_episode;			/* a loss episode is open */
	uint64_t episodes;
	int64_t ipdv_median_ns, ipdv_p99_ns;	/* -1 when unknown */
	const struct expo_rtt *rtt;
	struct expo_marks *marks;
};

void expo_rtt_add(struct expo_rtt *h, int64_t rtt_ns);
void expo_render(const struct expo_snapshot *s, struct mbuf *b);

#endif
