/*
 * pktmon-server: options, set-up, and the event loop.
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conns.h"
#include "ev.h"
#include "log.h"
#include "net.h"
#include "parse.h"
#include "pktmon_config.h"
#include "reflector.h"
#include "timeutil.h"
#include "tls.h"

#define EXIT_USAGE 2
#define EXIT_SETUP 3

struct server_opts {
	const char *cert, *key, *ca, *listen;
	uint16_t udp_port;
	int verbose;
	int test_impairment;
	struct server_limits lim;
};

struct server {
	struct server_opts o;
	struct ev *ev;
	struct tls_ctx *tls;
	struct reflector *refl;
	struct conns *conns;
	int lfd, ufd, tfd, sfd;
	int impaired;
};

static const char usage_text[] =
"usage: pktmon-server --cert FILE --key FILE --ca FILE --listen ADDR:PORT [options]\n"
"\n"
"  --cert FILE          server certificate (PEM, chain allowed)\n"
"  --key FILE           its private key\n"
"  --ca FILE            CA that client certificates must chain to (only trust anchor)\n"
"  --listen ADDR:PORT   TCP control address; [v6]:port for IPv6\n"
"  --udp-port N         UDP reflector port (default: the control port number)\n"
"  --max-clients N      authenticated clients (default 4096)\n"
"  --min-interval DUR   fastest probe interval granted (default 1ms)\n"
"  --max-size N         largest probe granted, octets (default 1472)\n"
"  --keepalive DUR      keepalive interval announced (default 5s)\n"
"  --handshake-timeout DUR  deadline from TCP accept to HELLO (default 10s)\n"
"  -v, --verbose        more logging (repeat for debug)\n"
"  --test-impairment    TEST ONLY: SIGUSR2 toggles dropping every probe of\n"
"                       the sessions that exist when it is switched on\n"
"  -h, --help           this text\n"
"\n"
"Signals: SIGUSR1 logs counters; SIGTERM/SIGINT stop.\n"
"Exit codes: 0 stopped by a signal, 2 usage, 3 set-up failed (certificates, bind).\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), __noreturn__));

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pktmon-server: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pktmon-server --help'.\n");
	exit(EXIT_USAGE);
}

static void
opt_duration(const char *name, const char *arg, int64_t *out)
{
	uint64_t v;

	if (parse_duration_ns(arg, 1000, 3600ULL * NS_PER_SEC, &v) != 0)
		usage_error("invalid duration '%s' for %s", arg, name);
	*out = (int64_t)v;
}

static void
opt_uint(const char *name, const char *arg, uint32_t lo, uint32_t hi, uint32_t *out)
{
	if (parse_u32(arg, lo, hi, out) != 0)
		usage_error("invalid number '%s' for %s", arg, name);
}

static void
parse_opts(int argc, char **argv, struct server_opts *o)
{
	enum { O_CERT = 256, O_KEY, O_CA, O_LISTEN, O_UDP, O_MAXC, O_MINI,
	    O_MAXS, O_KA, O_HS, O_IMPAIR };
	static const struct option longopts[] = {
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "ca", required_argument, NULL, O_CA },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "udp-port", required_argument, NULL, O_UDP },
		{ "max-clients", required_argument, NULL, O_MAXC },
		{ "min-interval", required_argument, NULL, O_MINI },
		{ "max-size", required_argument, NULL, O_MAXS },
		{ "keepalive", required_argument, NULL, O_KA },
		{ "handshake-timeout", required_argument, NULL, O_HS },
		{ "test-impairment", no_argument, NULL, O_IMPAIR },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t d;
	uint32_t v;
	int ch;

	while ((ch = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (ch) {
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_CA: o->ca = optarg; break;
		case O_LISTEN: o->listen = optarg; break;
		case O_UDP: opt_uint("--udp-port", optarg, 1, 65535, &v); o->udp_port = (uint16_t)v; break;
		case O_MAXC: opt_uint("--max-clients", optarg, 1, 100000, &o->lim.max_clients); break;
		case O_MINI: opt_duration("--min-interval", optarg, &d); o->lim.min_interval_us = (uint32_t)(d / NS_PER_US); break;
		case O_MAXS: opt_uint("--max-size", optarg, 112, 9000, &v); o->lim.max_size = (uint16_t)v; break;
		case O_KA: opt_duration("--keepalive", optarg, &o->lim.keepalive_ns); break;
		case O_HS: opt_duration("--handshake-timeout", optarg, &o->lim.handshake_ns); break;
		case O_IMPAIR: o->test_impairment = 1; break;
		case 'v': o->verbose++; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: fprintf(stderr, "Try 'pktmon-server --help'.\n"); exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->cert || !o->key || !o->ca || !o->listen)
		usage_error("%s", "--cert, --key, --ca and --listen are required");
}

static void
on_listen(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;

	(void)ev;
	(void)events;
	conns_on_listen(s->conns, fd);
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

static void
on_tick(struct ev *ev, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;

	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	conns_tick(s->conns, mono_ns());
}

static void
log_stats(struct server *s)
{
	const struct refl_stats *r = refl_stats(s->refl);
	const struct conn_stats *c = conns_stats(s->conns);

	log_warnx("stats: clients=%u sessions=%u reflected=%llu bad_length=%llu "
	    "unknown_ssid=%llu bad_hmac=%llu wrong_source=%llu replayed=%llu "
	    "rate_limited=%llu accepted=%llu handshake_failed=%llu "
	    "handshake_timeout=%llu refused_preauth=%llu refused_clients=%llu "
	    "protocol_errors=%llu",
	    conns_count(s->conns), refl_count(s->refl),
	    (unsigned long long)r->reflected, (unsigned long long)r->bad_length,
	    (unsigned long long)r->unknown_ssid, (unsigned long long)r->bad_hmac,
	    (unsigned long long)r->wrong_source, (unsigned long long)r->replayed,
	    (unsigned long long)r->rate_limited, (unsigned long long)c->accepted,
	    (unsigned long long)c->handshake_failed,
	    (unsigned long long)c->handshake_timeout,
	    (unsigned long long)c->refused_preauth,
	    (unsigned long long)c->refused_clients,
	    (unsigned long long)c->protocol_errors);
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

static void
setup_sockets(struct server *s)
{
	char host[256], shown[NET_ADDRSTRLEN];
	struct net_addr a;
	uint16_t port;

	if (parse_hostport(s->o.listen, host, sizeof(host), 0, &port) != 0)
		usage_error("invalid --listen '%s' (want ADDR:PORT)", s->o.listen);
	if (net_resolve(host, port, SOCK_STREAM, &a) != 0)
		fatalx(EXIT_SETUP, "cannot resolve --listen address %s", host);
	if ((s->lfd = net_tcp_listen(&a)) < 0)
		fatal(EXIT_SETUP, "cannot listen on TCP %s", s->o.listen);
	s->o.lim.udp_port = s->o.udp_port ? s->o.udp_port : port;
	net_addr_set_port(&a, s->o.lim.udp_port);
	if ((s->ufd = net_udp_open(a.ss.ss_family, &a, NULL)) < 0)
		fatal(EXIT_SETUP, "cannot bind UDP port %u", s->o.lim.udp_port);
	net_addr_str(&a, shown, sizeof(shown));
	log_info("listening on tcp %s, udp reflector %s", s->o.listen, shown);
}

static void
setup(struct server *s)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP };
	char err[512];

	signal(SIGPIPE, SIG_IGN);
	if (tls_ctx_new(TLS_ROLE_SERVER, s->o.cert, s->o.key, s->o.ca, &s->tls,
	    err, sizeof(err)) != 0)
		fatalx(EXIT_SETUP, "%s", err);
	setup_sockets(s);
	if ((s->ev = ev_new()) == NULL || (s->refl = refl_new(s->ufd)) == NULL ||
	    (s->conns = conns_new(s->ev, s->tls, s->refl, &s->o.lim)) == NULL)
		fatalx(EXIT_SETUP, "out of memory");
	if ((s->tfd = ev_timer_new()) < 0 || ev_timer_every(s->tfd, 250 * NS_PER_MS) != 0 ||
	    (s->sfd = ev_signal_new(sigs, 5)) < 0)
		fatal(EXIT_SETUP, "timer/signal set-up");
	if (ev_add(s->ev, s->lfd, EPOLLIN, on_listen, s) != 0 ||
	    ev_add(s->ev, s->ufd, EPOLLIN, on_udp, s) != 0 ||
	    ev_add(s->ev, s->tfd, EPOLLIN, on_tick, s) != 0 ||
	    ev_add(s->ev, s->sfd, EPOLLIN, on_signal, s) != 0)
		fatal(EXIT_SETUP, "event loop set-up");
	if (s->o.test_impairment)
		log_warnx("TEST-ONLY impairment switch enabled (SIGUSR2); "
		    "never use this on a real monitor");
}

static void
defaults(struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->lim.handshake_ns = 10 * NS_PER_SEC;
	o->lim.keepalive_ns = 5 * NS_PER_SEC;
	o->lim.max_clients = 4096;
	o->lim.max_preauth = 256;
	o->lim.max_preauth_per_src = 32;
	o->lim.max_sessions = 4;
	o->lim.min_interval_us = 1000;
	o->lim.max_size = 1472;
}

int
main(int argc, char **argv)
{
	struct server s;

	memset(&s, 0, sizeof(s));
	defaults(&s.o);
	log_init("pktmon-server", LOG_LVL_INFO);
	parse_opts(argc, argv, &s.o);
	log_set_level(s.o.verbose >= 2 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	setup(&s);
	while (!ev_stopped(s.ev))
		if (ev_run_once(s.ev, -1) != 0)
			fatal(1, "event loop");
	log_stats(&s);
	conns_free(s.conns);
	refl_free(s.refl);
	tls_ctx_free(s.tls);
	ev_free(s.ev);
	log_info("stopped");
	return 0;
}
