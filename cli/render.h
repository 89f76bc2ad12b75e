/*
 * havpnctl's printers: each turns a reply's "data" into the IOS layout of
 * its command.  Only facts in data are printed, so --json and the text
 * always agree.
 */
#ifndef HAVPN_RENDER_H
#define HAVPN_RENDER_H

#include <stdio.h>

#include <json-c/json.h>

#include "daemon/ctl.h"

typedef void (*render_fn)(json_object *, FILE *);

render_fn	 render_lookup(enum ctl_command_id);

/* render_ipc.c */
void		 render_redundancy_interdev(json_object *, FILE *);
/* render_hasync.c */
void		 render_redundancy_states(json_object *, FILE *);
void		 render_redundancy_history(json_object *, FILE *);
void		 render_crypto_ha(json_object *, FILE *);
/* render_standby.c */
void		 render_standby(json_object *, FILE *);
void		 render_standby_brief(json_object *, FILE *);
/* render_esp.c */
void		 render_ipsec_sa(json_object *, FILE *);
/* render_ike.c */
void		 render_isakmp_sa(json_object *, FILE *);
void		 render_isakmp_policy(json_object *, FILE *);
void		 render_isakmp_stats(json_object *, FILE *);
void		 render_crypto_session(json_object *, FILE *);
void		 render_message(json_object *, FILE *);
/* render_ikev2.c */
void		 render_ikev2_sa(json_object *, FILE *);
void		 render_ikev2_session(json_object *, FILE *);
void		 render_ikev2_stats(json_object *, FILE *);

/* render_crypto.c */
void		 render_crypto_map(json_object *, FILE *);
void		 render_isakmp_key(json_object *, FILE *);
void		 render_transform_set(json_object *, FILE *);
void		 render_access_lists(json_object *, FILE *);
void		 render_ipsec_sa_detail(json_object *, FILE *);
void		 render_ipsec_sa_dataplane(json_object *, FILE *);
void		 render_ipsec_sa_address(json_object *, FILE *);
void		 render_ipsec_sa_identity(json_object *, FILE *);
void		 render_engine_conns(json_object *, FILE *);
void		 render_isakmp_peers(json_object *, FILE *);
void		 render_clear_session(json_object *, FILE *);

/* "hh:mm:ss" of a duration in seconds (negative: 0) into buf; returns it. */
const char	*render_hms(int64_t, char *, size_t);

/* Accessors that tolerate a missing key (an older daemon). */
const char	*jstr(json_object *, const char *);
int64_t		 jint(json_object *, const char *);
int		 jbool(json_object *, const char *);
json_object	*jget(json_object *, const char *);
/* The length of an array; 0 when it is missing (NULL) or not an array. */
size_t		 jlen(json_object *);

#endif
