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

	if (key->len == 0 || key->len > STAMP_KEY_MAX)
		return NULL;
	if ((alg = hmac_alg()) == NULL || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->ctx = EVP_MAC_CTX_new(alg)) == NULL ||
	    EVP_MAC_init(m->ctx, key->k, key->len, params) != 1) {
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

static int
key_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static unsigned
key_nibble(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0') :
	    (unsigned)(tolower((unsigned char)c) - 'a' + 10);
}

int
stamp_key_parse(const char *hex, struct stamp_key *key, char *why,
    size_t whylen)
{
	const char *s = hex;
	size_t digits = 0;
	unsigned char c;

	memset(key, 0, sizeof(*key));
	while (key_space(*s))
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s != '\0'; s++) {
		if (key_space(*s))
			continue;
		c = (unsigned char)*s;
		if (!isxdigit(c)) {
			if (isprint(c))
				snprintf(why, whylen, "'%c' at position %zu is not a hex "
				    "digit", c, (size_t)(s - hex) + 1);
			else
				snprintf(why, whylen, "octet 0x%02x at position %zu is not "
				    "a hex digit", c, (size_t)(s - hex) + 1);
			goto bad;
		}
		if (digits / 2 < STAMP_KEY_MAX)
			key->k[digits / 2] = (uint8_t)(key->k[digits / 2] << 4 |
			    key_nibble(*s));
		digits++;
	}
	if (digits == 0)
		snprintf(why, whylen, "empty: no hex digits");
	else if (digits % 2 != 0)
		snprintf(why, whylen, "an odd number of hex digits (%zu): each octet "
		    "takes two", digits);
	else if (digits / 2 > STAMP_KEY_MAX)
		snprintf(why, whylen, "too long: %zu octets (at most %d)", digits / 2,
		    STAMP_KEY_MAX);
	else {
		key->len = digits / 2;
		return 0;
	}
bad:
	stamp_key_wipe(key);
	return PM_E_FORMAT;
}

int
stamp_key_from_hex(const char *hex, struct stamp_key *key)
{
	char why[96];

	return stamp_key_parse(hex, key, why, sizeof(why));
}

int
stamp_key_load(const char *path, struct stamp_key *key, char *err, size_t errlen)
{
	/* Room for the longest key in hex with a line break every 2 digits. */
	char buf[8 * STAMP_KEY_MAX + 64], why[96];
	FILE *f = fopen(path, "r");
	size_t n;
	int r, more;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read key file %s", path);
		return PM_E_SYS;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	more = n == sizeof(buf) - 1 && fgetc(f) != EOF;
	fclose(f);
	buf[n] = '\0';
	if (more) {
		snprintf(why, sizeof(why), "too long: over %zu characters", n);
		r = PM_E_FORMAT;
	} else if (memchr(buf, '\0', n) != NULL) {
		snprintf(why, sizeof(why), "octet 0x00 at position %zu is not a hex "
		    "digit", strlen(buf) + 1);
		r = PM_E_FORMAT;
	} else
		r = stamp_key_parse(buf, key, why, sizeof(why));
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0)
		snprintf(err, errlen, "key file %s: %s (want the HMAC key in hex, 1 "
		    "to %d octets)", path, why, STAMP_KEY_MAX);
	return r;
}

void
stamp_key_wipe(struct stamp_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}
