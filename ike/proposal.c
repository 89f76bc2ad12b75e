/*
 * Proposals: the phase 1 and phase 2 SA payloads we offer, the choice
 * among what a peer offers (IOS style, each comparison traced under debug
 * crypto isakmp), and the check of the transform a responder chose.
 *
 * Phase 1 as IOS does it: the responder checks each local policy in
 * priority order against every offered transform and takes the first
 * match; the initiator offers its usable policies in priority order, one
 * transform each.  Phase 2: each offered proposal in order against the
 * crypto map entry's transform-sets in order.
 */
#include <stdio.h>
#include <string.h>

#include "ike/ike_int.h"

/* ---- phase 1 ------------------------------------------------------------- */

static void
p1_write_xf(struct wbuf *w, int num, int last,
    const struct conf_isakmp_policy *p)
{
	size_t	 s = ike_wr_xf_begin(w, last, (uint8_t)num, IKE_XF_KEY_IKE);
	const struct alg_cipher *c = alg_enc(p->enc);

	ike_wr_attr(w, IKE_P1A_ENC, c->ikev1);
	if (alg_cipher_varkey(c))
		ike_wr_attr(w, IKE_P1A_KEY_LENGTH, (uint32_t)p->keylen);
	ike_wr_attr(w, IKE_P1A_HASH, alg_hash(p->hash)->ikev1);
	ike_wr_attr(w, IKE_P1A_AUTH, IKE_AUTH_PSK);
	ike_wr_attr(w, IKE_P1A_GROUP, (uint32_t)p->group);
	ike_wr_attr(w, IKE_P1A_LIFE_TYPE, IKE_LIFE_SECONDS);
	/* IOS sends the duration as a 4-byte value (VPI) */
	wbuf_put_be16(w, IKE_P1A_LIFE_DURATION);
	wbuf_put_be16(w, 4);
	wbuf_put_be32(w, p->lifetime);
	ike_wr_sub_end(w, s);
}

static int
p1_usable(const struct conf_isakmp_policy *p, int group)
{
	return conf_policy_usable(p) && ike_dh_supported(p->group) &&
	    (group == 0 || p->group == group);
}

int
ike_p1_build_sa(struct ike *ike, struct ike_wr *wr, int group)
{
	const struct config *cf = ike->cf;
	struct wbuf	*w = &wr->w;
	size_t		 sa, prop;
	int		 n = 0, k = 0;

	for (int i = 0; i < cf->npolicies; i++)
		if (p1_usable(&cf->policies[i], group))
			n++;
	sa = ike_wr_sa_begin(wr);
	prop = ike_wr_prop_begin(w, 1, 1, IKE_PROTO_ISAKMP, NULL, (uint8_t)n);
	for (int i = 0; i < cf->npolicies; i++)
		if (p1_usable(&cf->policies[i], group)) {
			k++;
			p1_write_xf(w, k, k == n, &cf->policies[i]);
		}
	ike_wr_sub_end(w, prop);
	ike_wr_end(wr, sa);
	return n;
}

static const char *
life_units(uint64_t v)
{
	return v == IKE_LIFE_SECONDS ? "seconds" :
	    v == IKE_LIFE_KILOBYTES ? "kilobytes" : "unknown units";
}

/*
 * RFC 2409 appendix A: the attributes of a phase 1 transform.  One
 * without a number, an unknown one or one we cannot honour makes the
 * offer bad; the rest are still read.
 */
void
ike_p1_decode(const struct ike_sa_pl *spl, const struct ike_xf *x,
    struct ike_p1_offer *o)
{
	int	 life_type = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < x->nattrs; i++) {
		const struct ike_attr *a = &spl->attr[x->attr0 + i];
		uint32_t v = a->num_ok && a->num <= UINT32_MAX ?
		    (uint32_t)a->num : 0;

		if (!a->num_ok) {
			o->bad = 1;
			continue;
		}
		switch (a->type) {
		case IKE_P1A_ENC:
			o->enc = (int)v;
			break;
		case IKE_P1A_KEY_LENGTH:
			o->keylen = (int)v;
			break;
		case IKE_P1A_HASH:
			o->hash = (int)v;
			break;
		case IKE_P1A_AUTH:
			o->auth = (int)v;
			break;
		case IKE_P1A_GROUP:
			o->group = (int)v;
			break;
		case IKE_P1A_LIFE_TYPE:
			life_type = (int)v;
			if (v != IKE_LIFE_SECONDS && v != IKE_LIFE_KILOBYTES)
				o->bad = 1;
			break;
		case IKE_P1A_LIFE_DURATION:
			if (life_type == IKE_LIFE_SECONDS)
				o->life = v;
			else if (life_type == 0)
				o->bad = 1;
			/* kilobytes: no volume limit on ISAKMP SAs */
			break;
		default:
			o->bad = 1;
			break;
		}
	}
}

/* debug crypto isakmp: the attributes of a phase 1 transform, as IOS. */
void
ike_p1_trace(const struct ike_sa_pl *spl, const struct ike_xf *x)
{
	if (!log_debug_enabled(LOG_IKE))
		return;
	for (int i = 0; i < x->nattrs; i++) {
		const struct ike_attr *a = &spl->attr[x->attr0 + i];
		uint32_t v = a->num_ok && a->num <= UINT32_MAX ?
		    (uint32_t)a->num : 0;

		if (!a->num_ok)
			continue;
		switch (a->type) {
		case IKE_P1A_ENC:
			IKE_TRACE(NULL, "      encryption %s",
			    ike_p1_enc_name(v));
			break;
		case IKE_P1A_KEY_LENGTH:
			IKE_TRACE(NULL, "      keylength of %u", v);
			break;
		case IKE_P1A_HASH:
			IKE_TRACE(NULL, "      hash %s", ike_p1_hash_name(v));
			break;
		case IKE_P1A_AUTH:
			IKE_TRACE(NULL, "      auth %s", ike_p1_auth_name(v));
			break;
		case IKE_P1A_GROUP:
			IKE_TRACE(NULL, "      default group %u", v);
			break;
		case IKE_P1A_LIFE_TYPE:
			IKE_TRACE(NULL, "      life type in %s", life_units(v));
			break;
		case IKE_P1A_LIFE_DURATION:
			if (a->tv)
				IKE_TRACE(NULL, "      life duration (basic) "
				    "of %u", v);
			else
				IKE_TRACE(NULL, "      life duration (VPI) of "
				    " 0x%x 0x%x 0x%x 0x%x", v >> 24,
				    (v >> 16) & 0xff, (v >> 8) & 0xff,
				    v & 0xff);
			break;
		default:
			IKE_TRACE(NULL, "      unsupported attribute %s",
			    ike_p1_attr_name(a->type));
			break;
		}
	}
}

static int
p1_group_ok(int g)
{
	return alg_dh_ikev1(g) != NULL && ike_dh_supported(g);
}

/* The IOS comparison of one offered transform with one policy. */
const char *
ike_p1_mismatch(const struct ike_p1_offer *o,
    const struct conf_isakmp_policy *p)
{
	const struct alg_cipher *c = alg_enc(p->enc);
	int	 varkey = alg_cipher_varkey(c);

	if (o->bad)
		return "atts are not supported";
	if (o->enc != c->ikev1)
		return "Encryption algorithm offered does not match policy!";
	if (varkey && o->keylen != p->keylen)
		return "Key length offered does not match policy!";
	if (!varkey && o->keylen != 0)
		return "Key length offered does not match policy!";
	if (o->hash != alg_hash(p->hash)->ikev1)
		return "Hash algorithm offered does not match policy!";
	if (o->auth != IKE_AUTH_PSK)
		return "Authentication method offered does not match policy!";
	if (o->group != p->group || !p1_group_ok(o->group))
		return "Diffie-Hellman group offered does not match policy!";
	return NULL;
}

static void
p1_set_alg(struct ike_p1_alg *alg, const struct conf_isakmp_policy *p,
    const struct ike_p1_offer *o)
{
	alg->enc = p->enc;
	alg->keybits = alg_cipher_varkey(alg_enc(p->enc)) ? p->keylen : 0;
	alg->hash = p->hash;
	alg->group = p->group;
	alg->prio = p->priority;
	alg->lifetime = o->life != 0 && o->life < p->lifetime ? o->life :
	    p->lifetime;
}

int
ike_p1_choose(struct ike_sa *sa, const struct ike_sa_pl *spl,
    struct ike_p1_alg *alg, const struct ike_xf **chosen)
{
	const struct config *cf = sa->ike->cf;
	struct ike_p1_offer o;
	const char	*why;

	for (int i = 0; i < cf->npolicies; i++) {
		const struct conf_isakmp_policy *p = &cf->policies[i];

		if (!conf_policy_usable(p))
			continue;
		for (int j = 0; j < spl->nprops; j++) {
			const struct ike_prop *pr = &spl->prop[j];

			if (pr->proto != IKE_PROTO_ISAKMP)
				continue;
			for (int k = 0; k < pr->nxf; k++) {
				const struct ike_xf *x = &spl->xf[pr->xf0 + k];
				int last = k == pr->nxf - 1;

				IKE_TRACE(sa, "Checking ISAKMP transform %d "
				    "against priority %d policy", x->num,
				    p->priority);
				ike_p1_decode(spl, x, &o);
				ike_p1_trace(spl, x);
				why = x->id != IKE_XF_KEY_IKE ?
				    "transform is not KEY_IKE" :
				    ike_p1_mismatch(&o, p);
				if (why != NULL) {
					IKE_TRACE(sa, "%s", why);
					IKE_TRACE(sa, "atts are not "
					    "acceptable. Next payload is %d",
					    last ? 0 : 3);
					continue;
				}
				IKE_TRACE(sa, "atts are acceptable. Next "
				    "payload is %d", last ? 0 : 3);
				p1_set_alg(alg, p, &o);
				IKE_TRACE(sa, "Acceptable atts:actual life: %u",
				    o.life);
				IKE_TRACE(sa, "Returning Actual lifetime: %u",
				    alg->lifetime);
				*chosen = x;
				return 0;
			}
		}
	}
	return -1;
}

int
ike_p1_accept_reply(struct ike_sa *sa, const struct ike_sa_pl *spl,
    struct ike_p1_alg *alg)
{
	const struct config *cf = sa->ike->cf;
	const struct ike_xf *x;
	struct ike_p1_offer o;

	if (spl->nprops != 1 || spl->prop[0].nxf != 1 ||
	    spl->prop[0].proto != IKE_PROTO_ISAKMP)
		return -1;
	x = &spl->xf[spl->prop[0].xf0];
	IKE_TRACE(sa, "Checking ISAKMP transform %d chosen by the peer",
	    x->num);
	ike_p1_decode(spl, x, &o);
	ike_p1_trace(spl, x);
	if (x->id != IKE_XF_KEY_IKE)
		return -1;
	for (int i = 0; i < cf->npolicies; i++) {
		const struct conf_isakmp_policy *p = &cf->policies[i];

		if (!p1_usable(p, 0) || ike_p1_mismatch(&o, p) != NULL)
			continue;
		if (o.life != 0 && o.life > p->lifetime) {
			IKE_TRACE(sa, "peer chose a longer lifetime (%u) than "
			    "offered (%u)", o.life, p->lifetime);
			continue;
		}
		p1_set_alg(alg, p, &o);
		IKE_TRACE(sa, "atts are acceptable. Next payload is 0");
		return 0;
	}
	return -1;
}

static void
write_xf_copy(struct wbuf *w, const struct ike_sa_pl *spl,
    const struct ike_xf *x)
{
	size_t	 s = ike_wr_xf_begin(w, 1, x->num, x->id);

	for (int i = 0; i < x->nattrs; i++) {
		const struct ike_attr *a = &spl->attr[x->attr0 + i];

		if (a->tv) {
			wbuf_put_be16(w, 0x8000 | a->type);
			wbuf_put_be16(w, (uint16_t)a->num);
		} else
			ike_wr_attr_tlv(w, a->type, a->val, a->len);
	}
	ike_wr_sub_end(w, s);
}

/* The chosen transform, exactly as offered, in a proposal of its own. */
void
ike_p1_build_reply(struct ike_wr *wr, const struct ike_sa_pl *spl,
    const struct ike_xf *x)
{
	struct wbuf	*w = &wr->w;
	size_t		 sa, prop;
	uint8_t		 pnum = 1;

	for (int j = 0; j < spl->nprops; j++)
		if (x >= &spl->xf[spl->prop[j].xf0] &&
		    x < &spl->xf[spl->prop[j].xf0 + spl->prop[j].nxf])
			pnum = spl->prop[j].num;
	sa = ike_wr_sa_begin(wr);
	prop = ike_wr_prop_begin(w, 1, pnum, IKE_PROTO_ISAKMP, NULL, 1);
	write_xf_copy(w, spl, x);
	ike_wr_sub_end(w, prop);
	ike_wr_end(wr, sa);
}

/* ---- phase 2 ------------------------------------------------------------- */

static uint16_t
encap_id(const struct ike_p2_xf *x, int natt)
{
	if (!x->udp)
		return x->tunnel ? IKE_ENCAP_TUNNEL : IKE_ENCAP_TRANSPORT;
	if (natt == IKE_VID_DRAFT)
		return x->tunnel ? IKE_ENCAP_UDP_TUNNEL_DRAFT :
		    IKE_ENCAP_UDP_TRANSPORT_DRAFT;
	return x->tunnel ? IKE_ENCAP_UDP_TUNNEL : IKE_ENCAP_UDP_TRANSPORT;
}

int
ike_p2_offers(struct ike *ike, const struct conf_map_entry *e, int udp,
    struct ike_p2_xf *out, int max)
{
	const struct config *cf = ike->cf;
	int	 n = 0;

	for (int i = 0; i < e->ntsets && n < max; i++) {
		const struct conf_transform_set *t = conf_tset_find(cf,
		    e->tsets[i]);
		struct ike_p2_xf *x = &out[n];

		if (t == NULL)
			continue;
		memset(x, 0, sizeof(*x));
		x->enc = t->enc;
		x->keybits = t->keylen;
		x->auth = t->auth;
		x->tunnel = !t->transport;
		x->udp = udp;
		x->group = e->pfs_group;
		x->life_secs = e->life_seconds != 0 ? e->life_seconds :
		    cf->sa_life_seconds;
		x->life_kbytes = e->life_kbytes != 0 ? e->life_kbytes :
		    cf->sa_life_kbytes;
		x->esp_id = (uint8_t)alg_esp_enc(t->enc)->ikev1;
		snprintf(x->tset, sizeof(x->tset), "%s", t->name);
		n++;
	}
	return n;
}

static void
p2_write_xf(struct wbuf *w, const struct ike_p2_xf *x, int num, int natt,
    uint32_t secs, uint64_t kbytes)
{
	size_t	 s = ike_wr_xf_begin(w, 1, (uint8_t)num, x->esp_id);
	const struct alg_hmac *auth = alg_esp_auth(x->auth);

	ike_wr_attr(w, IKE_P2A_ENCAP, encap_id(x, natt));
	ike_wr_attr(w, IKE_P2A_LIFE_TYPE, IKE_LIFE_SECONDS);
	ike_wr_attr(w, IKE_P2A_LIFE_DURATION, secs);
	if (kbytes != 0) {
		ike_wr_attr(w, IKE_P2A_LIFE_TYPE, IKE_LIFE_KILOBYTES);
		ike_wr_attr(w, IKE_P2A_LIFE_DURATION,
		    kbytes > UINT32_MAX ? UINT32_MAX : (uint32_t)kbytes);
	}
	if (auth != NULL)
		ike_wr_attr(w, IKE_P2A_AUTH, auth->ikev1);
	if (alg_cipher_varkey(alg_esp_enc(x->enc)))
		ike_wr_attr(w, IKE_P2A_KEY_LENGTH, (uint32_t)x->keybits);
	if (x->group != 0)
		ike_wr_attr(w, IKE_P2A_GROUP, (uint32_t)x->group);
	ike_wr_sub_end(w, s);
}

/* One proposal per transform-set, in the crypto map's order. */
void
ike_p2_build_sa(struct ike_wr *wr, const struct ike_p2_xf *xs, int n,
    uint32_t spi, int natt)
{
	struct wbuf	*w = &wr->w;
	size_t		 sa, prop;

	sa = ike_wr_sa_begin(wr);
	for (int i = 0; i < n; i++) {
		prop = ike_wr_prop_begin(w, i == n - 1, (uint8_t)(i + 1),
		    IKE_PROTO_ESP, &spi, 1);
		p2_write_xf(w, &xs[i], 1, natt, xs[i].life_secs,
		    xs[i].life_kbytes);
		ike_wr_sub_end(w, prop);
	}
	ike_wr_end(wr, sa);
}

/* The responder's answer: the chosen transform with our SPI. */
void
ike_p2_build_reply(struct ike_wr *wr, const struct ike_p2_xf *x,
    uint32_t spi, int natt, uint32_t secs, uint64_t kbytes)
{
	struct wbuf	*w = &wr->w;
	size_t		 sa, prop;

	sa = ike_wr_sa_begin(wr);
	prop = ike_wr_prop_begin(w, 1, 1, IKE_PROTO_ESP, &spi, 1);
	p2_write_xf(w, x, 1, natt, secs, kbytes);
	ike_wr_sub_end(w, prop);
	ike_wr_end(wr, sa);
}

/*
 * RFC 2407 4.5: the attributes of a phase 2 transform.  -1 if it is
 * malformed (an attribute without a number, a life duration before its
 * type, an unknown life type): reading stops there.  An attribute or
 * value we do not support makes the offer bad.
 */
int
ike_p2_decode(const struct ike_sa_pl *spl, const struct ike_xf *x,
    struct ike_p2_offer *po)
{
	struct ike_p2_xf *o = &po->xf;
	int	 life_type = 0, encap = 0;
	const struct alg_cipher *c;
	const struct alg_hmac *h;

	memset(po, 0, sizeof(*po));
	o->esp_id = x->id;
	o->auth = ALG_ESP_AUTH_NONE;
	if ((c = alg_esp_enc_by_ikev1(x->id)) != NULL) {
		o->enc = c->id;
		/* a cipher of one key size takes no key length attribute */
		if (!alg_cipher_varkey(c))
			o->keybits = c->bits[0];
	} else
		po->bad = 1;
	for (int i = 0; i < x->nattrs; i++) {
		const struct ike_attr *a = &spl->attr[x->attr0 + i];
		uint64_t v = a->num;

		if (!a->num_ok)
			return -1;
		po->nattrs = i + 1;
		switch (a->type) {
		case IKE_P2A_ENCAP:
			encap = (int)v;
			break;
		case IKE_P2A_LIFE_TYPE:
			life_type = (int)v;
			if (v != IKE_LIFE_SECONDS && v != IKE_LIFE_KILOBYTES)
				return -1;
			break;
		case IKE_P2A_LIFE_DURATION:
			if (life_type == IKE_LIFE_SECONDS)
				o->life_secs = v > UINT32_MAX ? UINT32_MAX :
				    (uint32_t)v;
			else if (life_type == IKE_LIFE_KILOBYTES)
				o->life_kbytes = v;
			else
				return -1;	/* RFC 2407 4.5: type first */
			break;
		case IKE_P2A_AUTH:
			if (v <= UINT16_MAX &&
			    (h = alg_esp_auth_by_ikev1((unsigned)v)) != NULL)
				o->auth = h->id;
			else
				po->bad = 1;
			break;
		case IKE_P2A_KEY_LENGTH:
			o->keybits = (int)v;
			break;
		case IKE_P2A_GROUP:
			o->group = (int)v;
			if (!p1_group_ok(o->group))
				po->bad = 1;
			break;
		case IKE_P2A_ESN:
			if (v != 0)
				po->bad = 1;
			break;
		default:
			po->bad = 1;
		}
	}
	switch (encap) {
	case IKE_ENCAP_TUNNEL:
		o->tunnel = 1;
		break;
	case IKE_ENCAP_TRANSPORT:
		break;
	case IKE_ENCAP_UDP_TUNNEL:
	case IKE_ENCAP_UDP_TUNNEL_DRAFT:
		o->tunnel = o->udp = 1;
		break;
	case IKE_ENCAP_UDP_TRANSPORT:
	case IKE_ENCAP_UDP_TRANSPORT_DRAFT:
		o->udp = 1;
		break;
	case 0:
		/* RFC 2407 4.5: no encapsulation mode means transport */
		break;
	default:
		po->bad = 1;
	}
	/*
	 * AES without a key length is refused (RFC 3602 says it is set);
	 * an AEAD cipher takes no integrity algorithm, the others need one
	 */
	if (c != NULL && ((alg_cipher_varkey(c) &&
	    alg_cipher_size(c, o->keybits) == -1) ||
	    (c->icv != 0) != (o->auth == ALG_ESP_AUTH_NONE)))
		po->bad = 1;
	return 0;
}

/*
 * debug crypto isakmp: a phase 2 transform and the attributes its
 * decoding read (up to the malformed one), as IOS prints them.
 */
void
ike_p2_trace(const struct ike_sa_pl *spl, const struct ike_xf *x,
    const struct ike_p2_offer *po)
{
	if (!log_debug_enabled(LOG_IKE))
		return;
	IKE_TRACE(NULL, "transform %d, %s", x->num, ike_esp_id_name(x->id));
	IKE_TRACE(NULL, "  attributes in transform:");
	for (int i = 0; i < po->nattrs; i++) {
		const struct ike_attr *a = &spl->attr[x->attr0 + i];
		uint64_t v = a->num;

		switch (a->type) {
		case IKE_P2A_ENCAP:
			IKE_TRACE(NULL, "      encaps is %u (%s)", (unsigned)v,
			    ike_encap_name((unsigned)v));
			break;
		case IKE_P2A_LIFE_TYPE:
			IKE_TRACE(NULL, "      SA life type in %s",
			    life_units(v));
			break;
		case IKE_P2A_LIFE_DURATION:
			if (a->tv)
				IKE_TRACE(NULL, "      SA life duration "
				    "(basic) of %u", (unsigned)v);
			else
				IKE_TRACE(NULL, "      SA life duration (VPI) "
				    "of  0x%x 0x%x 0x%x 0x%x",
				    (unsigned)(v >> 24) & 0xff,
				    (unsigned)(v >> 16) & 0xff,
				    (unsigned)(v >> 8) & 0xff,
				    (unsigned)v & 0xff);
			break;
		case IKE_P2A_AUTH:
			IKE_TRACE(NULL, "      authenticator is %s",
			    ike_p2_auth_name((unsigned)v));
			break;
		case IKE_P2A_KEY_LENGTH:
			IKE_TRACE(NULL, "      key length is %u", (unsigned)v);
			break;
		case IKE_P2A_GROUP:
			IKE_TRACE(NULL, "      group is %u", (unsigned)v);
			break;
		case IKE_P2A_ESN:
			IKE_TRACE(NULL, "      extended sequence number %u",
			    (unsigned)v);
			break;
		default:
			IKE_TRACE(NULL, "      unsupported attribute %s",
			    ike_p2_attr_name(a->type));
		}
	}
}

/* What differs between an offered transform and one we want, or NULL. */
const char *
ike_p2_mismatch(const struct ike_p2_xf *o, const struct ike_p2_xf *want)
{
	if (o->enc != want->enc || o->keybits != want->keybits)
		return "encryption";
	if (o->auth != want->auth)
		return "authenticator";
	if (o->tunnel != want->tunnel)
		return "encapsulation mode";
	if (o->udp != want->udp)
		return "UDP encapsulation";
	return NULL;
}

/* The first of our transform-sets the offer matches (traced), or -1. */
static int
p2_match_tset(struct ike_sa *sa, const struct ike_xf *x,
    const struct ike_p2_xf *o, const struct ike_p2_xf *want, int nwant)
{
	const char	*why;

	for (int t = 0; t < nwant; t++) {
		if ((why = ike_p2_mismatch(o, &want[t])) == NULL)
			return t;
		IKE_TRACE(sa, "transform %d does not match transform-set "
		    "%s: %s", x->num, want[t].tset, why);
	}
	return -1;
}

/* The responder's choice: the offer under our transform-set's name. */
static void
p2_set_chosen(struct ike_p2_xf *xf, const struct ike_p2_xf *o,
    const struct ike_p2_xf *want)
{
	/* RFC 2407 4.5: 28800 seconds when the offer gives none */
	uint32_t secs = o->life_secs != 0 ? o->life_secs : 28800;

	*xf = *o;
	xf->offered_secs = o->life_secs;
	xf->offered_kbytes = o->life_kbytes;
	snprintf(xf->tset, sizeof(xf->tset), "%s", want->tset);
	/* lifetimes: the offered, or ours if shorter */
	xf->life_secs = secs < want->life_secs ? secs : want->life_secs;
	xf->life_kbytes = o->life_kbytes == 0 ||
	    o->life_kbytes > want->life_kbytes ? want->life_kbytes :
	    o->life_kbytes;
}

int
ike_p2_choose(struct ike_sa *sa, const struct ike_sa_pl *spl,
    const struct conf_map_entry *e, int udp, struct ike_p2_xf *xf,
    uint32_t *spi, uint16_t *notify)
{
	struct ike_p2_xf want[8];
	struct ike_p2_offer o;
	int		 nwant, t, rc;

	*notify = IKE_N_NO_PROPOSAL_CHOSEN;
	nwant = ike_p2_offers(sa->ike, e, udp, want, (int)nitems(want));
	for (int j = 0; j < spl->nprops; j++) {
		const struct ike_prop *pr = &spl->prop[j];
		int	 bundle = (j > 0 && spl->prop[j - 1].num == pr->num) ||
		    (j + 1 < spl->nprops && spl->prop[j + 1].num == pr->num);

		IKE_TRACE(sa, "Checking IPSec proposal %d", pr->num);
		if (pr->proto != IKE_PROTO_ESP || bundle) {
			IKE_TRACE(sa, "proposal %d: only ESP alone is "
			    "supported (%s%s)", pr->num,
			    ike_proto_name(pr->proto), bundle ? " bundle" : "");
			continue;
		}
		if (pr->spisize != 4) {
			*notify = IKE_N_INVALID_SPI;
			IKE_TRACE(sa, "proposal %d: SPI size %d", pr->num,
			    pr->spisize);
			continue;
		}
		for (int k = 0; k < pr->nxf; k++) {
			const struct ike_xf *x = &spl->xf[pr->xf0 + k];

			rc = ike_p2_decode(spl, x, &o);
			ike_p2_trace(spl, x, &o);
			if (rc == -1) {
				*notify = IKE_N_BAD_PROPOSAL_SYNTAX;
				IKE_TRACE(sa, "atts are not acceptable "
				    "(malformed).");
				continue;
			}
			if (o.bad) {
				IKE_TRACE(sa, "atts are not acceptable "
				    "(unsupported transform or attribute).");
				continue;
			}
			/* PFS: a map with set pfs insists on its group */
			if (e->pfs_group != 0 && o.xf.group != e->pfs_group) {
				IKE_TRACE(sa, "atts are not acceptable: PFS "
				    "group %d required, offered %d",
				    e->pfs_group, o.xf.group);
				continue;
			}
			if ((t = p2_match_tset(sa, x, &o.xf, want,
			    nwant)) == -1)
				continue;
			IKE_TRACE(sa, "atts are acceptable.");
			p2_set_chosen(xf, &o.xf, &want[t]);
			*spi = be32_get(pr->spi);
			return 0;
		}
	}
	return -1;
}

int
ike_p2_accept_reply(struct ike_qm *qm, const struct ike_sa_pl *spl,
    uint32_t *spi)
{
	struct ike_p2_offer o;
	const struct ike_prop *pr;
	const struct ike_xf *x;
	int		 rc;

	if (spl->nprops != 1 || spl->prop[0].nxf != 1)
		return -1;
	pr = &spl->prop[0];
	if (pr->proto != IKE_PROTO_ESP || pr->spisize != 4)
		return -1;
	x = &spl->xf[pr->xf0];
	rc = ike_p2_decode(spl, x, &o);
	ike_p2_trace(spl, x, &o);
	if (rc == -1 || o.bad)
		return -1;
	for (int i = 0; i < qm->noffers; i++) {
		if (ike_p2_mismatch(&o.xf, &qm->offer[i]) != NULL ||
		    o.xf.group != qm->offer[i].group)
			continue;
		qm->xf = qm->offer[i];
		/* a shorter lifetime in the reply is honoured */
		if (o.xf.life_secs != 0 && o.xf.life_secs < qm->xf.life_secs)
			qm->xf.life_secs = o.xf.life_secs;
		if (o.xf.life_kbytes != 0 &&
		    o.xf.life_kbytes < qm->xf.life_kbytes)
			qm->xf.life_kbytes = o.xf.life_kbytes;
		*spi = be32_get(pr->spi);
		return 0;
	}
	return -1;
}
