/*
 * Deep equality of two configs, ignoring where each value was written
 * (line numbers, the file path).  The print/re-parse round trip and
 * SIGHUP's "nothing changed" both rest on it.
 */
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

#define EQ(f)		(a->f == b->f)
#define EQS(f)		str_eq(a->f, b->f)
#define EQA(f)		(a->f.s_addr == b->f.s_addr)

static int
str_eq(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

static int
policy_eq(const struct conf_isakmp_policy *a,
    const struct conf_isakmp_policy *b)
{
	return EQ(priority) && EQ(enc) && EQ(keylen) && EQ(hash) &&
	    EQ(auth) && EQ(group) && EQ(lifetime);
}

static int
key_eq(const struct conf_isakmp_key *a, const struct conf_isakmp_key *b)
{
	return EQS(key) && EQA(addr) && EQA(mask) && EQ(no_xauth);
}

static int
tset_eq(const struct conf_transform_set *a, const struct conf_transform_set *b)
{
	return EQS(name) && EQ(enc) && EQ(keylen) && EQ(auth) &&
	    EQ(transport);
}

static int
entry_eq(const struct conf_map_entry *a, const struct conf_map_entry *b)
{
	if (!(EQ(seq) && EQ(have_peer) && EQA(peer) && EQ(ntsets) &&
	    EQ(pfs_group) && EQ(life_seconds) && EQ(life_kbytes) &&
	    EQS(acl) && EQ(reverse_route) &&
	    str_eq(a->ikev2_profile.name, b->ikev2_profile.name)))
		return 0;
	for (int i = 0; i < a->ntsets; i++)
		if (!str_eq(a->tsets[i], b->tsets[i]))
			return 0;
	return 1;
}

static int
map_eq(const struct conf_crypto_map *a, const struct conf_crypto_map *b)
{
	if (!(EQS(name) && EQ(nentries) && EQ(replay_in) && EQ(replay_out)))
		return 0;
	for (int i = 0; i < a->nentries; i++)
		if (!entry_eq(&a->entries[i], &b->entries[i]))
			return 0;
	return 1;
}

static int
aclport_eq(const struct conf_acl_port *a, const struct conf_acl_port *b)
{
	return EQ(op) && EQ(lo) && (a->op != CONF_PORT_RANGE || EQ(hi));
}

static int
ace_eq(const struct conf_ace *a, const struct conf_ace *b)
{
	return EQS(remark) && EQ(permit) && EQ(proto) && EQA(src.addr) &&
	    EQA(src.wildcard) && aclport_eq(&a->sport, &b->sport) &&
	    EQA(dst.addr) && EQA(dst.wildcard) &&
	    aclport_eq(&a->dport, &b->dport) && EQ(established) &&
	    EQ(icmp_type) && EQ(icmp_code) && EQ(log);
}

static int
acl_eq(const struct conf_acl *a, const struct conf_acl *b)
{
	if (!(EQS(name) && EQ(numbered) && EQ(naces)))
		return 0;
	for (int i = 0; i < a->naces; i++)
		if (!ace_eq(&a->aces[i], &b->aces[i]))
			return 0;
	return 1;
}

static int
standby_eq(const struct conf_standby *a, const struct conf_standby *b)
{
	if (!(EQ(group) && EQ(have_vip) && EQA(vip) && EQ(priority) &&
	    EQ(preempt) && EQ(preempt_delay) && EQ(hello_ms) &&
	    EQ(hold_ms) && EQS(name) && EQ(checksum_rfc9568) &&
	    EQ(have_peer) && (!a->have_peer || EQA(peer)) && EQ(ntracks)))
		return 0;
	for (int i = 0; i < a->ntracks; i++)
		if (a->tracks[i].id != b->tracks[i].id ||
		    a->tracks[i].decrement != b->tracks[i].decrement ||
		    a->tracks[i].shutdown != b->tracks[i].shutdown)
			return 0;
	return 1;
}

static int
iface_eq(const struct conf_interface *a, const struct conf_interface *b)
{
	if (!(EQS(name) && EQS(description) && EQ(have_addr) &&
	    (!a->have_addr || (EQA(addr) && EQA(mask))) && EQ(nstandby) &&
	    EQS(crypto_map) && EQS(redundancy) && EQ(stateful)))
		return 0;
	for (int i = 0; i < a->nstandby; i++)
		if (!standby_eq(&a->standby[i], &b->standby[i]))
			return 0;
	return 1;
}

static int
ipc_eq(const struct conf_ipc_assoc *a, const struct conf_ipc_assoc *b)
{
	if ((a->line == 0) != (b->line == 0))
		return 0;
	if (a->line == 0)
		return 1;
	if (!(EQ(id) && EQ(shutdown) && EQ(have_protocol) && EQ(local_port) &&
	    EQ(nlocal_ip) && EQ(remote_port) && EQ(nremote_ip) &&
	    EQ(rto_min_ms) && EQ(rto_max_ms) && EQ(path_retransmit) &&
	    EQ(assoc_retransmit) && EQ(encap_udp_port) && EQ(lanes)))
		return 0;
	for (int i = 0; i < a->nlocal_ip; i++)
		if (!EQA(local_ip[i]))
			return 0;
	for (int i = 0; i < a->nremote_ip; i++)
		if (!EQA(remote_ip[i]))
			return 0;
	return 1;
}

#define LIST_EQ(n, arr, fn)						\
	do {								\
		if (a->n != b->n)					\
			return 0;					\
		for (int i = 0; i < a->n; i++)				\
			if (!fn(&a->arr[i], &b->arr[i]))		\
				return 0;				\
	} while (0)

static int
peer_eq(const struct conf_isakmp_peer *a, const struct conf_isakmp_peer *b)
{
	return EQ(addr.s_addr) && EQ(have_endpoint) &&
	    EQ(endpoint.s_addr) && str_eq(a->password, b->password);
}

static int
track_eq(const struct conf_track *a, const struct conf_track *b)
{
	return EQ(id) && EQS(ifname);
}

static int
id_eq(const struct conf_ike_id *a, const struct conf_ike_id *b)
{
	return EQ(type) && EQA(addr) && EQS(fqdn);
}

static int
v2proposal_eq(const struct conf_ikev2_proposal *a,
    const struct conf_ikev2_proposal *b)
{
	if (!(EQS(name) && EQ(nenc) && EQ(ninteg) && EQ(nprf) && EQ(ngroup)))
		return 0;
	for (int i = 0; i < a->nenc; i++)
		if (!(EQ(enc[i].gcm) && EQ(enc[i].bits)))
			return 0;
	for (int i = 0; i < a->ninteg; i++)
		if (!EQ(integ[i]))
			return 0;
	for (int i = 0; i < a->nprf; i++)
		if (!EQ(prf[i]))
			return 0;
	for (int i = 0; i < a->ngroup; i++)
		if (!EQ(group[i]))
			return 0;
	return 1;
}

static int
v2policy_eq(const struct conf_ikev2_policy *a,
    const struct conf_ikev2_policy *b)
{
	if (!(EQS(name) && EQ(nproposals) && EQ(nlocal)))
		return 0;
	for (int i = 0; i < a->nproposals; i++)
		if (!EQS(proposals[i].name))
			return 0;
	for (int i = 0; i < a->nlocal; i++)
		if (!EQA(local[i]))
			return 0;
	return 1;
}

static int
v2kpeer_eq(const struct conf_ikev2_kpeer *a, const struct conf_ikev2_kpeer *b)
{
	return EQS(name) && EQ(have_addr) && EQA(addr) && EQA(mask) &&
	    id_eq(&a->id, &b->id) && EQS(psk_local) && EQS(psk_remote);
}

static int
v2keyring_eq(const struct conf_ikev2_keyring *a,
    const struct conf_ikev2_keyring *b)
{
	if (!EQS(name))
		return 0;
	LIST_EQ(npeers, peers, v2kpeer_eq);
	return 1;
}

static int
v2match_eq(const struct conf_ikev2_match *a, const struct conf_ikev2_match *b)
{
	return EQ(type) && EQA(addr) && EQA(mask) && EQS(fqdn);
}

static int
v2profile_eq(const struct conf_ikev2_profile *a,
    const struct conf_ikev2_profile *b)
{
	if (!(EQS(name) && id_eq(&a->local_id, &b->local_id) &&
	    EQ(auth_local) && EQ(auth_remote) && EQS(keyring.name) &&
	    EQ(lifetime) && EQ(dpd_interval) && EQ(dpd_retry) &&
	    EQ(dpd_mode)))
		return 0;
	LIST_EQ(nmatch, match, v2match_eq);
	return 1;
}

int
conf_equal(const struct config *a, const struct config *b)
{
	if (!(EQS(hostname) && EQ(dpd_interval) && EQ(dpd_retry) &&
	    EQ(dpd_mode) && EQ(aggressive_disable) && EQ(nat_keepalive) &&
	    EQ(v2_cookie_challenge) && EQ(v2_frag_mtu) &&
	    EQ(sa_life_seconds) && EQ(sa_life_kbytes) && EQ(replay_window) &&
	    EQS(tunnel_ifname)))
		return 0;
	LIST_EQ(npolicies, policies, policy_eq);
	LIST_EQ(nkeys, keys, key_eq);
	LIST_EQ(npeers, peers, peer_eq);
	LIST_EQ(ntsets, tsets, tset_eq);
	LIST_EQ(nmaps, maps, map_eq);
	LIST_EQ(nv2proposals, v2proposals, v2proposal_eq);
	LIST_EQ(nv2policies, v2policies, v2policy_eq);
	LIST_EQ(nv2keyrings, v2keyrings, v2keyring_eq);
	LIST_EQ(nv2profiles, v2profiles, v2profile_eq);
	LIST_EQ(nacls, acls, acl_eq);
	LIST_EQ(ntracks, tracks, track_eq);
	LIST_EQ(nifaces, ifaces, iface_eq);
	if ((a->redundancy.line == 0) != (b->redundancy.line == 0) ||
	    !str_eq(a->redundancy.scheme_group, b->redundancy.scheme_group) ||
	    !str_eq(a->redundancy.security_key, b->redundancy.security_key))
		return 0;
	return ipc_eq(&a->ipc, &b->ipc);
}
