/*
 * havpnd internals: the daemon's state, and the pieces of daemon/ that
 * wire the modules together.  daemon/ is the only place that knows every
 * module.
 */
#ifndef HAVPN_DAEMON_H
#define HAVPN_DAEMON_H

#include <time.h>

#include <ev.h>
#include <json-c/json.h>

#include "conf/conf.h"
#include "daemon/ctl.h"

struct control;
struct esp_backend;
struct ike;
struct vrrp;
struct ipc;
struct hasync;

struct havpnd {
	struct ev_loop	*loop;
	struct config	*cf;		/* the running configuration */
	char		*conf_path;
	char		*ctl_path;
	char		*pid_path;
	int		 foreground;
	time_t		 started;
	uint64_t	 reloads;
	uint64_t	 reload_failures;
	struct control	*ctl;
	/* the modules, each started by its daemon/mod_NAME.c */
	struct esp_backend *esp;
	struct ike	*ike;
	struct vrrp	*vrrp;
	struct ipc	*ipc;
	struct hasync	*ha;
	ev_signal	 sig_term;
	ev_signal	 sig_int;
	ev_signal	 sig_hup;
};

/*
 * A control command: fill data (owned by the caller) from the daemon's
 * state, or return -1 with a message in err for the operator.
 */
typedef int (*ctl_handler)(struct havpnd *, int, char **, json_object *,
    char *, size_t);

/* control.c: the UNIX socket */
struct control	*control_open(struct havpnd *, const char *);
void		 control_close(struct control *);
/* Control clients: connected now, refused (too many), timed out. */
void		 control_counts(const struct control *, int *, uint64_t *,
		    uint64_t *);

/* commands.c: one handler per ctl.h command */
ctl_handler	 command_handler(enum ctl_command_id);
/* For the handlers: 0 if argc is 0, else -1 with the message in err. */
int		 cmd_no_args(int, char *, size_t);

/*
 * modules.c: start the modules in order (the data plane first, the
 * replication last), stop them in reverse, and give each the new
 * configuration on SIGHUP.  A module must not keep pointers into a config
 * across reload(): it is called with d->cf already the new one and the old
 * one still valid, and the old one is freed after every module returned.
 */
struct daemon_module {
	const char	*name;
	int		(*start)(struct havpnd *);
	void		(*stop)(struct havpnd *);
	void		(*reload)(struct havpnd *, const struct config *);
};

int		 modules_start(struct havpnd *);
void		 modules_stop(struct havpnd *);
void		 modules_reload(struct havpnd *, const struct config *);

/* mod_hasync.c: the replication (hasync/), owner of the sync channel */
int		 mod_hasync_start(struct havpnd *);
void		 mod_hasync_stop(struct havpnd *);
void		 mod_hasync_reload(struct havpnd *, const struct config *);
/* cmd_hasync.c: show redundancy, show crypto ha, redundancy switchover */
int		 cmd_show_redundancy(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_redundancy_history(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_crypto_ha(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_redundancy_switchover(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_debug_ha(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_test_ha_load(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
/* cmd_ipc.c */
int		 cmd_show_redundancy_interdev(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
/* mod_vrrp.c: the election */
int		 mod_vrrp_start(struct havpnd *);
void		 mod_vrrp_stop(struct havpnd *);
void		 mod_vrrp_reload(struct havpnd *, const struct config *);

/* cmd_standby.c: show standby [brief] */
int		 cmd_show_standby(struct havpnd *, int, char **, json_object *,
		    char *, size_t);

/*
 * cmd_esp.c: show crypto ipsec sa, its views (esp/show.c has the facts);
 * ipsec_sa_facts fills data for every view.
 */
int		 ipsec_sa_facts(struct havpnd *, const struct in_addr *,
		    const char *, json_object *, char *, size_t);
int		 cmd_show_ipsec_sa(struct havpnd *, int, char **, json_object *,
		    char *, size_t);

/* mod_esp.c: the data plane (d->esp) */
int		 mod_esp_start(struct havpnd *);
void		 mod_esp_stop(struct havpnd *);
void		 mod_esp_reload(struct havpnd *, const struct config *);

/* mod_ike.c: IKEv1 */
int		 mod_ike_start(struct havpnd *);
void		 mod_ike_stop(struct havpnd *);
void		 mod_ike_reload(struct havpnd *, const struct config *);

/* cmd_ike.c: the IKE control commands */
/* IKE commands' shared checks (cmd_ike.c): the engine runs (0, or -1
 * with err); [detail] (IOS's "detailed", any abbreviation): 1, none: 0,
 * anything else: -1 with err. */
int		 cmd_need_ike(struct havpnd *, char *, size_t);
int		 cmd_detail_arg(int, char **, char *, size_t);
int		 cmd_show_isakmp_sa(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_isakmp_policy(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_isakmp_stats(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_crypto_session(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_clear_isakmp(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_clear_sa(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_debug_isakmp(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_undebug_all(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_test_acquire(struct havpnd *, int, char **, json_object *,
		    char *, size_t);

/* cmd_ikev2.c: the IKEv2 control commands */
int		 cmd_show_ikev2_sa(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_show_ikev2_session(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_ikev2_stats(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_clear_ikev2_sa(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_debug_ikev2(struct havpnd *, int, char **, json_object *,
		    char *, size_t);

/* cmd_crypto.c: the crypto configuration and connection views */
int		 cmd_show_crypto_map(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_isakmp_key(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_transform_set(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_access_lists(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_ipsec_sa_detail(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_ipsec_sa_address(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_ipsec_sa_identity(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_engine_conns(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_show_isakmp_peers(struct havpnd *, int, char **,
		    json_object *, char *, size_t);
int		 cmd_clear_session(struct havpnd *, int, char **, json_object *,
		    char *, size_t);
int		 cmd_debug_ipsec(struct havpnd *, int, char **, json_object *,
		    char *, size_t);

/* syscheck.c: "ip address" lines against the machine; -1 on a mismatch */
int		 syscheck_config(const struct config *, struct conf_diag *);

#endif
