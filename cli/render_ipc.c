/*
 * "show redundancy inter-device": the first lines follow IOS's
 * show redundancy inter-device; the association block follows IOS's
 * show sctp association parameters (Assoc state, ports, destination
 * addresses with their state and RTO), then havpn's own channel facts:
 * peer node, lanes, streams and drops.
 */
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

static void
print_ms(FILE *out, int64_t ms)
{
	char	 t[32];

	if (ms < 0)
		ms = 0;
	fprintf(out, "%s.%03lld", render_hms(ms / 1000, t, sizeof(t)),
	    (long long)(ms % 1000));
}

static void
print_addrs(FILE *out, json_object *a)
{
	size_t	 n = jlen(a);

	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " " : "",
		    json_object_get_string(json_object_array_get_idx(a, i)));
	fprintf(out, "\n");
}

void
render_redundancy_interdev(json_object *data, FILE *out)
{
	json_object	*ipc = jget(data, "ipc"), *assoc, *local, *peer;
	json_object	*paths, *streams, *drops, *lanes;
	const char	*state = jstr(ipc, "state");
	int		 up = strcmp(state, "up") == 0;

	fprintf(out, "Redundancy inter-device state: %s\n",
	    !jbool(data, "configured") ? "not configured" :
	    up ? "RF_INTERDEV_STATE_COMM" : "RF_INTERDEV_STATE_NO_COMM");
	fprintf(out, "  Scheme: Standby\n");
	fprintf(out, "      Groupname: %s\n", jstr(data, "scheme_group"));
	fprintf(out, "  Peer present: %s\n", up ? "RF_INTERDEV_PEER_COMM" :
	    "RF_INTERDEV_PEER_NO_COMM");
	if (jget(data, "redundancy") != NULL &&
	    jbool(jget(data, "redundancy"), "configured")) {
		json_object *rf = jget(data, "redundancy");

		fprintf(out, "  My state: %s (%lld)   Peer state: %s (%lld)\n",
		    jstr(jget(rf, "my_state"), "name"),
		    (long long)jint(jget(rf, "my_state"), "number"),
		    jstr(jget(rf, "peer_state"), "name"),
		    (long long)jint(jget(rf, "peer_state"), "number"));
	}
	fprintf(out, "  Security: %s\n", jbool(data,
	    "security_key_configured") ? "AES-256-GCM, keys from \"security "
	    "key\" (HKDF-SHA256), fresh per association" : "Not configured "
	    "(the channel stays down)");
	if (!jbool(ipc, "configured")) {
		fprintf(out, "\nIPC zone default: association 1 not "
		    "configured\n");
		return;
	}
	assoc = jget(ipc, "association");
	local = jget(ipc, "local");
	peer = jget(ipc, "peer");
	fprintf(out, "\nIPC zone default, association %lld: channel %s\n",
	    (long long)jint(ipc, "association"), state);
	if (jstr(ipc, "reason")[0] != '\0')
		fprintf(out, "  Reason: %s\n", jstr(ipc, "reason"));
	if (strcmp(jstr(ipc, "transport"), "usrsctp-udp") == 0)
		fprintf(out, "  Transport: SCTP over UDP port %lld (usrsctp, "
		    "RFC 6951)\n", (long long)jint(ipc,
		    "encapsulation_udp_port"));
	else
		fprintf(out, "  Transport: kernel SCTP\n");
	fprintf(out, "  Assoc state: %-12s Uptime: ", jstr(assoc, "state"));
	print_ms(out, jint(assoc, "uptime_ms"));
	fprintf(out, "   Side: %s\n", jstr(assoc, "side"));
	fprintf(out, "  Local port: %-6lld Local addresses: ",
	    (long long)jint(local, "port"));
	print_addrs(out, jget(local, "addresses"));
	fprintf(out, "  Remote port: %-5lld Remote addresses: ",
	    (long long)jint(peer, "port"));
	print_addrs(out, jget(peer, "addresses"));
	fprintf(out, "  Destination addresses:\n");
	paths = jget(assoc, "paths");
	for (size_t i = 0; i < jlen(paths); i++) {
		json_object *p = json_object_array_get_idx(paths, i);

		fprintf(out, "     %s : State: %s%s\n", jstr(p, "remote"),
		    jstr(p, "state"), jbool(p, "primary") ? "   Primary" : "");
		if (jget(p, "rto_ms") != NULL)
			fprintf(out, "      RTO/SRTT: %lld/%lld ms   cwnd: "
			    "%lld   MTU: %lld   via %s\n",
			    (long long)jint(p, "rto_ms"),
			    (long long)jint(p, "srtt_ms"),
			    (long long)jint(p, "cwnd"),
			    (long long)jint(p, "mtu"), jstr(p, "local"));
	}
	fprintf(out, "  RTO min/max: %lld/%lld ms   Path retransmit: %lld   "
	    "Assoc retransmit: %lld\n", (long long)jint(assoc, "rto_min_ms"),
	    (long long)jint(assoc, "rto_max_ms"),
	    (long long)jint(assoc, "path_retransmit"),
	    (long long)jint(assoc, "assoc_retransmit"));
	fprintf(out, "  Num inbound streams: %lld   outbound streams: %lld\n",
	    (long long)jint(assoc, "inbound_streams"),
	    (long long)jint(assoc, "outbound_streams"));
	fprintf(out, "  Local node: %s   incarnation %lld   role %lld\n",
	    jstr(local, "node_id"), (long long)jint(local, "incarnation"),
	    (long long)jint(local, "role"));
	if (jbool(peer, "known"))
		fprintf(out, "  Peer node: %s   incarnation %lld   role %lld"
		    "   restarts seen %lld\n", jstr(peer, "node_id"),
		    (long long)jint(peer, "incarnation"),
		    (long long)jint(peer, "role"),
		    (long long)jint(ipc, "peer_restarts"));
	if (jget(peer, "heartbeat_age_ms") != NULL)
		fprintf(out, "  Heartbeat age: %lld ms\n",
		    (long long)jint(peer, "heartbeat_age_ms"));
	fprintf(out, "  Channel ups: %lld   downs: %lld   association ups: "
	    "%lld   failed handshakes: %lld\n", (long long)jint(ipc, "ups"),
	    (long long)jint(ipc, "downs"),
	    (long long)jint(ipc, "association_ups"),
	    (long long)jint(ipc, "handshakes_failed"));
	if ((lanes = jget(ipc, "lanes")) != NULL)
		fprintf(out, "  Lanes: %lld configured, %lld up (%lld usable "
		    "here), %lld refused\n    state msgs sent %lld, rcvd "
		    "%lld; held for an earlier one: now %lld, at most %lld\n",
		    (long long)jint(lanes, "configured"),
		    (long long)jint(lanes, "up"),
		    (long long)jint(lanes, "usable"),
		    (long long)jint(lanes, "refused"),
		    (long long)jint(lanes, "state_msgs_sent"),
		    (long long)jint(lanes, "state_msgs_received"),
		    (long long)jint(lanes, "held_now"),
		    (long long)jint(lanes, "held_most"));
	fprintf(out, "\n  Stream    Ordered  Msgs sent  Bytes sent  Msgs rcvd  "
	    "Bytes rcvd  Queued  Refused\n");
	streams = jget(ipc, "streams");
	for (size_t i = 0; i < jlen(streams); i++) {
		json_object *s = json_object_array_get_idx(streams, i);

		fprintf(out, "  %-9s %-8s %9lld %11lld %10lld %11lld %7lld "
		    "%8lld\n", jstr(s, "name"), jbool(s, "ordered") ? "yes" :
		    "no", (long long)jint(s, "msgs_sent"),
		    (long long)jint(s, "bytes_sent"),
		    (long long)jint(s, "msgs_received"),
		    (long long)jint(s, "bytes_received"),
		    (long long)jint(s, "queued_msgs"),
		    (long long)(jint(s, "refused_down") +
		    jint(s, "refused_full") + jint(s, "refused_size")));
	}
	drops = jget(ipc, "drops");
	fprintf(out, "\n  Records dropped: bad tag %lld, replay %lld, truncated "
	    "%lld, too large %lld, no key %lld, version %lld, malformed "
	    "%lld, unsealed %lld\n", (long long)jint(drops, "bad_tag"),
	    (long long)jint(drops, "replay"),
	    (long long)jint(drops, "truncated"),
	    (long long)jint(drops, "too_large"),
	    (long long)jint(drops, "no_key"),
	    (long long)jint(drops, "version"),
	    (long long)jint(drops, "malformed"),
	    (long long)jint(drops, "unsealed"));
	if (jget(assoc, "udp_in") != NULL)
		fprintf(out, "  UDP datagrams in %lld, out %lld, bad checksum "
		    "%lld, foreign source %lld\n",
		    (long long)jint(assoc, "udp_in"),
		    (long long)jint(assoc, "udp_out"),
		    (long long)jint(assoc, "udp_bad_checksum"),
		    (long long)jint(assoc, "udp_foreign_source"));
	fprintf(out, "  Associations refused: foreign source %lld, channel "
	    "in use sealed %lld\n", (long long)jint(assoc, "refused_foreign"),
	    (long long)jint(assoc, "refused_sealed"));
}
