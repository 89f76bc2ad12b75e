/*
 * The control commands: each fills a JSON object with the facts its show
 * output needs (havpnctl prints them in the IOS layout).
 */
#include <stdlib.h>
#include <unistd.h>

#include "lib/lib.h"
#include "daemon/daemon.h"

int
cmd_no_args(int argc, char *err, size_t errlen)
{
	if (argc == 0)
		return 0;
	snprintf(err, errlen, "this command takes no arguments");
	return -1;
}

static int
cmd_show_running(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	char	*text;
	int	 secrets = argc == 1 && strcmp(argv[0], "secrets") == 0;

	if (argc > 1 || (argc == 1 && !secrets)) {
		snprintf(err, errlen, "show running-config takes only "
		    "\"secrets\"");
		return -1;
	}
	text = conf_print_str_show(d->cf, secrets);
	json_object_object_add(data, "config", json_object_new_string(text));
	json_object_object_add(data, "path",
	    json_object_new_string(d->conf_path));
	free(text);
	return 0;
}

static int
cmd_show_version(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	uint64_t	 refused, timeouts;
	int		 n;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	json_object_object_add(data, "version",
	    json_object_new_string(HAVPN_VERSION));
	json_object_object_add(data, "hostname",
	    json_object_new_string(d->cf->hostname != NULL ?
	    d->cf->hostname : ""));
	json_object_object_add(data, "uptime_seconds",
	    json_object_new_int64((int64_t)(time(NULL) - d->started)));
	json_object_object_add(data, "pid", json_object_new_int(getpid()));
	json_object_object_add(data, "config_path",
	    json_object_new_string(d->conf_path));
	json_object_object_add(data, "reloads",
	    json_object_new_int64((int64_t)d->reloads));
	json_object_object_add(data, "reload_failures",
	    json_object_new_int64((int64_t)d->reload_failures));
	control_counts(d->ctl, &n, &refused, &timeouts);
	json_object_object_add(data, "control_clients",
	    json_object_new_int(n));
	json_object_object_add(data, "control_refused",
	    json_object_new_int64((int64_t)refused));
	json_object_object_add(data, "control_timeouts",
	    json_object_new_int64((int64_t)timeouts));
	return 0;
}

ctl_handler
command_handler(enum ctl_command_id id)
{
	static const ctl_handler handlers[CTL_NCOMMANDS] = {
		[CTL_SHOW_RUNNING] = cmd_show_running,
		[CTL_SHOW_VERSION] = cmd_show_version,
		[CTL_SHOW_REDUNDANCY] = cmd_show_redundancy,
		[CTL_SHOW_REDUNDANCY_STATES] = cmd_show_redundancy,
		[CTL_SHOW_REDUNDANCY_HISTORY] = cmd_show_redundancy_history,
		[CTL_SHOW_REDUNDANCY_INTERDEV] = cmd_show_redundancy_interdev,
		[CTL_SHOW_CRYPTO_HA] = cmd_show_crypto_ha,
		[CTL_REDUNDANCY_SWITCHOVER] = cmd_redundancy_switchover,
		[CTL_DEBUG_HA] = cmd_debug_ha,
		[CTL_TEST_HA_LOAD] = cmd_test_ha_load,
		[CTL_SHOW_STANDBY] = cmd_show_standby,
		[CTL_SHOW_STANDBY_BRIEF] = cmd_show_standby,
		[CTL_SHOW_IPSEC_SA] = cmd_show_ipsec_sa,
		[CTL_SHOW_ISAKMP_SA] = cmd_show_isakmp_sa,
		[CTL_SHOW_ISAKMP_POLICY] = cmd_show_isakmp_policy,
		[CTL_SHOW_ISAKMP_STATS] = cmd_show_isakmp_stats,
		[CTL_SHOW_CRYPTO_SESSION] = cmd_show_crypto_session,
		[CTL_CLEAR_ISAKMP] = cmd_clear_isakmp,
		[CTL_CLEAR_SA] = cmd_clear_sa,
		[CTL_DEBUG_ISAKMP] = cmd_debug_isakmp,
		[CTL_UNDEBUG_ALL] = cmd_undebug_all,
		[CTL_TEST_ACQUIRE] = cmd_test_acquire,
		[CTL_SHOW_CRYPTO_MAP] = cmd_show_crypto_map,
		[CTL_SHOW_ISAKMP_KEY] = cmd_show_isakmp_key,
		[CTL_SHOW_TRANSFORM_SET] = cmd_show_transform_set,
		[CTL_SHOW_ACCESS_LISTS] = cmd_show_access_lists,
		[CTL_SHOW_IPSEC_SA_DETAIL] = cmd_show_ipsec_sa_detail,
		[CTL_SHOW_IPSEC_SA_ADDRESS] = cmd_show_ipsec_sa_address,
		[CTL_SHOW_IPSEC_SA_IDENTITY] = cmd_show_ipsec_sa_identity,
		[CTL_SHOW_ENGINE_CONNS] = cmd_show_engine_conns,
		[CTL_SHOW_ISAKMP_PEERS] = cmd_show_isakmp_peers,
		[CTL_CLEAR_SESSION] = cmd_clear_session,
		[CTL_DEBUG_IPSEC] = cmd_debug_ipsec,
		[CTL_SHOW_IKEV2_SA] = cmd_show_ikev2_sa,
		[CTL_SHOW_IKEV2_SESSION] = cmd_show_ikev2_session,
		[CTL_SHOW_IKEV2_STATS] = cmd_show_ikev2_stats,
		[CTL_CLEAR_IKEV2_SA] = cmd_clear_ikev2_sa,
		[CTL_DEBUG_IKEV2] = cmd_debug_ikev2,
	};

	return id < CTL_NCOMMANDS ? handlers[id] : NULL;
}
