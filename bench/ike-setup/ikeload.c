/*
 * ikeload: an IKE load generator for bench/ike-setup, built on havpn's
 * own engine (ike/).  Each tunnel is a fresh engine with its own source
 * address (an alias of the generator's interface) that brings up Main
 * Mode and one Quick Mode (PSK, no PFS) with the target, or with -2
 * IKE_SA_INIT and IKE_AUTH with its CHILD SA; up to WINDOW tunnels are
 * in flight at once.  The generator prints the tunnels per second it saw
 * completed.
 *
 *   ikeload [-2] -t TARGET -a FIRST_ALIAS -k ALIASES -n TUNNELS -w WINDOW
 *           -g GROUP [-o FIRST_TUNNEL] [-T TIMEOUT_S]
 *
 * Aliases are FIRST_ALIAS + i (i < ALIASES), bound with IP_FREEBIND: the
 * run script adds them to the interface.  Each tunnel i proposes the proxy
 * identities host 10.8.x.y <-> host 172.16.x.y (x.y from i), so no two
 * tunnels share selectors (IKEv2: host 10.8.x.y <-> 172.16.0.0/16, so
 * that strongSwan's kernel-libipsec finds its own address, 172.16.255.254,
 * in its side of each and can route it).  INITIAL-CONTACT (IKEv2:
 * INITIAL_CONTACT) is not sent: tunnels from a reused alias stay up on
 * the responder.  Several generators run side by side with aliases and
 * tunnel numbers of their own (-a, -o): the run script's -j.
 */
#include <sys/socket.h>

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "ike/ike_int.h"

struct slot {
	int		 idx;
	struct in_addr	 addr;
	int		 fd500, fd4500;
	struct ike	*ike;
	struct esp_backend *be;
	struct config	*cf;
	int		 tunnel;
	int		 done;
	uint64_t	 started;
};

static struct slot *slots;
static int	 nslots;
static struct in_addr target;
static int	 group = 19;
static int	 version = 1;
static int	 completed, failed, started_n;

/*
 * IKEv2: every tunnel's engine has its own fake data plane, whose SPIs
 * all start at the same value; strongSwan refuses an outbound SA whose
 * SPI and destination another tunnel from the same alias holds, so the
 * generator hands out SPIs from one counter.
 */
static struct esp_backend_ops load_ops;
static uint32_t	 load_spi = 0x20000000;

static int
load_alloc_spi(struct esp_backend *be, uint32_t *spi)
{
	(void)be;
	*spi = load_spi++;
	return 0;
}

static uint64_t
now_cb(void *arg)
{
	(void)arg;
	return time_mono_ms();
}

static int
send_cb(void *arg, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *p, size_t len)
{
	struct slot	*s = arg;
	int		 fd = ntohs(local->sin_port) == 4500 ? s->fd4500 :
			    s->fd500;

	return sendto(fd, p, len, 0, (const struct sockaddr *)remote,
	    sizeof(*remote)) == -1 ? -1 : 0;
}

static void
ipsec_up(void *arg, const struct ike_ipsec_state *st)
{
	struct slot	*s = arg;

	(void)st;
	s->done = 1;
}

static int
bind_sock(struct in_addr a, uint16_t port)
{
	struct sockaddr_in sin;
	int	 fd, on = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd == -1)
		fatal(LOG_MAIN, "socket");
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = a;
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal(LOG_MAIN, "bind %s:%u", inet_ntoa(a), port);
	return fd;
}

static const char *
group_policy(int g)
{
	switch (g) {
	case 14:	return " encr aes 128\n hash sha256\n group 14\n";
	case 19:	return " encr aes 128\n hash sha256\n group 19\n";
	}
	fatalx(LOG_MAIN, "group 14 or 19");
}

/* The tunnel's configuration: IKEv1, or IKEv2 with the same suite. */
static void
tunnel_conf(char *text, size_t len, const char *a, const char *t, int x,
    int y)
{
	if (version == 1) {
		snprintf(text, len,
		    "crypto isakmp policy 10\n%s authentication pre-share\n"
		    "crypto isakmp key loadtest address %s\n"
		    "crypto ipsec transform-set TS esp-aes 128 "
		    "esp-sha256-hmac\n"
		    "crypto map m 10 ipsec-isakmp\n set peer %s\n"
		    " set transform-set TS\n match address 110\n"
		    "interface eth0\n ip address %s 255.255.0.0\n"
		    " crypto map m\n"
		    "access-list 110 permit ip host 10.8.%d.%d host "
		    "172.16.%d.%d\n",
		    group_policy(group), t, t, a, x, y, x, y);
		return;
	}
	snprintf(text, len,
	    "crypto ikev2 proposal P\n encryption aes-cbc-128\n"
	    " integrity sha256\n group %d\n"
	    "crypto ikev2 policy POL\n proposal P\n"
	    "crypto ikev2 keyring KR\n peer R\n  address %s\n"
	    "  pre-shared-key loadtest\n"
	    "crypto ikev2 profile PR\n match identity remote address %s\n"
	    " authentication local pre-share\n"
	    " authentication remote pre-share\n keyring local KR\n"
	    "crypto ipsec transform-set TS esp-aes 128 esp-sha256-hmac\n"
	    "crypto map m 10 ipsec-isakmp\n set peer %s\n"
	    " set transform-set TS\n set ikev2-profile PR\n"
	    " match address 110\n"
	    "interface eth0\n ip address %s 255.255.0.0\n crypto map m\n"
	    "access-list 110 permit ip host 10.8.%d.%d 172.16.0.0 "
	    "0.0.255.255\n", group, t, t, t, a, x, y);
}

static void
slot_start(struct slot *s, int tunnel)
{
	char		 text[2048], a[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN];
	struct conf_diag d = { NULL, 0, 0 };
	struct ike_io	 io;
	struct ike_listener l;
	struct esp_selector f;
	char		 err[128];
	int		 x = (tunnel >> 8) & 0xff, y = tunnel & 0xff;

	addr_str(s->addr, a);
	addr_str(target, t);
	tunnel_conf(text, sizeof(text), a, t, x, y);
	s->cf = conf_load_mem("ikeload", text, strlen(text), &d);
	if (s->cf == NULL)
		fatalx(LOG_MAIN, "bad generated config:\n%s", text);
	s->be = esp_fake_new();
	if (version == 2) {
		if (load_ops.alloc_spi == NULL) {
			load_ops = *s->be->ops;
			load_ops.alloc_spi = load_alloc_spi;
		}
		s->be->ops = &load_ops;
	}
	memset(&io, 0, sizeof(io));
	io.arg = s;
	io.now_ms = now_cb;
	io.send = send_cb;
	if ((s->ike = ike_new(s->be, &io)) == NULL ||
	    ike_configure(s->ike, s->cf) == -1)
		fatalx(LOG_MAIN, "engine");
	s->ike->no_initial_contact = 1;
	memset(&l, 0, sizeof(l));
	l.arg = s;
	l.ipsec_up = ipsec_up;
	ike_add_listener(s->ike, &l);
	s->tunnel = tunnel;
	s->done = 0;
	s->started = time_mono_ms();
	memset(&f, 0, sizeof(f));
	f.src.s_addr = htonl(0x0a080000u | (uint32_t)x << 8 | (uint32_t)y);
	f.dst.s_addr = htonl(0xac100000u | (uint32_t)x << 8 | (uint32_t)y);
	if (ike_test_acquire(s->ike, &f, err, sizeof(err)) == -1)
		fatalx(LOG_MAIN, "acquire: %s", err);
	started_n++;
}

static void
slot_stop(struct slot *s)
{
	ike_free(s->ike);
	s->ike = NULL;
	s->be->ops->destroy(s->be);
	conf_free(s->cf);
}

static void
input(struct slot *s, int fd, uint16_t port)
{
	uint8_t		 buf[IKE_MAX_MSG + 64];
	struct sockaddr_in from, local;
	socklen_t	 fl;
	ssize_t		 n;

	local.sin_family = AF_INET;
	local.sin_addr = s->addr;
	local.sin_port = htons(port);
	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fl);
		if (n == -1)
			return;
		if (s->ike != NULL)
			ike_input(s->ike, buf, (size_t)n, &local, &from);
	}
}

int
main(int argc, char *argv[])
{
	struct in_addr	 first;
	struct pollfd	*pfd;
	int		 ch, ntunnels = 1000, window = 64, next, end, active = 0;
	int		 first_tunnel = 0;
	int		 timeout_s = 60;
	uint64_t	 t0, t1;

	/*
	 * Each tunnel's engine is a fresh allocation of about 1.3 MB, mostly
	 * hash buckets it never touches: always from mmap (zero pages, faulted
	 * only where written) rather than from a heap glibc would memset for
	 * calloc once its dynamic threshold grew past that size.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	log_init("ikeload", 1, 0);
	first.s_addr = 0;
	while ((ch = getopt(argc, argv, "2a:g:k:n:o:t:T:w:")) != -1) {
		switch (ch) {
		case '2':
			version = 2;
			break;
		case 'a':
			if (addr_parse(optarg, &first) == -1)
				fatalx(LOG_MAIN, "-a ADDR");
			break;
		case 'g':
			group = atoi(optarg);
			break;
		case 'k':
			nslots = atoi(optarg);
			break;
		case 'n':
			ntunnels = atoi(optarg);
			break;
		case 'o':
			first_tunnel = atoi(optarg);
			break;
		case 't':
			if (addr_parse(optarg, &target) == -1)
				fatalx(LOG_MAIN, "-t ADDR");
			break;
		case 'T':
			timeout_s = atoi(optarg);
			break;
		case 'w':
			window = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: ikeload [-2] -t TARGET -a "
			    "FIRST -k ALIASES -n TUNNELS -w WINDOW -g GROUP "
			    "[-o FIRST_TUNNEL] [-T SECONDS]\n");
			return 2;
		}
	}
	if (nslots <= 0 || target.s_addr == 0 || first.s_addr == 0)
		fatalx(LOG_MAIN, "-t, -a and -k are required");
	if (first_tunnel < 0 || first_tunnel + ntunnels > 65536)
		fatalx(LOG_MAIN, "tunnel numbers 0 to 65535 (-o, -n)");
	/* each tunnel takes one SPI or two: room for 8 */
	load_spi += (uint32_t)first_tunnel * 8;
	next = first_tunnel;
	end = first_tunnel + ntunnels;
	/* the engines' per-tunnel lines are not what is measured */
	if (getenv("IKELOAD_LOG") == NULL)
		log_set_stream(fopen("/dev/null", "w"));
	if (window > nslots)
		window = nslots;
	slots = xcalloc((size_t)nslots, sizeof(*slots));
	pfd = xcalloc((size_t)nslots * 2, sizeof(*pfd));
	for (int i = 0; i < nslots; i++) {
		slots[i].idx = i;
		slots[i].addr.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)i);
		slots[i].fd500 = bind_sock(slots[i].addr, 500);
		slots[i].fd4500 = bind_sock(slots[i].addr, 4500);
		pfd[2 * i].fd = slots[i].fd500;
		pfd[2 * i + 1].fd = slots[i].fd4500;
		pfd[2 * i].events = pfd[2 * i + 1].events = POLLIN;
	}
	t0 = time_mono_ms();
	while (completed + failed < ntunnels) {
		uint64_t now = time_mono_ms(), next_t = now + 100;

		/* keep the window full */
		for (int i = 0; i < nslots && active < window &&
		    next < end; i++)
			if (slots[i].ike == NULL) {
				slot_start(&slots[i], next++);
				active++;
			}
		for (int i = 0; i < nslots; i++) {
			struct slot *s = &slots[i];
			uint64_t d;

			if (s->ike == NULL)
				continue;
			if (s->done) {
				completed++;
				slot_stop(s);
				active--;
				continue;
			}
			if (now > s->started &&
			    now - s->started > (uint64_t)timeout_s * 1000) {
				failed++;
				slot_stop(s);
				active--;
				continue;
			}
			d = ike_next_deadline(s->ike);
			if (d < next_t)
				next_t = d;
		}
		if (poll(pfd, (nfds_t)nslots * 2, next_t > now ?
		    (int)(next_t - now) : 0) > 0)
			for (int i = 0; i < nslots; i++) {
				if (pfd[2 * i].revents & POLLIN)
					input(&slots[i], slots[i].fd500, 500);
				if (pfd[2 * i + 1].revents & POLLIN)
					input(&slots[i], slots[i].fd4500, 4500);
			}
		for (int i = 0; i < nslots; i++)
			if (slots[i].ike != NULL)
				ike_run_timers(slots[i].ike);
	}
	t1 = time_mono_ms();
	printf("tunnels %d completed %d failed %d seconds %.3f rate %.1f\n",
	    ntunnels, completed, failed, (double)(t1 - t0) / 1000.0,
	    completed * 1000.0 / (double)(t1 - t0 > 0 ? t1 - t0 : 1));
	return failed == 0 ? 0 : 1;
}
