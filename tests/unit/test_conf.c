/*
 * conf: the seed configurations parse to the values they say, malformed
 * lines are reported at their line with the right message, and print /
 * re-parse gives an equal config for every fixture.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"

#define FIXTURES	"tests/unit/conf/"

static const char *const fixtures[] = {
	"lab13-1-r1.conf", "standalone-r1.conf", "standalone-r2.conf",
	"stateless-ha.conf", "stateful-ha.conf", "cisco3725.conf",
	"full.conf",
};

static struct config *
load_quiet(const char *name, struct conf_diag *d)
{
	char	 path[256];

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), FIXTURES "%s", name);
	return conf_load(path, d);
}

static int
ip_is(struct in_addr a, const char *s)
{
	struct in_addr b;

	return addr_parse(s, &b) == 0 && a.s_addr == b.s_addr;
}

static void
test_lab13_1(void **state)
{
	struct conf_diag d;
	struct config	*cf = load_quiet("lab13-1-r1.conf", &d);
	const struct conf_crypto_map *m;
	const struct conf_acl *acl;

	(void)state;
	assert_non_null(cf);
	assert_int_equal(d.errors, 0);
	assert_string_equal(cf->hostname, "R1");
	assert_int_equal(cf->npolicies, 1);
	assert_int_equal(cf->policies[0].priority, 10);
	assert_int_equal(cf->policies[0].enc, ALG_ENC_3DES);
	assert_int_equal(cf->policies[0].hash, ALG_HASH_MD5);
	assert_int_equal(cf->policies[0].auth, CONF_AUTH_PSK);
	assert_int_equal(cf->policies[0].group, 2);
	assert_int_equal(cf->policies[0].lifetime, 86400);
	assert_true(conf_policy_usable(&cf->policies[0]));
	assert_int_equal(cf->nkeys, 1);
	assert_string_equal(cf->keys[0].key, "cisco");
	assert_true(ip_is(cf->keys[0].addr, "12.1.1.2"));
	assert_int_equal(cf->ntsets, 1);
	assert_int_equal(cf->tsets[0].enc, ALG_ESP_3DES);
	assert_int_equal(cf->tsets[0].auth, ALG_ESP_AUTH_MD5);
	assert_false(cf->tsets[0].transport);
	m = conf_map_find(cf, "TST");
	assert_non_null(m);
	assert_int_equal(m->nentries, 1);
	assert_int_equal(m->entries[0].seq, 10);
	assert_true(ip_is(m->entries[0].peer, "12.1.1.2"));
	assert_string_equal(m->entries[0].acl, "100");
	assert_string_equal(m->entries[0].tsets[0], "TSET");
	assert_int_equal(m->entries[0].pfs_group, 0);
	acl = conf_acl_find(cf, "100");
	assert_non_null(acl);
	assert_true(acl->numbered);
	assert_int_equal(acl->naces, 1);
	assert_true(acl->aces[0].permit);
	assert_int_equal(acl->aces[0].proto, 0);
	assert_true(ip_is(acl->aces[0].src.addr, "1.1.1.1"));
	assert_int_equal(acl->aces[0].src.wildcard.s_addr, 0);
	assert_true(ip_is(acl->aces[0].dst.addr, "2.2.2.2"));
	assert_string_equal(conf_iface_find(cf, "eth0")->crypto_map, "TST");
	assert_int_equal(cf->sa_life_seconds, 3600);
	assert_int_equal(cf->sa_life_kbytes, 4608000);
	assert_int_equal(cf->replay_window, 64);
	conf_free(cf);
}

static void
test_standalone_pair(void **state)
{
	struct conf_diag d;
	struct config	*r1 = load_quiet("standalone-r1.conf", &d);
	struct config	*r2 = load_quiet("standalone-r2.conf", &d);
	const struct conf_map_entry *e;

	(void)state;
	assert_non_null(r1);
	assert_non_null(r2);
	assert_int_equal(r1->policies[0].enc, ALG_ENC_AES);
	assert_int_equal(r1->policies[0].keylen, 256);
	assert_int_equal(r1->policies[0].hash, ALG_HASH_SHA256);
	assert_int_equal(r1->policies[0].group, 14);
	assert_int_equal(r1->dpd_interval, 10);
	assert_int_equal(r1->dpd_retry, 2);
	assert_int_equal(r1->dpd_mode, CONF_DPD_ON_DEMAND);
	assert_int_equal(r1->tsets[0].enc, ALG_ESP_AES);
	assert_int_equal(r1->tsets[0].keylen, 256);
	assert_int_equal(r1->tsets[0].auth, ALG_ESP_AUTH_SHA256);
	e = &conf_map_find(r1, "vpn")->entries[0];
	assert_int_equal(e->pfs_group, 14);
	assert_true(e->reverse_route);
	assert_true(ip_is(e->peer, "19.26.116.141"));
	assert_int_equal(conf_acl_find(r1, "110")->naces, 2);
	/* R2 is R1 mirrored: same policy, the other peer, ACL lines swapped */
	assert_true(ip_is(conf_map_find(r2, "vpn")->entries[0].peer,
	    "19.26.116.137"));
	assert_memory_equal(&r1->policies[0].enc, &r2->policies[0].enc,
	    sizeof(r1->policies[0].enc));
	assert_true(ip_is(conf_acl_find(r2, "110")->aces[0].src.addr,
	    "192.168.20.25"));
	assert_true(ip_is(conf_acl_find(r1, "110")->aces[0].src.addr,
	    "172.21.91.37"));
	assert_true(ip_is(conf_iface_find(r2, "eth0")->addr, "19.26.116.141"));
	conf_free(r1);
	conf_free(r2);
}

static void
test_stateless_and_stateful(void **state)
{
	struct conf_diag d;
	struct config	*sl = load_quiet("stateless-ha.conf", &d);
	struct config	*sf;
	const struct conf_interface *ifc, *owner;
	const struct conf_standby *sb;
	const struct conf_acl *acl;

	(void)state;
	assert_non_null(sl);
	/* the post leaves out "authentication pre-share": rsa-sig, warned */
	assert_int_equal(sl->policies[0].auth, CONF_AUTH_RSA_SIG);
	assert_false(conf_policy_usable(&sl->policies[0]));
	assert_true(d.warnings > 0);
	assert_true(sl->aggressive_disable);
	assert_true(sl->keys[0].no_xauth);
	ifc = conf_iface_find(sl, "eth0");
	assert_int_equal(ifc->nstandby, 1);
	sb = &ifc->standby[0];
	assert_int_equal(sb->group, 199);
	assert_true(ip_is(sb->vip, "19.26.116.141"));
	assert_int_equal(sb->priority, 105);
	assert_true(sb->preempt);
	assert_string_equal(sb->name, "VPNHA");
	assert_int_equal(sb->ntracks, 1);
	assert_int_equal(sb->tracks[0].id, 2);
	assert_int_equal(sb->tracks[0].decrement, 10);
	assert_int_equal(sb->hello_ms, 3000);
	assert_int_equal(sb->hold_ms, 10000);
	assert_string_equal(ifc->redundancy, "VPNHA");
	assert_false(ifc->stateful);
	assert_ptr_equal(conf_standby_by_name(sl, "VPNHA", &owner), sb);
	acl = conf_acl_find(sl, "GandD");
	assert_false(acl->numbered);
	assert_int_equal(acl->naces, 2);
	assert_int_equal(acl->aces[1].proto, 1);
	assert_true(ip_is(acl->aces[0].dst.wildcard, "0.0.1.255"));
	assert_int_equal(sl->redundancy.line, 0);

	sf = load_quiet("stateful-ha.conf", &d);
	assert_non_null(sf);
	assert_true(conf_iface_find(sf, "eth0")->stateful);
	assert_string_equal(sf->redundancy.scheme_group, "VPNHA");
	assert_null(sf->redundancy.security_key);
	assert_int_equal(sf->ipc.id, 1);
	assert_false(sf->ipc.shutdown);
	assert_true(sf->ipc.have_protocol);
	assert_int_equal(sf->ipc.local_port, 5000);
	assert_int_equal(sf->ipc.nlocal_ip, 1);
	assert_true(ip_is(sf->ipc.local_ip[0], "192.168.20.139"));
	assert_int_equal(sf->ipc.rto_min_ms, 300);
	assert_int_equal(sf->ipc.rto_max_ms, 10000);
	assert_int_equal(sf->ipc.path_retransmit, 10);
	assert_int_equal(sf->ipc.assoc_retransmit, 10);
	assert_int_equal(sf->ipc.remote_port, 5000);
	assert_true(ip_is(sf->ipc.remote_ip[0], "192.168.20.140"));
	assert_int_equal(sf->ipc.encap_udp_port, 0);
	conf_free(sl);
	conf_free(sf);
}

static void
test_cisco3725(void **state)
{
	struct conf_diag d;
	struct config	*cf = load_quiet("cisco3725.conf", &d);
	const struct conf_crypto_map *m;
	const struct conf_acl *fw;
	static const int seqs[] = { 5, 10, 15, 30, 40, 50, 60 };

	(void)state;
	assert_non_null(cf);
	assert_int_equal(cf->npolicies, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cf->policies[i].priority, i + 1);
	assert_int_equal(cf->policies[0].group, 5);
	assert_int_equal(cf->policies[0].hash, ALG_HASH_SHA1);
	assert_int_equal(cf->policies[1].hash, ALG_HASH_MD5);
	assert_int_equal(cf->policies[2].enc, ALG_ENC_DES);	/* default */
	assert_false(conf_policy_usable(&cf->policies[2]));
	assert_int_equal(cf->policies[3].group, 2);
	assert_true(conf_policy_usable(&cf->policies[3]));
	assert_int_equal(cf->nkeys, 7);
	m = conf_map_find(cf, "IPSEC");
	assert_int_equal(m->nentries, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(m->entries[i].seq, seqs[i]);
	assert_int_equal(m->entries[2].pfs_group, 5);
	assert_true(ip_is(m->entries[6].peer, "200.100.1.1"));
	assert_string_equal(m->entries[6].acl, "SITEB_to_SITEA");
	/* a flat paste: the interface blocks still got their lines */
	assert_false(conf_iface_find(cf, "eth0")->have_addr);
	assert_string_equal(conf_iface_find(cf, "eth1")->crypto_map, "IPSEC");
	assert_string_equal(conf_iface_find(cf, "eth2")->description, "Inside");
	fw = conf_acl_find(cf, "Firewall");
	assert_int_equal(fw->naces, 15);
	assert_non_null(fw->aces[0].remark);
	assert_int_equal(fw->aces[3].proto, 6);
	assert_true(fw->aces[3].established);
	assert_int_equal(fw->aces[8].dport.op, CONF_PORT_EQ);
	assert_int_equal(fw->aces[8].dport.lo, 500);
	assert_int_equal(fw->aces[9].icmp_type, 12);
	assert_true(fw->aces[14].log);
	assert_false(fw->aces[14].permit);
	assert_true(d.warnings >= 10);	/* nat, route, duplex, ... ignored */
	conf_free(cf);
}

static void
test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(fixtures); i++) {
		struct conf_diag d, d2;
		struct config	*a = load_quiet(fixtures[i], &d), *b;
		char		*text, *text2;

		assert_non_null(a);
		text = conf_print_str(a);
		memset(&d2, 0, sizeof(d2));
		b = conf_load_mem("printed", text, strlen(text), &d2);
		if (b == NULL || !conf_equal(a, b))
			fail_msg("%s does not survive print/re-parse:\n%s",
			    fixtures[i], text);
		/* and printing is a fixed point */
		text2 = conf_print_str(b);
		assert_string_equal(text, text2);
		free(text);
		free(text2);
		conf_free(a);
		conf_free(b);
	}
}

/* a printed and read back is the same configuration; both freed. */
static void
survives_print(struct config *a)
{
	struct conf_diag d = { NULL, 0, 0 };
	char		*s = conf_print_str(a);
	struct config	*b = conf_load_mem("printed", s, strlen(s), &d);

	assert_non_null(b);
	assert_true(conf_equal(a, b));
	free(s);
	conf_free(a);
	conf_free(b);
}

/* crypto ikev2 fragmentation: each form, printed and read back. */
static void
test_ikev2_fragmentation(void **state)
{
	static const struct {
		const char	*text;
		int		 mtu;
	} t[] = {
		{ "hostname a\n", 0 },
		{ "crypto ikev2 fragmentation\n", 576 },
		{ "crypto ikev2 fragmentation mtu 1400\n", 1400 },
		{ "no crypto ikev2 fragmentation\n", -1 },
	};

	(void)state;
	for (size_t i = 0; i < nitems(t); i++) {
		struct conf_diag d;
		struct config	*a;

		memset(&d, 0, sizeof(d));
		a = conf_load_mem("t", t[i].text, strlen(t[i].text), &d);
		assert_non_null(a);
		assert_int_equal(a->v2_frag_mtu, t[i].mtu);
		survives_print(a);
	}
}

/* lanes under the association: default, each form, printed and read back */
static void
test_ipc_lanes(void **state)
{
	static const struct {
		const char	*text;
		int		 lanes;
	} t[] = {
		{ "hostname a\n", CONF_IPC_LANES },
		{ "ipc zone default\n association 1\n  protocol sctp\n"
		    "   lanes 5\n", 5 },
		{ "ipc zone default\n association 1\n  protocol sctp\n"
		    "   lanes 0\n", 0 },
		{ "ipc zone default\n association 1\n  protocol sctp\n"
		    "   no lanes\n", 0 },
		{ "ipc zone default\n association 1\n  protocol sctp\n"
		    "   lanes 7\n  no protocol sctp\n", CONF_IPC_LANES },
	};

	(void)state;
	for (size_t i = 0; i < nitems(t); i++) {
		struct conf_diag d;
		struct config	*a;

		memset(&d, 0, sizeof(d));
		a = conf_load_mem("t", t[i].text, strlen(t[i].text), &d);
		assert_non_null(a);
		assert_int_equal(d.errors, 0);
		assert_int_equal(a->ipc.lanes, t[i].lanes);
		survives_print(a);
	}
}

/* Each bad config is reported at this line, with this text in it. */
static const struct {
	const char	*text;
	int		 line;
	const char	*msg;
} bad[] = {
	{ "crypto isakmp policy 0\n", 1, "1 to 10000" },
	{ "crypto isakmp policy 10\n hash md5\ncrypto isakmp policy 10\n", 3,
	    "already defined at line 1" },
	{ "crypto isakmp policy 10\n encr aes 512\n", 2, "128, 192 or 256" },
	{ "crypto isakmp policy 10\n hash sha1\n", 2, "hash takes" },
	{ "crypto isakmp policy 10\n group 3\n", 2, "group takes" },
	{ "crypto isakmp policy 10\n group 31\n", 2,
	    "\"31\" (curve25519) is for IKEv2 only; IKEv1 takes 1, 2, 5, 14, "
	    "15, 16, 19, 20, 21, 24" },
	{ "crypto isakmp policy 10\n lifetime 59\n", 2, "60 to 86400" },
	/* the lists made from alg/'s tables, whole */
	{ "crypto isakmp policy 10\n encr blowfish\n", 2,
	    "encryption takes des, 3des or aes [128|192|256]" },
	{ "crypto isakmp policy 10\n encr aes 512\n", 2,
	    "encryption aes takes 128, 192 or 256" },
	{ "crypto isakmp policy 10\n hash tiger\n", 2,
	    "hash takes md5, sha, sha256, sha384 or sha512" },
	{ "crypto isakmp policy 10\n group 3\n", 2,
	    "group takes 1, 2, 5, 14, 15, 16, 19, 20, 21 or 24" },
	{ "crypto map M 10 ipsec-isakmp\n set pfs group3\n", 2,
	    "\"group3\" is not a DH group havpn knows (group1, group2, "
	    "group5, group14, group15, group16, group19, group20, group21, "
	    "group24)" },
	{ "crypto ipsec transform-set T esp-sha-hmac\n", 1,
	    "transform-set T has no ESP encryption transform (esp-3des, "
	    "esp-aes, esp-gcm)" },
	{ "crypto ipsec transform-set T esp-aes 512 esp-sha-hmac\n", 1,
	    "esp-aes: key size 512 is not valid (128, 192 or 256)" },
	{ "crypto ipsec transform-set T esp-gcm 192\n", 1,
	    "esp-gcm: key size 192 is not valid (128 or 256)" },
	{ "crypto ipsec transform-set T esp-3des\n", 1,
	    "transform-set T: esp-3des needs an ESP-AUTH transform "
	    "(esp-sha256-hmac, ...): ESP without integrity is not offered" },
	{ "crypto ipsec transform-set T esp-gcm esp-md5-hmac\n", 1,
	    "transform-set T: esp-gcm authenticates itself and takes no "
	    "ESP-AUTH transform" },
	{ "crypto isakmp policy 10\n authentication rsa-encr\n", 2,
	    "not supported" },
	{ "crypto isakmp policy 10\n bogus\n", 2, "unknown command \"bogus\"" },
	{ "crypto isakmp key cisco address 1.2.3\n", 1, "not an IPv4" },
	{ "crypto isakmp key cisco 10.0.0.1\n", 1, "KEY address ADDR" },
	{ "crypto isakmp key 6 AAAA address 10.0.0.1\n", 1, "type 6" },
	{ "crypto isakmp key k address 10.0.0.1 255.255.0.0\n", 1,
	    "outside its mask" },
	{ "crypto isakmp keepalive 5\n", 1, "10 to 3600" },
	{ "crypto isakmp keepalive 10 100\n", 1, "retry interval 100" },
	{ "crypto isakmp profile P\n", 1, "not supported" },
	{ "crypto isakmp peer address 10.0.0.1 x\n", 1, "address ADDR" },
	{ "crypto isakmp peer hostname h\n", 1, "address ADDR" },
	{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode "
	    "client-endpoint fqdn a.b\n", 2, "ipv4-address ADDR" },
	{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode "
	    "client-endpoint ipv4-address 1.2\n", 2, "not an IPv4" },
	{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode "
	    "password\n", 2, "one key" },
	{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode x\n", 2,
	    "client-endpoint or password" },
	{ "crypto ipsec transform-set T esp-aes 256\n", 1, "needs an ESP-AUTH" },
	{ "crypto ipsec transform-set T esp-gcm 256 esp-sha-hmac\n", 1,
	    "takes no ESP-AUTH" },
	{ "crypto ipsec transform-set T esp-gcm 192\n", 1, "128 or 256" },
	{ "crypto ipsec transform-set T esp-des esp-md5-hmac\n", 1,
	    "not supported" },
	{ "crypto ipsec transform-set T esp-sha-hmac\n", 1,
	    "no ESP encryption" },
	{ "crypto ipsec transform-set T esp-aes esp-aes esp-sha-hmac\n", 1,
	    "more than one encryption" },
	{ "crypto ipsec security-association replay window-size 100\n", 1,
	    "64, 128, 256, 512 or 1024" },
	{ "crypto ipsec security-association lifetime seconds 10\n", 1,
	    "30 to 86400" },
	{ "crypto map M 10 ipsec-manual\n", 1, "only ipsec-isakmp" },
	{ "crypto map M 10 ipsec-isakmp\n set peer 1.1.1.1\n set transform-set"
	    " NOPE\n match address 101\naccess-list 101 permit ip any any\n",
	    3, "transform-set NOPE is not defined" },
	{ "crypto ipsec transform-set T esp-gcm\ncrypto map M 10 ipsec-isakmp\n"
	    " set peer 1.1.1.1\n set transform-set T\n match address NOACL\n",
	    5, "access list NOACL is not defined" },
	{ "crypto map M 10 ipsec-isakmp\n set pfs group3\n", 2,
	    "not a DH group" },
	{ "crypto map M 10 ipsec-isakmp\n set peer 1.1.1.1\n set peer "
	    "2.2.2.2\n", 3, "one peer per crypto map entry" },
	{ "crypto map M 10 ipsec-isakmp\ncrypto map M 10 ipsec-isakmp\n", 2,
	    "already defined at line 1" },
	{ "crypto map M redundancy replay-interval inbound 0 outbound 10\n",
	    1, "1 to 100000" },
	{ "access-list 100 permit ip any\n", 1, "destination address missing" },
	{ "access-list 100 permit ip 10.0.0.0 any\n", 1, "wildcard mask" },
	{ "access-list 100 permit ip 10.0.0.1 0.0.0.255 any\n", 1,
	    "bits set under its wildcard" },
	{ "access-list 100 permit icmp any any eq 80\n", 1, "need tcp or udp" },
	{ "access-list 100 permit tcp any any eq nosuchport\n", 1,
	    "port number or name" },
	{ "access-list 100 permit tcp any range 20 10 any\n", 1, "is empty" },
	{ "access-list 100 permit udp any any established\n", 1,
	    "established needs tcp" },
	{ "access-list 100 permit icmp any any nosuchmessage\n", 1,
	    "unknown ICMP message" },
	{ "access-list 100 permit foo any any\n", 1, "unknown protocol" },
	{ "ip access-list extended A\n permit ip any any\n 10 bogus\n", 3,
	    "after the sequence number" },
	{ "ip access-list extended A\n 10 permit ip any any\n 10 deny ip any "
	    "any\n", 3, "sequence number 10 is used by line 2" },
	{ "interface GigabitEthernet0/0\n", 1, "not a Linux interface name" },
	{ "interface eth0\n ip address 10.0.0.1 255.0.255.0\n", 2,
	    "not a netmask" },
	{ "interface eth0\n standby 0 ip 10.0.0.10\n", 2, "1 to 255" },
	{ "interface eth0\n standby 1 priority 255\n", 2, "1 to 254" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 timers msec 15 "
	    "msec 100\n", 3, "centiseconds" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 timers 3 3\n", 3,
	    "must be greater than hello" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 track 4\n", 2,
	    "track object 4 is not defined" },
	{ "interface eth0\n ip address 10.0.0.1 255.255.255.0\n standby 1 ip "
	    "10.0.1.10\n", 3, "outside eth0's subnet" },
	{ "interface eth0\n standby 1 priority 110\n", 2, "has no virtual IP" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 peer\n", 3,
	    "peer takes the other node's ADDR" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 peer x\n", 3,
	    "standby peer" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 vrrp checksum "
	    "ipv6\n", 3, "takes pseudo-header or rfc9568" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 vrrp "
	    "version 2\n", 3, "vrrp takes checksum" },
	{ "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 name A\n"
	    "interface eth1\n standby 2 ip 10.0.1.10\n standby 2 name A\n", 5,
	    "name A is used by line 2 too" },
	{ "interface eth0\n crypto map NOPE\n", 2, "crypto map NOPE is not "
	    "defined" },
	{ "crypto ipsec transform-set T esp-gcm\ncrypto map M 10 ipsec-isakmp\n"
	    "interface eth0\n standby 1 ip 10.0.0.10\n crypto map M redundancy "
	    "NOGROUP\n", 5, "no standby group is named NOGROUP" },
	{ "crypto ipsec transform-set T esp-gcm\ncrypto map M 10 ipsec-isakmp\n"
	    "interface eth0\n standby 1 ip 10.0.0.10\n standby 1 name G\n"
	    " crypto map M redundancy G stateful\n", 6,
	    "needs \"redundancy inter-device\"" },
	{ "redundancy inter-device\n scheme standby NOPE\n", 2,
	    "no standby group is named NOPE" },
	{ "redundancy inter-device\n security key short\n", 2,
	    "at least 16 characters" },
	{ "redundancy inter-device\n security ipsec PROF\n", 2,
	    "not supported" },
	{ "redundancy inter-device\n security key *****\n", 2,
	    "the secret is masked" },
	{ "crypto isakmp key ***** address 10.0.0.1\n", 1,
	    "the key is masked" },
	{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode "
	    "password *****\n", 2, "the password is masked" },
	{ "ipc zone default\n association 2\n", 2, "association 1 only" },
	{ "ipc zone default\n association 1\n  no shutdown\n  protocol sctp\n"
	    "   local-port 5000\n    local-ip 10.0.0.1\n", 2,
	    "remote-port PORT" },
	{ "ipc zone default\n association 1\n  protocol sctp\n   local-port "
	    "70000\n", 4, "1 to 65535" },
	{ "ipc zone default\n association 1\n  protocol sctp\n   local-port 1\n"
	    "    retransmit-timeout 5000 400\n", 5, "below the minimum" },
	{ "ipc zone default\n association 1\n  protocol sctp\n   lanes 32\n",
	    4, "lanes takes 0 to 31" },
	{ "ipc zone default\n association 1\n  protocol sctp\n   lanes\n",
	    4, "lanes takes 0 to 31" },
	{ "track 1 ip route 10.0.0.0 255.0.0.0 reachability\n", 1,
	    "line-protocol\" only" },
	{ "hostname\n", 1, "one NAME" },
	{ "crypto ipsec tunnel-interface\n", 1, "takes one NAME" },
	{ "crypto ipsec tunnel-interface a/b\n", 1, "not a valid interface" },
	{ "crypto ipsec tunnel-interface abcdefghijklmnop\n", 1,
	    "not a valid interface" },
	/* IKEv2: the five, then the rest */
	{ "crypto ikev2 proposal P\n encryption aes-gcm-256\n"
	    " integrity sha256\n prf sha256\n group 19\n", 3,
	    "integrity is not used with aes-gcm" },
	{ "crypto ikev2 profile PR\n authentication local pre-share\n"
	    " authentication remote pre-share\n", 1,
	    "crypto ikev2 profile PR has no keyring (keyring local NAME)" },
	{ "crypto ikev2 keyring K\n peer A\n  address 10.0.0.2\n", 2,
	    "keyring K peer A has no key" },
	{ "crypto ikev2 keyring K\n peer A\n  address 10.0.0.2\n"
	    "  pre-shared-key local k1\n", 2,
	    "keyring K peer A has no remote key" },
	{ "crypto map M 10 ipsec-isakmp\n set ikev2-profile NOPE\n", 2,
	    "crypto map M 10: ikev2-profile NOPE is not defined" },
	{ "crypto ikev2 policy POL\n match address local 10.0.0.1\n", 1,
	    "crypto ikev2 policy POL has no proposal" },
	{ "crypto ikev2 cookie-challenge 0\n", 1, "crypto ikev2 "
	    "cookie-challenge takes a number of half-open SAs from 1 to 1000" },
	{ "crypto ikev2 cookie-challenge 1001\n", 1, "crypto ikev2 "
	    "cookie-challenge takes a number of half-open SAs from 1 to 1000" },
	{ "crypto ikev2 fragmentation mtu 159\n", 1, "crypto ikev2 "
	    "fragmentation takes \"mtu N\", N from 160 to 1500 bytes" },
	{ "crypto ikev2 fragmentation 1400\n", 1, "crypto ikev2 "
	    "fragmentation takes \"mtu N\", N from 160 to 1500 bytes" },
	{ "no crypto ikev2 fragmentation mtu 1400\n", 1,
	    "no crypto ikev2 fragmentation takes no arguments" },
	{ "crypto ikev2 policy POL\n proposal A\n", 2,
	    "crypto ikev2 policy POL: proposal A is not defined" },
	{ "crypto ikev2 proposal P\n encryption aes-gcm-256 aes-cbc-256\n"
	    " prf sha256\n integrity sha1\n group 19\n", 2,
	    "aes-gcm and aes-cbc cannot share a proposal" },
	{ "crypto ikev2 proposal P\n encryption aes-gcm-128\n group 19\n", 1,
	    "a prf is required with aes-gcm" },
	{ "crypto ikev2 proposal P\n encryption aes-cbc-128\n group 19\n", 1,
	    "aes-cbc needs an integrity algorithm" },
	{ "crypto ikev2 proposal P\n encryption aes-cbc-128\n"
	    " integrity sha1\n", 1, "crypto ikev2 proposal P has no DH group" },
	{ "crypto ikev2 proposal P\n integrity sha1\n group 14\n", 1,
	    "crypto ikev2 proposal P has no encryption" },
	{ "crypto ikev2 proposal P\n group 14 5\n", 2,
	    "group: \"5\" is not one of 14, 15, 16, 19, 20, 21, 31" },
	{ "crypto ikev2 proposal P\n encryption 3des\n", 2,
	    "encryption: \"3des\" is not one of aes-cbc-128" },
	{ "crypto ikev2 proposal P\n encryption aes-cbc-128\n"
	    " encryption aes-cbc-128\n", 3, "aes-cbc-128 is named twice" },
	{ "crypto ikev2 proposal P\n integrity md5\n", 2,
	    "(md5 is not offered)" },
	{ "crypto ikev2 proposal P\n prf\n", 2, "prf takes one or more" },
	{ "crypto ikev2 proposal default\n", 1, "no built-in default" },
	{ "crypto ikev2 dpd 10 2 on-demand\n", 1,
	    "\"crypto ikev2 dpd\" is not supported by havpn" },
	{ "no crypto ikev2 keyring K\n", 1, "no crypto ikev2 keyring K: "
	    "no such keyring" },
	{ "crypto ikev2 keyring K\n peer A\n  pre-shared-key 6 xyz\n", 3,
	    "type 6" },
	{ "crypto ikev2 keyring K\n peer A\n  pre-shared-key *****\n", 3,
	    "the secret is masked" },
	{ "crypto ikev2 keyring K\n peer A\n  identity email a@b\n", 3,
	    "(email, key-id and dn identities are not supported)" },
	{ "crypto ikev2 keyring K\n peer A\n  address 10.0.0.1 255.0.0.0\n",
	    3, "address 10.0.0.1 has bits outside its mask" },
	{ "crypto ikev2 profile PR\n keyring local KX\n"
	    " authentication local pre-share\n"
	    " authentication remote pre-share\n", 2,
	    "keyring KX is not defined" },
	{ "crypto ikev2 keyring K\n peer A\n  address 10.0.0.2\n"
	    "  pre-shared-key k\ncrypto ikev2 profile PR\n keyring local K\n"
	    " authentication local pre-share\n", 5,
	    "has no \"authentication remote pre-share\"" },
	{ "crypto ikev2 profile PR\n authentication local rsa-sig\n", 2,
	    "authentication local rsa-sig is not supported yet" },
	{ "crypto ikev2 profile PR\n dpd 5 2 periodic\n", 2,
	    "dpd interval 5 is out of range (10-3600 seconds)" },
	{ "crypto ikev2 profile PR\n dpd 10 2\n", 2,
	    "dpd takes INTERVAL RETRY {on-demand | periodic}" },
	{ "crypto ikev2 profile PR\n lifetime 60\n", 2, "120 to 86400" },
	{ "crypto ikev2 profile PR\n match identity remote fqdn a/b\n", 2,
	    "is not a host name" },
	{ "crypto ikev2 profile PR\n match identity remote any\n", 2,
	    "match identity remote takes \"address ADDR [MASK]\" or \"fqdn "
	    "NAME\"" },
	{ "crypto ikev2 profile PR\n match certificate CM\n", 2,
	    "match certificate, fvrf and address local are not supported" },
	{ "crypto ikev2 profile PR\n identity local fqdn a b\n", 2,
	    "identity local takes \"address ADDR\" or \"fqdn NAME\"" },
	{ "frobnicate the widget\n", 1, "unknown command \"frobnicate\"" },
	{ "no frobnicate\n", 1, "no such command" },
	{ "exit\n", 1, "exit outside a sub-mode" },
	{ "hostname a\x01" "b\n", 1, "control or non-ASCII" },
	{ "interface eth0\n ip addres 10.0.0.1 255.255.255.0\n", 2,
	    "unknown command \"ip\" in the block opened at line 1" },
};

static void
test_malformed(void **state)
{
	(void)state;
	assert_true(nitems(bad) >= 25);
	for (size_t i = 0; i < nitems(bad); i++) {
		struct conf_diag d = { NULL, 0, 0 };
		struct config	*cf;
		char		*out = NULL, want[64];
		size_t		 len = 0;

		d.out = open_memstream(&out, &len);
		cf = conf_load_mem("bad.conf", bad[i].text,
		    strlen(bad[i].text), &d);
		fclose(d.out);
		snprintf(want, sizeof(want), "bad.conf:%d: ", bad[i].line);
		if (cf != NULL || d.errors == 0 || strstr(out, want) == NULL ||
		    strstr(out, bad[i].msg) == NULL)
			fail_msg("case %zu: wanted \"%s%s\", got:\n%s", i, want,
			    bad[i].msg, out);
		free(out);
	}
}

/* show running-config masks every secret unless asked for them. */
static void
test_print_masks_secrets(void **state)
{
	static const char text[] =
	    "crypto isakmp key sekrit-psk-1 address 10.0.0.1\n"
	    "crypto isakmp peer address 10.0.0.2\n"
	    " set aggressive-mode password sekrit-am-2\n"
	    "interface eth0\n"
	    " standby 1 ip 10.0.0.10\n"
	    " standby 1 name G\n"
	    "redundancy inter-device\n"
	    " scheme standby G\n"
	    " security key sekrit-sync-key-0123456789\n";
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf;
	char		*clear, *masked;

	(void)state;
	cf = conf_load_mem("t.conf", text, strlen(text), &d);
	assert_non_null(cf);
	clear = conf_print_str_show(cf, 1);
	masked = conf_print_str_show(cf, 0);
	assert_non_null(strstr(clear, "crypto isakmp key sekrit-psk-1 "));
	assert_non_null(strstr(clear, "password sekrit-am-2\n"));
	assert_non_null(strstr(clear, "security key sekrit-sync-key-"));
	assert_null(strstr(masked, "sekrit"));
	assert_non_null(strstr(masked, "crypto isakmp key ***** address "
	    "10.0.0.1\n"));
	assert_non_null(strstr(masked, " set aggressive-mode password "
	    "*****\n"));
	assert_non_null(strstr(masked, " security key *****\n"));
	/* conf_print (digest, copies) keeps them */
	free(masked);
	masked = conf_print_str(cf);
	assert_string_equal(masked, clear);
	free(clear);
	free(masked);
	conf_free(cf);
}

/* crypto ipsec tunnel-interface: set, default, negated, printed. */
static void
test_tunnel_interface(void **state)
{
	static const char set[] = "crypto ipsec tunnel-interface vpn0\n";
	static const char unset[] = "crypto ipsec tunnel-interface vpn0\n"
	    "no crypto ipsec tunnel-interface\n";
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*a, *b, *c;
	char		*text;

	(void)state;
	a = conf_load_mem("t.conf", set, strlen(set), &d);
	assert_non_null(a);
	assert_string_equal(a->tunnel_ifname, "vpn0");
	text = conf_print_str(a);
	assert_non_null(strstr(text, "crypto ipsec tunnel-interface vpn0\n"));
	free(text);
	b = conf_load_mem("t.conf", unset, strlen(unset), &d);
	assert_non_null(b);
	assert_null(b->tunnel_ifname);
	assert_false(conf_equal(a, b));
	c = conf_load_mem("t.conf", "", 0, &d);
	assert_true(conf_equal(b, c));
	text = conf_print_str(c);
	assert_null(strstr(text, "tunnel-interface"));
	free(text);
	conf_free(a);
	conf_free(b);
	conf_free(c);
}

/* Warnings are not errors: these load, and say why at their line. */
static void
test_warnings(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} warn[] = {
		{ "interface eth0\n duplex auto\n", "bad.conf:2: warning: "
		    "ignored: \"duplex auto\"" },
		{ "ip route 0.0.0.0 0.0.0.0 10.0.0.1\n", "bad.conf:1: warning: "
		    "ignored" },
		{ "line vty 0 4\n login\n password x\n", "bad.conf:1: warning: "
		    "ignored" },
		{ "access-list 10 permit 10.0.0.0 0.0.0.255\n",
		    "not an extended list" },
		{ "crypto isakmp policy 1\n", "uses des" },
		{ "crypto isakmp policy 1\n encr aes\n", "uses rsa-sig" },
		{ "interface eth0\n standby version 2\n", "HSRP-specific" },
		{ "crypto isakmp aggressive-mode disable\ncrypto isakmp key k "
		    "address 10.0.0.1\ncrypto isakmp peer address 10.0.0.1\n"
		    " set aggressive-mode client-endpoint ipv4-address "
		    "10.0.0.2\n", "refuses it from peers" },
		{ "crypto isakmp peer address 10.0.0.1\n set aggressive-mode "
		    "client-endpoint ipv4-address 10.0.0.2\n",
		    "no pre-shared key" },
		{ "crypto isakmp key k address 0.0.0.0 0.0.0.0\n",
		    "bad.conf:1: warning: crypto isakmp key ... address 0.0.0.0 "
		    "0.0.0.0: peers that only this key covers cannot use "
		    "Aggressive Mode" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(warn); i++) {
		struct conf_diag d = { NULL, 0, 0 };
		struct config	*cf;
		char		*out = NULL;
		size_t		 len = 0;

		d.out = open_memstream(&out, &len);
		cf = conf_load_mem("bad.conf", warn[i].text,
		    strlen(warn[i].text), &d);
		fclose(d.out);
		if (cf == NULL || d.warnings == 0 ||
		    strstr(out, warn[i].msg) == NULL)
			fail_msg("warning case %zu: wanted \"%s\", got:\n%s", i,
			    warn[i].msg, out);
		conf_free(cf);
		free(out);
	}
	/* with Aggressive Mode off, a wildcard key is only a key */
	{
		static const char text[] = "crypto isakmp aggressive-mode "
		    "disable\ncrypto isakmp key k address 0.0.0.0 0.0.0.0\n";
		struct conf_diag d = { NULL, 0, 0 };
		struct config	*cf;
		char		*out = NULL;
		size_t		 len = 0;

		d.out = open_memstream(&out, &len);
		cf = conf_load_mem("ok.conf", text, strlen(text), &d);
		fclose(d.out);
		assert_non_null(cf);
		if (strstr(out, "Aggressive Mode") != NULL)
			fail_msg("warned with aggressive-mode disable:\n%s",
			    out);
		conf_free(cf);
		free(out);
	}
}

/*
 * Indentation closes a block; a flat paste is placed by keyword.
 */
static void
test_modes(void **state)
{
	static const char indented[] =
	    "interface eth0\n"
	    " ip address 10.0.0.1 255.255.255.0\n"
	    "crypto map vpn 10 ipsec-isakmp\n";	/* global: a new map */
	static const char flat[] =
	    "interface eth0\n"
	    "ip address 10.0.0.1 255.255.255.0\n"
	    "crypto map vpn\n"			/* the interface's map */
	    "crypto map vpn 10 ipsec-isakmp\n"	/* global */
	    "set peer 10.0.0.2\n";
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf;

	(void)state;
	cf = conf_load_mem("m.conf", indented, strlen(indented), &d);
	assert_non_null(cf);
	assert_int_equal(cf->nmaps, 1);
	assert_null(cf->ifaces[0].crypto_map);
	conf_free(cf);

	cf = conf_load_mem("m.conf", flat, strlen(flat), &d);
	assert_non_null(cf);
	assert_string_equal(cf->ifaces[0].crypto_map, "vpn");
	assert_true(cf->ifaces[0].have_addr);
	assert_int_equal(cf->maps[0].nentries, 1);
	assert_true(cf->maps[0].entries[0].have_peer);
	conf_free(cf);
}

/* standby GRP vrrp checksum: parsed, printed only when not the default. */
static void
test_vrrp_checksum_line(void **state)
{
	static const char *const texts[] = {
	    "interface eth0\n standby 1 ip 10.0.0.10\n"
	    " standby 1 vrrp checksum rfc9568\n",
	    "interface eth0\n standby 1 ip 10.0.0.10\n"
	    " standby 1 vrrp checksum pseudo-header\n",
	    "interface eth0\n standby 1 ip 10.0.0.10\n"
	    " standby 1 vrrp checksum rfc9568\n no standby 1 vrrp checksum\n",
	};
	static const int want[] = { 1, 0, 0 };

	(void)state;
	for (size_t i = 0; i < nitems(texts); i++) {
		struct conf_diag d = { NULL, 0, 0 };
		struct config	*cf = conf_load_mem("c", texts[i],
		    strlen(texts[i]), &d);
		char		*out;

		assert_non_null(cf);
		assert_int_equal(cf->ifaces[0].standby[0].checksum_rfc9568,
		    want[i]);
		out = conf_print_str(cf);
		assert_int_equal(strstr(out, " standby 1 vrrp checksum "
		    "rfc9568\n") != NULL, want[i]);
		assert_null(strstr(out, "pseudo-header"));
		free(out);
		conf_free(cf);
	}
}

/* standby GRP peer: parsed, printed, negated, compared. */
static void
test_standby_peer_line(void **state)
{
	static const char set[] = "interface eth0\n standby 1 ip 10.0.0.10\n"
	    " standby 1 peer 10.0.0.12\n";
	static const char unset[] = "interface eth0\n standby 1 ip "
	    "10.0.0.10\n standby 1 peer 10.0.0.12\n no standby 1 peer\n";
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*a, *b, *c;
	char		*out;

	(void)state;
	a = conf_load_mem("c", set, strlen(set), &d);
	assert_non_null(a);
	assert_true(a->ifaces[0].standby[0].have_peer);
	assert_int_equal(a->ifaces[0].standby[0].peer.s_addr,
	    inet_addr("10.0.0.12"));
	out = conf_print_str(a);
	assert_non_null(strstr(out, " standby 1 peer 10.0.0.12\n"));
	b = conf_load_mem("printed", out, strlen(out), &d);
	assert_non_null(b);
	assert_true(conf_equal(a, b));
	free(out);
	c = conf_load_mem("c", unset, strlen(unset), &d);
	assert_non_null(c);
	assert_false(c->ifaces[0].standby[0].have_peer);
	assert_false(conf_equal(a, c));
	out = conf_print_str(c);
	assert_null(strstr(out, "peer"));
	free(out);
	conf_free(a);
	conf_free(b);
	conf_free(c);
}

/* Every prefix of the full fixture: no crash, and what loads round-trips. */
static void
test_every_prefix(void **state)
{
	FILE	*f = fopen(FIXTURES "full.conf", "r");
	char	 text[16384];
	size_t	 len;

	(void)state;
	assert_non_null(f);
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	for (size_t n = 0; n <= len; n++) {
		struct conf_diag d = { NULL, 0, 0 };
		struct config	*a = conf_load_mem("p", text, n, &d);

		if (a != NULL)
			survives_print(a);
	}
}


/*
 * Pasted configurations: the diagnostics as text, and checks on it.
 */
struct diag_out {
	char		*text;
	int		 errors;
	int		 warnings;
};

static struct config *
load_text(const char *name, const char *text, const struct conf_host *host,
    struct diag_out *o)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf;
	size_t		 len = 0;

	o->text = NULL;
	d.out = open_memstream(&o->text, &len);
	if (host != NULL)
		cf = conf_load_mem_strict(name, text, strlen(text), host, &d);
	else
		cf = conf_load_mem(name, text, strlen(text), &d);
	fclose(d.out);
	o->errors = d.errors;
	o->warnings = d.warnings;
	return cf;
}

static struct config *
load_file_out(const char *name, const struct conf_host *host,
    struct diag_out *o)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf;
	char		 path[256];
	size_t		 len = 0;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	o->text = NULL;
	d.out = open_memstream(&o->text, &len);
	if (host != NULL)
		cf = conf_load_strict(path, host, &d);
	else
		cf = conf_load(path, &d);
	fclose(d.out);
	o->errors = d.errors;
	o->warnings = d.warnings;
	return cf;
}

/* The output has an error line "FILE:LINE: ..." holding words. */
static int
has_error(const char *out, const char *file, int line, const char *words)
{
	char	 want[300];
	size_t	 n;

	n = (size_t)snprintf(want, sizeof(want), "%s:%d: ", file, line);
	for (const char *s = out; s != NULL && *s != '\0';) {
		const char *e = strchr(s, '\n');
		size_t	 len = e != NULL ? (size_t)(e - s) : strlen(s);

		if (len > n && strncmp(s, want, n) == 0 &&
		    strncmp(s + n, "warning: ", 9) != 0 &&
		    memmem(s, len, words, strlen(words)) != NULL)
			return 1;
		s = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

/*
 * Every diagnostic has words after "FILE:LINE: " (and after "warning: "),
 * and the line numbers never go down.
 */
static void
check_diag_lines(const char *out, const char *what)
{
	int	 last = 0;

	for (const char *s = out; s != NULL && *s != '\0';) {
		const char *e = strchr(s, '\n'), *c;
		char	*end;
		long	 line;

		c = strchr(s, ':');
		if (c == NULL || (e != NULL && c > e))
			fail_msg("%s: not FILE:LINE: %s", what, s);
		line = strtol(c + 1, &end, 10);
		if (*end == ':') {
			if (line < last)
				fail_msg("%s: line %ld after line %d:\n%s",
				    what, line, last, out);
			last = (int)line;
			c = end;
		}
		c += 2;		/* ": " */
		if (strncmp(c, "warning: ", 9) == 0)
			c += 9;
		if (*c == '\n' || *c == '\0' || *c == ' ')
			fail_msg("%s: a diagnostic without words:\n%s", what,
			    out);
		s = e != NULL ? e + 1 : NULL;
	}
}

/*
 * The seeds as pasted (Linux edits done), each with its typical mistake:
 * exactly these errors, at these lines, saying these words, and nothing
 * about the lines under a failed header.
 */
static const struct {
	const char	*file;
	int		 nerrors;
	struct { int line; const char *words; } err[8];
} pasted[] = {
	{ "paste-lab13-1-r1.conf", 1, {
	    { 20, "interface names have no spaces; use the Linux name" } } },
	{ "paste-standalone-r1.conf", 1, {
	    { 6, "a space is missing; write \"crypto isakmp policy 1\"" } } },
	{ "paste-siteb-annotated.conf", 4, {
	    { 6, "unexpected \"(3DES/SHA/DH Group 5)\" after the priority" },
	    { 11, "unexpected \"(3DES/MD5/DH Group 5)\"" },
	    { 17, "unexpected \"(DES/SHA/DH Group 5)\"" },
	    { 21, "unexpected \"(3DES/SHA/DH Group 2)\"" } } },
	{ "paste-asa-site1.conf", 8, {
	    { 7, "is ASA syntax; on IOS write \"ip access-list extended "
		"s2svpn_to_site2\"" },
	    { 8, "is ASA syntax" },
	    { 9, "is ASA syntax; on IOS open the entry with \"crypto map "
		"outside_map 1 ipsec-isakmp\" and write \" match address "
		"s2svpn_to_site2\" under it" },
	    { 10, "write \" set peer 10.255.2.2\" under it" },
	    { 11, "apply the map under the interface" },
	    { 12, "\"crypto ikev1 enable outside\" is ASA syntax" },
	    { 13, "\"tunnel-group\" is ASA syntax; on IOS a peer's "
		"pre-shared key is \"crypto isakmp key KEY address PEER\"" },
	    { 14, "\"tunnel-group\" is ASA syntax" } } },
};

static void
test_pasted_seeds(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(pasted); i++) {
		struct diag_out	 o;
		struct config	*cf = load_file_out(pasted[i].file, NULL, &o);
		char		 file[256];

		snprintf(file, sizeof(file), FIXTURES "%s", pasted[i].file);
		if (cf != NULL || o.errors != pasted[i].nerrors)
			fail_msg("%s: wanted %d errors, got %d:\n%s",
			    pasted[i].file, pasted[i].nerrors, o.errors,
			    o.text);
		for (int j = 0; j < pasted[i].nerrors; j++)
			if (!has_error(o.text, file, pasted[i].err[j].line,
			    pasted[i].err[j].words))
				fail_msg("%s: wanted \"%d: %s\", got:\n%s",
				    pasted[i].file, pasted[i].err[j].line,
				    pasted[i].err[j].words, o.text);
		check_diag_lines(o.text, pasted[i].file);
		free(o.text);
	}
}

/* The seeds' mistakes fixed as the errors say: the files load. */
static void
test_pasted_seeds_fixed(void **state)
{
	static const struct { const char *file, *from, *to; } fix[] = {
		{ "paste-lab13-1-r1.conf", "\ninterface Serial 1/2\n",
		    "\ninterface eth0\n" },
		{ "paste-standalone-r1.conf", "\ncrypto isakmp policy1\n",
		    "\ncrypto isakmp policy 1\n" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(fix); i++) {
		char		 path[256], text[8192], *at;
		FILE		*f;
		size_t		 len;
		struct diag_out	 o;
		struct config	*cf;

		snprintf(path, sizeof(path), FIXTURES "%s", fix[i].file);
		assert_non_null(f = fopen(path, "r"));
		len = fread(text, 1, sizeof(text) - 2, f);
		fclose(f);
		text[len] = '\0';
		assert_non_null(at = strstr(text, fix[i].from));
		/* the same length or shorter, or one longer: in place */
		assert_true(strlen(fix[i].to) <= strlen(fix[i].from) + 1);
		memmove(at + strlen(fix[i].to), at + strlen(fix[i].from),
		    strlen(at + strlen(fix[i].from)) + 1);
		memcpy(at, fix[i].to, strlen(fix[i].to));
		cf = load_text(fix[i].file, text, NULL, &o);
		if (cf == NULL)
			fail_msg("%s fixed does not load:\n%s", fix[i].file,
			    o.text);
		assert_int_equal(cf->npolicies, 1);
		assert_non_null(cf->ifaces[0].crypto_map);
		conf_free(cf);
		free(o.text);
	}
}

/* One error per mistake: this many errors, the first at this line. */
static const struct {
	const char	*text;
	int		 nerrors;
	int		 line;
	const char	*msg;
} one_error[] = {
	/* indented lines under a failed header are not reported */
	{ "interface Serial 1/2\n ip address 10.0.0.1 255.255.255.0\n"
	    " crypto map X\n duplex auto\n", 1, 1, "have no spaces" },
	{ "crypto isakmp policy1\n encr aes\n hash sha\n group 14\n", 1, 1,
	    "a space is missing" },
	{ "crypto map M 10 ipsec-isakmp extra\n set peer 10.0.0.2\n"
	    " match address 101\n", 1, 1, "unexpected \"extra\"" },
	{ "tunnel-group 10.0.0.2 ipsec-attributes\n ikev1 pre-shared-key x\n",
	    1, 1, "ASA syntax" },
	/* a flat paste: the lines the header's mode knows are its own */
	{ "interface Serial 1/2\nip address 10.0.0.1 255.255.255.0\n"
	    "crypto map X\nduplex auto\n", 1, 1, "have no spaces" },
	{ "crypto isakmp policy1\nencr aes\nhash sha\ngroup 14\n", 1, 1,
	    "a space is missing" },
	/* ... and a real mistake after the block is still one */
	{ "crypto isakmp policy1\nencr aes\nfrobnicate\n", 2, 3,
	    "unknown command \"frobnicate\"" },
	{ "interface Serial 1/2\n ip address 10.0.0.1 255.255.255.0\n"
	    "crypto map X\n", 2, 3, "expected a sequence number" },
	/* the reference error at the referencing line */
	{ "crypto ipsec transform-set T esp-gcm\ncrypto map M 10 ipsec-isakmp\n"
	    " set peer 10.0.0.2\n match address NOACL\n set transform-set T\n"
	    "interface eth0\n crypto map M\n", 1, 4,
	    "access list NOACL is not defined" },
	{ "access-list 101 permit ip any any\ncrypto map M 10 ipsec-isakmp\n"
	    " set peer 10.0.0.2\n match address 101\n set transform-set T U\n"
	    "crypto ipsec transform-set U esp-gcm\n", 1, 5,
	    "transform-set T is not defined" },
	/* a netmask for a wildcard */
	{ "access-list 101 permit ip 10.0.0.0 255.255.255.0 any\n", 1, 1,
	    "255.255.255.0 looks like a netmask; the wildcard is 0.0.0.255" },
	{ "ip access-list extended A\n permit ip any 172.16.0.0 "
	    "255.255.240.0\n", 1, 2,
	    "looks like a netmask; the wildcard is 0.0.15.255" },
	/* words for the message that had none */
	{ "crypto map M 10 ipsec-isakmp\n set pfs group 14\n", 1, 2,
	    "\"set pfs group14\", as IOS writes it" },
	{ "crypto map M 10 ipsec-isakmp\n set pfs group14 x\n", 1, 2,
	    "set pfs takes one DH group" },
	/* names keep their case: Vpn is not vpn */
	{ "crypto map Vpn 10 ipsec-isakmp\ninterface eth0\n crypto map vpn\n",
	    1, 3, "crypto map vpn is not defined" },
};

static void
test_one_error_per_mistake(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(one_error); i++) {
		struct diag_out	 o;
		struct config	*cf = load_text("p.conf", one_error[i].text,
		    NULL, &o);

		if (cf != NULL || o.errors != one_error[i].nerrors ||
		    !has_error(o.text, "p.conf", one_error[i].line,
		    one_error[i].msg))
			fail_msg("case %zu: wanted %d error(s), \"p.conf:%d: "
			    "%s\", got %d:\n%s", i, one_error[i].nerrors,
			    one_error[i].line, one_error[i].msg, o.errors,
			    o.text);
		check_diag_lines(o.text, one_error[i].text);
		free(o.text);
	}
}

/*
 * Every diagnostic of every malformed case has words, and diagnostics come
 * in line order even when a cross-line check (made after the whole file
 * is read) reports an earlier line than a parse warning.
 */
static void
test_diag_words_and_order(void **state)
{
	static const char order[] =
	    "crypto isakmp policy 5\n"		/* 1: des, checked at the end */
	    " encryption des\n"
	    " authentication pre-share\n"
	    "crypto isakmp policy 10\n"
	    " encryption aes\n"
	    " authentication pre-share\n"
	    "interface eth0\n"
	    " duplex auto\n"			/* 8: warned while parsing */
	    " crypto map M\n"
	    "crypto map M 10 ipsec-isakmp\n"	/* 10: incomplete, at the end */
	    " set peer 10.0.0.2\n"
	    "ip route 0.0.0.0 0.0.0.0 10.0.0.1\n";	/* 12: parse */
	struct diag_out	 o;
	struct config	*cf;
	const char	*a, *b, *c, *d;

	(void)state;
	for (size_t i = 0; i < nitems(bad); i++) {
		cf = load_text("bad.conf", bad[i].text, NULL, &o);
		conf_free(cf);
		check_diag_lines(o.text, bad[i].text);
		free(o.text);
	}
	cf = load_text("o.conf", order, NULL, &o);
	assert_non_null(cf);
	a = strstr(o.text, "o.conf:1: warning: crypto isakmp policy 5 uses "
	    "des");
	b = strstr(o.text, "o.conf:8: warning: ignored: \"duplex auto\"");
	c = strstr(o.text, "o.conf:10: warning: crypto map M 10 stays "
	    "disabled");
	d = strstr(o.text, "o.conf:12: warning: ignored");
	if (a == NULL || b == NULL || c == NULL || d == NULL || !(a < b &&
	    b < c && c < d))
		fail_msg("not in line order:\n%s", o.text);
	check_diag_lines(o.text, "order");
	conf_free(cf);
	free(o.text);
}

/* Keywords in any case, as IOS reads them; names keep theirs. */
static void
test_keywords_any_case(void **state)
{
	static const char lower[] =
	    "hostname Gw-One\n"
	    "crypto isakmp policy 10\n encryption aes 256\n hash sha256\n"
	    " authentication pre-share\n group 14\n"
	    "crypto isakmp key SeCrEt address 10.0.0.2\n"
	    "crypto ipsec transform-set TsEt esp-aes 256 esp-sha256-hmac\n"
	    "crypto map VpnMap 10 ipsec-isakmp\n set peer 10.0.0.2\n"
	    " set transform-set TsEt\n set pfs group14\n match address Acl1\n"
	    "ip access-list extended Acl1\n"
	    " permit tcp 10.1.0.0 0.0.255.255 any eq www\n"
	    "interface eth0\n ip address 10.0.0.1 255.255.255.0\n"
	    " standby 1 ip 10.0.0.10\n crypto map VpnMap\n";
	static const char upper[] =
	    "HOSTNAME Gw-One\n"
	    "CRYPTO ISAKMP POLICY 10\n Encryption AES 256\n HASH SHA256\n"
	    " Authentication Pre-Share\n GROUP 14\n"
	    "Crypto Isakmp Key SeCrEt Address 10.0.0.2\n"
	    "CRYPTO IPSEC TRANSFORM-SET TsEt ESP-AES 256 ESP-SHA256-HMAC\n"
	    "CRYPTO MAP VpnMap 10 IPSEC-ISAKMP\n SET PEER 10.0.0.2\n"
	    " SET TRANSFORM-SET TsEt\n SET PFS GROUP14\n MATCH ADDRESS Acl1\n"
	    "IP ACCESS-LIST EXTENDED Acl1\n"
	    " PERMIT TCP 10.1.0.0 0.0.255.255 ANY EQ WWW\n"
	    "INTERFACE eth0\n IP ADDRESS 10.0.0.1 255.255.255.0\n"
	    " STANDBY 1 IP 10.0.0.10\n CRYPTO MAP VpnMap\n";
	struct diag_out	 o1, o2;
	struct config	*a, *b;

	(void)state;
	a = load_text("l.conf", lower, NULL, &o1);
	b = load_text("u.conf", upper, NULL, &o2);
	if (a == NULL || b == NULL)
		fail_msg("lower:\n%s\nupper:\n%s", o1.text, o2.text);
	assert_true(conf_equal(a, b));
	assert_string_equal(b->hostname, "Gw-One");
	assert_string_equal(b->keys[0].key, "SeCrEt");
	assert_string_equal(b->maps[0].name, "VpnMap");
	assert_string_equal(b->tsets[0].name, "TsEt");
	assert_int_equal(b->policies[0].enc, ALG_ENC_AES);
	assert_int_equal(b->maps[0].entries[0].pfs_group, 14);
	assert_int_equal(conf_acl_find(b, "Acl1")->aces[0].dport.lo, 80);
	assert_null(conf_acl_find(b, "ACL1"));
	conf_free(a);
	conf_free(b);
	free(o1.text);
	free(o2.text);
}

/*
 * havpnd -t (conf_load_strict): what cannot carry a tunnel or sync is an
 * error at the line that says so; conf_load() loads the same text and
 * warns, as the daemon starts with it.
 */
#define T_POLICY	"crypto isakmp policy 10\n encr aes\n" \
			" authentication pre-share\n"
#define T_MAP		"crypto isakmp key k address 10.0.0.2\n" \
			"crypto ipsec transform-set T esp-gcm\n" \
			"crypto map M 10 ipsec-isakmp\n set peer 10.0.0.2\n" \
			" set transform-set T\n match address 101\n"
#define T_ACL		"access-list 101 permit ip 10.1.0.0 0.0.255.255 any\n"
#define T_IFACE		"interface eth0\n ip address 10.0.0.1 255.255.255.0\n" \
			" standby 1 ip 10.0.0.10\n standby 1 name G\n"
#define T_IPC(lip, encap) \
			"ipc zone default\n association 1\n  no shutdown\n" \
			"  protocol sctp\n   local-port 5000\n" \
			"    local-ip " lip "\n   remote-port 5000\n" \
			"    remote-ip 192.168.255.2\n" encap
#define T_KEY		" security key 0123456789abcdef0123\n"

static const struct {
	const char	*what;
	const char	*text;
	int		 kernel_sctp;
	int		 line;		/* 0: loads under -t too */
	const char	*msg;
} strict[] = {
	{ "a usable configuration", T_POLICY T_MAP T_ACL T_IFACE
	    " crypto map M\n", 1, 0, NULL },
	{ "des and rsa-sig only",
	    "crypto isakmp policy 10\n encr aes\n"
	    "crypto isakmp policy 20\n encr des\n authentication pre-share\n"
	    T_MAP T_ACL T_IFACE " crypto map M\n", 1, 1,
	    "no crypto isakmp policy is usable, so no tunnel can come up: "
	    "policies 10 (rsa-sig), 20 (des)" },
	{ "one usable policy among unusable ones",
	    "crypto isakmp policy 5\n encr des\n" T_POLICY T_MAP T_ACL T_IFACE
	    " crypto map M\n", 1, 0, NULL },
	{ "a crypto map on no interface", T_POLICY T_MAP T_ACL T_IFACE, 1, 6,
	    "crypto map M is applied to no interface" },
	{ "a crypto ACL without permit", T_POLICY T_MAP
	    "access-list 101 deny ip any any\n" T_IFACE " crypto map M\n", 1, 9,
	    "access list 101 (line 10) has no permit entry" },
	{ "no isakmp policy at all", T_MAP T_ACL T_IFACE " crypto map M\n", 1,
	    3, "no crypto isakmp policy is configured" },
	{ "a stateful map without security key", T_POLICY T_MAP T_ACL
	    T_IPC("192.168.255.1", "   encapsulation udp 9899\n")
	    "redundancy inter-device\n scheme standby G\n" T_IFACE
	    " crypto map M redundancy G stateful\n", 1, 20,
	    "redundancy inter-device has no \"security key SECRET\", so the "
	    "stateful crypto map M on eth0 (line 26) cannot sync" },
	{ "kernel SCTP on a kernel without it", T_POLICY T_MAP T_ACL
	    T_IPC("192.168.255.1", "") "redundancy inter-device\n"
	    " scheme standby G\n" T_KEY T_IFACE
	    " crypto map M redundancy G stateful\n", 0, 12,
	    "this kernel has no SCTP; add '   encapsulation udp PORT' to "
	    "association 1" },
	{ "kernel SCTP on a kernel with it", T_POLICY T_MAP T_ACL
	    T_IPC("192.168.255.1", "") "redundancy inter-device\n"
	    " scheme standby G\n" T_KEY T_IFACE
	    " crypto map M redundancy G stateful\n", 1, 0, NULL },
	{ "UDP encapsulation on a kernel without SCTP", T_POLICY T_MAP T_ACL
	    T_IPC("192.168.255.1", "   encapsulation udp 9899\n")
	    "redundancy inter-device\n scheme standby G\n" T_KEY T_IFACE
	    " crypto map M redundancy G stateful\n", 0, 0, NULL },
	{ "local-ip equal to remote-ip", T_POLICY T_MAP T_ACL
	    T_IPC("192.168.255.2", "   encapsulation udp 9899\n")
	    "redundancy inter-device\n scheme standby G\n" T_KEY T_IFACE
	    " crypto map M redundancy G stateful\n", 1, 12,
	    "local-ip and remote-ip are both 192.168.255.2" },
};

static void
test_strict_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < nitems(strict); i++) {
		struct conf_host host = { strict[i].kernel_sctp };
		struct diag_out	 o, ol;
		struct config	*cf, *lenient;

		cf = load_text("s.conf", strict[i].text, &host, &o);
		lenient = load_text("s.conf", strict[i].text, NULL, &ol);
		if (lenient == NULL)
			fail_msg("%s: conf_load refuses it:\n%s",
			    strict[i].what, ol.text);
		if (strict[i].line == 0) {
			if (cf == NULL || o.errors != 0)
				fail_msg("%s: wanted no error, got:\n%s",
				    strict[i].what, o.text);
		} else {
			if (cf != NULL || o.errors != 1 ||
			    !has_error(o.text, "s.conf", strict[i].line,
			    strict[i].msg))
				fail_msg("%s: wanted one error \"s.conf:%d: "
				    "%s\", got:\n%s", strict[i].what,
				    strict[i].line, strict[i].msg, o.text);
			/* conf_load: the same words, as a warning or not */
			if (strict[i].kernel_sctp &&
			    strstr(ol.text, strict[i].msg) == NULL &&
			    strstr(strict[i].msg, "security key") == NULL)
				fail_msg("%s: conf_load does not warn:\n%s",
				    strict[i].what, ol.text);
		}
		check_diag_lines(o.text, strict[i].what);
		conf_free(cf);
		conf_free(lenient);
		free(o.text);
		free(ol.text);
	}
}

/*
 * The IKEv2 dialect: what full.conf's blocks hold, a flat paste, the
 * negations, the masked keys, and a map entry that names a profile: a
 * warning when the profile's keyring has no key for the entry's peer
 * (havpn answers it, cannot initiate to it).
 */
static void
test_ikev2_dialect(void **state)
{
	static const char flat[] =
	    "crypto ikev2 proposal P\nencryption aes-cbc-256\n"
	    "integrity sha256\ngroup 19\n"
	    "crypto ikev2 keyring K\npeer A\naddress 10.0.0.2\n"
	    "pre-shared-key sekrit-a\npeer B\nidentity fqdn b.example\n"
	    "pre-shared-key remote sekrit-b1\npre-shared-key local sekrit-b2\n"
	    "crypto ikev2 profile PR\nmatch identity remote address 10.0.0.2\n"
	    "authentication local pre-share\nauthentication remote pre-share\n"
	    "keyring local K\n"
	    "crypto ikev2 proposal Q\nencryption aes-gcm-128\nprf sha1\n"
	    "group 14\nno crypto ikev2 proposal Q\n";
	static const char v2map[] = T_POLICY T_MAP " set ikev2-profile PR\n"
	    T_ACL T_IFACE " crypto map M\n"
	    "crypto ikev2 proposal P\n encryption aes-gcm-256\n prf sha256\n"
	    " group 19\ncrypto ikev2 keyring K\n peer A\n  address 10.0.0.2\n"
	    "  pre-shared-key k\ncrypto ikev2 profile PR\n keyring local K\n"
	    " authentication local pre-share\n authentication remote "
	    "pre-share\n match identity remote address 10.0.0.2\n";
	struct conf_diag d = { NULL, 0, 0 };
	struct diag_out	 o;
	struct conf_host host = { 1 };
	struct config	*cf;
	const struct conf_ikev2_proposal *pr;
	const struct conf_ikev2_keyring *k;
	const struct conf_ikev2_profile *x;
	char		*masked;

	(void)state;
	cf = load_quiet("full.conf", &d);
	assert_non_null(cf);
	assert_int_equal(cf->nv2proposals, 2);
	pr = conf_v2proposal_find(cf, "CBC");
	assert_non_null(pr);
	/* two encryption lines: one list, in order */
	assert_int_equal(pr->nenc, 3);
	assert_int_equal(pr->enc[2].bits, 128);
	assert_int_equal(pr->enc[2].gcm, 0);
	assert_int_equal(pr->ninteg, 2);
	assert_int_equal(pr->integ[0], ALG_HASH_SHA512);
	assert_int_equal(pr->nprf, 0);
	pr = conf_v2proposal_find(cf, "GCM");
	assert_int_equal(pr->group[0], 31);
	assert_int_equal(pr->prf[1], ALG_HASH_SHA256);
	assert_int_equal(cf->v2policies[0].nproposals, 2);
	assert_true(ip_is(cf->v2policies[0].local[0], "10.0.0.10"));
	k = conf_v2keyring_find(cf, "KR");
	assert_int_equal(k->npeers, 2);
	assert_string_equal(k->peers[0].psk_local, "left-key");
	assert_string_equal(k->peers[0].psk_remote, "right-key");
	assert_int_equal(k->peers[0].id.type, CONF_ID_FQDN);
	assert_string_equal(k->peers[1].psk_local, "branch-key");
	assert_string_equal(k->peers[1].psk_remote, "branch-key");
	assert_true(ip_is(k->peers[1].mask, "255.255.0.0"));
	x = conf_v2profile_find(cf, "SITE-C");
	assert_int_equal(x->nmatch, 3);
	assert_int_equal(x->lifetime, 3600);
	assert_int_equal(x->dpd_mode, CONF_DPD_PERIODIC);
	assert_int_equal(conf_v2profile_find(cf, "OTHER")->lifetime, 86400);
	assert_string_equal(cf->maps[0].entries[2].ikev2_profile.name,
	    "SITE-C");
	conf_free(cf);

	/* a flat paste; keys masked for show */
	cf = load_text("f.conf", flat, NULL, &o);
	if (cf == NULL || o.errors != 0)
		fail_msg("flat paste:\n%s", o.text);
	free(o.text);
	assert_int_equal(cf->nv2proposals, 1);
	k = &cf->v2keyrings[0];
	assert_int_equal(k->npeers, 2);
	assert_string_equal(k->peers[1].psk_remote, "sekrit-b1");
	assert_string_equal(k->peers[1].psk_local, "sekrit-b2");
	assert_int_equal(cf->v2profiles[0].nmatch, 1);
	masked = conf_print_str_show(cf, 0);
	assert_null(strstr(masked, "sekrit"));
	assert_non_null(strstr(masked, "  pre-shared-key *****\n"));
	assert_non_null(strstr(masked, "  pre-shared-key local *****\n"));
	free(masked);
	conf_free(cf);

	/* an IKEv2 entry whose keyring holds its peer: no word */
	cf = load_text("s.conf", v2map, &host, &o);
	if (cf == NULL || o.errors != 0 || strstr(o.text, "s.conf:10") !=
	    NULL)
		fail_msg("-t on an IKEv2 entry:\n%s", o.text);
	free(o.text);
	conf_free(cf);
	/* one whose keyring has no peer for it: answered, not initiated;
	 * a warning, -t too */
	masked = strdup(v2map);
	assert_non_null(masked);
	assert_non_null(strstr(masked, "  address 10.0.0.2\n"));
	strstr(masked, "  address 10.0.0.2\n")[17] = '3';
	cf = load_text("s.conf", masked, &host, &o);
	if (cf == NULL || o.errors != 0 || strstr(o.text, "s.conf:10: "
	    "warning: crypto map M 10: the keyring of ikev2-profile PR has "
	    "no peer with both keys for the entry's peer: havpn answers it "
	    "but cannot initiate") == NULL)
		fail_msg("-t on an IKEv2 entry without a key:\n%s", o.text);
	free(o.text);
	conf_free(cf);
	cf = load_text("s.conf", masked, NULL, &o);
	assert_non_null(cf);
	assert_int_equal(o.errors, 0);
	assert_non_null(strstr(o.text, "s.conf:10: warning: crypto map M 10: "
	    "the keyring"));
	free(o.text);
	conf_free(cf);
	free(masked);
}

/* The repository's seed fixtures under -t: what each lacks, at its line. */
static void
test_strict_fixtures(void **state)
{
	struct conf_host host = { 0 };
	struct diag_out	 o;
	struct config	*cf;

	(void)state;
	/* the post leaves out "authentication pre-share" */
	cf = load_file_out("stateless-ha.conf", &host, &o);
	assert_null(cf);
	assert_int_equal(o.errors, 1);
	assert_true(has_error(o.text, FIXTURES "stateless-ha.conf", 4,
	    "policies 1 (rsa-sig)"));
	free(o.text);
	/* no security key, no usable policy, and kernel SCTP (none here) */
	cf = load_file_out("stateful-ha.conf", &host, &o);
	assert_null(cf);
	assert_int_equal(o.errors, 3);
	assert_true(has_error(o.text, FIXTURES "stateful-ha.conf", 5,
	    "this kernel has no SCTP"));
	assert_true(has_error(o.text, FIXTURES "stateful-ha.conf", 16,
	    "cannot sync"));
	assert_true(has_error(o.text, FIXTURES "stateful-ha.conf", 19,
	    "no crypto isakmp policy is usable"));
	check_diag_lines(o.text, "stateful-ha.conf");
	free(o.text);
	for (size_t i = 0; i < 3; i++) {
		static const char *const good[] = { "lab13-1-r1.conf",
		    "standalone-r1.conf", "standalone-r2.conf" };

		cf = load_file_out(good[i], &host, &o);
		if (cf == NULL)
			fail_msg("%s under -t:\n%s", good[i], o.text);
		conf_free(cf);
		free(o.text);
	}
}

/*
 * The file holds the keys: one that others may write is refused, by a
 * start and by havpnd -t alike, naming the file; the other modes load
 * (havpnd warns about a file others may read, conf does not).
 */
static void
test_file_writable_by_others(void **state)
{
	static const char text[] = "hostname ha1\n"
	    "crypto isakmp key cisco123 address 10.0.0.20\n";
	static const struct {
		mode_t	 mode;
		int	 refused;
	} cases[] = {
		{ 0600, 0 }, { 0640, 0 }, { 0644, 0 }, { 0660, 0 },
		{ 0602, 1 }, { 0646, 1 }, { 0666, 1 }, { 0777, 1 },
	};
	struct conf_host host = { 1 };
	char		 path[] = "/tmp/havpn-conf-XXXXXX", want[128];
	int		 fd;

	(void)state;
	if ((fd = mkstemp(path)) == -1)
		fail_msg("mkstemp");
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	close(fd);
	for (size_t i = 0; i < nitems(cases); i++) {
		for (int t = 0; t < 2; t++) {
			struct conf_diag d = { NULL, 0, 0 };
			struct config	*cf;
			char		*out = NULL;
			size_t		 len = 0;

			assert_int_equal(chmod(path, cases[i].mode), 0);
			d.out = open_memstream(&out, &len);
			cf = t ? conf_load_strict(path, &host, &d) :
			    conf_load(path, &d);
			fclose(d.out);
			snprintf(want, sizeof(want), "%s: writable by others "
			    "(mode %04o): refused", path,
			    (unsigned)cases[i].mode);
			if (cases[i].refused && (cf != NULL || d.errors != 1 ||
			    strstr(out, want) == NULL))
				fail_msg("mode %04o%s: wanted \"%s\", got:\n%s",
				    (unsigned)cases[i].mode, t ? " (-t)" :
				    "", want, out);
			if (!cases[i].refused && (cf == NULL || d.errors != 0 ||
			    d.warnings != 0))
				fail_msg("mode %04o%s: refused or warned:\n%s",
				    (unsigned)cases[i].mode, t ? " (-t)" :
				    "", out);
			conf_free(cf);
			free(out);
		}
	}
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab13_1),
		cmocka_unit_test(test_standalone_pair),
		cmocka_unit_test(test_stateless_and_stateful),
		cmocka_unit_test(test_cisco3725),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_ikev2_fragmentation),
		cmocka_unit_test(test_ipc_lanes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_print_masks_secrets),
		cmocka_unit_test(test_standby_peer_line),
		cmocka_unit_test(test_tunnel_interface),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_vrrp_checksum_line),
		cmocka_unit_test(test_pasted_seeds),
		cmocka_unit_test(test_pasted_seeds_fixed),
		cmocka_unit_test(test_one_error_per_mistake),
		cmocka_unit_test(test_diag_words_and_order),
		cmocka_unit_test(test_keywords_any_case),
		cmocka_unit_test(test_strict_check),
		cmocka_unit_test(test_ikev2_dialect),
		cmocka_unit_test(test_strict_fixtures),
		cmocka_unit_test(test_file_writable_by_others),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
