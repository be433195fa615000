/*
 * episode: loss episodes found in a time-ordered stream of probe fates.
 * An episode starts at a lost probe and ends at the last loss before
 * `quiet` consecutive replies; its longest run of consecutive losses is an
 * outage when it lasts long enough. Pure.
 */
#ifndef PM_REPORT_EPISODE_H
#define PM_REPORT_EPISODE_H

#include <stdint.h>

#include "record.h"

struct episode_params {
	uint32_t quiet;			/* consecutive replies that end an episode */
	int64_t outage_min_ns;		/* a run of losses at least this long ... */
	uint32_t outage_min_probes;	/* ... and of at least this many probes */
};

struct episode {
	int64_t start_ns;	/* send time of the first lost probe */
	int64_t end_ns;		/* send time of the last lost probe */
	int64_t close_ns;	/* send time of the reply that closed it; -1 at end of data */
	uint64_t probes;	/* probes sent from start to end */
	uint64_t fate[REC_FATES];
	uint64_t lost;
	/* The longest run of consecutive losses, when it is an outage. */
	uint64_t outage_probes;	/* 0: no outage in this episode */
	int64_t outage_start_ns;
	int64_t outage_end_ns;
};

struct episode_det;

/*
 * A detector that calls emit(arg, e) for each episode as it closes. NULL when
 * out of memory. Free with episode_free.
 */
struct episode_det *episode_new(const struct episode_params *params,
    void (*emit)(void *arg, const struct episode *e), void *arg);
void episode_free(struct episode_det *d);

/* Feed probes in send order; a new server or data gap is the caller's reset. */
void episode_feed(struct episode_det *d, int64_t sent_ns, enum rec_fate f);
/* Close and emit an open episode (end of data). */
void episode_flush(struct episode_det *d);

#endif
