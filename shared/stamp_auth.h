/*
 * stamp_auth: HMAC-SHA-256-128 over octets 0..95 of an authenticated STAMP
 * packet (RFC 8762 §4.4), and the per-session key type.
 */
#ifndef PM_STAMP_AUTH_H
#define PM_STAMP_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define STAMP_KEY_LEN 32

struct stamp_key {
	uint8_t k[STAMP_KEY_LEN];
};

/*
 * A session's keyed HMAC, set up once: a one-shot HMAC looks up the digest
 * and hashes the key's two pads again for every packet, which costs more
 * than the packet's own hashing, and far more with cold caches at a low
 * probe rate. Owns a copy of the key (wiped by stamp_mac_free).
 */
struct stamp_mac;
struct stamp_mac *stamp_mac_new(const struct stamp_key *key);
void stamp_mac_free(struct stamp_mac *m);

/* Writes the 16-octet HMAC at offset 96. pkt must hold 112 octets. */
int stamp_auth_sign(struct stamp_mac *m, uint8_t *pkt, size_t len) PM_MUST_CHECK;
/* 0 when the HMAC matches (constant-time compare), PM_E_AUTH otherwise. */
int stamp_auth_verify(struct stamp_mac *m, const uint8_t *pkt, size_t len) PM_MUST_CHECK;
/* A key written as hex (64 digits; whitespace around it ignored). */
int stamp_key_from_hex(const char *hex, struct stamp_key *key) PM_MUST_CHECK;
/* Read a key file holding the key in hex; err names the file at fault. */
int stamp_key_load(const char *path, struct stamp_key *key, char *err,
    size_t errlen) PM_MUST_CHECK;
/* Wipes a key so it does not linger in freed memory. */
void stamp_key_wipe(struct stamp_key *key);

#endif
