/*
 * openpeers: an open-addressed table of recent plain STAMP peers.
 */
#include <stdlib.h>
#include <string.h>

#include "clocksync.h"
#include "openpeers.h"
#include "stamp.h"
#include "timeutil.h"

#define PEERS_SLOTS 4096		/* power of two */
#define PEERS_PROBE 8			/* slots tried per lookup */
#define PEER_IDLE_NS (60 * NS_PER_SEC)	/* a silent peer's slot is reusable */
#define PEER_BURST 32.0

struct peer {
	struct net_addr from;
	uint16_t ssid;
	int used;
	int64_t last;
	uint32_t seq;			/* this peer's reflector sequence */
	double tokens;
};

struct openpeers {
	struct net_prefix *pfx;
	size_t npfx;
	struct stamp_mac *mac;		/* NULL: unauthenticated */
	double rate;			/* probes/s per peer, with 10 % headroom */
	struct openpeers_stats st;
	struct peer slots[PEERS_SLOTS];
};

struct openpeers *
openpeers_new(const struct net_prefix *pfx, size_t npfx,
    const struct stamp_key *key, uint32_t min_interval_us)
{
	struct openpeers *o = calloc(1, sizeof(*o));

	if (o == NULL || (o->pfx = calloc(npfx ? npfx : 1, sizeof(*pfx))) == NULL) {
		free(o);
		return NULL;
	}
	memcpy(o->pfx, pfx, npfx * sizeof(*pfx));
	o->npfx = npfx;
	if (key != NULL && (o->mac = stamp_mac_new(key)) == NULL) {
		free(o->pfx);
		free(o);
		return NULL;
	}
	o->rate = 1.1e6 / (min_interval_us ? min_interval_us : 1);
	return o;
}

void
openpeers_free(struct openpeers *o)
{
	if (o == NULL)
		return;
	stamp_mac_free(o->mac);
	free(o->pfx);
	free(o);
}

int
openpeers_allowed(const struct openpeers *o, const struct net_addr *from)
{
	size_t i;

	for (i = 0; i < o->npfx; i++)
		if (net_prefix_match(&o->pfx[i], from))
			return 1;
	return 0;
}

static uint32_t
peer_hash(const struct net_addr *a, uint16_t ssid)
{
	const uint8_t *p = (const uint8_t *)&a->ss;
	uint32_t h = 2166136261u ^ ssid;
	socklen_t i;

	for (i = 0; i < a->len; i++)
		h = (h ^ p[i]) * 16777619u;	/* FNV-1a */
	return h;
}

/* The peer's entry, a fresh one, or NULL when the neighbourhood is full. */
static struct peer *
peer_get(struct openpeers *o, const struct net_addr *from, uint16_t ssid,
    int64_t now)
{
	uint32_t h = peer_hash(from, ssid), i;
	struct peer *p, *free_slot = NULL;

	for (i = 0; i < PEERS_PROBE; i++) {
		p = &o->slots[(h + i) & (PEERS_SLOTS - 1)];
		if (p->used && p->ssid == ssid && net_addr_equal(&p->from, from))
			return p;
		if (free_slot == NULL && (!p->used || now - p->last > PEER_IDLE_NS))
			free_slot = p;
	}
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = 1;
	free_slot->from = *from;
	free_slot->ssid = ssid;
	free_slot->tokens = PEER_BURST;
	free_slot->last = now;
	return free_slot;
}

static int
peer_take(struct openpeers *o, struct peer *p, int64_t now)
{
	p->tokens += (double)(now - p->last) / 1e9 * o->rate;
	if (p->tokens > PEER_BURST)
		p->tokens = PEER_BURST;
	p->last = now;
	if (p->tokens < 1.0)
		return -1;
	p->tokens -= 1.0;
	return 0;
}

int
openpeers_reflect(struct openpeers *o, uint8_t *pkt, size_t len,
    const struct net_rx *rx, int64_t now_mono, int64_t now_wall)
{
	enum stamp_mode mode = o->mac != NULL ? STAMP_AUTH : STAMP_UNAUTH;
	struct stamp_msg in, out;
	struct peer *p;

	if (stamp_decode_sender(pkt, len, mode, &in) != 0)
		return o->st.malformed++, 0;
	if (o->mac != NULL && stamp_auth_verify(o->mac, pkt, len) != 0)
		return o->st.bad_hmac++, 0;
	if ((p = peer_get(o, &rx->from, in.ssid, now_mono)) == NULL)
		return o->st.table_full++, 0;
	if (peer_take(o, p, now_mono) != 0)
		return o->st.rate_limited++, 0;
	stamp_reply_init(&out, &in, p->seq++,
	    ntp_from_unix_ns(rx->rx_wall_ns ? rx->rx_wall_ns : now_wall),
	    rx->ttl, clocksync_err_est(now_mono));
	out.ts = ntp_from_unix_ns(wall_ns());
	if (stamp_encode_reflector(pkt, len, mode, &out) != 0 ||
	    (o->mac != NULL && stamp_auth_sign(o->mac, pkt, len) != 0))
		return 0;
	o->st.reflected++;
	return 1;
}

const struct openpeers_stats *
openpeers_stats(const struct openpeers *o)
{
	return &o->st;
}
