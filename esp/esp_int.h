/*
 * esp internals: the packet layer (anti-replay window, transforms, ESP
 * encapsulation and decapsulation) and the pieces of the userspace engine.
 * Only esp/ and its tests and fuzzers include this file; other modules use
 * esp/esp.h.
 *
 * The packet layer is pure: bytes and an SA context in, bytes and a
 * verdict out, no sockets and no globals, so unit tests and the fuzzer
 * drive it directly.
 */
#ifndef HAVPN_ESP_INT_H
#define HAVPN_ESP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "esp/esp.h"

struct buf;
struct ip4_hdr;

/* ---- replay.c: the anti-replay window (RFC 4303 3.4.3, appendix A) ---- */

/*
 * A sliding window of `window' bits below and including `top', the highest
 * sequence number accepted so far (64-bit even without ESN).  Bit i of the
 * bitmap (word i / 64, bit i % 64) says top - i was accepted.  Bits at or
 * above `window' are always zero.
 */
struct esp_replay {
	uint64_t	 top;
	uint32_t	 window;	/* 64..1024, a multiple of 64 */
	uint64_t	 bitmap[ESP_REPLAY_WORDS];
};

void		 esp_replay_init(struct esp_replay *, uint32_t);
/* 0: seq may be accepted; -1: zero, too old or already seen. */
int		 esp_replay_check(const struct esp_replay *, uint64_t);
/* Record seq as accepted (after its ICV was verified). */
void		 esp_replay_update(struct esp_replay *, uint64_t);
/*
 * The full 64-bit sequence number of a packet carrying the low 32 bits,
 * as RFC 4303 appendix A2.2 infers it; -1 if it would fall below zero.
 */
int		 esp_replay_infer_esn(const struct esp_replay *, uint32_t,
		    uint64_t *);
/* Import and export in the ops table's format. */
void		 esp_replay_export(const struct esp_replay *,
		    struct esp_replay_state *);
int		 esp_replay_import(struct esp_replay *,
		    const struct esp_replay_state *);

/* ---- xform.c: one SA's cipher and integrity contexts ------------------- */

#define ESP_HDR_LEN	8		/* SPI + sequence number */
#define ESP_MAX_IV	16
#define ESP_MAX_ICV	32
#define ESP_MAX_BLOCK	16
/* The most an ESP packet adds around its payload. */
#define ESP_HEADROOM	(ESP_HDR_LEN + ESP_MAX_IV)
#define ESP_TAILROOM	(ESP_MAX_BLOCK + 2 + ESP_MAX_ICV)

struct esp_xform {
	enum alg_esp_enc enc;
	enum alg_esp_auth auth;
	int		 aead;		/* GCM: the cipher makes the ICV */
	int		 encrypt;	/* 1: outbound context */
	size_t		 iv_len;	/* on the wire */
	size_t		 block;		/* the payload is padded to this */
	size_t		 icv_len;
	uint8_t		 salt[4];	/* GCM (RFC 4106 4) */
	EVP_CIPHER_CTX	*cipher;
	EVP_MAC_CTX	*mac;		/* NULL for GCM */
};

/* Set up contexts for sa's transform and keys; -1 on a bad combination. */
int		 esp_xform_init(struct esp_xform *, const struct esp_sa *);
void		 esp_xform_cleanup(struct esp_xform *);

/* ---- packet.c: ESP encapsulation and decapsulation -------------------- */

enum esp_verdict {
	ESP_V_OK = 0,
	ESP_V_MALFORMED,	/* too short, bad lengths */
	ESP_V_REPLAY,		/* sequence number outside or seen in window */
	ESP_V_AUTH,		/* ICV (or GCM tag) mismatch */
	ESP_V_PAD,		/* bad trailer after a good ICV */
	ESP_V_PROTO,		/* next header this SA does not carry */
	ESP_V_SELECTOR,		/* inner packet outside the SA's selectors */
	ESP_V_SEQ_EXHAUSTED,	/* outbound: the next number is past the limit */
	ESP_V_CRYPTO,		/* the cipher library failed */
	ESP_V_NVERDICTS
};

const char	*esp_verdict_name(enum esp_verdict);

/*
 * One SA's runtime state: its parameters (keys included, wiped by
 * esp_sactx_free), contexts, replay window or outbound counter, counters.
 */
struct esp_sactx {
	struct esp_sa	 sa;
	struct esp_xform x;
	struct esp_replay replay;	/* inbound */
	struct esp_seq	 seq;		/* outbound (esp/seq.c) */
	struct esp_sa_stats st;
	uint64_t	 digest;	/* packets whose ICV was made/checked */
	uint64_t	 crypt;		/* packets encrypted/decrypted */
	uint64_t	 pad_drops;
	uint64_t	 proto_drops;
	uint64_t	 malformed;
	uint64_t	 seq_exhausted;
};

/* NULL if sa names a transform or key length the packet layer lacks. */
struct esp_sactx *esp_sactx_new(const struct esp_sa *);
void		 esp_sactx_free(struct esp_sactx *);

/*
 * Outbound.  The inner IPv4 packet is at buf[*off], *len bytes; buf holds
 * at least ESP_HEADROOM bytes before it and ESP_TAILROOM after it.  On
 * success *off and *len give the ESP packet (header to ICV) built around
 * it in place: in tunnel mode the whole packet is the payload, in transport
 * mode its IP header is dropped (the socket writes the outer one).  iv has
 * the transform's IV length of fresh bytes (CBC: random; GCM: ignored, the
 * sequence number is the IV).
 */
enum esp_verdict esp_encap(struct esp_sactx *, uint8_t *, size_t *, size_t *,
		    const uint8_t *);

/*
 * Inbound, for the SA whose SPI starts the packet: the ESP packet is at
 * buf[*off], *len bytes.  In RFC 4303 3.4.3 order: replay check, ICV,
 * decrypt, window update; then the inner packet against the SA's
 * selectors (RFC 4301 5.2).  On ESP_V_OK, *off and *len give the payload
 * and *nh its next header (tunnel: an IPv4 packet cut at its total
 * length; transport: the upper layer).  Every verdict is counted in the
 * context; packets and bytes count only what passed every check.
 */
enum esp_verdict esp_decap(struct esp_sactx *, uint8_t *, size_t *, size_t *,
		    uint8_t *);

/* The SPI of an ESP packet, or -1 if it is too short to carry one. */
int		 esp_peek_spi(const uint8_t *, size_t, uint32_t *);

/* ---- flow.c: selectors and the flow of an IPv4 packet ----------------- */

struct esp_flow {
	struct in_addr	 src;
	struct in_addr	 dst;
	uint8_t		 proto;
	uint16_t	 sport;		/* 0 unless TCP/UDP/SCTP, first fragment */
	uint16_t	 dport;
};

/* 0 and the flow of a well-formed IPv4 packet, or -1. */
int		 esp_flow_parse(const uint8_t *, size_t, struct esp_flow *);
/* The same from a parsed header and its payload (whose cursor moves). */
void		 esp_flow_from_ip4(const struct ip4_hdr *, struct buf *,
		    struct esp_flow *);
int		 esp_selector_match(const struct esp_selector *,
		    const struct esp_flow *);
/* 1 if every flow the second selector takes, the first takes too. */
int		 esp_selector_covers(const struct esp_selector *,
		    const struct esp_selector *);

/* ---- gso.c: TUN offloads (IFF_VNET_HDR) -------------------------------- */

enum esp_gso_type {
	ESP_GSO_NONE,
	ESP_GSO_TCP,		/* TSO: TCP over IPv4 */
	ESP_GSO_UDP,		/* USO: UDP over IPv4 */
};

/* What the virtio_net_hdr in front of a packet read from TUN says. */
struct esp_vnet {
	enum esp_gso_type gso_type;
	int		 needs_csum;	/* L4 checksum partial */
	uint16_t	 gso_size;	/* payload bytes per segment */
	uint16_t	 csum_start;	/* from the IP header */
	uint16_t	 csum_offset;	/* from csum_start */
};

/*
 * The TCP (RFC 9293 3.1) and UDP (RFC 768) header fields that the
 * offloads cut, merge and checksum.
 */
#define TCP_OFF_SEQ	4
#define TCP_OFF_ACK	8
#define TCP_OFF_DOFF	12		/* data offset: high nibble, words */
#define TCP_OFF_FLAGS	13
#define TCP_OFF_WIN	14
#define TCP_OFF_SUM	16
#define TCP_HDR_LEN	20		/* without options */
#define TCP_F_FIN	0x01
#define TCP_F_PSH	0x08
#define TCP_F_ACK	0x10
#define TCP_F_CWR	0x80
#define UDP_OFF_LEN	4
#define UDP_OFF_SUM	6
#define UDP_HDR_LEN	8

/*
 * The one's complement sum (csum_add) of the TCP/UDP pseudo-header of
 * the IPv4 header ip: its addresses, proto and the L4 length.
 */
uint32_t	 esp_pseudo_sum(const uint8_t *, uint8_t, size_t);
/*
 * Finish the IPv4 packet p (len bytes) that h describes into finished
 * packets: outs[i] (outcap bytes each) gets segment i, lens[i] its
 * length.  Returns the number of segments (1 without GSO), or -1 for a
 * malformed packet or one that needs more than maxsegs segments.
 */
int		 esp_gso_split(const struct esp_vnet *, const uint8_t *, size_t,
		    uint8_t *const *, size_t, size_t *, int);

/* ---- events.c: what every backend raises to its listeners -------------- */

/* Call each listener's callback for this event, in the order added. */
void		 esp_emit_acquire(struct esp_backend *, uint32_t,
		    const struct esp_selector *);
void		 esp_emit_expire(struct esp_backend *, uint32_t, int);
void		 esp_emit_counter_update(struct esp_backend *, uint32_t);
void		 esp_emit_invalid_spi(struct esp_backend *, uint32_t,
		    struct in_addr, struct in_addr);

#endif
