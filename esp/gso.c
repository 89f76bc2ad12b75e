/*
 * TUN offloads: with IFF_VNET_HDR the kernel may hand the engine one TCP
 * (TSO) or UDP (USO) super-packet of up to 64 KB, or a packet whose
 * checksum is only partial, each behind a struct virtio_net_hdr.  ESP
 * protects finished packets, so here they are finished: a super-packet is
 * cut into gso_size segments (RFC 9293 sequence numbers, IPv4 ids, flags
 * and both checksums per segment), a partial checksum is completed.
 *
 * Pure: bytes in, segments out; tests/unit/test_esp.c checks them.
 */
#include <string.h>

#include <netinet/in.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

static void
ip_checksum(uint8_t *ip, size_t ihl)
{
	be16_put(ip + IP4_OFF_SUM, 0);
	be16_put(ip + IP4_OFF_SUM, csum_fold(csum_add(0, ip, ihl)));
}

uint32_t
esp_pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint8_t	 ph[12];

	memcpy(ph, ip + IP4_OFF_SRC, 8);	/* source, destination */
	ph[8] = 0;
	ph[9] = proto;
	be16_put(ph + 10, (uint16_t)l4len);
	return csum_add(0, ph, sizeof(ph));
}

/* The TCP or UDP checksum of a whole segment, from scratch. */
static void
l4_checksum(uint8_t *ip, size_t ihl, size_t tot, uint8_t proto, size_t coff)
{
	uint8_t	*l4 = ip + ihl;
	size_t	 l4len = tot - ihl;
	uint16_t c;

	be16_put(l4 + coff, 0);
	c = csum_fold(csum_add(esp_pseudo_sum(ip, proto, l4len), l4, l4len));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;		/* RFC 768: zero means none */
	be16_put(l4 + coff, c);
}

int
esp_gso_split(const struct esp_vnet *h, const uint8_t *p, size_t len,
    uint8_t *const *outs, size_t outcap, size_t *lens, int maxsegs)
{
	struct buf	 b, l4;
	struct ip4_hdr	 ip;
	size_t		 ihl, l4hl, hl, payload, mss, off;
	int		 n = 0;

	/* one packet, exactly: the kernel's super-packet has no trailer */
	buf_init(&b, p, len);
	if (ip4_parse(&b, &ip, &l4) != IP4_OK || ip.totlen != len)
		return -1;
	ihl = ip.hlen;
	if (h->gso_type == ESP_GSO_NONE) {
		if (len > outcap || maxsegs < 1)
			return -1;
		memcpy(outs[0], p, len);
		if (h->needs_csum) {
			size_t	 cs = h->csum_start, co = h->csum_offset;

			if (cs < ihl || cs + co + 2 > len)
				return -1;
			/* the field holds the pseudo-header sum already */
			be16_put(outs[0] + cs + co, csum_fold(csum_add(0,
			    outs[0] + cs, len - cs)));
		}
		lens[0] = len;
		return 1;
	}
	if (h->gso_type == ESP_GSO_TCP && ip.proto == IPPROTO_TCP) {
		if (buf_left(&l4) < TCP_HDR_LEN || (l4hl = (size_t)(buf_cur(
		    &l4)[TCP_OFF_DOFF] >> 4) * 4) < TCP_HDR_LEN ||
		    l4hl > buf_left(&l4))
			return -1;
	} else if (h->gso_type == ESP_GSO_UDP && ip.proto == IPPROTO_UDP)
		l4hl = UDP_HDR_LEN;
	else
		return -1;
	hl = ihl + l4hl;
	if (hl > len)
		return -1;
	payload = len - hl;
	mss = h->gso_size;
	if (mss == 0 || payload == 0)
		return -1;
	for (off = 0; off < payload; off += mss, n++) {
		size_t	 seg = payload - off < mss ? payload - off : mss;
		size_t	 tot = hl + seg;
		uint8_t	*o;

		if (n >= maxsegs || tot > outcap)
			return -1;
		o = outs[n];
		memcpy(o, p, hl);
		memcpy(o + hl, p + hl + off, seg);
		be16_put(o + IP4_OFF_LEN, (uint16_t)tot);
		be16_put(o + IP4_OFF_ID, (uint16_t)(ip.id + n));
		ip_checksum(o, ihl);
		if (ip.proto == IPPROTO_TCP) {
			uint8_t	*t = o + ihl;

			/* each segment's sequence number moves by its offset */
			be32_put(t + TCP_OFF_SEQ, be32_get(t + TCP_OFF_SEQ) +
			    (uint32_t)off);
			/* FIN and PSH end the super-packet, CWR starts it */
			if (off + seg < payload)
				t[TCP_OFF_FLAGS] &=
				    (uint8_t)~(TCP_F_FIN | TCP_F_PSH);
			if (n > 0)
				t[TCP_OFF_FLAGS] &= (uint8_t)~TCP_F_CWR;
			l4_checksum(o, ihl, tot, IPPROTO_TCP, TCP_OFF_SUM);
		} else {
			be16_put(o + ihl + UDP_OFF_LEN, (uint16_t)(tot - ihl));
			l4_checksum(o, ihl, tot, IPPROTO_UDP, UDP_OFF_SUM);
		}
		lens[n] = tot;
	}
	return n;
}
