/*
 * ike/v2/proposal.c: offers made from the configuration, and the
 * responder's choice for an IKE SA and for a CHILD SA: the initiator's
 * order, the KE's group or INVALID_KE_PAYLOAD, AEAD without integrity,
 * ESN, PFS, and what is never chosen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "ike/v2/proposal.h"

/* AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256 and the like (RFC 4868) */
#define I_SHA1		2
#define I_SHA256	12
#define P_SHA256	5
#define P_SHA384	6
/* ENCR_AES_CBC (RFC 3602), ENCR_AES_GCM_16 (RFC 4106) */
#define E_CBC		12
#define E_GCM		20

static struct conf_ikev2_proposal
cbc(void)
{
	struct conf_ikev2_proposal x;

	memset(&x, 0, sizeof(x));
	x.name = "CBC";
	x.enc[0] = (struct conf_ikev2_enc){ 0, 256 };
	x.enc[1] = (struct conf_ikev2_enc){ 0, 128 };
	x.nenc = 2;
	x.integ[0] = ALG_HASH_SHA256;
	x.integ[1] = ALG_HASH_SHA1;
	x.ninteg = 2;
	x.group[0] = 14;
	x.group[1] = 19;
	x.ngroup = 2;
	return x;
}

static struct conf_ikev2_proposal
gcm(void)
{
	struct conf_ikev2_proposal x;

	memset(&x, 0, sizeof(x));
	x.name = "GCM";
	x.enc[0] = (struct conf_ikev2_enc){ 1, 256 };
	x.nenc = 1;
	x.prf[0] = ALG_HASH_SHA384;
	x.nprf = 1;
	x.group[0] = 20;
	x.group[1] = 31;
	x.ngroup = 2;
	return x;
}

static struct ike2_prop
offer(int num, int proto)
{
	struct ike2_prop p;

	memset(&p, 0, sizeof(p));
	p.num = (uint8_t)num;
	p.proto = (uint8_t)proto;
	return p;
}

static void
test_offers_from_conf(void **state)
{
	struct conf_ikev2_proposal x = cbc();
	struct conf_transform_set t = { 0, "T", ALG_ESP_GCM, 256,
	    ALG_ESP_AUTH_NONE, 0 };
	struct ike2_prop p;

	(void)state;
	assert_int_equal(ike2_prop_from_conf(&x, &p), 0);
	assert_int_equal(p.proto, IKE2_PROTO_IKE);
	assert_int_equal(p.nxf[IKE2_T_ENCR - 1], 2);
	assert_int_equal(p.xf[IKE2_T_ENCR - 1][0].id, E_CBC);
	assert_int_equal(p.xf[IKE2_T_ENCR - 1][0].keybits, 256);
	/* no prf line: the integrity list's hashes as prfs */
	assert_int_equal(p.nxf[IKE2_T_PRF - 1], 2);
	assert_int_equal(p.xf[IKE2_T_PRF - 1][0].id, P_SHA256);
	assert_int_equal(p.xf[IKE2_T_INTEG - 1][1].id, I_SHA1);
	assert_int_equal(p.xf[IKE2_T_DH - 1][1].id, 19);
	assert_int_equal(p.nxf[IKE2_T_ESN - 1], 0);
	/* an ESP offer: GCM takes no integrity; ESN "no"; DH with PFS */
	assert_int_equal(ike2_prop_from_tset(&t, 14, &p), 0);
	assert_int_equal(p.proto, IKE2_PROTO_ESP);
	assert_int_equal(p.xf[IKE2_T_ENCR - 1][0].id, E_GCM);
	assert_int_equal(p.nxf[IKE2_T_INTEG - 1], 0);
	assert_int_equal(p.xf[IKE2_T_DH - 1][0].id, 14);
	assert_int_equal(p.nxf[IKE2_T_ESN - 1], 1);
	assert_int_equal(p.xf[IKE2_T_ESN - 1][0].id, 0);
	/* nothing to offer without a group */
	x.ngroup = 0;
	assert_int_equal(ike2_prop_from_conf(&x, &p), -1);
}

static void
test_choose_ike(void **state)
{
	struct conf_ikev2_proposal a = cbc(), b = gcm();
	const struct conf_ikev2_proposal *locals[] = { &a, &b };
	struct ike2_prop o[3];
	struct ike2_ike_choice c;

	(void)state;
	/* a strongSwan-like offer: CBC 128 then 256, sha256, 19 and 14 */
	o[0] = offer(1, IKE2_PROTO_IKE);
	ike2_prop_add(&o[0], IKE2_T_ENCR, E_CBC, 128);
	ike2_prop_add(&o[0], IKE2_T_ENCR, E_CBC, 256);
	ike2_prop_add(&o[0], IKE2_T_INTEG, I_SHA256, 0);
	ike2_prop_add(&o[0], IKE2_T_PRF, P_SHA256, 0);
	ike2_prop_add(&o[0], IKE2_T_DH, 19, 0);
	ike2_prop_add(&o[0], IKE2_T_DH, 14, 0);
	assert_int_equal(ike2_choose_ike(locals, 2, o, 1, 19, &c),
	    IKE2_CHOSEN);
	/* the initiator's order: 128 first, though ours lists 256 first */
	assert_int_equal(c.suite.keybits, 128);
	assert_ptr_equal(c.suite.enc, alg_enc(ALG_ENC_AES));
	assert_int_equal(c.suite.prf, ALG_HASH_SHA256);
	assert_int_equal(c.suite.integ, ALG_HASH_SHA256);
	assert_int_equal(c.group, 19);
	assert_int_equal(c.local, 0);
	assert_int_equal(c.reply.num, 1);
	for (int t = 0; t < 4; t++)
		assert_int_equal(c.reply.nxf[t], 1);
	assert_int_equal(c.reply.xf[IKE2_T_DH - 1][0].id, 19);
	assert_true(ike2_suite_ok(&c.suite));

	/* the KE's group in common only in another form: INVALID_KE */
	assert_int_equal(ike2_choose_ike(locals, 2, o, 1, 21, &c),
	    IKE2_INVALID_KE);
	assert_int_equal(c.want_group, 14);	/* our first in common */

	/* GCM: no integrity; an offered NONE is echoed */
	o[1] = offer(2, IKE2_PROTO_IKE);
	ike2_prop_add(&o[1], IKE2_T_ENCR, E_GCM, 256);
	ike2_prop_add(&o[1], IKE2_T_PRF, P_SHA384, 0);
	ike2_prop_add(&o[1], IKE2_T_INTEG, 0, 0);
	ike2_prop_add(&o[1], IKE2_T_DH, 31, 0);
	assert_int_equal(ike2_choose_ike(locals, 2, &o[1], 1, 31, &c),
	    IKE2_CHOSEN);
	assert_ptr_equal(c.suite.enc, alg_esp_enc(ALG_ESP_GCM));
	assert_int_equal(c.suite.integ, 0);
	assert_int_equal(c.suite.prf, ALG_HASH_SHA384);
	assert_int_equal(c.local, 1);
	assert_int_equal(c.reply.num, 2);
	assert_int_equal(c.reply.nxf[IKE2_T_INTEG - 1], 1);
	assert_int_equal(c.reply.xf[IKE2_T_INTEG - 1][0].id, 0);
	assert_true(ike2_suite_ok(&c.suite));
	/* ...but GCM beside a real integrity algorithm is not AEAD's */
	o[1].xf[IKE2_T_INTEG - 1][0].id = I_SHA256;
	assert_int_equal(ike2_choose_ike(locals, 2, &o[1], 1, 31, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);

	/* an unusable proposal and an ESP one are never chosen */
	o[2] = o[0];
	o[2].unusable = 1;
	assert_int_equal(ike2_choose_ike(locals, 2, &o[2], 1, 19, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
	o[2] = o[0];
	o[2].proto = IKE2_PROTO_ESP;
	assert_int_equal(ike2_choose_ike(locals, 2, &o[2], 1, 19, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
	/* a key size we do not have */
	o[2] = o[0];
	o[2].nxf[IKE2_T_ENCR - 1] = 1;
	o[2].xf[IKE2_T_ENCR - 1][0].keybits = 192;
	assert_int_equal(ike2_choose_ike(locals, 2, &o[2], 1, 19, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
	/* no policy at all */
	assert_int_equal(ike2_choose_ike(locals, 0, o, 1, 19, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
}

static void
test_choose_esp(void **state)
{
	struct conf_transform_set cbc256 = { 0, "CBC", ALG_ESP_AES, 256,
	    ALG_ESP_AUTH_SHA256, 0 };
	struct conf_transform_set gcm256 = { 0, "GCM", ALG_ESP_GCM, 256,
	    ALG_ESP_AUTH_NONE, 0 };
	const struct conf_transform_set *tsets[] = { NULL, &cbc256, &gcm256 };
	struct ike2_prop o[2];
	struct ike2_esp_choice c;

	(void)state;
	o[0] = offer(1, IKE2_PROTO_ESP);
	o[0].spilen = 4;
	memcpy(o[0].spi, "\xc1\x02\x03\x04", 4);
	ike2_prop_add(&o[0], IKE2_T_ENCR, E_GCM, 256);
	ike2_prop_add(&o[0], IKE2_T_DH, 19, 0);
	ike2_prop_add(&o[0], IKE2_T_ESN, 0, 0);
	ike2_prop_add(&o[0], IKE2_T_ESN, 1, 0);
	/* IKE_AUTH: the DH transform is ignored, not echoed */
	assert_int_equal(ike2_choose_esp(tsets, 3, 14, o, 1, -1, &c),
	    IKE2_CHOSEN);
	assert_int_equal(c.tset, 2);
	assert_int_equal(c.enc, ALG_ESP_GCM);
	assert_int_equal(c.keybits, 256);
	assert_int_equal(c.auth, ALG_ESP_AUTH_NONE);
	assert_int_equal(c.group, 0);
	assert_int_equal(c.peer_spi, 0xc1020304);
	assert_int_equal(c.reply.nxf[IKE2_T_DH - 1], 0);
	assert_int_equal(c.reply.nxf[IKE2_T_ESN - 1], 1);
	assert_int_equal(c.reply.xf[IKE2_T_ESN - 1][0].id, 0);

	/* CREATE_CHILD_SA with PFS group 14: a KE of 19 is asked again */
	ike2_prop_add(&o[0], IKE2_T_DH, 14, 0);
	assert_int_equal(ike2_choose_esp(tsets, 3, 14, o, 1, 19, &c),
	    IKE2_INVALID_KE);
	assert_int_equal(c.want_group, 14);
	assert_int_equal(ike2_choose_esp(tsets, 3, 14, o, 1, 14, &c),
	    IKE2_CHOSEN);
	assert_int_equal(c.group, 14);
	assert_int_equal(c.reply.xf[IKE2_T_DH - 1][0].id, 14);
	/* no PFS configured: the initiator's PFS is done */
	assert_int_equal(ike2_choose_esp(tsets, 3, 0, o, 1, 19, &c),
	    IKE2_CHOSEN);
	assert_int_equal(c.group, 19);
	/* PFS required, no KE: refused */
	assert_int_equal(ike2_choose_esp(tsets, 3, 14, o, 1, 0, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);

	/* CBC: the integrity must match; ESN only "yes" is refused */
	o[1] = offer(2, IKE2_PROTO_ESP);
	o[1].spilen = 4;
	ike2_prop_add(&o[1], IKE2_T_ENCR, E_CBC, 256);
	ike2_prop_add(&o[1], IKE2_T_INTEG, I_SHA1, 0);
	ike2_prop_add(&o[1], IKE2_T_ESN, 0, 0);
	assert_int_equal(ike2_choose_esp(tsets, 3, 0, &o[1], 1, -1, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
	ike2_prop_add(&o[1], IKE2_T_INTEG, I_SHA256, 0);
	assert_int_equal(ike2_choose_esp(tsets, 3, 0, &o[1], 1, -1, &c),
	    IKE2_CHOSEN);
	assert_int_equal(c.tset, 1);
	assert_int_equal(c.auth, ALG_ESP_AUTH_SHA256);
	assert_int_equal(c.reply.num, 2);
	o[1].xf[IKE2_T_ESN - 1][0].id = 1;
	assert_int_equal(ike2_choose_esp(tsets, 3, 0, &o[1], 1, -1, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
	/* an ESP SPI is 4 bytes */
	o[1].xf[IKE2_T_ESN - 1][0].id = 0;
	o[1].spilen = 8;
	assert_int_equal(ike2_choose_esp(tsets, 3, 0, &o[1], 1, -1, &c),
	    IKE2_NO_PROPOSAL_CHOSEN);
}

/* To the codec's SA payload and back; an unusable transform marks it. */
static void
test_pl_round_trip(void **state)
{
	struct conf_ikev2_proposal x = cbc();
	struct ike2_prop p, q;
	struct ike2_sa_pl pl;

	(void)state;
	assert_int_equal(ike2_prop_from_conf(&x, &p), 0);
	p.num = 3;
	p.spilen = 8;
	memcpy(p.spi, "ABCDEFGH", 8);
	ike2_prop_to_pl(&p, &pl);
	assert_int_equal(pl.nprops, 1);
	assert_int_equal(pl.nxf, 2 + 2 + 2 + 2);
	ike2_prop_from_pl(&pl, 0, &q);
	assert_memory_equal(&p, &q, sizeof(p));
	pl.xf[3].usable = 0;
	ike2_prop_from_pl(&pl, 0, &q);
	assert_true(q.unusable);
}

static void
test_full_type_lists(void **state)
{
	struct ike2_prop p = offer(1, IKE2_PROTO_IKE);

	(void)state;
	for (int i = 0; i < IKE2_MAX_XF; i++)
		assert_int_equal(ike2_prop_add(&p, IKE2_T_DH, 14, 0), 0);
	assert_int_equal(ike2_prop_add(&p, IKE2_T_DH, 14, 0), -1);
	assert_int_equal(ike2_prop_add(&p, 0, 1, 0), -1);
	assert_int_equal(ike2_prop_add(&p, 6, 1, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offers_from_conf),
		cmocka_unit_test(test_choose_ike),
		cmocka_unit_test(test_choose_esp),
		cmocka_unit_test(test_pl_round_trip),
		cmocka_unit_test(test_full_type_lists),
	};

	return cmocka_run_group_tests_name("ikev2_proposal", tests, NULL,
	    NULL);
}
