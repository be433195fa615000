/*
 * control: client side of the control protocol.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "timeutil.h"

struct ctlc {
	int fd;
	struct net_addr peer;
	char name[NET_ADDRSTRLEN + 64];
	struct tls_conn *tls;
	uint32_t keepalive_ms;
	int64_t last_rx, last_tx;
	uint8_t in[CTL_MAX_MSG];
	size_t inlen;
	enum ctl_state st;
};

void
ctlc_free(struct ctlc *c)
{
	if (c == NULL)
		return;
	if (c->tls != NULL) {
		tls_conn_shutdown(c->tls);
		tls_conn_free(c->tls);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* Wait for the fd in the direction TLS asked for, until the deadline. */
static int
ctlc_poll(struct ctlc *c, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int64_t left = (deadline - mono_ns()) / NS_PER_MS;

	if (tls_conn_wants_write(c->tls))
		p.events |= POLLOUT;
	if (left <= 0)
		return PM_E_TIMEOUT;
	return poll(&p, 1, (int)left) == 1 ? 0 : PM_E_TIMEOUT;
}

static int
ctlc_handshake(struct ctlc *c, int64_t deadline, char *err, size_t errlen)
{
	int r;

	while ((r = tls_conn_handshake(c->tls)) == PM_E_AGAIN)
		if ((r = ctlc_poll(c, deadline)) != 0)
			break;
	if (r == PM_E_TIMEOUT)
		snprintf(err, errlen, "server %s: TLS handshake timed out", c->name);
	else if (r != 0)
		snprintf(err, errlen, "server %s: TLS handshake failed: %s", c->name,
		    tls_conn_error(c->tls));
	return r;
}

static void
on_welcome(void *arg, const struct ctl_msg *m)
{
	struct ctlc *c = arg;

	if (m->type == CTL_WELCOME) {
		c->keepalive_ms = m->u.welcome.keepalive_ms ?
		    m->u.welcome.keepalive_ms : 5000;
		c->st = CTL_ST_READY;
	}
}

static int
ctlc_hello(struct ctlc *c, int64_t deadline, char *err, size_t errlen)
{
	struct ctl_msg m;
	int r;

	memset(&m, 0, sizeof(m));
	m.type = CTL_HELLO;
	/* The client probes a session on while its control channel is down,
	 * and closes it over the next one (docs/protocol.md). */
	m.u.hello.features = CTL_FEAT_LINGER;
	if ((r = ctlc_send(c, &m)) != 0) {
		uint8_t b[64];

		/* A server that refused our certificate sent an alert before
		 * it closed; read it (it waits ahead of the reset), so the
		 * message says why rather than "connection reset". */
		if (tls_conn_read(c->tls, b, sizeof(b)) < 0 &&
		    strstr(tls_conn_error(c->tls), "alert") != NULL) {
			snprintf(err, errlen, "server %s: TLS handshake failed: %s",
			    c->name, tls_conn_error(c->tls));
			return r;
		}
		snprintf(err, errlen, "server %s: cannot send HELLO: %s", c->name,
		    tls_conn_error(c->tls));
		return r;
	}
	while (c->st != CTL_ST_READY) {
		if ((r = ctlc_poll(c, deadline)) != 0) {
			snprintf(err, errlen, "server %s: no WELCOME in time", c->name);
			return r;
		}
		if ((r = ctlc_flush(c)) != 0 && r != PM_E_AGAIN)
			return r;
		if ((r = ctlc_read(c, on_welcome, c, err, errlen)) != 0)
			return r;
	}
	return 0;
}

int
ctlc_connect(struct tls_ctx *tls, const char *host, uint16_t port,
    const struct net_origin *from, int timeout_ms, struct ctlc **out,
    char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
	struct net_addr addrs[8];
	struct ctlc *c;
	char addr[NET_ADDRSTRLEN];
	int r, i, n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return PM_E_NOMEM;
	c->fd = -1;
	if ((n = net_resolve_af(host, port, SOCK_STREAM, from->family, addrs,
	    8)) < 0) {
		r = n;
		snprintf(err, errlen, "server %s: cannot resolve the name", host);
		goto fail;
	}
	/* Each address in turn, as a name may resolve to IPv4 and IPv6. */
	for (i = 0, r = PM_E_NOTFOUND; i < n && c->fd < 0; i++) {
		c->peer = addrs[i];
		net_addr_str(&c->peer, addr, sizeof(addr));
		snprintf(c->name, sizeof(c->name), "%s (%s)", host, addr);
		if ((c->fd = net_tcp_connect_from(&c->peer, from,
		    timeout_ms / n)) < 0)
			r = c->fd;
	}
	if (c->fd < 0) {
		snprintf(err, errlen, "server %s: cannot connect: %s", c->name,
		    r == PM_E_TIMEOUT ? "timed out" : "refused or unreachable");
		goto fail;
	}
	if ((r = tls_conn_new(tls, c->fd, host, &c->tls)) != 0) {
		snprintf(err, errlen, "server %s: TLS set-up failed", c->name);
		goto fail;
	}
	if ((r = ctlc_handshake(c, deadline, err, errlen)) != 0 ||
	    (r = ctlc_hello(c, deadline, err, errlen)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	ctlc_free(c);
	return r;
}

int
ctlc_fd(const struct ctlc *c)
{
	return c->fd;
}

const struct net_addr *
ctlc_peer(const struct ctlc *c)
{
	return &c->peer;
}

struct tls_conn *
ctlc_tls(struct ctlc *c)
{
	return c->tls;
}

uint32_t
ctlc_keepalive_ms(const struct ctlc *c)
{
	return c->keepalive_ms;
}

int
ctlc_send(struct ctlc *c, const struct ctl_msg *m)
{
	uint8_t out[CTL_MAX_MSG];
	int n, r;

	if ((n = ctl_encode(m, out, sizeof(out))) < 0)
		return n;
	if ((r = tls_conn_write(c->tls, out, (size_t)n)) != 0)
		return r;
	c->last_tx = mono_ns();
	return 0;
}

int
ctlc_flush(struct ctlc *c)
{
	return tls_conn_flush(c->tls);
}

int
ctlc_wants_write(const struct ctlc *c)
{
	return tls_conn_wants_write(c->tls);
}

static int
ctlc_parse(struct ctlc *c, void (*fn)(void *, const struct ctl_msg *),
    void *arg, char *err, size_t errlen)
{
	struct ctl_hdr h;
	struct ctl_msg m;
	size_t used;
	int r;

	while (c->inlen >= CTL_HDR_LEN) {
		if ((r = ctl_hdr_decode(c->in, c->inlen, &h)) != 0 ||
		    (r = ctl_check(&h, CTL_FROM_SERVER, c->st)) != 0) {
			snprintf(err, errlen, "server %s sent a bad control message: %s",
			    c->name, pm_strerror(r));
			return PM_E_FORMAT;
		}
		if (c->inlen < CTL_HDR_LEN + (size_t)h.len)
			return 0;
		if ((r = ctl_decode(&h, c->in + CTL_HDR_LEN, &m)) != 0) {
			snprintf(err, errlen, "server %s sent a malformed %s", c->name,
			    ctl_type_name(h.type));
			return PM_E_FORMAT;
		}
		used = CTL_HDR_LEN + h.len;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		if (m.type == CTL_ERROR) {
			snprintf(err, errlen, "server %s refused: %s (error %u)",
			    c->name, m.u.error.text, m.u.error.code);
			return PM_E_AUTH;
		}
		fn(arg, &m);
	}
	return 0;
}

int
ctlc_read(struct ctlc *c, void (*fn)(void *, const struct ctl_msg *),
    void *arg, char *err, size_t errlen)
{
	int n, r;

	do {
		n = tls_conn_read(c->tls, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == PM_E_AGAIN)
			return 0;
		if (n < 0) {
			snprintf(err, errlen, "server %s: control channel closed: %s",
			    c->name, tls_conn_error(c->tls));
			return n;
		}
		c->inlen += (size_t)n;
		c->last_rx = mono_ns();
		if ((r = ctlc_parse(c, fn, arg, err, errlen)) != 0)
			return r;
	} while (tls_conn_pending(c->tls) > 0);
	return 0;
}

int64_t
ctlc_silent_for(const struct ctlc *c, int64_t now)
{
	return now - c->last_rx;
}

int
ctlc_tick(struct ctlc *c, int64_t now)
{
	int64_t ka = (int64_t)c->keepalive_ms * NS_PER_MS;
	struct ctl_msg m;

	if (now - c->last_rx > 3 * ka)
		return PM_E_TIMEOUT;
	if (now - c->last_tx >= ka) {
		memset(&m, 0, sizeof(m));
		m.type = CTL_KEEPALIVE;
		return ctlc_send(c, &m);
	}
	return 0;
}
