/*
 * history: the client's SQLite history. The probing thread only queues:
 * rows and deferred statements go into a buffer under a mutex, and a
 * writer thread writes them in one transaction per batch (BEGIN IMMEDIATE
 * ... COMMIT) and checkpoints the WAL. So a locked database (busy_timeout
 * 5 s), a full disk or an fsync never stalls probing; rows wait, bounded,
 * and are counted if they cannot be kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history_int.h"
#include "log.h"

#define HISTORY_ROWS_MAX (1u << 20)	/* rows held while the database fails */
#define HISTORY_META_MAX 4096
#define WRITER_WAKE_SEC 1
#define WRITER_NICE 10	/* added to the probe thread's nice value */
#define TRUNCATE_EVERY 10		/* try to shrink the WAL every 10 s */

extern const char pm_schema_sql[];
extern const char pm_migration_002_sql[];
extern const char pm_migration_003_sql[];

/*
 * Forward-only migrations: entry i moves a history from version i + 1 to
 * i + 2 (sql/NNN-*.sql). A history is brought up to date in the same
 * transaction that creates or opens it, so it is never half migrated.
 */
static const char *const migrations[] = {
	pm_migration_002_sql,
	pm_migration_003_sql,
};
#define HISTORY_VERSION (1 + (int)(sizeof(migrations) / sizeof(migrations[0])))

enum health { HEALTH_OK, HEALTH_CORRUPT, HEALTH_UNKNOWN };

/*
 * quick_check == "ok"? A file SQLite calls corrupt or not a database is
 * corrupt; a check that could not run (locked, I/O error) says nothing
 * about the file, which must then be left alone.
 */
static enum health
history_health(sqlite3 *db)
{
	enum health h = HEALTH_UNKNOWN;
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		h = t != NULL && strcmp((const char *)t, "ok") == 0 ?
		    HEALTH_OK : HEALTH_CORRUPT;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		h = HEALTH_CORRUPT;
	sqlite3_finalize(st);
	return h;
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

/*
 * Once the schema is current, under the writer's lock: the fates table
 * says what shared/fates.c says, and sessions left open by a client that
 * was killed (this writer holds the lock, so none is running) are closed
 * as aborted at their last slot.
 */
static int
history_tidy(struct history *h, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	unsigned i;
	int ok = 1;

	if (history_exec(h, "BEGIN IMMEDIATE") != 0 || sqlite3_prepare_v2(h->db,
	    "INSERT OR REPLACE INTO fates (code, name, meaning) VALUES (?, ?, ?)",
	    -1, &st, NULL) != SQLITE_OK)
		ok = 0;
	for (i = 0; ok && i < PM_FATES; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, (int)i);
		sqlite3_bind_text(st, 2, pm_fate_name(i), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, pm_fate_meaning(i), -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (ok && history_exec(h, "UPDATE sessions SET end_reason = 'aborted', "
	    "ended_ns = coalesce((SELECT max(sent_ns) FROM probes WHERE "
	    "session_id = sessions.id), started_ns) WHERE ended_ns IS NULL") != 0)
		ok = 0;
	if (ok && sqlite3_changes(h->db) > 0)
		log_info("history %s: %d sessions of an earlier run that did not "
		    "stop cleanly closed as aborted", h->path, sqlite3_changes(h->db));
	if (ok && history_exec(h, "COMMIT") == 0)
		return 0;
	snprintf(err, errlen, "history %s: cannot update it: %s", h->path,
	    sqlite3_errmsg(h->db));
	(void)sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return PM_E_DB;
}

static int
history_schema(struct history *h, char *err, size_t errlen)
{
	int64_t ver = 0, ntables = 0, v;
	char pragma[40];

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
		return history_tidy(h, err, errlen);
	if (ver == 0 && ntables > 0) {
		snprintf(err, errlen, "%s is an SQLite file but not a pktmon history",
		    h->path);
		return PM_E_DB;
	}
	if (history_exec(h, "BEGIN IMMEDIATE") != 0 ||
	    (ver == 0 && history_exec(h, pm_schema_sql) != 0))
		goto fail;
	for (v = ver > 0 ? ver : 1; v < HISTORY_VERSION; v++)
		if (history_exec(h, migrations[v - 1]) != 0)
			goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", HISTORY_VERSION);
	if (history_exec(h, pragma) != 0 || history_exec(h, "COMMIT") != 0)
		goto fail;
	if (ver > 0)
		log_info("history %s: schema upgraded from version %lld to %d",
		    h->path, (long long)ver, HISTORY_VERSION);
	return history_tidy(h, err, errlen);
fail:
	snprintf(err, errlen, "history %s: cannot %s the schema: %s", h->path,
	    ver == 0 ? "create" : "upgrade", sqlite3_errmsg(h->db));
	(void)sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return PM_E_DB;
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

/*
 * One writer per history: ids are handed out from the file's maximum at
 * open, so two clients writing one file would collide. An advisory lock
 * (independent of SQLite's own) refuses the second at once; readers such
 * as pktmon-report do not take it.
 */
static int
history_lock(struct history *h, char *err, size_t errlen)
{
	if ((h->lockfd = open(h->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "cannot open history %s: %s", h->path,
		    strerror(errno));
		return PM_E_DB;
	}
	if (flock(h->lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "history %s is in use by another "
		    "pktmon-client; give each client its own --db", h->path);
		return PM_E_DB;
	}
	return 0;
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
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_MS);
	switch (history_health(h->db)) {
	case HEALTH_OK:
		break;
	case HEALTH_UNKNOWN:
		snprintf(err, errlen, "history %s: cannot check it: %s", h->path,
		    sqlite3_errmsg(h->db));
		return PM_E_DB;
	case HEALTH_CORRUPT:
		sqlite3_close(h->db);
		h->db = NULL;
		if (history_move_aside(h->path, err, errlen) != 0)
			return PM_E_DB;
		/* The lock went with the old file: take it on the new one. */
		close(h->lockfd);
		if (history_lock(h, err, errlen) != 0)
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


/* ---- the queue --------------------------------------------------------- */

static int
batch_reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	if (need > ncap || (n = realloc(*arr, ncap * elem)) == NULL)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* Append src to dst (dst keeps order: older first) and empty src; what
 * does not fit is counted as lost. */
static void
batch_move(struct history *h, struct batch *dst, struct batch *src)
{
	/* The usual case, the writer's batch written out: swap the buffers, so
	 * the probe thread never waits on a copy under the lock. */
	if (dst->nrows == 0 && dst->nmeta == 0) {
		struct batch t = *dst;

		*dst = *src;
		*src = t;
		return;
	}
	if (src->nrows > 0 && batch_reserve((void **)&dst->rows, &dst->caprows,
	    dst->nrows + src->nrows, sizeof(*dst->rows), HISTORY_ROWS_MAX) == 0) {
		memcpy(dst->rows + dst->nrows, src->rows, src->nrows * sizeof(*src->rows));
		dst->nrows += src->nrows;
	} else
		h->unstored += src->nrows;
	if (src->nmeta > 0 && batch_reserve((void **)&dst->meta, &dst->capmeta,
	    dst->nmeta + src->nmeta, sizeof(*dst->meta), HISTORY_META_MAX) == 0) {
		memcpy(dst->meta + dst->nmeta, src->meta, src->nmeta * sizeof(*src->meta));
		dst->nmeta += src->nmeta;
	} else
		h->unstored_meta += src->nmeta;
	src->nrows = src->nmeta = 0;
}

static int
pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->session_id != y->session_id)
		return x->session_id < y->session_id ? -1 : 1;
	return x->row.seq < y->row.seq ? -1 : x->row.seq > y->row.seq;
}

/*
 * Probes among the rows still held: one probe may have several upserts
 * queued (lost, then its direction), and it is one probe not stored.
 */
static uint64_t
batch_probes(struct batch *b)
{
	uint64_t n = 0;
	size_t i;

	if (b->nrows == 0)
		return 0;	/* rows may be NULL: qsort must not see it */
	qsort(b->rows, b->nrows, sizeof(*b->rows), pending_cmp);
	for (i = 0; i < b->nrows; i++)
		if (i == 0 || pending_cmp(&b->rows[i - 1], &b->rows[i]) != 0)
			n++;
	return n;
}

static void
batch_free(struct batch *b)
{
	free(b->rows);
	free(b->meta);
	memset(b, 0, sizeof(*b));
}

void
history_probe(struct history *h, int64_t session_id, const struct fate_row *row)
{
	if (h->path == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	if (batch_reserve((void **)&h->in.rows, &h->in.caprows, h->in.nrows + 1,
	    sizeof(*h->in.rows), HISTORY_ROWS_MAX) != 0 ||
	    h->in.nrows + h->out.nrows >= HISTORY_ROWS_MAX)
		h->unstored++;	/* the database has failed for long: count, never hide */
	else {
		h->in.rows[h->in.nrows].session_id = session_id;
		h->in.rows[h->in.nrows].row = *row;
		h->in.nrows++;
	}
	pthread_mutex_unlock(&h->mu);
}

static int
meta_push(struct history *h, const struct meta *m)
{
	int r = 0;

	if (h->path == NULL)
		return 0;
	pthread_mutex_lock(&h->mu);
	if (batch_reserve((void **)&h->in.meta, &h->in.capmeta, h->in.nmeta + 1,
	    sizeof(*h->in.meta), HISTORY_META_MAX) != 0) {
		h->unstored_meta++;
		r = PM_E_DB;
	} else
		h->in.meta[h->in.nmeta++] = *m;
	pthread_mutex_unlock(&h->mu);
	return r;
}

int
history_flush(struct history *h)
{
	int failed;

	pthread_mutex_lock(&h->mu);
	h->kick = 1;
	pthread_cond_signal(&h->cv);
	failed = h->failed;
	pthread_mutex_unlock(&h->mu);
	return failed ? PM_E_DB : 0;
}

/* ---- the writer thread ------------------------------------------------- */

static void
writer_report(struct history *h, int ok, size_t n)
{
	pthread_mutex_lock(&h->mu);
	h->failed = !ok;
	if (ok) {
		h->stored += n;
		/* Under mu: history_probe() reads out.nrows for its bound. */
		h->out.nrows = h->out.nmeta = 0;
	}
	pthread_mutex_unlock(&h->mu);
	if (!ok && time(NULL) - h->last_warn >= 60) {
		h->last_warn = time(NULL);
		log_warnx("history %s: cannot write (%s); holding %zu rows and "
		    "retrying", h->path, h->errmsg, h->out.nrows + h->out.nmeta);
	}
}

static void *
writer_run(void *arg)
{
	struct history *h = arg;
	struct timespec ts;
	unsigned wakes = 0;
	int stop = 0, lowered;
	size_t n;

	/* The writer can wait (its rows are held in memory meanwhile); the
	 * probe thread's deadlines cannot. Lower its weight so that, with the
	 * CPUs busy, the scheduler runs the prober first (on Linux nice()
	 * changes this thread alone). Refused, it competes as an equal. */
	lowered = nice(WRITER_NICE);
	(void)lowered;
	while (!stop) {
		pthread_mutex_lock(&h->mu);
		if (!h->kick && !h->stop) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += WRITER_WAKE_SEC;
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
		}
		h->kick = 0;
		stop = h->stop;
		batch_move(h, &h->out, &h->in);
		pthread_mutex_unlock(&h->mu);
		n = h->out.nrows;
		if (h->out.nrows + h->out.nmeta > 0) {
			int ok = history_write(h, &h->out) == 0;

			writer_report(h, ok, n);
		}
		if (++wakes % 4 == 0 || stop)
			history_checkpoint(h, wakes % (4 * TRUNCATE_EVERY) == 0);
	}
	return NULL;
}

static int
writer_start(struct history *h)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&h->mu, NULL);
	/* The writer must take no signal: SIGTERM and SIGINT belong to the
	 * event loop's signalfd, which only sees signals every thread blocks. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&h->thread, NULL, writer_run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return PM_E_SYS;
	h->running = 1;
	return 0;
}

/* ---- open and close ---------------------------------------------------- */

int
history_open(const char *path, int durability_full, struct history **out,
    char *err, size_t errlen)
{
	struct history *h;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return PM_E_NOMEM;
	h->lockfd = -1;
	if (path == NULL) {
		/* Nothing kept: no file, no writer; ids are still handed out. */
		pthread_mutex_init(&h->mu, NULL);
		pthread_cond_init(&h->cv, NULL);
		*out = h;
		return 0;
	}
	if ((h->path = strdup(path)) == NULL) {
		free(h);
		return PM_E_NOMEM;
	}
	if (history_is_foreign(path)) {
		snprintf(err, errlen, "%s exists and is not an SQLite database; "
		    "refusing to touch it", path);
		r = PM_E_DB;
		goto fail;
	}
	if ((r = history_lock(h, err, errlen)) != 0 ||
	    (r = history_connect(h, durability_full, err, errlen)) != 0 ||
	    (r = history_schema(h, err, errlen)) != 0)
		goto fail;
	if (sqlite3_prepare_v3(h->db, "INSERT OR REPLACE INTO probes (session_id, "
	    "seq, sent_ns, rtt_ns, fate, dups, ttl, owd_fwd_ns, owd_bwd_ns) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    -1, SQLITE_PREPARE_PERSISTENT, &h->ins_probe, NULL) != SQLITE_OK ||
	    history_int(h, "SELECT coalesce(max(id), 0) FROM sessions",
	    &h->last_session) != 0 || history_int(h, "SELECT coalesce(max(id), 0) "
	    "FROM renewals", &h->last_renewal) != 0 || history_int(h,
	    "SELECT coalesce(max(id), 0) FROM episodes", &h->last_episode) != 0) {
		snprintf(err, errlen, "history %s: %s", path, sqlite3_errmsg(h->db));
		r = PM_E_DB;
		goto fail;
	}
	if ((r = writer_start(h)) != 0) {
		snprintf(err, errlen, "history %s: cannot start the writer thread", path);
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
	if (h->running) {
		/* The writer makes a last attempt with everything queued. */
		pthread_mutex_lock(&h->mu);
		h->stop = 1;
		pthread_cond_signal(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->thread, NULL);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
	}
	/* The writer is gone: gather what it could not write into one batch. */
	batch_move(h, &h->out, &h->in);
	lost = batch_probes(&h->out);
	if (lost > 0)
		log_warnx("history %s: %llu probe rows could not be written at exit",
		    h->path, (unsigned long long)lost);
	if (h->out.nmeta > 0)
		log_warnx("history %s: %zu session and renewal records could not be "
		    "written at exit", h->path, h->out.nmeta);
	lost += h->unstored;
	if (h->unstored_meta > 0)
		log_warnx("history %s: %llu session and renewal records were "
		    "dropped while the database failed", h->path,
		    (unsigned long long)h->unstored_meta);
	sqlite3_finalize(h->ins_probe);
	sqlite3_close(h->db);
	batch_free(&h->in);
	batch_free(&h->out);
	if (h->lockfd >= 0)
		close(h->lockfd);
	free(h->path);
	free(h);
	return lost;
}

/* ---- deferred rows ----------------------------------------------------- */

int64_t
history_session_begin(struct history *h, const struct history_session *s)
{
	int64_t id = ++h->last_session;
	struct meta m = { "INSERT INTO sessions (id, server, mode, ssid, "
	    "local_addr, local_port, remote_addr, remote_port, interval_ns, size, "
	    "timeout_ns, timestamping, started_ns, dscp) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 0, { { 0, 0, 0, "" } } };

	meta_int(&m, id);
	meta_text(&m, s->server);
	meta_text(&m, s->mode);
	meta_int(&m, s->ssid);
	meta_text(&m, s->local_addr);
	meta_int(&m, s->local_port);
	meta_text(&m, s->remote_addr);
	meta_int(&m, s->remote_port);
	meta_int(&m, s->interval_ns);
	meta_int(&m, s->size);
	meta_int(&m, s->timeout_ns);
	meta_text(&m, s->timestamping);
	meta_int(&m, s->started_ns);
	meta_int_or_null(&m, s->dscp);
	(void)meta_push(h, &m);
	return id;
}

int
history_session_end(struct history *h, int64_t id, int64_t ended_ns,
    const char *reason, int64_t renewed_to, const struct fate_counts *c,
    int have_rx, uint64_t reflector_rx, uint64_t host_drops)
{
	struct meta m = { "UPDATE sessions SET ended_ns = ?, end_reason = ?, "
	    "renewed_to = ?, sent = ?, received = ?, lost_forward = ?, "
	    "lost_backward = ?, lost_unknown = ?, late = ?, reordered = ?, "
	    "duplicates = ?, reflector_rx = ?, host_drops = ?, unsent = ? "
	    "WHERE id = ?", 0,
	    { { 0, 0, 0, "" } } };

	meta_int(&m, ended_ns);
	meta_text(&m, reason);
	meta_int_or_null(&m, renewed_to > 0 ? renewed_to : -1);
	meta_int(&m, (int64_t)c->sent);
	meta_int(&m, (int64_t)(c->answered + c->reordered + c->late));
	meta_int(&m, (int64_t)c->lost_fwd);
	meta_int(&m, (int64_t)c->lost_bwd);
	meta_int(&m, (int64_t)(c->lost_unknown + c->lost_pending));
	meta_int(&m, (int64_t)c->late);
	meta_int(&m, (int64_t)c->reordered);
	meta_int(&m, (int64_t)c->duplicates);
	meta_int_or_null(&m, have_rx ? (int64_t)reflector_rx : -1);
	meta_int(&m, (int64_t)host_drops);
	meta_int(&m, (int64_t)c->unsent);
	meta_int(&m, id);
	return meta_push(h, &m);
}

int64_t
history_renewal_begin(struct history *h, const struct history_renewal *r)
{
	int64_t id = ++h->last_renewal;
	struct meta m = { "INSERT INTO renewals (id, from_session, requested_ns, "
	    "reason, detail, first_loss_ns, loss_before_pct) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?)", 0, { { 0, 0, 0, "" } } };

	meta_int(&m, id);
	meta_int(&m, r->from_session);
	meta_int(&m, r->requested_ns);
	meta_text(&m, r->reason);
	meta_text(&m, r->detail);
	meta_int_or_null(&m, r->first_loss_ns);
	meta_real(&m, r->loss_before_pct);
	(void)meta_push(h, &m);
	return id;
}

/* UPDATE renewals SET <column> = value WHERE id = id, deferred. */
static int
renewal_set(struct history *h, const char *sql, int is_real, int64_t iv,
    double dv, int64_t id)
{
	struct meta m = { sql, 0, { { 0, 0, 0, "" } } };

	if (is_real)
		meta_real(&m, dv);
	else
		meta_int(&m, iv);
	meta_int(&m, id);
	return meta_push(h, &m);
}

int
history_renewal_to(struct history *h, int64_t id, int64_t to_session)
{
	return renewal_set(h, "UPDATE renewals SET to_session = ? WHERE id = ?",
	    0, to_session, 0, id);
}

int
history_renewal_first_reply(struct history *h, int64_t id, int64_t t_ns)
{
	return renewal_set(h, "UPDATE renewals SET first_reply_ns = ? WHERE id = ?",
	    0, t_ns, 0, id);
}

int
history_renewal_failed(struct history *h, int64_t id, const char *why)
{
	struct meta m = { "UPDATE renewals SET failed = ? WHERE id = ?", 0,
	    { { 0, 0, 0, "" } } };

	meta_text(&m, why);
	meta_int(&m, id);
	return meta_push(h, &m);
}

int64_t
history_episode(struct history *h, const struct history_episode *e)
{
	int64_t id = ++h->last_episode;
	struct meta m = { "INSERT INTO episodes (id, server, start_ns, end_ns, "
	    "close_ns, slots, lost, lost_forward, lost_backward, lost_unknown, "
	    "unsent, late, class, renewals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?)", 0, { { 0, 0, 0, "" } } };
	int r;

	meta_int(&m, id);
	meta_text(&m, e->server);
	meta_int(&m, e->start_ns);
	meta_int(&m, e->end_ns);
	meta_int_or_null(&m, e->close_ns);
	meta_int(&m, (int64_t)e->slots);
	meta_int(&m, (int64_t)e->lost);
	meta_int(&m, (int64_t)e->lost_fwd);
	meta_int(&m, (int64_t)e->lost_bwd);
	meta_int(&m, (int64_t)e->lost_unknown);
	meta_int(&m, (int64_t)e->unsent);
	meta_int(&m, (int64_t)e->late);
	meta_text(&m, e->class);
	meta_int(&m, (int64_t)e->renewals);
	r = meta_push(h, &m);
	return r < 0 ? r : id;
}

int
history_episode_directions(struct history *h, int64_t id,
    const struct history_episode *e)
{
	struct meta m = { "UPDATE episodes SET lost_forward = ?, lost_backward = ?, "
	    "lost_unknown = ? WHERE id = ?", 0, { { 0, 0, 0, "" } } };

	meta_int(&m, (int64_t)e->lost_fwd);
	meta_int(&m, (int64_t)e->lost_bwd);
	meta_int(&m, (int64_t)e->lost_unknown);
	meta_int(&m, id);
	return meta_push(h, &m);
}

int
history_renewal_after(struct history *h, int64_t id, double loss_after_pct)
{
	return renewal_set(h, "UPDATE renewals SET loss_after_pct = ? WHERE id = ?",
	    1, 0, loss_after_pct, id);
}

uint64_t
history_unstored(const struct history *h)
{
	uint64_t n;

	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	n = h->unstored;
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return n;
}

uint64_t
history_stored(const struct history *h)
{
	uint64_t n;

	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	n = h->stored;
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return n;
}
