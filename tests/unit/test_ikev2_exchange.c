/*
 * ike/v2/ as responder against a scripted initiator (ike2_peer.c): the
 * whole exchange and what it installs; retransmissions answered from the
 * cache; a wrong key, a wrong group, no common proposal; every
 * truncation of IKE_SA_INIT; a corrupted, a replayed and an out-of-window
 * request; Deletes; CREATE_CHILD_SA refused; the half-open limit;
 * transport mode.
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
	uint8_t		 body[1024], np;
	size_t		 len;

	pe->psk = PSK;
	if (ike2_peer_sa_init(pe, p, 19, 0) != 0)
		return -1;
	len = ike2_peer_auth_body(pe, body, sizeof(body), &np);
	assert_true(len > 0);
	return ike2_peer_request(pe, IKE2_EX_IKE_AUTH, np, body, len, 0);
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
	/* CREATE_CHILD_SA: not yet */
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_CREATE_CHILD_SA, 0,
	    NULL, 0, 0), 0);
	assert_int_equal(ike2_peer_notify(&pe), IKE2_N_NO_ADDITIONAL_SAS);
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

/* The engine's half-open limit holds IKEv2 responder SAs too. */
static void
test_halfopen_limit(void **state)
{
	struct pair	*p = responder(PSK);
	struct ike2_peer pe;

	(void)state;
	pair_log_init();
	p->n[0].ike->halfopen_max = 2;
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), -1);
	assert_int_equal(v2(p)->nsas, 2);
	assert_int_equal(v2(p)->st.halfopen_drop, 1);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_established),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_first_message_refused),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_halfopen_limit),
		cmocka_unit_test(test_transport_mode),
	};

	return cmocka_run_group_tests_name("ikev2_exchange", tests, NULL,
	    NULL);
}
