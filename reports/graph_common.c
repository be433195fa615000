/*
 * graph_common: titles and the marks every time graph shares.
 */
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "timeutil.h"

/*
 * "2026-12-02 18:40:22Z - 18:40:57Z (35.3 s)", or in the --tz clock
 * "2026-12-03 00:10:22 - 00:10:57 UTC+05:30 (35.3 s)": the zone once.
 */
static void
range_text(const struct graph_input *in, char *buf, size_t len)
{
	char a[40], b[40], d[32], zone[40] = "";
	size_t n;

	fmt_utc(in->since_ns + in->tz_off_ns, a, sizeof(a));
	fmt_utc(in->until_ns + in->tz_off_ns, b, sizeof(b));
	if (in->tz_name != NULL) {
		if ((n = strlen(a)) > 0 && a[n - 1] == 'Z')
			a[n - 1] = '\0';
		if ((n = strlen(b)) > 0 && b[n - 1] == 'Z')
			b[n - 1] = '\0';
		snprintf(zone, sizeof(zone), " %s", in->tz_name);
	}
	scale_fmt_duration(in->until_ns - in->since_ns, d, sizeof(d));
	/* The end's date is left out when it is the start's. */
	snprintf(buf, len, "%s \xe2\x80\x93 %s%s (%s)", a,
	    strncmp(a, b, 11) == 0 ? b + 11 : b, zone, d);
}

static double
pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0;
}

/* RTT in the unit of the graphs' axes (ms), so subtitle and axis read
 * alike: 0.017 ms, 12.34 ms, 234.5 ms. */
static void
fmt_ms(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 1000000)
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
	else if (ns < 100000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
}

static void
totals_text(const struct graph_input *in, char *buf, size_t len)
{
	const struct series_bucket *t = series_bucket(in->series, -1);
	uint64_t sent = series_sent(t);
	char n[32], med[32], p99[32];

	if (sent == 0) {
		snprintf(buf, len, "no probes");
		return;
	}
	scale_fmt_count(sent, n, sizeof(n));
	fmt_ms(series_quantile(in->series, -1, 0.5), med, sizeof(med));
	fmt_ms(series_quantile(in->series, -1, 0.99), p99, sizeof(p99));
	snprintf(buf, len, "%s slot%s \xc2\xb7 %.2f %% lost (fwd %.2f, bwd %.2f, "
	    "unknown %.2f, unsent %.2f %%) \xc2\xb7 RTT median %s, p99 %s", n,
	    sent == 1 ? "" : "s", pct(series_lost(t), sent),
	    pct(t->fate[REC_LOST_FORWARD], sent), pct(t->fate[REC_LOST_BACKWARD], sent),
	    pct(t->fate[REC_LOST], sent), pct(t->fate[REC_UNSENT], sent), med, p99);
}

void
graph_begin(struct frame *fr, const struct graph_input *in, struct plot *p,
    const char *what, double left)
{
	char title[256], range[160], totals[256], sub[440];

	frame_init(fr, p, in->width, in->height, left);
	fr->tz_off = in->tz_off_ns;
	fr->tz_name = in->tz_name;
	fr->t0 = in->since_ns;
	fr->t1 = in->until_ns;
	snprintf(title, sizeof(title), "%s \xe2\x80\x94 %s", what, in->server);
	range_text(in, range, sizeof(range));
	totals_text(in, totals, sizeof(totals));
	snprintf(sub, sizeof(sub), "%s \xc2\xb7 %s", range, totals);
	frame_title(fr, title, sub);
}

void
graph_bucket_x(const struct frame *fr, const struct graph_input *in, int i,
    double *x0, double *x1)
{
	const struct scale_grid *g = series_grid(in->series);
	int64_t t = g->start + (int64_t)i * g->width;

	*x0 = frame_x(fr, t);
	*x1 = frame_x(fr, t + g->width);
}

void
graph_outage_band(struct frame *fr, double x0, double x1, double y, double height)
{
	/* A minute's outage in a year's graph is still a mark, not a gap. */
	if (x1 - x0 < 3) {
		x0 = (x0 + x1) / 2 - 1.5;
		x1 = x0 + 3;
	}
	plot_rect(fr->p, x0, y, x1 - x0, height, GRAPH_OUTAGE);
}

/* Whether bucket i holds no slot but lies between the history's first and last. */
static int
is_gap(const struct graph_input *in, int i)
{
	const struct scale_grid *g = series_grid(in->series);
	int64_t t = g->start + (int64_t)i * g->width;

	return series_sent(series_bucket(in->series, i)) == 0 && in->first_ns >= 0 &&
	    t + g->width > in->first_ns && t <= in->last_ns;
}

/*
 * A small label centred in [x0, x1), if it fits there, a quarter down the
 * plot: the middle is for the message of an empty range.
 */
static void
band_label(struct frame *fr, double x0, double x1, const char *text, uint32_t bg)
{
	struct plot_font f = frame_font_note;
	double w, h;

	x0 = x0 < fr->x ? fr->x : x0;
	x1 = x1 > fr->x + fr->w ? fr->x + fr->w : x1;
	plot_text_size(fr->p, &f, text, &w, &h);
	if (x1 - x0 < w + 8)
		return;
	f.h = PLOT_CENTER;
	f.v = PLOT_MIDDLE;
	f.bg = bg;
	plot_text(fr->p, (x0 + x1) / 2, fr->y + fr->h / 4, &f, text);
}

void
graph_nodata(struct frame *fr, const struct graph_input *in)
{
	const struct scale_grid *g = series_grid(in->series);
	double x0, x1, end;
	int i, j;

	plot_clip(fr->p, fr->x, fr->y, fr->w, fr->h);
	/* Runs of gap buckets hatch as one and carry one label. */
	for (i = 0; i < g->count; i = j) {
		for (j = i; j < g->count && is_gap(in, j); j++)
			;
		if (j == i) {
			j++;
			continue;
		}
		graph_bucket_x(fr, in, i, &x0, &x1);
		graph_bucket_x(fr, in, j - 1, &x1, &end);
		plot_hatch(fr->p, x0, fr->y, end - x0, fr->h, FRAME_NODATA,
		    FRAME_NODATA_LINE);
		band_label(fr, x0, end, "no probes", FRAME_NODATA);
	}
	plot_unclip(fr->p);
	/* Before the first slot and after the last, there is no history to
	 * show: white, not the grey of a gap. */
	if (in->first_ns < 0)
		return;		/* the message of an empty range says it */
	if (in->first_ns > in->since_ns)
		band_label(fr, fr->x, frame_x(fr, in->first_ns), "no history", 0);
	if (in->last_ns < in->until_ns)
		band_label(fr, frame_x(fr, in->last_ns), fr->x + fr->w, "no history", 0);
}

void
graph_renewal_lines(struct frame *fr, const struct graph_input *in)
{
	/* Beyond this many, full-height lines would hide the data. */
	int many = (double)in->nrenewals > fr->w / 40;
	double x;
	size_t i;

	for (i = 0; i < in->nrenewals; i++) {
		x = frame_x(fr, in->renewals[i].requested_ns);
		if (many)
			plot_line(fr->p, x, fr->y + fr->h - 8, x, fr->y + fr->h, 1.5,
			    PLOT_SOLID, FRAME_RENEWAL);
		else
			plot_line(fr->p, x, fr->y, x, fr->y + fr->h, 1.5, PLOT_DASHED,
			    FRAME_RENEWAL);
	}
}

int
graph_empty(struct frame *fr, const struct graph_input *in)
{
	if (series_sent(series_bucket(in->series, -1)) != 0)
		return 0;
	frame_message(fr, "no probes in this range");
	return 1;
}
