/*
 * The election's I/O around the pure state machine (fsm.c), on libev:
 *
 *   per interface	a raw IP socket for protocol 112, bound to the
 *			interface and to 224.0.0.18 (receive); an IPPROTO_RAW
 *			socket, send only, with our own IPv4 header (TTL 255,
 *			TOS 0xc0, source the interface's primary address, so
 *			the pseudo-header checksum is over what is sent); a
 *			PF_PACKET socket with protocol 0 (send only) for
 *			gratuitous ARP
 *   rtnetlink		a request socket (VIPs, dumps) and a monitor socket
 *			(link state for the groups' interfaces and the track
 *			objects; VIPs that disappear while held)
 *   timers		one ev_timer at the machine's next deadline, and one
 *			refreshing the VIPs' lifetimes every 500 ms
 *
 * Bad adverts are counted per interface and reason, and logged at most
 * every 10 seconds per interface.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>

#include <ev.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "vrrp/vrrp_int.h"

#define VIP_LIFETIME_S		2	/* seconds the kernel keeps a VIP */
#define VIP_REFRESH_S		0.5	/* ... refreshed this often */
#define GARP_BURST		5	/* frames per gratuitous ARP */
#define LOG_INTERVAL_MS		10000	/* rate limit of drop logs */
#define RX_BATCH		64

struct vrrp_iface {
	struct vrrp	*v;
	char		 name[IF_NAMESIZE];
	int		 index;
	struct in_addr	 addr;		/* primary: the advert source */
	uint8_t		 mac[6];
	int		 rx_fd;
	int		 tx_fd;
	int		 arp_fd;
	ev_io		 rx_w;
	uint64_t	 drops[VRRP_NDROPS];
	struct log_ratelimit rl;
	uint64_t	 tx_errors;
};

struct vrrp_group {
	int		 ifi;		/* index into v->ifaces */
	int		 vrid;
	char		 name[80];
	int		 name_configured;
	struct in_addr	 vip;
	uint32_t	 hello_ms;
	uint32_t	 hold_ms;
	int		 priority;	/* configured */
	int		 preempt;
	int		 preempt_delay;
	enum vrrp_cksum	 form;
	struct in_addr	 peer;		/* standby GRP peer; 0: none */
	struct vrrp_track_info *tracks;	/* this group's track lines */
	int		 ntracks;
	uint64_t	 checksum_other;
	struct log_ratelimit rl;
};

struct vrrp_tobj {
	int		 id;
	char		 ifname[IF_NAMESIZE];
};

struct vrrp {
	struct ev_loop	*loop;
	struct vrrp_fsm	 fsm;
	int		 running;	/* fsm built and started */
	struct vrrp_iface *ifaces;
	int		 nifaces;
	struct vrrp_group *groups;
	int		 ngroups;
	int		 leader;	/* group index; -1: none */
	struct vrrp_tobj *tobjs;
	int		 ntobjs;
	struct vrrp_nl_link *links;	/* every link, by name */
	int		 nlinks;
	int		 nl_req;
	int		 nl_mon;
	ev_io		 nl_w;
	ev_timer	 timer;
	ev_timer	 refresh;
	struct vrrp_listener listeners[VRRP_MAX_LISTENERS];
	int		 nlisteners;
	enum vrrp_role	 role;
	int		 ready;
	int		 no_preempt;	/* vrrp_hold_preempt */
	vrrp_peer_fn	 peer_fn;	/* who the pair's other node is */
	void		*peer_arg;
};

const char *
vrrp_state_name(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:	return "Init";
	case VRRP_STATE_BACKUP:	return "Standby";
	case VRRP_STATE_MASTER:	return "Active";
	}
	return "?";
}

const char *
vrrp_rfc_state_name(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:	return "Initialize";
	case VRRP_STATE_BACKUP:	return "Backup";
	case VRRP_STATE_MASTER:	return "Master";
	}
	return "?";
}

const char *
vrrp_role_name(enum vrrp_role r)
{
	switch (r) {
	case VRRP_ROLE_INIT:	return "init";
	case VRRP_ROLE_STANDBY:	return "standby";
	case VRRP_ROLE_ACTIVE:	return "active";
	}
	return "?";
}

static enum vrrp_role
role_of(enum vrrp_state s)
{
	switch (s) {
	case VRRP_STATE_INIT:	return VRRP_ROLE_INIT;
	case VRRP_STATE_BACKUP:	return VRRP_ROLE_STANDBY;
	case VRRP_STATE_MASTER:	return VRRP_ROLE_ACTIVE;
	}
	return VRRP_ROLE_INIT;
}

static const struct vrrp_nl_link *
link_find(const struct vrrp *v, const char *name)
{
	for (int i = 0; i < v->nlinks; i++)
		if (strcmp(v->links[i].name, name) == 0)
			return &v->links[i];
	return NULL;
}

static int
link_up(const struct vrrp *v, const char *name)
{
	const struct vrrp_nl_link *l = link_find(v, name);

	return l != NULL && l->up;
}

/* ---- the machine's actions ---------------------------------------------- */

static void
rearm(struct vrrp *v)
{
	uint64_t next, now;

	ev_timer_stop(v->loop, &v->timer);
	if (!v->running || (next = vrrp_fsm_next(&v->fsm)) == UINT64_MAX)
		return;
	ev_now_update(v->loop);
	now = time_mono_us();
	ev_timer_set(&v->timer, next > now ? (double)(next - now) / 1e6 : 0,
	    0);
	ev_timer_start(v->loop, &v->timer);
}

static void
act_send(void *arg, int gi, int prio)
{
	struct vrrp	*v = arg;
	struct vrrp_group *g = &v->groups[gi];
	struct vrrp_iface *ifp = &v->ifaces[g->ifi];
	struct sockaddr_in dst;
	uint8_t		 pkt[64];
	size_t		 len;
	uint64_t	 sup;

	len = vrrp_advert_build(pkt, sizeof(pkt), ifp->addr, (uint8_t)g->vrid,
	    (uint8_t)prio, (uint16_t)(g->hello_ms / 10), &g->vip, 1, g->form);
	if (len == 0)
		fatalx(LOG_VRRP, "group %d: cannot build an advert", g->vrid);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(VRRP_GROUP_ADDR);
	if (sendto(ifp->tx_fd, pkt, len, 0, (struct sockaddr *)&dst,
	    sizeof(dst)) == -1) {
		ifp->tx_errors++;
		if (log_ratelimit_ok(&ifp->rl, time_mono_ms(),
		    LOG_INTERVAL_MS, &sup))
			log_warn(LOG_VRRP, "%s group %d: advert not sent "
			    "(%llu similar suppressed)", ifp->name, g->vrid,
			    (unsigned long long)sup);
	}
}

static void
act_vip(void *arg, int gi, int add)
{
	struct vrrp	*v = arg;
	struct vrrp_group *g = &v->groups[gi];
	struct vrrp_iface *ifp = &v->ifaces[g->ifi];
	char		 a[INET_ADDRSTRLEN];
	int		 rc;

	addr_str(g->vip, a);
	if (add)
		rc = vrrp_nl_addr_add(v->nl_req, ifp->index, g->vip,
		    VIP_LIFETIME_S);
	else
		rc = vrrp_nl_addr_del(v->nl_req, ifp->index, g->vip, 32);
	if (rc == -1)
		log_warn(LOG_VRRP, "%s group %d: %s virtual IP %s", ifp->name,
		    g->vrid, add ? "adding" : "removing", a);
	else
		log_info(LOG_VRRP, "%s group %d: virtual IP %s %s", ifp->name,
		    g->vrid, a, add ? "added" : "removed");
}

static void
send_garp(struct vrrp *v, int gi)
{
	struct vrrp_group *g = &v->groups[gi];
	struct vrrp_iface *ifp = &v->ifaces[g->ifi];
	struct sockaddr_ll sll;
	uint8_t		 frame[VRRP_ARP_LEN];

	if (vrrp_garp_build(frame, sizeof(frame), ifp->mac, g->vip) == 0)
		fatalx(LOG_VRRP, "cannot build a gratuitous ARP");
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifp->index;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	for (int i = 0; i < GARP_BURST; i++)
		if (sendto(ifp->arp_fd, frame, sizeof(frame), 0,
		    (struct sockaddr *)&sll, sizeof(sll)) == -1) {
			ifp->tx_errors++;
			log_warn(LOG_VRRP, "%s group %d: gratuitous ARP",
			    ifp->name, g->vrid);
			break;
		}
}

static void
act_garp(void *arg, int gi)
{
	send_garp(arg, gi);
}

static void
act_state(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	struct vrrp	*v = arg;
	struct vrrp_group *g = &v->groups[gi];
	struct vrrp_group_change c;

	log_info(LOG_VRRP, "%s group %d (%s): state %s -> %s: %s",
	    v->ifaces[g->ifi].name, g->vrid, g->name, vrrp_state_name(from),
	    vrrp_state_name(to), reason);
	c.ifname = v->ifaces[g->ifi].name;
	c.group = g->vrid;
	c.name = g->name;
	c.vip = g->vip;
	c.from = from;
	c.to = to;
	c.reason = reason;
	for (int i = 0; i < v->nlisteners; i++)
		if (v->listeners[i].group != NULL)
			v->listeners[i].group(v->listeners[i].arg, &c);
}

static void
act_role(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	struct vrrp	*v = arg;
	enum vrrp_role	 old = v->role;

	(void)from;
	/* the node's role is its leader's state (the first group's if the
	 * groups are independent) */
	if (gi != (v->leader >= 0 ? v->leader : 0))
		return;
	v->role = role_of(to);
	if (v->role == old)
		return;
	log_info(LOG_VRRP, "node role %s -> %s: %s", vrrp_role_name(old),
	    vrrp_role_name(v->role), reason);
	for (int i = 0; i < v->nlisteners; i++)
		if (v->listeners[i].role != NULL)
			v->listeners[i].role(v->listeners[i].arg, old,
			    v->role, reason);
}

static const struct vrrp_fsm_ops io_ops = {
	act_send, act_vip, act_garp, act_state, act_role,
};

/* ---- events ------------------------------------------------------------- */

static void	 rx_drain(struct vrrp *, struct vrrp_iface *);

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vrrp	*v = w->data;

	(void)loop;
	(void)revents;
	/*
	 * After the process stood still (a long import, a paused VM), the
	 * timer and the adverts that arrived meanwhile are due together,
	 * and libev runs the timer first: the adverts waiting in the
	 * sockets are read before the Master_Down_Timer is believed.
	 */
	for (int i = 0; i < v->nifaces; i++)
		if (v->ifaces[i].rx_fd != -1)
			rx_drain(v, &v->ifaces[i]);
	vrrp_fsm_timer(&v->fsm, time_mono_us());
	rearm(v);
}

/* Keep the VIPs' lifetimes from running out while they are held. */
static void
refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vrrp	*v = w->data;

	(void)loop;
	(void)revents;
	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_group *g = &v->groups[gi];

		if (!v->fsm.groups[gi].vip_held)
			continue;
		if (vrrp_nl_addr_add(v->nl_req, v->ifaces[g->ifi].index,
		    g->vip, VIP_LIFETIME_S) == -1)
			log_warn(LOG_VRRP, "%s group %d: refreshing the "
			    "virtual IP", v->ifaces[g->ifi].name, g->vrid);
	}
}

static void
count_drop(struct vrrp_iface *ifp, enum vrrp_drop d, const char *why,
    struct in_addr src, int vrid)
{
	char		 a[INET_ADDRSTRLEN];
	uint64_t	 sup;

	ifp->drops[d]++;
	if (d == VRRP_DROP_OWN)
		return;
	/* other VRIDs on the link are normal: debug only */
	if (d == VRRP_DROP_VRID) {
		log_debug(LOG_VRRP, "%s: advert for VRID %d from %s: no such "
		    "group", ifp->name, vrid, addr_str(src, a));
		return;
	}
	if (log_ratelimit_ok(&ifp->rl, time_mono_ms(), LOG_INTERVAL_MS, &sup))
		log_warnx(LOG_VRRP, "%s: advert from %s dropped (%s): %s "
		    "(%llu more dropped since the last report)", ifp->name,
		    src.s_addr != 0 ? addr_str(src, a) : "?",
		    vrrp_drop_name(d), why, (unsigned long long)sup);
}

/*
 * An advert may come from the pair's other node only, once it is known:
 * "standby GRP peer ADDR", or else what the peer function says (the
 * address the other node announced over the sync channel).  Unknown:
 * accepted (keepalived or any VRRP router as the other one).
 */
static int
from_peer(const struct vrrp *v, int gi, struct in_addr src)
{
	const struct vrrp_group *g = &v->groups[gi];
	struct in_addr	 peer;

	if (g->peer.s_addr != 0)
		return src.s_addr == g->peer.s_addr;
	if (v->peer_fn != NULL && v->peer_fn(v->peer_arg,
	    v->ifaces[g->ifi].name, &peer) == 0)
		return src.s_addr == peer.s_addr;
	return 1;
}

void
vrrp_set_peer_fn(struct vrrp *v, vrrp_peer_fn fn, void *arg)
{
	v->peer_fn = fn;
	v->peer_arg = arg;
}

static void
rx_one(struct vrrp *v, struct vrrp_iface *ifp, const uint8_t *pkt,
    size_t len)
{
	struct vrrp_advert a;
	const char	*why;
	enum vrrp_drop	 d;
	uint64_t	 sup;
	int		 gi;

	d = vrrp_advert_parse(pkt, len, &a, &why);
	if (d != VRRP_ACCEPT) {
		count_drop(ifp, d, why, a.src, 0);
		return;
	}
	if (a.src.s_addr == ifp->addr.s_addr) {
		count_drop(ifp, VRRP_DROP_OWN, "", a.src, a.vrid);
		return;
	}
	for (gi = 0; gi < v->ngroups; gi++)
		if (v->groups[gi].vrid == a.vrid &&
		    &v->ifaces[v->groups[gi].ifi] == ifp)
			break;
	if (gi == v->ngroups) {
		count_drop(ifp, VRRP_DROP_VRID, "", a.src, a.vrid);
		return;
	}
	if (!from_peer(v, gi, a.src)) {
		count_drop(ifp, VRRP_DROP_PEER, "the pair's other node is "
		    "another address", a.src, a.vrid);
		return;
	}
	if (a.form != v->groups[gi].form) {
		struct vrrp_group *g = &v->groups[gi];
		char	 s[INET_ADDRSTRLEN];

		g->checksum_other++;
		if (log_ratelimit_ok(&g->rl, time_mono_ms(), 60000, &sup))
			log_warnx(LOG_VRRP, "%s group %d: %s sends the %s "
			    "checksum, this group the %s one: accepted (see "
			    "standby %d vrrp checksum)", ifp->name, g->vrid,
			    addr_str(a.src, s), a.form == VRRP_CKSUM_PSEUDO ?
			    "pseudo-header" : "RFC 9568", g->form ==
			    VRRP_CKSUM_PSEUDO ? "pseudo-header" : "RFC 9568",
			    g->vrid);
	}
	vrrp_fsm_advert(&v->fsm, gi, &a, time_mono_us());
}

static void
rx_drain(struct vrrp *v, struct vrrp_iface *ifp)
{
	uint8_t		 buf[2048];
	ssize_t		 n;

	for (int i = 0; i < RX_BATCH; i++) {
		n = recv(ifp->rx_fd, buf, sizeof(buf), MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn(LOG_VRRP, "%s: receive", ifp->name);
			break;
		}
		/* a datagram longer than the buffer is no advert of ours:
		 * what fits is parsed, and fails as truncated */
		rx_one(v, ifp, buf, (size_t)n > sizeof(buf) ? sizeof(buf) :
		    (size_t)n);
	}
}

static void
rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vrrp_iface *ifp = w->data;

	(void)loop;
	(void)revents;
	rx_drain(ifp->v, ifp);
	rearm(ifp->v);
}

static void
on_link(void *arg, const struct vrrp_nl_link *l)
{
	struct vrrp	*v = arg;
	uint64_t	 now = time_mono_us();
	int		 i, was;

	for (i = 0; i < v->nlinks; i++)
		if (v->links[i].index == l->index ||
		    strcmp(v->links[i].name, l->name) == 0)
			break;
	if (i == v->nlinks) {
		v->links = xreallocarray(v->links, (size_t)v->nlinks + 1,
		    sizeof(*v->links));
		v->links[v->nlinks++] = *l;
		was = -1;
	} else {
		was = v->links[i].up;
		v->links[i] = *l;
	}
	if (was == l->up)
		return;
	for (int gi = 0; gi < v->ngroups; gi++)
		if (strcmp(v->ifaces[v->groups[gi].ifi].name, l->name) == 0) {
			log_info(LOG_VRRP, "%s: line protocol %s", l->name,
			    l->up ? "up" : "down");
			vrrp_fsm_link(&v->fsm, gi, l->up, now);
		}
	for (int t = 0; t < v->ntobjs; t++)
		if (strcmp(v->tobjs[t].ifname, l->name) == 0) {
			log_info(LOG_VRRP, "track %d (%s line-protocol): %s",
			    v->tobjs[t].id, l->name, l->up ? "Up" : "Down");
			vrrp_fsm_track(&v->fsm, v->tobjs[t].id, l->up, now);
		}
}

/* A VIP we hold went away (its lifetime ran out, or someone removed it). */
static void
on_deladdr(void *arg, const struct vrrp_nl_addr *a)
{
	struct vrrp	*v = arg;
	char		 s[INET_ADDRSTRLEN];

	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_group *g = &v->groups[gi];
		struct vrrp_iface *ifp = &v->ifaces[g->ifi];

		if (a->addr.s_addr != g->vip.s_addr || a->index != ifp->index ||
		    !v->fsm.groups[gi].vip_held)
			continue;
		log_warnx(LOG_VRRP, "%s group %d: virtual IP %s disappeared "
		    "while Active: restoring it", ifp->name, g->vrid,
		    addr_str(g->vip, s));
		if (vrrp_nl_addr_add(v->nl_req, ifp->index, g->vip,
		    VIP_LIFETIME_S) == -1)
			log_warn(LOG_VRRP, "%s group %d: restoring %s",
			    ifp->name, g->vrid, s);
		send_garp(v, gi);
	}
}

static void
nl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vrrp	*v = w->data;

	(void)loop;
	(void)revents;
	if (vrrp_nl_read_events(v->nl_mon, on_link, on_deladdr, v) == -1) {
		struct vrrp_nl_link *links;
		int		 n;

		/* ENOBUFS: events were lost; read the links again */
		log_warn(LOG_VRRP, "rtnetlink events");
		if (vrrp_nl_dump_links(v->nl_req, &links, &n) == 0) {
			for (int i = 0; i < n; i++)
				on_link(v, &links[i]);
			free(links);
		}
	}
	rearm(v);
}

/* ---- building from the configuration ------------------------------------ */

static int
iface_open(struct vrrp_iface *ifp)
{
	struct ip_mreqn	 mreq;
	struct sockaddr_in sin;
	struct ifreq	 ifr;
	int		 zero = 0, fd;

	memset(&mreq, 0, sizeof(mreq));
	mreq.imr_multiaddr.s_addr = htonl(VRRP_GROUP_ADDR);
	mreq.imr_ifindex = ifp->index;

	ifp->rx_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    VRRP_PROTO);
	if (ifp->rx_fd == -1) {
		log_warn(LOG_VRRP, "%s: raw socket for protocol 112 (needs "
		    "CAP_NET_RAW)", ifp->name);
		return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(VRRP_GROUP_ADDR);
	if (setsockopt(ifp->rx_fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
	    sizeof(zero)) == -1 ||
	    setsockopt(ifp->rx_fd, SOL_SOCKET, SO_BINDTODEVICE, ifp->name,
	    (socklen_t)strlen(ifp->name)) == -1 ||
	    bind(ifp->rx_fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    setsockopt(ifp->rx_fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
	    sizeof(mreq)) == -1) {
		log_warn(LOG_VRRP, "%s: receive socket", ifp->name);
		return -1;
	}

	ifp->tx_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (ifp->tx_fd == -1 ||
	    setsockopt(ifp->tx_fd, SOL_SOCKET, SO_BINDTODEVICE, ifp->name,
	    (socklen_t)strlen(ifp->name)) == -1 ||
	    setsockopt(ifp->tx_fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq,
	    sizeof(mreq)) == -1 ||
	    setsockopt(ifp->tx_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
	    sizeof(zero)) == -1) {
		log_warn(LOG_VRRP, "%s: send socket", ifp->name);
		return -1;
	}

	/* protocol 0: the socket sends ARP frames and receives nothing */
	ifp->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ifp->arp_fd == -1) {
		log_warn(LOG_VRRP, "%s: packet socket", ifp->name);
		return -1;
	}

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifp->name, sizeof(ifr.ifr_name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		log_warn(LOG_VRRP, "%s: hardware address", ifp->name);
		close(fd);
		return -1;
	}
	close(fd);
	memcpy(ifp->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static void
iface_close(struct vrrp *v, struct vrrp_iface *ifp)
{
	ev_io_stop(v->loop, &ifp->rx_w);
	if (ifp->rx_fd != -1)
		close(ifp->rx_fd);
	if (ifp->tx_fd != -1)
		close(ifp->tx_fd);
	if (ifp->arp_fd != -1)
		close(ifp->arp_fd);
	ifp->rx_fd = ifp->tx_fd = ifp->arp_fd = -1;
}

static int
iface_add(struct vrrp *v, const struct conf_interface *ifc)
{
	struct vrrp_iface *ifp;

	for (int i = 0; i < v->nifaces; i++)
		if (strcmp(v->ifaces[i].name, ifc->name) == 0)
			return i;
	v->ifaces = xreallocarray(v->ifaces, (size_t)v->nifaces + 1,
	    sizeof(*v->ifaces));
	ifp = &v->ifaces[v->nifaces];
	memset(ifp, 0, sizeof(*ifp));
	ifp->v = v;
	ifp->rx_fd = ifp->tx_fd = ifp->arp_fd = -1;
	snprintf(ifp->name, sizeof(ifp->name), "%s", ifc->name);
	ifp->index = (int)if_nametoindex(ifc->name);
	if (ifc->have_addr)
		ifp->addr = ifc->addr;
	return v->nifaces++;
}

static void
group_from_conf(struct vrrp *v, struct vrrp_group *g,
    const struct conf_interface *ifc, const struct conf_standby *sb)
{
	char	 buf[80];

	memset(g, 0, sizeof(*g));
	g->ifi = iface_add(v, ifc);
	g->vrid = sb->group;
	snprintf(g->name, sizeof(g->name), "%s",
	    conf_standby_name(ifc, sb, buf, sizeof(buf)));
	g->name_configured = sb->name != NULL;
	g->vip = sb->vip;
	g->hello_ms = sb->hello_ms;
	g->hold_ms = sb->hold_ms;
	g->priority = sb->priority;
	g->preempt = sb->preempt;
	g->preempt_delay = sb->preempt_delay;
	g->form = sb->checksum_rfc9568 ? VRRP_CKSUM_RFC9568 :
	    VRRP_CKSUM_PSEUDO;
	g->peer.s_addr = sb->have_peer ? sb->peer.s_addr : 0;
	if (sb->ntracks > 0)
		g->tracks = xreallocarray(NULL, (size_t)sb->ntracks,
		    sizeof(*g->tracks));
	g->ntracks = sb->ntracks;
	for (int k = 0; k < sb->ntracks; k++) {
		g->tracks[k].id = sb->tracks[k].id;
		g->tracks[k].ifname = "";	/* filled when shown */
		g->tracks[k].decrement = sb->tracks[k].shutdown ? 0 :
		    sb->tracks[k].decrement;
		g->tracks[k].shutdown = sb->tracks[k].shutdown;
	}
}

static void
gconf_of(const struct vrrp *v, int gi, struct vrrp_fsm_gconf *c,
    struct vrrp_fsm_track *tr)
{
	const struct vrrp_group *g = &v->groups[gi];

	memset(c, 0, sizeof(*c));
	c->vrid = (uint8_t)g->vrid;
	c->adv_cs = (uint16_t)(g->hello_ms / 10);
	c->hold_us = (uint64_t)g->hold_ms * 1000;
	c->local = v->ifaces[g->ifi].addr;
	c->vip = g->vip;
	c->priority = g->priority;
	c->preempt = g->preempt;
	c->preempt_delay_us = (uint64_t)g->preempt_delay * 1000000;
	for (int k = 0; k < g->ntracks; k++) {
		tr[k].id = g->tracks[k].id;
		tr[k].decrement = g->tracks[k].decrement;
		tr[k].shutdown = g->tracks[k].shutdown;
	}
	c->tracks = tr;
	c->ntracks = g->ntracks;
	c->leader = v->leader >= 0 && gi != v->leader ? v->leader : -1;
}

/* The groups in machine order: the leader first, then file order. */
static void
groups_from_conf(struct vrrp *v, const struct config *cf)
{
	const struct conf_interface *lifc;
	const struct conf_standby *lsb = vrrp_conf_leader(cf, &lifc);

	v->leader = -1;
	if (lsb != NULL) {
		v->groups = xreallocarray(v->groups, (size_t)v->ngroups + 1,
		    sizeof(*v->groups));
		group_from_conf(v, &v->groups[v->ngroups], lifc, lsb);
		v->leader = v->ngroups++;
	}
	for (int i = 0; i < cf->nifaces; i++)
		for (int j = 0; j < cf->ifaces[i].nstandby; j++) {
			const struct conf_standby *sb =
			    &cf->ifaces[i].standby[j];

			if (sb == lsb)
				continue;
			v->groups = xreallocarray(v->groups,
			    (size_t)v->ngroups + 1, sizeof(*v->groups));
			group_from_conf(v, &v->groups[v->ngroups],
			    &cf->ifaces[i], sb);
			v->ngroups++;
		}
	v->tobjs = xreallocarray(NULL, (size_t)cf->ntracks + 1,
	    sizeof(*v->tobjs));
	v->ntobjs = cf->ntracks;
	for (int i = 0; i < cf->ntracks; i++) {
		v->tobjs[i].id = cf->tracks[i].id;
		snprintf(v->tobjs[i].ifname, sizeof(v->tobjs[i].ifname), "%s",
		    cf->tracks[i].ifname);
	}
}

/*
 * A crashed predecessor (kill -9) may have left VIPs on the interfaces;
 * remove them before the election starts.  Then find each interface's
 * primary address if the configuration gives none.
 */
static int
clean_and_address(struct vrrp *v)
{
	struct vrrp_nl_addr *addrs;
	char		 a[INET_ADDRSTRLEN];
	int		 n;

	if (vrrp_nl_dump_addrs(v->nl_req, &addrs, &n) == -1) {
		log_warn(LOG_VRRP, "listing addresses");
		return -1;
	}
	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_group *g = &v->groups[gi];
		struct vrrp_iface *ifp = &v->ifaces[g->ifi];

		for (int i = 0; i < n; i++) {
			if (addrs[i].index != ifp->index ||
			    addrs[i].addr.s_addr != g->vip.s_addr)
				continue;
			if (vrrp_nl_addr_del(v->nl_req, ifp->index, g->vip,
			    addrs[i].prefixlen) == -1)
				log_warn(LOG_VRRP, "%s: removing leftover "
				    "virtual IP %s", ifp->name,
				    addr_str(g->vip, a));
			else
				log_info(LOG_VRRP, "%s group %d: removed "
				    "leftover virtual IP %s/%d before the "
				    "election", ifp->name, g->vrid,
				    addr_str(g->vip, a), addrs[i].prefixlen);
			addrs[i].index = 0;
		}
	}
	for (int k = 0; k < v->nifaces; k++) {
		struct vrrp_iface *ifp = &v->ifaces[k];

		for (int i = 0; i < n && ifp->addr.s_addr == 0; i++)
			if (addrs[i].index == ifp->index &&
			    !addrs[i].secondary)
				ifp->addr = addrs[i].addr;
		if (ifp->addr.s_addr == 0) {
			log_warnx(LOG_VRRP, "%s has no IPv4 address: VRRP "
			    "sends its adverts from the interface's primary "
			    "address", ifp->name);
			free(addrs);
			return -1;
		}
	}
	free(addrs);
	return 0;
}

static void
teardown(struct vrrp *v)
{
	uint64_t now = time_mono_us();

	if (v->running) {
		vrrp_fsm_stop(&v->fsm, now);
		v->running = 0;
	}
	vrrp_fsm_cleanup(&v->fsm);
	ev_timer_stop(v->loop, &v->timer);
	ev_timer_stop(v->loop, &v->refresh);
	ev_io_stop(v->loop, &v->nl_w);
	for (int i = 0; i < v->nifaces; i++)
		iface_close(v, &v->ifaces[i]);
	if (v->nl_req != -1)
		close(v->nl_req);
	if (v->nl_mon != -1)
		close(v->nl_mon);
	v->nl_req = v->nl_mon = -1;
	for (int i = 0; i < v->ngroups; i++)
		free(v->groups[i].tracks);
	free(v->groups);
	free(v->ifaces);
	free(v->tobjs);
	free(v->links);
	v->groups = NULL;
	v->ifaces = NULL;
	v->tobjs = NULL;
	v->links = NULL;
	v->ngroups = v->nifaces = v->ntobjs = v->nlinks = 0;
}

static int
setup(struct vrrp *v, const struct config *cf)
{
	struct vrrp_fsm_track *tr;
	uint64_t	 now;
	int		 maxtr = 0;

	vrrp_fsm_init(&v->fsm, &io_ops, v);
	v->fsm.ready = v->ready;
	v->fsm.no_preempt = v->no_preempt;
	groups_from_conf(v, cf);
	if (v->ngroups == 0)
		return 0;
	if ((v->nl_req = nl_open(0)) == -1 ||
	    (v->nl_mon = nl_open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR)) == -1) {
		log_warn(LOG_VRRP, "rtnetlink");
		return -1;
	}
	/* links first: the monitor is open, so no change is missed */
	if (vrrp_nl_dump_links(v->nl_req, &v->links, &v->nlinks) == -1) {
		log_warn(LOG_VRRP, "listing links");
		return -1;
	}
	if (clean_and_address(v) == -1)
		return -1;
	for (int i = 0; i < v->nifaces; i++) {
		struct vrrp_iface *ifp = &v->ifaces[i];

		if (ifp->index == 0) {
			log_warnx(LOG_VRRP, "interface %s does not exist",
			    ifp->name);
			return -1;
		}
		if (iface_open(ifp) == -1)
			return -1;
		ev_io_init(&ifp->rx_w, rx_cb, ifp->rx_fd, EV_READ);
		ifp->rx_w.data = ifp;
		ev_io_start(v->loop, &ifp->rx_w);
	}
	for (int gi = 0; gi < v->ngroups; gi++)
		if (v->groups[gi].ntracks > maxtr)
			maxtr = v->groups[gi].ntracks;
	tr = xreallocarray(NULL, (size_t)maxtr + 1, sizeof(*tr));
	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_fsm_gconf c;

		gconf_of(v, gi, &c, tr);
		if (vrrp_fsm_add_group(&v->fsm, &c) != gi)
			fatalx(LOG_VRRP, "group %d refused by the machine",
			    v->groups[gi].vrid);
	}
	free(tr);
	if (v->leader >= 0 && v->ngroups > 1)
		for (int gi = 0; gi < v->ngroups; gi++)
			if (v->groups[gi].hello_ms !=
			    v->groups[v->leader].hello_ms)
				log_warnx(LOG_VRRP, "group %d follows group %d "
				    "but has other timers: a takeover waits "
				    "for the slowest group's down interval",
				    v->groups[gi].vrid,
				    v->groups[v->leader].vrid);
	now = time_mono_us();
	for (int gi = 0; gi < v->ngroups; gi++)
		vrrp_fsm_link(&v->fsm, gi,
		    link_up(v, v->ifaces[v->groups[gi].ifi].name), now);
	for (int t = 0; t < v->ntobjs; t++)
		vrrp_fsm_track(&v->fsm, v->tobjs[t].id,
		    link_up(v, v->tobjs[t].ifname), now);
	ev_io_init(&v->nl_w, nl_cb, v->nl_mon, EV_READ);
	v->nl_w.data = v;
	ev_io_start(v->loop, &v->nl_w);
	ev_timer_start(v->loop, &v->refresh);
	v->running = 1;
	vrrp_fsm_start(&v->fsm, now);
	rearm(v);
	return 0;
}

/* ---- the public interface ----------------------------------------------- */

struct vrrp *
vrrp_new(struct ev_loop *loop, const struct config *cf)
{
	struct vrrp	*v = xcalloc(1, sizeof(*v));

	v->loop = loop;
	v->nl_req = v->nl_mon = -1;
	v->ready = 1;
	v->role = VRRP_ROLE_INIT;
	ev_init(&v->timer, timer_cb);
	v->timer.data = v;
	ev_timer_init(&v->refresh, refresh_cb, VIP_REFRESH_S, VIP_REFRESH_S);
	v->refresh.data = v;
	if (setup(v, cf) == -1) {
		teardown(v);
		free(v);
		return NULL;
	}
	log_info(LOG_VRRP, "%d standby group(s)%s%s", v->ngroups,
	    v->leader >= 0 ? ", led by " : "",
	    v->leader >= 0 ? v->groups[v->leader].name : "");
	return v;
}

void
vrrp_free(struct vrrp *v)
{
	if (v == NULL)
		return;
	teardown(v);
	free(v);
}

/* The same groups (interface, VRID, VIP, leadership, order)? */
static int
same_groups(const struct vrrp *v, const struct vrrp *n)
{
	if (v->ngroups != n->ngroups || v->leader != n->leader)
		return 0;
	for (int gi = 0; gi < v->ngroups; gi++) {
		const struct vrrp_group *a = &v->groups[gi];
		const struct vrrp_group *b = &n->groups[gi];

		if (a->vrid != b->vrid || a->vip.s_addr != b->vip.s_addr ||
		    strcmp(v->ifaces[a->ifi].name, n->ifaces[b->ifi].name) !=
		    0)
			return 0;
		/* a new "ip address" is a new advert source */
		if (n->ifaces[b->ifi].addr.s_addr != 0 &&
		    n->ifaces[b->ifi].addr.s_addr !=
		    v->ifaces[a->ifi].addr.s_addr)
			return 0;
	}
	return 1;
}

int
vrrp_reload(struct vrrp *v, const struct config *cf)
{
	struct vrrp	 n;
	struct vrrp_fsm_track *tr;
	uint64_t	 now = time_mono_us();
	int		 maxtr = 0;

	/* the new groups, without sockets, to compare */
	memset(&n, 0, sizeof(n));
	groups_from_conf(&n, cf);
	if (!v->running || !same_groups(v, &n)) {
		for (int i = 0; i < n.ngroups; i++)
			free(n.groups[i].tracks);
		free(n.groups);
		free(n.ifaces);
		free(n.tobjs);
		if (v->ngroups > 0 || n.ngroups > 0)
			log_info(LOG_VRRP, "the standby groups changed: "
			    "restarting the election");
		teardown(v);
		if (setup(v, cf) == -1) {
			log_warnx(LOG_VRRP, "the election could not restart: "
			    "stopped");
			teardown(v);
			return -1;
		}
		return 0;
	}
	/* the same groups: new parameters in place */
	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_group *g = &v->groups[gi], *ng = &n.groups[gi];

		free(g->tracks);
		ng->ifi = g->ifi;
		ng->checksum_other = g->checksum_other;
		ng->rl = g->rl;
		*g = *ng;
		if (g->ntracks > maxtr)
			maxtr = g->ntracks;
	}
	free(n.groups);
	free(n.ifaces);
	free(v->tobjs);
	v->tobjs = n.tobjs;
	v->ntobjs = n.ntobjs;
	for (int t = 0; t < v->ntobjs; t++)
		vrrp_fsm_track(&v->fsm, v->tobjs[t].id,
		    link_up(v, v->tobjs[t].ifname), now);
	tr = xreallocarray(NULL, (size_t)maxtr + 1, sizeof(*tr));
	for (int gi = 0; gi < v->ngroups; gi++) {
		struct vrrp_fsm_gconf c;

		gconf_of(v, gi, &c, tr);
		vrrp_fsm_reconfigure(&v->fsm, gi, &c, now);
	}
	free(tr);
	rearm(v);
	log_info(LOG_VRRP, "standby groups reconfigured in place");
	return 0;
}

int
vrrp_listen(struct vrrp *v, const struct vrrp_listener *l)
{
	if (v->nlisteners == VRRP_MAX_LISTENERS)
		return -1;
	v->listeners[v->nlisteners++] = *l;
	return 0;
}

int
vrrp_unlisten(struct vrrp *v, const void *arg)
{
	int	 n = 0;

	for (int i = 0; i < v->nlisteners;) {
		if (v->listeners[i].arg != arg) {
			i++;
			continue;
		}
		memmove(&v->listeners[i], &v->listeners[i + 1],
		    (size_t)(v->nlisteners - i - 1) *
		    sizeof(v->listeners[0]));
		v->nlisteners--;
		n++;
	}
	return n;
}

enum vrrp_role
vrrp_role(const struct vrrp *v)
{
	return v->role;
}

void
vrrp_set_ready(struct vrrp *v, int ready)
{
	ready = ready != 0;
	if (v->ready == ready)
		return;
	v->ready = ready;
	log_info(LOG_VRRP, "node %s: %s", ready ? "ready" : "not ready",
	    ready ? "configured priority and preemption" :
	    "priority 1, no preemption");
	if (v->running) {
		vrrp_fsm_set_ready(&v->fsm, ready, time_mono_us());
		rearm(v);
	}
}

int
vrrp_ready(const struct vrrp *v)
{
	return v->ready;
}

int
vrrp_handover(struct vrrp *v)
{
	if (!v->running || vrrp_fsm_handover(&v->fsm, time_mono_us()) == -1)
		return -1;
	v->ready = 0;
	log_info(LOG_VRRP, "planned handover: stepped down, not ready; the "
	    "virtual IPs kept until the new Active router holds them");
	rearm(v);
	return 0;
}

int
vrrp_release_vips(struct vrrp *v)
{
	int	 n;

	if (!v->running)
		return 0;
	if ((n = vrrp_fsm_release_vips(&v->fsm)) > 0)
		log_info(LOG_VRRP, "planned handover: %d virtual IPs "
		    "released", n);
	return n;
}

int
vrrp_remove_vips(const struct config *cf)
{
	struct vrrp_nl_link *links = NULL;
	struct vrrp_nl_addr *addrs = NULL;
	char		 a[INET_ADDRSTRLEN];
	int		 fd, nl = 0, na = 0, removed = 0;

	if ((fd = nl_open(0)) == -1)
		return -1;
	if (vrrp_nl_dump_links(fd, &links, &nl) == -1 ||
	    vrrp_nl_dump_addrs(fd, &addrs, &na) == -1) {
		removed = -1;
		goto done;
	}
	for (int i = 0; i < cf->nifaces; i++) {
		const struct conf_interface *ifc = &cf->ifaces[i];
		int	 index = 0;

		for (int k = 0; k < nl; k++)
			if (strcmp(links[k].name, ifc->name) == 0)
				index = links[k].index;
		for (int g = 0; g < ifc->nstandby && index != 0; g++) {
			const struct conf_standby *sb = &ifc->standby[g];

			if (!sb->have_vip)
				continue;
			for (int k = 0; k < na; k++) {
				if (addrs[k].index != index ||
				    addrs[k].addr.s_addr != sb->vip.s_addr)
					continue;
				if (vrrp_nl_addr_del(fd, index, sb->vip,
				    addrs[k].prefixlen) == -1) {
					log_warn(LOG_VRRP, "%s: removing "
					    "virtual IP %s", ifc->name,
					    addr_str(sb->vip, a));
					continue;
				}
				log_info(LOG_VRRP, "%s group %d: virtual IP "
				    "%s removed", ifc->name, sb->group,
				    addr_str(sb->vip, a));
				removed++;
			}
		}
	}
done:
	free(links);
	free(addrs);
	close(fd);
	return removed;
}

int
vrrp_takeover(struct vrrp *v)
{
	if (!v->running || vrrp_fsm_takeover(&v->fsm, time_mono_us()) == -1)
		return -1;
	log_info(LOG_VRRP, "planned switchover: Active now");
	rearm(v);
	return 0;
}

void
vrrp_hold_preempt(struct vrrp *v, int hold)
{
	hold = hold != 0;
	if (v->no_preempt == hold)
		return;
	v->no_preempt = hold;
	log_info(LOG_VRRP, "preemption %s", hold ? "held (the replication "
	    "decides)" : "as configured");
	if (v->running) {
		vrrp_fsm_hold_preempt(&v->fsm, hold, time_mono_us());
		rearm(v);
	}
}

int
vrrp_ngroups(const struct vrrp *v)
{
	return v->ngroups;
}

int
vrrp_group_info(const struct vrrp *v, int gi, struct vrrp_group_info *info)
{
	const struct vrrp_group *g;
	const struct vrrp_fsm_group *fg;
	const struct vrrp_iface *ifp;
	uint64_t	 now = time_mono_us();

	if (gi < 0 || gi >= v->ngroups || !v->running)
		return -1;
	g = &v->groups[gi];
	fg = &v->fsm.groups[gi];
	ifp = &v->ifaces[g->ifi];
	memset(info, 0, sizeof(*info));
	info->ifname = ifp->name;
	info->group = g->vrid;
	info->name = g->name;
	info->name_configured = g->name_configured;
	info->vip = g->vip;
	info->local = ifp->addr;
	memcpy(info->mac, ifp->mac, 6);
	info->state = vrrp_fsm_state(&v->fsm, gi);
	info->link_up = fg->link_up;
	info->state_changes = fg->state_changes;
	info->last_change_ago_ms = fg->last_change == 0 ? UINT64_MAX :
	    (now - fg->last_change) / 1000;
	info->last_reason = fg->reason;
	info->hello_ms = g->hello_ms;
	info->hold_ms = g->hold_ms;
	info->master_adv_ms = (uint32_t)fg->master_adv_cs * 10;
	info->master_down_us = vrrp_fsm_down_us(&v->fsm, gi);
	info->skew_us = vrrp_skew_us(vrrp_fsm_priority(&v->fsm, gi),
	    fg->master_adv_cs);
	info->next_hello_ms = info->state == VRRP_STATE_MASTER &&
	    fg->adver_at != 0 ? (int64_t)(fg->adver_at > now ?
	    (fg->adver_at - now) / 1000 : 0) : -1;
	{
		const struct vrrp_group *lg = &v->groups[v->leader >= 0 &&
		    gi != v->leader ? v->leader : gi];

		info->preempt = lg->preempt;
		info->preempt_delay = lg->preempt_delay;
	}
	info->preempt_effective = vrrp_fsm_preempt(&v->fsm, gi);
	info->priority = vrrp_fsm_priority(&v->fsm, gi);
	info->configured_priority = g->priority;
	info->ready = v->ready;
	if (info->state == VRRP_STATE_BACKUP && fg->master_known) {
		info->active_known = 1;
		info->active_ip = fg->master_ip;
		info->active_priority = fg->master_prio;
		info->active_expires_ms = fg->down_at > now ?
		    (int64_t)((fg->down_at - now) / 1000) : 0;
	}
	info->checksum_rfc9568 = g->form == VRRP_CKSUM_RFC9568;
	info->leader = v->leader >= 0 ? v->groups[v->leader].name : NULL;
	info->leads = v->leader == gi;
	for (int k = 0; k < g->ntracks; k++) {
		struct vrrp_track_info *t = &g->tracks[k];

		t->ifname = "";
		for (int o = 0; o < v->ntobjs; o++)
			if (v->tobjs[o].id == t->id)
				t->ifname = v->tobjs[o].ifname;
		t->up = vrrp_fsm_track_up(&v->fsm, t->id);
	}
	info->tracks = g->tracks;
	info->ntracks = g->ntracks;
	info->adverts_rx = fg->adverts_rx;
	info->adverts_tx = fg->adverts_tx;
	info->prio0_rx = fg->prio0_rx;
	info->prio0_tx = fg->prio0_tx;
	info->checksum_other_form = g->checksum_other;
	info->interval_mismatch = fg->interval_mismatch;
	info->address_mismatch = fg->address_mismatch;
	info->garps_tx = fg->garps;
	info->if_drops = ifp->drops;
	return 0;
}
