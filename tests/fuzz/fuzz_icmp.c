/*
 * Fuzz the ICMP echo reply decoder as the client's raw and datagram sockets
 * meet it. The first octet chooses ICMPv6 (bit 0) and a leading IPv4 header
 * (bit 1, IPv4 only: raw sockets hand over the IP header); the rest is the
 * datagram. A reply that decodes must carry the magic and both sequence
 * numbers where the decoder says, and a TTL only when there was an IP
 * header. Then the input's id and sequence go through the encoder: the
 * request, turned into a reply, must decode to them, and an IPv4 request's
 * checksum must verify.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../shared/buf.c"
#include "../../shared/icmp.c"

static volatile uint64_t sink;

static void
check_decoded(const uint8_t *pkt, size_t len, int v6, int with_ip,
    const struct icmp_reply *r)
{
	size_t off = with_ip ? (size_t)(pkt[0] & 0x0f) * 4 : 0;

	if (with_ip ? r->ttl != pkt[8] : r->ttl != -1)
		abort();	/* the TTL comes from the IP header or is unknown */
	if (off + ICMP_MIN_LEN > len ||
	    pkt[off] != (v6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4) || pkt[off + 1] != 0 ||
	    memcmp(pkt + off + 8, magic, sizeof(magic)) != 0)
		abort();	/* a reply holds its header, the magic and the seq */
	if (r->id != (uint16_t)(pkt[off + 4] << 8 | pkt[off + 5]) ||
	    (uint16_t)r->seq != (uint16_t)(pkt[off + 6] << 8 | pkt[off + 7]) ||
	    r->seq != ((uint32_t)pkt[off + 12] << 24 | (uint32_t)pkt[off + 13] << 16 |
	    (uint32_t)pkt[off + 14] << 8 | pkt[off + 15]))
		abort();
	sink += r->seq;
}

/* What the encoder writes, answered, decodes to what was encoded. */
static void
round_trip(const uint8_t *data, size_t size, int v6)
{
	uint8_t pkt[1500];
	struct icmp_reply r;
	uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
	uint32_t seq = size >= 6 ? (uint32_t)data[2] << 24 | (uint32_t)data[3] << 16 |
	    (uint32_t)data[4] << 8 | data[5] : 0;
	size_t len = size % sizeof(pkt) + 1;

	if (icmp_echo_encode(pkt, len, v6, id, seq) != 0) {
		if (len >= ICMP_MIN_LEN)
			abort();	/* only a too short packet is refused */
		return;
	}
	if (!v6 && icmp_checksum(pkt, len) != 0)
		abort();
	pkt[0] = v6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4;
	if (icmp_echo_decode(pkt, len, v6, 0, &r) != 0 || r.id != id ||
	    r.seq != seq || r.ttl != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icmp_reply r;
	int v6, with_ip;

	if (size < 1)
		return 0;
	v6 = data[0] & 1;
	with_ip = !v6 && (data[0] & 2);
	data++;
	size--;
	if (icmp_echo_decode(data, size, v6, with_ip, &r) == 0)
		check_decoded(data, size, v6, with_ip, &r);
	round_trip(data, size, v6);
	return 0;
}
