/*
 * What the standby knows of one SA's outbound sequence number: the last
 * value synced and when it arrived.  On takeover the SA continues beyond
 * every number the old active may still send (esp/seq.c), from the
 * highest value known; an SA whose value is stale is rekeyed instead.
 */
#ifndef HAVPN_HASYNC_CTR_H
#define HAVPN_HASYNC_CTR_H

#include <stdint.h>

struct ctr_track {
	uint64_t	 seq;		/* highest synced value */
	uint64_t	 at_ms;		/* monotonic arrival; 0: never */
};

void		 ctr_observe(struct ctr_track *, uint64_t, uint64_t);
/* Older than bound_ms (or never synced): the SA is rekeyed on takeover. */
int		 ctr_stale(const struct ctr_track *, uint64_t, uint64_t);

#endif
