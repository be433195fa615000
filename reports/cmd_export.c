/*
 * cmd_export: the raw probes of the range on stdout, as CSV or as NDJSON
 * (one JSON object a line, for jq -c and log shippers), streamed row by
 * row in stored order (session, then sequence). Each row carries its send
 * time twice: nanoseconds, and ISO 8601 UTC for people and spreadsheets.
 */
#include <stdio.h>
#include <time.h>

#include "cmd.h"
#include "log.h"

struct export {
	enum report_format format;
	uint64_t rows;
};

/* "2026-12-02T18:40:31.123456789Z"; the report only reads times it can
 * draw (query.c), all after 1970. */
static const char *
iso(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	struct tm tm;
	char day[32];

	if (ns < 0 || gmtime_r(&sec, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s.%09lldZ", day, (long long)(ns % 1000000000LL));
	return buf;
}

static void
csv_row(const struct rec_probe *p)
{
	char t[48];

	printf("%lld,%lld,%lld,%s,", (long long)p->session_id, (long long)p->seq,
	    (long long)p->sent_ns, iso(p->sent_ns, t, sizeof(t)));
	if (p->rtt_ns >= 0)
		printf("%lld", (long long)p->rtt_ns);
	printf(",%s,%u,", rec_fate_name(p->fate), p->dups);
	if (p->ttl >= 0)
		printf("%lld", (long long)p->ttl);
	if (p->has_owd)
		printf(",%lld,%lld\n", (long long)p->owd_fwd_ns,
		    (long long)p->owd_bwd_ns);
	else
		printf(",,\n");
}

static void
json_row(const struct rec_probe *p)
{
	char t[48];

	printf("{\"session_id\": %lld, \"seq\": %lld, \"sent_ns\": %lld, "
	    "\"sent\": \"%s\", \"rtt_ns\": ", (long long)p->session_id,
	    (long long)p->seq, (long long)p->sent_ns, iso(p->sent_ns, t, sizeof(t)));
	if (p->rtt_ns >= 0)
		printf("%lld", (long long)p->rtt_ns);
	else
		printf("null");
	printf(", \"fate\": \"%s\", \"dups\": %u, \"ttl\": ", rec_fate_name(p->fate),
	    p->dups);
	if (p->ttl >= 0)
		printf("%lld", (long long)p->ttl);
	else
		printf("null");
	if (p->has_owd)
		printf(", \"owd_fwd_ns\": %lld, \"owd_bwd_ns\": %lld}\n",
		    (long long)p->owd_fwd_ns, (long long)p->owd_bwd_ns);
	else
		printf(", \"owd_fwd_ns\": null, \"owd_bwd_ns\": null}\n");
}

static void
on_probe(void *arg, const struct rec_probe *p)
{
	struct export *ex = arg;

	switch (ex->format) {
	case REPORT_CSV:
		csv_row(p);
		break;
	case REPORT_JSON:
		json_row(p);
		break;
	}
	ex->rows++;
}

int
cmd_export(const struct report_opts *o)
{
	struct export ex = { o->format, 0 };
	struct report_data d;
	int r;

	if ((r = report_open(o, &d)) != 0)
		goto out;
	switch (ex.format) {
	case REPORT_CSV:
		printf("session_id,seq,sent_ns,sent_utc,rtt_ns,fate,dups,ttl,"
		    "owd_fwd_ns,owd_bwd_ns\n");
		break;
	case REPORT_JSON:
		break;
	}
	if (query_probes(d.q, &d.f, QUERY_STORED, on_probe, &ex) != 0) {
		r = report_db_error(&d);
		goto out;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_warn("stdout");
		r = REPORT_FAIL;
	}
out:
	report_close(&d);
	return r;
}
