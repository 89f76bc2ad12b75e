/*
 * The security policy database from the crypto maps: one policy per ACL
 * entry of every crypto map entry bound to an interface, installed in the
 * data plane under a reqid that is stable across reloads; the lookups
 * (by reqid, by the flows a peer proposes) and the proxy identities that
 * carry a selector in Quick Mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"

/* ---- crypto map entries -------------------------------------------------- */

const struct conf_map_entry *
ike_map_entry(const struct config *cf, const char *map, int seq)
{
	const struct conf_crypto_map *m = conf_map_find(cf, map);

	if (m == NULL)
		return NULL;
	for (int i = 0; i < m->nentries; i++)
		if (m->entries[i].seq == seq)
			return &m->entries[i];
	return NULL;
}

/* ---- the SPD ------------------------------------------------------------- */

/*
 * A reqid names the flows of one ACL entry of one crypto map entry: the
 * key is the map, the sequence and the entry's action and selector, so
 * adding or moving other entries does not change it.
 */
uint32_t
ike_reqid_for(struct ike *ike, const char *map, int seq, int permit,
    const struct esp_selector *sel)
{
	char	 key[160], a[INET_ADDRSTRLEN], am[INET_ADDRSTRLEN],
		 b[INET_ADDRSTRLEN], bm[INET_ADDRSTRLEN];

	snprintf(key, sizeof(key), "%s|%d|%d|%s/%s|%s/%s|%u|%u|%u", map, seq,
	    permit, addr_str(sel->src, a), addr_str(sel->src_mask, am),
	    addr_str(sel->dst, b), addr_str(sel->dst_mask, bm), sel->proto,
	    sel->sport, sel->dport);
	for (int i = 0; i < ike->nreqids; i++)
		if (strcmp(ike->reqids[i].key, key) == 0)
			return ike->reqids[i].reqid;
	ike->reqids = xreallocarray(ike->reqids, (size_t)ike->nreqids + 1,
	    sizeof(*ike->reqids));
	snprintf(ike->reqids[ike->nreqids].key, sizeof(key), "%s", key);
	ike->reqids[ike->nreqids].reqid = ike->next_reqid++;
	return ike->reqids[ike->nreqids++].reqid;
}

static int
wildcard_to_mask(struct in_addr wc, struct in_addr *mask)
{
	mask->s_addr = ~wc.s_addr;
	return addr_mask_valid(*mask) ? 0 : -1;
}

/* The address VIP or interface address a crypto map runs on. */
static int
iface_local(const struct config *cf, const struct conf_interface *ifc,
    struct in_addr *out)
{
	const struct conf_interface *gifc;
	const struct conf_standby *sb;

	if (ifc->redundancy != NULL) {
		sb = conf_standby_by_name(cf, ifc->redundancy, &gifc);
		if (sb == NULL || !sb->have_vip)
			return -1;
		*out = sb->vip;
		return 0;
	}
	if (!ifc->have_addr)
		return -1;
	*out = ifc->addr;
	return 0;
}

int
ike_local_addrs(const struct config *cf, struct in_addr *out, int max)
{
	int	 n = 0;

	for (int i = 0; i < cf->nifaces && n < max; i++) {
		struct in_addr a;
		int	 dup = 0;

		if (cf->ifaces[i].crypto_map == NULL ||
		    iface_local(cf, &cf->ifaces[i], &a) == -1)
			continue;
		for (int j = 0; j < n; j++)
			dup |= out[j].s_addr == a.s_addr;
		if (!dup)
			out[n++] = a;
	}
	return n;
}

static void
spd_add_entry(struct ike *ike, const struct conf_interface *ifc,
    struct in_addr local, const struct conf_map_entry *e,
    const struct conf_crypto_map *m, const struct conf_acl *acl)
{
	for (int k = 0; k < acl->naces; k++) {
		const struct conf_ace *a = &acl->aces[k];
		struct ike_spd	*s;
		struct esp_selector sel;

		if (a->remark != NULL)
			continue;
		memset(&sel, 0, sizeof(sel));
		if (wildcard_to_mask(a->src.wildcard, &sel.src_mask) == -1 ||
		    wildcard_to_mask(a->dst.wildcard, &sel.dst_mask) == -1) {
			log_warnx(LOG_IKE, "crypto map %s %d: access-list %s "
			    "line %d has a non-contiguous wildcard: not a "
			    "crypto selector, skipped", m->name, e->seq,
			    acl->name, a->line);
			continue;
		}
		sel.src.s_addr = a->src.addr.s_addr & sel.src_mask.s_addr;
		sel.dst.s_addr = a->dst.addr.s_addr & sel.dst_mask.s_addr;
		sel.proto = (uint8_t)a->proto;
		if ((a->sport.op != CONF_PORT_ANY &&
		    a->sport.op != CONF_PORT_EQ) ||
		    (a->dport.op != CONF_PORT_ANY &&
		    a->dport.op != CONF_PORT_EQ))
			log_warnx(LOG_IKE, "crypto map %s %d: access-list %s "
			    "line %d: only \"eq\" ports can be proxy "
			    "identities; any port is protected", m->name,
			    e->seq, acl->name, a->line);
		if (a->sport.op == CONF_PORT_EQ)
			sel.sport = a->sport.lo;
		if (a->dport.op == CONF_PORT_EQ)
			sel.dport = a->dport.lo;
		ike->spd = xreallocarray(ike->spd, (size_t)ike->nspd + 1,
		    sizeof(*ike->spd));
		s = &ike->spd[ike->nspd++];
		memset(s, 0, sizeof(*s));
		s->id = ike_reqid_for(ike, m->name, e->seq, a->permit, &sel);
		s->permit = a->permit;
		s->sel = sel;
		s->local = local;
		s->peer = e->peer;
		snprintf(s->map, sizeof(s->map), "%s", m->name);
		s->map_seq = e->seq;
		s->ace = k;
		snprintf(s->ifname, sizeof(s->ifname), "%s", ifc->name);
		s->usable = e->have_peer && e->ntsets > 0;
		/* IKEv2's: IKEv1 neither answers nor initiates for it */
		if (e->ikev2_profile.name != NULL)
			snprintf(s->v2profile, sizeof(s->v2profile), "%s",
			    e->ikev2_profile.name);
		s->reverse_route = e->reverse_route;
	}
}

int
ike_spd_install(struct ike *ike)
{
	const struct config *cf = ike->cf;
	int	 rc = 0;

	ike->nspd = 0;
	for (int i = 0; i < cf->nifaces; i++) {
		const struct conf_interface *ifc = &cf->ifaces[i];
		const struct conf_crypto_map *m;
		struct in_addr local;

		if (ifc->crypto_map == NULL ||
		    (m = conf_map_find(cf, ifc->crypto_map)) == NULL)
			continue;
		if (iface_local(cf, ifc, &local) == -1) {
			log_warnx(LOG_IKE, "interface %s: crypto map %s has no "
			    "local address (no ip address or VIP)", ifc->name,
			    m->name);
			continue;
		}
		for (int j = 0; j < m->nentries; j++) {
			const struct conf_map_entry *e = &m->entries[j];
			const struct conf_acl *acl;

			if (e->acl == NULL ||
			    (acl = conf_acl_find(cf, e->acl)) == NULL)
				continue;
			spd_add_entry(ike, ifc, local, e, m, acl);
		}
	}
	for (int i = 0; i < ike->nspd; i++) {
		struct ike_spd	*s = &ike->spd[i];
		struct esp_policy p;

		if (!s->usable)
			continue;
		memset(&p, 0, sizeof(p));
		p.id = s->id;
		p.reqid = s->id;
		p.priority = (uint32_t)i;
		p.action = s->permit ? ESP_POLICY_PROTECT : ESP_POLICY_BYPASS;
		p.sel = s->sel;
		p.local = s->local;
		p.peer = s->peer;
		p.reverse_route = s->reverse_route;
		/* show crypto ipsec sa labels a flow that has no SA yet */
		snprintf(p.map_name, sizeof(p.map_name), "%s", s->map);
		p.map_seq = s->map_seq;
		snprintf(p.ifname, sizeof(p.ifname), "%s", s->ifname);
		if (ike->be->ops->add_policy(ike->be, &p) == -1) {
			log_warnx(LOG_IKE, "data plane %s refused the policy "
			    "of crypto map %s %d entry %d", ike->be->ops->name,
			    s->map, s->map_seq, s->ace + 1);
			rc = -1;
		}
	}
	return rc;
}

void
ike_spd_remove(struct ike *ike)
{
	for (int i = 0; i < ike->nspd; i++)
		if (ike->spd[i].usable)
			(void)ike->be->ops->del_policy(ike->be, ike->spd[i].id);
	free(ike->spd);
	ike->spd = NULL;
	ike->nspd = 0;
}

const struct ike_spd *
ike_spd_by_reqid(struct ike *ike, uint32_t reqid)
{
	for (int i = 0; i < ike->nspd; i++)
		if (ike->spd[i].id == reqid)
			return &ike->spd[i];
	return NULL;
}

static int
prefix_within(struct in_addr a, struct in_addr am, struct in_addr b,
    struct in_addr bm)
{
	/* a/am inside b/bm: am at least as long, same network under bm */
	return (ntohl(am.s_addr) & ntohl(bm.s_addr)) == ntohl(bm.s_addr) &&
	    (a.s_addr & bm.s_addr) == b.s_addr;
}

static int sel_within(const struct ike_spd *, const struct esp_selector *);

uint32_t
ike_reqid_of_flows(struct ike *ike, const char *map, int seq,
    const struct esp_selector *sel)
{
	for (int i = 0; i < ike->nspd; i++)
		if (ike->spd[i].permit && ike->spd[i].map_seq == seq &&
		    strcmp(ike->spd[i].map, map) == 0 &&
		    sel_within(&ike->spd[i], sel))
			return ike->spd[i].id;
	/* not in our configuration: a reqid of its own */
	return ike_reqid_for(ike, map, seq, 1, sel);
}

const struct ike_spd *
ike_spd_match(struct ike *ike, struct in_addr local, struct in_addr peer,
    const struct esp_selector *sel)
{
	for (int i = 0; i < ike->nspd; i++) {
		const struct ike_spd *s = &ike->spd[i];

		if (!s->usable || !s->permit || s->v2profile[0] != '\0' ||
		    s->local.s_addr != local.s_addr ||
		    s->peer.s_addr != peer.s_addr || !sel_within(s, sel))
			continue;
		return s;
	}
	return NULL;
}

/* The flows of sel inside the ACL entry of s. */
static int
sel_within(const struct ike_spd *s, const struct esp_selector *sel)
{
	if (!prefix_within(sel->src, sel->src_mask, s->sel.src,
	    s->sel.src_mask) ||
	    !prefix_within(sel->dst, sel->dst_mask, s->sel.dst,
	    s->sel.dst_mask))
		return 0;
	if (s->sel.proto != 0 && s->sel.proto != sel->proto)
		return 0;
	if (s->sel.sport != 0 && s->sel.sport != sel->sport)
		return 0;
	if (s->sel.dport != 0 && s->sel.dport != sel->dport)
		return 0;
	return 1;
}

/* ---- proxy identities ---------------------------------------------------- */

void
ike_id_from_sel(struct ike_id *id, uint8_t *buf, struct in_addr addr,
    struct in_addr mask, uint8_t proto, uint16_t port)
{
	id->proto = proto;
	id->port = port;
	id->data = buf;
	memcpy(buf, &addr, 4);
	if (mask.s_addr == INADDR_BROADCAST) {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
	} else {
		id->type = IKE_ID_IPV4_ADDR_SUBNET;
		memcpy(buf + 4, &mask, 4);
		id->len = 8;
	}
}

int
ike_id_to_sel(const struct ike_id *id, struct in_addr *addr,
    struct in_addr *mask, uint8_t *proto, uint16_t *port)
{
	uint32_t lo, hi, m;

	*proto = id->proto;
	*port = id->port;
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		memcpy(addr, id->data, 4);
		mask->s_addr = INADDR_BROADCAST;
		return 0;
	case IKE_ID_IPV4_ADDR_SUBNET:
		memcpy(addr, id->data, 4);
		memcpy(mask, id->data + 4, 4);
		if (!addr_mask_valid(*mask))
			return -1;
		addr->s_addr &= mask->s_addr;
		return 0;
	case IKE_ID_IPV4_ADDR_RANGE:
		/* only a range that is a prefix */
		memcpy(&lo, id->data, 4);
		memcpy(&hi, id->data + 4, 4);
		lo = ntohl(lo);
		hi = ntohl(hi);
		m = ~(lo ^ hi);
		if ((lo & ~m) != 0 || (hi | m) != UINT32_MAX ||
		    (m != 0 && (~m & (~m + 1)) != 0))
			return -1;
		addr->s_addr = htonl(lo);
		mask->s_addr = htonl(m);
		return addr_mask_valid(*mask) ? 0 : -1;
	}
	return -1;
}

/* ---- for show commands --------------------------------------------------- */

int
ike_map_local(const struct config *cf, const struct conf_interface *ifc,
    struct in_addr *out)
{
	return iface_local(cf, ifc, out);
}

int
ike_policy_origin(struct ike *ike, uint32_t id, char *map, size_t maplen,
    int *seq, int *ace)
{
	const struct ike_spd *s = ike_spd_by_reqid(ike, id);

	if (s == NULL)
		return -1;
	snprintf(map, maplen, "%s", s->map);
	*seq = s->map_seq;
	*ace = s->ace;
	return 0;
}
