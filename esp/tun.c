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

int
esp_tun_open(const char *name, int mtu, char *outname, int *ifindex)
{
	struct ifreq	 ifr;
	int		 fd, s = -1;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		log_warn(LOG_ESP, "open /dev/net/tun");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		log_warn(LOG_ESP, "TUN device %s", name);
		goto fail;
	}
	snprintf(outname, IFNAMSIZ, "%s", ifr.ifr_name);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1) {
		log_warn(LOG_ESP, "%s: mtu %d", outname, mtu);
		goto fail;
	}
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
	disable_ipv6(outname);
	return fd;
 fail:
	if (s != -1)
		close(s);
	close(fd);
	return -1;
}
