/*
 * The record layer: parse, seal and open the records of ipc_int.h.
 * Parsing is pure; sealing and opening use OpenSSL's EVP AES-256-GCM with
 * one context per direction, keyed once.
 *
 * Order on input (as RFC 4303 3.4.3 orders ESP): parse the header, check
 * the sequence against the stream's last accepted one, verify the tag and
 * decrypt, and only then advance the counter.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/lib.h"
#include "ipc/ipc_int.h"

const char *
ipc_rec_type_name(int t)
{
	switch (t) {
#define IPC_REC_NAME(n, v, s)	case v: return s;
	IPC_REC_TYPES(IPC_REC_NAME)
#undef IPC_REC_NAME
	}
	return "unknown";
}

const char *
ipc_drop_name(enum ipc_drop d)
{
	static const char *const names[IPC_NDROPS] = {
#define IPC_DROP_STR(n, s)	s,
		IPC_DROPS(IPC_DROP_STR)
#undef IPC_DROP_STR
	};

	return d < IPC_NDROPS ? names[d] : "unknown";
}

static int
rec_type_known(uint8_t t)
{
	return t >= IPC_REC_HELLO && t <= IPC_REC_LANE;
}

int
ipc_rec_parse(const uint8_t *p, size_t len, struct ipc_rec *r,
    enum ipc_drop *why, const char **err)
{
	struct buf	 b;
	uint8_t		 rsv;
	uint32_t	 blen;

	memset(r, 0, sizeof(*r));
	buf_init(&b, p, len);
	if (buf_get_u8(&b, &r->version) == -1) {
		*why = IPC_DROP_TRUNCATED;
		*err = "empty record";
		return -1;
	}
	if (r->version != IPC_REC_VERSION) {
		*why = IPC_DROP_VERSION;
		*err = "unknown record version";
		return -1;
	}
	if (buf_get_u8(&b, &r->type) == -1 ||
	    buf_get_u8(&b, &r->stream) == -1 || buf_get_u8(&b, &rsv) == -1 ||
	    buf_get_be32(&b, &blen) == -1 || buf_get_be64(&b, &r->seq) == -1) {
		*why = IPC_DROP_TRUNCATED;
		*err = "record header truncated";
		return -1;
	}
	if (!rec_type_known(r->type) || r->stream >= IPC_NSTREAMS ||
	    rsv != 0) {
		*why = IPC_DROP_MALFORMED;
		*err = "unknown record type, stream or reserved bits";
		return -1;
	}
	if (blen > IPC_REC_BODY_MAX) {
		*why = IPC_DROP_TOO_LARGE;
		*err = "record declares a body above the maximum";
		return -1;
	}
	if (buf_left(&b) < blen) {
		*why = IPC_DROP_TRUNCATED;
		*err = "record body shorter than declared";
		return -1;
	}
	if (buf_left(&b) > blen) {
		*why = IPC_DROP_MALFORMED;
		*err = "bytes after the record body";
		return -1;
	}
	if (r->type == IPC_REC_LANE_OFFER && blen != IPC_LANE_NONCELEN) {
		*why = IPC_DROP_MALFORMED;
		*err = "lane offer of the wrong length";
		return -1;
	}
	if (r->type != IPC_REC_HELLO && r->type != IPC_REC_LANE_OFFER &&
	    blen < IPC_TAGLEN) {
		*why = IPC_DROP_TRUNCATED;
		*err = "sealed record shorter than its tag";
		return -1;
	}
	r->hdr = p;
	r->body = buf_cur(&b);
	r->bodylen = blen;
	return 0;
}

int
ipc_dirkey_set(struct ipc_dirkey *k, const uint8_t *key)
{
	EVP_CIPHER_CTX	*ctx;

	ipc_dirkey_clear(k);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* key now, IV per record; the direction (enc/dec) is chosen later */
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, -1)
	    != 1 || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
	    IPC_NONCELEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, -1) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	memcpy(k->key, key, IPC_KEYLEN);
	k->ctx = ctx;
	k->set = 1;
	return 0;
}

void
ipc_dirkey_clear(struct ipc_dirkey *k)
{
	EVP_CIPHER_CTX_free(k->ctx);	/* wipes its key schedule */
	OPENSSL_cleanse(k, sizeof(*k));
	memset(k, 0, sizeof(*k));
}

static void
rec_nonce(uint8_t stream, uint64_t seq, uint8_t *n)
{
	n[0] = n[1] = n[2] = 0;
	n[3] = stream;
	for (int i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

static void
rec_header(uint8_t *h, uint8_t type, uint8_t stream, uint32_t blen,
    uint64_t seq)
{
	struct wbuf w;

	wbuf_init(&w, h, IPC_REC_HDRLEN);
	wbuf_put_u8(&w, IPC_REC_VERSION);
	wbuf_put_u8(&w, type);
	wbuf_put_u8(&w, stream);
	wbuf_put_u8(&w, 0);
	wbuf_put_be32(&w, blen);
	wbuf_put_be64(&w, seq);
}

ssize_t
ipc_rec_seal(struct ipc_dirkey *k, uint8_t type, uint8_t stream,
    uint64_t seq, const void *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx = k->ctx;
	uint8_t		 nonce[IPC_NONCELEN];
	int		 n, m;

	if (!k->set || len > IPC_MSG_MAX || stream >= IPC_NSTREAMS ||
	    type == IPC_REC_HELLO || type == IPC_REC_LANE_OFFER)
		return -1;
	rec_header(out, type, stream, (uint32_t)(len + IPC_TAGLEN), seq);
	rec_nonce(stream, seq, nonce);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, out, IPC_REC_HDRLEN) != 1 ||
	    EVP_CipherUpdate(ctx, out + IPC_REC_HDRLEN, &n, pt, (int)len)
	    != 1 || EVP_CipherFinal_ex(ctx, out + IPC_REC_HDRLEN + n, &m)
	    != 1 || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, IPC_TAGLEN,
	    out + IPC_REC_HDRLEN + len) != 1)
		return -1;
	return (ssize_t)(IPC_REC_HDRLEN + len + IPC_TAGLEN);
}

static ssize_t
rec_decrypt(struct ipc_dirkey *k, const struct ipc_rec *r, uint8_t *pt)
{
	EVP_CIPHER_CTX	*ctx = k->ctx;
	uint8_t		 nonce[IPC_NONCELEN], tag[IPC_TAGLEN];
	size_t		 clen = r->bodylen - IPC_TAGLEN;
	int		 n, m;

	rec_nonce(r->stream, r->seq, nonce);
	memcpy(tag, r->body + clen, IPC_TAGLEN);
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, r->hdr, IPC_REC_HDRLEN) != 1 ||
	    EVP_CipherUpdate(ctx, pt, &n, r->body, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, IPC_TAGLEN, tag)
	    != 1 || EVP_CipherFinal_ex(ctx, pt + n, &m) != 1) {
		/* no unauthenticated plaintext may linger */
		OPENSSL_cleanse(pt, clen);
		return -1;
	}
	return (ssize_t)clen;
}

ssize_t
ipc_rec_open(struct ipc_dirkey *k, const struct ipc_rec *r, uint8_t *pt,
    enum ipc_drop *why)
{
	ssize_t	 n;

	if (!k->set) {
		*why = IPC_DROP_NO_KEY;
		return -1;
	}
	if (r->type != IPC_REC_HEARTBEAT && r->type != IPC_REC_DATA) {
		*why = IPC_DROP_MALFORMED;
		return -1;
	}
	/* strictly increasing per stream: a replay or a reorder is dropped */
	if (r->seq <= k->seq[r->stream]) {
		*why = IPC_DROP_REPLAY;
		return -1;
	}
	if ((n = rec_decrypt(k, r, pt)) == -1) {
		*why = IPC_DROP_BAD_TAG;
		return -1;
	}
	k->seq[r->stream] = r->seq;
	return n;
}

ssize_t
ipc_rec_open_confirm(struct ipc_dirkey *k, const struct ipc_rec *r,
    uint8_t *pt, enum ipc_drop *why)
{
	ssize_t	 n;

	if (!k->set) {
		*why = IPC_DROP_NO_KEY;
		return -1;
	}
	if (r->type != IPC_REC_CONFIRM || r->stream != IPC_STREAM_CONTROL ||
	    r->seq != 0) {
		*why = IPC_DROP_MALFORMED;
		return -1;
	}
	if ((n = rec_decrypt(k, r, pt)) == -1) {
		*why = IPC_DROP_BAD_TAG;
		return -1;
	}
	return n;
}

ssize_t
ipc_rec_verify(struct ipc_dirkey *k, const struct ipc_rec *r, uint8_t *pt,
    enum ipc_drop *why)
{
	ssize_t	 n;

	if (!k->set) {
		*why = IPC_DROP_NO_KEY;
		return -1;
	}
	if (r->type != IPC_REC_LANE && r->type != IPC_REC_DATA) {
		*why = IPC_DROP_MALFORMED;
		return -1;
	}
	if ((n = rec_decrypt(k, r, pt)) == -1) {
		*why = IPC_DROP_BAD_TAG;
		return -1;
	}
	return n;
}

ssize_t
ipc_rec_offer(const uint8_t *nonce, uint8_t *out)
{
	rec_header(out, IPC_REC_LANE_OFFER, IPC_STREAM_CONTROL,
	    IPC_LANE_NONCELEN, 0);
	memcpy(out + IPC_REC_HDRLEN, nonce, IPC_LANE_NONCELEN);
	return IPC_REC_HDRLEN + IPC_LANE_NONCELEN;
}
