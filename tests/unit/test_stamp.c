/*
 * stamp: the codec against an offset table written here from RFC 8762 §4.2
 * and §4.3 (not from stamp.c's own table): every field at its offset, big
 * endian; every other octet of the base packet zero on encode and ignored on
 * decode; octets past the base left alone; short packets and Error Estimate
 * multiplier 0 rejected.
 */
#include "check.h"
#include "../../shared/stamp.c"

enum field {
	F_SEQ, F_TS, F_ERR, F_SSID, F_RX_TS, F_S_SEQ, F_S_TS, F_S_ERR, F_S_TTL,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"seq", "timestamp", "error estimate", "ssid", "receive timestamp",
	"sender seq", "sender timestamp", "sender error estimate", "sender ttl",
};

static const unsigned field_width[F_COUNT] = { 4, 8, 2, 2, 8, 4, 8, 2, 1 };

#define ABSENT (-1)

static const struct layout_case {
	const char *name;
	int reflector;
	enum stamp_mode mode;
	size_t base;
	int off[F_COUNT];
} layout_cases[] = {
	{ "sender, unauthenticated", 0, STAMP_UNAUTH, 44,
	    { 0, 4, 12, 14, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT } },
	{ "reflector, unauthenticated", 1, STAMP_UNAUTH, 44,
	    { 0, 4, 12, 14, 16, 24, 28, 36, 40 } },
	{ "sender, authenticated", 0, STAMP_AUTH, 112,
	    { 0, 16, 24, 26, ABSENT, ABSENT, ABSENT, ABSENT, ABSENT } },
	{ "reflector, authenticated", 1, STAMP_AUTH, 112,
	    { 0, 16, 24, 26, 32, 48, 64, 72, 80 } },
};

/* Every field gets distinct octets, so a field at a wrong offset shows. */
static const struct stamp_msg sample = {
	.seq = 0x11121314,
	.ts = 0x2122232425262728ULL,
	.err_est = 0x3132,
	.ssid = 0x4142,
	.rx_ts = 0x5152535455565758ULL,
	.sender_seq = 0x61626364,
	.sender_ts = 0x7172737475767778ULL,
	.sender_err_est = 0x8182,
	.sender_ttl = 0x91,
};

static uint64_t
field_value(const struct stamp_msg *m, enum field f)
{
	switch (f) {
	case F_SEQ: return m->seq;
	case F_TS: return m->ts;
	case F_ERR: return m->err_est;
	case F_SSID: return m->ssid;
	case F_RX_TS: return m->rx_ts;
	case F_S_SEQ: return m->sender_seq;
	case F_S_TS: return m->sender_ts;
	case F_S_ERR: return m->sender_err_est;
	case F_S_TTL: return m->sender_ttl;
	case F_COUNT: break;
	}
	return 0;
}

static uint64_t
read_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
write_be(uint8_t *p, unsigned n, uint64_t v)
{
	for (; n > 0; n--, v >>= 8)
		p[n - 1] = (uint8_t)v;
}

/* Which octets of the base packet belong to a field of this layout. */
static void
field_map(const struct layout_case *c, uint8_t in_field[STAMP_AUTH_LEN])
{
	int f;

	memset(in_field, 0, STAMP_AUTH_LEN);
	for (f = 0; f < F_COUNT; f++)
		if (c->off[f] != ABSENT)
			memset(in_field + c->off[f], 1, field_width[f]);
}

static int
encode(const struct layout_case *c, uint8_t *pkt, size_t len,
    const struct stamp_msg *m)
{
	return c->reflector ? stamp_encode_reflector(pkt, len, c->mode, m) :
	    stamp_encode_sender(pkt, len, c->mode, m);
}

static int
decode(const struct layout_case *c, const uint8_t *pkt, size_t len,
    struct stamp_msg *m)
{
	return c->reflector ? stamp_decode_reflector(pkt, len, c->mode, m) :
	    stamp_decode_sender(pkt, len, c->mode, m);
}

static void
test_base_len(void **state)
{
	(void)state;
	check_u64("stamp_base_len(STAMP_UNAUTH)", 44, stamp_base_len(STAMP_UNAUTH));
	check_u64("stamp_base_len(STAMP_AUTH)", 112, stamp_base_len(STAMP_AUTH));
	check_done();
}

static void
test_encode_offsets(void **state)
{
	size_t i, o;
	int f;

	(void)state;
	for (i = 0; i < NELEM(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];
		uint8_t pkt[STAMP_AUTH_LEN + 16], in_field[STAMP_AUTH_LEN];

		memset(pkt, 0xee, sizeof(pkt));
		if (!check_err(desc("encode %s", c->name), 0,
		    encode(c, pkt, c->base + 16, &sample)))
			continue;
		for (f = 0; f < F_COUNT; f++)
			if (c->off[f] != ABSENT)
				check_u64(desc("encode %s: %s at octet %d", c->name,
				    field_names[f], c->off[f]), field_value(&sample, f),
				    read_be(pkt + c->off[f], field_width[f]));
		/* MBZ (and, authenticated, the HMAC) zero; TLV area untouched. */
		field_map(c, in_field);
		for (o = 0; o < c->base; o++)
			if (!in_field[o] && pkt[o] != 0) {
				check_fail("encode %s: MBZ octet %zu: expected 0x00, "
				    "got 0x%02x", c->name, o, pkt[o]);
				break;
			}
		for (o = c->base; o < c->base + 16; o++)
			if (pkt[o] != 0xee) {
				check_fail("encode %s: octet %zu past the base: "
				    "expected 0xee (untouched), got 0x%02x", c->name, o,
				    pkt[o]);
				break;
			}
	}
	check_done();
}

static void
test_decode_offsets(void **state)
{
	size_t i, o;
	int f;

	(void)state;
	for (i = 0; i < NELEM(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];
		uint8_t pkt[STAMP_AUTH_LEN + 64], in_field[STAMP_AUTH_LEN];
		struct stamp_msg m;
		size_t len;

		/* MBZ octets set: a receiver ignores them. */
		field_map(c, in_field);
		for (o = 0; o < sizeof(pkt); o++)
			pkt[o] = o < c->base && in_field[o] ? 0 : 0xff;
		for (f = 0; f < F_COUNT; f++)
			if (c->off[f] != ABSENT)
				write_be(pkt + c->off[f], field_width[f],
				    field_value(&sample, f));
		for (len = c->base; len <= c->base + 64; len += 64) {
			memset(&m, 0xa5, sizeof(m));
			if (!check_err(desc("decode %s, %zu octets", c->name, len), 0,
			    decode(c, pkt, len, &m)))
				continue;
			for (f = 0; f < F_COUNT; f++)
				check_u64(desc("decode %s, %zu octets: %s", c->name, len,
				    field_names[f]), c->off[f] == ABSENT ? 0 :
				    field_value(&sample, f), field_value(&m, f));
		}
	}
	check_done();
}

/* decode(encode(m)) == m for the fields the layout carries. */
static void
test_round_trip(void **state)
{
	static const struct stamp_msg extremes[] = {
		{ 0, 0, 1, 0, 0, 0, 0, 0, 0 },
		{ UINT32_MAX, UINT64_MAX, UINT16_MAX, UINT16_MAX, UINT64_MAX,
		    UINT32_MAX, UINT64_MAX, UINT16_MAX, UINT8_MAX },
	};
	size_t i, k;
	int f;

	(void)state;
	for (i = 0; i < NELEM(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];

		for (k = 0; k < NELEM(extremes); k++) {
			uint8_t pkt[STAMP_AUTH_LEN];
			struct stamp_msg m;

			if (!check_err(desc("encode %s, extreme %zu", c->name, k), 0,
			    encode(c, pkt, c->base, &extremes[k])) ||
			    !check_err(desc("decode %s, extreme %zu", c->name, k), 0,
			    decode(c, pkt, c->base, &m)))
				continue;
			for (f = 0; f < F_COUNT; f++)
				check_u64(desc("round trip %s, extreme %zu: %s", c->name, k,
				    field_names[f]), c->off[f] == ABSENT ? 0 :
				    field_value(&extremes[k], f), field_value(&m, f));
		}
	}
	check_done();
}

static void
test_short(void **state)
{
	static const size_t shorts[] = { 0, 1, 43, 44, 111 };
	size_t i, k, o;

	(void)state;
	for (i = 0; i < NELEM(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];
		uint8_t pkt[STAMP_AUTH_LEN];
		struct stamp_msg m;

		memset(pkt, 0, sizeof(pkt));
		write_be(pkt + c->off[F_ERR], 2, 0x0001);
		for (k = 0; k < NELEM(shorts); k++) {
			if (shorts[k] >= c->base)
				continue;
			check_err(desc("decode %s, %zu octets", c->name, shorts[k]),
			    PM_E_SHORT, decode(c, pkt, shorts[k], &m));
		}

		memset(pkt, 0xee, sizeof(pkt));
		check_err(desc("encode %s into %zu octets", c->name, c->base - 1),
		    PM_E_SHORT, encode(c, pkt, c->base - 1, &sample));
		for (o = 0; o < sizeof(pkt); o++)
			if (pkt[o] != 0xee) {
				check_fail("encode %s into %zu octets: wrote octet %zu",
				    c->name, c->base - 1, o);
				break;
			}
	}
	check_done();
}

/* RFC 8762 §4.2.1: Multiplier 0 is invalid; the packet is discarded. */
static const struct ee_case {
	uint16_t err_est;
	int ret;
} ee_cases[] = {
	{ 0x0000, PM_E_FORMAT },
	{ 0x8000, PM_E_FORMAT },	/* S set, multiplier 0 */
	{ 0x4000, PM_E_FORMAT },	/* Z set, multiplier 0 */
	{ 0x3f00, PM_E_FORMAT },	/* largest scale, multiplier 0 */
	{ 0xff00, PM_E_FORMAT },
	{ 0x0001, 0 },
	{ 0x0080, 0 },		/* only the multiplier's top bit */
	{ 0x00ff, 0 },
	{ 0x8101, 0 },
	{ 0xffff, 0 },
};

static void
test_error_estimate_zero(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NELEM(layout_cases); i++) {
		const struct layout_case *c = &layout_cases[i];

		for (k = 0; k < NELEM(ee_cases); k++) {
			uint8_t pkt[STAMP_AUTH_LEN];
			struct stamp_msg m;

			memset(pkt, 0, sizeof(pkt));
			write_be(pkt + c->off[F_ERR], 2, ee_cases[k].err_est);
			check_err(desc("decode %s with Error Estimate 0x%04x", c->name,
			    ee_cases[k].err_est), ee_cases[k].ret,
			    decode(c, pkt, c->base, &m));
		}
	}
	check_done();
}

/*
 * Error = Multiplier * 2^(Scale - 32) s. Expected values worked out by hand:
 * 1 s = 128 * 2^(25-32); 1 ms -> 2^32/1000 = 4294967 units, >> 15 = 131.
 */
static const struct ee_make_case {
	int synced;
	uint64_t err_ns;
	uint16_t want;
} ee_make_cases[] = {
	{ 0, 0, 0x0001 },		/* never multiplier 0 */
	{ 1, 0, 0x8001 },
	{ 0, 1, 0x0004 },		/* 1 ns = 4.29 units of 2^-32 s */
	{ 0, 1000000, 0x0f83 },
	{ 1, 1000000, 0x8f83 },
	{ 0, 1000000000, 0x1980 },
	{ 1, 1000000000, 0x9980 },
	{ 0, 2000000000, 0x1a80 },
	{ 0, UINT64_MAX, 0x1a80 },	/* clamped to 2 s */
};

static void
test_error_estimate_make(void **state)
{
	uint64_t err_ns;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ee_make_cases); i++) {
		const struct ee_make_case *c = &ee_make_cases[i];

		check_u64(desc("stamp_error_estimate(%d, %llu)", c->synced,
		    (unsigned long long)c->err_ns), c->want,
		    stamp_error_estimate(c->synced, c->err_ns));
	}
	/* Any bound up to 2 s: multiplier non-zero, Z clear, within 1/128. */
	for (err_ns = 1; err_ns <= 2000000000ULL; err_ns = err_ns * 3 + 1) {
		uint16_t ee = stamp_error_estimate(0, err_ns);
		unsigned scale = (ee >> 8) & 0x3f, mult = ee & 0xff;
		double got = mult * (double)(1ULL << scale) / 4294967296.0 * 1e9;
		double want = (double)err_ns;

		if (mult == 0 || (ee & (STAMP_EE_S | STAMP_EE_Z)) != 0 ||
		    got > want + 0.25 || got < want - want / 128 - 0.25)
			check_fail("stamp_error_estimate(0, %llu): expected ~%.0f ns, "
			    "got 0x%04x = %.3f ns", (unsigned long long)err_ns, want,
			    ee, got);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_len),
		cmocka_unit_test(test_encode_offsets),
		cmocka_unit_test(test_decode_offsets),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_error_estimate_zero),
		cmocka_unit_test(test_error_estimate_make),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
