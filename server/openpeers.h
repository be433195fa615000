/*
 * openpeers: plain STAMP senders (routers, other tools) that the operator
 * allowed by address prefix with --stamp-allow. They skip the control
 * channel, so each (address, port, SSID) gets a small state entry: its own
 * reflector sequence counter (stateful reflection, so loss direction still
 * works for senders that read it) and a token bucket at the server's
 * fastest granted rate. Unauthenticated 44-octet mode, or authenticated
 * with the key from --stamp-key-file when one is configured.
 */
#ifndef PM_OPENPEERS_H
#define PM_OPENPEERS_H

#include <stddef.h>
#include <stdint.h>
#include "net.h"
#include "stamp_auth.h"

struct openpeers;

struct openpeers_stats {
	uint64_t reflected, rate_limited, bad_hmac, malformed, table_full;
};

/* key may be NULL (unauthenticated mode). Returns NULL when out of memory. */
struct openpeers *openpeers_new(const struct net_prefix *pfx, size_t npfx,
    const struct stamp_key *key, uint32_t min_interval_us);
void openpeers_free(struct openpeers *o);
/* Is this source allowed to use the open reflector? */
int openpeers_allowed(const struct openpeers *o, const struct net_addr *from);
/*
 * Check pkt (len octets, from an allowed source) and turn it into the
 * reply in place. Returns 1 when the reply should be sent, 0 to drop.
 */
int openpeers_reflect(struct openpeers *o, uint8_t *pkt, size_t len,
    const struct net_rx *rx, int64_t now_mono, int64_t now_wall);
const struct openpeers_stats *openpeers_stats(const struct openpeers *o);

#endif
