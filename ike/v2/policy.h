/*
 * ike/v2/policy.h: what the IKEv2 configuration says for one IKE SA,
 * internal to ike/: the proposals of the policy that applies to a local
 * address, the profile that answers a peer's identity, the keyring peer
 * that holds its keys, the identity we send.  Pure lookups in a config.
 */
#ifndef HAVPN_IKE_V2_POLICY_H
#define HAVPN_IKE_V2_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "conf/conf.h"
#include "ike/v2/wire.h"

/*
 * An identity kept (the codec's struct ike2_id borrows): ours, or the
 * peer's once authenticated.  id points into it.
 */
#define IKE2_ID_MAX		255

struct ike2_idbuf {
	struct ike2_id		 id;
	uint8_t			 data[IKE2_ID_MAX];
};

/* From a configured identity; NONE gives the address. */
void		 ike2_id_from_conf(const struct conf_ike_id *, struct in_addr,
		    struct ike2_idbuf *);
/* A copy of a parsed identity (truncated to IKE2_ID_MAX). */
void		 ike2_id_keep(const struct ike2_id *, struct ike2_idbuf *);
/* As IOS prints it: "10.0.0.1", "gw.example.net", or "(type N)". */
void		 ike2_id_str(const struct ike2_id *, char *, size_t);

/*
 * The proposals that apply to IKE SAs on this local address, in order:
 * every policy with "match address local" equal to it, else (none
 * matches) every policy without such a line; each policy's proposals in
 * its order, none twice.  Returns how many were written to out (at most
 * max).
 */
int		 ike2_policy_proposals(const struct config *, struct in_addr,
		    const struct conf_ikev2_proposal **, int);

/* The first profile whose "match identity remote" matches id, or NULL. */
const struct conf_ikev2_profile *ike2_profile_for_id(const struct config *,
		    const struct ike2_id *);

/*
 * The peer of the profile's keyring for this remote: the first whose
 * identity is id, else the one whose address and mask hold the remote
 * address, the longest mask first; NULL if none.
 */
const struct conf_ikev2_kpeer *ike2_keyring_peer(const struct config *,
		    const struct conf_ikev2_profile *, struct in_addr,
		    const struct ike2_id *);

#endif
