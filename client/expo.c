/*
 * expo: the metric families of pktmon-client, Prometheus naming: base
 * units (seconds), counters ending in _total, one label set per server.
 * Written once for both exposition formats; mbuf_family declares each as
 * the format wants.
 */
#include "expo.h"

/*
 * Doubling from 12.5 us to 26.2 s, one relative width at every scale, from
 * loopback to satellite paths. Every bound of smokeping_prober's (50 us
 * doubling) is one here, so queries written for its buckets fit; the two
 * finer ones keep loopback apart from a LAN.
 */
const double expo_bounds[EXPO_NBUCKETS] = {
	0.0000125, 0.000025, 0.00005, 0.0001, 0.0002, 0.0004, 0.0008, 0.0016,
	0.0032, 0.0064, 0.0128, 0.0256, 0.0512, 0.1024, 0.2048, 0.4096, 0.8192,
	1.6384, 3.2768, 6.5536, 13.1072, 26.2144,
};

void
expo_rtt_add(struct expo_rtt *h, int64_t rtt_ns)
{
	double s = (double)rtt_ns / 1e9;
	unsigned i;

	for (i = 0; i < EXPO_NBUCKETS && s > expo_bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum_s += s;
}

static void
counter(struct mbuf *b, const struct expo_snapshot *s, const char *name,
    const char *help, uint64_t v)
{
	mbuf_family(b, name, METRICS_COUNTER, help);
	mbuf_printf(b, "%s_total{server=\"%s\"} %llu\n", name, s->server,
	    (unsigned long long)v);
}

/* The exported value: the highest seen, so a counter never steps back. */
static uint64_t
mark(uint64_t *m, uint64_t v)
{
	if (v > *m)
		*m = v;
	return *m;
}

static void
lost(struct mbuf *b, const struct expo_snapshot *s)
{
	static const char *const dir[] = { "forward", "backward", "unknown",
	    "unsent" };
	uint64_t v[4] = { mark(&s->marks->lost_fwd, s->c.lost_fwd),
	    mark(&s->marks->lost_bwd, s->c.lost_bwd),
	    mark(&s->marks->lost_unknown, s->c.lost_unknown),
	    mark(&s->marks->unsent, s->c.unsent) };
	unsigned i;

	mbuf_family(b, "pktmon_probes_lost", METRICS_COUNTER,
	    "Probe slots without a reply, by the direction they were lost in "
	    "(unsent: no probe could be sent for the slot); a loss is counted "
	    "once its direction is settled.");
	for (i = 0; i < 4; i++)
		mbuf_printf(b, "pktmon_probes_lost_total{server=\"%s\",direction=\"%s\"} "
		    "%llu\n", s->server, dir[i], (unsigned long long)v[i]);
}

static void
renewals(struct mbuf *b, const struct expo_snapshot *s)
{
	mbuf_family(b, "pktmon_renewals", METRICS_COUNTER,
	    "Probe sessions replaced with a new one (new SSID, key, source port).");
	mbuf_printf(b, "pktmon_renewals_total{server=\"%s\",reason=\"consecutive-loss\"} "
	    "%llu\n", s->server, (unsigned long long)s->renewals_consecutive);
	mbuf_printf(b, "pktmon_renewals_total{server=\"%s\",reason=\"window-loss\"} "
	    "%llu\n", s->server, (unsigned long long)s->renewals_window);
}

static void
histogram(struct mbuf *b, const struct expo_snapshot *s)
{
	const struct expo_rtt *h = s->rtt;
	uint64_t cum = 0;
	unsigned i;

	mbuf_family(b, "pktmon_rtt_seconds", METRICS_HISTOGRAM,
	    "Round-trip time of answered probes, reflector dwell excluded.");
	for (i = 0; i < EXPO_NBUCKETS; i++) {
		cum += h->bucket[i];
		mbuf_printf(b, "pktmon_rtt_seconds_bucket{server=\"%s\",le=\"%g\"} %llu\n",
		    s->server, expo_bounds[i], (unsigned long long)cum);
	}
	cum += h->bucket[EXPO_NBUCKETS];
	mbuf_printf(b, "pktmon_rtt_seconds_bucket{server=\"%s\",le=\"+Inf\"} %llu\n",
	    s->server, (unsigned long long)cum);
	mbuf_printf(b, "pktmon_rtt_seconds_count{server=\"%s\"} %llu\n", s->server,
	    (unsigned long long)h->count);
	mbuf_printf(b, "pktmon_rtt_seconds_sum{server=\"%s\"} %.9f\n", s->server,
	    h->sum_s);
}

void
expo_render(const struct expo_snapshot *s, struct mbuf *b)
{
	const struct fate_counts *c = &s->c;

	struct expo_marks *m = s->marks;

	counter(b, s, "pktmon_probes_sent", "Probe slots of the schedule, sent or "
	    "not: 1 - received/sent is the loss, 100 % in an outage.",
	    mark(&m->sent, c->sent));
	counter(b, s, "pktmon_probes_received", "Probes answered (late ones included).",
	    mark(&m->received, c->answered + c->reordered + c->late));
	lost(b, s);
	mbuf_family(b, "pktmon_probes_lost_pending", METRICS_GAUGE,
	    "Probes timed out whose loss direction is not settled yet.");
	mbuf_printf(b, "pktmon_probes_lost_pending{server=\"%s\"} %llu\n", s->server,
	    (unsigned long long)c->lost_pending);
	counter(b, s, "pktmon_probes_late", "Replies after the loss timeout.",
	    mark(&m->late, c->late));
	counter(b, s, "pktmon_probes_duplicate", "Extra copies of replies.",
	    mark(&m->duplicates, c->duplicates));
	counter(b, s, "pktmon_probes_reordered", "Replies that overtook a later probe's.",
	    mark(&m->reordered, c->reordered));
	renewals(b, s);
	counter(b, s, "pktmon_sessions", "Probe sessions started.", s->sessions);
	counter(b, s, "pktmon_history_unstored", "Probe rows the history could not store.",
	    s->unstored);
	counter(b, s, "pktmon_host_drops", "Datagrams the local socket dropped (SO_RXQ_OVFL).",
	    s->host_drops);
	mbuf_family(b, "pktmon_session_up", METRICS_GAUGE,
	    "1 while a probe session is active, else 0.");
	mbuf_printf(b, "pktmon_session_up{server=\"%s\",mode=\"%s\"} %d\n", s->server,
	    s->mode, s->session_up);
	if (s->control_up >= 0) {
		mbuf_family(b, "pktmon_control_up", METRICS_GAUGE,
		    "1 while the control channel to the server is up, else 0.");
		mbuf_printf(b, "pktmon_control_up{server=\"%s\"} %d\n", s->server,
		    s->control_up);
	}
	mbuf_family(b, "pktmon_loss_episode", METRICS_GAUGE,
	    "1 while a loss episode is open, else 0.");
	mbuf_printf(b, "pktmon_loss_episode{server=\"%s\"} %d\n", s->server,
	    s->in_episode);
	mbuf_family(b, "pktmon_outage", METRICS_GAUGE,
	    "1 while an outage (no replies and no control channel) is under way.");
	mbuf_printf(b, "pktmon_outage{server=\"%s\"} %d\n", s->server, s->in_outage);
	counter(b, s, "pktmon_loss_episodes", "Loss episodes that began.",
	    s->episodes);
	/* Quantiles without _sum and _count: a summary, as both formats allow. */
	mbuf_family(b, "pktmon_ipdv_seconds", METRICS_SUMMARY,
	    "Jitter: |RTT difference| of consecutive answered probes (RFC 5481 "
	    "IPDV on round trips), median and 99th percentile so far.");
	if (s->ipdv_median_ns >= 0) {
		mbuf_printf(b, "pktmon_ipdv_seconds{server=\"%s\",quantile=\"0.5\"} "
		    "%.9f\n", s->server, s->ipdv_median_ns / 1e9);
		mbuf_printf(b, "pktmon_ipdv_seconds{server=\"%s\",quantile=\"0.99\"} "
		    "%.9f\n", s->server, s->ipdv_p99_ns / 1e9);
	}
	histogram(b, s);
}
