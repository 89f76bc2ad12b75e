/*
 * Informational exchanges (RFC 2409 5.7): notifications and deletes under
 * the ISAKMP SA, HASH(1) = prf(SKEYID_a, M-ID | N/D), each message with a
 * fresh message ID and its own IV; unprotected notifications about an SA
 * still in negotiation; and Dead Peer Detection (RFC 3706).
 *
 * DPD (crypto isakmp keepalive S [R] [periodic|on-demand]), when both
 * sides sent the DPD vendor ID:
 *   periodic	R-U-THERE when nothing authenticated arrived for S seconds
 *   on-demand	R-U-THERE when an outbound SA carried traffic but nothing
 *		came back for S seconds (the data plane's counters)
 * An unanswered R-U-THERE is repeated every R seconds with the next
 * sequence number; after IKE_DPD_MAX_TRIES the peer is dead and every SA
 * with it is deleted.  A received R-U-THERE is answered with an ACK of
 * the same sequence number.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

/* HDR*, the HASH(1) placeholder; -1 without keys or while not active. */
static int
info_begin(struct ike_sa *sa, struct ike_wr *wr, uint32_t *msgid,
    size_t *hoff)
{
	if (sa->keys.enclen == 0 || !sa->ike->active)
		return -1;
	*msgid = ike_sa_new_msgid(sa);
	ike_wr_init(wr, sa->icookie, sa->rcookie, IKE_EX_INFO, IKE_FLAG_ENC,
	    *msgid);
	*hoff = ike_msg_hash_begin(wr, sa);
	return 0;
}

/* HDR*, HASH(1), N or D */
static int
info_send(struct ike_sa *sa, struct ike_wr *wr, size_t hoff, uint32_t msgid)
{
	uint8_t	 iv[IKE_MAX_BLOCK];

	if (ike_msg_hash_fill(wr, sa, hoff, msgid, NULL, 0, 0) == -1 ||
	    ike_iv_phase2(sa->alg.hash, sa->alg.enc, sa->iv, msgid, iv) == -1) {
		ike_wr_cleanup(wr);
		return -1;
	}
	ike_sa_msgid_add(sa, msgid);
	return ike_msg_send(sa, wr, 1, iv, NULL, 0);
}

int
ike_info_send_notify(struct ike_sa *sa, uint8_t proto, uint16_t type,
    const void *spi, uint8_t spisize, const void *data, size_t len)
{
	struct ike_wr	 wr;
	uint32_t	 msgid;
	size_t		 hoff;

	if (info_begin(sa, &wr, &msgid, &hoff) == -1)
		return -1;
	ike_wr_notify(&wr, proto, type, spi, spisize, data, len);
	IKE_TRACE(sa, " sending NOTIFY %s protocol %u", ike_notify_name(type),
	    proto);
	sa->ike->st.notify_sent++;
	return info_send(sa, &wr, hoff, msgid);
}

int
ike_info_send_delete(struct ike_sa *sa, uint8_t proto, uint8_t spisize,
    const void *spis, uint16_t n)
{
	struct ike_wr	 wr;
	uint32_t	 msgid;
	size_t		 hoff;

	if (info_begin(sa, &wr, &msgid, &hoff) == -1)
		return -1;
	ike_wr_delete(&wr, proto, spisize, spis, n);
	IKE_TRACE(sa, " sending DELETE protocol %s, %u SPI(s)",
	    ike_proto_name(proto), n);
	sa->ike->st.deletes_sent++;
	return info_send(sa, &wr, hoff, msgid);
}

void
ike_isakmp_delete(struct ike_sa *sa, int notify, const char *why)
{
	char	 a[INET_ADDRSTRLEN];

	if (notify && sa->established) {
		uint8_t	 spi[IKE_SA_SPI_LEN];

		ike_sa_spi(sa, spi);
		(void)ike_info_send_delete(sa, IKE_PROTO_ISAKMP,
		    IKE_SA_SPI_LEN, spi, 1);
	}
	if (sa->established)
		log_info(LOG_IKE, "ISAKMP:(%u): deleting SA with %s (%s)",
		    sa->conn_id, ike_addr(&sa->remote, a), why);
	ike_sa_destroy(sa, why);
}

/* ---- DPD ----------------------------------------------------------------- */

static void dpd_timeout(struct ike *, struct ike_timer *);

static void
dpd_send(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	uint8_t		 spi[IKE_SA_SPI_LEN], seq[4];
	uint32_t	 s = sa->dpd_seq_out++;

	ike_sa_spi(sa, spi);
	be32_put(seq, s);
	sa->dpd_wait = s;
	sa->dpd_tries++;
	ike->st.dpd_sent++;
	IKE_TRACE(sa, "DPD/R_U_THERE sent to %s seq %u", "peer", s);
	(void)ike_info_send_notify(sa, IKE_PROTO_ISAKMP, IKE_N_R_U_THERE, spi,
	    IKE_SA_SPI_LEN, seq, 4);
	ike_emit_isakmp(ike, sa, 0);
}

static void
dpd_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_sa	*sa = t->arg;
	const struct config *cf = ike->cf;
	uint64_t	 now = ike_now(ike), interval, retry;
	char		 a[INET_ADDRSTRLEN];

	if (cf->dpd_interval <= 0 || !sa->peer_dpd)
		return;
	interval = (uint64_t)cf->dpd_interval * 1000;
	retry = (uint64_t)(cf->dpd_retry > 0 ? cf->dpd_retry : 2) * 1000;
	if (sa->dpd_wait != 0) {
		if (sa->dpd_tries >= IKE_DPD_MAX_TRIES) {
			ike->st.dpd_dead++;
			log_warnx(LOG_IKE, "ISAKMP:(%u): peer %s does not "
			    "answer DPD (%d R-U-THEREs): declared dead, "
			    "deleting its SAs", sa->conn_id, ike_addr(&sa->remote, a),
			    sa->dpd_tries);
			ike_children_of_peer_delete(ike, sa->local.sin_addr,
			    sa->remote.sin_addr, 0, "peer dead (DPD)");
			ike_isakmp_delete(sa, 0, "peer dead (DPD)");
			return;
		}
		dpd_send(sa);
		ike_timer_set(ike, t, now + retry);
		return;
	}
	if (now - sa->last_rx_ms >= interval &&
	    (cf->dpd_mode == CONF_DPD_PERIODIC ||
	    ike_children_want_dpd(ike, sa->remote.sin_addr, 0, sa->last_rx_ms,
	    interval))) {
		sa->dpd_tries = 0;
		dpd_send(sa);
		ike_timer_set(ike, t, now + retry);
		return;
	}
	/* the next look: when the peer will have been quiet long enough */
	ike_timer_set(ike, t, now - sa->last_rx_ms < interval ?
	    sa->last_rx_ms + interval : now + interval);
}

void
ike_dpd_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	sa->t_dpd.fn = dpd_timeout;
	if (sa->dpd_seq_out == 0) {
		/* RFC 3706 5.2: a random start, kept away from wrapping */
		ike_random(&sa->dpd_seq_out, sizeof(sa->dpd_seq_out));
		sa->dpd_seq_out = (sa->dpd_seq_out & 0x7fffffff) | 1;
	}
	if (ike->cf->dpd_interval <= 0 || !sa->peer_dpd)
		return;
	IKE_TRACE(sa, "IKE_DPD is enabled, initializing timers");
	ike_timer_set(ike, &sa->t_dpd, ike_now(ike) +
	    (uint64_t)ike->cf->dpd_interval * 1000);
}

static void
dpd_input(struct ike_sa *sa, const struct ike_notify *n)
{
	struct ike	*ike = sa->ike;
	uint8_t		 spi[IKE_SA_SPI_LEN];
	uint32_t	 seq;

	ike_sa_spi(sa, spi);
	if (n->datalen != 4 || n->spisize != IKE_SA_SPI_LEN ||
	    memcmp(n->spi, spi, IKE_SA_SPI_LEN) != 0) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "malformed DPD notification");
		return;
	}
	seq = be32_get(n->data);
	if (n->type == IKE_N_R_U_THERE) {
		uint8_t	 s[4];

		IKE_TRACE(sa, " received DPD/R_U_THERE seq %u", seq);
		sa->dpd_seq_in = seq;
		memcpy(s, n->data, 4);
		(void)ike_info_send_notify(sa, IKE_PROTO_ISAKMP,
		    IKE_N_R_U_THERE_ACK, spi, IKE_SA_SPI_LEN, s, 4);
		return;
	}
	/* an ACK for the outstanding R-U-THERE (info_fresh checked it) */
	IKE_TRACE(sa, " received DPD/R_U_THERE_ACK seq %u", seq);
	ike->st.dpd_acked++;
	sa->dpd_wait = 0;
	sa->dpd_tries = 0;
	if (ike->cf->dpd_interval > 0)
		ike_timer_set(ike, &sa->t_dpd, ike_now(ike) +
		    (uint64_t)ike->cf->dpd_interval * 1000);
}

/* ---- receiving ----------------------------------------------------------- */

static void
notify_input(struct ike_sa *sa, const struct ike_notify *n)
{
	struct ike	*ike = sa->ike;
	struct ike_child *c;
	char		 a[INET_ADDRSTRLEN];

	ike->st.notify_rx++;
	IKE_TRACE(sa, " processing NOTIFY %s protocol %u",
	    ike_notify_name(n->type), n->proto);
	switch (n->type) {
	case IKE_N_R_U_THERE:
	case IKE_N_R_U_THERE_ACK:
		dpd_input(sa, n);
		return;
	case IKE_N_INITIAL_CONTACT:
		ike_p1_initial_contact(sa);
		return;
	case IKE_N_CONNECTED:
		if (n->proto == IKE_PROTO_ESP && n->spisize == 4)
			ike_qm_connected(sa, be32_get(n->spi));
		return;
	case IKE_N_INVALID_SPI:
		/* the peer has no SA for an SPI we send with */
		if (n->proto != IKE_PROTO_ESP || n->spisize != 4)
			return;
		c = ike_child_by_spi_out(ike, sa->remote.sin_addr,
		    be32_get(n->spi));
		log_warnx(LOG_IKE, "ISAKMP:(%u): %s reports INVALID_SPI "
		    "0x%08x%s", sa->conn_id, ike_addr(&sa->remote, a),
		    be32_get(n->spi), c != NULL ? ": deleting the pair" : "");
		if (c != NULL)
			ike_child_delete(c, 0, "peer reported INVALID_SPI");
		return;
	case IKE_N_RESPONDER_LIFETIME:
	case IKE_N_REPLAY_STATUS:
		return;
	default:
		break;
	}
	if (n->type < 16384) {
		log_warnx(LOG_IKE, "ISAKMP:(%u): %s sent error notification %s",
		    sa->conn_id, ike_addr(&sa->remote, a),
		    ike_notify_name(n->type));
		if (n->proto == IKE_PROTO_ESP && n->spisize == 4)
			ike_qm_abort_spi(sa, be32_get(n->spi), n->type);
	}
}

static void
delete_input(struct ike_sa *sa, const struct ike_delete *d, int *gone)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	ike->st.deletes_rx++;
	IKE_TRACE(sa, " processing DELETE protocol %s, %u SPI(s)",
	    ike_proto_name(d->proto), d->nspis);
	for (int i = 0; i < d->nspis; i++) {
		const uint8_t	*spi = d->spis + (size_t)i * d->spisize;

		if (d->proto == IKE_PROTO_ISAKMP && d->spisize == 16) {
			struct ike_sa *o = ike_sa_find(ike, spi, spi + 8);

			if (o == NULL || o->remote.sin_addr.s_addr !=
			    sa->remote.sin_addr.s_addr)
				continue;
			log_info(LOG_IKE, "ISAKMP:(%u): %s deleted the ISAKMP "
			    "SA", o->conn_id, ike_addr(&o->remote, a));
			if (o == sa)
				*gone = 1;
			else
				ike_isakmp_delete(o, 0, "deleted by the peer");
		} else if (d->proto == IKE_PROTO_ESP && d->spisize == 4) {
			/* the peer names its inbound SPI: our outbound */
			struct ike_child *c = ike_child_by_spi_out(ike,
			    sa->remote.sin_addr, be32_get(spi));

			if (c == NULL) {
				c = ike_child_by_spi_in(ike, be32_get(spi));
				if (c != NULL && c->remote.s_addr !=
				    sa->remote.sin_addr.s_addr)
					c = NULL;
			}
			if (c != NULL)
				ike_child_delete(c, 0, "deleted by the peer");
		}
	}
}

/*
 * Is this authenticated Informational new?  Its message ID is not in the
 * ring of recent ones (checked before), but the ring forgets: a DPD
 * notification must also be new by its sequence number (RFC 3706 7), an
 * R-U-THERE above the last one taken, an R-U-THERE-ACK for the one
 * outstanding.  A replay must have no effect at all: not an answer, not
 * "peer heard", not a NAT-T port move.  1 new; 0 an R-U-THERE replayed;
 * -1 an R-U-THERE-ACK of none outstanding (late, or replayed: silent).
 */
static int
info_fresh(const struct ike_sa *sa, const struct ike_pls *pls)
{
	struct ike_notify nt;
	const char	*err;
	uint32_t	 seq;

	for (int i = 1; i < pls->n; i++) {
		if (pls->pl[i].type != IKE_PL_N ||
		    ike_notify_parse(pls->pl[i].body, &nt, &err) == -1 ||
		    nt.datalen != 4)
			continue;
		seq = be32_get(nt.data);
		if (nt.type == IKE_N_R_U_THERE && sa->dpd_seq_in != 0 &&
		    (int32_t)(seq - sa->dpd_seq_in) <= 0)
			return 0;
		if (nt.type == IKE_N_R_U_THERE_ACK && (sa->dpd_wait == 0 ||
		    seq > sa->dpd_wait ||
		    sa->dpd_wait - seq >= (uint32_t)IKE_DPD_MAX_TRIES)) {
			IKE_TRACE(sa, " DPD/R_U_THERE_ACK seq %u not expected",
			    seq);
			return -1;
		}
	}
	return 1;
}

void
ike_info_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct buf	 b;
	uint8_t		 iv[IKE_MAX_BLOCK], iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	ssize_t		 n;
	int		 gone = 0, fresh, news = 0;

	if (h->msgid == 0 || ike_sa_msgid_seen(sa, h->msgid)) {
		ike->st.replays++;
		ike_warn_input(ike, &sa->remote, "Informational with message "
		    "ID %u seen before or zero: dropped", h->msgid);
		return;
	}
	if (ike_iv_phase2(sa->alg.hash, sa->alg.enc, sa->iv, h->msgid, iv) ==
	    -1 || (n = ike_msg_decrypt(sa, msg, len, iv, iv_next)) == -1) {
		ike->st.decrypt_fail++;
		return;
	}
	buf_init(&b, ike->scratch + IKE_HDR_LEN, (size_t)n - IKE_HDR_LEN);
	if (ike_pls_parse(&b, h->np, 255, &pls, &notify, &err) == -1) {
		if (!sa->established) {
			/* unauthenticated: a hint, never a reason to give up */
			ike->st.decrypt_fail++;
			ike_warn_input(ike, &sa->remote, "an encrypted "
			    "notification during %s does not decrypt: the "
			    "pre-shared keys probably differ",
			    ike_fsm_show(sa->state));
			return;
		}
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Informational %u: %s",
		    h->msgid, err);
		return;
	}
	if (ike_msg_hash_check(sa, &pls, NULL, 0, h->msgid) == -1) {
		ike->st.hash_fail++;
		ike_warn_input(ike, &sa->remote, "Informational %u: HASH(1) "
		    "verification failed: dropped", h->msgid);
		return;
	}
	if ((fresh = info_fresh(sa, &pls)) == -1)
		return;
	if (fresh == 0) {
		ike->st.replays++;
		ike_warn_input(ike, &sa->remote, "Informational %u: a DPD "
		    "sequence number seen before (a replay): dropped",
		    h->msgid);
		return;
	}
	ike_sa_msgid_add(sa, h->msgid);
	ike_sa_peer_heard(sa);
	for (int i = 1; i < pls.n && !gone; i++) {
		const struct ike_pl *pl = &pls.pl[i];

		if (pl->type == IKE_PL_N) {
			struct ike_notify nt;

			if (ike_notify_parse(pl->body, &nt, &err) == 0) {
				notify_input(sa, &nt);
				news |= nt.type != IKE_N_R_U_THERE_ACK;
			}
		} else if (pl->type == IKE_PL_D) {
			struct ike_delete d;

			news = 1;
			if (ike_delete_parse(pl->body, &d, &err) == 0)
				delete_input(sa, &d, &gone);
		}
	}
	if (gone)
		ike_isakmp_delete(sa, 0, "deleted by the peer");
	else if (news)
		/*
		 * its message ID (and an R-U-THERE's sequence number) is the
		 * ISAKMP SA's news: a standby that takes over drops a replay
		 * of it.  An R-U-THERE-ACK alone is not: a replayed one finds
		 * no R-U-THERE outstanding (dpd_wait is not synced).
		 */
		ike_emit_isakmp(ike, sa, 0);
}

/*
 * An unprotected Informational.  Before keys exist a peer can only say
 * why it refuses us in the clear: an error about an SA in negotiation
 * ends it.  Unprotected messages about an established SA are ignored.
 */
void
ike_info_plain(struct ike *ike, struct ike_sa *sa, const struct ike_hdr *h,
    const uint8_t *msg, size_t len)
{
	struct ike_pls	 pls;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	char		 a[INET_ADDRSTRLEN];

	buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if ((h->flags & IKE_FLAG_ENC) ||
	    ike_pls_parse(&b, h->np, 0, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		return;
	}
	if (sa->established) {
		ike->st.rx_dropped++;
		ike_warn_input(ike, &sa->remote, "unprotected Informational "
		    "for an established SA: ignored");
		return;
	}
	for (int i = 0; i < pls.n; i++) {
		struct ike_notify n;

		if (pls.pl[i].type != IKE_PL_N ||
		    ike_notify_parse(pls.pl[i].body, &n, &err) == -1)
			continue;
		ike->st.notify_rx++;
		log_warnx(LOG_IKE, "ISAKMP:(%u): %s answered %s (unprotected) "
		    "in %s", sa->conn_id, ike_addr(&sa->remote, a),
		    ike_notify_name(n.type), ike_fsm_show(sa->state));
		if (n.type < 16384) {
			char	 why[96];

			snprintf(why, sizeof(why), "the peer answered %s",
			    ike_notify_name(n.type));
			ike->st.p1_fail++;
			ike_sa_destroy(sa, why);
			return;
		}
	}
}
