/*
 * ike/v2/crypto.c against known answers computed independently
 * (tests/unit/ikev2_kat_gen.py: Python's hmac and hashlib, AES from the
 * cryptography package): prf+ for every prf, the seven keys of a new IKE
 * SA for five suites, a rekeyed IKE SA whose prf changes, CHILD SA
 * KEYMAT with and without PFS, AUTH with a shared key, and a sealed
 * Encrypted payload with AES-CBC + HMAC and with AES-GCM; then what
 * ike2_sk_open must refuse.  And group 31, Curve25519 (RFC 8031), with
 * RFC 7748's own test vectors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "ike/v2/crypto.h"
#include "ikev2_kat_vectors.h"

static void
test_prfplus(void **state)
{
	static const struct {
		enum alg_hash	 h;
		const uint8_t	*want;
	} kats[] = {
		{ ALG_HASH_SHA1, kat_pp_sha1 },
		{ ALG_HASH_SHA256, kat_pp_sha256 },
		{ ALG_HASH_SHA384, kat_pp_sha384 },
		{ ALG_HASH_SHA512, kat_pp_sha512 },
	};
	struct ike_iov	 s = { kat_pp_seed, sizeof(kat_pp_seed) };
	uint8_t		 out[150];

	(void)state;
	for (size_t i = 0; i < nitems(kats); i++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(ike2_prfplus(kats[i].h, kat_pp_key,
		    sizeof(kat_pp_key), &s, 1, out, sizeof(out)), 0);
		assert_memory_equal(out, kats[i].want, sizeof(out));
	}
	/* 2.13: at most 255 blocks */
	assert_int_equal(ike2_prfplus(ALG_HASH_SHA1, kat_pp_key, 20, &s, 1,
	    out, 255 * 20 + 1), -1);
}

/* The keys in prf+ order, as the generator gives them. */
static void
keys_are(const struct ike2_keys *k, const uint8_t *want)
{
	const uint8_t *p = want;

	assert_memory_equal(k->d, p, k->prflen);
	p += k->prflen;
	assert_memory_equal(k->ai, p, k->alen);
	p += k->alen;
	assert_memory_equal(k->ar, p, k->alen);
	p += k->alen;
	assert_memory_equal(k->ei, p, k->elen);
	p += k->elen;
	assert_memory_equal(k->er, p, k->elen);
	p += k->elen;
	assert_memory_equal(k->pi, p, k->prflen);
	p += k->prflen;
	assert_memory_equal(k->pr, p, k->prflen);
}

static const struct ike2_suite *
suite(enum alg_hash prf, enum alg_hash integ, int gcm, int bits)
{
	static struct ike2_suite s;

	s.prf = prf;
	s.integ = integ;
	s.enc = gcm ? alg_esp_enc(ALG_ESP_GCM) : alg_enc(ALG_ENC_AES);
	s.keybits = bits;
	return &s;
}

static void
test_ike_sa_keys(void **state)
{
	static const struct {
		enum alg_hash	 prf, integ;
		int		 gcm, bits;
		size_t		 alen, elen;
		const uint8_t	*want;
	} kats[] = {
		{ ALG_HASH_SHA256, ALG_HASH_SHA256, 0, 256, 32, 32,
		    kat_ike_cbc256_sha256 },
		{ ALG_HASH_SHA1, ALG_HASH_SHA1, 0, 128, 20, 16,
		    kat_ike_cbc128_sha1 },
		{ ALG_HASH_SHA512, ALG_HASH_SHA512, 0, 192, 64, 24,
		    kat_ike_cbc192_sha512 },
		{ ALG_HASH_SHA384, 0, 1, 256, 0, 36, kat_ike_gcm256_sha384 },
		{ ALG_HASH_SHA256, 0, 1, 128, 0, 20, kat_ike_gcm128_sha256 },
	};
	struct ike2_keys k;

	(void)state;
	for (size_t i = 0; i < nitems(kats); i++) {
		const struct ike2_suite *s = suite(kats[i].prf, kats[i].integ,
		    kats[i].gcm, kats[i].bits);

		assert_true(ike2_suite_ok(s));
		assert_int_equal(ike2_kdf_ike(s, kat_gir, sizeof(kat_gir),
		    kat_ni, sizeof(kat_ni), kat_nr, sizeof(kat_nr), kat_spii,
		    kat_spir, &k), 0);
		assert_int_equal(k.prflen, ike_hash_len(kats[i].prf));
		assert_int_equal(k.alen, kats[i].alen);
		assert_int_equal(k.elen, kats[i].elen);
		keys_are(&k, kats[i].want);
	}
	/* GCM with an integrity algorithm, CBC without one: refused */
	assert_false(ike2_suite_ok(suite(ALG_HASH_SHA256, ALG_HASH_SHA256, 1,
	    256)));
	assert_int_equal(ike2_kdf_ike(suite(ALG_HASH_SHA256, 0, 0, 256),
	    kat_gir, sizeof(kat_gir), kat_ni, sizeof(kat_ni), kat_nr,
	    sizeof(kat_nr), kat_spii, kat_spir, &k), -1);
	/* no 192-bit key for ESP's GCM row (the dialect has 128 and 256) */
	assert_false(ike2_suite_ok(suite(ALG_HASH_SHA256, 0, 1, 192)));
}

static void
test_rekey_keys(void **state)
{
	struct ike2_keys k;

	(void)state;
	assert_int_equal(ike2_kdf_rekey(ALG_HASH_SHA1, kat_old_skd,
	    sizeof(kat_old_skd), suite(ALG_HASH_SHA256, ALG_HASH_SHA256, 0,
	    256), kat_gir2, sizeof(kat_gir2), kat_ni2, sizeof(kat_ni2),
	    kat_nr2, sizeof(kat_nr2), kat_spii2, kat_spir2, &k), 0);
	keys_are(&k, kat_rekey_cbc256_sha256);
}

static void
test_child_keymat(void **state)
{
	uint8_t		 out[128];

	(void)state;
	assert_int_equal(ike2_keymat(ALG_HASH_SHA256, kat_skd,
	    sizeof(kat_skd), NULL, 0, kat_ni, sizeof(kat_ni), kat_nr,
	    sizeof(kat_nr), out, sizeof(out)), 0);
	assert_memory_equal(out, kat_keymat, sizeof(out));
	assert_int_equal(ike2_keymat(ALG_HASH_SHA256, kat_skd,
	    sizeof(kat_skd), kat_gir2, sizeof(kat_gir2), kat_ni,
	    sizeof(kat_ni), kat_nr, sizeof(kat_nr), out, sizeof(out)), 0);
	assert_memory_equal(out, kat_keymat_pfs, sizeof(out));
}

static void
test_psk_auth(void **state)
{
	uint8_t		 out[IKE_MAX_HASH];

	(void)state;
	assert_int_equal(ike2_psk_auth(ALG_HASH_SHA256, "cisco123", 8,
	    kat_msg1, sizeof(kat_msg1), kat_nr, sizeof(kat_nr), kat_skp,
	    sizeof(kat_skp), kat_idb, sizeof(kat_idb), out), 0);
	assert_memory_equal(out, kat_auth_sha256, 32);
	/* another key, another AUTH */
	assert_int_equal(ike2_psk_auth(ALG_HASH_SHA256, "cisco124", 8,
	    kat_msg1, sizeof(kat_msg1), kat_nr, sizeof(kat_nr), kat_skp,
	    sizeof(kat_skp), kat_idb, sizeof(kat_idb), out), 0);
	assert_memory_not_equal(out, kat_auth_sha256, 32);
}

/* A sealed message: the header and SK header, then the body. */
struct sk_kat {
	const struct ike2_suite *s;
	const uint8_t	*ek, *ak, *iv, *msg;
	size_t		 msglen;
};

#define SK_AAD		(28 + 4)

static void
sk_check(const struct sk_kat *t)
{
	struct ike2_sk	 k = { t->s, t->ek, t->ak };
	uint8_t		 buf[512], *plain;
	size_t		 plainlen, body = t->msglen - SK_AAD;
	const char	*err = NULL;

	assert_int_equal(ike2_sk_body_len(&k, sizeof(kat_sk_plain)), body);
	/* sealed by havpn: the generator's bytes */
	memset(buf, 0xee, sizeof(buf));
	memcpy(buf, t->msg, SK_AAD);
	memcpy(buf + SK_AAD + ike2_sk_iv_len(&k), kat_sk_plain,
	    sizeof(kat_sk_plain));
	assert_int_equal(ike2_sk_seal(&k, buf, SK_AAD, sizeof(kat_sk_plain),
	    t->iv), 0);
	assert_memory_equal(buf, t->msg, t->msglen);
	/* opened by havpn */
	assert_int_equal(ike2_sk_open(&k, buf, SK_AAD, body, &plain,
	    &plainlen, &err), 0);
	assert_int_equal(plainlen, sizeof(kat_sk_plain));
	assert_memory_equal(plain, kat_sk_plain, plainlen);
	/* every bit of the message counts (the header as much as the ICV) */
	for (size_t i = 0; i < t->msglen; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(buf, t->msg, t->msglen);
			buf[i] ^= (uint8_t)(1 << bit);
			err = NULL;
			assert_int_equal(ike2_sk_open(&k, buf, SK_AAD, body,
			    &plain, &plainlen, &err), -1);
			assert_non_null(err);
		}
	/* every truncation of the body */
	for (size_t n = 0; n < body; n++) {
		memcpy(buf, t->msg, t->msglen);
		assert_int_equal(ike2_sk_open(&k, buf, SK_AAD, n, &plain,
		    &plainlen, &err), -1);
	}
	/* a random IV each time otherwise */
	memcpy(buf, t->msg, SK_AAD);
	memcpy(buf + SK_AAD + ike2_sk_iv_len(&k), kat_sk_plain,
	    sizeof(kat_sk_plain));
	assert_int_equal(ike2_sk_seal(&k, buf, SK_AAD, sizeof(kat_sk_plain),
	    NULL), 0);
	assert_memory_not_equal(buf + SK_AAD, t->iv, ike2_sk_iv_len(&k));
	assert_int_equal(ike2_sk_open(&k, buf, SK_AAD, body, &plain,
	    &plainlen, &err), 0);
	assert_memory_equal(plain, kat_sk_plain, plainlen);
}

static void
test_sk_cbc_hmac(void **state)
{
	struct ike2_suite s = *suite(ALG_HASH_SHA256, ALG_HASH_SHA256, 0,
	    256);
	struct sk_kat	 t = { &s, kat_sk_ek_cbc256_sha256,
	    kat_sk_ak_cbc256_sha256, kat_sk_iv_cbc256_sha256,
	    kat_sk_msg_cbc256_sha256, sizeof(kat_sk_msg_cbc256_sha256) };

	(void)state;
	sk_check(&t);
}

static void
test_sk_gcm(void **state)
{
	struct ike2_suite s = *suite(ALG_HASH_SHA384, 0, 1, 256);
	struct sk_kat	 t = { &s, kat_sk_ek_gcm256_sha384, NULL,
	    kat_sk_iv_gcm256_sha384, kat_sk_msg_gcm256_sha384,
	    sizeof(kat_sk_msg_gcm256_sha384) };

	(void)state;
	sk_check(&t);
}

/*
 * A peer's padding is whatever it chose, but a pad length that reaches
 * back past the ciphertext's start is refused, after the ICV passed
 * (the generator sealed such a payload properly).
 */
static void
test_sk_pad_length(void **state)
{
	struct ike2_suite s = *suite(ALG_HASH_SHA384, 0, 1, 256);
	struct ike2_sk	 k = { &s, kat_sk_ek_gcm256_sha384, NULL };
	uint8_t		 buf[512], *plain;
	size_t		 plainlen;
	const char	*err = NULL;

	(void)state;
	memcpy(buf, kat_sk_msg_badpad, sizeof(kat_sk_msg_badpad));
	assert_int_equal(ike2_sk_open(&k, buf, SK_AAD,
	    sizeof(kat_sk_msg_badpad) - SK_AAD, &plain, &plainlen, &err), -1);
	assert_string_equal(err, "pad length beyond the payload");
	/* nothing inside at all: the ciphertext is the pad length alone */
	memcpy(buf, kat_sk_msg_badpad, SK_AAD);
	assert_int_equal(ike2_sk_seal(&k, buf, SK_AAD, 0, NULL), 0);
	assert_int_equal(ike2_sk_open(&k, buf, SK_AAD, ike2_sk_body_len(&k,
	    0), &plain, &plainlen, &err), 0);
	assert_int_equal(plainlen, 0);
}

/* RFC 7748 6.1: Alice's and Bob's keys and their shared secret. */
static const uint8_t x25519_a[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
	0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const uint8_t x25519_ka[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};
static const uint8_t x25519_b[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b,
	0x83, 0x80, 0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd,
	0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb,
};
static const uint8_t x25519_kb[32] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
	0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};
static const uint8_t x25519_k[32] = {
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4,
	0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};

static void
test_curve25519(void **state)
{
	struct ike_dh	*a, *b;
	uint8_t		 z[32], zero[32];
	const char	*err = NULL;

	(void)state;
	assert_true(ike_dh_supported(31));
	assert_int_equal(ike_dh_publen(31), 32);
	assert_int_equal(ike_dh_secretlen(31), 32);
	assert_string_equal(ike_dh_name(31), "curve25519");
	assert_null(alg_dh_ikev1(31));
	a = ike_dh_new_fixed(31, x25519_a, 32, x25519_ka, 32);
	b = ike_dh_new_fixed(31, x25519_b, 32, x25519_kb, 32);
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_equal(ike_dh_pub(a), x25519_ka, 32);
	assert_int_equal(ike_dh_derive(a, x25519_kb, 32, z, &err), 0);
	assert_memory_equal(z, x25519_k, 32);
	assert_int_equal(ike_dh_derive(b, x25519_ka, 32, z, &err), 0);
	assert_memory_equal(z, x25519_k, 32);
	/* a public value that is not the private key's */
	assert_null(ike_dh_new_fixed(31, x25519_a, 32, x25519_kb, 32));
	/* the wrong length; a point of small order (zeros): refused */
	assert_int_equal(ike_dh_derive(a, x25519_kb, 31, z, &err), -1);
	memset(zero, 0, sizeof(zero));
	err = NULL;
	assert_int_equal(ike_dh_derive(a, zero, 32, z, &err), -1);
	assert_non_null(err);
	ike_dh_free(a);
	ike_dh_free(b);
	/* fresh keys agree */
	a = ike_dh_new(31);
	b = ike_dh_new(31);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(ike_dh_derive(a, ike_dh_pub(b), 32, z, &err), 0);
	assert_int_equal(ike_dh_derive(b, ike_dh_pub(a), 32, zero, &err), 0);
	assert_memory_equal(z, zero, 32);
	ike_dh_free(a);
	ike_dh_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prfplus),
		cmocka_unit_test(test_ike_sa_keys),
		cmocka_unit_test(test_rekey_keys),
		cmocka_unit_test(test_child_keymat),
		cmocka_unit_test(test_psk_auth),
		cmocka_unit_test(test_sk_cbc_hmac),
		cmocka_unit_test(test_sk_gcm),
		cmocka_unit_test(test_sk_pad_length),
		cmocka_unit_test(test_curve25519),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
