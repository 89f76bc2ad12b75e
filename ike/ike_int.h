/*
 * ike/ike_int.h: the engine's internals, shared by the files of ike/.
 *
 * Objects:
 *   struct ike		the engine: configuration copy, tables, timers
 *   struct ike_sa	an ISAKMP SA (phase 1), in negotiation or established
 *   struct ike_qm	a Quick Mode exchange in progress (or just finished)
 *   struct ike_child	an established pair of IPsec SAs (inbound, outbound)
 *   struct ike_timer	an entry of the engine's timer heap
 *
 * Phase 1 states (IOS names; the display state of show crypto isakmp sa in
 * brackets):
 *   initiator Main Mode     I_MM1 [MM_NO_STATE] -> I_MM3 [MM_SA_SETUP]
 *                           -> I_MM5 [MM_KEY_EXCH] -> P1_COMPLETE [QM_IDLE]
 *   responder Main Mode     R_MM2 [MM_SA_SETUP] -> R_MM4 [MM_KEY_EXCH]
 *                           -> P1_COMPLETE
 *   initiator Aggressive    I_AM1 [AG_INIT_EXCH] -> P1_COMPLETE
 *   responder Aggressive    R_AM2 [AG_INIT_EXCH] -> P1_COMPLETE
 * Quick Mode (IOS names in brackets): QM_READY [IKE_QM_READY] -> QM_I1
 * [IKE_QM_I_QM1] (QM1 sent) -> QM_DONE; QM_READY -> QM_R2 [IKE_QM_R_QM2]
 * (QM2 sent) -> QM_DONE; QM_I_CONNECTED (commit bit: waiting for
 * CONNECTED) -> QM_DONE [IKE_QM_PHASE2_COMPLETE] (kept a while to answer
 * retransmissions).
 *
 * Timers: per ISAKMP SA retransmission (or the responder's negotiation
 * timeout), soft lifetime (renew), hard lifetime, DPD, NAT keepalive; per
 * Quick Mode retransmission and linger; per IPsec SA pair soft (rekey),
 * hard (delete), and the grace delete of a rekeyed pair.
 */
#ifndef HAVPN_IKE_INT_H
#define HAVPN_IKE_INT_H

#include <stdint.h>

#include <netinet/in.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "ike/wire.h"
#include "ike/crypto.h"

/* ---- timers (timer.c) ---------------------------------------------------- */

struct ike_timer;
typedef void (*ike_timer_fn)(struct ike *, struct ike_timer *);

struct ike_timer {
	uint64_t	 when;
	int		 idx;		/* heap slot, -1: not armed */
	ike_timer_fn	 fn;
	void		*arg;
	int		 held;		/* stopped by ike_set_active(0) */
};

struct ike_heap {
	struct ike_timer **t;
	int		 n;
	int		 cap;
};

void		 ike_timer_init(struct ike_timer *, ike_timer_fn, void *);
void		 ike_timer_set(struct ike *, struct ike_timer *, uint64_t);
void		 ike_timer_stop(struct ike *, struct ike_timer *);
int		 ike_timer_armed(const struct ike_timer *);
/* HA role (ike_set_active): an armed timer stopped and marked held; a
 * held one armed again at its time. */
void		 ike_timer_hold(struct ike *, struct ike_timer *);
void		 ike_timer_unhold(struct ike *, struct ike_timer *);

/* ---- protocol timing ----------------------------------------------------- */

#define IKE_RETX_BASE_MS	2000	/* first retransmission */
#define IKE_RETX_MAX		5	/* retransmissions before giving up */
/* duplicates answered with our last message, per message: as many as a
 * peer's retransmissions; a replayed flood gets no more */
#define IKE_DUP_ANSWERS_MAX	IKE_RETX_MAX
/* Aggressive Mode first messages answered per second (each costs a DH
 * before the source is known to be real; Main Mode's DH waits for a
 * message that carries our cookie) */
#define IKE_AM_ANSWERS_PER_S	50
#define IKE_NEG_TIMEOUT_MS	30000	/* a responder's half-open SA */
#define IKE_QM_LINGER_MS	30000	/* a finished QM answers retransmits */
#define IKE_REKEY_GRACE_MS	5000	/* old pair kept after a rekey */
#define IKE_HALFOPEN_MAX	1024	/* half-open responder SAs, all peers */
#define IKE_HALFOPEN_PEER_MAX	32	/* the same, per peer address */
#define IKE_DPD_MAX_TRIES	5	/* unanswered R-U-THEREs: peer dead */

/* ---- phase 1 ------------------------------------------------------------- */

#define IKE_FSM_STATES(X)						\
	X(READY, "IKE_READY", "MM_NO_STATE")				\
	X(I_MM1, "IKE_I_MM1", "MM_NO_STATE")				\
	X(I_MM2, "IKE_I_MM2", "MM_NO_STATE")				\
	X(I_MM3, "IKE_I_MM3", "MM_SA_SETUP")				\
	X(I_MM4, "IKE_I_MM4", "MM_SA_SETUP")				\
	X(I_MM5, "IKE_I_MM5", "MM_KEY_EXCH")				\
	X(I_MM6, "IKE_I_MM6", "MM_KEY_AUTH")				\
	X(R_MM1, "IKE_R_MM1", "MM_NO_STATE")				\
	X(R_MM2, "IKE_R_MM2", "MM_SA_SETUP")				\
	X(R_MM3, "IKE_R_MM3", "MM_SA_SETUP")				\
	X(R_MM4, "IKE_R_MM4", "MM_KEY_EXCH")				\
	X(R_MM5, "IKE_R_MM5", "MM_KEY_AUTH")				\
	X(I_AM1, "IKE_I_AM1", "AG_INIT_EXCH")				\
	X(I_AM2, "IKE_I_AM2", "AG_AUTH")				\
	X(R_AM1, "IKE_R_AM1", "AG_NO_STATE")				\
	X(R_AM2, "IKE_R_AM2", "AG_INIT_EXCH")				\
	X(R_AM3, "IKE_R_AM3", "AG_AUTH")				\
	X(P1_COMPLETE, "IKE_P1_COMPLETE", "QM_IDLE")			\
	X(DEAD, "IKE_DEST_SA", "MM_NO_STATE")

enum ike_fsm {
#define X(n, fsm, show)	IKE_##n,
	IKE_FSM_STATES(X)
#undef X
};

const char	*ike_fsm_name(enum ike_fsm);
const char	*ike_fsm_show(enum ike_fsm);

/* What was negotiated in phase 1. */
struct ike_p1_alg {
	enum alg_enc	 enc;
	int		 keybits;	/* aes; 0 otherwise */
	enum alg_hash	 hash;
	int		 group;
	uint32_t	 lifetime;
	int		 prio;		/* the local policy that matched */
};

#define IKE_MSGID_RING	16

struct ike_qm;

struct ike_sa {
	struct ike	*ike;
	struct ike_sa	*hnext;		/* hash chain by icookie */
	struct ike_sa	*hnext_conn;	/* by conn_id, once it has one */
	struct ike_sa	*hnext_peer;	/* by remote address */
	struct ike_sa	*next;		/* every SA, newest first */
	struct ike_sa	*prev;

	uint8_t		 icookie[IKE_COOKIE_LEN];
	uint8_t		 rcookie[IKE_COOKIE_LEN];
	uint32_t	 conn_id;	/* 0 until the keys exist */
	int		 initiator;
	uint8_t		 exchange;	/* IKE_EX_MAIN or IKE_EX_AGGRESSIVE */
	enum ike_fsm	 state;
	int		 established;
	int		 halfopen;	/* counted in ike->halfopen */
	struct ike_sa	*half_next;	/* in ike->halfopen_sas */
	struct ike_sa	*half_prev;
	int		 imported;	/* continued from another node */

	struct sockaddr_in local;	/* port 500 or 4500 */
	struct sockaddr_in remote;
	struct in_addr	 peer_id;	/* from the peer's ID payload */
	struct in_addr	 id_addr;	/* the ID_IPV4_ADDR we send */

	struct ike_p1_alg alg;
	char		*psk;		/* owned, wiped */
	struct ike_p1_keys keys;
	uint8_t		 iv[IKE_MAX_BLOCK];	/* phase 1 CBC chain */

	/* exchange material, freed once phase 1 is complete */
	struct ike_dh	*dh;
	uint8_t		*gxi, *gxr;
	size_t		 glen;
	uint8_t		 ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t		 nilen, nrlen;
	uint8_t		*sai_b;		/* initiator's SA body */
	size_t		 sai_len;
	uint8_t		*ida_b;		/* the peer's ID body (aggressive) */
	size_t		 ida_len;

	/*
	 * A responder's peer address not yet shown to be real (no message
	 * from it has carried our responder cookie): the bytes it sent in
	 * this negotiation and those we sent it, on the wire.  We send no
	 * more than we received (ike_msg_budget).
	 */
	int		 unverified;
	uint64_t	 unv_rx;
	uint64_t	 unv_tx;

	/* retransmission of our last message of phase 1 */
	uint8_t		*out;
	size_t		 outlen;
	int		 retries;
	int		 dup_answers;	/* duplicates answered with out */
	int		 retransmit;	/* resend on timeout, else on dups */
	struct ike_timer t_retx;
	/* the last message received in phase 1, to spot duplicates */
	uint8_t		*last_in;
	size_t		 last_in_len;

	/* vendor IDs and NAT-T */
	int		 peer_dpd;
	int		 natt;		/* 0, 1 RFC 3947, 2 draft */
	int		 peer_natt_vid;	/* best the peer offered */
	int		 nat_local;
	int		 nat_remote;
	int		 initial_contact;	/* received one */

	/*
	 * Messages this SA encrypted and decrypted (show crypto engine
	 * connections); local to the node, not replicated: a new active
	 * counts from zero, as IOS's standby does.
	 */
	uint64_t	 encrypted;
	uint64_t	 decrypted;

	/* lifetimes */
	uint64_t	 created_ms;
	uint64_t	 established_ms;
	uint64_t	 expire_ms;
	struct ike_timer t_soft;
	struct ike_timer t_hard;

	/* DPD */
	uint32_t	 dpd_seq_out;	/* next to send */
	uint32_t	 dpd_seq_in;	/* last received */
	uint32_t	 dpd_wait;	/* R-U-THERE seq awaited, 0: none */
	int		 dpd_tries;
	uint64_t	 last_rx_ms;	/* last authenticated message */
	struct ike_timer t_dpd;
	struct ike_timer t_natka;

	/* phase 2 */
	struct ike_qm	*qms;
	uint32_t	 msgids[IKE_MSGID_RING];	/* seen, for replays */
	int		 msgid_pos;
	uint32_t	 pending[8];	/* reqids waiting for phase 1 */
	int		 npending;

	/* the crypto map entry that made us initiate (show, export) */
	char		 map[65];
	int		 map_seq;
	char		 ifname[16];
};

/* ---- phase 2 ------------------------------------------------------------- */

/* One transform: what a proposal offers or what was chosen. */
struct ike_p2_xf {
	enum alg_esp_enc enc;
	int		 keybits;
	enum alg_esp_auth auth;
	int		 tunnel;
	int		 udp;		/* UDP-encapsulated mode */
	int		 group;		/* PFS; 0 none */
	uint32_t	 life_secs;
	uint64_t	 life_kbytes;
	uint8_t		 esp_id;	/* the ESP transform ID */
	uint32_t	 offered_secs;	/* responder: as the peer offered */
	uint64_t	 offered_kbytes;
	char		 tset[65];	/* our transform-set that matched */
};

/*
 * Quick Mode states, each with the name IOS's debug crypto isakmp gives
 * it:
 *   READY		a new exchange, nothing sent yet
 *   I1			initiator: QM1 sent
 *   R2			responder: QM2 sent
 *   I_CONNECTED	initiator: QM3 sent with the commit bit, waiting
 *			for CONNECTED (IOS traces no such state; neither
 *			does havpn, the name is in IOS's style)
 *   DONE		complete, kept a while to answer retransmissions
 * IOS also has IKE_QM_SPI_STARVE, a responder waiting for IPsec to hand
 * it an SPI.  havpn gets its SPI at once and has no such state; quick.c
 * prints the name only to trace the responder as IOS does.
 */
#define IKE_QM_STATES(X)						\
	X(READY, "IKE_QM_READY")					\
	X(I1, "IKE_QM_I_QM1")						\
	X(R2, "IKE_QM_R_QM2")						\
	X(I_CONNECTED, "IKE_QM_I_CONNECTED")				\
	X(DONE, "IKE_QM_PHASE2_COMPLETE")

enum ike_qm_state {
#define X(n, name)	QM_##n,
	IKE_QM_STATES(X)
#undef X
};

const char	*ike_qm_state_name(enum ike_qm_state);

struct ike_qm {
	struct ike_qm	*next;		/* of its SA */
	struct ike_qm	*all_next;	/* every one of the engine */
	struct ike_qm	*all_prev;
	struct ike_sa	*sa;
	uint32_t	 msgid;
	int		 initiator;
	enum ike_qm_state state;
	int		 commit;	/* the commit bit is in play */
	uint8_t		 iv[IKE_MAX_BLOCK];
	uint8_t		 ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t		 nilen, nrlen;
	struct ike_dh	*dh;
	uint8_t		*gqm;		/* PFS shared secret */
	size_t		 gqmlen;
	uint32_t	 spi_in;	/* ours */
	uint32_t	 spi_out;	/* the peer's */
	/* initiator: what we offered; responder: what we chose */
	struct ike_p2_xf offer[8];
	int		 noffers;
	struct ike_p2_xf xf;
	uint32_t	 peer_life_secs;	/* RESPONDER-LIFETIME */
	uint64_t	 peer_life_kbytes;
	/* proxies, local -> remote, and whether IDs were exchanged */
	struct esp_selector sel;
	int		 have_ids;
	uint8_t		 idci[32], idcr[32];	/* ID bodies we sent/expect */
	size_t		 idci_len, idcr_len;
	uint32_t	 reqid;
	char		 map[65];
	int		 map_seq;
	int		 pfs_cfg;	/* the map entry's pfs group */
	uint32_t	 rekey_of;	/* conn_in of the pair it replaces */
	/* keys, filled once both nonces are known */
	struct ike_child *child;	/* installed (responder: inbound) */
	/* retransmission and duplicates */
	uint8_t		*out;
	size_t		 outlen;
	int		 retries;
	int		 dup_answers;	/* duplicates answered with out */
	struct ike_timer t_retx;
	uint8_t		*last_in;
	size_t		 last_in_len;
};

/* ---- IPsec SA pairs ------------------------------------------------------ */

struct ike_child {
	struct ike_child *next;		/* every pair, newest first */
	struct ike_child *prev;
	/* hash chains: conn_in, conn_out, spi_in, (remote, spi_out), remote */
	struct ike_child *hnext_in, *hnext_out;
	struct ike_child *hnext_spi_in, *hnext_spi_out;
	struct ike_child *hnext_peer;
	struct ike	*ike;
	uint32_t	 conn_in, conn_out;
	uint32_t	 spi_in, spi_out;
	uint32_t	 reqid;
	uint32_t	 isakmp_conn_id;
	uint32_t	 v2_conn;	/* IKEv2: its IKE SA's; 0: IKEv1 */
	int		 initiator;
	struct in_addr	 local, remote;
	uint16_t	 lport, rport;	/* UDP encapsulation ports, else 0 */
	struct ike_p2_xf xf;
	uint8_t		 ekey_in[ESP_MAX_ENC_KEY], ekey_out[ESP_MAX_ENC_KEY];
	size_t		 ekey_len;
	uint8_t		 akey_in[ESP_MAX_AUTH_KEY], akey_out[ESP_MAX_AUTH_KEY];
	size_t		 akey_len;
	struct esp_selector sel;	/* local -> remote */
	char		 map[65];
	int		 map_seq;
	int		 ace;
	char		 ifname[16];
	int		 replay_window;
	int		 installed_in, installed_out;
	int		 rekeyed;	/* a newer pair replaced it */
	int		 rekeying;	/* a Quick Mode for it is under way */
	uint64_t	 created_ms;
	uint64_t	 expire_ms;
	struct ike_timer t_soft;
	struct ike_timer t_hard;
};

/* ---- crypto map policies (SPD) ------------------------------------------- */

/* One ACL entry of one crypto map entry, as installed in the data plane. */
struct ike_spd {
	uint32_t	 id;		/* policy id = reqid */
	int		 permit;
	struct esp_selector sel;	/* local -> remote */
	struct in_addr	 local;
	struct in_addr	 peer;
	char		 map[65];
	int		 map_seq;
	int		 ace;		/* index in the ACL */
	char		 ifname[16];
	int		 usable;	/* entry complete (peer, ACL, tsets) */
	char		 v2profile[65];	/* set ikev2-profile; "": IKEv1 */
	int		 reverse_route;	/* the entry's reverse-route */
};

/* The stable reqid of (map, seq, ace) across reloads. */
struct ike_reqid {
	char		 key[160];
	uint32_t	 reqid;
};

/* ---- the engine ---------------------------------------------------------- */

/*
 * The engine's indexes are chained hashes of a fixed size, as in esp/ and
 * hasync/: 16384 buckets keep the chains short well past the design's
 * 10,000 tunnels.  The lists of every ISAKMP SA and every pair keep their
 * order for walks (show, export).  No key changes while its entry is in
 * an index.
 */
#define IKE_BUCKET_BITS	14
#define IKE_BUCKETS	(1u << IKE_BUCKET_BITS)

/* A multiplicative spread, its top bits: conn-ids are dense, sequential. */
static inline unsigned int
ike_bucket(uint32_t key)
{
	return (key * 2654435761u) >> (32 - IKE_BUCKET_BITS);
}

/* Entry e onto, and out of, the hash chain at head, linked by field. */
#define IKE_CHAIN(head, e, field)					\
	do {								\
		(e)->field = (head);					\
		(head) = (e);						\
	} while (0)
#define IKE_UNCHAIN(head, e, field)					\
	do {								\
		__typeof__(e) *pp_ = &(head);				\
									\
		while (*pp_ != NULL && *pp_ != (e))			\
			pp_ = &(*pp_)->field;				\
		if (*pp_ != NULL)					\
			*pp_ = (e)->field;				\
	} while (0)

struct ike_stats {
	uint64_t	 rx;
	uint64_t	 tx;
	uint64_t	 rx_dropped;
	uint64_t	 malformed;
	uint64_t	 bad_cookie;
	uint64_t	 duplicates;
	uint64_t	 dup_ignored;
	uint64_t	 decrypt_fail;
	uint64_t	 hash_fail;
	uint64_t	 auth_fail;
	uint64_t	 no_psk;
	uint64_t	 no_proposal;
	uint64_t	 bad_id;
	uint64_t	 halfopen_drop;
	uint64_t	 aggressive_refused;
	uint64_t	 amp_suppressed;	/* over an unverified budget */
	uint64_t	 replays;
	uint64_t	 not_active;
	uint64_t	 notify_sent;
	uint64_t	 notify_rx;
	uint64_t	 p1_ok, p1_fail;
	uint64_t	 p2_ok, p2_fail;
	uint64_t	 retransmits;
	uint64_t	 dpd_sent, dpd_acked, dpd_dead;
	uint64_t	 deletes_sent, deletes_rx;
	/*
	 * Entries the SA lookups (by cookie, conn-id, SPI, peer) looked at,
	 * plus one per lookup: per SA it must not grow with the number of
	 * SAs (test_hasync counts it; not shown).
	 */
	uint64_t	 lookup_steps;
};

struct ike {
	struct ike_io	 io;
	struct esp_backend *be;
	struct config	*cf;		/* our own copy */
	int		 active;

	struct ike_sa	*bucket[IKE_BUCKETS];		/* by initiator cookie */
	struct ike_sa	*sa_by_conn[IKE_BUCKETS];
	struct ike_sa	*sa_by_peer[IKE_BUCKETS];
	struct ike_sa	*sas;
	int		 nsas;
	int		 halfopen;
	struct ike_sa	*halfopen_sas;
	struct ike_qm	*qms;		/* in flight or lingering */
	struct ike_child *children;
	int		 nchildren;
	struct ike_child *c_by_conn_in[IKE_BUCKETS];
	struct ike_child *c_by_conn_out[IKE_BUCKETS];
	struct ike_child *c_by_spi_in[IKE_BUCKETS];
	struct ike_child *c_by_spi_out[IKE_BUCKETS];	/* and the peer */
	struct ike_child *c_by_peer[IKE_BUCKETS];
	uint32_t	 next_conn_id;	/* ISAKMP: 1001, ... */
	uint32_t	 next_ipsec_conn;	/* IPsec: 1, ... */

	struct ike_spd	*spd;
	int		 nspd;
	struct ike_reqid *reqids;
	int		 nreqids;
	uint32_t	 next_reqid;

	struct ike_heap	 heap;
	struct ike_listener listeners[IKE_MAX_LISTENERS];
	int		 nlisteners;

	struct ike_stats st;
	struct log_ratelimit rl_input;
	struct log_ratelimit rl_flood;
	struct log_ratelimit rl_cookie;
	struct log_ratelimit rl_notify;
	/* what unauthenticated first messages make us say, one rate each */
	struct log_ratelimit rl_nopsk;
	struct log_ratelimit rl_noprop;
	struct log_ratelimit rl_p1fail;
	struct log_ratelimit rl_am;
	/* Aggressive Mode answers (a DH each, for a source never shown to be
	 * real) in the current second */
	uint64_t	 am_second_ms;
	int		 am_answers;

	/* protocol knobs (tests change them) */
	uint64_t	 retx_base_ms;
	int		 retx_max;
	int		 halfopen_max;
	int		 halfopen_peer_max;
	int		 set_commit;	/* Quick Modes with the commit bit */
	int		 no_initial_contact;	/* never send INITIAL-CONTACT */
	/* the datagram being handled: where it came from, where to, size */
	struct sockaddr_in in_local;
	struct sockaddr_in in_remote;
	size_t		 in_len;	/* on the wire, with any marker */
	uint8_t		 scratch[IKE_MAX_MSG + 64];	/* decrypted input */
	uint8_t		 sendbuf[IKE_MAX_MSG + 64];	/* marker + output */
	/*
	 * The SA payload of the message being handled, parsed (kilobytes,
	 * too big for the stack): read only within the handler that parsed
	 * it, and nothing keeps a pointer into it past that handler.
	 */
	struct ike_sa_pl sa_pl;

	struct ike2	*v2;		/* the IKEv2 exchanges (ike/v2/) */
};

/* ---- ike/v2/: IKEv2 ------------------------------------------------------ */

struct ike2	*ike2_new(struct ike *);
/* Rekey an IKEv2 pair (CREATE_CHILD_SA of ours, ike/v2/child.c): 0
 * when the request is out or waits for the window, -1 if it cannot. */
int		 ike2_child_rekey(struct ike2 *, struct ike_child *);
/*
 * Traffic for an IKEv2 crypto map entry without a pair (the data plane's
 * acquire): an IKE SA started to its peer with the pair in its IKE_AUTH
 * (ike/v2/initiate.c), unless one is being negotiated.
 */
void		 ike2_acquire(struct ike2 *, const struct ike_spd *);
/* An IKEv2 pair deleted here: a Delete to the peer (ike/v2/request.c). */
void		 ike2_child_deleted(struct ike2 *, const struct ike_child *);
/*
 * On-demand DPD: traffic went out on the peer's pairs (IKEv1's, v2_conn
 * 0, or one IKEv2 SA's) and nothing came back for idle_ms since last_in.
 */
int		 ike_children_want_dpd(struct ike *, struct in_addr, uint32_t,
		    uint64_t, uint64_t);
void		 ike2_free(struct ike2 *);
/*
 * show crypto session's IKEv2 part (ike/v2/show.c): fn for the local and
 * peer address of every IKEv2 SA; the facts of those of one pair into
 * ikes, the earliest established into since, the remote port of the
 * first READY one into port, and whether one is READY, one negotiating.
 */
#define IKE2_SESSION_UP		0x1
#define IKE2_SESSION_NEG	0x2
void		 ike2_session_peers(struct ike *, void (*)(void *,
		    struct in_addr, struct in_addr), void *);
int		 ike2_session_ike(struct ike *, struct in_addr, struct in_addr,
		    struct json_object *, uint64_t *, int *);
/*
 * HA role.  Standby: half-open SAs go, lifetimes are held, requests out
 * dropped, the peer's next message ID taken once as it comes.  Active:
 * lifetimes run, RFC 6311's sync for every SA whose peer supports it.
 */
void		 ike2_set_active(struct ike2 *, int);
/* An IKEv2 SA with this conn_id exists (an imported CHILD SA's). */
int		 ike2_conn_exists(struct ike *, uint32_t);
/* A datagram whose header says major version 2 (the marker removed). */
void		 ike2_input(struct ike2 *, const uint8_t *, size_t,
		    const struct sockaddr_in *, const struct sockaddr_in *);

/* ---- engine.c ------------------------------------------------------------ */

uint64_t	 ike_now(struct ike *);
/* IOS-style trace line under debug crypto isakmp. */
#define IKE_TRACE(sa, ...)						\
	do {								\
		if (log_debug_enabled(LOG_IKE))				\
			ike_trace((sa), __VA_ARGS__);			\
	} while (0)
void		 ike_trace(const struct ike_sa *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ike_trace_state(struct ike_sa *, enum ike_fsm, const char *);
/* Rate-limited warning about bad input. */
void		 ike_warn_input(struct ike *, const struct sockaddr_in *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
/*
 * A warning anyone can trigger with a spoofed first message: at most once
 * a second per limiter, with the count of the ones suppressed.
 */
void		 ike_warn_limited(struct ike *, struct log_ratelimit *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
const char	*ike_addr(const struct sockaddr_in *, char *);
void		 ike_emit_isakmp(struct ike *, struct ike_sa *, int);
void		 ike_emit_isakmp_deleted(struct ike *, struct ike_sa *);
void		 ike_emit_ipsec(struct ike *, struct ike_child *, int,
		    uint32_t);
void		 ike_emit_ipsec_deleted(struct ike *, struct ike_child *);
void		 ike_random(void *, size_t);

/* ---- sa.c ---------------------------------------------------------------- */

struct ike_sa	*ike_sa_new(struct ike *, int, const struct sockaddr_in *,
		    const struct sockaddr_in *);
void		 ike_sa_free(struct ike_sa *);
/* Remove from the table and free (listener told if it was established). */
void		 ike_sa_destroy(struct ike_sa *, const char *);
struct ike_sa	*ike_sa_find(struct ike *, const uint8_t *, const uint8_t *);
/* A responder SA in negotiation for this initiator cookie and peer. */
struct ike_sa	*ike_sa_find_responder(struct ike *, const uint8_t *,
		    const struct sockaddr_in *);
/* The newest established SA with a peer (local addr too, if set). */
struct ike_sa	*ike_sa_find_peer(struct ike *, struct in_addr, struct in_addr);
struct ike_sa	*ike_sa_find_negotiating(struct ike *, struct in_addr,
		    struct in_addr);
struct ike_sa	*ike_sa_by_conn_id(struct ike *, uint32_t);
/*
 * The SAs with a peer address, newest first: the one after prev, or the
 * first (prev NULL).  ike_child_of_peer does the same for pairs.
 */
struct ike_sa	*ike_sa_of_peer(struct ike *, struct in_addr,
		    struct ike_sa *);
/* The SA takes this conn-id (not in use: the caller checked). */
void		 ike_sa_set_conn_id(struct ike_sa *, uint32_t);
void		 ike_sa_set_rcookie(struct ike_sa *, const uint8_t *);
/* An imported SA takes its cookies as they are. */
void		 ike_sa_set_cookies(struct ike_sa *, const uint8_t *,
		    const uint8_t *);
/* The ISAKMP SA's SPI (RFC 2408 2.4): the cookie pair, 16 bytes. */
#define IKE_SA_SPI_LEN		(2 * IKE_COOKIE_LEN)
void		 ike_sa_spi(const struct ike_sa *, uint8_t *);
void		 ike_sa_assign_conn_id(struct ike_sa *);
void		 ike_sa_set_state(struct ike_sa *, enum ike_fsm);
/* A responder SA not yet authenticated: counted, and may give way. */
void		 ike_sa_halfopen_start(struct ike_sa *);
void		 ike_sa_halfopen_done(struct ike_sa *);
int		 ike_sa_count_halfopen_peer(struct ike *, struct in_addr);
struct ike_sa	*ike_sa_oldest_evictable(struct ike *, const struct in_addr *);
/* Free the exchange material once phase 1 is complete. */
void		 ike_sa_drop_exchange(struct ike_sa *);
void		 ike_sa_remember_in(struct ike_sa *, const uint8_t *, size_t);
/*
 * An authenticated message came under the SA: the time for DPD, and an
 * established SA on port 4500 follows the peer's NAT mapping.
 */
void		 ike_sa_peer_heard(struct ike_sa *);
/* *dst (NULL or owned) becomes a copy of the len bytes at p (borrowed). */
void		 ike_keep_bytes(uint8_t **, size_t *, const void *, size_t);
/* A random message ID, not 0, not seen, not in a Quick Mode. */
uint32_t	 ike_sa_new_msgid(struct ike_sa *);
int		 ike_sa_msgid_seen(struct ike_sa *, uint32_t);
void		 ike_sa_msgid_forget(struct ike_sa *, uint32_t);
void		 ike_sa_msgid_add(struct ike_sa *, uint32_t);
void		 ike_sa_export(const struct ike_sa *,
		    struct ike_isakmp_state *);

/* ---- msg.c: sending, encryption, retransmission -------------------------- */

/*
 * Finish wr (header length), encrypt its body with iv when enc (iv then
 * holds the last block), and send it from sa's local to remote.  When
 * keep, the bytes become the SA's (or qm's) last message for
 * retransmission.  wr is cleaned up.  0 or -1.
 */
int		 ike_msg_send(struct ike_sa *, struct ike_wr *, int, uint8_t *,
		    struct ike_qm *, int);
/* Send raw bytes (a stored message) again; 0, or -1 if not sent. */
int		 ike_msg_resend(struct ike_sa *, const uint8_t *, size_t);
/*
 * Amplification (a responder's peer address not yet shown to be real):
 * the datagram being handled came from the peer (ike->in_len bytes more
 * that may go back), and may len bytes go to it now: 0 (counted as
 * sent), or -1 (counted in amp_suppressed).  Verified SAs pass.
 */
void		 ike_msg_budget_rx(struct ike_sa *);
int		 ike_msg_budget(struct ike_sa *, size_t);
/* Start the retransmission timer of the SA's (or qm's) last message. */
void		 ike_msg_arm_retx(struct ike_sa *, struct ike_qm *);
/*
 * Decrypt the body of an encrypted message into ike->scratch with iv
 * (iv_out gets the next IV; iv is not changed).  Returns the plaintext
 * length, or -1.
 */
ssize_t		 ike_msg_decrypt(struct ike_sa *, const uint8_t *, size_t,
		    const uint8_t *, uint8_t *);
/*
 * An unprotected notification (errors before keys exist) answering the
 * datagram being handled: not sent if larger than that datagram.
 */
void		 ike_msg_notify_plain(struct ike *, const struct sockaddr_in *,
		    const struct sockaddr_in *, const uint8_t *,
		    const uint8_t *, uint16_t, uint8_t, const void *, uint8_t);
/* The same about a negotiation, within its budget (ike_msg_budget). */
void		 ike_msg_notify_sa(struct ike_sa *, uint16_t);
/* The HASH payload placeholder and its fill-in for QM / informational. */
size_t		 ike_msg_hash_begin(struct ike_wr *, struct ike_sa *);
int		 ike_msg_hash_fill(struct ike_wr *, struct ike_sa *, size_t,
		    uint32_t, const uint8_t *, size_t, int);
/* Verify a received HASH(1)/(2) over the payloads after it. */
int		 ike_msg_hash_check(struct ike_sa *, const struct ike_pls *,
		    const uint8_t *, size_t, uint32_t);

/* ---- policy.c: a peer's key and exchange -------------------------------- */

const char	*ike_psk_find(const struct config *, struct in_addr);
/* Non-NULL if we initiate Aggressive Mode with this peer. */
const struct conf_isakmp_peer *ike_peer_aggressive(const struct config *,
		    struct in_addr);

/* ---- proposal.c: what we offer, what we choose --------------------------- */

/* Phase 1 SA payload offering our usable policies (group 0: all). */
/* Returns how many transforms were offered. */
int		 ike_p1_build_sa(struct ike *, struct ike_wr *, int);
/*
 * Choose a transform of an offered phase 1 SA payload, IOS style: each
 * local policy in priority order against each offered transform; the
 * comparison is traced.  0 with alg set and *xf the chosen transform, or
 * -1 (no proposal chosen).
 */
int		 ike_p1_choose(struct ike_sa *, const struct ike_sa_pl *,
		    struct ike_p1_alg *, const struct ike_xf **);
/* The responder's reply: is it one of the transforms we offered? */
int		 ike_p1_accept_reply(struct ike_sa *, const struct ike_sa_pl *,
		    struct ike_p1_alg *);
/* Write an SA payload holding one proposal with the chosen transform. */
void		 ike_p1_build_reply(struct ike_wr *, const struct ike_sa_pl *,
		    const struct ike_xf *);

/*
 * The steps of a choice, each on its own: decode an offered transform of
 * a parsed SA payload (borrowed), trace it as IOS does under debug crypto
 * isakmp (after decoding, never from inside the decoder), compare it.
 */
struct ike_p1_offer {
	int		 enc;		/* IKE_ENC_* */
	int		 keylen;
	int		 hash;
	int		 auth;
	int		 group;
	uint32_t	 life;		/* seconds, 0: not given */
	int		 bad;		/* an attribute we cannot honour */
};
void		 ike_p1_decode(const struct ike_sa_pl *, const struct ike_xf *,
		    struct ike_p1_offer *);
void		 ike_p1_trace(const struct ike_sa_pl *, const struct ike_xf *);
/* The IOS reason the offer does not match the policy, or NULL. */
const char	*ike_p1_mismatch(const struct ike_p1_offer *,
		    const struct conf_isakmp_policy *);

/*
 * A phase 2 transform as offered.  nattrs counts the attributes decoding
 * read: all of them, or, in a malformed transform, those before the
 * attribute it stopped at and that one too if it has a value.
 */
struct ike_p2_offer {
	struct ike_p2_xf xf;		/* no tset, no offered_* */
	int		 bad;		/* a transform or value we lack */
	int		 nattrs;
};
/* 0, or -1 if the transform is malformed. */
int		 ike_p2_decode(const struct ike_sa_pl *, const struct ike_xf *,
		    struct ike_p2_offer *);
void		 ike_p2_trace(const struct ike_sa_pl *, const struct ike_xf *,
		    const struct ike_p2_offer *);
/* What differs ("encryption", ...) from the wanted transform, or NULL. */
const char	*ike_p2_mismatch(const struct ike_p2_xf *,
		    const struct ike_p2_xf *);
/* Offers from a map entry's transform-sets; returns how many. */
int		 ike_p2_offers(struct ike *, const struct conf_map_entry *,
		    int, struct ike_p2_xf *, int);
void		 ike_p2_build_sa(struct ike_wr *, const struct ike_p2_xf *, int,
		    uint32_t, int);
/*
 * Responder: pick the first offered proposal one of the entry's
 * transform-sets accepts.  0 with xf and *spi (the peer's), or -1 with
 * the notification to send.
 */
int		 ike_p2_choose(struct ike_sa *, const struct ike_sa_pl *,
		    const struct conf_map_entry *, int, struct ike_p2_xf *,
		    uint32_t *, uint16_t *);
/* Initiator: the responder's single transform against our offers. */
int		 ike_p2_accept_reply(struct ike_qm *, const struct ike_sa_pl *,
		    uint32_t *);
void		 ike_p2_build_reply(struct ike_wr *, const struct ike_p2_xf *,
		    uint32_t, int, uint32_t, uint64_t);

/* ---- spd.c: crypto map policies, proxy identities ------------------------ */

/* Phase 2: the crypto map entry (in ike->cf) for a reqid / a peer. */
const struct conf_map_entry *ike_map_entry(const struct config *,
		    const char *, int);
const struct ike_spd *ike_spd_by_reqid(struct ike *, uint32_t);
/* The stable reqid of an ACL entry (action, selector) of a map entry. */
uint32_t	 ike_reqid_for(struct ike *, const char *, int, int,
		    const struct esp_selector *);
/* The reqid an imported pair belongs to under our configuration. */
uint32_t	 ike_reqid_of_flows(struct ike *, const char *, int,
		    const struct esp_selector *);
/*
 * Responder: the SPD entry of a crypto map bound to local for this peer
 * whose ACL entry covers the proposed proxies (local side first).
 */
const struct ike_spd *ike_spd_match(struct ike *, struct in_addr,
		    struct in_addr, const struct esp_selector *);
/* Initialise the SPD from the configuration, install it; 0 or -1. */
int		 ike_spd_install(struct ike *);
void		 ike_spd_remove(struct ike *);
/* Proxy identities: selector half <-> ID payload. */
void		 ike_id_from_sel(struct ike_id *, uint8_t *, struct in_addr,
		    struct in_addr, uint8_t, uint16_t);
int		 ike_id_to_sel(const struct ike_id *, struct in_addr *,
		    struct in_addr *, uint8_t *, uint16_t *);

/* ---- phase1.c, main_mode.c, aggressive.c --------------------------------- */

/* Begin phase 1 with a peer (aggressive if so configured). */
struct ike_sa	*ike_p1_initiate(struct ike *, struct in_addr, struct in_addr,
		    const char *, int, const char *);
void		 ike_mm_input(struct ike_sa *, const struct ike_hdr *,
		    const uint8_t *, size_t);
void		 ike_mm_respond(struct ike *, const struct ike_hdr *,
		    const uint8_t *, size_t, const struct sockaddr_in *,
		    const struct sockaddr_in *);
void		 ike_am_input(struct ike_sa *, const struct ike_hdr *,
		    const uint8_t *, size_t);
void		 ike_am_respond(struct ike *, const struct ike_hdr *,
		    const uint8_t *, size_t, const struct sockaddr_in *,
		    const struct sockaddr_in *);
int		 ike_mm_start(struct ike_sa *);
int		 ike_am_start(struct ike_sa *);

/* shared phase 1 steps (phase1.c) */
/* Room for another responder negotiation with remote?  0 or -1. */
int		 ike_halfopen_admit(struct ike *, const struct sockaddr_in *);
/*
 * A responder SA for a peer's first message (the datagram being handled),
 * its peer not yet verified; NULL if refused.
 */
struct ike_sa	*ike_responder_new(struct ike *, const struct ike_hdr *,
		    const struct sockaddr_in *, const struct sockaddr_in *,
		    uint8_t);
/* Our vendor IDs (a responder: those the initiator announced too). */
void		 ike_p1_vids(struct ike_sa *, struct ike_wr *);
void		 ike_p1_read_vids(struct ike_sa *, const struct ike_pls *);
int		 ike_p1_read_ke_nonce(struct ike_sa *, const struct ike_pls *,
		    uint16_t *);
/* Make our DH value and nonce and write the KE and NONCE payloads. */
int		 ike_p1_write_ke_nonce(struct ike_sa *, struct ike_wr *);
size_t		 ike_p1_id_body(const struct ike_id *, uint8_t *);
int		 ike_p1_have_state_with(struct ike_sa *);
int		 ike_p1_keys(struct ike_sa *);
int		 ike_p1_hash(struct ike_sa *, int, const uint8_t *, size_t,
		    uint8_t *);
void		 ike_p1_id_local(struct ike_sa *, struct ike_id *, uint8_t *);
void		 ike_p1_established(struct ike_sa *);
/*
 * A message of a responder's negotiation came from the peer's address
 * with our responder cookie (exchange: its exchange type): the peer is
 * verified.
 */
void		 ike_p1_source_verified(struct ike_sa *, uint8_t);
void		 ike_p1_fail(struct ike_sa *, uint16_t, const char *);
int		 ike_p1_read_id(struct ike_sa *, const struct ike_pl *);
void		 ike_p1_initial_contact(struct ike_sa *);
void		 ike_sa_timers_start(struct ike_sa *);

/* steps both exchanges take (phase1.c); "-1, failed": ike_p1_fail ran */
/*
 * Responder, message 1 in clear: its payloads, or -1 once the message is
 * counted, logged and answered with its notification.
 */
int		 ike_p1_parse_first(struct ike *, const struct ike_hdr *,
		    const uint8_t *, size_t, const struct sockaddr_in *,
		    const struct sockaddr_in *, struct ike_pls *);
/*
 * Responder, message 1: the SA payload (borrowed) parsed into the
 * caller's ike_sa_pl, the vendor IDs read, our choice of transform and
 * the SA body kept for the hashes; 0, or -1, failed.
 */
int		 ike_p1_respond_sa(struct ike_sa *, const struct ike_pls *,
		    const struct ike_pl *, struct ike_sa_pl *,
		    const struct ike_xf **);
/* Initiator: write our SA payload and keep its body; the transforms. */
int		 ike_p1_write_sa(struct ike_sa *, struct ike_wr *, int);
/* Initiator: send message 1 and arm its retransmission; 0 or -1. */
int		 ike_p1_send_first(struct ike_sa *, struct ike_wr *);
/* Initiator: the reply's single SA payload must be one of our offers. */
int		 ike_p1_accept_sa(struct ike_sa *, const struct ike_pls *);
/* Write our ID payload; its body goes into a 32-byte buffer, length. */
size_t		 ike_p1_write_id(struct ike_sa *, struct ike_wr *, uint8_t *);
/* Write HASH_I (responder 0) or HASH_R over our ID body. */
void		 ike_p1_write_hash(struct ike_sa *, struct ike_wr *, int,
		    const uint8_t *, size_t);
/* The peer's HASH payload against HASH_I/HASH_R over its ID body: 0/-1. */
int		 ike_p1_check_hash(struct ike_sa *, int, const uint8_t *,
		    size_t, const struct ike_pl *);
/* Initiator: INITIAL-CONTACT unless we hold state with the peer; 1 if. */
int		 ike_p1_write_initial_contact(struct ike_sa *, struct ike_wr *);
/* The pre-shared keys differ (what: the evidence); failed. */
void		 ike_p1_fail_auth(struct ike_sa *, const char *);
/*
 * A repeat of the last message received: counted, and our last message
 * sent again if resend.  1 if it was one (nothing more to do), else 0.
 */
int		 ike_p1_duplicate(struct ike_sa *, const uint8_t *, size_t,
		    int);

/* ---- natt.c -------------------------------------------------------------- */

#define IKE_VID_RFC3947		1
#define IKE_VID_DRAFT		2
int		 ike_natt_vid_kind(const uint8_t *, size_t);
void		 ike_natt_write_vids(struct ike_wr *, int);
void		 ike_natt_write_natd(struct ike_sa *, struct ike_wr *);
void		 ike_natt_read_natd(struct ike_sa *, const struct ike_pls *);
/* Switch the SA to port 4500 (initiator, once NAT is detected). */
void		 ike_natt_float(struct ike_sa *);
/* Responder: the message came to port 4500; answer there too. */
void		 ike_natt_follow_float(struct ike_sa *);
/* A protected message came from a new address/port: follow it. */
void		 ike_natt_peer_moved(struct ike_sa *,
		    const struct sockaddr_in *);
void		 ike_natt_keepalive_start(struct ike_sa *);
int		 ike_natt_encap(const struct ike_sa *);
uint8_t		 ike_natt_pl_natd(const struct ike_sa *);
extern const uint8_t ike_vid_dpd[16];

/* ---- quick.c, ipsec.c ---------------------------------------------------- */

int		 ike_qm_initiate(struct ike_sa *, uint32_t, uint32_t);
void		 ike_qm_input(struct ike_sa *, const struct ike_hdr *,
		    const uint8_t *, size_t);
void		 ike_qm_free(struct ike_qm *);
/* Every Quick Mode of the SA (exchanges in flight and lingering ones). */
void		 ike_qm_free_all(struct ike_sa *);
void		 ike_qm_connected(struct ike_sa *, uint32_t);
struct ike_qm	*ike_qm_find(struct ike_sa *, uint32_t);
/* Quick Modes waiting for phase 1 (reqids) now run. */
void		 ike_qm_run_pending(struct ike_sa *);
void		 ike_qm_abort_spi(struct ike_sa *, uint32_t, uint16_t);

struct ike_child *ike_child_new(struct ike *);
/* Fresh conn-ids for both SAs of the pair. */
void		 ike_child_new_conns(struct ike_child *);
/* Into the list and the indexes: its conn-ids, SPIs and peer are set. */
void		 ike_child_link(struct ike_child *);
/* Derive the keys of a finished Quick Mode into child. */
int		 ike_child_keys(struct ike_sa *, struct ike_qm *,
		    struct ike_child *);
int		 ike_child_install(struct ike_child *, int, int);
/* The outer addresses or ports changed: tell the data plane. */
void		 ike_child_update(struct ike_child *);
/*
 * In the list with its timers, logged and told to the listeners; old:
 * the inbound conn-id of the pair it replaces (a rekey), or 0.
 */
void		 ike_child_up(struct ike_child *, uint32_t);
/* As ike_child_up, the pair it replaces found among the peer's IKEv1
 * pairs for the same reqid and selector. */
void		 ike_child_established(struct ike_child *);
/* Replaced by a rekey: no rekey of its own, deleted IKE_REKEY_GRACE_MS
 * from now at the latest. */
void		 ike_child_superseded(struct ike_child *);
void		 ike_child_delete(struct ike_child *, int, const char *);
struct ike_child *ike_child_by_spi_in(struct ike *, uint32_t);
struct ike_child *ike_child_by_spi_out(struct ike *, struct in_addr,
		    uint32_t);
struct ike_child *ike_child_by_conn(struct ike *, uint32_t);
struct ike_child *ike_child_of_peer(struct ike *, struct in_addr,
		    struct ike_child *);
struct ike_child *ike_child_live_for_reqid(struct ike *, uint32_t,
		    struct in_addr);
/* The same among IKEv2's pairs (those of any IKE SA of the peer). */
struct ike_child *ike2_child_live_for_reqid(struct ike *, uint32_t,
		    struct in_addr);
void		 ike_child_timers_start(struct ike_child *);
void		 ike_child_rekey_done(struct ike_child *, struct ike_child *);
/* The pair's transform in transform-set words, into tw (len bytes). */
void		 ike_child_tset_words(const struct ike_child *, char *, size_t);
/* Negotiate a new pair for c's flows now (rekey); 0 or -1. */
int		 ike_child_rekey(struct ike_child *);
/* Unlink and free without events or Delete (the data plane is told). */
void		 ike_child_forget(struct ike_child *);
void		 ike_child_export(const struct ike_child *,
		    struct ike_ipsec_state *);
void		 ike_children_of_peer_delete(struct ike *, struct in_addr,
		    struct in_addr, int, const char *);
void		 ike_esp_expire(void *, uint32_t, int);
void		 ike_esp_acquire(void *, uint32_t, const struct esp_selector *);
void		 ike_esp_invalid_spi(void *, uint32_t, struct in_addr,
		    struct in_addr);

/* ---- info.c: informational, delete, DPD ---------------------------------- */

void		 ike_info_input(struct ike_sa *, const struct ike_hdr *,
		    const uint8_t *, size_t);
/* Unprotected informational about an SA in negotiation. */
void		 ike_info_plain(struct ike *, struct ike_sa *,
		    const struct ike_hdr *, const uint8_t *, size_t);
int		 ike_info_send_notify(struct ike_sa *, uint8_t, uint16_t,
		    const void *, uint8_t, const void *, size_t);
int		 ike_info_send_delete(struct ike_sa *, uint8_t, uint8_t,
		    const void *, uint16_t);
void		 ike_dpd_start(struct ike_sa *);
/* Delete an ISAKMP SA, telling the peer when it is established. */
void		 ike_isakmp_delete(struct ike_sa *, int, const char *);

#endif
