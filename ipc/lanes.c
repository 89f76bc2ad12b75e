/*
 * Lanes: more SCTP associations beside the first, each carrying the state
 * stream only ("lanes N" under the association, usrsctp).
 *
 * Why: one association is one congestion window.  On a sync link that
 * loses 2 % of its packets with a 40 ms round trip, loss-based congestion
 * control carries about 300 kB/s, and a snapshot of 10,000 tunnels (5.5
 * MB) took about 19 s.  N associations carry about N times that, each
 * with its own window (docs/ipc.md, "Lanes").
 *
 * How: the client opens the lanes once the channel is sealed; the server
 * takes each association it accepts while sealed into a free slot.  A
 * lane proves the channel's keys on its own association before it carries
 * anything (ipc_int.h, struct ipc_lane).  State records are sealed as
 * always, under the channel's key with the state stream's one sequence,
 * and each goes out on whichever lane that is up has room, in turn; the
 * first association carries state only while no lane is up.  The
 * receiver puts the stream back in order by sequence number: a record
 * ahead of one still missing waits in a ring, so the user sees exactly
 * the order of ipc_send().  A lane that ends while up may take records
 * with it, so it ends the channel (a new handshake, a new snapshot).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"

static const char *const lane_state_names[] = {
	"none", "connecting", "open", "answered", "up",
};

static int
lanes_client(const struct ipc *ipc)
{
	return ipc_assoc_is_client(&ipc->assoc) == 1;
}

static void
lane_close(struct ipc *ipc, int i)
{
	struct ipc_lane	*l = &ipc->lane[i];

	if (l->st != IPC_LANE_NONE && ipc->tp != NULL &&
	    ipc->ops->lane_close != NULL)
		ipc->ops->lane_close(ipc->tp, i);
	OPENSSL_cleanse(l->nonce, sizeof(l->nonce));
	l->st = IPC_LANE_NONE;
	l->last_seq = 0;
}

/* A lane that did not prove the keys: closed, counted, logged. */
static void
lane_refuse(struct ipc *ipc, int i, const char *why)
{
	uint64_t	 sup;

	ipc->lanes_refused++;
	if (log_ratelimit_ok(&ipc->rl, time_mono_ms(), 5000, &sup))
		log_warnx(LOG_IPC, "lane %d closed: %s (%llu similar lines "
		    "suppressed)", i + 1, why, (unsigned long long)sup);
	lane_close(ipc, i);
}

/*
 * The client opens its lanes once the server is known to be up (its first
 * heartbeat): an association the server accepts before that would take
 * the place of the one in handshake.
 */
void
ipc_lanes_start(struct ipc *ipc)
{
	if (ipc->nlanes == 0 || !lanes_client(ipc) || ipc->lanes_started)
		return;
	ipc->lanes_started = 1;
	for (int i = 0; i < ipc->nlanes; i++) {
		ipc->lane[i].st = IPC_LANE_CONNECTING;
		ipc->lane[i].since_ms = time_mono_ms();
		ipc->ops->lane_open(ipc->tp, i);
		if (ipc->state != IPC_S_UP)
			return;
	}
}

static void
reorder_clear(struct ipc_reorder *ro)
{
	if (ro->ring != NULL) {
		for (size_t i = 0; i < IPC_REORDER_MAX; i++)
			if (ro->ring[i] != NULL) {
				OPENSSL_cleanse(ro->ring[i]->data,
				    ro->ring[i]->len);
				free(ro->ring[i]);
			}
		free(ro->ring);
	}
	ro->ring = NULL;
	ro->count = ro->bytes = 0;
	ro->since_ms = 0;
}

/* The channel is down or restarting: every lane closed, the ring empty. */
void
ipc_lanes_reset(struct ipc *ipc)
{
	for (int i = 0; i < CONF_IPC_LANES_MAX; i++)
		if (ipc->lane[i].st != IPC_LANE_NONE)
			lane_close(ipc, i);
	ipc->lane_rr = 0;
	ipc->lanes_started = 0;
	reorder_clear(&ipc->ro);
}

/* Every heartbeat interval: handshakes that hang, a gap that stays. */
void
ipc_lanes_tick(struct ipc *ipc)
{
	uint64_t	 now = time_mono_ms();

	for (int i = 0; i < ipc->nlanes; i++) {
		struct ipc_lane	*l = &ipc->lane[i];

		if (l->st != IPC_LANE_NONE && l->st != IPC_LANE_UP &&
		    now - l->since_ms > IPC_HANDSHAKE_TIMEOUT_MS)
			lane_refuse(ipc, i, "no lane handshake in time");
	}
	/* state that waited for lanes that did not come */
	ipc_core_flush(ipc);
	if (ipc->ro.count > 0 && now - ipc->ro.since_ms > IPC_REORDER_GAP_MS)
		ipc_core_fail(ipc, "state record %llu missing for %llu ms "
		    "(%zu later ones held)",
		    (unsigned long long)ipc->rx.seq[IPC_STREAM_STATE] + 1,
		    (unsigned long long)(now - ipc->ro.since_ms),
		    ipc->ro.count);
}

int
ipc_core_lane_slot(struct ipc *ipc)
{
	if (ipc->state != IPC_S_UP || lanes_client(ipc))
		return -1;
	for (int i = 0; i < ipc->nlanes; i++)
		if (ipc->lane[i].st == IPC_LANE_NONE)
			return i;
	return -1;
}

static int
lane_send_rec(struct ipc *ipc, int i, uint8_t type, const uint8_t *nonce)
{
	uint8_t	 rec[IPC_REC_HDRLEN + IPC_LANE_NONCELEN + IPC_TAGLEN];
	ssize_t	 n;

	if (type == IPC_REC_LANE_OFFER)
		n = ipc_rec_offer(nonce, rec);
	else
		n = ipc_rec_seal(&ipc->tx, IPC_REC_LANE, IPC_STREAM_CONTROL,
		    ++ipc->tx.seq[IPC_STREAM_CONTROL], nonce,
		    IPC_LANE_NONCELEN, rec);
	if (n == -1)
		return -1;
	if (type == IPC_REC_LANE)
		switch (ipc->test_forge_lanes) {	/* test hooks only */
		case IPC_TEST_LANE_BAD_TAG:
			rec[n - 1] ^= 0x01;
			break;
		case IPC_TEST_LANE_HELLO:
			return ipc->ops->lane_send(ipc->tp, i,
			    IPC_STREAM_CONTROL, ipc->hello, ipc->hellolen);
		case IPC_TEST_LANE_SILENT:
			return 0;
		}
	return ipc->ops->lane_send(ipc->tp, i, IPC_STREAM_CONTROL, rec,
	    (size_t)n);
}

void
ipc_core_lane_up(struct ipc *ipc, int i)
{
	struct ipc_lane	*l;

	if (i < 0 || i >= ipc->nlanes || ipc->state != IPC_S_UP)
		return;
	l = &ipc->lane[i];
	l->since_ms = time_mono_ms();
	l->st = IPC_LANE_OPEN;
	if (lanes_client(ipc))
		return;		/* the server offers */
	if (RAND_bytes(l->nonce, sizeof(l->nonce)) != 1)
		fatalx(LOG_IPC, "RAND_bytes failed");
	if (lane_send_rec(ipc, i, IPC_REC_LANE_OFFER, l->nonce) == -1)
		lane_refuse(ipc, i, "the offer could not be sent");
}

void
ipc_core_lane_down(struct ipc *ipc, int i, const char *why)
{
	if (i < 0 || i >= ipc->nlanes || ipc->lane[i].st == IPC_LANE_NONE)
		return;
	if (ipc->lane[i].st == IPC_LANE_UP) {
		/* records in flight on it are gone: start over */
		ipc_core_fail(ipc, "lane %d ended: %s", i + 1, why);
		return;
	}
	lane_refuse(ipc, i, why);
}

/* A LANE record on lane i: the nonce back, sealed under the peer's key. */
static void
lane_answer(struct ipc *ipc, int i, const struct ipc_rec *r)
{
	struct ipc_lane	*l = &ipc->lane[i];
	uint8_t		 pt[IPC_LANE_NONCELEN];
	enum ipc_drop	 why;
	ssize_t		 n;
	int		 client = lanes_client(ipc);

	if (r->stream != IPC_STREAM_CONTROL ||
	    r->bodylen != IPC_LANE_NONCELEN + IPC_TAGLEN ||
	    l->st != (client ? IPC_LANE_ANSWERED : IPC_LANE_OPEN)) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, "lane record out of "
		    "turn");
		lane_refuse(ipc, i, "lane record out of turn");
		return;
	}
	if ((n = ipc_rec_verify(&ipc->rx, r, pt, &why)) == -1) {
		ipc_core_drop(ipc, why, "lane");
		lane_refuse(ipc, i, "its lane record does not open under the "
		    "channel's key");
		return;
	}
	if (n != IPC_LANE_NONCELEN ||
	    CRYPTO_memcmp(pt, l->nonce, IPC_LANE_NONCELEN) != 0) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, "lane nonce");
		lane_refuse(ipc, i, "its lane record names another offer");
		return;
	}
	if (!client && lane_send_rec(ipc, i, IPC_REC_LANE, l->nonce) == -1) {
		lane_refuse(ipc, i, "the lane answer could not be sent");
		return;
	}
	l->st = IPC_LANE_UP;
	ipc->lane_ups++;
	ipc_core_flush(ipc);
}

void
ipc_core_lane_recv(struct ipc *ipc, int i, int stream, const uint8_t *p,
    size_t len, int toolarge)
{
	struct ipc_lane	*l;
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		*pt;
	ssize_t		 n;

	if (i < 0 || i >= ipc->nlanes || ipc->state != IPC_S_UP ||
	    ipc->lane[i].st < IPC_LANE_OPEN)
		return;
	l = &ipc->lane[i];
	if (toolarge) {
		ipc_core_drop(ipc, IPC_DROP_TOO_LARGE, "lane message above the "
		    "maximum record size");
		return;
	}
	if (ipc_rec_parse(p, len, &r, &why, &err) == -1) {
		ipc_core_drop(ipc, why, err);
		if (l->st != IPC_LANE_UP)
			lane_refuse(ipc, i, err);
		return;
	}
	if (r.stream != stream) {
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, "lane record on the "
		    "wrong SCTP stream");
		return;
	}
	switch (r.type) {
	case IPC_REC_LANE_OFFER:
		if (!lanes_client(ipc) || l->st != IPC_LANE_OPEN ||
		    r.stream != IPC_STREAM_CONTROL) {
			ipc_core_drop(ipc, IPC_DROP_MALFORMED, "lane offer "
			    "out of turn");
			lane_refuse(ipc, i, "lane offer out of turn");
			return;
		}
		memcpy(l->nonce, r.body, IPC_LANE_NONCELEN);
		l->st = IPC_LANE_ANSWERED;
		if (lane_send_rec(ipc, i, IPC_REC_LANE, l->nonce) == -1)
			lane_refuse(ipc, i, "the lane answer could not be "
			    "sent");
		return;
	case IPC_REC_LANE:
		lane_answer(ipc, i, &r);
		return;
	case IPC_REC_DATA:
		/* the server's answer and its first state are on two SCTP
		 * streams: state may come first, and is taken (it opens or is
		 * dropped); we send on the lane only after the answer */
		if (r.stream == IPC_STREAM_STATE && (l->st == IPC_LANE_UP ||
		    (l->st == IPC_LANE_ANSWERED && lanes_client(ipc))))
			break;
		/* FALLTHROUGH */
	default:
		/* a hello here is the peer starting a channel anew: the
		 * sealed one in use stays until a sealed record ends it */
		ipc_core_drop(ipc, IPC_DROP_MALFORMED, "a lane carries lane "
		    "records, then state only");
		if (l->st != IPC_LANE_UP)
			lane_refuse(ipc, i, "not a lane handshake");
		return;
	}
	pt = xmalloc(r.bodylen);
	if ((n = ipc_state_open(ipc, &r, pt)) != -1) {
		ipc->lane_msgs_in++;
		l->last_seq = r.seq;
		ipc_state_in(ipc, r.seq, pt, (size_t)n);
	}
	OPENSSL_cleanse(pt, r.bodylen);
	free(pt);
}

/* ---- the state stream over the lanes ---------------------------------- */

int
ipc_core_lane_may_read(const struct ipc *ipc, int i)
{
	const struct ipc_lane *l = &ipc->lane[i];

	return i >= ipc->nlanes || l->st < IPC_LANE_ANSWERED ||
	    (ipc->turn_left > 0 &&
	    l->last_seq <= ipc->rx.seq[IPC_STREAM_STATE] + IPC_LANE_AHEAD);
}

void
ipc_core_turn(struct ipc *ipc)
{
	ipc->turn_left = IPC_STATE_TURN;
}

int
ipc_core_turn_left(const struct ipc *ipc)
{
	return ipc->turn_left > 0;
}

uint64_t
ipc_core_state_seq(const struct ipc *ipc)
{
	return ipc->rx.seq[IPC_STREAM_STATE];
}

/*
 * No lane is up yet, but the channel came up moments ago and lanes may
 * follow (the server cannot know whether the client has any; the client
 * waits while one is in its handshake): state waits rather than taking
 * the first association's single window for the whole snapshot.
 */
static int
lanes_coming(const struct ipc *ipc)
{
	int	 pending = !lanes_client(ipc);

	if (ipc->nlanes == 0 ||
	    time_mono_ms() - ipc->up_since_ms >= IPC_LANE_WAIT_MS)
		return 0;
	for (int i = 0; i < ipc->nlanes && !pending; i++)
		pending = ipc->lane[i].st != IPC_LANE_NONE;
	return pending || !ipc->lanes_started;
}

int
ipc_lanes_send(struct ipc *ipc, const void *p, size_t len)
{
	int	 n = ipc->nlanes, any = 0;

	for (int k = 0; k < n; k++) {
		int	 i = (int)((ipc->lane_rr + (unsigned)k) % (unsigned)n);

		if (ipc->lane[i].st != IPC_LANE_UP)
			continue;
		any = 1;
		if (ipc->ops->lane_send(ipc->tp, i, IPC_STREAM_STATE, p, len)
		    == 0) {
			ipc->lane_rr = (unsigned)i + 1;
			ipc->lane_msgs_out++;
			return 0;
		}
	}
	errno = any || lanes_coming(ipc) ? EAGAIN : ENOENT;
	return -1;
}

ssize_t
ipc_state_open(struct ipc *ipc, const struct ipc_rec *r, uint8_t *pt)
{
	struct ipc_reorder *ro = &ipc->ro;
	uint64_t	 last = ipc->rx.seq[IPC_STREAM_STATE];
	enum ipc_drop	 why;
	ssize_t		 n;

	if (r->seq <= last || (ro->ring != NULL &&
	    r->seq - last <= IPC_REORDER_MAX &&
	    ro->ring[r->seq % IPC_REORDER_MAX] != NULL)) {
		ipc_core_drop(ipc, IPC_DROP_REPLAY, "data");
		return -1;
	}
	if ((n = ipc_rec_verify(&ipc->rx, r, pt, &why)) == -1) {
		ipc_core_drop(ipc, why, "data");
		return -1;
	}
	return n;
}

void
ipc_state_in(struct ipc *ipc, uint64_t seq, const uint8_t *pt, size_t n)
{
	struct ipc_reorder *ro = &ipc->ro;
	uint64_t	 *last = &ipc->rx.seq[IPC_STREAM_STATE];
	struct ipc_qmsg	 *m;

	if (seq != *last + 1) {
		if (seq - *last > IPC_REORDER_MAX ||
		    ro->bytes + n > IPC_REORDER_BYTES) {
			ipc_core_fail(ipc, "state record %llu arrived %llu "
			    "ahead of the one expected (%zu bytes held)",
			    (unsigned long long)seq,
			    (unsigned long long)(seq - *last - 1), ro->bytes);
			return;
		}
		if (ro->ring == NULL)
			ro->ring = xcalloc(IPC_REORDER_MAX,
			    sizeof(*ro->ring));
		m = xmalloc(sizeof(*m) + n);
		m->next = NULL;
		m->len = n;
		memcpy(m->data, pt, n);
		ro->ring[seq % IPC_REORDER_MAX] = m;
		if (ro->count++ == 0)
			ro->since_ms = time_mono_ms();
		ro->bytes += n;
		if (ro->count > ro->most)
			ro->most = ro->count;
		return;
	}
	*last = seq;
	if (ipc->turn_left > 0)
		ipc->turn_left--;
	ipc_core_deliver(ipc, IPC_STREAM_STATE, pt, n);
	/* then what waited for it, in this turn or the next ones */
	ipc_core_turn_held(ipc);
}

void
ipc_core_turn_held(struct ipc *ipc)
{
	struct ipc_reorder *ro = &ipc->ro;
	uint64_t	 *last = &ipc->rx.seq[IPC_STREAM_STATE];
	struct ipc_qmsg	 *m;

	/* the user may end the channel meanwhile */
	while (ipc->turn_left > 0 && ipc->state == IPC_S_UP &&
	    ro->count > 0 &&
	    (m = ro->ring[(*last + 1) % IPC_REORDER_MAX]) != NULL) {
		ro->ring[(*last + 1) % IPC_REORDER_MAX] = NULL;
		ro->count--;
		ro->bytes -= m->len;
		ro->since_ms = time_mono_ms();
		(*last)++;
		ipc->turn_left--;
		ipc_core_deliver(ipc, IPC_STREAM_STATE, m->data, m->len);
		OPENSSL_cleanse(m->data, m->len);
		free(m);
	}
}

void
ipc_lanes_status(struct ipc *ipc, json_object *o)
{
	json_object	*j = json_object_new_object();
	json_object	*a = json_object_new_array();
	int		 up = 0;

	for (int i = 0; i < ipc->nlanes; i++) {
		up += ipc->lane[i].st == IPC_LANE_UP;
		json_object_array_add(a, json_object_new_string(
		    lane_state_names[ipc->lane[i].st]));
	}
	jadd_u64(j, "configured", (uint64_t)ipc->assoc.lanes);
	jadd_u64(j, "usable", (uint64_t)ipc->nlanes);
	jadd_u64(j, "up", (uint64_t)up);
	json_object_object_add(j, "states", a);
	jadd_u64(j, "ups", ipc->lane_ups);
	jadd_u64(j, "refused", ipc->lanes_refused);
	jadd_u64(j, "state_msgs_sent", ipc->lane_msgs_out);
	jadd_u64(j, "state_msgs_received", ipc->lane_msgs_in);
	jadd_u64(j, "held_now", ipc->ro.count);
	jadd_u64(j, "held_bytes_now", ipc->ro.bytes);
	jadd_u64(j, "held_most", ipc->ro.most);
	json_object_object_add(o, "lanes", j);
}
