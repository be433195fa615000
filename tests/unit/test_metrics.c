/*
 * metrics: the choice of exposition format from an Accept header, and a
 * family's declaration in each format.
 */
#include "check.h"
#include "../../shared/metrics.c"

#define TEXT METRICS_TEXT
#define OM METRICS_OPENMETRICS

static void
test_negotiate(void **state)
{
	static const struct {
		const char *accept;
		enum metrics_format want;
	} cases[] = {
		{ NULL, TEXT },
		{ "", TEXT },
		{ "*/*", TEXT },
		{ "text/plain", TEXT },
		{ "text/plain; version=0.0.4", TEXT },
		{ "application/openmetrics-text", OM },
		{ "application/openmetrics-text; version=1.0.0; charset=utf-8", OM },
		{ "application/openmetrics-text;version=0.0.1", OM },
		{ "APPLICATION/OpenMetrics-Text", OM },
		{ "application/openmetrics-text; version=\"1.0.0\"", OM },
		/* Prometheus 2.x, its default scrape protocols */
		{ "application/openmetrics-text;version=1.0.0,"
		  "application/openmetrics-text;version=0.0.1;q=0.75,"
		  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OM },
		/* Prometheus 2.49+ with scrape_protocols: [PrometheusText0.0.4] */
		{ "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", TEXT },
		/* Prometheus 3 defaults */
		{ "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,"
		  "application/openmetrics-text;version=0.0.1;q=0.9,"
		  "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.8,"
		  "text/plain;version=0.0.4;q=0.7,*/*;q=0.6", OM },
		/* the higher q wins, wherever it is */
		{ "text/plain;q=0.5, application/openmetrics-text;q=0.9", OM },
		{ "application/openmetrics-text;q=0.5, text/plain;q=0.9", TEXT },
		{ "application/openmetrics-text;q=0.5, text/plain", TEXT },
		/* equal q: the first */
		{ "application/openmetrics-text, text/plain", OM },
		{ "text/plain, application/openmetrics-text", TEXT },
		{ "text/plain;q=0.8, application/openmetrics-text;q=0.800", TEXT },
		/* q=0 is "not acceptable" */
		{ "application/openmetrics-text;q=0", TEXT },
		{ "application/openmetrics-text;q=0.000, text/plain;q=0.1", TEXT },
		{ "text/plain;q=0, application/openmetrics-text;q=0.001", OM },
		/* versions this endpoint does not write are not it */
		{ "application/openmetrics-text; version=2.0.0", TEXT },
		{ "text/plain; version=1.0.0, application/openmetrics-text;q=0.1", OM },
		{ "application/vnd.google.protobuf;proto=io.prometheus.client."
		  "MetricFamily;encoding=delimited", TEXT },
		/* malformed q: the range is not acceptable */
		{ "application/openmetrics-text;q=2", TEXT },
		{ "application/openmetrics-text;q=1.5", TEXT },
		{ "application/openmetrics-text;q=0.", TEXT },
		{ "application/openmetrics-text;q=0.12345", TEXT },
		{ "application/openmetrics-text;q=abc", TEXT },
		{ "application/openmetrics-text;q=", TEXT },
		{ "application/openmetrics-text;q=1.000", OM },
		/* white space, empty ranges and parameters */
		{ " application/openmetrics-text ; q = 0.9 , text/plain;q=0.1", OM },
		{ ",,application/openmetrics-text;;,", OM },
		{ "application/openmetrics-textual", TEXT },
		{ "application/openmetrics", TEXT },
	};
	static const char *const name[] = { "text", "openmetrics" };
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		enum metrics_format got = metrics_negotiate(cases[i].accept);

		if (got != cases[i].want)
			check_fail("Accept: %s: expected %s, got %s",
			    cases[i].accept ? cases[i].accept : "(none)",
			    name[cases[i].want], name[got]);
	}
	check_done();
}

static void
test_family(void **state)
{
	static const struct {
		enum metrics_type type;
		const char *text, *om;
	} cases[] = {
		{ METRICS_COUNTER,
		  "# HELP x_total H.\n# TYPE x_total counter\n",
		  "# HELP x H.\n# TYPE x counter\n" },
		{ METRICS_GAUGE,
		  "# HELP x H.\n# TYPE x gauge\n",
		  "# HELP x H.\n# TYPE x gauge\n" },
		{ METRICS_SUMMARY,
		  "# HELP x H.\n# TYPE x summary\n",
		  "# HELP x H.\n# TYPE x summary\n" },
		{ METRICS_HISTOGRAM,
		  "# HELP x H.\n# TYPE x histogram\n",
		  "# HELP x H.\n# TYPE x histogram\n" },
		{ METRICS_INFO,
		  "# HELP x_info H.\n# TYPE x_info gauge\n",
		  "# HELP x H.\n# TYPE x info\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct mbuf t = { NULL, 0, 0, 0, METRICS_TEXT };
		struct mbuf o = { NULL, 0, 0, 0, METRICS_OPENMETRICS };

		mbuf_family(&t, "x", cases[i].type, "H.");
		mbuf_family(&o, "x", cases[i].type, "H.");
		if (check_u64(desc("type %zu: buffers", i), 0, (uint64_t)(t.failed |
		    o.failed))) {
			check_str(desc("type %zu in the text format", i),
			    cases[i].text, t.p);
			check_str(desc("type %zu in OpenMetrics", i), cases[i].om, o.p);
		}
		free(t.p);
		free(o.p);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
