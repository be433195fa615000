/*
 * fate: a ring of in-flight probes, a timeout cursor and a direction
 * frontier. See fate.h for the model.
 */
#include <stdlib.h>
#include <string.h>

#include "fate.h"

#define FATE_RING_MIN 1024
#define FATE_RING_MAX (1u << 22)
#define FATE_QUEUE_MAX (1u << 20)

struct slot {
	uint64_t seq;
	uint64_t tag;
	uint64_t refl_seq;
	int64_t send_mono;
	int64_t send_wall;
	int64_t rtt;
	struct fate_owd owd;
	int64_t tx_adj;		/* kernel transmit stamp minus the send call's time */
	uint32_t dups;
	int16_t ttl;
	uint8_t state;		/* enum fate_kind */
	uint8_t has_refl;
	uint8_t has_owd;
	uint8_t queued;		/* in the queue of losses awaiting a direction */
};

struct fate {
	struct fate_events ev;
	int64_t timeout;
	uint64_t mask;
	struct slot *ring;
	uint64_t next_seq;	/* next to send */
	uint64_t next_tag;	/* the caller's number for it */
	uint64_t cursor;	/* every seq below is answered or timed out */
	uint64_t frontier;	/* every seq below has been walked for direction */
	uint64_t max_answered;	/* 1 + highest seq answered, 0 if none */
	uint64_t refl_hi;	/* 1 + highest reflector seq seen, 0 if none */
	uint64_t fwd_assigned;	/* forward losses attributed so far */
	uint64_t *queue;	/* lost, direction unknown, in seq order */
	size_t qlen, qcap;
	struct fate_counts n;
};

struct fate *
fate_new(int64_t timeout_ns, uint64_t ring_hint, const struct fate_events *ev)
{
	struct fate *f = calloc(1, sizeof(*f));
	uint64_t size = FATE_RING_MIN;

	if (f == NULL)
		return NULL;
	while (size < ring_hint && size < FATE_RING_MAX)
		size <<= 1;
	if ((f->ring = calloc(size, sizeof(*f->ring))) == NULL) {
		free(f);
		return NULL;
	}
	f->mask = size - 1;
	f->timeout = timeout_ns;
	f->ev = *ev;
	return f;
}

void
fate_free(struct fate *f)
{
	if (f == NULL)
		return;
	free(f->ring);
	free(f->queue);
	free(f);
}

static struct slot *
slot_of(struct fate *f, uint64_t seq)
{
	return &f->ring[seq & f->mask];
}

static void
row_of(const struct slot *s, struct fate_row *row)
{
	row->seq = s->seq;
	row->tag = s->tag;
	row->sent_wall_ns = s->send_wall;
	row->rtt_ns = s->rtt;
	row->fate = (enum fate_kind)s->state;
	row->dups = s->dups;
	row->ttl = s->ttl;
	row->has_owd = s->has_owd;
	row->owd_fwd_ns = s->owd.fwd_ns;
	row->owd_bwd_ns = s->owd.bwd_ns;
}

static void
emit_row(struct fate *f, const struct slot *s)
{
	struct fate_row row;

	row_of(s, &row);
	if (f->ev.row != NULL)
		f->ev.row(f->ev.arg, &row);
}

static void
mark_lost(struct fate *f, struct slot *s)
{
	struct fate_row row;

	s->state = FATE_LOST;
	f->n.lost_pending++;
	emit_row(f, s);
	row_of(s, &row);
	if (f->ev.lost != NULL)
		f->ev.lost(f->ev.arg, &row);
}

static void
queue_push(struct fate *f, uint64_t seq)
{
	uint64_t *nq;
	size_t ncap;

	if (f->qlen == f->qcap) {
		ncap = f->qcap ? f->qcap * 2 : 64;
		if (ncap > FATE_QUEUE_MAX ||
		    (nq = realloc(f->queue, ncap * sizeof(*nq))) == NULL) {
			/* Too many undecided losses: this one stays unknown. */
			f->n.lost_pending--;
			f->n.lost_unknown++;
			return;
		}
		f->queue = nq;
		f->qcap = ncap;
	}
	f->queue[f->qlen++] = seq;
}

/* Give the queued losses directions: the first nfwd forward, rest backward. */
static void
assign(struct fate *f, uint64_t nfwd)
{
	uint64_t fwd = 0, bwd = 0;
	struct slot *s;
	size_t i;

	for (i = 0; i < f->qlen; i++) {
		s = slot_of(f, f->queue[i]);
		/* Late ones left the queue; a reused slot was a loss still. */
		if (s->seq == f->queue[i] && s->state != FATE_LOST)
			continue;
		if (s->seq == f->queue[i])
			s->queued = 0;
		if (fwd < nfwd) {
			fwd++;
			if (s->seq == f->queue[i]) { s->state = FATE_LOST_FWD; emit_row(f, s); }
		} else {
			bwd++;
			if (s->seq == f->queue[i]) { s->state = FATE_LOST_BWD; emit_row(f, s); }
		}
	}
	f->qlen = 0;
	f->fwd_assigned += fwd;
	f->n.lost_fwd += fwd;
	f->n.lost_bwd += bwd;
	f->n.lost_pending -= fwd + bwd;
	if ((fwd || bwd) && f->ev.resolved != NULL)
		f->ev.resolved(f->ev.arg, fwd, bwd, 0);
}

/* Forward losses among seqs 0..s as the in-order reply (s, r) shows them. */
static void
checkpoint(struct fate *f, uint64_t s, uint64_t r)
{
	uint64_t cum_fwd = s > r ? s - r : 0;
	uint64_t need = cum_fwd > f->fwd_assigned ? cum_fwd - f->fwd_assigned : 0;

	if (f->qlen == 0)
		return;
	assign(f, need < f->qlen ? need : f->qlen);
}

static void
walk(struct fate *f)
{
	struct slot *s;

	for (; f->frontier < f->cursor; f->frontier++) {
		s = slot_of(f, f->frontier);
		if (s->seq != f->frontier)
			continue;
		if (f->ev.settled != NULL)
			f->ev.settled(f->ev.arg, s->seq, s->state == FATE_LOST ||
			    s->state == FATE_LOST_FWD || s->state == FATE_LOST_BWD ||
			    s->state == FATE_UNSENT);
		if (s->state == FATE_LOST) {
			s->queued = 1;
			queue_push(f, s->seq);
		} else if (s->state == FATE_UNSENT)
			f->fwd_assigned++;	/* the reflector never saw it */
		else if (s->state == FATE_ANSWERED && s->has_refl)
			checkpoint(f, s->seq, s->refl_seq);
	}
}

/*
 * Move the cursor over answered probes and, when expire is set, over those
 * whose deadline passed by now.
 */
static void
advance(struct fate *f, int expire, int64_t now)
{
	struct slot *s;

	for (; f->cursor < f->next_seq; f->cursor++) {
		s = slot_of(f, f->cursor);
		if (s->state == FATE_PENDING) {
			if (!expire || now - s->send_mono < f->timeout)
				break;
			mark_lost(f, s);
		}
	}
	walk(f);
}

void
fate_tag_from(struct fate *f, uint64_t tag)
{
	f->next_tag = tag;
}

void
fate_sent(struct fate *f, int64_t mono_ns, int64_t wall_ns)
{
	struct slot *s;

	/* The ring is full of probes in flight: the oldest times out now. */
	if (f->next_seq - f->cursor > f->mask)
		advance(f, 1, slot_of(f, f->cursor)->send_mono + f->timeout);
	s = slot_of(f, f->next_seq);
	memset(s, 0, sizeof(*s));
	s->seq = f->next_seq++;
	s->tag = f->next_tag++;
	s->send_mono = mono_ns;
	s->send_wall = wall_ns;
	s->rtt = -1;
	s->ttl = -1;
	s->state = FATE_PENDING;
	f->n.sent++;
}

int
fate_tx_time(struct fate *f, uint64_t seq, int64_t tx_mono_ns,
    int64_t window_ns)
{
	struct slot *s;

	if (seq >= f->next_seq || f->next_seq - seq > f->mask)
		return 0;
	s = slot_of(f, seq);
	/* The kernel stamps after the send call began; anything else is a
	 * mismatched id, not a time to trust. */
	if (s->seq == seq && s->state == FATE_PENDING &&
	    tx_mono_ns >= s->send_mono && tx_mono_ns - s->send_mono < window_ns) {
		s->tx_adj += tx_mono_ns - s->send_mono;
		s->send_mono = tx_mono_ns;
		return 1;
	}
	return 0;
}

void
fate_unsent(struct fate *f, uint64_t seq)
{
	struct slot *s;

	if (seq >= f->next_seq || f->next_seq - seq > f->mask)
		return;
	s = slot_of(f, seq);
	if (s->seq != seq || s->state != FATE_PENDING)
		return;
	s->state = FATE_UNSENT;
	f->n.unsent++;
	emit_row(f, s);
	advance(f, 0, 0);
}

uint64_t
fate_tag(const struct fate *f, uint64_t seq)
{
	const struct slot *s = &f->ring[seq & f->mask];

	return s->seq == seq && seq < f->next_seq ? s->tag : seq;
}

uint64_t
fate_next_seq(const struct fate *f)
{
	return f->next_seq;
}

/* The 64-bit value nearest below ref whose low 32 bits are v. */
static int
unwrap(uint64_t ref, uint32_t v, uint64_t *out)
{
	uint64_t c = (ref & ~0xffffffffULL) | v;

	if (c >= ref) {
		if (c < (1ULL << 32))
			return -1;
		c -= 1ULL << 32;
	}
	*out = c;
	return 0;
}

/* -1 when the clocks make no sense of it: a reply cannot come before
 * its probe left (counted in rtt_errors, never stored as 0). */
static int64_t
rtt_of(struct fate *f, const struct slot *s, int64_t rx_mono, int64_t dwell)
{
	int64_t raw = rx_mono - s->send_mono;

	if (raw < 0) {
		f->n.rtt_errors++;
		return -1;
	}
	/* A dwell beyond the round trip means the reflector's clock jumped. */
	if (dwell < 0 || dwell > raw)
		dwell = 0;
	return raw - dwell;
}

/*
 * A queued loss turned late: take it out of the queue, so that it cannot be
 * counted as a loss once its ring slot is reused (the queue is in seq
 * order; late replies are rare, so the move is cheap enough).
 */
static void
queue_remove(struct fate *f, uint64_t seq)
{
	size_t lo = 0, hi = f->qlen, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->queue[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->qlen && f->queue[lo] == seq) {
		memmove(&f->queue[lo], &f->queue[lo + 1],
		    (f->qlen - lo - 1) * sizeof(*f->queue));
		f->qlen--;
	}
}

static enum fate_rx
late_reply(struct fate *f, struct slot *s)
{
	if (s->queued) {
		queue_remove(f, s->seq);
		s->queued = 0;
	}
	switch ((enum fate_kind)s->state) {
	case FATE_LOST: f->n.lost_pending--; break;
	case FATE_LOST_FWD: f->n.lost_fwd--; break;
	case FATE_LOST_BWD: f->n.lost_bwd--; break;
	case FATE_ANSWERED:
	case FATE_REORDERED:
	case FATE_LATE:
	case FATE_UNSENT:
	case FATE_PENDING:
		break;
	}
	s->state = FATE_LATE;
	f->n.late++;
	return FATE_RX_LATE;
}

static enum fate_rx
classify(struct fate *f, struct slot *s, int64_t rx_mono)
{
	switch ((enum fate_kind)s->state) {
	case FATE_ANSWERED:
	case FATE_REORDERED:
	case FATE_LATE:
		s->dups++;
		f->n.duplicates++;
		return FATE_RX_DUPLICATE;
	case FATE_LOST:
	case FATE_LOST_FWD:
	case FATE_LOST_BWD:
		return late_reply(f, s);
	case FATE_UNSENT:
		/* Never left this host: whatever claims to answer it is not
		 * its reply. */
		f->n.stale++;
		return FATE_RX_STALE;
	case FATE_PENDING:
		break;
	}
	if (rx_mono - s->send_mono >= f->timeout) {
		/* The deadline passed but no tick ran yet: still late. */
		f->n.lost_pending++;
		s->state = FATE_LOST;
		return late_reply(f, s);
	}
	if (s->seq + 1 < f->max_answered) {
		s->state = FATE_REORDERED;
		f->n.reordered++;
		return FATE_RX_REORDERED;
	}
	s->state = FATE_ANSWERED;
	f->n.answered++;
	f->max_answered = s->seq + 1;
	return FATE_RX_ANSWER;
}

enum fate_rx
fate_reply(struct fate *f, uint32_t seq, int64_t refl_seq, int64_t rx_mono_ns,
    int64_t dwell_ns, int ttl, struct fate_owd *owd, uint64_t *seq_out,
    int64_t *rtt_out)
{
	enum fate_rx kind;
	uint64_t s64;
	struct slot *s;

	if (unwrap(f->next_seq, seq, &s64) != 0 || f->next_seq - s64 > f->mask ||
	    (s = slot_of(f, s64))->seq != s64) {
		f->n.stale++;
		return FATE_RX_STALE;
	}
	*seq_out = s64;
	kind = classify(f, s, rx_mono_ns);
	if (kind == FATE_RX_DUPLICATE) {
		emit_row(f, s);
		return kind;
	}
	/* A transmit stamp later than the reply's arrival cannot be this
	 * probe's: the send call's time stands instead (an RTT a few
	 * microseconds long rather than a negative one). */
	if (rx_mono_ns < s->send_mono && s->tx_adj > 0) {
		s->send_mono -= s->tx_adj;
		s->tx_adj = 0;
		f->n.tx_stamps_dropped++;
	}
	s->rtt = rtt_of(f, s, rx_mono_ns, dwell_ns);
	s->ttl = (int16_t)ttl;
	if (owd != NULL) {
		/* The wire timestamp was read before the send call; like the
		 * RTT, the forward delay starts at the kernel's stamp. */
		owd->fwd_ns -= s->tx_adj;
		s->owd = *owd;
		s->has_owd = 1;
	}
	if (refl_seq >= 0 &&
	    unwrap(f->refl_hi + (1ULL << 31), (uint32_t)refl_seq, &s->refl_seq) == 0) {
		s->has_refl = 1;
		if (s->refl_seq + 1 > f->refl_hi)
			f->refl_hi = s->refl_seq + 1;
	}
	*rtt_out = s->rtt;
	emit_row(f, s);
	advance(f, 0, 0);
	return kind;
}

void
fate_tick(struct fate *f, int64_t now_mono_ns)
{
	advance(f, 1, now_mono_ns);
}

void
fate_close(struct fate *f, int have_count, uint64_t reflector_rx)
{
	uint64_t cum_fwd, need;
	size_t i, n;

	for (; f->cursor < f->next_seq; f->cursor++)
		if (slot_of(f, f->cursor)->state == FATE_PENDING)
			mark_lost(f, slot_of(f, f->cursor));
	walk(f);
	if (have_count) {
		cum_fwd = f->n.sent > reflector_rx ? f->n.sent - reflector_rx : 0;
		need = cum_fwd > f->fwd_assigned ? cum_fwd - f->fwd_assigned : 0;
		assign(f, need < f->qlen ? need : f->qlen);
		return;
	}
	/* Entries that turned late meanwhile are no longer losses. */
	for (i = 0, n = 0; i < f->qlen; i++) {
		struct slot *s = slot_of(f, f->queue[i]);

		if (s->seq != f->queue[i] || s->state == FATE_LOST)
			n++;
		if (s->seq == f->queue[i])
			s->queued = 0;
	}
	f->qlen = 0;
	f->n.lost_pending -= n;
	f->n.lost_unknown += n;
	if (n > 0 && f->ev.resolved != NULL)
		f->ev.resolved(f->ev.arg, 0, 0, n);
}

int64_t
fate_next_deadline(const struct fate *f)
{
	const struct slot *s;

	if (f->cursor >= f->next_seq)
		return -1;
	s = &f->ring[f->cursor & f->mask];
	return s->send_mono + f->timeout;
}

const struct fate_counts *
fate_counts(const struct fate *f)
{
	return &f->n;
}
