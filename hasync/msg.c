/*
 * The sync messages: protobuf-c Envelopes (hasync/hasync.proto) to and from
 * the plain structs of msg.h, with every field range-checked after
 * unpacking.  The SA states' plain fields are checked and copied as
 * hasync/fields.h lists them.
 *
 * A record on the channel is either one Envelope or an Envelope holding a
 * Batch of Envelopes (field 14).  The builder frames each packed item as
 * a Batch "items" field as it goes, so a record is assembled without a
 * second pass: Envelope{batch} = 0x72 varint(len) { 0x0a varint(len)
 * item }...
 */
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hasync.pb-c.h"
#include "alg/alg.h"
#include "conf/conf.h"
#include "hasync/fields.h"
#include "hasync/msg.h"
#include "hasync/rf.h"

typedef Havpn__Sync__Envelope		PEnv;
typedef Havpn__Sync__Hello		PHello;
typedef Havpn__Sync__IsakmpSa		PIsakmp;
typedef Havpn__Sync__IpsecSa		PIpsec;
typedef Havpn__Sync__Ikev2Sa		PIke2;
typedef Havpn__Sync__Counter		PCounter;
typedef Havpn__Sync__Counters		PCounters;
typedef Havpn__Sync__Selector		PSel;

#define TAG_BATCH_ITEMS	0x0a	/* Batch.items: field 1, length-delimited */
#define TAG_ENV_BATCH	0x72	/* Envelope.batch: field 14 */

const char *
ha_msg_name(enum ha_msg_type t)
{
	switch (t) {
	case HA_M_HELLO:		return "hello";
	case HA_M_BULK_REQUEST:		return "bulk-request";
	case HA_M_BULK_BEGIN:		return "bulk-begin";
	case HA_M_BULK_END:		return "bulk-end";
	case HA_M_ISAKMP:		return "isakmp-sa";
	case HA_M_ISAKMP_DELETE:	return "isakmp-delete";
	case HA_M_IPSEC:		return "ipsec-sa";
	case HA_M_IPSEC_DELETE:		return "ipsec-delete";
	case HA_M_COUNTERS:		return "counters";
	case HA_M_SW_REQUEST:		return "switchover-request";
	case HA_M_SW_FINAL:		return "switchover-final";
	case HA_M_SW_ACK:		return "switchover-ack";
	case HA_M_SW_DONE:		return "switchover-done";
	case HA_M_SESSION_END:		return "session-end";
	case HA_M_IKE2:			return "ikev2-sa";
	case HA_M_IKE2_DELETE:		return "ikev2-delete";
	}
	return "unknown";
}

/* ---- a protobuf-c allocator that wipes what it frees --------------------- */

static void *
pa_alloc(void *arg, size_t n)
{
	(void)arg;
	return xmalloc(n == 0 ? 1 : n);
}

static void
pa_free(void *arg, void *p)
{
	(void)arg;
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static ProtobufCAllocator wiping = { pa_alloc, pa_free, NULL };

/* ---- range checks ------------------------------------------------------- */

static int
printable(const char *s, size_t max)
{
	size_t	 n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || s[n] < 0x20 || s[n] > 0x7e)
			return 0;
	return 1;
}

static int
window_ok(uint32_t w)
{
	return w == 0 || w == 64 || w == 128 || w == 256 || w == 512 ||
	    w == 1024;
}

static int
mask_ok(uint32_t m)
{
	struct in_addr a;

	a.s_addr = m;
	return addr_mask_valid(a);
}

static int
rf_ok(uint32_t s)
{
	return s == RF_DISABLED || s == RF_INITIALIZATION ||
	    s == RF_NEGOTIATION || s == RF_STANDBY_COLD ||
	    s == RF_STANDBY_COLD_BULK || s == RF_STANDBY_HOT || s == RF_ACTIVE;
}

static int
check_counter(const PCounter *c, struct ha_counter *out, const char **err)
{
	if (c->conn_id == 0)
		return *err = "counter of conn-id 0", -1;
	if (!window_ok(c->window))
		return *err = "counter: replay window size", -1;
	if (c->n_bitmap != c->window / 64 || c->n_bitmap > ESP_REPLAY_WORDS)
		return *err = "counter: bitmap length", -1;
	if (c->window == 0 && c->top != 0)
		return *err = "counter: window top without a window", -1;
	memset(out, 0, sizeof(*out));
	out->conn_id = c->conn_id;
	out->exact = c->exact != 0;
	out->r.seq_out = c->seq_out;
	out->r.top = c->top;
	out->r.window = c->window;
	for (size_t i = 0; i < c->n_bitmap; i++)
		out->r.bitmap[i] = c->bitmap[i];
	out->packets = c->has_packets ? c->packets : 0;
	out->bytes = c->has_bytes ? c->bytes : 0;
	return 0;
}

static int
check_hello(const PHello *h, struct ha_hello *o, const char **err)
{
	if (h->version != HA_VERSION)
		return *err = "hello: another protocol version", -1;
	if (!printable(h->node_id, HA_NODE_ID_MAX) || h->node_id[0] == '\0')
		return *err = "hello: node id", -1;
	if (h->config_digest.len != HA_DIGEST_LEN)
		return *err = "hello: digest length", -1;
	if (!rf_ok(h->rf_state))
		return *err = "hello: RF state", -1;
	o->version = h->version;
	snprintf(o->node_id, sizeof(o->node_id), "%s", h->node_id);
	o->incarnation = h->incarnation;
	memcpy(o->digest, h->config_digest.data, HA_DIGEST_LEN);
	o->rf_state = h->rf_state;
	o->partitioned_active = h->has_partitioned_active &&
	    h->partitioned_active;
	o->stateful = h->has_stateful && h->stateful;
	if (h->n_addrs > HA_IFADDRS_MAX)
		return *err = "hello: too many interface addresses", -1;
	for (size_t i = 0; i < h->n_addrs; i++) {
		if (h->addrs[i] == NULL || !printable(h->addrs[i]->ifname,
		    sizeof(o->addrs[i].ifname) - 1) ||
		    h->addrs[i]->ifname[0] == '\0')
			return *err = "hello: interface name", -1;
		snprintf(o->addrs[i].ifname, sizeof(o->addrs[i].ifname), "%s",
		    h->addrs[i]->ifname);
		o->addrs[i].addr.s_addr = h->addrs[i]->addr;
	}
	o->naddrs = (int)h->n_addrs;
	return 0;
}

static int
bytes_exact(const ProtobufCBinaryData *b, size_t n, void *dst)
{
	if (b->len != n)
		return -1;
	if (n > 0)
		memcpy(dst, b->data, n);
	return 0;
}

/* ---- the SA states' plain fields (hasync/fields.h) ---------------------- */

/* Each kind's C type, asserted for every member the lists name. */
#define IS_U8(m)	__builtin_types_compatible_p(__typeof__(m), uint8_t)
#define IS_U16(m)	__builtin_types_compatible_p(__typeof__(m), uint16_t)
#define IS_U32(m)	__builtin_types_compatible_p(__typeof__(m), uint32_t)
#define IS_I32(m)	__builtin_types_compatible_p(__typeof__(m), int32_t)
#define IS_U64(m)	__builtin_types_compatible_p(__typeof__(m), uint64_t)
#define IS_BOOL(m)	IS_U8(m)
#define IS_X32(m)	IS_U32(m)
#define IS_ADDR(m)	__builtin_types_compatible_p(__typeof__(m),	\
			    struct in_addr)
#define IS_BYTES(m)	__builtin_types_compatible_p(__typeof__(m),	\
			    uint8_t[sizeof(m)])
#define IS_STR(m)	(__builtin_types_compatible_p(__typeof__(m),	\
			    char[sizeof(m)]) && sizeof(m) > 1)

#define ASSERT_ISAKMP(name, kind, valid, why, show)			\
	_Static_assert(IS_##kind(((struct ike_isakmp_state *)0)->name),	\
	    "struct ike_isakmp_state: " #name " is not of kind " #kind);
#define ASSERT_IPSEC(name, kind, valid, why, show)			\
	_Static_assert(IS_##kind(((struct ike_ipsec_state *)0)->name),	\
	    "struct ike_ipsec_state: " #name " is not of kind " #kind);
#define ASSERT_IKE2(name, kind, valid, why, show)			\
	_Static_assert(IS_##kind(((struct ike_ike2_state *)0)->name),	\
	    "struct ike_ike2_state: " #name " is not of kind " #kind);
HA_ISAKMP_FIELDS(ASSERT_ISAKMP)
HA_IPSEC_FIELDS(ASSERT_IPSEC)
HA_IKE2_FIELDS(ASSERT_IKE2)

/* Does a received value v fit the member m? */
#define FITS_U8(v, m)		((v) <= UINT8_MAX)
#define FITS_U16(v, m)		((v) <= UINT16_MAX)
#define FITS_U32(v, m)		1
#define FITS_I32(v, m)		1
#define FITS_U64(v, m)		1
#define FITS_BOOL(v, m)		1
#define FITS_X32(v, m)		1
#define FITS_ADDR(v, m)		1
#define FITS_BYTES(v, m)	((v).len == sizeof(m))
#define FITS_STR(v, m)		printable((v), sizeof(m) - 1)

/* A received value v (checked) into the member m. */
#define TAKE_U8(m, v)		(m) = (uint8_t)(v)
#define TAKE_U16(m, v)		(m) = (uint16_t)(v)
#define TAKE_U32(m, v)		(m) = (v)
#define TAKE_I32(m, v)		(m) = (v)
#define TAKE_U64(m, v)		(m) = (v)
#define TAKE_BOOL(m, v)		(m) = (v) != 0
#define TAKE_X32(m, v)		(m) = (v)
#define TAKE_ADDR(m, v)		(m).s_addr = (v)
#define TAKE_BYTES(m, v)	memcpy((m), (v).data, sizeof(m))
#define TAKE_STR(m, v)		snprintf((m), sizeof(m), "%s", (v))

/* The member m into its protobuf field f (the field borrows m). */
#define PUT_U8(f, m)		(f) = (m)
#define PUT_U16(f, m)		(f) = (m)
#define PUT_U32(f, m)		(f) = (m)
#define PUT_I32(f, m)		(f) = (m)
#define PUT_U64(f, m)		(f) = (m)
#define PUT_BOOL(f, m)		(f) = (m) != 0
#define PUT_X32(f, m)		(f) = (m)
#define PUT_ADDR(f, m)		(f) = (m).s_addr
#define PUT_BYTES(f, m)		(f) = bin((m), sizeof(m))
#define PUT_STR(f, m)		(f) = (char *)(uintptr_t)(m)

/*
 * One field of p into s: the value must fit the member and be valid
 * (fields.h), else the record is refused with "<what>: <why>".
 */
#define TAKE_FIELD(what, name, kind, valid, why)	{		\
	const __typeof__(p->name) v = p->name;				\
									\
	if (!FITS_##kind(v, s->name) || !(valid))			\
		return *err = what ": " why, -1;			\
	TAKE_##kind(s->name, v);					\
}
#define TAKE_ISAKMP(name, kind, valid, why, show)			\
	TAKE_FIELD("isakmp-sa", name, kind, valid, why)
#define TAKE_IPSEC(name, kind, valid, why, show)			\
	TAKE_FIELD("ipsec-sa", name, kind, valid, why)
#define TAKE_IKE2(name, kind, valid, why, show)				\
	TAKE_FIELD("ikev2-sa", name, kind, valid, why)
#define PUT_FIELD(name, kind, valid, why, show)				\
	PUT_##kind(p->name, s->name);

static ProtobufCBinaryData
bin(const void *p, size_t n)
{
	ProtobufCBinaryData b;

	b.data = (uint8_t *)(uintptr_t)p;
	b.len = n;
	return b;
}

/* ---- the ISAKMP SA ------------------------------------------------------- */

static const struct alg_cipher *
isakmp_cipher(const PIsakmp *p)
{
	const struct alg_cipher *c = p->enc <= INT_MAX ? alg_enc((int)p->enc) :
	    NULL;

	/* des (no OpenSSL name) is never negotiated */
	return c != NULL && c->ossl[0] != NULL ? c : NULL;
}

/* The IKE cipher's key length for p's cipher and key size, 0 if none. */
static size_t
isakmp_keylen(const PIsakmp *p)
{
	const struct alg_cipher *c = isakmp_cipher(p);

	if (c == NULL || p->keybits > INT_MAX)
		return 0;
	/* the IKE SA keeps keybits 0 for a cipher of one key size */
	return alg_cipher_keylen(c, p->keybits == 0 && !alg_cipher_varkey(c) ?
	    c->bits[0] : (int)p->keybits);
}

/* The hash's output length (each SKEYID's), 0 if none. */
static size_t
isakmp_hashlen(const PIsakmp *p)
{
	const struct alg_hmac *h = p->hash <= INT_MAX ? alg_hash((int)p->hash) :
	    NULL;

	return h != NULL ? h->len : 0;
}

/*
 * The keys and the phase 1 IV (fields.h HA_ISAKMP_BY_HAND): their
 * lengths come from the algorithms, checked before.
 */
static int
take_isakmp_keys(const PIsakmp *p, struct ike_isakmp_state *s,
    const char **err)
{
	size_t	 hl = isakmp_hashlen(p), kl = isakmp_keylen(p);
	size_t	 bl = isakmp_cipher(p)->block;

	if (bytes_exact(&p->skeyid_d, hl, s->skeyid_d) == -1 ||
	    bytes_exact(&p->skeyid_a, hl, s->skeyid_a) == -1 ||
	    bytes_exact(&p->skeyid_e, hl, s->skeyid_e) == -1)
		return *err = "isakmp-sa: SKEYID length", -1;
	if (bytes_exact(&p->enc_key, kl, s->enc_key) == -1)
		return *err = "isakmp-sa: key length", -1;
	if (bytes_exact(&p->iv, bl, s->iv) == -1)
		return *err = "isakmp-sa: IV length", -1;
	s->prf_len = (uint16_t)hl;
	s->enc_key_len = (uint16_t)kl;
	s->iv_len = (uint16_t)bl;
	return 0;
}

static void
put_isakmp_keys(PIsakmp *p, const struct ike_isakmp_state *s)
{
	p->skeyid_d = bin(s->skeyid_d, s->prf_len);
	p->skeyid_a = bin(s->skeyid_a, s->prf_len);
	p->skeyid_e = bin(s->skeyid_e, s->prf_len);
	p->enc_key = bin(s->enc_key, s->enc_key_len);
	p->iv = bin(s->iv, s->iv_len);
}

static int
check_isakmp(const PIsakmp *p, struct ike_isakmp_state *s, const char **err)
{
	memset(s, 0, sizeof(*s));
	HA_ISAKMP_FIELDS(TAKE_ISAKMP)
	if (take_isakmp_keys(p, s, err) == -1)
		return -1;
	if (p->n_msgids > nitems(s->msgids))
		return *err = "isakmp-sa: message IDs", -1;
	for (size_t i = 0; i < p->n_msgids; i++)
		s->msgids[i] = p->msgids[i];
	return 0;
}

/* ---- the IKEv2 SA -------------------------------------------------------- */

/* The suite of p, as ike/ reads it: its key lengths, -1 if none. */
static int
ike2_lens(const PIke2 *p, size_t *pl, size_t *al, size_t *el)
{
	struct ike_ike2_state s;

	if (p->enc > UINT16_MAX || p->keybits > UINT16_MAX ||
	    p->prf > UINT8_MAX || p->integ > UINT8_MAX)
		return -1;
	memset(&s, 0, sizeof(s));
	s.enc = (uint16_t)p->enc;
	s.keybits = (uint16_t)p->keybits;
	s.prf = (uint8_t)p->prf;
	s.integ = (uint8_t)p->integ;
	return ike2_state_keylens(&s, pl, al, el);
}

static int
ike2_suite_fits(const PIke2 *p)
{
	size_t	 pl, al, el;

	return ike2_lens(p, &pl, &al, &el) == 0;
}

/* An identity: any length up to the member's. */
static int
take_id(const ProtobufCBinaryData *b, uint8_t *dst, size_t max,
    uint16_t *len)
{
	if (b->len > max)
		return -1;
	if (b->len > 0)
		memcpy(dst, b->data, b->len);
	*len = (uint16_t)b->len;
	return 0;
}

/* The keys, the identities and the role (fields.h HA_IKE2_BY_HAND). */
static int
take_ike2_rest(const PIke2 *p, struct ike_ike2_state *s, const char **err)
{
	size_t	 pl, al, el;

	/* known: ike2_suite_fits() passed */
	(void)ike2_lens(p, &pl, &al, &el);
	if (bytes_exact(&p->sk_d, pl, s->sk_d) == -1 ||
	    bytes_exact(&p->sk_pi, pl, s->sk_pi) == -1 ||
	    bytes_exact(&p->sk_pr, pl, s->sk_pr) == -1 ||
	    bytes_exact(&p->sk_ai, al, s->sk_ai) == -1 ||
	    bytes_exact(&p->sk_ar, al, s->sk_ar) == -1 ||
	    bytes_exact(&p->sk_ei, el, s->sk_ei) == -1 ||
	    bytes_exact(&p->sk_er, el, s->sk_er) == -1)
		return *err = "ikev2-sa: key length", -1;
	s->prf_len = (uint16_t)pl;
	s->integ_len = (uint16_t)al;
	s->enc_len = (uint16_t)el;
	if (take_id(&p->id_local, s->id_local, sizeof(s->id_local),
	    &s->id_local_len) == -1 || take_id(&p->id_peer, s->id_peer,
	    sizeof(s->id_peer), &s->id_peer_len) == -1)
		return *err = "ikev2-sa: identity length", -1;
	s->initiator = (uint8_t)(p->has_initiator && p->initiator);
	s->fragmentation = (uint8_t)(p->has_fragmentation &&
	    p->fragmentation);
	return 0;
}

static int
check_ike2(const PIke2 *p, struct ike_ike2_state *s, const char **err)
{
	memset(s, 0, sizeof(*s));
	HA_IKE2_FIELDS(TAKE_IKE2)
	return take_ike2_rest(p, s, err);
}

/* ---- the IPsec SA pair --------------------------------------------------- */

/* The ESP cipher's key length (salt included), 0 if none. */
static size_t
esp_enc_keylen(const PIpsec *p)
{
	return alg_esp_enc_keylen(p->enc, p->enc_keybits);
}

/* An AEAD cipher takes no integrity algorithm, the others need one. */
static int
esp_auth_ok(const PIpsec *p)
{
	const struct alg_cipher *e = p->enc <= INT_MAX ?
	    alg_esp_enc((int)p->enc) : NULL;
	size_t	 al;

	return e != NULL && alg_esp_auth_keylen(p->auth, &al) == 0 &&
	    (e->icv != 0) == (p->auth == ALG_ESP_AUTH_NONE);
}

/*
 * The keys, the selector, the counters and the pair replaced (fields.h
 * HA_IPSEC_BY_HAND).
 */
static int
take_ipsec_rest(const PIpsec *p, struct ha_ipsec *o, const char **err)
{
	struct ike_ipsec_state *s = &o->st;
	size_t	 el = esp_enc_keylen(p), al;
	const PSel *sel = p->sel;

	/* known: esp_auth_ok() passed */
	(void)alg_esp_auth_keylen(p->auth, &al);
	if (bytes_exact(&p->enc_key_in, el, s->enc_key_in) == -1 ||
	    bytes_exact(&p->enc_key_out, el, s->enc_key_out) == -1 ||
	    bytes_exact(&p->auth_key_in, al, s->auth_key_in) == -1 ||
	    bytes_exact(&p->auth_key_out, al, s->auth_key_out) == -1)
		return *err = "ipsec-sa: key length", -1;
	s->enc_key_len = (uint16_t)el;
	s->auth_key_len = (uint16_t)al;
	if (sel == NULL || !mask_ok(sel->src_mask) || !mask_ok(sel->dst_mask) ||
	    sel->proto > 255 || sel->sport > 65535 || sel->dport > 65535)
		return *err = "ipsec-sa: selector", -1;
	s->sel.src.s_addr = sel->src;
	s->sel.src_mask.s_addr = sel->src_mask;
	s->sel.dst.s_addr = sel->dst;
	s->sel.dst_mask.s_addr = sel->dst_mask;
	s->sel.proto = (uint8_t)sel->proto;
	s->sel.sport = (uint16_t)sel->sport;
	s->sel.dport = (uint16_t)sel->dport;
	if (p->counter_in != NULL && (check_counter(p->counter_in, &o->in,
	    err) == -1 || o->in.conn_id != p->conn_in ||
	    o->in.r.window != (uint32_t)p->replay_window))
		return *err = "ipsec-sa: inbound counter", -1;
	if (p->counter_out != NULL && (check_counter(p->counter_out, &o->out,
	    err) == -1 || o->out.conn_id != p->conn_out ||
	    o->out.r.window != 0))
		return *err = "ipsec-sa: outbound counter", -1;
	if (p->has_replaces && (p->replaces == 0 ||
	    p->replaces == p->conn_in))
		return *err = "ipsec-sa: replaced pair", -1;
	o->have_in = p->counter_in != NULL;
	o->have_out = p->counter_out != NULL;
	o->replaces = p->has_replaces ? p->replaces : 0;
	return 0;
}

static int
check_ipsec(const PIpsec *p, struct ha_ipsec *o, const char **err)
{
	struct ike_ipsec_state *s = &o->st;

	memset(o, 0, sizeof(*o));
	HA_IPSEC_FIELDS(TAKE_IPSEC)
	return take_ipsec_rest(p, o, err);
}

static int
check_bulk(uint32_t a, uint32_t b, const char **err)
{
	if (a > HA_COUNT_MAX || b > HA_COUNT_MAX)
		return *err = "bulk marker: SA count", -1;
	return 0;
}

/*
 * One Envelope (not a Batch) into m.  Counters go into *ctrs, an array
 * of *nctrs entries the caller frees.
 */
static int
check_env(const PEnv *e, struct ha_msg *m, struct ha_counter **ctrs,
    const char **err)
{
	memset(m, 0, sizeof(*m));
	switch (e->body_case) {
	case HAVPN__SYNC__ENVELOPE__BODY_HELLO:
		m->type = HA_M_HELLO;
		return check_hello(e->hello, &m->u.hello, err);
	case HAVPN__SYNC__ENVELOPE__BODY_BULK_REQUEST:
		m->type = HA_M_BULK_REQUEST;
		m->u.bulk_request = e->bulk_request->id;
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_BULK_BEGIN:
		m->type = HA_M_BULK_BEGIN;
		m->u.bulk.epoch = e->bulk_begin->epoch;
		m->u.bulk.isakmp_sas = e->bulk_begin->isakmp_sas;
		m->u.bulk.ipsec_sas = e->bulk_begin->ipsec_sas;
		m->u.bulk.ikev2_sas = e->bulk_begin->ikev2_sas;
		return check_bulk(m->u.bulk.isakmp_sas, m->u.bulk.ipsec_sas,
		    err) == -1 ? -1 : check_bulk(m->u.bulk.ikev2_sas, 0, err);
	case HAVPN__SYNC__ENVELOPE__BODY_BULK_END:
		m->type = HA_M_BULK_END;
		m->u.bulk.epoch = e->bulk_end->epoch;
		m->u.bulk.isakmp_sas = e->bulk_end->isakmp_sas;
		m->u.bulk.ipsec_sas = e->bulk_end->ipsec_sas;
		m->u.bulk.ikev2_sas = e->bulk_end->ikev2_sas;
		return check_bulk(m->u.bulk.isakmp_sas, m->u.bulk.ipsec_sas,
		    err) == -1 ? -1 : check_bulk(m->u.bulk.ikev2_sas, 0, err);
	case HAVPN__SYNC__ENVELOPE__BODY_ISAKMP:
		m->type = HA_M_ISAKMP;
		return check_isakmp(e->isakmp, &m->u.isakmp, err);
	case HAVPN__SYNC__ENVELOPE__BODY_ISAKMP_DELETE:
		m->type = HA_M_ISAKMP_DELETE;
		if ((m->u.isakmp_delete = e->isakmp_delete->conn_id) == 0)
			return *err = "isakmp-delete: conn-id 0", -1;
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_IKEV2:
		m->type = HA_M_IKE2;
		return check_ike2(e->ikev2, &m->u.ike2, err);
	case HAVPN__SYNC__ENVELOPE__BODY_IKEV2_DELETE:
		m->type = HA_M_IKE2_DELETE;
		if ((m->u.ike2_delete = e->ikev2_delete->conn_id) == 0)
			return *err = "ikev2-delete: conn-id 0", -1;
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_IPSEC:
		m->type = HA_M_IPSEC;
		return check_ipsec(e->ipsec, &m->u.ipsec, err);
	case HAVPN__SYNC__ENVELOPE__BODY_IPSEC_DELETE:
		m->type = HA_M_IPSEC_DELETE;
		m->u.ipsec_delete.conn_in = e->ipsec_delete->conn_in;
		m->u.ipsec_delete.conn_out = e->ipsec_delete->conn_out;
		if (m->u.ipsec_delete.conn_in == 0 ||
		    m->u.ipsec_delete.conn_out == 0)
			return *err = "ipsec-delete: conn-id 0", -1;
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_COUNTERS: {
		const PCounters *c = e->counters;
		struct ha_counter *v;

		m->type = HA_M_COUNTERS;
		if (c->n_counters > HA_BATCH_MAX)
			return *err = "counters: too many", -1;
		if (c->n_counters == 0 && !(c->has_sweep && c->sweep))
			return *err = "counters: empty", -1;
		v = xcalloc(c->n_counters + 1, sizeof(*v));
		*ctrs = v;
		for (size_t i = 0; i < c->n_counters; i++)
			if (check_counter(c->counters[i], &v[i], err) == -1)
				return -1;
		m->u.counters.v = v;
		m->u.counters.n = (int)c->n_counters;
		m->u.counters.sweep = c->has_sweep && c->sweep;
		return 0;
	}
	case HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_REQUEST:
		m->type = HA_M_SW_REQUEST;
		m->u.sw.id = e->switchover_request->id;
		m->u.sw.force = e->switchover_request->force != 0;
		m->u.sw.ready_check = e->switchover_request->has_ready_check &&
		    e->switchover_request->ready_check;
		if (e->switchover_request->reason != NULL) {
			if (!printable(e->switchover_request->reason,
			    HA_REASON_MAX))
				return *err = "switchover-request: reason", -1;
			snprintf(m->u.sw.reason, sizeof(m->u.sw.reason), "%s",
			    e->switchover_request->reason);
		}
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_FINAL:
		m->type = HA_M_SW_FINAL;
		m->u.sw.id = e->switchover_final->id;
		m->u.sw.counters = e->switchover_final->counters;
		return check_bulk(m->u.sw.counters, 0, err);
	case HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_DONE:
		m->type = HA_M_SW_DONE;
		m->u.sw.id = e->switchover_done->id;
		m->u.sw.counters = e->switchover_done->counters;
		return check_bulk(m->u.sw.counters, 0, err);
	case HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_ACK: {
		const char *r = e->switchover_ack->reason;

		m->type = HA_M_SW_ACK;
		m->u.sw.id = e->switchover_ack->id;
		m->u.sw.accepted = e->switchover_ack->accepted != 0;
		if (r != NULL && !printable(r, HA_REASON_MAX))
			return *err = "switchover-ack: reason", -1;
		snprintf(m->u.sw.reason, sizeof(m->u.sw.reason), "%s",
		    r != NULL ? r : "");
		return 0;
	}
	case HAVPN__SYNC__ENVELOPE__BODY_SESSION_END:
		m->type = HA_M_SESSION_END;
		m->u.session_end = e->session_end->epoch;
		return 0;
	case HAVPN__SYNC__ENVELOPE__BODY_BATCH:
		return *err = "a batch inside a batch", -1;
	default:
		break;
	}
	return *err = "empty or unknown envelope", -1;
}

int
ha_msg_decode(const uint8_t *p, size_t len, ha_msg_fn fn, void *arg,
    const char **err)
{
	PEnv		*e;
	PEnv *const	*items;
	PEnv		*one[1];
	struct ha_msg	*msgs = NULL;
	struct ha_counter **ctrs = NULL;
	size_t		 n;
	int		 rc = -1;

	*err = NULL;
	if (len == 0)
		return *err = "empty record", -1;
	if ((e = havpn__sync__envelope__unpack(&wiping, len, p)) == NULL)
		return *err = "not a protobuf Envelope", -1;
	if (e->body_case == HAVPN__SYNC__ENVELOPE__BODY_BATCH) {
		n = e->batch->n_items;
		items = e->batch->items;
		if (n == 0 || n > HA_BATCH_MAX) {
			*err = "batch: item count";
			goto done;
		}
	} else {
		one[0] = e;
		items = one;
		n = 1;
	}
	msgs = xcalloc(n, sizeof(*msgs));
	ctrs = xcalloc(n, sizeof(*ctrs));
	for (size_t i = 0; i < n; i++)
		if (check_env(items[i], &msgs[i], &ctrs[i], err) == -1)
			goto done;
	for (size_t i = 0; i < n; i++)
		fn(arg, &msgs[i]);
	rc = (int)n;
done:
	if (msgs != NULL)
		free_secret(msgs, n * sizeof(*msgs));
	if (ctrs != NULL) {
		for (size_t i = 0; i < n; i++)
			free(ctrs[i]);
		free(ctrs);
	}
	havpn__sync__envelope__free_unpacked(e, &wiping);
	return rc;
}

/* ---- encoding ------------------------------------------------------------ */

static void
put_counter(PCounter *pc, const struct ha_counter *c, uint64_t *words)
{
	havpn__sync__counter__init(pc);
	pc->conn_id = c->conn_id;
	pc->seq_out = c->r.seq_out;
	pc->top = c->r.top;
	pc->window = c->r.window;
	pc->n_bitmap = c->r.window / 64;
	if (pc->n_bitmap > ESP_REPLAY_WORDS)
		pc->n_bitmap = ESP_REPLAY_WORDS;
	for (size_t i = 0; i < pc->n_bitmap; i++)
		words[i] = c->r.bitmap[i];
	pc->bitmap = words;
	pc->exact = c->exact != 0;
	pc->has_packets = pc->has_bytes = 1;
	pc->packets = c->packets;
	pc->bytes = c->bytes;
}

/* Scratch for one packed item: the sub-messages the Envelope points at. */
struct pack_scratch {
	PEnv		 env;
	union {
		Havpn__Sync__Hello		 hello;
		Havpn__Sync__BulkRequest	 breq;
		Havpn__Sync__BulkBegin		 bbeg;
		Havpn__Sync__BulkEnd		 bend;
		Havpn__Sync__IsakmpSa		 isakmp;
		Havpn__Sync__IsakmpDelete	 idel;
		Havpn__Sync__Ikev2Sa		 ike2;
		Havpn__Sync__Ikev2Delete	 i2del;
		Havpn__Sync__IpsecSa		 ipsec;
		Havpn__Sync__IpsecDelete	 pdel;
		Havpn__Sync__Counters		 ctrs;
		Havpn__Sync__SwitchoverRequest	 sreq;
		Havpn__Sync__SwitchoverFinal	 sfin;
		Havpn__Sync__SessionEnd		 sess;
		Havpn__Sync__SwitchoverDone	 sdone;
		Havpn__Sync__SwitchoverAck	 sack;
	} u;
	PSel		 sel;
	PCounter	 cin, cout;
	uint64_t	 win[ESP_REPLAY_WORDS], wout[ESP_REPLAY_WORDS];
	uint32_t	 msgids[16];
	Havpn__Sync__IfAddr ifa[HA_IFADDRS_MAX];
	Havpn__Sync__IfAddr *ifap[HA_IFADDRS_MAX];
	/* counters: one PCounter and bitmap per entry */
	PCounter	*cv;
	PCounter	**cp;
	uint64_t	*cw;
};

static void
fill_isakmp(struct pack_scratch *x, const struct ike_isakmp_state *s)
{
	PIsakmp	*p = &x->u.isakmp;

	havpn__sync__isakmp_sa__init(p);
	HA_ISAKMP_FIELDS(PUT_FIELD)
	put_isakmp_keys(p, s);
	/* only the slots in use: a zero message ID was never seen */
	p->n_msgids = 0;
	for (size_t i = 0; i < nitems(s->msgids); i++)
		if (s->msgids[i] != 0)
			x->msgids[p->n_msgids++] = s->msgids[i];
	p->msgids = x->msgids;
	x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_ISAKMP;
	x->env.isakmp = p;
}

static void
fill_ike2(struct pack_scratch *x, const struct ike_ike2_state *s)
{
	PIke2	*p = &x->u.ike2;

	havpn__sync__ikev2_sa__init(p);
	HA_IKE2_FIELDS(PUT_FIELD)
	/* by hand (fields.h HA_IKE2_BY_HAND) */
	p->sk_d = bin(s->sk_d, s->prf_len);
	p->sk_pi = bin(s->sk_pi, s->prf_len);
	p->sk_pr = bin(s->sk_pr, s->prf_len);
	p->sk_ai = bin(s->sk_ai, s->integ_len);
	p->sk_ar = bin(s->sk_ar, s->integ_len);
	p->sk_ei = bin(s->sk_ei, s->enc_len);
	p->sk_er = bin(s->sk_er, s->enc_len);
	p->id_local = bin(s->id_local, s->id_local_len);
	p->id_peer = bin(s->id_peer, s->id_peer_len);
	if (s->initiator) {
		p->has_initiator = 1;
		p->initiator = 1;
	}
	if (s->fragmentation) {
		p->has_fragmentation = 1;
		p->fragmentation = 1;
	}
	x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_IKEV2;
	x->env.ikev2 = p;
}

static void
fill_ipsec(struct pack_scratch *x, const struct ha_ipsec *m)
{
	const struct ike_ipsec_state *s = &m->st;
	PIpsec	*p = &x->u.ipsec;

	havpn__sync__ipsec_sa__init(p);
	HA_IPSEC_FIELDS(PUT_FIELD)
	/* by hand (fields.h HA_IPSEC_BY_HAND) */
	p->enc_key_in = bin(s->enc_key_in, s->enc_key_len);
	p->enc_key_out = bin(s->enc_key_out, s->enc_key_len);
	p->auth_key_in = bin(s->auth_key_in, s->auth_key_len);
	p->auth_key_out = bin(s->auth_key_out, s->auth_key_len);
	havpn__sync__selector__init(&x->sel);
	x->sel.src = s->sel.src.s_addr;
	x->sel.src_mask = s->sel.src_mask.s_addr;
	x->sel.dst = s->sel.dst.s_addr;
	x->sel.dst_mask = s->sel.dst_mask.s_addr;
	x->sel.proto = s->sel.proto;
	x->sel.sport = s->sel.sport;
	x->sel.dport = s->sel.dport;
	p->sel = &x->sel;
	if (m->have_in) {
		put_counter(&x->cin, &m->in, x->win);
		p->counter_in = &x->cin;
	}
	if (m->have_out) {
		put_counter(&x->cout, &m->out, x->wout);
		p->counter_out = &x->cout;
	}
	if (m->replaces != 0) {
		p->has_replaces = 1;
		p->replaces = m->replaces;
	}
	x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_IPSEC;
	x->env.ipsec = p;
}

static void
fill_counters(struct pack_scratch *x, const struct ha_counters *c)
{
	PCounters *p = &x->u.ctrs;
	size_t	 n = (size_t)c->n;

	havpn__sync__counters__init(p);
	x->cv = xcalloc(n + 1, sizeof(*x->cv));
	x->cp = xcalloc(n + 1, sizeof(*x->cp));
	x->cw = xcalloc((n + 1) * ESP_REPLAY_WORDS, sizeof(*x->cw));
	for (size_t i = 0; i < n; i++) {
		put_counter(&x->cv[i], &c->v[i], x->cw + i * ESP_REPLAY_WORDS);
		x->cp[i] = &x->cv[i];
	}
	p->n_counters = n;
	p->counters = x->cp;
	if (c->sweep) {
		p->has_sweep = 1;
		p->sweep = 1;
	}
	x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_COUNTERS;
	x->env.counters = p;
}

static void
fill(struct pack_scratch *x, const struct ha_msg *m)
{
	memset(x, 0, sizeof(*x));
	havpn__sync__envelope__init(&x->env);
	switch (m->type) {
	case HA_M_HELLO: {
		const struct ha_hello *h = &m->u.hello;

		havpn__sync__hello__init(&x->u.hello);
		x->u.hello.version = h->version;
		x->u.hello.node_id = (char *)(uintptr_t)h->node_id;
		x->u.hello.incarnation = h->incarnation;
		x->u.hello.config_digest = bin(h->digest, HA_DIGEST_LEN);
		x->u.hello.rf_state = h->rf_state;
		x->u.hello.has_partitioned_active = 1;
		x->u.hello.partitioned_active = h->partitioned_active != 0;
		x->u.hello.has_stateful = 1;
		x->u.hello.stateful = h->stateful != 0;
		for (int i = 0; i < h->naddrs && i < HA_IFADDRS_MAX; i++) {
			havpn__sync__if_addr__init(&x->ifa[i]);
			x->ifa[i].ifname = (char *)(uintptr_t)h->addrs[i].ifname;
			x->ifa[i].addr = h->addrs[i].addr.s_addr;
			x->ifap[i] = &x->ifa[i];
			x->u.hello.n_addrs = (size_t)i + 1;
		}
		x->u.hello.addrs = x->ifap;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_HELLO;
		x->env.hello = &x->u.hello;
		break;
	}
	case HA_M_BULK_REQUEST:
		havpn__sync__bulk_request__init(&x->u.breq);
		x->u.breq.id = m->u.bulk_request;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_BULK_REQUEST;
		x->env.bulk_request = &x->u.breq;
		break;
	case HA_M_BULK_BEGIN:
		havpn__sync__bulk_begin__init(&x->u.bbeg);
		x->u.bbeg.epoch = m->u.bulk.epoch;
		x->u.bbeg.isakmp_sas = m->u.bulk.isakmp_sas;
		x->u.bbeg.ipsec_sas = m->u.bulk.ipsec_sas;
		x->u.bbeg.ikev2_sas = m->u.bulk.ikev2_sas;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_BULK_BEGIN;
		x->env.bulk_begin = &x->u.bbeg;
		break;
	case HA_M_BULK_END:
		havpn__sync__bulk_end__init(&x->u.bend);
		x->u.bend.epoch = m->u.bulk.epoch;
		x->u.bend.isakmp_sas = m->u.bulk.isakmp_sas;
		x->u.bend.ipsec_sas = m->u.bulk.ipsec_sas;
		x->u.bend.ikev2_sas = m->u.bulk.ikev2_sas;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_BULK_END;
		x->env.bulk_end = &x->u.bend;
		break;
	case HA_M_ISAKMP:
		fill_isakmp(x, &m->u.isakmp);
		break;
	case HA_M_ISAKMP_DELETE:
		havpn__sync__isakmp_delete__init(&x->u.idel);
		x->u.idel.conn_id = m->u.isakmp_delete;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_ISAKMP_DELETE;
		x->env.isakmp_delete = &x->u.idel;
		break;
	case HA_M_IKE2:
		fill_ike2(x, &m->u.ike2);
		break;
	case HA_M_IKE2_DELETE:
		havpn__sync__ikev2_delete__init(&x->u.i2del);
		x->u.i2del.conn_id = m->u.ike2_delete;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_IKEV2_DELETE;
		x->env.ikev2_delete = &x->u.i2del;
		break;
	case HA_M_IPSEC:
		fill_ipsec(x, &m->u.ipsec);
		break;
	case HA_M_IPSEC_DELETE:
		havpn__sync__ipsec_delete__init(&x->u.pdel);
		x->u.pdel.conn_in = m->u.ipsec_delete.conn_in;
		x->u.pdel.conn_out = m->u.ipsec_delete.conn_out;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_IPSEC_DELETE;
		x->env.ipsec_delete = &x->u.pdel;
		break;
	case HA_M_COUNTERS:
		fill_counters(x, &m->u.counters);
		break;
	case HA_M_SW_REQUEST:
		havpn__sync__switchover_request__init(&x->u.sreq);
		x->u.sreq.id = m->u.sw.id;
		x->u.sreq.force = m->u.sw.force != 0;
		x->u.sreq.has_ready_check = m->u.sw.ready_check != 0;
		x->u.sreq.ready_check = m->u.sw.ready_check != 0;
		x->u.sreq.reason = (char *)(uintptr_t)m->u.sw.reason;
		x->env.body_case =
		    HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_REQUEST;
		x->env.switchover_request = &x->u.sreq;
		break;
	case HA_M_SW_FINAL:
		havpn__sync__switchover_final__init(&x->u.sfin);
		x->u.sfin.id = m->u.sw.id;
		x->u.sfin.counters = m->u.sw.counters;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_FINAL;
		x->env.switchover_final = &x->u.sfin;
		break;
	case HA_M_SW_DONE:
		havpn__sync__switchover_done__init(&x->u.sdone);
		x->u.sdone.id = m->u.sw.id;
		x->u.sdone.counters = m->u.sw.counters;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_DONE;
		x->env.switchover_done = &x->u.sdone;
		break;
	case HA_M_SW_ACK:
		havpn__sync__switchover_ack__init(&x->u.sack);
		x->u.sack.id = m->u.sw.id;
		x->u.sack.accepted = m->u.sw.accepted != 0;
		x->u.sack.reason = (char *)(uintptr_t)m->u.sw.reason;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_SWITCHOVER_ACK;
		x->env.switchover_ack = &x->u.sack;
		break;
	case HA_M_SESSION_END:
		havpn__sync__session_end__init(&x->u.sess);
		x->u.sess.epoch = m->u.session_end;
		x->env.body_case = HAVPN__SYNC__ENVELOPE__BODY_SESSION_END;
		x->env.session_end = &x->u.sess;
		break;
	}
}

static void
scratch_cleanup(struct pack_scratch *x)
{
	free(x->cv);
	free(x->cp);
	free(x->cw);
	OPENSSL_cleanse(x, sizeof(*x));
}

static size_t
varint_len(size_t v)
{
	size_t	 n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void
put_varint(struct wbuf *w, size_t v)
{
	while (v >= 0x80) {
		wbuf_put_u8(w, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	wbuf_put_u8(w, (uint8_t)v);
}

void
ha_rec_init(struct ha_rec *r)
{
	memset(r, 0, sizeof(*r));
	/* never grows: a realloc would leave key bytes behind */
	wbuf_init_dyn(&r->w, HA_RECORD_MAX + 64);
}

static void
wbuf_wipe(struct wbuf *w)
{
	if (w->p != NULL)
		OPENSSL_cleanse(w->p, w->cap);
	wbuf_cleanup(w);
}

void
ha_rec_cleanup(struct ha_rec *r)
{
	wbuf_wipe(&r->w);
	memset(r, 0, sizeof(*r));
}

int
ha_rec_add(struct ha_rec *r, const struct ha_msg *m)
{
	struct pack_scratch x;
	size_t	 n, off, total;
	int	 rc = -1;

	fill(&x, m);
	n = havpn__sync__envelope__get_packed_size(&x.env);
	/* this frame, the batch's own header, and the record's limit */
	total = r->w.len + 1 + varint_len(n) + n;
	if (r->n >= HA_BATCH_MAX || total + 1 + varint_len(total) >
	    HA_RECORD_MAX)
		goto done;
	wbuf_put_u8(&r->w, TAG_BATCH_ITEMS);
	put_varint(&r->w, n);
	off = wbuf_reserve(&r->w, n);
	if (wbuf_error(&r->w))
		fatalx(LOG_HA, "cannot grow a sync record");
	if (havpn__sync__envelope__pack(&x.env, r->w.p + off) != n)
		fatalx(LOG_HA, "protobuf-c packed another size");
	r->n++;
	rc = 0;
done:
	scratch_cleanup(&x);
	return rc;
}

int
ha_rec_take(struct ha_rec *r, uint8_t **out, size_t *outlen)
{
	struct wbuf	 w;
	struct buf	 b;
	uint8_t		 tag, byte;
	size_t		 n = 0;
	int		 shift = 0;

	if (r->n == 0)
		return -1;
	if (r->n == 1) {
		/* a single item is its own Envelope: drop the frame */
		buf_init(&b, r->w.p, r->w.len);
		if (buf_get_u8(&b, &tag) == -1)
			fatalx(LOG_HA, "empty sync record");
		do {
			if (buf_get_u8(&b, &byte) == -1)
				fatalx(LOG_HA, "bad sync record frame");
			n |= (size_t)(byte & 0x7f) << shift;
			shift += 7;
		} while (byte & 0x80);
		*out = xmalloc(n);
		memcpy(*out, buf_cur(&b), n);
		*outlen = n;
	} else {
		wbuf_init_dyn(&w, r->w.len + 8);
		wbuf_put_u8(&w, TAG_ENV_BATCH);
		put_varint(&w, r->w.len);
		wbuf_put_bytes(&w, r->w.p, r->w.len);
		if (wbuf_error(&w))
			fatalx(LOG_HA, "cannot build a sync record");
		*out = w.p;
		*outlen = w.len;
	}
	OPENSSL_cleanse(r->w.p, r->w.len);
	r->w.len = 0;
	r->n = 0;
	return 0;
}

int
ha_msg_encode(const struct ha_msg *m, uint8_t **out, size_t *outlen)
{
	struct ha_rec	 r;
	int		 rc;

	ha_rec_init(&r);
	rc = ha_rec_add(&r, m);
	if (rc == 0)
		rc = ha_rec_take(&r, out, outlen);
	ha_rec_cleanup(&r);
	return rc;
}
