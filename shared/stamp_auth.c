/*
 * stamp_auth: the STAMP HMAC, the only crypto outside tls.c.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "stamp.h"
#include "stamp_auth.h"

static int
stamp_auth_mac(const struct stamp_key *key, const uint8_t *pkt, size_t len,
    uint8_t out[EVP_MAX_MD_SIZE])
{
	unsigned int outlen = 0;

	if (len < STAMP_AUTH_LEN)
		return PM_E_SHORT;
	if (HMAC(EVP_sha256(), key->k, STAMP_KEY_LEN, pkt, STAMP_HMAC_OFF,
	    out, &outlen) == NULL || outlen < STAMP_HMAC_LEN)
		return PM_E_AUTH;
	return 0;
}

int
stamp_auth_sign(const struct stamp_key *key, uint8_t *pkt, size_t len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	int r;

	if ((r = stamp_auth_mac(key, pkt, len, mac)) != 0)
		return r;
	memcpy(pkt + STAMP_HMAC_OFF, mac, STAMP_HMAC_LEN);
	return 0;
}

int
stamp_auth_verify(const struct stamp_key *key, const uint8_t *pkt, size_t len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	int r;

	if ((r = stamp_auth_mac(key, pkt, len, mac)) != 0)
		return r;
	if (CRYPTO_memcmp(mac, pkt + STAMP_HMAC_OFF, STAMP_HMAC_LEN) != 0)
		return PM_E_AUTH;
	return 0;
}

int
stamp_key_from_hex(const char *hex, struct stamp_key *key)
{
	size_t i;
	unsigned v;

	while (*hex == ' ' || *hex == '\t' || *hex == '\n')
		hex++;
	for (i = 0; i < STAMP_KEY_LEN; i++, hex += 2) {
		if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]) ||
		    sscanf(hex, "%2x", &v) != 1)
			return PM_E_FORMAT;
		key->k[i] = (uint8_t)v;
	}
	while (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r')
		hex++;
	return *hex == '\0' ? 0 : PM_E_FORMAT;
}

int
stamp_key_load(const char *path, struct stamp_key *key, char *err, size_t errlen)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;
	int r;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read key file %s", path);
		return PM_E_SYS;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	r = stamp_key_from_hex(buf, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0)
		snprintf(err, errlen, "key file %s: want 64 hex digits", path);
	return r;
}

void
stamp_key_wipe(struct stamp_key *key)
{
	OPENSSL_cleanse(key->k, sizeof(key->k));
}
