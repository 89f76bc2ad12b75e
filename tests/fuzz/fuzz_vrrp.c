/*
 * libFuzzer: a raw-socket VRRP packet (IPv4 header first).  Nothing may
 * crash; whatever parses must rebuild to a packet that parses to the same
 * advert, and a state machine fed with it must keep its invariants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "vrrp/vrrp_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
nop_send(void *a, int gi, int prio)
{
	(void)a; (void)gi; (void)prio;
}

static void
nop_vip(void *a, int gi, int add)
{
	(void)a; (void)gi; (void)add;
}

static void
nop_garp(void *a, int gi)
{
	(void)a; (void)gi;
}

static void
nop_state(void *a, int gi, enum vrrp_state f, enum vrrp_state t,
    const char *r)
{
	(void)a; (void)gi; (void)f; (void)t; (void)r;
}

static const struct vrrp_fsm_ops ops = {
	nop_send, nop_vip, nop_garp, nop_state, nop_state,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vrrp_advert a, b;
	struct vrrp_fsm_gconf c;
	struct vrrp_fsm f;
	struct in_addr addrs[255];
	uint8_t	 pkt[VRRP_MAX_PKT];
	const char *why;
	size_t	 n;

	if (vrrp_advert_parse(data, len, &a, &why) != VRRP_ACCEPT)
		return 0;
	if (a.ttl != 255 || a.naddrs == 0 || a.interval_cs == 0)
		abort();
	memcpy(addrs, a.addrs, (size_t)a.naddrs * 4);
	n = vrrp_advert_build(pkt, sizeof(pkt), a.src, a.vrid, a.priority,
	    a.interval_cs, addrs, a.naddrs, a.form);
	if (n == 0 || vrrp_advert_parse(pkt, n, &b, &why) != VRRP_ACCEPT ||
	    b.vrid != a.vrid || b.priority != a.priority ||
	    b.interval_cs != a.interval_cs || b.naddrs != a.naddrs ||
	    b.form != a.form || memcmp(b.addrs, addrs, b.naddrs * 4) != 0)
		abort();

	/* one group in each state hears it */
	memset(&c, 0, sizeof(c));
	c.vrid = a.vrid;
	c.adv_cs = 10;
	c.local.s_addr = htonl(0x0a000001);
	c.vip.s_addr = htonl(0x0a00000a);
	c.priority = 100;
	c.preempt = a.priority & 1;
	c.leader = -1;
	vrrp_fsm_init(&f, &ops, NULL);
	if (vrrp_fsm_add_group(&f, &c) != 0)
		abort();
	vrrp_fsm_start(&f, 1000);
	vrrp_fsm_advert(&f, 0, &a, 2000);
	vrrp_fsm_timer(&f, 10000000);
	vrrp_fsm_advert(&f, 0, &a, 10000001);
	if (vrrp_fsm_next(&f) <= 10000001)
		abort();
	vrrp_fsm_stop(&f, 20000000);
	if (vrrp_fsm_state(&f, 0) != VRRP_STATE_INIT)
		abort();
	vrrp_fsm_cleanup(&f);
	return 0;
}
