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

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint32_t
esp_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;

	while (n >= 4) {
		s += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		s += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n == 1)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
esp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
ip_checksum(uint8_t *ip, size_t ihl)
{
	ip[10] = ip[11] = 0;
	put16(ip + 10, esp_csum_fold(esp_csum_add(0, ip, ihl)));
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
	put16(ph + 10, (uint16_t)l4len);
	l4[coff] = l4[coff + 1] = 0;
	c = esp_csum_fold(esp_csum_add(esp_csum_add(0, ph, 12), l4, l4len));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;		/* RFC 768: zero means none */
	put16(l4 + coff, c);
}

int
esp_gso_split(const struct esp_vnet *h, const uint8_t *p, size_t len,
    uint8_t *const *outs, size_t outcap, size_t *lens, int maxsegs)
{
	size_t	 ihl, l4hl, hl, payload, mss, off;
	uint8_t	 proto;
	int	 n = 0;

	if (len < 20 || (p[0] >> 4) != 4 || (ihl = (size_t)(p[0] & 15) * 4) <
	    20 || ihl > len || be16(p + 2) != len)
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
			put16(outs[0] + cs + co, esp_csum_fold(esp_csum_add(0,
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
		put16(o + 2, (uint16_t)tot);
		put16(o + 4, (uint16_t)(be16(p + 4) + n));
		ip_checksum(o, ihl);
		if (proto == IPPROTO_TCP) {
			uint8_t	*t = o + ihl;
			uint32_t seq = (uint32_t)t[4] << 24 |
			    (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];

			seq += (uint32_t)off;
			t[4] = (uint8_t)(seq >> 24);
			t[5] = (uint8_t)(seq >> 16);
			t[6] = (uint8_t)(seq >> 8);
			t[7] = (uint8_t)seq;
			/* FIN and PSH end the super-packet, CWR starts it */
			if (off + seg < payload)
				t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (n > 0)
				t[13] &= (uint8_t)~TCP_CWR;
			l4_checksum(o, ihl, tot, IPPROTO_TCP, 16);
		} else {
			put16(o + ihl + 4, (uint16_t)(tot - ihl));
			l4_checksum(o, ihl, tot, IPPROTO_UDP, 6);
		}
		lens[n] = tot;
	}
	return n;
}
