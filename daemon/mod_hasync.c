/*
 * The replication in havpnd, started last: it needs the data plane
 * (d->esp), IKE (d->ike) and the election (d->vrrp), and it owns the sync
 * channel (ipc/), whose handlers are its own; d->ipc points at the
 * channel for "show redundancy inter-device".  Without "redundancy
 * inter-device" it only keeps the channel (if configured) and touches
 * nothing else.
 */
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "hasync/hasync.h"

int
mod_hasync_start(struct havpnd *d)
{
	char	 err[512];

	d->ha = hasync_new(d->loop, d->cf, d->ike, d->esp, d->vrrp, err,
	    sizeof(err));
	if (d->ha == NULL) {
		/* FILE:LINE: message, like every configuration error */
		fprintf(stderr, "%s\n", err);
		log_warnx(LOG_HA, "%s", err);
		return -1;
	}
	d->ipc = hasync_ipc(d->ha);
	return 0;
}

void
mod_hasync_stop(struct havpnd *d)
{
	hasync_free(d->ha);
	d->ha = NULL;
	d->ipc = NULL;
}

void
mod_hasync_reload(struct havpnd *d, const struct config *old)
{
	char	 err[512];

	(void)old;
	if (d->ha != NULL && hasync_reload(d->ha, d->cf, err,
	    sizeof(err)) == -1)
		log_warnx(LOG_HA, "reload: %s", err);
}
