/*
 * The IKEv2 configuration for one IKE SA: see policy.h.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "ike/v2/policy.h"

void
ike2_id_from_conf(const struct conf_ike_id *c, struct in_addr local,
    struct ike2_idbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->id.data = b->data;
	if (c->type == CONF_ID_FQDN) {
		b->id.type = IKE2_ID_FQDN;
		b->id.len = strlen(c->fqdn);
		memcpy(b->data, c->fqdn, b->id.len);
		return;
	}
	b->id.type = IKE2_ID_IPV4_ADDR;
	b->id.len = 4;
	memcpy(b->data, c->type == CONF_ID_ADDRESS ? &c->addr : &local, 4);
}

void
ike2_id_keep(const struct ike2_id *id, struct ike2_idbuf *b)
{
	memset(b, 0, sizeof(*b));
	b->id.type = id->type;
	b->id.len = id->len < IKE2_ID_MAX ? id->len : IKE2_ID_MAX;
	b->id.data = b->data;
	memcpy(b->data, id->data, b->id.len);
}

void
ike2_id_str(const struct ike2_id *id, char *buf, size_t len)
{
	if (id->type == IKE2_ID_IPV4_ADDR && id->len == 4)
		(void)inet_ntop(AF_INET, id->data, buf, (socklen_t)len);
	else if (id->type == IKE2_ID_FQDN) {
		size_t	 n = id->len < len - 1 ? id->len : len - 1;

		/* printable only: it came off the wire */
		for (size_t i = 0; i < n; i++)
			buf[i] = id->data[i] >= 0x20 && id->data[i] < 0x7f ?
			    (char)id->data[i] : '?';
		buf[n] = '\0';
	} else
		snprintf(buf, len, "(type %u)", id->type);
}

static int
has_local(const struct conf_ikev2_policy *x, struct in_addr local)
{
	for (int i = 0; i < x->nlocal; i++)
		if (x->local[i].s_addr == local.s_addr)
			return 1;
	return 0;
}

int
ike2_policy_proposals(const struct config *cf, struct in_addr local,
    const struct conf_ikev2_proposal **out, int max)
{
	int	 n = 0, specific = 0;

	for (int i = 0; i < cf->nv2policies; i++)
		specific |= has_local(&cf->v2policies[i], local);
	for (int i = 0; i < cf->nv2policies; i++) {
		const struct conf_ikev2_policy *x = &cf->v2policies[i];

		if (specific ? !has_local(x, local) : x->nlocal != 0)
			continue;
		for (int j = 0; j < x->nproposals && n < max; j++) {
			const struct conf_ikev2_proposal *p =
			    conf_v2proposal_find(cf, x->proposals[j].name);
			int	 dup = 0;

			for (int k = 0; k < n; k++)
				dup |= out[k] == p;
			if (p != NULL && !dup)
				out[n++] = p;
		}
	}
	return n;
}

static int
id_is_fqdn(const struct ike2_id *id, const char *fqdn)
{
	return id->type == IKE2_ID_FQDN && id->len == strlen(fqdn) &&
	    strncasecmp((const char *)id->data, fqdn, id->len) == 0;
}

static int
id_addr(const struct ike2_id *id, struct in_addr *a)
{
	if (id->type != IKE2_ID_IPV4_ADDR || id->len != 4)
		return -1;
	memcpy(a, id->data, 4);
	return 0;
}

const struct conf_ikev2_profile *
ike2_profile_for_id(const struct config *cf, const struct ike2_id *id)
{
	struct in_addr	 a = { 0 };
	int		 is_addr = id_addr(id, &a) == 0;

	for (int i = 0; i < cf->nv2profiles; i++) {
		const struct conf_ikev2_profile *x = &cf->v2profiles[i];

		for (int j = 0; j < x->nmatch; j++) {
			const struct conf_ikev2_match *m = &x->match[j];

			if (m->type == CONF_ID_FQDN && id_is_fqdn(id, m->fqdn))
				return x;
			if (m->type == CONF_ID_ADDRESS && is_addr &&
			    (a.s_addr & m->mask.s_addr) == m->addr.s_addr)
				return x;
		}
	}
	return NULL;
}

const struct conf_ikev2_kpeer *
ike2_keyring_peer(const struct config *cf, const struct conf_ikev2_profile *x,
    struct in_addr remote, const struct ike2_id *id)
{
	const struct conf_ikev2_keyring *k;
	const struct conf_ikev2_kpeer *best = NULL;
	struct in_addr	 a;

	if (x->keyring.name == NULL ||
	    (k = conf_v2keyring_find(cf, x->keyring.name)) == NULL)
		return NULL;
	for (int i = 0; id != NULL && i < k->npeers; i++) {
		const struct conf_ikev2_kpeer *pe = &k->peers[i];

		if ((pe->id.type == CONF_ID_FQDN &&
		    id_is_fqdn(id, pe->id.fqdn)) ||
		    (pe->id.type == CONF_ID_ADDRESS &&
		    id_addr(id, &a) == 0 && a.s_addr == pe->id.addr.s_addr))
			return pe;
	}
	for (int i = 0; i < k->npeers; i++) {
		const struct conf_ikev2_kpeer *pe = &k->peers[i];

		if (!pe->have_addr ||
		    (remote.s_addr & pe->mask.s_addr) != pe->addr.s_addr)
			continue;
		if (best == NULL ||
		    ntohl(pe->mask.s_addr) > ntohl(best->mask.s_addr))
			best = pe;
	}
	return best;
}
