/*
 * The data plane's listeners: one list per backend, shared by every
 * backend.  Subscribers add themselves (ike/ at ike_new(), hasync/ when
 * it starts); a backend raises each event through esp_emit_*() and never
 * knows who listens.
 */
#include <string.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

int
esp_add_listener(struct esp_backend *be, const struct esp_listener *l)
{
	if (be->nlisteners == ESP_MAX_LISTENERS)
		return -1;
	be->listeners[be->nlisteners++] = *l;
	return 0;
}

int
esp_remove_listener(struct esp_backend *be, const void *arg)
{
	int	 n = 0;

	for (int i = 0; i < be->nlisteners;) {
		if (be->listeners[i].arg != arg) {
			i++;
			continue;
		}
		memmove(&be->listeners[i], &be->listeners[i + 1],
		    (size_t)(be->nlisteners - i - 1) *
		    sizeof(be->listeners[0]));
		be->nlisteners--;
		n++;
	}
	return n;
}

void
esp_emit_acquire(struct esp_backend *be, uint32_t reqid,
    const struct esp_selector *flow)
{
	for (int i = 0; i < be->nlisteners; i++)
		if (be->listeners[i].acquire != NULL)
			be->listeners[i].acquire(be->listeners[i].arg, reqid,
			    flow);
}

void
esp_emit_expire(struct esp_backend *be, uint32_t conn_id, int hard)
{
	for (int i = 0; i < be->nlisteners; i++)
		if (be->listeners[i].expire != NULL)
			be->listeners[i].expire(be->listeners[i].arg, conn_id,
			    hard);
}

void
esp_emit_counter_update(struct esp_backend *be, uint32_t conn_id)
{
	for (int i = 0; i < be->nlisteners; i++)
		if (be->listeners[i].counter_update != NULL)
			be->listeners[i].counter_update(be->listeners[i].arg,
			    conn_id);
}

void
esp_emit_invalid_spi(struct esp_backend *be, uint32_t spi,
    struct in_addr local, struct in_addr peer)
{
	for (int i = 0; i < be->nlisteners; i++)
		if (be->listeners[i].invalid_spi != NULL)
			be->listeners[i].invalid_spi(be->listeners[i].arg,
			    spi, local, peer);
}
