/*
 * Fuzz pktmon-report with hostile histories. The input becomes a history
 * database: sessions, single probes, runs of probes and renewals whose
 * times, RTTs, fates, ids and sequence numbers are arbitrary 64-bit values
 * (NULLs, text and reals too where the tables have no types). Then every
 * subcommand runs on it in-process, as text and as JSON: png (all four
 * graphs), summary, events, and export as CSV and JSON. A history is input,
 * so whatever it holds, each must end with output or an error, without
 * undefined behaviour and in bounded time.
 *
 * Input, every field read as far as the input goes (then zeros):
 *   u8 schema    0: schema.sql (version 1), 1: version 2, 2: every
 *                migration, 3: bare tables without types or constraints
 *   u8 flags     bit 0 --since V, 1 --until V, 2 --session V, 3 --server,
 *                4-5 image width (400, 700, 1200, 2000), 6 png --json,
 *                7 image height 600 (else 250)
 *   the option values, then records until the input ends:
 *   u8 kind % 5  0 session: id ssid started ended interval V, server mode
 *                  reason u8
 *                1 probe: session seq sent rtt fate dups ttl owd_fwd owd_bwd V
 *                2 run: session seq0 t0 step rtt0 V, count u8, fates u32
 *                  (three bits a probe, repeating every ten)
 *                3 renewal: id from to requested first_loss first_reply
 *                  before after V, reason detail u8
 *                4 episode (the client's class of it): start V, server
 *                  class u8
 *   V is a tag octet and its value: see get_val.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <sqlite3.h>

#include "fuzz.h"
#include "cmd.h"
#include "log.h"

#define NS 1000000000LL
#define T0 (1795600800LL * NS)		/* 2026-11-25 10:00:00Z */
#define MAX_ROWS 2048			/* bounds the work of one input */

extern const char pm_schema_sql[];
extern const char pm_migration_002_sql[];
extern const char pm_migration_003_sql[];

/* sql/NNN-*.sql in order, as the client applies them (client/history.c). */
static const char *const migrations[] = {
	pm_migration_002_sql,
	pm_migration_003_sql,
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

enum schema { SCHEMA_V1, SCHEMA_V2, SCHEMA_LATEST, SCHEMA_BARE, SCHEMAS };

struct input {
	const uint8_t *p;
	size_t n;
	unsigned rows;
};

enum val_kind { V_INT, V_NULL, V_REAL, V_TEXT };

struct val {
	enum val_kind kind;
	int64_t i;
	double d;
	const char *s;
};

static uint8_t
get_u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t
get_be(struct input *in, int octets)
{
	uint64_t v = 0;

	while (octets-- > 0)
		v = v << 8 | get_u8(in);
	return v;
}

/* A value by tag, weighted towards what breaks arithmetic on times. */
static struct val
get_val(struct input *in)
{
	static const char *const texts[] = { "", "abc", "9223372036854775808",
	    "-1e999", "\xff\xfe" };
	uint8_t tag = get_u8(in);
	struct val v = { V_INT, 0, 0, NULL };
	uint64_t raw;

	switch (tag % 10) {
	case 0:
		v.i = (int8_t)get_u8(in);
		break;
	case 1:		/* within about 24 days of T0, by the millisecond */
		v.i = T0 + (int64_t)(int32_t)get_be(in, 4) * 1000000;
		break;
	case 2:
		raw = get_be(in, 8);
		memcpy(&v.i, &raw, sizeof(v.i));
		break;
	case 3:
		v.i = INT64_MAX - get_u8(in);
		break;
	case 4:
		v.i = INT64_MIN + get_u8(in);
		break;
	case 5:
		v.kind = V_NULL;
		break;
	case 6:
		v.i = (int64_t)get_be(in, 4);
		break;
	case 7:		/* within 18 hours after T0, by the second */
		v.i = T0 + (int64_t)get_be(in, 2) * NS;
		break;
	case 8:
		raw = get_be(in, 8);
		v.kind = V_REAL;
		memcpy(&v.d, &raw, sizeof(v.d));
		break;
	case 9:
		v.kind = V_TEXT;
		v.s = texts[get_u8(in) % (sizeof(texts) / sizeof(texts[0]))];
		break;
	}
	return v;
}

static int64_t
get_i64(struct input *in)
{
	struct val v = get_val(in);

	return v.kind == V_INT ? v.i : 0;
}

static const char *
pick(struct input *in, const char *const *set, size_t n)
{
	return set[get_u8(in) % n];
}

static const char *const servers[] = { "192.0.2.10:862", "[2001:db8::1]:862",
    "b.example:4000", "", "\"quoted\\\"\n\x01" };
#define NSERVERS (sizeof(servers) / sizeof(servers[0]))

static void
bind_val(sqlite3_stmt *st, int i, const struct val *v)
{
	switch (v->kind) {
	case V_INT:
		sqlite3_bind_int64(st, i, v->i);
		return;
	case V_NULL:
		sqlite3_bind_null(st, i);
		return;
	case V_REAL:
		sqlite3_bind_double(st, i, v->d);
		return;
	case V_TEXT:
		sqlite3_bind_text(st, i, v->s, -1, SQLITE_STATIC);
		return;
	}
}

/* Run st once with its parameters; a row the schema refuses is skipped. */
static void
insert(struct input *in, sqlite3_stmt *st)
{
	(void)sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	in->rows++;
}

static void
add_session(struct input *in, sqlite3_stmt *st)
{
	static const char *const modes[] = { "stamp-auth", "icmp", "stamp-plain", "" };
	static const char *const reasons[] = { "renewed", "stopped", "aborted", "", NULL };
	struct val v;
	const char *reason;
	int i;

	for (i = 1; i <= 5; i++) {	/* id ssid started ended interval */
		v = get_val(in);
		bind_val(st, i, &v);
	}
	sqlite3_bind_text(st, 6, pick(in, servers, NSERVERS), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, pick(in, modes, 4), -1, SQLITE_STATIC);
	if ((reason = pick(in, reasons, 5)) != NULL)
		sqlite3_bind_text(st, 8, reason, -1, SQLITE_STATIC);
	insert(in, st);
}

static void
add_probe(struct input *in, sqlite3_stmt *st)
{
	struct val v;
	int i;

	for (i = 1; i <= 9; i++) {
		v = get_val(in);
		bind_val(st, i, &v);
	}
	insert(in, st);
}

/* A run of probes at a fixed step: buckets, outages and percentiles. */
static void
add_run(struct input *in, sqlite3_stmt *st)
{
	uint64_t sid = (uint64_t)get_i64(in), seq = (uint64_t)get_i64(in);
	uint64_t t = (uint64_t)get_i64(in), step = (uint64_t)get_i64(in);
	uint64_t rtt = (uint64_t)get_i64(in);
	unsigned count = get_u8(in) + 1u, k, fate;
	uint32_t fates = (uint32_t)get_be(in, 4);

	for (k = 0; k < count && in->rows < MAX_ROWS; k++) {
		fate = (fates >> (3 * (k % 10))) & 7;
		sqlite3_bind_int64(st, 1, (int64_t)sid);
		sqlite3_bind_int64(st, 2, (int64_t)(seq + k));
		sqlite3_bind_int64(st, 3, (int64_t)(t + step * k));
		if (fate <= 2)
			sqlite3_bind_int64(st, 4, (int64_t)(rtt + 37u * (k % 29) * 1000u));
		sqlite3_bind_int64(st, 5, fate);
		sqlite3_bind_int64(st, 6, k % 17 == 0);
		sqlite3_bind_int64(st, 7, 57);
		insert(in, st);
	}
}

static void
add_renewal(struct input *in, sqlite3_stmt *st)
{
	static const char *const reasons[] = { "consecutive-loss", "window-loss", "" };
	static const char *const details[] = { "3 consecutive losses",
	    "12.5 % of the last 200", "", "a\nb\"c\\" };
	struct val v;
	int i;

	for (i = 1; i <= 8; i++) {
		v = get_val(in);
		if (i >= 7 && v.kind == V_INT)	/* loss before and after, % */
			sqlite3_bind_double(st, i, (double)v.i / 1000);
		else
			bind_val(st, i, &v);
	}
	sqlite3_bind_text(st, 9, pick(in, reasons, 3), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, pick(in, details, 4), -1, SQLITE_STATIC);
	insert(in, st);
}

static void
add_episode(struct input *in, sqlite3_stmt *st)
{
	static const char *const classes[] = { "outage", "flow-specific",
	    "transient", "path-wide", "local", "",
	    ("a \"class\" longer than any buffer a report keeps for one\n") };
	struct val v = get_val(in);
	const char *server = pick(in, servers, NSERVERS);
	const char *class = pick(in, classes, 7);

	if (st == NULL)
		return;		/* a history without the episodes table */
	bind_val(st, 1, &v);
	sqlite3_bind_text(st, 2, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, class, -1, SQLITE_STATIC);
	insert(in, st);
}

static const char bare_sql[] =
    "CREATE TABLE sessions (id, ssid, started_ns, ended_ns, interval_ns, "
    "server, mode, end_reason);"
    "CREATE TABLE probes (session_id, seq, sent_ns, rtt_ns, fate, dups, ttl, "
    "owd_fwd_ns, owd_bwd_ns);"
    "CREATE TABLE renewals (id, from_session, to_session, requested_ns, "
    "first_loss_ns, first_reply_ns, loss_before_pct, loss_after_pct, reason, "
    "detail);"
    "CREATE TABLE episodes (id, server, start_ns, class);"
    "PRAGMA user_version = 3;";

/* Sessions: the schema's columns without defaults, or the bare table's. */
static const char *const session_sql[] = {
	"INSERT INTO sessions (id, ssid, started_ns, ended_ns, interval_ns, server, "
	    "mode, end_reason, size, timeout_ns, timestamping) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 64, 1000000000, 'kernel-rx')",
	"INSERT INTO sessions (id, ssid, started_ns, ended_ns, interval_ns, server, "
	    "mode, end_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

/* Probes: version 1 has no one-way delays (?8 and ?9 bind to nothing). */
static const char *const probe_sql[] = {
	"INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate, dups, ttl) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	"INSERT INTO probes (session_id, seq, sent_ns, rtt_ns, fate, dups, ttl, "
	    "owd_fwd_ns, owd_bwd_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

static const char renewal_sql[] =
    "INSERT INTO renewals (id, from_session, to_session, requested_ns, "
    "first_loss_ns, first_reply_ns, loss_before_pct, loss_after_pct, reason, "
    "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/* Episodes (version 3): the counts do not matter to the report. */
static const char *const episode_sql[] = {
	"INSERT INTO episodes (start_ns, server, class, end_ns, slots, lost, "
	    "lost_forward, lost_backward, lost_unknown, unsent, renewals) "
	    "VALUES (?1, ?2, ?3, ?1, 1, 1, 0, 0, 1, 0, 0)",
	"INSERT INTO episodes (start_ns, server, class) VALUES (?1, ?2, ?3)",
};

static int
exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK;
}

static int
create_schema(sqlite3 *db, enum schema schema)
{
	char pragma[40];
	size_t i, n;

	switch (schema) {
	case SCHEMA_V1:
	case SCHEMA_V2:
	case SCHEMA_LATEST:
		n = schema == SCHEMA_V1 ? 0 : schema == SCHEMA_V2 ? 1 : NMIGRATIONS;
		if (exec(db, pm_schema_sql))
			return -1;
		for (i = 0; i < n; i++)
			if (exec(db, migrations[i]))
				return -1;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", n + 1);
		return exec(db, pragma);
	case SCHEMA_BARE:
	case SCHEMAS:
		break;
	}
	return exec(db, bare_sql);
}

static void
fill(sqlite3 *db, struct input *in, enum schema schema)
{
	int bare = schema == SCHEMA_BARE;
	sqlite3_stmt *st[5] = { NULL };
	int i;

	if (sqlite3_prepare_v2(db, session_sql[bare], -1, &st[0], NULL) != 0 ||
	    sqlite3_prepare_v2(db, probe_sql[schema != SCHEMA_V1], -1, &st[1], NULL) != 0 ||
	    sqlite3_prepare_v2(db, renewal_sql, -1, &st[2], NULL) != 0 ||
	    ((schema == SCHEMA_LATEST || bare) &&
	    sqlite3_prepare_v2(db, episode_sql[bare], -1, &st[3], NULL) != 0))
		abort();	/* the statements above are wrong, not the input */
	while (in->n > 0 && in->rows < MAX_ROWS) {
		switch (get_u8(in) % 5) {
		case 0:
			add_session(in, st[0]);
			break;
		case 1:
			add_probe(in, st[1]);
			break;
		case 2:
			add_run(in, st[1]);
			break;
		case 3:
			add_renewal(in, st[2]);
			break;
		case 4:
			add_episode(in, st[3]);
			break;
		}
	}
	for (i = 0; i < 5; i++)
		sqlite3_finalize(st[i]);
}

static char dir[64];
static char db_path[96];
static int devnull;

static void
cleanup(void)
{
	static const char *const files[] = { "latency.png", "loss.png",
	    "rtt-distribution.png", "sessions.png" };
	char path[160];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	unlink(db_path);
	rmdir(dir);
}

/* A private directory for the history and the images. */
static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/pktmon-fuzz-XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || (devnull = open("/dev/null", O_WRONLY)) < 0)
		abort();
	snprintf(db_path, sizeof(db_path), "%s/history.db", dir);
	log_init("fuzz-report", LOG_LVL_ERR);
	atexit(cleanup);
}

static int
write_history(struct input *in, enum schema schema)
{
	sqlite3 *db;
	int r;

	unlink(db_path);
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		abort();
	r = exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF") ||
	    create_schema(db, schema) || exec(db, "BEGIN");
	if (r == 0) {
		fill(db, in, schema);
		r = exec(db, "COMMIT");
	}
	sqlite3_close(db);
	return r;
}

/* The options main() would accept: times from its parser are never negative. */
static void
read_opts(struct input *in, struct report_opts *o, unsigned flags)
{
	static const uint32_t widths[] = { 400, 700, 1200, 2000 };
	int64_t v;

	o->db = db_path;
	o->out = dir;
	o->now_ns = T0 + 30 * 86400 * NS;
	o->session_id = -1;
	o->scale = 1;
	o->width = widths[(flags >> 4) & 3];
	o->height = flags & 0x80 ? 600 : 250;
	if ((flags & 1) && (v = get_i64(in)) >= 0) {
		o->have_since = 1;
		o->since_ns = v;
	}
	if ((flags & 2) && (v = get_i64(in)) >= 0 &&
	    (!o->have_since || v > o->since_ns)) {
		o->have_until = 1;
		o->until_ns = v;
	}
	if ((flags & 4) && (v = get_i64(in)) >= 0)
		o->session_id = v;
	if (flags & 8)
		o->server = servers[get_u8(in) % NSERVERS];
}

static volatile int sink;

/*
 * PNG encoding is cairo's and libpng's, and took 60 % of each run: this
 * definition takes the place of cairo's for the report's objects linked
 * here, so the images are drawn in full but written empty.
 */
cairo_status_t
cairo_surface_write_to_png_stream(cairo_surface_t *surface,
    cairo_write_func_t write_func, void *closure)
{
	(void)write_func;
	(void)closure;
	return cairo_surface_status(surface);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* png draws; the JSON variant only adds the totals, so it runs once. */
	static const struct {
		int (*fn)(const struct report_opts *o);
		int json;
		enum report_format format;
		int have_format;
	} runs[] = {
		{ cmd_png, -1, REPORT_CSV, 0 },
		{ cmd_summary, 0, REPORT_CSV, 0 }, { cmd_summary, 1, REPORT_CSV, 0 },
		{ cmd_events, 0, REPORT_CSV, 0 }, { cmd_events, 1, REPORT_CSV, 0 },
		{ cmd_export, 0, REPORT_CSV, 1 }, { cmd_export, 0, REPORT_JSON, 1 },
	};
	struct input in = { data, size, 0 };
	struct report_opts o;
	enum schema schema;
	unsigned flags;
	size_t i;
	int out;

	if (dir[0] == '\0')
		setup();
	schema = (enum schema)(get_u8(&in) % SCHEMAS);
	flags = get_u8(&in);
	memset(&o, 0, sizeof(o));
	read_opts(&in, &o, flags);
	if (write_history(&in, schema) != 0)
		abort();
	/* The subcommands print to stdout; the replay driver's count must not. */
	fflush(stdout);
	if ((out = dup(STDOUT_FILENO)) < 0 || dup2(devnull, STDOUT_FILENO) < 0)
		abort();
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		o.json = runs[i].json < 0 ? (flags & 0x40) != 0 : runs[i].json;
		o.format = runs[i].format;
		o.have_format = runs[i].have_format;
		sink += runs[i].fn(&o);
	}
	fflush(stdout);
	if (dup2(out, STDOUT_FILENO) < 0)
		abort();
	close(out);
	return 0;
}
