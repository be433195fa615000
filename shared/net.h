/*
 * net: every socket(), bind(), setsockopt() and recvmsg() cmsg parse in
 * pktmon (chrony socket.c, redis anet.c). Addresses are sockaddr_storage;
 * the printable form is "ip:port" or "[ip6]:port".
 */
#ifndef PM_NET_H
#define PM_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "err.h"

#define NET_ADDRSTRLEN 64

struct net_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* What recvmsg told about one datagram. */
struct net_rx {
	struct net_addr from;
	int64_t rx_wall_ns;	/* kernel receive time; 0 if the kernel gave none */
	int ttl;		/* IPv4 TTL / IPv6 hop limit, -1 if unknown */
	uint32_t dropped;	/* SO_RXQ_OVFL: datagrams the socket dropped so far */
	int tos;		/* IPv4 TOS / IPv6 traffic class, -1 if unknown */
};

/* Resolve host and port (numeric or name) to the first usable address. */
int net_resolve(const char *host, uint16_t port, int socktype,
    struct net_addr *out) PM_MUST_CHECK;
/* Every address of host (up to max), in getaddrinfo's order; the count or PM_E_NOTFOUND. */
int net_resolve_all(const char *host, uint16_t port, int socktype,
    struct net_addr *out, int max) PM_MUST_CHECK;
/* The same, of family only (AF_INET, AF_INET6; AF_UNSPEC for any). */
int net_resolve_af(const char *host, uint16_t port, int socktype, int family,
    struct net_addr *out, int max) PM_MUST_CHECK;
/* A numeric IPv4 or IPv6 address (no name lookup), port 0; PM_E_FORMAT if not one. */
int net_addr_parse(const char *s, struct net_addr *out) PM_MUST_CHECK;
void net_addr_str(const struct net_addr *a, char *buf, size_t len);
/* The address alone: "192.0.2.1", "2001:db8::1" (no brackets, no port). */
void net_addr_host(const struct net_addr *a, char *buf, size_t len);
uint16_t net_addr_port(const struct net_addr *a);
void net_addr_set_port(struct net_addr *a, uint16_t port);
/* Same address family, IP and port? */
int net_addr_equal(const struct net_addr *a, const struct net_addr *b);

/* An address prefix such as 192.0.2.0/24 or 2001:db8::/32. */
struct net_prefix {
	int family;
	uint8_t addr[16];
	unsigned bits;
};

/* Parse "ADDR/BITS" or a bare address (a host prefix). */
int net_prefix_parse(const char *s, struct net_prefix *p) PM_MUST_CHECK;
/* Does a's IP fall in p? (IPv4-mapped IPv6 addresses match IPv4 prefixes.) */
int net_prefix_match(const struct net_prefix *p, const struct net_addr *a);

/*
 * Where a client's connections and probes start from (-4/-6, -I, --source,
 * --ttl). family limits name resolution (AF_UNSPEC: any). The interface and
 * the source address apply to every socket opened with the origin, the TTL
 * to probe sockets only: a control connection that expires on the way would
 * end the run, not measure it.
 */
#define NET_IFNAMSIZ 16		/* IFNAMSIZ, with its NUL */
struct net_origin {
	int family;
	char ifname[NET_IFNAMSIZ];	/* SO_BINDTODEVICE; "" = any interface */
	struct net_addr src;		/* source address, port 0; len 0 = the kernel's choice */
	int ttl;			/* IPv4 TTL / IPv6 hop limit; 0 = the system's */
};
/* 1 when the system has an interface of that name. */
int net_ifname_exists(const char *name);

int net_tcp_listen(const struct net_addr *a) PM_MUST_CHECK;
/* Non-blocking accepted socket, or PM_E_AGAIN, or PM_E_SYS. */
int net_tcp_accept(int lfd, struct net_addr *peer) PM_MUST_CHECK;
/* Connect within timeout_ms; returns a non-blocking socket or PM_E_*. */
int net_tcp_connect(const struct net_addr *a, int timeout_ms) PM_MUST_CHECK;
/* The same from the interface and source address of from (NULL: any). */
int net_tcp_connect_from(const struct net_addr *a, const struct net_origin *from,
    int timeout_ms) PM_MUST_CHECK;

/*
 * A non-blocking UDP socket with kernel receive timestamps, TTL reporting
 * and drop counting. bind_to may be NULL (any address of family, port 0);
 * connect_to may be NULL (unconnected).
 */
int net_udp_open(int family, const struct net_addr *bind_to,
    const struct net_addr *connect_to) PM_MUST_CHECK;
/*
 * The same for a probe: bound at once (to from's source address, or any
 * address of family, port 0), on from's interface, sending with from's TTL.
 * from may be NULL.
 */
int net_udp_open_from(int family, const struct net_origin *from,
    const struct net_addr *connect_to) PM_MUST_CHECK;
/*
 * An ICMP echo socket toward family: an unprivileged datagram socket where
 * net.ipv4.ping_group_range allows it, else a raw socket (needs root or
 * CAP_NET_RAW). *raw tells which. Same options as net_udp_open, and
 * from's interface, source address and TTL (from may be NULL).
 */
int net_icmp_open(int family, const struct net_origin *from, int *raw)
    PM_MUST_CHECK;
/*
 * Datagrams move NET_BATCH at a time, one system call for the lot
 * (recvmmsg, sendmmsg): at 100,000 probes/s the calls, not the packets,
 * are most of the cost.
 */
#define NET_BATCH 64

/* Room to receive NET_BATCH datagrams of up to size octets each. */
struct net_batch {
	size_t size;
	uint8_t *buf;			/* datagram i at buf + i * size */
	int len[NET_BATCH];		/* its real length: > size when truncated */
	struct net_rx rx[NET_BATCH];
	struct mmsghdr m[NET_BATCH];
	struct iovec iov[NET_BATCH];
	char *cmsg;
};
struct net_batch *net_batch_new(size_t size);
void net_batch_free(struct net_batch *b);
/* What the socket holds, up to NET_BATCH: the count, PM_E_AGAIN or PM_E_SYS. */
int net_udp_recv_batch(int fd, struct net_batch *b) PM_MUST_CHECK;

/* One datagram to send: to NULL on a connected socket, tos -1 for the default. */
struct net_tx {
	const void *buf;
	size_t len;
	const struct net_addr *to;
	int tos;
};
/*
 * Send up to NET_BATCH datagrams in one call: how many went, from the
 * first. Fewer when the kernel refused one: it is then tx[returned], and
 * its error is lost (sendmmsg's contract) unless it was tx[0], which gives
 * PM_E_AGAIN or PM_E_SYS with errno. tos >= 0 needs to (its family picks
 * IP_TOS or IPV6_TCLASS).
 */
int net_udp_send_batch(int fd, const struct net_tx *tx, unsigned n) PM_MUST_CHECK;
/*
 * Software transmit timestamps (SO_TIMESTAMPING with OPT_ID): the kernel
 * queues one per datagram sent, numbered 0, 1, 2 ... on the error queue.
 */
int net_tx_timestamps(int fd) PM_MUST_CHECK;
/*
 * The transmit timestamps queued so far (up to NET_BATCH, b's cmsg room
 * used): their count with id[] and wall_ns[] filled, or PM_E_AGAIN.
 */
int net_tx_timestamp_read_batch(int fd, struct net_batch *b, uint32_t *id,
    int64_t *wall_ns);
/* 1 when receive stamps come by SO_TIMESTAMPING, 0 by SO_TIMESTAMPNS. */
int net_rx_timestamping(int fd);
/* DSCP (0..63) on every datagram the socket sends. */
int net_set_dscp(int fd, int family, int dscp) PM_MUST_CHECK;
/* Fix the peer of a UDP socket: the kernel then drops datagrams from others. */
int net_udp_connect(int fd, const struct net_addr *to) PM_MUST_CHECK;
/* The wildcard address of family, port 0. */
void net_addr_any(struct net_addr *a, int family);
int net_local_addr(int fd, struct net_addr *out) PM_MUST_CHECK;
/* Take a pending socket error (SO_ERROR) so a soft ICMP error does not stick. */
/* Never fragment this socket's datagrams (IP_PMTUDISC_DO / IPV6_PMTUDISC_DO). */
int net_set_dontfrag(int fd, int family) PM_MUST_CHECK;
/* The path MTU the kernel knows for a connected socket, or PM_E_SYS. */
int net_path_mtu(int fd, int family);
int net_socket_error(int fd);

#endif
