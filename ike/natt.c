/*
 * NAT traversal for IKEv1 (RFC 3947) and UDP encapsulation of ESP
 * (RFC 3948): the vendor IDs, NAT-D, the move to port 4500, following a
 * peer whose NAT mapping changed, and NAT keepalives.
 *
 * RFC 3947 3.2: NAT-D = HASH(CKY-I | CKY-R | IP | Port) with the
 * negotiated hash.  The first NAT-D a side sends is the address it sends
 * to, the following ones its own.  A side whose own address does not
 * match the first NAT-D it receives is behind a NAT; a peer whose address
 * matches none of the others is.  Whenever either is, the initiator moves
 * to port 4500 from Main Mode message 5 (Aggressive Mode message 3) on,
 * and Quick Mode negotiates the UDP-Encapsulated modes.
 */
#include <string.h>

#include "ike/ike_int.h"

/* MD5("RFC 3947") */
static const uint8_t vid_rfc3947[16] = {
	0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
	0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f,
};
/* MD5("draft-ietf-ipsec-nat-t-ike-02\n") */
static const uint8_t vid_draft02n[16] = {
	0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
	0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f,
};
/* MD5("draft-ietf-ipsec-nat-t-ike-02") */
static const uint8_t vid_draft02[16] = {
	0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
	0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48,
};
/* MD5("draft-ietf-ipsec-nat-t-ike-03") */
static const uint8_t vid_draft03[16] = {
	0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
	0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56,
};
/* RFC 3706 7: DPD, version 1.0 */
const uint8_t ike_vid_dpd[16] = {
	0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
	0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00,
};

int
ike_natt_vid_kind(const uint8_t *v, size_t len)
{
	if (len != 16)
		return 0;
	if (memcmp(v, vid_rfc3947, 16) == 0)
		return IKE_VID_RFC3947;
	if (memcmp(v, vid_draft02n, 16) == 0 ||
	    memcmp(v, vid_draft02, 16) == 0 ||
	    memcmp(v, vid_draft03, 16) == 0)
		return IKE_VID_DRAFT;
	return 0;
}

/* The initiator offers all it knows; a responder answers with one. */
void
ike_natt_write_vids(struct ike_wr *wr, int which)
{
	if (which == 0 || which == IKE_VID_RFC3947)
		ike_wr_bytes(wr, IKE_PL_VID, vid_rfc3947, 16);
	if (which == 0 || which == IKE_VID_DRAFT) {
		ike_wr_bytes(wr, IKE_PL_VID, vid_draft03, 16);
		ike_wr_bytes(wr, IKE_PL_VID, vid_draft02n, 16);
	}
	if (which == 0)
		ike_wr_bytes(wr, IKE_PL_VID, vid_draft02, 16);
}

uint8_t
ike_natt_pl_natd(const struct ike_sa *sa)
{
	return sa->natt == IKE_VID_DRAFT ? IKE_PL_NATD_DRAFT : IKE_PL_NATD;
}

static int
natd_hash(const struct ike_sa *sa, const struct sockaddr_in *sin,
    uint8_t *out)
{
	struct ike_iov	 v[] = {
		{ sa->icookie, 8 }, { sa->rcookie, 8 },
		{ &sin->sin_addr, 4 }, { &sin->sin_port, 2 },
	};

	return ike_hash(sa->alg.hash, v, 4, out);
}

void
ike_natt_write_natd(struct ike_sa *sa, struct ike_wr *wr)
{
	uint8_t	 h[IKE_MAX_HASH];
	size_t	 hl = ike_hash_len(sa->alg.hash);

	if (sa->natt == 0)
		return;
	if (natd_hash(sa, &sa->remote, h) == 0)
		ike_wr_bytes(wr, ike_natt_pl_natd(sa), h, hl);
	if (natd_hash(sa, &sa->local, h) == 0)
		ike_wr_bytes(wr, ike_natt_pl_natd(sa), h, hl);
}

void
ike_natt_read_natd(struct ike_sa *sa, const struct ike_pls *pls)
{
	uint8_t	 mine[IKE_MAX_HASH], theirs[IKE_MAX_HASH];
	size_t	 hl = ike_hash_len(sa->alg.hash);
	uint8_t	 t = ike_natt_pl_natd(sa);
	int	 first = 1, peer_match = 0, seen = 0;

	if (sa->natt == 0 || natd_hash(sa, &sa->local, mine) == -1 ||
	    natd_hash(sa, &sa->remote, theirs) == -1)
		return;
	for (int i = 0; i < pls->n; i++) {
		const struct ike_pl *pl = &pls->pl[i];

		if (pl->type != t)
			continue;
		IKE_TRACE(NULL, "received payload type %u", t);
		seen++;
		if (buf_left(&pl->body) != hl)
			continue;
		if (first) {
			first = 0;
			if (memcmp(buf_cur(&pl->body), mine, hl) != 0) {
				sa->nat_local = 1;
				IKE_TRACE(sa, " NAT found: this node is "
				    "behind NAT");
			}
			continue;
		}
		if (memcmp(buf_cur(&pl->body), theirs, hl) == 0)
			peer_match = 1;
	}
	if (seen == 0) {
		/* NAT-T announced but no NAT-D: treat as no NAT-T */
		sa->natt = 0;
		return;
	}
	if (!peer_match) {
		sa->nat_remote = 1;
		IKE_TRACE(sa, " His hash no match - peer is behind NAT");
	}
	if (!sa->nat_local && !sa->nat_remote)
		IKE_TRACE(sa, " No NAT Found for self or peer");
}

int
ike_natt_encap(const struct ike_sa *sa)
{
	return sa->natt != 0 && (sa->nat_local || sa->nat_remote);
}

void
ike_natt_float(struct ike_sa *sa)
{
	if (!ike_natt_encap(sa) || ntohs(sa->local.sin_port) == IKE_NATT_PORT)
		return;
	IKE_TRACE(sa, " NAT-T: moving to port %d", IKE_NATT_PORT);
	sa->local.sin_port = htons(IKE_NATT_PORT);
	sa->remote.sin_port = htons(IKE_NATT_PORT);
}

/* RFC 3947 4: the initiator moved to 4500: follow it (answers too). */
void
ike_natt_follow_float(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	if (ntohs(ike->in_local.sin_port) != IKE_NATT_PORT)
		return;
	sa->local.sin_port = htons(IKE_NATT_PORT);
	sa->remote.sin_port = ike->in_remote.sin_port;
}

void
ike_natt_peer_moved(struct ike_sa *sa, const struct sockaddr_in *from)
{
	struct ike	*ike = sa->ike;
	char		 a[INET_ADDRSTRLEN];

	if (sa->remote.sin_port == from->sin_port)
		return;
	log_info(LOG_IKE, "ISAKMP:(%u): peer %s moved from port %u to %u "
	    "(NAT mapping changed)", sa->conn_id, ike_addr(from, a),
	    ntohs(sa->remote.sin_port), ntohs(from->sin_port));
	sa->remote.sin_port = from->sin_port;
	/* the IPsec SAs follow the new mapping */
	for (struct ike_child *c = ike_child_of_peer(ike, from->sin_addr, NULL);
	    c != NULL; c = ike_child_of_peer(ike, from->sin_addr, c)) {
		if (c->local.s_addr != sa->local.sin_addr.s_addr ||
		    c->rport == 0)
			continue;
		c->rport = ntohs(from->sin_port);
		ike_child_update(c);
		ike_emit_ipsec(ike, c, 0, 0);
	}
	ike_emit_isakmp(ike, sa, 0);
}

static void
natka_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_sa	*sa = t->arg;
	static const uint8_t ka = 0xff;

	if (ike->cf->nat_keepalive <= 0 ||
	    ntohs(sa->local.sin_port) != IKE_NATT_PORT)
		return;
	ike->st.tx++;
	(void)ike->io.send(ike->io.arg, &sa->local, &sa->remote, &ka, 1);
	ike_timer_set(ike, t, ike_now(ike) +
	    (uint64_t)ike->cf->nat_keepalive * 1000);
}

/* RFC 3948 4: the side behind the NAT keeps its mapping alive. */
void
ike_natt_keepalive_start(struct ike_sa *sa)
{
	struct ike	*ike = sa->ike;

	sa->t_natka.fn = natka_timeout;
	if (!sa->nat_local || ike->cf->nat_keepalive <= 0)
		return;
	ike_timer_set(ike, &sa->t_natka, ike_now(ike) +
	    (uint64_t)ike->cf->nat_keepalive * 1000);
}
