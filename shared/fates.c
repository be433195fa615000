/*
 * fates: names, meanings and the loss rule, in one table.
 */
#include <stddef.h>

#include "fates.h"

static const struct {
	const char *name;
	const char *meaning;
	int loss;
} fates[PM_FATES] = {
	[PM_FATE_ANSWERED] = { "answered",
	    "reply received within the loss timeout", 0 },
	[PM_FATE_REORDERED] = { "reordered",
	    "reply received within the timeout, after a reply to a later probe", 0 },
	[PM_FATE_LATE] = { "late",
	    "reply received after the loss timeout; not counted as loss", 0 },
	[PM_FATE_LOST_FWD] = { "lost_forward",
	    "never reached the reflector (client to server)", 1 },
	[PM_FATE_LOST_BWD] = { "lost_backward",
	    "reached the reflector, reply never arrived (server to client)", 1 },
	[PM_FATE_LOST] = { "lost",
	    "no reply; direction unknown (ICMP mode, or the session ended "
	    "without the reflector's count)", 1 },
	[PM_FATE_UNSENT] = { "unsent",
	    "the slot's probe could not be sent (no session, no route, or a "
	    "send error); counted as loss", 1 },
};

const char *
pm_fate_name(unsigned code)
{
	return code < PM_FATES ? fates[code].name : "unknown";
}

const char *
pm_fate_meaning(unsigned code)
{
	return code < PM_FATES ? fates[code].meaning : "unknown";
}

int
pm_fate_is_loss(unsigned code)
{
	return code < PM_FATES ? fates[code].loss : 1;
}
