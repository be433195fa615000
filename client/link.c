/*
 * link: the control channel as the engine uses it: messages, loss of the
 * channel, reconnection with backoff.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

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

void
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
	out_note("reconnecting in %.1f s", (c->backoff + jitter) / 1e9);
}

/* The control channel is gone: every session is aborted; retry later. */
void
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

int
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

void
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

