/*
 * policy: a ring of recent outcomes, a run counter, and a renewal history
 * for the gap and the per-period cap.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

#define POLICY_WINDOW_MAX 1024
#define POLICY_HISTORY_MAX 64

struct policy {
	struct policy_cfg cfg;
	uint8_t win[POLICY_WINDOW_MAX];
	uint32_t fill, head, lost_in_win;
	uint32_t run;			/* consecutive losses */
	int64_t gap;
	int64_t last;			/* last renewal, or INT64_MIN */
	int64_t hist[POLICY_HISTORY_MAX];	/* times of recent renewals */
	uint32_t nhist;
};

void
policy_defaults(struct policy_cfg *cfg)
{
	cfg->consecutive = 3;
	cfg->window = 20;
	cfg->window_pct = 10;
	cfg->min_gap_ns = 10LL * 1000000000LL;
	cfg->max_gap_ns = 600LL * 1000000000LL;
	cfg->max_per_period = 10;
	cfg->period_ns = 3600LL * 1000000000LL;
}

struct policy *
policy_new(const struct policy_cfg *cfg)
{
	struct policy *p;

	if (cfg->window > POLICY_WINDOW_MAX || cfg->window_pct < 1 ||
	    cfg->window_pct > 100 || cfg->min_gap_ns < 0 ||
	    cfg->max_gap_ns < cfg->min_gap_ns ||
	    cfg->max_per_period > POLICY_HISTORY_MAX)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cfg = *cfg;
	p->gap = cfg->min_gap_ns;
	p->last = INT64_MIN;
	return p;
}

void
policy_free(struct policy *p)
{
	free(p);
}

void
policy_observe(struct policy *p, int lost)
{
	uint32_t w = p->cfg.window;

	p->run = lost ? p->run + 1 : 0;
	if (w == 0)
		return;
	if (p->fill == w) {
		p->lost_in_win -= p->win[p->head];
		p->fill--;
	}
	p->win[p->head] = lost ? 1 : 0;
	p->head = (p->head + 1) % w;
	p->lost_in_win += lost ? 1 : 0;
	p->fill++;
	/* A full clean window: the path is healthy again, so is the gap. */
	if (p->fill == w && p->lost_in_win * 200 < p->cfg.window_pct * w)
		p->gap = p->cfg.min_gap_ns;
}

static int
policy_capped(struct policy *p, int64_t now)
{
	uint32_t i, n = 0;

	if (p->last != INT64_MIN && now - p->last < p->gap)
		return 1;
	for (i = 0; i < p->nhist; i++)
		if (now - p->hist[i] < p->cfg.period_ns)
			n++;
	return p->cfg.max_per_period > 0 && n >= p->cfg.max_per_period;
}

enum policy_reason
policy_check(struct policy *p, int64_t now_ns, char *detail, size_t len)
{
	enum policy_reason why = POLICY_NONE;

	if (p->cfg.consecutive > 0 && p->run >= p->cfg.consecutive) {
		why = POLICY_CONSECUTIVE;
		snprintf(detail, len, "%u consecutive losses", p->run);
	} else if (p->cfg.window > 0 && p->fill == p->cfg.window &&
	    p->lost_in_win * 100 >= p->cfg.window_pct * p->cfg.window) {
		why = POLICY_WINDOW;
		snprintf(detail, len, "%.1f %% loss over %u probes",
		    policy_window_loss(p), p->fill);
	}
	if (why != POLICY_NONE && policy_capped(p, now_ns))
		return POLICY_NONE;
	return why;
}

void
policy_renewed(struct policy *p, int64_t now_ns)
{
	uint32_t i, keep = 0;

	if (p->last != INT64_MIN)
		p->gap = p->gap > p->cfg.max_gap_ns / 2 ? p->cfg.max_gap_ns : p->gap * 2;
	p->last = now_ns;
	for (i = 0; i < p->nhist; i++)
		if (now_ns - p->hist[i] < p->cfg.period_ns)
			p->hist[keep++] = p->hist[i];
	if (keep == POLICY_HISTORY_MAX)
		keep--;
	p->hist[keep++] = now_ns;
	p->nhist = keep;
	p->fill = p->head = p->lost_in_win = 0;
	p->run = 0;
}

double
policy_window_loss(const struct policy *p)
{
	return p->fill ? 100.0 * p->lost_in_win / p->fill : 0.0;
}

uint32_t
policy_window_fill(const struct policy *p)
{
	return p->fill;
}

int64_t
policy_next_allowed(const struct policy *p)
{
	int64_t t = p->last == INT64_MIN ? INT64_MIN : p->last + p->gap;
	int64_t oldest = INT64_MAX;
	uint32_t i, n = 0;

	/* The per-period cap: wait until the oldest counted renewal ages out. */
	for (i = 0; i < p->nhist; i++)
		if (p->last == INT64_MIN || p->last - p->hist[i] < p->cfg.period_ns) {
			n++;
			if (p->hist[i] < oldest)
				oldest = p->hist[i];
		}
	if (p->cfg.max_per_period > 0 && n >= p->cfg.max_per_period &&
	    oldest + p->cfg.period_ns > t)
		t = oldest + p->cfg.period_ns;
	return t;
}
