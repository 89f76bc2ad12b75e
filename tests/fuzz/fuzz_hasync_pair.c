/*
 * libFuzzer: two replication cores (hasync/) over their IKE engines and
 * record-only data planes, joined by a simulated sync channel, driven by
 * a schedule the input spells out: each node's view of the election
 * (both Master is a split brain), the channel up and down, delivery,
 * loss, duplication and delay of what each node sent, per stream and
 * direction, the clock, SAs negotiated, rekeyed, updated and deleted on
 * a node whose IKE is active (as ike/ tells its listeners), traffic
 * through every node that sends, planned switchovers, node restarts.
 *
 * The invariants, checked after every step (docs/hasync.md, "Tests"):
 *
 *  I1 no ESP (SPI, sequence number) is ever sent twice, by either node,
 *     in any of its lives ("One node per sequence number");
 *  I2 at most one node's data plane sends unless both are the
 *     election's Master (a split brain, also one that began before a
 *     switchover now handing over, or a new active elected by its own
 *     timer before the Final reached it); a node that is not the
 *     election's Master is not ACTIVE;
 *  I3 once the channel has been up and quiet long enough with one
 *     Master and the other node Backup, the standby is STANDBY HOT and
 *     holds exactly the active's SAs (every field but the seconds left
 *     and the local reqid);
 *  I4 at that point the active sends on no pair below the numbers the
 *     other node sent on it (the peer's replay window has passed them:
 *     after a split brain "the node the election keeps active rekeys
 *     every pair both knew") unless that pair is being rekeyed or was
 *     replaced;
 *  I5 nothing leaks or is used after free (ASan, LeakSanitizer): each
 *     input builds both nodes and frees everything.
 *
 * The channel is what ipc/ promises: each stream is ordered, a record is
 * lost only with everything after it on its stream and direction (the
 * stream stalls until the channel goes down), streams overtake each
 * other; records can wait any time; a duplicate is what a retransmission
 * bug would deliver.  The election is played by the harness (no vrrp/):
 * a handover elects the other node 600 ms later unless it took over.
 *
 * Input: a sequence of operations, each an opcode byte and two argument
 * bytes.  Violations abort() with the invariant's name on stderr.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "hasync/ha_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char conf_fmt[] =
    "hostname %s\n"
    "ipc zone default\n"
    " association 1\n"
    "  no shutdown\n"
    "  protocol sctp\n"
    "   local-port 5000\n"
    "    local-ip %s\n"
    "   remote-port 5000\n"
    "    remote-ip %s\n"
    "   encapsulation udp 9899\n"
    "redundancy inter-device\n"
    " scheme standby VPN-OUT\n"
    " security key 0123456789abcdef\n"
    "crypto isakmp policy 10\n"
    " encr aes 256\n"
    " hash sha256\n"
    " authentication pre-share\n"
    " group 14\n"
    "crypto isakmp key cisco123 address 10.0.0.20\n"
    "crypto ipsec transform-set TS esp-gcm 256\n"
    "crypto map vpn 10 ipsec-isakmp\n"
    " set peer 10.0.0.20\n"
    " set transform-set TS\n"
    " match address 110\n"
    "interface eth0\n"
    " ip address %s 255.255.255.0\n"
    " standby 1 ip 10.0.0.10\n"
    " standby 1 priority %s\n"
    " standby 1 name VPN-OUT\n"
    " crypto map vpn redundancy VPN-OUT stateful\n"
    "access-list 110 permit ip 192.168.20.0 0.0.0.255 172.21.91.0 "
    "0.0.0.255\n";

#define INV(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_hasync_pair: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

#define QMAX		128	/* records per stream and direction */
#define ELECT_SKEW_MS	600	/* a handover's peer becomes Master */
#define SILENT_DOWN_MS	2000	/* the other end declares the channel down */
#define SETTLE_MS	8000	/* "up and quiet long enough" */
#define STEP_MS		10

enum view { VIEW_INIT, VIEW_BACKUP, VIEW_MASTER };

/* A record, or with p NULL a heartbeat carrying the RF state len. */
struct rec {
	uint8_t		*p;
	size_t		 len;
};

struct fifo {
	struct rec	 r[QMAX];
	int		 head;
	int		 n;
};

struct world;

struct node {
	struct world	*w;
	int		 i;
	int		 alive;
	enum view	 view;
	struct esp_backend *be;
	struct ike	*ike;
	struct hasync	*ha;
	uint32_t	 timers;	/* armed, bit per enum ha_timer */
	uint64_t	 at_us[HA_NTIMERS];
	int		 chan;		/* this end declared the channel up */
	uint64_t	 down_at_us;	/* declares it down then; 0: no */
	uint64_t	 incarnation;
	uint8_t		 hb_rf;		/* the RF state its heartbeats carry */
};

/* The numbers sent on one SPI, contiguous runs of one node merged. */
struct run {
	uint64_t	 lo, hi;
	int		 node;
};

struct spi_log {
	uint32_t	 spi;
	struct run	*r;
	int		 n, cap;
	uint64_t	 max[2];	/* the highest each node sent */
};

struct world {
	uint64_t	 now_us;
	struct node	 n[2];
	struct fifo	 q[2][IPC_NSTREAMS];	/* [to][stream] */
	int		 stalled[2][IPC_NSTREAMS];
	int		 assoc;		/* the association carries records */
	int		 elect;		/* handover: node elected next, -1 */
	uint64_t	 elect_at_us;
	uint32_t	 next_spi;	/* the remote peer's, and ours */
	uint32_t	 next_tunnel;
	struct spi_log	*log;
	int		 nlog, caplog;
	int		 settled;	/* I3 checked at least once */
	/*
	 * both were the election's Master since a switchover now under way
	 * began: its old active's stragglers meet a node elected on its own
	 */
	int		 overlap;
};

static struct config *cf[2];
static struct world W;
static int	 trace;

/* ---- the clock and the timers (struct hasync_io) ------------------------ */

static uint64_t
io_now_us(void *arg)
{
	return ((struct node *)arg)->w->now_us;
}

static uint64_t
io_wall_ms(void *arg)
{
	return 1700000000000ULL + ((struct node *)arg)->w->now_us / 1000;
}

static void
io_timer_set(void *arg, enum ha_timer id, uint64_t delay_ms)
{
	struct node	*n = arg;

	n->timers |= 1U << id;
	n->at_us[id] = n->w->now_us + delay_ms * 1000;
}

static void
io_timer_stop(void *arg, enum ha_timer id)
{
	((struct node *)arg)->timers &= ~(1U << id);
}

static uint64_t
io_ike_now(void *arg)
{
	return ((struct node *)arg)->w->now_us / 1000;
}

static int
ike_drop(void *arg, const struct sockaddr_in *l, const struct sockaddr_in *r,
    const uint8_t *p, size_t len)
{
	(void)arg;
	(void)l;
	(void)r;
	(void)p;
	(void)len;
	return 0;		/* the remote peer answers nothing */
}

/* ---- the election -------------------------------------------------------- */

static enum vrrp_role
vrrp_of(enum view v)
{
	return v == VIEW_MASTER ? VRRP_ROLE_ACTIVE : v == VIEW_BACKUP ?
	    VRRP_ROLE_STANDBY : VRRP_ROLE_INIT;
}

static int
handing_over(const struct node *n)
{
	return n->alive && (n->ha->sw.state == HA_SW_HANDED_OVER ||
	    n->ha->sw.state == HA_SW_DRAINING);
}

static void
elect(struct node *n, const char *why)
{
	enum view	 old = n->view;

	if (!n->alive || old == VIEW_MASTER)
		return;
	n->view = VIEW_MASTER;
	if (n->w->elect == n->i)
		n->w->elect = -1;
	ha_vrrp_role(n->ha, vrrp_of(old), VRRP_ROLE_ACTIVE, why);
	/*
	 * elected on its own (its timer, not the Final) while the other
	 * node still hands over, and not waiting for a Final (it accepted
	 * the switchover more than SW_EXPECT_MS ago): both send, in parts
	 * of the sequence space of their own (I1), until the old active
	 * hears it.  A node that waits for the Final holds its outbound
	 * (docs/hasync.md, "A late Final"), and I2 holds.
	 */
	if (handing_over(&n->w->n[1 - n->i]) &&
	    !ha_switchover_taking_over(n->ha))
		n->w->overlap = 1;
}

/*
 * Backup: as ha_vrrp_backup, with the harness knowing whether an Active
 * router is heard (ha_nego_due asks vrrp/, which the harness does not
 * have).
 */
static void
backup(struct node *n, const char *why)
{
	struct node	*o = &n->w->n[1 - n->i];
	enum view	 old = n->view;
	struct hasync	*ha = n->ha;

	if (!n->alive)
		return;
	n->view = VIEW_BACKUP;
	if (ha->role == RF_ROLE_ACTIVE || ha->sw.state != HA_SW_IDLE)
		ha_vrrp_role(ha, vrrp_of(old), VRRP_ROLE_STANDBY, why);
	else if (o->alive && o->view == VIEW_MASTER &&
	    ha->role != RF_ROLE_STANDBY)
		ha_become_standby(ha, "election: an Active router is heard");
}

static void
link_down(struct node *n)
{
	enum view	 old = n->view;

	if (!n->alive)
		return;
	n->view = VIEW_INIT;
	if (n->w->elect == n->i)
		n->w->elect = -1;
	ha_vrrp_role(n->ha, vrrp_of(old), VRRP_ROLE_INIT,
	    "interface eth0 down");
}

static int
io_handover(void *arg)
{
	struct node	*n = arg;

	if (n->view != VIEW_MASTER)
		return -1;
	n->view = VIEW_BACKUP;
	n->w->elect = 1 - n->i;
	n->w->elect_at_us = n->w->now_us + ELECT_SKEW_MS * 1000;
	ha_vrrp_role(n->ha, VRRP_ROLE_ACTIVE, VRRP_ROLE_STANDBY, "handover");
	return 0;
}

static int
io_takeover(void *arg)
{
	struct node	*n = arg;

	if (n->view == VIEW_MASTER)
		return -1;
	n->view = VIEW_MASTER;
	n->w->elect = -1;
	ha_vrrp_role(n->ha, VRRP_ROLE_STANDBY, VRRP_ROLE_ACTIVE, "takeover");
	return 0;
}

static void
io_release(void *arg)
{
	(void)arg;
}

/* The other node advertises as the election's Master (alive, elected). */
static int
io_peer_active(void *arg)
{
	struct node	*n = arg, *o = &n->w->n[1 - n->i];

	return o->alive && o->view == VIEW_MASTER && n->view != VIEW_MASTER;
}

/* ---- the channel --------------------------------------------------------- */

static void
fifo_clear(struct fifo *f)
{
	while (f->n > 0) {
		if (f->r[f->head].p != NULL)
			free_secret(f->r[f->head].p, f->r[f->head].len);
		f->head = (f->head + 1) % QMAX;
		f->n--;
	}
	f->head = 0;
}

static void
assoc_break(struct world *w)
{
	w->assoc = 0;
	for (int t = 0; t < 2; t++)
		for (int s = 0; s < IPC_NSTREAMS; s++)
			fifo_clear(&w->q[t][s]);
}

static int
xmit(void *arg, enum ipc_stream s, const uint8_t *p, size_t len)
{
	struct node	*n = arg;
	struct world	*w = n->w;
	int		 to = 1 - n->i;
	struct fifo	*f = &w->q[to][s];
	struct rec	*r;

	/* gone into a broken association or a stalled stream */
	if (!w->assoc || w->stalled[to][s])
		return 0;
	if (f->n == QMAX) {
		errno = ENOBUFS;
		return -1;
	}
	r = &f->r[(f->head + f->n) % QMAX];
	r->p = xmalloc(len);
	memcpy(r->p, p, len);
	r->len = len;
	f->n++;
	return 0;
}

static void
writable(struct world *w)
{
	for (int i = 0; i < 2; i++)
		if (w->n[i].alive && w->n[i].chan)
			ha_chan_handlers.writable(w->n[i].ha,
			    IPC_STREAM_STATE);
}

/* The head of q[to][s]: lost (the stream stalls), delivered k times. */
static int
deliver(struct world *w, int to, enum ipc_stream s, int k)
{
	struct fifo	*f = &w->q[to][s];
	struct rec	 r;

	if (f->n == 0)
		return 0;
	r = f->r[f->head];
	f->head = (f->head + 1) % QMAX;
	f->n--;
	if (k == 0) {
		w->stalled[to][s] = 1;
		fifo_clear(f);
		/* no heartbeat gets through: both ends declare it down */
		for (int i = 0; s == IPC_STREAM_CONTROL && i < 2; i++)
			if (w->n[i].chan && w->n[i].down_at_us == 0)
				w->n[i].down_at_us = w->now_us +
				    SILENT_DOWN_MS * 1000;
	}
	for (; k > 0 && w->n[to].alive && w->n[to].chan; k--)
		if (r.p == NULL)
			ha_chan_handlers.peer_role(w->n[to].ha,
			    (uint8_t)r.len);
		else
			ha_receive(w->n[to].ha, s, r.p, r.len);
	if (r.p != NULL)
		free_secret(r.p, r.len);
	return 1;
}

static int
deliver_all(struct world *w)
{
	int	 moved = 0, any;

	do {
		any = 0;
		for (int to = 0; to < 2; to++)
			for (int s = 0; s < IPC_NSTREAMS; s++)
				any |= deliver(w, to, (enum ipc_stream)s, 1);
		writable(w);
		moved |= any;
	} while (any);
	return moved;
}

/*
 * Node i's heartbeat, on the control stream behind its records (ipc/):
 * at once when its RF state changes (ipc_set_role), every 500 ms.
 */
static void
heartbeat(struct world *w, int i)
{
	struct node	*n = &w->n[i];
	struct fifo	*f = &w->q[1 - i][IPC_STREAM_CONTROL];

	if (!w->assoc || !n->alive || !n->chan ||
	    w->stalled[1 - i][IPC_STREAM_CONTROL] || f->n == QMAX)
		return;
	n->hb_rf = (uint8_t)n->ha->rf.state;
	f->r[(f->head + f->n) % QMAX].p = NULL;
	f->r[(f->head + f->n) % QMAX].len = n->hb_rf;
	f->n++;
}

static void
chan_up(struct world *w)
{
	struct ipc_peer	 p[2];

	if (w->assoc || !w->n[0].alive || !w->n[1].alive || w->n[0].chan ||
	    w->n[1].chan)
		return;
	w->assoc = 1;
	memset(w->stalled, 0, sizeof(w->stalled));
	for (int i = 0; i < 2; i++) {
		p[i].node_id = w->n[i].ha->hostname;
		p[i].incarnation = w->n[i].incarnation;
		p[i].role = (uint8_t)w->n[i].ha->rf.state;
	}
	for (int i = 0; i < 2; i++) {
		w->n[i].chan = 1;
		w->n[i].down_at_us = 0;
		w->n[i].hb_rf = p[i].role;
		ha_chan_handlers.up(w->n[i].ha, &p[1 - i]);
	}
}

static void
chan_down_at(struct node *n, const char *why)
{
	if (!n->alive || !n->chan)
		return;
	n->chan = 0;
	n->down_at_us = 0;
	ha_chan_handlers.down(n->ha, why);
}

/* The association breaks: node i notices now, the other now or later. */
static void
chan_down(struct world *w, int i, int both)
{
	struct node	*o = &w->n[1 - i];

	assoc_break(w);
	chan_down_at(&w->n[i], "fuzz: association lost");
	if (both)
		chan_down_at(o, "fuzz: association lost");
	else if (o->chan && o->down_at_us == 0)
		o->down_at_us = w->now_us + SILENT_DOWN_MS * 1000;
}

/* ---- nodes --------------------------------------------------------------- */

static void
node_start(struct world *w, int i)
{
	struct node	*n = &w->n[i];
	struct hasync_io hio = { n, io_now_us, io_wall_ms, io_timer_set,
	    io_timer_stop, io_handover, io_takeover, io_release,
	    io_peer_active };
	struct ike_io	 iio;

	memset(&iio, 0, sizeof(iio));
	iio.arg = n;
	iio.now_ms = io_ike_now;
	iio.send = ike_drop;
	n->be = esp_fake_new();
	if ((n->ike = ike_new(n->be, &iio)) == NULL ||
	    ike_configure(n->ike, cf[i]) == -1)
		abort();
	/* as havpnd starts it (daemon/mod_hasync.c) */
	ike_set_active(n->ike, 0);
	(void)n->be->ops->set_outbound(n->be, ESP_OUTBOUND_DROP);
	n->timers = 0;
	n->ha = ha_create(&hio, cf[i], n->ike, n->be);
	n->ha->xmit = xmit;
	n->ha->xmit_arg = n;
	n->ha->started = 1;
	n->alive = 1;
	n->view = VIEW_INIT;
	n->chan = 0;
	n->down_at_us = 0;
	n->incarnation++;
	ha_rf_update(n->ha, "started");
}

static void
node_stop(struct world *w, int i)
{
	struct node	*n = &w->n[i];

	if (!n->alive)
		return;
	hasync_free(n->ha);
	ike_free(n->ike);
	n->be->ops->destroy(n->be);
	n->ha = NULL;
	n->ike = NULL;
	n->be = NULL;
	n->alive = 0;
	n->chan = 0;
	n->down_at_us = 0;
	n->view = VIEW_INIT;
	n->timers = 0;
	if (w->elect == i)
		w->elect = -1;
}

/* kill -9: the peer sees the association go, now (ABORT) or when silent. */
static void
node_crash(struct world *w, int i, int abort_now)
{
	if (!w->n[i].alive)
		return;
	if (w->assoc || w->n[1 - i].chan)
		chan_down(w, i, abort_now);
	node_stop(w, i);
}

/* ---- time ---------------------------------------------------------------- */

static void
run_ike(struct world *w)
{
	for (int i = 0; i < 2; i++)
		if (w->n[i].alive &&
		    ike_next_deadline(w->n[i].ike) <= w->now_us / 1000)
			ike_run_timers(w->n[i].ike);
}

/* The earliest hasync timer due by end: 0 with node and id, or -1. */
static int
next_timer(struct world *w, uint64_t end, int *node, int *id)
{
	int	 found = 0;

	for (int i = 0; i < 2; i++)
		for (int k = 0; k < HA_NTIMERS; k++)
			if (w->n[i].alive && (w->n[i].timers & (1U << k)) &&
			    w->n[i].at_us[k] <= end && (!found ||
			    w->n[i].at_us[k] < w->n[*node].at_us[*id])) {
				found = 1;
				*node = i;
				*id = k;
			}
	return found ? 0 : -1;
}

static void
check(struct world *w);

/* The clock by ms, every timer and pending event on the way, in order. */
static void
advance(struct world *w, uint64_t ms)
{
	uint64_t	 end = w->now_us + ms * 1000;
	int		 i, id;

	for (;;) {
		uint64_t step = w->now_us + STEP_MS * 1000;

		if (w->now_us / 500000 != step / 500000) {
			heartbeat(w, 0);
			heartbeat(w, 1);
		}

		if (step > end)
			step = end;
		while (next_timer(w, step, &i, &id) == 0) {
			struct node *n = &w->n[i];

			if (n->at_us[id] > w->now_us)
				w->now_us = n->at_us[id];
			n->timers &= ~(1U << id);
			hasync_timer_fire(n->ha, (enum ha_timer)id);
			check(w);
		}
		w->now_us = step;
		run_ike(w);
		for (i = 0; i < 2; i++)
			if (w->n[i].down_at_us != 0 &&
			    w->n[i].down_at_us <= w->now_us)
				chan_down_at(&w->n[i],
				    "fuzz: no heartbeat for 2 s");
		if (w->elect != -1 && w->elect_at_us <= w->now_us) {
			i = w->elect;
			w->elect = -1;
			if (w->n[i].view == VIEW_BACKUP)
				elect(&w->n[i], "Master_Down_Timer expired");
		}
		check(w);
		if (w->now_us >= end)
			break;
	}
}

/* ---- SAs as ike/ tells its listeners --------------------------------------- */

static void
fill(uint8_t *p, size_t n, uint32_t k)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(k * 131 + i * 7 + 1);
}

static struct ike_sa *
isakmp_add(struct node *n)
{
	struct world	*w = n->w;
	struct ike_isakmp_state is;
	uint32_t	 k = ++w->next_tunnel;
	struct ike_sa	*sa;

	memset(&is, 0, sizeof(is));
	is.version = IKE_STATE_VERSION;
	is.conn_id = n->ike->next_conn_id;
	fill(is.icookie, 8, k);
	fill(is.rcookie, 8, k ^ 0x5a5a);
	is.icookie[0] = (uint8_t)n->i;
	is.initiator = 1;
	is.exchange = 2;
	is.local.s_addr = htonl(0x0a00000a);		/* the VIP */
	is.remote.s_addr = htonl(0x0a000014);		/* 10.0.0.20 */
	is.local_port = is.remote_port = 500;
	is.peer_id = is.remote;
	is.enc = ALG_ENC_AES;
	is.keybits = 256;
	is.hash = ALG_HASH_SHA256;
	is.group = 14;
	is.prf_len = 32;
	fill(is.skeyid_d, 32, k + 1);
	fill(is.skeyid_a, 32, k + 2);
	fill(is.skeyid_e, 32, k + 3);
	is.enc_key_len = 32;
	fill(is.enc_key, 32, k + 4);
	is.iv_len = 16;
	fill(is.iv, 16, k + 5);
	is.lifetime = is.remaining = 86400;
	snprintf(is.map, sizeof(is.map), "vpn");
	is.map_seq = 10;
	if (ike_import_isakmp(n->ike, &is) == -1)
		abort();
	OPENSSL_cleanse(&is, sizeof(is));
	sa = ike_sa_by_conn_id(n->ike, n->ike->next_conn_id - 1);
	if (sa == NULL)
		abort();
	ike_emit_isakmp(n->ike, sa, 1);
	return sa;
}

/* A new pair for tunnel t (its selector), replacing old if not NULL. */
static void
ipsec_add(struct node *n, uint32_t t, struct ike_child *old)
{
	struct world	*w = n->w;
	struct ike_ipsec_state ps;
	struct ike_child *c;
	struct ike_sa	*sa;
	uint32_t	 old_in = old != NULL ? old->conn_in : 0;

	if ((sa = ike_sa_find_peer(n->ike, (struct in_addr){
	    htonl(0x0a00000a) }, (struct in_addr){ htonl(0x0a000014) })) ==
	    NULL)
		sa = isakmp_add(n);
	memset(&ps, 0, sizeof(ps));
	ps.version = IKE_STATE_VERSION;
	ps.conn_in = n->ike->next_ipsec_conn;
	ps.conn_out = ps.conn_in + 1;
	ps.spi_in = ++w->next_spi;
	ps.spi_out = ++w->next_spi;
	ps.isakmp_conn_id = sa->conn_id;
	ps.initiator = 1;
	ps.local.s_addr = htonl(0x0a00000a);
	ps.remote.s_addr = htonl(0x0a000014);
	ps.local_port = ps.remote_port = 4500;
	ps.tunnel = 1;
	ps.enc = ALG_ESP_GCM;
	ps.enc_keybits = 256;
	ps.auth = ALG_ESP_AUTH_NONE;
	ps.enc_key_len = 36;
	fill(ps.enc_key_in, 36, ps.spi_in);
	fill(ps.enc_key_out, 36, ps.spi_out);
	ps.sel.src.s_addr = htonl(0xc0a81400 + t % 250 + 1);
	ps.sel.src_mask.s_addr = 0xffffffff;
	ps.sel.dst.s_addr = htonl(0xac155b00 + t % 250 + 1);
	ps.sel.dst_mask.s_addr = 0xffffffff;
	ps.life_secs = ps.remaining = 3600;
	ps.life_kbytes = 4608000;
	ps.replay_window = 64;
	snprintf(ps.map, sizeof(ps.map), "vpn");
	ps.map_seq = 10;
	snprintf(ps.ifname, sizeof(ps.ifname), "eth0");
	if (ike_import_ipsec(n->ike, &ps, 1) == -1)
		abort();
	c = ike_child_by_conn(n->ike, ps.conn_in);
	OPENSSL_cleanse(&ps, sizeof(ps));
	/* as ike_child_established: the pair it replaces goes in 5 s */
	if (old_in != 0)
		(void)ike_ipsec_replaced(n->ike, old_in);
	ike_emit_ipsec(n->ike, c, old_in != 0, old_in);
}

/* The k-th pair of the engine (newest first), a live one if live. */
static struct ike_child *
child_at(struct ike *ike, int k, int live)
{
	struct ike_child *c, *first = NULL;
	int		 n = 0;

	for (c = ike->children; c != NULL; c = c->next) {
		if (live && c->rekeyed)
			continue;
		if (first == NULL)
			first = c;
		if (n++ == k)
			return c;
	}
	return first;
}

static uint32_t
tunnel_of(const struct ike_child *c)
{
	return (ntohl(c->sel.src.s_addr) & 0xff) - 1;
}

static void
sa_event(struct node *n, uint8_t what, uint8_t k)
{
	struct ike_child *c;
	struct ike_sa	*sa;

	if (!n->alive || !ike_is_active(n->ike))
		return;		/* a passive IKE negotiates nothing */
	switch (what % 6) {
	case 0:			/* a new tunnel */
		ipsec_add(n, n->w->next_tunnel++, NULL);
		break;
	case 1:			/* Quick Mode rekey */
		if ((c = child_at(n->ike, k, 1)) != NULL)
			ipsec_add(n, tunnel_of(c), c);
		break;
	case 2:			/* an update of a pair (NAT-T ports...) */
		if ((c = child_at(n->ike, k, 0)) != NULL)
			ike_emit_ipsec(n->ike, c, 0, 0);
		break;
	case 3:			/* DPD on an ISAKMP SA */
		for (sa = n->ike->sas; sa != NULL; sa = sa->next)
			if (sa->established && k-- == 0)
				break;
		if (sa != NULL) {
			sa->dpd_seq_out++;
			sa->dpd_seq_in++;
			ike_emit_isakmp(n->ike, sa, 0);
		}
		break;
	case 4:			/* a Delete of a pair */
		if ((c = child_at(n->ike, k, 0)) != NULL)
			ike_child_delete(c, 0, "fuzz: deleted");
		break;
	case 5:			/* a Delete of an ISAKMP SA */
		for (sa = n->ike->sas; sa != NULL; sa = sa->next)
			if (sa->established && k-- == 0)
				break;
		if (sa != NULL)
			ike_sa_destroy(sa, "fuzz: deleted");
		break;
	}
}

/* ---- traffic and I1 ------------------------------------------------------ */

static struct spi_log *
spi_log(struct world *w, uint32_t spi)
{
	struct spi_log	*l;

	for (int i = 0; i < w->nlog; i++)
		if (w->log[i].spi == spi)
			return &w->log[i];
	if (w->nlog == w->caplog) {
		w->caplog = w->caplog == 0 ? 16 : 2 * w->caplog;
		w->log = xreallocarray(w->log, (size_t)w->caplog,
		    sizeof(*w->log));
	}
	l = &w->log[w->nlog++];
	memset(l, 0, sizeof(*l));
	l->spi = spi;
	return l;
}

/* I1: node i sent lo..hi on spi; nobody ever sent one of them. */
static void
sent(struct world *w, int i, uint32_t spi, uint64_t lo, uint64_t hi)
{
	struct spi_log	*l = spi_log(w, spi);
	struct run	*last = NULL;

	for (int k = 0; k < l->n; k++) {
		INV(hi < l->r[k].lo || lo > l->r[k].hi, "I1: SPI 0x%08x "
		    "sequence numbers %llu-%llu sent by node %d, %llu-%llu "
		    "by node %d before", spi, (unsigned long long)lo,
		    (unsigned long long)hi, i,
		    (unsigned long long)l->r[k].lo,
		    (unsigned long long)l->r[k].hi, l->r[k].node);
		if (l->r[k].node == i && l->r[k].hi + 1 == lo)
			last = &l->r[k];
	}
	if (hi > l->max[i])
		l->max[i] = hi;
	if (last != NULL) {
		last->hi = hi;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 8 : 2 * l->cap;
		l->r = xreallocarray(l->r, (size_t)l->cap, sizeof(*l->r));
	}
	l->r[l->n].lo = lo;
	l->r[l->n].hi = hi;
	l->r[l->n++].node = i;
}

static int
sends(const struct node *n)
{
	return n->alive && esp_fake_outbound(n->be) == ESP_OUTBOUND_SEND;
}

/*
 * k packets on every outbound SA of every node that sends (more than the
 * data plane does: it sends on the newest SA of a flow; every SA it may
 * send on is covered), numbered by the data plane, with its counter
 * update every replay-interval (1000) packets.
 */
static void
traffic(struct world *w, uint64_t k)
{
	for (int i = 0; i < 2; i++) {
		struct node *n = &w->n[i];

		if (!sends(n))
			continue;
		for (struct ike_child *c = n->ike->children; c != NULL;
		    c = c->next) {
			const struct esp_sa *sa = esp_fake_sa(n->be,
			    c->conn_out);
			uint64_t first, m;

			if (sa == NULL || sa->dir != ESP_OUT)
				continue;
			m = esp_fake_send(n->be, c->conn_out, k, &first);
			if (m == 0)
				continue;
			sent(w, i, sa->spi, first, first + m - 1);
			if ((first - 1) / 1000 != (first - 1 + m) / 1000)
				esp_fake_counter_update(n->be, c->conn_out);
		}
	}
}

/* ---- the invariants ------------------------------------------------------- */

/* I2, after every step. */
static void
check(struct world *w)
{
	int	 both = w->n[0].alive && w->n[1].alive &&
		    w->n[0].view == VIEW_MASTER && w->n[1].view == VIEW_MASTER;

	if (both)
		w->overlap = 1;
	else if (!handing_over(&w->n[0]) && !handing_over(&w->n[1]))
		w->overlap = 0;
	INV(both || w->overlap || !sends(&w->n[0]) || !sends(&w->n[1]), "I2: both nodes "
	    "send, node 0 %s, node 1 %s", w->n[0].view == VIEW_MASTER ?
	    "Master" : "not Master", w->n[1].view == VIEW_MASTER ?
	    "Master" : "not Master");
	for (int i = 0; i < 2; i++)
		if (w->n[i].alive && w->n[i].ha->rf.state != w->n[i].hb_rf)
			heartbeat(w, i);
	for (int i = 0; i < 2; i++)
		INV(!w->n[i].alive || w->n[i].ha->role != RF_ROLE_ACTIVE ||
		    w->n[i].view == VIEW_MASTER, "I2: node %d ACTIVE but not "
		    "the election's Master", i);
}

struct all {
	struct ike_isakmp_state *is;
	size_t		 nis;
	struct ike_ipsec_state *ps;
	size_t		 nps;
};

static void
all_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	struct all	*a = arg;

	a->is = xreallocarray(a->is, a->nis + 1, sizeof(*a->is));
	a->is[a->nis] = *s;
	/*
	 * the message IDs of exchanges this node started (a Delete, a
	 * rekey's Quick Mode) are not synced: docs/hasync.md promises those
	 * the active took, and the harness's peer sends none
	 */
	memset(a->is[a->nis].msgids, 0, sizeof(s->msgids));
	a->is[a->nis++].remaining = 0;
}

static void
all_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct all	*a = arg;

	a->ps = xreallocarray(a->ps, a->nps + 1, sizeof(*a->ps));
	a->ps[a->nps] = *s;
	a->ps[a->nps].remaining = 0;
	a->ps[a->nps++].reqid = 0;	/* the local policy's */
}

static int
cmp_isakmp(const void *a, const void *b)
{
	const struct ike_isakmp_state *x = a, *y = b;

	return x->conn_id < y->conn_id ? -1 : x->conn_id > y->conn_id;
}

static int
cmp_ipsec(const void *a, const void *b)
{
	const struct ike_ipsec_state *x = a, *y = b;

	return x->conn_in < y->conn_in ? -1 : x->conn_in > y->conn_in;
}

static void
all_free(struct all *a)
{
	free_secret(a->is, a->nis * sizeof(*a->is));
	free_secret(a->ps, a->nps * sizeof(*a->ps));
}

/* I3: the standby holds exactly the active's SAs. */
static void
check_same(struct ike *ia, struct ike *ib)
{
	struct all	 a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	(void)ike_export_isakmp(ia, all_isakmp, &a);
	(void)ike_export_ipsec(ia, all_ipsec, &a);
	(void)ike_export_isakmp(ib, all_isakmp, &b);
	(void)ike_export_ipsec(ib, all_ipsec, &b);
	INV(a.nis == b.nis, "I3: %zu ISAKMP SAs on the active, %zu on the "
	    "HOT standby", a.nis, b.nis);
	INV(a.nps == b.nps, "I3: %zu IPsec pairs on the active, %zu on the "
	    "HOT standby", a.nps, b.nps);
	if (a.nis > 0) {
		qsort(a.is, a.nis, sizeof(*a.is), cmp_isakmp);
		qsort(b.is, b.nis, sizeof(*b.is), cmp_isakmp);
	}
	if (a.nps > 0) {
		qsort(a.ps, a.nps, sizeof(*a.ps), cmp_ipsec);
		qsort(b.ps, b.nps, sizeof(*b.ps), cmp_ipsec);
	}
	for (size_t i = 0; i < a.nis; i++)
		INV(memcmp(&a.is[i], &b.is[i], sizeof(a.is[i])) == 0, "I3: "
		    "ISAKMP SA conn-id %u differs on the HOT standby",
		    a.is[i].conn_id);
	for (size_t i = 0; i < a.nps; i++)
		INV(memcmp(&a.ps[i], &b.ps[i], sizeof(a.ps[i])) == 0, "I3: "
		    "IPsec pair conn-id %u (SPI out 0x%08x) differs on the HOT "
		    "standby (rekeyed %d there, %d on the active)",
		    a.ps[i].conn_in, a.ps[i].spi_out, b.ps[i].rekeyed,
		    a.ps[i].rekeyed);
	all_free(&a);
	all_free(&b);
}

/* I4: the active sends on no pair below the other node's numbers. */
static void
check_not_behind(struct world *w, int a)
{
	struct node	*n = &w->n[a];

	for (struct ike_child *c = n->ike->children; c != NULL; c = c->next) {
		const struct esp_sa *sa = esp_fake_sa(n->be, c->conn_out);
		struct esp_replay_state r;
		struct spi_log	*l;

		if (sa == NULL || c->rekeyed || c->rekeying ||
		    n->be->ops->get_replay(n->be, c->conn_out, &r) == -1)
			continue;
		l = spi_log(w, sa->spi);
		INV(r.seq_out >= l->max[1 - a], "I4: the active (node %d) "
		    "sends on SPI 0x%08x from %llu, below the %llu the other "
		    "node sent, and does not rekey it", a, sa->spi,
		    (unsigned long long)r.seq_out,
		    (unsigned long long)l->max[1 - a]);
	}
}

static int
queues_empty(struct world *w)
{
	for (int t = 0; t < 2; t++)
		for (int s = 0; s < IPC_NSTREAMS; s++)
			if (w->q[t][s].n > 0)
				return 0;
	return w->n[0].ha->sq_n == 0 && w->n[1].ha->sq_n == 0;
}

/*
 * Up and quiet long enough: every record delivered, heartbeats both ways,
 * the clock run for SETTLE_MS.  A Backup node that hears a Master becomes
 * a standby (ha_nego_due).  Then with one Master and the other node
 * Backup over an unstalled channel, I3 and I4.
 */
static void
settle(struct world *w)
{
	int	 a;

	for (uint64_t t = 0; t < SETTLE_MS; t += STEP_MS) {
		for (int i = 0; i < 2; i++) {
			struct node *n = &w->n[i], *o = &w->n[1 - i];

			if (n->alive && o->alive && n->view == VIEW_BACKUP &&
			    o->view == VIEW_MASTER &&
			    n->ha->role == RF_ROLE_UNKNOWN)
				ha_become_standby(n->ha, "election: an Active "
				    "router is heard");
		}
		deliver_all(w);
		advance(w, STEP_MS);
	}
	/* what the last timers sent, and the heartbeats it changed */
	for (int k = 0; k < 4; k++) {
		deliver_all(w);
		check(w);
	}
	if (!w->n[0].alive || !w->n[1].alive || !w->assoc ||
	    !w->n[0].chan || !w->n[1].chan)
		return;
	for (int t = 0; t < 2; t++)
		for (int s = 0; s < IPC_NSTREAMS; s++)
			if (w->stalled[t][s])
				return;
	if (w->n[0].view == VIEW_MASTER && w->n[1].view == VIEW_BACKUP)
		a = 0;
	else if (w->n[1].view == VIEW_MASTER && w->n[0].view == VIEW_BACKUP)
		a = 1;
	else
		return;
	INV(queues_empty(w), "I3: records still queued after %u ms",
	    SETTLE_MS);
	INV(w->n[a].ha->rf.state == RF_ACTIVE, "I3: the Master (node %d) is "
	    "%s", a, rf_state_name(w->n[a].ha->rf.state));
	INV(w->n[1 - a].ha->rf.state == RF_STANDBY_HOT, "I3: the standby "
	    "(node %d) is %s after %u ms up and quiet", 1 - a,
	    rf_state_name(w->n[1 - a].ha->rf.state), SETTLE_MS);
	check_same(w->n[a].ike, w->n[1 - a].ike);
	check_not_behind(w, a);
	w->settled++;
}

/* ---- the schedule -------------------------------------------------------- */

static const uint16_t advance_ms[16] = {
	0, 1, 5, 10, 20, 50, 100, 250, 400, 500, 700, 900, 1100, 2100, 3100,
	5100,
};
static const uint32_t burst[8] = { 1, 3, 10, 100, 999, 1000, 5000, 70000 };

static void
setup(void)
{
	static const char *const host[2] = { "a", "s" };
	static const char *const ip[2] = { "10.0.0.11", "10.0.0.12" };
	static const char *const prio[2] = { "110", "100" };
	static const char *const sync[2] = { "192.168.255.1",
	    "192.168.255.2" };

	log_init("fuzz", 1, 0);
	/* FUZZ_TRACE=1 ./fuzz_hasync_pair INPUT: each step and the logs */
	trace = getenv("FUZZ_TRACE") != NULL;
	log_set_stream(trace ? stderr : fopen("/dev/null", "w"));
	for (int i = 0; i < 2; i++) {
		struct conf_diag d = { NULL, 0, 0 };
		char	*t;

		xasprintf(&t, conf_fmt, host[i], sync[i], sync[1 - i], ip[i],
		    prio[i]);
		cf[i] = conf_load_mem("fuzz", t, strlen(t), &d);
		free(t);
		if (cf[i] == NULL || !hasync_configured(cf[i]))
			abort();
	}
}

/* A pair as it runs: node 0 active with one tunnel, node 1 STANDBY HOT. */
static void
world_start(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->now_us = 1000000ULL * 1000;
	w->elect = -1;
	w->next_spi = 0x1000;
	for (int i = 0; i < 2; i++) {
		w->n[i].w = w;
		w->n[i].i = i;
		node_start(w, i);
	}
	elect(&w->n[0], "Master_Down_Timer expired");
	backup(&w->n[1], "startup");
	chan_up(w);
	ipsec_add(&w->n[0], w->next_tunnel++, NULL);
	settle(w);
}

static void
world_stop(struct world *w)
{
	assoc_break(w);
	for (int i = 0; i < 2; i++)
		node_stop(w, i);
	for (int i = 0; i < w->nlog; i++)
		free(w->log[i].r);
	free(w->log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct world	*w = &W;

	if (cf[0] == NULL)
		setup();
	world_start(w);
	for (size_t off = 0; off + 3 <= len; off += 3) {
		uint8_t	 op = data[off], x = data[off + 1], y = data[off + 2];
		int	 i = x & 1;
		struct node *n = &w->n[i];
		char	 err[256];

		if (trace)
			fprintf(stderr, "--- %llu ms: op %d, node %d, x %u, "
			    "y %u; node 0 %s %s, node 1 %s %s\n",
			    (unsigned long long)(w->now_us / 1000), op % 16, i,
			    x, y, w->n[0].ha == NULL ? "(dead)" :
			    rf_state_name(w->n[0].ha->rf.state),
			    w->n[0].view == VIEW_MASTER ? "Master" : "-",
			    w->n[1].ha == NULL ? "(dead)" :
			    rf_state_name(w->n[1].ha->rf.state),
			    w->n[1].view == VIEW_MASTER ? "Master" : "-");
		switch (op % 16) {
		case 0:
			elect(n, "Master_Down_Timer expired");
			break;
		case 1:
			backup(n, "a higher priority is heard");
			break;
		case 2:
			link_down(n);
			break;
		case 3:
			chan_up(w);
			break;
		case 4:
			chan_down(w, i, (x >> 1) & 1);
			break;
		case 5:		/* records to node i, stream y % 3, in order */
			for (int k = 0; k <= y / 3 % 8; k++)
				(void)deliver(w, i, (enum ipc_stream)(y % 3),
				    1);
			writable(w);
			break;
		case 6:		/* the head lost (the stream stalls) */
			(void)deliver(w, i, (enum ipc_stream)(y % 3), 0);
			break;
		case 7:		/* the head twice */
			(void)deliver(w, i, (enum ipc_stream)(y % 3), 2);
			writable(w);
			break;
		case 8:
			heartbeat(w, i);
			break;
		case 9:
			advance(w, advance_ms[y % 16]);
			break;
		case 10:
			traffic(w, burst[y % 8]);
			break;
		case 11:
		case 12:
			sa_event(n, (uint8_t)(x >> 1), y);
			break;
		case 13:
			if (n->alive)
				(void)hasync_switchover(n->ha, (x >> 1) & 1,
				    err, sizeof(err));
			break;
		case 14:	/* kill -9, and started again unless y & 1 */
			node_crash(w, i, (x >> 1) & 1);
			if (!(y & 1))
				node_start(w, i);
			break;
		case 15:
			if (!n->alive)
				node_start(w, i);
			else
				settle(w);
			break;
		}
		check(w);
	}
	settle(w);
	world_stop(w);
	return 0;
}
