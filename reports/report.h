/*
 * report: what the subcommands of pktmon-report share: the options, the
 * exit codes, opening the history, settling the time range and loading the
 * (small) sessions and renewals tables, and the totals of a range.
 */
#ifndef PM_REPORT_REPORT_H
#define PM_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "query.h"
#include "record.h"
#include "series.h"

enum report_exit {
	REPORT_OK = 0,
	REPORT_FAIL = 1,	/* an output could not be written */
	REPORT_USAGE = 2,
	REPORT_DB = 4		/* history missing, unreadable or not pktmon's */
};

enum report_format { REPORT_CSV, REPORT_JSON };

struct report_opts {
	const char *db;
	const char *out;
	int have_since;
	int have_until;
	int64_t since_ns;
	int64_t until_ns;
	int64_t now_ns;
	int64_t session_id;	/* -1: every session */
	const char *server;	/* NULL: every server */
	uint32_t scale;
	uint32_t width;
	uint32_t height;
	int json;
	int have_format;
	enum report_format format;
	/* --tz: the graphs' clock, as an offset east of UTC over the whole
	 * range, and its name ("UTC", "CET", "UTC+05:30"). */
	int64_t tz_off_ns;
	char tz_name[32];
};

/* Sessions and renewals of the range, in memory: a few per renewal. */
struct report_data {
	struct query *q;
	struct query_filter f;
	struct rec_session *sessions;	/* by start time */
	size_t nsessions;
	struct rec_renewal *renewals;	/* by request time */
	size_t nrenewals;
	char server[160];		/* who the range is about, for titles */
};

/* The range's totals as the client prints them. */
struct report_totals {
	struct series_bucket all;
	int64_t rtt_median;		/* exact nearest-rank; -1 without RTTs */
	int64_t rtt_p99;
};

/*
 * Open the history, settle the range and load sessions and renewals.
 * Returns a report_exit code, having printed the one-line reason.
 */
int report_open(const struct report_opts *o, struct report_data *d);
void report_close(struct report_data *d);

/* Stream the probes of the range into a series over grid. REPORT_* code. */
int report_scan(struct report_data *d, const struct scale_grid *grid,
    struct series **out);
/* Totals of s with exact percentiles (two more reads). REPORT_* code. */
int report_totals(struct report_data *d, const struct series *s,
    struct report_totals *t);
/* The totals as the members of a JSON object (no braces). */
void report_totals_json(FILE *fp, const struct report_data *d,
    const struct report_totals *t);
/* A JSON string literal. */
void report_json_str(FILE *fp, const char *s);
/* The line of a query failure, and REPORT_DB. */
int report_db_error(const struct report_data *d);

#endif
