/*
 * ike/v2/ts.h: traffic selectors (RFC 7296 2.9, 3.13) against the SPD's
 * selectors, internal to ike/.
 *
 * A TS is an address range, a port range and a protocol; an SPD selector
 * (esp/esp.h) is a prefix each way, one port or any, one protocol or any.
 * The data plane holds prefixes, so a narrowed selector is always one:
 * per side, ours whole when one of the initiator's TSs covers it, else
 * the first of its TSs that is a prefix inside ours (a narrower pair, as
 * IKEv1 quick mode takes), else nothing (TS_UNACCEPTABLE).  The first TS
 * of a list may be the packet that triggered the exchange (2.9): a wider
 * TS after it that covers our selector still gives ours whole.
 */
#ifndef HAVPN_IKE_V2_TS_H
#define HAVPN_IKE_V2_TS_H

#include <stdint.h>

#include <netinet/in.h>

#include "esp/esp.h"
#include "ike/v2/wire.h"

/*
 * TSs are the codec's struct ike2_ts; only TS_IPV4_ADDR_RANGE ones are
 * considered (others never match), ports in host order.
 */

/*
 * The TSs of an SPD selector (local -> remote): ts_local for the
 * selector's source, ts_remote for its destination.
 */
void		 ike2_ts_from_sel(const struct esp_selector *,
		    struct ike2_ts *, struct ike2_ts *);

/*
 * As responder: the initiator's TSi (its side: our remote) and TSr (our
 * local side) against our selector sel (local -> remote).  0 with the
 * narrowed selector in out, -1 if they have nothing in common.
 */
int		 ike2_ts_narrow(const struct ike2_ts *, int,
		    const struct ike2_ts *, int, const struct esp_selector *,
		    struct esp_selector *);

/*
 * As initiator: the responder's single TSi/TSr must lie inside what we
 * offered (sel); 0 with the selector they make, or -1.
 */
int		 ike2_ts_accept(const struct ike2_ts *, const struct ike2_ts *,
		    const struct esp_selector *, struct esp_selector *);

#endif
