/*
 * vrrp: the advert codec (known packets, both checksum forms, every
 * truncation, every drop reason), the state machine driven by events and a
 * fake clock (each RFC 9568 6.4 transition, tracking, preemption delay,
 * readiness, handover, groups that move together), two and three routers
 * simulated in one process, and the choice of the leading group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "vrrp/vrrp_int.h"

#define MS	1000ull
#define SEC	1000000ull

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* ---- codec -------------------------------------------------------------- */

/* keepalived 2.2.7 on the lab: VRID 51, priority 150, 10 cs, 10.99.0.100 */
static const uint8_t ka_msg[] = {
	0x31, 0x33, 0x96, 0x01, 0x00, 0x0a, 0x43, 0x07,
	0x0a, 0x63, 0x00, 0x64,
};

/* An IPv4 packet around msg: 10.99.0.1 -> 224.0.0.18, TTL ttl. */
static size_t
wrap(uint8_t *out, const uint8_t *msg, size_t len, uint8_t ttl)
{
	static const uint8_t hdr[20] = {
		0x45, 0xc0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x00,
		0xff, 0x70, 0x00, 0x00, 10, 99, 0, 1, 224, 0, 0, 18,
	};

	memcpy(out, hdr, sizeof(hdr));
	out[2] = (uint8_t)((20 + len) >> 8);
	out[3] = (uint8_t)(20 + len);
	out[8] = ttl;
	memcpy(out + 20, msg, len);
	return 20 + len;
}

static void
test_checksum_vectors(void **state)
{
	uint8_t	 m[sizeof(ka_msg)];
	struct in_addr src = ip("10.99.0.1"), dst = ip("224.0.0.18");

	(void)state;
	memcpy(m, ka_msg, sizeof(m));
	m[6] = m[7] = 0;
	assert_int_equal(vrrp_checksum(m, sizeof(m), src, dst,
	    VRRP_CKSUM_PSEUDO), 0x4307);
	assert_int_equal(vrrp_checksum(m, sizeof(m), src, dst,
	    VRRP_CKSUM_RFC9568), 0x2dfa);
	/* an odd length is padded with a zero byte */
	assert_int_equal(vrrp_checksum((const uint8_t *)"\x01", 1, src, dst,
	    VRRP_CKSUM_RFC9568), 0xfeff);
}

static void
test_parse_keepalived(void **state)
{
	uint8_t	 pkt[64], m[sizeof(ka_msg)];
	struct vrrp_advert a;
	const char *why;
	size_t	 n;

	(void)state;
	n = wrap(pkt, ka_msg, sizeof(ka_msg), 255);
	assert_int_equal(vrrp_advert_parse(pkt, n, &a, &why), VRRP_ACCEPT);
	assert_int_equal(a.vrid, 51);
	assert_int_equal(a.priority, 150);
	assert_int_equal(a.interval_cs, 10);
	assert_int_equal(a.naddrs, 1);
	assert_int_equal(a.form, VRRP_CKSUM_PSEUDO);
	assert_int_equal(a.ttl, 255);
	assert_memory_equal(a.addrs, "\x0a\x63\x00\x64", 4);
	assert_int_equal(a.src.s_addr, ip("10.99.0.1").s_addr);

	/* the RFC 9568 form of the same advert */
	memcpy(m, ka_msg, sizeof(m));
	m[6] = 0x2d;
	m[7] = 0xfa;
	n = wrap(pkt, m, sizeof(m), 255);
	assert_int_equal(vrrp_advert_parse(pkt, n, &a, &why), VRRP_ACCEPT);
	assert_int_equal(a.form, VRRP_CKSUM_RFC9568);

	/* neither form */
	m[7] = 0xfb;
	n = wrap(pkt, m, sizeof(m), 255);
	assert_int_equal(vrrp_advert_parse(pkt, n, &a, &why),
	    VRRP_DROP_CHECKSUM);
	assert_string_equal(vrrp_drop_name(VRRP_DROP_CHECKSUM), "checksum");
	assert_true(strlen(why) > 0);
}

static void
test_build_matches_keepalived(void **state)
{
	uint8_t	 pkt[128], pkt2[128];
	struct in_addr vip = ip("10.99.0.100");
	struct vrrp_advert a;
	const char *why;
	size_t	 n;

	(void)state;
	n = vrrp_advert_build(pkt, sizeof(pkt), ip("10.99.0.1"), 51, 150, 10,
	    &vip, 1, VRRP_CKSUM_PSEUDO);
	assert_int_equal(n, 32);
	/* the header we send: TOS 0xc0, TTL 255, protocol 112 */
	assert_int_equal(pkt[0], 0x45);
	assert_int_equal(pkt[1], 0xc0);
	assert_int_equal(pkt[8], 255);
	assert_int_equal(pkt[9], 112);
	assert_memory_equal(pkt + 16, "\xe0\x00\x00\x12", 4);
	assert_memory_equal(pkt + 20, ka_msg, sizeof(ka_msg));
	assert_int_equal(vrrp_advert_parse(pkt, n, &a, &why), VRRP_ACCEPT);

	n = vrrp_advert_build(pkt2, sizeof(pkt2), ip("10.99.0.1"), 51, 150,
	    10, &vip, 1, VRRP_CKSUM_RFC9568);
	assert_int_equal(n, 32);
	assert_int_equal(pkt2[26], 0x2d);
	assert_int_equal(pkt2[27], 0xfa);
	assert_int_equal(vrrp_advert_parse(pkt2, n, &a, &why), VRRP_ACCEPT);
	assert_int_equal(a.form, VRRP_CKSUM_RFC9568);

	/* too small a buffer, a bad interval, no address: nothing built */
	assert_int_equal(vrrp_advert_build(pkt, 31, ip("10.99.0.1"), 51, 150,
	    10, &vip, 1, VRRP_CKSUM_PSEUDO), 0);
	assert_int_equal(vrrp_advert_build(pkt, sizeof(pkt), ip("10.99.0.1"),
	    51, 150, 0, &vip, 1, VRRP_CKSUM_PSEUDO), 0);
	assert_int_equal(vrrp_advert_build(pkt, sizeof(pkt), ip("10.99.0.1"),
	    51, 150, 4096, &vip, 1, VRRP_CKSUM_PSEUDO), 0);
	assert_int_equal(vrrp_advert_build(pkt, sizeof(pkt), ip("10.99.0.1"),
	    51, 150, 10, &vip, 0, VRRP_CKSUM_PSEUDO), 0);
}

static void
test_every_truncation(void **state)
{
	struct in_addr vips[3] = { ip("10.0.0.10"), ip("10.0.0.11"),
	    ip("10.0.0.12") };
	uint8_t	 pkt[128];
	struct vrrp_advert a;
	const char *why;
	size_t	 n;

	(void)state;
	for (int form = 0; form < 2; form++) {
		n = vrrp_advert_build(pkt, sizeof(pkt), ip("10.0.0.1"), 7, 100,
		    100, vips, 3, (enum vrrp_cksum)form);
		assert_int_equal(n, 20 + 8 + 12);
		assert_int_equal(vrrp_advert_parse(pkt, n, &a, &why),
		    VRRP_ACCEPT);
		assert_int_equal(a.naddrs, 3);
		for (size_t len = 0; len < n; len++) {
			enum vrrp_drop d = vrrp_advert_parse(pkt, len, &a,
			    &why);

			if (d == VRRP_ACCEPT)
				fail_msg("a %zu-byte prefix parsed", len);
			/* the header says more than arrived */
			if (len >= 20)
				assert_int_equal(d, VRRP_DROP_TRUNCATED);
		}
		/* and the body cut short with a matching IP length */
		for (size_t body = 0; body < n - 20; body++) {
			uint8_t	 cut[128];

			memcpy(cut, pkt, 20 + body);
			cut[2] = (uint8_t)((20 + body) >> 8);
			cut[3] = (uint8_t)(20 + body);
			assert_int_equal(vrrp_advert_parse(cut, 20 + body, &a,
			    &why), VRRP_DROP_TRUNCATED);
		}
	}
}

/* Rebuild the checksum after editing a message (pseudo-header form). */
static void
fix_sum(uint8_t *pkt, size_t len)
{
	struct in_addr src, dst;

	memcpy(&src.s_addr, pkt + 12, 4);
	memcpy(&dst.s_addr, pkt + 16, 4);
	pkt[26] = pkt[27] = 0;
	uint16_t s = vrrp_checksum(pkt + 20, len - 20, src, dst,
	    VRRP_CKSUM_PSEUDO);
	pkt[26] = (uint8_t)(s >> 8);
	pkt[27] = (uint8_t)s;
}

static void
test_drop_reasons(void **state)
{
	struct in_addr vip = ip("10.0.0.10");
	uint8_t	 good[64], p[80];
	struct vrrp_advert a;
	const char *why;
	size_t	 n;

	(void)state;
	n = vrrp_advert_build(good, sizeof(good), ip("10.0.0.1"), 1, 100, 10,
	    &vip, 1, VRRP_CKSUM_PSEUDO);
	assert_int_equal(n, 32);

	/* TTL other than 255 (RFC 9568 7.1) */
	memcpy(p, good, n);
	p[8] = 254;
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_TTL);
	/* VRRPv2 */
	memcpy(p, good, n);
	p[20] = 0x21;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why),
	    VRRP_DROP_VERSION);
	/* type 2 */
	memcpy(p, good, n);
	p[20] = 0x32;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_TYPE);
	/* interval 0, valid checksum */
	memcpy(p, good, n);
	p[24] = 0xf0;		/* reserved bits set: ignored */
	p[25] = 0;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why),
	    VRRP_DROP_INTERVAL);
	/* the reserved bits alone are ignored */
	p[25] = 10;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_ACCEPT);
	assert_int_equal(a.interval_cs, 10);
	/* count 0 with no address */
	memcpy(p, good, n);
	p[23] = 0;
	p[3] = 28;
	fix_sum(p, 28);
	assert_int_equal(vrrp_advert_parse(p, 28, &a, &why),
	    VRRP_DROP_LENGTH);
	/* a byte after the addresses */
	memcpy(p, good, n);
	p[n] = 0;
	p[3] = (uint8_t)(n + 1);
	fix_sum(p, n + 1);
	assert_int_equal(vrrp_advert_parse(p, n + 1, &a, &why),
	    VRRP_DROP_LENGTH);
	/* Ethernet padding after the IP datagram is not part of it */
	memcpy(p, good, n);
	memset(p + n, 0, 14);
	assert_int_equal(vrrp_advert_parse(p, n + 14, &a, &why), VRRP_ACCEPT);
	/* unicast destination */
	memcpy(p, good, n);
	p[19] = 19;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why),
	    VRRP_DROP_ADDRESS);
	/* a multicast source */
	memcpy(p, good, n);
	p[12] = 224;
	fix_sum(p, n);
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why),
	    VRRP_DROP_ADDRESS);
	/* a fragment, another protocol, IPv6, a short IHL */
	memcpy(p, good, n);
	p[6] = 0x20;
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_IP);
	memcpy(p, good, n);
	p[9] = 17;
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_IP);
	memcpy(p, good, n);
	p[0] = 0x65;
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_IP);
	memcpy(p, good, n);
	p[0] = 0x44;
	assert_int_equal(vrrp_advert_parse(p, n, &a, &why), VRRP_DROP_IP);
	/* IP options are skipped */
	memcpy(p, good, 20);
	p[0] = 0x46;
	memset(p + 20, 1, 4);	/* four NOPs */
	memcpy(p + 24, good + 20, n - 20);
	p[3] = (uint8_t)(n + 4);
	assert_int_equal(vrrp_advert_parse(p, n + 4, &a, &why), VRRP_ACCEPT);
	assert_int_equal(a.vrid, 1);
	/* every name is there */
	for (int d = 0; d < VRRP_DROP_COUNT; d++)
		assert_true(strlen(vrrp_drop_name((enum vrrp_drop)d)) > 0);
}

static void
test_garp_frame(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t want[VRRP_ARP_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 10, 0, 0, 10,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 10, 0, 0, 10,
	};
	uint8_t	 out[64];

	(void)state;
	assert_int_equal(vrrp_garp_build(out, sizeof(out), mac,
	    ip("10.0.0.10")), VRRP_ARP_LEN);
	assert_memory_equal(out, want, VRRP_ARP_LEN);
	assert_int_equal(vrrp_garp_build(out, 27, mac, ip("10.0.0.10")), 0);
}

static void
test_timer_formulas(void **state)
{
	(void)state;
	/* RFC 9568 6.1 in microseconds: priority 100, 10 cs */
	assert_int_equal(vrrp_skew_us(100, 10), 60937);
	assert_int_equal(vrrp_master_down_us(100, 10, 0), 360937);
	assert_int_equal(vrrp_master_down_us(150, 10, 0), 341406);
	assert_int_equal(vrrp_master_down_us(254, 100, 0), 3007812);
	assert_int_equal(vrrp_master_down_us(1, 1, 0), 39960);
	/* the hold time is a floor */
	assert_int_equal(vrrp_master_down_us(100, 10, 300000), 360937);
	assert_int_equal(vrrp_master_down_us(100, 100, 10000000), 10000000);
	/* HSRP's 3 s / 10 s: the RFC floor is longer than the hold */
	assert_int_equal(vrrp_master_down_us(100, 300, 10000000), 10828125);
	assert_int_equal(vrrp_skew_us(1, 4095), 40790039);
}

/* ---- the state machine, one router -------------------------------------- */

enum { A_SEND, A_VIP, A_GARP, A_STATE, A_ROLE };

struct act {
	int		 type;
	int		 gi;
	int		 arg;
	enum vrrp_state	 from;
	enum vrrp_state	 to;
	char		 reason[128];
};

struct rec {
	struct act	 a[512];
	int		 n;
};

static void
push(void *arg, int type, int gi, int v, enum vrrp_state from,
    enum vrrp_state to, const char *reason)
{
	struct rec *r = arg;
	struct act *a;

	assert_true(r->n < (int)nitems(r->a));
	a = &r->a[r->n++];
	a->type = type;
	a->gi = gi;
	a->arg = v;
	a->from = from;
	a->to = to;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
}

static void
r_send(void *arg, int gi, int prio)
{
	push(arg, A_SEND, gi, prio, 0, 0, NULL);
}

static void
r_vip(void *arg, int gi, int add)
{
	push(arg, A_VIP, gi, add, 0, 0, NULL);
}

static void
r_garp(void *arg, int gi)
{
	push(arg, A_GARP, gi, 0, 0, 0, NULL);
}

static void
r_state(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	push(arg, A_STATE, gi, 0, from, to, reason);
}

static void
r_role(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	push(arg, A_ROLE, gi, 0, from, to, reason);
}

static const struct vrrp_fsm_ops rec_ops = {
	r_send, r_vip, r_garp, r_state, r_role,
};

/* Actions of one kind since mark: count, and the last one's arg. */
static int
count(const struct rec *r, int mark, int type, int gi, int *arg)
{
	int	 n = 0;

	for (int i = mark; i < r->n; i++)
		if (r->a[i].type == type && (gi < 0 || r->a[i].gi == gi)) {
			n++;
			if (arg != NULL)
				*arg = r->a[i].arg;
		}
	return n;
}

static struct vrrp_fsm_gconf
gconf(const char *local, int prio, int preempt)
{
	struct vrrp_fsm_gconf c;

	memset(&c, 0, sizeof(c));
	c.vrid = 1;
	c.adv_cs = 10;
	c.local = ip(local);
	c.vip = ip("10.0.0.10");
	c.priority = prio;
	c.preempt = preempt;
	c.leader = -1;
	return c;
}

static struct vrrp_advert
adv(const char *src, int prio, int interval)
{
	static const uint8_t vip[4] = { 10, 0, 0, 10 };
	struct vrrp_advert a;

	memset(&a, 0, sizeof(a));
	a.src = ip(src);
	a.dst = ip("224.0.0.18");
	a.ttl = 255;
	a.vrid = 1;
	a.priority = (uint8_t)prio;
	a.naddrs = 1;
	a.interval_cs = (uint16_t)interval;
	a.addrs = vip;
	return a;
}

/* One group, started at t; Backup with its down timer running. */
static void
one(struct vrrp_fsm *f, struct rec *r, struct vrrp_fsm_gconf c, uint64_t t)
{
	memset(r, 0, sizeof(*r));
	vrrp_fsm_init(f, &rec_ops, r);
	assert_int_equal(vrrp_fsm_add_group(f, &c), 0);
	vrrp_fsm_start(f, t);
	assert_int_equal(vrrp_fsm_state(f, 0), VRRP_STATE_BACKUP);
}

/* Run the timers at t. */
static void
at(struct vrrp_fsm *f, uint64_t t)
{
	assert_true(vrrp_fsm_next(f) <= t);
	vrrp_fsm_timer(f, t);
}

/* Initialize -> Backup -> (Master_Down_Timer) -> Master, in order. */
static void
test_fsm_startup_to_master(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	uint64_t t0 = 1000 * SEC;
	int	 arg;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 100, 0), t0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.a[0].type, A_STATE);
	assert_int_equal(r.a[0].from, VRRP_STATE_INIT);
	assert_int_equal(r.a[0].to, VRRP_STATE_BACKUP);
	assert_string_equal(r.a[0].reason, "startup");
	assert_int_equal(r.a[1].type, A_ROLE);
	/* Master_Down_Interval = 3 x 100 ms + (156 x 100 ms) / 256 */
	assert_int_equal(vrrp_fsm_next(&f), t0 + 360937);
	vrrp_fsm_timer(&f, t0 + 360936);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(r.n, 2);
	vrrp_fsm_timer(&f, t0 + 360937);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	/* role first, then advert, VIP, GARP, then the state */
	assert_int_equal(r.a[2].type, A_ROLE);
	assert_int_equal(r.a[2].to, VRRP_STATE_MASTER);
	assert_int_equal(r.a[3].type, A_SEND);
	assert_int_equal(r.a[3].arg, 100);
	assert_int_equal(r.a[4].type, A_VIP);
	assert_int_equal(r.a[4].arg, 1);
	assert_int_equal(r.a[5].type, A_GARP);
	assert_int_equal(r.a[6].type, A_STATE);
	assert_string_equal(r.a[6].reason, "Master_Down_Timer expired");
	/* Adver_Timer: every 100 ms */
	assert_int_equal(vrrp_fsm_next(&f), t0 + 460937);
	for (int i = 1; i <= 10; i++)
		at(&f, t0 + 360937 + (uint64_t)i * 100 * MS);
	assert_int_equal(count(&r, 0, A_SEND, 0, &arg), 11);
	assert_int_equal(arg, 100);
	/* the second GARP burst 5 s after taking over, once */
	assert_int_equal(count(&r, 0, A_GARP, 0, NULL), 1);
	for (uint64_t t = t0 + 1460937; t <= t0 + 6 * SEC; t += 100 * MS)
		at(&f, t);
	assert_int_equal(count(&r, 0, A_GARP, 0, NULL), 2);
	for (uint64_t t = t0 + 6060937; t <= t0 + 12 * SEC; t += 100 * MS)
		at(&f, t);
	assert_int_equal(count(&r, 0, A_GARP, 0, NULL), 2);
	assert_int_equal(f.groups[0].adverts_tx, (uint64_t)count(&r, 0,
	    A_SEND, 0, NULL));
	vrrp_fsm_cleanup(&f);
}

/* Master: Shutdown -> priority 0, VIP removed, Initialize. */
static void
test_fsm_master_shutdown(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	int	 mark;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 100, 0), 0);
	at(&f, 360937);
	mark = r.n;
	vrrp_fsm_stop(&f, SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(r.a[mark].type, A_SEND);
	assert_int_equal(r.a[mark].arg, 0);
	assert_int_equal(r.a[mark + 1].type, A_VIP);
	assert_int_equal(r.a[mark + 1].arg, 0);
	assert_int_equal(r.a[mark + 2].type, A_STATE);
	assert_string_equal(r.a[mark + 2].reason, "shutdown");
	assert_int_equal(vrrp_fsm_next(&f), UINT64_MAX);
	assert_int_equal(f.groups[0].prio0_tx, 1);
	vrrp_fsm_cleanup(&f);

	/* Backup: Shutdown -> Initialize, nothing sent */
	one(&f, &r, gconf("10.0.0.1", 100, 0), 0);
	mark = r.n;
	vrrp_fsm_stop(&f, 100 * MS);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(count(&r, mark, A_SEND, -1, NULL), 0);
	assert_int_equal(count(&r, mark, A_VIP, -1, NULL), 0);
	vrrp_fsm_cleanup(&f);
}

/* Backup: priority 0 -> Master_Down_Timer = Skew_Time. */
static void
test_fsm_backup_prio0(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert a = adv("10.0.0.2", 150, 10);

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 100, 0), 0);
	vrrp_fsm_advert(&f, 0, &a, 50 * MS);
	assert_int_equal(vrrp_fsm_next(&f), 50 * MS + 360937);
	a.priority = 0;
	vrrp_fsm_advert(&f, 0, &a, 100 * MS);
	assert_int_equal(vrrp_fsm_next(&f), 100 * MS + 60937);
	at(&f, 100 * MS + 60937);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	assert_string_equal(f.groups[0].reason,
	    "Master_Down_Timer expired (priority 0 from 10.0.0.2)");
	assert_int_equal(f.groups[0].prio0_rx, 1);
	vrrp_fsm_cleanup(&f);
}

/* Backup: preempt off accepts every priority; on, it discards lower. */
static void
test_fsm_backup_preempt(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert low = adv("10.0.0.2", 90, 10);
	struct vrrp_advert high = adv("10.0.0.2", 110, 10);
	struct vrrp_advert same = adv("10.0.0.0", 100, 10);
	uint64_t t;

	(void)state;
	/* HSRP default: no preemption; a lower master is followed */
	one(&f, &r, gconf("10.0.0.1", 100, 0), 0);
	for (t = 100 * MS; t < 10 * SEC; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_true(f.groups[0].master_known);
	assert_int_equal(f.groups[0].master_prio, 90);
	vrrp_fsm_cleanup(&f);

	/* preempt: lower adverts are discarded, the down timer runs out */
	one(&f, &r, gconf("10.0.0.1", 100, 1), 0);
	vrrp_fsm_advert(&f, 0, &high, 10 * MS);
	for (t = 100 * MS; t < 400 * MS; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		assert_int_equal(vrrp_fsm_next(&f), 10 * MS + 360937);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	at(&f, 10 * MS + 360937);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	vrrp_fsm_cleanup(&f);

	/* equal or higher priority keeps a preempting backup Backup */
	one(&f, &r, gconf("10.0.0.1", 100, 1), 0);
	for (t = 100 * MS; t < 5 * SEC; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, t < 2 * SEC ? &high : &same, t);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	vrrp_fsm_cleanup(&f);
}

/* Backup learns Master_Adver_Interval from the advert (RFC 5798 6.4.2). */
static void
test_fsm_learn_interval(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_fsm_gconf c = gconf("10.0.0.1", 100, 0);
	struct vrrp_advert a = adv("10.0.0.2", 150, 20);

	(void)state;
	one(&f, &r, c, 0);
	vrrp_fsm_advert(&f, 0, &a, 0);
	assert_int_equal(f.groups[0].master_adv_cs, 20);
	assert_int_equal(vrrp_fsm_next(&f), vrrp_master_down_us(100, 20, 0));
	assert_int_equal(f.groups[0].interval_mismatch, 1);
	assert_int_equal(f.groups[0].address_mismatch, 0);
	/* another VIP in the advert is counted, not dropped */
	static const uint8_t other[4] = { 10, 0, 0, 99 };
	a.addrs = other;
	vrrp_fsm_advert(&f, 0, &a, 10 * MS);
	assert_int_equal(f.groups[0].address_mismatch, 1);
	assert_int_equal(vrrp_fsm_next(&f), 10 * MS +
	    vrrp_master_down_us(100, 20, 0));
	vrrp_fsm_cleanup(&f);

	/* an HSRP hold time longer than the RFC formula is honoured */
	c.adv_cs = 100;
	c.hold_us = 10 * SEC;
	one(&f, &r, c, 0);
	assert_int_equal(vrrp_fsm_next(&f), 10 * SEC);
	vrrp_fsm_cleanup(&f);
}

/* Master: higher priority -> Backup; lower -> advert + healing GARP. */
static void
test_fsm_master_adverts(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert a;
	uint64_t t = 360937;
	int	 mark, arg;

	(void)state;
	one(&f, &r, gconf("10.0.0.5", 100, 0), 0);
	at(&f, t);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);

	/* priority 0: send an advert at once, reset the Adver_Timer */
	mark = r.n;
	a = adv("10.0.0.2", 0, 10);
	vrrp_fsm_advert(&f, 0, &a, t + 30 * MS);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 100);
	assert_int_equal(vrrp_fsm_next(&f), t + 130 * MS);

	/* lower priority: advert at once, GARP at most once a second */
	mark = r.n;
	a = adv("10.0.0.9", 90, 10);
	vrrp_fsm_advert(&f, 0, &a, t + 2 * SEC);
	vrrp_fsm_advert(&f, 0, &a, t + 2 * SEC + 500 * MS);
	vrrp_fsm_advert(&f, 0, &a, t + 3 * SEC + 1);
	assert_int_equal(count(&r, mark, A_SEND, 0, NULL), 3);
	assert_int_equal(count(&r, mark, A_GARP, 0, NULL), 2);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);

	/* equal priority, lower address: stays Master */
	a = adv("10.0.0.4", 100, 10);
	vrrp_fsm_advert(&f, 0, &a, t + 4 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	/* equal priority, higher address: Backup */
	mark = r.n;
	a = adv("10.0.0.6", 100, 20);
	vrrp_fsm_advert(&f, 0, &a, t + 5 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(count(&r, mark, A_SEND, 0, NULL), 0);
	assert_string_equal(f.groups[0].reason,
	    "equal priority, higher address, 100 from 10.0.0.6");
	/* the interval of the new Master is learned */
	assert_int_equal(vrrp_fsm_next(&f), t + 5 * SEC +
	    vrrp_master_down_us(100, 20, 0));
	vrrp_fsm_cleanup(&f);

	/* higher priority, and the owner's 255, win even against preempt */
	for (int p = 101; p <= 255; p += 154) {
		one(&f, &r, gconf("10.0.0.5", 100, 1), 0);
		at(&f, t);
		a = adv("10.0.0.1", p, 10);
		vrrp_fsm_advert(&f, 0, &a, t + SEC);
		assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
		/* and a preempting backup does not discard it */
		vrrp_fsm_advert(&f, 0, &a, t + SEC + 300 * MS);
		assert_int_equal(vrrp_fsm_next(&f), t + SEC + 300 * MS +
		    360937);
		vrrp_fsm_cleanup(&f);
	}
}

/* Adverts while Initialize change nothing. */
static void
test_fsm_init_ignores(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert a = adv("10.0.0.2", 200, 10);
	struct vrrp_fsm_gconf c = gconf("10.0.0.1", 100, 0);

	(void)state;
	memset(&r, 0, sizeof(r));
	vrrp_fsm_init(&f, &rec_ops, &r);
	assert_int_equal(vrrp_fsm_add_group(&f, &c), 0);
	vrrp_fsm_advert(&f, 0, &a, 0);
	vrrp_fsm_timer(&f, 10 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(r.n, 0);
	assert_int_equal(vrrp_fsm_next(&f), UINT64_MAX);
	/* bad configurations are refused */
	c.priority = 255;
	assert_int_equal(vrrp_fsm_add_group(&f, &c), -1);
	c.priority = 100;
	c.adv_cs = 0;
	assert_int_equal(vrrp_fsm_add_group(&f, &c), -1);
	c.adv_cs = 10;
	c.leader = 5;
	assert_int_equal(vrrp_fsm_add_group(&f, &c), -1);
	vrrp_fsm_cleanup(&f);
}

static const struct vrrp_fsm_track tr_dec[] = {
	{ 1, 20, 0 }, { 2, 15, 0 }, { 3, 0, 1 },
};

/* Tracking: decrements add up, a change is advertised at once. */
static void
test_fsm_tracking(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_fsm_gconf c = gconf("10.0.0.1", 110, 0);
	uint64_t t = 360937;
	int	 mark, arg;

	(void)state;
	c.tracks = tr_dec;
	c.ntracks = 3;
	memset(&r, 0, sizeof(r));
	vrrp_fsm_init(&f, &rec_ops, &r);
	assert_int_equal(vrrp_fsm_add_group(&f, &c), 0);
	for (int id = 1; id <= 3; id++)
		vrrp_fsm_track(&f, id, 1, 0);
	vrrp_fsm_start(&f, 0);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 110);
	vrrp_fsm_timer(&f, vrrp_master_down_us(110, 10, 0));
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);

	mark = r.n;
	vrrp_fsm_track(&f, 1, 0, t + SEC);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 90);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 90);
	vrrp_fsm_track(&f, 2, 0, t + 2 * SEC);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 75);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 2);
	assert_int_equal(arg, 75);
	/* the same state again changes nothing */
	vrrp_fsm_track(&f, 2, 0, t + 2 * SEC);
	assert_int_equal(count(&r, mark, A_SEND, 0, NULL), 2);
	vrrp_fsm_track(&f, 1, 1, t + 3 * SEC);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 95);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);

	/* track N shutdown: priority 0, Initialize; back up: Backup */
	mark = r.n;
	vrrp_fsm_track(&f, 3, 0, t + 4 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_string_equal(f.groups[0].reason, "track 3 down");
	vrrp_fsm_track(&f, 3, 1, t + 5 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(vrrp_fsm_next(&f), t + 5 * SEC +
	    vrrp_master_down_us(95, 10, 0));
	vrrp_fsm_cleanup(&f);

	/* decrements never take the priority below 1 */
	c.priority = 30;
	memset(&r, 0, sizeof(r));
	vrrp_fsm_init(&f, &rec_ops, &r);
	assert_int_equal(vrrp_fsm_add_group(&f, &c), 0);
	vrrp_fsm_track(&f, 3, 1, 0);
	vrrp_fsm_start(&f, 0);	/* 1 and 2 never reported: down */
	assert_int_equal(vrrp_fsm_priority(&f, 0), 1);
	assert_int_equal(vrrp_fsm_track_up(&f, 1), 0);
	vrrp_fsm_cleanup(&f);
}

/* The interface: down -> priority 0 and Initialize, up -> Backup. */
static void
test_fsm_link(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	int	 mark;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 100, 0), 0);
	at(&f, 360937);
	mark = r.n;
	vrrp_fsm_link(&f, 0, 0, SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	/* the link is down: no advert can leave, the VIP goes */
	assert_int_equal(count(&r, mark, A_SEND, 0, NULL), 0);
	assert_int_equal(count(&r, mark, A_VIP, 0, NULL), 1);
	vrrp_fsm_link(&f, 0, 1, 2 * SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_string_equal(f.groups[0].reason, "interface of group 1 up");
	vrrp_fsm_cleanup(&f);
}

/* Preempt delay minimum: lower adverts honoured for S, then preempted. */
static void
test_fsm_preempt_delay(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_fsm_gconf c = gconf("10.0.0.1", 110, 1);
	struct vrrp_advert low = adv("10.0.0.2", 100, 10);
	uint64_t t;

	(void)state;
	c.preempt_delay_us = 3 * SEC;
	one(&f, &r, c, 0);
	/* first heard at 50 ms: honoured until 3.05 s, then discarded */
	for (t = 50 * MS; t < 3300 * MS; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
		assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	}
	assert_int_equal(vrrp_fsm_next(&f), 2950 * MS +
	    vrrp_master_down_us(110, 10, 0));
	at(&f, 2950 * MS + vrrp_master_down_us(110, 10, 0));
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	vrrp_fsm_cleanup(&f);

	/* without the delay: preempts one MDI after start */
	c.preempt_delay_us = 0;
	one(&f, &r, c, 0);
	vrrp_fsm_advert(&f, 0, &low, 50 * MS);
	assert_int_equal(vrrp_fsm_next(&f), vrrp_master_down_us(110, 10, 0));
	vrrp_fsm_cleanup(&f);
}

/* Not ready: priority 1, no preemption; ready again: restored. */
static void
test_fsm_ready(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert low = adv("10.0.0.2", 50, 10);
	uint64_t t;
	int	 mark, arg;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 110, 1), 0);
	vrrp_fsm_set_ready(&f, 0, 0);
	assert_int_equal(vrrp_fsm_priority(&f, 0), VRRP_NOT_READY_PRIO);
	assert_false(vrrp_fsm_preempt(&f, 0));
	/* a lower master is followed while not ready */
	for (t = 100 * MS; t < 3 * SEC; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	/* ready: preempts after the down timer */
	vrrp_fsm_set_ready(&f, 1, t);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 110);
	for (; vrrp_fsm_state(&f, 0) == VRRP_STATE_BACKUP; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
		assert_true(t < 5 * SEC);
	}
	/* Master and made not ready: priority 1 advertised at once */
	mark = r.n;
	vrrp_fsm_set_ready(&f, 0, t);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 1);
	vrrp_fsm_cleanup(&f);

	/* alone and not ready, it still becomes Master */
	one(&f, &r, gconf("10.0.0.1", 110, 1), 0);
	vrrp_fsm_set_ready(&f, 0, 0);
	vrrp_fsm_timer(&f, vrrp_master_down_us(110, 10, 0));
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	vrrp_fsm_cleanup(&f);
}

/*
 * Planned handover: priority 0, Backup and not ready, the VIP kept until
 * released (the new Active router adds its own first); a later state
 * change removes a kept VIP too.
 */
static void
test_fsm_handover(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	int	 mark, arg;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 110, 1), 0);
	assert_int_equal(vrrp_fsm_handover(&f, 10 * MS), -1);
	assert_true(f.ready);
	at(&f, vrrp_master_down_us(110, 10, 0));
	mark = r.n;
	assert_int_equal(vrrp_fsm_handover(&f, SEC), 0);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 0);
	assert_false(f.ready);
	assert_false(vrrp_fsm_preempt(&f, 0));
	assert_string_equal(f.groups[0].reason, "planned handover");
	mark = r.n;
	assert_int_equal(vrrp_fsm_release_vips(&f), 1);
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(vrrp_fsm_release_vips(&f), 0);	/* once */
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 1);
	vrrp_fsm_cleanup(&f);

	/* kept, then the link goes down: removed with the state change */
	one(&f, &r, gconf("10.0.0.1", 110, 1), 0);
	at(&f, vrrp_master_down_us(110, 10, 0));
	assert_int_equal(vrrp_fsm_handover(&f, SEC), 0);
	mark = r.n;
	vrrp_fsm_link(&f, 0, 0, SEC + MS);
	assert_int_equal(count(&r, mark, A_VIP, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(vrrp_fsm_release_vips(&f), 0);
	vrrp_fsm_cleanup(&f);
}

/*
 * The other half of a planned handover: a Backup becomes Master at once
 * (role first, then advert, VIP and GARP); nothing happens from Init or
 * Master.
 */
static void
test_fsm_takeover(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	int	 mark, arg, role_at = -1, vip_at = -1;

	(void)state;
	one(&f, &r, gconf("10.0.0.2", 100, 0), 0);
	mark = r.n;
	assert_int_equal(vrrp_fsm_takeover(&f, 10 * MS), 0);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	for (int i = mark; i < r.n; i++) {
		if (r.a[i].type == A_ROLE && role_at < 0)
			role_at = i;
		if (r.a[i].type == A_VIP && vip_at < 0)
			vip_at = i;
	}
	/* the listener readies its data plane before the VIP exists */
	assert_true(role_at >= 0 && vip_at > role_at);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 100);
	assert_int_equal(count(&r, mark, A_GARP, 0, NULL), 1);
	assert_string_equal(f.groups[0].reason, "planned switchover");
	/* already Master: nothing to take over */
	assert_int_equal(vrrp_fsm_takeover(&f, 20 * MS), -1);
	/* Init (the link is down): refused */
	vrrp_fsm_link(&f, 0, 0, 30 * MS);
	assert_int_equal(vrrp_fsm_takeover(&f, 40 * MS), -1);
	vrrp_fsm_cleanup(&f);
}

/* Preemption held: a higher priority Backup follows a lower Master. */
static void
test_fsm_hold_preempt(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert low = adv("10.0.0.2", 90, 10);
	uint64_t t;

	(void)state;
	one(&f, &r, gconf("10.0.0.1", 110, 1), 0);
	vrrp_fsm_hold_preempt(&f, 1, 0);
	assert_false(vrrp_fsm_preempt(&f, 0));
	for (t = 100 * MS; t < 3 * SEC; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	/* the advertised priority is the configured one */
	assert_int_equal(vrrp_fsm_priority(&f, 0), 110);
	/* released: it preempts after the down timer */
	vrrp_fsm_hold_preempt(&f, 0, t);
	assert_true(vrrp_fsm_preempt(&f, 0));
	for (; vrrp_fsm_state(&f, 0) == VRRP_STATE_BACKUP; t += 100 * MS) {
		vrrp_fsm_advert(&f, 0, &low, t);
		vrrp_fsm_timer(&f, t);
		assert_true(t < 5 * SEC);
	}
	vrrp_fsm_cleanup(&f);
}

/* A priority change through reconfiguration is advertised at once. */
static void
test_fsm_reconfigure(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_fsm_gconf c = gconf("10.0.0.1", 100, 0);
	int	 mark, arg;

	(void)state;
	one(&f, &r, c, 0);
	at(&f, 360937);
	mark = r.n;
	c.priority = 120;
	c.adv_cs = 20;
	vrrp_fsm_reconfigure(&f, 0, &c, SEC);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 120);
	assert_int_equal(vrrp_fsm_next(&f), SEC + 200 * MS);
	vrrp_fsm_cleanup(&f);
}

/* ---- groups that move together ----------------------------------------- */

/* Group 0 leads (10.0.0.x), group 1 follows (192.168.0.x). */
static void
pair(struct vrrp_fsm *f, struct rec *r, const char *lo, const char *li,
    int prio, int preempt, const struct vrrp_fsm_track *ft, int nft)
{
	struct vrrp_fsm_gconf c0 = gconf(lo, prio, preempt);
	struct vrrp_fsm_gconf c1 = gconf(li, 50, 0);

	c1.vrid = 2;
	c1.vip = ip("192.168.0.10");
	c1.leader = 0;
	c1.tracks = ft;
	c1.ntracks = nft;
	memset(r, 0, sizeof(*r));
	vrrp_fsm_init(f, &rec_ops, r);
	assert_int_equal(vrrp_fsm_add_group(f, &c0), 0);
	assert_int_equal(vrrp_fsm_add_group(f, &c1), 1);
	for (int i = 0; i < nft; i++)
		vrrp_fsm_track(f, ft[i].id, 1, 0);
	vrrp_fsm_start(f, 0);
}

static void
test_sets_move_together(void **state)
{
	struct vrrp_fsm f;
	struct rec r;
	struct vrrp_advert out = adv("10.0.0.2", 120, 10);
	struct vrrp_advert in = adv("192.168.0.2", 120, 10);
	uint64_t t;
	int	 mark, arg;

	(void)state;
	in.vrid = 2;
	pair(&f, &r, "10.0.0.1", "192.168.0.1", 110, 1, NULL, 0);
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_BACKUP);
	/* the follower advertises the leader's priority */
	assert_int_equal(vrrp_fsm_priority(&f, 1), 110);
	/* a better router heard on the follower's link only: still Backup */
	for (t = 100 * MS; t < 3 * SEC; t += 100 * MS) {
		vrrp_fsm_advert(&f, 1, &in, t);
		vrrp_fsm_timer(&f, t);
	}
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	/* silence on both links: both Master, one role change */
	mark = r.n;
	for (; vrrp_fsm_state(&f, 0) == VRRP_STATE_BACKUP; t += 10 * MS)
		vrrp_fsm_timer(&f, t);
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_MASTER);
	assert_int_equal(count(&r, mark, A_ROLE, -1, NULL), 1);
	assert_int_equal(count(&r, mark, A_VIP, 0, NULL), 1);
	assert_int_equal(count(&r, mark, A_VIP, 1, NULL), 1);
	assert_int_equal(count(&r, mark, A_SEND, 1, &arg), 1);
	assert_int_equal(arg, 110);
	/* a better router on the follower's link: the whole node yields */
	mark = r.n;
	vrrp_fsm_advert(&f, 1, &in, t);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_BACKUP);
	assert_int_equal(count(&r, mark, A_VIP, -1, NULL), 2);
	vrrp_fsm_cleanup(&f);

	/* ties: decided on the leader's link only */
	pair(&f, &r, "10.0.0.1", "192.168.0.1", 120, 0, NULL, 0);
	for (t = 10 * MS; vrrp_fsm_state(&f, 0) == VRRP_STATE_BACKUP;
	    t += 10 * MS)
		vrrp_fsm_timer(&f, t);
	vrrp_fsm_advert(&f, 1, &in, t);		/* tie, higher address */
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_MASTER);
	vrrp_fsm_advert(&f, 0, &out, t);	/* the same on the leader */
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_BACKUP);
	vrrp_fsm_cleanup(&f);

	/* the follower's interface down: the node steps down, priority 0
	 * on the leader's link */
	pair(&f, &r, "10.0.0.1", "192.168.0.1", 110, 0, NULL, 0);
	for (t = 10 * MS; vrrp_fsm_state(&f, 0) == VRRP_STATE_BACKUP;
	    t += 10 * MS)
		vrrp_fsm_timer(&f, t);
	mark = r.n;
	vrrp_fsm_link(&f, 1, 0, t);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(count(&r, mark, A_SEND, 0, &arg), 1);
	assert_int_equal(arg, 0);
	assert_int_equal(count(&r, mark, A_SEND, 1, NULL), 0);
	assert_int_equal(count(&r, mark, A_VIP, -1, NULL), 2);
	vrrp_fsm_link(&f, 1, 1, t + SEC);
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_BACKUP);
	vrrp_fsm_cleanup(&f);
}

/* A follower's tracking acts on the node; one object counts once. */
static void
test_sets_tracking(void **state)
{
	static const struct vrrp_fsm_track ft[] = {
		{ 1, 10, 0 }, { 1, 30, 0 }, { 2, 5, 0 }, { 9, 0, 1 },
	};
	struct vrrp_fsm f;
	struct rec r;

	(void)state;
	pair(&f, &r, "10.0.0.1", "192.168.0.1", 110, 1, ft, 4);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 110);
	vrrp_fsm_track(&f, 1, 0, SEC);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 80);
	assert_int_equal(vrrp_fsm_priority(&f, 1), 80);
	vrrp_fsm_track(&f, 2, 0, SEC);
	assert_int_equal(vrrp_fsm_priority(&f, 0), 75);
	vrrp_fsm_track(&f, 9, 0, SEC);
	assert_int_equal(vrrp_fsm_state(&f, 0), VRRP_STATE_INIT);
	assert_int_equal(vrrp_fsm_state(&f, 1), VRRP_STATE_INIT);
	vrrp_fsm_cleanup(&f);
}

/* ---- routers simulated together ----------------------------------------- */

#define NLINKS	2
#define NROUTERS 3

struct sim;

struct router {
	struct sim	*sim;
	int		 id;
	int		 alive;
	struct vrrp_fsm	 f;
	struct rec	 r;
	int		 vip[NLINKS];	/* holds the link's VIP */
	int		 masters;	/* became Master, times */
};

struct msg {
	uint64_t	 at;
	int		 from;
	int		 link;
	uint8_t		 pkt[64];
	size_t		 len;
};

struct sim {
	struct router	 r[NROUTERS];
	int		 nrouters;
	int		 ngroups;	/* groups per router, one per link */
	int		 cut[NLINKS];
	struct msg	 q[256];
	int		 nq;
	uint64_t	 now;
	uint64_t	 delay;		/* on the wire */
	uint64_t	 dual;		/* VIP held twice at once, us */
	enum vrrp_cksum	 form[NROUTERS];
};

static struct in_addr
sim_addr(int link, int id)
{
	struct in_addr a;

	a.s_addr = htonl((link == 0 ? 0x0a000000u : 0xc0a80000u) |
	    (uint32_t)(id + 1));
	return a;
}

static struct in_addr
sim_vip(int link)
{
	struct in_addr a;

	a.s_addr = htonl((link == 0 ? 0x0a000000u : 0xc0a80000u) | 10);
	return a;
}

static void
s_send(void *arg, int gi, int prio)
{
	struct router *rt = arg;
	struct sim *s = rt->sim;
	struct in_addr vip = sim_vip(gi);
	struct msg *m;

	assert_true(s->nq < (int)nitems(s->q));
	m = &s->q[s->nq++];
	m->at = s->now + s->delay;
	m->from = rt->id;
	m->link = gi;
	m->len = vrrp_advert_build(m->pkt, sizeof(m->pkt),
	    sim_addr(gi, rt->id), (uint8_t)(gi + 1), (uint8_t)prio,
	    rt->f.groups[gi].c.adv_cs, &vip, 1, s->form[rt->id]);
	assert_int_equal(m->len, 32);
}

static void
s_vip(void *arg, int gi, int add)
{
	struct router *rt = arg;
	struct sim *s = rt->sim;

	(void)s;
	rt->vip[gi] = add;
}

static void
s_garp(void *arg, int gi)
{
	(void)arg;
	(void)gi;
}

static void
s_state(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	(void)arg;
	(void)gi;
	(void)from;
	(void)to;
	(void)reason;
}

static void
s_role(void *arg, int gi, enum vrrp_state from, enum vrrp_state to,
    const char *reason)
{
	struct router *rt = arg;

	(void)gi;
	(void)from;
	(void)reason;
	if (to == VRRP_STATE_MASTER)
		rt->masters++;
}

static const struct vrrp_fsm_ops sim_ops = {
	s_send, s_vip, s_garp, s_state, s_role,
};

static void
sim_router(struct sim *s, int id, int prio, int preempt, uint64_t start)
{
	struct router *rt = &s->r[id];

	if (rt->sim != NULL)
		vrrp_fsm_cleanup(&rt->f);	/* a restart */
	memset(rt, 0, sizeof(*rt));
	rt->sim = s;
	rt->id = id;
	rt->alive = 1;
	vrrp_fsm_init(&rt->f, &sim_ops, rt);
	for (int l = 0; l < s->ngroups; l++) {
		struct vrrp_fsm_gconf c;

		memset(&c, 0, sizeof(c));
		c.vrid = (uint8_t)(l + 1);
		c.adv_cs = 10;
		c.local = sim_addr(l, id);
		c.vip = sim_vip(l);
		c.priority = prio;
		c.preempt = preempt;
		c.leader = l == 0 ? -1 : 0;
		assert_int_equal(vrrp_fsm_add_group(&rt->f, &c), l);
	}
	s->now = start;
	vrrp_fsm_start(&rt->f, start);
}

/* Crash: no priority 0, the VIP stays (as after kill -9), no more events. */
static void
sim_crash(struct sim *s, int id)
{
	s->r[id].alive = 0;
	for (int l = 0; l < NLINKS; l++)
		s->r[id].vip[l] = 0;	/* what a client sees once it expires */
}

/* Run until t: deliver messages and fire timers in time order. */
static void
sim_run(struct sim *s, uint64_t until)
{
	for (;;) {
		uint64_t next = UINT64_MAX, stop;
		int	 who = -1, mi = -1;

		for (int i = 0; i < s->nq; i++)
			if (s->q[i].at < next) {
				next = s->q[i].at;
				mi = i;
			}
		for (int i = 0; i < s->nrouters; i++) {
			uint64_t n;

			if (!s->r[i].alive)
				continue;
			n = vrrp_fsm_next(&s->r[i].f);
			if (n < next) {
				next = n;
				who = i;
				mi = -1;
			}
		}
		stop = next > until ? until : next;
		/* time with a VIP on two routers at once */
		for (int l = 0; l < s->ngroups; l++) {
			int	 holders = 0;

			for (int i = 0; i < s->nrouters; i++)
				holders += s->r[i].vip[l];
			if (holders > 1)
				s->dual += stop - s->now;
		}
		s->now = stop;
		if (next > until)
			break;
		if (mi >= 0) {
			struct msg m = s->q[mi];

			s->q[mi] = s->q[--s->nq];
			for (int i = 0; i < s->nrouters; i++) {
				struct vrrp_advert a;
				const char *why;

				if (i == m.from || !s->r[i].alive ||
				    s->cut[m.link])
					continue;
				assert_int_equal(vrrp_advert_parse(m.pkt,
				    m.len, &a, &why), VRRP_ACCEPT);
				assert_int_equal(a.vrid, m.link + 1);
				vrrp_fsm_advert(&s->r[i].f, m.link, &a,
				    s->now);
			}
		} else
			vrrp_fsm_timer(&s->r[who].f, s->now);
	}
	s->now = until;
}

static int
sim_masters(const struct sim *s, int link)
{
	int	 n = 0;

	for (int i = 0; i < s->nrouters; i++)
		if (s->r[i].alive && vrrp_fsm_state(&s->r[i].f, link) ==
		    VRRP_STATE_MASTER)
			n++;
	return n;
}

static void
sim_free(struct sim *s)
{
	for (int i = 0; i < s->nrouters; i++)
		vrrp_fsm_cleanup(&s->r[i].f);
	free(s);
}

static struct sim *
sim_new(int nrouters, int ngroups)
{
	struct sim *s = xcalloc(1, sizeof(*s));

	s->nrouters = nrouters;
	s->ngroups = ngroups;
	s->delay = 200;		/* 0.2 ms on the wire */
	return s;
}

/* Two routers elect by priority; a crash and a clean stop hand over. */
static void
test_sim_two_routers(void **state)
{
	struct sim *s;
	uint64_t t, last;

	(void)state;
	s = sim_new(2, 1);
	s->form[1] = VRRP_CKSUM_RFC9568;	/* either form is accepted */
	sim_router(s, 0, 150, 1, 0);
	sim_router(s, 1, 100, 1, 0);
	sim_run(s, 2 * SEC);
	assert_int_equal(vrrp_fsm_state(&s->r[0].f, 0), VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(s->dual, 0);
	assert_int_equal(s->r[1].masters, 0);

	/* crash of the Master: the backup takes over one MDI after the
	 * last advert it heard (RFC bound 360.937 ms for priority 100) */
	last = s->r[1].f.groups[0].down_at - 360937;
	sim_crash(s, 0);
	sim_run(s, 4 * SEC);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_MASTER);
	assert_int_equal(s->r[1].f.groups[0].last_change, last + 360937);
	assert_true(s->r[1].f.groups[0].last_change - 2 * SEC <= 361 * MS);

	/* the old Master comes back and preempts */
	sim_router(s, 0, 150, 1, 4 * SEC);
	sim_run(s, 6 * SEC);
	assert_int_equal(vrrp_fsm_state(&s->r[0].f, 0), VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_BACKUP);
	/* the preempted one lets go as its first advert arrives */
	assert_int_equal(s->dual, s->delay);

	/* a clean stop hands over in Skew_Time (60.9 ms) */
	t = 6 * SEC + 33 * MS;
	sim_run(s, t);
	vrrp_fsm_stop(&s->r[0].f, t);
	sim_run(s, t + 100 * MS);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_MASTER);
	assert_int_equal(s->r[1].f.groups[0].last_change, t + s->delay +
	    60937);
	/* no overlap beyond the preemption's */
	assert_int_equal(s->dual, s->delay);
	sim_free(s);
}

/* Three routers start together: exactly one Master, the highest. */
static void
test_sim_three_routers(void **state)
{
	struct sim *s;

	(void)state;
	s = sim_new(3, 1);
	sim_router(s, 0, 100, 0, 0);
	sim_router(s, 1, 200, 0, 0);
	sim_router(s, 2, 150, 0, 0);
	sim_run(s, 3 * SEC);
	assert_int_equal(sim_masters(s, 0), 1);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_MASTER);
	assert_int_equal(s->dual, 0);
	/* equal priorities: the highest address wins */
	sim_free(s);
	s = sim_new(3, 1);
	for (int i = 0; i < 3; i++)
		sim_router(s, i, 100, 1, 0);
	sim_run(s, 3 * SEC);
	assert_int_equal(sim_masters(s, 0), 1);
	assert_int_equal(vrrp_fsm_state(&s->r[2].f, 0), VRRP_STATE_MASTER);
	sim_free(s);
}

/* Two links, groups moving together: a partition of one link, a
 * tracked object, never split. */
static void
test_sim_never_split(void **state)
{
	struct sim *s;

	(void)state;
	s = sim_new(2, 2);
	sim_router(s, 0, 110, 1, 0);
	sim_router(s, 1, 100, 1, 0);
	sim_run(s, 2 * SEC);
	for (int l = 0; l < 2; l++) {
		assert_int_equal(vrrp_fsm_state(&s->r[0].f, l),
		    VRRP_STATE_MASTER);
		assert_int_equal(vrrp_fsm_state(&s->r[1].f, l),
		    VRRP_STATE_BACKUP);
	}
	/* the leader's link is cut between the two: nothing moves, the
	 * follower's link still carries the Master's adverts */
	s->cut[0] = 1;
	sim_run(s, 5 * SEC);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 0), VRRP_STATE_BACKUP);
	assert_int_equal(vrrp_fsm_state(&s->r[1].f, 1), VRRP_STATE_BACKUP);
	assert_int_equal(s->r[1].masters, 0);
	s->cut[0] = 0;
	/* the same for the follower's link */
	s->cut[1] = 1;
	sim_run(s, 8 * SEC);
	assert_int_equal(s->r[1].masters, 0);
	s->cut[1] = 0;
	/* the Master's priority drops below the peer's: both groups move
	 * (the peer preempts), in one role change */
	{
		struct vrrp_fsm_gconf c = s->r[0].f.groups[0].c;

		c.priority = 90;
		vrrp_fsm_reconfigure(&s->r[0].f, 0, &c, s->now);
	}
	sim_run(s, 10 * SEC);
	for (int l = 0; l < 2; l++) {
		assert_int_equal(vrrp_fsm_state(&s->r[0].f, l),
		    VRRP_STATE_BACKUP);
		assert_int_equal(vrrp_fsm_state(&s->r[1].f, l),
		    VRRP_STATE_MASTER);
	}
	assert_int_equal(s->r[1].masters, 1);
	/* during the preemption, one advert's flight on each link */
	assert_int_equal(s->dual, 2 * s->delay);
	sim_free(s);
}

/* ---- which group leads ------------------------------------------------- */

static struct config *
load(const char *text)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf = conf_load_mem("t", text, strlen(text), &d);

	assert_non_null(cf);
	return cf;
}

static void
test_conf_leader(void **state)
{
	static const char base[] =
	    "crypto ipsec transform-set T esp-gcm\n"
	    "crypto map M 10 ipsec-isakmp\n"
	    "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 name OUT\n"
	    "interface eth1\n standby 2 ip 10.0.1.10\n standby 2 name IN\n";
	const struct conf_interface *ifc;
	const struct conf_standby *sb;
	struct config *cf;
	char	*text;

	(void)state;
	/* no redundancy line: every group alone */
	cf = load(base);
	assert_null(vrrp_conf_leader(cf, &ifc));
	conf_free(cf);
	/* crypto map ... redundancy NAME */
	xasprintf(&text, "%s crypto map M redundancy IN\n", base);
	cf = load(text);
	sb = vrrp_conf_leader(cf, &ifc);
	assert_non_null(sb);
	assert_int_equal(sb->group, 2);
	assert_string_equal(ifc->name, "eth1");
	conf_free(cf);
	free(text);
	/* scheme standby wins over the crypto map */
	xasprintf(&text, "%s crypto map M redundancy IN\nredundancy "
	    "inter-device\n scheme standby OUT\n", base);
	cf = load(text);
	sb = vrrp_conf_leader(cf, &ifc);
	assert_int_equal(sb->group, 1);
	assert_string_equal(ifc->name, "eth0");
	conf_free(cf);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_vectors),
		cmocka_unit_test(test_parse_keepalived),
		cmocka_unit_test(test_build_matches_keepalived),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_drop_reasons),
		cmocka_unit_test(test_garp_frame),
		cmocka_unit_test(test_timer_formulas),
		cmocka_unit_test(test_fsm_startup_to_master),
		cmocka_unit_test(test_fsm_master_shutdown),
		cmocka_unit_test(test_fsm_backup_prio0),
		cmocka_unit_test(test_fsm_backup_preempt),
		cmocka_unit_test(test_fsm_learn_interval),
		cmocka_unit_test(test_fsm_master_adverts),
		cmocka_unit_test(test_fsm_init_ignores),
		cmocka_unit_test(test_fsm_tracking),
		cmocka_unit_test(test_fsm_link),
		cmocka_unit_test(test_fsm_preempt_delay),
		cmocka_unit_test(test_fsm_ready),
		cmocka_unit_test(test_fsm_handover),
		cmocka_unit_test(test_fsm_takeover),
		cmocka_unit_test(test_fsm_hold_preempt),
		cmocka_unit_test(test_fsm_reconfigure),
		cmocka_unit_test(test_sets_move_together),
		cmocka_unit_test(test_sets_tracking),
		cmocka_unit_test(test_sim_two_routers),
		cmocka_unit_test(test_sim_three_routers),
		cmocka_unit_test(test_sim_never_split),
		cmocka_unit_test(test_conf_leader),
	};

	return cmocka_run_group_tests_name("vrrp", tests, NULL, NULL);
}
