/*
 * The redundancy facility (RF) state of a node, with the IOS names and
 * numbers, derived from facts rather than driven by events:
 *
 *   DISABLED 1		no redundancy inter-device (or no way to sync)
 *   INITIALIZATION 2	the daemon is starting
 *   NEGOTIATION 3	the election has not decided this node's role yet
 *   STANDBY COLD 4	standby without usable state: no channel, the peer's
 *			crypto configuration differs, or no snapshot yet
 *   STANDBY COLD-BULK 7	standby receiving the bulk snapshot
 *   STANDBY HOT 8	standby holding every SA: it can take over
 *   ACTIVE 13		the node owns the VIPs and the tunnels
 *
 * rf_update() takes the new facts, recomputes the state and keeps a
 * history of the changes with their reasons.
 */
#ifndef HAVPN_HASYNC_RF_H
#define HAVPN_HASYNC_RF_H

#include <stdint.h>

enum rf_state {
	RF_DISABLED = 1,
	RF_INITIALIZATION = 2,
	RF_NEGOTIATION = 3,
	RF_STANDBY_COLD = 4,
	RF_STANDBY_COLD_BULK = 7,
	RF_STANDBY_HOT = 8,
	RF_ACTIVE = 13,
};

enum rf_role {
	RF_ROLE_UNKNOWN,
	RF_ROLE_ACTIVE,
	RF_ROLE_STANDBY,
};

enum rf_bulk {
	RF_BULK_NONE,		/* no snapshot on this association yet */
	RF_BULK_REQUESTED,	/* asked for one; its BulkBegin not in */
	RF_BULK_RUNNING,
	RF_BULK_DONE,
};

struct rf_facts {
	int		 configured;	/* redundancy inter-device in use */
	int		 started;	/* past start-up */
	enum rf_role	 role;		/* what the election decided */
	int		 channel_up;	/* the sealed association is up */
	int		 config_match;	/* the peer's crypto digest is ours */
	enum rf_bulk	 bulk;		/* standby: the snapshot's progress */
};

#define RF_HISTORY	64

struct rf_change {
	uint64_t	 wall_ms;	/* real time, for show */
	enum rf_state	 from;
	enum rf_state	 to;
	char		 reason[96];
};

struct rf {
	struct rf_facts	 facts;
	enum rf_state	 state;
	uint64_t	 changes;	/* how many, ever */
	struct rf_change hist[RF_HISTORY];	/* a ring, oldest overwritten */
	int		 nhist;
	int		 next;
};

void		 rf_init(struct rf *, uint64_t);
enum rf_state	 rf_state_of(const struct rf_facts *);
/* Take new facts; 1 if the state changed (recorded with reason), else 0. */
int		 rf_update(struct rf *, const struct rf_facts *, const char *,
		    uint64_t);
/* The i-th most recent change (0: the latest), or NULL. */
const struct rf_change *rf_history(const struct rf *, int);
const char	*rf_state_name(enum rf_state);

#endif
