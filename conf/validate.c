/*
 * Checks across lines, once the whole file is read: every name a line uses
 * is defined, groups and addresses fit together, and the order the other
 * modules rely on (policies by priority, map entries by sequence) is set.
 * Each problem is reported at the line that made it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

static int
policy_cmp(const void *a, const void *b)
{
	const struct conf_isakmp_policy *x = a, *y = b;

	return x->priority - y->priority;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct conf_map_entry *x = a, *y = b;

	return x->seq - y->seq;
}

/* Named lists first, then numbered ones, each in file order: print order. */
static int
acl_cmp(const void *a, const void *b)
{
	const struct conf_acl *x = a, *y = b;

	if (x->numbered != y->numbered)
		return x->numbered - y->numbered;
	return x->line - y->line;
}

static void
check_policies(struct config *cf, struct conf_notes *d)
{
	if (cf->npolicies > 1)
		qsort(cf->policies, (size_t)cf->npolicies,
		    sizeof(*cf->policies), policy_cmp);
	for (int i = 0; i < cf->npolicies; i++) {
		struct conf_isakmp_policy *pol = &cf->policies[i];

		if (pol->enc == ALG_ENC_DES)
			conf_note_add(d, pol->line, 1, "crypto isakmp "
			    "policy %d uses des (the IOS default encryption): "
			    "accepted, but never offered or accepted, since "
			    "des is insecure", pol->priority);
		if (pol->auth == CONF_AUTH_RSA_SIG)
			conf_note_add(d, pol->line, 1, "crypto isakmp "
			    "policy %d uses rsa-sig (the IOS default "
			    "authentication): accepted, but never offered or "
			    "accepted, since havpn supports pre-share only "
			    "for now", pol->priority);
	}
}

static int
have_psk_for(const struct config *cf, struct in_addr peer)
{
	for (int i = 0; i < cf->npeers; i++)
		if (cf->peers[i].addr.s_addr == peer.s_addr &&
		    cf->peers[i].password != NULL)
			return 1;
	for (int i = 0; i < cf->nkeys; i++)
		if (addr_match_wildcard(peer, cf->keys[i].addr,
		    (struct in_addr){ ~cf->keys[i].mask.s_addr }))
			return 1;
	return 0;
}

static void
check_maps(struct config *cf, struct conf_notes *d)
{
	char	 a[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->nmaps; i++) {
		struct conf_crypto_map *m = &cf->maps[i];

		if (m->nentries == 0) {
			conf_note_add(d, m->line, 0, "crypto map %s has no "
			    "entries (crypto map %s SEQ ipsec-isakmp)",
			    m->name, m->name);
			continue;
		}
		if (m->nentries > 1)
			qsort(m->entries, (size_t)m->nentries,
			    sizeof(*m->entries), entry_cmp);
		for (int j = 0; j < m->nentries; j++) {
			struct conf_map_entry *e = &m->entries[j];

			for (int k = 0; k < e->ntsets; k++)
				if (conf_tset_find(cf, e->tsets[k]) == NULL)
					conf_note_add(d, e->tsets_line, 0,
					    "crypto map %s %d: transform-set "
					    "%s is not defined", m->name,
					    e->seq, e->tsets[k]);
			if (e->acl != NULL && conf_acl_find(cf, e->acl) == NULL)
				conf_note_add(d, e->acl_line, 0, "crypto map "
				    "%s %d: access list %s is not defined "
				    "(extended lists: 100-199 or ip "
				    "access-list extended NAME)", m->name,
				    e->seq, e->acl);
			if (!e->have_peer || e->acl == NULL || e->ntsets == 0)
				conf_note_add(d, e->line, 1, "crypto map "
				    "%s %d stays disabled until it has a peer, "
				    "a match address and a transform-set",
				    m->name, e->seq);
			else if (e->ikev2_profile.name == NULL &&
			    !have_psk_for(cf, e->peer))
				conf_note_add(d, e->line, 1, "crypto map "
				    "%s %d: no crypto isakmp key matches peer "
				    "%s", m->name, e->seq,
				    addr_str(e->peer, a));
		}
	}
}

static void
check_standby(struct config *cf, struct conf_notes *d)
{
	char	 b1[80], b2[80], a[INET_ADDRSTRLEN];
	const char *n1, *n2;

	for (int i = 0; i < cf->nifaces; i++) {
		struct conf_interface *ifc = &cf->ifaces[i];

		for (int j = 0; j < ifc->nstandby; j++) {
			struct conf_standby *sb = &ifc->standby[j];

			if (!sb->have_vip)
				conf_note_add(d, sb->line, 0, "standby %d "
				    "on %s has no virtual IP (standby %d ip "
				    "VIP)", sb->group, ifc->name, sb->group);
			else if (ifc->have_addr && !addr_match_wildcard(
			    sb->vip, ifc->addr,
			    (struct in_addr){ ~ifc->mask.s_addr }))
				conf_note_add(d, sb->line, 0, "standby %d: "
				    "virtual IP %s is outside %s's subnet",
				    sb->group, addr_str(sb->vip, a), ifc->name);
			else if (ifc->have_addr &&
			    sb->vip.s_addr == ifc->addr.s_addr)
				conf_note_add(d, sb->line, 0, "standby %d: "
				    "the virtual IP is the interface's own "
				    "address", sb->group);
			for (int k = 0; k < sb->ntracks; k++)
				if (conf_track_find(cf, sb->tracks[k].id) ==
				    NULL)
					conf_note_add(d, sb->line, 0,
					    "standby %d track %d: track "
					    "object %d is not defined",
					    sb->group, sb->tracks[k].id,
					    sb->tracks[k].id);
			/* names and VIPs are unique across the node */
			n1 = conf_standby_name(ifc, sb, b1, sizeof(b1));
			for (int x = 0; x <= i; x++) {
				struct conf_interface *o = &cf->ifaces[x];

				for (int y = 0; y < (x == i ? j : o->nstandby);
				    y++) {
					struct conf_standby *s2 = &o->standby[y];

					n2 = conf_standby_name(o, s2, b2,
					    sizeof(b2));
					if (strcmp(n1, n2) == 0)
						conf_note_add(d, sb->line,
						    0, "standby group name %s "
						    "is used by line %d too",
						    n1, s2->line);
					if (sb->have_vip && s2->have_vip &&
					    sb->vip.s_addr == s2->vip.s_addr)
						conf_note_add(d, sb->line,
						    0, "virtual IP %s is used "
						    "by line %d too",
						    addr_str(sb->vip, a),
						    s2->line);
				}
			}
		}
	}
}

static void
check_ifaces(struct config *cf, struct conf_notes *d)
{
	const struct conf_interface *owner;

	for (int i = 0; i < cf->nifaces; i++) {
		struct conf_interface *ifc = &cf->ifaces[i];

		if (ifc->crypto_map == NULL)
			continue;
		if (conf_map_find(cf, ifc->crypto_map) == NULL)
			conf_note_add(d, ifc->crypto_map_line, 0, "crypto "
			    "map %s is not defined", ifc->crypto_map);
		if (ifc->redundancy != NULL &&
		    conf_standby_by_name(cf, ifc->redundancy, &owner) == NULL)
			conf_note_add(d, ifc->crypto_map_line, 0, "crypto "
			    "map %s redundancy %s: no standby group is named "
			    "%s (standby GRP name %s)", ifc->crypto_map,
			    ifc->redundancy, ifc->redundancy, ifc->redundancy);
		if (ifc->stateful && cf->redundancy.line == 0)
			conf_note_add(d, ifc->crypto_map_line, 0, "crypto "
			    "map %s ... stateful needs \"redundancy "
			    "inter-device\" and \"ipc zone default\"",
			    ifc->crypto_map);
	}
}

/* The first interface that applies a stateful crypto map, or NULL. */
static const struct conf_interface *
stateful_iface(const struct config *cf)
{
	for (int i = 0; i < cf->nifaces; i++)
		if (cf->ifaces[i].crypto_map != NULL && cf->ifaces[i].stateful)
			return &cf->ifaces[i];
	return NULL;
}

static void
check_redundancy(struct config *cf, const struct conf_host *host,
    struct conf_notes *d)
{
	struct conf_redundancy *r = &cf->redundancy;
	struct conf_ipc_assoc *a = &cf->ipc;
	const struct conf_interface *owner;

	if (r->line != 0) {
		if (r->scheme_group == NULL)
			conf_note_add(d, r->line, 0, "redundancy "
			    "inter-device needs \"scheme standby "
			    "GROUPNAME\"");
		else if (conf_standby_by_name(cf, r->scheme_group, &owner) ==
		    NULL)
			conf_note_add(d, r->scheme_line, 0, "scheme "
			    "standby %s: no standby group is named %s",
			    r->scheme_group, r->scheme_group);
		/* with a stateful map, -t says so as an error (check_sync) */
		if (r->security_key == NULL &&
		    (host == NULL || stateful_iface(cf) == NULL))
			conf_note_add(d, r->line, 1, "redundancy "
			    "inter-device has no \"security key SECRET\": "
			    "the sync channel carries SA keys and stays down "
			    "until one is set");
		if (a->line == 0)
			conf_note_add(d, r->line, 1, "redundancy "
			    "inter-device without \"ipc zone default\": "
			    "no state is replicated");
	}
	if (a->line == 0 || a->shutdown)
		return;
	if (!a->have_protocol)
		conf_note_add(d, a->line, 0, "association 1 needs "
		    "\"protocol sctp\"");
	else if (a->local_port == 0 || a->nlocal_ip == 0)
		conf_note_add(d, a->line, 0, "association 1 needs "
		    "\"local-port PORT\" with \"local-ip ADDR\"");
	else if (a->remote_port == 0 || a->nremote_ip == 0)
		conf_note_add(d, a->line, 0, "association 1 needs "
		    "\"remote-port PORT\" with \"remote-ip ADDR\"");
}

static void
check_peers(struct config *cf, struct conf_notes *d)
{
	char	 a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->npeers; i++) {
		const struct conf_isakmp_peer *pe = &cf->peers[i];

		if (!pe->have_endpoint)
			continue;
		if (cf->aggressive_disable)
			conf_note_add(d, pe->line, 1, "crypto isakmp peer "
			    "%s initiates Aggressive Mode while \"crypto "
			    "isakmp aggressive-mode disable\" refuses it from "
			    "peers", addr_str(pe->addr, a));
		if (!have_psk_for(cf, pe->addr))
			conf_note_add(d, pe->line, 1, "crypto isakmp peer "
			    "%s: no pre-shared key (set aggressive-mode "
			    "password, or crypto isakmp key)",
			    addr_str(pe->addr, a));
	}
	/* Aggressive Mode is answered only with a key for the address */
	for (int i = 0; i < cf->nkeys && !cf->aggressive_disable; i++) {
		const struct conf_isakmp_key *k = &cf->keys[i];

		if (k->mask.s_addr == 0xffffffff)
			continue;
		conf_note_add(d, k->line, 1, "crypto isakmp key ... address "
		    "%s %s: peers that only this key covers cannot use "
		    "Aggressive Mode (a wildcard key never answers it: its "
		    "HASH_R would expose the key to offline guessing); give "
		    "them a key for their own address, or say \"crypto "
		    "isakmp aggressive-mode disable\"", addr_str(k->addr, a),
		    addr_str(k->mask, m));
	}
}

/*
 * Can the configuration carry a tunnel?  Each problem is a warning for
 * conf_load() (the daemon starts: IOS would take the lines too) and an
 * error for havpnd -t (host != NULL).
 */
static void
check_tunnel(struct config *cf, const struct conf_host *host,
    struct conf_notes *d)
{
	int	 warn = host == NULL, usable = 0, applied;
	char	 why[512];
	size_t	 n = 0;

	for (int i = 0; i < cf->npolicies; i++)
		usable += conf_policy_usable(&cf->policies[i]);
	if (cf->npolicies > 0 && usable == 0) {
		why[0] = '\0';
		for (int i = 0; i < cf->npolicies && n < sizeof(why); i++) {
			const struct conf_isakmp_policy *pol = &cf->policies[i];

			n += (size_t)snprintf(why + n, sizeof(why) - n,
			    "%s%d (%s%s%s)", i == 0 ? "" : ", ", pol->priority,
			    pol->enc == ALG_ENC_DES ? "des" : "",
			    pol->enc == ALG_ENC_DES &&
			    pol->auth == CONF_AUTH_RSA_SIG ? ", " : "",
			    pol->auth == CONF_AUTH_RSA_SIG ? "rsa-sig" : "");
		}
		conf_note_add(d, cf->policies[0].line, warn, "no crypto isakmp "
		    "policy is usable, so no tunnel can come up: policies %s; "
		    "give one \"encryption aes\" (or 3des) and "
		    "\"authentication pre-share\"", why);
	}
	for (int i = 0; i < cf->nmaps; i++) {
		const struct conf_crypto_map *m = &cf->maps[i];

		applied = 0;
		for (int j = 0; j < cf->nifaces; j++)
			if (cf->ifaces[j].crypto_map != NULL &&
			    strcmp(cf->ifaces[j].crypto_map, m->name) == 0)
				applied = 1;
		if (!applied && m->nentries > 0)
			conf_note_add(d, m->line, warn,
			    "crypto map %s is applied "
			    "to no interface, so it protects nothing "
			    "(interface IFNAME, then \" crypto map %s\")",
			    m->name, m->name);
		if (applied && cf->npolicies == 0)
			conf_note_add(d, m->line, warn,
			    "crypto map %s: no crypto "
			    "isakmp policy is configured, so phase 1 has "
			    "nothing to offer (crypto isakmp policy 10)",
			    m->name);
		for (int j = 0; j < m->nentries; j++) {
			const struct conf_map_entry *e = &m->entries[j];
			const struct conf_acl *acl;
			int	 permits = 0;

			if (e->acl == NULL ||
			    (acl = conf_acl_find(cf, e->acl)) == NULL)
				continue;
			for (int k = 0; k < acl->naces; k++)
				permits += acl->aces[k].remark == NULL &&
				    acl->aces[k].permit;
			if (permits == 0)
				conf_note_add(d, e->acl_line, warn,
				    "crypto map %s "
				    "%d: access list %s (line %d) has no "
				    "permit entry, so the entry protects "
				    "nothing", m->name, e->seq, acl->name,
				    acl->line);
		}
	}
}

/*
 * Can the pair sync?  Warnings for conf_load(), errors for havpnd -t, as
 * in check_tunnel().
 */
static void
check_sync(struct config *cf, const struct conf_host *host,
    struct conf_notes *d)
{
	const struct conf_ipc_assoc *a = &cf->ipc;
	const struct conf_interface *ifc;
	int	 warn = host == NULL;
	char	 s[INET_ADDRSTRLEN];

	if (host != NULL && cf->redundancy.line != 0 &&
	    cf->redundancy.security_key == NULL &&
	    (ifc = stateful_iface(cf)) != NULL)
		conf_note_add(d, cf->redundancy.line, 0,
		    "redundancy inter-device "
		    "has no \"security key SECRET\", so the stateful crypto "
		    "map %s on %s (line %d) cannot sync: the sync channel "
		    "carries SA keys and stays down without one",
		    ifc->crypto_map, ifc->name, ifc->crypto_map_line);
	if (a->line == 0 || a->shutdown)
		return;
	for (int i = 0; i < a->nlocal_ip; i++)
		for (int j = 0; j < a->nremote_ip; j++)
			if (a->local_ip[i].s_addr == a->remote_ip[j].s_addr)
				conf_note_add(d, a->line, warn,
				    "association %d: "
				    "local-ip and remote-ip are both %s; the "
				    "remote is the other node's address",
				    a->id, addr_str(a->local_ip[i], s));
	if (host != NULL && !host->kernel_sctp && a->encap_udp_port == 0)
		conf_note_add(d, a->line, 0, "this kernel has no SCTP; add '   "
		    "encapsulation udp PORT' to association %d", a->id);
}

int
conf_validate(struct config *cf, const struct conf_host *host,
    struct conf_notes *d)
{
	int	 before = d->errors;

	if (cf->nacls > 1)
		qsort(cf->acls, (size_t)cf->nacls, sizeof(*cf->acls), acl_cmp);
	check_policies(cf, d);
	check_peers(cf, d);
	check_maps(cf, d);
	conf_validate_ikev2(cf, d);
	check_standby(cf, d);
	check_ifaces(cf, d);
	check_redundancy(cf, host, d);
	/* -t's checks only on a file without errors of its own */
	if (host == NULL || d->errors == before) {
		check_tunnel(cf, host, d);
		check_sync(cf, host, d);
	}
	return d->errors == before ? 0 : -1;
}
