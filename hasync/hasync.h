/*
 * hasync: replication and failover between the two nodes of a pair
 * (docs/hasync.md).
 *
 * One struct hasync per daemon owns the sync channel (ipc/), follows the
 * election (vrrp/), and moves SA state between ike/ and esp/ of the two
 * nodes:
 *
 *   - the node's redundancy (RF) state, IOS names and numbers, from
 *     facts: configuration, election role, channel, the peer's crypto
 *     configuration digest, the snapshot's progress;
 *   - the active sends a snapshot of every ISAKMP and IPsec SA when the
 *     standby asks (every channel start), then every SA event in order,
 *     then the counters (replay-interval and a one-second sweep);
 *   - the standby installs it all through ike's import functions and
 *     esp's set_replay, and never sends on it; it advertises the lowest
 *     VRRP priority and never preempts until STANDBY HOT;
 *   - on becoming active it continues every SA (jumped outbound counters,
 *     or a Quick Mode rekey when the state is suspect) before the VIPs
 *     are claimed;
 *   - a planned switchover hands over without loss (switchover.c).
 *
 * The daemon wires it (daemon/mod_hasync.c): ike, esp and vrrp must exist
 * before hasync_new() and outlive hasync_free().  Every pointer passed in
 * is borrowed; cf is not kept, io is copied.
 */
#ifndef HAVPN_HASYNC_H
#define HAVPN_HASYNC_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <json-c/json.h>

struct config;
struct esp_backend;
struct hasync;
struct ike;
struct ipc;
struct vrrp;

/*
 * 1 if cf asks for the replication: "redundancy inter-device" and the
 * ipc association.  Then the node is a standby until the election says
 * otherwise: the daemon sets IKE passive (ike_set_active(ike, 0)) and the
 * data plane's outbound mode to DROP before hasync_new(), which needs
 * ike, esp and vrrp.
 */
int		 hasync_configured(const struct config *);

/*
 * The replication reads no clock and arms no timer of its own: the owner
 * gives it a clock and runs its timers, one per id, calling
 * hasync_timer_fire() when one is due.  havpnd does this with libev
 * (daemon/mod_hasync.c); the unit tests with a stepped virtual clock.
 */
enum ha_timer {
	HA_TIMER_SWEEP,		/* active: every second, the counters of
				   every SA that moved */
	HA_TIMER_FLUSH,		/* active: the coalesced counters of the SAs
				   the data plane reported; set with delay
				   0, run once the events at hand are done
				   (havpnd: before the loop sleeps) */
	HA_TIMER_RETRY,		/* standby COLD: ask again for a snapshot */
	HA_TIMER_APPLY,		/* deferred calls into vrrp (never from a
				   vrrp callback) */
	HA_TIMER_SWITCHOVER,	/* a planned switchover's deadlines */
	HA_TIMER_PREEMPT,	/* standby HOT: would VRRP preempt?  Then a
				   switchover */
	HA_TIMER_NEGO,		/* Backup at start: is an Active router
				   heard yet? */
	HA_TIMER_REKEY,		/* active: the next rekeys of a takeover or
				   a split brain's end, set with delay 0 */
	HA_NTIMERS
};

struct hasync_io {
	void		*arg;
	/* monotonic microseconds: every deadline and duration */
	uint64_t	(*now_us)(void *);
	/* real time in milliseconds: only to stamp history for show */
	uint64_t	(*wall_ms)(void *);
	/*
	 * Arm timer id to fire once, delay_ms from now (replacing the
	 * time it was armed for, if it was); stop it.  Each fires at most
	 * once per timer_set: the replication arms it again if need be.
	 */
	void		(*timer_set)(void *, enum ha_timer, uint64_t);
	void		(*timer_stop)(void *, enum ha_timer);
	/*
	 * The election's half of a planned switchover (havpnd: vrrp_handover
	 * and vrrp_takeover).  Each calls the role listener back before it
	 * returns: handover makes this node standby, takeover active.  0, or
	 * -1 if the election cannot (not Active; no group in Backup).
	 */
	int		(*handover)(void *);
	int		(*takeover)(void *);
	/*
	 * The VIPs a handover kept (vrrp_release_vips): removed once the
	 * new active holds them, or the switchover ended otherwise.  May be
	 * NULL (nothing kept).
	 */
	void		(*release)(void *);
	/*
	 * 1 when the election hears the other node as its Active router (an
	 * advert above priority 0 since this node left Master): the new
	 * active of a planned switchover holds the VIPs (it adds them as it
	 * first advertises), whatever became of its Ack on the sync link.
	 * May be NULL.
	 */
	int		(*peer_active)(void *);
};

/* Timer id is due (the owner's timer fired; it is no longer armed). */
void		 hasync_timer_fire(struct hasync *, enum ha_timer);

/*
 * Start: the channel (when "ipc zone default" / association 1 is
 * configured), the listeners on ike, esp and vrrp.  When configured,
 * hasync holds vrrp's preemption, sets the election's readiness from the
 * redundancy state and makes IKE and the data plane active when the
 * election makes this node Active.  NULL with "FILE:LINE: message" in err
 * when the channel cannot start.
 */
struct hasync	*hasync_new(struct ev_loop *, const struct hasync_io *,
		    const struct config *, struct ike *, struct esp_backend *,
		    struct vrrp *, char *, size_t);
/*
 * Stop (every timer through io->timer_stop), unhook from ike/esp/vrrp,
 * close the channel.  NULL: no-op.
 */
void		 hasync_free(struct hasync *);
/* A new configuration; 0, or -1 with a message in err (old kept). */
int		 hasync_reload(struct hasync *, const struct config *, char *,
		    size_t);

/* The channel, for show redundancy inter-device; NULL if none. */
struct ipc	*hasync_ipc(struct hasync *);

/*
 * Planned switchover, from either node: refused unless the peer is
 * STANDBY HOT (force overrides).  0 when started (its end shows in show
 * redundancy history), -1 with a reason.
 */
int		 hasync_switchover(struct hasync *, int, char *, size_t);

/* ---- facts for havpnctl -------------------------------------------------- */

/* show redundancy [states]: my and the peer's state, mode, channel. */
void		 hasync_show_states(struct hasync *, json_object *);
/* show redundancy history: RF changes, failovers and switchovers. */
void		 hasync_show_history(struct hasync *, json_object *);
/*
 * show standby: VRRP backups do not advertise, but the active knows its
 * standby over the sync channel.  0 with the standby's address on
 * interface ifname (from its hello; its sync channel address, its first
 * remote-ip, if its hello named none) and RF state name while this node
 * is active, the channel is up and the peer reports a STANDBY state; -1
 * otherwise.
 */
int		 hasync_standby_peer(struct hasync *, const char *,
		    struct in_addr *, const char **);
/*
 * The other node's address on the interface ifname, as its last Hello
 * over the sync channel said (kept while the channel is down): 0, or -1
 * if it never said.
 */
int		 hasync_peer_addr(const struct hasync *, const char *,
		    struct in_addr *);
/* show crypto ha: SAs synced and local, bulk, counters, messages. */
void		 hasync_show_crypto_ha(struct hasync *, json_object *);
/*
 * The same and every SA this node holds: cookies, SPIs, ports, lifetimes,
 * DPD sequence numbers, counters, and a fingerprint of its keys (and the
 * phase 1 IV): 8 bytes of SHA-256, so two nodes can be compared without
 * showing a key.
 */
void		 hasync_show_crypto_ha_detail(struct hasync *, json_object *);

/*
 * Bench tooling only (bench/bulk-sync, the key capture test): install n
 * synthetic tunnels (an ISAKMP SA, or with v2 an IKEv2 SA, and an IPsec
 * SA pair each) on this node as if negotiated with peers 10.200.0.0/16,
 * with keys derived from seed.  Refused unless the node is active.
 * Returns how many, -1 with a reason.
 */
int		 hasync_test_load(struct hasync *, int, uint32_t, int, char *,
		    size_t);
/*
 * Bench tooling only: move the counters of every synthetic tunnel synced
 * to the standby by delta (as if each had carried traffic), so the next
 * sweep sends them all.  How many, or -1 if not active.
 */
int		 hasync_test_bump(struct hasync *, uint32_t);

#endif
