/*
 * The crypto configuration and connection views, in the IOS 15 layout:
 * show crypto map, show crypto isakmp key, show crypto ipsec
 * transform-set, show access-lists, show crypto ipsec sa detail |
 * address | identity, show crypto engine connections active, show crypto
 * isakmp peers, clear crypto session.  IOS indents with spaces; so do
 * these.
 */
#include <inttypes.h>
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

static json_object *
at(json_object *arr, size_t i)
{
	return json_object_array_get_idx(arr, i);
}

/* ---- show crypto map ----------------------------------------------------- */

static void
map_entry(FILE *out, const char *map, json_object *e)
{
	json_object	*acl = jget(e, "acl_entries");
	json_object	*ts = jget(e, "transform_sets");
	const char	*name = jstr(e, "acl");

	fprintf(out, "Crypto Map IPv4 \"%s\" %lld %s\n", map,
	    (long long)jint(e, "seq"), jstr(e, "type"));
	if (jget(e, "peer") != NULL && !json_object_is_type(jget(e, "peer"),
	    json_type_null))
		fprintf(out, "        Peer = %s\n", jstr(e, "peer"));
	if (jget(e, "ikev2_profile") != NULL &&
	    !json_object_is_type(jget(e, "ikev2_profile"), json_type_null))
		fprintf(out, "        IKEv2 Profile: %s\n",
		    jstr(e, "ikev2_profile"));
	if (!jbool(e, "acl_defined"))
		fprintf(out, "        No matching address list set.\n");
	else {
		fprintf(out, "        Extended IP access list %s\n", name);
		for (size_t i = 0; i < jlen(acl); i++)
			fprintf(out, "            access-list %s %s\n", name,
			    json_object_get_string(at(acl, i)));
	}
	if (jget(e, "peer") != NULL && !json_object_is_type(jget(e, "peer"),
	    json_type_null))
		fprintf(out, "        Current peer: %s\n", jstr(e, "peer"));
	fprintf(out, "        Security association lifetime: %lld "
	    "kilobytes/%lld seconds\n", (long long)jint(e, "lifetime_kbytes"),
	    (long long)jint(e, "lifetime_seconds"));
	fprintf(out, "        Responder-Only (Y/N): N\n");
	fprintf(out, "        PFS (Y/N): %s\n", jbool(e, "pfs") ? "Y" : "N");
	if (jbool(e, "pfs"))
		fprintf(out, "        DH group:  %s\n", jstr(e, "dh_group"));
	fprintf(out, "        Mixed-mode : Disabled\n");
	fprintf(out, "        Transform sets={ \n");
	for (size_t i = 0; i < jlen(ts); i++) {
		json_object *t = at(ts, i);

		if (jget(t, "transforms") != NULL &&
		    !json_object_is_type(jget(t, "transforms"), json_type_null))
			fprintf(out, "                %s:  { %s  } , \n",
			    jstr(t, "name"), jstr(t, "transforms"));
		else
			fprintf(out, "                %s:  (not defined) , \n",
			    jstr(t, "name"));
	}
	fprintf(out, "        }\n");
	if (jbool(e, "reverse_route"))
		fprintf(out, "        Reverse Route Injection Enabled\n");
}

void
render_crypto_map(json_object *data, FILE *out)
{
	json_object	*maps = jget(data, "maps");

	for (size_t i = 0; i < jlen(maps); i++) {
		json_object	*m = at(maps, i), *ents = jget(m, "entries");
		json_object	*ifs = jget(m, "interfaces");
		const char	*name = jstr(m, "name");

		for (size_t j = 0; j < jlen(ifs); j++) {
			json_object *io = at(ifs, j);

			fprintf(out, "Crypto Map: \"%s\" idb: %s local "
			    "address: %s\n\n", name, jstr(io, "name"),
			    jget(io, "local_addr") != NULL &&
			    !json_object_is_type(jget(io, "local_addr"),
			    json_type_null) ? jstr(io, "local_addr") :
			    "(none)");
		}
		for (size_t j = 0; j < jlen(ents); j++) {
			map_entry(out, name, at(ents, j));
			if (j + 1 < jlen(ents))
				fputc('\n', out);
		}
		fprintf(out, "        Interfaces using crypto map %s:\n", name);
		for (size_t j = 0; j < jlen(ifs); j++)
			fprintf(out, "                %s\n",
			    jstr(at(ifs, j), "name"));
		fputc('\n', out);
	}
}

/* ---- show crypto isakmp key, show crypto ipsec transform-set ------------- */

void
render_isakmp_key(json_object *data, FILE *out)
{
	json_object	*keys = jget(data, "keys");

	fprintf(out, "Keyring      Hostname/Address                            "
	    "Preshared Key\n");
	for (size_t i = 0; i < jlen(keys); i++) {
		json_object	*k = at(keys, i);
		char		 a[48];

		if (strcmp(jstr(k, "mask"), "255.255.255.255") == 0)
			snprintf(a, sizeof(a), "%s", jstr(k, "address"));
		else
			snprintf(a, sizeof(a), "%-15s [%-15s]",
			    jstr(k, "address"), jstr(k, "mask"));
		fprintf(out, "%-12s %-43s %s\n", jstr(k, "keyring"), a,
		    jstr(k, "key"));
	}
}

void
render_transform_set(json_object *data, FILE *out)
{
	json_object	*ts = jget(data, "transform_sets");

	for (size_t i = 0; i < jlen(ts); i++) {
		json_object *t = at(ts, i);

		fprintf(out, "Transform set %s: { %s  } \n", jstr(t, "name"),
		    jstr(t, "transforms"));
		fprintf(out, "   will negotiate = { %s,  }, \n\n",
		    jstr(t, "mode"));
	}
}

/* ---- show access-lists --------------------------------------------------- */

void
render_access_lists(json_object *data, FILE *out)
{
	json_object	*acls = jget(data, "access_lists");

	for (size_t i = 0; i < jlen(acls); i++) {
		json_object	*a = at(acls, i), *ents = jget(a, "entries");

		fprintf(out, "%s IP access list %s\n", jstr(a, "type"),
		    jstr(a, "name"));
		for (size_t j = 0; j < jlen(ents); j++) {
			json_object	*e = at(ents, j);
			int64_t		 m = jint(e, "matches");

			/* IOS prints the count once there is one */
			fprintf(out, "    %lld %s", (long long)jint(e, "seq"),
			    jstr(e, "entry"));
			if (m > 0)
				fprintf(out, " (%lld match%s)", (long long)m,
				    m == 1 ? "" : "es");
			fputc('\n', out);
		}
	}
}

/* ---- show crypto ipsec sa detail | address | identity -------------------- */

/* render_ipsec_sa with the detail view: what never reached a flow */
void
render_ipsec_sa_dataplane(json_object *data, FILE *out)
{
	json_object	*e = jget(data, "engine");

	fprintf(out, "\n  Data plane, all flows:\n");
	fprintf(out, "    #pkts no sa (send) %lld, #pkts invalid sa (rcv) "
	    "%lld\n", (long long)jint(e, "no_sa"),
	    (long long)jint(e, "bad_spi"));
	fprintf(out, "    #pkts no policy (send) %lld, #pkts malformed %lld\n",
	    (long long)jint(e, "no_policy"), (long long)jint(e, "malformed"));
}

/* show crypto ipsec sa detail, and show crypto ipsec sa peer ADDR detail */
void
render_ipsec_sa_detail(json_object *data, FILE *out)
{
	render_ipsec_sa(data, out);
}

static void
spi_line(FILE *out, int64_t v)
{
	fprintf(out, "      spi: 0x%" PRIX32 "(%" PRIu32 ")\n", (uint32_t)v,
	    (uint32_t)v);
}

/* One SA under its destination address, as IOS's address view prints it. */
static void
address_sa(FILE *out, json_object *s)
{
	spi_line(out, jint(s, "spi"));
	fprintf(out, "        transform: %s ,\n", jstr(s, "transform"));
	fprintf(out, "        in use settings ={%s%s, }\n", jstr(s, "mode"),
	    jbool(s, "udp_encap") ? " UDP-Encaps" : "");
	fprintf(out, "        conn id: %lld, flow_id: SW:%lld, crypto map: "
	    "%s\n", (long long)jint(s, "conn_id"), (long long)jint(s,
	    "conn_id"), jstr(s, "crypto_map"));
	fprintf(out, "        sa timing: remaining key lifetime (k/sec): "
	    "(%lld/%lld)\n", (long long)jint(s, "remaining_kbytes"),
	    (long long)jint(s, "remaining_seconds"));
	fprintf(out, "        IV size: %lld bytes\n",
	    (long long)jint(s, "iv_size"));
	fprintf(out, "        replay detection support: %s\n",
	    jbool(s, "replay_detection") ? "Y" : "N");
	fprintf(out, "        Status: %s\n\n", jstr(s, "status"));
}

/*
 * Every SA by the address it is sent to: inbound SAs to this node's
 * crypto endpoint, outbound SAs to the peer's.
 */
void
render_ipsec_sa_address(json_object *data, FILE *out)
{
	json_object	*ifs = jget(data, "interfaces");
	const char	*dests[256];
	int		 nd = 0;

	/* the destinations, in order of first appearance */
	for (size_t i = 0; i < jlen(ifs); i++) {
		json_object *fl = jget(at(ifs, i), "flows");

		for (size_t j = 0; j < jlen(fl); j++) {
			const char *d[2] = {
				jstr(at(fl, j), "local_crypto_endpt"),
				jstr(at(fl, j), "remote_crypto_endpt"),
			};

			for (int k = 0; k < 2; k++) {
				int seen = 0;

				for (int x = 0; x < nd; x++)
					seen |= strcmp(dests[x], d[k]) == 0;
				if (!seen && nd < (int)nitems(dests))
					dests[nd++] = d[k];
			}
		}
	}
	for (int x = 0; x < nd; x++) {
		fprintf(out, "dest address: %s\n   protocol: ESP\n", dests[x]);
		for (size_t i = 0; i < jlen(ifs); i++) {
			json_object *fl = jget(at(ifs, i), "flows");

			for (size_t j = 0; j < jlen(fl); j++) {
				json_object *f = at(fl, j), *sas;

				if (strcmp(jstr(f, "local_crypto_endpt"),
				    dests[x]) == 0) {
					sas = jget(f, "inbound_esp_sas");
					for (size_t k = 0; k < jlen(sas); k++)
						address_sa(out, at(sas, k));
				}
				if (strcmp(jstr(f, "remote_crypto_endpt"),
				    dests[x]) == 0) {
					sas = jget(f, "outbound_esp_sas");
					for (size_t k = 0; k < jlen(sas); k++)
						address_sa(out, at(sas, k));
				}
			}
		}
	}
}

static void
ident_line(FILE *out, const char *label, json_object *o)
{
	fprintf(out, "   %s ident (addr/mask/prot/port): (%s/%s/%lld/%lld)\n",
	    label, jstr(o, "addr"), jstr(o, "mask"),
	    (long long)jint(o, "prot"), (long long)jint(o, "port"));
}

/* The protected flows and their peers, without the SAs. */
void
render_ipsec_sa_identity(json_object *data, FILE *out)
{
	json_object	*ifs = jget(data, "interfaces");

	for (size_t i = 0; i < jlen(ifs); i++) {
		json_object	*io = at(ifs, i), *fl = jget(io, "flows");
		const char	*ifn = jstr(io, "interface");

		fprintf(out, "\ninterface: %s\n", ifn[0] != '\0' ? ifn :
		    "(unknown)");
		fprintf(out, "    Crypto map tag: %s, local addr %s\n\n",
		    jstr(io, "crypto_map"), jstr(io, "local_addr"));
		for (size_t j = 0; j < jlen(fl); j++) {
			json_object *f = at(fl, j);

			fprintf(out, "   protected vrf: (none)\n");
			ident_line(out, "local ", jget(f, "local_ident"));
			ident_line(out, "remote", jget(f, "remote_ident"));
			fprintf(out, "   current_peer %s port %lld\n",
			    jstr(f, "peer"), (long long)jint(f, "peer_port"));
			fprintf(out, "     PERMIT, flags={origin_is_acl,}\n\n");
		}
	}
}

/* ---- show crypto engine connections active, show crypto isakmp peers ---- */

static const char *
count_or_dash(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v = jget(o, key);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return "-";
	snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
	return buf;
}

void
render_engine_conns(json_object *data, FILE *out)
{
	json_object	*c = jget(data, "connections");
	const char	*fmt = "%5s  %-8s%-18s%9s%9s%9s %s\n";

	fprintf(out, "Crypto Engine Connections\n\n");
	fprintf(out, fmt, "ID", "Type", "Algorithm", "Encrypt", "Decrypt",
	    "LastSeqN", "IP-Address");
	for (size_t i = 0; i < jlen(c); i++) {
		json_object	*o = at(c, i);
		char		 id[16], e[24], d[24], s[24];

		snprintf(id, sizeof(id), "%lld", (long long)jint(o, "id"));
		fprintf(out, fmt, id, jstr(o, "type"), jstr(o, "algorithm"),
		    count_or_dash(o, "encrypt", e, sizeof(e)),
		    count_or_dash(o, "decrypt", d, sizeof(d)),
		    count_or_dash(o, "last_seq", s, sizeof(s)),
		    jstr(o, "ip_address"));
	}
}

void
render_isakmp_peers(json_object *data, FILE *out)
{
	json_object	*p = jget(data, "peers");

	for (size_t i = 0; i < jlen(p); i++) {
		json_object	*o = at(p, i), *id = jget(o, "phase1_id");

		fprintf(out, "Peer: %s Port: %lld Local: %s\n", jstr(o, "peer"),
		    (long long)jint(o, "port"), jstr(o, "local"));
		fprintf(out, " Phase1 id: %s\n", id != NULL &&
		    !json_object_is_type(id, json_type_null) ?
		    json_object_get_string(id) : "(negotiating)");
	}
}

void
render_clear_session(json_object *data, FILE *out)
{
	fprintf(out, "%lld ISAKMP SA(s) and %lld IPsec SA pair(s) cleared\n",
	    (long long)jint(data, "isakmp_cleared"),
	    (long long)jint(data, "ipsec_cleared"));
}
