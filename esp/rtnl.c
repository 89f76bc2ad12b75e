/*
 * rtnetlink for the userspace engine: the policy routing rules that steer
 * protected traffic into the TUN device, the routes of its table, the
 * reverse-route routes in the main table, and the sweep that removes all
 * of them (at start-up, for a crashed run's leftovers, and at stop).
 *
 * Everything havpn installs carries protocol RTPROT_HAVPN (rules through
 * FRA_PROTOCOL, routes through rtm_protocol), so the sweep deletes exactly
 * what havpn made and nothing else.
 */
#include <errno.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "lib/lib.h"
#include "esp/esp_int.h"
#include "esp/engine.h"

#define NL_BUFSIZE	16384

/* Room for one request, or one dumped rule or route kept to delete. */
struct nlbuf {
	struct nlmsghdr	 h;
	uint8_t		 body[512];
};

static void
rule_msg(struct nlbuf *b, int add, const struct esp_rule *rule)
{
	struct nl_req	 r;
	struct fib_rule_hdr *f;

	f = nl_req_init(&r, b, sizeof(*b), add ? RTM_NEWRULE : RTM_DELRULE,
	    add ? NLM_F_CREATE | NLM_F_EXCL : 0, sizeof(*f));
	f->family = AF_INET;
	f->action = FR_ACT_TO_TBL;
	f->src_len = (uint8_t)rule->src_len;
	f->dst_len = (uint8_t)rule->dst_len;
	f->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	nl_attr_u32(&r, FRA_TABLE, rule->table);
	nl_attr_u32(&r, FRA_PRIORITY, rule->priority);
	nl_attr_u8(&r, FRA_PROTOCOL, RTPROT_HAVPN);
	if (rule->src_len > 0)
		nl_attr(&r, FRA_SRC, &rule->src, 4);
	if (rule->dst_len > 0)
		nl_attr(&r, FRA_DST, &rule->dst, 4);
	if (rule->fwmark != 0) {
		nl_attr_u32(&r, FRA_FWMARK, rule->fwmark);
		nl_attr_u32(&r, FRA_FWMASK, 0xffffffff);
	}
	if (rule->proto != 0)
		nl_attr_u8(&r, FRA_IP_PROTO, rule->proto);
	if (rule->sport != 0) {
		struct fib_rule_port_range pr = { rule->sport, rule->sport };

		nl_attr(&r, FRA_SPORT_RANGE, &pr, sizeof(pr));
	}
	if (rule->dport != 0) {
		struct fib_rule_port_range pr = { rule->dport, rule->dport };

		nl_attr(&r, FRA_DPORT_RANGE, &pr, sizeof(pr));
	}
}

int
esp_rtnl_rule(int fd, int add, const struct esp_rule *rule)
{
	struct nlbuf	 b;

	rule_msg(&b, add, rule);
	if (nl_transact(fd, &b.h) == -1) {
		if (add && errno == EEXIST)
			return 0;
		if (!add && errno == ENOENT)
			return 0;
		return -1;
	}
	return 0;
}

int
esp_rtnl_route(int fd, int add, uint32_t table, struct in_addr dst,
    int dst_len, int oif)
{
	struct nlbuf	 b;
	struct nl_req	 r;
	struct rtmsg	*m;

	m = nl_req_init(&r, &b, sizeof(b), add ? RTM_NEWROUTE : RTM_DELROUTE,
	    add ? NLM_F_CREATE | NLM_F_REPLACE : 0, sizeof(*m));
	m->rtm_family = AF_INET;
	m->rtm_dst_len = (uint8_t)dst_len;
	m->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	m->rtm_protocol = RTPROT_HAVPN;
	m->rtm_scope = RT_SCOPE_LINK;
	m->rtm_type = RTN_UNICAST;
	nl_attr_u32(&r, RTA_TABLE, table);
	if (dst_len > 0)
		nl_attr(&r, RTA_DST, &dst, 4);
	if (oif > 0)
		nl_attr_u32(&r, RTA_OIF, (uint32_t)oif);
	if (nl_transact(fd, &b.h) == -1) {
		if (!add && (errno == ESRCH || errno == ENOENT))
			return 0;
		return -1;
	}
	return 0;
}

/*
 * Dump rules or routes and delete every one with protocol RTPROT_HAVPN.
 * Deleting while dumping would disturb the dump: collect, then delete.
 */
static int
sweep(int fd, int rules)
{
	struct nlbuf	 r, del[256];
	uint8_t		 resp[NL_BUFSIZE];
	int		 ndel = 0, done = 0, removed = 0;
	ssize_t		 n;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(rules ? sizeof(struct fib_rule_hdr) :
	    sizeof(struct rtmsg));
	r.h.nlmsg_type = rules ? RTM_GETRULE : RTM_GETROUTE;
	r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.h.nlmsg_seq = 0x5eed;
	((struct rtmsg *)NLMSG_DATA(&r.h))->rtm_family = AF_INET;
	if (send(fd, &r, r.h.nlmsg_len, 0) == -1)
		return -1;
	while (!done) {
		struct nlmsghdr *h;

		if ((n = recv(fd, resp, sizeof(resp), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (h = (struct nlmsghdr *)resp; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			int	 ours = 0;

			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (rules) {
				struct rtattr	*a;
				int		 alen;

				a = (struct rtattr *)((uint8_t *)NLMSG_DATA(h) +
				    NLMSG_ALIGN(sizeof(struct fib_rule_hdr)));
				alen = (int)h->nlmsg_len - NLMSG_LENGTH(
				    sizeof(struct fib_rule_hdr));
				for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen))
					if (a->rta_type == FRA_PROTOCOL &&
					    *(uint8_t *)RTA_DATA(a) ==
					    RTPROT_HAVPN)
						ours = 1;
			} else {
				struct rtmsg *m = NLMSG_DATA(h);

				ours = m->rtm_protocol == RTPROT_HAVPN;
			}
			if (!ours || ndel == (int)nitems(del) ||
			    h->nlmsg_len > sizeof(del[0]))
				continue;
			memcpy(&del[ndel], h, h->nlmsg_len);
			del[ndel].h.nlmsg_type = rules ? RTM_DELRULE :
			    RTM_DELROUTE;
			del[ndel].h.nlmsg_flags = 0;
			ndel++;
		}
	}
	for (int i = 0; i < ndel; i++)
		if (nl_transact(fd, &del[i].h) == 0)
			removed++;
	/* more than one batch: go again */
	if (ndel == (int)nitems(del) && removed > 0) {
		int	 more = sweep(fd, rules);

		return more == -1 ? -1 : removed + more;
	}
	return removed;
}

int
esp_rtnl_sweep(int fd)
{
	int	 a, b;

	if ((a = sweep(fd, 1)) == -1 || (b = sweep(fd, 0)) == -1)
		return -1;
	return a + b;
}
