/*
 * The data plane in havpnd: the userspace engine, started first so that
 * IKE finds d->esp ready, stopped last.  It owns the TUN device (crypto
 * ipsec tunnel-interface, default havpn0), its policy routing rules and
 * routes; stopping removes all of them.
 */
#include <string.h>

#include "lib/lib.h"
#include "esp/esp.h"
#include "daemon/daemon.h"

static const char *
tun_name(const struct config *cf)
{
	return cf->tunnel_ifname != NULL ? cf->tunnel_ifname : ESP_TUN_DEFAULT;
}

int
mod_esp_start(struct havpnd *d)
{
	struct esp_userspace_opts o;

	memset(&o, 0, sizeof(o));
	o.tun_name = tun_name(d->cf);
	if ((d->esp = esp_userspace_new(d->loop, &o)) == NULL)
		return -1;
	return 0;
}

void
mod_esp_stop(struct havpnd *d)
{
	if (d->esp == NULL)
		return;
	d->esp->ops->destroy(d->esp);
	d->esp = NULL;
}

void
mod_esp_reload(struct havpnd *d, const struct config *old)
{
	/*
	 * Renaming the TUN device under live SAs would cut every tunnel;
	 * the new name is used at the next start.
	 */
	if (strcmp(tun_name(d->cf), tun_name(old)) != 0)
		log_warnx(LOG_ESP, "crypto ipsec tunnel-interface %s: takes "
		    "effect when havpnd restarts (running on %s)",
		    tun_name(d->cf), esp_userspace_tun_name(d->esp));
}
