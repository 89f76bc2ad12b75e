/*
 * ike/v2/ts.c: traffic selectors narrowed to the SPD's prefixes, as
 * responder (RFC 7296 2.9) and as initiator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "ike/v2/ts.h"

static struct in_addr
A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct ike2_ts
TS(const char *lo, const char *hi, int proto, int sport, int eport)
{
	struct ike2_ts	 t;
	struct in_addr	 a = A(lo), b = A(hi);

	memset(&t, 0, sizeof(t));
	t.type = IKE2_TS_IPV4_ADDR_RANGE;
	t.known = 1;
	t.addrlen = 4;
	t.proto = (uint8_t)proto;
	t.sport = (uint16_t)sport;
	t.eport = (uint16_t)eport;
	memcpy(t.start, &a, 4);
	memcpy(t.end, &b, 4);
	return t;
}

#define ANYPORT		0, 65535

/* Our selector: 10.1.0.0/16 (local) to 10.2.0.0/16 (remote). */
static struct esp_selector
sel16(void)
{
	struct esp_selector s;

	memset(&s, 0, sizeof(s));
	s.src = A("10.1.0.0");
	s.src_mask = A("255.255.0.0");
	s.dst = A("10.2.0.0");
	s.dst_mask = A("255.255.0.0");
	return s;
}

static void
sel_is(const struct esp_selector *s, const char *src, const char *smask,
    const char *dst, const char *dmask, int proto, int sport, int dport)
{
	assert_int_equal(s->src.s_addr, A(src).s_addr);
	assert_int_equal(s->src_mask.s_addr, A(smask).s_addr);
	assert_int_equal(s->dst.s_addr, A(dst).s_addr);
	assert_int_equal(s->dst_mask.s_addr, A(dmask).s_addr);
	assert_int_equal(s->proto, proto);
	assert_int_equal(s->sport, sport);
	assert_int_equal(s->dport, dport);
}

static void
test_narrow(void **state)
{
	struct esp_selector sel = sel16(), out;
	struct ike2_ts tsi[2], tsr[2];

	(void)state;
	/* the same networks: ours */
	tsi[0] = TS("10.2.0.0", "10.2.255.255", 0, ANYPORT);
	tsr[0] = TS("10.1.0.0", "10.1.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    0, 0, 0);
	/* everything: narrowed to ours */
	tsi[0] = TS("0.0.0.0", "255.255.255.255", 0, ANYPORT);
	tsr[0] = tsi[0];
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    0, 0, 0);
	/* the triggering packet first, the networks after: ours whole */
	tsi[0] = TS("10.2.0.5", "10.2.0.5", 6, 80, 80);
	tsi[1] = TS("10.2.0.0", "10.2.255.255", 0, ANYPORT);
	tsr[0] = TS("10.1.0.9", "10.1.0.9", 6, 40000, 40000);
	tsr[1] = TS("10.1.0.0", "10.1.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 2, tsr, 2, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    0, 0, 0);
	/* theirs narrower: theirs, a prefix inside ours */
	tsi[0] = TS("10.2.3.0", "10.2.3.255", 0, ANYPORT);
	tsr[0] = TS("10.1.0.0", "10.1.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.3.0", "255.255.255.0",
	    0, 0, 0);
	/* a range inside ours that is no prefix: nothing the SPD holds */
	tsi[0] = TS("10.2.0.1", "10.2.0.6", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), -1);
	/* disjoint */
	tsi[0] = TS("10.3.0.0", "10.3.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), -1);
	/* overlapping but neither inside the other */
	tsi[0] = TS("10.0.0.0", "10.2.127.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(tsi, 1, tsr, 1, &sel, &out), -1);
}

static void
test_proto_and_ports(void **state)
{
	struct esp_selector sel = sel16(), out;
	struct ike2_ts tsi, tsr;

	(void)state;
	/* TCP both ways: ours any becomes TCP */
	tsi = TS("10.2.0.0", "10.2.255.255", 6, ANYPORT);
	tsr = TS("10.1.0.0", "10.1.255.255", 6, ANYPORT);
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), 0);
	assert_int_equal(out.proto, 6);
	/* TCP one side, UDP the other: nothing */
	tsi.proto = 17;
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), -1);
	/* our TCP to port 443 inside their any */
	sel.proto = 6;
	sel.dport = 443;
	tsi = TS("10.2.0.0", "10.2.255.255", 0, ANYPORT);
	tsr = TS("10.1.0.0", "10.1.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    6, 0, 443);
	/* their port 80 where ours is 443 */
	tsi = TS("10.2.0.0", "10.2.255.255", 6, 80, 80);
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), -1);
	/* a port range where ours is any: not one port, not all */
	sel = sel16();
	tsi = TS("10.2.0.0", "10.2.255.255", 0, 1000, 2000);
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), -1);
	/* one port where ours is any: theirs */
	tsi = TS("10.2.0.0", "10.2.255.255", 17, 4500, 4500);
	assert_int_equal(ike2_ts_narrow(&tsi, 1, &tsr, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    17, 0, 4500);
}

static void
test_initiator(void **state)
{
	struct esp_selector sel = sel16(), out;
	struct ike2_ts local, remote, tsi, tsr;

	(void)state;
	/* what we offer is our selector */
	ike2_ts_from_sel(&sel, &local, &remote);
	assert_memory_equal(local.start, "\x0a\x01\x00\x00", 4);
	assert_memory_equal(local.end, "\x0a\x01\xff\xff", 4);
	assert_int_equal(remote.sport, 0);
	assert_int_equal(remote.eport, 65535);
	/* a responder taking it whole */
	assert_int_equal(ike2_ts_accept(&local, &remote, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    0, 0, 0);
	/* narrowing our side to a /24 */
	tsi = TS("10.1.7.0", "10.1.7.255", 0, ANYPORT);
	tsr = remote;
	assert_int_equal(ike2_ts_accept(&tsi, &tsr, &sel, &out), 0);
	sel_is(&out, "10.1.7.0", "255.255.255.0", "10.2.0.0", "255.255.0.0",
	    0, 0, 0);
	/* answering with what we never offered */
	tsi = TS("10.9.0.0", "10.9.255.255", 0, ANYPORT);
	assert_int_equal(ike2_ts_accept(&tsi, &tsr, &sel, &out), -1);
	/* one port both ways survives the trip */
	sel.proto = 17;
	sel.sport = 500;
	sel.dport = 500;
	ike2_ts_from_sel(&sel, &local, &remote);
	assert_int_equal(local.sport, 500);
	assert_int_equal(local.eport, 500);
	assert_int_equal(ike2_ts_narrow(&remote, 1, &local, 1, &sel, &out), 0);
	sel_is(&out, "10.1.0.0", "255.255.0.0", "10.2.0.0", "255.255.0.0",
	    17, 500, 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_narrow),
		cmocka_unit_test(test_proto_and_ports),
		cmocka_unit_test(test_initiator),
	};

	return cmocka_run_group_tests_name("ikev2_ts", tests, NULL, NULL);
}
