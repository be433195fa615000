/*
 * graph: the four report images, each drawn from already aggregated data
 * onto a canvas by one file: graph_latency.c, graph_loss.c, graph_rtt.c,
 * graph_sessions.c. graph_common.c holds what their titles share.
 */
#ifndef PM_REPORT_GRAPH_H
#define PM_REPORT_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "frame.h"
#include "plot.h"
#include "record.h"
#include "scale.h"
#include "series.h"

struct graph_input {
	const struct series *series;
	const struct rec_session *sessions;	/* by start time */
	size_t nsessions;
	const struct rec_renewal *renewals;	/* by request time */
	size_t nrenewals;
	/* Exact RTT histogram for the distribution graph. */
	const struct scale_linbins *dist_bins;
	const uint64_t *dist;		/* dist_bins->count counts */
	uint64_t dist_below;
	uint64_t dist_above;
	const char *server;		/* who the title names */
	int64_t since_ns;		/* the range drawn */
	int64_t until_ns;
	/* The first and last slot of the history (of the sessions drawn),
	 * wherever they are; -1 when it has none. */
	int64_t first_ns;
	int64_t last_ns;
	int width;			/* logical pixels */
	int height;
	int64_t tz_off_ns;		/* the graphs' clock east of UTC (--tz) */
	const char *tz_name;
};

void graph_latency(const struct graph_input *in, struct plot *p);
void graph_loss(const struct graph_input *in, struct plot *p);
void graph_rtt(const struct graph_input *in, struct plot *p);
void graph_sessions(const struct graph_input *in, struct plot *p);
/* The height sessions.png needs for its rows, at most asked. */
int graph_sessions_height(const struct graph_input *in, int asked);

/* The bins graph_rtt draws, from the whole range's RTT quantiles. */
int graph_rtt_bins(const struct series *s, struct scale_linbins *bins);

/* Frame, title and subtitle ("range · probes · loss · median"), time axis set. */
void graph_begin(struct frame *fr, const struct graph_input *in, struct plot *p,
    const char *what, double left);
#define GRAPH_OUTAGE 0xd7191cffu	/* the colour of an outage everywhere */
#define GRAPH_OUTAGE_BG 0xf8d0d0ffu
#define GRAPH_OUTAGE_BAND 10		/* px: the mark along the top */

/* Where bucket i of the series lies along x. */
void graph_bucket_x(const struct frame *fr, const struct graph_input *in, int i,
    double *x0, double *x1);
/* The red mark [x0, x1) x [y, y + height), widened to stay visible. */
void graph_outage_band(struct frame *fr, double x0, double x1, double y,
    double height);
/*
 * Time without any slot: hatched grey and labelled "no probes" between the
 * history's first and last slot (nothing ran), left white and labelled
 * "no history" before the first and after the last.
 */
void graph_nodata(struct frame *fr, const struct graph_input *in);
/* Dashed vertical lines at the renewals; short ticks when there are many. */
void graph_renewal_lines(struct frame *fr, const struct graph_input *in);
/* Whether the whole range holds no probe; draws the message if so. */
int graph_empty(struct frame *fr, const struct graph_input *in);

#endif
