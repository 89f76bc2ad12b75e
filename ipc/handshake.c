/*
 * The handshake of a fresh association, and the key schedule.
 *
 *   1. each side sends HELLO (clear): suite, role, node id, incarnation,
 *      32 random bytes;
 *   2. with both hellos, each side derives the per-direction keys from the
 *      security key, both nonces and the transcript (ipc_int.h), and sends
 *      CONFIRM: the transcript hash sealed under its own direction key
 *      with sequence 0;
 *   3. a CONFIRM that opens under the peer's direction key and carries the
 *      same transcript proves the peer holds the same security key and saw
 *      the same hellos: the channel is up.
 *
 * Nothing secret is on the wire in clear; a node with another key sees
 * every CONFIRM fail its tag and never brings the channel up.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "lib/lib.h"
#include "ipc/ipc_int.h"

#define KEYS_INFO	"havpn ipc v1 keys"

int
ipc_hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx = NULL;
	OSSL_PARAM	 params[5], *p = params;
	int		 rv = -1;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	if ((ctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto done;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) != 1)
		goto done;
	rv = 0;
done:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rv;
}

ssize_t
ipc_hello_encode(const struct ipc_hello *h, uint8_t *out, size_t cap)
{
	struct wbuf	 w;
	size_t		 idlen = strlen(h->node_id), off;

	if (idlen == 0 || idlen > IPC_NODE_ID_MAX)
		return -1;
	wbuf_init(&w, out, cap);
	wbuf_put_u8(&w, IPC_REC_VERSION);
	wbuf_put_u8(&w, IPC_REC_HELLO);
	wbuf_put_u8(&w, IPC_STREAM_CONTROL);
	wbuf_put_u8(&w, 0);
	off = wbuf_reserve(&w, 4);
	wbuf_put_be64(&w, 0);
	wbuf_put_be16(&w, h->suite);
	wbuf_put_u8(&w, h->role);
	wbuf_put_u8(&w, (uint8_t)idlen);
	wbuf_put_bytes(&w, h->node_id, idlen);
	wbuf_put_be64(&w, h->incarnation);
	wbuf_put_bytes(&w, h->nonce, sizeof(h->nonce));
	if (wbuf_error(&w))
		return -1;
	wbuf_set_be32(&w, off, (uint32_t)(w.len - IPC_REC_HDRLEN));
	return (ssize_t)w.len;
}

static int
node_id_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return n > 0;
}

int
ipc_hello_decode(const uint8_t *p, size_t len, struct ipc_hello *h,
    const char **err)
{
	struct buf	 b;
	uint8_t		 idlen;

	memset(h, 0, sizeof(*h));
	buf_init(&b, p, len);
	if (buf_get_be16(&b, &h->suite) == -1 ||
	    buf_get_u8(&b, &h->role) == -1 || buf_get_u8(&b, &idlen) == -1) {
		*err = "hello truncated";
		return -1;
	}
	if (h->suite != IPC_SUITE_HKDF_SHA256_AES256GCM) {
		*err = "hello offers an unknown cipher suite";
		return -1;
	}
	if (idlen == 0 || idlen > IPC_NODE_ID_MAX) {
		*err = "hello node id length out of range";
		return -1;
	}
	if (buf_get_bytes(&b, h->node_id, idlen) == -1 ||
	    buf_get_be64(&b, &h->incarnation) == -1 ||
	    buf_get_bytes(&b, h->nonce, sizeof(h->nonce)) == -1) {
		*err = "hello truncated";
		return -1;
	}
	if (!node_id_valid(h->node_id, idlen)) {
		*err = "hello node id is not printable";
		return -1;
	}
	if (buf_left(&b) != 0) {
		*err = "bytes after the hello";
		return -1;
	}
	return 0;
}

/*
 * mine and theirs are the two HELLO bodies (after the record header).  A
 * is the body that sorts first (memcmp, then the shorter); two equal
 * bodies would mean our own hello came back, which is refused.
 */
int
ipc_derive_keys(const char *secret, const uint8_t *mine, size_t minelen,
    const uint8_t *theirs, size_t theirslen, struct ipc_keys *k)
{
	const uint8_t	*a, *b;
	size_t		 alen, blen, n;
	uint8_t		 salt[2 * IPC_HELLO_NONCELEN];
	uint8_t		 info[sizeof(KEYS_INFO) - 1 + IPC_HASHLEN];
	uint8_t		 okm[2 * IPC_KEYLEN];
	unsigned int	 hlen;
	EVP_MD_CTX	*md;
	int		 c, i_am_a, rv = -1;

	if (secret == NULL || minelen < IPC_HELLO_NONCELEN ||
	    theirslen < IPC_HELLO_NONCELEN)
		return -1;
	n = minelen < theirslen ? minelen : theirslen;
	c = memcmp(mine, theirs, n);
	if (c == 0 && minelen == theirslen)
		return -1;
	i_am_a = c < 0 || (c == 0 && minelen < theirslen);
	a = i_am_a ? mine : theirs;
	alen = i_am_a ? minelen : theirslen;
	b = i_am_a ? theirs : mine;
	blen = i_am_a ? theirslen : minelen;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, a, alen) != 1 ||
	    EVP_DigestUpdate(md, b, blen) != 1 ||
	    EVP_DigestFinal_ex(md, k->transcript, &hlen) != 1)
		goto done;
	/* the nonce is the last field of a hello body */
	memcpy(salt, a + alen - IPC_HELLO_NONCELEN, IPC_HELLO_NONCELEN);
	memcpy(salt + IPC_HELLO_NONCELEN, b + blen - IPC_HELLO_NONCELEN,
	    IPC_HELLO_NONCELEN);
	memcpy(info, KEYS_INFO, sizeof(KEYS_INFO) - 1);
	memcpy(info + sizeof(KEYS_INFO) - 1, k->transcript, IPC_HASHLEN);
	if (ipc_hkdf_sha256((const uint8_t *)secret, strlen(secret), salt,
	    sizeof(salt), info, sizeof(info), okm, sizeof(okm)) == -1)
		goto done;
	memcpy(k->tx, i_am_a ? okm : okm + IPC_KEYLEN, IPC_KEYLEN);
	memcpy(k->rx, i_am_a ? okm + IPC_KEYLEN : okm, IPC_KEYLEN);
	rv = 0;
done:
	OPENSSL_cleanse(okm, sizeof(okm));
	EVP_MD_CTX_free(md);
	return rv;
}

ssize_t
ipc_hb_encode(uint64_t incarnation, uint8_t role, const char *node_id,
    uint8_t *out, size_t cap)
{
	struct wbuf	 w;
	size_t		 idlen = strlen(node_id);

	if (idlen == 0 || idlen > IPC_NODE_ID_MAX)
		return -1;
	wbuf_init(&w, out, cap);
	wbuf_put_be64(&w, incarnation);
	wbuf_put_u8(&w, role);
	wbuf_put_u8(&w, (uint8_t)idlen);
	wbuf_put_bytes(&w, node_id, idlen);
	return wbuf_error(&w) ? -1 : (ssize_t)w.len;
}

int
ipc_hb_decode(const uint8_t *p, size_t len, uint64_t *incarnation,
    uint8_t *role, char *node_id, const char **err)
{
	struct buf	 b;
	uint8_t		 idlen;

	buf_init(&b, p, len);
	if (buf_get_be64(&b, incarnation) == -1 ||
	    buf_get_u8(&b, role) == -1 || buf_get_u8(&b, &idlen) == -1 ||
	    idlen == 0 || idlen > IPC_NODE_ID_MAX ||
	    buf_get_bytes(&b, node_id, idlen) == -1 || buf_left(&b) != 0) {
		*err = "heartbeat malformed";
		return -1;
	}
	node_id[idlen] = '\0';
	if (!node_id_valid(node_id, idlen)) {
		*err = "heartbeat node id is not printable";
		return -1;
	}
	return 0;
}
