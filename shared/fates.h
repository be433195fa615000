/*
 * fates: the one definition of a probe slot's fate. The client stores these
 * codes in probes.fate, writes this table into the history's fates table
 * when it opens one, and the report reads the same codes; which fates are
 * loss is decided here and nowhere else.
 */
#ifndef PM_FATES_H
#define PM_FATES_H

enum pm_fate {
	PM_FATE_ANSWERED = 0,
	PM_FATE_REORDERED = 1,
	PM_FATE_LATE = 2,
	PM_FATE_LOST_FWD = 3,
	PM_FATE_LOST_BWD = 4,
	PM_FATE_LOST = 5,	/* no reply; direction unknown */
	PM_FATE_UNSENT = 6,	/* the slot's probe could not be sent */
	PM_FATES = 7
};

/* Name as in the fates table ("answered", ...); "unknown" out of range. */
const char *pm_fate_name(unsigned code);
/* One sentence for the fates table. */
const char *pm_fate_meaning(unsigned code);
/* Counts as loss: lost (any direction) or unsent. Out of range: loss. */
int pm_fate_is_loss(unsigned code);

#endif
