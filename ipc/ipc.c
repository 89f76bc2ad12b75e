/*
 * The channel core: handshake, sealing, queues, heartbeat, counters.
 *
 * States:
 *   disabled	association shut down ("no shutdown" missing)
 *   no-key	no "security key": the channel stays down and says so
 *   connecting	the transport is (re)establishing the association
 *   handshake	association up, HELLO sent, waiting for the peer's HELLO
 *		and its key confirmation
 *   up		keys confirmed both ways; messages flow
 *
 * Timers:
 *   handshake	IPC_HANDSHAKE_TIMEOUT_MS to get from association up to up
 *   heartbeat	every IPC_HB_INTERVAL_MS while up; IPC_HB_DEAD_MS without
 *		one from the peer ends the association (it reconnects).
 *		Multi-homed, the silence allowed covers a path switch: the
 *		transport's 1.5 s path silence, two RTO max for SCTP to
 *		retransmit over the new path, and 1 s.
 *
 * The back-off between association attempts (50 ms doubling to 1 s) is
 * kept here so that a handshake that fails (wrong key) backs off too; it
 * returns to 50 ms once the channel is up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"

static const char *const state_names[] = {
	"disabled", "no-key", "connecting", "handshake", "up",
};

static const size_t queue_limits[IPC_NSTREAMS] = {
	[IPC_STREAM_CONTROL] = 1u << 20,
	[IPC_STREAM_STATE] = 16u << 20,
	[IPC_STREAM_COUNTERS] = 4u << 20,
};

/* Flush order: control first, counters before the bulk state. */
static const int flush_order[IPC_NSTREAMS] = {
	IPC_STREAM_CONTROL, IPC_STREAM_COUNTERS, IPC_STREAM_STATE,
};

/* A bounded copy that always terminates (glibc 2.36 has no strlcpy). */
static void
ipc_strcpy(char *dst, const char *src, size_t len)
{
	size_t	 n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *
ipc_stream_name(enum ipc_stream s)
{
	static const char *const names[IPC_NSTREAMS] = {
		"control", "state", "counters",
	};

	return (unsigned)s < IPC_NSTREAMS ? names[s] : "unknown";
}

static uint64_t
process_incarnation(void)
{
	static uint64_t	 inc;
	uint32_t	 r = 0;

	if (inc != 0)
		return inc;
	/* seconds since the epoch above, random below: unique, and it grows */
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)time_mono_us();
	inc = (uint64_t)(uint32_t)time(NULL) << 32 | r;
	return inc;
}

int
ipc_assoc_is_client(const struct conf_ipc_assoc *a)
{
	uint32_t l = ntohl(a->local_ip[0].s_addr);
	uint32_t r = ntohl(a->remote_ip[0].s_addr);

	if (l != r)
		return l < r;
	if (a->local_port != a->remote_port)
		return a->local_port < a->remote_port;
	return -1;
}

/* ---- queues ------------------------------------------------------------ */

static void
queue_clear(struct ipc *ipc, int s)
{
	struct ipc_queue *q = &ipc->q[s];
	struct ipc_qmsg	 *m;

	while ((m = q->head) != NULL) {
		q->head = m->next;
		ipc->st[s].discarded++;
		free(m);
	}
	q->tail = NULL;
	q->bytes = q->msgs = 0;
	q->refused = 0;
}

/* m is adopted, its len set. */
static void
queue_push(struct ipc_queue *q, struct ipc_qmsg *m)
{
	m->next = NULL;
	if (q->tail != NULL)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->bytes += m->len;
	q->msgs++;
}

static void
queue_pop(struct ipc_queue *q)
{
	struct ipc_qmsg	*m = q->head;

	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= m->len;
	q->msgs--;
	free(m);
}

/* ---- the handshake --------------------------------------------------- */

static void
handshake_reset(struct ipc *ipc)
{
	ipc_dirkey_clear(&ipc->tx);
	ipc_dirkey_clear(&ipc->rx);
	OPENSSL_cleanse(ipc->transcript, sizeof(ipc->transcript));
	ipc->have_peer_hello = 0;
	ipc->confirm_sent = 0;
	ipc->hellolen = 0;
	ev_timer_stop(ipc->loop, &ipc->hs_timer);
	ev_timer_stop(ipc->loop, &ipc->hb_timer);
	for (int s = 0; s < IPC_NSTREAMS; s++)
		queue_clear(ipc, s);
	ipc_lanes_reset(ipc);
}

static void
send_hello(struct ipc *ipc)
{
	struct ipc_hello h;
	ssize_t		 n;

	memset(&h, 0, sizeof(h));
	h.suite = IPC_SUITE_HKDF_SHA256_AES256GCM;
	h.role = ipc->role;
	ipc_strcpy(h.node_id, ipc->node_id, sizeof(h.node_id));
	h.incarnation = ipc->incarnation;
	if (RAND_bytes(h.nonce, sizeof(h.nonce)) != 1)
		fatalx(LOG_IPC, "RAND_bytes failed");
	if ((n = ipc_hello_encode(&h, ipc->hello, sizeof(ipc->hello))) == -1)
		fatalx(LOG_IPC, "hello does not encode");
	ipc->hellolen = (size_t)n;
	if (ipc->ops->send(ipc->tp, IPC_STREAM_CONTROL, ipc->hello,
	    ipc->hellolen) == -1)
		log_warn(LOG_IPC, "sending hello");
	ev_timer_set(&ipc->hs_timer, IPC_HANDSHAKE_TIMEOUT_MS / 1000.0, 0);
	ev_timer_start(ipc->loop, &ipc->hs_timer);
}

/* With both hellos: derive the keys and send CONFIRM. */
static int
handshake_keys(struct ipc *ipc)
{
	struct ipc_keys	 k;
	uint8_t		 rec[IPC_REC_HDRLEN + IPC_HASHLEN + IPC_TAGLEN];
	ssize_t		 n;
	int		 rv = -1;

	if (ipc_derive_keys(ipc->secret, ipc->hello + IPC_REC_HDRLEN,
	    ipc->hellolen - IPC_REC_HDRLEN, ipc->peer_body,
	    ipc->peer_bodylen, &k) == -1) {
		ipc_core_fail(ipc, "key derivation failed (did our own hello "
		    "come back?)");
		goto done;
	}
	if (ipc_dirkey_set(&ipc->tx, k.tx) == -1 ||
	    ipc_dirkey_set(&ipc->rx, k.rx) == -1)
		fatalx(LOG_IPC, "AES-256-GCM unavailable");
	memcpy(ipc->transcript, k.transcript, IPC_HASHLEN);
	n = ipc_rec_seal(&ipc->tx, IPC_REC_CONFIRM, IPC_STREAM_CONTROL, 0,
	    ipc->transcript, IPC_HASHLEN, rec);
	if (n == -1 || ipc->ops->send(ipc->tp, IPC_STREAM_CONTROL, rec,
	    (size_t)n) == -1) {
		ipc_core_fail(ipc, "could not send the key confirmation");
		goto done;
	}
	ipc->confirm_sent = 1;
	rv = 0;
done:
	OPENSSL_cleanse(&k, sizeof(k));
	return rv;
}

static void
send_heartbeat(struct ipc *ipc)
{
	uint8_t	 pt[8 + 2 + IPC_NODE_ID_MAX];
	uint8_t	 rec[IPC_REC_HDRLEN + sizeof(pt) + IPC_TAGLEN];
	struct ipc_queue *q = &ipc->q[IPC_STREAM_CONTROL];
	struct ipc_qmsg	*m;
	ssize_t	 n, r;

	n = ipc_hb_encode(ipc->incarnation, ipc->role, ipc->node_id, pt,
	    sizeof(pt));
	r = ipc_rec_seal(&ipc->tx, IPC_REC_HEARTBEAT, IPC_STREAM_CONTROL,
	    ++ipc->tx.seq[IPC_STREAM_CONTROL], pt, (size_t)n, rec);
	if (n == -1 || r == -1)
		fatalx(LOG_IPC, "heartbeat does not seal");
	m = xmalloc(sizeof(*m) + (size_t)r);
	m->len = (size_t)r;
	memcpy(m->data, rec, (size_t)r);
	queue_push(q, m);
	ipc->hb_sent++;
	ipc_core_flush(ipc);
}

static void
channel_up(struct ipc *ipc)
{
	ev_timer_stop(ipc->loop, &ipc->hs_timer);
	ipc->state = IPC_S_UP;
	ipc->ups++;
	ipc->backoff_ms = 0;
	ipc->reason[0] = '\0';
	ipc->up_since_ms = ipc->last_hb_ms = time_mono_ms();
	if (ipc->have_last_peer && ipc->last_peer_inc != ipc->peer.incarnation) {
		ipc->peer_restarts++;
		log_info(LOG_IPC, "peer %s restarted: incarnation %llu -> %llu",
		    ipc->peer_id, (unsigned long long)ipc->last_peer_inc,
		    (unsigned long long)ipc->peer.incarnation);
	}
	ipc->last_peer_inc = ipc->peer.incarnation;
	ipc->have_last_peer = 1;
	log_info(LOG_IPC, "channel up: peer %s incarnation %llu, keys "
	    "confirmed", ipc->peer_id,
	    (unsigned long long)ipc->peer.incarnation);
	ev_timer_set(&ipc->hb_timer, IPC_HB_INTERVAL_MS / 1000.0,
	    IPC_HB_INTERVAL_MS / 1000.0);
	ev_timer_start(ipc->loop, &ipc->hb_timer);
	send_heartbeat(ipc);
	if (ipc->h.up != NULL)
		ipc->h.up(ipc->arg, &ipc->peer);
}

/* The channel is no longer up (or never got there): tell the user once. */
static void
channel_down(struct ipc *ipc, const char *reason)
{
	int	 was_up = ipc->state == IPC_S_UP;

	ipc_strcpy(ipc->reason, reason, sizeof(ipc->reason));
	handshake_reset(ipc);
	if (ipc->state == IPC_S_HANDSHAKE || ipc->state == IPC_S_UP)
		ipc->state = IPC_S_CONNECTING;
	if (was_up) {
		ipc->downs++;
		log_warnx(LOG_IPC, "channel down: %s", reason);
		if (ipc->h.down != NULL)
			ipc->h.down(ipc->arg, reason);
	}
}

/* Give up on this association: say why, abort it, reconnect later. */
void
ipc_core_fail(struct ipc *ipc, const char *fmt, ...)
{
	char	 reason[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (ipc->state != IPC_S_UP) {
		uint64_t sup;

		if (log_ratelimit_ok(&ipc->rl, time_mono_ms(), 10000, &sup))
			log_warnx(LOG_IPC, "channel not up: %s (%llu similar "
			    "lines suppressed)", reason,
			    (unsigned long long)sup);
	}
	channel_down(ipc, reason);
	ipc->ops->restart(ipc->tp, reason);
}

static void
hs_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ipc	*ipc = w->data;

	(void)loop;
	(void)revents;
	ipc->handshakes_failed++;
	ipc_core_fail(ipc, "handshake did not finish in %d ms (%s)",
	    IPC_HANDSHAKE_TIMEOUT_MS, !ipc->have_peer_hello ?
	    "no hello from the peer" : "no key confirmation from the peer");
}

static uint64_t
hb_dead_ms(const struct conf_ipc_assoc *a)
{
	uint64_t ms = 1500 + 2 * (uint64_t)a->rto_max_ms + 1000;

	if (a->nlocal_ip < 2 || a->nremote_ip < 2 || ms < IPC_HB_DEAD_MS)
		return IPC_HB_DEAD_MS;
	return ms;
}

static void
hb_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ipc	*ipc = w->data;
	uint64_t	 age = time_mono_ms() - ipc->last_hb_ms;

	(void)loop;
	(void)revents;
	if (age > hb_dead_ms(&ipc->assoc)) {
		ipc_core_fail(ipc, "no heartbeat from peer %s for %llu ms",
		    ipc->peer_id, (unsigned long long)age);
		return;
	}
	ipc_lanes_tick(ipc);
	if (ipc->state == IPC_S_UP)
		send_heartbeat(ipc);
}

/* ---- transport events ------------------------------------------------- */

uint32_t
ipc_core_next_delay(struct ipc *ipc)
{
	if (ipc->backoff_ms == 0)
		ipc->backoff_ms = IPC_BACKOFF_MIN_MS;
	else if (ipc->backoff_ms < IPC_BACKOFF_MAX_MS)
		ipc->backoff_ms = ipc->backoff_ms * 2 > IPC_BACKOFF_MAX_MS ?
		    IPC_BACKOFF_MAX_MS : ipc->backoff_ms * 2;
	return ipc->backoff_ms;
}

void
ipc_core_assoc_up(struct ipc *ipc)
{
	if (ipc->state == IPC_S_HANDSHAKE || ipc->state == IPC_S_UP)
		channel_down(ipc, "the association restarted");
	ipc->assoc_ups++;
	ipc->state = IPC_S_HANDSHAKE;
	handshake_reset(ipc);
	send_hello(ipc);
}

int
ipc_core_sealed(const struct ipc *ipc)
{
	return ipc->state == IPC_S_UP;
}

void
ipc_core_assoc_down(struct ipc *ipc, const char *reason)
{
	if (ipc->state == IPC_S_HANDSHAKE || ipc->state == IPC_S_UP)
		channel_down(ipc, reason);
	else
		ipc_strcpy(ipc->reason, reason, sizeof(ipc->reason));
}

void
ipc_core_writable(struct ipc *ipc)
{
	if (ipc->state == IPC_S_UP)
		ipc_core_flush(ipc);
}

void
ipc_core_drop(struct ipc *ipc, enum ipc_drop why, const char *what)
{
	uint64_t	 sup;

	ipc->drops[why]++;
	if (log_ratelimit_ok(&ipc->rl, time_mono_ms(), 5000, &sup))
		log_warnx(LOG_IPC, "record dropped (%s): %s (%llu similar "
		    "lines suppressed)", ipc_drop_name(why), what,
		    (unsigned long long)sup);
}

static void
recv_hello(struct ipc *ipc, const struct ipc_rec *r)
{
	struct ipc_hello h;
	const char	*err;

	if (ipc_hello_decode(r->body, r->bodylen, &h, &err) == -1 ||
	    r->bodylen > sizeof(ipc->peer_body)) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, err);
		return;
	}
	if (strcmp(h.node_id, ipc->node_id) == 0 &&
	    h.incarnation == ipc->incarnation) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED,
		    "our own hello came back");
		return;
	}
	if (ipc->state == IPC_S_UP) {
		/*
		 * Only a sealed record may end a sealed channel: anyone on
		 * the path can write a hello.  A peer that really started
		 * over does it on a new association (SCTP restart, or its
		 * old one aborted or silent until the heartbeats stop).
		 */
		ipc_core_drop(ipc, IPC_DROP_UNSEALED,
		    "a clear hello on a live channel");
		return;
	} else if (ipc->state != IPC_S_HANDSHAKE) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED,
		    "hello outside a handshake");
		return;
	} else if (ipc->have_peer_hello) {
		/* a second hello: start the key schedule again from it */
		ipc_dirkey_clear(&ipc->tx);
		ipc_dirkey_clear(&ipc->rx);
		ipc->confirm_sent = 0;
	}
	memcpy(ipc->peer_body, r->body, r->bodylen);
	ipc->peer_bodylen = r->bodylen;
	ipc->have_peer_hello = 1;
	ipc_strcpy(ipc->peer_id, h.node_id, sizeof(ipc->peer_id));
	ipc->peer.node_id = ipc->peer_id;
	ipc->peer.incarnation = h.incarnation;
	ipc->peer.role = h.role;
	if (strcmp(h.node_id, ipc->node_id) == 0)
		log_warnx(LOG_IPC, "the peer has our node id %s: give the "
		    "nodes different hostnames", h.node_id);
	(void)handshake_keys(ipc);
}

static void
recv_confirm(struct ipc *ipc, const struct ipc_rec *r, uint8_t *pt)
{
	enum ipc_drop	 why;
	ssize_t		 n;

	if (!ipc->rx.set) {
		ipc_core_drop(ipc, IPC_DROP_NO_KEY,
		    "confirm before the peer's hello");
		return;
	}
	n = ipc_rec_open_confirm(&ipc->rx, r, pt, &why);
	if (n == -1) {
		ipc_core_drop(ipc, why, "key confirmation");
		if (why == IPC_DROP_BAD_TAG && ipc->state == IPC_S_HANDSHAKE) {
			ipc->handshakes_failed++;
			ipc_core_fail(ipc, "key confirmation from %s failed: "
			    "its security key differs from ours", ipc->peer_id);
		}
		return;
	}
	if (n != IPC_HASHLEN || CRYPTO_memcmp(pt, ipc->transcript,
	    IPC_HASHLEN) != 0) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED,
		    "confirm of another transcript");
		if (ipc->state == IPC_S_HANDSHAKE) {
			ipc->handshakes_failed++;
			ipc_core_fail(ipc, "key confirmation from %s is for "
			    "another handshake", ipc->peer_id);
		}
		return;
	}
	if (ipc->state == IPC_S_HANDSHAKE && ipc->confirm_sent)
		channel_up(ipc);
}

static void
recv_sealed(struct ipc *ipc, const struct ipc_rec *r, uint8_t *pt)
{
	enum ipc_drop	 why;
	ssize_t		 n;
	uint64_t	 inc;
	uint8_t		 role;
	char		 id[IPC_NODE_ID_MAX + 1];
	const char	*err;

	if (!ipc->rx.set) {
		ipc_core_drop(ipc, IPC_DROP_NO_KEY, ipc_rec_type_name(r->type));
		return;
	}
	if (r->type == IPC_REC_DATA && r->stream == IPC_STREAM_STATE)
		n = ipc_state_open(ipc, r, pt);
	else if ((n = ipc_rec_open(&ipc->rx, r, pt, &why)) == -1)
		ipc_core_drop(ipc, why, ipc_rec_type_name(r->type));
	if (n == -1)
		return;
	/*
	 * A record that opens under the peer's key proves the key as well as
	 * CONFIRM does; the CONFIRM itself may still be on its way when the
	 * peer, already up, sends on another stream.
	 */
	if (ipc->state == IPC_S_HANDSHAKE && ipc->confirm_sent)
		channel_up(ipc);
	if (ipc->state != IPC_S_UP)
		return;
	if (r->type == IPC_REC_HEARTBEAT) {
		if (r->stream != IPC_STREAM_CONTROL ||
		    ipc_hb_decode(pt, (size_t)n, &inc, &role, id, &err) == -1) {
			ipc_core_drop(ipc, IPC_DROP_MALFORMED, "heartbeat");
			return;
		}
		ipc->hb_received++;
		ipc->last_hb_ms = time_mono_ms();
		/* the peer sends heartbeats only once up: lanes now */
		ipc_lanes_start(ipc);
		if (inc != ipc->peer.incarnation) {
			ipc_core_fail(ipc, "the peer's heartbeat carries "
			    "another incarnation");
			return;
		}
		if (role != ipc->peer.role) {
			ipc->peer.role = role;
			if (ipc->h.peer_role != NULL)
				ipc->h.peer_role(ipc->arg, role);
		}
		return;
	}
	if (r->stream == IPC_STREAM_STATE)
		ipc_state_in(ipc, r->seq, pt, (size_t)n);
	else
		ipc_core_deliver(ipc, r->stream, pt, (size_t)n);
}

void
ipc_core_deliver(struct ipc *ipc, int s, const uint8_t *p, size_t n)
{
	ipc->st[s].msgs_in++;
	ipc->st[s].bytes_in += (uint64_t)n;
	if (ipc->h.message != NULL)
		ipc->h.message(ipc->arg, s, p, n);
}

void
ipc_core_recv(struct ipc *ipc, int stream, const uint8_t *p, size_t len,
    int toolarge)
{
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		*pt;

	if (toolarge) {
		ipc_core_drop(ipc, IPC_DROP_TOO_LARGE, "SCTP message above "
		    "the maximum record size");
		return;
	}
	if (ipc_rec_parse(p, len, &r, &why, &err) == -1) {
		ipc_core_drop(ipc, why, err);
		return;
	}
	if (r.stream != stream) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, "record on the wrong "
		    "SCTP stream");
		return;
	}
	if (r.type == IPC_REC_HELLO) {
		if (stream != IPC_STREAM_CONTROL) {
			ipc_core_drop(ipc, IPC_DROP_MALFORMED, "hello off the "
			    "control stream");
			return;
		}
		recv_hello(ipc, &r);
		return;
	}
	pt = xmalloc(r.bodylen);
	if (r.type == IPC_REC_CONFIRM)
		recv_confirm(ipc, &r, pt);
	else
		recv_sealed(ipc, &r, pt);
	OPENSSL_cleanse(pt, r.bodylen);
	free(pt);
}

/* ---- sending ------------------------------------------------------------- */

void
ipc_core_flush(struct ipc *ipc)
{
	for (int i = 0; i < IPC_NSTREAMS; i++) {
		int		 s = flush_order[i];
		struct ipc_queue *q = &ipc->q[s];

		while (q->head != NULL && ipc->state == IPC_S_UP) {
			size_t	 len = q->head->len;
			int	 rc = -1;

			/* state goes on the lanes while one is up */
			if (s == IPC_STREAM_STATE &&
			    (rc = ipc_lanes_send(ipc, q->head->data, len)) ==
			    -1 && errno != ENOENT)
				return;	/* writable comes later */
			if (rc == -1 && ipc->ops->send(ipc->tp, s,
			    q->head->data, len) == -1)
				return;	/* EAGAIN: writable comes later */
			ipc->st[s].msgs_out++;
			ipc->st[s].bytes_out += len;
			queue_pop(q);
		}
	}
	for (int s = 0; s < IPC_NSTREAMS; s++) {
		struct ipc_queue *q = &ipc->q[s];

		if (q->refused && q->bytes <= q->limit / 2 &&
		    ipc->state == IPC_S_UP) {
			q->refused = 0;
			if (ipc->h.writable != NULL)
				ipc->h.writable(ipc->arg, s);
		}
	}
}

int
ipc_send(struct ipc *ipc, enum ipc_stream s, const void *p, size_t len)
{
	struct ipc_queue *q;
	struct ipc_qmsg	 *m;
	size_t		  reclen = IPC_REC_HDRLEN + len + IPC_TAGLEN;
	ssize_t		  n;

	if ((unsigned)s >= IPC_NSTREAMS) {
		errno = EINVAL;
		return -1;
	}
	q = &ipc->q[s];
	if (ipc->state != IPC_S_UP) {
		ipc->st[s].refused_down++;
		errno = ENOTCONN;
		return -1;
	}
	if (len == 0 || len > IPC_MSG_MAX) {
		ipc->st[s].refused_size++;
		errno = EMSGSIZE;
		return -1;
	}
	if (q->bytes + reclen > q->limit) {
		ipc->st[s].refused_full++;
		q->refused = 1;
		errno = ENOBUFS;
		return -1;
	}
	m = xmalloc(sizeof(*m) + reclen);
	n = ipc_rec_seal(&ipc->tx, IPC_REC_DATA, (uint8_t)s, ++ipc->tx.seq[s],
	    p, len, m->data);
	if (n == -1)
		fatalx(LOG_IPC, "a record does not seal");
	m->len = (size_t)n;
	if (ipc->keep_last) {
		free(ipc->last[s]);
		ipc->last[s] = xmalloc(m->len);
		memcpy(ipc->last[s], m->data, m->len);
		ipc->lastlen[s] = m->len;
	}
	queue_push(q, m);
	ipc_core_flush(ipc);
	return 0;
}

size_t
ipc_stream_room(const struct ipc *ipc, enum ipc_stream s)
{
	const struct ipc_queue *q;
	size_t	 over = IPC_REC_HDRLEN + IPC_TAGLEN;

	if ((unsigned)s >= IPC_NSTREAMS || ipc->state != IPC_S_UP)
		return 0;
	q = &ipc->q[s];
	return q->bytes + over >= q->limit ? 0 : q->limit - q->bytes - over;
}

size_t
ipc_queued(const struct ipc *ipc)
{
	size_t	 n = 0;

	for (int s = 0; s < IPC_NSTREAMS; s++)
		n += ipc->q[s].msgs;
	return n;
}

/* ---- life ------------------------------------------------------------------ */

static void
node_id_from(const struct config *cf, char *out, size_t len)
{
	char	 a[INET_ADDRSTRLEN];

	if (cf->hostname != NULL && cf->hostname[0] != '\0' &&
	    strlen(cf->hostname) <= IPC_NODE_ID_MAX)
		ipc_strcpy(out, cf->hostname, len);
	else if (cf->ipc.nlocal_ip > 0)
		ipc_strcpy(out, addr_str(cf->ipc.local_ip[0], a), len);
	else
		ipc_strcpy(out, "havpn", len);
}

static int
ipc_open_transport(struct ipc *ipc, char *err, size_t errlen)
{
	const struct conf_ipc_assoc *a = &ipc->assoc;

	ipc->ops = a->encap_udp_port != 0 ? &ipc_tp_usrsctp : &ipc_tp_kernel;
	if (a->shutdown) {
		ipc->state = IPC_S_DISABLED;
		ipc_strcpy(ipc->reason, "association 1 is shut down (add \"no "
		    "shutdown\")", sizeof(ipc->reason));
		return 0;
	}
	if (ipc->secret == NULL) {
		ipc->state = IPC_S_NOKEY;
		ipc_strcpy(ipc->reason, "no \"security key\" under \"redundancy "
		    "inter-device\": the channel stays down",
		    sizeof(ipc->reason));
		log_warnx(LOG_IPC, "%s", ipc->reason);
		return 0;
	}
	if (a->nlocal_ip == 0 || a->nremote_ip == 0 || a->local_port == 0 ||
	    a->remote_port == 0) {
		snprintf(err, errlen, "%s:%d: association 1 needs local-port, "
		    "local-ip, remote-port and remote-ip", ipc->path, a->line);
		return -1;
	}
	if (ipc_assoc_is_client(a) == -1) {
		snprintf(err, errlen, "%s:%d: association 1: the local and "
		    "remote address and port are the same", ipc->path,
		    a->line);
		return -1;
	}
	if (a->encap_udp_port == 0 && !ipc_kernel_has_sctp()) {
		snprintf(err, errlen, "%s:%d: this kernel has no SCTP; add "
		    "'   encapsulation udp PORT' to association 1", ipc->path,
		    a->line);
		return -1;
	}
	ipc->nlanes = ipc->ops->lane_open != NULL ? a->lanes : 0;
	ipc->state = IPC_S_CONNECTING;
	ipc_strcpy(ipc->reason, "connecting", sizeof(ipc->reason));
	if ((ipc->tp = ipc->ops->open(ipc, ipc->loop, a, err, errlen)) ==
	    NULL) {
		ipc->state = IPC_S_DISABLED;
		return -1;
	}
	return 0;
}

static void
ipc_take_config(struct ipc *ipc, const struct config *cf)
{
	free(ipc->path);
	ipc->path = xstrdup(cf->path != NULL ? cf->path : "-");
	ipc->assoc = cf->ipc;
	if (ipc->secret != NULL)
		free_secret(ipc->secret, strlen(ipc->secret));
	ipc->secret = cf->redundancy.security_key != NULL ?
	    xstrdup(cf->redundancy.security_key) : NULL;
	node_id_from(cf, ipc->node_id, sizeof(ipc->node_id));
}

struct ipc *
ipc_new(struct ev_loop *loop, const struct config *cf,
    const struct ipc_handlers *h, void *arg, char *err, size_t errlen)
{
	struct ipc	*ipc;

	ipc = xcalloc(1, sizeof(*ipc));
	ipc->loop = loop;
	if (h != NULL)
		ipc->h = *h;
	ipc->arg = arg;
	ipc->incarnation = process_incarnation();
	for (int s = 0; s < IPC_NSTREAMS; s++)
		ipc->q[s].limit = queue_limits[s];
	ev_init(&ipc->hb_timer, hb_timer_cb);
	ipc->hb_timer.data = ipc;
	ev_init(&ipc->hs_timer, hs_timeout_cb);
	ipc->hs_timer.data = ipc;
	ipc_take_config(ipc, cf);
	if (ipc_open_transport(ipc, err, errlen) == -1) {
		ipc_free(ipc);
		return NULL;
	}
	return ipc;
}

static void
ipc_close_transport(struct ipc *ipc)
{
	handshake_reset(ipc);
	if (ipc->tp != NULL)
		ipc->ops->close(ipc->tp);
	ipc->tp = NULL;
}

void
ipc_free(struct ipc *ipc)
{
	if (ipc == NULL)
		return;
	ipc_close_transport(ipc);
	if (ipc->secret != NULL)
		free_secret(ipc->secret, strlen(ipc->secret));
	for (int s = 0; s < IPC_NSTREAMS; s++)
		free(ipc->last[s]);
	free(ipc->path);
	free(ipc);
}

static int
assoc_same(const struct conf_ipc_assoc *a, const struct conf_ipc_assoc *b)
{
	if (a->shutdown != b->shutdown || a->local_port != b->local_port ||
	    a->remote_port != b->remote_port || a->nlocal_ip != b->nlocal_ip ||
	    a->nremote_ip != b->nremote_ip || a->rto_min_ms != b->rto_min_ms ||
	    a->rto_max_ms != b->rto_max_ms ||
	    a->path_retransmit != b->path_retransmit ||
	    a->assoc_retransmit != b->assoc_retransmit ||
	    a->encap_udp_port != b->encap_udp_port || a->lanes != b->lanes)
		return 0;
	for (int i = 0; i < a->nlocal_ip; i++)
		if (a->local_ip[i].s_addr != b->local_ip[i].s_addr)
			return 0;
	for (int i = 0; i < a->nremote_ip; i++)
		if (a->remote_ip[i].s_addr != b->remote_ip[i].s_addr)
			return 0;
	return 1;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
ipc_reload(struct ipc *ipc, const struct config *cf, char *err,
    size_t errlen)
{
	char	 id[IPC_NODE_ID_MAX + 1];
	int	 key_same = str_same(ipc->secret, cf->redundancy.security_key);

	node_id_from(cf, id, sizeof(id));
	if (assoc_same(&ipc->assoc, &cf->ipc) && key_same &&
	    strcmp(id, ipc->node_id) == 0) {
		free(ipc->path);
		ipc->path = xstrdup(cf->path != NULL ? cf->path : "-");
		return 0;
	}
	if (cf->ipc.encap_udp_port == 0 && !cf->ipc.shutdown &&
	    !ipc_kernel_has_sctp()) {
		snprintf(err, errlen, "%s:%d: this kernel has no SCTP; add "
		    "'   encapsulation udp PORT' to association 1", cf->path,
		    cf->ipc.line);
		return -1;
	}
	if (ipc->state == IPC_S_UP)
		channel_down(ipc, "the configuration changed");
	if (assoc_same(&ipc->assoc, &cf->ipc) && ipc->tp != NULL &&
	    cf->redundancy.security_key != NULL) {
		/* same association: a new handshake with the new key or id */
		ipc_take_config(ipc, cf);
		ipc->ops->restart(ipc->tp, "the security key or node id "
		    "changed");
		return 0;
	}
	ipc_close_transport(ipc);
	ipc_take_config(ipc, cf);
	return ipc_open_transport(ipc, err, errlen);
}

int
ipc_is_up(const struct ipc *ipc)
{
	return ipc->state == IPC_S_UP;
}

const struct ipc_peer *
ipc_peer(const struct ipc *ipc)
{
	return ipc->state == IPC_S_UP ? &ipc->peer : NULL;
}

void
ipc_set_role(struct ipc *ipc, uint8_t role)
{
	if (ipc->role == role)
		return;
	ipc->role = role;
	if (ipc->state == IPC_S_UP)
		send_heartbeat(ipc);
}

const char *
ipc_node_id(const struct ipc *ipc)
{
	return ipc->node_id;
}

uint64_t
ipc_incarnation(const struct ipc *ipc)
{
	return ipc->incarnation;
}

/* ---- status ------------------------------------------------------------ */

static void
jadd_addrs(json_object *o, const char *k, const struct in_addr *ip, int n)
{
	json_object	*ips = json_object_new_array();
	char		 a[INET_ADDRSTRLEN];

	for (int i = 0; i < n; i++)
		json_object_array_add(ips,
		    json_object_new_string(addr_str(ip[i], a)));
	json_object_object_add(o, k, ips);
}

void
ipc_status(struct ipc *ipc, json_object *o)
{
	json_object	*local, *peer, *streams, *drops, *assoc;
	uint64_t	 now = time_mono_ms();

	jadd_str(o, "state", state_names[ipc->state]);
	jadd_str(o, "reason", ipc->reason);
	jadd_str(o, "transport", ipc->ops->name);
	jadd_u64(o, "encapsulation_udp_port", ipc->assoc.encap_udp_port);
	json_object_object_add(o, "security_key_configured",
	    json_object_new_boolean(ipc->secret != NULL));
	jadd_u64(o, "uptime_ms", ipc->state == IPC_S_UP ?
	    now - ipc->up_since_ms : 0);

	local = json_object_new_object();
	jadd_str(local, "node_id", ipc->node_id);
	jadd_u64(local, "incarnation", ipc->incarnation);
	jadd_u64(local, "role", ipc->role);
	jadd_u64(local, "port", ipc->assoc.local_port);
	jadd_addrs(local, "addresses", ipc->assoc.local_ip,
	    ipc->assoc.nlocal_ip);
	json_object_object_add(o, "local", local);

	peer = json_object_new_object();
	jadd_u64(peer, "port", ipc->assoc.remote_port);
	jadd_addrs(peer, "addresses", ipc->assoc.remote_ip,
	    ipc->assoc.nremote_ip);
	json_object_object_add(peer, "known",
	    json_object_new_boolean(ipc->have_last_peer));
	if (ipc->have_last_peer) {
		jadd_str(peer, "node_id", ipc->peer_id);
		jadd_u64(peer, "incarnation", ipc->state == IPC_S_UP ?
		    ipc->peer.incarnation : ipc->last_peer_inc);
		jadd_u64(peer, "role", ipc->peer.role);
	}
	if (ipc->state == IPC_S_UP)
		jadd_u64(peer, "heartbeat_age_ms", now - ipc->last_hb_ms);
	json_object_object_add(o, "peer", peer);

	assoc = json_object_new_object();
	jadd_u64(assoc, "rto_min_ms", ipc->assoc.rto_min_ms);
	jadd_u64(assoc, "rto_max_ms", ipc->assoc.rto_max_ms);
	jadd_u64(assoc, "path_retransmit", (uint64_t)ipc->assoc.path_retransmit);
	jadd_u64(assoc, "assoc_retransmit",
	    (uint64_t)ipc->assoc.assoc_retransmit);
	if (ipc->tp != NULL)
		ipc->ops->status(ipc->tp, assoc);
	else
		jadd_str(assoc, "state", "CLOSED");
	json_object_object_add(o, "association", assoc);

	streams = json_object_new_array();
	for (int s = 0; s < IPC_NSTREAMS; s++) {
		json_object *j = json_object_new_object();
		const struct ipc_stream_stats *st = &ipc->st[s];

		jadd_str(j, "name", ipc_stream_name(s));
		jadd_u64(j, "id", (uint64_t)s);
		json_object_object_add(j, "ordered",
		    json_object_new_boolean(1));
		jadd_u64(j, "msgs_sent", st->msgs_out);
		jadd_u64(j, "bytes_sent", st->bytes_out);
		jadd_u64(j, "msgs_received", st->msgs_in);
		jadd_u64(j, "bytes_received", st->bytes_in);
		jadd_u64(j, "queued_msgs", ipc->q[s].msgs);
		jadd_u64(j, "queued_bytes", ipc->q[s].bytes);
		jadd_u64(j, "refused_down", st->refused_down);
		jadd_u64(j, "refused_full", st->refused_full);
		jadd_u64(j, "refused_size", st->refused_size);
		jadd_u64(j, "discarded", st->discarded);
		json_object_array_add(streams, j);
	}
	json_object_object_add(o, "streams", streams);

	drops = json_object_new_object();
	for (int d = 0; d < IPC_NDROPS; d++)
		jadd_u64(drops, ipc_drop_name(d), ipc->drops[d]);
	json_object_object_add(o, "drops", drops);

	jadd_u64(o, "heartbeats_sent", ipc->hb_sent);
	jadd_u64(o, "heartbeats_received", ipc->hb_received);
	jadd_u64(o, "ups", ipc->ups);
	jadd_u64(o, "downs", ipc->downs);
	jadd_u64(o, "association_ups", ipc->assoc_ups);
	jadd_u64(o, "handshakes_failed", ipc->handshakes_failed);
	jadd_u64(o, "peer_restarts", ipc->peer_restarts);
	ipc_lanes_status(ipc, o);
}

int
ipc_syscheck(const struct config *cf, struct conf_diag *diag)
{
	const struct conf_ipc_assoc *a = &cf->ipc;

	if (a->line == 0 || a->shutdown || a->encap_udp_port != 0 ||
	    ipc_kernel_has_sctp())
		return 0;
	conf_report(diag, cf->path, a->line, 0, "this kernel has no SCTP; "
	    "add '   encapsulation udp PORT' to association 1");
	return -1;
}
