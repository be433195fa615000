/*
 * stamp: the STAMP offsets live in one table, one row per (role, mode); the
 * encoders and decoders walk it, so no offset appears anywhere else.
 */
#include <string.h>

#include "buf.h"
#include "stamp.h"

#define NONE 0xffff

struct stamp_layout {
	uint16_t base;
	uint16_t seq, ts, err, ssid;
	uint16_t rx_ts, s_seq, s_ts, s_err, s_ttl;
};

/* [role][mode]: role 0 sender, 1 reflector; offsets from RFC 8762 §4.2-4.3. */
static const struct stamp_layout layouts[2][2] = {
	{
		{ STAMP_UNAUTH_LEN, 0, 4, 12, 14, NONE, NONE, NONE, NONE, NONE },
		{ STAMP_AUTH_LEN, 0, 16, 24, 26, NONE, NONE, NONE, NONE, NONE },
	},
	{
		{ STAMP_UNAUTH_LEN, 0, 4, 12, 14, 16, 24, 28, 36, 40 },
		{ STAMP_AUTH_LEN, 0, 16, 24, 26, 32, 48, 64, 72, 80 },
	},
};

size_t
stamp_base_len(enum stamp_mode mode)
{
	return layouts[0][mode].base;
}

static void
put_at(struct buf *b, uint16_t off, int width, uint64_t v)
{
	if (off == NONE)
		return;
	b->off = off;
	switch (width) {
	case 1: (void)buf_put_u8(b, (uint8_t)v); break;
	case 2: (void)buf_put_u16(b, (uint16_t)v); break;
	case 4: (void)buf_put_u32(b, (uint32_t)v); break;
	default: (void)buf_put_u64(b, v); break;
	}
}

static uint64_t
get_at(struct buf *b, uint16_t off, int width)
{
	uint64_t v = 0;

	if (off == NONE)
		return 0;
	b->off = off;
	switch (width) {
	case 1: { uint8_t x = 0; (void)buf_get_u8(b, &x); v = x; break; }
	case 2: { uint16_t x = 0; (void)buf_get_u16(b, &x); v = x; break; }
	case 4: { uint32_t x = 0; (void)buf_get_u32(b, &x); v = x; break; }
	default: (void)buf_get_u64(b, &v); break;
	}
	return v;
}

static int
stamp_encode(uint8_t *pkt, size_t len, const struct stamp_layout *l,
    const struct stamp_msg *m)
{
	struct buf b;

	if (len < l->base)
		return PM_E_SHORT;
	memset(pkt, 0, l->base);
	buf_init(&b, pkt, l->base);
	put_at(&b, l->seq, 4, m->seq);
	put_at(&b, l->ts, 8, m->ts);
	put_at(&b, l->err, 2, m->err_est);
	put_at(&b, l->ssid, 2, m->ssid);
	put_at(&b, l->rx_ts, 8, m->rx_ts);
	put_at(&b, l->s_seq, 4, m->sender_seq);
	put_at(&b, l->s_ts, 8, m->sender_ts);
	put_at(&b, l->s_err, 2, m->sender_err_est);
	put_at(&b, l->s_ttl, 1, m->sender_ttl);
	return b.bad ? PM_E_SHORT : 0;
}

static int
stamp_decode(const uint8_t *pkt, size_t len, const struct stamp_layout *l,
    struct stamp_msg *m)
{
	struct buf b;

	if (len < l->base)
		return PM_E_SHORT;
	buf_init_ro(&b, pkt, l->base);
	memset(m, 0, sizeof(*m));
	m->seq = (uint32_t)get_at(&b, l->seq, 4);
	m->ts = get_at(&b, l->ts, 8);
	m->err_est = (uint16_t)get_at(&b, l->err, 2);
	m->ssid = (uint16_t)get_at(&b, l->ssid, 2);
	m->rx_ts = get_at(&b, l->rx_ts, 8);
	m->sender_seq = (uint32_t)get_at(&b, l->s_seq, 4);
	m->sender_ts = get_at(&b, l->s_ts, 8);
	m->sender_err_est = (uint16_t)get_at(&b, l->s_err, 2);
	m->sender_ttl = (uint8_t)get_at(&b, l->s_ttl, 1);
	if (b.bad)
		return PM_E_SHORT;
	if ((m->err_est & 0xff) == 0)
		return PM_E_FORMAT;
	return 0;
}

int
stamp_encode_sender(uint8_t *pkt, size_t len, enum stamp_mode mode,
    const struct stamp_msg *m)
{
	return stamp_encode(pkt, len, &layouts[0][mode], m);
}

int
stamp_encode_reflector(uint8_t *pkt, size_t len, enum stamp_mode mode,
    const struct stamp_msg *m)
{
	return stamp_encode(pkt, len, &layouts[1][mode], m);
}

int
stamp_decode_sender(const uint8_t *pkt, size_t len, enum stamp_mode mode,
    struct stamp_msg *m)
{
	return stamp_decode(pkt, len, &layouts[0][mode], m);
}

int
stamp_decode_reflector(const uint8_t *pkt, size_t len, enum stamp_mode mode,
    struct stamp_msg *m)
{
	return stamp_decode(pkt, len, &layouts[1][mode], m);
}

void
stamp_reply_init(struct stamp_msg *out, const struct stamp_msg *in,
    uint32_t refl_seq, uint64_t rx_ts, int ttl, uint16_t err_est)
{
	memset(out, 0, sizeof(*out));
	out->seq = refl_seq;
	out->err_est = err_est;
	out->ssid = in->ssid;
	out->rx_ts = rx_ts;
	out->sender_seq = in->seq;
	out->sender_ts = in->ts;
	out->sender_err_est = in->err_est;
	out->sender_ttl = ttl >= 0 ? (uint8_t)ttl : 0;
}

uint16_t
stamp_error_estimate(int synced, uint64_t err_ns)
{
	/* Error = Multiplier * 2^(Scale-32) s; find the smallest scale that fits. */
	uint64_t units;
	unsigned scale = 0;

	if (err_ns > 2000000000ULL)
		err_ns = 2000000000ULL;	/* keep the shift below from overflowing */
	units = (err_ns << 32) / 1000000000ULL;	/* in 2^-32 s */

	while ((units >> scale) > 255 && scale < 63)
		scale++;
	if ((units >> scale) == 0)
		units = 1ULL << scale;
	return (uint16_t)((synced ? STAMP_EE_S : 0) | (scale << 8) |
	    ((units >> scale) & 0xff));
}
