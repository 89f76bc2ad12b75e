/*
 * IKEv2 proposals from the configuration and the responder's choice
 * (RFC 7296 2.7, 3.3): see proposal.h for the rules.
 */
#include <string.h>

#include "lib/lib.h"
#include "ike/v2/proposal.h"

#define XF(p, t)	((p)->xf[(t) - 1])
/* ENCR_AES_CBC and ENCR_AES_GCM_16: alg/'s rows (the IKE SA's AES-GCM
 * is ESP's, RFC 5282) */
#define ENCR_CBC	(alg_enc(ALG_ENC_AES)->ikev2)
#define ENCR_GCM	(alg_esp_enc(ALG_ESP_GCM)->ikev2)
#define NXF(p, t)	((p)->nxf[(t) - 1])

void
ike2_prop_from_pl(const struct ike2_sa_pl *pl, int i, struct ike2_prop *p)
{
	const struct ike2_sa_prop *sp = &pl->prop[i];

	memset(p, 0, sizeof(*p));
	p->num = sp->num;
	p->proto = sp->proto;
	p->spilen = sp->spisize <= sizeof(p->spi) ? sp->spisize : 0;
	memcpy(p->spi, sp->spi, p->spilen);
	p->unusable = !sp->usable;
	for (int k = 0; k < sp->nxf; k++) {
		const struct ike2_sa_xf *x = &pl->xf[sp->xf0 + k];

		if (!x->usable)
			p->unusable = 1;
		else
			(void)ike2_prop_add(p, x->type, x->id, x->keybits);
	}
}

void
ike2_prop_to_pl(const struct ike2_prop *p, struct ike2_sa_pl *pl)
{
	memset(pl, 0, sizeof(*pl));
	ike2_prop_append_pl(p, pl);
}

void
ike2_prop_append_pl(const struct ike2_prop *p, struct ike2_sa_pl *pl)
{
	struct ike2_sa_prop *sp;

	if (pl->nprops == IKE2_MAX_PROPS)
		return;
	sp = &pl->prop[pl->nprops++];
	sp->num = p->num;
	sp->proto = p->proto;
	sp->spisize = p->spilen;
	memcpy(sp->spi, p->spi, p->spilen);
	sp->usable = 1;
	sp->xf0 = pl->nxf;
	for (int t = 1; t <= IKE2_NTYPES; t++)
		for (int k = 0; k < NXF(p, t) && pl->nxf < IKE2_MAX_XFORMS;
		    k++) {
			struct ike2_sa_xf *x = &pl->xf[pl->nxf++];

			x->type = (uint8_t)t;
			x->id = XF(p, t)[k].id;
			x->keybits = XF(p, t)[k].keybits;
			x->usable = 1;
		}
	sp->nxf = pl->nxf - sp->xf0;
}

int
ike2_prop_add(struct ike2_prop *p, int type, uint16_t id, uint16_t keybits)
{
	if (type < 1 || type > IKE2_NTYPES || NXF(p, type) == IKE2_MAX_XF)
		return -1;
	XF(p, type)[NXF(p, type)].id = id;
	XF(p, type)[NXF(p, type)++].keybits = keybits;
	return 0;
}

int
ike2_prop_from_conf(const struct conf_ikev2_proposal *x, struct ike2_prop *p)
{
	const enum alg_hash *prf = x->nprf > 0 ? x->prf : x->integ;
	int		 nprf = x->nprf > 0 ? x->nprf : x->ninteg;

	memset(p, 0, sizeof(*p));
	p->proto = IKE2_PROTO_IKE;
	for (int i = 0; i < x->nenc; i++)
		(void)ike2_prop_add(p, IKE2_T_ENCR, x->enc[i].gcm ?
		    ENCR_GCM : ENCR_CBC,
		    (uint16_t)x->enc[i].bits);
	for (int i = 0; i < nprf; i++)
		(void)ike2_prop_add(p, IKE2_T_PRF, alg_hash(prf[i])->ikev2_prf,
		    0);
	for (int i = 0; i < x->ninteg; i++)
		(void)ike2_prop_add(p, IKE2_T_INTEG,
		    alg_hash(x->integ[i])->ikev2_integ, 0);
	for (int i = 0; i < x->ngroup; i++)
		(void)ike2_prop_add(p, IKE2_T_DH, (uint16_t)x->group[i], 0);
	return NXF(p, IKE2_T_ENCR) > 0 && NXF(p, IKE2_T_PRF) > 0 &&
	    NXF(p, IKE2_T_DH) > 0 ? 0 : -1;
}

int
ike2_prop_from_tset(const struct conf_transform_set *t, int pfs,
    struct ike2_prop *p)
{
	const struct alg_cipher *c = alg_esp_enc(t->enc);

	memset(p, 0, sizeof(*p));
	p->proto = IKE2_PROTO_ESP;
	if (c == NULL)
		return -1;
	/* the Key Length attribute only for ciphers of several sizes */
	(void)ike2_prop_add(p, IKE2_T_ENCR, c->ikev2,
	    alg_cipher_varkey(c) ? (uint16_t)t->keylen : 0);
	if (t->auth != ALG_ESP_AUTH_NONE)
		(void)ike2_prop_add(p, IKE2_T_INTEG,
		    alg_esp_auth(t->auth)->ikev2_integ, 0);
	if (pfs != 0)
		(void)ike2_prop_add(p, IKE2_T_DH, (uint16_t)pfs, 0);
	(void)ike2_prop_add(p, IKE2_T_ESN, 0, 0);	/* no ESN */
	return 0;
}

/* The first of the offer's transforms of this type that ours has, or -1. */
static int
pick(const struct ike2_prop *offer, const struct ike2_prop *ours, int type)
{
	for (int i = 0; i < NXF(offer, type); i++)
		for (int j = 0; j < NXF(ours, type); j++)
			if (XF(offer, type)[i].id == XF(ours, type)[j].id &&
			    XF(offer, type)[i].keybits ==
			    XF(ours, type)[j].keybits)
				return i;
	return -1;
}

static int
has_id(const struct ike2_prop *p, int type, uint16_t id)
{
	for (int i = 0; i < NXF(p, type); i++)
		if (XF(p, type)[i].id == id)
			return 1;
	return 0;
}

/*
 * With an AEAD no integrity: the offer may leave the type out or offer
 * NONE (RFC 5282 8).  1 if it fits, with NONE echoed when offered.
 */
static int
aead_integ(const struct ike2_prop *offer, struct ike2_prop *reply)
{
	if (NXF(offer, IKE2_T_INTEG) == 0)
		return 1;
	if (!has_id(offer, IKE2_T_INTEG, 0))
		return 0;
	(void)ike2_prop_add(reply, IKE2_T_INTEG, 0, 0);
	return 1;
}

/*
 * The DH group: the KE's if both sides have it (1), else the first of
 * ours the offer has, to ask for (0 with *want set), else -1.
 */
static int
pick_group(const struct ike2_prop *offer, const struct ike2_prop *ours,
    int ke, int *want)
{
	if (ke > 0 && has_id(offer, IKE2_T_DH, (uint16_t)ke) &&
	    has_id(ours, IKE2_T_DH, (uint16_t)ke))
		return 1;
	for (int j = 0; j < NXF(ours, IKE2_T_DH); j++)
		if (has_id(offer, IKE2_T_DH, XF(ours, IKE2_T_DH)[j].id)) {
			*want = XF(ours, IKE2_T_DH)[j].id;
			return 0;
		}
	return -1;
}

static enum alg_hash
hash_by_prf(uint16_t id)
{
	for (size_t i = 0; i < alg_hash_count; i++)
		if (alg_hash_table[i].ikev2_prf == id)
			return alg_hash_table[i].id;
	return 0;
}

static enum alg_hash
hash_by_integ(uint16_t id)
{
	for (size_t i = 0; i < alg_hash_count; i++)
		if (alg_hash_table[i].ikev2_integ == id)
			return alg_hash_table[i].id;
	return 0;
}

enum ike2_choice_result
ike2_choose_ike(const struct conf_ikev2_proposal *const *locals, int nlocal,
    const struct ike2_prop *offers, int n, int ke_group,
    struct ike2_ike_choice *out)
{
	int	 want = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		const struct ike2_prop *o = &offers[i];

		if (o->unusable || o->proto != IKE2_PROTO_IKE ||
		    NXF(o, IKE2_T_ESN) > 0)
			continue;
		for (int j = 0; j < nlocal; j++) {
			struct ike2_prop ours, *r = &out->reply;
			const struct ike2_xf *e;
			int	 ei, pi, ii = -1, g, w = 0, aead;

			if (ike2_prop_from_conf(locals[j], &ours) == -1 ||
			    (ei = pick(o, &ours, IKE2_T_ENCR)) == -1 ||
			    (pi = pick(o, &ours, IKE2_T_PRF)) == -1)
				continue;
			e = &XF(o, IKE2_T_ENCR)[ei];
			aead = e->id == ENCR_GCM;
			memset(r, 0, sizeof(*r));
			if (aead ? !aead_integ(o, r) :
			    (ii = pick(o, &ours, IKE2_T_INTEG)) == -1)
				continue;
			if ((g = pick_group(o, &ours, ke_group, &w)) == -1)
				continue;
			if (g == 0) {
				/* in common but for the KE: look further */
				if (want == 0)
					want = w;
				continue;
			}
			r->num = o->num;
			r->proto = IKE2_PROTO_IKE;
			(void)ike2_prop_add(r, IKE2_T_ENCR, e->id, e->keybits);
			(void)ike2_prop_add(r, IKE2_T_PRF,
			    XF(o, IKE2_T_PRF)[pi].id, 0);
			if (ii != -1)
				(void)ike2_prop_add(r, IKE2_T_INTEG,
				    XF(o, IKE2_T_INTEG)[ii].id, 0);
			(void)ike2_prop_add(r, IKE2_T_DH, (uint16_t)ke_group, 0);
			out->suite.enc = aead ? alg_esp_enc(ALG_ESP_GCM) :
			    alg_enc(ALG_ENC_AES);
			out->suite.keybits = e->keybits;
			out->suite.prf = hash_by_prf(XF(o, IKE2_T_PRF)[pi].id);
			out->suite.integ = ii == -1 ? 0 :
			    hash_by_integ(XF(o, IKE2_T_INTEG)[ii].id);
			out->group = ke_group;
			out->local = j;
			return IKE2_CHOSEN;
		}
	}
	if (want != 0) {
		out->want_group = want;
		return IKE2_INVALID_KE;
	}
	return IKE2_NO_PROPOSAL_CHOSEN;
}

static enum alg_esp_auth
esp_auth_by_integ(uint16_t id)
{
	for (size_t i = 0; i < alg_esp_auth_count; i++)
		if (alg_esp_auth_table[i].ikev2_integ == id)
			return alg_esp_auth_table[i].id;
	return ALG_ESP_AUTH_NONE;
}

/*
 * The DH part of a CHILD SA's choice: 1 with *group (0: no PFS), 0 with
 * *want (INVALID_KE), -1 if this pair does not fit.
 */
static int
child_group(const struct ike2_prop *o, int ke, int pfs, int *group, int *want)
{
	*group = 0;
	if (ke == -1)			/* IKE_AUTH: the IKE SA's DH */
		return 1;
	if (ke == 0) {
		/* no KE: no PFS, which the entry must not require */
		if (pfs != 0 || (NXF(o, IKE2_T_DH) > 0 &&
		    !has_id(o, IKE2_T_DH, 0)))
			return -1;
		return 1;
	}
	if (pfs != 0 && ke != pfs) {
		if (!has_id(o, IKE2_T_DH, (uint16_t)pfs))
			return -1;
		*want = pfs;
		return 0;
	}
	/* the entry's group, or the initiator's PFS when we ask none */
	if (!has_id(o, IKE2_T_DH, (uint16_t)ke))
		return -1;
	*group = ke;
	return 1;
}

enum ike2_choice_result
ike2_choose_esp(const struct conf_transform_set *const *tsets, int ntsets,
    int pfs_group, const struct ike2_prop *offers, int n, int ke_group,
    struct ike2_esp_choice *out)
{
	int	 want = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n; i++) {
		const struct ike2_prop *o = &offers[i];

		if (o->unusable || o->proto != IKE2_PROTO_ESP || o->spilen != 4)
			continue;
		/* no ESN: the type left out, or "no" among the offers */
		if (NXF(o, IKE2_T_ESN) > 0 && !has_id(o, IKE2_T_ESN, 0))
			continue;
		for (int j = 0; j < ntsets; j++) {
			struct ike2_prop ours, *r = &out->reply;
			const struct ike2_xf *e;
			int	 ei, ii = -1, g, w = 0, group;

			if (tsets[j] == NULL ||
			    ike2_prop_from_tset(tsets[j], 0, &ours) == -1 ||
			    (ei = pick(o, &ours, IKE2_T_ENCR)) == -1)
				continue;
			e = &XF(o, IKE2_T_ENCR)[ei];
			memset(r, 0, sizeof(*r));
			if (tsets[j]->auth == ALG_ESP_AUTH_NONE ?
			    !aead_integ(o, r) :
			    (ii = pick(o, &ours, IKE2_T_INTEG)) == -1)
				continue;
			if ((g = child_group(o, ke_group, pfs_group, &group,
			    &w)) == -1)
				continue;
			if (g == 0) {
				if (want == 0)
					want = w;
				continue;
			}
			r->num = o->num;
			r->proto = IKE2_PROTO_ESP;
			(void)ike2_prop_add(r, IKE2_T_ENCR, e->id, e->keybits);
			if (ii != -1)
				(void)ike2_prop_add(r, IKE2_T_INTEG,
				    XF(o, IKE2_T_INTEG)[ii].id, 0);
			if (group != 0)
				(void)ike2_prop_add(r, IKE2_T_DH,
				    (uint16_t)group, 0);
			if (NXF(o, IKE2_T_ESN) > 0)
				(void)ike2_prop_add(r, IKE2_T_ESN, 0, 0);
			out->tset = j;
			out->enc = tsets[j]->enc;
			out->keybits = tsets[j]->keylen;
			out->auth = ii == -1 ? ALG_ESP_AUTH_NONE :
			    esp_auth_by_integ(XF(o, IKE2_T_INTEG)[ii].id);
			out->group = group;
			out->peer_spi = (uint32_t)o->spi[0] << 24 |
			    (uint32_t)o->spi[1] << 16 |
			    (uint32_t)o->spi[2] << 8 | o->spi[3];
			return IKE2_CHOSEN;
		}
	}
	if (want != 0) {
		out->want_group = want;
		return IKE2_INVALID_KE;
	}
	return IKE2_NO_PROPOSAL_CHOSEN;
}
