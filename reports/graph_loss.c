/*
 * graph_loss: loss per bucket, stacked by direction (forward, backward,
 * unknown). The axis follows the worst partial loss so that 0.5 % stays
 * visible; a bucket where every probe was lost is an outage and fills the
 * whole height in its own colour, whatever the axis says.
 */
#include <math.h>

#include "graph.h"

#define LOSS_FWD 0xe6550dffu
#define LOSS_BWD 0x6a51a3ffu
#define LOSS_UNK 0x969696ffu

static const struct {
	enum rec_fate fate;
	uint32_t rgba;
} stack[] = {
	{ REC_LOST_FORWARD, LOSS_FWD },
	{ REC_LOST_BACKWARD, LOSS_BWD },
	{ REC_LOST, LOSS_UNK },
};

static double
loss_pct(const struct series_bucket *b, enum rec_fate f)
{
	uint64_t n = series_sent(b);

	return n ? 100.0 * (double)b->fate[f] / (double)n : 0;
}

static void
loss_range(struct frame *fr, const struct graph_input *in)
{
	const struct scale_grid *g = series_grid(in->series);
	const struct series_bucket *b;
	struct scale_ticks tk;
	double top = 0;
	int i;

	for (i = 0; i < g->count; i++) {
		b = series_bucket(in->series, i);
		if (series_lost(b) < series_sent(b))
			top = fmax(top, 100.0 * (double)series_lost(b) / (double)series_sent(b));
	}
	top = fmin(fmax(top * 1.15, 1), 100);
	fr->v0 = 0;
	fr->v1 = top;
	if (scale_ticks(0, top, (int)(fr->h / 45) + 1, &tk) == 0)
		fr->v1 = fmin(ceil(top / tk.step - 1e-9) * tk.step, 100);
}

static void
draw_bucket(struct frame *fr, const struct graph_input *in, int i)
{
	const struct series_bucket *b = series_bucket(in->series, i);
	double x0, x1, acc = 0, y0, y1;
	size_t k;

	if (series_sent(b) == 0 || series_lost(b) == 0)
		return;
	graph_bucket_x(fr, in, i, &x0, &x1);
	if (series_lost(b) == series_sent(b)) {
		graph_outage_band(fr, x0, x1, fr->h);
		return;
	}
	if (b->outage_ns > 0)
		graph_outage_band(fr, x0, x1, GRAPH_OUTAGE_BAND);
	for (k = 0; k < sizeof(stack) / sizeof(stack[0]); k++) {
		y1 = frame_y(fr, acc);
		acc += loss_pct(b, stack[k].fate);
		y0 = frame_y(fr, acc);
		if (y1 > y0)
			plot_rect(fr->p, x0, y0, x1 - x0, fmax(y1 - y0, 1), stack[k].rgba);
	}
}

void
graph_loss(const struct graph_input *in, struct plot *p)
{
	static const struct frame_key keys[] = {
		{ "lost forward (to server)", LOSS_FWD, FRAME_BOX },
		{ "lost backward (to client)", LOSS_BWD, FRAME_BOX },
		{ "lost, direction unknown", LOSS_UNK, FRAME_BOX },
		{ "outage (full height: whole bucket lost)", GRAPH_OUTAGE, FRAME_BOX },
		{ "renewal", FRAME_RENEWAL, FRAME_DASH },
		{ "no probes", FRAME_NODATA, FRAME_BOX },
	};
	const struct scale_grid *g = series_grid(in->series);
	struct frame fr;
	int i;

	graph_begin(&fr, in, p, "Packet loss", 70);
	frame_legend(&fr, keys, sizeof(keys) / sizeof(keys[0]));
	loss_range(&fr, in);
	graph_nodata(&fr, in);
	frame_value_axis(&fr, "loss (% of probes sent)");
	frame_time_axis(&fr);
	if (!graph_empty(&fr, in)) {
		plot_clip(p, fr.x, fr.y, fr.w, fr.h);
		for (i = 0; i < g->count; i++)
			draw_bucket(&fr, in, i);
		graph_renewal_lines(&fr, in);
		plot_unclip(p);
	}
	frame_border(&fr);
}
