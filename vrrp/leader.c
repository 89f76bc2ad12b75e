/*
 * Which standby group leads the node (docs/vrrp.md, "Groups move
 * together": a node is active or standby as a whole).  Pure: the
 * configuration in, a group out.
 *
 *   1. "redundancy inter-device" / "scheme standby NAME": group NAME;
 *   2. else the group named by the first interface (in file order) with
 *      "crypto map MAP redundancy NAME": group NAME;
 *   3. else none: every group is an election of its own, as in plain VRRP.
 *
 * With a leader, every other standby group of the node follows it.
 */
#include <stddef.h>

#include "conf/conf.h"
#include "vrrp/vrrp_int.h"

const struct conf_standby *
vrrp_conf_leader(const struct config *cf, const struct conf_interface **ifcp)
{
	const struct conf_standby *sb;

	if (cf->redundancy.line != 0 && cf->redundancy.scheme_group != NULL &&
	    (sb = conf_standby_by_name(cf, cf->redundancy.scheme_group,
	    ifcp)) != NULL)
		return sb;
	for (int i = 0; i < cf->nifaces; i++) {
		const char *name = cf->ifaces[i].redundancy;

		if (name != NULL &&
		    (sb = conf_standby_by_name(cf, name, ifcp)) != NULL)
			return sb;
	}
	*ifcp = NULL;
	return NULL;
}
