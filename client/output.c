/*
 * output: human lines on stdout, flushed per line so a pipe sees them live.
 * Losses and renewals are coloured only when stdout is a terminal (and
 * NO_COLOR is unset), so files and pipes get plain text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fates.h"
#include "output.h"
#include "pktmon_config.h"
#include "timeutil.h"


static enum out_mode mode = OUT_LINES;
static int colour;
static int stamps;
static const char *target = "";

#define C_LOSS "\033[31m"	/* red */
#define C_RENEW "\033[1;33m"	/* bold yellow */
#define C_OFF "\033[0m"

void
out_init(enum out_mode m, const char *tgt, int timestamps)
{
	const char *term = getenv("TERM");

	mode = m;
	target = tgt ? tgt : "";
	stamps = timestamps || m == OUT_EVENTS;
	colour = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL &&
	    term != NULL && strcmp(term, "dumb") != 0;
}

static const char *
paint(const char *c)
{
	return colour ? c : "";
}

/* "[2026-12-02T17:00:00.123Z] " in -D and events mode: ISO 8601, UTC,
 * milliseconds, as a journal or a log shipper reads it. */
static void
stamp(void)
{
	char buf[40];
	int64_t now = wall_ns();
	time_t sec = (time_t)(now / NS_PER_SEC);
	struct tm tm;

	if (!stamps)
		return;
	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("[%s.%03dZ] ", buf, (int)(now % NS_PER_SEC / NS_PER_MS));
	/* With -D every line names its target, so merged logs read alone. */
	if (mode == OUT_LINES)
		printf("%s: ", target);
}

static int
lines(void)
{
	if (mode == OUT_LINES)
		stamp();
	return mode == OUT_LINES;
}

void
out_session(unsigned id, unsigned ssid, const char *local, const char *remote,
    int64_t interval_ns, const char *how)
{
	if (!lines())
		return;
	if (ssid == 0)	/* ICMP: no session id, no ports */
		printf("session %u: %.*s -> %.*s interval %.3f ms (%s)\n", id,
		    (int)(strrchr(local, ':') - local), local,
		    (int)(strrchr(remote, ':') - remote), remote, interval_ns / 1e6, how);
	else
		printf("session %u: ssid=%u local %s -> %s interval %.3f ms (%s)\n",
		    id, ssid, local, remote, interval_ns / 1e6, how);
	fflush(stdout);
}

static void
session_tag(unsigned old_session)
{
	if (old_session > 0)
		printf(" (session %u)", old_session);
	putchar('\n');
}

void
out_reply(uint64_t seq, int64_t rtt_ns, int ttl, enum fate_rx kind,
    unsigned old_session)
{
	static const char *const tag[] = {
		[FATE_RX_ANSWER] = "", [FATE_RX_REORDERED] = " (reordered)",
		[FATE_RX_LATE] = " (late)", [FATE_RX_DUPLICATE] = " (DUP!)",
		[FATE_RX_STALE] = " (stale)",
	};

	if (!lines() || kind == FATE_RX_STALE)
		return;
	if (kind == FATE_RX_DUPLICATE)
		printf("seq=%llu duplicate reply", (unsigned long long)seq);
	else if (ttl >= 0)
		printf("seq=%llu rtt=%.3f ms ttl=%d%s", (unsigned long long)seq,
		    rtt_ns / 1e6, ttl, tag[kind]);
	else
		printf("seq=%llu rtt=%.3f ms%s", (unsigned long long)seq,
		    rtt_ns / 1e6, tag[kind]);
	session_tag(old_session);
	fflush(stdout);
}

void
out_lost(uint64_t seq, unsigned old_session)
{
	if (!lines())
		return;
	printf("%sseq=%llu lost%s", paint(C_LOSS), (unsigned long long)seq,
	    paint(C_OFF));
	session_tag(old_session);
	fflush(stdout);
}

void
out_resolved(unsigned session, uint64_t nfwd, uint64_t nbwd, uint64_t nunknown)
{
	if (!lines())
		return;
	if (nunknown > 0)
		printf("lost: %llu with direction unknown (session %u)\n",
		    (unsigned long long)nunknown, session);
	else
		printf("lost: %llu forward (client->server), %llu backward "
		    "(server->client) (session %u)\n", (unsigned long long)nfwd,
		    (unsigned long long)nbwd, session);
	fflush(stdout);
}

void
out_renewal(const char *reason, const char *detail, unsigned from)
{
	if (mode != OUT_LINES && mode != OUT_EVENTS)
		return;
	stamp();
	if (mode == OUT_EVENTS)
		printf("%s: ", target);
	printf("%srenewal requested: %s (%s): session %u to be replaced by a new "
	    "ssid, key and source port%s\n", paint(C_RENEW), reason, detail, from,
	    paint(C_OFF));
	fflush(stdout);
}

void
out_event(const char *fmt, ...)
{
	va_list ap;

	if (mode != OUT_LINES && mode != OUT_EVENTS)
		return;
	stamp();
	if (mode == OUT_EVENTS)
		printf("%s: ", target);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void
out_note(const char *fmt, ...)
{
	va_list ap;

	if (!lines())
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t
received(const struct fate_counts *c)
{
	return c->answered + c->reordered + c->late;
}

static uint64_t
lost(const struct fate_counts *c)
{
	return c->lost_fwd + c->lost_bwd + c->lost_unknown + c->lost_pending +
	    c->unsent;
}

/* A JSON string: the target as given is the only free text printed. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void
out_slot(uint64_t slot, int64_t sent_ns, unsigned fate, int64_t rtt_ns)
{
	if (mode != OUT_JSON_LINES)
		return;
	printf("{\"target\":");
	json_str(target);
	printf(",\"slot\":%llu,\"sent_ns\":%lld,\"fate\":\"%s\",\"lost\":%s",
	    (unsigned long long)slot, (long long)sent_ns, pm_fate_name(fate),
	    pm_fate_is_loss(fate) ? "true" : "false");
	if (rtt_ns >= 0)
		printf(",\"rtt_ns\":%lld}\n", (long long)rtt_ns);
	else
		printf(",\"rtt_ns\":null}\n");
	fflush(stdout);
}

static void
out_json(const struct out_totals *t)
{
	const struct fate_counts *c = &t->c;

	printf("{\"version\":%d,\"pktmon_version\":\"%s\",\"target\":",
	    PKTMON_JSON_VERSION, PKTMON_VERSION);
	json_str(t->server);
	printf(",\"start_ns\":%lld,\"end_ns\":%lld,", (long long)t->start_ns,
	    (long long)t->end_ns);
	printf("\"slots\":%llu,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,"
	    "\"loss_pct\":%.4f,\"lost_forward\":%llu,"
	    "\"lost_backward\":%llu,\"lost_unknown\":%llu,\"unsent\":%llu,"
	    "\"duplicates\":%llu,\"reordered\":%llu,\"late\":%llu,"
	    "\"rtt_errors\":%llu,\"tx_stamps_dropped\":%llu,",
	    (unsigned long long)c->sent, (unsigned long long)(c->sent - c->unsent),
	    (unsigned long long)received(c),
	    (unsigned long long)lost(c), c->sent ? 100.0 * (double)lost(c) /
	    (double)c->sent : 0.0, (unsigned long long)c->lost_fwd,
	    (unsigned long long)c->lost_bwd,
	    (unsigned long long)(c->lost_unknown + c->lost_pending),
	    (unsigned long long)c->unsent,
	    (unsigned long long)c->duplicates, (unsigned long long)c->reordered,
	    (unsigned long long)c->late, (unsigned long long)c->rtt_errors,
	    (unsigned long long)c->tx_stamps_dropped);
	if (t->rtt->n > 0)
		printf("\"rtt_ns\":{\"min\":%lld,\"median\":%lld,\"p99\":%lld,"
		    "\"max\":%lld,\"mean\":%.0f,\"mdev\":%.0f},",
		    (long long)t->rtt->min,
		    (long long)rtt_quantile(t->rtt, 0.5),
		    (long long)rtt_quantile(t->rtt, 0.99), (long long)t->rtt->max,
		    rtt_mean(t->rtt), rtt_mdev(t->rtt));
	else
		printf("\"rtt_ns\":{\"min\":null,\"median\":null,\"p99\":null,"
		    "\"max\":null,\"mean\":null,\"mdev\":null},");
	if (t->ipdv != NULL && t->ipdv->n > 0)
		printf("\"ipdv_ns\":{\"samples\":%llu,\"mean\":%.0f,\"median\":%lld,"
		    "\"p99\":%lld,\"max\":%lld},", (unsigned long long)t->ipdv->n,
		    rtt_mean(t->ipdv), (long long)rtt_quantile(t->ipdv, 0.5),
		    (long long)rtt_quantile(t->ipdv, 0.99), (long long)t->ipdv->max);
	else
		printf("\"ipdv_ns\":null,");
	if (t->timer_late->n > 0)
		printf("\"timer_late_ns\":{\"median\":%lld,\"p99\":%lld,\"max\":%lld},",
		    (long long)rtt_quantile(t->timer_late, 0.5),
		    (long long)rtt_quantile(t->timer_late, 0.99),
		    (long long)t->timer_late->max);
	printf("\"timer_missed\":%llu,", (unsigned long long)t->timer_missed);
	if (t->owd_fwd != NULL && t->owd_fwd->n > 0)
		printf("\"owd_ns\":{\"samples\":%llu,\"forward_median\":%lld,"
		    "\"backward_median\":%lld},", (unsigned long long)t->owd_fwd->n,
		    (long long)rtt_quantile(t->owd_fwd, 0.5),
		    (long long)rtt_quantile(t->owd_bwd, 0.5));
	else
		printf("\"owd_ns\":null,");
	printf("\"renewals\":%llu,\"sessions\":%llu,\"unstored\":%llu,"
	    "\"host_drops\":%llu,\"send_errors\":%llu,\"bad_replies\":%llu,"
	    "\"tx_stamps_unmatched\":%llu}\n",
	    (unsigned long long)t->renewals, (unsigned long long)t->sessions,
	    (unsigned long long)t->unstored, (unsigned long long)t->host_drops,
	    (unsigned long long)t->send_errors, (unsigned long long)t->bad_replies,
	    (unsigned long long)t->tx_unmatched);
}

/* One-way delays, or why there are none: RFC 8762 wants both clocks
 * synchronised (S bit) before a one-way figure means anything. */
static void
out_owd(const struct out_totals *t)
{
	const char *who;

	if (t->owd_fwd == NULL)
		return;
	if (t->owd_fwd->n > 0) {
		printf("one-way: forward median %.3f ms, backward median %.3f ms "
		    "(%llu replies with both clocks synchronised)\n",
		    rtt_quantile(t->owd_fwd, 0.5) / 1e6,
		    rtt_quantile(t->owd_bwd, 0.5) / 1e6,
		    (unsigned long long)t->owd_fwd->n);
		return;
	}
	if (t->local_unsynced > 0 && t->peer_unsynced > 0)
		who = "this host's and the server's clocks are";
	else if (t->local_unsynced > 0)
		who = "this host's clock is";
	else if (t->peer_unsynced > 0)
		who = "the server's clock is";
	else
		return;		/* no reply at all */
	printf("one-way: not measured: %s not synchronised (RTT needs "
	    "neither)\n", who);
}

void
out_summary(const struct out_totals *t)
{
	const struct fate_counts *c = &t->c;
	double pct = c->sent ? 100.0 * (double)lost(c) / (double)c->sent : 0.0;

	if (mode == OUT_JSON || mode == OUT_JSON_LINES) {
		out_json(t);
		fflush(stdout);
		return;
	}
	printf("\n--- %s pktmon statistics ---\n", t->server);
	printf("%s : xmt/rcv/%%loss = %llu/%llu/%.2f%%", t->server,
	    (unsigned long long)c->sent, (unsigned long long)received(c), pct);
	if (t->rtt->n > 0)
		printf(", min/avg/median/p99/max/mdev = %.3f/%.3f/%.3f/%.3f/%.3f/%.3f ms",
		    t->rtt->min / 1e6, rtt_mean(t->rtt) / 1e6,
		    rtt_quantile(t->rtt, 0.5) / 1e6, rtt_quantile(t->rtt, 0.99) / 1e6,
		    t->rtt->max / 1e6, rtt_mdev(t->rtt) / 1e6);
	if (t->ipdv != NULL && t->ipdv->n > 0)
		printf("\njitter (IPDV, |RTT change| between consecutive answered "
		    "probes): mean/median/p99 = %.3f/%.3f/%.3f ms",
		    rtt_mean(t->ipdv) / 1e6, rtt_quantile(t->ipdv, 0.5) / 1e6,
		    rtt_quantile(t->ipdv, 0.99) / 1e6);
	if (t->icmp)
		printf("\nloss: %llu (no pktmon server: direction not observable); %llu late, "
		    "%llu duplicates\n", (unsigned long long)lost(c),
		    (unsigned long long)c->late, (unsigned long long)c->duplicates);
	else
		printf("\nloss: %llu forward (client->server), %llu backward "
	    "(server->client), %llu direction unknown, %llu unsent; %llu late, %llu "
	    "reordered, %llu duplicates\n",
	    (unsigned long long)c->lost_fwd, (unsigned long long)c->lost_bwd,
	    (unsigned long long)(c->lost_unknown + c->lost_pending),
	    (unsigned long long)c->unsent,
	    (unsigned long long)c->late, (unsigned long long)c->reordered,
	    (unsigned long long)c->duplicates);
	out_owd(t);
	if (t->timer_late->n > 0)
		printf("timer: sends late by median %.1f us, p99 %.1f us; %llu "
		    "deadlines missed\n", rtt_quantile(t->timer_late, 0.5) / 1e3,
		    rtt_quantile(t->timer_late, 0.99) / 1e3,
		    (unsigned long long)t->timer_missed);
	printf("sessions: %llu, renewals: %llu, time %.1f s\n",
	    (unsigned long long)t->sessions, (unsigned long long)t->renewals,
	    t->elapsed_ns / 1e9);
	if (t->bad_replies > 0)
		printf("dropped %llu datagrams that failed the size, SSID or HMAC "
		    "check (not counted as replies)\n",
		    (unsigned long long)t->bad_replies);
	if (t->unstored > 0)
		printf("WARNING: %llu probe rows could not be stored in the history\n",
		    (unsigned long long)t->unstored);
	fflush(stdout);
}

void
out_status(uint64_t sent, uint64_t lost, const struct fate_counts *t,
    const struct rttstats *rtt, uint64_t renewals, unsigned session)
{
	char when[32];

	fmt_utc(wall_ns(), when, sizeof(when));
	fprintf(stderr, "[%s] slots %llu, lost %llu (%.2f%%)", when,
	    (unsigned long long)sent, (unsigned long long)lost,
	    sent ? 100.0 * (double)lost / (double)sent : 0.0);
	if (rtt->n > 0)
		fprintf(stderr, ", rtt min/median/max %.3f/%.3f/%.3f ms",
		    rtt->min / 1e6, rtt_quantile(rtt, 0.5) / 1e6, rtt->max / 1e6);
	fprintf(stderr, "; so far %llu fwd, %llu bwd, %llu ?, %llu pending; "
	    "renewals %llu, session %u\n", (unsigned long long)t->lost_fwd,
	    (unsigned long long)t->lost_bwd, (unsigned long long)t->lost_unknown,
	    (unsigned long long)t->lost_pending, (unsigned long long)renewals,
	    session);
}
