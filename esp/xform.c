/*
 * The ESP transforms: one cipher context (and one HMAC context for the CBC
 * ciphers) per SA, created when the SA is added and reused for every
 * packet; only the IV changes between packets.  The algorithms, their
 * OpenSSL names and lengths are alg/'s rows (esp-3des, esp-aes, esp-gcm;
 * esp-md5-hmac ... esp-sha512-hmac).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

int
esp_xform_init(struct esp_xform *x, const struct esp_sa *sa)
{
	const struct alg_cipher *ac = alg_esp_enc(sa->enc);
	const struct alg_hmac *ah = alg_esp_auth(sa->auth);
	const char	*cname;
	EVP_CIPHER	*c = NULL;
	size_t		 klen;
	EVP_MAC		*mac = NULL;
	int		 rv = -1;

	memset(x, 0, sizeof(*x));
	if (ac == NULL ||
	    (cname = alg_cipher_ossl(ac, sa->enc_keybits)) == NULL)
		return -1;
	klen = (size_t)sa->enc_keybits / 8;
	x->enc = sa->enc;
	x->auth = sa->auth;
	x->aead = ac->icv != 0;
	x->encrypt = sa->dir == ESP_OUT;
	x->iv_len = ac->iv;
	x->block = ac->block;
	if (sa->enc_key_len != klen + ac->salt ||
	    ac->salt > sizeof(x->salt))
		return -1;
	memcpy(x->salt, sa->enc_key + klen, ac->salt);
	if (x->aead) {
		if (ah != NULL)
			return -1;
		x->icv_len = ac->icv;
	} else {
		if (ah == NULL || sa->auth_key_len != ah->len)
			return -1;
		x->icv_len = ah->icv;
	}

	if ((c = EVP_CIPHER_fetch(NULL, cname, NULL)) == NULL ||
	    (x->cipher = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (EVP_CipherInit_ex(x->cipher, c, NULL, sa->enc_key, NULL,
	    x->encrypt) != 1)
		goto done;
	if (x->aead) {
		/* RFC 4106 4: the nonce is the salt and the 8-byte IV */
		if (EVP_CIPHER_CTX_ctrl(x->cipher, EVP_CTRL_GCM_SET_IVLEN,
		    (int)(ac->salt + ac->iv), NULL) != 1)
			goto done;
	} else if (EVP_CIPHER_CTX_set_padding(x->cipher, 0) != 1)
		goto done;

	if (ah != NULL) {
		OSSL_PARAM	 params[2];

		params[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_MAC_PARAM_DIGEST, (char *)ah->ossl, 0);
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
	EVP_CIPHER_free(c);
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
