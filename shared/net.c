/*
 * net: socket set-up and the datagram receive path with its ancillary data.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "parse.h"

#define UDP_RCVBUF (16 * 1024 * 1024)	/* 0.2 s of probes at 100,000/s */
#define NET_TS_RX (SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE)
#define NET_TS_TX (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | \
    SOF_TIMESTAMPING_OPT_TSONLY)
#define NET_CMSG_LEN 512	/* a transmit stamp with its error and address */

int
net_resolve_af(const char *host, uint16_t port, int socktype, int family,
    struct net_addr *out, int max)
{
	struct addrinfo hints, *res, *ai;
	char svc[8];
	int n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	/* No AI_ADDRCONFIG: it hides ::1 on hosts without global IPv6, and
	 * callers try every address anyway. */
	snprintf(svc, sizeof(svc), "%u", port);
	if (getaddrinfo(host, svc, &hints, &res) != 0 || res == NULL)
		return PM_E_NOTFOUND;
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(out[n].ss))
			continue;
		memcpy(&out[n].ss, ai->ai_addr, ai->ai_addrlen);
		out[n++].len = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	return n > 0 ? n : PM_E_NOTFOUND;
}

int
net_resolve_all(const char *host, uint16_t port, int socktype,
    struct net_addr *out, int max)
{
	return net_resolve_af(host, port, socktype, AF_UNSPEC, out, max);
}

int
net_addr_parse(const char *s, struct net_addr *out)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_DGRAM;
	if (s == NULL || getaddrinfo(s, NULL, &hints, &res) != 0 || res == NULL)
		return PM_E_FORMAT;
	if (res->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		return PM_E_FORMAT;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
net_resolve(const char *host, uint16_t port, int socktype, struct net_addr *out)
{
	int n = net_resolve_all(host, port, socktype, out, 1);

	return n < 0 ? n : 0;
}

void
net_addr_host(const struct net_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

	if ((a->ss.ss_family == AF_INET6 ?
	    inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len) :
	    inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)len)) == NULL)
		snprintf(buf, len, "?");
}

void
net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	net_addr_host(a, ip, sizeof(ip));
	snprintf(buf, len, a->ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
	    net_addr_port(a));
}

uint16_t
net_addr_port(const struct net_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

void
net_addr_set_port(struct net_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
}

int
net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
	return a4->sin_port == b4->sin_port &&
	    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
}

int
net_prefix_parse(const char *s, struct net_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint32_t bits;
	int max;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return PM_E_FORMAT;
	strcpy(buf, s);
	memset(p, 0, sizeof(*p));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6, max = 128;
	else
		return PM_E_FORMAT;
	if (slash == NULL)
		bits = (uint32_t)max;
	else if (parse_u32(slash, 0, (uint32_t)max, &bits) != 0)
		return PM_E_FORMAT;
	p->bits = bits;
	return 0;
}

int
net_prefix_match(const struct net_prefix *p, const struct net_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	const uint8_t *ip;
	unsigned full, rest;

	if (a->ss.ss_family == AF_INET6) {
		ip = s6->sin6_addr.s6_addr;
		if (p->family == AF_INET && memcmp(ip, mapped, 12) == 0)
			ip += 12;
		else if (p->family != AF_INET6)
			return 0;
	} else if (a->ss.ss_family == AF_INET && p->family == AF_INET)
		ip = (const uint8_t *)&s4->sin_addr.s_addr;
	else
		return 0;
	full = p->bits / 8;
	rest = p->bits % 8;
	if (memcmp(ip, p->addr, full) != 0)
		return 0;
	return rest == 0 ||
	    ((ip[full] ^ p->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static int
net_setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) == 0 ? 0 : PM_E_SYS;
}

static int
net_fail(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
	return PM_E_SYS;
}

int
net_tcp_listen(const struct net_addr *a)
{
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return PM_E_SYS;
	if (net_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	    net_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) != 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 ||
	    listen(fd, 1024) != 0)
		return net_fail(fd);
	return fd;
}

int
net_tcp_accept(int lfd, struct net_addr *peer)
{
	int fd;

	peer->len = sizeof(peer->ss);
	fd = accept4(lfd, (struct sockaddr *)&peer->ss, &peer->len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? PM_E_AGAIN : PM_E_SYS;
	(void)net_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	return fd;
}

int
net_ifname_exists(const char *name)
{
	return name != NULL && strlen(name) < NET_IFNAMSIZ &&
	    if_nametoindex(name) != 0;
}

/* from's interface, and its TTL when ttl is set, on a new socket. */
static int
net_origin_set(int fd, int family, const struct net_origin *from, int ttl)
{
	if (from == NULL)
		return 0;
	if (from->ifname[0] != '\0' && setsockopt(fd, SOL_SOCKET,
	    SO_BINDTODEVICE, from->ifname, (socklen_t)strlen(from->ifname)) != 0)
		return PM_E_SYS;
	if (ttl && from->ttl > 0 && (family == AF_INET6 ?
	    net_setopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, from->ttl) :
	    net_setopt(fd, IPPROTO_IP, IP_TTL, from->ttl)) != 0)
		return PM_E_SYS;
	return 0;
}

/* from's source address, if it has one. */
static int
net_origin_bind(int fd, const struct net_origin *from)
{
	if (from == NULL || from->src.len == 0)
		return 0;
	return bind(fd, (const struct sockaddr *)&from->src.ss, from->src.len) == 0 ?
	    0 : PM_E_SYS;
}

int
net_tcp_connect(const struct net_addr *a, int timeout_ms)
{
	return net_tcp_connect_from(a, NULL, timeout_ms);
}

int
net_tcp_connect_from(const struct net_addr *a, const struct net_origin *from,
    int timeout_ms)
{
	struct pollfd pfd;
	int fd, err;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return PM_E_SYS;
	(void)net_setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	/* The port is chosen at connect, with the peer known: a source address
	 * alone does not use up a port of its own. */
	if (from != NULL && from->src.len > 0)
		(void)net_setopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	if (net_origin_set(fd, a->ss.ss_family, from, 0) != 0 ||
	    net_origin_bind(fd, from) != 0)
		return net_fail(fd);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		return net_fail(fd);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		close(fd);
		errno = ETIMEDOUT;
		return PM_E_TIMEOUT;
	}
	if ((err = net_socket_error(fd)) != 0) {
		close(fd);
		errno = err;
		return PM_E_SYS;
	}
	return fd;
}

static int
net_udp_options(int fd, int family)
{
	int r = 0;

	/* Receive buffer: bursts must not look like network loss. */
	(void)net_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, UDP_RCVBUF);
	(void)net_setopt(fd, SOL_SOCKET, SO_RCVBUF, UDP_RCVBUF);
	/* Software receive stamps by SO_TIMESTAMPING, the interface transmit
	 * stamps share; SO_TIMESTAMPNS where a kernel refuses it. */
	if (net_setopt(fd, SOL_SOCKET, SO_TIMESTAMPING, NET_TS_RX) != 0)
		r |= net_setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	r |= net_setopt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
	if (family == AF_INET6) {
		r |= net_setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		r |= net_setopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
	} else {
		r |= net_setopt(fd, IPPROTO_IP, IP_RECVTTL, 1);
		r |= net_setopt(fd, IPPROTO_IP, IP_RECVTOS, 1);
	}
	return r ? PM_E_SYS : 0;
}

int
net_udp_open(int family, const struct net_addr *bind_to,
    const struct net_addr *connect_to)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return PM_E_SYS;
	if (net_udp_options(fd, family) != 0)
		return net_fail(fd);
	if (bind_to != NULL &&
	    bind(fd, (const struct sockaddr *)&bind_to->ss, bind_to->len) != 0)
		return net_fail(fd);
	if (connect_to != NULL && net_udp_connect(fd, connect_to) != 0)
		return net_fail(fd);
	return fd;
}

int
net_udp_open_from(int family, const struct net_origin *from,
    const struct net_addr *connect_to)
{
	struct net_addr any;
	const struct net_addr *b = &any;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return PM_E_SYS;
	net_addr_any(&any, family);
	if (from != NULL && from->src.len > 0)
		b = &from->src;
	if (net_udp_options(fd, family) != 0 ||
	    net_origin_set(fd, family, from, 1) != 0 ||
	    bind(fd, (const struct sockaddr *)&b->ss, b->len) != 0)
		return net_fail(fd);
	if (connect_to != NULL && net_udp_connect(fd, connect_to) != 0)
		return net_fail(fd);
	return fd;
}

int
net_icmp_open(int family, const struct net_origin *from, int *raw)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd;

	*raw = 0;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0 && (errno == EACCES || errno == EPERM ||
	    errno == EPROTONOSUPPORT)) {
		*raw = 1;
		fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	}
	if (fd < 0)
		return PM_E_SYS;
	if (net_udp_options(fd, family) != 0 ||
	    net_origin_set(fd, family, from, 1) != 0 ||
	    net_origin_bind(fd, from) != 0)
		return net_fail(fd);
	return fd;
}

static void
net_rx_cmsgs(struct msghdr *msg, struct net_rx *rx)
{
	struct scm_timestamping tss;
	struct cmsghdr *c;
	struct timespec ts;
	int v;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			rx->rx_wall_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		} else if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPING) {
			/* ts[0] is the software stamp; zero when none was taken. */
			memcpy(&tss, CMSG_DATA(c), sizeof(tss));
			if (tss.ts[0].tv_sec != 0 || tss.ts[0].tv_nsec != 0)
				rx->rx_wall_ns = (int64_t)tss.ts[0].tv_sec *
				    1000000000LL + tss.ts[0].tv_nsec;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&rx->dropped, CMSG_DATA(c), sizeof(rx->dropped));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			rx->tos = *(const uint8_t *)CMSG_DATA(c);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			rx->tos = v;
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			rx->ttl = v;
		}
	}
}

/* Fresh fields for datagram i's receive. */
static void
net_batch_arm(struct net_batch *b, unsigned i, int data)
{
	struct msghdr *h = &b->m[i].msg_hdr;

	memset(h, 0, sizeof(*h));
	if (data) {
		b->iov[i].iov_base = b->buf + (size_t)i * b->size;
		b->iov[i].iov_len = b->size;
		h->msg_iov = &b->iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &b->rx[i].from.ss;
		h->msg_namelen = sizeof(b->rx[i].from.ss);
	}
	h->msg_control = b->cmsg + (size_t)i * NET_CMSG_LEN;
	h->msg_controllen = NET_CMSG_LEN;
}

struct net_batch *
net_batch_new(size_t size)
{
	struct net_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->size = size;
	b->buf = malloc(size * NET_BATCH);
	b->cmsg = malloc((size_t)NET_CMSG_LEN * NET_BATCH);
	if (b->buf == NULL || b->cmsg == NULL) {
		net_batch_free(b);
		return NULL;
	}
	return b;
}

void
net_batch_free(struct net_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b->cmsg);
	free(b);
}

int
net_udp_recv_batch(int fd, struct net_batch *b)
{
	unsigned i;
	int n;

	for (i = 0; i < NET_BATCH; i++)
		net_batch_arm(b, i, 1);
	/* MSG_TRUNC: each length is the datagram's own, so callers see oversize. */
	if ((n = recvmmsg(fd, b->m, NET_BATCH, MSG_TRUNC | MSG_DONTWAIT, NULL)) < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? PM_E_AGAIN : PM_E_SYS;
	for (i = 0; i < (unsigned)n; i++) {
		struct net_rx *rx = &b->rx[i];

		rx->from.len = b->m[i].msg_hdr.msg_namelen;
		rx->rx_wall_ns = 0;
		rx->ttl = -1;
		rx->tos = -1;
		rx->dropped = 0;	/* sent only once it is non-zero */
		net_rx_cmsgs(&b->m[i].msg_hdr, rx);
		b->len[i] = b->m[i].msg_len > INT32_MAX ? INT32_MAX :
		    (int)b->m[i].msg_len;
	}
	return n;
}

int
net_udp_connect(int fd, const struct net_addr *to)
{
	return connect(fd, (const struct sockaddr *)&to->ss, to->len) == 0 ?
	    0 : PM_E_SYS;
}

void
net_addr_any(struct net_addr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->ss.ss_family = (sa_family_t)family;
	a->len = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

int
net_udp_send_batch(int fd, const struct net_tx *tx, unsigned n)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		size_t align;	/* a cmsghdr's alignment */
	} cbuf[NET_BATCH];
	struct mmsghdr m[NET_BATCH];
	struct iovec iov[NET_BATCH];
	unsigned i;
	int r;

	if (n > NET_BATCH)
		n = NET_BATCH;
	memset(m, 0, n * sizeof(m[0]));
	for (i = 0; i < n; i++) {
		struct msghdr *h = &m[i].msg_hdr;
		struct cmsghdr *c;

		iov[i].iov_base = (void *)(uintptr_t)tx[i].buf;
		iov[i].iov_len = tx[i].len;
		h->msg_iov = &iov[i];
		h->msg_iovlen = 1;
		if (tx[i].to != NULL) {
			h->msg_name = (void *)(uintptr_t)&tx[i].to->ss;
			h->msg_namelen = tx[i].to->len;
		}
		if (tx[i].tos < 0)
			continue;
		memset(&cbuf[i], 0, sizeof(cbuf[i]));
		h->msg_control = cbuf[i].b;
		h->msg_controllen = sizeof(cbuf[i].b);
		c = CMSG_FIRSTHDR(h);
		c->cmsg_len = CMSG_LEN(sizeof(int));
		c->cmsg_level = tx[i].to != NULL && tx[i].to->ss.ss_family ==
		    AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
		c->cmsg_type = c->cmsg_level == IPPROTO_IPV6 ? IPV6_TCLASS : IP_TOS;
		memcpy(CMSG_DATA(c), &tx[i].tos, sizeof(int));
	}
	/* The kernel stops at the first datagram it refuses and says how many
	 * went before it (that one's error is lost, unless it was the first). */
	if ((r = sendmmsg(fd, m, n, MSG_DONTWAIT)) < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? PM_E_AGAIN : PM_E_SYS;
	return r;
}

int
net_tx_timestamps(int fd)
{
	/* Added to the receive stamps: the option sets every flag at once. */
	int flags = NET_TS_TX | SOF_TIMESTAMPING_SOFTWARE |
	    (net_rx_timestamping(fd) ? NET_TS_RX : 0);

	return net_setopt(fd, SOL_SOCKET, SO_TIMESTAMPING, flags);
}

int
net_rx_timestamping(int fd)
{
	socklen_t len = sizeof(int);
	int flags = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, &len) != 0)
		return 0;
	return (flags & SOF_TIMESTAMPING_RX_SOFTWARE) != 0;
}

/* A transmit stamp's id and time: 0, or PM_E_FORMAT for an ICMP error. */
static int
net_tx_stamp_parse(struct msghdr *msg, uint32_t *id, int64_t *wall_ns)
{
	struct scm_timestamping ts;
	struct sock_extended_err ee;
	struct cmsghdr *c;
	int have_ts = 0, have_id = 0;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			*wall_ns = (int64_t)ts.ts[0].tv_sec * 1000000000LL +
			    ts.ts[0].tv_nsec;
			have_ts = 1;
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
				*id = ee.ee_data;
				have_id = 1;
			}
		}
	}
	return have_ts && have_id ? 0 : PM_E_FORMAT;
}

int
net_tx_timestamp_read_batch(int fd, struct net_batch *b, uint32_t *id,
    int64_t *wall_ns)
{
	unsigned i, k = 0;
	int n;

	for (i = 0; i < NET_BATCH; i++)
		net_batch_arm(b, i, 0);
	if ((n = recvmmsg(fd, b->m, NET_BATCH, MSG_ERRQUEUE | MSG_DONTWAIT,
	    NULL)) <= 0)
		return PM_E_AGAIN;
	/* Anything else on the error queue (an ICMP error) is read and dropped. */
	for (i = 0; i < (unsigned)n; i++)
		if (net_tx_stamp_parse(&b->m[i].msg_hdr, &id[k], &wall_ns[k]) == 0)
			k++;
	return (int)k;
}

int
net_set_dscp(int fd, int family, int dscp)
{
	int tos = (dscp & 0x3f) << 2;

	if (family == AF_INET6)
		return net_setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
	return net_setopt(fd, IPPROTO_IP, IP_TOS, tos);
}

int
net_local_addr(int fd, struct net_addr *out)
{
	out->len = sizeof(out->ss);
	return getsockname(fd, (struct sockaddr *)&out->ss, &out->len) == 0 ?
	    0 : PM_E_SYS;
}

int
net_set_dontfrag(int fd, int family)
{
	/* Probes must cross the path whole: a probe larger than the path MTU
	 * fails at the send (EMSGSIZE) instead of going out in fragments,
	 * whose loss and reassembly would be measured as the path's. */
	if (family == AF_INET6)
		return net_setopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO);
	return net_setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
}

int
net_path_mtu(int fd, int family)
{
	socklen_t len = sizeof(int);
	int mtu = 0;

	if (getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &len) != 0)
		return PM_E_SYS;
	return mtu;
}

int
net_socket_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return errno;
	return err;
}
