/*
 * stamp: STAMP (RFC 8762) packet codec with the RFC 8972 SSID, for both
 * sizes (44-octet unauthenticated, 112-octet authenticated) and both roles.
 * Pure: no sockets, no clocks. The HMAC field is left zero by encoders and
 * ignored by decoders; stamp_auth owns it.
 */
#ifndef PM_STAMP_H
#define PM_STAMP_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define STAMP_UNAUTH_LEN 44
#define STAMP_AUTH_LEN 112
#define STAMP_HMAC_OFF 96
#define STAMP_HMAC_LEN 16
#define STAMP_MAX_LEN 9000

#define STAMP_EE_S 0x8000	/* clock synchronised to UTC */
#define STAMP_EE_Z 0x4000	/* PTP timestamp format */

enum stamp_mode { STAMP_UNAUTH = 0, STAMP_AUTH = 1 };

struct stamp_msg {
	uint32_t seq;		/* sender: sender seq; reflector: reflector seq */
	uint64_t ts;		/* NTP transmit timestamp of this packet */
	uint16_t err_est;
	uint16_t ssid;
	/* reflector packets only */
	uint64_t rx_ts;		/* reflector receive timestamp */
	uint32_t sender_seq;
	uint64_t sender_ts;
	uint16_t sender_err_est;
	uint8_t sender_ttl;
};

size_t stamp_base_len(enum stamp_mode mode);

/*
 * Encoders write the base packet of the mode into pkt[0..base) with every MBZ
 * octet zero; octets past the base are left as they are (padding or TLVs the
 * reflector copies back). len must be at least the base length.
 */
int stamp_encode_sender(uint8_t *pkt, size_t len, enum stamp_mode mode,
    const struct stamp_msg *m) PM_MUST_CHECK;
int stamp_encode_reflector(uint8_t *pkt, size_t len, enum stamp_mode mode,
    const struct stamp_msg *m) PM_MUST_CHECK;

/*
 * Decoders fill m from pkt. They reject packets shorter than the base and
 * packets whose Error Estimate multiplier is 0 (RFC 8762 §4.2.1: discard).
 */
int stamp_decode_sender(const uint8_t *pkt, size_t len, enum stamp_mode mode,
    struct stamp_msg *m) PM_MUST_CHECK;
int stamp_decode_reflector(const uint8_t *pkt, size_t len, enum stamp_mode mode,
    struct stamp_msg *m) PM_MUST_CHECK;

/*
 * The reflector's answer to sender packet in, without its transmit
 * timestamp (set just before sending): refl_seq is the reflector's own
 * count, rx_ts its NTP receive time, ttl as received (-1 unknown), err_est
 * the reflector's Error Estimate. The sender's fields are copied.
 */
void stamp_reply_init(struct stamp_msg *out, const struct stamp_msg *in,
    uint32_t refl_seq, uint64_t rx_ts, int ttl, uint16_t err_est);

/* An Error Estimate for a clock with the given error bound, S bit if synced. */
uint16_t stamp_error_estimate(int synced, uint64_t err_ns);

#endif
