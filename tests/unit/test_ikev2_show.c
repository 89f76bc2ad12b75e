/*
 * ike/v2/show.c against a real IKEv2 SA (the scripted initiator of
 * ike2_peer.c): the facts of show crypto ikev2 sa [detail], session,
 * stats and show crypto session (SPIs, algorithms, state, the CHILD SA),
 * clear crypto ikev2 sa, and the trace lines of debug crypto ikev2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
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

static int
establish(struct ike2_peer *pe, struct pair *p)
{
	return ike2_peer_establish(pe, p, PSK, 0);
}

static json_object *
get(json_object *o, const char *k)
{
	json_object	*v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static const char *
str(json_object *o, const char *k)
{
	return json_object_get_string(get(o, k));
}

static int64_t
num(json_object *o, const char *k)
{
	return json_object_get_int64(get(o, k));
}

static json_object *
at(json_object *o, const char *k, size_t i)
{
	json_object	*a = get(o, k);

	assert_true(json_object_is_type(a, json_type_array));
	assert_true(json_object_array_length(a) > i);
	return json_object_array_get_idx(a, i);
}

static void
hex(const uint8_t *spi, char *out)
{
	for (int i = 0; i < IKE2_SPI_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", spi[i]);
}

static void
test_sa_and_session(void **state)
{
	struct pair	*p = responder();
	struct ike	*ike;
	struct ike2_peer pe;
	struct ike_child *c;
	json_object	*d, *sa, *s, *ch;
	struct in_addr	 end;
	uint32_t	 id;
	char		 spi[17], a[INET_ADDRSTRLEN];

	(void)state;
	pair_log_init();
	assert_int_equal(establish(&pe, p), 0);
	ike = p->n[0].ike;
	c = ike->children;
	assert_non_null(c);
	pair_advance(p, 5000);

	/* show crypto ikev2 sa detail */
	d = json_object_new_object();
	ike2_show_sa(ike, 1, d);
	assert_true(json_object_get_boolean(get(d, "detail")));
	assert_int_equal(json_object_array_length(get(d, "sas")), 1);
	sa = at(d, "sas", 0);
	assert_int_equal(num(sa, "tunnel_id"), ike->v2->sas->conn_id);
	assert_string_equal(str(sa, "status"), "READY");
	assert_string_equal(str(sa, "local"), "10.0.0.11");
	assert_int_equal(num(sa, "local_port"), 500);
	assert_string_equal(str(sa, "encryption"), "AES-CBC");
	assert_int_equal(num(sa, "keysize"), 256);
	assert_string_equal(str(sa, "prf"), "SHA256");
	assert_string_equal(str(sa, "hash"), "SHA256");
	assert_int_equal(num(sa, "dh_group"), 19);
	assert_string_equal(str(sa, "auth_sign"), "PSK");
	assert_int_equal(num(sa, "active_time"), 5);
	assert_true(num(sa, "lifetime") > 0);
	assert_int_equal(num(sa, "child_count"), 1);
	/* the responder's SPI is ours */
	hex(pe.spir, spi);
	assert_string_equal(str(sa, "local_spi"), spi);
	hex(pe.spii, spi);
	assert_string_equal(str(sa, "remote_spi"), spi);
	assert_string_equal(str(sa, "role"), "responder");
	/* IKE_SA_INIT was 0, IKE_AUTH 1: the peer's next request is 2 */
	assert_int_equal(num(sa, "remote_req_msgid"), 1);
	assert_int_equal(num(sa, "remote_next_msgid"), 2);
	assert_int_equal(num(sa, "session_id"), num(sa, "tunnel_id"));
	assert_false(json_object_get_boolean(get(sa, "nat_local")));
	json_object_put(d);

	/* without detail: no SPIs */
	d = json_object_new_object();
	ike2_show_sa(ike, 0, d);
	assert_false(json_object_object_get_ex(at(d, "sas", 0), "local_spi",
	    NULL));
	json_object_put(d);

	/* show crypto ikev2 session: the IKE SA with its CHILD SA */
	d = json_object_new_object();
	ike2_show_session(ike, 1, d);
	s = at(d, "sessions", 0);
	assert_string_equal(str(s, "status"), "UP-ACTIVE");
	assert_int_equal(num(s, "ike_count"), 1);
	assert_int_equal(num(s, "child_count"), 1);
	ch = at(at(s, "sas", 0), "children", 0);
	assert_int_equal(num(ch, "spi_in"), c->spi_in);
	assert_int_equal(num(ch, "spi_out"), pe.esp_spi);
	assert_string_equal(str(ch, "encryption"), "AES-GCM");
	assert_int_equal(num(ch, "keysize"), 256);
	assert_string_equal(str(ch, "esp_hmac"), "None");
	assert_string_equal(str(ch, "mode"), "tunnel");
	assert_string_equal(str(ch, "local_start"), addr_str(c->sel.src, a));
	end.s_addr = c->sel.dst.s_addr | ~c->sel.dst_mask.s_addr;
	assert_string_equal(str(ch, "remote_end"), addr_str(end, a));
	assert_int_equal(num(ch, "local_port_end"), c->sel.sport != 0 ?
	    c->sel.sport : 65535);
	json_object_put(d);

	/* show crypto session: an IKEv2 SA, the session UP-ACTIVE */
	d = json_object_new_object();
	ike_show_session(ike, 1, d);
	s = at(d, "sessions", 0);
	assert_string_equal(str(s, "status"), "UP-ACTIVE");
	assert_string_equal(str(at(s, "ike", 0), "version"), "IKEv2");
	assert_string_equal(str(at(s, "ike", 0), "status"), "Active");
	assert_int_equal(num(get(at(s, "flows", 0), "sa"), "spi_out"),
	    pe.esp_spi);
	json_object_put(d);

	/* show crypto ikev2 stats */
	d = json_object_new_object();
	ike2_show_stats(ike, d);
	assert_int_equal(num(d, "sas"), 1);
	assert_int_equal(num(d, "sas_ready"), 1);
	assert_int_equal(num(d, "sas_negotiating"), 0);
	assert_int_equal(num(d, "sa_ok"), 1);
	assert_int_equal(num(d, "child_ok"), 1);
	assert_int_equal(num(d, "child_sas"), 1);
	assert_int_equal(num(d, "rx"), 2);
	json_object_put(d);

	/* clear: an unknown Tunnel-id deletes nothing; the SA's all */
	assert_int_equal(ike2_clear_sa(ike, ike->v2->sas->conn_id + 7), 0);
	assert_int_equal(ike->v2->nsas, 1);
	assert_int_equal(ike2_clear_sa(ike, ike->v2->sas->conn_id), 1);
	/* the pair at once; the SA when the peer answers its Delete */
	assert_int_equal(ike->nchildren, 0);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 0);
	assert_int_equal(ike->v2->sas->state, IKE2_DELETING);
	d = json_object_new_object();
	ike2_show_sa(ike, 0, d);
	assert_string_equal(str(at(d, "sas", 0), "status"), "DELETE");
	json_object_put(d);
	assert_int_equal(ike2_peer_take_request(&pe, &id), 0);
	ike2_peer_answer(&pe, id, 0, NULL, 0, 0);
	assert_int_equal(ike->v2->nsas, 0);
	d = json_object_new_object();
	ike2_show_sa(ike, 1, d);
	assert_int_equal(json_object_array_length(get(d, "sas")), 0);
	json_object_put(d);
	pair_free(p);
}

/* A half-open SA: IN-NEG, DOWN-NEGOTIATING; clear 0 takes every SA. */
static void
test_negotiating_and_clear_all(void **state)
{
	struct pair	*p = responder();
	struct ike	*ike;
	struct ike2_peer pe, pe2;
	uint32_t	 id;
	json_object	*d, *sa, *s;

	(void)state;
	pair_log_init();
	pe.psk = PSK;
	assert_int_equal(ike2_peer_sa_init(&pe, p, 19, 0), 0);
	ike = p->n[0].ike;
	d = json_object_new_object();
	ike2_show_sa(ike, 1, d);
	sa = at(d, "sas", 0);
	assert_string_equal(str(sa, "status"), "IN-NEG");
	assert_string_equal(str(sa, "local_id"), "");
	assert_int_equal(num(sa, "active_time"), 0);
	json_object_put(d);
	d = json_object_new_object();
	ike2_show_session(ike, 0, d);
	s = at(d, "sessions", 0);
	assert_string_equal(str(s, "status"), "DOWN-NEGOTIATING");
	json_object_put(d);
	d = json_object_new_object();
	ike_show_session(ike, 0, d);
	s = at(d, "sessions", 0);
	assert_string_equal(str(s, "status"), "DOWN-NEGOTIATING");
	assert_string_equal(str(at(s, "ike", 0), "status"), "Inactive");
	json_object_put(d);
	/* a second peer SA of the same addresses: one session, two SAs */
	assert_int_equal(establish(&pe2, p), 0);
	d = json_object_new_object();
	ike2_show_session(ike, 0, d);
	assert_int_equal(json_object_array_length(get(d, "sessions")), 1);
	s = at(d, "sessions", 0);
	assert_int_equal(num(s, "ike_count"), 2);
	assert_string_equal(str(s, "status"), "UP-ACTIVE");
	/* the oldest SA first; it names the session */
	assert_int_equal(num(s, "session_id"),
	    num(at(s, "sas", 0), "tunnel_id"));
	json_object_put(d);
	d = json_object_new_object();
	ike2_show_stats(ike, d);
	assert_int_equal(num(d, "sas"), 2);
	assert_int_equal(num(d, "sas_negotiating"), 1);
	json_object_put(d);
	assert_int_equal(ike2_clear_sa(ike, 0), 2);
	/* the half-open SA at once, the other when its Delete is answered */
	assert_int_equal(ike->v2->nsas, 1);
	assert_int_equal(ike->v2->halfopen, 0);
	assert_int_equal(ike->nchildren, 0);
	assert_int_equal(ike2_peer_take_request(&pe2, &id), 0);
	ike2_peer_answer(&pe2, id, 0, NULL, 0, 0);
	assert_int_equal(ike->v2->nsas, 0);
	pair_free(p);
}

/* debug crypto ikev2: each message in and out, and what SK holds. */
static void
test_trace(void **state)
{
	struct pair	*p = responder();
	struct ike2_peer pe;

	(void)state;
	pair_log_init();
	if (pair_log_text() == NULL) {
		/* IKE_TRACE set: the lines go to stderr, unchecked */
		pair_free(p);
		return;
	}
	pair_log_reset();
	assert_int_equal(establish(&pe, p), 0);
	assert_false(pair_log_has("Received Packet"));
	log_set_debug(LOG_IKEV2, 1);
	pair_log_reset();
	assert_int_equal(establish(&pe, p), 0);
	assert_true(pair_log_has("IKEv2: Received Packet [From 10.0.0."));
	assert_true(pair_log_has("IKEv2 IKE_SA_INIT Exchange REQUEST Payload "
	    "contents: SA KE No"));
	assert_true(pair_log_has("IKEv2 IKE_SA_INIT Exchange RESPONSE Payload "
	    "contents: SA KE No N(NAT_DETECTION_SOURCE_IP) "
	    "N(NAT_DETECTION_DESTINATION_IP)"));
	assert_true(pair_log_has("IKEv2 IKE_AUTH Exchange REQUEST Payload "
	    "contents: SK"));
	assert_true(pair_log_has("Message id: 1 decrypted: Payload contents: "
	    "IDi AUTH SA TSi TSr"));
	assert_true(pair_log_has("Message id: 1 to encrypt: Payload "
	    "contents: IDr AUTH N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED) SA TSi "
	    "TSr"));
	assert_true(pair_log_has("IKE_SA_INIT from 10.0.0."));
	/* never key material: no AUTH data, only the names */
	log_set_debug(LOG_IKEV2, 0);
	pair_log_reset();
	assert_int_equal(ike2_peer_request(&pe, IKE2_EX_INFORMATIONAL, 0,
	    NULL, 0, 0), 0);
	assert_false(pair_log_has("Packet"));
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_and_session),
		cmocka_unit_test(test_negotiating_and_clear_all),
		cmocka_unit_test(test_trace),
	};

	return cmocka_run_group_tests_name("ikev2_show", tests, NULL, NULL);
}
