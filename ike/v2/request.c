/*
 * havpn's own IKEv2 requests (RFC 7296 2.1, 2.3, 2.4): one at a time per
 * SA, kept sealed and retransmitted until its answer comes; when none
 * comes the peer is gone and the SA is deleted with its CHILD SAs.  The
 * requests: the liveness check (dead peer detection from the profile's
 * dpd line), Deletes of CHILD SAs and of the IKE SA, and RFC 6311's
 * message ID sync after a takeover.
 *
 * The original roles (2.2) set the flags and the keys (ike2_seal): on an
 * SA the peer started, havpn's requests carry neither I nor R and are
 * sealed with SK_er/SK_ar, the answers carry I and R; on an SA a rekey
 * of havpn's made (rekey.c), the other way round.
 *
 * Retransmissions: every IKE2_RETX_BASE_MS doubled (2, 4, 8, 16, 32 s),
 * a liveness check every dpd RETRY seconds instead, IKE2_RETX_MAX times.
 * Only the active node sends; a node that becomes standby drops what it
 * had out (its peer takes over the SAs).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

#define IKE2_RETX_BASE_MS	2000
#define IKE2_RETX_MAX		5

static void	 req_timeout(struct ike *, struct ike_timer *);
static void	 dpd_timeout(struct ike *, struct ike_timer *);
static void	 natka_timeout(struct ike *, struct ike_timer *);
static void	 sync_timeout(struct ike *, struct ike_timer *);

void
ike2_request_init(struct ike2_sa *sa)
{
	ike_timer_init(&sa->t_req, req_timeout, sa);
	ike_timer_init(&sa->t_dpd, dpd_timeout, sa);
	ike_timer_init(&sa->t_natka, natka_timeout, sa);
	ike_timer_init(&sa->t_sync, sync_timeout, sa);
	ike2_ike_rekey_init(sa);
}

void
ike2_request_end(struct ike2_sa *sa)
{
	if (sa->req_kind == IKE2_REQ_REKEY_CHILD)
		ike2_child_rekey_abandon(sa);
	else if (sa->req_kind == IKE2_REQ_REKEY_IKE)
		ike2_ike_rekey_abandon(sa);
	ike_timer_stop(sa->ike, &sa->t_req);
	ike2_out_free(&sa->req);
	sa->req_kind = IKE2_REQ_NONE;
}

void
ike2_request_free(struct ike2_sa *sa)
{
	ike2_request_end(sa);
	ike_timer_stop(sa->ike, &sa->t_rekey);
	ike_timer_stop(sa->ike, &sa->t_dpd);
	ike_timer_stop(sa->ike, &sa->t_natka);
	ike_timer_stop(sa->ike, &sa->t_sync);
}

static uint64_t
retx_delay(const struct ike2_sa *sa)
{
	if (sa->req_kind == IKE2_REQ_LIVENESS && sa->dpd_retry > 0)
		return (uint64_t)sa->dpd_retry * 1000;
	return (uint64_t)IKE2_RETX_BASE_MS << sa->req_tries;
}

int
ike2_request(struct ike2_sa *sa, int kind, uint32_t msgid,
    void (*fn)(struct ike2_wr *, void *), void *arg)
{
	struct ike	*ike = sa->ike;
	uint8_t		 ex = kind == IKE2_REQ_REKEY_CHILD ||
			    kind == IKE2_REQ_REKEY_IKE ?
			    IKE2_EX_CREATE_CHILD_SA : kind == IKE2_REQ_AUTH ?
			    IKE2_EX_IKE_AUTH : IKE2_EX_INFORMATIONAL;

	if (sa->req_kind != IKE2_REQ_NONE || !ike->active ||
	    (IKE2_NEGOTIATING(sa) && kind != IKE2_REQ_AUTH) ||
	    (sa->sync_pending && kind != IKE2_REQ_MID_SYNC))
		return -1;
	if (ike2_seal(sa, ex, 0, msgid, fn, arg, &sa->req) == -1)
		return -1;
	sa->req_kind = kind;
	sa->req_exchange = ex;
	sa->req_msgid = msgid;
	sa->req_tries = 0;
	if (kind != IKE2_REQ_MID_SYNC)
		ike2_sa_msgid_out_used(sa);
	ike->v2->st.requests_sent++;
	(void)ike2_send_out(sa, &sa->req);
	ike_timer_set(ike, &sa->t_req, ike_now(ike) + retx_delay(sa));
	return 0;
}

static void
req_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;
	char		 a[INET_ADDRSTRLEN];

	if (sa->req_kind == IKE2_REQ_NONE)
		return;
	if (sa->req_tries >= IKE2_RETX_MAX) {
		ike->v2->st.peers_dead++;
		log_warnx(LOG_IKE, "IKEv2: SA %u: %s does not answer (%d "
		    "retransmissions): deleting it", sa->conn_id,
		    ike_addr(&sa->remote, a), sa->req_tries);
		ike2_sa_delete(sa, sa->req_kind == IKE2_REQ_DELETE_IKE ?
		    "deleted here" : "the peer does not answer");
		return;
	}
	sa->req_tries++;
	ike->v2->st.requests_retransmitted++;
	(void)ike2_send_out(sa, &sa->req);
	ike_timer_set(ike, t, ike_now(ike) + retx_delay(sa));
}

/* ---- Deletes ------------------------------------------------------------- */

struct del_arg {
	uint8_t		 proto;
	const uint32_t	*spis;
	int		 n;
};

static void
write_delete(struct ike2_wr *wr, void *arg)
{
	const struct del_arg *d = arg;
	struct ike2_delete del;
	uint8_t		 spis[4 * IKE2_DEL_QUEUE];

	memset(&del, 0, sizeof(del));
	del.proto = d->proto;
	if (d->proto == IKE2_PROTO_ESP) {
		for (int i = 0; i < d->n; i++)
			be32_put(spis + 4 * i, d->spis[i]);
		del.spisize = 4;
		del.nspis = (uint16_t)d->n;
		del.spis = spis;
	}
	ike2_wr_delete(wr, &del);
}

/* The CHILD SAs' Deletes that waited for the window. */
static void
flush_deletes(struct ike2_sa *sa)
{
	struct del_arg	 d = { IKE2_PROTO_ESP, sa->del_spis, sa->ndel };

	if (sa->ndel == 0 || sa->req_kind != IKE2_REQ_NONE)
		return;
	if (ike2_request(sa, IKE2_REQ_DELETE_CHILD, sa->next_out, write_delete,
	    &d) == 0)
		sa->ndel = 0;
}

void
ike2_child_deleted(struct ike2 *v2, const struct ike_child *c)
{
	struct ike2_sa	*sa;

	for (sa = v2->sas; sa != NULL && sa->conn_id != c->v2_conn;
	    sa = sa->next)
		;
	if (sa == NULL || sa->state != IKE2_READY || !v2->ike->active)
		return;
	if (sa->ndel == IKE2_DEL_QUEUE) {
		v2->st.deletes_unsent++;
		return;
	}
	/* 3.11: our inbound SPI */
	sa->del_spis[sa->ndel++] = c->spi_in;
	flush_deletes(sa);
}

void
ike2_sa_delete_notify(struct ike2_sa *sa, const char *why)
{
	struct ike	*ike = sa->ike;
	struct ike_child *c, *next;
	struct del_arg	 d = { IKE2_PROTO_IKE, NULL, 0 };

	/* (a REKEYED one too: a rekey collision's winner deletes it) */
	if ((sa->state != IKE2_READY && sa->state != IKE2_REKEYED) ||
	    !ike->active) {
		ike2_sa_delete(sa, why);
		return;
	}
	/* the pairs go now; the SA stays DELETING until the peer answers
	 * (a request already out is abandoned: its answer no longer
	 * matters) */
	for (c = ike->children; c != NULL; c = next) {
		next = c->next;
		if (c->v2_conn == sa->conn_id)
			ike_child_delete(c, 0, why);
	}
	ike2_request_end(sa);
	sa->ndel = 0;
	if (ike2_request(sa, IKE2_REQ_DELETE_IKE, sa->next_out, write_delete,
	    &d) == -1) {
		ike2_sa_delete(sa, why);
		return;
	}
	sa->state = IKE2_DELETING;
	ike_timer_stop(ike, &sa->t_dpd);
	log_info(LOG_IKE, "IKEv2: SA %u: Delete sent: %s", sa->conn_id, why);
}

/* ---- liveness (dead peer detection) -------------------------------------- */

void
ike2_dpd_start(struct ike2_sa *sa, int interval, int retry,
    enum conf_dpd_mode mode)
{
	sa->dpd_interval = interval;
	sa->dpd_retry = retry;
	sa->dpd_mode = mode;
	if (interval > 0)
		ike_timer_set(sa->ike, &sa->t_dpd, ike_now(sa->ike) +
		    (uint64_t)interval * 1000);
}

/*
 * Every interval: a liveness check (an empty INFORMATIONAL) when nothing
 * authenticated came from the peer for interval seconds, periodic; or,
 * on demand (IOS's default), only when traffic went out on the SA's
 * pairs and none came back.
 */
static void
dpd_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;
	uint64_t	 now = ike_now(ike),
			 interval = (uint64_t)sa->dpd_interval * 1000;

	if (interval == 0)
		return;
	if (ike->active && sa->state == IKE2_READY &&
	    sa->req_kind == IKE2_REQ_NONE && now - sa->last_rx_ms >= interval &&
	    (sa->dpd_mode == CONF_DPD_PERIODIC ||
	    ike_children_want_dpd(ike, sa->remote.sin_addr, sa->conn_id,
	    sa->last_rx_ms, interval)) &&
	    ike2_request(sa, IKE2_REQ_LIVENESS, sa->next_out, NULL,
	    NULL) == 0) {
		ike->v2->st.liveness_sent++;
		IKE2_TRACE(sa, "liveness check sent, message ID %u",
		    sa->req_msgid);
	}
	/* the next look: when the peer will have been quiet long enough */
	ike_timer_set(ike, t, now - sa->last_rx_ms < interval ?
	    sa->last_rx_ms + interval : now + interval);
}

/* ---- NAT keepalives ------------------------------------------------------ */

void
ike2_natka_start(struct ike2_sa *sa)
{
	struct ike	*ike = sa->ike;

	if (sa->nat_local && ike->cf->nat_keepalive > 0)
		ike_timer_set(ike, &sa->t_natka, ike_now(ike) +
		    (uint64_t)ike->cf->nat_keepalive * 1000);
}

/* One octet 0xFF to the peer's port 4500 (RFC 3948 2.3); the active's. */
static void
natka_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;
	static const uint8_t ka = 0xff;

	if (ike->cf->nat_keepalive <= 0)
		return;
	if (ike->active && sa->state == IKE2_READY &&
	    ntohs(sa->local.sin_port) == IKE_NATT_PORT) {
		ike->st.tx++;
		ike->v2->st.nat_keepalives++;
		(void)ike->io.send(ike->io.arg, &sa->local, &sa->remote, &ka,
		    1);
	}
	ike_timer_set(ike, t, ike_now(ike) +
	    (uint64_t)ike->cf->nat_keepalive * 1000);
}

/* ---- RFC 6311: message IDs after a takeover ------------------------------ */

static void
write_mid_sync(struct ike2_wr *wr, void *arg)
{
	struct ike2_sa	*sa = arg;
	struct ike2_msgid_sync s;
	struct ike2_notify n;
	uint8_t		 data[IKE2_MSGID_SYNC_LEN];

	memcpy(s.nonce, sa->mid_nonce, sizeof(s.nonce));
	s.send = sa->next_out;
	s.recv = sa->next_in;
	ike2_msgid_sync_put(&s, data);
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_IKEV2_MESSAGE_ID_SYNC;
	n.data = data;
	n.datalen = sizeof(data);
	ike2_wr_notify(wr, &n);
}

int
ike2_mid_sync(struct ike2_sa *sa)
{
	if (!sa->peer_mid_sync || sa->state != IKE2_READY)
		return -1;
	/* whatever was out belonged to the node that failed */
	ike2_request_end(sa);
	ike_random(sa->mid_nonce, sizeof(sa->mid_nonce));
	if (ike2_request(sa, IKE2_REQ_MID_SYNC, 0, write_mid_sync, sa) == -1)
		return -1;
	IKE2_TRACE(sa, "IKEV2_MESSAGE_ID_SYNC sent: ours %u, the peer's %u",
	    sa->next_out, sa->next_in);
	return 0;
}

void
ike2_mid_sync_later(struct ike2_sa *sa)
{
	if (!sa->peer_mid_sync)
		return;
	/* 6311: the IDs are synchronized before any other request */
	sa->sync_pending = 1;
	ike_timer_set(sa->ike, &sa->t_sync, ike_now(sa->ike) +
	    IKE2_MID_SYNC_DELAY_MS);
}

/* The answer would go to the VIP's old holder before then. */
static void
sync_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;

	sa->sync_pending = 0;
	if (ike->active && ike2_mid_sync(sa) == -1)
		ike2_child_rekey_next(sa);
}

/*
 * 5.1 of RFC 6311: the answer echoes our nonce with the peer's next
 * request ID (send) and the ID it expects of ours (recv); each side
 * takes the higher.
 */
static void
mid_sync_answer(struct ike2_sa *sa, const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct ike2_msgid_sync s;
	char		 a[INET_ADDRSTRLEN];

	for (int i = 0; i < pls->n; i++) {
		struct ike2_notify n;
		const char	*err;

		if (pls->pl[i].type != IKE2_PL_N ||
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == -1 ||
		    ike2_msgid_sync_get(&n, &s) == -1)
			continue;
		if (CRYPTO_memcmp(s.nonce, sa->mid_nonce,
		    sizeof(s.nonce)) != 0)
			break;
		if (s.send > sa->next_in)
			sa->next_in = s.send;
		if (s.recv > sa->next_out)
			sa->next_out = s.recv;
		/* the standby starts past both */
		sa->next_out_reserved = sa->next_out + IKE2_MSGID_RESERVE;
		ike2_emit(sa, IKE2_EV_UPDATED, 0);
		ike->v2->st.mid_syncs++;
		log_info(LOG_IKE, "IKEv2: SA %u: message IDs synchronized with "
		    "%s (RFC 6311): ours from %u, the peer's from %u",
		    sa->conn_id, ike_addr(&sa->remote, a), sa->next_out,
		    sa->next_in);
		return;
	}
	ike->v2->st.mid_sync_failed++;
	log_warnx(LOG_IKE, "IKEv2: SA %u: %s answered the message ID sync "
	    "without its notification: IDs kept", sa->conn_id,
	    ike_addr(&sa->remote, a));
}

void
ike2_requests_drop(struct ike2_sa *sa)
{
	ike2_request_end(sa);
	sa->ndel = 0;
	sa->sync_pending = 0;
	/* the rekeys queued behind the window: a standby starts none, and
	 * an active again decides at its takeover what it rekeys */
	for (int i = 0; i < sa->nrekey_wait; i++) {
		struct ike_child *c = ike_child_by_conn(sa->ike,
		    sa->rekey_wait[i]);

		if (c != NULL)
			c->rekeying = 0;
	}
	sa->nrekey_wait = 0;
	sa->ncreate_wait = 0;
}

/* ---- answers ------------------------------------------------------------- */

void
ike2_response(struct ike2_sa *sa, const struct ike2_hdr *h,
    const uint8_t *data, size_t len, const struct ike2_pls *outer)
{
	struct ike2	*v2 = sa->ike->v2;
	struct ike2_pls	 pls;
	int		 kind = sa->req_kind;

	if (kind == IKE2_REQ_NONE || h->msgid != sa->req_msgid ||
	    h->exchange != sa->req_exchange) {
		/* late (a retransmission's second answer) or not ours */
		v2->st.bad_msgid++;
		return;
	}
	if (ike2_open(sa, h, data, len, outer, &pls) != 0)
		return;
	if (kind == IKE2_REQ_REKEY_IKE) {
		/* ends the request; the old SA's Delete may follow */
		ike2_ike_rekey_answer(sa, &pls);
		return;
	}
	if (kind == IKE2_REQ_AUTH) {
		/* ends the request, and the SA if it failed */
		ike2_auth_answer(sa, &pls);
		return;
	}
	if (kind == IKE2_REQ_REKEY_CHILD)
		ike2_child_rekey_answer(sa, &pls);	/* takes its state */
	ike2_request_end(sa);
	switch (kind) {
	case IKE2_REQ_MID_SYNC:
		mid_sync_answer(sa, &pls);
		break;
	case IKE2_REQ_DELETE_IKE:
		ike2_sa_delete(sa, "deleted here");
		return;
	default:
		/* liveness, a CHILD SA's Delete: the answer is all */
		break;
	}
	ike2_request_next(sa);
}

void
ike2_request_next(struct ike2_sa *sa)
{
	flush_deletes(sa);
	ike2_child_rekey_next(sa);
}
