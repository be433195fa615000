/*
 * probe: the client's packet path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clocksync.h"
#include "icmp.h"
#include "log.h"
#include "probe.h"
#include "stamp.h"
#include "timeutil.h"
#include "tls.h"

#define BAD_REPLIES_WARN 10	/* failed replies, none good: say so */
#define SILENT_WARN 10		/* --stamp: probes lost, no reply at all: say so */

int
probe_open(struct probe *p, int family, const struct net_origin *from)
{
	int fd;

	/* Bound now, so the port can go in the OPEN/RENEW request. */
	if ((fd = net_udp_open_from(family, from, NULL)) < 0)
		return fd;
	p->fd = fd;
	if (net_local_addr(fd, &p->local) != 0) {
		close(fd);
		p->fd = -1;
		return PM_E_SYS;
	}
	return 0;
}

/*
 * Once per plain session: probes time out and nothing at all came back. A
 * reflector that is not there, does not know this client, or wants the
 * other mode drops probes in silence, which otherwise looks like a path
 * losing all of them.
 */
static void
probe_silent(struct probe *p)
{
	const struct fate_counts *n = fate_counts(p->fate);
	char addr[NET_ADDRSTRLEN];

	if (!p->plain || p->warned_silent || p->got_reply || p->bad_replies ||
	    n->lost_fwd + n->lost_bwd + n->lost_unknown + n->lost_pending <
	    SILENT_WARN)
		return;
	p->warned_silent = 1;
	net_addr_str(&p->remote, addr, sizeof(addr));
	log_warnx("no reply from %s after %d probes: is it a STAMP reflector, "
	    "does it allow this client (a pktmon server needs --stamp-allow), "
	    "and %s?", addr, SILENT_WARN, p->mode == STAMP_AUTH ?
	    "does it hold this key (--stamp-key-file)" :
	    "does it expect authenticated mode (--stamp-key-file)");
}

/* A probe timed out: the engine hears of it after the check above. */
static void
probe_lost_cb(void *arg, const struct fate_row *row)
{
	struct probe *p = arg;

	probe_silent(p);
	if (p->ev.lost != NULL)
		p->ev.lost(p->ev.arg, row);
}

static int
probe_track(struct probe *p, int64_t timeout_ns, const struct fate_events *ev)
{
	struct fate_events mine = *ev;
	uint64_t ring;

	/* Without transmit stamps RTT starts at the send call: still correct,
	 * a few microseconds longer. */
	p->tx_stamps = net_tx_timestamps(p->fd) == 0;
	p->rx_timestamping = net_rx_timestamping(p->fd);
	/* Room for a raw ICMP reply's IP header, and one octet to show a
	 * reply longer than that. */
	if ((p->rxb = net_batch_new((size_t)p->size + 61)) == NULL ||
	    (p->txbuf = malloc((size_t)p->size * NET_BATCH)) == NULL)
		return PM_E_NOMEM;
	if (net_set_dontfrag(p->fd, p->remote.ss.ss_family) != 0)
		return PM_E_SYS;
	/* The window holds two timeouts of probes plus slack for late replies. */
	ring = (uint64_t)(3 * timeout_ns / (p->interval_ns ? p->interval_ns : 1)) + 64;
	/* The engine's callbacks take the probe as their argument, so its
	 * lost() can pass through here first. */
	p->ev = *ev;
	if (ev->arg == p)
		mine.lost = probe_lost_cb;
	if ((p->fate = fate_new(timeout_ns, ring, &mine)) == NULL)
		return PM_E_NOMEM;
	p->st = PROBE_ACTIVE;
	return 0;
}

int
probe_start(struct probe *p, const struct ctl_grant *g,
    const struct net_addr *server, const struct stamp_key *key,
    int64_t timeout_ns, const struct fate_events *ev)
{
	p->ssid = g->ssid;
	p->size = g->size;
	p->interval_ns = (int64_t)g->interval_us * NS_PER_US;
	p->remote = *server;
	net_addr_set_port(&p->remote, g->udp_port);
	if (net_udp_connect(p->fd, &p->remote) != 0 ||
	    net_local_addr(p->fd, &p->local) != 0)
		return PM_E_SYS;
	p->key = *key;
	p->mode = STAMP_AUTH;
	if ((p->mac = stamp_mac_new(key)) == NULL)
		return PM_E_NOMEM;
	return probe_track(p, timeout_ns, ev);
}

int
probe_start_plain(struct probe *p, const struct net_addr *dest,
    const struct net_origin *from, const struct stamp_key *key, uint16_t size,
    int64_t interval_ns, int64_t timeout_ns, const struct fate_events *ev)
{
	int fd;

	if ((fd = net_udp_open_from(dest->ss.ss_family, from, dest)) < 0)
		return fd;
	p->fd = fd;
	p->plain = 1;
	p->mode = key ? STAMP_AUTH : STAMP_UNAUTH;
	if (key != NULL && (p->mac = stamp_mac_new(key)) == NULL)
		return PM_E_NOMEM;
	p->size = size;
	p->interval_ns = interval_ns;
	p->remote = *dest;
	do {
		if (tls_random(&p->ssid, sizeof(p->ssid)) != 0)
			return PM_E_SYS;
	} while (p->ssid == 0);
	if (net_local_addr(fd, &p->local) != 0)
		return PM_E_SYS;
	return probe_track(p, timeout_ns, ev);
}

int
probe_start_icmp(struct probe *p, const struct net_addr *dest,
    const struct net_origin *from, uint16_t size, int64_t interval_ns,
    int64_t timeout_ns, const struct fate_events *ev)
{
	int raw, fd;

	if ((fd = net_icmp_open(dest->ss.ss_family, from, &raw)) < 0)
		return fd;
	p->fd = fd;
	p->icmp = raw ? 2 : 1;
	p->size = size;
	p->interval_ns = interval_ns;
	p->remote = *dest;
	/* A datagram ICMP socket gets its echo id from the kernel, which also
	 * filters replies by it; a raw socket sees every echo reply, so pick
	 * an id of our own and check it. */
	if (net_udp_connect(fd, dest) != 0 || net_local_addr(fd, &p->local) != 0 ||
	    (raw && tls_random(&p->icmp_id, sizeof(p->icmp_id)) != 0))
		return PM_E_SYS;
	return probe_track(p, timeout_ns, ev);
}

int
probe_set_dscp(struct probe *p, int dscp)
{
	return net_set_dscp(p->fd, p->remote.ss.ss_family, dscp);
}

static int
probe_encode(struct probe *p, uint8_t *pkt, int64_t mono, int64_t wall)
{
	struct stamp_msg m;

	if (p->icmp)
		return icmp_echo_encode(pkt, p->size,
		    p->remote.ss.ss_family == AF_INET6, p->icmp_id,
		    (uint32_t)fate_next_seq(p->fate));
	memset(&m, 0, sizeof(m));
	m.seq = (uint32_t)fate_next_seq(p->fate);
	m.ts = ntp_from_unix_ns(wall);
	m.err_est = clocksync_err_est(mono);
	m.ssid = p->ssid;
	memset(pkt, 0, p->size);
	if (stamp_encode_sender(pkt, p->size, p->mode, &m) != 0 ||
	    (p->mode == STAMP_AUTH && stamp_auth_sign(p->mac, pkt, p->size) != 0))
		return PM_E_FORMAT;
	return 0;
}

/* Move kernel transmit stamps onto the probes they belong to. */
static int
probe_tx_stamps(struct probe *p, int64_t window_ns)
{
	uint32_t id[NET_BATCH];
	int64_t wall[NET_BATCH], mono_now, wall_now;
	int n, i;

	if ((n = net_tx_timestamp_read_batch(p->fd, p->rxb, id, wall)) <= 0 ||
	    p->fate == NULL)
		return n > 0 ? n : 0;
	clock_pair(&mono_now, &wall_now);
	/* A stamp no probe takes would mean the ids went out of step. */
	for (i = 0; i < n; i++)
		if (id[i] >= p->tx_sent || p->tx_sent - id[i] > 1024 ||
		    !fate_tx_time(p->fate, p->tx_seq[id[i] % 1024],
		    mono_now - (wall_now - wall[i]), window_ns))
			p->tx_unmatched++;
	return n;
}

/* Once per session: the probes no longer fit the path (its MTU shrank, or
 * -s asked for more than it carries); they count as lost, and say why. */
static void
probe_too_big(struct probe *p)
{
	int family = p->remote.ss.ss_family, mtu;
	/* IP, then UDP; an ICMP probe's size already has its own header. */
	int hdr = (family == AF_INET6 ? 40 : 20) + (p->icmp ? 0 : 8);

	if (p->warned_mtu)
		return;
	p->warned_mtu = 1;
	if ((mtu = net_path_mtu(p->fd, family)) > hdr)
		log_warnx("probes of %u octets do not fit the path MTU of %d to the "
		    "server: at most %d fit; they count as lost (-s to change)",
		    p->size, mtu, mtu - hdr);
	else
		log_warnx("probes of %u octets are too large for the path; they "
		    "count as lost (-s to change)", p->size);
}

unsigned
probe_send(struct probe *p, unsigned n, uint64_t first_slot)
{
	struct net_tx tx[NET_BATCH];
	uint64_t first_seq;
	int64_t first = mono_ns(), mono, wall, call;
	unsigned i, off = 0, k;
	int r;

	if (n > NET_BATCH)
		n = NET_BATCH;
	first_seq = fate_next_seq(p->fate);
	fate_tag_from(p->fate, first_slot);
	for (i = 0; i < n; i++) {
		uint8_t *pkt = p->txbuf + (size_t)i * p->size;

		/* Each probe's own clock reads: the timestamp on the wire, and
		 * the time its RTT and forward delay start from until the
		 * kernel's transmit stamp (or the send call) moves them. */
		/* The two clocks as one instant: a gap between two plain reads
		 * would come off this probe's forward delay. */
		clock_pair(&mono, &wall);
		if (i == 0)
			first = mono;
		if (probe_encode(p, pkt, mono, wall) != 0)
			break;
		/* Recorded before the call: one the kernel refuses becomes
		 * unsent below, a loss the user must see. */
		fate_sent(p->fate, mono, wall);
		tx[i] = (struct net_tx){ pkt, p->size, NULL, -1 };
	}
	n = i;
	call = mono_ns();
	/* Each datagram is handed to the kernel once. The kernel numbers the
	 * ones it takes 0, 1, 2 ... for their transmit stamps; one it refuses
	 * takes no number (none did for EMSGSIZE on Linux 6), and were one
	 * taken, the window check keeps a neighbour's stamp off the probe.
	 * The kernel stops at a refused one: counted, skipped. */
	while (off < n) {
		r = net_udp_send_batch(p->fd, tx + off, n - off);
		for (k = 0; r > 0 && k < (unsigned)r; k++)
			p->tx_seq[p->tx_sent++ % 1024] = first_seq + off + k;
		if (r > 0)
			off += (unsigned)r;
		if (off >= n)
			break;
		p->send_errors++;
		/* Its errno is only known when it came first in the call. */
		if (r == PM_E_SYS && errno == EMSGSIZE)
			probe_too_big(p);
		(void)net_socket_error(p->fd);
		/* Its slot is kept, with a fate of its own: unsent. */
		fate_unsent(p->fate, first_seq + off);
		off++;
	}
	/* A stamp is a probe's when taken between its encoding and the call's
	 * return (or within half an interval of its encoding). */
	p->tx_window = mono_ns() - first;
	if (p->tx_window < p->interval_ns / 2)
		p->tx_window = p->interval_ns / 2;
	/* A software stamp is taken as the packet leaves, before the call
	 * returns: reading them now spares the event loop a wake-up for the
	 * error queue a moment later. Without stamps, RTTs start at the call. */
	if (p->tx_stamps)
		probe_tx_stamps(p, p->tx_window);
	else
		for (i = 0; i < n; i++)
			fate_tx_time(p->fate, first_seq + i, call, p->tx_window);
	return n;
}

/* Kernel receive time moved onto the monotonic clock, so RTTs never see
 * a wall-clock step: the packet's age in the socket is small and safe. */
static int64_t
rx_mono(const struct net_rx *rx, int64_t now_mono, int64_t now_wall)
{
	int64_t age;

	if (rx->rx_wall_ns == 0)
		return now_mono;
	age = now_wall - rx->rx_wall_ns;
	if (age < 0 || age > NS_PER_SEC)
		return now_mono;
	return now_mono - age;
}

static void
probe_one_icmp(struct probe *p, const uint8_t *pkt, int n,
    const struct net_rx *rx, int64_t rx_at, probe_reply_cb cb, void *arg)
{
	struct icmp_reply r;
	enum fate_rx kind;
	int64_t rtt = -1;
	uint64_t seq = 0;
	int v6 = p->remote.ss.ss_family == AF_INET6;

	if (icmp_echo_decode(pkt, (size_t)n, v6, p->icmp == 2 && !v6, &r) != 0 ||
	    (p->icmp == 2 && r.id != p->icmp_id))
		return;
	if (r.ttl < 0)
		r.ttl = rx->ttl;
	kind = fate_reply(p->fate, r.seq, -1, rx_at,
	    0, r.ttl, NULL, &seq, &rtt);
	if (kind != FATE_RX_STALE)
		cb(arg, p, seq, rtt, r.ttl, kind, NULL);
}

/*
 * One-way delays when both ends said, in this very exchange, that their
 * clock is synchronised: our S bit comes back in the copied sender Error
 * Estimate, the reflector's in its own.
 */
static struct fate_owd *
probe_owd(struct probe *p, const struct stamp_msg *m, const struct net_rx *rx,
    struct fate_owd *owd)
{
	int64_t rx_wall = rx->rx_wall_ns ? rx->rx_wall_ns : wall_ns();

	if (!(m->err_est & STAMP_EE_S))
		p->peer_unsynced++;
	if (!(m->sender_err_est & STAMP_EE_S))
		p->local_unsynced++;
	if (!(m->err_est & STAMP_EE_S) || !(m->sender_err_est & STAMP_EE_S))
		return NULL;
	owd->fwd_ns = ntp_to_unix_ns(m->rx_ts) - ntp_to_unix_ns(m->sender_ts);
	owd->bwd_ns = rx_wall - ntp_to_unix_ns(m->ts);
	return owd;
}

/*
 * Once per session: replies keep coming and none passes the checks. With
 * --stamp that is most often the wrong key, which would otherwise look
 * like a path losing every probe.
 */
static void
probe_all_bad(struct probe *p)
{
	char addr[NET_ADDRSTRLEN];

	net_addr_str(&p->remote, addr, sizeof(addr));
	log_warnx("%s: %d replies failed the size, SSID or HMAC check and none "
	    "passed; they count as lost%s", addr, BAD_REPLIES_WARN, p->plain &&
	    p->mode == STAMP_AUTH ? " (is --stamp-key-file the reflector's key?)" :
	    p->plain ? " (is it a STAMP reflector, and unauthenticated?)" : "");
}

static void
probe_one(struct probe *p, const uint8_t *pkt, int n, const struct net_rx *rx,
    int64_t rx_at, probe_reply_cb cb, void *arg)
{
	struct stamp_msg m;
	struct fate_owd owd;
	struct fate_owd *owdp;
	enum fate_rx kind;
	int64_t rtt = -1, dwell;
	uint64_t seq = 0;

	/* A plain RFC 8762 reflector may leave the SSID field zero. What fails
	 * a check is counted, never trusted: it may be an attack or a broken
	 * middlebox, and its sequence number cannot mark any probe. */
	if (n != (int)p->size || stamp_decode_reflector(pkt, (size_t)n,
	    p->mode, &m) != 0 || (m.ssid != p->ssid && !(p->plain && m.ssid == 0)) ||
	    (p->mode == STAMP_AUTH && stamp_auth_verify(p->mac, pkt, (size_t)n) != 0)) {
		if (++p->bad_replies == BAD_REPLIES_WARN && !p->got_reply)
			probe_all_bad(p);
		return;
	}
	dwell = ntp_to_unix_ns(m.ts) - ntp_to_unix_ns(m.rx_ts);
	owdp = probe_owd(p, &m, rx, &owd);
	/* A plain reflector may be stateless (its seq copies ours): without
	 * the control channel its numbering cannot be trusted for direction. */
	kind = fate_reply(p->fate, m.sender_seq, p->plain ? -1 : (int64_t)m.seq,
	    rx_at, dwell, rx->ttl, owdp, &seq, &rtt);
	if (kind == FATE_RX_STALE)
		return;
	if (!p->got_reply)
		p->got_reply = 1;
	cb(arg, p, seq, rtt, rx->ttl, kind, owdp);
}

unsigned
probe_recv(struct probe *p, int readable, int errqueue, probe_reply_cb cb,
    void *arg)
{
	int64_t now_mono, now_wall;
	int i, n;

	if (p->rxb == NULL)
		return 0;	/* opening: nothing is ours yet */
	/* No stamp behind the error flag: an ICMP error (the reflector's port
	 * closed). Take it, or the flag stays up and wakes the loop again. */
	if (errqueue && (!p->tx_stamps || probe_tx_stamps(p, p->tx_window) == 0))
		(void)net_socket_error(p->fd);
	if (!readable)
		return 0;
	if ((n = net_udp_recv_batch(p->fd, p->rxb)) < 0) {
		/* ICMP unreachable from a connected socket: soft. */
		if (n != PM_E_AGAIN)
			(void)net_socket_error(p->fd);
		return 0;
	}
	/* One clock read for the batch: each reply's own kernel stamp says
	 * how long it waited since. */
	clock_pair(&now_mono, &now_wall);
	for (i = 0; i < n; i++) {
		const uint8_t *pkt = p->rxb->buf + (size_t)i * p->rxb->size;
		const struct net_rx *rx = &p->rxb->rx[i];
		int len = p->rxb->len[i];

		if (rx->dropped > p->host_drops)
			p->host_drops = rx->dropped;
		if (p->fate == NULL)
			continue;
		/* Longer than any reply (truncated): not ours. A raw ICMP
		 * socket also sees other programs' larger echo replies. */
		if ((size_t)len >= p->rxb->size) {
			if (!p->icmp)
				p->bad_replies++;
		} else if (p->icmp)
			probe_one_icmp(p, pkt, len, rx, rx_mono(rx, now_mono,
			    now_wall), cb, arg);
		else
			probe_one(p, pkt, len, rx, rx_mono(rx, now_mono, now_wall),
			    cb, arg);
	}
	return (unsigned)n;
}

void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	stamp_key_wipe(&p->key);
	stamp_mac_free(p->mac);
	fate_free(p->fate);
	net_batch_free(p->rxb);
	free(p->txbuf);
	free(p);
}
