/*
 * The usrsctp transport: SCTP over UDP (RFC 6951) with the userland stack,
 * run without threads on the caller's libev loop.
 *
 * usrsctp is started with usrsctp_init_nothreads(): it has no thread of
 * its own.  Its clock is an ev_timer calling usrsctp_handle_timers(); its
 * packets leave through conn_output() (AF_CONN), which sends each SCTP
 * packet as the payload of a UDP datagram from our own socket bound to
 * local-ip:PORT to remote-ip:PORT; datagrams read from that socket go in
 * through usrsctp_conninput().  On the wire that is exactly SCTP over UDP
 * as RFC 6951 has it (UDP header, SCTP common header with its CRC32c,
 * chunks), and tshark decodes it with "-d udp.port==PORT,sctp".
 *
 * usrsctp calls our upcall from inside conninput, handle_timers and
 * sendv; the upcall only marks the transport, and an ev_prepare watcher
 * reads the sockets before the loop next sleeps, so nothing re-enters the
 * channel core.
 *
 * Roles: the node with the lower (local-ip, port) connects; the other
 * listens and takes a new association it accepts in place of the one in
 * use only while that one carries no sealed channel.
 *
 * Multi-homing: with AF_CONN, usrsctp puts no addresses in INIT, so SCTP
 * itself has one path.  With two local-ip and two remote-ip, pair i is
 * (local-ip i, remote-ip i), and the UDP layer below SCTP picks the pair:
 * when nothing has arrived on the pair in use for IPC_PATH_SILENCE_MS
 * (the application heartbeat alone sends every 500 ms) it moves to the
 * other one, and it follows the peer when datagrams arrive on the other
 * pair while the one in use is silent.  SCTP retransmits what was lost
 * over the new pair.  A connect attempt that times out also tries the
 * other pair next.
 *
 * Lanes (ipc/lanes.c): more associations to the same peer over the same
 * UDP socket, the client's from ports usrsctp picks, each with its own
 * congestion window; the server takes an association it accepts while the
 * channel is sealed into a free lane slot, and the core decides whether
 * it proves the keys.  A lane's send buffer is smaller than the first
 * association's, so that state records go to the lanes that keep up.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <usrsctp.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"
#include "ipc/tp_common.h"

#define TICK_MS		10
/*
 * The SCTP buffers bound what is in flight: kept small so that a counters
 * message never waits behind much bulk state (the bulk waits in our own
 * queues, where counters go first).
 */
#define SOCKBUF		(256 << 10)
#define UDPBUF		(4 << 20)
#define UDP_BATCH	64
#define IPC_PATH_SILENCE_MS	1500
#define LANE_SOCKBUF	(128 << 10)

struct tp_lane {
	struct socket		*so;
	int			 up;	/* its association is up */
	int			 want_write;
	struct tp_reasm		 ra;
};

struct ipc_tp {
	struct tp_common	 c;
	struct ipc_tp		*next;		/* all usrsctp transports */

	int			 fd[2];
	ev_io			 io[2];
	int			 nfd;
	struct sockaddr_in	 remote[2];
	int			 npath;
	int			 path;		/* the pair in use */
	uint64_t		 last_rx_ms[2];
	uint64_t		 last_switch_ms;
	ev_timer		 path_timer;

	struct socket		*lsock;		/* listening (server) */
	struct socket		*sock;		/* the association */
	unsigned		 gen;		/* bumped when sock changes */
	int			 pending;
	int			 want_write;

	uint64_t		 udp_in;
	uint64_t		 udp_out;
	uint64_t		 udp_bad_crc;
	uint64_t		 udp_foreign;
	uint64_t		 udp_send_errors;
	uint64_t		 path_switches;

	struct tp_lane		 lane[CONF_IPC_LANES_MAX];
	unsigned		 lane_gen;	/* bumped when one changes */
};

/* usrsctp is one stack per process, shared by every transport. */
static struct {
	int		 refs;
	struct ev_loop	*loop;
	ev_timer	 timer;
	ev_prepare	 prepare;
	ev_idle		 again;		/* a turn ended with work left */
	uint64_t	 last_ms;
	struct ipc_tp	*all;
} us;

static void	us_process(struct ipc_tp *);

/* ---- the wire: SCTP packets in UDP datagrams -------------------------- */

static int
conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	struct ipc_tp	*tp = addr;
	int		 p = tp->path;
	int		 fd = tp->fd[p < tp->nfd ? p : 0];

	(void)tos;
	(void)set_df;
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&tp->remote[p],
	    sizeof(tp->remote[p])) == -1) {
		tp->udp_send_errors++;
		return errno;
	}
	tp->udp_out++;
	return 0;
}

static void
path_switch(struct ipc_tp *tp, int to, const char *why)
{
	char	 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (tp->npath < 2 || to == tp->path)
		return;
	tp->path = to;
	tp->path_switches++;
	tp->last_switch_ms = time_mono_ms();
	log_info(LOG_IPC, "now over path %d (%s to %s): %s", to,
	    addr_str(tp->c.a.local_ip[to], a),
	    addr_str(tp->c.a.remote_ip[to], b), why);
}

static void
path_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ipc_tp	*tp = w->data;
	uint64_t	 now = time_mono_ms();

	(void)loop;
	(void)revents;
	if (tp->c.st != TP_UP || now - tp->last_rx_ms[tp->path] <
	    IPC_PATH_SILENCE_MS || now - tp->last_switch_ms <
	    IPC_PATH_SILENCE_MS)
		return;
	path_switch(tp, 1 - tp->path, "the path in use went silent");
}

static int
from_peer(const struct ipc_tp *tp, const struct sockaddr_in *sin)
{
	if (sin->sin_port != htons(tp->c.a.encap_udp_port))
		return 0;
	for (int i = 0; i < tp->c.a.nremote_ip; i++)
		if (sin->sin_addr.s_addr == tp->c.a.remote_ip[i].s_addr)
			return 1;
	return 0;
}

static void
udp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_tp		*tp = w->data;
	static uint8_t		 pkt[65536];
	struct sockaddr_in	 sin;
	socklen_t		 slen;
	ssize_t			 n;
	uint32_t		 want, got;

	(void)loop;
	(void)revents;
	for (int i = 0; i < UDP_BATCH; i++) {
		slen = sizeof(sin);
		n = recvfrom(w->fd, pkt, sizeof(pkt), 0,
		    (struct sockaddr *)&sin, &slen);
		if (n == -1)
			break;
		tp->udp_in++;
		if (slen != sizeof(sin) || sin.sin_family != AF_INET ||
		    !from_peer(tp, &sin)) {
			tp->udp_foreign++;
			continue;
		}
		/* RFC 4960 6.8: verify the CRC32c; counted, then dropped */
		if (n < 12) {
			tp->udp_bad_crc++;
			continue;
		}
		memcpy(&want, pkt + 8, 4);
		memset(pkt + 8, 0, 4);
		got = usrsctp_crc32c(pkt, (size_t)n);
		memcpy(pkt + 8, &want, 4);
		if (got != want) {
			tp->udp_bad_crc++;
			continue;
		}
		{
			int	 idx = w == &tp->io[1];
			uint64_t now = time_mono_ms();

			tp->last_rx_ms[idx] = now;
			if (idx != tp->path && idx < tp->npath &&
			    now - tp->last_rx_ms[tp->path] > 500)
				path_switch(tp, idx, "the peer moved to it");
		}
		usrsctp_conninput(tp, pkt, (size_t)n, 0);
	}
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	uint64_t now = time_mono_ms();

	(void)loop;
	(void)w;
	(void)revents;
	usrsctp_handle_timers((uint32_t)(now - us.last_ms));
	us.last_ms = now;
}

/* Before the loop sleeps: read whatever the upcalls announced. */
static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	for (struct ipc_tp *tp = us.all; tp != NULL; tp = tp->next)
		ipc_core_turn(tp->c.ipc);
	for (int round = 0; round < 8; round++) {
		int	 any = 0;

		for (struct ipc_tp *tp = us.all; tp != NULL; tp = tp->next) {
			if (!tp->pending)
				continue;
			tp->pending = 0;
			any = 1;
			us_process(tp);
			break;	/* the list may have changed */
		}
		if (!any)
			break;
	}
	for (struct ipc_tp *tp = us.all; tp != NULL; tp = tp->next) {
		if (!ipc_core_turn_left(tp->c.ipc)) {
			/* the turn ended with work left: the next one after
			 * the loop's other events, at once (an idle watcher
			 * keeps the loop from sleeping) */
			tp->pending = 1;
			ev_idle_start(us.loop, &us.again);
		} else if (tp->pending)
			ev_feed_event(us.loop, &us.timer, EV_TIMER);
	}
}

static void
again_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	ev_idle_stop(loop, w);
}

static void
upcall(struct socket *so, void *arg, int flags)
{
	struct ipc_tp	*tp = arg;

	(void)so;
	(void)flags;
	tp->pending = 1;
}

static int
stack_ref(struct ev_loop *loop)
{
	if (us.refs++ > 0) {
		if (loop != us.loop)
			fatalx(LOG_IPC, "usrsctp: one event loop per process");
		return 0;
	}
	us.loop = loop;
	usrsctp_init_nothreads(0, conn_output, NULL);
	/* the application heartbeat watches the peer; keep SCTP's too */
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	us.last_ms = time_mono_ms();
	ev_timer_init(&us.timer, tick_cb, TICK_MS / 1000.0, TICK_MS / 1000.0);
	ev_timer_start(loop, &us.timer);
	ev_prepare_init(&us.prepare, prepare_cb);
	ev_prepare_start(loop, &us.prepare);
	ev_idle_init(&us.again, again_cb);
	return 0;
}

static void
stack_unref(void)
{
	if (--us.refs > 0)
		return;
	ev_timer_stop(us.loop, &us.timer);
	ev_prepare_stop(us.loop, &us.prepare);
	ev_idle_stop(us.loop, &us.again);
	/* usrsctp_finish() refuses while sockets linger: let timers run */
	for (int i = 0; i < 300 && usrsctp_finish() != 0; i++)
		usrsctp_handle_timers(100);
	us.loop = NULL;
}

/* ---- sockets ------------------------------------------------------------ */

static void
conn_addr(struct ipc_tp *tp, uint16_t port, struct sockaddr_conn *s)
{
	memset(s, 0, sizeof(*s));
	s->sconn_family = AF_CONN;
	s->sconn_port = htons(port);
	s->sconn_addr = tp;
}

static void
setopt(struct socket *so, int level, int name, const void *v, socklen_t l,
    const char *what)
{
	if (usrsctp_setsockopt(so, level, name, v, l) == -1)
		log_warn(LOG_IPC, "usrsctp: setting %s", what);
}

static void
set_options(struct ipc_tp *tp, struct socket *so)
{
	struct sctp_initmsg	 init;
	struct sctp_rtoinfo	 rto;
	struct sctp_assocparams	 ap;
	struct sctp_paddrparams	 pp;
	struct sctp_event	 ev;
	struct sctp_assoc_value	 av;
	struct sctp_sack_info	 si;
	static const uint16_t	 events[] = { SCTP_ASSOC_CHANGE,
	    SCTP_PEER_ADDR_CHANGE, SCTP_SHUTDOWN_EVENT,
	    SCTP_SEND_FAILED_EVENT };
	int			 one = 1, bufsz = SOCKBUF;

	usrsctp_set_non_blocking(so, 1);
	usrsctp_set_upcall(so, upcall, tp);
	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = IPC_NSTREAMS;
	init.sinit_max_instreams = IPC_NSTREAMS;
	init.sinit_max_attempts = 4;
	init.sinit_max_init_timeo = (uint16_t)(tp->c.a.rto_max_ms > 65535 ?
	    65535 : tp->c.a.rto_max_ms);
	setopt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init),
	    "SCTP_INITMSG");
	memset(&rto, 0, sizeof(rto));
	rto.srto_assoc_id = SCTP_FUTURE_ASSOC;
	rto.srto_initial = tp->c.a.rto_min_ms;
	rto.srto_min = tp->c.a.rto_min_ms;
	rto.srto_max = tp->c.a.rto_max_ms;
	setopt(so, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto),
	    "SCTP_RTOINFO");
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_assoc_id = SCTP_FUTURE_ASSOC;
	ap.sasoc_asocmaxrxt = (uint16_t)tp->c.a.assoc_retransmit;
	setopt(so, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof(ap),
	    "SCTP_ASSOCINFO");
	memset(&pp, 0, sizeof(pp));
	pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
	/* the wildcard address: the endpoint's default for every path */
	pp.spp_address.ss_family = AF_INET;
	pp.spp_pathmaxrxt = (uint16_t)tp->c.a.path_retransmit;
	pp.spp_hbinterval = 1000;
	pp.spp_flags = SPP_HB_ENABLE;
	setopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp),
	    "SCTP_PEER_ADDR_PARAMS");
	for (size_t i = 0; i < nitems(events); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.se_assoc_id = SCTP_FUTURE_ASSOC;
		ev.se_type = events[i];
		ev.se_on = 1;
		setopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev),
		    "SCTP_EVENT");
	}
	setopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one),
	    "SCTP_RECVRCVINFO");
	setopt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one),
	    "SCTP_NODELAY");
	/*
	 * A SACK for every packet, not every second one: a lane carries a
	 * few packets per round trip, too few for the three reports of a
	 * gap that fast retransmission needs when SACKs are delayed, so a
	 * loss waited for the retransmission timer (at least the
	 * configured minimum, 300 ms or more); slow start grows faster.
	 */
	memset(&si, 0, sizeof(si));
	si.sack_assoc_id = SCTP_FUTURE_ASSOC;
	si.sack_freq = 1;
	setopt(so, IPPROTO_SCTP, SCTP_DELAYED_SACK, &si, sizeof(si),
	    "SCTP_DELAYED_SACK");
	setopt(so, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz), "SO_SNDBUF");
	setopt(so, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz), "SO_RCVBUF");
	memset(&av, 0, sizeof(av));
	av.assoc_id = SCTP_FUTURE_ASSOC;
	av.assoc_value = SCTP_SS_PRIORITY;
	setopt(so, IPPROTO_SCTP, SCTP_PLUGGABLE_SS, &av, sizeof(av),
	    "SCTP_PLUGGABLE_SS");
}

/* Once the streams exist: tp_stream_prio. */
static void
set_priorities(struct socket *so)
{
	struct sctp_assoc_value	 av;
	struct sctp_stream_value sv;

	memset(&av, 0, sizeof(av));
	av.assoc_value = SCTP_SS_PRIORITY;
	setopt(so, IPPROTO_SCTP, SCTP_PLUGGABLE_SS, &av, sizeof(av),
	    "SCTP_PLUGGABLE_SS");
	for (uint16_t s = 0; s < IPC_NSTREAMS; s++) {
		memset(&sv, 0, sizeof(sv));
		sv.stream_id = s;
		sv.stream_value = tp_stream_prio[s];
		setopt(so, IPPROTO_SCTP, SCTP_SS_VALUE, &sv, sizeof(sv),
		    "SCTP_SS_VALUE");
	}
}

static void
so_close(struct socket *so, int abort)
{
	struct linger	 l = { 1, 0 };

	usrsctp_set_upcall(so, NULL, NULL);
	if (abort)
		usrsctp_setsockopt(so, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	usrsctp_close(so);
}

static void
lane_close(struct ipc_tp *tp, int i)
{
	struct tp_lane	*ln = &tp->lane[i];

	if (ln->so != NULL) {
		so_close(ln->so, 1);
		ln->so = NULL;
		tp->lane_gen++;
	}
	ln->up = 0;
	ln->want_write = 0;
	tp_reasm_clear(&ln->ra);
}

/* The ops' close: the association's socket and every lane; abort sends
 * ABORT at once. */
static void
sock_close(struct ipc_tp *tp, int abort)
{
	for (int i = 0; i < CONF_IPC_LANES_MAX; i++)
		lane_close(tp, i);
	if (tp->sock != NULL) {
		so_close(tp->sock, abort);
		tp->sock = NULL;
		tp->gen++;
	}
	tp->want_write = 0;
}

static void
sock_up(struct ipc_tp *tp)
{
	set_priorities(tp->sock);
}

/* A connect attempt timed out: the next one tries the other pair. */
static void
sock_no_answer(struct ipc_tp *tp)
{
	path_switch(tp, 1 - tp->path, "no answer to INIT");
}

static void
us_connect(struct ipc_tp *tp)
{
	struct sockaddr_conn	 l, r;
	struct socket		*so;

	tp_close(&tp->c, 1);
	tp->c.attempts++;
	so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0,
	    NULL);
	if (so == NULL) {
		log_warn(LOG_IPC, "usrsctp_socket");
		tp_schedule_retry(&tp->c);
		return;
	}
	set_options(tp, so);
	conn_addr(tp, tp->c.a.local_port, &l);
	conn_addr(tp, tp->c.a.remote_port, &r);
	if (usrsctp_bind(so, (struct sockaddr *)&l, sizeof(l)) == -1) {
		log_warn(LOG_IPC, "usrsctp: bind to port %u",
		    tp->c.a.local_port);
		usrsctp_close(so);
		tp_schedule_retry(&tp->c);
		return;
	}
	tp->sock = so;
	tp->gen++;
	tp->c.st = TP_CONNECTING;
	if (usrsctp_connect(so, (struct sockaddr *)&r, sizeof(r)) == -1 &&
	    errno != EINPROGRESS) {
		tp_assoc_lost(&tp->c, "connect failed");
		return;
	}
	tp_connect_started(&tp->c);
}

static const struct tp_sock_ops us_sock_ops = {
	.connect = us_connect,
	.close = sock_close,
	.up = sock_up,
	.no_answer = sock_no_answer,
	.sac = {
		.comm_up = SCTP_COMM_UP,
		.comm_lost = SCTP_COMM_LOST,
		.restart = SCTP_RESTART,
		.shutdown_comp = SCTP_SHUTDOWN_COMP,
		.cant_str_assoc = SCTP_CANT_STR_ASSOC,
	},
};

static void
on_notification(struct ipc_tp *tp, const union sctp_notification *n,
    size_t len)
{
	if (len < sizeof(n->sn_header))
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(n->sn_assoc_change))
			return;
		tp_on_assoc_change(&tp->c, n->sn_assoc_change.sac_state,
		    n->sn_assoc_change.sac_error);
		break;
	case SCTP_SHUTDOWN_EVENT:
		tp_on_peer_shutdown(&tp->c);
		break;
	case SCTP_SEND_FAILED_EVENT:
		tp->c.send_failed++;
		break;
	}
}

static void
lane_take(struct ipc_tp *tp, int i, struct socket *so)
{
	int	 bufsz = LANE_SOCKBUF;

	lane_close(tp, i);
	set_options(tp, so);
	setopt(so, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz),
	    "SO_SNDBUF");
	tp->lane[i].so = so;
	tp->lane_gen++;
}

/* A lane's association ended or failed: closed, the core told. */
static void
lane_lost(struct ipc_tp *tp, int i, const char *why)
{
	lane_close(tp, i);
	ipc_core_lane_down(tp->c.ipc, i, why);
}

static void
lane_notification(struct ipc_tp *tp, int i, const union sctp_notification *n,
    size_t len)
{
	if (len < sizeof(n->sn_header))
		return;
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(n->sn_assoc_change))
			return;
		if (n->sn_assoc_change.sac_state == SCTP_COMM_UP) {
			if (!tp->lane[i].up) {
				tp->lane[i].up = 1;
				set_priorities(tp->lane[i].so);
				ipc_core_lane_up(tp->c.ipc, i);
			}
		} else
			lane_lost(tp, i, "its association ended");
		break;
	case SCTP_SHUTDOWN_EVENT:
		lane_lost(tp, i, "the peer shut it down");
		break;
	case SCTP_SEND_FAILED_EVENT:
		tp->c.send_failed++;
		break;
	}
}

#define LANE_BATCH	64	/* messages read from a lane in one pass */

/* Read lane i: 0 drained, LANE_AHEAD left because it is ahead, LANE_MORE
 * left after a batch. */
enum { LANE_AHEAD = 1, LANE_MORE = 2 };

static int
lane_process(struct ipc_tp *tp, int i, uint8_t *buf, size_t cap)
{
	struct sctp_rcvinfo	 ri;
	socklen_t		 rilen;
	unsigned int		 itype;
	int			 flags;
	ssize_t			 n;
	unsigned		 gen = tp->lane_gen;
	struct tp_lane		*ln = &tp->lane[i];
	int			 ahead = 0;

	for (int k = 0; ln->so != NULL && gen == tp->lane_gen; k++) {
		if (k == LANE_BATCH) {
			ahead = LANE_MORE;
			break;
		}
		if (ln->ra.len == 0 &&
		    !ipc_core_lane_may_read(tp->c.ipc, i)) {
			ahead = LANE_AHEAD;
			break;
		}
		rilen = sizeof(ri);
		itype = 0;
		flags = 0;
		n = usrsctp_recvv(ln->so, buf, cap, NULL, NULL, &ri, &rilen,
		    &itype, &flags);
		if (n < 0) {
			if (errno == EWOULDBLOCK || errno == EAGAIN ||
			    (!ln->up && errno == ENOTCONN))
				break;
			lane_lost(tp, i, "association reset");
			return 0;
		}
		if (n == 0) {
			if (ln->up)
				lane_lost(tp, i, "the peer closed it");
			break;
		}
		if (flags & MSG_NOTIFICATION)
			lane_notification(tp, i,
			    (const union sctp_notification *)buf, (size_t)n);
		else if (itype == SCTP_RECVV_RCVINFO &&
		    ri.rcv_sid < IPC_NSTREAMS)
			tp_reasm_add(&ln->ra, tp->c.ipc, i, ri.rcv_sid, buf,
			    (size_t)n, (flags & MSG_EOR) != 0);
	}
	if (ln->so != NULL && gen == tp->lane_gen && ln->want_write &&
	    (usrsctp_get_events(ln->so) & SCTP_EVENT_WRITE)) {
		ln->want_write = 0;
		ipc_core_writable(tp->c.ipc);
	}
	return ahead;
}

static void
accept_all(struct ipc_tp *tp)
{
	struct socket	*so;

	while ((so = usrsctp_accept(tp->lsock, NULL, NULL)) != NULL) {
		int	 slot;

		/* (the UDP layer already dropped foreign sources) */
		if (tp->sock != NULL && ipc_core_sealed(tp->c.ipc) &&
		    (slot = ipc_core_lane_slot(tp->c.ipc)) >= 0) {
			lane_take(tp, slot, so);
			tp->lane[slot].up = 1;
			ipc_core_lane_up(tp->c.ipc, slot);
			continue;
		}
		if (!tp_accept_replaces(&tp->c, tp->sock != NULL)) {
			usrsctp_close(so);
			continue;
		}
		set_options(tp, so);
		tp->sock = so;
		tp->gen++;
		tp_assoc_up(&tp->c);
	}
}

static void
us_process(struct ipc_tp *tp)
{
	static uint8_t		 buf[IPC_REC_MAX];
	struct sctp_rcvinfo	 ri;
	socklen_t		 rilen;
	unsigned int		 itype;
	int			 flags;
	ssize_t			 n;
	unsigned		 gen;

	if (tp->lsock != NULL)
		accept_all(tp);
	for (int i = 0; i < 4096 && tp->sock != NULL; i++) {
		if (!ipc_core_turn_left(tp->c.ipc))
			break;
		gen = tp->gen;
		rilen = sizeof(ri);
		itype = 0;
		flags = 0;
		n = usrsctp_recvv(tp->sock, buf, sizeof(buf), NULL, NULL, &ri,
		    &rilen, &itype, &flags);
		if (n < 0) {
			if (errno == EWOULDBLOCK || errno == EAGAIN)
				break;
			if (tp->c.st == TP_CONNECTING && errno == ENOTCONN)
				break;
			tp_assoc_lost(&tp->c, "association reset");
			return;
		}
		if (n == 0) {
			if (tp->c.st != TP_CONNECTING)
				tp_assoc_lost(&tp->c, "the peer closed the "
				    "association");
			break;
		}
		if (flags & MSG_NOTIFICATION)
			on_notification(tp, (const union sctp_notification *)
			    buf, (size_t)n);
		else if (itype == SCTP_RECVV_RCVINFO)
			tp_on_data(&tp->c, ri.rcv_sid, buf, (size_t)n,
			    (flags & MSG_EOR) != 0);
		if (gen != tp->gen)
			break;
	}
	/*
	 * The lanes, a batch from each in turn (so that delivery moves with
	 * all of them), again while one had more, or was left ahead and
	 * delivery moved; what is left after that waits for the next round.
	 * First the records held for one that came in an earlier turn.
	 */
	gen = tp->gen;
	ipc_core_turn_held(tp->c.ipc);
	if (gen != tp->gen)
		return;
	for (int pass = 0, left = 1; left && tp->sock != NULL; pass++) {
		uint64_t before = ipc_core_state_seq(tp->c.ipc);

		if (pass == 64) {
			tp->pending = 1;
			break;
		}
		left = 0;
		for (int i = 0; i < CONF_IPC_LANES_MAX && tp->sock != NULL;
		    i++) {
			gen = tp->gen;
			if (tp->lane[i].so != NULL)
				left |= lane_process(tp, i, buf, sizeof(buf));
			if (gen != tp->gen)
				return;
		}
		if (!(left & LANE_MORE) &&
		    ipc_core_state_seq(tp->c.ipc) == before)
			break;
	}
	if (tp->sock != NULL && tp->want_write &&
	    (usrsctp_get_events(tp->sock) & SCTP_EVENT_WRITE)) {
		tp->want_write = 0;
		ipc_core_writable(tp->c.ipc);
	}
}

/* ---- the ops -------------------------------------------------------------- */

static int
udp_open(struct ipc_tp *tp, int i, char *err, size_t errlen)
{
	struct sockaddr_in	 sin;
	int			 fd, bufsz = UDPBUF;
	char			 a[INET_ADDRSTRLEN];

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = tp->c.a.local_ip[i];
	sin.sin_port = htons(tp->c.a.encap_udp_port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		snprintf(err, errlen, "cannot bind UDP %s:%u for the SCTP "
		    "encapsulation: %s", addr_str(tp->c.a.local_ip[i], a),
		    tp->c.a.encap_udp_port, strerror(errno));
		close(fd);
		return -1;
	}
	tp->fd[i] = fd;
	ev_io_init(&tp->io[i], udp_read_cb, fd, EV_READ);
	tp->io[i].data = tp;
	ev_io_start(tp->c.loop, &tp->io[i]);
	tp->nfd = i + 1;
	return 0;
}

static void	us_close(struct ipc_tp *);

static struct ipc_tp *
us_open(struct ipc *ipc, struct ev_loop *loop,
    const struct conf_ipc_assoc *a, char *err, size_t errlen)
{
	struct ipc_tp		*tp;
	struct sockaddr_conn	 l;

	tp = xcalloc(1, sizeof(*tp));
	tp_common_init(&tp->c, tp, &us_sock_ops, ipc, loop, a);
	tp->fd[0] = tp->fd[1] = -1;
	ev_init(&tp->path_timer, path_timer_cb);
	tp->path_timer.data = tp;
	tp->npath = a->nlocal_ip < a->nremote_ip ? a->nlocal_ip :
	    a->nremote_ip;
	for (int i = 0; i < tp->npath; i++) {
		tp->remote[i].sin_family = AF_INET;
		tp->remote[i].sin_addr = a->remote_ip[i];
		tp->remote[i].sin_port = htons(a->encap_udp_port);
	}
	if (tp->npath > 1) {
		ev_timer_set(&tp->path_timer, 0.25, 0.25);
		ev_timer_start(loop, &tp->path_timer);
	}
	stack_ref(loop);
	tp->next = us.all;
	us.all = tp;
	usrsctp_register_address(tp);
	for (int i = 0; i < a->nlocal_ip; i++)
		if (udp_open(tp, i, err, errlen) == -1) {
			us_close(tp);
			return NULL;
		}
	if (tp->c.client) {
		us_connect(tp);
		return tp;
	}
	tp->lsock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL,
	    NULL, 0, NULL);
	if (tp->lsock == NULL) {
		snprintf(err, errlen, "usrsctp_socket: %s", strerror(errno));
		us_close(tp);
		return NULL;
	}
	set_options(tp, tp->lsock);
	conn_addr(tp, a->local_port, &l);
	if (usrsctp_bind(tp->lsock, (struct sockaddr *)&l, sizeof(l)) == -1 ||
	    usrsctp_listen(tp->lsock, 1 + CONF_IPC_LANES_MAX) == -1) {
		snprintf(err, errlen, "usrsctp: listen on port %u: %s",
		    a->local_port, strerror(errno));
		us_close(tp);
		return NULL;
	}
	return tp;
}

static void
us_close(struct ipc_tp *tp)
{
	struct ipc_tp	**pp;

	if (tp == NULL)
		return;
	ev_timer_stop(tp->c.loop, &tp->path_timer);
	tp_common_cleanup(&tp->c);
	if (tp->lsock != NULL) {
		usrsctp_set_upcall(tp->lsock, NULL, NULL);
		usrsctp_close(tp->lsock);
	}
	/* let the ABORT leave before the sockets go */
	usrsctp_handle_timers(0);
	usrsctp_deregister_address(tp);
	for (int i = 0; i < tp->nfd; i++) {
		ev_io_stop(tp->c.loop, &tp->io[i]);
		close(tp->fd[i]);
	}
	for (pp = &us.all; *pp != NULL; pp = &(*pp)->next)
		if (*pp == tp) {
			*pp = tp->next;
			break;
		}
	for (int i = 0; i < CONF_IPC_LANES_MAX; i++)
		tp_reasm_free(&tp->lane[i].ra);
	free(tp);
	stack_unref();
}

/* One message on a stream of so; EAGAIN sets *want_write. */
static int
so_send(struct socket *so, int *want_write, int stream, const void *p,
    size_t len)
{
	struct sctp_sndinfo	 si;

	memset(&si, 0, sizeof(si));
	si.snd_sid = (uint16_t)stream;
	if (usrsctp_sendv(so, p, len, NULL, 0, &si, sizeof(si),
	    SCTP_SENDV_SNDINFO, 0) == -1) {
		if (errno == EWOULDBLOCK || errno == EAGAIN) {
			*want_write = 1;
			errno = EAGAIN;
		}
		return -1;
	}
	return 0;
}

static int
us_send(struct ipc_tp *tp, int stream, const void *p, size_t len)
{
	if (tp->sock == NULL || tp->c.st != TP_UP) {
		errno = ENOTCONN;
		return -1;
	}
	return so_send(tp->sock, &tp->want_write, stream, p, len);
}

static void
us_lane_open(struct ipc_tp *tp, int i)
{
	struct sockaddr_conn	 l, r;
	struct socket		*so;

	if (i < 0 || i >= CONF_IPC_LANES_MAX || tp->sock == NULL)
		return;
	so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0,
	    NULL);
	if (so == NULL) {
		ipc_core_lane_down(tp->c.ipc, i, "usrsctp_socket failed");
		return;
	}
	lane_take(tp, i, so);
	conn_addr(tp, 0, &l);	/* a port of usrsctp's choice */
	conn_addr(tp, tp->c.a.remote_port, &r);
	if (usrsctp_bind(so, (struct sockaddr *)&l, sizeof(l)) == -1 ||
	    (usrsctp_connect(so, (struct sockaddr *)&r, sizeof(r)) == -1 &&
	    errno != EINPROGRESS))
		lane_lost(tp, i, "connect failed");
}

static int
us_lane_send(struct ipc_tp *tp, int i, int stream, const void *p,
    size_t len)
{
	struct tp_lane	*ln;

	if (i < 0 || i >= CONF_IPC_LANES_MAX || tp->lane[i].so == NULL ||
	    !tp->lane[i].up) {
		errno = ENOTCONN;
		return -1;
	}
	ln = &tp->lane[i];
	return so_send(ln->so, &ln->want_write, stream, p, len);
}

static void
us_lane_close(struct ipc_tp *tp, int i)
{
	if (i >= 0 && i < CONF_IPC_LANES_MAX)
		lane_close(tp, i);
}

static void
us_restart(struct ipc_tp *tp, const char *reason)
{
	tp_restart(&tp->c, reason);
}

static void
us_status(struct ipc_tp *tp, json_object *o)
{
	struct sctp_status	 ss;
	struct tp_assoc_status	 as;
	socklen_t		 sl = sizeof(ss);
	json_object		*paths = json_object_new_array();
	char			 a[INET_ADDRSTRLEN];
	int			 have = 0;

	memset(&ss, 0, sizeof(ss));
	memset(&as, 0, sizeof(as));
	if (tp->sock != NULL && tp->c.st == TP_UP &&
	    usrsctp_getsockopt(tp->sock, IPPROTO_SCTP, SCTP_STATUS, &ss, &sl)
	    == 0) {
		have = 1;
		as.instrms = ss.sstat_instrms;
		as.outstrms = ss.sstat_outstrms;
		as.unackdata = ss.sstat_unackdata;
		as.penddata = ss.sstat_penddata;
		as.rwnd = ss.sstat_rwnd;
	}
	tp_status_assoc(&tp->c, o, tp->lsock != NULL && tp->sock == NULL,
	    &as);
	for (int i = 0; i < tp->npath; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "local", json_object_new_string(
		    addr_str(tp->c.a.local_ip[i], a)));
		json_object_object_add(p, "remote", json_object_new_string(
		    addr_str(tp->c.a.remote_ip[i], a)));
		json_object_object_add(p, "state", json_object_new_string(
		    tp->last_rx_ms[i] == 0 ? "UNCONFIRMED" :
		    time_mono_ms() - tp->last_rx_ms[i] < IPC_PATH_SILENCE_MS ?
		    "ACTIVE" : "INACTIVE"));
		json_object_object_add(p, "primary",
		    json_object_new_boolean(i == tp->path));
		if (have && i == tp->path) {
			json_object_object_add(p, "rto_ms",
			    json_object_new_int64(ss.sstat_primary.spinfo_rto));
			json_object_object_add(p, "srtt_ms",
			    json_object_new_int64(
			    ss.sstat_primary.spinfo_srtt));
			json_object_object_add(p, "cwnd", json_object_new_int64(
			    ss.sstat_primary.spinfo_cwnd));
			json_object_object_add(p, "mtu", json_object_new_int64(
			    ss.sstat_primary.spinfo_mtu));
		}
		json_object_array_add(paths, p);
	}
	json_object_object_add(o, "paths", paths);
	tp_status_counters(&tp->c, o);
	json_object_object_add(o, "path_switches",
	    json_object_new_int64((int64_t)tp->path_switches));
	json_object_object_add(o, "udp_in",
	    json_object_new_int64((int64_t)tp->udp_in));
	json_object_object_add(o, "udp_out",
	    json_object_new_int64((int64_t)tp->udp_out));
	json_object_object_add(o, "udp_bad_checksum",
	    json_object_new_int64((int64_t)tp->udp_bad_crc));
	json_object_object_add(o, "udp_foreign_source",
	    json_object_new_int64((int64_t)tp->udp_foreign));
	json_object_object_add(o, "udp_send_errors",
	    json_object_new_int64((int64_t)tp->udp_send_errors));
}

const struct ipc_tp_ops ipc_tp_usrsctp = {
	.name = "usrsctp-udp",
	.open = us_open,
	.close = us_close,
	.send = us_send,
	.restart = us_restart,
	.status = us_status,
	.lane_open = us_lane_open,
	.lane_send = us_lane_send,
	.lane_close = us_lane_close,
};
