/*
 * The flow of an IPv4 packet (addresses, protocol, ports) and selector
 * matching, for the SPD lookup outbound and the selector check inbound.
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Ports are read only from the first fragment of TCP, UDP and SCTP; a
 * later fragment has ports 0 and so matches only port-less selectors, as
 * IOS and RFC 4301 5.1.2 (OPAQUE) treat it.
 */
#include <string.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

int
esp_flow_parse(const uint8_t *p, size_t len, struct esp_flow *f)
{
	struct buf	 b, l4;
	uint8_t		 vihl, proto;
	uint16_t	 totlen, frag;
	size_t		 ihl;

	memset(f, 0, sizeof(*f));
	buf_init(&b, p, len);
	if (buf_get_u8(&b, &vihl) == -1 || (vihl >> 4) != 4)
		return -1;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return -1;
	if (buf_skip(&b, 1) == -1 || buf_get_be16(&b, &totlen) == -1 ||
	    totlen < ihl || totlen > len || buf_skip(&b, 2) == -1 ||
	    buf_get_be16(&b, &frag) == -1 || buf_skip(&b, 1) == -1 ||
	    buf_get_u8(&b, &proto) == -1 || buf_skip(&b, 2) == -1 ||
	    buf_get_bytes(&b, &f->src, 4) == -1 ||
	    buf_get_bytes(&b, &f->dst, 4) == -1)
		return -1;
	f->proto = proto;
	if ((frag & 0x1fff) != 0)
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_SCTP)
		return 0;
	buf_init(&l4, p + ihl, totlen - ihl);
	if (buf_get_be16(&l4, &f->sport) == -1 ||
	    buf_get_be16(&l4, &f->dport) == -1) {
		f->sport = f->dport = 0;
		return 0;
	}
	return 0;
}

void
esp_selector_reverse(const struct esp_selector *s, struct esp_selector *r)
{
	r->src = s->dst;
	r->src_mask = s->dst_mask;
	r->dst = s->src;
	r->dst_mask = s->src_mask;
	r->proto = s->proto;
	r->sport = s->dport;
	r->dport = s->sport;
}

int
esp_selector_covers(const struct esp_selector *o, const struct esp_selector *i)
{
	if ((o->src_mask.s_addr & ~i->src_mask.s_addr) != 0 ||
	    (o->dst_mask.s_addr & ~i->dst_mask.s_addr) != 0)
		return 0;	/* o names bits that i leaves free */
	if (((o->src.s_addr ^ i->src.s_addr) & o->src_mask.s_addr) != 0 ||
	    ((o->dst.s_addr ^ i->dst.s_addr) & o->dst_mask.s_addr) != 0)
		return 0;
	return (o->proto == 0 || o->proto == i->proto) &&
	    (o->sport == 0 || o->sport == i->sport) &&
	    (o->dport == 0 || o->dport == i->dport);
}

int
esp_selector_match(const struct esp_selector *s, const struct esp_flow *f)
{
	if (((f->src.s_addr ^ s->src.s_addr) & s->src_mask.s_addr) != 0 ||
	    ((f->dst.s_addr ^ s->dst.s_addr) & s->dst_mask.s_addr) != 0)
		return 0;
	if (s->proto != 0 && s->proto != f->proto)
		return 0;
	if (s->sport != 0 && s->sport != f->sport)
		return 0;
	if (s->dport != 0 && s->dport != f->dport)
		return 0;
	return 1;
}
