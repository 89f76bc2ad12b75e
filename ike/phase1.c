/*
 * Phase 1 steps shared by Main Mode and Aggressive Mode (RFC 2409 5 with
 * pre-shared keys): starting an exchange, admitting a responder's
 * negotiation (the half-open limits), the first message and the SA
 * payloads, duplicates, vendor IDs, the KE and nonce, the keys, HASH_I
 * and HASH_R, identities, the end of phase 1 (established or failed), the
 * ISAKMP SA's lifetime timers, and INITIAL-CONTACT.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

/* Unity and XAUTH are recognised only to name them in the trace. */
static const uint8_t vid_unity[16] = {
	0x12, 0xf5, 0xf2, 0x8c, 0x45, 0x71, 0x68, 0xa9,
	0x70, 0x2d, 0x9f, 0xe2, 0x74, 0xcc, 0x01, 0x00,
};
static const uint8_t vid_xauth[8] = {
	0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12,
};

struct ike_sa *
ike_p1_initiate(struct ike *ike, struct in_addr local, struct in_addr peer,
    const char *map, int seq, const char *ifname)
{
	struct sockaddr_in l, r;
	struct ike_sa	*sa;
	const struct conf_isakmp_peer *pe;
	const char	*psk;
	char		 a[INET_ADDRSTRLEN];
	int		 rc;

	if (!ike->active)
		return NULL;
	if ((psk = ike_psk_find(ike->cf, peer)) == NULL) {
		log_warnx(LOG_IKE, "ISAKMP:(0): No pre-shared key with %s: "
		    "add \"crypto isakmp key KEY address %s\"",
		    addr_str(peer, a), a);
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.sin_family = AF_INET;
	l.sin_addr = local;
	l.sin_port = htons(IKE_PORT);
	r = l;
	r.sin_addr = peer;
	sa = ike_sa_new(ike, 1, &l, &r);
	sa->psk = xstrdup(psk);
	snprintf(sa->map, sizeof(sa->map), "%s", map != NULL ? map : "");
	sa->map_seq = seq;
	snprintf(sa->ifname, sizeof(sa->ifname), "%s",
	    ifname != NULL ? ifname : "");
	IKE_TRACE(sa, "found peer pre-shared key matching %s",
	    addr_str(peer, a));
	sa->id_addr = local;
	if ((pe = ike_peer_aggressive(ike->cf, peer)) != NULL) {
		sa->id_addr = pe->endpoint;
		rc = ike_am_start(sa);
	} else {
		IKE_TRACE(sa, "Can not start Aggressive mode, trying Main "
		    "mode.");
		rc = ike_mm_start(sa);
	}
	if (rc == -1) {
		ike_sa_free(sa);
		return NULL;
	}
	return sa;
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
		/*
		 * The oldest unauthenticated negotiation with this address
		 * gives way: a burst spoofing a peer's address must not lock
		 * the peer out once it stops.
		 */
		if ((victim = ike_sa_oldest_evictable(ike,
		    &remote->sin_addr)) != NULL) {
			ike->st.halfopen_drop++;
			if (victim->state != IKE_DEAD && log_ratelimit_ok(
			    &ike->rl_flood, ike_now(ike), 1000, &suppressed))
				log_warnx(LOG_IKE, "ISAKMP: %d negotiations with "
				    "%s in progress: the oldest gives way "
				    "(%llu before)", ike->halfopen_peer_max,
				    ike_addr(remote, a),
				    (unsigned long long)suppressed);
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
	if ((victim = ike_sa_oldest_evictable(ike, NULL)) != NULL) {
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
		ike->st.no_psk++;
		ike_warn_limited(ike, &ike->rl_nopsk, "ISAKMP:(0): No "
		    "pre-shared key with %s: first message dropped",
		    ike_addr(remote, a));
		return NULL;
	}
	sa = ike_sa_new(ike, 0, local, remote);
	ike_sa_set_rcookie(sa, h->icookie);
	ike_sa_halfopen_start(sa);
	sa->unverified = 1;
	ike_msg_budget_rx(sa);
	sa->exchange = exchange;
	sa->psk = xstrdup(psk);
	IKE_TRACE(NULL, " local port %u, remote port %u",
	    ntohs(local->sin_port), ntohs(remote->sin_port));
	IKE_TRACE(sa, "found peer pre-shared key matching %s", a);
	return sa;
}

/*
 * Our vendor IDs: an initiator announces all it has; a responder only
 * what the initiator announced too (one NAT-T kind, DPD), since either
 * capability is used only when both sides announce it (RFC 3947 3, RFC
 * 3706 5.1), and an answer to a source not yet shown to be real should
 * not be larger than what it answers.
 */
void
ike_p1_vids(struct ike_sa *sa, struct ike_wr *wr)
{
	int	 natt = sa->initiator ? 0 : sa->natt;

	if (sa->initiator || natt != 0) {
		ike_natt_write_vids(wr, natt);
		if (natt == 0 || natt == IKE_VID_RFC3947)
			IKE_TRACE(sa, " constructed NAT-T vendor-rfc3947 ID");
		if (natt == 0 || natt == IKE_VID_DRAFT) {
			IKE_TRACE(sa, " constructed NAT-T vendor-03 ID");
			IKE_TRACE(sa, " constructed NAT-T vendor-02 ID");
		}
	}
	if (sa->initiator || sa->peer_dpd)
		ike_wr_bytes(wr, IKE_PL_VID, ike_vid_dpd, sizeof(ike_vid_dpd));
}

static const char *
p1_mode_name(uint8_t exchange)
{
	return exchange == IKE_EX_MAIN ? "Main Mode" : "Aggressive Mode";
}

int
ike_p1_write_sa(struct ike_sa *sa, struct ike_wr *wr, int group)
{
	size_t		 start = wr->w.len;
	int		 n;

	n = ike_p1_build_sa(sa->ike, wr, group);
	/* SAi_b, the SA payload's body the hashes cover (RFC 2409 5) */
	if (!wbuf_error(&wr->w))
		ike_keep_bytes(&sa->sai_b, &sa->sai_len,
		    wr->w.p + start + IKE_GEN_LEN,
		    wr->w.len - start - IKE_GEN_LEN);
	return n;
}

int
ike_p1_send_first(struct ike_sa *sa, struct ike_wr *wr)
{
	int	 mm = sa->exchange == IKE_EX_MAIN;

	IKE_TRACE(sa, "Input = IKE_MESG_FROM_IPSEC, %s",
	    mm ? "IKE_SA_REQ_MM" : "IKE_SA_REQ_AM");
	ike_sa_set_state(sa, mm ? IKE_I_MM1 : IKE_I_AM1);
	IKE_TRACE(sa, " beginning %s exchange", p1_mode_name(sa->exchange));
	sa->retransmit = 1;
	if (ike_msg_send(sa, wr, 0, NULL, NULL, 1) == -1)
		return -1;
	ike_msg_arm_retx(sa, NULL);
	return 0;
}

int
ike_p1_parse_first(struct ike *ike, const struct ike_hdr *h,
    const uint8_t *msg, size_t len, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, struct ike_pls *pls)
{
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if (ike_pls_parse(&b, h->np, 0, pls, &notify, &err) == 0)
		return 0;
	ike->st.malformed++;
	ike_warn_input(ike, remote, "%s message 1 failed its sanity check or "
	    "is malformed: %s", p1_mode_name(h->exchange), err);
	if (notify != 0)
		ike_msg_notify_plain(ike, local, remote, h->icookie,
		    h->rcookie, notify, IKE_PROTO_ISAKMP, NULL, 0);
	return -1;
}

int
ike_p1_respond_sa(struct ike_sa *sa, const struct ike_pls *pls,
    const struct ike_pl *pl, struct ike_sa_pl *spl, const struct ike_xf **x)
{
	struct ike	*ike = sa->ike;
	uint16_t	 notify;
	const char	*err;
	char		 l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	IKE_TRACE(sa, " processing SA payload. message ID = 0");
	if (ike_sa_parse(pl->body, spl, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_p1_fail(sa, notify, err);
		return -1;
	}
	ike_p1_read_vids(sa, pls);
	sa->natt = sa->peer_natt_vid;
	if (ike_p1_choose(sa, spl, &sa->alg, x) == -1) {
		ike->st.no_proposal++;
		ike_warn_limited(ike, &ike->rl_noprop, "ISAKMP:(0): phase 1 "
		    "SA policy not acceptable! (local %s remote %s)",
		    ike_addr(&sa->local, l), ike_addr(&sa->remote, r));
		ike_p1_fail(sa, IKE_N_NO_PROPOSAL_CHOSEN,
		    "no proposal chosen");
		return -1;
	}
	ike_keep_bytes(&sa->sai_b, &sa->sai_len, buf_cur(&pl->body),
	    buf_left(&pl->body));
	return 0;
}

int
ike_p1_accept_sa(struct ike_sa *sa, const struct ike_pls *pls)
{
	struct ike_sa_pl *spl = &sa->ike->sa_pl;
	const struct ike_pl *pl;
	uint16_t	 notify;
	const char	*err;

	if ((pl = ike_pls_find(pls, IKE_PL_SA)) == NULL ||
	    ike_pls_count(pls, IKE_PL_SA) != 1 ||
	    ike_sa_parse(pl->body, spl, &notify, &err) == -1 ||
	    ike_p1_accept_reply(sa, spl, &sa->alg) == -1) {
		sa->ike->st.no_proposal++;
		ike_p1_fail(sa, IKE_N_BAD_PROPOSAL_SYNTAX, "the responder "
		    "chose a transform that was not offered");
		return -1;
	}
	return 0;
}

int
ike_p1_duplicate(struct ike_sa *sa, const uint8_t *msg, size_t len,
    int resend)
{
	if (sa->last_in == NULL || len != sa->last_in_len ||
	    memcmp(msg, sa->last_in, len) != 0)
		return 0;
	sa->ike->st.duplicates++;
	IKE_TRACE(sa, " phase 1 packet is a duplicate of a previous packet.");
	if (sa->out == NULL || !resend)
		return 1;
	if (sa->dup_answers >= IKE_DUP_ANSWERS_MAX) {
		/* more than a peer retransmits: a replay, not answered */
		sa->ike->st.dup_ignored++;
		return 1;
	}
	/* an unverified peer's retransmission may bring a held answer */
	if (ike_msg_resend(sa, sa->out, sa->outlen) == 0)
		sa->dup_answers++;
	return 1;
}

void
ike_p1_read_vids(struct ike_sa *sa, const struct ike_pls *pls)
{
	for (int i = 0; i < pls->n; i++) {
		const struct ike_pl *pl = &pls->pl[i];
		const uint8_t	*v = buf_cur(&pl->body);
		size_t		 len = buf_left(&pl->body);
		int		 k;

		if (pl->type != IKE_PL_VID)
			continue;
		IKE_TRACE(sa, " processing vendor id payload");
		if ((k = ike_natt_vid_kind(v, len)) != 0) {
			IKE_TRACE(sa, " vendor ID is NAT-T %s",
			    k == IKE_VID_RFC3947 ? "RFC 3947" : "draft");
			/* RFC 3947 is preferred over the drafts */
			if (sa->peer_natt_vid != IKE_VID_RFC3947)
				sa->peer_natt_vid = k;
		} else if (len == 16 && memcmp(v, ike_vid_dpd, 14) == 0) {
			IKE_TRACE(sa, " vendor ID is DPD");
			sa->peer_dpd = 1;
		} else if (len >= 14 && memcmp(v, vid_unity, 14) == 0) {
			IKE_TRACE(sa, " vendor ID is Unity");
		} else if (len >= 8 && memcmp(v, vid_xauth, 8) == 0) {
			IKE_TRACE(sa, " vendor ID is XAUTH");
		} else {
			IKE_TRACE(sa, " vendor ID is not known (%zu bytes)",
			    len);
		}
	}
}

/* The peer's KE and nonce (one each), checked against the group. */
int
ike_p1_read_ke_nonce(struct ike_sa *sa, const struct ike_pls *pls,
    uint16_t *notify)
{
	const struct ike_pl *ke = ike_pls_find(pls, IKE_PL_KE);
	const struct ike_pl *no = ike_pls_find(pls, IKE_PL_NONCE);
	size_t		 publen = ike_dh_publen(sa->alg.group);
	size_t		 nlen;
	uint8_t		**gx = sa->initiator ? &sa->gxr : &sa->gxi;

	*notify = IKE_N_PAYLOAD_MALFORMED;
	if (ke == NULL || no == NULL || ike_pls_count(pls, IKE_PL_KE) != 1 ||
	    ike_pls_count(pls, IKE_PL_NONCE) != 1)
		return -1;
	IKE_TRACE(sa, " processing KE payload. message ID = 0");
	if (buf_left(&ke->body) != publen) {
		*notify = IKE_N_INVALID_KEY_INFORMATION;
		return -1;
	}
	IKE_TRACE(sa, " processing NONCE payload. message ID = 0");
	nlen = buf_left(&no->body);
	if (nlen < IKE_NONCE_MIN || nlen > IKE_NONCE_MAX)
		return -1;
	sa->glen = publen;
	free_secret(*gx, publen);
	*gx = xmalloc(publen);
	memcpy(*gx, buf_cur(&ke->body), publen);
	if (sa->initiator) {
		memcpy(sa->nr, buf_cur(&no->body), nlen);
		sa->nrlen = nlen;
	} else {
		memcpy(sa->ni, buf_cur(&no->body), nlen);
		sa->nilen = nlen;
	}
	return 0;
}

/* Our own KE value and nonce. */
static int
p1_own_ke_nonce(struct ike_sa *sa)
{
	size_t		 publen = ike_dh_publen(sa->alg.group);
	uint8_t		**gx = sa->initiator ? &sa->gxi : &sa->gxr;

	if (sa->dh == NULL && (sa->dh = ike_dh_new(sa->alg.group)) == NULL)
		return -1;
	free_secret(*gx, publen);
	*gx = xmalloc(publen);
	memcpy(*gx, ike_dh_pub(sa->dh), publen);
	sa->glen = publen;
	if (sa->initiator) {
		ike_random(sa->ni, IKE_NONCE_LEN);
		sa->nilen = IKE_NONCE_LEN;
	} else {
		ike_random(sa->nr, IKE_NONCE_LEN);
		sa->nrlen = IKE_NONCE_LEN;
	}
	return 0;
}

int
ike_p1_write_ke_nonce(struct ike_sa *sa, struct ike_wr *wr)
{
	if (p1_own_ke_nonce(sa) == -1)
		return -1;
	ike_wr_bytes(wr, IKE_PL_KE, sa->initiator ? sa->gxi : sa->gxr,
	    sa->glen);
	if (sa->initiator)
		ike_wr_bytes(wr, IKE_PL_NONCE, sa->ni, sa->nilen);
	else
		ike_wr_bytes(wr, IKE_PL_NONCE, sa->nr, sa->nrlen);
	return 0;
}

/* g^xy, SKEYID and its children, the first IV (RFC 2409 5, App. B). */
int
ike_p1_keys(struct ike_sa *sa)
{
	uint8_t		 gxy[IKE_MAX_DH];
	const char	*err;
	const uint8_t	*peer = sa->initiator ? sa->gxr : sa->gxi;
	int		 rc = -1;

	if (ike_dh_derive(sa->dh, peer, sa->glen, gxy, &err) == -1) {
		IKE_TRACE(sa, " Diffie-Hellman: %s", err);
		goto done;
	}
	if (ike_kdf_phase1(sa->alg.hash, sa->alg.enc, sa->alg.keybits,
	    sa->psk, strlen(sa->psk), sa->ni, sa->nilen, sa->nr, sa->nrlen,
	    gxy, ike_dh_secretlen(sa->alg.group), sa->icookie, sa->rcookie,
	    &sa->keys) == -1)
		goto done;
	if (ike_iv_phase1(sa->alg.hash, sa->alg.enc, sa->gxi, sa->glen,
	    sa->gxr, sa->glen, sa->iv) == -1)
		goto done;
	ike_sa_assign_conn_id(sa);
	IKE_TRACE(sa, " SKEYID state generated");
	rc = 0;
done:
	OPENSSL_cleanse(gxy, sizeof(gxy));
	return rc;
}

/* HASH_I (responder 0) or HASH_R (responder 1) over an ID body. */
int
ike_p1_hash(struct ike_sa *sa, int responder, const uint8_t *idb,
    size_t idlen, uint8_t *out)
{
	if (!responder)
		return ike_hash_auth(sa->alg.hash, sa->keys.skeyid,
		    sa->keys.len, sa->gxi, sa->glen, sa->gxr, sa->glen,
		    sa->icookie, sa->rcookie, sa->sai_b, sa->sai_len, idb,
		    idlen, out);
	return ike_hash_auth(sa->alg.hash, sa->keys.skeyid, sa->keys.len,
	    sa->gxr, sa->glen, sa->gxi, sa->glen, sa->rcookie, sa->icookie,
	    sa->sai_b, sa->sai_len, idb, idlen, out);
}

size_t
ike_p1_write_id(struct ike_sa *sa, struct ike_wr *wr, uint8_t *body)
{
	struct ike_id	 id;
	uint8_t		 buf[16];
	size_t		 blen;

	ike_p1_id_local(sa, &id, buf);
	blen = ike_p1_id_body(&id, body);
	ike_wr_id(wr, IKE_PL_ID, &id);
	return blen;
}

void
ike_p1_write_hash(struct ike_sa *sa, struct ike_wr *wr, int responder,
    const uint8_t *idb, size_t idlen)
{
	uint8_t		 h[IKE_MAX_HASH];

	if (ike_p1_hash(sa, responder, idb, idlen, h) == -1)
		wr->w.err = 1;
	ike_wr_bytes(wr, IKE_PL_HASH, h, sa->keys.len);
}

int
ike_p1_check_hash(struct ike_sa *sa, int responder, const uint8_t *idb,
    size_t idlen, const struct ike_pl *hp)
{
	uint8_t		 want[IKE_MAX_HASH];

	if (buf_left(&hp->body) != sa->keys.len ||
	    ike_p1_hash(sa, responder, idb, idlen, want) == -1 ||
	    CRYPTO_memcmp(want, buf_cur(&hp->body), sa->keys.len) != 0)
		return -1;
	return 0;
}

/* RFC 2407 4.6.2: in phase 1, protocol and port are 0 or UDP/500. */
void
ike_p1_id_local(struct ike_sa *sa, struct ike_id *id, uint8_t *buf)
{
	if (sa->id_addr.s_addr == INADDR_ANY)
		sa->id_addr = sa->local.sin_addr;
	memcpy(buf, &sa->id_addr, 4);
	id->type = IKE_ID_IPV4_ADDR;
	id->proto = 17;
	id->port = IKE_PORT;
	id->data = buf;
	id->len = 4;
	IKE_TRACE(sa, "SA is doing pre-shared key authentication using id "
	    "type ID_IPV4_ADDR");
}

/* The ID body (type, proto, port, data) as the hash covers it. */
size_t
ike_p1_id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = id->proto;
	out[2] = (uint8_t)(id->port >> 8);
	out[3] = (uint8_t)id->port;
	memcpy(out + 4, id->data, id->len);
	return 4 + id->len;
}

int
ike_p1_read_id(struct ike_sa *sa, const struct ike_pl *pl)
{
	struct ike_id	 id;
	const char	*err;
	char		 a[INET_ADDRSTRLEN];

	IKE_TRACE(sa, " processing ID payload. message ID = 0");
	if (ike_id_parse(pl->body, &id, &err) == -1) {
		IKE_TRACE(sa, " ID payload: %s", err);
		return -1;
	}
	if (log_debug_enabled(LOG_IKE)) {
		IKE_TRACE(sa, " ID payload");
		IKE_TRACE(NULL, "        type         : %u", id.type);
		if (id.type == IKE_ID_IPV4_ADDR) {
			struct in_addr in;

			memcpy(&in, id.data, 4);
			IKE_TRACE(NULL, "        address      : %s",
			    addr_str(in, a));
		}
		IKE_TRACE(NULL, "        protocol     : %u", id.proto);
		IKE_TRACE(NULL, "        port         : %u", id.port);
		IKE_TRACE(NULL, "        length       : %zu", pl->rawlen);
	}
	if (id.type == IKE_ID_IPV4_ADDR)
		memcpy(&sa->peer_id, id.data, 4);
	/* RFC 2407 4.6.2: protocol and port are 0 or UDP and 500/4500 */
	if (!((id.proto == 0 && id.port == 0) || (id.proto == 17 &&
	    (id.port == 0 || id.port == IKE_PORT || id.port == IKE_NATT_PORT))))
		IKE_TRACE(sa, " ID payload protocol %u port %u is unusual",
		    id.proto, id.port);
	return 0;
}

/* ---- the end of phase 1 -------------------------------------------------- */

static void p1_soft_timeout(struct ike *, struct ike_timer *);
static void p1_hard_timeout(struct ike *, struct ike_timer *);

void
ike_sa_timers_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	uint64_t	 now = ike_now(ike), life;

	sa->t_soft.fn = p1_soft_timeout;
	sa->t_hard.fn = p1_hard_timeout;
	if (sa->expire_ms == 0)
		sa->expire_ms = now + (uint64_t)sa->alg.lifetime * 1000;
	life = sa->expire_ms > now ? sa->expire_ms - now : 0;
	ike_timer_set(ike, &sa->t_hard, sa->expire_ms);
	/* the initiator renews at 90 % while IPsec SAs depend on it */
	if (sa->initiator)
		ike_timer_set(ike, &sa->t_soft, now + life * 9 / 10);
	ike_dpd_start(sa);
	ike_natt_keepalive_start(sa);
}

void
ike_p1_established(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN], enc[32];

	ike_addr(&sa->remote, a);
	ike_sa_set_state(sa, IKE_P1_COMPLETE);
	IKE_TRACE(sa, "SA authentication status:");
	IKE_TRACE(NULL, "        authenticated");
	IKE_TRACE(sa, "SA has been authenticated with %s", a);
	sa->established = 1;
	sa->unverified = 0;
	sa->established_ms = sa->last_rx_ms = ike_now(ike);
	ike_sa_halfopen_done(sa);
	ike_timer_stop(ike, &sa->t_retx);
	sa->retransmit = 0;
	ike_sa_drop_exchange(sa);
	ike->st.p1_ok++;
	/* "aes 256", "3des": a cipher of one key length has no number */
	if (sa->alg.keybits != 0)
		snprintf(enc, sizeof(enc), "%s %d", alg_enc_word(sa->alg.enc),
		    sa->alg.keybits);
	else
		snprintf(enc, sizeof(enc), "%s", alg_enc_word(sa->alg.enc));
	log_info(LOG_IKE, "ISAKMP:(%u): phase 1 with %s complete (%s, %s "
	    "%s, group %d, %u s%s%s)", sa->conn_id, a,
	    p1_mode_name(sa->exchange), enc,
	    alg_hash_word(sa->alg.hash), sa->alg.group,
	    sa->alg.lifetime, ike_natt_encap(sa) ? ", NAT-T" : "",
	    sa->peer_dpd ? ", DPD" : "");
	ike_sa_timers_start(sa);
	if (sa->initial_contact)
		ike_p1_initial_contact(sa);
	ike_emit_isakmp(ike, sa, 1);
	ike_qm_run_pending(sa);
}

/*
 * The address got our answer, so it is real (our responder cookie is
 * random, and went nowhere else): what we send there is no longer bounded
 * by what it sent.  An Aggressive Mode responder still waiting for message
 * 3 now resends message 2 on its timer, as before the source was known:
 * without message 3 the initiator believes phase 1 complete and never
 * repeats message 1.  If what came is not message 3 (a Quick Mode, an
 * Informational: message 3 was lost), message 2 goes again at once.
 * The address alone counts, not the port: under NAT-T the initiator sends
 * message 3 from port 4500.
 */
void
ike_p1_source_verified(struct ike_sa *sa, uint8_t exchange)
{
	sa->unverified = 0;
	IKE_TRACE(sa, " the peer's address returned our cookie: verified");
	if (sa->state != IKE_R_AM2 || sa->out == NULL)
		return;
	sa->retransmit = 1;
	sa->retries = 0;
	if (exchange != IKE_EX_AGGRESSIVE)
		(void)ike_msg_resend(sa, sa->out, sa->outlen);
	ike_msg_arm_retx(sa, NULL);
}

void
ike_p1_fail_auth(struct ike_sa *sa, const char *what)
{
	char	 a[INET_ADDRSTRLEN], why[160];

	sa->ike->st.auth_fail++;
	snprintf(why, sizeof(why), "%s: the pre-shared keys for %s differ",
	    what, ike_addr(&sa->remote, a));
	ike_p1_fail(sa, IKE_N_AUTHENTICATION_FAILED, why);
}

void
ike_p1_fail(struct ike_sa *sa, uint16_t notify, const char *why)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	ike->st.p1_fail++;
	/* a responder not yet authenticated may be anyone's spoof */
	if (sa->halfopen)
		ike_warn_limited(ike, &ike->rl_p1fail, "ISAKMP:(%u): phase 1 "
		    "with %s failed in %s: %s", sa->conn_id,
		    ike_addr(&sa->remote, a), ike_fsm_show(sa->state), why);
	else
		log_warnx(LOG_IKE, "ISAKMP:(%u): phase 1 with %s failed in "
		    "%s: %s", sa->conn_id, ike_addr(&sa->remote, a),
		    ike_fsm_show(sa->state), why);
	if (notify != 0)
		ike_msg_notify_sa(sa, notify);
	/* nothing was agreed on yet: nothing to keep */
	if (sa->state == IKE_R_MM1 || sa->state == IKE_R_AM1) {
		ike_sa_destroy(sa, why);
		return;
	}
	IKE_TRACE(sa, "deleting SA reason \"%s\" state (%s) %s (peer %s)",
	    why, sa->initiator ? "I" : "R", ike_fsm_show(sa->state), a);
	/*
	 * The peer will retransmit into this SA: it stays, dead and silent,
	 * for a while instead of drawing INVALID-COOKIE answers.  A
	 * responder's keeps its half-open slot, so failures cannot pile up
	 * beyond the negotiation limits (and are the first to give way).
	 */
	sa->state = IKE_DEAD;
	sa->retransmit = 0;
	ike_sa_drop_exchange(sa);
	ike_timer_stop(ike, &sa->t_soft);
	ike_timer_stop(ike, &sa->t_hard);
	ike_timer_stop(ike, &sa->t_dpd);
	ike_timer_stop(ike, &sa->t_natka);
	ike_timer_set(ike, &sa->t_retx, ike_now(ike) + IKE_NEG_TIMEOUT_MS);
}

/*
 * RFC 2407 4.6.3.3: the peer has no state with us any more; what we hold
 * with it (other ISAKMP SAs, IPsec SAs) goes, without Delete messages.
 */
void
ike_p1_initial_contact(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	struct ike_sa	*o, *next;
	struct in_addr	 peer = sa->remote.sin_addr;
	char		 l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	IKE_TRACE(sa, " Process initial contact,");
	log_info(LOG_IKE, "ISAKMP:(%u): initial contact: bring down existing "
	    "phase 1 and 2 SA's with local %s remote %s remote port %u",
	    sa->conn_id, ike_addr(&sa->local, l), ike_addr(&sa->remote, r),
	    ntohs(sa->remote.sin_port));
	for (o = ike_sa_of_peer(ike, peer, NULL); o != NULL; o = next) {
		next = ike_sa_of_peer(ike, peer, o);
		if (o == sa || o->local.sin_addr.s_addr !=
		    sa->local.sin_addr.s_addr)
			continue;
		ike_sa_destroy(o, "initial contact");
		next = ike_sa_of_peer(ike, peer, NULL);
	}
	ike_children_of_peer_delete(ike, sa->local.sin_addr,
	    sa->remote.sin_addr, 0, "initial contact");
}

int
ike_p1_write_initial_contact(struct ike_sa *sa, struct ike_wr *wr)
{
	uint8_t		 spi[IKE_SA_SPI_LEN];

	if (sa->ike->no_initial_contact || ike_p1_have_state_with(sa))
		return 0;
	ike_sa_spi(sa, spi);
	ike_wr_notify(wr, IKE_PROTO_ISAKMP, IKE_N_INITIAL_CONTACT, spi,
	    IKE_SA_SPI_LEN, NULL, 0);
	return 1;
}

/* Do we hold anything with this peer (then no INITIAL-CONTACT)? */
int
ike_p1_have_state_with(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;
	struct in_addr	 peer = sa->remote.sin_addr;

	for (struct ike_sa *o = ike_sa_of_peer(ike, peer, NULL); o != NULL;
	    o = ike_sa_of_peer(ike, peer, o))
		if (o != sa && o->established)
			return 1;
	return ike_child_of_peer(ike, peer, NULL) != NULL;
}

static void
p1_soft_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_sa	*sa = t->arg;
	struct in_addr	 peer = sa->remote.sin_addr;
	int		 needed = 0;

	for (struct ike_child *c = ike_child_of_peer(ike, peer, NULL);
	    c != NULL && !needed; c = ike_child_of_peer(ike, peer, c))
		needed = !c->rekeyed;
	if (!needed || ike_sa_find_negotiating(ike, sa->local.sin_addr,
	    sa->remote.sin_addr) != NULL)
		return;
	/* renew: a newer established SA takes over the Quick Modes */
	if (ike_sa_find_peer(ike, sa->local.sin_addr, sa->remote.sin_addr) !=
	    sa)
		return;
	IKE_TRACE(sa, " renewing phase 1 before it expires");
	(void)ike_p1_initiate(ike, sa->local.sin_addr, sa->remote.sin_addr,
	    sa->map, sa->map_seq, sa->ifname);
}

static void
p1_hard_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_sa	*sa = t->arg;
	char		 a[INET_ADDRSTRLEN];

	(void)ike;
	log_info(LOG_IKE, "ISAKMP:(%u): phase 1 SA with %s expired",
	    sa->conn_id, ike_addr(&sa->remote, a));
	ike_isakmp_delete(sa, 1, "lifetime expired");
}
