/*
 * fate: per-probe fates and loss directions, from the model in fate.h. Each
 * scenario is a script of sends, replies, ticks and a close, with the kind
 * of every reply and, at the end, every probe's stored fate, the counters
 * and the directions reported through resolved().
 *
 * Times in the scripts are in ms; the loss timeout is 100 ms and every
 * reply says the reflector held the probe for 1 ms, so an answer at t to a
 * probe sent at t0 has an RTT of t - t0 - 1 ms.
 */
#include <stdlib.h>

#include "check.h"
#include "../../client/fate.c"

#define MS 1000000LL
#define TIMEOUT_MS 100
#define DWELL_MS 1
#define WALL0 1764000000000000000LL
#define TTL 61
#define MAXSEQ 1200
#define UNSET (-12345)		/* rtt_out not written */

enum op { END, SEND, REPLY, TICK, CLOSE };

struct step {
	enum op op;
	int64_t t;		/* ms: send, reply, tick */
	uint32_t seq;		/* reply: sender seq on the wire */
	int64_t refl;		/* reply: reflector seq, -1 none; close: count */
	enum fate_rx kind;	/* reply: expected */
	int64_t rtt;		/* reply: expected ms, or UNSET */
};

#define S(t) { SEND, (t), 0, 0, 0, 0 }
#define R(seq, refl, t, kind, rtt) { REPLY, (t), (seq), (refl), (kind), (rtt) }
#define T(t) { TICK, (t), 0, 0, 0, 0 }
#define CLOSE_COUNT(n) { CLOSE, 0, 1, (n), 0, 0 }
#define CLOSE_NO_COUNT { CLOSE, 0, 0, 0, 0, 0 }
#define STEPS(...) (const struct step[]){ __VA_ARGS__, { END, 0, 0, 0, 0, 0 } }

/*
 * Final fates, one letter per probe: A answered, R reordered, L late,
 * F lost forward, B lost backward, U lost with the direction unknown.
 */
struct scenario {
	const char *name;
	const struct step *steps;
	const char *fates;
	struct fate_counts counts;
	uint64_t res_fwd, res_bwd, res_unknown;	/* sums over resolved() */
};

static const struct scenario scenarios[] = {
	{ "all answered in order", STEPS(
	    S(0), S(10), S(20),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 15, FATE_RX_ANSWER, 4),
	    R(2, 2, 40, FATE_RX_ANSWER, 19),
	    T(500), CLOSE_COUNT(3)),
	    "AAA", { .sent = 3, .answered = 3 }, 0, 0, 0 },
	{ "reordered on the way back", STEPS(
	    S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(2, 2, 11, FATE_RX_ANSWER, 10),
	    R(1, 1, 12, FATE_RX_REORDERED, 11),
	    CLOSE_COUNT(3)),
	    "ARA", { .sent = 3, .answered = 2, .reordered = 1 }, 0, 0, 0 },
	{ "reordered on the way out", STEPS(
	    S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(2, 1, 11, FATE_RX_ANSWER, 10),
	    R(1, 2, 12, FATE_RX_REORDERED, 11),
	    R(3, 3, 13, FATE_RX_ANSWER, 12),
	    T(500), CLOSE_COUNT(4)),
	    "ARAA", { .sent = 4, .answered = 3, .reordered = 1 }, 0, 0, 0 },
	{ "duplicates are not a fate", STEPS(
	    S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(0, 0, 11, FATE_RX_DUPLICATE, UNSET),
	    R(0, 0, 12, FATE_RX_DUPLICATE, UNSET),
	    R(1, 1, 13, FATE_RX_ANSWER, 12),
	    CLOSE_COUNT(2)),
	    "AA", { .sent = 2, .answered = 2, .duplicates = 2 }, 0, 0, 0 },
	{ "never sent is stale", STEPS(
	    R(0, 0, 1, FATE_RX_STALE, UNSET),
	    S(0),
	    R(1, 1, 2, FATE_RX_STALE, UNSET),
	    R(4000000000u, 0, 3, FATE_RX_STALE, UNSET),
	    R(0, 0, 4, FATE_RX_ANSWER, 3),
	    CLOSE_COUNT(1)),
	    "A", { .sent = 1, .answered = 1, .stale = 3 }, 0, 0, 0 },
	/* At the tick, reply (1, 0) says seq 0 never reached the reflector. */
	{ "late after the timeout fired", STEPS(
	    S(0), S(0),
	    R(1, 0, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    R(0, 1, 160, FATE_RX_LATE, 159),
	    R(0, 1, 161, FATE_RX_DUPLICATE, UNSET),
	    CLOSE_COUNT(2)),
	    "LA", { .sent = 2, .answered = 1, .late = 1, .duplicates = 1 },
	    1, 0, 0 },
	{ "late with no tick in between", STEPS(
	    S(0),
	    R(0, 0, 150, FATE_RX_LATE, 149),
	    CLOSE_COUNT(1)),
	    "L", { .sent = 1, .late = 1 }, 0, 0, 0 },
	{ "forward losses: seq 0 1 5 answered by 0 1 2", STEPS(
	    S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(5, 2, 210, FATE_RX_ANSWER, 9),
	    CLOSE_COUNT(3)),
	    "AAFFFA", { .sent = 6, .answered = 3, .lost_fwd = 3 }, 3, 0, 0 },
	{ "backward losses: seq 0 1 5 answered by 0 1 5", STEPS(
	    S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(5, 5, 210, FATE_RX_ANSWER, 9),
	    CLOSE_COUNT(6)),
	    "AABBBA", { .sent = 6, .answered = 3, .lost_bwd = 3 }, 0, 3, 0 },
	{ "mixed gap: the earliest are forward", STEPS(
	    S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(5, 3, 210, FATE_RX_ANSWER, 9),
	    CLOSE_COUNT(4)),
	    "AAFFBA", { .sent = 6, .answered = 3, .lost_fwd = 2, .lost_bwd = 1 },
	    2, 1, 0 },
	{ "a reply before the timeout fixes the gap at the tick", STEPS(
	    S(0), S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    R(5, 3, 12, FATE_RX_ANSWER, 11),
	    T(150),
	    CLOSE_COUNT(4)),
	    "AAFFBA", { .sent = 6, .answered = 3, .lost_fwd = 2, .lost_bwd = 1 },
	    2, 1, 0 },
	{ "two gaps: forward losses accumulate", STEPS(
	    S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(3, 2, 210, FATE_RX_ANSWER, 9),
	    S(300), S(300),
	    R(5, 3, 310, FATE_RX_ANSWER, 9),
	    T(450),
	    CLOSE_COUNT(4)),
	    "AFBAFA", { .sent = 6, .answered = 3, .lost_fwd = 2, .lost_bwd = 1 },
	    2, 1, 0 },
	{ "close with the reflector's count", STEPS(
	    S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    R(2, 2, 10, FATE_RX_ANSWER, 9),
	    R(3, 3, 10, FATE_RX_ANSWER, 9),
	    R(4, 4, 10, FATE_RX_ANSWER, 9),
	    CLOSE_COUNT(7)),
	    "AAAAAFFFBB", { .sent = 10, .answered = 5, .lost_fwd = 3,
	    .lost_bwd = 2 }, 3, 2, 0 },
	{ "close with the count after a tick", STEPS(
	    S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    CLOSE_COUNT(2)),
	    "AFFB", { .sent = 4, .answered = 1, .lost_fwd = 2, .lost_bwd = 1 },
	    2, 1, 0 },
	{ "close without a count: direction unknown", STEPS(
	    S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    R(1, 1, 10, FATE_RX_ANSWER, 9),
	    R(2, 2, 10, FATE_RX_ANSWER, 9),
	    R(3, 3, 10, FATE_RX_ANSWER, 9),
	    R(4, 4, 10, FATE_RX_ANSWER, 9),
	    CLOSE_NO_COUNT),
	    "AAAAAUUUUU", { .sent = 10, .answered = 5, .lost_unknown = 5 },
	    0, 0, 5 },
	{ "a peer without a count (refl -1): direction unknown", STEPS(
	    S(0), S(0), S(0), S(0),
	    R(0, -1, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(4, -1, 210, FATE_RX_ANSWER, 9),
	    CLOSE_NO_COUNT),
	    "AUUUA", { .sent = 5, .answered = 2, .lost_unknown = 3 }, 0, 0, 3 },
	{ "late reply to a loss still waiting, then close without a count",
	    STEPS(
	    S(0), S(0),
	    T(150),
	    R(0, 0, 160, FATE_RX_LATE, 159),
	    CLOSE_NO_COUNT),
	    "LU", { .sent = 2, .late = 1, .lost_unknown = 1 }, 0, 0, 1 },
	{ "late reply to a loss still waiting, then close with a count",
	    STEPS(
	    S(0), S(0),
	    T(150),
	    R(0, 0, 160, FATE_RX_LATE, 159),
	    CLOSE_COUNT(2)),
	    "LB", { .sent = 2, .late = 1, .lost_bwd = 1 }, 0, 1, 0 },
	{ "late reply to a loss already given a direction", STEPS(
	    S(0), S(0), S(0),
	    R(0, 0, 10, FATE_RX_ANSWER, 9),
	    T(150),
	    S(200),
	    R(3, 3, 210, FATE_RX_ANSWER, 9),
	    R(1, 1, 260, FATE_RX_LATE, 259),
	    CLOSE_COUNT(4)),
	    "ALBA", { .sent = 4, .answered = 2, .late = 1, .lost_bwd = 1 },
	    0, 2, 0 },
	{ "RTT without a dwell beyond the round trip", STEPS(
	    S(0),
	    R(0, 0, 0, FATE_RX_ANSWER, 0),
	    CLOSE_COUNT(1)),
	    "A", { .sent = 1, .answered = 1 }, 0, 0, 0 },
};

/* What the callbacks saw: the last row per seq, as an upsert would. */
struct record {
	const char *name;
	struct fate_row rows[MAXSEQ];
	int have[MAXSEQ];
	uint64_t nlost, res_fwd, res_bwd, res_unknown;
	uint64_t settled[MAXSEQ];	/* seq of each settled() call, in order */
	int settled_lost[MAXSEQ];
	size_t nsettled;
};

static void
on_row(void *arg, const struct fate_row *row)
{
	struct record *r = arg;

	if (row->fate == FATE_PENDING) {
		check_fail("%s: row() for seq %llu: expected a stored fate, got "
		    "FATE_PENDING", r->name, (unsigned long long)row->seq);
		return;
	}
	if (row->seq >= MAXSEQ)
		return;		/* the long runs check counts, not rows */
	r->rows[row->seq] = *row;
	r->have[row->seq] = 1;
}

static void
on_lost(void *arg, const struct fate_row *row)
{
	struct record *r = arg;

	r->nlost++;
	on_row(arg, row);
	if (row->fate != FATE_LOST || row->rtt_ns != -1)
		check_fail("%s: lost() for seq %llu: expected FATE_LOST with rtt -1, "
		    "got fate %d rtt %lld", r->name, (unsigned long long)row->seq,
		    row->fate, (long long)row->rtt_ns);
}

static void
on_resolved(void *arg, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown)
{
	struct record *r = arg;

	r->res_fwd += nfwd;
	r->res_bwd += nbwd;
	r->res_unknown += nunknown;
}

static void
on_settled(void *arg, uint64_t seq, int lost)
{
	struct record *r = arg;

	if (r->nsettled < MAXSEQ) {
		r->settled[r->nsettled] = seq;
		r->settled_lost[r->nsettled++] = lost;
	}
}

static char
fate_letter(enum fate_kind k)
{
	switch (k) {
	case FATE_ANSWERED: return 'A';
	case FATE_REORDERED: return 'R';
	case FATE_LATE: return 'L';
	case FATE_LOST_FWD: return 'F';
	case FATE_LOST_BWD: return 'B';
	case FATE_LOST: return 'U';
	case FATE_UNSENT: return 'N';
	case FATE_PENDING: return 'P';
	}
	return '?';
}

static const char *
rx_name(enum fate_rx k)
{
	switch (k) {
	case FATE_RX_ANSWER: return "ANSWER";
	case FATE_RX_REORDERED: return "REORDERED";
	case FATE_RX_LATE: return "LATE";
	case FATE_RX_DUPLICATE: return "DUPLICATE";
	case FATE_RX_STALE: return "STALE";
	}
	return "?";
}

static const struct {
	const char *name;
	size_t off;
} count_fields[] = {
	{ "sent", offsetof(struct fate_counts, sent) },
	{ "answered", offsetof(struct fate_counts, answered) },
	{ "reordered", offsetof(struct fate_counts, reordered) },
	{ "late", offsetof(struct fate_counts, late) },
	{ "duplicates", offsetof(struct fate_counts, duplicates) },
	{ "stale", offsetof(struct fate_counts, stale) },
	{ "lost_fwd", offsetof(struct fate_counts, lost_fwd) },
	{ "lost_bwd", offsetof(struct fate_counts, lost_bwd) },
	{ "lost_unknown", offsetof(struct fate_counts, lost_unknown) },
	{ "lost_pending", offsetof(struct fate_counts, lost_pending) },
};

static uint64_t
count_of(const struct fate_counts *c, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)c + count_fields[i].off, sizeof(v));
	return v;
}

static struct fate *
new_fate(struct record *rec, uint64_t ring_hint)
{
	struct fate_events ev = { on_row, on_lost, on_resolved, on_settled, rec };
	struct fate *f = fate_new(TIMEOUT_MS * MS, ring_hint, &ev);

	if (f == NULL)
		fail_msg("%s: fate_new: expected a handle, got NULL", rec->name);
	return f;
}

/* Runs a script; returns the number of probes sent. */
static uint64_t
run_steps(struct fate *f, struct record *rec, const struct step *st,
    int64_t send_ms[MAXSEQ])
{
	uint64_t nsent = 0, seq_out;
	int64_t rtt;
	enum fate_rx kind;

	for (; st->op != END; st++) {
		switch (st->op) {
		case SEND:
			check_u64(desc("%s: fate_next_seq before send %llu", rec->name,
			    (unsigned long long)nsent), nsent, fate_next_seq(f));
			send_ms[nsent++] = st->t;
			fate_sent(f, st->t * MS, WALL0 + st->t * MS);
			break;
		case REPLY:
			rtt = UNSET;
			seq_out = UINT64_MAX;
			kind = fate_reply(f, st->seq, st->refl, st->t * MS,
			    DWELL_MS * MS, TTL, NULL, &seq_out, &rtt);
			if (kind != st->kind)
				check_fail("%s: reply to seq %u at %lld ms: expected %s, "
				    "got %s", rec->name, st->seq, (long long)st->t,
				    rx_name(st->kind), rx_name(kind));
			check_i64(desc("%s: RTT of the reply to seq %u at %lld ms",
			    rec->name, st->seq, (long long)st->t),
			    st->rtt == UNSET ? UNSET : st->rtt * MS, rtt);
			if (st->kind != FATE_RX_STALE)
				check_u64(desc("%s: seq_out of the reply to seq %u",
				    rec->name, st->seq), st->seq, seq_out);
			break;
		case TICK:
			fate_tick(f, st->t * MS);
			break;
		case CLOSE:
			fate_close(f, st->seq != 0, (uint64_t)st->refl);
			break;
		case END:
			break;
		}
	}
	return nsent;
}

static void
test_scenarios(void **state)
{
	static struct record rec;
	static int64_t send_ms[MAXSEQ];
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(scenarios); i++) {
		const struct scenario *sc = &scenarios[i];
		const struct fate_counts *n;
		uint64_t nsent, sum;
		struct fate *f;
		char got[MAXSEQ + 1];

		memset(&rec, 0, sizeof(rec));
		rec.name = sc->name;
		f = new_fate(&rec, 0);
		nsent = run_steps(f, &rec, sc->steps, send_ms);

		for (k = 0; k < nsent; k++) {
			const struct fate_row *row = &rec.rows[k];

			got[k] = rec.have[k] ? fate_letter(row->fate) : '-';
			if (!rec.have[k])
				continue;
			check_i64(desc("%s: seq %zu sent_wall_ns", sc->name, k),
			    WALL0 + send_ms[k] * MS, row->sent_wall_ns);
			if (row->fate == FATE_LOST_FWD || row->fate == FATE_LOST_BWD ||
			    row->fate == FATE_LOST) {
				check_i64(desc("%s: seq %zu rtt (lost)", sc->name, k), -1,
				    row->rtt_ns);
				check_i64(desc("%s: seq %zu ttl (lost)", sc->name, k), -1,
				    row->ttl);
			} else {
				check_i64(desc("%s: seq %zu ttl", sc->name, k), TTL, row->ttl);
			}
		}
		got[nsent] = '\0';
		check_str(desc("%s: fates", sc->name), sc->fates, got);

		n = fate_counts(f);
		for (k = 0; k < NELEM(count_fields); k++)
			check_u64(desc("%s: counts.%s", sc->name, count_fields[k].name),
			    count_of(&sc->counts, k), count_of(n, k));
		/* Every probe has exactly one fate. */
		sum = n->answered + n->reordered + n->late + n->lost_fwd +
		    n->lost_bwd + n->lost_unknown + n->lost_pending;
		check_u64(desc("%s: sent vs the sum of fates", sc->name), n->sent, sum);
		check_u64(desc("%s: resolved() forward", sc->name), sc->res_fwd,
		    rec.res_fwd);
		check_u64(desc("%s: resolved() backward", sc->name), sc->res_bwd,
		    rec.res_bwd);
		check_u64(desc("%s: resolved() unknown", sc->name), sc->res_unknown,
		    rec.res_unknown);
		check_i64(desc("%s: fate_next_deadline after close", sc->name), -1,
		    fate_next_deadline(f));
		fate_free(f);
	}
	check_done();
}

static void
test_duplicate_row(void **state)
{
	static struct record rec;
	uint64_t seq_out;
	int64_t rtt;
	struct fate *f;

	(void)state;
	rec.name = "duplicate";
	f = new_fate(&rec, 0);
	fate_sent(f, 0, WALL0);
	(void)fate_reply(f, 0, 0, 10 * MS, 0, TTL, NULL, &seq_out, &rtt);
	(void)fate_reply(f, 0, 0, 11 * MS, 0, TTL, NULL, &seq_out, &rtt);
	(void)fate_reply(f, 0, 0, 12 * MS, 0, TTL, NULL, &seq_out, &rtt);
	check_u64("duplicate: row dups after two copies", 2, rec.rows[0].dups);
	check_i64("duplicate: row rtt stays the first reply's", 10 * MS,
	    rec.rows[0].rtt_ns);
	check_u64("duplicate: row fate", FATE_ANSWERED, rec.rows[0].fate);
	fate_free(f);
	check_done();
}

/* One-way delays go into the row of the reply that carried them; a
 * duplicate leaves them as the first copy set them. */
static void
test_one_way_row(void **state)
{
	static struct record rec;
	struct fate_owd owd = { 3 * MS, -2 * MS }, other = { 9 * MS, 9 * MS };
	uint64_t seq_out;
	int64_t rtt;
	struct fate *f;

	(void)state;
	rec.name = "one-way";
	f = new_fate(&rec, 0);
	fate_sent(f, 0, WALL0);
	fate_sent(f, 1 * MS, WALL0 + 1 * MS);
	(void)fate_reply(f, 0, 0, 10 * MS, 0, TTL, &owd, &seq_out, &rtt);
	(void)fate_reply(f, 0, 0, 11 * MS, 0, TTL, &other, &seq_out, &rtt);
	(void)fate_reply(f, 1, 1, 12 * MS, 0, TTL, NULL, &seq_out, &rtt);
	check_u64("one-way: row 0 has one-way delays", 1, rec.rows[0].has_owd);
	check_i64("one-way: forward delay as given", 3 * MS, rec.rows[0].owd_fwd_ns);
	check_i64("one-way: backward delay below zero kept", -2 * MS,
	    rec.rows[0].owd_bwd_ns);
	check_u64("one-way: row 1 without synchronised clocks", 0,
	    rec.rows[1].has_owd);
	/* A kernel transmit stamp 50 us after the send call shortens the
	 * forward delay by as much, as it does the RTT. */
	fate_sent(f, 20 * MS, WALL0 + 20 * MS);
	fate_tx_time(f, 2, 20 * MS + 50000, 10 * MS);
	(void)fate_reply(f, 2, 2, 30 * MS, 0, TTL, &owd, &seq_out, &rtt);
	check_i64("one-way: forward delay from the kernel's stamp", 3 * MS - 50000,
	    rec.rows[2].owd_fwd_ns);
	check_i64("one-way: RTT from the kernel's stamp", 10 * MS - 50000, rtt);
	fate_free(f);
	check_done();
}

/*
 * Outcomes reach settled() in probe order: replies come back at once but
 * the losses among them only at the timeout, and a policy fed in arrival
 * order would see two losses 3 probes apart as consecutive.
 */
static void
test_settled_in_order(void **state)
{
	static struct record rec;
	uint64_t seq_out, i;
	int64_t rtt;
	struct fate *f;

	(void)state;
	rec.name = "settled";
	f = new_fate(&rec, 0);
	for (i = 0; i < 8; i++)
		fate_sent(f, (int64_t)i * MS, WALL0 + (int64_t)i * MS);
	for (i = 0; i < 8; i++)
		if (i != 2 && i != 5)
			(void)fate_reply(f, (uint32_t)i, (int64_t)(i - (i > 2) - (i > 5)),
			    ((int64_t)i + 1) * MS, 0, TTL, NULL, &seq_out, &rtt);
	check_u64("settled: before any timeout, only the probes before the "
	    "first one pending", 2, rec.nsettled);
	fate_tick(f, (TIMEOUT_MS + 10) * MS);
	check_u64("settled: every probe once the losses timed out", 8, rec.nsettled);
	for (i = 0; i < rec.nsettled; i++) {
		check_u64(desc("settled: call %llu in probe order",
		    (unsigned long long)i), i, rec.settled[i]);
		check_u64(desc("settled: seq %llu lost", (unsigned long long)i),
		    i == 2 || i == 5, (uint64_t)rec.settled_lost[i]);
	}
	fate_free(f);
	check_done();
}

static void
test_deadline(void **state)
{
	static struct record rec;
	uint64_t seq_out;
	int64_t rtt;
	struct fate *f;

	(void)state;
	rec.name = "deadline";
	f = new_fate(&rec, 0);
	check_i64("fate_next_deadline with nothing sent", -1, fate_next_deadline(f));
	fate_sent(f, 0, WALL0);
	fate_sent(f, 10 * MS, WALL0);
	check_i64("fate_next_deadline, two in flight", 100 * MS,
	    fate_next_deadline(f));
	(void)fate_reply(f, 0, 0, 20 * MS, 0, TTL, NULL, &seq_out, &rtt);
	check_i64("fate_next_deadline after seq 0 answered", 110 * MS,
	    fate_next_deadline(f));
	fate_tick(f, 50 * MS);
	check_i64("fate_next_deadline after an early tick", 110 * MS,
	    fate_next_deadline(f));
	check_u64("lost_pending after an early tick", 0,
	    fate_counts(f)->lost_pending);
	fate_tick(f, 110 * MS);
	check_i64("fate_next_deadline after seq 1 timed out", -1,
	    fate_next_deadline(f));
	check_u64("lost() calls", 1, rec.nlost);
	fate_free(f);
	check_done();
}

/* Replies older than the window the ring holds are stale. */
static void
test_ring_window(void **state)
{
	static struct record rec;
	uint64_t seq_out;
	int64_t rtt;
	struct fate *f;
	int i;

	(void)state;
	rec.name = "ring";
	f = new_fate(&rec, 0);
	for (i = 0; i < 1100; i++)
		fate_sent(f, i * MS, WALL0 + i * MS);
	fate_tick(f, 1300 * MS);
	check_u64("ring: lost after 1100 sends", 1100,
	    fate_counts(f)->lost_pending);
	check_u64("ring: reply to seq 0 after 1100 more",
	    FATE_RX_STALE, fate_reply(f, 0, 0, 1301 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("ring: reply to seq 1099 (in the window)",
	    FATE_RX_LATE, fate_reply(f, 1099, 1099, 1302 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("ring: seq_out of seq 1099", 1099, seq_out);
	check_u64("ring: stale", 1, fate_counts(f)->stale);
	fate_close(f, 0, 0);
	check_u64("ring: sent vs the sum of fates", 1100,
	    fate_counts(f)->late + fate_counts(f)->lost_unknown +
	    fate_counts(f)->lost_pending);
	fate_free(f);

	/* A larger ring_hint widens the window. */
	memset(&rec, 0, sizeof(rec));
	rec.name = "ring 4096";
	f = new_fate(&rec, 3000);
	for (i = 0; i < 3000; i++)
		fate_sent(f, i * MS, WALL0);
	fate_tick(f, 4000 * MS);
	check_u64("ring_hint 3000: reply to seq 0 after 3000 sends",
	    FATE_RX_LATE, fate_reply(f, 0, 0, 4001 * MS, 0, TTL, NULL, &seq_out, &rtt));
	fate_free(f);
	check_done();
}

/*
 * Past 2^32 probes the wire numbers wrap; fate unwraps them to 64 bits.
 * Sending 2^32 probes would take minutes, so the handle is moved to just
 * before the wrap (the #include above gives the test its fields).
 */
static void
test_seq_wrap(void **state)
{
	static const uint64_t base = (1ULL << 32) - 2;
	static struct record rec;
	uint64_t seq_out = 0;
	int64_t rtt;
	struct fate *f;
	int i;

	(void)state;
	rec.name = "wrap";
	f = new_fate(&rec, 0);
	f->next_seq = f->cursor = f->frontier = f->max_answered = base;
	f->refl_hi = base;
	for (i = 0; i < 4; i++)
		fate_sent(f, 0, WALL0);		/* base .. base + 3 */
	check_u64("wrap: next seq", base + 4, fate_next_seq(f));
	check_u64("wrap: reply 0xfffffffe", FATE_RX_ANSWER,
	    fate_reply(f, 0xfffffffe, 0xfffffffe, 10 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("wrap: seq_out of 0xfffffffe", base, seq_out);
	check_u64("wrap: reply 0xffffffff", FATE_RX_ANSWER,
	    fate_reply(f, 0xffffffff, 0xffffffff, 10 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("wrap: seq_out of 0xffffffff", base + 1, seq_out);
	/* base + 2 (wire 0) is lost; the reflector got it (backward). */
	check_u64("wrap: reply 1", FATE_RX_ANSWER,
	    fate_reply(f, 1, 1, 12 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("wrap: seq_out of wire 1", base + 3, seq_out);
	fate_tick(f, 200 * MS);
	check_u64("wrap: lost_bwd (reflector seq unwrapped too)", 1,
	    fate_counts(f)->lost_bwd);
	check_u64("wrap: lost_fwd", 0, fate_counts(f)->lost_fwd);
	check_u64("wrap: reply 0 now late", FATE_RX_LATE,
	    fate_reply(f, 0, 0, 201 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_u64("wrap: seq_out of wire 0", base + 2, seq_out);
	fate_free(f);
	check_done();
}

/*
 * Random sessions over a simulated path: probes every 10 ms, lost forward
 * or backward, duplicated, and (when jitter is on) delayed enough to be
 * reordered or late. A reflector numbers what it receives in arrival order.
 * Always: every probe has one fate, rows agree with the counters, nothing
 * is left pending after close. Without jitter the directions are exact:
 * with the reflector's count at close, lost_fwd and lost_bwd are the
 * simulated losses.
 */
#define SIM_PROBES 400

struct sim_ev {
	int64_t t;		/* us */
	int send;		/* else a reply */
	uint32_t seq;
	int64_t refl;
};

static uint64_t sim_rng;

static uint32_t
sim_rand(uint32_t n)
{
	sim_rng ^= sim_rng << 13;
	sim_rng ^= sim_rng >> 7;
	sim_rng ^= sim_rng << 17;
	return (uint32_t)(sim_rng % n);
}

static int
sim_cmp(const void *a, const void *b)
{
	const struct sim_ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->send != y->send)
		return x->send ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
sim_session(int round, int jitter, int have_count)
{
	static struct sim_ev ev[SIM_PROBES * 3], arr[SIM_PROBES];
	static struct record rec;
	uint64_t true_fwd = 0, true_bwd = 0, rx = 0, seq_out, tally[8] = { 0 };
	const struct fate_counts *n;
	size_t nev = 0, narr = 0, i;
	int64_t rtt;
	struct fate *f;
	char name[96];

	snprintf(name, sizeof(name), "random session %d (jitter %d, count %d)",
	    round, jitter, have_count);
	memset(&rec, 0, sizeof(rec));
	rec.name = name;
	f = new_fate(&rec, 0);
	for (i = 0; i < SIM_PROBES; i++) {
		int64_t ts = (int64_t)i * 10000;

		ev[nev++] = (struct sim_ev){ ts, 1, (uint32_t)i, 0 };
		if (sim_rand(100) < 8) {
			true_fwd++;
			continue;
		}
		arr[narr++] = (struct sim_ev){ ts + 5000 +
		    (jitter ? sim_rand(150000) : 0), 0, (uint32_t)i, 0 };
	}
	/* The reflector numbers probes in the order they reach it. */
	qsort(arr, narr, sizeof(arr[0]), sim_cmp);
	for (i = 0; i < narr; i++) {
		int64_t tx = arr[i].t + 1000;

		rx++;
		if (sim_rand(100) < 8) {
			true_bwd++;
			continue;
		}
		ev[nev++] = (struct sim_ev){ tx + 5000 +
		    (jitter ? sim_rand(150000) : 0), 0, arr[i].seq, (int64_t)i };
		if (sim_rand(100) < 3)
			ev[nev++] = (struct sim_ev){ tx + 6000 +
			    (jitter ? sim_rand(150000) : 0), 0, arr[i].seq, (int64_t)i };
	}
	qsort(ev, nev, sizeof(ev[0]), sim_cmp);
	for (i = 0; i < nev; i++) {
		fate_tick(f, ev[i].t * 1000);
		if (ev[i].send)
			fate_sent(f, ev[i].t * 1000, WALL0);
		else
			(void)fate_reply(f, ev[i].seq, ev[i].refl, ev[i].t * 1000,
			    DWELL_MS * MS, TTL, NULL, &seq_out, &rtt);
		if (fate_counts(f)->lost_pending > fate_counts(f)->sent) {
			check_fail("%s: lost_pending %llu exceeds sent %llu at event %zu",
			    name, (unsigned long long)fate_counts(f)->lost_pending,
			    (unsigned long long)fate_counts(f)->sent, i);
			break;
		}
	}
	fate_close(f, have_count, rx);
	n = fate_counts(f);

	check_u64(desc("%s: sum of fates", name), n->sent,
	    n->answered + n->reordered + n->late + n->lost_fwd + n->lost_bwd +
	    n->lost_unknown + n->lost_pending);
	check_u64(desc("%s: lost_pending after close", name), 0, n->lost_pending);
	for (i = 0; i < SIM_PROBES; i++)
		if (rec.have[i])
			tally[rec.rows[i].fate]++;
	check_u64(desc("%s: rows answered", name), n->answered, tally[FATE_ANSWERED]);
	check_u64(desc("%s: rows reordered", name), n->reordered,
	    tally[FATE_REORDERED]);
	check_u64(desc("%s: rows late", name), n->late, tally[FATE_LATE]);
	check_u64(desc("%s: rows lost forward", name), n->lost_fwd,
	    tally[FATE_LOST_FWD]);
	check_u64(desc("%s: rows lost backward", name), n->lost_bwd,
	    tally[FATE_LOST_BWD]);
	check_u64(desc("%s: rows lost, unknown", name), n->lost_unknown,
	    tally[FATE_LOST]);
	if (!jitter) {
		check_u64(desc("%s: late", name), 0, n->late);
		check_u64(desc("%s: reordered", name), 0, n->reordered);
		check_u64(desc("%s: all losses", name), true_fwd + true_bwd,
		    n->lost_fwd + n->lost_bwd + n->lost_unknown);
		if (have_count) {
			check_u64(desc("%s: lost_fwd", name), true_fwd, n->lost_fwd);
			check_u64(desc("%s: lost_bwd", name), true_bwd, n->lost_bwd);
		}
	}
	fate_free(f);
}

static void
test_random_sessions(void **state)
{
	int round;

	(void)state;
	sim_rng = 0x2545f4914f6cdd1dULL;
	/* Stop at the first failing session: one is enough to debug. */
	for (round = 0; round < 200 && check_failures == 0; round++)
		sim_session(round, round % 2, (round / 2) % 2);
	check_done();
}

/*
 * A probe times out, then its late reply comes; then an outage longer than
 * the ring (1,024 probes) follows before the next in-order reply fixes the
 * directions. The late probe must not be counted lost again when its ring
 * slot is reused: the losses are exactly the outage's, all forward, and
 * nothing pending is left (it once wrapped to 2^64 - 1).
 */
static void
test_late_then_long_outage(void **state)
{
	static struct record rec;
	struct fate_counts n;
	uint64_t seq_out, i, gap = 1500;
	int64_t rtt, t = 0;
	struct fate *f;

	(void)state;
	rec.name = "late then long outage";
	f = new_fate(&rec, 0);
	fate_sent(f, 0, WALL0);				/* seq 0: answered */
	(void)fate_reply(f, 0, 0, 1 * MS, 0, TTL, NULL, &seq_out, &rtt);
	fate_sent(f, 10 * MS, WALL0 + 10 * MS);		/* seq 1: late */
	fate_tick(f, 200 * MS);
	check_u64("late: timed out first", 1, fate_counts(f)->lost_pending);
	check_i64("late: reply after the timeout",
	    FATE_RX_LATE, fate_reply(f, 1, 1, 250 * MS, 0, TTL, NULL, &seq_out, &rtt));
	/* The outage: seq 2 .. 2 + gap - 1 never reach the reflector. */
	for (i = 0, t = 300; i < gap; i++, t += 10) {
		fate_sent(f, t * MS, WALL0 + t * MS);
		fate_tick(f, t * MS);
	}
	fate_sent(f, t * MS, WALL0 + t * MS);		/* back: reflector's 3rd */
	fate_tick(f, t * MS);
	(void)fate_reply(f, (uint32_t)(2 + gap), 2, (t + 1) * MS, 0, TTL, NULL,
	    &seq_out, &rtt);
	fate_close(f, 1, 3);
	n = *fate_counts(f);
	check_u64("late then long outage: late", 1, n.late);
	check_u64("late then long outage: lost forward", gap, n.lost_fwd);
	check_u64("late then long outage: lost backward (none invented)", 0, n.lost_bwd);
	check_u64("late then long outage: pending", 0, n.lost_pending);
	check_u64("late then long outage: unknown", 0, n.lost_unknown);
	fate_free(f);
	check_done();
}

/* A probe the kernel refused is unsent: a loss at once, counted forward in
 * the reflector's numbering, never answerable; a negative round trip is
 * counted, not stored as 0. */
static void
test_unsent_and_negative_rtt(void **state)
{
	static struct record rec;
	uint64_t seq_out;
	int64_t rtt;
	struct fate *f;

	(void)state;
	rec.name = "unsent";
	f = new_fate(&rec, 0);
	fate_sent(f, 0, WALL0);
	fate_sent(f, 10 * MS, WALL0 + 10 * MS);
	fate_unsent(f, 0);
	check_u64("unsent: counted", 1, fate_counts(f)->unsent);
	check_u64("unsent: row fate", FATE_UNSENT, rec.rows[0].fate);
	check_i64("unsent: a reply to it is not its reply", FATE_RX_STALE,
	    fate_reply(f, 0, 0, 5 * MS, 0, TTL, NULL, &seq_out, &rtt));
	/* The reflector's first reply is to seq 1: nothing forward-lost is
	 * left to find, the unsent one was already counted. */
	(void)fate_reply(f, 1, 0, 20 * MS, 0, TTL, NULL, &seq_out, &rtt);
	fate_sent(f, 30 * MS, WALL0 + 30 * MS);
	check_i64("negative RTT: answered", FATE_RX_ANSWER,
	    fate_reply(f, 2, 1, 29 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_i64("negative RTT: not a number", -1, rtt);
	check_u64("negative RTT: counted", 1, fate_counts(f)->rtt_errors);
	/* A transmit stamp later than the reply's arrival is not the probe's:
	 * the RTT runs from the send call instead. */
	fate_sent(f, 40 * MS, WALL0 + 40 * MS);
	check_i64("late stamp: taken at first", 1, fate_tx_time(f, 3, 45 * MS, 10 * MS));
	check_i64("late stamp: answered", FATE_RX_ANSWER,
	    fate_reply(f, 3, 2, 44 * MS, 0, TTL, NULL, &seq_out, &rtt));
	check_i64("late stamp: RTT from the send call", 4 * MS, rtt);
	check_u64("late stamp: counted", 1, fate_counts(f)->tx_stamps_dropped);
	fate_close(f, 1, 3);
	check_u64("unsent: no forward loss invented", 0, fate_counts(f)->lost_fwd);
	check_u64("unsent: settled lost", 1, rec.settled_lost[0]);
	fate_free(f);
	check_done();
}

static void
test_free_null(void **state)
{
	(void)state;
	fate_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_duplicate_row),
		cmocka_unit_test(test_one_way_row),
		cmocka_unit_test(test_settled_in_order),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_ring_window),
		cmocka_unit_test(test_seq_wrap),
		cmocka_unit_test(test_random_sessions),
		cmocka_unit_test(test_late_then_long_outage),
		cmocka_unit_test(test_unsent_and_negative_rtt),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
