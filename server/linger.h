/*
 * linger: probe sessions whose control connection ended without the client
 * closing them. They stay registered with the reflector for a while, so a
 * client cut off by a path outage still has its probes answered when the
 * path returns, and once reconnected can CLOSE them for their final counts.
 * Pure bookkeeping: no sockets and no clock reads; the caller passes the
 * time and the reflector's counts, and removes from the reflector every
 * SSID this table lets go of.
 */
#ifndef PM_LINGER_H
#define PM_LINGER_H

#include <stdint.h>
#include "err.h"

struct linger_table;

/* What a session brings along from its connection. */
struct linger_sess {
	uint16_t ssid;
	uint32_t interval_us;	/* granted: a slow session may be quiet longer */
	uint64_t seen;		/* reflector's received count at active_at */
	int64_t active_at;	/* when that count last moved */
};

enum linger_end {
	LINGER_EXPIRED,		/* the linger time passed */
	LINGER_IDLE,		/* no probe for the idle time */
};

/*
 * linger_ns: how long a session stays; idle_ns: it goes earlier after
 * that long without a probe (or three of its intervals, if longer);
 * per_id: sessions one identity may leave behind (the oldest goes first).
 * NULL when out of memory.
 */
struct linger_table *linger_new(int64_t linger_ns, int64_t idle_ns, unsigned per_id);
/* Forgets every entry (the caller removes them from the reflector first). */
void linger_free(struct linger_table *l);

/*
 * Keep s for identity id from now. When id already leaves per_id
 * sessions behind, its oldest is forgotten and its SSID written to
 * *dropped (else 0). PM_E_NOMEM: nothing kept, nothing dropped.
 */
int linger_add(struct linger_table *l, const char *id, const struct linger_sess *s,
    int64_t now, uint16_t *dropped) PM_MUST_CHECK;
/* Does id leave ssid behind? If so it is forgotten (the caller closes it). */
int linger_take(struct linger_table *l, const char *id, uint16_t ssid);

/*
 * Let go of every session due at now: drop(arg, ssid, why) for each, after
 * it is forgotten. received(arg, ssid) is the reflector's count, so a
 * session still being probed is not idle.
 */
void linger_tick(struct linger_table *l, int64_t now,
    uint64_t (*received)(void *arg, uint16_t ssid),
    void (*drop)(void *arg, uint16_t ssid, enum linger_end why), void *arg);
/* The oldest session, forgotten, or 0 when empty (for shutting down). */
uint16_t linger_pop(struct linger_table *l);
unsigned linger_count(const struct linger_table *l);

#endif
