/*
 * show standby [brief] in the IOS HSRP layout, from the JSON facts only.
 *
 *   eth0 - Group 1
 *     State is Active
 *       2 state changes, last state change 00:01:23
 *     Virtual IP address is 10.0.0.10
 *     ...
 *
 *                        P indicates configured to preempt.
 *                        |
 *   Interface   Grp  Pri P State   Active          Standby         Virtual IP
 *   eth0        1    110 P Active  local           192.168.255.2   10.0.0.10
 *
 * The Active router learns of its standby over the sync channel (VRRP
 * backups do not advertise): the Standby column shows the peer's sync
 * channel address while it reports a STANDBY state, else "unknown".
 */
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

/* "100 msec" or "3 sec", as IOS prints the timers. */
static void
print_timer(FILE *out, int64_t ms)
{
	if (ms % 1000 == 0)
		fprintf(out, "%lld sec", (long long)(ms / 1000));
	else
		fprintf(out, "%lld msec", (long long)ms);
}

static void
render_group(json_object *g, FILE *out)
{
	json_object	*tr = jget(g, "tracks"), *c = jget(g, "counters");
	json_object	*dr = jget(g, "interface_drops");
	const char	*active = jstr(g, "active_router");
	int64_t		 dropped = 0;
	char		 hms[32];

	fprintf(out, "%s - Group %lld\n", jstr(g, "interface"),
	    (long long)jint(g, "group"));
	fprintf(out, "  State is %s%s\n", jstr(g, "state"),
	    jbool(g, "link_up") ? "" : " (interface down)");
	fprintf(out, "    %lld state change%s", (long long)jint(g,
	    "state_changes"), jint(g, "state_changes") == 1 ? "" : "s");
	if (jget(g, "last_change_ms_ago") != NULL)
		fprintf(out, ", last state change %s", render_hms(jint(g,
		    "last_change_ms_ago") / 1000, hms, sizeof(hms)));
	fputc('\n', out);
	if (jstr(g, "last_change_reason")[0] != '\0')
		fprintf(out, "    Last change: %s\n",
		    jstr(g, "last_change_reason"));
	fprintf(out, "  Virtual IP address is %s\n", jstr(g, "virtual_ip"));
	fprintf(out, "  Local MAC address is %s (interface MAC; no virtual "
	    "MAC)\n", jstr(g, "mac"));
	fprintf(out, "  Hello time ");
	print_timer(out, jint(g, "hello_ms"));
	fprintf(out, ", hold time ");
	print_timer(out, jint(g, "hold_ms"));
	fputc('\n', out);
	if (jget(g, "next_hello_ms") != NULL)
		fprintf(out, "    Next hello sent in %.3f secs\n",
		    (double)jint(g, "next_hello_ms") / 1000);
	fprintf(out, "    Master down interval %.3f secs (skew %.3f secs)\n",
	    (double)jint(g, "master_down_interval_us") / 1e6,
	    (double)jint(g, "skew_us") / 1e6);
	if (!jbool(g, "preempt"))
		fprintf(out, "  Preemption disabled\n");
	else if (jint(g, "preempt_delay") > 0)
		fprintf(out, "  Preemption enabled, delay min %lld secs\n",
		    (long long)jint(g, "preempt_delay"));
	else
		fprintf(out, "  Preemption enabled\n");
	if (strcmp(active, "local") == 0 || strcmp(active, "unknown") == 0)
		fprintf(out, "  Active router is %s\n", active);
	else
		fprintf(out, "  Active router is %s, priority %lld (expires in "
		    "%.3f sec)\n", active, (long long)jint(g,
		    "active_priority"),
		    (double)jint(g, "active_expires_ms") / 1000);
	fprintf(out, "  Standby router is %s", jstr(g, "standby_router"));
	if (jget(g, "standby_known_by") != NULL)
		fprintf(out, " (%s peer, %s)", jstr(g, "standby_known_by"),
		    jstr(g, "standby_rf_state"));
	fputc('\n', out);
	fprintf(out, "  Priority %lld (configured %lld%s)\n",
	    (long long)jint(g, "priority"),
	    (long long)jint(g, "configured_priority"),
	    jbool(g, "ready") ? "" : ", not ready");
	for (size_t k = 0; k < jlen(tr); k++) {
		json_object *t = json_object_array_get_idx(tr, k);

		fprintf(out, "    Track object %lld state %s ",
		    (long long)jint(t, "id"), jstr(t, "state"));
		if (jbool(t, "shutdown"))
			fprintf(out, "shutdown\n");
		else
			fprintf(out, "decrement %lld\n",
			    (long long)jint(t, "decrement"));
	}
	fprintf(out, "  Group name is \"%s\" (%s)\n", jstr(g, "name"),
	    jbool(g, "name_configured") ? "cfgd" : "default");
	if (jbool(g, "leads"))
		fprintf(out, "  Leads the node's standby groups\n");
	else if (jget(g, "follows") != NULL)
		fprintf(out, "  Follows group \"%s\"\n", jstr(g, "follows"));
	if (dr != NULL) {
		json_object_object_foreach(dr, key, val) {
			(void)key;
			dropped += json_object_get_int64(val);
		}
	}
	fprintf(out, "  VRRPv3, checksum %s; adverts %lld in, %lld out; "
	    "%lld dropped on %s\n", jstr(g, "checksum"),
	    (long long)jint(c, "adverts_received"),
	    (long long)jint(c, "adverts_sent"), (long long)dropped,
	    jstr(g, "interface"));
}

void
render_standby(json_object *data, FILE *out)
{
	json_object	*groups = jget(data, "groups");

	for (size_t i = 0; i < jlen(groups); i++)
		render_group(json_object_array_get_idx(groups, i), out);
}

void
render_standby_brief(json_object *data, FILE *out)
{
	json_object	*groups = jget(data, "groups");

	fprintf(out, "                     P indicates configured to "
	    "preempt.\n                     |\n");
	fprintf(out, "Interface   Grp  Pri P State   Active          Standby  "
	    "       Virtual IP\n");
	for (size_t i = 0; i < jlen(groups); i++) {
		json_object *g = json_object_array_get_idx(groups, i);

		fprintf(out, "%-11s %-4lld %3lld %c %-7s %-15s %-15s %s\n",
		    jstr(g, "interface"), (long long)jint(g, "group"),
		    (long long)jint(g, "priority"),
		    jbool(g, "preempt") ? 'P' : ' ', jstr(g, "state"),
		    jstr(g, "active_router"), jstr(g, "standby_router"),
		    jstr(g, "virtual_ip"));
	}
}
