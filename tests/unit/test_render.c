/*
 * cli/render_crypto.c: the IOS layouts from facts, for the cases a live
 * pair does not show (no access list, a transform set not defined, an
 * entry with one match or none, IKE rows without counters, a key for a
 * subnet).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "cli/render.h"

static void
check(render_fn fn, const char *facts, const char *want)
{
	json_object	*data = json_tokener_parse(facts);
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*f;

	assert_non_null(data);
	assert_non_null(f = open_memstream(&text, &len));
	fn(data, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text, want);
	free(text);
	json_object_put(data);
}

static void
test_access_lists(void **state)
{
	(void)state;
	check(render_access_lists,
	    "{\"access_lists\": [{\"name\": \"VPN\", \"type\": \"Extended\","
	    " \"entries\": ["
	    "{\"seq\": 10, \"entry\": \"permit ip any host 10.1.1.1\","
	    " \"matches\": 1},"
	    "{\"seq\": 20, \"entry\": \"deny ip any any\", \"matches\": 0},"
	    "{\"seq\": 30, \"entry\": \"permit tcp any any eq 22\","
	    " \"matches\": 7}]}]}",
	    "Extended IP access list VPN\n"
	    "    10 permit ip any host 10.1.1.1 (1 match)\n"
	    "    20 deny ip any any\n"
	    "    30 permit tcp any any eq 22 (7 matches)\n");
}

static void
test_crypto_map_incomplete(void **state)
{
	(void)state;
	check(render_crypto_map,
	    "{\"maps\": [{\"name\": \"M\", \"interfaces\": [], \"entries\": ["
	    "{\"seq\": 20, \"type\": \"ipsec-isakmp\", \"peer\": null,"
	    " \"acl\": null, \"acl_defined\": false, \"acl_entries\": [],"
	    " \"lifetime_kbytes\": 4608000, \"lifetime_seconds\": 3600,"
	    " \"pfs\": false, \"dh_group\": \"none\", \"transform_sets\":"
	    " [{\"name\": \"NOPE\", \"transforms\": null}],"
	    " \"reverse_route\": false}]}]}",
	    "Crypto Map IPv4 \"M\" 20 ipsec-isakmp\n"
	    "        No matching address list set.\n"
	    "        Security association lifetime: 4608000 kilobytes/3600 "
	    "seconds\n"
	    "        Responder-Only (Y/N): N\n"
	    "        PFS (Y/N): N\n"
	    "        Mixed-mode : Disabled\n"
	    "        Transform sets={ \n"
	    "                NOPE:  (not defined) , \n"
	    "        }\n"
	    "        Interfaces using crypto map M:\n\n");
}

static void
test_isakmp_key_subnet(void **state)
{
	(void)state;
	check(render_isakmp_key,
	    "{\"keys\": [{\"keyring\": \"default\", \"address\": \"10.2.0.0\","
	    " \"mask\": \"255.255.0.0\", \"key\": \"k1\"}]}",
	    "Keyring      Hostname/Address                            "
	    "Preshared Key\n"
	    "default      10.2.0.0        [255.255.0.0    ]           k1\n");
}

static void
test_engine_conns(void **state)
{
	(void)state;
	check(render_engine_conns,
	    "{\"connections\": ["
	    "{\"id\": 3, \"type\": \"IPsec\", \"algorithm\": \"3DES+MD5\","
	    " \"encrypt\": 12, \"decrypt\": 0, \"last_seq\": 12,"
	    " \"ip_address\": \"10.0.0.1\"},"
	    "{\"id\": 1001, \"type\": \"IKE\", \"algorithm\": \"SHA+AES\","
	    " \"encrypt\": null, \"decrypt\": null, \"last_seq\": null,"
	    " \"ip_address\": \"10.0.0.1\"}]}",
	    "Crypto Engine Connections\n\n"
	    "   ID  Type    Algorithm           Encrypt  Decrypt LastSeqN "
	    "IP-Address\n"
	    "    3  IPsec   3DES+MD5                 12        0       12 "
	    "10.0.0.1\n"
	    " 1001  IKE     SHA+AES                   -        -        - "
	    "10.0.0.1\n");
}

static void
test_isakmp_peers_negotiating(void **state)
{
	(void)state;
	check(render_isakmp_peers,
	    "{\"peers\": [{\"peer\": \"10.0.0.20\", \"port\": 500,"
	    " \"local\": \"10.0.0.10\", \"phase1_id\": null}]}",
	    "Peer: 10.0.0.20 Port: 500 Local: 10.0.0.10\n"
	    " Phase1 id: (negotiating)\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_lists),
		cmocka_unit_test(test_crypto_map_incomplete),
		cmocka_unit_test(test_isakmp_key_subnet),
		cmocka_unit_test(test_engine_conns),
		cmocka_unit_test(test_isakmp_peers_negotiating),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
