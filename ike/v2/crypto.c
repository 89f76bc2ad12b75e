/*
 * IKEv2 cryptography over OpenSSL 3 EVP: prf+, the key derivations of RFC
 * 7296 2.13-2.18, AUTH with a shared key, and the Encrypted payload with
 * AES-CBC + HMAC (3.14) or AES-GCM (RFC 5282).
 *
 * The prf and the CBC ciphers are ike/crypto.c's (the handles fetched
 * once); the GCM ciphers are fetched here once per key size.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/lib.h"
#include "ike/v2/crypto.h"

static int
is_aead(const struct ike2_suite *s)
{
	return s->enc != NULL && s->enc->icv > 0;
}

int
ike2_suite_ok(const struct ike2_suite *s)
{
	if (s->enc == NULL || alg_hash(s->prf) == NULL ||
	    alg_cipher_ossl(s->enc, s->keybits) == NULL ||
	    alg_cipher_keylen(s->enc, s->keybits) > IKE2_MAX_ENCKEY)
		return 0;
	/* an AEAD takes no integrity algorithm (RFC 5282 8); CBC needs one */
	if (is_aead(s))
		return s->integ == 0;
	return alg_hash(s->integ) != NULL;
}

size_t
ike2_integ_keylen(const struct ike2_suite *s)
{
	/* HMAC: the key is the digest's length (RFC 2404, RFC 4868 2.1.1) */
	return is_aead(s) ? 0 : ike_hash_len(s->integ);
}

size_t
ike2_enc_keylen(const struct ike2_suite *s)
{
	return alg_cipher_keylen(s->enc, s->keybits);
}

/* ---- prf+ and the derivations -------------------------------------------- */

int
ike2_prfplus(enum alg_hash h, const uint8_t *key, size_t keylen,
    const struct ike_iov *s, int ns, uint8_t *out, size_t outlen)
{
	struct ike_iov	 iov[8];
	uint8_t		 t[IKE_MAX_HASH], n = 1;
	size_t		 hl = ike_hash_len(h), done = 0, take;
	int		 rc = -1;

	if (hl == 0 || ns > 6 || outlen > 255 * hl)
		return -1;
	while (done < outlen) {
		int	 k = 0;

		/* Tn = prf(K, Tn-1 | S | n); T0 is empty */
		if (n > 1)
			iov[k++] = (struct ike_iov){ t, hl };
		for (int i = 0; i < ns; i++)
			iov[k++] = s[i];
		iov[k++] = (struct ike_iov){ &n, 1 };
		if (ike_prf(h, key, keylen, iov, k, t) == -1)
			goto done;
		take = outlen - done < hl ? outlen - done : hl;
		memcpy(out + done, t, take);
		done += take;
		n++;
	}
	rc = 0;
done:
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}

/* The seven keys out of prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
static int
split_keys(const struct ike2_suite *su, const uint8_t *skeyseed,
    size_t seedlen, const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t *spii, const uint8_t *spir, struct ike2_keys *k)
{
	struct ike_iov	 s[4] = {
		{ ni, nilen }, { nr, nrlen }, { spii, IKE2_SPI_LEN },
		{ spir, IKE2_SPI_LEN },
	};
	uint8_t		 km[7 * IKE_MAX_HASH + 2 * IKE2_MAX_ENCKEY], *p = km;
	size_t		 need;
	int		 rc = -1;

	memset(k, 0, sizeof(*k));
	if (!ike2_suite_ok(su))
		return -1;
	k->prflen = ike_hash_len(su->prf);
	k->alen = ike2_integ_keylen(su);
	k->elen = ike2_enc_keylen(su);
	need = 3 * k->prflen + 2 * k->alen + 2 * k->elen;
	if (ike2_prfplus(su->prf, skeyseed, seedlen, s, 4, km, need) == -1)
		goto done;
	memcpy(k->d, p, k->prflen);
	p += k->prflen;
	memcpy(k->ai, p, k->alen);
	p += k->alen;
	memcpy(k->ar, p, k->alen);
	p += k->alen;
	memcpy(k->ei, p, k->elen);
	p += k->elen;
	memcpy(k->er, p, k->elen);
	p += k->elen;
	memcpy(k->pi, p, k->prflen);
	p += k->prflen;
	memcpy(k->pr, p, k->prflen);
	rc = 0;
done:
	OPENSSL_cleanse(km, sizeof(km));
	if (rc == -1)
		OPENSSL_cleanse(k, sizeof(*k));
	return rc;
}

int
ike2_kdf_ike(const struct ike2_suite *su, const uint8_t *gir, size_t girlen,
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t *spii, const uint8_t *spir, struct ike2_keys *k)
{
	uint8_t		*nn, skeyseed[IKE_MAX_HASH];
	struct ike_iov	 g = { gir, girlen };
	int		 rc = -1;

	/* the prf's key is Ni | Nr: an HMAC takes it whole (2.14) */
	nn = xmalloc(nilen + nrlen);
	memcpy(nn, ni, nilen);
	memcpy(nn + nilen, nr, nrlen);
	if (ike_prf(su->prf, nn, nilen + nrlen, &g, 1, skeyseed) == 0)
		rc = split_keys(su, skeyseed, ike_hash_len(su->prf), ni,
		    nilen, nr, nrlen, spii, spir, k);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	free(nn);
	return rc;
}

int
ike2_kdf_rekey(enum alg_hash oldprf, const uint8_t *skd, size_t skdlen,
    const struct ike2_suite *su, const uint8_t *gir, size_t girlen,
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t *spii, const uint8_t *spir, struct ike2_keys *k)
{
	struct ike_iov	 s[3] = { { gir, girlen }, { ni, nilen },
			    { nr, nrlen } };
	uint8_t		 skeyseed[IKE_MAX_HASH];
	int		 rc = -1;

	/* SKEYSEED is the old prf's output, the new prf+'s key */
	if (ike_prf(oldprf, skd, skdlen, s, 3, skeyseed) == 0)
		rc = split_keys(su, skeyseed, ike_hash_len(oldprf), ni, nilen,
		    nr, nrlen, spii, spir, k);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return rc;
}

int
ike2_keymat(enum alg_hash h, const uint8_t *skd, size_t skdlen,
    const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
    const uint8_t *nr, size_t nrlen, uint8_t *out, size_t outlen)
{
	struct ike_iov	 s[3];
	int		 k = 0;

	if (gir != NULL)
		s[k++] = (struct ike_iov){ gir, girlen };
	s[k++] = (struct ike_iov){ ni, nilen };
	s[k++] = (struct ike_iov){ nr, nrlen };
	return ike2_prfplus(h, skd, skdlen, s, k, out, outlen);
}

int
ike2_psk_auth(enum alg_hash h, const void *psk, size_t psklen,
    const uint8_t *msg, size_t msglen, const uint8_t *nonce, size_t noncelen,
    const uint8_t *skp, size_t skplen, const uint8_t *id, size_t idlen,
    uint8_t *out)
{
	static const char pad[] = "Key Pad for IKEv2";
	struct ike_iov	 v[3];
	uint8_t		 inner[IKE_MAX_HASH], macid[IKE_MAX_HASH];
	size_t		 hl = ike_hash_len(h);
	int		 rc = -1;

	v[0] = (struct ike_iov){ pad, sizeof(pad) - 1 };
	if (hl == 0 || ike_prf(h, psk, psklen, v, 1, inner) == -1)
		goto done;
	v[0] = (struct ike_iov){ id, idlen };
	if (ike_prf(h, skp, skplen, v, 1, macid) == -1)
		goto done;
	v[0] = (struct ike_iov){ msg, msglen };
	v[1] = (struct ike_iov){ nonce, noncelen };
	v[2] = (struct ike_iov){ macid, hl };
	rc = ike_prf(h, inner, hl, v, 3, out);
done:
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(macid, sizeof(macid));
	return rc;
}

/* ---- the Encrypted payload ----------------------------------------------- */

/*
 * RFC 7296 3.14:
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * |         (length is block size for encryption algorithm)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * With AES-GCM (RFC 5282): an 8-byte IV, the nonce salt | IV (the salt
 * the last 4 bytes of SK_e), no padding needed (a block of 1), a 16-byte
 * ICV, and the message up to the IV as associated data.
 */

static size_t
icv_len(const struct ike2_sk *k)
{
	if (is_aead(k->suite))
		return k->suite->enc->icv;
	return alg_hash(k->suite->integ)->icv;
}

static size_t
pad_block(const struct ike2_sk *k)
{
	return is_aead(k->suite) ? 1 : k->suite->enc->block;
}

size_t
ike2_sk_iv_len(const struct ike2_sk *k)
{
	return k->suite->enc->iv;
}

size_t
ike2_sk_body_len(const struct ike2_sk *k, size_t plainlen)
{
	size_t	 b = pad_block(k), ct = plainlen + 1;

	ct += (b - ct % b) % b;
	return ike2_sk_iv_len(k) + ct + icv_len(k);
}

static EVP_CIPHER *
gcm_get(const struct alg_cipher *c, int bits)
{
	static EVP_CIPHER *ciphers[ALG_MAX_KEYSIZES];
	int	 i = alg_cipher_size(c, bits);

	if (i == -1 || alg_cipher_ossl(c, bits) == NULL)
		return NULL;
	if (ciphers[i] == NULL)
		ciphers[i] = EVP_CIPHER_fetch(NULL, alg_cipher_ossl(c, bits),
		    NULL);
	return ciphers[i];
}

/*
 * AES-GCM over buf in place; the tag written (enc) or checked.  aad is
 * the message up to the IV.  0 or -1.
 */
static int
gcm(const struct ike2_sk *k, const uint8_t *aad, size_t aadlen,
    const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *tag, int enc)
{
	static EVP_CIPHER_CTX *ctx;
	const struct ike2_suite *su = k->suite;
	EVP_CIPHER	*c = gcm_get(su->enc, su->keybits);
	size_t		 klen = ike2_enc_keylen(su) - su->enc->salt;
	uint8_t		 nonce[12];
	int		 n, rc = -1;

	if (c == NULL || len > INT_MAX || aadlen > INT_MAX)
		return -1;
	if (ctx == NULL && (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	memcpy(nonce, k->ekey + klen, 4);
	memcpy(nonce + 4, iv, 8);
	if (!EVP_CipherInit_ex2(ctx, c, k->ekey, nonce, enc, NULL) ||
	    !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) ||
	    (len > 0 && !EVP_CipherUpdate(ctx, buf, &n, buf, (int)len)))
		goto done;
	if (enc) {
		if (EVP_CipherFinal_ex(ctx, buf + len, &n) &&
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
		    (int)su->enc->icv, tag))
			rc = 0;
	} else if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    (int)su->enc->icv, tag) && EVP_CipherFinal_ex(ctx, buf + len, &n))
		rc = 0;
done:
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

/* HMAC over msg[0, len), cut to the ICV length, into icv. */
static int
hmac_icv(const struct ike2_sk *k, const uint8_t *msg, size_t len,
    uint8_t *icv)
{
	struct ike_iov	 v = { msg, len };
	uint8_t		 full[IKE_MAX_HASH];

	if (ike_prf(k->suite->integ, k->akey, ike2_integ_keylen(k->suite),
	    &v, 1, full) == -1)
		return -1;
	memcpy(icv, full, icv_len(k));
	return 0;
}

int
ike2_sk_seal(const struct ike2_sk *k, uint8_t *msg, size_t aadlen,
    size_t plainlen, const uint8_t *iv)
{
	size_t	 ivlen = ike2_sk_iv_len(k), body = ike2_sk_body_len(k,
		    plainlen), icvlen = icv_len(k);
	size_t	 ctlen = body - ivlen - icvlen;
	uint8_t	*ivp = msg + aadlen, *ct = ivp + ivlen, ivc[IKE_MAX_BLOCK];

	if (!ike2_suite_ok(k->suite) || ivlen > sizeof(ivc))
		return -1;
	if (iv != NULL)
		memcpy(ivp, iv, ivlen);
	else if (RAND_bytes(ivp, (int)ivlen) != 1)
		return -1;
	/* padding of zeros, then its length */
	memset(ct + plainlen, 0, ctlen - plainlen);
	ct[ctlen - 1] = (uint8_t)(ctlen - plainlen - 1);
	if (is_aead(k->suite))
		return gcm(k, msg, aadlen, ivp, ct, ctlen, ct + ctlen, 1);
	memcpy(ivc, ivp, ivlen);
	if (ike_cipher((enum alg_enc)k->suite->enc->id, k->ekey,
	    ike2_enc_keylen(k->suite), ivc, ct, ctlen, 1) == -1)
		return -1;
	return hmac_icv(k, msg, aadlen + ivlen + ctlen, ct + ctlen);
}

int
ike2_sk_open(const struct ike2_sk *k, uint8_t *msg, size_t aadlen,
    size_t bodylen, uint8_t **plain, size_t *plainlen, const char **err)
{
	size_t	 ivlen, icvlen, ctlen, b;
	uint8_t	*ivp = msg + aadlen, *ct, ivc[IKE_MAX_BLOCK];
	uint8_t	 icv[IKE_MAX_HASH];

	if (!ike2_suite_ok(k->suite))
		return *err = "unusable algorithms", -1;
	ivlen = ike2_sk_iv_len(k);
	icvlen = icv_len(k);
	b = pad_block(k);
	if (bodylen < ivlen + icvlen + b || ivlen > sizeof(ivc))
		return *err = "encrypted payload too short", -1;
	ct = ivp + ivlen;
	ctlen = bodylen - ivlen - icvlen;
	if (ctlen % b != 0)
		return *err = "ciphertext not a multiple of the block size",
		    -1;
	if (is_aead(k->suite)) {
		if (gcm(k, msg, aadlen, ivp, ct, ctlen, ct + ctlen, 0) == -1)
			return *err = "integrity check failed", -1;
	} else {
		/* 3.14: the checksum first, over everything up to it */
		if (hmac_icv(k, msg, aadlen + ivlen + ctlen, icv) == -1)
			return *err = "integrity check failed", -1;
		if (CRYPTO_memcmp(icv, ct + ctlen, icvlen) != 0)
			return *err = "integrity check failed", -1;
		memcpy(ivc, ivp, ivlen);
		if (ike_cipher((enum alg_enc)k->suite->enc->id, k->ekey,
		    ike2_enc_keylen(k->suite), ivc, ct, ctlen, 0) == -1)
			return *err = "decryption failed", -1;
	}
	if ((size_t)ct[ctlen - 1] + 1 > ctlen)
		return *err = "pad length beyond the payload", -1;
	*plain = ct;
	*plainlen = ctlen - ct[ctlen - 1] - 1;
	return 0;
}
