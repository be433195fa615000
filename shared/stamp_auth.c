/*
 * stamp_auth: the STAMP HMAC, the only crypto outside tls.c.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamp.h"
#include "stamp_auth.h"

struct stamp_mac {
	EVP_MAC_CTX *ctx;
};

/* Fetched once: the lookup by name is most of a one-shot HMAC's cost.
 * Not locked: each program sets up its sessions from one thread. */
static EVP_MAC *
hmac_alg(void)
{
	static EVP_MAC *alg;

	if (alg == NULL)
		alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return alg;
}

struct stamp_mac *
stamp_mac_new(const struct stamp_key *key)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	struct stamp_mac *m;
	EVP_MAC *alg;

	if ((alg = hmac_alg()) == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->ctx = EVP_MAC_CTX_new(alg)) == NULL ||
	    EVP_MAC_init(m->ctx, key->k, STAMP_KEY_LEN, params) != 1) {
		stamp_mac_free(m);
		return NULL;
	}
	return m;
}

void
stamp_mac_free(struct stamp_mac *m)
{
	if (m == NULL)
		return;
	/* OpenSSL cleanses the key and the pad states as it frees them. */
	EVP_MAC_CTX_free(m->ctx);
	free(m);
}

static int
stamp_auth_mac(struct stamp_mac *m, const uint8_t *pkt, size_t len,
    uint8_t out[EVP_MAX_MD_SIZE])
{
	size_t outlen = 0;

	if (len < STAMP_AUTH_LEN)
		return PM_E_SHORT;
	/* No key given: start again from the pads hashed at stamp_mac_new. */
	if (EVP_MAC_init(m->ctx, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(m->ctx, pkt, STAMP_HMAC_OFF) != 1 ||
	    EVP_MAC_final(m->ctx, out, &outlen, EVP_MAX_MD_SIZE) != 1 ||
	    outlen < STAMP_HMAC_LEN)
		return PM_E_AUTH;
	return 0;
}

int
stamp_auth_sign(struct stamp_mac *m, uint8_t *pkt, size_t len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	int r;

	if ((r = stamp_auth_mac(m, pkt, len, mac)) != 0)
		return r;
	memcpy(pkt + STAMP_HMAC_OFF, mac, STAMP_HMAC_LEN);
	return 0;
}

int
stamp_auth_verify(struct stamp_mac *m, const uint8_t *pkt, size_t len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	int r;

	if ((r = stamp_auth_mac(m, pkt, len, mac)) != 0)
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
