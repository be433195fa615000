/*
 * icmp: ICMP / ICMPv6 echo codec for pktmon-client --icmp. Pure.
 * The payload starts with "PKTM" and the 32-bit probe sequence number, so
 * replies map back to probes beyond the 16-bit ICMP sequence field and
 * stray echo replies from other programs are ignored.
 */
#ifndef PM_ICMP_H
#define PM_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define ICMP_HDR_LEN 8
#define ICMP_MIN_LEN (ICMP_HDR_LEN + 8)

struct icmp_reply {
	uint16_t id;
	uint32_t seq;	/* from the payload */
	int ttl;	/* from the IPv4 header when present, else -1 */
};

/*
 * Write an echo request of len octets (header + payload) into pkt. The
 * checksum is computed for IPv4; for ICMPv6 the kernel fills it in.
 */
int icmp_echo_encode(uint8_t *pkt, size_t len, int v6, uint16_t id,
    uint32_t seq) PM_MUST_CHECK;
/*
 * Decode an echo reply. with_ip: the datagram starts with an IPv4 header
 * (raw IPv4 sockets), which is skipped and its TTL taken.
 */
int icmp_echo_decode(const uint8_t *pkt, size_t len, int v6, int with_ip,
    struct icmp_reply *r) PM_MUST_CHECK;
uint16_t icmp_checksum(const uint8_t *p, size_t len);

#endif
