/*
 * linger: one list of lingering sessions, oldest first (<sys/queue.h>), so
 * the linger time runs out from the head and a cap drops an identity's
 * oldest. Lookups walk the list: it holds at most max_sessions per
 * identity, and is read only when a connection ends or a CLOSE misses.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "linger.h"
#include "timeutil.h"

struct lentry {
	TAILQ_ENTRY(lentry) link;
	struct linger_sess s;
	int64_t until;			/* the linger time runs out */
	char *id;
};

TAILQ_HEAD(lhead, lentry);

struct linger_table {
	struct lhead q;
	int64_t linger_ns, idle_ns;
	unsigned per_id, n;
};

struct linger_table *
linger_new(int64_t linger_ns, int64_t idle_ns, unsigned per_id)
{
	struct linger_table *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	TAILQ_INIT(&l->q);
	l->linger_ns = linger_ns;
	l->idle_ns = idle_ns;
	l->per_id = per_id ? per_id : 1;
	return l;
}

static void
lentry_free(struct linger_table *l, struct lentry *e)
{
	TAILQ_REMOVE(&l->q, e, link);
	l->n--;
	free(e->id);
	free(e);
}

void
linger_free(struct linger_table *l)
{
	if (l == NULL)
		return;
	while (!TAILQ_EMPTY(&l->q))
		lentry_free(l, TAILQ_FIRST(&l->q));
	free(l);
}

int
linger_add(struct linger_table *l, const char *id, const struct linger_sess *s,
    int64_t now, uint16_t *dropped)
{
	struct lentry *e, *x, *oldest = NULL;
	unsigned mine = 0;

	*dropped = 0;
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->id = strdup(id)) == NULL) {
		free(e);
		return PM_E_NOMEM;
	}
	e->s = *s;
	e->until = now + l->linger_ns;
	TAILQ_FOREACH(x, &l->q, link)
		if (strcmp(x->id, id) == 0 && mine++ == 0)
			oldest = x;
	if (mine >= l->per_id) {
		*dropped = oldest->s.ssid;
		lentry_free(l, oldest);
	}
	TAILQ_INSERT_TAIL(&l->q, e, link);
	l->n++;
	return 0;
}

int
linger_take(struct linger_table *l, const char *id, uint16_t ssid)
{
	struct lentry *e;

	TAILQ_FOREACH(e, &l->q, link)
		if (e->s.ssid == ssid && strcmp(e->id, id) == 0) {
			lentry_free(l, e);
			return 1;
		}
	return 0;
}

/* Idle: no probe for idle_ns, or three of its intervals if longer. */
static int
lentry_idle(const struct linger_table *l, struct lentry *e, int64_t now, uint64_t n)
{
	int64_t idle = 3 * (int64_t)e->s.interval_us * NS_PER_US;

	if (idle < l->idle_ns)
		idle = l->idle_ns;
	if (n != e->s.seen) {
		e->s.seen = n;
		e->s.active_at = now;
		return 0;
	}
	return now - e->s.active_at > idle;
}

void
linger_tick(struct linger_table *l, int64_t now,
    uint64_t (*received)(void *arg, uint16_t ssid),
    void (*drop)(void *arg, uint16_t ssid, enum linger_end why), void *arg)
{
	struct lentry *e, *next;
	enum linger_end why;
	uint16_t ssid;

	for (e = TAILQ_FIRST(&l->q); e != NULL; e = next) {
		next = TAILQ_NEXT(e, link);
		if (now > e->until)
			why = LINGER_EXPIRED;
		else if (lentry_idle(l, e, now, received(arg, e->s.ssid)))
			why = LINGER_IDLE;
		else
			continue;
		ssid = e->s.ssid;
		lentry_free(l, e);
		drop(arg, ssid, why);
	}
}

uint16_t
linger_pop(struct linger_table *l)
{
	struct lentry *e = TAILQ_FIRST(&l->q);
	uint16_t ssid;

	if (e == NULL)
		return 0;
	ssid = e->s.ssid;
	lentry_free(l, e);
	return ssid;
}

unsigned
linger_count(const struct linger_table *l)
{
	return l->n;
}
