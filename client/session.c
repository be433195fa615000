/*
 * session: probe sessions from open to close, renewals, and the replies
 * they get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "grant.h"

/* ---- fate callbacks ---------------------------------------------------- */

static void
fate_row_cb(void *arg, const struct fate_row *row)
{
	struct probe *p = arg;
	struct client *c = p->owner;

	history_probe(c->hist, p->hist_id, row);
	engine_slot_row(c, p, row);
	renewal_after(c, p, row);
}

/* The session number to tag p's lines with: only while another is the
 * current one (draining after a renewal), not while the last one drains
 * at exit. */
static unsigned
line_tag(const struct client *c, const struct probe *p)
{
	return c->cur != NULL && p != c->cur ? p->num : 0;
}

static void
fate_lost_cb(void *arg, const struct fate_row *row)
{
	struct probe *p = arg;
	struct client *c = p->owner;

	/* Lines number probes by schedule slot: one sequence across
	 * sessions, as the history's episodes count them. */
	out_lost(row->tag, line_tag(c, p));
	/* A drained session's tail must not re-trigger a renewal. */
	if (p == c->cur && c->episode_first_loss < 0)
		c->episode_first_loss = row->sent_wall_ns;
}

static void
fate_resolved_cb(void *arg, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown)
{
	struct probe *p = arg;

	out_resolved(p->num, nfwd, nbwd, nunknown);
}

/* The renewal policy sees outcomes in probe order (see fate.h). */
static void
fate_settled_cb(void *arg, uint64_t seq, int lost)
{
	struct probe *p = arg;
	struct client *c = p->owner;

	(void)seq;
	/* A drained session's tail must not re-trigger a renewal. */
	if (p != c->cur)
		return;
	policy_observe(c->pol, lost);
	if (!lost && policy_window_fill(c->pol) >= c->o->policy.window &&
	    policy_window_loss(c->pol) == 0.0)
		c->episode_first_loss = -1;
}

static const struct fate_events fate_ev_template = {
	fate_row_cb, fate_lost_cb, fate_resolved_cb, fate_settled_cb, NULL
};

/* ---- sessions ----------------------------------------------------------- */

static void
keylog(const struct client *c, const struct probe *p)
{
	static const char hex[] = "0123456789abcdef";
	static int refused;	/* said once; no key written after that */
	char line[64 + 2 * sizeof(p->key.k)];
	struct stat st;
	size_t i, n;
	int fd;

	if (c->o->keylog == NULL || refused)
		return;
	/* A key lets whoever reads it forge and read this session's probes:
	 * the file is made for the user alone, and one that others may open
	 * is not added to. */
	if ((fd = open(c->o->keylog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0 || fstat(fd, &st) != 0) {
		refused = 1;
		log_warn("--keylog %s: no keys written", c->o->keylog);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
		refused = 1;
		log_warnx("--keylog %s: group or others may open it (mode %04o): no "
		    "keys written (chmod 600 it, or name a new file)", c->o->keylog,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return;
	}
	n = (size_t)snprintf(line, sizeof(line), "PKTMON_STAMP_KEY %u %u ",
	    p->ssid, net_addr_port(&p->local));
	for (i = 0; i < p->key.len; i++) {
		line[n++] = hex[p->key.k[i] >> 4];
		line[n++] = hex[p->key.k[i] & 0xf];
	}
	line[n++] = '\n';
	/* One write: O_APPEND keeps lines whole between concurrent clients. */
	if (write(fd, line, n) != (ssize_t)n)
		log_warn("--keylog %s: write failed", c->o->keylog);
	explicit_bzero(line, sizeof(line));
	close(fd);
}

void
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
	to->unsent += n->unsent;
	to->rtt_errors += n->rtt_errors;
	to->tx_stamps_dropped += n->tx_stamps_dropped;
}

void
storage_check(struct client *c, int r)
{
	if (r < 0 && !c->storage_failed) {
		c->storage_failed = 1;
		log_warnx("history %s: write failed; probing continues", c->o->db);
	}
}

/* Close the books on p and free it. */
void
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
			    have_rx, rx, p->host_drops));
	}
	c->host_drops += p->host_drops;
	c->peer_unsynced += p->peer_unsynced;
	c->local_unsynced += p->local_unsynced;
	c->bad_replies += p->bad_replies;
	c->send_errors += p->send_errors;
	c->tx_unmatched += p->tx_unmatched;
	if (p->fd >= 0)
		ev_del(c->ev, p->fd);
	probe_free(p);
}

void
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
	p->st = PROBE_OPENING;
	if ((r = probe_open(p, ctlc_peer(c->ctl)->ss.ss_family,
	    &c->o->from)) != 0) {
		log_warn("cannot open a UDP socket for probing");
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void
send_ctl(struct client *c, const struct ctl_msg *m)
{
	if (ctlc_send(c->ctl, m) != 0)
		log_warnx("server %s: control send failed", c->o->server);
	(void)ev_mod(c->ev, ctlc_fd(c->ctl),
	    EPOLLIN | (ctlc_wants_write(c->ctl) ? EPOLLOUT : 0));
}

void
session_open(struct client *c)
{
	struct ctl_msg m;

	if (c->next != NULL || session_new(c, &c->next) != 0)
		return;
	c->next_asked_mono = mono_ns();
	memset(&m, 0, sizeof(m));
	m.type = CTL_OPEN;
	m.u.open.interval_us = (uint32_t)(c->o->interval_ns / NS_PER_US);
	m.u.open.size = c->o->size;
	m.u.open.udp_port = net_addr_port(&c->next->local);
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
	net_addr_host(&p->local, lip, sizeof(lip));
	net_addr_host(&p->remote, rip, sizeof(rip));
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
	/* Both by SO_TIMESTAMPING as a rule; "-ns": receive stamps by
	 * SO_TIMESTAMPNS, the kernel having refused the other. */
	hs.timestamping = p->tx_stamps ? (p->rx_timestamping ? "kernel-tx+rx" :
	    "kernel-tx+rx-ns") : p->rx_timestamping ? "kernel-rx" : "kernel-rx-ns";
	hs.started_ns = wall_ns();
	hs.dscp = c->o->dscp;
	p->hist_id = history_session_begin(c->hist, &hs);
	storage_check(c, (int)(p->hist_id < 0 ? p->hist_id : 0));
	/* The terminal numbers sessions as the history does (sessions.id), so
	 * a request that was never granted is no session in either. */
	p->num = p->hist_id > 0 ? (unsigned)p->hist_id : ++c->next_num;
	c->sessions++;
	out_session(p->num, p->ssid, local, remote, p->interval_ns, how);
	if (c->o->dscp >= 0 && probe_set_dscp(p, c->o->dscp) != 0)
		log_warn("cannot set DSCP %d on the probe socket", c->o->dscp);
	/* The schedule starts with the first session and then never stops,
	 * whatever happens to sessions and the control channel. */
	if (c->start_mono == 0) {
		uint64_t seed = 0;

		if (tls_random(&seed, sizeof(seed)) != 0)
			seed = (uint64_t)wall_ns();
		c->start_mono = mono_ns();
		pace_init(&c->pace, c->start_mono, p->interval_ns, c->o->poisson, seed);
	}
	if (c->pace.interval != p->interval_ns || c->sessions == 1) {
		pace_set_interval(&c->pace, p->interval_ns);
		(void)ev_timer_periodic(c->send_tfd, c->pace.next, c->o->poisson ?
		    0 : p->interval_ns > SEND_WAKE_MIN_NS ? p->interval_ns :
		    SEND_WAKE_MIN_NS);
	}
}

/*
 * Put a sending session's socket in the event loop. Probing faster than
 * REPLY_POLL_NS, its replies are read at each send instead of waking the
 * client for each one: that halves the wake-ups, which cost more than all
 * the rest of a probe (tens of microseconds each on a virtual machine).
 * RTTs come from kernel stamps, so only the reading waits, at most one
 * interval (with Poisson gaps, the 50 ms tick); the error queue (transmit
 * stamps) still wakes it.
 */
static int
probe_watch(struct client *c, struct probe *p)
{
	p->poll_replies = p->interval_ns < REPLY_POLL_NS;
	return ev_add(c->ev, p->fd, p->poll_replies ? EPOLLERR :
	    EPOLLIN | EPOLLERR, on_probe_fd, p);
}

static void on_reply(void *arg, struct probe *p, uint64_t seq, int64_t rtt_ns,
    int ttl, enum fate_rx kind, const struct fate_owd *owd);

/*
 * Until the socket is empty, or 16 batches: a backlog after a stall drains
 * faster than it grows, and replies that came in time are read before the
 * timeouts are checked.
 */
static void
poll_replies(struct client *c, struct probe *p)
{
	int i;

	for (i = 0; p != NULL && i < 16; i++)
		if (probe_recv(p, 1, 0, on_reply, c) < PROBE_RX_BATCH)
			break;
}

void
session_poll_replies(struct client *c)
{
	poll_replies(c, c->cur);
}

/*
 * The server granted next: derive its key, start probing on it from the
 * next slot, record it. The session it replaces (renewed, or still probed
 * while the control channel was down) drains from now on.
 */
void
session_granted(struct client *c, const struct ctl_grant *g)
{
	const struct grant_ask ask = {
		(uint32_t)(c->o->interval_ns / NS_PER_US), c->o->size };
	struct probe *p = c->next;
	struct fate_events ev = fate_ev_template;
	struct stamp_key key;
	char why[160];

	/* Terms the client did not ask for could spin or flood it, and a
	 * reconnection would get them again: stop, as when the server cannot
	 * be reached, with what the history holds written. */
	if (grant_check(&ask, g, why, sizeof(why)) != 0) {
		log_warnx("server %s %s: refusing", c->o->server, why);
		session_next_failed(c, "the server's grant was refused");
		c->refused = 1;
		c->hard_stop = 1;
		ev_stop(c->ev);
		return;
	}
	ev.arg = p;
	if (tls_conn_stamp_key(ctlc_tls(c->ctl), g->ssid, g->nonce, &key) != 0 ||
	    probe_start(p, g, ctlc_peer(c->ctl), &key, c->o->timeout_ns, &ev) != 0 ||
	    probe_watch(c, p) != 0) {
		stamp_key_wipe(&key);
		log_warnx("cannot start probe session ssid %u", g->ssid);
		session_next_failed(c, "the granted session could not be started");
		return;
	}
	stamp_key_wipe(&key);
	c->backoff = 0;
	c->next = NULL;
	c->renew_asked_mono = 0;
	session_retire(c);
	c->cur = p;
	if (p->renewal_id > 0) {
		out_event("renewal succeeded: session %u (ssid=%u)", p->num,
		    g->ssid);
		if (c->episode_id != 0)
			c->ep_new_flow_wall = wall_ns();
	}
	keylog(c, p);
	session_record(c, p, "stamp-auth",
	    p->interval_ns != c->o->interval_ns ? "interval set by the server" :
	    "authenticated STAMP");
	if (c->stopping)
		session_retire(c);
}

void
session_next_failed(struct client *c, const char *why)
{
	struct probe *p = c->next;

	if (p == NULL)
		return;
	c->next = NULL;
	c->renew_asked_mono = 0;
	if (p->renewal_id > 0) {
		storage_check(c, history_renewal_failed(c->hist, p->renewal_id, why));
		out_event("renewal failed: %s; probing continues on session %u",
		    why, c->cur ? c->cur->num : 0);
	}
	if (p->fd >= 0)
		ev_del(c->ev, p->fd);
	probe_free(p);
}

/*
 * Without a pktmon server (--icmp HOST, --stamp HOST:PORT): one session,
 * no control channel, no renewal, loss direction unknown.
 */
int
serverless_start(struct client *c, char *err, size_t errlen)
{
	struct fate_events ev = fate_ev_template;
	const char *what = c->o->icmp ? "--icmp" : "--stamp";
	struct net_addr dest;
	struct probe *p;
	int r;

	if (net_resolve_af(c->o->host, c->o->port, SOCK_DGRAM,
	    c->o->from.family, &dest, 1) < 0) {
		snprintf(err, errlen, "%s %s: cannot resolve the name", what, c->o->host);
		return EXIT_CONNECT;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EXIT_CONNECT;
	p->fd = -1;
	p->owner = c;
	ev.arg = p;
	if (c->o->icmp)
		r = probe_start_icmp(p, &dest, &c->o->from, c->o->size,
		    c->o->interval_ns, c->o->timeout_ns, &ev);
	else
		r = probe_start_plain(p, &dest, &c->o->from, c->o->have_stamp_key ?
		    &c->o->stamp_key : NULL, c->o->size, c->o->interval_ns,
		    c->o->timeout_ns, &ev);
	if (r != 0 || probe_watch(c, p) != 0) {
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
int
serverless(const struct client *c)
{
	return c->o->icmp || c->o->plain;
}

/* Stop sending on cur and let it drain. */
void
session_retire(struct client *c)
{
	struct probe *p = c->cur;

	if (p == NULL)
		return;	/* a grant on its way retires when it comes, if stopping */
	c->cur = NULL;
	/* No more sends to read at: its last replies wake the loop. */
	if (p->poll_replies) {
		poll_replies(c, p);
		p->poll_replies = 0;
		(void)ev_mod(c->ev, p->fd, EPOLLIN | EPOLLERR);
	}
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
void
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
	struct probe *old = c->cur, *p = NULL;
	struct ctl_msg m;

	memset(&hr, 0, sizeof(hr));
	hr.from_session = old->hist_id;
	hr.requested_ns = wall_ns();
	hr.reason = ctl_renew_reason_name(why);
	hr.detail = detail;
	hr.first_loss_ns = c->episode_first_loss;
	hr.loss_before_pct = policy_window_loss(c->pol);
	policy_renewed(c->pol, mono_ns());
	c->renewals++;
	c->renew_by_reason[why]++;
	if (c->episode_id != 0) {
		c->episode_renewal = hr.reason;
		c->ep_renewals++;
	}
	c->episode_first_loss = -1;
	/* Without a control channel the request cannot be made: stored as
	 * failed, and the policy's growing gap spaces the next attempt; the
	 * old session goes on being probed meanwhile. */
	if (c->ctl == NULL || session_new(c, &p) != 0) {
		int64_t id = history_renewal_begin(c->hist, &hr);

		storage_check(c, (int)(id < 0 ? id : 0));
		if (id > 0)
			storage_check(c, history_renewal_failed(c->hist, id,
			    c->ctl == NULL ? "no control channel" :
			    "no socket for a new session"));
		out_event("renewal failed: %s (%s): %s; probing continues on "
		    "session %u", hr.reason, detail, c->ctl == NULL ?
		    "no control channel" : "no socket", old->num);
		return;
	}
	p->renewal_id = history_renewal_begin(c->hist, &hr);
	storage_check(c, (int)(p->renewal_id < 0 ? p->renewal_id : 0));
	memset(&m, 0, sizeof(m));
	m.type = CTL_RENEW;
	m.u.renew.old_ssid = old->ssid;
	m.u.renew.reason = (uint8_t)why;
	m.u.renew.udp_port = net_addr_port(&p->local);
	/* The old session keeps its slots until the new one is granted. */
	c->next = p;
	c->renew_asked_mono = c->next_asked_mono = mono_ns();
	send_ctl(c, &m);
	out_renewal(hr.reason, detail, old->num);
}

void
renew_check(struct client *c)
{
	enum policy_reason why;
	char detail[96];
	int64_t now = mono_ns();

	/* A renewal nobody answers: the control channel is not getting
	 * through either. */
	if (c->renew_asked_mono != 0 && now - c->renew_asked_mono >
	    CTL_UNRESPONSIVE_NS && c->episode_id != 0)
		c->ep_ctl_down = 1;
	if (!c->o->renew || serverless(c) || c->stopping || c->cur == NULL ||
	    c->cur->st != PROBE_ACTIVE || c->next != NULL)
		return;
	why = policy_check(c->pol, now, detail, sizeof(detail));
	if (why != POLICY_NONE)
		renew(c, why, detail);
}

/* ---- replies ------------------------------------------------------------ */

static void
on_reply(void *arg, struct probe *p, uint64_t seq, int64_t rtt_ns, int ttl,
    enum fate_rx kind, const struct fate_owd *owd)
{
	struct client *c = arg;

	out_reply(fate_tag(p->fate, seq), rtt_ns, ttl, kind, line_tag(c, p));
	if (kind == FATE_RX_DUPLICATE)
		return;
	/* One-way delays come from the wall-clock timestamps on the wire and
	 * stand on their own; a negative round trip (a clock mapping error)
	 * is counted by fate (rtt_errors), never averaged. */
	if (owd != NULL) {
		rtt_add(&c->owd_fwd, owd->fwd_ns);
		rtt_add(&c->owd_bwd, owd->bwd_ns);
	}
	if (rtt_ns < 0)
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
	rtt_add(&c->period_rtt, rtt_ns);
}

void
on_probe_fd(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct probe *p = arg;

	(void)ev;
	(void)fd;
	probe_recv(p, (events & EPOLLIN) != 0, (events & EPOLLERR) != 0, on_reply,
	    p->owner);
}
