/*
 * The flow of an IPv4 packet (addresses, protocol, ports) and selector
 * matching, for the SPD lookup outbound and the selector check inbound.
 * The header is read by ip4_parse() (lib/lib.h, with its diagram).
 *
 * Ports are read only from the first fragment of TCP, UDP and SCTP; a
 * later fragment has ports 0 and so matches only port-less selectors, as
 * IOS and RFC 4301 5.1.2 (OPAQUE) treat it.
 */
#include <string.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

void
esp_flow_from_ip4(const struct ip4_hdr *ip, struct buf *l4, struct esp_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->src = ip->src;
	f->dst = ip->dst;
	f->proto = ip->proto;
	if ((ip->frag & IP4_FRAG_OFFSET) != 0)
		return;
	if (ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP &&
	    ip->proto != IPPROTO_SCTP)
		return;
	if (buf_get_be16(l4, &f->sport) == -1 ||
	    buf_get_be16(l4, &f->dport) == -1)
		f->sport = f->dport = 0;
}

int
esp_flow_parse(const uint8_t *p, size_t len, struct esp_flow *f)
{
	struct buf	 b, l4;
	struct ip4_hdr	 ip;

	buf_init(&b, p, len);
	if (ip4_parse(&b, &ip, &l4) != IP4_OK) {
		memset(f, 0, sizeof(*f));
		return -1;
	}
	esp_flow_from_ip4(&ip, &l4, f);
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
