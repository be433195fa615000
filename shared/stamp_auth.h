/*
 * stamp_auth: HMAC-SHA-256-128 over octets 0..95 of an authenticated STAMP
 * packet (RFC 8762 §4.4), and the per-session key type.
 */
#ifndef PM_STAMP_AUTH_H
#define PM_STAMP_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/*
 * HMAC (RFC 2104) takes a key of any length; a key longer than SHA-256's
 * 64-octet block is hashed first. pktmon's own sessions derive 32 octets
 * from TLS; a key file (--stamp-key-file, shared with another STAMP
 * implementation) may hold 1 to STAMP_KEY_MAX.
 */
#define STAMP_KEY_LEN 32	/* a derived session key */
#define STAMP_KEY_MAX 128

struct stamp_key {
	size_t len;		/* octets of k in use, 1..STAMP_KEY_MAX */
	uint8_t k[STAMP_KEY_MAX];
};

/*
 * A session's keyed HMAC, set up once: a one-shot HMAC looks up the digest
 * and hashes the key's two pads again for every packet, which costs more
 * than the packet's own hashing, and far more with cold caches at a low
 * probe rate. Owns a copy of the key (wiped by stamp_mac_free). NULL when
 * out of memory or the key's length is not 1..STAMP_KEY_MAX.
 */
struct stamp_mac;
struct stamp_mac *stamp_mac_new(const struct stamp_key *key);
void stamp_mac_free(struct stamp_mac *m);

/* Writes the 16-octet HMAC at offset 96. pkt must hold 112 octets. */
int stamp_auth_sign(struct stamp_mac *m, uint8_t *pkt, size_t len) PM_MUST_CHECK;
/* 0 when the HMAC matches (constant-time compare), PM_E_AUTH otherwise. */
int stamp_auth_verify(struct stamp_mac *m, const uint8_t *pkt, size_t len) PM_MUST_CHECK;
/*
 * A key written as hex: 2 to 2 * STAMP_KEY_MAX digits, an optional 0x in
 * front, white space anywhere ignored (xxd -p wraps its lines). On
 * PM_E_FORMAT why says what is wrong: empty, an odd number of digits, the
 * position (from 1) of a character that is not a hex digit, too long.
 */
int stamp_key_parse(const char *hex, struct stamp_key *key, char *why,
    size_t whylen) PM_MUST_CHECK;
/* The same, without saying why. */
int stamp_key_from_hex(const char *hex, struct stamp_key *key) PM_MUST_CHECK;
/* Read a key file holding the key in hex; err names the file and what is
 * wrong with it. */
int stamp_key_load(const char *path, struct stamp_key *key, char *err,
    size_t errlen) PM_MUST_CHECK;
/* Wipes a key so it does not linger in freed memory. */
void stamp_key_wipe(struct stamp_key *key);

#endif
