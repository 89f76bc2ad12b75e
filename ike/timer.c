/*
 * The engine's timers: a binary min-heap of struct ike_timer, each knowing
 * its slot so it can be moved or stopped in O(log n).  The owner of the
 * engine asks for the earliest deadline and runs what is due; the engine
 * never reads a clock except through ike_io.
 */
#include <stdlib.h>

#include "ike/ike_int.h"

void
ike_timer_init(struct ike_timer *t, ike_timer_fn fn, void *arg)
{
	t->when = 0;
	t->idx = -1;
	t->fn = fn;
	t->arg = arg;
	t->held = 0;
}

int
ike_timer_armed(const struct ike_timer *t)
{
	return t->idx >= 0 || t->held;
}

static void
swap(struct ike_heap *h, int a, int b)
{
	struct ike_timer *t = h->t[a];

	h->t[a] = h->t[b];
	h->t[b] = t;
	h->t[a]->idx = a;
	h->t[b]->idx = b;
}

static void
up(struct ike_heap *h, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;

		if (h->t[p]->when <= h->t[i]->when)
			break;
		swap(h, p, i);
		i = p;
	}
}

static void
down(struct ike_heap *h, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->t[l]->when < h->t[m]->when)
			m = l;
		if (r < h->n && h->t[r]->when < h->t[m]->when)
			m = r;
		if (m == i)
			break;
		swap(h, i, m);
		i = m;
	}
}

static void
heap_remove(struct ike_heap *h, struct ike_timer *t)
{
	int	 i = t->idx;

	t->idx = -1;
	if (--h->n == i)
		return;
	h->t[i] = h->t[h->n];
	h->t[i]->idx = i;
	up(h, i);
	down(h, h->t[i]->idx);
}

void
ike_timer_stop(struct ike *ike, struct ike_timer *t)
{
	t->held = 0;
	if (t->idx >= 0)
		heap_remove(&ike->heap, t);
}

void
ike_timer_set(struct ike *ike, struct ike_timer *t, uint64_t when)
{
	struct ike_heap	*h = &ike->heap;
	uint64_t	 first = h->n > 0 ? h->t[0]->when : UINT64_MAX;

	if (t->idx >= 0)
		heap_remove(h, t);
	t->when = when;
	/* a standby engine runs nothing: the timer waits for the role */
	if (!ike->active) {
		t->held = 1;
		return;
	}
	t->held = 0;
	if (h->n == h->cap) {
		h->cap = h->cap == 0 ? 64 : h->cap * 2;
		h->t = xreallocarray(h->t, (size_t)h->cap, sizeof(*h->t));
	}
	t->idx = h->n;
	h->t[h->n++] = t;
	up(h, t->idx);
	if (when < first && ike->io.timers_changed != NULL)
		ike->io.timers_changed(ike->io.arg);
}

uint64_t
ike_next_deadline(struct ike *ike)
{
	return ike->heap.n > 0 ? ike->heap.t[0]->when : UINT64_MAX;
}

void
ike_run_timers(struct ike *ike)
{
	struct ike_heap	*h = &ike->heap;
	uint64_t	 now = ike_now(ike);

	while (h->n > 0 && h->t[0]->when <= now) {
		struct ike_timer *t = h->t[0];

		heap_remove(h, t);
		t->fn(ike, t);
	}
}
