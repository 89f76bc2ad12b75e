/*
 * The IKEv2 codec (RFC 7296 section 3, RFC 7383 for SKF): header,
 * payload chain, SA/proposal/transform, KE, ID, AUTH, nonce, notify,
 * delete, CERT/CERTREQ, traffic selectors, configuration, and the
 * writers.  Pure: bytes in, structs and an error string out.
 *
 * Why strict where it is strict: every length is checked against its
 * container before anything is read, a fixed part must be complete, and
 * a container must be filled exactly by its parts, so that a message has
 * one reading.  Why lenient where it is lenient: what RFC 7296 says
 * "MUST be ignored on receipt" is ignored, and what only makes an offer
 * unusable (3.3.6) does not make the message invalid.
 */
#include <stdio.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/v2/wire.h"

/* ---- names --------------------------------------------------------------- */

struct name {
	unsigned int	 v;
	const char	*s;
};

static const char *
name_of(const struct name *t, size_t n, unsigned int v)
{
	static char	 unknown[4][24];
	static int	 next;
	char		*s;

	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	s = unknown[next++ % 4];
	snprintf(s, sizeof(unknown[0]), "<unknown %u>", v);
	return s;
}

#define NAME_ROW(n, v, str)	{ v, str },
#define NAMEFN(fn, table)						\
const char *								\
fn(unsigned int v)							\
{									\
	static const struct name t[] = { table(NAME_ROW) };		\
									\
	return name_of(t, nitems(t), v);				\
}

NAMEFN(ike2_payload_name, IKE2_PAYLOAD_TYPES)
NAMEFN(ike2_exchange_name, IKE2_EXCHANGES)
NAMEFN(ike2_proto_name, IKE2_PROTOCOLS)
NAMEFN(ike2_xf_type_name, IKE2_XF_TYPES)
NAMEFN(ike2_id_type_name, IKE2_ID_TYPES)
NAMEFN(ike2_auth_method_name, IKE2_AUTH_METHODS)
NAMEFN(ike2_cert_encoding_name, IKE2_CERT_ENCODINGS)
NAMEFN(ike2_ts_type_name, IKE2_TS_TYPES)
NAMEFN(ike2_cfg_type_name, IKE2_CFG_TYPES)
NAMEFN(ike2_cfg_attr_name, IKE2_CFG_ATTRS)

/* The notify table: the name and the data length rule of each type. */
static const struct notify_rule {
	struct name	 name;
	uint16_t	 min;
	uint16_t	 max;
	uint16_t	 step;
} notify_rules[] = {
#define X(n, v, lo, hi, step)	{ { v, #n }, lo, hi, step },
	IKE2_NOTIFY_TYPES(X)
#undef X
};

static const struct notify_rule *
notify_rule(unsigned int type)
{
	for (size_t i = 0; i < nitems(notify_rules); i++)
		if (notify_rules[i].name.v == type)
			return &notify_rules[i];
	return NULL;
}

const char *
ike2_notify_name(unsigned int v)
{
	const struct notify_rule *r = notify_rule(v);

	return r != NULL ? r->name.s : name_of(NULL, 0, v);
}

#define KNOWNFN(fn, table)						\
static int								\
fn(unsigned int v)							\
{									\
	switch (v) {							\
	table(KNOWN_CASE)						\
		return 1;						\
	}								\
	return 0;							\
}
#define KNOWN_CASE(n, v, str)	case v:

KNOWNFN(payload_known, IKE2_PAYLOAD_TYPES)
KNOWNFN(exchange_known, IKE2_EXCHANGES)
KNOWNFN(xf_type_known, IKE2_XF_TYPES)
KNOWNFN(id_type_known, IKE2_ID_TYPES)
KNOWNFN(auth_method_known, IKE2_AUTH_METHODS)

static int
fail(const char **err, const char *why)
{
	*err = why;
	return -1;
}

/* Three RESERVED octets after a one-octet field: "MUST be ignored". */
static int
get_u8_reserved3(struct buf *b, uint8_t *v)
{
	return buf_get_u8(b, v) == -1 || buf_skip(b, 3) == -1 ? -1 : 0;
}

/* ---- header -------------------------------------------------------------- */

/*
 * RFC 7296 3.1
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: X X R V I X X X; the X bits "MUST be ignored on receipt", and so
 * MUST the minor version.
 */
int
ike2_hdr_parse(struct buf *b, struct ike2_hdr *h, uint16_t *notify,
    const char **err)
{
	size_t	 total = buf_left(b);

	*notify = 0;
	memset(h, 0, sizeof(*h));
	if (buf_get_bytes(b, h->spii, IKE2_SPI_LEN) == -1 ||
	    buf_get_bytes(b, h->spir, IKE2_SPI_LEN) == -1 ||
	    buf_get_u8(b, &h->np) == -1 ||
	    buf_get_u8(b, &h->version) == -1 ||
	    buf_get_u8(b, &h->exchange) == -1 ||
	    buf_get_u8(b, &h->flags) == -1 ||
	    buf_get_be32(b, &h->msgid) == -1 ||
	    buf_get_be32(b, &h->length) == -1)
		return fail(err, "shorter than an IKEv2 header");
	/* 3.1: a version other than 2 "with an INVALID_MAJOR_VERSION" */
	if (IKE2_MAJOR(h->version) != 2) {
		*notify = IKE2_N_INVALID_MAJOR_VERSION;
		return fail(err, "major version not 2");
	}
	if (h->length != total)
		return fail(err, "header length differs from the datagram");
	if (!exchange_known(h->exchange))
		return fail(err, "unknown exchange type");
	return 0;
}

/* ---- the payload chain --------------------------------------------------- */

/*
 * RFC 7383 2.5, the body of an SKF payload (that of SK, 3.14, is the same
 * from the IV on):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * ~                      Encrypted content                        ~
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int
enc_parse(const struct buf *msg, uint8_t type, uint8_t np, struct buf body,
    struct ike2_pls *out, const char **err)
{
	out->enc = out->n;
	out->enc_np = np;
	if (type == IKE2_PL_SKF) {
		if (buf_get_be16(&body, &out->frag_num) == -1 ||
		    buf_get_be16(&body, &out->frag_total) == -1)
			return fail(err, "truncated encrypted fragment");
		/* "MUST be less than or equal to ... Total Fragments", "MUST
		 * NOT be zero" */
		if (out->frag_num == 0 || out->frag_num > out->frag_total)
			return fail(err, "bad fragment number");
		/* "with Fragment Number greater than 1 ... MUST be set to
		 * zero" */
		if (out->frag_num > 1 && np != IKE2_PL_NONE)
			return fail(err, "next payload in a later fragment");
	}
	out->enc_off = (size_t)(buf_cur(&body) - msg->p);
	out->enc_len = buf_left(&body);
	return 0;
}

/*
 * RFC 7296 3.2 generic payload header
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * SK and SKF carry the type of the first inner payload as their Next
 * Payload and end the chain.
 */
int
ike2_pls_parse(struct buf *b, uint8_t first, int inner, struct ike2_pls *out,
    uint16_t *notify, const char **err)
{
	uint8_t	 type = first, np, flags;
	uint16_t len;

	/* everything but the payloads themselves */
	memset(&out->n, 0, sizeof(*out) - offsetof(struct ike2_pls, n));
	out->enc = -1;
	*notify = IKE2_N_INVALID_SYNTAX;
	while (type != IKE2_PL_NONE) {
		const uint8_t	*raw = buf_cur(b);
		struct ike2_pl	*pl;
		struct buf	 body;

		if (buf_get_u8(b, &np) == -1 || buf_get_u8(b, &flags) == -1 ||
		    buf_get_be16(b, &len) == -1)
			return fail(err, "truncated payload header");
		if (len < IKE2_GEN_LEN)
			return fail(err, "payload length below its header");
		if (buf_get_sub(b, len - IKE2_GEN_LEN, &body) == -1)
			return fail(err, "payload longer than the message");
		if (!payload_known(type)) {
			/* 3.2: "the message MUST be rejected and the
			 * response ... UNSUPPORTED_CRITICAL_PAYLOAD" */
			if (flags & IKE2_CRITICAL) {
				*notify = IKE2_N_UNSUPPORTED_CRITICAL_PAYLOAD;
				out->critical = type;
				return fail(err, "unsupported critical "
				    "payload");
			}
			out->skipped++;
			type = np;
			continue;
		}
		if (out->n == IKE2_MAX_PAYLOADS)
			return fail(err, "too many payloads");
		pl = &out->pl[out->n];
		pl->type = type;
		pl->raw = raw;
		pl->rawlen = len;
		pl->body = body;
		if (type == IKE2_PL_SK || type == IKE2_PL_SKF) {
			if (inner)
				return fail(err, "encrypted payload inside an "
				    "encrypted payload");
			/* 3.14: "MUST be the last payload in the message" */
			if (buf_left(b) != 0)
				return fail(err, "encrypted payload not the "
				    "last");
			if (enc_parse(b, type, np, body, out, err) == -1)
				return -1;
			out->n++;
			*notify = 0;
			return 0;
		}
		out->n++;
		type = np;
	}
	if (buf_left(b) != 0)
		return fail(err, "bytes after the last payload");
	*notify = 0;
	return 0;
}

const struct ike2_pl *
ike2_pls_find(const struct ike2_pls *p, uint8_t type)
{
	for (int i = 0; i < p->n; i++)
		if (p->pl[i].type == type)
			return &p->pl[i];
	return NULL;
}

int
ike2_pls_count(const struct ike2_pls *p, uint8_t type)
{
	int	 n = 0;

	for (int i = 0; i < p->n; i++)
		if (p->pl[i].type == type)
			n++;
	return n;
}

/* ---- SA, proposal, transform --------------------------------------------- */

/*
 * RFC 7296 3.3.5 transform attributes
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Key Length is the only attribute, "fixed length" and so never in the
 * variable-length form; anything else makes the transform unusable.
 */
static int
xf_attrs_parse(struct buf b, struct ike2_sa_xf *x, const char **err)
{
	uint16_t type, v;

	while (buf_left(&b) > 0) {
		if (buf_get_be16(&b, &type) == -1 ||
		    buf_get_be16(&b, &v) == -1)
			return fail(err, "truncated transform attribute");
		if (!(type & 0x8000)) {
			if (buf_skip(&b, v) == -1)
				return fail(err, "attribute longer than its "
				    "transform");
			x->usable = 0;
		} else if ((type & 0x7fff) != IKE2_ATTR_KEY_LENGTH ||
		    x->keybits != 0 || v == 0)
			x->usable = 0;
		else
			x->keybits = v;
	}
	return 0;
}

/*
 * RFC 7296 3.3.2 transform substructure
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Last Substruc: 0 for the last transform of its proposal, else 3.
 */
static int
xf_parse(struct buf *b, int last, struct ike2_sa_pl *sa,
    struct ike2_sa_prop *p, const char **err)
{
	uint8_t	 more, reserved;
	uint16_t len;
	struct buf body;
	struct ike2_sa_xf *x;

	if (buf_get_u8(b, &more) == -1 || buf_get_u8(b, &reserved) == -1 ||
	    buf_get_be16(b, &len) == -1)
		return fail(err, "truncated transform header");
	if (more != (last ? 0 : 3))
		return fail(err, "transform chain does not match the count");
	if (len < 8 || buf_get_sub(b, len - 4, &body) == -1)
		return fail(err, "bad transform length");
	if (sa->nxf == IKE2_MAX_XFORMS)
		return fail(err, "too many transforms");
	x = &sa->xf[sa->nxf];
	memset(x, 0, sizeof(*x));
	if (buf_get_u8(&body, &x->type) == -1 ||
	    buf_get_u8(&body, &reserved) == -1 ||
	    buf_get_be16(&body, &x->id) == -1)
		return fail(err, "truncated transform");
	x->usable = 1;
	x->attrs = buf_cur(&body);
	x->attrslen = buf_left(&body);
	if (xf_attrs_parse(body, x, err) == -1)
		return -1;
	/* 3.3.6: a type "it does not understand": the proposal is
	 * unacceptable */
	if (!xf_type_known(x->type))
		p->usable = 0;
	sa->nxf++;
	return 0;
}

/* 3.3.1: the SPI size each protocol has; an unknown protocol's is bounded. */
static int
spisize_ok(uint8_t proto, uint8_t size)
{
	switch (proto) {
	case IKE2_PROTO_IKE:
		return size == 0 || size == IKE2_SPI_LEN;
	case IKE2_PROTO_AH:
	case IKE2_PROTO_ESP:
		return size == IKE2_CHILD_SPI_LEN;
	}
	return size <= IKE2_SPI_LEN;
}

/*
 * RFC 7296 3.3.1 proposal substructure
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Last Substruc: 0 for the last proposal, else 2.
 */
static int
prop_parse(struct buf *b, int *last, struct ike2_sa_pl *sa, const char **err)
{
	uint8_t	 more, reserved, ntrans;
	uint16_t len;
	struct buf body;
	struct ike2_sa_prop *p;

	if (buf_get_u8(b, &more) == -1 || buf_get_u8(b, &reserved) == -1 ||
	    buf_get_be16(b, &len) == -1)
		return fail(err, "truncated proposal header");
	if (more != 0 && more != 2)
		return fail(err, "proposal followed by something else");
	*last = more == 0;
	if (len < 8 || buf_get_sub(b, len - 4, &body) == -1)
		return fail(err, "bad proposal length");
	if (sa->nprops == IKE2_MAX_PROPS)
		return fail(err, "too many proposals");
	p = &sa->prop[sa->nprops];
	memset(p, 0, sizeof(*p));
	if (buf_get_u8(&body, &p->num) == -1 ||
	    buf_get_u8(&body, &p->proto) == -1 ||
	    buf_get_u8(&body, &p->spisize) == -1 ||
	    buf_get_u8(&body, &ntrans) == -1)
		return fail(err, "truncated proposal");
	if (!spisize_ok(p->proto, p->spisize))
		return fail(err, "SPI size wrong for the protocol");
	if (buf_get_bytes(&body, p->spi, p->spisize) == -1)
		return fail(err, "SPI longer than its proposal");
	if (ntrans == 0)
		return fail(err, "proposal without transforms");
	/* 3.3: "a proposal number one (1) greater than the previous" */
	if (sa->nprops > 0 && p->num != sa->prop[sa->nprops - 1].num + 1)
		return fail(err, "proposal numbers not consecutive");
	p->usable = p->proto == IKE2_PROTO_IKE || p->proto == IKE2_PROTO_AH ||
	    p->proto == IKE2_PROTO_ESP;
	p->xf0 = sa->nxf;
	for (int i = 0; i < ntrans; i++)
		if (xf_parse(&body, i == ntrans - 1, sa, p, err) == -1)
			return -1;
	if (buf_left(&body) != 0)
		return fail(err, "bytes after the last transform");
	p->nxf = ntrans;
	sa->nprops++;
	return 0;
}

/* RFC 7296 3.3: the SA payload is its proposals, nothing else. */
int
ike2_sa_parse(struct buf b, struct ike2_sa_pl *sa, const char **err)
{
	int	 last = 0;

	sa->nprops = sa->nxf = 0;
	while (!last)
		if (prop_parse(&b, &last, sa, err) == -1)
			return -1;
	if (buf_left(&b) != 0)
		return fail(err, "bytes after the last proposal");
	return 0;
}

/* ---- KE, ID, AUTH, nonce ------------------------------------------------- */

/*
 * RFC 7296 3.4 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The data's length for the group is the exchange's check (INVALID_SYNTAX
 * or INVALID_KE_PAYLOAD there).
 */
int
ike2_ke_parse(struct buf b, struct ike2_ke *ke, const char **err)
{
	if (buf_get_be16(&b, &ke->group) == -1 || buf_skip(&b, 2) == -1)
		return fail(err, "truncated KE payload");
	ke->data = buf_cur(&b);
	ke->len = buf_left(&b);
	if (ke->len == 0)
		return fail(err, "KE payload without data");
	return 0;
}

/*
 * RFC 7296 3.5 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_id_parse(struct buf b, struct ike2_id *id, const char **err)
{
	if (get_u8_reserved3(&b, &id->type) == -1)
		return fail(err, "truncated ID payload");
	id->data = buf_cur(&b);
	id->len = buf_left(&b);
	switch (id->type) {
	case IKE2_ID_IPV4_ADDR:
		if (id->len != 4)
			return fail(err, "ID_IPV4_ADDR not 4 octets");
		return 0;
	case IKE2_ID_IPV6_ADDR:
		if (id->len != 16)
			return fail(err, "ID_IPV6_ADDR not 16 octets");
		return 0;
	}
	if (id_type_known(id->type) && id->len == 0)
		return fail(err, "empty identification data");
	return 0;
}

/*
 * RFC 7296 3.8 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 7427 3: a Digital Signature's data opens with the length of the
 * AlgorithmIdentifier (one octet), that object, then the signature.
 */
int
ike2_auth_parse(struct buf b, struct ike2_auth *a, const char **err)
{
	if (get_u8_reserved3(&b, &a->method) == -1)
		return fail(err, "truncated AUTH payload");
	a->data = buf_cur(&b);
	a->len = buf_left(&b);
	if (auth_method_known(a->method) && a->len == 0)
		return fail(err, "empty authentication data");
	if (a->method == IKE2_AUTH_DIGITAL_SIG && (a->len < 2 ||
	    a->data[0] == 0 || (size_t)a->data[0] + 1 >= a->len))
		return fail(err, "bad signature algorithm identifier");
	return 0;
}

/* RFC 7296 3.9: "between 16 and 256 octets, inclusive" */
int
ike2_nonce_parse(struct buf b, const uint8_t **nonce, size_t *len,
    const char **err)
{
	*nonce = buf_cur(&b);
	*len = buf_left(&b);
	if (*len < IKE2_NONCE_MIN || *len > IKE2_NONCE_MAX)
		return fail(err, "nonce not 16 to 256 octets");
	return 0;
}

/* ---- notify and delete --------------------------------------------------- */

/*
 * RFC 7296 3.10 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_notify_parse(struct buf b, struct ike2_notify *n, const char **err)
{
	const struct notify_rule *r;

	if (buf_get_u8(&b, &n->proto) == -1 ||
	    buf_get_u8(&b, &n->spisize) == -1 ||
	    buf_get_be16(&b, &n->type) == -1)
		return fail(err, "truncated notify payload");
	/* 3.10: zero, or the SPI size of the protocol: 4 for AH and ESP
	 * (8, an IKE SA's, is seen too) */
	if (n->spisize != 0 && n->spisize != IKE2_CHILD_SPI_LEN &&
	    n->spisize != IKE2_SPI_LEN)
		return fail(err, "bad notify SPI size");
	n->spi = buf_cur(&b);
	if (buf_skip(&b, n->spisize) == -1)
		return fail(err, "notify SPI longer than its payload");
	n->data = buf_cur(&b);
	n->datalen = buf_left(&b);
	r = notify_rule(n->type);
	if (r != NULL && (n->datalen < r->min || n->datalen > r->max ||
	    n->datalen % r->step != 0))
		return fail(err, "notification data of the wrong length for "
		    "its type");
	return 0;
}

/*
 * RFC 6311 5.1, IKEV2_MESSAGE_ID_SYNC's Notification Data
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Nonce Data                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 EXPECTED_SEND_REQ_MESSAGE_ID                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 EXPECTED_RECV_REQ_MESSAGE_ID                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_msgid_sync_get(const struct ike2_notify *n, struct ike2_msgid_sync *s)
{
	if (n->type != IKE2_N_IKEV2_MESSAGE_ID_SYNC ||
	    n->datalen != IKE2_MSGID_SYNC_LEN)
		return -1;
	memcpy(s->nonce, n->data, sizeof(s->nonce));
	s->send = be32_get(n->data + 4);
	s->recv = be32_get(n->data + 8);
	return 0;
}

void
ike2_msgid_sync_put(const struct ike2_msgid_sync *s, uint8_t *out)
{
	memcpy(out, s->nonce, sizeof(s->nonce));
	be32_put(out + 4, s->send);
	be32_put(out + 8, s->recv);
}

/*
 * RFC 7296 3.11 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_delete_parse(struct buf b, struct ike2_delete *d, const char **err)
{
	if (buf_get_u8(&b, &d->proto) == -1 ||
	    buf_get_u8(&b, &d->spisize) == -1 ||
	    buf_get_be16(&b, &d->nspis) == -1)
		return fail(err, "truncated delete payload");
	d->spis = buf_cur(&b);
	switch (d->proto) {
	case IKE2_PROTO_IKE:
		/* "zero for IKE (SPI is in message header)", and so the
		 * count */
		if (d->spisize != 0 || d->nspis != 0 || buf_left(&b) != 0)
			return fail(err, "IKE SA delete with SPIs");
		return 0;
	case IKE2_PROTO_AH:
	case IKE2_PROTO_ESP:
		if (d->spisize != IKE2_CHILD_SPI_LEN)
			return fail(err, "delete SPI size not 4");
		if (buf_left(&b) != (size_t)d->spisize * d->nspis)
			return fail(err, "delete SPIs do not fill the payload");
		return 0;
	}
	return fail(err, "delete of an unknown protocol");
}

/* ---- CERT and CERTREQ ---------------------------------------------------- */

/*
 * RFC 7296 3.6 and 3.7 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~       Certificate Data (CERTREQ: Certification Authority)     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int
cert_body(struct buf *b, struct ike2_cert *c)
{
	if (buf_get_u8(b, &c->encoding) == -1)
		return -1;
	c->data = buf_cur(b);
	c->len = buf_left(b);
	return 0;
}

int
ike2_cert_parse(struct buf b, struct ike2_cert *c, const char **err)
{
	if (cert_body(&b, c) == -1)
		return fail(err, "truncated CERT payload");
	if (c->len == 0)
		return fail(err, "CERT payload without data");
	/* 3.6: a hash and URL is a 20-octet SHA-1 hash and the URL */
	if ((c->encoding == IKE2_CERT_HASH_URL_X509 ||
	    c->encoding == IKE2_CERT_HASH_URL_BUNDLE) && c->len <= 20)
		return fail(err, "hash and URL too short");
	return 0;
}

int
ike2_certreq_parse(struct buf b, struct ike2_cert *c, const char **err)
{
	if (cert_body(&b, c) == -1)
		return fail(err, "truncated CERTREQ payload");
	/* 3.7: "a concatenated list of SHA-1 hashes" */
	if (c->encoding == IKE2_CERT_X509_SIG && c->len % 20 != 0)
		return fail(err, "CERTREQ not a list of SHA-1 hashes");
	return 0;
}

/* ---- traffic selectors --------------------------------------------------- */

/*
 * RFC 7296 3.13.1 traffic selector
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * (*) the fields of TS_IPV4_ADDR_RANGE (4-octet addresses, 16 octets in
 * all) and TS_IPV6_ADDR_RANGE (16-octet addresses, 40 octets).
 */
static int
ts_one_parse(struct buf *b, struct ike2_ts *t, const char **err)
{
	uint16_t len;
	struct buf body;

	memset(t, 0, sizeof(*t));
	if (buf_get_u8(b, &t->type) == -1 || buf_get_u8(b, &t->proto) == -1 ||
	    buf_get_be16(b, &len) == -1)
		return fail(err, "truncated traffic selector");
	if (len < 4 || buf_get_sub(b, len - 4, &body) == -1)
		return fail(err, "bad traffic selector length");
	switch (t->type) {
	case IKE2_TS_IPV4_ADDR_RANGE:
		t->addrlen = 4;
		break;
	case IKE2_TS_IPV6_ADDR_RANGE:
		t->addrlen = 16;
		break;
	default:
		t->raw = buf_cur(&body);
		t->rawlen = buf_left(&body);
		return 0;
	}
	t->known = 1;
	if (buf_left(&body) != 4 + 2 * t->addrlen)
		return fail(err, "address range of the wrong length");
	(void)buf_get_be16(&body, &t->sport);
	(void)buf_get_be16(&body, &t->eport);
	(void)buf_get_bytes(&body, t->start, t->addrlen);
	(void)buf_get_bytes(&body, t->end, t->addrlen);
	/* 3.13.1: OPAQUE ports are "start port to 65535 and the end port
	 * to 0"; any other start above its end selects nothing */
	if (t->sport > t->eport && !(t->sport == IKE2_OPAQUE_SPORT &&
	    t->eport == IKE2_OPAQUE_EPORT))
		return fail(err, "start port above the end port");
	if (memcmp(t->start, t->end, t->addrlen) > 0)
		return fail(err, "start address above the end address");
	return 0;
}

/*
 * RFC 7296 3.13 (after the generic header)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_ts_parse(struct buf b, struct ike2_ts_pl *ts, const char **err)
{
	uint8_t	 count;

	ts->n = 0;
	if (get_u8_reserved3(&b, &count) == -1)
		return fail(err, "truncated TS payload");
	if (count == 0)
		return fail(err, "TS payload without selectors");
	if (count > IKE2_MAX_TS)
		return fail(err, "too many traffic selectors");
	for (; ts->n < count; ts->n++)
		if (ts_one_parse(&b, &ts->ts[ts->n], err) == -1)
			return -1;
	if (buf_left(&b) != 0)
		return fail(err, "bytes after the last traffic selector");
	return 0;
}

/* ---- configuration ------------------------------------------------------- */

/*
 * RFC 7296 3.15 (after the generic header), and 3.15.1 an attribute
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
int
ike2_cp_parse(struct buf b, struct ike2_cp *cp, const char **err)
{
	cp->n = 0;
	if (get_u8_reserved3(&b, &cp->type) == -1)
		return fail(err, "truncated CP payload");
	while (buf_left(&b) > 0) {
		struct ike2_cfg_attr *a;

		if (cp->n == IKE2_MAX_CFG_ATTRS)
			return fail(err, "too many configuration attributes");
		a = &cp->attr[cp->n];
		if (buf_get_be16(&b, &a->type) == -1 ||
		    buf_get_be16(&b, &a->len) == -1)
			return fail(err, "truncated configuration attribute");
		a->type &= 0x7fff;	/* R: "MUST be ignored on receipt" */
		a->val = buf_cur(&b);
		if (buf_skip(&b, a->len) == -1)
			return fail(err, "configuration attribute longer than "
			    "its payload");
		cp->n++;
	}
	return 0;
}

/* ---- writers ------------------------------------------------------------- */

/* The 16-bit length at start + 2: everything written from start on. */
static void
set_len(struct wbuf *w, size_t start)
{
	size_t	 len = w->len - start;

	if (len > 0xffff)
		w->err = 1;
	wbuf_set_be16(w, start + 2, (uint16_t)len);
}

/* A substructure's header (proposal, transform): its length set later. */
static size_t
sub_begin(struct wbuf *w, uint8_t more)
{
	size_t	 s = w->len;

	wbuf_put_u8(w, more);
	wbuf_put_u8(w, 0);
	wbuf_put_be16(w, 0);
	return s;
}

void
ike2_wr_init(struct ike2_wr *wr, const struct ike2_hdr *h)
{
	memset(wr, 0, sizeof(*wr));
	wbuf_init_dyn(&wr->w, 512);
	wbuf_put_bytes(&wr->w, h->spii, IKE2_SPI_LEN);
	wbuf_put_bytes(&wr->w, h->spir, IKE2_SPI_LEN);
	wr->np_off = wr->w.len;
	wbuf_put_u8(&wr->w, IKE2_PL_NONE);
	wbuf_put_u8(&wr->w, IKE2_VERSION);
	wbuf_put_u8(&wr->w, h->exchange);
	wbuf_put_u8(&wr->w, h->flags);
	wbuf_put_be32(&wr->w, h->msgid);
	wbuf_put_be32(&wr->w, 0);	/* set by ike2_wr_finish */
}

size_t
ike2_wr_begin(struct ike2_wr *wr, uint8_t type)
{
	size_t	 start = wr->w.len;

	if (!wbuf_error(&wr->w) && wr->np_off < wr->w.len)
		wr->w.p[wr->np_off] = type;
	wr->np_off = start;
	return sub_begin(&wr->w, IKE2_PL_NONE);
}

void
ike2_wr_end(struct ike2_wr *wr, size_t start)
{
	set_len(&wr->w, start);
}

void
ike2_wr_finish(struct ike2_wr *wr)
{
	wbuf_set_be32(&wr->w, 24, (uint32_t)wr->w.len);
}

void
ike2_wr_cleanup(struct ike2_wr *wr)
{
	wbuf_cleanup(&wr->w);
}

void
ike2_wr_bytes(struct ike2_wr *wr, uint8_t type, const void *p, size_t len)
{
	size_t	 s = ike2_wr_begin(wr, type);

	wbuf_put_bytes(&wr->w, p, len);
	ike2_wr_end(wr, s);
}

/* The diagrams are above prop_parse(), xf_parse() and xf_attrs_parse(). */
void
ike2_wr_sa(struct ike2_wr *wr, const struct ike2_sa_pl *sa)
{
	struct wbuf	*w = &wr->w;
	size_t		 s = ike2_wr_begin(wr, IKE2_PL_SA);

	for (int i = 0; i < sa->nprops; i++) {
		const struct ike2_sa_prop *p = &sa->prop[i];
		size_t		 ps = sub_begin(w, i == sa->nprops - 1 ? 0 : 2);

		wbuf_put_u8(w, p->num);
		wbuf_put_u8(w, p->proto);
		wbuf_put_u8(w, p->spisize);
		wbuf_put_u8(w, (uint8_t)p->nxf);
		if (p->spisize > sizeof(p->spi) || p->nxf < 1 ||
		    p->nxf > 255 || p->xf0 < 0 || p->xf0 + p->nxf > sa->nxf) {
			w->err = 1;
			break;
		}
		wbuf_put_bytes(w, p->spi, p->spisize);
		for (int j = 0; j < p->nxf; j++) {
			const struct ike2_sa_xf *x = &sa->xf[p->xf0 + j];
			size_t	 xs = sub_begin(w, j == p->nxf - 1 ? 0 : 3);

			wbuf_put_u8(w, x->type);
			wbuf_put_u8(w, 0);
			wbuf_put_be16(w, x->id);
			if (x->attrs != NULL)
				wbuf_put_bytes(w, x->attrs, x->attrslen);
			else if (x->keybits != 0) {
				wbuf_put_be16(w, 0x8000 | IKE2_ATTR_KEY_LENGTH);
				wbuf_put_be16(w, x->keybits);
			}
			set_len(w, xs);
		}
		set_len(w, ps);
	}
	ike2_wr_end(wr, s);
}

void
ike2_wr_ke(struct ike2_wr *wr, const struct ike2_ke *ke)
{
	size_t	 s = ike2_wr_begin(wr, IKE2_PL_KE);

	wbuf_put_be16(&wr->w, ke->group);
	wbuf_put_be16(&wr->w, 0);
	wbuf_put_bytes(&wr->w, ke->data, ke->len);
	ike2_wr_end(wr, s);
}

/* A one-octet field, three RESERVED octets and data: ID, AUTH, CP. */
static size_t
wr_begin_u8_reserved3(struct ike2_wr *wr, uint8_t type, uint8_t v)
{
	size_t	 s = ike2_wr_begin(wr, type);

	wbuf_put_u8(&wr->w, v);
	wbuf_put_zero(&wr->w, 3);
	return s;
}

void
ike2_wr_id(struct ike2_wr *wr, uint8_t type, const struct ike2_id *id)
{
	size_t	 s = wr_begin_u8_reserved3(wr, type, id->type);

	wbuf_put_bytes(&wr->w, id->data, id->len);
	ike2_wr_end(wr, s);
}

void
ike2_wr_auth(struct ike2_wr *wr, const struct ike2_auth *a)
{
	size_t	 s = wr_begin_u8_reserved3(wr, IKE2_PL_AUTH, a->method);

	wbuf_put_bytes(&wr->w, a->data, a->len);
	ike2_wr_end(wr, s);
}

void
ike2_wr_notify(struct ike2_wr *wr, const struct ike2_notify *n)
{
	size_t	 s = ike2_wr_begin(wr, IKE2_PL_N);

	wbuf_put_u8(&wr->w, n->proto);
	wbuf_put_u8(&wr->w, n->spisize);
	wbuf_put_be16(&wr->w, n->type);
	wbuf_put_bytes(&wr->w, n->spi, n->spisize);
	wbuf_put_bytes(&wr->w, n->data, n->datalen);
	ike2_wr_end(wr, s);
}

void
ike2_wr_delete(struct ike2_wr *wr, const struct ike2_delete *d)
{
	size_t	 s = ike2_wr_begin(wr, IKE2_PL_D);

	wbuf_put_u8(&wr->w, d->proto);
	wbuf_put_u8(&wr->w, d->spisize);
	wbuf_put_be16(&wr->w, d->nspis);
	wbuf_put_bytes(&wr->w, d->spis, (size_t)d->spisize * d->nspis);
	ike2_wr_end(wr, s);
}

void
ike2_wr_cert(struct ike2_wr *wr, uint8_t type, const struct ike2_cert *c)
{
	size_t	 s = ike2_wr_begin(wr, type);

	wbuf_put_u8(&wr->w, c->encoding);
	wbuf_put_bytes(&wr->w, c->data, c->len);
	ike2_wr_end(wr, s);
}

void
ike2_wr_ts(struct ike2_wr *wr, uint8_t type, const struct ike2_ts_pl *ts)
{
	size_t	 s = wr_begin_u8_reserved3(wr, type, (uint8_t)ts->n);

	if (ts->n < 1 || ts->n > IKE2_MAX_TS)
		wr->w.err = 1;
	for (int i = 0; i < ts->n && i < IKE2_MAX_TS; i++) {
		const struct ike2_ts *t = &ts->ts[i];
		size_t	 sel = wr->w.len;

		wbuf_put_u8(&wr->w, t->type);
		wbuf_put_u8(&wr->w, t->proto);
		wbuf_put_be16(&wr->w, 0);
		if (t->known) {
			if (t->addrlen > sizeof(t->start))
				wr->w.err = 1;
			wbuf_put_be16(&wr->w, t->sport);
			wbuf_put_be16(&wr->w, t->eport);
			wbuf_put_bytes(&wr->w, t->start, t->addrlen);
			wbuf_put_bytes(&wr->w, t->end, t->addrlen);
		} else
			wbuf_put_bytes(&wr->w, t->raw, t->rawlen);
		set_len(&wr->w, sel);
	}
	ike2_wr_end(wr, s);
}

void
ike2_wr_cp(struct ike2_wr *wr, const struct ike2_cp *cp)
{
	size_t	 s = wr_begin_u8_reserved3(wr, IKE2_PL_CP, cp->type);

	for (int i = 0; i < cp->n && i < IKE2_MAX_CFG_ATTRS; i++) {
		wbuf_put_be16(&wr->w, cp->attr[i].type & 0x7fff);
		wbuf_put_be16(&wr->w, cp->attr[i].len);
		wbuf_put_bytes(&wr->w, cp->attr[i].val, cp->attr[i].len);
	}
	ike2_wr_end(wr, s);
}

void
ike2_wr_sk_begin(struct ike2_wr *wr, size_t ivlen)
{
	wr->enc_start = ike2_wr_begin(wr, IKE2_PL_SK);
	/* the inner payloads link into the SK header's Next Payload */
	wr->enc_iv = wr->w.len;
	wbuf_put_zero(&wr->w, ivlen);
	wr->enc_plain = wr->w.len;
}

void
ike2_wr_skf_begin(struct ike2_wr *wr, uint8_t np, uint16_t num,
    uint16_t total, size_t ivlen)
{
	wr->enc_start = ike2_wr_begin(wr, IKE2_PL_SKF);
	if (!wbuf_error(&wr->w))
		wr->w.p[wr->enc_start] = np;
	wr->np_off = SIZE_MAX;		/* the plaintext is the caller's */
	wbuf_put_be16(&wr->w, num);
	wbuf_put_be16(&wr->w, total);
	wr->enc_iv = wr->w.len;
	wbuf_put_zero(&wr->w, ivlen);
	wr->enc_plain = wr->w.len;
}

size_t
ike2_wr_enc_plainlen(const struct ike2_wr *wr)
{
	if (wr->enc_start == 0 || wr->w.len < wr->enc_plain)
		return 0;
	return wr->w.len - wr->enc_plain;
}

void
ike2_wr_enc_finish(struct ike2_wr *wr, size_t taillen, size_t *aadlen)
{
	if (wr->enc_start == 0)
		wr->w.err = 1;
	wbuf_put_zero(&wr->w, taillen);
	set_len(&wr->w, wr->enc_start);
	ike2_wr_finish(wr);
	wr->np_off = SIZE_MAX;
	*aadlen = wr->enc_iv;
}
