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

int
ike_mm_start(struct ike_sa *sa)
{
	struct ike_wr	 wr;

	sa->exchange = IKE_EX_MAIN;
	ike_wr_init(&wr, sa->icookie, zero8, IKE_EX_MAIN, 0, 0);
	if (ike_p1_write_sa(sa, &wr, 0) == 0) {
		log_warnx(LOG_IKE, "no usable crypto isakmp policy (des and "
		    "rsa-sig are never offered)");
		ike_wr_cleanup(&wr);
		return -1;
	}
	ike_p1_vids(sa, &wr);
	return ike_p1_send_first(sa, &wr);
}

void
ike_mm_respond(struct ike *ike, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike_sa_pl *spl = &ike->sa_pl;
	struct ike_sa	*sa;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	const struct ike_pl *pl;
	const struct ike_xf *x;

	if (ike_p1_parse_first(ike, h, msg, len, local, remote, &pls) == -1)
		return;
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
	if (ike_p1_respond_sa(sa, &pls, pl, spl, &x) == -1)
		return;
	ike_sa_remember_in(sa, msg, len);
	ike_trace_state(sa, IKE_R_MM1, "IKE_MESG_INTERNAL, "
	    "IKE_PROCESS_MAIN_MODE");
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_MAIN, 0, 0);
	ike_p1_build_reply(&wr, spl, x);
	ike_p1_vids(sa, &wr);
	ike_sa_set_state(sa, IKE_R_MM2);
	sa->retransmit = 0;
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == -1) {
		ike_sa_free(sa);
		return;
	}
	/* no answer of ours is resent unasked: this only bounds the wait */
	ike_timer_set(ike, &sa->t_retx, ike_now(ike) + IKE_NEG_TIMEOUT_MS);
}

/*
 * Message 2, 3 or 4, in clear: its payloads, and the SA moves into state;
 * -1 (counted, logged, dropped) if it does not parse.
 */
static int
mm_clear_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, int msgno, enum ike_fsm state, struct ike_pls *pls)
{
	struct ike	*ike = sa->ike;
	uint16_t	 notify;
	const char	*err;

	if (mm_parse(sa, h, msg, len, 0, NULL, pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message %d: %s",
		    msgno, err);
		return -1;
	}
	ike_trace_state(sa, state, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = state;
	return 0;
}

/* Initiator: MM2 -> MM3 */
static void
mm_i2(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike_pls	 pls;
	struct ike_wr	 wr;

	if (mm_clear_input(sa, h, msg, len, 2, IKE_I_MM2, &pls) == -1)
		return;
	IKE_TRACE(sa, " processing SA payload. message ID = 0");
	memcpy(sa->rcookie, h->rcookie, IKE_COOKIE_LEN);
	if (ike_p1_accept_sa(sa, &pls) == -1)
		return;
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

	if (mm_clear_input(sa, h, msg, len, 3, IKE_R_MM3, &pls) == -1)
		return;
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

	if (id == NULL || hp == NULL || ike_pls_count(pls, IKE_PL_ID) != 1 ||
	    ike_pls_count(pls, IKE_PL_HASH) != 1)
		return -1;
	if (ike_p1_read_id(sa, id) == -1)
		return -1;
	IKE_TRACE(sa, " processing HASH payload. message ID = 0");
	if (ike_p1_check_hash(sa, responder_hash, buf_cur(&id->body),
	    buf_left(&id->body), hp) == -1)
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
	uint8_t		 body[32];
	size_t		 blen;

	blen = ike_p1_write_id(sa, wr, body);
	ike_p1_write_hash(sa, wr, responder, body, blen);
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

	if (mm_clear_input(sa, h, msg, len, 4, IKE_I_MM4, &pls) == -1)
		return;
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
	if (ike_p1_write_initial_contact(sa, &wr))
		IKE_TRACE(sa, "Send initial contact");
	ike_sa_set_state(sa, IKE_I_MM5);
	if (ike_msg_send(sa, &wr, 1, sa->iv, NULL, 1) == 0)
		ike_msg_arm_retx(sa, NULL);
}

/* Main Mode says so as IOS does, then fails like Aggressive Mode. */
static void
auth_failed(struct ike_sa *sa, const char *what)
{
	char		 a[INET_ADDRSTRLEN];

	log_warnx(LOG_IKE, "%%CRYPTO-4-IKMP_BAD_MESSAGE: IKE message from %s "
	    "failed its sanity check or is malformed", ike_addr(&sa->remote,
	    a));
	ike_p1_fail_auth(sa, what);
}

/*
 * Message 5 (state IKE_R_MM5) or 6 (IKE_I_MM6): decrypt it, check its ID
 * and HASH_I or HASH_R, read its notifications, take the next IV.  -1
 * once the SA has failed.
 */
static int
mm_auth_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, enum ike_fsm state)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	uint8_t		 iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	char		 why[64];
	int		 responder_hash = state == IKE_I_MM6, rc;
	int		 msgno = responder_hash ? 6 : 5;

	if (mm_parse(sa, h, msg, len, 1, iv_next, &pls, &notify, &err) == -1) {
		ike->st.decrypt_fail++;
		snprintf(why, sizeof(why), "message %d does not decrypt to "
		    "valid payloads", msgno);
		auth_failed(sa, why);
		return -1;
	}
	ike_trace_state(sa, state, "IKE_MESG_FROM_PEER, IKE_MM_EXCH");
	sa->state = state;
	if ((rc = mm_auth(sa, &pls, responder_hash)) == -1) {
		ike->st.malformed++;
		snprintf(why, sizeof(why), "message %d lacks its ID or HASH",
		    msgno);
		ike_p1_fail(sa, IKE_N_PAYLOAD_MALFORMED, why);
		return -1;
	}
	if (rc != 0) {
		ike->st.hash_fail++;
		auth_failed(sa, responder_hash ? "HASH_R does not match" :
		    "HASH_I does not match");
		return -1;
	}
	mm_notifies(sa, &pls);
	memcpy(sa->iv, iv_next, sizeof(iv_next));
	return 0;
}

/* Responder: MM5 -> MM6, established */
static void
mm_r5(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_wr	 wr;

	if (!(h->flags & IKE_FLAG_ENC)) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Main Mode message 5 is not "
		    "encrypted: dropped");
		return;
	}
	if (mm_auth_input(sa, h, msg, len, IKE_R_MM5) == -1)
		return;
	/* authenticated: only now may the peer's port move (RFC 3947 4) */
	ike_natt_follow_float(sa);
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

	if (mm_auth_input(sa, h, msg, len, IKE_I_MM6) == -1)
		return;
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

	/* our answer was lost; an established initiator stays quiet */
	if (ike_p1_duplicate(sa, msg, len,
	    !(sa->initiator && sa->established)))
		return;
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
