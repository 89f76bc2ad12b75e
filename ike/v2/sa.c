/*
 * IKEv2 SAs: the table (a hash on SPIi, checked with SPIr and the peer),
 * sending, the answers kept for retransmitted requests (RFC 7296 2.1),
 * the input of a datagram and INFORMATIONAL.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

static const uint8_t zero_spi[IKE2_SPI_LEN];

static unsigned int
bucket_of(const uint8_t *spii)
{
	return ike_bucket(be32_get(spii) * 0x9e3779b1u ^ be32_get(spii + 4));
}

struct ike2 *
ike2_new(struct ike *ike)
{
	struct ike2	*v2 = xcalloc(1, sizeof(*v2));

	v2->ike = ike;
	v2->next_conn_id = 1;
	return v2;
}

static void
sa_free(struct ike2_sa *sa)
{
	struct ike2	*v2 = sa->ike->v2;

	ike_timer_stop(sa->ike, &sa->t_life);
	ike2_request_free(sa);
	IKE_UNCHAIN(v2->bucket[bucket_of(sa->spii)], sa, hnext);
	IKE_UNCHAIN(v2->by_conn[ike_bucket(sa->conn_id)], sa, cnext);
	if (sa->prev != NULL)
		sa->prev->next = sa->next;
	else
		v2->sas = sa->next;
	if (sa->next != NULL)
		sa->next->prev = sa->prev;
	v2->nsas--;
	if (sa->state == IKE2_R_INIT)
		v2->halfopen--;
	free(sa->init_i);
	free(sa->init_r);
	ike2_out_free(&sa->resp);
	ike2_frag_free(sa);
	ike_dh_free(sa->idh);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void
ike2_free(struct ike2 *v2)
{
	if (v2 == NULL)
		return;
	while (v2->sas != NULL)
		sa_free(v2->sas);
	OPENSSL_cleanse(v2, sizeof(*v2));
	free(v2);
}

static void
sa_life_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike2_sa	*sa = t->arg;

	(void)ike;
	if (sa->state == IKE2_READY)
		ike2_sa_delete_notify(sa, "lifetime expired");
	else
		ike2_sa_delete(sa, sa->state == IKE2_R_INIT ?
		    "IKE_AUTH never came" : IKE2_NEGOTIATING(sa) ?
		    "the responder did not complete the negotiation" :
		    sa->state == IKE2_REKEYED ? "replaced by a rekey" :
		    "deleted here");
}

void
ike2_sa_ready(struct ike2_sa *sa, uint32_t lifetime)
{
	struct ike	*ike = sa->ike;

	if (sa->state == IKE2_R_INIT)
		ike->v2->halfopen--;
	sa->state = IKE2_READY;
	sa->established_ms = ike_now(ike);
	sa->last_rx_ms = sa->established_ms;
	sa->lifetime = lifetime;
	ike2_natka_start(sa);
	sa->next_out_reserved = sa->next_out + IKE2_MSGID_RESERVE;
	ike_timer_set(ike, &sa->t_life, sa->established_ms +
	    (uint64_t)lifetime * 1000);
	ike2_ike_rekey_arm(sa, (uint64_t)lifetime * 1000);
}

void
ike2_sa_succeeded(struct ike2_sa *old, struct ike2_sa *n)
{
	n->nat_local = old->nat_local;
	n->nat_remote = old->nat_remote;
	memcpy(n->profile, old->profile, sizeof(n->profile));
	/* (a copy of the struct would point into the old SA's buffers) */
	ike2_id_keep(&old->id_local.id, &n->id_local);
	ike2_id_keep(&old->id_peer.id, &n->id_peer);
	n->peer_mid_sync = old->peer_mid_sync;
	n->peer_replay_sync = old->peer_replay_sync;
	ike2_sa_ready(n, old->lifetime);
	ike2_dpd_start(n, old->dpd_interval, old->dpd_retry, old->dpd_mode);
	for (struct ike_child *c = old->ike->children; c != NULL; c = c->next)
		if (c->v2_conn == old->conn_id)
			c->v2_conn = n->conn_id;
}

void
ike2_sa_rekeyed(struct ike2_sa *sa)
{
	sa->state = IKE2_REKEYED;
	ike_timer_stop(sa->ike, &sa->t_rekey);
	ike_timer_set(sa->ike, &sa->t_life, ike_now(sa->ike) +
	    IKE2_REKEYED_MS);
}

/* An SA with SPIi spii (NULL: a new one of ours, SPIr zero) or ours as
 * responder. */
static struct ike2_sa *
sa_alloc(struct ike2 *v2, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *spii)
{
	struct ike	*ike = v2->ike;
	struct ike2_sa	*sa = xcalloc(1, sizeof(*sa));

	sa->ike = ike;
	sa->local = *local;
	sa->remote = *remote;
	sa->state = spii != NULL ? IKE2_R_INIT : IKE2_I_INIT;
	sa->initiator = spii == NULL;
	sa->created_ms = ike_now(ike);
	if (spii != NULL) {
		memcpy(sa->spii, spii, IKE2_SPI_LEN);
		do
			ike_random(sa->spir, IKE2_SPI_LEN);
		while (memcmp(sa->spir, zero_spi, IKE2_SPI_LEN) == 0 ||
		    ike2_sa_find(v2, sa->spii, sa->spir) != NULL);
	} else
		do
			ike_random(sa->spii, IKE2_SPI_LEN);
		while (memcmp(sa->spii, zero_spi, IKE2_SPI_LEN) == 0 ||
		    ike2_sa_find(v2, sa->spii, zero_spi) != NULL);
	do
		sa->conn_id = v2->next_conn_id++;
	while (sa->conn_id == 0);
	ike_timer_init(&sa->t_life, sa_life_timeout, sa);
	ike2_request_init(sa);
	ike_timer_set(ike, &sa->t_life, sa->created_ms + IKE2_NEG_TIMEOUT_MS);
	sa->next = v2->sas;
	if (v2->sas != NULL)
		v2->sas->prev = sa;
	v2->sas = sa;
	v2->nsas++;
	IKE_CHAIN(v2->bucket[bucket_of(sa->spii)], sa, hnext);
	IKE_CHAIN(v2->by_conn[ike_bucket(sa->conn_id)], sa, cnext);
	return sa;
}

struct ike2_sa *
ike2_sa_new(struct ike2 *v2, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *spii)
{
	/* the peer's half-open SAs are limited, not ours */
	v2->halfopen++;
	return sa_alloc(v2, local, remote, spii);
}

struct ike2_sa *
ike2_sa_new_initiator(struct ike2 *v2, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike2_sa	*sa = sa_alloc(v2, local, remote, NULL);

	/* until IKE_AUTH no reservation need be replicated */
	sa->next_out_reserved = IKE2_MSGID_RESERVE;
	return sa;
}

struct ike2_sa *
ike2_sa_by_conn(struct ike2 *v2, uint32_t conn_id)
{
	for (struct ike2_sa *sa = v2->by_conn[ike_bucket(conn_id)]; sa != NULL;
	    sa = sa->cnext)
		if (sa->conn_id == conn_id)
			return sa;
	return NULL;
}

int
ike2_conn_exists(struct ike *ike, uint32_t conn_id)
{
	return ike2_sa_by_conn(ike->v2, conn_id) != NULL;
}

void
ike2_sa_set_conn_id(struct ike2_sa *sa, uint32_t conn_id)
{
	struct ike2	*v2 = sa->ike->v2;

	IKE_UNCHAIN(v2->by_conn[ike_bucket(sa->conn_id)], sa, cnext);
	sa->conn_id = conn_id;
	IKE_CHAIN(v2->by_conn[ike_bucket(sa->conn_id)], sa, cnext);
	if (v2->next_conn_id <= conn_id)
		v2->next_conn_id = conn_id + 1;
}

void
ike2_sa_forget(struct ike2_sa *sa)
{
	sa_free(sa);
}

void
ike2_sa_msgid_out_used(struct ike2_sa *sa)
{
	sa->next_out++;
	if (sa->next_out < sa->next_out_reserved)
		return;
	/* the standby may start here: beyond every ID used */
	sa->next_out_reserved = sa->next_out + IKE2_MSGID_RESERVE;
	ike2_emit(sa, IKE2_EV_UPDATED, 0);
}

void
ike2_set_active(struct ike2 *v2, int active)
{
	struct ike2_sa	*sa, *next;

	for (sa = v2->sas; sa != NULL; sa = next) {
		next = sa->next;
		if (active) {
			ike_timer_unhold(v2->ike, &sa->t_life);
			ike_timer_unhold(v2->ike, &sa->t_rekey);
			if (sa->state == IKE2_READY)
				ike2_mid_sync_later(sa);
			continue;
		}
		ike2_requests_drop(sa);
		ike_timer_stop(v2->ike, &sa->t_sync);
		/* exchanges in flight are not continued elsewhere: drop */
		if (IKE2_NEGOTIATING(sa)) {
			sa_free(sa);
			continue;
		}
		ike_timer_hold(v2->ike, &sa->t_life);
		ike_timer_hold(v2->ike, &sa->t_rekey);
		/* the active goes on without telling each liveness check */
		sa->msgid_resync = 1;
	}
}

struct ike2_sa *
ike2_sa_find(struct ike2 *v2, const uint8_t *spii, const uint8_t *spir)
{
	for (struct ike2_sa *sa = v2->bucket[bucket_of(spii)]; sa != NULL;
	    sa = sa->hnext)
		if (memcmp(sa->spii, spii, IKE2_SPI_LEN) == 0 &&
		    memcmp(sa->spir, spir, IKE2_SPI_LEN) == 0)
			return sa;
	return NULL;
}

struct ike2_sa *
ike2_sa_find_initiating(struct ike2 *v2, const uint8_t *spii,
    const struct sockaddr_in *remote)
{
	for (struct ike2_sa *sa = v2->bucket[bucket_of(spii)]; sa != NULL;
	    sa = sa->hnext)
		if (memcmp(sa->spii, spii, IKE2_SPI_LEN) == 0 &&
		    sa->state == IKE2_I_INIT &&
		    sa->remote.sin_addr.s_addr == remote->sin_addr.s_addr)
			return sa;
	return NULL;
}

struct ike2_sa *
ike2_sa_find_init(struct ike2 *v2, const uint8_t *spii,
    const struct sockaddr_in *remote)
{
	for (struct ike2_sa *sa = v2->bucket[bucket_of(spii)]; sa != NULL;
	    sa = sa->hnext)
		if (memcmp(sa->spii, spii, IKE2_SPI_LEN) == 0 &&
		    sa->state == IKE2_R_INIT &&
		    sa->remote.sin_addr.s_addr == remote->sin_addr.s_addr &&
		    sa->remote.sin_port == remote->sin_port)
			return sa;
	return NULL;
}

void
ike2_sa_delete(struct ike2_sa *sa, const char *why)
{
	struct ike	*ike = sa->ike;
	struct ike_child *c, *next;
	char		 a[INET_ADDRSTRLEN];

	for (c = ike->children; c != NULL; c = next) {
		next = c->next;
		if (c->v2_conn == sa->conn_id)
			ike_child_delete(c, 0, why);
	}
	if (!IKE2_NEGOTIATING(sa)) {
		log_info(LOG_IKE, "IKEv2: SA %u with %s deleted: %s",
		    sa->conn_id, ike_addr(&sa->remote, a), why);
		ike2_emit(sa, IKE2_EV_DELETED, 0);
	}
	sa_free(sa);
}

int
ike2_send_to(struct ike *ike, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *p, size_t len)
{
	uint8_t		*out = ike->sendbuf;
	size_t		 off = 0;

	if (len > IKE2_MAX_MSG)
		return -1;
	if (ntohs(local->sin_port) == IKE_NATT_PORT) {
		memset(out, 0, 4);	/* RFC 3948 2.2: the non-ESP marker */
		off = 4;
	}
	memcpy(out + off, p, len);
	ike->st.tx++;
	ike2_trace_msg(ike->v2, 1, p, len, local, remote);
	return ike->io.send(ike->io.arg, local, remote, out, off + len);
}

int
ike2_send(struct ike2_sa *sa, const uint8_t *p, size_t len)
{
	return ike2_send_to(sa->ike, &sa->local, &sa->remote, p, len);
}

int
ike2_send_out(struct ike2_sa *sa, const struct ike2_out *out)
{
	const uint8_t	*p;
	size_t		 len;
	int		 rc = 0;

	for (int i = 0; (p = ike2_out_packet(out, i, &len)) != NULL; i++)
		if (ike2_send(sa, p, len) == -1)
			rc = -1;
	if (out->n > 1)
		sa->ike->v2->st.frags_tx += (uint64_t)out->n;
	return rc;
}

void
ike2_out_free(struct ike2_out *out)
{
	free(out->p);
	memset(out, 0, sizeof(*out));
}

void
ike2_out_set(struct ike2_out *out, const uint8_t *p, size_t len)
{
	ike2_out_free(out);
	out->p = xmalloc(2 + len);
	be16_put(out->p, (uint16_t)len);
	memcpy(out->p + 2, p, len);
	out->len = 2 + len;
	out->n = 1;
}

const uint8_t *
ike2_out_packet(const struct ike2_out *out, int i, size_t *len)
{
	size_t	 off = 0;

	for (; off + 2 <= out->len; i--) {
		size_t	 n = be16_get(out->p + off);

		if (i == 0) {
			*len = n;
			return out->p + off + 2;
		}
		off += 2 + n;
	}
	return NULL;
}

void
ike2_keep_response(struct ike2_sa *sa, uint32_t msgid, struct ike2_out *out)
{
	ike2_out_free(&sa->resp);
	sa->resp = *out;
	memset(out, 0, sizeof(*out));
	sa->resp_msgid = msgid;
	sa->resp_valid = 1;
}

/* The original roles (2.2) pick the keys: SK_ei/SK_ai seal the
 * original initiator's messages. */
void
ike2_sk_ours(const struct ike2_sa *sa, struct ike2_sk *sk)
{
	sk->suite = &sa->suite;
	sk->ekey = sa->initiator ? sa->keys.ei : sa->keys.er;
	sk->akey = sa->initiator ? sa->keys.ai : sa->keys.ar;
}

void
ike2_sk_peers(const struct ike2_sa *sa, struct ike2_sk *sk)
{
	sk->suite = &sa->suite;
	sk->ekey = sa->initiator ? sa->keys.er : sa->keys.ei;
	sk->akey = sa->initiator ? sa->keys.ar : sa->keys.ai;
}

int
ike2_seal(struct ike2_sa *sa, uint8_t exchange, uint8_t flags, uint32_t msgid,
    void (*fn)(struct ike2_wr *, void *), void *arg, struct ike2_out *out)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_sk	 sk;
	size_t		 iv, plain, aad;
	int		 rc = -1;

	memset(&h, 0, sizeof(h));
	memcpy(h.spii, sa->spii, IKE2_SPI_LEN);
	memcpy(h.spir, sa->spir, IKE2_SPI_LEN);
	h.exchange = exchange;
	/* 3.1: I on every message of the original initiator */
	h.flags = (uint8_t)(flags | (sa->initiator ? IKE2_FLAG_I : 0));
	h.msgid = msgid;
	ike2_sk_ours(sa, &sk);
	iv = ike2_sk_iv_len(&sk);
	ike2_wr_init(&wr, &h);
	ike2_wr_sk_begin(&wr, iv);
	if (fn != NULL)
		fn(&wr, arg);
	plain = ike2_wr_enc_plainlen(&wr);
	ike2_wr_enc_finish(&wr, ike2_sk_body_len(&sk, plain) - iv - plain,
	    &aad);
	if (!wbuf_error(&wr.w))
		ike2_trace_inner(sa, 1, msgid, wr.w.p + aad + iv, plain,
		    wr.w.p[aad - 4]);
	/* RFC 7383 2.5: the inner payloads in shares, each sealed; whole
	 * if that takes more than IKE2_FRAG_MAX */
	if (!wbuf_error(&wr.w) && ike2_frag_needed(sa, wr.w.len) &&
	    ike2_frag_seal(sa, &h, wr.w.p + aad + iv, plain, wr.w.p[aad - 4],
	    out) == 0)
		rc = 0;
	else if (!wbuf_error(&wr.w) && ike2_sk_seal(&sk, wr.w.p, aad, plain,
	    NULL) == 0) {
		ike2_out_set(out, wr.w.p, wr.w.len);
		rc = 0;
	}
	ike2_wr_cleanup(&wr);
	return rc;
}

int
ike2_respond(struct ike2_sa *sa, uint8_t exchange, uint32_t msgid,
    void (*fn)(struct ike2_wr *, void *), void *arg)
{
	struct ike2_out	 m;

	memset(&m, 0, sizeof(m));
	if (ike2_seal(sa, exchange, IKE2_FLAG_R, msgid, fn, arg, &m) == -1)
		return -1;
	ike2_keep_response(sa, msgid, &m);
	return ike2_send_out(sa, &sa->resp);
}

/* ---- INFORMATIONAL ------------------------------------------------------- */

struct info_reply {
	uint32_t	 spis[32];	/* ours, of the CHILD SAs deleted */
	int		 n;
};

static void
write_info_reply(struct ike2_wr *wr, void *arg)
{
	struct info_reply *r = arg;
	struct ike2_delete d;
	uint8_t		 spis[4 * 32];

	if (r->n == 0)
		return;
	for (int i = 0; i < r->n; i++)
		be32_put(spis + 4 * i, r->spis[i]);
	d.proto = IKE2_PROTO_ESP;
	d.spisize = 4;
	d.nspis = (uint16_t)r->n;
	d.spis = spis;
	ike2_wr_delete(wr, &d);
}

/*
 * A request under an established SA (2.4, 3.11): a Delete of the IKE SA
 * takes it down, Deletes of CHILD SAs (their SPIs: the peer's inbound,
 * our outbound) are answered with ours; anything else (a liveness check)
 * gets an empty answer.
 */
void
ike2_informational(struct ike2_sa *sa, const struct ike2_hdr *h,
    const struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct info_reply r;
	int		 del_ike = 0;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < pls->n; i++) {
		struct ike2_delete d;
		const char	*err;
		struct buf	 b = pls->pl[i].body;

		if (pls->pl[i].type != IKE2_PL_D ||
		    ike2_delete_parse(b, &d, &err) == -1)
			continue;
		ike->v2->st.deletes_rx++;
		if (d.proto == IKE2_PROTO_IKE) {
			del_ike = 1;
			continue;
		}
		for (int k = 0; d.proto == IKE2_PROTO_ESP && k < d.nspis; k++) {
			struct ike_child *c = ike_child_by_spi_out(ike,
			    sa->remote.sin_addr, be32_get(d.spis + 4 * k));

			if (c == NULL || c->v2_conn != sa->conn_id)
				continue;
			if (r.n < (int)nitems(r.spis))
				r.spis[r.n++] = c->spi_in;
			ike_child_delete(c, 0, "deleted by the peer");
		}
	}
	(void)ike2_respond(sa, IKE2_EX_INFORMATIONAL, h->msgid,
	    write_info_reply, &r);
	if (del_ike) {
		ike2_collided_gone(sa);
		ike2_sa_delete(sa, "deleted by the peer");
	}
	else if (r.n > 0)
		/* the standby's message ID: a replay of it is refused there */
		ike2_emit(sa, IKE2_EV_UPDATED, 0);
}

/*
 * sa, the peer's new SA of a rekey collision (2.8.2) still unsettled, is
 * deleted by the peer before the answer to our rekey came (reordered):
 * the peer found it redundant.  Its CHILD SAs go back to the old SA, and
 * on to ours when the answer comes (rekey.c).
 */
void
ike2_collided_gone(struct ike2_sa *sa)
{
	struct ike2_sa	*o;

	for (o = sa->ike->v2->sas; o != NULL; o = o->next)
		if (o->req_kind == IKE2_REQ_REKEY_IKE &&
		    o->irekey.collided == sa->conn_id)
			break;
	if (o == NULL)
		return;
	o->irekey.collided = 0;
	for (struct ike_child *c = sa->ike->children; c != NULL; c = c->next)
		if (c->v2_conn == sa->conn_id)
			c->v2_conn = o->conn_id;
	/* the standby's copies too */
	ike2_emit(o, IKE2_EV_UPDATED, sa->conn_id);
}

/* ---- input --------------------------------------------------------------- */

int
ike2_open(struct ike2_sa *sa, const struct ike2_hdr *h, const uint8_t *data,
    size_t len, const struct ike2_pls *outer, struct ike2_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	struct ike2_sk	 sk;
	uint8_t		*msg = v2->plain, *plain, np = outer->enc_np;
	size_t		 plainlen;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	int		 rc;

	if (outer->enc != outer->n - 1) {
		v2->st.malformed++;
		return -1;
	}
	if (outer->pl[outer->enc].type == IKE2_PL_SKF) {
		if ((rc = ike2_frag_input(sa, h, data, len, outer, &plain,
		    &plainlen, &np)) != 0)
			return rc;
	} else {
		/* open a copy: a forged message must not spoil the
		 * original */
		memcpy(msg, data, len);
		ike2_sk_peers(sa, &sk);
		if (ike2_sk_open(&sk, msg, outer->enc_off, outer->enc_len,
		    &plain, &plainlen, &err) == -1) {
			v2->st.decrypt_fail++;
			ike_warn_input(ike, &sa->remote, "IKEv2 %s: %s: "
			    "dropped", ike2_exchange_name(h->exchange), err);
			return -1;
		}
	}
	buf_init(&b, plain, plainlen);
	if (ike2_pls_parse(&b, np, 1, pls, &notify, &err) == -1) {
		v2->st.malformed++;
		ike_warn_input(ike, &sa->remote, "IKEv2 %s: %s: dropped",
		    ike2_exchange_name(h->exchange), err);
		return -1;
	}
	ike2_trace_inner(sa, 0, h->msgid, plain, plainlen, np);
	sa->last_rx_ms = ike_now(ike);
	return 0;
}

void
ike2_sa_moved(struct ike2_sa *sa, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	if (!IKE2_NEGOTIATING(sa) && sa->remote.sin_port != remote->sin_port)
		log_info(LOG_IKE, "IKEv2: SA %u: peer %s moved from port %u to "
		    "%u", sa->conn_id, ike_addr(remote, a),
		    ntohs(sa->remote.sin_port), ntohs(remote->sin_port));
	sa->local = *local;
	sa->remote = *remote;
	if (IKE2_NEGOTIATING(sa))
		return;
	/* the UDP-encapsulated pairs follow the new mapping */
	for (struct ike_child *c = ike->children; c != NULL; c = c->next) {
		if (c->v2_conn != sa->conn_id || c->rport == 0)
			continue;
		c->lport = ntohs(local->sin_port);
		c->rport = ntohs(remote->sin_port);
		ike_child_update(c);
		ike_emit_ipsec(ike, c, 0, 0);
	}
	ike2_emit(sa, IKE2_EV_UPDATED, 0);
}

/* A request under an SA: the message ID window of one (2.3). */
static void
input_request(struct ike2_sa *sa, const struct ike2_hdr *h,
    const uint8_t *data, size_t len, const struct ike2_pls *outer,
    const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	struct ike2	*v2 = sa->ike->v2;
	struct ike2_pls	 pls;

	if (sa->resp_valid && h->msgid == sa->resp_msgid) {
		/* a retransmission: the same answer (2.1); of a fragmented
		 * request, on its first fragment only (RFC 7383 2.6.1) */
		if (outer->frag_num > 1)
			return;
		v2->st.retransmits_answered++;
		(void)ike2_send_out(sa, &sa->resp);
		return;
	}
	/*
	 * After a takeover the peer's next request may be further on than
	 * the ID last replicated (liveness checks are not): any higher ID is
	 * taken once, when authentic (below); a lower one never.
	 */
	if (h->msgid != sa->next_in && !(sa->msgid_resync &&
	    h->msgid > sa->next_in)) {
		v2->st.bad_msgid++;
		return;
	}
	if (ike2_open(sa, h, data, len, outer, &pls) != 0)
		return;
	if (sa->msgid_resync) {
		/* authentic: the peer's window continues from here */
		if (h->msgid != sa->next_in)
			log_info(LOG_IKE, "IKEv2: SA %u: the peer's message IDs "
			    "continue at %u (%u replicated)", sa->conn_id,
			    h->msgid, sa->next_in);
		sa->next_in = h->msgid;
		sa->msgid_resync = 0;
	}
	sa->next_in++;
	/* an authentic request from new ports: NAT-T moved to 4500 (2.23),
	 * or the peer's NAT mapping changed */
	if (sa->remote.sin_port != remote->sin_port ||
	    sa->local.sin_port != local->sin_port)
		ike2_sa_moved(sa, local, remote);
	switch (h->exchange) {
	case IKE2_EX_IKE_AUTH:
		if (sa->state == IKE2_R_INIT)
			ike2_auth(sa, h, &pls);
		else
			v2->st.malformed++;
		break;
	case IKE2_EX_INFORMATIONAL:
		if (!IKE2_NEGOTIATING(sa))
			ike2_informational(sa, h, &pls);
		break;
	case IKE2_EX_CREATE_CHILD_SA:
		if (!IKE2_NEGOTIATING(sa))
			ike2_create_child_sa(sa, h, &pls);
		break;
	default:
		v2->st.malformed++;
		break;
	}
}

void
ike2_input(struct ike2 *v2, const uint8_t *data, size_t len,
    const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	struct ike	*ike = v2->ike;
	struct ike2_hdr	 h;
	struct ike2_pls	 pls;
	struct ike2_sa	*sa;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	v2->st.rx++;
	ike2_trace_msg(v2, 0, data, len, local, remote);
	buf_init(&b, data, len);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1) {
		v2->st.malformed++;
		ike_warn_input(ike, remote, "IKEv2 message malformed: %s", err);
		return;
	}
	if (h.flags & IKE2_FLAG_R) {
		if (h.exchange == IKE2_EX_IKE_SA_INIT) {
			/* the answer to ours (initiate.c): SPIr is new */
			if (h.msgid != 0 || (h.flags & IKE2_FLAG_I) ||
			    (sa = ike2_sa_find_initiating(v2, h.spii,
			    remote)) == NULL) {
				v2->st.no_sa++;
				return;
			}
			ike2_init_answer(sa, &h, data, len, &pls);
			return;
		}
		/* an answer to a request of ours (request.c); I when the
		 * peer is the SA's original initiator */
		if ((sa = ike2_sa_find(v2, h.spii, h.spir)) == NULL ||
		    sa->remote.sin_addr.s_addr != remote->sin_addr.s_addr ||
		    ((h.flags & IKE2_FLAG_I) != 0) == sa->initiator) {
			v2->st.no_sa++;
			return;
		}
		ike2_response(sa, &h, data, len, &pls);
		return;
	}
	if (h.exchange == IKE2_EX_IKE_SA_INIT) {
		if (!(h.flags & IKE2_FLAG_I) ||
		    memcmp(h.spir, zero_spi, IKE2_SPI_LEN) != 0 ||
		    h.msgid != 0) {
			v2->st.malformed++;
			return;
		}
		if ((sa = ike2_sa_find_init(v2, h.spii, remote)) != NULL) {
			if (sa->resp_valid) {
				v2->st.retransmits_answered++;
				(void)ike2_send_out(sa, &sa->resp);
			}
			return;
		}
		ike2_sa_init(v2, &h, data, len, &pls, local, remote);
		return;
	}
	if ((sa = ike2_sa_find(v2, h.spii, h.spir)) == NULL ||
	    sa->remote.sin_addr.s_addr != remote->sin_addr.s_addr ||
	    sa->local.sin_addr.s_addr != local->sin_addr.s_addr) {
		v2->st.no_sa++;
		ike_warn_input(ike, remote, "IKEv2 %s for no SA of this peer: "
		    "dropped", ike2_exchange_name(h.exchange));
		return;
	}
	if (((h.flags & IKE2_FLAG_I) != 0) == sa->initiator) {
		/* 3.1: I only from the original initiator */
		v2->st.malformed++;
		return;
	}
	input_request(sa, &h, data, len, &pls, local, remote);
}
