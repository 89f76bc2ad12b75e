/*
 * IOS layouts of the IKEv2 commands, from the JSON facts only:
 * show crypto ikev2 sa [detailed], show crypto ikev2 session [detailed],
 * show crypto ikev2 stats.  havpn has no VRFs (fvrf/ivrf none/none) and
 * no IPv6 SAs (the IPv6 heading IOS prints stands empty).  Lines of
 * features havpn lacks are printed as IOS prints them unused (AH, CPI,
 * IPComp), as show crypto ipsec sa does.
 */
#include <inttypes.h>
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

static const char ROW[] = "%-10s%-22s%-22s%-21s%-7s\n";

/* The row, the algorithms and the lifetime of an IKE SA. */
static void
ike_sa(FILE *out, json_object *sa)
{
	char	 id[16], l[40], r[40];

	snprintf(id, sizeof(id), "%lld", (long long)jint(sa, "tunnel_id"));
	snprintf(l, sizeof(l), "%s/%lld", jstr(sa, "local"),
	    (long long)jint(sa, "local_port"));
	snprintf(r, sizeof(r), "%s/%lld", jstr(sa, "remote"),
	    (long long)jint(sa, "remote_port"));
	fprintf(out, ROW, id, l, r, "none/none", jstr(sa, "status"));
	fprintf(out, "      Encr: %s, keysize: %lld, PRF: %s, Hash: %s, DH "
	    "Grp:%lld, Auth sign: %s, Auth verify: %s\n",
	    jstr(sa, "encryption"), (long long)jint(sa, "keysize"),
	    jstr(sa, "prf"), jstr(sa, "hash"), (long long)jint(sa, "dh_group"),
	    jstr(sa, "auth_sign"), jstr(sa, "auth_verify"));
	fprintf(out, "      Life/Active Time: %lld/%lld sec\n",
	    (long long)jint(sa, "lifetime"), (long long)jint(sa, "active_time"));
}

/* show ... detailed: SPIs, identities, message IDs, NAT-T, role. */
static void
ike_sa_detail(FILE *out, json_object *sa)
{
	fprintf(out, "      Session-id: %lld\n",
	    (long long)jint(sa, "session_id"));
	fprintf(out, "      Status Description: %s\n",
	    jstr(sa, "status_description"));
	fprintf(out, "      Local spi: %-16s       Remote spi: %s\n",
	    jstr(sa, "local_spi"), jstr(sa, "remote_spi"));
	fprintf(out, "      Local id: %s\n", jstr(sa, "local_id"));
	fprintf(out, "      Remote id: %s\n", jstr(sa, "remote_id"));
	fprintf(out, "      Local req msg id:  %-15lld Remote req msg id:  "
	    "%-10lld\n", (long long)jint(sa, "local_req_msgid"),
	    (long long)jint(sa, "remote_req_msgid"));
	fprintf(out, "      Local next msg id: %-15lld Remote next msg id: "
	    "%-10lld\n", (long long)jint(sa, "local_next_msgid"),
	    (long long)jint(sa, "remote_next_msgid"));
	fprintf(out, "      Local window:      %-15lld Remote window:      "
	    "%-10lld\n", (long long)jint(sa, "local_window"),
	    (long long)jint(sa, "remote_window"));
	if (jint(sa, "fragmentation_mtu") > 0)
		fprintf(out, "      Fragmentation configured, MTU %lld.\n",
		    (long long)jint(sa, "fragmentation_mtu"));
	else
		fprintf(out, "      Fragmentation not negotiated.\n");
	if (!jbool(sa, "nat_local") && !jbool(sa, "nat_remote"))
		fprintf(out, "      NAT-T is not detected  \n");
	if (jbool(sa, "nat_local"))
		fprintf(out, "      NAT-T is detected inside \n");
	if (jbool(sa, "nat_remote"))
		fprintf(out, "      NAT-T is detected outside\n");
	fprintf(out, "      Initiator of SA : %s\n",
	    strcmp(jstr(sa, "role"), "initiator") == 0 ? "Yes" : "No");
}

static void
table_head(FILE *out)
{
	fprintf(out, ROW, "Tunnel-id", "Local", "Remote", "fvrf/ivrf",
	    "Status");
}

void
render_ikev2_sa(json_object *data, FILE *out)
{
	json_object	*sas = jget(data, "sas");
	int		 detail = jbool(data, "detail");

	fprintf(out, " IPv4 Crypto IKEv2  SA \n\n");
	table_head(out);
	for (size_t i = 0; i < jlen(sas); i++) {
		json_object *sa = json_object_array_get_idx(sas, i);

		ike_sa(out, sa);
		if (detail)
			ike_sa_detail(out, sa);
	}
	fprintf(out, "\n IPv6 Crypto IKEv2  SA \n\n");
}

/* "192.168.1.0/0 - 192.168.1.255/65535": a selector side as a range */
static void
child_sa(FILE *out, json_object *c, int detail)
{
	fprintf(out, "Child sa: local selector  %s/%lld - %s/%lld\n",
	    jstr(c, "local_start"), (long long)jint(c, "local_port_start"),
	    jstr(c, "local_end"), (long long)jint(c, "local_port_end"));
	fprintf(out, "          remote selector %s/%lld - %s/%lld\n",
	    jstr(c, "remote_start"), (long long)jint(c, "remote_port_start"),
	    jstr(c, "remote_end"), (long long)jint(c, "remote_port_end"));
	fprintf(out, "          ESP spi in/out: 0x%" PRIX32 "/0x%" PRIX32
	    "  \n", (uint32_t)jint(c, "spi_in"), (uint32_t)jint(c, "spi_out"));
	if (!detail)
		return;
	fprintf(out, "          AH spi in/out: 0x0/0x0  \n");
	fprintf(out, "          CPI in/out: 0x0/0x0  \n");
	fprintf(out, "          Encr: %s, keysize: %lld, esp_hmac: %s\n",
	    jstr(c, "encryption"), (long long)jint(c, "keysize"),
	    jstr(c, "esp_hmac"));
	fprintf(out, "          ah_hmac: None, comp: IPCOMP_NONE, mode %s\n",
	    jstr(c, "mode"));
}

void
render_ikev2_session(json_object *data, FILE *out)
{
	json_object	*ss = jget(data, "sessions");
	int		 detail = jbool(data, "detail");

	fprintf(out, " IPv4 Crypto IKEv2 Session \n\n");
	for (size_t i = 0; i < jlen(ss); i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		json_object *sas = jget(s, "sas");

		fprintf(out, "Session-id:%lld, Status:%s, IKE count:%lld, "
		    "CHILD count:%lld\n\n", (long long)jint(s, "session_id"),
		    jstr(s, "status"), (long long)jint(s, "ike_count"),
		    (long long)jint(s, "child_count"));
		table_head(out);
		for (size_t k = 0; k < jlen(sas); k++) {
			json_object *sa = json_object_array_get_idx(sas, k);
			json_object *cs = jget(sa, "children");

			ike_sa(out, sa);
			if (detail)
				ike_sa_detail(out, sa);
			for (size_t j = 0; j < jlen(cs); j++)
				child_sa(out, json_object_array_get_idx(cs, j),
				    detail);
		}
		fprintf(out, "\n");
	}
	fprintf(out, " IPv6 Crypto IKEv2 Session \n\n");
}

/*
 * IOS's SA counts first (incoming: the peer started the SA; outgoing:
 * havpn did, or a rekey of havpn's made it), then havpn's counters by
 * name.
 */
void
render_ikev2_stats(json_object *data, FILE *out)
{
	static const char RULE[] = "-----------------------------------------"
	    "---------------------------------------\n";
	static const struct { const char *key, *text; } rows[] = {
		{ "rx", "Messages received" },
		{ "retransmits_answered", "Retransmitted requests answered" },
		{ "sa_ok", "IKE SAs established" },
		{ "child_ok", "CHILD SAs established" },
		{ "child_rekeys", "CHILD SA rekeys" },
		{ "ike_rekeys", "IKE SA rekeys" },
		{ "ike_rekeys_ours", "IKE SA rekeys of ours" },
		{ "requests_sent", "Requests sent" },
		{ "requests_retransmitted", "Requests retransmitted" },
		{ "liveness_sent", "Liveness checks sent" },
		{ "peers_dead", "Peers declared dead" },
		{ "deletes_unsent", "CHILD SA Deletes not sent (queue full)" },
		{ "mid_syncs", "Message ID syncs (RFC 6311)" },
		{ "mid_sync_failed", "Message ID syncs failed" },
		{ "nat_keepalives", "NAT keepalives sent" },
		{ "rekeys_failed", "Rekeys of ours failed" },
		{ "rekey_collisions", "Rekey collisions" },
		{ "frags_tx", "Fragments sent (RFC 7383)" },
		{ "frags_rx", "Fragments received" },
		{ "frags_reassembled", "Messages reassembled from fragments" },
		{ "frags_dropped", "Dropped: fragments" },
		{ "auth_fail", "Authentication failures" },
		{ "no_proposal", "No proposal chosen" },
		{ "invalid_ke", "INVALID_KE_PAYLOAD sent" },
		{ "ts_unacceptable", "TS_UNACCEPTABLE sent" },
		{ "malformed", "Dropped: malformed" },
		{ "no_sa", "Dropped: no SA" },
		{ "bad_msgid", "Dropped: message ID outside the window" },
		{ "decrypt_fail", "Dropped: integrity or decryption failed" },
		{ "halfopen_drop", "Dropped: negotiation limit" },
		{ "cookies_sent", "COOKIE challenges sent" },
		{ "cookies_bad", "Dropped: COOKIE not ours" },
		{ "deletes_rx", "Deletes received" },
	};

	fprintf(out, "%s                  Crypto IKEv2 SA Statistics\n%s",
	    RULE, RULE);
	fprintf(out, "System Resource Limit:   0        Max IKEv2 SAs: 0        "
	    "Max in-negotiation: %lld\n",
	    (long long)jint(data, "max_in_negotiation"));
	fprintf(out, "Total incoming IKEv2 SA Count:    %-8lld active:        "
	    "%-8lld negotiating: %lld\n", (long long)jint(data, "sas"),
	    (long long)jint(data, "sas_ready"),
	    (long long)jint(data, "sas_negotiating"));
	fprintf(out, "Total outgoing IKEv2 SA Count:    %-8lld active:        "
	    "%-8lld negotiating: %lld\n", (long long)jint(data,
	    "sas_outgoing"), (long long)jint(data, "sas_outgoing_ready"),
	    (long long)jint(data, "sas_outgoing_negotiating"));
	fprintf(out, "Rejected IKEv2 Requests: %-8lld rsrc low:      0        "
	    "SA limit:    %lld\n", (long long)jint(data, "halfopen_drop"),
	    (long long)jint(data, "halfopen_drop"));
	fprintf(out, "IKEv2 packets dropped at dispatch: %lld\n",
	    (long long)(jint(data, "malformed") + jint(data, "no_sa")));
	fprintf(out, "\nIKE is %s; CHILD SAs: %lld\n",
	    jbool(data, "active") ? "active" : "standby",
	    (long long)jint(data, "child_sas"));
	for (size_t i = 0; i < nitems(rows); i++)
		fprintf(out, "%-40s %lld\n", rows[i].text,
		    (long long)jint(data, rows[i].key));
}
