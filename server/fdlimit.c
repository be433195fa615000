/*
 * fdlimit: the arithmetic is pure (fdlimit_needed, fdlimit_plan); only
 * fdlimit_ensure reads and sets the process's limit.
 */
#include <sys/resource.h>

#include <stdio.h>

#include "fdlimit.h"
#include "metrics.h"

/*
 * Standard streams 3, epoll 1, TCP listener and UDP reflector 2, tick and
 * accept-pause timers and signalfd 3, the connection accepted past a cap
 * before it is closed 1, files open at once on SIGHUP 2, systemd's notify
 * socket 1, and slack for the TLS library 3.
 */
#define FD_FIXED 16
/* Metrics: its connections, listener, epoll, timer (shared/metrics.h). */
#define FD_METRICS METRICS_FDS

uint64_t
fdlimit_needed(unsigned max_clients, unsigned max_preauth, int metrics)
{
	return (uint64_t)max_clients + max_preauth + FD_FIXED +
	    (metrics ? FD_METRICS : 0);
}

int
fdlimit_plan(uint64_t need, uint64_t soft, uint64_t hard, uint64_t *soft_out)
{
	*soft_out = soft;
	if (soft >= need)
		return 0;
	if (hard < need)
		return PM_E_LIMIT;
	/* An unlimited hard limit cannot be the soft one for descriptors. */
	*soft_out = hard == UINT64_MAX ? need : hard;
	return 0;
}

static uint64_t
rl_u64(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

int
fdlimit_ensure(uint64_t need, uint64_t *limit, int *raised, char *err,
    size_t errlen)
{
	struct rlimit rl;
	uint64_t soft;

	*raised = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "cannot read the open files limit");
		return PM_E_SYS;
	}
	*limit = rl_u64(rl.rlim_cur);
	if (fdlimit_plan(need, rl_u64(rl.rlim_cur), rl_u64(rl.rlim_max), &soft) != 0) {
		snprintf(err, errlen, "max-clients and max-preauth need up to %llu "
		    "open files, above the hard limit of %llu (RLIMIT_NOFILE): raise "
		    "it (ulimit -n, systemd LimitNOFILE=) or lower max-clients",
		    (unsigned long long)need, (unsigned long long)rl_u64(rl.rlim_max));
		return PM_E_LIMIT;
	}
	if (soft == rl_u64(rl.rlim_cur))
		return 0;
	rl.rlim_cur = (rlim_t)soft;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "cannot raise the open files limit to %llu",
		    (unsigned long long)soft);
		return PM_E_SYS;
	}
	*limit = soft;
	*raised = 1;
	return 0;
}
