/*
 * ctl: control message tables and codec (chrony candm.h + pktlength.c).
 */
#include <string.h>

#include "buf.h"
#include "ctl.h"

#define ST_HELLO (1u << CTL_ST_HELLO)
#define ST_READY (1u << CTL_ST_READY)
#define GRANT_LEN (2 + 2 + 4 + 2 + 2 + CTL_NONCE_LEN)

static const struct ctl_rule {
	const char *name;
	uint16_t minlen, maxlen;
	uint8_t from;		/* enum ctl_dir bits */
	uint8_t states;		/* bit per enum ctl_state */
} ctl_rules[CTL_TYPE_MAX_] = {
	[CTL_HELLO] = { "HELLO", 4, 4, CTL_FROM_CLIENT, ST_HELLO },
	[CTL_WELCOME] = { "WELCOME", 16, 16, CTL_FROM_SERVER, ST_HELLO },
	[CTL_OPEN] = { "OPEN", 8, 8, CTL_FROM_CLIENT, ST_READY },
	[CTL_ACCEPT] = { "ACCEPT", GRANT_LEN, GRANT_LEN, CTL_FROM_SERVER, ST_READY },
	[CTL_RENEW] = { "RENEW", 6, 6, CTL_FROM_CLIENT, ST_READY },
	[CTL_RENEWED] = { "RENEWED", GRANT_LEN + 2, GRANT_LEN + 2, CTL_FROM_SERVER, ST_READY },
	[CTL_CLOSE] = { "CLOSE", 2, 2, CTL_FROM_CLIENT, ST_READY },
	[CTL_CLOSED] = { "CLOSED", 18, 18, CTL_FROM_SERVER, ST_READY },
	[CTL_KEEPALIVE] = { "KEEPALIVE", 0, 0, CTL_FROM_CLIENT | CTL_FROM_SERVER, ST_READY },
	[CTL_ERROR] = { "ERROR", 4, 4 + CTL_ERRTEXT_MAX, CTL_FROM_CLIENT | CTL_FROM_SERVER,
	    ST_HELLO | ST_READY },
};

const char *
ctl_type_name(unsigned type)
{
	if (type == 0 || type >= CTL_TYPE_MAX_)
		return "unknown";
	return ctl_rules[type].name;
}

const char *
ctl_renew_reason_name(unsigned reason)
{
	switch (reason) {
	case CTL_RENEW_CONSECUTIVE: return "consecutive-loss";
	case CTL_RENEW_WINDOW: return "window-loss";
	case CTL_RENEW_MANUAL: return "manual";
	}
	return "unknown";
}

int
ctl_hdr_decode(const uint8_t *p, size_t len, struct ctl_hdr *h)
{
	struct buf b;

	buf_init_ro(&b, p, len);
	if (buf_get_u8(&b, &h->version) || buf_get_u8(&b, &h->type) ||
	    buf_get_u16(&b, &h->len))
		return PM_E_SHORT;
	if (h->version != CTL_VERSION)
		return PM_E_VERSION;
	if (h->type == 0 || h->type >= CTL_TYPE_MAX_)
		return PM_E_TYPE;
	if (h->len < ctl_rules[h->type].minlen || h->len > ctl_rules[h->type].maxlen)
		return PM_E_LENGTH;
	return 0;
}

int
ctl_check(const struct ctl_hdr *h, enum ctl_dir dir, enum ctl_state st)
{
	const struct ctl_rule *r = &ctl_rules[h->type];

	if (!(r->from & dir) || !(r->states & (1u << st)))
		return PM_E_STATE;
	return 0;
}

static void
grant_get(struct buf *b, struct ctl_grant *g)
{
	uint16_t pad;

	(void)buf_get_u16(b, &g->ssid);
	(void)buf_get_u16(b, &g->udp_port);
	(void)buf_get_u32(b, &g->interval_us);
	(void)buf_get_u16(b, &g->size);
	(void)buf_get_u16(b, &pad);
	(void)buf_get_bytes(b, g->nonce, CTL_NONCE_LEN);
}

static void
grant_put(struct buf *b, const struct ctl_grant *g)
{
	(void)buf_put_u16(b, g->ssid);
	(void)buf_put_u16(b, g->udp_port);
	(void)buf_put_u32(b, g->interval_us);
	(void)buf_put_u16(b, g->size);
	(void)buf_put_u16(b, 0);
	(void)buf_put_bytes(b, g->nonce, CTL_NONCE_LEN);
}

static void
error_text_get(struct buf *b, struct ctl_msg *m)
{
	size_t n = buf_left(b);
	size_t i;

	(void)buf_get_bytes(b, m->u.error.text, n);
	m->u.error.text[n] = '\0';
	/* The text is for a log line: keep it printable. */
	for (i = 0; i < n; i++)
		if (m->u.error.text[i] < 0x20 || m->u.error.text[i] > 0x7e)
			m->u.error.text[i] = '?';
}

int
ctl_decode(const struct ctl_hdr *h, const uint8_t *body, struct ctl_msg *m)
{
	struct buf b;
	uint8_t pad8;
	uint16_t pad16;

	buf_init_ro(&b, body, h->len);
	memset(m, 0, sizeof(*m));
	m->type = (enum ctl_type)h->type;
	switch (m->type) {
	case CTL_HELLO:
		(void)buf_get_u32(&b, &m->u.hello.features);
		break;
	case CTL_WELCOME:
		(void)buf_get_u32(&b, &m->u.welcome.features);
		(void)buf_get_u32(&b, &m->u.welcome.keepalive_ms);
		(void)buf_get_u32(&b, &m->u.welcome.min_interval_us);
		(void)buf_get_u16(&b, &m->u.welcome.max_size);
		(void)buf_get_u16(&b, &m->u.welcome.max_sessions);
		break;
	case CTL_OPEN:
		(void)buf_get_u32(&b, &m->u.open.interval_us);
		(void)buf_get_u16(&b, &m->u.open.size);
		(void)buf_get_u16(&b, &m->u.open.udp_port);
		break;
	case CTL_ACCEPT:
		grant_get(&b, &m->u.accept);
		break;
	case CTL_RENEW:
		(void)buf_get_u16(&b, &m->u.renew.old_ssid);
		(void)buf_get_u8(&b, &m->u.renew.reason);
		(void)buf_get_u8(&b, &pad8);
		(void)buf_get_u16(&b, &m->u.renew.udp_port);
		break;
	case CTL_RENEWED:
		grant_get(&b, &m->u.renewed.grant);
		(void)buf_get_u16(&b, &m->u.renewed.old_ssid);
		break;
	case CTL_CLOSE:
		(void)buf_get_u16(&b, &m->u.close.ssid);
		break;
	case CTL_CLOSED:
		(void)buf_get_u16(&b, &m->u.closed.ssid);
		(void)buf_get_u64(&b, &m->u.closed.received);
		(void)buf_get_u64(&b, &m->u.closed.reflected);
		break;
	case CTL_KEEPALIVE:
		break;
	case CTL_ERROR:
		(void)buf_get_u16(&b, &m->u.error.code);
		(void)buf_get_u16(&b, &pad16);
		error_text_get(&b, m);
		break;
	case CTL_TYPE_MAX_:
		return PM_E_TYPE;
	}
	if (b.bad || buf_left(&b) != 0)
		return PM_E_LENGTH;
	return 0;
}

static void
ctl_encode_body(const struct ctl_msg *m, struct buf *b)
{
	switch (m->type) {
	case CTL_HELLO:
		(void)buf_put_u32(b, m->u.hello.features);
		break;
	case CTL_WELCOME:
		(void)buf_put_u32(b, m->u.welcome.features);
		(void)buf_put_u32(b, m->u.welcome.keepalive_ms);
		(void)buf_put_u32(b, m->u.welcome.min_interval_us);
		(void)buf_put_u16(b, m->u.welcome.max_size);
		(void)buf_put_u16(b, m->u.welcome.max_sessions);
		break;
	case CTL_OPEN:
		(void)buf_put_u32(b, m->u.open.interval_us);
		(void)buf_put_u16(b, m->u.open.size);
		(void)buf_put_u16(b, m->u.open.udp_port);
		break;
	case CTL_ACCEPT:
		grant_put(b, &m->u.accept);
		break;
	case CTL_RENEW:
		(void)buf_put_u16(b, m->u.renew.old_ssid);
		(void)buf_put_u8(b, m->u.renew.reason);
		(void)buf_put_u8(b, 0);
		(void)buf_put_u16(b, m->u.renew.udp_port);
		break;
	case CTL_RENEWED:
		grant_put(b, &m->u.renewed.grant);
		(void)buf_put_u16(b, m->u.renewed.old_ssid);
		break;
	case CTL_CLOSE:
		(void)buf_put_u16(b, m->u.close.ssid);
		break;
	case CTL_CLOSED:
		(void)buf_put_u16(b, m->u.closed.ssid);
		(void)buf_put_u64(b, m->u.closed.received);
		(void)buf_put_u64(b, m->u.closed.reflected);
		break;
	case CTL_KEEPALIVE:
		break;
	case CTL_ERROR:
		(void)buf_put_u16(b, m->u.error.code);
		(void)buf_put_u16(b, 0);
		(void)buf_put_bytes(b, m->u.error.text,
		    strnlen(m->u.error.text, CTL_ERRTEXT_MAX));
		break;
	case CTL_TYPE_MAX_:
		b->bad = 1;
		break;
	}
}

int
ctl_encode(const struct ctl_msg *m, uint8_t *out, size_t cap)
{
	struct buf b;
	size_t body;

	if (m->type == 0 || m->type >= CTL_TYPE_MAX_ || cap < CTL_HDR_LEN)
		return PM_E_TYPE;
	buf_init(&b, out + CTL_HDR_LEN, cap - CTL_HDR_LEN);
	ctl_encode_body(m, &b);
	if (b.bad)
		return PM_E_SHORT;
	body = b.off;
	buf_init(&b, out, CTL_HDR_LEN);
	(void)buf_put_u8(&b, CTL_VERSION);
	(void)buf_put_u8(&b, (uint8_t)m->type);
	(void)buf_put_u16(&b, (uint16_t)body);
	return (int)(CTL_HDR_LEN + body);
}
