/*
 * fate: per-probe accounting for one probe session. Pure: the caller passes
 * every time in; nothing here reads a clock, a socket or a database.
 *
 * Every probe sent gets exactly one fate: answered, reordered (answered,
 * but after a reply to a later probe), late (answered after the loss
 * timeout; not loss), lost forward, lost backward, or lost with the
 * direction unknown. Extra copies of a reply are duplicates of that probe,
 * never a fate of their own and never loss.
 *
 * Direction: pktmon's reflector is stateful, numbering its replies r = 0, 1,
 * 2 ... in the order it receives probes. For an in-order reply to sender
 * sequence s, the reflector has then received r + 1 of the first s + 1
 * probes, so s - r of them were lost forward. Lost probes wait in a queue
 * until the next in-order reply (or the reflector's final count at close)
 * fixes how many of them were forward; the rest were backward. Within one
 * gap the count is exact but which sequence numbers went which way is not
 * observable: the earliest are attributed forward. Without a reply or a
 * final count (the session was aborted) the direction stays unknown.
 *
 * Results leave through callbacks: row() whenever a probe's stored row
 * changes (an upsert keyed by seq), lost() when a probe times out (with
 * its row), resolved() when a batch of losses gets its directions, and
 * settled() once per probe in sequence order, as soon as it and every
 * probe before it are answered or timed out. Replies arrive after an RTT
 * but losses only after the timeout, so at high rates the order in which
 * outcomes are learnt is not the order of the probes; anything that looks
 * at runs of losses (the renewal policy) must use settled().
 */
#ifndef PM_FATE_H
#define PM_FATE_H

#include <stdint.h>

#include "fates.h"

/* The stored codes are shared/fates.h's; PENDING is never stored. */
enum fate_kind {
	FATE_ANSWERED = PM_FATE_ANSWERED,
	FATE_REORDERED = PM_FATE_REORDERED,
	FATE_LATE = PM_FATE_LATE,
	FATE_LOST_FWD = PM_FATE_LOST_FWD,
	FATE_LOST_BWD = PM_FATE_LOST_BWD,
	FATE_LOST = PM_FATE_LOST,	/* no reply; direction unknown (so far) */
	FATE_UNSENT = PM_FATE_UNSENT,	/* the kernel refused the probe */
	FATE_PENDING = PM_FATES,	/* in flight; never stored */
};

/* What one received reply turned out to be. */
enum fate_rx {
	FATE_RX_ANSWER,
	FATE_RX_REORDERED,
	FATE_RX_LATE,
	FATE_RX_DUPLICATE,
	FATE_RX_STALE,		/* older than the window, or never sent */
};

struct fate_row {
	uint64_t seq;
	uint64_t tag;		/* the caller's number for the probe (fate_tag_from) */
	int64_t sent_wall_ns;
	int64_t rtt_ns;		/* -1 when lost */
	enum fate_kind fate;
	uint32_t dups;
	int ttl;		/* -1 when unknown */
	int has_owd;		/* one-way delays measured (both clocks synced) */
	int64_t owd_fwd_ns, owd_bwd_ns;
};

/*
 * One-way delays of a reply: reflector receive minus sender transmit
 * (forward) and sender receive minus reflector transmit (backward), on
 * two clocks. The forward one is given from the sender timestamp on the
 * wire and moved to the kernel's transmit stamp when fate_tx_time() had one. Only meaningful, and only given, when both ends said their
 * clock is synchronised; they can then still be below zero by the clocks'
 * error.
 */
struct fate_owd {
	int64_t fwd_ns, bwd_ns;
};

struct fate_counts {
	uint64_t sent, answered, reordered, late, duplicates, stale;
	uint64_t lost_fwd, lost_bwd, lost_unknown;
	uint64_t lost_pending;	/* timed out, direction not yet known */
	uint64_t unsent;	/* slots whose probe could not be sent: loss */
	uint64_t rtt_errors;	/* replies whose RTT came out negative: not stored */
	uint64_t tx_stamps_dropped;	/* transmit stamps after the reply came: not used */
};

struct fate_events {
	void (*row)(void *arg, const struct fate_row *row);
	void (*lost)(void *arg, const struct fate_row *row);
	void (*resolved)(void *arg, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown);
	void (*settled)(void *arg, uint64_t seq, int lost);
	void *arg;
};

struct fate;

/*
 * timeout_ns: a probe without a reply after this long is lost. A reply that
 * comes later, up to the window the ring holds, is late. ring_hint: probes
 * the window must hold (rounded up to a power of two, at least 1024).
 * Returns NULL when out of memory; free with fate_free().
 */
struct fate *fate_new(int64_t timeout_ns, uint64_t ring_hint,
    const struct fate_events *ev);
void fate_free(struct fate *f);

/*
 * The next probes recorded get the caller's numbers tag, tag + 1, ... (the
 * client's schedule slots), given back in their rows. Without a call, a
 * probe's tag is its seq.
 */
void fate_tag_from(struct fate *f, uint64_t tag);
/* Record probe seq (must be the next, from 0) sent at these times. */
void fate_sent(struct fate *f, int64_t mono_ns, int64_t wall_ns);
/*
 * The kernel's transmit time of probe seq, moved onto the monotonic clock:
 * replaces the time fate_sent() took just before the send call, so RTT
 * runs from wire to wire. Ignored once the probe was answered or lost, or
 * when the stamp is not within window_ns after the send call (a stamp
 * matched to the wrong probe). 1 when it was used.
 */
int fate_tx_time(struct fate *f, uint64_t seq, int64_t tx_mono_ns,
    int64_t window_ns);
/*
 * Probe seq, recorded by fate_sent(), never left: the kernel refused it.
 * It is settled at once as unsent (a loss, forward in the reflector's
 * count).
 */
void fate_unsent(struct fate *f, uint64_t seq);
/* The caller's number (tag) of probe seq; seq itself once out of the ring. */
uint64_t fate_tag(const struct fate *f, uint64_t seq);
/* The 64-bit sequence number the next fate_sent() will get. */
uint64_t fate_next_seq(const struct fate *f);

/*
 * A valid reply: sender seq and reflector seq as on the wire (32 bits,
 * unwrapped here; refl_seq -1 when the peer keeps no count, as ICMP echo,
 * and then loss direction stays unknown), its arrival on the monotonic clock, the reflector's
 * dwell time (its transmit minus receive timestamp), the TTL seen and the
 * one-way delays (NULL when the clocks are not both synchronised; on
 * return they are as stored, the forward one from the kernel's stamp).
 * seq_out gets the 64-bit sequence number unless the reply is stale;
 * rtt_out gets the round-trip time when the reply counts (not duplicate or
 * stale).
 */
enum fate_rx fate_reply(struct fate *f, uint32_t seq, int64_t refl_seq,
    int64_t rx_mono_ns, int64_t dwell_ns, int ttl, struct fate_owd *owd,
    uint64_t *seq_out, int64_t *rtt_out);

/* Time out probes whose deadline passed; resolve directions where possible. */
void fate_tick(struct fate *f, int64_t now_mono_ns);

/*
 * End of the session: everything still in flight is lost. With have_count,
 * reflector_rx is the number of probes the reflector received in this
 * session and fixes the direction of every remaining loss.
 */
void fate_close(struct fate *f, int have_count, uint64_t reflector_rx);

/* Deadline of the oldest probe still in flight, or -1 if none. */
int64_t fate_next_deadline(const struct fate *f);
const struct fate_counts *fate_counts(const struct fate *f);

#endif
