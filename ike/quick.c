/*
 * Quick Mode (RFC 2409 5.5), with PFS, the commit bit and NAT-T modes:
 *
 *   Initiator                                 Responder
 *   HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]  -->            QM1
 *                <--  HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr]
 *                     [, N(RESPONDER-LIFETIME)]                  QM2
 *   HDR*, HASH(3)                                -->            QM3
 *
 *   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *
 * Each M-ID has its own IV chain starting at hash(last phase 1 block |
 * M-ID).  As IOS does, the responder installs the inbound SA when it sends
 * QM2 (the initiator may use the pair as soon as it sent QM3) and the
 * outbound SA when QM3 arrives; the responder resends QM2 until then.
 *
 * Commit bit (RFC 2408 3.1): a responder that receives it sets it in QM2
 * and, after QM3, sends CONNECTED in an Informational exchange (protocol
 * ESP, SPI = the initiator's SPI); an initiator that sees it in QM2 uses
 * only the inbound SA until CONNECTED arrives.
 *
 * States (enum ike_qm_state; IOS's names in the trace):
 *   initiator	READY -> I1 (QM1 sent) -> DONE, or I_CONNECTED -> DONE
 *   responder	READY -> R2 (QM2 sent) -> DONE
 * DONE lingers IKE_QM_LINGER_MS to answer retransmissions.  The
 * responder's QM1 is two halves: qm_r1_process() decodes and checks it,
 * chooses, and makes the keys and the inbound SA; qm_r1_build() writes
 * QM2.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

static void qm_retx_timeout(struct ike *, struct ike_timer *);

static const char *const qm_state_names[] = {
#define X(n, name)	name,
	IKE_QM_STATES(X)
#undef X
};

const char *
ike_qm_state_name(enum ike_qm_state s)
{
	return (size_t)s < nitems(qm_state_names) ? qm_state_names[s] : "?";
}

/*
 * debug crypto isakmp: IOS's lines for the exchange's move to st on
 * input (the caller sets the state).
 */
static void
qm_trace_state(const struct ike_qm *q, enum ike_qm_state st,
    const char *input)
{
	IKE_TRACE(q->sa, "Node %u, Input = %s", q->msgid, input);
	IKE_TRACE(q->sa, "Old State = %s  New State = %s",
	    ike_qm_state_name(q->state), ike_qm_state_name(st));
}

struct ike_qm *
ike_qm_find(struct ike_sa *sa, uint32_t msgid)
{
	for (struct ike_qm *q = sa->qms; q != NULL; q = q->next)
		if (q->msgid == msgid)
			return q;
	return NULL;
}

static struct ike_qm *
qm_new(struct ike_sa *sa, uint32_t msgid, int initiator)
{
	struct ike	*ike = sa->ike;
	struct ike_qm	*q = xcalloc(1, sizeof(*q));

	q->sa = sa;
	q->msgid = msgid;
	q->initiator = initiator;
	q->state = QM_READY;
	ike_timer_init(&q->t_retx, qm_retx_timeout, q);
	q->next = sa->qms;
	sa->qms = q;
	q->all_next = ike->qms;
	if (ike->qms != NULL)
		ike->qms->all_prev = q;
	ike->qms = q;
	ike_sa_msgid_add(sa, msgid);
	return q;
}

void
ike_qm_free(struct ike_qm *q)
{
	struct ike	*ike = q->sa->ike;

	if (q->all_prev != NULL)
		q->all_prev->all_next = q->all_next;
	else
		ike->qms = q->all_next;
	if (q->all_next != NULL)
		q->all_next->all_prev = q->all_prev;
	ike_timer_stop(ike, &q->t_retx);
	ike_dh_free(q->dh);
	if (q->gqm != NULL)
		free_secret(q->gqm, q->gqmlen);
	/* a pair that never completed leaves the data plane too */
	if (q->child != NULL)
		ike_child_delete(q->child, 0, "quick mode not completed");
	free(q->out);
	free(q->last_in);
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

void
ike_qm_free_all(struct ike_sa *sa)
{
	while (sa->qms != NULL) {
		struct ike_qm *q = sa->qms;

		sa->qms = q->next;
		ike_qm_free(q);
	}
}

static void
qm_unlink_free(struct ike_qm *q)
{
	struct ike_qm	**pp;

	for (pp = &q->sa->qms; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	ike_qm_free(q);
}

/* A finished exchange lingers to answer retransmissions, then goes. */
static void
qm_done(struct ike_qm *q)
{
	struct ike	*ike = q->sa->ike;

	q->state = QM_DONE;
	q->child = NULL;
	ike_dh_free(q->dh);
	q->dh = NULL;
	if (q->gqm != NULL)
		free_secret(q->gqm, q->gqmlen);
	q->gqm = NULL;
	ike_timer_set(ike, &q->t_retx, ike_now(ike) + IKE_QM_LINGER_MS);
	/* its message ID is the ISAKMP SA's news: a standby drops replays */
	ike_emit_isakmp(ike, q->sa, 0);
}

static void
qm_fail(struct ike_qm *q, const char *why)
{
	struct ike_sa	*sa = q->sa;
	char		 a[INET_ADDRSTRLEN];

	sa->ike->st.p2_fail++;
	log_warnx(LOG_IKE, "ISAKMP:(%u): Quick Mode %u with %s failed: %s",
	    sa->conn_id, q->msgid, ike_addr(&sa->remote, a), why);
	IKE_TRACE(sa, "deleting node %u error TRUE reason \"%s\"", q->msgid,
	    why);
	qm_unlink_free(q);
}

/*
 * A responder's exchange that failed for a reason of ours (the data plane,
 * a buffer), not the peer's: its message ID leaves the ring, so the peer's
 * retransmission of QM1 tries again instead of being dropped as a replay.
 */
static void
qm_fail_ours(struct ike_qm *q, const char *why)
{
	ike_sa_msgid_forget(q->sa, q->msgid);
	qm_fail(q, why);
}

static void
qm_retx_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_qm	*q = t->arg;
	struct ike_sa	*sa = q->sa;

	if (q->state == QM_DONE) {
		qm_unlink_free(q);
		return;
	}
	if (q->state == QM_I_CONNECTED) {
		qm_fail(q, "no CONNECTED notification after the commit bit");
		return;
	}
	if (q->retries >= ike->retx_max || q->out == NULL) {
		qm_fail(q, "Death by retransmission P2");
		return;
	}
	q->retries++;
	ike->st.retransmits++;
	IKE_TRACE(sa, " retransmitting phase 2 QM_IDLE %u ...", q->msgid);
	ike_msg_resend(sa, q->out, q->outlen);
	ike_msg_arm_retx(sa, q);
}

/*
 * An inbound SPI from the data plane that no pair or exchange of ours
 * uses (an imported pair's SPI may be unknown to a fresh data plane).
 */
static int
alloc_spi(struct ike *ike, uint32_t *out)
{
	uint32_t spi;

	for (int tries = 0; tries < 16; tries++) {
		int	 used = 0;

		if (ike->be->ops->alloc_spi(ike->be, &spi) == -1)
			return -1;
		if (spi < 256 || ike_child_by_spi_in(ike, spi) != NULL)
			continue;
		for (struct ike_qm *q = ike->qms; q != NULL && !used;
		    q = q->all_next)
			used = q->spi_in == spi;
		if (!used) {
			*out = spi;
			return 0;
		}
	}
	return -1;
}

static void
qm_write_ids(struct ike_qm *q, struct ike_wr *wr)
{
	struct ike_id	 ci, cr;
	uint8_t		 bi[8], br[8];
	struct in_addr	 la = q->sel.src, lm = q->sel.src_mask;
	struct in_addr	 ra = q->sel.dst, rm = q->sel.dst_mask;

	if (q->initiator) {
		ike_id_from_sel(&ci, bi, la, lm, q->sel.proto, q->sel.sport);
		ike_id_from_sel(&cr, br, ra, rm, q->sel.proto, q->sel.dport);
	} else {
		ike_id_from_sel(&ci, bi, ra, rm, q->sel.proto, q->sel.dport);
		ike_id_from_sel(&cr, br, la, lm, q->sel.proto, q->sel.sport);
	}
	ike_wr_id(wr, IKE_PL_ID, &ci);
	ike_wr_id(wr, IKE_PL_ID, &cr);
	q->idci_len = ike_p1_id_body(&ci, q->idci);
	q->idcr_len = ike_p1_id_body(&cr, q->idcr);
}

static void
trace_proxy(struct ike_sa *sa, const char *what, const struct ike_qm *q)
{
	char	 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN],
		 d[INET_ADDRSTRLEN];

	if (!log_debug_enabled(LOG_IKE))
		return;
	log_debug(LOG_IKE, "IPSEC(%s): proposal, local_proxy= %s/%s/%u/%u, "
	    "remote_proxy= %s/%s/%u/%u, protocol= ESP", what,
	    addr_str(q->sel.src, a), addr_str(q->sel.src_mask, b),
	    q->sel.proto, q->sel.sport, addr_str(q->sel.dst, c),
	    addr_str(q->sel.dst_mask, d), q->sel.proto, q->sel.dport);
	(void)sa;
}

int
ike_qm_initiate(struct ike_sa *sa, uint32_t reqid, uint32_t rekey_of)
{
	struct ike	*ike = sa->ike;
	const struct ike_spd *spd = ike_spd_by_reqid(ike, reqid);
	const struct conf_map_entry *e;
	struct ike_qm	*q;
	struct ike_wr	 wr;
	size_t		 hoff;
	uint8_t		 flags = IKE_FLAG_ENC;

	if (!ike->active || !sa->established)
		return -1;
	if (spd == NULL || (e = ike_map_entry(ike->cf, spd->map,
	    spd->map_seq)) == NULL) {
		log_warnx(LOG_IKE, "ISAKMP:(%u): no crypto map entry for "
		    "request %u any more", sa->conn_id, reqid);
		return -1;
	}
	q = qm_new(sa, ike_sa_new_msgid(sa), 1);
	q->reqid = reqid;
	q->rekey_of = rekey_of;
	q->sel = spd->sel;
	q->have_ids = 1;
	snprintf(q->map, sizeof(q->map), "%s", spd->map);
	q->map_seq = spd->map_seq;
	q->pfs_cfg = e->pfs_group;
	q->noffers = ike_p2_offers(ike, e, ike_natt_encap(sa), q->offer,
	    (int)nitems(q->offer));
	if (q->noffers == 0 ||
	    alloc_spi(ike, &q->spi_in) == -1) {
		qm_fail(q, q->noffers == 0 ? "no transform-set" :
		    "the data plane has no SPI");
		return -1;
	}
	ike_random(q->ni, IKE_NONCE_LEN);
	q->nilen = IKE_NONCE_LEN;
	if (e->pfs_group != 0 && (q->dh = ike_dh_new(e->pfs_group)) == NULL) {
		qm_fail(q, "no Diffie-Hellman key for PFS");
		return -1;
	}
	if (ike_iv_phase2(sa->alg.hash, sa->alg.enc, sa->iv, q->msgid,
	    q->iv) == -1) {
		qm_fail(q, "no IV");
		return -1;
	}
	if (ike->set_commit) {
		flags |= IKE_FLAG_COMMIT;
		q->commit = 1;
	}
	IKE_TRACE(sa, "beginning Quick Mode exchange, M-ID of %u", q->msgid);
	IKE_TRACE(sa, "QM Initiator gets spi");
	trace_proxy(sa, "sa_request", q);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_QUICK, flags,
	    q->msgid);
	hoff = ike_msg_hash_begin(&wr, sa);
	ike_p2_build_sa(&wr, q->offer, q->noffers, q->spi_in, sa->natt);
	ike_wr_bytes(&wr, IKE_PL_NONCE, q->ni, q->nilen);
	if (q->dh != NULL)
		ike_wr_bytes(&wr, IKE_PL_KE, ike_dh_pub(q->dh),
		    ike_dh_publen(e->pfs_group));
	qm_write_ids(q, &wr);
	if (ike_msg_hash_fill(&wr, sa, hoff, q->msgid, NULL, 0, 0) == -1) {
		ike_wr_cleanup(&wr);
		qm_fail(q, "cannot build message 1");
		return -1;
	}
	qm_trace_state(q, QM_I1, "IKE_MESG_INTERNAL, IKE_INIT_QM");
	q->state = QM_I1;
	if (ike_msg_send(sa, &wr, 1, q->iv, q, 1) == -1) {
		qm_fail(q, "cannot send message 1");
		return -1;
	}
	ike_msg_arm_retx(sa, q);
	if (rekey_of != 0) {
		struct ike_child *old = ike_child_by_conn(ike, rekey_of);

		if (old != NULL)
			old->rekeying = 1;
	}
	return 0;
}

/* Decrypt and parse a Quick Mode message under iv; iv_next for the next. */
static int
qm_open(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const uint8_t *iv, uint8_t *iv_next, struct ike_pls *pls)
{
	struct ike	*ike = sa->ike;
	struct buf	 b;
	ssize_t		 n;
	uint16_t	 notify;
	const char	*err;

	if ((n = ike_msg_decrypt(sa, msg, len, iv, iv_next)) == -1) {
		ike->st.decrypt_fail++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %u: not whole "
		    "cipher blocks", h->msgid);
		return -1;
	}
	buf_init(&b, ike->scratch + IKE_HDR_LEN, (size_t)n - IKE_HDR_LEN);
	if (ike_pls_parse(&b, h->np, 255, pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %u: %s",
		    h->msgid, err);
		return -1;
	}
	return 0;
}

/* The IDci / IDcr pair as a selector local -> remote (responder view). */
static int
qm_read_ids(struct ike_sa *sa, uint32_t msgid, const struct ike_pls *pls,
    struct esp_selector *sel, int *have, const struct ike_pl **pci,
    const struct ike_pl **pcr)
{
	struct ike_id	 ci, cr;
	const char	*err;
	uint8_t		 pi, pr;
	uint16_t	 porti, portr;
	const struct ike_pl *a = NULL, *b = NULL;

	for (int i = 0; i < pls->n; i++) {
		if (pls->pl[i].type != IKE_PL_ID)
			continue;
		if (a == NULL)
			a = &pls->pl[i];
		else if (b == NULL)
			b = &pls->pl[i];
		else
			return -1;
	}
	*pci = a;
	*pcr = b;
	memset(sel, 0, sizeof(*sel));
	if (a == NULL) {
		/* RFC 2409 5.5: no IDs: the ISAKMP SA's addresses */
		*have = 0;
		sel->src = sa->local.sin_addr;
		sel->dst = sa->remote.sin_addr;
		sel->src_mask.s_addr = sel->dst_mask.s_addr = INADDR_BROADCAST;
		return 0;
	}
	if (b == NULL)
		return -1;
	*have = 1;
	IKE_TRACE(sa, " processing ID payload. message ID = %u", msgid);
	if (ike_id_parse(a->body, &ci, &err) == -1 ||
	    ike_id_parse(b->body, &cr, &err) == -1 ||
	    ike_id_to_sel(&ci, &sel->dst, &sel->dst_mask, &pi, &porti) == -1 ||
	    ike_id_to_sel(&cr, &sel->src, &sel->src_mask, &pr, &portr) == -1)
		return -1;
	if (pi != pr)
		return -1;
	sel->proto = pi;
	sel->dport = porti;
	sel->sport = portr;
	return 0;
}

static void
qm_notify(struct ike_sa *sa, uint16_t type, uint32_t spi)
{
	uint8_t	 s[4];

	be32_put(s, spi);
	(void)ike_info_send_notify(sa, IKE_PROTO_ESP, type, s, 4, NULL, 0);
}

static uint32_t
first_spi(const struct ike_sa_pl *spl)
{
	if (spl->nprops == 0 || spl->prop[0].spisize != 4)
		return 0;
	return be32_get(spl->prop[0].spi);
}

static int
qm_pfs(struct ike_qm *q, const struct ike_pls *pls, int group)
{
	const struct ike_pl *ke = ike_pls_find(pls, IKE_PL_KE);
	const char	*err;

	if (group == 0)
		return ke == NULL ? 0 : -1;
	if (ke == NULL || ike_pls_count(pls, IKE_PL_KE) != 1 ||
	    buf_left(&ke->body) != ike_dh_publen(group))
		return -1;
	if (q->dh == NULL && (q->dh = ike_dh_new(group)) == NULL)
		return -1;
	q->gqmlen = ike_dh_secretlen(group);
	q->gqm = xmalloc(q->gqmlen);
	if (ike_dh_derive(q->dh, buf_cur(&ke->body), buf_left(&ke->body),
	    q->gqm, &err) == -1) {
		IKE_TRACE(q->sa, " PFS Diffie-Hellman: %s", err);
		return -1;
	}
	return 0;
}

static int
qm_read_nonce(const struct ike_pls *pls, uint8_t *n, size_t *len)
{
	const struct ike_pl *p = ike_pls_find(pls, IKE_PL_NONCE);

	if (p == NULL || ike_pls_count(pls, IKE_PL_NONCE) != 1 ||
	    buf_left(&p->body) < IKE_NONCE_MIN ||
	    buf_left(&p->body) > IKE_NONCE_MAX)
		return -1;
	*len = buf_left(&p->body);
	memcpy(n, buf_cur(&p->body), *len);
	return 0;
}

/*
 * Responder, QM1: the proxies inside one of our crypto map ACL entries,
 * then the first offered proposal one of that entry's transform-sets
 * accepts; 0, or -1 once the exchange failed (answered with its
 * notification).
 */
static int
qm_r1_choose(struct ike_qm *q, const struct ike_pls *pls,
    const struct ike_sa_pl *spl)
{
	struct ike_sa	*sa = q->sa;
	struct ike	*ike = sa->ike;
	struct esp_selector sel;
	const struct ike_spd *spd;
	const struct conf_map_entry *e;
	const struct ike_pl *pci, *pcr;
	uint16_t	 notify;
	char		 l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	if (qm_read_ids(sa, q->msgid, pls, &sel, &q->have_ids, &pci,
	    &pcr) == -1) {
		ike->st.bad_id++;
		qm_notify(sa, IKE_N_INVALID_ID_INFORMATION, first_spi(spl));
		qm_fail(q, "malformed proxy identities");
		return -1;
	}
	q->sel = sel;
	if (q->have_ids) {
		q->idci_len = buf_left(&pci->body) <= sizeof(q->idci) ?
		    buf_left(&pci->body) : sizeof(q->idci);
		memcpy(q->idci, buf_cur(&pci->body), q->idci_len);
		q->idcr_len = buf_left(&pcr->body) <= sizeof(q->idcr) ?
		    buf_left(&pcr->body) : sizeof(q->idcr);
		memcpy(q->idcr, buf_cur(&pcr->body), q->idcr_len);
	}
	trace_proxy(sa, "validate_proposal_request", q);
	spd = ike_spd_match(ike, sa->local.sin_addr, sa->remote.sin_addr,
	    &sel);
	if (spd == NULL || (e = ike_map_entry(ike->cf, spd->map,
	    spd->map_seq)) == NULL) {
		ike->st.bad_id++;
		IKE_TRACE(NULL, "IPSEC(validate_transform_proposal): proxy "
		    "identities not supported");
		log_warnx(LOG_IKE, "ISAKMP:(%u): phase 2 SA policy not "
		    "acceptable! (local %s remote %s): proxy identities not "
		    "supported (no crypto map access-list entry covers them)",
		    sa->conn_id, ike_addr(&sa->local, l),
		    ike_addr(&sa->remote, r));
		qm_notify(sa, IKE_N_INVALID_ID_INFORMATION, first_spi(spl));
		qm_fail(q, "proxy identities not supported");
		return -1;
	}
	if (ike_p2_choose(sa, spl, e, ike_natt_encap(sa), &q->xf, &q->spi_out,
	    &notify) == -1) {
		ike->st.no_proposal++;
		log_warnx(LOG_IKE, "ISAKMP:(%u): phase 2 SA policy not "
		    "acceptable! (local %s remote %s): no transform-set of "
		    "crypto map %s %d matches", sa->conn_id,
		    ike_addr(&sa->local, l), ike_addr(&sa->remote, r),
		    spd->map, spd->map_seq);
		qm_notify(sa, notify, first_spi(spl));
		qm_fail(q, "no proposal chosen");
		return -1;
	}
	q->reqid = spd->id;
	snprintf(q->map, sizeof(q->map), "%s", spd->map);
	q->map_seq = spd->map_seq;
	q->pfs_cfg = e->pfs_group;
	return 0;
}

/*
 * Responder, QM1: its nonce and PFS key, our SPI and nonce, KEYMAT, and
 * the inbound SA in the data plane (as IOS, before QM2 goes out); 0, or
 * -1 once the exchange failed.
 */
static int
qm_r1_keys(struct ike_qm *q, const struct ike_pls *pls)
{
	struct ike_sa	*sa = q->sa;
	struct ike	*ike = sa->ike;

	IKE_TRACE(sa, " processing NONCE payload. message ID = %u", q->msgid);
	if (qm_read_nonce(pls, q->ni, &q->nilen) == -1 ||
	    qm_pfs(q, pls, q->xf.group) == -1) {
		ike->st.malformed++;
		qm_notify(sa, q->xf.group != 0 ?
		    IKE_N_INVALID_KEY_INFORMATION : IKE_N_PAYLOAD_MALFORMED,
		    q->spi_out);
		qm_fail(q, "bad nonce or PFS key exchange");
		return -1;
	}
	if (alloc_spi(ike, &q->spi_in) == -1) {
		qm_fail_ours(q, "the data plane has no SPI");
		return -1;
	}
	IKE_TRACE(sa, "QM Responder gets spi");
	/*
	 * IOS waits in IKE_QM_SPI_STARVE until IPsec hands it an SPI
	 * (IKE_GOT_SPI, in qm_r1()).  havpn has its SPI at once, so it has
	 * no such state: the name appears only in these IOS trace lines.
	 */
	IKE_TRACE(sa, "Node %u, Input = IKE_MESG_FROM_PEER, IKE_QM_EXCH",
	    q->msgid);
	IKE_TRACE(sa, "Old State = %s  New State = IKE_QM_SPI_STARVE",
	    ike_qm_state_name(q->state));
	ike_random(q->nr, IKE_NONCE_LEN);
	q->nrlen = IKE_NONCE_LEN;
	q->child = ike_child_new(ike);
	if (ike_child_keys(sa, q, q->child) == -1 ||
	    ike_child_install(q->child, 1, 0) == -1) {
		qm_fail_ours(q, "the data plane refused the inbound SA");
		return -1;
	}
	return 0;
}

/*
 * Responder, the processing half of QM1: decrypt it, check HASH(1), parse
 * its SA payload, choose (qm_r1_choose) and make the pair's keys and
 * inbound SA (qm_r1_keys).  The new exchange, or NULL when QM1 was
 * dropped or the exchange failed.
 */
static struct ike_qm *
qm_r1_process(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike_sa_pl *spl = &sa->ike->sa_pl;
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_qm	*q;
	const struct ike_pl *sapl;
	uint8_t		 iv[IKE_MAX_BLOCK], iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	char		 r[INET_ADDRSTRLEN];

	if (ike_iv_phase2(sa->alg.hash, sa->alg.enc, sa->iv, h->msgid, iv) ==
	    -1 || qm_open(sa, h, msg, len, iv, iv_next, &pls) == -1)
		return NULL;
	if (ike_msg_hash_check(sa, &pls, NULL, 0, h->msgid) == -1) {
		ike->st.hash_fail++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %u: HASH(1) "
		    "verification failed: dropped", h->msgid);
		return NULL;
	}
	ike_sa_peer_heard(sa);
	IKE_TRACE(NULL, " set new node %u to QM_IDLE", h->msgid);
	IKE_TRACE(sa, " processing HASH payload. message ID = %u", h->msgid);
	IKE_TRACE(sa, " processing SA payload. message ID = %u", h->msgid);
	if ((sapl = ike_pls_find(&pls, IKE_PL_SA)) == NULL ||
	    ike_pls_count(&pls, IKE_PL_SA) != 1 ||
	    ike_sa_parse(sapl->body, spl, &notify, &err) == -1) {
		ike_sa_msgid_add(sa, h->msgid);
		ike->st.malformed++;
		ike->st.p2_fail++;
		log_warnx(LOG_IKE, "ISAKMP:(%u): Quick Mode %u from %s: bad "
		    "SA payload", sa->conn_id, h->msgid,
		    ike_addr(&sa->remote, r));
		qm_notify(sa, IKE_N_BAD_PROPOSAL_SYNTAX, 0);
		return NULL;
	}
	q = qm_new(sa, h->msgid, 0);
	q->commit = (h->flags & IKE_FLAG_COMMIT) != 0;
	if (qm_r1_choose(q, &pls, spl) == -1 || qm_r1_keys(q, &pls) == -1)
		return NULL;
	memcpy(q->iv, iv_next, sizeof(iv_next));
	return q;
}

/* The peer's proxy identities, as it sent them, back in QM2. */
static void
qm_echo_ids(struct ike_qm *q, struct ike_wr *wr)
{
	struct ike_id	 ci, cr;
	struct buf	 bi, br;
	const char	*err;

	buf_init(&bi, q->idci, q->idci_len);
	buf_init(&br, q->idcr, q->idcr_len);
	if (ike_id_parse(bi, &ci, &err) == 0 &&
	    ike_id_parse(br, &cr, &err) == 0) {
		ike_wr_id(wr, IKE_PL_ID, &ci);
		ike_wr_id(wr, IKE_PL_ID, &cr);
	}
}

/* RFC 2407 4.6.3.1: we keep a shorter lifetime than offered */
static void
qm_write_responder_lifetime(struct ike_qm *q, struct ike_wr *wr)
{
	struct wbuf	 a;
	uint8_t		 ab[32], spi[4];
	int		 shorter;

	shorter = (q->xf.offered_secs != 0 &&
	    q->xf.life_secs < q->xf.offered_secs) ||
	    (q->xf.offered_kbytes != 0 &&
	    q->xf.life_kbytes < q->xf.offered_kbytes);
	if (!shorter)
		return;
	wbuf_init(&a, ab, sizeof(ab));
	ike_wr_attr(&a, IKE_P2A_LIFE_TYPE, IKE_LIFE_SECONDS);
	ike_wr_attr(&a, IKE_P2A_LIFE_DURATION, q->xf.life_secs);
	if (q->xf.life_kbytes != 0) {
		ike_wr_attr(&a, IKE_P2A_LIFE_TYPE, IKE_LIFE_KILOBYTES);
		ike_wr_attr(&a, IKE_P2A_LIFE_DURATION,
		    (uint32_t)q->xf.life_kbytes);
	}
	be32_put(spi, q->spi_in);
	IKE_TRACE(q->sa, " sending RESPONDER_LIFETIME %u seconds",
	    q->xf.life_secs);
	ike_wr_notify(wr, IKE_PROTO_ESP, IKE_N_RESPONDER_LIFETIME, spi, 4, ab,
	    a.len);
}

/*
 * Responder, the building half: QM2 for what qm_r1_process() chose,
 *   HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
 * into wr; 0, or -1 (wr cleaned up).
 */
static int
qm_r1_build(struct ike_qm *q, struct ike_wr *wr)
{
	struct ike_sa	*sa = q->sa;
	size_t		 hoff;

	ike_wr_init(wr, sa->icookie, sa->rcookie, IKE_EX_QUICK,
	    IKE_FLAG_ENC | (q->commit ? IKE_FLAG_COMMIT : 0), q->msgid);
	hoff = ike_msg_hash_begin(wr, sa);
	ike_p2_build_reply(wr, &q->xf, q->spi_in, sa->natt,
	    q->xf.offered_secs != 0 ? q->xf.offered_secs : q->xf.life_secs,
	    q->xf.offered_kbytes);
	ike_wr_bytes(wr, IKE_PL_NONCE, q->nr, q->nrlen);
	if (q->dh != NULL)
		ike_wr_bytes(wr, IKE_PL_KE, ike_dh_pub(q->dh),
		    ike_dh_publen(q->xf.group));
	if (q->have_ids)
		qm_echo_ids(q, wr);
	qm_write_responder_lifetime(q, wr);
	if (ike_msg_hash_fill(wr, sa, hoff, q->msgid, q->ni, q->nilen, 0) ==
	    -1) {
		ike_wr_cleanup(wr);
		return -1;
	}
	return 0;
}

/* Responder: QM1 -> QM2 */
static void
qm_r1(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike_qm	*q;
	struct ike_wr	 wr;

	if ((q = qm_r1_process(sa, h, msg, len)) == NULL)
		return;
	if (qm_r1_build(q, &wr) == -1) {
		qm_fail_ours(q, "cannot build message 2");
		return;
	}
	ike_keep_bytes(&q->last_in, &q->last_in_len, msg, len);
	q->state = QM_R2;
	if (ike_msg_send(sa, &wr, 1, q->iv, q, 1) == -1) {
		qm_fail_ours(q, "cannot send message 2");
		return;
	}
	/* the end of IOS's SPI wait: see qm_r1_keys() */
	IKE_TRACE(sa, "Node %u, Input = IKE_MESG_INTERNAL, IKE_GOT_SPI",
	    q->msgid);
	IKE_TRACE(sa, "Old State = IKE_QM_SPI_STARVE  New State = %s",
	    ike_qm_state_name(q->state));
	ike_msg_arm_retx(sa, q);
}

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
static int
qm_hash3(struct ike_sa *sa, struct ike_qm *q, uint8_t *out)
{
	uint8_t		 zero = 0, mid[4];
	struct ike_iov	 v[4];

	be32_put(mid, q->msgid);
	v[0].p = &zero;
	v[0].len = 1;
	v[1].p = mid;
	v[1].len = 4;
	v[2].p = q->ni;
	v[2].len = q->nilen;
	v[3].p = q->nr;
	v[3].len = q->nrlen;
	return ike_prf(sa->alg.hash, sa->keys.a, sa->keys.len, v, 4, out);
}

/* Responder: QM3, the pair is complete */
static void
qm_r3(struct ike_sa *sa, struct ike_qm *q, const struct ike_hdr *h,
    const uint8_t *msg, size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	uint8_t		 iv_next[IKE_MAX_BLOCK], want[IKE_MAX_HASH];
	const struct ike_pl *hp;
	struct ike_child *c;

	if (qm_open(sa, h, msg, len, q->iv, iv_next, &pls) == -1)
		return;
	hp = pls.n > 0 ? &pls.pl[0] : NULL;
	if (hp == NULL || hp->type != IKE_PL_HASH ||
	    buf_left(&hp->body) != sa->keys.len ||
	    qm_hash3(sa, q, want) == -1 ||
	    CRYPTO_memcmp(want, buf_cur(&hp->body), sa->keys.len) != 0) {
		ike->st.hash_fail++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %u: HASH(3) "
		    "verification failed: dropped", q->msgid);
		return;
	}
	ike_sa_peer_heard(sa);
	ike_keep_bytes(&q->last_in, &q->last_in_len, msg, len);
	c = q->child;
	if (ike_child_install(c, 0, 1) == -1) {
		qm_fail(q, "the data plane refused the outbound SA");
		return;
	}
	IKE_TRACE(sa, "deleting node %u error FALSE reason \"QM done "
	    "(await)\"", q->msgid);
	qm_trace_state(q, QM_DONE, "IKE_MESG_FROM_PEER, IKE_QM_EXCH");
	ike_timer_stop(ike, &q->t_retx);
	q->child = NULL;
	ike_child_established(c);
	if (q->commit) {
		uint8_t	 spi[4];

		be32_put(spi, q->spi_out);
		IKE_TRACE(sa, " commit bit: sending CONNECTED");
		(void)ike_info_send_notify(sa, IKE_PROTO_ESP, IKE_N_CONNECTED,
		    spi, 4, NULL, 0);
	}
	qm_done(q);
}

/* RESPONDER-LIFETIME in QM2: the responder keeps a shorter lifetime. */
static void
qm_responder_lifetime(struct ike_qm *q, const struct ike_pls *pls)
{
	for (int i = 0; i < pls->n; i++) {
		struct ike_notify n;
		struct ike_attr	 a[8];
		struct buf	 b;
		const char	*err;
		int		 na, type = 0;

		if (pls->pl[i].type != IKE_PL_N ||
		    ike_notify_parse(pls->pl[i].body, &n, &err) == -1 ||
		    n.type != IKE_N_RESPONDER_LIFETIME)
			continue;
		buf_init(&b, n.data, n.datalen);
		if (ike_attrs_parse(b, a, 8, &na, &err) == -1)
			continue;
		for (int k = 0; k < na; k++) {
			if (!a[k].num_ok)
				continue;
			if (a[k].type == IKE_P2A_LIFE_TYPE)
				type = (int)a[k].num;
			else if (a[k].type == IKE_P2A_LIFE_DURATION &&
			    type == IKE_LIFE_SECONDS)
				q->peer_life_secs = (uint32_t)a[k].num;
			else if (a[k].type == IKE_P2A_LIFE_DURATION &&
			    type == IKE_LIFE_KILOBYTES)
				q->peer_life_kbytes = a[k].num;
		}
		IKE_TRACE(q->sa, " processing RESPONDER_LIFETIME: %u seconds",
		    q->peer_life_secs);
	}
}

/* Initiator: QM2 -> QM3, the pair is complete (or waits for CONNECTED) */
static void
qm_i2(struct ike_sa *sa, struct ike_qm *q, const struct ike_hdr *h,
    const uint8_t *msg, size_t len)
{
	struct ike_sa_pl *spl = &sa->ike->sa_pl;
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	const struct ike_pl *sapl, *pci, *pcr;
	uint8_t		 iv_next[IKE_MAX_BLOCK], h3[IKE_MAX_HASH];
	uint16_t	 notify;
	const char	*err;
	size_t		 hoff;
	struct ike_child *c;
	struct esp_selector sel;
	int		 have;

	if (qm_open(sa, h, msg, len, q->iv, iv_next, &pls) == -1)
		return;
	if (ike_msg_hash_check(sa, &pls, q->ni, q->nilen, q->msgid) == -1) {
		ike->st.hash_fail++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %u: HASH(2) "
		    "verification failed: dropped", q->msgid);
		return;
	}
	ike_sa_peer_heard(sa);
	IKE_TRACE(sa, " processing HASH payload. message ID = %u", q->msgid);
	IKE_TRACE(sa, " processing SA payload. message ID = %u", q->msgid);
	if ((sapl = ike_pls_find(&pls, IKE_PL_SA)) == NULL ||
	    ike_sa_parse(sapl->body, spl, &notify, &err) == -1 ||
	    ike_p2_accept_reply(q, spl, &q->spi_out) == -1) {
		ike->st.no_proposal++;
		qm_notify(sa, IKE_N_NO_PROPOSAL_CHOSEN, q->spi_in);
		qm_fail(q, "the responder chose a transform that was not "
		    "offered");
		return;
	}
	if (qm_read_ids(sa, q->msgid, &pls, &sel, &have, &pci, &pcr) == -1 ||
	    (have && (buf_left(&pci->body) != q->idci_len ||
	    buf_left(&pcr->body) != q->idcr_len ||
	    memcmp(buf_cur(&pci->body), q->idci, q->idci_len) != 0 ||
	    memcmp(buf_cur(&pcr->body), q->idcr, q->idcr_len) != 0))) {
		ike->st.bad_id++;
		qm_notify(sa, IKE_N_INVALID_ID_INFORMATION, q->spi_in);
		qm_fail(q, "the responder changed the proxy identities");
		return;
	}
	if (qm_read_nonce(&pls, q->nr, &q->nrlen) == -1 ||
	    qm_pfs(q, &pls, q->xf.group) == -1) {
		ike->st.malformed++;
		qm_notify(sa, IKE_N_INVALID_KEY_INFORMATION, q->spi_in);
		qm_fail(q, "bad nonce or PFS key exchange in message 2");
		return;
	}
	qm_responder_lifetime(q, &pls);
	if (q->peer_life_secs != 0 && q->peer_life_secs < q->xf.life_secs)
		q->xf.life_secs = q->peer_life_secs;
	if (q->peer_life_kbytes != 0 && q->peer_life_kbytes < q->xf.life_kbytes)
		q->xf.life_kbytes = q->peer_life_kbytes;
	memcpy(q->iv, iv_next, sizeof(iv_next));
	c = ike_child_new(ike);
	q->child = c;
	if (ike_child_keys(sa, q, c) == -1) {
		qm_fail(q, "cannot derive KEYMAT");
		return;
	}
	ike_keep_bytes(&q->last_in, &q->last_in_len, msg, len);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_QUICK, IKE_FLAG_ENC,
	    q->msgid);
	hoff = ike_wr_begin(&wr, IKE_PL_HASH);
	if (qm_hash3(sa, q, h3) == -1)
		wr.w.err = 1;
	wbuf_put_bytes(&wr.w, h3, sa->keys.len);
	ike_wr_end(&wr, hoff);
	if (ike_msg_send(sa, &wr, 1, q->iv, q, 1) == -1) {
		qm_fail(q, "cannot send message 3");
		return;
	}
	ike_timer_stop(ike, &q->t_retx);
	IKE_TRACE(sa, " Creating IPSec SAs");
	if (h->flags & IKE_FLAG_COMMIT) {
		/* only the inbound SA until the responder says CONNECTED */
		if (ike_child_install(c, 1, 0) == -1) {
			qm_fail(q, "the data plane refused the inbound SA");
			return;
		}
		q->state = QM_I_CONNECTED;
		IKE_TRACE(sa, " commit bit set: waiting for CONNECTED");
		ike_timer_set(ike, &q->t_retx, ike_now(ike) +
		    IKE_QM_LINGER_MS);
		return;
	}
	if (ike_child_install(c, 1, 1) == -1) {
		qm_fail(q, "the data plane refused the SAs");
		return;
	}
	IKE_TRACE(sa, "deleting node %u error FALSE reason \"No Error\"",
	    q->msgid);
	qm_trace_state(q, QM_DONE, "IKE_MESG_FROM_PEER, IKE_QM_EXCH");
	q->child = NULL;
	ike_child_established(c);
	qm_done(q);
}

/* CONNECTED for the Quick Mode whose inbound SPI is spi. */
void
ike_qm_connected(struct ike_sa *sa, uint32_t spi)
{
	for (struct ike_qm *q = sa->qms; q != NULL; q = q->next) {
		struct ike_child *c;

		if (q->state != QM_I_CONNECTED || q->spi_in != spi)
			continue;
		c = q->child;
		IKE_TRACE(sa, " CONNECTED received for Quick Mode %u",
		    q->msgid);
		if (ike_child_install(c, 0, 1) == -1) {
			qm_fail(q, "the data plane refused the outbound SA");
			return;
		}
		q->child = NULL;
		ike_child_established(c);
		qm_done(q);
		return;
	}
}

/* An error notification about the Quick Mode that offered spi. */
void
ike_qm_abort_spi(struct ike_sa *sa, uint32_t spi, uint16_t type)
{
	for (struct ike_qm *q = sa->qms; q != NULL; q = q->next) {
		char	 why[96];

		if (q->state == QM_DONE || (q->spi_in != spi &&
		    q->spi_out != spi))
			continue;
		snprintf(why, sizeof(why), "the peer answered %s",
		    ike_notify_name(type));
		qm_fail(q, why);
		return;
	}
}

void
ike_qm_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_qm	*q;

	if (!sa->established || !(h->flags & IKE_FLAG_ENC) || h->msgid == 0) {
		ike->st.rx_dropped++;
		ike_warn_input(ike, &sa->remote, "Quick Mode %s: dropped",
		    !sa->established ? "before phase 1 is complete" :
		    h->msgid == 0 ? "with message ID 0" : "not encrypted");
		return;
	}
	q = ike_qm_find(sa, h->msgid);
	if (q != NULL && q->last_in != NULL && q->last_in_len == len &&
	    memcmp(q->last_in, msg, len) == 0) {
		ike->st.duplicates++;
		IKE_TRACE(sa, " phase 2 packet is a duplicate of a previous "
		    "packet.");
		/* a finished responder has nothing left to answer */
		if (q->out == NULL || (!q->initiator && q->state == QM_DONE))
			return;
		if (q->dup_answers >= IKE_DUP_ANSWERS_MAX) {
			/* more than a peer retransmits: a replay */
			ike->st.dup_ignored++;
			return;
		}
		q->dup_answers++;
		ike_msg_resend(sa, q->out, q->outlen);
		return;
	}
	if (q == NULL) {
		if (ike_sa_msgid_seen(sa, h->msgid)) {
			ike->st.replays++;
			ike_warn_input(ike, &sa->remote, "Quick Mode %u: "
			    "message ID already used: dropped", h->msgid);
			return;
		}
		qm_r1(sa, h, msg, len);
		return;
	}
	switch (q->state) {
	case QM_I1:
		qm_i2(sa, q, h, msg, len);
		break;
	case QM_R2:
		qm_r3(sa, q, h, msg, len);
		break;
	default:
		ike->st.rx_dropped++;
		break;
	}
}

void
ike_qm_run_pending(struct ike_sa *sa)
{
	int	 n = sa->npending;

	sa->npending = 0;
	for (int i = 0; i < n; i++)
		(void)ike_qm_initiate(sa, sa->pending[i], 0);
}
