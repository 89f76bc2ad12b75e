/*
 * The IKEv2 control commands: show crypto ikev2 sa [detail], show crypto
 * ikev2 session [detail], show crypto ikev2 stats, clear crypto ikev2 sa
 * [CONN-ID], debug crypto ikev2.  The facts come from ike/v2/show.c.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "ike/ike.h"
#include "daemon/daemon.h"

int
cmd_show_ikev2_sa(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	int	 detail;

	if (cmd_need_ike(d, err, errlen) == -1 ||
	    (detail = cmd_detail_arg(argc, argv, err, errlen)) == -1)
		return -1;
	ike2_show_sa(d->ike, detail, data);
	return 0;
}

int
cmd_show_ikev2_session(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	int	 detail;

	if (cmd_need_ike(d, err, errlen) == -1 ||
	    (detail = cmd_detail_arg(argc, argv, err, errlen)) == -1)
		return -1;
	ike2_show_session(d->ike, detail, data);
	return 0;
}

int
cmd_show_ikev2_stats(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	if (cmd_need_ike(d, err, errlen) == -1 ||
	    cmd_no_args(argc, err, errlen) == -1)
		return -1;
	ike2_show_stats(d->ike, data);
	return 0;
}

int
cmd_clear_ikev2_sa(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	long	 id = 0;
	char	*end;
	int	 n;

	if (cmd_need_ike(d, err, errlen) == -1)
		return -1;
	if (argc > 1 || (argc == 1 && (argv[0][0] < '0' || argv[0][0] > '9' ||
	    (id = strtol(argv[0], &end, 10)) <= 0 || *end != '\0' ||
	    id > 0xffffffffL))) {
		snprintf(err, errlen, "expected a Tunnel-id (1-4294967295) or "
		    "nothing");
		return -1;
	}
	n = ike2_clear_sa(d->ike, (uint32_t)id);
	if (id != 0 && n == 0) {
		snprintf(err, errlen, "no IKEv2 SA with Tunnel-id %ld", id);
		return -1;
	}
	jadd_int(data, "cleared", n);
	return 0;
}

int
cmd_debug_ikev2(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	(void)d;
	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	log_set_debug(LOG_IKEV2, 1);
	jadd_str(data, "message", "IKEv2 default debugging is on");
	return 0;
}
