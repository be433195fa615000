/*
 * slots: the client's probe schedule as a book of slots, one per scheduled
 * probe, numbered from 0 for the whole run whatever session (or none) sent
 * it. Each slot gets exactly one fate (shared/fates.h); slots settle in slot
 * order as soon as they and every slot before them have one, so the loss
 * episode detector sees the schedule in order even when the slots of a
 * replaced session time out after the first replies of its successor.
 * A fate that changes after settling (a loss's direction learnt later, a
 * late reply) is reported as a refate. Pure: times come in.
 */
#ifndef PM_SLOTS_H
#define PM_SLOTS_H

#include <stdint.h>

#define SLOT_PENDING 255u	/* sent, no outcome yet */

struct slots_events {
	/* rtt_ns is -1 unless the slot was answered with a usable RTT. */
	void (*settled)(void *arg, uint64_t slot, int64_t sent_wall_ns,
	    unsigned fate, int64_t rtt_ns);
	void (*refate)(void *arg, uint64_t slot, int64_t sent_wall_ns,
	    unsigned from, unsigned to);
	void *arg;
};

struct slots;

/* ring_hint: slots that may be unsettled at once (rounded up, at least
 * 4096). NULL when out of memory. */
struct slots *slots_new(uint64_t ring_hint, const struct slots_events *ev);
void slots_free(struct slots *b);
/*
 * A new slot, sent at wall time sent_wall_ns, with fate SLOT_PENDING (a
 * probe in flight) or a final one (PM_FATE_UNSENT). Returns its number.
 * When the ring is full of unsettled slots the oldest is settled as lost.
 */
uint64_t slots_add(struct slots *b, int64_t sent_wall_ns, unsigned fate);
/* The number the next slots_add() returns. */
uint64_t slots_next(const struct slots *b);
/* Slot n's fate is now fate (rtt_ns when answered, else -1), its probe
 * sent at sent_wall_ns. Slots out of the ring or never added are ignored. */
void slots_set(struct slots *b, uint64_t n, unsigned fate, int64_t rtt_ns,
    int64_t sent_wall_ns);
/* Slots settled so far. */
uint64_t slots_settled(const struct slots *b);

#endif
