/*
 * show crypto ipsec sa [peer ADDR [detail]]: the data plane's facts
 * (esp/show.c), with what only the daemon knows: whether this node is a
 * standby (IKE passive), whose SAs are held, not used.
 */
#include <string.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "daemon/daemon.h"

/*
 * Every view of show crypto ipsec sa: the data plane's facts (a peer's
 * only, with peer), marked STANDBY on the standby, in data with its view.
 */
int
ipsec_sa_facts(struct havpnd *d, const struct in_addr *peer,
    const char *view, json_object *data, char *err, size_t errlen)
{
	json_object	*facts;

	if (d->esp == NULL) {
		snprintf(err, errlen, "the data plane is not running");
		return -1;
	}
	facts = esp_show_facts(d->esp, d->cf, peer, d->ike != NULL &&
	    !ike_is_active(d->ike));
	json_object_object_foreach(facts, k, v)
		json_object_object_add(data, k, json_object_get(v));
	json_object_put(facts);
	if (view != NULL)
		jadd_str(data, "view", view);
	return 0;
}

/* show crypto ipsec sa [peer ADDR [detail]] */
int
cmd_show_ipsec_sa(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct in_addr	 peer;

	if (argc != 0 && !((argc == 2 || (argc == 3 &&
	    strcmp(argv[2], "detail") == 0)) && strcmp(argv[0], "peer") == 0)) {
		snprintf(err, errlen, "usage: show crypto ipsec sa [peer ADDR "
		    "[detail]]");
		return -1;
	}
	if (argc >= 2 && addr_parse(argv[1], &peer) == -1) {
		snprintf(err, errlen, "peer %s: not an IPv4 address", argv[1]);
		return -1;
	}
	return ipsec_sa_facts(d, argc >= 2 ? &peer : NULL, argc == 3 ?
	    "detail" : NULL, data, err, errlen);
}
