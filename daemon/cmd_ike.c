/*
 * The IKE control commands: show crypto isakmp sa [detail], show crypto
 * isakmp policy, show crypto isakmp statistics, show crypto session
 * [detail], clear crypto isakmp [CONN-ID], clear crypto sa [peer ADDR],
 * debug crypto isakmp, undebug all, test crypto acquire.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/ike.h"
#include "daemon/daemon.h"

int
cmd_need_ike(struct havpnd *d, char *err, size_t errlen)
{
	if (d->ike != NULL)
		return 0;
	snprintf(err, errlen, "IKE is not running");
	return -1;
}

int
cmd_detail_arg(int argc, char **argv, char *err, size_t errlen)
{
	if (argc == 0)
		return 0;
	if (argc == 1 && strlen(argv[0]) > 0 &&
	    strncmp(argv[0], "detailed", strlen(argv[0])) == 0)
		return 1;
	snprintf(err, errlen, "expected \"detail\" or nothing");
	return -1;
}

int
cmd_show_isakmp_sa(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	int	 detail;

	if (cmd_need_ike(d, err, errlen) == -1 ||
	    (detail = cmd_detail_arg(argc, argv, err, errlen)) == -1)
		return -1;
	ike_show_isakmp_sa(d->ike, detail, data);
	json_object_object_add(data, "detail", json_object_new_boolean(detail));
	return 0;
}

int
cmd_show_isakmp_policy(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	ike_show_policy(d->cf, data);
	return 0;
}

int
cmd_show_isakmp_stats(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	if (cmd_need_ike(d, err, errlen) == -1)
		return -1;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	ike_show_stats(d->ike, data);
	return 0;
}

int
cmd_show_crypto_session(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	int	 detail;

	if (cmd_need_ike(d, err, errlen) == -1 ||
	    (detail = cmd_detail_arg(argc, argv, err, errlen)) == -1)
		return -1;
	ike_show_session(d->ike, detail, data);
	json_object_object_add(data, "detail", json_object_new_boolean(detail));
	return 0;
}

int
cmd_clear_isakmp(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	long	 id = 0;
	char	*end;

	if (cmd_need_ike(d, err, errlen) == -1)
		return -1;
	if (argc > 1 || (argc == 1 && ((id = strtol(argv[0], &end, 10)) <= 0 ||
	    *end != '\0' || id > 0xffffffffL))) {
		snprintf(err, errlen, "expected a conn-id or nothing");
		return -1;
	}
	json_object_object_add(data, "cleared",
	    json_object_new_int(ike_clear_isakmp(d->ike, (uint32_t)id)));
	return 0;
}

int
cmd_clear_sa(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct in_addr	 peer;

	if (cmd_need_ike(d, err, errlen) == -1)
		return -1;
	if (argc != 0 && (argc != 2 || strcmp(argv[0], "peer") != 0 ||
	    addr_parse(argv[1], &peer) == -1)) {
		snprintf(err, errlen, "expected \"peer ADDR\" or nothing");
		return -1;
	}
	json_object_object_add(data, "cleared", json_object_new_int(
	    ike_clear_sa(d->ike, argc == 0 ? NULL : &peer)));
	return 0;
}

int
cmd_debug_isakmp(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	(void)d;
	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	log_set_debug(LOG_IKE, 1);
	json_object_object_add(data, "message",
	    json_object_new_string("Crypto ISAKMP debugging is on"));
	return 0;
}

int
cmd_undebug_all(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	(void)d;
	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	for (int s = 0; s < LOG_NSUBSYS; s++)
		log_set_debug((enum log_subsys)s, 0);
	json_object_object_add(data, "message",
	    json_object_new_string("All possible debugging has been turned "
	    "off"));
	return 0;
}

static int
port_arg(const char *s, uint16_t *out)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*end != '\0' || v < 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int
cmd_test_acquire(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct esp_selector f;
	char	*end;
	long	 proto;

	if (cmd_need_ike(d, err, errlen) == -1)
		return -1;
	memset(&f, 0, sizeof(f));
	if ((argc != 2 && argc != 3 && argc != 5) ||
	    addr_parse(argv[0], &f.src) == -1 ||
	    addr_parse(argv[1], &f.dst) == -1) {
		snprintf(err, errlen, "expected SRC DST [PROTO [SPORT DPORT]]");
		return -1;
	}
	if (argc >= 3) {
		proto = strtol(argv[2], &end, 10);
		if (*end != '\0' || proto < 0 || proto > 255) {
			snprintf(err, errlen, "PROTO is 0-255");
			return -1;
		}
		f.proto = (uint8_t)proto;
	}
	if (argc == 5 && (port_arg(argv[3], &f.sport) == -1 ||
	    port_arg(argv[4], &f.dport) == -1)) {
		snprintf(err, errlen, "ports are 0-65535");
		return -1;
	}
	if (ike_test_acquire(d->ike, &f, err, errlen) == -1)
		return -1;
	json_object_object_add(data, "message", json_object_new_string(
	    "acquire raised: IKE negotiates the flow's SAs"));
	return 0;
}
