/*
 * pktmon-client: command line to struct client_opts, then the engine.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"

static const char usage_text[] =
"usage: pktmon-client --cert FILE --key FILE --ca FILE --server HOST:PORT --db FILE\n"
"                     [-i SECONDS] [-c COUNT] [-w SECONDS] [-W SECONDS] [-q] [--json]\n"
"       pktmon-client --icmp HOST --db FILE [options]\n"
"\n"
"  --cert FILE        client certificate (PEM)\n"
"  --key FILE         its private key\n"
"  --ca FILE          CA the server certificate must chain to (only trust anchor)\n"
"  --server HOST:PORT control address of pktmon-server; [v6]:port for IPv6;\n"
"                     HOST must match a name or IP in the server certificate\n"
"  --icmp HOST        watch any host with ICMP echo, as ping does (no server;\n"
"                     loss direction and renewal are then not available)\n"
"  --db FILE          SQLite history (created if missing)\n"
"  -i SECONDS         probe interval (default 1; fractions and units: 0.01, 10ms)\n"
"  -c COUNT           stop after COUNT probes\n"
"  -w SECONDS         stop after this long\n"
"  -W SECONDS         loss timeout: a probe without reply after this is lost (default 1)\n"
"  -s SIZE            probe size in octets: STAMP 112..1472 (default 112),\n"
"                     ICMP 16..1472 (default 64)\n"
"  -q                 print only the summary\n"
"  --json             print one JSON object at exit instead of lines\n"
"  --renew-after N    renew after N consecutive losses (default 3, 0 = off)\n"
"  --renew-window N   sliding window of N probes for the loss rate (default 20)\n"
"  --renew-loss PCT   renew when loss in the window reaches PCT %% (default 10)\n"
"  --renew-gap DUR    minimum time between renewals; doubles while loss goes on (default 10s)\n"
"  --no-renew         never renew sessions\n"
"  --durability MODE  normal (survives a crash) or full (also power loss)\n"
"  --keylog FILE      append each session's STAMP key (debugging, like SSLKEYLOGFILE)\n"
"  -v                 more logging\n"
"  -h, --help         this text\n"
"\n"
"Exit codes: 0 every probe answered, 1 loss seen, 2 usage or configuration error,\n"
"3 could not connect or authenticate, 4 history could not be opened or written.\n"
"SIGINT/SIGTERM stop cleanly (a second one stops at once).\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), __noreturn__));

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pktmon-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pktmon-client --help'.\n");
	exit(EXIT_USAGE);
}

static int64_t
opt_duration(const char *name, const char *arg, uint64_t lo, uint64_t hi)
{
	uint64_t v;

	if (parse_duration_ns(arg, lo, hi, &v) != 0)
		usage_error("invalid %s '%s' (a duration such as 0.5, 10ms, 2s)", name, arg);
	return (int64_t)v;
}

static uint32_t
opt_u32(const char *name, const char *arg, uint32_t lo, uint32_t hi)
{
	uint32_t v;

	if (parse_u32(arg, lo, hi, &v) != 0)
		usage_error("invalid %s '%s' (a number from %u to %u)", name, arg, lo, hi);
	return v;
}

static void
defaults(struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = NS_PER_SEC;
	o->timeout_ns = NS_PER_SEC;
	o->size = 112;
	o->out = OUT_LINES;
	o->renew = 1;
	policy_defaults(&o->policy);
}

static void
check_required(struct client_opts *o)
{
	if (o->icmp) {
		if (o->server != NULL)
			usage_error("--icmp and --server exclude each other");
		if (o->db == NULL)
			usage_error("--db FILE is required");
		o->server = o->host;
		return;
	}
	if (o->cert == NULL || o->key == NULL || o->ca == NULL)
		usage_error("--cert, --key and --ca are required");
	if (o->server == NULL)
		usage_error("--server HOST:PORT is required");
	if (o->db == NULL)
		usage_error("--db FILE is required");
	if (parse_hostport(o->server, o->host, sizeof(o->host), 0, &o->port) != 0)
		usage_error("invalid --server '%s' (want HOST:PORT)", o->server);
}

static void
parse_opts(int argc, char **argv, struct client_opts *o)
{
	enum { O_CERT = 256, O_KEY, O_CA, O_SERVER, O_DB, O_JSON, O_KEYLOG,
	    O_RAFTER, O_RWIN, O_RLOSS, O_RGAP, O_NORENEW, O_DUR, O_ICMP };
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "ca", required_argument, NULL, O_CA },
		{ "server", required_argument, NULL, O_SERVER },
		{ "db", required_argument, NULL, O_DB },
		{ "json", no_argument, NULL, O_JSON },
		{ "keylog", required_argument, NULL, O_KEYLOG },
		{ "renew-after", required_argument, NULL, O_RAFTER },
		{ "renew-window", required_argument, NULL, O_RWIN },
		{ "renew-loss", required_argument, NULL, O_RLOSS },
		{ "renew-gap", required_argument, NULL, O_RGAP },
		{ "no-renew", no_argument, NULL, O_NORENEW },
		{ "durability", required_argument, NULL, O_DUR },
		{ "icmp", required_argument, NULL, O_ICMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, verbose = 0, size_set = 0;

	while ((ch = getopt_long(argc, argv, "i:c:w:W:s:qvh", longopts, NULL)) != -1) {
		switch (ch) {
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_CA: o->ca = optarg; break;
		case O_SERVER: o->server = optarg; break;
		case O_DB: o->db = optarg; break;
		case O_JSON: o->out = OUT_JSON; break;
		case O_KEYLOG: o->keylog = optarg; break;
		case O_RAFTER: o->policy.consecutive = opt_u32("--renew-after", optarg, 0, 1000000); break;
		case O_RWIN: o->policy.window = opt_u32("--renew-window", optarg, 0, 1024); break;
		case O_RLOSS: o->policy.window_pct = opt_u32("--renew-loss", optarg, 1, 100); break;
		case O_RGAP:
			o->policy.min_gap_ns = opt_duration("--renew-gap", optarg, 0, 86400ULL * NS_PER_SEC);
			if (o->policy.max_gap_ns < o->policy.min_gap_ns)
				o->policy.max_gap_ns = o->policy.min_gap_ns;
			break;
		case O_NORENEW: o->renew = 0; break;
		case O_ICMP:
			if (snprintf(o->host, sizeof(o->host), "%s", optarg) >= (int)sizeof(o->host))
				usage_error("--icmp host name too long");
			o->icmp = 1;
			break;
		case O_DUR:
			if (strcmp(optarg, "normal") != 0 && strcmp(optarg, "full") != 0)
				usage_error("invalid --durability '%s' (normal or full)", optarg);
			o->durability_full = strcmp(optarg, "full") == 0;
			break;
		case 'i': o->interval_ns = opt_duration("-i interval", optarg, 10000, 3600ULL * NS_PER_SEC); break;
		case 'c': o->count = opt_u32("-c count", optarg, 1, UINT32_MAX); break;
		case 'w': o->deadline_ns = opt_duration("-w deadline", optarg, NS_PER_MS, 366ULL * 86400 * NS_PER_SEC); break;
		case 'W': o->timeout_ns = opt_duration("-W timeout", optarg, NS_PER_MS, 60ULL * NS_PER_SEC); break;
		case 's': o->size = (uint16_t)opt_u32("-s size", optarg, 16, 1472); size_set = 1; break;
		case 'q': if (o->out == OUT_LINES) o->out = OUT_QUIET; break;
		case 'v': verbose++; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fprintf(stderr, "Try 'pktmon-client --help'.\n"); exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	log_set_level(verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (!o->icmp && o->size < 112)
		usage_error("-s size must be at least 112 for STAMP probes");
	if (o->icmp && !size_set)
		o->size = 64;	/* as ping: 56 octets of data */
	check_required(o);
}

int
main(int argc, char **argv)
{
	struct client_opts o;

	log_init("pktmon-client", LOG_LVL_INFO);
	defaults(&o);
	parse_opts(argc, argv, &o);
	return client_run(&o);
}
