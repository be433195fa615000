/*
 * floor: what this host charges a process that does nothing but wake on a
 * timer, so the benchmarks can print the platform's own floor, measured in
 * the same run, next to pktmon's figures. On a virtual machine a bare
 * wake-up is neither cheap nor punctual, and neither pktmon nor its peers
 * can do better than that.
 *
 *   wake   a periodic timerfd at --hz; each wake-up is epoll_wait + read
 *          and nothing else. CPU (CLOCK_PROCESS_CPUTIME_ID) per wake-up and
 *          as % of one core: the floor of a process woken once per probe.
 *   timer  sleep on absolute deadlines every --interval-us (timerfd,
 *          TFD_TIMER_ABSTIME, CLOCK_MONOTONIC, 1 ns timer slack; with
 *          --fifo at SCHED_FIFO priority 1): how late each deadline was
 *          woken for, and how many were woken more than one interval (or
 *          --miss-us) late. pktmon-client skips the deadlines it wakes
 *          more than max(interval, 1 ms) late for; bench/compare passes
 *          that as --miss-us so the two counts mean the same.
 *
 * The loop is pktmon's own (shared/ev.c) with no work in it. One line of
 * JSON on stdout; usage errors exit 2, a failure to run exits 1.
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define MAX_COUNT 10000000ULL	/* 80 MB of lateness samples */

enum mode { MODE_WAKE = 1, MODE_TIMER = 2 };

struct floor_opts {
	uint32_t hz;
	uint64_t seconds_ns;
	uint32_t interval_us;
	uint32_t miss_us;	/* 0: one interval */
	uint64_t count;
	int fifo;
};

static int cmd_wake(const struct floor_opts *o);
static int cmd_timer(const struct floor_opts *o);

static const struct subcmd {
	const char *name;
	enum mode mode;
	int (*fn)(const struct floor_opts *o);
	const char *help;
} subcmds[] = {
	{ "wake", MODE_WAKE, cmd_wake, "CPU per bare timer wake-up, and % of "
	    "one core" },
	{ "timer", MODE_TIMER, cmd_timer, "lateness of a bare loop on absolute "
	    "deadlines; deadlines woken more than one interval late" },
};
#define NSUBCMDS (sizeof(subcmds) / sizeof(subcmds[0]))

enum opt_id {
	OPT_HZ = 1, OPT_SECONDS, OPT_INTERVAL, OPT_COUNT, OPT_MISS, OPT_FIFO, OPT_HELP
};

static const struct optdef {
	const char *name;
	enum opt_id id;
	const char *arg;	/* NULL: takes no argument */
	unsigned modes;		/* MODE_* that take it */
	const char *help;
} optdefs[] = {
	{ "hz", OPT_HZ, "N", MODE_WAKE, "wake-ups per second, 1 to 100000 "
	    "(default 100)" },
	{ "seconds", OPT_SECONDS, "S", MODE_WAKE, "how long, 0.1 to 86400 s; "
	    "also 500ms, 2m (default 10)" },
	{ "interval-us", OPT_INTERVAL, "N", MODE_TIMER, "deadline interval in us, "
	    "1 to 10000000 (default 1000)" },
	{ "count", OPT_COUNT, "N", MODE_TIMER, "deadlines, 1 to 10000000 "
	    "(default 20000)" },
	{ "miss-us", OPT_MISS, "N", MODE_TIMER, "a deadline woken more than N us "
	    "late is missed (default: one interval)" },
	{ "fifo", OPT_FIFO, NULL, MODE_TIMER, "run at SCHED_FIFO priority 1 "
	    "(root or CAP_SYS_NICE)" },
	{ "help", OPT_HELP, NULL, MODE_WAKE | MODE_TIMER, "this text" },
};
#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

static void
help(void)
{
	size_t i;

	printf("usage: floor wake [--hz N] [--seconds S]\n"
	    "       floor timer [--interval-us N] [--count N] [--miss-us N] [--fifo]\n\n");
	for (i = 0; i < NSUBCMDS; i++)
		printf("  %-6s %s\n", subcmds[i].name, subcmds[i].help);
	printf("\n");
	for (i = 0; i < NOPTS; i++)
		printf("  --%s%s%-*s %s%s\n", optdefs[i].name,
		    optdefs[i].arg ? " " : "", 16 - (int)strlen(optdefs[i].name) -
		    (optdefs[i].arg ? 1 : 0), optdefs[i].arg ? optdefs[i].arg : "",
		    optdefs[i].modes == MODE_WAKE ? "wake: " :
		    optdefs[i].modes == MODE_TIMER ? "timer: " : "", optdefs[i].help);
	exit(0);
}

static void
set_opt(struct floor_opts *o, enum opt_id id, const char *arg)
{
	switch (id) {
	case OPT_HZ:
		if (parse_u32(arg, 1, 100000, &o->hz) != 0)
			fatalx(2, "--hz %s: not a number from 1 to 100000", arg);
		break;
	case OPT_SECONDS:
		if (parse_duration_ns(arg, NS_PER_SEC / 10, 86400 * NS_PER_SEC,
		    &o->seconds_ns) != 0)
			fatalx(2, "--seconds %s: not a duration from 0.1 s to 1 day", arg);
		break;
	case OPT_INTERVAL:
		if (parse_u32(arg, 1, 10000000, &o->interval_us) != 0)
			fatalx(2, "--interval-us %s: not a number from 1 to 10000000", arg);
		break;
	case OPT_COUNT:
		if (parse_u64(arg, 1, MAX_COUNT, &o->count) != 0)
			fatalx(2, "--count %s: not a number from 1 to %llu", arg,
			    (unsigned long long)MAX_COUNT);
		break;
	case OPT_MISS:
		if (parse_u32(arg, 1, 10000000, &o->miss_us) != 0)
			fatalx(2, "--miss-us %s: not a number from 1 to 10000000", arg);
		break;
	case OPT_FIFO:
		o->fifo = 1;
		break;
	case OPT_HELP:
		help();
	}
}

static const struct subcmd *
find_subcmd(const char *name)
{
	size_t i;

	for (i = 0; i < NSUBCMDS; i++)
		if (strcmp(subcmds[i].name, name) == 0)
			return &subcmds[i];
	return NULL;
}

static const struct optdef *
find_opt(int id)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if ((int)optdefs[i].id == id)
			return &optdefs[i];
	return NULL;
}

/* floor MODE [options]: the mode first, so each option is checked against it. */
static const struct subcmd *
parse_args(int argc, char **argv, struct floor_opts *o)
{
	struct option longopts[NOPTS + 1];
	const struct subcmd *cmd;
	const struct optdef *def;
	size_t i;
	int c;

	if (argc < 2)
		fatalx(2, "a mode is required: wake or timer (try --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		help();
	if ((cmd = find_subcmd(argv[1])) == NULL)
		fatalx(2, "unknown mode '%s': wake or timer (try --help)", argv[1]);
	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ optdefs[i].name,
		    optdefs[i].arg ? required_argument : no_argument, NULL, optdefs[i].id };
	opterr = 0;
	/* The mode is argv[0] of what getopt sees. */
	while ((c = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
		if (c == 'h')
			c = OPT_HELP;
		if (c == ':' || c == '?')
			fatalx(2, "%s '%s' (try --help)", c == ':' ? "missing value for" :
			    "unknown option", argv[optind]);
		if ((def = find_opt(c)) != NULL && (def->modes & cmd->mode) == 0)
			fatalx(2, "--%s: not an option of %s (try --help)",
			    def->name, cmd->name);
		set_opt(o, (enum opt_id)c, optarg);
	}
	if (optind + 1 < argc)
		fatalx(2, "unexpected argument '%s' (try --help)", argv[optind + 1]);
	return cmd;
}

static int64_t
cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		fatal(1, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* A loop with one timerfd in it; the caller arms the timer. */
static struct ev *
loop_new(int *tfd, ev_cb cb, void *arg)
{
	struct ev *ev;

	if ((ev = ev_new()) == NULL)
		fatal(1, "epoll_create1");
	if ((*tfd = ev_timer_new()) < 0)
		fatal(1, "timerfd_create");
	if (ev_add(ev, *tfd, EPOLLIN, cb, arg) != 0)
		fatal(1, "epoll_ctl");
	return ev;
}

static void
loop_run(struct ev *ev)
{
	while (!ev_stopped(ev))
		if (ev_run_once(ev, -1) != 0)
			fatal(1, "epoll_wait");
}

struct wake {
	uint64_t left, wakeups, expirations;
};

static void
wake_cb(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct wake *w = arg;
	uint64_t n = ev_timer_read(fd);

	(void)events;
	if (n == 0)
		return;		/* not expired: no wake-up of ours */
	w->expirations += n;
	w->wakeups++;
	if (--w->left == 0)
		ev_stop(ev);
}

static int
cmd_wake(const struct floor_opts *o)
{
	struct wake w;
	struct ev *ev;
	int64_t period = NS_PER_SEC / o->hz, t0, t1, c0, c1;
	int tfd;

	memset(&w, 0, sizeof(w));
	w.left = (uint64_t)o->hz * o->seconds_ns / NS_PER_SEC;
	if (w.left == 0)
		w.left = 1;
	ev = loop_new(&tfd, wake_cb, &w);
	t0 = mono_ns();
	if (ev_timer_periodic(tfd, t0 + period, period) != 0)
		fatal(1, "timerfd_settime");
	c0 = cpu_ns();
	loop_run(ev);
	c1 = cpu_ns();
	t1 = mono_ns();
	ev_free(ev);
	close(tfd);
	printf("{\"mode\":\"wake\",\"hz\":%u,\"seconds\":%.3f,\"wakeups\":%llu,"
	    "\"expirations\":%llu,\"cpu_ns\":%lld,"
	    "\"cpu_per_wakeup_ns\":%lld,\"core_pct\":%.4f}\n", o->hz,
	    (double)(t1 - t0) / 1e9, (unsigned long long)w.wakeups,
	    (unsigned long long)w.expirations, (long long)(c1 - c0),
	    (long long)((c1 - c0) / (int64_t)w.wakeups),
	    100.0 * (double)(c1 - c0) / (double)(t1 - t0));
	return 0;
}

struct timer {
	int64_t next, interval, miss;
	uint64_t count, done, wakeups, missed;
	int64_t *late;		/* per deadline, ns */
};

/* Every deadline up to now is settled at this wake-up, as pace_due does. */
static void
timer_cb(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct timer *t = arg;
	int64_t now;

	(void)events;
	if (ev_timer_read(fd) == 0)
		return;
	now = mono_ns();
	t->wakeups++;
	for (; t->next <= now && t->done < t->count; t->next += t->interval) {
		t->late[t->done++] = now - t->next;
		t->missed += now - t->next > t->miss;
	}
	if (t->done == t->count)
		ev_stop(ev);
	else if (ev_timer_at(fd, t->next) != 0)
		fatal(1, "timerfd_settime");
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, q in thousandths, of a sorted array of n > 0. */
static int64_t
quantile(const int64_t *v, uint64_t n, unsigned q)
{
	uint64_t rank = (n * q + 999) / 1000;

	return v[rank > 0 ? rank - 1 : 0];
}

static int
cmd_timer(const struct floor_opts *o)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timer t;
	struct ev *ev;
	int64_t t0, t1;
	int tfd;

	memset(&t, 0, sizeof(t));
	t.interval = (int64_t)o->interval_us * NS_PER_US;
	t.miss = o->miss_us ? (int64_t)o->miss_us * NS_PER_US : t.interval;
	t.count = o->count;
	/* Touched now (0xff is not turned into calloc), so no page faults
	 * land in the loop. */
	if ((t.late = malloc(t.count * sizeof(*t.late))) == NULL)
		fatal(1, "%llu lateness samples", (unsigned long long)t.count);
	memset(t.late, 0xff, t.count * sizeof(*t.late));
	if (o->fifo && sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
		fatal(1, "--fifo: cannot run at SCHED_FIFO priority 1 "
		    "(needs root or CAP_SYS_NICE)");
	/* The tightest slack the kernel takes, so this is a lower bound
	 * (pktmon-client asks for 1 us, ev_precise_timers). */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
		fatal(1, "prctl(PR_SET_TIMERSLACK)");
	ev = loop_new(&tfd, timer_cb, &t);
	t0 = mono_ns();
	t.next = t0 + t.interval;
	if (ev_timer_at(tfd, t.next) != 0)
		fatal(1, "timerfd_settime");
	loop_run(ev);
	t1 = mono_ns();
	ev_free(ev);
	close(tfd);
	qsort(t.late, t.count, sizeof(*t.late), cmp_i64);
	printf("{\"mode\":\"timer\",\"interval_ns\":%lld,\"deadlines\":%llu,"
	    "\"miss_ns\":%lld,\"fifo\":%s,\"slack_ns\":1,\"seconds\":%.3f,\"wakeups\":%llu,"
	    "\"late_ns\":{\"median\":%lld,\"p99\":%lld,\"max\":%lld},"
	    "\"missed\":%llu,\"missed_pct\":%.4f}\n", (long long)t.interval,
	    (unsigned long long)t.count, (long long)t.miss, o->fifo ? "true" : "false",
	    (double)(t1 - t0) / 1e9, (unsigned long long)t.wakeups,
	    (long long)quantile(t.late, t.count, 500),
	    (long long)quantile(t.late, t.count, 990),
	    (long long)t.late[t.count - 1], (unsigned long long)t.missed,
	    100.0 * (double)t.missed / (double)t.count);
	free(t.late);
	return 0;
}

int
main(int argc, char **argv)
{
	struct floor_opts o = {
		.hz = 100, .seconds_ns = 10 * NS_PER_SEC,
		.interval_us = 1000, .count = 20000,
	};
	const struct subcmd *cmd;

	log_init("floor", LOG_LVL_WARN);
	cmd = parse_args(argc, argv, &o);
	return cmd->fn(&o);
}
