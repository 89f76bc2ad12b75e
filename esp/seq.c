/*
 * An outbound SA's sequence numbers, shared by the two nodes of a pair
 * (docs/hasync.md, "One node per sequence number").
 *
 * ESP-GCM's nonce is the sequence number: one number sent twice under
 * the same key, once by each node, breaks the SA's confidentiality and
 * integrity.  No estimate of how far the other node went since its last
 * counter arrived holds in a split brain, where both nodes send for as
 * long as it lasts, so the space is divided instead:
 *
 *   - a node whose counter was set to s (0 for an SA it negotiated, the
 *     exact number a planned switchover delivered, the start of a
 *     takeover) sends at most up to esp_seq_limit(s) = s + (max - s) / 2;
 *   - a node that continues the SA without exact counters starts at
 *     esp_seq_limit(h), h the highest number it knows the SA reached
 *     (the last value synced, or its own from an earlier active period).
 *
 * The taking-over node knows the SA at least as far as the other node's
 * s (every counter the active sends is at least its s), so h >= s and it
 * starts at or beyond every number the other node may still use, however
 * long both stay active.  Each takeover without exact counters leaves
 * half of what was left; with less than ESP_SEQ_ROOM left the SA is
 * rekeyed instead.
 */
#include "esp/esp.h"

uint64_t
esp_seq_max(int esn)
{
	return esn ? UINT64_MAX : UINT32_MAX;
}

uint64_t
esp_seq_limit(uint64_t s, int esn)
{
	uint64_t	 max = esp_seq_max(esn);

	return s >= max ? max : s + (max - s) / 2;
}

void
esp_seq_set(struct esp_seq *q, uint64_t s, int esn)
{
	/* counters never go back: a lower value (a late counter) is ignored */
	if (s > q->out)
		q->out = s;
	q->limit = esp_seq_limit(q->out, esn);
}

static uint64_t
highest(const struct esp_seq *q, uint64_t synced)
{
	return synced > q->out ? synced : q->out;
}

int
esp_seq_can_continue(const struct esp_seq *q, uint64_t synced, int esn)
{
	uint64_t	 start = esp_seq_limit(highest(q, synced), esn);

	return esp_seq_max(esn) - start < ESP_SEQ_ROOM ? -1 : 0;
}

int
esp_seq_continue(struct esp_seq *q, uint64_t synced, int esn)
{
	if (esp_seq_can_continue(q, synced, esn) == -1)
		return -1;
	q->out = esp_seq_limit(highest(q, synced), esn);
	q->limit = esp_seq_limit(q->out, esn);
	return 0;
}
