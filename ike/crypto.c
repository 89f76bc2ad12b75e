/*
 * IKEv1 cryptography over OpenSSL 3 EVP: hashes, the prf (HMAC), the
 * phase 1 CBC ciphers, and the derivations of RFC 2409 section 5 and
 * Appendix B.
 *
 * Algorithm handles (EVP_MD, EVP_MAC contexts, EVP_CIPHER) are fetched
 * once and kept: the daemon is single-threaded, and fetching by name on
 * every message would cost more than the hashing itself.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/lib.h"
#include "ike/crypto.h"

static const char *
md_name(enum alg_hash h)
{
	const struct alg_hmac *a = alg_hash(h);

	return a != NULL ? a->ossl : NULL;
}

size_t
ike_hash_len(enum alg_hash h)
{
	const struct alg_hmac *a = alg_hash(h);

	return a != NULL ? a->len : 0;
}

static EVP_MD *
md_get(enum alg_hash h)
{
	static EVP_MD	*mds[ALG_HASH_END];

	if (alg_hash(h) == NULL || h >= ALG_HASH_END)
		return NULL;
	if (mds[h] == NULL)
		mds[h] = EVP_MD_fetch(NULL, md_name(h), NULL);
	return mds[h];
}

int
ike_hash(enum alg_hash h, const struct ike_iov *iov, int n, uint8_t *out)
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
mac_get(enum alg_hash h)
{
	static EVP_MAC	*mac;
	static EVP_MAC_CTX *ctxs[ALG_HASH_END];
	OSSL_PARAM	 params[2];

	if (alg_hash(h) == NULL || h >= ALG_HASH_END)
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
ike_prf(enum alg_hash h, const uint8_t *key, size_t keylen,
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
ike_cipher_block(enum alg_enc e)
{
	const struct alg_cipher *c = alg_enc(e);

	return c != NULL ? c->block : 0;
}

/* bits 0: the cipher's one key size (3des) */
size_t
ike_cipher_keylen(enum alg_enc e, int bits)
{
	const struct alg_cipher *c = alg_enc(e);

	if (c == NULL)
		return 0;
	return alg_cipher_keylen(c, bits == 0 ? c->bits[0] : bits);
}

/* One fetched cipher per table row and key size, kept. */
static EVP_CIPHER *
cipher_get(enum alg_enc e, size_t keylen)
{
	static EVP_CIPHER *ciphers[ALG_ENC_END][ALG_MAX_KEYSIZES];
	const struct alg_cipher *c = alg_enc(e);
	const char	*name;
	int		 i;

	if (c == NULL || e >= ALG_ENC_END || keylen > INT_MAX / 8 ||
	    (i = alg_cipher_size(c, (int)keylen * 8)) == -1 ||
	    (name = c->ossl[i]) == NULL)
		return NULL;	/* des is never negotiated */
	if (ciphers[e][i] == NULL)
		ciphers[e][i] = EVP_CIPHER_fetch(NULL, name, NULL);
	return ciphers[e][i];
}

int
ike_cipher(enum alg_enc e, const uint8_t *key, size_t keylen, uint8_t *iv,
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
ike_kdf_phase1(enum alg_hash h, enum alg_enc e, int keybits,
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
ike_iv_phase1(enum alg_hash h, enum alg_enc e, const uint8_t *gxi,
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
ike_iv_phase2(enum alg_hash h, enum alg_enc e, const uint8_t *p1iv,
    uint32_t msgid, uint8_t *iv)
{
	uint8_t		 out[IKE_MAX_HASH], mid[4];
	size_t		 bs = ike_cipher_block(e);
	struct ike_iov	 v[] = { { p1iv, bs }, { mid, 4 } };

	be32_put(mid, msgid);
	if (bs == 0 || bs > ike_hash_len(h) || ike_hash(h, v, 2, out) == -1)
		return -1;
	memcpy(iv, out, bs);
	return 0;
}

int
ike_hash_auth(enum alg_hash h, const uint8_t *skeyid, size_t skeyidlen,
    const uint8_t *g1, size_t g1len, const uint8_t *g2, size_t g2len,
    const uint8_t *cky1, const uint8_t *cky2, const uint8_t *sai,
    size_t sailen, const uint8_t *idb, size_t idlen, uint8_t *out)
{
	struct ike_iov	 v[] = { { g1, g1len }, { g2, g2len }, { cky1, 8 },
	    { cky2, 8 }, { sai, sailen }, { idb, idlen } };

	return ike_prf(h, skeyid, skeyidlen, v, 6, out);
}

int
ike_keymat(enum alg_hash h, const uint8_t *skeyid_d, size_t dlen,
    const uint8_t *gqm, size_t gqmlen, uint8_t proto, uint32_t spi,
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    uint8_t *out, size_t outlen)
{
	uint8_t		 kn[IKE_MAX_HASH], spib[4];
	size_t		 hl = ike_hash_len(h), have;
	struct ike_iov	 v[6];
	int		 n, rc = -1;

	be32_put(spib, spi);
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
