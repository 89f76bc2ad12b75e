/*
 * The ESP transforms: one cipher context (and one HMAC context for the CBC
 * ciphers) per SA, created when the SA is added and reused for every
 * packet; only the IV changes between packets.
 *
 *   esp-3des            3DES-CBC, 8-byte IV, 8-byte blocks (RFC 2451)
 *   esp-aes 128/192/256 AES-CBC, 16-byte IV (RFC 3602)
 *   esp-gcm 128/256     AES-GCM, 8-byte IV, 16-byte ICV, key + 4-byte
 *                       salt (RFC 4106)
 *   esp-md5-hmac        HMAC-MD5-96 (RFC 2403)
 *   esp-sha-hmac        HMAC-SHA1-96 (RFC 2404)
 *   esp-sha256/384/512-hmac  HMAC-SHA-2 truncated to half (RFC 4868)
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

static const EVP_CIPHER *
cipher_for(enum conf_esp_enc enc, int bits)
{
	switch (enc) {
	case CONF_ESP_3DES:
		return bits == 192 ? EVP_des_ede3_cbc() : NULL;
	case CONF_ESP_AES:
		switch (bits) {
		case 128:
			return EVP_aes_128_cbc();
		case 192:
			return EVP_aes_192_cbc();
		case 256:
			return EVP_aes_256_cbc();
		}
		return NULL;
	case CONF_ESP_GCM:
		switch (bits) {
		case 128:
			return EVP_aes_128_gcm();
		case 256:
			return EVP_aes_256_gcm();
		}
		return NULL;
	}
	return NULL;
}

static const char *
digest_for(enum conf_esp_auth auth, size_t *keylen, size_t *icvlen)
{
	switch (auth) {
	case CONF_ESP_AUTH_MD5:
		*keylen = 16;
		*icvlen = 12;
		return "MD5";
	case CONF_ESP_AUTH_SHA1:
		*keylen = 20;
		*icvlen = 12;
		return "SHA1";
	case CONF_ESP_AUTH_SHA256:
		*keylen = 32;
		*icvlen = 16;
		return "SHA2-256";
	case CONF_ESP_AUTH_SHA384:
		*keylen = 48;
		*icvlen = 24;
		return "SHA2-384";
	case CONF_ESP_AUTH_SHA512:
		*keylen = 64;
		*icvlen = 32;
		return "SHA2-512";
	case CONF_ESP_AUTH_NONE:
		break;
	}
	return NULL;
}

size_t
esp_enc_key_len(uint32_t enc, uint32_t bits)
{
	const EVP_CIPHER *c = cipher_for((enum conf_esp_enc)enc, (int)bits);

	if (c == NULL)
		return 0;
	return (size_t)EVP_CIPHER_get_key_length(c) +
	    (enc == CONF_ESP_GCM ? 4 : 0);
}

int
esp_auth_key_len(uint32_t auth, size_t *len)
{
	size_t	 icv;

	*len = 0;
	if (auth == CONF_ESP_AUTH_NONE)
		return 0;
	return digest_for((enum conf_esp_auth)auth, len, &icv) != NULL ? 0 :
	    -1;
}

size_t
esp_xform_iv_len(enum conf_esp_enc enc)
{
	switch (enc) {
	case CONF_ESP_3DES:
	case CONF_ESP_GCM:
		return 8;
	case CONF_ESP_AES:
		return 16;
	}
	return 0;
}

int
esp_xform_init(struct esp_xform *x, const struct esp_sa *sa)
{
	const EVP_CIPHER *c = cipher_for(sa->enc, sa->enc_keybits);
	size_t		 klen, akey = 0, icv = 0;
	const char	*dname = NULL;
	EVP_MAC		*mac = NULL;
	int		 rv = -1;

	memset(x, 0, sizeof(*x));
	if (c == NULL)
		return -1;
	klen = (size_t)EVP_CIPHER_get_key_length(c);
	x->enc = sa->enc;
	x->auth = sa->auth;
	x->encrypt = sa->dir == ESP_OUT;
	x->iv_len = esp_xform_iv_len(sa->enc);
	if (sa->enc == CONF_ESP_GCM) {
		if (sa->auth != CONF_ESP_AUTH_NONE ||
		    sa->enc_key_len != klen + 4)
			return -1;
		memcpy(x->salt, sa->enc_key + klen, 4);
		x->block = 4;
		x->icv_len = 16;
	} else {
		if (sa->enc_key_len != klen)
			return -1;
		dname = digest_for(sa->auth, &akey, &icv);
		if (dname == NULL || sa->auth_key_len != akey)
			return -1;
		x->block = (size_t)EVP_CIPHER_get_block_size(c);
		x->icv_len = icv;
	}

	if ((x->cipher = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_CipherInit_ex(x->cipher, c, NULL, sa->enc_key, NULL,
	    x->encrypt) != 1)
		goto done;
	if (sa->enc == CONF_ESP_GCM) {
		if (EVP_CIPHER_CTX_ctrl(x->cipher, EVP_CTRL_GCM_SET_IVLEN, 12,
		    NULL) != 1)
			goto done;
	} else if (EVP_CIPHER_CTX_set_padding(x->cipher, 0) != 1)
		goto done;

	if (dname != NULL) {
		OSSL_PARAM	 params[2];

		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, (char *)dname, 0);
		params[1] = OSSL_PARAM_construct_end();
		if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
		    (x->mac = EVP_MAC_CTX_new(mac)) == NULL ||
		    EVP_MAC_init(x->mac, sa->auth_key, sa->auth_key_len,
		    params) != 1)
			goto done;
	}
	rv = 0;
 done:
	EVP_MAC_free(mac);
	if (rv == -1)
		esp_xform_cleanup(x);
	return rv;
}

void
esp_xform_cleanup(struct esp_xform *x)
{
	/* Both free functions wipe the key schedules they hold. */
	EVP_CIPHER_CTX_free(x->cipher);
	EVP_MAC_CTX_free(x->mac);
	OPENSSL_cleanse(x, sizeof(*x));
}

void
esp_transform_ios_name(enum conf_esp_enc enc, int bits, enum conf_esp_auth auth,
    char *out, size_t outlen)
{
	const char	*a = "";

	switch (auth) {
	case CONF_ESP_AUTH_MD5:
		a = " esp-md5-hmac";
		break;
	case CONF_ESP_AUTH_SHA1:
		a = " esp-sha-hmac";
		break;
	case CONF_ESP_AUTH_SHA256:
		a = " esp-sha256-hmac";
		break;
	case CONF_ESP_AUTH_SHA384:
		a = " esp-sha384-hmac";
		break;
	case CONF_ESP_AUTH_SHA512:
		a = " esp-sha512-hmac";
		break;
	case CONF_ESP_AUTH_NONE:
		break;
	}
	switch (enc) {
	case CONF_ESP_3DES:
		snprintf(out, outlen, "esp-3des%s", a);
		break;
	case CONF_ESP_AES:
		/* IOS: "esp-aes" for 128 bits, "esp-256-aes" otherwise */
		if (bits == 128)
			snprintf(out, outlen, "esp-aes%s", a);
		else
			snprintf(out, outlen, "esp-%d-aes%s", bits, a);
		break;
	case CONF_ESP_GCM:
		snprintf(out, outlen, "esp-gcm %d%s", bits, a);
		break;
	default:
		snprintf(out, outlen, "unknown");
	}
}
