/*
 * IKEv2 SAs continued on another node (ike/v2/export.c, docs/hasync.md
 * "IKEv2"): an SA established on one engine against the scripted
 * initiator (ike2_peer.c) is exported with its CHILD SA, carried
 * through the sync codec (hasync/msg.c) and imported into a second
 * engine, a standby until it takes over; then the initiator's next
 * requests go to the second engine: a liveness check, a CHILD rekey and
 * an IKE rekey, answered with the same SPIs and keys.  The message-ID
 * rule: a higher ID taken once after the takeover, a lower one refused;
 * the reservation of our own IDs; the listener events; malformed
 * Ikev2Sa records refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
#include "hasync/msg.h"
#include "ike2_peer.h"

#define PSK	"ikev2-unit-psk"

static struct pair *
responder(void)
{
	char		*conf = ike2_peer_conf(PSK);
	struct pair	*p = pair_new(conf, NULL);

	free(conf);
	assert_non_null(p);
	return p;
}

static struct ike2 *
v2(struct pair *p)
{
	return p->n[0].ike->v2;
}

static int
establish(struct ike2_peer *pe, struct pair *p)
{
	return ike2_peer_establish(pe, p, PSK, 0);
}

static uint16_t
ask_child(struct ike2_peer *pe, uint32_t spi, uint32_t rekey)
{
	uint8_t		 body[1024], np;
	size_t		 len;

	len = ike2_peer_child_body(pe, spi, rekey, 0, body, sizeof(body),
	    &np);
	assert_true(len > 0);
	assert_int_equal(ike2_peer_request(pe, IKE2_EX_CREATE_CHILD_SA, np,
	    body, len, 0), 0);
	return ike2_peer_notify(pe);
}

static int
liveness(struct ike2_peer *pe)
{
	return ike2_peer_request(pe, IKE2_EX_INFORMATIONAL, 0, NULL, 0, 0);
}

/* ---- what the active's listener saw -------------------------------------- */

struct events {
	int		 up, updated, deleted;
	int		 ipsec_up, ipsec_deleted;
	struct ike_ike2_state last;
	uint32_t	 last_replaces;
};

static void
ev_up(void *arg, const struct ike_ike2_state *s)
{
	struct events	*e = arg;

	e->up++;
	e->last = *s;
	e->last_replaces = s->replaces;
}

static void
ev_updated(void *arg, const struct ike_ike2_state *s)
{
	struct events	*e = arg;

	e->updated++;
	e->last = *s;
}

static void
ev_deleted(void *arg, uint32_t conn_id)
{
	(void)conn_id;
	((struct events *)arg)->deleted++;
}

static void
ev_ipsec_up(void *arg, const struct ike_ipsec_state *s)
{
	(void)s;
	((struct events *)arg)->ipsec_up++;
}

static void
ev_ipsec_deleted(void *arg, uint32_t in, uint32_t out)
{
	(void)in;
	(void)out;
	((struct events *)arg)->ipsec_deleted++;
}

static void
listen_to(struct pair *p, struct events *e)
{
	struct ike_listener l;

	memset(e, 0, sizeof(*e));
	memset(&l, 0, sizeof(l));
	l.arg = e;
	l.ike2_up = ev_up;
	l.ike2_updated = ev_updated;
	l.ike2_deleted = ev_deleted;
	l.ipsec_up = ev_ipsec_up;
	l.ipsec_deleted = ev_ipsec_deleted;
	assert_int_equal(ike_add_listener(p->n[0].ike, &l), 0);
}

/* ---- carrying the state: through the sync codec, into the standby ------- */

struct carry {
	struct ike	*to;
	int		 n2, np;
};

static void
decoded(void *arg, const struct ha_msg *m)
{
	struct carry	*c = arg;

	if (m->type == HA_M_IKE2) {
		assert_int_equal(ike_import_ike2(c->to, &m->u.ike2), 0);
		c->n2++;
	} else if (m->type == HA_M_IPSEC) {
		assert_int_equal(ike_import_ipsec(c->to, &m->u.ipsec.st, 1),
		    0);
		c->np++;
	} else
		fail();
}

static void
carry_msg(struct carry *c, const struct ha_msg *m)
{
	uint8_t		*p;
	size_t		 len;
	const char	*err;

	assert_int_equal(ha_msg_encode(m, &p, &len), 0);
	assert_int_equal(ha_msg_decode(p, len, decoded, c, &err), 1);
	free_secret(p, len);
}

static void
carry_ike2(void *arg, const struct ike_ike2_state *s)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HA_M_IKE2;
	m.u.ike2 = *s;
	carry_msg(arg, &m);
	OPENSSL_cleanse(&m, sizeof(m));
}

static void
carry_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HA_M_IPSEC;
	m.u.ipsec.st = *s;
	carry_msg(arg, &m);
	OPENSSL_cleanse(&m, sizeof(m));
}

/* Every IKEv2 SA, then every pair, of from into to (as a snapshot). */
static void
snapshot(struct pair *from, struct pair *to, int n2, int np)
{
	struct carry	 c;

	memset(&c, 0, sizeof(c));
	c.to = to->n[0].ike;
	assert_int_equal(ike_export_ike2(from->n[0].ike, carry_ike2, &c), n2);
	assert_int_equal(ike_export_ipsec(from->n[0].ike, carry_ipsec, &c),
	    np);
	assert_int_equal(c.n2, n2);
	assert_int_equal(c.np, np);
}

static struct ike_child *
child_out(struct pair *p, uint32_t spi)
{
	struct in_addr	 peer;

	peer.s_addr = htonl(0x0a000014);	/* 10.0.0.20 */
	return ike_child_by_spi_out(p->n[0].ike, peer, spi);
}

/*
 * The whole story: established on node 0, replicated, liveness checks
 * on node 0 that the standby never hears of, node 0 gone; node 1 takes
 * over and answers the liveness check (a higher message ID, once), a
 * CHILD rekey and an IKE rekey with the same SPIs.
 */
static void
test_takeover_continues(void **state)
{
	struct pair	*a = responder(), *b = responder();
	struct ike2_peer pe, ne;
	struct events	 ev;
	struct ike2_sa	*sa, *sb, *nsb;
	struct ike_child *c;
	uint32_t	 conn;

	(void)state;
	pair_log_init();
	listen_to(a, &ev);
	ike_set_active(b->n[0].ike, 0);
	assert_int_equal(establish(&pe, a), 0);
	/* up before its CHILD SA, which names it */
	assert_int_equal(ev.up, 1);
	assert_int_equal(ev.ipsec_up, 1);
	sa = v2(a)->sas;
	conn = sa->conn_id;
	assert_int_equal(ev.last.next_in, 2);
	assert_int_equal(ev.last.next_out, IKE2_MSGID_RESERVE);

	snapshot(a, b, 1, 1);
	sb = v2(b)->sas;
	assert_non_null(sb);
	assert_int_equal(sb->conn_id, conn);
	assert_memory_equal(sb->spii, sa->spii, IKE2_SPI_LEN);
	assert_memory_equal(sb->spir, sa->spir, IKE2_SPI_LEN);
	assert_int_equal(sb->state, IKE2_READY);
	assert_memory_equal(sb->keys.er, sa->keys.er, sa->keys.elen);
	assert_memory_equal(sb->keys.d, sa->keys.d, sa->keys.prflen);
	assert_string_equal(sb->profile, sa->profile);
	assert_int_equal(sb->id_peer.id.len, sa->id_peer.id.len);
	assert_memory_equal(sb->id_peer.id.data, sa->id_peer.id.data,
	    sa->id_peer.id.len);
	assert_int_equal(sb->next_in, 2);
	assert_true(sb->msgid_resync);
	c = b->n[0].ike->children;
	assert_non_null(c);
	assert_int_equal(c->v2_conn, conn);
	assert_int_equal(c->spi_out, pe.esp_spi);
	assert_int_equal(esp_fake_nsas(b->n[0].be), 2);
	/* a standby answers nothing, and its SA does not time out */
	pe.p = b;
	assert_int_equal(liveness(&pe), -1);
	pe.msgid--;
	pair_advance(b, (uint64_t)sa->lifetime * 2000);
	assert_int_equal(v2(b)->nsas, 1);

	/* on the active: liveness checks are not replicated */
	pe.p = a;
	assert_int_equal(liveness(&pe), 0);
	assert_int_equal(liveness(&pe), 0);
	assert_int_equal(ev.updated, 0);
	assert_int_equal(sa->next_in, 4);

	/* node 0 is gone: node 1 takes over */
	pair_free(a);
	ike_set_active(b->n[0].ike, 1);
	pe.p = b;
	/* lower than the replicated 2 (IKE_AUTH's again): refused */
	pe.msgid = 1;
	assert_int_equal(liveness(&pe), -1);
	pe.msgid = 4;
	assert_int_equal(v2(b)->st.bad_msgid, 1);
	/* the peer's next, 4, beyond the replicated 2: taken once */
	assert_int_equal(liveness(&pe), 0);
	assert_false(sb->msgid_resync);
	assert_int_equal(sb->next_in, 5);
	/* from now on the window of one: 6 is refused, 5 taken */
	pe.msgid = 6;
	assert_int_equal(liveness(&pe), -1);
	pe.msgid = 5;
	assert_int_equal(liveness(&pe), 0);
	/* a retransmission of it: the same answer, from the cache */
	assert_int_equal(ike2_peer_resend(&pe), 0);
	assert_int_equal(v2(b)->st.retransmits_answered, 1);

	/* a CHILD rekey: the new pair on node 1, the old one replaced */
	assert_int_equal(ask_child(&pe, 0xc0ffee02, pe.esp_spi), 0);
	assert_true(c->rekeyed);
	assert_non_null(child_out(b, 0xc0ffee02));
	assert_int_equal(child_out(b, 0xc0ffee02)->v2_conn, conn);

	/* an IKE rekey: the CHILD SAs move to the new SA */
	assert_int_equal(ike2_peer_rekey_ike(&pe, 19, &ne), 0);
	nsb = ike2_sa_find(v2(b), ne.spii, ne.spir);
	assert_non_null(nsb);
	assert_int_equal(sb->state, IKE2_REKEYED);
	for (c = b->n[0].ike->children; c != NULL; c = c->next)
		assert_int_equal(c->v2_conn, nsb->conn_id);
	assert_int_equal(liveness(&ne), 0);
	/* the old SA's Delete, then the new one's liveness */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(v2(b)->nsas, 1);
	assert_int_equal(liveness(&ne), 0);
	ike2_peer_free(&pe);
	ike2_peer_free(&ne);
	pair_free(b);
}

/*
 * The events that carry an IKE rekey (the new SA with "replaces", the
 * old one REKEYED), a CHILD SA's, and the deletes; a standby fed the
 * events only (no snapshot after the rekey) holds the same SAs and has
 * moved the CHILD SAs.
 */
struct relay {
	struct carry	 c;
	int		 ups, updates, deletes;
};

static void
relay_up(void *arg, const struct ike_ike2_state *s)
{
	struct relay	*r = arg;

	r->ups++;
	if (ike_import_ike2(r->c.to, s) == -1) {
		/* an update: replace it as hasync's standby does */
		assert_int_equal(ike_forget_ike2(r->c.to, s->conn_id), 0);
		assert_int_equal(ike_import_ike2(r->c.to, s), 0);
	}
}

static void
relay_updated(void *arg, const struct ike_ike2_state *s)
{
	((struct relay *)arg)->updates++;
	relay_up(arg, s);
	((struct relay *)arg)->ups--;
}

static void
relay_deleted(void *arg, uint32_t conn_id)
{
	struct relay	*r = arg;

	r->deletes++;
	assert_int_equal(ike_forget_ike2(r->c.to, conn_id), 0);
}

static void
relay_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct relay	*r = arg;

	assert_int_equal(ike_import_ipsec(r->c.to, s, 1), 0);
}

static void
relay_ipsec_rekeyed(void *arg, const struct ike_ipsec_state *s, uint32_t old)
{
	struct relay	*r = arg;

	relay_ipsec(arg, s);
	assert_int_equal(ike_ipsec_replaced(r->c.to, old), 0);
}

static void
relay_ipsec_deleted(void *arg, uint32_t in, uint32_t out)
{
	struct relay	*r = arg;

	(void)out;
	assert_int_equal(ike_forget_ipsec(r->c.to, in), 0);
}

static void
test_events_follow_rekeys(void **state)
{
	struct pair	*a = responder(), *b = responder();
	struct ike2_peer pe, ne;
	struct ike_listener l;
	struct relay	 r;
	struct ike2_sa	*sb;

	(void)state;
	pair_log_init();
	memset(&r, 0, sizeof(r));
	r.c.to = b->n[0].ike;
	memset(&l, 0, sizeof(l));
	l.arg = &r;
	l.ike2_up = relay_up;
	l.ike2_updated = relay_updated;
	l.ike2_deleted = relay_deleted;
	l.ipsec_up = relay_ipsec;
	l.ipsec_rekeyed = relay_ipsec_rekeyed;
	l.ipsec_deleted = relay_ipsec_deleted;
	assert_int_equal(ike_add_listener(a->n[0].ike, &l), 0);
	ike_set_active(b->n[0].ike, 0);

	assert_int_equal(establish(&pe, a), 0);
	assert_int_equal(r.ups, 1);
	/* a CREATE_CHILD_SA replicates the IKE SA's message IDs */
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0), 0);
	assert_int_equal(r.updates, 1);
	assert_int_equal(v2(b)->sas->next_in, 3);
	assert_int_equal(b->n[0].ike->nchildren, 2);
	/* the IKE rekey: the new SA, then the old one REKEYED */
	assert_int_equal(ike2_peer_rekey_ike(&pe, 19, &ne), 0);
	assert_int_equal(r.ups, 2);
	assert_int_equal(r.updates, 2);
	sb = ike2_sa_find(v2(b), ne.spii, ne.spir);
	assert_non_null(sb);
	assert_int_equal(ike2_sa_find(v2(b), pe.spii, pe.spir)->state,
	    IKE2_REKEYED);
	for (struct ike_child *c = b->n[0].ike->children; c != NULL;
	    c = c->next)
		assert_int_equal(c->v2_conn, sb->conn_id);
	/* the peer deletes the old SA: gone on the standby too */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(r.deletes, 1);
	assert_int_equal(v2(b)->nsas, 1);
	assert_int_equal(b->n[0].ike->nchildren, 2);
	/* and the new one with its CHILD SAs */
	assert_int_equal(ike2_peer_request(&ne, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(r.deletes, 2);
	assert_int_equal(v2(b)->nsas, 0);
	assert_int_equal(b->n[0].ike->nchildren, 0);
	assert_int_equal(esp_fake_nsas(b->n[0].be), 0);
	ike2_peer_free(&pe);
	ike2_peer_free(&ne);
	pair_free(a);
	pair_free(b);
}

/*
 * Our own request IDs (nothing sends them yet; the request senders will
 * call ike2_sa_msgid_out_used): the standby is told a reservation
 * IKE2_MSGID_RESERVE ahead, again only when it is reached, and a node
 * that continues the SA starts there.
 */
static void
test_msgid_out_reservation(void **state)
{
	struct pair	*a = responder(), *b = responder();
	struct ike2_peer pe;
	struct events	 ev;
	struct ike2_sa	*sa;

	(void)state;
	pair_log_init();
	listen_to(a, &ev);
	assert_int_equal(establish(&pe, a), 0);
	sa = v2(a)->sas;
	assert_int_equal(sa->next_out, 0);
	assert_int_equal(ev.last.next_out, IKE2_MSGID_RESERVE);
	for (int i = 1; i < IKE2_MSGID_RESERVE; i++) {
		ike2_sa_msgid_out_used(sa);
		assert_int_equal(ev.updated, 0);
	}
	/* the reservation reached: a new one, replicated */
	ike2_sa_msgid_out_used(sa);
	assert_int_equal(sa->next_out, IKE2_MSGID_RESERVE);
	assert_int_equal(ev.updated, 1);
	assert_int_equal(ev.last.next_out, 2 * IKE2_MSGID_RESERVE);
	ike2_sa_msgid_out_used(sa);
	assert_int_equal(ev.updated, 1);

	/* the standby starts at the reservation, beyond every ID used */
	ike_set_active(b->n[0].ike, 0);
	snapshot(a, b, 1, 1);
	assert_int_equal(v2(b)->sas->next_out, 2 * IKE2_MSGID_RESERVE);
	assert_true(v2(b)->sas->next_out > sa->next_out);
	/* and a node continuing it reserves from there */
	ike_set_active(b->n[0].ike, 1);
	ike2_sa_msgid_out_used(v2(b)->sas);
	assert_int_equal(v2(b)->sas->next_out_reserved,
	    2 * IKE2_MSGID_RESERVE + 1 + IKE2_MSGID_RESERVE);
	ike2_peer_free(&pe);
	pair_free(a);
	pair_free(b);
}

/* Malformed Ikev2Sa records are refused by the codec, whole. */
static int ndecoded;

static void
count_fn(void *arg, const struct ha_msg *m)
{
	(void)arg;
	(void)m;
	ndecoded++;
}

static void
grab(void *arg, const struct ike_ike2_state *s)
{
	*(struct ike_ike2_state *)arg = *s;
}

static void
test_codec_refuses(void **state)
{
	struct pair	*a = responder();
	struct ike2_peer pe;
	struct ike_ike2_state good, s;
	struct ha_msg	 m;
	uint8_t		*p;
	size_t		 len;
	const char	*err;

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, a), 0);
	assert_int_equal(ike_export_ike2(a->n[0].ike, grab, &good), 1);
	/* as it is: one item */
	memset(&m, 0, sizeof(m));
	m.type = HA_M_IKE2;
	m.u.ike2 = good;
	assert_int_equal(ha_msg_encode(&m, &p, &len), 0);
	ndecoded = 0;
	assert_int_equal(ha_msg_decode(p, len, count_fn, NULL, &err), 1);
	/* every truncation refused */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(ha_msg_decode(p, n, count_fn, NULL, &err),
		    -1);
	assert_int_equal(ndecoded, 1);
	free_secret(p, len);
	/* each field out of range: refused with its reason */
	for (int k = 0; k < 8; k++) {
		s = good;
		switch (k) {
		case 0: s.enc = 3; break;		/* 3DES: never */
		case 1: s.prf = 200; break;
		case 2: s.integ = 0; break;		/* CBC needs one */
		case 3: s.enc_len = 8; break;		/* key length */
		case 4: s.state = 3; break;
		case 5: s.conn_id = 0; break;
		case 6: s.remaining = s.lifetime + 1; break;
		case 7: s.replaces = s.conn_id; break;
		}
		m.u.ike2 = s;
		assert_int_equal(ha_msg_encode(&m, &p, &len), 0);
		assert_int_equal(ha_msg_decode(p, len, count_fn, NULL, &err),
		    -1);
		assert_non_null(err);
		assert_true(strncmp(err, "ikev2-sa: ", 10) == 0);
		free_secret(p, len);
	}
	assert_int_equal(ndecoded, 1);
	/* the engine refuses what the codec cannot know: SPIs in use */
	assert_int_equal(ike_import_ike2(a->n[0].ike, &good), -1);
	good.conn_id += 100;
	assert_int_equal(ike_import_ike2(a->n[0].ike, &good), -1);
	OPENSSL_cleanse(&m, sizeof(m));
	OPENSSL_cleanse(&good, sizeof(good));
	OPENSSL_cleanse(&s, sizeof(s));
	ike2_peer_free(&pe);
	pair_free(a);
}

static void
grab_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	*(struct ike_ipsec_state *)arg = *s;
}

static void
test_child_needs_its_ike_sa(void **state)
{
	struct pair	*a = responder(), *b = responder();
	struct ike2_peer pe;
	struct ike_ipsec_state s;

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, a), 0);
	assert_int_equal(ike_export_ipsec(a->n[0].ike, grab_ipsec, &s), 1);
	assert_int_not_equal(s.v2_conn, 0);
	assert_int_equal(ike_import_ipsec(b->n[0].ike, &s, 1), -1);
	assert_int_equal(b->n[0].ike->nchildren, 0);
	OPENSSL_cleanse(&s, sizeof(s));
	ike2_peer_free(&pe);
	pair_free(a);
	pair_free(b);
}

/*
 * An SA whose original initiator is havpn (its own IKE rekey made it):
 * replicated with its role, the standby that takes over opens the
 * peer's requests with SK_er (no I flag) and seals its own with SK_ei
 * and the I flag.
 */
static void
test_takeover_initiator_role(void **state)
{
	char		*conf = ike2_peer_conf(PSK), *c2;
	struct pair	*a, *b;
	struct ike2_peer pe, ne;
	struct ike2_sa	*sa, *sb;
	uint8_t		 body[1024], np;
	uint32_t	 id;
	size_t		 len;

	(void)state;
	pair_log_init();
	c2 = pair_edit(conf, " keyring local KR\n", " keyring local KR\n"
	    " lifetime 600\n");
	a = pair_new(c2, NULL);
	b = pair_new(c2, NULL);
	free(conf);
	free(c2);
	assert_non_null(a);
	assert_non_null(b);
	ike_set_active(b->n[0].ike, 0);
	assert_int_equal(establish(&pe, a), 0);
	/* node 0 rekeys the IKE SA at 85-90 % of its 600 s */
	pair_advance(a, 541000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(pe.req_exchange, IKE2_EX_CREATE_CHILD_SA);
	assert_int_equal(ike2_peer_answer_rekey_ike(&pe, id, 19, &ne), 0);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);	/* Delete */
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(v2(a)->nsas, 1);
	sa = v2(a)->sas;
	assert_true(sa->initiator);

	snapshot(a, b, 1, 1);
	sb = v2(b)->sas;
	assert_true(sb->initiator);
	assert_memory_equal(sb->spii, ne.spii, IKE2_SPI_LEN);
	assert_memory_equal(sb->keys.ei, sa->keys.ei, sa->keys.elen);
	pair_free(a);
	ike_set_active(b->n[0].ike, 1);
	ne.p = b;
	/* the peer's request: answered by node 1 (ike2_peer_request opens
	 * the answer with the initiator's keys) */
	assert_int_equal(liveness(&ne), 0);
	assert_int_equal(v2(b)->st.decrypt_fail, 0);
	/* a request sealed with the I flag the responder must not set:
	 * dropped */
	ne.responder = 0;
	len = ike2_peer_child_body(&ne, 0xc0ffee05, 0, 0, body, sizeof(body),
	    &np);
	assert_int_equal(ike2_peer_request(&ne, IKE2_EX_CREATE_CHILD_SA, np,
	    body, len, 0), -1);
	assert_int_equal(v2(b)->st.malformed, 1);
	ne.responder = 1;
	ne.msgid--;
	/* node 1's own: a CHILD rekey, sealed as the original initiator */
	ike2_peer_watch(b);
	assert_int_equal(ike_child_rekey(b->n[0].ike->children), 0);
	assert_int_equal(ike2_peer_take_request(&ne, &id), 0);
	assert_int_equal(ne.req_exchange, IKE2_EX_CREATE_CHILD_SA);
	assert_int_equal(id, IKE2_MSGID_RESERVE);
	ike2_peer_free(&pe);
	ike2_peer_free(&ne);
	pair_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_takeover_continues),
		cmocka_unit_test(test_takeover_initiator_role),
		cmocka_unit_test(test_events_follow_rekeys),
		cmocka_unit_test(test_msgid_out_reservation),
		cmocka_unit_test(test_codec_refuses),
		cmocka_unit_test(test_child_needs_its_ike_sa),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
