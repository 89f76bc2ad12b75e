/*
 * show standby [brief]: every group's facts (vrrp/show.c), with the
 * standby the sync channel knows (hasync), as JSON.  The same facts serve
 * both layouts (cli/render_standby.c).
 */
#include <stdio.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "hasync/hasync.h"
#include "vrrp/vrrp.h"

int
cmd_show_standby(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct vrrp_group_info g;
	json_object	*groups = json_object_new_array();
	const char	*leader = NULL, *sb_state = NULL;
	struct in_addr	 sb;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1) {
		json_object_put(groups);
		return -1;
	}
	for (int i = 0; d->vrrp != NULL && i < vrrp_ngroups(d->vrrp); i++) {
		int	 have_sb;

		if (vrrp_group_info(d->vrrp, i, &g) == -1)
			continue;
		if (g.leads)
			leader = g.name;
		have_sb = d->ha != NULL && hasync_standby_peer(d->ha, g.ifname,
		    &sb, &sb_state) == 0;
		json_object_array_add(groups, vrrp_show_group(&g, have_sb ?
		    &sb : NULL, sb_state));
	}
	jadd_str(data, "role", d->vrrp != NULL ?
	    vrrp_role_name(vrrp_role(d->vrrp)) : "init");
	jadd_bool(data, "ready", d->vrrp != NULL ? vrrp_ready(d->vrrp) : 0);
	jadd_str(data, "leader", leader);
	json_object_object_add(data, "groups", groups);
	return 0;
}
