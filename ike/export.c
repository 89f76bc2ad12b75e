/*
 * Export and import of established SAs as plain structs (ike/ike.h): what
 * another node needs to continue them without renegotiating.  In-flight
 * exchanges are not exported; the peer retransmits into the new node.
 *
 * An imported ISAKMP SA continues its IV chain (every phase 2 IV derives
 * from the last phase 1 block), its DPD sequence numbers and NAT-T state;
 * an imported IPsec SA pair keeps its conn-ids, SPIs, keys and the time
 * left.  Imports emit no listener events: they come from the listener.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

int
ike_export_isakmp(struct ike *ike,
    void (*fn)(void *, const struct ike_isakmp_state *), void *arg)
{
	struct ike_isakmp_state s;
	int	 n = 0;

	for (struct ike_sa *sa = ike->sas; sa != NULL; sa = sa->next) {
		if (!sa->established || sa->state == IKE_DEAD)
			continue;
		ike_sa_export(sa, &s);
		fn(arg, &s);
		n++;
	}
	OPENSSL_cleanse(&s, sizeof(s));
	return n;
}

int
ike_export_ipsec(struct ike *ike,
    void (*fn)(void *, const struct ike_ipsec_state *), void *arg)
{
	struct ike_ipsec_state s;
	int	 n = 0;

	for (struct ike_child *c = ike->children; c != NULL; c = c->next) {
		ike_child_export(c, &s);
		fn(arg, &s);
		n++;
	}
	OPENSSL_cleanse(&s, sizeof(s));
	return n;
}

static int
bad(const char *what)
{
	log_warnx(LOG_IKE, "import refused: %s", what);
	return -1;
}

static void
set_sin(struct sockaddr_in *sin, struct in_addr a, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	sin->sin_port = htons(port);
}

int
ike_import_isakmp(struct ike *ike, const struct ike_isakmp_state *s)
{
	struct sockaddr_in l, r;
	struct ike_sa	*sa;
	size_t		 hl;
	uint64_t	 now = ike_now(ike);

	if (s->version != IKE_STATE_VERSION)
		return bad("ISAKMP state of another version");
	if (s->exchange != IKE_EX_MAIN && s->exchange != IKE_EX_AGGRESSIVE)
		return bad("unknown exchange");
	/* a cipher without an OpenSSL name (des) is never negotiated */
	if (alg_hash(s->hash) == NULL || alg_enc(s->enc) == NULL ||
	    alg_enc(s->enc)->ossl[0] == NULL || alg_dh(s->group) == NULL)
		return bad("unknown algorithms");
	hl = ike_hash_len(s->hash);
	if (s->prf_len != hl || s->enc_key_len != ike_cipher_keylen(s->enc,
	    s->keybits) || s->iv_len != ike_cipher_block(s->enc))
		return bad("key lengths do not fit the algorithms");
	if (s->natt > IKE_VID_DRAFT)
		return bad("unknown NAT-T version");
	if (ike_sa_find(ike, s->icookie, s->rcookie) != NULL)
		return bad("an SA with these cookies exists");
	set_sin(&l, s->local, s->local_port);
	set_sin(&r, s->remote, s->remote_port);
	sa = ike_sa_new(ike, 0, &l, &r);
	ike_sa_set_cookies(sa, s->icookie, s->rcookie);
	sa->initiator = s->initiator;
	sa->exchange = s->exchange;
	sa->imported = 1;
	sa->peer_id = s->peer_id;
	sa->alg.enc = s->enc;
	sa->alg.keybits = s->keybits;
	sa->alg.hash = s->hash;
	sa->alg.group = s->group;
	sa->alg.lifetime = s->lifetime;
	memcpy(sa->keys.d, s->skeyid_d, hl);
	memcpy(sa->keys.a, s->skeyid_a, hl);
	memcpy(sa->keys.e, s->skeyid_e, hl);
	sa->keys.len = hl;
	memcpy(sa->keys.enc, s->enc_key, s->enc_key_len);
	sa->keys.enclen = s->enc_key_len;
	memcpy(sa->iv, s->iv, s->iv_len);
	sa->peer_dpd = s->peer_dpd;
	sa->dpd_seq_out = s->dpd_seq_out;
	sa->dpd_seq_in = s->dpd_seq_in;
	sa->natt = s->natt;
	sa->nat_local = s->nat_local;
	sa->nat_remote = s->nat_remote;
	memcpy(sa->msgids, s->msgids, sizeof(sa->msgids));
	snprintf(sa->map, sizeof(sa->map), "%s", s->map);
	sa->map_seq = s->map_seq;
	if (s->conn_id != 0 && ike_sa_by_conn_id(ike, s->conn_id) == NULL)
		ike_sa_set_conn_id(sa, s->conn_id);
	else
		ike_sa_assign_conn_id(sa);
	if (ike->next_conn_id <= sa->conn_id)
		ike->next_conn_id = sa->conn_id + 1;
	sa->state = IKE_P1_COMPLETE;
	sa->established = 1;
	sa->established_ms = sa->last_rx_ms = now;
	sa->expire_ms = now + (uint64_t)s->remaining * 1000;
	ike_sa_timers_start(sa);
	return 0;
}

int
ike_import_ipsec(struct ike *ike, const struct ike_ipsec_state *s, int install)
{
	struct ike_child *c;
	uint64_t	 now = ike_now(ike);

	if (s->version != IKE_STATE_VERSION)
		return bad("IPsec state of another version");
	if (s->conn_in == 0 || s->conn_out == 0 || s->conn_in == s->conn_out ||
	    ike_child_by_conn(ike, s->conn_in) != NULL ||
	    ike_child_by_conn(ike, s->conn_out) != NULL)
		return bad("conn-ids missing or in use");
	if (alg_esp_enc(s->enc) == NULL || (s->auth != ALG_ESP_AUTH_NONE &&
	    alg_esp_auth(s->auth) == NULL) ||
	    s->enc_key_len > ESP_MAX_ENC_KEY ||
	    s->auth_key_len > ESP_MAX_AUTH_KEY || s->life_secs == 0)
		return bad("transform or key lengths");
	/* an IKEv2 CHILD SA goes under its IKE SA, imported before it */
	if (s->v2_conn != 0 && !ike2_conn_exists(ike, s->v2_conn))
		return bad("CHILD SA of an IKEv2 SA not here");
	c = ike_child_new(ike);
	c->conn_in = s->conn_in;
	c->conn_out = s->conn_out;
	c->spi_in = s->spi_in;
	c->spi_out = s->spi_out;
	c->map_seq = s->map_seq;
	c->ace = s->ace;
	snprintf(c->map, sizeof(c->map), "%s", s->map);
	c->sel = s->sel;
	c->reqid = ike_reqid_of_flows(ike, c->map, c->map_seq, &c->sel);
	c->isakmp_conn_id = s->isakmp_conn_id;
	c->initiator = s->initiator;
	c->local = s->local;
	c->remote = s->remote;
	c->lport = s->local_port;
	c->rport = s->remote_port;
	c->xf.tunnel = s->tunnel;
	c->xf.udp = s->local_port != 0;
	c->xf.enc = s->enc;
	c->xf.keybits = s->enc_keybits;
	c->xf.auth = s->auth;
	c->xf.group = s->pfs_group;
	c->xf.life_secs = s->life_secs;
	c->xf.life_kbytes = s->life_kbytes;
	memcpy(c->ekey_in, s->enc_key_in, s->enc_key_len);
	memcpy(c->ekey_out, s->enc_key_out, s->enc_key_len);
	c->ekey_len = s->enc_key_len;
	memcpy(c->akey_in, s->auth_key_in, s->auth_key_len);
	memcpy(c->akey_out, s->auth_key_out, s->auth_key_len);
	c->akey_len = s->auth_key_len;
	c->replay_window = s->replay_window;
	snprintf(c->ifname, sizeof(c->ifname), "%s", s->ifname);
	c->rekeyed = s->rekeyed;
	c->v2_conn = s->v2_conn;
	if (install && ike_child_install(c, 1, 1) == -1) {
		ike_child_delete(c, 0, "import refused by the data plane");
		return -1;
	}
	if (!install)
		c->installed_in = c->installed_out = 1;
	ike_child_link(c);
	c->created_ms = now;
	c->expire_ms = now + (uint64_t)s->remaining * 1000;
	if (ike->next_ipsec_conn <= s->conn_in)
		ike->next_ipsec_conn = s->conn_in + 1;
	if (ike->next_ipsec_conn <= s->conn_out)
		ike->next_ipsec_conn = s->conn_out + 1;
	ike_child_timers_start(c);
	return 0;
}

int
ike_forget_isakmp(struct ike *ike, uint32_t conn_id)
{
	struct ike_sa	*sa = ike_sa_by_conn_id(ike, conn_id);

	if (sa == NULL)
		return -1;
	ike_sa_free(sa);
	return 0;
}

int
ike_forget_ipsec(struct ike *ike, uint32_t conn_id)
{
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	if (c == NULL)
		return -1;
	ike_child_forget(c);
	return 0;
}

int
ike_ipsec_replaced(struct ike *ike, uint32_t conn_id)
{
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	if (c == NULL)
		return -1;
	ike_child_superseded(c);
	return 0;
}

static void
stop_out(struct ike *ike, struct ike_child *c)
{
	if (c->installed_out) {
		(void)ike->be->ops->del_sa(ike->be, c->conn_out);
		c->installed_out = 0;
	}
}

int
ike_stop_ipsec_out(struct ike *ike, uint32_t conn_id)
{
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	if (c == NULL || !ike->active)
		return -1;
	stop_out(ike, c);
	return 0;
}

int
ike_ipsec_unreplaced(struct ike *ike, uint32_t conn_id)
{
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	return c != NULL && !c->rekeyed;
}

int
ike_rekey_ipsec(struct ike *ike, uint32_t conn_id, int stop)
{
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	if (c == NULL || !ike->active)
		return -1;
	if (stop)
		stop_out(ike, c);
	if (c->rekeyed)
		return -1;
	if (c->rekeying)
		return 0;
	return ike_child_rekey(c);
}
