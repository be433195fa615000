/*
 * preauth: sources in a chained hash table (<sys/queue.h>), each with its
 * connections oldest first, so a source's count and oldest are at hand and
 * only the search for the busiest source walks the sources.
 */
#include <sys/queue.h>
#include <netinet/in.h>

#include <stdlib.h>

#include "preauth.h"

struct psrc;

struct preauth_ent {
	TAILQ_ENTRY(preauth_ent) link;
	struct psrc *src;
	void *owner;
};

TAILQ_HEAD(ent_head, preauth_ent);

struct psrc {
	LIST_ENTRY(psrc) chain;		/* its hash bucket */
	TAILQ_ENTRY(psrc) all;		/* every source */
	struct net_addr host;		/* port 0 */
	unsigned n;
	struct ent_head ents;		/* oldest first */
};

LIST_HEAD(src_bucket, psrc);
TAILQ_HEAD(src_list, psrc);

struct preauth {
	unsigned max_total, max_per_src, n;
	size_t nb;			/* buckets, a power of two */
	struct src_bucket *b;
	struct src_list srcs;
};

struct preauth *
preauth_new(unsigned max_total, unsigned max_per_src)
{
	struct preauth *p = calloc(1, sizeof(*p));
	size_t i;

	if (p == NULL)
		return NULL;
	for (p->nb = 16; p->nb < max_total;)
		p->nb *= 2;
	if ((p->b = calloc(p->nb, sizeof(*p->b))) == NULL) {
		free(p);
		return NULL;
	}
	for (i = 0; i < p->nb; i++)
		LIST_INIT(&p->b[i]);
	TAILQ_INIT(&p->srcs);
	p->max_total = max_total;
	p->max_per_src = max_per_src;
	return p;
}

void
preauth_free(struct preauth *p)
{
	struct psrc *s;

	if (p == NULL)
		return;
	/* A source goes with its last entry. */
	while ((s = TAILQ_FIRST(&p->srcs)) != NULL)
		preauth_remove(p, TAILQ_FIRST(&s->ents));
	free(p->b);
	free(p);
}

static struct net_addr
host_of(const struct net_addr *a)
{
	struct net_addr h = *a;

	net_addr_set_port(&h, 0);
	return h;
}

static size_t
host_bucket(const struct preauth *p, const struct net_addr *h)
{
	const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)&h->ss)->sin_addr;
	uint32_t x = 2166136261u;	/* FNV-1a */
	size_t i, n = 4;

	if (h->ss.ss_family == AF_INET6) {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)&h->ss)->sin6_addr;
		n = 16;
	}
	for (i = 0; i < n; i++)
		x = (x ^ b[i]) * 16777619u;
	return x & (p->nb - 1);
}

static struct psrc *
src_find(const struct preauth *p, const struct net_addr *addr)
{
	struct net_addr h = host_of(addr);
	struct psrc *s;

	LIST_FOREACH(s, &p->b[host_bucket(p, &h)], chain)
		if (net_addr_equal(&s->host, &h))
			return s;
	return NULL;
}

unsigned
preauth_from(const struct preauth *p, const struct net_addr *addr)
{
	const struct psrc *s = src_find(p, addr);

	return s != NULL ? s->n : 0;
}

unsigned
preauth_count(const struct preauth *p)
{
	return p->n;
}

enum preauth_verdict
preauth_judge(const struct preauth *p, const struct net_addr *addr,
    void **victim)
{
	const struct psrc *s, *top = NULL;
	unsigned mine = preauth_from(p, addr);

	*victim = NULL;
	if (mine >= p->max_per_src)
		return PREAUTH_REFUSE_SOURCE;
	if (p->n < p->max_total)
		return PREAUTH_ADMIT;
	TAILQ_FOREACH(s, &p->srcs, all)
		if (top == NULL || s->n > top->n)
			top = s;
	/* Two fewer, not one: else two flooders would take turns. */
	if (top == NULL || mine + 1 >= top->n)
		return PREAUTH_REFUSE_FULL;
	*victim = TAILQ_FIRST(&top->ents)->owner;
	return PREAUTH_EVICT;
}

struct preauth_ent *
preauth_add(struct preauth *p, const struct net_addr *addr, void *owner)
{
	struct psrc *s = src_find(p, addr);
	struct preauth_ent *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			free(e);
			return NULL;
		}
		s->host = host_of(addr);
		TAILQ_INIT(&s->ents);
		LIST_INSERT_HEAD(&p->b[host_bucket(p, &s->host)], s, chain);
		TAILQ_INSERT_TAIL(&p->srcs, s, all);
	}
	e->src = s;
	e->owner = owner;
	TAILQ_INSERT_TAIL(&s->ents, e, link);
	s->n++;
	p->n++;
	return e;
}

void
preauth_remove(struct preauth *p, struct preauth_ent *e)
{
	struct psrc *s;

	if (e == NULL)
		return;
	s = e->src;
	TAILQ_REMOVE(&s->ents, e, link);
	free(e);
	p->n--;
	if (--s->n == 0) {
		LIST_REMOVE(s, chain);
		TAILQ_REMOVE(&p->srcs, s, all);
		free(s);
	}
}
