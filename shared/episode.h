/*
 * episode: the one definition of a loss episode, used by the client's live
 * output, --on-loss, metrics and history, and by pktmon-report's events and
 * graphs. Feed probe slots in slot order with their fate (shared/fates.h).
 *
 * A slot is bad when no reply came within the loss timeout: lost (in any
 * direction), unsent, or late (its reply came after the timeout; not a
 * loss in the loss %, but the path failed it in time, and a live client
 * cannot know it was late when it decides). An episode starts at a bad
 * slot and ends at the last bad one before EPISODE_QUIET consecutive
 * slots answered in time;
 * replies between its losses belong to it. Its span is its first and last
 * lost slot. Its longest run of consecutive losses is an outage when it
 * lasts at least outage_min_ns and outage_min_probes slots. Pure: no clock,
 * no I/O.
 */
#ifndef PM_EPISODE_H
#define PM_EPISODE_H

#include <stdint.h>

#include "fates.h"

/* Received slots in a row that end an episode, for every consumer. */
#define EPISODE_QUIET 20
/* A run of losses is an outage from this long and this many slots. */
#define EPISODE_OUTAGE_NS (2 * 1000000000LL)
#define EPISODE_OUTAGE_SLOTS 3

struct episode_params {
	uint32_t quiet;			/* consecutive replies that end an episode */
	int64_t outage_min_ns;		/* a run of losses at least this long ... */
	uint32_t outage_min_probes;	/* ... and of at least this many probes */
};

struct episode {
	int64_t start_ns;	/* send time of the first lost slot */
	int64_t end_ns;		/* send time of the last lost slot */
	int64_t close_ns;	/* send time of the reply that closed it; -1 at end of data */
	uint64_t probes;	/* slots from start to end */
	uint64_t fate[PM_FATES];
	uint64_t lost;		/* bad slots: lost, unsent and late */
	/* The longest run of consecutive losses, when it is an outage. */
	uint64_t outage_probes;	/* 0: no outage in this episode */
	int64_t outage_start_ns;
	int64_t outage_end_ns;
};

struct episode_det;

/* No reply in time: the episode rule's bad slot. */
int episode_bad(unsigned fate);
/* The default parameters every consumer uses. */
void episode_defaults(struct episode_params *p);
/*
 * A detector that calls open(arg, e) when an episode starts (may be NULL)
 * and emit(arg, e) as each one closes. NULL when out of memory. Free with
 * episode_free.
 */
struct episode_det *episode_new(const struct episode_params *params,
    void (*open)(void *arg, const struct episode *e),
    void (*emit)(void *arg, const struct episode *e), void *arg);
void episode_free(struct episode_det *d);

/* Feed slots in slot order; a new server or data gap is the caller's reset. */
void episode_feed(struct episode_det *d, int64_t sent_ns, unsigned fate);
/*
 * A slot already fed changed fate (a loss's direction became known, or a
 * late reply came): keep the open episode's counts right. Ignored when no
 * episode is open or the slot is before its start.
 */
void episode_refate(struct episode_det *d, int64_t sent_ns, unsigned from,
    unsigned to);
/* Close and emit an open episode (end of data). */
void episode_flush(struct episode_det *d);
/* The open episode so far, or NULL. */
const struct episode *episode_current(const struct episode_det *d);

#endif
