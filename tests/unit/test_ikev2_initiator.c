/*
 * havpn as IKEv2 initiator (ike/v2/initiate.c) against havpn as
 * responder, two engines of the unit tests' pair: traffic on node b
 * starts IKE_SA_INIT and IKE_AUTH; both ends hold the same SPIs and keys
 * (b the original initiator); more pairs under it by CREATE_CHILD_SA
 * from either end; an INVALID_KE_PAYLOAD round, a COOKIE
 * round, a wrong key, a forged answer in clear, no answer at all, and
 * the standby that starts nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
#include "ike2_peer.h"

#define PSK	"ikev2-unit-psk"

/* a answering (its groups "19 14" unless edited), b initiating. */
static struct pair *
pair2(const char *a_edit_from, const char *a_edit_to, const char *psk_b,
    const char *groups_b)
{
	char		*a = ike2_peer_conf(PSK), *a2 = NULL,
			*b = ike2_peer_conf_b(psk_b, groups_b);
	struct pair	*p;

	if (a_edit_from != NULL)
		a2 = pair_edit(a, a_edit_from, a_edit_to);
	p = pair_new(a2 != NULL ? a2 : a, b);
	free(a);
	free(a2);
	free(b);
	assert_non_null(p);
	return p;
}

static struct ike2 *
v2(struct pair *p, int i)
{
	return p->n[i].ike->v2;
}

static void
go(struct pair *p)
{
	assert_int_equal(pair_acquire(p, 1, "172.21.91.10", "192.168.20.10"),
	    0);
	pair_run(p, 64);
}

/* Both ends READY with one pair each, the same SPIs and keys. */
static void
check_up(struct pair *p, int group)
{
	struct ike2_sa	*sa = v2(p, 0)->sas, *sb = v2(p, 1)->sas;
	struct ike_child *ca = p->n[0].ike->children,
			 *cb = p->n[1].ike->children;

	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(v2(p, 0)->nsas, 1);
	assert_int_equal(v2(p, 1)->nsas, 1);
	assert_int_equal(sa->state, IKE2_READY);
	assert_int_equal(sb->state, IKE2_READY);
	assert_false(sa->initiator);
	assert_true(sb->initiator);
	assert_memory_equal(sa->spii, sb->spii, IKE2_SPI_LEN);
	assert_memory_equal(sa->spir, sb->spir, IKE2_SPI_LEN);
	assert_int_equal(sa->group, group);
	assert_int_equal(sb->group, group);
	assert_memory_equal(sa->keys.ei, sb->keys.ei, sa->keys.elen);
	assert_memory_equal(sa->keys.d, sb->keys.d, sa->keys.prflen);
	/* both announced RFC 6311 */
	assert_true(sa->peer_mid_sync);
	assert_true(sb->peer_mid_sync);
	assert_non_null(ca);
	assert_non_null(cb);
	assert_null(ca->next);
	assert_null(cb->next);
	assert_int_equal(ca->v2_conn, sa->conn_id);
	assert_int_equal(cb->v2_conn, sb->conn_id);
	assert_int_equal(ca->spi_in, cb->spi_out);
	assert_int_equal(ca->spi_out, cb->spi_in);
	assert_memory_equal(ca->ekey_in, cb->ekey_out, ca->ekey_len);
	assert_memory_equal(ca->ekey_out, cb->ekey_in, ca->ekey_len);
	assert_true(cb->installed_in && cb->installed_out);
	/* b's selector: its ACL entry, as a narrowed it */
	assert_int_equal(cb->sel.src.s_addr, htonl(0xac155b00));
	assert_int_equal(cb->sel.dst.s_addr, htonl(0xc0a81400));
}

/*
 * Traffic on b: IKE_SA_INIT (group 19) and IKE_AUTH with the first
 * CHILD SA; requests under the SA both ways afterwards; more traffic
 * starts nothing more.
 */
static void
test_initiate(void **state)
{
	struct pair	*p = pair2(NULL, NULL, PSK, "19 14");

	(void)state;
	pair_log_init();
	go(p);
	check_up(p, 19);
	assert_true(pair_log_has("established by us"));
	assert_int_equal(v2(p, 1)->sas->next_out, 2);
	/* more traffic for the entry: nothing new */
	go(p);
	assert_int_equal(v2(p, 1)->nsas, 1);
	assert_int_equal(v2(p, 0)->st.rx, 2);
	/* b's CHILD rekey (as original initiator, I set) and a's (no I) */
	assert_int_equal(ike_child_rekey(p->n[1].ike->children), 0);
	pair_run(p, 64);
	assert_int_equal(v2(p, 1)->st.child_rekeys, 1);
	assert_int_equal(v2(p, 1)->st.rekeys_failed, 0);
	assert_int_equal(v2(p, 0)->st.child_ok, 2);
	pair_advance(p, 5100);	/* the old pair goes, with its Delete */
	pair_run(p, 64);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	assert_int_equal(p->n[1].ike->nchildren, 1);
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		assert_true(c->rekeyed == 0);
	assert_int_equal(ike_child_rekey(p->n[0].ike->children), 0);
	pair_run(p, 64);
	/* (the answer to b's counted there too) */
	assert_int_equal(v2(p, 0)->st.child_rekeys, 2);
	assert_int_equal(v2(p, 1)->st.child_rekeys, 2);
	assert_int_equal(v2(p, 0)->st.rekeys_failed, 0);
	assert_int_equal(v2(p, 0)->st.decrypt_fail + v2(p, 1)->st.decrypt_fail +
	    v2(p, 0)->st.malformed + v2(p, 1)->st.malformed, 0);
	pair_free(p);
}

/* The pair whose inbound SPI is spi on node i, NULL if none. */
static struct ike_child *
child_in(struct pair *p, int i, uint32_t spi)
{
	for (struct ike_child *c = p->n[i].ike->children; c != NULL;
	    c = c->next)
		if (c->spi_in == spi)
			return c;
	return NULL;
}

/* Both ends hold n pairs, each node's inbound the other's outbound. */
static void
check_pairs(struct pair *p, int n)
{
	assert_int_equal(p->n[0].ike->nchildren, n);
	assert_int_equal(p->n[1].ike->nchildren, n);
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next) {
		struct ike_child *o = child_in(p, 1, c->spi_out);

		assert_non_null(o);
		assert_int_equal(o->spi_out, c->spi_in);
		assert_memory_equal(o->ekey_in, c->ekey_out, c->ekey_len);
		assert_int_equal(o->v2_conn, v2(p, 1)->sas->conn_id);
		assert_true(o->installed_in && o->installed_out);
	}
}

/*
 * Traffic for more entries of a peer that has an IKE SA: a CHILD SA of
 * ours under it (CREATE_CHILD_SA), from the original initiator (b) and
 * from the responder (a); more traffic while one is out asks nothing
 * twice.
 */
static void
test_more_children(void **state)
{
	struct pair	*p;
	char		*a = ike2_peer_conf(PSK), *b = ike2_peer_conf_b(PSK,
			    "19"), *a2, *b2;

	(void)state;
	pair_log_init();
	a2 = pair_edit(a, "interface eth0\n", "access-list 110 permit ip "
	    "192.168.21.0 0.0.0.255 172.21.92.0 0.0.0.255\naccess-list 110 "
	    "permit ip 192.168.22.0 0.0.0.255 172.21.93.0 0.0.0.255\n"
	    "interface eth0\n");
	b2 = pair_edit(b, "interface eth0\n", "access-list 110 permit ip "
	    "172.21.92.0 0.0.0.255 192.168.21.0 0.0.0.255\naccess-list 110 "
	    "permit ip 172.21.93.0 0.0.0.255 192.168.22.0 0.0.0.255\n"
	    "interface eth0\n");
	/* PFS on both: none in IKE_AUTH's pair, a KE in the others' */
	free(a);
	free(b);
	a = pair_edit(a2, " set ikev2-profile PROF\n",
	    " set ikev2-profile PROF\n set pfs group19\n");
	b = pair_edit(b2, " set ikev2-profile PROF\n",
	    " set ikev2-profile PROF\n set pfs group19\n");
	p = pair_new(a, b);
	free(a);
	free(b);
	free(a2);
	free(b2);
	assert_non_null(p);
	go(p);
	check_pairs(p, 1);
	/* b's: the I flag, SK_ei */
	assert_int_equal(pair_acquire(p, 1, "172.21.92.10", "192.168.21.10"),
	    0);
	assert_int_equal(pair_acquire(p, 1, "172.21.92.11", "192.168.21.11"),
	    0);
	pair_run(p, 64);
	check_pairs(p, 2);
	/* a's: the responder of the IKE SA asks */
	assert_int_equal(pair_acquire(p, 0, "192.168.22.10", "172.21.93.10"),
	    0);
	pair_run(p, 64);
	check_pairs(p, 3);
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		assert_int_equal(c->xf.group, c->next == NULL ? 0 : 19);
	assert_int_equal(v2(p, 0)->nsas, 1);
	assert_int_equal(v2(p, 1)->nsas, 1);
	assert_int_equal(v2(p, 0)->st.rekeys_failed +
	    v2(p, 1)->st.rekeys_failed, 0);
	pair_free(p);
}

/* a wants group 14 only: INVALID_KE_PAYLOAD, b again with 14. */
static void
test_invalid_ke(void **state)
{
	struct pair	*p = pair2(" group 19 14\n", " group 14\n", PSK,
			    "19 14");

	(void)state;
	pair_log_init();
	go(p);
	check_up(p, 14);
	assert_int_equal(v2(p, 0)->st.invalid_ke, 1);
	pair_free(p);
}

/* a under half-open load (cookie-challenge 1, one half-open SA): a
 * COOKIE, b again with it in front. */
static void
test_cookie(void **state)
{
	struct pair	*p = pair2("crypto ikev2 policy POL\n",
			    "crypto ikev2 cookie-challenge 1\n"
			    "crypto ikev2 policy POL\n", PSK, "19 14");
	struct ike2_peer pe;

	(void)state;
	pair_log_init();
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(v2(p, 0)->halfopen, 1);
	go(p);
	assert_int_equal(v2(p, 0)->st.cookies_sent, 1);
	assert_int_equal(v2(p, 0)->st.cookies_bad, 0);
	assert_int_equal(v2(p, 1)->sas->state, IKE2_READY);
	assert_int_equal(v2(p, 1)->sas->cookielen, IKE2_COOKIE_LEN);
	ike2_peer_free(&pe);
	pair_free(p);
}

/* Different keys: a refuses with AUTHENTICATION_FAILED, b gives up. */
static void
test_wrong_key(void **state)
{
	struct pair	*p = pair2(NULL, NULL, "not-the-key", "19");

	(void)state;
	pair_log_init();
	go(p);
	assert_int_equal(v2(p, 0)->nsas, 0);
	assert_int_equal(v2(p, 1)->nsas, 0);
	assert_int_equal(v2(p, 0)->st.auth_fail, 1);
	assert_int_equal(v2(p, 1)->st.auth_fail, 1);
	assert_true(pair_log_has("IKE_AUTH with 10.0.0.11 failed: "
	    "AUTHENTICATION_FAILED"));
	assert_int_equal(p->n[1].ike->nchildren, 0);
	pair_free(p);
}

/* Drop a's answers (filter): b retransmits, then gives up. */
static int
drop_from_a(struct pair *p, struct pair_msg *m)
{
	(void)p;
	return m->from != 0;
}

static void
test_no_answer(void **state)
{
	struct pair	*p = pair2(NULL, NULL, PSK, "19");

	(void)state;
	pair_log_init();
	p->filter = drop_from_a;
	go(p);
	assert_int_equal(v2(p, 1)->sas->state, IKE2_I_INIT);
	pair_advance(p, 2100);
	pair_run(p, 64);
	assert_int_equal(v2(p, 1)->st.requests_retransmitted, 1);
	/* the negotiation's 30 s bound */
	pair_advance(p, 30000);
	assert_int_equal(v2(p, 1)->nsas, 0);
	pair_free(p);
}

/*
 * An attacker's answer in clear before the genuine one (a
 * NO_PROPOSAL_CHOSEN) changes nothing; the genuine answer still
 * completes.
 */
static void
test_forged_answer(void **state)
{
	struct pair	*p = pair2(NULL, NULL, PSK, "19");
	struct ike2_sa	*sb;
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;
	struct ike2_notify n;

	(void)state;
	pair_log_init();
	assert_int_equal(pair_acquire(p, 1, "172.21.91.10", "192.168.20.10"),
	    0);
	sb = v2(p, 1)->sas;
	assert_int_equal(sb->state, IKE2_I_INIT);
	memset(&h, 0, sizeof(h));
	memcpy(h.spii, sb->spii, IKE2_SPI_LEN);
	memset(h.spir, 0x42, IKE2_SPI_LEN);
	h.exchange = IKE2_EX_IKE_SA_INIT;
	h.flags = IKE2_FLAG_R;
	ike2_wr_init(&wr, &h);
	memset(&n, 0, sizeof(n));
	n.type = IKE2_N_NO_PROPOSAL_CHOSEN;
	ike2_wr_notify(&wr, &n);
	ike2_wr_finish(&wr);
	pair_inject(p, 1, wr.w.p, wr.w.len, "10.0.0.11", 500, 500);
	ike2_wr_cleanup(&wr);
	assert_int_equal(sb->state, IKE2_I_INIT);
	assert_int_equal(v2(p, 1)->nsas, 1);
	/* the genuine exchange goes on */
	pair_run(p, 64);
	check_up(p, 19);
	pair_free(p);
}

/* A standby starts nothing. */
static void
test_standby_quiet(void **state)
{
	struct pair	*p = pair2(NULL, NULL, PSK, "19");

	(void)state;
	pair_log_init();
	ike_set_active(p->n[1].ike, 0);
	(void)pair_acquire(p, 1, "172.21.91.10", "192.168.20.10");
	pair_run(p, 64);
	assert_int_equal(v2(p, 1)->nsas, 0);
	assert_int_equal(v2(p, 0)->st.rx, 0);
	pair_free(p);
}

/*
 * Both ends rekey the pair at once (RFC 7296 2.8.1): each answers the
 * other's CREATE_CHILD_SA, the same exchange's pair is found redundant
 * on both sides and deleted by its initiator, and after the old pair's
 * Delete each end holds one pair, the other's mirror, with traffic keys
 * that match; run several times for different nonces.
 */
static void
test_rekey_collision_pair(void **state)
{
	(void)state;
	for (int run = 0; run < 8; run++) {
		struct pair	*p = pair2(NULL, NULL, PSK, "19 14");
		struct ike_child *ca, *cb;

		pair_log_init();
		go(p);
		check_up(p, 19);
		assert_int_equal(ike_child_rekey(p->n[0].ike->children), 0);
		assert_int_equal(ike_child_rekey(p->n[1].ike->children), 0);
		pair_run(p, 64);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(v2(p, i)->st.rekey_collisions, 1);
			assert_int_equal(v2(p, i)->st.rekeys_failed, 0);
		}
		pair_advance(p, 5100);
		pair_run(p, 64);
		assert_int_equal(p->n[0].ike->nchildren, 1);
		assert_int_equal(p->n[1].ike->nchildren, 1);
		ca = p->n[0].ike->children;
		cb = p->n[1].ike->children;
		assert_int_equal(ca->spi_in, cb->spi_out);
		assert_int_equal(ca->spi_out, cb->spi_in);
		assert_memory_equal(ca->ekey_in, cb->ekey_out, ca->ekey_len);
		assert_memory_equal(ca->ekey_out, cb->ekey_in, ca->ekey_len);
		assert_true(ca->installed_in && ca->installed_out);
		assert_true(cb->installed_in && cb->installed_out);
		pair_free(p);
	}
}

/*
 * Both ends rekey the IKE SA at once (RFC 7296 2.8.2): each answers the
 * other's, both find the same new SA redundant, its initiator deletes
 * it and the other's initiator the old one; each end is left with one
 * SA, the same SPIs and keys, the pairs under it, and a CHILD rekey
 * under it works; several runs for different nonces.
 */
static void
test_rekey_ike_collision_pair(void **state)
{
	(void)state;
	for (int run = 0; run < 8; run++) {
		struct pair	*p = pair2(NULL, NULL, PSK, "19 14");
		struct ike2_sa	*sa, *sb;

		pair_log_init();
		go(p);
		check_up(p, 19);
		for (int i = 0; i < 2; i++)
			ike_timer_set(p->n[i].ike, &v2(p, i)->sas->t_rekey,
			    ike_now(p->n[i].ike));
		pair_advance(p, 1);
		pair_run(p, 64);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(v2(p, i)->st.rekey_collisions, 1);
			assert_int_equal(v2(p, i)->st.rekeys_failed, 0);
		}
		pair_advance(p, 31000);
		pair_run(p, 64);
		assert_int_equal(v2(p, 0)->nsas, 1);
		assert_int_equal(v2(p, 1)->nsas, 1);
		sa = v2(p, 0)->sas;
		sb = v2(p, 1)->sas;
		assert_int_equal(sa->state, IKE2_READY);
		assert_int_equal(sb->state, IKE2_READY);
		assert_int_equal(sa->initiator, !sb->initiator);
		assert_memory_equal(sa->spii, sb->spii, IKE2_SPI_LEN);
		assert_memory_equal(sa->spir, sb->spir, IKE2_SPI_LEN);
		assert_memory_equal(sa->keys.d, sb->keys.d, sa->keys.prflen);
		assert_int_equal(p->n[0].ike->children->v2_conn, sa->conn_id);
		assert_int_equal(p->n[1].ike->children->v2_conn, sb->conn_id);
		/* the survivor carries a CHILD rekey */
		assert_int_equal(ike_child_rekey(p->n[1].ike->children), 0);
		pair_run(p, 64);
		assert_int_equal(v2(p, 1)->st.rekeys_failed, 0);
		assert_int_equal(v2(p, 0)->st.decrypt_fail +
		    v2(p, 1)->st.decrypt_fail, 0);
		assert_int_equal(v2(p, 1)->st.child_rekeys, 1);
		pair_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initiate),
		cmocka_unit_test(test_rekey_collision_pair),
		cmocka_unit_test(test_rekey_ike_collision_pair),
		cmocka_unit_test(test_more_children),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_no_answer),
		cmocka_unit_test(test_forged_answer),
		cmocka_unit_test(test_standby_quiet),
	};

	return cmocka_run_group_tests_name("ikev2_initiator", tests, NULL,
	    NULL);
}
