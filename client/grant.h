/*
 * grant: does a server's grant (ACCEPT or RENEWED) keep to what the client
 * asked for? A server may lengthen the interval (to its own minimum) and
 * shorten the probe (to its own maximum), nothing else. Obeyed unchecked,
 * a grant of interval 0 spins the client and one of 1 us to a client that
 * asked for 1 s floods the path. Pure: no sockets, no clocks.
 */
#ifndef PM_GRANT_H
#define PM_GRANT_H

#include <stddef.h>
#include <stdint.h>
#include "ctl.h"

/* The interval accepted lies within the client's own -i range. */
#define GRANT_INTERVAL_MIN_US 10u
#define GRANT_INTERVAL_MAX_US 3600000000u	/* 3600 s */

/* What the client's OPEN asked for; a RENEW asks for the same again. */
struct grant_ask {
	uint32_t interval_us;
	uint16_t size;
};

/*
 * 0 if g keeps to asked and to the protocol's limits; otherwise PM_E_RANGE
 * and, in why, the field at fault as the end of a sentence that starts
 * with "server X " ("granted interval 0 us, shorter than ...").
 */
int grant_check(const struct grant_ask *asked, const struct ctl_grant *g,
    char *why, size_t len) PM_MUST_CHECK;

#endif
