/*
 * plot: cairo image surfaces and pango text. Edges are snapped to device
 * pixels so that adjacent bucket rectangles tile without seams and thin
 * lines stay sharp at any scale.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "plot.h"

#define FONT_FAMILY "DejaVu Sans"

struct plot {
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoLayout *layout;
	double scale;
	int path_open;
};

static void
set_rgba(cairo_t *cr, uint32_t c)
{
	cairo_set_source_rgba(cr, (c >> 24) / 255.0, ((c >> 16) & 0xff) / 255.0,
	    ((c >> 8) & 0xff) / 255.0, (c & 0xff) / 255.0);
}

static void
setup_text(struct plot *p)
{
	cairo_font_options_t *fo = cairo_font_options_create();

	/* Unhinted metrics keep text the same size at every --scale. */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(pango_layout_get_context(p->layout), fo);
	cairo_font_options_destroy(fo);
}

static int live;		/* canvases not yet freed */

/*
 * At exit, once: cairo asserts that nothing is alive when its static data
 * is reset, so a program that draws more than once (a fuzzer running the
 * png subcommand for each input) must not reset between drawings, nor
 * while a canvas is alive (an exit on a fatal error).
 */
static void
plot_shutdown(void)
{
	if (live > 0)
		return;
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
}

struct plot *
plot_new(int width, int height, double scale)
{
	static int registered;
	struct plot *p;

	if (!registered && atexit(plot_shutdown) == 0)
		registered = 1;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	live++;
	p->scale = scale;
	p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
	    (int)lround(width * scale), (int)lround(height * scale));
	p->cr = cairo_create(p->surface);
	if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
		plot_free(p);
		return NULL;
	}
	cairo_scale(p->cr, scale, scale);
	set_rgba(p->cr, 0xffffffff);
	cairo_paint(p->cr);
	p->layout = pango_cairo_create_layout(p->cr);
	setup_text(p);
	return p;
}

void
plot_free(struct plot *p)
{
	if (p == NULL)
		return;
	live--;
	if (p->layout != NULL)
		g_object_unref(p->layout);
	cairo_destroy(p->cr);
	cairo_surface_destroy(p->surface);
	free(p);
}

/* Round a logical coordinate to the nearest device pixel edge. */
static double
snap(const struct plot *p, double v)
{
	return round(v * p->scale) / p->scale;
}

/* Centre a line of the given width on device pixels. */
static double
snap_line(const struct plot *p, double v, double width)
{
	long dev = lround(width * p->scale);

	return dev % 2 ? (floor(v * p->scale) + 0.5) / p->scale : snap(p, v);
}

void
plot_rect(struct plot *p, double x, double y, double w, double h, uint32_t rgba)
{
	double x0 = snap(p, x), y0 = snap(p, y);

	set_rgba(p->cr, rgba);
	cairo_rectangle(p->cr, x0, y0, snap(p, x + w) - x0, snap(p, y + h) - y0);
	cairo_fill(p->cr);
}

#define HATCH_STEP 6	/* px between hatch lines, along x */

void
plot_hatch(struct plot *p, double x, double y, double w, double h, uint32_t bg,
    uint32_t fg)
{
	double cw = cairo_image_surface_get_width(p->surface) / p->scale;
	double ch = cairo_image_surface_get_height(p->surface) / p->scale;
	double k;

	/* Only the part on the canvas: a bucket of a narrow range may be
	 * millions of pixels wide, and so would be its count of lines. */
	w = fmin(x + w, cw) - fmax(x, 0);
	h = fmin(y + h, ch) - fmax(y, 0);
	x = fmax(x, 0);
	y = fmax(y, 0);
	if (!(w > 0 && h > 0))
		return;
	plot_rect(p, x, y, w, h, bg);
	plot_clip(p, x, y, w, h);
	set_rgba(p->cr, fg);
	cairo_set_line_width(p->cr, 1);
	/* Lines x + y = k for k on multiples of the step: the same lines
	 * whatever the rectangle, so adjacent ones continue each other. */
	for (k = floor((x + y) / HATCH_STEP) * HATCH_STEP; k < x + w + y + h;
	    k += HATCH_STEP) {
		cairo_move_to(p->cr, k - y, y);
		cairo_line_to(p->cr, k - y - h, y + h);
	}
	cairo_stroke(p->cr);
	plot_unclip(p);
}

static void
set_dash(cairo_t *cr, enum plot_dash dash, double width)
{
	double d[2];

	switch (dash) {
	case PLOT_SOLID:
		cairo_set_dash(cr, NULL, 0, 0);
		return;
	case PLOT_DASHED:
		d[0] = 6 * width;
		d[1] = 4 * width;
		break;
	case PLOT_DOTTED:
		d[0] = width;
		d[1] = 2 * width;
		break;
	}
	cairo_set_dash(cr, d, 2, 0);
}

void
plot_line(struct plot *p, double x0, double y0, double x1, double y1,
    double width, enum plot_dash dash, uint32_t rgba)
{
	if (x0 == x1)
		x0 = x1 = snap_line(p, x0, width);
	if (y0 == y1)
		y0 = y1 = snap_line(p, y0, width);
	set_rgba(p->cr, rgba);
	set_dash(p->cr, dash, width);
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, x0, y0);
	cairo_line_to(p->cr, x1, y1);
	cairo_stroke(p->cr);
	cairo_set_dash(p->cr, NULL, 0, 0);
}

void
plot_path_to(struct plot *p, double x, double y)
{
	if (p->path_open)
		cairo_line_to(p->cr, x, y);
	else
		cairo_move_to(p->cr, x, y);
	p->path_open = 1;
}

void
plot_path_stroke(struct plot *p, double width, uint32_t rgba)
{
	set_rgba(p->cr, rgba);
	cairo_set_line_width(p->cr, width);
	cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
	cairo_set_line_cap(p->cr, CAIRO_LINE_CAP_ROUND);
	cairo_stroke(p->cr);
	cairo_set_line_cap(p->cr, CAIRO_LINE_CAP_BUTT);
	p->path_open = 0;
}

void
plot_clip(struct plot *p, double x, double y, double w, double h)
{
	cairo_save(p->cr);
	cairo_rectangle(p->cr, snap(p, x), snap(p, y), snap(p, x + w) - snap(p, x),
	    snap(p, y + h) - snap(p, y));
	cairo_clip(p->cr);
}

void
plot_unclip(struct plot *p)
{
	cairo_restore(p->cr);
}

static void
set_layout(struct plot *p, const struct plot_font *f, const char *text)
{
	PangoFontDescription *fd = pango_font_description_new();
	static const PangoAlignment align[] = {
		[PLOT_LEFT] = PANGO_ALIGN_LEFT, [PLOT_CENTER] = PANGO_ALIGN_CENTER,
		[PLOT_RIGHT] = PANGO_ALIGN_RIGHT,
	};

	pango_font_description_set_family(fd, FONT_FAMILY);
	pango_font_description_set_weight(fd, f->bold ? PANGO_WEIGHT_BOLD :
	    PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, f->size * PANGO_SCALE);
	pango_layout_set_font_description(p->layout, fd);
	pango_font_description_free(fd);
	pango_layout_set_alignment(p->layout, align[f->h]);
	pango_layout_set_width(p->layout, f->max_w > 0 ? (int)(f->max_w * PANGO_SCALE) : -1);
	pango_layout_set_ellipsize(p->layout, f->max_w > 0 ? PANGO_ELLIPSIZE_END :
	    PANGO_ELLIPSIZE_NONE);
	pango_layout_set_text(p->layout, text, -1);
}

void
plot_text_size(struct plot *p, const struct plot_font *f, const char *text,
    double *w, double *h)
{
	int pw, ph;

	set_layout(p, f, text);
	pango_layout_get_size(p->layout, &pw, &ph);
	*w = (double)pw / PANGO_SCALE;
	*h = (double)ph / PANGO_SCALE;
}

/* Offset of the text box's top-left corner from the anchor point. */
static void
anchor_offset(const struct plot_font *f, double w, double h, double *dx, double *dy)
{
	*dx = f->h == PLOT_LEFT ? 0 : f->h == PLOT_CENTER ? -w / 2 : -w;
	*dy = f->v == PLOT_TOP ? 0 : f->v == PLOT_MIDDLE ? -h / 2 : -h;
}

void
plot_text(struct plot *p, double x, double y, const struct plot_font *f,
    const char *text)
{
	double w, h, dx, dy;

	plot_text_size(p, f, text, &w, &h);
	anchor_offset(f, w, h, &dx, &dy);
	cairo_save(p->cr);
	cairo_translate(p->cr, x, y);
	if (f->vertical)
		cairo_rotate(p->cr, -M_PI / 2);
	if (f->bg != 0) {
		set_rgba(p->cr, f->bg);
		cairo_rectangle(p->cr, dx - 2, dy, w + 4, h);
		cairo_fill(p->cr);
	}
	cairo_move_to(p->cr, dx, dy);
	set_rgba(p->cr, f->rgba);
	pango_cairo_update_layout(p->cr, p->layout);
	pango_cairo_show_layout(p->cr, p->layout);
	cairo_restore(p->cr);
}

static cairo_status_t
write_fp(void *closure, const unsigned char *data, unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS :
	    CAIRO_STATUS_WRITE_ERROR;
}

/* Write the PNG to the open temporary file fd; closes fd. */
static int
write_tmp(struct plot *p, int fd)
{
	FILE *fp;
	cairo_status_t st;
	int ok;

	if (fchmod(fd, 0644) != 0 || (fp = fdopen(fd, "wb")) == NULL) {
		close(fd);
		return PM_E_SYS;
	}
	cairo_surface_flush(p->surface);
	st = cairo_surface_write_to_png_stream(p->surface, write_fp, fp);
	ok = st == CAIRO_STATUS_SUCCESS && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok && errno == 0)
		errno = EIO;
	return ok ? 0 : PM_E_SYS;
}

int
plot_write_png(struct plot *p, const char *dir, const char *name, char *path,
    size_t pathlen)
{
	char tmp[4096];
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(path, pathlen, "%s/%s", dir, name) >= pathlen) {
		errno = ENAMETOOLONG;
		return PM_E_SYS;
	}
	if ((fd = mkstemp(tmp)) < 0)
		return PM_E_SYS;
	errno = 0;
	if (write_tmp(p, fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return PM_E_SYS;
	}
	return 0;
}
