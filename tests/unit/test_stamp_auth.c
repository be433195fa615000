/*
 * stamp_auth: HMAC-SHA-256-128 over octets 0..95, at octet 96 (RFC 8762
 * §4.4). The expected MACs were computed outside pktmon (Python's hmac and
 * `openssl dgst -sha256 -mac HMAC`, which agree) and are fixed here.
 */
#include "check.h"
#include "../../shared/stamp_auth.c"

/* Hex with optional spaces, into exactly n octets. */
static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i = 0;
	unsigned v;

	for (; *s != '\0' && i < n; s++) {
		if (*s == ' ')
			continue;
		if (sscanf(s, "%2x", &v) != 1)
			fail_msg("bad hex in a test vector at \"%s\"", s);
		out[i++] = (uint8_t)v;
		s++;
	}
	if (i != n)
		fail_msg("test vector has %zu octets, expected %zu", i, n);
}

static const struct vector {
	const char *name;
	const char *key;	/* 32 octets */
	const char *pkt;	/* octets 0..95 */
	const char *mac;	/* 16 octets at 96 */
} vectors[] = {
	{ "authenticated sender packet, key 00..1f",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "00000001000000000000000000000000 e8fe6f80400000008101123400000000"
	    "00000000000000000000000000000000 00000000000000000000000000000000"
	    "00000000000000000000000000000000 00000000000000000000000000000000",
	    "7df4ed4c67ca53f35b272a4778010e8e" },
	{ "all-zero packet, key aa..aa",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "00000000000000000000000000000000 00000000000000000000000000000000"
	    "00000000000000000000000000000000 00000000000000000000000000000000"
	    "00000000000000000000000000000000 00000000000000000000000000000000",
	    "db201642969891f8226501257ef96227" },
	{ "authenticated reflector packet, ASCII key",
	    "706b746d6f6e205354414d5020484d41432074657374206b65792c2033324221",
	    "00000007000000000000000000000000 eeb130201f9add370f83beef00000000"
	    "eeb130201f0000000000000000000000 fffffffe000000000000000000000000"
	    "eeb130201e0000008101000000000000 40000000000000000000000000000000",
	    "c95cc20ec45111aa48a8e365110e5e25" },
};

#define TLV_LEN 24

static void
load(const struct vector *v, struct stamp_key *key, uint8_t pkt[STAMP_AUTH_LEN],
    uint8_t mac[STAMP_HMAC_LEN])
{
	unhex(v->key, key->k, STAMP_KEY_LEN);
	unhex(v->pkt, pkt, STAMP_HMAC_OFF);
	unhex(v->mac, mac, STAMP_HMAC_LEN);
}

static void
test_sign_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		const struct vector *v = &vectors[i];
		uint8_t pkt[STAMP_AUTH_LEN + TLV_LEN], orig[sizeof(pkt)];
		uint8_t mac[STAMP_HMAC_LEN];
		struct stamp_key key;

		memset(pkt, 0x5a, sizeof(pkt));
		load(v, &key, pkt, mac);
		memcpy(orig, pkt, sizeof(pkt));
		if (!check_err(desc("sign %s", v->name), 0,
		    stamp_auth_sign(&key, pkt, sizeof(pkt))))
			continue;
		check_mem(desc("sign %s: HMAC at 96", v->name), mac,
		    pkt + STAMP_HMAC_OFF, STAMP_HMAC_LEN);
		check_mem(desc("sign %s: octets 0..95 unchanged", v->name), orig, pkt,
		    STAMP_HMAC_OFF);
		check_mem(desc("sign %s: TLV octets unchanged", v->name),
		    orig + STAMP_AUTH_LEN, pkt + STAMP_AUTH_LEN, TLV_LEN);
	}
	check_done();
}

static void
test_verify_vectors(void **state)
{
	size_t i, bit;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		const struct vector *v = &vectors[i];
		uint8_t pkt[STAMP_AUTH_LEN + TLV_LEN];
		struct stamp_key key;

		memset(pkt, 0x5a, sizeof(pkt));
		load(v, &key, pkt, pkt + STAMP_HMAC_OFF);
		check_err(desc("verify %s", v->name), 0,
		    stamp_auth_verify(&key, pkt, STAMP_AUTH_LEN));
		/* TLVs past 112 are not covered by this HMAC. */
		pkt[STAMP_AUTH_LEN] ^= 0xff;
		check_err(desc("verify %s with a changed TLV octet", v->name), 0,
		    stamp_auth_verify(&key, pkt, sizeof(pkt)));
		pkt[STAMP_AUTH_LEN] ^= 0xff;

		/* Any one bit of octets 0..111 flipped: refused. */
		for (bit = 0; bit < 8 * STAMP_AUTH_LEN; bit++) {
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			check_err(desc("verify %s, bit %zu of octet %zu flipped", v->name,
			    bit % 8, bit / 8), PM_E_AUTH,
			    stamp_auth_verify(&key, pkt, STAMP_AUTH_LEN));
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Any one bit of the key flipped: refused. */
		for (bit = 0; bit < 8 * STAMP_KEY_LEN; bit++) {
			key.k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			check_err(desc("verify %s, key bit %zu flipped", v->name, bit),
			    PM_E_AUTH, stamp_auth_verify(&key, pkt, STAMP_AUTH_LEN));
			key.k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	check_done();
}

static void
test_short(void **state)
{
	static const size_t lens[] = { 0, 44, 96, 111 };
	uint8_t pkt[STAMP_AUTH_LEN], orig[STAMP_AUTH_LEN];
	struct stamp_key key;
	size_t i;

	(void)state;
	memset(pkt, 0x5a, sizeof(pkt));
	load(&vectors[0], &key, pkt, pkt + STAMP_HMAC_OFF);
	memcpy(orig, pkt, sizeof(pkt));
	for (i = 0; i < NELEM(lens); i++) {
		check_err(desc("sign %zu octets", lens[i]), PM_E_SHORT,
		    stamp_auth_sign(&key, pkt, lens[i]));
		check_mem(desc("sign %zu octets: packet untouched", lens[i]), orig, pkt,
		    sizeof(pkt));
		check_err(desc("verify %zu octets", lens[i]), PM_E_SHORT,
		    stamp_auth_verify(&key, pkt, lens[i]));
	}
	check_done();
}

static void
test_wipe(void **state)
{
	static const uint8_t zero[STAMP_KEY_LEN];
	struct stamp_key key;

	(void)state;
	memset(key.k, 0xa5, sizeof(key.k));
	stamp_key_wipe(&key);
	check_mem("key after stamp_key_wipe", zero, key.k, sizeof(key.k));
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_vectors),
		cmocka_unit_test(test_verify_vectors),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
