/*
 * clocksync: the kernel's NTP state via adjtimex(2) with modes 0, which
 * only reads and needs no privilege.
 */
#include <sys/timex.h>

#include "clocksync.h"
#include "stamp.h"
#include "timeutil.h"

/* Unsynchronised clocks claim no better than this. */
#define UNSYNCED_ERR_NS (1000 * NS_PER_MS)

void
clocksync_from_timex(int state, int status, long esterror, long maxerror,
    struct clocksync *out)
{
	long us;

	/* STA_UNSYNC is what chrony and ntpd clear once locked; TIME_ERROR
	 * is the kernel's own verdict that the clock is not synchronised. */
	out->synced = state != TIME_ERROR && state >= 0 && !(status & STA_UNSYNC);
	if (!out->synced) {
		out->err_ns = UNSYNCED_ERR_NS;
		return;
	}
	/* esterror is the daemon's estimate; maxerror a bound that grows
	 * while no update arrives. Report the estimate, at least 1 us. */
	us = esterror > 0 ? esterror : (maxerror > 0 ? maxerror : 1);
	out->err_ns = (uint64_t)us * NS_PER_US;
}

static struct clocksync cached = { 0, UNSYNCED_ERR_NS };
static int64_t cached_at = -1;

const struct clocksync *
clocksync_get(int64_t now_mono_ns)
{
	struct timex tx = { 0 };
	int state;

	if (cached_at >= 0 && now_mono_ns - cached_at < NS_PER_SEC)
		return &cached;
	cached_at = now_mono_ns;
	if ((state = adjtimex(&tx)) < 0) {
		cached.synced = 0;
		cached.err_ns = UNSYNCED_ERR_NS;
		return &cached;
	}
	clocksync_from_timex(state, tx.status, tx.esterror, tx.maxerror, &cached);
	return &cached;
}

uint16_t
clocksync_err_est(int64_t now_mono_ns)
{
	const struct clocksync *c = clocksync_get(now_mono_ns);

	return stamp_error_estimate(c->synced, c->err_ns);
}
