/*
 * ike/v2/policy.c: the proposals for a local address, the profile for a
 * peer's identity, the keyring peer for its address and identity, the
 * identity we send; on a configuration parsed by conf/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "ike/v2/policy.h"

static const char text[] =
    "crypto ikev2 proposal P1\n encryption aes-cbc-256\n integrity sha256\n"
    " group 19\n"
    "crypto ikev2 proposal P2\n encryption aes-gcm-256\n prf sha256\n"
    " group 19\n"
    "crypto ikev2 proposal P3\n encryption aes-cbc-128\n integrity sha1\n"
    " group 14\n"
    "crypto ikev2 policy ANY\n proposal P3 P1\n"
    "crypto ikev2 policy VIP\n proposal P2 P1\n"
    " match address local 10.0.0.10\n"
    "crypto ikev2 policy VIP2\n proposal P1\n"
    " match address local 10.0.0.10\n"
    "crypto ikev2 keyring K\n"
    " peer NET\n  address 10.0.0.0 255.255.255.0\n  pre-shared-key net\n"
    " peer HOST\n  address 10.0.0.20\n  pre-shared-key host\n"
    " peer NAMED\n  identity fqdn Site.Example.NET\n  pre-shared-key named\n"
    "crypto ikev2 profile BYNAME\n match identity remote fqdn site.example.net\n"
    " identity local fqdn gw.example.net\n"
    " authentication local pre-share\n authentication remote pre-share\n"
    " keyring local K\n"
    "crypto ikev2 profile BYADDR\n"
    " match identity remote address 10.0.0.0 255.255.255.0\n"
    " authentication local pre-share\n authentication remote pre-share\n"
    " keyring local K\n";

static struct config *
load(void)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf = conf_load_mem("p.conf", text, strlen(text), &d);

	assert_non_null(cf);
	assert_int_equal(d.errors, 0);
	return cf;
}

static struct in_addr
A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static uint8_t	 idmem[64];

/* The identities point into idmem: one at a time. */
static struct ike2_id
id_fqdn(const char *s)
{
	struct ike2_id id;

	id.type = IKE2_ID_FQDN;
	id.len = strlen(s);
	memcpy(idmem, s, id.len);
	id.data = idmem;
	return id;
}

static struct ike2_id
id_addr(const char *s)
{
	struct ike2_id id;
	struct in_addr a = A(s);

	id.type = IKE2_ID_IPV4_ADDR;
	id.len = 4;
	memcpy(idmem, &a, 4);
	id.data = idmem;
	return id;
}

static void
test_policy_proposals(void **state)
{
	struct config	*cf = load();
	const struct conf_ikev2_proposal *p[8];
	int		 n;

	(void)state;
	/* the VIP's policies, in order, P1 once */
	n = ike2_policy_proposals(cf, A("10.0.0.10"), p, 8);
	assert_int_equal(n, 2);
	assert_string_equal(p[0]->name, "P2");
	assert_string_equal(p[1]->name, "P1");
	/* another address: the policy without a match */
	n = ike2_policy_proposals(cf, A("10.0.0.11"), p, 8);
	assert_int_equal(n, 2);
	assert_string_equal(p[0]->name, "P3");
	assert_string_equal(p[1]->name, "P1");
	/* the room given is kept */
	assert_int_equal(ike2_policy_proposals(cf, A("10.0.0.11"), p, 1), 1);
	conf_free(cf);
}

static void
test_profile_and_keys(void **state)
{
	struct config	*cf = load();
	const struct conf_ikev2_profile *x;
	const struct conf_ikev2_kpeer *pe;
	struct ike2_id	 id;
	struct ike2_idbuf b;
	char		 s[64];

	(void)state;
	/* an FQDN: any case */
	id = id_fqdn("SITE.example.net");
	x = ike2_profile_for_id(cf, &id);
	assert_non_null(x);
	assert_string_equal(x->name, "BYNAME");
	pe = ike2_keyring_peer(cf, x, A("192.0.2.1"), &id);
	assert_non_null(pe);
	assert_string_equal(pe->psk_remote, "named");
	/* an address inside the profile's match */
	id = id_addr("10.0.0.20");
	x = ike2_profile_for_id(cf, &id);
	assert_string_equal(x->name, "BYADDR");
	/* the host entry beats the /24, whatever the order */
	pe = ike2_keyring_peer(cf, x, A("10.0.0.20"), &id);
	assert_string_equal(pe->name, "HOST");
	pe = ike2_keyring_peer(cf, x, A("10.0.0.21"), &id);
	assert_string_equal(pe->name, "NET");
	assert_null(ike2_keyring_peer(cf, x, A("10.9.0.1"), &id));
	/* no profile for a stranger, nor for a name that only starts so */
	id = id_addr("10.0.1.1");
	assert_null(ike2_profile_for_id(cf, &id));
	id = id_fqdn("site.example.ne");
	assert_null(ike2_profile_for_id(cf, &id));
	/* the identity we send */
	ike2_id_from_conf(&cf->v2profiles[0].local_id, A("10.0.0.10"), &b);
	assert_int_equal(b.id.type, IKE2_ID_FQDN);
	ike2_id_str(&b.id, s, sizeof(s));
	assert_string_equal(s, "gw.example.net");
	ike2_id_from_conf(&cf->v2profiles[1].local_id, A("10.0.0.10"), &b);
	assert_int_equal(b.id.type, IKE2_ID_IPV4_ADDR);
	ike2_id_str(&b.id, s, sizeof(s));
	assert_string_equal(s, "10.0.0.10");
	/* a parsed identity kept */
	id = id_fqdn("kept.example");
	ike2_id_keep(&id, &b);
	memset(idmem, 0, sizeof(idmem));
	ike2_id_str(&b.id, s, sizeof(s));
	assert_string_equal(s, "kept.example");
	/* what came off the wire is printed safely */
	id = id_fqdn("a\nb");
	ike2_id_str(&id, s, sizeof(s));
	assert_string_equal(s, "a?b");
	id.type = 9;
	ike2_id_str(&id, s, sizeof(s));
	assert_string_equal(s, "(type 9)");
	conf_free(cf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_proposals),
		cmocka_unit_test(test_profile_and_keys),
	};

	return cmocka_run_group_tests_name("ikev2_policy", tests, NULL, NULL);
}
