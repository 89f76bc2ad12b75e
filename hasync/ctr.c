/* The counter tracker: see ctr.h. */
#include "hasync/ctr.h"

/* Weight of the newest interval in the smoothed rate. */
#define CTR_ALPHA	0.25

void
ctr_observe(struct ctr_track *t, uint64_t seq, uint64_t now_ms)
{
	if (t->at_ms != 0 && now_ms > t->at_ms && seq >= t->seq) {
		double r = (double)(seq - t->seq) * 1000.0 /
		    (double)(now_ms - t->at_ms);

		t->last_rate = r;
		t->rate = t->rate == 0 ? r :
		    CTR_ALPHA * r + (1 - CTR_ALPHA) * t->rate;
	}
	/* counters never go back (a late, reordered update is ignored) */
	if (t->at_ms == 0 || seq >= t->seq) {
		t->seq = seq;
		t->at_ms = now_ms == 0 ? 1 : now_ms;
	}
}

uint64_t
ctr_jump(const struct ctr_track *t, uint32_t interval, uint64_t now_ms,
    uint32_t margin_ms)
{
	double	 rate = t->rate > t->last_rate ? t->rate : t->last_rate;
	uint64_t stale = now_ms > t->at_ms ? now_ms - t->at_ms : 0;

	return (uint64_t)interval + CTR_JUMP_FLOOR +
	    (uint64_t)(rate * (double)(stale + margin_ms) / 1000.0 * 2.0);
}

int
ctr_stale(const struct ctr_track *t, uint64_t now_ms, uint64_t bound_ms)
{
	return t->at_ms == 0 || now_ms - t->at_ms > bound_ms;
}
