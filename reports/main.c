/*
 * pktmon-report: graphs, summaries, episode tables and exports from a
 * pktmon history. Options and subcommands are tables; --help is generated
 * from them. Every usage error is one line naming the option, exit 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "parse.h"
#include "pktmon_config.h"
#include "timeutil.h"

static const struct subcmd {
	const char *name;
	int (*fn)(const struct report_opts *o);
	const char *help;
} subcmds[] = {
	{ "png", cmd_png, "write the four graphs into --out DIR, print their paths "
	    "(default)" },
	{ "summary", cmd_summary, "totals per session and for the whole range" },
	{ "events", cmd_events, "loss episodes with their outages and renewals" },
	{ "export", cmd_export, "the raw probes on stdout, --format csv or json (NDJSON: "
	    "one object a line)" },
};
#define NSUBCMDS (sizeof(subcmds) / sizeof(subcmds[0]))

enum opt_id {
	OPT_DB = 1, OPT_OUT, OPT_SINCE, OPT_UNTIL, OPT_SESSION, OPT_SERVER,
	OPT_SCALE, OPT_WIDTH, OPT_HEIGHT, OPT_FORMAT, OPT_JSON, OPT_HELP,
	OPT_VERSION, OPT_TZ
};

static const struct optdef {
	const char *name;
	enum opt_id id;
	const char *arg;	/* NULL: takes no argument */
	const char *help;
} optdefs[] = {
	{ "db", OPT_DB, "FILE", "the pktmon history to read; opened read-only" },
	{ "out", OPT_OUT, "DIR", "directory for the images (png)" },
	{ "since", OPT_SINCE, "TIME", "start: -1d, -90m, now, epoch seconds or "
	    "2026-11-25T10:00Z (default: first probe)" },
	{ "until", OPT_UNTIL, "TIME", "end, the same forms (default: now with "
	    "--since, else the last probe)" },
	{ "session", OPT_SESSION, "ID", "only this session (sessions.id)" },
	{ "server", OPT_SERVER, "HOST:PORT", "only sessions to this server, as the "
	    "client was given it" },
	{ "scale", OPT_SCALE, "N", "pixel density of the images, 1 to 4 (HiDPI: 2)" },
	{ "width", OPT_WIDTH, "PX", "image width before scaling (default 1200)" },
	{ "height", OPT_HEIGHT, "PX", "image height before scaling (default 600)" },
	{ "format", OPT_FORMAT, "csv|json", "export format (default csv)" },
	{ "json", OPT_JSON, NULL, "print the totals (png, summary) or episodes "
	    "(events) as one JSON object" },
	{ "help", OPT_HELP, NULL, "this text" },
	{ "version", OPT_VERSION, NULL, "print the version" },
	{ "tz", OPT_TZ, "ZONE", "the graphs' clock: UTC (default), local (the TZ "
	    "variable's zone) or +HH:MM / -HH:MM" },
};
#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

static void
usage(FILE *fp)
{
	char arg[64];
	size_t i;

	fprintf(fp, "usage: pktmon-report --db FILE [--out DIR] [options] "
	    "[png|summary|events|export]\n\nsubcommands:\n");
	for (i = 0; i < NSUBCMDS; i++)
		fprintf(fp, "  %-9s %s\n", subcmds[i].name, subcmds[i].help);
	fprintf(fp, "\noptions:\n");
	for (i = 0; i < NOPTS; i++) {
		snprintf(arg, sizeof(arg), "--%s%s%s", optdefs[i].name,
		    optdefs[i].arg ? " " : "", optdefs[i].arg ? optdefs[i].arg : "");
		fprintf(fp, "  %-21s %s\n", arg, optdefs[i].help);
	}
	fprintf(fp, "\nexit status: 0 ok, 1 an output could not be written, "
	    "2 usage error,\n4 the history cannot be opened or read, or is not a "
	    "pktmon history\n");
}

static int
bad_value(const char *opt, const char *arg, const char *want)
{
	log_warnx("--%s: '%s' is not %s", opt, arg, want);
	return REPORT_USAGE;
}

static int
set_number(const char *opt, const char *arg, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char want[64];

	if (parse_u32(arg, lo, hi, v) == 0)
		return 0;
	snprintf(want, sizeof(want), "a whole number from %u to %u", lo, hi);
	return bad_value(opt, arg, want);
}

static int
set_time(const struct report_opts *o, const char *opt, const char *arg,
    int *have, int64_t *v)
{
	if (parse_time_ns(arg, o->now_ns, v) != 0)
		return bad_value(opt, arg, "a time (-1d, now, epoch seconds, "
		    "2026-11-25T10:00Z)");
	*have = 1;
	return 0;
}

static int
set_server(struct report_opts *o, const char *arg)
{
	char host[256];
	uint16_t port;

	if (parse_hostport(arg, host, sizeof(host), 0, &port) != 0)
		return bad_value("server", arg, "HOST:PORT");
	o->server = arg;
	return 0;
}

static int
set_format(struct report_opts *o, const char *arg)
{
	if (strcmp(arg, "csv") == 0)
		o->format = REPORT_CSV;
	else if (strcmp(arg, "json") == 0)
		o->format = REPORT_JSON;
	else
		return bad_value("format", arg, "csv or json");
	o->have_format = 1;
	return 0;
}

/*
 * --tz: one offset for the whole range (a DST change inside it shifts the
 * labels after it by the hour; the range's end decides), named as the zone
 * names itself.
 */
static int
set_tz(struct report_opts *o, const char *arg)
{
	unsigned h, m;
	char sign, end;
	time_t now;
	struct tm tm;

	if (strcmp(arg, "UTC") == 0 || strcmp(arg, "utc") == 0) {
		o->tz_off_ns = 0;
		o->tz_name[0] = '\0';
		return 0;
	}
	if (strcmp(arg, "local") == 0) {
		now = (time_t)((o->have_until ? o->until_ns : o->now_ns) / 1000000000LL);
		tzset();
		if (localtime_r(&now, &tm) == NULL)
			return bad_value("tz", arg, "UTC, local or +HH:MM");
		o->tz_off_ns = (int64_t)tm.tm_gmtoff * 1000000000LL;
		snprintf(o->tz_name, sizeof(o->tz_name), "%s", tm.tm_zone ?
		    tm.tm_zone : "local");
		return 0;
	}
	if (sscanf(arg, "%c%2u:%2u%c", &sign, &h, &m, &end) != 3 ||
	    (sign != '+' && sign != '-') || h > 14 || m > 59)
		return bad_value("tz", arg, "UTC, local or +HH:MM");
	o->tz_off_ns = (int64_t)(h * 3600 + m * 60) * 1000000000LL *
	    (sign == '-' ? -1 : 1);
	snprintf(o->tz_name, sizeof(o->tz_name), "UTC%c%02u:%02u", sign, h, m);
	return 0;
}

static int
set_session(struct report_opts *o, const char *arg)
{
	uint64_t v;

	if (parse_u64(arg, 0, INT64_MAX, &v) != 0)
		return bad_value("session", arg, "a session id");
	o->session_id = (int64_t)v;
	return 0;
}

/* Apply one option; -1 means stop with status 0 (help, version). */
static int
set_opt(struct report_opts *o, enum opt_id id, const char *arg)
{
	switch (id) {
	case OPT_DB:
		o->db = arg;
		return 0;
	case OPT_OUT:
		o->out = arg;
		return 0;
	case OPT_SINCE:
		return set_time(o, "since", arg, &o->have_since, &o->since_ns);
	case OPT_UNTIL:
		return set_time(o, "until", arg, &o->have_until, &o->until_ns);
	case OPT_SESSION:
		return set_session(o, arg);
	case OPT_SERVER:
		return set_server(o, arg);
	case OPT_SCALE:
		return set_number("scale", arg, 1, 4, &o->scale);
	case OPT_WIDTH:
		return set_number("width", arg, 400, 8000, &o->width);
	case OPT_HEIGHT:
		return set_number("height", arg, 250, 8000, &o->height);
	case OPT_FORMAT:
		return set_format(o, arg);
	case OPT_JSON:
		o->json = 1;
		return 0;
	case OPT_HELP:
		usage(stdout);
		return -1;
	case OPT_VERSION:
		printf("pktmon-report %s\n", PKTMON_VERSION);
		return -1;
	case OPT_TZ:
		return set_tz(o, arg);
	}
	return REPORT_USAGE;
}

static const struct subcmd *
find_subcmd(const char *name)
{
	size_t i;

	for (i = 0; i < NSUBCMDS; i++)
		if (strcmp(subcmds[i].name, name) == 0)
			return &subcmds[i];
	return NULL;
}

/* Options that only make sense together, checked once all are read. */
static int
check_opts(const struct report_opts *o, const struct subcmd *cmd)
{
	if (o->db == NULL) {
		log_warnx("--db FILE is required (try --help)");
		return REPORT_USAGE;
	}
	if (o->have_since && o->have_until && o->since_ns >= o->until_ns) {
		log_warnx("--since: not before --until");
		return REPORT_USAGE;
	}
	if (o->have_format && cmd->fn != cmd_export) {
		log_warnx("--format: only for export");
		return REPORT_USAGE;
	}
	if (o->json && cmd->fn == cmd_export) {
		log_warnx("--json: export takes --format json");
		return REPORT_USAGE;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct report_opts *o, const struct subcmd **cmd)
{
	struct option longopts[NOPTS + 1];
	size_t i;
	int c, r;

	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < NOPTS; i++)
		longopts[i] = (struct option){ optdefs[i].name,
		    optdefs[i].arg ? required_argument : no_argument, NULL, optdefs[i].id };
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h')
			c = OPT_HELP;
		if (c == ':' || c == '?') {
			log_warnx("%s '%s' (try --help)", c == ':' ? "missing value for" :
			    "unknown option", argv[optind - 1]);
			return REPORT_USAGE;
		}
		if ((r = set_opt(o, (enum opt_id)c, optarg)) != 0)
			return r;
	}
	*cmd = &subcmds[0];
	if (optind < argc && (*cmd = find_subcmd(argv[optind++])) == NULL) {
		log_warnx("unknown subcommand '%s' (try --help)", argv[optind - 1]);
		return REPORT_USAGE;
	}
	if (optind < argc) {
		log_warnx("unexpected argument '%s' (try --help)", argv[optind]);
		return REPORT_USAGE;
	}
	return check_opts(o, *cmd);
}

int
main(int argc, char **argv)
{
	struct report_opts o = {
		.session_id = -1, .scale = 1, .width = 1200, .height = 600,
	};
	const struct subcmd *cmd = NULL;
	int r;

	log_init("pktmon-report", LOG_LVL_INFO);
	o.now_ns = wall_ns();
	if ((r = parse_args(argc, argv, &o, &cmd)) != 0)
		return r < 0 ? REPORT_OK : r;
	return cmd->fn(&o);
}
