/*
 * Global configuration mode, and the IOS lines havpn accepts only so that a
 * real router configuration can be pasted: each is a warning, not an error.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

/*
 * Router features outside havpn.  A line starting with one of these word
 * sequences is ignored with a warning.  "block" entries open a sub-mode
 * whose indented lines are skipped with it.
 */
struct ignored {
	const char	*words;
	int		 block;
};

static const struct ignored global_ignored[] = {
	{ "version", 0 }, { "service", 0 }, { "boot", 0 },
	{ "boot-start-marker", 0 }, { "boot-end-marker", 0 },
	{ "enable", 0 }, { "username", 0 }, { "aaa", 0 },
	{ "ip route", 0 }, { "ip nat", 0 }, { "ip cef", 0 },
	{ "ip domain", 0 }, { "ip domain-name", 0 }, { "ip domain-lookup", 0 },
	{ "ip name-server", 0 }, { "ip http", 0 }, { "ip classless", 0 },
	{ "ip subnet-zero", 0 }, { "ip forward-protocol", 0 }, { "ip ssh", 0 },
	{ "ip accounting", 0 }, { "ip accounting-threshold", 0 },
	{ "ip source-route", 0 }, { "ip finger", 0 }, { "ip dhcp", 1 },
	{ "ipv6 unicast-routing", 0 }, { "ipv6 cef", 0 },
	{ "logging", 0 }, { "ntp", 0 }, { "snmp-server", 0 }, { "clock", 0 },
	{ "line", 1 }, { "router", 1 }, { "control-plane", 1 },
	{ "archive", 1 }, { "license", 0 }, { "spanning-tree", 0 },
	{ "vtp", 0 }, { "cdp", 0 }, { "mmi", 0 }, { "multilink", 0 },
	{ "memory-size", 0 }, { "security", 0 }, { "login", 0 },
	{ "scheduler", 0 }, { "dial-peer", 1 }, { "voice-card", 1 },
	{ "crypto pki", 1 }, { "key chain", 1 }, { "route-map", 1 },
	{ "redundancy", 1 }, { "hw-module", 0 }, { "diagnostic", 0 },
	{ "platform", 0 }, { "file", 0 },
};

static const struct ignored iface_ignored[] = {
	{ "duplex", 0 }, { "speed", 0 }, { "cdp", 0 }, { "ip nat", 0 },
	{ "ip accounting", 0 }, { "ip access-group", 0 }, { "ip redirects", 0 },
	{ "ip unreachables", 0 }, { "ip proxy-arp", 0 },
	{ "ip route-cache", 0 }, { "ip virtual-reassembly", 0 },
	{ "ip mtu", 0 }, { "ip tcp", 0 }, { "ip ospf", 0 },
	{ "ip helper-address", 0 }, { "ip directed-broadcast", 0 },
	{ "ip mroute-cache", 0 }, { "ip flow", 0 }, { "mtu", 0 },
	{ "shutdown", 0 }, { "full-duplex", 0 }, { "half-duplex", 0 },
	{ "media-type", 0 }, { "negotiation", 0 }, { "load-interval", 0 },
	{ "keepalive", 0 }, { "bandwidth", 0 }, { "delay", 0 },
	{ "clock", 0 }, { "ipv6", 0 }, { "service-policy", 0 },
	{ "mls", 0 }, { "switchport", 0 }, { "arp", 0 },
};

/* The number of words of pattern that match the start of the line. */
static int
match_words(const struct cline *l, const char *pattern)
{
	char	 buf[64], *w, *save;
	int	 i = 0;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (w = strtok_r(buf, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save), i++)
		if (!conf_word_is(l, i, w))
			return 0;
	return i;
}

static const struct ignored *
find_ignored(const struct ignored *list, size_t n, const struct cline *l)
{
	const struct ignored *best = NULL;
	int	 bestlen = 0, m;

	for (size_t i = 0; i < n; i++)
		if ((m = match_words(l, list[i].words)) > bestlen) {
			best = &list[i];
			bestlen = m;
		}
	return best;
}

int
conf_ignored_global(struct parser *p, struct cline *l, int *block)
{
	const struct ignored *ig;

	ig = find_ignored(global_ignored, nitems(global_ignored), l);
	if (ig == NULL)
		return 0;
	/* "no X" for a havpn command was refused by its handler already */
	*block = ig->block;
	conf_pwarn(p, "ignored: \"%s%s\" is a router feature outside havpn%s",
	    l->negate ? "no " : "", l->rest[0],
	    ig->block ? " (with its sub-commands)" : "");
	return 1;
}

int
conf_ignored_iface(struct parser *p, struct cline *l)
{
	if (find_ignored(iface_ignored, nitems(iface_ignored), l) == NULL)
		return 0;
	conf_pwarn(p, "ignored: \"%s%s\" is an interface feature outside havpn",
	    l->negate ? "no " : "", l->rest[0]);
	return 1;
}

static int
cmd_hostname(struct parser *p, struct cline *l)
{
	const char *s;

	if (l->negate) {
		free(p->cf->hostname);
		p->cf->hostname = NULL;
		return CMD_OK;
	}
	if (l->nwords != 2)
		return conf_perr(p, "hostname takes one NAME");
	s = l->words[1];
	if (strlen(s) > 63 || !conf_name_valid(s))
		return conf_perr(p,
		    "hostname \"%s\" is not valid (1-63 printable "
		    "characters)", s);
	free(p->cf->hostname);
	p->cf->hostname = xstrdup(s);
	return CMD_OK;
}

int
conf_mode_global(struct parser *p, struct cline *l)
{
	int	 r, block;

	if (conf_word_is(l, 0, "hostname"))
		return cmd_hostname(p, l);
	if (conf_word_is(l, 0, "end") && l->nwords == 1 && !l->negate)
		return CMD_OK;
	if (conf_word_is(l, 0, "crypto") &&
	    (r = conf_global_crypto(p, l)) != CMD_UNKNOWN)
		return r;
	if ((conf_word_is(l, 0, "access-list") ||
	    (conf_word_is(l, 0, "ip") && conf_word_is(l, 1, "access-list"))) &&
	    (r = conf_global_acl(p, l)) != CMD_UNKNOWN)
		return r;
	if (conf_word_is(l, 0, "track"))
		return conf_global_track(p, l);
	if (conf_word_is(l, 0, "interface"))
		return conf_global_interface(p, l);
	if (conf_word_is(l, 0, "redundancy") &&
	    conf_word_is(l, 1, "inter-device"))
		return conf_global_redundancy(p, l);
	if (conf_word_is(l, 0, "ipc"))
		return conf_global_ipc(p, l);

	if (conf_word_is(l, 0, "tunnel-group") ||
	    conf_word_is(l, 0, "group-policy"))
		return conf_perr(p, "\"%s\" is ASA syntax; on IOS a peer's "
		    "pre-shared key is \"crypto isakmp key KEY address "
		    "PEER\"", l->words[0]);
	if (conf_ignored_global(p, l, &block)) {
		if (block)
			conf_popen_mode(p, M_IGNORED, 0, 0);
		return CMD_OK;
	}
	if (l->negate)
		return conf_perr(p, "\"no %s\": no such command to negate",
		    l->words[0]);
	return CMD_UNKNOWN;
}
