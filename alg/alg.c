/*
 * The algorithm tables.  A new algorithm is one row here (and a new enum
 * value in alg.h for a cipher or hash); tests/unit/test_alg.c checks every
 * row against OpenSSL and the wire IDs against each other.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "alg/alg.h"

/*
 * IKE SA ciphers.  IKEv1: RFC 2409 Appendix A (DES-CBC 1, 3DES-CBC 5),
 * RFC 3602 (AES-CBC 7, key length attribute).  IKEv2: RFC 7296 3.3.2
 * (ENCR_DES 2, ENCR_3DES 3), RFC 3602 (ENCR_AES_CBC 12).
 */
const struct alg_cipher alg_enc_table[] = {
	{ ALG_ENC_DES, "des", 1, 2, { 64 }, { NULL }, 8, 8, 0, 0,
	    "DES - Data Encryption Standard (56 bit keys).", NULL, NULL,
	    NULL },
	{ ALG_ENC_3DES, "3des", 5, 3, { 192 }, { "DES-EDE3-CBC" }, 8, 8, 0,
	    0, "Three key triple DES", NULL, NULL, NULL },
	{ ALG_ENC_AES, "aes", 7, 12, { 128, 192, 256 },
	    { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" }, 16, 16, 0, 0,
	    "AES - Advanced Encryption Standard (%d bit keys).", NULL, NULL,
	    NULL },
};
const size_t alg_enc_count = nitems(alg_enc_table);

/*
 * IKE SA hashes.  IKEv1: RFC 2409 Appendix A (MD5 1, SHA 2), RFC 4868
 * (SHA2-256 4, -384 5, -512 6).  IKEv2 PRF_HMAC_*: RFC 7296 (MD5 1,
 * SHA1 2), RFC 4868 (5, 6, 7); AUTH_HMAC_*: RFC 7296 (MD5_96 1,
 * SHA1_96 2), RFC 4868 (SHA2_256_128 12, 384_192 13, 512_256 14).
 */
const struct alg_hmac alg_hash_table[] = {
	{ ALG_HASH_MD5, "md5", 1, 1, 1, "MD5", 16, 12,
	    "Message Digest 5" },
	{ ALG_HASH_SHA1, "sha", 2, 2, 2, "SHA1", 20, 12,
	    "Secure Hash Standard" },
	{ ALG_HASH_SHA256, "sha256", 4, 5, 12, "SHA2-256", 32, 16,
	    "Secure Hash Standard 2 (256 bit)" },
	{ ALG_HASH_SHA384, "sha384", 5, 6, 13, "SHA2-384", 48, 24,
	    "Secure Hash Standard 2 (384 bit)" },
	{ ALG_HASH_SHA512, "sha512", 6, 7, 14, "SHA2-512", 64, 32,
	    "Secure Hash Standard 2 (512 bit)" },
};
const size_t alg_hash_count = nitems(alg_hash_table);

/*
 * ESP ciphers.  IKEv1 ESP transform IDs: RFC 2407 4.4.4 (ESP_3DES 3),
 * RFC 3602 (ESP_AES 12), RFC 4106 (ESP_AES_GCM_16 20); IKEv2 uses the
 * same numbers (ENCR_3DES, ENCR_AES_CBC, ENCR_AES_GCM_16).
 *   esp-3des            3DES-CBC, 8-byte IV, 8-byte blocks (RFC 2451)
 *   esp-aes 128/192/256 AES-CBC, 16-byte IV (RFC 3602)
 *   esp-gcm 128/256     AES-GCM, 8-byte IV, 16-byte ICV, key + 4-byte
 *                       salt (RFC 4106); padded to 4 bytes (RFC 4303 2.4)
 * IOS names AES-CBC "esp-aes" at 128 bits and "esp-256-aes" otherwise.
 */
const struct alg_cipher alg_esp_enc_table[] = {
	{ ALG_ESP_3DES, "esp-3des", 3, 3, { 192 }, { "DES-EDE3-CBC" }, 8, 8,
	    0, 0, "esp-3des", NULL, "3DES", NULL },
	{ ALG_ESP_AES, "esp-aes", 12, 12, { 128, 192, 256 },
	    { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" }, 16, 16, 0, 0,
	    "esp-aes", "esp-%d-aes", "AES", "AES%d" },
	{ ALG_ESP_GCM, "esp-gcm", 20, 20, { 128, 256 },
	    { "AES-128-GCM", "AES-256-GCM" }, 4, 8, 4, 16, "esp-gcm %d", NULL,
	    "AES-GCM", "AES%d-GCM" },
};
const size_t alg_esp_enc_count = nitems(alg_esp_enc_table);

/*
 * ESP integrity, HMAC truncated to icv bytes: RFC 2403 (MD5-96), RFC 2404
 * (SHA1-96), RFC 4868 (SHA-2, half the digest).  IKEv1 authentication
 * attribute: RFC 2407 4.5 (1, 2), RFC 4868 (5, 6, 7); IKEv2 AUTH_*:
 * as for the hashes above.
 */
const struct alg_hmac alg_esp_auth_table[] = {
	{ ALG_ESP_AUTH_MD5, "esp-md5-hmac", 1, 0, 1, "MD5", 16, 12, "MD5" },
	{ ALG_ESP_AUTH_SHA1, "esp-sha-hmac", 2, 0, 2, "SHA1", 20, 12, "SHA" },
	{ ALG_ESP_AUTH_SHA256, "esp-sha256-hmac", 5, 0, 12, "SHA2-256", 32,
	    16, "SHA256" },
	{ ALG_ESP_AUTH_SHA384, "esp-sha384-hmac", 6, 0, 13, "SHA2-384", 48,
	    24, "SHA384" },
	{ ALG_ESP_AUTH_SHA512, "esp-sha512-hmac", 7, 0, 14, "SHA2-512", 64,
	    32, "SHA512" },
};
const size_t alg_esp_auth_count = nitems(alg_esp_auth_table);

/*
 * DH groups: RFC 2409 6.1-6.2 (1, 2), RFC 3526 (5, 14-16), RFC 5903
 * (19-21), RFC 5114 2.3 (24), RFC 8031 (31, IKEv2 only).  ike/dh.c
 * holds the primes of groups 1 and 2 and takes OpenSSL's RFC 3526 primes
 * for the other safe-prime groups.
 */
const struct alg_dh alg_dh_table[] = {
	{ 1, "modp768", ALG_DH_MODP, 96, NULL, "768 bit", 1 },
	{ 2, "modp1024", ALG_DH_MODP, 128, NULL, "1024 bit", 1 },
	{ 5, "modp1536", ALG_DH_MODP, 192, NULL, "1536 bit", 1 },
	{ 14, "modp2048", ALG_DH_MODP, 256, NULL, "2048 bit", 1 },
	{ 15, "modp3072", ALG_DH_MODP, 384, NULL, "3072 bit", 1 },
	{ 16, "modp4096", ALG_DH_MODP, 512, NULL, "4096 bit", 1 },
	{ 19, "ecp256", ALG_DH_ECP, 32, "P-256", "256 bit ECP", 1 },
	{ 20, "ecp384", ALG_DH_ECP, 48, "P-384", "384 bit ECP", 1 },
	{ 21, "ecp521", ALG_DH_ECP, 66, "P-521", "521 bit ECP", 1 },
	{ 24, "modp2048s256", ALG_DH_MODP_SUBGROUP, 256, "dh_2048_256",
	    "2048 bit, 256 bit subgroup", 1 },
	{ 31, "curve25519", ALG_DH_ECX, 32, "X25519", "Curve25519", 0 },
};
const size_t alg_dh_count = nitems(alg_dh_table);

/* ---- lookups ------------------------------------------------------------ */

/* A row is looked up by one of its keys: enum value, word or IKEv1 ID. */
enum by {
	BY_ID,
	BY_WORD,
	BY_IKEV1,
};

static int
row_is(enum by by, int id, const char *word, unsigned int ikev1, int want,
    const char *w, unsigned int v)
{
	switch (by) {
	case BY_ID:
		return id == want;
	case BY_WORD:
		return strcasecmp(word, w) == 0;
	case BY_IKEV1:
		return ikev1 == v;
	}
	return 0;
}

static const struct alg_cipher *
cipher_find(const struct alg_cipher *t, size_t n, enum by by, int id,
    const char *w, unsigned int v)
{
	for (size_t i = 0; i < n; i++)
		if (row_is(by, t[i].id, t[i].word, t[i].ikev1, id, w, v))
			return &t[i];
	return NULL;
}

static const struct alg_hmac *
hash_find(const struct alg_hmac *t, size_t n, enum by by, int id,
    const char *w, unsigned int v)
{
	for (size_t i = 0; i < n; i++)
		if (row_is(by, t[i].id, t[i].word, t[i].ikev1, id, w, v))
			return &t[i];
	return NULL;
}

const struct alg_cipher *
alg_enc(int id)
{
	return cipher_find(alg_enc_table, alg_enc_count, BY_ID, id, NULL, 0);
}

const struct alg_cipher *
alg_enc_by_word(const char *w)
{
	return cipher_find(alg_enc_table, alg_enc_count, BY_WORD, 0, w, 0);
}

const struct alg_cipher *
alg_enc_by_ikev1(unsigned int v)
{
	return cipher_find(alg_enc_table, alg_enc_count, BY_IKEV1, 0, NULL, v);
}

const struct alg_hmac *
alg_hash(int id)
{
	return hash_find(alg_hash_table, alg_hash_count, BY_ID, id, NULL, 0);
}

const struct alg_hmac *
alg_hash_by_word(const char *w)
{
	return hash_find(alg_hash_table, alg_hash_count, BY_WORD, 0, w, 0);
}

const struct alg_hmac *
alg_hash_by_ikev1(unsigned int v)
{
	return hash_find(alg_hash_table, alg_hash_count, BY_IKEV1, 0, NULL,
	    v);
}

const struct alg_cipher *
alg_esp_enc(int id)
{
	return cipher_find(alg_esp_enc_table, alg_esp_enc_count, BY_ID, id,
	    NULL, 0);
}

const struct alg_cipher *
alg_esp_enc_by_word(const char *w)
{
	return cipher_find(alg_esp_enc_table, alg_esp_enc_count, BY_WORD, 0,
	    w, 0);
}

const struct alg_cipher *
alg_esp_enc_by_ikev1(unsigned int v)
{
	return cipher_find(alg_esp_enc_table, alg_esp_enc_count, BY_IKEV1, 0,
	    NULL, v);
}

/* ALG_ESP_AUTH_NONE (0) has no row, so it is never found. */
const struct alg_hmac *
alg_esp_auth(int id)
{
	return hash_find(alg_esp_auth_table, alg_esp_auth_count, BY_ID, id,
	    NULL, 0);
}

const struct alg_hmac *
alg_esp_auth_by_word(const char *w)
{
	return hash_find(alg_esp_auth_table, alg_esp_auth_count, BY_WORD, 0,
	    w, 0);
}

const struct alg_hmac *
alg_esp_auth_by_ikev1(unsigned int v)
{
	return hash_find(alg_esp_auth_table, alg_esp_auth_count, BY_IKEV1, 0,
	    NULL, v);
}

const struct alg_dh *
alg_dh(int id)
{
	for (size_t i = 0; i < alg_dh_count; i++)
		if (alg_dh_table[i].id == id)
			return &alg_dh_table[i];
	return NULL;
}

const struct alg_dh *
alg_dh_ikev1(int id)
{
	const struct alg_dh *d = alg_dh(id);

	return d != NULL && d->ikev1 ? d : NULL;
}

const char *
alg_enc_word(int id)
{
	const struct alg_cipher *c = alg_enc(id);

	return c != NULL ? c->word : "?";
}

const char *
alg_hash_word(int id)
{
	const struct alg_hmac *h = alg_hash(id);

	return h != NULL ? h->word : "?";
}

const char *
alg_esp_enc_word(int id)
{
	const struct alg_cipher *c = alg_esp_enc(id);

	return c != NULL ? c->word : "?";
}

const char *
alg_esp_auth_word(int id)
{
	const struct alg_hmac *h = alg_esp_auth(id);

	if (id == ALG_ESP_AUTH_NONE)
		return "";
	return h != NULL ? h->word : "?";
}

/* ---- key sizes ---------------------------------------------------------- */

int
alg_cipher_varkey(const struct alg_cipher *c)
{
	return c->bits[1] != 0;
}

int
alg_cipher_size(const struct alg_cipher *c, int bits)
{
	for (int i = 0; i < ALG_MAX_KEYSIZES && c->bits[i] != 0; i++)
		if (c->bits[i] == bits)
			return i;
	return -1;
}

size_t
alg_cipher_keylen(const struct alg_cipher *c, int bits)
{
	if (alg_cipher_size(c, bits) == -1)
		return 0;
	return (size_t)bits / 8 + c->salt;
}

const char *
alg_cipher_ossl(const struct alg_cipher *c, int bits)
{
	int	 i = alg_cipher_size(c, bits);

	return i == -1 ? NULL : c->ossl[i];
}

size_t
alg_esp_enc_keylen(uint32_t enc, uint32_t bits)
{
	const struct alg_cipher *c = enc <= INT_MAX ? alg_esp_enc((int)enc) :
	    NULL;

	if (c == NULL || bits > INT_MAX)
		return 0;
	return alg_cipher_keylen(c, (int)bits);
}

int
alg_esp_auth_keylen(uint32_t auth, size_t *len)
{
	const struct alg_hmac *h = auth <= INT_MAX ? alg_esp_auth((int)auth) :
	    NULL;

	*len = 0;
	if (auth == ALG_ESP_AUTH_NONE)
		return 0;
	if (h == NULL)
		return -1;
	*len = h->len;
	return 0;
}

/* ---- display names ------------------------------------------------------ */

/*
 * The formats are this file's own string constants, each with at most
 * one %d (test_alg checks): never text from outside.
 */
static void
format_bits(char *out, size_t len, const char *fmt, int bits)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(out, len, fmt, bits);
#pragma GCC diagnostic pop
}

void
alg_cipher_ios(const struct alg_cipher *c, int bits, char *out, size_t len)
{
	format_bits(out, len, bits != c->bits[0] && c->ios_big != NULL ?
	    c->ios_big : c->ios, bits);
}

void
alg_esp_transform_ios(int enc, int bits, int auth, char *out, size_t len)
{
	const struct alg_cipher *c = alg_esp_enc(enc);
	const struct alg_hmac *h = alg_esp_auth(auth);
	char	 e[32];

	if (c == NULL) {
		snprintf(out, len, "unknown");
		return;
	}
	alg_cipher_ios(c, bits, e, sizeof(e));
	snprintf(out, len, "%s%s%s", e, h != NULL ? " " : "",
	    h != NULL ? h->word : "");
}

void
alg_esp_engine_name(int enc, int bits, int auth, char *out, size_t len)
{
	const struct alg_cipher *c = alg_esp_enc(enc);
	const struct alg_hmac *h = alg_esp_auth(auth);
	char	 e[32] = "";

	if (c != NULL)
		format_bits(e, sizeof(e), bits != c->bits[0] &&
		    c->engine_big != NULL ? c->engine_big : c->engine, bits);
	snprintf(out, len, "%s%s%s", e, h != NULL ? "+" : "",
	    h != NULL ? h->ios : "");
}

void
alg_dh_list(const char *prefix, const char *last, char *out, size_t len)
{
	size_t	 n = 0, nv1 = 0, k = 0;

	for (size_t i = 0; i < alg_dh_count; i++)
		nv1 += alg_dh_table[i].ikev1 != 0;
	out[0] = '\0';
	for (size_t i = 0; i < alg_dh_count && n < len; i++) {
		if (!alg_dh_table[i].ikev1)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%s%d",
		    k == 0 ? "" : k == nv1 - 1 ? last : ", ", prefix,
		    alg_dh_table[i].id);
		k++;
	}
}

void
alg_hash_list(const char *last, char *out, size_t len)
{
	size_t	 n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < alg_hash_count && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s",
		    i == 0 ? "" : i == alg_hash_count - 1 ? last : ", ",
		    alg_hash_table[i].word);
}
