/*
 * hasync/ha_int.h: the replication's internals, shared by the files of
 * hasync/.
 *
 *   hasync.c	life cycle, the channel's handlers, hello, the RF state
 *   msg.c	the codec and its range checks (msg.h)
 *   digest.c	the digest of the crypto configuration
 *   table.c	the SAs the sync knows (both roles), by conn-id
 *   send.c	the active: snapshot (bulk), incremental events, counters
 *   apply.c	the standby: what arrives, installed in ike/ and esp/
 *   takeover.c	role changes: becoming active (counters, rekeys) and standby
 *   switchover.c planned switchover (a drain)
 *   status.c	the facts of show redundancy and show crypto ha
 *
 * Objects:
 *   struct hasync	one per daemon
 *   struct ha_isakmp	an ISAKMP SA synced (sent by the active, installed
 *			on the standby)
 *   struct ha_ike2	an IKEv2 IKE SA synced (its CHILD SAs are pairs)
 *   struct ha_pair	an IPsec SA pair synced, with its counter state:
 *			on the active what was last sent, on the standby a
 *			struct ctr_track for the outbound SA
 *
 *   timer.c	the clock and the timers, through struct hasync_io
 *
 * Timers (enum ha_timer, run by the owner; timer.c dispatches them):
 *   SWEEP	active: every second, the counters of every SA that moved
 *   FLUSH	active: once the events at hand are done, the coalesced
 *		counters of SAs the data plane reported
 *		(esp_listener counter_update)
 *   RETRY	standby: ask again for a snapshot while STANDBY COLD
 *   APPLY	deferred calls into vrrp (never from a vrrp callback)
 *   SWITCHOVER	a planned switchover's deadlines
 *   PREEMPT	standby HOT: every 500 ms, would VRRP preempt?  Then a
 *		switchover
 *   NEGO	Backup at start: every 50 ms, has an Active router been
 *		heard yet?
 *   REKEY	active: the next HA_REKEY_TURN rekeys a takeover or a split
 *		brain's end queued (one batch per turn of the loop)
 */
#ifndef HAVPN_HASYNC_HA_INT_H
#define HAVPN_HASYNC_HA_INT_H

#include <stdint.h>

#include <ev.h>
#include <json-c/json.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "ipc/ipc.h"
#include "vrrp/vrrp.h"
#include "hasync/hasync.h"
#include "hasync/ctr.h"
#include "hasync/fields.h"
#include "hasync/msg.h"
#include "hasync/rf.h"

#define HA_BUCKETS		16384	/* power of two */
#define HA_SWEEP_MS		1000	/* counters of moving SAs, at least */
#define HA_RETRY_MS		2000	/* snapshot request while COLD */
#define HA_STALE_MS		3000	/* older counter state: rekey */
#define HA_REKEY_TURN		32	/* rekeys started in one turn */
#define HA_HISTORY		64	/* switchovers and failovers kept */
#define HA_NEGO_MS		50	/* Backup: is an Active heard yet? */
#define HA_PREEMPT_POLL_MS	500	/* STANDBY HOT: would VRRP preempt? */
/*
 * The bound of the active's STATE queue (records ipc refused, waiting for
 * room), not counting the snapshot being sent: past it the queue is
 * dropped and the standby resyncs (docs/hasync.md, "The state queue").
 */
#define HA_SQ_MAX_BYTES		(8u << 20)
#define HA_SQ_MAX_RECORDS	32768

/* ---- the SAs the sync knows (table.c) ------------------------------------ */

/* A member of the same type as struct ike_isakmp_state's. */
#define HA_NOTED_MEMBER(name)						\
	__typeof__(((struct ike_isakmp_state *)0)->name) name;

struct ha_qrec;

struct ha_isakmp {
	struct ha_isakmp *hnext;
	struct ha_isakmp *next;		/* every entry */
	struct ha_isakmp *prev;
	uint32_t	 conn_id;
	struct ha_qrec	*queued;	/* active: its event still queued */
	/* the state's fields of HA_ISAKMP_NOTED (fields.h), as noted */
	struct {
		HA_ISAKMP_NOTED(HA_NOTED_MEMBER)
	}		 noted;
	int		 seen;		/* standby: in the current snapshot */
};

/* A member of the same type as struct ike_ike2_state's. */
#define HA_NOTED_MEMBER2(name)						\
	__typeof__(((struct ike_ike2_state *)0)->name) name;

struct ha_ike2 {
	struct ha_ike2	*hnext;
	struct ha_ike2	*next;		/* every entry */
	struct ha_ike2	*prev;
	uint32_t	 conn_id;
	struct ha_qrec	*queued;	/* active: its event still queued */
	/* the state's fields of HA_IKE2_NOTED (fields.h), as noted */
	struct {
		HA_IKE2_NOTED(HA_NOTED_MEMBER2)
	}		 noted;
	int		 seen;		/* standby: in the current snapshot */
};

struct ha_pair {
	struct ha_pair	*hnext_in;	/* chain by conn_in */
	struct ha_pair	*hnext_out;	/* chain by conn_out */
	struct ha_pair	*next;		/* every entry */
	struct ha_pair	*prev;
	uint32_t	 conn_in;
	uint32_t	 conn_out;
	uint32_t	 spi_in;
	uint32_t	 spi_out;
	uint16_t	 local_port;
	uint16_t	 remote_port;
	/* active: what the standby was sent last */
	uint64_t	 sent_seq_out;
	uint64_t	 sent_top;
	uint64_t	 sent_bm0;
	int		 queued_in;	/* in the coalescing queue */
	int		 queued_out;
	struct ha_qrec	*queued;	/* its event still on the STATE queue */
	/* standby */
	struct ctr_track out;		/* the outbound sequence number */
	uint64_t	 in_at_ms;	/* last inbound window, 0: never */
	uint64_t	 exact_out;	/* switchover: the exact value */
	int		 have_exact;
	int		 drain_exact;	/* switchover: its counter after the
					   old active's drain arrived */
	int		 seen;		/* in the current snapshot */
	int		 replaced;	/* a rekey replaced it */
};

struct ha_table {
	struct ha_isakmp *isakmp_b[HA_BUCKETS];
	struct ha_isakmp *isakmp;
	int		 nisakmp;
	struct ha_ike2	*ike2_b[HA_BUCKETS];
	struct ha_ike2	*ike2;
	int		 nike2;
	struct ha_pair	*in_b[HA_BUCKETS];
	struct ha_pair	*out_b[HA_BUCKETS];
	struct ha_pair	*pairs;
	int		 npairs;
};

void		 ha_table_init(struct ha_table *);
void		 ha_table_clear(struct ha_table *);
struct ha_isakmp *ha_isakmp_find(struct ha_table *, uint32_t);
struct ha_isakmp *ha_isakmp_add(struct ha_table *, uint32_t);
struct ha_isakmp *ha_isakmp_note(struct ha_table *,
		    const struct ike_isakmp_state *);
/* 1 if the state's noted fields are those the entry noted. */
int		 ha_isakmp_same(const struct ha_isakmp *,
		    const struct ike_isakmp_state *);
void		 ha_isakmp_del(struct ha_table *, struct ha_isakmp *);
struct ha_ike2	*ha_ike2_find(struct ha_table *, uint32_t);
struct ha_ike2	*ha_ike2_note(struct ha_table *, const struct ike_ike2_state *);
int		 ha_ike2_same(const struct ha_ike2 *,
		    const struct ike_ike2_state *);
void		 ha_ike2_del(struct ha_table *, struct ha_ike2 *);
void		 ha_pair_note(struct ha_pair *, const struct ike_ipsec_state *);
/* By either conn-id of the pair. */
struct ha_pair	*ha_pair_find(struct ha_table *, uint32_t);
struct ha_pair	*ha_pair_find_in(struct ha_table *, uint32_t);
struct ha_pair	*ha_pair_add(struct ha_table *, uint32_t, uint32_t);
void		 ha_pair_del(struct ha_table *, struct ha_pair *);

/* ---- statistics ---------------------------------------------------------- */

/* Why a received message was dropped (HA_DROP_NAMES order). */
enum ha_drop {
	HA_DROP_MALFORMED,	/* did not decode or failed a range check */
	HA_DROP_STREAM,		/* arrived on a stream it does not belong to */
	HA_DROP_ROLE,		/* not for this node's role now */
	HA_DROP_NO_SESSION,	/* state before any snapshot was asked for */
	HA_DROP_UNKNOWN_SA,	/* counters or delete of an SA not synced */
	HA_DROP_IMPORT,		/* ike/ or esp/ refused the state */
	HA_DROP_CONFIG,		/* the peer's crypto configuration differs */
	HA_DROP_STALE,		/* of an older snapshot or switchover */
	HA_NDROPS
};
#define HA_DROP_NAMES { "malformed", "wrong_stream", "wrong_role", \
	"no_session", "unknown_sa", "import_refused", "config_mismatch", \
	"stale" }

struct ha_stats {
	uint64_t	 tx_msgs[HA_M_LAST + 1];
	uint64_t	 rx_msgs[HA_M_LAST + 1];
	uint64_t	 tx_records;
	uint64_t	 rx_records;
	uint64_t	 tx_bytes;
	uint64_t	 rx_bytes;
	uint64_t	 tx_refused;	/* ipc_send said no (counted, resent) */
	uint64_t	 drops[HA_NDROPS];
	uint64_t	 counters_sent;	/* single SA counter values */
	uint64_t	 counters_applied;
	uint64_t	 counters_unknown;	/* of SAs not (yet) here */
	uint64_t	 sweeps;
	uint64_t	 bulks_sent;
	uint64_t	 bulk_repeats;	/* a request again, its snapshot sent */
	uint64_t	 bulks_received;
	uint64_t	 imports;
	uint64_t	 forgotten;	/* standby: SAs removed */
	uint64_t	 rekeys_takeover; /* Quick Mode rekeys at takeover */
	uint64_t	 rekeys_split;	/* after a split brain */
	uint64_t	 jumps;		/* outbound counters jumped */
	uint64_t	 exact;		/* outbound counters continued as is */
	uint64_t	 sq_coalesced;	/* queued SA events replaced by newer */
	uint64_t	 sq_overflows;	/* STATE queue over its bound: resync */
};

/* ---- history of failovers and switchovers -------------------------------- */

struct ha_event {
	uint64_t	 wall_ms;
	char		 what[24];	/* failover, switchover, split-brain */
	char		 reason[112];
	uint64_t	 duration_us;	/* 0: not measured */
	uint32_t	 sas;		/* IPsec pairs continued */
	uint32_t	 rekeyed;	/* pairs rekeyed instead */
	uint32_t	 exact;		/* outbound counters exact */
};

/* ---- the planned switchover (switchover.c) ----------------------------- */

enum ha_sw_state {
	HA_SW_IDLE,
	/* the old active */
	HA_SW_CHECKING,		/* asked the standby; nothing changed yet */
	HA_SW_HANDED_OVER,	/* VIPs handed over, the new active's Ack not
				   in: still sending what reaches it */
	HA_SW_DRAINING,		/* acknowledged: sending what is still queued
				   until the TUN queue is quiet */
	/* the new active */
	HA_SW_WAIT_DRAIN,	/* active, holding its own outbound */
	HA_SW_WAIT_FINAL,	/* elected before the Final came: active,
				   holding its own outbound */
	/* the standby that asked */
	HA_SW_REQUESTED,
};

struct ha_switchover_st {
	enum ha_sw_state state;
	uint64_t	 id;
	int		 force;
	uint64_t	 started_us;
	uint64_t	 ack_us;	/* old active: the new one took over */
	uint64_t	 last_tun_us;	/* old active: last packet drained */
	uint64_t	 tun_in;	/* old active: the engine's tun_in */
	uint64_t	 drained;	/* packets sent after the VIPs moved */
	uint32_t	 counters_rx;	/* new active: counters since Final */
	char		 reason[HA_REASON_MAX + 1];
	char		 result[320];	/* the last one, for show */
	uint64_t	 done;		/* completed here (either side) */
	uint64_t	 refused;
	int		 no_auto_preempt; /* handed over: never take back */
	/* the old active: Done's copies still due (switchover.c) */
	int		 done_copy;
	uint32_t	 done_n;
	int		 done_rx;	/* the new active: this id's Done came */
	/* the standby: the switchover it accepted, whose Final is due */
	uint64_t	 expect_id;
	uint64_t	 expect_until_us;	/* 0: none */
	/* a BulkRequest that came during the switchover: served at its end */
	int		 deferred_bulk;
	uint64_t	 deferred_bulk_id;
};

/* ---- the states of the replication -------------------------------------- */

/*
 * Each concern has one named state; what moves it, and nothing else:
 *
 * The active's sync session with its standby (send.c), ha->session:
 *   NONE	no standby is synced: SA events and counters are not sent
 *   SYNCING	a snapshot was queued for the standby's BulkRequest;
 *		every SA event and counter follows it on the same streams
 *   NONE -> SYNCING	a BulkRequest while active and no switchover
 *			is under way, or one deferred by the switchover
 *			when it ends (ha->sw.deferred_bulk)
 *   SYNCING -> SYNCING	another BulkRequest: a new snapshot
 *   SYNCING -> NONE	the channel goes down, the peer is no standby,
 *			this node becomes standby or leaves the election
 *   SYNCING -> NONE	the STATE queue passed its bound (HA_SQ_MAX_*):
 *			dropped, and SessionEnd tells the standby
 *
 * The standby's snapshot (apply.c, hasync.c), ha->bulk (enum rf_bulk, a
 * fact of the RF state: NONE and REQUESTED are STANDBY COLD, RUNNING
 * COLD-BULK, DONE HOT):
 *   NONE	no snapshot on this association, none asked for
 *   REQUESTED	a BulkRequest is out (the RETRY timer armed)
 *   RUNNING	BulkBegin of this node's last request arrived
 *   DONE	BulkEnd of the same epoch arrived (or nothing to sync:
 *		no crypto map is stateful)
 *   NONE -> REQUESTED	a standby that knows its peer asks (ha_request_bulk)
 *   REQUESTED -> REQUESTED
 *			no BulkBegin in HA_RETRY_MS: asked again, with the
 *			same id (an active sending it lets it run)
 *   REQUESTED, RUNNING, DONE -> NONE -> REQUESTED
 *			the peer became active: asked again, with a new id
 *			(its session ended when it left ACTIVE)
 *   REQUESTED -> RUNNING	BulkBegin whose epoch is the last request's id
 *   RUNNING -> DONE	BulkEnd of that epoch
 *   REQUESTED, RUNNING, DONE -> NONE -> REQUESTED
 *			SessionEnd of the last request's epoch (the
 *			active's queue for this node overflowed): asked
 *			again, with a new id
 *   NONE -> DONE	a stateless node, once its peer is known
 *   any -> NONE	the channel goes up or down, any role change
 *
 * The planned switchover (switchover.c), ha->sw.state, enum ha_sw_state:
 * the sequence diagram at the top of switchover.c.
 *
 * Split brain (hasync.c, takeover.c), ha->split:
 *   NONE	nothing owed
 *   ALONE	this node was active while the channel was down: the peer
 *		may have been too; said in the next Hello
 *		(partitioned_active)
 *   REKEY	both were: every pair both knew is rekeyed once this node
 *		is active and the peer a standby (ha_split_brain_heal)
 *   REKEY_ALONE	REKEY, and the channel went down again meanwhile
 *   NONE -> ALONE, REKEY -> REKEY_ALONE
 *		the channel goes down while active, or the node becomes
 *		active with no channel
 *   NONE, ALONE -> REKEY
 *		active while the peer is ACTIVE over a live channel (its
 *		heartbeat or Hello, or this node elected while it was)
 *   ALONE -> REKEY	the peer's Hello: it was active alone too, or
 *			active since we last asked it for a snapshot
 *			(active_unsynced)
 *   ALONE -> NONE	the peer's Hello: it was not
 *   REKEY_ALONE -> REKEY	any Hello from the peer
 *   REKEY -> NONE, REKEY_ALONE -> ALONE
 *		the rekey (active, the peer a standby: its heartbeat
 *		may come before its Hello)
 *   REKEY -> NONE, REKEY_ALONE -> ALONE
 *		this node becomes standby or leaves the election: the
 *		node the election keeps active rekeys
 *
 * Two facts stay flags, independent of any state above:
 *   counters_lost	a Counters send was refused (channel full): the
 *			next sweep sends every SA, whatever the session did
 *			meanwhile
 *   sw.deferred_bulk	a BulkRequest that arrived during a switchover
 *			(any step) waits for its end
 */
enum ha_session {
	HA_SESSION_NONE,
	HA_SESSION_SYNCING,
};

enum ha_split {
	HA_SPLIT_NONE,
	HA_SPLIT_ALONE,
	HA_SPLIT_REKEY,
	HA_SPLIT_REKEY_ALONE,
};

/*
 * A record on the active's STATE queue: what ipc refused (its own queue
 * full), waiting for writable, in order.  What it holds decides how it is
 * bounded and coalesced (docs/hasync.md, "The state queue"):
 *   SNAPSHOT	BulkBegin, a batch of the snapshot, BulkEnd: not counted
 *		toward the bound (a new snapshot drops what is queued)
 *   ISAKMP	an ISAKMP SA's up or update, key its conn-id: a newer one
 *		replaces it in place while it is queued
 *   IKE2	an IKEv2 SA's up or update, key its conn-id: the same
 *   IPSEC	an IPsec pair's up, rekey or update, key its inbound conn-id:
 *		the same (replaces kept)
 *   OTHER	deletes, counters, switchover markers: never replaced
 */
enum ha_qkind {
	HA_Q_OTHER,
	HA_Q_SNAPSHOT,
	HA_Q_ISAKMP,
	HA_Q_IPSEC,
	HA_Q_IKE2,
};

struct ha_qrec {
	struct ha_qrec	*next;
	uint8_t		*p;		/* owned: wiped when sent or dropped */
	size_t		 len;
	enum ha_qkind	 kind;
	uint32_t	 key;		/* ISAKMP, IKE2: conn-id; IPSEC: conn_in */
	uint32_t	 replaces;	/* IPSEC: the pair a rekey replaces;
					   IKE2: the SA a rekey replaces */
};

/* ---- the replication ----------------------------------------------------- */

struct hasync {
	struct ev_loop	*loop;		/* the channel's (ipc/); NULL in tests */
	struct hasync_io io;
	uint32_t	 timers;	/* bit per enum ha_timer: armed */
	struct ike	*ike;
	struct esp_backend *esp;
	struct vrrp	*vrrp;
	struct ipc	*ipc;

	/* from the configuration (nothing points into it) */
	int		 configured;	/* redundancy inter-device + ipc */
	int		 stateful;	/* crypto map ... stateful */
	char		*scheme;	/* the scheme standby group's name */
	char		*hostname;
	uint8_t		 digest[HA_DIGEST_LEN];
	struct ha_map_iv {
		char	 name[65];
		uint32_t in;
		uint32_t out;
	}		*maps;
	int		 nmaps;

	struct rf	 rf;
	enum rf_role	 role;
	int		 started;
	uint64_t	 role_since_ms;

	/* the peer, from its hello and heartbeats */
	struct in_addr	 peer_addr;	/* its first remote-ip, or 0 */
	int		 chan_up;
	int		 peer_hello;
	struct ha_hello	 peer;
	uint8_t		 peer_rf;
	int		 config_match;
	uint64_t	 chan_up_us;	/* when the channel last came up */
	enum ha_split	 split;		/* split brain (above) */
	/*
	 * active since the peer last asked us for a snapshot: the peer may
	 * not know we sent (our ACTIVE heartbeat lost with the channel);
	 * said in the next Hello as partitioned_active
	 */
	int		 active_unsynced;

	/* the election (deferred calls into vrrp, see apply) */
	int		 ready_want;	/* what vrrp readiness should be */

	struct ha_table	 t;

	/* active: the standby's sync session */
	enum ha_session	 session;	/* (above) */
	uint64_t	 session_id;
	uint32_t	*dirty;		/* conn-ids with a counter update */
	size_t		 ndirty;
	size_t		 dirty_cap;
	int		 counters_lost;	/* a counters send was refused */
	/* the STATE stream's own queue (records in order) */
	struct ha_qrec	*sq_head, **sq_tail;
	size_t		 sq_bytes;	/* everything queued */
	size_t		 sq_n;
	size_t		 sq_bound_bytes; /* what counts toward the bound */
	size_t		 sq_bound_n;

	/* standby: the snapshot under way */
	enum rf_bulk	 bulk;
	uint64_t	 bulk_req_id;
	uint64_t	 bulk_epoch;
	struct ha_bulk	 bulk_expect;
	uint32_t	 bulk_got_isakmp;
	uint32_t	 bulk_got_ipsec;
	uint32_t	 bulk_got_ike2;
	uint64_t	 bulk_begin_us;
	uint64_t	 bulk_last_us;	/* duration of the last complete one */
	uint64_t	 bulk_hot_us;	/* the channel up to its end */
	uint64_t	 bulk_last_bytes;
	uint64_t	 bulk_bytes;
	uint64_t	 last_sweep_ms;	/* standby: the active's last sweep */
	uint64_t	 last_counter_ms;

	/* history of takeovers and switchovers */
	struct ha_event	 hist[HA_HISTORY];
	int		 nhist;
	int		 hnext;

	struct ha_switchover_st sw;

	/*
	 * active: pairs to rekey, HA_REKEY_TURN per turn of the loop (each
	 * Quick Mode with PFS costs a DH key: 8,875 in one turn held a
	 * takeover's loop for 7.4 s); their outbound SAs left at once
	 */
	struct ha_rekey {
		uint32_t conn_in;
		int	 split;		/* a split brain's end, not a takeover */
	}		*rq;
	size_t		 rq_n, rq_next, rq_cap;
	/*
	 * active: the pairs a split brain's end rekeys, until a rekey
	 * replaced them; no planned switchover meanwhile (the owed rekey is
	 * not replicated: the new active would continue them exactly, below
	 * the numbers the other node sent)
	 */
	uint32_t	*owed;
	size_t		 nowed, owed_cap;

	struct ha_stats	 st;
	struct log_ratelimit rl_drop;
	/* unit tests: records go here instead of the channel */
	int		(*xmit)(void *, enum ipc_stream, const uint8_t *,
			    size_t);
	void		*xmit_arg;

	uint64_t	 preempt_since_ms;
	uint64_t	 preempt_retry_ms;
};

/* hasync.c */
/*
 * The replication without channel and election (hasync_new adds them);
 * unit tests drive it with xmit and ha_receive.
 */
struct hasync	*ha_create(const struct hasync_io *, const struct config *,
		    struct ike *, struct esp_backend *);
/* The sync channel's handlers (arg: the struct hasync); unit tests play
 * the channel through them. */
extern const struct ipc_handlers ha_chan_handlers;
/* One record from the channel. */
void		 ha_receive(struct hasync *, enum ipc_stream, const uint8_t *,
		    size_t);
void		 ha_rf_update(struct hasync *, const char *);
void		 ha_drop(struct hasync *, enum ha_drop, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
/* Send one message on a stream; STATE goes through the ordered queue. */
int		 ha_send(struct hasync *, enum ipc_stream,
		    const struct ha_msg *);
/*
 * An SA's event (HA_M_ISAKMP, HA_M_IKE2 or HA_M_IPSEC) on the STATE stream; *slot is
 * the SA's table entry's queued: while its previous event waits on the
 * queue, this one replaces it there.
 */
void		 ha_send_sa(struct hasync *, const struct ha_msg *,
		    struct ha_qrec **);
/* A finished record onto the STATE queue (p adopted); ha_state_pump
 * hands it on. */
void		 ha_state_enqueue(struct hasync *, uint8_t *, size_t,
		    enum ha_qkind);
/*
 * Hand queued records to the channel while it takes them, then the
 * bound: past it the queue is dropped, the session ends and the standby
 * is told (SessionEnd).
 */
void		 ha_state_pump(struct hasync *);
/* Drop everything queued (wiped). */
void		 ha_state_drop(struct hasync *);
void		 ha_schedule_apply(struct hasync *);
void		 ha_send_hello(struct hasync *);
void		 ha_request_bulk(struct hasync *);
void		 ha_history_add(struct hasync *, const char *, const char *,
		    uint64_t, uint32_t, uint32_t, uint32_t);

/* hasync.c: timers due */
void		 ha_retry_due(struct hasync *);
void		 ha_apply_due(struct hasync *);

/* timer.c: the clock and the timers of struct hasync_io */
uint64_t	 ha_now_us(const struct hasync *);
uint64_t	 ha_now_ms(const struct hasync *);
uint64_t	 ha_wall_ms(const struct hasync *);
/* Arm (or re-arm) a one-shot timer delay_ms from now; stop it. */
void		 ha_timer_set(struct hasync *, enum ha_timer, uint64_t);
void		 ha_timer_stop(struct hasync *, enum ha_timer);
int		 ha_timer_armed(const struct hasync *, enum ha_timer);

/* digest.c */
void		 ha_config_digest(const struct config *, uint8_t *, char **);

/* send.c: the active's side */
void		 ha_session_start(struct hasync *, uint64_t);
void		 ha_session_stop(struct hasync *);
void		 ha_listen_ike(struct hasync *);
void		 ha_esp_counter_update(void *, uint32_t);
void		 ha_sweep_due(struct hasync *);
void		 ha_flush_due(struct hasync *);
/* Exact counters of every synced SA onto the STATE queue; how many. */
uint32_t	 ha_send_exact_counters(struct hasync *);

/* apply.c: the standby's side */
void		 ha_apply(struct hasync *, enum ipc_stream,
		    const struct ha_msg *);
void		 ha_apply_traffic(struct hasync *, uint32_t,
		    const struct ha_counter *);
/* Forget everything the sync installed (not the SAs of our own). */
void		 ha_forget_all(struct hasync *);

/* takeover.c */
void		 ha_vrrp_role(void *, enum vrrp_role, enum vrrp_role,
		    const char *);
void		 ha_become_active(struct hasync *, const char *, int);
void		 ha_become_standby(struct hasync *, const char *);
void		 ha_split_brain_heal(struct hasync *);
/* The next HA_REKEY_TURN queued rekeys (HA_TIMER_REKEY). */
void		 ha_rekey_due(struct hasync *);
/* The queue emptied: a role change, or the end. */
void		 ha_rekey_clear(struct hasync *);
/* Pairs a split brain's end still rekeys (none replaced them yet). */
size_t		 ha_split_rekeys_owed(struct hasync *);
void		 ha_split_owed_clear(struct hasync *);
/* Split brain events (the transitions above). */
void		 ha_split_alone(struct hasync *);
void		 ha_split_hello(struct hasync *, int);
void		 ha_split_both_active(struct hasync *);
void		 ha_split_standby(struct hasync *);
int		 ha_split_alone_now(const struct hasync *);
int		 ha_split_rekey_owed(const struct hasync *);
void		 ha_nego_due(struct hasync *);
/* The election made the node Backup: standby, or still negotiating. */
void		 ha_vrrp_backup(struct hasync *, const char *);

/* switchover.c */
int		 ha_switchover_start(struct hasync *, int, const char *, char *,
		    size_t);
void		 ha_switchover_msg(struct hasync *, const struct ha_msg *);
void		 ha_switchover_reset(struct hasync *, const char *);
void		 ha_switchover_role(struct hasync *, int, const char *);
void		 ha_switchover_due(struct hasync *);
/* The election made this standby active: a due Final is waited for. */
void		 ha_switchover_elected(struct hasync *);
/* The new active of a switchover, its outbound held (WAIT_DRAIN/FINAL). */
int		 ha_switchover_taking_over(const struct hasync *);
void		 ha_preempt_due(struct hasync *);
/* A STANDBY HOT node that would preempt asks for a switchover instead. */
void		 ha_maybe_preempt(struct hasync *);

#endif
