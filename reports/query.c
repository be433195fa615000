/*
 * query: read-only SQL over a pktmon history (sql/schema.sql).
 *
 * Buckets are aggregated in C as rows stream past rather than with
 * GROUP BY sent_ns / width: SQLite sorts every row for a GROUP BY on an
 * expression, which took 10.8 s for 10 million probes against 1.4 s for a
 * plain scan. A scan by the probes_sent index looks each row up in the
 * table, so a range that is a large part of the table is read in table
 * order instead ("+sent_ns" keeps the planner off the index).
 *
 * A history is input: any column may hold any 64-bit value, a NULL or
 * text. Only probes sent in [0, QUERY_TIME_END) are read, and an RTT is one
 * only in [0, QUERY_RTT_MAX], so that the report's time and RTT arithmetic
 * (sums, spans, margins, means in doubles) cannot overflow whatever the
 * file says; the probes left out are counted in one warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "query.h"

struct query {
	sqlite3 *db;
	int64_t all_first;	/* send time extent of the whole table */
	int64_t all_last;
	int64_t version;	/* the history's schema version (user_version) */
	char path[256];
	char err[512];
};

static const char *const required_sql[] = {
	"SELECT session_id, seq, sent_ns, rtt_ns, fate, dups, ttl FROM probes",
	"SELECT id, ssid, started_ns, ended_ns, interval_ns, server, mode, "
	    "end_reason FROM sessions",
	"SELECT id, from_session, to_session, requested_ns, first_loss_ns, "
	    "first_reply_ns, loss_before_pct, loss_after_pct, reason, detail "
	    "FROM renewals",
};

/* The send-time domain as SQL text, for the statements built below. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define IN_DOMAIN "sent_ns >= 0 AND sent_ns < " STR(QUERY_TIME_END)

static int
db_fail(struct query *q, const char *what)
{
	snprintf(q->err, sizeof(q->err), "%s: %s: %s", q->path, what,
	    sqlite3_errmsg(q->db));
	return PM_E_DB;
}

static int
prepare(struct query *q, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(q->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(q, "cannot read");
	return 0;
}

/* Run a statement that yields one integer; *v is untouched on NULL. */
static int
query_int(struct query *q, const char *sql, int64_t *v)
{
	sqlite3_stmt *st;
	int rc, r;

	if ((r = prepare(q, sql, &st)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(q, "cannot read");
	return 0;
}

static int
check_history(struct query *q)
{
	int64_t version = 0, n = 0;
	sqlite3_stmt *st;
	size_t i;
	int r;

	if ((r = query_int(q, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name IN ('sessions', 'probes', 'renewals')", &n)) != 0)
		return r;
	if ((r = query_int(q, "PRAGMA user_version", &version)) != 0)
		return r;
	q->version = version;
	if (n != 3 || version < 1) {
		snprintf(q->err, sizeof(q->err), "%s: not a pktmon history "
		    "(no pktmon tables or schema version)", q->path);
		return PM_E_DB;
	}
	for (i = 0; i < sizeof(required_sql) / sizeof(required_sql[0]); i++) {
		if (sqlite3_prepare_v2(q->db, required_sql[i], -1, &st, NULL) != SQLITE_OK)
			return db_fail(q, "not a pktmon history");
		sqlite3_finalize(st);
	}
	q->all_first = q->all_last = -1;
	if ((r = query_int(q, "SELECT min(sent_ns) FROM probes WHERE " IN_DOMAIN,
	    &q->all_first)) != 0)
		return r;
	return query_int(q, "SELECT max(sent_ns) FROM probes WHERE " IN_DOMAIN,
	    &q->all_last);
}

/* Say once how many probes are outside the time domain and never read. */
static int
count_outside(struct query *q)
{
	int64_t n = 0;
	int r;

	/* Two index ranges: cheap however large the table. */
	if ((r = query_int(q, "SELECT (SELECT count(*) FROM probes WHERE sent_ns < 0) + "
	    "(SELECT count(*) FROM probes WHERE sent_ns >= " STR(QUERY_TIME_END) ")",
	    &n)) != 0)
		return r;
	if (n > 0)
		log_warnx("%s: %lld probe%s sent before 1970 or after 2116 "
		    "(a damaged history?) left out", q->path, (long long)n,
		    n == 1 ? "" : "s");
	return 0;
}

int
query_open(const char *path, struct query **out, char *err, size_t errlen)
{
	struct query *q;
	int r;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return PM_E_NOMEM;
	}
	snprintf(q->path, sizeof(q->path), "%s", path);
	/* One thread: no mutex around each of the millions of column reads. */
	if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK)
		r = db_fail(q, "cannot open");
	else if (sqlite3_busy_timeout(q->db, 5000) != SQLITE_OK)
		r = db_fail(q, "cannot open");
	else if ((r = check_history(q)) == 0)
		r = count_outside(q);
	if (r != 0) {
		snprintf(err, errlen, "%s", q->err);
		query_free(q);
		return r;
	}
	*out = q;
	return 0;
}

void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	sqlite3_close(q->db);
	free(q);
}

const char *
query_error(const struct query *q)
{
	return q->err;
}

/*
 * The probes WHERE clause for f. Binds ?1 since, ?2 until, ?3 session,
 * ?4 server; by_index lets the planner use probes_sent for the time range.
 */
static void
probe_where(const struct query_filter *f, int by_index, char *buf, size_t len)
{
	const char *p = by_index ? "" : "+";

	snprintf(buf, len, " WHERE %ssent_ns >= ?1 AND %ssent_ns < ?2%s%s", p, p,
	    f->session_id >= 0 ? " AND session_id = ?3" : "",
	    f->server != NULL ?
	    " AND session_id IN (SELECT id FROM sessions WHERE server = ?4)" : "");
}

static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The filter's time range, inside the domain; empty when it misses it. */
static void
domain_range(const struct query_filter *f, int64_t *since, int64_t *until)
{
	*since = clamp(f->since_ns, 0, QUERY_TIME_END);
	*until = clamp(f->until_ns, *since, QUERY_TIME_END);
}

/* Use the send-time index only when the range is a small part of the table. */
static int
use_index(const struct query *q, const struct query_filter *f)
{
	int64_t since, until;

	if (f->session_id >= 0 || f->server != NULL)
		return 0;
	domain_range(f, &since, &until);
	return (until - since) / 4 < (q->all_last - q->all_first) / 16;
}

static int
bind_filter(struct query *q, sqlite3_stmt *st, const struct query_filter *f)
{
	int n = sqlite3_bind_parameter_count(st);
	int rc = SQLITE_OK;
	int64_t since, until;

	domain_range(f, &since, &until);
	rc |= sqlite3_bind_int64(st, 1, since);
	rc |= sqlite3_bind_int64(st, 2, until);
	if (n >= 3)
		rc |= sqlite3_bind_int64(st, 3, f->session_id);
	if (n >= 4 && f->server != NULL)
		rc |= sqlite3_bind_text(st, 4, f->server, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK)
		return db_fail(q, "cannot read");
	return 0;
}

static int
prepare_filtered(struct query *q, const struct query_filter *f,
    const char *head, const char *where, const char *tail, sqlite3_stmt **st)
{
	char sql[1024];
	int r;

	snprintf(sql, sizeof(sql), "%s%s%s", head, where, tail);
	if ((r = prepare(q, sql, st)) != 0)
		return r;
	if ((r = bind_filter(q, *st, f)) != 0)
		sqlite3_finalize(*st);
	return r;
}

/* Where the rows of one query go: the caller's callback for its type. */
struct sink {
	void (*probe)(void *arg, const struct rec_probe *p);
	void (*session)(void *arg, const struct rec_session *s);
	void (*renewal)(void *arg, const struct rec_renewal *r);
	void *arg;
};

/* Step st to the end, calling row(st, k) for each row. */
static int
step_all(struct query *q, sqlite3_stmt *st,
    void (*row)(sqlite3_stmt *st, const struct sink *k), const struct sink *k)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(st, k);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(q, "cannot read");
	return 0;
}

static int64_t
col_i64(sqlite3_stmt *st, int i, int64_t null)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return null;
	return sqlite3_column_int64(st, i);
}

static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(buf, len, "%s", t != NULL ? (const char *)t : "");
}

int
query_extent(struct query *q, const struct query_filter *f, int64_t *first,
    int64_t *last)
{
	const char *agg[] = { "SELECT min(sent_ns) FROM probes",
	    "SELECT max(sent_ns) FROM probes" };
	int64_t *out[] = { first, last };
	char where[256];
	sqlite3_stmt *st;
	int i, r, rc;

	probe_where(f, f->session_id < 0 && f->server == NULL, where, sizeof(where));
	for (i = 0; i < 2; i++) {
		*out[i] = -1;
		if ((r = prepare_filtered(q, f, agg[i], where, "", &st)) != 0)
			return r;
		rc = sqlite3_step(st);
		*out[i] = rc == SQLITE_ROW ? col_i64(st, 0, -1) : -1;
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return db_fail(q, "cannot read");
	}
	return *first < 0 ? PM_E_NOTFOUND : 0;
}

static void
probe_row(sqlite3_stmt *st, const struct sink *k)
{
	struct rec_probe p;
	int64_t fate = sqlite3_column_int64(st, 4);

	/* A code this report does not know (a newer client's, or damage) is a
	 * slot lost in an unknown direction, as pm_fate_is_loss() has it. */
	if (fate < 0 || fate >= REC_FATES)
		fate = REC_LOST;
	p.session_id = sqlite3_column_int64(st, 0);
	p.seq = sqlite3_column_int64(st, 1);
	p.sent_ns = sqlite3_column_int64(st, 2);
	p.rtt_ns = col_i64(st, 3, -1);
	/* The client waits minutes at most for a reply: beyond a day, or below
	 * zero, the column is damaged and the probe has no RTT. */
	if (p.rtt_ns < 0 || p.rtt_ns > QUERY_RTT_MAX)
		p.rtt_ns = -1;
	p.fate = (enum rec_fate)fate;
	p.dups = (uint32_t)clamp(sqlite3_column_int64(st, 5), 0, UINT32_MAX);
	p.ttl = col_i64(st, 6, -1);
	p.has_owd = sqlite3_column_type(st, 7) != SQLITE_NULL &&
	    sqlite3_column_type(st, 8) != SQLITE_NULL;
	p.owd_fwd_ns = p.has_owd ? sqlite3_column_int64(st, 7) : 0;
	p.owd_bwd_ns = p.has_owd ? sqlite3_column_int64(st, 8) : 0;
	k->probe(k->arg, &p);
}

int
query_probes(struct query *q, const struct query_filter *f,
    enum query_order order, void (*fn)(void *arg, const struct rec_probe *p),
    void *arg)
{
	char where[256];
	sqlite3_stmt *st;
	int r;

	switch (order) {
	case QUERY_STORED:
		probe_where(f, use_index(q, f), where, sizeof(where));
		break;
	case QUERY_BY_TIME:
		probe_where(f, 1, where, sizeof(where));
		break;
	}
	/* One-way delays came with schema version 2; older histories have none. */
	if ((r = prepare_filtered(q, f, q->version >= 2 ? "SELECT session_id, seq, "
	    "sent_ns, rtt_ns, fate, dups, ttl, owd_fwd_ns, owd_bwd_ns FROM probes" :
	    "SELECT session_id, seq, sent_ns, rtt_ns, fate, dups, ttl, NULL, NULL "
	    "FROM probes", where, order == QUERY_BY_TIME ?
	    " ORDER BY sent_ns" : "", &st)) != 0)
		return r;
	return step_all(q, st, probe_row, &(struct sink){ .probe = fn, .arg = arg });
}

static void
session_row(sqlite3_stmt *st, const struct sink *k)
{
	struct rec_session s;

	s.id = sqlite3_column_int64(st, 0);
	s.ssid = sqlite3_column_int64(st, 1);
	s.started_ns = sqlite3_column_int64(st, 2);
	s.ended_ns = sqlite3_column_int64(st, 3);
	s.interval_ns = sqlite3_column_int64(st, 4);
	col_text(st, 5, s.server, sizeof(s.server));
	col_text(st, 6, s.mode, sizeof(s.mode));
	col_text(st, 7, s.end_reason, sizeof(s.end_reason));
	s.open = sqlite3_column_int(st, 8);
	k->session(k->arg, &s);
}

int
query_sessions(struct query *q, const struct query_filter *f,
    void (*fn)(void *arg, const struct rec_session *s), void *arg)
{
	char where[256];
	sqlite3_stmt *st;
	int r;

	/* An open session ends, as far as the graph knows, at its last probe. */
	snprintf(where, sizeof(where), " WHERE started_ns < ?2%s%s) WHERE end_ns >= ?1",
	    f->session_id >= 0 ? " AND id = ?3" : "",
	    f->server != NULL ? " AND server = ?4" : "");
	if ((r = prepare_filtered(q, f, "SELECT * FROM (SELECT id, ssid, started_ns, "
	    "coalesce(ended_ns, (SELECT sent_ns FROM probes WHERE session_id = "
	    "sessions.id ORDER BY seq DESC LIMIT 1), started_ns) AS end_ns, "
	    "interval_ns, server, mode, coalesce(end_reason, ''), "
	    "ended_ns IS NULL FROM sessions", where, " ORDER BY started_ns, id",
	    &st)) != 0)
		return r;
	return step_all(q, st, session_row, &(struct sink){ .session = fn, .arg = arg });
}

static void
renewal_row(sqlite3_stmt *st, const struct sink *k)
{
	struct rec_renewal r;

	r.id = sqlite3_column_int64(st, 0);
	r.from_session = sqlite3_column_int64(st, 1);
	r.to_session = col_i64(st, 2, -1);
	r.requested_ns = sqlite3_column_int64(st, 3);
	r.first_loss_ns = col_i64(st, 4, -1);
	r.first_reply_ns = col_i64(st, 5, -1);
	r.loss_before_pct = sqlite3_column_double(st, 6);
	r.loss_after_pct = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 :
	    sqlite3_column_double(st, 7);
	col_text(st, 8, r.reason, sizeof(r.reason));
	col_text(st, 9, r.detail, sizeof(r.detail));
	k->renewal(k->arg, &r);
}

int
query_renewals(struct query *q, const struct query_filter *f,
    void (*fn)(void *arg, const struct rec_renewal *r), void *arg)
{
	char where[256];
	sqlite3_stmt *st;
	int r;

	snprintf(where, sizeof(where),
	    " WHERE requested_ns >= ?1 AND requested_ns < ?2%s%s",
	    f->session_id >= 0 ? " AND (from_session = ?3 OR to_session = ?3)" : "",
	    f->server != NULL ?
	    " AND from_session IN (SELECT id FROM sessions WHERE server = ?4)" : "");
	if ((r = prepare_filtered(q, f, "SELECT id, from_session, to_session, "
	    "requested_ns, first_loss_ns, first_reply_ns, loss_before_pct, "
	    "loss_after_pct, reason, detail FROM renewals", where,
	    " ORDER BY requested_ns, id", &st)) != 0)
		return r;
	return step_all(q, st, renewal_row, &(struct sink){ .renewal = fn, .arg = arg });
}

int
query_rtt_at(struct query *q, const struct query_filter *f, int64_t lo,
    int64_t hi, uint64_t offset, int64_t *rtt)
{
	char where[256];
	sqlite3_stmt *st;
	int r, rc;

	probe_where(f, use_index(q, f), where, sizeof(where));
	if ((r = prepare_filtered(q, f, "SELECT rtt_ns FROM probes", where,
	    " AND fate BETWEEN 0 AND 5 AND rtt_ns >= ?5 AND rtt_ns < ?6 "
	    "ORDER BY rtt_ns LIMIT 1 OFFSET ?7", &st)) != 0)
		return r;
	if (sqlite3_bind_int64(st, 5, lo) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, hi) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, (int64_t)offset) != SQLITE_OK) {
		sqlite3_finalize(st);
		return db_fail(q, "cannot read");
	}
	rc = sqlite3_step(st);
	*rtt = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(q, "cannot read");
	return rc == SQLITE_ROW ? 0 : PM_E_NOTFOUND;
}

int
query_episode_class(struct query *q, const char *server, int64_t start_ns,
    char *cls, size_t len)
{
	sqlite3_stmt *st;
	int r = PM_E_NOTFOUND;

	if (sqlite3_prepare_v2(q->db, "SELECT class FROM episodes WHERE server = ?1 "
	    "AND start_ns = ?2 ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return PM_E_NOTFOUND;	/* no episodes table: an older history */
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, start_ns);
	if (sqlite3_step(st) == SQLITE_ROW) {
		col_text(st, 0, cls, len);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int
query_server_names(struct query *q, char *buf, size_t len)
{
	sqlite3_stmt *st;
	size_t used = 0;
	int rc;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(q->db, "SELECT DISTINCT server FROM sessions WHERE "
	    "mode != 'none' ORDER BY server", -1, &st, NULL) != SQLITE_OK)
		return db_fail(q, "cannot read the sessions");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);
		int n;

		if (name == NULL)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		    (const char *)name);
		if (n < 0 || (size_t)n >= len - used) {
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);
			break;
		}
		used += (size_t)n;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(q, "cannot read the sessions");
}

int
query_has_server(struct query *q, const char *server)
{
	sqlite3_stmt *st;
	int found;

	if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM sessions WHERE server = ?1 "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}
