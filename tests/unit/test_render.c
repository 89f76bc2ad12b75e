/*
 * cli/render_crypto.c: the IOS layouts from facts, for the cases a live
 * pair does not show (no access list, a transform set not defined, an
 * entry with one match or none, IKE rows without counters, a key for a
 * subnet), the IKE statistics rows, and show crypto ha's sync facts
 * (cli/render_hasync.c).
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

/* An entry naming an IKEv2 profile shows it under the peer, as IOS. */
static void
test_crypto_map_ikev2_profile(void **state)
{
	(void)state;
	check(render_crypto_map,
	    "{\"maps\": [{\"name\": \"M\", \"interfaces\": [], \"entries\": ["
	    "{\"seq\": 30, \"type\": \"ipsec-isakmp\", \"peer\": \"10.0.0.40\","
	    " \"ikev2_profile\": \"SITE-C\","
	    " \"acl\": null, \"acl_defined\": false, \"acl_entries\": [],"
	    " \"lifetime_kbytes\": 4608000, \"lifetime_seconds\": 3600,"
	    " \"pfs\": false, \"dh_group\": \"none\", \"transform_sets\": [],"
	    " \"reverse_route\": false}]}]}",
	    "Crypto Map IPv4 \"M\" 30 ipsec-isakmp\n"
	    "        Peer = 10.0.0.40\n"
	    "        IKEv2 Profile: SITE-C\n"
	    "        No matching address list set.\n"
	    "        Current peer: 10.0.0.40\n"
	    "        Security association lifetime: 4608000 kilobytes/3600 "
	    "seconds\n"
	    "        Responder-Only (Y/N): N\n"
	    "        PFS (Y/N): N\n"
	    "        Mixed-mode : Disabled\n"
	    "        Transform sets={ \n"
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

/*
 * show crypto isakmp statistics under a spoofed Aggressive Mode burst:
 * the answers held back because they would have exceeded what their
 * unverified source sent (amp_suppressed).
 */
static void
test_isakmp_stats(void **state)
{
	(void)state;
	check(render_isakmp_stats,
	    "{\"active\": true, \"isakmp_sas\": 40, \"halfopen\": 32,"
	    " \"rx\": 2000, \"tx\": 96, \"halfopen_drop\": 950,"
	    " \"amp_suppressed\": 50}",
	    "IKE is active\n\n"
	    "ISAKMP SAs                       40\n"
	    "  in negotiation (responder)     32\n"
	    "IPsec SA pairs                   0\n"
	    "Messages received                2000\n"
	    "Messages sent                    96\n"
	    "Retransmissions                  0\n"
	    "Duplicates received              0\n"
	    "  not answered (beyond 5 a message) 0\n"
	    "Phase 1 established              0\n"
	    "Phase 1 failed                   0\n"
	    "Phase 2 established              0\n"
	    "Phase 2 failed                   0\n"
	    "Dropped: malformed               0\n"
	    "Dropped: invalid cookies         0\n"
	    "Dropped: not decryptable         0\n"
	    "Dropped: HASH mismatch           0\n"
	    "Authentication failures          0\n"
	    "Refused: no pre-shared key       0\n"
	    "No proposal chosen               0\n"
	    "Proxy identities refused         0\n"
	    "Dropped: negotiation limit       950\n"
	    "Aggressive Mode refused          0\n"
	    "Not sent: beyond bytes received  50\n"
	    "Dropped: message ID reused       0\n"
	    "Dropped: other                   0\n"
	    "Ignored while standby            0\n"
	    "Notifications sent               0\n"
	    "Notifications received           0\n"
	    "Deletes sent                     0\n"
	    "Deletes received                 0\n"
	    "DPD R-U-THERE sent               0\n"
	    "DPD R-U-THERE-ACK received       0\n"
	    "Peers declared dead              0\n");
}

/* show crypto ha on an active whose standby lags: the state queue line. */
static void
test_crypto_ha_state_queue(void **state)
{
	(void)state;
	check(render_crypto_ha,
	    "{\"configured\": true, \"stateful\": true, \"vips\": [],"
	    " \"my_state\": {\"name\": \"ACTIVE\", \"number\": 13},"
	    " \"peer_state\": {\"name\": \"STANDBY COLD\", \"number\": 4},"
	    " \"isakmp_sas\": {\"local\": 3, \"synced\": 3},"
	    " \"ipsec_sa_pairs\": {\"local\": 3, \"synced\": 3},"
	    " \"bulk\": {\"state\": \"none\", \"sent\": 2,"
	    " \"requests_repeated\": 1,"
	    " \"state_queue_records\": 40, \"state_queue_bytes\": 2300000,"
	    " \"state_queue_counted_records\": 6,"
	    " \"state_queue_counted_bytes\": 1800,"
	    " \"state_queue_max_records\": 32768,"
	    " \"state_queue_max_bytes\": 8388608,"
	    " \"state_queue_coalesced\": 120, \"state_queue_overflows\": 1},"
	    " \"counters\": {\"replay_interval\": []}, \"sas\": {},"
	    " \"messages\": {\"sent\": {\"session-end\": 1},"
	    " \"received\": {}}, \"drops\": {}}",
	    "\nCrypto HA: configured, stateful; my state ACTIVE (13), peer "
	    "STANDBY COLD (4)\n"
	    "  ISAKMP SAs:      3 local, 3 synced\n"
	    "  IKEv2 SAs:       0 local, 0 synced\n"
	    "  IPsec SA pairs:  3 local, 3 synced\n"
	    "  Bulk sync: none, received 0/0 ISAKMP 0/0 IKEv2 0/0 IPsec; last 0 ms (0 ms "
	    "from the channel up), 0 bytes; sent 2 (asked again 1), "
	    "received 0\n"
	    "  State queue: 40 records, 2300000 bytes; besides the snapshot 6 "
	    "records, 1800 bytes (bound 32768, 8388608 bytes); coalesced 120; "
	    "overflows 1\n"
	    "  Counters: oldest update 0 ms ago (0 never updated, 0 older than "
	    "0 ms); sent 0, applied 0\n"
	    "  Takeover: 0 counters jumped, 0 exact, 0 rekeyed, 0 rekeyed "
	    "after a split brain\n"
	    "  Messages: 0 records (0 bytes) sent, 0 (0 bytes) received\n"
	    "    sent     session-end          1\n"
	    "  Dropped:\n");
}

/* show crypto ikev2 sa: IOS's table, then its detailed lines. */
#define IKEV2_SA_FACTS							\
	"{\"tunnel_id\": 1, \"local\": \"192.0.2.1\", \"local_port\": 500,"\
	" \"remote\": \"198.51.100.2\", \"remote_port\": 4500,"		\
	" \"status\": \"READY\", \"encryption\": \"AES-CBC\","		\
	" \"keysize\": 256, \"prf\": \"SHA256\", \"hash\": \"SHA256\","	\
	" \"dh_group\": 14, \"auth_sign\": \"PSK\","			\
	" \"auth_verify\": \"PSK\", \"lifetime\": 86400,"		\
	" \"active_time\": 12, \"session_id\": 1,"			\
	" \"status_description\": \"Negotiation done\","		\
	" \"role\": \"responder\", \"local_spi\": \"8A8B2F2F5A0B7D54\","\
	" \"remote_spi\": \"3E7C6E1D17E9DE6F\", \"local_id\": \"192.0.2.1\","\
	" \"remote_id\": \"peer.example.net\", \"local_req_msgid\": 0,"	\
	" \"local_next_msgid\": 0, \"remote_req_msgid\": 2,"		\
	" \"remote_next_msgid\": 3, \"local_window\": 1,"		\
	" \"remote_window\": 1, \"nat_local\": false,"			\
	" \"nat_remote\": true, \"fragmentation_mtu\": 1280"

#define IKEV2_SA_ROW							\
	"Tunnel-id Local                 Remote                fvrf/ivrf"	\
	"            Status \n"						\
	"1         192.0.2.1/500         198.51.100.2/4500     none/none"	\
	"            READY  \n"						\
	"      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH "	\
	"Grp:14, Auth sign: PSK, Auth verify: PSK\n"			\
	"      Life/Active Time: 86400/12 sec\n"

#define IKEV2_SA_DETAIL							\
	"      Session-id: 1\n"						\
	"      Status Description: Negotiation done\n"			\
	"      Local spi: 8A8B2F2F5A0B7D54       Remote spi: "		\
	"3E7C6E1D17E9DE6F\n"						\
	"      Local id: 192.0.2.1\n"					\
	"      Remote id: peer.example.net\n"				\
	"      Local req msg id:  0               Remote req msg id:  2"	\
	"         \n"							\
	"      Local next msg id: 0               Remote next msg id: 3"	\
	"         \n"							\
	"      Local window:      1               Remote window:      1"	\
	"         \n"							\
	"      Fragmentation configured, MTU 1280.\n"			\
	"      NAT-T is detected outside\n"				\
	"      Initiator of SA : No\n"

static void
test_ikev2_sa(void **state)
{
	(void)state;
	check(render_ikev2_sa,
	    "{\"detail\": false, \"sas\": [" IKEV2_SA_FACTS "}]}",
	    " IPv4 Crypto IKEv2  SA \n\n" IKEV2_SA_ROW
	    "\n IPv6 Crypto IKEv2  SA \n\n");
	check(render_ikev2_sa,
	    "{\"detail\": true, \"sas\": [" IKEV2_SA_FACTS "}]}",
	    " IPv4 Crypto IKEv2  SA \n\n" IKEV2_SA_ROW IKEV2_SA_DETAIL
	    "\n IPv6 Crypto IKEv2  SA \n\n");
	check(render_ikev2_sa, "{\"detail\": false, \"sas\": []}",
	    " IPv4 Crypto IKEv2  SA \n\n"
	    "Tunnel-id Local                 Remote                fvrf/ivrf"
	    "            Status \n"
	    "\n IPv6 Crypto IKEv2  SA \n\n");
}

#define IKEV2_CHILD_FACTS						\
	"{\"local_start\": \"192.168.1.0\", \"local_end\": "		\
	"\"192.168.1.255\", \"local_port_start\": 0, \"local_port_end\":"\
	" 65535, \"remote_start\": \"10.9.0.5\", \"remote_end\": "	\
	"\"10.9.0.5\", \"remote_port_start\": 22, \"remote_port_end\": 22,"\
	" \"spi_in\": 3985009212, \"spi_out\": 162, \"encryption\": "	\
	"\"AES-GCM\", \"keysize\": 256, \"esp_hmac\": \"None\","	\
	" \"mode\": \"tunnel\"}"

#define IKEV2_CHILD							\
	"Child sa: local selector  192.168.1.0/0 - 192.168.1.255/65535\n"	\
	"          remote selector 10.9.0.5/22 - 10.9.0.5/22\n"		\
	"          ESP spi in/out: 0xED866A3C/0xA2  \n"

static void
test_ikev2_session(void **state)
{
	(void)state;
	check(render_ikev2_session,
	    "{\"detail\": false, \"sessions\": [{\"session_id\": 1,"
	    " \"status\": \"UP-ACTIVE\", \"ike_count\": 1, \"child_count\": 1,"
	    " \"sas\": [" IKEV2_SA_FACTS ", \"children\": ["
	    IKEV2_CHILD_FACTS "]}]}]}",
	    " IPv4 Crypto IKEv2 Session \n\n"
	    "Session-id:1, Status:UP-ACTIVE, IKE count:1, CHILD count:1\n\n"
	    IKEV2_SA_ROW IKEV2_CHILD "\n"
	    " IPv6 Crypto IKEv2 Session \n\n");
	check(render_ikev2_session,
	    "{\"detail\": true, \"sessions\": [{\"session_id\": 1,"
	    " \"status\": \"UP-ACTIVE\", \"ike_count\": 1, \"child_count\": 1,"
	    " \"sas\": [" IKEV2_SA_FACTS ", \"children\": ["
	    IKEV2_CHILD_FACTS "]}]}]}",
	    " IPv4 Crypto IKEv2 Session \n\n"
	    "Session-id:1, Status:UP-ACTIVE, IKE count:1, CHILD count:1\n\n"
	    IKEV2_SA_ROW IKEV2_SA_DETAIL IKEV2_CHILD
	    "          AH spi in/out: 0x0/0x0  \n"
	    "          CPI in/out: 0x0/0x0  \n"
	    "          Encr: AES-GCM, keysize: 256, esp_hmac: None\n"
	    "          ah_hmac: None, comp: IPCOMP_NONE, mode tunnel\n\n"
	    " IPv6 Crypto IKEv2 Session \n\n");
}

static void
test_ikev2_stats(void **state)
{
	(void)state;
	check(render_ikev2_stats,
	    "{\"sas\": 3, \"sas_ready\": 2, \"sas_negotiating\": 1,"
	    " \"sas_outgoing\": 2, \"sas_outgoing_ready\": 1,"
	    " \"sas_outgoing_negotiating\": 1,"
	    " \"max_in_negotiation\": 1000, \"child_sas\": 2, \"rx\": 40,"
	    " \"malformed\": 1, \"no_sa\": 2, \"bad_msgid\": 0,"
	    " \"retransmits_answered\": 3, \"decrypt_fail\": 0,"
	    " \"auth_fail\": 1, \"no_proposal\": 0, \"invalid_ke\": 4,"
	    " \"ts_unacceptable\": 0, \"sa_ok\": 5, \"child_ok\": 5,"
	    " \"child_rekeys\": 2, \"ike_rekeys\": 2,"
	    " \"ike_rekeys_ours\": 1,"
	    " \"requests_sent\": 6, \"requests_retransmitted\": 3,"
	    " \"liveness_sent\": 4, \"peers_dead\": 1,"
	    " \"deletes_unsent\": 0, \"mid_syncs\": 2,"
	    " \"mid_sync_failed\": 0, \"nat_keepalives\": 9,"
	    " \"rekeys_failed\": 1, \"rekey_collisions\": 0,"
	    " \"frags_tx\": 3, \"frags_rx\": 4, \"frags_reassembled\": 2,"
	    " \"frags_dropped\": 1,"
	    " \"deletes_rx\": 3, \"halfopen_drop\": 6, \"active\": true}",
	    "--------------------------------------------------------------"
	    "------------------\n"
	    "                  Crypto IKEv2 SA Statistics\n"
	    "--------------------------------------------------------------"
	    "------------------\n"
	    "System Resource Limit:   0        Max IKEv2 SAs: 0        Max "
	    "in-negotiation: 1000\n"
	    "Total incoming IKEv2 SA Count:    3        active:        2      "
	    "  negotiating: 1\n"
	    "Total outgoing IKEv2 SA Count:    2        active:        1      "
	    "  negotiating: 1\n"
	    "Rejected IKEv2 Requests: 6        rsrc low:      0        SA "
	    "limit:    6\n"
	    "IKEv2 packets dropped at dispatch: 3\n"
	    "\nIKE is active; CHILD SAs: 2\n"
	    "Messages received                        40\n"
	    "Retransmitted requests answered          3\n"
	    "IKE SAs established                      5\n"
	    "CHILD SAs established                    5\n"
	    "CHILD SA rekeys                          2\n"
	    "IKE SA rekeys                            2\n"
	    "IKE SA rekeys of ours                    1\n"
	    "Requests sent                            6\n"
	    "Requests retransmitted                   3\n"
	    "Liveness checks sent                     4\n"
	    "Peers declared dead                      1\n"
	    "CHILD SA Deletes not sent (queue full)   0\n"
	    "Message ID syncs (RFC 6311)              2\n"
	    "Message ID syncs failed                  0\n"
	    "NAT keepalives sent                      9\n"
	    "Rekeys of ours failed                    1\n"
	    "Rekey collisions                         0\n"
	    "Fragments sent (RFC 7383)                3\n"
	    "Fragments received                       4\n"
	    "Messages reassembled from fragments      2\n"
	    "Dropped: fragments                       1\n"
	    "Authentication failures                  1\n"
	    "No proposal chosen                       0\n"
	    "INVALID_KE_PAYLOAD sent                  4\n"
	    "TS_UNACCEPTABLE sent                     0\n"
	    "Dropped: malformed                       1\n"
	    "Dropped: no SA                           2\n"
	    "Dropped: message ID outside the window   0\n"
	    "Dropped: integrity or decryption failed  0\n"
	    "Dropped: negotiation limit               6\n"
	    "COOKIE challenges sent                   0\n"
	    "Dropped: COOKIE not ours                 0\n"
	    "Deletes received                         3\n");
}

/* show crypto session names the IKE version of each SA. */
static void
test_crypto_session_ikev2(void **state)
{
	(void)state;
	check(render_crypto_session,
	    "{\"detail\": false, \"sessions\": [{\"interface\": \"eth0\","
	    " \"status\": \"UP-ACTIVE\", \"peer\": \"198.51.100.2\","
	    " \"port\": 500, \"ike\": [{\"version\": \"IKEv2\","
	    " \"local\": \"192.0.2.1\", \"local_port\": 500,"
	    " \"remote\": \"198.51.100.2\", \"remote_port\": 500,"
	    " \"status\": \"Active\"}, {\"local\": \"192.0.2.1\","
	    " \"local_port\": 500, \"remote\": \"198.51.100.2\","
	    " \"remote_port\": 500, \"status\": \"Active\"}],"
	    " \"flows\": [{\"src\": \"10.1.0.0\", \"src_mask\":"
	    " \"255.255.0.0\", \"dst\": \"10.2.0.0\", \"dst_mask\":"
	    " \"255.255.0.0\", \"proto\": 0, \"sport\": 0, \"dport\": 0,"
	    " \"active_sas\": 2, \"origin\": \"crypto map\"}]}]}",
	    "Crypto session current status\n\n"
	    "Interface: eth0\n"
	    "Session status: UP-ACTIVE\n"
	    "Peer: 198.51.100.2 port 500\n"
	    "  IKEv2 SA: local 192.0.2.1/500 remote 198.51.100.2/500 Active\n"
	    "  IKEv1 SA: local 192.0.2.1/500 remote 198.51.100.2/500 Active\n"
	    "  IPSEC FLOW: permit ip 10.1.0.0/255.255.0.0 "
	    "10.2.0.0/255.255.0.0\n"
	    "        Active SAs: 2, origin: crypto map\n\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_lists),
		cmocka_unit_test(test_ikev2_sa),
		cmocka_unit_test(test_ikev2_session),
		cmocka_unit_test(test_ikev2_stats),
		cmocka_unit_test(test_crypto_session_ikev2),
		cmocka_unit_test(test_crypto_map_incomplete),
		cmocka_unit_test(test_crypto_map_ikev2_profile),
		cmocka_unit_test(test_isakmp_key_subnet),
		cmocka_unit_test(test_engine_conns),
		cmocka_unit_test(test_isakmp_peers_negotiating),
		cmocka_unit_test(test_isakmp_stats),
		cmocka_unit_test(test_crypto_ha_state_queue),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
