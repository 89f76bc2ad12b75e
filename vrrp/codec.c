/*
 * The VRRPv3 advertisement codec (RFC 9568 5.1 and 5.2), IPv4.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    IPv4 Fields or IPv6 Fields                 |
 * ...                                                             ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |(rsvd) |     Max Adver Int     |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IPvX Address(es)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The checksum: RFC 9568 5.2.8 says the IPv4 checksum covers the VRRP
 * message only; RFC 5798 was read by keepalived, FRR and Wireshark as
 * including the IPv4 pseudo-header (src, dst, zero, protocol, length), and
 * that is what they send by default.  The parser accepts either form and
 * says which one matched; the builder writes the form it is asked for.
 *
 * Receive checks, RFC 9568 7.1, in this order: the IPv4 header; "MUST
 * verify that the IP TTL is 255"; "MUST verify the VRRP version is 3"; the
 * type; "MUST verify that the received packet contains the complete VRRP
 * packet (including fixed fields, and IPvX address(es))"; "MUST verify
 * the VRRP checksum"; a zero interval (outside Advertisement_Interval's
 * range 1-4095).  The VRID check needs the configuration: the caller.
 */
#include <string.h>

#include "lib/lib.h"
#include "vrrp/vrrp_int.h"

const char *const vrrp_drop_names[VRRP_NDROPS] = {
#define VRRP_DROP_NAME(e, n, w)	n,
	VRRP_DROPS(VRRP_DROP_NAME)
#undef VRRP_DROP_NAME
};

static const char *const drop_whats[VRRP_DROP_COUNT] = {
#define VRRP_DROP_WHAT(e, n, w)	w,
	VRRP_DROPS(VRRP_DROP_WHAT)
#undef VRRP_DROP_WHAT
};

_Static_assert(VRRP_DROP_COUNT == VRRP_NDROPS,
    "VRRP_NDROPS in vrrp.h must match VRRP_DROPS");

const char *
vrrp_drop_name(enum vrrp_drop d)
{
	if (d < 0 || d >= VRRP_DROP_COUNT)
		return "accept";
	return vrrp_drop_names[d];
}

uint16_t
vrrp_checksum(const uint8_t *msg, size_t len, struct in_addr src,
    struct in_addr dst, enum vrrp_cksum form)
{
	uint32_t sum = 0;
	uint8_t	 ph[12];

	if (form == VRRP_CKSUM_PSEUDO) {
		memcpy(ph, &src.s_addr, 4);
		memcpy(ph + 4, &dst.s_addr, 4);
		ph[8] = 0;
		ph[9] = VRRP_PROTO;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		sum = csum_add(sum, ph, sizeof(ph));
	}
	return csum_fold(csum_add(sum, msg, len));
}

static enum vrrp_drop
drop(enum vrrp_drop d, const char **why)
{
	*why = drop_whats[d];
	return d;
}

/* The IPv4 header: its fields into a, the payload into *body. */
static enum vrrp_drop
parse_ip(struct buf *pkt, struct vrrp_advert *a, struct buf *body,
    const char **why)
{
	struct ip4_hdr	 ip;
	enum ip4_verdict v;
	uint32_t	 src;

	/* options, if any, are skipped with the rest of the header */
	if ((v = ip4_parse(pkt, &ip, body)) == IP4_MALFORMED ||
	    ip.proto != VRRP_PROTO ||
	    (ip.frag & (IP4_F_MF | IP4_FRAG_OFFSET)) != 0)
		return drop(VRRP_DROP_IP, why);
	/* the datagram may be shorter than what was read (padding) */
	if (v == IP4_TRUNCATED)
		return drop(VRRP_DROP_TRUNCATED, why);
	a->src = ip.src;
	a->dst = ip.dst;
	a->ttl = ip.ttl;
	src = ntohl(ip.src.s_addr);
	if (ntohl(ip.dst.s_addr) != VRRP_GROUP_ADDR || src == 0 ||
	    (src >> 28) == 0xe || src == 0xffffffff)
		return drop(VRRP_DROP_ADDRESS, why);
	if (ip.ttl != VRRP_TTL)
		return drop(VRRP_DROP_TTL, why);
	return VRRP_ACCEPT;
}

enum vrrp_drop
vrrp_advert_parse(const uint8_t *p, size_t len, struct vrrp_advert *a,
    const char **why)
{
	struct buf pkt, body, addrs;
	enum vrrp_drop d;
	uint8_t	 vt, vrid, prio, naddrs;
	uint16_t intv, sum;
	size_t	 msglen;

	memset(a, 0, sizeof(*a));
	*why = "";
	buf_init(&pkt, p, len);
	if ((d = parse_ip(&pkt, a, &body, why)) != VRRP_ACCEPT)
		return d;
	msglen = buf_left(&body);
	if (buf_get_u8(&body, &vt) == -1)
		return drop(VRRP_DROP_TRUNCATED, why);
	if ((vt >> 4) != VRRP_VERSION)
		return drop(VRRP_DROP_VERSION, why);
	if ((vt & 0x0f) != VRRP_TYPE_ADVERT)
		return drop(VRRP_DROP_TYPE, why);
	if (buf_get_u8(&body, &vrid) == -1 || buf_get_u8(&body, &prio) == -1 ||
	    buf_get_u8(&body, &naddrs) == -1 ||
	    buf_get_be16(&body, &intv) == -1 || buf_get_be16(&body, &sum) == -1)
		return drop(VRRP_DROP_TRUNCATED, why);
	if (buf_get_sub(&body, (size_t)naddrs * 4, &addrs) == -1)
		return drop(VRRP_DROP_TRUNCATED, why);
	if (naddrs == 0 || buf_left(&body) != 0)
		return drop(VRRP_DROP_LENGTH, why);
	/* the sum over the message including its checksum field is 0 */
	if (vrrp_checksum(body.p, msglen, a->src, a->dst,
	    VRRP_CKSUM_PSEUDO) == 0)
		a->form = VRRP_CKSUM_PSEUDO;
	else if (vrrp_checksum(body.p, msglen, a->src, a->dst,
	    VRRP_CKSUM_RFC9568) == 0)
		a->form = VRRP_CKSUM_RFC9568;
	else
		return drop(VRRP_DROP_CHECKSUM, why);
	if ((intv & 0x0fff) == 0)
		return drop(VRRP_DROP_INTERVAL, why);
	a->vrid = vrid;
	a->priority = prio;
	a->naddrs = naddrs;
	a->interval_cs = intv & 0x0fff;
	a->checksum = sum;
	a->addrs = addrs.p;
	return VRRP_ACCEPT;
}

size_t
vrrp_advert_build(uint8_t *out, size_t cap, struct in_addr src, uint8_t vrid,
    uint8_t prio, uint16_t interval_cs, const struct in_addr *vips, int nvips,
    enum vrrp_cksum form)
{
	struct wbuf w;
	struct in_addr dst = { htonl(VRRP_GROUP_ADDR) };
	size_t	 msg, sum_at, total;
	uint16_t sum;

	if (nvips < 1 || nvips > 255 || interval_cs == 0 ||
	    interval_cs > VRRP_MAX_INTERVAL)
		return 0;
	total = VRRP_IP_HDR_LEN + VRRP_HDR_LEN + (size_t)nvips * 4;
	wbuf_init(&w, out, cap);
	/* IPv4: the kernel fills in the identification and the checksum */
	wbuf_put_u8(&w, IP4_VHL_PLAIN);
	wbuf_put_u8(&w, VRRP_TOS);
	wbuf_put_be16(&w, (uint16_t)total);
	wbuf_put_be16(&w, 0);
	wbuf_put_be16(&w, 0);			/* DF clear, no fragment */
	wbuf_put_u8(&w, VRRP_TTL);
	wbuf_put_u8(&w, VRRP_PROTO);
	wbuf_put_be16(&w, 0);
	wbuf_put_bytes(&w, &src.s_addr, 4);
	wbuf_put_bytes(&w, &dst.s_addr, 4);
	msg = w.len;
	wbuf_put_u8(&w, VRRP_VERSION << 4 | VRRP_TYPE_ADVERT);
	wbuf_put_u8(&w, vrid);
	wbuf_put_u8(&w, prio);
	wbuf_put_u8(&w, (uint8_t)nvips);
	wbuf_put_be16(&w, interval_cs);		/* the 4 reserved bits are 0 */
	sum_at = wbuf_reserve(&w, 2);
	for (int i = 0; i < nvips; i++)
		wbuf_put_bytes(&w, &vips[i].s_addr, 4);
	if (wbuf_error(&w) == -1)
		return 0;
	wbuf_set_be16(&w, sum_at, 0);
	sum = vrrp_checksum(w.p + msg, w.len - msg, src, dst, form);
	wbuf_set_be16(&w, sum_at, sum);
	return w.len;
}

/*
 * RFC 826 / RFC 5227 3: an ARP request announcing vip, sender and target
 * protocol address both the VIP, target hardware address broadcast (what
 * keepalived sends; Linux updates existing entries from it).
 */
size_t
vrrp_garp_build(uint8_t *out, size_t cap, const uint8_t *mac,
    struct in_addr vip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct wbuf w;

	wbuf_init(&w, out, cap);
	wbuf_put_be16(&w, 1);			/* Ethernet */
	wbuf_put_be16(&w, 0x0800);		/* IPv4 */
	wbuf_put_u8(&w, 6);
	wbuf_put_u8(&w, 4);
	wbuf_put_be16(&w, 1);			/* request */
	wbuf_put_bytes(&w, mac, 6);
	wbuf_put_bytes(&w, &vip.s_addr, 4);
	wbuf_put_bytes(&w, bcast, 6);
	wbuf_put_bytes(&w, &vip.s_addr, 4);
	return wbuf_error(&w) == -1 ? 0 : w.len;
}
