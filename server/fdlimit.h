/*
 * fdlimit: how many file descriptors the server's caps can hold open at
 * once, and RLIMIT_NOFILE made to fit them at start, so that running out
 * of descriptors is a start-up error rather than a state the event loop
 * has to live in.
 */
#ifndef PM_FDLIMIT_H
#define PM_FDLIMIT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/*
 * Descriptors the settings may need: one per connection the caps admit
 * (max_clients + max_preauth), the fixed ones (standard streams, epoll,
 * sockets, timers, files read on SIGHUP) and, with metrics, the metrics
 * endpoint's. Lingering sessions hold none: they live in the reflector.
 */
uint64_t fdlimit_needed(unsigned max_clients, unsigned max_preauth, int metrics);
/*
 * The soft limit to set, given the current soft and hard limits (UINT64_MAX
 * for unlimited): the hard one when the soft one is below need. 0 and
 * *soft_out, or PM_E_LIMIT when even the hard limit is below need.
 */
int fdlimit_plan(uint64_t need, uint64_t soft, uint64_t hard,
    uint64_t *soft_out) PM_MUST_CHECK;
/*
 * Apply the plan to this process. PM_E_LIMIT (err says what to change) or
 * PM_E_SYS; *raised tells whether the soft limit was changed.
 */
int fdlimit_ensure(uint64_t need, uint64_t *limit, int *raised, char *err,
    size_t errlen) PM_MUST_CHECK;

#endif
