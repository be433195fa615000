/*
 * Fuzz the STAMP decoders: both roles, both modes, and the HMAC check with a
 * fixed key. A packet that decodes must re-encode to its own base octets,
 * with every octet outside the fields zero.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../shared/buf.c"
#include "../../shared/stamp.c"
#include "../../shared/stamp_auth.c"

static volatile uint64_t sink;

/* Key 00 01 .. 1f; tests/fuzz/gen_corpus.py signs with the same. */
static const struct stamp_key fuzz_key = { STAMP_KEY_LEN, {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
} };

static void
mark(uint8_t *in_field, uint16_t off, size_t width)
{
	if (off != NONE)
		memset(in_field + off, 1, width);
}

static void
check_reencode(const uint8_t *data, int role, enum stamp_mode mode,
    const struct stamp_msg *m)
{
	const struct stamp_layout *l = &layouts[role][mode];
	uint8_t out[STAMP_AUTH_LEN], in_field[STAMP_AUTH_LEN];
	struct stamp_msg m2;
	size_t o;

	if (stamp_encode(out, sizeof(out), l, m) != 0)
		abort();
	memset(in_field, 0, sizeof(in_field));
	mark(in_field, l->seq, 4);
	mark(in_field, l->ts, 8);
	mark(in_field, l->err, 2);
	mark(in_field, l->ssid, 2);
	mark(in_field, l->rx_ts, 8);
	mark(in_field, l->s_seq, 4);
	mark(in_field, l->s_ts, 8);
	mark(in_field, l->s_err, 2);
	mark(in_field, l->s_ttl, 1);
	for (o = 0; o < l->base; o++)
		if (out[o] != (in_field[o] ? data[o] : 0))
			abort();
	if (stamp_decode(out, l->base, l, &m2) != 0 ||
	    m2.seq != m->seq || m2.ts != m->ts || m2.err_est != m->err_est ||
	    m2.ssid != m->ssid || m2.rx_ts != m->rx_ts ||
	    m2.sender_seq != m->sender_seq || m2.sender_ts != m->sender_ts ||
	    m2.sender_err_est != m->sender_err_est ||
	    m2.sender_ttl != m->sender_ttl)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum stamp_mode modes[] = { STAMP_UNAUTH, STAMP_AUTH };
	struct stamp_msg m;
	size_t i;
	/* One keyed context for the whole run, as a session has. */
	static struct stamp_mac *mac;
	int r;

	if (size > STAMP_MAX_LEN)
		return 0;
	for (i = 0; i < 2; i++) {
		r = stamp_decode_sender(data, size, modes[i], &m);
		sink += (uint64_t)-r;
		if (r == 0) {
			if ((m.err_est & 0xff) == 0)
				abort();	/* must have been discarded */
			sink += m.seq + m.ts + m.ssid;
			check_reencode(data, 0, modes[i], &m);
		}
		r = stamp_decode_reflector(data, size, modes[i], &m);
		sink += (uint64_t)-r;
		if (r == 0) {
			if ((m.err_est & 0xff) == 0)
				abort();
			sink += m.seq + m.rx_ts + m.sender_seq + m.sender_ttl;
			check_reencode(data, 1, modes[i], &m);
		}
	}
	if (mac == NULL && (mac = stamp_mac_new(&fuzz_key)) == NULL)
		abort();
	r = stamp_auth_verify(mac, data, size);
	if (r == 0 && size < STAMP_AUTH_LEN)
		abort();
	sink += (uint64_t)-r;
	return 0;
}
