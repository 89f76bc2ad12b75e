/*
 * ike/v2/payload.c, the IKEv2 codec: a strongSwan IKE_SA_INIT request
 * built byte by byte from RFC 7296 (checked with tshark's dissector when
 * it was written), then every payload parsed and written, every
 * truncation of every valid message refused (each copied to memory of
 * exactly its length, so that ASan sees any read past it), the header
 * and chain rules (version, length, critical payloads, the encrypted
 * payload last, fragments), the SA rules in a table, traffic selector
 * ranges, notify data lengths, and a message sealed and opened with
 * ike/v2/crypto.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "ike/v2/crypto.h"
#include "ike/v2/wire.h"

/*
 * IKE_SA_INIT request as charon 5.9 lays it out ("[ SA KE No
 * N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]")
 * with proposals = aes256-sha256-ecp256: ENCR_AES_CBC with a Key Length
 * of 256, AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, group 19.  The KE,
 * nonce and NAT-D data are filler of the right sizes.
 */
static const uint8_t sswan_init[] = {
	/* header: SPIi, SPIr 0, SA, 2.0, IKE_SA_INIT, I, ID 0, 272 */
	0x5a, 0x1f, 0x3c, 0x7e, 0x91, 0x2b, 0x44, 0xd0,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x21, 0x20, 0x22, 0x08, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x10,
	/* SA, next KE, 48: one proposal, IKE, no SPI, 4 transforms */
	0x22, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x2c,
	0x01, 0x01, 0x00, 0x04, 0x03, 0x00, 0x00, 0x0c,
	0x01, 0x00, 0x00, 0x0c, 0x80, 0x0e, 0x01, 0x00,
	0x03, 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x0c,
	0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x13,
	/* KE, next No, 72: group 19, 64 octets */
	0x28, 0x00, 0x00, 0x48, 0x00, 0x13, 0x00, 0x00,
	0x00, 0xd3, 0xe7, 0x93, 0x9b, 0x34, 0x76, 0x69,
	0x4c, 0x62, 0x6a, 0xdc, 0xc8, 0xef, 0x8a, 0xed,
	0x2e, 0xd8, 0x8d, 0x57, 0xcb, 0xfe, 0x07, 0x10,
	0xdc, 0x4a, 0xdb, 0xcb, 0xaf, 0xe3, 0x77, 0x82,
	0x3e, 0xe5, 0x6d, 0x53, 0x82, 0x78, 0xb4, 0x1c,
	0x85, 0xf3, 0xe2, 0x41, 0xcc, 0xd9, 0xa5, 0xa1,
	0x8c, 0xd3, 0xca, 0x2f, 0xc3, 0xe6, 0x98, 0xed,
	0xb8, 0xa1, 0x4b, 0x95, 0x41, 0x79, 0x8b, 0x10,
	/* No, next N, 36: 32 octets */
	0x29, 0x00, 0x00, 0x24, 0x71, 0x5f, 0x3d, 0x60,
	0x9a, 0x2c, 0xa2, 0x71, 0x5c, 0x9a, 0xb2, 0x13,
	0x81, 0xd8, 0x27, 0x5a, 0x64, 0x5c, 0x07, 0x7d,
	0x90, 0xd7, 0xa9, 0x70, 0xb9, 0xc1, 0x7c, 0x1e,
	0x91, 0xc1, 0x81, 0x6b,
	/* N(NAT_DETECTION_SOURCE_IP) */
	0x29, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x04,
	0xf9, 0x77, 0x32, 0x8c, 0xd8, 0x6b, 0xd8, 0x23,
	0x5b, 0x8e, 0x30, 0x70, 0x80, 0x4f, 0xcb, 0x0a,
	0x02, 0x2a, 0x8b, 0x0d,
	/* N(NAT_DETECTION_DESTINATION_IP) */
	0x29, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x05,
	0x83, 0x6c, 0xd8, 0x0d, 0x17, 0x09, 0x0f, 0x79,
	0xe4, 0xa3, 0x50, 0x54, 0xcb, 0x60, 0xc2, 0x52,
	0xba, 0xfc, 0x63, 0xc7,
	/* N(IKEV2_FRAGMENTATION_SUPPORTED) */
	0x29, 0x00, 0x00, 0x08, 0x00, 0x00, 0x40, 0x2e,
	/* N(SIGNATURE_HASH_ALGORITHMS): SHA2-256, 384, 512, Identity */
	0x29, 0x00, 0x00, 0x10, 0x00, 0x00, 0x40, 0x2f,
	0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05,
	/* N(REDIRECT_SUPPORTED), last */
	0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x40, 0x16,
};

/* A copy in memory of exactly len octets (ASan catches reads past it). */
static uint8_t *
exact(const uint8_t *p, size_t len)
{
	uint8_t	*q = malloc(len > 0 ? len : 1);

	assert_non_null(q);
	if (len > 0)
		memcpy(q, p, len);
	return q;
}

/* Header and chain; 0 or -1. */
static int
parse_msg(const uint8_t *p, size_t len, struct ike2_hdr *h,
    struct ike2_pls *pls, uint16_t *notify, const char **err)
{
	struct buf	 b;

	buf_init(&b, p, len);
	if (ike2_hdr_parse(&b, h, notify, err) == -1)
		return -1;
	return ike2_pls_parse(&b, h->np, 0, pls, notify, err);
}

/* Writing what was parsed gives the same bytes. */
static void
rewrites_same(const uint8_t *p, size_t len)
{
	struct ike2_wr	 wr;
	const char	*err = NULL;
	int		 rc = ike2_test_rewrite(p, len, &wr, &err);

	if (rc == -1)
		fail_msg("rewrite: %s", err);
	assert_int_equal(wr.w.len, len);
	assert_memory_equal(wr.w.p, p, len);
	ike2_wr_cleanup(&wr);
}

/*
 * Every truncation refused: as it is (the header's length differs) and
 * with the header's length set to the truncated size (the chain or a
 * payload is then short).
 */
static void
truncations_refused(const uint8_t *msg, size_t len)
{
	struct ike2_wr	 wr;
	const char	*err;

	for (size_t n = 0; n < len; n++) {
		uint8_t	*p = exact(msg, n);

		assert_int_equal(ike2_test_rewrite(p, n, &wr, &err), -1);
		ike2_wr_cleanup(&wr);
		if (n >= IKE2_HDR_LEN) {
			be32_put(p + 24, (uint32_t)n);
			assert_int_equal(ike2_test_rewrite(p, n, &wr, &err),
			    -1);
			ike2_wr_cleanup(&wr);
		}
		free(p);
	}
}

/* Every truncation of a payload body refused by its parser. */
static void
body_truncations_refused(const uint8_t *body, size_t len,
    int (*parse)(struct buf, const char **))
{
	const char	*err;

	for (size_t n = 0; n < len; n++) {
		uint8_t		*p = exact(body, n);
		struct buf	 b;

		buf_init(&b, p, n);
		assert_int_equal(parse(b, &err), -1);
		free(p);
	}
}

static int
sa_parse_only(struct buf b, const char **err)
{
	static struct ike2_sa_pl sa;

	return ike2_sa_parse(b, &sa, err);
}

static int
ts_parse_only(struct buf b, const char **err)
{
	static struct ike2_ts_pl ts;

	return ike2_ts_parse(b, &ts, err);
}

static int
delete_parse_only(struct buf b, const char **err)
{
	struct ike2_delete d;

	return ike2_delete_parse(b, &d, err);
}

static int
notify_parse_only(struct buf b, const char **err)
{
	struct ike2_notify n;

	return ike2_notify_parse(b, &n, err);
}

static const struct ike2_hdr hdr_auth = {
	{ 1, 2, 3, 4, 5, 6, 7, 8 }, { 9, 10, 11, 12, 13, 14, 15, 16 },
	0, IKE2_VERSION, IKE2_EX_IKE_AUTH, IKE2_FLAG_I, 1, 0
};

/* ---- names --------------------------------------------------------------- */

static void
test_names(void **state)
{
	static const struct {
		const char	*(*fn)(unsigned int);
		unsigned int	 v;
		const char	*want;
	} names[] = {
		{ ike2_payload_name, IKE2_PL_NONCE, "No" },
		{ ike2_payload_name, IKE2_PL_SKF, "SKF" },
		{ ike2_payload_name, 200, "<unknown 200>" },
		{ ike2_exchange_name, IKE2_EX_CREATE_CHILD_SA,
		    "CREATE_CHILD_SA" },
		{ ike2_xf_type_name, IKE2_T_DH, "D-H" },
		{ ike2_id_type_name, IKE2_ID_FQDN, "ID_FQDN" },
		{ ike2_ts_type_name, IKE2_TS_IPV6_ADDR_RANGE,
		    "TS_IPV6_ADDR_RANGE" },
		{ ike2_cfg_attr_name, IKE2_CFGA_INTERNAL_IP4_DNS,
		    "INTERNAL_IP4_DNS" },
		{ ike2_cfg_type_name, IKE2_CFG_REPLY, "CFG_REPLY" },
		{ ike2_proto_name, IKE2_PROTO_ESP, "ESP" },
		{ ike2_auth_method_name, IKE2_AUTH_PSK,
		    "Shared Key Message Integrity Code" },
		{ ike2_cert_encoding_name, IKE2_CERT_X509_SIG,
		    "X.509 Certificate - Signature" },
		/* RFC 6311 section 6, as IANA registered them */
		{ ike2_notify_name, 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
		{ ike2_notify_name, 16421,
		    "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
		{ ike2_notify_name, 16422, "IKEV2_MESSAGE_ID_SYNC" },
		{ ike2_notify_name, 16423, "IPSEC_REPLAY_COUNTER_SYNC" },
		{ ike2_notify_name, 16424, "<unknown 16424>" },
		{ ike2_notify_name, 16430, "IKEV2_FRAGMENTATION_SUPPORTED" },
		{ ike2_notify_name, 16389, "NAT_DETECTION_DESTINATION_IP" },
		{ ike2_notify_name, 43, "TEMPORARY_FAILURE" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(names); i++)
		assert_string_equal(names[i].fn(names[i].v), names[i].want);
	assert_int_equal(IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 16420);
	assert_int_equal(IKE2_N_IPSEC_REPLAY_COUNTER_SYNC, 16423);
}

/* ---- a strongSwan IKE_SA_INIT -------------------------------------------- */

static void
test_strongswan_sa_init(void **state)
{
	static const uint8_t types[] = { IKE2_PL_SA, IKE2_PL_KE,
	    IKE2_PL_NONCE, IKE2_PL_N, IKE2_PL_N, IKE2_PL_N, IKE2_PL_N,
	    IKE2_PL_N };
	static const uint16_t notifies[] = {
	    IKE2_N_NAT_DETECTION_SOURCE_IP, IKE2_N_NAT_DETECTION_DESTINATION_IP,
	    IKE2_N_IKEV2_FRAGMENTATION_SUPPORTED,
	    IKE2_N_SIGNATURE_HASH_ALGORITHMS, IKE2_N_REDIRECT_SUPPORTED };
	static const struct { uint8_t type; uint16_t id, keybits; } xfs[] = {
		{ IKE2_T_ENCR, 12, 256 }, { IKE2_T_INTEG, 12, 0 },
		{ IKE2_T_PRF, 5, 0 }, { IKE2_T_DH, 19, 0 },
	};
	static struct ike2_pls pls;
	static struct ike2_sa_pl sa;
	struct ike2_hdr	 h;
	struct ike2_ke	 ke;
	struct ike2_notify n;
	const uint8_t	*nonce;
	size_t		 len;
	uint16_t	 notify;
	const char	*err;
	uint8_t		*p = exact(sswan_init, sizeof(sswan_init));

	(void)state;
	assert_int_equal(parse_msg(p, sizeof(sswan_init), &h, &pls, &notify,
	    &err), 0);
	assert_memory_equal(h.spii, sswan_init, 8);
	assert_int_equal(h.exchange, IKE2_EX_IKE_SA_INIT);
	assert_int_equal(h.flags, IKE2_FLAG_I);
	assert_int_equal(h.msgid, 0);
	assert_int_equal(h.length, 272);
	assert_int_equal(pls.n, nitems(types));
	assert_int_equal(pls.enc, -1);
	assert_int_equal(pls.skipped, 0);
	for (size_t i = 0; i < nitems(types); i++)
		assert_int_equal(pls.pl[i].type, types[i]);
	assert_int_equal(ike2_pls_count(&pls, IKE2_PL_N), 5);
	assert_ptr_equal(ike2_pls_find(&pls, IKE2_PL_KE), &pls.pl[1]);
	assert_null(ike2_pls_find(&pls, IKE2_PL_SK));

	assert_int_equal(ike2_sa_parse(pls.pl[0].body, &sa, &err), 0);
	assert_int_equal(sa.nprops, 1);
	assert_int_equal(sa.prop[0].num, 1);
	assert_int_equal(sa.prop[0].proto, IKE2_PROTO_IKE);
	assert_int_equal(sa.prop[0].spisize, 0);
	assert_true(sa.prop[0].usable);
	assert_int_equal(sa.prop[0].nxf, 4);
	for (size_t i = 0; i < nitems(xfs); i++) {
		assert_int_equal(sa.xf[i].type, xfs[i].type);
		assert_int_equal(sa.xf[i].id, xfs[i].id);
		assert_int_equal(sa.xf[i].keybits, xfs[i].keybits);
		assert_true(sa.xf[i].usable);
	}
	assert_int_equal(ike2_ke_parse(pls.pl[1].body, &ke, &err), 0);
	assert_int_equal(ke.group, 19);
	assert_int_equal(ke.len, 64);
	assert_int_equal(ike2_nonce_parse(pls.pl[2].body, &nonce, &len, &err),
	    0);
	assert_int_equal(len, 32);
	for (size_t i = 0; i < nitems(notifies); i++) {
		assert_int_equal(ike2_notify_parse(pls.pl[3 + i].body, &n,
		    &err), 0);
		assert_int_equal(n.type, notifies[i]);
		assert_int_equal(n.spisize, 0);
	}
	assert_int_equal(n.datalen, 0);
	rewrites_same(p, sizeof(sswan_init));
	free(p);
}

static void
test_strongswan_sa_init_truncations(void **state)
{
	(void)state;
	truncations_refused(sswan_init, sizeof(sswan_init));
	/* the SA payload's body alone: every prefix is short somewhere */
	body_truncations_refused(sswan_init + 32, 44, sa_parse_only);
}

/* ---- header -------------------------------------------------------------- */

static void
test_header(void **state)
{
	static const struct {
		size_t		 off;
		uint8_t		 val;
		int		 ok;
		uint16_t	 notify;
	} cases[] = {
		{ 17, 0x10, 0, IKE2_N_INVALID_MAJOR_VERSION },	/* IKEv1 */
		{ 17, 0x30, 0, IKE2_N_INVALID_MAJOR_VERSION },
		{ 17, 0x00, 0, IKE2_N_INVALID_MAJOR_VERSION },
		{ 17, 0x21, 1, 0 },	/* the minor version is ignored */
		{ 19, 0xc7, 1, 0 },	/* the X flags are ignored */
		{ 19, 0x28, 1, 0 },	/* R */
		{ 18, 33, 0, 0 },	/* exchange types: unknown */
		{ 18, 37, 1, 0 },
		{ 18, 0, 0, 0 },
		{ 27, 0x11, 0, 0 },	/* length above the datagram */
		{ 27, 0x0f, 0, 0 },	/* and below */
		{ 24, 0x01, 0, 0 },
	};
	struct ike2_hdr	 h;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err = NULL;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		uint8_t	*p = exact(sswan_init, sizeof(sswan_init));

		p[cases[i].off] = cases[i].val;
		buf_init(&b, p, sizeof(sswan_init));
		assert_int_equal(ike2_hdr_parse(&b, &h, &notify, &err),
		    cases[i].ok ? 0 : -1);
		assert_int_equal(notify, cases[i].notify);
		if (!cases[i].ok)
			assert_non_null(err);
		/* the answer to a bad version needs the SPIs */
		if (notify == IKE2_N_INVALID_MAJOR_VERSION)
			assert_memory_equal(h.spii, sswan_init, 8);
		free(p);
	}
}

/* ---- the chain ----------------------------------------------------------- */

/* INFORMATIONAL: N(INITIAL_CONTACT), an unknown payload 200, D(IKE). */
static size_t
build_unknown(struct ike2_wr *wr, size_t *unknown_off)
{
	static const uint8_t body[] = { 'a', 'b', 'c', 'd' };
	struct ike2_notify ic = { 0, 0, IKE2_N_INITIAL_CONTACT, NULL, NULL,
	    0 };
	struct ike2_delete d = { IKE2_PROTO_IKE, 0, 0, NULL };

	ike2_wr_init(wr, &hdr_auth);
	ike2_wr_notify(wr, &ic);
	*unknown_off = wr->w.len;
	ike2_wr_bytes(wr, 200, body, sizeof(body));
	ike2_wr_delete(wr, &d);
	ike2_wr_finish(wr);
	assert_false(wbuf_error(&wr->w));
	return wr->w.len;
}

static void
test_critical(void **state)
{
	static struct ike2_pls pls;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;
	size_t		 off, len;

	(void)state;
	len = build_unknown(&wr, &off);

	/* not critical: skipped, the rest parsed */
	assert_int_equal(parse_msg(wr.w.p, len, &h, &pls, &notify, &err), 0);
	assert_int_equal(pls.n, 2);
	assert_int_equal(pls.skipped, 1);
	assert_int_equal(pls.pl[0].type, IKE2_PL_N);
	assert_int_equal(pls.pl[1].type, IKE2_PL_D);

	/* critical: refused, naming the type */
	wr.w.p[off + 1] = IKE2_CRITICAL;
	assert_int_equal(parse_msg(wr.w.p, len, &h, &pls, &notify, &err), -1);
	assert_int_equal(notify, IKE2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_int_equal(pls.critical, 200);

	/* the critical bit and RESERVED of a known payload are ignored */
	wr.w.p[off + 1] = 0;
	wr.w.p[IKE2_HDR_LEN + 1] = 0xff;
	assert_int_equal(parse_msg(wr.w.p, len, &h, &pls, &notify, &err), 0);
	assert_int_equal(pls.n, 2);
	ike2_wr_cleanup(&wr);
}

static void
test_chain_lengths(void **state)
{
	static struct ike2_pls pls;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;
	size_t		 off, len;

	(void)state;
	len = build_unknown(&wr, &off);
	/* a payload length below its header */
	be16_put(wr.w.p + IKE2_HDR_LEN + 2, 3);
	assert_int_equal(parse_msg(wr.w.p, len, &h, &pls, &notify, &err), -1);
	assert_int_equal(notify, IKE2_N_INVALID_SYNTAX);
	/* past the message */
	be16_put(wr.w.p + IKE2_HDR_LEN + 2, (uint16_t)(len - IKE2_HDR_LEN + 1));
	assert_int_equal(parse_msg(wr.w.p, len, &h, &pls, &notify, &err), -1);
	/* bytes after the last payload */
	ike2_wr_cleanup(&wr);
	len = build_unknown(&wr, &off);
	wbuf_put_zero(&wr.w, 4);
	ike2_wr_finish(&wr);
	assert_int_equal(parse_msg(wr.w.p, len + 4, &h, &pls, &notify, &err),
	    -1);
	assert_string_equal(err, "bytes after the last payload");
	ike2_wr_cleanup(&wr);
}

/* ---- SK and SKF ---------------------------------------------------------- */

static void
test_sk_last(void **state)
{
	static const uint8_t blob[32];
	static struct ike2_pls pls;
	struct ike2_notify ic = { 0, 0, IKE2_N_INITIAL_CONTACT, NULL, NULL,
	    0 };
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	size_t		 aad;

	(void)state;
	/* N, then SK (16-octet IV, one inner N, a 16-octet tail) */
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_notify(&wr, &ic);
	ike2_wr_sk_begin(&wr, 16);
	ike2_wr_notify(&wr, &ic);
	assert_int_equal(ike2_wr_enc_plainlen(&wr), 8);
	ike2_wr_enc_finish(&wr, 16, &aad);
	assert_false(wbuf_error(&wr.w));
	assert_int_equal(aad, IKE2_HDR_LEN + 8 + 4);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    0);
	assert_int_equal(pls.n, 2);
	assert_int_equal(pls.enc, 1);
	assert_int_equal(pls.enc_np, IKE2_PL_N);
	assert_int_equal(pls.enc_off, aad);
	assert_int_equal(pls.enc_len, 16 + 8 + 16);
	/* the plaintext's chain, where it sits here (never encrypted) */
	buf_init(&b, wr.w.p + aad + 16, 8);
	assert_int_equal(ike2_pls_parse(&b, pls.enc_np, 1, &pls, &notify,
	    &err), 0);
	assert_int_equal(pls.n, 1);
	rewrites_same(wr.w.p, wr.w.len);
	truncations_refused(wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);

	/* SK followed by a payload */
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_bytes(&wr, IKE2_PL_SK, blob, sizeof(blob));
	ike2_wr_notify(&wr, &ic);
	ike2_wr_finish(&wr);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    -1);
	assert_string_equal(err, "encrypted payload not the last");
	assert_int_equal(notify, IKE2_N_INVALID_SYNTAX);

	/* SK inside SK */
	buf_init(&b, wr.w.p + IKE2_HDR_LEN, wr.w.len - IKE2_HDR_LEN - 8);
	assert_int_equal(ike2_pls_parse(&b, IKE2_PL_SK, 1, &pls, &notify,
	    &err), -1);
	ike2_wr_cleanup(&wr);
}

static void
test_skf(void **state)
{
	static const uint8_t part[24] = { 1, 2, 3 };
	static const struct {
		uint8_t		 np;
		uint16_t	 num, total;
		int		 ok;
	} cases[] = {
		{ IKE2_PL_IDI, 1, 1, 1 },
		{ IKE2_PL_IDI, 1, 3, 1 },
		{ 0, 2, 3, 1 },
		{ 0, 3, 3, 1 },
		{ 0, 0, 3, 0 },		/* "MUST NOT be zero" */
		{ 0, 4, 3, 0 },		/* above the total */
		{ 0, 1, 0, 0 },
		{ IKE2_PL_IDI, 2, 3, 0 },	/* Next Payload in a later one */
	};
	static struct ike2_pls pls;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;
	size_t		 aad;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		ike2_wr_init(&wr, &hdr_auth);
		ike2_wr_skf_begin(&wr, cases[i].np, cases[i].num,
		    cases[i].total, 8);
		wbuf_put_bytes(&wr.w, part, sizeof(part));
		assert_int_equal(ike2_wr_enc_plainlen(&wr), sizeof(part));
		ike2_wr_enc_finish(&wr, 16, &aad);
		assert_int_equal(aad, IKE2_HDR_LEN + 8);
		assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify,
		    &err), cases[i].ok ? 0 : -1);
		if (cases[i].ok) {
			assert_int_equal(pls.enc_off, aad);
			assert_int_equal(pls.enc_len, 8 + sizeof(part) + 16);
			assert_int_equal(pls.enc_np, cases[i].np);
			assert_int_equal(pls.frag_num, cases[i].num);
			assert_int_equal(pls.frag_total, cases[i].total);
			rewrites_same(wr.w.p, wr.w.len);
			if (i == 0)
				truncations_refused(wr.w.p, wr.w.len);
		}
		ike2_wr_cleanup(&wr);
	}
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_bytes(&wr, IKE2_PL_SKF, part, 3);
	ike2_wr_finish(&wr);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    -1);
	assert_string_equal(err, "truncated encrypted fragment");
	ike2_wr_cleanup(&wr);
}

/* ---- SA ------------------------------------------------------------------ */

/* A transform: Last Substruc, type, ID and the attributes as given. */
static void
put_xf(struct wbuf *w, uint8_t more, uint8_t type, uint16_t id,
    const uint8_t *attrs, size_t alen)
{
	wbuf_put_u8(w, more);
	wbuf_put_u8(w, 0);
	wbuf_put_be16(w, (uint16_t)(8 + alen));
	wbuf_put_u8(w, type);
	wbuf_put_u8(w, 0);
	wbuf_put_be16(w, id);
	wbuf_put_bytes(w, attrs, alen);
}

/* A proposal's header and SPI (0x11 each); put_end sets its length. */
static size_t
put_prop(struct wbuf *w, uint8_t more, uint8_t num, uint8_t proto,
    uint8_t spisize, uint8_t ntrans)
{
	size_t	 s = w->len;

	wbuf_put_u8(w, more);
	wbuf_put_u8(w, 0);
	wbuf_put_be16(w, 0);
	wbuf_put_u8(w, num);
	wbuf_put_u8(w, proto);
	wbuf_put_u8(w, spisize);
	wbuf_put_u8(w, ntrans);
	for (int i = 0; i < spisize; i++)
		wbuf_put_u8(w, 0x11);
	return s;
}

static void
put_end(struct wbuf *w, size_t s)
{
	wbuf_set_be16(w, s + 2, (uint16_t)(w->len - s));
}

static const uint8_t kl128[] = { 0x80, 0x0e, 0x00, 0x80 };

/* One proposal: ENCR_AES_CBC 128, INTEG HMAC-SHA2-256, ESN none. */
static void
put_esp_prop(struct wbuf *w, uint8_t more, uint8_t num, uint8_t proto,
    uint8_t spisize)
{
	size_t	 s = put_prop(w, more, num, proto, spisize, 3);

	put_xf(w, 3, IKE2_T_ENCR, 12, kl128, sizeof(kl128));
	put_xf(w, 3, IKE2_T_INTEG, 12, NULL, 0);
	put_xf(w, 0, IKE2_T_ESN, IKE2_ESN_NO, NULL, 0);
	put_end(w, s);
}

static void
test_sa_spi_sizes(void **state)
{
	static const struct {
		uint8_t		 proto, spisize;
		int		 ok, usable;
	} cases[] = {
		{ IKE2_PROTO_IKE, 0, 1, 1 },	/* IKE_SA_INIT */
		{ IKE2_PROTO_IKE, 8, 1, 1 },	/* an IKE SA rekeyed */
		{ IKE2_PROTO_IKE, 4, 0, 0 },
		{ IKE2_PROTO_ESP, 4, 1, 1 },
		{ IKE2_PROTO_ESP, 0, 0, 0 },
		{ IKE2_PROTO_ESP, 8, 0, 0 },
		{ IKE2_PROTO_AH, 4, 1, 1 },
		{ IKE2_PROTO_AH, 2, 0, 0 },
		{ 9, 0, 1, 0 },			/* unknown: unusable */
		{ 9, 8, 1, 0 },
		{ 9, 9, 0, 0 },
	};
	static struct ike2_sa_pl sa;
	uint8_t		 mem[256];
	struct wbuf	 w;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		wbuf_init(&w, mem, sizeof(mem));
		put_esp_prop(&w, 0, 1, cases[i].proto, cases[i].spisize);
		assert_false(wbuf_error(&w));
		buf_init(&b, mem, w.len);
		assert_int_equal(ike2_sa_parse(b, &sa, &err),
		    cases[i].ok ? 0 : -1);
		if (!cases[i].ok) {
			assert_string_equal(err,
			    "SPI size wrong for the protocol");
			continue;
		}
		assert_int_equal(sa.prop[0].usable, cases[i].usable);
		assert_int_equal(sa.prop[0].spisize, cases[i].spisize);
		assert_int_equal(sa.nxf, 3);
	}
}

enum sa_case {
	SA_GOOD,
	SA_TWO,
	SA_REPLY_NUM3,
	SA_NUMS_GAP,
	SA_NUMS_SAME,
	SA_LAST_BAD,
	SA_MORE_THEN_END,
	SA_COUNT_LOW,
	SA_COUNT_HIGH,
	SA_NO_XF,
	SA_XF_SHORT,
	SA_PROP_SHORT,
	SA_TRAILING,
	SA_XF_TRAILING,
	SA_ATTR_LONG,
	SA_ATTR_TRUNC,
	SA_UNKNOWN_TYPE,
	SA_UNKNOWN_ATTR,
	SA_KL_TLV,
	SA_KL_TWICE,
	SA_KL_ZERO,
	SA_SPI_CUT,
	SA_XF_MISSING,
	SA_EMPTY,
};

static void
build_sa_case(struct wbuf *w, enum sa_case c)
{
	static const uint8_t unk[] = { 0x80, 0x0f, 0x00, 0x01 };
	static const uint8_t kl_tlv[] = { 0x00, 0x0e, 0x00, 0x02, 0x00, 0x80 };
	static const uint8_t kl_twice[] = { 0x80, 0x0e, 0x00, 0x80,
	    0x80, 0x0e, 0x01, 0x00 };
	static const uint8_t kl_zero[] = { 0x80, 0x0e, 0x00, 0x00 };
	static const uint8_t tlv_long[] = { 0x00, 0x20, 0x00, 0x09, 0x00 };
	static const uint8_t trunc[] = { 0x80, 0x0e, 0x00 };
	size_t		 s;

	switch (c) {
	case SA_GOOD:
		put_esp_prop(w, 0, 1, IKE2_PROTO_ESP, 4);
		break;
	case SA_TWO:
		put_esp_prop(w, 2, 1, IKE2_PROTO_ESP, 4);
		put_esp_prop(w, 0, 2, IKE2_PROTO_ESP, 4);
		break;
	case SA_REPLY_NUM3:		/* a responder's: one, any number */
		put_esp_prop(w, 0, 3, IKE2_PROTO_ESP, 4);
		break;
	case SA_NUMS_GAP:
		put_esp_prop(w, 2, 1, IKE2_PROTO_ESP, 4);
		put_esp_prop(w, 0, 3, IKE2_PROTO_ESP, 4);
		break;
	case SA_NUMS_SAME:
		put_esp_prop(w, 2, 1, IKE2_PROTO_ESP, 4);
		put_esp_prop(w, 0, 1, IKE2_PROTO_ESP, 4);
		break;
	case SA_LAST_BAD:
		put_esp_prop(w, 1, 1, IKE2_PROTO_ESP, 4);
		break;
	case SA_MORE_THEN_END:		/* 2 (more) on the only proposal */
		put_esp_prop(w, 2, 1, IKE2_PROTO_ESP, 4);
		break;
	case SA_COUNT_LOW:		/* says 2, the second says more */
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 2);
		put_xf(w, 3, IKE2_T_ENCR, 20, kl128, sizeof(kl128));
		put_xf(w, 3, IKE2_T_ESN, 0, NULL, 0);
		put_xf(w, 0, IKE2_T_ESN, 1, NULL, 0);
		put_end(w, s);
		break;
	case SA_COUNT_HIGH:		/* says 3, two there */
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 3);
		put_xf(w, 3, IKE2_T_ENCR, 20, kl128, sizeof(kl128));
		put_xf(w, 0, IKE2_T_ESN, 0, NULL, 0);
		put_end(w, s);
		break;
	case SA_NO_XF:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 0);
		put_end(w, s);
		break;
	case SA_XF_SHORT:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 1);
		put_xf(w, 0, IKE2_T_ESN, 0, NULL, 0);
		wbuf_set_be16(w, w->len - 6, 7);
		put_end(w, s);
		break;
	case SA_PROP_SHORT:
		put_esp_prop(w, 0, 1, IKE2_PROTO_ESP, 4);
		wbuf_set_be16(w, 2, 7);
		break;
	case SA_TRAILING:
		put_esp_prop(w, 0, 1, IKE2_PROTO_ESP, 4);
		wbuf_put_zero(w, 2);
		break;
	case SA_XF_TRAILING:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 1);
		put_xf(w, 0, IKE2_T_ESN, 0, NULL, 0);
		wbuf_put_zero(w, 3);
		put_end(w, s);
		break;
	case SA_ATTR_LONG:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 1);
		put_xf(w, 0, IKE2_T_ENCR, 12, tlv_long, sizeof(tlv_long));
		put_end(w, s);
		break;
	case SA_ATTR_TRUNC:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 1);
		put_xf(w, 0, IKE2_T_ENCR, 12, trunc, sizeof(trunc));
		put_end(w, s);
		break;
	case SA_UNKNOWN_TYPE:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 2);
		put_xf(w, 3, IKE2_T_ENCR, 20, kl128, sizeof(kl128));
		put_xf(w, 0, 6, 1, NULL, 0);
		put_end(w, s);
		break;
	case SA_UNKNOWN_ATTR:
	case SA_KL_TLV:
	case SA_KL_TWICE:
	case SA_KL_ZERO:
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 2);
		if (c == SA_UNKNOWN_ATTR)
			put_xf(w, 3, IKE2_T_ENCR, 12, unk, sizeof(unk));
		else if (c == SA_KL_TLV)
			put_xf(w, 3, IKE2_T_ENCR, 12, kl_tlv, sizeof(kl_tlv));
		else if (c == SA_KL_TWICE)
			put_xf(w, 3, IKE2_T_ENCR, 12, kl_twice,
			    sizeof(kl_twice));
		else
			put_xf(w, 3, IKE2_T_ENCR, 12, kl_zero,
			    sizeof(kl_zero));
		put_xf(w, 0, IKE2_T_ENCR, 12, kl128, sizeof(kl128));
		put_end(w, s);
		break;
	case SA_SPI_CUT:		/* SPI size 4, a length of 8 */
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 0, 1);
		wbuf_set_be16(w, s + 6, 4 << 8 | 1);	/* SPI size, count */
		put_end(w, s);
		break;
	case SA_XF_MISSING:		/* says 2, the first says more */
		s = put_prop(w, 0, 1, IKE2_PROTO_ESP, 4, 2);
		put_xf(w, 3, IKE2_T_ENCR, 20, kl128, sizeof(kl128));
		put_end(w, s);
		break;
	case SA_EMPTY:
		break;
	}
}

static void
test_sa_rules(void **state)
{
	static const struct {
		enum sa_case	 c;
		int		 ok;
		int		 prop_usable;
		int		 xf0_usable;	/* the first transform */
	} cases[] = {
		{ SA_GOOD, 1, 1, 1 },
		{ SA_TWO, 1, 1, 1 },
		{ SA_REPLY_NUM3, 1, 1, 1 },
		{ SA_NUMS_GAP, 0, 0, 0 },
		{ SA_NUMS_SAME, 0, 0, 0 },
		{ SA_LAST_BAD, 0, 0, 0 },
		{ SA_MORE_THEN_END, 0, 0, 0 },
		{ SA_COUNT_LOW, 0, 0, 0 },
		{ SA_COUNT_HIGH, 0, 0, 0 },
		{ SA_NO_XF, 0, 0, 0 },
		{ SA_XF_SHORT, 0, 0, 0 },
		{ SA_PROP_SHORT, 0, 0, 0 },
		{ SA_TRAILING, 0, 0, 0 },
		{ SA_XF_TRAILING, 0, 0, 0 },
		{ SA_ATTR_LONG, 0, 0, 0 },
		{ SA_ATTR_TRUNC, 0, 0, 0 },
		{ SA_UNKNOWN_TYPE, 1, 0, 1 },	/* 3.3.6: the proposal */
		{ SA_UNKNOWN_ATTR, 1, 1, 0 },	/* the transform */
		{ SA_KL_TLV, 1, 1, 0 },
		{ SA_KL_TWICE, 1, 1, 0 },
		{ SA_KL_ZERO, 1, 1, 0 },
		{ SA_SPI_CUT, 0, 0, 0 },
		{ SA_XF_MISSING, 0, 0, 0 },
		{ SA_EMPTY, 0, 0, 0 },
	};
	static struct ike2_sa_pl sa;
	uint8_t		 mem[512];
	struct wbuf	 w;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		uint8_t	*p;
		int	 rc;

		wbuf_init(&w, mem, sizeof(mem));
		build_sa_case(&w, cases[i].c);
		assert_false(wbuf_error(&w));
		p = exact(mem, w.len);
		buf_init(&b, p, w.len);
		rc = ike2_sa_parse(b, &sa, &err);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("case %d: %d (%s)", cases[i].c, rc,
			    rc == -1 ? err : "");
		if (cases[i].ok) {
			assert_int_equal(sa.prop[0].usable,
			    cases[i].prop_usable);
			assert_int_equal(sa.xf[0].usable, cases[i].xf0_usable);
			body_truncations_refused(p, w.len, sa_parse_only);
		}
		free(p);
	}
}

/* Written from fields, parsed back, written again: the same bytes. */
static void
test_sa_write(void **state)
{
	static struct ike2_sa_pl sa, back;
	static struct ike2_pls pls;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.nprops = 2;
	sa.prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_ESP, 4,
	    { 0xc0, 0xff, 0xee, 0x01 }, 1, 0, 3 };
	sa.prop[1] = (struct ike2_sa_prop){ 2, IKE2_PROTO_ESP, 4,
	    { 0xc0, 0xff, 0xee, 0x01 }, 1, 3, 2 };
	sa.nxf = 5;
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 12, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_INTEG, 12, 0, 1, NULL, 0 };
	sa.xf[2] = (struct ike2_sa_xf){ IKE2_T_ESN, IKE2_ESN_NO, 0, 1, NULL,
	    0 };
	sa.xf[3] = (struct ike2_sa_xf){ IKE2_T_ENCR, 20, 128, 1, NULL, 0 };
	sa.xf[4] = (struct ike2_sa_xf){ IKE2_T_ESN, IKE2_ESN_NO, 0, 1, NULL,
	    0 };
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_sa(&wr, &sa);
	ike2_wr_finish(&wr);
	assert_false(wbuf_error(&wr.w));
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    0);
	assert_int_equal(ike2_sa_parse(pls.pl[0].body, &back, &err), 0);
	assert_int_equal(back.nprops, 2);
	assert_int_equal(back.nxf, 5);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(back.prop[i].num, sa.prop[i].num);
		assert_int_equal(back.prop[i].nxf, sa.prop[i].nxf);
		assert_int_equal(back.prop[i].xf0, sa.prop[i].xf0);
		assert_memory_equal(back.prop[i].spi, sa.prop[i].spi, 4);
	}
	for (int i = 0; i < 5; i++) {
		assert_int_equal(back.xf[i].type, sa.xf[i].type);
		assert_int_equal(back.xf[i].id, sa.xf[i].id);
		assert_int_equal(back.xf[i].keybits, sa.xf[i].keybits);
		assert_true(back.xf[i].usable);
	}
	rewrites_same(wr.w.p, wr.w.len);
	truncations_refused(wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);

	/* what cannot be written is an error */
	sa.prop[1].spisize = 9;
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_sa(&wr, &sa);
	assert_true(wbuf_error(&wr.w));
	ike2_wr_cleanup(&wr);
	sa.prop[1].spisize = 4;
	sa.prop[1].nxf = 3;	/* past the pool */
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_sa(&wr, &sa);
	assert_true(wbuf_error(&wr.w));
	ike2_wr_cleanup(&wr);
}

/* ---- KE, ID, AUTH, nonce ------------------------------------------------- */

/* A body from octets; parse with fn; 0 or -1. */
#define BODY(b, ...)							\
	static const uint8_t b##_bytes[] = { __VA_ARGS__ };		\
	buf_init(&(b), b##_bytes, sizeof(b##_bytes))

static void
test_ke(void **state)
{
	struct ike2_ke	 ke;
	struct buf	 good, empty, reserved;
	const char	*err;

	(void)state;
	BODY(good, 0x00, 0x1f, 0x00, 0x00, 1, 2, 3, 4);
	assert_int_equal(ike2_ke_parse(good, &ke, &err), 0);
	assert_int_equal(ke.group, 31);
	assert_int_equal(ke.len, 4);
	assert_int_equal(ke.data[3], 4);
	BODY(empty, 0x00, 0x13, 0x00, 0x00);
	assert_int_equal(ike2_ke_parse(empty, &ke, &err), -1);
	/* RESERVED is ignored */
	BODY(reserved, 0x00, 0x13, 0xff, 0xff, 9);
	assert_int_equal(ike2_ke_parse(reserved, &ke, &err), 0);
	assert_int_equal(ke.len, 1);
	for (size_t n = 0; n < 5; n++) {
		struct buf b;

		buf_init(&b, good_bytes, n);
		assert_int_equal(ike2_ke_parse(b, &ke, &err), -1);
	}
}

static void
test_id(void **state)
{
	static const struct {
		uint8_t		 type;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ IKE2_ID_IPV4_ADDR, 4, 1 },
		{ IKE2_ID_IPV4_ADDR, 3, 0 },
		{ IKE2_ID_IPV4_ADDR, 5, 0 },
		{ IKE2_ID_IPV6_ADDR, 16, 1 },
		{ IKE2_ID_IPV6_ADDR, 15, 0 },
		{ IKE2_ID_FQDN, 15, 1 },
		{ IKE2_ID_FQDN, 0, 0 },
		{ IKE2_ID_RFC822_ADDR, 7, 1 },
		{ IKE2_ID_DER_ASN1_DN, 0, 0 },
		{ IKE2_ID_KEY_ID, 1, 1 },
		{ 13, 0, 1 },		/* unknown (RFC 7619's ID_NULL) */
	};
	uint8_t		 mem[64];
	struct ike2_id	 id;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		memset(mem, 0x41, sizeof(mem));
		mem[0] = cases[i].type;
		buf_init(&b, mem, 4 + cases[i].len);
		assert_int_equal(ike2_id_parse(b, &id, &err),
		    cases[i].ok ? 0 : -1);
		if (cases[i].ok) {
			assert_int_equal(id.type, cases[i].type);
			assert_int_equal(id.len, cases[i].len);
		}
	}
	buf_init(&b, mem, 3);
	assert_int_equal(ike2_id_parse(b, &id, &err), -1);
}

static void
test_auth(void **state)
{
	static const struct {
		uint8_t		 method;
		size_t		 len;
		uint8_t		 first;
		int		 ok;
	} cases[] = {
		{ IKE2_AUTH_PSK, 32, 0x41, 1 },
		{ IKE2_AUTH_PSK, 0, 0, 0 },
		{ IKE2_AUTH_RSA_SIG, 256, 0x41, 1 },
		{ IKE2_AUTH_DIGITAL_SIG, 80, 15, 1 },	/* RFC 7427 */
		{ IKE2_AUTH_DIGITAL_SIG, 16, 15, 0 },	/* no signature */
		{ IKE2_AUTH_DIGITAL_SIG, 80, 0, 0 },
		{ IKE2_AUTH_DIGITAL_SIG, 1, 15, 0 },
		{ 200, 0, 0, 1 },			/* unknown */
	};
	uint8_t		 mem[300];
	struct ike2_auth a;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		memset(mem, 0x41, sizeof(mem));
		mem[0] = cases[i].method;
		mem[4] = cases[i].first;
		buf_init(&b, mem, 4 + cases[i].len);
		assert_int_equal(ike2_auth_parse(b, &a, &err),
		    cases[i].ok ? 0 : -1);
	}
	buf_init(&b, mem, 3);
	assert_int_equal(ike2_auth_parse(b, &a, &err), -1);
}

static void
test_nonce(void **state)
{
	uint8_t		 mem[300] = { 0 };
	const uint8_t	*p;
	struct buf	 b;
	size_t		 len;
	const char	*err;

	(void)state;
	for (size_t n = 0; n < sizeof(mem); n++) {
		buf_init(&b, mem, n);
		assert_int_equal(ike2_nonce_parse(b, &p, &len, &err),
		    n >= 16 && n <= 256 ? 0 : -1);
	}
}

/* ---- notify and delete --------------------------------------------------- */

static void
test_notify(void **state)
{
	static const struct {
		uint16_t	 type;
		uint8_t		 spisize;
		size_t		 datalen;
		int		 ok;
	} cases[] = {
		{ IKE2_N_NAT_DETECTION_SOURCE_IP, 0, 20, 1 },
		{ IKE2_N_NAT_DETECTION_SOURCE_IP, 0, 19, 0 },
		{ IKE2_N_NAT_DETECTION_DESTINATION_IP, 0, 21, 0 },
		{ IKE2_N_COOKIE, 0, 0, 0 },
		{ IKE2_N_COOKIE, 0, 1, 1 },
		{ IKE2_N_COOKIE, 0, 64, 1 },
		{ IKE2_N_COOKIE, 0, 65, 0 },
		{ IKE2_N_INVALID_KE_PAYLOAD, 0, 2, 1 },
		{ IKE2_N_INVALID_KE_PAYLOAD, 0, 0, 0 },
		{ IKE2_N_UNSUPPORTED_CRITICAL_PAYLOAD, 0, 1, 1 },
		{ IKE2_N_UNSUPPORTED_CRITICAL_PAYLOAD, 0, 2, 0 },
		{ IKE2_N_IKEV2_MESSAGE_ID_SYNC, 0, 12, 1 },
		{ IKE2_N_IKEV2_MESSAGE_ID_SYNC, 0, 11, 0 },
		{ IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 0, 0, 1 },
		{ IKE2_N_SIGNATURE_HASH_ALGORITHMS, 0, 8, 1 },
		{ IKE2_N_SIGNATURE_HASH_ALGORITHMS, 0, 7, 0 },
		{ IKE2_N_SIGNATURE_HASH_ALGORITHMS, 0, 0, 0 },
		{ IKE2_N_REKEY_SA, 4, 0, 1 },
		{ IKE2_N_CHILD_SA_NOT_FOUND, 4, 0, 1 },
		{ IKE2_N_INITIAL_CONTACT, 8, 0, 1 },
		{ IKE2_N_REKEY_SA, 3, 0, 0 },
		{ IKE2_N_REKEY_SA, 16, 0, 0 },
		{ 40000, 0, 77, 1 },		/* unknown: any data */
	};
	uint8_t		 mem[128];
	struct ike2_notify n;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t	 len = 4 + cases[i].spisize + cases[i].datalen;
		uint8_t	*p;
		int	 rc;

		memset(mem, 0x5a, sizeof(mem));
		mem[0] = cases[i].spisize ? IKE2_PROTO_ESP : 0;
		mem[1] = cases[i].spisize;
		be16_put(mem + 2, cases[i].type);
		p = exact(mem, len);
		buf_init(&b, p, len);
		rc = ike2_notify_parse(b, &n, &err);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("notify %u: %d", cases[i].type, rc);
		if (rc == 0) {
			assert_int_equal(n.type, cases[i].type);
			assert_int_equal(n.datalen, cases[i].datalen);
			assert_ptr_equal(n.spi, p + 4);
			assert_ptr_equal(n.data, p + 4 + cases[i].spisize);
			if (cases[i].spisize > 0)
				body_truncations_refused(p, len,
				    notify_parse_only);
		}
		free(p);
	}
}

static void
test_msgid_sync(void **state)
{
	static const struct ike2_msgid_sync s = { { 0xde, 0xad, 0xbe, 0xef },
	    7, 0x12345678 };
	uint8_t		 data[IKE2_MSGID_SYNC_LEN];
	struct ike2_msgid_sync back;
	struct ike2_notify n = { 0, 0, IKE2_N_IKEV2_MESSAGE_ID_SYNC, NULL,
	    data, sizeof(data) };
	static struct ike2_pls pls;
	struct ike2_notify pn;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;

	(void)state;
	ike2_msgid_sync_put(&s, data);
	assert_int_equal(data[4 + 3], 7);
	assert_int_equal(data[8], 0x12);
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_notify(&wr, &n);
	ike2_wr_finish(&wr);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    0);
	assert_int_equal(ike2_notify_parse(pls.pl[0].body, &pn, &err), 0);
	assert_int_equal(ike2_msgid_sync_get(&pn, &back), 0);
	assert_memory_equal(back.nonce, s.nonce, 4);
	assert_int_equal(back.send, 7);
	assert_int_equal(back.recv, 0x12345678);
	rewrites_same(wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);
	pn.type = IKE2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED;
	assert_int_equal(ike2_msgid_sync_get(&pn, &back), -1);
}

static void
test_delete(void **state)
{
	static const struct {
		uint8_t		 proto, spisize;
		uint16_t	 count;
		size_t		 spis;	/* octets present */
		int		 ok;
	} cases[] = {
		{ IKE2_PROTO_IKE, 0, 0, 0, 1 },
		{ IKE2_PROTO_IKE, 8, 1, 8, 0 },
		{ IKE2_PROTO_IKE, 0, 1, 0, 0 },
		{ IKE2_PROTO_IKE, 0, 0, 4, 0 },
		{ IKE2_PROTO_ESP, 4, 2, 8, 1 },
		{ IKE2_PROTO_AH, 4, 1, 4, 1 },
		{ IKE2_PROTO_ESP, 4, 2, 4, 0 },
		{ IKE2_PROTO_ESP, 4, 1, 8, 0 },
		{ IKE2_PROTO_ESP, 8, 1, 8, 0 },
		{ 9, 4, 1, 4, 0 },
	};
	uint8_t		 mem[64];
	struct ike2_delete d;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		uint8_t	*p;

		memset(mem, 0x77, sizeof(mem));
		mem[0] = cases[i].proto;
		mem[1] = cases[i].spisize;
		be16_put(mem + 2, cases[i].count);
		p = exact(mem, 4 + cases[i].spis);
		buf_init(&b, p, 4 + cases[i].spis);
		assert_int_equal(ike2_delete_parse(b, &d, &err),
		    cases[i].ok ? 0 : -1);
		if (cases[i].ok) {
			assert_int_equal(d.nspis, cases[i].count);
			body_truncations_refused(p, 4 + cases[i].spis,
			    delete_parse_only);
		}
		free(p);
	}
}

/* ---- CERT and CERTREQ ---------------------------------------------------- */

static void
test_cert(void **state)
{
	static const struct {
		int		 req;
		uint8_t		 encoding;
		size_t		 len;
		int		 ok;
	} cases[] = {
		{ 0, IKE2_CERT_X509_SIG, 600, 1 },
		{ 0, IKE2_CERT_X509_SIG, 0, 0 },
		{ 0, IKE2_CERT_HASH_URL_X509, 20, 0 },
		{ 0, IKE2_CERT_HASH_URL_X509, 21, 1 },
		{ 0, 201, 1, 1 },
		{ 1, IKE2_CERT_X509_SIG, 40, 1 },
		{ 1, IKE2_CERT_X509_SIG, 0, 1 },
		{ 1, IKE2_CERT_X509_SIG, 21, 0 },
		{ 1, 201, 3, 1 },
	};
	uint8_t		 mem[700];
	struct ike2_cert c;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		memset(mem, 0x30, sizeof(mem));
		mem[0] = cases[i].encoding;
		buf_init(&b, mem, 1 + cases[i].len);
		assert_int_equal(cases[i].req ? ike2_certreq_parse(b, &c, &err) :
		    ike2_cert_parse(b, &c, &err), cases[i].ok ? 0 : -1);
		if (cases[i].ok) {
			assert_int_equal(c.encoding, cases[i].encoding);
			assert_int_equal(c.len, cases[i].len);
		}
	}
	buf_init(&b, mem, 0);
	assert_int_equal(ike2_certreq_parse(b, &c, &err), -1);
	assert_int_equal(ike2_cert_parse(b, &c, &err), -1);
}

/* ---- traffic selectors --------------------------------------------------- */

/* One selector: type, protocol, ports, and the addresses given. */
static void
put_ts(struct wbuf *w, uint8_t type, uint8_t proto, uint16_t sport,
    uint16_t eport, const uint8_t *start, const uint8_t *end, size_t alen)
{
	wbuf_put_u8(w, type);
	wbuf_put_u8(w, proto);
	wbuf_put_be16(w, (uint16_t)(8 + 2 * alen));
	wbuf_put_be16(w, sport);
	wbuf_put_be16(w, eport);
	wbuf_put_bytes(w, start, alen);
	wbuf_put_bytes(w, end, alen);
}

static void
test_ts(void **state)
{
	static const uint8_t a4[] = { 192, 168, 20, 0 },
	    b4[] = { 192, 168, 20, 255 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 },
	    b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff };
	static const uint8_t other[] = { 1, 2, 3, 4, 5 };
	static const struct {
		uint8_t		 count;
		int		 v6, swap, ok;
		uint16_t	 sport, eport;
		int		 other;	/* an unknown type after it */
	} cases[] = {
		{ 1, 0, 0, 1, 0, 65535, 0 },
		{ 1, 1, 0, 1, 500, 500, 0 },
		{ 1, 0, 0, 1, 65535, 0, 0 },	/* OPAQUE */
		{ 1, 1, 0, 1, 65535, 0, 0 },
		{ 1, 0, 0, 0, 501, 500, 0 },	/* ports the wrong way */
		{ 1, 0, 0, 0, 65535, 1, 0 },
		{ 1, 0, 1, 0, 0, 65535, 0 },	/* addresses */
		{ 1, 1, 1, 0, 0, 65535, 0 },
		{ 2, 0, 0, 1, 0, 65535, 1 },	/* kept, known 0 */
		{ 0, 0, 0, 0, 0, 65535, 0 },	/* says none */
		{ 2, 0, 0, 0, 0, 65535, 0 },	/* says two, one there */
	};
	static struct ike2_ts_pl ts;
	uint8_t		 mem[128];
	struct ike2_wr	 wr;
	struct wbuf	 w;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		const uint8_t	*lo = cases[i].v6 ? a6 : a4;
		const uint8_t	*hi = cases[i].v6 ? b6 : b4;
		uint8_t		*p;
		int		 rc;

		wbuf_init(&w, mem, sizeof(mem));
		wbuf_put_u8(&w, cases[i].count);
		wbuf_put_zero(&w, 3);
		put_ts(&w, cases[i].v6 ? IKE2_TS_IPV6_ADDR_RANGE :
		    IKE2_TS_IPV4_ADDR_RANGE, 6, cases[i].sport, cases[i].eport,
		    cases[i].swap ? hi : lo, cases[i].swap ? lo : hi,
		    cases[i].v6 ? 16 : 4);
		if (cases[i].other) {
			wbuf_put_u8(&w, 9);
			wbuf_put_u8(&w, 0);
			wbuf_put_be16(&w, 4 + sizeof(other));
			wbuf_put_bytes(&w, other, sizeof(other));
		}
		p = exact(mem, w.len);
		buf_init(&b, p, w.len);
		rc = ike2_ts_parse(b, &ts, &err);
		if (rc != (cases[i].ok ? 0 : -1))
			fail_msg("case %zu: %d", i, rc);
		if (rc == 0) {
			assert_int_equal(ts.n, cases[i].count);
			assert_true(ts.ts[0].known);
			assert_int_equal(ts.ts[0].proto, 6);
			assert_int_equal(ts.ts[0].sport, cases[i].sport);
			assert_int_equal(ts.ts[0].addrlen, cases[i].v6 ? 16 : 4);
			assert_memory_equal(ts.ts[0].end, hi, ts.ts[0].addrlen);
			if (cases[i].other) {
				assert_false(ts.ts[1].known);
				assert_int_equal(ts.ts[1].type, 9);
				assert_int_equal(ts.ts[1].rawlen, 5);
			}
			ike2_wr_init(&wr, &hdr_auth);
			ike2_wr_ts(&wr, IKE2_PL_TSR, &ts);
			assert_int_equal(wr.w.len, IKE2_HDR_LEN + 4 + w.len);
			assert_memory_equal(wr.w.p + IKE2_HDR_LEN + 4, p, w.len);
			ike2_wr_cleanup(&wr);
			body_truncations_refused(p, w.len, ts_parse_only);
		}
		free(p);
	}

	/* a range of the wrong length, and bytes after the last */
	wbuf_init(&w, mem, sizeof(mem));
	wbuf_put_u8(&w, 1);
	wbuf_put_zero(&w, 3);
	put_ts(&w, IKE2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, a4, b4, 4);
	wbuf_set_be16(&w, 6, 17);
	wbuf_put_u8(&w, 0);
	buf_init(&b, mem, w.len);
	assert_int_equal(ike2_ts_parse(b, &ts, &err), -1);
	assert_string_equal(err, "address range of the wrong length");
	wbuf_set_be16(&w, 6, 16);
	buf_init(&b, mem, w.len);
	assert_int_equal(ike2_ts_parse(b, &ts, &err), -1);
	assert_string_equal(err, "bytes after the last traffic selector");
}

/* ---- configuration ------------------------------------------------------- */

static void
test_cp(void **state)
{
	static struct ike2_cp cp;
	struct buf	 req, reply, rbit, longer, trunc;
	const char	*err;

	(void)state;
	/* CFG_REQUEST: INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS, both empty */
	BODY(req, IKE2_CFG_REQUEST, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0);
	assert_int_equal(ike2_cp_parse(req, &cp, &err), 0);
	assert_int_equal(cp.type, IKE2_CFG_REQUEST);
	assert_int_equal(cp.n, 2);
	assert_int_equal(cp.attr[1].type, IKE2_CFGA_INTERNAL_IP4_DNS);
	BODY(reply, IKE2_CFG_REPLY, 0, 0, 0, 0, 1, 0, 4, 10, 9, 8, 7);
	assert_int_equal(ike2_cp_parse(reply, &cp, &err), 0);
	assert_int_equal(cp.attr[0].len, 4);
	assert_int_equal(cp.attr[0].val[3], 7);
	/* R "MUST be ignored on receipt" */
	BODY(rbit, IKE2_CFG_REPLY, 0, 0, 0, 0x80, 3, 0, 0);
	assert_int_equal(ike2_cp_parse(rbit, &cp, &err), 0);
	assert_int_equal(cp.attr[0].type, 3);
	BODY(longer, IKE2_CFG_REPLY, 0, 0, 0, 0, 1, 0, 5, 10, 9, 8, 7);
	assert_int_equal(ike2_cp_parse(longer, &cp, &err), -1);
	BODY(trunc, IKE2_CFG_REPLY, 0, 0, 0, 0, 1, 0);
	assert_int_equal(ike2_cp_parse(trunc, &cp, &err), -1);
	trunc.len = 3;
	assert_int_equal(ike2_cp_parse(trunc, &cp, &err), -1);
}

/* ---- whole messages ------------------------------------------------------ */

/*
 * CREATE_CHILD_SA rekeying a CHILD SA, as its plaintext would be: N(REKEY_SA),
 * SA, Ni, KE, TSi, TSr; then INFORMATIONAL with a Delete and a CP.
 */
static void
build_child(struct ike2_wr *wr)
{
	static const uint8_t spi[4] = { 0xca, 0xfe, 0x00, 0x01 };
	static const uint8_t nonce[32] = { 1 }, pub[32] = { 2 };
	static struct ike2_sa_pl sa;
	static struct ike2_ts_pl ts;
	struct ike2_notify rekey = { IKE2_PROTO_ESP, 4, IKE2_N_REKEY_SA,
	    spi, NULL, 0 };
	struct ike2_ke	 ke = { 31, pub, sizeof(pub) };
	struct ike2_hdr	 h = hdr_auth;

	h.exchange = IKE2_EX_CREATE_CHILD_SA;
	memset(&sa, 0, sizeof(sa));
	sa.nprops = 1;
	sa.prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_ESP, 4,
	    { 0xca, 0xfe, 0x00, 0x02 }, 1, 0, 3 };
	sa.nxf = 3;
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 20, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_DH, 31, 0, 1, NULL, 0 };
	sa.xf[2] = (struct ike2_sa_xf){ IKE2_T_ESN, 0, 0, 1, NULL, 0 };
	memset(&ts, 0, sizeof(ts));
	ts.n = 2;
	ts.ts[0] = (struct ike2_ts){ IKE2_TS_IPV4_ADDR_RANGE, 0, 1, 0, 65535,
	    4, { 172, 21, 91, 0 }, { 172, 21, 91, 255 }, NULL, 0 };
	ts.ts[1] = (struct ike2_ts){ IKE2_TS_IPV6_ADDR_RANGE, 17, 1, 500, 500,
	    16, { 0xfd }, { 0xfd, 0xff }, NULL, 0 };
	ike2_wr_init(wr, &h);
	ike2_wr_notify(wr, &rekey);
	ike2_wr_sa(wr, &sa);
	ike2_wr_bytes(wr, IKE2_PL_NONCE, nonce, sizeof(nonce));
	ike2_wr_ke(wr, &ke);
	ike2_wr_ts(wr, IKE2_PL_TSI, &ts);
	ike2_wr_ts(wr, IKE2_PL_TSR, &ts);
	ike2_wr_finish(wr);
	assert_false(wbuf_error(&wr->w));
}

static void
build_info(struct ike2_wr *wr)
{
	static const uint8_t spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t vid[16] = { 0x88 };
	static const uint8_t addr[4] = { 10, 9, 8, 7 };
	static const uint8_t der[40] = { 0x30, 0x26 };
	struct ike2_delete d = { IKE2_PROTO_ESP, 4, 2, spis };
	struct ike2_cp	 cp = { IKE2_CFG_REPLY,
	    { { IKE2_CFGA_INTERNAL_IP4_ADDRESS, 4, addr },
	      { IKE2_CFGA_INTERNAL_IP4_DNS, 4, addr } }, 2 };
	struct ike2_cert req = { IKE2_CERT_X509_SIG, der, 40 };
	struct ike2_id	 id = { IKE2_ID_FQDN, (const uint8_t *)"ha.example",
	    10 };
	struct ike2_auth a = { IKE2_AUTH_PSK, der, 32 };
	struct ike2_hdr	 h = hdr_auth;

	h.exchange = IKE2_EX_INFORMATIONAL;
	h.flags = IKE2_FLAG_R;
	ike2_wr_init(wr, &h);
	ike2_wr_delete(wr, &d);
	ike2_wr_cp(wr, &cp);
	ike2_wr_bytes(wr, IKE2_PL_V, vid, sizeof(vid));
	ike2_wr_cert(wr, IKE2_PL_CERTREQ, &req);
	ike2_wr_cert(wr, IKE2_PL_CERT, &req);
	ike2_wr_id(wr, IKE2_PL_IDR, &id);
	ike2_wr_auth(wr, &a);
	ike2_wr_finish(wr);
	assert_false(wbuf_error(&wr->w));
}

static void
test_messages_round_trip(void **state)
{
	static struct ike2_pls pls;
	struct ike2_wr	 wr;
	struct ike2_hdr	 h;
	uint16_t	 notify;
	const char	*err;

	(void)state;
	build_child(&wr);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    0);
	assert_int_equal(pls.n, 6);
	assert_int_equal(h.exchange, IKE2_EX_CREATE_CHILD_SA);
	rewrites_same(wr.w.p, wr.w.len);
	truncations_refused(wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);

	build_info(&wr);
	assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls, &notify, &err),
	    0);
	assert_int_equal(pls.n, 7);
	assert_int_equal(h.length, wr.w.len);
	rewrites_same(wr.w.p, wr.w.len);
	truncations_refused(wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);
}

/* Fields the RFC has ignored come back as zeros: a fixed point. */
static void
test_rewrite_fixed_point(void **state)
{
	struct ike2_wr	 wr, again;
	const char	*err;
	uint8_t		*p = exact(sswan_init, sizeof(sswan_init));

	(void)state;
	p[17] = 0x21;			/* minor version */
	p[IKE2_HDR_LEN + 1] = 0x80;	/* critical bit of the SA */
	p[IKE2_HDR_LEN + 48 + 6] = 0xff;	/* KE RESERVED */
	assert_int_equal(ike2_test_rewrite(p, sizeof(sswan_init), &wr, &err),
	    0);
	assert_memory_equal(wr.w.p, sswan_init, sizeof(sswan_init));
	assert_int_equal(ike2_test_rewrite(wr.w.p, wr.w.len, &again, &err), 0);
	assert_memory_equal(again.w.p, wr.w.p, wr.w.len);
	ike2_wr_cleanup(&wr);
	ike2_wr_cleanup(&again);
	free(p);
}

static void
test_writer_limits(void **state)
{
	static const uint8_t big[70000];
	struct ike2_wr	 wr;

	(void)state;
	ike2_wr_init(&wr, &hdr_auth);
	ike2_wr_bytes(&wr, IKE2_PL_V, big, sizeof(big));
	assert_true(wbuf_error(&wr.w));
	ike2_wr_cleanup(&wr);
	/* closing an encrypted payload that was never opened */
	{
		size_t	 aad;

		ike2_wr_init(&wr, &hdr_auth);
		assert_int_equal(ike2_wr_enc_plainlen(&wr), 0);
		ike2_wr_enc_finish(&wr, 0, &aad);
		assert_true(wbuf_error(&wr.w));
		ike2_wr_cleanup(&wr);
	}
}

/* ---- limits: n of a kind in a body, for n at the limit and above ------- */

/* An INFORMATIONAL of n Vendor IDs, header included. */
static void
many_payloads(struct wbuf *w, int n)
{
	wbuf_put_bytes(w, hdr_auth.spii, IKE2_SPI_LEN);
	wbuf_put_bytes(w, hdr_auth.spir, IKE2_SPI_LEN);
	wbuf_put_u8(w, IKE2_PL_V);
	wbuf_put_u8(w, IKE2_VERSION);
	wbuf_put_u8(w, IKE2_EX_INFORMATIONAL);
	wbuf_put_u8(w, IKE2_FLAG_I);
	wbuf_put_be32(w, 0);
	wbuf_put_be32(w, 0);
	for (int i = 0; i < n; i++) {
		wbuf_put_u8(w, i == n - 1 ? IKE2_PL_NONE : IKE2_PL_V);
		wbuf_put_u8(w, 0);
		wbuf_put_be16(w, 5);
		wbuf_put_u8(w, 'v');
	}
	wbuf_set_be32(w, 24, (uint32_t)w->len);
}

static void
many_props(struct wbuf *w, int n)
{
	for (int i = 0; i < n; i++) {
		size_t	 s = put_prop(w, i == n - 1 ? 0 : 2, (uint8_t)(i + 1),
		    IKE2_PROTO_ESP, 4, 1);

		put_xf(w, 0, IKE2_T_ENCR, 20, kl128, sizeof(kl128));
		put_end(w, s);
	}
}

static void
many_xforms(struct wbuf *w, int n)
{
	size_t	 s = put_prop(w, 0, 1, IKE2_PROTO_IKE, 0, (uint8_t)n);

	for (int i = 0; i < n; i++)
		put_xf(w, i == n - 1 ? 0 : 3, IKE2_T_DH, 19, NULL, 0);
	put_end(w, s);
}

static void
many_ts(struct wbuf *w, int n)
{
	static const uint8_t a[4] = { 10 };

	wbuf_put_u8(w, (uint8_t)n);
	wbuf_put_zero(w, 3);
	for (int i = 0; i < n; i++)
		put_ts(w, IKE2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, a, a, 4);
}

static void
many_cfg_attrs(struct wbuf *w, int n)
{
	wbuf_put_u8(w, IKE2_CFG_REQUEST);
	wbuf_put_zero(w, 3);
	for (int i = 0; i < n; i++) {
		wbuf_put_be16(w, IKE2_CFGA_INTERNAL_IP4_DNS);
		wbuf_put_be16(w, 0);
	}
}

static int
msg_parse_only(struct buf b, const char **err)
{
	static struct ike2_pls pls;
	struct ike2_hdr	 h;
	uint16_t	 notify;

	return parse_msg(b.p, b.len, &h, &pls, &notify, err);
}

static int
cp_parse_only(struct buf b, const char **err)
{
	static struct ike2_cp cp;

	return ike2_cp_parse(b, &cp, err);
}

static void
test_counts(void **state)
{
	static const struct {
		void		(*build)(struct wbuf *, int);
		int		(*parse)(struct buf, const char **);
		int		 max;
		const char	*err;
	} limits[] = {
		{ many_payloads, msg_parse_only, IKE2_MAX_PAYLOADS,
		    "too many payloads" },
		{ many_props, sa_parse_only, IKE2_MAX_PROPS,
		    "too many proposals" },
		{ many_xforms, sa_parse_only, IKE2_MAX_XFORMS,
		    "too many transforms" },
		{ many_ts, ts_parse_only, IKE2_MAX_TS,
		    "too many traffic selectors" },
		{ many_cfg_attrs, cp_parse_only, IKE2_MAX_CFG_ATTRS,
		    "too many configuration attributes" },
	};
	static uint8_t	 mem[8192];
	struct wbuf	 w;
	struct buf	 b;
	const char	*err;

	(void)state;
	for (size_t i = 0; i < nitems(limits); i++) {
		for (int n = limits[i].max; n <= limits[i].max + 1; n++) {
			wbuf_init(&w, mem, sizeof(mem));
			limits[i].build(&w, n);
			assert_false(wbuf_error(&w));
			buf_init(&b, mem, w.len);
			assert_int_equal(limits[i].parse(b, &err),
			    n <= limits[i].max ? 0 : -1);
		}
		assert_string_equal(err, limits[i].err);
	}
}

/* ---- with ike/v2/crypto.c ------------------------------------------------ */

/*
 * IKE_AUTH as an initiator sends it: SK { IDi, AUTH, SA, TSi, TSr },
 * sealed, parsed, opened, its plaintext parsed: with AES-CBC + HMAC and
 * with AES-GCM, and as two SKF fragments.
 */
static void
seal_open(const struct ike2_suite *suite, int frags)
{
	static const uint8_t ekey[IKE2_MAX_ENCKEY] = { 0x11 };
	static const uint8_t akey[IKE_MAX_HASH] = { 0x22 };
	static const uint8_t psk_auth[32] = { 0x33 };
	static struct ike2_pls pls, inner;
	static struct ike2_sa_pl sa;
	static struct ike2_ts_pl ts;
	struct ike2_sk	 k = { suite, ekey, akey };
	struct ike2_id	 id = { IKE2_ID_IPV4_ADDR,
	    (const uint8_t *)"\x0a\x00\x00\x0a", 4 };
	struct ike2_auth a = { IKE2_AUTH_PSK, psk_auth, sizeof(psk_auth) };
	struct ike2_wr	 plain, wr;
	struct ike2_hdr	 h;
	struct buf	 b;
	uint8_t		*out;
	size_t		 outlen, aad, iv = ike2_sk_iv_len(&k), total = 0;
	uint16_t	 notify;
	const char	*err;

	memset(&sa, 0, sizeof(sa));
	sa.nprops = 1;
	sa.prop[0] = (struct ike2_sa_prop){ 1, IKE2_PROTO_ESP, 4,
	    { 1, 2, 3, 4 }, 1, 0, 2 };
	sa.nxf = 2;
	sa.xf[0] = (struct ike2_sa_xf){ IKE2_T_ENCR, 20, 256, 1, NULL, 0 };
	sa.xf[1] = (struct ike2_sa_xf){ IKE2_T_ESN, 0, 0, 1, NULL, 0 };
	memset(&ts, 0, sizeof(ts));
	ts.n = 1;
	ts.ts[0] = (struct ike2_ts){ IKE2_TS_IPV4_ADDR_RANGE, 0, 1, 0, 65535,
	    4, { 10 }, { 10, 255, 255, 255 }, NULL, 0 };

	/* the inner payloads on their own, for SKF to cut */
	ike2_wr_init(&plain, &hdr_auth);
	ike2_wr_id(&plain, IKE2_PL_IDI, &id);
	ike2_wr_auth(&plain, &a);
	ike2_wr_sa(&plain, &sa);
	ike2_wr_ts(&plain, IKE2_PL_TSI, &ts);
	ike2_wr_ts(&plain, IKE2_PL_TSR, &ts);
	assert_false(wbuf_error(&plain.w));

	for (int f = 1; f <= (frags ? 2 : 1); f++) {
		size_t	 len = plain.w.len - IKE2_HDR_LEN, half = len / 2;
		size_t	 from = f == 1 ? 0 : half;
		size_t	 n = frags ? (f == 1 ? half : len - half) : len;

		ike2_wr_init(&wr, &hdr_auth);
		if (frags) {
			ike2_wr_skf_begin(&wr, f == 1 ? IKE2_PL_IDI : 0,
			    (uint16_t)f, 2, iv);
			wbuf_put_bytes(&wr.w, plain.w.p + IKE2_HDR_LEN + from,
			    n);
		} else {
			ike2_wr_sk_begin(&wr, iv);
			ike2_wr_id(&wr, IKE2_PL_IDI, &id);
			ike2_wr_auth(&wr, &a);
			ike2_wr_sa(&wr, &sa);
			ike2_wr_ts(&wr, IKE2_PL_TSI, &ts);
			ike2_wr_ts(&wr, IKE2_PL_TSR, &ts);
		}
		assert_int_equal(ike2_wr_enc_plainlen(&wr), n);
		ike2_wr_enc_finish(&wr, ike2_sk_body_len(&k, n) - iv - n,
		    &aad);
		assert_false(wbuf_error(&wr.w));
		assert_int_equal(ike2_sk_seal(&k, wr.w.p, aad, n, NULL), 0);

		assert_int_equal(parse_msg(wr.w.p, wr.w.len, &h, &pls,
		    &notify, &err), 0);
		assert_int_equal(pls.enc, 0);
		assert_int_equal(pls.enc_off, aad);
		assert_int_equal(pls.frag_num, frags ? f : 0);
		assert_int_equal(ike2_sk_open(&k, wr.w.p, pls.enc_off,
		    pls.enc_len, &out, &outlen, &err), 0);
		assert_int_equal(outlen, n);
		assert_memory_equal(out, plain.w.p + IKE2_HDR_LEN + from, n);
		total += outlen;
		if (!frags) {
			buf_init(&b, out, outlen);
			assert_int_equal(ike2_pls_parse(&b, pls.enc_np, 1,
			    &inner, &notify, &err), 0);
			assert_int_equal(inner.n, 5);
			assert_int_equal(inner.pl[0].type, IKE2_PL_IDI);
			assert_int_equal(inner.pl[4].type, IKE2_PL_TSR);
			assert_int_equal(ike2_sa_parse(inner.pl[2].body, &sa,
			    &err), 0);
			assert_int_equal(ike2_ts_parse(inner.pl[4].body, &ts,
			    &err), 0);
		}
		ike2_wr_cleanup(&wr);
	}
	assert_int_equal(total, plain.w.len - IKE2_HDR_LEN);
	ike2_wr_cleanup(&plain);
}

static void
test_sk_with_crypto(void **state)
{
	struct ike2_suite cbc = { ALG_HASH_SHA256, ALG_HASH_SHA256,
	    alg_enc(ALG_ENC_AES), 256 };
	struct ike2_suite gcm = { ALG_HASH_SHA384, 0,
	    alg_esp_enc(ALG_ESP_GCM), 256 };

	(void)state;
	seal_open(&cbc, 0);
	seal_open(&gcm, 0);
	seal_open(&cbc, 1);
	seal_open(&gcm, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_strongswan_sa_init),
		cmocka_unit_test(test_strongswan_sa_init_truncations),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_critical),
		cmocka_unit_test(test_chain_lengths),
		cmocka_unit_test(test_sk_last),
		cmocka_unit_test(test_skf),
		cmocka_unit_test(test_sa_spi_sizes),
		cmocka_unit_test(test_sa_rules),
		cmocka_unit_test(test_sa_write),
		cmocka_unit_test(test_ke),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_msgid_sync),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_cert),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_cp),
		cmocka_unit_test(test_messages_round_trip),
		cmocka_unit_test(test_rewrite_fixed_point),
		cmocka_unit_test(test_writer_limits),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_sk_with_crypto),
	};

	return cmocka_run_group_tests_name("ikev2_wire", tests, NULL, NULL);
}
