/*
 * Extended access lists: numbered (access-list 100-199 ...) and named
 * (ip access-list extended NAME), with IOS protocol, port and ICMP names.
 *
 *   {permit|deny} PROTO SRC [PORTOP] DST [PORTOP] [established]
 *       [ICMPTYPE [CODE] | ICMPNAME] [log | log-input]
 *   SRC/DST: any | host A | A WILDCARD
 *   PORTOP: eq|neq|lt|gt PORT | range PORT PORT
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "conf_int.h"

static const struct { const char *name; int proto; } protos[] = {
	{ "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ipinip", 4 },
	{ "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 },
	{ "ahp", 51 }, { "eigrp", 88 }, { "ospf", 89 }, { "nos", 94 },
	{ "pim", 103 }, { "pcp", 108 },
};

const char *
conf_proto_name(int proto)
{
	for (size_t i = 0; i < nitems(protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

struct port_name { const char *name; uint16_t port; };

/* IOS names for TCP ports (the keywords "show running-config" prints). */
static const struct port_name tcp_ports[] = {
	{ "bgp", 179 }, { "chargen", 19 }, { "cmd", 514 }, { "daytime", 13 },
	{ "discard", 9 }, { "domain", 53 }, { "echo", 7 }, { "exec", 512 },
	{ "finger", 79 }, { "ftp", 21 }, { "ftp-data", 20 }, { "gopher", 70 },
	{ "hostname", 101 }, { "ident", 113 }, { "irc", 194 },
	{ "klogin", 543 }, { "kshell", 544 }, { "login", 513 }, { "lpd", 515 },
	{ "nntp", 119 }, { "pim-auto-rp", 496 }, { "pop2", 109 },
	{ "pop3", 110 }, { "smtp", 25 }, { "sunrpc", 111 }, { "tacacs", 49 },
	{ "talk", 517 }, { "telnet", 23 }, { "time", 37 }, { "uucp", 540 },
	{ "whois", 43 }, { "www", 80 },
};

/* IOS names for UDP ports. */
static const struct port_name udp_ports[] = {
	{ "biff", 512 }, { "bootpc", 68 }, { "bootps", 67 }, { "discard", 9 },
	{ "dnsix", 195 }, { "domain", 53 }, { "echo", 7 }, { "isakmp", 500 },
	{ "mobile-ip", 434 }, { "nameserver", 42 }, { "netbios-dgm", 138 },
	{ "netbios-ns", 137 }, { "netbios-ss", 139 }, { "non500-isakmp", 4500 },
	{ "ntp", 123 }, { "pim-auto-rp", 496 }, { "rip", 520 },
	{ "snmp", 161 }, { "snmptrap", 162 }, { "sunrpc", 111 },
	{ "syslog", 514 }, { "tacacs", 49 }, { "talk", 517 }, { "tftp", 69 },
	{ "time", 37 }, { "who", 513 }, { "xdmcp", 177 },
};

static const struct port_name *
port_table(int proto, size_t *n)
{
	if (proto == 6) {
		*n = nitems(tcp_ports);
		return tcp_ports;
	}
	*n = nitems(udp_ports);
	return udp_ports;
}

const char *
conf_port_name(int proto, uint16_t port)
{
	size_t	 n;
	const struct port_name *t = port_table(proto, &n);

	for (size_t i = 0; i < n; i++)
		if (t[i].port == port)
			return t[i].name;
	return NULL;
}

int
conf_port_parse(int proto, const char *s, uint16_t *port)
{
	size_t	 n;
	const struct port_name *t = port_table(proto, &n);
	long	 v;

	if (conf_parse_uint(s, 0, 65535, &v) == 0) {
		*port = (uint16_t)v;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(t[i].name, s) == 0) {
			*port = t[i].port;
			return 0;
		}
	return -1;
}

/* IOS ICMP message names; code -1 means any code of that type. */
static const struct icmp_name icmp_names[] = {
	{ "echo-reply", 0, -1 }, { "unreachable", 3, -1 },
	{ "net-unreachable", 3, 0 }, { "host-unreachable", 3, 1 },
	{ "protocol-unreachable", 3, 2 }, { "port-unreachable", 3, 3 },
	{ "packet-too-big", 3, 4 }, { "source-route-failed", 3, 5 },
	{ "administratively-prohibited", 3, 13 },
	{ "source-quench", 4, -1 }, { "redirect", 5, -1 }, { "echo", 8, -1 },
	{ "router-advertisement", 9, -1 }, { "router-solicitation", 10, -1 },
	{ "time-exceeded", 11, -1 }, { "ttl-exceeded", 11, 0 },
	{ "reassembly-timeout", 11, 1 }, { "parameter-problem", 12, -1 },
	{ "timestamp-request", 13, -1 }, { "timestamp-reply", 14, -1 },
	{ "information-request", 15, -1 }, { "information-reply", 16, -1 },
	{ "mask-request", 17, -1 }, { "mask-reply", 18, -1 },
};

const struct icmp_name *
conf_icmp_by_name(const char *s)
{
	for (size_t i = 0; i < nitems(icmp_names); i++)
		if (strcasecmp(icmp_names[i].name, s) == 0)
			return &icmp_names[i];
	return NULL;
}

const struct icmp_name *
conf_icmp_by_value(int type, int code)
{
	for (size_t i = 0; i < nitems(icmp_names); i++)
		if (icmp_names[i].type == type && icmp_names[i].code == code)
			return &icmp_names[i];
	return NULL;
}

/* any | host A | A WILDCARD; advances *i. */
static int
acl_addr(struct parser *p, struct cline *l, int *i, struct conf_acl_addr *a,
    const char *what)
{
	int	 k = *i;

	if (k >= l->nwords)
		return conf_perr(p, "access list entry: %s address missing",
		    what);
	if (conf_word_is(l, k, "any")) {
		a->addr.s_addr = 0;
		a->wildcard.s_addr = 0xffffffff;
		*i = k + 1;
		return 0;
	}
	if (conf_word_is(l, k, "host")) {
		if (k + 1 >= l->nwords)
			return conf_perr(p, "access list entry: host needs an "
			    "address");
		if (conf_parse_addr(p, l->words[k + 1], &a->addr, what) == -1)
			return -1;
		a->wildcard.s_addr = 0;
		*i = k + 2;
		return 0;
	}
	if (conf_word_is(l, k, "object-group"))
		return conf_perr(p, "access list entry: object-group is not "
		    "supported");
	if (conf_parse_addr(p, l->words[k], &a->addr, what) == -1)
		return -1;
	if (k + 1 >= l->nwords || addr_parse(l->words[k + 1], &a->wildcard))
		return conf_perr(p, "access list entry: %s %s needs a wildcard "
		    "mask (or use \"host %s\")", what, l->words[k],
		    l->words[k]);
	/* 255.255.255.0 where 0.0.0.255 is meant: an ASA or route habit */
	if (a->wildcard.s_addr != 0 && a->wildcard.s_addr != 0xffffffff &&
	    addr_mask_valid(a->wildcard)) {
		char	 w[INET_ADDRSTRLEN];

		return conf_perr(p,
		    "access list entry: %s %s %s: %s looks like a "
		    "netmask; the wildcard is %s", what, l->words[k],
		    l->words[k + 1], l->words[k + 1],
		    addr_str((struct in_addr){ ~a->wildcard.s_addr }, w));
	}
	if ((a->addr.s_addr & a->wildcard.s_addr) != 0)
		return conf_perr(p,
		    "access list entry: %s %s has bits set under "
		    "its wildcard %s", what, l->words[k], l->words[k + 1]);
	*i = k + 2;
	return 0;
}

static int
acl_port(struct parser *p, struct cline *l, int *i, int proto,
    struct conf_acl_port *pt)
{
	static const struct { const char *w; enum conf_portop op; } ops[] = {
		{ "eq", CONF_PORT_EQ }, { "neq", CONF_PORT_NEQ },
		{ "lt", CONF_PORT_LT }, { "gt", CONF_PORT_GT },
		{ "range", CONF_PORT_RANGE },
	};
	int	 k = *i;
	size_t	 j;

	pt->op = CONF_PORT_ANY;
	if (k >= l->nwords)
		return 0;
	for (j = 0; j < nitems(ops); j++)
		if (conf_word_is(l, k, ops[j].w))
			break;
	if (j == nitems(ops))
		return 0;
	if (proto != 6 && proto != 17)
		return conf_perr(p,
		    "access list entry: port operators need tcp "
		    "or udp");
	pt->op = ops[j].op;
	if (k + 1 >= l->nwords ||
	    conf_port_parse(proto, l->words[k + 1], &pt->lo) == -1)
		return conf_perr(p,
		    "access list entry: %s needs a port number or "
		    "name", ops[j].w);
	k += 2;
	if (pt->op == CONF_PORT_RANGE) {
		if (k >= l->nwords ||
		    conf_port_parse(proto, l->words[k], &pt->hi))
			return conf_perr(p,
			    "access list entry: range needs two "
			    "ports");
		if (pt->hi < pt->lo)
			return conf_perr(p, "access list entry: range %u %u is "
			    "empty", pt->lo, pt->hi);
		k++;
	}
	*i = k;
	return 0;
}

/* Parse an entry from word i (the permit/deny word) to the end. */
int
conf_acl_parse_entry(struct parser *p, struct cline *l, int i,
    struct conf_ace *a)
{
	long	 v;
	size_t	 j;

	memset(a, 0, sizeof(*a));
	a->icmp_type = a->icmp_code = -1;
	a->line = l->lineno;
	if (conf_word_is(l, i, "permit"))
		a->permit = 1;
	else if (!conf_word_is(l, i, "deny"))
		return conf_perr(p,
		    "access list entry: expected permit or deny");
	if (++i >= l->nwords)
		return conf_perr(p, "access list entry: protocol missing");
	for (j = 0; j < nitems(protos); j++)
		if (conf_word_is(l, i, protos[j].name))
			break;
	if (j < nitems(protos))
		a->proto = protos[j].proto;
	else if (conf_parse_uint(l->words[i], 0, 255, &v) == 0)
		a->proto = (int)v;
	else
		return conf_perr(p,
		    "access list entry: unknown protocol \"%s\"",
		    l->words[i]);
	i++;
	if (acl_addr(p, l, &i, &a->src, "source") == -1 ||
	    acl_port(p, l, &i, a->proto, &a->sport) == -1 ||
	    acl_addr(p, l, &i, &a->dst, "destination") == -1 ||
	    acl_port(p, l, &i, a->proto, &a->dport) == -1)
		return -1;
	if (conf_word_is(l, i, "established")) {
		if (a->proto != 6)
			return conf_perr(p,
			    "access list entry: established needs "
			    "tcp");
		a->established = 1;
		i++;
	}
	if (a->proto == 1 && i < l->nwords && !conf_word_is(l, i, "log") &&
	    !conf_word_is(l, i, "log-input")) {
		const struct icmp_name *n = conf_icmp_by_name(l->words[i]);

		if (n != NULL) {
			a->icmp_type = n->type;
			a->icmp_code = n->code;
			i++;
		} else if (conf_parse_uint(l->words[i], 0, 255, &v) == 0) {
			a->icmp_type = (int)v;
			i++;
			if (i < l->nwords &&
			    conf_parse_uint(l->words[i], 0, 255, &v) == 0) {
				a->icmp_code = (int)v;
				i++;
			}
		} else
			return conf_perr(p, "access list entry: unknown ICMP "
			    "message \"%s\"", l->words[i]);
	}
	if (conf_word_is(l, i, "log") || conf_word_is(l, i, "log-input")) {
		a->log = 1;
		i++;
	}
	if (i != l->nwords)
		return conf_perr(p, "access list entry: unexpected \"%s\"",
		    l->words[i]);
	return 0;
}

static int	acl_insert(struct parser *, struct conf_acl *, struct conf_ace *,
		    long);

static struct conf_acl *
acl_find_mut(struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nacls; i++)
		if (strcmp(cf->acls[i].name, name) == 0)
			return &cf->acls[i];
	return NULL;
}

static struct conf_acl *
acl_new(struct config *cf, const char *name, int numbered, int line)
{
	struct conf_acl *acl = ARRAY_PUSH(cf->acls, cf->nacls);

	acl->name = xstrdup(name);
	acl->numbered = numbered;
	acl->line = line;
	return acl;
}

/* access-list N {permit|deny|remark} ... */
static int
cmd_numbered(struct parser *p, struct cline *l)
{
	struct conf_acl	*acl;
	struct conf_ace	 a;
	long		 n;

	if (l->nwords >= 3 && conf_word_is(l, 2, "extended"))
		return conf_perr(p,
		    "\"access-list %s extended ...\" is ASA syntax; "
		    "on IOS write \"ip access-list extended %s\" and each "
		    "entry under it (\" permit ip SRC WILDCARD DST "
		    "WILDCARD\")", l->words[1], l->words[1]);
	if (l->nwords < 2 || conf_parse_uint(l->words[1], 1, 2699, &n) == -1)
		return conf_perr(p,
		    "access-list takes a number (a named list is "
		    "\"ip access-list extended NAME\")");
	if (n < 100 || n > 199) {
		conf_pwarn(p,
		    "ignored: access-list %ld is not an extended list "
		    "(100-199); havpn uses extended lists for crypto maps", n);
		return CMD_OK;
	}
	if (l->negate) {
		if ((acl = acl_find_mut(p->cf, l->words[1])) == NULL)
			return conf_perr(p, "no access-list %ld: no such list",
			    n);
		for (int j = 0; j < acl->naces; j++)
			conf_ace_cleanup(&acl->aces[j]);
		acl->naces = 0;
		return CMD_OK;
	}
	if (conf_word_is(l, 2, "remark")) {
		memset(&a, 0, sizeof(a));
		a.line = l->lineno;
		a.remark = xstrdup(l->nwords > 3 ? l->rest[3] : "");
	} else if (conf_acl_parse_entry(p, l, 2, &a) == -1)
		return CMD_ERR;
	acl = acl_find_mut(p->cf, l->words[1]);
	if (acl == NULL)
		acl = acl_new(p->cf, l->words[1], 1, l->lineno);
	return acl_insert(p, acl, &a, 0);
}

int
conf_global_acl(struct parser *p, struct cline *l)
{
	struct conf_acl	*acl;

	if (conf_word_is(l, 0, "access-list"))
		return cmd_numbered(p, l);
	/* ip access-list {extended|standard} NAME */
	if (conf_word_is(l, 2, "standard") ||
	    conf_word_is(l, 2, "resequence") ||
	    conf_word_is(l, 2, "logging"))
		return CMD_UNKNOWN;	/* outside havpn: the ignore list */
	if (!conf_word_is(l, 2, "extended") || l->nwords != 4 ||
	    !conf_name_valid(l->words[3]))
		return conf_perr(p, "expected ip access-list extended NAME");
	acl = acl_find_mut(p->cf, l->words[3]);
	if (l->negate) {
		if (acl == NULL)
			return conf_perr(p,
			    "no ip access-list extended %s: no such "
			    "list", l->words[3]);
		for (int j = 0; j < acl->naces; j++)
			conf_ace_cleanup(&acl->aces[j]);
		acl->naces = 0;
		return CMD_OK;
	}
	if (acl != NULL)
		return conf_perr(p,
		    "ip access-list %s is already defined at line "
		    "%d", l->words[3], acl->line);
	acl = acl_new(p->cf, l->words[3], 0, l->lineno);
	conf_popen_mode(p, M_ACL, (int)(acl - p->cf->acls), 0);
	return CMD_OK;
}

/*
 * Insert an entry by IOS sequence number: an explicit number places it,
 * an entry without one goes last, numbered 10 past the highest.
 */
static int
acl_insert(struct parser *p, struct conf_acl *acl, struct conf_ace *a,
    long seq)
{
	long	 last = acl->naces > 0 ? acl->aces[acl->naces - 1].seq : 0;
	int	 at;

	if (seq == 0)
		seq = last + 10;
	/* in order (the usual case): at the end, without a scan */
	if (seq > last)
		at = acl->naces;
	else
		for (at = 0; at < acl->naces && acl->aces[at].seq < seq; at++)
			;
	if (at < acl->naces && acl->aces[at].seq == seq) {
		conf_ace_cleanup(a);
		return conf_perr(p,
		    "access list %s: sequence number %ld is used by "
		    "line %d", acl->name, seq, acl->aces[at].line);
	}
	ARRAY_PUSH(acl->aces, acl->naces);
	memmove(&acl->aces[at + 1], &acl->aces[at],
	    (size_t)(acl->naces - 1 - at) * sizeof(*acl->aces));
	a->seq = seq;
	acl->aces[at] = *a;
	return CMD_OK;
}

int
conf_mode_acl(struct parser *p, struct cline *l)
{
	struct conf_acl	*acl = &p->cf->acls[p->stack[p->depth - 1].idx];
	struct conf_ace	 a;
	int		 i = 0;
	long		 seq = 0;

	if (l->nwords > 1 &&
	    conf_parse_uint(l->words[0], 1, 2147483647L, &seq) == 0)
		i = 1;
	if (conf_word_is(l, i, "remark")) {
		memset(&a, 0, sizeof(a));
		a.line = l->lineno;
		a.remark = xstrdup(l->nwords > i + 1 ? l->rest[i + 1] : "");
		return acl_insert(p, acl, &a, seq);
	}
	if (!conf_word_is(l, i, "permit") && !conf_word_is(l, i, "deny"))
		return i == 1 ? conf_perr(p,
		    "expected permit, deny or remark after "
		    "the sequence number") : CMD_UNKNOWN;
	if (l->negate)
		return conf_perr(p, "\"no permit/deny\" is not supported in a "
		    "configuration file: remove the line instead");
	if (conf_acl_parse_entry(p, l, i, &a) == -1)
		return CMD_ERR;
	return acl_insert(p, acl, &a, seq);
}
