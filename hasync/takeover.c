/*
 * Role changes (docs/hasync.md, "Takeover" and "The election").
 *
 * Becoming active happens in the election's role callback, which vrrp
 * calls *before* it adds the VIPs, so everything below is done when the
 * first packet can reach this node:
 *
 *   1. every outbound SA continues from the exact number a planned
 *      switchover delivered, or else beyond every number the old active
 *      may still send, however long it goes on (esp/seq.c: the middle of
 *      what is left after the last synced number); the inbound windows
 *      are already in the data plane as synced (no jump inbound, so no
 *      legitimate packet is dropped); elected before a switchover's
 *      Final came, nothing changes until its Final or end (switchover.c);
 *   2. an SA whose counter state is suspect - older than HA_STALE_MS, a
 *      takeover while not STANDBY HOT, or too little sequence space left
 *      - is never sent on again: its outbound SA leaves the data plane
 *      and a Quick Mode rekey starts at once on the synced ISAKMP SA (its
 *      inbound SA keeps receiving until the new pair is up);
 *   3. IKE becomes active (DPD, rekeys, Deletes on the synced SAs; what
 *      was in flight on the old active is gone, the peer retransmits);
 *   4. the data plane sends;
 *   5. return: vrrp adds the VIPs and sends gratuitous ARP.
 *
 * Becoming standby (after the VIPs are gone): IKE passive, the data plane
 * sends nothing, the node's own SAs are adopted into the table so that
 * the next snapshot removes what the active does not have, and a
 * snapshot is asked for.
 */
#include <string.h>

#include "hasync/ha_int.h"

static void
outbound_mode(struct hasync *ha, enum esp_outbound mode)
{
	if (ha->esp->ops->set_outbound != NULL)
		(void)ha->esp->ops->set_outbound(ha->esp, mode);
}

/* ---- rekeys, a batch per turn of the loop -------------------------------- */

void
ha_rekey_clear(struct hasync *ha)
{
	ha_timer_stop(ha, HA_TIMER_REKEY);
	free(ha->rq);
	ha->rq = NULL;
	ha->rq_n = ha->rq_next = ha->rq_cap = 0;
}

void
ha_split_owed_clear(struct hasync *ha)
{
	free(ha->owed);
	ha->owed = NULL;
	ha->nowed = ha->owed_cap = 0;
}

size_t
ha_split_rekeys_owed(struct hasync *ha)
{
	size_t	 k = 0;

	for (size_t i = 0; i < ha->nowed; i++)
		if (ike_ipsec_unreplaced(ha->ike, ha->owed[i]))
			ha->owed[k++] = ha->owed[i];
	ha->nowed = k;
	if (k == 0)
		ha_split_owed_clear(ha);
	return k;
}

/* Queued for ha_rekey_due (a takeover's pair: stop_out first). */
static void
rekey_later(struct hasync *ha, uint32_t conn_in, int split)
{
	if (ha->rq_n == ha->rq_cap) {
		ha->rq_cap = ha->rq_cap == 0 ? 64 : 2 * ha->rq_cap;
		ha->rq = xreallocarray(ha->rq, ha->rq_cap, sizeof(*ha->rq));
	}
	ha->rq[ha->rq_n].conn_in = conn_in;
	ha->rq[ha->rq_n++].split = split;
}

/*
 * At most HA_REKEY_TURN rekeys, then the loop runs (adverts, the sync
 * channel, ESP) before the next batch.  The first batch is started by the
 * caller, in the same turn as the takeover.  Only while active: a node
 * that is no longer active has nothing to rekey (its IKE is passive).
 */
void
ha_rekey_due(struct hasync *ha)
{
	size_t	 end = ha->rq_next + HA_REKEY_TURN;

	if (ha->role != RF_ROLE_ACTIVE) {
		ha_rekey_clear(ha);
		return;
	}
	for (; ha->rq_next < ha->rq_n && ha->rq_next < end; ha->rq_next++) {
		struct ha_rekey *r = &ha->rq[ha->rq_next];

		if (ike_rekey_ipsec(ha->ike, r->conn_in, !r->split) != 0)
			continue;
		if (r->split)
			ha->st.rekeys_split++;
		else
			ha->st.rekeys_takeover++;
	}
	if (ha->rq_next == ha->rq_n)
		ha_rekey_clear(ha);
	else
		ha_timer_set(ha, HA_TIMER_REKEY, 0);
}

void
ha_become_active(struct hasync *ha, const char *reason, int planned)
{
	uint64_t	 t0 = ha_now_us(ha), now = ha_now_ms(ha);
	int		 hot = ha->rf.state == RF_STANDBY_HOT;
	/* elected without ever having been a standby: nothing to take over */
	int		 first = (ha->rf.state == RF_NEGOTIATION ||
			    ha->rf.state == RF_INITIALIZATION) &&
			    ha->t.npairs == 0 && ha->t.nisakmp == 0 &&
			    ha->t.nike2 == 0;
	/*
	 * Elected before the Final of a switchover: its counters (exact)
	 * or its end (jumped, switchover.c resume) decide, not the numbers
	 * held now.  A jump now would stay (counters never go back) and
	 * make the Final's exact counters useless; a rekey now would
	 * replace a pair that the Final lets continue.  Outbound is held.
	 */
	int		 wait_final = planned && hot &&
			    ha->sw.state == HA_SW_WAIT_FINAL;
	uint32_t	 npairs = 0, nrekey = 0, nexact = 0;
	struct esp_replay_state r;
	char		 why[160];

	ha_switchover_role(ha, 1, reason);
	ha_rekey_clear(ha);
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next) {
		uint64_t seq;
		int	 ok;

		npairs++;
		if (wait_final) {
			p->have_exact = 0;
			continue;
		}
		if (p->have_exact && planned) {
			memset(&r, 0, sizeof(r));
			r.seq_out = p->exact_out;
			ok = ha->esp->ops->set_replay(ha->esp, p->conn_out,
			    &r) == 0;
			nexact += (uint32_t)ok;
		} else if (!hot || ctr_stale(&p->out, now, HA_STALE_MS)) {
			/* (a replaced pair only stops sending: ike deletes it) */
			rekey_later(ha, p->conn_in, 0);
			nrekey++;
			continue;
		} else {
			/* beyond every number the old active may still use */
			ok = ha->esp->ops->continue_out(ha->esp, p->conn_out,
			    p->out.seq, &seq) == 0;
			if (ok && !planned)
				ha->st.jumps++;
		}
		if (!ok) {
			/* too little sequence space left: rekey instead */
			rekey_later(ha, p->conn_in, 0);
			nrekey++;
			continue;
		}
		p->have_exact = 0;
	}
	ha->st.exact += nexact;
	ike_set_active(ha->ike, 1);
	/* nothing more is sent on them, from now on */
	for (size_t i = 0; i < ha->rq_n; i++)
		(void)ike_stop_ipsec_out(ha->ike, ha->rq[i].conn_in);
	/* a planned switchover holds outbound until the old active drained */
	outbound_mode(ha, ha_switchover_taking_over(ha) ? ESP_OUTBOUND_HOLD :
	    ESP_OUTBOUND_SEND);
	ha->role = RF_ROLE_ACTIVE;
	ha->role_since_ms = now;
	ha->active_unsynced = 1;
	ha->sw.no_auto_preempt = 0;
	/*
	 * (a peer still ACTIVE in our view is not enough: a peer killed a
	 * moment ago is ACTIVE here until its channel times out; its next
	 * heartbeat or Hello saying ACTIVE is, chan_peer_role/hello_rx)
	 */
	if (!ha->chan_up)
		ha_split_alone(ha);
	ha->bulk = RF_BULK_NONE;
	ha_timer_stop(ha, HA_TIMER_RETRY);
	ha_rekey_due(ha);	/* the first batch; the rest turn by turn */
	/* a planned switchover's reason already says so */
	snprintf(why, sizeof(why), "%s%s", planned ? "" :
	    first ? "elected: " : hot ? "takeover: " :
	    "takeover while not STANDBY HOT: ", reason);
	ha_rf_update(ha, why);
	/* a switchover is recorded when it completes (switchover.c) */
	if (!planned)
		ha_history_add(ha, first ? "active" : "failover", why,
		    ha_now_us(ha) - t0, npairs, nrekey, nexact);
	if (wait_final)
		log_info(LOG_HA, "now active (%s): %u IPsec SA pairs held "
		    "until the switchover's Final or end, %llu us before the "
		    "VIPs", reason, npairs,
		    (unsigned long long)(ha_now_us(ha) - t0));
	else
		log_info(LOG_HA, "now active (%s): %u IPsec SA pairs "
		    "continued (%u exact), %u rekeyed with Quick Mode, %llu us "
		    "before the VIPs", reason, npairs - nrekey, nexact, nrekey,
		    (unsigned long long)(ha_now_us(ha) - t0));
}

static void
adopt_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	struct hasync	*ha = arg;

	(void)ha_isakmp_note(&ha->t, s);
}

static void
adopt_ike2(void *arg, const struct ike_ike2_state *s)
{
	struct hasync	*ha = arg;

	(void)ha_ike2_note(&ha->t, s);
}

static void
adopt_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct hasync	*ha = arg;
	struct ha_pair	*p;

	if (ha_pair_find(&ha->t, s->conn_in) != NULL ||
	    ha_pair_find(&ha->t, s->conn_out) != NULL)
		return;
	p = ha_pair_add(&ha->t, s->conn_in, s->conn_out);
	ha_pair_note(p, s);
	p->replaced = s->rekeyed;
}

/* A switchover's old active: its data plane still sends the stragglers. */
static int
handing_over(const struct hasync *ha)
{
	return ha->sw.state == HA_SW_HANDED_OVER ||
	    ha->sw.state == HA_SW_DRAINING;
}

void
ha_become_standby(struct hasync *ha, const char *reason)
{
	int	 was_active = ha->role == RF_ROLE_ACTIVE;

	ha_switchover_role(ha, 0, reason);
	ike_set_active(ha->ike, 0);
	if (!handing_over(ha))
		outbound_mode(ha, ESP_OUTBOUND_DROP);
	ha_split_owed_clear(ha);
	ha->role = RF_ROLE_STANDBY;
	ha->role_since_ms = ha_now_ms(ha);
	ha_split_standby(ha);
	ha_session_stop(ha);
	/* what this node holds now is checked against the next snapshot */
	ha_table_clear(&ha->t);
	(void)ike_export_isakmp(ha->ike, adopt_isakmp, ha);
	(void)ike_export_ike2(ha->ike, adopt_ike2, ha);
	(void)ike_export_ipsec(ha->ike, adopt_ipsec, ha);
	ha->bulk = RF_BULK_NONE;
	ha_rf_update(ha, reason);
	if (was_active)
		log_info(LOG_HA, "now standby (%s): %d ISAKMP SAs, %d IKEv2 "
		    "SAs and %d IPsec SA pairs held until the active's "
		    "snapshot", reason, ha->t.nisakmp, ha->t.nike2,
		    ha->t.npairs);
	/* a switchover's old active asks once it has drained */
	ha_timer_stop(ha, HA_TIMER_RETRY);
	if (!handing_over(ha))
		ha_request_bulk(ha);
}

static void
become_init(struct hasync *ha, const char *reason)
{
	ha_switchover_role(ha, 0, reason);
	ike_set_active(ha->ike, 0);
	outbound_mode(ha, ESP_OUTBOUND_DROP);
	ha_split_owed_clear(ha);
	ha->role = RF_ROLE_UNKNOWN;
	ha_split_standby(ha);
	ha_session_stop(ha);
	ha->bulk = RF_BULK_NONE;
	ha_rf_update(ha, reason);
}

/* The election's leading group hears an Active router. */
static int
active_heard(struct hasync *ha)
{
	struct vrrp_group_info gi;
	int	 n = vrrp_ngroups(ha->vrrp);

	for (int i = 0; i < n; i++)
		if (vrrp_group_info(ha->vrrp, i, &gi) == 0 &&
		    (gi.leader == NULL || gi.leads))
			return gi.active_known;
	return 0;
}

/*
 * Backup, but is anybody Active?  Until a router is heard the election
 * has not decided (NEGOTIATION: configured priority, preemption held);
 * once one is, this node is a standby.
 */
void
ha_nego_due(struct hasync *ha)
{
	if (ha->role != RF_ROLE_UNKNOWN ||
	    vrrp_role(ha->vrrp) != VRRP_ROLE_STANDBY)
		return;
	if (active_heard(ha)) {
		ha_become_standby(ha, "election: an Active router is heard");
		return;
	}
	ha_timer_set(ha, HA_TIMER_NEGO, HA_NEGO_MS);
}

void
ha_vrrp_backup(struct hasync *ha, const char *why)
{
	if (ha->role == RF_ROLE_ACTIVE || ha->sw.state != HA_SW_IDLE ||
	    active_heard(ha)) {
		ha_become_standby(ha, why);
		return;
	}
	if (ha->role != RF_ROLE_UNKNOWN)
		become_init(ha, why);
	if (!ha_timer_armed(ha, HA_TIMER_NEGO))
		ha_timer_set(ha, HA_TIMER_NEGO, HA_NEGO_MS);
}

void
ha_vrrp_role(void *arg, enum vrrp_role old, enum vrrp_role role,
    const char *reason)
{
	struct hasync	*ha = arg;
	char		 why[160];

	(void)old;
	snprintf(why, sizeof(why), "election: %s", reason);
	switch (role) {
	case VRRP_ROLE_ACTIVE:
		ha_timer_stop(ha, HA_TIMER_NEGO);
		ha_switchover_elected(ha);
		ha_become_active(ha, why, ha_switchover_taking_over(ha));
		break;
	case VRRP_ROLE_STANDBY:
		ha_vrrp_backup(ha, why);
		break;
	case VRRP_ROLE_INIT:
		ha_timer_stop(ha, HA_TIMER_NEGO);
		become_init(ha, why);
		break;
	}
}

/* ---- split brain (the states: ha_int.h) ---------------------------------- */

static const char *
split_name(enum ha_split s)
{
	switch (s) {
	case HA_SPLIT_ALONE:		return "ALONE";
	case HA_SPLIT_REKEY:		return "REKEY";
	case HA_SPLIT_REKEY_ALONE:	return "REKEY_ALONE";
	case HA_SPLIT_NONE:		break;
	}
	return "NONE";
}

static void
split_to(struct hasync *ha, enum ha_split to, const char *why)
{
	if (ha->split == to)
		return;
	log_debug(LOG_HA, "split brain %s -> %s: %s", split_name(ha->split),
	    split_name(to), why);
	ha->split = to;
}

/* Active while the channel is down: the peer may be active too. */
void
ha_split_alone(struct hasync *ha)
{
	if (ha->split == HA_SPLIT_NONE)
		split_to(ha, HA_SPLIT_ALONE, "active with no channel");
	else if (ha->split == HA_SPLIT_REKEY)
		split_to(ha, HA_SPLIT_REKEY_ALONE, "active with no channel");
}

/*
 * Both nodes ACTIVE at once over a live channel (the adverts lost, not
 * the channel; its heartbeat or Hello says so): both may send on every
 * pair they both know, as in a partition.
 */
void
ha_split_both_active(struct hasync *ha)
{
	/*
	 * a planned switchover hands over: the old active's ACTIVE is news
	 * the channel has not brought yet, and it stops sending at its
	 * Final.  Not while this node only asked the standby (CHECKING):
	 * nothing is handed over yet, so a peer ACTIVE now was elected by
	 * its own timer and sends too.
	 */
	if (ha->role != RF_ROLE_ACTIVE || (ha->sw.state != HA_SW_IDLE &&
	    ha->sw.state != HA_SW_CHECKING))
		return;
	if (ha->split == HA_SPLIT_NONE || ha->split == HA_SPLIT_ALONE) {
		log_warnx(LOG_HA, "split brain: both nodes are ACTIVE; SAs "
		    "both may send on are rekeyed by the node the election "
		    "keeps active");
		split_to(ha, HA_SPLIT_REKEY, "both nodes are ACTIVE");
	}
}

/* The peer's Hello: the partition is over (told it in ours). */
void
ha_split_hello(struct hasync *ha, int peer_alone)
{
	switch (ha->split) {
	case HA_SPLIT_ALONE:
		if (!peer_alone) {
			split_to(ha, HA_SPLIT_NONE, "the peer was not active");
			break;
		}
		log_warnx(LOG_HA, "split brain: both nodes were active while "
		    "the sync channel was down; SAs both may have sent on are "
		    "rekeyed by the node the election keeps active");
		split_to(ha, HA_SPLIT_REKEY, "both were active");
		break;
	case HA_SPLIT_REKEY_ALONE:
		/* (the rekey owed covers this partition too) */
		split_to(ha, HA_SPLIT_REKEY, "the channel is back");
		break;
	case HA_SPLIT_NONE:
	case HA_SPLIT_REKEY:
		break;
	}
}

/* Standby, or out of the election: the node kept active rekeys. */
void
ha_split_standby(struct hasync *ha)
{
	if (ha->split == HA_SPLIT_REKEY)
		split_to(ha, HA_SPLIT_NONE, "no longer active");
	else if (ha->split == HA_SPLIT_REKEY_ALONE)
		split_to(ha, HA_SPLIT_ALONE, "no longer active");
}

int
ha_split_alone_now(const struct hasync *ha)
{
	return ha->split == HA_SPLIT_ALONE ||
	    ha->split == HA_SPLIT_REKEY_ALONE;
}

int
ha_split_rekey_owed(const struct hasync *ha)
{
	return ha->split == HA_SPLIT_REKEY ||
	    ha->split == HA_SPLIT_REKEY_ALONE;
}

/*
 * After a partition both nodes may have sent on the same SAs (with
 * AES-GCM, two senders reuse nonces).  Once the election kept this node
 * active and the peer is a standby again, every pair both knew (the
 * table: synced before the partition) is rekeyed.
 */
void
ha_split_brain_heal(struct hasync *ha)
{
	uint32_t	 n = 0;

	if (!ha_split_rekey_owed(ha) || ha->role != RF_ROLE_ACTIVE ||
	    (ha->peer_rf != RF_STANDBY_COLD &&
	    ha->peer_rf != RF_STANDBY_COLD_BULK &&
	    ha->peer_rf != RF_STANDBY_HOT))
		return;
	/* (REKEY_ALONE: the peer's heartbeat came before its Hello) */
	split_to(ha, ha->split == HA_SPLIT_REKEY_ALONE ? HA_SPLIT_ALONE :
	    HA_SPLIT_NONE, "rekeyed");
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		if (!p->replaced) {
			rekey_later(ha, p->conn_in, 1);
			if (ha->nowed == ha->owed_cap) {
				ha->owed_cap = ha->owed_cap == 0 ? 64 :
				    2 * ha->owed_cap;
				ha->owed = xreallocarray(ha->owed,
				    ha->owed_cap, sizeof(*ha->owed));
			}
			ha->owed[ha->nowed++] = p->conn_in;
			n++;
		}
	ha_history_add(ha, "split-brain", "both nodes were active; the "
	    "election kept this one: pairs both may have sent on rekeyed", 0,
	    n, n, 0);
	log_warnx(LOG_HA, "split brain healed: %u IPsec SA pairs to rekey, "
	    "%d at a time", n, HA_REKEY_TURN);
	if (!ha_timer_armed(ha, HA_TIMER_REKEY))
		ha_rekey_due(ha);
}
