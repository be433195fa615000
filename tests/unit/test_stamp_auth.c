/*
 * stamp_auth: HMAC-SHA-256-128 over octets 0..95, at octet 96 (RFC 8762
 * §4.4). The expected MACs were computed outside pktmon (Python's hmac and
 * `openssl dgst -sha256 -mac HMAC`, which agree) and are fixed here.
 */
#include "check.h"
#include <unistd.h>

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
	memset(key, 0, sizeof(*key));
	unhex(v->key, key->k, STAMP_KEY_LEN);
	key->len = STAMP_KEY_LEN;
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
	static const struct stamp_key zero;
	struct stamp_key key;

	(void)state;
	memset(&key, 0xa5, sizeof(key));
	stamp_key_wipe(&key);
	check_mem("key after stamp_key_wipe", &zero, &key, sizeof(key));
	check_done();
}

/*
 * HMAC takes keys of any length (RFC 2104): a shorter one is padded, a
 * longer one than the 64-octet block hashed first. MACs from Python's hmac
 * and `openssl dgst -sha256 -mac HMAC -macopt hexkey:...`, over the first
 * vector's packet.
 */
static const struct len_vector {
	size_t len;		/* key octets 0, 1, 2 ... or as below */
	const char *key;	/* NULL: octets 00, 01, 02 ... */
	const char *mac;
} len_vectors[] = {
	{ 1, "42", "883df9f3ea79a6683745158b25228831" },
	{ 5, "0102030405", "3ec846c8cc8f9c2ef2e7930ce7464f0e" },
	{ 64, NULL, "12b54a79378c06bbf38d5b59217dd0e7" },
	{ 65, NULL, "eeb11b2afe9447e81b9a0298f7c35e3c" },
	{ 128, NULL, "b2d6b7b219926569ecc03b2aa0fbf9ce" },
};

static void
test_key_lengths(void **state)
{
	uint8_t pkt[STAMP_AUTH_LEN], mac[STAMP_HMAC_LEN];
	struct stamp_key key, unused;
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(len_vectors); i++) {
		const struct len_vector *v = &len_vectors[i];

		load(&vectors[0], &unused, pkt, mac);
		memset(&key, 0, sizeof(key));
		key.len = v->len;
		for (j = 0; j < v->len; j++)
			key.k[j] = (uint8_t)j;
		if (v->key != NULL)
			unhex(v->key, key.k, v->len);
		unhex(v->mac, mac, STAMP_HMAC_LEN);
		if (check_err(desc("sign with a %zu-octet key", v->len), 0,
		    with_key(&key, pkt, sizeof(pkt), 1)))
			check_mem(desc("HMAC with a %zu-octet key", v->len), mac,
			    pkt + STAMP_HMAC_OFF, STAMP_HMAC_LEN);
		check_err(desc("verify with a %zu-octet key", v->len), 0,
		    with_key(&key, pkt, sizeof(pkt), 0));
		/* The length is part of the key: one octet less is another key. */
		key.len--;
		if (key.len > 0)
			check_err(desc("verify with the key cut to %zu octets",
			    key.len), PM_E_AUTH, with_key(&key, pkt, sizeof(pkt), 0));
	}
	/* No key, or more than the type holds: no context. */
	key.len = 0;
	if (stamp_mac_new(&key) != NULL)
		check_fail("stamp_mac_new with a 0-octet key: expected NULL");
	key.len = STAMP_KEY_MAX + 1;
	if (stamp_mac_new(&key) != NULL)
		check_fail("stamp_mac_new with a %d-octet key: expected NULL",
		    STAMP_KEY_MAX + 1);
	check_done();
}

/* Key files as people write them, and what is said about bad ones. */
static const struct hex_case {
	const char *text;
	const char *key;	/* hex of the key read, NULL when refused */
	const char *why;	/* the message when refused */
} hex_cases[] = {
	{ "0102030405", "0102030405", NULL },
	{ "0102030405\n", "0102030405", NULL },
	{ "  0x0102030405\r\n", "0102030405", NULL },
	{ "0X0a0B0c", "0a0b0c", NULL },
	{ "01 02 03\n04\t05\n", "0102030405", NULL },
	{ "42", "42", NULL },
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	    NULL },
	{ "", NULL, "empty: no hex digits" },
	{ " \n\t", NULL, "empty: no hex digits" },
	{ "0x", NULL, "empty: no hex digits" },
	{ "0x\n", NULL, "empty: no hex digits" },
	{ "012", NULL, "an odd number of hex digits (3): each octet takes two" },
	{ "01 02 0", NULL, "an odd number of hex digits (5): each octet takes two" },
	{ "0102g3", NULL, "'g' at position 5 is not a hex digit" },
	{ "  0x01:02", NULL, "':' at position 7 is not a hex digit" },
	{ "0x0x01", NULL, "'x' at position 4 is not a hex digit" },
	{ "\x01" "02", NULL, "octet 0x01 at position 1 is not a hex digit" },
};

static void
test_from_hex(void **state)
{
	struct stamp_key key;
	uint8_t want[STAMP_KEY_MAX];
	char why[128], big[2 * (STAMP_KEY_MAX + 1) + 1];
	size_t i, n;
	int r;

	(void)state;
	for (i = 0; i < NELEM(hex_cases); i++) {
		const struct hex_case *c = &hex_cases[i];
		const char *what = desc("stamp_key_parse(case %zu)", i);

		why[0] = '\0';
		r = stamp_key_parse(c->text, &key, why, sizeof(why));
		if (c->key == NULL) {
			if (check_err(what, PM_E_FORMAT, r))
				check_str(what, c->why, why);
			check_u64(desc("%s: length after a refusal", what), 0, key.len);
			continue;
		}
		if (!check_err(what, 0, r))
			continue;
		n = strlen(c->key) / 2;
		unhex(c->key, want, n);
		check_u64(desc("%s: length", what), n, key.len);
		check_mem(desc("%s: octets", what), want, key.k, n);
	}
	/* The longest key, and one octet more. */
	for (i = 0; i < 2 * STAMP_KEY_MAX; i++)
		big[i] = "0123456789abcdef"[i % 16];
	big[i] = '\0';
	check_err("a key of STAMP_KEY_MAX octets", 0,
	    stamp_key_parse(big, &key, why, sizeof(why)));
	check_u64("a key of STAMP_KEY_MAX octets: length", STAMP_KEY_MAX, key.len);
	memcpy(big + i, "ab", 3);
	if (check_err("a key of STAMP_KEY_MAX + 1 octets", PM_E_FORMAT,
	    stamp_key_parse(big, &key, why, sizeof(why))))
		check_str("a key of STAMP_KEY_MAX + 1 octets", desc("too long: %d "
		    "octets (at most %d)", STAMP_KEY_MAX + 1, STAMP_KEY_MAX), why);
	check_done();
}

/* stamp_key_load: a file's bytes, and the one line naming it. */
static void
test_load(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int ret;
		const char *err;	/* after "key file PATH: "; NULL: 5 octets read */
	} files[] = {
		{ "0a0b0c0d0e\n", 11, 0, NULL },
		{ "0a0b\0" "0c", 7, PM_E_FORMAT,
		    "octet 0x00 at position 5 is not a hex digit" },
		{ "0a0b0c0d0", 9, PM_E_FORMAT,
		    "an odd number of hex digits (9): each octet takes two" },
		{ "\n", 1, PM_E_FORMAT, "empty: no hex digits" },
	};
	char path[32], err[256], want[256];
	struct stamp_key key;
	size_t i;
	FILE *f;
	int fd;

	(void)state;
	for (i = 0; i < NELEM(files); i++) {
		const char *what = desc("stamp_key_load(file %zu)", i);

		strcpy(path, "/tmp/pktmon-test-key.XXXXXX");
		if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL ||
		    fwrite(files[i].bytes, 1, files[i].len, f) != files[i].len ||
		    fclose(f) != 0)
			fail_msg("cannot write a key file for the test");
		err[0] = '\0';
		if (check_err(what, files[i].ret, stamp_key_load(path, &key, err,
		    sizeof(err))) && files[i].err != NULL) {
			snprintf(want, sizeof(want), "key file %s: %s (want the HMAC "
			    "key in hex, 1 to %d octets)", path, files[i].err,
			    STAMP_KEY_MAX);
			check_str(what, want, err);
		} else if (files[i].err == NULL)
			check_u64(desc("%s: length", what), 5, key.len);
		unlink(path);
	}
	check_err("stamp_key_load(a missing file)", PM_E_SYS,
	    stamp_key_load("/nonexistent/pktmon-key", &key, err, sizeof(err)));
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
		cmocka_unit_test(test_key_lengths),
		cmocka_unit_test(test_from_hex),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
