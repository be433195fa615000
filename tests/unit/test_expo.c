/*
 * expo: the client's families, rendered once for both exposition formats.
 */
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
		"pktmon_rtt_seconds_bucket{server=\"192.0.2.1:862\",le=\"0.0001\"} 0",
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
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
