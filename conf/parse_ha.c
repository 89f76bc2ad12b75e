/*
 * The pair's own lines: redundancy inter-device (which standby group leads,
 * and the key of the sync channel) and ipc zone default / association 1
 * (the SCTP association to the other node).
 *
 *   ipc zone default
 *    association 1
 *     no shutdown
 *     protocol sctp
 *      local-port PORT
 *       local-ip ADDR [ADDR]
 *       retransmit-timeout MIN-MS MAX-MS
 *       path-retransmit N
 *       assoc-retransmit N
 *      remote-port PORT
 *       remote-ip ADDR [ADDR]
 *      encapsulation udp PORT
 *      lanes N              (havpn: more associations for the state)
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

int
conf_global_redundancy(struct parser *p, struct cline *l)
{
	struct conf_redundancy *r = &p->cf->redundancy;

	if (l->nwords != 2)
		return conf_perr(p, "expected \"redundancy inter-device\"");
	if (l->negate) {
		free(r->scheme_group);
		if (r->security_key != NULL)
			free_secret(r->security_key, strlen(r->security_key));
		memset(r, 0, sizeof(*r));
		return CMD_OK;
	}
	if (r->line != 0)
		return conf_perr(p,
		    "redundancy inter-device is already configured "
		    "at line %d", r->line);
	r->line = l->lineno;
	conf_popen_mode(p, M_REDUNDANCY, 0, 0);
	return CMD_OK;
}

int
conf_mode_redundancy(struct parser *p, struct cline *l)
{
	struct conf_redundancy *r = &p->cf->redundancy;

	if (conf_word_is(l, 0, "scheme")) {
		if (l->negate) {
			free(r->scheme_group);
			r->scheme_group = NULL;
			r->scheme_line = 0;
			return CMD_OK;
		}
		if (l->nwords != 3 || !conf_word_is(l, 1, "standby") ||
		    !conf_name_valid(l->words[2]))
			return conf_perr(p,
			    "expected \"scheme standby GROUPNAME\"");
		free(r->scheme_group);
		r->scheme_group = xstrdup(l->words[2]);
		r->scheme_line = l->lineno;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "security")) {
		if (conf_word_is(l, 1, "ipsec"))
			return conf_perr(p, "security ipsec PROFILE is not "
			    "supported: havpn seals the sync channel itself; "
			    "use \"security key SECRET\"");
		if (l->negate) {
			if (r->security_key != NULL)
				free_secret(r->security_key,
				    strlen(r->security_key));
			r->security_key = NULL;
			r->key_line = 0;
			return CMD_OK;
		}
		if (l->nwords != 3 || !conf_word_is(l, 1, "key"))
			return conf_perr(p, "expected \"security key SECRET\"");
		if (conf_secret_ok(p, l->words[2], "security key", "secret") ==
		    -1)
			return CMD_ERR;
		if (strlen(l->words[2]) < 16)
			return conf_perr(p,
			    "security key: the secret must be at "
			    "least 16 characters (it protects every SA key "
			    "on the sync channel)");
		if (strlen(l->words[2]) > 256)
			return conf_perr(p,
			    "security key: the secret is longer "
			    "than 256 characters");
		if (r->security_key != NULL)
			free_secret(r->security_key, strlen(r->security_key));
		r->security_key = xstrdup(l->words[2]);
		r->key_line = l->lineno;
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}

int
conf_global_ipc(struct parser *p, struct cline *l)
{
	if (l->nwords != 3 || !conf_word_is(l, 1, "zone") ||
	    !conf_word_is(l, 2, "default"))
		return conf_perr(p, "expected \"ipc zone default\"");
	if (l->negate)
		return conf_perr(p,
		    "\"no ipc zone default\" is not supported in a "
		    "configuration file: remove the block instead");
	conf_popen_mode(p, M_IPC_ZONE, 0, 0);
	return CMD_OK;
}

int
conf_mode_ipc_zone(struct parser *p, struct cline *l)
{
	struct conf_ipc_assoc *a = &p->cf->ipc;
	long	 id;

	if (!conf_word_is(l, 0, "association"))
		return CMD_UNKNOWN;
	if (l->nwords != 2 || conf_parse_uint(l->words[1], 1, 255, &id) == -1)
		return conf_perr(p, "association takes a number");
	if (id != 1)
		return conf_perr(p,
		    "association %ld: havpn pairs two nodes over "
		    "association 1 only", id);
	if (l->negate)
		return conf_perr(p, "\"no association\" is not supported in a "
		    "configuration file: remove the block instead");
	if (a->line != 0)
		return conf_perr(p,
		    "association 1 is already configured at line "
		    "%d", a->line);
	a->line = l->lineno;
	a->id = (int)id;
	conf_popen_mode(p, M_ASSOC, 0, 0);
	return CMD_OK;
}

int
conf_mode_assoc(struct parser *p, struct cline *l)
{
	struct conf_ipc_assoc *a = &p->cf->ipc;

	if (conf_word_is(l, 0, "shutdown")) {
		if (l->nwords != 1)
			return conf_perr(p, "shutdown takes no arguments");
		a->shutdown = !l->negate;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "protocol")) {
		if (l->nwords != 2 || !conf_word_is(l, 1, "sctp"))
			return conf_perr(p, "protocol takes sctp");
		if (l->negate) {
			/* drop the protocol block and everything in it */
			int	 id = a->id, line = a->line, shut = a->shutdown;

			memset(a, 0, sizeof(*a));
			a->id = id;
			a->line = line;
			a->shutdown = shut;
			a->rto_min_ms = 1000;
			a->rto_max_ms = 60000;
			a->path_retransmit = 5;
			a->assoc_retransmit = 10;
			a->lanes = CONF_IPC_LANES;
			return CMD_OK;
		}
		a->have_protocol = 1;
		conf_popen_mode(p, M_SCTP, 0, 0);
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}

static int
parse_port(struct parser *p, struct cline *l, const char *what, uint16_t *out)
{
	long	 v;

	if (l->nwords != 2 || conf_parse_uint(l->words[1], 1, 65535, &v) == -1)
		return conf_perr(p, "%s takes a port from 1 to 65535", what);
	*out = (uint16_t)v;
	return CMD_OK;
}

int
conf_mode_sctp(struct parser *p, struct cline *l)
{
	struct conf_ipc_assoc *a = &p->cf->ipc;
	long	 v;

	if (conf_word_is(l, 0, "local-port")) {
		if (parse_port(p, l, "local-port", &a->local_port) != CMD_OK)
			return CMD_ERR;
		conf_popen_mode(p, M_LPORT, 0, 0);
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "remote-port")) {
		if (parse_port(p, l, "remote-port", &a->remote_port) != CMD_OK)
			return CMD_ERR;
		conf_popen_mode(p, M_RPORT, 0, 0);
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "lanes")) {
		if (l->negate) {
			a->lanes = 0;
			return CMD_OK;
		}
		if (l->nwords != 2 || conf_parse_uint(l->words[1], 0,
		    CONF_IPC_LANES_MAX, &v) == -1)
			return conf_perr(p, "lanes takes 0 to %d (associations "
			    "beside the first that carry SA state)",
			    CONF_IPC_LANES_MAX);
		a->lanes = (int)v;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "encapsulation")) {
		if (l->negate) {
			a->encap_udp_port = 0;
			a->encap_line = 0;
			return CMD_OK;
		}
		if (l->nwords != 3 || !conf_word_is(l, 1, "udp") ||
		    conf_parse_uint(l->words[2], 1, 65535, &v) == -1)
			return conf_perr(p,
			    "encapsulation takes udp PORT (SCTP "
			    "over UDP, RFC 6951)");
		a->encap_udp_port = (uint16_t)v;
		a->encap_line = l->lineno;
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}

static int
parse_ips(struct parser *p, struct cline *l, struct in_addr *ips, int *n)
{
	if (l->nwords < 2 || l->nwords > 3)
		return conf_perr(p,
		    "%s takes one or two addresses (multi-homing)",
		    l->words[0]);
	for (int i = 1; i < l->nwords; i++)
		if (conf_parse_addr(p, l->words[i], &ips[i - 1],
		    l->words[0]) == -1)
			return CMD_ERR;
	if (l->nwords == 3 && ips[0].s_addr == ips[1].s_addr)
		return conf_perr(p, "%s: the two addresses are the same",
		    l->words[0]);
	*n = l->nwords - 1;
	return CMD_OK;
}

int
conf_mode_lport(struct parser *p, struct cline *l)
{
	struct conf_ipc_assoc *a = &p->cf->ipc;
	long	 v, w;

	if (conf_word_is(l, 0, "local-ip"))
		return parse_ips(p, l, a->local_ip, &a->nlocal_ip);
	if (conf_word_is(l, 0, "retransmit-timeout")) {
		if (l->nwords != 3 ||
		    conf_parse_uint(l->words[1], 300, 60000, &v) == -1 ||
		    conf_parse_uint(l->words[2], 300, 60000, &w) == -1)
			return conf_perr(p,
			    "retransmit-timeout takes MIN-MS MAX-MS "
			    "from 300 to 60000");
		if (w < v)
			return conf_perr(p,
			    "retransmit-timeout: the maximum %ld is "
			    "below the minimum %ld", w, v);
		a->rto_min_ms = (uint32_t)v;
		a->rto_max_ms = (uint32_t)w;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "path-retransmit")) {
		if (l->nwords != 2 ||
		    conf_parse_uint(l->words[1], 2, 10, &v) == -1)
			return conf_perr(p, "path-retransmit takes 2 to 10");
		a->path_retransmit = (int)v;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "assoc-retransmit")) {
		if (l->nwords != 2 ||
		    conf_parse_uint(l->words[1], 2, 10, &v) == -1)
			return conf_perr(p, "assoc-retransmit takes 2 to 10");
		a->assoc_retransmit = (int)v;
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}

int
conf_mode_rport(struct parser *p, struct cline *l)
{
	struct conf_ipc_assoc *a = &p->cf->ipc;

	if (conf_word_is(l, 0, "remote-ip"))
		return parse_ips(p, l, a->remote_ip, &a->nremote_ip);
	return CMD_UNKNOWN;
}
