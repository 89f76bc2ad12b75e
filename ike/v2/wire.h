/*
 * ike/v2/wire.h: IKEv2 on the wire, internal to ike/.
 *
 * The constants of RFC 7296 section 3 and of the extensions havpn meets
 * (RFC 7383 fragmentation, RFC 7427 signature hashes, RFC 6311 HA sync),
 * each defined once in an X-macro table that also gives its name for logs
 * and show output; and the pure codec of ike/v2/payload.c: bytes in,
 * structs and an error string out, no state, so that unit tests and the
 * fuzzer call it directly.  Transform IDs are alg/'s (alg_cipher.ikev2,
 * alg_hmac.ikev2_prf and ikev2_integ, the DH group numbers).
 *
 * Every struct the parsers fill borrows the message's memory.  What the
 * RFC says "MUST be ignored on receipt" (RESERVED fields, the critical
 * bit of a payload we know, the minor version, the undefined flags) is
 * ignored, so writing what was parsed gives the same bytes when those
 * were zero, and a fixed point in any case.
 */
#ifndef HAVPN_IKE_V2_WIRE_H
#define HAVPN_IKE_V2_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"

#define IKE2_HDR_LEN		28
#define IKE2_GEN_LEN		4	/* generic payload header */
#define IKE2_SPI_LEN		8	/* an IKE SA's SPI */
#define IKE2_CHILD_SPI_LEN	4	/* ESP's and AH's */
#define IKE2_VERSION		0x20	/* major 2, minor 0 */
#define IKE2_NONCE_MIN		16	/* 3.9: 16 to 256 octets */
#define IKE2_NONCE_MAX		256
#define IKE2_NATD_LEN		20	/* 2.23: a SHA-1 digest */
#define IKE2_COOKIE_MAX		64	/* 2.6: 1 to 64 octets */
#define IKE2_CRITICAL		0x80	/* 3.2: of the generic header's
					   second octet */

/* 3.1 header flags; the other bits are sent 0 and ignored */
#define IKE2_FLAG_I		0x08	/* sent by the original initiator */
#define IKE2_FLAG_V		0x10	/* a higher version is spoken */
#define IKE2_FLAG_R		0x20	/* a response */

#define IKE2_MAJOR(version)	((version) >> 4)

/* 3.2 payload types, with RFC 7383's SKF.  X(name, value, text) */
#define IKE2_PAYLOAD_TYPES(X)						\
	X(NONE, 0, "NONE")						\
	X(SA, 33, "SA")							\
	X(KE, 34, "KE")							\
	X(IDI, 35, "IDi")						\
	X(IDR, 36, "IDr")						\
	X(CERT, 37, "CERT")						\
	X(CERTREQ, 38, "CERTREQ")					\
	X(AUTH, 39, "AUTH")						\
	X(NONCE, 40, "No")						\
	X(N, 41, "N")							\
	X(D, 42, "D")							\
	X(V, 43, "V")							\
	X(TSI, 44, "TSi")						\
	X(TSR, 45, "TSr")						\
	X(SK, 46, "SK")							\
	X(CP, 47, "CP")							\
	X(EAP, 48, "EAP")						\
	X(SKF, 53, "SKF")

enum ike2_payload_type {
#define X(n, v, s)	IKE2_PL_##n = v,
	IKE2_PAYLOAD_TYPES(X)
#undef X
};

/* 3.1 exchange types */
#define IKE2_EXCHANGES(X)						\
	X(IKE_SA_INIT, 34, "IKE_SA_INIT")				\
	X(IKE_AUTH, 35, "IKE_AUTH")					\
	X(CREATE_CHILD_SA, 36, "CREATE_CHILD_SA")			\
	X(INFORMATIONAL, 37, "INFORMATIONAL")

enum ike2_exchange {
#define X(n, v, s)	IKE2_EX_##n = v,
	IKE2_EXCHANGES(X)
#undef X
};

/*
 * 3.10.1 notify message types (errors below 16384, status above), with
 * those of RFC 4555, 4478, 4739, 5685, 5998, 6023, 6290, 6311, 7383 and
 * 7427.  X(name, value, min, max, step): the Notification Data of a
 * type havpn reads is checked to be min to max octets, a multiple of
 * step; other types carry what they carry (IKE2_ND_ANY).
 */
#define IKE2_ND_ANY		0xffff
#define IKE2_NOTIFY_TYPES(X)						\
	X(UNSUPPORTED_CRITICAL_PAYLOAD, 1, 1, 1, 1)			\
	X(INVALID_IKE_SPI, 4, 0, IKE2_ND_ANY, 1)			\
	X(INVALID_MAJOR_VERSION, 5, 0, IKE2_ND_ANY, 1)			\
	X(INVALID_SYNTAX, 7, 0, IKE2_ND_ANY, 1)				\
	X(INVALID_MESSAGE_ID, 9, 0, IKE2_ND_ANY, 1)			\
	X(INVALID_SPI, 11, 0, IKE2_ND_ANY, 1)				\
	X(NO_PROPOSAL_CHOSEN, 14, 0, IKE2_ND_ANY, 1)			\
	X(INVALID_KE_PAYLOAD, 17, 2, 2, 1)				\
	X(AUTHENTICATION_FAILED, 24, 0, IKE2_ND_ANY, 1)			\
	X(SINGLE_PAIR_REQUIRED, 34, 0, IKE2_ND_ANY, 1)			\
	X(NO_ADDITIONAL_SAS, 35, 0, IKE2_ND_ANY, 1)			\
	X(INTERNAL_ADDRESS_FAILURE, 36, 0, IKE2_ND_ANY, 1)		\
	X(FAILED_CP_REQUIRED, 37, 0, IKE2_ND_ANY, 1)			\
	X(TS_UNACCEPTABLE, 38, 0, IKE2_ND_ANY, 1)			\
	X(INVALID_SELECTORS, 39, 0, IKE2_ND_ANY, 1)			\
	X(TEMPORARY_FAILURE, 43, 0, IKE2_ND_ANY, 1)			\
	X(CHILD_SA_NOT_FOUND, 44, 0, IKE2_ND_ANY, 1)			\
	X(INITIAL_CONTACT, 16384, 0, IKE2_ND_ANY, 1)			\
	X(SET_WINDOW_SIZE, 16385, 4, 4, 1)				\
	X(ADDITIONAL_TS_POSSIBLE, 16386, 0, IKE2_ND_ANY, 1)		\
	X(IPCOMP_SUPPORTED, 16387, 0, IKE2_ND_ANY, 1)			\
	X(NAT_DETECTION_SOURCE_IP, 16388, IKE2_NATD_LEN, IKE2_NATD_LEN, 1) \
	X(NAT_DETECTION_DESTINATION_IP, 16389, IKE2_NATD_LEN,		\
	    IKE2_NATD_LEN, 1)						\
	X(COOKIE, 16390, 1, IKE2_COOKIE_MAX, 1)				\
	X(USE_TRANSPORT_MODE, 16391, 0, IKE2_ND_ANY, 1)			\
	X(HTTP_CERT_LOOKUP_SUPPORTED, 16392, 0, IKE2_ND_ANY, 1)		\
	X(REKEY_SA, 16393, 0, IKE2_ND_ANY, 1)				\
	X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394, 0, IKE2_ND_ANY, 1)	\
	X(NON_FIRST_FRAGMENTS_ALSO, 16395, 0, IKE2_ND_ANY, 1)		\
	X(MOBIKE_SUPPORTED, 16396, 0, IKE2_ND_ANY, 1)			\
	X(ADDITIONAL_IP4_ADDRESS, 16397, 0, IKE2_ND_ANY, 1)		\
	X(ADDITIONAL_IP6_ADDRESS, 16398, 0, IKE2_ND_ANY, 1)		\
	X(NO_ADDITIONAL_ADDRESSES, 16399, 0, IKE2_ND_ANY, 1)		\
	X(UPDATE_SA_ADDRESSES, 16400, 0, IKE2_ND_ANY, 1)		\
	X(COOKIE2, 16401, 0, IKE2_ND_ANY, 1)				\
	X(NO_NATS_ALLOWED, 16402, 0, IKE2_ND_ANY, 1)			\
	X(AUTH_LIFETIME, 16403, 0, IKE2_ND_ANY, 1)			\
	X(MULTIPLE_AUTH_SUPPORTED, 16404, 0, IKE2_ND_ANY, 1)		\
	X(ANOTHER_AUTH_FOLLOWS, 16405, 0, IKE2_ND_ANY, 1)		\
	X(REDIRECT_SUPPORTED, 16406, 0, IKE2_ND_ANY, 1)			\
	X(REDIRECT, 16407, 0, IKE2_ND_ANY, 1)				\
	X(REDIRECTED_FROM, 16408, 0, IKE2_ND_ANY, 1)			\
	X(EAP_ONLY_AUTHENTICATION, 16417, 0, IKE2_ND_ANY, 1)		\
	X(CHILDLESS_IKEV2_SUPPORTED, 16418, 0, IKE2_ND_ANY, 1)		\
	X(QUICK_CRASH_DETECTION, 16419, 0, IKE2_ND_ANY, 1)		\
	X(IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 16420, 0, IKE2_ND_ANY, 1)	\
	X(IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, 16421, 0, IKE2_ND_ANY, 1) \
	X(IKEV2_MESSAGE_ID_SYNC, 16422, 12, 12, 1)			\
	X(IPSEC_REPLAY_COUNTER_SYNC, 16423, 0, IKE2_ND_ANY, 1)		\
	X(IKEV2_FRAGMENTATION_SUPPORTED, 16430, 0, IKE2_ND_ANY, 1)	\
	X(SIGNATURE_HASH_ALGORITHMS, 16431, 2, IKE2_ND_ANY, 2)

enum ike2_notify_type {
#define X(n, v, lo, hi, step)	IKE2_N_##n = v,
	IKE2_NOTIFY_TYPES(X)
#undef X
};

#define IKE2_N_STATUS_MIN	16384	/* 3.10.1: lower types are errors */

/* 3.3.1 protocol IDs (SA, Notify, Delete) */
#define IKE2_PROTOCOLS(X)						\
	X(IKE, 1, "IKE")						\
	X(AH, 2, "AH")							\
	X(ESP, 3, "ESP")

enum ike2_proto {
#define X(n, v, s)	IKE2_PROTO_##n = v,
	IKE2_PROTOCOLS(X)
#undef X
};

/* 3.3.2 transform types */
#define IKE2_XF_TYPES(X)						\
	X(ENCR, 1, "ENCR")						\
	X(PRF, 2, "PRF")						\
	X(INTEG, 3, "INTEG")						\
	X(DH, 4, "D-H")							\
	X(ESN, 5, "ESN")

enum ike2_xf_type {
#define X(n, v, s)	IKE2_T_##n = v,
	IKE2_XF_TYPES(X)
#undef X
};

/* 3.3.2 transform type 5 IDs; 3.3.5 the one attribute, in TV form */
#define IKE2_ESN_NO		0
#define IKE2_ESN_YES		1
#define IKE2_ATTR_KEY_LENGTH	14

/* 3.5 identification types */
#define IKE2_ID_TYPES(X)						\
	X(IPV4_ADDR, 1, "ID_IPV4_ADDR")					\
	X(FQDN, 2, "ID_FQDN")						\
	X(RFC822_ADDR, 3, "ID_RFC822_ADDR")				\
	X(IPV6_ADDR, 5, "ID_IPV6_ADDR")					\
	X(DER_ASN1_DN, 9, "ID_DER_ASN1_DN")				\
	X(DER_ASN1_GN, 10, "ID_DER_ASN1_GN")				\
	X(KEY_ID, 11, "ID_KEY_ID")

enum ike2_id_type {
#define X(n, v, s)	IKE2_ID_##n = v,
	IKE2_ID_TYPES(X)
#undef X
};

/* 3.8 authentication methods, RFC 4754 (ECDSA), RFC 7427 */
#define IKE2_AUTH_METHODS(X)						\
	X(RSA_SIG, 1, "RSA Digital Signature")				\
	X(PSK, 2, "Shared Key Message Integrity Code")			\
	X(DSS_SIG, 3, "DSS Digital Signature")				\
	X(ECDSA_256, 9, "ECDSA with SHA-256 on the P-256 curve")	\
	X(ECDSA_384, 10, "ECDSA with SHA-384 on the P-384 curve")	\
	X(ECDSA_521, 11, "ECDSA with SHA-512 on the P-521 curve")	\
	X(DIGITAL_SIG, 14, "Digital Signature")

enum ike2_auth_method {
#define X(n, v, s)	IKE2_AUTH_##n = v,
	IKE2_AUTH_METHODS(X)
#undef X
};

/* 3.6 certificate encodings (CERT and CERTREQ) */
#define IKE2_CERT_ENCODINGS(X)						\
	X(PKCS7, 1, "PKCS #7 wrapped X.509 certificate")		\
	X(PGP, 2, "PGP Certificate")					\
	X(DNS_KEY, 3, "DNS Signed Key")					\
	X(X509_SIG, 4, "X.509 Certificate - Signature")			\
	X(KERBEROS, 6, "Kerberos Token")				\
	X(CRL, 7, "Certificate Revocation List (CRL)")			\
	X(ARL, 8, "Authority Revocation List (ARL)")			\
	X(SPKI, 9, "SPKI Certificate")					\
	X(X509_ATTR, 10, "X.509 Certificate - Attribute")		\
	X(RAW_RSA, 11, "Raw RSA Key")					\
	X(HASH_URL_X509, 12, "Hash and URL of X.509 certificate")	\
	X(HASH_URL_BUNDLE, 13, "Hash and URL of X.509 bundle")

enum ike2_cert_encoding {
#define X(n, v, s)	IKE2_CERT_##n = v,
	IKE2_CERT_ENCODINGS(X)
#undef X
};

/* 3.13.1 traffic selector types */
#define IKE2_TS_TYPES(X)						\
	X(IPV4_ADDR_RANGE, 7, "TS_IPV4_ADDR_RANGE")			\
	X(IPV6_ADDR_RANGE, 8, "TS_IPV6_ADDR_RANGE")

enum ike2_ts_type {
#define X(n, v, s)	IKE2_TS_##n = v,
	IKE2_TS_TYPES(X)
#undef X
};

/* 3.15 configuration types and 3.15.1 attribute types */
#define IKE2_CFG_TYPES(X)						\
	X(REQUEST, 1, "CFG_REQUEST")					\
	X(REPLY, 2, "CFG_REPLY")					\
	X(SET, 3, "CFG_SET")						\
	X(ACK, 4, "CFG_ACK")

enum ike2_cfg_type {
#define X(n, v, s)	IKE2_CFG_##n = v,
	IKE2_CFG_TYPES(X)
#undef X
};

#define IKE2_CFG_ATTRS(X)						\
	X(INTERNAL_IP4_ADDRESS, 1, "INTERNAL_IP4_ADDRESS")		\
	X(INTERNAL_IP4_NETMASK, 2, "INTERNAL_IP4_NETMASK")		\
	X(INTERNAL_IP4_DNS, 3, "INTERNAL_IP4_DNS")			\
	X(INTERNAL_IP4_NBNS, 4, "INTERNAL_IP4_NBNS")			\
	X(INTERNAL_IP4_DHCP, 6, "INTERNAL_IP4_DHCP")			\
	X(APPLICATION_VERSION, 7, "APPLICATION_VERSION")		\
	X(INTERNAL_IP6_ADDRESS, 8, "INTERNAL_IP6_ADDRESS")		\
	X(INTERNAL_IP6_DNS, 10, "INTERNAL_IP6_DNS")			\
	X(INTERNAL_IP6_DHCP, 12, "INTERNAL_IP6_DHCP")			\
	X(INTERNAL_IP4_SUBNET, 13, "INTERNAL_IP4_SUBNET")		\
	X(SUPPORTED_ATTRIBUTES, 14, "SUPPORTED_ATTRIBUTES")		\
	X(INTERNAL_IP6_SUBNET, 15, "INTERNAL_IP6_SUBNET")

enum ike2_cfg_attr_type {
#define X(n, v, s)	IKE2_CFGA_##n = v,
	IKE2_CFG_ATTRS(X)
#undef X
};

/* Names for logs and show output; "<unknown N>" for others. */
const char	*ike2_payload_name(unsigned int);
const char	*ike2_exchange_name(unsigned int);
const char	*ike2_notify_name(unsigned int);
const char	*ike2_proto_name(unsigned int);
const char	*ike2_xf_type_name(unsigned int);
const char	*ike2_id_type_name(unsigned int);
const char	*ike2_auth_method_name(unsigned int);
const char	*ike2_cert_encoding_name(unsigned int);
const char	*ike2_ts_type_name(unsigned int);
const char	*ike2_cfg_type_name(unsigned int);
const char	*ike2_cfg_attr_name(unsigned int);

/* ---- parsing ------------------------------------------------------------ */

/* 3.1: the fixed header. */
struct ike2_hdr {
	uint8_t		 spii[IKE2_SPI_LEN];
	uint8_t		 spir[IKE2_SPI_LEN];
	uint8_t		 np;		/* first payload */
	uint8_t		 version;	/* IKE2_MAJOR() */
	uint8_t		 exchange;
	uint8_t		 flags;
	uint32_t	 msgid;
	uint32_t	 length;
};

/*
 * The header of a datagram, b over all of it.  -1 with *err saying why and
 * *notify the notification the peer may get: IKE2_N_INVALID_MAJOR_VERSION
 * for a major version other than 2 (the header is then filled, so the
 * answer can carry the SPIs), 0 for anything else (drop).
 */
int		 ike2_hdr_parse(struct buf *, struct ike2_hdr *, uint16_t *,
		    const char **);

/* One payload of a message, borrowed. */
struct ike2_pl {
	uint8_t		 type;
	const uint8_t	*raw;		/* from the generic header on */
	size_t		 rawlen;	/* its Payload Length */
	struct buf	 body;		/* after the generic header */
};

#define IKE2_MAX_PAYLOADS	64

struct ike2_pls {
	struct ike2_pl	 pl[IKE2_MAX_PAYLOADS];
	int		 n;
	int		 skipped;	/* unknown, not critical: ignored */
	uint8_t		 critical;	/* UNSUPPORTED_CRITICAL_PAYLOAD: the
					   unknown payload's type */
	/*
	 * The Encrypted (SK) or Encrypted Fragment (SKF) payload, always
	 * the last (enc -1: none).  enc_off is the offset of its IV from
	 * the start of b's memory (the datagram: ike2_sk_open's aadlen),
	 * enc_len the IV, ciphertext and ICV; enc_np the type of the first
	 * inner payload (0 in an SKF other than the first).
	 */
	int		 enc;
	uint8_t		 enc_np;
	size_t		 enc_off;
	size_t		 enc_len;
	uint16_t	 frag_num;	/* SKF: 1 <= frag_num <= frag_total */
	uint16_t	 frag_total;
};

/*
 * The payload chain starting with type first, from b to its end: a
 * datagram after its header (outer), or the plaintext of an SK payload
 * (inner: an SK or SKF in it is an error).  Unknown payload types are
 * skipped and counted unless critical: then -1 with *notify
 * IKE2_N_UNSUPPORTED_CRITICAL_PAYLOAD and out->critical the type.  Any
 * other error: -1 with *notify IKE2_N_INVALID_SYNTAX.
 */
int		 ike2_pls_parse(struct buf *, uint8_t, int, struct ike2_pls *,
		    uint16_t *, const char **);
/* The first payload of a type, or NULL; count gives how many there are. */
const struct ike2_pl *ike2_pls_find(const struct ike2_pls *, uint8_t);
int		 ike2_pls_count(const struct ike2_pls *, uint8_t);

/*
 * Every typed parser below takes a payload's body (ike2_pl.body) and
 * returns 0, or -1 with *err saying what was wrong (the caller answers
 * INVALID_SYNTAX where the exchange allows it).
 */

/*
 * 3.3 SA payload.  A transform havpn cannot use is kept with usable 0
 * (3.3.6: an attribute it does not know, a Key Length in TLV form or
 * twice), a proposal with usable 0 (a transform type or protocol it
 * does not know): neither makes the message invalid.  Proposal numbers
 * must rise by one (3.3); that the first of an offer is 1 and that an
 * IKE SPI is 0 in IKE_SA_INIT and 8 in CREATE_CHILD_SA are for the
 * caller, who knows the exchange.
 */
#define IKE2_MAX_PROPS		32
#define IKE2_MAX_XFORMS		128	/* per SA payload */

struct ike2_sa_xf {
	uint8_t		 type;		/* IKE2_T_* */
	uint16_t	 id;
	uint16_t	 keybits;	/* Key Length; 0: none */
	int		 usable;
	const uint8_t	*attrs;		/* as received; writing: NULL, and a
					   Key Length from keybits */
	size_t		 attrslen;
};

struct ike2_sa_prop {
	uint8_t		 num;
	uint8_t		 proto;		/* IKE2_PROTO_* */
	uint8_t		 spisize;	/* IKE 0 or 8, AH and ESP 4 */
	uint8_t		 spi[IKE2_SPI_LEN];
	int		 usable;
	int		 xf0;		/* first transform in the SA's pool */
	int		 nxf;
};

struct ike2_sa_pl {
	struct ike2_sa_prop prop[IKE2_MAX_PROPS];
	int		 nprops;
	struct ike2_sa_xf xf[IKE2_MAX_XFORMS];
	int		 nxf;
};

int		 ike2_sa_parse(struct buf, struct ike2_sa_pl *, const char **);

/* 3.4 key exchange */
struct ike2_ke {
	uint16_t	 group;
	const uint8_t	*data;
	size_t		 len;
};

int		 ike2_ke_parse(struct buf, struct ike2_ke *, const char **);

/*
 * 3.5 IDi and IDr.  An IPv4 or IPv6 address has its exact length, other
 * known types at least one octet; an unknown type is carried as it is.
 * The AUTH payload (2.15) signs the whole body as received: ike2_pl.body.
 */
struct ike2_id {
	uint8_t		 type;
	const uint8_t	*data;
	size_t		 len;
};

int		 ike2_id_parse(struct buf, struct ike2_id *, const char **);

/* 3.8 authentication (RFC 7427's Digital Signature: the AlgorithmIdentifier
 * length checked) */
struct ike2_auth {
	uint8_t		 method;
	const uint8_t	*data;
	size_t		 len;
};

int		 ike2_auth_parse(struct buf, struct ike2_auth *, const char **);

/* 3.9 nonce: IKE2_NONCE_MIN to IKE2_NONCE_MAX octets. */
int		 ike2_nonce_parse(struct buf, const uint8_t **, size_t *,
		    const char **);

/*
 * 3.10 notify.  SPI size 0, 4 or 8; the data length as the type's row of
 * IKE2_NOTIFY_TYPES says.
 */
struct ike2_notify {
	uint8_t		 proto;		/* 0 without an SPI */
	uint8_t		 spisize;
	uint16_t	 type;
	const uint8_t	*spi;
	const uint8_t	*data;
	size_t		 datalen;
};

int		 ike2_notify_parse(struct buf, struct ike2_notify *,
		    const char **);

/* RFC 6311 5.1: IKEV2_MESSAGE_ID_SYNC's data (host order). */
struct ike2_msgid_sync {
	uint8_t		 nonce[4];
	uint32_t	 send;		/* EXPECTED_SEND_REQ_MESSAGE_ID */
	uint32_t	 recv;		/* EXPECTED_RECV_REQ_MESSAGE_ID */
};

#define IKE2_MSGID_SYNC_LEN	12

/* From a parsed notify of that type (0), or -1; and its 12 data octets. */
int		 ike2_msgid_sync_get(const struct ike2_notify *,
		    struct ike2_msgid_sync *);
void		 ike2_msgid_sync_put(const struct ike2_msgid_sync *,
		    uint8_t *);

/*
 * 3.11 delete: IKE with no SPI and no count, AH and ESP with 4-octet
 * SPIs filling the payload.
 */
struct ike2_delete {
	uint8_t		 proto;
	uint8_t		 spisize;
	uint16_t	 nspis;
	const uint8_t	*spis;		/* nspis * spisize octets */
};

int		 ike2_delete_parse(struct buf, struct ike2_delete *,
		    const char **);

/*
 * 3.6 CERT and 3.7 CERTREQ: the encoding, then at least one octet (a
 * hash and URL at least a 20-octet hash and one); a CERTREQ for X.509
 * certificates a list of 20-octet SHA-1 hashes, maybe empty.
 */
struct ike2_cert {
	uint8_t		 encoding;
	const uint8_t	*data;
	size_t		 len;
};

int		 ike2_cert_parse(struct buf, struct ike2_cert *, const char **);
int		 ike2_certreq_parse(struct buf, struct ike2_cert *,
		    const char **);

/*
 * 3.13 TSi and TSr.  An address range has its exact length, a start at
 * most its end, ports likewise but for OPAQUE (65535 to 0, 3.13.1); an
 * unknown type is kept (known 0) as it came, for the caller to refuse.
 */
#define IKE2_MAX_TS		64
#define IKE2_OPAQUE_SPORT	65535
#define IKE2_OPAQUE_EPORT	0

struct ike2_ts {
	uint8_t		 type;		/* IKE2_TS_* */
	uint8_t		 proto;		/* IP protocol; 0: any */
	int		 known;
	uint16_t	 sport;
	uint16_t	 eport;
	size_t		 addrlen;	/* 4 or 16 */
	uint8_t		 start[16];
	uint8_t		 end[16];
	const uint8_t	*raw;		/* unknown type: after the selector
					   length */
	size_t		 rawlen;
};

struct ike2_ts_pl {
	struct ike2_ts	 ts[IKE2_MAX_TS];
	int		 n;
};

int		 ike2_ts_parse(struct buf, struct ike2_ts_pl *, const char **);

/* 3.15 configuration, its attributes generic. */
#define IKE2_MAX_CFG_ATTRS	64

struct ike2_cfg_attr {
	uint16_t	 type;		/* the reserved bit removed */
	uint16_t	 len;
	const uint8_t	*val;
};

struct ike2_cp {
	uint8_t		 type;		/* IKE2_CFG_* */
	struct ike2_cfg_attr attr[IKE2_MAX_CFG_ATTRS];
	int		 n;
};

int		 ike2_cp_parse(struct buf, struct ike2_cp *, const char **);

/* ---- building ------------------------------------------------------------ */

/*
 * A message under construction: the header, then payloads each opened
 * with ike2_wr_begin() (which links it into the previous payload's Next
 * Payload field) and closed with ike2_wr_end() (which sets its length);
 * ike2_wr_finish() puts the whole length in the header.  Errors add up in
 * the wbuf; check wbuf_error() once.
 *
 * An SK payload is opened with ike2_wr_sk_begin(), which leaves room for
 * the IV; the inner payloads written after it link into its Next Payload.
 * An SKF is opened with ike2_wr_skf_begin() and the caller puts its share
 * of the plaintext.  ike2_wr_enc_finish() closes either (always last): it
 * appends the padding, pad length and ICV room the caller asks for (from
 * ike2_sk_body_len()), sets the payload's and the message's lengths and
 * gives the aadlen ike2_sk_seal() takes.
 */
struct ike2_wr {
	struct wbuf	 w;
	size_t		 np_off;	/* the Next Payload octet to link */
	size_t		 enc_start;	/* the SK or SKF payload; 0: none */
	size_t		 enc_iv;	/* its IV's offset */
	size_t		 enc_plain;	/* its plaintext's */
};

/* spii, spir, exchange, flags, msgid of the header (its np, version and
 * length are the writer's) */
void		 ike2_wr_init(struct ike2_wr *, const struct ike2_hdr *);
size_t		 ike2_wr_begin(struct ike2_wr *, uint8_t);
void		 ike2_wr_end(struct ike2_wr *, size_t);
void		 ike2_wr_finish(struct ike2_wr *);
void		 ike2_wr_cleanup(struct ike2_wr *);

/* Whole payloads.  A plain body: Nonce, Vendor ID, EAP, any other. */
void		 ike2_wr_bytes(struct ike2_wr *, uint8_t, const void *, size_t);
void		 ike2_wr_sa(struct ike2_wr *, const struct ike2_sa_pl *);
void		 ike2_wr_ke(struct ike2_wr *, const struct ike2_ke *);
/* IDi or IDr, then the ID */
void		 ike2_wr_id(struct ike2_wr *, uint8_t, const struct ike2_id *);
void		 ike2_wr_auth(struct ike2_wr *, const struct ike2_auth *);
void		 ike2_wr_notify(struct ike2_wr *, const struct ike2_notify *);
void		 ike2_wr_delete(struct ike2_wr *, const struct ike2_delete *);
/* CERT or CERTREQ, then its encoding and data */
void		 ike2_wr_cert(struct ike2_wr *, uint8_t,
		    const struct ike2_cert *);
/* TSi or TSr */
void		 ike2_wr_ts(struct ike2_wr *, uint8_t,
		    const struct ike2_ts_pl *);
void		 ike2_wr_cp(struct ike2_wr *, const struct ike2_cp *);

/* The encrypted payloads: IV length; SKF also its Next Payload (the first
 * inner payload's type in fragment 1, else 0), number and total. */
void		 ike2_wr_sk_begin(struct ike2_wr *, size_t);
void		 ike2_wr_skf_begin(struct ike2_wr *, uint8_t, uint16_t,
		    uint16_t, size_t);
/* The plaintext written so far after the IV. */
size_t		 ike2_wr_enc_plainlen(const struct ike2_wr *);
/* Tail octets (zeros); *aadlen: the message up to the IV. */
void		 ike2_wr_enc_finish(struct ike2_wr *, size_t, size_t *);

/* ---- test hooks (test_wire.c: tests and fuzzers, never havpnd) ---------- */

/*
 * Every payload of a parsed chain parsed by its type and written again
 * (an SK or SKF copied as it is): 0, or -1 with the first error.
 */
int		 ike2_test_rewrite_pls(struct ike2_wr *, const struct ike2_pls *,
		    const char **);
/* A whole datagram so; wr is initialised here, the caller cleans it up. */
int		 ike2_test_rewrite(const uint8_t *, size_t, struct ike2_wr *,
		    const char **);

#endif
