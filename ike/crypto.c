/*
 * IKEv1 cryptography over OpenSSL 3 EVP: hashes, the prf (HMAC), the
 * phase 1 CBC ciphers, and the derivations of RFC 2409 section 5 and
 * Appendix B.
 *
 * Algorithm handles (EVP_MD, EVP_MAC contexts, EVP_CIPHER) are fetched
 * once and kept: the daemon is single-threaded, and fetching by name on
 * every message would cost more than the hashing itself.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/lib.h"
#include "ike/crypto.h"

static const char *
md_name(enum conf_hash h)
{
	switch (h) {
	case CONF_HASH_MD5:	return "MD5";
	case CONF_HASH_SHA1:	return "SHA1";
	case CONF_HASH_SHA256:	return "SHA2-256";
	case CONF_HASH_SHA384:	return "SHA2-384";
	case CONF_HASH_SHA512:	return "SHA2-512";
	}
	return NULL;
}

size_t
ike_hash_len(enum conf_hash h)
{
	switch (h) {
	case CONF_HASH_MD5:	return 16;
	case CONF_HASH_SHA1:	return 20;
	case CONF_HASH_SHA256:	return 32;
	case CONF_HASH_SHA384:	return 48;
	case CONF_HASH_SHA512:	return 64;
	}
	return 0;
}

static EVP_MD *
md_get(enum conf_hash h)
{
	static EVP_MD	*mds[CONF_HASH_SHA512 + 1];

	if (h < CONF_HASH_MD5 || h > CONF_HASH_SHA512)
		return NULL;
	if (mds[h] == NULL)
		mds[h] = EVP_MD_fetch(NULL, md_name(h), NULL);
	return mds[h];
}

int
ike_hash(enum conf_hash h, const struct ike_iov *iov, int n, uint8_t *out)
{
	static EVP_MD_CTX *ctx;
	EVP_MD		*md = md_get(h);
	unsigned int	 len;

	if (md == NULL)
		return -1;
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (!EVP_DigestInit_ex2(ctx, md, NULL))
		return -1;
	for (int i = 0; i < n; i++)
		if (iov[i].len > 0 &&
		    !EVP_DigestUpdate(ctx, iov[i].p, iov[i].len))
			return -1;
	return EVP_DigestFinal_ex(ctx, out, &len) ? 0 : -1;
}

/* One HMAC context per hash with its digest set; re-keyed per call. */
static EVP_MAC_CTX *
mac_get(enum conf_hash h)
{
	static EVP_MAC	*mac;
	static EVP_MAC_CTX *ctxs[CONF_HASH_SHA512 + 1];
	OSSL_PARAM	 params[2];

	if (h < CONF_HASH_MD5 || h > CONF_HASH_SHA512)
		return NULL;
	if (ctxs[h] != NULL)
		return ctxs[h];
	if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	if ((ctxs[h] = EVP_MAC_CTX_new(mac)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)md_name(h), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(ctxs[h], params)) {
		EVP_MAC_CTX_free(ctxs[h]);
		ctxs[h] = NULL;
	}
	return ctxs[h];
}

int
ike_prf(enum conf_hash h, const uint8_t *key, size_t keylen,
    const struct ike_iov *iov, int n, uint8_t *out)
{
	static const uint8_t nokey[1];
	EVP_MAC_CTX	*ctx = mac_get(h);
	size_t		 len;

	if (ctx == NULL)
		return -1;
	if (!EVP_MAC_init(ctx, keylen > 0 ? key : nokey, keylen, NULL))
		return -1;
	for (int i = 0; i < n; i++)
		if (iov[i].len > 0 &&
		    !EVP_MAC_update(ctx, iov[i].p, iov[i].len))
			return -1;
	return EVP_MAC_final(ctx, out, &len, IKE_MAX_HASH) ? 0 : -1;
}

size_t
ike_cipher_block(enum conf_enc e)
{
	switch (e) {
	case CONF_ENC_DES:
	case CONF_ENC_3DES:	return 8;
	case CONF_ENC_AES:	return 16;
	}
	return 0;
}

size_t
ike_cipher_keylen(enum conf_enc e, int bits)
{
	switch (e) {
	case CONF_ENC_DES:	return 8;
	case CONF_ENC_3DES:	return 24;
	case CONF_ENC_AES:
		return bits == 192 || bits == 256 ? (size_t)bits / 8 : 16;
	}
	return 0;
}

static EVP_CIPHER *
cipher_get(enum conf_enc e, size_t keylen)
{
	static EVP_CIPHER *c3des, *caes[3];
	const char	*name;
	EVP_CIPHER	**slot;

	switch (e) {
	case CONF_ENC_3DES:
		slot = &c3des;
		name = "DES-EDE3-CBC";
		break;
	case CONF_ENC_AES:
		if (keylen == 16) {
			slot = &caes[0];
			name = "AES-128-CBC";
		} else if (keylen == 24) {
			slot = &caes[1];
			name = "AES-192-CBC";
		} else if (keylen == 32) {
			slot = &caes[2];
			name = "AES-256-CBC";
		} else
			return NULL;
		break;
	default:
		return NULL;	/* des is never negotiated */
	}
	if (*slot == NULL)
		*slot = EVP_CIPHER_fetch(NULL, name, NULL);
	return *slot;
}

int
ike_cipher(enum conf_enc e, const uint8_t *key, size_t keylen, uint8_t *iv,
    uint8_t *p, size_t len, int enc)
{
	static EVP_CIPHER_CTX *ctx;
	EVP_CIPHER	*c = cipher_get(e, keylen);
	size_t		 bs = ike_cipher_block(e);
	uint8_t		 last[IKE_MAX_BLOCK];
	int		 outl;

	if (c == NULL || len == 0 || len % bs != 0 || len > INT32_MAX)
		return -1;
	if (ctx == NULL && (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (!enc)
		memcpy(last, p + len - bs, bs);
	if (!EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, p, &outl, p, (int)len) ||
	    (size_t)outl != len)
		return -1;
	memcpy(iv, enc ? p + len - bs : last, bs);
	return 0;
}

int
ike_kdf_phase1(enum conf_hash h, enum conf_enc e, int keybits,
    const void *psk, size_t psklen, const uint8_t *ni, size_t nilen,
    const uint8_t *nr, size_t nrlen, const uint8_t *gxy, size_t gxylen,
    const uint8_t *cky_i, const uint8_t *cky_r, struct ike_p1_keys *k)
{
	static const uint8_t zero = 0, one = 1, two = 2;
	size_t		 hl = ike_hash_len(h), need, have;
	uint8_t		 kn[IKE_MAX_HASH];
	int		 rc = -1;

	memset(k, 0, sizeof(*k));
	if (hl == 0)
		goto done;
	k->len = hl;
	{
		struct ike_iov v[] = { { ni, nilen }, { nr, nrlen } };

		if (ike_prf(h, psk, psklen, v, 2, k->skeyid) == -1)
			goto done;
	}
	{
		struct ike_iov v[] = { { gxy, gxylen }, { cky_i, 8 },
		    { cky_r, 8 }, { &zero, 1 } };

		if (ike_prf(h, k->skeyid, hl, v, 4, k->d) == -1)
			goto done;
	}
	{
		struct ike_iov v[] = { { k->d, hl }, { gxy, gxylen },
		    { cky_i, 8 }, { cky_r, 8 }, { &one, 1 } };

		if (ike_prf(h, k->skeyid, hl, v, 5, k->a) == -1)
			goto done;
	}
	{
		struct ike_iov v[] = { { k->a, hl }, { gxy, gxylen },
		    { cky_i, 8 }, { cky_r, 8 }, { &two, 1 } };

		if (ike_prf(h, k->skeyid, hl, v, 5, k->e) == -1)
			goto done;
	}
	need = ike_cipher_keylen(e, keybits);
	if (need == 0 || need > IKE_MAX_ENCKEY)
		goto done;
	k->enclen = need;
	if (hl >= need) {
		memcpy(k->enc, k->e, need);
	} else {
		/* Appendix B: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1) */
		struct ike_iov v = { &zero, 1 };

		for (have = 0; have < need; have += hl) {
			if (ike_prf(h, k->e, hl, &v, 1, kn) == -1)
				goto done;
			memcpy(k->enc + have, kn, need - have < hl ?
			    need - have : hl);
			v.p = kn;
			v.len = hl;
		}
	}
	rc = 0;
done:
	OPENSSL_cleanse(kn, sizeof(kn));
	if (rc == -1)
		OPENSSL_cleanse(k, sizeof(*k));
	return rc;
}

int
ike_iv_phase1(enum conf_hash h, enum conf_enc e, const uint8_t *gxi,
    size_t gxilen, const uint8_t *gxr, size_t gxrlen, uint8_t *iv)
{
	uint8_t		 out[IKE_MAX_HASH];
	size_t		 bs = ike_cipher_block(e);
	struct ike_iov	 v[] = { { gxi, gxilen }, { gxr, gxrlen } };

	if (bs == 0 || bs > ike_hash_len(h) || ike_hash(h, v, 2, out) == -1)
		return -1;
	memcpy(iv, out, bs);
	return 0;
}

int
ike_iv_phase2(enum conf_hash h, enum conf_enc e, const uint8_t *p1iv,
    uint32_t msgid, uint8_t *iv)
{
	uint8_t		 out[IKE_MAX_HASH], mid[4];
	size_t		 bs = ike_cipher_block(e);
	struct ike_iov	 v[] = { { p1iv, bs }, { mid, 4 } };

	mid[0] = (uint8_t)(msgid >> 24);
	mid[1] = (uint8_t)(msgid >> 16);
	mid[2] = (uint8_t)(msgid >> 8);
	mid[3] = (uint8_t)msgid;
	if (bs == 0 || bs > ike_hash_len(h) || ike_hash(h, v, 2, out) == -1)
		return -1;
	memcpy(iv, out, bs);
	return 0;
}

int
ike_hash_auth(enum conf_hash h, const uint8_t *skeyid, size_t skeyidlen,
    const uint8_t *g1, size_t g1len, const uint8_t *g2, size_t g2len,
    const uint8_t *cky1, const uint8_t *cky2, const uint8_t *sai,
    size_t sailen, const uint8_t *idb, size_t idlen, uint8_t *out)
{
	struct ike_iov	 v[] = { { g1, g1len }, { g2, g2len }, { cky1, 8 },
	    { cky2, 8 }, { sai, sailen }, { idb, idlen } };

	return ike_prf(h, skeyid, skeyidlen, v, 6, out);
}

int
ike_keymat(enum conf_hash h, const uint8_t *skeyid_d, size_t dlen,
    const uint8_t *gqm, size_t gqmlen, uint8_t proto, uint32_t spi,
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    uint8_t *out, size_t outlen)
{
	uint8_t		 kn[IKE_MAX_HASH], spib[4];
	size_t		 hl = ike_hash_len(h), have;
	struct ike_iov	 v[6];
	int		 n, rc = -1;

	spib[0] = (uint8_t)(spi >> 24);
	spib[1] = (uint8_t)(spi >> 16);
	spib[2] = (uint8_t)(spi >> 8);
	spib[3] = (uint8_t)spi;
	if (hl == 0)
		return -1;
	for (have = 0; have < outlen; have += hl) {
		n = 0;
		if (have > 0) {
			v[n].p = kn;
			v[n++].len = hl;
		}
		if (gqmlen > 0) {
			v[n].p = gqm;
			v[n++].len = gqmlen;
		}
		v[n].p = &proto;
		v[n++].len = 1;
		v[n].p = spib;
		v[n++].len = 4;
		v[n].p = ni;
		v[n++].len = nilen;
		v[n].p = nr;
		v[n++].len = nrlen;
		if (ike_prf(h, skeyid_d, dlen, v, n, kn) == -1)
			goto done;
		memcpy(out + have, kn, outlen - have < hl ? outlen - have : hl);
	}
	rc = 0;
done:
	OPENSSL_cleanse(kn, sizeof(kn));
	return rc;
}
