/*
 * metrics: libmicrohttpd in external-epoll mode, a text buffer, and the
 * choice of exposition format.
 *
 * MHD's epoll fd only becomes readable on socket events, but MHD also has
 * work that no socket announces: closing a connection that has been idle past
 * its timeout, and data it read ahead (edge-triggered) and has still to
 * parse. It says when that work is due through MHD_get_timeout; a timerfd
 * owned here is armed with it after every MHD_run. Without it, connections
 * that never send a byte were never timed out, and as many of them as the
 * connection limit kept /metrics unreachable for as long as they stayed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"
#include "net.h"
#include "parse.h"
#include "pktmon_config.h"
#include "timeutil.h"

#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
/*
 * A scraper's request arrives within milliseconds of its connect; a client
 * that keeps a connection between scrapes reconnects after this. Short, so
 * that idle connections free their slot in seconds.
 */
#define METRICS_IDLE_TIMEOUT_S 5
/* MHD's own deadlines are re-read after each run; cap the wait anyway. */
#define METRICS_MAX_WAIT_MS 60000

struct metrics {
	struct MHD_Daemon *d;
	int epfd;	/* MHD's, watched by the event loop */
	int tfd;	/* MHD's next deadline: idle timeouts, deferred work */
	metrics_render_fn fn;
	void *arg;
};

void
mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *np;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < need)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/*
 * OpenMetrics declares a family by its own name and writes its counter's
 * samples NAME_total; the text format declares the name the samples carry,
 * or promtool and text parsers take the samples for another, untyped family.
 * The text format has no info type: its convention is a gauge NAME_info.
 */
void
mbuf_family(struct mbuf *b, const char *name, enum metrics_type type,
    const char *help)
{
	int om = b->format == METRICS_OPENMETRICS;
	const char *t = "gauge", *suffix = "";

	switch (type) {
	case METRICS_COUNTER:
		t = "counter";
		suffix = om ? "" : "_total";
		break;
	case METRICS_GAUGE:
		t = "gauge";
		break;
	case METRICS_SUMMARY:
		t = "summary";
		break;
	case METRICS_HISTOGRAM:
		t = "histogram";
		break;
	case METRICS_INFO:
		t = om ? "info" : "gauge";
		suffix = om ? "" : "_info";
		break;
	}
	mbuf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help,
	    name, suffix, t);
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* The next SEP-separated part of [*s, *s + *n), trimmed; 0 after the last. */
static int
next_part(const char **s, size_t *n, int sep, const char **part, size_t *len)
{
	const char *end;

	if (*s == NULL)
		return 0;
	end = memchr(*s, sep, *n);
	*part = *s;
	*len = end ? (size_t)(end - *s) : *n;
	if (end != NULL) {
		*n -= *len + 1;
		*s = end + 1;
	} else
		*s = NULL;
	trim(part, len);
	return 1;
}

static int
token_is(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(s, want, n) == 0;
}

/* An RFC 9110 qvalue ("0", "0.5", "1.000") in thousandths; -1 if malformed. */
static int
accept_q(const char *v, size_t n)
{
	int q, scale = 1000;
	size_t i;

	if (n == 0 || n == 2 || n > 5 || (v[0] != '0' && v[0] != '1') ||
	    (n > 1 && v[1] != '.'))
		return -1;
	q = (v[0] - '0') * 1000;
	for (i = 2; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		scale /= 10;
		q += (v[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/*
 * One media range of an Accept header, "type/subtype; version=V; q=Q": its
 * q in thousandths and the format it asks for, or -1 if it names none this
 * endpoint serves. Wildcards name none: the text format is the default.
 */
static int
accept_range(const char *s, size_t n, enum metrics_format *format)
{
	const char *part, *k, *v, *eq, *version = NULL;
	size_t len, klen, vlen, verlen = 0;
	int q = 1000;

	if (!next_part(&s, &n, ';', &part, &len))
		return -1;
	if (token_is(part, len, "application/openmetrics-text"))
		*format = METRICS_OPENMETRICS;
	else if (token_is(part, len, "text/plain"))
		*format = METRICS_TEXT;
	else
		return -1;
	while (next_part(&s, &n, ';', &part, &len)) {
		if ((eq = memchr(part, '=', len)) == NULL)
			continue;
		k = part;
		klen = (size_t)(eq - part);
		v = eq + 1;
		vlen = len - klen - 1;
		trim(&k, &klen);
		trim(&v, &vlen);
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (token_is(k, klen, "q") && (q = accept_q(v, vlen)) < 0)
			return -1;
		if (token_is(k, klen, "version")) {
			version = v;
			verlen = vlen;
		}
	}
	/* The versions client_golang answers with these two formats. */
	if (version == NULL)
		return q;
	if (*format == METRICS_TEXT)
		return token_is(version, verlen, "0.0.4") ? q : -1;
	return token_is(version, verlen, "1.0.0") ||
	    token_is(version, verlen, "0.0.1") ? q : -1;
}

/*
 * As client_golang negotiates: the acceptable range with the highest q
 * decides, the first of equals; with none, the text format. Prometheus
 * asks for OpenMetrics first unless its scrape_protocols say otherwise.
 */
enum metrics_format
metrics_negotiate(const char *accept)
{
	enum metrics_format best = METRICS_TEXT, f = METRICS_TEXT;
	const char *part;
	size_t n = accept ? strlen(accept) : 0, len;
	int q, best_q = 0;

	while (next_part(&accept, &n, ',', &part, &len))
		if ((q = accept_range(part, len, &f)) > best_q) {
			best_q = q;
			best = f;
		}
	return best;
}

static void
build_info(struct mbuf *b)
{
	mbuf_family(b, "pktmon_build", METRICS_INFO,
	    "The pktmon version serving these metrics.");
	mbuf_printf(b, "pktmon_build_info{version=\"%s\"} 1\n", PKTMON_VERSION);
}

static enum MHD_Result
metrics_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	struct mbuf b = { NULL, 0, 0, 0, METRICS_TEXT };
	enum MHD_Result r;
	unsigned status = MHD_HTTP_OK;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		mbuf_printf(&b, "method not allowed\n");
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		mbuf_printf(&b, "pktmon: metrics are at /metrics\n");
	} else {
		b.format = metrics_negotiate(MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
		build_info(&b);
		m->fn(m->arg, &b);
		if (b.format == METRICS_OPENMETRICS)
			mbuf_printf(&b, "# EOF\n");
	}
	if (b.failed) {
		free(b.p);
		return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(b.p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", status != MHD_HTTP_OK ?
	    "text/plain; charset=utf-8" : b.format == METRICS_OPENMETRICS ?
	    OPENMETRICS_TYPE : TEXT_TYPE);
	/* A cache between scraper and endpoint must key on the format asked for. */
	MHD_add_response_header(resp, "Vary", "Accept");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* Let MHD work, then wake up again when it next has to, I/O or not. */
static void
metrics_run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	(void)MHD_run(m->d);
	if (MHD_get_timeout(m->d, &ms) != MHD_YES) {
		ev_timer_stop(m->tfd);
		return;
	}
	if (ms > METRICS_MAX_WAIT_MS)
		ms = METRICS_MAX_WAIT_MS;
	/* Should the timer fail to arm, the next socket event still runs MHD. */
	(void)ev_timer_at(m->tfd, mono_ns() + (int64_t)ms * NS_PER_MS);
}

static void
metrics_io(struct ev *ev, int fd, uint32_t events, void *arg)
{
	(void)ev;
	(void)fd;
	(void)events;
	metrics_run(arg);
}

static void
metrics_timer(struct ev *ev, int fd, uint32_t events, void *arg)
{
	(void)ev;
	(void)events;
	(void)ev_timer_read(fd);
	metrics_run(arg);
}

int
metrics_start(struct ev *ev, const char *addrport, metrics_render_fn fn,
    void *arg, struct metrics **out, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct metrics *m;
	struct net_addr a;
	char host[256], spec[300];
	uint16_t port;

	/* "9862" or ":9862": loopback, so metrics are never exposed by accident. */
	if (addrport[0] == ':' || strspn(addrport, "0123456789") == strlen(addrport))
		snprintf(spec, sizeof(spec), "127.0.0.1%s%s",
		    addrport[0] == ':' ? "" : ":", addrport);
	else
		snprintf(spec, sizeof(spec), "%s", addrport);
	if (parse_hostport(spec, host, sizeof(host), 0, &port) != 0 ||
	    net_resolve(host, port, SOCK_STREAM, &a) != 0) {
		snprintf(err, errlen, "invalid metrics address '%s' (want HOST:PORT "
		    "or PORT)", addrport);
		return PM_E_FORMAT;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return PM_E_NOMEM;
	m->fn = fn;
	m->arg = arg;
	m->epfd = -1;
	if ((m->tfd = ev_timer_new()) < 0)
		goto fail;
	m->d = MHD_start_daemon(MHD_USE_EPOLL |
	    (a.ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), port, NULL, NULL,
	    metrics_answer, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a.ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_IDLE_TIMEOUT_S,
	    MHD_OPTION_END);
	if (m->d == NULL ||
	    (info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
		goto fail;
	if (ev_add(ev, (m->epfd = info->epoll_fd), EPOLLIN, metrics_io, m) != 0) {
		m->epfd = -1;
		goto fail;
	}
	if (ev_add(ev, m->tfd, EPOLLIN, metrics_timer, m) != 0)
		goto fail;
	*out = m;
	return 0;
fail:
	snprintf(err, errlen, "cannot serve metrics on %s (address in use?)",
	    addrport);
	if (m->epfd >= 0)
		ev_del(ev, m->epfd);
	if (m->d != NULL)
		MHD_stop_daemon(m->d);
	if (m->tfd >= 0)
		close(m->tfd);
	free(m);
	return PM_E_SYS;
}

void
metrics_stop(struct ev *ev, struct metrics *m)
{
	if (m == NULL)
		return;
	ev_del(ev, m->epfd);
	ev_del(ev, m->tfd);
	MHD_stop_daemon(m->d);
	close(m->tfd);
	free(m);
}
