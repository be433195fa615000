/*
 * expo: the client's RTT buckets, and its families rendered once for both
 * exposition formats.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "../../client/expo.c"

/* Whether line (a whole line, without its newline) is in text. */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void
test_bounds(void **state)
{
	/* smokeping_prober's default buckets: 50 us doubling, 20 of them */
	double smokeping = 0.00005;
	unsigned i, k = 0;

	(void)state;
	if (expo_bounds[0] > 0.00005)
		check_fail("first bound: expected <= 50 us, got %g s", expo_bounds[0]);
	for (i = 1; i < EXPO_NBUCKETS; i++)
		if (expo_bounds[i] != 2 * expo_bounds[i - 1])
			check_fail("bound %u: expected twice %g, got %g", i,
			    expo_bounds[i - 1], expo_bounds[i]);
	for (i = 0; i < EXPO_NBUCKETS && k < 20; i++)
		if (fabs(expo_bounds[i] - smokeping) < smokeping * 1e-12) {
			k++;
			smokeping *= 2;
		}
	check_u64("smokeping_prober's bounds among ours", 20, k);
	check_done();
}

static void
test_rtt_add(void **state)
{
	static const struct {
		int64_t rtt_ns;
		unsigned bucket;	/* index of the first bound >= rtt */
	} cases[] = {
		{ 0, 0 },
		{ 12500, 0 },		/* a bound is in its own bucket (le) */
		{ 12501, 1 },
		{ 30000, 2 },
		{ 100000, 3 },
		{ 20000000, 11 },	/* 20 ms: (12.8, 25.6] ms */
		{ 150000000, 14 },	/* 150 ms: (102.4, 204.8] ms */
		{ 26214400000LL, 21 },
		{ 26214400001LL, EXPO_NBUCKETS },	/* +Inf */
		{ 60000000000LL, EXPO_NBUCKETS },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct expo_rtt h;
		unsigned b;

		memset(&h, 0, sizeof(h));
		expo_rtt_add(&h, cases[i].rtt_ns);
		for (b = 0; b <= EXPO_NBUCKETS && h.bucket[b] == 0; b++)
			;
		check_u64(desc("RTT %lld ns: bucket", (long long)cases[i].rtt_ns),
		    cases[i].bucket, b);
		check_u64(desc("RTT %lld ns: count", (long long)cases[i].rtt_ns),
		    1, h.count);
	}
	check_done();
}

static char *
render(enum metrics_format f, struct expo_marks *marks)
{
	struct expo_rtt rtt;
	struct expo_snapshot s;
	struct mbuf b = { NULL, 0, 0, 0, f };

	memset(&rtt, 0, sizeof(rtt));
	expo_rtt_add(&rtt, 150000000);
	memset(&s, 0, sizeof(s));
	s.server = "192.0.2.1:862";
	s.mode = "stamp-auth";
	s.c.sent = 10;
	s.c.answered = 9;
	s.c.lost_fwd = 1;
	s.renewals_window = 2;
	s.control_up = 1;
	s.session_up = 1;
	s.ipdv_median_ns = 1000;
	s.ipdv_p99_ns = 5000;
	s.rtt = &rtt;
	s.marks = marks;
	expo_render(&s, &b);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* The same samples in both formats; only the families' declarations differ. */
static void
test_render(void **state)
{
	static const char *const samples[] = {
		"pktmon_probes_sent_total{server=\"192.0.2.1:862\"} 10",
		"pktmon_probes_received_total{server=\"192.0.2.1:862\"} 9",
		"pktmon_probes_lost_total{server=\"192.0.2.1:862\",direction=\"forward\"} 1",
		"pktmon_renewals_total{server=\"192.0.2.1:862\",reason=\"window-loss\"} 2",
		"pktmon_control_up{server=\"192.0.2.1:862\"} 1",
		"pktmon_ipdv_seconds{server=\"192.0.2.1:862\",quantile=\"0.99\"} 0.000005000",
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"1.25e-05\"} 0",
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"0.1024\"} 0",
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"0.2048\"} 1",
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"26.2144\"} 1",
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"+Inf\"} 1",
	};
	static const struct {
		const char *text, *om;
	} decl[] = {
		{ "# TYPE pktmon_probes_sent_total counter",
		  "# TYPE pktmon_probes_sent counter" },
		{ "# TYPE pktmon_probes_lost_total counter",
		  "# TYPE pktmon_probes_lost counter" },
		{ "# TYPE pktmon_renewals_total counter",
		  "# TYPE pktmon_renewals counter" },
		{ "# TYPE pktmon_loss_episodes_total counter",
		  "# TYPE pktmon_loss_episodes counter" },
		{ "# TYPE pktmon_control_up gauge", "# TYPE pktmon_control_up gauge" },
		{ "# TYPE pktmon_ipdv_seconds summary",
		  "# TYPE pktmon_ipdv_seconds summary" },
		{ "# TYPE pktmon_rtt_seconds histogram",
		  "# TYPE pktmon_rtt_seconds histogram" },
	};
	struct expo_marks marks;
	char *text, *om;
	size_t i;

	(void)state;
	memset(&marks, 0, sizeof(marks));
	text = render(METRICS_TEXT, &marks);
	om = render(METRICS_OPENMETRICS, &marks);
	if (text == NULL || om == NULL) {
		check_fail("render: out of memory");
		goto out;
	}
	for (i = 0; i < NELEM(samples); i++) {
		if (!has_line(text, samples[i]))
			check_fail("text format: expected the line %s", samples[i]);
		if (!has_line(om, samples[i]))
			check_fail("OpenMetrics: expected the line %s", samples[i]);
	}
	for (i = 0; i < NELEM(decl); i++) {
		if (!has_line(text, decl[i].text))
			check_fail("text format: expected the line %s", decl[i].text);
		if (!has_line(om, decl[i].om))
			check_fail("OpenMetrics: expected the line %s", decl[i].om);
	}
	if (strstr(text, "# EOF") != NULL || strstr(om, "# EOF") != NULL)
		check_fail("expo_render: expected no \"# EOF\" (the endpoint adds it)");
out:
	free(text);
	free(om);
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_rtt_add),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
