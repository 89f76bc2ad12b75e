/*
 * vrrp: the VRRPv3 election (RFC 9568, IPv4), configured with HSRP words.
 *
 * One struct vrrp per daemon runs every "standby GRP" group of the
 * configuration: adverts on a raw socket to 224.0.0.18, the virtual IPs
 * added and removed over rtnetlink, gratuitous ARP when a group becomes
 * Active, "track N interface IF line-protocol" followed over rtnetlink.
 *
 * Groups move together: one group leads (the "scheme standby" group of
 * "redundancy inter-device", else the group named by the first "crypto map
 * ... redundancy NAME"), and every other group of the node follows it, so
 * the node is Active or Standby as a whole.  Without either line every
 * group is an election of its own.  docs/vrrp.md has the rules.
 *
 * Other modules never call into vrrp to learn the role: they register a
 * listener.  hasync uses vrrp_set_ready() and vrrp_handover().
 */
#ifndef HAVPN_VRRP_H
#define HAVPN_VRRP_H

#include <stdint.h>

#include <netinet/in.h>

struct ev_loop;
struct config;
struct vrrp;

/* The RFC's states; show standby prints them as Init, Standby, Active. */
enum vrrp_state {
	VRRP_STATE_INIT = 0,
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
};

/* The node's role: the state of the leading group. */
enum vrrp_role {
	VRRP_ROLE_INIT = 0,
	VRRP_ROLE_STANDBY,
	VRRP_ROLE_ACTIVE,
};

const char	*vrrp_state_name(enum vrrp_state);	/* "Init", ... */
const char	*vrrp_rfc_state_name(enum vrrp_state);	/* "Initialize", ... */
const char	*vrrp_role_name(enum vrrp_role);	/* "init", ... */

/* A group changed state; every pointer is valid during the call only. */
struct vrrp_group_change {
	const char	*ifname;
	int		 group;		/* the VRID */
	const char	*name;		/* standby GRP name, or hsrp-IF-GRP */
	struct in_addr	 vip;
	enum vrrp_state	 from;
	enum vrrp_state	 to;
	const char	*reason;
};

/*
 * Events.  Either function may be NULL.  role() is called when the node's
 * role changes: on becoming Active *before* the virtual IPs are added (a
 * listener may make its data plane ready synchronously), on leaving Active
 * *after* they are removed.  group() is called after the group's actions.
 * A callback must not call vrrp_set_ready(), vrrp_handover(),
 * vrrp_reload() or vrrp_free(): defer them (an ev watcher).
 */
struct vrrp_listener {
	void	(*group)(void *, const struct vrrp_group_change *);
	void	(*role)(void *, enum vrrp_role, enum vrrp_role, const char *);
	void	*arg;
};

/*
 * Build the election from cf (nothing is kept pointing into cf), remove
 * the virtual IPs a crashed predecessor left on the interfaces, open the
 * sockets and start every group (Initialize -> Backup).  NULL on error,
 * logged.
 */
struct vrrp	*vrrp_new(struct ev_loop *, const struct config *);
/*
 * Stop: every Active group sends a priority-0 advert (the peer takes over
 * after its skew time) and removes its virtual IP.  NULL is a no-op.
 */
void		 vrrp_free(struct vrrp *);
/*
 * A new configuration.  Groups that keep their interface, VRID and virtual
 * IP keep running with the new priority, timers, preemption and tracking
 * (a priority change is advertised at once); any other change to the set
 * of groups restarts the election (logged).  0, or -1 if the restart
 * failed (the election is then stopped, logged).
 */
int		 vrrp_reload(struct vrrp *, const struct config *);

/*
 * Subscribe (the struct is copied); 0, or -1 if VRRP_MAX_LISTENERS are.
 * Listeners are called in the order they were added.  Remove it when its
 * owner stops: vrrp_free() still reports the final Init.
 */
#define VRRP_MAX_LISTENERS	4
int		 vrrp_listen(struct vrrp *, const struct vrrp_listener *);
/* Unsubscribe every listener with this arg; returns how many. */
int		 vrrp_unlisten(struct vrrp *, const void *);

enum vrrp_role	 vrrp_role(const struct vrrp *);

/*
 * Who may advertise beside us: fn(arg, ifname, &addr) gives the pair's
 * other node's address on that interface, 0, or -1 when it is not known
 * (then any source is heard).  A group's "standby GRP peer ADDR" comes
 * first.  Adverts from another source are dropped, counted as "peer".
 */
typedef int	(*vrrp_peer_fn)(void *, const char *, struct in_addr *);
void		 vrrp_set_peer_fn(struct vrrp *, vrrp_peer_fn, void *);

/*
 * hasync: a standby that is not STANDBY HOT is not ready.  While not
 * ready the node advertises priority 1 (the lowest a router may use, so
 * any ready peer is preferred) and never preempts; it still becomes Active
 * when no other router is heard at all.  Ready again: the configured
 * priority (minus tracking) is advertised at once and preemption is as
 * configured.  The node starts ready.
 */
void		 vrrp_set_ready(struct vrrp *, int);
int		 vrrp_ready(const struct vrrp *);

/*
 * A planned handover: if Active, every group sends a priority-0 advert
 * and becomes Standby, and the node is made not ready (so it does not
 * preempt back); the caller sets it ready again when it may.  The virtual
 * IPs stay until vrrp_release_vips() (or the next state change): what
 * reaches them before the new Active router has added its own is still
 * received here.  -1 if the node is not Active.
 */
int		 vrrp_handover(struct vrrp *);
/* The virtual IPs a planned handover kept: removed now.  How many. */
int		 vrrp_release_vips(struct vrrp *);

/*
 * The other half of a planned handover: the Active peer has agreed (and
 * sends priority 0 as it steps down), so every Backup group becomes Active
 * now, without waiting for its Master_Down_Timer: the role callback runs,
 * the adverts go out, the VIPs are added, gratuitous ARP follows.  -1 if
 * no group is in Backup (Init: a link or track is down).
 */
int		 vrrp_takeover(struct vrrp *);

/*
 * hold: never preempt, whatever "standby GRP preempt" says (hasync
 * preempts with a planned switchover instead, so no packet is lost); the
 * advertised priority is unchanged.  0: preemption as configured.
 */
void		 vrrp_hold_preempt(struct vrrp *, int);

/*
 * After a crash of havpnd (kill -9, the node still up): remove every
 * configured virtual IP found on its interface, now, so that only the
 * peer answers for it (havpnd -C, the systemd unit's ExecStopPost; the
 * VIPs' 2 s lifetime does it a little later anyway).  Returns how many
 * were removed, -1 if rtnetlink failed.
 */
int		 vrrp_remove_vips(const struct config *);

/* ---- facts for "show standby" ------------------------------------------- */

struct vrrp_track_info {
	int		 id;
	const char	*ifname;
	int		 up;
	int		 decrement;	/* 0 with shutdown */
	int		 shutdown;
};

/* The drop reasons, counted per interface (VRRP_DROP_NAMES order). */
#define VRRP_NDROPS	12
extern const char *const vrrp_drop_names[VRRP_NDROPS];

struct vrrp_group_info {
	const char	*ifname;
	int		 group;
	const char	*name;
	int		 name_configured;
	struct in_addr	 vip;
	struct in_addr	 local;		/* the advert source */
	uint8_t		 mac[6];	/* the interface's MAC */
	enum vrrp_state	 state;
	int		 link_up;
	uint64_t	 state_changes;
	uint64_t	 last_change_ago_ms;	/* UINT64_MAX: never */
	const char	*last_reason;
	uint32_t	 hello_ms;
	uint32_t	 hold_ms;
	uint32_t	 master_adv_ms;	/* learned from the Active router */
	uint64_t	 master_down_us;
	uint64_t	 skew_us;
	int64_t		 next_hello_ms;	/* -1: none scheduled */
	int		 preempt;	/* as configured (the leader's) */
	int		 preempt_delay;
	int		 preempt_effective;
	int		 priority;	/* advertised (effective) */
	int		 configured_priority;
	int		 ready;
	int		 active_known;	/* another router is Active */
	struct in_addr	 active_ip;
	int		 active_priority;
	int64_t		 active_expires_ms;
	int		 checksum_rfc9568;
	const char	*leader;	/* the leading group's name, or NULL */
	int		 leads;
	const struct vrrp_track_info *tracks;	/* the set's tracking */
	int		 ntracks;
	uint64_t	 adverts_rx;
	uint64_t	 adverts_tx;
	uint64_t	 prio0_rx;
	uint64_t	 prio0_tx;
	uint64_t	 checksum_other_form;
	uint64_t	 interval_mismatch;
	uint64_t	 address_mismatch;
	uint64_t	 garps_tx;
	const uint64_t	*if_drops;	/* VRRP_NDROPS, the interface's */
};

int		 vrrp_ngroups(const struct vrrp *);
/* Fill info for group i (0 .. ngroups-1); pointers valid until the loop
 * runs again.  -1 if out of range. */
int		 vrrp_group_info(const struct vrrp *, int,
		    struct vrrp_group_info *);
/*
 * show standby (vrrp/show.c): one group's facts, and, on the Active
 * router, its standby: sb (its address on the group's interface) and
 * sb_state (its RF state) as the sync channel knows them, or NULL.  The
 * caller owns the object.
 */
struct json_object;
struct json_object *vrrp_show_group(const struct vrrp_group_info *,
		    const struct in_addr *, const char *);

#endif
