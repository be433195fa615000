/*
 * ctl: the control-message codec and its tables. Wire images are written
 * out by hand from the field order in ctl.h, and the per-type lengths,
 * directions and states from the protocol description, so the tests do not
 * just read ctl.c's tables back.
 */
#include "check.h"
#include "../../shared/ctl.c"

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (n == cap || sscanf(s, "%2x", &v) != 1)
			fail_msg("bad hex in a test vector at \"%s\"", s);
		out[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

/* Independent copy of the protocol rules. */
#define FROM_C 1
#define FROM_S 2
#define IN_HELLO 1
#define IN_READY 2

static const struct rule {
	enum ctl_type type;
	const char *name;
	uint16_t minlen, maxlen;
	int from, states;
} rules[] = {
	{ CTL_HELLO, "HELLO", 4, 4, FROM_C, IN_HELLO },
	{ CTL_WELCOME, "WELCOME", 16, 16, FROM_S, IN_HELLO },
	{ CTL_OPEN, "OPEN", 8, 8, FROM_C, IN_READY },
	{ CTL_ACCEPT, "ACCEPT", 28, 28, FROM_S, IN_READY },
	{ CTL_RENEW, "RENEW", 6, 6, FROM_C, IN_READY },
	{ CTL_RENEWED, "RENEWED", 30, 30, FROM_S, IN_READY },
	{ CTL_CLOSE, "CLOSE", 2, 2, FROM_C, IN_READY },
	{ CTL_CLOSED, "CLOSED", 18, 18, FROM_S, IN_READY },
	{ CTL_KEEPALIVE, "KEEPALIVE", 0, 0, FROM_C | FROM_S, IN_READY },
	{ CTL_ERROR, "ERROR", 4, 4 + CTL_ERRTEXT_MAX, FROM_C | FROM_S,
	    IN_HELLO | IN_READY },
};

static const struct rule *
rule_for(unsigned type)
{
	size_t i;

	for (i = 0; i < NELEM(rules); i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

/* One message per type with distinct values, and its wire image. */
static const struct rt_case {
	const char *name;
	struct ctl_msg msg;
	const char *wire;
} rt_cases[] = {
	{ "HELLO", { .type = CTL_HELLO, .u.hello = { 0x01020304 } },
	    "01 01 0004 01020304" },
	{ "WELCOME", { .type = CTL_WELCOME,
	    .u.welcome = { 0x0a0b0c0d, 15000, 1000, 1500, 16 } },
	    "01 02 0010 0a0b0c0d 00003a98 000003e8 05dc 0010" },
	{ "OPEN", { .type = CTL_OPEN, .u.open = { 10000, 44, 40000 } },
	    "01 03 0008 00002710 002c 9c40" },
	{ "ACCEPT", { .type = CTL_ACCEPT, .u.accept = { 0x1234, 862, 10000, 112,
	    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 } } },
	    "01 04 001c 1234 035e 00002710 0070 0000"
	    " 000102030405060708090a0b0c0d0e0f" },
	{ "RENEW", { .type = CTL_RENEW,
	    .u.renew = { 0x1234, CTL_RENEW_WINDOW, 40001 } },
	    "01 05 0006 1234 02 00 9c41" },
	{ "RENEWED", { .type = CTL_RENEWED, .u.renewed = { { 0x1235, 862, 20000,
	    44, { 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
	    0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff } }, 0x1234 } },
	    "01 06 001e 1235 035e 00004e20 002c 0000"
	    " f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff 1234" },
	{ "CLOSE", { .type = CTL_CLOSE, .u.close = { 0x1235 } },
	    "01 07 0002 1235" },
	{ "CLOSED", { .type = CTL_CLOSED, .u.closed = { 0x1235,
	    0x0102030405060708ULL, 0x1112131415161718ULL } },
	    "01 08 0012 1235 0102030405060708 1112131415161718" },
	{ "KEEPALIVE", { .type = CTL_KEEPALIVE }, "01 09 0000" },
	{ "ERROR", { .type = CTL_ERROR, .u.error = { CTL_ERR_LIMIT, "rate limit" } },
	    "01 0a 000e 0003 0000 72617465206c696d6974" },
	{ "ERROR without text", { .type = CTL_ERROR,
	    .u.error = { CTL_ERR_INTERNAL, "" } },
	    "01 0a 0004 0004 0000" },
	{ "OPEN, all ones", { .type = CTL_OPEN,
	    .u.open = { UINT32_MAX, UINT16_MAX, UINT16_MAX } },
	    "01 03 0008 ffffffff ffff ffff" },
	{ "CLOSED, all ones", { .type = CTL_CLOSED,
	    .u.closed = { UINT16_MAX, UINT64_MAX, UINT64_MAX } },
	    "01 08 0012 ffff ffffffffffffffff ffffffffffffffff" },
};

#define MAX_FIELDS 8

struct fields {
	size_t n;
	const char *name[MAX_FIELDS];
	uint64_t v[MAX_FIELDS];
};

static void
add(struct fields *f, const char *name, uint64_t v)
{
	f->name[f->n] = name;
	f->v[f->n++] = v;
}

static uint64_t
nonce_half(const uint8_t *nonce, int half)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | nonce[8 * half + i];
	return v;
}

static void
grant_fields(struct fields *f, const struct ctl_grant *g)
{
	add(f, "ssid", g->ssid);
	add(f, "udp_port", g->udp_port);
	add(f, "interval_us", g->interval_us);
	add(f, "size", g->size);
	add(f, "nonce[0..7]", nonce_half(g->nonce, 0));
	add(f, "nonce[8..15]", nonce_half(g->nonce, 1));
}

/* The fields a message of its type carries (ERROR text apart). */
static void
msg_fields(const struct ctl_msg *m, struct fields *f)
{
	f->n = 0;
	add(f, "type", m->type);
	switch (m->type) {
	case CTL_HELLO:
		add(f, "features", m->u.hello.features);
		break;
	case CTL_WELCOME:
		add(f, "features", m->u.welcome.features);
		add(f, "keepalive_ms", m->u.welcome.keepalive_ms);
		add(f, "min_interval_us", m->u.welcome.min_interval_us);
		add(f, "max_size", m->u.welcome.max_size);
		add(f, "max_sessions", m->u.welcome.max_sessions);
		break;
	case CTL_OPEN:
		add(f, "interval_us", m->u.open.interval_us);
		add(f, "size", m->u.open.size);
		add(f, "udp_port", m->u.open.udp_port);
		break;
	case CTL_ACCEPT:
		grant_fields(f, &m->u.accept);
		break;
	case CTL_RENEW:
		add(f, "old_ssid", m->u.renew.old_ssid);
		add(f, "reason", m->u.renew.reason);
		add(f, "udp_port", m->u.renew.udp_port);
		break;
	case CTL_RENEWED:
		grant_fields(f, &m->u.renewed.grant);
		add(f, "old_ssid", m->u.renewed.old_ssid);
		break;
	case CTL_CLOSE:
		add(f, "ssid", m->u.close.ssid);
		break;
	case CTL_CLOSED:
		add(f, "ssid", m->u.closed.ssid);
		add(f, "received", m->u.closed.received);
		add(f, "reflected", m->u.closed.reflected);
		break;
	case CTL_KEEPALIVE:
		break;
	case CTL_ERROR:
		add(f, "code", m->u.error.code);
		break;
	case CTL_TYPE_MAX_:
		break;
	}
}

static void
test_round_trip(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(rt_cases); i++) {
		const struct rt_case *c = &rt_cases[i];
		uint8_t out[CTL_MAX_MSG], want[CTL_MAX_MSG];
		size_t wantlen = unhex(c->wire, want, sizeof(want));
		struct fields fe, fg;
		struct ctl_hdr h;
		struct ctl_msg m;
		int n;

		memset(out, 0xee, sizeof(out));
		n = ctl_encode(&c->msg, out, sizeof(out));
		if (!check_i64(desc("encode %s: length", c->name), (int64_t)wantlen, n))
			continue;
		check_mem(desc("encode %s: wire", c->name), want, out, wantlen);
		if (!check_err(desc("header of %s", c->name), 0,
		    ctl_hdr_decode(out, (size_t)n, &h)))
			continue;
		check_u64(desc("header of %s: body length", c->name),
		    wantlen - CTL_HDR_LEN, h.len);
		memset(&m, 0xa5, sizeof(m));
		if (!check_err(desc("decode %s", c->name), 0,
		    ctl_decode(&h, out + CTL_HDR_LEN, &m)))
			continue;
		msg_fields(&c->msg, &fe);
		msg_fields(&m, &fg);
		for (k = 0; k < fe.n && k < fg.n; k++)
			check_u64(desc("round trip %s: %s", c->name, fe.name[k]),
			    fe.v[k], fg.v[k]);
		if (c->msg.type == CTL_ERROR)
			check_str(desc("round trip %s: text", c->name),
			    c->msg.u.error.text, m.u.error.text);
	}
	check_done();
}

static void
test_every_type_has_a_case(void **state)
{
	unsigned t;
	size_t i;
	int seen;

	(void)state;
	for (t = 1; t < CTL_TYPE_MAX_; t++) {
		for (seen = 0, i = 0; i < NELEM(rt_cases); i++)
			seen |= rt_cases[i].msg.type == t;
		if (!seen)
			check_fail("round trip: expected a case for type %u (%s), "
			    "got none", t, ctl_type_name(t));
		if (rule_for(t) == NULL)
			check_fail("rules: expected a row for type %u, got none", t);
	}
	check_done();
}

static int
hdr(uint8_t version, uint8_t type, uint16_t len, size_t avail)
{
	uint8_t p[CTL_HDR_LEN] = { version, type, (uint8_t)(len >> 8), (uint8_t)len };
	struct ctl_hdr h;

	return ctl_hdr_decode(p, avail, &h);
}

static void
test_header(void **state)
{
	static const uint8_t bad_versions[] = { 0, 2, 0x7f, 0xff };
	static const uint8_t bad_types[] = { 0, CTL_TYPE_MAX_, 0x7f, 0xff };
	size_t i, avail;

	(void)state;
	for (avail = 0; avail < CTL_HDR_LEN; avail++)
		check_err(desc("header of %zu octets", avail), PM_E_SHORT,
		    hdr(CTL_VERSION, CTL_KEEPALIVE, 0, avail));
	for (i = 0; i < NELEM(bad_versions); i++)
		check_err(desc("header with version %u", bad_versions[i]),
		    PM_E_VERSION, hdr(bad_versions[i], CTL_HELLO, 4, CTL_HDR_LEN));
	for (i = 0; i < NELEM(bad_types); i++)
		check_err(desc("header with type %u", bad_types[i]), PM_E_TYPE,
		    hdr(CTL_VERSION, bad_types[i], 4, CTL_HDR_LEN));

	for (i = 0; i < NELEM(rules); i++) {
		const struct rule *r = &rules[i];
		unsigned len;

		/* Every length from 0 to past the largest, then the extremes. */
		for (len = 0; len <= CTL_MAX_BODY + 1; len++)
			check_err(desc("%s header with length %u", r->name, len),
			    len >= r->minlen && len <= r->maxlen ? 0 : PM_E_LENGTH,
			    hdr(CTL_VERSION, (uint8_t)r->type, (uint16_t)len,
			    CTL_HDR_LEN));
		check_err(desc("%s header with length 32768", r->name), PM_E_LENGTH,
		    hdr(CTL_VERSION, (uint8_t)r->type, 0x8000, CTL_HDR_LEN));
		/* Refused from the 4 header octets alone: nothing sized from it. */
		check_err(desc("%s header with length 65535", r->name), PM_E_LENGTH,
		    hdr(CTL_VERSION, (uint8_t)r->type, 0xffff, CTL_HDR_LEN));
	}
	check_done();
}

/* A receiver can use one CTL_MAX_MSG buffer: no type allows more. */
static void
test_max_body(void **state)
{
	unsigned t;

	(void)state;
	for (t = 1; t < CTL_TYPE_MAX_; t++)
		if (ctl_rules[t].maxlen > CTL_MAX_BODY || ctl_rules[t].name == NULL ||
		    ctl_rules[t].minlen > ctl_rules[t].maxlen)
			check_fail("ctl_rules[%u]: expected a name and %u <= min <= max "
			    "<= %u, got min %u max %u", t, 0, CTL_MAX_BODY,
			    ctl_rules[t].minlen, ctl_rules[t].maxlen);
	check_done();
}

static void
test_check(void **state)
{
	static const enum ctl_dir dirs[] = { CTL_FROM_CLIENT, CTL_FROM_SERVER };
	static const enum ctl_state sts[] = { CTL_ST_HELLO, CTL_ST_READY };
	size_t i, d, s;

	(void)state;
	for (i = 0; i < NELEM(rules); i++) {
		const struct rule *r = &rules[i];
		struct ctl_hdr h = { CTL_VERSION, (uint8_t)r->type, r->minlen };

		for (d = 0; d < NELEM(dirs); d++)
			for (s = 0; s < NELEM(sts); s++) {
				int from = dirs[d] == CTL_FROM_CLIENT ? FROM_C : FROM_S;
				int st = sts[s] == CTL_ST_HELLO ? IN_HELLO : IN_READY;

				check_err(desc("%s from the %s in state %s", r->name,
				    from == FROM_C ? "client" : "server",
				    st == IN_HELLO ? "HELLO" : "READY"),
				    (r->from & from) && (r->states & st) ? 0 : PM_E_STATE,
				    ctl_check(&h, dirs[d], sts[s]));
			}
	}
	check_done();
}

/* A body shorter or longer than its type needs is refused by the decoder. */
static void
test_truncated_body(void **state)
{
	uint8_t body[CTL_MAX_BODY];
	size_t i;

	(void)state;
	memset(body, 0x41, sizeof(body));
	for (i = 0; i < NELEM(rules); i++) {
		const struct rule *r = &rules[i];
		struct ctl_hdr h = { CTL_VERSION, (uint8_t)r->type, 0 };
		struct ctl_msg m;
		unsigned len;

		for (len = 0; len < r->minlen; len++) {
			h.len = (uint16_t)len;
			check_err(desc("decode %s with a %u-octet body", r->name, len),
			    PM_E_LENGTH, ctl_decode(&h, body, &m));
		}
		if (r->maxlen < CTL_MAX_BODY) {
			h.len = (uint16_t)(r->maxlen + 1);
			if (r->type != CTL_ERROR)
				check_err(desc("decode %s with a %u-octet body", r->name,
				    h.len), PM_E_LENGTH, ctl_decode(&h, body, &m));
		}
		h.len = r->minlen;
		check_err(desc("decode %s with a %u-octet body", r->name, h.len), 0,
		    ctl_decode(&h, body, &m));
	}
	check_done();
}

static const struct text_case {
	const char *name;
	const char *in;		/* hex of the text octets */
	const char *out;
} text_cases[] = {
	{ "printable", "48656c6c6f2c20776f726c6421", "Hello, world!" },
	{ "space and tilde", "207e", " ~" },
	{ "newline and CR", "610a620d63", "a?b?c" },
	{ "tab", "0974", "?t" },
	{ "escape sequence", "1b5b324a", "?[2J" },
	{ "NUL inside", "6100620063", "a?b?c" },
	{ "DEL", "7f", "?" },
	{ "high octets", "80c3a9ff", "????" },
	{ "empty", "", "" },
};

static void
test_error_text(void **state)
{
	uint8_t body[CTL_MAX_BODY];
	char want[CTL_ERRTEXT_MAX + 1];
	struct ctl_hdr h = { CTL_VERSION, CTL_ERROR, 0 };
	struct ctl_msg m;
	size_t i, n;

	(void)state;
	for (i = 0; i < NELEM(text_cases); i++) {
		const struct text_case *c = &text_cases[i];

		memset(body, 0x41, sizeof(body));
		body[0] = 0;
		body[1] = CTL_ERR_MALFORMED;
		body[2] = body[3] = 0;
		n = unhex(c->in, body + 4, CTL_ERRTEXT_MAX);
		h.len = (uint16_t)(4 + n);
		if (!check_err(desc("decode ERROR, %s", c->name), 0,
		    ctl_decode(&h, body, &m)))
			continue;
		check_u64(desc("decode ERROR, %s: code", c->name), CTL_ERR_MALFORMED,
		    m.u.error.code);
		check_str(desc("decode ERROR, %s: text", c->name), c->out,
		    m.u.error.text);
	}

	/* The longest text, all of it kept and terminated. */
	memset(body, 'x', sizeof(body));
	body[0] = body[1] = body[2] = body[3] = 0;
	h.len = 4 + CTL_ERRTEXT_MAX;
	memset(want, 'x', CTL_ERRTEXT_MAX);
	want[CTL_ERRTEXT_MAX] = '\0';
	if (check_err("decode ERROR with 200 text octets", 0,
	    ctl_decode(&h, body, &m)))
		check_str("decode ERROR with 200 text octets", want, m.u.error.text);
	check_done();
}

static void
test_encode_errors(void **state)
{
	uint8_t out[CTL_MAX_MSG];
	struct ctl_msg m;
	size_t i, cap;

	(void)state;
	for (i = 0; i < NELEM(rt_cases); i++) {
		const struct rt_case *c = &rt_cases[i];
		uint8_t want[CTL_MAX_MSG];
		size_t wantlen = unhex(c->wire, want, sizeof(want));

		for (cap = 0; cap < wantlen; cap++) {
			int r = ctl_encode(&c->msg, out, cap);

			if (r >= 0)
				check_fail("encode %s into %zu octets: expected an error, "
				    "got %d", c->name, cap, r);
		}
	}
	memset(&m, 0, sizeof(m));
	m.type = (enum ctl_type)0;
	check_err("encode type 0", PM_E_TYPE, ctl_encode(&m, out, sizeof(out)));
	m.type = CTL_TYPE_MAX_;
	check_err("encode type CTL_TYPE_MAX_", PM_E_TYPE,
	    ctl_encode(&m, out, sizeof(out)));

	/* Text past CTL_ERRTEXT_MAX is never sent, even if unterminated. */
	m.type = CTL_ERROR;
	memset(m.u.error.text, 'y', sizeof(m.u.error.text));
	check_i64("encode ERROR with an unterminated text",
	    CTL_HDR_LEN + 4 + CTL_ERRTEXT_MAX, ctl_encode(&m, out, sizeof(out)));
	check_done();
}

static void
test_names(void **state)
{
	static const struct {
		unsigned v;
		const char *name;
	} reasons[] = {
		{ CTL_RENEW_CONSECUTIVE, "consecutive-loss" },
		{ CTL_RENEW_WINDOW, "window-loss" },
		{ CTL_RENEW_MANUAL, "manual" },
		{ 0, "unknown" },
		{ 4, "unknown" },
		{ 255, "unknown" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(rules); i++)
		check_str(desc("ctl_type_name(%u)", rules[i].type), rules[i].name,
		    ctl_type_name(rules[i].type));
	check_str("ctl_type_name(0)", "unknown", ctl_type_name(0));
	check_str("ctl_type_name(CTL_TYPE_MAX_)", "unknown",
	    ctl_type_name(CTL_TYPE_MAX_));
	check_str("ctl_type_name(UINT_MAX)", "unknown", ctl_type_name(~0u));
	for (i = 0; i < NELEM(reasons); i++)
		check_str(desc("ctl_renew_reason_name(%u)", reasons[i].v),
		    reasons[i].name, ctl_renew_reason_name(reasons[i].v));
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_has_a_case),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_max_body),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
