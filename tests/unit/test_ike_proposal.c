/*
 * ike/proposal.c on its own: what we offer parses back and is chosen, the
 * IOS comparison names the attribute that differs, the transform decoders
 * (a table of RFC 2407 4.5 cases), the traces that follow decoding, and
 * the responder's refusals with the notification each one sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ike/ike_int.h"
#include "ike_pair.h"

static const char conf_text[] =
    "hostname a\n"
    "crypto isakmp policy 10\n"
    " encr aes 256\n"
    " hash sha256\n"
    " authentication pre-share\n"
    " group 14\n"
    " lifetime 3600\n"
    "crypto isakmp policy 20\n"
    " encr 3des\n"
    " hash sha\n"
    " authentication pre-share\n"
    " group 2\n"
    "crypto isakmp key cisco123 address 10.0.0.20\n"
    "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
    "crypto ipsec transform-set T3 esp-3des esp-md5-hmac\n"
    "crypto map vpn 10 ipsec-isakmp\n"
    " set peer 10.0.0.20\n"
    " set transform-set TS T3\n"
    " match address 110\n"
    "crypto map vpn 20 ipsec-isakmp\n"
    " set peer 10.0.0.21\n"
    " set transform-set TS\n"
    " set pfs group14\n"
    " match address 110\n"
    "interface eth0\n"
    " ip address 10.0.0.11 255.255.255.0\n"
    " crypto map vpn\n"
    "access-list 110 permit ip 192.168.20.0 0.0.0.255 172.21.91.0 "
    "0.0.0.255\n";

static const uint8_t icookie[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t rcookie[8] = { 0 };

/* The engine's fields the proposal functions read: the configuration. */
static struct ike	 eng;
static struct ike_sa	 sa;
static struct ike_sa_pl	 spl;

static int
setup(void **state)
{
	(void)state;
	memset(&eng, 0, sizeof(eng));
	memset(&sa, 0, sizeof(sa));
	eng.cf = pair_conf(conf_text);
	if (eng.cf == NULL)
		return -1;
	sa.ike = &eng;
	sa.conn_id = 1001;
	pair_log_reset();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(eng.cf);
	eng.cf = NULL;
	return 0;
}

/* The SA payload wr starts with, parsed into spl (which borrows wr). */
static void
parse_sa(struct ike_wr *wr, struct ike_sa_pl *out)
{
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	uint16_t	 n;
	const char	*err;

	ike_wr_finish(wr);
	assert_false(wbuf_error(&wr->w));
	buf_init(&b, wr->w.p, wr->w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), 0);
	assert_int_equal(pls.pl[0].type, IKE_PL_SA);
	assert_int_equal(ike_sa_parse(pls.pl[0].body, out, &n, &err), 0);
}

/* A one-transform SA payload made by hand: proposal 1, the attributes. */
struct attr_row {
	uint16_t	 type;
	uint64_t	 num;
	int		 no_num;	/* a TLV too long to be a number */
};

static void
hand_sa(uint8_t proto, uint8_t xf_id, const struct attr_row *a, int n)
{
	static const uint8_t long_val[9];

	memset(&spl, 0, sizeof(spl));
	spl.nprops = 1;
	spl.prop[0].num = 1;
	spl.prop[0].proto = proto;
	spl.prop[0].spisize = proto == IKE_PROTO_ISAKMP ? 0 : 4;
	be32_put(spl.prop[0].spi, 0x11223344);
	spl.prop[0].nxf = 1;
	spl.nxf = 1;
	spl.xf[0].num = 1;
	spl.xf[0].id = xf_id;
	spl.xf[0].nattrs = n;
	spl.nattrs = n;
	for (int i = 0; i < n; i++) {
		struct ike_attr *t = &spl.attr[i];

		t->type = a[i].type;
		if (a[i].no_num) {
			t->val = long_val;
			t->len = sizeof(long_val);
			continue;
		}
		t->num = a[i].num;
		t->num_ok = 1;
		t->tv = a[i].num <= UINT16_MAX;
	}
}

/* ---- phase 1 ------------------------------------------------------------- */

static void
test_p1_offer_is_chosen(void **state)
{
	struct ike_wr	 wr, rw;
	struct ike_sa_pl *reply = malloc(sizeof(*reply));
	struct ike_p1_alg alg;
	const struct ike_xf *x = NULL;

	(void)state;
	ike_wr_init(&wr, icookie, rcookie, IKE_EX_MAIN, 0, 0);
	assert_int_equal(ike_p1_build_sa(&eng, &wr, 0), 2);
	parse_sa(&wr, &spl);
	assert_int_equal(spl.nprops, 1);
	assert_int_equal(spl.prop[0].nxf, 2);
	/* the first usable policy in priority order wins */
	memset(&alg, 0, sizeof(alg));
	assert_int_equal(ike_p1_choose(&sa, &spl, &alg, &x), 0);
	assert_ptr_equal(x, &spl.xf[0]);
	assert_int_equal(alg.prio, 10);
	assert_int_equal(alg.enc, ALG_ENC_AES);
	assert_int_equal(alg.keybits, 256);
	assert_int_equal(alg.hash, ALG_HASH_SHA256);
	assert_int_equal(alg.group, 14);
	assert_int_equal(alg.lifetime, 3600);
	assert_true(pair_log_has("Checking ISAKMP transform 1 against "
	    "priority 10 policy"));
	assert_true(pair_log_has("ISAKMP:      encryption AES-CBC\n"));
	assert_true(pair_log_has("ISAKMP:      keylength of 256\n"));
	assert_true(pair_log_has("ISAKMP:      life duration (VPI) of  0x0 "
	    "0x0 0xe 0x10\n"));
	assert_true(pair_log_has("Returning Actual lifetime: 3600"));

	/* the reply carries that transform alone, and the initiator takes it */
	ike_wr_init(&rw, icookie, rcookie, IKE_EX_MAIN, 0, 0);
	ike_p1_build_reply(&rw, &spl, x);
	parse_sa(&rw, reply);
	assert_int_equal(reply->nprops, 1);
	assert_int_equal(reply->prop[0].nxf, 1);
	memset(&alg, 0, sizeof(alg));
	assert_int_equal(ike_p1_accept_reply(&sa, reply, &alg), 0);
	assert_int_equal(alg.prio, 10);

	/* Aggressive Mode offers one DH group only */
	ike_wr_cleanup(&wr);
	ike_wr_init(&wr, icookie, rcookie, IKE_EX_AGGRESSIVE, 0, 0);
	assert_int_equal(ike_p1_build_sa(&eng, &wr, 2), 1);
	ike_wr_cleanup(&wr);
	ike_wr_cleanup(&rw);
	free(reply);
}

/* Each attribute of policy 10 changed in turn: IOS's reason for it. */
static void
test_p1_mismatch_names_the_attribute(void **state)
{
	static const struct {
		struct ike_p1_offer o;
		const char	*why;
	} rows[] = {
		{ { IKE_ENC_AES, 256, IKE_HASH_SHA256, IKE_AUTH_PSK, 14, 0, 0 },
		    NULL },
		{ { IKE_ENC_AES, 256, IKE_HASH_SHA256, IKE_AUTH_PSK, 14, 0, 1 },
		    "atts are not supported" },
		{ { IKE_ENC_3DES, 0, IKE_HASH_SHA256, IKE_AUTH_PSK, 14, 0, 0 },
		    "Encryption algorithm offered does not match policy!" },
		{ { IKE_ENC_AES, 128, IKE_HASH_SHA256, IKE_AUTH_PSK, 14, 0, 0 },
		    "Key length offered does not match policy!" },
		{ { IKE_ENC_AES, 256, IKE_HASH_SHA1, IKE_AUTH_PSK, 14, 0, 0 },
		    "Hash algorithm offered does not match policy!" },
		{ { IKE_ENC_AES, 256, IKE_HASH_SHA256, IKE_AUTH_RSA_SIG, 14, 0,
		    0 }, "Authentication method offered does not match "
		    "policy!" },
		{ { IKE_ENC_AES, 256, IKE_HASH_SHA256, IKE_AUTH_PSK, 5, 0, 0 },
		    "Diffie-Hellman group offered does not match policy!" },
	};
	const struct conf_isakmp_policy *p = &eng.cf->policies[0];
	struct ike_p1_offer o3 = { IKE_ENC_3DES, 128, IKE_HASH_SHA1,
	    IKE_AUTH_PSK, 2, 0, 0 };

	(void)state;
	assert_int_equal(p->priority, 10);
	for (size_t i = 0; i < nitems(rows); i++) {
		const char *why = ike_p1_mismatch(&rows[i].o, p);

		if (rows[i].why == NULL)
			assert_null(why);
		else
			assert_string_equal(why, rows[i].why);
	}
	/* 3DES has one key size: a key length is a mismatch */
	assert_int_equal(eng.cf->policies[1].priority, 20);
	assert_string_equal(ike_p1_mismatch(&o3, &eng.cf->policies[1]),
	    "Key length offered does not match policy!");
	o3.keylen = 0;
	assert_null(ike_p1_mismatch(&o3, &eng.cf->policies[1]));
}

static void
test_p1_decode(void **state)
{
	const struct attr_row good[] = {
		{ IKE_P1A_ENC, IKE_ENC_AES, 0 },
		{ IKE_P1A_KEY_LENGTH, 256, 0 },
		{ IKE_P1A_HASH, IKE_HASH_SHA256, 0 },
		{ IKE_P1A_AUTH, IKE_AUTH_PSK, 0 },
		{ IKE_P1A_GROUP, 14, 0 },
		{ IKE_P1A_LIFE_TYPE, IKE_LIFE_KILOBYTES, 0 },
		{ IKE_P1A_LIFE_DURATION, 1000, 0 },
		{ IKE_P1A_LIFE_TYPE, IKE_LIFE_SECONDS, 0 },
		{ IKE_P1A_LIFE_DURATION, 7200, 0 },
	};
	const struct attr_row no_type[] = {
		{ IKE_P1A_LIFE_DURATION, 7200, 0 },
	};
	const struct attr_row odd_type[] = {
		{ IKE_P1A_LIFE_TYPE, 3, 0 },
	};
	const struct attr_row prf[] = {
		{ IKE_P1A_PRF, 1, 0 },
		{ IKE_P1A_GROUP, 14, 0 },
	};
	const struct attr_row no_num[] = {
		{ IKE_P1A_ENC, 0, 1 },
		{ IKE_P1A_GROUP, 14, 0 },
	};
	struct ike_p1_offer o;

	(void)state;
	hand_sa(IKE_PROTO_ISAKMP, IKE_XF_KEY_IKE, good, (int)nitems(good));
	ike_p1_decode(&spl, &spl.xf[0], &o);
	assert_int_equal(o.enc, IKE_ENC_AES);
	assert_int_equal(o.keylen, 256);
	assert_int_equal(o.hash, IKE_HASH_SHA256);
	assert_int_equal(o.auth, IKE_AUTH_PSK);
	assert_int_equal(o.group, 14);
	/* kilobytes set no limit on an ISAKMP SA; seconds do */
	assert_int_equal(o.life, 7200);
	assert_int_equal(o.bad, 0);

	/* RFC 2407 4.5: the type comes before its duration */
	hand_sa(IKE_PROTO_ISAKMP, IKE_XF_KEY_IKE, no_type, 1);
	ike_p1_decode(&spl, &spl.xf[0], &o);
	assert_int_equal(o.bad, 1);
	hand_sa(IKE_PROTO_ISAKMP, IKE_XF_KEY_IKE, odd_type, 1);
	ike_p1_decode(&spl, &spl.xf[0], &o);
	assert_int_equal(o.bad, 1);
	/* an attribute we do not negotiate; reading goes on */
	hand_sa(IKE_PROTO_ISAKMP, IKE_XF_KEY_IKE, prf, 2);
	ike_p1_decode(&spl, &spl.xf[0], &o);
	assert_int_equal(o.bad, 1);
	assert_int_equal(o.group, 14);
	/* no number: bad, the rest read, and traced without it */
	hand_sa(IKE_PROTO_ISAKMP, IKE_XF_KEY_IKE, no_num, 2);
	ike_p1_decode(&spl, &spl.xf[0], &o);
	assert_int_equal(o.bad, 1);
	assert_int_equal(o.group, 14);
	pair_log_reset();
	ike_p1_trace(&spl, &spl.xf[0]);
	assert_false(pair_log_has("encryption"));
	assert_true(pair_log_has("ISAKMP:      default group 14\n"));
}

/* ---- phase 2 ------------------------------------------------------------- */

#define MAXA	8

/* RFC 2407 4.5 cases: one transform decoded. */
static const struct {
	const char	*what;
	uint8_t		 id;
	struct attr_row	 a[MAXA];
	int		 na;
	int		 rc, bad, nattrs;
	int		 tunnel, udp, keybits;
	enum alg_esp_auth auth;
	uint32_t	 secs;
	uint64_t	 kbytes;
} p2_rows[] = {
	{ "aes 256 sha256 tunnel, seconds and kilobytes", IKE_ESP_AES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 },
	    { IKE_P2A_LIFE_TYPE, IKE_LIFE_SECONDS, 0 },
	    { IKE_P2A_LIFE_DURATION, 3600, 0 },
	    { IKE_P2A_LIFE_TYPE, IKE_LIFE_KILOBYTES, 0 },
	    { IKE_P2A_LIFE_DURATION, 4608000, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_SHA256, 0 },
	    { IKE_P2A_KEY_LENGTH, 256, 0 } }, 7,
	    0, 0, 7, 1, 0, 256, ALG_ESP_AUTH_SHA256, 3600, 4608000 },
	{ "aes 256 (key length last)", IKE_ESP_AES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_SHA1, 0 },
	    { IKE_P2A_KEY_LENGTH, 256, 0 } }, 2,
	    0, 0, 2, 0, 0, 256, ALG_ESP_AUTH_SHA1, 0, 0 },
	{ "aes without a key length (RFC 3602)", IKE_ESP_AES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_SHA1, 0 } }, 1,
	    0, 1, 1, 0, 0, 0, ALG_ESP_AUTH_SHA1, 0, 0 },
	{ "3des md5 transport", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_TRANSPORT, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 2,
	    0, 0, 2, 0, 0, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "UDP-encapsulated tunnel, draft number", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_UDP_TUNNEL_DRAFT, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 2,
	    0, 0, 2, 1, 1, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "UDP-encapsulated transport", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_UDP_TRANSPORT, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 2,
	    0, 0, 2, 0, 1, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "an unknown encapsulation mode", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, 9, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 2,
	    0, 1, 2, 0, 0, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "a cipher without integrity", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 } }, 1,
	    0, 1, 1, 1, 0, 192, ALG_ESP_AUTH_NONE, 0, 0 },
	{ "gcm 128 alone", IKE_ESP_AES_GCM_16,
	    { { IKE_P2A_KEY_LENGTH, 128, 0 } }, 1,
	    0, 0, 1, 0, 0, 128, ALG_ESP_AUTH_NONE, 0, 0 },
	{ "gcm with an integrity algorithm", IKE_ESP_AES_GCM_16,
	    { { IKE_P2A_KEY_LENGTH, 128, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_SHA1, 0 } }, 2,
	    0, 1, 2, 0, 0, 128, ALG_ESP_AUTH_SHA1, 0, 0 },
	{ "a transform we do not have", IKE_ESP_NULL,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_SHA1, 0 } }, 1,
	    0, 1, 1, 0, 0, 0, ALG_ESP_AUTH_SHA1, 0, 0 },
	{ "an integrity algorithm we do not have", IKE_ESP_3DES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_DES_MAC, 0 } }, 1,
	    0, 1, 1, 0, 0, 192, ALG_ESP_AUTH_NONE, 0, 0 },
	{ "extended sequence numbers", IKE_ESP_3DES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 },
	    { IKE_P2A_ESN, 1, 0 } }, 2,
	    0, 1, 2, 0, 0, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "ESN 0 is fine", IKE_ESP_3DES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 },
	    { IKE_P2A_ESN, 0, 0 } }, 2,
	    0, 0, 2, 0, 0, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "an unknown attribute", IKE_ESP_3DES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 },
	    { IKE_P2A_KEY_ROUNDS, 1, 0 } }, 2,
	    0, 1, 2, 0, 0, 192, ALG_ESP_AUTH_MD5, 0, 0 },
	{ "seconds beyond 32 bits", IKE_ESP_3DES,
	    { { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 },
	    { IKE_P2A_LIFE_TYPE, IKE_LIFE_SECONDS, 0 },
	    { IKE_P2A_LIFE_DURATION, 0x100000000ULL, 0 } }, 3,
	    0, 0, 3, 0, 0, 192, ALG_ESP_AUTH_MD5, UINT32_MAX, 0 },
	{ "malformed: a duration before its type", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 },
	    { IKE_P2A_LIFE_DURATION, 3600, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 3,
	    -1, 0, 2, 0, 0, 192, ALG_ESP_AUTH_NONE, 0, 0 },
	{ "malformed: an unknown life type", IKE_ESP_3DES,
	    { { IKE_P2A_LIFE_TYPE, 3, 0 },
	    { IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 } }, 2,
	    -1, 0, 1, 0, 0, 192, ALG_ESP_AUTH_NONE, 0, 0 },
	{ "malformed: an attribute without a number", IKE_ESP_3DES,
	    { { IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 },
	    { IKE_P2A_AUTH, 0, 1 },
	    { IKE_P2A_KEY_LENGTH, 128, 0 } }, 3,
	    -1, 0, 1, 0, 0, 192, ALG_ESP_AUTH_NONE, 0, 0 },
};

static void
test_p2_decode(void **state)
{
	struct ike_p2_offer o;

	(void)state;
	for (size_t i = 0; i < nitems(p2_rows); i++) {
		int	 rc, ok;

		hand_sa(IKE_PROTO_ESP, p2_rows[i].id, p2_rows[i].a,
		    p2_rows[i].na);
		rc = ike_p2_decode(&spl, &spl.xf[0], &o);
		ok = rc == p2_rows[i].rc && o.nattrs == p2_rows[i].nattrs;
		if (ok && rc == 0)
			ok = o.bad == p2_rows[i].bad &&
			    o.xf.esp_id == p2_rows[i].id &&
			    o.xf.tunnel == p2_rows[i].tunnel &&
			    o.xf.udp == p2_rows[i].udp &&
			    o.xf.keybits == p2_rows[i].keybits &&
			    o.xf.auth == p2_rows[i].auth &&
			    o.xf.life_secs == p2_rows[i].secs &&
			    o.xf.life_kbytes == p2_rows[i].kbytes;
		if (!ok)
			print_error("case \"%s\": rc %d nattrs %d bad %d\n",
			    p2_rows[i].what, rc, o.nattrs, o.bad);
		assert_true(ok);
	}
}

/* The trace follows decoding: a malformed transform up to where it stopped. */
static void
test_p2_trace_after_decoding(void **state)
{
	const struct attr_row a[] = {
		{ IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 },
		{ IKE_P2A_LIFE_TYPE, IKE_LIFE_SECONDS, 0 },
		{ IKE_P2A_LIFE_DURATION, 0, 1 },
		{ IKE_P2A_AUTH, IKE_P2AUTH_SHA1, 0 },
	};
	struct ike_p2_offer o;

	(void)state;
	hand_sa(IKE_PROTO_ESP, IKE_ESP_AES, a, (int)nitems(a));
	assert_int_equal(ike_p2_decode(&spl, &spl.xf[0], &o), -1);
	assert_false(pair_log_has("ISAKMP"));
	ike_p2_trace(&spl, &spl.xf[0], &o);
	assert_true(pair_log_has("ISAKMP:transform 1, ESP_AES\n"));
	assert_true(pair_log_has("ISAKMP:  attributes in transform:\n"));
	assert_true(pair_log_has("ISAKMP:      encaps is 1 (Tunnel)\n"));
	assert_true(pair_log_has("ISAKMP:      SA life type in seconds\n"));
	assert_false(pair_log_has("SA life duration"));
	assert_false(pair_log_has("authenticator"));

	/* a whole transform: every attribute, basic or VPI as it came */
	spl.attr[2].num_ok = 1;
	spl.attr[2].num = 86400;
	assert_int_equal(ike_p2_decode(&spl, &spl.xf[0], &o), 0);
	pair_log_reset();
	ike_p2_trace(&spl, &spl.xf[0], &o);
	assert_true(pair_log_has("ISAKMP:      SA life duration (VPI) of  "
	    "0x0 0x1 0x51 0x80\n"));
	assert_true(pair_log_has("ISAKMP:      authenticator is HMAC-SHA\n"));
}

static void
test_p2_offer_is_chosen(void **state)
{
	const struct conf_map_entry *e = ike_map_entry(eng.cf, "vpn", 10);
	struct ike_p2_xf offers[8], xf;
	struct ike_sa_pl *reply = malloc(sizeof(*reply));
	struct ike_qm	*q = calloc(1, sizeof(*q));
	struct ike_wr	 wr, rw;
	uint32_t	 spi = 0;
	uint16_t	 notify = 0;
	int		 n;

	(void)state;
	assert_non_null(e);
	n = ike_p2_offers(&eng, e, 0, offers, (int)nitems(offers));
	assert_int_equal(n, 2);
	assert_string_equal(offers[0].tset, "TS");
	assert_string_equal(offers[1].tset, "T3");
	/* the peer offers T3 only, for longer than we keep a pair */
	offers[1].life_secs = 2 * eng.cf->sa_life_seconds;
	ike_wr_init(&wr, icookie, rcookie, IKE_EX_QUICK, 0, 1);
	ike_p2_build_sa(&wr, &offers[1], 1, 0xabcdef01, 0);
	parse_sa(&wr, &spl);
	assert_int_equal(ike_p2_choose(&sa, &spl, e, 0, &xf, &spi, &notify),
	    0);
	assert_int_equal(spi, 0xabcdef01);
	assert_string_equal(xf.tset, "T3");
	assert_int_equal(xf.enc, ALG_ESP_3DES);
	assert_int_equal(xf.auth, ALG_ESP_AUTH_MD5);
	assert_int_equal(xf.offered_secs, 2 * eng.cf->sa_life_seconds);
	assert_int_equal(xf.life_secs, eng.cf->sa_life_seconds);
	assert_true(pair_log_has("transform 1 does not match transform-set "
	    "TS: encryption"));
	assert_true(pair_log_has("atts are acceptable."));

	/* our answer, and the initiator finds it among its offers */
	ike_wr_init(&rw, icookie, rcookie, IKE_EX_QUICK, 0, 1);
	ike_p2_build_reply(&rw, &xf, 0x01020304, 0, xf.offered_secs, 0);
	parse_sa(&rw, reply);
	q->noffers = ike_p2_offers(&eng, e, 0, q->offer, (int)nitems(q->offer));
	assert_int_equal(ike_p2_accept_reply(q, reply, &spi), 0);
	assert_int_equal(spi, 0x01020304);
	assert_string_equal(q->xf.tset, "T3");
	/* the UDP-encapsulated mode is a different transform */
	q->noffers = ike_p2_offers(&eng, e, 1, q->offer, (int)nitems(q->offer));
	assert_int_equal(ike_p2_accept_reply(q, reply, &spi), -1);
	ike_wr_cleanup(&wr);
	ike_wr_cleanup(&rw);
	free(reply);
	free(q);
}

/* What the responder refuses, and the notification it answers with. */
static void
test_p2_refusals(void **state)
{
	const struct conf_map_entry *e10 = ike_map_entry(eng.cf, "vpn", 10);
	const struct conf_map_entry *e20 = ike_map_entry(eng.cf, "vpn", 20);
	const struct attr_row ok[] = {
		{ IKE_P2A_ENCAP, IKE_ENCAP_TUNNEL, 0 },
		{ IKE_P2A_AUTH, IKE_P2AUTH_MD5, 0 },
	};
	const struct attr_row malformed[] = {
		{ IKE_P2A_LIFE_DURATION, 3600, 0 },
	};
	struct ike_p2_xf xf;
	uint32_t	 spi;
	uint16_t	 notify;

	(void)state;
	/* set pfs group14: an offer without PFS is not enough */
	hand_sa(IKE_PROTO_ESP, IKE_ESP_3DES, ok, 2);
	assert_int_equal(ike_p2_choose(&sa, &spl, e10, 0, &xf, &spi, &notify),
	    0);
	assert_int_equal(ike_p2_choose(&sa, &spl, e20, 0, &xf, &spi, &notify),
	    -1);
	assert_int_equal(notify, IKE_N_NO_PROPOSAL_CHOSEN);
	assert_true(pair_log_has("atts are not acceptable: PFS group 14 "
	    "required, offered 0"));
	/* an SPI that is not 4 bytes */
	spl.prop[0].spisize = 0;
	assert_int_equal(ike_p2_choose(&sa, &spl, e10, 0, &xf, &spi, &notify),
	    -1);
	assert_int_equal(notify, IKE_N_INVALID_SPI);
	/* AH, or ESP in a bundle */
	spl.prop[0].spisize = 4;
	spl.prop[0].proto = IKE_PROTO_AH;
	assert_int_equal(ike_p2_choose(&sa, &spl, e10, 0, &xf, &spi, &notify),
	    -1);
	assert_int_equal(notify, IKE_N_NO_PROPOSAL_CHOSEN);
	assert_true(pair_log_has("proposal 1: only ESP alone is supported "
	    "(AH)"));
	/* a malformed transform */
	hand_sa(IKE_PROTO_ESP, IKE_ESP_3DES, malformed, 1);
	assert_int_equal(ike_p2_choose(&sa, &spl, e10, 0, &xf, &spi, &notify),
	    -1);
	assert_int_equal(notify, IKE_N_BAD_PROPOSAL_SYNTAX);
	assert_true(pair_log_has("atts are not acceptable (malformed)."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_p1_offer_is_chosen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_p1_mismatch_names_the_attribute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p1_decode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_p2_decode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_p2_trace_after_decoding,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2_offer_is_chosen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_p2_refusals, setup,
		    teardown),
	};

	pair_log_init();
	return cmocka_run_group_tests_name("ike_proposal", tests, NULL, NULL);
}
