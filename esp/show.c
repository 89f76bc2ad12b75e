/*
 * The facts of show crypto ipsec sa, from the data plane's own SAD and
 * SPD (never from IKE's idea of them), grouped the IOS way: interface and
 * crypto map tag, then one "flow" per protected proxy pair (a reqid) with
 * its counters and its inbound and outbound SAs.  havpnctl prints them
 * (cli/render_esp.c); daemon/cmd_esp.c answers the command with them, and
 * tests/tools/esp_static writes them, so the standalone engine reports
 * exactly what havpnctl would show.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"

struct flow {
	uint32_t	 reqid;
	const struct esp_policy *pol;	/* the first PROTECT policy */
	struct esp_sa_info *in[8];
	int		 nin;
	struct esp_sa_info *out[8];
	int		 nout;
};

struct collect {
	struct esp_sa_info *sas;
	int		 nsas;
	struct esp_policy *pols;
	int		 npols;
};

static void
collect_sa(void *arg, const struct esp_sa_info *i)
{
	struct collect	*c = arg;

	c->sas = xreallocarray(c->sas, (size_t)c->nsas + 1, sizeof(*c->sas));
	c->sas[c->nsas++] = *i;
}

static void
collect_pol(void *arg, const struct esp_policy *p)
{
	struct collect	*c = arg;

	c->pols = xreallocarray(c->pols, (size_t)c->npols + 1,
	    sizeof(*c->pols));
	c->pols[c->npols++] = *p;
}

static struct flow *
flow_get(struct flow **flows, int *n, uint32_t reqid)
{
	for (int i = 0; i < *n; i++)
		if ((*flows)[i].reqid == reqid)
			return &(*flows)[i];
	*flows = xreallocarray(*flows, (size_t)*n + 1, sizeof(**flows));
	memset(&(*flows)[*n], 0, sizeof(**flows));
	(*flows)[*n].reqid = reqid;
	return &(*flows)[(*n)++];
}

static json_object *
ident(struct in_addr addr, struct in_addr mask, int proto, int port)
{
	json_object *o = json_object_new_object();

	jadd_addr(o, "addr", addr);
	jadd_addr(o, "mask", mask);
	json_object_object_add(o, "prot", json_object_new_int(proto));
	json_object_object_add(o, "port", json_object_new_int(port));
	return o;
}

static const char *
group_name(int g, char *buf, size_t len)
{
	if (g == 0)
		return "none";
	snprintf(buf, len, "group%d", g);
	return buf;
}

static int
popcount_bitmap(const struct esp_replay_state *r)
{
	int	 n = 0;

	for (int i = 0; i < ESP_REPLAY_WORDS; i++)
		n += __builtin_popcountll(r->bitmap[i]);
	return n;
}

/*
 * On the standby every SA is held for a takeover, not used: IOS prints
 * "Status: STANDBY" for each, as show crypto isakmp sa prints STDBY.
 */
static json_object *
sa_json(const struct esp_sa_info *i, int current, int standby)
{
	json_object	*o = json_object_new_object();
	const struct esp_sa *sa = &i->sa;
	char		 t[64];
	uint64_t	 age_s = i->age_ms / 1000;

	jadd_u64(o, "spi", sa->spi);
	alg_esp_transform_ios(sa->enc, sa->enc_keybits, sa->auth, t,
	    sizeof(t));
	json_object_object_add(o, "transform", json_object_new_string(t));
	json_object_object_add(o, "mode", json_object_new_string(sa->tunnel ?
	    "Tunnel" : "Transport"));
	json_object_object_add(o, "udp_encap",
	    json_object_new_boolean(i->udp_encap));
	json_object_object_add(o, "esn", json_object_new_boolean(sa->esn));
	jadd_u64(o, "conn_id", sa->conn_id);
	jadd_u64(o, "reqid", sa->reqid);
	json_object_object_add(o, "crypto_map",
	    json_object_new_string(sa->map_name));
	/* IOS: the hard lifetime left, in kilobytes and seconds */
	jadd_u64(o, "remaining_kbytes", sa->hard_bytes == 0 ? 0 :
	    sa->hard_bytes > i->st.bytes ?
	    (sa->hard_bytes - i->st.bytes) / 1024 : 0);
	jadd_u64(o, "remaining_seconds", sa->hard_secs == 0 ? 0 :
	    sa->hard_secs > age_s ? sa->hard_secs - age_s : 0);
	jadd_u64(o, "iv_size", i->iv_len);
	json_object_object_add(o, "replay_detection",
	    json_object_new_boolean(1));
	jadd_u64(o, "packets", i->st.packets);
	jadd_u64(o, "bytes", i->st.bytes);
	if (sa->dir == ESP_IN) {
		jadd_u64(o, "replay_window", (uint64_t)sa->replay_window);
		jadd_u64(o, "replay_top", i->replay.top);
		jadd_u64(o, "replay_seen_in_window",
		    (uint64_t)popcount_bitmap(&i->replay));
		jadd_u64(o, "replay_drops", i->st.replay_drops);
		jadd_u64(o, "auth_failures", i->st.auth_fails);
		jadd_u64(o, "selector_drops", i->st.selector_drops);
		jadd_u64(o, "other_drops", i->other_drops);
	} else {
		jadd_u64(o, "sequence_out", i->replay.seq_out);
		jadd_u64(o, "sequence_out_limit", i->seq_limit);
	}
	jadd_u64(o, "age_seconds", age_s);
	json_object_object_add(o, "status", json_object_new_string(standby ?
	    "STANDBY" : current ? "ACTIVE" : "ACTIVE (older)"));
	return o;
}

/* The interface line of a flow: its SAs' labels, else its policy's. */
static void
flow_labels(const struct flow *f, const struct config *cf, char *ifname,
    size_t iflen, char *map, size_t maplen, struct in_addr *local)
{
	const struct esp_sa *sa = f->nout > 0 ? &f->out[0]->sa :
	    f->nin > 0 ? &f->in[0]->sa : NULL;

	snprintf(ifname, iflen, "%s", sa != NULL ? sa->ifname :
	    f->pol->ifname);
	snprintf(map, maplen, "%s", sa != NULL ? sa->map_name :
	    f->pol->map_name);
	/* an SA's local address is this node's side in both directions */
	*local = sa != NULL ? sa->local : f->pol->local;
	/* the interface the map is bound to, if only the map is known */
	if (ifname[0] == '\0' && map[0] != '\0' && cf != NULL)
		for (int i = 0; i < cf->nifaces; i++)
			if (cf->ifaces[i].crypto_map != NULL &&
			    strcmp(cf->ifaces[i].crypto_map, map) == 0) {
				snprintf(ifname, iflen, "%s",
				    cf->ifaces[i].name);
				break;
			}
}

static json_object *
flow_json(const struct flow *f, int standby)
{
	json_object	*o = json_object_new_object(), *in, *out;
	struct esp_selector sel;
	struct in_addr	 peer, local;
	uint64_t	 enc = 0, encr = 0, dig = 0, dec = 0, decr = 0, ver = 0;
	uint64_t	 serr = 0, rerr = 0, rep = 0, auth = 0, selx = 0;
	uint64_t	 bout = 0, bin = 0, cur_spi = 0;
	int		 pfs = 0, peer_port = 500, cur = -1;
	char		 g[16];

	memset(&sel, 0, sizeof(sel));
	if (f->pol != NULL) {
		sel = f->pol->sel;
		peer = f->pol->peer;
		local = f->pol->local;
	} else if (f->nout > 0) {
		sel = f->out[0]->sa.sel;
		peer = f->out[0]->sa.remote;
		local = f->out[0]->sa.local;
	} else {
		/* an inbound SA's selectors run remote -> local */
		esp_selector_reverse(&f->in[0]->sa.sel, &sel);
		peer = f->in[0]->sa.remote;
		local = f->in[0]->sa.local;
	}
	json_object_object_add(o, "local_ident", ident(sel.src, sel.src_mask,
	    sel.proto, sel.sport));
	json_object_object_add(o, "remote_ident", ident(sel.dst,
	    sel.dst_mask, sel.proto, sel.dport));
	for (int i = 0; i < f->nout; i++) {
		const struct esp_sa_info *s = f->out[i];

		enc += s->st.packets;
		encr += s->crypt;
		dig += s->digest;
		serr += s->st.send_errors;
		bout += s->st.bytes;
		pfs = s->sa.pfs_group;
		if (s->udp_encap)
			peer_port = 4500;
		/*
		 * the one the data plane sends on (a narrower pair inside the
		 * ACL entry may be newer), else the newest
		 */
		if (cur == -1 || (s->current && !f->out[cur]->current) ||
		    (s->current == f->out[cur]->current &&
		    s->age_ms < f->out[cur]->age_ms)) {
			cur = i;
			cur_spi = s->sa.spi;
		}
	}
	for (int i = 0; i < f->nin; i++) {
		const struct esp_sa_info *s = f->in[i];

		dec += s->st.packets;
		decr += s->crypt;
		ver += s->digest;
		rerr += s->st.recv_errors;
		rep += s->st.replay_drops;
		auth += s->st.auth_fails;
		selx += s->st.selector_drops;
		bin += s->st.bytes;
		if (f->nout == 0)
			pfs = s->sa.pfs_group;
		if (s->udp_encap)
			peer_port = 4500;
	}
	jadd_addr(o, "peer", peer);
	json_object_object_add(o, "peer_port", json_object_new_int(peer_port));
	jadd_u64(o, "reqid", f->reqid);
	jadd_u64(o, "pkts_encaps", enc);
	jadd_u64(o, "pkts_encrypt", encr);
	jadd_u64(o, "pkts_digest", dig);
	jadd_u64(o, "pkts_decaps", dec);
	jadd_u64(o, "pkts_decrypt", decr);
	jadd_u64(o, "pkts_verify", ver);
	jadd_u64(o, "send_errors", serr);
	jadd_u64(o, "recv_errors", rerr);
	jadd_u64(o, "replay_drops", rep);
	jadd_u64(o, "auth_failures", auth);
	jadd_u64(o, "selector_drops", selx);
	jadd_u64(o, "bytes_encaps", bout);
	jadd_u64(o, "bytes_decaps", bin);
	jadd_addr(o, "local_crypto_endpt", local);
	jadd_addr(o, "remote_crypto_endpt", peer);
	jadd_u64(o, "current_outbound_spi", cur_spi);
	json_object_object_add(o, "pfs", json_object_new_boolean(pfs != 0));
	json_object_object_add(o, "dh_group",
	    json_object_new_string(group_name(pfs, g, sizeof(g))));
	in = json_object_new_array();
	for (int i = 0; i < f->nin; i++)
		json_object_array_add(in, sa_json(f->in[i], 1, standby));
	out = json_object_new_array();
	for (int i = 0; i < f->nout; i++)
		json_object_array_add(out, sa_json(f->out[i], i == cur,
		    standby));
	json_object_object_add(o, "inbound_esp_sas", in);
	json_object_object_add(o, "outbound_esp_sas", out);
	return o;
}

static json_object *
engine_json(struct esp_backend *be)
{
	struct esp_engine_stats st;
	json_object	*o = json_object_new_object();

	memset(&st, 0, sizeof(st));
	if (be->ops->get_stats != NULL)
		be->ops->get_stats(be, &st);
#define S(f)	jadd_u64(o, #f, st.f)
	S(tun_in); S(tun_out); S(esp_in); S(esp_out); S(no_policy);
	S(bypass_in_tun); S(no_sa); S(acquires); S(bad_spi); S(malformed);
	S(ike_in); S(keepalives); S(send_errors); S(tun_errors); S(tun_gro);
	S(expires_soft); S(expires_hard); S(outbound_dropped);
#undef S
	return o;
}

json_object *
esp_show_facts(struct esp_backend *be, const struct config *cf,
    const struct in_addr *peer, int standby)
{
	json_object	*data = json_object_new_object(), *ifs;
	struct collect	 c;
	struct flow	*flows = NULL;
	int		 nflows = 0;
	int		*done;

	memset(&c, 0, sizeof(c));
	json_object_object_add(data, "backend",
	    json_object_new_string(be->ops->name));
	if (be->ops->walk_sas != NULL)
		be->ops->walk_sas(be, collect_sa, &c);
	if (be->ops->walk_policies != NULL)
		be->ops->walk_policies(be, collect_pol, &c);
	for (int i = 0; i < c.npols; i++) {
		struct flow *f;

		if (c.pols[i].action != ESP_POLICY_PROTECT)
			continue;
		f = flow_get(&flows, &nflows, c.pols[i].reqid);
		if (f->pol == NULL)
			f->pol = &c.pols[i];
	}
	for (int i = 0; i < c.nsas; i++) {
		struct flow *f = flow_get(&flows, &nflows, c.sas[i].sa.reqid);

		if (c.sas[i].sa.dir == ESP_IN && f->nin < (int)nitems(f->in))
			f->in[f->nin++] = &c.sas[i];
		else if (c.sas[i].sa.dir == ESP_OUT &&
		    f->nout < (int)nitems(f->out))
			f->out[f->nout++] = &c.sas[i];
	}

	/* interfaces in order of first appearance, their flows beneath */
	ifs = json_object_new_array();
	done = xcalloc((size_t)nflows + 1, sizeof(*done));
	for (int i = 0; i < nflows; i++) {
		char		 ifn[16], map[65];
		struct in_addr	 local;
		json_object	*io = NULL, *fl = NULL;

		if (done[i])
			continue;
		flow_labels(&flows[i], cf, ifn, sizeof(ifn), map, sizeof(map),
		    &local);
		for (int j = i; j < nflows; j++) {
			char		 ifn2[16], map2[65];
			struct in_addr	 local2;
			json_object	*fo;
			const char	*p;

			if (done[j])
				continue;
			flow_labels(&flows[j], cf, ifn2, sizeof(ifn2), map2,
			    sizeof(map2), &local2);
			if (strcmp(ifn, ifn2) != 0 || strcmp(map, map2) != 0 ||
			    local.s_addr != local2.s_addr)
				continue;
			done[j] = 1;
			fo = flow_json(&flows[j], standby);
			p = json_object_get_string(
			    json_object_object_get(fo, "peer"));
			if (peer != NULL) {
				struct in_addr a;

				if (addr_parse(p, &a) == -1 ||
				    a.s_addr != peer->s_addr) {
					json_object_put(fo);
					continue;
				}
			}
			if (io == NULL) {
				io = json_object_new_object();
				json_object_object_add(io, "interface",
				    json_object_new_string(ifn));
				json_object_object_add(io, "crypto_map",
				    json_object_new_string(map));
				jadd_addr(io, "local_addr", local);
				fl = json_object_new_array();
				json_object_object_add(io, "flows", fl);
				json_object_array_add(ifs, io);
			}
			json_object_array_add(fl, fo);
		}
	}
	json_object_object_add(data, "interfaces", ifs);
	json_object_object_add(data, "engine", engine_json(be));
	free(done);
	free(flows);
	if (c.sas != NULL)
		explicit_bzero(c.sas, (size_t)c.nsas * sizeof(*c.sas));
	free(c.sas);
	free(c.pols);
	return data;
}
