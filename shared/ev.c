/*
 * ev: epoll dispatch with a handler table indexed by fd.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

struct ev_handler {
	ev_cb cb;
	void *arg;
};

struct ev {
	int epfd;
	int stop;
	int nhandlers;
	struct ev_handler *h;
};

struct ev *
ev_new(void)
{
	struct ev *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(ev);
		return NULL;
	}
	return ev;
}

void
ev_free(struct ev *ev)
{
	if (ev == NULL)
		return;
	close(ev->epfd);
	free(ev->h);
	free(ev);
}

static int
ev_grow(struct ev *ev, int fd)
{
	struct ev_handler *nh;
	int n = ev->nhandlers ? ev->nhandlers : 64;

	while (n <= fd)
		n *= 2;
	if (n == ev->nhandlers)
		return 0;
	if ((nh = realloc(ev->h, (size_t)n * sizeof(*nh))) == NULL)
		return PM_E_NOMEM;
	memset(nh + ev->nhandlers, 0, (size_t)(n - ev->nhandlers) * sizeof(*nh));
	ev->h = nh;
	ev->nhandlers = n;
	return 0;
}

int
ev_add(struct ev *ev, int fd, uint32_t events, ev_cb cb, void *arg)
{
	struct epoll_event e = { .events = events, .data.fd = fd };
	int r;

	if ((r = ev_grow(ev, fd)) != 0)
		return r;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) != 0)
		return PM_E_SYS;
	ev->h[fd].cb = cb;
	ev->h[fd].arg = arg;
	return 0;
}

int
ev_mod(struct ev *ev, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	return epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &e) == 0 ? 0 : PM_E_SYS;
}

void
ev_del(struct ev *ev, int fd)
{
	if (fd < 0 || fd >= ev->nhandlers)
		return;
	(void)epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->h[fd].cb = NULL;
	ev->h[fd].arg = NULL;
}

int
ev_run_once(struct ev *ev, int timeout_ms)
{
	struct epoll_event evs[64];
	int n, i, fd;

	n = epoll_wait(ev->epfd, evs, 64, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : PM_E_SYS;
	for (i = 0; i < n && !ev->stop; i++) {
		fd = evs[i].data.fd;
		/* A handler earlier in this batch may have removed fd. */
		if (fd < ev->nhandlers && ev->h[fd].cb != NULL)
			ev->h[fd].cb(ev, fd, evs[i].events, ev->h[fd].arg);
	}
	return 0;
}

void
ev_stop(struct ev *ev)
{
	ev->stop = 1;
}

int
ev_stopped(const struct ev *ev)
{
	return ev->stop;
}

void
ev_precise_timers(void)
{
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

int
ev_realtime(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	return sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0 ?
	    0 : PM_E_SYS;
}

int
ev_timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? PM_E_SYS : fd;
}

static void
ns_to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
}

int
ev_timer_at(int tfd, int64_t deadline_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (deadline_ns <= 0)
		deadline_ns = 1;	/* 0 would disarm the timer */
	ns_to_ts(deadline_ns, &its.it_value);
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0 ? 0 : PM_E_SYS;
}

int
ev_timer_periodic(int tfd, int64_t first_ns, int64_t period_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	ns_to_ts(first_ns > 0 ? first_ns : 1, &its.it_value);
	ns_to_ts(period_ns, &its.it_interval);
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0 ? 0 : PM_E_SYS;
}

void
ev_timer_stop(int tfd)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	(void)timerfd_settime(tfd, 0, &its, NULL);
}

int
ev_timer_every(int tfd, int64_t period_ns)
{
	struct itimerspec its;

	ns_to_ts(period_ns, &its.it_value);
	its.it_interval = its.it_value;
	return timerfd_settime(tfd, 0, &its, NULL) == 0 ? 0 : PM_E_SYS;
}

uint64_t
ev_timer_read(int tfd)
{
	uint64_t n = 0;

	if (read(tfd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

int
ev_signal_new(const int *sigs, int n)
{
	sigset_t set;
	int i, fd;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return PM_E_SYS;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? PM_E_SYS : fd;
}

int
ev_signal_read(int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

int
ev_notify_new(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void
ev_notify(int nfd)
{
	uint64_t one = 1;

	(void)!write(nfd, &one, sizeof(one));
}

uint64_t
ev_notify_read(int nfd)
{
	uint64_t n = 0;

	if (read(nfd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}
