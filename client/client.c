/*
 * client: the engine. Sessions move OPENING -> ACTIVE -> DRAINING ->
 * CLOSING -> DONE; at most one is OPENING or ACTIVE (cur), the others drain
 * their last replies and then collect the reflector's final count, which
 * fixes the direction of their last losses.
 */
#include <errno.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "control.h"
#include "ev.h"
#include "expo.h"
#include "history.h"
#include "hooks.h"
#include "log.h"
#include "probe.h"
#include "rttstats.h"
#include "pace.h"
#include "timeutil.h"
#include "tls.h"

#define MAX_OLD 8
#define TICK_NS (50 * NS_PER_MS)
#define FLUSH_NS (200 * NS_PER_MS)
#define CLOSE_WAIT_NS (5 * NS_PER_SEC)
#define CONNECT_TIMEOUT_MS 10000
#define BACKOFF_MAX_NS (60 * NS_PER_SEC)

struct client {
	const struct client_opts *o;
	struct tls_ctx *tls;
	struct ctlc *ctl;
	struct history *hist;
	struct policy *pol;
	struct ev *ev;
	int send_tfd, tick_tfd, sig_fd;
	struct probe *cur;
	struct probe *old[MAX_OLD];
	unsigned nold, next_num;
	uint64_t sent_total;
	int64_t start_mono, last_flush;
	struct pace pace;
	int stopping, hard_stop;
	int64_t stop_deadline;
	struct rttstats rtt;
	struct fate_counts done;
	uint64_t renewals, sessions, host_drops, send_errors;
	int64_t episode_first_loss;	/* wall ns of the first loss not yet acted on */
	int in_episode;			/* a loss episode is under way */
	int64_t episode_start;		/* its first lost probe (wall ns) */
	uint64_t episode_lost;
	int status_tfd;
	struct rttstats period_rtt;	/* since the last status line */
	struct fate_counts period_base;	/* totals at the last status line */
	struct metrics *metrics;
	struct expo_rtt expo_rtt;
	uint64_t renew_by_reason[3];	/* by enum policy_reason */
	int64_t reconnect_at, backoff;
	int storage_failed;
};

static void on_ctl(struct ev *ev, int fd, uint32_t events, void *arg);
static void renewal_after(struct client *c, struct probe *p,
    const struct fate_row *row);
static void episode_event(struct client *c, const char *event);
static void session_retire(struct client *c);
static void on_probe_fd(struct ev *ev, int fd, uint32_t events, void *arg);

/* ---- fate callbacks ---------------------------------------------------- */

static void
fate_row_cb(void *arg, const struct fate_row *row)
{
	struct probe *p = arg;
	struct client *c = p->owner;

	history_probe(c->hist, p->hist_id, row);
	renewal_after(c, p, row);
}

static void
fate_lost_cb(void *arg, const struct fate_row *row)
{
	struct probe *p = arg;
	struct client *c = p->owner;

	out_lost(row->seq, p == c->cur ? 0 : p->num);
	if (!c->in_episode) {
		c->in_episode = 1;
		c->episode_start = row->sent_wall_ns;
		c->episode_lost = 0;
		episode_event(c, "loss-start");
	}
	c->episode_lost++;
	if (p != c->cur)
		return;		/* a drained session's tail must not re-trigger */
	policy_observe(c->pol, 1);
	if (c->episode_first_loss < 0)
		c->episode_first_loss = row->sent_wall_ns;
}

static void
fate_resolved_cb(void *arg, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown)
{
	struct probe *p = arg;

	out_resolved(p->num, nfwd, nbwd, nunknown);
}

static const struct fate_events fate_ev_template = {
	fate_row_cb, fate_lost_cb, fate_resolved_cb, NULL
};

/* ---- sessions ----------------------------------------------------------- */

static void
keylog(const struct client *c, const struct probe *p)
{
	FILE *f;
	size_t i;

	if (c->o->keylog == NULL || (f = fopen(c->o->keylog, "a")) == NULL)
		return;
	fprintf(f, "PKTMON_STAMP_KEY %u %u ", p->ssid, net_addr_port(&p->local));
	for (i = 0; i < sizeof(p->key.k); i++)
		fprintf(f, "%02x", p->key.k[i]);
	fputc('\n', f);
	fclose(f);
}

static void
add_counts(struct fate_counts *to, const struct fate_counts *n)
{
	to->sent += n->sent;
	to->answered += n->answered;
	to->reordered += n->reordered;
	to->late += n->late;
	to->duplicates += n->duplicates;
	to->stale += n->stale;
	to->lost_fwd += n->lost_fwd;
	to->lost_bwd += n->lost_bwd;
	to->lost_unknown += n->lost_unknown;
	to->lost_pending += n->lost_pending;
}

static void
storage_check(struct client *c, int r)
{
	if (r < 0 && !c->storage_failed) {
		c->storage_failed = 1;
		log_warnx("history %s: write failed; probing continues", c->o->db);
	}
}

/* Close the books on p and free it. */
static void
session_finish(struct client *c, struct probe *p, const char *reason,
    int have_rx, uint64_t rx)
{
	if (p->fate != NULL) {
		fate_close(p->fate, have_rx, rx);
		add_counts(&c->done, fate_counts(p->fate));
		storage_check(c, history_flush(c->hist));
		if (p->hist_id > 0)
			storage_check(c, history_session_end(c->hist, p->hist_id,
			    wall_ns(), reason, p->renewed_to, fate_counts(p->fate),
			    have_rx, rx));
	}
	c->host_drops += p->host_drops;
	c->send_errors += p->send_errors;
	if (p->fd >= 0)
		ev_del(c->ev, p->fd);
	probe_free(p);
}

static void
old_remove(struct client *c, unsigned i)
{
	c->old[i] = c->old[--c->nold];
}

static int
session_new(struct client *c, struct probe **out)
{
	struct probe *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return PM_E_NOMEM;
	p->fd = -1;
	p->owner = c;
	p->num = ++c->next_num;
	p->st = PROBE_OPENING;
	if ((r = probe_open(p, ctlc_peer(c->ctl)->ss.ss_family)) != 0) {
		log_warn("cannot open a UDP socket for probing");
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

static void
send_ctl(struct client *c, const struct ctl_msg *m)
{
	if (ctlc_send(c->ctl, m) != 0)
		log_warnx("server %s: control send failed", c->o->server);
	(void)ev_mod(c->ev, ctlc_fd(c->ctl),
	    EPOLLIN | (ctlc_wants_write(c->ctl) ? EPOLLOUT : 0));
}

static void
session_open(struct client *c)
{
	struct ctl_msg m;

	if (session_new(c, &c->cur) != 0)
		return;
	memset(&m, 0, sizeof(m));
	m.type = CTL_OPEN;
	m.u.open.interval_us = (uint32_t)(c->o->interval_ns / NS_PER_US);
	m.u.open.size = c->o->size;
	m.u.open.udp_port = net_addr_port(&c->cur->local);
	send_ctl(c, &m);
}

/* Store a started session and announce it. */
static void
session_record(struct client *c, struct probe *p, const char *mode,
    const char *how)
{
	struct history_session hs;
	char local[NET_ADDRSTRLEN], remote[NET_ADDRSTRLEN], lip[NET_ADDRSTRLEN];
	char rip[NET_ADDRSTRLEN];

	net_addr_str(&p->local, local, sizeof(local));
	net_addr_str(&p->remote, remote, sizeof(remote));
	snprintf(lip, sizeof(lip), "%.*s", (int)(strrchr(local, ':') - local), local);
	snprintf(rip, sizeof(rip), "%.*s", (int)(strrchr(remote, ':') - remote), remote);
	memset(&hs, 0, sizeof(hs));
	hs.server = c->o->server;
	hs.mode = mode;
	hs.ssid = p->ssid;
	hs.local_addr = lip;
	hs.local_port = net_addr_port(&p->local);
	hs.remote_addr = rip;
	hs.remote_port = net_addr_port(&p->remote);
	hs.interval_ns = p->interval_ns;
	hs.size = p->size;
	hs.timeout_ns = c->o->timeout_ns;
	hs.timestamping = p->tx_stamps ? "kernel-tx+rx" : "kernel-rx";
	hs.started_ns = wall_ns();
	p->hist_id = history_session_begin(c->hist, &hs);
	storage_check(c, (int)(p->hist_id < 0 ? p->hist_id : 0));
	c->sessions++;
	out_session(p->num, p->ssid, local, remote, p->interval_ns, how);
	if (c->o->dscp >= 0 && probe_set_dscp(p, c->o->dscp) != 0)
		log_warn("cannot set DSCP %d on the probe socket", c->o->dscp);
	if (c->start_mono == 0) {
		uint64_t seed = 0;

		if (tls_random(&seed, sizeof(seed)) != 0)
			seed = (uint64_t)wall_ns();
		c->start_mono = mono_ns();
		pace_init(&c->pace, c->start_mono, p->interval_ns, c->o->poisson, seed);
		(void)ev_timer_at(c->send_tfd, c->start_mono);
	}
	pace_set_interval(&c->pace, p->interval_ns);
}

/* The server granted cur: derive its key, start probing, record it. */
static void
session_granted(struct client *c, const struct ctl_grant *g)
{
	struct probe *p = c->cur;
	struct fate_events ev = fate_ev_template;
	struct stamp_key key;

	ev.arg = p;
	if (tls_conn_stamp_key(ctlc_tls(c->ctl), g->ssid, g->nonce, &key) != 0 ||
	    probe_start(p, g, ctlc_peer(c->ctl), &key, c->o->timeout_ns, &ev) != 0 ||
	    ev_add(c->ev, p->fd, EPOLLIN | EPOLLERR, on_probe_fd, p) != 0) {
		stamp_key_wipe(&key);
		log_warnx("cannot start probe session ssid %u", g->ssid);
		return;
	}
	stamp_key_wipe(&key);
	c->backoff = 0;
	keylog(c, p);
	session_record(c, p, "stamp-auth",
	    p->interval_ns != c->o->interval_ns ? "interval set by the server" :
	    "authenticated STAMP");
	if (c->stopping)
		session_retire(c);
}

/*
 * Without a pktmon server (--icmp HOST, --stamp HOST:PORT): one session,
 * no control channel, no renewal, loss direction unknown.
 */
static int
serverless_start(struct client *c, char *err, size_t errlen)
{
	struct fate_events ev = fate_ev_template;
	const char *what = c->o->icmp ? "--icmp" : "--stamp";
	struct net_addr dest;
	struct probe *p;
	int r;

	if (net_resolve(c->o->host, c->o->port, SOCK_DGRAM, &dest) != 0) {
		snprintf(err, errlen, "%s %s: cannot resolve the name", what, c->o->host);
		return EXIT_CONNECT;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EXIT_CONNECT;
	p->fd = -1;
	p->owner = c;
	p->num = ++c->next_num;
	ev.arg = p;
	if (c->o->icmp)
		r = probe_start_icmp(p, &dest, c->o->size, c->o->interval_ns,
		    c->o->timeout_ns, &ev);
	else
		r = probe_start_plain(p, &dest, c->o->have_stamp_key ?
		    &c->o->stamp_key : NULL, c->o->size, c->o->interval_ns,
		    c->o->timeout_ns, &ev);
	if (r != 0 || ev_add(c->ev, p->fd, EPOLLIN | EPOLLERR, on_probe_fd, p) != 0) {
		snprintf(err, errlen, "%s %s: cannot open the probe socket%s: %s",
		    what, c->o->host, c->o->icmp ? " (ICMP needs net.ipv4."
		    "ping_group_range to include this group, or root)" : "",
		    strerror(errno));
		probe_free(p);
		return EXIT_CONNECT;
	}
	c->cur = p;
	if (c->o->icmp)
		session_record(c, p, "icmp", p->icmp == 2 ?
		    "ICMP echo, raw socket" : "ICMP echo");
	else
		session_record(c, p, p->mode == STAMP_AUTH ? "stamp-plain-auth" :
		    "stamp-plain", p->mode == STAMP_AUTH ?
		    "plain STAMP, authenticated" : "plain STAMP, unauthenticated");
	out_note("%s mode: loss direction and session renewal are not available "
	    "without a pktmon server", c->o->icmp ? "ICMP" : "plain STAMP");
	return 0;
}

/* No control channel: ICMP or plain STAMP. */
static int
serverless(const struct client *c)
{
	return c->o->icmp || c->o->plain;
}

/* Stop sending on cur and let it drain. */
static void
session_retire(struct client *c)
{
	struct probe *p = c->cur;

	if (p == NULL || p->st == PROBE_OPENING)
		return;	/* a grant is on its way; it retires when it comes */
	c->cur = NULL;
	p->st = PROBE_DRAINING;
	p->stop_mono = mono_ns();
	if (c->nold < MAX_OLD)
		c->old[c->nold++] = p;
	else
		session_finish(c, p, "aborted", 0, 0);
}

/* ---- renewal ------------------------------------------------------------ */

/*
 * Loss over the first `window` probes of a session that a renewal created,
 * counted as each one's first outcome (answer or timeout) arrives, so the
 * figure compares like with like against the window before the renewal.
 */
static void
renewal_after(struct client *c, struct probe *p, const struct fate_row *row)
{
	uint32_t w = c->o->policy.window ? c->o->policy.window : 20;
	int first = row->dups == 0 && (row->fate == FATE_ANSWERED ||
	    row->fate == FATE_REORDERED || row->fate == FATE_LOST);

	if (p->renewal_id <= 0 || p->after_n >= w || row->seq >= w || !first)
		return;
	p->after_n++;
	p->after_lost += row->fate == FATE_LOST;
	if (p->after_n == w)
		storage_check(c, history_renewal_after(c->hist, p->renewal_id,
		    100.0 * p->after_lost / w));
}

static void
renew(struct client *c, enum policy_reason why, const char *detail)
{
	struct history_renewal hr;
	struct probe *old = c->cur, *p;
	struct ctl_msg m;

	if (session_new(c, &p) != 0)
		return;
	memset(&hr, 0, sizeof(hr));
	hr.from_session = old->hist_id;
	hr.requested_ns = wall_ns();
	hr.reason = ctl_renew_reason_name(why);
	hr.detail = detail;
	hr.first_loss_ns = c->episode_first_loss;
	hr.loss_before_pct = policy_window_loss(c->pol);
	p->renewal_id = history_renewal_begin(c->hist, &hr);
	storage_check(c, (int)(p->renewal_id < 0 ? p->renewal_id : 0));
	memset(&m, 0, sizeof(m));
	m.type = CTL_RENEW;
	m.u.renew.old_ssid = old->ssid;
	m.u.renew.reason = (uint8_t)why;
	m.u.renew.udp_port = net_addr_port(&p->local);
	session_retire(c);
	c->cur = p;
	send_ctl(c, &m);
	policy_renewed(c->pol, mono_ns());
	c->renewals++;
	c->renew_by_reason[why]++;
	c->episode_first_loss = -1;
	out_renewal(hr.reason, detail, old->num, p->num);
}

static void
renew_check(struct client *c)
{
	enum policy_reason why;
	char detail[96];

	if (!c->o->renew || serverless(c) || c->stopping || c->cur == NULL ||
	    c->cur->st != PROBE_ACTIVE)
		return;
	why = policy_check(c->pol, mono_ns(), detail, sizeof(detail));
	if (why != POLICY_NONE)
		renew(c, why, detail);
}

/* ---- replies ------------------------------------------------------------ */

static void
on_reply(void *arg, struct probe *p, uint64_t seq, int64_t rtt_ns, int ttl,
    enum fate_rx kind)
{
	struct client *c = arg;

	out_reply(seq, rtt_ns, ttl, kind, p == c->cur ? 0 : p->num);
	if (kind == FATE_RX_DUPLICATE)
		return;
	rtt_add(&c->rtt, rtt_ns);
	expo_rtt_add(&c->expo_rtt, rtt_ns);
	if (p->renewal_id > 0 && p->got_reply == 1) {
		p->got_reply = 2;
		storage_check(c, history_renewal_first_reply(c->hist,
		    p->renewal_id, wall_ns()));
	}
	if (p != c->cur || kind == FATE_RX_LATE)
		return;
	policy_observe(c->pol, 0);
	rtt_add(&c->period_rtt, rtt_ns);
	/* A full window without loss ends the episode. */
	if (policy_window_fill(c->pol) >= c->o->policy.window &&
	    policy_window_loss(c->pol) == 0.0) {
		c->episode_first_loss = -1;
		if (c->in_episode) {
			episode_event(c, "loss-end");
			c->in_episode = 0;
		}
	}
}

/* A loss episode started or ended: say so, and run --on-loss if set. */
static void
episode_event(struct client *c, const char *event)
{
	char ssid[16], sid[24], lost[24], pct[16], start[24], dur[24], ren[24];
	int64_t now = wall_ns();
	struct hook_var v[] = {
		{ "PKTMON_EVENT", event }, { "PKTMON_SERVER", c->o->server },
		{ "PKTMON_SSID", ssid }, { "PKTMON_SESSION_ID", sid },
		{ "PKTMON_LOST", lost }, { "PKTMON_LOSS_PCT", pct },
		{ "PKTMON_START", start }, { "PKTMON_DURATION", dur },
		{ "PKTMON_RENEWALS", ren }, { "PKTMON_DB", c->o->db },
	};

	snprintf(ssid, sizeof(ssid), "%u", c->cur ? c->cur->ssid : 0);
	snprintf(sid, sizeof(sid), "%lld", (long long)(c->cur ? c->cur->hist_id : 0));
	snprintf(lost, sizeof(lost), "%llu", (unsigned long long)c->episode_lost);
	snprintf(pct, sizeof(pct), "%.1f", policy_window_loss(c->pol));
	snprintf(start, sizeof(start), "%lld", (long long)(c->episode_start / NS_PER_SEC));
	snprintf(dur, sizeof(dur), "%.1f", (now - c->episode_start) / 1e9);
	snprintf(ren, sizeof(ren), "%llu", (unsigned long long)c->renewals);
	if (strcmp(event, "loss-start") == 0)
		out_note("loss episode started (%s)", c->o->server);
	else
		out_note("loss episode ended after %.1f s, %llu probes lost",
		    (now - c->episode_start) / 1e9, (unsigned long long)c->episode_lost);
	if (c->o->on_loss != NULL)
		(void)hooks_run(c->o->on_loss, v, sizeof(v) / sizeof(v[0]));
}

static void
totals_now(const struct client *c, struct fate_counts *t)
{
	unsigned i;

	*t = c->done;
	if (c->cur != NULL && c->cur->fate != NULL)
		add_counts(t, fate_counts(c->cur->fate));
	for (i = 0; i < c->nold; i++)
		add_counts(t, fate_counts(c->old[i]->fate));
}

static void
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
	expo_render(&s, b);
}

static void
on_status(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct fate_counts now, d;

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	totals_now(c, &now);
	d.sent = now.sent - c->period_base.sent;
	d.lost_fwd = now.lost_fwd - c->period_base.lost_fwd;
	d.lost_bwd = now.lost_bwd - c->period_base.lost_bwd;
	d.lost_unknown = now.lost_unknown - c->period_base.lost_unknown;
	d.lost_pending = now.lost_pending - c->period_base.lost_pending;
	out_status(&d, &c->period_rtt, c->renewals, c->cur ? c->cur->num : 0);
	c->period_base = now;
	rtt_init(&c->period_rtt);
}

static void
on_probe_fd(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct probe *p = arg;

	(void)ev;
	(void)fd;
	(void)events;
	probe_recv(p, on_reply, p->owner);
}

/* ---- control messages --------------------------------------------------- */

static struct probe *
find_old(struct client *c, uint16_t ssid, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < c->nold; i++)
		if (c->old[i]->ssid == ssid) {
			*idx = i;
			return c->old[i];
		}
	return NULL;
}

static void
on_ctl_msg(void *arg, const struct ctl_msg *m)
{
	struct client *c = arg;
	struct probe *p;
	unsigned i;

	switch (m->type) {
	case CTL_ACCEPT:
		if (c->cur != NULL && c->cur->st == PROBE_OPENING)
			session_granted(c, &m->u.accept);
		break;
	case CTL_RENEWED:
		if (c->cur == NULL || c->cur->st != PROBE_OPENING)
			break;
		p = c->cur;
		session_granted(c, &m->u.renewed.grant);
		if (p->renewal_id > 0)
			storage_check(c, history_renewal_to(c->hist, p->renewal_id,
			    p->hist_id));
		if (find_old(c, m->u.renewed.old_ssid, &i) != NULL)
			c->old[i]->renewed_to = p->hist_id;
		break;
	case CTL_CLOSED:
		if ((p = find_old(c, m->u.closed.ssid, &i)) != NULL) {
			old_remove(c, i);
			session_finish(c, p, p->renewed_to ? "renewed" : "stopped",
			    1, m->u.closed.received);
		}
		break;
	case CTL_KEEPALIVE:
		break;
	case CTL_HELLO:
	case CTL_WELCOME:
	case CTL_OPEN:
	case CTL_RENEW:
	case CTL_CLOSE:
	case CTL_ERROR:
	case CTL_TYPE_MAX_:
		break;
	}
}

/* ---- control channel ---------------------------------------------------- */

static void
ctl_update_events(struct client *c)
{
	(void)ev_mod(c->ev, ctlc_fd(c->ctl),
	    EPOLLIN | (ctlc_wants_write(c->ctl) ? EPOLLOUT : 0));
}

static void
reconnect_schedule(struct client *c)
{
	int64_t jitter;
	uint16_t rnd = 0;

	/* Exponential backoff with +-20 % jitter, so a fleet does not reconnect
	 * in lockstep after a server restart. */
	c->backoff = c->backoff ? c->backoff * 2 : NS_PER_SEC;
	if (c->backoff > BACKOFF_MAX_NS)
		c->backoff = BACKOFF_MAX_NS;
	if (tls_random(&rnd, sizeof(rnd)) != 0)
		rnd = 32768;
	jitter = c->backoff / 5 * ((int64_t)rnd - 32768) / 32768;
	c->reconnect_at = mono_ns() + c->backoff + jitter;
	out_note("reconnecting in %.1f s", (c->backoff + jitter) / 1e9);
}

/* The control channel is gone: every session is aborted; retry later. */
static void
ctl_lost(struct client *c, const char *why)
{
	log_warnx("%s", why);
	if (c->cur != NULL && c->cur->fate == NULL) {
		probe_free(c->cur);
		c->cur = NULL;
	}
	if (c->cur != NULL) {
		session_finish(c, c->cur, "aborted", 0, 0);
		c->cur = NULL;
	}
	while (c->nold > 0) {
		session_finish(c, c->old[c->nold - 1], "aborted", 0, 0);
		c->nold--;
	}
	ev_del(c->ev, ctlc_fd(c->ctl));
	ctlc_free(c->ctl);
	c->ctl = NULL;
	if (c->stopping)
		ev_stop(c->ev);
	else
		reconnect_schedule(c);
}

static void
on_ctl(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	char err[512];
	int r;

	(void)ev;
	(void)fd;
	if (events & EPOLLOUT && (r = ctlc_flush(c->ctl)) != 0 && r != PM_E_AGAIN) {
		ctl_lost(c, "control channel write failed");
		return;
	}
	if ((r = ctlc_read(c->ctl, on_ctl_msg, c, err, sizeof(err))) != 0) {
		ctl_lost(c, err);
		return;
	}
	if (c->ctl != NULL)
		ctl_update_events(c);
}

static int
ctl_connect(struct client *c, char *err, size_t errlen)
{
	int r;

	if ((r = ctlc_connect(c->tls, c->o->host, c->o->port, CONNECT_TIMEOUT_MS,
	    &c->ctl, err, errlen)) != 0)
		return r;
	if ((r = ev_add(c->ev, ctlc_fd(c->ctl), EPOLLIN, on_ctl, c)) != 0)
		return r;
	session_open(c);
	return 0;
}

static void
reconnect_check(struct client *c, int64_t now)
{
	char err[512];

	if (c->ctl != NULL || now < c->reconnect_at || c->stopping || serverless(c))
		return;
	if (ctl_connect(c, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		reconnect_schedule(c);
	}
}

/* ---- timers and stopping ------------------------------------------------ */

static void
stop_begin(struct client *c, const char *why)
{
	if (c->stopping)
		return;
	log_debug("stopping: %s", why);
	c->stopping = 1;
	session_retire(c);
	/* Replies may take up to the loss timeout; the close exchange a bit. */
	c->stop_deadline = mono_ns() + c->o->timeout_ns + CLOSE_WAIT_NS;
	if (c->ctl == NULL && !serverless(c))
		ev_stop(c->ev);
}

static void
on_send(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	int64_t now = mono_ns();

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	if (c->stopping)
		return;
	pace_fired(&c->pace, now);
	if (c->cur != NULL && c->cur->st == PROBE_ACTIVE) {
		(void)probe_send(c->cur, now, wall_ns());
		c->sent_total++;
		if (c->o->count && c->sent_total >= c->o->count) {
			stop_begin(c, "count reached");
			return;
		}
	}
	(void)ev_timer_at(c->send_tfd, pace_advance(&c->pace, now));
}

/* Sessions that stopped sending get CLOSE once their replies are due. */
static void
drain_check(struct client *c, int64_t now)
{
	struct ctl_msg m;
	unsigned i;

	for (i = 0; i < c->nold; i++) {
		struct probe *p = c->old[i];

		if (p->st == PROBE_DRAINING && (p->icmp || p->plain) &&
		    (now - p->stop_mono >= c->o->timeout_ns ||
		    fate_next_deadline(p->fate) < 0)) {
			old_remove(c, i--);
			session_finish(c, p, "stopped", 0, 0);
		} else if (p->st == PROBE_DRAINING && c->ctl != NULL &&
		    (now - p->stop_mono >= c->o->timeout_ns ||
		    fate_next_deadline(p->fate) < 0)) {
			memset(&m, 0, sizeof(m));
			m.type = CTL_CLOSE;
			m.u.close.ssid = p->ssid;
			send_ctl(c, &m);
			p->st = PROBE_CLOSING;
			p->stop_mono = now;
		} else if (p->st == PROBE_CLOSING && now - p->stop_mono > CLOSE_WAIT_NS) {
			log_warnx("server %s: no CLOSED for ssid %u", c->o->server, p->ssid);
			old_remove(c, i--);
			session_finish(c, p, "aborted", 0, 0);
		}
	}
}

static void
on_tick(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	int64_t now = mono_ns();
	unsigned i;

	(void)events;
	(void)ev_timer_read(fd);
	if (c->cur != NULL && c->cur->fate != NULL)
		fate_tick(c->cur->fate, now);
	for (i = 0; i < c->nold; i++)
		fate_tick(c->old[i]->fate, now);
	renew_check(c);
	drain_check(c, now);
	hooks_reap();
	if (now - c->last_flush >= FLUSH_NS) {
		storage_check(c, history_flush(c->hist));
		c->last_flush = now;
	}
	if (c->ctl != NULL && ctlc_tick(c->ctl, now) != 0)
		ctl_lost(c, "server silent for 3 keepalive intervals");
	else if (c->ctl != NULL)
		ctl_update_events(c);
	reconnect_check(c, now);
	if (c->o->deadline_ns && c->start_mono && now - c->start_mono >= c->o->deadline_ns)
		stop_begin(c, "deadline reached");
	if (c->stopping && ((c->cur == NULL && c->nold == 0) || now > c->stop_deadline))
		ev_stop(ev);
}

static void
on_signal(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	int sig;

	(void)ev;
	(void)events;
	while ((sig = ev_signal_read(fd)) != 0) {
		if (c->stopping) {
			c->hard_stop = 1;	/* second signal: stop now */
			ev_stop(c->ev);
		} else
			stop_begin(c, "signal");
	}
}

/* ---- run ---------------------------------------------------------------- */

static int
client_setup(struct client *c)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct policy_cfg pc = c->o->policy;
	struct tls_files tf = { c->o->cert, c->o->key, c->o->ca, NULL };
	char err[512];
	int r;

	signal(SIGPIPE, SIG_IGN);

	if (!serverless(c) && tls_ctx_new(TLS_ROLE_CLIENT, &tf, &c->tls, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_USAGE;
	}
	if ((c->pol = policy_new(&pc)) == NULL) {
		log_warnx("invalid renewal policy settings");
		return EXIT_USAGE;
	}
	if (history_open(c->o->db, c->o->durability_full, &c->hist, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_STORAGE;
	}
	if ((c->ev = ev_new()) == NULL || (c->send_tfd = ev_timer_new()) < 0 ||
	    (c->tick_tfd = ev_timer_new()) < 0 ||
	    (c->sig_fd = ev_signal_new(sigs, 2)) < 0 ||
	    ev_timer_every(c->tick_tfd, TICK_NS) != 0 ||
	    ev_add(c->ev, c->send_tfd, EPOLLIN, on_send, c) != 0 ||
	    ev_add(c->ev, c->tick_tfd, EPOLLIN, on_tick, c) != 0 ||
	    ev_add(c->ev, c->sig_fd, EPOLLIN, on_signal, c) != 0)
		fatal(EXIT_USAGE, "event loop set-up");
	if (c->o->status_ns > 0 && ((c->status_tfd = ev_timer_new()) < 0 ||
	    ev_timer_every(c->status_tfd, c->o->status_ns) != 0 ||
	    ev_add(c->ev, c->status_tfd, EPOLLIN, on_status, c) != 0))
		fatal(EXIT_USAGE, "status timer set-up");
	if (c->o->metrics != NULL && metrics_start(c->ev, c->o->metrics,
	    render_metrics, c, &c->metrics, err, sizeof(err)) != 0) {
		log_warnx("--metrics: %s", err);
		return EXIT_USAGE;
	}
	if (serverless(c))
		r = serverless_start(c, err, sizeof(err));
	else
		r = ctl_connect(c, err, sizeof(err)) != 0 ? EXIT_CONNECT : 0;
	if (r != 0)
		log_warnx("%s", err);
#ifdef HAVE_SYSTEMD
	else
		sd_notify(0, "READY=1");
#endif
	return r;
}

/* Whatever is still open when the loop ends is closed without counts. */
static void
client_teardown(struct client *c)
{
	if (c->cur != NULL) {
		if (c->cur->fate == NULL)
			probe_free(c->cur);
		else
			session_finish(c, c->cur, c->hard_stop ? "stopped" : "aborted", 0, 0);
		c->cur = NULL;
	}
	while (c->nold > 0) {
		session_finish(c, c->old[c->nold - 1], "stopped", 0, 0);
		c->nold--;
	}
	if (c->ctl != NULL) {
		ev_del(c->ev, ctlc_fd(c->ctl));
		ctlc_free(c->ctl);
	}
}

static int
client_exit_code(const struct client *c)
{
	const struct fate_counts *n = &c->done;

	if (c->storage_failed)
		return EXIT_STORAGE;
	if (n->lost_fwd + n->lost_bwd + n->lost_unknown + n->lost_pending > 0 ||
	    n->answered + n->reordered + n->late == 0)
		return EXIT_LOSS;
	return EXIT_ALL_ANSWERED;
}

int
client_run(const struct client_opts *o)
{
	struct client c;
	struct out_totals t;
	int r;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.send_tfd = c.tick_tfd = c.sig_fd = c.status_tfd = -1;
	c.episode_first_loss = -1;
	rtt_init(&c.rtt);
	rtt_init(&c.period_rtt);
	out_init(o->out);
	if ((r = client_setup(&c)) != 0)
		goto out;
	while (!ev_stopped(c.ev))
		if (ev_run_once(c.ev, -1) != 0)
			fatal(1, "event loop");
	client_teardown(&c);
	memset(&t, 0, sizeof(t));
	t.server = o->server;
	t.c = c.done;
	t.rtt = &c.rtt;
	t.renewals = c.renewals;
	t.sessions = c.sessions;
	t.host_drops = c.host_drops;
	t.send_errors = c.send_errors;
	t.icmp = o->icmp || o->plain;
	t.timer_late = &c.pace.late;
	t.timer_missed = c.pace.missed;
	t.elapsed_ns = c.start_mono ? mono_ns() - c.start_mono : 0;
	/* Closing flushes: only then is the unstored count final. */
	t.unstored = history_close(c.hist);
	c.hist = NULL;
	if (t.unstored > 0)
		c.storage_failed = 1;
	out_summary(&t);
	r = client_exit_code(&c);
out:
	metrics_stop(c.ev, c.metrics);
	(void)history_close(c.hist);
	policy_free(c.pol);
	tls_ctx_free(c.tls);
	ev_free(c.ev);
	return r;
}
