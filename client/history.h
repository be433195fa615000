/*
 * history: the client's SQLite writer (history.c and history_sql.c are the
 * only client files that use SQLite). Every row is queued and a
 * writer thread writes them in batched transactions (BEGIN IMMEDIATE ...
 * COMMIT), so a crash leaves whole batches only and probing never waits
 * for the disk. Session and renewal ids are handed out at once.
 */
#ifndef PM_HISTORY_H
#define PM_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "fate.h"

struct history;

struct history_session {
	const char *server;
	const char *mode;
	unsigned ssid;
	const char *local_addr;
	unsigned local_port;
	const char *remote_addr;
	unsigned remote_port;
	int64_t interval_ns;
	unsigned size;
	int64_t timeout_ns;
	const char *timestamping;
	int64_t started_ns;
	int dscp;			/* -1: not set */
};

struct history_renewal {
	int64_t from_session;
	int64_t requested_ns;
	const char *reason;
	const char *detail;
	int64_t first_loss_ns;	/* -1 if unknown */
	double loss_before_pct;
};

struct history_episode {
	const char *server;
	int64_t start_ns, end_ns, close_ns;	/* close_ns -1: none */
	uint64_t slots, lost, lost_fwd, lost_bwd, lost_unknown, unsent, late;
	const char *class;
	uint64_t renewals;
};

/*
 * Open or create the history at path. A file that fails quick_check is
 * moved aside to path.corrupt-<unix time> and a fresh one is created (the
 * message says so); a file that is not a pktmon history, or is from a newer
 * version, is refused. err gets one line naming the file. path NULL gives
 * a history that keeps nothing.
 */
int history_open(const char *path, int durability_full, struct history **out,
    char *err, size_t errlen) PM_MUST_CHECK;
/*
 * Flush and close; returns the number of probe rows that could not be
 * stored in the whole run (0 is the normal answer). NULL is a no-op.
 */
uint64_t history_close(struct history *h);

/* Returns the new session's id (> 0) or a PM_E_* code. */
int64_t history_session_begin(struct history *h, const struct history_session *s);
int history_session_end(struct history *h, int64_t id, int64_t ended_ns,
    const char *reason, int64_t renewed_to, const struct fate_counts *c,
    int have_rx, uint64_t reflector_rx, uint64_t host_drops);

/* Buffer a probe row (an upsert keyed by session and seq). */
void history_probe(struct history *h, int64_t session_id, const struct fate_row *row);
/* Write buffered rows in one transaction; PM_E_DB keeps them for a retry. */
int history_flush(struct history *h);

int64_t history_renewal_begin(struct history *h, const struct history_renewal *r);
int history_renewal_to(struct history *h, int64_t id, int64_t to_session);
int history_renewal_first_reply(struct history *h, int64_t id, int64_t t_ns);
int history_renewal_after(struct history *h, int64_t id, double loss_after_pct);
/* The renewal will get no session: why. */
int history_renewal_failed(struct history *h, int64_t id, const char *why);
/* A loss episode that ended: its id (> 0), or a PM_E_* code. */
int64_t history_episode(struct history *h, const struct history_episode *e);
/* The directions of an episode's losses, learnt after it ended. */
int history_episode_directions(struct history *h, int64_t id,
    const struct history_episode *e);

/* Rows dropped because the buffer was full while the database failed. */
uint64_t history_unstored(const struct history *h);
/* Rows stored so far. */
uint64_t history_stored(const struct history *h);

#endif
