/*
 * reflector: the server's UDP hot path. A stateful STAMP reflector that
 * answers only probe sessions registered over the control channel, only to
 * the registered address and port, after the length and HMAC checks, with a
 * replay window and a token bucket per session. Everything else is dropped
 * and counted; dropped plain STAMP is also said in the log, once per source
 * and reason every 10 minutes, so a refused sender can learn why.
 */
#ifndef PM_REFLECTOR_H
#define PM_REFLECTOR_H

#include <stdint.h>
#include "net.h"
#include "stamp_auth.h"

struct reflector;

struct refl_stats {
	uint64_t reflected, bad_length, unknown_ssid, bad_hmac, wrong_source;
	uint64_t replayed, rate_limited, impaired, send_errors;
	uint64_t host_drops;	/* SO_RXQ_OVFL: datagrams the socket dropped, buffer full */
};

/* Terms of one probe session as registered by the control channel. */
struct refl_terms {
	uint16_t ssid;
	struct net_addr peer;	/* the only address replies go to */
	struct stamp_key key;	/* copied; wiped on removal */
	uint16_t size;		/* exact probe length */
	uint32_t interval_us;	/* granted rate: one probe per interval */
};

/*
 * fd: the bound UDP socket (the reflector reads and writes it, never
 * closes). max_size: the largest probe any session may be granted; longer
 * datagrams are dropped before their SSID is read.
 */
struct reflector *refl_new(int fd, uint16_t max_size);
void refl_free(struct reflector *r);

/* A free SSID (non-zero, unused), chosen at random; 0 when the table is full. */
uint16_t refl_pick_ssid(struct reflector *r);
int refl_add(struct reflector *r, const struct refl_terms *t) PM_MUST_CHECK;
/* Remove a session; its final counts go to received/reflected if non-NULL. */
void refl_remove(struct reflector *r, uint16_t ssid, uint64_t *received,
    uint64_t *reflected);
unsigned refl_count(const struct reflector *r);
/* Probes accepted so far on session ssid (0 for none). */
uint64_t refl_received(const struct reflector *r, uint16_t ssid);

/* Read and answer what is queued on the socket (bounded per call). */
void refl_on_readable(struct reflector *r);
const struct refl_stats *refl_stats(const struct reflector *r);

struct openpeers;
/* Also answer plain STAMP senders from allowed prefixes (--stamp-allow). */
void refl_set_open(struct reflector *r, struct openpeers *o);

/* Test-only impairment: drop every probe of the sessions that exist now. */
void refl_impair_all(struct reflector *r, int on);

#endif
