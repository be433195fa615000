/*
 * ev: the one event loop of a pktmon process (redis ae.c): epoll for fds,
 * timerfd for deadlines on the monotonic clock, signalfd for signals, so no
 * code runs in a signal handler.
 */
#ifndef PM_EV_H
#define PM_EV_H

#include <stdint.h>
#include <sys/epoll.h>
#include "err.h"

struct ev;
typedef void (*ev_cb)(struct ev *ev, int fd, uint32_t events, void *arg);

struct ev *ev_new(void);
void ev_free(struct ev *ev);

int ev_add(struct ev *ev, int fd, uint32_t events, ev_cb cb, void *arg) PM_MUST_CHECK;
int ev_mod(struct ev *ev, int fd, uint32_t events);
/* Forget fd (the caller closes it). Safe from inside a callback. */
void ev_del(struct ev *ev, int fd);
/* Wait up to timeout_ms (-1: forever) and dispatch; PM_E_SYS on failure. */
int ev_run_once(struct ev *ev, int timeout_ms);
void ev_stop(struct ev *ev);
int ev_stopped(const struct ev *ev);

/*
 * Ask the kernel to fire this process's timers within 1 us of their
 * deadline instead of the default 50 us slack (for probe pacing).
 */
void ev_precise_timers(void);
/*
 * Run the calling thread at SCHED_FIFO priority 1, above every ordinary
 * task, so a busy CPU does not delay its timers (chronyd -P). Threads and
 * processes it creates afterwards start as ordinary tasks again. 0, or
 * PM_E_SYS (errno EPERM without root, CAP_SYS_NICE or RLIMIT_RTPRIO).
 */
int ev_realtime(void) PM_MUST_CHECK;
/* A timerfd on CLOCK_MONOTONIC. */
int ev_timer_new(void) PM_MUST_CHECK;
/* Fire at an absolute monotonic time (ns), once. */
int ev_timer_at(int tfd, int64_t deadline_ns);
/* Fire at first_ns (absolute, monotonic), then every period_ns (0: once). */
int ev_timer_periodic(int tfd, int64_t first_ns, int64_t period_ns);
/* Disarm a timer. */
void ev_timer_stop(int tfd);
/* Fire every period_ns, first after period_ns. */
int ev_timer_every(int tfd, int64_t period_ns);
/* Consume a timerfd's expiry count (0 when it had not fired). */
uint64_t ev_timer_read(int tfd);

/* Block sigs and return a signalfd for them. */
int ev_signal_new(const int *sigs, int n) PM_MUST_CHECK;
/* A wake-up another thread can raise (eventfd): new, raise, take. */
int ev_notify_new(void) PM_MUST_CHECK;
void ev_notify(int nfd);
uint64_t ev_notify_read(int nfd);
/* Next pending signal number, or 0. */
int ev_signal_read(int sfd);

#endif
