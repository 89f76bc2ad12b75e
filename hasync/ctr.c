/* The counter tracker: see ctr.h. */
#include "hasync/ctr.h"

void
ctr_observe(struct ctr_track *t, uint64_t seq, uint64_t now_ms)
{
	/* counters never go back (a late, reordered update is ignored) */
	if (t->at_ms == 0 || seq >= t->seq) {
		t->seq = seq;
		t->at_ms = now_ms == 0 ? 1 : now_ms;
	}
}

int
ctr_stale(const struct ctr_track *t, uint64_t now_ms, uint64_t bound_ms)
{
	return t->at_ms == 0 || now_ms - t->at_ms > bound_ms;
}
