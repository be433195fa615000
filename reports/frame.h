/*
 * frame: what every graph shares: the layout of title, legend and plot
 * area, the time and value axes with their grid, legends and the "no data"
 * message. Drawn with plot.h; axis arithmetic comes from scale.h.
 */
#ifndef PM_REPORT_FRAME_H
#define PM_REPORT_FRAME_H

#include <stdint.h>

#include "plot.h"

/* The palette every graph uses for its furniture. */
#define FRAME_TEXT 0x202020ffu
#define FRAME_MUTED 0x606060ffu
#define FRAME_GRID 0xe3e3e3ffu
#define FRAME_AXIS 0x404040ffu
#define FRAME_NODATA 0xe9e9e9ffu	/* stretches of time without probes, */
#define FRAME_NODATA_LINE 0xc2c2c2ffu	/* hatched with this */
#define FRAME_RENEWAL 0x1f3d99ffu

/* How values map to height: in proportion, or by their square root. */
enum frame_vscale { FRAME_LINEAR, FRAME_SQRT };

struct frame {
	struct plot *p;
	int width;		/* canvas, logical pixels */
	int height;
	double x, y, w, h;	/* plot area */
	int64_t t0, t1;		/* time axis */
	double v0, v1;		/* value axis (vertical) */
	enum frame_vscale vscale;
	double u0, u1;		/* value axis along x, for a histogram */
	int64_t tz_off;		/* time labels: this far east of UTC */
	const char *tz_name;	/* NULL: UTC */
};

enum frame_swatch {
	FRAME_BOX,
	FRAME_LINE,
	FRAME_DASH,
	FRAME_HATCH,		/* FRAME_NODATA hatched; rgba unused */
	FRAME_TEXT_ONLY		/* a heading or a note among the keys */
};

struct frame_key {
	const char *label;
	uint32_t rgba;
	enum frame_swatch swatch;
};

/* Lay out a canvas; left is the room for the value axis labels. */
void frame_init(struct frame *fr, struct plot *p, int width, int height, double left);
void frame_title(struct frame *fr, const char *title, const char *subtitle);
/*
 * The legend under the subtitle, in as many rows as the width needs; the
 * plot area moves down to make room, so call it before drawing the plot.
 */
void frame_legend(struct frame *fr, const struct frame_key *keys, int n);

double frame_x(const struct frame *fr, int64_t t);
double frame_vx(const struct frame *fr, double u);	/* u0..u1 along x */
double frame_y(const struct frame *fr, double v);

void frame_time_axis(struct frame *fr);
/* Horizontal value axis (a histogram's); label names the unit. */
void frame_value_xaxis(struct frame *fr, const char *label);
void frame_value_axis(struct frame *fr, const char *label);
/*
 * The value axis at the given values (v0 and v1 among them), for a scale
 * whose round numbers are not evenly spaced. Where two labels would touch,
 * the one later in the list is left out.
 */
void frame_value_ticks(struct frame *fr, const char *label, const double *ticks,
    int n);
void frame_border(struct frame *fr);
/* A large grey message across the plot area, for an empty range. */
void frame_message(struct frame *fr, const char *msg);

/* Fonts: tick labels, axis titles, small annotations. */
extern const struct plot_font frame_font_tick;
extern const struct plot_font frame_font_note;

#endif
