/*
 * watch: what the engine tells the outside while it runs: loss episodes
 * (and --on-loss), the status line, the metrics endpoint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* A loss episode started or ended: say so, and run --on-loss if set. */
void
episode_event(struct client *c, const char *event)
{
	char ssid[16], sid[24], lost[24], pct[16], start[24], dur[24], ren[24];
	char fwd[24], bwd[24];
	int64_t now = wall_ns();
	struct hook_var v[] = {
		{ "PKTMON_EVENT", event }, { "PKTMON_SERVER", c->o->server },
		{ "PKTMON_SSID", ssid }, { "PKTMON_SESSION_ID", sid },
		{ "PKTMON_LOST", lost }, { "PKTMON_LOSS_PCT", pct },
		{ "PKTMON_START", start }, { "PKTMON_DURATION", dur },
		{ "PKTMON_RENEWALS", ren }, { "PKTMON_DB", c->o->db },
		{ "PKTMON_LOST_FORWARD", fwd }, { "PKTMON_LOST_BACKWARD", bwd },
		{ "PKTMON_RENEWAL_REASON",
		    c->episode_renewal ? c->episode_renewal : "none" },
	};

	snprintf(ssid, sizeof(ssid), "%u", c->cur ? c->cur->ssid : 0);
	snprintf(sid, sizeof(sid), "%lld", (long long)(c->cur ? c->cur->hist_id : 0));
	snprintf(lost, sizeof(lost), "%llu", (unsigned long long)c->episode_lost);
	snprintf(pct, sizeof(pct), "%.1f", policy_window_loss(c->pol));
	snprintf(start, sizeof(start), "%lld", (long long)(c->episode_start / NS_PER_SEC));
	snprintf(dur, sizeof(dur), "%.1f", (now - c->episode_start) / 1e9);
	snprintf(ren, sizeof(ren), "%llu", (unsigned long long)c->renewals);
	snprintf(fwd, sizeof(fwd), "%llu", (unsigned long long)c->episode_fwd);
	snprintf(bwd, sizeof(bwd), "%llu", (unsigned long long)c->episode_bwd);
	if (strcmp(event, "loss-start") == 0)
		out_note("loss episode started (%s)", c->o->server);
	else
		out_note("loss episode ended after %.1f s, %llu probes lost",
		    (now - c->episode_start) / 1e9, (unsigned long long)c->episode_lost);
	if (c->o->on_loss != NULL)
		(void)hooks_run(c->o->on_loss, v, sizeof(v) / sizeof(v[0]));
}

void
totals_now(const struct client *c, struct fate_counts *t)
{
	unsigned i;

	*t = c->done;
	if (c->cur != NULL && c->cur->fate != NULL)
		add_counts(t, fate_counts(c->cur->fate));
	for (i = 0; i < c->nold; i++)
		add_counts(t, fate_counts(c->old[i]->fate));
}

void
render_metrics(void *arg, struct mbuf *b)
{
	struct client *c = arg;
	struct expo_snapshot s;

	memset(&s, 0, sizeof(s));
	s.server = c->o->server;
	s.mode = c->o->icmp ? "icmp" : c->o->plain ? "stamp-plain" : "stamp-auth";
	totals_now(c, &s.c);
	s.renewals_consecutive = c->renew_by_reason[POLICY_CONSECUTIVE];
	s.renewals_window = c->renew_by_reason[POLICY_WINDOW];
	s.sessions = c->sessions;
	s.unstored = history_unstored(c->hist);
	s.host_drops = c->host_drops + (c->cur ? c->cur->host_drops : 0);
	s.session_up = c->cur != NULL && c->cur->st == PROBE_ACTIVE;
	s.rtt = &c->expo_rtt;
	s.marks = &c->expo_marks;
	expo_render(&s, b);
}

void
on_status(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct fate_counts now;
	uint64_t lost_now, lost_before;

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	totals_now(c, &now);
	/* Directions are settled later than losses, and late replies undo
	 * losses: the period shows the change in all losses, never negative;
	 * the split by direction is shown as totals so far. */
	lost_now = now.lost_fwd + now.lost_bwd + now.lost_unknown + now.lost_pending;
	lost_before = c->period_base.lost_fwd + c->period_base.lost_bwd +
	    c->period_base.lost_unknown + c->period_base.lost_pending;
	out_status(now.sent - c->period_base.sent,
	    lost_now > lost_before ? lost_now - lost_before : 0, &now,
	    &c->period_rtt, c->renewals, c->cur ? c->cur->num : 0);
	c->period_base = now;
	rtt_init(&c->period_rtt);
}


