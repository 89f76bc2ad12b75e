/* Printers for the foundation's commands, and the shared JSON accessors. */
#include <string.h>

#include "lib/lib.h"
#include "cli/render.h"

json_object *
jget(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_string(v) : "";
}

int64_t
jint(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_int64(v) : 0;
}

int
jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_boolean(v) : 0;
}

size_t
jlen(json_object *a)
{
	if (a == NULL || !json_object_is_type(a, json_type_array))
		return 0;
	return json_object_array_length(a);
}

const char *
render_hms(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)(s / 3600),
	    (long long)(s / 60 % 60), (long long)(s % 60));
	return buf;
}

static void
render_running(json_object *data, FILE *out)
{
	const char *cfg = jstr(data, "config");

	fprintf(out, "Building configuration...\n\nCurrent configuration : "
	    "%zu bytes\n%s", strlen(cfg), cfg);
}

/* "1 week, 2 days, 3 hours, 4 minutes", as IOS prints uptime. */
static void
print_uptime(FILE *out, int64_t s)
{
	static const struct { const char *unit; int64_t secs; } u[] = {
		{ "week", 604800 }, { "day", 86400 }, { "hour", 3600 },
		{ "minute", 60 }, { "second", 1 },
	};
	int	 printed = 0;

	for (size_t i = 0; i < nitems(u); i++) {
		int64_t n = s / u[i].secs;

		s %= u[i].secs;
		if (n == 0 && !(printed == 0 && i == nitems(u) - 1))
			continue;
		fprintf(out, "%s%lld %s%s", printed ? ", " : "", (long long)n,
		    u[i].unit, n == 1 ? "" : "s");
		printed = 1;
	}
}

static void
render_version(json_object *data, FILE *out)
{
	const char *host = jstr(data, "hostname");

	fprintf(out, "havpn Software, Version %s\n", jstr(data, "version"));
	fprintf(out, "%s uptime is ", host[0] != '\0' ? host : "havpnd");
	print_uptime(out, jint(data, "uptime_seconds"));
	fprintf(out, "\nConfiguration file is \"%s\"\n",
	    jstr(data, "config_path"));
	fprintf(out, "Process ID %lld, configuration reloaded %lld time(s), "
	    "%lld reload(s) refused\n", (long long)jint(data, "pid"),
	    (long long)jint(data, "reloads"),
	    (long long)jint(data, "reload_failures"));
	fprintf(out, "Control clients: %lld connected, %lld refused (too many "
	    "at once), %lld timed out\n",
	    (long long)jint(data, "control_clients"),
	    (long long)jint(data, "control_refused"),
	    (long long)jint(data, "control_timeouts"));
}

render_fn
render_lookup(enum ctl_command_id id)
{
	static const render_fn renderers[CTL_NCOMMANDS] = {
		[CTL_SHOW_RUNNING] = render_running,
		[CTL_SHOW_VERSION] = render_version,
		[CTL_SHOW_REDUNDANCY] = render_redundancy_states,
		[CTL_SHOW_REDUNDANCY_STATES] = render_redundancy_states,
		[CTL_SHOW_REDUNDANCY_HISTORY] = render_redundancy_history,
		[CTL_SHOW_REDUNDANCY_INTERDEV] = render_redundancy_interdev,
		[CTL_SHOW_CRYPTO_HA] = render_crypto_ha,
		[CTL_REDUNDANCY_SWITCHOVER] = render_message,
		[CTL_DEBUG_HA] = render_message,
		[CTL_TEST_HA_LOAD] = render_message,
		[CTL_SHOW_STANDBY] = render_standby,
		[CTL_SHOW_STANDBY_BRIEF] = render_standby_brief,
		[CTL_SHOW_IPSEC_SA] = render_ipsec_sa,
		[CTL_SHOW_ISAKMP_SA] = render_isakmp_sa,
		[CTL_SHOW_ISAKMP_POLICY] = render_isakmp_policy,
		[CTL_SHOW_ISAKMP_STATS] = render_isakmp_stats,
		[CTL_SHOW_CRYPTO_SESSION] = render_crypto_session,
		[CTL_CLEAR_ISAKMP] = render_message,
		[CTL_CLEAR_SA] = render_message,
		[CTL_DEBUG_ISAKMP] = render_message,
		[CTL_UNDEBUG_ALL] = render_message,
		[CTL_TEST_ACQUIRE] = render_message,
		[CTL_SHOW_CRYPTO_MAP] = render_crypto_map,
		[CTL_SHOW_ISAKMP_KEY] = render_isakmp_key,
		[CTL_SHOW_TRANSFORM_SET] = render_transform_set,
		[CTL_SHOW_ACCESS_LISTS] = render_access_lists,
		[CTL_SHOW_IPSEC_SA_DETAIL] = render_ipsec_sa_detail,
		[CTL_SHOW_IPSEC_SA_ADDRESS] = render_ipsec_sa_address,
		[CTL_SHOW_IPSEC_SA_IDENTITY] = render_ipsec_sa_identity,
		[CTL_SHOW_ENGINE_CONNS] = render_engine_conns,
		[CTL_SHOW_ISAKMP_PEERS] = render_isakmp_peers,
		[CTL_CLEAR_SESSION] = render_clear_session,
		[CTL_DEBUG_IPSEC] = render_message,
		[CTL_SHOW_IKEV2_SA] = render_ikev2_sa,
		[CTL_SHOW_IKEV2_SESSION] = render_ikev2_session,
		[CTL_SHOW_IKEV2_STATS] = render_ikev2_stats,
		[CTL_CLEAR_IKEV2_SA] = render_message,
		[CTL_DEBUG_IKEV2] = render_message,
	};

	return id < CTL_NCOMMANDS ? renderers[id] : NULL;
}
