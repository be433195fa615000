/*
 * pktmon-client: settings (INI file and options, one table) to struct
 * client_opts, then the engine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"

struct client_conf {
	char *cert, *key, *ca, *server, *icmp, *stamp, *stamp_key_file, *db, *keylog, *durability;
	char *on_loss, *metrics, *interface, *source;
	int64_t interval, deadline, timeout, renew_gap, renew_gap_max, status;
	int64_t on_loss_timeout;
	uint32_t count, size, renew_after, renew_window, renew_loss, renew_max, dscp;
	uint32_t ttl;
	int json, renew, quiet, verbose, poisson, realtime, dscp_set;
	int events, timestamps, ipv4, ipv6, json_lines;
};

#define S 1000000000ULL
#define K(n, t, f, lo, hi, a, h) { n, t, offsetof(struct client_conf, f), lo, hi, a, h }
static const struct conf_key client_keys[] = {
	K("cert", CONF_STR, cert, 0, 0, "FILE", "client certificate (PEM)"),
	K("key", CONF_STR, key, 0, 0, "FILE", "its private key"),
	K("ca", CONF_STR, ca, 0, 0, "FILE", "CA the server certificate must chain to (the only trust anchor)"),
	K("server", CONF_STR, server, 0, 1, "HOST:PORT", "pktmon-server control address; HOST must be in its certificate"),
	K("icmp", CONF_STR, icmp, 0, 1, "HOST", "watch any host with ICMP echo, as ping does (no server; no\n"
	    "                               loss direction, no renewal; no history without --db)"),
	K("stamp", CONF_STR, stamp, 0, 1, "HOST:PORT", "probe any RFC 8762 STAMP reflector (no pktmon server; 44-octet\n"
	    "                               unauthenticated mode unless --stamp-key-file)"),
	K("ipv4", CONF_FLAG, ipv4, 0, 0, NULL, "-4: resolve the target to IPv4 addresses only"),
	K("ipv6", CONF_FLAG, ipv6, 0, 0, NULL, "-6: resolve the target to IPv6 addresses only"),
	K("interface", CONF_STR, interface, 0, 0, "IFACE|ADDR", "-I: send from this interface (SO_BINDTODEVICE) or\n"
	    "                               source address, as ping -I (also the control connection)"),
	K("source", CONF_STR, source, 0, 0, "ADDR", "source address of the probes and the control connection"),
	K("stamp-key-file", CONF_STR, stamp_key_file, 0, 0, "FILE", "hex HMAC key for --stamp: authenticated 112-octet mode"),
	K("db", CONF_STR, db, 0, 0, "FILE", "SQLite history (created if missing; optional with --icmp)"),
	K("interval", CONF_DURATION, interval, 10000, 3600 * S, "DUR", "-i: probe interval (default 1s; 0.01, 10ms ...)"),
	K("count", CONF_U32, count, 1, UINT32_MAX, "N", "-c: stop after N probes"),
	K("deadline", CONF_DURATION, deadline, 1000000, 366 * 86400 * S, "DUR", "-w: stop after this long"),
	K("timeout", CONF_DURATION, timeout, 1000000, 60 * S, "DUR", "-W: loss timeout (default 1s)"),
	K("size", CONF_U32, size, 16, 8972, "N", "-s: probe size, octets (STAMP 112.., default 112; ICMP 16.., default 64;\n"
	    "                               at most the path MTU less headers: never fragmented)"),
	K("poisson", CONF_FLAG, poisson, 0, 0, NULL, "exponential (Poisson) spacing with the interval as mean"),
	K("realtime", CONF_FLAG, realtime, 0, 0, NULL, "run the probe thread at SCHED_FIFO priority 1, so a busy CPU\n"
	    "                               does not make it late (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO)"),
	K("dscp", CONF_U32, dscp, 0, 63, "N", "DSCP of the probes (0..63; the server replies with the same)"),
	K("ttl", CONF_U32, ttl, 1, 255, "N", "IPv4 TTL / IPv6 hop limit of the probes (1..255; default: the\n"
	    "                               system's, usually 64)"),
	K("json", CONF_FLAG, json, 0, 0, NULL, "print one JSON object at exit instead of lines"),
	K("status", CONF_DURATION, status, 100000000ULL, 86400 * S, "DUR", "print a one-line status this often (on stderr)"),
	K("renew", CONF_FLAG, renew, 0, 0, NULL, "renew sessions on loss (default; --renew=no disables)"),
	K("renew-after", CONF_U32, renew_after, 0, 1000000, "N", "renew after N consecutive losses (default 3; 0 off)"),
	K("renew-window", CONF_U32, renew_window, 0, 1024, "N", "window of N probes for the loss rate (default 20)"),
	K("renew-loss", CONF_U32, renew_loss, 1, 100, "PCT", "renew when loss in the window reaches PCT percent (default 10)"),
	K("renew-gap", CONF_DURATION, renew_gap, 0, 86400 * S, "DUR", "least time between renewals; doubles while loss lasts (default 10s)"),
	K("renew-gap-max", CONF_DURATION, renew_gap_max, 0, 86400 * S, "DUR", "the doubling gap stops growing here (default 10m)"),
	K("renew-max", CONF_U32, renew_max, 1, 64, "N", "at most N renewals in any hour, 1 to 64 (default 10)"),
	K("metrics", CONF_STR, metrics, 0, 0, "HOST:PORT", "serve OpenMetrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9862)"),
	K("on-loss", CONF_STR, on_loss, 0, 0, "CMD", "run CMD (sh -c) when a loss episode starts and ends, one\n"
	    "                               event at a time, in order (PKTMON_* variables)"),
	K("on-loss-timeout", CONF_DURATION, on_loss_timeout, 100000000ULL, 3600 * S, "DUR", "kill an --on-loss command still running after DUR (default 30s)"),
	K("json-lines", CONF_FLAG, json_lines, 0, 0, NULL, "print one JSON object per probe slot as its fate is settled\n"
	    "                               (NDJSON, for jq -c and log shippers), then the --json totals"),
	K("events", CONF_FLAG, events, 0, 0, NULL, "print only events (episodes, renewals, control channel), one\n"
	    "                               time-stamped line each, and the summary (for the journal)"),
	K("timestamps", CONF_FLAG, timestamps, 0, 0, NULL, "-D: start every line with its time (ISO 8601, UTC)"),
	K("durability", CONF_STR, durability, 0, 0, "MODE", "normal (survives a crash, default) or full (also power loss)"),
	K("keylog", CONF_STR, keylog, 0, 0, "FILE", "append each session's STAMP key (debugging, like SSLKEYLOGFILE)"),
};
#undef K
#define NKEYS (sizeof(client_keys) / sizeof(client_keys[0]))

static const struct conf_alias aliases[] = {
	{ 'i', "interval" }, { 'c', "count" }, { 'w', "deadline" },
	{ 'W', "timeout" }, { 's', "size" }, { '4', "ipv4" }, { '6', "ipv6" },
	{ 'I', "interface" },
};

static void
usage(void)
{
	printf("usage: pktmon-client --cert FILE --key FILE --ca FILE --server HOST:PORT --db FILE\n"
	    "                     [-i DUR] [-c COUNT] [-w DUR] [-W DUR] [-q] [--json]\n"
	    "       pktmon-client --icmp HOST [--db FILE] [options]\n"
	    "       pktmon-client --stamp HOST[:PORT] --db FILE [options]\n"
	    "       pktmon-client --config FILE [options]\n\n");
	conf_usage(client_keys, NKEYS, stdout);
	printf("  %-28s %s\n  %-28s %s\n  %-28s %s\n  %-28s %s\n  %-28s %s\n",
	    "--config FILE", "read settings from an INI file (same names as the options)",
	    "-q, --quiet", "print only the summary", "-D", "same as --timestamps",
	    "-v, --verbose", "more logging", "-h, --help", "this text");
	printf("\nDurations take units: 250ms, 10s, 5m, 1h; a bare number is seconds.\n"
	    "Loss counts probe slots: a slot whose probe could not be sent (control\n"
	    "channel down, no session, send error) is lost too.\n"
	    "Exit codes: 0 every probe answered, 1 loss seen, 2 usage or configuration\n"
	    "error, 3 could not connect or authenticate, 4 history could not be opened\n"
	    "or written. SIGINT/SIGTERM stop cleanly (a second one stops at once).\n");
}

static void
extra_opt(int letter, void *arg)
{
	struct client_conf *c = arg;

	if (letter == 'q')
		c->quiet = 1;
	else if (letter == 'D')
		c->timestamps = 1;
	else if (letter == 'v')
		c->verbose++;
	else if (letter == 'h') {
		usage();
		exit(0);
	}
}

static void
defaults(struct client_conf *c)
{
	struct policy_cfg p;

	memset(c, 0, sizeof(*c));
	policy_defaults(&p);
	c->interval = NS_PER_SEC;
	c->timeout = NS_PER_SEC;
	c->on_loss_timeout = 30 * NS_PER_SEC;
	c->renew = 1;
	c->renew_after = p.consecutive;
	c->renew_window = p.window;
	c->renew_loss = p.window_pct;
	c->renew_gap = p.min_gap_ns;
	c->renew_gap_max = p.max_gap_ns;
	c->renew_max = p.max_per_period;
}

/* HOST:PORT of --server or --stamp into o->host and o->port. */
static void
to_opts_hostport(const char *opt, const char *s, uint16_t defport,
    struct client_opts *o)
{
	if (parse_hostport(s, o->host, sizeof(o->host), defport, &o->port) != 0)
		usage_error("invalid %s '%s': %s", opt, s,
		    parse_hostport_why(s, sizeof(o->host), defport));
}

static char
ipv(int family)
{
	return family == AF_INET6 ? '6' : '4';
}

/* -I IFACE|ADDR and --source ADDR into o->from's interface and address. */
static void
to_opts_source(const struct client_conf *c, struct client_opts *o)
{
	struct net_addr a;

	if (c->interface != NULL && net_addr_parse(c->interface, &a) == 0) {
		if (c->source != NULL)
			usage_error("-I %s and --source %s: give one source address",
			    c->interface, c->source);
		o->from.src = a;
	} else if (c->interface != NULL) {
		if (!net_ifname_exists(c->interface))
			usage_error("-I %s: no such interface, nor an IP address",
			    c->interface);
		snprintf(o->from.ifname, sizeof(o->from.ifname), "%s", c->interface);
	}
	if (c->source != NULL && net_addr_parse(c->source, &o->from.src) != 0)
		usage_error("--source %s: not an IP address", c->source);
}

/*
 * -4/-6, or the source address's family, is the one names resolve to; a
 * target address of the other family is refused.
 */
static void
to_opts_family(const struct client_conf *c, struct client_opts *o)
{
	int flag = c->ipv4 ? AF_INET : c->ipv6 ? AF_INET6 : AF_UNSPEC;
	int src = o->from.src.len > 0 ? o->from.src.ss.ss_family : AF_UNSPEC;
	char srcname[NET_ADDRSTRLEN];
	struct net_addr a;

	if (c->ipv4 && c->ipv6)
		usage_error("-4 and -6 exclude each other");
	net_addr_host(&o->from.src, srcname, sizeof(srcname));
	if (flag != AF_UNSPEC && src != AF_UNSPEC && flag != src)
		usage_error("-%c: the source address %s is an IPv%c address",
		    ipv(flag), srcname, ipv(src));
	o->from.family = flag != AF_UNSPEC ? flag : src;
	if (o->from.family != AF_UNSPEC && net_addr_parse(o->host, &a) == 0 &&
	    a.ss.ss_family != o->from.family) {
		if (flag != AF_UNSPEC)
			usage_error("-%c: %s is an IPv%c address", ipv(flag),
			    o->host, ipv(a.ss.ss_family));
		usage_error("the source address %s is an IPv%c address, the "
		    "target %s an IPv%c one", srcname, ipv(src), o->host,
		    ipv(a.ss.ss_family));
	}
}

static void
to_opts_plain(const struct client_conf *c, struct client_opts *o)
{
	o->plain = 1;
	to_opts_hostport("--stamp", c->stamp, 862, o);
	if (c->stamp_key_file != NULL) {
		char err[256];

		if (stamp_key_load(c->stamp_key_file, &o->stamp_key, err,
		    sizeof(err)) != 0)
			usage_error("--stamp-key-file: %s", err);
		o->have_stamp_key = 1;
	}
	o->size = (uint16_t)(c->size ? c->size : o->have_stamp_key ? 112 : 44);
	if (o->size < (o->have_stamp_key ? 112 : 44))
		usage_error("--size %u is below the STAMP base packet", o->size);
}

static void
to_opts_target(const struct client_conf *c, struct client_opts *o)
{
	const char *target = c->icmp ? c->icmp : c->stamp ? c->stamp : c->server;

	if (!!c->icmp + !!c->server + !!c->stamp > 1)
		usage_error("%s and %s: one target per run", c->server ? "--server" :
		    "--icmp", c->stamp ? "--stamp" : "--icmp");
	if (target == NULL)
		usage_error("--server HOST:PORT (or --icmp HOST, --stamp HOST:PORT) is required");
	/* ICMP, as ping, may be run for a look without keeping anything. */
	if (c->db == NULL && c->icmp == NULL)
		usage_error("--db FILE is required with %s (only --icmp runs "
		    "without a history)", c->server ? "--server" : "--stamp");
	o->server = target;
	o->icmp = c->icmp != NULL;
	if (c->stamp != NULL) {
		to_opts_plain(c, o);
		return;
	}
	if (o->icmp) {
		if (snprintf(o->host, sizeof(o->host), "%s", c->icmp) >= (int)sizeof(o->host))
			usage_error("--icmp host name too long");
		o->size = (uint16_t)(c->size ? c->size : 64);	/* as ping: 56 data */
		return;
	}
	if (!c->cert || !c->key || !c->ca)
		usage_error("--cert, --key and --ca are required with --server");
	to_opts_hostport("--server", c->server, 0, o);
	o->size = (uint16_t)(c->size ? c->size : 112);
	if (o->size < 112)
		usage_error("--size %u is below the 112 octets of an authenticated "
		    "STAMP probe", o->size);
}

static void
to_opts(const struct client_conf *c, struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	to_opts_target(c, o);
	to_opts_source(c, o);
	to_opts_family(c, o);
	o->from.ttl = (int)c->ttl;
	o->cert = c->cert;
	o->key = c->key;
	o->ca = c->ca;
	o->db = c->db;
	o->keylog = c->keylog;
	o->on_loss = c->on_loss;
	o->hook_limit_ns = c->on_loss_timeout;
	o->timestamps = c->timestamps;
	o->metrics = c->metrics;
	o->interval_ns = c->interval;
	o->poisson = c->poisson;
	o->realtime = c->realtime;
	o->dscp = c->dscp_set ? (int)c->dscp : -1;
	o->timeout_ns = c->timeout;
	o->deadline_ns = c->deadline;
	o->status_ns = c->status;
	o->count = c->count;
	o->out = c->json_lines ? OUT_JSON_LINES : c->json ? OUT_JSON : c->quiet ?
	    OUT_QUIET : c->events ? OUT_EVENTS : OUT_LINES;
	o->renew = c->renew;
	policy_defaults(&o->policy);
	o->policy.consecutive = c->renew_after;
	o->policy.window = c->renew_window;
	o->policy.window_pct = c->renew_loss;
	o->policy.min_gap_ns = c->renew_gap;
	o->policy.max_gap_ns = c->renew_gap_max > c->renew_gap ?
	    c->renew_gap_max : c->renew_gap;
	o->policy.max_per_period = c->renew_max;
	if (c->durability && strcmp(c->durability, "normal") != 0 &&
	    strcmp(c->durability, "full") != 0)
		usage_error("invalid --durability '%s' (normal or full)", c->durability);
	o->durability_full = c->durability && strcmp(c->durability, "full") == 0;
}

int
main(int argc, char **argv)
{
	struct client_conf c;
	struct client_opts o;
	const char *config = NULL;
	char err[512];
	int r;

	log_init("pktmon-client", LOG_LVL_INFO);
	defaults(&c);
	c.dscp = UINT32_MAX;	/* unset; the table's range check still applies */
	r = conf_args(client_keys, NKEYS, &c, argc, argv, aliases,
	    sizeof(aliases) / sizeof(aliases[0]), "qvhD", extra_opt, &c, &config,
	    err, sizeof(err));
	/* The targets are the only settings taken once (hi 1 in the table). */
	if (r == PM_E_LIMIT)
		usage_error("%s: one target per run", err);
	if (r != 0)
		usage_error("%s", err);
	log_set_level(c.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	c.dscp_set = c.dscp != UINT32_MAX;
	to_opts(&c, &o);
	r = client_run(&o);
	conf_free(client_keys, NKEYS, &c);
	return r;
}
