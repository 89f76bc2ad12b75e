/*
 * The facts of show redundancy [states | history], show redundancy
 * inter-device (the RF part) and show crypto ha, as JSON (havpnctl prints
 * them in the IOS layout), and the bench-only synthetic tunnels.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/json.h"
#include "hasync/fields.h"
#include "hasync/ha_int.h"

static const char *const drop_names[HA_NDROPS] = HA_DROP_NAMES;

static json_object *
rf_obj(uint32_t s)
{
	json_object	*o = json_object_new_object();

	jadd_str(o, "name", s == 0 ? "UNKNOWN" :
	    rf_state_name((enum rf_state)s));
	jadd_u64(o, "number", s);
	return o;
}

static const char *
role_name(enum rf_role r)
{
	switch (r) {
	case RF_ROLE_ACTIVE:	return "active";
	case RF_ROLE_STANDBY:	return "standby";
	case RF_ROLE_UNKNOWN:	break;
	}
	return "unknown";
}

static const char *
bulk_name(enum rf_bulk b)
{
	switch (b) {
	case RF_BULK_REQUESTED:	return "requested";
	case RF_BULK_RUNNING:	return "running";
	case RF_BULK_DONE:	return "done";
	case RF_BULK_NONE:	break;
	}
	return "none";
}

static const char *
sw_name(enum ha_sw_state s)
{
	switch (s) {
	case HA_SW_CHECKING:	return "checking the standby";
	case HA_SW_HANDED_OVER:	return "handing over (no acknowledgement yet)";
	case HA_SW_DRAINING:	return "handing over (draining)";
	case HA_SW_WAIT_DRAIN:	return "taking over (outbound held)";
	case HA_SW_WAIT_FINAL:	return "taking over (outbound held, "
				    "the Final not yet in)";
	case HA_SW_REQUESTED:	return "requested";
	case HA_SW_IDLE:	break;
	}
	return "idle";
}

/* The peer's state: from its heartbeats while the channel is up; a peer
 * not heard is DISABLED, as IOS shows it. */
static uint32_t
peer_state(const struct hasync *ha)
{
	if (!ha->configured || !ha->chan_up)
		return RF_DISABLED;
	return ha->peer_rf != 0 ? ha->peer_rf : ha->peer.rf_state;
}

static void
common(struct hasync *ha, json_object *data)
{
	uint64_t	 now = ha_now_ms(ha);

	jadd_bool(data, "configured", ha->configured);
	jadd_bool(data, "stateful", ha->stateful);
	jadd_str(data, "scheme_group", ha->scheme);
	json_object_object_add(data, "my_state", rf_obj(ha->rf.state));
	json_object_object_add(data, "peer_state", rf_obj(peer_state(ha)));
	jadd_str(data, "role", role_name(ha->role));
	jadd_u64(data, "role_since_ms_ago", now - ha->role_since_ms);
	jadd_str(data, "unit_id", ha->ipc != NULL ? ipc_node_id(ha->ipc) :
	    ha->hostname);
	jadd_str(data, "peer_unit_id", ha->peer_hello ? ha->peer.node_id : "");
	jadd_bool(data, "communications", ha->chan_up);
	jadd_bool(data, "peer_hello", ha->peer_hello);
	jadd_bool(data, "config_match", ha->config_match);
	jadd_bool(data, "election_ready", ha->vrrp != NULL ?
	    vrrp_ready(ha->vrrp) : 0);
	jadd_u64(data, "state_changes", ha->rf.changes);
}

int
hasync_standby_peer(struct hasync *ha, const char *ifname,
    struct in_addr *addr, const char **rf)
{
	uint32_t	 st = peer_state(ha);

	if (ha->role != RF_ROLE_ACTIVE || !ha->peer_hello ||
	    (st != RF_STANDBY_COLD && st != RF_STANDBY_COLD_BULK &&
	    st != RF_STANDBY_HOT))
		return -1;
	*rf = rf_state_name(st);
	/* its address on that interface, from its hello */
	for (int i = 0; i < ha->peer.naddrs; i++)
		if (strcmp(ha->peer.addrs[i].ifname, ifname) == 0) {
			*addr = ha->peer.addrs[i].addr;
			return 0;
		}
	/* a peer that did not say: where the sync channel reaches it */
	if (ha->peer_addr.s_addr == INADDR_ANY)
		return -1;
	*addr = ha->peer_addr;
	return 0;
}

int
hasync_peer_addr(const struct hasync *ha, const char *ifname,
    struct in_addr *addr)
{
	for (int i = 0; i < ha->peer.naddrs; i++)
		if (strcmp(ha->peer.addrs[i].ifname, ifname) == 0) {
			*addr = ha->peer.addrs[i].addr;
			return 0;
		}
	return -1;
}

void
hasync_show_states(struct hasync *ha, json_object *data)
{
	json_object	*sw = json_object_new_object();
	int		 swact;

	common(ha, data);
	jadd_str(data, "mode", ha->chan_up && ha->peer_hello ? "Duplex" :
	    "Simplex");
	swact = ha->configured && ha->chan_up && ha->config_match &&
	    ((ha->role == RF_ROLE_ACTIVE && peer_state(ha) == RF_STANDBY_HOT) ||
	    (ha->role == RF_ROLE_STANDBY && ha->rf.state == RF_STANDBY_HOT));
	jadd_bool(data, "manual_swact", swact);
	jadd_str(sw, "state", sw_name(ha->sw.state));
	jadd_str(sw, "last_result", ha->sw.result);
	jadd_u64(sw, "completed", ha->sw.done);
	jadd_u64(sw, "refused", ha->sw.refused);
	/* the peer has yet to answer: havpnctl waits for the outcome */
	jadd_bool(sw, "pending", ha->sw.state == HA_SW_CHECKING ||
	    ha->sw.state == HA_SW_REQUESTED);
	jadd_bool(sw, "no_auto_preempt", ha->sw.no_auto_preempt);
	json_object_object_add(data, "switchover", sw);
	jadd_str(data, "bulk", bulk_name(ha->bulk));
	jadd_bool(data, "split_brain_pending", ha_split_rekey_owed(ha));
}

void
hasync_show_history(struct hasync *ha, json_object *data)
{
	json_object	*rf = json_object_new_array();
	json_object	*ev = json_object_new_array();

	common(ha, data);
	for (int i = ha->rf.nhist - 1; i >= 0; i--) {
		const struct rf_change *c = rf_history(&ha->rf, i);
		json_object	*o = json_object_new_object();

		jadd_u64(o, "time_ms", c->wall_ms);
		json_object_object_add(o, "from", rf_obj(c->from));
		json_object_object_add(o, "to", rf_obj(c->to));
		jadd_str(o, "reason", c->reason);
		json_object_array_add(rf, o);
	}
	for (int i = ha->nhist - 1; i >= 0; i--) {
		const struct ha_event *e = &ha->hist[(ha->hnext - 1 - i +
		    HA_HISTORY) % HA_HISTORY];
		json_object	*o = json_object_new_object();

		jadd_u64(o, "time_ms", e->wall_ms);
		jadd_str(o, "event", e->what);
		jadd_str(o, "reason", e->reason);
		jadd_u64(o, "duration_us", e->duration_us);
		jadd_u64(o, "ipsec_sa_pairs", e->sas);
		jadd_u64(o, "rekeyed", e->rekeyed);
		jadd_u64(o, "exact", e->exact);
		json_object_array_add(ev, o);
	}
	json_object_object_add(data, "rf_history", rf);
	json_object_object_add(data, "events", ev);
}

static void
count_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	(void)s;
	(*(int *)arg)++;
}

static void
count_ike2(void *arg, const struct ike_ike2_state *s)
{
	(void)s;
	(*(int *)arg)++;
}

static void
count_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	(void)s;
	(*(int *)arg)++;
}

static json_object *
msg_counts(const uint64_t *v)
{
	json_object	*o = json_object_new_object();

	for (int t = HA_M_HELLO; t <= HA_M_LAST; t++)
		jadd_u64(o, ha_msg_name((enum ha_msg_type)t), v[t]);
	return o;
}

void
hasync_show_crypto_ha(struct hasync *ha, json_object *data)
{
	json_object	*isakmp = json_object_new_object();
	json_object	*ike2 = json_object_new_object();
	json_object	*ipsec = json_object_new_object();
	json_object	*bulk = json_object_new_object();
	json_object	*ctr = json_object_new_object();
	json_object	*msgs = json_object_new_object();
	json_object	*drops = json_object_new_object();
	json_object	*tk = json_object_new_object();
	json_object	*maps = json_object_new_array();
	json_object	*vips = json_object_new_array();
	uint64_t	 now = ha_now_ms(ha), oldest = 0;
	int		 nisakmp = 0, nike2 = 0, nipsec = 0, never = 0;
	int		 stale = 0;

	common(ha, data);
	if (ha->vrrp != NULL)
		for (int i = 0; i < vrrp_ngroups(ha->vrrp); i++) {
			struct vrrp_group_info gi;
			char	 a[INET_ADDRSTRLEN];

			if (vrrp_group_info(ha->vrrp, i, &gi) == -1)
				continue;
			json_object_array_add(vips, json_object_new_string(
			    addr_str(gi.vip, a)));
		}
	json_object_object_add(data, "vips", vips);
	if (ha->ike != NULL) {
		(void)ike_export_isakmp(ha->ike, count_isakmp, &nisakmp);
		(void)ike_export_ike2(ha->ike, count_ike2, &nike2);
		(void)ike_export_ipsec(ha->ike, count_ipsec, &nipsec);
	}
	jadd_u64(isakmp, "local", (uint64_t)nisakmp);
	jadd_u64(isakmp, "synced", (uint64_t)ha->t.nisakmp);
	jadd_u64(ipsec, "local", (uint64_t)nipsec);
	jadd_u64(ipsec, "synced", (uint64_t)ha->t.npairs);
	jadd_u64(ike2, "local", (uint64_t)nike2);
	jadd_u64(ike2, "synced", (uint64_t)ha->t.nike2);
	json_object_object_add(data, "isakmp_sas", isakmp);
	json_object_object_add(data, "ikev2_sas", ike2);
	json_object_object_add(data, "ipsec_sa_pairs", ipsec);

	jadd_str(bulk, "state", bulk_name(ha->bulk));
	jadd_u64(bulk, "expected_isakmp", ha->bulk_expect.isakmp_sas);
	jadd_u64(bulk, "expected_ipsec", ha->bulk_expect.ipsec_sas);
	jadd_u64(bulk, "received_isakmp", ha->bulk_got_isakmp);
	jadd_u64(bulk, "expected_ikev2", ha->bulk_expect.ikev2_sas);
	jadd_u64(bulk, "received_ikev2", ha->bulk_got_ike2);
	jadd_u64(bulk, "received_ipsec", ha->bulk_got_ipsec);
	jadd_u64(bulk, "last_duration_us", ha->bulk_last_us);
	/* the channel up (handshake done) to STANDBY HOT */
	jadd_u64(bulk, "last_channel_up_to_hot_us", ha->bulk_hot_us);
	jadd_u64(bulk, "last_bytes", ha->bulk_last_bytes);
	jadd_u64(bulk, "sent", ha->st.bulks_sent);
	jadd_u64(bulk, "requests_repeated", ha->st.bulk_repeats);
	jadd_u64(bulk, "received", ha->st.bulks_received);
	jadd_bool(bulk, "session", ha->session == HA_SESSION_SYNCING);
	jadd_u64(bulk, "state_queue_records", ha->sq_n);
	jadd_u64(bulk, "state_queue_bytes", ha->sq_bytes);
	/* besides the snapshot: what the bound counts */
	jadd_u64(bulk, "state_queue_counted_records", ha->sq_bound_n);
	jadd_u64(bulk, "state_queue_counted_bytes", ha->sq_bound_bytes);
	jadd_u64(bulk, "state_queue_max_records", HA_SQ_MAX_RECORDS);
	jadd_u64(bulk, "state_queue_max_bytes", HA_SQ_MAX_BYTES);
	jadd_u64(bulk, "state_queue_coalesced", ha->st.sq_coalesced);
	jadd_u64(bulk, "state_queue_overflows", ha->st.sq_overflows);
	json_object_object_add(data, "bulk", bulk);

	/* a replay-interval means something only with a peer to sync to */
	for (int i = 0; ha->configured && i < ha->nmaps; i++) {
		json_object *m = json_object_new_object();

		jadd_str(m, "map", ha->maps[i].name);
		jadd_u64(m, "inbound", ha->maps[i].in);
		jadd_u64(m, "outbound", ha->maps[i].out);
		json_object_array_add(maps, m);
	}
	json_object_object_add(ctr, "replay_interval", maps);
	if (ha->role != RF_ROLE_ACTIVE)
		for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next) {
			if (p->out.at_ms == 0) {
				never++;
				continue;
			}
			if (now - p->out.at_ms > oldest)
				oldest = now - p->out.at_ms;
			if (now - p->out.at_ms > HA_STALE_MS)
				stale++;
		}
	jadd_u64(ctr, "oldest_update_ms", oldest);
	jadd_u64(ctr, "never_updated", (uint64_t)never);
	jadd_u64(ctr, "stale", (uint64_t)stale);
	jadd_u64(ctr, "stale_bound_ms", HA_STALE_MS);
	json_object_object_add(ctr, "last_sweep_ms_ago", ha->last_sweep_ms ?
	    json_object_new_int64((int64_t)(now - ha->last_sweep_ms)) : NULL);
	jadd_u64(ctr, "sent", ha->st.counters_sent);
	jadd_u64(ctr, "applied", ha->st.counters_applied);
	jadd_u64(ctr, "unknown_sa", ha->st.counters_unknown);
	jadd_u64(ctr, "sweeps_sent", ha->st.sweeps);
	json_object_object_add(data, "counters", ctr);

	json_object_object_add(msgs, "sent", msg_counts(ha->st.tx_msgs));
	json_object_object_add(msgs, "received", msg_counts(ha->st.rx_msgs));
	jadd_u64(msgs, "records_sent", ha->st.tx_records);
	jadd_u64(msgs, "records_received", ha->st.rx_records);
	jadd_u64(msgs, "bytes_sent", ha->st.tx_bytes);
	jadd_u64(msgs, "bytes_received", ha->st.rx_bytes);
	jadd_u64(msgs, "refused_by_channel", ha->st.tx_refused);
	json_object_object_add(data, "messages", msgs);
	for (int i = 0; i < HA_NDROPS; i++)
		jadd_u64(drops, drop_names[i], ha->st.drops[i]);
	json_object_object_add(data, "drops", drops);

	jadd_u64(tk, "imports", ha->st.imports);
	jadd_u64(tk, "forgotten", ha->st.forgotten);
	jadd_u64(tk, "counters_jumped", ha->st.jumps);
	jadd_u64(tk, "counters_exact", ha->st.exact);
	jadd_u64(tk, "rekeys_takeover", ha->st.rekeys_takeover);
	jadd_u64(tk, "rekeys_split_brain", ha->st.rekeys_split);
	json_object_object_add(data, "sas", tk);
}

/* ---- show crypto ha detail: every SA, with a fingerprint of its keys ----- */

/* 8 bytes of SHA-256 over the key material: equal keys, equal prints. */
static void
fingerprint(const void *a, size_t alen, const void *b, size_t blen,
    const void *c, size_t clen, char *out)
{
	EVP_MD_CTX	*x = EVP_MD_CTX_new();
	uint8_t		 md[32];
	unsigned int	 n;

	if (x == NULL || EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(x, a, alen) != 1 ||
	    EVP_DigestUpdate(x, b, blen) != 1 ||
	    EVP_DigestUpdate(x, c, clen) != 1 ||
	    EVP_DigestFinal_ex(x, md, &n) != 1)
		fatalx(LOG_HA, "SHA-256 failed");
	EVP_MD_CTX_free(x);
	hex_encode(md, 8, out);
	OPENSSL_cleanse(md, sizeof(md));
}

/* A field of show crypto ha detail, by its kind (fields.h). */
#define JSON_U8(o, k, m)	jadd_u64((o), (k), (m))
#define JSON_U16(o, k, m)	jadd_u64((o), (k), (m))
#define JSON_U32(o, k, m)	jadd_u64((o), (k), (m))
#define JSON_I32(o, k, m)	jadd_int((o), (k), (m))
#define JSON_U64(o, k, m)	jadd_u64((o), (k), (m))
#define JSON_BOOL(o, k, m)	jadd_bool((o), (k), (m))
#define JSON_X32(o, k, m)	jadd_u64((o), (k), (m))
#define JSON_ADDR(o, k, m)	jadd_addr((o), (k), (m))
#define JSON_BYTES(o, k, m)	jadd_hex((o), (k), (m), sizeof(m))
#define JSON_STR(o, k, m)	jadd_str((o), (k), (m))
#define SHOW_FIELD(name, kind, valid, why, show)			\
	if (HA_##show)							\
		JSON_##kind(o, #name, s->name);

static void
jadd_hex(json_object *o, const char *k, const uint8_t *p, size_t n)
{
	char	*h = xmalloc(2 * n + 1);

	hex_encode(p, n, h);
	jadd_str(o, k, h);
	free(h);
}

static void
detail_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	json_object	*a = arg, *o = json_object_new_object();
	char		 h[17];
	uint8_t		 k[3 * 64];

	HA_ISAKMP_FIELDS(SHOW_FIELD)
	memcpy(k, s->skeyid_d, 64);
	memcpy(k + 64, s->skeyid_a, 64);
	memcpy(k + 128, s->skeyid_e, 64);
	fingerprint(k, sizeof(k), s->enc_key, s->enc_key_len, s->iv,
	    s->iv_len, h);
	OPENSSL_cleanse(k, sizeof(k));
	jadd_str(o, "keys_iv_fingerprint", h);
	json_object_array_add(a, o);
}

static void
detail_ike2(void *arg, const struct ike_ike2_state *s)
{
	json_object	*a = arg, *o = json_object_new_object();
	char		 h[17];
	uint8_t		 k[5 * 64 + 2 * 36];

	HA_IKE2_FIELDS(SHOW_FIELD)
	memcpy(k, s->sk_d, 64);
	memcpy(k + 64, s->sk_ai, 64);
	memcpy(k + 128, s->sk_ar, 64);
	memcpy(k + 192, s->sk_pi, 64);
	memcpy(k + 256, s->sk_pr, 64);
	memcpy(k + 320, s->sk_ei, 36);
	memcpy(k + 356, s->sk_er, 36);
	fingerprint(k, sizeof(k), &s->enc, sizeof(s->enc), &s->prf,
	    sizeof(s->prf), h);
	OPENSSL_cleanse(k, sizeof(k));
	jadd_str(o, "keys_fingerprint", h);
	json_object_array_add(a, o);
}

struct detail {
	struct hasync	*ha;
	json_object	*a;
};

static void
detail_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct detail	*d = arg;
	json_object	*o = json_object_new_object();
	struct esp_replay_state r;
	char		 h[17];
	uint8_t		 k[2 * 36 + 2 * 64];

	HA_IPSEC_FIELDS(SHOW_FIELD)
	memcpy(k, s->enc_key_in, 36);
	memcpy(k + 36, s->enc_key_out, 36);
	memcpy(k + 72, s->auth_key_in, 64);
	memcpy(k + 136, s->auth_key_out, 64);
	fingerprint(k, sizeof(k), &s->enc, 1, &s->auth, 1, h);
	OPENSSL_cleanse(k, sizeof(k));
	jadd_str(o, "keys_fingerprint", h);
	if (d->ha->esp->ops->get_replay(d->ha->esp, s->conn_out, &r) == 0)
		jadd_u64(o, "seq_out", r.seq_out);
	if (d->ha->esp->ops->get_replay(d->ha->esp, s->conn_in, &r) == 0)
		jadd_u64(o, "replay_top", r.top);
	json_object_array_add(d->a, o);
}

void
hasync_show_crypto_ha_detail(struct hasync *ha, json_object *data)
{
	json_object	*isakmp = json_object_new_array();
	json_object	*ike2 = json_object_new_array();
	struct detail	 d;

	hasync_show_crypto_ha(ha, data);
	d.ha = ha;
	d.a = json_object_new_array();
	if (ha->ike != NULL) {
		(void)ike_export_isakmp(ha->ike, detail_isakmp, isakmp);
		(void)ike_export_ike2(ha->ike, detail_ike2, ike2);
		(void)ike_export_ipsec(ha->ike, detail_ipsec, &d);
	}
	json_object_object_add(data, "isakmp_sa_list", isakmp);
	json_object_object_add(data, "ikev2_sa_list", ike2);
	json_object_object_add(data, "ipsec_sa_list", d.a);
}

/* ---- bench tooling: synthetic tunnels ------------------------------------ */

static void
derive(uint32_t seed, uint32_t i, const char *label, uint8_t *out, size_t n)
{
	uint8_t		 in[64], md[32];
	unsigned int	 mdlen;
	size_t		 off = 0;
	uint32_t	 ctr = 0;

	while (off < n) {
		int	 l = snprintf((char *)in, sizeof(in), "%u/%u/%s/%u",
		    seed, i, label, ctr++);

		EVP_Digest(in, (size_t)l, md, &mdlen, EVP_sha256(), NULL);
		memcpy(out + off, md, n - off < 32 ? n - off : 32);
		off += 32;
	}
}

/* An ISAKMP SA for synthetic tunnel k. */
static void
synth_isakmp(const struct hasync *ha, uint32_t seed, uint32_t k,
    struct in_addr vip, struct ike_isakmp_state *is)
{
	memset(is, 0, sizeof(*is));
	is->version = IKE_STATE_VERSION;
	derive(seed, k, "icookie", is->icookie, 8);
	derive(seed, k, "rcookie", is->rcookie, 8);
	is->initiator = 1;
	is->exchange = 2;
	is->local = vip;
	is->remote.s_addr = htonl(0x0ac80000 + k + 1);	/* 10.200/16 */
	is->local_port = is->remote_port = 500;
	is->peer_id = is->remote;
	is->enc = ALG_ENC_AES;
	is->keybits = 256;
	is->hash = ALG_HASH_SHA256;
	is->group = 14;
	is->prf_len = 32;
	derive(seed, k, "skeyid_d", is->skeyid_d, 32);
	derive(seed, k, "skeyid_a", is->skeyid_a, 32);
	derive(seed, k, "skeyid_e", is->skeyid_e, 32);
	is->enc_key_len = 32;
	derive(seed, k, "p1key", is->enc_key, 32);
	is->iv_len = 16;
	derive(seed, k, "iv", is->iv, 16);
	is->lifetime = is->remaining = 86400;
	snprintf(is->map, sizeof(is->map), "%s", ha->maps[0].name);
	is->map_seq = 10;
}

/* An IKEv2 SA (AES-CBC-256, SHA-256, group 14) for synthetic tunnel k,
 * conn-ids from 1,000,000. */
static void
synth_ike2(uint32_t seed, uint32_t k, struct in_addr vip,
    struct ike_ike2_state *s)
{
	memset(s, 0, sizeof(*s));
	s->version = IKE_STATE_VERSION;
	s->conn_id = 1000000 + k;
	derive(seed, k, "spii", s->spii, 8);
	derive(seed, k, "spir", s->spir, 8);
	s->state = IKE2_STATE_READY;
	s->local = vip;
	s->remote.s_addr = htonl(0x0ac80000 + k + 1);	/* 10.200/16 */
	s->local_port = s->remote_port = 4500;
	s->enc = alg_enc(ALG_ENC_AES)->ikev2;
	s->keybits = 256;
	s->prf = ALG_HASH_SHA256;
	s->integ = ALG_HASH_SHA256;
	s->group = 14;
	s->prf_len = s->integ_len = s->enc_len = 32;
	derive(seed, k, "sk_d", s->sk_d, 32);
	derive(seed, k, "sk_ai", s->sk_ai, 32);
	derive(seed, k, "sk_ar", s->sk_ar, 32);
	derive(seed, k, "sk_ei", s->sk_ei, 32);
	derive(seed, k, "sk_er", s->sk_er, 32);
	derive(seed, k, "sk_pi", s->sk_pi, 32);
	derive(seed, k, "sk_pr", s->sk_pr, 32);
	snprintf(s->profile, sizeof(s->profile), "SYNTHETIC");
	s->id_local_type = s->id_peer_type = 1;		/* ID_IPV4_ADDR */
	memcpy(s->id_local, &s->local, 4);
	memcpy(s->id_peer, &s->remote, 4);
	s->id_local_len = s->id_peer_len = 4;
	s->next_in = s->next_out = 2;
	s->lifetime = s->remaining = 86400;
	s->fragmentation = 1;
}

int
hasync_test_load(struct hasync *ha, int n, uint32_t seed, int v2, char *err,
    size_t errlen)
{
	struct ike_isakmp_state is;
	struct ike_ike2_state s2;
	struct ike_ipsec_state ps;
	struct vrrp_group_info gi;
	struct in_addr	 vip;
	int		 done = 0;

	if (!ha->configured || ha->role != RF_ROLE_ACTIVE) {
		snprintf(err, errlen, "only an active node of a pair takes "
		    "synthetic tunnels");
		return -1;
	}
	if (ha->nmaps == 0 || vrrp_group_info(ha->vrrp, 0, &gi) == -1) {
		snprintf(err, errlen, "no crypto map or standby group");
		return -1;
	}
	vip = gi.vip;
	for (int i = 0; i < ha->nmaps && i < vrrp_ngroups(ha->vrrp); i++)
		if (vrrp_group_info(ha->vrrp, i, &gi) == 0 && gi.leads)
			vip = gi.vip;
	for (int i = 0; i < n; i++) {
		uint32_t k = (uint32_t)i;

		if (v2) {
			synth_ike2(seed, k, vip, &s2);
			if (ike_import_ike2(ha->ike, &s2) == -1)
				break;
		} else {
			synth_isakmp(ha, seed, k, vip, &is);
			if (ike_import_isakmp(ha->ike, &is) == -1)
				break;
		}

		memset(&ps, 0, sizeof(ps));
		ps.version = IKE_STATE_VERSION;
		ps.conn_in = 2000000 + 2 * k;
		ps.conn_out = ps.conn_in + 1;
		ps.spi_in = 0x20000000 + k;
		ps.spi_out = 0x30000000 + k;
		ps.v2_conn = v2 ? s2.conn_id : 0;
		ps.initiator = 1;
		ps.local = vip;
		ps.remote.s_addr = htonl(0x0ac80000 + k + 1);
		ps.local_port = ps.remote_port = 4500;
		ps.tunnel = 1;
		ps.enc = ALG_ESP_GCM;
		ps.enc_keybits = 256;
		ps.auth = ALG_ESP_AUTH_NONE;
		ps.enc_key_len = 36;
		derive(seed, k, "esp-in", ps.enc_key_in, 36);
		derive(seed, k, "esp-out", ps.enc_key_out, 36);
		ps.sel.src.s_addr = htonl(0xc0a81400 + k % 250 + 1);
		ps.sel.src_mask.s_addr = 0xffffffff;
		ps.sel.dst.s_addr = htonl(0xac155b00 + k % 250 + 1);
		ps.sel.dst_mask.s_addr = 0xffffffff;
		ps.life_secs = ps.remaining = 86400;
		ps.life_kbytes = 4608000;
		ps.replay_window = 64;
		snprintf(ps.map, sizeof(ps.map), "%s", ha->maps[0].name);
		ps.map_seq = 10;
		if (ike_import_ipsec(ha->ike, &ps, 1) == -1)
			break;
		done++;
	}
	OPENSSL_cleanse(&is, sizeof(is));
	OPENSSL_cleanse(&s2, sizeof(s2));
	OPENSSL_cleanse(&ps, sizeof(ps));
	if (done < n) {
		snprintf(err, errlen, "stopped after %d tunnels (refused, see "
		    "the log)", done);
		return -1;
	}
	log_info(LOG_HA, "bench tooling: %d synthetic tunnels installed", done);
	return done;
}

int
hasync_test_bump(struct hasync *ha, uint32_t delta)
{
	struct esp_replay_state r;
	int		 n = 0;

	if (ha->role != RF_ROLE_ACTIVE)
		return -1;
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next) {
		if (p->conn_in < 2000000)
			continue;	/* a real tunnel: leave it alone */
		if (ha->esp->ops->get_replay(ha->esp, p->conn_out, &r) == 0) {
			r.seq_out += delta;
			(void)ha->esp->ops->set_replay(ha->esp,
			    p->conn_out, &r);
		}
		if (ha->esp->ops->get_replay(ha->esp, p->conn_in, &r) == 0) {
			r.top += delta;
			memset(r.bitmap, 0xff, sizeof(r.bitmap));
			(void)ha->esp->ops->set_replay(ha->esp, p->conn_in, &r);
		}
		n++;
	}
	return n;
}
