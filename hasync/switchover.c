/*
 * Planned switchover: the VIPs and every tunnel move to the standby with
 * no packet lost and no sequence number sent twice (docs/hasync.md,
 * "Planned switchover").
 *
 * The rule that makes it safe: on every SA, exactly one node sends at any
 * time, and the new active starts where the old one stopped.  The old
 * active cannot stop at once (the inside hosts keep sending to its MAC
 * until the new active's gratuitous ARP reaches them), so it is the new
 * active that waits:
 *
 *   old active (A)                          standby (B)
 *   ------------------------------------    ---------------------------------
 *   (operator on A)                         IDLE
 *   CHECKING
 *   Request, ready_check       --CONTROL->  STANDBY HOT, nothing under way?
 *                              <-CONTROL--  Ack (accepted, or why not)
 *   (or B's SwitchoverRequest:              REQUESTED)
 *   HANDED_OVER
 *   IKE stops starting exchanges
 *   exact counters, Final      ---STATE-->  counters noted exactly
 *   vrrp_handover: priority 0,              WAIT_DRAIN
 *   VIPs kept; A is standby,                outbound HOLD: inside
 *   but keeps encrypting what               packets wait in the TUN queue;
 *   still reaches it (stragglers,           vrrp_takeover: role callback
 *   sent from the moved VIP with            (SAs continue from the exact
 *   IP_TRANSPARENT) and decrypting          counters, IKE active), VIPs,
 *   what still arrives                      gratuitous ARP
 *                              <--CONTROL-- Ack
 *   (or B's advert, heard first: it holds
 *   the VIPs; a late Ack is then ignored)
 *   VIPs removed (vrrp_release_vips)
 *   DRAINING
 *   once its TUN queue has been
 *   quiet for 30 ms (at most
 *   500 ms): outbound DROP,
 *   exact counters, Done (their ---STATE--> counters set exactly; if Done's
 *   number)                                 number is the number that
 *   IDLE                                    arrived, outbound SEND: the
 *                                           held packets go out, each SA
 *                                           continuing from A's last
 *                                           number; IDLE
 *   Done again, 20 ms later    --CONTROL->  (a copy after Done: ignored)
 *   and 40 ms later again      -COUNTERS->
 *
 * The ready check comes first because the channel can be silent before it
 * is declared down (heartbeats every 500 ms, down after 2 s): an operator
 * asking A in that window must get a refusal, not a handover to a standby
 * that cannot hear the Final.  Until B's Ack arrives A has changed nothing;
 * with no Ack in SW_CHECK_WAIT_MS, or the channel going down meanwhile, the
 * switchover is refused and A keeps every SA, the VIPs and IKE.
 *
 * Inbound: a packet reaches exactly one node.  A keeps the VIPs until B's
 * Ack says B holds them (B adds them before it answers), so a packet sent
 * to a VIP always finds a node that holds it: before, A removed them at
 * the Final and what reached A in the one sync-link delay before B added
 * them was lost (the soak found it: 20 packets at 20 ms).  After the Ack,
 * A forwards what still arrives for a VIP to B (ARP).  Both holding a VIP
 * for that moment is harmless: B's gratuitous ARP has moved the
 * neighbours, and an ARP answer from A then still reaches a node that
 * forwards to B.
 * If Done never comes (A died), or announces more or fewer counters than
 * arrived, B jumps from the counters it holds as for a failover (the drain
 * is bounded in time) and sends.  A node that handed
 * over does not preempt back by itself.
 *
 * A Final lost once on the sync link comes after A's priority 0 has made
 * B's election take over: B, which accepted the check (or asked), takes
 * the VIPs but holds its outbound as above (WAIT_FINAL) until the Final
 * (then WAIT_DRAIN), Done's copy (counters jumped) or SW_DONE_WAIT_MS
 * (ha_switchover_elected).
 *
 * Preemption: a STANDBY HOT node that "standby GRP preempt" and its
 * priority would make active asks the active for a switchover instead of
 * letting VRRP preempt (which would leave two senders for a moment and
 * drop the stragglers); vrrp's own preemption is held (vrrp_hold_preempt).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#include <openssl/rand.h>

#include "hasync/ha_int.h"

#define SW_POLL_MS		10
#define SW_DRAIN_IDLE_MS	30	/* old active: TUN quiet after ack */
#define SW_DRAIN_MAX_MS		500
#define SW_DONE_WAIT_MS		800	/* new active: Done, or jump */
#define SW_REQUEST_WAIT_MS	3000	/* the standby that asked */
#define SW_DONE_COPY_MS		20	/* Done again, on the control stream,
					   then 40 ms later on the counters
					   stream */
#define SW_CHECK_WAIT_MS	1000	/* the active: the standby's answer
					   (said as "1 s" in the refusal) */
#define SW_EXPECT_MS		2000	/* the standby: the Final is due
					   after its accepting Ack */

/* The VIPs the handover kept go: the new active holds them, or no one will. */
static void
release_vips(struct hasync *ha)
{
	if (ha->io.release != NULL)
		ha->io.release(ha->io.arg);
}

static void
sw_timer(struct hasync *ha, uint64_t ms)
{
	ha_timer_set(ha, HA_TIMER_SWITCHOVER, ms);
}

static void
outbound(struct hasync *ha, enum esp_outbound mode)
{
	if (ha->esp->ops->set_outbound != NULL)
		(void)ha->esp->ops->set_outbound(ha->esp, mode);
}

static uint64_t
tun_in(struct hasync *ha)
{
	struct esp_engine_stats st;

	memset(&st, 0, sizeof(st));
	if (ha->esp->ops->get_stats != NULL)
		(void)ha->esp->ops->get_stats(ha->esp, &st);
	return st.tun_in;
}

static void
send_ack(struct hasync *ha, uint64_t id, int accepted, const char *reason)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = HA_M_SW_ACK;
	m.u.sw.id = id;
	m.u.sw.accepted = accepted;
	snprintf(m.u.sw.reason, sizeof(m.u.sw.reason), "%.120s", reason);
	(void)ha_send(ha, IPC_STREAM_CONTROL, &m);
}

static void
send_marker(struct hasync *ha, enum ha_msg_type t, uint32_t n)
{
	struct ha_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = t;
	m.u.sw.id = ha->sw.id;
	m.u.sw.counters = n;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
}

/* ---- the old active ------------------------------------------------------ */

/* A switchover step starts: its state, id, force and reason. */
static void
sw_begin(struct hasync *ha, enum ha_sw_state st, uint64_t id, int force,
    const char *reason)
{
	/* the ready check hands over with the reason it already holds */
	if (reason != ha->sw.reason) {
		memset(&ha->sw.reason, 0, sizeof(ha->sw.reason));
		snprintf(ha->sw.reason, sizeof(ha->sw.reason), "%s", reason);
	}
	ha->sw.state = st;
	ha->sw.id = id;
	ha->sw.force = force;
	ha->sw.done_copy = 0;
	ha->sw.started_us = ha_now_us(ha);
}

static int
handover(struct hasync *ha, uint64_t id, int force, const char *reason,
    char *err, size_t errlen)
{
	uint32_t	 n;

	if (ha->session == HA_SESSION_NONE && !force) {
		snprintf(err, errlen, "the standby holds no snapshot yet");
		return -1;
	}
	sw_begin(ha, HA_SW_HANDED_OVER, id, force, reason);
	ha->sw.ack_us = 0;
	ha->sw.last_tun_us = ha->sw.started_us;
	ha->sw.tun_in = tun_in(ha);
	ha->sw.drained = 0;
	/* no new exchange from now on; what is in flight the peer resends */
	ike_set_active(ha->ike, 0);
	n = ha_send_exact_counters(ha);
	send_marker(ha, HA_M_SW_FINAL, n);
	log_info(LOG_HA, "planned switchover (%s): %u exact counters sent, "
	    "handing the VIPs over", reason, n);
	if (ha->io.handover(ha->io.arg) == -1) {
		/* the election has no Active group: nothing to hand over */
		ha->sw.state = HA_SW_IDLE;
		ike_set_active(ha->ike, ha->role == RF_ROLE_ACTIVE);
		snprintf(err, errlen, "this node is not active in the "
		    "election");
		return -1;
	}
	/* the role callback made us standby; the data plane still sends */
	ha->sw.no_auto_preempt = 1;
	sw_timer(ha, SW_POLL_MS);
	return 0;
}

static void
drain_end(struct hasync *ha, const char *how)
{
	uint64_t	 dur = ha_now_us(ha) - ha->sw.started_us;
	uint32_t	 n;
	char		 why[320];

	release_vips(ha);
	outbound(ha, ESP_OUTBOUND_DROP);
	n = ha_send_exact_counters(ha);
	send_marker(ha, HA_M_SW_DONE, n);
	/*
	 * Done lost on the sync link would hold the new active's outbound
	 * traffic until SCTP resends it (300 ms at least) or its own limit;
	 * a copy on the control stream a moment later (not in the same
	 * packet) gets through on its own.  A copy before the counters makes
	 * the new active jump them, which is safe: this node sends nothing
	 * from now on.  A second copy on the counters stream: with the copy
	 * lost as well (the soak, at 3 % loss) the new active waited for the
	 * state stream's retransmission (259 ms) and part of the burst
	 * that followed was lost at the peer.  Each stream is ordered,
	 * so a second copy on the control stream would wait behind the
	 * first; the streams do not wait for each other.
	 */
	ha->sw.done_copy = 2;
	ha->sw.done_n = n;
	sw_timer(ha, SW_DONE_COPY_MS);
	ha->sw.state = HA_SW_IDLE;
	ha->sw.done++;
	snprintf(ha->sw.result, sizeof(ha->sw.result), "handed over (%s): "
	    "%llu packets sent after the VIPs moved, %s",
	    ha->sw.reason, (unsigned long long)ha->sw.drained, how);
	snprintf(why, sizeof(why), "handed over (%s); %llu queued packets "
	    "sent after the VIPs moved; %s", ha->sw.reason,
	    (unsigned long long)ha->sw.drained, how);
	/* counted in pairs, as on the new active: their outbound exact */
	ha_history_add(ha, "switchover", why, dur, (uint32_t)ha->t.npairs, 0,
	    (uint32_t)ha->t.npairs);
	log_info(LOG_HA, "planned switchover: %s (%u exact counters) in %llu "
	    "ms", why, n,
	    (unsigned long long)(dur / 1000));
	ha_request_bulk(ha);
}

static void
drain_poll(struct hasync *ha)
{
	uint64_t	 now = ha_now_us(ha), t = tun_in(ha);
	uint64_t	 quiet_from;

	if (ha->sw.state == HA_SW_HANDED_OVER && ha->io.peer_active != NULL &&
	    ha->io.peer_active(ha->io.arg)) {
		/*
		 * The new active advertises: it holds the VIPs.  Its Ack
		 * may be late on the sync link (a loss waits for SCTP's
		 * retransmission); waiting for it held the new active's
		 * outbound traffic until the drain's limit (the soak lost
		 * 251 packets at 1000 pps that way).
		 */
		log_info(LOG_HA, "planned switchover: the new active "
		    "advertises; its Ack not needed");
		release_vips(ha);
		ha->sw.state = HA_SW_DRAINING;
		ha->sw.ack_us = now;
	}

	if (t != ha->sw.tun_in) {
		ha->sw.drained += t - ha->sw.tun_in;
		ha->sw.tun_in = t;
		ha->sw.last_tun_us = now;
	}
	quiet_from = ha->sw.last_tun_us > ha->sw.ack_us ? ha->sw.last_tun_us :
	    ha->sw.ack_us;
	if (ha->sw.state == HA_SW_DRAINING &&
	    now - quiet_from >= SW_DRAIN_IDLE_MS * 1000ULL) {
		drain_end(ha, "queue drained");
		return;
	}
	if (now - ha->sw.started_us >= SW_DRAIN_MAX_MS * 1000ULL) {
		drain_end(ha, ha->sw.state == HA_SW_DRAINING ?
		    "drain time limit" : "no acknowledgement from the peer");
		return;
	}
	sw_timer(ha, SW_POLL_MS);
}

/* ---- the new active ------------------------------------------------------ */

/*
 * The old active may have sent more after its Final counters on every SA
 * whose counter after the drain did not arrive (no Done, or Done but the
 * SA was not among its counters): continue beyond every number it may
 * use (esp/seq.c), or rekey.  Exactness is per SA: a Done whose count
 * matches says nothing of an SA it did not list.
 */
static void
resume(struct hasync *ha, int exact, const char *how)
{
	uint64_t	 dur = ha_now_us(ha) - ha->sw.started_us;
	uint32_t	 n = 0, nrekey = 0, nexact = 0;
	char		 why[320], partly[80] = "";

	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next) {
		uint64_t seq;

		if (exact && p->drain_exact) {
			nexact++;
			continue;
		}
		if (ha->esp->ops->continue_out(ha->esp, p->conn_out,
		    p->out.seq, &seq) == 0)
			n++;
		else if (ike_rekey_ipsec(ha->ike, p->conn_in, 1) == 0)
			nrekey++;
	}
	if (exact && n + nrekey > 0) {
		snprintf(partly, sizeof(partly), ", but %u SAs had no final "
		    "counter: counters jumped", n + nrekey);
		exact = 0;
	}
	outbound(ha, ESP_OUTBOUND_SEND);
	ha->sw.state = HA_SW_IDLE;
	ha->sw.done++;
	snprintf(ha->sw.result, sizeof(ha->sw.result), "took over (%s): %s%s",
	    ha->sw.reason, how, partly);
	snprintf(why, sizeof(why), "took over (%s): %s%s", ha->sw.reason, how,
	    partly);
	ha_history_add(ha, "switchover", why, dur, (uint32_t)ha->t.npairs,
	    nrekey, nexact);
	if (!exact)
		log_warnx(LOG_HA, "planned switchover: %s%s; %u outbound "
		    "counters jumped, %u rekeyed", how, partly, n, nrekey);
	else
		log_info(LOG_HA, "planned switchover complete: outbound "
		    "resumed after %llu ms, every SA continues from the old "
		    "active's last sequence number",
		    (unsigned long long)(dur / 1000));
	/* the old active asked for its snapshot meanwhile */
	if (ha->sw.deferred_bulk && ha->chan_up &&
	    ha->role == RF_ROLE_ACTIVE) {
		ha->sw.deferred_bulk = 0;
		ha_session_start(ha, ha->sw.deferred_bulk_id);
	}
	ha->sw.deferred_bulk = 0;
}

int
ha_switchover_taking_over(const struct hasync *ha)
{
	return ha->sw.state == HA_SW_WAIT_DRAIN ||
	    ha->sw.state == HA_SW_WAIT_FINAL;
}

/*
 * Every SA without its exact counter can continue beyond the old active's
 * numbers (resume): none would be rekeyed.  An SA no longer in the data
 * plane has nothing to continue.
 */
static int
jumps_fit(struct hasync *ha)
{
	struct esp_replay_state r;

	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		if (!p->drain_exact && ha->esp->ops->continue_out(ha->esp,
		    p->conn_out, p->out.seq, NULL) == -1 &&
		    ha->esp->ops->get_replay(ha->esp, p->conn_out, &r) == 0)
			return 0;
	return 1;
}

/* The new active's outbound waits for the old active's end from now on. */
static void
wait_drain(struct hasync *ha)
{
	ha->sw.state = HA_SW_WAIT_DRAIN;
	ha->sw.done_rx = 0;
	ha->sw.counters_rx = 0;
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		p->drain_exact = 0;
}

static void
final_rx(struct hasync *ha, const struct ha_switchover *f)
{
	ha->sw.expect_until_us = 0;
	if (ha->sw.state == HA_SW_WAIT_FINAL && f->id == ha->sw.id) {
		/* elected before it came: from now on as if it came first */
		wait_drain(ha);
		log_info(LOG_HA, "planned switchover: the Final came after "
		    "the election made this node active; outbound still "
		    "held until the old active drained");
		send_ack(ha, f->id, 1, "");
		return;
	}
	if (ha->role == RF_ROLE_ACTIVE && f->id == ha->sw.id &&
	    ha->sw.done_rx)
		return;		/* late: its Done came first, all is done */
	if (ha->role != RF_ROLE_STANDBY) {
		send_ack(ha, f->id, 0, "not standby");
		return;
	}
	wait_drain(ha);
	ha->sw.id = f->id;
	ha->sw.started_us = ha_now_us(ha);
	if (ha->sw.reason[0] == '\0')
		snprintf(ha->sw.reason, sizeof(ha->sw.reason), "asked by the "
		    "active");
	/* hold the inside traffic: the old active still sends for a moment */
	outbound(ha, ESP_OUTBOUND_HOLD);
	if (ha->io.takeover(ha->io.arg) == -1) {
		outbound(ha, ESP_OUTBOUND_DROP);
		ha->sw.state = HA_SW_IDLE;
		ha->sw.refused++;
		snprintf(ha->sw.result, sizeof(ha->sw.result), "refused: the "
		    "election cannot take over here (link or track down)");
		send_ack(ha, f->id, 0, "the election cannot take over (a link "
		    "or track is down)");
		return;
	}
	ha->sw.no_auto_preempt = 0;
	send_ack(ha, f->id, 1, "");
	sw_timer(ha, SW_DONE_WAIT_MS);
}

/* The old active's final counters: continue exactly from them. */
static void
final_counters(struct hasync *ha, const struct ha_counters *c)
{
	struct esp_replay_state r;

	ha->sw.counters_rx += (uint32_t)c->n;
	for (int i = 0; i < c->n; i++) {
		struct ha_pair *p = ha_pair_find(&ha->t, c->v[i].conn_id);

		if (p == NULL || c->v[i].conn_id != p->conn_out)
			continue;	/* inbound is ours now */
		ctr_observe(&p->out, c->v[i].r.seq_out, ha_now_ms(ha));
		p->drain_exact = 1;
		memset(&r, 0, sizeof(r));
		r.seq_out = c->v[i].r.seq_out;
		(void)ha->esp->ops->set_replay(ha->esp, p->conn_out, &r);
		ha_apply_traffic(ha, p->conn_out, &c->v[i]);
	}
}

/* ---- the ready check (the old active, before anything changes) ---------- */

static int	forced_handover(struct hasync *, const char *, char *, size_t);

static int
ready_check(struct hasync *ha, uint64_t id, int force, const char *reason,
    char *err, size_t errlen)
{
	struct ha_msg	 m;

	if (ha->session == HA_SESSION_NONE && !force) {
		snprintf(err, errlen, "the standby holds no snapshot yet");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.type = HA_M_SW_REQUEST;
	m.u.sw.id = id;
	m.u.sw.force = force;
	m.u.sw.ready_check = 1;
	snprintf(m.u.sw.reason, sizeof(m.u.sw.reason), "%s", reason);
	if (ha_send(ha, IPC_STREAM_CONTROL, &m) == -1) {
		snprintf(err, errlen, "the peer is not reachable over the sync "
		    "channel (the check could not be sent)");
		return -1;
	}
	sw_begin(ha, HA_SW_CHECKING, id, force, reason);
	sw_timer(ha, SW_CHECK_WAIT_MS);
	return 0;
}

/* The check ended without a handover: nothing was changed. */
static void
check_refused(struct hasync *ha, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[200];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
	ha->sw.state = HA_SW_IDLE;
	ha->sw.refused++;
	snprintf(ha->sw.result, sizeof(ha->sw.result), "refused: %s; this "
	    "node stays active with every SA", why);
	log_warnx(LOG_HA, "switchover %s", ha->sw.result);
	/* a snapshot asked for meanwhile waited for the switchover */
	if (ha->sw.deferred_bulk && ha->chan_up &&
	    ha->role == RF_ROLE_ACTIVE)
		ha_session_start(ha, ha->sw.deferred_bulk_id);
	ha->sw.deferred_bulk = 0;
}

static void
check_answered(struct hasync *ha, const struct ha_switchover *a)
{
	char	 err[160];

	if (!a->accepted) {
		check_refused(ha, "the standby says: %s", a->reason);
		return;
	}
	if (ha->role != RF_ROLE_ACTIVE) {
		check_refused(ha, "this node is no longer active");
		return;
	}
	ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
	ha->sw.state = HA_SW_IDLE;
	if (handover(ha, ha->sw.id, ha->sw.force, ha->sw.reason, err,
	    sizeof(err)) == -1)
		check_refused(ha, "%s", err);
}

/*
 * No answer, or the channel went down: refused, unless forced, where the
 * node steps down for the election as a forced switchover with no channel
 * does.
 */
static void
check_unanswered(struct hasync *ha, const char *why)
{
	char	 reason[HA_REASON_MAX + 1], err[160];

	if (!ha->sw.force) {
		check_refused(ha, "the peer is not reachable over the sync "
		    "channel (%s)", why);
		return;
	}
	snprintf(reason, sizeof(reason), "%s", ha->sw.reason);
	ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
	ha->sw.state = HA_SW_IDLE;
	if (forced_handover(ha, reason, err, sizeof(err)) == -1)
		check_refused(ha, "%s", err);
}

/* The standby's side of the check: could it take over now? */
static void
check_rx(struct hasync *ha, const struct ha_switchover *q)
{
	if (ha->role != RF_ROLE_STANDBY)
		send_ack(ha, q->id, 0, "not standby");
	else if (ha->sw.state != HA_SW_IDLE)
		send_ack(ha, q->id, 0, "a switchover is under way");
	else if (ha->rf.state != RF_STANDBY_HOT && !q->force)
		send_ack(ha, q->id, 0, "not STANDBY HOT");
	else {
		/* the Final follows (ha_switchover_elected) */
		ha->sw.expect_id = q->id;
		ha->sw.expect_until_us = ha_now_us(ha) + SW_EXPECT_MS * 1000ULL;
		snprintf(ha->sw.reason, sizeof(ha->sw.reason), "asked by the "
		    "active");
		send_ack(ha, q->id, 1, "");
	}
}

/*
 * The election made this standby active (the old active's priority 0)
 * while the Final of a switchover it accepted or asked for had not come:
 * lost once on the sync link, the Final waits for SCTP's retransmission,
 * and the priority-0 advert that left at the same moment arrived first.
 * The old active still sends from its own numbers until it hears this
 * node's advert and its queue is quiet, so sending now, from numbers
 * jumped beyond its counters, would put its last packets below ours at
 * the peer (the soak lost one that way).  Hold outbound as for the Final
 * and wait for it, its Done, or SW_DONE_WAIT_MS; the VIPs and the
 * election are taken at once, so there is never a moment with no Active
 * router.
 */
void
ha_switchover_elected(struct hasync *ha)
{
	uint64_t	 now = ha_now_us(ha);

	if (ha->role != RF_ROLE_STANDBY)
		return;
	if (ha->sw.state == HA_SW_IDLE && ha->sw.expect_until_us > now)
		ha->sw.id = ha->sw.expect_id;
	else if (ha->sw.state != HA_SW_REQUESTED)
		return;
	ha->sw.expect_until_us = 0;
	wait_drain(ha);
	ha->sw.state = HA_SW_WAIT_FINAL;
	ha->sw.started_us = now;
	sw_timer(ha, SW_DONE_WAIT_MS);
	log_info(LOG_HA, "planned switchover: elected before the old "
	    "active's Final came; outbound held until it drained (at most "
	    "%d ms)", SW_DONE_WAIT_MS);
}

/*
 * --force without a usable channel: no drain is possible.  Step down; the
 * peer's election takes over with whatever state it holds (a standby that
 * is not STANDBY HOT rekeys every SA, takeover.c).
 */
static int
forced_handover(struct hasync *ha, const char *reason, char *err,
    size_t errlen)
{
	char	 why[HA_REASON_MAX + 64];

	if (ha->io.handover(ha->io.arg) == -1) {
		snprintf(err, errlen, "this node is not active in the "
		    "election");
		return -1;
	}
	/* no peer takes the VIPs over now: its election will, in time */
	release_vips(ha);
	ha->sw.no_auto_preempt = 1;
	ha->sw.done++;
	snprintf(why, sizeof(why), "%s: no sync with the peer, stepped down "
	    "for the election", reason);
	snprintf(ha->sw.result, sizeof(ha->sw.result), "%s", why);
	ha_history_add(ha, "switchover", why, 0, (uint32_t)ha->t.npairs, 0,
	    0);
	log_warnx(LOG_HA, "forced switchover: %s", why);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

/*
 * The rekeys a split brain's end owes are not replicated: a new active
 * would continue those pairs from this node's exact counters, below the
 * numbers the other node sent while both were active (fuzz_hasync_pair,
 * tests/fuzz/corpus/hasync_pair/split-heal-then-switchover).  Until each
 * is replaced, no planned switchover, forced or not; 0 if none is owed.
 */
static int
owed_refusal(struct hasync *ha, const char *prefix, char *err, size_t errlen)
{
	size_t	 n = ha_split_rekeys_owed(ha);

	if (n == 0)
		return 0;
	snprintf(err, errlen, "%s%zu IPsec SA pairs are still being rekeyed "
	    "after a split brain; try again once the peers have answered",
	    prefix, n);
	return -1;
}

int
ha_switchover_start(struct hasync *ha, int force, const char *reason,
    char *err, size_t errlen)
{
	struct ha_msg	 m;
	uint64_t	 id;

	if (!ha->configured) {
		snprintf(err, errlen, "redundancy inter-device is not "
		    "configured");
		return -1;
	}
	if (ha->sw.state != HA_SW_IDLE) {
		snprintf(err, errlen, "a switchover is under way");
		return -1;
	}
	if (force && ha->role == RF_ROLE_ACTIVE &&
	    (!ha->chan_up || !ha->peer_hello || !ha->config_match))
		return forced_handover(ha, reason, err, errlen);
	if (!ha->chan_up || !ha->peer_hello) {
		snprintf(err, errlen, "the peer is not reachable over the sync "
		    "channel");
		return -1;
	}
	if (!ha->config_match) {
		snprintf(err, errlen, "the peer's crypto configuration "
		    "differs");
		return -1;
	}
	RAND_bytes((uint8_t *)&id, sizeof(id));
	if (ha->role == RF_ROLE_ACTIVE) {
		if (owed_refusal(ha, "refused: ", err, errlen) == -1)
			return -1;
		if (ha->peer_rf != RF_STANDBY_HOT && !force) {
			snprintf(err, errlen, "refused: the peer is %s, not "
			    "STANDBY HOT (--force overrides)",
			    rf_state_name((enum rf_state)ha->peer_rf));
			return -1;
		}
		return ready_check(ha, id, force, reason, err, errlen);
	}
	if (ha->role != RF_ROLE_STANDBY) {
		snprintf(err, errlen, "this node is %s",
		    rf_state_name(ha->rf.state));
		return -1;
	}
	if (ha->rf.state != RF_STANDBY_HOT && !force) {
		snprintf(err, errlen, "refused: this node is %s, not STANDBY "
		    "HOT (--force overrides)", rf_state_name(ha->rf.state));
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.type = HA_M_SW_REQUEST;
	m.u.sw.id = id;
	m.u.sw.force = force;
	snprintf(m.u.sw.reason, sizeof(m.u.sw.reason), "%s", reason);
	if (ha_send(ha, IPC_STREAM_CONTROL, &m) == -1) {
		snprintf(err, errlen, "the request could not be sent");
		return -1;
	}
	ha->sw.state = HA_SW_REQUESTED;
	ha->sw.id = id;
	ha->sw.started_us = ha_now_us(ha);
	snprintf(ha->sw.reason, sizeof(ha->sw.reason), "%s", reason);
	sw_timer(ha, SW_REQUEST_WAIT_MS);
	return 0;
}

int
hasync_switchover(struct hasync *ha, int force, char *err, size_t errlen)
{
	return ha_switchover_start(ha, force, force ?
	    "redundancy switchover --force" : "redundancy switchover", err,
	    errlen);
}

void
ha_switchover_msg(struct hasync *ha, const struct ha_msg *m)
{
	char	 err[160], why[HA_REASON_MAX + 40];

	switch (m->type) {
	case HA_M_SW_REQUEST:
		if (m->u.sw.ready_check) {
			check_rx(ha, &m->u.sw);
			break;
		}
		snprintf(why, sizeof(why), "asked by the standby: %s",
		    m->u.sw.reason[0] != '\0' ? m->u.sw.reason : "switchover");
		if (ha->role != RF_ROLE_ACTIVE)
			send_ack(ha, m->u.sw.id, 0, "not active");
		else if (ha->sw.state != HA_SW_IDLE)
			send_ack(ha, m->u.sw.id, 0, "a switchover is under "
			    "way");
		else if (ha->peer_rf != RF_STANDBY_HOT && !m->u.sw.force)
			send_ack(ha, m->u.sw.id, 0, "the standby is not "
			    "STANDBY HOT here");
		else if (owed_refusal(ha, "", err, sizeof(err)) == -1)
			send_ack(ha, m->u.sw.id, 0, err);
		else if (handover(ha, m->u.sw.id, m->u.sw.force, why, err,
		    sizeof(err)) == -1)
			send_ack(ha, m->u.sw.id, 0, err);
		break;
	case HA_M_SW_FINAL:
		final_rx(ha, &m->u.sw);
		break;
	case HA_M_SW_ACK:
		if (ha->sw.state == HA_SW_CHECKING && m->u.sw.id == ha->sw.id)
			check_answered(ha, &m->u.sw);
		else if (ha->sw.state == HA_SW_HANDED_OVER &&
		    m->u.sw.id == ha->sw.id) {
			if (m->u.sw.accepted) {
				/* it added the VIPs before it answered */
				release_vips(ha);
				ha->sw.state = HA_SW_DRAINING;
				ha->sw.ack_us = ha_now_us(ha);
			} else {
				log_warnx(LOG_HA, "switchover refused by the "
				    "peer: %s", m->u.sw.reason);
				drain_end(ha, "the peer refused");
			}
		} else if ((ha->sw.state == HA_SW_DRAINING ||
		    ha->sw.state == HA_SW_IDLE) && m->u.sw.id == ha->sw.id &&
		    ha->sw.ack_us != 0) {
			/* late: the new active's advert stood for it */
		} else if (ha->sw.state == HA_SW_REQUESTED &&
		    m->u.sw.id == ha->sw.id && !m->u.sw.accepted) {
			ha->sw.state = HA_SW_IDLE;
			ha->sw.refused++;
			ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
			snprintf(ha->sw.result, sizeof(ha->sw.result),
			    "refused by the active: %s", m->u.sw.reason);
			log_warnx(LOG_HA, "switchover %s", ha->sw.result);
		} else
			ha_drop(ha, HA_DROP_STALE, "acknowledgement of another "
			    "switchover");
		break;
	case HA_M_COUNTERS:
		/* in WAIT_FINAL the Final's own: its arrival resets them */
		if (ha_switchover_taking_over(ha))
			final_counters(ha, &m->u.counters);
		else
			ha_drop(ha, HA_DROP_ROLE, "counters while active");
		break;
	case HA_M_SW_DONE:
		if (ha->sw.state == HA_SW_IDLE && m->u.sw.id == ha->sw.id &&
		    ha->sw.done_rx)
			;	/* Done's copy, or Done after its copy */
		else if (!ha_switchover_taking_over(ha) ||
		    m->u.sw.id != ha->sw.id)
			ha_drop(ha, HA_DROP_STALE, "end of another switchover");
		else if (ha->sw.state == HA_SW_WAIT_DRAIN &&
		    m->u.sw.counters == ha->sw.counters_rx) {
			ha->sw.done_rx = 1;
			ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
			resume(ha, 1, "the old active drained its queue");
		} else if (!jumps_fit(ha))
			/*
			 * Done's copy overtook the Final or the drain's
			 * counters (on the state stream, behind a loss), and
			 * without them some SA would be rekeyed.  They come
			 * with SCTP's retransmission, Done again behind them:
			 * hold for them, until the limit (sw_timer).
			 */
			log_info(LOG_HA, "planned switchover: Done came before "
			    "the exact counters, and a jump would leave an SA "
			    "too little sequence space: outbound held for "
			    "them");
		else if (ha->sw.state == HA_SW_WAIT_FINAL) {
			/* its copy overtook the Final: the old active sends
			 * nothing more, but the drain's counters are behind */
			ha->sw.done_rx = 1;
			ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
			resume(ha, 0, "Done came before the Final: counters "
			    "jumped");
		} else {
			/* the exact counters are not all here: not exact */
			ha->sw.done_rx = 1;
			ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
			snprintf(why, sizeof(why), "Done announced %u exact "
			    "counters, %u arrived: counters jumped",
			    m->u.sw.counters, ha->sw.counters_rx);
			resume(ha, 0, why);
		}
		break;
	default:
		break;
	}
}

void
ha_switchover_due(struct hasync *ha)
{
	switch (ha->sw.state) {
	case HA_SW_CHECKING:
		check_unanswered(ha, "no answer in 1 s");
		break;
	case HA_SW_HANDED_OVER:
	case HA_SW_DRAINING:
		drain_poll(ha);
		break;
	case HA_SW_WAIT_DRAIN:
		resume(ha, 0, "no word from the old active: counters jumped");
		break;
	case HA_SW_WAIT_FINAL:
		resume(ha, 0, "elected, and no Final from the old active: "
		    "counters jumped");
		break;
	case HA_SW_REQUESTED:
		ha->sw.state = HA_SW_IDLE;
		ha->sw.refused++;	/* havpnctl reports it as refused */
		snprintf(ha->sw.result, sizeof(ha->sw.result), "the active did "
		    "not answer the request");
		log_warnx(LOG_HA, "switchover: %s", ha->sw.result);
		break;
	case HA_SW_IDLE:
		if (ha->sw.done_copy > 0) {
			struct ha_msg	 m;

			memset(&m, 0, sizeof(m));
			m.type = HA_M_SW_DONE;
			m.u.sw.id = ha->sw.id;
			m.u.sw.counters = ha->sw.done_n;
			(void)ha_send(ha, ha->sw.done_copy == 2 ?
			    IPC_STREAM_CONTROL : IPC_STREAM_COUNTERS, &m);
			if (--ha->sw.done_copy > 0)
				sw_timer(ha, 2 * SW_DONE_COPY_MS);
		}
		break;
	}
}

void
ha_switchover_reset(struct hasync *ha, const char *why)
{
	switch (ha->sw.state) {
	case HA_SW_CHECKING:
		check_unanswered(ha, why);
		break;
	case HA_SW_HANDED_OVER:
	case HA_SW_DRAINING:
		ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
		release_vips(ha);
		outbound(ha, ESP_OUTBOUND_DROP);
		ha->sw.state = HA_SW_IDLE;
		snprintf(ha->sw.result, sizeof(ha->sw.result), "handed over; "
		    "drain cut short: %s", why);
		break;
	case HA_SW_WAIT_DRAIN:
	case HA_SW_WAIT_FINAL:
		/*
		 * No word can come now, but the old active may still send
		 * what it drains (until it hears our advert and its queue is
		 * quiet, SW_DRAIN_MAX_MS at most from its handover, which
		 * came before our wait began): jumping now made two senders
		 * (fuzz_hasync_pair).  The hold goes on to its limit
		 * (SW_DONE_WAIT_MS), then the counters jump.
		 */
		log_warnx(LOG_HA, "planned switchover: %s; outbound held until "
		    "the old active's drain limit has passed", why);
		break;
	case HA_SW_REQUESTED:
		ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
		ha->sw.state = HA_SW_IDLE;
		ha->sw.refused++;
		snprintf(ha->sw.result, sizeof(ha->sw.result), "request "
		    "abandoned: %s", why);
		break;
	case HA_SW_IDLE:
		break;
	}
}

/*
 * The election moved this node in the middle of a switchover.  A new
 * active that leaves the election before the old one drained sends
 * nothing: the Done that comes later must not make a standby send.  An
 * old active elected again stops draining (no DROP, no Done: it sends as
 * the active it is; the new active's wait ends by its own role change or
 * its timer).
 */
void
ha_switchover_role(struct hasync *ha, int active, const char *why)
{
	uint64_t	 dur = ha_now_us(ha) - ha->sw.started_us;
	char		 what[sizeof(ha->sw.result)];

	if (!active && ha_switchover_taking_over(ha))
		snprintf(what, sizeof(what), "abandoned (%s): left the "
		    "election before the old active drained (%s); this node "
		    "sends nothing", ha->sw.reason, why);
	else if (active && (ha->sw.state == HA_SW_HANDED_OVER ||
	    ha->sw.state == HA_SW_DRAINING))
		snprintf(what, sizeof(what), "handed over (%s); drain cut "
		    "short: elected again (%s)", ha->sw.reason, why);
	else
		return;
	ha_timer_stop(ha, HA_TIMER_SWITCHOVER);
	ha->sw.state = HA_SW_IDLE;
	ha->sw.deferred_bulk = 0;
	memcpy(ha->sw.result, what, sizeof(ha->sw.result));
	ha_history_add(ha, "switchover", what, dur, (uint32_t)ha->t.npairs, 0,
	    0);
	log_warnx(LOG_HA, "planned switchover %s", what);
}

/* ---- preemption by switchover -------------------------------------------- */

/* Would this node preempt the Active one, as VRRP would? */
static int
would_preempt(struct hasync *ha, int *delay)
{
	struct vrrp_group_info gi;
	int	 n = ha->vrrp != NULL ? vrrp_ngroups(ha->vrrp) : 0, prio;

	for (int i = 0; i < n; i++) {
		if (vrrp_group_info(ha->vrrp, i, &gi) == -1 ||
		    (gi.leader != NULL && !gi.leads))
			continue;
		if (!gi.preempt || !gi.active_known)
			return 0;
		prio = gi.configured_priority;
		for (int k = 0; k < gi.ntracks; k++)
			if (!gi.tracks[k].up && !gi.tracks[k].shutdown)
				prio -= gi.tracks[k].decrement;
		if (prio < 1)
			prio = 1;
		*delay = gi.preempt_delay;
		return prio > gi.active_priority ||
		    (prio == gi.active_priority &&
		    ntohl(gi.local.s_addr) > ntohl(gi.active_ip.s_addr));
	}
	return 0;
}

void
ha_maybe_preempt(struct hasync *ha)
{
	if (ha->configured && ha->role == RF_ROLE_STANDBY &&
	    ha->rf.state == RF_STANDBY_HOT) {
		if (!ha_timer_armed(ha, HA_TIMER_PREEMPT)) {
			ha->preempt_since_ms = 0;
			ha_timer_set(ha, HA_TIMER_PREEMPT, 0);
		}
	} else
		ha_timer_stop(ha, HA_TIMER_PREEMPT);
}

void
ha_preempt_due(struct hasync *ha)
{
	uint64_t	 now = ha_now_ms(ha);
	char		 err[160];
	int		 delay = 0;

	if (ha->role != RF_ROLE_STANDBY || ha->rf.state != RF_STANDBY_HOT)
		return;
	ha_timer_set(ha, HA_TIMER_PREEMPT, HA_PREEMPT_POLL_MS);
	if (ha->sw.state != HA_SW_IDLE || ha->sw.no_auto_preempt ||
	    now < ha->preempt_retry_ms || !would_preempt(ha, &delay)) {
		ha->preempt_since_ms = 0;
		return;
	}
	if (ha->preempt_since_ms == 0)
		ha->preempt_since_ms = now;
	if (now - ha->preempt_since_ms < (uint64_t)delay * 1000)
		return;		/* standby GRP preempt delay minimum */
	log_info(LOG_HA, "STANDBY HOT with the higher priority and preempt: "
	    "asking for a switchover instead of preempting");
	if (ha_switchover_start(ha, 0, "preemption (higher priority)", err,
	    sizeof(err)) == -1) {
		log_warnx(LOG_HA, "preemption by switchover: %s", err);
		ha->preempt_retry_ms = now + 5000;
	}
}
