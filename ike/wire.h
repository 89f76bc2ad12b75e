/*
 * ike/wire.h: ISAKMP on the wire, internal to ike/.
 *
 * The constants of RFC 2408 (ISAKMP), RFC 2407 (the IPsec DOI), RFC 2409
 * (IKEv1), RFC 3947 (NAT-T) and RFC 3706 (DPD), each defined once in an
 * X-macro table that also gives its name for logs and show output; and the
 * pure codec of ike/payload.c: bytes in, structs and an error string out,
 * no state, so that unit tests and the fuzzer call it directly.
 *
 * Every struct the parsers fill borrows the message's memory.
 */
#ifndef HAVPN_IKE_WIRE_H
#define HAVPN_IKE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "lib/lib.h"

#define IKE_PORT		500
#define IKE_NATT_PORT		4500
#define IKE_HDR_LEN		28
#define IKE_GEN_LEN		4	/* generic payload header */
#define IKE_COOKIE_LEN		8
#define IKE_VERSION		0x10	/* major 1, minor 0 */
#define IKE_MAX_MSG		10000	/* larger datagrams are dropped */
#define IKE_NONCE_MIN		8	/* RFC 2409 5: 8 to 256 bytes */
#define IKE_NONCE_MAX		256
#define IKE_NONCE_LEN		32	/* what havpn sends */

/* RFC 2408 3.1 header flags */
#define IKE_FLAG_ENC		0x01
#define IKE_FLAG_COMMIT		0x02
#define IKE_FLAG_AUTHONLY	0x04

/* X(name, value, text) */
#define IKE_PAYLOAD_TYPES(X)						\
	X(NONE, 0, "NONE")						\
	X(SA, 1, "SA")							\
	X(P, 2, "PROPOSAL")						\
	X(T, 3, "TRANSFORM")						\
	X(KE, 4, "KE")							\
	X(ID, 5, "ID")							\
	X(CERT, 6, "CERT")						\
	X(CR, 7, "CERT_REQ")						\
	X(HASH, 8, "HASH")						\
	X(SIG, 9, "SIG")						\
	X(NONCE, 10, "NONCE")						\
	X(N, 11, "NOTIFY")						\
	X(D, 12, "DELETE")						\
	X(VID, 13, "VENDOR")						\
	X(ATTR, 14, "ATTR")						\
	X(NATD, 20, "NAT-D")						\
	X(NATOA, 21, "NAT-OA")						\
	X(NATD_DRAFT, 130, "NAT-D-DRAFT")				\
	X(NATOA_DRAFT, 131, "NAT-OA-DRAFT")				\
	X(FRAG, 132, "FRAGMENT")

enum ike_payload_type {
#define X(n, v, s)	IKE_PL_##n = v,
	IKE_PAYLOAD_TYPES(X)
#undef X
};

/* RFC 2408 3.1, RFC 2409 */
#define IKE_EXCHANGES(X)						\
	X(NONE, 0, "NONE")						\
	X(BASE, 1, "Base")						\
	X(MAIN, 2, "Main Mode")						\
	X(AUTHONLY, 3, "Authentication Only")				\
	X(AGGRESSIVE, 4, "Aggressive Mode")				\
	X(INFO, 5, "Informational")					\
	X(TRANSACTION, 6, "Transaction")				\
	X(QUICK, 32, "Quick Mode")					\
	X(NEWGROUP, 33, "New Group Mode")

enum ike_exchange {
#define X(n, v, s)	IKE_EX_##n = v,
	IKE_EXCHANGES(X)
#undef X
};

/* RFC 2408 3.14.1 (errors), 3.14.2 (status), RFC 2407 4.6.3, RFC 3706 */
#define IKE_NOTIFY_TYPES(X)						\
	X(INVALID_PAYLOAD_TYPE, 1, "INVALID_PAYLOAD_TYPE")		\
	X(DOI_NOT_SUPPORTED, 2, "DOI_NOT_SUPPORTED")			\
	X(SITUATION_NOT_SUPPORTED, 3, "SITUATION_NOT_SUPPORTED")	\
	X(INVALID_COOKIE, 4, "INVALID_COOKIE")				\
	X(INVALID_MAJOR_VERSION, 5, "INVALID_MAJOR_VERSION")		\
	X(INVALID_MINOR_VERSION, 6, "INVALID_MINOR_VERSION")		\
	X(INVALID_EXCHANGE_TYPE, 7, "INVALID_EXCHANGE_TYPE")		\
	X(INVALID_FLAGS, 8, "INVALID_FLAGS")				\
	X(INVALID_MESSAGE_ID, 9, "INVALID_MESSAGE_ID")			\
	X(INVALID_PROTOCOL_ID, 10, "INVALID_PROTOCOL_ID")		\
	X(INVALID_SPI, 11, "INVALID_SPI")				\
	X(INVALID_TRANSFORM_ID, 12, "INVALID_TRANSFORM_ID")		\
	X(ATTRIBUTES_NOT_SUPPORTED, 13, "ATTRIBUTES_NOT_SUPPORTED")	\
	X(NO_PROPOSAL_CHOSEN, 14, "NO_PROPOSAL_CHOSEN")			\
	X(BAD_PROPOSAL_SYNTAX, 15, "BAD_PROPOSAL_SYNTAX")		\
	X(PAYLOAD_MALFORMED, 16, "PAYLOAD_MALFORMED")			\
	X(INVALID_KEY_INFORMATION, 17, "INVALID_KEY_INFORMATION")	\
	X(INVALID_ID_INFORMATION, 18, "INVALID_ID_INFORMATION")		\
	X(INVALID_CERT_ENCODING, 19, "INVALID_CERT_ENCODING")		\
	X(INVALID_CERTIFICATE, 20, "INVALID_CERTIFICATE")		\
	X(CERT_TYPE_UNSUPPORTED, 21, "CERT_TYPE_UNSUPPORTED")		\
	X(INVALID_CERT_AUTHORITY, 22, "INVALID_CERT_AUTHORITY")		\
	X(INVALID_HASH_INFORMATION, 23, "INVALID_HASH_INFORMATION")	\
	X(AUTHENTICATION_FAILED, 24, "AUTHENTICATION_FAILED")		\
	X(INVALID_SIGNATURE, 25, "INVALID_SIGNATURE")			\
	X(ADDRESS_NOTIFICATION, 26, "ADDRESS_NOTIFICATION")		\
	X(NOTIFY_SA_LIFETIME, 27, "NOTIFY_SA_LIFETIME")			\
	X(CERTIFICATE_UNAVAILABLE, 28, "CERTIFICATE_UNAVAILABLE")	\
	X(UNSUPPORTED_EXCHANGE_TYPE, 29, "UNSUPPORTED_EXCHANGE_TYPE")	\
	X(UNEQUAL_PAYLOAD_LENGTHS, 30, "UNEQUAL_PAYLOAD_LENGTHS")	\
	X(CONNECTED, 16384, "CONNECTED")				\
	X(RESPONDER_LIFETIME, 24576, "RESPONDER_LIFETIME")		\
	X(REPLAY_STATUS, 24577, "REPLAY_STATUS")			\
	X(INITIAL_CONTACT, 24578, "INITIAL_CONTACT")			\
	X(R_U_THERE, 36136, "R_U_THERE")				\
	X(R_U_THERE_ACK, 36137, "R_U_THERE_ACK")

enum ike_notify_type {
#define X(n, v, s)	IKE_N_##n = v,
	IKE_NOTIFY_TYPES(X)
#undef X
};

/* RFC 2407 4.4.1 protocol IDs */
#define IKE_PROTOCOLS(X)						\
	X(ISAKMP, 1, "ISAKMP")						\
	X(AH, 2, "AH")							\
	X(ESP, 3, "ESP")						\
	X(IPCOMP, 4, "IPCOMP")

enum ike_proto {
#define X(n, v, s)	IKE_PROTO_##n = v,
	IKE_PROTOCOLS(X)
#undef X
};

#define IKE_DOI_IPSEC		1	/* RFC 2407 4.2 */
#define IKE_SIT_IDENTITY_ONLY	1	/* RFC 2407 4.2 */
#define IKE_XF_KEY_IKE		1	/* RFC 2407 4.4.2 */

/* RFC 2409 Appendix A: phase 1 attribute classes */
#define IKE_P1_ATTRS(X)							\
	X(ENC, 1, "encryption")						\
	X(HASH, 2, "hash")						\
	X(AUTH, 3, "auth")						\
	X(GROUP, 4, "group")						\
	X(GROUP_TYPE, 5, "group type")					\
	X(GROUP_PRIME, 6, "group prime")				\
	X(GROUP_GEN1, 7, "group generator one")				\
	X(GROUP_GEN2, 8, "group generator two")				\
	X(GROUP_CURVE_A, 9, "group curve A")				\
	X(GROUP_CURVE_B, 10, "group curve B")				\
	X(LIFE_TYPE, 11, "life type")					\
	X(LIFE_DURATION, 12, "life duration")				\
	X(PRF, 13, "prf")						\
	X(KEY_LENGTH, 14, "keylength")					\
	X(FIELD_SIZE, 15, "field size")					\
	X(GROUP_ORDER, 16, "group order")

enum ike_p1_attr {
#define X(n, v, s)	IKE_P1A_##n = v,
	IKE_P1_ATTRS(X)
#undef X
};

/* phase 1 encryption algorithms (RFC 2409 App. A, RFC 3602) */
#define IKE_P1_ENCS(X)							\
	X(DES, 1, "DES-CBC")						\
	X(IDEA, 2, "IDEA-CBC")						\
	X(BLOWFISH, 3, "BLOWFISH-CBC")					\
	X(RC5, 4, "RC5-R16-B64-CBC")					\
	X(3DES, 5, "3DES-CBC")						\
	X(CAST, 6, "CAST-CBC")						\
	X(AES, 7, "AES-CBC")

enum ike_p1_enc {
#define X(n, v, s)	IKE_ENC_##n = v,
	IKE_P1_ENCS(X)
#undef X
};

/* phase 1 hashes (RFC 2409 App. A, RFC 4868 for SHA-2) */
#define IKE_P1_HASHES(X)						\
	X(MD5, 1, "MD5")						\
	X(SHA1, 2, "SHA")						\
	X(TIGER, 3, "TIGER")						\
	X(SHA256, 4, "SHA256")						\
	X(SHA384, 5, "SHA384")						\
	X(SHA512, 6, "SHA512")

enum ike_p1_hash {
#define X(n, v, s)	IKE_HASH_##n = v,
	IKE_P1_HASHES(X)
#undef X
};

/* phase 1 authentication methods */
#define IKE_P1_AUTHS(X)							\
	X(PSK, 1, "pre-share")						\
	X(DSS, 2, "dss-sig")						\
	X(RSA_SIG, 3, "rsa-sig")					\
	X(RSA_ENC, 4, "rsa-encr")					\
	X(RSA_REV, 5, "rsa-revised-encr")				\
	X(XAUTH_PSK_I, 65001, "xauth-init-preshared")			\
	X(XAUTH_PSK_R, 65002, "xauth-resp-preshared")

enum ike_p1_auth {
#define X(n, v, s)	IKE_AUTH_##n = v,
	IKE_P1_AUTHS(X)
#undef X
};

#define IKE_LIFE_SECONDS	1
#define IKE_LIFE_KILOBYTES	2

/* RFC 2407 4.5: phase 2 (IPsec DOI) attribute classes */
#define IKE_P2_ATTRS(X)							\
	X(LIFE_TYPE, 1, "SA life type")					\
	X(LIFE_DURATION, 2, "SA life duration")				\
	X(GROUP, 3, "group")						\
	X(ENCAP, 4, "encaps")						\
	X(AUTH, 5, "authenticator")					\
	X(KEY_LENGTH, 6, "key length")					\
	X(KEY_ROUNDS, 7, "key rounds")					\
	X(COMP_DICT, 8, "compress dictionary size")			\
	X(COMP_ALG, 9, "compress private algorithm")			\
	X(ESN, 11, "extended sequence number")

enum ike_p2_attr {
#define X(n, v, s)	IKE_P2A_##n = v,
	IKE_P2_ATTRS(X)
#undef X
};

/* encapsulation modes: RFC 2407, RFC 3947, and the NAT-T drafts */
#define IKE_ENCAPS(X)							\
	X(TUNNEL, 1, "Tunnel")						\
	X(TRANSPORT, 2, "Transport")					\
	X(UDP_TUNNEL, 3, "UDP-Encapsulated-Tunnel")			\
	X(UDP_TRANSPORT, 4, "UDP-Encapsulated-Transport")		\
	X(UDP_TUNNEL_DRAFT, 61443, "UDP-Encapsulated-Tunnel (draft)")	\
	X(UDP_TRANSPORT_DRAFT, 61444, "UDP-Encapsulated-Transport (draft)")

enum ike_encap {
#define X(n, v, s)	IKE_ENCAP_##n = v,
	IKE_ENCAPS(X)
#undef X
};

/* ESP authentication algorithms (RFC 2407 4.5, RFC 4868) */
#define IKE_P2_AUTHS(X)							\
	X(MD5, 1, "HMAC-MD5")						\
	X(SHA1, 2, "HMAC-SHA")						\
	X(DES_MAC, 3, "DES-MAC")					\
	X(KPDK, 4, "KPDK")						\
	X(SHA256, 5, "HMAC-SHA256")					\
	X(SHA384, 6, "HMAC-SHA384")					\
	X(SHA512, 7, "HMAC-SHA512")

enum ike_p2_auth {
#define X(n, v, s)	IKE_P2AUTH_##n = v,
	IKE_P2_AUTHS(X)
#undef X
};

/* ESP transform IDs (RFC 2407 4.4.4, RFC 3602, RFC 4106) */
#define IKE_ESP_IDS(X)							\
	X(DES_IV64, 1, "ESP_DES_IV64")					\
	X(DES, 2, "ESP_DES")						\
	X(3DES, 3, "ESP_3DES")						\
	X(RC5, 4, "ESP_RC5")						\
	X(IDEA, 5, "ESP_IDEA")						\
	X(CAST, 6, "ESP_CAST")						\
	X(BLOWFISH, 7, "ESP_BLOWFISH")					\
	X(3IDEA, 8, "ESP_3IDEA")					\
	X(DES_IV32, 9, "ESP_DES_IV32")					\
	X(RC4, 10, "ESP_RC4")						\
	X(NULL, 11, "ESP_NULL")						\
	X(AES, 12, "ESP_AES")						\
	X(AES_CTR, 13, "ESP_AES_CTR")					\
	X(AES_CCM_8, 14, "ESP_AES_CCM_8")				\
	X(AES_CCM_12, 15, "ESP_AES_CCM_12")				\
	X(AES_CCM_16, 16, "ESP_AES_CCM_16")				\
	X(AES_GCM_8, 18, "ESP_AES_GCM_8")				\
	X(AES_GCM_12, 19, "ESP_AES_GCM_12")				\
	X(AES_GCM_16, 20, "ESP_AES_GCM_16")

enum ike_esp_id {
#define X(n, v, s)	IKE_ESP_##n = v,
	IKE_ESP_IDS(X)
#undef X
};

/* RFC 2407 4.6.2.1 identification types */
#define IKE_ID_TYPES(X)							\
	X(IPV4_ADDR, 1, "ID_IPV4_ADDR")					\
	X(FQDN, 2, "ID_FQDN")						\
	X(USER_FQDN, 3, "ID_USER_FQDN")					\
	X(IPV4_ADDR_SUBNET, 4, "ID_IPV4_ADDR_SUBNET")			\
	X(IPV6_ADDR, 5, "ID_IPV6_ADDR")					\
	X(IPV6_ADDR_SUBNET, 6, "ID_IPV6_ADDR_SUBNET")			\
	X(IPV4_ADDR_RANGE, 7, "ID_IPV4_ADDR_RANGE")			\
	X(IPV6_ADDR_RANGE, 8, "ID_IPV6_ADDR_RANGE")			\
	X(DER_ASN1_DN, 9, "ID_DER_ASN1_DN")				\
	X(DER_ASN1_GN, 10, "ID_DER_ASN1_GN")				\
	X(KEY_ID, 11, "ID_KEY_ID")

enum ike_id_type {
#define X(n, v, s)	IKE_ID_##n = v,
	IKE_ID_TYPES(X)
#undef X
};

/* Names for logs and show output; "<unknown N>" style for others. */
const char	*ike_payload_name(unsigned int);
const char	*ike_exchange_name(unsigned int);
const char	*ike_notify_name(unsigned int);
const char	*ike_proto_name(unsigned int);
const char	*ike_p1_attr_name(unsigned int);
const char	*ike_p1_enc_name(unsigned int);
const char	*ike_p1_hash_name(unsigned int);
const char	*ike_p1_auth_name(unsigned int);
const char	*ike_p2_attr_name(unsigned int);
const char	*ike_encap_name(unsigned int);
const char	*ike_p2_auth_name(unsigned int);
const char	*ike_esp_id_name(unsigned int);
const char	*ike_id_type_name(unsigned int);

/* ---- parsing ------------------------------------------------------------ */

/* RFC 2408 3.1: the fixed header. */
struct ike_hdr {
	uint8_t		 icookie[IKE_COOKIE_LEN];
	uint8_t		 rcookie[IKE_COOKIE_LEN];
	uint8_t		 np;		/* first payload */
	uint8_t		 version;
	uint8_t		 exchange;
	uint8_t		 flags;
	uint32_t	 msgid;
	uint32_t	 length;
};

/* One payload of a message, borrowed. */
struct ike_pl {
	uint8_t		 type;
	const uint8_t	*raw;		/* from the generic header on */
	size_t		 rawlen;	/* its payload length */
	struct buf	 body;		/* after the generic header */
};

#define IKE_MAX_PAYLOADS	32

struct ike_pls {
	struct ike_pl	 pl[IKE_MAX_PAYLOADS];
	int		 n;
	int		 skipped;	/* unknown, not critical: ignored */
	size_t		 used;		/* bytes taken by the chain */
};

/*
 * The header of a datagram.  On error, *notify is the notification the
 * peer should get (0: none, drop silently) and *err says why.
 */
int		 ike_hdr_parse(struct buf *, struct ike_hdr *, uint16_t *,
		    const char **);

/*
 * The payload chain starting with type first, from b to its end; at most
 * max_trailing bytes (the padding of an encrypted body) may follow the
 * last payload.  Unknown payload types are skipped and counted unless the
 * IKEv2-style critical bit (0x80 of the reserved octet) is set.
 */
int		 ike_pls_parse(struct buf *, uint8_t, size_t, struct ike_pls *,
		    uint16_t *, const char **);
/* The first payload of a type, or NULL; count gives how many there are. */
const struct ike_pl *ike_pls_find(const struct ike_pls *, uint8_t);
int		 ike_pls_count(const struct ike_pls *, uint8_t);

/* A data attribute (RFC 2408 3.3), TV or TLV. */
struct ike_attr {
	uint16_t	 type;		/* AF bit removed */
	int		 tv;
	const uint8_t	*val;		/* TLV: its bytes */
	uint16_t	 len;
	uint64_t	 num;		/* the value as a number */
	int		 num_ok;	/* TV, or TLV of 1 to 8 bytes */
};

#define IKE_MAX_ATTRS		96	/* per SA payload */
#define IKE_MAX_XFORMS		48
#define IKE_MAX_PROPS		16
#define IKE_MAX_SPI		16

struct ike_xf {
	uint8_t		 num;
	uint8_t		 id;
	int		 attr0;		/* first attribute in the SA's pool */
	int		 nattrs;
};

struct ike_prop {
	uint8_t		 num;
	uint8_t		 proto;
	uint8_t		 spisize;
	uint8_t		 spi[IKE_MAX_SPI];
	int		 xf0;		/* first transform in the SA's pool */
	int		 nxf;
};

/* RFC 2407 4.6.1 SA payload with its proposals and transforms. */
struct ike_sa_pl {
	uint32_t	 doi;
	uint32_t	 situation;
	struct ike_prop	 prop[IKE_MAX_PROPS];
	int		 nprops;
	struct ike_xf	 xf[IKE_MAX_XFORMS];
	int		 nxf;
	struct ike_attr	 attr[IKE_MAX_ATTRS];
	int		 nattrs;
};

int		 ike_sa_parse(struct buf, struct ike_sa_pl *, uint16_t *,
		    const char **);
/* Parse an attribute list (e.g. RESPONDER-LIFETIME data) into attrs. */
int		 ike_attrs_parse(struct buf, struct ike_attr *, int, int *,
		    const char **);

/* RFC 2407 4.6.2 identification payload. */
struct ike_id {
	uint8_t		 type;
	uint8_t		 proto;
	uint16_t	 port;
	const uint8_t	*data;
	size_t		 len;
};

int		 ike_id_parse(struct buf, struct ike_id *, const char **);

/* RFC 2408 3.14 notification payload. */
struct ike_notify {
	uint32_t	 doi;
	uint8_t		 proto;
	uint8_t		 spisize;
	uint16_t	 type;
	const uint8_t	*spi;
	const uint8_t	*data;
	size_t		 datalen;
};

int		 ike_notify_parse(struct buf, struct ike_notify *,
		    const char **);

/* RFC 2408 3.15 delete payload. */
struct ike_delete {
	uint32_t	 doi;
	uint8_t		 proto;
	uint8_t		 spisize;
	uint16_t	 nspis;
	const uint8_t	*spis;		/* nspis * spisize bytes */
};

int		 ike_delete_parse(struct buf, struct ike_delete *,
		    const char **);

/* ---- building ------------------------------------------------------------ */

/*
 * A message under construction: the header, then payloads each opened
 * with ike_wr_begin() (which links it into the previous payload's next
 * payload field) and closed with ike_wr_end() (which sets its length).
 * Errors add up in the wbuf; check wbuf_error() once.
 */
struct ike_wr {
	struct wbuf	 w;
	size_t		 np_off;	/* the next-payload octet to link */
};

void		 ike_wr_init(struct ike_wr *, const uint8_t *, const uint8_t *,
		    uint8_t, uint8_t, uint32_t);
size_t		 ike_wr_begin(struct ike_wr *, uint8_t);
void		 ike_wr_end(struct ike_wr *, size_t);
/* The whole length into the header; the message is then complete. */
void		 ike_wr_finish(struct ike_wr *);
void		 ike_wr_cleanup(struct ike_wr *);

/* Attributes: TV when the value fits 16 bits, else TLV of 4 bytes. */
void		 ike_wr_attr(struct wbuf *, uint16_t, uint32_t);
void		 ike_wr_attr_tlv(struct wbuf *, uint16_t, const void *,
		    uint16_t);

/* Whole payloads with a plain body. */
void		 ike_wr_bytes(struct ike_wr *, uint8_t, const void *, size_t);
/* proto, type, spi, spi size, data, data length */
void		 ike_wr_notify(struct ike_wr *, uint8_t, uint16_t,
		    const void *, uint8_t, const void *, size_t);
/* proto, spi size, the spis, how many */
void		 ike_wr_delete(struct ike_wr *, uint8_t, uint8_t,
		    const void *, uint16_t);
void		 ike_wr_id(struct ike_wr *, uint8_t, const struct ike_id *);

#endif
