/*
 * Main Mode with pre-shared keys (RFC 2409 5.4):
 *
 *   Initiator                          Responder
 *   HDR, SA, VID                  -->                     MM1
 *                                 <--  HDR, SA, VID       MM2
 *   HDR, KE, Ni, NAT-D, NAT-D     -->                     MM3
 *                                 <--  HDR, KE, Nr, NAT-D MM4
 *   HDR*, IDii, HASH_I [, N(IC)]  -->                     MM5
 *                                 <--  HDR*, IDir, HASH_R MM6
 *
 * A responder keeps nothing but the first message's SA until message 3
 * (no DH work), and a duplicate of the last message received gets our
 * last answer again.  Messages 5 and 6 are encrypted; a message 5 that
 * does not decrypt to valid payloads or whose HASH_I differs means the
 * pre-shared keys differ.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

static const uint8_t zero8[8];

/* Payloads of a plain or encrypted phase 1 message; iv_next for the latter. */
static int
mm_parse(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, int enc, uint8_t *iv_next, struct ike_pls *pls,
    uint16_t *notify, const char **err)
{
	struct ike	*ike = sa->ike;
	struct buf	 b;
	ssize_t		 n;

	if (((h->flags & IKE_FLAG_ENC) != 0) != enc) {
		*notify = IKE_N_INVALID_FLAGS;
		*err = enc ? "expected an encrypted message" :
		    "unexpected encryption";
		return -1;
	}
	if (enc) {
		n = ike_msg_decrypt(sa, msg, len, sa->iv, iv_next);
		if (n == -1) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			*err = "body is not a whole number of cipher blocks";
			return -1;
		}
		buf_init(&b, ike->scratch + IKE_HDR_LEN,
		    (size_t)n - IKE_HDR_LEN);
		return ike_pls_parse(&b, h->np, 255, pls, notify, err);
	}
	buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	return ike_pls_parse(&b, h->np, 0, pls, notify, err);
}

static int
copy_sa_body(struct ike_sa *sa, const uint8_t *p, size_t len)
{
	free(sa->sai_b);
	sa->sai_b = xmalloc(len);
	memcpy(sa->sai_b, p, len);
	sa->sai_len = len;
	return 0;
}

int
ike_mm_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	struct ike_wr	 wr;
	size_t		 start;

	sa->exchange = IKE_EX_MAIN;
	ike_wr_init(&wr, sa->icookie, zero8, IKE_EX_MAIN, 0, 0);
	start = wr.w.len;
	if (ike_p1_build_sa(ike, &wr, 0) == 0) {
		log_warnx(LOG_IKE, "no usable crypto isakmp policy (des and "
		    "rsa-sig are never offered)");
		ike_wr_cleanup(&wr);
		return -1;
	}
	if (!wbuf_error(&wr.w))
		copy_sa_body(sa, wr.w.p + start + IKE_GEN_LEN,
		    wr.w.len - start - IKE_GEN_LEN);
	ike_p1_vids(sa, &wr, 0);
	IKE_TRACE(sa, "Input = IKE_MESG_FROM_IPSEC, IKE_SA_REQ_MM");
	ike_sa_set_state(sa, IKE_I_MM1);
	IKE_TRACE(sa, " beginning Main Mode exchange");
	sa->retransmit = 1;
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == -1)
		return -1;
	ike_msg_arm_retx(sa, NULL);
	return 0;
}

/* Room for one more responder negotiation?  Under a flood, make it. */
int
ike_halfopen_admit(struct ike *ike, const struct sockaddr_in *remote)
{
	struct ike_sa	*victim;
	uint64_t	 suppressed;
	char		 a[INET_ADDRSTRLEN];

	if (ike_sa_count_halfopen_peer(ike, remote->sin_addr) >=
	    ike->halfopen_peer_max) {
		/* a failed negotiation with this peer gives way */
		for (victim = ike->sas; victim != NULL; victim = victim->next)
			if (victim->halfopen && victim->state == IKE_DEAD &&
			    victim->remote.sin_addr.s_addr ==
			    remote->sin_addr.s_addr) {
				ike_sa_free(victim);
				return 0;
			}
		ike->st.halfopen_drop++;
		if (log_ratelimit_ok(&ike->rl_flood, ike_now(ike), 1000,
		    &suppressed))
			log_warnx(LOG_IKE, "ISAKMP: %d negotiations with %s in "
			    "progress: new ones dropped (%llu before)",
			    ike->halfopen_peer_max, ike_addr(remote, a),
			    (unsigned long long)suppressed);
		return -1;
	}
	if (ike->halfopen < ike->halfopen_max)
		return 0;
	if ((victim = ike_sa_oldest_evictable(ike)) != NULL) {
		IKE_TRACE(victim, " half-open limit %d reached: dropping the "
		    "oldest negotiation", ike->halfopen_max);
		ike->st.halfopen_drop++;
		ike_sa_free(victim);
		return 0;
	}
	ike->st.halfopen_drop++;
	if (log_ratelimit_ok(&ike->rl_flood, ike_now(ike), 1000, &suppressed))
		log_warnx(LOG_IKE, "ISAKMP: %d negotiations in progress: new "
		    "ones dropped (%llu before)", ike->halfopen_max,
		    (unsigned long long)suppressed);
	return -1;
}

/* A responder SA for a peer's first message; NULL if refused. */
struct ike_sa *
ike_responder_new(struct ike *ike, const struct ike_hdr *h,
    const struct sockaddr_in *local, const struct sockaddr_in *remote,
    uint8_t exchange)
{
	struct ike_sa	*sa;
	const char	*psk;
	char		 a[INET_ADDRSTRLEN];

	IKE_TRACE(NULL, " (0): received packet from %s dport %u sport %u "
	    "Global (N) NEW SA", ike_addr(remote, a), ntohs(local->sin_port),
	    ntohs(remote->sin_port));
	if (ike_halfopen_admit(ike, remote) == -1)
		return NULL;
	if ((psk = ike_psk_find(ike->cf, remote->sin_addr)) == NULL) {
		ike->st.auth_fail++;
		ike_warn_input(ike, remote, "No pre-shared key with %s: "
		    "dropped", a);
		return NULL;
	}
	sa = ike_sa_new(ike, 0, local, remote);
	ike_sa_set_rcookie(sa, h->icookie);
	sa->halfopen = 1;
	ike->halfopen++;
	sa->exchange = exchange;
	sa->psk = xstrdup(psk);
	IKE_TRACE(NULL, " local port %u, remote port %u",
	    ntohs(local->sin_port), ntohs(remote->sin_port));
	IKE_TRACE(sa, "found peer pre-shared key matching %s", a);
	return sa;
}

void
ike_mm_respond(struct ike *ike, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	static struct ike_sa_pl spl;
	struct ike_sa	*sa;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	const struct ike_pl *pl;
	const struct ike_xf *x;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	char		 l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if (ike_pls_parse(&b, h->np, 0, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, remote, "Main Mode message 1 failed its "
		    "sanity check or is malformed: %s", err);
		if (notify != 0)
			ike_msg_notify_plain(ike, local, remote, h->icookie,
			    h->rcookie, notify, IKE_PROTO_ISAKMP, NULL, 0);
		return;
	}
	if ((pl = ike_pls_find(&pls, IKE_PL_SA)) == NULL ||
	    ike_pls_count(&pls, IKE_PL_SA) != 1) {
		ike->st.malformed++;
		ike_warn_input(ike, remote, "Main Mode message 1 has no single "
		    "SA payload: dropped");
		return;
	}
	if ((sa = ike_responder_new(ike, h, local, remote, IKE_EX_MAIN)) ==
	    NULL)
		return;
	IKE_TRACE(sa, "insert sa successfully");
	ike_trace_state(sa, IKE_R_MM1, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_R_MM1;
	IKE_TRACE(sa, " processing SA payload. message ID = 0");
	if (ike_sa_parse(pl->body, &spl, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, notify, err);
		return;
	}
	ike_p1_read_vids(sa, &pls);
	sa->natt = sa->peer_natt_vid;
	if (ike_p1_choose(sa, &spl, &sa->alg, &x) == -1) {
		ike->st.no_proposal++;
		log_warnx(LOG_IKE, "ISAKMP:(0): phase 1 SA policy not "
		    "acceptable! (local %s remote %s)", ike_addr(local, l),
		    ike_addr(remote, r));
		ike_p1_fail(sa, IKE_N_NO_PROPOSAL_CHOSEN,
		    "no proposal chosen");
		return;
	}
	copy_sa_body(sa, buf_cur(&pl->body), buf_left(&pl->body));
	ike_sa_remember_in(sa, msg, len);
	ike_trace_state(sa, IKE_R_MM1, "IKE_MESG_INTERNAL, "
	    "IKE_PROCESS_MAIN_MODE");
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	ike_p1_build_reply(&wr, &spl, x);
	ike_p1_vids(sa, &wr, sa->natt);
	ike_sa_set_state(sa, IKE_R_MM2);
	sa->retransmit = 0;
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == -1) {
		ike_sa_free(sa);
		return;
	}
	/* no answer of ours is resent unasked: this only bounds the wait */
	ike_timer_set(ike, &sa->t_retx, ike_now(ike) + IKE_NEG_TIMEOUT_MS);
}

/* Initiator: MM2 -> MM3 */
static void
mm_i2(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	static struct ike_sa_pl spl;
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	const struct ike_pl *pl;
	uint16_t	 notify;
	const char	*err;

	if (mm_parse(sa, h, msg, len, 0, NULL, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message 2: %s",
		    err);
		return;
	}
	ike_trace_state(sa, IKE_I_MM2, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_I_MM2;
	IKE_TRACE(sa, " processing SA payload. message ID = 0");
	if ((pl = ike_pls_find(&pls, IKE_PL_SA)) == NULL ||
	    ike_pls_count(&pls, IKE_PL_SA) != 1 ||
	    ike_sa_parse(pl->body, &spl, &notify, &err) == -1 ||
	    ike_p1_accept_reply(sa, &spl, &sa->alg) == -1) {
		ike->st.no_proposal++;
		memcpy(sa->rcookie, h->rcookie, IKE_COOKIE_LEN);
		ike_p1_fail(sa, IKE_N_BAD_PROPOSAL_SYNTAX, "the responder "
		    "chose a transform that was not offered");
		return;
	}
	memcpy(sa->rcookie, h->rcookie, IKE_COOKIE_LEN);
	ike_p1_read_vids(sa, &pls);
	sa->natt = sa->peer_natt_vid;
	ike_sa_remember_in(sa, msg, len);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	if (ike_p1_write_ke_nonce(sa, &wr) == -1) {
		ike_wr_cleanup(&wr);
		ike_p1_fail(sa, 0, "no Diffie-Hellman key");
		return;
	}
	ike_natt_write_natd(sa, &wr);
	ike_sa_set_state(sa, IKE_I_MM3);
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == 0)
		ike_msg_arm_retx(sa, NULL);
}

/* Responder: MM3 -> MM4 */
static void
mm_r3(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	uint16_t	 notify;
	const char	*err;

	if (mm_parse(sa, h, msg, len, 0, NULL, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message 3: %s",
		    err);
		return;
	}
	ike_trace_state(sa, IKE_R_MM3, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_R_MM3;
	if (ike_p1_read_ke_nonce(sa, &pls, &notify) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, notify, "bad KE or nonce in message 3");
		return;
	}
	ike_natt_read_natd(sa, &pls);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	if (ike_p1_write_ke_nonce(sa, &wr) == -1 || ike_p1_keys(sa) == -1) {
		ike_wr_cleanup(&wr);
		ike_p1_fail(sa, IKE_N_INVALID_KEY_INFORMATION,
		    "Diffie-Hellman failed");
		return;
	}
	ike_natt_write_natd(sa, &wr);
	ike_sa_remember_in(sa, msg, len);
	ike_sa_set_state(sa, IKE_R_MM4);
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == 0)
		ike_timer_set(ike, &sa->t_retx, ike_now(ike) +
		    IKE_NEG_TIMEOUT_MS);
}

/* ID and HASH of message 5 or 6, HASH_I or HASH_R. */
static int
mm_auth(struct ike_sa *sa, const struct ike_pls *pls, int responder_hash)
{
	const struct ike_pl *id = ike_pls_find(pls, IKE_PL_ID);
	const struct ike_pl *hp = ike_pls_find(pls, IKE_PL_HASH);
	uint8_t		 want[IKE_MAX_HASH];

	if (id == NULL || hp == NULL || ike_pls_count(pls, IKE_PL_ID) != 1 ||
	    ike_pls_count(pls, IKE_PL_HASH) != 1)
		return -1;
	if (ike_p1_read_id(sa, id) == -1)
		return -1;
	IKE_TRACE(sa, " processing HASH payload. message ID = 0");
	if (buf_left(&hp->body) != sa->keys.len ||
	    ike_p1_hash(sa, responder_hash, buf_cur(&id->body),
	    buf_left(&id->body), want) == -1 ||
	    CRYPTO_memcmp(want, buf_cur(&hp->body), sa->keys.len) != 0)
		return -2;
	return 0;
}

/* Notifications riding in message 5/6 (INITIAL-CONTACT). */
static void
mm_notifies(struct ike_sa *sa, const struct ike_pls *pls)
{
	for (int i = 0; i < pls->n; i++) {
		struct ike_notify n;
		const char	*err;

		if (pls->pl[i].type != IKE_PL_N ||
		    ike_notify_parse(pls->pl[i].body, &n, &err) == -1)
			continue;
		IKE_TRACE(sa, " processing NOTIFY %s protocol %u",
		    ike_notify_name(n.type), n.proto);
		if (n.type == IKE_N_INITIAL_CONTACT)
			sa->initial_contact = 1;
	}
}

static void
mm_write_auth(struct ike_sa *sa, struct ike_wr *wr, int responder)
{
	struct ike_id	 id;
	uint8_t		 buf[16], body[32], h[IKE_MAX_HASH];
	size_t		 blen;

	ike_p1_id_local(sa, &id, buf);
	blen = ike_p1_id_body(&id, body);
	ike_wr_id(wr, IKE_PL_ID, &id);
	if (ike_p1_hash(sa, responder, body, blen, h) == -1)
		wr->w.err = 1;
	ike_wr_bytes(wr, IKE_PL_HASH, h, sa->keys.len);
}

/* Initiator: MM4 -> MM5 */
static void
mm_i4(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	uint16_t	 notify;
	const char	*err;
	uint8_t		 spi[16];

	if (mm_parse(sa, h, msg, len, 0, NULL, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message 4: %s",
		    err);
		return;
	}
	ike_trace_state(sa, IKE_I_MM4, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_I_MM4;
	if (ike_p1_read_ke_nonce(sa, &pls, &notify) == -1 ||
	    ike_p1_keys(sa) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, IKE_N_INVALID_KEY_INFORMATION,
		    "bad KE or nonce in message 4");
		return;
	}
	ike_p1_read_vids(sa, &pls);
	ike_natt_read_natd(sa, &pls);
	ike_sa_remember_in(sa, msg, len);
	ike_natt_float(sa);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	mm_write_auth(sa, &wr, 0);
	if (!sa->ike->no_initial_contact && !ike_p1_have_state_with(sa)) {
		IKE_TRACE(sa, "Send initial contact");
		memcpy(spi, sa->icookie, 8);
		memcpy(spi + 8, sa->rcookie, 8);
		ike_wr_notify(&wr, IKE_PROTO_ISAKMP, IKE_N_INITIAL_CONTACT,
		    spi, 16, NULL, 0);
	}
	ike_sa_set_state(sa, IKE_I_MM5);
	if (ike_msg_send(sa, &wr, 1, sa->iv, NULL, 1) == 0)
		ike_msg_arm_retx(sa, NULL);
}

static void
auth_failed(struct ike_sa *sa, const char *what)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN], why[160];

	ike->st.auth_fail++;
	log_warnx(LOG_IKE, "%%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from %s "
	    "failed its sanity check or is malformed", ike_addr(&sa->remote,
	    a));
	snprintf(why, sizeof(why), "%s: the pre-shared keys for %s differ",
	    what, a);
	ike_p1_fail(sa, IKE_N_AUTHENTICATION_FAILED, why);
}

/* Responder: MM5 -> MM6, established */
static void
mm_r5(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	uint8_t		 iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	int		 rc;

	if (!(h->flags & IKE_FLAG_ENC)) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message 5 is not "
		    "encrypted: dropped");
		return;
	}
	/* RFC 3947 4: the initiator moved to 4500: follow it (answers too) */
	if (ntohs(ike->in_local.sin_port) == IKE_NATT_PORT) {
		sa->local.sin_port = htons(IKE_NATT_PORT);
		sa->remote.sin_port = ike->in_remote.sin_port;
	}
	if (mm_parse(sa, h, msg, len, 1, iv_next, &pls, &notify, &err) == -1) {
		ike->st.decrypt_fail++;
		auth_failed(sa, "message 5 does not decrypt to valid payloads");
		return;
	}
	ike_trace_state(sa, IKE_R_MM5, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_R_MM5;
	if ((rc = mm_auth(sa, &pls, 0)) != 0) {
		if (rc == -1) {
			ike->st.malformed++;
			ike_p1_fail(sa, IKE_N_PAYLOAD_MALFORMED,
			    "message 5 lacks its ID or HASH");
		} else {
			ike->st.hash_fail++;
			auth_failed(sa, "HASH_I does not match");
		}
		return;
	}
	mm_notifies(sa, &pls);
	memcpy(sa->iv, iv_next, sizeof(iv_next));
	ike_sa_remember_in(sa, msg, len);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	mm_write_auth(sa, &wr, 1);
	if (ike_msg_send(sa, &wr, 1, sa->iv, NULL, 1) == -1) {
		ike_p1_fail(sa, 0, "cannot send message 6");
		return;
	}
	ike_p1_established(sa);
}

/* Initiator: MM6, established */
static void
mm_i6(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	uint8_t		 iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	int		 rc;

	if (mm_parse(sa, h, msg, len, 1, iv_next, &pls, &notify, &err) == -1) {
		ike->st.decrypt_fail++;
		auth_failed(sa, "message 6 does not decrypt to valid payloads");
		return;
	}
	ike_trace_state(sa, IKE_I_MM6, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = IKE_I_MM6;
	if ((rc = mm_auth(sa, &pls, 1)) != 0) {
		if (rc == -1) {
			ike->st.malformed++;
			ike_p1_fail(sa, IKE_N_PAYLOAD_MALFORMED,
			    "message 6 lacks its ID or HASH");
		} else {
			ike->st.hash_fail++;
			auth_failed(sa, "HASH_R does not match");
		}
		return;
	}
	mm_notifies(sa, &pls);
	memcpy(sa->iv, iv_next, sizeof(iv_next));
	if (ntohs(sa->local.sin_port) == IKE_NATT_PORT)
		sa->remote.sin_port = ike->in_remote.sin_port;
	ike_sa_remember_in(sa, msg, len);
	ike_p1_established(sa);
}

void
ike_mm_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;

	if (sa->last_in != NULL && len == sa->last_in_len &&
	    memcmp(msg, sa->last_in, len) == 0) {
		ike->st.duplicates++;
		IKE_TRACE(sa, " phase 1 packet is a duplicate of a previous "
		    "packet.");
		/* our answer was lost; an established initiator stays quiet */
		if (sa->out != NULL && !(sa->initiator && sa->established))
			ike_msg_resend(sa, sa->out, sa->outlen);
		return;
	}
	switch (sa->state) {
	case IKE_I_MM1:
		mm_i2(sa, h, msg, len);
		break;
	case IKE_R_MM2:
		mm_r3(sa, h, msg, len);
		break;
	case IKE_I_MM3:
		mm_i4(sa, h, msg, len);
		break;
	case IKE_R_MM4:
		mm_r5(sa, h, msg, len);
		break;
	case IKE_I_MM5:
		mm_i6(sa, h, msg, len);
		break;
	default:
		ike->st.rx_dropped++;
		ike_warn_input(ike, &sa->remote, "Main Mode message in state "
		    "%s: dropped", ike_fsm_show(sa->state));
		break;
	}
}
