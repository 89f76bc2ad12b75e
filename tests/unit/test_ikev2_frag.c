/*
 * IKEv2 fragmentation (RFC 7383, ike/v2/frag.c) between two havpn
 * engines of the unit tests' pair, both with "crypto ikev2 fragmentation
 * mtu 200": IKE_AUTH and later messages go in fragments no datagram of
 * which exceeds 200 bytes, and are whole again at the other end, in any
 * order, after a lost or forged fragment; a retransmitted request is
 * answered once, on its first fragment; a larger Total starts over and a
 * smaller one is dropped; an SA without fragmentation drops fragments.
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
#define FRAG	"crypto ikev2 fragmentation mtu 200\n"

/* a answering, b initiating; each with frag_a / frag_b appended. */
static struct pair *
pair_frag(const char *frag_a, const char *frag_b)
{
	char		*a = ike2_peer_conf(PSK),
			*b = ike2_peer_conf_b(PSK, "19 14"), *ca, *cb;
	struct pair	*p;

	assert_true(asprintf(&ca, "%s%s", a, frag_a) != -1);
	assert_true(asprintf(&cb, "%s%s", b, frag_b) != -1);
	p = pair_new(ca, cb);
	free(a);
	free(b);
	free(ca);
	free(cb);
	assert_non_null(p);
	return p;
}

static struct ike2 *
v2(struct pair *p, int i)
{
	return p->n[i].ike->v2;
}

/* A fragment: its number and total; 0 for any other message. */
static int
skf(const struct pair_msg *m, uint16_t *num, uint16_t *total)
{
	size_t	 off = ntohs(m->dst.sin_port) == IKE_NATT_PORT ? 4 : 0;

	if (m->len < off + IKE2_HDR_LEN + 8 ||
	    m->data[off + 16] != IKE2_PL_SKF)
		return 0;
	*num = be16_get(m->data + off + IKE2_HDR_LEN + 4);
	*total = be16_get(m->data + off + IKE2_HDR_LEN + 6);
	return 1;
}

/* the largest datagram (IPv4, UDP) out, IKE_SA_INIT's aside */
static size_t	 largest;

static void
wire_size(struct pair *p, const struct pair_msg *m)
{
	size_t	 off = ntohs(m->dst.sin_port) == IKE_NATT_PORT ? 4 : 0;

	(void)p;
	if (m->len > off + 18 && m->data[off + 18] != IKE2_EX_IKE_SA_INIT &&
	    m->len + 28 > largest)
		largest = m->len + 28;
}

/* Both READY, one pair each with the same SPIs. */
static void
check_up(struct pair *p)
{
	struct ike2_sa	*sa = v2(p, 0)->sas, *sb = v2(p, 1)->sas;
	struct ike_child *ca = p->n[0].ike->children,
			 *cb = p->n[1].ike->children;

	assert_non_null(sa);
	assert_non_null(sb);
	assert_int_equal(sa->state, IKE2_READY);
	assert_int_equal(sb->state, IKE2_READY);
	assert_non_null(ca);
	assert_non_null(cb);
	assert_int_equal(ca->spi_in, cb->spi_out);
	assert_int_equal(ca->spi_out, cb->spi_in);
	assert_memory_equal(ca->ekey_in, cb->ekey_out, ca->ekey_len);
}

static void
go(struct pair *p)
{
	assert_int_equal(pair_acquire(p, 1, "172.21.91.10", "192.168.20.10"),
	    0);
}

/*
 * IKE_AUTH both ways in fragments of at most 200 bytes; a CHILD rekey
 * (CREATE_CHILD_SA, its KE of group 19) too; nothing dropped.
 */
static void
test_frag_both_ways(void **state)
{
	struct pair	*p = pair_frag(FRAG, FRAG);

	(void)state;
	pair_log_init();
	largest = 0;
	p->wire = wire_size;
	go(p);
	pair_run(p, 64);
	check_up(p);
	assert_true(v2(p, 0)->sas->frag);
	assert_true(v2(p, 1)->sas->frag);
	/* IKE_AUTH's request and its answer, each in fragments */
	assert_true(v2(p, 1)->st.frags_tx >= 2);
	assert_true(v2(p, 0)->st.frags_tx >= 2);
	assert_int_equal(v2(p, 0)->st.frags_reassembled, 1);
	assert_int_equal(v2(p, 1)->st.frags_reassembled, 1);
	assert_int_equal(v2(p, 0)->st.frags_rx, v2(p, 1)->st.frags_tx);
	assert_int_equal(v2(p, 1)->st.frags_rx, v2(p, 0)->st.frags_tx);
	assert_true(largest <= 200);
	assert_true(largest > 150);	/* the shares fill the MTU */
	/* a CHILD rekey of b's */
	assert_int_equal(ike_child_rekey(p->n[1].ike->children), 0);
	pair_run(p, 64);
	assert_int_equal(v2(p, 1)->st.child_rekeys, 1);
	assert_int_equal(v2(p, 1)->st.rekeys_failed, 0);
	assert_true(v2(p, 0)->st.frags_reassembled >= 2);
	assert_true(largest <= 200);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(v2(p, i)->st.frags_dropped, 0);
		assert_int_equal(v2(p, i)->st.decrypt_fail, 0);
		assert_int_equal(v2(p, i)->st.malformed, 0);
		assert_null(v2(p, i)->sas->reasm[0]);
		assert_null(v2(p, i)->sas->reasm[1]);
	}
	pair_free(p);
}

/* Deliver everything up to b's IKE_AUTH fragments, which stay queued. */
static int
until_fragments(struct pair *p)
{
	uint16_t	 num, total;

	for (int k = 0; k < 16; k++) {
		for (int i = 0; i < p->nq; i++)
			if (skf(&p->q[i], &num, &total))
				return i;
		if (pair_step(p) == 0)
			break;
	}
	fail();
	return -1;
}

/* b's IKE_AUTH fragments arrive last to first: a reassembles them. */
static void
test_frag_reordered(void **state)
{
	struct pair	*p = pair_frag(FRAG, FRAG);
	int		 first, n = 0;
	uint16_t	 num, total;

	(void)state;
	pair_log_init();
	go(p);
	first = until_fragments(p);
	while (first + n < p->nq && skf(&p->q[first + n], &num, &total))
		n++;
	assert_true(n >= 2);
	assert_int_equal(total, n);
	for (int i = 0; i < n / 2; i++) {
		struct pair_msg t = p->q[first + i];

		p->q[first + i] = p->q[first + n - 1 - i];
		p->q[first + n - 1 - i] = t;
	}
	pair_run(p, 64);
	check_up(p);
	assert_int_equal(v2(p, 0)->st.frags_reassembled, 1);
	assert_int_equal(v2(p, 0)->st.frags_dropped, 0);
	pair_free(p);
}

static int	 hit;		/* what the filter did */
static int	 forge;		/* tamper: forge fragment 1, else lose 2 */

/* b's first IKE_AUTH: its second fragment lost, or one bit of the
 * ciphertext of its first flipped. */
static int
tamper(struct pair *p, struct pair_msg *m)
{
	uint16_t	 num, total;

	(void)p;
	if (m->from != 1 || hit != 0 || !skf(m, &num, &total) ||
	    num != (forge ? 1 : 2))
		return 1;
	hit = 1;
	if (!forge)
		return 0;
	m->data[m->len - 20] ^= 0x01;
	return 1;
}

/*
 * A lost fragment: a keeps the others (authentic) and waits; b's
 * retransmission of every fragment completes the message, the copies of
 * those a has are ignored.  A forged fragment: its ICV fails, nothing of
 * it is kept, the retransmission completes.
 */
static void
test_frag_lost_and_forged(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		struct pair	*p = pair_frag(FRAG, FRAG);
		struct ike2_sa	*sa;

		pair_log_init();
		hit = 0;
		forge = f;
		p->filter = tamper;
		go(p);
		pair_run(p, 64);
		assert_int_equal(hit, 1);
		sa = v2(p, 0)->sas;
		assert_int_equal(sa->state, IKE2_R_INIT);
		assert_non_null(sa->reasm[0]);	/* the others kept */
		assert_int_equal(v2(p, 0)->st.decrypt_fail, f == 1);
		assert_int_equal(v2(p, 0)->st.frags_rx,
		    v2(p, 1)->st.frags_tx - 1);
		pair_advance(p, 2100);	/* b retransmits */
		pair_run(p, 64);
		check_up(p);
		assert_int_equal(v2(p, 0)->st.frags_reassembled, 1);
		assert_null(v2(p, 0)->sas->reasm[0]);
		assert_int_equal(v2(p, 1)->st.requests_retransmitted, 1);
		pair_free(p);
	}
}

/* Every fragment of a's answers: lost, once each. */
static int
lose_answers(struct pair *p, struct pair_msg *m)
{
	uint16_t	 num, total;

	(void)p;
	if (m->from == 0 && hit < 2 && skf(m, &num, &total)) {
		if (num == total)
			hit++;
		return 0;
	}
	return 1;
}

/*
 * a's fragmented IKE_AUTH answer is lost: b retransmits its request (all
 * fragments), a answers it again once, on the first fragment (RFC 7383
 * 2.6.1), not once per fragment.
 */
static void
test_frag_retransmitted_request(void **state)
{
	struct pair	*p = pair_frag(FRAG, FRAG);
	uint64_t	 tx;

	(void)state;
	pair_log_init();
	hit = 1;		/* one answer lost */
	p->filter = lose_answers;
	go(p);
	pair_run(p, 64);
	assert_int_equal(hit, 2);
	assert_int_equal(v2(p, 0)->sas->state, IKE2_READY);
	assert_int_equal(v2(p, 1)->sas->state, IKE2_I_AUTH);
	tx = v2(p, 0)->st.frags_tx;
	pair_advance(p, 2100);
	pair_run(p, 64);
	check_up(p);
	assert_int_equal(v2(p, 0)->st.retransmits_answered, 1);
	/* the same fragments again, once */
	assert_int_equal(v2(p, 0)->st.frags_tx, 2 * tx);
	assert_int_equal(v2(p, 0)->st.frags_reassembled, 1);
	pair_free(p);
}

/*
 * A request of b's (an INFORMATIONAL with a large unknown status
 * notification, answered as a liveness check) as fragments of the MTU
 * b's configuration has now.
 */
static void
big_request(struct pair *p, int mtu, struct ike2_out *out)
{
	struct ike2_sa	*sb = v2(p, 1)->sas;
	struct ike2_hdr	 h;
	uint8_t		 plain[4 + 4 + 700];

	memset(plain, 0, sizeof(plain));
	be16_put(plain + 2, sizeof(plain));	/* N, the last payload */
	be16_put(plain + 6, 40000);		/* a status type */
	memset(&h, 0, sizeof(h));
	memcpy(h.spii, sb->spii, IKE2_SPI_LEN);
	memcpy(h.spir, sb->spir, IKE2_SPI_LEN);
	h.exchange = IKE2_EX_INFORMATIONAL;
	h.flags = IKE2_FLAG_I;
	h.msgid = v2(p, 0)->sas->next_in;
	p->n[1].ike->cf->v2_frag_mtu = mtu;
	memset(out, 0, sizeof(*out));
	assert_int_equal(ike2_frag_seal(sb, &h, plain, sizeof(plain),
	    IKE2_PL_N, out), 0);
}

static void
inject(struct pair *p, const struct ike2_out *o, int i)
{
	size_t		 len;
	const uint8_t	*pk = ike2_out_packet(o, i, &len);

	assert_non_null(pk);
	pair_inject(p, 0, pk, len, "10.0.0.20", 500, 500);
}

/*
 * 2.6: fragments of one message with a larger Total start the collection
 * over (the sender made its fragments smaller); a smaller Total is
 * dropped; the message is handled once, when whole.
 */
static void
test_frag_total_rules(void **state)
{
	struct pair	*p = pair_frag(FRAG, FRAG);
	struct ike2_out	 big, small;
	struct ike2_sa	*sa;
	uint32_t	 next;

	(void)state;
	pair_log_init();
	go(p);
	pair_run(p, 64);
	check_up(p);
	sa = v2(p, 0)->sas;
	next = sa->next_in;
	big_request(p, 600, &big);
	big_request(p, 200, &small);
	assert_true(small.n > big.n);
	assert_true(big.n >= 2);
	/* the larger fragments first: then the smaller ones start over */
	inject(p, &big, 0);
	assert_int_equal(sa->reasm[0]->total, big.n);
	inject(p, &small, 0);
	assert_int_equal(sa->reasm[0]->total, small.n);
	assert_int_equal(sa->reasm[0]->got, 1);
	/* the rest of the larger ones: dropped (a smaller Total) */
	for (int i = 1; i < big.n; i++)
		inject(p, &big, i);
	assert_int_equal(v2(p, 0)->st.frags_dropped, (uint64_t)big.n - 1);
	assert_int_equal(sa->next_in, next);
	for (int i = 1; i < small.n; i++)
		inject(p, &small, i);
	assert_int_equal(sa->next_in, next + 1);
	assert_null(sa->reasm[0]);
	assert_int_equal(v2(p, 0)->st.frags_reassembled, 2);
	assert_int_equal(v2(p, 0)->st.malformed, 0);
	/* a copy now is a retransmission: one answer, on fragment 1 */
	inject(p, &small, 1);
	assert_int_equal(v2(p, 0)->st.retransmits_answered, 0);
	inject(p, &small, 0);
	assert_int_equal(v2(p, 0)->st.retransmits_answered, 1);
	ike2_out_free(&big);
	ike2_out_free(&small);
	pair_free(p);
}

/*
 * a says `no crypto ikev2 fragmentation`: neither side fragments (b's
 * messages go whole, larger than its MTU), and fragments a gets anyway
 * are dropped and counted, none kept.
 */
static void
test_frag_not_negotiated(void **state)
{
	struct pair	*p = pair_frag("no crypto ikev2 fragmentation\n", FRAG);
	struct ike2_out	 o;
	uint32_t	 next;

	(void)state;
	pair_log_init();
	assert_int_equal(p->n[0].ike->cf->v2_frag_mtu, -1);
	largest = 0;
	p->wire = wire_size;
	go(p);
	pair_run(p, 64);
	check_up(p);
	assert_false(v2(p, 0)->sas->frag);
	assert_false(v2(p, 1)->sas->frag);
	assert_int_equal(v2(p, 0)->st.frags_tx + v2(p, 1)->st.frags_tx, 0);
	assert_true(largest > 200);
	/* b forced to fragment anyway */
	next = v2(p, 0)->sas->next_in;
	v2(p, 1)->sas->frag = 1;
	big_request(p, 200, &o);
	for (int i = 0; i < o.n; i++)
		inject(p, &o, i);
	assert_int_equal(v2(p, 0)->st.frags_dropped, (uint64_t)o.n);
	assert_int_equal(v2(p, 0)->st.frags_rx, 0);
	assert_null(v2(p, 0)->sas->reasm[0]);
	assert_int_equal(v2(p, 0)->sas->next_in, next);
	assert_true(pair_log_has("fragmentation was not negotiated"));
	ike2_out_free(&o);
	pair_free(p);
}

/* A Total above IKE2_FRAG_MAX is dropped before any work. */
static void
test_frag_too_many(void **state)
{
	struct pair	*p = pair_frag(FRAG, FRAG);
	struct ike2_out	 o;
	uint8_t		 m[2048];
	const uint8_t	*pk;
	size_t		 len;

	(void)state;
	pair_log_init();
	go(p);
	pair_run(p, 64);
	big_request(p, 200, &o);
	pk = ike2_out_packet(&o, 0, &len);
	assert_true(len <= sizeof(m));
	memcpy(m, pk, len);
	be16_put(m + IKE2_HDR_LEN + 6, IKE2_FRAG_MAX + 1);
	pair_inject(p, 0, m, len, "10.0.0.20", 500, 500);
	assert_int_equal(v2(p, 0)->st.frags_dropped, 1);
	assert_int_equal(v2(p, 0)->st.decrypt_fail, 0);
	assert_null(v2(p, 0)->sas->reasm[0]);
	ike2_out_free(&o);
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_both_ways),
		cmocka_unit_test(test_frag_reordered),
		cmocka_unit_test(test_frag_lost_and_forged),
		cmocka_unit_test(test_frag_retransmitted_request),
		cmocka_unit_test(test_frag_total_rules),
		cmocka_unit_test(test_frag_not_negotiated),
		cmocka_unit_test(test_frag_too_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
