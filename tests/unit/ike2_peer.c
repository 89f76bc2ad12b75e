/*
 * A scripted IKEv2 initiator: see ike2_peer.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
#include "ike2_peer.h"

static const uint8_t zero_spi[IKE2_SPI_LEN];

char *
ike2_peer_conf(const char *psk)
{
	char	*s;

	if (asprintf(&s,
	    "hostname a\n"
	    "crypto ikev2 proposal P\n encryption aes-cbc-256\n"
	    " integrity sha256\n group 19 14\n"
	    "crypto ikev2 policy POL\n proposal P\n"
	    "crypto ikev2 keyring KR\n peer B\n  address 10.0.0.20\n"
	    "  pre-shared-key %s\n"
	    "crypto ikev2 profile PROF\n"
	    " match identity remote address 10.0.0.20\n"
	    " authentication local pre-share\n"
	    " authentication remote pre-share\n keyring local KR\n"
	    "crypto ipsec transform-set TS esp-gcm 256\n"
	    "crypto map vpn 10 ipsec-isakmp\n set peer 10.0.0.20\n"
	    " set transform-set TS\n set ikev2-profile PROF\n"
	    " match address 110\n"
	    "interface eth0\n ip address 10.0.0.11 255.255.255.0\n"
	    " crypto map vpn\n"
	    "access-list 110 permit ip 192.168.20.0 0.0.0.255 172.21.91.0 "
	    "0.0.0.255\n", psk) == -1)
		return NULL;
	return s;
}

char *
ike2_peer_conf_b(const char *psk, const char *groups)
{
	char	*s;

	if (asprintf(&s,
	    "hostname b\n"
	    "crypto ikev2 proposal P\n encryption aes-cbc-256\n"
	    " integrity sha256\n group %s\n"
	    "crypto ikev2 policy POL\n proposal P\n"
	    "crypto ikev2 keyring KR\n peer A\n  address 10.0.0.11\n"
	    "  pre-shared-key %s\n"
	    "crypto ikev2 profile PROF\n"
	    " match identity remote address 10.0.0.11\n"
	    " authentication local pre-share\n"
	    " authentication remote pre-share\n keyring local KR\n"
	    "crypto ipsec transform-set TS esp-gcm 256\n"
	    "crypto map vpn 10 ipsec-isakmp\n set peer 10.0.0.11\n"
	    " set transform-set TS\n set ikev2-profile PROF\n"
	    " match address 110\n"
	    "interface eth0\n ip address 10.0.0.20 255.255.255.0\n"
	    " crypto map vpn\n"
	    "access-list 110 permit ip 172.21.91.0 0.0.0.255 192.168.20.0 "
	    "0.0.0.255\n", groups, psk) == -1)
		return NULL;
	return s;
}

static struct sockaddr_in
sin_of(const char *a, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	addr_parse(a, &s.sin_addr);
	s.sin_port = htons(port);
	return s;
}

/* The engine's answer (the last datagram it sent), queue emptied. */
static int
take_answer(struct ike2_peer *pe)
{
	struct pair	*p = pe->p;
	int		 got = 0;

	for (int i = 0; i < p->nq; i++) {
		/* from port 4500: the non-ESP marker in front */
		size_t	 off = ntohs(p->q[i].src.sin_port) == 4500 ? 4 : 0;

		if (p->q[i].from == 0 && p->q[i].len > off &&
		    p->q[i].len - off <= sizeof(pe->resp)) {
			memcpy(pe->resp, p->q[i].data + off, p->q[i].len - off);
			pe->resplen = p->q[i].len - off;
			got = 1;
		}
	}
	pair_flush(p);
	return got ? 0 : -1;
}

/* The engine's last request of its own (no R), as it left. */
static uint8_t	 eng_req[IKE_MAX_MSG];
static size_t	 eng_reqlen;

static int	 fake_nat;
static int	 keepalives;

static void
capture(struct pair *p, const struct pair_msg *m)
{
	size_t	 off = ntohs(m->src.sin_port) == 4500 ? 4 : 0;

	(void)p;
	if (m->from == 0 && m->len == 1 && m->data[0] == 0xff)
		keepalives++;
	if (m->from == 0 && m->len >= IKE2_HDR_LEN + off &&
	    m->len - off <= sizeof(eng_req) &&
	    !(m->data[off + 19] & IKE2_FLAG_R)) {
		memcpy(eng_req, m->data + off, m->len - off);
		eng_reqlen = m->len - off;
	}
}

void
ike2_peer_watch(struct pair *p)
{
	p->wire = capture;
}

static void
send_msg(struct ike2_peer *pe, const uint8_t *m, size_t len)
{
	uint8_t		 buf[4 + IKE_MAX_MSG];
	uint16_t	 sport = pe->sport != 0 ? pe->sport : 500,
			 dport = pe->dport != 0 ? pe->dport : 500;

	if (dport != 4500 || len > IKE_MAX_MSG) {
		pair_inject(pe->p, 0, m, len, "10.0.0.20", sport, dport);
		return;
	}
	memset(buf, 0, 4);	/* the non-ESP marker */
	memcpy(buf + 4, m, len);
	pair_inject(pe->p, 0, buf, len + 4, "10.0.0.20", sport, dport);
}

void
ike2_peer_fake_nat(int on)
{
	fake_nat = on;
}

/* A COOKIE to send first in the next IKE_SA_INIT, with the SPIi and Ni of
 * the one before it (2.6); NULL: none. */
static uint8_t	 peer_cookie[IKE2_COOKIE_MAX], last_spii[IKE2_SPI_LEN],
		 last_ni[32];
static size_t	 peer_cookie_len;

void
ike2_peer_cookie(const uint8_t *c, size_t len)
{
	peer_cookie_len = c != NULL && len <= sizeof(peer_cookie) ? len : 0;
	if (peer_cookie_len > 0)
		memcpy(peer_cookie, c, len);
}

int
ike2_peer_keepalives(void)
{
	return keepalives;
}

int
ike2_peer_sa_init(struct ike2_peer *pe, struct pair *p, int ke_group,
    size_t cut)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sa_pl sa;
	struct ike2_ke	 ke;
	struct ike2_notify n;
	struct ike2_pls	 pls;
	struct ike_dh	*dh = ike_dh_new(19);
	struct sockaddr_in me = sin_of("10.0.0.20", 500),
			   it = sin_of("10.0.0.11", 500);
	uint8_t		 natd[IKE2_NATD_LEN], gir[IKE_MAX_DH];
	const struct ike2_pl *pl;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	const uint8_t	*nr;
	const char	*psk = pe->psk;
	int		 rc = 1;

	memset(pe, 0, sizeof(*pe));
	pe->psk = psk;
	pe->p = p;
	p->wire = capture;
	eng_reqlen = 0;
	pe->suite.enc = alg_enc(ALG_ENC_AES);
	pe->suite.keybits = 256;
	pe->suite.prf = ALG_HASH_SHA256;
	pe->suite.integ = ALG_HASH_SHA256;
	ike_random(pe->spii, sizeof(pe->spii));
	ike_random(pe->ni, sizeof(pe->ni));
	if (peer_cookie_len > 0) {
		memcpy(pe->spii, last_spii, sizeof(pe->spii));
		memcpy(pe->ni, last_ni, sizeof(pe->ni));
	}
	memcpy(last_spii, pe->spii, sizeof(last_spii));
	memcpy(last_ni, pe->ni, sizeof(last_ni));
	pe->esp_spi = 0xc0ffee01;
	memset(&h, 0, sizeof(h));
	memcpy(h.spii, pe->spii, IKE2_SPI_LEN);
	h.exchange = IKE2_EX_IKE_SA_INIT;
	h.flags = IKE2_FLAG_I;
	ike2_wr_init(&wr, &h);
	if (peer_cookie_len > 0) {
		memset(&n, 0, sizeof(n));
		n.type = IKE2_N_COOKIE;
		n.data = peer_cookie;
		n.datalen = peer_cookie_len;
		ike2_wr_notify(&wr, &n);
	}
	memset(&sa, 0, sizeof(sa));
	sa.nprops = 1;
	sa.prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_IKE, 0, { 0 }, 1,
	    0, 4 };
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 12, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_PRF, 5, 0, 1, NULL, 0 };
	sa.xf[2] = (struct ike2_sa_xf){ IKE2_T_INTEG, 12, 0, 1, NULL, 0 };
	sa.xf[3] = (struct ike2_sa_xf){ IKE2_T_DH, 19, 0, 1, NULL, 0 };
	sa.nxf = 4;
	ike2_wr_sa(&wr, &sa);
	ke.group = (uint16_t)ke_group;
	ke.data = ike_dh_pub(dh);
	ke.len = ike_dh_publen(19);
	ike2_wr_ke(&wr, &ke);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, pe->ni, sizeof(pe->ni));
	memset(&n, 0, sizeof(n));
	n.data = natd;
	n.datalen = sizeof(natd);
	n.type = IKE2_N_NAT_DETECTION_SOURCE_IP;
	ike2_natd_hash(pe->spii, zero_spi, &me, natd);
	natd[0] ^= fake_nat;	/* hashes that do not match: NATs both ways */
	ike2_wr_notify(&wr, &n);
	n.type = IKE2_N_NAT_DETECTION_DESTINATION_IP;
	ike2_natd_hash(pe->spii, zero_spi, &it, natd);
	natd[0] ^= fake_nat;
	ike2_wr_notify(&wr, &n);
	ike2_wr_finish(&wr);
	if (wbuf_error(&wr.w) || wr.w.len > sizeof(pe->init_i))
		abort();
	memcpy(pe->init_i, wr.w.p, wr.w.len);
	pe->init_ilen = wr.w.len;
	ike2_wr_cleanup(&wr);
	send_msg(pe, pe->init_i, cut != 0 && cut < pe->init_ilen ? cut :
	    pe->init_ilen);
	if (take_answer(pe) == -1) {
		rc = -1;
		goto done;
	}
	buf_init(&b, pe->resp, pe->resplen);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_KE)) == NULL)
		goto done;
	if (ike2_ke_parse(pl->body, &ke, &err) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_NONCE)) == NULL ||
	    ike2_nonce_parse(pl->body, &nr, &pe->nrlen, &err) == -1 ||
	    ike_dh_derive(dh, ke.data, ke.len, gir, &err) == -1)
		goto done;
	memcpy(pe->nr, nr, pe->nrlen);
	memcpy(pe->spir, h.spir, IKE2_SPI_LEN);
	memcpy(pe->init_r, pe->resp, pe->resplen);
	pe->init_rlen = pe->resplen;
	if (ike2_kdf_ike(&pe->suite, gir, ike_dh_secretlen(19), pe->ni,
	    sizeof(pe->ni), pe->nr, pe->nrlen, pe->spii, pe->spir,
	    &pe->keys) == 0)
		rc = 0;
	pe->msgid = 1;
	OPENSSL_cleanse(gir, sizeof(gir));
done:
	ike_dh_free(dh);
	return rc;
}

/* The payloads written after wr's header as a plaintext: its length (0
 * if it does not fit), the first payload's type in *np; wr cleaned up. */
static size_t
body_of(struct ike2_wr *wr, uint8_t *out, size_t max, uint8_t *np)
{
	size_t	 len = 0;

	*np = 0;
	ike2_wr_finish(wr);
	if (!wbuf_error(&wr->w) && wr->w.len - IKE2_HDR_LEN <= max) {
		len = wr->w.len - IKE2_HDR_LEN;
		memcpy(out, wr->w.p + IKE2_HDR_LEN, len);
		*np = wr->w.p[16];
	}
	ike2_wr_cleanup(wr);
	return len;
}

/* The ESP proposal the peer offers: AES-GCM-256, no ESN, [DH group]. */
static void
esp_offer(struct ike2_sa_pl *sa, uint32_t spi, int group)
{
	memset(sa, 0, sizeof(*sa));
	sa->nprops = 1;
	sa->prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_ESP, 4, { 0 }, 1,
	    0, group != 0 ? 3 : 2 };
	be32_put(sa->prop[0].spi, spi);
	sa->xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 20, 256, 1, NULL, 0 };
	sa->xf[1] = (struct ike2_sa_xf){ IKE2_T_ESN, 0, 0, 1, NULL, 0 };
	sa->xf[2] = (struct ike2_sa_xf){ IKE2_T_DH, (uint16_t)group, 0, 1,
	    NULL, 0 };
	sa->nxf = group != 0 ? 3 : 2;
}

/* The ACL's flows as TSi (the peer's side) and TSr. */
static void
acl_ts(struct ike2_ts_pl *tsi, struct ike2_ts_pl *tsr)
{
	memset(tsi, 0, sizeof(*tsi));
	memset(tsr, 0, sizeof(*tsr));
	tsi->n = tsr->n = 1;
	tsi->ts[0] = (struct ike2_ts){ IKE2_TS_IPV4_ADDR_RANGE, 0, 1, 0,
	    65535, 4, { 172, 21, 91, 0 }, { 172, 21, 91, 255 }, NULL, 0 };
	tsr->ts[0] = (struct ike2_ts){ IKE2_TS_IPV4_ADDR_RANGE, 0, 1, 0,
	    65535, 4, { 192, 168, 20, 0 }, { 192, 168, 20, 255 }, NULL, 0 };
}

int
ike2_peer_establish(struct ike2_peer *pe, struct pair *p, const char *psk,
    int mid_sync)
{
	uint8_t		 body[1024], np;
	size_t		 len;

	pe->psk = psk;
	if (ike2_peer_sa_init(pe, p, 19, 0) != 0)
		return -1;
	pe->mid_sync = mid_sync;
	if ((len = ike2_peer_auth_body(pe, body, sizeof(body), &np)) == 0)
		return -1;
	return ike2_peer_request(pe, IKE2_EX_IKE_AUTH, np, body, len, 0);
}

size_t
ike2_peer_auth_body(struct ike2_peer *pe, uint8_t *out, size_t max,
    uint8_t *np)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_id	 id;
	struct ike2_auth au;
	struct ike2_sa_pl sa;
	struct ike2_ts_pl tsi, tsr;
	struct ike2_notify n;
	struct in_addr	 a;
	uint8_t		 body[8], mac[IKE_MAX_HASH];

	addr_parse("10.0.0.20", &a);
	id.type = IKE2_ID_IPV4_ADDR;
	id.data = (const uint8_t *)&a;
	id.len = 4;
	body[0] = IKE2_ID_IPV4_ADDR;
	memset(body + 1, 0, 3);
	memcpy(body + 4, &a, 4);
	if (ike2_psk_auth(pe->suite.prf, pe->psk, strlen(pe->psk), pe->init_i,
	    pe->init_ilen, pe->nr, pe->nrlen, pe->keys.pi, pe->keys.prflen,
	    body, sizeof(body), mac) == -1)
		abort();
	au.method = IKE2_AUTH_PSK;
	au.data = mac;
	au.len = pe->keys.prflen;
	esp_offer(&sa, pe->esp_spi, 0);
	acl_ts(&tsi, &tsr);
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED;
	memset(&h, 0, sizeof(h));
	ike2_wr_init(&wr, &h);
	ike2_wr_id(&wr, IKE2_PL_IDI, &id);
	ike2_wr_auth(&wr, &au);
	if (pe->mid_sync)
		ike2_wr_notify(&wr, &n);
	ike2_wr_sa(&wr, &sa);
	ike2_wr_ts(&wr, IKE2_PL_TSI, &tsi);
	ike2_wr_ts(&wr, IKE2_PL_TSR, &tsr);
	return body_of(&wr, out, max, np);
}

static uint8_t	 last_req[IKE_MAX_MSG];
static size_t	 last_reqlen;

/*
 * Open msg (len bytes, opened in place) with the engine's keys into
 * pe->plain; its message ID in *msgid.  0, or -1 when it does not open.
 */
static int
open_msg(struct ike2_peer *pe, uint8_t *msg, size_t len, uint32_t *msgid)
{
	struct ike2_hdr	 h;
	struct ike2_pls	 pls;
	struct ike2_sk	 sk = { &pe->suite, pe->responder ? pe->keys.ei :
			    pe->keys.er, pe->responder ? pe->keys.ai :
			    pe->keys.ar };
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	uint8_t		*plain;
	size_t		 plainlen;

	buf_init(&b, msg, len);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1 ||
	    pls.enc < 0 || ike2_sk_open(&sk, msg, pls.enc_off, pls.enc_len,
	    &plain, &plainlen, &err) == -1)
		return -1;
	memcpy(pe->plain, plain, plainlen);
	pe->plainlen = plainlen;
	pe->plain_np = pls.enc_np;
	*msgid = h.msgid;
	return 0;
}

/* The answer to the last request: 0 opened, 1 not, -1 none. */
static int
answer(struct ike2_peer *pe)
{
	uint32_t	 msgid;

	pe->plainlen = 0;
	if (take_answer(pe) == -1)
		return -1;
	return open_msg(pe, pe->resp, pe->resplen, &msgid) == -1 ? 1 : 0;
}

/*
 * A message of ours under the SA: plain (first payload np) sealed with
 * our keys into last_req, flip as ike2_peer_request; sent.  0 or -1.
 */
static int
seal_send(struct ike2_peer *pe, uint8_t exchange, uint8_t flags,
    uint32_t msgid, uint8_t np, const uint8_t *plain, size_t len,
    size_t flip)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sk	 sk = { &pe->suite, pe->responder ? pe->keys.er :
			    pe->keys.ei, pe->responder ? pe->keys.ar :
			    pe->keys.ai };
	size_t		 iv = ike2_sk_iv_len(&sk), aad;

	memset(&h, 0, sizeof(h));
	memcpy(h.spii, pe->spii, IKE2_SPI_LEN);
	memcpy(h.spir, pe->spir, IKE2_SPI_LEN);
	h.exchange = exchange;
	h.flags = flags;
	h.msgid = msgid;
	ike2_wr_init(&wr, &h);
	ike2_wr_sk_begin(&wr, iv);
	wbuf_put_bytes(&wr.w, plain, len);
	if (!wbuf_error(&wr.w))
		wr.w.p[wr.enc_start] = np;	/* the first inner payload */
	ike2_wr_enc_finish(&wr, ike2_sk_body_len(&sk, len) - iv - len, &aad);
	if (wbuf_error(&wr.w) || wr.w.len > sizeof(last_req) ||
	    ike2_sk_seal(&sk, wr.w.p, aad, len, NULL) == -1) {
		ike2_wr_cleanup(&wr);
		return -1;
	}
	if (flip != 0 && flip < wr.w.len)
		wr.w.p[flip] ^= 0x01;
	memcpy(last_req, wr.w.p, wr.w.len);
	last_reqlen = wr.w.len;
	ike2_wr_cleanup(&wr);
	send_msg(pe, last_req, last_reqlen);
	return 0;
}

int
ike2_peer_request(struct ike2_peer *pe, uint8_t exchange, uint8_t np,
    const uint8_t *plain, size_t len, size_t flip)
{
	if (seal_send(pe, exchange, pe->responder ? 0 : IKE2_FLAG_I,
	    pe->msgid++, np, plain, len, flip) == -1)
		return -1;
	return answer(pe);
}

int
ike2_peer_resend(struct ike2_peer *pe)
{
	send_msg(pe, last_req, last_reqlen);
	return answer(pe);
}

/* The first notify type of the answer's other than skip, 0 if none. */
static uint16_t
first_notify(const struct ike2_peer *pe, uint16_t skip, uint16_t want)
{
	struct ike2_pls	 pls;
	struct ike2_notify n;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, pe->plain, pe->plainlen);
	if (ike2_pls_parse(&b, pe->plain_np, 1, &pls, &notify, &err) == -1)
		return 0;
	for (int i = 0; i < pls.n; i++)
		if (pls.pl[i].type == IKE2_PL_N &&
		    ike2_notify_parse(pls.pl[i].body, &n, &err) == 0 &&
		    n.type != skip && (want == 0 || n.type == want))
			return n.type;
	return 0;
}

uint16_t
ike2_peer_notify(const struct ike2_peer *pe)
{
	return first_notify(pe, IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 0);
}

int
ike2_peer_has_notify(const struct ike2_peer *pe, uint16_t type)
{
	return first_notify(pe, 0, type) == type;
}

static void
child_nonce(struct ike2_peer *pe)
{
	if (pe->cnonce_fixed)
		memset(pe->cni, pe->cnonce_byte, sizeof(pe->cni));
	else
		ike_random(pe->cni, sizeof(pe->cni));
}

size_t
ike2_peer_child_body(struct ike2_peer *pe, uint32_t spi, uint32_t rekey,
    int ke_group, uint8_t *out, size_t max, uint8_t *np)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sa_pl sa;
	struct ike2_ts_pl tsi, tsr;
	struct ike2_notify n;
	struct ike2_ke	 ke;
	uint8_t		 rspi[4];

	child_nonce(pe);
	memset(&h, 0, sizeof(h));
	ike2_wr_init(&wr, &h);
	if (rekey != 0) {
		memset(&n, 0, sizeof(n));
		n.type = IKE2_N_REKEY_SA;
		n.proto = IKE2_PROTO_ESP;
		n.spisize = 4;
		be32_put(rspi, rekey);
		n.spi = rspi;
		ike2_wr_notify(&wr, &n);
	}
	esp_offer(&sa, spi, ke_group);
	ike2_wr_sa(&wr, &sa);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, pe->cni, sizeof(pe->cni));
	if (ke_group != 0) {
		ike_dh_free(pe->cdh);
		pe->cdh = ike_dh_new(ke_group);
		ke.group = (uint16_t)ke_group;
		ke.data = ike_dh_pub(pe->cdh);
		ke.len = ike_dh_publen(ke_group);
		ike2_wr_ke(&wr, &ke);
	}
	acl_ts(&tsi, &tsr);
	ike2_wr_ts(&wr, IKE2_PL_TSI, &tsi);
	ike2_wr_ts(&wr, IKE2_PL_TSR, &tsr);
	return body_of(&wr, out, max, np);
}

/* The answer's payloads (plaintext); 0 or -1. */
static int
answer_pls(const struct ike2_peer *pe, struct ike2_pls *pls)
{
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, pe->plain, pe->plainlen);
	return ike2_pls_parse(&b, pe->plain_np, 1, pls, &notify, &err);
}

int
ike2_peer_child_keymat(struct ike2_peer *pe, uint8_t *km, size_t len)
{
	struct ike2_pls	 pls;
	const struct ike2_pl *pl;
	struct ike2_ke	 ke;
	const uint8_t	*nr;
	uint8_t		 gir[IKE_MAX_DH];
	size_t		 nrlen, girlen = 0;
	const char	*err;
	int		 rc;

	if (answer_pls(pe, &pls) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_NONCE)) == NULL ||
	    ike2_nonce_parse(pl->body, &nr, &nrlen, &err) == -1)
		return -1;
	if ((pl = ike2_pls_find(&pls, IKE2_PL_KE)) != NULL) {
		if (pe->cdh == NULL || ike2_ke_parse(pl->body, &ke, &err) ==
		    -1 || ike_dh_derive(pe->cdh, ke.data, ke.len, gir,
		    &err) == -1)
			return -1;
		girlen = ike_dh_secretlen(ke.group);
	}
	rc = ike2_keymat(pe->suite.prf, pe->keys.d, pe->keys.prflen,
	    girlen != 0 ? gir : NULL, girlen, pe->cni, sizeof(pe->cni), nr,
	    nrlen, km, len);
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

int
ike2_peer_rekey_ike(struct ike2_peer *pe, int ke_group, struct ike2_peer *n)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sa_pl sa;
	struct ike2_ke	 ke;
	struct ike2_pls	 pls;
	struct ike2_sa_pl got;
	const struct ike2_pl *pl;
	struct ike_dh	*dh = ike_dh_new(19);
	uint8_t		 plain[IKE_MAX_MSG], np, gir[IKE_MAX_DH];
	const uint8_t	*nr;
	size_t		 len, nrlen;
	const char	*err;
	int		 rc;

	*n = *pe;
	n->cdh = NULL;
	ike_random(n->spii, sizeof(n->spii));
	if (pe->cnonce_fixed)
		memset(n->ni, pe->cnonce_byte, sizeof(n->ni));
	else
		ike_random(n->ni, sizeof(n->ni));
	memset(&h, 0, sizeof(h));
	ike2_wr_init(&wr, &h);
	memset(&sa, 0, sizeof(sa));
	sa.nprops = 1;
	sa.prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_IKE, IKE2_SPI_LEN,
	    { 0 }, 1, 0, 4 };
	memcpy(sa.prop[0].spi, n->spii, IKE2_SPI_LEN);
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 12, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_PRF, 5, 0, 1, NULL, 0 };
	sa.xf[2] = (struct ike2_sa_xf){ IKE2_T_INTEG, 12, 0, 1, NULL, 0 };
	sa.xf[3] = (struct ike2_sa_xf){ IKE2_T_DH, 19, 0, 1, NULL, 0 };
	sa.nxf = 4;
	ike2_wr_sa(&wr, &sa);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, n->ni, sizeof(n->ni));
	ke.group = (uint16_t)ke_group;
	ke.data = ike_dh_pub(dh);
	ke.len = ike_dh_publen(19);
	ike2_wr_ke(&wr, &ke);
	len = body_of(&wr, plain, sizeof(plain), &np);
	rc = ike2_peer_request(pe, IKE2_EX_CREATE_CHILD_SA, np, plain, len, 0);
	if (rc != 0)
		goto done;
	rc = 1;
	if (answer_pls(pe, &pls) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_SA)) == NULL ||
	    ike2_sa_parse(pl->body, &got, &err) == -1 || got.nprops != 1 ||
	    got.prop[0].spisize != IKE2_SPI_LEN ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_NONCE)) == NULL ||
	    ike2_nonce_parse(pl->body, &nr, &nrlen, &err) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_KE)) == NULL ||
	    ike2_ke_parse(pl->body, &ke, &err) == -1 ||
	    ike_dh_derive(dh, ke.data, ke.len, gir, &err) == -1)
		goto done;
	memcpy(n->spir, got.prop[0].spi, IKE2_SPI_LEN);
	memcpy(n->nr, nr, nrlen);
	n->nrlen = nrlen;
	if (ike2_kdf_rekey(pe->suite.prf, pe->keys.d, pe->keys.prflen,
	    &n->suite, gir, ike_dh_secretlen(19), n->ni, sizeof(n->ni),
	    n->nr, n->nrlen, n->spii, n->spir, &n->keys) == 0)
		rc = 0;
	n->msgid = 0;
	OPENSSL_cleanse(gir, sizeof(gir));
done:
	ike_dh_free(dh);
	return rc;
}

void
ike2_peer_free(struct ike2_peer *pe)
{
	ike_dh_free(pe->cdh);
	pe->cdh = NULL;
}

int
ike2_peer_take_request(struct ike2_peer *pe, uint32_t *msgid)
{
	size_t	 len = eng_reqlen;

	eng_reqlen = 0;
	pe->plainlen = 0;
	if (len == 0)
		return -1;
	pe->req_exchange = eng_req[18];
	return open_msg(pe, eng_req, len, msgid);
}

void
ike2_peer_answer(struct ike2_peer *pe, uint32_t msgid, uint8_t np,
    const uint8_t *plain, size_t len, size_t flip)
{
	(void)seal_send(pe, pe->req_exchange != 0 ? pe->req_exchange :
	    IKE2_EX_INFORMATIONAL, IKE2_FLAG_R | (pe->responder ? 0 :
	    IKE2_FLAG_I), msgid, np, plain, len, flip);
}

int
ike2_peer_answer_rekey_ike(struct ike2_peer *pe, uint32_t msgid, int want,
    struct ike2_peer *n)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_pls	 pls;
	struct ike2_sa_pl sa, got;
	struct ike2_ke	 ke;
	const struct ike2_pl *pl;
	struct ike_dh	*dh = NULL;
	uint8_t		 body[IKE_MAX_MSG], np, gir[IKE_MAX_DH], ni[32],
			 spii[IKE2_SPI_LEN];
	const uint8_t	*nonce;
	size_t		 len, nilen;
	const char	*err;
	int		 rc = -1;

	if (answer_pls(pe, &pls) == -1 ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_SA)) == NULL ||
	    ike2_sa_parse(pl->body, &got, &err) == -1 || got.nprops < 1 ||
	    got.prop[0].proto != IKE2_PROTO_IKE ||
	    got.prop[0].spisize != IKE2_SPI_LEN ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_NONCE)) == NULL ||
	    ike2_nonce_parse(pl->body, &nonce, &nilen, &err) == -1 ||
	    nilen != sizeof(ni) ||
	    (pl = ike2_pls_find(&pls, IKE2_PL_KE)) == NULL ||
	    ike2_ke_parse(pl->body, &ke, &err) == -1)
		return -1;
	memcpy(spii, got.prop[0].spi, IKE2_SPI_LEN);
	memcpy(ni, nonce, sizeof(ni));
	memset(&h, 0, sizeof(h));
	ike2_wr_init(&wr, &h);
	if (ke.group != want) {
		uint8_t	 g[2];
		struct ike2_notify no;

		be16_put(g, (uint16_t)want);
		memset(&no, 0, sizeof(no));
		no.type = IKE2_N_INVALID_KE_PAYLOAD;
		no.data = g;
		no.datalen = 2;
		ike2_wr_notify(&wr, &no);
		len = body_of(&wr, body, sizeof(body), &np);
		ike2_peer_answer(pe, msgid, np, body, len, 0);
		return 1;
	}
	if ((dh = ike_dh_new(want)) == NULL ||
	    ike_dh_derive(dh, ke.data, ke.len, gir, &err) == -1) {
		ike2_wr_cleanup(&wr);
		goto done;
	}
	*n = *pe;
	n->cdh = NULL;
	n->responder = 1;
	memcpy(n->spii, spii, IKE2_SPI_LEN);
	ike_random(n->spir, sizeof(n->spir));
	memcpy(n->ni, ni, sizeof(ni));
	if (pe->cnonce_fixed)
		memset(n->nr, pe->cnonce_byte, 32);
	else
		ike_random(n->nr, 32);
	n->nrlen = 32;
	memset(&sa, 0, sizeof(sa));
	sa.nprops = 1;
	sa.prop[0] = (struct ike2_sa_prop){ got.prop[0].num, IKE2_PROTO_IKE,
	    IKE2_SPI_LEN, { 0 }, 1, 0, 4 };
	memcpy(sa.prop[0].spi, n->spir, IKE2_SPI_LEN);
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 12, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_PRF, 5, 0, 1, NULL, 0 };
	sa.xf[2] = (struct ike2_sa_xf){ IKE2_T_INTEG, 12, 0, 1, NULL, 0 };
	sa.xf[3] = (struct ike2_sa_xf){ IKE2_T_DH, (uint16_t)want, 0, 1, NULL,
	    0 };
	sa.nxf = 4;
	ike2_wr_sa(&wr, &sa);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, n->nr, n->nrlen);
	ke.group = (uint16_t)want;
	ke.data = ike_dh_pub(dh);
	ke.len = ike_dh_publen(want);
	ike2_wr_ke(&wr, &ke);
	len = body_of(&wr, body, sizeof(body), &np);
	if (ike2_kdf_rekey(pe->suite.prf, pe->keys.d, pe->keys.prflen,
	    &n->suite, gir, ike_dh_secretlen(want), n->ni, sizeof(n->ni),
	    n->nr, n->nrlen, n->spii, n->spir, &n->keys) == 0)
		rc = 0;
	n->msgid = 0;
	ike2_peer_answer(pe, msgid, np, body, len, 0);
done:
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(dh);
	return rc;
}

size_t
ike2_peer_child_answer_body(struct ike2_peer *pe, uint32_t spi, uint8_t *out,
    size_t max, uint8_t *np)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sa_pl sa;
	struct ike2_ts_pl tsi, tsr;

	child_nonce(pe);
	memset(&h, 0, sizeof(h));
	ike2_wr_init(&wr, &h);
	esp_offer(&sa, spi, 0);
	ike2_wr_sa(&wr, &sa);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, pe->cni, sizeof(pe->cni));
	/* the engine initiated: TSi its side */
	acl_ts(&tsr, &tsi);
	ike2_wr_ts(&wr, IKE2_PL_TSI, &tsi);
	ike2_wr_ts(&wr, IKE2_PL_TSR, &tsr);
	return body_of(&wr, out, max, np);
}
