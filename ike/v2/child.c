/*
 * CHILD SAs as responder (RFC 7296 1.2, 1.3, 2.17): the first one in
 * IKE_AUTH and the ones CREATE_CHILD_SA asks for, new or rekeying an
 * existing one; and the rekey of the IKE SA itself (1.3.2, 2.18).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

#define IKE2_NONCE_OURS		32

/* Parse TSi and TSr into v2's lists: 0 or -1. */
static int
read_ts(struct ike2 *v2, const struct ike2_pls *pls)
{
	const struct ike2_pl *pi = ike2_one(pls, IKE2_PL_TSI),
			     *pr = ike2_one(pls, IKE2_PL_TSR);
	const char	*err;

	return pi == NULL || pr == NULL ||
	    ike2_ts_parse(pi->body, &v2->tsi, &err) == -1 ||
	    ike2_ts_parse(pr->body, &v2->tsr, &err) == -1 ? -1 : 0;
}

/*
 * 2.17: i->r encryption, i->r integrity, then r->i, the exchange's
 * initiator's first: the peer's (our inbound), or ours when we
 * initiated (ours_first).  0 or -1.
 */
static int
child_keys(struct ike2_sa *sa, const struct ike2_child_req *q,
    const uint8_t *gir, size_t girlen, int ours_first, struct ike_child *c)
{
	uint8_t		 km[2 * (ESP_MAX_ENC_KEY + ESP_MAX_AUTH_KEY)];
	size_t		 el = c->ekey_len, al = c->akey_len;
	uint8_t		*e1 = ours_first ? c->ekey_out : c->ekey_in,
			*a1 = ours_first ? c->akey_out : c->akey_in,
			*e2 = ours_first ? c->ekey_in : c->ekey_out,
			*a2 = ours_first ? c->akey_in : c->akey_out;
	int		 rc;

	rc = ike2_keymat(sa->suite.prf, sa->keys.d, sa->keys.prflen, gir,
	    girlen, q->ni, q->nilen, q->nr, q->nrlen, km, 2 * (el + al));
	if (rc == 0) {
		memcpy(e1, km, el);
		memcpy(a1, km + el, al);
		memcpy(e2, km + el + al, el);
		memcpy(a2, km + 2 * el + al, al);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

/* The new pair from the entry, the choice and the selector. */
static void
child_fill(struct ike2_sa *sa, const struct ike_spd *spd,
    const struct conf_map_entry *e, const struct ike2_esp_choice *ch,
    const struct esp_selector *sel, int transport, struct ike_child *c)
{
	struct ike	*ike = sa->ike;

	c->spi_out = ch->peer_spi;
	c->reqid = spd->id;
	c->v2_conn = sa->conn_id;
	c->local = sa->local.sin_addr;
	c->remote = sa->remote.sin_addr;
	c->xf.enc = ch->enc;
	c->xf.keybits = ch->keybits;
	c->xf.auth = ch->auth;
	c->xf.group = ch->group;
	/* transport mode when our transform-set says so and the peer asked
	 * (USE_TRANSPORT_MODE, 1.3.1) */
	c->xf.tunnel = !(conf_tset_find(ike->cf,
	    e->tsets[ch->tset])->transport && transport);
	c->xf.life_secs = e->life_seconds != 0 ? e->life_seconds :
	    ike->cf->sa_life_seconds;
	c->xf.life_kbytes = e->life_kbytes != 0 ? e->life_kbytes :
	    ike->cf->sa_life_kbytes;
	snprintf(c->xf.tset, sizeof(c->xf.tset), "%s", e->tsets[ch->tset]);
	if (sa->nat_local || sa->nat_remote) {
		c->xf.udp = 1;
		c->lport = ntohs(sa->local.sin_port);
		c->rport = ntohs(sa->remote.sin_port);
	}
	c->sel = *sel;
	snprintf(c->map, sizeof(c->map), "%s", spd->map);
	c->map_seq = spd->map_seq;
	c->ace = spd->ace;
	snprintf(c->ifname, sizeof(c->ifname), "%s", spd->ifname);
	c->replay_window = ike->cf->replay_window;
}

/*
 * The crypto map entries that name the SA's profile for this peer, their
 * ACL entries in order: the first whose selector the TSs narrow to and
 * one of whose transform-sets the peer offered.  NULL with r->error (and
 * r->want_group) when none.
 */
static const struct ike_spd *
child_choose(struct ike2_sa *sa, const struct ike2_child_req *q,
    struct ike2_child_reply *r, struct esp_selector *sel,
    const struct conf_map_entry **ep, struct ike2_esp_choice *ch)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	const struct ike2_pl *psa = ike2_one(q->pls, IKE2_PL_SA);
	const char	*err;
	int		 noff = 0, ts_ok = 0, ke_wrong = 0;

	if (psa == NULL || read_ts(v2, q->pls) == -1 ||
	    ike2_sa_parse(psa->body, &v2->sa_pl, &err) == -1) {
		r->error = IKE2_N_INVALID_SYNTAX;
		return NULL;
	}
	for (int i = 0; i < v2->sa_pl.nprops && noff < IKE2_MAX_PROPS; i++)
		ike2_prop_from_pl(&v2->sa_pl, i, &v2->offers[noff++]);
	for (int i = 0; i < ike->nspd; i++) {
		const struct ike_spd *s = &ike->spd[i];
		const struct conf_transform_set *ts[8];
		const struct conf_map_entry *e;
		int	 nts = 0;

		if (!s->usable || !s->permit ||
		    strcmp(s->v2profile, sa->profile) != 0 ||
		    s->local.s_addr != sa->local.sin_addr.s_addr ||
		    s->peer.s_addr != sa->remote.sin_addr.s_addr ||
		    ike2_ts_narrow(v2->tsi.ts, v2->tsi.n, v2->tsr.ts, v2->tsr.n,
		    &s->sel, sel) == -1 ||
		    (e = ike_map_entry(ike->cf, s->map, s->map_seq)) == NULL)
			continue;
		ts_ok = 1;
		for (int k = 0; k < e->ntsets && nts < (int)nitems(ts); k++)
			ts[nts++] = conf_tset_find(ike->cf, e->tsets[k]);
		switch (ike2_choose_esp(ts, nts, e->pfs_group, v2->offers, noff,
		    q->ke_group, ch)) {
		case IKE2_CHOSEN:
			*ep = e;
			return s;
		case IKE2_INVALID_KE:
			if (!ke_wrong)
				r->want_group = (uint16_t)ch->want_group;
			ke_wrong = 1;
			break;
		case IKE2_NO_PROPOSAL_CHOSEN:
			break;
		}
	}
	if (ke_wrong) {
		/* 1.3: the group we want; the initiator asks again */
		r->error = IKE2_N_INVALID_KE_PAYLOAD;
		v2->st.invalid_ke++;
	} else if (!ts_ok) {
		r->error = IKE2_N_TS_UNACCEPTABLE;
		v2->st.ts_unacceptable++;
	} else {
		r->error = IKE2_N_NO_PROPOSAL_CHOSEN;
		v2->st.no_proposal++;
	}
	return NULL;
}

int
ike2_child_make(struct ike2_sa *sa, const struct ike2_child_req *q,
    struct ike2_child_reply *r)
{
	struct ike	*ike = sa->ike;
	struct esp_selector sel;
	struct ike2_esp_choice ch;
	const struct ike_spd *spd;
	const struct conf_map_entry *e = NULL;
	struct ike_child *c;
	struct ike_dh	*dh = NULL;
	uint8_t		 gir[IKE_MAX_DH];
	size_t		 girlen = 0, al;
	const char	*err = NULL;

	if ((spd = child_choose(sa, q, r, &sel, &e, &ch)) == NULL)
		return -1;
	r->error = IKE2_N_NO_PROPOSAL_CHOSEN;
	if (ch.group != 0) {
		/* PFS (1.3.1): the KE's group is the one chosen */
		if (q->ke == NULL || q->ke->len != ike_dh_publen(ch.group) ||
		    (dh = ike_dh_new(ch.group)) == NULL ||
		    ike_dh_derive(dh, q->ke->data, q->ke->len, gir,
		    &err) == -1) {
			ike_warn_input(ike, &sa->remote, "IKEv2 KE of group %d "
			    "refused: %s", ch.group, err != NULL ? err :
			    "wrong length");
			ike_dh_free(dh);
			r->error = IKE2_N_INVALID_SYNTAX;
			return -1;
		}
		girlen = ike_dh_secretlen(ch.group);
		r->group = ch.group;
		r->kelen = ike_dh_publen(ch.group);
		memcpy(r->ke, ike_dh_pub(dh), r->kelen);
		ike_dh_free(dh);
	}
	c = ike_child_new(ike);
	c->ekey_len = alg_esp_enc_keylen(ch.enc, (uint32_t)ch.keybits);
	if (c->ekey_len == 0 || c->ekey_len > ESP_MAX_ENC_KEY ||
	    alg_esp_auth_keylen(ch.auth, &al) == -1 ||
	    al > ESP_MAX_AUTH_KEY ||
	    ike->be->ops->alloc_spi(ike->be, &c->spi_in) == -1)
		goto fail;
	c->akey_len = al;
	if (child_keys(sa, q, girlen != 0 ? gir : NULL, girlen, 0, c) == -1)
		goto fail;
	OPENSSL_cleanse(gir, sizeof(gir));
	child_fill(sa, spd, e, &ch, &sel, ike2_has_notify(q->pls,
	    IKE2_N_USE_TRANSPORT_MODE), c);
	ike_child_new_conns(c);
	if (ike_child_install(c, 1, 1) == -1) {
		ike_child_forget(c);
		return -1;
	}
	r->c = c;
	r->transport = !c->xf.tunnel;
	ch.reply.spilen = 4;
	be32_put(ch.reply.spi, c->spi_in);
	ike2_prop_to_pl(&ch.reply, &r->sa_pl);
	/* the TSs we install: TSi the peer's side, TSr ours */
	r->tsi.n = r->tsr.n = 1;
	ike2_ts_from_sel(&sel, &r->tsr.ts[0], &r->tsi.ts[0]);
	r->error = 0;
	return 0;
fail:
	OPENSSL_cleanse(gir, sizeof(gir));
	free_secret(c, sizeof(*c));
	return -1;
}

void
ike2_child_write(struct ike2_wr *wr, const struct ike2_child_reply *r)
{
	struct ike2_notify n;
	struct ike2_ke	 ke;
	uint8_t		 grp[2];

	memset(&n, 0, sizeof(n));
	if (r->c == NULL) {
		n.type = r->error;
		if (r->error == IKE2_N_INVALID_KE_PAYLOAD) {
			be16_put(grp, r->want_group);
			n.data = grp;
			n.datalen = sizeof(grp);
		}
		ike2_wr_notify(wr, &n);
		return;
	}
	if (r->transport) {
		n.type = IKE2_N_USE_TRANSPORT_MODE;
		ike2_wr_notify(wr, &n);
	}
	ike2_wr_sa(wr, &r->sa_pl);
	if (r->nrlen != 0)
		ike2_wr_bytes(wr, IKE2_PL_NONCE, r->nr, r->nrlen);
	if (r->kelen != 0) {
		ke.group = (uint16_t)r->group;
		ke.data = r->ke;
		ke.len = r->kelen;
		ike2_wr_ke(wr, &ke);
	}
	ike2_wr_ts(wr, IKE2_PL_TSI, &r->tsi);
	ike2_wr_ts(wr, IKE2_PL_TSR, &r->tsr);
}

/* ---- CREATE_CHILD_SA ----------------------------------------------------- */

/* What CREATE_CHILD_SA answers: a CHILD SA, or a new IKE SA. */
struct ccs_reply {
	struct ike2_child_reply child;
	int		 ike;		/* the IKE SA's rekey */
	struct ike2_sa_pl sa_pl;	/* its chosen proposal */
	uint16_t	 notify_proto;	/* CHILD_SA_NOT_FOUND: the SPI */
	uint8_t		 notify_spi[4];
};

static void
write_ccs_reply(struct ike2_wr *wr, void *arg)
{
	struct ccs_reply *r = arg;
	struct ike2_child_reply *c = &r->child;
	struct ike2_notify n;
	struct ike2_ke	 ke;

	if (r->ike && c->error == 0) {
		ike2_wr_sa(wr, &r->sa_pl);
		ike2_wr_bytes(wr, IKE2_PL_NONCE, c->nr, c->nrlen);
		ke.group = (uint16_t)c->group;
		ke.data = c->ke;
		ke.len = c->kelen;
		ike2_wr_ke(wr, &ke);
		return;
	}
	if (c->error == IKE2_N_CHILD_SA_NOT_FOUND) {
		memset(&n, 0, sizeof(n));
		n.type = c->error;
		n.proto = (uint8_t)r->notify_proto;
		n.spisize = 4;
		n.spi = r->notify_spi;
		ike2_wr_notify(wr, &n);
		return;
	}
	ike2_child_write(wr, c);
}

/*
 * The IKE SA's rekey (1.3.2, 2.18): a new SA from the initiator's SPI and
 * ours, keys from the old SK_d and a fresh DH, the CHILD SAs moved to it.
 * The old one stays REKEYED until the initiator deletes it.
 */
static void
rekey_ike(struct ike2_sa *sa, const struct ike2_child_req *q,
    struct ccs_reply *r)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	const struct conf_ikev2_proposal *locals[16];
	struct ike2_ike_choice ch;
	struct ike2_sa	*n;
	struct ike_dh	*dh = NULL;
	uint8_t		 gir[IKE_MAX_DH];
	const char	*err = NULL;
	int		 noff = 0, nl, spii;
	char		 a[INET_ADDRSTRLEN];

	r->ike = 1;
	for (int i = 0; i < v2->sa_pl.nprops && noff < IKE2_MAX_PROPS; i++) {
		ike2_prop_from_pl(&v2->sa_pl, i, &v2->offers[noff]);
		/* 3.3: the new SA's SPIi */
		if (v2->offers[noff].proto == IKE2_PROTO_IKE &&
		    v2->offers[noff].spilen == IKE2_SPI_LEN)
			noff++;
	}
	if (q->ke == NULL) {
		r->child.error = IKE2_N_INVALID_SYNTAX;
		return;
	}
	nl = ike2_policy_proposals(ike->cf, sa->local.sin_addr, locals,
	    (int)nitems(locals));
	switch (ike2_choose_ike(locals, nl, v2->offers, noff, q->ke->group,
	    &ch)) {
	case IKE2_NO_PROPOSAL_CHOSEN:
		v2->st.no_proposal++;
		r->child.error = IKE2_N_NO_PROPOSAL_CHOSEN;
		return;
	case IKE2_INVALID_KE:
		v2->st.invalid_ke++;
		r->child.error = IKE2_N_INVALID_KE_PAYLOAD;
		r->child.want_group = (uint16_t)ch.want_group;
		return;
	case IKE2_CHOSEN:
		break;
	}
	if (q->ke->len != ike_dh_publen(ch.group) ||
	    (dh = ike_dh_new(ch.group)) == NULL ||
	    ike_dh_derive(dh, q->ke->data, q->ke->len, gir, &err) == -1) {
		ike_warn_input(ike, &sa->remote, "IKEv2 KE of group %d "
		    "refused: %s", ch.group, err != NULL ? err :
		    "wrong length");
		ike_dh_free(dh);
		r->child.error = IKE2_N_INVALID_SYNTAX;
		return;
	}
	/* the chosen proposal's SPI is the new SPIi */
	for (spii = 0; spii < noff - 1 &&
	    v2->offers[spii].num != ch.reply.num; spii++)
		;
	n = ike2_sa_new(v2, &sa->local, &sa->remote, v2->offers[spii].spi);
	n->suite = ch.suite;
	n->group = ch.group;
	memcpy(n->ni, q->ni, q->nilen);
	n->nilen = q->nilen;
	memcpy(n->nr, q->nr, q->nrlen);
	n->nrlen = q->nrlen;
	if (ike2_kdf_rekey(sa->suite.prf, sa->keys.d, sa->keys.prflen,
	    &n->suite, gir, ike_dh_secretlen(ch.group), n->ni, n->nilen,
	    n->nr, n->nrlen, n->spii, n->spir, &n->keys) == -1) {
		OPENSSL_cleanse(gir, sizeof(gir));
		ike_dh_free(dh);
		ike2_sa_delete(n, "key derivation failed");
		r->child.error = IKE2_N_NO_PROPOSAL_CHOSEN;
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	r->child.group = ch.group;
	r->child.kelen = ike_dh_publen(ch.group);
	memcpy(r->child.ke, ike_dh_pub(dh), r->child.kelen);
	ike_dh_free(dh);
	ch.reply.spilen = IKE2_SPI_LEN;
	memcpy(ch.reply.spi, n->spir, IKE2_SPI_LEN);
	ike2_prop_to_pl(&ch.reply, &r->sa_pl);

	ike2_sa_succeeded(sa, n);
	ike2_sa_rekeyed(sa);
	v2->st.ike_rekeys++;
	/* the standby moves the CHILD SAs too, and keeps the old one
	 * REKEYED for its Delete */
	ike2_emit(n, IKE2_EV_UP, sa->conn_id);
	ike2_emit(sa, IKE2_EV_UPDATED, 0);
	log_info(LOG_IKE, "IKEv2: SA %u with %s rekeyed: SA %u, group %d",
	    sa->conn_id, ike_addr(&sa->remote, a), n->conn_id, n->group);
	if (sa->req_kind == IKE2_REQ_REKEY_IKE) {
		/* ours is out too (2.25.2): answered as usual, the nonces
		 * decide when ours is answered (rekey.c) */
		sa->irekey.collided = n->conn_id;
		ike2_low_of(q->ni, q->nilen, q->nr, q->nrlen,
		    &sa->irekey.peer_low);
		v2->st.rekey_collisions++;
		log_info(LOG_IKE, "IKEv2: SA %u: the IKE SA rekeyed by both "
		    "sides at once (RFC 7296 2.8.2)", sa->conn_id);
	}
}

/*
 * Rekey collisions (RFC 7296 2.8.1, 2.25.1): both sides rekeyed one pair
 * at once and each answered the other, so it has two successors.  The
 * exchange whose lower nonce is the lowest made the redundant one, and
 * its initiator deletes it (with a Delete); the other side's pair stays,
 * and whoever made it deletes the old pair as after any rekey.  Nonces
 * are compared over the shorter of the two, as strongSwan does.
 */
void
ike2_low_of(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
    struct ike2_low *out)
{
	int	 lt = memcmp(a, b, al < bl ? al : bl) < 0;

	out->len = lt ? al : bl;
	if (out->len > sizeof(out->n))
		out->len = sizeof(out->n);
	memcpy(out->n, lt ? a : b, out->len);
}

int
ike2_low_lt(const struct ike2_low *a, const struct ike2_low *b)
{
	return memcmp(a->n, b->n, a->len < b->len ? a->len : b->len) < 0;
}

/* Ours redundant (its lower nonce the lowest): deleted here.  Else the
 * peer's p is, and the peer deletes it: never sent on meanwhile. */
static void
collision_settle(struct ike2_sa *sa, struct ike_child *ours,
    const struct ike2_low *ours_low, struct ike_child *p,
    const struct ike2_low *peer_low)
{
	struct ike	*ike = sa->ike;

	if (ike2_low_lt(ours_low, peer_low)) {
		log_info(LOG_IKE, "IKEv2: SA %u: rekey collision: our pair "
		    "0x%08x is redundant, deleting it", sa->conn_id,
		    ours->spi_in);
		ike_child_delete(ours, 1, "redundant after a rekey collision");
		return;
	}
	log_info(LOG_IKE, "IKEv2: SA %u: rekey collision: the peer's pair "
	    "0x%08x is redundant, the peer deletes it", sa->conn_id,
	    p->spi_in);
	if (p->installed_out) {
		(void)ike->be->ops->del_sa(ike->be, p->conn_out);
		p->installed_out = 0;
	}
}

/* The peer's rekey p of a pair ours replaced already (its REKEY_SA came
 * late, e.g. retransmitted), peer_low its exchange's. */
static void
collision_done(struct ike2_sa *sa, struct ike_child *p,
    const struct ike2_low *peer_low)
{
	struct ike_child *ours = ike_child_by_conn(sa->ike,
	    sa->rekey_done.new_conn);

	if (ours != NULL && ours->v2_conn == sa->conn_id)
		collision_settle(sa, ours, &sa->rekey_done.low, p, peer_low);
	memset(&sa->rekey_done, 0, sizeof(sa->rekey_done));
}

/*
 * A CHILD SA, new or rekeying one (1.3.1, 1.3.3): REKEY_SA names the
 * pair replaced by its SPI (the peer's inbound, our outbound).
 */
static void
create_child(struct ike2_sa *sa, const struct ike2_child_req *q,
    struct ccs_reply *r)
{
	struct ike	*ike = sa->ike;
	struct ike_child *old = NULL;
	struct ike2_low	 low;
	const char	*err;
	int		 collide = 0;
	char		 a[INET_ADDRSTRLEN];

	for (int i = 0; i < q->pls->n; i++) {
		struct ike2_notify n;

		if (q->pls->pl[i].type != IKE2_PL_N ||
		    ike2_notify_parse(q->pls->pl[i].body, &n, &err) == -1 ||
		    n.type != IKE2_N_REKEY_SA)
			continue;
		if (n.proto != IKE2_PROTO_ESP || n.spisize != 4) {
			r->child.error = IKE2_N_INVALID_SYNTAX;
			return;
		}
		old = ike_child_by_spi_out(ike, sa->remote.sin_addr,
		    be32_get(n.spi));
		if (old == NULL || old->v2_conn != sa->conn_id) {
			/* 2.25: gone already (a Delete crossed it) */
			r->child.error = IKE2_N_CHILD_SA_NOT_FOUND;
			r->notify_proto = n.proto;
			memcpy(r->notify_spi, n.spi, 4);
			return;
		}
		/* 2.25.1: a rekey of a pair we rekey too is answered as
		 * usual, the nonces decide (2.8.1) */
		if (sa->req_kind == IKE2_REQ_REKEY_CHILD &&
		    sa->rekey.old_conn == old->conn_in)
			collide = 1;	/* ours is out */
		else if (old->rekeyed &&
		    sa->rekey_done.old_conn == old->conn_in)
			collide = 2;	/* ours is done */
	}
	if (ike2_child_make(sa, q, &r->child) == -1) {
		log_warnx(LOG_IKE, "IKEv2: SA %u: no CHILD SA for %s: %s",
		    sa->conn_id, ike_addr(&sa->remote, a),
		    ike2_notify_name(r->child.error));
		return;
	}
	ike->v2->st.child_ok++;
	if (old != NULL) {
		ike_child_superseded(old);
		ike->v2->st.child_rekeys++;
	}
	ike_child_up(r->child.c, old != NULL ? old->conn_in : 0);
	if (collide == 0)
		return;
	ike->v2->st.rekey_collisions++;
	ike2_low_of(q->ni, q->nilen, r->child.nr, r->child.nrlen, &low);
	if (collide == 1) {
		/* settled when our answer comes */
		sa->rekey.collided = r->child.c->conn_in;
		sa->rekey.peer_low = low;
		log_info(LOG_IKE, "IKEv2: SA %u: CHILD SA 0x%08x rekeyed by "
		    "both sides at once (RFC 7296 2.8.1)", sa->conn_id,
		    old->spi_in);
	} else
		collision_done(sa, r->child.c, &low);
}

void
ike2_create_child_sa(struct ike2_sa *sa, const struct ike2_hdr *h,
    const struct ike2_pls *pls)
{
	struct ike2	*v2 = sa->ike->v2;
	const struct ike2_pl *psa = ike2_one(pls, IKE2_PL_SA),
			     *pno = ike2_one(pls, IKE2_PL_NONCE);
	struct ike2_child_req q;
	struct ike2_ke	 ke;
	struct ccs_reply *r = xcalloc(1, sizeof(*r));
	const char	*err = NULL;

	memset(&q, 0, sizeof(q));
	q.pls = pls;
	if (sa->state != IKE2_READY) {
		/* 2.25: rekeyed, its successor takes requests */
		r->child.error = IKE2_N_TEMPORARY_FAILURE;
		goto answer;
	}
	if (psa == NULL || pno == NULL ||
	    ike2_pls_count(pls, IKE2_PL_KE) > 1 ||
	    ike2_sa_parse(psa->body, &v2->sa_pl, &err) == -1 ||
	    ike2_nonce_parse(pno->body, &q.ni, &q.nilen, &err) == -1 ||
	    (ike2_one(pls, IKE2_PL_KE) != NULL &&
	    ike2_ke_parse(ike2_one(pls, IKE2_PL_KE)->body, &ke, &err) == -1) ||
	    v2->sa_pl.nprops == 0) {
		v2->st.malformed++;
		ike_warn_input(sa->ike, &sa->remote, "IKEv2 CREATE_CHILD_SA: "
		    "%s", err != NULL ? err : "without one SA and Nonce");
		r->child.error = IKE2_N_INVALID_SYNTAX;
		goto answer;
	}
	if (ike2_one(pls, IKE2_PL_KE) != NULL) {
		q.ke = &ke;
		q.ke_group = ke.group;
	}
	r->child.nrlen = IKE2_NONCE_OURS;
	ike_random(r->child.nr, r->child.nrlen);
	q.nr = r->child.nr;
	q.nrlen = r->child.nrlen;
	if (v2->sa_pl.prop[0].proto == IKE2_PROTO_IKE)
		rekey_ike(sa, &q, r);
	else
		create_child(sa, &q, r);
answer:
	(void)ike2_respond(sa, IKE2_EX_CREATE_CHILD_SA, h->msgid,
	    write_ccs_reply, r);
	/* the standby's message ID: a replay of it is refused there */
	if (r->child.c != NULL)
		ike2_emit(sa, IKE2_EV_UPDATED, 0);
	free_secret(r, sizeof(*r));
}

/* ---- CHILD SA rekeys of ours (1.3.3) ------------------------------------- */

/*
 * When a pair nears the end of its lifetime (its soft timer, or a
 * takeover that distrusts its counters), havpn rekeys it: CREATE_CHILD_SA
 * with N(REKEY_SA) naming our inbound SPI, every transform-set of the
 * crypto map entry as an ESP proposal with the new SPI (and the entry's
 * PFS group with a KE), a nonce, and the pair's selector as TSi (ours)
 * and TSr.  The answer's proposal must be one of ours; the new pair is
 * keyed with our nonce first (we initiate this exchange: the first keys
 * are our outbound ones) and replaces the old one, which lives 5 s more
 * for packets in flight and then goes with a Delete.  A peer's REKEY_SA
 * for a pair we are rekeying is answered as usual, and the nonces decide
 * which of the two new pairs stays (collision_settle).
 */

struct rekey_arg {
	struct ike2_sa	*sa;
	const struct ike_child *c;	/* the pair rekeyed, NULL: a new one */
	const struct ike_spd *spd;	/* a new one's entry */
	int		 transport;
	struct ike2_sa_pl *pl;
};

static void
write_rekey(struct ike2_wr *wr, void *arg)
{
	struct rekey_arg *q = arg;
	struct ike2_rekey *rk = &q->sa->rekey;
	struct ike2_notify n;
	struct ike2_ts_pl tsi, tsr;
	struct ike2_ke	 ke;
	uint8_t		 spi[4];

	memset(&n, 0, sizeof(n));
	if (q->c != NULL) {
		n.type = IKE2_N_REKEY_SA;
		n.proto = IKE2_PROTO_ESP;
		n.spisize = 4;
		be32_put(spi, q->c->spi_in);
		n.spi = spi;
		ike2_wr_notify(wr, &n);
	}
	if (q->transport) {
		n.type = IKE2_N_USE_TRANSPORT_MODE;
		n.proto = 0;
		n.spisize = 0;
		n.spi = NULL;
		ike2_wr_notify(wr, &n);
	}
	ike2_wr_sa(wr, q->pl);
	ike2_wr_bytes(wr, IKE2_PL_NONCE, rk->ni, sizeof(rk->ni));
	if (rk->dh != NULL) {
		ke.group = (uint16_t)rk->group;
		ke.data = ike_dh_pub(rk->dh);
		ke.len = ike_dh_publen(rk->group);
		ike2_wr_ke(wr, &ke);
	}
	memset(&tsi, 0, sizeof(tsi));
	memset(&tsr, 0, sizeof(tsr));
	tsi.n = tsr.n = 1;
	ike2_ts_from_sel(q->c != NULL ? &q->c->sel : &q->spd->sel, &tsi.ts[0],
	    &tsr.ts[0]);
	ike2_wr_ts(wr, IKE2_PL_TSI, &tsi);
	ike2_wr_ts(wr, IKE2_PL_TSR, &tsr);
}

int
ike2_child_offer(struct ike *ike, const struct conf_map_entry *e, uint32_t spi,
    int pfs, struct ike2_sa_pl *pl)
{
	memset(pl, 0, sizeof(*pl));
	for (int k = 0; k < e->ntsets; k++) {
		const struct conf_transform_set *t =
		    conf_tset_find(ike->cf, e->tsets[k]);
		struct ike2_prop p;

		if (t == NULL || ike2_prop_from_tset(t, pfs, &p) == -1)
			continue;
		p.num = (uint8_t)(pl->nprops + 1);
		p.spilen = 4;
		be32_put(p.spi, spi);
		ike2_prop_append_pl(&p, pl);
	}
	return pl->nprops > 0 ? 0 : -1;
}

/* Our CREATE_CHILD_SA: c rekeyed, or (c NULL) a new pair for spd. */
static int
rekey_send(struct ike2_sa *sa, struct ike_child *c, const struct ike_spd *spd)
{
	struct ike	*ike = sa->ike;
	struct ike2_rekey *rk = &sa->rekey;
	const struct conf_map_entry *e = c != NULL ? ike_map_entry(ike->cf,
	    c->map, c->map_seq) : ike_map_entry(ike->cf, spd->map,
	    spd->map_seq);
	const struct conf_transform_set *t;
	struct rekey_arg q = { sa, c, spd, 0, NULL };
	int		 rc = -1;

	if (sa->req_kind != IKE2_REQ_NONE)
		return -1;	/* rk shares its room with a request out */
	if (e == NULL || ike->be->ops->alloc_spi(ike->be, &rk->spi_in) == -1)
		return -1;
	if (c != NULL)
		q.transport = !c->xf.tunnel;
	else
		q.transport = e->ntsets > 0 && (t = conf_tset_find(ike->cf,
		    e->tsets[0])) != NULL && t->transport;
	q.pl = xcalloc(1, sizeof(*q.pl));
	rk->old_conn = c != NULL ? c->conn_in : 0;
	rk->reqid = c != NULL ? c->reqid : spd->id;
	ike_random(rk->ni, sizeof(rk->ni));
	rk->group = e->pfs_group;
	rk->dh = rk->group != 0 ? ike_dh_new(rk->group) : NULL;
	if ((rk->group == 0 || rk->dh != NULL) &&
	    ike2_child_offer(ike, e, rk->spi_in, e->pfs_group, q.pl) == 0 &&
	    ike2_request(sa, IKE2_REQ_REKEY_CHILD, sa->next_out, write_rekey,
	    &q) == 0) {
		if (c != NULL)
			IKE2_TRACE(sa, "rekeying CHILD SA 0x%08x: new SPI "
			    "0x%08x", c->spi_in, rk->spi_in);
		else
			IKE2_TRACE(sa, "a CHILD SA for crypto map %s %d: SPI "
			    "0x%08x", spd->map, spd->map_seq, rk->spi_in);
		rc = 0;
	} else
		ike2_child_rekey_abandon(sa);
	free(q.pl);
	return rc;
}

int
ike2_child_rekey(struct ike2 *v2, struct ike_child *c)
{
	struct ike2_sa	*sa = ike2_sa_by_conn(v2, c->v2_conn);

	if (sa == NULL || sa->state != IKE2_READY)
		return -1;
	if (sa->req_kind == IKE2_REQ_NONE && !sa->sync_pending)
		return rekey_send(sa, c, NULL);
	/* the window is busy: after its answer (ike2_child_rekey_next) */
	for (int i = 0; i < sa->nrekey_wait; i++)
		if (sa->rekey_wait[i] == c->conn_in)
			return 0;
	if (sa->nrekey_wait == IKE2_DEL_QUEUE)
		return -1;
	sa->rekey_wait[sa->nrekey_wait++] = c->conn_in;
	return 0;
}

void
ike2_child_rekey_next(struct ike2_sa *sa)
{
	struct ike	*ike = sa->ike;

	while (sa->nrekey_wait > 0 && sa->req_kind == IKE2_REQ_NONE) {
		struct ike_child *c = ike_child_by_conn(ike, sa->rekey_wait[0]);

		memmove(sa->rekey_wait, sa->rekey_wait + 1,
		    (size_t)--sa->nrekey_wait * sizeof(sa->rekey_wait[0]));
		if (c == NULL || c->rekeyed || c->v2_conn != sa->conn_id)
			continue;
		if (rekey_send(sa, c, NULL) == -1)
			c->rekeying = 0;
	}
	while (sa->ncreate_wait > 0 && sa->req_kind == IKE2_REQ_NONE) {
		const struct ike_spd *spd = ike_spd_by_reqid(ike,
		    sa->create_wait[0]);

		memmove(sa->create_wait, sa->create_wait + 1,
		    (size_t)--sa->ncreate_wait * sizeof(sa->create_wait[0]));
		if (spd != NULL && ike2_child_live_for_reqid(ike, spd->id,
		    spd->peer) == NULL)
			(void)rekey_send(sa, NULL, spd);
	}
}

int
ike2_child_create(struct ike2_sa *sa, const struct ike_spd *spd)
{
	if (sa->state != IKE2_READY)
		return -1;
	/* asked for already: out, or waiting */
	if (sa->req_kind == IKE2_REQ_REKEY_CHILD && sa->rekey.old_conn == 0 &&
	    sa->rekey.reqid == spd->id)
		return 0;
	for (int i = 0; i < sa->ncreate_wait; i++)
		if (sa->create_wait[i] == spd->id)
			return 0;
	if (sa->req_kind == IKE2_REQ_NONE && !sa->sync_pending)
		return rekey_send(sa, NULL, spd);
	if (sa->ncreate_wait == IKE2_DEL_QUEUE)
		return -1;
	sa->create_wait[sa->ncreate_wait++] = spd->id;
	return 0;
}

void
ike2_child_rekey_abandon(struct ike2_sa *sa)
{
	struct ike2_rekey *rk = &sa->rekey;
	struct ike_child *c;

	if (rk->old_conn != 0 &&
	    (c = ike_child_by_conn(sa->ike, rk->old_conn)) != NULL)
		c->rekeying = 0;	/* its soft timer is spent: the peer's
					   rekey or its end */
	ike_dh_free(rk->dh);
	OPENSSL_cleanse(rk, sizeof(*rk));
}

/* The answer's proposal as one of ours (group: our KE's, 0 without):
 * the choice, or -1. */
static int
answer_choice(struct ike2_sa *sa, const struct conf_map_entry *e,
    const struct ike2_pls *pls, int group, struct ike2_esp_choice *ch)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	const struct ike2_pl *psa = ike2_one(pls, IKE2_PL_SA);
	const struct conf_transform_set *ts[8];
	struct ike2_prop got;
	const char	*err;
	int		 nts = 0;

	if (psa == NULL || ike2_sa_parse(psa->body, &v2->sa_pl, &err) == -1 ||
	    v2->sa_pl.nprops != 1)
		return -1;
	ike2_prop_from_pl(&v2->sa_pl, 0, &got);
	for (int k = 0; k < e->ntsets && nts < (int)nitems(ts); k++)
		ts[nts++] = conf_tset_find(ike->cf, e->tsets[k]);
	/* the peer's one proposal must be one of ours, one transform a
	 * type, the group ours */
	for (int t = 0; t < IKE2_NTYPES; t++)
		if (got.nxf[t] > 1)
			return -1;
	return ike2_choose_esp(ts, nts, e->pfs_group, &got, 1, group,
	    ch) == IKE2_CHOSEN ? 0 : -1;
}

/* The first error notification of an answer, 0 if none; with want, the
 * group an INVALID_KE_PAYLOAD asks for (left alone otherwise). */
uint16_t
ike2_refusal(const struct ike2_pls *pls, int *want)
{
	for (int i = 0; i < pls->n; i++) {
		struct ike2_notify n;
		const char	*err;

		if (pls->pl[i].type != IKE2_PL_N ||
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == -1 ||
		    n.type >= IKE2_N_STATUS_MIN)
			continue;
		if (want != NULL && n.type == IKE2_N_INVALID_KE_PAYLOAD &&
		    n.datalen == 2)
			*want = be16_get(n.data);
		return n.type;
	}
	return 0;
}

struct ike_child *
ike2_child_answered(struct ike2_sa *sa, const struct ike2_answered *q,
    const char **why)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	struct ike2_esp_choice ch;
	struct ike2_child_req keys;
	struct esp_selector sel;
	struct ike_child *c;
	size_t		 al;
	int		 transport;

	*why = "the answer is not one of our proposals";
	if (answer_choice(sa, q->e, q->pls, q->group, &ch) == -1)
		return NULL;
	*why = "its traffic selectors are not within ours";
	if (read_ts(v2, q->pls) == -1 || v2->tsi.n != 1 || v2->tsr.n != 1 ||
	    ike2_ts_accept(&v2->tsi.ts[0], &v2->tsr.ts[0], q->sel,
	    &sel) == -1)
		return NULL;
	*why = "no keys for its algorithms";
	c = ike_child_new(ike);
	c->spi_in = q->spi_in;
	c->ekey_len = alg_esp_enc_keylen(ch.enc, (uint32_t)ch.keybits);
	if (c->ekey_len == 0 || c->ekey_len > ESP_MAX_ENC_KEY ||
	    alg_esp_auth_keylen(ch.auth, &al) == -1 ||
	    al > ESP_MAX_AUTH_KEY) {
		free_secret(c, sizeof(*c));
		return NULL;
	}
	c->akey_len = al;
	/* we initiated: our nonce first, the first keys our outbound ones */
	memset(&keys, 0, sizeof(keys));
	keys.ni = q->ni;
	keys.nilen = q->nilen;
	keys.nr = q->nr;
	keys.nrlen = q->nrlen;
	if (child_keys(sa, &keys, q->gir, q->girlen, 1, c) == -1) {
		free_secret(c, sizeof(*c));
		return NULL;
	}
	/* transport only when we asked and the answer agrees (1.3.1) */
	transport = q->transport && ike2_has_notify(q->pls,
	    IKE2_N_USE_TRANSPORT_MODE);
	child_fill(sa, q->spd, q->e, &ch, &sel, transport, c);
	ike_child_new_conns(c);
	*why = "the data plane refused it";
	if (ike_child_install(c, 1, 1) == -1) {
		ike_child_forget(c);
		return NULL;
	}
	*why = NULL;
	return c;
}

void
ike2_child_rekey_answer(struct ike2_sa *sa, const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct ike2_rekey *rk = &sa->rekey;
	struct ike_child *old = rk->old_conn != 0 ? ike_child_by_conn(ike,
			    rk->old_conn) : NULL, *c = NULL;
	const struct ike2_pl *pno = ike2_one(pls, IKE2_PL_NONCE),
			     *pke = ike2_one(pls, IKE2_PL_KE);
	const struct conf_transform_set *t;
	struct ike2_answered q;
	struct ike2_ke	 ke;
	struct ike2_low	 low;
	struct ike_child *p;
	uint8_t		 gir[IKE_MAX_DH];
	const char	*err = NULL, *why = NULL;
	uint16_t	 refused = ike2_refusal(pls, NULL);
	char		 a[INET_ADDRSTRLEN];

	memset(&q, 0, sizeof(q));
	q.pls = pls;
	/* (replaced by the peer's rekey that crossed ours: ours is made all
	 * the same, the nonces decide which stays) */
	if (rk->old_conn != 0 && (old == NULL || (old->rekeyed &&
	    rk->collided == 0)))
		why = "the pair is gone or replaced meanwhile";
	else if (refused != 0)
		why = ike2_notify_name(refused);
	else if ((q.spd = ike_spd_by_reqid(ike, rk->reqid)) == NULL ||
	    (q.e = ike_map_entry(ike->cf, q.spd->map, q.spd->map_seq)) == NULL)
		why = "its crypto map entry is gone";
	else if (pno == NULL || ike2_nonce_parse(pno->body, &q.nr, &q.nrlen,
	    &err) == -1)
		why = "the answer is not one of our proposals";
	else if (rk->dh != NULL && (pke == NULL ||
	    ike2_ke_parse(pke->body, &ke, &err) == -1 ||
	    ke.group != rk->group || ike_dh_derive(rk->dh, ke.data, ke.len,
	    gir, &err) == -1))
		why = "its KE does not fit our group";
	if (why == NULL) {
		if (old != NULL) {
			q.sel = &old->sel;
			q.transport = !old->xf.tunnel;
		} else {
			q.sel = &q.spd->sel;
			q.transport = q.e->ntsets > 0 &&
			    (t = conf_tset_find(ike->cf, q.e->tsets[0])) !=
			    NULL && t->transport;
		}
		q.spi_in = rk->spi_in;
		q.ni = rk->ni;
		q.nilen = sizeof(rk->ni);
		q.group = rk->group;
		if (rk->dh != NULL) {
			q.gir = gir;
			q.girlen = ike_dh_secretlen(rk->group);
		}
		if ((c = ike2_child_answered(sa, &q, &why)) != NULL)
			rk->spi_in = 0;		/* the pair's now */
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	if (why != NULL && rk->collided != 0) {
		log_info(LOG_IKE, "IKEv2: SA %u: our rekey of a CHILD SA the "
		    "peer rekeyed at once failed (%s): the peer's stands",
		    sa->conn_id, why);
		return;
	}
	if (why != NULL) {
		ike->v2->st.rekeys_failed++;
		log_warnx(LOG_IKE, "IKEv2: SA %u: %s with %s failed: %s",
		    sa->conn_id, rk->old_conn != 0 ? "rekey of CHILD SA" :
		    "a CHILD SA of ours", ike_addr(&sa->remote, a), why);
		return;
	}
	ike->v2->st.child_ok++;
	if (old == NULL) {
		ike_child_up(c, 0);
		ike2_emit(sa, IKE2_EV_UPDATED, 0);
		return;
	}
	ike->v2->st.child_rekeys++;
	ike_child_superseded(old);
	ike_child_up(c, old->conn_in);
	ike2_low_of(rk->ni, sizeof(rk->ni), q.nr, q.nrlen, &low);
	if (rk->collided != 0 && (p = ike_child_by_conn(ike,
	    rk->collided)) != NULL)
		collision_settle(sa, c, &low, p, &rk->peer_low);
	else {
		sa->rekey_done.old_conn = old->conn_in;
		sa->rekey_done.new_conn = c->conn_in;
		sa->rekey_done.low = low;
	}
	ike2_emit(sa, IKE2_EV_UPDATED, 0);
}
