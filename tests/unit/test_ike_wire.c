/*
 * ike/payload.c: the codec round-trips what the writers build, refuses
 * every truncation of a valid message and of each payload, and returns the
 * notification the RFCs ask for on malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "ike/wire.h"

static const uint8_t ic[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t rc[8] = { 0 };

/* SA (2 proposals of 2 transforms), VID, NAT-D, ID, N, D. */
static void
build_sample(struct ike_wr *wr)
{
	size_t	 sa, p, t;
	struct ike_id id;
	uint8_t	 addr[4] = { 10, 0, 0, 11 };
	uint8_t	 spi[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t	 vid[20] = { 0x4a, 0x13, 0x1c, 0x81 };

	ike_wr_init(wr, ic, rc, IKE_EX_MAIN, 0, 0);
	sa = ike_wr_begin(wr, IKE_PL_SA);
	wbuf_put_be32(&wr->w, IKE_DOI_IPSEC);
	wbuf_put_be32(&wr->w, IKE_SIT_IDENTITY_ONLY);
	for (int pn = 1; pn <= 2; pn++) {
		p = wr->w.len;
		wbuf_put_u8(&wr->w, pn == 2 ? IKE_PL_NONE : IKE_PL_P);
		wbuf_put_u8(&wr->w, 0);
		wbuf_put_be16(&wr->w, 0);
		wbuf_put_u8(&wr->w, (uint8_t)pn);
		wbuf_put_u8(&wr->w, IKE_PROTO_ESP);
		wbuf_put_u8(&wr->w, 4);
		wbuf_put_u8(&wr->w, 2);
		wbuf_put_bytes(&wr->w, spi, 4);
		for (int tn = 1; tn <= 2; tn++) {
			t = wr->w.len;
			wbuf_put_u8(&wr->w, tn == 2 ? IKE_PL_NONE : IKE_PL_T);
			wbuf_put_u8(&wr->w, 0);
			wbuf_put_be16(&wr->w, 0);
			wbuf_put_u8(&wr->w, (uint8_t)tn);
			wbuf_put_u8(&wr->w, IKE_ESP_AES);
			wbuf_put_be16(&wr->w, 0);
			ike_wr_attr(&wr->w, IKE_P2A_LIFE_TYPE,
			    IKE_LIFE_SECONDS);
			ike_wr_attr(&wr->w, IKE_P2A_LIFE_DURATION, 86400);
			ike_wr_attr(&wr->w, IKE_P2A_KEY_LENGTH, 256);
			wbuf_set_be16(&wr->w, t + 2, (uint16_t)(wr->w.len - t));
		}
		wbuf_set_be16(&wr->w, p + 2, (uint16_t)(wr->w.len - p));
	}
	ike_wr_end(wr, sa);
	ike_wr_bytes(wr, IKE_PL_VID, vid, 16);
	ike_wr_bytes(wr, IKE_PL_NATD, vid, 20);
	id.type = IKE_ID_IPV4_ADDR;
	id.proto = 17;
	id.port = 500;
	id.data = addr;
	id.len = 4;
	ike_wr_id(wr, IKE_PL_ID, &id);
	ike_wr_notify(wr, IKE_PROTO_ESP, IKE_N_INVALID_SPI, spi, 4, NULL, 0);
	ike_wr_delete(wr, IKE_PROTO_ESP, 4, spi, 1);
	ike_wr_finish(wr);
}

static int
parse_all(const uint8_t *p, size_t len)
{
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	uint16_t	 n;
	const char	*err;

	buf_init(&b, p, len);
	if (ike_hdr_parse(&b, &h, &n, &err) == -1)
		return -1;
	return ike_pls_parse(&b, h.np, 0, &pls, &n, &err);
}

static void
test_roundtrip(void **state)
{
	struct ike_wr	 wr;
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	struct ike_sa_pl *sa = malloc(sizeof(*sa));
	struct ike_id	 id;
	struct ike_notify nt;
	struct ike_delete d;
	uint16_t	 n;
	const char	*err = NULL;

	(void)state;
	build_sample(&wr);
	assert_false(wbuf_error(&wr.w));
	buf_init(&b, wr.w.p, wr.w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_memory_equal(h.icookie, ic, 8);
	assert_int_equal(h.exchange, IKE_EX_MAIN);
	assert_int_equal(h.length, wr.w.len);
	assert_int_equal(h.np, IKE_PL_SA);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), 0);
	assert_int_equal(pls.n, 6);
	assert_int_equal(pls.pl[0].type, IKE_PL_SA);
	assert_int_equal(pls.pl[5].type, IKE_PL_D);
	assert_int_equal(ike_sa_parse(pls.pl[0].body, sa, &n, &err), 0);
	assert_int_equal(sa->nprops, 2);
	assert_int_equal(sa->nxf, 4);
	assert_int_equal(sa->nattrs, 12);
	assert_int_equal(sa->prop[1].num, 2);
	assert_int_equal(sa->prop[1].spisize, 4);
	assert_int_equal(sa->xf[sa->prop[1].xf0 + 1].num, 2);
	assert_int_equal(sa->attr[1].type, IKE_P2A_LIFE_DURATION);
	assert_false(sa->attr[1].tv);
	assert_int_equal(sa->attr[1].num, 86400);
	assert_true(sa->attr[2].tv);
	assert_int_equal(sa->attr[2].num, 256);
	assert_int_equal(ike_id_parse(pls.pl[3].body, &id, &err), 0);
	assert_int_equal(id.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(id.port, 500);
	assert_int_equal(ike_notify_parse(pls.pl[4].body, &nt, &err), 0);
	assert_int_equal(nt.type, IKE_N_INVALID_SPI);
	assert_int_equal(nt.spisize, 4);
	assert_int_equal(nt.datalen, 0);
	assert_int_equal(ike_delete_parse(pls.pl[5].body, &d, &err), 0);
	assert_int_equal(d.nspis, 1);
	assert_int_equal(d.proto, IKE_PROTO_ESP);
	ike_wr_cleanup(&wr);
	free(sa);
}

/* Every truncation of the datagram, with and without a fixed-up length. */
static void
test_truncations(void **state)
{
	struct ike_wr	 wr;
	uint8_t		*copy;

	(void)state;
	build_sample(&wr);
	copy = malloc(wr.w.len);
	for (size_t len = 0; len < wr.w.len; len++) {
		memcpy(copy, wr.w.p, len);
		assert_int_equal(parse_all(copy, len), -1);
		if (len >= IKE_HDR_LEN) {
			/* the header agrees: the payload chain must catch it */
			copy[24] = (uint8_t)(len >> 24);
			copy[25] = (uint8_t)(len >> 16);
			copy[26] = (uint8_t)(len >> 8);
			copy[27] = (uint8_t)len;
			assert_int_equal(parse_all(copy, len), -1);
		}
	}
	free(copy);
	ike_wr_cleanup(&wr);
}

/* Every truncation of each typed payload body. */
static void
test_payload_truncations(void **state)
{
	struct ike_wr	 wr;
	struct buf	 b, t;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	struct ike_sa_pl *sa = malloc(sizeof(*sa));
	struct ike_id	 id;
	struct ike_notify nt;
	struct ike_delete d;
	uint16_t	 n;
	const char	*err;

	(void)state;
	build_sample(&wr);
	buf_init(&b, wr.w.p, wr.w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), 0);
	for (size_t l = 0; l < buf_left(&pls.pl[0].body); l++) {
		buf_init(&t, buf_cur(&pls.pl[0].body), l);
		assert_int_equal(ike_sa_parse(t, sa, &n, &err), -1);
		assert_int_not_equal(n, 0);
	}
	for (size_t l = 0; l < buf_left(&pls.pl[3].body); l++) {
		buf_init(&t, buf_cur(&pls.pl[3].body), l);
		assert_int_equal(ike_id_parse(t, &id, &err), -1);
	}
	/* a notify without data or SPI is valid from 8 bytes on */
	for (size_t l = 0; l < buf_left(&pls.pl[4].body); l++) {
		buf_init(&t, buf_cur(&pls.pl[4].body), l);
		assert_int_equal(ike_notify_parse(t, &nt, &err), -1);
	}
	for (size_t l = 0; l < buf_left(&pls.pl[5].body); l++) {
		buf_init(&t, buf_cur(&pls.pl[5].body), l);
		assert_int_equal(ike_delete_parse(t, &d, &err), -1);
	}
	ike_wr_cleanup(&wr);
	free(sa);
}

static void
set_len(uint8_t *p, size_t len)
{
	p[24] = (uint8_t)(len >> 24);
	p[25] = (uint8_t)(len >> 16);
	p[26] = (uint8_t)(len >> 8);
	p[27] = (uint8_t)len;
}

static void
test_header_checks(void **state)
{
	struct ike_wr	 wr;
	uint8_t		 m[2048];
	struct buf	 b;
	struct ike_hdr	 h;
	uint16_t	 n;
	const char	*err;
	size_t		 len;

	(void)state;
	build_sample(&wr);
	len = wr.w.len;
	memcpy(m, wr.w.p, len);
	ike_wr_cleanup(&wr);

	/* IKEv2 on port 500: dropped without a notification */
	m[17] = 0x20;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
	assert_int_equal(n, 0);
	m[17] = 0x11;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
	assert_int_equal(n, IKE_N_INVALID_MINOR_VERSION);
	m[17] = 0x10;
	m[19] = 0x08;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
	assert_int_equal(n, IKE_N_INVALID_FLAGS);
	m[19] = IKE_FLAG_AUTHONLY;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
	assert_int_equal(n, IKE_N_INVALID_FLAGS);
	m[19] = 0;
	/* a length that claims more than the datagram */
	set_len(m, len + 1);
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
	assert_int_equal(n, IKE_N_UNEQUAL_PAYLOAD_LENGTHS);
	set_len(m, len);
	/* oversized: beyond IKE_MAX_MSG */
	{
		uint8_t *big = calloc(1, IKE_MAX_MSG + 8);

		memcpy(big, m, IKE_HDR_LEN);
		set_len(big, IKE_MAX_MSG + 8);
		buf_init(&b, big, IKE_MAX_MSG + 8);
		assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), -1);
		assert_string_equal(err, "message too long");
		free(big);
	}
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
}

static void
test_payload_chain_checks(void **state)
{
	uint8_t		 m[256];
	struct ike_wr	 wr;
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	uint16_t	 n;
	const char	*err;
	size_t		 s, len;
	uint8_t		 body[8] = { 0 };

	(void)state;
	/* an unknown payload (type 77) then a VID: skipped, counted */
	ike_wr_init(&wr, ic, rc, IKE_EX_MAIN, 0, 0);
	ike_wr_bytes(&wr, 77, body, 4);
	ike_wr_bytes(&wr, IKE_PL_VID, body, 8);
	ike_wr_finish(&wr);
	len = wr.w.len;
	memcpy(m, wr.w.p, len);
	ike_wr_cleanup(&wr);
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), 0);
	assert_int_equal(pls.n, 1);
	assert_int_equal(pls.skipped, 1);
	/* the same with the critical bit: refused, INVALID-PAYLOAD-TYPE */
	m[IKE_HDR_LEN + 1] = 0x80;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), -1);
	assert_int_equal(n, IKE_N_INVALID_PAYLOAD_TYPE);
	assert_string_equal(err, "unknown critical payload");
	/* a known payload with reserved bits: malformed */
	m[IKE_HDR_LEN + 1] = 0;
	m[IKE_HDR_LEN + 8 + 1] = 0x01;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), -1);
	assert_int_equal(n, IKE_N_PAYLOAD_MALFORMED);
	m[IKE_HDR_LEN + 8 + 1] = 0;
	/* a payload length under 4 */
	m[IKE_HDR_LEN + 3] = 2;
	buf_init(&b, m, len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), -1);
	assert_int_equal(n, IKE_N_PAYLOAD_MALFORMED);
	/* a bare proposal payload at top level */
	ike_wr_init(&wr, ic, rc, IKE_EX_MAIN, 0, 0);
	s = ike_wr_begin(&wr, IKE_PL_P);
	wbuf_put_be32(&wr.w, 0);
	ike_wr_end(&wr, s);
	ike_wr_finish(&wr);
	buf_init(&b, wr.w.p, wr.w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), -1);
	assert_int_equal(n, IKE_N_INVALID_PAYLOAD_TYPE);
	ike_wr_cleanup(&wr);
	/* trailing bytes: refused unless allowed (padding) */
	ike_wr_init(&wr, ic, rc, IKE_EX_MAIN, 0, 0);
	ike_wr_bytes(&wr, IKE_PL_VID, body, 8);
	wbuf_put_zero(&wr.w, 3);
	ike_wr_finish(&wr);
	buf_init(&b, wr.w.p, wr.w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 0, &pls, &n, &err), -1);
	assert_int_equal(n, IKE_N_UNEQUAL_PAYLOAD_LENGTHS);
	buf_init(&b, wr.w.p, wr.w.len);
	assert_int_equal(ike_hdr_parse(&b, &h, &n, &err), 0);
	assert_int_equal(ike_pls_parse(&b, h.np, 16, &pls, &n, &err), 0);
	ike_wr_cleanup(&wr);
}

static void
test_sa_checks(void **state)
{
	struct ike_sa_pl *sa = malloc(sizeof(*sa));
	uint8_t		 p[64];
	struct buf	 b;
	uint16_t	 n;
	const char	*err;
	/* DOI 1, SIT 1, one ISAKMP proposal with one transform, TV attr */
	static const uint8_t good[] = {
		0, 0, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 20, 1, 1, 0, 1,
		0, 0, 0, 12, 1, 1, 0, 0, 0x80, 1, 0, 7,
	};

	(void)state;
	memcpy(p, good, sizeof(good));
	buf_init(&b, p, sizeof(good));
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), 0);
	assert_int_equal(sa->nprops, 1);
	assert_int_equal(sa->prop[0].proto, IKE_PROTO_ISAKMP);
	assert_int_equal(sa->attr[0].num, IKE_ENC_AES);
	p[3] = 2;	/* DOI */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	assert_int_equal(n, IKE_N_DOI_NOT_SUPPORTED);
	p[3] = 1;
	p[7] = 2;	/* situation */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	assert_int_equal(n, IKE_N_SITUATION_NOT_SUPPORTED);
	p[7] = 1;
	p[15] = 2;	/* claims 2 transforms, has 1 */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	assert_int_equal(n, IKE_N_BAD_PROPOSAL_SYNTAX);
	p[15] = 1;
	p[16] = 3;	/* the last transform says another follows */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	p[16] = 0;
	p[19] = 16;	/* transform too long for its proposal */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	p[19] = 12;
	p[22] = 1;	/* RESERVED2 not zero */
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	p[22] = 0;
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), 0);
	p[28 - 3] = 0x80;	/* TLV with a length past the end */
	p[24] = 0x00;
	assert_int_equal(ike_sa_parse(b, sa, &n, &err), -1);
	free(sa);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(ike_notify_name(IKE_N_NO_PROPOSAL_CHOSEN),
	    "NO_PROPOSAL_CHOSEN");
	assert_string_equal(ike_notify_name(IKE_N_R_U_THERE), "R_U_THERE");
	assert_string_equal(ike_p1_enc_name(IKE_ENC_3DES), "3DES-CBC");
	assert_string_equal(ike_exchange_name(IKE_EX_QUICK), "Quick Mode");
	assert_string_equal(ike_payload_name(99), "<unknown 99>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_payload_truncations),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_payload_chain_checks),
		cmocka_unit_test(test_sa_checks),
		cmocka_unit_test(test_names),
	};

	log_init("test_ike_wire", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
