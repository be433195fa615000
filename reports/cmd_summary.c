/*
 * cmd_summary: totals per session and for the whole range, as text or as
 * the JSON object the client prints. One read of the probes in stored
 * order (by session), then two short reads for the exact percentiles.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "log.h"
#include "rttstats.h"
#include "scale.h"
#include "timeutil.h"

struct per_session {
	struct series_bucket b;
	double rtt_sum;
};

struct summary {
	struct series *all;
	/* Jitter: |RTT difference| of consecutive probes of a session, both
	 * answered (RFC 5481 IPDV on round trips), as the client counts it. */
	struct rttstats ipdv;
	int64_t prev_seq, prev_rtt;	/* the previous probe of the session */
	struct per_session total;	/* the mean RTT of the whole range */
	const struct report_data *d;
	struct per_session *per;	/* parallel to d->sessions */
	int64_t cur_id;			/* session of the last probe */
	struct per_session *cur;	/* NULL: not a listed session */
};

static struct per_session *
find_session(struct summary *sm, int64_t id)
{
	size_t i;

	/* Probes come grouped by session, so this runs once per session. */
	for (i = 0; i < sm->d->nsessions; i++)
		if (sm->d->sessions[i].id == id)
			return &sm->per[i];
	return NULL;
}

static void
add_probe(void *arg, const struct rec_probe *p)
{
	struct summary *sm = arg;

	int answered = (p->fate == REC_ANSWERED || p->fate == REC_REORDERED) &&
	    p->rtt_ns >= 0;

	series_add(sm->all, p);
	if (p->rtt_ns >= 0)
		sm->total.rtt_sum += (double)p->rtt_ns;
	if (p->session_id != sm->cur_id) {
		sm->cur_id = p->session_id;
		sm->cur = find_session(sm, p->session_id);
		sm->prev_seq = -2;
	}
	if (answered && sm->prev_rtt >= 0 && p->seq == sm->prev_seq + 1)
		rtt_add(&sm->ipdv, p->rtt_ns > sm->prev_rtt ?
		    p->rtt_ns - sm->prev_rtt : sm->prev_rtt - p->rtt_ns);
	sm->prev_seq = p->seq;
	sm->prev_rtt = answered ? p->rtt_ns : -1;
	if (sm->cur == NULL)
		return;
	series_bucket_add(&sm->cur->b, p);
	if (p->rtt_ns >= 0)
		sm->cur->rtt_sum += (double)p->rtt_ns;
}

static double
pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0;
}

static void
text_row(const char *name, const struct series_bucket *b, int64_t mean,
    const char *server)
{
	char mn[32], av[32], mx[32], sent[32];
	uint64_t n = series_sent(b);

	scale_fmt_count(n, sent, sizeof(sent));
	scale_fmt_rtt(b->rtt_min, mn, sizeof(mn));
	scale_fmt_rtt(mean, av, sizeof(av));
	scale_fmt_rtt(b->rtt_max, mx, sizeof(mx));
	printf("%-22s %11s %7.2f %6.2f %6.2f %6.2f %6llu %6llu %6llu %10s %10s %10s  %s\n",
	    name, sent, pct(series_lost(b), n), pct(b->fate[REC_LOST_FORWARD], n),
	    pct(b->fate[REC_LOST_BACKWARD], n), pct(b->fate[REC_LOST], n),
	    (unsigned long long)b->dups, (unsigned long long)b->fate[REC_REORDERED],
	    (unsigned long long)b->fate[REC_LATE], mn, av, mx, server);
}

static int64_t
mean_rtt(const struct per_session *ps)
{
	return ps->b.rtts ? (int64_t)(ps->rtt_sum / (double)ps->b.rtts) : -1;
}

static void
print_text(const struct report_data *d, struct summary *sm,
    const struct report_totals *t)
{
	char a[40], b[40], name[64], med[32], p99[32];
	size_t i;

	printf("%s \xe2\x80\x93 %s, %s\n\n", fmt_utc(d->f.since_ns, a, sizeof(a)),
	    fmt_utc(d->f.until_ns, b, sizeof(b)), d->server);
	printf("%-22s %11s %7s %6s %6s %6s %6s %6s %6s %10s %10s %10s  %s\n",
	    "session (ssid)", "sent", "lost %", "fwd %", "bwd %", "unk %", "dups",
	    "reord", "late", "RTT min", "mean", "max", "server");
	for (i = 0; i < d->nsessions; i++) {
		snprintf(name, sizeof(name), "%lld (%lld)%s", (long long)d->sessions[i].id,
		    (long long)d->sessions[i].ssid, d->sessions[i].open ? " open" : "");
		text_row(name, &sm->per[i].b, mean_rtt(&sm->per[i]),
		    d->sessions[i].server);
	}
	sm->total.b = t->all;
	text_row("all", &t->all, mean_rtt(&sm->total), "");
	scale_fmt_rtt(t->rtt_median, med, sizeof(med));
	scale_fmt_rtt(t->rtt_p99, p99, sizeof(p99));
	printf("\nRTT median %s, p99 %s; %zu sessions, %zu renewals\n", med, p99,
	    d->nsessions, d->nrenewals);
	if (sm->ipdv.n > 0) {
		char jm[32], jmed[32], j99[32];

		scale_fmt_rtt((int64_t)rtt_mean(&sm->ipdv), jm, sizeof(jm));
		scale_fmt_rtt(rtt_quantile(&sm->ipdv, 0.5), jmed, sizeof(jmed));
		scale_fmt_rtt(rtt_quantile(&sm->ipdv, 0.99), j99, sizeof(j99));
		printf("jitter (IPDV, |RTT change| between consecutive answered "
		    "probes): mean %s, median %s, p99 %s\n", jm, jmed, j99);
	}
}

static void
json_session(const struct rec_session *s, const struct per_session *ps)
{
	const struct series_bucket *b = &ps->b;

	printf("{\"id\": %lld, \"ssid\": %lld, \"server\": ", (long long)s->id,
	    (long long)s->ssid);
	report_json_str(stdout, s->server);
	printf(", \"started_ns\": %lld, \"ended_ns\": %lld, \"open\": %s, "
	    "\"end_reason\": ", (long long)s->started_ns, (long long)s->ended_ns,
	    s->open ? "true" : "false");
	report_json_str(stdout, s->end_reason);
	printf(", \"sent\": %llu, \"received\": %llu, \"lost_forward\": %llu, "
	    "\"lost_backward\": %llu, \"lost_unknown\": %llu, \"duplicates\": %llu, "
	    "\"reordered\": %llu, \"late\": %llu, ",
	    (unsigned long long)series_sent(b), (unsigned long long)series_received(b),
	    (unsigned long long)b->fate[REC_LOST_FORWARD],
	    (unsigned long long)b->fate[REC_LOST_BACKWARD],
	    (unsigned long long)b->fate[REC_LOST], (unsigned long long)b->dups,
	    (unsigned long long)b->fate[REC_REORDERED],
	    (unsigned long long)b->fate[REC_LATE]);
	if (b->rtts == 0)
		printf("\"rtt_ns\": null}");
	else
		printf("\"rtt_ns\": {\"min\": %lld, \"mean\": %lld, \"max\": %lld}}",
		    (long long)b->rtt_min, (long long)mean_rtt(ps), (long long)b->rtt_max);
}

static void
print_json(const struct report_data *d, const struct summary *sm,
    const struct report_totals *t)
{
	size_t i;

	printf("{");
	report_totals_json(stdout, d, t);
	if (sm->ipdv.n > 0)
		printf(", \"ipdv_ns\": {\"samples\": %llu, \"mean\": %.0f, "
		    "\"median\": %lld, \"p99\": %lld, \"max\": %lld}",
		    (unsigned long long)sm->ipdv.n, rtt_mean(&sm->ipdv),
		    (long long)rtt_quantile(&sm->ipdv, 0.5),
		    (long long)rtt_quantile(&sm->ipdv, 0.99), (long long)sm->ipdv.max);
	else
		printf(", \"ipdv_ns\": null");
	printf(", \"per_session\": [");
	for (i = 0; i < d->nsessions; i++) {
		printf(i ? ", " : "");
		json_session(&d->sessions[i], &sm->per[i]);
	}
	printf("]}\n");
}

int
cmd_summary(const struct report_opts *o)
{
	struct summary sm = { .cur_id = -1, .prev_seq = -2, .prev_rtt = -1 };
	struct report_totals t;
	struct report_data d;
	struct scale_grid g;
	size_t i;
	int r;

	if ((r = report_open(o, &d)) != 0)
		goto out;
	sm.d = &d;
	rtt_init(&sm.ipdv);
	if ((sm.per = calloc(d.nsessions + 1, sizeof(*sm.per))) == NULL)
		fatal(REPORT_FAIL, "sessions");
	for (i = 0; i < d.nsessions; i++)
		series_bucket_init(&sm.per[i].b);
	/* One bucket: only the whole range's totals are wanted here. */
	if (scale_grid(d.f.since_ns, d.f.until_ns, 1, 0, &g) != 0 ||
	    (sm.all = series_new(&g)) == NULL)
		fatalx(REPORT_FAIL, "out of memory");
	if (query_probes(d.q, &d.f, QUERY_STORED, add_probe, &sm) != 0) {
		r = report_db_error(&d);
		goto out;
	}
	series_finish(sm.all);
	if ((r = report_totals(&d, sm.all, &t)) != 0)
		goto out;
	if (o->json)
		print_json(&d, &sm, &t);
	else
		print_text(&d, &sm, &t);
out:
	series_free(sm.all);
	free(sm.per);
	report_close(&d);
	return r;
}
