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
#include <unistd.h>

#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "lib/lib.h"
#include "esp/esp_int.h"
#include "esp/engine.h"

#define NL_BUFSIZE	16384

struct nlreq {
	struct nlmsghdr	 h;
	uint8_t		 body[512];
};

static void
attr_put(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr	*a;
	size_t		 at = NLMSG_ALIGN(r->h.nlmsg_len);

	if (at + RTA_SPACE(len) > sizeof(*r))
		fatalx(LOG_ESP, "netlink request too long");
	a = (struct rtattr *)((uint8_t *)r + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
}

static void
attr_u32(struct nlreq *r, uint16_t type, uint32_t v)
{
	attr_put(r, type, &v, sizeof(v));
}

static void
attr_u8(struct nlreq *r, uint16_t type, uint8_t v)
{
	attr_put(r, type, &v, sizeof(v));
}

int
esp_rtnl_open(void)
{
	struct sockaddr_nl sa;
	int		 fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send one request and wait for its acknowledgement; errno on failure. */
static int
transact(int fd, struct nlreq *r)
{
	static uint32_t	 seq;
	uint8_t		 resp[NL_BUFSIZE];
	ssize_t		 n;

	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = ++seq;
	if (send(fd, r, r->h.nlmsg_len, 0) == -1)
		return -1;
	for (;;) {
		struct nlmsghdr *h;

		if ((n = recv(fd, resp, sizeof(resp), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (h = (struct nlmsghdr *)resp; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			struct nlmsgerr *e;

			if (h->nlmsg_seq != r->h.nlmsg_seq ||
			    h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = NLMSG_DATA(h);
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

static void
rule_msg(struct nlreq *r, int add, const struct esp_rule *rule)
{
	struct fib_rule_hdr *f;

	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(sizeof(*f));
	r->h.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	if (add)
		r->h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	f = NLMSG_DATA(&r->h);
	f->family = AF_INET;
	f->action = FR_ACT_TO_TBL;
	f->src_len = (uint8_t)rule->src_len;
	f->dst_len = (uint8_t)rule->dst_len;
	f->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	attr_u32(r, FRA_TABLE, rule->table);
	attr_u32(r, FRA_PRIORITY, rule->priority);
	attr_u8(r, FRA_PROTOCOL, RTPROT_HAVPN);
	if (rule->src_len > 0)
		attr_put(r, FRA_SRC, &rule->src, 4);
	if (rule->dst_len > 0)
		attr_put(r, FRA_DST, &rule->dst, 4);
	if (rule->fwmark != 0) {
		attr_u32(r, FRA_FWMARK, rule->fwmark);
		attr_u32(r, FRA_FWMASK, 0xffffffff);
	}
	if (rule->proto != 0)
		attr_u8(r, FRA_IP_PROTO, rule->proto);
	if (rule->sport != 0) {
		struct fib_rule_port_range pr = { rule->sport, rule->sport };

		attr_put(r, FRA_SPORT_RANGE, &pr, sizeof(pr));
	}
	if (rule->dport != 0) {
		struct fib_rule_port_range pr = { rule->dport, rule->dport };

		attr_put(r, FRA_DPORT_RANGE, &pr, sizeof(pr));
	}
}

int
esp_rtnl_rule(int fd, int add, const struct esp_rule *rule)
{
	struct nlreq	 r;

	rule_msg(&r, add, rule);
	if (transact(fd, &r) == -1) {
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
	struct nlreq	 r;
	struct rtmsg	*m;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
	r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	if (add)
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	m = NLMSG_DATA(&r.h);
	m->rtm_family = AF_INET;
	m->rtm_dst_len = (uint8_t)dst_len;
	m->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	m->rtm_protocol = RTPROT_HAVPN;
	m->rtm_scope = RT_SCOPE_LINK;
	m->rtm_type = RTN_UNICAST;
	attr_u32(&r, RTA_TABLE, table);
	if (dst_len > 0)
		attr_put(&r, RTA_DST, &dst, 4);
	if (oif > 0)
		attr_u32(&r, RTA_OIF, (uint32_t)oif);
	if (transact(fd, &r) == -1) {
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
	struct nlreq	 r, del[256];
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
		if (transact(fd, &del[i]) == 0)
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
