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

#define TCP_FIN	0x01
#define TCP_PSH	0x08
#define TCP_CWR	0x80

static void
ip_checksum(uint8_t *ip, size_t ihl)
{
	ip[10] = ip[11] = 0;
	be16_put(ip + 10, csum_fold(csum_add(0, ip, ihl)));
}

/* The TCP or UDP checksum of a whole segment, from scratch. */
static void
l4_checksum(uint8_t *ip, size_t ihl, size_t tot, uint8_t proto, size_t coff)
{
	uint8_t	 ph[12];
	uint8_t	*l4 = ip + ihl;
	size_t	 l4len = tot - ihl;
	uint16_t c;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	be16_put(ph + 10, (uint16_t)l4len);
	l4[coff] = l4[coff + 1] = 0;
	c = csum_fold(csum_add(csum_add(0, ph, 12), l4, l4len));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;		/* RFC 768: zero means none */
	be16_put(l4 + coff, c);
}

int
esp_gso_split(const struct esp_vnet *h, const uint8_t *p, size_t len,
    uint8_t *const *outs, size_t outcap, size_t *lens, int maxsegs)
{
	size_t	 ihl, l4hl, hl, payload, mss, off;
	uint8_t	 proto;
	int	 n = 0;

	if (len < 20 || (p[0] >> 4) != 4 || (ihl = (size_t)(p[0] & 15) * 4) <
	    20 || ihl > len || be16_get(p + 2) != len)
		return -1;
	proto = p[9];
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
	if (h->gso_type == ESP_GSO_TCP && proto == IPPROTO_TCP) {
		if (len < ihl + 20 || (l4hl = (size_t)(p[ihl + 12] >> 4) * 4) <
		    20 || ihl + l4hl > len)
			return -1;
	} else if (h->gso_type == ESP_GSO_UDP && proto == IPPROTO_UDP)
		l4hl = 8;
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
		be16_put(o + 2, (uint16_t)tot);
		be16_put(o + 4, (uint16_t)(be16_get(p + 4) + n));
		ip_checksum(o, ihl);
		if (proto == IPPROTO_TCP) {
			uint8_t	*t = o + ihl;

			/* each segment's sequence number moves by its offset */
			be32_put(t + 4, be32_get(t + 4) + (uint32_t)off);
			/* FIN and PSH end the super-packet, CWR starts it */
			if (off + seg < payload)
				t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (n > 0)
				t[13] &= (uint8_t)~TCP_CWR;
			l4_checksum(o, ihl, tot, IPPROTO_TCP, 16);
		} else {
			be16_put(o + ihl + 4, (uint16_t)(tot - ihl));
			l4_checksum(o, ihl, tot, IPPROTO_UDP, 6);
		}
		lens[n] = tot;
	}
	return n;
}
