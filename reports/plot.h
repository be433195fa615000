/*
 * plot: the report's only cairo and pango code. An opaque canvas of a
 * logical size, scaled for HiDPI, with the few drawing primitives the graphs
 * need, text in DejaVu Sans, and a PNG writer that never exposes a partial
 * file. Colours are 0xRRGGBBAA. Coordinates are logical pixels, y down.
 */
#ifndef PM_REPORT_PLOT_H
#define PM_REPORT_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum plot_halign { PLOT_LEFT, PLOT_CENTER, PLOT_RIGHT };
enum plot_valign { PLOT_TOP, PLOT_MIDDLE, PLOT_BOTTOM };
enum plot_dash { PLOT_SOLID, PLOT_DASHED, PLOT_DOTTED };

struct plot_font {
	double size;		/* logical pixels */
	int bold;
	enum plot_halign h;	/* where (x, y) is on the text's box */
	enum plot_valign v;
	uint32_t rgba;
	uint32_t bg;		/* box behind the text, 0 for none */
	int vertical;		/* read bottom to top */
	double max_w;		/* cut longer text with an ellipsis; 0: never */
};

struct plot;

/*
 * A white canvas; NULL when out of memory. Free with plot_free. The font
 * caches pango and cairo keep for the process are released at its exit, so
 * that a leak checker sees only real leaks.
 */
struct plot *plot_new(int width, int height, double scale);
void plot_free(struct plot *p);

void plot_rect(struct plot *p, double x, double y, double w, double h, uint32_t rgba);
/*
 * A rectangle of bg crossed by diagonal lines of fg. The lines lie on one
 * canvas-wide pattern, so neighbouring rectangles hatch as one.
 */
void plot_hatch(struct plot *p, double x, double y, double w, double h,
    uint32_t bg, uint32_t fg);
void plot_line(struct plot *p, double x0, double y0, double x1, double y1,
    double width, enum plot_dash dash, uint32_t rgba);
/* A polyline: plot_path_to for each point, then plot_path_stroke. */
void plot_path_to(struct plot *p, double x, double y);
void plot_path_stroke(struct plot *p, double width, uint32_t rgba);
void plot_clip(struct plot *p, double x, double y, double w, double h);
void plot_unclip(struct plot *p);

void plot_text(struct plot *p, double x, double y, const struct plot_font *f,
    const char *text);
void plot_text_size(struct plot *p, const struct plot_font *f, const char *text,
    double *w, double *h);

/*
 * Write the canvas to dir/name through a temporary file in dir and a rename,
 * so a reader sees the old image or the new one, never part of one. The
 * final path goes to path. PM_E_SYS (errno set) on failure.
 */
int plot_write_png(struct plot *p, const char *dir, const char *name,
    char *path, size_t pathlen) PM_MUST_CHECK;

#endif
