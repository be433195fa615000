/*
 * gen-history: write a synthetic pktmon history of N probes through the
 * client's own writer (client/history.c), so the file has exactly the
 * schema, pragmas and row shapes the client produces. It feeds the report
 * benchmark; nothing here is used by pktmon itself.
 *
 * The path it simulates, from one seed: probes every --interval; RTT of a
 * base path delay plus a daily swell, exponential jitter and rare spikes;
 * a route change (base delay and TTL) a third of the way in and back near
 * the end; loss episodes with queueing delay before them, mostly one
 * direction each, which renew the session after 3 consecutive losses as
 * the client's default policy does; rare background loss, reordering,
 * duplicates and late replies; three client restarts; and one outage that
 * kills the control channel, so its session ends aborted with the
 * direction of its last losses unknown, followed by a silent gap.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "history.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"

#define WINDOW 20		/* the client's default renewal window */
#define RENEW_AFTER 3		/* and its consecutive-loss trigger */
#define RENEW_GAP_NS (10 * NS_PER_SEC)
#define FLUSH_ROWS 50000
#define BACKLOG_ROWS 400000	/* queued rows before waiting for the writer */
#define RESTART_GAP_NS (10 * 60 * NS_PER_SEC)
#define OUTAGE_LOST_NS (15 * NS_PER_SEC)	/* 3 missed keepalives */
#define OUTAGE_GAP_NS (40 * 60 * NS_PER_SEC)
#define DAY_NS (86400 * NS_PER_SEC)

struct episode {
	uint64_t left;		/* probes still to come, 0 when none */
	uint64_t ramp;		/* probes of queueing delay before the loss */
	double p;		/* loss probability per probe */
	enum fate_kind dir;
};

struct gen {
	struct history *h;
	uint64_t rng, target, emitted, buffered;
	int64_t t, iv;
	int64_t sid;		/* current session */
	uint64_t seq;
	struct fate_counts cnt;
	double base_ms;
	int ttl;
	struct episode ep;
	unsigned consec;
	int64_t last_renew, renew_gap, first_loss;
	uint8_t win[WINDOW];
	unsigned win_n, win_lost;
	int64_t ren_id;		/* renewal whose after-figures are pending */
	unsigned ren_n, ren_lost;
	int ren_replied, outage_done, restarts_done, route;
	int dark;		/* in the outage: no control channel, no renewal */
	uint64_t sessions, renewals, lost;
};

/* splitmix64: small, fast, good enough for synthetic data. */
static uint64_t
rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
unif(struct gen *g)
{
	return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static int
chance(struct gen *g, double p)
{
	return unif(g) < p;
}

static double
expo(struct gen *g, double mean)
{
	return -mean * log(1.0 - unif(g));
}

static void
window_push(struct gen *g, int lost)
{
	unsigned i = (unsigned)(g->cnt.sent % WINDOW);

	if (g->win_n == WINDOW)
		g->win_lost -= g->win[i];
	else
		g->win_n++;
	g->win[i] = (uint8_t)lost;
	g->win_lost += (unsigned)lost;
}

static int
session_begin(struct gen *g)
{
	struct history_session s;

	memset(&s, 0, sizeof(s));
	s.server = "probe.example.net:862";
	s.mode = "stamp-auth";
	s.ssid = 1 + (unsigned)(rnd(g) % 65535);
	s.local_addr = "192.0.2.10";
	s.local_port = 32768 + (unsigned)(rnd(g) % 28232);
	s.remote_addr = "198.51.100.7";
	s.remote_port = 862;
	s.interval_ns = g->iv;
	s.size = 112;
	s.timeout_ns = NS_PER_SEC;
	s.timestamping = "kernel-tx+rx";
	s.started_ns = g->t;
	s.dscp = -1;
	if ((g->sid = history_session_begin(g->h, &s)) < 0)
		return (int)g->sid;
	memset(&g->cnt, 0, sizeof(g->cnt));
	g->seq = 0;
	g->win_n = g->win_lost = 0;
	g->consec = 0;
	g->sessions++;
	return 0;
}

/* Store the buffered rows, then the session's totals. */
static int
session_close(struct gen *g, int64_t id, const struct fate_counts *c,
    const char *reason, int64_t renewed_to)
{
	int have_rx = strcmp(reason, "aborted") != 0;
	int r;

	if ((r = history_flush(g->h)) != 0)
		return r;
	g->buffered = 0;
	return history_session_end(g->h, id, g->t + NS_PER_SEC, reason,
	    renewed_to, c, have_rx, c->sent - c->lost_fwd, 0);
}

/* Three consecutive losses: replace the session, as the client would. */
static int
renew(struct gen *g)
{
	struct history_renewal hr;
	struct fate_counts old_cnt = g->cnt;
	int64_t old = g->sid;
	int r;

	memset(&hr, 0, sizeof(hr));
	hr.from_session = old;
	hr.requested_ns = g->t;
	hr.reason = "consecutive-loss";
	hr.detail = "3 consecutive losses";
	hr.first_loss_ns = g->first_loss;
	hr.loss_before_pct = g->win_n ? 100.0 * g->win_lost / g->win_n : 0.0;
	if ((g->ren_id = history_renewal_begin(g->h, &hr)) < 0)
		return (int)g->ren_id;
	/* The old session drains while the new one starts probing. */
	if ((r = history_flush(g->h)) != 0 || (r = session_begin(g)) != 0 ||
	    (r = history_renewal_to(g->h, g->ren_id, g->sid)) != 0 ||
	    (r = session_close(g, old, &old_cnt, "renewed", g->sid)) != 0)
		return r;
	g->ren_n = g->ren_lost = 0;
	g->ren_replied = 0;
	g->renewals++;
	g->last_renew = g->t;
	g->renew_gap = g->renew_gap ? g->renew_gap * 2 : RENEW_GAP_NS;
	g->first_loss = -1;
	/* Half the time a new session (a new port, a new ECMP hash) helps. */
	if (chance(g, 0.5))
		g->ep.left = 0;
	return 0;
}

static int64_t
rtt_ns(struct gen *g)
{
	double day = (double)(g->t % DAY_NS) / (double)DAY_NS;
	double ms = g->base_ms + 2.5 * (1.0 - cos(2.0 * M_PI * day)) / 2.0 +
	    expo(g, 0.4);

	if (g->ep.ramp > 0)
		ms += 40.0 * unif(g) * (1.0 - (double)g->ep.ramp / 60.0);
	if (chance(g, 5e-4))
		ms += 5.0 + 75.0 * unif(g);
	return (int64_t)(ms * 1e6);
}

static void
episode_maybe_start(struct gen *g)
{
	if (g->ep.left > 0 || g->ep.ramp > 0 || !chance(g, 1.0 / 40000))
		return;
	g->ep.ramp = 60;
	g->ep.left = chance(g, 0.1) ? 60 + rnd(g) % 600 : 1 + rnd(g) % 40;
	g->ep.p = 0.4 + 0.6 * unif(g);
	g->ep.dir = chance(g, 0.6) ? FATE_LOST_FWD : FATE_LOST_BWD;
}

/* The fate of the probe about to be stored. */
static void
probe_fate(struct gen *g, struct fate_row *row)
{
	int lost = 0;

	row->fate = FATE_ANSWERED;
	if (g->ep.ramp > 0 && --g->ep.ramp > 0) {
		/* queueing delay builds up; no loss yet */
	} else if (g->ep.left > 0) {
		g->ep.left--;
		lost = chance(g, g->ep.p);
		row->fate = lost ? g->ep.dir : FATE_ANSWERED;
		if (g->ep.left == 0)
			g->renew_gap = 0;
	} else if (chance(g, 2e-5)) {
		lost = 1;
		row->fate = chance(g, 0.5) ? FATE_LOST_FWD : FATE_LOST_BWD;
	}
	if (!lost && chance(g, 5e-5))
		row->fate = FATE_REORDERED;
	else if (!lost && chance(g, 5e-6))
		row->fate = FATE_LATE;
	row->rtt_ns = lost ? -1 : row->fate == FATE_LATE ?
	    NS_PER_SEC + (int64_t)(2e9 * unif(g)) : rtt_ns(g);
	row->ttl = lost ? -1 : g->ttl;
	row->dups = !lost && chance(g, 1e-5) ? 1 : 0;
}

static void
count(struct gen *g, const struct fate_row *row)
{
	struct fate_counts *c = &g->cnt;
	int lost = row->rtt_ns < 0;

	c->sent++;
	c->answered += row->fate == FATE_ANSWERED;
	c->reordered += row->fate == FATE_REORDERED;
	c->late += row->fate == FATE_LATE;
	c->duplicates += row->dups;
	c->lost_fwd += row->fate == FATE_LOST_FWD;
	c->lost_bwd += row->fate == FATE_LOST_BWD;
	c->lost_unknown += row->fate == FATE_LOST;
	g->lost += (uint64_t)lost;
	window_push(g, lost);
	g->consec = lost ? g->consec + 1 : 0;
	if (lost && g->first_loss < 0)
		g->first_loss = row->sent_wall_ns;
	else if (g->win_n == WINDOW && g->win_lost == 0)
		g->first_loss = -1;	/* a clean window ends the episode */
}

/* The first WINDOW probes after a renewal: its first reply and its loss. */
static int
renewal_after(struct gen *g, const struct fate_row *row)
{
	int r = 0;

	if (g->ren_id <= 0 || g->ren_n >= WINDOW)
		return 0;
	if (row->rtt_ns >= 0 && !g->ren_replied) {
		g->ren_replied = 1;
		r = history_renewal_first_reply(g->h, g->ren_id,
		    row->sent_wall_ns + row->rtt_ns);
	}
	g->ren_n++;
	g->ren_lost += row->rtt_ns < 0;
	if (r == 0 && g->ren_n == WINDOW)
		r = history_renewal_after(g->h, g->ren_id, 100.0 * g->ren_lost / WINDOW);
	return r;
}

/*
 * The writer thread stores rows as fast as SQLite lets it; this loop makes
 * them faster still. Wait while too many are queued, so the writer's
 * bounded queue (meant for a failing disk) never overflows.
 */
static int
backlog_wait(struct gen *g)
{
	struct timespec ms = { 0, 1000000 };
	int r;

	while (g->emitted - history_stored(g->h) > BACKLOG_ROWS) {
		if ((r = history_flush(g->h)) != 0)
			return r;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static int
emit(struct gen *g, struct fate_row *row)
{
	int r;

	row->seq = g->seq++;
	row->sent_wall_ns = g->t;
	history_probe(g->h, g->sid, row);
	count(g, row);
	g->emitted++;
	g->t += g->iv;
	if (++g->buffered >= FLUSH_ROWS) {
		if ((r = history_flush(g->h)) != 0 || (r = backlog_wait(g)) != 0)
			return r;
		g->buffered = 0;
	}
	if ((r = renewal_after(g, row)) != 0)
		return r;
	if (!g->dark && g->consec >= RENEW_AFTER &&
	    g->t - g->last_renew >= g->renew_gap)
		return renew(g);
	return 0;
}

/* The path goes dark: the control channel dies after 3 missed keepalives. */
static int
outage(struct gen *g)
{
	struct fate_row row;
	int64_t end = g->t + OUTAGE_LOST_NS;
	int r;

	memset(&row, 0, sizeof(row));
	g->dark = 1;
	while (g->t < end && g->emitted < g->target) {
		row.fate = FATE_LOST;
		row.rtt_ns = -1;
		row.ttl = -1;
		if ((r = emit(g, &row)) != 0)
			return r;
	}
	g->dark = 0;
	if ((r = session_close(g, g->sid, &g->cnt, "aborted", 0)) != 0)
		return r;
	g->t += OUTAGE_GAP_NS;
	g->ep.left = g->ep.ramp = 0;
	return session_begin(g);
}

static int
restart(struct gen *g)
{
	int r;

	if ((r = session_close(g, g->sid, &g->cnt, "stopped", 0)) != 0)
		return r;
	g->t += RESTART_GAP_NS;
	return session_begin(g);
}

/* Scheduled events, at fixed fractions of the run. */
static int
milestones(struct gen *g)
{
	double f = (double)g->emitted / (double)g->target;

	if (g->route == 0 && f >= 0.35) {
		g->route = 1;
		g->base_ms = 24.0;
		g->ttl = 55;
	} else if (g->route == 1 && f >= 0.80) {
		g->route = 2;
		g->base_ms = 18.5;
		g->ttl = 56;
	}
	if (!g->outage_done && f >= 0.60) {
		g->outage_done = 1;
		return outage(g);
	}
	if (g->restarts_done < 3 && f >= 0.25 * (g->restarts_done + 1)) {
		g->restarts_done++;
		return restart(g);
	}
	return 0;
}

static int
generate(struct gen *g)
{
	struct fate_row row;
	int r;

	if ((r = session_begin(g)) != 0)
		return r;
	while (g->emitted < g->target) {
		if ((r = milestones(g)) != 0)
			return r;
		if (g->emitted >= g->target)
			break;
		episode_maybe_start(g);
		memset(&row, 0, sizeof(row));
		probe_fate(g, &row);
		if ((r = emit(g, &row)) != 0)
			return r;
	}
	return session_close(g, g->sid, &g->cnt, "stopped", 0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-history --probes N --db FILE [--interval DUR] "
	    "[--start TIME] [--seed N]\n\n"
	    "  --probes N      probes to write (1 to 10^10)\n"
	    "  --db FILE       history to create; must not exist\n"
	    "  --interval DUR  probe interval (default 1s)\n"
	    "  --start TIME    first probe: epoch seconds, 2026-01-01T00:00Z or -90d\n"
	    "                  (default: so that the last probe is about now)\n"
	    "  --seed N        random seed (default 1)\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, struct gen *g, const char **db)
{
	static const struct option opts[] = {
		{ "probes", required_argument, NULL, 'n' },
		{ "db", required_argument, NULL, 'd' },
		{ "interval", required_argument, NULL, 'i' },
		{ "start", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *start = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 1, 10000000000ULL, &g->target) != 0)
				fatalx(2, "--probes %s: not a number from 1 to 10^10", optarg);
			break;
		case 'd':
			*db = optarg;
			break;
		case 'i':
			if (parse_duration_ns(optarg, 1000000, 3600 * NS_PER_SEC, &v) != 0)
				fatalx(2, "--interval %s: not a duration from 1ms to 1h", optarg);
			g->iv = (int64_t)v;
			break;
		case 's':
			start = optarg;
			break;
		case 'r':
			if (parse_u64(optarg, 0, UINT64_MAX, &g->rng) != 0)
				fatalx(2, "--seed %s: not a number", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || g->target == 0 || *db == NULL)
		usage();
	/* Restarts and the outage add silent time; end about now. */
	g->t = wall_ns() - (int64_t)g->target * g->iv - 3 * RESTART_GAP_NS -
	    OUTAGE_GAP_NS;
	if (start != NULL && parse_time_ns(start, wall_ns(), &g->t) != 0)
		fatalx(2, "--start %s: not a time", start);
}

int
main(int argc, char **argv)
{
	struct gen g;
	const char *db = NULL;
	char err[512];
	struct stat sb;
	int64_t t0, first;
	uint64_t unstored;
	int r;

	log_init("gen-history", LOG_LVL_WARN);
	memset(&g, 0, sizeof(g));
	g.iv = NS_PER_SEC;
	g.rng = 1;
	g.base_ms = 18.0;
	g.ttl = 56;
	g.first_loss = -1;
	parse_args(argc, argv, &g, &db);
	if (stat(db, &sb) == 0 || errno != ENOENT)
		fatalx(2, "%s exists; gen-history only creates new histories", db);
	if (history_open(db, 0, &g.h, err, sizeof(err)) != 0)
		fatalx(4, "%s", err);
	t0 = mono_ns();
	first = g.t;
	r = generate(&g);
	if ((unstored = history_close(g.h)) != 0 || r != 0)
		fatalx(4, "%s: writing the history failed (%llu rows not stored)",
		    db, (unsigned long long)unstored);
	printf("gen-history: %llu probes over %.1f days (%llu lost, %llu sessions, "
	    "%llu renewals, 1 outage) written to %s in %.2f s\n",
	    (unsigned long long)g.emitted, (double)(g.t - first) / (double)DAY_NS,
	    (unsigned long long)g.lost, (unsigned long long)g.sessions,
	    (unsigned long long)g.renewals, db, (double)(mono_ns() - t0) / 1e9);
	return 0;
}
