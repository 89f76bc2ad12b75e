/*
 * The anti-replay window of an inbound SA (RFC 4303 3.4.3 and appendix A).
 *
 * A plain bitmap: bit i stands for sequence number top - i.  Moving the
 * window forward shifts the bitmap by the distance, word-wise, over the
 * window's words only (1 to 16).  The layout is the one the ops table
 * exports, so syncing a window to the standby is a copy.
 */
#include <string.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

static uint32_t
words(const struct esp_replay *r)
{
	return r->window / 64;
}

void
esp_replay_init(struct esp_replay *r, uint32_t window)
{
	memset(r, 0, sizeof(*r));
	if (window < 64)
		window = 64;
	if (window > ESP_REPLAY_WORDS * 64)
		window = ESP_REPLAY_WORDS * 64;
	r->window = (window + 63) / 64 * 64;
}

int
esp_replay_check(const struct esp_replay *r, uint64_t seq)
{
	uint64_t	 diff;

	/* RFC 4303 3.3.3: the first packet sent has sequence number 1. */
	if (seq == 0)
		return -1;
	if (seq > r->top)
		return 0;
	diff = r->top - seq;
	if (diff >= r->window)
		return -1;		/* left of the window */
	if (r->bitmap[diff / 64] & (1ULL << (diff % 64)))
		return -1;		/* a duplicate */
	return 0;
}

/* Shift the bitmap towards higher bit numbers by n (< window) bits. */
static void
shift(struct esp_replay *r, uint64_t n)
{
	uint32_t	 nw = words(r);
	uint32_t	 ws = (uint32_t)(n / 64), bs = (uint32_t)(n % 64);

	for (uint32_t i = nw; i-- > 0;) {
		uint64_t v = 0;

		if (i >= ws) {
			v = r->bitmap[i - ws] << bs;
			if (bs != 0 && i > ws)
				v |= r->bitmap[i - ws - 1] >> (64 - bs);
		}
		r->bitmap[i] = v;
	}
}

void
esp_replay_update(struct esp_replay *r, uint64_t seq)
{
	uint64_t	 diff;

	if (seq > r->top) {
		diff = seq - r->top;
		if (diff >= r->window)
			memset(r->bitmap, 0, sizeof(r->bitmap));
		else
			shift(r, diff);
		r->top = seq;
		r->bitmap[0] |= 1;
		return;
	}
	diff = r->top - seq;
	if (diff < r->window)
		r->bitmap[diff / 64] |= 1ULL << (diff % 64);
}

/*
 * RFC 4303 A2.2: with the window's bottom B = Tl - W + 1 (mod 2^32),
 * a low half at or above B belongs to the window's epoch or the one before
 * it; below B, to the epoch or the next one.
 */
int
esp_replay_infer_esn(const struct esp_replay *r, uint32_t seql, uint64_t *seq)
{
	uint32_t	 tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t	 w = r->window;
	uint32_t	 bottom = tl - w + 1;	/* mod 2^32 */
	uint64_t	 sh;

	if (tl >= w - 1) {
		/* Case A: the window lies within one epoch. */
		sh = seql >= bottom ? th : (uint64_t)th + 1;
	} else {
		/* Case B: the window straddles the epoch boundary. */
		if (seql >= bottom) {
			if (th == 0)
				return -1;
			sh = (uint64_t)th - 1;
		} else
			sh = th;
	}
	if (sh > UINT32_MAX)
		return -1;
	*seq = sh << 32 | seql;
	return 0;
}

void
esp_replay_export(const struct esp_replay *r, struct esp_replay_state *st)
{
	st->top = r->top;
	st->window = r->window;
	memcpy(st->bitmap, r->bitmap, sizeof(st->bitmap));
}

int
esp_replay_import(struct esp_replay *r, const struct esp_replay_state *st)
{
	uint32_t	 w = r->window;

	/* The window size is the SA's; the state must fit into it. */
	if (st->window != 0 && st->window != w)
		return -1;
	r->top = st->top;
	memcpy(r->bitmap, st->bitmap, sizeof(r->bitmap));
	for (uint32_t i = w / 64; i < ESP_REPLAY_WORDS; i++)
		r->bitmap[i] = 0;
	return 0;
}
