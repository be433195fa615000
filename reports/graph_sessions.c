/*
 * graph_sessions: a timeline of probe sessions, one bar each coloured by
 * how the session ended, and the renewals that replaced them, labelled
 * with their trigger and the loss before and after. Few sessions get a row
 * each, named by SSID on the axis; many are packed into lanes. Renewal
 * labels are stacked in levels above the bars, and any that cannot be
 * placed without overlap are counted in a note instead of drawn.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define ROW_MAX 40		/* px per row when there is room */
#define ROW_MIN 18		/* below this, pack sessions into lanes */
#define LABEL_LEVELS 3
#define LABEL_H 32		/* px per level of renewal labels */
#define OPEN_COLOR 0x9ecae1ffu

static const struct {
	const char *reason;
	uint32_t rgba;
	const char *label;
} endings[] = {
	{ "renewed", 0x3182bdffu, "ended: renewed" },
	{ "stopped", 0x31a354ffu, "ended: stopped" },
	{ "aborted", 0xe6550dffu, "ended: aborted" },
};

static uint32_t
ending_color(const struct rec_session *s)
{
	size_t i;

	if (s->open)
		return OPEN_COLOR;
	for (i = 0; i < sizeof(endings) / sizeof(endings[0]); i++)
		if (strcmp(s->end_reason, endings[i].reason) == 0)
			return endings[i].rgba;
	return 0x808080ffu;
}


/* Rows of one session each, grouped by server, by start within a server. */
struct row_key {
	const struct rec_session *s;
	size_t index;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;
	int c = strcmp(x->s->server, y->s->server);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int
one_row_each(const struct graph_input *in, int *row)
{
	struct row_key *k;
	size_t i;

	if ((k = calloc(in->nsessions, sizeof(*k))) == NULL)
		return 0;
	for (i = 0; i < in->nsessions; i++)
		k[i] = (struct row_key){ &in->sessions[i], i };
	qsort(k, in->nsessions, sizeof(*k), row_cmp);
	for (i = 0; i < in->nsessions; i++)
		row[k[i].index] = (int)i;
	free(k);
	return (int)in->nsessions;
}

/*
 * Row of each session: one each when they fit, else the first lane whose
 * last session ended before this one started. Returns the rows.
 */
static int
assign_rows(const struct graph_input *in, int max_rows, int *row)
{
	int64_t *lane_end;
	int lanes = 0, l;
	size_t i;

	if (in->nsessions <= (size_t)max_rows)
		return one_row_each(in, row);
	if ((lane_end = calloc(in->nsessions, sizeof(*lane_end))) == NULL)
		return 0;
	for (i = 0; i < in->nsessions; i++) {
		for (l = 0; l < lanes && lane_end[l] >= in->sessions[i].started_ns; l++)
			;
		if (l == lanes)
			lanes++;
		lane_end[l] = in->sessions[i].ended_ns;
		row[i] = l < max_rows ? l : max_rows - 1;
	}
	free(lane_end);
	return lanes < max_rows ? lanes : max_rows;
}

static int
several_servers(const struct graph_input *in)
{
	size_t i;

	for (i = 1; i < in->nsessions; i++)
		if (strcmp(in->sessions[i].server, in->sessions[0].server) != 0)
			return 1;
	return 0;
}

static void
session_label(const struct rec_session *s, char *buf, size_t len)
{
	snprintf(buf, len, "ssid %lld", (long long)s->ssid);
}

/* The server's name after the bar, or before it when the bar ends late. */
static void
server_beside(struct frame *fr, const struct rec_session *s, double x0, double x1,
    double y)
{
	struct plot_font f = frame_font_note;
	double w, h;

	f.v = PLOT_MIDDLE;
	plot_text_size(fr->p, &f, s->server, &w, &h);
	if (x1 + 6 + w <= fr->x + fr->w) {
		plot_text(fr->p, x1 + 6, y, &f, s->server);
	} else if (x0 - 6 - w >= fr->x) {
		f.h = PLOT_RIGHT;
		plot_text(fr->p, x0 - 6, y, &f, s->server);
	}
}

static void
draw_session(struct frame *fr, const struct rec_session *s, int alternate,
    double y, double h, int named_on_axis, int server_too)
{
	struct plot_font f = frame_font_note;
	double x0 = fmax(frame_x(fr, s->started_ns), fr->x);
	double x1 = fmin(frame_x(fr, s->ended_ns), fr->x + fr->w);
	char label[48];
	double w, th;

	x1 = fmax(x1, x0 + 2);
	/* Neighbours in a lane part by height, every other one a little
	 * thinner, and a white seam: a lighter shade would read as another
	 * end reason. */
	if (alternate)
		plot_rect(fr->p, x0, y + h * 0.15, x1 - x0, h * 0.7, ending_color(s));
	else
		plot_rect(fr->p, x0, y, x1 - x0, h, ending_color(s));
	if (x1 - x0 > 4)
		plot_rect(fr->p, x0, y, 1, h, 0xffffffffu);
	session_label(s, label, sizeof(label));
	f.v = PLOT_MIDDLE;
	if (named_on_axis) {
		f.h = PLOT_RIGHT;
		f.rgba = FRAME_TEXT;
		plot_text(fr->p, fr->x - 8, y + h / 2, &f, label);
		if (server_too)
			server_beside(fr, s, x0, x1, y + h / 2);
		return;
	}
	plot_text_size(fr->p, &f, label, &w, &th);
	if (w + 8 > x1 - x0)
		return;		/* no room inside: the bar speaks for itself */
	f.rgba = 0xffffffffu;
	plot_text(fr->p, x0 + 4, y + h / 2, &f, label);
}

static void
renewal_text(const struct rec_renewal *r, char *buf, size_t len)
{
	char after[32], rec[32];

	if (r->loss_after_pct >= 0)
		snprintf(after, sizeof(after), "%.1f %%", r->loss_after_pct);
	else
		snprintf(after, sizeof(after), "?");
	if (r->first_loss_ns >= 0 && r->first_reply_ns >= r->first_loss_ns) {
		scale_fmt_duration(r->first_reply_ns - r->first_loss_ns, rec, sizeof(rec));
		snprintf(buf, len, "%s\nloss %.1f %% \xe2\x86\x92 %s, back in %s",
		    r->detail[0] ? r->detail : r->reason, r->loss_before_pct, after, rec);
	} else {
		snprintf(buf, len, "%s\nloss %.1f %% \xe2\x86\x92 %s",
		    r->detail[0] ? r->detail : r->reason, r->loss_before_pct, after);
	}
}

/* Place each renewal's label at the first level it fits; count the rest. */
static size_t
draw_renewal_labels(struct frame *fr, const struct graph_input *in)
{
	struct plot_font f = frame_font_note;
	double right[LABEL_LEVELS], x, w, h;
	char text[192];
	size_t i, skipped = 0;
	int l;

	for (l = 0; l < LABEL_LEVELS; l++)
		right[l] = -1e9;
	f.rgba = FRAME_RENEWAL;
	f.bg = 0xffffffe8u;
	for (i = 0; i < in->nrenewals; i++) {
		renewal_text(&in->renewals[i], text, sizeof(text));
		plot_text_size(fr->p, &f, text, &w, &h);
		x = frame_x(fr, in->renewals[i].requested_ns) + 4;
		if (x + w > fr->x + fr->w)
			x = fr->x + fr->w - w - 2;
		for (l = 0; l < LABEL_LEVELS && right[l] > x; l++)
			;
		if (l == LABEL_LEVELS) {
			skipped++;
			continue;
		}
		plot_text(fr->p, x, fr->y + 4 + LABEL_H * l, &f, text);
		right[l] = x + w + 10;
	}
	return skipped;
}

static void
sessions_legend(struct frame *fr)
{
	struct frame_key keys[7];
	int n = 0;
	size_t i;

	for (i = 0; i < sizeof(endings) / sizeof(endings[0]); i++)
		keys[n++] = (struct frame_key){ endings[i].label, endings[i].rgba, FRAME_BOX };
	keys[n++] = (struct frame_key){ "open (no end recorded)", OPEN_COLOR, FRAME_BOX };
	keys[n++] = (struct frame_key){ "renewal", FRAME_RENEWAL, FRAME_DASH };
	keys[n++] = (struct frame_key){ "outage (2 s or more all lost)", GRAPH_OUTAGE_BG, FRAME_BOX };
	frame_legend(fr, keys, n);
}

/*
 * A few sessions get a few rows, not a page of white: the title, legend,
 * labels and time axis take about SESSIONS_CHROME px, each row ROW_MAX.
 */
#define SESSIONS_CHROME 230
#define SESSIONS_MIN_H 300

int
graph_sessions_height(const struct graph_input *in, int asked)
{
	double want = SESSIONS_CHROME + (double)ROW_MAX *
	    (double)(in->nsessions > 0 ? in->nsessions : 1);

	if (want >= asked)
		return asked;
	return want < SESSIONS_MIN_H ? (SESSIONS_MIN_H < asked ?
	    SESSIONS_MIN_H : asked) : (int)want;
}

static void
draw_rows(struct frame *fr, const struct graph_input *in, double top)
{
	/* At least one row, even where a small canvas and a long legend
	 * leave less room than one. */
	double room = fmax(fr->y + fr->h - top, ROW_MIN), rh;
	int max_rows = (int)(room / ROW_MIN), rows, *row;
	size_t i;

	if ((row = calloc(in->nsessions, sizeof(*row))) == NULL)
		return;
	rows = assign_rows(in, max_rows, row);
	rh = rows > 0 ? fmin(ROW_MAX, room / rows) : ROW_MAX;
	for (i = 0; i < in->nsessions; i++)
		draw_session(fr, &in->sessions[i], in->nsessions > (size_t)max_rows &&
		    i % 2, top + rh * row[i] + rh * 0.15, rh * 0.7,
		    in->nsessions <= (size_t)max_rows, several_servers(in));
	free(row);
}

/* Outages behind the bars: why a session was renewed is often one. */
static void
draw_outages(struct frame *fr, const struct graph_input *in, double top)
{
	const struct scale_grid *g = series_grid(in->series);
	double x0, x1;
	int i;

	for (i = 0; i < g->count; i++) {
		if (series_bucket(in->series, i)->outage_ns == 0)
			continue;
		graph_bucket_x(fr, in, i, &x0, &x1);
		x0 = fmax(x0, fr->x);
		x1 = fmin(x1, fr->x + fr->w);
		if (x1 - x0 < 3) {
			x0 = (x0 + x1) / 2 - 1.5;
			x1 = x0 + 3;
		}
		plot_rect(fr->p, x0, top, x1 - x0, fr->y + fr->h - top, GRAPH_OUTAGE_BG);
	}
}

static void
skipped_note(struct frame *fr, size_t skipped)
{
	struct plot_font f = frame_font_note;
	char note[128];

	if (skipped == 0)
		return;
	snprintf(note, sizeof(note), "%zu more renewals not labelled here: "
	    "pktmon-report events lists them all", skipped);
	f.h = PLOT_RIGHT;
	f.v = PLOT_BOTTOM;
	f.bg = 0xffffffe0u;
	plot_text(fr->p, fr->x + fr->w - 4, fr->y + fr->h - 4, &f, note);
}

void
graph_sessions(const struct graph_input *in, struct plot *p)
{
	struct frame fr;
	size_t skipped;

	graph_begin(&fr, in, p, "Probe sessions", 90);
	sessions_legend(&fr);
	frame_time_axis(&fr);
	if (in->nsessions == 0) {
		frame_message(&fr, "no sessions in this range");
		frame_border(&fr);
		return;
	}
	/* Bars and labels are clamped to the plot area, not clipped: SSIDs
	 * may be named on the axis to its left. */
	draw_outages(&fr, in, fr.y + LABEL_LEVELS * LABEL_H + 6);
	graph_renewal_lines(&fr, in);
	skipped = draw_renewal_labels(&fr, in);
	draw_rows(&fr, in, fr.y + LABEL_LEVELS * LABEL_H + 6);
	skipped_note(&fr, skipped);
	frame_border(&fr);
}
