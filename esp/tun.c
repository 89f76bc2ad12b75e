/*
 * The TUN device: IFF_TUN | IFF_NO_PI (bare IPv4 packets), non-blocking,
 * not persistent, so the kernel removes it when the engine (or a crashed
 * daemon) closes it.  Brought up with the MTU that leaves room for the
 * outer headers: 1500 - 20 (IP) - 8 (UDP) - 8 (ESP) - 16 (IV)
 * - 17 (padding) - 32 (ICV) rounds down to the 1400 default.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lib/lib.h"

/* Linux 6.2 (USO); Debian 12's headers are older than the kernels */
#ifndef TUN_F_USO4
#define TUN_F_USO4	0x20
#define TUN_F_USO6	0x40
#endif

#define ESP_TUN_QLEN	4096	/* packets queued towards the engine */
#include "esp/engine.h"

/* IPv4 only: no IPv6 autoconfiguration chatter into the engine. */
static void
disable_ipv6(const char *ifname)
{
	char	 path[128];
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
	    ifname);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fputs("1\n", f);
	fclose(f);
}

/*
 * Offloads: the kernel may then pass TCP and UDP super-packets and partial
 * checksums (gso.c finishes them).  USO needs Linux 6.2; without it, TSO.
 */
static int
offloads(int fd)
{
	static const unsigned flags[] = {
		/* the kernel takes USO for both families or not at all */
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4,
		TUN_F_CSUM,
	};

	for (size_t i = 0; i < nitems(flags); i++)
		if (ioctl(fd, TUNSETOFFLOAD, flags[i]) == 0)
			return ESP_OFF_VNET |
			    (flags[i] & TUN_F_TSO4 ? ESP_OFF_TSO : 0) |
			    (flags[i] & TUN_F_USO4 ? ESP_OFF_USO : 0);
	return -1;
}

int
esp_tun_open(const char *name, int mtu, char *outname, int *ifindex,
    int *vnet)
{
	struct ifreq	 ifr;
	int		 fd, s = -1;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		log_warn(LOG_ESP, "open /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (*vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		log_warn(LOG_ESP, "TUN device %s", name);
		goto fail;
	}
	if (*vnet && (*vnet = offloads(fd)) == -1) {
		log_warnx(LOG_ESP, "%s: no TUN offloads", ifr.ifr_name);
		*vnet = 0;
		close(fd);
		return esp_tun_open(name, mtu, outname, ifindex, vnet);
	}
	snprintf(outname, IFNAMSIZ, "%s", ifr.ifr_name);
	/* before it is up: no router solicitation or MLD report escapes */
	disable_ipv6(outname);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1) {
		log_warn(LOG_ESP, "%s: mtu %d", outname, mtu);
		goto fail;
	}
	/* a burst larger than the default 500 would be dropped */
	ifr.ifr_qlen = ESP_TUN_QLEN;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) == -1)
		log_warn(LOG_ESP, "%s: txqueuelen", outname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		log_warn(LOG_ESP, "%s: up", outname);
		goto fail;
	}
	if (ioctl(s, SIOCGIFINDEX, &ifr) == -1)
		goto fail;
	*ifindex = ifr.ifr_ifindex;
	close(s);
	return fd;
 fail:
	if (s != -1)
		close(s);
	close(fd);
	return -1;
}
