/*
 * havpn as IKEv2 initiator (RFC 7296 1.2, 2.6, 2.15, 2.23): traffic for
 * an IKEv2 crypto map entry without a pair (the data plane's acquire)
 * starts an IKE SA to the entry's peer.  IKE_SA_INIT offers the policy's
 * proposals for our address with a KE of the first one's first group, a
 * nonce and NAT detection; a COOKIE answer is sent back in front of the
 * same request, INVALID_KE_PAYLOAD naming a group of ours gets a new KE
 * (three such rounds at most).  IKE_AUTH (on port 4500 when a NAT was
 * detected) carries our identity from the profile, AUTH with the keyring
 * peer's local key, the first CHILD SA for the entry (its transform-sets,
 * the ACL entry's selector) and RFC 6311's support; the answer's AUTH is
 * checked with the remote key and its identity against the profile, then
 * the SA is READY and the pair up.
 *
 * Only the active node starts anything; traffic for an entry whose peer
 * has an IKEv2 SA being negotiated waits for it, and one whose peer has
 * a READY IKE SA gets its pair from a CREATE_CHILD_SA under it
 * (child.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

#define IKE2_NONCE_OURS		32
#define IKE2_INIT_ROUNDS	3	/* COOKIE and INVALID_KE answers */

static const uint8_t zero_spi[IKE2_SPI_LEN];

static int
policy_proposals(struct ike2_sa *sa,
    const struct conf_ikev2_proposal **locals, int max)
{
	return ike2_policy_proposals(sa->ike->cf, sa->local.sin_addr, locals,
	    max);
}

int
ike2_group_ours(struct ike2_sa *sa, int group)
{
	const struct conf_ikev2_proposal *locals[16];
	int		 nl = policy_proposals(sa, locals, (int)nitems(locals));

	for (int i = 0; i < nl; i++)
		for (int k = 0; k < locals[i]->ngroup; k++)
			if (locals[i]->group[k] == group)
				return 1;
	return 0;
}

int
ike2_ike_answer_choice(struct ike2_sa *sa, const struct ike2_pls *pls,
    int group, size_t spilen, struct ike2_ike_choice *ch, uint8_t *spi)
{
	struct ike2	*v2 = sa->ike->v2;
	const struct conf_ikev2_proposal *locals[16];
	const struct ike2_pl *psa = ike2_one(pls, IKE2_PL_SA);
	struct ike2_prop got;
	const char	*err;
	int		 nl;

	if (psa == NULL || ike2_sa_parse(psa->body, &v2->sa_pl, &err) == -1 ||
	    v2->sa_pl.nprops != 1)
		return -1;
	ike2_prop_from_pl(&v2->sa_pl, 0, &got);
	if (got.proto != IKE2_PROTO_IKE || got.spilen != spilen ||
	    (spilen > 0 && memcmp(got.spi, zero_spi, IKE2_SPI_LEN) == 0))
		return -1;
	for (int t = 0; t < IKE2_NTYPES; t++)
		if (got.nxf[t] > 1)
			return -1;
	nl = policy_proposals(sa, locals, (int)nitems(locals));
	if (ike2_choose_ike(locals, nl, &got, 1, group, ch) != IKE2_CHOSEN)
		return -1;
	if (spilen > 0)
		memcpy(spi, got.spi, IKE2_SPI_LEN);
	return 0;
}

/* The IKE_SA_INIT request: [N(COOKIE)] SA KE Ni N(NAT_DETECTION_*). */
static int
init_send(struct ike2_sa *sa)
{
	struct ike	*ike = sa->ike;
	const struct conf_ikev2_proposal *locals[16];
	struct ike2_sa_pl *pl = xcalloc(1, sizeof(*pl));
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_notify n;
	struct ike2_ke	 ke;
	uint8_t		 natd[IKE2_NATD_LEN];
	int		 nl = policy_proposals(sa, locals, (int)nitems(locals));
	int		 rc = -1;

	for (int i = 0; i < nl; i++) {
		struct ike2_prop p;

		if (ike2_prop_from_conf(locals[i], &p) == -1)
			continue;
		p.num = (uint8_t)(pl->nprops + 1);
		ike2_prop_append_pl(&p, pl);
	}
	if (pl->nprops == 0) {
		free(pl);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.spii, sa->spii, IKE2_SPI_LEN);
	h.exchange = IKE2_EX_IKE_SA_INIT;
	h.flags = IKE2_FLAG_I;
	ike2_wr_init(&wr, &h);
	memset(&n, 0, sizeof(n));
	if (sa->cookielen > 0) {
		n.type = IKE2_N_COOKIE;
		n.data = sa->cookie;
		n.datalen = sa->cookielen;
		ike2_wr_notify(&wr, &n);
	}
	ike2_wr_sa(&wr, pl);
	ke.group = (uint16_t)sa->group;
	ke.data = ike_dh_pub(sa->idh);
	ke.len = ike_dh_publen(sa->group);
	ike2_wr_ke(&wr, &ke);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, sa->ni, sa->nilen);
	n.data = natd;
	n.datalen = IKE2_NATD_LEN;
	n.type = IKE2_N_NAT_DETECTION_SOURCE_IP;
	ike2_natd_hash(sa->spii, zero_spi, &sa->local, natd);
	ike2_wr_notify(&wr, &n);
	n.type = IKE2_N_NAT_DETECTION_DESTINATION_IP;
	ike2_natd_hash(sa->spii, zero_spi, &sa->remote, natd);
	ike2_wr_notify(&wr, &n);
	ike2_frag_offer(&wr, ike);
	ike2_wr_finish(&wr);
	if (!wbuf_error(&wr.w)) {
		/* signed by our AUTH (2.15), and retransmitted as it is */
		free(sa->init_i);
		sa->init_i = xmalloc(wr.w.len);
		memcpy(sa->init_i, wr.w.p, wr.w.len);
		sa->init_ilen = wr.w.len;
		ike2_request_end(sa);
		ike2_out_set(&sa->req, wr.w.p, wr.w.len);
		sa->req_kind = IKE2_REQ_SA_INIT;
		sa->req_exchange = IKE2_EX_IKE_SA_INIT;
		sa->req_msgid = 0;
		sa->req_tries = 0;
		ike->v2->st.requests_sent++;
		(void)ike2_send_out(sa, &sa->req);
		ike_timer_set(ike, &sa->t_req, ike_now(ike) + 2000);
		rc = 0;
	}
	ike2_wr_cleanup(&wr);
	free(pl);
	return rc;
}

/* A new KE of group for IKE_SA_INIT: 0 or -1. */
static int
init_ke(struct ike2_sa *sa, int group)
{
	ike_dh_free(sa->idh);
	sa->group = group;
	return (sa->idh = ike_dh_new(group)) != NULL ? 0 : -1;
}

void
ike2_acquire(struct ike2 *v2, const struct ike_spd *spd)
{
	struct ike	*ike = v2->ike;
	const struct conf_ikev2_proposal *locals[16];
	struct sockaddr_in local, remote;
	struct ike2_sa	*sa;
	int		 nl;
	char		 a[INET_ADDRSTRLEN];

	if (!ike->active)
		return;
	for (sa = v2->sas; sa != NULL; sa = sa->next) {
		if (sa->remote.sin_addr.s_addr != spd->peer.s_addr ||
		    sa->local.sin_addr.s_addr != spd->local.s_addr)
			continue;
		if (IKE2_NEGOTIATING(sa))
			return;		/* under way */
		if (sa->state == IKE2_READY) {
			/* CREATE_CHILD_SA under it (unless 8 wait) */
			(void)ike2_child_create(sa, spd);
			return;
		}
	}
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_addr = spd->local;
	local.sin_port = htons(500);
	remote = local;
	remote.sin_addr = spd->peer;
	sa = ike2_sa_new_initiator(v2, &local, &remote);
	sa->init_reqid = spd->id;
	snprintf(sa->profile, sizeof(sa->profile), "%s", spd->v2profile);
	sa->nilen = IKE2_NONCE_OURS;
	ike_random(sa->ni, sa->nilen);
	nl = policy_proposals(sa, locals, (int)nitems(locals));
	if (nl == 0 || locals[0]->ngroup == 0 ||
	    init_ke(sa, locals[0]->group[0]) == -1 || init_send(sa) == -1) {
		log_warnx(LOG_IKE, "IKEv2: cannot start an SA with %s for "
		    "crypto map %s %d: no usable crypto ikev2 proposal",
		    ike_addr(&remote, a), spd->map, spd->map_seq);
		ike2_sa_delete(sa, "no proposal");
		return;
	}
	IKE2_TRACE(sa, "traffic for crypto map %s %d: IKE_SA_INIT to %s, "
	    "group %d", spd->map, spd->map_seq, ike_addr(&remote, a),
	    sa->group);
}

/* ---- the answer to IKE_SA_INIT ------------------------------------------ */

static void
init_fail(struct ike2_sa *sa, const char *why)
{
	char		 a[INET_ADDRSTRLEN];

	log_warnx(LOG_IKE, "IKEv2: IKE_SA_INIT with %s failed: %s",
	    ike_addr(&sa->remote, a), why);
	ike2_sa_delete(sa, why);
}

static int	 auth_send(struct ike2_sa *);

void
ike2_init_answer(struct ike2_sa *sa, const struct ike2_hdr *h,
    const uint8_t *data, size_t len, const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	const struct ike2_pl *pke = ike2_one(pls, IKE2_PL_KE),
			     *pno = ike2_one(pls, IKE2_PL_NONCE);
	struct ike2_ike_choice ch;
	struct ike2_ke	 ke;
	const uint8_t	*nr;
	uint8_t		 gir[IKE_MAX_DH];
	size_t		 nrlen;
	const char	*err = NULL;
	char		 a[INET_ADDRSTRLEN];

	if (sa->req_kind != IKE2_REQ_SA_INIT)
		return;
	/* unauthenticated: a notification in clear ends nothing unless it
	 * names something we can act on (an attacker's NO_PROPOSAL_CHOSEN
	 * is waited out: the genuine answer may still come) */
	for (int i = 0; i < pls->n && ike2_one(pls, IKE2_PL_SA) == NULL;
	    i++) {
		struct ike2_notify n;

		if (pls->pl[i].type != IKE2_PL_N ||
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == -1)
			continue;
		if (n.type == IKE2_N_COOKIE && n.datalen > 0 &&
		    n.datalen <= sizeof(sa->cookie) &&
		    sa->init_rounds < IKE2_INIT_ROUNDS) {
			/* 2.6: the same request with the COOKIE in front */
			sa->init_rounds++;
			memcpy(sa->cookie, n.data, n.datalen);
			sa->cookielen = n.datalen;
			IKE2_TRACE(sa, "COOKIE from %s: IKE_SA_INIT again",
			    ike_addr(&sa->remote, a));
			if (init_send(sa) == -1)
				init_fail(sa, "no room for the COOKIE");
			return;
		}
		if (n.type == IKE2_N_INVALID_KE_PAYLOAD && n.datalen == 2 &&
		    sa->init_rounds < IKE2_INIT_ROUNDS &&
		    be16_get(n.data) != sa->group &&
		    ike2_group_ours(sa, be16_get(n.data))) {
			/* 1.2: the group the responder wants */
			sa->init_rounds++;
			IKE2_TRACE(sa, "INVALID_KE_PAYLOAD from %s: group %u",
			    ike_addr(&sa->remote, a), be16_get(n.data));
			if (init_ke(sa, be16_get(n.data)) == -1 ||
			    init_send(sa) == -1)
				init_fail(sa, "no KE for the group asked for");
			return;
		}
		if (n.type < IKE2_N_STATUS_MIN)
			log_warnx(LOG_IKE, "IKEv2: IKE_SA_INIT with %s: %s "
			    "(unauthenticated: the negotiation goes on until "
			    "it times out)", ike_addr(&sa->remote, a),
			    ike2_notify_name(n.type));
	}
	if (ike2_one(pls, IKE2_PL_SA) == NULL)
		return;
	if (memcmp(h->spir, zero_spi, IKE2_SPI_LEN) == 0 ||
	    ike2_sa_find(ike->v2, sa->spii, h->spir) != NULL ||
	    ike2_ike_answer_choice(sa, pls, sa->group, 0, &ch,
	    NULL) == -1 || pke == NULL || pno == NULL ||
	    ike2_ke_parse(pke->body, &ke, &err) == -1 ||
	    ike2_nonce_parse(pno->body, &nr, &nrlen, &err) == -1 ||
	    nrlen > sizeof(sa->nr) || ke.group != sa->group ||
	    ke.len != ike_dh_publen(sa->group) ||
	    ike_dh_derive(sa->idh, ke.data, ke.len, gir, &err) == -1) {
		ike->v2->st.malformed++;
		ike_warn_input(ike, &sa->remote, "IKEv2 IKE_SA_INIT answer "
		    "that is not one of our proposals: dropped");
		return;
	}
	ike2_request_end(sa);
	memcpy(sa->spir, h->spir, IKE2_SPI_LEN);
	sa->suite = ch.suite;
	memcpy(sa->nr, nr, nrlen);
	sa->nrlen = nrlen;
	ike2_natd_read(sa, pls, sa->spir);
	ike2_frag_read(sa, pls);
	if (ike2_kdf_ike(&sa->suite, gir, ike_dh_secretlen(sa->group), sa->ni,
	    sa->nilen, sa->nr, sa->nrlen, sa->spii, sa->spir,
	    &sa->keys) == -1) {
		OPENSSL_cleanse(gir, sizeof(gir));
		init_fail(sa, "key derivation failed");
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	ike_dh_free(sa->idh);
	sa->idh = NULL;
	sa->init_r = xmalloc(len);
	memcpy(sa->init_r, data, len);
	sa->init_rlen = len;
	sa->next_out = 1;
	if (sa->nat_local || sa->nat_remote) {
		/* 2.23: on to port 4500 from IKE_AUTH on */
		sa->local.sin_port = htons(IKE_NATT_PORT);
		sa->remote.sin_port = htons(IKE_NATT_PORT);
	}
	sa->state = IKE2_I_AUTH;
	if (auth_send(sa) == -1)
		init_fail(sa, "IKE_AUTH could not be made (profile, keyring "
		    "or crypto map entry)");
}

/* ---- IKE_AUTH ------------------------------------------------------------ */

struct auth_req {
	struct ike2_sa	*sa;
	uint8_t		 auth[IKE_MAX_HASH];
	size_t		 authlen;
	struct ike2_sa_pl pl;		/* the CHILD SA's offer */
	struct ike2_ts_pl tsi, tsr;
	int		 transport;
	int		 initial_contact;
};

/* IDi AUTH [N(INITIAL_CONTACT)] N(6311) [N(USE_TRANSPORT_MODE)] SA TSi
 * TSr */
static void
write_auth(struct ike2_wr *wr, void *arg)
{
	struct auth_req	*q = arg;
	struct ike2_notify n;

	ike2_wr_id_auth(wr, IKE2_PL_IDI, &q->sa->id_local.id, q->auth,
	    q->authlen);
	memset(&n, 0, sizeof(n));
	if (q->initial_contact) {
		n.type = IKE2_N_INITIAL_CONTACT;
		ike2_wr_notify(wr, &n);
	}
	n.type = IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED;
	ike2_wr_notify(wr, &n);
	if (q->transport) {
		n.type = IKE2_N_USE_TRANSPORT_MODE;
		ike2_wr_notify(wr, &n);
	}
	ike2_wr_sa(wr, &q->pl);
	ike2_wr_ts(wr, IKE2_PL_TSI, &q->tsi);
	ike2_wr_ts(wr, IKE2_PL_TSR, &q->tsr);
}

/* The profile, its keyring peer and the entry of our first CHILD SA. */
static int
auth_context(struct ike2_sa *sa, const struct conf_ikev2_profile **x,
    const struct conf_ikev2_kpeer **kp, const struct ike_spd **spd,
    const struct conf_map_entry **e)
{
	struct ike	*ike = sa->ike;

	*x = conf_v2profile_find(ike->cf, sa->profile);
	*kp = *x != NULL ? ike2_keyring_peer(ike->cf, *x,
	    sa->remote.sin_addr, NULL) : NULL;
	*spd = ike_spd_by_reqid(ike, sa->init_reqid);
	*e = *spd != NULL ? ike_map_entry(ike->cf, (*spd)->map,
	    (*spd)->map_seq) : NULL;
	return *kp != NULL && (*kp)->psk_local != NULL &&
	    (*kp)->psk_remote != NULL && *e != NULL ? 0 : -1;
}

static int
auth_send(struct ike2_sa *sa)
{
	struct ike	*ike = sa->ike;
	const struct conf_ikev2_profile *x;
	const struct conf_ikev2_kpeer *kp;
	const struct ike_spd *spd;
	const struct conf_map_entry *e;
	const struct conf_transform_set *t;
	struct auth_req	*q;
	uint8_t		 body[4 + IKE2_ID_MAX];
	size_t		 blen;
	int		 rc = -1;

	if (auth_context(sa, &x, &kp, &spd, &e) == -1 ||
	    ike->be->ops->alloc_spi(ike->be, &sa->init_spi_in) == -1)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->sa = sa;
	ike2_id_from_conf(&x->local_id, sa->local.sin_addr, &sa->id_local);
	blen = ike2_id_body(&sa->id_local.id, body);
	q->authlen = sa->keys.prflen;
	/* 1.2: no DH transform in IKE_AUTH's SA */
	t = e->ntsets > 0 ? conf_tset_find(ike->cf, e->tsets[0]) : NULL;
	q->transport = t != NULL && t->transport;
	q->tsi.n = q->tsr.n = 1;
	ike2_ts_from_sel(&spd->sel, &q->tsi.ts[0], &q->tsr.ts[0]);
	q->initial_contact = !ike->no_initial_contact;
	for (struct ike2_sa *o = ike->v2->sas; o != NULL; o = o->next)
		if (o != sa && o->remote.sin_addr.s_addr ==
		    sa->remote.sin_addr.s_addr && !IKE2_NEGOTIATING(o))
			q->initial_contact = 0;
	/* 2.15: over our IKE_SA_INIT, Nr and prf(SK_pi, IDi) */
	if (ike2_psk_auth(sa->suite.prf, kp->psk_local, strlen(kp->psk_local),
	    sa->init_i, sa->init_ilen, sa->nr, sa->nrlen, sa->keys.pi,
	    sa->keys.prflen, body, blen, q->auth) == 0 &&
	    ike2_child_offer(ike, e, sa->init_spi_in, 0, &q->pl) == 0 &&
	    ike2_request(sa, IKE2_REQ_AUTH, sa->next_out, write_auth,
	    q) == 0)
		rc = 0;
	free_secret(q, sizeof(*q));
	return rc;
}

static void
auth_fail(struct ike2_sa *sa, const char *why)
{
	char		 a[INET_ADDRSTRLEN];

	sa->ike->v2->st.auth_fail++;
	log_warnx(LOG_IKE, "IKEv2: IKE_AUTH with %s failed: %s",
	    ike_addr(&sa->remote, a), why);
	ike2_sa_delete(sa, why);
}

void
ike2_auth_answer(struct ike2_sa *sa, const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	const struct ike2_pl *pid = ike2_one(pls, IKE2_PL_IDR),
			     *pau = ike2_one(pls, IKE2_PL_AUTH);
	const struct conf_ikev2_profile *x;
	const struct conf_ikev2_kpeer *kp;
	const struct ike_spd *spd;
	const struct conf_map_entry *e;
	struct ike2_answered q;
	struct ike2_id	 idr;
	struct ike2_auth au;
	struct ike_child *c = NULL;
	uint8_t		 want[IKE_MAX_HASH];
	size_t		 hlen = sa->keys.prflen;
	uint16_t	 refused = ike2_refusal(pls, NULL);
	const char	*err, *why = NULL;
	char		 ids[128], a[INET_ADDRSTRLEN];

	ike2_request_end(sa);
	if (pid == NULL || pau == NULL) {
		auth_fail(sa, refused != 0 ? ike2_notify_name(refused) :
		    "its answer has no IDr and AUTH");
		return;
	}
	if (ike2_id_parse(pid->body, &idr, &err) == -1 ||
	    ike2_auth_parse(pau->body, &au, &err) == -1) {
		auth_fail(sa, "its IDr or AUTH is malformed");
		return;
	}
	if (auth_context(sa, &x, &kp, &spd, &e) == -1) {
		auth_fail(sa, "the profile, keyring or crypto map entry is "
		    "gone");
		return;
	}
	ike2_id_str(&idr, ids, sizeof(ids));
	if (ike2_profile_for_id(ike->cf, &idr) != x) {
		auth_fail(sa, "its identity does not match the profile");
		return;
	}
	/* 2.15: the responder's AUTH, over its IKE_SA_INIT, Ni, IDr */
	if (au.method != IKE2_AUTH_PSK ||
	    ike2_psk_auth(sa->suite.prf, kp->psk_remote,
	    strlen(kp->psk_remote), sa->init_r, sa->init_rlen, sa->ni,
	    sa->nilen, sa->keys.pr, hlen, buf_cur(&pid->body),
	    buf_left(&pid->body), want) == -1 || au.len != hlen ||
	    CRYPTO_memcmp(au.data, want, hlen) != 0) {
		auth_fail(sa, "its AUTH does not match the pre-shared key");
		return;
	}
	ike2_id_keep(&idr, &sa->id_peer);
	ike2_sa_authenticated(sa, pls, x);
	log_info(LOG_IKE, "IKEv2: SA %u with %s (%s) established by us, "
	    "profile %s", sa->conn_id, ike_addr(&sa->remote, a), ids, x->name);
	/* the first CHILD SA (1.2: keys from the IKE SA's DH) */
	memset(&q, 0, sizeof(q));
	q.pls = pls;
	q.spd = spd;
	q.e = e;
	q.sel = &spd->sel;
	q.spi_in = sa->init_spi_in;
	q.ni = sa->ni;
	q.nilen = sa->nilen;
	q.nr = sa->nr;
	q.nrlen = sa->nrlen;
	q.group = -1;		/* no DH transform in IKE_AUTH's choice */
	if (refused != 0)
		why = ike2_notify_name(refused);
	else
		c = ike2_child_answered(sa, &q, &why);
	if (c == NULL) {
		log_warnx(LOG_IKE, "IKEv2: SA %u: no CHILD SA with %s for "
		    "crypto map %s %d: %s", sa->conn_id,
		    ike_addr(&sa->remote, a), spd->map, spd->map_seq, why);
		return;
	}
	sa->init_spi_in = 0;
	ike->v2->st.child_ok++;
	ike_child_up(c, 0);
}
