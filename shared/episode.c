/*
 * episode: the loss-episode state machine. Replies seen after a loss are
 * held as pending until the next loss makes them part of the episode or
 * `quiet` of them close it, so an episode never ends on a reply.
 */
#include <stdlib.h>
#include <string.h>

#include "episode.h"

enum episode_state {
	EP_IDLE,		/* no loss since the last episode closed */
	EP_OPEN			/* inside an episode */
};

struct episode_det {
	struct episode_params params;
	void (*open)(void *arg, const struct episode *e);
	void (*emit)(void *arg, const struct episode *e);
	void *arg;
	enum episode_state state;
	struct episode cur;
	uint64_t pending;		/* replies since the last loss */
	uint64_t pending_fate[PM_FATES];
	uint64_t run;			/* consecutive losses up to now */
	int64_t run_start;
	int64_t run_end;
};

int
episode_bad(unsigned fate)
{
	return pm_fate_is_loss(fate) || fate == PM_FATE_LATE;
}

void
episode_defaults(struct episode_params *p)
{
	p->quiet = EPISODE_QUIET;
	p->outage_min_ns = EPISODE_OUTAGE_NS;
	p->outage_min_probes = EPISODE_OUTAGE_SLOTS;
}

struct episode_det *
episode_new(const struct episode_params *params,
    void (*open)(void *arg, const struct episode *e),
    void (*emit)(void *arg, const struct episode *e), void *arg)
{
	struct episode_det *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->params = *params;
	if (d->params.quiet == 0)
		d->params.quiet = 1;
	d->open = open;
	d->emit = emit;
	d->arg = arg;
	d->state = EP_IDLE;
	return d;
}

void
episode_free(struct episode_det *d)
{
	free(d);
}

/* A run of consecutive losses ended: keep it if it is the longest outage. */
static void
end_run(struct episode_det *d)
{
	const struct episode_params *p = &d->params;

	if (d->run >= p->outage_min_probes && d->run > d->cur.outage_probes &&
	    d->run_end - d->run_start >= p->outage_min_ns) {
		d->cur.outage_probes = d->run;
		d->cur.outage_start_ns = d->run_start;
		d->cur.outage_end_ns = d->run_end;
	}
	d->run = 0;
}

static void
close_episode(struct episode_det *d, int64_t close_ns)
{
	end_run(d);
	d->cur.close_ns = close_ns;
	d->state = EP_IDLE;
	d->pending = 0;
	memset(d->pending_fate, 0, sizeof(d->pending_fate));
	d->emit(d->arg, &d->cur);
}

static void
add_loss(struct episode_det *d, int64_t sent_ns, unsigned f)
{
	int i, opened = 0;

	if (d->state == EP_IDLE) {
		memset(&d->cur, 0, sizeof(d->cur));
		d->cur.start_ns = sent_ns;
		d->cur.close_ns = -1;
		d->cur.outage_start_ns = d->cur.outage_end_ns = -1;
		d->state = EP_OPEN;
		opened = 1;
	}
	for (i = 0; i < PM_FATES; i++)
		d->cur.fate[i] += d->pending_fate[i];
	d->cur.probes += d->pending + 1;
	d->cur.fate[f < PM_FATES ? f : PM_FATE_LOST]++;
	d->cur.lost++;
	d->cur.end_ns = sent_ns;
	d->pending = 0;
	memset(d->pending_fate, 0, sizeof(d->pending_fate));
	if (d->run++ == 0)
		d->run_start = sent_ns;
	d->run_end = sent_ns;
	if (opened && d->open != NULL)
		d->open(d->arg, &d->cur);
}

void
episode_feed(struct episode_det *d, int64_t sent_ns, unsigned f)
{
	if (episode_bad(f)) {
		add_loss(d, sent_ns, f);
		return;
	}
	switch (d->state) {
	case EP_IDLE:
		return;
	case EP_OPEN:
		if (d->run > 0)
			end_run(d);
		d->pending++;
		d->pending_fate[f]++;
		if (d->pending >= d->params.quiet)
			close_episode(d, sent_ns);
		return;
	}
}

void
episode_refate(struct episode_det *d, int64_t sent_ns, unsigned from,
    unsigned to)
{
	if (d->state != EP_OPEN || sent_ns < d->cur.start_ns || from >= PM_FATES ||
	    to >= PM_FATES || d->cur.fate[from] == 0)
		return;
	/* Only a change between bad slots keeps the episode's shape (a loss
	 * learns its direction, or turns late). */
	if (!episode_bad(from) || !episode_bad(to))
		return;
	d->cur.fate[from]--;
	d->cur.fate[to]++;
}

void
episode_flush(struct episode_det *d)
{
	switch (d->state) {
	case EP_IDLE:
		return;
	case EP_OPEN:
		close_episode(d, -1);
		return;
	}
}

const struct episode *
episode_current(const struct episode_det *d)
{
	return d->state == EP_OPEN ? &d->cur : NULL;
}
