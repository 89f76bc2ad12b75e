/*
 * Messages on their way out and in: padding and CBC encryption of the
 * body (RFC 2408 3.1, RFC 2409 Appendix B), the non-ESP marker on port
 * 4500 (RFC 3948 2.2), retransmission with back-off, decryption, the HASH
 * payloads of Quick Mode and Informational exchanges (RFC 2409 5.5, 5.7),
 * unprotected notifications, and the amplification budget.
 *
 * Amplification: a responder's first answer goes to an address it cannot
 * know is real, and a spoofed source must not get more from us than it
 * sent in the victim's name.  Until a message from the peer's address
 * carries our responder cookie (Main Mode's message 3, Aggressive Mode's
 * message 3, or anything later: the address got our answer), every
 * datagram of the negotiation counts, both ways, and nothing goes out
 * that would bring what we sent above what we received: a factor of 1,
 * retransmissions included.  An answer held back waits for the peer's own
 * retransmission of its request, which raises the budget and brings the
 * cached answer again (ike_p1_duplicate); our timer resends nothing to
 * such a peer (aggressive.c).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

void
ike_msg_budget_rx(struct ike_sa *sa)
{
	if (sa->unverified)
		sa->unv_rx += sa->ike->in_len;
}

int
ike_msg_budget(struct ike_sa *sa, size_t len)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	if (!sa->unverified)
		return 0;
	if (sa->unv_tx + len > sa->unv_rx) {
		ike->st.amp_suppressed++;
		IKE_TRACE(sa, " not sending %zu bytes to %s: it is not "
		    "verified yet and sent %llu (%llu sent to it already)", len,
		    ike_addr(&sa->remote, a), (unsigned long long)sa->unv_rx,
		    (unsigned long long)sa->unv_tx);
		return -1;
	}
	sa->unv_tx += len;
	return 0;
}

static int
send_raw(struct ike_sa *sa, const uint8_t *p, size_t len)
{
	struct ike	*ike = sa->ike;
	uint8_t		*buf = ike->sendbuf;
	char		 a[INET_ADDRSTRLEN];

	if (!ike->active) {
		ike->st.not_active++;
		return -1;
	}
	if (ntohs(sa->local.sin_port) == IKE_NATT_PORT) {
		/* RFC 3948 2.2: four zero bytes before an IKE message */
		if (len + 4 > sizeof(ike->sendbuf))
			return -1;
		memset(buf, 0, 4);
		memmove(buf + 4, p, len);
		p = buf;
		len += 4;
	}
	if (ike_msg_budget(sa, len) == -1)
		return -1;
	IKE_TRACE(sa, " sending packet to %s my_port %u peer_port %u (%s) %s",
	    ike_addr(&sa->remote, a), ntohs(sa->local.sin_port),
	    ntohs(sa->remote.sin_port), sa->initiator ? "I" : "R",
	    ike_fsm_show(sa->state));
	ike->st.tx++;
	if (ike->io.send(ike->io.arg, &sa->local, &sa->remote, p, len) == -1)
		IKE_TRACE(sa, "sending to %s failed", a);
	return 0;
}

int
ike_msg_resend(struct ike_sa *sa, const uint8_t *p, size_t len)
{
	return send_raw(sa, p, len);
}

void
ike_msg_arm_retx(struct ike_sa *sa, struct ike_qm *qm)
{
	struct ike	*ike = sa->ike;
	int		 tries = qm != NULL ? qm->retries : sa->retries;
	struct ike_timer *t = qm != NULL ? &qm->t_retx : &sa->t_retx;

	ike_timer_set(ike, t, ike_now(ike) + (ike->retx_base_ms << tries));
}

int
ike_msg_send(struct ike_sa *sa, struct ike_wr *wr, int enc, uint8_t *iv,
    struct ike_qm *qm, int keep)
{
	struct wbuf	*w = &wr->w;
	size_t		 bs, body, pad;
	int		 rc = -1;

	if (enc) {
		bs = ike_cipher_block(sa->alg.enc);
		body = w->len - IKE_HDR_LEN;
		/* RFC 2409 5.3: pad to the block; strongSwan's 1..bs zeros */
		pad = bs - body % bs;
		wbuf_put_zero(w, pad);
		if (!wbuf_error(w))
			w->p[19] |= IKE_FLAG_ENC;
	}
	ike_wr_finish(wr);
	if (wbuf_error(w) || w->len > IKE_MAX_MSG) {
		log_warnx(LOG_IKE, "ISAKMP:(%u): message too large to build",
		    sa->conn_id);
		goto done;
	}
	if (enc && ike_cipher(sa->alg.enc, sa->keys.enc, sa->keys.enclen, iv,
	    w->p + IKE_HDR_LEN, w->len - IKE_HDR_LEN, 1) == -1) {
		log_warnx(LOG_IKE, "ISAKMP:(%u): encryption failed",
		    sa->conn_id);
		goto done;
	}
	if (enc)
		sa->encrypted++;
	/* held back (ike_msg_budget): kept all the same, for a duplicate */
	(void)send_raw(sa, w->p, w->len);
	if (keep) {
		uint8_t	**out = qm != NULL ? &qm->out : &sa->out;
		size_t	 *outlen = qm != NULL ? &qm->outlen : &sa->outlen;

		ike_keep_bytes(out, outlen, w->p, w->len);
		if (qm != NULL)
			qm->retries = qm->dup_answers = 0;
		else
			sa->retries = sa->dup_answers = 0;
	}
	rc = 0;
done:
	ike_wr_cleanup(wr);
	return rc;
}

ssize_t
ike_msg_decrypt(struct ike_sa *sa, const uint8_t *msg, size_t len,
    const uint8_t *iv, uint8_t *iv_out)
{
	struct ike	*ike = sa->ike;
	size_t		 bs = ike_cipher_block(sa->alg.enc);
	uint8_t		 ivc[IKE_MAX_BLOCK];

	if (sa->keys.enclen == 0 || bs == 0 || len <= IKE_HDR_LEN ||
	    (len - IKE_HDR_LEN) % bs != 0 || len > sizeof(ike->scratch))
		return -1;
	memcpy(ike->scratch, msg, len);
	memcpy(ivc, iv, bs);
	if (ike_cipher(sa->alg.enc, sa->keys.enc, sa->keys.enclen, ivc,
	    ike->scratch + IKE_HDR_LEN, len - IKE_HDR_LEN, 0) == -1)
		return -1;
	sa->decrypted++;
	memcpy(iv_out, ivc, bs);
	return (ssize_t)len;
}

/*
 * An unprotected notification about sa, within its budget; or, sa NULL,
 * answering the datagram being handled (ike->in_len), no larger than it.
 */
static void
notify_send(struct ike *ike, struct ike_sa *sa,
    const struct sockaddr_in *local, const struct sockaddr_in *remote,
    const uint8_t *icookie, const uint8_t *rcookie, uint16_t type,
    uint8_t proto, const void *spi, uint8_t spisize)
{
	struct ike_wr	 wr;
	uint32_t	 msgid;
	uint64_t	 suppressed;
	char		 a[INET_ADDRSTRLEN];
	uint8_t		*p;
	size_t		 len;

	if (!ike->active)
		return;
	ike_random(&msgid, sizeof(msgid));
	msgid |= 1;
	ike_wr_init(&wr, icookie, rcookie, IKE_EX_INFO, 0, msgid);
	ike_wr_notify(&wr, proto, type, spi, spisize, NULL, 0);
	ike_wr_finish(&wr);
	if (wbuf_error(&wr.w))
		goto done;
	p = wr.w.p;
	len = wr.w.len;
	if (ntohs(local->sin_port) == IKE_NATT_PORT &&
	    len + 4 <= sizeof(ike->sendbuf)) {
		memset(ike->sendbuf, 0, 4);
		memcpy(ike->sendbuf + 4, p, len);
		p = ike->sendbuf;
		len += 4;
	}
	if (sa != NULL && ike_msg_budget(sa, len) == -1)
		goto done;
	/*
	 * Without an SA it answers the datagram being handled, from a
	 * source nothing verified: never more bytes than that datagram
	 */
	if (sa == NULL && len > ike->in_len) {
		ike->st.amp_suppressed++;
		goto done;
	}
	/* unauthenticated answers to unauthenticated input: rate-limited */
	if (!log_ratelimit_ok(&ike->rl_notify, ike_now(ike), 100,
	    &suppressed))
		goto done;
	log_info(LOG_IKE, "ISAKMP: sending notify %s to %s",
	    ike_notify_name(type), ike_addr(remote, a));
	ike->st.notify_sent++;
	ike->st.tx++;
	(void)ike->io.send(ike->io.arg, local, remote, p, len);
done:
	ike_wr_cleanup(&wr);
}

void
ike_msg_notify_plain(struct ike *ike, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *icookie,
    const uint8_t *rcookie, uint16_t type, uint8_t proto, const void *spi,
    uint8_t spisize)
{
	notify_send(ike, NULL, local, remote, icookie, rcookie, type, proto,
	    spi, spisize);
}

void
ike_msg_notify_sa(struct ike_sa *sa, uint16_t type)
{
	notify_send(sa->ike, sa, &sa->local, &sa->remote, sa->icookie,
	    sa->rcookie, type, IKE_PROTO_ISAKMP, NULL, 0);
}

size_t
ike_msg_hash_begin(struct ike_wr *wr, struct ike_sa *sa)
{
	size_t	 s = ike_wr_begin(wr, IKE_PL_HASH);

	wbuf_put_zero(&wr->w, sa->keys.len);
	ike_wr_end(wr, s);
	return s;
}

/*
 * prf(SKEYID_a, M-ID | pre | everything after the HASH payload); when
 * zero_first, a zero octet comes before M-ID (HASH(3) has no "after").
 */
int
ike_msg_hash_fill(struct ike_wr *wr, struct ike_sa *sa, size_t hoff,
    uint32_t msgid, const uint8_t *pre, size_t prelen, int zero_first)
{
	struct wbuf	*w = &wr->w;
	uint8_t		 mid[4], zero = 0, out[IKE_MAX_HASH];
	size_t		 after = hoff + IKE_GEN_LEN + sa->keys.len;
	struct ike_iov	 v[4];
	int		 n = 0;

	if (wbuf_error(w) || after > w->len)
		return -1;
	be32_put(mid, msgid);
	if (zero_first) {
		v[n].p = &zero;
		v[n++].len = 1;
	}
	v[n].p = mid;
	v[n++].len = 4;
	v[n].p = pre;
	v[n++].len = prelen;
	v[n].p = w->p + after;
	v[n++].len = w->len - after;
	if (ike_prf(sa->alg.hash, sa->keys.a, sa->keys.len, v, n, out) == -1)
		return -1;
	memcpy(w->p + hoff + IKE_GEN_LEN, out, sa->keys.len);
	return 0;
}

int
ike_msg_hash_check(struct ike_sa *sa, const struct ike_pls *pls,
    const uint8_t *pre, size_t prelen, uint32_t msgid)
{
	const struct ike_pl *h;
	uint8_t		 mid[4], out[IKE_MAX_HASH];
	const uint8_t	*start, *end;
	struct ike_iov	 v[3];

	/* RFC 2409 5.5: HASH "MUST immediately follow" the header */
	if (pls->n == 0 || pls->pl[0].type != IKE_PL_HASH)
		return -1;
	h = &pls->pl[0];
	if (buf_left(&h->body) != sa->keys.len)
		return -1;
	start = h->raw + h->rawlen;
	end = h->raw + pls->used;
	be32_put(mid, msgid);
	v[0].p = mid;
	v[0].len = 4;
	v[1].p = pre;
	v[1].len = prelen;
	v[2].p = start;
	v[2].len = (size_t)(end - start);
	if (ike_prf(sa->alg.hash, sa->keys.a, sa->keys.len, v, 3, out) == -1)
		return -1;
	return CRYPTO_memcmp(out, buf_cur(&h->body), sa->keys.len) == 0 ?
	    0 : -1;
}
