/*
 * engine: the client engine's shared state, private to the client's source files. The
 * engine is split by concern: client.c (set-up, timers, stopping),
 * session.c (probe sessions, renewals, replies), link.c (the control
 * channel and reconnection), watch.c (loss episodes, status, metrics).
 */
#ifndef PM_ENGINE_H
#define PM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "control.h"
#include "ev.h"
#include "expo.h"
#include "history.h"
#include "hooks.h"
#include "log.h"
#include "probe.h"
#include "rttstats.h"
#include "pace.h"
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

struct client {
	const struct client_opts *o;
	struct tls_ctx *tls;
	struct ctlc *ctl;
	struct history *hist;
	struct policy *pol;
	struct ev *ev;
	int send_tfd, tick_tfd, sig_fd;
	struct probe *cur;
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
	int in_episode;			/* a loss episode is under way */
	int64_t episode_start;		/* its first lost probe (wall ns) */
	uint64_t episode_lost;
	uint64_t episode_fwd, episode_bwd;	/* its losses, direction known so far */
	const char *episode_renewal;	/* reason of its last renewal, or NULL */
	int status_tfd;
	struct rttstats period_rtt;	/* since the last status line */
	struct fate_counts period_base;	/* totals at the last status line */
	struct metrics *metrics;
	struct expo_rtt expo_rtt;
	struct expo_marks expo_marks;
	uint64_t renew_by_reason[3];	/* by enum policy_reason */
	int64_t reconnect_at, backoff;
	int storage_failed;
};


/* Across the engine's files. */
int ctl_connect(struct client *c, char *err, size_t errlen);
void ctl_lost(struct client *c, const char *why);
void ctl_update_events(struct client *c);
void ctl_check_silence(struct client *c, int64_t now);
void episode_event(struct client *c, const char *event);
void old_remove(struct client *c, unsigned i);
void reconnect_check(struct client *c, int64_t now);
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
