/*
 * Traffic selectors against SPD selectors: see ts.h.
 */
#include <string.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "ike/v2/ts.h"

/* One side of a selector: a prefix, a port or any, a protocol or any. */
struct side {
	uint32_t	 lo;		/* host order */
	uint32_t	 hi;
	uint16_t	 port;		/* 0: any */
};

static void
side_of(struct in_addr a, struct in_addr m, uint16_t port, struct side *s)
{
	s->lo = ntohl(a.s_addr) & ntohl(m.s_addr);
	s->hi = s->lo | ~ntohl(m.s_addr);
	s->port = port;
}

static void
ts_of(const struct side *s, uint8_t proto, struct ike2_ts *t)
{
	memset(t, 0, sizeof(*t));
	t->type = IKE2_TS_IPV4_ADDR_RANGE;
	t->known = 1;
	t->addrlen = 4;
	t->proto = proto;
	t->sport = s->port;
	t->eport = s->port != 0 ? s->port : 65535;
	be32_put(t->start, s->lo);
	be32_put(t->end, s->hi);
}

static int
ts_v4(const struct ike2_ts *t)
{
	return t->known && t->type == IKE2_TS_IPV4_ADDR_RANGE &&
	    t->addrlen == 4;
}

void
ike2_ts_from_sel(const struct esp_selector *sel, struct ike2_ts *local,
    struct ike2_ts *remote)
{
	struct side	 s;

	side_of(sel->src, sel->src_mask, sel->sport, &s);
	ts_of(&s, sel->proto, local);
	side_of(sel->dst, sel->dst_mask, sel->dport, &s);
	ts_of(&s, sel->proto, remote);
}

/* The range [lo, hi] as a prefix: 0 with the mask (host order), or -1. */
static int
range_prefix(uint32_t lo, uint32_t hi, uint32_t *mask)
{
	uint32_t	 span = hi - lo;

	if (lo > hi || (span & (span + 1)) != 0 || (lo & span) != 0)
		return -1;
	*mask = ~span;
	return 0;
}

/* A TS's ports as ours: 0 for all of them, the port for one, or -1. */
static int
ts_port(const struct ike2_ts *t)
{
	if (t->sport == 0 && t->eport == 65535)
		return 0;
	if (t->sport == t->eport && t->sport != 0)
		return t->sport;
	return -1;
}

/* The protocol both accept: ours, theirs where ours is any, or -1. */
static int
proto_meet(uint8_t ours, uint8_t theirs)
{
	if (ours == theirs || theirs == 0)
		return ours;
	if (ours == 0)
		return theirs;
	return -1;
}

/*
 * One side: ours whole if one TS covers it, else the first TS that is a
 * prefix inside ours.  *proto narrows as the TSs do.  0 or -1.
 */
static int
narrow_side(const struct ike2_ts *ts, int n, const struct side *ours,
    int *proto, struct side *out)
{
	for (int i = 0; i < n; i++) {
		const struct ike2_ts *t = &ts[i];
		int	 p = proto_meet((uint8_t)*proto, t->proto);

		if (p == -1 || !ts_v4(t) || be32_get(t->start) > ours->lo ||
		    be32_get(t->end) < ours->hi)
			continue;
		if (ours->port != 0 ? t->sport > ours->port ||
		    t->eport < ours->port : ts_port(t) != 0)
			continue;
		*out = *ours;
		*proto = p;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const struct ike2_ts *t = &ts[i];
		uint32_t lo = be32_get(t->start), hi = be32_get(t->end);
		uint32_t mask;
		int	 p = proto_meet((uint8_t)*proto, t->proto), port;

		if (p == -1 || !ts_v4(t) || lo < ours->lo || hi > ours->hi ||
		    range_prefix(lo, hi, &mask) == -1 ||
		    (port = ts_port(t)) == -1 ||
		    (ours->port != 0 && port != ours->port))
			continue;
		out->lo = lo;
		out->hi = hi;
		out->port = (uint16_t)port;
		*proto = p;
		return 0;
	}
	return -1;
}

static void
sel_side(const struct side *s, struct in_addr *a, struct in_addr *m,
    uint16_t *port)
{
	a->s_addr = htonl(s->lo);
	m->s_addr = htonl(~(s->hi - s->lo));
	*port = s->port;
}

int
ike2_ts_narrow(const struct ike2_ts *tsi, int ni, const struct ike2_ts *tsr,
    int nr, const struct esp_selector *sel, struct esp_selector *out)
{
	struct side	 local, remote, l, r;
	int		 proto = sel->proto;

	side_of(sel->src, sel->src_mask, sel->sport, &local);
	side_of(sel->dst, sel->dst_mask, sel->dport, &remote);
	if (narrow_side(tsr, nr, &local, &proto, &l) == -1 ||
	    narrow_side(tsi, ni, &remote, &proto, &r) == -1)
		return -1;
	memset(out, 0, sizeof(*out));
	sel_side(&l, &out->src, &out->src_mask, &out->sport);
	sel_side(&r, &out->dst, &out->dst_mask, &out->dport);
	out->proto = (uint8_t)proto;
	return 0;
}

int
ike2_ts_accept(const struct ike2_ts *tsi, const struct ike2_ts *tsr,
    const struct esp_selector *sel, struct esp_selector *out)
{
	/* the responder's TSi is our side (sel's source), its TSr theirs */
	return ike2_ts_narrow(tsr, 1, tsi, 1, sel, out);
}
