/*
 * "ip address ADDR MASK" is checked against the machine, not applied: the
 * operator (or the distribution's network set-up) owns interface
 * addresses.  A mismatch is an error at the configuration line, and
 * nothing starts.
 */
#include <sys/types.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "lib/lib.h"
#include "daemon/daemon.h"
#include "ipc/ipc.h"

static int
iface_has_addr(const struct ifaddrs *all, const struct conf_interface *ifc)
{
	for (const struct ifaddrs *a = all; a != NULL; a = a->ifa_next) {
		const struct sockaddr_in *sin, *mask;

		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET ||
		    strcmp(a->ifa_name, ifc->name) != 0)
			continue;
		sin = (const struct sockaddr_in *)a->ifa_addr;
		mask = (const struct sockaddr_in *)a->ifa_netmask;
		if (sin->sin_addr.s_addr == ifc->addr.s_addr && mask != NULL &&
		    mask->sin_addr.s_addr == ifc->mask.s_addr)
			return 1;
	}
	return 0;
}

int
syscheck_config(const struct config *cf, struct conf_diag *diag)
{
	struct ifaddrs	*all;
	char		 a[INET_ADDRSTRLEN];
	int		 before = diag->errors;

	if (getifaddrs(&all) == -1) {
		log_warn(LOG_CONF, "getifaddrs");
		return -1;
	}
	for (int i = 0; i < cf->nifaces; i++) {
		const struct conf_interface *ifc = &cf->ifaces[i];

		if (if_nametoindex(ifc->name) == 0) {
			conf_report(diag, cf->path, ifc->line, 0, "interface "
			    "%s does not exist on this machine", ifc->name);
			continue;
		}
		if (ifc->have_addr && !iface_has_addr(all, ifc))
			conf_report(diag, cf->path, ifc->line, 0, "interface "
			    "%s does not carry %s/%d (\"ip address\" is "
			    "checked against the system, not applied)",
			    ifc->name, addr_str(ifc->addr, a),
			    addr_mask_len(ifc->mask));
	}
	for (int i = 0; i < cf->ntracks; i++)
		if (if_nametoindex(cf->tracks[i].ifname) == 0)
			conf_report(diag, cf->path, cf->tracks[i].line, 1,
			    "track %d: interface %s does not exist (yet); the "
			    "object is down until it does", cf->tracks[i].id,
			    cf->tracks[i].ifname);
	freeifaddrs(all);
	(void)ipc_syscheck(cf, diag);
	return diag->errors == before ? 0 : -1;
}
