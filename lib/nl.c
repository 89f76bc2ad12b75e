/*
 * rtnetlink requests: the socket, a request's attributes, and the wait for
 * the kernel's acknowledgement.  A kernel API only: the modules build
 * their own messages (esp/rtnl.c rules and routes, vrrp/netlink.c
 * addresses and links).
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "lib.h"

#define NL_ACK_BUFSIZE	16384

int
nl_open(unsigned int groups)
{
	struct sockaddr_nl sa;
	int		 fd, rcvbuf = 1 << 20;

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

void *
nl_req_init(struct nl_req *r, void *buf, size_t cap, uint16_t type,
    uint16_t flags, size_t hdrlen)
{
	if (cap < NLMSG_SPACE(hdrlen))
		fatalx(LOG_MAIN, "netlink request buffer too small");
	memset(buf, 0, cap);
	r->h = buf;
	r->cap = cap;
	r->h->nlmsg_len = (uint32_t)NLMSG_LENGTH(hdrlen);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = flags;
	return NLMSG_DATA(r->h);
}

void
nl_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr	*a;
	size_t		 at = NLMSG_ALIGN(r->h->nlmsg_len);

	if (at + RTA_SPACE(len) > r->cap)
		fatalx(LOG_MAIN, "netlink request too long");
	a = (struct rtattr *)((uint8_t *)r->h + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
}

void
nl_attr_u8(struct nl_req *r, uint16_t type, uint8_t v)
{
	nl_attr(r, type, &v, sizeof(v));
}

void
nl_attr_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_attr(r, type, &v, sizeof(v));
}

int
nl_transact(int fd, struct nlmsghdr *h)
{
	static uint32_t	 seq;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint8_t		 buf[NL_ACK_BUFSIZE];
	ssize_t		 n;

	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = ++seq;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return -1;
	for (;;) {
		struct nlmsghdr *r;

		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (r = (struct nlmsghdr *)(void *)buf; NLMSG_OK(r, (size_t)n);
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
