/*
 * pktmon-server: settings, set-up, privilege drop, and the event loop.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdnoreturn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "conf.h"
#include "conns.h"
#include "ev.h"
#include "fdlimit.h"
#include "log.h"
#include "metrics.h"
#include "openpeers.h"
#include "net.h"
#include "parse.h"
#include "pktmon_config.h"
#include "privsep.h"
#include "reflector.h"
#include "timeutil.h"
#include "tls.h"

#define EXIT_USAGE 2
#define EXIT_SETUP 3
#define EXPIRY_WARN_SEC (14 * 86400)

struct server_conf {
	char *cert, *key, *ca, *crl, *listen, *user, *config, *metrics;
	struct conf_list allow, stamp_allow;
	char *stamp_key_file;
	uint32_t udp_port, max_clients, max_per_identity, max_preauth, max_preauth_per_src;
	uint32_t max_sessions, max_size;
	int64_t min_interval, keepalive, handshake_timeout, session_idle;
	int64_t session_linger;
	int sandbox, test_impairment;
};

#define K(n, t, f, lo, hi, a, h) { n, t, offsetof(struct server_conf, f), lo, hi, a, h }
static const struct conf_key server_keys[] = {
	K("cert", CONF_STR, cert, 0, 0, "FILE", "server certificate (PEM, chain allowed)"),
	K("key", CONF_STR, key, 0, 0, "FILE", "its private key"),
	K("ca", CONF_STR, ca, 0, 0, "FILE", "CA client certificates must chain to (the only trust anchor)"),
	K("crl", CONF_STR, crl, 0, 0, "FILE", "certificate revocation list (PEM)"),
	K("allow", CONF_LIST, allow, 0, 0, "ID", "allowed client: certificate name or sha256:HEX (repeat)"),
	K("stamp-allow", CONF_LIST, stamp_allow, 0, 0, "PREFIX", "let plain STAMP senders from PREFIX use the reflector (repeat; off by default)"),
	K("stamp-key-file", CONF_STR, stamp_key_file, 0, 0, "FILE", "hex HMAC key: plain senders must use authenticated mode with it"),
	K("listen", CONF_STR, listen, 0, 0, "ADDR:PORT", "TCP control address; [v6]:port for IPv6"),
	K("udp-port", CONF_U32, udp_port, 1, 65535, "N", "UDP reflector port (default: the control port number)"),
	K("user", CONF_STR, user, 0, 0, "NAME", "user to run as after binding (default pktmon, else nobody)"),
	K("max-clients", CONF_U32, max_clients, 1, 100000, "N", "authenticated clients (default 4096)"),
	K("max-per-identity", CONF_U32, max_per_identity, 1, 100000, "N", "of those, with one client identity (default 4)"),
	K("max-preauth", CONF_U32, max_preauth, 1, 100000, "N", "connections not yet authenticated (default 256)"),
	K("max-preauth-per-source", CONF_U32, max_preauth_per_src, 1, 100000, "N", "of those, from one address (default 32)"),
	K("max-sessions", CONF_U32, max_sessions, 1, 16, "N", "probe sessions per client (default 4)"),
	K("min-interval", CONF_DURATION, min_interval, 10000, 3600000000000ULL, "DUR", "fastest probe interval granted (default 1ms)"),
	K("max-size", CONF_U32, max_size, 112, 9000, "N", "largest probe granted, octets (default 1472)"),
	K("keepalive", CONF_DURATION, keepalive, 100000000ULL, 3600000000000ULL, "DUR", "keepalive interval; 3 missed = dead peer (default 5s)"),
	K("handshake-timeout", CONF_DURATION, handshake_timeout, 100000000ULL, 600000000000ULL, "DUR", "deadline from TCP accept to HELLO (default 10s)"),
	K("session-idle", CONF_DURATION, session_idle, 10000000000ULL, 86400000000000ULL, "DUR", "close a client whose probe session got no probe for this long (default 15m)"),
	K("session-linger", CONF_DURATION, session_linger, 0, 86400000000000ULL, "DUR", "keep the probe sessions of a client whose connection ended answered this long (default 2m; 0 = no)"),
	K("metrics", CONF_STR, metrics, 0, 0, "HOST:PORT", "serve OpenMetrics at http://HOST:PORT/metrics"),
	K("sandbox", CONF_FLAG, sandbox, 0, 0, NULL, "drop root and apply seccomp (default; --sandbox=no disables)"),
	K("test-impairment", CONF_FLAG, test_impairment, 0, 0, NULL, "TEST ONLY: SIGUSR2 toggles dropping every probe of current sessions"),
};
#undef K
#define NKEYS (sizeof(server_keys) / sizeof(server_keys[0]))

struct server {
	struct server_conf o;
	int argc;
	char **argv;			/* kept: SIGHUP re-reads file and options */
	struct ev *ev;
	struct tls_ctx *tls;
	struct reflector *refl;
	struct conns *conns;
	struct server_limits lim;
	struct metrics *metrics;
	struct openpeers *open;
	int lfd, ufd, tfd, sfd;
	int impaired;
	int64_t expiry_checked;
};

static void
usage(void)
{
	printf("usage: pktmon-server --cert FILE --key FILE --ca FILE --listen ADDR:PORT [options]\n"
	    "       pktmon-server --config FILE [-n]\n\n");
	conf_usage(server_keys, NKEYS, stdout);
	printf("  %-28s %s\n  %-28s %s\n  %-28s %s\n  %-28s %s\n",
	    "--config FILE", "read settings from an INI file (same names as the options)",
	    "-n, --check", "check the settings and certificates, then exit",
	    "-v, --verbose", "more logging", "-h, --help", "this text");
	printf("\nSignals: SIGHUP reloads certificates, CA, CRL and allowlist; SIGUSR1 logs\n"
	    "counters; SIGTERM/SIGINT stop.\n"
	    "Exit codes: 0 stopped by a signal or check passed, 2 usage or settings,\n"
	    "3 set-up failed (certificates, bind, privilege drop, open files limit\n"
	    "below what max-clients and max-preauth need).\n");
}

static void
defaults(struct server_conf *o)
{
	memset(o, 0, sizeof(*o));
	o->max_clients = 4096;
	/* A client and a few connections it gave up on that the server has
	 * not yet seen end; not every slot for one certificate. */
	o->max_per_identity = 4;
	o->max_preauth = 256;
	o->max_preauth_per_src = 32;
	o->max_sessions = 4;
	o->min_interval = NS_PER_MS;
	o->max_size = 1472;
	o->keepalive = 5 * NS_PER_SEC;
	o->handshake_timeout = 10 * NS_PER_SEC;
	/* Above the renewal policy's default longest gap (10 min), so a
	 * client renewing through an outage is not cut off for it. */
	o->session_idle = 15 * 60 * NS_PER_SEC;
	/* Long enough for the client to notice a dead connection (three
	 * keepalives) and reconnect through its backoff a few times. */
	o->session_linger = 120 * NS_PER_SEC;
	o->sandbox = 1;
}

struct cli_flags {
	int check, verbose;
};

static void
extra_opt(int letter, void *arg)
{
	struct cli_flags *f = arg;

	if (letter == 'n')
		f->check = 1;
	else if (letter == 'v')
		f->verbose++;
	else if (letter == 'h') {
		usage();
		exit(0);
	}
}

/* The settings without a default, named when missing: "missing --key and --ca". */
static void
require_set(const struct server_conf *o)
{
	const struct { const char *name, *value; } req[] = {
		{ "cert", o->cert }, { "key", o->key }, { "ca", o->ca },
		{ "listen", o->listen },
	};
	const char *miss[4];
	char list[64] = "";
	size_t i, n = 0, len;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (req[i].value == NULL)
			miss[n++] = req[i].name;
	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s--%s",
		    i == 0 ? "" : i + 1 == n ? " and " : ", ", miss[i]);
	}
	usage_error("missing %s: cert, key, ca and listen must be set, as options "
	    "or in the --config file", list);
}

/* Config file first, then the command line over it. */
static void
parse_opts(int argc, char **argv, struct server_conf *o, struct cli_flags *f)
{
	const char *config = NULL;
	char err[512];

	if (conf_args(server_keys, NKEYS, o, argc, argv, NULL, 0, "nvh",
	    extra_opt, f, &config, err, sizeof(err)) != 0)
		usage_error("%s", err);
	o->config = (char *)config;
	require_set(o);
}

static void
limits_from(const struct server_conf *o, struct server_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->handshake_ns = o->handshake_timeout;
	lim->session_idle_ns = o->session_idle;
	lim->linger_ns = o->session_linger;
	lim->keepalive_ns = o->keepalive;
	lim->max_clients = o->max_clients;
	lim->max_per_identity = o->max_per_identity;
	lim->max_preauth = o->max_preauth;
	lim->max_preauth_per_src = o->max_preauth_per_src;
	lim->max_sessions = o->max_sessions;
	lim->min_interval_us = (uint32_t)(o->min_interval / NS_PER_US);
	lim->max_size = (uint16_t)o->max_size;
	lim->allow = o->allow.v;
	lim->nallow = o->allow.n;
}

static void
warn_expiry(const char *path, const struct tls_ctx *tls)
{
	int64_t left = tls_ctx_cert_expiry(tls);

	if (left < 0)
		log_warnx("certificate %s has EXPIRED", path);
	else if (left < EXPIRY_WARN_SEC)
		log_warnx("certificate %s expires in %lld days", path,
		    (long long)(left / 86400));
}

static int
load_tls(const struct server_conf *o, struct tls_ctx **out)
{
	struct tls_files f = { o->cert, o->key, o->ca, o->crl };
	char err[512];

	if (tls_ctx_new(TLS_ROLE_SERVER, &f, out, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	warn_expiry(o->cert, *out);
	return 0;
}

static void
on_udp(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;

	(void)ev;
	(void)fd;
	(void)events;
	refl_on_readable(s->refl);
}

static void warn_expiry(const char *path, const struct tls_ctx *tls);

static void
on_tick(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;
	int64_t now = mono_ns();

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	conns_tick(s->conns, now);
	/* A long-running server says so every day as its certificate nears expiry. */
	if (now - s->expiry_checked > 86400 * NS_PER_SEC) {
		s->expiry_checked = now;
		warn_expiry(s->o.cert, s->tls);
	}
}

static void
log_stats(struct server *s)
{
	const struct refl_stats *r = refl_stats(s->refl);
	const struct conn_stats *c = conns_stats(s->conns);
	const struct openpeers_stats *os = s->open ? openpeers_stats(s->open) : NULL;

	log_warnx("stats: clients=%u sessions=%u reflected=%llu bad_length=%llu "
	    "unknown_ssid=%llu bad_hmac=%llu wrong_source=%llu replayed=%llu "
	    "rate_limited=%llu accepted=%llu handshake_failed=%llu "
	    "handshake_timeout=%llu refused_preauth=%llu refused_clients=%llu "
	    "refused_identity=%llu refused_identity_cap=%llu refused_limit=%llu "
	    "protocol_errors=%llu "
	    "session_idle=%llu preauth_evicted=%llu host_drops=%llu "
	    "plain_reflected=%llu plain_dropped=%llu lingering=%u lingered=%llu "
	    "linger_closed=%llu linger_expired=%llu linger_dropped=%llu "
	    "accept_paused=%llu",
	    conns_count(s->conns), refl_count(s->refl),
	    (unsigned long long)r->reflected, (unsigned long long)r->bad_length,
	    (unsigned long long)r->unknown_ssid, (unsigned long long)r->bad_hmac,
	    (unsigned long long)r->wrong_source, (unsigned long long)r->replayed,
	    (unsigned long long)r->rate_limited, (unsigned long long)c->accepted,
	    (unsigned long long)c->handshake_failed,
	    (unsigned long long)c->handshake_timeout,
	    (unsigned long long)c->refused_preauth,
	    (unsigned long long)c->refused_clients,
	    (unsigned long long)c->refused_identity,
	    (unsigned long long)c->refused_identity_cap,
	    (unsigned long long)c->refused_limit,
	    (unsigned long long)c->protocol_errors,
	    (unsigned long long)c->session_idle,
	    (unsigned long long)c->preauth_evicted,
	    (unsigned long long)r->host_drops,
	    (unsigned long long)(os ? os->reflected : 0),
	    (unsigned long long)(os ? os->rate_limited + os->bad_hmac +
	    os->malformed + os->table_full : 0),
	    conns_lingering(s->conns), (unsigned long long)c->lingered,
	    (unsigned long long)c->linger_closed,
	    (unsigned long long)c->linger_expired,
	    (unsigned long long)c->linger_dropped,
	    (unsigned long long)c->accept_paused);
}

static void
family_u64(struct mbuf *b, const char *name, enum metrics_type type,
    const char *help, const char *label, const char *const *values,
    const uint64_t *v, size_t n)
{
	const char *suffix = type == METRICS_COUNTER ? "_total" : "";
	size_t i;

	mbuf_family(b, name, type, help);
	for (i = 0; i < n; i++)
		if (label != NULL)
			mbuf_printf(b, "%s%s{%s=\"%s\"} %llu\n", name, suffix, label,
			    values[i], (unsigned long long)v[i]);
		else
			mbuf_printf(b, "%s%s %llu\n", name, suffix,
			    (unsigned long long)v[i]);
}

static void
render_metrics(void *arg, struct mbuf *b)
{
	static const char *const drop_why[] = { "bad_length", "unknown_ssid",
	    "bad_hmac", "wrong_source", "replayed", "rate_limited", "impaired" };
	static const char *const refuse_why[] = { "preauth_cap", "client_cap",
	    "identity", "handshake_failed", "handshake_timeout", "protocol_error",
	    "session_limit", "session_idle", "identity_cap" };
	struct server *s = arg;
	const struct refl_stats *r = refl_stats(s->refl);
	const struct conn_stats *c = conns_stats(s->conns);
	uint64_t drops[] = { r->bad_length, r->unknown_ssid, r->bad_hmac,
	    r->wrong_source, r->replayed, r->rate_limited, r->impaired };
	uint64_t refused[] = { c->refused_preauth, c->refused_clients,
	    c->refused_identity, c->handshake_failed, c->handshake_timeout,
	    c->protocol_errors, c->refused_limit, c->session_idle,
	    c->refused_identity_cap };
	static const char *const open_why[] = { "reflected", "rate_limited",
	    "bad_hmac", "malformed", "table_full" };
	const struct openpeers_stats *os = s->open ? openpeers_stats(s->open) : NULL;
	uint64_t open_n[] = { os ? os->reflected : 0, os ? os->rate_limited : 0,
	    os ? os->bad_hmac : 0, os ? os->malformed : 0, os ? os->table_full : 0 };
	static const char *const linger_end[] = { "closed", "expired", "dropped" };
	uint64_t linger_n[] = { c->linger_closed, c->linger_expired, c->linger_dropped };
	uint64_t clients = conns_count(s->conns), sessions = refl_count(s->refl);
	uint64_t lingering = conns_lingering(s->conns);

	family_u64(b, "pktmon_server_clients", METRICS_GAUGE, "Control connections open.",
	    NULL, NULL, &clients, 1);
	family_u64(b, "pktmon_server_sessions", METRICS_GAUGE, "Probe sessions registered.",
	    NULL, NULL, &sessions, 1);
	family_u64(b, "pktmon_server_sessions_opened", METRICS_COUNTER,
	    "Probe sessions granted.", NULL, NULL, &c->sessions_opened, 1);
	family_u64(b, "pktmon_server_sessions_lingering", METRICS_GAUGE,
	    "Probe sessions still answered after their connection ended.",
	    NULL, NULL, &lingering, 1);
	family_u64(b, "pktmon_server_sessions_lingered", METRICS_COUNTER,
	    "Probe sessions kept after their connection ended.", NULL, NULL,
	    &c->lingered, 1);
	family_u64(b, "pktmon_server_sessions_linger_ended", METRICS_COUNTER,
	    "Lingering probe sessions removed: closed by the client's new "
	    "connection, expired (linger or idle time), or dropped for the "
	    "identity's newer ones.", "how", linger_end, linger_n,
	    sizeof(linger_n) / sizeof(linger_n[0]));
	family_u64(b, "pktmon_server_reflected", METRICS_COUNTER, "Probes answered.",
	    NULL, NULL, &r->reflected, 1);
	family_u64(b, "pktmon_server_probes_dropped", METRICS_COUNTER,
	    "Probe packets dropped in silence, by reason.", "reason", drop_why,
	    drops, sizeof(drops) / sizeof(drops[0]));
	family_u64(b, "pktmon_server_connections_refused", METRICS_COUNTER,
	    "Control connections refused or closed before or at authentication.",
	    "reason", refuse_why, refused, sizeof(refused) / sizeof(refused[0]));
	family_u64(b, "pktmon_server_connections_accepted", METRICS_COUNTER,
	    "TCP connections accepted.", NULL, NULL, &c->accepted, 1);
	family_u64(b, "pktmon_server_accept_paused", METRICS_COUNTER,
	    "Times accepting paused for 100 ms, accept having failed (out of "
	    "file descriptors).", NULL, NULL, &c->accept_paused, 1);
	family_u64(b, "pktmon_server_preauth_evicted", METRICS_COUNTER,
	    "Unauthenticated connections closed, all pre-auth slots being taken, "
	    "to admit one from a source holding fewer.", NULL, NULL,
	    &c->preauth_evicted, 1);
	family_u64(b, "pktmon_server_host_drops", METRICS_COUNTER,
	    "Probes the reflector's socket dropped, its buffer full (SO_RXQ_OVFL).",
	    NULL, NULL, &r->host_drops, 1);
	family_u64(b, "pktmon_server_plain_probes", METRICS_COUNTER,
	    "Plain STAMP packets from --stamp-allow networks, by outcome.",
	    "outcome", open_why, open_n, sizeof(open_n) / sizeof(open_n[0]));
}

static void setup_open(struct server *s, struct server_conf *o);

/*
 * SIGHUP: the config file and the command line are read again, as at start;
 * certificates, CA, CRL, allowlist and plain-STAMP settings take effect for
 * new connections and packets. Other changes need a restart.
 */
static void
reload(struct server *s)
{
	struct server_conf n;
	struct tls_ctx *tls;
	const char *config = NULL;
	char err[512] = "";

	defaults(&n);
	if (conf_args(server_keys, NKEYS, &n, s->argc, s->argv, NULL, 0, "nvh",
	    NULL, NULL, &config, err, sizeof(err)) != 0) {
		log_warnx("SIGHUP: %s; keeping the running settings", err);
		conf_free(server_keys, NKEYS, &n);
		return;
	}
	n.config = (char *)config;
	if (load_tls(&n, &tls) != 0) {
		log_warnx("SIGHUP: keeping the running settings (certificate, key, "
		    "CA and CRL must be readable by uid %u)", (unsigned)getuid());
		conf_free(server_keys, NKEYS, &n);
		return;
	}
	log_info("SIGHUP: reloaded certificates, CA, CRL, allowlist%s",
	    config ? " and the config file" : "");
	conns_reload(s->conns, tls, n.allow.v, n.allow.n);
	tls_ctx_free(s->tls);
	s->tls = tls;
	s->expiry_checked = mono_ns();	/* load_tls just warned */
	setup_open(s, &n);
	conf_free(server_keys, NKEYS, &s->o);
	s->o = n;
}

static void
on_signal(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;
	int sig;

	(void)events;
	while ((sig = ev_signal_read(fd)) != 0) {
		if (sig == SIGUSR1)
			log_stats(s);
		else if (sig == SIGHUP)
			reload(s);
		else if (sig == SIGUSR2 && s->o.test_impairment) {
			s->impaired = !s->impaired;
			refl_impair_all(s->refl, s->impaired);
			log_warnx("TEST IMPAIRMENT %s: dropping every probe of the "
			    "%u current sessions", s->impaired ? "ON" : "OFF",
			    refl_count(s->refl));
		} else if (sig == SIGTERM || sig == SIGINT)
			ev_stop(ev);
	}
}

/*
 * A bind that failed. Below net.ipv4.ip_unprivileged_port_start (1024 by
 * default) the kernel refuses with EACCES, which alone reads as a
 * permissions problem with some file.
 */
static noreturn void
bind_failed(const char *what, uint16_t port)
{
	if (errno == EACCES && port < 1024)
		fatalx(EXIT_SETUP, "cannot bind %s: binding port %u needs root or "
		    "CAP_NET_BIND_SERVICE", what, (unsigned)port);
	fatal(EXIT_SETUP, "cannot bind %s", what);
}

static void
setup_sockets(struct server *s)
{
	char host[256], shown[NET_ADDRSTRLEN], what[300];
	struct net_addr a;
	uint16_t port;

	if (parse_hostport(s->o.listen, host, sizeof(host), 0, &port) != 0)
		usage_error("invalid listen address '%s' (want ADDR:PORT)", s->o.listen);
	if (net_resolve(host, port, SOCK_STREAM, &a) != 0)
		fatalx(EXIT_SETUP, "cannot resolve listen address %s", host);
	if ((s->lfd = net_tcp_listen(&a)) < 0) {
		snprintf(what, sizeof(what), "TCP %s", s->o.listen);
		bind_failed(what, port);
	}
	s->lim.udp_port = (uint16_t)(s->o.udp_port ? s->o.udp_port : port);
	net_addr_set_port(&a, s->lim.udp_port);
	net_addr_str(&a, shown, sizeof(shown));
	if ((s->ufd = net_udp_open(a.ss.ss_family, &a, NULL)) < 0) {
		snprintf(what, sizeof(what), "UDP %s", shown);
		bind_failed(what, s->lim.udp_port);
	}
	log_info("listening on tcp %s, udp reflector %s", s->o.listen, shown);
}

static void
setup_loop(struct server *s)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP };

	if ((s->ev = ev_new()) == NULL || (s->refl = refl_new(s->ufd, s->lim.max_size)) == NULL ||
	    (s->conns = conns_new(s->ev, s->tls, s->refl, &s->lim)) == NULL)
		fatalx(EXIT_SETUP, "out of memory");
	if ((s->tfd = ev_timer_new()) < 0 || ev_timer_every(s->tfd, 250 * NS_PER_MS) != 0 ||
	    (s->sfd = ev_signal_new(sigs, 5)) < 0)
		fatal(EXIT_SETUP, "timer/signal set-up");
	if (conns_listen(s->conns, s->lfd) != 0 ||
	    ev_add(s->ev, s->ufd, EPOLLIN, on_udp, s) != 0 ||
	    ev_add(s->ev, s->tfd, EPOLLIN, on_tick, s) != 0 ||
	    ev_add(s->ev, s->sfd, EPOLLIN, on_signal, s) != 0)
		fatal(EXIT_SETUP, "event loop set-up");
}

/*
 * --stamp-allow and --stamp-key-file into an open reflector, or NULL when
 * none is wanted. err says what is wrong; *bad is set on a settings error.
 */
static struct openpeers *
make_open(const struct server_conf *o, uint32_t min_interval_us, int *bad,
    char *err, size_t errlen)
{
	struct openpeers *op = NULL;
	struct net_prefix *pfx;
	struct stamp_key key;
	size_t i;

	*bad = 0;
	if (o->stamp_allow.n == 0)
		return NULL;
	if ((pfx = calloc(o->stamp_allow.n, sizeof(*pfx))) == NULL)
		fatalx(EXIT_SETUP, "out of memory");
	for (i = 0; i < o->stamp_allow.n && !*bad; i++)
		if (net_prefix_parse(o->stamp_allow.v[i], &pfx[i]) != 0) {
			snprintf(err, errlen, "invalid stamp-allow '%s' (want "
			    "ADDR/BITS)", o->stamp_allow.v[i]);
			*bad = 1;
		}
	memset(&key, 0, sizeof(key));
	if (!*bad && o->stamp_key_file &&
	    stamp_key_load(o->stamp_key_file, &key, err, errlen) != 0)
		*bad = 1;
	if (!*bad && (op = openpeers_new(pfx, o->stamp_allow.n,
	    o->stamp_key_file ? &key : NULL, min_interval_us)) == NULL)
		fatalx(EXIT_SETUP, "out of memory");
	stamp_key_wipe(&key);
	free(pfx);
	return op;
}

/* --stamp-allow: the open reflector for plain STAMP senders. */
static void
setup_open(struct server *s, struct server_conf *o)
{
	struct openpeers *op;
	char err[256];
	int bad;

	op = make_open(o, s->lim.min_interval_us, &bad, err, sizeof(err));
	if (bad) {
		log_warnx("%s; plain STAMP settings unchanged", err);
		return;
	}
	refl_set_open(s->refl, op);
	openpeers_free(s->open);
	s->open = op;
	if (op != NULL)
		log_info("plain STAMP senders allowed from %zu prefix(es), %s mode",
		    o->stamp_allow.n, o->stamp_key_file ? "authenticated" :
		    "unauthenticated");
}

/* Enough descriptors for every connection the caps admit, or exit 3. */
static void
setup_fd_limit(const struct server_conf *o)
{
	uint64_t need = fdlimit_needed(o->max_clients, o->max_preauth,
	    o->metrics != NULL), limit;
	char err[256];
	int raised;

	if (fdlimit_ensure(need, &limit, &raised, err, sizeof(err)) != 0)
		fatalx(EXIT_SETUP, "%s", err);
	if (raised)
		log_info("open files limit raised to %llu (the settings need up to "
		    "%llu)", (unsigned long long)limit, (unsigned long long)need);
}

static void
notify_ready(void)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
}

/* Give up root, then every syscall the loop does not need. */
static void
setup_privileges(struct server *s)
{
	char err[256];
	int r;

	if (!s->o.sandbox) {
		log_warnx("sandbox disabled: running with the privileges started with");
		notify_ready();
		return;
	}
	if (privsep_drop(s->o.user, err, sizeof(err)) != 0)
		fatalx(EXIT_SETUP, "%s", err);
	notify_ready();	/* the notify socket is opened before the filter forbids it */
	if ((r = privsep_sandbox(err, sizeof(err))) != 0 && r != PM_E_NOTFOUND)
		fatalx(EXIT_SETUP, "%s", err);
	log_info("running as uid %u%s", (unsigned)getuid(),
	    r == 0 ? " with a seccomp allowlist" : " (no seccomp in this build)");
}

int
main(int argc, char **argv)
{
	struct server s;
	struct cli_flags f = { 0, 0 };

	memset(&s, 0, sizeof(s));
	defaults(&s.o);
	log_init("pktmon-server", LOG_LVL_INFO);
	s.argc = argc;
	s.argv = argv;
	parse_opts(argc, argv, &s.o, &f);
	log_set_level(f.verbose >= 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	setup_fd_limit(&s.o);
	if (load_tls(&s.o, &s.tls) != 0)
		exit(EXIT_SETUP);
	/* The daily repeat counts from this warning, not from boot. */
	s.expiry_checked = mono_ns();
	{
		char err[256];
		int bad;

		openpeers_free(make_open(&s.o, 1000, &bad, err, sizeof(err)));
		if (bad)
			usage_error("%s", err);
	}
	if (f.check) {
		printf("configuration OK\n");
		tls_ctx_free(s.tls);
		conf_free(server_keys, NKEYS, &s.o);
		return 0;
	}
	limits_from(&s.o, &s.lim);
	setup_sockets(&s);
	setup_loop(&s);
	setup_open(&s, &s.o);
	if (s.o.metrics != NULL) {
		char err[256];

		if (metrics_start(s.ev, s.o.metrics, render_metrics, &s, &s.metrics,
		    err, sizeof(err)) != 0)
			fatalx(EXIT_SETUP, "%s", err);
	}
	if (s.o.test_impairment)
		log_warnx("TEST-ONLY impairment switch enabled (SIGUSR2); "
		    "never use this on a real monitor");
	setup_privileges(&s);
	while (!ev_stopped(s.ev))
		if (ev_run_once(s.ev, -1) != 0)
			fatal(1, "event loop");
	log_stats(&s);
	metrics_stop(s.ev, s.metrics);
	conns_free(s.conns);
	refl_free(s.refl);
	openpeers_free(s.open);
	tls_ctx_free(s.tls);
	ev_free(s.ev);
	conf_free(server_keys, NKEYS, &s.o);
	log_info("stopped");
	return 0;
}
