/*
 * hooks: run the user's --on-loss command without ever blocking probing
 * (as SmokePing's alert pipes feed mtr). The command runs under /bin/sh
 * with PKTMON_* variables in its environment; children are reaped from the
 * event loop and at most a few run at once.
 */
#ifndef PM_HOOKS_H
#define PM_HOOKS_H

#include <stddef.h>

struct hook_var {
	const char *name;
	const char *value;
};

/* Start cmd with vars added to the environment; 0, or -1 if not started. */
int hooks_run(const char *cmd, const struct hook_var *vars, size_t n);
/* Collect children that finished; call from a timer. */
void hooks_reap(void);

#endif
