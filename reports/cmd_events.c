/*
 * cmd_events: loss episodes and outages, one server at a time (probes of
 * different servers interleave in time but are separate paths), with the
 * renewals that each episode triggered and their effect; then every
 * renewal of the range. Probes are read in send order and never held.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "episode.h"
#include "log.h"
#include "pktmon_config.h"
#include "scale.h"
#include "series.h"
#include "timeutil.h"

#define OUTAGE_MIN_NS EPISODE_OUTAGE_NS

struct events {
	const struct report_opts *o;
	const struct report_data *d;
	const char *server;
	uint64_t listed;
	uint64_t singles;
	uint64_t outages;
};

static int
session_on_server(const struct report_data *d, int64_t id, const char *server)
{
	size_t i;

	for (i = 0; i < d->nsessions; i++)
		if (d->sessions[i].id == id)
			return strcmp(d->sessions[i].server, server) == 0;
	return 0;
}

/*
 * The episode's class: the client's, stored when the episode ended (it
 * saw the control channel and the renewals live), else what the history
 * still shows: renewals in it that were followed by a clean window
 * (flow-specific), renewals that were not (path-wide), none (transient).
 */
static int renewal_in(const struct events *ev, const struct episode *e,
    const struct rec_renewal *r);

static void
episode_class(struct events *ev, const struct episode *e, char *cls, size_t len)
{
	size_t i;
	int any = 0, helped = 0;

	if (query_episode_class(ev->d->q, ev->server, e->start_ns, cls, len) == 0)
		return;
	for (i = 0; i < ev->d->nrenewals; i++)
		if (renewal_in(ev, e, &ev->d->renewals[i])) {
			any = 1;
			helped = ev->d->renewals[i].loss_after_pct == 0;
		}
	snprintf(cls, len, "%s", !any ? "transient" : helped ? "flow-specific" :
	    "path-wide");
}

/* Renewals requested between the episode's first loss and its close. */
static int
renewal_in(const struct events *ev, const struct episode *e,
    const struct rec_renewal *r)
{
	int64_t end = e->close_ns >= 0 ? e->close_ns : INT64_MAX;

	return r->requested_ns >= e->start_ns && r->requested_ns <= end &&
	    session_on_server(ev->d, r->from_session, ev->server);
}

static void
effect_text(const struct rec_renewal *r, char *buf, size_t len)
{
	char after[16], rec[32] = "";

	if (r->loss_after_pct >= 0)
		snprintf(after, sizeof(after), "%.1f %%", r->loss_after_pct);
	else
		snprintf(after, sizeof(after), "?");
	if (r->first_loss_ns >= 0 && r->first_reply_ns >= r->first_loss_ns) {
		memcpy(rec, ", back in ", 11);
		scale_fmt_duration(r->first_reply_ns - r->first_loss_ns, rec + 10,
		    sizeof(rec) - 10);
	}
	snprintf(buf, len, "%s (%s): %.1f %% -> %s%s", r->reason, r->detail,
	    r->loss_before_pct, after, rec);
}

static double
pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0;
}

static void
text_episode(struct events *ev, const struct episode *e)
{
	char start[40], end[40], dur[32], out[32] = "-", eff[256], cls[32];
	size_t i;
	int any = 0;

	fmt_utc(e->start_ns, start, sizeof(start));
	fmt_utc(e->end_ns, end, sizeof(end));
	scale_fmt_duration(e->end_ns - e->start_ns, dur, sizeof(dur));
	if (e->outage_probes > 0)
		scale_fmt_duration(e->outage_end_ns - e->outage_start_ns, out, sizeof(out));
	episode_class(ev, e, cls, sizeof(cls));
	printf("%-21s %-21s %12s %8llu %7llu %6.1f %6.1f %6.1f %6.1f %6.1f %12s %-13s",
	    start, end, dur,
	    (unsigned long long)e->probes, (unsigned long long)e->lost,
	    pct(e->lost, e->probes), pct(e->fate[REC_LOST_FORWARD], e->probes),
	    pct(e->fate[REC_LOST_BACKWARD], e->probes), pct(e->fate[REC_LOST], e->probes),
	    pct(e->fate[REC_UNSENT], e->probes), out, cls);
	for (i = 0; i < ev->d->nrenewals; i++) {
		if (!renewal_in(ev, e, &ev->d->renewals[i]))
			continue;
		effect_text(&ev->d->renewals[i], eff, sizeof(eff));
		printf("%s%s", any++ ? "; " : "  ", eff);
	}
	printf("\n");
}

static void
json_episode(struct events *ev, const struct episode *e)
{
	size_t i;
	int any = 0;
	char cls[32];

	episode_class(ev, e, cls, sizeof(cls));
	printf("%s\n  {\"server\": ", ev->listed > 1 ? "," : "");
	report_json_str(stdout, ev->server);
	printf(", \"start_ns\": %lld, \"end_ns\": %lld, \"probes\": %llu, \"lost\": %llu, "
	    "\"lost_forward\": %llu, \"lost_backward\": %llu, \"lost_unknown\": %llu, "
	    "\"unsent\": %llu, \"late\": %llu, \"class\": ",
	    (long long)e->start_ns, (long long)e->end_ns,
	    (unsigned long long)e->probes, (unsigned long long)e->lost,
	    (unsigned long long)e->fate[REC_LOST_FORWARD],
	    (unsigned long long)e->fate[REC_LOST_BACKWARD],
	    (unsigned long long)e->fate[REC_LOST],
	    (unsigned long long)e->fate[REC_UNSENT],
	    (unsigned long long)e->fate[REC_LATE]);
	report_json_str(stdout, cls);	/* read from the history: escaped */
	printf(", \"outage\": ");
	if (e->outage_probes > 0)
		printf("{\"start_ns\": %lld, \"end_ns\": %lld, \"probes\": %llu}",
		    (long long)e->outage_start_ns, (long long)e->outage_end_ns,
		    (unsigned long long)e->outage_probes);
	else
		printf("null");
	printf(", \"renewals\": [");
	for (i = 0; i < ev->d->nrenewals; i++)
		if (renewal_in(ev, e, &ev->d->renewals[i]))
			printf("%s%lld", any++ ? ", " : "", (long long)ev->d->renewals[i].id);
	printf("]}");
}

static void
on_episode(void *arg, const struct episode *e)
{
	struct events *ev = arg;

	/* Every episode is listed, single losses too: the client announced
	 * each one (shared/episode.h is the one rule). */
	if (e->outage_probes > 0)
		ev->outages++;
	if (e->lost == 1)
		ev->singles++;
	ev->listed++;
	if (ev->o->json)
		json_episode(ev, e);
	else
		text_episode(ev, e);
}

static void
on_probe(void *arg, const struct rec_probe *p)
{
	episode_feed(arg, p->sent_ns, p->fate);
}

static int
scan_server(struct events *ev, struct report_data *d, const char *server)
{
	struct episode_params params;
	struct query_filter f = d->f;
	struct episode_det *det;
	int r;

	episode_defaults(&params);
	if ((det = episode_new(&params, NULL, on_episode, ev)) == NULL)
		fatal(REPORT_FAIL, "episodes");
	ev->server = server;
	f.server = server;
	if (!ev->o->json)
		printf("\nloss episodes, %s\n%-21s %-21s %12s %8s %7s %6s %6s %6s %6s %6s "
		    "%12s %-13s  %s\n", server, "start (UTC)", "end (UTC)", "duration",
		    "slots", "lost", "loss%", "fwd%", "bwd%", "unk%", "unsnt%", "outage",
		    "class", "renewal: trigger, loss before -> after");
	r = query_probes(d->q, &f, QUERY_BY_TIME, on_probe, det);
	if (r == 0)
		episode_flush(det);
	episode_free(det);
	return r != 0 ? report_db_error(d) : REPORT_OK;
}

static void
text_renewals(const struct report_data *d)
{
	char at[40], eff[256];
	size_t i;

	printf("\nrenewals\n%-21s %-14s %s\n", "requested (UTC)", "sessions", "effect");
	for (i = 0; i < d->nrenewals; i++) {
		const struct rec_renewal *r = &d->renewals[i];
		char ids[32];

		snprintf(ids, sizeof(ids), "%lld -> %lld", (long long)r->from_session,
		    (long long)r->to_session);
		effect_text(r, eff, sizeof(eff));
		printf("%-21s %-14s %s\n", fmt_utc(r->requested_ns, at, sizeof(at)),
		    r->to_session >= 0 ? ids : "failed", eff);
	}
}

static void
json_renewals(const struct report_data *d)
{
	size_t i;

	printf("], \"renewals\": [");
	for (i = 0; i < d->nrenewals; i++) {
		const struct rec_renewal *r = &d->renewals[i];

		printf("%s\n  {\"id\": %lld, \"from_session\": %lld, \"to_session\": %lld, "
		    "\"requested_ns\": %lld, \"reason\": ", i ? "," : "", (long long)r->id,
		    (long long)r->from_session, (long long)r->to_session,
		    (long long)r->requested_ns);
		report_json_str(stdout, r->reason);
		printf(", \"detail\": ");
		report_json_str(stdout, r->detail);
		printf(", \"first_loss_ns\": %lld, \"first_reply_ns\": %lld, "
		    "\"loss_before_pct\": %.3f, \"loss_after_pct\": %.3f}",
		    (long long)r->first_loss_ns, (long long)r->first_reply_ns,
		    r->loss_before_pct, r->loss_after_pct);
	}
}

static int
each_server(struct events *ev, struct report_data *d)
{
	size_t i, j;
	int r;

	for (i = 0; i < d->nsessions; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(d->sessions[j].server, d->sessions[i].server) == 0)
				break;
		if (j == i && (r = scan_server(ev, d, d->sessions[i].server)) != 0)
			return r;
	}
	return REPORT_OK;
}

int
cmd_events(const struct report_opts *o)
{
	struct events ev = { .o = o };
	struct report_data d;
	int r;

	if ((r = report_open(o, &d)) != 0)
		goto out;
	ev.d = &d;
	if (o->json)
		printf("{\"pktmon_version\": \"%s\", \"episodes\": [", PKTMON_VERSION);
	if ((r = each_server(&ev, &d)) != 0)
		goto out;
	if (o->json) {
		json_renewals(&d);
		printf("], \"single_losses\": %llu, \"outages\": %llu}\n",
		    (unsigned long long)ev.singles, (unsigned long long)ev.outages);
	} else {
		printf("\n%llu episodes, %llu with an outage (%lld s or more of "
		    "consecutive losses), %llu of a single lost slot\n",
		    (unsigned long long)ev.listed, (unsigned long long)ev.outages,
		    OUTAGE_MIN_NS / 1000000000LL, (unsigned long long)ev.singles);
		text_renewals(&d);
	}
out:
	report_close(&d);
	return r;
}
