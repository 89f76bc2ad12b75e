/*
 * IKEv2 status as JSON facts for havpnctl: show crypto ikev2 sa
 * [detail], show crypto ikev2 session [detail], show crypto ikev2 stats,
 * the IKEv2 part of show crypto session, and clear crypto ikev2 sa.
 * havpnctl prints them in the IOS layout (cli/render_ikev2.c); the
 * strings here are the names IOS prints (AES-CBC, SHA256, READY, ...).
 *
 * IOS's Status of an IKE SA, from ike2_int.h's states:
 *   IN-NEG	R_INIT: IKE_SA_INIT answered, IKE_AUTH awaited
 *   READY	READY: authenticated
 *   DELETE	REKEYED: replaced by a rekey, its Delete awaited;
 *		DELETING: our Delete sent, its answer awaited
 * A session is the IKE SAs between one local address and one peer
 * address with their CHILD SAs; its Session-id is the lowest Tunnel-id
 * among them, and its status is show crypto session's (UP-ACTIVE,
 * UP-IDLE, DOWN-NEGOTIATING; UP-STANDBY on a standby).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/json.h"
#include "ike/v2/ike2_int.h"

/* ---- names as IOS prints them -------------------------------------------- */

/* IKE SA and ESP ciphers by their IKEv2 transform ID (type 1, ENCR_*) */
static const char *
encr_name(uint16_t ikev2)
{
	switch (ikev2) {
	case 3:		return "3DES";
	case 12:	return "AES-CBC";
	case 20:	return "AES-GCM";
	}
	return "unknown";
}

static const char *
hash_name(int h)
{
	switch (h) {
	case ALG_HASH_MD5:	return "MD5";
	case ALG_HASH_SHA1:	return "SHA1";
	case ALG_HASH_SHA256:	return "SHA256";
	case ALG_HASH_SHA384:	return "SHA384";
	case ALG_HASH_SHA512:	return "SHA512";
	}
	return "None";
}

/* IOS's esp_hmac: the truncated HMACs of RFC 2403/2404 say 96 */
static const char *
esp_hmac_name(int a)
{
	switch (a) {
	case ALG_ESP_AUTH_MD5:		return "MD596";
	case ALG_ESP_AUTH_SHA1:		return "SHA96";
	case ALG_ESP_AUTH_SHA256:	return "SHA256";
	case ALG_ESP_AUTH_SHA384:	return "SHA384";
	case ALG_ESP_AUTH_SHA512:	return "SHA512";
	}
	return "None";
}

static int64_t
secs_since(struct ike *ike, uint64_t ms)
{
	uint64_t now = ike_now(ike);

	return now > ms ? (int64_t)((now - ms) / 1000) : 0;
}

static int64_t
secs_until(struct ike *ike, uint64_t ms)
{
	uint64_t now = ike_now(ike);

	return ms > now ? (int64_t)((ms - now) / 1000) : 0;
}

static void
spi_hex(const uint8_t *spi, char *out)
{
	for (int i = 0; i < IKE2_SPI_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", spi[i]);
}

static int
same_peer(const struct ike2_sa *a, const struct ike2_sa *b)
{
	return a->local.sin_addr.s_addr == b->local.sin_addr.s_addr &&
	    a->remote.sin_addr.s_addr == b->remote.sin_addr.s_addr;
}

/* The lowest Tunnel-id among the SAs of sa's peer. */
static uint32_t
session_id(struct ike2 *v2, const struct ike2_sa *sa)
{
	uint32_t id = sa->conn_id;

	for (struct ike2_sa *o = v2->sas; o != NULL; o = o->next)
		if (same_peer(o, sa) && o->conn_id < id)
			id = o->conn_id;
	return id;
}

static int
nchildren(struct ike *ike, const struct ike2_sa *sa)
{
	int	 n = 0;

	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		n += c->v2_conn == sa->conn_id;
	return n;
}

/* ---- facts --------------------------------------------------------------- */

/* One side of a CHILD SA's selector as a range, as IOS prints it. */
static void
sel_side(json_object *o, const char *side, struct in_addr a,
    struct in_addr m, uint16_t port)
{
	char		 k[32];
	struct in_addr	 end;

	end.s_addr = a.s_addr | ~m.s_addr;
	snprintf(k, sizeof(k), "%s_start", side);
	jadd_addr(o, k, a);
	snprintf(k, sizeof(k), "%s_end", side);
	jadd_addr(o, k, end);
	snprintf(k, sizeof(k), "%s_port_start", side);
	jadd_int(o, k, port);
	snprintf(k, sizeof(k), "%s_port_end", side);
	jadd_int(o, k, port != 0 ? port : 65535);
}

static json_object *
child_facts(struct ike *ike, const struct ike_child *c)
{
	json_object	*o = json_object_new_object();
	const struct alg_cipher *e = alg_esp_enc(c->xf.enc);
	char		 tw[96];

	sel_side(o, "local", c->sel.src, c->sel.src_mask, c->sel.sport);
	sel_side(o, "remote", c->sel.dst, c->sel.dst_mask, c->sel.dport);
	jadd_int(o, "proto", c->sel.proto);
	jadd_int(o, "spi_in", c->spi_in);
	jadd_int(o, "spi_out", c->spi_out);
	jadd_int(o, "conn_in", c->conn_in);
	jadd_int(o, "conn_out", c->conn_out);
	jadd_str(o, "encryption", encr_name(e != NULL ? e->ikev2 : 0));
	jadd_int(o, "keysize", c->xf.keybits);
	jadd_str(o, "esp_hmac", esp_hmac_name(c->xf.auth));
	ike_child_tset_words(c, tw, sizeof(tw));
	jadd_str(o, "transform", tw);
	jadd_str(o, "mode", c->xf.tunnel ? "tunnel" : "transport");
	jadd_bool(o, "udp_encap", c->lport != 0);
	jadd_int(o, "pfs_group", c->xf.group);
	jadd_int(o, "remaining_secs", secs_until(ike, c->expire_ms));
	jadd_str(o, "map", c->map);
	jadd_int(o, "map_seq", c->map_seq);
	return o;
}

static json_object *
sa_facts(struct ike *ike, struct ike2_sa *sa, int detail, int children)
{
	json_object	*o = json_object_new_object(), *arr;
	int		 ready = !IKE2_NEGOTIATING(sa);
	char		 buf[128];
	static const char *const status[] = {
		[IKE2_R_INIT] = "IN-NEG", [IKE2_I_INIT] = "IN-NEG",
		[IKE2_I_AUTH] = "IN-NEG", [IKE2_READY] = "READY",
		[IKE2_REKEYED] = "DELETE", [IKE2_DELETING] = "DELETE",
	}, *const state[] = {
		[IKE2_R_INIT] = "R_INIT", [IKE2_I_INIT] = "I_INIT",
		[IKE2_I_AUTH] = "I_AUTH", [IKE2_READY] = "READY",
		[IKE2_REKEYED] = "REKEYED", [IKE2_DELETING] = "DELETING",
	}, *const what[] = {
		[IKE2_R_INIT] = "IKE_SA_INIT answered, IKE_AUTH awaited",
		[IKE2_I_INIT] = "IKE_SA_INIT sent, its answer awaited",
		[IKE2_I_AUTH] = "IKE_AUTH sent, its answer awaited",
		[IKE2_READY] = "Negotiation done",
		[IKE2_REKEYED] = "Replaced by a rekey, its Delete awaited",
		[IKE2_DELETING] = "Delete sent, its answer awaited",
	};

	jadd_int(o, "tunnel_id", sa->conn_id);
	jadd_addr(o, "local", sa->local.sin_addr);
	jadd_int(o, "local_port", ntohs(sa->local.sin_port));
	jadd_addr(o, "remote", sa->remote.sin_addr);
	jadd_int(o, "remote_port", ntohs(sa->remote.sin_port));
	jadd_str(o, "status", status[sa->state]);
	jadd_str(o, "state", state[sa->state]);
	jadd_str(o, "encryption", encr_name(sa->suite.enc != NULL ?
	    sa->suite.enc->ikev2 : 0));
	jadd_int(o, "keysize", sa->suite.keybits);
	jadd_str(o, "prf", hash_name(sa->suite.prf));
	jadd_str(o, "hash", hash_name(sa->suite.integ));
	jadd_int(o, "dh_group", sa->group);
	/* havpn signs and verifies with pre-shared keys only */
	jadd_str(o, "auth_sign", "PSK");
	jadd_str(o, "auth_verify", "PSK");
	jadd_int(o, "lifetime", sa->lifetime);
	jadd_int(o, "active_time", ready ? secs_since(ike, sa->established_ms) :
	    0);
	jadd_int(o, "remaining", ready ? secs_until(ike, sa->established_ms +
	    (uint64_t)sa->lifetime * 1000) : 0);
	jadd_int(o, "child_count", nchildren(ike, sa));
	if (detail) {
		jadd_int(o, "session_id", session_id(ike->v2, sa));
		jadd_str(o, "status_description", what[sa->state]);
		/* the original roles (2.2): ours made by a rekey of ours */
		jadd_str(o, "role", sa->initiator ? "initiator" :
		    "responder");
		spi_hex(sa->initiator ? sa->spii : sa->spir, buf);
		jadd_str(o, "local_spi", buf);
		spi_hex(sa->initiator ? sa->spir : sa->spii, buf);
		jadd_str(o, "remote_spi", buf);
		if (ready) {
			ike2_id_str(&sa->id_local.id, buf, sizeof(buf));
			jadd_str(o, "local_id", buf);
			ike2_id_str(&sa->id_peer.id, buf, sizeof(buf));
			jadd_str(o, "remote_id", buf);
		} else {
			jadd_str(o, "local_id", "");
			jadd_str(o, "remote_id", "");
		}
		jadd_str(o, "profile", sa->profile);
		/* ours (request.c) and the peer's: 2.2's windows */
		jadd_int(o, "local_req_msgid", sa->next_out > 0 ?
		    sa->next_out - 1 : 0);
		jadd_int(o, "local_next_msgid", sa->next_out);
		jadd_int(o, "remote_req_msgid", sa->next_in > 0 ?
		    sa->next_in - 1 : 0);
		jadd_int(o, "remote_next_msgid", sa->next_in);
		jadd_int(o, "local_window", 1);
		jadd_int(o, "remote_window", 1);
		jadd_bool(o, "nat_local", sa->nat_local);
		jadd_bool(o, "nat_remote", sa->nat_remote);
		/* RFC 7383: the MTU of our fragments, 0 when not used */
		jadd_int(o, "fragmentation_mtu", sa->frag ?
		    ike2_frag_mtu(ike) : 0);
	}
	if (children) {
		arr = json_object_new_array();
		for (struct ike_child *c = ike->children; c != NULL;
		    c = c->next)
			if (c->v2_conn == sa->conn_id)
				json_object_array_add(arr,
				    child_facts(ike, c));
		json_object_object_add(o, "children", arr);
	}
	return o;
}

/* The SAs oldest first, as IOS lists tunnels (v2->sas is newest first). */
static struct ike2_sa **
sas_oldest_first(struct ike2 *v2, int *n)
{
	struct ike2_sa	**a = xcalloc((size_t)v2->nsas + 1, sizeof(*a));
	int		  k = 0;

	for (struct ike2_sa *sa = v2->sas; sa != NULL && k < v2->nsas;
	    sa = sa->next)
		a[k++] = sa;
	for (int i = 0; i < k / 2; i++) {
		struct ike2_sa *t = a[i];

		a[i] = a[k - 1 - i];
		a[k - 1 - i] = t;
	}
	*n = k;
	return a;
}

void
ike2_show_sa(struct ike *ike, int detail, json_object *data)
{
	json_object	*arr = json_object_new_array();
	struct ike2_sa	**sas;
	int		  n;

	sas = sas_oldest_first(ike->v2, &n);
	for (int i = 0; i < n; i++)
		json_object_array_add(arr, sa_facts(ike, sas[i], detail, 0));
	free(sas);
	json_object_object_add(data, "sas", arr);
	jadd_bool(data, "detail", detail);
	jadd_bool(data, "active", ike->active);
}

static const char *
session_status(struct ike *ike, int up, int neg, int nchild)
{
	const char	*s;

	if (up && nchild > 0)
		s = "UP-ACTIVE";
	else if (up)
		s = "UP-IDLE";
	else if (nchild > 0)
		s = "UP-NO-IKE";
	else if (neg)
		s = "DOWN-NEGOTIATING";
	else
		s = "DOWN";
	if (!ike->active && strncmp(s, "UP-", 3) == 0)
		s = "UP-STANDBY";
	return s;
}

void
ike2_show_session(struct ike *ike, int detail, json_object *data)
{
	json_object	*arr = json_object_new_array();
	struct ike2_sa	**sas;
	int		  n;

	sas = sas_oldest_first(ike->v2, &n);
	for (int i = 0; i < n; i++) {
		json_object	*o, *ikes;
		int		 up = 0, neg = 0, nchild = 0, nike = 0;
		int		 seen = 0;

		/* each peer once: at its oldest SA */
		for (int j = 0; j < i && !seen; j++)
			seen = same_peer(sas[j], sas[i]);
		if (seen)
			continue;
		o = json_object_new_object();
		ikes = json_object_new_array();
		for (int j = i; j < n; j++) {
			if (!same_peer(sas[j], sas[i]))
				continue;
			nike++;
			up |= sas[j]->state == IKE2_READY;
			neg |= IKE2_NEGOTIATING(sas[j]);
			nchild += nchildren(ike, sas[j]);
			json_object_array_add(ikes, sa_facts(ike, sas[j],
			    detail, 1));
		}
		jadd_int(o, "session_id", session_id(ike->v2, sas[i]));
		jadd_str(o, "status", session_status(ike, up, neg, nchild));
		jadd_int(o, "ike_count", nike);
		jadd_int(o, "child_count", nchild);
		jadd_addr(o, "local", sas[i]->local.sin_addr);
		jadd_addr(o, "peer", sas[i]->remote.sin_addr);
		json_object_object_add(o, "sas", ikes);
		json_object_array_add(arr, o);
	}
	free(sas);
	json_object_object_add(data, "sessions", arr);
	jadd_bool(data, "detail", detail);
}

void
ike2_show_stats(struct ike *ike, json_object *data)
{
	struct ike2	*v2 = ike->v2;
	const struct ike2_stats *st = &v2->st;
	int		 ready = 0, out = 0, out_ready = 0, out_neg = 0;

	/* IOS's outgoing: ours as original initiator (a rekey of ours) */
	for (struct ike2_sa *sa = v2->sas; sa != NULL; sa = sa->next) {
		ready += sa->state == IKE2_READY && !sa->initiator;
		out += sa->initiator;
		out_ready += sa->state == IKE2_READY && sa->initiator;
		out_neg += IKE2_NEGOTIATING(sa) && sa->initiator;
	}
	jadd_int(data, "sas", v2->nsas - out);
	jadd_int(data, "sas_ready", ready);
	jadd_int(data, "sas_outgoing", out);
	jadd_int(data, "sas_outgoing_ready", out_ready);
	jadd_int(data, "sas_negotiating", v2->halfopen);
	jadd_int(data, "sas_outgoing_negotiating", out_neg);
	jadd_int(data, "max_in_negotiation", ike->halfopen_max);
	{
		int	 pairs = 0;

		for (struct ike_child *c = ike->children; c != NULL;
		    c = c->next)
			pairs += c->v2_conn != 0;
		jadd_int(data, "child_sas", pairs);
	}
#define S(name)	jadd_u64(data, #name, st->name)
	S(rx);
	S(malformed);
	S(no_sa);
	S(bad_msgid);
	S(retransmits_answered);
	S(decrypt_fail);
	S(auth_fail);
	S(no_proposal);
	S(invalid_ke);
	S(ts_unacceptable);
	S(sa_ok);
	S(child_ok);
	S(child_rekeys);
	S(ike_rekeys);
	S(ike_rekeys_ours);
	S(requests_sent);
	S(requests_retransmitted);
	S(liveness_sent);
	S(peers_dead);
	S(deletes_unsent);
	S(mid_syncs);
	S(mid_sync_failed);
	S(nat_keepalives);
	S(rekeys_failed);
	S(frags_tx);
	S(frags_rx);
	S(frags_reassembled);
	S(frags_dropped);
	S(rekey_collisions);
	S(deletes_rx);
	S(halfopen_drop);
	S(cookies_sent);
	S(cookies_bad);
#undef S
	jadd_bool(data, "active", ike->active);
}

int
ike2_clear_sa(struct ike *ike, uint32_t conn_id)
{
	struct ike2_sa	*sa, *next;
	int		 n = 0;

	for (sa = ike->v2->sas; sa != NULL; sa = next) {
		next = sa->next;
		if (conn_id != 0 && sa->conn_id != conn_id)
			continue;
		/* a Delete to the peer; the SA goes with its answer */
		ike2_sa_delete_notify(sa, "cleared by the operator");
		n++;
	}
	return n;
}

/* ---- show crypto session ------------------------------------------------- */

void
ike2_session_peers(struct ike *ike, void (*fn)(void *, struct in_addr,
    struct in_addr), void *arg)
{
	for (struct ike2_sa *sa = ike->v2->sas; sa != NULL; sa = sa->next)
		fn(arg, sa->local.sin_addr, sa->remote.sin_addr);
}

int
ike2_session_ike(struct ike *ike, struct in_addr local, struct in_addr peer,
    json_object *ikes, uint64_t *since, int *port)
{
	int	 flags = 0;
	char	 id[128];

	for (struct ike2_sa *sa = ike->v2->sas; sa != NULL; sa = sa->next) {
		json_object	*k;
		int		 ready = sa->state == IKE2_READY;

		if (sa->local.sin_addr.s_addr != local.s_addr ||
		    sa->remote.sin_addr.s_addr != peer.s_addr)
			continue;
		if (ready) {
			if (!(flags & IKE2_SESSION_UP))
				*port = ntohs(sa->remote.sin_port);
			flags |= IKE2_SESSION_UP;
			if (sa->established_ms < *since)
				*since = sa->established_ms;
		} else if (IKE2_NEGOTIATING(sa))
			flags |= IKE2_SESSION_NEG;
		k = json_object_new_object();
		jadd_str(k, "version", "IKEv2");
		jadd_addr(k, "local", sa->local.sin_addr);
		jadd_int(k, "local_port", ntohs(sa->local.sin_port));
		jadd_addr(k, "remote", sa->remote.sin_addr);
		jadd_int(k, "remote_port", ntohs(sa->remote.sin_port));
		jadd_str(k, "status", !ready ? "Inactive" : ike->active ?
		    "Active" : "STDBY");
		jadd_int(k, "conn_id", sa->conn_id);
		jadd_str(k, "capabilities", sa->nat_local || sa->nat_remote ?
		    "N" : "");
		jadd_int(k, "remaining", ready ? secs_until(ike,
		    sa->established_ms + (uint64_t)sa->lifetime * 1000) : 0);
		if (!IKE2_NEGOTIATING(sa))
			ike2_id_str(&sa->id_peer.id, id, sizeof(id));
		else
			id[0] = '\0';
		jadd_str(k, "peer_id", id);
		json_object_array_add(ikes, k);
	}
	return flags;
}
