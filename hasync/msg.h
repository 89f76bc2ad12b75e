/*
 * hasync/msg.h: the sync messages as plain structs, and their codec
 * (hasync/hasync.proto, protobuf-c).  Internal to hasync/.
 *
 * The decoder is pure: bytes in, items out through a callback, nothing
 * else touched, so the unit tests and the fuzzer drive it directly.  A
 * record is one Envelope, or a Batch of Envelopes (no nesting); every
 * field of every item is range-checked after unpacking, and the items
 * are delivered only when all of them passed: a record is applied whole
 * or dropped whole.
 *
 * Key material passes through here: every buffer that held it is wiped
 * (the protobuf-c allocator below wipes what it frees, struct ha_rec
 * wipes its bytes).
 */
#ifndef HAVPN_HASYNC_MSG_H
#define HAVPN_HASYNC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/lib.h"
#include "esp/esp.h"
#include "ike/ike.h"

/* 2: IKEv2 SAs (Ikev2Sa, IpsecSa.v2_conn, the bulk markers' count) */
#define HA_VERSION		2
#define HA_DIGEST_LEN		32	/* SHA-256 */
#define HA_NODE_ID_MAX		64
#define HA_IFADDRS_MAX		16	/* interfaces in a hello */
#define HA_REASON_MAX		127
#define HA_BATCH_MAX		1024	/* items in one record */
#define HA_RECORD_MAX		60000	/* bytes packed per record */
#define HA_COUNT_MAX		10000000	/* SA counts in bulk markers */

enum ha_msg_type {
	HA_M_HELLO = 1,
	HA_M_BULK_REQUEST,
	HA_M_BULK_BEGIN,
	HA_M_BULK_END,
	HA_M_ISAKMP,
	HA_M_ISAKMP_DELETE,
	HA_M_IPSEC,
	HA_M_IPSEC_DELETE,
	HA_M_COUNTERS,
	HA_M_SW_REQUEST,
	HA_M_SW_FINAL,
	HA_M_SW_ACK,
	HA_M_SW_DONE,
	HA_M_SESSION_END,
	HA_M_IKE2,
	HA_M_IKE2_DELETE,
};
#define HA_M_LAST	HA_M_IKE2_DELETE

const char	*ha_msg_name(enum ha_msg_type);

struct ha_hello {
	uint32_t	 version;
	char		 node_id[HA_NODE_ID_MAX + 1];
	uint64_t	 incarnation;
	uint8_t		 digest[HA_DIGEST_LEN];
	uint32_t	 rf_state;
	int		 partitioned_active;
	int		 stateful;
	/* the sender's address on each interface with a standby group */
	int		 naddrs;
	struct ha_ifaddr {
		char		 ifname[16];
		struct in_addr	 addr;
	}		 addrs[HA_IFADDRS_MAX];
};

struct ha_bulk {
	uint64_t	 epoch;
	uint32_t	 isakmp_sas;
	uint32_t	 ipsec_sas;
	uint32_t	 ikev2_sas;
};

/* One SA's replay state; exact: a switchover's final value. */
struct ha_counter {
	uint32_t	 conn_id;
	int		 exact;
	struct esp_replay_state r;
	uint64_t	 packets;	/* the SA's traffic so far */
	uint64_t	 bytes;
};

struct ha_ipsec {
	struct ike_ipsec_state st;
	int		 have_in;
	int		 have_out;
	struct ha_counter in;
	struct ha_counter out;
	uint32_t	 replaces;	/* 0: not a rekey */
};

struct ha_counters {
	const struct ha_counter *v;	/* n entries */
	int		 n;
	int		 sweep;
};

struct ha_switchover {
	uint64_t	 id;
	int		 force;		/* request */
	int		 ready_check;	/* request, from the active */
	uint32_t	 counters;	/* final, done */
	int		 accepted;	/* ack */
	char		 reason[HA_REASON_MAX + 1];
};

struct ha_msg {
	enum ha_msg_type type;
	union {
		struct ha_hello		 hello;
		uint64_t		 bulk_request;
		uint64_t		 session_end;	/* the epoch */
		struct ha_bulk		 bulk;
		struct ike_isakmp_state	 isakmp;
		uint32_t		 isakmp_delete;
		struct ike_ike2_state	 ike2;
		uint32_t		 ike2_delete;
		struct ha_ipsec		 ipsec;
		struct {
			uint32_t	 conn_in;
			uint32_t	 conn_out;
		}			 ipsec_delete;
		struct ha_counters	 counters;
		struct ha_switchover	 sw;
	} u;
};

/*
 * Decode one record.  Every item is checked first; only if all pass is fn
 * called for each, in order (the struct is valid for the call; it is
 * wiped afterwards).  Returns the number of items, or -1 with a reason in
 * *err (a static string).
 */
typedef void (*ha_msg_fn)(void *, const struct ha_msg *);
int		 ha_msg_decode(const uint8_t *, size_t, ha_msg_fn, void *,
		    const char **);

/*
 * A record being built: items are packed as they are added; a record of
 * one item is that item's Envelope, of several a Batch.
 */
struct ha_rec {
	struct wbuf	 w;		/* the items, each framed as a field */
	int		 n;
};

void		 ha_rec_init(struct ha_rec *);
/* Pack one item; -1 if it would make the record too large (not added). */
int		 ha_rec_add(struct ha_rec *, const struct ha_msg *);
/*
 * The finished record in a buffer the caller owns (wipe with
 * free_secret(p, len)); the builder is empty again.  -1 if empty.
 */
int		 ha_rec_take(struct ha_rec *, uint8_t **, size_t *);
void		 ha_rec_cleanup(struct ha_rec *);

/* One item alone, as a record (helper for small control messages). */
int		 ha_msg_encode(const struct ha_msg *, uint8_t **, size_t *);

#endif
