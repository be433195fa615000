/*
 * hooks: the user's --on-loss command, one event at a time and in event
 * order, never blocking probing (as SmokePing's alert pipes feed mtr). Each
 * event runs CMD under /bin/sh with PKTMON_* variables in its environment;
 * the next waits until the previous exits, and one that runs past the time
 * limit is killed (said once). Events wait in a bounded queue.
 */
#ifndef PM_HOOKS_H
#define PM_HOOKS_H

#include <stddef.h>
#include <stdint.h>

struct hook_var {
	const char *name;
	const char *value;
};

/*
 * Can cmd run at all? Its first word must name an executable (a path, or a
 * command found by the shell). 0, or -1 with a one-line reason in err.
 */
int hooks_check(const char *cmd, char *err, size_t errlen);
/* Run cmd for events from now on; a child over limit_ns is killed. */
void hooks_init(const char *cmd, int64_t limit_ns);
/* Queue one event (vars are copied). */
void hooks_push(const struct hook_var *vars, size_t n);
/* Reap, kill what overran, start the next; call from a timer. */
void hooks_tick(int64_t now_mono);
/* Events waiting or running. */
size_t hooks_pending(void);
/* At exit: run what is queued, each within the limit, until deadline or a
 * second SIGINT/SIGTERM; says how many were left. */
void hooks_drain(int64_t deadline_mono);

#endif
