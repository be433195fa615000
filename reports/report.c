/*
 * report: opening a history and settling what range a report is about.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pktmon_config.h"
#include "timeutil.h"
#include "report.h"
#include "scale.h"

/* The client's JSON totals format, which --json repeats key for key. */
#define NS_MIN (60LL * 1000000000LL)
#define NS_HOUR (60 * NS_MIN)

int
report_db_error(const struct report_data *d)
{
	log_warnx("%s", query_error(d->q));
	return REPORT_DB;
}

/*
 * Without --since/--until the range is the data's with a 2 % margin each
 * side, and at least ten seconds wide so a single probe has room.
 */
static void
pad_range(struct report_data *d)
{
	int64_t width = d->f.until_ns - d->f.since_ns, mid;

	if (width >= NS_MIN / 6) {
		d->f.since_ns -= width / 50;
		d->f.until_ns += width / 50;
		return;
	}
	mid = d->f.since_ns / 2 + d->f.until_ns / 2;
	d->f.since_ns = mid - NS_MIN / 12;
	d->f.until_ns = mid + NS_MIN / 12;
}

/* A range with no probes: say where the history's probes are. */
static void
say_history_ends(const struct report_opts *o, struct report_data *d)
{
	struct query_filter every = d->f;
	int64_t first, last;
	char a[40], b[40];

	every.since_ns = INT64_MIN;
	every.until_ns = INT64_MAX;
	if (query_extent(d->q, &every, &first, &last) != 0)
		return;
	if (o->since_ns > last)
		log_warnx("--since: after the end of the history (its probes run from "
		    "%s to %s)", fmt_utc(first, a, sizeof(a)), fmt_utc(last, b, sizeof(b)));
	else
		log_warnx("no probes in the range (the history's run from %s to %s)",
		    fmt_utc(first, a, sizeof(a)), fmt_utc(last, b, sizeof(b)));
}

/* --server must name a server the history has: say which ones it has. */
static int
check_server(const struct report_opts *o, struct report_data *d)
{
	char names[512];

	if (o->server == NULL)
		return 0;
	if (query_has_server(d->q, o->server))
		return 0;
	if (query_server_names(d->q, names, sizeof(names)) != 0)
		return report_db_error(d);
	log_warnx("--server %s: not in %s; its servers: %s", o->server, o->db,
	    names[0] ? names : "none");
	return REPORT_USAGE;
}

static int
settle_range(const struct report_opts *o, struct report_data *d)
{
	struct query_filter all = d->f;
	int64_t first, last, now = o->now_ns;
	int r;

	all.since_ns = o->have_since ? o->since_ns : INT64_MIN;
	all.until_ns = o->have_until ? o->until_ns : INT64_MAX;
	r = query_extent(d->q, &all, &first, &last);
	if (r != 0 && r != PM_E_NOTFOUND)
		return report_db_error(d);
	if (r == PM_E_NOTFOUND && o->have_since)
		say_history_ends(o, d);
	if (r == PM_E_NOTFOUND) {
		/* No probes: an empty hour, so that the graphs can say so. */
		first = (o->have_until ? o->until_ns : now) - NS_HOUR;
		last = now - 1;
	}
	d->f.since_ns = o->have_since ? o->since_ns : first;
	if (o->have_until)
		d->f.until_ns = o->until_ns;
	else if (o->have_since)
		d->f.until_ns = now > last ? now : last + 1;
	else
		d->f.until_ns = last + 1;
	if (!o->have_since && !o->have_until)
		pad_range(d);
	if (d->f.until_ns <= d->f.since_ns) {
		log_warnx("--since: not before the end of the range");
		return REPORT_USAGE;
	}
	return 0;
}

static void
add_session(void *arg, const struct rec_session *s)
{
	struct report_data *d = arg;
	struct rec_session *n;

	n = reallocarray(d->sessions, d->nsessions + 1, sizeof(*n));
	if (n == NULL)
		fatal(REPORT_FAIL, "sessions");
	n[d->nsessions++] = *s;
	d->sessions = n;
}

static void
add_renewal(void *arg, const struct rec_renewal *r)
{
	struct report_data *d = arg;
	struct rec_renewal *n;

	n = reallocarray(d->renewals, d->nrenewals + 1, sizeof(*n));
	if (n == NULL)
		fatal(REPORT_FAIL, "renewals");
	n[d->nrenewals++] = *r;
	d->renewals = n;
}

static void
server_label(const struct report_opts *o, struct report_data *d)
{
	size_t i, distinct = 0;

	if (o->server != NULL) {
		snprintf(d->server, sizeof(d->server), "%s", o->server);
		return;
	}
	for (i = 0; i < d->nsessions; i++)
		if (i == 0 || strcmp(d->sessions[i].server, d->sessions[0].server) != 0)
			distinct++;
	if (distinct == 0)
		snprintf(d->server, sizeof(d->server), "no sessions");
	else if (distinct == 1)
		snprintf(d->server, sizeof(d->server), "%s", d->sessions[0].server);
	else
		snprintf(d->server, sizeof(d->server), "several servers (use --server)");
}

int
report_open(const struct report_opts *o, struct report_data *d)
{
	char err[512];
	int r;

	memset(d, 0, sizeof(*d));
	if (query_open(o->db, &d->q, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return REPORT_DB;
	}
	d->f.session_id = o->session_id;
	d->f.server = o->server;
	if ((r = check_server(o, d)) != 0 || (r = settle_range(o, d)) != 0)
		return r;
	if (query_sessions(d->q, &d->f, add_session, d) != 0 ||
	    query_renewals(d->q, &d->f, add_renewal, d) != 0)
		return report_db_error(d);
	server_label(o, d);
	return REPORT_OK;
}

void
report_close(struct report_data *d)
{
	query_free(d->q);
	free(d->sessions);
	free(d->renewals);
	memset(d, 0, sizeof(*d));
}

static void
add_probe(void *arg, const struct rec_probe *p)
{
	series_add(arg, p);
}

int
report_scan(struct report_data *d, const struct scale_grid *grid,
    struct series **out)
{
	struct series *s;

	if ((s = series_new(grid)) == NULL)
		fatal(REPORT_FAIL, "series");
	if (query_probes(d->q, &d->f, QUERY_STORED, add_probe, s) != 0) {
		series_free(s);
		return report_db_error(d);
	}
	series_finish(s);
	*out = s;
	return REPORT_OK;
}

/* The exact RTT of quantile q: the histogram names the bin, SQL the value. */
static int
exact_quantile(struct report_data *d, const struct series *s, double q,
    int64_t *out)
{
	const struct scale_logbins *fine = &scale_rtt_fine;
	uint64_t n = series_bucket(s, -1)->rtts, rank, below;
	int bin, r;

	*out = -1;
	if (n == 0)
		return 0;
	rank = scale_rank(n, q);
	bin = scale_rank_bin(fine, series_fine_hist(s), rank, &below);
	r = query_rtt_at(d->q, &d->f, scale_logbin_edge(fine, bin),
	    scale_logbin_edge(fine, bin + 1), rank - below - 1, out);
	if (r == PM_E_NOTFOUND) {
		/* Rows changed under us (a live writer): fall back to the bins. */
		*out = series_quantile(s, -1, q);
		return 0;
	}
	return r;
}

int
report_totals(struct report_data *d, const struct series *s,
    struct report_totals *t)
{
	t->all = *series_bucket(s, -1);
	if (exact_quantile(d, s, 0.5, &t->rtt_median) != 0 ||
	    exact_quantile(d, s, 0.99, &t->rtt_p99) != 0)
		return report_db_error(d);
	return REPORT_OK;
}

void
report_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

void
report_totals_json(FILE *fp, const struct report_data *d,
    const struct report_totals *t)
{
	const struct series_bucket *a = &t->all;

	fprintf(fp, "\"version\": %d, \"pktmon_version\": \"%s\", \"since_ns\": %lld, "
	    "\"until_ns\": %lld, ", PKTMON_JSON_VERSION, PKTMON_VERSION,
	    (long long)d->f.since_ns, (long long)d->f.until_ns);
	fprintf(fp, "\"sent\": %llu, \"received\": %llu, \"lost\": %llu, "
	    "\"lost_forward\": %llu, \"lost_backward\": %llu, \"lost_unknown\": %llu, "
	    "\"duplicates\": %llu, \"reordered\": %llu, \"late\": %llu, ",
	    (unsigned long long)series_sent(a), (unsigned long long)series_received(a),
	    (unsigned long long)series_lost(a),
	    (unsigned long long)a->fate[REC_LOST_FORWARD],
	    (unsigned long long)a->fate[REC_LOST_BACKWARD],
	    (unsigned long long)a->fate[REC_LOST], (unsigned long long)a->dups,
	    (unsigned long long)a->fate[REC_REORDERED],
	    (unsigned long long)a->fate[REC_LATE]);
	if (a->rtts == 0)
		fprintf(fp, "\"rtt_ns\": {\"min\": null, \"median\": null, \"p99\": null, "
		    "\"max\": null}, ");
	else
		fprintf(fp, "\"rtt_ns\": {\"min\": %lld, \"median\": %lld, \"p99\": %lld, "
		    "\"max\": %lld}, ", (long long)a->rtt_min, (long long)t->rtt_median,
		    (long long)t->rtt_p99, (long long)a->rtt_max);
	fprintf(fp, "\"renewals\": %zu, \"sessions\": %zu", d->nrenewals, d->nsessions);
}
