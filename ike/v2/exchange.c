/*
 * IKE_SA_INIT and IKE_AUTH as responder (RFC 7296 1.2, 2.15, 2.17, 2.23):
 * the proposal, the DH, the keys and NAT detection; then the peer's
 * identity and AUTH against the profile's keyring, ours, and the first
 * CHILD SA from the crypto map entry that names the profile.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ike/v2/ike2_int.h"

#define IKE2_NONCE_OURS		32

static const uint8_t zero_spi[IKE2_SPI_LEN];

void
ike2_natd_hash(const uint8_t *spii, const uint8_t *spir,
    const struct sockaddr_in *a, uint8_t *out)
{
	uint8_t		 in[2 * IKE2_SPI_LEN + 6];
	unsigned int	 len = 0;

	memcpy(in, spii, IKE2_SPI_LEN);
	memcpy(in + IKE2_SPI_LEN, spir, IKE2_SPI_LEN);
	memcpy(in + 2 * IKE2_SPI_LEN, &a->sin_addr, 4);
	memcpy(in + 2 * IKE2_SPI_LEN + 4, &a->sin_port, 2);
	if (EVP_Digest(in, sizeof(in), out, &len, EVP_sha1(), NULL) != 1 ||
	    len != IKE2_NATD_LEN)
		memset(out, 0, IKE2_NATD_LEN);
}

/*
 * An answer to IKE_SA_INIT without an SA (2.6, 1.2): one notification in
 * clear, no larger than the request (no amplification).
 */
static void
init_refuse(struct ike2 *v2, const struct ike2_hdr *h, size_t inlen,
    const struct sockaddr_in *local, const struct sockaddr_in *remote,
    uint16_t type, const void *data, size_t datalen)
{
	struct ike2_hdr	 r;
	struct ike2_wr	 wr;
	struct ike2_notify n;

	memset(&r, 0, sizeof(r));
	memcpy(r.spii, h->spii, IKE2_SPI_LEN);
	r.exchange = IKE2_EX_IKE_SA_INIT;
	r.flags = IKE2_FLAG_R;
	memset(&n, 0, sizeof(n));
	n.type = type;
	n.data = data;
	n.datalen = datalen;
	ike2_wr_init(&wr, &r);
	ike2_wr_notify(&wr, &n);
	ike2_wr_finish(&wr);
	if (!wbuf_error(&wr.w) && wr.w.len <= inlen)
		(void)ike2_send_to(v2->ike, local, remote, wr.w.p,
		    wr.w.len);
	ike2_wr_cleanup(&wr);
}

/* The one payload of a type, or NULL (none, or more than one). */
const struct ike2_pl *
ike2_one(const struct ike2_pls *pls, uint8_t type)
{
	return ike2_pls_count(pls, type) == 1 ? ike2_pls_find(pls, type) :
	    NULL;
}

void
ike2_natd_read(struct ike2_sa *sa, const struct ike2_pls *pls,
    const uint8_t *spir)
{
	uint8_t		 src[IKE2_NATD_LEN], dst[IKE2_NATD_LEN];
	int		 have_src = 0, src_ok = 0, have_dst = 0;

	ike2_natd_hash(sa->spii, spir, &sa->remote, src);
	ike2_natd_hash(sa->spii, spir, &sa->local, dst);
	for (int i = 0; i < pls->n; i++) {
		struct ike2_notify n;
		const char	*err;

		if (pls->pl[i].type != IKE2_PL_N ||
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == -1 ||
		    n.datalen != IKE2_NATD_LEN)
			continue;
		if (n.type == IKE2_N_NAT_DETECTION_SOURCE_IP) {
			have_src = 1;
			src_ok |= memcmp(n.data, src, IKE2_NATD_LEN) == 0;
		} else if (n.type == IKE2_N_NAT_DETECTION_DESTINATION_IP) {
			have_dst = 1;
			sa->nat_local = memcmp(n.data, dst,
			    IKE2_NATD_LEN) != 0;
		}
	}
	sa->nat_remote = have_src && !src_ok;
	if (!have_dst)
		sa->nat_local = 0;
}

/* ---- COOKIE (2.6) ---------------------------------------------------------- */

/*
 * The half-open IKEv2 SAs from which an IKE_SA_INIT must bring back the
 * COOKIE we answered it with: crypto ikev2 cookie-challenge, or half the
 * half-open limit (below which nothing is asked of a genuine initiator).
 */
static int
cookie_threshold(const struct ike2 *v2)
{
	int	 n = v2->ike->cf->v2_cookie_challenge;

	return n > 0 ? n : v2->ike->halfopen_max / 2;
}

/* COOKIE = version | HMAC-SHA256(secret, Ni | IPi | SPIi), 16 octets. */
static int
cookie_make(struct ike2 *v2, int which, const uint8_t *ni, size_t nilen,
    const struct sockaddr_in *remote, const uint8_t *spii, uint8_t *out)
{
	uint8_t		 mac[IKE_MAX_HASH];
	struct ike_iov	 iov[3] = {
		{ ni, nilen },
		{ (const uint8_t *)&remote->sin_addr, 4 },
		{ spii, IKE2_SPI_LEN },
	};

	if (ike_prf(ALG_HASH_SHA256, v2->cookie_secret[which], 32, iov, 3,
	    mac) == -1)
		return -1;
	out[0] = v2->cookie_ver[which];
	memcpy(out + 1, mac, IKE2_COOKIE_LEN - 1);
	return 0;
}

/* A new secret when the current one is old (or none yet). */
static void
cookie_rotate(struct ike2 *v2)
{
	uint64_t	 now = ike_now(v2->ike);

	if (v2->cookie_ver[0] == 0) {
		/* the first: no secret before it is a known one */
		ike_random(v2->cookie_secret[0], 32);
	} else if (now - v2->cookie_born_ms < IKE2_COOKIE_ROTATE_MS)
		return;
	memcpy(v2->cookie_secret[1], v2->cookie_secret[0], 32);
	v2->cookie_ver[1] = v2->cookie_ver[0];
	ike_random(v2->cookie_secret[0], 32);
	/* 1 to 255: 0 marks no secret yet */
	v2->cookie_ver[0] = (uint8_t)(v2->cookie_ver[0] % 255 + 1);
	v2->cookie_born_ms = now;
}

/* The request's first payload is a COOKIE we made for it (either secret). */
static int
cookie_ok(struct ike2 *v2, const struct ike2_pls *pls, const uint8_t *ni,
    size_t nilen, const struct sockaddr_in *remote, const uint8_t *spii)
{
	struct ike2_notify n;
	uint8_t		 want[IKE2_COOKIE_LEN];
	const char	*err;

	if (pls->n == 0 || pls->pl[0].type != IKE2_PL_N ||
	    ike2_notify_parse(pls->pl[0].body, &n, &err) == -1 ||
	    n.type != IKE2_N_COOKIE)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (n.datalen != IKE2_COOKIE_LEN ||
		    n.data[0] != v2->cookie_ver[i] ||
		    cookie_make(v2, i, ni, nilen, remote, spii, want) == -1)
			continue;
		if (CRYPTO_memcmp(want, n.data, IKE2_COOKIE_LEN) == 0)
			return 1;
	}
	v2->st.cookies_bad++;
	return 0;
}

void
ike2_sa_init(struct ike2 *v2, const struct ike2_hdr *h, const uint8_t *data,
    size_t len, const struct ike2_pls *pls, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike	*ike = v2->ike;
	const struct ike2_pl *psa, *pke, *pno;
	const struct conf_ikev2_proposal *locals[16];
	struct ike2_ike_choice ch;
	struct ike2_ke	 ke;
	const uint8_t	*ni;
	size_t		 nilen, girlen;
	const char	*err = NULL;
	struct ike2_sa	*sa;
	struct ike_dh	*dh = NULL;
	uint8_t		 gir[IKE_MAX_DH], natd[IKE2_NATD_LEN], grp[2];
	struct ike2_hdr	 r;
	struct ike2_wr	 wr;
	struct ike2_sa_pl reply;
	struct ike2_notify n;
	struct ike2_out	 m;
	int		 nl, noff = 0;
	char		 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (v2->halfopen >= ike->halfopen_max) {
		v2->st.halfopen_drop++;
		return;
	}
	if ((psa = ike2_one(pls, IKE2_PL_SA)) == NULL ||
	    (pke = ike2_one(pls, IKE2_PL_KE)) == NULL ||
	    (pno = ike2_one(pls, IKE2_PL_NONCE)) == NULL)
		err = "IKE_SA_INIT without one SA, KE and Nonce";
	else if (ike2_sa_parse(psa->body, &v2->sa_pl, &err) == 0 &&
	    ike2_ke_parse(pke->body, &ke, &err) == 0)
		(void)ike2_nonce_parse(pno->body, &ni, &nilen, &err);
	if (err != NULL) {
		v2->st.malformed++;
		ike_warn_input(ike, remote, "IKEv2 %s: dropped", err);
		init_refuse(v2, h, len, local, remote, IKE2_N_INVALID_SYNTAX,
		    NULL, 0);
		return;
	}
	if (v2->halfopen >= cookie_threshold(v2)) {
		/* half-open load: no state and no DH work for a source
		 * that does not show it receives at its address (2.6) */
		uint8_t	 ck[IKE2_COOKIE_LEN];

		cookie_rotate(v2);
		if (!cookie_ok(v2, pls, ni, nilen, remote, h->spii)) {
			if (cookie_make(v2, 0, ni, nilen, remote, h->spii,
			    ck) == 0) {
				v2->st.cookies_sent++;
				init_refuse(v2, h, len, local, remote,
				    IKE2_N_COOKIE, ck, sizeof(ck));
			}
			return;
		}
	}
	for (int i = 0; i < v2->sa_pl.nprops && noff < IKE2_MAX_PROPS; i++) {
		ike2_prop_from_pl(&v2->sa_pl, i, &v2->offers[noff]);
		/* 3.3: an IKE SA's first proposal carries no SPI */
		if (v2->offers[noff].spilen == 0)
			noff++;
	}
	nl = ike2_policy_proposals(ike->cf, local->sin_addr, locals,
	    (int)nitems(locals));
	switch (ike2_choose_ike(locals, nl, v2->offers, noff, ke.group, &ch)) {
	case IKE2_NO_PROPOSAL_CHOSEN:
		v2->st.no_proposal++;
		ike_warn_limited(ike, &ike->rl_noprop, "IKEv2: no proposal "
		    "of %s matches a crypto ikev2 policy for %s",
		    ike_addr(remote, a), ike_addr(local, b));
		init_refuse(v2, h, len, local, remote,
		    IKE2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	case IKE2_INVALID_KE:
		/* 1.2: the group we want; the initiator starts again */
		v2->st.invalid_ke++;
		be16_put(grp, (uint16_t)ch.want_group);
		init_refuse(v2, h, len, local, remote,
		    IKE2_N_INVALID_KE_PAYLOAD, grp, sizeof(grp));
		return;
	case IKE2_CHOSEN:
		break;
	}
	if (ke.len != ike_dh_publen(ch.group) ||
	    (dh = ike_dh_new(ch.group)) == NULL ||
	    ike_dh_derive(dh, ke.data, ke.len, gir, &err) == -1) {
		v2->st.malformed++;
		ike_warn_input(ike, remote, "IKEv2 KE of group %d refused: %s",
		    ch.group, err != NULL ? err : "wrong length");
		init_refuse(v2, h, len, local, remote, IKE2_N_INVALID_SYNTAX,
		    NULL, 0);
		ike_dh_free(dh);
		return;
	}
	girlen = ike_dh_secretlen(ch.group);
	sa = ike2_sa_new(v2, local, remote, h->spii);
	sa->suite = ch.suite;
	sa->group = ch.group;
	memcpy(sa->ni, ni, nilen);
	sa->nilen = nilen;
	sa->nrlen = IKE2_NONCE_OURS;
	ike_random(sa->nr, sa->nrlen);
	ike2_natd_read(sa, pls, zero_spi);
	ike2_frag_read(sa, pls);
	if (ike2_kdf_ike(&sa->suite, gir, girlen, sa->ni, sa->nilen, sa->nr,
	    sa->nrlen, sa->spii, sa->spir, &sa->keys) == -1) {
		OPENSSL_cleanse(gir, sizeof(gir));
		ike_dh_free(dh);
		ike2_sa_delete(sa, "key derivation failed");
		return;
	}
	OPENSSL_cleanse(gir, sizeof(gir));

	memset(&r, 0, sizeof(r));
	memcpy(r.spii, sa->spii, IKE2_SPI_LEN);
	memcpy(r.spir, sa->spir, IKE2_SPI_LEN);
	r.exchange = IKE2_EX_IKE_SA_INIT;
	r.flags = IKE2_FLAG_R;
	ike2_wr_init(&wr, &r);
	ike2_prop_to_pl(&ch.reply, &reply);
	ike2_wr_sa(&wr, &reply);
	ke.group = (uint16_t)sa->group;
	ke.data = ike_dh_pub(dh);
	ke.len = ike_dh_publen(sa->group);
	ike2_wr_ke(&wr, &ke);
	ike2_wr_bytes(&wr, IKE2_PL_NONCE, sa->nr, sa->nrlen);
	memset(&n, 0, sizeof(n));
	n.data = natd;
	n.datalen = IKE2_NATD_LEN;
	n.type = IKE2_N_NAT_DETECTION_SOURCE_IP;
	ike2_natd_hash(sa->spii, sa->spir, &sa->local, natd);
	ike2_wr_notify(&wr, &n);
	n.type = IKE2_N_NAT_DETECTION_DESTINATION_IP;
	ike2_natd_hash(sa->spii, sa->spir, &sa->remote, natd);
	ike2_wr_notify(&wr, &n);
	if (sa->frag)	/* RFC 7383 2.3: only when the initiator offers it */
		ike2_frag_offer(&wr, ike);
	ike2_wr_finish(&wr);
	ike_dh_free(dh);
	if (wbuf_error(&wr.w)) {
		ike2_wr_cleanup(&wr);
		ike2_sa_delete(sa, "answer too large");
		return;
	}
	/* both messages are signed by the AUTH payloads (2.15) */
	sa->init_i = xmalloc(len);
	memcpy(sa->init_i, data, len);
	sa->init_ilen = len;
	sa->init_r = xmalloc(wr.w.len);
	memcpy(sa->init_r, wr.w.p, wr.w.len);
	sa->init_rlen = wr.w.len;
	memset(&m, 0, sizeof(m));
	ike2_out_set(&m, wr.w.p, wr.w.len);
	ike2_keep_response(sa, 0, &m);
	sa->next_in = 1;
	(void)ike2_send_out(sa, &sa->resp);
	ike2_wr_cleanup(&wr);
	IKE2_TRACE(sa, "IKE_SA_INIT from %s answered: group %d%s%s",
	    ike_addr(remote, a),
	    sa->group, sa->nat_remote ? ", the peer is behind a NAT" : "",
	    sa->nat_local ? ", we are behind a NAT" : "");
}

/* ---- IKE_AUTH ------------------------------------------------------------ */

size_t
ike2_id_body(const struct ike2_id *id, uint8_t *out)
{
	out[0] = id->type;
	memset(out + 1, 0, 3);
	memcpy(out + 4, id->data, id->len);
	return 4 + id->len;
}

struct auth_reply {
	struct ike2_sa	*sa;
	uint8_t		 auth[IKE_MAX_HASH];
	size_t		 authlen;
	struct ike2_child_reply child;	/* the first CHILD SA */
};

void
ike2_wr_id_auth(struct ike2_wr *wr, uint8_t type, const struct ike2_id *id,
    const uint8_t *auth, size_t len)
{
	struct ike2_auth au;

	ike2_wr_id(wr, type, id);
	au.method = IKE2_AUTH_PSK;
	au.data = auth;
	au.len = len;
	ike2_wr_auth(wr, &au);
}

static void
write_auth_reply(struct ike2_wr *wr, void *arg)
{
	struct auth_reply *r = arg;
	struct ike2_notify n;

	ike2_wr_id_auth(wr, IKE2_PL_IDR, &r->sa->id_local.id, r->auth,
	    r->authlen);
	/* RFC 6311: a takeover synchronizes our message IDs with it */
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED;
	ike2_wr_notify(wr, &n);
	ike2_child_write(wr, &r->child);
}

static void
write_auth_failed(struct ike2_wr *wr, void *arg)
{
	struct ike2_notify n;

	(void)arg;
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_AUTHENTICATION_FAILED;
	ike2_wr_notify(wr, &n);
}

/*
 * IKE_AUTH done, either role: the SA is READY under profile x, with the
 * peer's RFC 6311 support from its message; the standby hears of it
 * before the first CHILD SA, which names it.  The IKE_SA_INIT material
 * (for AUTH only) goes.
 */
void
ike2_sa_authenticated(struct ike2_sa *sa, const struct ike2_pls *pls,
    const struct conf_ikev2_profile *x)
{
	free(sa->init_i);
	sa->init_i = NULL;
	free(sa->init_r);
	sa->init_r = NULL;
	ike2_sa_ready(sa, x->lifetime);
	sa->peer_mid_sync = ike2_has_notify(pls,
	    IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED);
	sa->peer_replay_sync = ike2_has_notify(pls,
	    IKE2_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED);
	ike2_dpd_start(sa, x->dpd_interval, x->dpd_retry, x->dpd_mode);
	sa->ike->v2->st.sa_ok++;
	ike2_emit(sa, IKE2_EV_UP, 0);
}

static void
auth_fail(struct ike2_sa *sa, const struct ike2_hdr *h, const char *why)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	ike->v2->st.auth_fail++;
	log_warnx(LOG_IKE, "IKEv2: IKE_AUTH from %s failed: %s",
	    ike_addr(&sa->remote, a), why);
	(void)ike2_respond(sa, IKE2_EX_IKE_AUTH, h->msgid, write_auth_failed,
	    NULL);
	ike2_sa_delete(sa, why);
}

int
ike2_has_notify(const struct ike2_pls *pls, uint16_t type)
{
	for (int i = 0; i < pls->n; i++) {
		struct ike2_notify n;
		const char	*err;

		if (pls->pl[i].type == IKE2_PL_N &&
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == 0 &&
		    n.type == type)
			return 1;
	}
	return 0;
}

void
ike2_auth(struct ike2_sa *sa, const struct ike2_hdr *h,
    const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	const struct ike2_pl *pid = ike2_one(pls, IKE2_PL_IDI),
			     *pau = ike2_one(pls, IKE2_PL_AUTH);
	const struct conf_ikev2_profile *x;
	const struct conf_ikev2_kpeer *kp;
	struct ike2_id	 idi;
	struct ike2_auth au;
	struct auth_reply *r;
	struct ike2_child_req q;
	uint8_t		 want[IKE_MAX_HASH], body[4 + IKE2_ID_MAX];
	size_t		 hlen = sa->keys.prflen, blen;
	const char	*err;
	char		 ids[128], a[INET_ADDRSTRLEN];

	if (pid == NULL || pau == NULL ||
	    ike2_id_parse(pid->body, &idi, &err) == -1 ||
	    ike2_auth_parse(pau->body, &au, &err) == -1) {
		auth_fail(sa, h, "IKE_AUTH without a valid IDi and AUTH");
		return;
	}
	ike2_id_str(&idi, ids, sizeof(ids));
	if ((x = ike2_profile_for_id(ike->cf, &idi)) == NULL) {
		auth_fail(sa, h, "no crypto ikev2 profile matches its "
		    "identity");
		return;
	}
	kp = ike2_keyring_peer(ike->cf, x, sa->remote.sin_addr, &idi);
	if (kp == NULL || kp->psk_remote == NULL || kp->psk_local == NULL) {
		auth_fail(sa, h, "no keyring peer of the profile holds its "
		    "keys");
		return;
	}
	if (au.method != IKE2_AUTH_PSK) {
		auth_fail(sa, h, "it signs with a method other than a "
		    "pre-shared key");
		return;
	}
	/* 2.15: the initiator's AUTH, over its IKE_SA_INIT, Nr, IDi */
	if (ike2_psk_auth(sa->suite.prf, kp->psk_remote,
	    strlen(kp->psk_remote), sa->init_i, sa->init_ilen, sa->nr,
	    sa->nrlen, sa->keys.pi, hlen, buf_cur(&pid->body),
	    buf_left(&pid->body), want) == -1 || au.len != hlen ||
	    CRYPTO_memcmp(au.data, want, hlen) != 0) {
		auth_fail(sa, h, "its AUTH does not match the pre-shared key");
		return;
	}
	snprintf(sa->profile, sizeof(sa->profile), "%s", x->name);
	ike2_id_keep(&idi, &sa->id_peer);
	ike2_id_from_conf(&x->local_id, sa->local.sin_addr, &sa->id_local);
	r = xcalloc(1, sizeof(*r));
	r->sa = sa;
	r->authlen = hlen;
	blen = ike2_id_body(&sa->id_local.id, body);
	if (ike2_psk_auth(sa->suite.prf, kp->psk_local, strlen(kp->psk_local),
	    sa->init_r, sa->init_rlen, sa->ni, sa->nilen, sa->keys.pr, hlen,
	    body, blen, r->auth) == -1) {
		free_secret(r, sizeof(*r));
		ike2_sa_delete(sa, "AUTH could not be computed");
		return;
	}
	ike2_sa_authenticated(sa, pls, x);
	log_info(LOG_IKE, "IKEv2: SA %u with %s (%s) established, profile "
	    "%s", sa->conn_id, ike_addr(&sa->remote, a), ids, x->name);
	memset(&q, 0, sizeof(q));
	q.pls = pls;
	q.ke_group = -1;	/* 1.2: keys from the IKE SA's DH */
	q.ni = sa->ni;
	q.nilen = sa->nilen;
	q.nr = sa->nr;
	q.nrlen = sa->nrlen;
	if (ike2_child_make(sa, &q, &r->child) == -1)
		log_warnx(LOG_IKE, "IKEv2: SA %u: no CHILD SA for %s: %s",
		    sa->conn_id, ike_addr(&sa->remote, a),
		    ike2_notify_name(r->child.error));
	else {
		ike->v2->st.child_ok++;
		ike_child_up(r->child.c, 0);
	}
	(void)ike2_respond(sa, IKE2_EX_IKE_AUTH, h->msgid, write_auth_reply, r);
	free_secret(r, sizeof(*r));
}
