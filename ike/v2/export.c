/*
 * IKEv2 SAs for the standby (ike/ike.h, struct ike_ike2_state): the
 * export of a READY or REKEYED SA, the listener events, and the import
 * that continues one on another node with the same SPIs and keys.
 *
 * What travels: SPIs, state, conn_id, addresses and ports, NAT flags,
 * the suite, the DH group, every SK_* key, the profile, both
 * identities, the message IDs and the lifetime left; in-flight
 * exchanges and the cached answer do not (the peer retransmits, and a
 * retransmission the new node has no answer for goes unanswered).
 *
 * Message IDs (docs/hasync.md "IKEv2 message IDs"): next_in travels
 * with each event but not after each liveness check, so an imported SA
 * takes the first authenticated request with any ID from next_in on,
 * once (msgid_resync, sa.c); next_out travels as a reservation ahead of
 * every ID used (ike2_sa_msgid_out_used), where a node that continues
 * the SA starts.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

/* ---- the suite ------------------------------------------------------------ */

/* The cipher of a state's enc (an IKEv2 transform ID), NULL if none. */
static const struct alg_cipher *
state_cipher(uint16_t enc)
{
	/* the two an IKE SA negotiates (proposal.c) */
	const struct alg_cipher *cbc = alg_enc(ALG_ENC_AES),
				*gcm = alg_esp_enc(ALG_ESP_GCM);

	if (enc != 0 && enc == cbc->ikev2)
		return cbc;
	if (enc != 0 && enc == gcm->ikev2)
		return gcm;
	return NULL;
}

static int
state_suite(const struct ike_ike2_state *s, struct ike2_suite *su)
{
	memset(su, 0, sizeof(*su));
	su->enc = state_cipher(s->enc);
	su->keybits = s->keybits;
	su->prf = (enum alg_hash)s->prf;
	su->integ = (enum alg_hash)s->integ;
	return su->enc != NULL && ike2_suite_ok(su) ? 0 : -1;
}

int
ike2_state_keylens(const struct ike_ike2_state *s, size_t *prflen,
    size_t *alen, size_t *elen)
{
	struct ike2_suite su;

	if (state_suite(s, &su) == -1)
		return -1;
	*prflen = ike_hash_len(su.prf);
	*alen = ike2_integ_keylen(&su);
	*elen = ike2_enc_keylen(&su);
	if (*prflen == 0 || *prflen > IKE_MAX_HASH || *alen > IKE_MAX_HASH ||
	    *elen > IKE2_MAX_ENCKEY)
		return -1;
	return 0;
}

/* ---- export and events ---------------------------------------------------- */

static void
id_out(const struct ike2_idbuf *b, uint8_t *type, uint8_t *data,
    uint16_t *len)
{
	size_t	 n = b->id.len <= IKE2_STATE_ID_MAX ? b->id.len :
		    IKE2_STATE_ID_MAX;

	*type = b->id.type;
	if (n > 0)
		memcpy(data, b->id.data, n);
	*len = (uint16_t)n;
}

void
ike2_sa_export(const struct ike2_sa *sa, struct ike_ike2_state *s)
{
	uint64_t now = ike_now(sa->ike), end = sa->t_life.when;

	memset(s, 0, sizeof(*s));
	s->version = IKE_STATE_VERSION;
	s->conn_id = sa->conn_id;
	memcpy(s->spii, sa->spii, sizeof(s->spii));
	memcpy(s->spir, sa->spir, sizeof(s->spir));
	s->initiator = (uint8_t)(sa->initiator != 0);
	s->fragmentation = (uint8_t)(sa->frag != 0);
	s->state = sa->state == IKE2_REKEYED ? IKE2_STATE_REKEYED :
	    IKE2_STATE_READY;
	s->local = sa->local.sin_addr;
	s->remote = sa->remote.sin_addr;
	s->local_port = ntohs(sa->local.sin_port);
	s->remote_port = ntohs(sa->remote.sin_port);
	s->nat_local = (uint8_t)sa->nat_local;
	s->nat_remote = (uint8_t)sa->nat_remote;
	s->enc = sa->suite.enc != NULL ? sa->suite.enc->ikev2 : 0;
	s->keybits = (uint16_t)sa->suite.keybits;
	s->prf = (uint8_t)sa->suite.prf;
	s->integ = (uint8_t)sa->suite.integ;
	s->group = (uint16_t)sa->group;
	memcpy(s->sk_d, sa->keys.d, sa->keys.prflen);
	memcpy(s->sk_pi, sa->keys.pi, sa->keys.prflen);
	memcpy(s->sk_pr, sa->keys.pr, sa->keys.prflen);
	memcpy(s->sk_ai, sa->keys.ai, sa->keys.alen);
	memcpy(s->sk_ar, sa->keys.ar, sa->keys.alen);
	memcpy(s->sk_ei, sa->keys.ei, sa->keys.elen);
	memcpy(s->sk_er, sa->keys.er, sa->keys.elen);
	s->prf_len = (uint16_t)sa->keys.prflen;
	s->integ_len = (uint16_t)sa->keys.alen;
	s->enc_len = (uint16_t)sa->keys.elen;
	snprintf(s->profile, sizeof(s->profile), "%s", sa->profile);
	id_out(&sa->id_local, &s->id_local_type, s->id_local,
	    &s->id_local_len);
	id_out(&sa->id_peer, &s->id_peer_type, s->id_peer, &s->id_peer_len);
	s->next_in = sa->next_in;
	s->next_out = sa->next_out_reserved;
	s->peer_mid_sync = (uint8_t)(sa->peer_mid_sync != 0);
	s->peer_replay_sync = (uint8_t)(sa->peer_replay_sync != 0);
	s->lifetime = sa->lifetime;
	s->remaining = end > now ? (uint32_t)((end - now + 999) / 1000) : 0;
	if (s->remaining > s->lifetime)
		s->remaining = s->lifetime;
}

void
ike2_emit(struct ike2_sa *sa, enum ike2_event ev, uint32_t replaces)
{
	struct ike	*ike = sa->ike;
	struct ike_ike2_state s;

	if (ike->nlisteners == 0)
		return;
	if (ev == IKE2_EV_DELETED) {
		for (int i = 0; i < ike->nlisteners; i++)
			if (ike->listeners[i].ike2_deleted != NULL)
				ike->listeners[i].ike2_deleted(
				    ike->listeners[i].arg, sa->conn_id);
		return;
	}
	ike2_sa_export(sa, &s);
	s.replaces = replaces;
	for (int i = 0; i < ike->nlisteners; i++) {
		struct ike_listener *l = &ike->listeners[i];

		if (ev == IKE2_EV_UP && l->ike2_up != NULL)
			l->ike2_up(l->arg, &s);
		else if (ev == IKE2_EV_UPDATED && l->ike2_updated != NULL)
			l->ike2_updated(l->arg, &s);
	}
	OPENSSL_cleanse(&s, sizeof(s));
}

int
ike_export_ike2(struct ike *ike,
    void (*fn)(void *, const struct ike_ike2_state *), void *arg)
{
	struct ike_ike2_state s;
	struct ike2_sa	*sa, *last = NULL;
	int		 n = 0;

	/* the list is newest first: oldest first, as conn_ids rise */
	for (sa = ike->v2->sas; sa != NULL; sa = sa->next)
		last = sa;
	for (sa = last; sa != NULL; sa = sa->prev) {
		if (IKE2_NEGOTIATING(sa))
			continue;
		ike2_sa_export(sa, &s);
		fn(arg, &s);
		n++;
	}
	OPENSSL_cleanse(&s, sizeof(s));
	return n;
}

/* ---- import --------------------------------------------------------------- */

static int
bad(const char *what)
{
	log_warnx(LOG_IKE, "IKEv2 import refused: %s", what);
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

static void
id_in(uint8_t type, const uint8_t *data, uint16_t len, struct ike2_idbuf *b)
{
	struct ike2_id id;

	id.type = type;
	id.data = data;
	id.len = len;
	ike2_id_keep(&id, b);
}

int
ike_import_ike2(struct ike *ike, const struct ike_ike2_state *s)
{
	struct ike2	*v2 = ike->v2;
	struct sockaddr_in l, r;
	struct ike2_suite su;
	struct ike2_sa	*sa;
	size_t		 pl, al, el;
	uint64_t	 now = ike_now(ike);

	if (s->version != IKE_STATE_VERSION)
		return bad("state of another version");
	if (s->state != IKE2_STATE_READY && s->state != IKE2_STATE_REKEYED)
		return bad("state");
	if (state_suite(s, &su) == -1 ||
	    ike2_state_keylens(s, &pl, &al, &el) == -1 ||
	    alg_dh(s->group) == NULL)
		return bad("unknown algorithms");
	if (s->prf_len != pl || s->integ_len != al || s->enc_len != el)
		return bad("key lengths do not fit the algorithms");
	if (s->conn_id == 0 || s->lifetime == 0 ||
	    s->id_local_len > IKE2_STATE_ID_MAX ||
	    s->id_peer_len > IKE2_STATE_ID_MAX)
		return bad("conn-id, lifetime or identities");
	if (ike2_sa_find(v2, s->spii, s->spir) != NULL)
		return bad("an SA with these SPIs exists");
	if (ike2_sa_by_conn(v2, s->conn_id) != NULL)
		return bad("an SA with this conn-id exists");
	set_sin(&l, s->local, s->local_port);
	set_sin(&r, s->remote, s->remote_port);
	sa = ike2_sa_new(v2, &l, &r, s->spii);
	memcpy(sa->spir, s->spir, IKE2_SPI_LEN);
	sa->initiator = s->initiator != 0;
	sa->frag = s->fragmentation != 0;
	ike2_sa_set_conn_id(sa, s->conn_id);
	sa->nat_local = s->nat_local;
	sa->nat_remote = s->nat_remote;
	sa->suite = su;
	sa->group = s->group;
	memcpy(sa->keys.d, s->sk_d, pl);
	memcpy(sa->keys.pi, s->sk_pi, pl);
	memcpy(sa->keys.pr, s->sk_pr, pl);
	memcpy(sa->keys.ai, s->sk_ai, al);
	memcpy(sa->keys.ar, s->sk_ar, al);
	memcpy(sa->keys.ei, s->sk_ei, el);
	memcpy(sa->keys.er, s->sk_er, el);
	sa->keys.prflen = pl;
	sa->keys.alen = al;
	sa->keys.elen = el;
	snprintf(sa->profile, sizeof(sa->profile), "%s", s->profile);
	id_in(s->id_local_type, s->id_local, s->id_local_len, &sa->id_local);
	id_in(s->id_peer_type, s->id_peer, s->id_peer_len, &sa->id_peer);
	ike2_sa_ready(sa, s->lifetime);
	sa->next_in = s->next_in;
	sa->msgid_resync = 1;
	sa->next_out = sa->next_out_reserved = s->next_out;
	sa->peer_mid_sync = s->peer_mid_sync;
	sa->peer_replay_sync = s->peer_replay_sync;
	if (s->state == IKE2_STATE_REKEYED)
		sa->state = IKE2_REKEYED;
	ike_timer_set(ike, &sa->t_life, now + (uint64_t)s->remaining * 1000);
	if (sa->state == IKE2_READY)
		ike2_ike_rekey_arm(sa, (uint64_t)s->remaining * 1000);
	else
		ike_timer_stop(ike, &sa->t_rekey);
	/* a rekey on the active: the CHILD SAs are the new SA's now */
	if (s->replaces != 0)
		for (struct ike_child *c = ike->children; c != NULL;
		    c = c->next)
			if (c->v2_conn == s->replaces)
				c->v2_conn = sa->conn_id;
	return 0;
}

int
ike_forget_ike2(struct ike *ike, uint32_t conn_id)
{
	struct ike2_sa	*sa = ike2_sa_by_conn(ike->v2, conn_id);

	if (sa == NULL)
		return -1;
	ike2_sa_forget(sa);
	return 0;
}
