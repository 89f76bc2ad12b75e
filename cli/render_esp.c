/*
 * show crypto ipsec sa, in the IOS layout of the seeds (IOS 15):
 * per interface and crypto map tag, one block per protected flow with its
 * counters, endpoints and its inbound and outbound ESP SAs.  Lines that
 * IOS prints for features havpn does not have (compression, AH, PCP) are
 * printed as IOS prints them when unused, so scripts that parse IOS
 * output keep working; havpn's own counters (replay, verify and identity
 * failures) follow the #send errors line.
 */
#include <inttypes.h>
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

static void
spi(FILE *out, int64_t v)
{
	fprintf(out, "0x%" PRIX32 "(%" PRIu32 ")", (uint32_t)v, (uint32_t)v);
}

static void
ident(FILE *out, const char *label, json_object *o)
{
	fprintf(out, "   %s ident (addr/mask/prot/port): (%s/%s/%lld/%lld)\n",
	    label, jstr(o, "addr"), jstr(o, "mask"),
	    (long long)jint(o, "prot"), (long long)jint(o, "port"));
}

static void
sas(FILE *out, const char *dir, json_object *arr)
{
	size_t	 n = jlen(arr);

	fprintf(out, "     %s esp sas:\n", dir);
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		fprintf(out, "%s      spi: ", i > 0 ? "\n" : "");
		spi(out, jint(s, "spi"));
		fprintf(out, "\n        transform: %s ,\n",
		    jstr(s, "transform"));
		fprintf(out, "        in use settings ={%s%s, %s}\n",
		    jstr(s, "mode"), jbool(s, "udp_encap") ? " UDP-Encaps" : "",
		    jbool(s, "esn") ? "ESN, " : "");
		fprintf(out, "        conn id: %lld, flow_id: SW:%lld, "
		    "crypto map: %s\n", (long long)jint(s, "conn_id"),
		    (long long)jint(s, "conn_id"), jstr(s, "crypto_map"));
		fprintf(out, "        sa timing: remaining key lifetime "
		    "(k/sec): (%lld/%lld)\n",
		    (long long)jint(s, "remaining_kbytes"),
		    (long long)jint(s, "remaining_seconds"));
		fprintf(out, "        IV size: %lld bytes\n",
		    (long long)jint(s, "iv_size"));
		fprintf(out, "        replay detection support: %s\n",
		    jbool(s, "replay_detection") ? "Y" : "N");
		if (jget(s, "replay_window") != NULL)
			fprintf(out, "        replay window size: %lld\n",
			    (long long)jint(s, "replay_window"));
		fprintf(out, "        Status: %s\n", jstr(s, "status"));
	}
	fprintf(out, "\n     %s ah sas:\n\n     %s pcp sas:\n\n", dir, dir);
}

/*
 * show crypto ipsec sa detail: the drop counters one by one, in IOS's
 * words where IOS has the counter (invalid prot: havpn's malformed, bad
 * padding and next-header drops of the inbound SAs).
 */
static void
flow_detail(FILE *out, json_object *f)
{
	json_object	*in = jget(f, "inbound_esp_sas");
	long long	 other = 0;

	for (size_t i = 0; i < jlen(in); i++)
		other += (long long)jint(json_object_array_get_idx(in, i),
		    "other_drops");
	fprintf(out, "    #pkts encaps failed (send) %lld, #pkts decaps "
	    "failed (rcv) %lld\n", (long long)jint(f, "send_errors"),
	    (long long)jint(f, "recv_errors"));
	fprintf(out, "    #pkts invalid prot (recv) %lld, #pkts verify "
	    "failed: %lld\n", other, (long long)jint(f, "auth_failures"));
	fprintf(out, "    #pkts invalid identity (recv) %lld\n",
	    (long long)jint(f, "selector_drops"));
	fprintf(out, "    ##pkts replay failed (rcv): %lld\n\n",
	    (long long)jint(f, "replay_drops"));
}

static void
flow(FILE *out, json_object *f, int detail)
{
	fprintf(out, "   protected vrf: (none)\n");
	ident(out, "local ", jget(f, "local_ident"));
	ident(out, "remote", jget(f, "remote_ident"));
	fprintf(out, "   current_peer %s port %lld\n", jstr(f, "peer"),
	    (long long)jint(f, "peer_port"));
	fprintf(out, "     PERMIT, flags={origin_is_acl,}\n");
	fprintf(out, "    #pkts encaps: %lld, #pkts encrypt: %lld, "
	    "#pkts digest: %lld\n", (long long)jint(f, "pkts_encaps"),
	    (long long)jint(f, "pkts_encrypt"),
	    (long long)jint(f, "pkts_digest"));
	fprintf(out, "    #pkts decaps: %lld, #pkts decrypt: %lld, "
	    "#pkts verify: %lld\n", (long long)jint(f, "pkts_decaps"),
	    (long long)jint(f, "pkts_decrypt"),
	    (long long)jint(f, "pkts_verify"));
	fprintf(out, "    #pkts compressed: 0, #pkts decompressed: 0\n"
	    "    #pkts not compressed: 0, #pkts compr. failed: 0\n"
	    "    #pkts not decompressed: 0, #pkts decompress failed: 0\n");
	if (detail)
		flow_detail(out, f);
	else {
		fprintf(out, "    #send errors %lld, #recv errors %lld\n",
		    (long long)jint(f, "send_errors"),
		    (long long)jint(f, "recv_errors"));
		fprintf(out, "    #pkts replay failed (rcv): %lld, #pkts "
		    "verify failed: %lld, #pkts invalid identity (rcv): "
		    "%lld\n\n",
		    (long long)jint(f, "replay_drops"),
		    (long long)jint(f, "auth_failures"),
		    (long long)jint(f, "selector_drops"));
	}
	fprintf(out, "     local crypto endpt.: %s, remote crypto endpt.: %s\n",
	    jstr(f, "local_crypto_endpt"), jstr(f, "remote_crypto_endpt"));
	fprintf(out, "     current outbound spi: ");
	spi(out, jint(f, "current_outbound_spi"));
	fprintf(out, "\n     PFS (Y/N): %s, DH group: %s\n\n",
	    jbool(f, "pfs") ? "Y" : "N", jstr(f, "dh_group"));
	sas(out, "inbound", jget(f, "inbound_esp_sas"));
	sas(out, "outbound", jget(f, "outbound_esp_sas"));
}

void
render_ipsec_sa(json_object *data, FILE *out)
{
	json_object	*ifs = jget(data, "interfaces");
	size_t		 n = jlen(ifs);
	int		 detail = strcmp(jstr(data, "view"), "detail") == 0;

	for (size_t i = 0; i < n; i++) {
		json_object *io = json_object_array_get_idx(ifs, i);
		json_object *fl = jget(io, "flows");
		size_t	 nf = jlen(fl);
		const char *ifn = jstr(io, "interface");

		fprintf(out, "\ninterface: %s\n", ifn[0] != '\0' ? ifn :
		    "(unknown)");
		fprintf(out, "    Crypto map tag: %s, local addr %s\n\n",
		    jstr(io, "crypto_map"), jstr(io, "local_addr"));
		for (size_t j = 0; j < nf; j++)
			flow(out, json_object_array_get_idx(fl, j), detail);
	}
	if (detail)
		render_ipsec_sa_dataplane(data, out);
}
