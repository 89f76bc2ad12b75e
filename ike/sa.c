/*
 * The ISAKMP SA table: a hash on the initiator cookie (both roles: ours
 * are random, a peer's are checked with its address), one on the conn-id,
 * one on the peer's address, the list of every SA, conn-ids, and the
 * accounting of half-open responder SAs that keeps a flood of first
 * messages from exhausting the daemon.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

static const char *const fsm_names[] = {
#define X(n, fsm, show)	fsm,
	IKE_FSM_STATES(X)
#undef X
};
static const char *const fsm_show[] = {
#define X(n, fsm, show)	show,
	IKE_FSM_STATES(X)
#undef X
};

const char *
ike_fsm_name(enum ike_fsm s)
{
	return (size_t)s < nitems(fsm_names) ? fsm_names[s] : "?";
}

const char *
ike_fsm_show(enum ike_fsm s)
{
	return (size_t)s < nitems(fsm_show) ? fsm_show[s] : "?";
}

static unsigned int
bucket_of(const uint8_t *icookie)
{
	/* both halves count, also when they differ by a constant */
	return ike_bucket(be32_get(icookie) * 0x9e3779b1u ^
	    be32_get(icookie + 4));
}

static const uint8_t zero_cookie[IKE_COOKIE_LEN];

static void sa_retx_timeout(struct ike *, struct ike_timer *);

struct ike_sa *
ike_sa_new(struct ike *ike, int initiator, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike_sa	*sa = xcalloc(1, sizeof(*sa));

	sa->ike = ike;
	sa->initiator = initiator;
	sa->local = *local;
	sa->remote = *remote;
	sa->created_ms = ike_now(ike);
	sa->state = IKE_READY;
	if (initiator) {
		/* a random cookie, unique in the table */
		do
			ike_random(sa->icookie, IKE_COOKIE_LEN);
		while (memcmp(sa->icookie, zero_cookie, IKE_COOKIE_LEN) == 0 ||
		    ike_sa_find(ike, sa->icookie, NULL) != NULL);
	}
	ike_timer_init(&sa->t_retx, sa_retx_timeout, sa);
	ike_timer_init(&sa->t_soft, NULL, sa);
	ike_timer_init(&sa->t_hard, NULL, sa);
	ike_timer_init(&sa->t_dpd, NULL, sa);
	ike_timer_init(&sa->t_natka, NULL, sa);
	sa->next = ike->sas;
	if (ike->sas != NULL)
		ike->sas->prev = sa;
	ike->sas = sa;
	ike->nsas++;
	IKE_CHAIN(ike->sa_by_peer[ike_bucket(remote->sin_addr.s_addr)], sa,
	    hnext_peer);
	if (initiator)
		IKE_CHAIN(ike->bucket[bucket_of(sa->icookie)], sa, hnext);
	return sa;
}

void
ike_sa_spi(const struct ike_sa *sa, uint8_t *spi)
{
	memcpy(spi, sa->icookie, IKE_COOKIE_LEN);
	memcpy(spi + IKE_COOKIE_LEN, sa->rcookie, IKE_COOKIE_LEN);
}

/* A responder takes the peer's cookie and makes its own. */
void
ike_sa_set_rcookie(struct ike_sa *sa, const uint8_t *icookie)
{
	struct ike	*ike = sa->ike;

	memcpy(sa->icookie, icookie, IKE_COOKIE_LEN);
	do
		ike_random(sa->rcookie, IKE_COOKIE_LEN);
	while (memcmp(sa->rcookie, zero_cookie, IKE_COOKIE_LEN) == 0 ||
	    ike_sa_find(ike, sa->icookie, sa->rcookie) != NULL);
	IKE_CHAIN(ike->bucket[bucket_of(sa->icookie)], sa, hnext);
}

void
ike_sa_set_cookies(struct ike_sa *sa, const uint8_t *icookie,
    const uint8_t *rcookie)
{
	struct ike	*ike = sa->ike;

	memcpy(sa->icookie, icookie, IKE_COOKIE_LEN);
	memcpy(sa->rcookie, rcookie, IKE_COOKIE_LEN);
	IKE_CHAIN(ike->bucket[bucket_of(sa->icookie)], sa, hnext);
}

void
ike_sa_drop_exchange(struct ike_sa *sa)
{
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	free_secret(sa->gxi, sa->glen);
	free_secret(sa->gxr, sa->glen);
	sa->gxi = sa->gxr = NULL;
	free(sa->sai_b);
	sa->sai_b = NULL;
	free(sa->ida_b);
	sa->ida_b = NULL;
	OPENSSL_cleanse(sa->ni, sizeof(sa->ni));
	OPENSSL_cleanse(sa->nr, sizeof(sa->nr));
	OPENSSL_cleanse(sa->keys.skeyid, sizeof(sa->keys.skeyid));
	if (sa->psk != NULL)
		free_secret(sa->psk, strlen(sa->psk));
	sa->psk = NULL;
}

void
ike_sa_free(struct ike_sa *sa)
{
	struct ike	*ike;

	if (sa == NULL)
		return;
	ike = sa->ike;
	ike_qm_free_all(sa);
	ike_timer_stop(ike, &sa->t_retx);
	ike_timer_stop(ike, &sa->t_soft);
	ike_timer_stop(ike, &sa->t_hard);
	ike_timer_stop(ike, &sa->t_dpd);
	ike_timer_stop(ike, &sa->t_natka);
	ike_sa_halfopen_done(sa);
	IKE_UNCHAIN(ike->bucket[bucket_of(sa->icookie)], sa, hnext);
	if (sa->conn_id != 0)
		IKE_UNCHAIN(ike->sa_by_conn[ike_bucket(sa->conn_id)], sa,
		    hnext_conn);
	IKE_UNCHAIN(ike->sa_by_peer[ike_bucket(sa->remote.sin_addr.s_addr)],
	    sa, hnext_peer);
	if (sa->prev != NULL)
		sa->prev->next = sa->next;
	else
		ike->sas = sa->next;
	if (sa->next != NULL)
		sa->next->prev = sa->prev;
	ike->nsas--;
	ike_sa_drop_exchange(sa);
	free(sa->out);
	free(sa->last_in);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void
ike_sa_destroy(struct ike_sa *sa, const char *reason)
{
	char	 a[INET_ADDRSTRLEN];

	if (sa->established)
		ike_emit_isakmp_deleted(sa->ike, sa);
	IKE_TRACE(sa, "deleting SA reason \"%s\" state (%s) %s (peer %s)",
	    reason, sa->initiator ? "I" : "R", ike_fsm_show(sa->state),
	    ike_addr(&sa->remote, a));
	ike_sa_free(sa);
}

struct ike_sa *
ike_sa_find(struct ike *ike, const uint8_t *icookie, const uint8_t *rcookie)
{
	struct ike_sa	*sa;

	ike->st.lookup_steps++;
	for (sa = ike->bucket[bucket_of(icookie)]; sa != NULL; sa = sa->hnext) {
		ike->st.lookup_steps++;
		if (memcmp(sa->icookie, icookie, IKE_COOKIE_LEN) != 0)
			continue;
		if (rcookie == NULL ||
		    memcmp(sa->rcookie, rcookie, IKE_COOKIE_LEN) == 0)
			return sa;
		/* our first message is not answered yet: any rcookie */
		if (sa->initiator && memcmp(sa->rcookie, zero_cookie,
		    IKE_COOKIE_LEN) == 0)
			return sa;
	}
	return NULL;
}

struct ike_sa *
ike_sa_find_responder(struct ike *ike, const uint8_t *icookie,
    const struct sockaddr_in *remote)
{
	struct ike_sa	*sa;

	ike->st.lookup_steps++;
	for (sa = ike->bucket[bucket_of(icookie)]; sa != NULL; sa = sa->hnext) {
		ike->st.lookup_steps++;
		if (!sa->initiator &&
		    memcmp(sa->icookie, icookie, IKE_COOKIE_LEN) == 0 &&
		    sa->remote.sin_addr.s_addr == remote->sin_addr.s_addr)
			return sa;
	}
	return NULL;
}

struct ike_sa *
ike_sa_of_peer(struct ike *ike, struct in_addr peer, struct ike_sa *prev)
{
	struct ike_sa	*sa;

	if (prev == NULL) {
		ike->st.lookup_steps++;
		sa = ike->sa_by_peer[ike_bucket(peer.s_addr)];
	} else
		sa = prev->hnext_peer;
	for (; sa != NULL; sa = sa->hnext_peer) {
		ike->st.lookup_steps++;
		if (sa->remote.sin_addr.s_addr == peer.s_addr)
			return sa;
	}
	return NULL;
}

struct ike_sa *
ike_sa_find_peer(struct ike *ike, struct in_addr local, struct in_addr peer)
{
	struct ike_sa	*sa, *best = NULL;

	for (sa = ike_sa_of_peer(ike, peer, NULL); sa != NULL;
	    sa = ike_sa_of_peer(ike, peer, sa))
		if (sa->established && sa->state != IKE_DEAD &&
		    (local.s_addr == INADDR_ANY ||
		    sa->local.sin_addr.s_addr == local.s_addr) &&
		    (best == NULL || sa->established_ms > best->established_ms))
			best = sa;
	return best;
}

struct ike_sa *
ike_sa_find_negotiating(struct ike *ike, struct in_addr local,
    struct in_addr peer)
{
	struct ike_sa	*sa;

	for (sa = ike_sa_of_peer(ike, peer, NULL); sa != NULL;
	    sa = ike_sa_of_peer(ike, peer, sa))
		if (!sa->established && sa->initiator &&
		    sa->state != IKE_DEAD &&
		    sa->local.sin_addr.s_addr == local.s_addr)
			return sa;
	return NULL;
}

struct ike_sa *
ike_sa_by_conn_id(struct ike *ike, uint32_t id)
{
	struct ike_sa	*sa;

	ike->st.lookup_steps++;
	for (sa = ike->sa_by_conn[ike_bucket(id)]; sa != NULL;
	    sa = sa->hnext_conn) {
		ike->st.lookup_steps++;
		if (sa->conn_id == id)
			return sa;
	}
	return NULL;
}

void
ike_sa_set_conn_id(struct ike_sa *sa, uint32_t id)
{
	sa->conn_id = id;
	IKE_CHAIN(sa->ike->sa_by_conn[ike_bucket(id)], sa, hnext_conn);
}

void
ike_sa_assign_conn_id(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	uint32_t	 id;

	if (sa->conn_id != 0)
		return;
	do {
		id = ike->next_conn_id++;
		if (ike->next_conn_id == 0)
			ike->next_conn_id = 1001;
	} while (id == 0 || ike_sa_by_conn_id(ike, id) != NULL);
	ike_sa_set_conn_id(sa, id);
}

void
ike_sa_set_state(struct ike_sa *sa, enum ike_fsm st)
{
	if (sa->state != st)
		ike_trace_state(sa, st, NULL);
	sa->state = st;
}

void
ike_sa_halfopen_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	if (sa->halfopen)
		return;
	sa->halfopen = 1;
	ike->halfopen++;
	sa->half_prev = NULL;
	sa->half_next = ike->halfopen_sas;
	if (ike->halfopen_sas != NULL)
		ike->halfopen_sas->half_prev = sa;
	ike->halfopen_sas = sa;
}

void
ike_sa_halfopen_done(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	if (!sa->halfopen)
		return;
	sa->halfopen = 0;
	ike->halfopen--;
	if (sa->half_prev != NULL)
		sa->half_prev->half_next = sa->half_next;
	else
		ike->halfopen_sas = sa->half_next;
	if (sa->half_next != NULL)
		sa->half_next->half_prev = sa->half_prev;
}

int
ike_sa_count_halfopen_peer(struct ike *ike, struct in_addr peer)
{
	struct ike_sa	*sa;
	int		 n = 0;

	for (sa = ike_sa_of_peer(ike, peer, NULL); sa != NULL;
	    sa = ike_sa_of_peer(ike, peer, sa))
		n += sa->halfopen != 0;
	return n;
}

/*
 * Under a flood a responder SA not yet authenticated gives way to a new
 * one (of this peer only, if peer is given): a failed one first, then the
 * oldest that has only answered Main Mode's first message (no DH, nothing
 * invested), then the oldest Aggressive Mode answer still waiting for its
 * third message (its source never shown to be real).
 */
struct ike_sa *
ike_sa_oldest_evictable(struct ike *ike, const struct in_addr *peer)
{
	struct ike_sa	*sa, *mm = NULL, *am = NULL;

	/* the peer's SAs, or every half-open one (newest first, both) */
	if (peer != NULL)
		sa = ike_sa_of_peer(ike, *peer, NULL);
	else
		sa = ike->halfopen_sas;
	for (; sa != NULL; sa = peer != NULL ? ike_sa_of_peer(ike, *peer, sa) :
	    sa->half_next) {
		if (!sa->halfopen)
			continue;
		if (sa->state == IKE_DEAD)
			return sa;
		if ((sa->state == IKE_R_MM2 || sa->state == IKE_R_MM1) &&
		    (mm == NULL || sa->created_ms <= mm->created_ms))
			mm = sa;
		if ((sa->state == IKE_R_AM1 || sa->state == IKE_R_AM2) &&
		    (am == NULL || sa->created_ms <= am->created_ms))
			am = sa;
	}
	return mm != NULL ? mm : am;
}

void
ike_sa_peer_heard(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	sa->last_rx_ms = ike_now(ike);
	if (sa->established && ntohs(sa->local.sin_port) == IKE_NATT_PORT)
		ike_natt_peer_moved(sa, &ike->in_remote);
}

void
ike_keep_bytes(uint8_t **dst, size_t *dstlen, const void *p, size_t len)
{
	free(*dst);
	*dst = xmalloc(len);
	memcpy(*dst, p, len);
	*dstlen = len;
}

void
ike_sa_remember_in(struct ike_sa *sa, const uint8_t *p, size_t len)
{
	ike_keep_bytes(&sa->last_in, &sa->last_in_len, p, len);
}

uint32_t
ike_sa_new_msgid(struct ike_sa *sa)
{
	uint32_t m;

	do
		ike_random(&m, sizeof(m));
	while (m == 0 || ike_sa_msgid_seen(sa, m) || ike_qm_find(sa, m));
	return m;
}

int
ike_sa_msgid_seen(struct ike_sa *sa, uint32_t msgid)
{
	for (int i = 0; i < IKE_MSGID_RING; i++)
		if (sa->msgids[i] == msgid && msgid != 0)
			return 1;
	return 0;
}

/* An exchange that failed on our side: its message ID may come again. */
void
ike_sa_msgid_forget(struct ike_sa *sa, uint32_t msgid)
{
	for (int i = 0; i < IKE_MSGID_RING; i++)
		if (sa->msgids[i] == msgid)
			sa->msgids[i] = 0;
}

void
ike_sa_msgid_add(struct ike_sa *sa, uint32_t msgid)
{
	if (ike_sa_msgid_seen(sa, msgid))
		return;
	sa->msgids[sa->msgid_pos] = msgid;
	sa->msgid_pos = (sa->msgid_pos + 1) % IKE_MSGID_RING;
}

/*
 * Phase 1 retransmission: the last message again, with back-off, until
 * IKE_RETX_MAX tries; then the SA dies ("Death by retransmission P1").
 * A responder SA that only waits (not retransmitting) times out here too.
 */
static void
sa_retx_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_sa	*sa = t->arg;
	char		 a[INET_ADDRSTRLEN];

	if (sa->state == IKE_DEAD) {
		ike_sa_free(sa);
		return;
	}
	if (!sa->retransmit || sa->out == NULL) {
		log_info(LOG_IKE, "ISAKMP:(%u): phase 1 negotiation with %s "
		    "timed out in %s", sa->conn_id, ike_addr(&sa->remote, a),
		    ike_fsm_show(sa->state));
		ike->st.p1_fail++;
		ike_sa_destroy(sa, "negotiation timed out");
		return;
	}
	if (sa->retries >= ike->retx_max) {
		log_warnx(LOG_IKE, "ISAKMP:(%u): deleting SA reason \"Death "
		    "by retransmission P1\" state (%s) %s (peer %s)",
		    sa->conn_id, sa->initiator ? "I" : "R",
		    ike_fsm_show(sa->state), ike_addr(&sa->remote, a));
		ike->st.p1_fail++;
		ike_sa_free(sa);
		return;
	}
	sa->retries++;
	ike->st.retransmits++;
	IKE_TRACE(sa, " retransmitting phase 1 %s...",
	    ike_fsm_show(sa->state));
	IKE_TRACE(sa, "incrementing error counter on sa, attempt %d of %d: "
	    "retransmit phase 1", sa->retries, ike->retx_max);
	ike_msg_resend(sa, sa->out, sa->outlen);
	ike_msg_arm_retx(sa, NULL);
}

void
ike_sa_export(const struct ike_sa *sa, struct ike_isakmp_state *s)
{
	uint64_t now = ike_now(sa->ike);

	memset(s, 0, sizeof(*s));
	s->version = IKE_STATE_VERSION;
	s->conn_id = sa->conn_id;
	memcpy(s->icookie, sa->icookie, 8);
	memcpy(s->rcookie, sa->rcookie, 8);
	s->initiator = (uint8_t)sa->initiator;
	s->exchange = sa->exchange;
	s->local = sa->local.sin_addr;
	s->remote = sa->remote.sin_addr;
	s->local_port = ntohs(sa->local.sin_port);
	s->remote_port = ntohs(sa->remote.sin_port);
	s->peer_id = sa->peer_id;
	s->enc = (uint8_t)sa->alg.enc;
	s->keybits = (uint16_t)sa->alg.keybits;
	s->hash = (uint8_t)sa->alg.hash;
	s->group = (uint16_t)sa->alg.group;
	memcpy(s->skeyid_d, sa->keys.d, sizeof(s->skeyid_d));
	memcpy(s->skeyid_a, sa->keys.a, sizeof(s->skeyid_a));
	memcpy(s->skeyid_e, sa->keys.e, sizeof(s->skeyid_e));
	s->prf_len = (uint16_t)sa->keys.len;
	memcpy(s->enc_key, sa->keys.enc, sizeof(s->enc_key));
	s->enc_key_len = (uint16_t)sa->keys.enclen;
	memcpy(s->iv, sa->iv, sizeof(s->iv));
	s->iv_len = (uint16_t)ike_cipher_block(sa->alg.enc);
	s->lifetime = sa->alg.lifetime;
	s->remaining = sa->expire_ms > now ?
	    (uint32_t)((sa->expire_ms - now + 999) / 1000) : 0;
	s->peer_dpd = (uint8_t)sa->peer_dpd;
	s->dpd_seq_out = sa->dpd_seq_out;
	s->dpd_seq_in = sa->dpd_seq_in;
	s->natt = (uint8_t)sa->natt;
	s->nat_local = (uint8_t)sa->nat_local;
	s->nat_remote = (uint8_t)sa->nat_remote;
	memcpy(s->msgids, sa->msgids, sizeof(s->msgids));
	snprintf(s->map, sizeof(s->map), "%s", sa->map);
	s->map_seq = sa->map_seq;
}
