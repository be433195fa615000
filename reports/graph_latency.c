/*
 * graph_latency: SmokePing-style smoke. Per bucket, grey bands show how
 * RTTs spread (min..max, 10..90 %, 25..75 %) and the median is a bar
 * coloured by the bucket's loss. A bucket where every probe was lost has
 * no RTT to draw, so it gets a red column instead of an empty gap, and a
 * bucket with a shorter outage inside gets the red mark along the top.
 */
#include <math.h>
#include <stdio.h>

#include "graph.h"

#define BAND_MINMAX 0xdcdcdcffu
#define BAND_P10_90 0xb0b0b0ffu
#define BAND_P25_75 0x888888ffu

static const struct {
	double lo, hi;
	uint32_t rgba;
} bands[] = {
	{ 0.0, 1.0, BAND_MINMAX },
	{ 0.10, 0.90, BAND_P10_90 },
	{ 0.25, 0.75, BAND_P25_75 },
};

static double
ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/*
 * The value axis: from 0 to a round value above the highest p90 of a
 * bucket, but no higher than 1.5 times the p99 of the whole range, so a
 * bucket of one or two cold-start probes cannot squash everyone else's
 * smoke into the bottom pixels; what is cut off is said on the graph.
 */
static void
latency_range(struct frame *fr, const struct graph_input *in)
{
	const struct scale_grid *g = series_grid(in->series);
	double cap = 1.5 * ms(series_quantile(in->series, -1, 0.99));
	struct scale_ticks tk;
	double top = 0;
	int i;

	for (i = 0; i < g->count; i++)
		top = fmax(top, ms(series_quantile(in->series, i, 0.90)));
	if (cap > 0 && top > cap)
		top = cap;
	if (top <= 0)
		top = 1;
	top *= 1.15;
	fr->v0 = 0;
	fr->v1 = top;
	if (scale_ticks(0, top, (int)(fr->h / 45) + 1, &tk) == 0)
		fr->v1 = ceil(top / tk.step - 1e-9) * tk.step;
}

static void
draw_smoke(struct frame *fr, const struct graph_input *in, int i, double x0,
    double x1)
{
	const struct series_bucket *b = series_bucket(in->series, i);
	enum scale_loss cls = scale_loss_class(series_lost(b), series_sent(b));
	double y0, y1;
	size_t k;

	for (k = 0; k < sizeof(bands) / sizeof(bands[0]); k++) {
		y0 = frame_y(fr, ms(series_quantile(in->series, i, bands[k].hi)));
		y1 = frame_y(fr, ms(series_quantile(in->series, i, bands[k].lo)));
		plot_rect(fr->p, x0, y0, x1 - x0, fmax(y1 - y0, 1), bands[k].rgba);
	}
	y0 = frame_y(fr, ms(series_quantile(in->series, i, 0.5)));
	/* A median above the axis still shows, pinned to the top edge, so the
	 * bucket where it happened is not an empty column. */
	if (y0 < fr->y + 1.5)
		y0 = fr->y + 1.5;
	plot_rect(fr->p, x0, y0 - 1.5, fmax(x1 - x0, 2), 3, scale_loss_rgba(cls));
}

static void
draw_bucket(struct frame *fr, const struct graph_input *in, int i)
{
	const struct series_bucket *b = series_bucket(in->series, i);
	double x0, x1;

	graph_bucket_x(fr, in, i, &x0, &x1);
	if (b->rtts > 0)
		draw_smoke(fr, in, i, x0, x1);
	else if (series_sent(b) > 0)
		plot_rect(fr->p, x0, fr->y, x1 - x0, fr->h, GRAPH_OUTAGE_BG);
}

/* Outage marks last, so that no neighbouring bucket's smoke covers them. */
static void
draw_outages(struct frame *fr, const struct graph_input *in)
{
	const struct scale_grid *g = series_grid(in->series);
	const struct series_bucket *b;
	double x0, x1;
	int i;

	for (i = 0; i < g->count; i++) {
		b = series_bucket(in->series, i);
		/* The episode rule's outages only, as on loss.png. */
		if (b->outage_ns == 0)
			continue;
		graph_bucket_x(fr, in, i, &x0, &x1);
		graph_outage_band(fr, x0, x1, fr->y, GRAPH_OUTAGE_BAND);
	}
}

/* RTTs above the axis are clipped: say how high the highest went. */
static void
latency_offscale(struct frame *fr, const struct graph_input *in)
{
	const struct series_bucket *all = series_bucket(in->series, -1);
	struct plot_font f = frame_font_note;
	int64_t max = all->rtt_max;
	char v[32], note[96];

	if (all->rtts == 0 || ms(max) <= fr->v1)
		return;
	scale_fmt_rtt(max, v, sizeof(v));
	snprintf(note, sizeof(note), "\xe2\x96\xb2 off the axis: up to %s", v);
	f.h = PLOT_RIGHT;
	f.bg = 0xffffffccu;
	plot_text(fr->p, fr->x + fr->w - 6, fr->y + 4, &f, note);
}

static void
latency_legend(struct frame *fr)
{
	struct frame_key keys[4 + SCALE_LOSS_CLASSES + 2] = {
		{ "min\xe2\x80\x93max", BAND_MINMAX, FRAME_BOX },
		{ "10\xe2\x80\x93" "90 %", BAND_P10_90, FRAME_BOX },
		{ "25\xe2\x80\x93" "75 %", BAND_P25_75, FRAME_BOX },
		{ "median at loss:", FRAME_TEXT, FRAME_TEXT_ONLY },
	};
	int c, n = 4;

	for (c = 0; c < SCALE_LOSS_CLASSES; c++, n++) {
		keys[n].label = scale_loss_label((enum scale_loss)c);
		keys[n].rgba = scale_loss_rgba((enum scale_loss)c);
		keys[n].swatch = c == SCALE_LOSS_TOTAL ? FRAME_BOX : FRAME_LINE;
	}
	keys[n++] = (struct frame_key){ "renewal", FRAME_RENEWAL, FRAME_DASH };
	keys[n++] = (struct frame_key){ "no probes (nothing ran)", FRAME_NODATA, FRAME_HATCH };
	frame_legend(fr, keys, n);
}

void
graph_latency(const struct graph_input *in, struct plot *p)
{
	const struct scale_grid *g = series_grid(in->series);
	struct frame fr;
	int i;

	graph_begin(&fr, in, p, "Round-trip time", 70);
	latency_legend(&fr);
	latency_range(&fr, in);
	graph_nodata(&fr, in);
	frame_value_axis(&fr, "RTT (ms)");
	frame_time_axis(&fr);
	if (!graph_empty(&fr, in)) {
		plot_clip(p, fr.x, fr.y, fr.w, fr.h);
		for (i = 0; i < g->count; i++)
			draw_bucket(&fr, in, i);
		graph_renewal_lines(&fr, in);
		draw_outages(&fr, in);
		plot_unclip(p);
		latency_offscale(&fr, in);
		if (series_bucket(in->series, -1)->rtts == 0)
			frame_message(&fr, "no replies: every probe was lost");
	}
	frame_border(&fr);
}
