/*
 * history: SQLite in WAL mode with batched probe writes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "history.h"
#include "log.h"

#define HISTORY_VERSION 1
#define HISTORY_BUF_MAX (1u << 18)	/* rows held while the database fails */

extern const char pm_schema_sql[];

struct pending {
	int64_t session_id;
	struct fate_row row;
};

/*
 * Checkpoints run on their own connection in a thread: a checkpoint
 * fsyncs the database file, and doing that inside a commit on the probing
 * thread stalled the event loop by milliseconds. The writer connection has
 * auto-checkpoint off and, with synchronous = NORMAL, only appends to the
 * WAL.
 */
struct checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *db;
	int stop, running;
};

struct history {
	sqlite3 *db;
	struct checkpointer ck;
	char *path;
	sqlite3_stmt *ins_probe;
	struct pending *buf;
	size_t nbuf, capbuf;
	uint64_t unstored, stored;
	int64_t last_warn;
};

static int
history_exec(struct history *h, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("history %s: %s", h->path, msg ? msg : "error");
		sqlite3_free(msg);
		return PM_E_DB;
	}
	return 0;
}

static int
history_int(struct history *h, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : PM_E_DB;
}

/* quick_check == "ok"? Anything else, including a non-database, is corrupt. */
static int
history_healthy(sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		ok = t != NULL && strcmp((const char *)t, "ok") == 0;
	}
	sqlite3_finalize(st);
	return ok;
}

static int
history_move_aside(const char *path, char *err, size_t errlen)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char from[4096], to[4096];
	long now = (long)time(NULL);
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", path, sfx[i]);
		snprintf(to, sizeof(to), "%s.corrupt-%ld%s", path, now, sfx[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "history %s is corrupt and cannot be "
			    "moved aside: %s", path, strerror(errno));
			return PM_E_DB;
		}
	}
	log_warnx("history %s failed its integrity check; moved it to "
	    "%s.corrupt-%ld and started a new one", path, path, now);
	return 0;
}

static int
history_schema(struct history *h, char *err, size_t errlen)
{
	int64_t ver = 0, ntables = 0;

	if (history_int(h, "PRAGMA user_version", &ver) != 0 ||
	    history_int(h, "SELECT count(*) FROM sqlite_schema", &ntables) != 0) {
		snprintf(err, errlen, "history %s: %s", h->path, sqlite3_errmsg(h->db));
		return PM_E_DB;
	}
	if (ver > HISTORY_VERSION) {
		snprintf(err, errlen, "history %s has schema version %lld, newer than "
		    "this pktmon (%d)", h->path, (long long)ver, HISTORY_VERSION);
		return PM_E_DB;
	}
	if (ver == HISTORY_VERSION)
		return 0;
	if (ntables > 0) {
		snprintf(err, errlen, "%s is an SQLite file but not a pktmon history",
		    h->path);
		return PM_E_DB;
	}
	if (history_exec(h, "BEGIN IMMEDIATE") != 0 ||
	    history_exec(h, pm_schema_sql) != 0 ||
	    history_exec(h, "PRAGMA user_version = 1") != 0 ||
	    history_exec(h, "COMMIT") != 0) {
		snprintf(err, errlen, "history %s: cannot create the schema: %s",
		    h->path, sqlite3_errmsg(h->db));
		return PM_E_DB;
	}
	return 0;
}

/* A non-empty file without the SQLite header is someone else's: never touch it. */
static int
history_is_foreign(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return n > 0 && (n < sizeof(head) || memcmp(head, magic, sizeof(head)) != 0);
}

static int
history_connect(struct history *h, int durability_full, char *err, size_t errlen)
{
	if (history_is_foreign(h->path)) {
		snprintf(err, errlen, "%s exists and is not an SQLite database; "
		    "refusing to touch it", h->path);
		return PM_E_DB;
	}
	if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open history %s: %s", h->path,
		    h->db ? sqlite3_errmsg(h->db) : "out of memory");
		return PM_E_DB;
	}
	sqlite3_busy_timeout(h->db, 5000);
	if (!history_healthy(h->db)) {
		sqlite3_close(h->db);
		h->db = NULL;
		if (history_move_aside(h->path, err, errlen) != 0)
			return PM_E_DB;
		return history_connect(h, durability_full, err, errlen);
	}
	if (history_exec(h, "PRAGMA journal_mode = WAL") != 0 ||
	    history_exec(h, "PRAGMA wal_autocheckpoint = 0") != 0 ||
	    history_exec(h, durability_full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL") != 0) {
		snprintf(err, errlen, "history %s: cannot enable WAL: %s", h->path,
		    sqlite3_errmsg(h->db));
		return PM_E_DB;
	}
	return 0;
}

#define CHECKPOINT_EVERY_SEC 1
#define TRUNCATE_EVERY 10	/* try to shrink the WAL file every 10 s */

static void *
checkpointer_run(void *arg)
{
	struct checkpointer *ck = arg;
	struct timespec ts;
	unsigned n = 0;

	pthread_mutex_lock(&ck->mu);
	while (!ck->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += CHECKPOINT_EVERY_SEC;
		pthread_cond_timedwait(&ck->cv, &ck->mu, &ts);
		if (ck->stop)
			break;
		pthread_mutex_unlock(&ck->mu);
		/* PASSIVE never waits; TRUNCATE gives up at once if a reader
		 * (a report) still needs the old frames, and tries again later. */
		(void)sqlite3_wal_checkpoint_v2(ck->db, NULL, ++n % TRUNCATE_EVERY ?
		    SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		pthread_mutex_lock(&ck->mu);
	}
	pthread_mutex_unlock(&ck->mu);
	return NULL;
}

static int
checkpointer_start(struct history *h)
{
	struct checkpointer *ck = &h->ck;
	pthread_condattr_t ca;

	if (sqlite3_open_v2(h->path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return PM_E_DB;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ck->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&ck->mu, NULL);
	if (pthread_create(&ck->thread, NULL, checkpointer_run, ck) != 0)
		return PM_E_SYS;
	ck->running = 1;
	return 0;
}

static void
checkpointer_stop(struct history *h)
{
	struct checkpointer *ck = &h->ck;

	if (ck->running) {
		pthread_mutex_lock(&ck->mu);
		ck->stop = 1;
		pthread_cond_signal(&ck->cv);
		pthread_mutex_unlock(&ck->mu);
		pthread_join(ck->thread, NULL);
		pthread_cond_destroy(&ck->cv);
		pthread_mutex_destroy(&ck->mu);
		ck->running = 0;
	}
	sqlite3_close(ck->db);
	ck->db = NULL;
}

int
history_open(const char *path, int durability_full, struct history **out,
    char *err, size_t errlen)
{
	struct history *h;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL || (h->path = strdup(path)) == NULL) {
		free(h);
		return PM_E_NOMEM;
	}
	if ((r = history_connect(h, durability_full, err, errlen)) != 0 ||
	    (r = history_schema(h, err, errlen)) != 0)
		goto fail;
	if (sqlite3_prepare_v3(h->db, "INSERT OR REPLACE INTO probes (session_id, "
	    "seq, sent_ns, rtt_ns, fate, dups, ttl) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    -1, SQLITE_PREPARE_PERSISTENT, &h->ins_probe, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "history %s: %s", path, sqlite3_errmsg(h->db));
		r = PM_E_DB;
		goto fail;
	}
	if ((r = checkpointer_start(h)) != 0) {
		snprintf(err, errlen, "history %s: cannot start the checkpointer", path);
		goto fail;
	}
	*out = h;
	return 0;
fail:
	history_close(h);
	return r;
}

uint64_t
history_close(struct history *h)
{
	uint64_t lost;

	if (h == NULL)
		return 0;
	if (h->db != NULL && h->nbuf > 0 && history_flush(h) != 0) {
		log_warnx("history %s: %zu rows could not be written at exit",
		    h->path, h->nbuf);
		h->unstored += h->nbuf;
	}
	lost = h->unstored;
	checkpointer_stop(h);
	sqlite3_finalize(h->ins_probe);
	sqlite3_close(h->db);
	free(h->buf);
	free(h->path);
	free(h);
	return lost;
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int
history_step_done(struct history *h, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("history %s: %s", h->path, sqlite3_errmsg(h->db));
		return PM_E_DB;
	}
	return 0;
}

int64_t
history_session_begin(struct history *h, const struct history_session *s)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(h->db, "INSERT INTO sessions (server, mode, ssid, "
	    "local_addr, local_port, remote_addr, remote_port, interval_ns, size, "
	    "timeout_ns, timestamping, started_ns) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	bind_text_or_null(st, 1, s->server);
	bind_text_or_null(st, 2, s->mode);
	sqlite3_bind_int(st, 3, (int)s->ssid);
	bind_text_or_null(st, 4, s->local_addr);
	sqlite3_bind_int(st, 5, (int)s->local_port);
	bind_text_or_null(st, 6, s->remote_addr);
	sqlite3_bind_int(st, 7, (int)s->remote_port);
	sqlite3_bind_int64(st, 8, s->interval_ns);
	sqlite3_bind_int(st, 9, (int)s->size);
	sqlite3_bind_int64(st, 10, s->timeout_ns);
	bind_text_or_null(st, 11, s->timestamping);
	sqlite3_bind_int64(st, 12, s->started_ns);
	if (history_step_done(h, st) != 0)
		return PM_E_DB;
	return sqlite3_last_insert_rowid(h->db);
}

int
history_session_end(struct history *h, int64_t id, int64_t ended_ns,
    const char *reason, int64_t renewed_to, const struct fate_counts *c,
    int have_rx, uint64_t reflector_rx)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(h->db, "UPDATE sessions SET ended_ns = ?, "
	    "end_reason = ?, renewed_to = ?, sent = ?, received = ?, "
	    "lost_forward = ?, lost_backward = ?, lost_unknown = ?, late = ?, "
	    "reordered = ?, duplicates = ?, reflector_rx = ? WHERE id = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	sqlite3_bind_int64(st, 1, ended_ns);
	bind_text_or_null(st, 2, reason);
	if (renewed_to > 0)
		sqlite3_bind_int64(st, 3, renewed_to);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, (int64_t)c->sent);
	sqlite3_bind_int64(st, 5, (int64_t)(c->answered + c->reordered + c->late));
	sqlite3_bind_int64(st, 6, (int64_t)c->lost_fwd);
	sqlite3_bind_int64(st, 7, (int64_t)c->lost_bwd);
	sqlite3_bind_int64(st, 8, (int64_t)(c->lost_unknown + c->lost_pending));
	sqlite3_bind_int64(st, 9, (int64_t)c->late);
	sqlite3_bind_int64(st, 10, (int64_t)c->reordered);
	sqlite3_bind_int64(st, 11, (int64_t)c->duplicates);
	if (have_rx)
		sqlite3_bind_int64(st, 12, (int64_t)reflector_rx);
	else
		sqlite3_bind_null(st, 12);
	sqlite3_bind_int64(st, 13, id);
	return history_step_done(h, st);
}

void
history_probe(struct history *h, int64_t session_id, const struct fate_row *row)
{
	struct pending *nb;
	size_t ncap;

	if (h->nbuf == h->capbuf) {
		ncap = h->capbuf ? h->capbuf * 2 : 1024;
		if (ncap > HISTORY_BUF_MAX ||
		    (nb = realloc(h->buf, ncap * sizeof(*nb))) == NULL) {
			/* The database has failed for long: count, never hide. */
			h->unstored++;
			return;
		}
		h->buf = nb;
		h->capbuf = ncap;
	}
	h->buf[h->nbuf].session_id = session_id;
	h->buf[h->nbuf].row = *row;
	h->nbuf++;
}

static int
history_put(struct history *h, const struct pending *p)
{
	sqlite3_stmt *st = h->ins_probe;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, p->session_id);
	sqlite3_bind_int64(st, 2, (int64_t)p->row.seq);
	sqlite3_bind_int64(st, 3, p->row.sent_wall_ns);
	if (p->row.rtt_ns >= 0)
		sqlite3_bind_int64(st, 4, p->row.rtt_ns);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, (int)p->row.fate);
	sqlite3_bind_int(st, 6, (int)p->row.dups);
	if (p->row.ttl >= 0)
		sqlite3_bind_int(st, 7, p->row.ttl);
	else
		sqlite3_bind_null(st, 7);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : PM_E_DB;
}

int
history_flush(struct history *h)
{
	size_t i;

	if (h->nbuf == 0)
		return 0;
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < h->nbuf; i++)
		if (history_put(h, &h->buf[i]) != 0)
			goto rollback;
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto rollback;
	h->stored += h->nbuf;
	h->nbuf = 0;
	return 0;
rollback:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	if (time(NULL) - h->last_warn >= 60) {
		h->last_warn = time(NULL);
		log_warnx("history %s: cannot write (%s); holding %zu rows and "
		    "retrying", h->path, sqlite3_errmsg(h->db), h->nbuf);
	}
	return PM_E_DB;
}

int64_t
history_renewal_begin(struct history *h, const struct history_renewal *r)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(h->db, "INSERT INTO renewals (from_session, "
	    "requested_ns, reason, detail, first_loss_ns, loss_before_pct) "
	    "VALUES (?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	sqlite3_bind_int64(st, 1, r->from_session);
	sqlite3_bind_int64(st, 2, r->requested_ns);
	bind_text_or_null(st, 3, r->reason);
	bind_text_or_null(st, 4, r->detail);
	if (r->first_loss_ns >= 0)
		sqlite3_bind_int64(st, 5, r->first_loss_ns);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_double(st, 6, r->loss_before_pct);
	if (history_step_done(h, st) != 0)
		return PM_E_DB;
	return sqlite3_last_insert_rowid(h->db);
}

static int
history_renewal_set(struct history *h, int64_t id, const char *col,
    int is_real, int64_t iv, double dv)
{
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "UPDATE renewals SET %s = ? WHERE id = ?", col);
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	if (is_real)
		sqlite3_bind_double(st, 1, dv);
	else
		sqlite3_bind_int64(st, 1, iv);
	sqlite3_bind_int64(st, 2, id);
	return history_step_done(h, st);
}

int
history_renewal_to(struct history *h, int64_t id, int64_t to_session)
{
	return history_renewal_set(h, id, "to_session", 0, to_session, 0);
}

int
history_renewal_first_reply(struct history *h, int64_t id, int64_t t_ns)
{
	return history_renewal_set(h, id, "first_reply_ns", 0, t_ns, 0);
}

int
history_renewal_after(struct history *h, int64_t id, double loss_after_pct)
{
	return history_renewal_set(h, id, "loss_after_pct", 1, 0, loss_after_pct);
}

uint64_t
history_unstored(const struct history *h)
{
	return h->unstored;
}

uint64_t
history_stored(const struct history *h)
{
	return h->stored;
}
