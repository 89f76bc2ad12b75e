/*
 * The replication in havpnd, started last: it needs the data plane
 * (d->esp), IKE (d->ike) and the election (d->vrrp), and it owns the sync
 * channel (ipc/), whose handlers are its own; d->ipc points at the
 * channel for "show redundancy inter-device".  Without "redundancy
 * inter-device" it only keeps the channel (if configured) and touches
 * nothing else.  With it, the node starts as a standby (below), and
 * hasync subscribes to ike, esp and vrrp and decides from then on.
 */
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "esp/esp.h"
#include "hasync/hasync.h"
#include "ike/ike.h"

/*
 * A standby until the election says otherwise: IKE initiates nothing and
 * the data plane sends nothing, from before hasync starts (it may find
 * the node already Active and take over at once).
 */
static void
standby_at_start(struct havpnd *d)
{
	/* hasync_new() refuses a replication without all three */
	if (!hasync_configured(d->cf) || d->ike == NULL || d->esp == NULL ||
	    d->vrrp == NULL)
		return;
	ike_set_active(d->ike, 0);
	if (d->esp->ops->set_outbound != NULL)
		(void)d->esp->ops->set_outbound(d->esp, ESP_OUTBOUND_DROP);
}

int
mod_hasync_start(struct havpnd *d)
{
	char	 err[512];

	standby_at_start(d);
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
