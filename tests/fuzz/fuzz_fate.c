/*
 * Fuzz target for the loss accounting: fate.c (per-session fates and
 * directions), slots.c (the schedule's book) and episode.c (the one
 * episode rule), driven by a script of sends, refused sends, replies in any
 * order with any reflector numbering, clock ticks and a close. Whatever the
 * peer and the clock do, every probe ends with exactly one fate, no counter
 * wraps, every slot settles exactly once and in order, and an episode never
 * counts more losses than slots.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../client/fate.c"
#include "../../client/slots.c"
#include "../../shared/episode.c"
#include "../../shared/fates.c"

#define MS 1000000LL

struct world {
	struct slots *book;
	struct episode_det *det;
	uint64_t settled, next_expected;
	uint64_t episodes_open, episodes_closed;
};

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
on_row(void *arg, const struct fate_row *row)
{
	struct world *w = arg;

	check(row->fate != FATE_PENDING);
	slots_set(w->book, row->tag, (unsigned)row->fate, row->rtt_ns,
	    row->sent_wall_ns);
}

static void
on_settled_slot(void *arg, uint64_t slot, int64_t wall, unsigned fate, int64_t rtt)
{
	struct world *w = arg;

	(void)rtt;
	check(slot == w->next_expected);	/* in order, once each */
	check(fate < PM_FATES);
	w->next_expected++;
	w->settled++;
	episode_feed(w->det, wall, fate);
}

static void
on_refate(void *arg, uint64_t slot, int64_t wall, unsigned from, unsigned to)
{
	struct world *w = arg;

	check(slot < w->next_expected);
	episode_refate(w->det, wall, from, to);
}

static void
on_open(void *arg, const struct episode *e)
{
	struct world *w = arg;

	check(e->lost == 1);
	w->episodes_open++;
}

static void
on_close(void *arg, const struct episode *e)
{
	struct world *w = arg;
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < PM_FATES; i++)
		sum += e->fate[i];
	check(e->lost >= 1 && e->lost <= e->probes && sum == e->probes);
	check(e->end_ns >= e->start_ns || e->probes > 0);
	w->episodes_closed++;
	check(w->episodes_closed == w->episodes_open);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fate_events fev = { on_row, NULL, NULL, NULL, NULL };
	struct slots_events sev = { on_settled_slot, on_refate, NULL };
	struct episode_params ep;
	struct world w;
	const struct fate_counts *n;
	struct fate *f;
	int64_t now = 0;
	uint64_t sent = 0, seq_out, sum;
	int64_t rtt;
	size_t i = 0;

	memset(&w, 0, sizeof(w));
	fev.arg = sev.arg = &w;
	episode_defaults(&ep);
	if ((w.book = slots_new(0, &sev)) == NULL ||
	    (w.det = episode_new(&ep, on_open, on_close, &w)) == NULL ||
	    (f = fate_new(100 * MS, 0, &fev)) == NULL)
		abort();
	while (i + 3 <= size) {
		uint8_t op = data[i], a = data[i + 1], b = data[i + 2];

		i += 3;
		switch (op % 6) {
		case 0:	/* send a burst of a + 1 */
		case 1: {
			unsigned k, nsend = (unsigned)(a % 8) + 1;

			for (k = 0; k < nsend; k++) {
				uint64_t slot = slots_add(w.book, now, SLOT_PENDING);

				fate_tag_from(f, slot);
				fate_sent(f, now, now);
				sent++;
			}
			break;
		}
		case 2:	/* the kernel refused one of the last few */
			if (sent > 0)
				fate_unsent(f, sent - 1 - (a % (sent < 8 ? sent : 8)));
			break;
		case 3:	/* a reply to a recent probe, any reflector count */
			if (sent > 0)
				(void)fate_reply(f, (uint32_t)(sent - 1 - a % (sent < 64 ?
				    sent : 64)), b % 4 == 0 ? -1 : (int64_t)(sent - b),
				    now, (int64_t)(b % 3) * MS, 64, NULL, &seq_out, &rtt);
			break;
		case 4:	/* time passes */
			now += (int64_t)(a + 1) * (b % 2 ? MS : 10 * MS);
			fate_tick(f, now);
			break;
		case 5:	/* a reply from the past (clock trouble) */
			if (sent > 0)
				(void)fate_reply(f, (uint32_t)(sent - 1), (int64_t)a,
				    now - (int64_t)b * MS, 0, 64, NULL, &seq_out, &rtt);
			break;
		}
		n = fate_counts(f);
		check(n->lost_pending < (1ULL << 62) && n->lost_fwd <= n->sent &&
		    n->lost_bwd <= n->sent);
	}
	fate_close(f, data[0] % 2, size > 1 ? data[1] : 0);
	n = fate_counts(f);
	sum = n->answered + n->reordered + n->late + n->lost_fwd + n->lost_bwd +
	    n->lost_unknown + n->lost_pending + n->unsent;
	check(n->sent == sent && sum == sent && n->lost_pending == 0);
	check(w.settled == sent);	/* every slot settled, once */
	episode_flush(w.det);
	check(w.episodes_open == w.episodes_closed);
	fate_free(f);
	slots_free(w.book);
	episode_free(w.det);
	return 0;
}
