/*
 * frame: graph furniture. Sizes are fixed in logical pixels so that
 * --scale 2 draws the same picture at twice the resolution.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "scale.h"

#define TOP 82		/* title, subtitle and legend rows above the plot */
#define RIGHT 28
#define BOTTOM 58	/* tick labels, their date line and the axis title */
#define LEGEND_ROW 18

const struct plot_font frame_font_tick = { 12, 0, PLOT_CENTER, PLOT_TOP, FRAME_TEXT, 0, 0, 0 };
const struct plot_font frame_font_note = { 11, 0, PLOT_LEFT, PLOT_TOP, FRAME_MUTED, 0, 0, 0 };
static const struct plot_font font_title = { 17, 1, PLOT_LEFT, PLOT_TOP, FRAME_TEXT, 0, 0, 0 };
static const struct plot_font font_sub = { 12.5, 0, PLOT_LEFT, PLOT_TOP, FRAME_TEXT, 0, 0, 0 };
static const struct plot_font font_axis = { 12.5, 1, PLOT_CENTER, PLOT_BOTTOM, FRAME_TEXT, 0, 0, 0 };
static const struct plot_font font_legend = { 12, 0, PLOT_LEFT, PLOT_MIDDLE, FRAME_TEXT, 0, 0, 0 };

void
frame_init(struct frame *fr, struct plot *p, int width, int height, double left)
{
	memset(fr, 0, sizeof(*fr));
	fr->p = p;
	fr->width = width;
	fr->height = height;
	fr->x = left;
	fr->y = TOP;
	fr->w = width - left - RIGHT;
	fr->h = height - TOP - BOTTOM;
	fr->v1 = fr->u1 = 1;
}

void
frame_title(struct frame *fr, const char *title, const char *subtitle)
{
	struct plot_font t = font_title, sub = font_sub;

	/* Too long for the canvas: cut with an ellipsis rather than overflow. */
	t.max_w = sub.max_w = fr->width - fr->x - 8;
	plot_text(fr->p, fr->x, 10, &t, title);
	plot_text(fr->p, fr->x, 34, &sub, subtitle);
}

static void
legend_swatch(struct frame *fr, double x, double y, const struct frame_key *k)
{
	switch (k->swatch) {
	case FRAME_BOX:
		plot_rect(fr->p, x, y - 6, 16, 12, k->rgba);
		return;
	case FRAME_LINE:
		plot_line(fr->p, x, y, x + 16, y, 3, PLOT_SOLID, k->rgba);
		return;
	case FRAME_DASH:
		plot_line(fr->p, x + 8, y - 7, x + 8, y + 7, 2, PLOT_DASHED, k->rgba);
		return;
	case FRAME_HATCH:
		plot_hatch(fr->p, x, y - 6, 16, 12, FRAME_NODATA, FRAME_NODATA_LINE);
		return;
	case FRAME_TEXT_ONLY:
		return;
	}
}

void
frame_legend(struct frame *fr, const struct frame_key *keys, int n)
{
	struct plot_font f = font_legend;
	double x = fr->x, y = TOP - 16, w, h, sw;
	int i;

	for (i = 0; i < n; i++) {
		sw = keys[i].swatch == FRAME_TEXT_ONLY ? 0 : 21;
		f.rgba = keys[i].swatch == FRAME_TEXT_ONLY ? keys[i].rgba : FRAME_TEXT;
		plot_text_size(fr->p, &f, keys[i].label, &w, &h);
		if (x > fr->x && x + sw + w > fr->width - RIGHT) {
			x = fr->x;
			y += LEGEND_ROW;
		}
		legend_swatch(fr, x, y, &keys[i]);
		plot_text(fr->p, x + sw, y, &f, keys[i].label);
		x += sw + w + 16;
	}
	fr->y += y - (TOP - 16);
	fr->h -= y - (TOP - 16);
}

double
frame_x(const struct frame *fr, int64_t t)
{
	/* In doubles: a session's start in a damaged history may be any
	 * int64_t, and t - t0 would overflow (sub-pixel rounding is harmless). */
	return fr->x + fr->w * ((double)t - (double)fr->t0) /
	    ((double)fr->t1 - (double)fr->t0);
}

double
frame_vx(const struct frame *fr, double u)
{
	return fr->x + fr->w * (u - fr->u0) / (fr->u1 - fr->u0);
}

double
frame_y(const struct frame *fr, double v)
{
	double f = (v - fr->v0) / (fr->v1 - fr->v0);

	switch (fr->vscale) {
	case FRAME_LINEAR:
		break;
	case FRAME_SQRT:
		f = f > 0 ? sqrt(f) : 0;
		break;
	}
	return fr->y + fr->h - fr->h * f;
}

static void
time_tick(struct frame *fr, int64_t t, int64_t prev, enum scale_tfmt fmt)
{
	struct plot_font ctx = frame_font_tick;
	char main[32], context[32];
	double x = frame_x(fr, t - fr->tz_off);

	scale_time_label(t, prev, fmt, main, context, sizeof(main));
	plot_line(fr->p, x, fr->y, x, fr->y + fr->h, 1, PLOT_SOLID, FRAME_GRID);
	plot_line(fr->p, x, fr->y + fr->h, x, fr->y + fr->h + 5, 1, PLOT_SOLID, FRAME_AXIS);
	plot_text(fr->p, x, fr->y + fr->h + 7, &frame_font_tick, main);
	ctx.rgba = FRAME_MUTED;
	ctx.size = 11;
	if (context[0] != '\0')
		plot_text(fr->p, x, fr->y + fr->h + 22, &ctx, context);
}

void
frame_time_axis(struct frame *fr)
{
	struct scale_tticks tt;
	int i;

	char label[64];
	int64_t off = fr->tz_off;

	/* A label needs about 110 px with its date line. Ticks fall on the
	 * round times of the clock shown: computed on shifted times, drawn
	 * at the real ones. */
	if (scale_time_ticks(fr->t0 + off, fr->t1 + off, (int)(fr->w / 110),
	    &tt) != 0)
		return;
	for (i = 0; i < tt.count; i++)
		time_tick(fr, tt.t[i], i > 0 ? tt.t[i - 1] : -1, tt.fmt);
	snprintf(label, sizeof(label), "time (%s)", fr->tz_name ? fr->tz_name : "UTC");
	plot_text(fr->p, fr->x + fr->w / 2, fr->height - 4, &font_axis, label);
}

void
frame_value_xaxis(struct frame *fr, const char *label)
{
	struct scale_ticks tk;
	char buf[32];
	double x;
	int i;

	if (scale_ticks(fr->u0, fr->u1, (int)(fr->w / 80), &tk) != 0)
		return;
	for (i = 0; i < tk.count; i++) {
		x = frame_vx(fr, tk.first + i * tk.step);
		scale_fmt_value(tk.first + i * tk.step, tk.decimals, buf, sizeof(buf));
		plot_line(fr->p, x, fr->y, x, fr->y + fr->h, 1, PLOT_SOLID, FRAME_GRID);
		plot_line(fr->p, x, fr->y + fr->h, x, fr->y + fr->h + 5, 1, PLOT_SOLID, FRAME_AXIS);
		plot_text(fr->p, x, fr->y + fr->h + 7, &frame_font_tick, buf);
	}
	plot_text(fr->p, fr->x + fr->w / 2, fr->height - 4, &font_axis, label);
}

static void
value_tick(struct frame *fr, double v, int decimals)
{
	struct plot_font f = frame_font_tick;
	double y = frame_y(fr, v);
	char buf[32];

	f.h = PLOT_RIGHT;
	f.v = PLOT_MIDDLE;
	scale_fmt_value(v, decimals, buf, sizeof(buf));
	plot_line(fr->p, fr->x, y, fr->x + fr->w, y, 1, PLOT_SOLID, FRAME_GRID);
	plot_line(fr->p, fr->x - 5, y, fr->x, y, 1, PLOT_SOLID, FRAME_AXIS);
	plot_text(fr->p, fr->x - 8, y, &f, buf);
}

static void
value_label(struct frame *fr, const char *label)
{
	struct plot_font vf = font_axis;

	vf.vertical = 1;
	vf.v = PLOT_TOP;
	plot_text(fr->p, 8, fr->y + fr->h / 2, &vf, label);
}

void
frame_value_axis(struct frame *fr, const char *label)
{
	struct scale_ticks tk;
	int i;

	if (scale_ticks(fr->v0, fr->v1, (int)(fr->h / 45) + 1, &tk) == 0)
		for (i = 0; i < tk.count; i++)
			value_tick(fr, tk.first + i * tk.step, tk.decimals);
	value_label(fr, label);
}

#define TICK_GAP 14	/* px between the centres of two value labels */

void
frame_value_ticks(struct frame *fr, const char *label, const double *ticks,
    int n)
{
	double drawn[SCALE_MAX_TICKS];
	int i, j, nd = 0;

	for (i = 0; i < n && nd < SCALE_MAX_TICKS; i++) {
		for (j = 0; j < nd; j++)
			if (fabs(frame_y(fr, ticks[i]) - drawn[j]) < TICK_GAP)
				break;
		if (j < nd)
			continue;
		drawn[nd++] = frame_y(fr, ticks[i]);
		value_tick(fr, ticks[i], ticks[i] == floor(ticks[i]) ? 0 : 1);
	}
	value_label(fr, label);
}

void
frame_border(struct frame *fr)
{
	plot_line(fr->p, fr->x, fr->y + fr->h, fr->x + fr->w, fr->y + fr->h, 1,
	    PLOT_SOLID, FRAME_AXIS);
	plot_line(fr->p, fr->x, fr->y, fr->x, fr->y + fr->h, 1, PLOT_SOLID, FRAME_AXIS);
}

void
frame_message(struct frame *fr, const char *msg)
{
	struct plot_font f = { 22, 1, PLOT_CENTER, PLOT_MIDDLE, 0x909090ff, 0, 0, 0 };

	plot_text(fr->p, fr->x + fr->w / 2, fr->y + fr->h / 2, &f, msg);
}
