/*
 * alg: every row against OpenSSL (key, block, IV and digest lengths for
 * its OpenSSL name), the config words and wire IDs round-tripping through
 * the lookups, no two rows of a family sharing a word or a wire ID, the
 * IKEv1 IDs against ike/wire.h's registry, and the display names the show
 * commands print.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "lib/lib.h"
#include "alg/alg.h"
#include "ike/wire.h"

static void
cipher_agrees(const struct alg_cipher *c)
{
	for (int i = 0; i < ALG_MAX_KEYSIZES && c->bits[i] != 0; i++) {
		EVP_CIPHER *e;

		if (c->ossl[i] == NULL)
			continue;	/* never run (des) */
		e = EVP_CIPHER_fetch(NULL, c->ossl[i], NULL);
		assert_non_null(e);
		assert_int_equal(EVP_CIPHER_get_key_length(e) * 8, c->bits[i]);
		assert_int_equal(alg_cipher_keylen(c, c->bits[i]),
		    (size_t)c->bits[i] / 8 + c->salt);
		if (c->icv == 0) {
			/* CBC: the IV is one block, sent whole */
			assert_int_equal(EVP_CIPHER_get_mode(e),
			    EVP_CIPH_CBC_MODE);
			assert_int_equal(EVP_CIPHER_get_block_size(e),
			    c->block);
			assert_int_equal(EVP_CIPHER_get_iv_length(e), c->iv);
			assert_int_equal(c->salt, 0);
		} else {
			/* GCM: nonce = salt || IV (RFC 4106 4), padded to 4 */
			assert_int_equal(EVP_CIPHER_get_mode(e),
			    EVP_CIPH_GCM_MODE);
			assert_int_equal(EVP_CIPHER_get_iv_length(e),
			    c->salt + c->iv);
			assert_int_equal(c->block, 4);
			assert_int_equal(c->icv, 16);
		}
		EVP_CIPHER_free(e);
	}
	assert_int_equal(alg_cipher_keylen(c, 100), 0);
}

static void
test_ciphers_agree_with_openssl(void **state)
{
	int	 runnable = 0;

	(void)state;
	for (size_t i = 0; i < alg_enc_count; i++) {
		cipher_agrees(&alg_enc_table[i]);
		runnable += alg_enc_table[i].ossl[0] != NULL;
		/* IKE SA ciphers are CBC: no salt, no ICV */
		assert_int_equal(alg_enc_table[i].icv, 0);
		assert_int_equal(alg_enc_table[i].iv, alg_enc_table[i].block);
	}
	/* all but des */
	assert_int_equal(runnable, (int)alg_enc_count - 1);
	for (size_t i = 0; i < alg_esp_enc_count; i++) {
		assert_non_null(alg_esp_enc_table[i].ossl[0]);
		cipher_agrees(&alg_esp_enc_table[i]);
	}
}

static void
hash_agrees(const struct alg_hmac *h)
{
	EVP_MD	*md = EVP_MD_fetch(NULL, h->ossl, NULL);

	assert_non_null(md);
	assert_int_equal(EVP_MD_get_size(md), h->len);
	/* RFC 2403/2404: 96 bits; RFC 4868: half the digest */
	assert_int_equal(h->icv, h->len <= 20 ? 12 : h->len / 2);
	EVP_MD_free(md);
}

static void
test_hashes_agree_with_openssl(void **state)
{
	(void)state;
	for (size_t i = 0; i < alg_hash_count; i++) {
		const struct alg_hmac *h = &alg_hash_table[i];

		hash_agrees(h);
		assert_int_not_equal(h->ikev2_prf, 0);
	}
	for (size_t i = 0; i < alg_esp_auth_count; i++) {
		const struct alg_hmac *h = &alg_esp_auth_table[i];
		size_t	 len;

		hash_agrees(h);
		assert_int_equal(h->ikev2_prf, 0);
		assert_int_equal(alg_esp_auth_keylen((uint32_t)h->id, &len), 0);
		assert_int_equal(len, h->len);
		/* the same HMAC has the same IKEv2 integrity ID either way */
		for (size_t j = 0; j < alg_hash_count; j++)
			if (strcmp(alg_hash_table[j].ossl, h->ossl) == 0)
				assert_int_equal(alg_hash_table[j].ikev2_integ,
				    h->ikev2_integ);
	}
}

static void
test_dh_groups_agree_with_openssl(void **state)
{
	(void)state;
	for (size_t i = 0; i < alg_dh_count; i++) {
		const struct alg_dh *d = &alg_dh_table[i];
		EVP_PKEY *pk;

		assert_ptr_equal(alg_dh(d->id), d);
		/* every group but RFC 8031's is IKEv1's too */
		assert_int_equal(d->ikev1, d->kind != ALG_DH_ECX);
		if (d->kind == ALG_DH_ECX) {
			pk = EVP_PKEY_Q_keygen(NULL, NULL, d->ossl);
			assert_non_null(pk);
			assert_int_equal((EVP_PKEY_get_bits(pk) + 7) / 8,
			    d->bytes);
			EVP_PKEY_free(pk);
			continue;
		}
		if (d->kind != ALG_DH_ECP)
			continue;	/* MODP sizes: test_ike_crypto */
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", d->ossl);
		assert_non_null(pk);
		assert_int_equal((EVP_PKEY_get_bits(pk) + 7) / 8, d->bytes);
		EVP_PKEY_free(pk);
	}
	assert_null(alg_dh(3));
	assert_null(alg_dh(0));
}

static void
cipher_round_trip(const struct alg_cipher *t, size_t n, int end,
    const struct alg_cipher *(*by_id)(int),
    const struct alg_cipher *(*by_word)(const char *),
    const struct alg_cipher *(*by_ikev1)(unsigned int))
{
	char	 up[32];

	assert_int_equal(n, (size_t)end - 1);
	for (int id = 1; id < end; id++)
		assert_non_null(by_id(id));
	assert_null(by_id(0));
	assert_null(by_id(end));
	for (size_t i = 0; i < n; i++) {
		snprintf(up, sizeof(up), "%s", t[i].word);
		for (char *p = up; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		assert_ptr_equal(by_id(t[i].id), &t[i]);
		assert_ptr_equal(by_word(t[i].word), &t[i]);
		assert_ptr_equal(by_word(up), &t[i]);
		assert_ptr_equal(by_ikev1(t[i].ikev1), &t[i]);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(t[i].id, t[j].id);
			assert_int_not_equal(strcasecmp(t[i].word, t[j].word),
			    0);
			assert_int_not_equal(t[i].ikev1, t[j].ikev1);
			assert_int_not_equal(t[i].ikev2, t[j].ikev2);
		}
		assert_int_not_equal(t[i].ikev1, 0);
		assert_int_not_equal(t[i].ikev2, 0);
	}
	assert_null(by_word("nonesuch"));
	assert_null(by_ikev1(0));
}

static void
hmac_round_trip(const struct alg_hmac *t, size_t n, int end,
    const struct alg_hmac *(*by_id)(int),
    const struct alg_hmac *(*by_word)(const char *),
    const struct alg_hmac *(*by_ikev1)(unsigned int))
{
	assert_int_equal(n, (size_t)end - 1);
	for (int id = 1; id < end; id++)
		assert_non_null(by_id(id));
	assert_null(by_id(0));
	assert_null(by_id(end));
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(by_id(t[i].id), &t[i]);
		assert_ptr_equal(by_word(t[i].word), &t[i]);
		assert_ptr_equal(by_ikev1(t[i].ikev1), &t[i]);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(t[i].id, t[j].id);
			assert_int_not_equal(strcasecmp(t[i].word, t[j].word),
			    0);
			assert_int_not_equal(t[i].ikev1, t[j].ikev1);
			assert_int_not_equal(t[i].ikev2_integ,
			    t[j].ikev2_integ);
			if (t[i].ikev2_prf != 0)
				assert_int_not_equal(t[i].ikev2_prf,
				    t[j].ikev2_prf);
		}
	}
	assert_null(by_word("nonesuch"));
	assert_null(by_ikev1(0));
}

static void
test_words_and_ids_round_trip(void **state)
{
	(void)state;
	cipher_round_trip(alg_enc_table, alg_enc_count, ALG_ENC_END, alg_enc,
	    alg_enc_by_word, alg_enc_by_ikev1);
	cipher_round_trip(alg_esp_enc_table, alg_esp_enc_count, ALG_ESP_END,
	    alg_esp_enc, alg_esp_enc_by_word, alg_esp_enc_by_ikev1);
	hmac_round_trip(alg_hash_table, alg_hash_count, ALG_HASH_END,
	    alg_hash, alg_hash_by_word, alg_hash_by_ikev1);
	hmac_round_trip(alg_esp_auth_table, alg_esp_auth_count,
	    ALG_ESP_AUTH_END, alg_esp_auth, alg_esp_auth_by_word,
	    alg_esp_auth_by_ikev1);
	for (size_t i = 0; i < alg_dh_count; i++)
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(alg_dh_table[i].id,
			    alg_dh_table[j].id);

	for (size_t i = 0; i < alg_enc_count; i++)
		assert_string_equal(alg_enc_word(alg_enc_table[i].id),
		    alg_enc_table[i].word);
	for (size_t i = 0; i < alg_hash_count; i++)
		assert_string_equal(alg_hash_word(alg_hash_table[i].id),
		    alg_hash_table[i].word);
	for (size_t i = 0; i < alg_esp_enc_count; i++)
		assert_string_equal(alg_esp_enc_word(alg_esp_enc_table[i].id),
		    alg_esp_enc_table[i].word);
	for (size_t i = 0; i < alg_esp_auth_count; i++)
		assert_string_equal(alg_esp_auth_word(
		    alg_esp_auth_table[i].id), alg_esp_auth_table[i].word);
	assert_string_equal(alg_esp_auth_word(ALG_ESP_AUTH_NONE), "");
	assert_string_equal(alg_enc_word(0), "?");
	assert_null(alg_esp_auth(ALG_ESP_AUTH_NONE));
}

/* The IKEv1 numbers agree with the registry ike/wire.h names for traces. */
static void
test_ikev1_ids_match_the_registry(void **state)
{
	(void)state;
	assert_int_equal(alg_enc(ALG_ENC_DES)->ikev1, IKE_ENC_DES);
	assert_int_equal(alg_enc(ALG_ENC_3DES)->ikev1, IKE_ENC_3DES);
	assert_int_equal(alg_enc(ALG_ENC_AES)->ikev1, IKE_ENC_AES);
	assert_int_equal(alg_hash(ALG_HASH_MD5)->ikev1, IKE_HASH_MD5);
	assert_int_equal(alg_hash(ALG_HASH_SHA1)->ikev1, IKE_HASH_SHA1);
	assert_int_equal(alg_hash(ALG_HASH_SHA256)->ikev1, IKE_HASH_SHA256);
	assert_int_equal(alg_hash(ALG_HASH_SHA384)->ikev1, IKE_HASH_SHA384);
	assert_int_equal(alg_hash(ALG_HASH_SHA512)->ikev1, IKE_HASH_SHA512);
	assert_int_equal(alg_esp_enc(ALG_ESP_3DES)->ikev1, IKE_ESP_3DES);
	assert_int_equal(alg_esp_enc(ALG_ESP_AES)->ikev1, IKE_ESP_AES);
	assert_int_equal(alg_esp_enc(ALG_ESP_GCM)->ikev1, IKE_ESP_AES_GCM_16);
	assert_int_equal(alg_esp_auth(ALG_ESP_AUTH_MD5)->ikev1,
	    IKE_P2AUTH_MD5);
	assert_int_equal(alg_esp_auth(ALG_ESP_AUTH_SHA1)->ikev1,
	    IKE_P2AUTH_SHA1);
	assert_int_equal(alg_esp_auth(ALG_ESP_AUTH_SHA256)->ikev1,
	    IKE_P2AUTH_SHA256);
	assert_int_equal(alg_esp_auth(ALG_ESP_AUTH_SHA384)->ikev1,
	    IKE_P2AUTH_SHA384);
	assert_int_equal(alg_esp_auth(ALG_ESP_AUTH_SHA512)->ikev1,
	    IKE_P2AUTH_SHA512);
}

/* A display format holds at most one conversion, and it is %d. */
static void
format_ok(const char *f)
{
	int	 n = 0;

	if (f == NULL)
		return;
	for (const char *p = strchr(f, '%'); p != NULL;
	    p = strchr(p + 2, '%')) {
		assert_int_equal(p[1], 'd');
		n++;
	}
	assert_true(n <= 1);
}

static void
test_display_names(void **state)
{
	static const struct {
		int		 enc, bits, auth;
		const char	*ios, *engine;
	} sa[] = {
		{ ALG_ESP_AES, 128, ALG_ESP_AUTH_SHA1, "esp-aes esp-sha-hmac",
		    "AES+SHA" },
		{ ALG_ESP_AES, 256, ALG_ESP_AUTH_SHA256,
		    "esp-256-aes esp-sha256-hmac", "AES256+SHA256" },
		{ ALG_ESP_3DES, 192, ALG_ESP_AUTH_MD5, "esp-3des esp-md5-hmac",
		    "3DES+MD5" },
		{ ALG_ESP_GCM, 128, ALG_ESP_AUTH_NONE, "esp-gcm 128",
		    "AES-GCM" },
		{ ALG_ESP_GCM, 256, ALG_ESP_AUTH_NONE, "esp-gcm 256",
		    "AES256-GCM" },
		{ 9, 128, ALG_ESP_AUTH_NONE, "unknown", "" },
	};
	char	 buf[128];

	(void)state;
	for (size_t i = 0; i < alg_enc_count; i++) {
		format_ok(alg_enc_table[i].ios);
		format_ok(alg_enc_table[i].ios_big);
	}
	for (size_t i = 0; i < alg_esp_enc_count; i++) {
		format_ok(alg_esp_enc_table[i].ios);
		format_ok(alg_esp_enc_table[i].ios_big);
		format_ok(alg_esp_enc_table[i].engine);
		format_ok(alg_esp_enc_table[i].engine_big);
	}
	for (size_t i = 0; i < nitems(sa); i++) {
		alg_esp_transform_ios(sa[i].enc, sa[i].bits, sa[i].auth, buf,
		    sizeof(buf));
		assert_string_equal(buf, sa[i].ios);
		alg_esp_engine_name(sa[i].enc, sa[i].bits, sa[i].auth, buf,
		    sizeof(buf));
		assert_string_equal(buf, sa[i].engine);
	}
	alg_cipher_ios(alg_enc(ALG_ENC_AES), 192, buf, sizeof(buf));
	assert_string_equal(buf,
	    "AES - Advanced Encryption Standard (192 bit keys).");
	alg_cipher_ios(alg_enc(ALG_ENC_3DES), 0, buf, sizeof(buf));
	assert_string_equal(buf, "Three key triple DES");
	alg_dh_list("", " or ", buf, sizeof(buf));
	assert_string_equal(buf, "1, 2, 5, 14, 15, 16, 19, 20, 21 or 24");
	alg_dh_list("group", ", ", buf, sizeof(buf));
	assert_string_equal(buf, "group1, group2, group5, group14, group15, "
	    "group16, group19, group20, group21, group24");
	alg_hash_list(" or ", buf, sizeof(buf));
	assert_string_equal(buf, "md5, sha, sha256, sha384 or sha512");
	/* a short buffer is cut, never overrun */
	alg_dh_list("group", ", ", buf, 10);
	assert_string_equal(buf, "group1, g");
}

static void
test_esp_key_lengths(void **state)
{
	size_t	 len;

	(void)state;
	assert_int_equal(alg_esp_enc_keylen(ALG_ESP_GCM, 256), 36);
	assert_int_equal(alg_esp_enc_keylen(ALG_ESP_GCM, 192), 0);
	assert_int_equal(alg_esp_enc_keylen(ALG_ESP_AES, 192), 24);
	assert_int_equal(alg_esp_enc_keylen(ALG_ESP_3DES, 192), 24);
	assert_int_equal(alg_esp_enc_keylen(ALG_ESP_3DES, 128), 0);
	assert_int_equal(alg_esp_enc_keylen(0, 128), 0);
	assert_int_equal(alg_esp_enc_keylen(0xffffffffu, 128), 0);
	assert_int_equal(alg_esp_auth_keylen(ALG_ESP_AUTH_NONE, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(alg_esp_auth_keylen(ALG_ESP_AUTH_SHA384, &len), 0);
	assert_int_equal(len, 48);
	assert_int_equal(alg_esp_auth_keylen(ALG_ESP_AUTH_END, &len), -1);
	assert_int_equal(alg_esp_auth_keylen(0xffffffffu, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ciphers_agree_with_openssl),
		cmocka_unit_test(test_hashes_agree_with_openssl),
		cmocka_unit_test(test_dh_groups_agree_with_openssl),
		cmocka_unit_test(test_words_and_ids_round_trip),
		cmocka_unit_test(test_ikev1_ids_match_the_registry),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_esp_key_lengths),
	};

	return cmocka_run_group_tests_name("alg", tests, NULL, NULL);
}
