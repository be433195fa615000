/*
 * history_sql: the statements behind the history, run by its writer
 * thread: deferred session and renewal rows, probe upserts, one
 * transaction per batch, checkpoints.
 */
#include <stdio.h>
#include <string.h>

#include "history_int.h"
#include "log.h"

int
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

int
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

void
meta_int(struct meta *m, int64_t v)
{
	m->v[m->n].type = 'i';
	m->v[m->n++].i = v;
}

void
meta_real(struct meta *m, double v)
{
	m->v[m->n].type = 'd';
	m->v[m->n++].d = v;
}

void
meta_text(struct meta *m, const char *v)
{
	m->v[m->n].type = v ? 's' : 'n';
	if (v != NULL)
		snprintf(m->v[m->n].s, META_STR, "%s", v);
	m->n++;
}

/* An integer, or NULL when it is not known (negative). */
void
meta_int_or_null(struct meta *m, int64_t v)
{
	if (v >= 0)
		meta_int(m, v);
	else
		m->v[m->n++].type = 'n';
}

static int
meta_run(struct history *h, const struct meta *m)
{
	sqlite3_stmt *st;
	int i, rc;

	if (sqlite3_prepare_v2(h->db, m->sql, -1, &st, NULL) != SQLITE_OK)
		return PM_E_DB;
	for (i = 0; i < m->n; i++) {
		const struct mval *v = &m->v[i];

		if (v->type == 'i')
			sqlite3_bind_int64(st, i + 1, v->i);
		else if (v->type == 'd')
			sqlite3_bind_double(st, i + 1, v->d);
		else if (v->type == 's')
			sqlite3_bind_text(st, i + 1, v->s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, i + 1);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : PM_E_DB;
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
	if (p->row.has_owd) {
		sqlite3_bind_int64(st, 8, p->row.owd_fwd_ns);
		sqlite3_bind_int64(st, 9, p->row.owd_bwd_ns);
	} else {
		sqlite3_bind_null(st, 8);
		sqlite3_bind_null(st, 9);
	}
	return sqlite3_step(st) == SQLITE_DONE ? 0 : PM_E_DB;
}

int
history_write(struct history *h, const struct batch *b)
{
	size_t i;

	if (b->nrows == 0 && b->nmeta == 0)
		return 0;
	if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < b->nmeta; i++)
		if (meta_run(h, &b->meta[i]) != 0)
			goto rollback;
	for (i = 0; i < b->nrows; i++)
		if (history_put(h, &b->rows[i]) != 0)
			goto rollback;
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
rollback:
	/* Keep the real reason: a ROLLBACK after SQLite already rolled back
	 * (disk full) would replace it with "no transaction is active". */
	snprintf(h->errmsg, sizeof(h->errmsg), "%s", sqlite3_errmsg(h->db));
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return PM_E_DB;
fail:
	snprintf(h->errmsg, sizeof(h->errmsg), "%s", sqlite3_errmsg(h->db));
	return PM_E_DB;
}

void
history_checkpoint(struct history *h, int truncate)
{
	/* PASSIVE never waits. TRUNCATE calls the busy handler while a reader
	 * (a report) holds old frames, so it runs with none: it then does what
	 * PASSIVE would and is tried again later, instead of stalling the
	 * writer for the whole busy timeout. */
	if (!truncate) {
		(void)sqlite3_wal_checkpoint_v2(h->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return;
	}
	sqlite3_busy_timeout(h->db, 0);
	(void)sqlite3_wal_checkpoint_v2(h->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_MS);
}
