/*
 * ESP encapsulation and decapsulation (RFC 4303), in place.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Security Parameters Index (SPI)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Sequence Number                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    IV (8 or 16 bytes)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Payload Data (encrypted)                   ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |     Padding (0-255 bytes) 1, 2, 3, ...        |
 * +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |  Pad Length   | Next Header   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Integrity Check Value (12 to 32 bytes)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * CBC ciphers: the ICV is HMAC(SPI .. end of trailer [|| Seq# high half
 * with ESN, RFC 4303 3.3.2.1]) truncated.  AES-GCM (RFC 4106): nonce =
 * salt || IV, AAD = SPI || Seq# (|| high half before the low half with
 * ESN, RFC 4106 5), the tag is the ICV; havpn uses the 64-bit sequence
 * number as the IV, which never repeats under one key.
 */
#include <string.h>

#include <netinet/in.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

#define IPPROTO_IPIP_	4

static const char *const verdict_names[ESP_V_NVERDICTS] = {
	[ESP_V_OK] = "ok",
	[ESP_V_MALFORMED] = "malformed",
	[ESP_V_REPLAY] = "replay",
	[ESP_V_AUTH] = "authentication failure",
	[ESP_V_PAD] = "bad padding",
	[ESP_V_PROTO] = "unexpected next header",
	[ESP_V_SELECTOR] = "outside the SA's selectors",
	[ESP_V_SEQ_EXHAUSTED] = "sequence numbers exhausted",
	[ESP_V_CRYPTO] = "crypto library failure",
};

const char *
esp_verdict_name(enum esp_verdict v)
{
	return v < ESP_V_NVERDICTS ? verdict_names[v] : "?";
}

struct esp_sactx *
esp_sactx_new(const struct esp_sa *sa)
{
	struct esp_sactx *c = xcalloc(1, sizeof(*c));

	c->sa = *sa;
	if (esp_xform_init(&c->x, sa) == -1) {
		OPENSSL_cleanse(c, sizeof(*c));
		free(c);
		return NULL;
	}
	esp_replay_init(&c->replay, (uint32_t)(sa->replay_window != 0 ?
	    sa->replay_window : 64));
	c->st.added_ms = time_mono_ms();
	esp_seq_set(&c->seq, 0, sa->esn);
	return c;
}

void
esp_sactx_free(struct esp_sactx *c)
{
	if (c == NULL)
		return;
	esp_xform_cleanup(&c->x);
	free_secret(c, sizeof(*c));
}

int
esp_peek_spi(const uint8_t *p, size_t len, uint32_t *spi)
{
	if (len < ESP_HDR_LEN)
		return -1;
	*spi = be32_get(p);
	return 0;
}

/* GCM: nonce = salt || IV, then the AAD. */
static int
gcm_start(struct esp_xform *x, const uint8_t *hdr, const uint8_t *iv,
    int esn, uint32_t seqh)
{
	uint8_t		 nonce[12], aad[12];
	size_t		 aadlen = 8;
	int		 n;

	memcpy(nonce, x->salt, 4);
	memcpy(nonce + 4, iv, 8);
	memcpy(aad, hdr, 4);
	if (esn) {
		be32_put(aad + 4, seqh);
		memcpy(aad + 8, hdr + 4, 4);
		aadlen = 12;
	} else
		memcpy(aad + 4, hdr + 4, 4);
	if (EVP_CipherInit_ex(x->cipher, NULL, NULL, NULL, nonce, -1) != 1 ||
	    EVP_CipherUpdate(x->cipher, NULL, &n, aad, (int)aadlen) != 1)
		return -1;
	return 0;
}

/* HMAC over [p, p + len) and, with ESN, the high half; truncated. */
static int
icv_compute(struct esp_xform *x, const uint8_t *p, size_t len, int esn,
    uint32_t seqh, uint8_t *icv)
{
	uint8_t		 full[EVP_MAX_MD_SIZE], hi[4];
	size_t		 n;

	if (EVP_MAC_init(x->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(x->mac, p, len) != 1)
		return -1;
	if (esn) {
		be32_put(hi, seqh);
		if (EVP_MAC_update(x->mac, hi, 4) != 1)
			return -1;
	}
	if (EVP_MAC_final(x->mac, full, &n, sizeof(full)) != 1 ||
	    n < x->icv_len)
		return -1;
	memcpy(icv, full, x->icv_len);
	return 0;
}

enum esp_verdict
esp_encap(struct esp_sactx *c, uint8_t *buf, size_t *off, size_t *len,
    const uint8_t *ivsrc)
{
	struct esp_xform *x = &c->x;
	size_t		 poff = *off, plen = *len, padlen, ctlen;
	uint8_t		*hdr, *iv, *ct, nh;
	uint64_t	 seq;
	int		 n;

	if (c->sa.tunnel)
		nh = IPPROTO_IPIP_;
	else {
		struct buf	 b, payload;
		struct ip4_hdr	 ip;

		/* the outer header replaces this one: ESP carries the rest */
		buf_init(&b, buf + poff, plen);
		if (ip4_parse(&b, &ip, &payload) != IP4_OK)
			goto malformed;
		nh = ip.proto;
		poff += ip.hlen;
		plen -= ip.hlen;
	}
	/*
	 * RFC 4303 3.3.3: a counter must never cycle, and (esp/seq.c) this
	 * node sends no number the other node of the pair may send: past
	 * the limit the SA needs a rekey.
	 */
	if (c->seq.out >= c->seq.limit) {
		c->seq_exhausted++;
		c->st.send_errors++;
		return ESP_V_SEQ_EXHAUSTED;
	}
	seq = ++c->seq.out;

	/* RFC 4303 2.4: pad so the trailer ends on a block boundary. */
	padlen = (x->block - (plen + 2) % x->block) % x->block;
	ct = buf + poff;
	for (size_t i = 0; i < padlen; i++)
		ct[plen + i] = (uint8_t)(i + 1);
	ct[plen + padlen] = (uint8_t)padlen;
	ct[plen + padlen + 1] = nh;
	ctlen = plen + padlen + 2;

	iv = ct - x->iv_len;
	hdr = iv - ESP_HDR_LEN;
	be32_put(hdr, c->sa.spi);
	be32_put(hdr + 4, (uint32_t)seq);

	if (x->aead) {
		be32_put(iv, (uint32_t)(seq >> 32));
		be32_put(iv + 4, (uint32_t)seq);
		if (gcm_start(x, hdr, iv, c->sa.esn,
		    (uint32_t)(seq >> 32)) == -1 ||
		    EVP_CipherUpdate(x->cipher, ct, &n, ct, (int)ctlen) != 1 ||
		    EVP_CipherFinal_ex(x->cipher, ct + ctlen, &n) != 1 ||
		    EVP_CIPHER_CTX_ctrl(x->cipher, EVP_CTRL_GCM_GET_TAG,
		    (int)x->icv_len, ct + ctlen) != 1)
			goto crypto;
	} else {
		memcpy(iv, ivsrc, x->iv_len);
		if (EVP_CipherInit_ex(x->cipher, NULL, NULL, NULL, iv, -1) != 1 ||
		    EVP_CipherUpdate(x->cipher, ct, &n, ct, (int)ctlen) != 1 ||
		    icv_compute(x, hdr, (size_t)(ct + ctlen - hdr), c->sa.esn,
		    (uint32_t)(seq >> 32), ct + ctlen) == -1)
			goto crypto;
	}
	*off = (size_t)(hdr - buf);
	*len = ESP_HDR_LEN + x->iv_len + ctlen + x->icv_len;
	c->st.packets++;
	/* the payload carried: the IP packet, or (transport) its payload */
	c->st.bytes += plen;
	c->crypt++;
	c->digest++;
	return ESP_V_OK;

 malformed:
	c->malformed++;
	c->st.send_errors++;
	return ESP_V_MALFORMED;
 crypto:
	c->st.send_errors++;
	return ESP_V_CRYPTO;
}

enum esp_verdict
esp_decap(struct esp_sactx *c, uint8_t *buf, size_t *off, size_t *len,
    uint8_t *nhp)
{
	struct esp_xform *x = &c->x;
	struct esp_flow	 f;
	uint8_t		*hdr = buf + *off, *iv, *ct, *icv;
	uint8_t		 want[ESP_MAX_ICV];
	size_t		 ctlen, padlen;
	uint64_t	 seq;
	uint32_t	 seql;
	enum esp_verdict v;
	int		 n;

	if (*len < ESP_HDR_LEN + x->iv_len + x->icv_len + 2) {
		v = ESP_V_MALFORMED;
		goto drop;
	}
	ctlen = *len - ESP_HDR_LEN - x->iv_len - x->icv_len;
	if (ctlen % x->block != 0) {
		v = ESP_V_MALFORMED;
		goto drop;
	}
	iv = hdr + ESP_HDR_LEN;
	ct = iv + x->iv_len;
	icv = ct + ctlen;

	/* 3.4.3: the replay check comes first, before any cryptography. */
	seql = be32_get(hdr + 4);
	if (c->sa.esn) {
		if (esp_replay_infer_esn(&c->replay, seql, &seq) == -1) {
			v = ESP_V_REPLAY;
			goto drop;
		}
	} else
		seq = seql;
	if (esp_replay_check(&c->replay, seq) == -1) {
		v = ESP_V_REPLAY;
		goto drop;
	}

	/* 3.4.4: the ICV, then decryption. */
	if (x->aead) {
		if (gcm_start(x, hdr, iv, c->sa.esn,
		    (uint32_t)(seq >> 32)) == -1 ||
		    EVP_CipherUpdate(x->cipher, ct, &n, ct, (int)ctlen) != 1 ||
		    EVP_CIPHER_CTX_ctrl(x->cipher, EVP_CTRL_GCM_SET_TAG,
		    (int)x->icv_len, icv) != 1) {
			v = ESP_V_CRYPTO;
			goto drop;
		}
		if (EVP_CipherFinal_ex(x->cipher, icv, &n) != 1) {
			/* the plaintext of a forged packet is never used */
			v = ESP_V_AUTH;
			goto drop;
		}
	} else {
		if (icv_compute(x, hdr, (size_t)(icv - hdr), c->sa.esn,
		    (uint32_t)(seq >> 32), want) == -1) {
			v = ESP_V_CRYPTO;
			goto drop;
		}
		if (CRYPTO_memcmp(want, icv, x->icv_len) != 0) {
			v = ESP_V_AUTH;
			goto drop;
		}
		if (EVP_CipherInit_ex(x->cipher, NULL, NULL, NULL, iv,
		    -1) != 1 ||
		    EVP_CipherUpdate(x->cipher, ct, &n, ct, (int)ctlen) != 1) {
			v = ESP_V_CRYPTO;
			goto drop;
		}
	}
	c->digest++;
	c->crypt++;
	/* 3.4.3: the window moves only for an authenticated packet. */
	esp_replay_update(&c->replay, seq);

	padlen = ct[ctlen - 2];
	if (padlen + 2 > ctlen) {
		v = ESP_V_PAD;
		goto drop;
	}
	/* 2.4: the padding is 1, 2, 3, ... when the sender follows RFC 4303 */
	for (size_t i = 0; i < padlen; i++)
		if (ct[ctlen - 2 - padlen + i] != (uint8_t)(i + 1)) {
			v = ESP_V_PAD;
			goto drop;
		}
	*nhp = ct[ctlen - 1];
	if (c->sa.tunnel && *nhp != IPPROTO_IPIP_) {
		/* includes next header 59, the dummy packets of 2.6 */
		v = ESP_V_PROTO;
		goto drop;
	}
	ctlen -= padlen + 2;
	/* RFC 4301 5.2 step 4: the inner packet must match the SA */
	if (c->sa.tunnel) {
		struct buf	 b, l4;
		struct ip4_hdr	 ip;

		buf_init(&b, ct, ctlen);
		if (ip4_parse(&b, &ip, &l4) != IP4_OK) {
			v = ESP_V_MALFORMED;
			goto drop;
		}
		esp_flow_from_ip4(&ip, &l4, &f);
		/* TFC padding (RFC 4303 2.7) ends at the total length */
		ctlen = ip.totlen;
	} else {
		memset(&f, 0, sizeof(f));
		f.src = c->sa.remote;
		f.dst = c->sa.local;
		f.proto = *nhp;
		if ((f.proto == IPPROTO_TCP || f.proto == IPPROTO_UDP ||
		    f.proto == IPPROTO_SCTP) && ctlen >= 4) {
			f.sport = be16_get(ct);
			f.dport = be16_get(ct + 2);
		}
	}
	if (!esp_selector_match(&c->sa.sel, &f)) {
		v = ESP_V_SELECTOR;
		goto drop;
	}
	*off = (size_t)(ct - buf);
	*len = ctlen;
	c->st.packets++;
	c->st.bytes += *len;
	return ESP_V_OK;

 drop:
	c->st.recv_errors++;
	switch (v) {
	case ESP_V_REPLAY:
		c->st.replay_drops++;
		break;
	case ESP_V_AUTH:
		c->st.auth_fails++;
		break;
	case ESP_V_PAD:
		c->pad_drops++;
		break;
	case ESP_V_PROTO:
		c->proto_drops++;
		break;
	case ESP_V_SELECTOR:
		c->st.selector_drops++;
		break;
	default:
		c->malformed++;
		break;
	}
	return v;
}
