/*
 * preauth: admission of connections that have not yet authenticated. Caps
 * them in all and per source address (the port is ignored), and when every
 * slot is taken decides whether a newcomer may push out the oldest
 * connection of the busiest source. Pure bookkeeping over addresses: no
 * sockets, no clock; the caller owns the connections and closes the ones
 * this module names.
 */
#ifndef PM_PREAUTH_H
#define PM_PREAUTH_H

#include "net.h"

struct preauth;
struct preauth_ent;	/* one tracked connection */

enum preauth_verdict {
	PREAUTH_ADMIT,		/* a slot is free */
	PREAUTH_EVICT,		/* admit after the caller closes *victim */
	PREAUTH_REFUSE_SOURCE,	/* its source holds max_per_src already */
	PREAUTH_REFUSE_FULL,	/* every slot taken, no source to take one from */
};

/* NULL when out of memory. */
struct preauth *preauth_new(unsigned max_total, unsigned max_per_src);
/* Forgets every entry (the caller's connections are its own). */
void preauth_free(struct preauth *p);

/*
 * What to do with a newcomer from addr. With PREAUTH_EVICT, *victim is the
 * owner (see preauth_add) of the busiest source's oldest connection, taken
 * only if addr's source would still hold fewer than it: so a flood from a
 * few addresses, each within its own cap, cannot lock everyone else out,
 * and the flooders cannot push each other out.
 */
enum preauth_verdict preauth_judge(const struct preauth *p,
    const struct net_addr *addr, void **victim);
/* Track a connection from addr; owner is what preauth_judge names. NULL
 * when out of memory. */
struct preauth_ent *preauth_add(struct preauth *p, const struct net_addr *addr,
    void *owner);
/* Stop tracking e (authenticated or closed); NULL is a no-op. */
void preauth_remove(struct preauth *p, struct preauth_ent *e);
unsigned preauth_count(const struct preauth *p);
/* Connections tracked from addr's source. */
unsigned preauth_from(const struct preauth *p, const struct net_addr *addr);

#endif
