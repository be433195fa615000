/*
 * slots: a ring of slots with a settle cursor.
 */
#include <stdlib.h>

#include "fates.h"
#include "slots.h"

#define SLOTS_MIN 4096
#define SLOTS_MAX (1u << 23)

struct entry {
	uint64_t n;
	int64_t wall;
	int64_t rtt;
	uint8_t fate;
};

struct slots {
	struct slots_events ev;
	struct entry *ring;
	uint64_t mask;
	uint64_t next;		/* next slot number */
	uint64_t cursor;	/* every slot below has settled */
};

struct slots *
slots_new(uint64_t ring_hint, const struct slots_events *ev)
{
	struct slots *b = calloc(1, sizeof(*b));
	uint64_t size = SLOTS_MIN;

	if (b == NULL)
		return NULL;
	while (size < ring_hint && size < SLOTS_MAX)
		size <<= 1;
	if ((b->ring = calloc(size, sizeof(*b->ring))) == NULL) {
		free(b);
		return NULL;
	}
	b->mask = size - 1;
	b->ev = *ev;
	return b;
}

void
slots_free(struct slots *b)
{
	if (b == NULL)
		return;
	free(b->ring);
	free(b);
}

static void
settle(struct slots *b)
{
	struct entry *e;

	for (; b->cursor < b->next; b->cursor++) {
		e = &b->ring[b->cursor & b->mask];
		if (e->fate == SLOT_PENDING)
			break;
		if (b->ev.settled != NULL)
			b->ev.settled(b->ev.arg, e->n, e->wall, e->fate, e->rtt);
	}
}

uint64_t
slots_add(struct slots *b, int64_t sent_wall_ns, unsigned fate)
{
	struct entry *e;

	/* Full of unsettled slots: the oldest can wait no longer. */
	if (b->next - b->cursor > b->mask) {
		e = &b->ring[b->cursor & b->mask];
		if (e->fate == SLOT_PENDING)
			e->fate = PM_FATE_LOST;
		settle(b);
	}
	e = &b->ring[b->next & b->mask];
	e->n = b->next;
	e->wall = sent_wall_ns;
	e->rtt = -1;
	e->fate = (uint8_t)(fate < PM_FATES ? fate : SLOT_PENDING);
	b->next++;
	settle(b);
	return e->n;
}

uint64_t
slots_next(const struct slots *b)
{
	return b->next;
}

void
slots_set(struct slots *b, uint64_t n, unsigned fate, int64_t rtt_ns,
    int64_t sent_wall_ns)
{
	struct entry *e;
	unsigned from;

	if (n >= b->next || b->next - n > b->mask + 1 || fate >= PM_FATES)
		return;
	e = &b->ring[n & b->mask];
	if (e->n != n)
		return;
	from = e->fate;
	e->fate = (uint8_t)fate;
	e->rtt = rtt_ns;
	e->wall = sent_wall_ns;
	if (n < b->cursor) {
		if (from != fate && b->ev.refate != NULL)
			b->ev.refate(b->ev.arg, n, e->wall, from, fate);
		return;
	}
	settle(b);
}

uint64_t
slots_settled(const struct slots *b)
{
	return b->cursor;
}
