/*
 * What the standby knows of one SA's outbound sequence number: the last
 * value synced, when it arrived, and the packet rate learned from the
 * updates.  On takeover the SA continues from last + a jump that covers
 * every packet the active may have sent since (docs/hasync.md, "Takeover"):
 *
 *   jump = replay-interval			(sent before an update was due)
 *        + rate x (staleness + margin) x 2	(sent since, with headroom)
 *        + CTR_JUMP_FLOOR
 *
 * The rate is the larger of the smoothed rate and the latest measured one,
 * so a burst raises it at once and a lull lowers it slowly.
 */
#ifndef HAVPN_HASYNC_CTR_H
#define HAVPN_HASYNC_CTR_H

#include <stdint.h>

#define CTR_JUMP_FLOOR	64

struct ctr_track {
	uint64_t	 seq;		/* last synced value */
	uint64_t	 at_ms;		/* monotonic arrival; 0: never */
	double		 rate;		/* packets per second, smoothed */
	double		 last_rate;	/* over the latest interval */
};

void		 ctr_observe(struct ctr_track *, uint64_t, uint64_t);
uint64_t	 ctr_jump(const struct ctr_track *, uint32_t, uint64_t,
		    uint32_t);
/* Older than bound_ms (or never synced): the SA is rekeyed on takeover. */
int		 ctr_stale(const struct ctr_track *, uint64_t, uint64_t);

#endif
