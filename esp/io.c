/*
 * The userspace engine's packet loops.
 *
 *   TUN readable	read up to ESP_BATCH packets (with offloads: super-
 *			packets, cut into segments), for each: SPD lookup,
 *			SA, encapsulate; then one sendmmsg per socket
 *   UDP 4500 readable	recvmmsg a batch; RFC 3948 2.2: a first word of
 *			zero is the non-ESP marker (IKE, handed over), a
 *			single 0xff byte a NAT-keepalive (dropped), anything
 *			else ESP
 *   raw ESP readable	recvmmsg a batch of IPv4 datagrams of protocol 50
 *
 * Inbound ESP: SA by SPI, esp_decap() (replay, ICV, decrypt, window), then
 * the inner packet against the SA's selectors, then the TUN device.
 * Nothing is allocated per packet: the slots are the engine's.  Each
 * callback only reads; what it read goes through esp_io_udp_input(),
 * esp_io_raw_input() or esp_io_tun_packets() (engine.h), which the
 * engine fuzzer calls with its own bytes.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <linux/virtio_net.h>

/* Linux 6.2 (USO); Debian 12's headers are older than the kernels */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4	5
#endif
#include <sys/socket.h>

#include <openssl/rand.h>

#include "lib/lib.h"
#include "esp/engine.h"

static void
ratelimited(struct esp_engine *e, struct log_ratelimit *rl, const char *what,
    uint32_t spi, const char *why)
{
	uint64_t	 supp;

	if (!log_ratelimit_ok(rl, e->now_ms, 5000, &supp))
		return;
	log_warnx(LOG_ESP, "%s spi 0x%08x: %s (%llu more suppressed)", what,
	    spi, why, (unsigned long long)supp);
}

/*
 * debug crypto ipsec: a dropped packet and why, at most one line a second
 * (the rest counted in the next line); nothing unless debugging.
 */
static void
drop_trace(struct esp_engine *e, const char *dir, uint32_t spi,
    const char *why)
{
	uint64_t	 supp;

	if (!log_debug_enabled(LOG_ESP) ||
	    !log_ratelimit_ok(&e->rl_trace, e->now_ms, 1000, &supp))
		return;
	log_debug(LOG_ESP, "IPSEC(drop): %s spi 0x%08X: %s (%llu more "
	    "drops not traced)", dir, spi, why, (unsigned long long)supp);
}

/* ---- outbound ----------------------------------------------------------- */

/* 0: the slot holds an ESP packet for slot->sa; -1: dropped, counted. */
static int
outbound(struct esp_engine *e, struct esp_slot *s, const uint8_t *iv)
{
	struct esp_flow	 f;
	struct esp_pol	*p;
	struct esp_sa_rt *sa;
	enum esp_verdict v;

	if (esp_flow_parse(s->buf + s->off, s->len, &f) == -1) {
		e->st.malformed++;
		return -1;
	}
	if ((p = esp_engine_spd_lookup(e, &f)) == NULL) {
		e->st.no_policy++;
		drop_trace(e, "outbound", 0, "no policy matches");
		return -1;
	}
	p->hits++;
	if (p->p.action == ESP_POLICY_BYPASS) {
		e->st.bypass_in_tun++;
		drop_trace(e, "outbound", 0, "a deny (bypass) entry matched "
		    "in the data plane");
		return -1;
	}
	if ((sa = esp_engine_out(e, p, &f)) == NULL) {
		esp_engine_acquire(e, p, &f);
		drop_trace(e, "outbound", 0, "no SA yet (acquire)");
		return -1;
	}
	if (sa->c->sa.hard_bytes != 0 &&
	    sa->c->st.bytes >= sa->c->sa.hard_bytes) {
		sa->c->st.send_errors++;
		drop_trace(e, "outbound", sa->c->sa.spi, "kilobyte lifetime "
		    "used up");
		return -1;
	}
	v = esp_encap(sa->c, s->buf, &s->off, &s->len, iv);
	if (v != ESP_V_OK) {
		ratelimited(e, &e->rl_send, "outbound", sa->c->sa.spi,
		    esp_verdict_name(v));
		drop_trace(e, "outbound", sa->c->sa.spi, esp_verdict_name(v));
		return -1;
	}
	p->packets++;
	sa->c->st.last_used_ms = e->now_ms;
	s->sa = sa;
	esp_engine_sa_used(e, sa);
	return 0;
}

/*
 * One datagram of the batch: slots idx[first .. first + n) for the same
 * peer and source.  With n > 1 they go out as one UDP GSO super-datagram
 * (UDP_SEGMENT = the first's length; all equal but the last, which may be
 * shorter), which the kernel cuts into n ESP packets after routing: one
 * pass through the stack for the group.
 */
static void
msg_for(struct esp_engine *e, int m, int *idx, int first, int n)
{
	struct esp_slot	*s = &e->tx[idx[first]];
	struct msghdr	*mh = &e->mm[m].msg_hdr;
	struct cmsghdr	*cm;
	const struct esp_sa *sa = &s->sa->c->sa;
	size_t		 clen = 0;

	memset(&s->peer, 0, sizeof(s->peer));
	s->peer.sin_family = AF_INET;
	s->peer.sin_addr = sa->remote;
	s->peer.sin_port = htons(sa->remote_port);
	for (int i = 0; i < n; i++) {
		struct esp_slot *x = &e->tx[idx[first + i]];

		e->iov[first + i].iov_base = x->buf + x->off;
		e->iov[first + i].iov_len = x->len;
	}
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &s->peer;
	mh->msg_namelen = sizeof(s->peer);
	mh->msg_iov = &e->iov[first];
	mh->msg_iovlen = (size_t)n;
	mh->msg_control = s->cmsg.c;
	mh->msg_controllen = sizeof(s->cmsg.c);
	cm = CMSG_FIRSTHDR(mh);
	/* the outer source: the address the crypto map is bound to */
	if (sa->local.s_addr != INADDR_ANY) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = sa->local;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		clen += CMSG_SPACE(sizeof(pi));
		cm = (struct cmsghdr *)((char *)cm + CMSG_SPACE(sizeof(pi)));
	}
	if (n > 1) {
		uint16_t gso = (uint16_t)s->len;

		cm->cmsg_level = IPPROTO_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(gso));
		memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
		clen += CMSG_SPACE(sizeof(gso));
	}
	mh->msg_controllen = clen;
	if (clen == 0)
		mh->msg_control = NULL;
	e->mm[m].msg_len = 0;
}

static int
same_path(const struct esp_slot *a, const struct esp_slot *b)
{
	const struct esp_sa *x = &a->sa->c->sa, *y = &b->sa->c->sa;

	return x->remote.s_addr == y->remote.s_addr &&
	    x->remote_port == y->remote_port &&
	    x->local.s_addr == y->local.s_addr;
}

/* Send slots idx[0..n) on fd, as few system calls as the kernel allows. */
static void
send_batch(struct esp_engine *e, int fd, int *idx, int n, int gso)
{
	int	 first[ESP_TX_SLOTS], count[ESP_TX_SLOTS], nm = 0, done = 0;

	/* group equal-length packets of one path for UDP GSO */
	for (int i = 0; i < n;) {
		struct esp_slot *s = &e->tx[idx[i]];
		size_t	 total = s->len;
		int	 j = i + 1;

		while (gso && j < n && j - i < ESP_GSO_MAX &&
		    same_path(s, &e->tx[idx[j]]) &&
		    e->tx[idx[j]].len <= s->len &&
		    total + e->tx[idx[j]].len <= ESP_GSO_BYTES) {
			total += e->tx[idx[j]].len;
			/* a shorter one ends the group */
			if (e->tx[idx[j++]].len < s->len)
				break;
		}
		first[nm] = i;
		count[nm] = j - i;
		msg_for(e, nm, idx, i, j - i);
		nm++;
		i = j;
	}
	while (done < nm) {
		int	 r = sendmmsg(fd, &e->mm[done], (unsigned)(nm - done), 0);

		if (r > 0) {
			for (int m = done; m < done + r; m++)
				e->st.esp_out += (uint64_t)count[m];
			done += r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (count[done] > 1 && (errno == EIO || errno == EINVAL ||
		    errno == ENOPROTOOPT)) {
			/* no UDP GSO here: say so once, send singly from now */
			log_warnx(LOG_ESP, "UDP GSO refused (%s): sending "
			    "packets one by one", strerror(errno));
			e->no_gso = 1;
		}
		/* the first one failed: count it, go on with the rest */
		for (int k = 0; k < count[done]; k++)
			e->tx[idx[first[done] + k]].sa->c->st.send_errors++;
		e->st.send_errors += (uint64_t)count[done];
		ratelimited(e, &e->rl_send, "send",
		    e->tx[idx[first[done]]].sa->c->sa.spi, strerror(errno));
		done++;
	}
}

int
esp_io_tun_vnet(struct esp_engine *e, int first, size_t r)
{
	uint8_t		*outs[ESP_GSO_SEGS];
	size_t		 lens[ESP_GSO_SEGS];
	struct esp_vnet	 h;
	struct virtio_net_hdr vh;
	int		 segs;

	if (r < ESP_VNET_HDR) {
		e->st.malformed++;
		return -1;
	}
	memcpy(&vh, e->gsobuf, sizeof(vh));
	memset(&h, 0, sizeof(h));
	h.needs_csum = (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
	h.csum_start = vh.csum_start;
	h.csum_offset = vh.csum_offset;
	h.gso_size = vh.gso_size;
	switch (vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		h.gso_type = ESP_GSO_NONE;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		h.gso_type = ESP_GSO_TCP;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		h.gso_type = ESP_GSO_UDP;
		break;
	default:
		e->st.malformed++;
		return -1;
	}
	for (int i = 0; i < ESP_GSO_SEGS; i++) {
		struct esp_slot	*s = &e->tx[first + i];

		outs[i] = s->buf + ESP_PKT_OFF;
	}
	segs = esp_gso_split(&h, e->gsobuf + ESP_VNET_HDR, r - ESP_VNET_HDR,
	    outs, e->tx[first].cap - ESP_PKT_OFF - ESP_TAILROOM, lens,
	    ESP_GSO_SEGS);
	if (segs <= 0) {
		e->st.malformed++;
		return -1;
	}
	for (int i = 0; i < segs; i++) {
		e->tx[first + i].off = ESP_PKT_OFF;
		e->tx[first + i].len = lens[i];
	}
	return segs;
}

/* One read with IFF_VNET_HDR: as esp_io_tun_vnet(); 0 when none. */
static int
tun_read_vnet(struct esp_engine *e, int first)
{
	ssize_t		 r;

	r = read(e->tun_fd, e->gsobuf, ESP_GSOBUF);
	if (r <= 0) {
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			e->st.tun_errors++;
		return 0;
	}
	return esp_io_tun_vnet(e, first, (size_t)r);
}

void
esp_io_tun_packets(struct esp_engine *e, int first, int n,
    struct esp_txq *q)
{
	e->st.tun_in += (uint64_t)n;
	for (int k = first; k < first + n; k++) {
		struct esp_slot	*s = &e->tx[k];

		if (e->outbound == ESP_OUTBOUND_DROP) {
			/* a standby never sends on the SAs it holds */
			e->st.outbound_dropped++;
			continue;
		}
		if (outbound(e, s, e->ivpool + k * ESP_MAX_IV) == -1)
			continue;	/* dropped, counted */
		if (s->sa->c->sa.remote_port != 0) {
			if (e->udp_fd == -1) {
				s->sa->c->st.send_errors++;
				e->st.send_errors++;
				continue;
			}
			q->udp[q->nudp++] = k;
		} else
			q->raw[q->nraw++] = k;
	}
}

void
esp_io_tun_send(struct esp_engine *e, struct esp_txq *q)
{
	if (q->nudp > 0)
		send_batch(e, e->udp_fd, q->udp, q->nudp, !e->no_gso);
	if (q->nraw > 0)
		send_batch(e, e->raw_fd, q->raw, q->nraw, 0);
	q->nudp = q->nraw = 0;
}

static void
tun_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct esp_engine *e = w->data;
	struct esp_txq	 q;
	int		 n = 0, reads = 0;

	(void)loop;
	(void)revents;
	e->now_ms = time_mono_ms();
	/* fresh IVs for the whole batch in one call (CBC only uses them) */
	if (RAND_bytes(e->ivpool, sizeof(e->ivpool)) != 1) {
		log_warnx(LOG_ESP, "RAND_bytes failed");
		return;
	}
	q.nudp = q.nraw = 0;
	while (n < ESP_BATCH && reads++ < ESP_BATCH) {
		int	 segs;

		if (e->vnet) {
			/* a super-packet may need up to ESP_GSO_SEGS slots */
			if (n + ESP_GSO_SEGS > ESP_TX_SLOTS)
				break;	/* level-triggered: back at once */
			if ((segs = tun_read_vnet(e, n)) <= 0) {
				if (segs == 0)
					break;
				continue;
			}
		} else {
			struct esp_slot	*s = &e->tx[n];
			ssize_t		 r;

			r = read(e->tun_fd, s->buf + ESP_PKT_OFF,
			    s->cap - ESP_PKT_OFF - ESP_TAILROOM);
			if (r <= 0) {
				if (r == -1 && errno != EAGAIN &&
				    errno != EINTR)
					e->st.tun_errors++;
				break;
			}
			s->off = ESP_PKT_OFF;
			s->len = (size_t)r;
			segs = 1;
		}
		esp_io_tun_packets(e, n, segs, &q);
		n += segs;
	}
	esp_io_tun_send(e, &q);
}

/* ---- inbound ------------------------------------------------------------ */

/* Transport mode: the outer header is gone; write the one the TUN needs. */
static int
transport_header(struct esp_slot *s, const struct esp_sa *sa, uint8_t nh)
{
	uint8_t		*h;
	size_t		 tot = s->len + IP4_HDR_LEN;

	if (s->off < IP4_HDR_LEN || tot > 65535)
		return -1;
	s->off -= IP4_HDR_LEN;
	s->len = tot;
	h = s->buf + s->off;
	memset(h, 0, IP4_HDR_LEN);
	h[IP4_OFF_VHL] = IP4_VHL_PLAIN;
	be16_put(h + IP4_OFF_LEN, (uint16_t)tot);
	be16_put(h + IP4_OFF_FRAG, IP4_F_DF);
	h[IP4_OFF_TTL] = 64;
	h[IP4_OFF_PROTO] = nh;
	memcpy(h + IP4_OFF_SRC, &sa->remote, 4);
	memcpy(h + IP4_OFF_DST, &sa->local, 4);
	be16_put(h + IP4_OFF_SUM, csum_fold(csum_add(0, h, IP4_HDR_LEN)));
	return 0;
}

int
esp_io_inbound(struct esp_engine *e, struct esp_slot *s)
{
	struct esp_sa_rt *sa;
	enum esp_verdict v;
	uint32_t	 spi;
	uint8_t		 nh;

	e->st.esp_in++;
	if (esp_peek_spi(s->buf + s->off, s->len, &spi) == -1) {
		e->st.malformed++;
		return -1;
	}
	if ((sa = esp_engine_sa_by_spi(e, spi)) == NULL || sa->dead) {
		e->st.bad_spi++;
		ratelimited(e, &e->rl_nospi, "inbound", spi, "no such SA");
		drop_trace(e, "inbound", spi, "no such SA");
		return -1;
	}
	v = esp_decap(sa->c, s->buf, &s->off, &s->len, &nh);
	if (v != ESP_V_OK) {
		ratelimited(e, &e->rl_drop, "inbound", spi,
		    esp_verdict_name(v));
		drop_trace(e, "inbound", spi, esp_verdict_name(v));
		return -1;
	}
	if (!sa->c->sa.tunnel &&
	    transport_header(s, &sa->c->sa, nh) == -1) {
		sa->c->malformed++;
		sa->c->st.recv_errors++;
		drop_trace(e, "inbound", spi, "malformed transport header");
		return -1;
	}
	sa->c->st.last_used_ms = e->now_ms;
	esp_engine_sa_used(e, sa);
	return 0;
}

/* ---- delivery: TCP segments coalesced for the TUN device ------------------ */

/*
 * Decapsulated packets are written as they come, except that with
 * offloads consecutive segments of one TCP flow that the kernel's own GRO
 * would merge (contiguous sequence numbers, equal headers and options,
 * equal-sized payloads but the last, only ACK and a final PSH) are held
 * and written as one TSO super-packet with a partial checksum (one write
 * and one pass through the stack for up to 64 KB), and so are consecutive
 * equal-sized UDP datagrams of one flow (USO).  A train ends with the
 * wake-up.  The ESP ICV has vouched for every byte, so the segments' own
 * checksums are not checked again.
 */
/* 0, or -1 for a write that failed (counted). */
static int
tun_write(struct esp_engine *e, const void *hdr, const uint8_t *p, size_t len)
{
	static const uint8_t novnet[ESP_VNET_HDR];	/* finished packet */
	struct iovec	 iov[2];

	iov[0].iov_base = (void *)(hdr != NULL ? hdr : novnet);
	iov[0].iov_len = ESP_VNET_HDR;
	iov[1].iov_base = (void *)p;
	iov[1].iov_len = len;
	if (writev(e->tun_fd, e->vnet ? iov : iov + 1, e->vnet ? 2 : 1) ==
	    -1) {
		e->st.tun_errors++;
		return -1;
	}
	e->st.tun_out++;
	return 0;
}

/*
 * The payload length of a segment that may join a train (TCP with TSO
 * offloads, UDP with USO), and its L4 header length; or 0.
 */
static size_t
gro_candidate(const struct esp_engine *e, const uint8_t *p, size_t len,
    size_t *thl)
{
	struct buf	 b, l4;
	struct ip4_hdr	 ip;
	const uint8_t	*t;
	size_t		 l4len;

	/* one whole datagram without options, not a fragment */
	buf_init(&b, p, len);
	if (ip4_parse(&b, &ip, &l4) != IP4_OK || ip.hlen != IP4_HDR_LEN ||
	    ip.totlen != len || (ip.frag & (IP4_F_MF | IP4_FRAG_OFFSET)) != 0)
		return 0;
	t = buf_cur(&l4);
	l4len = buf_left(&l4);
	if (ip.proto == IPPROTO_UDP && (e->vnet & ESP_OFF_USO)) {
		*thl = UDP_HDR_LEN;
		return l4len > UDP_HDR_LEN &&
		    be16_get(t + UDP_OFF_LEN) == l4len ? l4len - UDP_HDR_LEN :
		    0;
	}
	if (ip.proto != IPPROTO_TCP || !(e->vnet & ESP_OFF_TSO) ||
	    l4len < TCP_HDR_LEN)
		return 0;
	*thl = (size_t)(t[TCP_OFF_DOFF] >> 4) * 4;
	if (*thl < TCP_HDR_LEN || *thl >= l4len)
		return 0;
	/* only ACK, and PSH (which ends a train) */
	if ((t[TCP_OFF_FLAGS] & ~(TCP_F_ACK | TCP_F_PSH)) != 0 ||
	    !(t[TCP_OFF_FLAGS] & TCP_F_ACK))
		return 0;
	return l4len - *thl;
}

/*
 * b continues the train whose last segment is a (payload alen).  Both
 * passed gro_candidate(): 20-byte IPv4 headers, then the L4 header.
 */
static int
gro_follows(const uint8_t *a, size_t alen, size_t athl, const uint8_t *b,
    size_t bthl)
{
	const uint8_t	*ta = a + IP4_HDR_LEN, *tb = b + IP4_HDR_LEN;

	if (a[IP4_OFF_PROTO] != b[IP4_OFF_PROTO] ||
	    a[IP4_OFF_TOS] != b[IP4_OFF_TOS] ||
	    a[IP4_OFF_TTL] != b[IP4_OFF_TTL])
		return 0;
	/* the addresses, and the ports that follow them */
	if (a[IP4_OFF_PROTO] == IPPROTO_UDP)
		return memcmp(a + IP4_OFF_SRC, b + IP4_OFF_SRC, 12) == 0;
	return athl == bthl &&
	    memcmp(a + IP4_OFF_SRC, b + IP4_OFF_SRC, 12) == 0 &&
	    be32_get(tb + TCP_OFF_SEQ) ==
	    be32_get(ta + TCP_OFF_SEQ) + (uint32_t)alen &&
	    memcmp(ta + TCP_OFF_ACK, tb + TCP_OFF_ACK, 4) == 0 &&
	    memcmp(ta + TCP_OFF_WIN, tb + TCP_OFF_WIN, 2) == 0 &&
	    memcmp(ta + TCP_HDR_LEN, tb + TCP_HDR_LEN,		/* options */
	    athl - TCP_HDR_LEN) == 0 &&
	    !(ta[TCP_OFF_FLAGS] & TCP_F_PSH);
}

void
esp_io_rx_flush(struct esp_engine *e)
{
	struct virtio_net_hdr vh;
	uint8_t		*g = e->grobuf, *l4 = g + IP4_HDR_LEN;
	size_t		 tot = e->gro_len, l4len, coff;

	if (e->gro_n == 0)
		return;
	if (e->gro_n == 1) {
		(void)tun_write(e, NULL, e->gro_first, e->gro_first_len);
		e->gro_n = 0;
		return;
	}
	l4len = tot - IP4_HDR_LEN;
	coff = e->gro_proto == IPPROTO_TCP ? TCP_OFF_SUM : UDP_OFF_SUM;
	be16_put(g + IP4_OFF_LEN, (uint16_t)tot);
	be16_put(g + IP4_OFF_SUM, 0);
	be16_put(g + IP4_OFF_SUM, csum_fold(csum_add(0, g, IP4_HDR_LEN)));
	if (e->gro_proto == IPPROTO_TCP)
		l4[TCP_OFF_FLAGS] |= e->gro_psh;
	else	/* the super-datagram's UDP length covers all of it */
		be16_put(l4 + UDP_OFF_LEN, (uint16_t)l4len);
	/* partial checksum: the pseudo-header's sum, folded, not inverted */
	be16_put(l4 + coff, (uint16_t)~csum_fold(esp_pseudo_sum(g,
	    e->gro_proto, l4len)));
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = e->gro_proto == IPPROTO_TCP ? VIRTIO_NET_HDR_GSO_TCPV4 :
	    VIRTIO_NET_HDR_GSO_UDP_L4;
	vh.hdr_len = (uint16_t)(IP4_HDR_LEN + e->gro_thl);
	vh.gso_size = (uint16_t)e->gro_mss;
	vh.csum_start = IP4_HDR_LEN;
	vh.csum_offset = (uint16_t)coff;
	/* tun_out counts packets, whatever the number of writes */
	if (tun_write(e, &vh, g, tot) == 0) {
		e->st.tun_out += (uint64_t)e->gro_n - 1;
		e->st.tun_gro += (uint64_t)e->gro_n;
	}
	e->gro_n = 0;
}

static void
deliver(struct esp_engine *e, struct esp_slot *s)
{
	const uint8_t	*p = s->buf + s->off;
	size_t		 thl, plen;

	if (!e->vnet || (plen = gro_candidate(e, p, s->len, &thl)) == 0) {
		esp_io_rx_flush(e);
		(void)tun_write(e, NULL, p, s->len);
		return;
	}
	if (e->gro_n > 0 && plen <= e->gro_mss &&
	    e->gro_last_plen == e->gro_mss &&
	    e->gro_len + plen <= ESP_GROBUF &&
	    gro_follows(e->gro_last, e->gro_last_plen, e->gro_thl, p, thl)) {
		if (e->gro_n == 1) {
			/* the train's first segment becomes its head */
			memcpy(e->grobuf, e->gro_first, e->gro_first_len);
			e->gro_len = e->gro_first_len;
		}
		memcpy(e->grobuf + e->gro_len, p + IP4_HDR_LEN + thl, plen);
		e->gro_len += plen;
		if (p[IP4_OFF_PROTO] == IPPROTO_TCP)
			e->gro_psh |= p[IP4_HDR_LEN + TCP_OFF_FLAGS] &
			    TCP_F_PSH;
		e->gro_last = p;
		e->gro_last_plen = plen;
		e->gro_n++;
		return;
	}
	esp_io_rx_flush(e);
	e->gro_first = e->gro_last = p;
	e->gro_first_len = s->len;
	e->gro_len = s->len;
	e->gro_mss = plen;
	e->gro_last_plen = plen;
	e->gro_psh = 0;
	e->gro_proto = p[IP4_OFF_PROTO];
	e->gro_thl = thl;
	e->gro_n = 1;
}

static int
recv_batch(struct esp_engine *e, int fd, int want_pktinfo)
{
	int	 n;

	for (int i = 0; i < ESP_BATCH; i++) {
		struct esp_slot	*s = &e->rx[i];
		struct msghdr	*m = &e->mm[i].msg_hdr;

		e->iov[i].iov_base = s->buf + ESP_PKT_OFF;
		e->iov[i].iov_len = s->cap - ESP_PKT_OFF;
		memset(m, 0, sizeof(*m));
		m->msg_name = &s->peer;
		m->msg_namelen = sizeof(s->peer);
		m->msg_iov = &e->iov[i];
		m->msg_iovlen = 1;
		if (want_pktinfo) {
			m->msg_control = s->cmsg.c;
			m->msg_controllen = sizeof(s->cmsg.c);
		}
	}
	do {
		n = recvmmsg(fd, e->mm, ESP_BATCH, MSG_DONTWAIT, NULL);
	} while (n == -1 && errno == EINTR);
	return n;
}

/* The local address of a datagram, and its GRO segment size (0: none). */
static size_t
rx_cmsgs(struct esp_slot *s, struct msghdr *m)
{
	struct cmsghdr	*cm;
	size_t		 gso = 0;

	memset(&s->local, 0, sizeof(s->local));
	s->local.sin_family = AF_INET;
	s->local.sin_port = htons(4500);
	for (cm = CMSG_FIRSTHDR(m); cm != NULL; cm = CMSG_NXTHDR(m, cm))
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			s->local.sin_addr = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_UDP &&
		    cm->cmsg_type == UDP_GRO) {
			int	 g;

			memcpy(&g, CMSG_DATA(cm), sizeof(g));
			if (g > 0)
				gso = (size_t)g;
		}
	return gso;
}

/* RFC 3948 2.2: one datagram from port 4500. */
static void
udp_datagram(struct esp_engine *e, struct esp_slot *s, const uint8_t *p)
{
	if (s->len == 1 && p[0] == 0xff) {
		e->st.keepalives++;
		return;
	}
	if (s->len >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 0) {
		e->st.ike_in++;
		if (e->ike_fn != NULL)
			e->ike_fn(e->ike_arg, p, s->len, &s->peer, &s->local);
		return;
	}
	if (esp_io_inbound(e, s) == 0)
		deliver(e, s);
}

void
esp_io_udp_input(struct esp_engine *e, struct esp_slot *s, size_t total,
    size_t seg)
{
	if (seg == 0 || seg > total)
		seg = total;
	for (size_t at = 0; at < total; at += seg) {
		const uint8_t *p = s->buf + ESP_PKT_OFF + at;

		s->off = ESP_PKT_OFF + at;
		s->len = total - at < seg ? total - at : seg;
		udp_datagram(e, s, p);
	}
}

void
esp_io_raw_input(struct esp_engine *e, struct esp_slot *s, size_t len)
{
	struct buf	 b, esp;
	struct ip4_hdr	 ip;

	/* a raw socket hands over the whole IPv4 datagram */
	buf_init(&b, s->buf + ESP_PKT_OFF, len);
	if (ip4_parse(&b, &ip, &esp) != IP4_OK ||
	    ip.proto != IPPROTO_ESP) {
		e->st.malformed++;
		return;
	}
	s->off = ESP_PKT_OFF + ip.hlen;
	s->len = buf_left(&esp);
	if (esp_io_inbound(e, s) == 0)
		deliver(e, s);
}

static void
udp_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct esp_engine *e = w->data;
	int		 n;

	(void)loop;
	(void)revents;
	e->now_ms = time_mono_ms();
	if ((n = recv_batch(e, e->udp_fd, 1)) <= 0)
		return;
	/*
	 * With UDP GRO the kernel hands over several datagrams of one flow
	 * back to back, each seg bytes but the last.
	 */
	for (int i = 0; i < n; i++)
		esp_io_udp_input(e, &e->rx[i], e->mm[i].msg_len,
		    rx_cmsgs(&e->rx[i], &e->mm[i].msg_hdr));
	esp_io_rx_flush(e);
}

static void
raw_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct esp_engine *e = w->data;
	int		 n;

	(void)loop;
	(void)revents;
	e->now_ms = time_mono_ms();
	if ((n = recv_batch(e, e->raw_fd, 0)) <= 0)
		return;
	for (int i = 0; i < n; i++)
		esp_io_raw_input(e, &e->rx[i], e->mm[i].msg_len);
	esp_io_rx_flush(e);
}

/* ---- life --------------------------------------------------------------- */

static void
mark(int fd)
{
	uint32_t	 m = ESP_FWMARK;
	int		 on = 1, size = ESP_SOCKBUF;

	/* the fixed rule sends marked packets by the main table */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m)) == -1)
		log_warn(LOG_ESP, "SO_MARK");
	(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	/* a planned switchover drains from a VIP that just moved (hasync) */
	(void)setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &on, sizeof(on));
	/* a raw socket refuses it; a UDP socket gets batches (see above) */
	(void)setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on));
	/*
	 * Bursts of a TCP window arrive faster than one core decrypts them:
	 * room for a few thousand packets, beyond net.core.rmem_max (root).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
}

int
esp_io_start(struct esp_engine *e)
{
	e->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ESP);
	if (e->raw_fd == -1) {
		log_warn(LOG_ESP, "raw ESP socket");
		return -1;
	}
	mark(e->raw_fd);
	ev_io_init(&e->tun_w, tun_readable, e->tun_fd, EV_READ);
	e->tun_w.data = e;
	ev_io_start(e->loop, &e->tun_w);
	ev_io_init(&e->raw_w, raw_readable, e->raw_fd, EV_READ);
	e->raw_w.data = e;
	ev_io_start(e->loop, &e->raw_w);
	return 0;
}

void
esp_io_attach_udp(struct esp_engine *e)
{
	mark(e->udp_fd);
	ev_io_init(&e->udp_w, udp_readable, e->udp_fd, EV_READ);
	e->udp_w.data = e;
	ev_io_start(e->loop, &e->udp_w);
}

void
esp_io_set_outbound(struct esp_engine *e, enum esp_outbound mode)
{
	e->outbound = mode;
	if (e->loop == NULL)
		return;
	if (mode == ESP_OUTBOUND_HOLD)
		ev_io_stop(e->loop, &e->tun_w);
	else
		ev_io_start(e->loop, &e->tun_w);
}

void
esp_io_stop(struct esp_engine *e)
{
	if (e->loop == NULL)
		return;
	ev_io_stop(e->loop, &e->tun_w);
	ev_io_stop(e->loop, &e->raw_w);
	ev_io_stop(e->loop, &e->udp_w);
}
