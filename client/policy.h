/*
 * policy: when to renew a probe session. Pure: outcomes and times come in,
 * a decision comes out.
 *
 * Triggers (either one):
 *   - consecutive: this many probes lost in a row (default 3);
 *   - window: loss of at least window_pct % over the last `window` outcomes
 *     (default 10 % of 20).
 * Hysteresis: after a renewal the window starts empty and must fill with
 * outcomes from the new session before it can trigger again.
 * Storm control: renewals are at least `gap` apart; the gap starts at
 * min_gap (10 s), doubles after each renewal up to max_gap (10 min), and
 * returns to min_gap once a full window is clean (below half the
 * threshold). At most max_per_period renewals in any period (10 per hour).
 */
#ifndef PM_POLICY_H
#define PM_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum policy_reason {
	POLICY_NONE = 0,
	POLICY_CONSECUTIVE = 1,	/* same values as enum ctl_renew_reason */
	POLICY_WINDOW = 2,
};

struct policy_cfg {
	uint32_t consecutive;	/* 0 disables */
	uint32_t window;	/* outcomes in the window, 1..1024; 0 disables */
	uint32_t window_pct;	/* 1..100 */
	int64_t min_gap_ns;
	int64_t max_gap_ns;
	uint32_t max_per_period;
	int64_t period_ns;
};

struct policy;

void policy_defaults(struct policy_cfg *cfg);
/* NULL when out of memory or cfg out of range; free with policy_free(). */
struct policy *policy_new(const struct policy_cfg *cfg);
void policy_free(struct policy *p);

/* One probe's outcome, as it becomes known: lost (timed out) or answered. */
void policy_observe(struct policy *p, int lost);
/*
 * Should the session be renewed now? On yes, detail gets a short
 * human-readable trigger ("3 consecutive losses", "15.0 % loss over 20
 * probes"); the caller renews and calls policy_renewed().
 */
enum policy_reason policy_check(struct policy *p, int64_t now_ns,
    char *detail, size_t len);
void policy_renewed(struct policy *p, int64_t now_ns);
/* Loss % over the outcomes currently in the window (0 when empty). */
double policy_window_loss(const struct policy *p);
/* Outcomes currently in the window. */
uint32_t policy_window_fill(const struct policy *p);
/* Earliest time the next renewal is allowed. */
int64_t policy_next_allowed(const struct policy *p);

#endif
