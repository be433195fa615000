/*
 * engine: the client engine's shared state, private to the client's source files. The
 * engine is split by concern: client.c (set-up, timers, stopping),
 * session.c (probe sessions, renewals, replies), link.c (the control
 * channel and reconnection), watch.c (loss episodes, status, metrics).
 */
#ifndef PM_ENGINE_H
#define PM_ENGINE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "control.h"
#include "episode.h"
#include "ev.h"
#include "expo.h"
#include "history.h"
#include "hooks.h"
#include "log.h"
#include "probe.h"
#include "rttstats.h"
#include "pace.h"
#include "slots.h"
#include "timeutil.h"
#include "tls.h"

#define MAX_OLD 8
#define TICK_NS (50 * NS_PER_MS)
#define REPLY_POLL_NS (50 * NS_PER_MS)	/* faster probing: replies read at sends */
/*
 * The send timer fires at most this often; probing faster, each wake-up
 * sends the probes due by then (on their own absolute deadlines). A timer
 * interrupt per probe would cost more than the probe: at 100,000/s, a
 * sixth of the client's time on a virtual machine.
 */
#define SEND_WAKE_MIN_NS (50 * NS_PER_US)
#define FLUSH_NS (200 * NS_PER_MS)
#define CLOSE_WAIT_NS (5 * NS_PER_SEC)
#define CONNECT_TIMEOUT_MS 10000
#define BACKOFF_MAX_NS (60 * NS_PER_SEC)
/* A drained session whose CLOSE cannot be sent (no control channel) is
 * given up after this long; the server's linger is of the same order. */
#define ORPHAN_NS (120 * NS_PER_SEC)
/* A renewal unanswered this long means the control channel is not getting
 * through either: an episode that sees it is an outage. */
#define CTL_UNRESPONSIVE_NS (2 * NS_PER_SEC)
/* A server that answers neither OPEN nor RENEW this long is not working:
 * the channel is dropped and made anew. */
#define GRANT_WAIT_NS (10 * NS_PER_SEC)

/* What a loss episode was, from what the engine saw while it lasted. */
enum episode_class {
	EPC_TRANSIENT,		/* ended by itself, before any renewal */
	EPC_FLOW,		/* ended after a renewal to a new 5-tuple */
	EPC_PATH,		/* renewals did not end it; control channel up */
	EPC_OUTAGE,		/* no replies and no control channel */
	EPC_LOCAL,		/* this host dropped replies (SO_RXQ_OVFL) */
};

struct client {
	const struct client_opts *o;
	struct tls_ctx *tls;
	struct ctlc *ctl;
	struct history *hist;
	struct policy *pol;
	struct ev *ev;
	int send_tfd, tick_tfd, sig_fd;
	struct probe *cur;		/* the session probing now, or NULL */
	struct probe *next;		/* asked for (OPEN or RENEW), not yet granted */
	struct probe *old[MAX_OLD];
	unsigned nold, next_num;
	uint64_t sent_total;
	int64_t start_mono, last_flush, last_tick;
	struct pace pace;
	int stopping, hard_stop;
	int64_t stop_deadline;
	struct rttstats rtt;
	struct rttstats owd_fwd, owd_bwd;	/* one-way delays, when measured */
	uint64_t peer_unsynced;		/* replies from an unsynchronised reflector */
	uint64_t local_unsynced;	/* replies to probes sent unsynchronised */
	uint64_t bad_replies;		/* datagrams on a probe socket that failed a check */
	struct fate_counts done;
	uint64_t renewals, sessions, host_drops, send_errors, tx_unmatched;
	int64_t episode_first_loss;	/* wall ns of the first loss not yet acted on */
	/* The schedule: every slot from the first grant to the end, sent or
	 * not, in one book; episodes are found in it in slot order. */
	struct slots *book;
	struct episode_det *det;
	int64_t gap_hist_id;		/* the 'none' session that holds unsent slots */
	uint64_t gap_seq;
	uint64_t unsent_slots;		/* slots with no session to send on */
	uint64_t episode_id;		/* the open episode's number, 0 if none */
	uint64_t episodes;		/* episodes so far */
	int ep_ctl_down;		/* the control channel failed during it */
	uint64_t ep_renewals;		/* renewals asked for during it */
	int64_t ep_new_flow_wall;	/* first slot of a session a renewal made in it */
	uint64_t ep_host_drops;		/* host drops when it began */
	const char *episode_renewal;	/* reason of its last renewal, or NULL */
	enum episode_class last_class;
	/* Episodes that ended lately, so directions learnt after the end
	 * still reach their stored rows. */
	struct closed_episode {
		int64_t id, start_ns, end_ns;
		struct history_episode he;
		int dirty;		/* directions changed since last written */
	} closed[4];
	unsigned nclosed;
	int64_t renew_asked_mono;	/* a renewal awaits its grant since, or 0 */
	int64_t next_asked_mono;	/* when next was asked for */
	int64_t run_start;		/* mono ns the run began: -w counts from here */
	int refused;			/* a grant failed its check: exit 3 */
	/* Settled slots: for --status periods and jitter. */
	uint64_t settled, settled_lost;
	uint64_t period_settled, period_lost;
	int64_t prev_rtt;		/* RTT of the previous settled slot, -1 if none */
	struct rttstats ipdv;		/* |RTT difference| of consecutive answered slots */
	int status_tfd;
	struct rttstats period_rtt;	/* since the last status line */
	struct fate_counts period_base;	/* totals at the last status line */
	struct metrics *metrics;
	struct expo_rtt expo_rtt;
	struct expo_marks expo_marks;
	uint64_t renew_by_reason[3];	/* by enum policy_reason */
	int64_t reconnect_at, backoff;
	int64_t ctl_down_since;		/* mono ns the control channel went, 0 if up */
	struct reconn *reconn;		/* a reconnection under way, or NULL */
	pthread_t reconn_thr;
	int reconn_fd;			/* raised when it is done */
	uint64_t ctl_losses;		/* times the control channel was lost */
	int storage_failed;
};


/* Across the engine's files. */
int ctl_connect(struct client *c, char *err, size_t errlen);
void ctl_lost(struct client *c, const char *why);
void ctl_update_events(struct client *c);
void ctl_check_silence(struct client *c, int64_t now);
const char *episode_class_name(enum episode_class k);
void engine_slots_start(struct client *c);
void engine_slot_row(struct client *c, struct probe *p, const struct fate_row *row);
void engine_unsent(struct client *c, unsigned n);
void engine_unsent_tail(struct client *c, uint64_t first, unsigned n,
    int64_t wall);
void engine_ctl_state(struct client *c, int up);
/* Write the directions ended episodes learnt since the last call. */
void engine_episodes_flush(struct client *c);
void old_remove(struct client *c, unsigned i);
void reconnect_check(struct client *c, int64_t now);
void reconnect_join(struct client *c);
void renew_check(struct client *c);
void renewal_after(struct client *c, struct probe *p,
    const struct fate_row *row);
void send_ctl(struct client *c, const struct ctl_msg *m);
int serverless_start(struct client *c, char *err, size_t errlen);
int serverless(const struct client *c);
void session_finish(struct client *c, struct probe *p,
    const char *reason, int have_rx, uint64_t rx);
void session_granted(struct client *c, const struct ctl_grant *g);
void session_open(struct client *c);
void session_retire(struct client *c);
/* A renewal or open that will not be granted: forget it, say why. */
void session_next_failed(struct client *c, const char *why);
/* Read what the sending session's socket holds, before timeouts are checked. */
void session_poll_replies(struct client *c);
void storage_check(struct client *c, int r);
void on_ctl_msg(void *arg, const struct ctl_msg *m);
void on_probe_fd(struct ev *ev, int fd, uint32_t events, void *arg);
void on_status(struct ev *ev, int fd, uint32_t events, void *arg);
void render_metrics(void *arg, struct mbuf *b);
void add_counts(struct fate_counts *to, const struct fate_counts *n);
void totals_now(const struct client *c, struct fate_counts *t);

#endif
