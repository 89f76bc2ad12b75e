/*
 * show standby [brief]: one group's facts as JSON, for both layouts
 * (cli/render_standby.c).  daemon/cmd_standby.c lists the groups and adds
 * what the replication knows of the standby.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "vrrp/vrrp.h"

/*
 * VRRP backups are silent, so the Active router learns of its standby
 * only from the sync channel (sb, sb_state: what the caller learnt
 * there); a node without replication says "unknown".
 */
json_object *
vrrp_show_group(const struct vrrp_group_info *g, const struct in_addr *sb,
    const char *sb_state)
{
	json_object	*o = json_object_new_object(), *tr, *c, *dr;
	char		 mac[32];

	jadd_str(o, "interface", g->ifname);
	jadd_int(o, "group", g->group);
	jadd_str(o, "name", g->name);
	jadd_bool(o, "name_configured", g->name_configured);
	jadd_str(o, "state", vrrp_state_name(g->state));
	jadd_str(o, "vrrp_state", vrrp_rfc_state_name(g->state));
	jadd_bool(o, "link_up", g->link_up);
	jadd_int(o, "state_changes", (int64_t)g->state_changes);
	if (g->last_change_ago_ms == UINT64_MAX)
		json_object_object_add(o, "last_change_ms_ago", NULL);
	else
		jadd_int(o, "last_change_ms_ago",
		    (int64_t)g->last_change_ago_ms);
	jadd_str(o, "last_change_reason", g->last_reason);
	jadd_addr(o, "virtual_ip", g->vip);
	jadd_addr(o, "local_address", g->local);
	snprintf(mac, sizeof(mac), "%02x%02x.%02x%02x.%02x%02x", g->mac[0],
	    g->mac[1], g->mac[2], g->mac[3], g->mac[4], g->mac[5]);
	jadd_str(o, "mac", mac);
	jadd_int(o, "hello_ms", g->hello_ms);
	jadd_int(o, "hold_ms", g->hold_ms);
	jadd_int(o, "master_adver_interval_ms", g->master_adv_ms);
	jadd_int(o, "master_down_interval_us", (int64_t)g->master_down_us);
	jadd_int(o, "skew_us", (int64_t)g->skew_us);
	if (g->next_hello_ms < 0)
		json_object_object_add(o, "next_hello_ms", NULL);
	else
		jadd_int(o, "next_hello_ms", g->next_hello_ms);
	jadd_bool(o, "preempt", g->preempt);
	jadd_int(o, "preempt_delay", g->preempt_delay);
	jadd_bool(o, "preempt_effective", g->preempt_effective);
	jadd_int(o, "priority", g->priority);
	jadd_int(o, "configured_priority", g->configured_priority);
	jadd_bool(o, "ready", g->ready);
	if (g->state == VRRP_STATE_MASTER)
		jadd_str(o, "active_router", "local");
	else if (g->active_known) {
		jadd_addr(o, "active_router", g->active_ip);
		jadd_int(o, "active_priority", g->active_priority);
		jadd_int(o, "active_expires_ms", g->active_expires_ms);
	} else
		jadd_str(o, "active_router", "unknown");
	if (g->state == VRRP_STATE_BACKUP)
		jadd_str(o, "standby_router", "local");
	else if (g->state == VRRP_STATE_MASTER && sb != NULL) {
		jadd_addr(o, "standby_router", *sb);
		jadd_str(o, "standby_known_by", "sync channel");
		jadd_str(o, "standby_rf_state", sb_state);
	} else
		jadd_str(o, "standby_router", "unknown");
	jadd_str(o, "checksum", g->checksum_rfc9568 ? "rfc9568" :
	    "pseudo-header");
	jadd_str(o, "follows", g->leads ? NULL : g->leader);
	jadd_bool(o, "leads", g->leads);
	tr = json_object_new_array();
	for (int k = 0; k < g->ntracks; k++) {
		json_object *t = json_object_new_object();

		jadd_int(t, "id", g->tracks[k].id);
		jadd_str(t, "interface", g->tracks[k].ifname);
		jadd_str(t, "state", g->tracks[k].up ? "Up" : "Down");
		jadd_int(t, "decrement", g->tracks[k].decrement);
		jadd_bool(t, "shutdown", g->tracks[k].shutdown);
		json_object_array_add(tr, t);
	}
	json_object_object_add(o, "tracks", tr);
	c = json_object_new_object();
	jadd_int(c, "adverts_received", (int64_t)g->adverts_rx);
	jadd_int(c, "adverts_sent", (int64_t)g->adverts_tx);
	jadd_int(c, "priority0_received", (int64_t)g->prio0_rx);
	jadd_int(c, "priority0_sent", (int64_t)g->prio0_tx);
	jadd_int(c, "checksum_other_form", (int64_t)g->checksum_other_form);
	jadd_int(c, "interval_mismatch", (int64_t)g->interval_mismatch);
	jadd_int(c, "address_mismatch", (int64_t)g->address_mismatch);
	jadd_int(c, "garp_bursts", (int64_t)g->garps_tx);
	json_object_object_add(o, "counters", c);
	dr = json_object_new_object();
	for (int k = 0; k < VRRP_NDROPS; k++)
		jadd_int(dr, vrrp_drop_names[k], (int64_t)g->if_drops[k]);
	json_object_object_add(o, "interface_drops", dr);
	return o;
}
