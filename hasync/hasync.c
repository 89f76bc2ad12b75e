/*
 * The replication's life cycle, the sync channel's handlers, the hello
 * exchange and the RF state.
 *
 * On every channel start each node sends a Hello (version, node id,
 * incarnation, the digest of its crypto configuration, its RF state).  A
 * standby whose peer's digest is its own asks for a snapshot
 * (BulkRequest); the active answers with BulkBegin, every SA, BulkEnd
 * (send.c), then every SA event and counter.  The RF state follows from
 * the facts (rf.c) and is carried by the channel's heartbeats
 * (ipc_set_role), so each node always knows the other's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hasync/ha_int.h"

static const char *const drop_names[HA_NDROPS] = HA_DROP_NAMES;

void
ha_drop(struct hasync *ha, enum ha_drop why, const char *fmt, ...)
{
	char		 msg[256];
	uint64_t	 supp;
	va_list		 ap;

	ha->st.drops[why]++;
	if (!log_ratelimit_ok(&ha->rl_drop, ha_now_ms(ha), 5000, &supp))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx(LOG_HA, "sync message dropped (%s): %s%s", drop_names[why],
	    msg, supp > 0 ? " (more suppressed)" : "");
}

/* ---- configuration ------------------------------------------------------- */

int
hasync_configured(const struct config *cf)
{
	return cf->redundancy.line != 0 && cf->ipc.line != 0;
}

static void
read_config(struct hasync *ha, const struct config *cf)
{
	free(ha->scheme);
	free(ha->hostname);
	free(ha->maps);
	ha->configured = hasync_configured(cf);
	ha->peer_addr.s_addr = cf->ipc.nremote_ip > 0 ?
	    cf->ipc.remote_ip[0].s_addr : INADDR_ANY;
	ha->stateful = 0;
	for (int i = 0; i < cf->nifaces; i++)
		if (cf->ifaces[i].crypto_map != NULL &&
		    cf->ifaces[i].redundancy != NULL &&
		    cf->ifaces[i].stateful)
			ha->stateful = 1;
	ha->scheme = xstrdup(cf->redundancy.scheme_group != NULL ?
	    cf->redundancy.scheme_group : "");
	ha->hostname = xstrdup(cf->hostname != NULL ? cf->hostname : "");
	ha->nmaps = cf->nmaps;
	ha->maps = xcalloc((size_t)cf->nmaps + 1, sizeof(*ha->maps));
	for (int i = 0; i < cf->nmaps; i++) {
		snprintf(ha->maps[i].name, sizeof(ha->maps[i].name), "%s",
		    cf->maps[i].name);
		ha->maps[i].in = cf->maps[i].replay_in;
		ha->maps[i].out = cf->maps[i].replay_out;
	}
	ha_config_digest(cf, ha->digest, NULL);
}

/* ---- RF state ------------------------------------------------------------ */

void
ha_apply_due(struct hasync *ha)
{
	if (ha->vrrp == NULL || !ha->configured)
		return;
	if (vrrp_ready(ha->vrrp) != ha->ready_want)
		vrrp_set_ready(ha->vrrp, ha->ready_want);
	ha_maybe_preempt(ha);
}

void
ha_schedule_apply(struct hasync *ha)
{
	if (!ha_timer_armed(ha, HA_TIMER_APPLY))
		ha_timer_set(ha, HA_TIMER_APPLY, 0);
}

void
ha_rf_update(struct hasync *ha, const char *reason)
{
	struct rf_facts	 f;
	enum rf_state	 old = ha->rf.state;

	memset(&f, 0, sizeof(f));
	f.configured = ha->configured;
	f.started = ha->started;
	f.role = ha->role;
	f.channel_up = ha->chan_up && ha->peer_hello;
	f.config_match = ha->config_match;
	f.bulk = ha->stateful ? ha->bulk : RF_BULK_DONE;
	if (rf_update(&ha->rf, &f, reason, ha_wall_ms(ha)) && ha->configured) {
		log_info(LOG_HA, "redundancy state %s -> %s: %s",
		    rf_state_name(old), rf_state_name(ha->rf.state), reason);
		if (ha->ipc != NULL)
			ipc_set_role(ha->ipc, (uint8_t)ha->rf.state);
	}
	if (!ha->configured)
		return;
	/*
	 * docs/hasync.md, "The election": a standby that cannot take over
	 * cleanly advertises the lowest priority (vrrp's preemption is held
	 * throughout: a switchover preempts); while the election is
	 * undecided the node competes with its configured priority
	 */
	ha->ready_want = ha->rf.state == RF_ACTIVE ||
	    ha->rf.state == RF_STANDBY_HOT ||
	    ha->rf.state == RF_NEGOTIATION;
	ha_schedule_apply(ha);
}

/* ---- sending ------------------------------------------------------------ */

/*
 * The STATE queue (docs/hasync.md, "The state queue"): what ipc refused,
 * in order, handed over as it takes more (writable).  The snapshot being
 * sent is not counted toward the bound (its size follows the number of
 * SAs, not time; a new snapshot drops what is queued); everything else
 * is, and an SA's newer event replaces its older one still queued.
 */

/* The SA whose event q held no longer has one queued. */
static void
sq_unlink(struct hasync *ha, const struct ha_qrec *q)
{
	struct ha_isakmp *e;
	struct ha_ike2	*e2;
	struct ha_pair	*p;

	if (q->kind == HA_Q_ISAKMP &&
	    (e = ha_isakmp_find(&ha->t, q->key)) != NULL && e->queued == q)
		e->queued = NULL;
	if (q->kind == HA_Q_IKE2 &&
	    (e2 = ha_ike2_find(&ha->t, q->key)) != NULL && e2->queued == q)
		e2->queued = NULL;
	if (q->kind == HA_Q_IPSEC &&
	    (p = ha_pair_find_in(&ha->t, q->key)) != NULL && p->queued == q)
		p->queued = NULL;
}

/* The head leaves the queue (sent or dropped) and is wiped. */
static void
sq_pop(struct hasync *ha)
{
	struct ha_qrec	*q = ha->sq_head;

	ha->sq_head = q->next;
	if (ha->sq_head == NULL)
		ha->sq_tail = &ha->sq_head;
	ha->sq_bytes -= q->len;
	ha->sq_n--;
	if (q->kind != HA_Q_SNAPSHOT) {
		ha->sq_bound_bytes -= q->len;
		ha->sq_bound_n--;
	}
	sq_unlink(ha, q);
	free_secret(q->p, q->len);
	free(q);
}

void
ha_state_drop(struct hasync *ha)
{
	while (ha->sq_head != NULL)
		sq_pop(ha);
}

static struct ha_qrec *
sq_add(struct hasync *ha, uint8_t *p, size_t len, enum ha_qkind kind)
{
	struct ha_qrec	*q = xcalloc(1, sizeof(*q));

	q->p = p;
	q->len = len;
	q->kind = kind;
	*ha->sq_tail = q;
	ha->sq_tail = &q->next;
	ha->sq_bytes += len;
	ha->sq_n++;
	if (kind != HA_Q_SNAPSHOT) {
		ha->sq_bound_bytes += len;
		ha->sq_bound_n++;
	}
	return q;
}

static int
ha_xmit(struct hasync *ha, enum ipc_stream s, const uint8_t *p, size_t len)
{
	if (ha->xmit != NULL)
		return ha->xmit(ha->xmit_arg, s, p, len);
	if (ha->ipc == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	return ipc_send(ha->ipc, s, p, len);
}

/*
 * Over the bound: the standby reads more slowly than this node's SAs
 * change, and has for a while (ipc's own 16 MiB are full before anything
 * waits here).  A record cannot be left out alone (the stream is the
 * standby's history of each SA), and a new snapshot costs less than what
 * is waiting: everything queued is dropped, the session ends (nothing
 * more is queued) and the standby is told; it is STANDBY COLD from then
 * on and asks for a new snapshot.
 */
static void
sq_overflow(struct hasync *ha)
{
	struct ha_msg	 m;
	int		 syncing = ha->session == HA_SESSION_SYNCING;

	ha->st.sq_overflows++;
	log_warnx(LOG_HA, "state queue for the standby over its bound: %zu "
	    "records, %zu bytes besides the snapshot (at most %u, %u bytes); "
	    "dropped, the standby is told to resync", ha->sq_bound_n,
	    ha->sq_bound_bytes, HA_SQ_MAX_RECORDS, HA_SQ_MAX_BYTES);
	ha_state_drop(ha);
	if (!syncing)
		return;
	memset(&m, 0, sizeof(m));
	m.type = HA_M_SESSION_END;
	m.u.session_end = ha->session_id;
	ha_session_stop(ha);
	/*
	 * refused only when the control stream is full as well: then the
	 * heartbeats do not get through either, the channel goes down, and
	 * the standby resyncs when it is back
	 */
	(void)ha_send(ha, IPC_STREAM_CONTROL, &m);
}

void
ha_state_pump(struct hasync *ha)
{
	while (ha->sq_head != NULL) {
		struct ha_qrec *q = ha->sq_head;

		if (ha_xmit(ha, IPC_STREAM_STATE, q->p, q->len) == -1) {
			if (errno == ENOBUFS)
				break;		/* writable() resumes */
			/* down: everything queued is dropped */
			ha_state_drop(ha);
			return;
		}
		ha->st.tx_records++;
		ha->st.tx_bytes += q->len;
		sq_pop(ha);
	}
	if (ha->sq_bound_bytes > HA_SQ_MAX_BYTES ||
	    ha->sq_bound_n > HA_SQ_MAX_RECORDS)
		sq_overflow(ha);
}

void
ha_state_enqueue(struct hasync *ha, uint8_t *p, size_t len,
    enum ha_qkind kind)
{
	(void)sq_add(ha, p, len, kind);
}

/* m encoded into a record the caller owns, counted as sent. */
static int
encode(struct hasync *ha, enum ipc_stream s, const struct ha_msg *m,
    uint8_t **p, size_t *len)
{
	if ((ha->ipc == NULL && ha->xmit == NULL) || !ha->chan_up)
		return -1;
	if (ha_msg_encode(m, p, len) == -1)
		fatalx(LOG_HA, "%s does not fit a record",
		    ha_msg_name(m->type));
	ha->st.tx_msgs[m->type]++;
	if (log_debug_enabled(LOG_HA))
		log_debug(LOG_HA, "sending %s on %s (%zu bytes)",
		    ha_msg_name(m->type), ipc_stream_name(s), *len);
	return 0;
}

int
ha_send(struct hasync *ha, enum ipc_stream s, const struct ha_msg *m)
{
	uint8_t	*p;
	size_t	 len;
	int	 rc;

	if (encode(ha, s, m, &p, &len) == -1)
		return -1;
	if (s == IPC_STREAM_STATE) {
		ha_state_enqueue(ha, p, len, m->type == HA_M_BULK_BEGIN ||
		    m->type == HA_M_BULK_END ? HA_Q_SNAPSHOT : HA_Q_OTHER);
		ha_state_pump(ha);
		return 0;
	}
	if ((rc = ha_xmit(ha, s, p, len)) == 0) {
		ha->st.tx_records++;
		ha->st.tx_bytes += len;
	} else
		ha->st.tx_refused++;
	free_secret(p, len);
	return rc;
}

void
ha_send_sa(struct hasync *ha, const struct ha_msg *m, struct ha_qrec **slot)
{
	struct ha_qrec	*q = *slot;
	uint8_t		*p;
	size_t		 len;

	if (encode(ha, IPC_STREAM_STATE, m, &p, &len) == -1)
		return;
	if (q != NULL) {
		/*
		 * the SA's newer state, in the place of the older one: the
		 * standby needs only the latest, and no later record that
		 * relies on this SA (its pairs, their rekeys) comes before
		 * it; a delete of it is queued after it, never before
		 */
		ha->sq_bytes = ha->sq_bytes - q->len + len;
		ha->sq_bound_bytes = ha->sq_bound_bytes - q->len + len;
		free_secret(q->p, q->len);
		q->p = p;
		q->len = len;
		ha->st.sq_coalesced++;
	} else {
		q = sq_add(ha, p, len, m->type == HA_M_ISAKMP ? HA_Q_ISAKMP :
		    m->type == HA_M_IKE2 ? HA_Q_IKE2 : HA_Q_IPSEC);
		q->key = m->type == HA_M_ISAKMP ? m->u.isakmp.conn_id :
		    m->type == HA_M_IKE2 ? m->u.ike2.conn_id :
		    m->u.ipsec.st.conn_in;
		*slot = q;
	}
	if (m->type == HA_M_IPSEC)
		q->replaces = m->u.ipsec.replaces;
	if (m->type == HA_M_IKE2)
		q->replaces = m->u.ike2.replaces;
	ha_state_pump(ha);
}

/* This node's address on each interface with a standby group, once. */
static void
hello_addrs(struct hasync *ha, struct ha_hello *h)
{
	for (int i = 0; ha->vrrp != NULL && i < vrrp_ngroups(ha->vrrp); i++) {
		struct vrrp_group_info gi;
		int	 seen = 0;

		if (vrrp_group_info(ha->vrrp, i, &gi) == -1 ||
		    gi.local.s_addr == INADDR_ANY)
			continue;
		for (int j = 0; j < h->naddrs; j++)
			seen |= strcmp(h->addrs[j].ifname, gi.ifname) == 0;
		if (seen || h->naddrs == HA_IFADDRS_MAX)
			continue;
		snprintf(h->addrs[h->naddrs].ifname,
		    sizeof(h->addrs[h->naddrs].ifname), "%s", gi.ifname);
		h->addrs[h->naddrs++].addr = gi.local;
	}
}

void
ha_send_hello(struct hasync *ha)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HA_M_HELLO;
	m.u.hello.version = HA_VERSION;
	snprintf(m.u.hello.node_id, sizeof(m.u.hello.node_id), "%s",
	    ha->ipc != NULL ? ipc_node_id(ha->ipc) : ha->hostname);
	m.u.hello.incarnation = ha->ipc != NULL ?
	    ipc_incarnation(ha->ipc) : 1;
	memcpy(m.u.hello.digest, ha->digest, HA_DIGEST_LEN);
	m.u.hello.rf_state = ha->rf.state;
	m.u.hello.partitioned_active = ha_split_alone_now(ha) ||
	    ha->active_unsynced;
	m.u.hello.stateful = ha->stateful;
	hello_addrs(ha, &m.u.hello);
	(void)ha_send(ha, IPC_STREAM_CONTROL, &m);
}

/* The BulkRequest of this node's last id, and the retry timer. */
static void
send_bulk_request(struct hasync *ha)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HA_M_BULK_REQUEST;
	m.u.bulk_request = ha->bulk_req_id;
	(void)ha_send(ha, IPC_STREAM_CONTROL, &m);
	ha->bulk = RF_BULK_REQUESTED;
	ha_timer_set(ha, HA_TIMER_RETRY, HA_RETRY_MS);
}

void
ha_request_bulk(struct hasync *ha)
{
	if (!ha->configured || !ha->chan_up || !ha->peer_hello ||
	    !ha->config_match || ha->role != RF_ROLE_STANDBY ||
	    ha->bulk == RF_BULK_RUNNING)
		return;
	/* one request at a time: the retry timer asks again if need be */
	if (ha->bulk == RF_BULK_REQUESTED)
		return;
	if (!ha->stateful) {
		/* nothing to sync: HOT as soon as the peer is known */
		ha->bulk = RF_BULK_DONE;
		ha_rf_update(ha, "stateless: nothing to sync");
		return;
	}
	RAND_bytes((uint8_t *)&ha->bulk_req_id, sizeof(ha->bulk_req_id));
	log_debug(LOG_HA, "asking the active for a snapshot");
	send_bulk_request(ha);
}

void
ha_retry_due(struct hasync *ha)
{
	/*
	 * No BulkBegin in HA_RETRY_MS: ask again with the same id.  An
	 * active that got the first request and is still sending that
	 * snapshot (behind what its send buffer held, on a slow or lossy
	 * link) lets it run; with a new id it would have started another
	 * one, and on a link slower than 2 s per snapshot never finished.
	 */
	if (ha->bulk == RF_BULK_REQUESTED) {
		log_debug(LOG_HA, "no snapshot yet: asking the active again");
		send_bulk_request(ha);
	}
}

/* ---- the channel's events ------------------------------------------------ */

static void
chan_up(void *arg, const struct ipc_peer *peer)
{
	struct hasync	*ha = arg;

	log_info(LOG_HA, "sync channel up with %s", peer->node_id);
	ha->chan_up = 1;
	ha->chan_up_us = ha_now_us(ha);
	ha->peer_hello = 0;
	ha->config_match = 0;
	ha->peer_rf = peer->role;
	ha->bulk = RF_BULK_NONE;
	ha_send_hello(ha);
}

static void
chan_down(void *arg, const char *reason)
{
	struct hasync	*ha = arg;
	char		 why[160];

	ha->chan_up = 0;
	ha->peer_hello = 0;
	ha->config_match = 0;
	ha->peer_rf = 0;
	ha_session_stop(ha);
	ha_state_drop(ha);
	if (ha->bulk == RF_BULK_RUNNING)
		log_warnx(LOG_HA, "snapshot interrupted: %u of %u ISAKMP, "
		    "%u of %u IKEv2 and %u of %u IPsec SAs received",
		    ha->bulk_got_isakmp, ha->bulk_expect.isakmp_sas,
		    ha->bulk_got_ike2, ha->bulk_expect.ikev2_sas,
		    ha->bulk_got_ipsec, ha->bulk_expect.ipsec_sas);
	ha->bulk = RF_BULK_NONE;
	ha_timer_stop(ha, HA_TIMER_RETRY);
	if (ha->role == RF_ROLE_ACTIVE)
		ha_split_alone(ha);
	ha_switchover_reset(ha, "the sync channel went down");
	snprintf(why, sizeof(why), "sync channel down: %s", reason);
	ha_rf_update(ha, why);
}

static void
hello_rx(struct hasync *ha, const struct ha_hello *h)
{
	int	 match = memcmp(h->digest, ha->digest, HA_DIGEST_LEN) == 0;

	if (ha->peer_hello && match == ha->config_match &&
	    h->incarnation == ha->peer.incarnation && h->stateful ==
	    ha->peer.stateful) {
		ha->peer = *h;
		return;		/* a repeat */
	}
	ha->peer = *h;
	ha->peer_hello = 1;
	ha->peer_rf = (uint8_t)h->rf_state;
	if (!match)
		log_warnx(LOG_HA, "peer %s has another crypto configuration "
		    "(digest differs): no state is synced and this node "
		    "cannot become STANDBY HOT until both are the same",
		    h->node_id);
	else if (!ha->config_match)
		log_info(LOG_HA, "peer %s (%s): crypto configuration matches",
		    h->node_id, rf_state_name((enum rf_state)h->rf_state));
	ha->config_match = match;
	ha_split_hello(ha, h->partitioned_active);
	if (h->rf_state == RF_ACTIVE)
		ha_split_both_active(ha);
	ha_rf_update(ha, match ? "peer hello" : "peer crypto configuration "
	    "differs");
	ha_split_brain_heal(ha);
	ha_request_bulk(ha);
}

static int
stream_ok(enum ipc_stream s, enum ha_msg_type t)
{
	switch (t) {
	case HA_M_HELLO:
	case HA_M_BULK_REQUEST:
	case HA_M_SW_REQUEST:
	case HA_M_SW_ACK:
	case HA_M_SESSION_END:
		return s == IPC_STREAM_CONTROL;
	case HA_M_COUNTERS:
		return s == IPC_STREAM_COUNTERS || s == IPC_STREAM_STATE;
	case HA_M_SW_DONE:
		/* behind the drain's counters, and its copies (switchover.c) */
		return s == IPC_STREAM_STATE || s == IPC_STREAM_CONTROL ||
		    s == IPC_STREAM_COUNTERS;
	default:
		return s == IPC_STREAM_STATE;
	}
}

/*
 * The active ended the session this node's snapshot belongs to (its state
 * queue for this node overflowed, records were dropped): what this node
 * holds is no longer kept current.  STANDBY COLD, and a new request.
 */
static void
session_end_rx(struct hasync *ha, uint64_t epoch)
{
	if (ha->role != RF_ROLE_STANDBY) {
		ha_drop(ha, HA_DROP_ROLE, "end of a sync session while not "
		    "standby");
		return;
	}
	if (ha->bulk == RF_BULK_NONE || epoch != ha->bulk_req_id) {
		ha_drop(ha, HA_DROP_STALE, "end of an earlier sync session");
		return;
	}
	log_warnx(LOG_HA, "the active ended the sync session (its state "
	    "queue for this node overflowed): asking for a new snapshot");
	ha_timer_stop(ha, HA_TIMER_RETRY);
	ha->bulk = RF_BULK_NONE;
	ha_rf_update(ha, "sync session ended by the active (state queue "
	    "overflow)");
	ha_request_bulk(ha);
}

struct dispatch {
	struct hasync	*ha;
	enum ipc_stream	 stream;
};

static void
dispatch(void *arg, const struct ha_msg *m)
{
	struct dispatch	*d = arg;
	struct hasync	*ha = d->ha;

	ha->st.rx_msgs[m->type]++;
	if (log_debug_enabled(LOG_HA))
		log_debug(LOG_HA, "received %s on %s%s", ha_msg_name(m->type),
		    ipc_stream_name(d->stream), m->type == HA_M_COUNTERS ?
		    (m->u.counters.sweep ? " (sweep)" : "") : "");
	if (!stream_ok(d->stream, m->type)) {
		ha_drop(ha, HA_DROP_STREAM, "%s on stream %s",
		    ha_msg_name(m->type), ipc_stream_name(d->stream));
		return;
	}
	if (m->type != HA_M_HELLO && !ha->peer_hello) {
		ha_drop(ha, HA_DROP_NO_SESSION, "%s before the peer's hello",
		    ha_msg_name(m->type));
		return;
	}
	switch (m->type) {
	case HA_M_HELLO:
		hello_rx(ha, &m->u.hello);
		break;
	case HA_M_BULK_REQUEST:
		if (!ha->config_match)
			ha_drop(ha, HA_DROP_CONFIG, "snapshot request from a "
			    "peer with another crypto configuration");
		else if (ha->role != RF_ROLE_ACTIVE)
			ha_drop(ha, HA_DROP_ROLE, "snapshot request while not "
			    "active");
		else if (ha->sw.state != HA_SW_IDLE) {
			/* served once the switchover is complete */
			ha->sw.deferred_bulk = 1;
			ha->sw.deferred_bulk_id = m->u.bulk_request;
		}
		else if (ha->session == HA_SESSION_SYNCING &&
		    ha->session_id == m->u.bulk_request) {
			/* asked again before our BulkBegin got there */
			ha->st.bulk_repeats++;
			log_debug(LOG_HA, "snapshot request repeated: the "
			    "snapshot for it is on its way");
		} else
			ha_session_start(ha, m->u.bulk_request);
		break;
	case HA_M_SW_REQUEST:
	case HA_M_SW_FINAL:
	case HA_M_SW_ACK:
	case HA_M_SW_DONE:
		ha_switchover_msg(ha, m);
		break;
	case HA_M_SESSION_END:
		session_end_rx(ha, m->u.session_end);
		break;
	default:
		if (m->type == HA_M_COUNTERS &&
		    ha_switchover_taking_over(ha)) {
			ha_switchover_msg(ha, m);
			break;
		}
		if (!ha->config_match) {
			ha_drop(ha, HA_DROP_CONFIG, "%s from a peer with "
			    "another crypto configuration",
			    ha_msg_name(m->type));
			break;
		}
		ha_apply(ha, d->stream, m);
		break;
	}
}

static void
chan_message(void *arg, enum ipc_stream s, const uint8_t *p, size_t len)
{
	struct hasync	*ha = arg;
	struct dispatch	 d;
	const char	*err;

	ha->st.rx_records++;
	ha->st.rx_bytes += len;
	if (ha->bulk == RF_BULK_RUNNING && s == IPC_STREAM_STATE)
		ha->bulk_bytes += len;
	d.ha = ha;
	d.stream = s;
	if (ha_msg_decode(p, len, dispatch, &d, &err) == -1)
		ha_drop(ha, HA_DROP_MALFORMED, "%zu bytes on stream %s: %s",
		    len, ipc_stream_name(s), err);
}

static void
chan_writable(void *arg, enum ipc_stream s)
{
	struct hasync	*ha = arg;

	if (s == IPC_STREAM_STATE)
		ha_state_pump(ha);
}

static void
chan_peer_role(void *arg, uint8_t role)
{
	struct hasync	*ha = arg;
	uint8_t		 old = ha->peer_rf;
	int		 sw_quiet = ha->sw.state == HA_SW_IDLE ||
			    ha->sw.state == HA_SW_REQUESTED;

	ha->peer_rf = role;
	if (old == role)
		return;
	log_info(LOG_HA, "peer redundancy state %s -> %s",
	    rf_state_name((enum rf_state)old),
	    rf_state_name((enum rf_state)role));
	if (role == RF_ACTIVE && ha->role == RF_ROLE_ACTIVE) {
		log_warnx(LOG_HA, "both nodes are ACTIVE: the election "
		    "decides");
		ha_split_both_active(ha);
	}
	/* a peer that is no standby has no use for our state */
	if (role != RF_STANDBY_COLD && role != RF_STANDBY_COLD_BULK &&
	    role != RF_STANDBY_HOT)
		ha_session_stop(ha);
	if (role == RF_ACTIVE && ha->role == RF_ROLE_STANDBY &&
	    (sw_quiet || ha->bulk == RF_BULK_NONE ||
	    ha->bulk == RF_BULK_REQUESTED)) {
		/*
		 * an earlier request found no active: ask this one now; a
		 * snapshot of an earlier active period is no longer kept
		 * current (the peer's session ended when it left ACTIVE),
		 * also while our switchover request waits for its answer.
		 * Not while a switchover runs here: the old active still
		 * drains what reaches it, and its state waits for the end.
		 */
		ha_timer_stop(ha, HA_TIMER_RETRY);
		ha->bulk = RF_BULK_NONE;
		if (sw_quiet)
			ha_rf_update(ha, "the peer became ACTIVE");
		ha_request_bulk(ha);
	}
	ha_split_brain_heal(ha);
}

const struct ipc_handlers ha_chan_handlers = {
	chan_up, chan_down, chan_message, chan_writable, chan_peer_role,
};

/* ---- life cycle ---------------------------------------------------------- */

/* The data plane's counter updates; its other events are ike's. */
static void
listen_esp(struct hasync *ha)
{
	struct esp_listener l;

	memset(&l, 0, sizeof(l));
	l.arg = ha;
	l.counter_update = ha_esp_counter_update;
	if (esp_add_listener(ha->esp, &l) == -1)
		fatalx(LOG_HA, "no room for another data plane listener");
}

struct hasync *
ha_create(const struct hasync_io *io, const struct config *cf,
    struct ike *ike, struct esp_backend *esp)
{
	struct hasync	*ha = xcalloc(1, sizeof(*ha));

	if (io->now_us == NULL || io->wall_ms == NULL ||
	    io->timer_set == NULL || io->timer_stop == NULL ||
	    io->handover == NULL || io->takeover == NULL)
		fatalx(LOG_HA, "the replication needs a clock, timers and the "
		    "election's handover");
	ha->io = *io;
	ha->ike = ike;
	ha->esp = esp;
	ha->sq_tail = &ha->sq_head;
	ha_table_init(&ha->t);
	read_config(ha, cf);
	rf_init(&ha->rf, ha_wall_ms(ha));
	/* the daemon made the node a standby (daemon/mod_hasync.c) */
	if (ha->configured && ike != NULL && esp != NULL) {
		listen_esp(ha);
		ha_listen_ike(ha);
	}
	return ha;
}

void
ha_receive(struct hasync *ha, enum ipc_stream s, const uint8_t *p,
    size_t len)
{
	chan_message(ha, s, p, len);
}

struct hasync *
hasync_new(struct ev_loop *loop, const struct hasync_io *io,
    const struct config *cf, struct ike *ike, struct esp_backend *esp,
    struct vrrp *vrrp, char *err, size_t errlen)
{
	struct hasync	*ha;
	struct vrrp_listener vl;

	if (hasync_configured(cf) &&
	    (ike == NULL || esp == NULL || vrrp == NULL))
		fatalx(LOG_HA, "the replication needs ike, esp and vrrp");
	ha = ha_create(io, cf, ike, esp);
	ha->loop = loop;
	ha->vrrp = vrrp;
	if (cf->ipc.line != 0 && (ha->ipc = ipc_new(loop, cf, &ha_chan_handlers, ha,
	    err, errlen)) == NULL) {
		hasync_free(ha);
		return NULL;
	}
	if (ha->configured) {
		memset(&vl, 0, sizeof(vl));
		vl.role = ha_vrrp_role;
		vl.arg = ha;
		if (vrrp_listen(vrrp, &vl) == -1)
			fatalx(LOG_HA, "no room for another VRRP listener");
		/* preemption is a planned switchover (switchover.c) */
		vrrp_hold_preempt(vrrp, 1);
		ha->started = 1;
		switch (vrrp_role(vrrp)) {
		case VRRP_ROLE_ACTIVE:
			ha_become_active(ha, "active at start", 0);
			break;
		case VRRP_ROLE_STANDBY:
			ha_vrrp_backup(ha, "election: startup");
			break;
		case VRRP_ROLE_INIT:
			break;
		}
		log_info(LOG_HA, "stateful failover %s, scheme standby %s",
		    ha->stateful ? "on (crypto map ... stateful)" :
		    "off (no crypto map is stateful: stateless failover)",
		    ha->scheme);
	}
	ha->started = 1;
	ha->role_since_ms = ha_now_ms(ha);
	ha_rf_update(ha, "started");
	return ha;
}

void
hasync_free(struct hasync *ha)
{
	if (ha == NULL)
		return;
	for (int i = 0; i < HA_NTIMERS; i++)
		ha_timer_stop(ha, (enum ha_timer)i);
	if (ha->vrrp != NULL)
		(void)vrrp_unlisten(ha->vrrp, ha);
	if (ha->ike != NULL && ha->configured)
		(void)ike_remove_listener(ha->ike, ha);
	if (ha->esp != NULL && ha->configured)
		(void)esp_remove_listener(ha->esp, ha);
	ipc_free(ha->ipc);
	ha_state_drop(ha);
	ha_table_clear(&ha->t);
	ha_rekey_clear(ha);
	ha_split_owed_clear(ha);
	free(ha->dirty);
	free(ha->scheme);
	free(ha->hostname);
	free(ha->maps);
	free(ha);
}

int
hasync_reload(struct hasync *ha, const struct config *cf, char *err,
    size_t errlen)
{
	uint8_t	 old[HA_DIGEST_LEN];
	int	 was = ha->configured;

	memcpy(old, ha->digest, sizeof(old));
	if (hasync_configured(cf) != was) {
		snprintf(err, errlen, "redundancy inter-device or the ipc "
		    "association was added or removed: restart havpnd");
		return -1;
	}
	if (ha->ipc != NULL && ipc_reload(ha->ipc, cf, err, errlen) == -1)
		return -1;
	read_config(ha, cf);
	if (memcmp(old, ha->digest, sizeof(old)) != 0) {
		log_info(LOG_HA, "crypto configuration changed: telling the "
		    "peer");
		if (ha->peer_hello)
			ha->config_match = memcmp(ha->peer.digest, ha->digest,
			    HA_DIGEST_LEN) == 0;
		if (ha->chan_up)
			ha_send_hello(ha);
		ha_rf_update(ha, "configuration reloaded");
		ha_request_bulk(ha);
	}
	return 0;
}

struct ipc *
hasync_ipc(struct hasync *ha)
{
	return ha != NULL ? ha->ipc : NULL;
}

void
ha_history_add(struct hasync *ha, const char *what, const char *reason,
    uint64_t duration_us, uint32_t sas, uint32_t rekeyed, uint32_t exact)
{
	struct ha_event	*e = &ha->hist[ha->hnext];

	memset(e, 0, sizeof(*e));
	e->wall_ms = ha_wall_ms(ha);
	snprintf(e->what, sizeof(e->what), "%s", what);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->duration_us = duration_us;
	e->sas = sas;
	e->rekeyed = rekeyed;
	e->exact = exact;
	ha->hnext = (ha->hnext + 1) % HA_HISTORY;
	if (ha->nhist < HA_HISTORY)
		ha->nhist++;
}
