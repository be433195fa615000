/*
 * output: what the client prints. Per-probe lines like ping, a summary like
 * fping's, or one JSON object; the only client file that writes to stdout.
 */
#ifndef PM_OUTPUT_H
#define PM_OUTPUT_H

#include <stdint.h>
#include "fate.h"
#include "rttstats.h"

/*
 * LINES: per-probe lines and events (ping); EVENTS: only events, one
 * stamped line each, naming the target (for the journal); QUIET: the
 * summary only (fping -q); JSON: one object at exit.
 */
enum out_mode { OUT_LINES, OUT_EVENTS, OUT_QUIET, OUT_JSON, OUT_JSON_LINES };

struct out_totals {
	const char *server;
	struct fate_counts c;		/* summed over sessions */
	const struct rttstats *rtt;
	const struct rttstats *ipdv;	/* |RTT difference| of consecutive answered slots */
	uint64_t renewals, sessions, unstored, host_drops, send_errors;
	uint64_t tx_unmatched;		/* transmit stamps no probe took */
	uint64_t bad_replies;		/* failed size, SSID or HMAC check */
	int64_t elapsed_ns;
	int64_t start_ns, end_ns;	/* wall clock of the run, Unix ns */
	int icmp;			/* serverless: no loss direction to report */
	const struct rttstats *timer_late;	/* send lateness, ns */
	/* One-way delays (STAMP only; NULL in ICMP mode). Values below zero
	 * (clock error larger than the delay) count as 0 in the quantiles. */
	const struct rttstats *owd_fwd, *owd_bwd;
	uint64_t local_unsynced;	/* replies to probes sent without our S bit */
	uint64_t peer_unsynced;		/* replies without the reflector's S bit */
	uint64_t timer_missed;
};

/* target names the path in event lines; timestamps: -D. */
void out_init(enum out_mode mode, const char *target, int timestamps);
void out_session(unsigned id, unsigned ssid, const char *local, const char *remote,
    int64_t interval_ns, const char *how);
/* old_session: the probe's session number when it is not the current one, else 0. */
void out_reply(uint64_t seq, int64_t rtt_ns, int ttl, enum fate_rx kind,
    unsigned old_session);
void out_lost(uint64_t seq, unsigned old_session);
void out_resolved(unsigned session, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown);
void out_renewal(const char *reason, const char *detail, unsigned from);
void out_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --json-lines: one object for a slot whose fate is settled. */
void out_slot(uint64_t slot, int64_t sent_ns, unsigned fate, int64_t rtt_ns);
/* Something happened to the path or the engine: lines and events modes. */
void out_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_summary(const struct out_totals *t);
/* fping -Q style: one line on stderr for the last period, totals after it. */
void out_status(uint64_t sent, uint64_t lost, const struct fate_counts *total,
    const struct rttstats *rtt, uint64_t renewals, unsigned session);

#endif
