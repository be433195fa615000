/*
 * buf: big-endian get/put, and the all-or-nothing rule: an access that does
 * not fit consumes nothing, marks the buffer bad, and every later access on
 * it fails too.
 */
#include "check.h"
#include "../../shared/buf.c"

static const uint8_t src[] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc,
};

enum width { W8 = 1, W16 = 2, W32 = 4, W64 = 8 };

static int
get_width(struct buf *b, enum width w, uint64_t *v)
{
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	int r = 0;

	switch (w) {
	case W8: r = buf_get_u8(b, &v8); *v = v8; break;
	case W16: r = buf_get_u16(b, &v16); *v = v16; break;
	case W32: r = buf_get_u32(b, &v32); *v = v32; break;
	case W64: r = buf_get_u64(b, v); break;
	}
	return r;
}

static int
put_width(struct buf *b, enum width w, uint64_t v)
{
	switch (w) {
	case W8: return buf_put_u8(b, (uint8_t)v);
	case W16: return buf_put_u16(b, (uint16_t)v);
	case W32: return buf_put_u32(b, (uint32_t)v);
	case W64: return buf_put_u64(b, v);
	}
	return PM_E_FORMAT;
}

static const struct get_case {
	const char *name;
	size_t len;		/* bytes of src the buffer sees */
	size_t skip;		/* consumed before the get */
	enum width w;
	int ret;
	uint64_t value;		/* when ret == 0 */
} get_cases[] = {
	{ "u8 at 0", 10, 0, W8, 0, 0x01 },
	{ "u8 at last octet", 10, 9, W8, 0, 0xdc },
	{ "u16 at 0", 10, 0, W16, 0, 0x0123 },
	{ "u16 at odd offset", 10, 1, W16, 0, 0x2345 },
	{ "u32 at 0", 10, 0, W32, 0, 0x01234567 },
	{ "u32 ending at last octet", 10, 6, W32, 0, 0xcdeffedc },
	{ "u64 at 0", 10, 0, W64, 0, 0x0123456789abcdefULL },
	{ "u64 ending at last octet", 10, 2, W64, 0, 0x456789abcdeffedcULL },
	{ "u8 from empty", 0, 0, W8, PM_E_SHORT, 0 },
	{ "u8 past end", 10, 10, W8, PM_E_SHORT, 0 },
	{ "u16 with one octet left", 10, 9, W16, PM_E_SHORT, 0 },
	{ "u32 with three left", 10, 7, W32, PM_E_SHORT, 0 },
	{ "u64 with seven left", 10, 3, W64, PM_E_SHORT, 0 },
	{ "u64 from a 4-octet buffer", 4, 0, W64, PM_E_SHORT, 0 },
};

static void
test_get(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(get_cases); i++) {
		const struct get_case *c = &get_cases[i];
		struct buf b;
		uint64_t v = 0xdeadbeef;

		buf_init_ro(&b, src, c->len);
		if (c->skip > 0 && !check_err(desc("%s: skip", c->name), 0,
		    buf_skip(&b, c->skip)))
			continue;
		if (!check_err(desc("%s: return", c->name), c->ret,
		    get_width(&b, c->w, &v)))
			continue;
		if (c->ret == 0) {
			check_u64(desc("%s: value", c->name), c->value, v);
			check_u64(desc("%s: cursor", c->name), c->skip + c->w, b.off);
			check_u64(desc("%s: bad flag", c->name), 0, (uint64_t)b.bad);
			continue;
		}
		check_u64(desc("%s: cursor unchanged", c->name), c->skip, b.off);
		check_u64(desc("%s: marked bad", c->name), 1, (uint64_t)b.bad);
		/* Once bad, even an access that would fit fails. */
		b.off = 0;
		check_err(desc("%s: u8 after bad", c->name), PM_E_SHORT,
		    get_width(&b, W8, &v));
	}
	check_done();
}

static const struct put_case {
	const char *name;
	enum width w;
	uint64_t value;
	uint8_t wire[8];
} put_cases[] = {
	{ "u8", W8, 0xa5, { 0xa5 } },
	{ "u16", W16, 0xbeef, { 0xbe, 0xef } },
	{ "u16 truncates wider value", W16, 0x12345678, { 0x56, 0x78 } },
	{ "u32", W32, 0xdeadbeef, { 0xde, 0xad, 0xbe, 0xef } },
	{ "u32 zero", W32, 0, { 0, 0, 0, 0 } },
	{ "u64", W64, 0x0102030405060708ULL, { 1, 2, 3, 4, 5, 6, 7, 8 } },
	{ "u64 max", W64, UINT64_MAX,
	    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
};

static void
test_put(void **state)
{
	size_t i, fit;

	(void)state;
	for (i = 0; i < NELEM(put_cases); i++) {
		const struct put_case *c = &put_cases[i];
		uint64_t mask = c->w == W64 ? UINT64_MAX : (1ULL << (8 * c->w)) - 1;
		uint8_t out[12];
		struct buf b;
		uint64_t back = 0;

		/* Lands big-endian at the cursor, nothing around it touched. */
		memset(out, 0x77, sizeof(out));
		buf_init(&b, out, sizeof(out));
		(void)buf_skip(&b, 2);
		if (!check_err(desc("%s: return", c->name), 0,
		    put_width(&b, c->w, c->value)))
			continue;
		check_mem(desc("%s: wire bytes", c->name), c->wire, out + 2, c->w);
		check_u64(desc("%s: octet before", c->name), 0x77, out[1]);
		check_u64(desc("%s: octet after", c->name), 0x77, out[2 + c->w]);
		check_u64(desc("%s: cursor", c->name), 2 + c->w, b.off);

		/* Reads back through get. */
		buf_init_ro(&b, out + 2, c->w);
		if (check_err(desc("%s: read back", c->name), 0,
		    get_width(&b, c->w, &back)))
			check_u64(desc("%s: read back", c->name), c->value & mask, back);

		/* Short by one or more octets: fails and writes nothing. */
		for (fit = 0; fit < c->w; fit++) {
			memset(out, 0x77, sizeof(out));
			buf_init(&b, out, fit);
			check_err(desc("%s into %zu octets", c->name, fit), PM_E_SHORT,
			    put_width(&b, c->w, c->value));
			check_u64(desc("%s into %zu octets: cursor", c->name, fit), 0,
			    b.off);
			check_u64(desc("%s into %zu octets: bad", c->name, fit), 1,
			    (uint64_t)b.bad);
			check_u64(desc("%s into %zu octets: untouched", c->name, fit),
			    0x77, out[0]);
		}
	}
	check_done();
}

static void
test_bytes_skip_zero(void **state)
{
	static const uint8_t want[] = { 0x01, 0x23, 0, 0, 0, 0x77 };
	uint8_t out[6], got[4];
	struct buf b;

	(void)state;
	buf_init_ro(&b, src, sizeof(src));
	check_u64("left on a fresh buffer", sizeof(src), buf_left(&b));
	check_err("get 4 bytes", 0, buf_get_bytes(&b, got, 4));
	check_mem("get 4 bytes", src, got, 4);
	check_err("skip 5", 0, buf_skip(&b, 5));
	check_u64("left after 9", 1, buf_left(&b));
	check_err("get 2 bytes with 1 left", PM_E_SHORT, buf_get_bytes(&b, got, 2));
	check_u64("left after a failed get", 1, buf_left(&b));
	check_err("skip 0 after bad", PM_E_SHORT, buf_skip(&b, 0));

	buf_init_ro(&b, src, 4);
	check_err("skip SIZE_MAX", PM_E_SHORT, buf_skip(&b, SIZE_MAX));
	check_u64("cursor after a huge skip", 0, b.off);

	memset(out, 0x77, sizeof(out));
	buf_init(&b, out, sizeof(out));
	check_err("put 2 bytes", 0, buf_put_bytes(&b, src, 2));
	check_err("put 3 zero", 0, buf_put_zero(&b, 3));
	check_err("put 2 zero with 1 left", PM_E_SHORT, buf_put_zero(&b, 2));
	check_mem("put bytes then zero", want, out, sizeof(out));

	buf_init(&b, out, 0);
	check_err("zero-length put into empty buffer", 0, buf_put_bytes(&b, src, 0));
	check_err("u8 into empty buffer", PM_E_SHORT, buf_put_u8(&b, 1));
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_bytes_skip_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
