/*
 * havpn's own IKEv2 requests (ike/v2/request.c) against the scripted
 * initiator: the liveness check from the profile's dpd line, its
 * retransmissions and the peer declared dead; Deletes (clear, a CHILD
 * SA's end); RFC 6311's message ID sync when the node becomes active,
 * with a good, a wrong-nonce and a forged answer; stray answers; NAT-T:
 * the pairs following the peer's new ports, keepalives; CHILD SA rekeys
 * of ours (the soft lifetime), a refused one, and a collision with the
 * peer's rekey of the same pair; the IKE SA's rekey of ours.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
#include "ike2_peer.h"

#define PSK	"ikev2-unit-psk"

/* The engine answering with a profile dpd line (NULL: none). */
static struct pair *
responder(const char *dpd)
{
	char		*conf = ike2_peer_conf(PSK), *c2 = NULL;
	struct pair	*p;

	if (dpd != NULL)
		c2 = pair_edit(conf, " keyring local KR\n", dpd);
	p = pair_new(c2 != NULL ? c2 : conf, NULL);
	free(conf);
	free(c2);
	assert_non_null(p);
	return p;
}

static struct ike2 *
v2(struct pair *p)
{
	return p->n[0].ike->v2;
}

static void
establish(struct ike2_peer *pe, struct pair *p, int mid_sync)
{
	assert_int_equal(ike2_peer_establish(pe, p, PSK, mid_sync), 0);
	assert_int_equal(v2(p)->sas->state, IKE2_READY);
	assert_int_equal(v2(p)->sas->peer_mid_sync, mid_sync);
	/* we announce RFC 6311 ourselves */
	assert_true(ike2_peer_has_notify(pe,
	    IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED));
}

/*
 * dpd 10 2 periodic: a liveness check after 10 s of silence, message ID
 * 0 then 1; answered, nothing more; unanswered, retransmitted every 2 s
 * five times, then the SA and its pair are deleted.
 */
static void
test_liveness(void **state)
{
	struct pair	*p = responder(" keyring local KR\n dpd 10 2 periodic\n");
	struct ike2_peer pe;
	uint32_t	 id;

	(void)state;
	pair_log_init();
	establish(&pe, p, 0);
	pair_advance(p, 9000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	pair_advance(p, 1500);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(pe.plainlen, 0);	/* an empty INFORMATIONAL */
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(v2(p)->sas->req_kind, IKE2_REQ_NONE);
	assert_int_equal(v2(p)->st.liveness_sent, 1);
	/* a second answer to the same request: not ours any more */
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(v2(p)->st.bad_msgid, 1);
	/* a request of the peer's is traffic: no check for 10 s */
	pair_advance(p, 5000);
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	pair_advance(p, 9000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	/* silence: the next check, message ID 1, never answered */
	pair_advance(p, 2000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 1);
	for (int i = 0; i < 5; i++) {
		pair_advance(p, 2000);
		assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
		assert_int_equal(id, 1);
	}
	assert_int_equal(v2(p)->st.requests_retransmitted, 5);
	assert_int_equal(v2(p)->nsas, 1);
	pair_advance(p, 2000);
	assert_int_equal(v2(p)->nsas, 0);
	assert_int_equal(p->n[0].ike->nchildren, 0);
	assert_int_equal(v2(p)->st.peers_dead, 1);
	assert_true(pair_log_has("does not answer"));
	pair_free(p);
}

/* On demand (the default): no check while nothing goes out. */
static void
test_liveness_on_demand(void **state)
{
	struct pair	*p = responder(" keyring local KR\n dpd 10 2 on-demand\n");
	struct ike2_peer pe;
	uint32_t	 id;

	(void)state;
	pair_log_init();
	establish(&pe, p, 0);
	pair_advance(p, 60000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	assert_int_equal(v2(p)->st.liveness_sent, 0);
	pair_free(p);
}

/*
 * clear crypto ikev2 sa: the pair goes at once, a Delete of the IKE SA
 * goes out, the SA waits DELETING for the answer; a CHILD SA's end sends
 * a Delete with our inbound SPI.
 */
static void
test_deletes(void **state)
{
	struct pair	*p = responder(NULL);
	struct ike2_peer pe;
	struct ike2_delete d;
	struct ike2_pls	 pls;
	struct ike_child *c;
	struct buf	 b;
	uint32_t	 id, spi;
	uint16_t	 notify;
	const char	*err;

	(void)state;
	pair_log_init();
	establish(&pe, p, 0);
	/* the pair's lifetime ends (3600 s): a Delete of ESP, our SPI */
	c = p->n[0].ike->children;
	spi = c->spi_in;
	ike_child_delete(c, 1, "test");
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 0);
	buf_init(&b, pe.plain, pe.plainlen);
	assert_int_equal(ike2_pls_parse(&b, pe.plain_np, 1, &pls, &notify,
	    &err), 0);
	assert_int_equal(pls.n, 1);
	assert_int_equal(ike2_delete_parse(pls.pl[0].body, &d, &err), 0);
	assert_int_equal(d.proto, IKE2_PROTO_ESP);
	assert_int_equal(d.nspis, 1);
	assert_int_equal(be32_get(d.spis), spi);
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);

	assert_int_equal(ike2_clear_sa(p->n[0].ike, 0), 1);
	assert_int_equal(v2(p)->sas->state, IKE2_DELETING);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 1);
	buf_init(&b, pe.plain, pe.plainlen);
	assert_int_equal(ike2_pls_parse(&b, pe.plain_np, 1, &pls, &notify,
	    &err), 0);
	assert_int_equal(ike2_delete_parse(pls.pl[0].body, &d, &err), 0);
	assert_int_equal(d.proto, IKE2_PROTO_IKE);
	/* a forged answer changes nothing */
	ike2_peer_answer(&pe, id, 0, NULL, 0, 40);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(v2(p)->st.decrypt_fail, 1);
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(v2(p)->nsas, 0);
	pair_free(p);
}

/* The sync request the engine sent: its values; 0 or -1. */
static int
take_mid_sync(struct ike2_peer *pe, struct ike2_msgid_sync *s)
{
	struct ike2_pls	 pls;
	struct ike2_notify n;
	struct buf	 b;
	uint32_t	 id;
	uint16_t	 notify;
	const char	*err;

	if (ike2_peer_take_request(pe, &id) == -1 || id != 0)
		return -1;
	buf_init(&b, pe->plain, pe->plainlen);
	if (ike2_pls_parse(&b, pe->plain_np, 1, &pls, &notify, &err) == -1 ||
	    pls.n != 1 || ike2_notify_parse(pls.pl[0].body, &n, &err) == -1)
		return -1;
	return ike2_msgid_sync_get(&n, s);
}

static void
answer_mid_sync(struct ike2_peer *pe, const struct ike2_msgid_sync *s)
{
	uint8_t		 body[4 + 4 + IKE2_MSGID_SYNC_LEN];

	memcpy(body, "\0\0\0\x14\0\0\x40\x26", 8);	/* N, type 16422 */
	ike2_msgid_sync_put(s, body + 8);
	ike2_peer_answer(pe, 0, IKE2_PL_N, body, sizeof(body), 0);
}

/*
 * RFC 6311: a node that becomes active asks every SA whose peer
 * announced support; the answer's higher IDs are taken.  A peer
 * without support is not asked; a wrong nonce changes nothing.
 */
static void
test_mid_sync(void **state)
{
	struct pair	*p = responder(NULL);
	struct ike2_peer pe;
	struct ike2_msgid_sync s;
	struct ike *ike;

	(void)state;
	pair_log_init();
	ike = p->n[0].ike;
	establish(&pe, p, 1);
	/* IKE_AUTH was 1, two liveness checks: the peer's next is 4 */
	for (int i = 0; i < 2; i++)
		assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
		    0, NULL, 0, 0), 0);
	ike_set_active(ike, 0);
	ike_set_active(ike, 1);
	/* not at once: the VIPs move first */
	assert_int_equal(take_mid_sync(&pe, &s), -1);
	pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
	assert_int_equal(take_mid_sync(&pe, &s), 0);
	assert_int_equal(s.send, 0);	/* our next request */
	assert_int_equal(s.recv, 4);	/* the peer's we expect */
	/* a wrong nonce: the IDs stay */
	s.nonce[0] ^= 1;
	s.send = 7;
	s.recv = 9;
	answer_mid_sync(&pe, &s);
	assert_int_equal(v2(p)->sas->next_in, 4);
	assert_int_equal(v2(p)->st.mid_sync_failed, 1);

	ike_set_active(ike, 0);
	ike_set_active(ike, 1);
	/* not at once: the VIPs move first */
	assert_int_equal(take_mid_sync(&pe, &s), -1);
	pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
	assert_int_equal(take_mid_sync(&pe, &s), 0);
	s.send = 7;
	s.recv = 9;
	answer_mid_sync(&pe, &s);
	assert_int_equal(v2(p)->st.mid_syncs, 1);
	assert_int_equal(v2(p)->sas->next_in, 7);
	assert_int_equal(v2(p)->sas->next_out, 9);
	assert_true(pair_log_has("message IDs synchronized"));
	/* the peer goes on from 7; a request of ours is 9 */
	pe.msgid = 7;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(v2(p)->sas->next_in, 8);
	ike2_clear_sa(ike, 0);
	assert_int_equal(ike2_peer_take_request(&pe, &s.send), 0);
	assert_int_equal(s.send, 9);
	pair_free(p);

	/* a peer that did not announce it is not asked */
	p = responder(NULL);
	establish(&pe, p, 0);
	ike_set_active(p->n[0].ike, 0);
	ike_set_active(p->n[0].ike, 1);
	pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
	assert_int_equal(ike2_peer_take_request(&pe, &s.send), -1);
	pair_free(p);
}

/* A standby sends nothing: no liveness check, no Delete. */
static void
test_standby_quiet(void **state)
{
	struct pair	*p = responder(" keyring local KR\n dpd 10 2 periodic\n");
	struct ike2_peer pe;
	uint32_t	 id;

	(void)state;
	pair_log_init();
	establish(&pe, p, 1);
	ike_set_active(p->n[0].ike, 0);
	pair_advance(p, 30000);
	ike_child_delete(p->n[0].ike->children, 1, "test");
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	assert_int_equal(v2(p)->st.requests_sent, 0);
	pair_free(p);
}

/*
 * NAT-T: both sides look NATed (IKE_SA_INIT's hashes); the peer moves to
 * port 4500 and later its NAT rebinds to another port: the SA and its
 * UDP-encapsulated pair follow each authentic request's ports; behind
 * the NAT we send a keepalive every crypto isakmp nat keepalive seconds,
 * none on a standby.
 */
static void
test_nat(void **state)
{
	char		*c0 = ike2_peer_conf(PSK), *conf;
	struct pair	*p;
	struct ike2_peer pe;
	struct ike2_sa	*sa;
	struct ike_child *c;
	int		 k;

	(void)state;
	pair_log_init();
	conf = pair_edit(c0, "hostname a\n", "hostname a\ncrypto isakmp nat "
	    "keepalive 20\n");
	free(c0);
	p = pair_new(conf, NULL);
	free(conf);
	assert_non_null(p);
	ike2_peer_fake_nat(1);
	establish(&pe, p, 0);
	ike2_peer_fake_nat(0);
	sa = v2(p)->sas;
	assert_true(sa->nat_local && sa->nat_remote);
	c = p->n[0].ike->children;
	assert_true(c->xf.udp);
	assert_int_equal(c->rport, 500);

	pe.sport = pe.dport = 4500;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(ntohs(sa->local.sin_port), 4500);
	assert_int_equal(ntohs(sa->remote.sin_port), 4500);
	assert_int_equal(c->lport, 4500);
	assert_int_equal(c->rport, 4500);
	assert_int_equal(esp_fake_sa(p->n[0].be, c->conn_out)->remote_port,
	    4500);
	pe.sport = 31000;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(c->rport, 31000);
	assert_int_equal(esp_fake_sa(p->n[0].be, c->conn_out)->remote_port,
	    31000);
	assert_true(pair_log_has("moved from port 4500 to 31000"));

	k = ike2_peer_keepalives();
	pair_advance(p, 41000);
	assert_int_equal(ike2_peer_keepalives() - k, 2);
	assert_int_equal(v2(p)->st.nat_keepalives, 2);
	ike_set_active(p->n[0].ike, 0);
	k = ike2_peer_keepalives();
	pair_advance(p, 41000);
	assert_int_equal(ike2_peer_keepalives(), k);
	pair_free(p);
}

/* The request's payload of a type, or NULL. */
static const struct ike2_pl *
req_pl(const struct ike2_peer *pe, struct ike2_pls *pls, uint8_t type)
{
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, pe->plain, pe->plainlen);
	if (ike2_pls_parse(&b, pe->plain_np, 1, pls, &notify, &err) == -1)
		return NULL;
	return ike2_pls_find(pls, type);
}

/* The engine's rekey request for pair c: its nonce into ni; its ID. */
static uint32_t
take_rekey(struct ike2_peer *pe, const struct ike_child *c, uint8_t *ni)
{
	struct ike2_pls	 pls;
	struct ike2_notify n;
	const struct ike2_pl *pl;
	const uint8_t	*nonce;
	size_t		 len;
	uint32_t	 id;
	const char	*err;

	assert_int_equal(ike2_peer_take_request(pe, &id), 0);
	assert_int_equal(pe->req_exchange, IKE2_EX_CREATE_CHILD_SA);
	pl = req_pl(pe, &pls, IKE2_PL_N);
	assert_non_null(pl);
	assert_int_equal(ike2_notify_parse(pl->body, &n, &err), 0);
	assert_int_equal(n.type, IKE2_N_REKEY_SA);
	assert_int_equal(be32_get(n.spi), c->spi_in);	/* our inbound */
	assert_non_null(req_pl(pe, &pls, IKE2_PL_SA));
	assert_non_null(req_pl(pe, &pls, IKE2_PL_TSI));
	pl = req_pl(pe, &pls, IKE2_PL_NONCE);
	assert_non_null(pl);
	assert_int_equal(ike2_nonce_parse(pl->body, &nonce, &len, &err), 0);
	assert_int_equal(len, 32);
	memcpy(ni, nonce, 32);
	return id;
}

static void
answer_rekey(struct ike2_peer *pe, uint32_t id, uint32_t spi)
{
	uint8_t		 body[1024], np;
	size_t		 len = ike2_peer_child_answer_body(pe, spi, body,
			    sizeof(body), &np);

	assert_true(len > 0);
	ike2_peer_answer(pe, id, np, body, len, 0);
}

static struct ike_child *
live_pair(struct pair *p)
{
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		if (!c->rekeyed)
			return c;
	return NULL;
}

/*
 * The pair nears the end of its lifetime: havpn rekeys it (REKEY_SA with
 * our inbound SPI, our nonce first in KEYMAT), the old pair lives 5 s
 * and goes with a Delete; a refused rekey leaves the pair.
 */
static void
test_rekey_ours(void **state)
{
	struct pair	*p = responder(NULL);
	struct ike2_peer pe;
	struct ike_child *old, *c;
	struct ike2_pls	 pls;
	struct ike2_delete d;
	uint8_t		 ni[32], km[2 * ESP_MAX_ENC_KEY];
	uint32_t	 id, spi_old;
	const char	*err;

	(void)state;
	pair_log_init();
	establish(&pe, p, 0);
	old = live_pair(p);
	spi_old = old->spi_in;
	/* 3600 s, the responder's soft lifetime 7 % before */
	pair_advance(p, 3347000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	pair_advance(p, 2000);
	id = take_rekey(&pe, old, ni);
	assert_true(old->rekeying);
	answer_rekey(&pe, id, 0xc0ffee09);
	assert_int_equal(p->n[0].ike->nchildren, 2);
	assert_true(old->rekeyed);
	c = live_pair(p);
	assert_int_equal(c->spi_out, 0xc0ffee09);
	assert_true(c->installed_in && c->installed_out);
	assert_int_equal(v2(p)->st.child_rekeys, 1);
	/* KEYMAT = prf+(SK_d, Ni | Nr): we initiated, our outbound first */
	assert_int_equal(ike2_keymat(pe.suite.prf, pe.keys.d, pe.keys.prflen,
	    NULL, 0, ni, 32, pe.cni, 32, km, 2 * c->ekey_len), 0);
	assert_memory_equal(km, c->ekey_out, c->ekey_len);
	assert_memory_equal(km + c->ekey_len, c->ekey_in, c->ekey_len);
	/* 5 s on, the old pair goes with a Delete of our old inbound SPI */
	pair_advance(p, 5100);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(pe.req_exchange, IKE2_EX_INFORMATIONAL);
	assert_int_equal(ike2_delete_parse(req_pl(&pe, &pls, IKE2_PL_D)->body,
	    &d, &err), 0);
	assert_int_equal(be32_get(d.spis), spi_old);
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);

	/* the next rekey refused: the pair stays, counted */
	old = c;
	pair_advance(p, 3349000);
	id = take_rekey(&pe, old, ni);
	ike2_peer_answer(&pe, id, IKE2_PL_N, (const uint8_t *)
	    "\0\0\0\x08\0\0\0\x0e", 8, 0);	/* NO_PROPOSAL_CHOSEN */
	assert_int_equal(v2(p)->st.rekeys_failed, 1);
	assert_false(old->rekeying);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	ike2_peer_free(&pe);
	pair_free(p);
}

/* The pair of ours whose spi_out is spi, or NULL. */
static struct ike_child *
pair_out(struct pair *p, uint32_t spi)
{
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		if (c->spi_out == spi)
			return c;
	return NULL;
}

/* The peer's REKEY_SA for old, its nonce all nb, its new SPI spi:
 * answered as usual. */
static void
peer_rekeys(struct ike2_peer *pe, struct pair *p, struct ike_child *old,
    uint8_t nb, uint32_t spi)
{
	uint8_t		 body[1024], np;
	size_t		 len;

	pe->cnonce_fixed = 1;
	pe->cnonce_byte = nb;
	len = ike2_peer_child_body(pe, spi, old->spi_out, 0, body,
	    sizeof(body), &np);
	assert_int_equal(ike2_peer_request(pe, IKE2_EX_CREATE_CHILD_SA, np,
	    body, len, 0), 0);
	assert_int_equal(ike2_peer_notify(pe), 0);
	assert_non_null(pair_out(p, spi));
}

/* The engine's Delete of the pair with spi_in spi, answered. */
static void
deleted_by_us(struct ike2_peer *pe, uint32_t spi)
{
	struct ike2_pls	 pls;
	struct ike2_delete d;
	uint32_t	 id;
	const char	*err;

	assert_int_equal(ike2_peer_take_request(pe, &id), 0);
	assert_int_equal(pe->req_exchange, IKE2_EX_INFORMATIONAL);
	assert_int_equal(ike2_delete_parse(req_pl(pe, &pls, IKE2_PL_D)->body,
	    &d, &err), 0);
	assert_int_equal(d.nspis, 1);
	assert_int_equal(be32_get(d.spis), spi);
	ike2_peer_answer(pe, id, 0, NULL, 0, 0);
}

/*
 * Rekey collisions (RFC 7296 2.8.1, 2.25.1): the peer's REKEY_SA for a
 * pair havpn is rekeying is answered as usual; of the two new pairs, the
 * one made by the exchange with the lowest nonce is deleted by its
 * initiator.  Crossing requests, havpn's exchange the lowest: havpn
 * deletes its new pair (a Delete), the peer's stays.  The peer's the
 * lowest: havpn keeps its own and never sends on the peer's, which the
 * peer deletes.  The peer's REKEY_SA arriving after havpn's rekey is done
 * (retransmitted late): settled the same way.
 */
static void
test_rekey_collision(void **state)
{
	(void)state;
	for (int k = 0; k < 4; k++) {
		struct pair	*p = responder(NULL);
		struct ike2_peer pe;
		struct ike_child *old, *ours, *theirs;
		uint8_t		 ni[32];
		uint32_t	 id, new_in;
		/* k 0, 2: havpn's exchange the lowest (the peer answers it
		 * with zeros, asks with 0xff); 1, 3: the peer's */
		int		 we_lose = k % 2 == 0, late = k >= 2;

		pair_log_init();
		establish(&pe, p, 0);
		old = live_pair(p);
		assert_int_equal(ike_child_rekey(old), 0);
		id = take_rekey(&pe, old, ni);
		new_in = v2(p)->sas->rekey.spi_in;
		if (!late)
			peer_rekeys(&pe, p, old, we_lose ? 0xff : 0x00,
			    0xc0ffee0a);
		assert_true(old->rekeyed == !late);
		pe.cnonce_fixed = 1;
		pe.cnonce_byte = we_lose ? 0x00 : 0xff;
		pe.req_exchange = IKE2_EX_CREATE_CHILD_SA;
		answer_rekey(&pe, id, 0xc0ffee0b);
		if (late)
			peer_rekeys(&pe, p, old, we_lose ? 0xff : 0x00,
			    0xc0ffee0a);
		assert_int_equal(v2(p)->st.rekey_collisions, 1);
		assert_int_equal(v2(p)->st.rekeys_failed, 0);
		theirs = pair_out(p, 0xc0ffee0a);
		assert_non_null(theirs);
		assert_true(theirs->installed_in);
		ours = pair_out(p, 0xc0ffee0b);
		if (we_lose) {
			/* ours went, with a Delete of its inbound SPI */
			assert_null(ours);
			assert_true(pair_log_has("our pair"));
			assert_true(theirs->installed_out);
			deleted_by_us(&pe, new_in);
		} else {
			/* theirs is never sent on: the peer deletes it */
			assert_non_null(ours);
			assert_true(ours->installed_in && ours->installed_out);
			assert_false(theirs->installed_out);
			assert_true(pair_log_has("the peer deletes it"));
			assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
		}
		/* 5 s on, the old pair goes (a Delete); two pairs never
		 * stay */
		pair_flush(p);
		pair_advance(p, 5100);
		assert_int_equal(p->n[0].ike->nchildren, we_lose ? 1 : 2);
		ike2_peer_free(&pe);
		pair_free(p);
	}
}

/* The engine's request just taken: its payload of type, or fail. */
static const struct ike2_pl *
must_pl(struct ike2_peer *pe, struct ike2_pls *pls, uint8_t type)
{
	const struct ike2_pl *pl = req_pl(pe, pls, type);

	assert_non_null(pl);
	return pl;
}

/* Every CHILD SA of the engine under SA sa. */
static int
children_under(struct pair *p, const struct ike2_sa *sa)
{
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		if (c->v2_conn != sa->conn_id)
			return 0;
	return p->n[0].ike->children != NULL;
}

/*
 * Both sides rekey the IKE SA at once (RFC 7296 2.8.2, 2.25.2): the
 * peer's request crossing havpn's is answered as usual (the CHILD SAs go
 * to the peer's new SA); when havpn's answer comes, the exchange with the
 * lowest lower nonce made the redundant SA and its initiator deletes it.
 * havpn's redundant: its new SA goes with a Delete, the CHILD SAs stay
 * on the peer's, the peer deletes the old one.  The peer's: the CHILD
 * SAs move on to havpn's new SA, havpn deletes the old one, the peer's
 * waits (REKEYED) for the peer's Delete.  The peer's Delete of its
 * redundant SA coming before its answer to ours: the CHILD SAs go back
 * to the old SA, then on to ours.
 */
static void
test_rekey_ike_collision(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		/* 2: the peer's Delete of its redundant SA comes before its
		 * answer to ours (reordered) */
		int		 we_lose = k == 1, early = k == 2;
		struct pair	*p = responder(" keyring local KR\n"
				    " lifetime 600\n");
		struct ike2_peer pe, ne, te;
		struct ike2_sa	*old, *ours, *theirs;
		struct ike2_pls	 pls;
		struct ike2_delete d;
		static uint8_t	 req[IKE_MAX_MSG];
		/* D (its header, 8 bytes): protocol IKE, no SPI */
		static const uint8_t del_ike[] = { 0, 0, 0, 8, 1, 0, 0, 0 };
		size_t		 reqlen;
		uint32_t	 id;
		uint8_t		 np;
		const char	*err;

		pair_log_init();
		establish(&pe, p, 0);
		old = v2(p)->sas;
		pair_advance(p, 540500);
		assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
		/* (the request stays to be answered: the helper reads it
		 * from pe.plain, which the exchange below reuses) */
		memcpy(req, pe.plain, pe.plainlen);
		reqlen = pe.plainlen;
		np = pe.plain_np;
		/* the peer's own crosses it: answered, the pairs go to it */
		pe.cnonce_fixed = 1;
		pe.cnonce_byte = we_lose ? 0xff : 0x00;
		assert_int_equal(ike2_peer_rekey_ike(&pe, 19, &te), 0);
		assert_int_equal(v2(p)->st.rekey_collisions, 1);
		theirs = ike2_sa_find(v2(p), te.spii, te.spir);
		assert_non_null(theirs);
		assert_int_equal(old->state, IKE2_REKEYED);
		assert_true(children_under(p, theirs));
		if (early) {
			/* the pairs go back to the old SA, not with it */
			assert_int_equal(ike2_peer_request(&te,
			    IKE2_EX_INFORMATIONAL, IKE2_PL_D, del_ike,
			    sizeof(del_ike), 0), 0);
			assert_null(ike2_sa_find(v2(p), te.spii, te.spir));
			assert_int_equal(p->n[0].ike->nchildren, 1);
			assert_true(children_under(p, old));
		}
		/* the answer to ours */
		memcpy(pe.plain, req, reqlen);
		pe.plainlen = reqlen;
		pe.plain_np = np;
		pe.cnonce_byte = we_lose ? 0x00 : 0xff;
		assert_int_equal(ike2_peer_answer_rekey_ike(&pe, id, 19, &ne),
		    0);
		ours = ike2_sa_find(v2(p), ne.spii, ne.spir);
		assert_non_null(ours);
		assert_int_equal(ours->initiator, 1);
		assert_int_equal(v2(p)->st.rekeys_failed, 0);
		if (early) {
			/* no collision left: a rekey of ours, as usual */
			assert_true(children_under(p, ours));
			assert_int_equal(old->state, IKE2_DELETING);
			assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
			ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
		} else if (we_lose) {
			/* ours goes, with a Delete under it */
			assert_true(children_under(p, theirs));
			assert_int_equal(ours->state, IKE2_DELETING);
			assert_int_equal(ike2_peer_take_request(&ne, &id), 0);
			assert_int_equal(ne.req_exchange,
			    IKE2_EX_INFORMATIONAL);
			assert_int_equal(ike2_delete_parse(must_pl(&ne, &pls,
			    IKE2_PL_D)->body, &d, &err), 0);
			assert_int_equal(d.proto, IKE2_PROTO_IKE);
			ike2_peer_answer(&ne, id, 0, NULL, 0, 0);
			assert_null(ike2_sa_find(v2(p), ne.spii, ne.spir));
			/* nothing of ours under the old one */
			assert_int_equal(ike2_peer_take_request(&pe, &id),
			    -1);
			assert_int_equal(theirs->state, IKE2_READY);
		} else {
			/* the pairs move on to ours; the old one goes with
			 * our Delete; the peer's waits for its own */
			assert_true(children_under(p, ours));
			assert_int_equal(ours->state, IKE2_READY);
			assert_int_equal(theirs->state, IKE2_REKEYED);
			assert_int_equal(old->state, IKE2_DELETING);
			assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
			assert_int_equal(ike2_delete_parse(must_pl(&pe, &pls,
			    IKE2_PL_D)->body, &d, &err), 0);
			assert_int_equal(d.proto, IKE2_PROTO_IKE);
			ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
			assert_int_equal(ike2_peer_take_request(&ne, &id),
			    -1);
		}
		/* 30 s on: one SA left, the survivor, with the pairs */
		pair_advance(p, 31000);
		assert_int_equal(v2(p)->nsas, 1);
		assert_true(children_under(p, v2(p)->sas));
		assert_int_equal(v2(p)->sas->state, IKE2_READY);
		assert_memory_equal(v2(p)->sas->spii, we_lose ? te.spii :
		    ne.spii, IKE2_SPI_LEN);
		assert_int_equal(p->n[0].ike->nchildren, 1);
		ike2_peer_free(&pe);
		pair_free(p);
	}
}

/*
 * The IKE SA nears the end of its lifetime (600 s): havpn rekeys it
 * between 85 and 90 % (CREATE_CHILD_SA: SA of the policy's proposal with
 * a new SPIi, Ni, KE of the SA's group).  The peer's own IKE rekey
 * crossing it gets TEMPORARY_FAILURE; INVALID_KE_PAYLOAD is answered at
 * once with the group asked for.  The new SA: havpn its original
 * initiator (I on its messages, SK_ei/SK_ai), the pairs moved to it, the
 * old SA deleted with a Delete; requests both ways under the new SA;
 * exported with its role.
 */
static void
test_rekey_ike_ours(void **state)
{
	struct pair	*p = responder(" keyring local KR\n lifetime 600\n");
	struct ike2_peer pe, ne;
	struct ike2_sa	*old, *sa;
	struct ike2_pls	 pls;
	struct ike2_ke	 ke;
	struct ike2_delete d;
	struct ike_ike2_state st;
	uint8_t		 ni[32];
	uint32_t	 id;
	const char	*err;

	(void)state;
	pair_log_init();
	establish(&pe, p, 0);
	old = v2(p)->sas;
	assert_int_equal(old->initiator, 0);
	pair_advance(p, 509000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	pair_advance(p, 31500);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(pe.req_exchange, IKE2_EX_CREATE_CHILD_SA);
	assert_int_equal(id, 0);
	assert_int_equal(ike2_ke_parse(must_pl(&pe, &pls, IKE2_PL_KE)->body,
	    &ke, &err), 0);
	assert_int_equal(ke.group, 19);
	assert_non_null(must_pl(&pe, &pls, IKE2_PL_SA));
	assert_non_null(must_pl(&pe, &pls, IKE2_PL_NONCE));

	/* INVALID_KE_PAYLOAD for group 14: again at once, message ID 1 */
	assert_int_equal(ike2_peer_answer_rekey_ike(&pe, id, 14, &ne), 1);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ike2_ke_parse(must_pl(&pe, &pls, IKE2_PL_KE)->body,
	    &ke, &err), 0);
	assert_int_equal(ke.group, 14);

	/* unanswered, it is retransmitted 2 s on */
	pair_advance(p, 2000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(ike2_peer_answer_rekey_ike(&pe, id, 14, &ne), 0);

	/* the new SA, ours, the pairs on it; the old one's Delete out */
	assert_int_equal(v2(p)->nsas, 2);
	sa = ike2_sa_find(v2(p), ne.spii, ne.spir);
	assert_non_null(sa);
	assert_int_equal(sa->state, IKE2_READY);
	assert_int_equal(sa->initiator, 1);
	assert_int_equal(sa->group, 14);
	assert_int_equal(v2(p)->st.ike_rekeys_ours, 1);
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		assert_int_equal(c->v2_conn, sa->conn_id);
	assert_int_equal(old->state, IKE2_DELETING);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	assert_int_equal(pe.req_exchange, IKE2_EX_INFORMATIONAL);
	assert_int_equal(ike2_delete_parse(must_pl(&pe, &pls,
	    IKE2_PL_D)->body, &d, &err), 0);
	assert_int_equal(d.proto, IKE2_PROTO_IKE);
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(p->n[0].ike->nchildren, 1);

	/* the peer's request under the new SA (no I: it is the responder) */
	assert_int_equal(ike2_peer_request(&ne, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(v2(p)->st.decrypt_fail, 0);
	/* ours under it: a CHILD rekey, message ID 0, I set */
	assert_int_equal(ike_child_rekey(live_pair(p)), 0);
	id = take_rekey(&ne, live_pair(p), ni);
	assert_int_equal(id, 0);
	answer_rekey(&ne, id, 0xc0ffee0d);
	assert_int_equal(live_pair(p)->spi_out, 0xc0ffee0d);
	assert_int_equal(v2(p)->st.rekeys_failed, 0);
	/* the standby learns the role */
	ike2_sa_export(sa, &st);
	assert_int_equal(st.initiator, 1);
	/* the old pair's Delete, message ID 1 */
	pair_advance(p, 5100);
	assert_int_equal(ike2_peer_take_request(&ne, &id), 0);
	assert_int_equal(ne.req_exchange, IKE2_EX_INFORMATIONAL);
	assert_int_equal(id, 1);
	ike2_peer_answer(&ne, id, 0, NULL, 0, 0);
	/* the new SA rekeys itself again in its turn */
	pair_advance(p, 536000);
	assert_int_equal(ike2_peer_take_request(&ne, &id), 0);
	assert_int_equal(ne.req_exchange, IKE2_EX_CREATE_CHILD_SA);
	assert_int_equal(id, 2);
	ike2_peer_free(&pe);
	ike2_peer_free(&ne);
	pair_free(p);
}

/*
 * After a takeover nothing goes before RFC 6311's sync: a rekey asked
 * for meanwhile (a pair the takeover distrusts) waits for its answer,
 * then uses the synchronized message ID.
 */
static void
test_sync_first(void **state)
{
	struct pair	*p = responder(NULL);
	struct ike2_peer pe;
	struct ike2_msgid_sync s;
	struct ike	*ike;
	uint8_t		 ni[32];
	uint32_t	 id;

	(void)state;
	pair_log_init();
	ike = p->n[0].ike;
	establish(&pe, p, 1);
	ike_set_active(ike, 0);
	ike_set_active(ike, 1);
	assert_int_equal(ike_child_rekey(live_pair(p)), 0);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
	assert_int_equal(take_mid_sync(&pe, &s), 0);
	s.send = 2;
	s.recv = 6;
	answer_mid_sync(&pe, &s);
	id = take_rekey(&pe, live_pair(p), ni);
	assert_int_equal(id, 6);
	pe.req_exchange = IKE2_EX_CREATE_CHILD_SA;
	answer_rekey(&pe, id, 0xc0ffee0c);
	assert_int_equal(live_pair(p)->spi_out, 0xc0ffee0c);

	/* a rekey queued behind the sync, then this node standby again: the
	 * queue goes with the rest of its requests (it would have rekeyed
	 * the pair after its next takeover's sync) */
	ike_set_active(ike, 0);
	ike_set_active(ike, 1);
	assert_int_equal(ike_child_rekey(live_pair(p)), 0);
	assert_true(live_pair(p)->rekeying);
	ike_set_active(ike, 0);
	assert_false(live_pair(p)->rekeying);
	ike_set_active(ike, 1);
	pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
	assert_int_equal(take_mid_sync(&pe, &s), 0);
	answer_mid_sync(&pe, &s);
	pair_advance(p, 1000);
	assert_int_equal(ike2_peer_take_request(&pe, &id), -1);
	ike2_peer_free(&pe);
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_liveness),
		cmocka_unit_test(test_liveness_on_demand),
		cmocka_unit_test(test_deletes),
		cmocka_unit_test(test_mid_sync),
		cmocka_unit_test(test_standby_quiet),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_rekey_ours),
		cmocka_unit_test(test_rekey_collision),
		cmocka_unit_test(test_rekey_ike_ours),
		cmocka_unit_test(test_rekey_ike_collision),
		cmocka_unit_test(test_sync_first),
	};

	return cmocka_run_group_tests_name("ikev2_request", tests, NULL,
	    NULL);
}
