/*
 * ike/v2/ as responder against a scripted initiator (ike2_peer.c): the
 * whole exchange and what it installs; retransmissions answered from the
 * cache; a wrong key, a wrong group, no common proposal; every
 * truncation of IKE_SA_INIT; a corrupted, a replayed and an out-of-window
 * request; Deletes; the half-open limit; transport mode; CREATE_CHILD_SA:
 * a new CHILD SA, a CHILD rekey, PFS and its INVALID_KE_PAYLOAD round, an
 * unknown SA to rekey, the IKE SA's rekey and requests under the new SA.
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

static struct pair *
responder(const char *psk)
{
	char		*conf = ike2_peer_conf(psk);
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

/* IKE_SA_INIT then IKE_AUTH: 0 when the answer to IKE_AUTH opened. */
static int
establish(struct ike2_peer *pe, struct pair *p)
{
	return ike2_peer_establish(pe, p, PSK, 0);
}

static void
test_established(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe;
	struct ike_child *c;
	uint8_t		 first[IKE_MAX_MSG];
	size_t		 firstlen;

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, p), 0);
	assert_int_equal(ike2_peer_notify(&pe), 0);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(v2(p)->sas->state, IKE2_READY);
	assert_int_equal(v2(p)->halfopen, 0);
	/* the pair: our ESP SPI is its outbound one, GCM-256, the ACL's */
	c = p->n[0].ike->children;
	assert_non_null(c);
	assert_int_equal(c->spi_out, pe.esp_spi);
	assert_int_equal(c->xf.enc, ALG_ESP_GCM);
	assert_int_equal(c->xf.keybits, 256);
	assert_int_equal(c->v2_conn, v2(p)->sas->conn_id);
	assert_true(c->installed_in && c->installed_out);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 2);
	assert_int_equal(esp_fake_sa(p->n[0].be, c->conn_out)->spi,
	    pe.esp_spi);
	/* a retransmitted IKE_AUTH: the same answer, nothing new */
	memcpy(first, pe.resp, pe.resplen);
	firstlen = pe.resplen;
	assert_int_equal(ike2_peer_resend(&pe), 0);
	assert_int_equal(pe.resplen, firstlen);
	assert_memory_equal(pe.resp, first, firstlen);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	assert_int_equal(v2(p)->st.retransmits_answered, 1);
	/* a liveness check: an empty INFORMATIONAL, answered empty */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(pe.plainlen, 0);
	/* CREATE_CHILD_SA without an SA and a nonce */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_CREATE_CHILD_SA, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(ike2_peer_notify(&pe), IKE2_N_INVALID_SYNTAX);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	/* a Delete of the IKE SA takes its pair too */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(v2(p)->nsas, 0);
	assert_int_equal(p->n[0].ike->nchildren, 0);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 0);
	pair_free(p);
}

static void
test_wrong_key(void **state)
{
	struct pair	*p = responder("not-" PSK);
	struct ike2_peer pe;

	(void)state;
	pair_log_init();
	pair_log_reset();
	assert_int_equal(establish(&pe, p), 0);
	assert_int_equal(ike2_peer_notify(&pe), IKE2_N_AUTHENTICATION_FAILED);
	assert_int_equal(v2(p)->nsas, 0);
	assert_int_equal(v2(p)->st.auth_fail, 1);
	assert_int_equal(p->n[0].ike->nchildren, 0);
	assert_true(pair_log_has("its AUTH does not match the pre-shared "
	    "key"));
	pair_free(p);
}

static void
test_first_message_refused(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe;
	struct ike2_hdr	 h;
	struct ike2_pls	 pls;
	struct ike2_notify n;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	size_t		 full;

	(void)state;
	pair_log_init();
	/* a KE of a group offered nowhere: INVALID_KE_PAYLOAD naming 19 */
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 14, 0), 1);
	buf_init(&b, pe.resp, pe.resplen);
	assert_int_equal(ike2_hdr_parse(&b, &h, &notify, &err), 0);
	assert_int_equal(ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err), 0);
	assert_int_equal(pls.n, 1);
	assert_int_equal(ike2_notify_parse(pls.pl[0].body, &n, &err), 0);
	assert_int_equal(n.type, IKE2_N_INVALID_KE_PAYLOAD);
	assert_memory_equal(n.data, "\0\x13", 2);
	assert_true(pe.resplen <= pe.init_ilen);
	assert_int_equal(v2(p)->nsas, 0);
	/* every truncation: dropped, nothing kept, nothing larger sent */
	full = pe.init_ilen;
	for (size_t cut = 1; cut < full; cut++) {
		int	 rc = ike2_peer_sa_init(&pe, p, 19, cut);

		assert_int_equal(v2(p)->nsas, 0);
		if (rc != -1)
			assert_true(pe.resplen <= cut);
	}
	/* up to the version octet it is no IKEv2 message: IKEv1 counts it */
	assert_true(v2(p)->st.malformed + p->n[0].ike->st.malformed >=
	    full - 1);
	assert_true(v2(p)->st.malformed >= full - 18);
	/* and the whole message still works */
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(v2(p)->halfopen, 1);
	/* the half-open SA goes after its timeout */
	pair_advance(p, IKE2_NEG_TIMEOUT_MS + 1000);
	assert_int_equal(v2(p)->nsas, 0);
	assert_int_equal(v2(p)->halfopen, 0);
	pair_free(p);
}

static void
test_bad_requests(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe;
	uint8_t		 body[1024], np;
	size_t		 len;

	(void)state;
	pair_log_init();
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	len = ike2_peer_auth_body(&pe, body, sizeof(body), &np);
	/* a flipped octet anywhere in the ciphertext or ICV: dropped */
	for (size_t flip = IKE2_HDR_LEN + 4; flip < IKE2_HDR_LEN + 4 + 16 +
	    len; flip += 37) {
		pe.msgid = 1;
		assert_int_equal(ike2_peer_request(&pe, IKE2_EX_IKE_AUTH, np,
		    body, len, flip), -1);
	}
	assert_true(v2(p)->st.decrypt_fail > 0);
	assert_int_equal(v2(p)->sas->state, IKE2_R_INIT);
	/* a message ID ahead of the window: dropped */
	pe.msgid = 2;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_IKE_AUTH, np, body,
	    len, 0), -1);
	assert_int_equal(v2(p)->st.bad_msgid, 1);
	/* the genuine request still completes */
	pe.msgid = 1;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_IKE_AUTH, np, body,
	    len, 0), 0);
	assert_int_equal(v2(p)->sas->state, IKE2_READY);
	/* a garbage inner chain under valid keys: dropped, SA kept */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x30", 4, 0), -1);
	assert_int_equal(v2(p)->nsas, 1);
	/* a Delete of a CHILD SA by its SPI: answered with ours */
	body[0] = 0;
	memcpy(body, "\0\0\0\x0c\x03\x04\0\x01", 8);
	be32_put(body + 8, pe.esp_spi);
	pe.msgid = 2;
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, body, 12, 0), 0);
	assert_int_equal(p->n[0].ike->nchildren, 0);
	assert_true(pe.plainlen == 12);
	assert_int_equal(v2(p)->nsas, 1);
	pair_free(p);
}

/* The responder with crypto ikev2 cookie-challenge n. */
static struct pair *
responder_challenging(int n)
{
	char		*conf0 = ike2_peer_conf(PSK), *conf, line[80];
	struct pair	*p;

	snprintf(line, sizeof(line), "crypto ikev2 cookie-challenge %d\n"
	    "crypto ikev2 proposal", n);
	conf = pair_edit(conf0, "crypto ikev2 proposal", line);
	free(conf0);
	p = pair_new(conf, NULL);
	free(conf);
	assert_non_null(p);
	return p;
}

/* The engine's half-open limit holds IKEv2 responder SAs too. */
static void
test_halfopen_limit(void **state)
{
	struct pair	*p;
	struct ike2_peer pe;

	(void)state;
	pair_log_init();
	/* no COOKIE below the limit: the limit itself is what is tested */
	p = responder_challenging(1000);
	p->n[0].ike->halfopen_max = 2;
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), -1);
	assert_int_equal(v2(p)->nsas, 2);
	assert_int_equal(v2(p)->st.halfopen_drop, 1);
	pair_free(p);
}

/* The COOKIE notify's data in the last answer: its length, 0 if none. */
static size_t
answer_cookie(const struct ike2_peer *pe, uint8_t *out)
{
	struct ike2_hdr	 h;
	struct ike2_pls	 pls;
	struct ike2_notify n;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, pe->resp, pe->resplen);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1 ||
	    pls.n != 1 || pls.pl[0].type != IKE2_PL_N ||
	    ike2_notify_parse(pls.pl[0].body, &n, &err) == -1 ||
	    n.type != IKE2_N_COOKIE)
		return 0;
	memcpy(out, n.data, n.datalen);
	return n.datalen;
}

/*
 * COOKIE (RFC 7296 2.6): from crypto ikev2 cookie-challenge half-open SAs
 * on, an IKE_SA_INIT without the COOKIE made for its Ni, address and SPIi
 * is answered with one, statelessly and no larger than it came; the same
 * request with it first goes on, and its IKE_AUTH signs the message with
 * the COOKIE.  A COOKIE altered, or made for another SPIi, is refused and
 * counted.
 */
static void
test_cookie(void **state)
{
	struct pair	*p;
	struct ike2_peer pe, pe2;
	uint8_t		 ck[IKE2_COOKIE_MAX];
	size_t		 cklen;

	(void)state;
	pair_log_init();
	p = responder_challenging(1);
	pe.psk = pe2.psk = PSK;
	ike2_peer_cookie(NULL, 0);
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);	/* below */
	assert_int_equal(v2(p)->halfopen, 1);
	/* at the threshold: a COOKIE, no state */
	assert_int_equal(ike2_peer_sa_init(&pe2, p, 19, 0), 1);
	cklen = answer_cookie(&pe2, ck);
	assert_int_equal(cklen, IKE2_COOKIE_LEN);
	assert_true(pe2.resplen <= pe2.init_ilen);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(v2(p)->st.cookies_sent, 1);
	/* altered: refused, a new COOKIE instead */
	ck[5] ^= 1;
	ike2_peer_cookie(ck, cklen);
	assert_int_equal(ike2_peer_sa_init(&pe2, p, 19, 0), 1);
	assert_int_equal(v2(p)->st.cookies_bad, 1);
	assert_int_equal(v2(p)->nsas, 1);
	ck[5] ^= 1;
	/* made for another SPIi: refused */
	ike2_peer_cookie(NULL, 0);
	assert_int_equal(ike2_peer_sa_init(&pe2, p, 19, 0), 1);
	{
		uint8_t	 other[IKE2_COOKIE_MAX];

		assert_int_equal(answer_cookie(&pe2, other), IKE2_COOKIE_LEN);
		ike2_peer_cookie(ck, cklen);	/* the first one's */
		assert_int_equal(ike2_peer_sa_init(&pe2, p, 19, 0), 1);
		assert_int_equal(v2(p)->st.cookies_bad, 2);
		/* its own COOKIE, first: the SA goes on to IKE_AUTH */
		ike2_peer_cookie(other, IKE2_COOKIE_LEN);
	}
	assert_int_equal(ike2_peer_establish(&pe2, p, PSK, 0), 0);
	assert_int_equal(ike2_peer_notify(&pe2), 0);
	assert_int_equal(v2(p)->nsas, 2);
	assert_int_equal(v2(p)->st.sa_ok, 1);
	ike2_peer_cookie(NULL, 0);
	ike2_peer_free(&pe2);
	pair_free(p);
}

/*
 * Transport mode: the transform-set's mode transport and the peer's
 * USE_TRANSPORT_MODE (RFC 7296 1.3.1), echoed; without the notify,
 * tunnel mode.
 */
static void
test_transport_mode(void **state)
{
	char		*conf0 = ike2_peer_conf(PSK), *conf;
	struct pair	*p;
	struct ike2_peer pe;
	uint8_t		 body[1024], np;
	size_t		 len;

	(void)state;
	pair_log_init();
	conf = pair_edit(conf0, "esp-gcm 256\n", "esp-gcm 256\n mode "
	    "transport\n");
	free(conf0);
	for (int ask = 0; ask < 2; ask++) {
		p = pair_new(conf, NULL);
		assert_non_null(p);
		pe.psk = PSK;
		assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
		/* N(USE_TRANSPORT_MODE) in front of the usual payloads */
		len = ike2_peer_auth_body(&pe, body + 8, sizeof(body) - 8, &np);
		memcpy(body, "\0\0\0\x08\0\0\x40\x07", 8);
		body[0] = np;
		assert_int_equal(ike2_peer_request(&pe, IKE2_EX_IKE_AUTH,
		    ask ? IKE2_PL_N : np, ask ? body : body + 8,
		    ask ? len + 8 : len, 0), 0);
		assert_non_null(p->n[0].ike->children);
		assert_int_equal(p->n[0].ike->children->xf.tunnel, !ask);
		assert_int_equal(ike2_peer_notify(&pe),
		    ask ? IKE2_N_USE_TRANSPORT_MODE : 0);
		pair_free(p);
	}
	free(conf);
}

/* A CREATE_CHILD_SA for a CHILD SA: the answer's notify, 0 if none. */
static uint16_t
ask_child(struct ike2_peer *pe, uint32_t spi, uint32_t rekey, int group)
{
	uint8_t		 body[1024], np;
	size_t		 len;

	len = ike2_peer_child_body(pe, spi, rekey, group, body, sizeof(body),
	    &np);
	assert_true(len > 0);
	assert_int_equal(ike2_peer_request(pe, IKE2_EX_CREATE_CHILD_SA, np,
	    body, len, 0), 0);
	return ike2_peer_notify(pe);
}

/* Both sides derived the same keys for the pair the last answer made. */
static void
assert_keymat(struct ike2_peer *pe, const struct ike_child *c)
{
	uint8_t		 km[2 * ESP_MAX_ENC_KEY];

	assert_int_equal(c->akey_len, 0);	/* GCM */
	assert_int_equal(ike2_peer_child_keymat(pe, km, 2 * c->ekey_len), 0);
	assert_memory_equal(km, c->ekey_in, c->ekey_len);
	assert_memory_equal(km + c->ekey_len, c->ekey_out, c->ekey_len);
}

static struct ike_child *
child_out(struct pair *p, uint32_t spi)
{
	return ike_child_by_spi_out(p->n[0].ike, p->n[0].ike->children->remote,
	    spi);
}

/*
 * CREATE_CHILD_SA (1.3.1, 1.3.3): a second pair on the IKE SA, with the
 * same keys on both sides; the first one rekeyed (REKEY_SA) and then
 * deleted by the peer; an SA to rekey that is not there.
 */
static void
test_create_child(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe;
	struct ike_child *c, *first;
	uint32_t	 conn;

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, p), 0);
	conn = v2(p)->sas->conn_id;
	first = child_out(p, pe.esp_spi);
	assert_non_null(first);

	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 0), 0);
	assert_int_equal(p->n[0].ike->nchildren, 2);
	c = child_out(p, 0xc0ffee02);
	assert_non_null(c);
	assert_int_equal(c->v2_conn, conn);
	assert_true(c->installed_in && c->installed_out);
	assert_false(first->rekeyed);
	assert_keymat(&pe, c);
	/* a retransmission makes nothing new */
	assert_int_equal(ike2_peer_resend(&pe), 0);
	assert_int_equal(p->n[0].ike->nchildren, 2);

	/* the first pair rekeyed: the new one replaces it */
	assert_int_equal(ask_child(&pe, 0xc0ffee03, pe.esp_spi, 0), 0);
	assert_int_equal(p->n[0].ike->nchildren, 3);
	assert_true(first->rekeyed);
	c = child_out(p, 0xc0ffee03);
	assert_non_null(c);
	assert_false(c->rekeyed);
	assert_keymat(&pe, c);
	assert_int_equal(v2(p)->st.child_rekeys, 1);
	/* the peer deletes the old pair */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x0c\x03\x04\0\x01\xc0\xff"
	    "\xee\x01", 12, 0), 0);
	assert_int_equal(p->n[0].ike->nchildren, 2);
	assert_null(child_out(p, pe.esp_spi));

	/* a rekey of a pair that is gone (2.25) */
	assert_int_equal(ask_child(&pe, 0xc0ffee04, 0xc0ffee01, 0),
	    IKE2_N_CHILD_SA_NOT_FOUND);
	assert_int_equal(p->n[0].ike->nchildren, 2);
	ike2_peer_free(&pe);
	pair_free(p);
}

/*
 * PFS in CREATE_CHILD_SA: the entry's group asked for with
 * INVALID_KE_PAYLOAD, then the pair with keys from the new DH; the
 * initiator's own PFS taken when the entry asks none.
 */
static void
test_create_child_pfs(void **state)
{
	char		*conf0 = ike2_peer_conf(PSK), *conf;
	struct pair	*p;
	struct ike2_peer pe;
	struct ike_child *c;

	(void)state;
	pair_log_init();
	conf = pair_edit(conf0, " set ikev2-profile PROF\n", " set ikev2-"
	    "profile PROF\n set pfs group14\n");
	p = pair_new(conf, NULL);
	assert_non_null(p);
	assert_int_equal(establish(&pe, p), 0);
	/* no KE: the entry requires PFS */
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 0),
	    IKE2_N_NO_PROPOSAL_CHOSEN);
	/* an offer of group 19 only, not the entry's */
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 19),
	    IKE2_N_NO_PROPOSAL_CHOSEN);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	ike2_peer_free(&pe);
	pair_free(p);
	free(conf);

	/* the entry asks group 19: a KE of 19 makes the pair */
	conf = pair_edit(conf0, " set ikev2-profile PROF\n", " set ikev2-"
	    "profile PROF\n set pfs group19\n");
	p = pair_new(conf, NULL);
	assert_non_null(p);
	assert_int_equal(establish(&pe, p), 0);
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 19), 0);
	c = child_out(p, 0xc0ffee02);
	assert_non_null(c);
	assert_int_equal(c->xf.group, 19);
	assert_keymat(&pe, c);
	ike2_peer_free(&pe);
	pair_free(p);
	free(conf);

	/* the entry asks none: the initiator's group 19 taken */
	p = pair_new(conf0, NULL);
	assert_non_null(p);
	assert_int_equal(establish(&pe, p), 0);
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 19), 0);
	c = child_out(p, 0xc0ffee02);
	assert_non_null(c);
	assert_int_equal(c->xf.group, 19);
	assert_keymat(&pe, c);
	ike2_peer_free(&pe);
	pair_free(p);
	free(conf0);
}

/*
 * The IKE SA rekeyed (1.3.2, 2.18): a new SA with keys from the old SK_d
 * and a new DH, the pairs moved to it, requests under it; the old one
 * answers its Delete and takes no pair with it; a KE of the wrong group
 * first.
 */
static void
test_rekey_ike(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe, ne;
	struct ike2_sa	*old, *sa;

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, p), 0);
	old = v2(p)->sas;
	assert_int_equal(ask_child(&pe, 0xc0ffee02, 0, 0), 0);
	/* a KE of a group other than the one chosen: the one we want */
	assert_int_equal(ike2_peer_rekey_ike(&pe, 14, &ne), 1);
	assert_int_equal(ike2_peer_notify(&pe), IKE2_N_INVALID_KE_PAYLOAD);
	assert_int_equal(v2(p)->nsas, 1);

	assert_int_equal(ike2_peer_rekey_ike(&pe, 19, &ne), 0);
	assert_int_equal(v2(p)->nsas, 2);
	assert_int_equal(v2(p)->st.ike_rekeys, 1);
	sa = ike2_sa_find(v2(p), ne.spii, ne.spir);
	assert_non_null(sa);
	assert_int_equal(sa->state, IKE2_READY);
	assert_int_equal(old->state, IKE2_REKEYED);
	assert_int_equal(v2(p)->halfopen, 0);
	for (struct ike_child *c = p->n[0].ike->children; c != NULL;
	    c = c->next)
		assert_int_equal(c->v2_conn, sa->conn_id);
	/* the old SA takes no new pair */
	assert_int_equal(ask_child(&pe, 0xc0ffee03, 0, 0),
	    IKE2_N_TEMPORARY_FAILURE);
	/* the new one does, under its keys, from message ID 0 */
	assert_int_equal(ask_child(&ne, 0xc0ffee03, 0, 0), 0);
	assert_int_equal(p->n[0].ike->nchildren, 3);
	/* the old SA deleted: the pairs stay with the new one */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(v2(p)->nsas, 1);
	assert_int_equal(p->n[0].ike->nchildren, 3);
	/* liveness on the new SA */
	assert_int_equal(ike2_peer_request(&ne, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	/* the new SA deleted: every pair goes */
	assert_int_equal(ike2_peer_request(&ne, IKE2_EX_INFORMATIONAL,
	    IKE2_PL_D, (const uint8_t *)"\0\0\0\x08\x01\0\0\0", 8, 0), 0);
	assert_int_equal(v2(p)->nsas, 0);
	assert_int_equal(p->n[0].ike->nchildren, 0);
	ike2_peer_free(&pe);
	ike2_peer_free(&ne);
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_established),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_first_message_refused),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_halfopen_limit),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_transport_mode),
		cmocka_unit_test(test_create_child),
		cmocka_unit_test(test_create_child_pfs),
		cmocka_unit_test(test_rekey_ike),
	};

	return cmocka_run_group_tests_name("ikev2_exchange", tests, NULL,
	    NULL);
}
