/*
 * The sync channel in havpnd.  Until the replication (hasync) uses it, the
 * daemon brings the association up, keeps it up, and shows it with
 * "show redundancy inter-device"; the channel's own events are logged by
 * ipc/.  Nothing is started without "ipc zone default" / association 1.
 */
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "ipc/ipc.h"

int
mod_ipc_start(struct havpnd *d)
{
	char	 err[512];

	if (d->cf->ipc.line == 0)
		return 0;
	d->ipc = ipc_new(d->loop, d->cf, NULL, NULL, err, sizeof(err));
	if (d->ipc == NULL) {
		/* FILE:LINE: message, like every configuration error */
		fprintf(stderr, "%s\n", err);
		log_warnx(LOG_IPC, "%s", err);
		return -1;
	}
	return 0;
}

void
mod_ipc_stop(struct havpnd *d)
{
	ipc_free(d->ipc);
	d->ipc = NULL;
}

void
mod_ipc_reload(struct havpnd *d, const struct config *old)
{
	char	 err[512];

	(void)old;
	if (d->cf->ipc.line == 0) {
		mod_ipc_stop(d);
		return;
	}
	if (d->ipc == NULL) {
		(void)mod_ipc_start(d);
		return;
	}
	if (ipc_reload(d->ipc, d->cf, err, sizeof(err)) == -1)
		log_warnx(LOG_IPC, "reload: %s", err);
}
