/*
 * "show redundancy inter-device": the inter-device part of redundancy:
 * the IPC/SCTP channel (ipc_status()), the scheme, and the replication's
 * redundancy states (hasync) under "redundancy".
 */
#include "lib/lib.h"
#include "daemon/daemon.h"
#include "hasync/hasync.h"
#include "ipc/ipc.h"

int
cmd_show_redundancy_interdev(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	const struct conf_redundancy *r = &d->cf->redundancy;
	json_object	*ipc;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	json_object_object_add(data, "configured",
	    json_object_new_boolean(r->line != 0));
	json_object_object_add(data, "scheme_group", json_object_new_string(
	    r->scheme_group != NULL ? r->scheme_group : ""));
	json_object_object_add(data, "security_key_configured",
	    json_object_new_boolean(r->security_key != NULL));
	ipc = json_object_new_object();
	json_object_object_add(ipc, "configured",
	    json_object_new_boolean(d->cf->ipc.line != 0));
	json_object_object_add(ipc, "association",
	    json_object_new_int(d->cf->ipc.id));
	if (d->ipc != NULL)
		ipc_status(d->ipc, ipc);
	json_object_object_add(data, "ipc", ipc);
	if (d->ha != NULL) {
		json_object	*rf = json_object_new_object();

		hasync_show_states(d->ha, rf);
		json_object_object_add(data, "redundancy", rf);
	}
	return 0;
}
