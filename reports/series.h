/*
 * series: probes aggregated into time buckets as they stream past, in
 * memory bounded by the number of buckets (never by the number of probes).
 * Each bucket keeps fate counts, duplicates, the exact RTT min/max and a
 * coarse log-spaced RTT histogram; the whole range keeps a fine one.
 */
#ifndef PM_REPORT_SERIES_H
#define PM_REPORT_SERIES_H

#include <stdint.h>

#include "episode.h"
#include "record.h"
#include "scale.h"

struct series_bucket {
	uint64_t fate[REC_FATES];
	uint64_t dups;
	uint64_t rtts;		/* probes with an RTT */
	int64_t rtt_min;	/* -1 while no RTT was seen */
	int64_t rtt_max;
	int64_t outage_ns;	/* time in outages that overlaps this bucket */
};

/*
 * An outage: at least this many consecutive probes of one session lost,
 * spanning at least this long: the episode rule's (shared/episode.h), so
 * the graphs' outages are the events list's. Too short to show as a
 * bucket's loss when buckets are a day wide, so buckets remember them
 * apart.
 */
#define SERIES_OUTAGE_PROBES EPISODE_OUTAGE_SLOTS
#define SERIES_OUTAGE_NS EPISODE_OUTAGE_NS

/* An empty bucket, and one probe counted into a bucket of one's own. */
void series_bucket_init(struct series_bucket *b);
void series_bucket_add(struct series_bucket *b, const struct rec_probe *p);

struct series;

/* A series over grid; NULL when out of memory. Free with series_free. */
struct series *series_new(const struct scale_grid *grid);
void series_free(struct series *s);

/*
 * Count one probe; probes outside the grid count in the whole range only.
 * Outages are found in runs of consecutive sequence numbers, so probes
 * should come by session and sequence (as QUERY_STORED delivers them).
 */
void series_add(struct series *s, const struct rec_probe *p);
/* End the last run of losses; call once after the last series_add. */
void series_finish(struct series *s);

const struct scale_grid *series_grid(const struct series *s);
/* Bucket i of the grid, or the whole range for i == -1. */
const struct series_bucket *series_bucket(const struct series *s, int i);
/* The whole range's fine RTT histogram (scale_rtt_fine bins). */
const uint64_t *series_fine_hist(const struct series *s);

uint64_t series_sent(const struct series_bucket *b);
uint64_t series_received(const struct series_bucket *b);
uint64_t series_lost(const struct series_bucket *b);

/* RTT quantile q of bucket i (or of the whole range, i == -1); -1 if none. */
int64_t series_quantile(const struct series *s, int i, double q);

#endif
