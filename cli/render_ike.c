/*
 * IOS layouts of the IKE commands, from the JSON facts only:
 * show crypto isakmp sa [detail], show crypto isakmp policy,
 * show crypto isakmp statistics, show crypto session [detail] (IKEv1
 * and IKEv2 SA lines), and the
 * one-line answers of clear, debug, undebug and test.
 */
#include <limits.h>
#include <string.h>

#include "alg/alg.h"
#include "lib/lib.h"
#include "cli/render.h"

void
render_isakmp_sa(json_object *data, FILE *out)
{
	json_object	*sas = jget(data, "sas");
	size_t		 n = jlen(sas);
	char		 life[48];

	if (!jbool(data, "detail")) {
		fprintf(out, "IPv4 Crypto ISAKMP SA\n");
		fprintf(out, "dst             src             state          "
		    "conn-id status\n");
		for (size_t i = 0; i < n; i++) {
			json_object *sa = json_object_array_get_idx(sas, i);

			fprintf(out, "%-15s %-15s %-15s%7lld %s\n",
			    jstr(sa, "dst"), jstr(sa, "src"),
			    jstr(sa, "state"), (long long)jint(sa, "conn_id"),
			    jstr(sa, "status"));
		}
		fprintf(out, "\nIPv6 Crypto ISAKMP SA\n\n");
		return;
	}
	fprintf(out, "Codes: C - IKE configuration mode, D - Dead Peer "
	    "Detection\n"
	    "       K - Keepalives, N - NAT-traversal\n"
	    "       T - cTCP encapsulation, X - IKE Extended Authentication\n"
	    "       psk - Preshared key, rsig - RSA signature\n"
	    "       renc - RSA encryption\n");
	fprintf(out, "IPv4 Crypto ISAKMP SA\n\n");
	fprintf(out, "C-id  Local           Remote          I-VRF  Status "
	    "Encr Hash   Auth DH Lifetime Cap.\n\n");
	for (size_t i = 0; i < n; i++) {
		json_object *sa = json_object_array_get_idx(sas, i);
		char	 dh[8] = "";

		render_hms(jint(sa, "remaining"), life, sizeof(life));
		if (jint(sa, "group") != 0)
			snprintf(dh, sizeof(dh), "%lld",
			    (long long)jint(sa, "group"));
		fprintf(out, "%-5lld %-15s %-15s        %-6s %-4s %-6s %-4s "
		    "%-2s %-8s %s\n", (long long)jint(sa, "conn_id"),
		    jstr(sa, "local"), jstr(sa, "remote"), jstr(sa, "status"),
		    jstr(sa, "encryption"), jstr(sa, "hash"), jstr(sa, "auth"),
		    dh, jbool(sa, "established") ? life : "",
		    jstr(sa, "capabilities"));
		fprintf(out, "       Engine-id:Conn-id =  SW:%lld\n",
		    (long long)jint(sa, "conn_id"));
		fprintf(out, "       State %s (%s), %s Mode, ports %lld/%lld, "
		    "cookies %s/%s\n", jstr(sa, "state"), jstr(sa, "role"),
		    strcmp(jstr(sa, "exchange"), "main") == 0 ? "Main" :
		    "Aggressive", (long long)jint(sa, "local_port"),
		    (long long)jint(sa, "remote_port"), jstr(sa, "icookie"),
		    jstr(sa, "rcookie"));
		fprintf(out, "\n");
	}
	fprintf(out, "IPv6 Crypto ISAKMP SA\n\n");
}

/* The IOS texts are alg/'s; an unknown word shows as des (the default). */
static const char *
enc_text(const char *enc, int64_t bits, char *buf, size_t len)
{
	const struct alg_cipher *c = alg_enc_by_word(enc);

	if (c == NULL)
		c = alg_enc(ALG_ENC_DES);
	alg_cipher_ios(c, (int)bits, buf, len);
	return buf;
}

static const char *
hash_text(const char *h)
{
	const struct alg_hmac *a = alg_hash_by_word(h);

	return a != NULL ? a->ios : h;
}

static const char *
group_text(int64_t g)
{
	const struct alg_dh *d = g >= 0 && g <= INT_MAX ? alg_dh((int)g) :
	    NULL;

	return d != NULL ? d->ios : "unknown";
}

static void
suite(json_object *p, FILE *out)
{
	char	 e[80];

	fprintf(out, "        encryption algorithm:   %s\n",
	    enc_text(jstr(p, "encryption"), jint(p, "keybits"), e, sizeof(e)));
	fprintf(out, "        hash algorithm:         %s\n",
	    hash_text(jstr(p, "hash")));
	fprintf(out, "        authentication method:  %s\n",
	    strcmp(jstr(p, "auth"), "pre-share") == 0 ? "Pre-Shared Key" :
	    "Rivest-Shamir-Adleman Signature");
	fprintf(out, "        Diffie-Hellman group:   #%2lld (%s)\n",
	    (long long)jint(p, "group"), group_text(jint(p, "group")));
	fprintf(out, "        lifetime:               %lld seconds, no volume "
	    "limit\n", (long long)jint(p, "lifetime"));
}

void
render_isakmp_policy(json_object *data, FILE *out)
{
	json_object	*ps = jget(data, "policies");
	size_t		 n = jlen(ps);

	fprintf(out, "\nGlobal IKE policy\n");
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(ps, i);

		fprintf(out, "Protection suite of priority %lld\n",
		    (long long)jint(p, "priority"));
		suite(p, out);
		if (!jbool(p, "usable"))
			fprintf(out, "        (never offered or accepted by "
			    "havpn: %s)\n", jstr(p, "unusable_reason"));
	}
	fprintf(out, "Default protection suite\n");
	suite(jget(data, "default"), out);
}

void
render_isakmp_stats(json_object *data, FILE *out)
{
	static const struct { const char *key, *text; } rows[] = {
		{ "isakmp_sas", "ISAKMP SAs" },
		{ "halfopen", "  in negotiation (responder)" },
		{ "ipsec_sa_pairs", "IPsec SA pairs" },
		{ "rx", "Messages received" },
		{ "tx", "Messages sent" },
		{ "retransmits", "Retransmissions" },
		{ "duplicates", "Duplicates received" },
		{ "dup_ignored", "  not answered (beyond 5 a message)" },
		{ "p1_ok", "Phase 1 established" },
		{ "p1_fail", "Phase 1 failed" },
		{ "p2_ok", "Phase 2 established" },
		{ "p2_fail", "Phase 2 failed" },
		{ "malformed", "Dropped: malformed" },
		{ "bad_cookie", "Dropped: invalid cookies" },
		{ "decrypt_fail", "Dropped: not decryptable" },
		{ "hash_fail", "Dropped: HASH mismatch" },
		{ "auth_fail", "Authentication failures" },
		{ "no_psk", "Refused: no pre-shared key" },
		{ "no_proposal", "No proposal chosen" },
		{ "bad_id", "Proxy identities refused" },
		{ "halfopen_drop", "Dropped: negotiation limit" },
		{ "aggressive_refused", "Aggressive Mode refused" },
		{ "amp_suppressed", "Not sent: beyond bytes received" },
		{ "replays", "Dropped: message ID reused" },
		{ "rx_dropped", "Dropped: other" },
		{ "not_active", "Ignored while standby" },
		{ "notify_sent", "Notifications sent" },
		{ "notify_rx", "Notifications received" },
		{ "deletes_sent", "Deletes sent" },
		{ "deletes_rx", "Deletes received" },
		{ "dpd_sent", "DPD R-U-THERE sent" },
		{ "dpd_acked", "DPD R-U-THERE-ACK received" },
		{ "dpd_dead", "Peers declared dead" },
	};

	fprintf(out, "IKE is %s\n\n", jbool(data, "active") ? "active" :
	    "standby");
	for (size_t i = 0; i < nitems(rows); i++)
		fprintf(out, "%-32s %lld\n", rows[i].text,
		    (long long)jint(data, rows[i].key));
}

static void
flow_side(json_object *f, const char *a, const char *m, const char *port,
    char *buf, size_t len)
{
	if (strcmp(jstr(f, m), "255.255.255.255") == 0)
		snprintf(buf, len, "host %s", jstr(f, a));
	else
		snprintf(buf, len, "%s/%s", jstr(f, a), jstr(f, m));
	if (jint(f, port) != 0) {
		size_t	 l = strlen(buf);

		snprintf(buf + l, len - l, " port %lld",
		    (long long)jint(f, port));
	}
}

static const char *
proto_text(int64_t p, char *buf, size_t len)
{
	switch (p) {
	case 0:		return "ip";
	case 1:		return "icmp";
	case 6:		return "tcp";
	case 17:	return "udp";
	}
	snprintf(buf, len, "%lld", (long long)p);
	return buf;
}

void
render_crypto_session(json_object *data, FILE *out)
{
	json_object	*ss = jget(data, "sessions");
	size_t		 n = jlen(ss);
	int		 detail = jbool(data, "detail");
	char		 t[48];

	fprintf(out, "Crypto session current status\n\n");
	if (detail)
		fprintf(out, "Code: C - IKE Configuration mode, D - Dead Peer "
		    "Detection\nK - Keepalives, N - NAT-traversal, T - cTCP "
		    "encapsulation\nX - IKE Extended Authentication, F - IKE "
		    "Fragmentation\nR - IKE Auto Reconnect, U - IKE Dynamic "
		    "Route Update\n\n");
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(ss, i);
		json_object *ikes = jget(s, "ike"), *fl = jget(s, "flows");
		size_t	 ni = jlen(ikes);
		size_t	 nf = jlen(fl);

		fprintf(out, "Interface: %s\n", jstr(s, "interface"));
		if (detail) {
			render_hms(jint(s, "uptime"), t, sizeof(t));
			fprintf(out, "Uptime: %s\n", t);
		}
		fprintf(out, "Session status: %s\n", jstr(s, "status"));
		fprintf(out, "Peer: %s port %lld%s\n", jstr(s, "peer"),
		    (long long)jint(s, "port"), detail ?
		    " fvrf: (none) ivrf: (none)" : "");
		if (detail && ni > 0) {
			fprintf(out, "      Phase1_id: %s\n",
			    jstr(json_object_array_get_idx(ikes, 0),
			    "peer_id"));
			fprintf(out, "      Desc: (none)\n");
		}
		for (size_t k = 0; k < ni; k++) {
			json_object *e = json_object_array_get_idx(ikes, k);

			/* an older daemon names no version: IKEv1 */
			fprintf(out, "  %s SA: local %s/%lld remote %s/%lld "
			    "%s\n", jstr(e, "version")[0] != '\0' ?
			    jstr(e, "version") : "IKEv1", jstr(e, "local"),
			    (long long)jint(e, "local_port"), jstr(e, "remote"),
			    (long long)jint(e, "remote_port"),
			    jstr(e, "status"));
			if (detail) {
				render_hms(jint(e, "remaining"), t, sizeof(t));
				fprintf(out, "          Capabilities:%s connid:"
				    "%lld lifetime:%s\n",
				    jstr(e, "capabilities"),
				    (long long)jint(e, "conn_id"), t);
			}
		}
		for (size_t k = 0; k < nf; k++) {
			json_object *f = json_object_array_get_idx(fl, k), *sa;
			char	 a[64], b[64], p[8];

			flow_side(f, "src", "src_mask", "sport", a, sizeof(a));
			flow_side(f, "dst", "dst_mask", "dport", b, sizeof(b));
			fprintf(out, "  IPSEC FLOW: permit %s %s %s\n",
			    proto_text(jint(f, "proto"), p, sizeof(p)), a, b);
			fprintf(out, "        Active SAs: %lld, origin: %s\n",
			    (long long)jint(f, "active_sas"),
			    jstr(f, "origin"));
			if (!detail || (sa = jget(f, "sa")) == NULL)
				continue;
			/* what is left, as show crypto ipsec sa counts it */
			fprintf(out, "        Inbound:  #pkts dec'ed %lld drop "
			    "%lld life (KB/Sec) %lld/%lld\n",
			    (long long)jint(sa, "pkts_in"),
			    (long long)jint(sa, "drops_in"),
			    (long long)jint(sa, "remaining_kbytes_in"),
			    (long long)jint(sa, "remaining_secs"));
			fprintf(out, "        Outbound: #pkts enc'ed %lld drop "
			    "%lld life (KB/Sec) %lld/%lld\n",
			    (long long)jint(sa, "pkts_out"),
			    (long long)jint(sa, "drops_out"),
			    (long long)jint(sa, "remaining_kbytes_out"),
			    (long long)jint(sa, "remaining_secs"));
			fprintf(out, "        Inbound SPI: 0x%08llX, Outbound "
			    "SPI: 0x%08llX\n",
			    (unsigned long long)jint(sa, "spi_in"),
			    (unsigned long long)jint(sa, "spi_out"));
			fprintf(out, "        transform: %s , in use settings "
			    "={%s%s, }, conn id: %lld/%lld%s\n",
			    jstr(sa, "transform"), jstr(sa, "mode"),
			    jbool(sa, "udp_encap") ? " UDP-Encaps" : "",
			    (long long)jint(sa, "conn_in"),
			    (long long)jint(sa, "conn_out"),
			    jbool(sa, "rekeyed") ? " (rekeyed)" : "");
		}
		fprintf(out, "\n");
	}
}

/* clear / debug / undebug / test: what the daemon answered */
void
render_message(json_object *data, FILE *out)
{
	if (jget(data, "message") != NULL)
		fprintf(out, "%s\n", jstr(data, "message"));
	else if (jget(data, "cleared") != NULL)
		fprintf(out, "%lld SA(s) cleared\n",
		    (long long)jint(data, "cleared"));
}
