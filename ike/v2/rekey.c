/*
 * The IKE SA's rekey of ours (RFC 7296 1.3.2, 2.8, 2.18).  At the soft
 * lifetime, 85 to 90 % of the profile's (jittered, so that the two
 * sides of a pair of havpn gateways seldom start together), the active
 * sends a CREATE_CHILD_SA with the policy's proposals (the new SA's
 * SPIi), a nonce and a KE of the SA's group.  The answer makes the new
 * SA, havpn its original initiator; the CHILD SAs move to it and the old
 * SA is deleted with a Delete (2.18: the rekey's initiator deletes it).
 *
 * INVALID_KE_PAYLOAD: again at once with the group asked for, if ours.
 * Any other refusal (TEMPORARY_FAILURE when the peer's own rekey is out,
 * 2.25.2) or an answer that is not one of our proposals: again after
 * IKE2_IKE_REKEY_RETRY_MS (jittered), until the hard lifetime deletes the
 * SA.  No answer at all: the peer is dead (request.c).  A rekey of the
 * peer's that comes while ours is out is answered as usual (child.c),
 * and the nonces settle which new SA stays when ours is answered
 * (settle).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

#define IKE2_IKE_REKEY_RETRY_MS	10000
#define IKE2_IKE_REKEY_BUSY_MS	1000	/* the window was busy */
#define IKE2_INVALID_KE_MAX	2

static const uint8_t zero[IKE2_SPI_LEN];

static void	 rekey_timeout(struct ike *, struct ike_timer *);

void
ike2_ike_rekey_init(struct ike2_sa *sa)
{
	ike_timer_init(&sa->t_rekey, rekey_timeout, sa);
}

static uint64_t
jitter(uint64_t max)
{
	uint32_t	 r;

	ike_random(&r, sizeof(r));
	return max > 0 ? r % max : 0;
}

void
ike2_ike_rekey_arm(struct ike2_sa *sa, uint64_t until_hard)
{
	uint64_t	 life = (uint64_t)sa->lifetime * 1000,
			 margin = life / 10 + jitter(life / 20 + 1);

	uint64_t	 soft = until_hard - margin;

	/* past the soft lifetime already (an import): soon, but not with
	 * every other SA of the snapshot at once */
	if (until_hard <= margin)
		soft = until_hard / 4 + jitter(until_hard / 4 + 1);
	ike_timer_set(sa->ike, &sa->t_rekey, ike_now(sa->ike) + soft);
}

/* Retry later, if the SA lives that long. */
static void
retry(struct ike2_sa *sa, uint64_t after)
{
	uint64_t	 at = ike_now(sa->ike) + after / 2 +
			    jitter(after / 2 + 1);

	if (at < sa->t_life.when)
		ike_timer_set(sa->ike, &sa->t_rekey, at);
}

struct rekey_arg {
	struct ike2_sa	*sa;
	struct ike2_sa_pl *pl;
};

/* 1.3.2: SA, Ni, KEi */
static void
write_rekey(struct ike2_wr *wr, void *arg)
{
	struct rekey_arg *q = arg;
	struct ike2_ike_rekey *rk = &q->sa->irekey;
	struct ike2_ke	 ke;

	ike2_wr_sa(wr, q->pl);
	ike2_wr_bytes(wr, IKE2_PL_NONCE, rk->ni, sizeof(rk->ni));
	ke.group = (uint16_t)rk->group;
	ke.data = ike_dh_pub(rk->dh);
	ke.len = ike_dh_publen(rk->group);
	ike2_wr_ke(wr, &ke);
}

/* The policy's proposals for our address, each with the new SPIi. */
static int
rekey_offer(struct ike2_sa *sa, struct ike2_sa_pl *pl)
{
	const struct conf_ikev2_proposal *locals[16];
	int		 nl;

	nl = ike2_policy_proposals(sa->ike->cf, sa->local.sin_addr, locals,
	    (int)nitems(locals));
	memset(pl, 0, sizeof(*pl));
	for (int i = 0; i < nl; i++) {
		struct ike2_prop p;

		if (ike2_prop_from_conf(locals[i], &p) == -1)
			continue;
		p.num = (uint8_t)(pl->nprops + 1);
		p.spilen = IKE2_SPI_LEN;
		memcpy(p.spi, sa->irekey.spi, IKE2_SPI_LEN);
		ike2_prop_append_pl(&p, pl);
	}
	return pl->nprops > 0 ? 0 : -1;
}

static int
rekey_send(struct ike2_sa *sa, int group, int invalid_ke)
{
	struct ike2_ike_rekey *rk = &sa->irekey;
	struct rekey_arg q = { sa, NULL };
	int		 rc = -1;

	if (sa->req_kind != IKE2_REQ_NONE)
		return -1;	/* rk shares its room with a request out */
	do
		ike_random(rk->spi, sizeof(rk->spi));
	while (memcmp(rk->spi, zero, IKE2_SPI_LEN) == 0);
	ike_random(rk->ni, sizeof(rk->ni));
	rk->group = group;
	rk->invalid_ke = invalid_ke;
	q.pl = xcalloc(1, sizeof(*q.pl));
	if ((rk->dh = ike_dh_new(group)) != NULL &&
	    rekey_offer(sa, q.pl) == 0 &&
	    ike2_request(sa, IKE2_REQ_REKEY_IKE, sa->next_out, write_rekey,
	    &q) == 0) {
		IKE2_TRACE(sa, "rekeying the IKE SA: group %d", group);
		rc = 0;
	} else
		ike2_ike_rekey_abandon(sa);
	free(q.pl);
	return rc;
}

static void
rekey_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;
	char		 a[INET_ADDRSTRLEN];

	if (sa->state != IKE2_READY || !ike->active)
		return;
	if (sa->req_kind != IKE2_REQ_NONE || sa->sync_pending) {
		retry(sa, IKE2_IKE_REKEY_BUSY_MS);
		return;
	}
	if (rekey_send(sa, sa->group, 0) == -1) {
		ike->v2->st.rekeys_failed++;
		log_warnx(LOG_IKE, "IKEv2: SA %u: cannot rekey it with %s: no "
		    "usable proposal in the policy", sa->conn_id,
		    ike_addr(&sa->remote, a));
		retry(sa, IKE2_IKE_REKEY_RETRY_MS);
	}
}

void
ike2_ike_rekey_abandon(struct ike2_sa *sa)
{
	ike_dh_free(sa->irekey.dh);
	OPENSSL_cleanse(&sa->irekey, sizeof(sa->irekey));
}

/* The new SA, havpn its original initiator; NULL if the keys fail. */
static struct ike2_sa *
new_sa(struct ike2_sa *sa, const struct ike2_ike_choice *ch,
    const uint8_t *spir, const uint8_t *gir, const uint8_t *nr, size_t nrlen)
{
	struct ike2	*v2 = sa->ike->v2;
	struct ike2_ike_rekey *rk = &sa->irekey;
	struct ike2_sa	*n;

	if (ike2_sa_find(v2, rk->spi, spir) != NULL)
		return NULL;
	n = ike2_sa_new(v2, &sa->local, &sa->remote, rk->spi);
	memcpy(n->spir, spir, IKE2_SPI_LEN);
	n->initiator = 1;
	n->suite = ch->suite;
	n->group = ch->group;
	memcpy(n->ni, rk->ni, sizeof(rk->ni));
	n->nilen = sizeof(rk->ni);
	memcpy(n->nr, nr, nrlen);
	n->nrlen = nrlen;
	if (ike2_kdf_rekey(sa->suite.prf, sa->keys.d, sa->keys.prflen,
	    &n->suite, gir, ike_dh_secretlen(ch->group), n->ni, n->nilen,
	    n->nr, n->nrlen, n->spii, n->spir, &n->keys) == -1) {
		ike2_sa_forget(n);
		return NULL;
	}
	return n;
}

/*
 * Both sides rekeyed sa at once (RFC 7296 2.8.2, 2.25.2): the peer's new
 * SA p (the CHILD SAs went to it when we answered) and ours n, each
 * exchange's lower nonce.  The exchange with the lowest made the
 * redundant SA, and its initiator deletes it; the initiator of the other
 * deletes sa.  Ours redundant: n goes with a Delete, the peer deletes sa.
 * The peer's: the CHILD SAs move on to n, p waits REKEYED for the peer's
 * Delete, and we delete sa.  Ours failed (why): p stands.
 */
static void
settle(struct ike2_sa *sa, struct ike2_sa *n, const struct ike2_low *low,
    struct ike2_sa *p, const struct ike2_low *peer_low, const char *why)
{
	struct ike	*ike = sa->ike;

	if (why != NULL || n == NULL) {
		log_info(LOG_IKE, "IKEv2: SA %u: our rekey of an IKE SA the "
		    "peer rekeyed at once failed (%s): SA %u stands",
		    sa->conn_id, why != NULL ? why : "no keys", p->conn_id);
		return;
	}
	ike2_sa_succeeded(sa, n);
	if (ike2_low_lt(low, peer_low)) {
		log_info(LOG_IKE, "IKEv2: SA %u: rekey collision: our SA %u is "
		    "redundant, deleting it", sa->conn_id, n->conn_id);
		/* (the standby hears of it before its delete) */
		ike2_emit(n, IKE2_EV_UP, 0);
		ike2_sa_delete_notify(n, "redundant after a rekey collision");
		return;
	}
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (c->v2_conn == p->conn_id)
			c->v2_conn = n->conn_id;
	ike2_sa_rekeyed(p);
	ike->v2->st.ike_rekeys_ours++;
	log_info(LOG_IKE, "IKEv2: SA %u: rekey collision: the peer's SA %u "
	    "is redundant, the peer deletes it; SA %u goes on", sa->conn_id,
	    p->conn_id, n->conn_id);
	/* the standby moves the CHILD SAs from p to n */
	ike2_emit(n, IKE2_EV_UP, p->conn_id);
	ike2_emit(p, IKE2_EV_UPDATED, 0);
	ike2_sa_delete_notify(sa, "rekeyed");
	ike2_request_next(n);
}

void
ike2_ike_rekey_answer(struct ike2_sa *sa, const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	struct ike2_ike_rekey *rk = &sa->irekey;
	const struct ike2_pl *pno = ike2_one(pls, IKE2_PL_NONCE),
			     *pke = ike2_one(pls, IKE2_PL_KE);
	struct ike2_ike_choice ch;
	struct ike2_sa	*n = NULL, *p;
	struct ike2_low	 low;
	struct ike2_ke	 ke;
	const uint8_t	*nr;
	uint8_t		 spir[IKE2_SPI_LEN], gir[IKE_MAX_DH];
	size_t		 nrlen;
	const char	*err = NULL, *why = NULL;
	int		 want = 0, tries = rk->invalid_ke;
	uint16_t	 refused = ike2_refusal(pls, &want);
	char		 a[INET_ADDRSTRLEN];

	if (refused == IKE2_N_INVALID_KE_PAYLOAD && want != rk->group &&
	    tries < IKE2_INVALID_KE_MAX && ike2_group_ours(sa, want)) {
		/* 1.3: the group the peer wants, at once */
		ike2_request_end(sa);
		if (rekey_send(sa, want, tries + 1) == 0)
			return;
		why = "no KE for the group asked for";
	} else if (refused != 0)
		why = ike2_notify_name(refused);
	else if (pno == NULL || ike2_nonce_parse(pno->body, &nr, &nrlen,
	    &err) == -1 || nrlen > IKE2_NONCE_MAX ||
	    ike2_ike_answer_choice(sa, pls, rk->group, IKE2_SPI_LEN,
	    &ch, spir) == -1)
		why = "the answer is not one of our proposals";
	else if (pke == NULL || ike2_ke_parse(pke->body, &ke, &err) == -1 ||
	    ke.group != rk->group || ke.len != ike_dh_publen(rk->group) ||
	    ike_dh_derive(rk->dh, ke.data, ke.len, gir, &err) == -1)
		why = "its KE does not fit our group";
	else if ((n = new_sa(sa, &ch, spir, gir, nr, nrlen)) == NULL)
		why = "no keys for the new SA";
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rk->collided != 0 &&
	    (p = ike2_sa_by_conn(v2, rk->collided)) != NULL) {
		struct ike2_low	 peer_low = rk->peer_low;

		memset(&low, 0, sizeof(low));
		if (why == NULL && n != NULL)
			ike2_low_of(rk->ni, sizeof(rk->ni), nr, nrlen, &low);
		ike2_request_end(sa);	/* (rk goes) */
		settle(sa, n, &low, p, &peer_low, why);
		return;
	}
	ike2_request_end(sa);
	if (why != NULL || n == NULL) {
		v2->st.rekeys_failed++;
		log_warnx(LOG_IKE, "IKEv2: SA %u: rekey of the IKE SA with %s "
		    "failed: %s", sa->conn_id, ike_addr(&sa->remote, a), why);
		if (sa->req_kind == IKE2_REQ_NONE)
			retry(sa, IKE2_IKE_REKEY_RETRY_MS);
		ike2_request_next(sa);
		return;
	}
	ike2_sa_succeeded(sa, n);
	/* what waited for the old SA's window goes on the new one's */
	memcpy(n->rekey_wait, sa->rekey_wait, sizeof(n->rekey_wait));
	n->nrekey_wait = sa->nrekey_wait;
	sa->nrekey_wait = 0;
	memcpy(n->create_wait, sa->create_wait, sizeof(n->create_wait));
	n->ncreate_wait = sa->ncreate_wait;
	sa->ncreate_wait = 0;
	memcpy(n->del_spis, sa->del_spis, sizeof(n->del_spis));
	n->ndel = sa->ndel;
	sa->ndel = 0;
	v2->st.ike_rekeys++;
	v2->st.ike_rekeys_ours++;
	/* the standby moves the CHILD SAs to it too */
	ike2_emit(n, IKE2_EV_UP, sa->conn_id);
	log_info(LOG_IKE, "IKEv2: SA %u with %s rekeyed by us: SA %u, group "
	    "%d", sa->conn_id, ike_addr(&sa->remote, a), n->conn_id, n->group);
	ike2_sa_delete_notify(sa, "rekeyed");
	ike2_request_next(n);
}
