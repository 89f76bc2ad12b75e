/*
 * ike/crypto.c and ike/dh.c against known answers computed independently
 * (tests/unit/ike_kat_gen.py: Python integers, hmac, hashlib and a textbook
 * curve multiplication): every DH group, SKEYID and SKEYID_d/a/e, the
 * cipher key expansion, the phase 1 and phase 2 IVs, HASH_I/HASH_R and
 * KEYMAT; and the RFC 6989 checks on peer public values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>

#include "lib/lib.h"
#include "ike/crypto.h"
#include "ike_kat_vectors.h"

struct dh_kat {
	int		 group;
	const uint8_t	*x;
	size_t		 xlen;
	const uint8_t	*gx;
	size_t		 publen;
	const uint8_t	*y;
	size_t		 ylen;
	const uint8_t	*gy;
	const uint8_t	*z;
	size_t		 zlen;
};

static const struct dh_kat dh_kats[] = { DH_KATS };

static void
test_dh_known_answers(void **state)
{
	uint8_t		 z[IKE_MAX_DH];
	const char	*err = NULL;

	(void)state;
	for (size_t i = 0; i < nitems(dh_kats); i++) {
		const struct dh_kat *k = &dh_kats[i];
		struct ike_dh	*a, *b;

		assert_true(ike_dh_supported(k->group));
		assert_int_equal(ike_dh_publen(k->group), k->publen);
		assert_int_equal(ike_dh_secretlen(k->group), k->zlen);
		a = ike_dh_new_fixed(k->group, k->x, k->xlen, k->gx, k->publen);
		b = ike_dh_new_fixed(k->group, k->y, k->ylen, k->gy, k->publen);
		assert_non_null(a);
		assert_non_null(b);
		/* the KE data is the public value in the RFC's format */
		assert_memory_equal(ike_dh_pub(a), k->gx, k->publen);
		memset(z, 0, sizeof(z));
		assert_int_equal(ike_dh_derive(a, k->gy, k->publen, z, &err),
		    0);
		assert_memory_equal(z, k->z, k->zlen);
		memset(z, 0, sizeof(z));
		assert_int_equal(ike_dh_derive(b, k->gx, k->publen, z, &err),
		    0);
		assert_memory_equal(z, k->z, k->zlen);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

/* Fresh keys of every group agree, and their KE data has the right size. */
static void
test_dh_fresh_keys_agree(void **state)
{
	static const int gs[] = { 1, 2, 5, 14, 15, 16, 19, 20, 21, 24 };
	uint8_t		 z1[IKE_MAX_DH], z2[IKE_MAX_DH];
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(gs); i++) {
		struct ike_dh *a = ike_dh_new(gs[i]), *b = ike_dh_new(gs[i]);
		size_t	 n = ike_dh_publen(gs[i]);

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(ike_dh_group(a), gs[i]);
		assert_int_equal(ike_dh_derive(a, ike_dh_pub(b), n, z1, &err),
		    0);
		assert_int_equal(ike_dh_derive(b, ike_dh_pub(a), n, z2, &err),
		    0);
		assert_memory_equal(z1, z2, ike_dh_secretlen(gs[i]));
		ike_dh_free(a);
		ike_dh_free(b);
	}
	assert_false(ike_dh_supported(3));
	assert_null(ike_dh_new(22));
}

/* RFC 6989: 0, 1, p-1, p and over-long values are refused. */
static void
test_dh_bad_public_values(void **state)
{
	static const int gs[] = { 1, 2, 14, 24 };
	uint8_t		 y[IKE_MAX_DH + 1], z[IKE_MAX_DH];
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(gs); i++) {
		struct ike_dh	*a = ike_dh_new(gs[i]);
		size_t		 n = ike_dh_publen(gs[i]);
		BIGNUM		*p = NULL;

		assert_non_null(a);
		memset(y, 0, n);
		assert_int_equal(ike_dh_derive(a, y, n, z, &err), -1);
		y[n - 1] = 1;
		assert_int_equal(ike_dh_derive(a, y, n, z, &err), -1);
		if (gs[i] == 1 || gs[i] == 2 || gs[i] == 14) {
			p = gs[i] == 1 ? BN_get_rfc2409_prime_768(NULL) :
			    gs[i] == 2 ? BN_get_rfc2409_prime_1024(NULL) :
			    BN_get_rfc3526_prime_2048(NULL);
			BN_bn2binpad(p, y, (int)n);
			assert_int_equal(ike_dh_derive(a, y, n, z, &err), -1);
			y[n - 1]--;	/* p - 1 */
			assert_int_equal(ike_dh_derive(a, y, n, z, &err), -1);
			y[n - 1]--;	/* p - 2: in range */
			assert_int_equal(ike_dh_derive(a, y, n, z, &err), 0);
			BN_free(p);
		}
		if (gs[i] == 24) {
			/* 2 is not in the 256-bit subgroup: full check */
			memset(y, 0, n);
			y[n - 1] = 2;
			assert_int_equal(ike_dh_derive(a, y, n, z, &err), -1);
		}
		assert_int_equal(ike_dh_derive(a, ike_dh_pub(a), n - 1, z,
		    &err), -1);
		assert_int_equal(ike_dh_derive(a, ike_dh_pub(a), n + 1, z,
		    &err), -1);
		ike_dh_free(a);
	}
}

static void
test_dh_ecp_off_curve(void **state)
{
	uint8_t		 y[64], z[32];
	struct ike_dh	*a = ike_dh_new(19);
	const char	*err = NULL;

	(void)state;
	memcpy(y, ike_dh_pub(a), 64);
	y[63] ^= 1;
	assert_int_equal(ike_dh_derive(a, y, 64, z, &err), -1);
	assert_string_equal(err, "public value not on the curve");
	ike_dh_free(a);
}

/* Groups 1 and 2 are written out from RFC 2409: compare with OpenSSL's. */
static void
test_dh_rfc2409_primes(void **state)
{
	uint8_t	 p[128];
	BIGNUM	*b;

	(void)state;
	b = BN_get_rfc2409_prime_768(NULL);
	BN_bn2binpad(b, p, 96);
	assert_memory_equal(p, dh1_p, 96);
	BN_free(b);
	b = BN_get_rfc2409_prime_1024(NULL);
	BN_bn2binpad(b, p, 128);
	assert_memory_equal(p, dh2_p, 128);
	BN_free(b);
}

struct kdf_kat {
	enum alg_hash	 hash;
	enum alg_enc	 enc;
	int		 keybits;
	const uint8_t	*psk;
	size_t		 psklen;
	const uint8_t	*ni;
	size_t		 nilen;
	const uint8_t	*nr;
	size_t		 nrlen;
	const uint8_t	*gxy;
	size_t		 gxylen;
	const uint8_t	*gxi;
	const uint8_t	*gxr;
	size_t		 glen;
	const uint8_t	*ci;
	const uint8_t	*cr;
	const uint8_t	*sai;
	size_t		 sailen;
	const uint8_t	*idii;
	const uint8_t	*idir;
	size_t		 idlen;
	const uint8_t	*skeyid;
	const uint8_t	*d;
	const uint8_t	*a;
	const uint8_t	*e;
	const uint8_t	*ek;
	size_t		 eklen;
	const uint8_t	*iv1;
	const uint8_t	*iv2;
	size_t		 bs;
	uint32_t	 mid;
	const uint8_t	*hash_i;
	const uint8_t	*hash_r;
	const uint8_t	*gqm;
	size_t		 gqmlen;
	uint32_t	 spi;
	const uint8_t	*km;
	size_t		 kmlen;
};

static const struct kdf_kat kdf_kats[] = { KDF_KATS };

static void
test_kdf_known_answers(void **state)
{
	struct ike_p1_keys k;
	uint8_t		 iv[IKE_MAX_BLOCK], h[IKE_MAX_HASH], km[128];

	(void)state;
	for (size_t i = 0; i < nitems(kdf_kats); i++) {
		const struct kdf_kat *t = &kdf_kats[i];
		size_t	 hl = ike_hash_len(t->hash);

		assert_int_equal(ike_kdf_phase1(t->hash, t->enc, t->keybits,
		    t->psk, t->psklen, t->ni, t->nilen, t->nr, t->nrlen,
		    t->gxy, t->gxylen, t->ci, t->cr, &k), 0);
		assert_int_equal(k.len, hl);
		assert_memory_equal(k.skeyid, t->skeyid, hl);
		assert_memory_equal(k.d, t->d, hl);
		assert_memory_equal(k.a, t->a, hl);
		assert_memory_equal(k.e, t->e, hl);
		assert_int_equal(k.enclen, t->eklen);
		assert_memory_equal(k.enc, t->ek, t->eklen);

		assert_int_equal(ike_cipher_block(t->enc), t->bs);
		assert_int_equal(ike_iv_phase1(t->hash, t->enc, t->gxi, t->glen,
		    t->gxr, t->glen, iv), 0);
		assert_memory_equal(iv, t->iv1, t->bs);
		assert_int_equal(ike_iv_phase2(t->hash, t->enc, t->iv1, t->mid,
		    iv), 0);
		assert_memory_equal(iv, t->iv2, t->bs);

		assert_int_equal(ike_hash_auth(t->hash, t->skeyid, hl, t->gxi,
		    t->glen, t->gxr, t->glen, t->ci, t->cr, t->sai, t->sailen,
		    t->idii, t->idlen, h), 0);
		assert_memory_equal(h, t->hash_i, hl);
		assert_int_equal(ike_hash_auth(t->hash, t->skeyid, hl, t->gxr,
		    t->glen, t->gxi, t->glen, t->cr, t->ci, t->sai, t->sailen,
		    t->idir, t->idlen, h), 0);
		assert_memory_equal(h, t->hash_r, hl);

		assert_int_equal(ike_keymat(t->hash, t->d, hl, t->gqm,
		    t->gqmlen, 3, t->spi, t->ni, t->nilen, t->nr, t->nrlen, km,
		    t->kmlen), 0);
		assert_memory_equal(km, t->km, t->kmlen);
	}
}

/* CBC in place, and the IV chain: the next IV is the last cipher block. */
static void
test_cipher_chain(void **state)
{
	static const struct { enum alg_enc e; int bits; } cs[] = {
		{ ALG_ENC_3DES, 0 }, { ALG_ENC_AES, 128 },
		{ ALG_ENC_AES, 192 }, { ALG_ENC_AES, 256 },
	};
	uint8_t	 key[32], iv[16], iv2[16], buf[96], plain[96];

	(void)state;
	for (size_t i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)i;
	for (size_t c = 0; c < nitems(cs); c++) {
		size_t	 kl = ike_cipher_keylen(cs[c].e, cs[c].bits);
		size_t	 bs = ike_cipher_block(cs[c].e);

		memset(iv, 0x5a, sizeof(iv));
		memcpy(buf, plain, sizeof(buf));
		assert_int_equal(ike_cipher(cs[c].e, key, kl, iv, buf, 96, 1),
		    0);
		assert_memory_equal(iv, buf + 96 - bs, bs);
		assert_memory_not_equal(buf, plain, 32);
		memset(iv2, 0x5a, sizeof(iv2));
		assert_int_equal(ike_cipher(cs[c].e, key, kl, iv2, buf, 96, 0),
		    0);
		assert_memory_equal(buf, plain, 96);
		assert_memory_equal(iv2, iv, bs);
		/* not a multiple of the block */
		assert_int_equal(ike_cipher(cs[c].e, key, kl, iv, buf, 95, 1),
		    -1);
	}
	assert_int_equal(ike_cipher_keylen(ALG_ENC_3DES, 0), 24);
	assert_int_equal(ike_cipher_keylen(ALG_ENC_AES, 0), 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_known_answers),
		cmocka_unit_test(test_dh_fresh_keys_agree),
		cmocka_unit_test(test_dh_bad_public_values),
		cmocka_unit_test(test_dh_ecp_off_curve),
		cmocka_unit_test(test_dh_rfc2409_primes),
		cmocka_unit_test(test_kdf_known_answers),
		cmocka_unit_test(test_cipher_chain),
	};

	log_init("test_ike_crypto", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
