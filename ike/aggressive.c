/*
 * Aggressive Mode with pre-shared keys (RFC 2409 5.4):
 *
 *   Initiator                                  Responder
 *   HDR, SA, KE, Ni, IDii, VID           -->                   AM1
 *                  <--  HDR, SA, KE, Nr, IDir, HASH_R, VID, NAT-D  AM2
 *   HDR*, HASH_I, NAT-D [, N(IC)]        -->                   AM3
 *
 * All offered transforms share the DH group of the KE payload.  The third
 * message is encrypted by havpn (strongSwan requires it) and accepted in
 * clear too.  The responder sends AM2 to a source not yet shown to be
 * real only within the bytes it received (msg.c), and resends it only when
 * the initiator repeats AM1; once a message from the initiator's address
 * carries our cookie it resends AM2 on its timer until AM3 arrives: AM3 is
 * the last message, and without it the initiator would believe phase 1
 * complete (ike_p1_source_verified).
 * "crypto isakmp aggressive-mode disable" refuses it with
 * UNSUPPORTED-EXCHANGE-TYPE.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"

static const uint8_t zero8[8];

static int
first_group(struct ike *ike)
{
	for (int i = 0; i < ike->cf->npolicies; i++) {
		const struct conf_isakmp_policy *p = &ike->cf->policies[i];

		if (conf_policy_usable(p) && ike_dh_supported(p->group))
			return p->group;
	}
	return 0;
}

int
ike_am_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	struct ike_wr	 wr;
	uint8_t		 body[32];

	sa->exchange = IKE_EX_AGGRESSIVE;
	/* the KE goes out now: only the first policy's group is offered */
	if ((sa->alg.group = first_group(ike)) == 0) {
		log_warnx(LOG_IKE, "no usable crypto isakmp policy");
		return -1;
	}
	ike_wr_init(&wr, sa->icookie, zero8, IKE_EX_AGGRESSIVE, 0, 0);
	ike_p1_write_sa(sa, &wr, sa->alg.group);
	if (ike_p1_write_ke_nonce(sa, &wr) == -1) {
		ike_wr_cleanup(&wr);
		return -1;
	}
	(void)ike_p1_write_id(sa, &wr, body);
	ike_p1_vids(sa, &wr);
	return ike_p1_send_first(sa, &wr);
}

void
ike_am_respond(struct ike *ike, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike_sa_pl *spl = &ike->sa_pl;
	struct ike_sa	*sa;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	const struct ike_pl *pl, *id;
	const struct ike_xf *x;
	uint16_t	 notify;
	uint8_t		 body[32];
	size_t		 blen;
	char		 a[INET_ADDRSTRLEN];

	if (ike->cf->aggressive_disable) {
		ike->st.aggressive_refused++;
		ike_warn_input(ike, remote, "Aggressive Mode is disabled "
		    "(crypto isakmp aggressive-mode disable): refused");
		ike_msg_notify_plain(ike, local, remote, h->icookie, zero8,
		    IKE_N_UNSUPPORTED_EXCHANGE_TYPE, IKE_PROTO_ISAKMP, NULL,
		    0);
		return;
	}
	/* only a peer with a key for its own address: not a wildcard */
	if (!conf_psk_for_host(ike->cf, remote->sin_addr)) {
		ike->st.aggressive_refused++;
		ike_warn_limited(ike, &ike->rl_am, "ISAKMP:(0): Aggressive Mode "
		    "from %s refused: no key for exactly this address (a "
		    "wildcard key never answers Aggressive Mode)",
		    ike_addr(remote, a));
		return;
	}
	if (ike_now(ike) - ike->am_second_ms >= 1000) {
		ike->am_second_ms = ike_now(ike);
		ike->am_answers = 0;
	}
	if (ike->am_answers >= IKE_AM_ANSWERS_PER_S) {
		ike->st.halfopen_drop++;
		ike_warn_limited(ike, &ike->rl_am, "ISAKMP:(0): Aggressive Mode "
		    "from %s dropped: %d answered this second already",
		    ike_addr(remote, a), IKE_AM_ANSWERS_PER_S);
		return;
	}
	if (ike_p1_parse_first(ike, h, msg, len, local, remote, &pls) == -1)
		return;
	if ((pl = ike_pls_find(&pls, IKE_PL_SA)) == NULL ||
	    (id = ike_pls_find(&pls, IKE_PL_ID)) == NULL ||
	    ike_pls_count(&pls, IKE_PL_SA) != 1 ||
	    ike_pls_count(&pls, IKE_PL_ID) != 1) {
		ike->st.malformed++;
		ike_warn_input(ike, remote, "Aggressive Mode message 1 lacks "
		    "its SA or ID: dropped");
		return;
	}
	if ((sa = ike_responder_new(ike, h, local, remote,
	    IKE_EX_AGGRESSIVE)) == NULL)
		return;
	ike->am_answers++;
	ike_trace_state(sa, IKE_R_AM1, "IKE_MESG_FROM_PEER, IKE_AM_EXCH");
	sa->state = IKE_R_AM1;
	if (ike_p1_respond_sa(sa, &pls, pl, spl, &x) == -1)
		return;
	if (ike_p1_read_ke_nonce(sa, &pls, &notify) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, notify, "KE does not fit the chosen group, or "
		    "a bad nonce");
		return;
	}
	if (ike_p1_read_id(sa, id) == -1) {
		ike->st.bad_id++;
		ike_p1_fail(sa, IKE_N_INVALID_ID_INFORMATION, "bad ID");
		return;
	}
	ike_keep_bytes(&sa->ida_b, &sa->ida_len, buf_cur(&id->body),
	    buf_left(&id->body));
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_AGGRESSIVE, 0, 0);
	ike_p1_build_reply(&wr, spl, x);
	if (ike_p1_write_ke_nonce(sa, &wr) == -1 || ike_p1_keys(sa) == -1) {
		ike_wr_cleanup(&wr);
		ike_p1_fail(sa, IKE_N_INVALID_KEY_INFORMATION,
		    "Diffie-Hellman failed");
		return;
	}
	blen = ike_p1_write_id(sa, &wr, body);
	ike_p1_write_hash(sa, &wr, 1, body, blen);
	ike_p1_vids(sa, &wr);
	ike_natt_write_natd(sa, &wr);
	ike_sa_remember_in(sa, msg, len);
	ike_sa_set_state(sa, IKE_R_AM2);
	/* not resent unasked before the source is verified: only bounded */
	sa->retransmit = 0;
	if (ike_msg_send(sa, &wr, 0, NULL, NULL, 1) == -1) {
		ike_sa_free(sa);
		return;
	}
	ike_timer_set(ike, &sa->t_retx, ike_now(ike) + IKE_NEG_TIMEOUT_MS);
}

/* Initiator: AM2 -> AM3, established */
static void
am_i2(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct ike_wr	 wr;
	struct buf	 b;
	const struct ike_pl *id, *hp;
	uint16_t	 notify;
	const char	*err;
	uint8_t		 body[32];
	size_t		 blen;
	struct ike_id	 lid;
	uint8_t		 lbuf[16];

	buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if ((h->flags & IKE_FLAG_ENC) ||
	    ike_pls_parse(&b, h->np, 0, &pls, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, &sa->remote, "Aggressive Mode message 2 "
		    "is malformed: dropped");
		return;
	}
	ike_trace_state(sa, IKE_I_AM2, "IKE_MESG_FROM_PEER, IKE_AM_EXCH");
	sa->state = IKE_I_AM2;
	memcpy(sa->rcookie, h->rcookie, IKE_COOKIE_LEN);
	if (ike_p1_accept_sa(sa, &pls) == -1)
		return;
	id = ike_pls_find(&pls, IKE_PL_ID);
	hp = ike_pls_find(&pls, IKE_PL_HASH);
	if (id == NULL || hp == NULL ||
	    ike_p1_read_ke_nonce(sa, &pls, &notify) == -1 ||
	    ike_p1_read_id(sa, id) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, IKE_N_PAYLOAD_MALFORMED, "message 2 lacks its "
		    "KE, nonce, ID or HASH");
		return;
	}
	ike_p1_read_vids(sa, &pls);
	sa->natt = sa->peer_natt_vid;
	if (ike_p1_keys(sa) == -1) {
		ike_p1_fail(sa, IKE_N_INVALID_KEY_INFORMATION,
		    "Diffie-Hellman failed");
		return;
	}
	IKE_TRACE(sa, " processing HASH payload. message ID = 0");
	if (ike_p1_check_hash(sa, 1, buf_cur(&id->body), buf_left(&id->body),
	    hp) == -1) {
		ike->st.hash_fail++;
		ike_p1_fail_auth(sa, "HASH_R does not match");
		return;
	}
	ike_natt_read_natd(sa, &pls);
	ike_sa_remember_in(sa, msg, len);
	ike_natt_float(sa);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, IKE_EX_AGGRESSIVE, 0, 0);
	ike_p1_id_local(sa, &lid, lbuf);
	blen = ike_p1_id_body(&lid, body);
	ike_p1_write_hash(sa, &wr, 0, body, blen);
	ike_natt_write_natd(sa, &wr);
	(void)ike_p1_write_initial_contact(sa, &wr);
	if (ike_msg_send(sa, &wr, 1, sa->iv, NULL, 1) == -1) {
		ike_p1_fail(sa, 0, "cannot send message 3");
		return;
	}
	ike_p1_established(sa);
}

/* Responder: AM3, established */
static void
am_r3(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;
	struct ike_pls	 pls;
	struct buf	 b;
	const struct ike_pl *hp;
	uint8_t		 iv_next[IKE_MAX_BLOCK];
	uint16_t	 notify;
	const char	*err;
	ssize_t		 n;
	int		 enc = (h->flags & IKE_FLAG_ENC) != 0;

	if (enc) {
		if ((n = ike_msg_decrypt(sa, msg, len, sa->iv, iv_next)) ==
		    -1) {
			ike->st.decrypt_fail++;
			ike_p1_fail_auth(sa, "message 3 does not decrypt");
			return;
		}
		buf_init(&b, ike->scratch + IKE_HDR_LEN,
		    (size_t)n - IKE_HDR_LEN);
	} else
		buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if (ike_pls_parse(&b, h->np, enc ? 255 : 0, &pls, &notify, &err) ==
	    -1) {
		ike->st.decrypt_fail++;
		ike_p1_fail_auth(sa, "message 3 does not decrypt to valid "
		    "payloads");
		return;
	}
	ike_trace_state(sa, IKE_R_AM3, "IKE_MESG_FROM_PEER, IKE_AM_EXCH");
	sa->state = IKE_R_AM3;
	IKE_TRACE(sa, " processing HASH payload. message ID = 0");
	if ((hp = ike_pls_find(&pls, IKE_PL_HASH)) == NULL ||
	    ike_p1_check_hash(sa, 0, sa->ida_b, sa->ida_len, hp) == -1) {
		ike->st.hash_fail++;
		ike_p1_fail_auth(sa, "HASH_I does not match");
		return;
	}
	/* authenticated: only now may the peer's port move (RFC 3947 4) */
	ike_natt_follow_float(sa);
	for (int i = 0; i < pls.n; i++) {
		struct ike_notify nt;

		if (pls.pl[i].type == IKE_PL_N &&
		    ike_notify_parse(pls.pl[i].body, &nt, &err) == 0 &&
		    nt.type == IKE_N_INITIAL_CONTACT)
			sa->initial_contact = 1;
	}
	ike_natt_read_natd(sa, &pls);
	if (enc)
		memcpy(sa->iv, iv_next, sizeof(iv_next));
	ike_sa_remember_in(sa, msg, len);
	ike_p1_established(sa);
}

void
ike_am_input(struct ike_sa *sa, const struct ike_hdr *h, const uint8_t *msg,
    size_t len)
{
	struct ike	*ike = sa->ike;

	/* an established responder had the last message: it stays quiet */
	if (ike_p1_duplicate(sa, msg, len,
	    !(!sa->initiator && sa->established)))
		return;
	switch (sa->state) {
	case IKE_I_AM1:
		am_i2(sa, h, msg, len);
		break;
	case IKE_R_AM2:
		am_r3(sa, h, msg, len);
		break;
	default:
		ike->st.rx_dropped++;
		ike_warn_input(ike, &sa->remote, "Aggressive Mode message in "
		    "state %s: dropped", ike_fsm_show(sa->state));
		break;
	}
}
