/*
 * The kernel SCTP transport (libsctp): a one-to-one socket, multi-homed
 * with sctp_bindx() over every local-ip and sctp_connectx() to every
 * remote-ip, notifications through SCTP_EVENTS, the socket read and written
 * by libev watchers.
 *
 * Roles as in the usrsctp transport: the lower (local-ip, port) connects,
 * the other listens and keeps the newest association it accepts.
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

#define SOCKBUF		(4 << 20)

enum tp_state {
	TP_IDLE,
	TP_CONNECTING,
	TP_UP,
};

static const char *const tp_state_names[] = {
	"CLOSED", "COOKIE_WAIT", "ESTABLISHED",
};

struct ipc_tp {
	struct ipc		*ipc;
	struct ev_loop		*loop;
	struct conf_ipc_assoc	 a;
	int			 client;

	int			 lfd;		/* listening (server) */
	ev_io			 lio;
	int			 fd;		/* the association */
	ev_io			 rio;
	ev_io			 wio;
	unsigned		 gen;
	enum tp_state		 st;
	ev_timer		 retry;
	ev_timer		 conn_timeout;
	uint64_t		 up_since_ms;

	uint8_t			*rbuf[IPC_NSTREAMS];
	size_t			 rlen[IPC_NSTREAMS];
	int			 rbig[IPC_NSTREAMS];

	char			 path_state[2][16];
	char			 last_event[160];
	uint64_t		 attempts;
	uint64_t		 restarts;
	uint64_t		 send_failed;
};

static void	tk_connect(struct ipc_tp *);

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
copy_str(char *dst, const char *src, size_t len)
{
	snprintf(dst, len, "%s", src);
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
	init.sinit_max_init_timeo = (uint16_t)(tp->a.rto_max_ms > 65535 ?
	    65535 : tp->a.rto_max_ms);
	setopt(fd, SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG");
	memset(&rto, 0, sizeof(rto));
	rto.srto_initial = tp->a.rto_min_ms;
	rto.srto_min = tp->a.rto_min_ms;
	rto.srto_max = tp->a.rto_max_ms;
	setopt(fd, SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO");
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_asocmaxrxt = (uint16_t)tp->a.assoc_retransmit;
	setopt(fd, SCTP_ASSOCINFO, &ap, sizeof(ap), "SCTP_ASSOCINFO");
	memset(&pp, 0, sizeof(pp));
	pp.spp_pathmaxrxt = (uint16_t)tp->a.path_retransmit;
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

/* Control, then counters, then state (Linux 4.15 and later). */
static void
set_priorities(int fd)
{
	static const uint16_t prio[IPC_NSTREAMS] = {
		[IPC_STREAM_CONTROL] = 0,
		[IPC_STREAM_COUNTERS] = 1,
		[IPC_STREAM_STATE] = 2,
	};
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
		sv.stream_value = prio[s];
		setopt(fd, SCTP_STREAM_SCHEDULER_VALUE, &sv, sizeof(sv),
		    "SCTP_STREAM_SCHEDULER_VALUE");
	}
}

static void
reasm_clear(struct ipc_tp *tp)
{
	for (int s = 0; s < IPC_NSTREAMS; s++) {
		free(tp->rbuf[s]);
		tp->rbuf[s] = NULL;
		tp->rlen[s] = 0;
		tp->rbig[s] = 0;
	}
}

static void
sock_close(struct ipc_tp *tp, int abort)
{
	struct linger	 l = { 1, 0 };

	ev_timer_stop(tp->loop, &tp->conn_timeout);
	if (tp->fd != -1) {
		ev_io_stop(tp->loop, &tp->rio);
		ev_io_stop(tp->loop, &tp->wio);
		if (abort)
			(void)setsockopt(tp->fd, SOL_SOCKET, SO_LINGER, &l,
			    sizeof(l));
		close(tp->fd);
		tp->fd = -1;
		tp->gen++;
	}
	tp->st = TP_IDLE;
	reasm_clear(tp);
}

static void
schedule_retry(struct ipc_tp *tp)
{
	uint32_t ms;

	if (!tp->client)
		return;
	ms = ipc_core_next_delay(tp->ipc);
	ev_timer_stop(tp->loop, &tp->retry);
	ev_timer_set(&tp->retry, ms / 1000.0, 0);
	ev_timer_start(tp->loop, &tp->retry);
}

static void
assoc_lost(struct ipc_tp *tp, const char *reason)
{
	copy_str(tp->last_event, reason, sizeof(tp->last_event));
	sock_close(tp, 1);
	ipc_core_assoc_down(tp->ipc, reason);
	schedule_retry(tp);
}

static void
assoc_up(struct ipc_tp *tp)
{
	ev_timer_stop(tp->loop, &tp->conn_timeout);
	tp->st = TP_UP;
	tp->up_since_ms = time_mono_ms();
	set_priorities(tp->fd);
	copy_str(tp->last_event, "association up", sizeof(tp->last_event));
	ipc_core_assoc_up(tp->ipc);
}

static void
on_notification(struct ipc_tp *tp, const union sctp_notification *n,
    size_t len)
{
	char		 buf[160], a[INET_ADDRSTRLEN];
	const struct sockaddr_in *sin;

	if (len < sizeof(n->sn_header))
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(n->sn_assoc_change))
			return;
		switch (n->sn_assoc_change.sac_state) {
		case SCTP_COMM_UP:
			if (tp->st != TP_UP)
				assoc_up(tp);
			break;
		case SCTP_RESTART:
			tp->restarts++;
			copy_str(tp->last_event, "peer restarted the "
			    "association", sizeof(tp->last_event));
			ipc_core_assoc_up(tp->ipc);
			break;
		case SCTP_COMM_LOST:
			snprintf(buf, sizeof(buf), "association lost (SCTP "
			    "error %u)", n->sn_assoc_change.sac_error);
			assoc_lost(tp, buf);
			break;
		case SCTP_CANT_STR_ASSOC:
			assoc_lost(tp, "association could not start (peer "
			    "unreachable or refusing)");
			break;
		case SCTP_SHUTDOWN_COMP:
			assoc_lost(tp, "the peer shut the association down");
			break;
		}
		break;
	case SCTP_PEER_ADDR_CHANGE:
		if (len < sizeof(n->sn_paddr_change))
			return;
		sin = (const struct sockaddr_in *)
		    &n->sn_paddr_change.spc_aaddr;
		for (int i = 0; i < tp->a.nremote_ip; i++) {
			if (sin->sin_addr.s_addr != tp->a.remote_ip[i].s_addr)
				continue;
			copy_str(tp->path_state[i],
			    n->sn_paddr_change.spc_state ==
			    SCTP_ADDR_UNREACHABLE ? "INACTIVE" : "ACTIVE",
			    sizeof(tp->path_state[0]));
			log_info(LOG_IPC, "path to %s: %s",
			    addr_str(sin->sin_addr, a), tp->path_state[i]);
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		assoc_lost(tp, "the peer shut the association down");
		break;
	case SCTP_SEND_FAILED:
		tp->send_failed++;
		break;
	}
}

static void
on_data(struct ipc_tp *tp, int sid, const uint8_t *p, size_t n, int eor)
{
	if (sid < 0 || sid >= IPC_NSTREAMS)
		return;
	if (!tp->rbig[sid]) {
		if (tp->rlen[sid] + n > IPC_REC_MAX) {
			tp->rbig[sid] = 1;
			tp->rlen[sid] = 0;
		} else {
			if (tp->rbuf[sid] == NULL)
				tp->rbuf[sid] = xmalloc(IPC_REC_MAX);
			memcpy(tp->rbuf[sid] + tp->rlen[sid], p, n);
			tp->rlen[sid] += n;
		}
	}
	if (!eor)
		return;
	if (tp->rbig[sid])
		ipc_core_recv(tp->ipc, sid, NULL, 0, 1);
	else
		ipc_core_recv(tp->ipc, sid, tp->rbuf[sid], tp->rlen[sid], 0);
	tp->rbig[sid] = 0;
	tp->rlen[sid] = 0;
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
	for (int i = 0; i < 256 && tp->fd != -1; i++) {
		gen = tp->gen;
		flags = 0;
		memset(&si, 0, sizeof(si));
		n = sctp_recvmsg(tp->fd, buf, sizeof(buf), NULL, NULL, &si,
		    &flags);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (tp->st == TP_CONNECTING && errno == ENOTCONN)
				break;
			assoc_lost(tp, strerror(errno));
			return;
		}
		if (n == 0) {
			assoc_lost(tp, "the peer closed the association");
			return;
		}
		if (flags & MSG_NOTIFICATION)
			on_notification(tp, (const union sctp_notification *)
			    buf, (size_t)n);
		else
			on_data(tp, si.sinfo_stream, buf, (size_t)n,
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
	ipc_core_writable(tp->ipc);
}

static void
use_fd(struct ipc_tp *tp, int fd)
{
	tp->fd = fd;
	tp->gen++;
	ev_io_init(&tp->rio, read_cb, fd, EV_READ);
	tp->rio.data = tp;
	ev_io_start(tp->loop, &tp->rio);
	ev_io_init(&tp->wio, write_cb, fd, EV_WRITE);
	tp->wio.data = tp;
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_tp	*tp = w->data;
	int		 fd;

	(void)loop;
	(void)revents;
	while ((fd = accept4(tp->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		if (tp->fd != -1) {
			sock_close(tp, 1);
			ipc_core_assoc_down(tp->ipc, "the peer opened a new "
			    "association");
		}
		use_fd(tp, fd);
		assoc_up(tp);
	}
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	tk_connect(w->data);
}

static void
conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	assoc_lost(w->data, "no answer from the peer to INIT");
}

static void
tk_connect(struct ipc_tp *tp)
{
	struct sockaddr_in	 l[2], r[2];
	int			 fd, one = 1;

	sock_close(tp, 1);
	tp->attempts++;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_SCTP);
	if (fd == -1) {
		log_warn(LOG_IPC, "kernel SCTP socket");
		schedule_retry(tp);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_options(tp, fd);
	addrs(tp->a.local_ip, tp->a.nlocal_ip, tp->a.local_port, l);
	addrs(tp->a.remote_ip, tp->a.nremote_ip, tp->a.remote_port, r);
	if (sctp_bindx(fd, (struct sockaddr *)l, tp->a.nlocal_ip,
	    SCTP_BINDX_ADD_ADDR) == -1) {
		log_warn(LOG_IPC, "kernel SCTP: bind to port %u",
		    tp->a.local_port);
		close(fd);
		schedule_retry(tp);
		return;
	}
	use_fd(tp, fd);
	tp->st = TP_CONNECTING;
	if (sctp_connectx(fd, (struct sockaddr *)r, tp->a.nremote_ip, NULL)
	    == -1 && errno != EINPROGRESS) {
		assoc_lost(tp, strerror(errno));
		return;
	}
	ev_timer_set(&tp->conn_timeout, IPC_CONNECT_TIMEOUT_MS / 1000.0, 0);
	ev_timer_start(tp->loop, &tp->conn_timeout);
}

static void	tk_close(struct ipc_tp *);

static struct ipc_tp *
tk_open(struct ipc *ipc, struct ev_loop *loop,
    const struct conf_ipc_assoc *a, char *err, size_t errlen)
{
	struct ipc_tp		*tp;
	struct sockaddr_in	 l[2];
	int			 one = 1;

	tp = xcalloc(1, sizeof(*tp));
	tp->ipc = ipc;
	tp->loop = loop;
	tp->a = *a;
	tp->client = ipc_assoc_is_client(a) == 1;
	tp->fd = tp->lfd = -1;
	for (int i = 0; i < 2; i++)
		copy_str(tp->path_state[i], "UNCONFIRMED",
		    sizeof(tp->path_state[0]));
	ev_init(&tp->retry, retry_cb);
	tp->retry.data = tp;
	ev_init(&tp->conn_timeout, conn_timeout_cb);
	tp->conn_timeout.data = tp;
	if (tp->client) {
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
	ev_timer_stop(tp->loop, &tp->retry);
	sock_close(tp, 1);
	if (tp->lfd != -1) {
		ev_io_stop(tp->loop, &tp->lio);
		close(tp->lfd);
	}
	free(tp);
}

static int
tk_send(struct ipc_tp *tp, int stream, const void *p, size_t len)
{
	if (tp->fd == -1 || tp->st != TP_UP) {
		errno = ENOTCONN;
		return -1;
	}
	if (sctp_sendmsg(tp->fd, p, len, NULL, 0, 0, 0, (uint16_t)stream, 0,
	    0) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			ev_io_start(tp->loop, &tp->wio);
			errno = EAGAIN;
		}
		return -1;
	}
	return 0;
}

static void
tk_restart(struct ipc_tp *tp, const char *reason)
{
	copy_str(tp->last_event, reason, sizeof(tp->last_event));
	sock_close(tp, 1);
	schedule_retry(tp);
}

static void
tk_status(struct ipc_tp *tp, json_object *o)
{
	struct sctp_status	 ss;
	struct sctp_paddrinfo	 pi;
	socklen_t		 sl = sizeof(ss);
	json_object		*paths = json_object_new_array();
	char			 a[INET_ADDRSTRLEN];
	int			 have = 0;

	memset(&ss, 0, sizeof(ss));
	if (tp->fd != -1 && tp->st == TP_UP && getsockopt(tp->fd,
	    IPPROTO_SCTP, SCTP_STATUS, &ss, &sl) == 0)
		have = 1;
	json_object_object_add(o, "state", json_object_new_string(
	    tp->lfd != -1 && tp->fd == -1 ? "LISTEN" :
	    tp_state_names[tp->st]));
	json_object_object_add(o, "side", json_object_new_string(
	    tp->client ? "client" : "server"));
	json_object_object_add(o, "local_port",
	    json_object_new_int(tp->a.local_port));
	json_object_object_add(o, "remote_port",
	    json_object_new_int(tp->a.remote_port));
	json_object_object_add(o, "uptime_ms", json_object_new_int64(
	    tp->st == TP_UP ? (int64_t)(time_mono_ms() - tp->up_since_ms) :
	    0));
	json_object_object_add(o, "last_event",
	    json_object_new_string(tp->last_event));
	json_object_object_add(o, "inbound_streams",
	    json_object_new_int(have ? ss.sstat_instrms : 0));
	json_object_object_add(o, "outbound_streams",
	    json_object_new_int(have ? ss.sstat_outstrms : 0));
	json_object_object_add(o, "unacked_chunks",
	    json_object_new_int(have ? ss.sstat_unackdata : 0));
	json_object_object_add(o, "pending_chunks",
	    json_object_new_int(have ? ss.sstat_penddata : 0));
	json_object_object_add(o, "peer_rwnd",
	    json_object_new_int64(have ? ss.sstat_rwnd : 0));
	for (int i = 0; i < tp->a.nremote_ip; i++) {
		json_object		*p = json_object_new_object();
		struct sockaddr_in	*sin;
		socklen_t		 pl = sizeof(pi);
		int			 got = 0;

		memset(&pi, 0, sizeof(pi));
		sin = (struct sockaddr_in *)&pi.spinfo_address;
		sin->sin_family = AF_INET;
		sin->sin_addr = tp->a.remote_ip[i];
		sin->sin_port = htons(tp->a.remote_port);
		if (have && getsockopt(tp->fd, IPPROTO_SCTP,
		    SCTP_GET_PEER_ADDR_INFO, &pi, &pl) == 0)
			got = 1;
		json_object_object_add(p, "local", json_object_new_string(
		    i < tp->a.nlocal_ip ? addr_str(tp->a.local_ip[i], a) :
		    ""));
		json_object_object_add(p, "remote", json_object_new_string(
		    addr_str(tp->a.remote_ip[i], a)));
		json_object_object_add(p, "state", json_object_new_string(
		    !got ? (tp->st == TP_UP ? tp->path_state[i] : "INACTIVE") :
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
	json_object_object_add(o, "attempts",
	    json_object_new_int64((int64_t)tp->attempts));
	json_object_object_add(o, "sctp_restarts",
	    json_object_new_int64((int64_t)tp->restarts));
}

const struct ipc_tp_ops ipc_tp_kernel = {
	.name = "kernel-sctp",
	.open = tk_open,
	.close = tk_close,
	.send = tk_send,
	.restart = tk_restart,
	.status = tk_status,
};
