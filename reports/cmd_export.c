/*
 * cmd_export: the raw probes of the range on stdout, as CSV or as a JSON
 * array, streamed row by row in stored order (session, then sequence).
 */
#include <stdio.h>

#include "cmd.h"
#include "log.h"

struct export {
	enum report_format format;
	uint64_t rows;
};

static void
csv_row(const struct rec_probe *p)
{
	printf("%lld,%lld,%lld,", (long long)p->session_id, (long long)p->seq,
	    (long long)p->sent_ns);
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
json_row(const struct rec_probe *p, uint64_t row)
{
	printf("%s\n{\"session_id\": %lld, \"seq\": %lld, \"sent_ns\": %lld, "
	    "\"rtt_ns\": ", row ? "," : "", (long long)p->session_id,
	    (long long)p->seq, (long long)p->sent_ns);
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
		printf(", \"owd_fwd_ns\": %lld, \"owd_bwd_ns\": %lld}",
		    (long long)p->owd_fwd_ns, (long long)p->owd_bwd_ns);
	else
		printf(", \"owd_fwd_ns\": null, \"owd_bwd_ns\": null}");
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
		json_row(p, ex->rows);
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
		printf("session_id,seq,sent_ns,rtt_ns,fate,dups,ttl,owd_fwd_ns,"
		    "owd_bwd_ns\n");
		break;
	case REPORT_JSON:
		printf("[");
		break;
	}
	if (query_probes(d.q, &d.f, QUERY_STORED, on_probe, &ex) != 0) {
		r = report_db_error(&d);
		goto out;
	}
	if (ex.format == REPORT_JSON)
		printf("\n]\n");
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_warn("stdout");
		r = REPORT_FAIL;
	}
out:
	report_close(&d);
	return r;
}
