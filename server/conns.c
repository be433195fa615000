/*
 * conns: one struct conn per TCP connection, in a doubly linked list; all
 * I/O is non-blocking and driven by the event loop.
 */
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conns.h"
#include "ctl.h"
#include "linger.h"
#include "log.h"
#include "net.h"
#include "preauth.h"
#include "timeutil.h"

#define MAX_SESS_PER_CONN 16
#define DRAIN_NS (30 * NS_PER_SEC)	/* a renewed session's last replies */
#define ACCEPT_PAUSE_NS (100 * NS_PER_MS)	/* out of fds: wait, then retry */
#define ACCEPT_LOG_NS (10 * NS_PER_SEC)	/* at most one line per this */

enum conn_state {
	CONN_HANDSHAKE,		/* TLS handshake under way */
	CONN_HELLO,		/* TLS up; waiting for HELLO */
	CONN_READY,
	CONN_DEAD,		/* to be freed at the end of this event */
};

struct conn {
	struct conns *cs;
	struct conn *prev, *next;
	int fd;
	struct tls_conn *tls;
	struct net_addr peer;
	char name[NET_ADDRSTRLEN];
	enum conn_state st;
	uint32_t features;		/* the client's HELLO */
	struct preauth_ent *pa;		/* not yet authenticated */
	int64_t deadline;		/* handshake deadline */
	int64_t last_rx, last_tx;
	uint8_t in[CTL_MAX_MSG];
	size_t inlen;
	struct {
		uint16_t ssid;
		uint16_t size;
		uint32_t interval_us;
		int64_t drain_until;	/* renewed: removed then unless closed; 0 live */
		uint64_t seen;		/* reflector's received count at active_at */
		int64_t active_at;	/* when that count last moved (or the grant) */
	} sess[MAX_SESS_PER_CONN];
	unsigned nsess;
};

struct conns {
	struct ev *ev;
	struct tls_ctx *tls;
	struct reflector *refl;
	struct linger_table *lg;
	struct preauth *pa;
	struct server_limits lim;
	struct conn *head;
	unsigned n;
	struct conn_stats st;
	int stopping;			/* conns_free: nothing lingers */
	int lfd;			/* listening socket, -1 before conns_listen */
	int pause_tfd;			/* ends a pause of accepting */
	int64_t pause_logged;		/* when a pause was last logged */
	uint64_t pauses_logged;		/* accept_paused at that time */
};

static void conn_io(struct ev *ev, int fd, uint32_t events, void *arg);

struct conns *
conns_new(struct ev *ev, struct tls_ctx *tls, struct reflector *refl,
    const struct server_limits *lim)
{
	struct conns *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		return NULL;
	if ((cs->pa = preauth_new(lim->max_preauth, lim->max_preauth_per_src)) == NULL ||
	    (cs->lg = linger_new(lim->linger_ns, lim->session_idle_ns,
	    lim->max_sessions)) == NULL) {
		preauth_free(cs->pa);
		free(cs);
		return NULL;
	}
	cs->ev = ev;
	cs->tls = tls;
	cs->refl = refl;
	cs->lim = *lim;
	cs->lfd = cs->pause_tfd = -1;
	return cs;
}

static int
conn_preauth(const struct conn *c)
{
	return c->pa != NULL;
}

/* Keep session i of c lingering; 0 when it was, else the caller removes it. */
static int
conn_linger_one(struct conn *c, unsigned i)
{
	struct conns *cs = c->cs;
	struct linger_sess ls;
	uint16_t dropped;

	ls.ssid = c->sess[i].ssid;
	ls.interval_us = c->sess[i].interval_us;
	ls.seen = c->sess[i].seen;
	ls.active_at = c->sess[i].active_at;
	if (linger_add(cs->lg, tls_conn_peer_name(c->tls), &ls, mono_ns(),
	    &dropped) != 0)
		return PM_E_NOMEM;
	cs->st.lingered++;
	if (dropped != 0) {
		refl_remove(cs->refl, dropped, NULL, NULL);
		cs->st.linger_dropped++;
		log_info("%s: lingering session ssid=%u removed for a newer one",
		    tls_conn_peer_name(c->tls), dropped);
	}
	return 0;
}

/*
 * The connection ended without the client closing its sessions (a path
 * outage, most often): they stay answered for the linger time, so the
 * client's probes meanwhile are not lost to the server, and its next
 * connection may close them for their counts. Renewed sessions still
 * draining linger too (the client closes them after a reconnect to learn
 * their counts, and a RENEW the server took while the client gave up on
 * the connection left the client's live session draining); they go in
 * first, so the identity's cap drops them before a live one.
 */
static void
conn_release(struct conn *c, int keep)
{
	struct conns *cs = c->cs;
	unsigned i, pass, kept = 0;

	keep = keep && cs->lim.linger_ns > 0;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < c->nsess; i++) {
			if ((c->sess[i].drain_until != 0) != (pass == 0))
				continue;
			if (keep && conn_linger_one(c, i) == 0)
				kept++;
			else
				refl_remove(cs->refl, c->sess[i].ssid, NULL, NULL);
		}
	if (kept > 0)
		log_info("%s (%s): %u probe session(s) kept for %lld s after the "
		    "connection ended", c->name, tls_conn_peer_name(c->tls), kept,
		    (long long)(cs->lim.linger_ns / NS_PER_SEC));
	c->nsess = 0;
}

static void
conn_free(struct conn *c)
{
	struct conns *cs = c->cs;

	conn_release(c, !cs->stopping);
	preauth_remove(cs->pa, c->pa);
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cs->n--;
	ev_del(cs->ev, c->fd);
	if (c->tls != NULL && c->st == CONN_READY)
		tls_conn_shutdown(c->tls);
	tls_conn_free(c->tls);
	close(c->fd);
	free(c);
}

void
conns_free(struct conns *cs)
{
	uint16_t ssid;

	if (cs == NULL)
		return;
	cs->stopping = 1;
	while (cs->head != NULL)
		conn_free(cs->head);
	while ((ssid = linger_pop(cs->lg)) != 0)
		refl_remove(cs->refl, ssid, NULL, NULL);
	linger_free(cs->lg);
	if (cs->lfd >= 0)
		ev_del(cs->ev, cs->lfd);
	if (cs->pause_tfd >= 0) {
		ev_del(cs->ev, cs->pause_tfd);
		close(cs->pause_tfd);
	}
	preauth_free(cs->pa);
	free(cs);
}

void
conns_reload(struct conns *cs, struct tls_ctx *tls, char *const *allow,
    size_t nallow)
{
	cs->tls = tls;
	cs->lim.allow = allow;
	cs->lim.nallow = nallow;
}

unsigned
conns_count(const struct conns *cs)
{
	return cs->n;
}

unsigned
conns_lingering(const struct conns *cs)
{
	return linger_count(cs->lg);
}

const struct conn_stats *
conns_stats(const struct conns *cs)
{
	return &cs->st;
}

static void
conn_send(struct conn *c, const struct ctl_msg *m)
{
	uint8_t out[CTL_MAX_MSG];
	int n;

	if ((n = ctl_encode(m, out, sizeof(out))) < 0 ||
	    tls_conn_write(c->tls, out, (size_t)n) != 0) {
		log_info("%s: control write failed; closing", c->name);
		c->st = CONN_DEAD;
		return;
	}
	c->last_tx = mono_ns();
}

/* Send ERROR and end the connection, counting it under *counter. */
static void
conn_refuse(struct conn *c, enum ctl_errcode code, const char *text,
    uint64_t *counter)
{
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.type = CTL_ERROR;
	m.u.error.code = (uint16_t)code;
	snprintf(m.u.error.text, sizeof(m.u.error.text), "%s", text);
	(*counter)++;
	log_info("%s (%s): %s; closing", c->name, tls_conn_peer_name(c->tls), text);
	if (c->st != CONN_HANDSHAKE)
		conn_send(c, &m);
	c->st = CONN_DEAD;
}

/* ERROR, each refusal counted once under the reason its code names. */
static void
conn_error(struct conn *c, enum ctl_errcode code, const char *text)
{
	struct conn_stats *st = &c->cs->st;

	conn_refuse(c, code, text, code == CTL_ERR_CLIENTS ? &st->refused_clients :
	    code == CTL_ERR_LIMIT ? &st->refused_limit :
	    code == CTL_ERR_ACCESS ? &st->refused_identity :
	    code == CTL_ERR_TIMEOUT ? &st->session_idle : &st->protocol_errors);
}

/*
 * Grant a new probe session to c; fills g. The session is recorded only
 * when its key was exported and the reflector took it: r starts as a
 * failure and is cleared on the one path where both worked.
 */
static int
conn_grant(struct conn *c, uint32_t interval_us, uint16_t size, uint16_t port,
    struct ctl_grant *g)
{
	const struct server_limits *lim = &c->cs->lim;
	struct refl_terms t;
	int r = PM_E_LIMIT;

	memset(&t, 0, sizeof(t));
	memset(g, 0, sizeof(*g));
	if (size < 112 || size > lim->max_size)
		size = size < 112 ? 112 : lim->max_size;
	if ((g->ssid = refl_pick_ssid(c->cs->refl)) == 0 ||
	    tls_random(g->nonce, sizeof(g->nonce)) != 0)
		goto out;
	g->udp_port = lim->udp_port;
	g->interval_us = interval_us < lim->min_interval_us ?
	    lim->min_interval_us : interval_us;
	g->size = size;
	t.ssid = g->ssid;
	t.peer = c->peer;
	net_addr_set_port(&t.peer, port);
	t.size = size;
	t.interval_us = g->interval_us;
	if ((r = tls_conn_stamp_key(c->tls, g->ssid, g->nonce, &t.key)) != 0 ||
	    (r = refl_add(c->cs->refl, &t)) != 0)
		goto out;
	c->sess[c->nsess].ssid = g->ssid;
	c->sess[c->nsess].size = g->size;
	c->sess[c->nsess].interval_us = g->interval_us;
	c->sess[c->nsess].drain_until = 0;
	c->sess[c->nsess].seen = 0;
	c->sess[c->nsess].active_at = mono_ns();
	c->nsess++;
	c->cs->st.sessions_opened++;
out:
	stamp_key_wipe(&t.key);
	return r;
}

static int
conn_find(const struct conn *c, uint16_t ssid)
{
	unsigned i;

	for (i = 0; i < c->nsess; i++)
		if (c->sess[i].ssid == ssid)
			return (int)i;
	return -1;
}

static void
conn_drop_session(struct conn *c, uint16_t ssid, uint64_t *rx, uint64_t *tx)
{
	int i = conn_find(c, ssid);

	if (i < 0)
		return;
	refl_remove(c->cs->refl, ssid, rx, tx);
	c->sess[i] = c->sess[--c->nsess];
}

/* Authenticated connections with c's identity, c not counted. */
static unsigned
conns_of_identity(const struct conn *c)
{
	const char *id = tls_conn_peer_name(c->tls);
	const struct conn *o;
	unsigned n = 0;

	for (o = c->cs->head; o != NULL; o = o->next)
		n += o != c && o->st == CONN_READY &&
		    strcmp(tls_conn_peer_name(o->tls), id) == 0;
	return n;
}

static void
on_hello(struct conn *c, const struct ctl_msg *m)
{
	const struct server_limits *lim = &c->cs->lim;
	struct ctl_msg out;
	char why[96];

	if (c->cs->n - preauth_count(c->cs->pa) >= lim->max_clients) {
		conn_error(c, CTL_ERR_CLIENTS, "server is at its client limit");
		return;
	}
	/* So that one certificate cannot take every client slot. */
	if (conns_of_identity(c) >= lim->max_per_identity) {
		snprintf(why, sizeof(why), "too many connections with this client "
		    "identity (max-per-identity %u)", lim->max_per_identity);
		conn_refuse(c, CTL_ERR_CLIENTS, why, &c->cs->st.refused_identity_cap);
		return;
	}
	memset(&out, 0, sizeof(out));
	out.type = CTL_WELCOME;
	out.u.welcome.features = lim->linger_ns > 0 ? CTL_FEAT_LINGER : 0;
	out.u.welcome.keepalive_ms = (uint32_t)(lim->keepalive_ns / NS_PER_MS);
	out.u.welcome.min_interval_us = lim->min_interval_us;
	out.u.welcome.max_size = lim->max_size;
	out.u.welcome.max_sessions = (uint16_t)lim->max_sessions;
	c->features = m->u.hello.features;
	c->st = CONN_READY;
	preauth_remove(c->cs->pa, c->pa);
	c->pa = NULL;
	log_info("%s: client %s up (%s)", c->name, tls_conn_peer_name(c->tls),
	    tls_conn_cipher(c->tls));
	conn_send(c, &out);
}

static void
on_open(struct conn *c, const struct ctl_msg *m)
{
	struct ctl_msg out;

	memset(&out, 0, sizeof(out));
	if (c->nsess >= c->cs->lim.max_sessions || c->nsess >= MAX_SESS_PER_CONN) {
		conn_error(c, CTL_ERR_LIMIT, "too many probe sessions");
		return;
	}
	if (conn_grant(c, m->u.open.interval_us, m->u.open.size,
	    m->u.open.udp_port, &out.u.accept) != 0) {
		conn_error(c, CTL_ERR_LIMIT, "no probe session available");
		return;
	}
	out.type = CTL_ACCEPT;
	log_info("%s: session ssid=%u port %u interval %u us", c->name,
	    out.u.accept.ssid, m->u.open.udp_port, out.u.accept.interval_us);
	conn_send(c, &out);
}

static void
on_renew(struct conn *c, const struct ctl_msg *m)
{
	struct ctl_msg out;
	int i = conn_find(c, m->u.renew.old_ssid);

	memset(&out, 0, sizeof(out));
	if (i < 0) {
		conn_error(c, CTL_ERR_SESSION, "renewal of an unknown session");
		return;
	}
	/* The old session drains until the client's CLOSE (or its drain
	 * deadline), so a renewal may hold one session beside each live one:
	 * twice max_sessions at most. */
	if (c->nsess >= MAX_SESS_PER_CONN || c->nsess >= 2 * c->cs->lim.max_sessions ||
	    conn_grant(c, c->sess[i].interval_us, c->sess[i].size,
	    m->u.renew.udp_port, &out.u.renewed.grant) != 0) {
		conn_error(c, CTL_ERR_LIMIT, "no probe session available");
		return;
	}
	c->sess[i].drain_until = mono_ns() + DRAIN_NS;
	out.type = CTL_RENEWED;
	out.u.renewed.old_ssid = m->u.renew.old_ssid;
	log_info("%s: session ssid=%u renewed as ssid=%u port %u (%s)", c->name,
	    m->u.renew.old_ssid, out.u.renewed.grant.ssid, m->u.renew.udp_port,
	    ctl_renew_reason_name(m->u.renew.reason));
	conn_send(c, &out);
}

/*
 * Another live connection of identity id that holds ssid: the client's
 * earlier connection, which it gave up on before the server noticed (the
 * server has not seen its end yet, or still waits out its keepalives).
 */
static struct conn *
conn_holder(const struct conn *c, const char *id, uint16_t ssid)
{
	struct conn *o;

	for (o = c->cs->head; o != NULL; o = o->next)
		if (o != c && o->st == CONN_READY && conn_find(o, ssid) >= 0 &&
		    strcmp(tls_conn_peer_name(o->tls), id) == 0)
			return o;
	return NULL;
}

/*
 * CLOSE of a session of this connection; else of one this client's
 * identity left lingering, or still holds on an earlier connection (a
 * reconnected client fixing the direction of its last losses); else, for
 * a client that knows the LINGER feature, of one this server does not
 * know (it restarted, or the session went): CLOSED with UINT64_MAX
 * counts, not an error.
 */
static void
on_close(struct conn *c, const struct ctl_msg *m)
{
	uint16_t ssid = m->u.close.ssid;
	const char *id = tls_conn_peer_name(c->tls);
	struct conn *o;
	struct ctl_msg out;

	memset(&out, 0, sizeof(out));
	out.type = CTL_CLOSED;
	out.u.closed.ssid = ssid;
	if (conn_find(c, ssid) >= 0) {
		conn_drop_session(c, ssid, &out.u.closed.received,
		    &out.u.closed.reflected);
		log_info("%s: session ssid=%u closed: received %llu", c->name,
		    ssid, (unsigned long long)out.u.closed.received);
	} else if (linger_take(c->cs->lg, id, ssid)) {
		refl_remove(c->cs->refl, ssid, &out.u.closed.received,
		    &out.u.closed.reflected);
		c->cs->st.linger_closed++;
		log_info("%s (%s): lingering session ssid=%u closed: received %llu, "
		    "reflected %llu", c->name, id, ssid,
		    (unsigned long long)out.u.closed.received,
		    (unsigned long long)out.u.closed.reflected);
	} else if ((o = conn_holder(c, id, ssid)) != NULL) {
		conn_drop_session(o, ssid, &out.u.closed.received,
		    &out.u.closed.reflected);
		c->cs->st.linger_closed++;
		log_info("%s (%s): session ssid=%u of the earlier connection %s "
		    "closed: received %llu, reflected %llu", c->name, id, ssid,
		    o->name, (unsigned long long)out.u.closed.received,
		    (unsigned long long)out.u.closed.reflected);
	} else if (c->features & CTL_FEAT_LINGER) {
		out.u.closed.received = UINT64_MAX;
		out.u.closed.reflected = UINT64_MAX;
		log_info("%s (%s): close of ssid=%u, unknown to this server",
		    c->name, id, ssid);
	} else {
		conn_error(c, CTL_ERR_SESSION, "close of an unknown session");
		return;
	}
	conn_send(c, &out);
}

static void
on_keepalive(struct conn *c, const struct ctl_msg *m)
{
	(void)c;
	(void)m;	/* receipt alone proves the peer is alive */
}

static void
on_error(struct conn *c, const struct ctl_msg *m)
{
	log_info("%s: peer reports error %u: %s", c->name, m->u.error.code,
	    m->u.error.text);
	c->st = CONN_DEAD;
}

static const struct {
	enum ctl_type type;
	void (*fn)(struct conn *, const struct ctl_msg *);
} handlers[] = {
	{ CTL_HELLO, on_hello },
	{ CTL_OPEN, on_open },
	{ CTL_RENEW, on_renew },
	{ CTL_CLOSE, on_close },
	{ CTL_KEEPALIVE, on_keepalive },
	{ CTL_ERROR, on_error },
};

static enum ctl_state
conn_ctl_state(const struct conn *c)
{
	return c->st == CONN_READY ? CTL_ST_READY : CTL_ST_HELLO;
}

/* Take whole messages from c->in; checks run before any handler. */
static void
conn_parse(struct conn *c)
{
	struct ctl_hdr h;
	struct ctl_msg m;
	size_t i, used;
	int r;

	while (c->st != CONN_DEAD && c->inlen >= CTL_HDR_LEN) {
		if ((r = ctl_hdr_decode(c->in, c->inlen, &h)) != 0 ||
		    (r = ctl_check(&h, CTL_FROM_CLIENT, conn_ctl_state(c))) != 0) {
			conn_error(c, r == PM_E_STATE ? CTL_ERR_STATE :
			    r == PM_E_VERSION ? CTL_ERR_VERSION : CTL_ERR_MALFORMED,
			    pm_strerror(r));
			return;
		}
		if (c->inlen < CTL_HDR_LEN + (size_t)h.len)
			return;
		if (ctl_decode(&h, c->in + CTL_HDR_LEN, &m) != 0) {
			conn_error(c, CTL_ERR_MALFORMED, "malformed message");
			return;
		}
		for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
			if (handlers[i].type == m.type)
				handlers[i].fn(c, &m);
		used = CTL_HDR_LEN + h.len;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
}

static void
conn_read(struct conn *c)
{
	int n;

	do {
		n = tls_conn_read(c->tls, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == PM_E_AGAIN)
			return;
		if (n < 0) {
			log_info("%s: %s", c->name, tls_conn_error(c->tls));
			c->st = CONN_DEAD;
			return;
		}
		c->inlen += (size_t)n;
		c->last_rx = mono_ns();
		conn_parse(c);
	} while (c->st != CONN_DEAD && tls_conn_pending(c->tls) > 0);
}

static void
conn_handshake(struct conn *c)
{
	int r = tls_conn_handshake(c->tls);

	if (r == PM_E_AGAIN)
		return;
	if (r != 0) {
		c->cs->st.handshake_failed++;
		log_info("%s: TLS handshake failed: %s", c->name, tls_conn_error(c->tls));
		c->st = CONN_DEAD;
		return;
	}
	if (!tls_conn_peer_allowed(c->tls, c->cs->lim.allow, c->cs->lim.nallow)) {
		c->st = CONN_HELLO;	/* so the refusal is sent over TLS */
		conn_error(c, CTL_ERR_ACCESS, "client identity not on the allowlist");
		return;
	}
	c->st = CONN_HELLO;
	c->last_rx = mono_ns();
	conn_read(c);	/* HELLO may already be buffered */
}

static void
conn_update_events(struct conn *c)
{
	uint32_t ev = EPOLLIN | (tls_conn_wants_write(c->tls) ? EPOLLOUT : 0);

	(void)ev_mod(c->cs->ev, c->fd, ev);
}

static void
conn_io(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;

	(void)ev;
	(void)fd;
	if (events & EPOLLOUT) {
		int r = tls_conn_flush(c->tls);

		if (r < 0 && r != PM_E_AGAIN)
			c->st = CONN_DEAD;
	}
	if (c->st == CONN_HANDSHAKE)
		conn_handshake(c);
	else if (c->st != CONN_DEAD)
		conn_read(c);
	if (c->st == CONN_DEAD) {
		conn_free(c);
		return;
	}
	conn_update_events(c);
}

/*
 * Refuse at once, before any TLS state exists, when a cap is reached; or
 * close the connection preauth names to make room (see preauth.h).
 */
static int
conn_admissible(struct conns *cs, const struct net_addr *peer)
{
	void *victim;

	if (cs->n >= cs->lim.max_clients + cs->lim.max_preauth) {
		cs->st.refused_clients++;
		return 0;
	}
	switch (preauth_judge(cs->pa, peer, &victim)) {
	case PREAUTH_ADMIT:
		return 1;
	case PREAUTH_EVICT:
		log_debug("%s: pre-auth slots full; closed to admit another source",
		    ((struct conn *)victim)->name);
		cs->st.preauth_evicted++;
		conn_free(victim);
		return 1;
	case PREAUTH_REFUSE_SOURCE:
	case PREAUTH_REFUSE_FULL:
		break;
	}
	cs->st.refused_preauth++;
	return 0;
}

static void
conn_accept_one(struct conns *cs, int fd, const struct net_addr *peer)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->pa = preauth_add(cs->pa, peer, c)) == NULL ||
	    tls_conn_new(cs->tls, fd, NULL, &c->tls) != 0 ||
	    ev_add(cs->ev, fd, EPOLLIN, conn_io, c) != 0) {
		if (c != NULL) {
			preauth_remove(cs->pa, c->pa);
			tls_conn_free(c->tls);
		}
		free(c);
		close(fd);
		return;
	}
	c->cs = cs;
	c->fd = fd;
	c->peer = *peer;
	net_addr_str(peer, c->name, sizeof(c->name));
	c->st = CONN_HANDSHAKE;
	c->deadline = mono_ns() + cs->lim.handshake_ns;
	c->last_rx = c->last_tx = mono_ns();
	c->next = cs->head;
	if (cs->head)
		cs->head->prev = c;
	cs->head = c;
	cs->n++;
	cs->st.accepted++;
}

/*
 * Out of file descriptors (or kernel memory), accept4 fails and leaves the
 * connection queued: under level-triggered epoll the listener stays
 * readable and the loop would spin on it. So the listener leaves the loop
 * for ACCEPT_PAUSE_NS; queued connections wait in the backlog meanwhile.
 */
static void
conns_pause_accept(struct conns *cs, int err)
{
	int64_t now = mono_ns();

	ev_del(cs->ev, cs->lfd);
	if (ev_timer_at(cs->pause_tfd, now + ACCEPT_PAUSE_NS) != 0)
		fatal(1, "accept pause timer");
	cs->st.accept_paused++;
	if (cs->pause_logged == 0 || now - cs->pause_logged >= ACCEPT_LOG_NS) {
		errno = err;
		log_warn("accept failed; not accepting for %lld ms at a time "
		    "(%llu pause(s) since the last message)",
		    (long long)(ACCEPT_PAUSE_NS / NS_PER_MS),
		    (unsigned long long)(cs->st.accept_paused - cs->pauses_logged));
		cs->pause_logged = now;
		cs->pauses_logged = cs->st.accept_paused;
	}
}

/* Errors that belong to one queued connection, not to the server. */
static int
accept_error_transient(int err)
{
	return err == ECONNABORTED || err == EINTR || err == EPROTO ||
	    err == EPERM || err == ENETDOWN || err == EHOSTUNREACH ||
	    err == ENETUNREACH || err == ETIMEDOUT;
}

static void
conns_on_listen(struct ev *ev, int lfd, uint32_t events, void *arg)
{
	struct conns *cs = arg;
	struct net_addr peer;
	int fd, i;

	(void)ev;
	(void)events;
	for (i = 0; i < 64; i++) {
		if ((fd = net_tcp_accept(lfd, &peer)) < 0) {
			if (fd == PM_E_AGAIN)
				return;
			if (accept_error_transient(errno))
				continue;
			conns_pause_accept(cs, errno);
			return;
		}
		if (!conn_admissible(cs, &peer)) {
			close(fd);
			continue;
		}
		conn_accept_one(cs, fd, &peer);
	}
}

static void
conns_on_pause_end(struct ev *ev, int tfd, uint32_t events, void *arg)
{
	struct conns *cs = arg;

	(void)events;
	(void)ev_timer_read(tfd);
	if (ev_add(ev, cs->lfd, EPOLLIN, conns_on_listen, cs) != 0)
		conns_pause_accept(cs, errno);
}

int
conns_listen(struct conns *cs, int lfd)
{
	/* The timer exists before any pause: a pause means no fd to spare. */
	if ((cs->pause_tfd = ev_timer_new()) < 0)
		return PM_E_SYS;
	if (ev_add(cs->ev, cs->pause_tfd, EPOLLIN, conns_on_pause_end, cs) != 0 ||
	    ev_add(cs->ev, lfd, EPOLLIN, conns_on_listen, cs) != 0)
		return PM_E_SYS;
	cs->lfd = lfd;
	return 0;
}

/* Renewed sessions the client never closed go after their drain time. */
static void
conn_expire_drained(struct conn *c, int64_t now)
{
	unsigned i;

	for (i = 0; i < c->nsess; i++)
		if (c->sess[i].drain_until != 0 && now > c->sess[i].drain_until) {
			refl_remove(c->cs->refl, c->sess[i].ssid, NULL, NULL);
			c->sess[i--] = c->sess[--c->nsess];
		}
}

/*
 * A live session whose probes stopped coming holds a slot and a key for
 * nothing: the client is told and closed, and starts afresh if it is
 * still there. Watched through the reflector's count, off the hot path.
 */
static int
conn_idle_session(struct conn *c, int64_t now)
{
	char why[96];
	int64_t idle;
	uint64_t n;
	unsigned i;

	for (i = 0; i < c->nsess; i++) {
		if (c->sess[i].drain_until != 0)
			continue;
		/* A session granted a slow rate may be quiet for three of its
		 * intervals before it counts as idle. */
		idle = 3 * (int64_t)c->sess[i].interval_us * NS_PER_US;
		if (idle < c->cs->lim.session_idle_ns)
			idle = c->cs->lim.session_idle_ns;
		if ((n = refl_received(c->cs->refl, c->sess[i].ssid)) != c->sess[i].seen) {
			c->sess[i].seen = n;
			c->sess[i].active_at = now;
		} else if (now - c->sess[i].active_at > idle) {
			snprintf(why, sizeof(why), "probe session ssid=%u received no "
			    "probe for %lld s", c->sess[i].ssid,
			    (long long)(idle / NS_PER_SEC));
			/* Idle already: nothing to linger for. */
			conn_drop_session(c, c->sess[i].ssid, NULL, NULL);
			conn_error(c, CTL_ERR_TIMEOUT, why);
			return 1;
		}
	}
	return 0;
}

static void
conn_tick(struct conn *c, int64_t now)
{
	struct ctl_msg ka;
	int64_t ka_ns = c->cs->lim.keepalive_ns;

	if (conn_preauth(c) && now > c->deadline) {
		c->cs->st.handshake_timeout++;
		log_info("%s: no authenticated HELLO within the deadline; closing",
		    c->name);
		c->st = CONN_DEAD;
		return;
	}
	if (c->st != CONN_READY)
		return;
	conn_expire_drained(c, now);
	if (conn_idle_session(c, now))
		return;
	if (now - c->last_rx > 3 * ka_ns) {
		log_info("%s (%s): silent for 3 keepalive intervals; closing",
		    c->name, tls_conn_peer_name(c->tls));
		c->st = CONN_DEAD;
		return;
	}
	if (now - c->last_tx >= ka_ns) {
		memset(&ka, 0, sizeof(ka));
		ka.type = CTL_KEEPALIVE;
		conn_send(c, &ka);
	}
}

static uint64_t
linger_received(void *arg, uint16_t ssid)
{
	struct conns *cs = arg;

	return refl_received(cs->refl, ssid);
}

static void
linger_drop(void *arg, uint16_t ssid, enum linger_end why)
{
	struct conns *cs = arg;
	uint64_t rx = 0;

	refl_remove(cs->refl, ssid, &rx, NULL);
	cs->st.linger_expired++;
	switch (why) {
	case LINGER_EXPIRED:
		log_info("lingering session ssid=%u removed after %lld s: received "
		    "%llu", ssid, (long long)(cs->lim.linger_ns / NS_PER_SEC),
		    (unsigned long long)rx);
		break;
	case LINGER_IDLE:
		log_info("lingering session ssid=%u removed: no probe for the idle "
		    "time; received %llu", ssid, (unsigned long long)rx);
		break;
	}
}

void
conns_tick(struct conns *cs, int64_t now_mono)
{
	struct conn *c, *next;

	linger_tick(cs->lg, now_mono, linger_received, linger_drop, cs);

	for (c = cs->head; c != NULL; c = next) {
		next = c->next;
		conn_tick(c, now_mono);
		if (c->st == CONN_DEAD)
			conn_free(c);
		else
			conn_update_events(c);
	}
}
