/*
 * The modules havpnd runs, in start order.  Each entry's functions live in
 * daemon/mod_NAME.c, the only place that knows how to wire that module.
 */
#include "lib/lib.h"
#include "daemon/daemon.h"

static const struct daemon_module modules[] = {
	{ "esp", mod_esp_start, mod_esp_stop, mod_esp_reload },
	{ "ike", mod_ike_start, mod_ike_stop, mod_ike_reload },
	{ "vrrp", mod_vrrp_start, mod_vrrp_stop, mod_vrrp_reload },
	/* last: it wires itself to the others and owns the sync channel */
	{ "hasync", mod_hasync_start, mod_hasync_stop, mod_hasync_reload },
	{ NULL, NULL, NULL, NULL },
};

static size_t
nmodules(void)
{
	size_t	 n = 0;

	while (modules[n].name != NULL)
		n++;
	return n;
}

int
modules_start(struct havpnd *d)
{
	size_t	 n = nmodules();

	for (size_t i = 0; i < n; i++) {
		if (modules[i].start(d) == 0)
			continue;
		log_warnx(LOG_MAIN, "%s did not start", modules[i].name);
		while (i-- > 0)
			modules[i].stop(d);
		return -1;
	}
	return 0;
}

void
modules_stop(struct havpnd *d)
{
	for (size_t i = nmodules(); i-- > 0;)
		modules[i].stop(d);
}

void
modules_reload(struct havpnd *d, const struct config *old)
{
	size_t	 n = nmodules();

	for (size_t i = 0; i < n; i++)
		if (modules[i].reload != NULL)
			modules[i].reload(d, old);
}
