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

/* Sign or verify with a fresh keyed context, freed at once. */
static int
with_key(const struct stamp_key *key, uint8_t *pkt, size_t len, int sign)
{
	struct stamp_mac *m = stamp_mac_new(key);
	int r;

	if (m == NULL)
		return PM_E_NOMEM;
	r = sign ? stamp_auth_sign(m, pkt, len) : stamp_auth_verify(m, pkt, len);
	stamp_mac_free(m);
	return r;
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
		    with_key(&key, pkt, sizeof(pkt), 1)))
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
		    with_key(&key, pkt, STAMP_AUTH_LEN, 0));
		/* TLVs past 112 are not covered by this HMAC. */
		pkt[STAMP_AUTH_LEN] ^= 0xff;
		check_err(desc("verify %s with a changed TLV octet", v->name), 0,
		    with_key(&key, pkt, sizeof(pkt), 0));
		pkt[STAMP_AUTH_LEN] ^= 0xff;

		/* Any one bit of octets 0..111 flipped: refused. */
		for (bit = 0; bit < 8 * STAMP_AUTH_LEN; bit++) {
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			check_err(desc("verify %s, bit %zu of octet %zu flipped", v->name,
			    bit % 8, bit / 8), PM_E_AUTH,
			    with_key(&key, pkt, STAMP_AUTH_LEN, 0));
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* Any one bit of the key flipped: refused. */
		for (bit = 0; bit < 8 * STAMP_KEY_LEN; bit++) {
			key.k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			check_err(desc("verify %s, key bit %zu flipped", v->name, bit),
			    PM_E_AUTH, with_key(&key, pkt, STAMP_AUTH_LEN, 0));
			key.k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	check_done();
}

/*
 * One context for a whole session: each packet starts again from the key,
 * whatever came before (a refused packet, a sign, a short one).
 */
static void
test_reuse(void **state)
{
	uint8_t pkt[STAMP_AUTH_LEN], bad[STAMP_AUTH_LEN], mac[STAMP_HMAC_LEN];
	struct stamp_mac *m;
	struct stamp_key key;
	size_t i;
	int round;

	(void)state;
	for (i = 0; i < NELEM(vectors); i++) {
		load(&vectors[i], &key, pkt, mac);
		memcpy(pkt + STAMP_HMAC_OFF, mac, STAMP_HMAC_LEN);
		memcpy(bad, pkt, sizeof(bad));
		bad[7] ^= 1;
		if ((m = stamp_mac_new(&key)) == NULL) {
			check_err("stamp_mac_new", 0, PM_E_NOMEM);
			continue;
		}
		for (round = 0; round < 3; round++) {
			check_err(desc("%s round %d: refused", vectors[i].name, round),
			    PM_E_AUTH, stamp_auth_verify(m, bad, sizeof(bad)));
			check_err(desc("%s round %d: short", vectors[i].name, round),
			    PM_E_SHORT, stamp_auth_verify(m, pkt, 100));
			check_err(desc("%s round %d: good", vectors[i].name, round),
			    0, stamp_auth_verify(m, pkt, sizeof(pkt)));
			memset(bad + STAMP_HMAC_OFF, 0, STAMP_HMAC_LEN);
			check_err(desc("%s round %d: sign", vectors[i].name, round),
			    0, stamp_auth_sign(m, bad, sizeof(bad)));
			check_err(desc("%s round %d: own signature", vectors[i].name,
			    round), 0, stamp_auth_verify(m, bad, sizeof(bad)));
			bad[7] ^= 1;
			check_err(desc("%s round %d: flipped after sign",
			    vectors[i].name, round), PM_E_AUTH,
			    stamp_auth_verify(m, bad, sizeof(bad)));
		}
		stamp_mac_free(m);
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
		    with_key(&key, pkt, lens[i], 1));
		check_mem(desc("sign %zu octets: packet untouched", lens[i]), orig, pkt,
		    sizeof(pkt));
		check_err(desc("verify %zu octets", lens[i]), PM_E_SHORT,
		    with_key(&key, pkt, lens[i], 0));
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
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
