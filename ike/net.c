/*
 * IKE's sockets in havpnd: UDP 500 and 4500 on every local address a
 * crypto map uses (ike_local_addrs), bound with IP_FREEBIND because a VIP
 * may belong to the other node right now, read with libev and handed to
 * the engine.
 *
 * Each 4500 socket is offered to the data plane, which multiplexes ESP in
 * UDP and IKE on it: when it takes the socket (attach_encap_socket returns
 * 1) it hands IKE's packets back through net_encap_input and we only send
 * on it; such a socket then belongs to the data plane and is never closed
 * here.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "ike/ike_int.h"

#define NET_MAX_ADDRS	16
/*
 * A burst of first messages (peers reconnecting at once, a load of new
 * tunnels) must queue while the engine computes DH: the default 208 KB
 * held about 90 datagrams and the rest were lost until the initiators
 * retransmitted, seconds later (bench/ike-setup, docs/benchmarks.md).
 */
#define NET_RCVBUF	(4 * 1024 * 1024)

struct net_sock {
	struct ike_net	*net;
	int		 fd;
	struct sockaddr_in local;
	ev_io		 w;
	int		 watched;
	int		 attached;	/* the data plane reads it */
};

struct ike_net {
	struct ev_loop	*loop;
	struct esp_backend *be;
	struct ike	*ike;
	struct net_sock	*socks[2 * NET_MAX_ADDRS];	/* each stays put */
	int		 nsocks;
	uint8_t		 buf[IKE_MAX_MSG + 64];
};

struct ike_net *
ike_net_new(struct ev_loop *loop, struct esp_backend *be)
{
	struct ike_net	*net = xcalloc(1, sizeof(*net));

	net->loop = loop;
	net->be = be;
	return net;
}

void
ike_net_set_engine(struct ike_net *net, struct ike *ike)
{
	net->ike = ike;
}

static void
sock_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct net_sock	*s = w->data;
	struct ike_net	*net = s->net;
	struct sockaddr_in from;
	socklen_t	 fl;
	ssize_t		 n;

	(void)loop;
	(void)revents;
	/* a bounded batch per wake-up, then back to the loop */
	for (int i = 0; i < 64; i++) {
		fl = sizeof(from);
		n = recvfrom(s->fd, net->buf, sizeof(net->buf), 0,
		    (struct sockaddr *)&from, &fl);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn(LOG_IKE, "recvfrom on port %u",
				    ntohs(s->local.sin_port));
			return;
		}
		if (fl != sizeof(from) || from.sin_family != AF_INET ||
		    net->ike == NULL)
			continue;
		ike_input(net->ike, net->buf, (size_t)n, &s->local, &from);
	}
}

/*
 * IKE packets the data plane found on a 4500 socket it reads: the sender,
 * then the local address (esp_ike_input_fn).  The socket's own bound
 * address stands for the local one, as when IKE reads the socket itself.
 */
static void
net_encap_input(void *arg, const uint8_t *p, size_t len,
    const struct sockaddr_in *remote, const struct sockaddr_in *local)
{
	struct net_sock	*s = arg;
	struct sockaddr_in l = s->local;

	(void)local;
	if (s->net->ike != NULL)
		ike_input(s->net->ike, p, len, &l, remote);
}

static int
sock_open(struct ike_net *net, struct in_addr a, uint16_t port)
{
	struct net_sock	*s;
	int		 fd, on = 1, rc, rcvbuf = NET_RCVBUF;
	char		 b[INET_ADDRSTRLEN];

	if (net->nsocks == (int)nitems(net->socks))
		return -1;
	s = xcalloc(1, sizeof(*s));
	s->net = net;
	s->local.sin_family = AF_INET;
	s->local.sin_addr = a;
	s->local.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn(LOG_IKE, "socket");
		free(s);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* beyond net.core.rmem_max when we may (CAP_NET_ADMIN) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	/* the VIP may be on the other node: bind to it anyway */
	if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on)) == -1)
		log_warn(LOG_IKE, "IP_FREEBIND");
	/*
	 * and send from it while it is not ours: a node that just handed its
	 * VIPs over in a planned switchover sends the ESP packets it still
	 * had queued (hasync); needs CAP_NET_ADMIN, best effort
	 */
	if (setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &on, sizeof(on)) == -1)
		log_debug(LOG_IKE, "IP_TRANSPARENT: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&s->local, sizeof(s->local)) == -1) {
		log_warn(LOG_IKE, "bind %s:%u", addr_str(a, b), port);
		close(fd);
		free(s);
		return -1;
	}
	s->fd = fd;
	net->socks[net->nsocks++] = s;
	if (port == IKE_NATT_PORT && net->be->ops->attach_encap_socket !=
	    NULL) {
		rc = net->be->ops->attach_encap_socket(net->be, fd,
		    net_encap_input, s);
		if (rc == 1) {
			s->attached = 1;
			log_info(LOG_IKE, "listening on %s:%u (read by the "
			    "%s data plane)", addr_str(a, b), port,
			    net->be->ops->name);
			return 0;
		}
		if (rc == -1)
			log_warnx(LOG_IKE, "the data plane refused the port "
			    "%u socket: IKE reads it alone", port);
	}
	ev_io_init(&s->w, sock_read_cb, fd, EV_READ);
	s->w.data = s;
	ev_io_start(net->loop, &s->w);
	s->watched = 1;
	log_info(LOG_IKE, "listening on %s:%u", addr_str(a, b), port);
	return 0;
}

static void
sock_close(struct ike_net *net, int i)
{
	struct net_sock	*s = net->socks[i];

	if (s->watched)
		ev_io_stop(net->loop, &s->w);
	net->socks[i] = net->socks[--net->nsocks];
	/* an attached socket is the data plane's: it keeps the fd for ESP */
	if (s->attached) {
		net->be->ops->detach_encap_input(net->be);
		free(s);
		return;
	}
	close(s->fd);
	free(s);
}

int
ike_net_sync(struct ike_net *net, const struct config *cf)
{
	struct in_addr	 want[NET_MAX_ADDRS];
	int		 n = ike_local_addrs(cf, want, NET_MAX_ADDRS), rc = 0;

	for (int i = net->nsocks - 1; i >= 0; i--) {
		int	 keep = net->socks[i]->attached;

		for (int j = 0; j < n; j++)
			keep |= net->socks[i]->local.sin_addr.s_addr ==
			    want[j].s_addr;
		if (!keep)
			sock_close(net, i);
	}
	for (int j = 0; j < n; j++) {
		for (int p = 0; p < 2; p++) {
			uint16_t port = p == 0 ? IKE_PORT : IKE_NATT_PORT;
			int	 have = 0;

			for (int i = 0; i < net->nsocks; i++) {
				struct net_sock *k = net->socks[i];

				have |= k->local.sin_addr.s_addr ==
				    want[j].s_addr &&
				    k->local.sin_port == htons(port);
			}
			if (!have && sock_open(net, want[j], port) == -1)
				rc = -1;
		}
	}
	return rc;
}

int
ike_net_send(void *arg, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *p, size_t len)
{
	struct ike_net	*net = arg;

	for (int i = 0; i < net->nsocks; i++) {
		struct net_sock *s = net->socks[i];

		if (s->local.sin_addr.s_addr != local->sin_addr.s_addr ||
		    s->local.sin_port != local->sin_port)
			continue;
		if (sendto(s->fd, p, len, 0, (const struct sockaddr *)remote,
		    sizeof(*remote)) == -1)
			return -1;
		return 0;
	}
	errno = EADDRNOTAVAIL;
	return -1;
}

void
ike_net_free(struct ike_net *net)
{
	if (net == NULL)
		return;
	while (net->nsocks > 0)
		sock_close(net, net->nsocks - 1);
	free(net);
}
