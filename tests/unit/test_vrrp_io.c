/*
 * vrrp's I/O layer and public API in a private network namespace (root
 * only; skipped otherwise): one struct vrrp on veth "va", the test as the
 * other router on the far end "vb" (it reads the adverts there and sends
 * its own).  Covers the start-up removal of a leftover VIP, the listener's
 * order guarantee (role Active before the VIP exists, Standby after it is
 * gone), vrrp_set_ready(), vrrp_handover(), a better router, drops, reload
 * in place and by restart, and vrrp_free()'s priority 0.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ev.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "vrrp/vrrp_int.h"

#define CONF_FMT							\
	"interface va\n"						\
	" ip address 10.0.0.1 255.255.255.0\n"				\
	" standby 1 ip %s\n"						\
	" standby 1 timers msec 30 msec 100\n"				\
	" standby 1 priority %d\n"					\
	" standby 1 preempt\n"

struct seen {
	int		 roles;
	enum vrrp_role	 last_role;
	int		 vip_at_active;		/* the VIP existed when told */
	int		 vip_at_standby;
	int		 groups;
	char		 reason[128];
};

static struct ev_loop *loop;
static int	 rx_fd = -1, tx_fd = -1;	/* on vb: the other router */

static int
sh(const char *cmd)
{
	return system(cmd) == 0 ? 0 : -1;
}

static int
vip_present(const char *vip)
{
	struct ifaddrs *all, *a;
	struct in_addr want;
	int	 found = 0;

	inet_pton(AF_INET, vip, &want);
	if (getifaddrs(&all) == -1)
		return -1;
	for (a = all; a != NULL; a = a->ifa_next)
		if (a->ifa_addr != NULL && a->ifa_addr->sa_family == AF_INET &&
		    strcmp(a->ifa_name, "va") == 0 &&
		    ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr ==
		    want.s_addr)
			found = 1;
	freeifaddrs(all);
	return found;
}

static void
on_role(void *arg, enum vrrp_role from, enum vrrp_role to, const char *why)
{
	struct seen *s = arg;

	(void)from;
	s->roles++;
	s->last_role = to;
	snprintf(s->reason, sizeof(s->reason), "%s", why);
	if (to == VRRP_ROLE_ACTIVE)
		s->vip_at_active = vip_present("10.0.0.10");
	if (to == VRRP_ROLE_STANDBY)
		s->vip_at_standby = vip_present("10.0.0.10");
}

static void
on_group(void *arg, const struct vrrp_group_change *c)
{
	struct seen *s = arg;

	assert_string_equal(c->ifname, "va");
	assert_int_equal(c->group, 1);
	s->groups++;
}

static struct config *
config(const char *vip, int prio)
{
	struct conf_diag d = { stderr, 0, 0 };
	struct config	*cf;
	char		*text;

	xasprintf(&text, CONF_FMT, vip, prio);
	cf = conf_load_mem("io.conf", text, strlen(text), &d);
	free(text);
	assert_non_null(cf);
	return cf;
}

static void
timeout_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ONE);
}

/* Run the loop for ms milliseconds. */
static void
run_ms(int ms)
{
	ev_timer t;

	ev_timer_init(&t, timeout_cb, ms / 1000.0, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

/* Run until the node's role is want, at most ms. */
static void
until_role(struct vrrp *v, enum vrrp_role want, int ms)
{
	for (int i = 0; i < ms / 10 && vrrp_role(v) != want; i++)
		run_ms(10);
	assert_int_equal(vrrp_role(v), want);
}

/* Drain vb; the last advert's priority, or -1 if none. */
static int
last_prio(struct vrrp_advert *out)
{
	static uint8_t buf[2048];
	struct vrrp_advert a;
	const char *why;
	ssize_t	 n;
	int	 prio = -1;

	while ((n = recv(rx_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (vrrp_advert_parse(buf, (size_t)n, &a, &why) ==
		    VRRP_ACCEPT) {
			prio = a.priority;
			if (out != NULL)
				*out = a;
		}
	return prio;
}

static void
peer_send(uint8_t prio, uint8_t ttl)
{
	struct in_addr src, vip;
	struct sockaddr_in dst;
	uint8_t	 pkt[64];
	size_t	 len;

	inet_pton(AF_INET, "10.0.0.2", &src);
	inet_pton(AF_INET, "10.0.0.10", &vip);
	len = vrrp_advert_build(pkt, sizeof(pkt), src, 1, prio, 4, &vip, 1,
	    VRRP_CKSUM_RFC9568);
	assert_int_equal(len, 32);
	pkt[8] = ttl;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr.s_addr = htonl(VRRP_GROUP_ADDR);
	assert_true(sendto(tx_fd, pkt, len, 0, (struct sockaddr *)&dst,
	    sizeof(dst)) == (ssize_t)len);
}

static int
setup(void **state)
{
	struct ip_mreqn mreq;
	struct sockaddr_in sin;
	int	 zero = 0;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1)
		return 0;	/* the tests skip */
	if (sh("ip link add va type veth peer name vb && "
	    "ip link set lo up && ip link set va up && ip link set vb up && "
	    "ip addr add 10.0.0.1/24 dev va") == -1)
		return -1;
	/* vb hears va's adverts although 10.0.0.1 is local here */
	if (sh("sysctl -qw net.ipv4.conf.all.accept_local=1 "
	    "net.ipv4.conf.vb.accept_local=1 net.ipv4.conf.all.rp_filter=0 "
	    "net.ipv4.conf.vb.rp_filter=0") == -1)
		return -1;
	/* a VIP a crashed predecessor left behind */
	if (sh("ip addr add 10.0.0.10/24 dev va") == -1)
		return -1;
	memset(&mreq, 0, sizeof(mreq));
	mreq.imr_multiaddr.s_addr = htonl(VRRP_GROUP_ADDR);
	mreq.imr_ifindex = (int)if_nametoindex("vb");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(VRRP_GROUP_ADDR);
	rx_fd = socket(AF_INET, SOCK_RAW, VRRP_PROTO);
	tx_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (rx_fd == -1 || tx_fd == -1 ||
	    setsockopt(rx_fd, SOL_SOCKET, SO_BINDTODEVICE, "vb", 2) == -1 ||
	    bind(rx_fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    setsockopt(rx_fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
	    sizeof(mreq)) == -1 ||
	    setsockopt(tx_fd, SOL_SOCKET, SO_BINDTODEVICE, "vb", 2) == -1 ||
	    setsockopt(tx_fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq,
	    sizeof(mreq)) == -1 ||
	    setsockopt(tx_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
	    sizeof(zero)) == -1)
		return -1;
	loop = ev_loop_new(EVFLAG_AUTO);
	return loop == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (loop != NULL)
		ev_loop_destroy(loop);
	if (rx_fd != -1)
		close(rx_fd);
	if (tx_fd != -1)
		close(tx_fd);
	return 0;
}

static void
test_api_in_a_namespace(void **state)
{
	struct seen	 s;
	struct vrrp_listener l = { on_group, on_role, &s };
	struct vrrp_group_info info;
	struct vrrp_advert a;
	struct config	*cf;
	struct vrrp	*v;

	(void)state;
	if (loop == NULL)
		skip();
	memset(&s, 0, sizeof(s));
	cf = config("10.0.0.10", 110);
	v = vrrp_new(loop, cf);
	assert_non_null(v);
	/* the leftover went before the election started */
	assert_int_equal(vip_present("10.0.0.10"), 0);
	assert_int_equal(vrrp_listen(v, &l), 0);
	assert_int_equal(vrrp_role(v), VRRP_ROLE_STANDBY);

	/* alone: Active after the down interval; told before the VIP */
	until_role(v, VRRP_ROLE_ACTIVE, 2000);
	assert_int_equal(s.vip_at_active, 0);
	assert_int_equal(vip_present("10.0.0.10"), 1);
	assert_true(s.groups >= 1);
	run_ms(100);
	assert_int_equal(last_prio(&a), 110);
	assert_int_equal(a.ttl, 255);
	assert_int_equal(a.form, VRRP_CKSUM_PSEUDO);
	assert_int_equal(a.interval_cs, 3);
	assert_int_equal(ntohl(a.src.s_addr), 0x0a000001);

	/* not ready: priority 1, at once */
	vrrp_set_ready(v, 0);
	assert_int_equal(vrrp_ready(v), 0);
	assert_int_equal(last_prio(NULL), 1);
	assert_int_equal(vrrp_group_info(v, 0, &info), 0);
	assert_int_equal(info.priority, 1);
	assert_int_equal(info.configured_priority, 110);
	assert_false(info.preempt_effective);
	vrrp_set_ready(v, 1);
	assert_int_equal(last_prio(NULL), 110);

	/*
	 * planned handover: priority 0, Standby told, the VIP kept until
	 * released (the new Active router adds its own first), then gone
	 */
	assert_int_equal(vrrp_handover(v), 0);
	assert_int_equal(vrrp_role(v), VRRP_ROLE_STANDBY);
	assert_int_equal(s.vip_at_standby, 1);
	assert_int_equal(vip_present("10.0.0.10"), 1);
	assert_string_equal(s.reason, "planned handover");
	assert_int_equal(last_prio(NULL), 0);
	assert_int_equal(vrrp_handover(v), -1);
	assert_int_equal(vrrp_ready(v), 0);
	assert_int_equal(vrrp_release_vips(v), 1);
	assert_int_equal(vip_present("10.0.0.10"), 0);
	assert_int_equal(vrrp_release_vips(v), 0);
	/* nobody else is there: a lone node takes it back, not ready */
	until_role(v, VRRP_ROLE_ACTIVE, 2000);
	vrrp_set_ready(v, 1);

	/* a better router (priority 200, RFC 9568 checksum) takes over */
	for (int i = 0; i < 20 && vrrp_role(v) != VRRP_ROLE_STANDBY; i++) {
		peer_send(200, 255);
		run_ms(20);
	}
	assert_int_equal(vrrp_role(v), VRRP_ROLE_STANDBY);
	assert_int_equal(vip_present("10.0.0.10"), 0);
	assert_int_equal(vrrp_group_info(v, 0, &info), 0);
	assert_true(info.active_known);
	assert_int_equal(ntohl(info.active_ip.s_addr), 0x0a000002);
	assert_int_equal(info.active_priority, 200);
	assert_true(info.checksum_other_form >= 1);
	assert_true(info.interval_mismatch >= 1);
	/* a bad TTL is counted and changes nothing */
	peer_send(250, 64);
	run_ms(20);
	assert_int_equal(vrrp_group_info(v, 0, &info), 0);
	assert_int_equal(info.if_drops[VRRP_DROP_TTL], 1);
	assert_int_equal(info.active_priority, 200);
	/* the peer goes quiet: Active again */
	until_role(v, VRRP_ROLE_ACTIVE, 2000);

	/* reload in place: the new priority is advertised, no role change */
	{
		struct config *cf2 = config("10.0.0.10", 120);
		int	 roles = s.roles;

		last_prio(NULL);
		assert_int_equal(vrrp_reload(v, cf2), 0);
		assert_int_equal(last_prio(NULL), 120);
		assert_int_equal(s.roles, roles);
		assert_int_equal(vrrp_role(v), VRRP_ROLE_ACTIVE);
		conf_free(cf);
		cf = cf2;
	}
	/* reload with another VIP: the election restarts */
	{
		struct config *cf2 = config("10.0.0.20", 120);

		assert_int_equal(vrrp_reload(v, cf2), 0);
		assert_int_equal(vip_present("10.0.0.10"), 0);
		assert_int_equal(last_prio(NULL), 0);
		assert_int_equal(vrrp_role(v), VRRP_ROLE_STANDBY);
		until_role(v, VRRP_ROLE_ACTIVE, 2000);
		conf_free(cf);
		cf = cf2;
	}

	/* stop: priority 0 and no VIP left */
	last_prio(NULL);
	vrrp_unlisten(v, &s);
	vrrp_free(v);
	assert_int_equal(last_prio(NULL), 0);
	assert_int_equal(vip_present("10.0.0.20"), 0);
	conf_free(cf);
	vrrp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_in_a_namespace),
	};

	return cmocka_run_group_tests_name("vrrp_io", tests, setup, teardown);
}
