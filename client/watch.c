/*
 * watch: what the engine tells the outside while it runs. The schedule's
 * slots settle in order into the one loss-episode detector
 * (shared/episode.c); its episodes drive the live lines, --on-loss, the
 * metrics and the history's episodes table, classified from what the
 * engine saw while each lasted. Also the status line and jitter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const char *
episode_class_name(enum episode_class k)
{
	switch (k) {
	case EPC_TRANSIENT:
		return "transient";
	case EPC_FLOW:
		return "flow-specific";
	case EPC_PATH:
		return "path-wide";
	case EPC_OUTAGE:
		return "outage";
	case EPC_LOCAL:
		return "local";
	}
	return "transient";
}

static uint64_t
host_drops_now(const struct client *c)
{
	return c->host_drops + (c->cur ? c->cur->host_drops : 0);
}

static enum episode_class
classify(const struct client *c, const struct episode *e)
{
	if (host_drops_now(c) > c->ep_host_drops)
		return EPC_LOCAL;
	if (c->ep_ctl_down)
		return EPC_OUTAGE;
	if (c->ep_new_flow_wall > 0 && e->end_ns < c->ep_new_flow_wall)
		return EPC_FLOW;
	if (c->ep_renewals > 0)
		return EPC_PATH;
	return EPC_TRANSIENT;
}

static uint64_t
ep_unknown(const struct episode *e)
{
	return e->fate[PM_FATE_LOST];
}

/* Say it, run --on-loss, and for an end, store it. */
static void
episode_say(struct client *c, const struct episode *e, int end,
    enum episode_class k)
{
	char id[24], lost[24], pct[16], start[24], endt[24], dur[24], ren[24];
	char fwd[24], bwd[24], unk[24], uns[24], late[24], slots[24], ssid[16];
	char sid[24];
	char when[40];
	int64_t span = e->end_ns - e->start_ns;
	struct hook_var v[] = {
		{ "PKTMON_EVENT", end ? "loss-end" : "loss-start" },
		{ "PKTMON_EPISODE", id }, { "PKTMON_SERVER", c->o->server },
		{ "PKTMON_CLASS", end ? episode_class_name(k) : "open" },
		{ "PKTMON_SSID", ssid }, { "PKTMON_SESSION_ID", sid },
		{ "PKTMON_LOST", lost }, { "PKTMON_SLOTS", slots },
		{ "PKTMON_LOSS_PCT", pct }, { "PKTMON_START", start },
		{ "PKTMON_END", endt }, { "PKTMON_DURATION", dur },
		{ "PKTMON_RENEWALS", ren }, { "PKTMON_DB", c->o->db ? c->o->db : "" },
		{ "PKTMON_LOST_FORWARD", fwd }, { "PKTMON_LOST_BACKWARD", bwd },
		{ "PKTMON_LOST_UNKNOWN", unk }, { "PKTMON_UNSENT", uns },
		{ "PKTMON_LATE", late },
		{ "PKTMON_RENEWAL_REASON",
		    c->episode_renewal ? c->episode_renewal : "none" },
	};

	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->episode_id);
	snprintf(ssid, sizeof(ssid), "%u", c->cur ? c->cur->ssid : 0);
	snprintf(sid, sizeof(sid), "%lld", (long long)(c->cur ? c->cur->hist_id : 0));
	snprintf(lost, sizeof(lost), "%llu", (unsigned long long)e->lost);
	snprintf(slots, sizeof(slots), "%llu", (unsigned long long)e->probes);
	snprintf(pct, sizeof(pct), "%.1f", e->probes ?
	    100.0 * (double)e->lost / (double)e->probes : 0.0);
	snprintf(start, sizeof(start), "%.3f", e->start_ns / 1e9);
	snprintf(endt, sizeof(endt), "%.3f", e->end_ns / 1e9);
	snprintf(dur, sizeof(dur), "%.1f", span / 1e9);
	snprintf(ren, sizeof(ren), "%llu", (unsigned long long)c->ep_renewals);
	snprintf(fwd, sizeof(fwd), "%llu", (unsigned long long)e->fate[PM_FATE_LOST_FWD]);
	snprintf(bwd, sizeof(bwd), "%llu", (unsigned long long)e->fate[PM_FATE_LOST_BWD]);
	snprintf(unk, sizeof(unk), "%llu", (unsigned long long)ep_unknown(e));
	snprintf(uns, sizeof(uns), "%llu", (unsigned long long)e->fate[PM_FATE_UNSENT]);
	snprintf(late, sizeof(late), "%llu", (unsigned long long)e->fate[PM_FATE_LATE]);
	fmt_utc(e->start_ns, when, sizeof(when));
	if (!end)
		out_event("loss episode %llu started at %s", (unsigned long long)
		    c->episode_id, when);
	else
		out_event("loss episode %llu ended: %s, %.1f s from %s, %llu of %llu "
		    "slots lost (%s %%: %llu forward, %llu backward, %llu unknown, "
		    "%llu unsent, %llu late), %llu renewals",
		    (unsigned long long)c->episode_id,
		    episode_class_name(k), span / 1e9, when,
		    (unsigned long long)e->lost, (unsigned long long)e->probes, pct,
		    (unsigned long long)e->fate[PM_FATE_LOST_FWD],
		    (unsigned long long)e->fate[PM_FATE_LOST_BWD],
		    (unsigned long long)ep_unknown(e),
		    (unsigned long long)e->fate[PM_FATE_UNSENT],
		    (unsigned long long)e->fate[PM_FATE_LATE],
		    (unsigned long long)c->ep_renewals);
	hooks_push(v, sizeof(v) / sizeof(v[0]));
}

static void
on_episode_open(void *arg, const struct episode *e)
{
	struct client *c = arg;

	c->episode_id = ++c->episodes;
	c->ep_ctl_down = c->ctl == NULL && !serverless(c);
	c->ep_renewals = c->next != NULL && c->next->renewal_id > 0;
	c->ep_new_flow_wall = 0;
	c->ep_host_drops = host_drops_now(c);
	c->episode_renewal = NULL;
	episode_say(c, e, 0, EPC_TRANSIENT);
}

static void
on_episode_close(void *arg, const struct episode *e)
{
	struct client *c = arg;
	struct history_episode he;
	enum episode_class k = classify(c, e);
	int64_t id;

	c->last_class = k;
	episode_say(c, e, 1, k);
	memset(&he, 0, sizeof(he));
	he.server = c->o->server;
	he.start_ns = e->start_ns;
	he.end_ns = e->end_ns;
	he.close_ns = e->close_ns;
	he.slots = e->probes;
	he.lost = e->lost;
	he.lost_fwd = e->fate[PM_FATE_LOST_FWD];
	he.lost_bwd = e->fate[PM_FATE_LOST_BWD];
	he.lost_unknown = ep_unknown(e);
	he.unsent = e->fate[PM_FATE_UNSENT];
	he.late = e->fate[PM_FATE_LATE];
	he.class = episode_class_name(k);
	he.renewals = c->ep_renewals;
	id = history_episode(c->hist, &he);
	storage_check(c, (int)(id < 0 ? id : 0));
	if (id > 0) {
		struct closed_episode *ce = &c->closed[c->nclosed++ % 4];

		ce->id = id;
		ce->start_ns = e->start_ns;
		ce->end_ns = e->end_ns;
		ce->he = he;
	}
	c->episode_id = 0;
}

/* ---- the schedule's slots ---------------------------------------------- */

static void
on_settled(void *arg, uint64_t slot, int64_t wall, unsigned fate, int64_t rtt)
{
	struct client *c = arg;
	int lost = pm_fate_is_loss(fate);

	c->settled++;
	c->period_settled++;
	if (lost) {
		c->settled_lost++;
		c->period_lost++;
	}
	/* Jitter (RFC 5481 IPDV on round trips): consecutive slots, both
	 * answered in time. */
	if ((fate == PM_FATE_ANSWERED || fate == PM_FATE_REORDERED) && rtt >= 0) {
		if (c->prev_rtt >= 0)
			rtt_add(&c->ipdv, rtt > c->prev_rtt ? rtt - c->prev_rtt :
			    c->prev_rtt - rtt);
		c->prev_rtt = rtt;
	} else
		c->prev_rtt = -1;
	out_slot(slot, wall, fate, rtt);
	episode_feed(c->det, wall, fate);
}

/* A count of an episode's row by fate (directions and late only). */
static uint64_t *
he_count(struct history_episode *he, unsigned fate)
{
	switch (fate) {
	case PM_FATE_LOST_FWD:
		return &he->lost_fwd;
	case PM_FATE_LOST_BWD:
		return &he->lost_bwd;
	case PM_FATE_LOST:
		return &he->lost_unknown;
	case PM_FATE_LATE:
		return &he->late;
	default:
		return NULL;
	}
}

/* A slot of an episode that already ended changed between bad fates (its
 * direction came with the reflector's final count): its row follows. */
static void
closed_refate(struct client *c, int64_t wall, unsigned from, unsigned to)
{
	unsigned i;

	for (i = 0; i < 4 && i < c->nclosed; i++) {
		struct closed_episode *ce = &c->closed[i];
		uint64_t *f, *t;

		if (ce->id <= 0 || wall < ce->start_ns || wall > ce->end_ns)
			continue;
		if ((f = he_count(&ce->he, from)) == NULL ||
		    (t = he_count(&ce->he, to)) == NULL || *f == 0)
			return;
		(*f)--;
		(*t)++;
		ce->dirty = 1;	/* one UPDATE per flush, not one per slot */
		return;
	}
}

void
engine_episodes_flush(struct client *c)
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		struct closed_episode *ce = &c->closed[i];

		if (ce->id > 0 && ce->dirty) {
			ce->dirty = 0;
			storage_check(c, history_episode_directions(c->hist, ce->id,
			    &ce->he));
		}
	}
}

static void
on_refate(void *arg, uint64_t slot, int64_t wall, unsigned from, unsigned to)
{
	struct client *c = arg;

	(void)slot;
	if (pm_fate_is_loss(from) && !pm_fate_is_loss(to)) {
		c->settled_lost--;	/* a late reply: not loss after all */
		if (c->period_lost > 0)
			c->period_lost--;
	}
	if (episode_current(c->det) != NULL &&
	    wall >= episode_current(c->det)->start_ns)
		episode_refate(c->det, wall, from, to);
	else if (episode_bad(from) && episode_bad(to))
		closed_refate(c, wall, from, to);
}

void
engine_slots_start(struct client *c)
{
	static const struct slots_events ev = { on_settled, on_refate, NULL };
	struct slots_events e = ev;
	struct episode_params ep;
	int64_t iv = c->o->interval_ns > 0 ? c->o->interval_ns : 1;

	e.arg = c;
	episode_defaults(&ep);
	/* Unsettled slots: a probe waits at most the loss timeout (then a
	 * tick, every TICK_NS, settles it), so two timeouts of slots and two
	 * ticks hold every one still in flight, draining sessions' included. */
	if ((c->book = slots_new((uint64_t)((2 * c->o->timeout_ns + 2 * TICK_NS) /
	    iv) + 1024, &e)) == NULL ||
	    (c->det = episode_new(&ep, on_episode_open, on_episode_close, c)) == NULL)
		fatal(EXIT_USAGE, "out of memory");
	c->prev_rtt = -1;
	rtt_init(&c->ipdv);
}

/* A session's probe row changed: its slot's fate follows. */
void
engine_slot_row(struct client *c, struct probe *p, const struct fate_row *row)
{
	(void)p;
	if (row->fate == FATE_PENDING)
		return;
	slots_set(c->book, row->tag, (unsigned)row->fate,
	    row->fate == FATE_ANSWERED || row->fate == FATE_REORDERED ?
	    row->rtt_ns : -1, row->sent_wall_ns);
}

/* The row of a slot no session sent, in the history's 'none' session. */
static void
gap_row(struct client *c, int64_t wall)
{
	struct history_session hs;
	struct fate_row row;

	if (c->gap_hist_id == 0) {
		memset(&hs, 0, sizeof(hs));
		hs.server = c->o->server;
		hs.mode = "none";
		hs.interval_ns = c->pace.interval;
		hs.timeout_ns = c->o->timeout_ns;
		hs.timestamping = "none";
		hs.started_ns = wall;
		hs.dscp = -1;
		c->gap_hist_id = history_session_begin(c->hist, &hs);
		storage_check(c, (int)(c->gap_hist_id < 0 ? c->gap_hist_id : 0));
	}
	memset(&row, 0, sizeof(row));
	row.seq = c->gap_seq++;
	row.sent_wall_ns = wall;
	row.rtt_ns = -1;
	row.fate = FATE_UNSENT;
	row.ttl = -1;
	history_probe(c->hist, c->gap_hist_id, &row);
}

/* n slots came due with no session able to send. */
void
engine_unsent(struct client *c, unsigned n)
{
	int64_t wall = wall_ns();
	unsigned i;

	for (i = 0; i < n; i++) {
		gap_row(c, wall);
		(void)slots_add(c->book, wall, PM_FATE_UNSENT);
		c->unsent_slots++;
	}
}

/* Slots already in the book that their session could not send. */
void
engine_unsent_tail(struct client *c, uint64_t first, unsigned n, int64_t wall)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		gap_row(c, wall);
		slots_set(c->book, first + i, PM_FATE_UNSENT, -1, wall);
		c->unsent_slots++;
	}
}

/* The control channel went (up 0) or came back (1). */
void
engine_ctl_state(struct client *c, int up)
{
	if (!up) {
		c->ctl_down_since = mono_ns();
		c->ctl_losses++;
		if (c->episode_id != 0)
			c->ep_ctl_down = 1;
		out_event("control channel to %s lost", c->o->server);
	} else {
		if (c->ctl_down_since != 0)
			out_event("control channel to %s back after %.1f s",
			    c->o->server, (mono_ns() - c->ctl_down_since) / 1e9);
		c->ctl_down_since = 0;
	}
}

/* ---- totals, metrics, status -------------------------------------------- */

void
totals_now(const struct client *c, struct fate_counts *t)
{
	unsigned i;

	*t = c->done;
	if (c->cur != NULL && c->cur->fate != NULL)
		add_counts(t, fate_counts(c->cur->fate));
	for (i = 0; i < c->nold; i++)
		add_counts(t, fate_counts(c->old[i]->fate));
	t->sent += c->unsent_slots;
	t->unsent += c->unsent_slots;
}

void
render_metrics(void *arg, struct mbuf *b)
{
	struct client *c = arg;
	struct expo_snapshot s;
	const struct episode *e = c->det ? episode_current(c->det) : NULL;

	memset(&s, 0, sizeof(s));
	s.server = c->o->server;
	s.mode = c->o->icmp ? "icmp" : c->o->plain ? "stamp-plain" : "stamp-auth";
	totals_now(c, &s.c);
	s.renewals_consecutive = c->renew_by_reason[POLICY_CONSECUTIVE];
	s.renewals_window = c->renew_by_reason[POLICY_WINDOW];
	s.sessions = c->sessions;
	s.unstored = history_unstored(c->hist);
	s.host_drops = host_drops_now(c);
	s.session_up = c->cur != NULL && c->cur->st == PROBE_ACTIVE;
	s.control_up = serverless(c) ? -1 : c->ctl != NULL;
	s.in_episode = e != NULL;
	s.in_outage = e != NULL && (c->ep_ctl_down || (c->ctl == NULL &&
	    !serverless(c)));
	s.episodes = c->episodes;
	s.ipdv_median_ns = c->ipdv.n ? rtt_quantile(&c->ipdv, 0.5) : -1;
	s.ipdv_p99_ns = c->ipdv.n ? rtt_quantile(&c->ipdv, 0.99) : -1;
	s.rtt = &c->expo_rtt;
	s.marks = &c->expo_marks;
	expo_render(&s, b);
}

/* The slots settled since the last status line and the losses among them:
 * never above 100 %, whatever the order outcomes were learnt in. */
void
on_status(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct fate_counts now;

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	totals_now(c, &now);
	out_status(c->period_settled, c->period_lost, &now, &c->period_rtt,
	    c->renewals, c->cur ? c->cur->num : 0);
	c->period_settled = c->period_lost = 0;
	rtt_init(&c->period_rtt);
}
