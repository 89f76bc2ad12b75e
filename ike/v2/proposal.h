/*
 * ike/v2/proposal.h: IKEv2 proposals (RFC 7296 3.3) from the
 * configuration, and the responder's choice among the initiator's,
 * internal to ike/.
 *
 * A proposal here is the wire's in a form the choice can work on: its
 * transforms grouped by type, in the order they came.  The codec fills
 * one from an SA payload and writes one back; this file never sees bytes.
 *
 * The IKE SA: each "crypto ikev2 proposal" of the policy that applies is
 * one proposal, every algorithm of it a transform.  A CHILD SA: each
 * transform-set of the crypto map entry is one ESP proposal (ENCR, INTEG
 * unless GCM, ESN "no", and DH with PFS when the exchange carries a KE).
 *
 * The choice: the initiator's proposals in its order; against each, ours
 * in our order; for each transform type, the first of the initiator's
 * transforms that ours has.  The first pair that has every type wins.
 */
#ifndef HAVPN_IKE_V2_PROPOSAL_H
#define HAVPN_IKE_V2_PROPOSAL_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "ike/v2/crypto.h"
#include "ike/v2/wire.h"

/* Transform types IKE2_T_* (3.3.2); an array index is the type minus 1. */
#define IKE2_NTYPES		5

#define IKE2_MAX_XF		16	/* transforms of one type kept */

struct ike2_xf {
	uint16_t		 id;
	uint16_t		 keybits;	/* the Key Length attribute; 0:
						   none */
};

struct ike2_prop {
	uint8_t			 num;		/* proposal number */
	uint8_t			 proto;		/* IKE2_PROTO_* */
	uint8_t			 spilen;
	uint8_t			 spi[8];
	struct ike2_xf		 xf[IKE2_NTYPES][IKE2_MAX_XF];
	int			 nxf[IKE2_NTYPES];
	int			 unusable;	/* a transform type or attribute
						   we do not know (3.3.6): never
						   chosen */
};

/*
 * Proposal i of a parsed SA payload (a transform marked unusable makes it
 * unusable; transforms past IKE2_MAX_XF of a type are left out).
 */
void		 ike2_prop_from_pl(const struct ike2_sa_pl *, int,
		    struct ike2_prop *);
/* An SA payload of one proposal, p: what a reply carries. */
void		 ike2_prop_to_pl(const struct ike2_prop *, struct ike2_sa_pl *);
/* p added as the SA payload's next proposal (none past IKE2_MAX_PROPS). */
void		 ike2_prop_append_pl(const struct ike2_prop *,
		    struct ike2_sa_pl *);

/* Add a transform; -1 when that type's list is full. */
int		 ike2_prop_add(struct ike2_prop *, int, uint16_t, uint16_t);

/* The offer of one configured IKE proposal.  0 or -1 (nothing usable). */
int		 ike2_prop_from_conf(const struct conf_ikev2_proposal *,
		    struct ike2_prop *);
/*
 * The ESP offer of one transform-set; with PFS (group not 0) a DH
 * transform, for exchanges that carry a KE payload.
 */
int		 ike2_prop_from_tset(const struct conf_transform_set *, int,
		    struct ike2_prop *);

/* What the choice found. */
enum ike2_choice_result {
	IKE2_CHOSEN = 0,
	IKE2_NO_PROPOSAL_CHOSEN,	/* nothing in common */
	IKE2_INVALID_KE,		/* in common, but not the KE's group:
					   ask for want_group */
};

/* The IKE SA's choice. */
struct ike2_ike_choice {
	struct ike2_suite	 suite;
	int			 group;
	int			 want_group;	/* IKE2_INVALID_KE */
	int			 local;		/* index of our proposal */
	struct ike2_prop	 reply;		/* one transform per type, the
						   initiator's number */
};

/*
 * The responder's choice for a new IKE SA (IKE_SA_INIT): offers[0, n)
 * are the initiator's, locals[0, nlocal) ours, ke_group the group of its
 * KE payload.
 */
enum ike2_choice_result ike2_choose_ike(
		    const struct conf_ikev2_proposal *const *, int,
		    const struct ike2_prop *, int, int,
		    struct ike2_ike_choice *);

/* A CHILD SA's choice. */
struct ike2_esp_choice {
	int			 tset;		/* index in the entry's list */
	enum alg_esp_enc	 enc;
	int			 keybits;
	enum alg_esp_auth	 auth;
	int			 group;		/* PFS; 0: none */
	int			 want_group;	/* IKE2_INVALID_KE */
	uint32_t		 peer_spi;	/* the initiator's SPI, host
						   order */
	struct ike2_prop	 reply;
};

/*
 * The responder's choice for a CHILD SA among the entry's transform-sets
 * (tsets[0, ntsets), NULL for a name not defined).  ke_group: the KE
 * payload's group in CREATE_CHILD_SA, 0 without one; pfs_group: the
 * entry's. In IKE_AUTH (ke_group -1) DH transforms are ignored (RFC
 * 7296 1.2: the first CHILD SA takes its keys from the IKE SA's DH).
 */
enum ike2_choice_result ike2_choose_esp(
		    const struct conf_transform_set *const *, int, int,
		    const struct ike2_prop *, int, int,
		    struct ike2_esp_choice *);

#endif
