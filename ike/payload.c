/*
 * The ISAKMP codec: header, payload chain, SA/proposal/transform,
 * attributes, identification, notification and delete payloads, and the
 * writers.  Pure: bytes in, structs and an error string out.
 */
#include <stdio.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/wire.h"

/* ---- names --------------------------------------------------------------- */

#define NAMEFN(fn, table)						\
const char *								\
fn(unsigned int v)							\
{									\
	static char unknown[4][24];					\
	static int next;						\
	char *s;							\
									\
	switch (v) {							\
	table(NAME_CASE)						\
	}								\
	s = unknown[next++ % 4];					\
	snprintf(s, sizeof(unknown[0]), "<unknown %u>", v);		\
	return s;							\
}
#define NAME_CASE(n, v, str)	case v: return str;

NAMEFN(ike_payload_name, IKE_PAYLOAD_TYPES)
NAMEFN(ike_exchange_name, IKE_EXCHANGES)
NAMEFN(ike_notify_name, IKE_NOTIFY_TYPES)
NAMEFN(ike_proto_name, IKE_PROTOCOLS)
NAMEFN(ike_p1_attr_name, IKE_P1_ATTRS)
NAMEFN(ike_p1_enc_name, IKE_P1_ENCS)
NAMEFN(ike_p1_hash_name, IKE_P1_HASHES)
NAMEFN(ike_p1_auth_name, IKE_P1_AUTHS)
NAMEFN(ike_p2_attr_name, IKE_P2_ATTRS)
NAMEFN(ike_encap_name, IKE_ENCAPS)
NAMEFN(ike_p2_auth_name, IKE_P2_AUTHS)
NAMEFN(ike_esp_id_name, IKE_ESP_IDS)
NAMEFN(ike_id_type_name, IKE_ID_TYPES)

static int
payload_known(uint8_t t)
{
	switch (t) {
#define X(n, v, s)	case v:
	IKE_PAYLOAD_TYPES(X)
#undef X
		return t != IKE_PL_NONE;
	}
	return 0;
}

static int
fail(const char **err, const char *why)
{
	*err = why;
	return -1;
}

/* ---- header -------------------------------------------------------------- */

/*
 * RFC 2408 3.1
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Responder                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Message ID                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                            Length                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_hdr_parse(struct buf *b, struct ike_hdr *h, uint16_t *notify,
    const char **err)
{
	size_t	 total = buf_left(b);

	*notify = 0;
	memset(h, 0, sizeof(*h));
	if (buf_get_bytes(b, h->icookie, IKE_COOKIE_LEN) == -1 ||
	    buf_get_bytes(b, h->rcookie, IKE_COOKIE_LEN) == -1 ||
	    buf_get_u8(b, &h->np) == -1 ||
	    buf_get_u8(b, &h->version) == -1 ||
	    buf_get_u8(b, &h->exchange) == -1 ||
	    buf_get_u8(b, &h->flags) == -1 ||
	    buf_get_be32(b, &h->msgid) == -1 ||
	    buf_get_be32(b, &h->length) == -1)
		return fail(err, "shorter than an ISAKMP header");
	/* RFC 2408 5.1: "MUST ... check the Major and Minor version" */
	if ((h->version >> 4) != 1) {
		/* IKEv2 and others: not ours, no answer */
		return fail(err, "not ISAKMP version 1");
	}
	if ((h->version & 0x0f) != 0) {
		*notify = IKE_N_INVALID_MINOR_VERSION;
		return fail(err, "unsupported minor version");
	}
	/* "the Length field MUST be checked": the datagram is the message */
	if (h->length != total) {
		*notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS;
		return fail(err, "header length differs from the datagram");
	}
	if (h->length > IKE_MAX_MSG)
		return fail(err, "message too long");
	if (h->flags & ~(IKE_FLAG_ENC | IKE_FLAG_COMMIT | IKE_FLAG_AUTHONLY)) {
		*notify = IKE_N_INVALID_FLAGS;
		return fail(err, "undefined flags set");
	}
	if (h->flags & IKE_FLAG_AUTHONLY) {
		*notify = IKE_N_INVALID_FLAGS;
		return fail(err, "authentication-only bit not supported");
	}
	return 0;
}

/* ---- the payload chain --------------------------------------------------- */

/*
 * RFC 2408 3.2 generic payload header
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_pls_parse(struct buf *b, uint8_t first, size_t max_trailing,
    struct ike_pls *out, uint16_t *notify, const char **err)
{
	uint8_t	 type = first, np, reserved;
	uint16_t len;
	size_t	 start = b->off;

	*notify = 0;
	out->n = 0;
	out->skipped = 0;
	while (type != IKE_PL_NONE) {
		const uint8_t	*raw = buf_cur(b);
		struct buf	 body;

		if (buf_get_u8(b, &np) == -1 ||
		    buf_get_u8(b, &reserved) == -1 ||
		    buf_get_be16(b, &len) == -1) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			return fail(err, "truncated payload header");
		}
		if (len < IKE_GEN_LEN) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			return fail(err, "payload length below its header");
		}
		if (buf_get_sub(b, len - IKE_GEN_LEN, &body) == -1) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			return fail(err, "payload longer than the message");
		}
		if (!payload_known(type) || type == IKE_PL_P ||
		    type == IKE_PL_T) {
			/* proposals and transforms only inside an SA */
			if ((reserved & 0x80) || type == IKE_PL_P ||
			    type == IKE_PL_T) {
				*notify = IKE_N_INVALID_PAYLOAD_TYPE;
				return fail(err, "unknown critical payload");
			}
			out->skipped++;
			type = np;
			continue;
		}
		/* RFC 2408 3.2: RESERVED "MUST be set to 0" */
		if (reserved != 0) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			return fail(err, "reserved field not zero");
		}
		if (out->n == IKE_MAX_PAYLOADS) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			return fail(err, "too many payloads");
		}
		out->pl[out->n].type = type;
		out->pl[out->n].raw = raw;
		out->pl[out->n].rawlen = len;
		out->pl[out->n].body = body;
		out->n++;
		type = np;
	}
	out->used = b->off - start;
	if (buf_left(b) > max_trailing) {
		*notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS;
		return fail(err, "bytes after the last payload");
	}
	return 0;
}

const struct ike_pl *
ike_pls_find(const struct ike_pls *p, uint8_t type)
{
	for (int i = 0; i < p->n; i++)
		if (p->pl[i].type == type)
			return &p->pl[i];
	return NULL;
}

int
ike_pls_count(const struct ike_pls *p, uint8_t type)
{
	int	 n = 0;

	for (int i = 0; i < p->n; i++)
		if (p->pl[i].type == type)
			n++;
	return n;
}

/* ---- attributes ---------------------------------------------------------- */

/*
 * RFC 2408 3.3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_attrs_parse(struct buf b, struct ike_attr *a, int max, int *n,
    const char **err)
{
	uint16_t type, v;

	*n = 0;
	while (buf_left(&b) > 0) {
		struct ike_attr *x;

		if (*n == max)
			return fail(err, "too many attributes");
		x = &a[*n];
		memset(x, 0, sizeof(*x));
		if (buf_get_be16(&b, &type) == -1 ||
		    buf_get_be16(&b, &v) == -1)
			return fail(err, "truncated attribute");
		x->type = type & 0x7fff;
		if (type & 0x8000) {
			x->tv = 1;
			x->num = v;
			x->num_ok = 1;
		} else {
			x->len = v;
			x->val = buf_cur(&b);
			if (buf_skip(&b, v) == -1)
				return fail(err, "attribute longer than its "
				    "payload");
			if (v >= 1 && v <= 8) {
				for (int i = 0; i < v; i++)
					x->num = x->num << 8 | x->val[i];
				x->num_ok = 1;
			}
		}
		(*n)++;
	}
	return 0;
}

/* ---- SA, proposal, transform --------------------------------------------- */

/*
 * RFC 2408 3.6 transform payload
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SA Attributes                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int
xf_parse(struct buf *b, int last, struct ike_sa_pl *sa, const char **err)
{
	uint8_t	 np, reserved;
	uint16_t len, reserved2;
	struct buf body;
	struct ike_xf *x;
	int	 n;

	if (buf_get_u8(b, &np) == -1 || buf_get_u8(b, &reserved) == -1 ||
	    buf_get_be16(b, &len) == -1)
		return fail(err, "truncated transform header");
	if (np != (last ? IKE_PL_NONE : IKE_PL_T))
		return fail(err, "transform chain does not match the count");
	if (len < 8 || buf_get_sub(b, len - 4, &body) == -1)
		return fail(err, "bad transform length");
	if (sa->nxf == IKE_MAX_XFORMS)
		return fail(err, "too many transforms");
	x = &sa->xf[sa->nxf];
	if (buf_get_u8(&body, &x->num) == -1 ||
	    buf_get_u8(&body, &x->id) == -1 ||
	    buf_get_be16(&body, &reserved2) == -1)
		return fail(err, "truncated transform");
	if (reserved != 0 || reserved2 != 0)
		return fail(err, "transform reserved field not zero");
	x->attr0 = sa->nattrs;
	if (ike_attrs_parse(body, &sa->attr[sa->nattrs],
	    IKE_MAX_ATTRS - sa->nattrs, &n, err) == -1)
		return -1;
	x->nattrs = n;
	sa->nattrs += n;
	sa->nxf++;
	return 0;
}

/*
 * RFC 2408 3.5 proposal payload
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                        SPI (variable)                         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int
prop_parse(struct buf *b, int *last, struct ike_sa_pl *sa, const char **err)
{
	uint8_t	 np, reserved, ntrans;
	uint16_t len;
	struct buf body;
	struct ike_prop *p;

	if (buf_get_u8(b, &np) == -1 || buf_get_u8(b, &reserved) == -1 ||
	    buf_get_be16(b, &len) == -1)
		return fail(err, "truncated proposal header");
	if (np != IKE_PL_NONE && np != IKE_PL_P)
		return fail(err, "proposal followed by something else");
	*last = np == IKE_PL_NONE;
	if (reserved != 0)
		return fail(err, "proposal reserved field not zero");
	if (len < 8 || buf_get_sub(b, len - 4, &body) == -1)
		return fail(err, "bad proposal length");
	if (sa->nprops == IKE_MAX_PROPS)
		return fail(err, "too many proposals");
	p = &sa->prop[sa->nprops];
	memset(p, 0, sizeof(*p));
	if (buf_get_u8(&body, &p->num) == -1 ||
	    buf_get_u8(&body, &p->proto) == -1 ||
	    buf_get_u8(&body, &p->spisize) == -1 ||
	    buf_get_u8(&body, &ntrans) == -1)
		return fail(err, "truncated proposal");
	if (p->spisize > IKE_MAX_SPI ||
	    buf_get_bytes(&body, p->spi, p->spisize) == -1)
		return fail(err, "bad SPI size");
	if (ntrans == 0)
		return fail(err, "proposal without transforms");
	/* RFC 2408 4.2: proposal numbers are "monotonically increasing" */
	if (sa->nprops > 0 && p->num < sa->prop[sa->nprops - 1].num)
		return fail(err, "proposal numbers decrease");
	p->xf0 = sa->nxf;
	for (int i = 0; i < ntrans; i++)
		if (xf_parse(&body, i == ntrans - 1, sa, err) == -1)
			return -1;
	if (buf_left(&body) != 0)
		return fail(err, "bytes after the last transform");
	p->nxf = ntrans;
	sa->nprops++;
	return 0;
}

/*
 * RFC 2407 4.6.1 SA payload
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation (IPsec DOI)             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                  Situation (SIT_IDENTITY_ONLY)                !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_sa_parse(struct buf b, struct ike_sa_pl *sa, uint16_t *notify,
    const char **err)
{
	int	 last = 0;

	sa->nprops = sa->nxf = sa->nattrs = 0;
	*notify = IKE_N_PAYLOAD_MALFORMED;
	if (buf_get_be32(&b, &sa->doi) == -1 ||
	    buf_get_be32(&b, &sa->situation) == -1)
		return fail(err, "truncated SA payload");
	if (sa->doi != IKE_DOI_IPSEC) {
		*notify = IKE_N_DOI_NOT_SUPPORTED;
		return fail(err, "DOI is not IPsec");
	}
	if (sa->situation != IKE_SIT_IDENTITY_ONLY) {
		*notify = IKE_N_SITUATION_NOT_SUPPORTED;
		return fail(err, "situation is not SIT_IDENTITY_ONLY");
	}
	*notify = IKE_N_BAD_PROPOSAL_SYNTAX;
	while (!last)
		if (prop_parse(&b, &last, sa, err) == -1)
			return -1;
	if (buf_left(&b) != 0)
		return fail(err, "bytes after the last proposal");
	*notify = 0;
	return 0;
}

/* ---- identification ------------------------------------------------------ */

/*
 * RFC 2407 4.6.2
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !   ID Type     !  Protocol ID  !             Port              !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                     Identification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_id_parse(struct buf b, struct ike_id *id, const char **err)
{
	size_t	 want = 0;

	if (buf_get_u8(&b, &id->type) == -1 ||
	    buf_get_u8(&b, &id->proto) == -1 ||
	    buf_get_be16(&b, &id->port) == -1)
		return fail(err, "truncated ID payload");
	id->data = buf_cur(&b);
	id->len = buf_left(&b);
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		want = 4;
		break;
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV4_ADDR_RANGE:
		want = 8;
		break;
	case IKE_ID_IPV6_ADDR:
		want = 16;
		break;
	case IKE_ID_IPV6_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_RANGE:
		want = 32;
		break;
	default:
		if (id->len == 0)
			return fail(err, "empty identification data");
		return 0;
	}
	if (id->len != want)
		return fail(err, "identification data of the wrong length");
	return 0;
}

/* ---- notification -------------------------------------------------------- */

/*
 * RFC 2408 3.14
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_notify_parse(struct buf b, struct ike_notify *n, const char **err)
{
	if (buf_get_be32(&b, &n->doi) == -1 ||
	    buf_get_u8(&b, &n->proto) == -1 ||
	    buf_get_u8(&b, &n->spisize) == -1 ||
	    buf_get_be16(&b, &n->type) == -1)
		return fail(err, "truncated notification");
	/* DOI 0 is seen from some implementations for ISAKMP notifies */
	if (n->doi != IKE_DOI_IPSEC && n->doi != 0)
		return fail(err, "notification DOI is not IPsec");
	n->spi = buf_cur(&b);
	if (n->spisize > IKE_MAX_SPI || buf_skip(&b, n->spisize) == -1)
		return fail(err, "bad notification SPI size");
	n->data = buf_cur(&b);
	n->datalen = buf_left(&b);
	return 0;
}

/* ---- delete -------------------------------------------------------------- */

/*
 * RFC 2408 3.15
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Protocol-Id  !   SPI Size    !           # of SPIs           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike_delete_parse(struct buf b, struct ike_delete *d, const char **err)
{
	if (buf_get_be32(&b, &d->doi) == -1 ||
	    buf_get_u8(&b, &d->proto) == -1 ||
	    buf_get_u8(&b, &d->spisize) == -1 ||
	    buf_get_be16(&b, &d->nspis) == -1)
		return fail(err, "truncated delete payload");
	if (d->doi != IKE_DOI_IPSEC)
		return fail(err, "delete DOI is not IPsec");
	if (d->spisize == 0 || d->spisize > IKE_MAX_SPI || d->nspis == 0)
		return fail(err, "delete without SPIs");
	if (buf_left(&b) != (size_t)d->spisize * d->nspis)
		return fail(err, "delete SPIs do not fill the payload");
	d->spis = buf_cur(&b);
	return 0;
}

/* ---- writers ------------------------------------------------------------- */

void
ike_wr_init(struct ike_wr *wr, const uint8_t *icookie, const uint8_t *rcookie,
    uint8_t exchange, uint8_t flags, uint32_t msgid)
{
	wbuf_init_dyn(&wr->w, 512);
	wbuf_put_bytes(&wr->w, icookie, IKE_COOKIE_LEN);
	wbuf_put_bytes(&wr->w, rcookie, IKE_COOKIE_LEN);
	wr->np_off = wr->w.len;
	wbuf_put_u8(&wr->w, IKE_PL_NONE);
	wbuf_put_u8(&wr->w, IKE_VERSION);
	wbuf_put_u8(&wr->w, exchange);
	wbuf_put_u8(&wr->w, flags);
	wbuf_put_be32(&wr->w, msgid);
	wbuf_put_be32(&wr->w, 0);	/* set by ike_wr_finish */
}

size_t
ike_wr_begin(struct ike_wr *wr, uint8_t type)
{
	size_t	 start = wr->w.len;

	if (!wbuf_error(&wr->w) && wr->np_off < wr->w.len)
		wr->w.p[wr->np_off] = type;
	wr->np_off = start;
	wbuf_put_u8(&wr->w, IKE_PL_NONE);
	wbuf_put_u8(&wr->w, 0);
	wbuf_put_be16(&wr->w, 0);
	return start;
}

void
ike_wr_end(struct ike_wr *wr, size_t start)
{
	size_t	 len = wr->w.len - start;

	if (len > 0xffff)
		wr->w.err = 1;
	wbuf_set_be16(&wr->w, start + 2, (uint16_t)len);
}

void
ike_wr_finish(struct ike_wr *wr)
{
	wbuf_set_be32(&wr->w, 24, (uint32_t)wr->w.len);
}

void
ike_wr_cleanup(struct ike_wr *wr)
{
	wbuf_cleanup(&wr->w);
}

void
ike_wr_attr(struct wbuf *w, uint16_t type, uint32_t v)
{
	if (v <= 0xffff) {
		wbuf_put_be16(w, 0x8000 | type);
		wbuf_put_be16(w, (uint16_t)v);
	} else {
		wbuf_put_be16(w, type);
		wbuf_put_be16(w, 4);
		wbuf_put_be32(w, v);
	}
}

void
ike_wr_attr_tlv(struct wbuf *w, uint16_t type, const void *v, uint16_t len)
{
	wbuf_put_be16(w, type & 0x7fff);
	wbuf_put_be16(w, len);
	wbuf_put_bytes(w, v, len);
}

void
ike_wr_bytes(struct ike_wr *wr, uint8_t type, const void *p, size_t len)
{
	size_t	 s = ike_wr_begin(wr, type);

	wbuf_put_bytes(&wr->w, p, len);
	ike_wr_end(wr, s);
}

void
ike_wr_notify(struct ike_wr *wr, uint8_t proto, uint16_t type,
    const void *spi, uint8_t spisize, const void *data, size_t datalen)
{
	size_t	 s = ike_wr_begin(wr, IKE_PL_N);

	wbuf_put_be32(&wr->w, IKE_DOI_IPSEC);
	wbuf_put_u8(&wr->w, proto);
	wbuf_put_u8(&wr->w, spisize);
	wbuf_put_be16(&wr->w, type);
	wbuf_put_bytes(&wr->w, spi, spisize);
	wbuf_put_bytes(&wr->w, data, datalen);
	ike_wr_end(wr, s);
}

void
ike_wr_delete(struct ike_wr *wr, uint8_t proto, uint8_t spisize,
    const void *spis, uint16_t nspis)
{
	size_t	 s = ike_wr_begin(wr, IKE_PL_D);

	wbuf_put_be32(&wr->w, IKE_DOI_IPSEC);
	wbuf_put_u8(&wr->w, proto);
	wbuf_put_u8(&wr->w, spisize);
	wbuf_put_be16(&wr->w, nspis);
	wbuf_put_bytes(&wr->w, spis, (size_t)spisize * nspis);
	ike_wr_end(wr, s);
}

void
ike_wr_id(struct ike_wr *wr, uint8_t type, const struct ike_id *id)
{
	size_t	 s = ike_wr_begin(wr, type);

	wbuf_put_u8(&wr->w, id->type);
	wbuf_put_u8(&wr->w, id->proto);
	wbuf_put_be16(&wr->w, id->port);
	wbuf_put_bytes(&wr->w, id->data, id->len);
	ike_wr_end(wr, s);
}
