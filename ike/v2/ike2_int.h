/*
 * ike/v2/ike2_int.h: the IKEv2 exchanges' internals, shared by the files
 * of ike/v2/ (the engine's own internals are ike/ike_int.h).
 *
 * What runs: havpn as responder and as initiator on traffic
 * (initiate.c).  IKE_SA_INIT and IKE_AUTH with a pre-shared key make an
 * IKE SA and its first CHILD SA (installed in the data plane as an IKEv1
 * pair is); CREATE_CHILD_SA makes more CHILD SAs, rekeys them and rekeys
 * the IKE SA; INFORMATIONAL answers liveness checks and Deletes; havpn's
 * own requests (request.c): liveness, Deletes, CHILD rekeys, RFC 6311's
 * sync, the IKE SA's rekey (rekey.c, which makes havpn the new SA's
 * original initiator); COOKIE under half-open load.  READY and REKEYED
 * SAs and their CHILD SAs are replicated to the standby (export.c).  Not
 * yet: fragmentation.
 *
 * IKE SA states (IOS's show crypto ikev2 sa Status in brackets):
 *   R_INIT	IKE_SA_INIT answered, IKE_AUTH awaited [IN-NEG]
 *   I_INIT	our IKE_SA_INIT sent, its answer awaited [IN-NEG]
 *   I_AUTH	our IKE_AUTH sent, its answer awaited [IN-NEG]
 *   READY	authenticated [READY]
 *   REKEYED	replaced by a rekey, its Delete awaited [DELETE]
 *   DELETING	our Delete sent, its answer awaited [DELETE]
 * A deleted SA is freed at once: a late message finds no SA.
 */
#ifndef HAVPN_IKE_V2_IKE2_INT_H
#define HAVPN_IKE_V2_IKE2_INT_H

#include "ike/ike_int.h"
#include "ike/v2/crypto.h"
#include "ike/v2/wire.h"
#include "ike/v2/policy.h"
#include "ike/v2/proposal.h"
#include "ike/v2/ts.h"

#define IKE2_NEG_TIMEOUT_MS	30000	/* a half-open responder SA */
#define IKE2_COOKIE_ROTATE_MS	300000	/* a COOKIE secret's life */
#define IKE2_COOKIE_LEN		17	/* version octet, 16 of the HMAC */
#define IKE2_COOKIE_MAX		64	/* a responder's we bring back (2.6) */
#define IKE2_REKEYED_MS		30000	/* a rekeyed SA awaits its Delete */
#define IKE2_MAX_MSG		IKE_MAX_MSG
/*
 * Our own request IDs the standby may start at (docs/hasync.md "IKEv2
 * message IDs"): replicated ahead by this many, again when reached.
 */
#define IKE2_MSGID_RESERVE	16

enum ike2_state {
	IKE2_R_INIT,
	IKE2_I_INIT,
	IKE2_I_AUTH,
	IKE2_READY,
	IKE2_REKEYED,
	IKE2_DELETING,
};

/* Not authenticated yet: R_INIT, I_INIT or I_AUTH. */
#define IKE2_NEGOTIATING(sa)	((sa)->state < IKE2_READY)

/* Our request out (request.c). */
enum ike2_req_kind {
	IKE2_REQ_NONE,
	IKE2_REQ_LIVENESS,
	IKE2_REQ_DELETE_CHILD,
	IKE2_REQ_DELETE_IKE,
	IKE2_REQ_MID_SYNC,
	IKE2_REQ_REKEY_CHILD,
	IKE2_REQ_REKEY_IKE,
	IKE2_REQ_SA_INIT,		/* ours, in clear (initiate.c) */
	IKE2_REQ_AUTH,
};

/* A CHILD SA of ours, new or a rekey, its request out (child.c). */
/*
 * The lower of a CREATE_CHILD_SA's two nonces (RFC 7296 2.8.1), its first
 * octets: of two exchanges that rekeyed one pair at once, the one with
 * the lower makes the redundant pair, which its initiator deletes.
 */
struct ike2_low {
	uint8_t		 n[32];
	size_t		 len;
};

struct ike2_rekey {
	uint32_t	 old_conn;	/* the pair rekeyed: its conn_in; 0: a
					   new pair */
	/* the peer rekeyed old_conn too while ours was out: its pair, and
	 * its exchange's lower nonce */
	uint32_t	 collided;
	struct ike2_low	 peer_low;
	uint32_t	 reqid;		/* the entry's */
	uint32_t	 spi_in;	/* the new pair's, offered */
	uint8_t		 ni[32];
	struct ike_dh	*dh;		/* PFS: the entry's group */
	int		 group;
};

/* The IKE SA's rekey of ours (rekey.c): the new SA's SPIi and our KE. */
struct ike2_ike_rekey {
	/* the peer rekeyed the SA too while ours was out: its new SA, and
	 * its exchange's lower nonce */
	uint32_t	 collided;
	struct ike2_low	 peer_low;
	uint8_t		 spi[IKE2_SPI_LEN];
	uint8_t		 ni[32];
	struct ike_dh	*dh;
	int		 group;
	int		 invalid_ke;	/* retries for INVALID_KE_PAYLOAD */
};

#define IKE2_DEL_QUEUE		8	/* CHILD SA Deletes waiting */
#define IKE2_MID_SYNC_DELAY_MS	200	/* RFC 6311's after a takeover */

/*
 * What goes out for one message (ike2_seal): the whole message, or its
 * fragments (RFC 7383), n packets each as a 2-byte length and its bytes.
 */
struct ike2_out {
	uint8_t		*p;
	size_t		 len;
	int		 n;
};

struct ike2_reasm;

struct ike2_sa {
	struct ike	*ike;
	struct ike2_sa	*hnext;		/* by SPIi */
	struct ike2_sa	*cnext;		/* by conn_id */
	struct ike2_sa	*next;		/* every SA, newest first */
	struct ike2_sa	*prev;

	uint8_t		 spii[IKE2_SPI_LEN];
	uint8_t		 spir[IKE2_SPI_LEN];
	int		 initiator;	/* we are the original initiator
					   (2.2): made by a rekey of ours */
	enum ike2_state	 state;
	uint32_t	 conn_id;	/* IOS's Tunnel-id */
	struct sockaddr_in local;
	struct sockaddr_in remote;
	int		 nat_local;	/* we are behind a NAT */
	int		 nat_remote;	/* the peer is */
	/* RFC 7383 announced by both sides (frag.c); the peer's fragments
	 * being collected, of a request [0] and of a response [1] */
	int		 frag;
	struct ike2_reasm *reasm[2];

	struct ike2_suite suite;
	int		 group;
	struct ike2_keys keys;
	char		 profile[65];
	struct ike2_idbuf id_local;
	struct ike2_idbuf id_peer;

	/* IKE_SA_INIT material, freed once authenticated */
	uint8_t		*init_i;	/* the two messages, signed by AUTH */
	size_t		 init_ilen;
	uint8_t		*init_r;
	size_t		 init_rlen;
	uint8_t		 ni[IKE2_NONCE_MAX], nr[IKE2_NONCE_MAX];
	size_t		 nilen, nrlen;

	/* message IDs (2.2): the peer's next request, our cached answer */
	uint32_t	 next_in;
	/*
	 * Imported from the active (a takeover may follow): the first
	 * authenticated request may carry any ID >= next_in, once
	 * (docs/hasync.md "IKEv2 message IDs").
	 */
	int		 msgid_resync;
	/* our next request's ID (request.c), and what the standby was told
	 * it may start at */
	uint32_t	 next_out;
	uint32_t	 next_out_reserved;
	struct ike2_out	 resp;
	uint32_t	 resp_msgid;
	int		 resp_valid;

	/* our requests (request.c): one out at a time */
	int		 req_kind;	/* enum ike2_req_kind */
	uint8_t		 req_exchange;
	/*
	 * the CREATE_CHILD_SA of ours that is out, req_kind says which: one
	 * request at a time, so the two share their room (each is filled
	 * only while no request is out, and wiped when it ends)
	 */
	union {
		struct ike2_rekey rekey;	/* IKE2_REQ_REKEY_CHILD's */
		struct ike2_ike_rekey irekey;	/* IKE2_REQ_REKEY_IKE's */
	};
	/* our last CHILD rekey done: old_conn's successor new_conn, our
	 * exchange's lower nonce (a crossing REKEY_SA retransmitted late) */
	struct {
		uint32_t	 old_conn;
		uint32_t	 new_conn;
		struct ike2_low	 low;
	}		 rekey_done;
	struct ike_timer t_rekey;	/* ours of the IKE SA (rekey.c) */
	uint32_t	 rekey_wait[IKE2_DEL_QUEUE];	/* conn_ins to rekey */
	int		 nrekey_wait;
	uint32_t	 create_wait[IKE2_DEL_QUEUE];	/* reqids: new pairs */
	int		 ncreate_wait;
	uint32_t	 req_msgid;
	struct ike2_out	 req;		/* sealed, for retransmissions */
	int		 req_tries;
	struct ike_timer t_req;
	uint32_t	 del_spis[IKE2_DEL_QUEUE];	/* our inbound SPIs */
	int		 ndel;
	uint8_t		 mid_nonce[4];	/* RFC 6311's, of our sync */
	int		 peer_mid_sync;	/* IKEV2_MESSAGE_ID_SYNC_SUPPORTED */
	int		 peer_replay_sync; /* IPSEC_REPLAY_COUNTER_SYNC_... */
	/* dead peer detection: the profile's dpd line */
	int		 dpd_interval;	/* seconds, 0: off */
	int		 dpd_retry;
	enum conf_dpd_mode dpd_mode;
	struct ike_timer t_dpd;
	uint64_t	 last_rx_ms;	/* the peer's last authentic message */
	struct ike_timer t_natka;	/* NAT keepalives (we are behind one) */
	struct ike_timer t_sync;	/* RFC 6311's, after a takeover */
	int		 sync_pending;	/* no other request before it */

	/* havpn's IKE_SA_INIT and IKE_AUTH (initiate.c) */
	struct ike_dh	*idh;		/* our KE until the answer */
	uint32_t	 init_reqid;	/* the entry of the first CHILD SA */
	uint32_t	 init_spi_in;	/* its SPI, offered in IKE_AUTH */
	uint8_t		 cookie[IKE2_COOKIE_MAX];	/* the responder's */
	size_t		 cookielen;
	int		 init_rounds;	/* COOKIE and INVALID_KE answers */

	uint64_t	 created_ms;
	uint64_t	 established_ms;
	uint32_t	 lifetime;	/* seconds */
	struct ike_timer t_life;	/* half-open timeout, then lifetime */
};

struct ike2_stats {
	uint64_t	 rx;
	uint64_t	 malformed;
	uint64_t	 no_sa;
	uint64_t	 bad_msgid;
	uint64_t	 retransmits_answered;
	uint64_t	 decrypt_fail;
	uint64_t	 auth_fail;
	uint64_t	 no_proposal;
	uint64_t	 invalid_ke;
	uint64_t	 ts_unacceptable;
	uint64_t	 sa_ok;
	uint64_t	 child_ok;
	uint64_t	 deletes_rx;
	uint64_t	 halfopen_drop;
	uint64_t	 cookies_sent;	/* IKE_SA_INIT answered with a COOKIE */
	uint64_t	 cookies_bad;	/* a COOKIE that did not verify */
	uint64_t	 child_rekeys;
	uint64_t	 ike_rekeys;
	uint64_t	 ike_rekeys_ours;
	uint64_t	 requests_sent;
	uint64_t	 requests_retransmitted;
	uint64_t	 liveness_sent;
	uint64_t	 peers_dead;
	uint64_t	 deletes_unsent;
	uint64_t	 mid_syncs;
	uint64_t	 mid_sync_failed;
	uint64_t	 nat_keepalives;
	uint64_t	 rekeys_failed;		/* ours */
	uint64_t	 rekey_collisions;	/* settled by the nonces */
	uint64_t	 frags_tx;		/* RFC 7383 fragments sent */
	uint64_t	 frags_rx;		/* authentic ones kept */
	uint64_t	 frags_reassembled;	/* messages made whole */
	uint64_t	 frags_dropped;
};

struct ike2 {
	struct ike	*ike;
	struct ike2_sa	*bucket[IKE_BUCKETS];
	struct ike2_sa	*by_conn[IKE_BUCKETS];
	struct ike2_sa	*sas;
	int		 nsas;
	int		 halfopen;
	uint32_t	 next_conn_id;
	struct ike2_stats st;
	/* COOKIE (2.6): the secret and the one before it, each with its
	 * version octet; replaced every IKE2_COOKIE_ROTATE_MS */
	uint8_t		 cookie_secret[2][32];
	uint8_t		 cookie_ver[2];
	uint64_t	 cookie_born_ms;
	/* the SA payload of the message being handled (too big for the
	 * stack), as in struct ike */
	struct ike2_sa_pl sa_pl;
	struct ike2_prop offers[IKE2_MAX_PROPS];
	struct ike2_ts_pl tsi, tsr;
	uint8_t		 plain[IKE2_MAX_MSG];
};

/* sa.c */
struct ike2_sa	*ike2_sa_new(struct ike2 *, const struct sockaddr_in *,
		    const struct sockaddr_in *, const uint8_t *);
struct ike2_sa	*ike2_sa_find(struct ike2 *, const uint8_t *,
		    const uint8_t *);
/* An SA of ours to peer remote (initiate.c): SPIi ours, SPIr zero until
 * the answer, I_INIT. */
struct ike2_sa	*ike2_sa_new_initiator(struct ike2 *,
		    const struct sockaddr_in *, const struct sockaddr_in *);
/* Ours in I_INIT with this SPIi, to this peer (its answer's SA). */
struct ike2_sa	*ike2_sa_find_initiating(struct ike2 *, const uint8_t *,
		    const struct sockaddr_in *);
/* A responder SA still in IKE_SA_INIT for this SPIi and peer. */
struct ike2_sa	*ike2_sa_find_init(struct ike2 *, const uint8_t *,
		    const struct sockaddr_in *);
struct ike2_sa	*ike2_sa_by_conn(struct ike2 *, uint32_t);
/* A new conn_id for the SA (import: the active's), rehashed. */
void		 ike2_sa_set_conn_id(struct ike2_sa *, uint32_t);
/* Delete: its CHILD SAs out of the data plane, the SA freed. */
void		 ike2_sa_delete(struct ike2_sa *, const char *);
/* Free without a word: no CHILD SA touched, no event (hasync). */
void		 ike2_sa_forget(struct ike2_sa *);
/*
 * A request of ours went out with ID next_out: the next one, and when
 * it reaches what the standby was told, a new reservation replicated
 * (ike2_updated).  ike2_request() calls it.
 */
void		 ike2_sa_msgid_out_used(struct ike2_sa *);
/* A message out (a marker in front on port 4500); 0 or -1. */
int		 ike2_send_to(struct ike *, const struct sockaddr_in *,
		    const struct sockaddr_in *, const uint8_t *, size_t);
int		 ike2_send(struct ike2_sa *, const uint8_t *, size_t);
/* Every packet of out, in order: 0, or -1 if one was not sent. */
int		 ike2_send_out(struct ike2_sa *, const struct ike2_out *);
/* out as one message, a copy of p (what it held is freed). */
void		 ike2_out_set(struct ike2_out *, const uint8_t *, size_t);
void		 ike2_out_free(struct ike2_out *);
/* Packet i of out, *len bytes; NULL past the last. */
const uint8_t	*ike2_out_packet(const struct ike2_out *, int, size_t *);
/* Keep our answer to request msgid for its retransmissions (out's
 * memory moves there, out is left empty). */
void		 ike2_keep_response(struct ike2_sa *, uint32_t,
		    struct ike2_out *);
/* The sealing keys for our messages, the opening ones for the peer's. */
void		 ike2_sk_ours(const struct ike2_sa *, struct ike2_sk *);
void		 ike2_sk_peers(const struct ike2_sa *, struct ike2_sk *);
/*
 * An encrypted response to request msgid: inner payloads written by fn
 * (arg) after the SK header.  Kept for retransmissions and sent.
 */
int		 ike2_respond(struct ike2_sa *, uint8_t, uint32_t,
		    void (*)(struct ike2_wr *, void *), void *);
/*
 * An encrypted message of ours: exchange, flags, message ID, the inner
 * payloads written by fn (arg), sealed into *out (allocated; its
 * fragments when too large for the fragment MTU and the SA has RFC
 * 7383).  0 or -1.
 */
int		 ike2_seal(struct ike2_sa *, uint8_t, uint8_t, uint32_t,
		    void (*)(struct ike2_wr *, void *), void *,
		    struct ike2_out *);
/*
 * Open the peer's encrypted message (a copy: the original stays) and
 * parse its inner payloads into pls; the SA's last_rx_ms is now.  0, or
 * -1 counted and logged, or 1 for a fragment kept until the message is
 * whole (frag.c).
 */
int		 ike2_open(struct ike2_sa *, const struct ike2_hdr *,
		    const uint8_t *, size_t, const struct ike2_pls *,
		    struct ike2_pls *);
void		 ike2_informational(struct ike2_sa *, const struct ike2_hdr *,
		    const struct ike2_pls *);

/* The peer's authentic message came from new ports: the SA and its
 * UDP-encapsulated CHILD SAs follow (NAT-T's move, a NAT rebinding). */
void		 ike2_sa_moved(struct ike2_sa *, const struct sockaddr_in *,
		    const struct sockaddr_in *);
/* Authenticated (or made by a rekey): READY for lifetime seconds. */
void		 ike2_sa_ready(struct ike2_sa *, uint32_t);
void		 ike2_sa_authenticated(struct ike2_sa *,
		    const struct ike2_pls *,
		    const struct conf_ikev2_profile *);
/* A rekey (either side's) made n: it takes old's place, the CHILD SAs
 * move to it. */
void		 ike2_sa_succeeded(struct ike2_sa *, struct ike2_sa *);
/* Replaced by a rekey: REKEYED until deleted, IKE2_REKEYED_MS at most. */
void		 ike2_sa_rekeyed(struct ike2_sa *);
/* The peer deleted sa, its side of an unsettled IKE rekey collision. */
void		 ike2_collided_gone(struct ike2_sa *);

/* export.c: listener events of an IKE SA (ike/ike.h) */
enum ike2_event {
	IKE2_EV_UP,
	IKE2_EV_UPDATED,
	IKE2_EV_DELETED,
};
/* replaces: with UP, the conn_id of the SA a rekey replaced (or 0). */
void		 ike2_emit(struct ike2_sa *, enum ike2_event, uint32_t);
void		 ike2_sa_export(const struct ike2_sa *, struct ike_ike2_state *);

/* exchange.c */
/* The one payload of a type, or NULL (none, or more than one). */
const struct ike2_pl *ike2_one(const struct ike2_pls *, uint8_t);
int		 ike2_has_notify(const struct ike2_pls *, uint16_t);
/* 2.23: SHA-1 of SPIi | SPIr | address | port, as the header has them. */
void		 ike2_natd_hash(const uint8_t *, const uint8_t *,
		    const struct sockaddr_in *, uint8_t *);
void		 ike2_sa_init(struct ike2 *, const struct ike2_hdr *,
		    const uint8_t *, size_t, const struct ike2_pls *,
		    const struct sockaddr_in *, const struct sockaddr_in *);
void		 ike2_auth(struct ike2_sa *, const struct ike2_hdr *,
		    const struct ike2_pls *);

/* initiate.c: havpn's IKE_SA_INIT and IKE_AUTH */
/* Is group one of the policy's for our address? */
int		 ike2_group_ours(struct ike2_sa *, int);
/*
 * The one IKE proposal of an answer to ours (IKE_SA_INIT: spilen 0; an
 * IKE rekey: 8, the SPI into spi): one transform a type, one of the
 * policy's with group.  0 with the choice, or -1.
 */
int		 ike2_ike_answer_choice(struct ike2_sa *,
		    const struct ike2_pls *, int, size_t,
		    struct ike2_ike_choice *, uint8_t *);
/* The answer to our IKE_SA_INIT (in clear). */
void		 ike2_init_answer(struct ike2_sa *, const struct ike2_hdr *,
		    const uint8_t *, size_t, const struct ike2_pls *);
/* The answer to our IKE_AUTH, opened. */
void		 ike2_auth_answer(struct ike2_sa *, const struct ike2_pls *);
/* An ID payload (type IDi or IDr) and AUTH with a pre-shared key. */
void		 ike2_wr_id_auth(struct ike2_wr *, uint8_t,
		    const struct ike2_id *, const uint8_t *, size_t);
/* An ID payload's body as AUTH signs it (2.15): type, 3 zeros, data. */
size_t		 ike2_id_body(const struct ike2_id *, uint8_t *);
/* NAT detection (2.23) from the other side's notifications: the hashes
 * over spii and spir (zero in a request). */
void		 ike2_natd_read(struct ike2_sa *, const struct ike2_pls *,
		    const uint8_t *);

/* child.c */
/* A request for a CHILD SA: its payloads, KE and the exchange's nonces. */
struct ike2_child_req {
	const struct ike2_pls *pls;	/* SA, TSi, TSr, notifies */
	int		 ke_group;	/* -1 in IKE_AUTH, 0 without a KE */
	const struct ike2_ke *ke;
	const uint8_t	*ni, *nr;
	size_t		 nilen, nrlen;
};

/* The answer: the pair made, or the notification that refuses it. */
struct ike2_child_reply {
	struct ike_child *c;		/* installed, not yet up */
	uint16_t	 error;		/* a notify type; 0 with c */
	uint16_t	 want_group;	/* INVALID_KE_PAYLOAD */
	struct ike2_sa_pl sa_pl;
	struct ike2_ts_pl tsi, tsr;
	int		 transport;
	uint8_t		 nr[IKE2_NONCE_MAX];	/* CREATE_CHILD_SA's */
	size_t		 nrlen;
	int		 group;		/* our KE (PFS, an IKE rekey) */
	uint8_t		 ke[IKE_MAX_DH];
	size_t		 kelen;
};

/*
 * A CHILD SA from the crypto map entries that name the SA's profile for
 * this peer: their ACL entries in order, the first whose selector the
 * TSs narrow to (2.9) and one of whose transform-sets the peer offered.
 * 0 with the pair installed in r->c (the caller brings it up), or -1
 * with r->error.
 */
int		 ike2_child_make(struct ike2_sa *, const struct ike2_child_req *,
		    struct ike2_child_reply *);
/* The answer's payloads: [N(USE_TRANSPORT_MODE)] SA [Nr] [KE] TSi TSr,
 * or the one notification. */
void		 ike2_child_write(struct ike2_wr *, const struct ike2_child_reply *);
void		 ike2_create_child_sa(struct ike2_sa *, const struct ike2_hdr *,
		    const struct ike2_pls *);
/* The first error notification of an answer, 0 if none. */
uint16_t	 ike2_refusal(const struct ike2_pls *, int *);
/* A CHILD SA of ours answered (IKE_AUTH's or CREATE_CHILD_SA's). */
struct ike2_answered {
	const struct ike2_pls *pls;	/* the answer's SA, TSi, TSr, N */
	const struct ike_spd *spd;	/* the entry's, and the entry */
	const struct conf_map_entry *e;
	const struct esp_selector *sel;	/* what we offered */
	int		 transport;	/* we asked USE_TRANSPORT_MODE */
	uint32_t	 spi_in;	/* ours, offered */
	const uint8_t	*ni, *nr;	/* ours first */
	size_t		 nilen, nrlen;
	int		 group;		/* our KE's (PFS), 0 without, -1 in
					   IKE_AUTH (ike2_choose_esp) */
	const uint8_t	*gir;		/* its shared secret, or NULL */
	size_t		 girlen;
};
/*
 * The pair of our CHILD SA from its answer: one of the entry's
 * transform-sets, TSs within what we offered, keys with our nonce first;
 * installed in the data plane, not yet up.  NULL with *why.
 */
struct ike_child *ike2_child_answered(struct ike2_sa *,
		    const struct ike2_answered *, const char **);
/* The ESP proposals of the entry's transform-sets, SPI spi; a DH
 * transform of pfs when not 0.  0 or -1 (none usable). */
int		 ike2_child_offer(struct ike *, const struct conf_map_entry *,
		    uint32_t, int, struct ike2_sa_pl *);
/* Our rekey's answer: the new pair up and the old one superseded, or
 * the refusal logged. */
void		 ike2_child_rekey_answer(struct ike2_sa *,
		    const struct ike2_pls *);
/* Our rekey dropped (no answer, a standby, the SA gone). */
void		 ike2_child_rekey_abandon(struct ike2_sa *);
/* The lower of two nonces (RFC 7296 2.8), and whether a is below b;
 * compared over the shorter, as strongSwan does. */
void		 ike2_low_of(const uint8_t *, size_t, const uint8_t *, size_t,
		    struct ike2_low *);
int		 ike2_low_lt(const struct ike2_low *, const struct ike2_low *);
/* A new pair of ours for spd's entry on a READY SA (CREATE_CHILD_SA):
 * 0 when it is out or waits for the window (once per entry), or -1. */
int		 ike2_child_create(struct ike2_sa *, const struct ike_spd *);
/* The next rekey or new pair that waited for the window, if any. */
void		 ike2_child_rekey_next(struct ike2_sa *);

/* rekey.c: the IKE SA's rekey of ours (1.3.2, 2.18) */
void		 ike2_ike_rekey_init(struct ike2_sa *);
/* At the soft lifetime (ike2_sa_ready), lifetime ms from established. */
void		 ike2_ike_rekey_arm(struct ike2_sa *, uint64_t);
/* The answer: the new SA made and the old one's Delete sent, or a
 * refusal (a retry later). */
void		 ike2_ike_rekey_answer(struct ike2_sa *,
		    const struct ike2_pls *);
/* Ours dropped (no answer, a standby, the SA gone). */
void		 ike2_ike_rekey_abandon(struct ike2_sa *);

/* frag.c: RFC 7383 */
#define IKE2_FRAG_MAX		128	/* fragments of one message */
/* The peer's fragments of one message, authentic, until it is whole. */
struct ike2_reasm {
	uint32_t	 msgid;
	uint16_t	 total;
	uint16_t	 got;
	uint8_t		 np;		/* fragment 1's Next Payload */
	size_t		 bytes;
	uint8_t		*part[IKE2_FRAG_MAX];
	size_t		 partlen[IKE2_FRAG_MAX];
};
/* The fragment MTU of the configuration, 0 when fragmentation is off. */
int		 ike2_frag_mtu(const struct ike *);
/* N(IKEV2_FRAGMENTATION_SUPPORTED) in our IKE_SA_INIT, unless off. */
void		 ike2_frag_offer(struct ike2_wr *, const struct ike *);
/* The peer's IKE_SA_INIT: fragmentation for the SA if both offer it. */
void		 ike2_frag_read(struct ike2_sa *, const struct ike2_pls *);
/* A sealed message of msglen bytes is too large to go whole. */
int		 ike2_frag_needed(const struct ike2_sa *, size_t);
/*
 * The fragments of our message h: the inner payloads plain (plainlen
 * bytes, the first of type np), each share sealed in its own SKF.  0 or
 * -1 (too many fragments).
 */
int		 ike2_frag_seal(struct ike2_sa *, const struct ike2_hdr *,
		    const uint8_t *, size_t, uint8_t, struct ike2_out *);
/*
 * A fragment of the peer's message h (outer its SKF): -1 dropped
 * (counted), 1 kept, or 0 with the whole message's inner payloads in
 * *plain (the engine's buffer), *plainlen bytes, the first of type *np.
 */
int		 ike2_frag_input(struct ike2_sa *, const struct ike2_hdr *,
		    const uint8_t *, size_t, const struct ike2_pls *,
		    uint8_t **, size_t *, uint8_t *);
void		 ike2_frag_free(struct ike2_sa *);

/* request.c */
void		 ike2_request_init(struct ike2_sa *);
/* Timers stopped, the request out dropped. */
void		 ike2_request_free(struct ike2_sa *);
/* The request out answered or abandoned: the window is free. */
void		 ike2_request_end(struct ike2_sa *);
/* What waited for the window: Deletes of CHILD SAs, CHILD rekeys. */
void		 ike2_request_next(struct ike2_sa *);
/*
 * An INFORMATIONAL request of ours with message ID msgid (next_out, or 0
 * for RFC 6311's sync), inner payloads by fn (arg): sent and kept for
 * retransmissions.  -1 when one is already out, on a standby, or before
 * IKE_AUTH.
 */
int		 ike2_request(struct ike2_sa *, int, uint32_t,
		    void (*)(struct ike2_wr *, void *), void *);
/* An answer (the R flag) for this SA. */
void		 ike2_response(struct ike2_sa *, const struct ike2_hdr *,
		    const uint8_t *, size_t, const struct ike2_pls *);
/* RFC 3948 4: NAT keepalives every crypto isakmp nat keepalive seconds
 * while we are behind a NAT. */
void		 ike2_natka_start(struct ike2_sa *);
/* Liveness checks every interval seconds (0: none), retry between
 * retransmissions. */
void		 ike2_dpd_start(struct ike2_sa *, int, int, enum conf_dpd_mode);
/* The SA's pairs deleted at once, a Delete sent, the SA freed when it is
 * answered (or not); a standby or an SA not READY just deletes. */
void		 ike2_sa_delete_notify(struct ike2_sa *, const char *);
/* RFC 6311: the message ID sync request (the peer announced support);
 * 0 or -1. */
int		 ike2_mid_sync(struct ike2_sa *);
/* The same IKE2_MID_SYNC_DELAY_MS from now: the node just became active,
 * its VIPs and the neighbours' ARP caches move first. */
void		 ike2_mid_sync_later(struct ike2_sa *);
/* The request out and the Deletes waiting dropped (a standby). */
void		 ike2_requests_drop(struct ike2_sa *);

/* trace.c: debug crypto ikev2 (log subsystem IKEv2) */
#define IKE2_TRACE(sa, ...)						\
	do {								\
		if (log_debug_enabled(LOG_IKEV2))			\
			ike2_trace((sa), __VA_ARGS__);			\
	} while (0)
/* One trace line, "(SA ID = n):" in front when sa is not NULL. */
void		 ike2_trace(const struct ike2_sa *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * A message in or out: addresses, SPIs, message ID, exchange, and its
 * payloads (the outer chain: an encrypted message shows SK).
 */
void		 ike2_trace_msg(struct ike2 *, int, const uint8_t *, size_t,
		    const struct sockaddr_in *, const struct sockaddr_in *);
/*
 * The payloads inside an Encrypted payload, opened (out 0) or about to
 * be sealed (out 1): the plaintext and its first payload's type.
 */
void		 ike2_trace_inner(const struct ike2_sa *, int, uint32_t,
		    const uint8_t *, size_t, uint8_t);

#endif
