/*
 * ipc internals: the record layer (pure: bytes in, struct and error out),
 * the handshake and key schedule, the channel core's view of a transport,
 * the channel's state, and hooks the unit tests and tests/tools/ipc_peer
 * use.  Not for other modules: they use ipc/ipc.h.
 */
#ifndef HAVPN_IPC_INT_H
#define HAVPN_IPC_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <json-c/json.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc.h"

/*
 * A record is one SCTP message.  The 16-byte header is the AAD of the
 * sealed types (docs/ipc.md has the rationale):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    version    |     type      |    stream     |   reserved 0  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      body length (bytes)                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   sequence number (64 bits)                   |
 *  |                                                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  body: HELLO and LANE_OFFER in clear; else AES-256-GCM ciphertext
 *  |  and its 16-byte tag
 *
 * The GCM nonce is be32(stream) || be64(sequence).  Keys are per
 * direction, sequence numbers per stream and direction: CONFIRM is 0 on
 * CONTROL, everything else starts at 1 and only grows.
 */
#define IPC_REC_VERSION		1
#define IPC_REC_HDRLEN		16
#define IPC_TAGLEN		16
#define IPC_KEYLEN		32
#define IPC_NONCELEN		12
#define IPC_HELLO_NONCELEN	32
#define IPC_LANE_NONCELEN	16
#define IPC_HASHLEN		32
#define IPC_NODE_ID_MAX		64
/* The largest body a record may declare: a full message and its tag. */
#define IPC_REC_BODY_MAX	(IPC_MSG_MAX + IPC_TAGLEN)
#define IPC_REC_MAX		(IPC_REC_HDRLEN + IPC_REC_BODY_MAX)

#define IPC_REC_TYPES(X)						\
	X(HELLO, 1, "hello")						\
	X(CONFIRM, 2, "confirm")					\
	X(HEARTBEAT, 3, "heartbeat")					\
	X(DATA, 4, "data")						\
	X(LANE_OFFER, 5, "lane-offer")					\
	X(LANE, 6, "lane")

enum ipc_rec_type {
#define IPC_REC_ENUM(n, v, s)	IPC_REC_##n = v,
	IPC_REC_TYPES(IPC_REC_ENUM)
#undef IPC_REC_ENUM
};
const char	*ipc_rec_type_name(int);

/* Why a received record was dropped; each has a counter. */
#define IPC_DROPS(X)							\
	X(BAD_TAG, "bad_tag")						\
	X(REPLAY, "replay")						\
	X(TRUNCATED, "truncated")					\
	X(TOO_LARGE, "too_large")					\
	X(NO_KEY, "no_key")						\
	X(VERSION, "version")						\
	X(MALFORMED, "malformed")					\
	X(UNSEALED, "unsealed")

enum ipc_drop {
#define IPC_DROP_ENUM(n, s)	IPC_DROP_##n,
	IPC_DROPS(IPC_DROP_ENUM)
#undef IPC_DROP_ENUM
	IPC_NDROPS
};
const char	*ipc_drop_name(enum ipc_drop);

struct ipc_rec {
	uint8_t		 version;
	uint8_t		 type;
	uint8_t		 stream;
	uint64_t	 seq;
	const uint8_t	*hdr;		/* the 16 header bytes (the AAD) */
	const uint8_t	*body;		/* borrowed from the parsed bytes */
	size_t		 bodylen;
};

/*
 * Parse one record; pure.  0, or -1 with *why and a message in *err.
 * Checks: header complete, version, known type, stream < IPC_NSTREAMS,
 * reserved zero, declared length within IPC_REC_BODY_MAX and equal to
 * what is there, a sealed body at least a tag long.
 */
int		 ipc_rec_parse(const uint8_t *, size_t, struct ipc_rec *,
		    enum ipc_drop *, const char **);

/* One direction's key and its per-stream counters. */
struct ipc_dirkey {
	int		 set;
	uint8_t		 key[IPC_KEYLEN];
	void		*ctx;		/* EVP_CIPHER_CTX, keyed once */
	uint64_t	 seq[IPC_NSTREAMS];	/* last sent / last accepted */
};

int		 ipc_dirkey_set(struct ipc_dirkey *, const uint8_t *);
void		 ipc_dirkey_clear(struct ipc_dirkey *);

/*
 * Seal: write header + ciphertext + tag for plaintext pt into out (room
 * for IPC_REC_HDRLEN + len + IPC_TAGLEN) with sequence seq.  Returns the
 * record's length, or -1.
 */
ssize_t		 ipc_rec_seal(struct ipc_dirkey *, uint8_t, uint8_t, uint64_t,
		    const void *, size_t, uint8_t *);
/*
 * Open a parsed sealed record into pt (room for bodylen bytes): the
 * sequence must be above the last accepted one of its stream (REPLAY),
 * the tag must verify (BAD_TAG); only then is the counter advanced.
 * Returns the plaintext length, or -1 with *why.  CONFIRM (sequence 0)
 * is opened with ipc_rec_open_confirm().
 */
ssize_t		 ipc_rec_open(struct ipc_dirkey *, const struct ipc_rec *,
		    uint8_t *, enum ipc_drop *);
ssize_t		 ipc_rec_open_confirm(struct ipc_dirkey *,
		    const struct ipc_rec *, uint8_t *, enum ipc_drop *);
/* A LANE_OFFER record (in clear) carrying nonce into out; its length. */
ssize_t		 ipc_rec_offer(const uint8_t *, uint8_t *);
/*
 * Open a LANE record, or a DATA record that may arrive out of order (the
 * state stream over several associations): the tag only, the counter is
 * not touched; the caller makes sure each sequence number is taken once.
 */
ssize_t		 ipc_rec_verify(struct ipc_dirkey *, const struct ipc_rec *,
		    uint8_t *, enum ipc_drop *);

/* RFC 5869 HKDF with SHA-256 (OpenSSL EVP_KDF), extract and expand. */
int		 ipc_hkdf_sha256(const uint8_t *, size_t, const uint8_t *,
		    size_t, const uint8_t *, size_t, uint8_t *, size_t);

/*
 * HELLO body, in clear (it carries nothing secret):
 *
 *   suite(2)=1  role(1)  node-id length(1)  node-id(1..64)
 *   incarnation(8)  nonce(32)
 */
#define IPC_SUITE_HKDF_SHA256_AES256GCM	1

struct ipc_hello {
	uint16_t	 suite;
	uint8_t		 role;
	char		 node_id[IPC_NODE_ID_MAX + 1];
	uint64_t	 incarnation;
	uint8_t		 nonce[IPC_HELLO_NONCELEN];
};

/* Encode into out (cap bytes): header + body; the length, or -1. */
ssize_t		 ipc_hello_encode(const struct ipc_hello *, uint8_t *, size_t);
/* Decode a parsed HELLO record's body; pure.  0, or -1 with *err. */
int		 ipc_hello_decode(const uint8_t *, size_t, struct ipc_hello *,
		    const char **);

/*
 * The key schedule.  The two hellos are ordered (A is the one whose body
 * sorts first); T = SHA-256(body A || body B).
 *
 *   OKM = HKDF-SHA256(IKM = security key, salt = nonce A || nonce B,
 *		       info = "havpn ipc v1 keys" || T, L = 64)
 *   key A->B = OKM[0..31], key B->A = OKM[32..63]
 *
 * The node ids and incarnations are inside the bodies, so inside T.
 * CONFIRM is sealed under the sender's direction key with sequence 0 and
 * carries T: opening it proves the peer derived the same keys.
 */
struct ipc_keys {
	uint8_t		 tx[IPC_KEYLEN];
	uint8_t		 rx[IPC_KEYLEN];
	uint8_t		 transcript[IPC_HASHLEN];
};

int		 ipc_derive_keys(const char *, const uint8_t *, size_t,
		    const uint8_t *, size_t, struct ipc_keys *);

/* The heartbeat's plaintext: incarnation(8) role(1) node-id. */
ssize_t		 ipc_hb_encode(uint64_t, uint8_t, const char *, uint8_t *,
		    size_t);
int		 ipc_hb_decode(const uint8_t *, size_t, uint64_t *, uint8_t *,
		    char *, const char **);

/* ---- transports ------------------------------------------------------ */

struct ipc_tp;

/*
 * What a transport tells the channel core.  Each is called from the loop.
 * recv gets one whole SCTP message on a stream (the transport reassembles
 * partial deliveries; a message larger than IPC_REC_MAX is reported with
 * len 0 and toolarge set, so the core counts it).
 */
void		 ipc_core_assoc_up(struct ipc *);
/* The channel on the association in use is sealed (keys confirmed). */
int		 ipc_core_sealed(const struct ipc *);
void		 ipc_core_assoc_down(struct ipc *, const char *);
void		 ipc_core_recv(struct ipc *, int, const uint8_t *, size_t, int);
void		 ipc_core_writable(struct ipc *);
/*
 * Lanes (lanes.c): more associations beside the first, each carrying the
 * state stream only.  A transport reports lane i's association up (the
 * client opened it with lane_open, or the server accepted it into the
 * slot ipc_core_lane_slot gave), its records, and its end.
 */
int		 ipc_core_lane_slot(struct ipc *);
/*
 * 0 while lane i is IPC_LANE_AHEAD records ahead of the state stream's
 * delivery, or this turn's records are delivered (ipc_core_turn): the
 * transport leaves its data in SCTP (the peer's window closes) and reads
 * it again once ipc_core_state_seq() has moved, or in the next turn.
 * The lane that holds the record missing is never ahead.
 */
int		 ipc_core_lane_may_read(const struct ipc *, int);
uint64_t	 ipc_core_state_seq(const struct ipc *);
/*
 * The transport's turn of the event loop: ipc_core_turn() before it
 * reads (IPC_STATE_TURN state records may be delivered), then
 * ipc_core_turn_held() delivers records held for an earlier one that has
 * come; ipc_core_turn_left() is 0 once the turn's records are delivered:
 * the transport stops reading and comes back in the next turn without
 * sleeping.
 */
void		 ipc_core_turn(struct ipc *);
void		 ipc_core_turn_held(struct ipc *);
int		 ipc_core_turn_left(const struct ipc *);
void		 ipc_core_lane_up(struct ipc *, int);
void		 ipc_core_lane_down(struct ipc *, int, const char *);
void		 ipc_core_lane_recv(struct ipc *, int, int, const uint8_t *,
		    size_t, int);
/* The next reconnect delay (back-off); back to the minimum once up. */
uint32_t	 ipc_core_next_delay(struct ipc *);

/*
 * A transport: one association to the peer, re-established by itself with
 * back-off (50 ms doubling to 1 s) after a failure or restart().
 *   send	one record on a stream; 0, or -1 with errno EAGAIN when the
 *		association has no room now (ipc_core_writable follows)
 *   restart	abort the association (the peer sees it end) and reconnect
 *   status	association and path facts into a JSON object
 */
struct ipc_tp_ops {
	const char	*name;
	struct ipc_tp	*(*open)(struct ipc *, struct ev_loop *,
			    const struct conf_ipc_assoc *, char *, size_t);
	void		 (*close)(struct ipc_tp *);
	int		 (*send)(struct ipc_tp *, int, const void *, size_t);
	void		 (*restart)(struct ipc_tp *, const char *);
	void		 (*status)(struct ipc_tp *, json_object *);
	/* lanes, NULL where the transport has none: open lane i (the
	 * client), send a record on lane i's stream, close lane i */
	void		 (*lane_open)(struct ipc_tp *, int);
	int		 (*lane_send)(struct ipc_tp *, int, int, const void *,
			    size_t);
	void		 (*lane_close)(struct ipc_tp *, int);
};

extern const struct ipc_tp_ops ipc_tp_usrsctp;
extern const struct ipc_tp_ops ipc_tp_kernel;

/* 1 if the running kernel offers SCTP sockets. */

/* Which side connects: the lower (address, port) pair; -1 if equal. */
int		 ipc_assoc_is_client(const struct conf_ipc_assoc *);

/* Back-off of reconnects: 50, 100, ... 1000 ms. */
#define IPC_BACKOFF_MIN_MS	50
#define IPC_BACKOFF_MAX_MS	1000
/* Abort a connect attempt that got no answer in this time. */
#define IPC_CONNECT_TIMEOUT_MS	1500
/* The application heartbeat: interval, and silence that ends the channel. */
#define IPC_HB_INTERVAL_MS	500
#define IPC_HB_DEAD_MS		2000
/* A handshake not finished in this time restarts the association. */
#define IPC_HANDSHAKE_TIMEOUT_MS 3000

/* ---- the channel core (ipc.c) ---------------------------------------- */

/*
 * A channel's state.  Only ipc.c changes it; it is here for the test
 * hooks below, which live in a file of their own.
 */
enum ipc_state {
	IPC_S_DISABLED,
	IPC_S_NOKEY,
	IPC_S_CONNECTING,
	IPC_S_HANDSHAKE,
	IPC_S_UP,
};

struct ipc_qmsg {
	struct ipc_qmsg	*next;
	size_t		 len;
	uint8_t		 data[];
};

struct ipc_queue {
	struct ipc_qmsg	*head;
	struct ipc_qmsg	*tail;
	size_t		 bytes;
	size_t		 msgs;
	size_t		 limit;
	int		 refused;	/* a sender waits for writable */
};

/*
 * A lane's handshake: the accepting side offers a fresh nonce in clear
 * (LANE_OFFER), the connecting side returns it sealed (LANE), and the
 * accepting side answers the same: each proves the channel's keys on this
 * very association.  Only then does the lane carry state.
 */
enum ipc_lane_state {
	IPC_LANE_NONE,
	IPC_LANE_CONNECTING,	/* client: lane_open asked */
	IPC_LANE_OPEN,		/* association up; server: offer sent */
	IPC_LANE_ANSWERED,	/* client: our LANE sent */
	IPC_LANE_UP,
};

struct ipc_lane {
	enum ipc_lane_state	 st;
	uint64_t		 last_seq;	/* of the last state record */
	uint8_t			 nonce[IPC_LANE_NONCELEN];
	uint64_t		 since_ms;
};

/*
 * The state stream's records that arrived before one still missing
 * (several lanes deliver in their own time), by sequence number modulo
 * IPC_REORDER_MAX; a record further ahead, more than IPC_REORDER_BYTES
 * held, or a gap older than IPC_REORDER_GAP_MS, ends the channel.  How
 * far ahead a lane runs is bounded once it has delivered a record
 * (IPC_LANE_AHEAD); its first record can be as far ahead as the sender
 * had put on other lanes before it came up (the state queue's limit).
 */
#define IPC_REORDER_MAX		65536
#define IPC_REORDER_BYTES	(64u << 20)
#define IPC_REORDER_GAP_MS	8000
#define IPC_LANE_AHEAD		256
/* After the channel comes up, state waits this long for a first lane. */
#define IPC_LANE_WAIT_MS	1000
/*
 * State records delivered in one turn of the event loop.  A snapshot's
 * records (60 kB, about 110 tunnels each) are imported as they are
 * delivered; a run of them at once held the loop for 280 ms, and the
 * election's adverts, IKE and the control socket with it (docs/ipc.md,
 * "One turn of the loop").
 */
#define IPC_STATE_TURN		8

struct ipc_reorder {
	struct ipc_qmsg		**ring;
	size_t			 count;
	size_t			 bytes;
	uint64_t		 since_ms;	/* the oldest gap */
	size_t			 most;		/* the largest count seen */
};

struct ipc_stream_stats {
	uint64_t	 msgs_out;
	uint64_t	 bytes_out;
	uint64_t	 msgs_in;
	uint64_t	 bytes_in;
	uint64_t	 refused_down;
	uint64_t	 refused_full;
	uint64_t	 refused_size;
	uint64_t	 discarded;	/* queued, then the channel went down */
};

struct ipc {
	struct ev_loop		*loop;
	struct ipc_handlers	 h;
	void			*arg;

	char			*path;		/* the configuration file */
	struct conf_ipc_assoc	 assoc;		/* a copy: no pointers */
	char			*secret;
	char			 node_id[IPC_NODE_ID_MAX + 1];
	uint64_t		 incarnation;
	uint8_t			 role;

	const struct ipc_tp_ops	*ops;
	struct ipc_tp		*tp;
	enum ipc_state		 state;
	char			 reason[256];
	uint32_t		 backoff_ms;

	/* the handshake of the current association */
	uint8_t			 hello[IPC_REC_HDRLEN + 128];
	size_t			 hellolen;
	uint8_t			 peer_body[128];
	size_t			 peer_bodylen;
	int			 have_peer_hello;
	int			 confirm_sent;
	uint8_t			 transcript[IPC_HASHLEN];
	struct ipc_dirkey	 tx;
	struct ipc_dirkey	 rx;

	/* the peer */
	struct ipc_peer		 peer;
	char			 peer_id[IPC_NODE_ID_MAX + 1];
	uint64_t		 last_peer_inc;	/* across associations */
	int			 have_last_peer;
	uint64_t		 last_hb_ms;
	uint64_t		 up_since_ms;
	uint64_t		 hb_sent;
	uint64_t		 hb_received;

	ev_timer		 hb_timer;
	ev_timer		 hs_timer;

	struct ipc_queue	 q[IPC_NSTREAMS];
	struct ipc_stream_stats	 st[IPC_NSTREAMS];
	uint64_t		 drops[IPC_NDROPS];
	uint64_t		 ups;
	uint64_t		 downs;
	uint64_t		 assoc_ups;
	uint64_t		 handshakes_failed;
	uint64_t		 peer_restarts;
	struct log_ratelimit	 rl;

	/* lanes (lanes.c) */
	struct ipc_lane		 lane[CONF_IPC_LANES_MAX];
	int			 nlanes;	/* 0: none (kernel SCTP) */
	int			 lanes_started;
	unsigned		 lane_rr;
	struct ipc_reorder	 ro;
	int			 turn_left;	/* IPC_STATE_TURN */
	uint64_t		 lane_ups;
	uint64_t		 lanes_refused;
	uint64_t		 lane_msgs_out;
	uint64_t		 lane_msgs_in;

	/* set only by test hooks (test_hooks.c): the last record sealed;
	 * how lane offers are answered (enum ipc_test_lane) */
	int			 keep_last;
	int			 test_forge_lanes;
	uint8_t			*last[IPC_NSTREAMS];
	size_t			 lastlen[IPC_NSTREAMS];
};

/* ipc.c for lanes.c */
void		 ipc_core_fail(struct ipc *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ipc_core_drop(struct ipc *, enum ipc_drop, const char *);
void		 ipc_core_flush(struct ipc *);
/* A message for the user: counted, handed to the message handler. */
void		 ipc_core_deliver(struct ipc *, int, const uint8_t *, size_t);

/* lanes.c for ipc.c */
void		 ipc_lanes_start(struct ipc *);
void		 ipc_lanes_reset(struct ipc *);
void		 ipc_lanes_tick(struct ipc *);
/*
 * Send one sealed state record on a lane that is up: 0, or -1: EAGAIN
 * when none has room or the lanes are still coming (IPC_LANE_WAIT_MS),
 * ENOENT when there are none (the first association carries it).
 */
int		 ipc_lanes_send(struct ipc *, const void *, size_t);
/*
 * A sealed state record (main association or lane): ipc_state_open
 * verifies it (a number already taken is a replay; drops are counted)
 * into pt and returns its length or -1; ipc_state_in then delivers it
 * in order, or holds it until the records before it came.
 */
ssize_t		 ipc_state_open(struct ipc *, const struct ipc_rec *,
		    uint8_t *);
void		 ipc_state_in(struct ipc *, uint64_t, const uint8_t *,
		    size_t);
void		 ipc_lanes_status(struct ipc *, json_object *);

/*
 * ---- test hooks (test_hooks.c) -----------------------------------------
 *
 * For the unit tests and tests/tools/ipc_peer; never linked into havpnd.
 */

/* Hand raw record bytes to the transport as they are (no sealing). */
int		 ipc_test_send_raw(struct ipc *, int, const void *, size_t);
/* From now on, keep a copy of the last record sealed per stream. */
void		 ipc_test_keep_last(struct ipc *);
/* The last record sealed for a stream, as it went out (for replays). */
const uint8_t	*ipc_test_last_record(struct ipc *, int, size_t *);
/*
 * From now on, answer lane offers as an association that claims to be a
 * lane without proving the key: a LANE record whose tag is wrong, a
 * HELLO (a new channel), or nothing at all.
 */
enum ipc_test_lane {
	IPC_TEST_LANE_OK,
	IPC_TEST_LANE_BAD_TAG,
	IPC_TEST_LANE_HELLO,
	IPC_TEST_LANE_SILENT,
};
void		 ipc_test_forge_lanes(struct ipc *, enum ipc_test_lane);
/* Override the process incarnation for this channel (before up). */
void		 ipc_test_set_incarnation(struct ipc *, uint64_t);

#endif
