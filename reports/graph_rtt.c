/*
 * graph_rtt: the distribution of RTTs over the whole range, as a histogram
 * of exact counts in round-width bins, with the median, p95 and p99 marked.
 * The axis covers 0.1 %..99.9 % of the RTTs so that one spike does not
 * squash the rest; what falls outside is counted in a note.
 */
#include <math.h>
#include <stdio.h>

#include "graph.h"

#define BAR 0x4f81bdffu
#define MARK 0xc0392bffu

static const struct {
	double q;
	const char *name;
} marks[] = {
	{ 0.50, "median" },
	{ 0.95, "p95" },
	{ 0.99, "p99" },
};

int
graph_rtt_bins(const struct series *s, struct scale_linbins *bins)
{
	int64_t lo = series_quantile(s, -1, 0.001);
	int64_t hi = series_quantile(s, -1, 0.999);
	int64_t p99 = series_quantile(s, -1, 0.99);
	int64_t span, least;

	if (lo < 0)
		return PM_E_NOTFOUND;
	/* A few outliers (in a small sample p99.9 is the maximum) must not
	 * squeeze the hump into the first bars: past twice the p99 they are
	 * counted as "off the axis" in the legend. Written so that no
	 * intermediate exceeds the (non-negative) quantiles themselves. */
	if (hi - p99 > p99 && p99 > lo - p99)
		hi = 2 * p99;
	span = hi - lo;
	/* Keep a narrow distribution a hump, not one bar as wide as the axis. */
	least = hi / 20 > 1000 ? hi / 20 : 1000;
	if (span < least) {
		lo = lo > (least - span) / 2 ? lo - (least - span) / 2 : 0;
		lo = lo < INT64_MAX - least ? lo : INT64_MAX - least;
		hi = lo + least;
	}
	return scale_linbins(lo, hi, 100, bins);
}

static double
bin_pct(const struct graph_input *in, int i)
{
	uint64_t n = series_bucket(in->series, -1)->rtts;

	return n ? 100.0 * (double)in->dist[i] / (double)n : 0;
}

static void
rtt_range(struct frame *fr, const struct graph_input *in)
{
	const struct scale_linbins *b = in->dist_bins;
	struct scale_ticks tk;
	double top = 0;
	int i;

	for (i = 0; i < b->count; i++)
		top = fmax(top, bin_pct(in, i));
	fr->v0 = 0;
	fr->v1 = fmax(top * 1.25, 0.1);
	if (scale_ticks(0, fr->v1, (int)(fr->h / 45) + 1, &tk) == 0)
		fr->v1 = ceil(fr->v1 / tk.step - 1e-9) * tk.step;
}

/* Bars in frame coordinates: x from the bins in ms, y in % of replies. */
static void
draw_bars(struct frame *fr, const struct graph_input *in)
{
	const struct scale_linbins *b = in->dist_bins;
	double x0, x1, y;
	int i;

	for (i = 0; i < b->count; i++) {
		if (in->dist[i] == 0)
			continue;
		x0 = fr->x + fr->w * i / b->count;
		x1 = fr->x + fr->w * (i + 1) / b->count;
		y = fr->y + fr->h * (1 - bin_pct(in, i) / fr->v1);
		plot_rect(fr->p, x0, y, fmax(x1 - x0 - 1, 1), fr->y + fr->h - y, BAR);
	}
}

static void
draw_marks(struct frame *fr, const struct graph_input *in)
{
	struct plot_font f = frame_font_tick;
	char v[32], label[64];
	double x, w, h;
	size_t k;

	f.rgba = MARK;
	f.bg = 0xffffffd0;
	for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		int64_t ns = series_quantile(in->series, -1, marks[k].q);

		x = frame_vx(fr, (double)ns / 1e6);
		if (x < fr->x || x > fr->x + fr->w)
			continue;
		plot_line(fr->p, x, fr->y, x, fr->y + fr->h, 1.5, PLOT_DASHED, MARK);
		scale_fmt_rtt(ns, v, sizeof(v));
		snprintf(label, sizeof(label), "%s %s", marks[k].name, v);
		/* Stagger the labels: close percentiles would overwrite each other;
		 * near the right edge a label goes left of its line. */
		f.h = PLOT_LEFT;
		plot_text_size(fr->p, &f, label, &w, &h);
		if (x + 4 + w > fr->x + fr->w)
			f.h = PLOT_RIGHT;
		plot_text(fr->p, f.h == PLOT_LEFT ? x + 4 : x - 4, fr->y + 6 + 18 * (double)k,
		    &f, label);
	}
}

/* The legend, ending with how many RTTs there are and how many are off the axis. */
static void
rtt_legend(struct frame *fr, const struct graph_input *in)
{
	const struct series_bucket *t = series_bucket(in->series, -1);
	char n[32], lo[32], hi[32], note[256];
	struct frame_key keys[] = {
		{ "% of RTTs per bin", BAR, FRAME_BOX },
		{ "percentiles", MARK, FRAME_DASH },
		{ note, FRAME_MUTED, FRAME_TEXT_ONLY },
	};

	scale_fmt_count(t->rtts, n, sizeof(n));
	scale_fmt_rtt(t->rtt_min, lo, sizeof(lo));
	scale_fmt_rtt(t->rtt_max, hi, sizeof(hi));
	snprintf(note, sizeof(note), "%s RTTs, min %s, max %s; off the axis: %llu "
	    "below, %llu above", n, lo, hi, (unsigned long long)in->dist_below,
	    (unsigned long long)in->dist_above);
	frame_legend(fr, keys, sizeof(keys) / sizeof(keys[0]));
}

void
graph_rtt(const struct graph_input *in, struct plot *p)
{
	const struct scale_linbins *b = in->dist_bins;
	struct frame fr;
	char label[64], w[32];

	graph_begin(&fr, in, p, "RTT distribution", 70);
	if (b == NULL || b->count == 0 || series_bucket(in->series, -1)->rtts == 0) {
		frame_message(&fr, "no RTTs in this range");
		frame_border(&fr);
		return;
	}
	rtt_legend(&fr, in);
	rtt_range(&fr, in);
	frame_value_axis(&fr, "share of RTTs (%)");
	fr.u0 = (double)b->lo / 1e6;
	fr.u1 = (double)(b->lo + b->width * b->count) / 1e6;
	scale_fmt_rtt(b->width, w, sizeof(w));
	snprintf(label, sizeof(label), "RTT (ms), bins %s wide", w);
	frame_value_xaxis(&fr, label);
	draw_bars(&fr, in);
	draw_marks(&fr, in);
	frame_border(&fr);
}
