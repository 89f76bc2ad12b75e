/*
 * Diffie-Hellman groups for IKEv1 and IKEv2, over OpenSSL 3 EVP.
 *
 *   group  kind  parameters
 *   1      MODP  768 bits, RFC 2409 6.1 (no OpenSSL named group: below)
 *   2      MODP  1024 bits, RFC 2409 6.2 (no OpenSSL named group: below)
 *   5      MODP  1536 bits, RFC 3526 2 (OpenSSL's RFC 3526 prime)
 *   14-16  MODP  2048/3072/4096 bits, RFC 3526 3-5 (likewise)
 *   19-21  ECP   P-256/P-384/P-521, RFC 5903 (KE = x | y, secret = x)
 *   24     MODP  2048 bits with a 256-bit subgroup, RFC 5114 2.3
 *              (OpenSSL named group dh_2048_256)
 *   31     ECX   Curve25519, RFC 8031 (IKEv2 only): KE and secret are
 *              X25519's 32 bytes (RFC 7748); an all-zero secret is refused
 *
 * The groups, their kinds, sizes and OpenSSL names are alg/'s rows; this
 * file adds how to make each group's parameters.
 *
 * Peer values are checked as RFC 6989 asks.  The safe-prime MODP groups
 * (1, 2, 5, 14, 15, 16) need only 1 < y < p-1: that check is done here and
 * OpenSSL is given domain parameters without q, so it does no modular
 * exponentiation of its own (its full check made a modp2048 derive 4.5
 * times slower).  Group 24 has a small subgroup and keeps OpenSSL's full
 * check (y^q = 1), and the ECP groups keep the on-curve check.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "lib/lib.h"
#include "ike/crypto.h"

/*
 * What alg/'s row does not say: how to make the MODP domain parameters
 * and the private exponent length; and the parameters once made.
 */
struct dh_group {
	int		 id;
	int		 priv_bits;	/* MODP private exponent length */
	const char	*hex;		/* the prime, when given here */
	BIGNUM		*(*prime)(BIGNUM *);
	const struct alg_dh *a;		/* kind, size, OpenSSL name */
	EVP_PKEY	*params;	/* domain parameters, made once */
	uint8_t		*pm1;		/* p - 1, big-endian, bytes long */
};

/* RFC 2409 6.1: 2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 } */
static const char modp768[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";

/* RFC 2409 6.2: 2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 } */
static const char modp1024[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF";

/*
 * Private exponents: twice the group's strength (NIST SP 800-57), and at
 * least 256 bits, as strongSwan and RFC 3526's estimates suggest.
 */
static struct dh_group groups[] = {
	{ 1, 256, modp768, NULL, NULL, NULL, NULL },
	{ 2, 256, modp1024, NULL, NULL, NULL, NULL },
	{ 5, 256, NULL, BN_get_rfc3526_prime_1536, NULL, NULL, NULL },
	{ 14, 256, NULL, BN_get_rfc3526_prime_2048, NULL, NULL, NULL },
	{ 15, 320, NULL, BN_get_rfc3526_prime_3072, NULL, NULL, NULL },
	{ 16, 384, NULL, BN_get_rfc3526_prime_4096, NULL, NULL, NULL },
	{ 19, 0, NULL, NULL, NULL, NULL, NULL },
	{ 20, 0, NULL, NULL, NULL, NULL, NULL },
	{ 21, 0, NULL, NULL, NULL, NULL, NULL },
	{ 24, 0, NULL, NULL, NULL, NULL, NULL },
	{ 31, 0, NULL, NULL, NULL, NULL, NULL },
};

struct ike_dh {
	struct dh_group	*g;
	EVP_PKEY	*key;
	uint8_t		 pub[IKE_MAX_DH];
	size_t		 publen;
};

static struct dh_group *
group_find(int id)
{
	for (size_t i = 0; i < nitems(groups); i++)
		if (groups[i].id == id) {
			if (groups[i].a == NULL &&
			    (groups[i].a = alg_dh(id)) == NULL)
				return NULL;
			return &groups[i];
		}
	return NULL;
}

/* Domain parameters: p and g = 2 only for MODP, a name otherwise. */
static EVP_PKEY *
params_make(struct dh_group *g)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pk = NULL;
	BIGNUM		*p = NULL, *gen = NULL;

	if (g->a->kind == ALG_DH_MODP) {
		if (g->hex != NULL) {
			if (BN_hex2bn(&p, g->hex) == 0)
				goto done;
		} else if ((p = g->prime(NULL)) == NULL)
			goto done;
		if ((size_t)BN_num_bytes(p) != g->a->bytes ||
		    (gen = BN_new()) == NULL || !BN_set_word(gen, 2))
			goto done;
		g->pm1 = xmalloc(g->a->bytes);
		if (!BN_sub_word(p, 1) ||
		    BN_bn2binpad(p, g->pm1, (int)g->a->bytes) !=
		    (int)g->a->bytes ||
		    !BN_add_word(p, 1))
			goto done;
		if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen) ||
		    !OSSL_PARAM_BLD_push_int(bld, OSSL_PKEY_PARAM_DH_PRIV_LEN,
		    g->priv_bits))
			goto done;
		params = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	} else {
		if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
		    !OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, g->a->ossl, 0))
			goto done;
		params = OSSL_PARAM_BLD_to_param(bld);
		ctx = EVP_PKEY_CTX_new_from_name(NULL,
		    g->a->kind == ALG_DH_ECP ? "EC" : "DH", NULL);
	}
	if (params == NULL || ctx == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEY_PARAMETERS, params) <= 0)
		pk = NULL;
done:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(p);
	BN_free(gen);
	return pk;
}

static EVP_PKEY *
params_get(struct dh_group *g)
{
	/*
	 * X25519 has no domain parameters: a key made once stands for them
	 * (it says OpenSSL has the curve; keys are made by name)
	 */
	if (g->params == NULL && g->a->kind == ALG_DH_ECX)
		g->params = EVP_PKEY_Q_keygen(NULL, NULL, g->a->ossl);
	else if (g->params == NULL)
		g->params = params_make(g);
	return g->params;
}

int
ike_dh_supported(int id)
{
	struct dh_group	*g = group_find(id);

	return g != NULL && params_get(g) != NULL;
}

size_t
ike_dh_publen(int id)
{
	struct dh_group	*g = group_find(id);

	if (g == NULL)
		return 0;
	return g->a->kind == ALG_DH_ECP ? 2 * g->a->bytes : g->a->bytes;
}

size_t
ike_dh_secretlen(int id)
{
	struct dh_group	*g = group_find(id);

	return g != NULL ? g->a->bytes : 0;
}

const char *
ike_dh_name(int id)
{
	struct dh_group	*g = group_find(id);

	return g != NULL ? g->a->name : "unknown";
}

int
ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

const uint8_t *
ike_dh_pub(const struct ike_dh *dh)
{
	return dh->pub;
}

/* The public value as KE data: y padded to p, or x | y for ECP. */
static int
pub_export(struct ike_dh *dh)
{
	uint8_t		*enc = NULL;
	size_t		 len;
	int		 rc = -1;

	len = EVP_PKEY_get1_encoded_public_key(dh->key, &enc);
	if (enc == NULL)
		goto done;
	if (dh->g->a->kind == ALG_DH_ECP) {
		if (len != 1 + 2 * dh->g->a->bytes || enc[0] != 0x04)
			goto done;
		memcpy(dh->pub, enc + 1, len - 1);
		dh->publen = len - 1;
	} else {
		if (len > dh->g->a->bytes)
			goto done;
		memset(dh->pub, 0, dh->g->a->bytes - len);
		memcpy(dh->pub + dh->g->a->bytes - len, enc, len);
		dh->publen = dh->g->a->bytes;
	}
	rc = 0;
done:
	OPENSSL_free(enc);
	return rc;
}

/* The template's private length is not carried into keygen: set it. */
static int
set_priv_len(EVP_PKEY_CTX *ctx, int bits)
{
	OSSL_PARAM	 p[2];

	p[0] = OSSL_PARAM_construct_int(OSSL_PKEY_PARAM_DH_PRIV_LEN, &bits);
	p[1] = OSSL_PARAM_construct_end();
	return EVP_PKEY_CTX_set_params(ctx, p) > 0 ? 0 : -1;
}

struct ike_dh *
ike_dh_new(int id)
{
	struct dh_group	*g = group_find(id);
	struct ike_dh	*dh = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*params;

	if (g == NULL || (params = params_get(g)) == NULL)
		return NULL;
	dh = xcalloc(1, sizeof(*dh));
	dh->g = g;
	ctx = g->a->kind == ALG_DH_ECX ?
	    EVP_PKEY_CTX_new_from_name(NULL, g->a->ossl, NULL) :
	    EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    (g->a->kind == ALG_DH_MODP &&
	    set_priv_len(ctx, g->priv_bits) == -1) ||
	    EVP_PKEY_generate(ctx, &dh->key) <= 0 || pub_export(dh) == -1) {
		ike_dh_free(dh);
		dh = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return dh;
}

/* A key from given values, for the known-answer tests. */
struct ike_dh *
ike_dh_new_fixed(int id, const uint8_t *priv, size_t privlen,
    const uint8_t *pub, size_t publen)
{
	struct dh_group	*g = group_find(id);
	struct ike_dh	*dh = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL, *dom = NULL;
	BIGNUM		*x = NULL, *y = NULL;
	uint8_t		 pt[1 + IKE_MAX_DH];
	EVP_PKEY	*pp;

	if (g == NULL || (pp = params_get(g)) == NULL ||
	    publen != ike_dh_publen(id))
		return NULL;
	dh = xcalloc(1, sizeof(*dh));
	dh->g = g;
	if (g->a->kind == ALG_DH_ECX) {
		/* the public value follows from the private one: compare */
		if ((dh->key = EVP_PKEY_new_raw_private_key_ex(NULL,
		    g->a->ossl, NULL, priv, privlen)) == NULL ||
		    pub_export(dh) == -1 || dh->publen != publen ||
		    memcmp(dh->pub, pub, publen) != 0)
			goto fail;
		goto done;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    (x = BN_bin2bn(priv, (int)privlen, NULL)) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x))
		goto fail;
	if (g->a->kind == ALG_DH_ECP) {
		pt[0] = 0x04;
		memcpy(pt + 1, pub, publen);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, g->a->ossl, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld,
		    OSSL_PKEY_PARAM_PUB_KEY, pt, publen + 1))
			goto fail;
	} else {
		if ((y = BN_bin2bn(pub, (int)publen, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto fail;
		if (EVP_PKEY_todata(pp, EVP_PKEY_KEY_PARAMETERS, &dom) <= 0)
			goto fail;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto fail;
	if (dom != NULL) {
		OSSL_PARAM *merged = OSSL_PARAM_merge(dom, params);

		OSSL_PARAM_free(params);
		params = merged;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL,
	    g->a->kind == ALG_DH_ECP ? "EC" : "DH", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &dh->key, EVP_PKEY_KEYPAIR, params) <= 0 ||
	    pub_export(dh) == -1)
		goto fail;
	goto done;
fail:
	ike_dh_free(dh);
	dh = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_free(dom);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(x);
	BN_free(y);
	return dh;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key);
	free(dh);
}

static int
is_zero(const uint8_t *p, size_t len)
{
	uint8_t	 acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

/* RFC 6989 2.1 for safe primes: 1 < y < p-1, on fixed-length big-endian. */
static int
modp_range_ok(const struct dh_group *g, const uint8_t *y)
{
	int	 above_one = 0;

	for (size_t i = 0; i + 1 < g->a->bytes; i++)
		if (y[i] != 0)
			above_one = 1;
	if (y[g->a->bytes - 1] > 1)
		above_one = 1;
	return above_one && memcmp(y, g->pm1, g->a->bytes) < 0;
}

/* The peer's public value as an EVP_PKEY of our key's parameters. */
static EVP_PKEY *
peer_key(struct ike_dh *dh, const uint8_t *pub, size_t len)
{
	EVP_PKEY	*peer;
	uint8_t		 pt[1 + IKE_MAX_DH];

	if (dh->g->a->kind == ALG_DH_ECX)
		return EVP_PKEY_new_raw_public_key_ex(NULL, dh->g->a->ossl,
		    NULL, pub, len);
	if ((peer = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(peer, dh->key) <= 0)
		goto fail;
	if (dh->g->a->kind == ALG_DH_ECP) {
		pt[0] = 0x04;
		memcpy(pt + 1, pub, len);
		/* decoding checks the point is on the curve */
		if (EVP_PKEY_set1_encoded_public_key(peer, pt, len + 1) <= 0)
			goto fail;
	} else if (EVP_PKEY_set1_encoded_public_key(peer, pub, len) <= 0)
		goto fail;
	return peer;
fail:
	EVP_PKEY_free(peer);
	return NULL;
}

int
ike_dh_derive(struct ike_dh *dh, const uint8_t *pub, size_t len,
    uint8_t *out, const char **err)
{
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*peer = NULL;
	size_t		 outlen = dh->g->a->bytes;
	int		 rc = -1;

	/* RFC 2409 5 / RFC 5903 7: the value has the group's exact length */
	if (len != ike_dh_publen(dh->g->id)) {
		*err = "KE data of the wrong length for the group";
		return -1;
	}
	if (dh->g->a->kind == ALG_DH_MODP && !modp_range_ok(dh->g, pub)) {
		*err = "public value not in 1 < y < p-1 (RFC 6989)";
		return -1;
	}
	if ((peer = peer_key(dh, pub, len)) == NULL) {
		*err = dh->g->a->kind == ALG_DH_ECP ?
		    "public value not on the curve" : "public value refused";
		goto done;
	}
	*err = "public value refused by the group check";
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) <= 0)
		goto done;
	/* g^xy is as long as p (RFC 2409 5: "padded ... with zeros") */
	if ((dh->g->a->kind == ALG_DH_MODP ||
	    dh->g->a->kind == ALG_DH_MODP_SUBGROUP) &&
	    EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto done;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer,
	    dh->g->a->kind == ALG_DH_MODP ? 0 : 1) <= 0)
		goto done;
	if (EVP_PKEY_derive(ctx, out, &outlen) <= 0 ||
	    outlen != dh->g->a->bytes) {
		*err = "derivation failed";
		goto done;
	}
	/* RFC 8031 2.3: a peer value of small order gives zeros: refuse */
	if (dh->g->a->kind == ALG_DH_ECX && is_zero(out, outlen)) {
		*err = "Curve25519 shared secret of zeros (RFC 8031)";
		OPENSSL_cleanse(out, outlen);
		goto done;
	}
	rc = 0;
done:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}
