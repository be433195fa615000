/*
 * icmp: echo request/reply codec over struct buf.
 */
#include <string.h>

#include "buf.h"
#include "icmp.h"

#define ECHO_REQUEST_V4 8
#define ECHO_REPLY_V4 0
#define ECHO_REQUEST_V6 128
#define ECHO_REPLY_V6 129

static const uint8_t magic[4] = { 'P', 'K', 'T', 'M' };

uint16_t
icmp_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
icmp_echo_encode(uint8_t *pkt, size_t len, int v6, uint16_t id, uint32_t seq)
{
	struct buf b;
	size_t i;

	if (len < ICMP_MIN_LEN)
		return PM_E_SHORT;
	buf_init(&b, pkt, len);
	(void)buf_put_u8(&b, v6 ? ECHO_REQUEST_V6 : ECHO_REQUEST_V4);
	(void)buf_put_u8(&b, 0);
	(void)buf_put_u16(&b, 0);	/* checksum, below */
	(void)buf_put_u16(&b, id);
	(void)buf_put_u16(&b, (uint16_t)seq);
	(void)buf_put_bytes(&b, magic, sizeof(magic));
	(void)buf_put_u32(&b, seq);
	for (i = b.off; i < len; i++)
		pkt[i] = (uint8_t)i;	/* ping-style fill pattern */
	if (!v6) {
		uint16_t sum = icmp_checksum(pkt, len);

		pkt[2] = (uint8_t)(sum >> 8);
		pkt[3] = (uint8_t)sum;
	}
	return b.bad ? PM_E_SHORT : 0;
}

static int
skip_ipv4(struct buf *b, int *ttl)
{
	uint8_t vihl, tos, t;
	size_t ihl;

	if (buf_get_u8(b, &vihl) || (vihl >> 4) != 4)
		return PM_E_FORMAT;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || buf_get_u8(b, &tos) || buf_skip(b, 6) ||
	    buf_get_u8(b, &t) || buf_skip(b, ihl - 9))
		return PM_E_SHORT;
	*ttl = t;
	return 0;
}

int
icmp_echo_decode(const uint8_t *pkt, size_t len, int v6, int with_ip,
    struct icmp_reply *r)
{
	uint8_t type, code, m[4];
	uint16_t sum, seq16;
	struct buf b;

	buf_init_ro(&b, pkt, len);
	r->ttl = -1;
	if (with_ip && skip_ipv4(&b, &r->ttl) != 0)
		return PM_E_FORMAT;
	if (buf_get_u8(&b, &type) || buf_get_u8(&b, &code) ||
	    buf_get_u16(&b, &sum) || buf_get_u16(&b, &r->id) ||
	    buf_get_u16(&b, &seq16) || buf_get_bytes(&b, m, sizeof(m)) ||
	    buf_get_u32(&b, &r->seq))
		return PM_E_SHORT;
	if (type != (v6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4) || code != 0 ||
	    memcmp(m, magic, sizeof(m)) != 0 || seq16 != (uint16_t)r->seq)
		return PM_E_FORMAT;
	return 0;
}
