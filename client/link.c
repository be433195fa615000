/*
 * link: the control channel as the engine uses it: messages, loss of the
 * channel, reconnection with backoff. Losing the channel never stops the
 * schedule: the current session goes on being probed (the server lets it
 * linger), and reconnecting runs on a thread of its own, so a connect that
 * hangs on a dead path cannot hold up a single probe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"

#define RECONNECT_TIMEOUT_MS 5000

struct reconn {
	struct client *c;
	struct ctlc *ctl;
	int r;
	char err[512];
};

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
on_closed(struct client *c, const struct ctl_msg *m)
{
	struct probe *p;
	unsigned i;
	/* A server that does not know the session (it restarted) cannot say
	 * what it received: the last losses stay of unknown direction. */
	int known = m->u.closed.received != UINT64_MAX;

	if ((p = find_old(c, m->u.closed.ssid, &i)) == NULL)
		return;
	old_remove(c, i);
	session_finish(c, p, p->renewed_to ? "renewed" : !known ? "aborted" :
	    p->reconnected ? "reconnected" : "stopped", known, m->u.closed.received);
}

void
on_ctl_msg(void *arg, const struct ctl_msg *m)
{
	struct client *c = arg;
	struct probe *p, *old;
	unsigned i;

	switch (m->type) {
	case CTL_ACCEPT:
		if (c->next != NULL && c->next->renewal_id <= 0)
			session_granted(c, &m->u.accept);
		break;
	case CTL_RENEWED:
		if (c->next == NULL || c->next->renewal_id <= 0)
			break;
		p = c->next;
		session_granted(c, &m->u.renewed.grant);
		if (c->cur != p)
			break;
		if (p->renewal_id > 0)
			storage_check(c, history_renewal_to(c->hist, p->renewal_id,
			    p->hist_id));
		if ((old = find_old(c, m->u.renewed.old_ssid, &i)) != NULL)
			old->renewed_to = p->hist_id;
		break;
	case CTL_CLOSED:
		on_closed(c, m);
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

void
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
	if (c->backoff + jitter > BACKOFF_MAX_NS)
		jitter = -jitter;	/* the cap holds with jitter too */
	c->reconnect_at = mono_ns() + c->backoff + jitter;
	out_event("reconnecting in %.1f s to %s", (c->backoff + jitter) / 1e9,
	    c->o->server);
}

/*
 * The control channel is gone. The current session is probed on (its
 * slots keep their fates: loss while the path is down); a pending request
 * fails; sessions waiting for CLOSED will be closed over the next channel.
 */
void
ctl_lost(struct client *c, const char *why)
{
	unsigned i;

	log_warnx("%s", why);
	session_next_failed(c, "control channel lost");
	if (c->cur != NULL)
		c->cur->reconnected = 1;
	for (i = 0; i < c->nold; i++)
		if (c->old[i]->st == PROBE_CLOSING) {
			c->old[i]->st = PROBE_DRAINING;
			c->old[i]->stop_mono = mono_ns();
		}
	ev_del(c->ev, ctlc_fd(c->ctl));
	ctlc_free(c->ctl);
	c->ctl = NULL;
	engine_ctl_state(c, 0);
	/* Stopping: the loop ends when the sessions' replies are in (tick). */
	if (!c->stopping)
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

/*
 * Before calling the server silent, read what may be waiting: a client
 * starved of CPU can have the server's keepalives queued unread.
 */
void
ctl_check_silence(struct client *c, int64_t now)
{
	if (c->ctl == NULL)
		return;
	if (ctlc_silent_for(c->ctl, now) > 2 * (int64_t)ctlc_keepalive_ms(c->ctl) * NS_PER_MS)
		on_ctl(c->ev, ctlc_fd(c->ctl), EPOLLIN, c);
	if (c->ctl != NULL && ctlc_tick(c->ctl, now) != 0)
		ctl_lost(c, "server silent for 3 keepalive intervals");
	else if (c->ctl != NULL)
		ctl_update_events(c);
}

/* A channel is up: watch it and ask for a session. */
static int
ctl_install(struct client *c, struct ctlc *ctl)
{
	int r;

	c->ctl = ctl;
	if ((r = ev_add(c->ev, ctlc_fd(c->ctl), EPOLLIN, on_ctl, c)) != 0)
		return r;
	session_open(c);
	return 0;
}

int
ctl_connect(struct client *c, char *err, size_t errlen)
{
	struct ctlc *ctl;
	int r;

	if ((r = ctlc_connect(c->tls, c->o->host, c->o->port, &c->o->from,
	    CONNECT_TIMEOUT_MS, &ctl, err, errlen)) != 0)
		return r;
	return ctl_install(c, ctl);
}

/* ---- reconnection, off the probing thread ------------------------------- */

static void *
reconn_main(void *arg)
{
	struct reconn *x = arg;

	x->r = ctlc_connect(x->c->tls, x->c->o->host, x->c->o->port,
	    &x->c->o->from, RECONNECT_TIMEOUT_MS, &x->ctl, x->err,
	    sizeof(x->err));
	ev_notify(x->c->reconn_fd);
	return NULL;
}

/* Wait for a reconnection under way (at exit); frees what it made. */
void
reconnect_join(struct client *c)
{
	struct reconn *x = c->reconn;

	if (x != NULL) {
		pthread_join(c->reconn_thr, NULL);
		if (x->r == 0)
			ctlc_free(x->ctl);
		free(x);
		c->reconn = NULL;
	}
	if (c->reconn_fd >= 0) {
		ev_del(c->ev, c->reconn_fd);
		close(c->reconn_fd);
		c->reconn_fd = -1;
	}
}

static void
on_reconn(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	struct reconn *x = c->reconn;

	(void)ev;
	(void)events;
	(void)ev_notify_read(fd);
	if (x == NULL)
		return;
	pthread_join(c->reconn_thr, NULL);
	c->reconn = NULL;
	if (x->r != 0) {
		log_warnx("%s", x->err);
		if (!c->stopping)
			reconnect_schedule(c);
	} else if (c->stopping)
		ctlc_free(x->ctl);
	else if (ctl_install(c, x->ctl) != 0) {
		ctl_lost(c, "control channel set-up failed");
	} else
		engine_ctl_state(c, 1);
	free(x);
}

void
reconnect_check(struct client *c, int64_t now)
{
	struct reconn *x;

	if (c->ctl != NULL || c->reconn != NULL || now < c->reconnect_at ||
	    c->stopping || serverless(c))
		return;
	if (c->reconn_fd < 0) {
		if ((c->reconn_fd = ev_notify_new()) < 0 ||
		    ev_add(c->ev, c->reconn_fd, EPOLLIN, on_reconn, c) != 0)
			fatal(EXIT_USAGE, "event loop set-up");
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		reconnect_schedule(c);
		return;
	}
	x->c = c;
	c->reconn = x;
	out_event("reconnect attempt to %s", c->o->server);
	if (pthread_create(&c->reconn_thr, NULL, reconn_main, x) != 0) {
		c->reconn = NULL;
		free(x);
		log_warnx("cannot start a thread to reconnect");
		reconnect_schedule(c);
	}
}
