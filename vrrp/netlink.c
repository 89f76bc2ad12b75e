/*
 * rtnetlink for the election: add, refresh and remove the virtual IPs,
 * list links and addresses, and read link and address events.
 *
 * Requests go over a blocking socket and wait for the kernel's ack (the
 * kernel handles an address request inside sendmsg, so the wait is
 * short); events arrive on a separate non-blocking socket bound to
 * RTMGRP_LINK | RTMGRP_IPV4_IFADDR.
 *
 * Virtual IPs are /32 with a valid and preferred lifetime of a few
 * seconds, refreshed while the group is Active: if havpnd dies without
 * removing them (kill -9), the kernel does within the lifetime, so the
 * node stops answering ARP for them on its own.
 */
#include <sys/socket.h>

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "lib/lib.h"
#include "vrrp/vrrp_int.h"

#define NL_BUFSIZE	32768

static uint32_t nl_seq;

int
vrrp_nl_open(unsigned int groups)
{
	struct sockaddr_nl sa;
	int	 fd, rcvbuf = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC |
	    (groups != 0 ? SOCK_NONBLOCK : 0), NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = groups;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	if (groups != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	return fd;
}

/* A request under construction. */
struct nlreq {
	struct nlmsghdr	*h;
	size_t		 cap;
};

static void
addattr(struct nlreq *r, int type, const void *data, size_t len)
{
	struct rtattr *rta;
	size_t	 at = NLMSG_ALIGN(r->h->nlmsg_len);

	if (at + RTA_SPACE(len) > r->cap)
		fatalx(LOG_VRRP, "netlink request overflow");
	rta = (struct rtattr *)((char *)r->h + at);
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->h->nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
}

/* Send a request and wait for its ack: 0, or -1 with errno. */
static int
nl_talk(int fd, struct nlmsghdr *h)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char	 buf[NL_BUFSIZE];
	ssize_t	 n;

	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++nl_seq;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return -1;
	for (;;) {
		struct nlmsghdr *r;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		for (r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n);
		    r = NLMSG_NEXT(r, n)) {
			struct nlmsgerr *e;

			if (r->nlmsg_seq != h->nlmsg_seq ||
			    r->nlmsg_type != NLMSG_ERROR)
				continue;
			if (r->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				errno = EPROTO;
				return -1;
			}
			e = NLMSG_DATA(r);
			if (e->error == 0)
				return 0;
			errno = -e->error;
			return -1;
		}
	}
}

static int
addr_msg(int fd, int type, int flags, int index, struct in_addr a,
    int prefixlen, uint32_t lifetime)
{
	union {
		struct nlmsghdr	 h;
		char		 buf[256];
	} u;
	struct nlreq r = { &u.h, sizeof(u) };
	struct ifaddrmsg *ifa;
	struct ifa_cacheinfo ci;

	memset(&u, 0, sizeof(u));
	u.h.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	u.h.nlmsg_type = (unsigned short)type;
	u.h.nlmsg_flags = (unsigned short)flags;
	ifa = NLMSG_DATA(&u.h);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)index;
	addattr(&r, IFA_LOCAL, &a.s_addr, 4);
	addattr(&r, IFA_ADDRESS, &a.s_addr, 4);
	if (lifetime != 0) {
		memset(&ci, 0, sizeof(ci));
		ci.ifa_prefered = lifetime;
		ci.ifa_valid = lifetime;
		addattr(&r, IFA_CACHEINFO, &ci, sizeof(ci));
	}
	return nl_talk(fd, &u.h);
}

/* Add, or refresh the lifetime of, vip/32 on index. */
int
vrrp_nl_addr_add(int fd, int index, struct in_addr vip, uint32_t lifetime)
{
	return addr_msg(fd, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, index,
	    vip, 32, lifetime);
}

/* Remove vip/prefixlen; one already gone is not an error. */
int
vrrp_nl_addr_del(int fd, int index, struct in_addr vip, int prefixlen)
{
	if (addr_msg(fd, RTM_DELADDR, 0, index, vip, prefixlen, 0) == 0)
		return 0;
	return errno == EADDRNOTAVAIL || errno == ENOENT || errno == ENODEV ?
	    0 : -1;
}

static void
parse_link(struct nlmsghdr *h, struct vrrp_nl_link *l)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *rta;
	int	 len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));

	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->up = h->nlmsg_type == RTM_NEWLINK &&
	    (ifi->ifi_flags & IFF_UP) != 0 &&
	    (ifi->ifi_flags & IFF_RUNNING) != 0;
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_IFNAME) {
			size_t	 n = RTA_PAYLOAD(rta);

			if (n >= sizeof(l->name))
				n = sizeof(l->name) - 1;
			memcpy(l->name, RTA_DATA(rta), n);
			l->name[n] = '\0';
		}
}

/* 0, or -1 if it is not an IPv4 address message. */
static int
parse_addr(struct nlmsghdr *h, struct vrrp_nl_addr *a)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *rta;
	int	 len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	int	 have = 0;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET)
		return -1;
	memset(a, 0, sizeof(*a));
	a->index = (int)ifa->ifa_index;
	a->prefixlen = ifa->ifa_prefixlen;
	a->secondary = (ifa->ifa_flags & IFA_F_SECONDARY) != 0;
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) != 4)
			continue;
		if (rta->rta_type == IFA_LOCAL) {
			memcpy(&a->addr.s_addr, RTA_DATA(rta), 4);
			have = 2;
		} else if (rta->rta_type == IFA_ADDRESS && have == 0) {
			memcpy(&a->addr.s_addr, RTA_DATA(rta), 4);
			have = 1;
		}
	}
	return have ? 0 : -1;
}

/* A dump: each message of type want to fn; 0 or -1. */
static int
nl_dump(int fd, int type, void (*fn)(void *, struct nlmsghdr *), void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr	 h;
		struct rtgenmsg	 g;
	} req;
	char	*buf = xmalloc(NL_BUFSIZE);
	ssize_t	 n;
	int	 rc = -1;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.g));
	req.h.nlmsg_type = (unsigned short)type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++nl_seq;
	req.g.rtgen_family = AF_UNSPEC;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		goto done;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, NL_BUFSIZE, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto done;
		for (h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto done;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				errno = EPROTO;
				goto done;
			}
			fn(arg, h);
		}
	}
done:
	free(buf);
	return rc;
}

struct links {
	struct vrrp_nl_link *v;
	int		 n;
};

static void
collect_link(void *arg, struct nlmsghdr *h)
{
	struct links *l = arg;

	if (h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return;
	l->v = xreallocarray(l->v, (size_t)l->n + 1, sizeof(*l->v));
	parse_link(h, &l->v[l->n++]);
}

int
vrrp_nl_dump_links(int fd, struct vrrp_nl_link **out, int *n)
{
	struct links l = { NULL, 0 };

	if (nl_dump(fd, RTM_GETLINK, collect_link, &l) == -1) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

struct addrs {
	struct vrrp_nl_addr *v;
	int		 n;
};

static void
collect_addr(void *arg, struct nlmsghdr *h)
{
	struct addrs *l = arg;
	struct vrrp_nl_addr a;

	if (h->nlmsg_type != RTM_NEWADDR || parse_addr(h, &a) == -1)
		return;
	l->v = xreallocarray(l->v, (size_t)l->n + 1, sizeof(*l->v));
	l->v[l->n++] = a;
}

int
vrrp_nl_dump_addrs(int fd, struct vrrp_nl_addr **out, int *n)
{
	struct addrs l = { NULL, 0 };

	if (nl_dump(fd, RTM_GETADDR, collect_addr, &l) == -1) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int
vrrp_nl_read_events(int fd,
    void (*on_link)(void *, const struct vrrp_nl_link *),
    void (*on_deladdr)(void *, const struct vrrp_nl_addr *), void *arg)
{
	char	 buf[NL_BUFSIZE];
	ssize_t	 n;

	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (n == 0)
			return 0;
		for (h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			struct vrrp_nl_link l;
			struct vrrp_nl_addr a;

			if ((h->nlmsg_type == RTM_NEWLINK ||
			    h->nlmsg_type == RTM_DELLINK) &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct
			    ifinfomsg))) {
				parse_link(h, &l);
				on_link(arg, &l);
			} else if (h->nlmsg_type == RTM_DELADDR &&
			    parse_addr(h, &a) == 0)
				on_deladdr(arg, &a);
		}
	}
}
