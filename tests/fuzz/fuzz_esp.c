/*
 * libFuzzer: the inbound ESP path with fixed SAs.  The first byte picks a
 * mode and an SA:
 *
 *   even	the rest is an ESP packet as received (replay check, ICV,
 *		decryption, window), for an AES-CBC/HMAC-SHA-256 SA or an
 *		AES-GCM SA with ESN
 *   odd	the rest is the plaintext of an ESP payload (trailer
 *		included, whatever it says), sealed here with the GCM SA's
 *		key, so padding, next header, the inner packet's flow and
 *		the selector check see arbitrary bytes behind a good ICV
 *
 * A first byte of 0xfe instead feeds the TUN offload path: the next six
 * bytes are a virtio header (type, flags, gso_size, csum_start/offset),
 * the rest a packet that esp_gso_split() finishes.  A first byte of 0xfd
 * feeds the rest to ip4_parse(), the header parser every path above
 * shares, and checks what it promises.
 *
 * Nothing may crash, and an accepted payload must lie inside the packet.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct esp_sactx *cbc, *gcm;
static uint8_t gcm_key[36];

static struct esp_sactx *
make_sa(enum alg_esp_enc enc, int esn)
{
	struct esp_sa	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.conn_id = 1;
	sa.spi = enc == ALG_ESP_GCM ? 0x2000 : 0x1000;
	sa.dir = ESP_IN;
	sa.tunnel = 1;
	sa.enc = enc;
	sa.enc_keybits = 256;
	sa.esn = esn;
	sa.replay_window = 128;
	for (int i = 0; i < 36; i++)
		sa.enc_key[i] = (uint8_t)(i * 7 + 1);
	if (enc == ALG_ESP_GCM) {
		sa.enc_key_len = 36;
		memcpy(gcm_key, sa.enc_key, 36);
	} else {
		sa.enc_key_len = 32;
		sa.auth = ALG_ESP_AUTH_SHA256;
		sa.auth_key_len = 32;
		memset(sa.auth_key, 0x5a, 32);
	}
	addr_parse("172.21.91.0", &sa.sel.src);
	sa.sel.src_mask = addr_mask_from_len(24);
	addr_parse("192.168.20.0", &sa.sel.dst);
	sa.sel.dst_mask = addr_mask_from_len(24);
	return esp_sactx_new(&sa);
}

/* Seal payload (a multiple of 4 bytes) for the GCM SA, sequence seq. */
static size_t
seal(uint8_t *out, const uint8_t *pt, size_t n, uint32_t seq)
{
	EVP_CIPHER_CTX	*c = EVP_CIPHER_CTX_new();
	uint8_t		 nonce[12], aad[12];
	int		 l;

	memset(out, 0, 16);
	out[2] = 0x20;		/* SPI 0x2000 */
	out[4] = (uint8_t)(seq >> 24);
	out[5] = (uint8_t)(seq >> 16);
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	memcpy(out + 8, out + 4, 4);	/* IV: any unique value */
	memcpy(nonce, gcm_key + 32, 4);
	memcpy(nonce + 4, out + 8, 8);
	memcpy(aad, out, 4);
	memset(aad + 4, 0, 4);		/* ESN high half: 0 */
	memcpy(aad + 8, out + 4, 4);
	EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
	EVP_EncryptInit_ex(c, NULL, NULL, gcm_key, nonce);
	EVP_EncryptUpdate(c, NULL, &l, aad, 12);
	EVP_EncryptUpdate(c, out + 16, &l, pt, (int)n);
	EVP_EncryptFinal_ex(c, out + 16 + n, &l);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 16 + n);
	EVP_CIPHER_CTX_free(c);
	return 16 + n + 16;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint32_t	 seq;
	uint8_t		 buf[4096], nh;
	struct esp_sactx *c;
	struct esp_flow	 f;
	size_t		 off = 64, n;

	if (cbc == NULL) {
		cbc = make_sa(ALG_ESP_AES, 0);
		gcm = make_sa(ALG_ESP_GCM, 1);
		if (cbc == NULL || gcm == NULL)
			abort();
	}
	if (len < 1 || len > 2048)
		return 0;
	if (data[0] == 0xfd) {
		struct buf	 b, pl;
		struct ip4_hdr	 ip;

		buf_init(&b, data + 1, len - 1);
		switch (ip4_parse(&b, &ip, &pl)) {
		case IP4_OK:
			if (ip.hlen < 20 || ip.hlen > ip.totlen ||
			    ip.totlen > len - 1 || pl.p != data + 1 + ip.hlen ||
			    buf_left(&pl) != ip.totlen - ip.hlen ||
			    buf_left(&b) != len - 1 - ip.totlen)
				abort();
			break;
		case IP4_TRUNCATED:
			if (b.off != 0 || ip.totlen <= len - 1 ||
			    ip.hlen > len - 1)
				abort();
			break;
		case IP4_MALFORMED:
			if (b.off != 0)
				abort();
			break;
		}
		return 0;
	}
	if (data[0] == 0xfe && len >= 7) {
		static uint8_t	 segs[8][2048];
		uint8_t		*outs[8];
		size_t		 lens[8];
		struct esp_vnet	 h;

		for (int i = 0; i < 8; i++)
			outs[i] = segs[i];
		memset(&h, 0, sizeof(h));
		h.gso_type = (enum esp_gso_type)(data[1] % 3);
		h.needs_csum = data[2] & 1;
		h.gso_size = (uint16_t)(data[3] << 4);
		h.csum_start = data[4];
		h.csum_offset = data[5];
		(void)data[6];
		if (esp_gso_split(&h, data + 7, len - 7, outs, sizeof(segs[0]),
		    lens, 8) > 8)
			abort();
		return 0;
	}
	if (data[0] & 1) {
		n = (len - 1) & ~(size_t)3;
		c = gcm;
		len = seal(buf + off, data + 1, n, ++seq);
	} else {
		c = (data[0] & 2) ? gcm : cbc;
		len -= 1;
		memcpy(buf + off, data + 1, len);
	}
	if (esp_decap(c, buf, &off, &len, &nh) != ESP_V_OK)
		return 0;
	if (off < 64 || off + len > 64 + 2048 + 32)
		abort();
	if (esp_flow_parse(buf + off, len, &f) == 0)
		(void)esp_selector_match(&c->sa.sel, &f);
	return 0;
}
