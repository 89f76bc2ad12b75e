/*
 * Policy: what the configuration says about an ISAKMP peer by its
 * address: its pre-shared key (crypto isakmp key, or the aggressive-mode
 * password of crypto isakmp peer) and whether we initiate Aggressive Mode
 * with it.
 */
#include "ike/ike_int.h"

/* ---- pre-shared keys ----------------------------------------------------- */

/* crypto isakmp key ... address ADDR MASK: the longest mask wins. */
const char *
ike_psk_find(const struct config *cf, struct in_addr peer)
{
	const struct conf_isakmp_key *best = NULL;

	/* set aggressive-mode password: the key for exactly this peer */
	for (int i = 0; i < cf->npeers; i++)
		if (cf->peers[i].addr.s_addr == peer.s_addr &&
		    cf->peers[i].password != NULL)
			return cf->peers[i].password;

	for (int i = 0; i < cf->nkeys; i++) {
		const struct conf_isakmp_key *k = &cf->keys[i];

		if ((peer.s_addr & k->mask.s_addr) !=
		    (k->addr.s_addr & k->mask.s_addr))
			continue;
		if (best == NULL || ntohl(k->mask.s_addr) >
		    ntohl(best->mask.s_addr))
			best = k;
	}
	return best != NULL ? best->key : NULL;
}

/* ---- peers --------------------------------------------------------------- */

const struct conf_isakmp_peer *
ike_peer_aggressive(const struct config *cf, struct in_addr peer)
{
	for (int i = 0; i < cf->npeers; i++)
		if (cf->peers[i].addr.s_addr == peer.s_addr &&
		    cf->peers[i].have_endpoint)
			return &cf->peers[i];
	return NULL;
}
