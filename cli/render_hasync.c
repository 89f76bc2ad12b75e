/*
 * The replication's show commands in the IOS layout: show redundancy
 * [states] (IOS "show redundancy states": my state = 13 -ACTIVE ...),
 * show redundancy history (the RF history, then failovers and
 * switchovers), show crypto ha (IOS prints the IKE and IPsec VIPs; havpn
 * adds the sync facts).
 */
#include <string.h>
#include <time.h>

#include "lib/lib.h"
#include "cli/render.h"

static void
state_line(FILE *out, const char *label, json_object *st)
{
	fprintf(out, "%15s = %-2lld -%s\n", label, (long long)jint(st,
	    "number"), jstr(st, "name"));
}

static void
print_time(FILE *out, int64_t ms)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;
	char		 buf[32];

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%b %d %H:%M:%S", &tm);
	fprintf(out, "%s.%03lld", buf, (long long)(ms % 1000));
}

void
render_redundancy_states(json_object *data, FILE *out)
{
	json_object	*sw = jget(data, "switchover");

	if (!jbool(data, "configured")) {
		fprintf(out, "Redundancy is not configured (no redundancy "
		    "inter-device with an ipc association)\n");
		return;
	}
	state_line(out, "my state", jget(data, "my_state"));
	state_line(out, "peer state", jget(data, "peer_state"));
	fprintf(out, "%15s = %s\n", "Mode", jstr(data, "mode"));
	fprintf(out, "%15s = %s\n", "Unit ID", jstr(data, "unit_id"));
	if (jstr(data, "peer_unit_id")[0] != '\0')
		fprintf(out, "%15s = %s\n", "Peer unit ID",
		    jstr(data, "peer_unit_id"));
	fprintf(out, "\nRedundancy Mode (Operational) = %s\n",
	    jbool(data, "stateful") ? "Stateful Failover (IPsec)" :
	    "Stateless Failover");
	fprintf(out, "Redundancy Mode (Configured)  = %s\n",
	    jbool(data, "stateful") ? "Stateful Failover (IPsec)" :
	    "Stateless Failover");
	fprintf(out, "Redundancy Scheme             = standby %s\n",
	    jstr(data, "scheme_group"));
	fprintf(out, "    Manual Swact = %s\n", jbool(data, "manual_swact") ?
	    "enabled" : "disabled (the standby is not STANDBY HOT)");
	fprintf(out, "  Communications = %s\n", jbool(data, "communications") ?
	    "Up" : "Down");
	if (jbool(data, "communications") && !jbool(data, "config_match") &&
	    jbool(data, "peer_hello"))
		fprintf(out, "  Crypto configuration = DIFFERS from the peer's "
		    "(no state is synced)\n");
	fprintf(out, "  Election ready = %s\n", jbool(data, "election_ready") ?
	    "yes (configured priority)" : "no (priority 1, no preemption)");
	fprintf(out, "  Bulk sync = %s\n", jstr(data, "bulk"));
	fprintf(out, "  Switchover = %s", jstr(sw, "state"));
	if (jstr(sw, "last_result")[0] != '\0')
		fprintf(out, "; last: %s", jstr(sw, "last_result"));
	fprintf(out, "\n  State changes = %lld, in this role for %lld ms\n",
	    (long long)jint(data, "state_changes"),
	    (long long)jint(data, "role_since_ms_ago"));
}

void
render_redundancy_history(json_object *data, FILE *out)
{
	json_object	*rf = jget(data, "rf_history");
	json_object	*ev = jget(data, "events");
	size_t		 n;

	fprintf(out, "Redundancy Facility (RF) history\n\n");
	n = rf != NULL ? json_object_array_length(rf) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(rf, i);

		fprintf(out, " ");
		print_time(out, jint(c, "time_ms"));
		fprintf(out, ": my state = %s(%lld) -> %s(%lld): %s\n",
		    jstr(jget(c, "from"), "name"),
		    (long long)jint(jget(c, "from"), "number"),
		    jstr(jget(c, "to"), "name"),
		    (long long)jint(jget(c, "to"), "number"),
		    jstr(c, "reason"));
	}
	fprintf(out, "\nFailovers and switchovers\n\n");
	n = ev != NULL ? json_object_array_length(ev) : 0;
	if (n == 0)
		fprintf(out, " none\n");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(ev, i);

		fprintf(out, " ");
		print_time(out, jint(e, "time_ms"));
		fprintf(out, ": %s, %lld.%03lld ms: %s\n", jstr(e, "event"),
		    (long long)(jint(e, "duration_us") / 1000),
		    (long long)(jint(e, "duration_us") % 1000),
		    jstr(e, "reason"));
		fprintf(out, "     IPsec SA pairs %lld, rekeyed %lld, exact "
		    "counters %lld\n", (long long)jint(e, "ipsec_sa_pairs"),
		    (long long)jint(e, "rekeyed"), (long long)jint(e, "exact"));
	}
}

static void
counts(FILE *out, const char *label, json_object *o)
{
	json_object_object_foreach(o, k, v) {
		if (json_object_get_int64(v) == 0)
			continue;
		fprintf(out, "    %-8s %-20s %lld\n", label, k,
		    (long long)json_object_get_int64(v));
		label = "";
	}
}

/*
 * show crypto ha detail: every SA the node holds, one line each, with the
 * facts that must be equal on both nodes (the fingerprints of the keys).
 */
static void
render_crypto_ha_sas(json_object *data, FILE *out)
{
	json_object	*is = jget(data, "isakmp_sa_list");
	json_object	*i2 = jget(data, "ikev2_sa_list");
	json_object	*ps = jget(data, "ipsec_sa_list");

	fprintf(out, "\nISAKMP SAs held: %zu\n", jlen(is));
	for (size_t i = 0; i < jlen(is); i++) {
		json_object *o = json_object_array_get_idx(is, i);

		fprintf(out, "  conn-id %lld: %s/%lld - %s/%lld, cookies %s "
		    "%s\n    lifetime %lld s, %lld s left; DPD seq out %lld in "
		    "%lld; NAT-T %lld; keys/IV fingerprint %s\n",
		    (long long)jint(o, "conn_id"), jstr(o, "local"),
		    (long long)jint(o, "local_port"), jstr(o, "remote"),
		    (long long)jint(o, "remote_port"), jstr(o, "icookie"),
		    jstr(o, "rcookie"), (long long)jint(o, "lifetime"),
		    (long long)jint(o, "remaining"),
		    (long long)jint(o, "dpd_seq_out"),
		    (long long)jint(o, "dpd_seq_in"),
		    (long long)jint(o, "natt"),
		    jstr(o, "keys_iv_fingerprint"));
	}
	if (jlen(i2) > 0)
		fprintf(out, "IKEv2 SAs held: %zu\n", jlen(i2));
	for (size_t i = 0; i < jlen(i2); i++) {
		json_object *o = json_object_array_get_idx(i2, i);

		fprintf(out, "  Tunnel-id %lld: %s/%lld - %s/%lld, SPIs %s %s, "
		    "%s, profile %s\n    lifetime %lld s, %lld s left; message "
		    "IDs in %lld, out from %lld; keys fingerprint %s\n",
		    (long long)jint(o, "conn_id"), jstr(o, "local"),
		    (long long)jint(o, "local_port"), jstr(o, "remote"),
		    (long long)jint(o, "remote_port"), jstr(o, "spii"),
		    jstr(o, "spir"), jint(o, "state") == 2 ? "REKEYED" :
		    "READY", jstr(o, "profile"),
		    (long long)jint(o, "lifetime"),
		    (long long)jint(o, "remaining"),
		    (long long)jint(o, "next_in"),
		    (long long)jint(o, "next_out"),
		    jstr(o, "keys_fingerprint"));
	}
	fprintf(out, "IPsec SA pairs held: %zu\n", jlen(ps));
	for (size_t i = 0; i < jlen(ps); i++) {
		json_object *o = json_object_array_get_idx(ps, i);

		fprintf(out, "  conn-id %lld/%lld (%s %lld): inbound spi "
		    "0x%08llX, outbound spi 0x%08llX, ports %lld/%lld%s\n"
		    "    lifetime %lld s/%lld KB, %lld s left;",
		    (long long)jint(o, "conn_in"),
		    (long long)jint(o, "conn_out"),
		    jint(o, "v2_conn") != 0 ? "IKEv2" : "ISAKMP",
		    (long long)(jint(o, "v2_conn") != 0 ? jint(o, "v2_conn") :
		    jint(o, "isakmp_conn_id")),
		    (unsigned long long)jint(o, "spi_in"),
		    (unsigned long long)jint(o, "spi_out"),
		    (long long)jint(o, "local_port"),
		    (long long)jint(o, "remote_port"),
		    jbool(o, "rekeyed") ? ", rekeyed" : "",
		    (long long)jint(o, "life_secs"),
		    (long long)jint(o, "life_kbytes"),
		    (long long)jint(o, "remaining"));
		if (jget(o, "seq_out") != NULL)
			fprintf(out, " seq out %lld;",
			    (long long)jint(o, "seq_out"));
		if (jget(o, "replay_top") != NULL)
			fprintf(out, " replay top %lld;",
			    (long long)jint(o, "replay_top"));
		fprintf(out, " keys fingerprint %s\n",
		    jstr(o, "keys_fingerprint"));
	}
}

void
render_crypto_ha(json_object *data, FILE *out)
{
	json_object	*vips = jget(data, "vips"), *bulk = jget(data, "bulk");
	json_object	*ctr = jget(data, "counters"), *msgs = jget(data,
			    "messages"), *drops = jget(data, "drops");
	json_object	*maps = jget(ctr, "replay_interval"), *sas = jget(data,
			    "sas");
	size_t		 n = vips != NULL ? json_object_array_length(vips) : 0;

	for (size_t i = 0; i < n; i++)
		fprintf(out, "IKE VIP: %s\n", json_object_get_string(
		    json_object_array_get_idx(vips, i)));
	for (size_t i = 0; i < n; i++)
		fprintf(out, "IPSec VIP: %s\n", json_object_get_string(
		    json_object_array_get_idx(vips, i)));
	fprintf(out, "\nCrypto HA: %s, %s; my state %s (%lld), peer %s "
	    "(%lld)\n", jbool(data, "configured") ? "configured" :
	    "not configured", jbool(data, "stateful") ? "stateful" :
	    "stateless", jstr(jget(data, "my_state"), "name"),
	    (long long)jint(jget(data, "my_state"), "number"),
	    jstr(jget(data, "peer_state"), "name"),
	    (long long)jint(jget(data, "peer_state"), "number"));
	fprintf(out, "  ISAKMP SAs:      %lld local, %lld synced\n",
	    (long long)jint(jget(data, "isakmp_sas"), "local"),
	    (long long)jint(jget(data, "isakmp_sas"), "synced"));
	fprintf(out, "  IKEv2 SAs:       %lld local, %lld synced\n",
	    (long long)jint(jget(data, "ikev2_sas"), "local"),
	    (long long)jint(jget(data, "ikev2_sas"), "synced"));
	fprintf(out, "  IPsec SA pairs:  %lld local, %lld synced\n",
	    (long long)jint(jget(data, "ipsec_sa_pairs"), "local"),
	    (long long)jint(jget(data, "ipsec_sa_pairs"), "synced"));
	fprintf(out, "  Bulk sync: %s, received %lld/%lld ISAKMP %lld/%lld "
	    "IKEv2 %lld/%lld IPsec; last %lld ms (%lld ms from the channel "
	    "up), %lld bytes; sent %lld (asked again %lld), received %lld\n",
	    jstr(bulk, "state"), (long long)jint(bulk, "received_isakmp"),
	    (long long)jint(bulk, "expected_isakmp"),
	    (long long)jint(bulk, "received_ikev2"),
	    (long long)jint(bulk, "expected_ikev2"),
	    (long long)jint(bulk, "received_ipsec"),
	    (long long)jint(bulk, "expected_ipsec"),
	    (long long)(jint(bulk, "last_duration_us") / 1000),
	    (long long)(jint(bulk, "last_channel_up_to_hot_us") / 1000),
	    (long long)jint(bulk, "last_bytes"), (long long)jint(bulk, "sent"),
	    (long long)jint(bulk, "requests_repeated"),
	    (long long)jint(bulk, "received"));
	fprintf(out, "  State queue: %lld records, %lld bytes; besides the "
	    "snapshot %lld records, %lld bytes (bound %lld, %lld bytes); "
	    "coalesced %lld; overflows %lld\n",
	    (long long)jint(bulk, "state_queue_records"),
	    (long long)jint(bulk, "state_queue_bytes"),
	    (long long)jint(bulk, "state_queue_counted_records"),
	    (long long)jint(bulk, "state_queue_counted_bytes"),
	    (long long)jint(bulk, "state_queue_max_records"),
	    (long long)jint(bulk, "state_queue_max_bytes"),
	    (long long)jint(bulk, "state_queue_coalesced"),
	    (long long)jint(bulk, "state_queue_overflows"));
	n = maps != NULL ? json_object_array_length(maps) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(maps, i);

		fprintf(out, "  crypto map %s redundancy replay-interval "
		    "inbound %lld outbound %lld\n", jstr(m, "map"),
		    (long long)jint(m, "inbound"),
		    (long long)jint(m, "outbound"));
	}
	fprintf(out, "  Counters: oldest update %lld ms ago (%lld never "
	    "updated, %lld older than %lld ms); sent %lld, applied %lld\n",
	    (long long)jint(ctr, "oldest_update_ms"),
	    (long long)jint(ctr, "never_updated"), (long long)jint(ctr,
	    "stale"), (long long)jint(ctr, "stale_bound_ms"),
	    (long long)jint(ctr, "sent"), (long long)jint(ctr, "applied"));
	fprintf(out, "  Takeover: %lld counters jumped, %lld exact, %lld "
	    "rekeyed, %lld rekeyed after a split brain\n",
	    (long long)jint(sas, "counters_jumped"),
	    (long long)jint(sas, "counters_exact"),
	    (long long)jint(sas, "rekeys_takeover"),
	    (long long)jint(sas, "rekeys_split_brain"));
	fprintf(out, "  Messages: %lld records (%lld bytes) sent, %lld "
	    "(%lld bytes) received\n", (long long)jint(msgs, "records_sent"),
	    (long long)jint(msgs, "bytes_sent"),
	    (long long)jint(msgs, "records_received"),
	    (long long)jint(msgs, "bytes_received"));
	counts(out, "sent", jget(msgs, "sent"));
	counts(out, "received", jget(msgs, "received"));
	fprintf(out, "  Dropped:\n");
	counts(out, "", drops);
	if (jget(data, "isakmp_sa_list") != NULL)
		render_crypto_ha_sas(data, out);
}
