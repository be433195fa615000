/*
 * history_int: what history.c (the queue and its writer thread) and
 * history_sql.c (statements and transactions) share. Private to them.
 */
#ifndef PM_HISTORY_INT_H
#define PM_HISTORY_INT_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "history.h"

#define META_VALS 16
#define META_STR 160
/* SQLite waits this long for a lock (another writer, a checkpoint). */
#define HISTORY_BUSY_MS 5000

struct pending {
	int64_t session_id;
	struct fate_row row;
};

struct mval {
	char type;		/* 'i' integer, 'd' real, 's' text, 'n' NULL */
	int64_t i;
	double d;
	char s[META_STR];
};

/* A deferred statement: a session or renewal row, written with the probes. */
struct meta {
	const char *sql;
	int n;
	struct mval v[META_VALS];
};

/* A growing array of rows and statements. */
struct batch {
	struct pending *rows;
	size_t nrows, caprows;
	struct meta *meta;
	size_t nmeta, capmeta;
};

struct history {
	char *path;
	int lockfd;			/* flock: one writer per history file */
	sqlite3 *db;			/* owned by the writer thread once it runs */
	sqlite3_stmt *ins_probe;
	int64_t last_session, last_renewal;	/* ids handed out so far */
	int64_t last_episode;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop, kick, failed;
	struct batch in;		/* filled by the probing thread, under mu */
	struct batch out;		/* being written by the writer thread */
	uint64_t unstored, stored;	/* probe rows dropped, stored; under mu */
	uint64_t unstored_meta;		/* session/renewal records dropped */
	int64_t last_warn;
	char errmsg[160];		/* why the last write failed */
};

void meta_int(struct meta *m, int64_t v);
void meta_real(struct meta *m, double v);
void meta_text(struct meta *m, const char *v);
void meta_int_or_null(struct meta *m, int64_t v);

/* Write b in one transaction; 0, or PM_E_DB with b untouched. */
int history_write(struct history *h, const struct batch *b);
void history_checkpoint(struct history *h, int truncate);
int history_exec(struct history *h, const char *sql);
int history_int(struct history *h, const char *sql, int64_t *out);

#endif
