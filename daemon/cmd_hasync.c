/*
 * The replication's control commands: show redundancy [states |
 * history], show crypto ha, redundancy switchover, debug crypto ha, and
 * the bench tooling's synthetic tunnels.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "daemon/daemon.h"
#include "hasync/hasync.h"

static int
need_ha(struct havpnd *d, int argc, char *err, size_t errlen)
{
	if (d->ha == NULL) {
		snprintf(err, errlen, "the replication is not running");
		return -1;
	}
	if (argc != 0) {
		snprintf(err, errlen, "this command takes no arguments");
		return -1;
	}
	return 0;
}

int
cmd_show_redundancy(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	if (need_ha(d, argc, err, errlen) == -1)
		return -1;
	hasync_show_states(d->ha, data);
	return 0;
}

int
cmd_show_redundancy_history(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	if (need_ha(d, argc, err, errlen) == -1)
		return -1;
	hasync_show_history(d->ha, data);
	return 0;
}

int
cmd_show_crypto_ha(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	int	 detail = argc == 1 && strcmp(argv[0], "detail") == 0;

	if (need_ha(d, detail ? 0 : argc, err, errlen) == -1)
		return -1;
	if (detail)
		hasync_show_crypto_ha_detail(d->ha, data);
	else
		hasync_show_crypto_ha(d->ha, data);
	return 0;
}

int
cmd_redundancy_switchover(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	json_object	*st, *sw;
	int		 force = 0;

	if (argc == 1 && (strcmp(argv[0], "--force") == 0 ||
	    strcmp(argv[0], "force") == 0))
		force = 1;
	else if (argc != 0) {
		snprintf(err, errlen, "expected [--force]");
		return -1;
	}
	if (need_ha(d, 0, err, errlen) == -1 ||
	    hasync_switchover(d->ha, force, err, errlen) == -1)
		return -1;
	json_object_object_add(data, "message", json_object_new_string(
	    "switchover started: see show redundancy history"));
	/* the peer answers later: havpnctl polls the state for the outcome */
	st = json_object_new_object();
	hasync_show_states(d->ha, st);
	if (json_object_object_get_ex(st, "switchover", &sw))
		json_object_object_add(data, "switchover", json_object_get(sw));
	json_object_put(st);
	return 0;
}

int
cmd_debug_ha(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	(void)d;
	(void)argv;
	if (argc != 0) {
		snprintf(err, errlen, "this command takes no arguments");
		return -1;
	}
	log_set_debug(LOG_HA, 1);
	json_object_object_add(data, "message",
	    json_object_new_string("Crypto HA debugging is on"));
	return 0;
}

int
cmd_test_ha_load(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	char	*end;
	long	 n;
	unsigned long seed = 1;
	int	 done, v2 = 0;

	if (argc == 1 && strcmp(argv[0], "bump") == 0) {
		if (need_ha(d, 0, err, errlen) == -1)
			return -1;
		if ((done = hasync_test_bump(d->ha, 100)) == -1) {
			snprintf(err, errlen, "not active");
			return -1;
		}
		json_object_object_add(data, "message", json_object_new_string(
		    "synthetic tunnels' counters moved by 100"));
		json_object_object_add(data, "tunnels",
		    json_object_new_int(done));
		return 0;
	}
	if (argc >= 2 && strcmp(argv[argc - 1], "ikev2") == 0) {
		v2 = 1;
		argc--;
	}
	if (argc < 1 || argc > 2 || (n = strtol(argv[0], &end, 10)) < 1 ||
	    n > 200000 || *end != '\0' || (argc == 2 &&
	    ((seed = strtoul(argv[1], &end, 10)) > UINT32_MAX ||
	    *end != '\0'))) {
		snprintf(err, errlen, "expected N (1-200000) [SEED] [ikev2]");
		return -1;
	}
	if (need_ha(d, 0, err, errlen) == -1 ||
	    (done = hasync_test_load(d->ha, (int)n, (uint32_t)seed, v2, err,
	    errlen)) == -1)
		return -1;
	json_object_object_add(data, "message", json_object_new_string(
	    "synthetic tunnels installed (bench tooling)"));
	json_object_object_add(data, "tunnels", json_object_new_int(done));
	return 0;
}
