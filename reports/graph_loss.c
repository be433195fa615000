/*
 * graph_loss: loss per bucket on a fixed 0-100 % square-root axis, stacked
 * by where the slots were lost (forward, backward, direction unknown, not
 * sent); every direction present keeps a few pixels, so an outage shows its
 * direction too. "Not sent" is a slot whose probe could not be sent at all
 * (no session, or the kernel refused it): loss, though not the path's.
 * Outages (every slot of a bucket lost, or a run of 3 or more over at least
 * a second) are also marked in a lane of their own above 100 %, where no
 * bar can cover them.
 *
 * Why a square root: on a linear 0-100 % axis 0.5 % loss is 2 px of a
 * 400 px plot, and an axis that follows the worst partial loss makes 2 %
 * look like 100 % to someone glancing at it at night. A log axis has no 0
 * and draws 1 % half as high as 100 %. The square root keeps 0 at the
 * bottom and 100 % at the top, is monotone, and lifts 0.5 % to 7 % of the
 * height (1 % to 10 %, 25 % to half); the ticks 0, 1, 5, 10, 25, 50, 100
 * and the axis title say the scale is not linear.
 */
#include <math.h>

#include "graph.h"

#define LOSS_FWD 0xe6550dffu
#define LOSS_BWD 0x6a51a3ffu
#define LOSS_UNK 0x969696ffu
#define LOSS_UNSENT 0x35978fffu
#define OUTAGE_LANE 14		/* px above 100 % for the outage marks */
#define LEAST_PART 3		/* px: no direction is ever a hairline */
#define LEAST_BAR 2		/* px: the smallest loss still shows */

static const struct {
	enum rec_fate fate;
	uint32_t rgba;
} stack[] = {
	{ REC_LOST_FORWARD, LOSS_FWD },
	{ REC_LOST_BACKWARD, LOSS_BWD },
	{ REC_LOST, LOSS_UNK },
	{ REC_UNSENT, LOSS_UNSENT },
};
#define NSTACK (sizeof(stack) / sizeof(stack[0]))

/* Drawn on top of each other: the labels that do not fit are left out. */
static const double ticks[] = { 0, 100, 50, 25, 10, 5, 1 };

/* The axis title, shorter where the plot is not as high as the long one. */
static const char *
axis_title(struct frame *fr)
{
	static const char *const titles[] = { "loss (% of slots, square-root scale)",
	    "loss (%, square root)" };
	struct plot_font f = frame_font_tick;
	double w, h;

	f.bold = 1;
	plot_text_size(fr->p, &f, titles[0], &w, &h);
	return w <= fr->h ? titles[0] : titles[1];
}

static int
is_outage(const struct series_bucket *b)
{
	/* The outages of the episode rule only: a bucket all lost for less
	 * than that is loss, not an outage, as in the events list. */
	return b->outage_ns > 0;
}

/*
 * The stack is cumulative on the axis: each colour ends at the height of
 * the loss up to and including it, so every boundary reads true against
 * the ticks. A direction the square root squeezes (the top of an outage)
 * still gets LEAST_PART pixels, taken from the largest.
 */
static void
draw_bucket(struct frame *fr, const struct graph_input *in, int i)
{
	const struct series_bucket *b = series_bucket(in->series, i);
	uint64_t sent = series_sent(b), lost = series_lost(b), cum = 0;
	double x0, x1, y, below, total, h[NSTACK];
	size_t k;

	if (sent == 0 || lost == 0)
		return;
	graph_bucket_x(fr, in, i, &x0, &x1);
	for (below = fr->y + fr->h, k = 0; k < NSTACK; k++) {
		cum += b->fate[stack[k].fate];
		y = frame_y(fr, 100.0 * (double)cum / (double)sent);
		h[k] = below - y;
		below = y;
	}
	/* The smallest loss still shows: its top part grows to LEAST_BAR. */
	total = fr->y + fr->h - below;
	for (k = NSTACK; total < LEAST_BAR && k-- > 0;)
		if (h[k] > 0) {
			h[k] += LEAST_BAR - total;
			break;
		}
	scale_least(h, NSTACK, LEAST_PART);
	for (y = fr->y + fr->h, k = 0; k < NSTACK; k++) {
		if (h[k] <= 0)
			continue;
		plot_rect(fr->p, x0, y - h[k], x1 - x0, h[k], stack[k].rgba);
		y -= h[k];
	}
}

/* The red marks in the lane above the plot. */
static void
draw_outages(struct frame *fr, const struct graph_input *in, double lane)
{
	const struct scale_grid *g = series_grid(in->series);
	double x0, x1;
	int i;

	plot_clip(fr->p, fr->x, lane, fr->w, OUTAGE_LANE);
	for (i = 0; i < g->count; i++) {
		if (!is_outage(series_bucket(in->series, i)))
			continue;
		graph_bucket_x(fr, in, i, &x0, &x1);
		graph_outage_band(fr, x0, x1, lane + 2, OUTAGE_LANE - 4);
	}
	plot_unclip(fr->p);
}

void
graph_loss(const struct graph_input *in, struct plot *p)
{
	static const struct frame_key keys[] = {
		{ "lost forward (to server)", LOSS_FWD, FRAME_BOX },
		{ "lost backward (to client)", LOSS_BWD, FRAME_BOX },
		{ "lost, direction unknown", LOSS_UNK, FRAME_BOX },
		{ "not sent", LOSS_UNSENT, FRAME_BOX },
		{ "outage (2 s or more all lost)", GRAPH_OUTAGE, FRAME_BOX },
		{ "renewal", FRAME_RENEWAL, FRAME_DASH },
		{ "no probes (nothing ran)", FRAME_NODATA, FRAME_HATCH },
	};
	const struct scale_grid *g = series_grid(in->series);
	struct frame fr;
	double lane;
	int i;

	graph_begin(&fr, in, p, "Packet loss", 70);
	frame_legend(&fr, keys, sizeof(keys) / sizeof(keys[0]));
	lane = fr.y;
	fr.y += OUTAGE_LANE;
	fr.h -= OUTAGE_LANE;
	fr.v0 = 0;
	fr.v1 = 100;
	fr.vscale = FRAME_SQRT;
	graph_nodata(&fr, in);
	frame_value_ticks(&fr, axis_title(&fr), ticks,
	    (int)(sizeof(ticks) / sizeof(ticks[0])));
	frame_time_axis(&fr);
	if (!graph_empty(&fr, in)) {
		draw_outages(&fr, in, lane);
		plot_clip(p, fr.x, fr.y, fr.w, fr.h);
		for (i = 0; i < g->count; i++)
			draw_bucket(&fr, in, i);
		graph_renewal_lines(&fr, in);
		plot_unclip(p);
	}
	frame_border(&fr);
}
