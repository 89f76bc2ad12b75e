/*
 * IKEv2 message fragmentation (RFC 7383).
 *
 * Both sides say they support it in IKE_SA_INIT (the responder only when
 * the initiator did); `no crypto ikev2 fragmentation` makes havpn never
 * say so, and then it never sends fragments and drops the peer's.
 *
 * Out: an encrypted message whose datagram (IPv4, UDP, the non-ESP marker
 * on 4500) would be larger than the fragment MTU goes as Encrypted
 * Fragment payloads: its inner payloads cut in shares, each sealed on its
 * own under the same header and message ID, Fragment Number 1..Total.
 * A retransmission sends them all again.
 *
 * In: each fragment is authenticated (its ICV) before it is kept, so only
 * the peer can make havpn hold anything; the shares of one message (its
 * message ID, a request or a response: one collection each way) are kept
 * until all Total are there, then the message is handled as if it had
 * come whole.  A fragment with a larger Total starts the collection over
 * (the peer made smaller fragments), one with a smaller Total is dropped
 * (2.6); at most IKE2_FRAG_MAX fragments and IKE2_MAX_MSG bytes in all.
 * A collection is not replicated: after a takeover the peer retransmits
 * every fragment.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/v2/ike2_int.h"

int
ike2_frag_mtu(const struct ike *ike)
{
	int	 mtu = ike->cf != NULL ? ike->cf->v2_frag_mtu : 0;

	return mtu == -1 ? 0 : mtu == 0 ? CONF_V2_FRAG_MTU : mtu;
}

void
ike2_frag_offer(struct ike2_wr *wr, const struct ike *ike)
{
	struct ike2_notify n;

	if (ike2_frag_mtu(ike) == 0)
		return;
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_IKEV2_FRAGMENTATION_SUPPORTED;
	ike2_wr_notify(wr, &n);
}

void
ike2_frag_read(struct ike2_sa *sa, const struct ike2_pls *pls)
{
	sa->frag = ike2_frag_mtu(sa->ike) > 0 && ike2_has_notify(pls,
	    IKE2_N_IKEV2_FRAGMENTATION_SUPPORTED);
}

/* What a datagram adds to a message on the SA's ports. */
static size_t
overhead(const struct ike2_sa *sa)
{
	return 20 + 8 + (ntohs(sa->local.sin_port) == IKE_NATT_PORT ? 4 : 0);
}

int
ike2_frag_needed(const struct ike2_sa *sa, size_t msglen)
{
	size_t	 mtu = (size_t)ike2_frag_mtu(sa->ike);

	return sa->frag && mtu > 0 && msglen + overhead(sa) > mtu;
}

int
ike2_frag_seal(struct ike2_sa *sa, const struct ike2_hdr *h,
    const uint8_t *plain, size_t plainlen, uint8_t np, struct ike2_out *out)
{
	struct ike2_sk	 sk;
	struct wbuf	 o;
	size_t		 mtu = (size_t)ike2_frag_mtu(sa->ike), iv, room,
			 share, n, fixed = overhead(sa) + IKE2_HDR_LEN +
			    IKE2_GEN_LEN + 4;	/* Fragment Number, Total */

	ike2_sk_ours(sa, &sk);
	iv = ike2_sk_iv_len(&sk);
	if (mtu <= fixed)
		return -1;
	room = mtu - fixed;
	/* the largest share whose IV, padding and ICV still fit */
	for (share = room; share > 0 && ike2_sk_body_len(&sk, share) > room;
	    share--)
		;
	if (share == 0)
		return -1;
	n = plainlen == 0 ? 1 : (plainlen + share - 1) / share;
	if (n > IKE2_FRAG_MAX)
		return -1;
	wbuf_init_dyn(&o, n * (mtu + 2));
	for (size_t i = 0; i < n; i++) {
		struct ike2_wr	 wr;
		size_t		 off = i * share, len = plainlen - off, aad;

		if (len > share)
			len = share;
		ike2_wr_init(&wr, h);
		ike2_wr_skf_begin(&wr, i == 0 ? np : IKE2_PL_NONE,
		    (uint16_t)(i + 1), (uint16_t)n, iv);
		wbuf_put_bytes(&wr.w, plain + off, len);
		ike2_wr_enc_finish(&wr, ike2_sk_body_len(&sk, len) - iv - len,
		    &aad);
		if (wbuf_error(&wr.w) || ike2_sk_seal(&sk, wr.w.p, aad, len,
		    NULL) == -1) {
			ike2_wr_cleanup(&wr);
			wbuf_cleanup(&o);
			return -1;
		}
		wbuf_put_be16(&o, (uint16_t)wr.w.len);
		wbuf_put_bytes(&o, wr.w.p, wr.w.len);
		ike2_wr_cleanup(&wr);
	}
	if (wbuf_error(&o)) {
		wbuf_cleanup(&o);
		return -1;
	}
	ike2_out_free(out);
	out->p = xmalloc(o.len);
	memcpy(out->p, o.p, o.len);
	out->len = o.len;
	out->n = (int)n;
	wbuf_cleanup(&o);
	IKE2_TRACE(sa, "message %u of %zu bytes sent in %zu fragments",
	    h->msgid, plainlen, n);
	return 0;
}

static void
reasm_free(struct ike2_sa *sa, int dir)
{
	struct ike2_reasm *r = sa->reasm[dir];

	if (r == NULL)
		return;
	for (int i = 0; i < IKE2_FRAG_MAX; i++)
		if (r->part[i] != NULL) {
			OPENSSL_cleanse(r->part[i], r->partlen[i]);
			free(r->part[i]);
		}
	free(r);
	sa->reasm[dir] = NULL;
}

void
ike2_frag_free(struct ike2_sa *sa)
{
	reasm_free(sa, 0);
	reasm_free(sa, 1);
}

static int
dropped(struct ike2_sa *sa, const struct ike2_hdr *h, const char *why)
{
	sa->ike->v2->st.frags_dropped++;
	ike_warn_input(sa->ike, &sa->remote, "IKEv2 %s fragment: %s: "
	    "dropped", ike2_exchange_name(h->exchange), why);
	return -1;
}

int
ike2_frag_input(struct ike2_sa *sa, const struct ike2_hdr *h,
    const uint8_t *data, size_t len, const struct ike2_pls *outer,
    uint8_t **plain, size_t *plainlen, uint8_t *np)
{
	struct ike	*ike = sa->ike;
	struct ike2	*v2 = ike->v2;
	int		 dir = (h->flags & IKE2_FLAG_R) != 0;
	struct ike2_reasm *r = sa->reasm[dir];
	uint16_t	 num = outer->frag_num, total = outer->frag_total;
	struct ike2_sk	 sk;
	uint8_t		*msg = v2->plain, *p;
	size_t		 plen, off = 0;
	const char	*err;

	if (!sa->frag)
		return dropped(sa, h, "fragmentation was not negotiated");
	if (total > IKE2_FRAG_MAX)
		return dropped(sa, h, "more fragments than havpn takes");
	if (r != NULL && r->msgid == h->msgid && total < r->total) {
		/* 2.6: from before the peer made its fragments smaller */
		v2->st.frags_dropped++;
		return -1;
	}
	/* authentic first: nothing of a forged fragment is kept */
	memcpy(msg, data, len);
	ike2_sk_peers(sa, &sk);
	if (ike2_sk_open(&sk, msg, outer->enc_off, outer->enc_len, &p, &plen,
	    &err) == -1) {
		v2->st.decrypt_fail++;
		ike_warn_input(ike, &sa->remote, "IKEv2 %s fragment: %s: "
		    "dropped", ike2_exchange_name(h->exchange), err);
		return -1;
	}
	sa->last_rx_ms = ike_now(ike);
	if (r != NULL && (r->msgid != h->msgid || total > r->total)) {
		/* another message, or the same in smaller fragments */
		reasm_free(sa, dir);
		r = NULL;
	}
	if (r == NULL) {
		r = sa->reasm[dir] = xcalloc(1, sizeof(*r));
		r->msgid = h->msgid;
		r->total = total;
	}
	if (r->part[num - 1] != NULL)
		return 1;		/* a retransmission's copy */
	if (r->bytes + plen > IKE2_MAX_MSG) {
		reasm_free(sa, dir);
		return dropped(sa, h, "the message is too large");
	}
	r->part[num - 1] = xmalloc(plen > 0 ? plen : 1);
	memcpy(r->part[num - 1], p, plen);
	r->partlen[num - 1] = plen;
	r->bytes += plen;
	r->got++;
	if (num == 1)
		r->np = outer->enc_np;
	v2->st.frags_rx++;
	if (r->got < r->total)
		return 1;
	for (int i = 0; i < r->total; i++) {
		memcpy(msg + off, r->part[i], r->partlen[i]);
		off += r->partlen[i];
	}
	*plain = msg;
	*plainlen = off;
	*np = r->np;
	IKE2_TRACE(sa, "message %u of %zu bytes reassembled from %u "
	    "fragments", h->msgid, off, r->total);
	reasm_free(sa, dir);
	v2->st.frags_reassembled++;
	return 0;
}
