/*
 * The canonical IOS form of a config, as "show running-config" prints it:
 * sections in IOS order, one "!" between them, defaults left out as IOS
 * leaves them out.  What this prints parses back to an equal config.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

static void
print_id(FILE *f, const char *prefix, const struct conf_ike_id *id)
{
	char	 a[INET_ADDRSTRLEN];

	if (id->type == CONF_ID_ADDRESS)
		fprintf(f, "%s address %s\n", prefix, addr_str(id->addr, a));
	else if (id->type == CONF_ID_FQDN)
		fprintf(f, "%s fqdn %s\n", prefix, id->fqdn);
}

/* " integrity sha256 sha1": a list's line, none when it is empty */
static void
print_hashes(FILE *f, const char *what, const enum alg_hash *h, int n)
{
	if (n == 0)
		return;
	fprintf(f, " %s", what);
	for (int j = 0; j < n; j++)
		fprintf(f, " %s", conf_v2hash_word(h[j]));
	fputc('\n', f);
}

static void
print_v2proposals(const struct config *cf, FILE *f)
{
	for (int i = 0; i < cf->nv2proposals; i++) {
		const struct conf_ikev2_proposal *x = &cf->v2proposals[i];

		fprintf(f, "crypto ikev2 proposal %s\n", x->name);
		if (x->nenc > 0)
			fprintf(f, " encryption");
		for (int j = 0; j < x->nenc; j++)
			fprintf(f, " %s", conf_v2enc_word(&x->enc[j]));
		if (x->nenc > 0)
			fputc('\n', f);
		print_hashes(f, "integrity", x->integ, x->ninteg);
		print_hashes(f, "prf", x->prf, x->nprf);
		if (x->ngroup > 0)
			fprintf(f, " group");
		for (int j = 0; j < x->ngroup; j++)
			fprintf(f, " %d", x->group[j]);
		if (x->ngroup > 0)
			fputc('\n', f);
	}
}

static void
print_v2keyrings(const struct config *cf, FILE *f, int secrets)
{
	char	 a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->nv2keyrings; i++) {
		const struct conf_ikev2_keyring *k = &cf->v2keyrings[i];

		fprintf(f, "crypto ikev2 keyring %s\n", k->name);
		for (int j = 0; j < k->npeers; j++) {
			const struct conf_ikev2_kpeer *pe = &k->peers[j];

			fprintf(f, " peer %s\n", pe->name);
			if (pe->have_addr && pe->mask.s_addr == 0xffffffff)
				fprintf(f, "  address %s\n",
				    addr_str(pe->addr, a));
			else if (pe->have_addr)
				fprintf(f, "  address %s %s\n",
				    addr_str(pe->addr, a), addr_str(pe->mask, m));
			print_id(f, "  identity", &pe->id);
			if (pe->psk_local != NULL && pe->psk_remote != NULL &&
			    strcmp(pe->psk_local, pe->psk_remote) == 0) {
				fprintf(f, "  pre-shared-key %s\n",
				    secrets ? pe->psk_local : CONF_MASK);
				continue;
			}
			if (pe->psk_local != NULL)
				fprintf(f, "  pre-shared-key local %s\n",
				    secrets ? pe->psk_local : CONF_MASK);
			if (pe->psk_remote != NULL)
				fprintf(f, "  pre-shared-key remote %s\n",
				    secrets ? pe->psk_remote : CONF_MASK);
		}
	}
}

static void
print_v2profiles(const struct config *cf, FILE *f)
{
	char	 a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->nv2profiles; i++) {
		const struct conf_ikev2_profile *x = &cf->v2profiles[i];

		fprintf(f, "crypto ikev2 profile %s\n", x->name);
		for (int j = 0; j < x->nmatch; j++) {
			const struct conf_ikev2_match *mt = &x->match[j];

			if (mt->type == CONF_ID_FQDN)
				fprintf(f, " match identity remote fqdn %s\n",
				    mt->fqdn);
			else if (mt->mask.s_addr == 0xffffffff)
				fprintf(f, " match identity remote address "
				    "%s\n", addr_str(mt->addr, a));
			else
				fprintf(f, " match identity remote address "
				    "%s %s\n", addr_str(mt->addr, a),
				    addr_str(mt->mask, m));
		}
		print_id(f, " identity local", &x->local_id);
		if (x->auth_remote == CONF_AUTH_PSK)
			fprintf(f, " authentication remote pre-share\n");
		if (x->auth_local == CONF_AUTH_PSK)
			fprintf(f, " authentication local pre-share\n");
		if (x->keyring.name != NULL)
			fprintf(f, " keyring local %s\n", x->keyring.name);
		if (x->lifetime != 86400)
			fprintf(f, " lifetime %u\n", x->lifetime);
		if (x->dpd_interval != 0)
			fprintf(f, " dpd %d %d %s\n", x->dpd_interval,
			    x->dpd_retry, x->dpd_mode == CONF_DPD_PERIODIC ?
			    "periodic" : "on-demand");
	}
}

/* IOS prints the IKEv2 sections first, each kind after the other. */
static void
print_ikev2(const struct config *cf, FILE *f, int secrets)
{
	print_v2proposals(cf, f);
	for (int i = 0; i < cf->nv2policies; i++) {
		const struct conf_ikev2_policy *x = &cf->v2policies[i];
		char	 a[INET_ADDRSTRLEN];

		fprintf(f, "crypto ikev2 policy %s\n", x->name);
		if (x->nproposals > 0)
			fprintf(f, " proposal");
		for (int j = 0; j < x->nproposals; j++)
			fprintf(f, " %s", x->proposals[j].name);
		if (x->nproposals > 0)
			fputc('\n', f);
		for (int j = 0; j < x->nlocal; j++)
			fprintf(f, " match address local %s\n",
			    addr_str(x->local[j], a));
	}
	print_v2keyrings(cf, f, secrets);
	print_v2profiles(cf, f);
	if (cf->nv2proposals + cf->nv2policies + cf->nv2keyrings +
	    cf->nv2profiles > 0)
		fprintf(f, "!\n");
}

static void
print_policies(const struct config *cf, FILE *f, int secrets)
{
	char	 a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->npolicies; i++) {
		const struct conf_isakmp_policy *p = &cf->policies[i];

		fprintf(f, "crypto isakmp policy %d\n", p->priority);
		/* des and sha are the defaults */
		if (p->enc != ALG_ENC_DES && alg_cipher_varkey(alg_enc(p->enc)))
			fprintf(f, " encr %s %d\n", alg_enc_word(p->enc),
			    p->keylen);
		else if (p->enc != ALG_ENC_DES)
			fprintf(f, " encr %s\n", alg_enc_word(p->enc));
		if (p->hash != ALG_HASH_SHA1)
			fprintf(f, " hash %s\n", alg_hash_word(p->hash));
		if (p->auth == CONF_AUTH_PSK)
			fprintf(f, " authentication pre-share\n");
		if (p->group != 1)
			fprintf(f, " group %d\n", p->group);
		if (p->lifetime != 86400)
			fprintf(f, " lifetime %u\n", p->lifetime);
	}
	for (int i = 0; i < cf->nkeys; i++) {
		const struct conf_isakmp_key *k = &cf->keys[i];

		fprintf(f, "crypto isakmp key %s address %s",
		    secrets ? k->key : CONF_MASK, addr_str(k->addr, a));
		if (k->mask.s_addr != 0xffffffff)
			fprintf(f, " %s", addr_str(k->mask, m));
		fprintf(f, "%s\n", k->no_xauth ? " no-xauth" : "");
	}
	for (int i = 0; i < cf->npeers; i++) {
		const struct conf_isakmp_peer *pe = &cf->peers[i];

		fprintf(f, "crypto isakmp peer address %s\n",
		    addr_str(pe->addr, a));
		if (pe->password != NULL)
			fprintf(f, " set aggressive-mode password %s\n",
			    secrets ? pe->password : CONF_MASK);
		if (pe->have_endpoint)
			fprintf(f, " set aggressive-mode client-endpoint "
			    "ipv4-address %s\n", addr_str(pe->endpoint, a));
	}
	if (cf->dpd_interval != 0) {
		fprintf(f, "crypto isakmp keepalive %d", cf->dpd_interval);
		if (cf->dpd_retry != 2 || cf->dpd_mode == CONF_DPD_PERIODIC)
			fprintf(f, " %d", cf->dpd_retry);
		fprintf(f, "%s\n", cf->dpd_mode == CONF_DPD_PERIODIC ?
		    " periodic" : "");
	}
	if (cf->nat_keepalive != 0)
		fprintf(f, "crypto isakmp nat keepalive %d\n",
		    cf->nat_keepalive);
	if (cf->v2_cookie_challenge != 0)
		fprintf(f, "crypto ikev2 cookie-challenge %d\n",
		    cf->v2_cookie_challenge);
	if (cf->v2_frag_mtu == -1)
		fprintf(f, "no crypto ikev2 fragmentation\n");
	else if (cf->v2_frag_mtu != 0)
		fprintf(f, "crypto ikev2 fragmentation mtu %d\n",
		    cf->v2_frag_mtu);
	if (cf->aggressive_disable)
		fprintf(f, "crypto isakmp aggressive-mode disable\n");
}

static void
print_ipsec(const struct config *cf, FILE *f)
{
	char	 words[64];

	if (cf->sa_life_seconds != 3600)
		fprintf(f, "crypto ipsec security-association lifetime seconds "
		    "%u\n", cf->sa_life_seconds);
	if (cf->sa_life_kbytes != 4608000)
		fprintf(f, "crypto ipsec security-association lifetime "
		    "kilobytes %u\n", cf->sa_life_kbytes);
	if (cf->replay_window != 64)
		fprintf(f, "crypto ipsec security-association replay "
		    "window-size %d\n", cf->replay_window);
	if (cf->tunnel_ifname != NULL)
		fprintf(f, "crypto ipsec tunnel-interface %s\n",
		    cf->tunnel_ifname);
	for (int i = 0; i < cf->ntsets; i++) {
		const struct conf_transform_set *t = &cf->tsets[i];

		conf_tset_words(t, words, sizeof(words));
		fprintf(f, "crypto ipsec transform-set %s %s\n", t->name, words);
		fprintf(f, " mode %s\n", t->transport ? "transport" : "tunnel");
	}
}

static void
print_maps(const struct config *cf, FILE *f)
{
	char	 a[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->nmaps; i++) {
		const struct conf_crypto_map *m = &cf->maps[i];

		if (m->replay_in != 1000 || m->replay_out != 1000)
			fprintf(f, "crypto map %s redundancy replay-interval "
			    "inbound %u outbound %u\n", m->name, m->replay_in,
			    m->replay_out);
		for (int j = 0; j < m->nentries; j++) {
			const struct conf_map_entry *e = &m->entries[j];

			fprintf(f, "crypto map %s %d ipsec-isakmp\n", m->name,
			    e->seq);
			if (e->have_peer)
				fprintf(f, " set peer %s\n",
				    addr_str(e->peer, a));
			if (e->ntsets > 0) {
				fprintf(f, " set transform-set");
				for (int k = 0; k < e->ntsets; k++)
					fprintf(f, " %s", e->tsets[k]);
				fputc('\n', f);
			}
			if (e->life_seconds != 0)
				fprintf(f, " set security-association lifetime "
				    "seconds %u\n", e->life_seconds);
			if (e->life_kbytes != 0)
				fprintf(f, " set security-association lifetime "
				    "kilobytes %u\n", e->life_kbytes);
			if (e->pfs_group != 0)
				fprintf(f, " set pfs group%d\n", e->pfs_group);
			if (e->ikev2_profile.name != NULL)
				fprintf(f, " set ikev2-profile %s\n",
				    e->ikev2_profile.name);
			if (e->acl != NULL)
				fprintf(f, " match address %s\n", e->acl);
			if (e->reverse_route)
				fprintf(f, " reverse-route\n");
		}
		fprintf(f, "!\n");
	}
}

static void
print_time(FILE *f, uint32_t ms)
{
	if (ms % 1000 == 0)
		fprintf(f, " %u", ms / 1000);
	else
		fprintf(f, " msec %u", ms);
}

static void
print_ifaces(const struct config *cf, FILE *f)
{
	char	 a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	for (int i = 0; i < cf->nifaces; i++) {
		const struct conf_interface *ifc = &cf->ifaces[i];

		fprintf(f, "interface %s\n", ifc->name);
		if (ifc->description != NULL)
			fprintf(f, " description %s\n", ifc->description);
		if (ifc->have_addr)
			fprintf(f, " ip address %s %s\n",
			    addr_str(ifc->addr, a), addr_str(ifc->mask, m));
		for (int j = 0; j < ifc->nstandby; j++) {
			const struct conf_standby *sb = &ifc->standby[j];
			int	 g = sb->group;

			if (sb->have_vip)
				fprintf(f, " standby %d ip %s\n", g,
				    addr_str(sb->vip, a));
			if (sb->hello_ms != 3000 || sb->hold_ms != 10000) {
				fprintf(f, " standby %d timers", g);
				print_time(f, sb->hello_ms);
				print_time(f, sb->hold_ms);
				fputc('\n', f);
			}
			if (sb->priority != 100)
				fprintf(f, " standby %d priority %d\n", g,
				    sb->priority);
			if (sb->preempt && sb->preempt_delay != 0)
				fprintf(f, " standby %d preempt delay minimum "
				    "%d\n", g, sb->preempt_delay);
			else if (sb->preempt)
				fprintf(f, " standby %d preempt\n", g);
			if (sb->name != NULL)
				fprintf(f, " standby %d name %s\n", g, sb->name);
			if (sb->checksum_rfc9568)
				fprintf(f, " standby %d vrrp checksum "
				    "rfc9568\n", g);
			if (sb->have_peer)
				fprintf(f, " standby %d peer %s\n", g,
				    addr_str(sb->peer, a));
			for (int k = 0; k < sb->ntracks; k++) {
				const struct conf_standby_track *t =
				    &sb->tracks[k];

				if (t->shutdown)
					fprintf(f, " standby %d track %d "
					    "shutdown\n", g, t->id);
				else
					fprintf(f, " standby %d track %d "
					    "decrement %d\n", g, t->id,
					    t->decrement);
			}
		}
		if (ifc->crypto_map != NULL) {
			fprintf(f, " crypto map %s", ifc->crypto_map);
			if (ifc->redundancy != NULL)
				fprintf(f, " redundancy %s%s", ifc->redundancy,
				    ifc->stateful ? " stateful" : "");
			fputc('\n', f);
		}
		fprintf(f, "!\n");
	}
}

static void
print_acl_addr(FILE *f, const struct conf_acl_addr *x)
{
	char	 a[INET_ADDRSTRLEN], w[INET_ADDRSTRLEN];

	if (x->wildcard.s_addr == 0xffffffff)
		fprintf(f, " any");
	else if (x->wildcard.s_addr == 0)
		fprintf(f, " host %s", addr_str(x->addr, a));
	else
		fprintf(f, " %s %s", addr_str(x->addr, a),
		    addr_str(x->wildcard, w));
}

static void
print_port1(FILE *f, int proto, uint16_t port)
{
	const char *n = conf_port_name(proto, port);

	if (n != NULL)
		fprintf(f, " %s", n);
	else
		fprintf(f, " %u", port);
}

static void
print_port(FILE *f, int proto, const struct conf_acl_port *p)
{
	static const char *const ops[] = {
		[CONF_PORT_EQ] = "eq", [CONF_PORT_NEQ] = "neq",
		[CONF_PORT_LT] = "lt", [CONF_PORT_GT] = "gt",
		[CONF_PORT_RANGE] = "range",
	};

	if (p->op == CONF_PORT_ANY)
		return;
	fprintf(f, " %s", ops[p->op]);
	print_port1(f, proto, p->lo);
	if (p->op == CONF_PORT_RANGE)
		print_port1(f, proto, p->hi);
}

static void
print_ace(FILE *f, const struct conf_ace *a)
{
	const char *pn = conf_proto_name(a->proto);
	const struct icmp_name *in;

	if (a->remark != NULL) {
		fprintf(f, "remark%s%s\n", a->remark[0] != '\0' ? " " : "",
		    a->remark);
		return;
	}
	fprintf(f, "%s", a->permit ? "permit" : "deny");
	if (pn != NULL)
		fprintf(f, " %s", pn);
	else
		fprintf(f, " %d", a->proto);
	print_acl_addr(f, &a->src);
	print_port(f, a->proto, &a->sport);
	print_acl_addr(f, &a->dst);
	print_port(f, a->proto, &a->dport);
	if (a->established)
		fprintf(f, " established");
	if (a->icmp_type != -1) {
		if ((in = conf_icmp_by_value(a->icmp_type,
		    a->icmp_code)) != NULL)
			fprintf(f, " %s", in->name);
		else if (a->icmp_code != -1)
			fprintf(f, " %d %d", a->icmp_type, a->icmp_code);
		else
			fprintf(f, " %d", a->icmp_type);
	}
	fprintf(f, "%s\n", a->log ? " log" : "");
}

static void
print_acls(const struct config *cf, FILE *f)
{
	for (int i = 0; i < cf->nacls; i++) {
		const struct conf_acl *acl = &cf->acls[i];

		if (acl->numbered)
			continue;
		fprintf(f, "ip access-list extended %s\n", acl->name);
		for (int j = 0; j < acl->naces; j++) {
			fputc(' ', f);
			print_ace(f, &acl->aces[j]);
		}
		fprintf(f, "!\n");
	}
	for (int i = 0; i < cf->nacls; i++) {
		const struct conf_acl *acl = &cf->acls[i];

		if (!acl->numbered)
			continue;
		for (int j = 0; j < acl->naces; j++) {
			fprintf(f, "access-list %s ", acl->name);
			print_ace(f, &acl->aces[j]);
		}
		fprintf(f, "!\n");
	}
}

static void
print_ipc(const struct config *cf, FILE *f)
{
	const struct conf_ipc_assoc *a = &cf->ipc;
	char	 x[INET_ADDRSTRLEN];

	if (a->line == 0)
		return;
	fprintf(f, "ipc zone default\n association %d\n", a->id);
	fprintf(f, "  %sshutdown\n", a->shutdown ? "" : "no ");
	if (a->have_protocol)
		fprintf(f, "  protocol sctp\n");
	if (a->have_protocol && a->local_port != 0) {
		fprintf(f, "   local-port %u\n", a->local_port);
		if (a->nlocal_ip > 0) {
			fprintf(f, "    local-ip");
			for (int i = 0; i < a->nlocal_ip; i++)
				fprintf(f, " %s", addr_str(a->local_ip[i], x));
			fputc('\n', f);
		}
		if (a->rto_min_ms != 1000 || a->rto_max_ms != 60000)
			fprintf(f, "    retransmit-timeout %u %u\n",
			    a->rto_min_ms, a->rto_max_ms);
		if (a->path_retransmit != 5)
			fprintf(f, "    path-retransmit %d\n",
			    a->path_retransmit);
		if (a->assoc_retransmit != 10)
			fprintf(f, "    assoc-retransmit %d\n",
			    a->assoc_retransmit);
	}
	if (a->have_protocol && a->remote_port != 0) {
		fprintf(f, "   remote-port %u\n", a->remote_port);
		if (a->nremote_ip > 0) {
			fprintf(f, "    remote-ip");
			for (int i = 0; i < a->nremote_ip; i++)
				fprintf(f, " %s", addr_str(a->remote_ip[i], x));
			fputc('\n', f);
		}
	}
	if (a->have_protocol && a->encap_udp_port != 0)
		fprintf(f, "   encapsulation udp %u\n", a->encap_udp_port);
	if (a->have_protocol && a->lanes != CONF_IPC_LANES)
		fprintf(f, "   lanes %d\n", a->lanes);
	fprintf(f, "!\n");
}

static void
print_redundancy(const struct config *cf, FILE *f, int secrets)
{
	const struct conf_redundancy *r = &cf->redundancy;

	if (r->line == 0)
		return;
	fprintf(f, "redundancy inter-device\n");
	if (r->scheme_group != NULL)
		fprintf(f, " scheme standby %s\n", r->scheme_group);
	if (r->security_key != NULL)
		fprintf(f, " security key %s\n", secrets ? r->security_key :
		    CONF_MASK);
	fprintf(f, "!\n");
}

static void
print_all(const struct config *cf, FILE *f, int secrets)
{
	fprintf(f, "!\n");
	if (cf->hostname != NULL)
		fprintf(f, "hostname %s\n!\n", cf->hostname);
	for (int i = 0; i < cf->ntracks; i++)
		fprintf(f, "track %d interface %s line-protocol\n",
		    cf->tracks[i].id, cf->tracks[i].ifname);
	if (cf->ntracks > 0)
		fprintf(f, "!\n");
	print_ipc(cf, f);
	print_redundancy(cf, f, secrets);
	print_ikev2(cf, f, secrets);
	print_policies(cf, f, secrets);
	fprintf(f, "!\n");
	print_ipsec(cf, f);
	fprintf(f, "!\n");
	print_maps(cf, f);
	print_ifaces(cf, f);
	print_acls(cf, f);
	fprintf(f, "end\n");
}

void
conf_print(const struct config *cf, FILE *f)
{
	print_all(cf, f, 1);
}

char *
conf_print_str_show(const struct config *cf, int secrets)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&s, &len)) == NULL)
		fatal(LOG_CONF, "open_memstream");
	print_all(cf, f, secrets);
	if (fclose(f) != 0)
		fatal(LOG_CONF, "open_memstream");
	return s;
}

char *
conf_print_str(const struct config *cf)
{
	return conf_print_str_show(cf, 1);
}

void
conf_ace_words(const struct conf_ace *a, char *buf, size_t len)
{
	FILE	*f;
	size_t	 n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if ((f = fmemopen(buf, len, "w")) == NULL)
		fatal(LOG_CONF, "fmemopen");
	print_ace(f, a);
	(void)fclose(f);
	buf[len - 1] = '\0';	/* fmemopen adds none to a full buffer */
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}
