/*
 * The kernel SCTP transport (libsctp): a one-to-one socket, multi-homed
 * with sctp_bindx() over every local-ip and sctp_connectx() to every
 * remote-ip, notifications through SCTP_EVENTS, the socket read and written
 * by libev watchers.
 *
 * Roles as in the usrsctp transport: the lower (local-ip, port) connects,
 * the other listens.  It accepts only associations whose every address is
 * a configured remote-ip and port, and a new one replaces the one in use
 * only while that one carries no sealed channel.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/sctp.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"
#include "ipc/tp_common.h"

#define SOCKBUF		(4 << 20)

struct ipc_tp {
	struct tp_common	 c;

	int			 lfd;		/* listening (server) */
	ev_io			 lio;
	int			 fd;		/* the association */
	ev_io			 rio;
	ev_io			 wio;
	unsigned		 gen;
	char			 path_state[2][16];
};

int
ipc_kernel_has_sctp(void)
{
	int	 fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd == -1)
		return !(errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT ||
		    errno == EAFNOSUPPORT);
	close(fd);
	return 1;
}

static void
addrs(const struct in_addr *ip, int n, uint16_t port,
    struct sockaddr_in *out)
{
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].sin_family = AF_INET;
		out[i].sin_addr = ip[i];
		out[i].sin_port = htons(port);
	}
}

static void
setopt(int fd, int name, const void *v, socklen_t l, const char *what)
{
	if (setsockopt(fd, IPPROTO_SCTP, name, v, l) == -1)
		log_warn(LOG_IPC, "kernel SCTP: setting %s", what);
}

static void
set_options(struct ipc_tp *tp, int fd)
{
	struct sctp_initmsg		 init;
	struct sctp_rtoinfo		 rto;
	struct sctp_assocparams		 ap;
	struct sctp_paddrparams		 pp;
	struct sctp_event_subscribe	 ev;
	int				 one = 1, bufsz = SOCKBUF;

	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = IPC_NSTREAMS;
	init.sinit_max_instreams = IPC_NSTREAMS;
	init.sinit_max_attempts = 4;
	init.sinit_max_init_timeo = (uint16_t)(tp->c.a.rto_max_ms > 65535 ?
	    65535 : tp->c.a.rto_max_ms);
	setopt(fd, SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG");
	memset(&rto, 0, sizeof(rto));
	rto.srto_initial = tp->c.a.rto_min_ms;
	rto.srto_min = tp->c.a.rto_min_ms;
	rto.srto_max = tp->c.a.rto_max_ms;
	setopt(fd, SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO");
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_asocmaxrxt = (uint16_t)tp->c.a.assoc_retransmit;
	setopt(fd, SCTP_ASSOCINFO, &ap, sizeof(ap), "SCTP_ASSOCINFO");
	memset(&pp, 0, sizeof(pp));
	pp.spp_pathmaxrxt = (uint16_t)tp->c.a.path_retransmit;
	pp.spp_hbinterval = 1000;
	pp.spp_flags = SPP_HB_ENABLE;
	setopt(fd, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp),
	    "SCTP_PEER_ADDR_PARAMS");
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	ev.sctp_address_event = 1;
	ev.sctp_send_failure_event = 1;
	ev.sctp_shutdown_event = 1;
	setopt(fd, SCTP_EVENTS, &ev, sizeof(ev), "SCTP_EVENTS");
	setopt(fd, SCTP_NODELAY, &one, sizeof(one), "SCTP_NODELAY");
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
}

/* tp_stream_prio (Linux 4.15 and later). */
static void
set_priorities(int fd)
{
	struct sctp_assoc_value	 av;
	struct sctp_stream_value sv;

	memset(&av, 0, sizeof(av));
	av.assoc_value = SCTP_SS_PRIO;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av,
	    sizeof(av)) == -1) {
		log_debug(LOG_IPC, "kernel SCTP: no stream scheduler: %s",
		    strerror(errno));
		return;
	}
	for (uint16_t s = 0; s < IPC_NSTREAMS; s++) {
		memset(&sv, 0, sizeof(sv));
		sv.stream_id = s;
		sv.stream_value = tp_stream_prio[s];
		setopt(fd, SCTP_STREAM_SCHEDULER_VALUE, &sv, sizeof(sv),
		    "SCTP_STREAM_SCHEDULER_VALUE");
	}
}

/* The ops' close: the association's socket, if there is one. */
static void
sock_close(struct ipc_tp *tp, int abort)
{
	struct linger	 l = { 1, 0 };

	if (tp->fd == -1)
		return;
	ev_io_stop(tp->c.loop, &tp->rio);
	ev_io_stop(tp->c.loop, &tp->wio);
	if (abort)
		(void)setsockopt(tp->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(tp->fd);
	tp->fd = -1;
	tp->gen++;
}

static void
sock_up(struct ipc_tp *tp)
{
	set_priorities(tp->fd);
}

static void
on_notification(struct ipc_tp *tp, const union sctp_notification *n,
    size_t len)
{
	char		 a[INET_ADDRSTRLEN];
	const struct sockaddr_in *sin;

	if (len < sizeof(n->sn_header))
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(n->sn_assoc_change))
			return;
		tp_on_assoc_change(&tp->c, n->sn_assoc_change.sac_state,
		    n->sn_assoc_change.sac_error);
		break;
	case SCTP_PEER_ADDR_CHANGE:
		if (len < sizeof(n->sn_paddr_change))
			return;
		sin = (const struct sockaddr_in *)
		    &n->sn_paddr_change.spc_aaddr;
		for (int i = 0; i < tp->c.a.nremote_ip; i++) {
			if (sin->sin_addr.s_addr != tp->c.a.remote_ip[i].s_addr)
				continue;
			snprintf(tp->path_state[i], sizeof(tp->path_state[0]),
			    "%s", n->sn_paddr_change.spc_state ==
			    SCTP_ADDR_UNREACHABLE ? "INACTIVE" : "ACTIVE");
			log_info(LOG_IPC, "path to %s: %s",
			    addr_str(sin->sin_addr, a), tp->path_state[i]);
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		tp_on_peer_shutdown(&tp->c);
		break;
	case SCTP_SEND_FAILED:
		tp->c.send_failed++;
		break;
	}
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_tp		*tp = w->data;
	static uint8_t		 buf[IPC_REC_MAX];
	struct sctp_sndrcvinfo	 si;
	int			 flags;
	ssize_t			 n;
	unsigned		 gen;

	(void)loop;
	(void)revents;
	/* what is left is read in the next turn: the socket stays readable */
	ipc_core_turn(tp->c.ipc);
	for (int i = 0; i < 256 && tp->fd != -1 &&
	    ipc_core_turn_left(tp->c.ipc); i++) {
		gen = tp->gen;
		flags = 0;
		memset(&si, 0, sizeof(si));
		n = sctp_recvmsg(tp->fd, buf, sizeof(buf), NULL, NULL, &si,
		    &flags);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (tp->c.st == TP_CONNECTING && errno == ENOTCONN)
				break;
			tp_assoc_lost(&tp->c, strerror(errno));
			return;
		}
		if (n == 0) {
			tp_assoc_lost(&tp->c, "the peer closed the "
			    "association");
			return;
		}
		if (flags & MSG_NOTIFICATION)
			on_notification(tp, (const union sctp_notification *)
			    buf, (size_t)n);
		else
			tp_on_data(&tp->c, si.sinfo_stream, buf, (size_t)n,
			    (flags & MSG_EOR) != 0);
		if (gen != tp->gen)
			break;
	}
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_tp	*tp = w->data;

	(void)revents;
	ev_io_stop(loop, w);
	ipc_core_writable(tp->c.ipc);
}

static void
use_fd(struct ipc_tp *tp, int fd)
{
	tp->fd = fd;
	tp->gen++;
	ev_io_init(&tp->rio, read_cb, fd, EV_READ);
	tp->rio.data = tp;
	ev_io_start(tp->c.loop, &tp->rio);
	ev_io_init(&tp->wio, write_cb, fd, EV_WRITE);
	tp->wio.data = tp;
}

/*
 * Every address of the accepted association's peer is a configured
 * remote-ip; who names the first one otherwise (the kernel, unlike the
 * UDP encapsulation, accepts from anyone).
 */
static int
from_remote_ips(struct ipc_tp *tp, int fd, char *who, size_t wholen)
{
	struct sockaddr		*pa = NULL;
	struct sockaddr_in	*sin;
	int			 n, ok = 1;

	snprintf(who, wholen, "an unknown address");
	if ((n = sctp_getpaddrs(fd, 0, &pa)) <= 0)
		return 0;
	sin = (struct sockaddr_in *)pa;
	for (int i = 0; i < n && ok; i++) {
		int known = 0;

		if (sin[i].sin_family != AF_INET)
			ok = 0;
		for (int k = 0; ok && k < tp->c.a.nremote_ip; k++)
			if (sin[i].sin_addr.s_addr ==
			    tp->c.a.remote_ip[k].s_addr &&
			    sin[i].sin_port == htons(tp->c.a.remote_port))
				known = 1;
		if (!known) {
			ok = 0;
			if (sin[i].sin_family == AF_INET)
				snprintf(who, wholen, "%s:%u",
				    inet_ntoa(sin[i].sin_addr),
				    ntohs(sin[i].sin_port));
		}
	}
	sctp_freepaddrs(pa);
	return ok;
}

/* Close an accepted association at once, with ABORT. */
static void
abort_fd(int fd)
{
	struct linger	 l = { 1, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_tp	*tp = w->data;
	char		 who[64];
	int		 fd;

	(void)loop;
	(void)revents;
	while ((fd = accept4(tp->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (!from_remote_ips(tp, fd, who, sizeof(who))) {
			tp_accept_foreign(&tp->c, who);
			abort_fd(fd);
			continue;
		}
		if (!tp_accept_replaces(&tp->c, tp->fd != -1)) {
			abort_fd(fd);
			continue;
		}
		use_fd(tp, fd);
		tp_assoc_up(&tp->c);
	}
}

static void
tk_connect(struct ipc_tp *tp)
{
	struct sockaddr_in	 l[2], r[2];
	int			 fd, one = 1;

	tp_close(&tp->c, 1);
	tp->c.attempts++;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_SCTP);
	if (fd == -1) {
		log_warn(LOG_IPC, "kernel SCTP socket");
		tp_schedule_retry(&tp->c);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_options(tp, fd);
	addrs(tp->c.a.local_ip, tp->c.a.nlocal_ip, tp->c.a.local_port, l);
	addrs(tp->c.a.remote_ip, tp->c.a.nremote_ip, tp->c.a.remote_port, r);
	if (sctp_bindx(fd, (struct sockaddr *)l, tp->c.a.nlocal_ip,
	    SCTP_BINDX_ADD_ADDR) == -1) {
		log_warn(LOG_IPC, "kernel SCTP: bind to port %u",
		    tp->c.a.local_port);
		close(fd);
		tp_schedule_retry(&tp->c);
		return;
	}
	use_fd(tp, fd);
	tp->c.st = TP_CONNECTING;
	if (sctp_connectx(fd, (struct sockaddr *)r, tp->c.a.nremote_ip, NULL)
	    == -1 && errno != EINPROGRESS) {
		tp_assoc_lost(&tp->c, strerror(errno));
		return;
	}
	tp_connect_started(&tp->c);
}

static const struct tp_sock_ops tk_sock_ops = {
	.connect = tk_connect,
	.close = sock_close,
	.up = sock_up,
	.sac = {
		.comm_up = SCTP_COMM_UP,
		.comm_lost = SCTP_COMM_LOST,
		.restart = SCTP_RESTART,
		.shutdown_comp = SCTP_SHUTDOWN_COMP,
		.cant_str_assoc = SCTP_CANT_STR_ASSOC,
	},
};

static void	tk_close(struct ipc_tp *);

static struct ipc_tp *
tk_open(struct ipc *ipc, struct ev_loop *loop,
    const struct conf_ipc_assoc *a, char *err, size_t errlen)
{
	struct ipc_tp		*tp;
	struct sockaddr_in	 l[2];
	int			 one = 1;

	tp = xcalloc(1, sizeof(*tp));
	tp_common_init(&tp->c, tp, &tk_sock_ops, ipc, loop, a);
	tp->fd = tp->lfd = -1;
	for (int i = 0; i < 2; i++)
		snprintf(tp->path_state[i], sizeof(tp->path_state[0]), "%s",
		    "UNCONFIRMED");
	if (tp->c.client) {
		tk_connect(tp);
		return tp;
	}
	tp->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_SCTP);
	if (tp->lfd == -1) {
		snprintf(err, errlen, "kernel SCTP socket: %s",
		    strerror(errno));
		tk_close(tp);
		return NULL;
	}
	(void)setsockopt(tp->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_options(tp, tp->lfd);
	addrs(a->local_ip, a->nlocal_ip, a->local_port, l);
	if (sctp_bindx(tp->lfd, (struct sockaddr *)l, a->nlocal_ip,
	    SCTP_BINDX_ADD_ADDR) == -1 || listen(tp->lfd, 4) == -1) {
		snprintf(err, errlen, "kernel SCTP: listen on port %u: %s",
		    a->local_port, strerror(errno));
		tk_close(tp);
		return NULL;
	}
	ev_io_init(&tp->lio, accept_cb, tp->lfd, EV_READ);
	tp->lio.data = tp;
	ev_io_start(loop, &tp->lio);
	return tp;
}

static void
tk_close(struct ipc_tp *tp)
{
	if (tp == NULL)
		return;
	tp_common_cleanup(&tp->c);
	if (tp->lfd != -1) {
		ev_io_stop(tp->c.loop, &tp->lio);
		close(tp->lfd);
	}
	free(tp);
}

static int
tk_send(struct ipc_tp *tp, int stream, const void *p, size_t len)
{
	if (tp->fd == -1 || tp->c.st != TP_UP) {
		errno = ENOTCONN;
		return -1;
	}
	if (sctp_sendmsg(tp->fd, p, len, NULL, 0, 0, 0, (uint16_t)stream, 0,
	    0) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			ev_io_start(tp->c.loop, &tp->wio);
			errno = EAGAIN;
		}
		return -1;
	}
	return 0;
}

static void
tk_restart(struct ipc_tp *tp, const char *reason)
{
	tp_restart(&tp->c, reason);
}

static void
tk_status(struct ipc_tp *tp, json_object *o)
{
	struct sctp_status	 ss;
	struct sctp_paddrinfo	 pi;
	struct tp_assoc_status	 as;
	socklen_t		 sl = sizeof(ss);
	json_object		*paths = json_object_new_array();
	char			 a[INET_ADDRSTRLEN];
	int			 have = 0;

	memset(&ss, 0, sizeof(ss));
	memset(&as, 0, sizeof(as));
	if (tp->fd != -1 && tp->c.st == TP_UP && getsockopt(tp->fd,
	    IPPROTO_SCTP, SCTP_STATUS, &ss, &sl) == 0) {
		have = 1;
		as.instrms = ss.sstat_instrms;
		as.outstrms = ss.sstat_outstrms;
		as.unackdata = ss.sstat_unackdata;
		as.penddata = ss.sstat_penddata;
		as.rwnd = ss.sstat_rwnd;
	}
	tp_status_assoc(&tp->c, o, tp->lfd != -1 && tp->fd == -1, &as);
	for (int i = 0; i < tp->c.a.nremote_ip; i++) {
		json_object		*p = json_object_new_object();
		struct sockaddr_in	*sin;
		socklen_t		 pl = sizeof(pi);
		int			 got = 0;

		memset(&pi, 0, sizeof(pi));
		sin = (struct sockaddr_in *)&pi.spinfo_address;
		sin->sin_family = AF_INET;
		sin->sin_addr = tp->c.a.remote_ip[i];
		sin->sin_port = htons(tp->c.a.remote_port);
		if (have && getsockopt(tp->fd, IPPROTO_SCTP,
		    SCTP_GET_PEER_ADDR_INFO, &pi, &pl) == 0)
			got = 1;
		json_object_object_add(p, "local", json_object_new_string(
		    i < tp->c.a.nlocal_ip ? addr_str(tp->c.a.local_ip[i], a) :
		    ""));
		json_object_object_add(p, "remote", json_object_new_string(
		    addr_str(tp->c.a.remote_ip[i], a)));
		json_object_object_add(p, "state", json_object_new_string(
		    !got ? (tp->c.st == TP_UP ? tp->path_state[i] :
		    "INACTIVE") :
		    pi.spinfo_state == SCTP_ACTIVE ? "ACTIVE" :
		    pi.spinfo_state == SCTP_UNCONFIRMED ? "UNCONFIRMED" :
		    "INACTIVE"));
		json_object_object_add(p, "primary", json_object_new_boolean(
		    have && memcmp(&ss.sstat_primary.spinfo_address,
		    &pi.spinfo_address, sizeof(struct sockaddr_in)) == 0));
		if (got) {
			json_object_object_add(p, "rto_ms",
			    json_object_new_int64(pi.spinfo_rto));
			json_object_object_add(p, "srtt_ms",
			    json_object_new_int64(pi.spinfo_srtt));
			json_object_object_add(p, "cwnd",
			    json_object_new_int64(pi.spinfo_cwnd));
			json_object_object_add(p, "mtu",
			    json_object_new_int64(pi.spinfo_mtu));
		}
		json_object_array_add(paths, p);
	}
	json_object_object_add(o, "paths", paths);
	tp_status_counters(&tp->c, o);
}

const struct ipc_tp_ops ipc_tp_kernel = {
	.name = "kernel-sctp",
	.open = tk_open,
	.close = tk_close,
	.send = tk_send,
	.restart = tk_restart,
	.status = tk_status,
};
