/*
 * reflector: session table indexed directly by SSID (65,535 slots of one
 * pointer), so a lookup is one load, whatever the number of clients.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "err.h"
#include "log.h"
#include "openpeers.h"
#include "reflector.h"
#include "stamp.h"
#include "timeutil.h"
#include "tls.h"

#define REFL_ROUNDS 4	/* batches of NET_BATCH per wake-up, at most */
#define REPLAY_WORDS 16		/* 1,024-probe replay window */
#define REPLAY_BITS (REPLAY_WORDS * 64)
/*
 * Token bucket: 10 % over the granted rate in the long run, with a burst of
 * a quarter second of probes (at least 32), which Poisson spacing and a
 * client catching up after a stall stay within.
 */
#define BUCKET_MIN_BURST 32.0
#define BUCKET_BURST_SEC 0.25
/*
 * Plain STAMP that is dropped is said in the log, once per source address
 * and reason every PLAIN_NOTE_NS: a sender refused in silence sees only
 * 100 % loss. The table is fixed; a source that finds its neighbourhood
 * full of fresh entries goes unsaid, so spoofed sources write at most
 * PLAIN_NOTES lines per period.
 */
#define PLAIN_NOTES 256		/* power of two */
#define PLAIN_PROBE 4
#define PLAIN_NOTE_NS (600 * NS_PER_SEC)

enum plain_why {
	PLAIN_NO_ALLOW,		/* the server has no --stamp-allow */
	PLAIN_NOT_COVERED,	/* no --stamp-allow prefix covers the source */
	PLAIN_UNAUTH,		/* unauthenticated, but a key is configured */
	PLAIN_BAD_HMAC,
	PLAIN_MALFORMED,	/* an Error Estimate multiplier of 0 */
	PLAIN_RATE,
	PLAIN_TABLE_FULL,
};

struct plain_note {
	uint8_t addr[16];
	uint8_t family;		/* 0: free */
	uint8_t why;
	int64_t at;		/* monotonic time it was last said */
};

struct refl_sess {
	struct refl_terms t;
	struct stamp_mac *mac;
	uint64_t received;	/* accepted probes: also the next reply seq */
	uint64_t reflected;
	uint64_t replay_hi;	/* 1 + highest sender seq accepted, 0 if none */
	uint64_t replay[REPLAY_WORDS];
	double tokens, burst, rate;
	int64_t tb_last;
	int impaired;
	int dscp;		/* TOS of the replies: -2 until the first probe */
};

struct reflector {
	int fd;
	uint16_t max_size;
	struct openpeers *open;
	unsigned n;
	struct refl_stats st;
	struct refl_sess *tab[65536];
	struct net_batch *b;		/* received datagrams, answered in place */
	struct plain_note notes[PLAIN_NOTES];
};

struct reflector *
refl_new(int fd, uint16_t max_size)
{
	struct reflector *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	/* One octet more than any session's size, so a longer datagram shows. */
	if ((r->b = net_batch_new((size_t)max_size + 1)) == NULL) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->max_size = max_size;
	return r;
}

void
refl_free(struct reflector *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 1; i < 65536; i++)
		if (r->tab[i] != NULL)
			refl_remove(r, (uint16_t)i, NULL, NULL);
	net_batch_free(r->b);
	free(r);
}

uint16_t
refl_pick_ssid(struct reflector *r)
{
	uint16_t v;
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if (tls_random(&v, sizeof(v)) != 0)
			return 0;
		if (v != 0 && r->tab[v] == NULL)
			return v;
	}
	for (v = 1; v != 0; v++)
		if (r->tab[v] == NULL)
			return v;
	return 0;
}

int
refl_add(struct reflector *r, const struct refl_terms *t)
{
	struct refl_sess *s;

	if (t->ssid == 0 || r->tab[t->ssid] != NULL)
		return PM_E_LIMIT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return PM_E_NOMEM;
	s->t = *t;
	if ((s->mac = stamp_mac_new(&t->key)) == NULL) {
		stamp_key_wipe(&s->t.key);
		free(s);
		return PM_E_NOMEM;
	}
	s->rate = 1.1e6 / (t->interval_us ? t->interval_us : 1);
	/* From the interval, not rate / 1.1, which rounds a quarter second
	 * of probes down by one (249.99... at 1,000/s). */
	s->burst = 1e6 / (t->interval_us ? t->interval_us : 1) * BUCKET_BURST_SEC;
	if (s->burst < BUCKET_MIN_BURST)
		s->burst = BUCKET_MIN_BURST;
	s->tokens = s->burst;
	s->tb_last = 0;	/* set by the first probe */
	s->dscp = -2;
	r->tab[t->ssid] = s;
	r->n++;
	return 0;
}

void
refl_remove(struct reflector *r, uint16_t ssid, uint64_t *received,
    uint64_t *reflected)
{
	struct refl_sess *s = r->tab[ssid];

	if (s == NULL)
		return;
	if (received != NULL)
		*received = s->received;
	if (reflected != NULL)
		*reflected = s->reflected;
	stamp_key_wipe(&s->t.key);
	stamp_mac_free(s->mac);
	free(s);
	r->tab[ssid] = NULL;
	r->n--;
}

unsigned
refl_count(const struct reflector *r)
{
	return r->n;
}

uint64_t
refl_received(const struct reflector *r, uint16_t ssid)
{
	return r->tab[ssid] != NULL ? r->tab[ssid]->received : 0;
}

/* WireGuard-style sliding bitmap: 0 if seq is new (and records it). */
static int
replay_check(struct refl_sess *s, uint32_t seq32)
{
	uint64_t ref = s->replay_hi + (1ULL << 31), seq = (ref & ~0xffffffffULL) | seq32;
	uint64_t i;

	if (seq >= ref)
		seq = seq >= (1ULL << 32) ? seq - (1ULL << 32) : seq;
	/* The window is the newest and the 1,023 before it: the slot of the
	 * oldest of them is reused only when replay_hi moves past it. */
	if (seq + REPLAY_BITS < s->replay_hi)
		return -1;	/* older than the window */
	for (i = s->replay_hi; i <= seq && i < s->replay_hi + REPLAY_BITS; i++)
		s->replay[(i / 64) % REPLAY_WORDS] &= ~(1ULL << (i % 64));
	if (seq >= s->replay_hi)
		s->replay_hi = seq + 1;
	if (s->replay[(seq / 64) % REPLAY_WORDS] & (1ULL << (seq % 64)))
		return -1;
	s->replay[(seq / 64) % REPLAY_WORDS] |= 1ULL << (seq % 64);
	return 0;
}

static int
bucket_take(struct refl_sess *s, int64_t now)
{
	/* Refilled by the packets' kernel arrival times, not by when the
	 * server got round to them: a stalled server must not count probes
	 * that arrived in time as over the rate. A clock step back adds none. */
	if (s->tb_last != 0 && now > s->tb_last)
		s->tokens += (double)(now - s->tb_last) / 1e9 * s->rate;
	s->tb_last = now;
	if (s->tokens > s->burst)
		s->tokens = s->burst;
	if (s->tokens < 1.0)
		return -1;
	s->tokens -= 1.0;
	return 0;
}

void
refl_set_open(struct reflector *r, struct openpeers *o)
{
	r->open = o;
}

/*
 * Answers leave one by one, as soon as each is signed: its transmit
 * timestamp is written just before, and a reply held back for the rest of
 * its batch would carry that wait into the client's RTT.
 */
static void
refl_send(struct reflector *r, struct refl_sess *s, const uint8_t *pkt,
    size_t len, const struct net_addr *to, int tos)
{
	struct net_tx tx = { pkt, len, to, tos };

	if (net_udp_send_batch(r->fd, &tx, 1) != 1) {
		(void)net_socket_error(r->fd);
		r->st.send_errors++;
		return;
	}
	if (s != NULL)
		s->reflected++;
	r->st.reflected++;
}

/* The source address as a note's key (the port is left out). */
static void
plain_key(const struct net_addr *a, struct plain_note *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)a->ss.ss_family;
	if (a->ss.ss_family == AF_INET6)
		memcpy(k->addr, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, 16);
	else
		memcpy(k->addr, &((const struct sockaddr_in *)&a->ss)->sin_addr, 4);
}

/* 1 when a drop from this source for this reason is to be said now. */
static int
plain_note_due(struct reflector *r, const struct net_addr *from,
    enum plain_why why, int64_t now)
{
	struct plain_note k, *n, *reuse = NULL;
	uint32_t h = 2166136261u ^ (uint32_t)why, i;

	plain_key(from, &k);
	for (i = 0; i < sizeof(k.addr); i++)
		h = (h ^ k.addr[i]) * 16777619u;	/* FNV-1a */
	for (i = 0; i < PLAIN_PROBE; i++) {
		n = &r->notes[(h + i) & (PLAIN_NOTES - 1)];
		if (n->family == k.family && n->why == (uint8_t)why &&
		    memcmp(n->addr, k.addr, sizeof(k.addr)) == 0) {
			if (now - n->at < PLAIN_NOTE_NS)
				return 0;
			n->at = now;
			return 1;
		}
		if (reuse == NULL && (n->family == 0 || now - n->at >= PLAIN_NOTE_NS))
			reuse = n;
	}
	if (reuse == NULL)
		return 0;
	*reuse = k;
	reuse->why = (uint8_t)why;
	reuse->at = now;
	return 1;
}

static const char *
plain_why_str(enum plain_why why)
{
	switch (why) {
	case PLAIN_NO_ALLOW:
		return "not allowed: this server has no --stamp-allow, so it "
		    "answers only the sessions of its own clients";
	case PLAIN_NOT_COVERED:
		return "not allowed: no --stamp-allow prefix covers this source";
	case PLAIN_UNAUTH:
		return "unauthenticated, but --stamp-key-file admits only "
		    "authenticated senders (112 octets and more, HMAC with its key)";
	case PLAIN_BAD_HMAC:
		return "its HMAC does not match the --stamp-key-file key (another "
		    "key, or sent unauthenticated)";
	case PLAIN_MALFORMED:
		return "malformed (an Error Estimate multiplier of 0)";
	case PLAIN_RATE:
		return "faster than the server's --min-interval allows (the excess "
		    "is dropped)";
	case PLAIN_TABLE_FULL:
		return "the server's table of plain STAMP senders is full";
	}
	return "?";
}

/* Say why a plain STAMP packet was dropped, if not said lately. */
static void
plain_drop(struct reflector *r, const struct net_rx *rx, size_t len,
    const struct stamp_msg *m, enum plain_why why)
{
	char host[NET_ADDRSTRLEN], ssid[48] = "";

	if (!plain_note_due(r, &rx->from, why, mono_ns()))
		return;
	net_addr_host(&rx->from, host, sizeof(host));
	/* An authenticated-size packet may be a pktmon probe of a session
	 * that has ended: say so rather than call it plain for certain. */
	if (m != NULL)
		snprintf(ssid, sizeof(ssid), ", SSID %u, no session of this "
		    "server", (unsigned)m->ssid);
	log_info("dropped plain STAMP from %s (%zu octets%s): %s; said once "
	    "per source and reason every %d minutes", host, len, ssid,
	    plain_why_str(why), (int)(PLAIN_NOTE_NS / NS_PER_SEC / 60));
}

/*
 * Which of openpeers' checks dropped pkt, from its counters. A packet of
 * unauthenticated size that decodes as one fell to the authenticated mode;
 * one that does not is no STAMP packet (-1: not worth a line).
 */
static int
plain_open_why(const struct openpeers_stats *was,
    const struct openpeers_stats *now, const uint8_t *pkt, size_t len)
{
	struct stamp_msg m;

	if (now->rate_limited != was->rate_limited)
		return PLAIN_RATE;
	if (now->bad_hmac != was->bad_hmac)
		return PLAIN_BAD_HMAC;
	if (now->table_full != was->table_full)
		return PLAIN_TABLE_FULL;
	if (now->malformed == was->malformed || len < STAMP_UNAUTH_LEN)
		return -1;
	if (len < STAMP_AUTH_LEN &&
	    stamp_decode_sender(pkt, len, STAMP_UNAUTH, &m) == 0)
		return PLAIN_UNAUTH;
	return PLAIN_MALFORMED;
}

/* A datagram that is no registered session's: an allowed plain sender's? */
static void
refl_open(struct reflector *r, uint8_t *pkt, size_t len, const struct net_rx *rx)
{
	struct openpeers_stats was = *openpeers_stats(r->open);
	int why;

	if (openpeers_reflect(r->open, pkt, len, rx, mono_ns(), wall_ns())) {
		refl_send(r, NULL, pkt, len, &rx->from,
		    rx->tos >= 0 ? rx->tos & 0xfc : -1);
		return;
	}
	if ((why = plain_open_why(&was, openpeers_stats(r->open), pkt, len)) >= 0)
		plain_drop(r, rx, len, NULL, (enum plain_why)why);
}

/*
 * STAMP from a source --stamp-allow does not let in. m is the packet read
 * as authenticated (its SSID unknown), or NULL: then only a packet that
 * reads as unauthenticated STAMP is said, not any stray datagram.
 */
static void
refl_closed(struct reflector *r, const uint8_t *pkt, size_t len,
    const struct net_rx *rx, const struct stamp_msg *m)
{
	struct stamp_msg u;

	if (m == NULL && stamp_decode_sender(pkt, len, STAMP_UNAUTH, &u) != 0)
		return;
	plain_drop(r, rx, len, m, r->open == NULL ? PLAIN_NO_ALLOW :
	    PLAIN_NOT_COVERED);
}

/* The checks, cheapest first; NULL means drop in silence. */
static struct refl_sess *
refl_admit(struct reflector *r, uint8_t *pkt, size_t len,
    const struct net_rx *rx, struct stamp_msg *m)
{
	struct refl_sess *s = NULL;

	if (len > r->max_size)
		return r->st.bad_length++, NULL;
	int decoded = len >= STAMP_AUTH_LEN &&
	    stamp_decode_sender(pkt, len, STAMP_AUTH, m) == 0;

	if (decoded)
		s = r->tab[m->ssid];
	if (s == NULL && r->open != NULL && openpeers_allowed(r->open, &rx->from)) {
		refl_open(r, pkt, len, rx);
		return NULL;
	}
	/* Too short, or malformed (an Error Estimate multiplier of 0). */
	if (!decoded) {
		refl_closed(r, pkt, len, rx, NULL);
		return r->st.bad_length++, NULL;
	}
	if (s == NULL) {
		refl_closed(r, pkt, len, rx, m);
		return r->st.unknown_ssid++, NULL;
	}
	if (len != s->t.size)
		return r->st.bad_length++, NULL;
	if (stamp_auth_verify(s->mac, pkt, len) != 0)
		return r->st.bad_hmac++, NULL;
	if (!net_addr_equal(&rx->from, &s->t.peer))
		return r->st.wrong_source++, NULL;
	if (replay_check(s, m->seq) != 0)
		return r->st.replayed++, NULL;
	if (bucket_take(s, rx->rx_wall_ns ? rx->rx_wall_ns : wall_ns()) != 0)
		return r->st.rate_limited++, NULL;
	if (s->impaired)
		return r->st.impaired++, NULL;
	return s;
}

static void
refl_answer(struct reflector *r, struct refl_sess *s, uint8_t *pkt, size_t len,
    const struct stamp_msg *in, const struct net_rx *rx)
{
	struct stamp_msg out;

	stamp_reply_init(&out, in, (uint32_t)s->received++,
	    ntp_from_unix_ns(rx->rx_wall_ns ? rx->rx_wall_ns : wall_ns()),
	    rx->ttl, clocksync_err_est(mono_ns()));
	out.ts = ntp_from_unix_ns(wall_ns());
	/* Octets past the base stay as received: the reply is the same size. */
	if (stamp_encode_reflector(pkt, len, STAMP_AUTH, &out) != 0 ||
	    stamp_auth_sign(s->mac, pkt, len) != 0)
		return;
	/* Replies carry the DSCP of the session's first probe (ECN bits
	 * clear), so both directions see the same class of service, and a
	 * remarking hop on the way in shows as a change, not followed. */
	if (s->dscp == -2)
		s->dscp = rx->tos >= 0 ? rx->tos & 0xfc : -1;
	/* Class 0 is the socket's own: no per-datagram option to parse. */
	refl_send(r, s, pkt, len, &s->t.peer, s->dscp > 0 ? s->dscp : -1);
}

void
refl_on_readable(struct reflector *r)
{
	struct stamp_msg m;
	struct refl_sess *s;
	int i, n, round;

	/* A bounded number of batches per call, so the control channel and
	 * timers get their turn under a flood. */
	for (round = 0; round < REFL_ROUNDS; round++) {
		n = net_udp_recv_batch(r->fd, r->b);
		if (n == PM_E_AGAIN)
			return;
		if (n < 0) {
			/* ICMP errors from a vanished client surface here: soft. */
			(void)net_socket_error(r->fd);
			continue;
		}
		for (i = 0; i < n; i++) {
			uint8_t *pkt = r->b->buf + (size_t)i * r->b->size;
			const struct net_rx *rx = &r->b->rx[i];
			size_t len = (size_t)r->b->len[i];

			/* The kernel's running count: a client sees these as
			 * forward loss, so the server must say they were its own. */
			if (rx->dropped > r->st.host_drops)
				r->st.host_drops = rx->dropped;
			if ((s = refl_admit(r, pkt, len, rx, &m)) != NULL)
				refl_answer(r, s, pkt, len, &m, rx);
		}
		if (n < NET_BATCH)
			return;
	}
}

const struct refl_stats *
refl_stats(const struct reflector *r)
{
	return &r->st;
}

void
refl_impair_all(struct reflector *r, int on)
{
	unsigned i;

	for (i = 1; i < 65536; i++)
		if (r->tab[i] != NULL)
			r->tab[i]->impaired = on;
}
