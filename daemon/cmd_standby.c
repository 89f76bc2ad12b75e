/*
 * show standby [brief]: the election's facts per group, as JSON.  The
 * same facts serve both layouts (cli/render_standby.c).
 */
#include <stdio.h>

#include "lib/lib.h"
#include "daemon/daemon.h"
#include "vrrp/vrrp.h"

static json_object *
jaddr(struct in_addr a)
{
	char	 s[INET_ADDRSTRLEN];

	return json_object_new_string(addr_str(a, s));
}

static void
add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) :
	    NULL);
}

static void
add_bool(json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static json_object *
group_json(const struct vrrp_group_info *g)
{
	json_object	*o = json_object_new_object(), *tr, *c, *dr;
	char		 mac[32];

	add_str(o, "interface", g->ifname);
	add_int(o, "group", g->group);
	add_str(o, "name", g->name);
	add_bool(o, "name_configured", g->name_configured);
	add_str(o, "state", vrrp_state_name(g->state));
	add_str(o, "vrrp_state", vrrp_rfc_state_name(g->state));
	add_bool(o, "link_up", g->link_up);
	add_int(o, "state_changes", (int64_t)g->state_changes);
	if (g->last_change_ago_ms == UINT64_MAX)
		json_object_object_add(o, "last_change_ms_ago", NULL);
	else
		add_int(o, "last_change_ms_ago",
		    (int64_t)g->last_change_ago_ms);
	add_str(o, "last_change_reason", g->last_reason);
	json_object_object_add(o, "virtual_ip", jaddr(g->vip));
	json_object_object_add(o, "local_address", jaddr(g->local));
	snprintf(mac, sizeof(mac), "%02x%02x.%02x%02x.%02x%02x", g->mac[0],
	    g->mac[1], g->mac[2], g->mac[3], g->mac[4], g->mac[5]);
	add_str(o, "mac", mac);
	add_int(o, "hello_ms", g->hello_ms);
	add_int(o, "hold_ms", g->hold_ms);
	add_int(o, "master_adver_interval_ms", g->master_adv_ms);
	add_int(o, "master_down_interval_us", (int64_t)g->master_down_us);
	add_int(o, "skew_us", (int64_t)g->skew_us);
	if (g->next_hello_ms < 0)
		json_object_object_add(o, "next_hello_ms", NULL);
	else
		add_int(o, "next_hello_ms", g->next_hello_ms);
	add_bool(o, "preempt", g->preempt);
	add_int(o, "preempt_delay", g->preempt_delay);
	add_bool(o, "preempt_effective", g->preempt_effective);
	add_int(o, "priority", g->priority);
	add_int(o, "configured_priority", g->configured_priority);
	add_bool(o, "ready", g->ready);
	if (g->state == VRRP_STATE_MASTER)
		add_str(o, "active_router", "local");
	else if (g->active_known) {
		json_object_object_add(o, "active_router",
		    jaddr(g->active_ip));
		add_int(o, "active_priority", g->active_priority);
		add_int(o, "active_expires_ms", g->active_expires_ms);
	} else
		add_str(o, "active_router", "unknown");
	/* VRRP backups are silent: the Active router cannot know them */
	add_str(o, "standby_router", g->state == VRRP_STATE_BACKUP ?
	    "local" : "unknown");
	add_str(o, "checksum", g->checksum_rfc9568 ? "rfc9568" :
	    "pseudo-header");
	add_str(o, "follows", g->leads ? NULL : g->leader);
	add_bool(o, "leads", g->leads);
	tr = json_object_new_array();
	for (int k = 0; k < g->ntracks; k++) {
		json_object *t = json_object_new_object();

		add_int(t, "id", g->tracks[k].id);
		add_str(t, "interface", g->tracks[k].ifname);
		add_str(t, "state", g->tracks[k].up ? "Up" : "Down");
		add_int(t, "decrement", g->tracks[k].decrement);
		add_bool(t, "shutdown", g->tracks[k].shutdown);
		json_object_array_add(tr, t);
	}
	json_object_object_add(o, "tracks", tr);
	c = json_object_new_object();
	add_int(c, "adverts_received", (int64_t)g->adverts_rx);
	add_int(c, "adverts_sent", (int64_t)g->adverts_tx);
	add_int(c, "priority0_received", (int64_t)g->prio0_rx);
	add_int(c, "priority0_sent", (int64_t)g->prio0_tx);
	add_int(c, "checksum_other_form", (int64_t)g->checksum_other_form);
	add_int(c, "interval_mismatch", (int64_t)g->interval_mismatch);
	add_int(c, "address_mismatch", (int64_t)g->address_mismatch);
	add_int(c, "garp_bursts", (int64_t)g->garps_tx);
	json_object_object_add(o, "counters", c);
	dr = json_object_new_object();
	for (int k = 0; k < VRRP_NDROPS; k++)
		add_int(dr, vrrp_drop_names[k], (int64_t)g->if_drops[k]);
	json_object_object_add(o, "interface_drops", dr);
	return o;
}

int
cmd_show_standby(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct vrrp_group_info g;
	json_object	*groups = json_object_new_array();
	const char	*leader = NULL;

	(void)argv;
	if (argc != 0) {
		json_object_put(groups);
		snprintf(err, errlen, "this command takes no arguments");
		return -1;
	}
	for (int i = 0; d->vrrp != NULL && i < vrrp_ngroups(d->vrrp); i++) {
		if (vrrp_group_info(d->vrrp, i, &g) == -1)
			continue;
		if (g.leads)
			leader = g.name;
		json_object_array_add(groups, group_json(&g));
	}
	add_str(data, "role", d->vrrp != NULL ?
	    vrrp_role_name(vrrp_role(d->vrrp)) : "init");
	add_bool(data, "ready", d->vrrp != NULL ? vrrp_ready(d->vrrp) : 0);
	add_str(data, "leader", leader);
	json_object_object_add(data, "groups", groups);
	return 0;
}
