/*
 * interface IFNAME and its lines (ip address, standby ..., crypto map), and
 * track N interface IFNAME line-protocol.
 *
 * HSRP words, VRRPv3 meaning: the standby group number is the VRID (1-255),
 * priority is 1-254 (0 and 255 are reserved on the wire), preemption is off
 * unless configured (the HSRP default), and the hello time becomes the
 * advertisement interval, so it must be a whole number of centiseconds.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "conf_int.h"

int
conf_global_track(struct parser *p, struct cline *l)
{
	struct conf_track *t;
	long	 id;

	if (l->nwords < 2 || conf_parse_uint(l->words[1], 1, 1000, &id) == -1)
		return conf_perr(p,
		    "track takes an object number from 1 to 1000");
	for (int i = 0; i < p->cf->ntracks; i++) {
		if (p->cf->tracks[i].id != id)
			continue;
		if (l->negate) {
			free(p->cf->tracks[i].ifname);
			memmove(&p->cf->tracks[i], &p->cf->tracks[i + 1],
			    (size_t)(p->cf->ntracks - i - 1) *
			    sizeof(*p->cf->tracks));
			p->cf->ntracks--;
			return CMD_OK;
		}
		return conf_perr(p, "track %ld is already defined at line %d",
		    id,
		    p->cf->tracks[i].line);
	}
	if (l->negate)
		return conf_perr(p, "no track %ld: no such track object", id);
	if (l->nwords != 5 || !conf_word_is(l, 2, "interface") ||
	    !conf_word_is(l, 4, "line-protocol"))
		return conf_perr(p,
		    "track %ld: havpn tracks \"interface IFNAME "
		    "line-protocol\" only", id);
	if (!conf_ifname_valid(l->words[3]))
		return conf_perr(p,
		    "track %ld: \"%s\" is not a Linux interface "
		    "name", id, l->words[3]);
	t = ARRAY_PUSH(p->cf->tracks, p->cf->ntracks);
	t->line = l->lineno;
	t->id = (int)id;
	t->ifname = xstrdup(l->words[3]);
	return CMD_OK;
}

int
conf_global_interface(struct parser *p, struct cline *l)
{
	struct conf_interface *ifc;

	if (l->negate)
		return conf_perr(p, "\"no interface\" is not supported in a "
		    "configuration file: remove the block instead");
	if (l->nwords == 3)
		return conf_perr(p,
		    "\"interface %s %s\": interface names have no "
		    "spaces; use the Linux name of the port (e.g. eth0)",
		    l->words[1], l->words[2]);
	if (l->nwords != 2)
		return conf_perr(p, "interface takes one IFNAME");
	if (!conf_ifname_valid(l->words[1]))
		return conf_perr(p,
		    "interface \"%s\" is not a Linux interface name "
		    "(rename it as on this machine, e.g. eth0)", l->words[1]);
	for (int i = 0; i < p->cf->nifaces; i++)
		if (strcmp(p->cf->ifaces[i].name, l->words[1]) == 0)
			return conf_perr(p,
			    "interface %s is already configured at "
			    "line %d", l->words[1], p->cf->ifaces[i].line);
	ifc = ARRAY_PUSH(p->cf->ifaces, p->cf->nifaces);
	ifc->line = l->lineno;
	ifc->name = xstrdup(l->words[1]);
	conf_popen_mode(p, M_IFACE, p->cf->nifaces - 1, 0);
	return CMD_OK;
}

static struct conf_standby *
standby_get(struct conf_interface *ifc, int grp, int line)
{
	struct conf_standby *sb;

	for (int i = 0; i < ifc->nstandby; i++)
		if (ifc->standby[i].group == grp)
			return &ifc->standby[i];
	sb = ARRAY_PUSH(ifc->standby, ifc->nstandby);
	sb->line = line;
	sb->group = grp;
	sb->priority = 100;
	sb->hello_ms = 3000;
	sb->hold_ms = 10000;
	return sb;
}

/* [msec] N: a time in milliseconds; advances *i. */
static int
parse_time(struct parser *p, struct cline *l, int *i, uint32_t *ms,
    const char *what)
{
	long	 v;

	if (conf_word_is(l, *i, "msec")) {
		if (*i + 1 >= l->nwords ||
		    conf_parse_uint(l->words[*i + 1], 10, 40950, &v) == -1)
			return conf_perr(p,
			    "standby timers: %s msec takes 10 to "
			    "40950", what);
		*ms = (uint32_t)v;
		*i += 2;
		return 0;
	}
	if (*i >= l->nwords || conf_parse_uint(l->words[*i], 1, 255, &v) == -1)
		return conf_perr(p,
		    "standby timers: %s takes 1 to 255 seconds or "
		    "msec N", what);
	*ms = (uint32_t)v * 1000;
	*i += 1;
	return 0;
}

static int
cmd_standby_timers(struct parser *p, struct cline *l, struct conf_standby *sb)
{
	uint32_t hello, hold;
	int	 i = 3;

	if (l->negate) {
		sb->hello_ms = 3000;
		sb->hold_ms = 10000;
		return CMD_OK;
	}
	if (parse_time(p, l, &i, &hello, "hello") == -1 ||
	    parse_time(p, l, &i, &hold, "hold") == -1)
		return CMD_ERR;
	if (i != l->nwords)
		return conf_perr(p, "standby timers: unexpected \"%s\"",
		    l->words[i]);
	if (hello % 10 != 0 || hello > 40950)
		return conf_perr(p,
		    "standby timers: hello %u ms is not a whole "
		    "number of centiseconds from 10 ms to 40.95 s (the VRRPv3 "
		    "advertisement interval)", hello);
	if (hold <= hello)
		return conf_perr(p,
		    "standby timers: hold (%u ms) must be greater "
		    "than hello (%u ms)", hold, hello);
	sb->hello_ms = hello;
	sb->hold_ms = hold;
	return CMD_OK;
}

static int
cmd_standby_track(struct parser *p, struct cline *l, struct conf_standby *sb)
{
	struct conf_standby_track tr = { 0, 10, 0 }, *tp;
	long	 v;
	int	 i;

	if (l->nwords < 4 || conf_parse_uint(l->words[3], 1, 1000, &v) == -1)
		return conf_perr(p,
		    "standby track takes an object number from 1 "
		    "to 1000");
	tr.id = (int)v;
	for (i = 0; i < sb->ntracks; i++)
		if (sb->tracks[i].id == tr.id)
			break;
	if (l->negate) {
		if (i == sb->ntracks)
			return conf_perr(p,
			    "no standby %d track %d: not tracked",
			    sb->group, tr.id);
		memmove(&sb->tracks[i], &sb->tracks[i + 1],
		    (size_t)(sb->ntracks - i - 1) * sizeof(*sb->tracks));
		sb->ntracks--;
		return CMD_OK;
	}
	if (i < sb->ntracks)
		return conf_perr(p, "standby %d already tracks object %d",
		    sb->group, tr.id);
	if (l->nwords == 4)
		;
	else if (l->nwords == 6 && conf_word_is(l, 4, "decrement")) {
		if (conf_parse_uint(l->words[5], 1, 255, &v) == -1)
			return conf_perr(p,
			    "standby track decrement takes 1 to 255");
		tr.decrement = (int)v;
	} else if (l->nwords == 5 && conf_word_is(l, 4, "shutdown"))
		tr.shutdown = 1;
	else
		return conf_perr(p, "standby track N takes [decrement D | "
		    "shutdown]");
	tp = ARRAY_PUSH(sb->tracks, sb->ntracks);
	*tp = tr;
	return CMD_OK;
}

/*
 * standby GRP vrrp checksum {pseudo-header | rfc9568}: the IPv4 checksum
 * form havpn sends (both are accepted on receive).  pseudo-header, the
 * default, is what keepalived and FRR send and check by default.
 */
static int
cmd_standby_vrrp(struct parser *p, struct cline *l, struct conf_standby *sb)
{
	if (!conf_word_is(l, 3, "checksum"))
		return conf_perr(p,
		    "standby %d vrrp takes checksum {pseudo-header "
		    "| rfc9568}", sb->group);
	if (l->negate && l->nwords == 4) {
		sb->checksum_rfc9568 = 0;
		return CMD_OK;
	}
	if (l->nwords == 5 && conf_word_is(l, 4, "pseudo-header")) {
		sb->checksum_rfc9568 = 0;
		return CMD_OK;
	}
	if (l->nwords == 5 && conf_word_is(l, 4, "rfc9568")) {
		sb->checksum_rfc9568 = !l->negate;
		return CMD_OK;
	}
	return conf_perr(p, "standby %d vrrp checksum takes pseudo-header or "
	    "rfc9568", sb->group);
}

static int
cmd_standby(struct parser *p, struct cline *l, struct conf_interface *ifc)
{
	struct conf_standby *sb;
	long	 grp, v;
	const char *w;

	if (conf_word_is(l, 1, "version") || conf_word_is(l, 1, "use-bia") ||
	    conf_word_is(l, 1, "delay") || conf_word_is(l, 1, "bfd")) {
		conf_pwarn(p, "ignored: \"standby %s\" is HSRP-specific; havpn "
		    "runs VRRPv3", l->words[1]);
		return CMD_OK;
	}
	if (l->nwords < 3 || conf_parse_uint(l->words[1], 0, 4095, &grp) == -1)
		return conf_perr(p,
		    "standby takes a group number from 1 to 255, "
		    "then ip, priority, preempt, timers, name or track");
	if (grp < 1 || grp > 255)
		return conf_perr(p,
		    "standby group %ld: havpn maps the group to a "
		    "VRRP VRID, which is 1 to 255", grp);
	sb = standby_get(ifc, (int)grp, l->lineno);
	w = l->words[2];
	if (strcasecmp(w, "ip") == 0) {
		struct in_addr a;

		if (l->negate) {
			sb->have_vip = 0;
			return CMD_OK;
		}
		if (l->nwords == 5 && conf_word_is(l, 4, "secondary"))
			return conf_perr(p, "standby %ld ip ... secondary: one "
			    "virtual IP per group is supported", grp);
		if (l->nwords != 4)
			return conf_perr(p, "standby %ld ip takes one VIP",
			    grp);
		if (conf_parse_addr(p, l->words[3], &a, "standby ip") == -1)
			return CMD_ERR;
		if (sb->have_vip && sb->vip.s_addr != a.s_addr)
			return conf_perr(p,
			    "standby %ld already has virtual IP "
			    "(one per group)", grp);
		sb->have_vip = 1;
		sb->vip = a;
		return CMD_OK;
	}
	if (strcasecmp(w, "priority") == 0) {
		if (l->negate) {
			sb->priority = 100;
			return CMD_OK;
		}
		if (l->nwords != 4 ||
		    conf_parse_uint(l->words[3], 1, 254, &v) == -1)
			return conf_perr(p,
			    "standby %ld priority takes 1 to 254 "
			    "(0 and 255 are reserved in VRRP)", grp);
		sb->priority = (int)v;
		return CMD_OK;
	}
	if (strcasecmp(w, "preempt") == 0) {
		if (l->negate) {
			sb->preempt = 0;
			sb->preempt_delay = 0;
			return CMD_OK;
		}
		if (l->nwords == 3) {
			sb->preempt = 1;
			sb->preempt_delay = 0;
			return CMD_OK;
		}
		if (l->nwords == 6 && conf_word_is(l, 3, "delay") &&
		    conf_word_is(l, 4, "minimum")) {
			if (conf_parse_uint(l->words[5], 0, 3600, &v) == -1)
				return conf_perr(p,
				    "standby preempt delay minimum "
				    "takes 0 to 3600 seconds");
			sb->preempt = 1;
			sb->preempt_delay = (int)v;
			return CMD_OK;
		}
		return conf_perr(p,
		    "standby %ld preempt takes [delay minimum S] "
		    "(reload and sync delays are not supported)", grp);
	}
	if (strcasecmp(w, "timers") == 0)
		return cmd_standby_timers(p, l, sb);
	if (strcasecmp(w, "name") == 0) {
		if (l->negate) {
			free(sb->name);
			sb->name = NULL;
			return CMD_OK;
		}
		if (l->nwords != 4 || !conf_name_valid(l->words[3]))
			return conf_perr(p, "standby %ld name takes one NAME",
			    grp);
		free(sb->name);
		sb->name = xstrdup(l->words[3]);
		return CMD_OK;
	}
	if (strcasecmp(w, "peer") == 0) {
		if (l->negate) {
			sb->have_peer = 0;
			return CMD_OK;
		}
		if (l->nwords != 4)
			return conf_perr(p, "standby %ld peer takes the other "
			    "node's ADDR on this interface", grp);
		if (conf_parse_addr(p, l->words[3], &sb->peer,
		    "standby peer") == -1)
			return CMD_ERR;
		sb->have_peer = 1;
		return CMD_OK;
	}
	if (strcasecmp(w, "track") == 0)
		return cmd_standby_track(p, l, sb);
	if (strcasecmp(w, "vrrp") == 0)
		return cmd_standby_vrrp(p, l, sb);
	if (strcasecmp(w, "authentication") == 0 ||
	    strcasecmp(w, "mac-address") == 0 ||
	    strcasecmp(w, "follow") == 0 || strcasecmp(w, "mac-refresh") == 0) {
		conf_pwarn(p, "ignored: \"standby %ld %s\" has no VRRPv3 "
		    "counterpart", grp, w);
		return CMD_OK;
	}
	return conf_perr(p, "\"standby %ld %s\" is not supported", grp, w);
}

static int
cmd_iface_crypto_map(struct parser *p, struct cline *l,
    struct conf_interface *ifc)
{
	if (l->negate) {
		free(ifc->crypto_map);
		free(ifc->redundancy);
		ifc->crypto_map = ifc->redundancy = NULL;
		ifc->stateful = 0;
		return CMD_OK;
	}
	if (l->nwords < 3 || !conf_name_valid(l->words[2]))
		return conf_perr(p,
		    "crypto map takes NAME [redundancy GROUPNAME "
		    "[stateful]]");
	if (l->nwords == 3)
		;
	else if ((l->nwords == 5 || l->nwords == 6) &&
	    conf_word_is(l, 3, "redundancy") && conf_name_valid(l->words[4])) {
		if (l->nwords == 6 && !conf_word_is(l, 5, "stateful"))
			return conf_perr(p, "crypto map %s redundancy %s: "
			    "unexpected \"%s\"", l->words[2], l->words[4],
			    l->words[5]);
	} else
		return conf_perr(p,
		    "crypto map takes NAME [redundancy GROUPNAME "
		    "[stateful]]");
	if (ifc->crypto_map != NULL)
		return conf_perr(p,
		    "interface %s has crypto map %s already (line "
		    "%d): one map per interface", ifc->name, ifc->crypto_map,
		    ifc->crypto_map_line);
	ifc->crypto_map = xstrdup(l->words[2]);
	ifc->crypto_map_line = l->lineno;
	if (l->nwords >= 5)
		ifc->redundancy = xstrdup(l->words[4]);
	ifc->stateful = l->nwords == 6;
	return CMD_OK;
}

int
conf_mode_iface(struct parser *p, struct cline *l)
{
	struct conf_interface *ifc = &p->cf->ifaces[p->stack[p->depth - 1].idx];

	if (conf_word_is(l, 0, "ip") && conf_word_is(l, 1, "address")) {
		if (l->negate) {
			ifc->have_addr = 0;
			return CMD_OK;
		}
		if (l->nwords == 5 && conf_word_is(l, 4, "secondary")) {
			conf_pwarn(p,
			    "ignored: secondary addresses are outside "
			    "havpn");
			return CMD_OK;
		}
		if (l->nwords == 3 && (conf_word_is(l, 2, "dhcp") ||
		    conf_word_is(l, 2, "negotiated")))
			return conf_perr(p, "ip address %s: a gateway needs a "
			    "static address", l->words[2]);
		if (l->nwords != 4)
			return conf_perr(p, "ip address takes ADDR MASK");
		if (conf_parse_addr(p, l->words[2], &ifc->addr,
		    "ip address") == -1 ||
		    conf_parse_mask(p, l->words[3], &ifc->mask) == -1)
			return CMD_ERR;
		ifc->have_addr = 1;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "standby"))
		return cmd_standby(p, l, ifc);
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "map"))
		return cmd_iface_crypto_map(p, l, ifc);
	if (conf_word_is(l, 0, "description")) {
		free(ifc->description);
		ifc->description = NULL;
		if (l->negate)
			return CMD_OK;
		if (l->nwords < 2)
			return conf_perr(p, "description takes a text");
		if (strlen(l->rest[1]) > 240)
			return conf_perr(p, "description is longer than 240 "
			    "characters");
		ifc->description = xstrdup(l->rest[1]);
		return CMD_OK;
	}
	if (conf_ignored_iface(p, l))
		return CMD_OK;
	return CMD_UNKNOWN;
}
