/*
 * The election in havpnd: started after the data plane (its sockets bind
 * the VIPs with IP_FREEBIND, so VIPs may come and go under them), stopped
 * before it (a priority-0 advert hands over, the VIPs are removed).
 */
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "vrrp/vrrp.h"

int
mod_vrrp_start(struct havpnd *d)
{
	d->vrrp = vrrp_new(d->loop, d->cf);
	return d->vrrp == NULL ? -1 : 0;
}

void
mod_vrrp_stop(struct havpnd *d)
{
	vrrp_free(d->vrrp);
	d->vrrp = NULL;
}

void
mod_vrrp_reload(struct havpnd *d, const struct config *old)
{
	(void)old;
	if (d->vrrp != NULL)
		(void)vrrp_reload(d->vrrp, d->cf);
}
