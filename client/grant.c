/*
 * grant: the checks promised in grant.h, in the order of the grant's
 * fields.
 */
#include <stdio.h>

#include "grant.h"
#include "stamp.h"

static int
nonce_is_zero(const uint8_t *n)
{
	uint8_t any = 0;
	size_t i;

	for (i = 0; i < CTL_NONCE_LEN; i++)
		any |= n[i];
	return any == 0;
}

int
grant_check(const struct grant_ask *asked, const struct ctl_grant *g,
    char *why, size_t len)
{
	/* 0 is no session id: the reflector keeps no session under it. */
	if (g->ssid == 0)
		snprintf(why, len, "granted session id 0");
	else if (g->udp_port == 0)
		snprintf(why, len, "granted UDP port 0 for the reflector");
	else if (g->interval_us < asked->interval_us)
		snprintf(why, len, "granted interval %u us, shorter than the %u us "
		    "asked", g->interval_us, asked->interval_us);
	else if (g->interval_us < GRANT_INTERVAL_MIN_US)
		snprintf(why, len, "granted interval %u us, shorter than the %u us "
		    "allowed", g->interval_us, GRANT_INTERVAL_MIN_US);
	else if (g->interval_us > GRANT_INTERVAL_MAX_US)
		snprintf(why, len, "granted interval %u us, longer than the %u us "
		    "allowed", g->interval_us, GRANT_INTERVAL_MAX_US);
	else if (g->size > asked->size)
		snprintf(why, len, "granted probes of %u octets, larger than the "
		    "%u asked", g->size, asked->size);
	else if (g->size < STAMP_AUTH_LEN)
		snprintf(why, len, "granted probes of %u octets, shorter than the "
		    "%d of an authenticated STAMP probe", g->size, STAMP_AUTH_LEN);
	/* The nonce makes each session's key fresh; all zeros is no nonce. */
	else if (nonce_is_zero(g->nonce))
		snprintf(why, len, "granted an all-zero key nonce");
	else
		return 0;
	return PM_E_RANGE;
}
