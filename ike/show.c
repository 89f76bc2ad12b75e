/*
 * Status as JSON facts for havpnctl: show crypto isakmp sa [detail],
 * show crypto isakmp policy, show crypto session [detail] (IKEv1 and,
 * through ike/v2/show.c, IKEv2 SAs) and the engine's counters.  havpnctl prints them in the IOS layout (cli/render_ike.c);
 * nothing here formats for humans beyond the names IOS uses.
 *
 * Session status, as IOS defines it:
 *   UP-ACTIVE		ISAKMP SA up and IPsec SAs up
 *   UP-IDLE		ISAKMP SA up, no IPsec SA
 *   UP-NO-IKE		IPsec SAs up, no ISAKMP SA
 *   DOWN-NEGOTIATING	phase 1 under way, nothing up
 *   DOWN		a crypto map peer with nothing at all
 *   UP-STANDBY		on the standby: any UP state above, its SAs held
 *			for a takeover (the ISAKMP SAs say STDBY)
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/json.h"
#include "ike/ike_int.h"

static int64_t
remaining_s(struct ike *ike, uint64_t expire_ms)
{
	uint64_t now = ike_now(ike);

	return expire_ms > now ? (int64_t)((expire_ms - now) / 1000) : 0;
}

/*
 * IOS: the kilobytes an SA may still carry, computed as show crypto ipsec
 * sa does from the data plane's byte lifetime (life_kbytes * 1024).
 */
static int64_t
remaining_kb(uint64_t life_kbytes, uint64_t bytes)
{
	uint64_t hard = life_kbytes * 1024;

	return hard > bytes ? (int64_t)((hard - bytes) / 1024) : 0;
}

static const char *
caps(const struct ike_sa *sa, char *buf)
{
	char	*p = buf;

	if (sa->peer_dpd && sa->ike->cf->dpd_interval > 0)
		*p++ = 'D';
	if (ike_natt_encap(sa))
		*p++ = 'N';
	*p = '\0';
	return buf;
}

void
ike_show_isakmp_sa(struct ike *ike, int detail, json_object *data)
{
	json_object	*arr = json_object_new_array();
	char		 ck[17], cap[8];

	for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		json_object	*o;
		/* IOS: dst is the responder, src the initiator */
		const struct sockaddr_in *dst = sa->initiator ? &sa->remote :
		    &sa->local;
		const struct sockaddr_in *src = sa->initiator ? &sa->local :
		    &sa->remote;

		if (sa->state == IKE_DEAD)
			continue;
		o = json_object_new_object();
		jadd_addr(o, "dst", dst->sin_addr);
		jadd_addr(o, "src", src->sin_addr);
		jadd_str(o, "state", ike_fsm_show(sa->state));
		jadd_int(o, "conn_id", sa->conn_id);
		jadd_str(o, "status", ike->active ? "ACTIVE" : "STDBY");
		if (detail) {
			jadd_str(o, "fsm", ike_fsm_name(sa->state));
			jadd_str(o, "role", sa->initiator ? "initiator" :
			    "responder");
			jadd_str(o, "exchange", sa->exchange == IKE_EX_MAIN ?
			    "main" : "aggressive");
			jadd_addr(o, "local", sa->local.sin_addr);
			jadd_addr(o, "remote", sa->remote.sin_addr);
			jadd_int(o, "local_port", ntohs(sa->local.sin_port));
			jadd_int(o, "remote_port", ntohs(sa->remote.sin_port));
			jadd_bool(o, "established", sa->established);
			jadd_u64(o, "encrypted", sa->encrypted);
			jadd_u64(o, "decrypted", sa->decrypted);
			if (sa->alg.group != 0) {
				jadd_str(o, "encryption",
				    alg_enc_word(sa->alg.enc));
				jadd_int(o, "keybits", sa->alg.keybits);
				jadd_str(o, "hash",
				    alg_hash_word(sa->alg.hash));
				jadd_str(o, "auth", "psk");
				jadd_int(o, "group", sa->alg.group);
				jadd_int(o, "lifetime", sa->alg.lifetime);
			}
			jadd_int(o, "remaining", sa->established ?
			    remaining_s(ike, sa->expire_ms) : 0);
			jadd_str(o, "capabilities", caps(sa, cap));
			hex_encode(sa->icookie, 8, ck);
			jadd_str(o, "icookie", ck);
			hex_encode(sa->rcookie, 8, ck);
			jadd_str(o, "rcookie", ck);
			jadd_bool(o, "dpd", sa->peer_dpd);
			jadd_int(o, "dpd_seq_out", sa->dpd_seq_out);
			jadd_int(o, "dpd_seq_in", sa->dpd_seq_in);
			jadd_int(o, "natt", sa->natt);
			jadd_bool(o, "nat_local", sa->nat_local);
			jadd_bool(o, "nat_remote", sa->nat_remote);
			jadd_bool(o, "imported", sa->imported);
			jadd_addr(o, "peer_id", sa->peer_id);
			{
				int n = 0;

				for (struct ike_qm *q = sa->qms; q != NULL;
				    q = q->next)
					n += q->state != QM_DONE;
				jadd_int(o, "quick_modes", n);
			}
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, "sas", arr);
	jadd_bool(data, "active", ike->active);
}

static void
policy_facts(json_object *o, enum alg_enc enc, int keylen,
    enum alg_hash hash, enum conf_auth auth, int group, uint32_t life)
{
	jadd_str(o, "encryption", alg_enc_word(enc));
	jadd_int(o, "keybits", alg_enc(enc) != NULL &&
	    alg_cipher_varkey(alg_enc(enc)) ? keylen : 0);
	jadd_str(o, "hash", alg_hash_word(hash));
	jadd_str(o, "auth", auth == CONF_AUTH_PSK ? "pre-share" : "rsa-sig");
	jadd_int(o, "group", group);
	jadd_int(o, "lifetime", life);
}

void
ike_show_policy(const struct config *cf, json_object *data)
{
	json_object	*arr = json_object_new_array(), *def;

	for (int i = 0; i < cf->npolicies; i++) {
		const struct conf_isakmp_policy *p = &cf->policies[i];
		json_object	*o = json_object_new_object();

		jadd_int(o, "priority", p->priority);
		policy_facts(o, p->enc, p->keylen, p->hash, p->auth, p->group,
		    p->lifetime);
		jadd_bool(o, "usable", conf_policy_usable(p));
		jadd_str(o, "unusable_reason", p->enc == ALG_ENC_DES ? "des" :
		    p->auth != CONF_AUTH_PSK ? "rsa-sig" : "");
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, "policies", arr);
	def = json_object_new_object();
	policy_facts(def, ALG_ENC_DES, 0, ALG_HASH_SHA1, CONF_AUTH_RSA_SIG, 1,
	    86400);
	jadd_bool(def, "usable", 0);
	json_object_object_add(data, "default", def);
}

/* ---- sessions ------------------------------------------------------------ */

struct sess {
	struct in_addr	 local;
	struct in_addr	 peer;
	char		 ifname[16];
};

struct sess_list {
	struct sess	*s;
	int		 n;
};

static int
sess_add(struct sess **s, int *n, struct in_addr local, struct in_addr peer,
    const char *ifname)
{
	for (int i = 0; i < *n; i++)
		if ((*s)[i].local.s_addr == local.s_addr &&
		    (*s)[i].peer.s_addr == peer.s_addr) {
			if ((*s)[i].ifname[0] == '\0' && ifname != NULL)
				snprintf((*s)[i].ifname,
				    sizeof((*s)[i].ifname), "%s", ifname);
			return i;
		}
	*s = xreallocarray(*s, (size_t)*n + 1, sizeof(**s));
	(*s)[*n].local = local;
	(*s)[*n].peer = peer;
	snprintf((*s)[*n].ifname, sizeof((*s)[*n].ifname), "%s",
	    ifname != NULL ? ifname : "");
	return (*n)++;
}

static void
sess_add_v2(void *arg, struct in_addr local, struct in_addr peer)
{
	struct sess_list *l = arg;

	sess_add(&l->s, &l->n, local, peer, NULL);
}

static void
sel_facts(json_object *o, const struct esp_selector *s)
{
	jadd_addr(o, "src", s->src);
	jadd_addr(o, "src_mask", s->src_mask);
	jadd_addr(o, "dst", s->dst);
	jadd_addr(o, "dst_mask", s->dst_mask);
	jadd_int(o, "proto", s->proto);
	jadd_int(o, "sport", s->sport);
	jadd_int(o, "dport", s->dport);
}

static void
child_facts(struct ike *ike, json_object *o, const struct ike_child *c)
{
	struct esp_sa_stats st;
	char	 tw[96];

	ike_child_tset_words(c, tw, sizeof(tw));
	jadd_int(o, "spi_in", c->spi_in);
	jadd_int(o, "spi_out", c->spi_out);
	jadd_int(o, "conn_in", c->conn_in);
	jadd_int(o, "conn_out", c->conn_out);
	jadd_str(o, "transform", tw);
	jadd_str(o, "mode", c->xf.tunnel ? "Tunnel" : "Transport");
	jadd_bool(o, "udp_encap", c->lport != 0);
	jadd_int(o, "pfs_group", c->xf.group);
	jadd_int(o, "remaining_secs", remaining_s(ike, c->expire_ms));
	jadd_int(o, "life_kbytes", (int64_t)c->xf.life_kbytes);
	jadd_bool(o, "rekeyed", c->rekeyed);
	jadd_str(o, "map", c->map);
	jadd_int(o, "map_seq", c->map_seq);
	memset(&st, 0, sizeof(st));
	if (c->installed_in)
		(void)ike->be->ops->query_sa(ike->be, c->conn_in, &st);
	jadd_int(o, "pkts_in", (int64_t)st.packets);
	jadd_int(o, "bytes_in", (int64_t)st.bytes);
	jadd_int(o, "remaining_kbytes_in", remaining_kb(c->xf.life_kbytes,
	    st.bytes));
	jadd_int(o, "drops_in", (int64_t)(st.replay_drops + st.auth_fails +
	    st.recv_errors));
	memset(&st, 0, sizeof(st));
	if (c->installed_out)
		(void)ike->be->ops->query_sa(ike->be, c->conn_out, &st);
	jadd_int(o, "pkts_out", (int64_t)st.packets);
	jadd_int(o, "bytes_out", (int64_t)st.bytes);
	jadd_int(o, "remaining_kbytes_out", remaining_kb(c->xf.life_kbytes,
	    st.bytes));
	jadd_int(o, "drops_out", (int64_t)st.send_errors);
}

void
ike_show_session(struct ike *ike, int detail, json_object *data)
{
	struct sess	*s = NULL;
	int		 n = 0;
	json_object	*arr = json_object_new_array();
	char		 cap[8];
	uint64_t	 now = ike_now(ike);

	for (int i = 0; i < ike->nspd; i++)
		if (ike->spd[i].usable && ike->spd[i].permit)
			sess_add(&s, &n, ike->spd[i].local, ike->spd[i].peer,
			    ike->spd[i].ifname);
	for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_DEAD)
			sess_add(&s, &n, sa->local.sin_addr,
			    sa->remote.sin_addr, NULL);
	{
		struct sess_list l = { s, n };

		ike2_session_peers(ike, sess_add_v2, &l);
		s = l.s;
		n = l.n;
	}
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		sess_add(&s, &n, c->local, c->remote, c->ifname);
	for (int i = 0; i < n; i++) {
		json_object	*o = json_object_new_object(), *ikes, *flows;
		struct ike_sa	*up = NULL, *neg = NULL;
		int		 nchild = 0, v2, v2port = IKE_PORT;
		uint64_t	 since = now;
		const char	*status;

		ikes = json_object_new_array();
		for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
			json_object *k;

			if (sa->local.sin_addr.s_addr != s[i].local.s_addr ||
			    sa->remote.sin_addr.s_addr != s[i].peer.s_addr ||
			    sa->state == IKE_DEAD)
				continue;
			if (sa->established) {
				if (up == NULL)
					up = sa;
				if (sa->established_ms < since)
					since = sa->established_ms;
			} else
				neg = sa;
			k = json_object_new_object();
			jadd_str(k, "version", "IKEv1");
			jadd_addr(k, "local", sa->local.sin_addr);
			jadd_int(k, "local_port", ntohs(sa->local.sin_port));
			jadd_addr(k, "remote", sa->remote.sin_addr);
			jadd_int(k, "remote_port", ntohs(sa->remote.sin_port));
			jadd_str(k, "status", !sa->established ? "Inactive" :
			    ike->active ? "Active" : "STDBY");
			jadd_int(k, "conn_id", sa->conn_id);
			jadd_str(k, "capabilities", caps(sa, cap));
			jadd_int(k, "remaining", sa->established ?
			    remaining_s(ike, sa->expire_ms) : 0);
			jadd_addr(k, "peer_id", sa->peer_id);
			json_object_array_add(ikes, k);
		}
		v2 = ike2_session_ike(ike, s[i].local, s[i].peer, ikes, &since,
		    &v2port);
		flows = json_object_new_array();
		for (struct ike_child *c = ike->children; c != NULL;
		    c = c->next) {
			json_object *f, *sas;

			if (c->local.s_addr != s[i].local.s_addr ||
			    c->remote.s_addr != s[i].peer.s_addr)
				continue;
			nchild++;
			if (c->created_ms < since)
				since = c->created_ms;
			f = json_object_new_object();
			sel_facts(f, &c->sel);
			jadd_int(f, "active_sas", 2);
			jadd_str(f, "origin", "crypto map");
			if (detail) {
				sas = json_object_new_object();
				child_facts(ike, sas, c);
				json_object_object_add(f, "sa", sas);
			}
			json_object_array_add(flows, f);
		}
		if ((up != NULL || (v2 & IKE2_SESSION_UP)) && nchild > 0)
			status = "UP-ACTIVE";
		else if (up != NULL || (v2 & IKE2_SESSION_UP))
			status = "UP-IDLE";
		else if (nchild > 0)
			status = "UP-NO-IKE";
		else if (neg != NULL || (v2 & IKE2_SESSION_NEG))
			status = "DOWN-NEGOTIATING";
		else
			status = "DOWN";
		if (!ike->active && strncmp(status, "UP-", 3) == 0)
			status = "UP-STANDBY";
		jadd_str(o, "interface", s[i].ifname);
		jadd_str(o, "status", status);
		jadd_addr(o, "peer", s[i].peer);
		jadd_addr(o, "local", s[i].local);
		jadd_int(o, "port", up != NULL ? ntohs(up->remote.sin_port) :
		    v2port);
		jadd_int(o, "uptime", (int64_t)(now - since) / 1000);
		json_object_object_add(o, "ike", ikes);
		json_object_object_add(o, "flows", flows);
		json_object_array_add(arr, o);
	}
	free(s);
	json_object_object_add(data, "sessions", arr);
}

void
ike_show_stats(struct ike *ike, json_object *data)
{
	const struct ike_stats *st = &ike->st;

#define S(name)	jadd_int(data, #name, (int64_t)st->name)
	S(rx);
	S(tx);
	S(rx_dropped);
	S(malformed);
	S(bad_cookie);
	S(duplicates);
	S(dup_ignored);
	S(decrypt_fail);
	S(hash_fail);
	S(auth_fail);
	S(no_psk);
	S(no_proposal);
	S(bad_id);
	S(halfopen_drop);
	S(aggressive_refused);
	S(amp_suppressed);
	S(replays);
	S(not_active);
	S(notify_sent);
	S(notify_rx);
	S(p1_ok);
	S(p1_fail);
	S(p2_ok);
	S(p2_fail);
	S(retransmits);
	S(dpd_sent);
	S(dpd_acked);
	S(dpd_dead);
	S(deletes_sent);
	S(deletes_rx);
#undef S
	jadd_int(data, "isakmp_sas", ike->nsas);
	jadd_int(data, "halfopen", ike->halfopen);
	jadd_int(data, "ipsec_sa_pairs", ike->nchildren);
	jadd_bool(data, "active", ike->active);
}
