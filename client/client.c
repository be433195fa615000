/*
 * client: the engine. Sessions move OPENING -> ACTIVE -> DRAINING ->
 * CLOSING -> DONE; at most one is OPENING or ACTIVE (cur), the others drain
 * their last replies and then collect the reflector's final count, which
 * fixes the direction of their last losses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "engine.h"

#define PACE_BURST NET_BATCH	/* probes sent in one timer wake-up, at most */

/* ---- timers and stopping ------------------------------------------------ */

static void
stop_begin(struct client *c, const char *why)
{
	if (c->stopping)
		return;
	log_debug("stopping: %s", why);
	c->stopping = 1;
	ev_timer_stop(c->send_tfd);
	session_retire(c);
	/* Replies may take up to the loss timeout; the close exchange a bit.
	 * Without a control channel too: probes in flight still get their
	 * replies (the server lets the session linger). */
	c->stop_deadline = mono_ns() + c->o->timeout_ns + CLOSE_WAIT_NS;
}

static void tick(struct client *c, int64_t now);

/*
 * n slots are due: every one is booked, sent on the current session when
 * there is one, and kept as unsent when there is none or its probe could
 * not be made: a slot never just disappears.
 */
static void
send_slots(struct client *c, unsigned n)
{
	uint64_t first = slots_next(c->book);
	int64_t wall = wall_ns();
	unsigned i, k = 0;

	if (c->cur == NULL || c->cur->st != PROBE_ACTIVE) {
		engine_unsent(c, n);
		return;
	}
	for (i = 0; i < n; i++)
		(void)slots_add(c->book, wall, SLOT_PENDING);
	/* One system call for the probes due now. */
	k = probe_send(c->cur, n, first);
	if (k < n)
		engine_unsent_tail(c, first + k, n - k, wall);
}

static void
on_send(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	int64_t now = mono_ns();
	unsigned n;

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	if (c->stopping)
		return;
	/* Replies first: one that came in time must not be timed out below. */
	session_poll_replies(c);
	if (c->o->deadline_ns && now - c->run_start >= c->o->deadline_ns) {
		stop_begin(c, "deadline reached");
		return;
	}
	n = pace_due(&c->pace, now, PACE_BURST);
	if (c->o->count && n > c->o->count - c->sent_total)
		n = (unsigned)(c->o->count - c->sent_total);
	if (n > 0) {
		send_slots(c, n);
		c->sent_total += n;
		if (c->o->count && c->sent_total >= c->o->count) {
			stop_begin(c, "count reached");
			return;
		}
	}
	/* Timeouts are checked at every send as well as on the tick, so a loss
	 * (and a renewal) is seen within one interval of its deadline. */
	if (c->cur != NULL && c->cur->fate != NULL) {
		fate_tick(c->cur->fate, now);
		renew_check(c);
	}
	/* Fixed spacing runs on a periodic timer (no re-arm per probe);
	 * Poisson gaps need each deadline set. */
	if (c->o->poisson)
		(void)ev_timer_at(c->send_tfd, c->pace.next > now + SEND_WAKE_MIN_NS ?
		    c->pace.next : now + SEND_WAKE_MIN_NS);
	/* Sending more often than the tick: its work rides on a send and
	 * its own timer is pushed on, one wake-up fewer. */
	if (now - c->last_tick >= TICK_NS)
		tick(c, now);
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
		} else if (p->st == PROBE_DRAINING && c->ctl == NULL &&
		    (now - p->stop_mono >= ORPHAN_NS || (c->stopping &&
		    (now - p->stop_mono >= c->o->timeout_ns ||
		    fate_next_deadline(p->fate) < 0)))) {
			/* No channel to close it over for this long, or at exit
			 * once its replies are in. */
			old_remove(c, i--);
			session_finish(c, p, "aborted", 0, 0);
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

/* Timeouts, renewals, drains, flushes: every TICK_NS, from whichever
 * timer comes first. */
static void
tick(struct client *c, int64_t now)
{
	unsigned i;

	c->last_tick = now;
	(void)ev_timer_at(c->tick_tfd, now + TICK_NS);
	session_poll_replies(c);
	if (c->cur != NULL && c->cur->fate != NULL)
		fate_tick(c->cur->fate, now);
	for (i = 0; i < c->nold; i++)
		fate_tick(c->old[i]->fate, now);
	renew_check(c);
	drain_check(c, now);
	hooks_tick(now);
	if (now - c->last_flush >= FLUSH_NS) {
		engine_episodes_flush(c);
		storage_check(c, history_flush(c->hist));
		c->last_flush = now;
	}
	ctl_check_silence(c, now);
	reconnect_check(c, now);
	if (c->o->deadline_ns && now - c->run_start >= c->o->deadline_ns)
		stop_begin(c, "deadline reached");
	if (c->next != NULL && c->ctl != NULL && now - c->next_asked_mono > GRANT_WAIT_NS)
		ctl_lost(c, "server granted no session in 10 s");
	/* A session that could not be started is asked for again, once a
	 * second, while the channel is up. */
	if (c->ctl != NULL && c->next == NULL && c->cur == NULL && !c->stopping &&
	    now - c->next_asked_mono > NS_PER_SEC)
		session_open(c);
	if (c->stopping && ((c->cur == NULL && c->nold == 0) || now > c->stop_deadline))
		ev_stop(c->ev);
}

static void
on_tick(struct ev *ev, int fd, uint32_t events, void *arg)
{
	(void)ev;
	(void)events;
	/* Nothing to read: a send ran the tick and re-armed this timer after
	 * it had fired in the same wake-up. */
	if (ev_timer_read(fd) == 0)
		return;
	tick(arg, mono_ns());
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
	ev_precise_timers();
	/* Asked for and refused: say so rather than measure late sends. */
	if (c->o->realtime && ev_realtime() != 0) {
		log_warnx("--realtime: cannot run at SCHED_FIFO priority 1: %s "
		    "(needs root, CAP_SYS_NICE or an RLIMIT_RTPRIO of 1)",
		    strerror(errno));
		return EXIT_USAGE;
	}
	if (!serverless(c) && tls_ctx_new(TLS_ROLE_CLIENT, &tf, &c->tls, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_USAGE;
	}
	if (c->tls != NULL && tls_ctx_cert_expiry(c->tls) < 14 * 86400) {
		int64_t left = tls_ctx_cert_expiry(c->tls);

		if (left < 0)
			log_warnx("certificate %s has EXPIRED", c->o->cert);
		else
			log_warnx("certificate %s expires in %lld days", c->o->cert,
			    (long long)(left / 86400));
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
	    ev_timer_at(c->tick_tfd, mono_ns() + TICK_NS) != 0 ||
	    ev_add(c->ev, c->send_tfd, EPOLLIN, on_send, c) != 0 ||
	    ev_add(c->ev, c->tick_tfd, EPOLLIN, on_tick, c) != 0 ||
	    ev_add(c->ev, c->sig_fd, EPOLLIN, on_signal, c) != 0)
		fatal(EXIT_USAGE, "event loop set-up");
	if (c->o->status_ns > 0 && ((c->status_tfd = ev_timer_new()) < 0 ||
	    ev_timer_every(c->status_tfd, c->o->status_ns) != 0 ||
	    ev_add(c->ev, c->status_tfd, EPOLLIN, on_status, c) != 0))
		fatal(EXIT_USAGE, "status timer set-up");
	if (c->o->on_loss != NULL) {
		if (hooks_check(c->o->on_loss, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			return EXIT_USAGE;
		}
		hooks_init(c->o->on_loss, c->o->hook_limit_ns);
	}
	engine_slots_start(c);
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
	struct fate_counts gap;

	reconnect_join(c);
	session_next_failed(c, "stopped before it was granted");
	if (c->cur != NULL) {
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
	if (c->gap_hist_id > 0) {
		memset(&gap, 0, sizeof(gap));
		gap.sent = gap.unsent = c->unsent_slots;
		storage_check(c, history_session_end(c->hist, c->gap_hist_id,
		    wall_ns(), "stopped", 0, &gap, 0, 0, 0));
	}
	/* Every slot has its fate now: an episode still open ends here. */
	if (c->det != NULL)
		episode_flush(c->det);
	engine_episodes_flush(c);
	/* Each waiting event may take its time limit; a second signal cuts
	 * it short. */
	hooks_drain(mono_ns() + (int64_t)hooks_pending() * (c->o->hook_limit_ns +
	    NS_PER_SEC));
}

static int
client_exit_code(const struct client *c)
{
	const struct fate_counts *n = &c->done;

	if (c->refused)
		return EXIT_CONNECT;
	if (c->storage_failed)
		return EXIT_STORAGE;
	if (n->lost_fwd + n->lost_bwd + n->lost_unknown + n->lost_pending +
	    n->unsent + c->unsent_slots > 0 ||
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
	c.send_tfd = c.tick_tfd = c.sig_fd = c.status_tfd = c.reconn_fd = -1;
	c.run_start = mono_ns();
	c.episode_first_loss = -1;
	rtt_init(&c.rtt);
	rtt_init(&c.period_rtt);
	rtt_init(&c.owd_fwd);
	rtt_init(&c.owd_bwd);
	out_init(o->out, o->server, o->timestamps);
	if ((r = client_setup(&c)) != 0)
		goto out;
	while (!ev_stopped(c.ev))
		if (ev_run_once(c.ev, -1) != 0)
			fatal(EXIT_USAGE, "event loop");
	client_teardown(&c);
	memset(&t, 0, sizeof(t));
	t.server = o->server;
	t.c = c.done;
	t.c.sent += c.unsent_slots;
	t.c.unsent += c.unsent_slots;
	t.rtt = &c.rtt;
	t.ipdv = &c.ipdv;
	t.renewals = c.renewals;
	t.sessions = c.sessions;
	t.host_drops = c.host_drops;
	t.bad_replies = c.bad_replies;
	t.send_errors = c.send_errors;
	t.tx_unmatched = c.tx_unmatched;
	t.icmp = o->icmp || o->plain;
	if (!o->icmp) {
		t.owd_fwd = &c.owd_fwd;
		t.owd_bwd = &c.owd_bwd;
		t.local_unsynced = c.local_unsynced;
		t.peer_unsynced = c.peer_unsynced;
	}
	t.timer_late = &c.pace.late;
	t.timer_missed = c.pace.missed;
	t.elapsed_ns = c.start_mono ? mono_ns() - c.start_mono : 0;
	t.end_ns = wall_ns();
	t.start_ns = t.end_ns - (mono_ns() - c.run_start);
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
	slots_free(c.book);
	episode_free(c.det);
	policy_free(c.pol);
	tls_ctx_free(c.tls);
	ev_free(c.ev);
	return r;
}

