/*
 * cmd_png: the default subcommand. Two reads of the probes in the range:
 * one into time buckets, one into the exact RTT histogram whose bins the
 * first read's quantiles choose. Then one canvas and one PNG per graph.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "graph.h"
#include "log.h"

#define LEFT_MARGIN 100	/* canvas width not covered by time buckets */
#define PX_PER_BUCKET 3

static const struct {
	const char *file;
	void (*draw)(const struct graph_input *in, struct plot *p);
} graphs[] = {
	{ "latency.png", graph_latency },
	{ "loss.png", graph_loss },
	{ "rtt-distribution.png", graph_rtt },
	{ "sessions.png", graph_sessions },
};
#define NGRAPHS (sizeof(graphs) / sizeof(graphs[0]))

struct dist {
	struct scale_linbins bins;
	uint64_t *count;
	uint64_t below;
	uint64_t above;
};

static void
dist_add(void *arg, const struct rec_probe *p)
{
	struct dist *d = arg;
	int i;

	if (p->rtt_ns < 0)
		return;
	i = scale_linbin(&d->bins, p->rtt_ns);
	if (i < 0)
		d->below++;
	else if (i >= d->bins.count)
		d->above++;
	else
		d->count[i]++;
}

static int
read_dist(struct report_data *d, const struct series *s, struct dist *dist)
{
	memset(dist, 0, sizeof(*dist));
	if (graph_rtt_bins(s, &dist->bins) != 0)
		return REPORT_OK;	/* no RTTs: the graph says so */
	if ((dist->count = calloc((size_t)dist->bins.count, sizeof(uint64_t))) == NULL)
		fatal(REPORT_FAIL, "histogram");
	if (query_probes(d->q, &d->f, QUERY_STORED, dist_add, dist) != 0)
		return report_db_error(d);
	return REPORT_OK;
}

/*
 * Buckets a few pixels wide, and never shorter than two probe intervals.
 * An interval longer than the range (a damaged row) says nothing about it.
 */
static int
make_grid(const struct report_opts *o, const struct report_data *d,
    struct scale_grid *g)
{
	uint64_t span = (uint64_t)d->f.until_ns - (uint64_t)d->f.since_ns;
	int64_t least = 0, iv;
	size_t i;

	for (i = 0; i < d->nsessions; i++) {
		iv = d->sessions[i].interval_ns;
		if (iv > 0 && (uint64_t)iv <= span / 2 && 2 * iv > least)
			least = 2 * iv;
	}
	return scale_grid(d->f.since_ns, d->f.until_ns,
	    ((int)o->width - LEFT_MARGIN) / PX_PER_BUCKET, least, g);
}

/* The first and last slot of the sessions drawn, in or out of the range. */
static void
history_extent(struct report_data *d, struct graph_input *in)
{
	struct query_filter all = d->f;

	all.since_ns = INT64_MIN;
	all.until_ns = INT64_MAX;
	if (query_extent(d->q, &all, &in->first_ns, &in->last_ns) != 0)
		in->first_ns = in->last_ns = -1;
}

static void
fill_input(const struct report_opts *o, struct report_data *d,
    const struct series *s, const struct dist *dist, struct graph_input *in)
{
	memset(in, 0, sizeof(*in));
	in->series = s;
	in->sessions = d->sessions;
	in->nsessions = d->nsessions;
	in->renewals = d->renewals;
	in->nrenewals = d->nrenewals;
	in->dist_bins = dist->count != NULL ? &dist->bins : NULL;
	in->dist = dist->count;
	in->dist_below = dist->below;
	in->dist_above = dist->above;
	in->server = d->server;
	in->since_ns = d->f.since_ns;
	in->until_ns = d->f.until_ns;
	in->width = (int)o->width;
	in->height = (int)o->height;
	in->tz_off_ns = o->tz_off_ns;
	in->tz_name = o->tz_name[0] ? o->tz_name : NULL;
	history_extent(d, in);
}

static int
render(const struct report_opts *o, const struct graph_input *in,
    char paths[][4096])
{
	struct plot *p;
	size_t i;
	int r;

	for (i = 0; i < NGRAPHS; i++) {
		struct graph_input one = *in;

		if (graphs[i].draw == graph_sessions)
			one.height = graph_sessions_height(in, in->height);
		if ((p = plot_new(one.width, one.height, o->scale)) == NULL)
			fatalx(REPORT_FAIL, "cannot create a %ux%u image", o->width,
			    o->height);
		graphs[i].draw(&one, p);
		r = plot_write_png(p, o->out, graphs[i].file, paths[i], sizeof(paths[i]));
		plot_free(p);
		if (r != 0) {
			log_warn("cannot write %s/%s", o->out, graphs[i].file);
			break;
		}
	}
	return r != 0 ? REPORT_FAIL : REPORT_OK;
}

static int
print_result(const struct report_opts *o, struct report_data *d,
    const struct series *s, char paths[][4096])
{
	struct report_totals t;
	size_t i;
	int r;

	if (!o->json) {
		for (i = 0; i < NGRAPHS; i++)
			printf("%s\n", paths[i]);
		return REPORT_OK;
	}
	if ((r = report_totals(d, s, &t)) != 0)
		return r;
	printf("{");
	report_totals_json(stdout, d, &t);
	printf(", \"files\": [");
	for (i = 0; i < NGRAPHS; i++) {
		printf(i ? ", " : "");
		report_json_str(stdout, paths[i]);
	}
	printf("]}\n");
	return REPORT_OK;
}

static int
check_outdir(const char *dir)
{
	struct stat st;

	/* A missing last component is created, as the user surely meant. */
	if (stat(dir, &st) != 0 && (errno != ENOENT || mkdir(dir, 0755) != 0 ||
	    stat(dir, &st) != 0)) {
		log_warn("--out %s", dir);
		return REPORT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("--out %s: not a directory", dir);
		return REPORT_USAGE;
	}
	return REPORT_OK;
}

int
cmd_png(const struct report_opts *o)
{
	char paths[NGRAPHS][4096];
	struct report_data d;
	struct series *s = NULL;
	struct dist dist = { 0 };
	struct graph_input in;
	struct scale_grid g;
	int r;

	if (o->out == NULL && o->json)
		return cmd_summary(o);	/* --json alone: the totals, no images */
	if (o->out == NULL) {
		log_warnx("--out DIR is required to write images (or --json for totals)");
		return REPORT_USAGE;
	}
	if ((r = check_outdir(o->out)) != 0)
		return r;
	if ((r = report_open(o, &d)) != 0)
		goto out;
	if (make_grid(o, &d, &g) != 0) {
		/* Only a span that no int64_t holds: 292 years. */
		log_warnx("--since/--until: a range of more than 292 years "
		    "cannot be drawn");
		r = REPORT_USAGE;
		goto out;
	}
	if ((r = report_scan(&d, &g, &s)) != 0 || (r = read_dist(&d, s, &dist)) != 0)
		goto out;
	fill_input(o, &d, s, &dist, &in);
	if ((r = render(o, &in, paths)) == 0)
		r = print_result(o, &d, s, paths);
out:
	free(dist.count);
	series_free(s);
	report_close(&d);
	return r;
}
