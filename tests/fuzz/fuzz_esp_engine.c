/*
 * libFuzzer: the userspace engine's packet paths (esp/io.c, engine.c,
 * xform.c) on an engine without TUN device or sockets (esp_engine_new):
 * inbound, the SPI lookup, decapsulation and the delivery towards the TUN
 * device with the TCP and UDP trains the offloads coalesce; outbound, the
 * virtio header, the SPD, the policy's SA, encapsulation and the send
 * batches.  Before each input every SA and policy below is installed
 * afresh through the backend ops (add_sa, add_policy, set_replay), one
 * pair of SAs per transform the engine has:
 *
 *   SA  transform                    mode       ESN  outer     remote
 *   0   esp-aes 128 esp-sha-hmac     tunnel     -    raw ESP   .0/27
 *   1   esp-aes 256 esp-sha256-hmac  tunnel     yes  UDP 4500  .32/27
 *   2   esp-gcm 128                  tunnel     -    raw ESP   .64/27, UDP
 *   3   esp-gcm 256                  tunnel     yes  UDP 4500  .96/27
 *   4   esp-3des esp-md5-hmac        tunnel     -    raw ESP   .128/27
 *   5   esp-aes 192 esp-sha384-hmac  transport  -    raw ESP   10.0.0.20
 *   6   esp-aes 256 esp-sha512-hmac  tunnel     yes  raw ESP   .160/27
 *   7   esp-aes 128 esp-sha-hmac     tunnel     -    raw ESP   172.21.93.1
 *
 * The remote networks are in 172.21.91.0/24 (the local one is
 * 192.168.20.0/24); SA 7 is a host pair inside policy 8's 172.21.93.0/24
 * (the engine's narrower-SA path).  SA 1 starts near 2^32 both ways (the
 * ESN high half moves), SA 0 syncs its counters every 2 packets, SA 4 has
 * a 4,000-byte lifetime.  Policy 50 bypasses 172.21.91.31, policy 60
 * (172.21.92.0/24) has no SA: acquire.
 *
 * Input: records, each a kind byte, a 16-bit length (cut to what is left)
 * and a body.  kind & 7:
 *
 *   0  an IPv4 datagram as the raw ESP socket reads it
 *   1  a datagram as UDP port 4500 reads it: body[0..1] the UDP GRO
 *	segment size (0: none), then the bytes
 *   2  an ESP packet sealed here for inbound SA body[0] (modulo the SAs)
 *	with sequence number body[2..9] (64 bits); body[1] bit 0: over UDP
 *	(else raw ESP in an IPv4 header), bit 1: the rest is the whole
 *	plaintext, trailer included (cut to whole blocks), else an inner
 *	packet that esp_encap() pads
 *   3  a packet read from the TUN device (without offloads)
 *   4  a read with IFF_VNET_HDR: a 10-byte virtio_net_hdr, then a packet
 *   5  the outbound mode: body[0] % 3 (send, hold, drop)
 *   6  body[0] bit 0: the TUN device refuses writes from now on (full)
 *
 * kind & 0x80: the batch goes on (a receive batch keeps its slots and its
 * TCP train, a TUN batch its queue); else it ends after this record.
 *
 * Nothing may crash, and what the engine promises must hold:
 *   - its counters and every SA's only move up;
 *   - whatever it writes to the TUN device is a whole IPv4 packet that
 *     the selectors of one of its inbound SAs admit, and it counts in
 *     tun_out exactly the packets written (a super-packet's segments),
 *     none whose write failed;
 *   - an inner packet sealed here, alone in its batch and accepted,
 *     comes out as it went in (cut at its total length);
 *   - every ESP packet it queues to send lies inside its slot and opens,
 *     with the peer's keys, to the packet read from the TUN device;
 *   - what it hands to IKE lies inside the slot and starts with the
 *     non-ESP marker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>

#include <sys/socket.h>

#include <linux/virtio_net.h>

#include <openssl/evp.h>

#include "lib/lib.h"
#include "esp/engine.h"

/* Linux 6.2 (USO), as in esp/io.c */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NSA		8
#define SA_TRANSPORT	5
#define SCRATCH		(ESP_PKT_OFF + 65536 + ESP_TAILROOM)

struct spec {
	enum alg_esp_enc enc;
	int		 bits;
	enum alg_esp_auth auth;
	int		 tunnel;
	int		 esn;
	int		 udp;
	const char	*remote;	/* the remote network, or host */
	int		 rlen;
	const char	*local;
	int		 llen;
	uint8_t		 proto;		/* selector protocol, 0: any */
};

static const struct spec specs[NSA] = {
	{ ALG_ESP_AES, 128, ALG_ESP_AUTH_SHA1, 1, 0, 0,
	    "172.21.91.0", 27, "192.168.20.0", 24, 0 },
	{ ALG_ESP_AES, 256, ALG_ESP_AUTH_SHA256, 1, 1, 1,
	    "172.21.91.32", 27, "192.168.20.0", 24, 0 },
	{ ALG_ESP_GCM, 128, ALG_ESP_AUTH_NONE, 1, 0, 0,
	    "172.21.91.64", 27, "192.168.20.0", 24, 17 },
	{ ALG_ESP_GCM, 256, ALG_ESP_AUTH_NONE, 1, 1, 1,
	    "172.21.91.96", 27, "192.168.20.0", 24, 0 },
	{ ALG_ESP_3DES, 192, ALG_ESP_AUTH_MD5, 1, 0, 0,
	    "172.21.91.128", 27, "192.168.20.0", 24, 0 },
	{ ALG_ESP_AES, 192, ALG_ESP_AUTH_SHA384, 0, 0, 0,
	    "10.0.0.20", 32, "10.0.0.11", 32, 0 },
	{ ALG_ESP_AES, 256, ALG_ESP_AUTH_SHA512, 1, 1, 0,
	    "172.21.91.160", 27, "192.168.20.0", 24, 0 },
	{ ALG_ESP_AES, 128, ALG_ESP_AUTH_SHA1, 1, 0, 0,
	    "172.21.93.1", 32, "192.168.20.1", 32, 0 },
};

static struct esp_engine *e;
static struct esp_backend *be;
static int		 tun_peer;	/* the other end of the "TUN device" */
static int		 tun_fd, tun_full;	/* ours; /dev/full */
static struct esp_sa	 sa_in[NSA], sa_out[NSA];
/* the peer's side of each SA: seal what SA i takes, open what it sends */
static struct esp_sactx	*seal_ctx[NSA], *open_ctx[NSA];
static struct esp_selector in_sel[NSA];
static struct esp_slot	*ike_slot;	/* the slot handed over */
static uint8_t		 scratch[SCRATCH], copy[ESP_GSO_SEGS][ESP_BUFSZ];
static size_t		 copylen[ESP_GSO_SEGS];

static void
sel_set(struct esp_selector *s, const char *src, int slen, const char *dst,
    int dlen, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	addr_parse(src, &s->src);
	s->src_mask = addr_mask_from_len(slen);
	addr_parse(dst, &s->dst);
	s->dst_mask = addr_mask_from_len(dlen);
	s->src.s_addr &= s->src_mask.s_addr;
	s->dst.s_addr &= s->dst_mask.s_addr;
	s->proto = proto;
}

static void
sa_make(int i, enum esp_dir dir, struct esp_sa *sa)
{
	const struct spec *sp = &specs[i];
	const struct alg_hmac *ah = alg_esp_auth(sp->auth);

	memset(sa, 0, sizeof(*sa));
	sa->conn_id = (dir == ESP_IN ? 100 : 200) + (uint32_t)i;
	sa->spi = (dir == ESP_IN ? 0x1000 : 0x2000) + (uint32_t)i;
	sa->dir = dir;
	sa->reqid = (uint32_t)i + 1;
	addr_parse("10.0.0.11", &sa->local);
	addr_parse("10.0.0.20", &sa->remote);
	if (sp->udp)
		sa->local_port = sa->remote_port = 4500;
	sa->tunnel = sp->tunnel;
	sa->enc = sp->enc;
	sa->enc_keybits = sp->bits;
	sa->auth = sp->auth;
	sa->enc_key_len = (size_t)sp->bits / 8 +
	    (sp->enc == ALG_ESP_GCM ? 4 : 0);
	for (size_t k = 0; k < sa->enc_key_len; k++)
		sa->enc_key[k] = (uint8_t)(k * 7 + (size_t)i * 31 + dir);
	if (ah != NULL) {
		sa->auth_key_len = ah->len;
		for (size_t k = 0; k < ah->len; k++)
			sa->auth_key[k] = (uint8_t)(k * 13 + (size_t)i + dir);
	}
	sa->esn = sp->esn;
	sa->replay_window = 64 << (i % 4);
	if (dir == ESP_OUT)
		sel_set(&sa->sel, sp->local, sp->llen, sp->remote, sp->rlen,
		    sp->proto);
	else
		sel_set(&sa->sel, sp->remote, sp->rlen, sp->local, sp->llen,
		    sp->proto);
	if (i == 0)
		sa->sync_interval = 2;
	if (i == 4)
		sa->hard_bytes = 4000;
}

static void
listen_acquire(void *arg, uint32_t reqid, const struct esp_selector *f)
{
	(void)arg;
	/* a flow, of a PROTECT policy without an SA that takes it */
	if ((reqid != 60 && reqid != 8) || f->src_mask.s_addr != 0xffffffff ||
	    f->dst_mask.s_addr != 0xffffffff)
		abort();
}

static void
listen_counter(void *arg, uint32_t conn_id)
{
	(void)arg;
	if (conn_id != 100 && conn_id != 200)
		abort();
}

static void
ike_input(void *arg, const uint8_t *p, size_t len,
    const struct sockaddr_in *peer, const struct sockaddr_in *local)
{
	(void)arg;
	(void)peer;
	(void)local;
	if (p < ike_slot->buf || p + len > ike_slot->buf + ike_slot->cap ||
	    len < 4 || p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 0)
		abort();
}

static void
setup(void)
{
	struct esp_userspace_opts o;
	struct esp_listener l;
	int		 sv[2];
	FILE		*devnull = fopen("/dev/null", "w");

	log_init("fuzz_esp_engine", 1, 0);
	if (getenv("ESP_TRACE") == NULL)
		log_set_stream(devnull);
	else
		log_set_debug(LOG_ESP, 1);
	memset(&o, 0, sizeof(o));
	o.no_routing = 1;
	if ((e = esp_engine_new(NULL, &o)) == NULL)
		abort();
	be = &e->be;
	/* what the engine writes to the TUN device is read back here */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	e->tun_fd = tun_fd = sv[0];
	tun_peer = sv[1];
	if ((tun_full = open("/dev/full", O_WRONLY)) == -1)
		abort();
	/* sendmmsg fails on them (not sockets): nothing leaves the host */
	e->raw_fd = open("/dev/null", O_WRONLY);
	e->udp_fd = open("/dev/null", O_WRONLY);
	e->ike_fn = ike_input;
	memset(&l, 0, sizeof(l));
	l.acquire = listen_acquire;
	l.counter_update = listen_counter;
	if (esp_add_listener(be, &l) == -1)
		abort();
	for (int i = 0; i < NSA; i++) {
		struct esp_sa	 s;

		sa_make(i, ESP_IN, &sa_in[i]);
		sa_make(i, ESP_OUT, &sa_out[i]);
		in_sel[i] = sa_in[i].sel;
		/* the peer seals with the keys of our inbound SA ... */
		s = sa_in[i];
		s.dir = ESP_OUT;
		seal_ctx[i] = esp_sactx_new(&s);
		/* ... and opens with those of our outbound SA */
		s = sa_out[i];
		s.dir = ESP_IN;
		s.local = sa_out[i].remote;
		s.remote = sa_out[i].local;
		s.replay_window = 1024;
		open_ctx[i] = esp_sactx_new(&s);
		if (seal_ctx[i] == NULL || open_ctx[i] == NULL)
			abort();
	}
}

static void
policy_add(uint32_t id, uint32_t reqid, uint32_t prio,
    enum esp_policy_action act, const char *src, int slen, const char *dst,
    int dlen, uint8_t proto)
{
	struct esp_policy p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.reqid = reqid;
	p.priority = prio;
	p.action = act;
	sel_set(&p.sel, src, slen, dst, dlen, proto);
	if (be->ops->add_policy(be, &p) == -1)
		abort();
}

/* Every SA and policy afresh: each input starts from the same state. */
static void
install(void)
{
	struct esp_replay_state r;

	for (uint32_t id = 1; id <= 100; id++)
		(void)be->ops->del_policy(be, id);
	for (int i = 0; i < NSA; i++) {
		(void)be->ops->del_sa(be, sa_in[i].conn_id);
		(void)be->ops->del_sa(be, sa_out[i].conn_id);
	}
	for (int i = 0; i < NSA; i++)
		if (be->ops->add_sa(be, &sa_in[i]) == -1 ||
		    be->ops->add_sa(be, &sa_out[i]) == -1)
			abort();
	for (int i = 0; i < NSA - 1; i++) {
		const struct spec *sp = &specs[i];

		policy_add((uint32_t)i + 1, (uint32_t)i + 1, 10 + (uint32_t)i,
		    ESP_POLICY_PROTECT, sp->local, sp->llen, sp->remote,
		    sp->rlen, sp->proto);
	}
	/* SA 7 is a host pair inside policy 8 */
	policy_add(8, 8, 20, ESP_POLICY_PROTECT, "192.168.20.0", 24,
	    "172.21.93.0", 24, 0);
	policy_add(50, 50, 1, ESP_POLICY_BYPASS, "192.168.20.0", 24,
	    "172.21.91.31", 32, 0);
	policy_add(60, 60, 30, ESP_POLICY_PROTECT, "192.168.20.0", 24,
	    "172.21.92.0", 24, 0);
	/* SA 1 near the end of the low half, both ways */
	memset(&r, 0, sizeof(r));
	r.seq_out = 0xfffffff0U;
	if (be->ops->set_replay(be, sa_out[1].conn_id, &r) == -1)
		abort();
	r.seq_out = 0;
	r.top = 0xffffff00U;
	r.window = (uint32_t)sa_in[1].replay_window;
	if (be->ops->set_replay(be, sa_in[1].conn_id, &r) == -1)
		abort();
	if (be->ops->set_outbound(be, ESP_OUTBOUND_SEND) == -1)
		abort();
	e->tun_fd = tun_fd;
	for (int i = 0; i < NSA; i++)
		esp_replay_init(&open_ctx[i]->replay, 1024);
	/* the peer's window where SA 1's numbers start (an HA takeover) */
	open_ctx[1]->replay.top = 0xfffffff0U;
}

/* ---- the counters only move up ------------------------------------------ */

struct counters {
	struct esp_engine_stats eng;
	struct esp_sa_stats sa[2 * NSA];
};

static void
counters_get(struct counters *c)
{
	memset(c, 0, sizeof(*c));
	(void)be->ops->get_stats(be, &c->eng);
	for (int i = 0; i < NSA; i++) {
		(void)be->ops->query_sa(be, sa_in[i].conn_id, &c->sa[i]);
		(void)be->ops->query_sa(be, sa_out[i].conn_id,
		    &c->sa[NSA + i]);
	}
}

/* Both structs hold only uint64_t counters (and two times). */
static void
counters_check(const struct counters *a, const struct counters *b)
{
	const uint64_t	*x = (const uint64_t *)&a->eng;
	const uint64_t	*y = (const uint64_t *)&b->eng;

	for (size_t k = 0; k < sizeof(a->eng) / sizeof(*x); k++)
		if (y[k] < x[k])
			abort();
	for (int i = 0; i < 2 * NSA; i++) {
		x = (const uint64_t *)&a->sa[i];
		y = (const uint64_t *)&b->sa[i];
		for (size_t k = 0; k < sizeof(a->sa[i]) / sizeof(*x); k++)
			if (y[k] < x[k])
				abort();
	}
}

/* ---- what reaches the TUN device ---------------------------------------- */

/* One inbound SA admits the flow of this IPv4 packet. */
static void
check_admitted(const uint8_t *p, size_t len)
{
	struct esp_flow	 f;

	if (esp_flow_parse(p, len, &f) == -1 || be16_get(p + 2) != len)
		abort();
	for (int i = 0; i < NSA; i++)
		if (esp_selector_match(&in_sel[i], &f))
			return;
	abort();
}

/*
 * Read back what the engine wrote since the last drain and check each
 * packet; the number of packets (a super-packet's segments counted) and,
 * when it was one whole packet, its bytes.
 */
static uint64_t
drain(uint8_t *one, size_t *onelen)
{
	static uint8_t	 d[ESP_VNET_HDR + 65536];
	struct virtio_net_hdr vh;
	uint64_t	 n = 0;
	ssize_t		 r;

	*onelen = 0;
	while ((r = recv(tun_peer, d, sizeof(d), 0)) > 0) {
		const uint8_t	*p = d + ESP_VNET_HDR;
		size_t		 len = (size_t)r - ESP_VNET_HDR, pl;

		if ((size_t)r < ESP_VNET_HDR + IP4_HDR_LEN)
			abort();
		memcpy(&vh, d, sizeof(vh));
		check_admitted(p, len);
		if (vh.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
			if (vh.flags != 0 || vh.gso_size != 0)
				abort();
			if (n++ == 0 && len <= ESP_BUFSZ) {
				memcpy(one, p, len);
				*onelen = len;
			}
			continue;
		}
		/* a train: whole segments of gso_size after the headers */
		if ((vh.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 &&
		    vh.gso_type != VIRTIO_NET_HDR_GSO_UDP_L4) ||
		    vh.gso_size == 0 || vh.hdr_len >= len ||
		    vh.csum_start != IP4_HDR_LEN ||
		    !(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			abort();
		pl = len - vh.hdr_len;
		if (pl <= vh.gso_size)
			abort();	/* a train has two segments or more */
		n += (pl + vh.gso_size - 1) / vh.gso_size;
	}
	if (n > 1)
		*onelen = 0;
	return n;
}

/* ---- sealing as the peer ------------------------------------------------ */

/*
 * The ESP packet that the peer would send on inbound SA i for plaintext
 * pt (n bytes, whole blocks, trailer included), sequence number seq, at
 * out; its length.  As esp_encap() builds it, without the padding.
 */
static size_t
seal_raw(int i, uint8_t *out, const uint8_t *pt, size_t n, uint64_t seq)
{
	struct esp_sactx *c = seal_ctx[i];
	struct esp_xform *x = &c->x;
	uint8_t		*iv = out + ESP_HDR_LEN, *ct = iv + x->iv_len;
	uint8_t		 nonce[12], aad[12], hi[4], md[EVP_MAX_MD_SIZE];
	size_t		 aadlen = 8, mdlen;
	int		 l;

	be32_put(out, c->sa.spi);
	be32_put(out + 4, (uint32_t)seq);
	memset(iv, 0, x->iv_len);
	be32_put(iv, (uint32_t)(seq >> 32));
	be32_put(iv + 4, (uint32_t)seq);
	memcpy(ct, pt, n);
	be32_put(hi, (uint32_t)(seq >> 32));
	if (x->aead) {
		memcpy(nonce, x->salt, 4);
		memcpy(nonce + 4, iv, 8);
		memcpy(aad, out, 4);
		if (c->sa.esn) {
			memcpy(aad + 4, hi, 4);
			memcpy(aad + 8, out + 4, 4);
			aadlen = 12;
		} else
			memcpy(aad + 4, out + 4, 4);
		if (EVP_CipherInit_ex(x->cipher, NULL, NULL, NULL, nonce,
		    -1) != 1 ||
		    EVP_CipherUpdate(x->cipher, NULL, &l, aad, (int)aadlen) != 1 ||
		    EVP_CipherUpdate(x->cipher, ct, &l, ct, (int)n) != 1 ||
		    EVP_CipherFinal_ex(x->cipher, ct + n, &l) != 1 ||
		    EVP_CIPHER_CTX_ctrl(x->cipher, EVP_CTRL_GCM_GET_TAG,
		    (int)x->icv_len, ct + n) != 1)
			abort();
	} else {
		if (EVP_CipherInit_ex(x->cipher, NULL, NULL, NULL, iv,
		    -1) != 1 ||
		    EVP_CipherUpdate(x->cipher, ct, &l, ct, (int)n) != 1 ||
		    EVP_MAC_init(x->mac, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(x->mac, out, ESP_HDR_LEN + x->iv_len + n) !=
		    1 ||
		    (c->sa.esn && EVP_MAC_update(x->mac, hi, 4) != 1) ||
		    EVP_MAC_final(x->mac, md, &mdlen, sizeof(md)) != 1)
			abort();
		memcpy(ct + n, md, x->icv_len);
	}
	return ESP_HDR_LEN + x->iv_len + n + x->icv_len;
}

/*
 * Record kind 2 into slot s: the datagram as a socket would read it, at
 * ESP_PKT_OFF; its length, 0 if esp_encap() refused the inner packet.
 * expect, explen: the inner packet the engine should deliver (tunnel).
 */
static size_t
seal(struct esp_slot *s, const uint8_t *b, size_t n, int *udp,
    const uint8_t **expect, size_t *explen)
{
	static const uint8_t iv[ESP_MAX_IV];
	struct esp_sactx *c;
	uint8_t		*out = s->buf + ESP_PKT_OFF;
	uint64_t	 seq;
	size_t		 off, len, hl;
	int		 i, whole;

	*expect = NULL;
	*explen = 0;
	if (n < 10)
		return 0;
	i = b[0] % NSA;
	c = seal_ctx[i];
	*udp = b[1] & 1;
	whole = b[1] & 2;
	seq = (uint64_t)be32_get(b + 2) << 32 | be32_get(b + 6);
	if (!c->sa.esn)
		seq &= 0xffffffffU;
	b += 10;
	n -= 10;
	if (n > 4096)
		n = 4096;
	hl = *udp ? 0 : IP4_HDR_LEN;
	if (whole) {
		n -= n % c->x.block;
		len = seal_raw(i, out + hl, b, n, seq);
	} else {
		off = ESP_HEADROOM;
		len = n;
		memcpy(scratch + off, b, n);
		c->seq.out = seq - 1;
		c->seq.limit = UINT64_MAX;
		if (esp_encap(c, scratch, &off, &len, iv) != ESP_V_OK)
			return 0;
		memcpy(out + hl, scratch + off, len);
		if (c->sa.tunnel && n >= IP4_HDR_LEN &&
		    be16_get(b + 2) <= n) {
			*expect = b;
			*explen = be16_get(b + 2);
		}
	}
	if (!*udp) {
		memset(out, 0, IP4_HDR_LEN);
		out[IP4_OFF_VHL] = IP4_VHL_PLAIN;
		be16_put(out + IP4_OFF_LEN, (uint16_t)(len + IP4_HDR_LEN));
		out[IP4_OFF_TTL] = 64;
		out[IP4_OFF_PROTO] = IPPROTO_ESP;
		memcpy(out + IP4_OFF_SRC, &c->sa.local, 4);
		memcpy(out + IP4_OFF_DST, &c->sa.remote, 4);
		len += IP4_HDR_LEN;
	}
	return len;
}

/* ---- the outbound oracle ------------------------------------------------ */

static int
sa_index(const struct esp_sa_rt *rt)
{
	for (int i = 0; i < NSA; i++)
		if (rt->c->sa.conn_id == sa_out[i].conn_id)
			return i;
	abort();
}

/* Slot k was queued by this record: inside its slot, and it opens. */
static void
check_sent(int k, int first)
{
	struct esp_slot	*s = &e->tx[k];
	const uint8_t	*orig = copy[k - first];
	size_t		 olen = copylen[k - first], off = ESP_PKT_OFF, len;
	struct buf	 b, pl;
	struct ip4_hdr	 ip;
	uint8_t		 nh;
	int		 i;

	if (s->off > s->cap || s->len > s->cap - s->off || s->sa == NULL)
		abort();
	i = sa_index(s->sa);
	len = s->len;
	memcpy(scratch + off, s->buf + s->off, len);
	if (esp_decap(open_ctx[i], scratch, &off, &len, &nh) != ESP_V_OK)
		abort();
	buf_init(&b, orig, olen);
	if (ip4_parse(&b, &ip, &pl) != IP4_OK)
		abort();
	if (specs[i].tunnel) {
		if (nh != 4 || len != ip.totlen || memcmp(scratch + off, orig,
		    len) != 0)
			abort();
	} else if (nh != ip.proto || len != olen - ip.hlen ||
	    memcmp(scratch + off, orig + ip.hlen, len) != 0)
		abort();
}

/* ---- one input ---------------------------------------------------------- */

struct run {
	struct esp_txq	 q;
	int		 ntx;		/* tx slots used by the TUN batch */
	int		 nrx;		/* rx slots used by the receive batch */
	uint64_t	 delivered;	/* packets read back */
	struct counters	 before;
};

static void
rx_end(struct run *r)
{
	if (r->nrx == 0)
		return;
	esp_io_rx_flush(e);
	r->nrx = 0;
}

static void
tx_end(struct run *r)
{
	if (r->ntx == 0)
		return;
	esp_io_tun_send(e, &r->q);
	r->ntx = 0;
}

static void
record(struct run *r, uint8_t kind, const uint8_t *b, size_t n)
{
	static uint8_t	 one[ESP_BUFSZ];
	const uint8_t	*expect = NULL;
	size_t		 explen = 0, onelen, len;
	struct esp_slot	*s;
	struct esp_sa_stats st;
	int		 udp = 0, alone, first, segs, nudp, nraw;
	uint64_t	 got, pk = 0;

	switch (kind & 7) {
	case 0:
	case 1:
	case 2:
		tx_end(r);
		if (r->nrx == ESP_BATCH)
			rx_end(r);
		alone = e->gro_n == 0 && !(kind & 0x80) && e->tun_fd == tun_fd;
		s = ike_slot = &e->rx[r->nrx++];
		if ((kind & 7) == 2) {
			if ((len = seal(s, b, n, &udp, &expect,
			    &explen)) != 0) {
				(void)be->ops->query_sa(be,
				    sa_in[b[0] % NSA].conn_id, &st);
				pk = st.packets;
				if (udp)
					esp_io_udp_input(e, s, len, 0);
				else
					esp_io_raw_input(e, s, len);
			}
		} else if ((kind & 7) == 0) {
			len = n < 65536 ? n : 65536;
			memcpy(s->buf + ESP_PKT_OFF, b, len);
			esp_io_raw_input(e, s, len);
		} else if (n >= 2) {
			len = n - 2 < 65536 ? n - 2 : 65536;
			memcpy(s->buf + ESP_PKT_OFF, b + 2, len);
			esp_io_udp_input(e, s, len, be16_get(b));
		}
		if (!(kind & 0x80))
			rx_end(r);
		got = drain(one, &onelen);
		r->delivered += got;
		/* alone and accepted: delivered as it was sealed */
		if (expect != NULL && alone) {
			(void)be->ops->query_sa(be,
			    sa_in[b[0] % NSA].conn_id, &st);
			if (st.packets == pk + 1 && (got != 1 ||
			    onelen != explen ||
			    memcmp(one, expect, explen) != 0))
				abort();
		}
		break;
	case 3:
	case 4:
		rx_end(r);
		r->delivered += drain(one, &onelen);
		if (r->ntx + ESP_GSO_SEGS > ESP_TX_SLOTS ||
		    r->ntx >= ESP_BATCH)
			tx_end(r);
		first = r->ntx;
		if ((kind & 7) == 3) {
			s = &e->tx[first];
			len = n < s->cap - ESP_PKT_OFF - ESP_TAILROOM ? n :
			    s->cap - ESP_PKT_OFF - ESP_TAILROOM;
			memcpy(s->buf + ESP_PKT_OFF, b, len);
			s->off = ESP_PKT_OFF;
			s->len = len;
			segs = 1;
		} else {
			len = n < ESP_GSOBUF ? n : ESP_GSOBUF;
			memcpy(e->gsobuf, b, len);
			if ((segs = esp_io_tun_vnet(e, first, len)) <= 0)
				segs = 0;
		}
		for (int k = 0; k < segs; k++) {
			s = &e->tx[first + k];
			if (s->off != ESP_PKT_OFF || s->len > ESP_BUFSZ -
			    ESP_PKT_OFF - ESP_TAILROOM)
				abort();
			memcpy(copy[k], s->buf + s->off, s->len);
			copylen[k] = s->len;
		}
		nudp = r->q.nudp;
		nraw = r->q.nraw;
		esp_io_tun_packets(e, first, segs, &r->q);
		for (int k = nudp; k < r->q.nudp; k++)
			check_sent(r->q.udp[k], first);
		for (int k = nraw; k < r->q.nraw; k++)
			check_sent(r->q.raw[k], first);
		r->ntx += segs;
		if (!(kind & 0x80))
			tx_end(r);
		break;
	case 5:
		if (n >= 1 && be->ops->set_outbound(be,
		    (enum esp_outbound)(b[0] % 3)) == -1)
			abort();
		break;
	case 6:
		if (n >= 1)
			e->tun_fd = b[0] & 1 ? tun_full : tun_fd;
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t	 now = 1000000;
	struct run	 r;
	struct counters	 c0, c1;
	uint64_t	 out0;
	size_t		 off = 0, onelen;

	if (e == NULL)
		setup();
	install();
	memset(&r, 0, sizeof(r));
	e->now_ms = now += 1000;
	counters_get(&c0);
	out0 = c0.eng.tun_out;
	while (size - off >= 3) {
		uint8_t	 kind = data[off];
		size_t	 n = be16_get(data + off + 1);

		off += 3;
		n %= size - off + 1;
		counters_get(&r.before);
		record(&r, kind, data + off, n);
		counters_get(&c1);
		counters_check(&r.before, &c1);
		off += n;
	}
	rx_end(&r);
	tx_end(&r);
	r.delivered += drain(scratch, &onelen);
	counters_get(&c1);
	counters_check(&c0, &c1);
	/* every packet counted as written was read back, and no other */
	if (c1.eng.tun_out - out0 != r.delivered)
		abort();
	return 0;
}
