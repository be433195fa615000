/*
 * query: the report's only SQLite code. Opens a pktmon history read-only,
 * checks that it is one, and streams probes, sessions and renewals through
 * callbacks, so nothing the size of the probes table is ever held in memory.
 * Every query is a short read transaction: a writer is never blocked for
 * longer than one statement, and waits for none with busy_timeout 5000.
 */
#ifndef PM_REPORT_QUERY_H
#define PM_REPORT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"

/*
 * What a history may hold: probes sent from 1970 to 2116 (2^62 ns), RTTs up
 * to a day. Probes sent outside are never read (a warning counts them); an
 * RTT outside is read as none. Within these, sums and spans of two times
 * and means of RTTs fit an int64_t.
 */
#define QUERY_TIME_END 4611686018427387904	/* 2^62 */
#define QUERY_RTT_MAX 86400000000000LL

struct query_filter {
	int64_t since_ns;	/* first send time included */
	int64_t until_ns;	/* first send time excluded */
	int64_t session_id;	/* -1: every session */
	const char *server;	/* NULL: every server; else sessions.server */
};

enum query_order {
	QUERY_STORED,		/* by session, then sequence: the fastest scan */
	QUERY_BY_TIME		/* by send time */
};

struct query;

/*
 * Open path read-only. On failure returns PM_E_DB and writes a one-line
 * reason that names the file into err. Free with query_free.
 */
int query_open(const char *path, struct query **out, char *err, size_t errlen)
    PM_MUST_CHECK;
void query_free(struct query *q);
/* The reason for the last PM_E_DB, naming the file. */
const char *query_error(const struct query *q);

/* First and last send time of the probes that f selects; PM_E_NOTFOUND if none. */
int query_extent(struct query *q, const struct query_filter *f,
    int64_t *first, int64_t *last) PM_MUST_CHECK;
int query_probes(struct query *q, const struct query_filter *f,
    enum query_order order, void (*fn)(void *arg, const struct rec_probe *p),
    void *arg) PM_MUST_CHECK;
/* Sessions that overlap the range and match f, by start time. */
int query_sessions(struct query *q, const struct query_filter *f,
    void (*fn)(void *arg, const struct rec_session *s), void *arg) PM_MUST_CHECK;
/* Renewals requested in the range from a session that matches f, by time. */
int query_renewals(struct query *q, const struct query_filter *f,
    void (*fn)(void *arg, const struct rec_renewal *r), void *arg) PM_MUST_CHECK;
/*
 * The servers of the history's sessions, comma-separated into buf (cut
 * short with "..." when it does not fit); 0, or PM_E_DB.
 */
int query_server_names(struct query *q, char *buf, size_t len) PM_MUST_CHECK;
/* Has the history a session to this server (as given to the client)? */
int query_has_server(struct query *q, const char *server);
/*
 * The class the client gave its episode of server that began at start_ns
 * ("outage", "flow-specific", ...), from the history's episodes table.
 * PM_E_NOTFOUND when it has none (an older history, or a client that did
 * not live to the episode's end).
 */
int query_episode_class(struct query *q, const char *server, int64_t start_ns,
    char *cls, size_t len);
/*
 * The RTT at 0-based position offset among the RTTs in [lo, hi) of the probes
 * f selects, in ascending order: how an exact percentile is read once a
 * histogram has told which bin holds it.
 */
int query_rtt_at(struct query *q, const struct query_filter *f, int64_t lo,
    int64_t hi, uint64_t offset, int64_t *rtt) PM_MUST_CHECK;

#endif
