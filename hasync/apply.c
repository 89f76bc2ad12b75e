/*
 * The standby's side of the sync: what the active sends is installed in
 * this node's ike/ (ike_import_isakmp, ike_import_ipsec with install=1)
 * and esp/ (set_replay), where it waits, never sent on (the engine is
 * passive, the data plane drops outbound traffic), ready to continue.
 *
 * Snapshot: BulkBegin marks every SA known here as unseen (also the SAs
 * this node negotiated itself while it was active: they were adopted
 * into the table when it became standby); each SA of the snapshot is
 * upserted and marked; BulkEnd forgets every SA left unseen (gone on the
 * active meanwhile) and the node is STANDBY HOT.  An SA that arrives
 * again unchanged is left in place, so a second snapshot costs little:
 * an ISAKMP SA with the same fields of HA_ISAKMP_NOTED (fields.h:
 * cookies, ports, DPD numbers, message IDs), a pair with the same SPIs
 * and ports.
 *
 * Counters: inbound windows go to the data plane as they arrive (no jump
 * is ever needed inbound); the outbound sequence numbers feed a struct
 * ctr_track per SA (hasync/ctr.h), which learns the packet rate for the
 * jump at takeover.  The active's sweep marker says every SA it did not
 * list has not moved: its tracker is refreshed with the same value.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "hasync/ha_int.h"

/* A tracker not refreshed for this long is refreshed by a sweep marker. */
#define HA_SWEEP_REFRESH_MS	500

static int
import_isakmp(struct hasync *ha, const struct ike_isakmp_state *s)
{
	if (ike_import_isakmp(ha->ike, s) == 0)
		return 0;
	/* our own SA of an earlier active period, by the same conn-id */
	if (ike_forget_isakmp(ha->ike, s->conn_id) == 0 &&
	    ike_import_isakmp(ha->ike, s) == 0)
		return 0;
	return -1;
}

static void
upsert_isakmp(struct hasync *ha, const struct ike_isakmp_state *s)
{
	struct ha_isakmp *e = ha_isakmp_find(&ha->t, s->conn_id);

	if (e != NULL && ha_isakmp_same(e, s)) {
		e->seen = 1;
		return;
	}
	if (e != NULL) {
		/* changed (DPD, NAT-T port, message IDs): replace it */
		(void)ike_forget_isakmp(ha->ike, e->conn_id);
		ha_isakmp_del(&ha->t, e);
	}
	if (import_isakmp(ha, s) == -1) {
		ha_drop(ha, HA_DROP_IMPORT, "ISAKMP SA conn-id %u", s->conn_id);
		return;
	}
	ha->st.imports++;
	ha_isakmp_note(&ha->t, s)->seen = 1;
}

static void
delete_isakmp(struct hasync *ha, uint32_t conn_id)
{
	struct ha_isakmp *e = ha_isakmp_find(&ha->t, conn_id);

	if (e == NULL) {
		ha_drop(ha, HA_DROP_UNKNOWN_SA, "delete of ISAKMP SA "
		    "conn-id %u", conn_id);
		return;
	}
	(void)ike_forget_isakmp(ha->ike, conn_id);
	ha_isakmp_del(&ha->t, e);
	ha->st.forgotten++;
}

/* ---- IKEv2 SAs ----------------------------------------------------------- */

static int
import_ike2(struct hasync *ha, const struct ike_ike2_state *s)
{
	if (ike_import_ike2(ha->ike, s) == 0)
		return 0;
	/* our own SA of an earlier active period, by the same conn-id */
	if (ike_forget_ike2(ha->ike, s->conn_id) == 0 &&
	    ike_import_ike2(ha->ike, s) == 0)
		return 0;
	return -1;
}

static void
upsert_ike2(struct hasync *ha, const struct ike_ike2_state *s)
{
	struct ha_ike2	*e = ha_ike2_find(&ha->t, s->conn_id);

	if (e != NULL && ha_ike2_same(e, s) && s->replaces == 0) {
		e->seen = 1;
		return;
	}
	if (e != NULL) {
		/* changed (REKEYED, a port, message IDs): replace it; its
		 * CHILD SAs stay, they name it by conn-id */
		(void)ike_forget_ike2(ha->ike, e->conn_id);
		ha_ike2_del(&ha->t, e);
	}
	if (import_ike2(ha, s) == -1) {
		ha_drop(ha, HA_DROP_IMPORT, "IKEv2 SA conn-id %u", s->conn_id);
		return;
	}
	ha->st.imports++;
	ha_ike2_note(&ha->t, s)->seen = 1;
}

static void
delete_ike2(struct hasync *ha, uint32_t conn_id)
{
	struct ha_ike2	*e = ha_ike2_find(&ha->t, conn_id);

	if (e == NULL) {
		ha_drop(ha, HA_DROP_UNKNOWN_SA, "delete of IKEv2 SA conn-id %u",
		    conn_id);
		return;
	}
	(void)ike_forget_ike2(ha->ike, conn_id);
	ha_ike2_del(&ha->t, e);
	ha->st.forgotten++;
}

/* The SA's packets and bytes so far: its counters and kilobyte lifetime
 * continue here after a takeover. */
void
ha_apply_traffic(struct hasync *ha, uint32_t conn_id,
    const struct ha_counter *c)
{
	if (ha->esp->ops->set_traffic != NULL)
		(void)ha->esp->ops->set_traffic(ha->esp, conn_id, c->packets,
		    c->bytes);
}

static void
counter_in(struct hasync *ha, struct ha_pair *p, const struct ha_counter *c)
{
	ha_apply_traffic(ha, p->conn_in, c);
	if (ha->esp->ops->set_replay(ha->esp, p->conn_in, &c->r) == 0) {
		p->in_at_ms = ha_now_ms(ha);
		ha->st.counters_applied++;
	}
}

static void
counter_out(struct hasync *ha, struct ha_pair *p, const struct ha_counter *c)
{
	struct esp_replay_state r;
	uint64_t now = ha_now_ms(ha);

	ctr_observe(&p->out, c->r.seq_out, now);
	if (c->exact) {
		p->have_exact = 1;
		p->exact_out = c->r.seq_out;
	}
	/* keep the data plane's number current (show; never sent on) */
	memset(&r, 0, sizeof(r));
	r.seq_out = p->out.seq;
	(void)ha->esp->ops->set_replay(ha->esp, p->conn_out, &r);
	ha_apply_traffic(ha, p->conn_out, c);
	ha->st.counters_applied++;
	ha->last_counter_ms = now;
}

static int
import_ipsec(struct hasync *ha, const struct ike_ipsec_state *s)
{
	if (ike_import_ipsec(ha->ike, s, 1) == 0)
		return 0;
	/* our own pair of an earlier active period, by the same conn-ids */
	(void)ike_forget_ipsec(ha->ike, s->conn_in);
	(void)ike_forget_ipsec(ha->ike, s->conn_out);
	return ike_import_ipsec(ha->ike, s, 1);
}

static void
upsert_ipsec(struct hasync *ha, const struct ha_ipsec *m)
{
	const struct ike_ipsec_state *s = &m->st;
	struct ha_pair	*p = ha_pair_find_in(&ha->t, s->conn_in), *old;
	struct esp_replay_state rin, rout;
	struct ctr_track keep;
	int		 same = 0, have_rin = 0, have_rout = 0;

	/*
	 * (marked replaced here, not on the active: this node rekeyed it
	 * alone while it was active too; installed again as the active has
	 * it, its counters kept)
	 */
	if (p == NULL || p->conn_out != s->conn_out ||
	    p->spi_in != s->spi_in || p->spi_out != s->spi_out ||
	    p->local_port != s->local_port ||
	    p->remote_port != s->remote_port ||
	    (p->replaced && !s->rekeyed)) {
		if (p != NULL) {
			/* the same SAs, new ports: keep what was synced */
			same = p->conn_out == s->conn_out &&
			    p->spi_in == s->spi_in && p->spi_out == s->spi_out;
			keep = p->out;
			have_rin = same && ha->esp->ops->get_replay(ha->esp,
			    p->conn_in, &rin) == 0;
			have_rout = same && ha->esp->ops->get_replay(ha->esp,
			    p->conn_out, &rout) == 0;
			(void)ike_forget_ipsec(ha->ike, p->conn_in);
			ha_pair_del(&ha->t, p);
		}
		if ((p = ha_pair_find(&ha->t, s->conn_out)) != NULL) {
			(void)ike_forget_ipsec(ha->ike, p->conn_in);
			ha_pair_del(&ha->t, p);
		}
		if (import_ipsec(ha, s) == -1) {
			ha_drop(ha, HA_DROP_IMPORT, "IPsec SA pair in 0x%08x "
			    "out 0x%08x", s->spi_in, s->spi_out);
			return;
		}
		ha->st.imports++;
		p = ha_pair_add(&ha->t, s->conn_in, s->conn_out);
		if (same) {
			p->out = keep;
			if (have_rin)
				(void)ha->esp->ops->set_replay(ha->esp,
				    p->conn_in, &rin);
			if (have_rout)
				(void)ha->esp->ops->set_replay(ha->esp,
				    p->conn_out, &rout);
		}
	}
	ha_pair_note(p, s);
	p->seen = 1;
	if (m->have_in)
		counter_in(ha, p, &m->in);
	if (m->have_out)
		counter_out(ha, p, &m->out);
	if (s->rekeyed && !p->replaced) {
		(void)ike_ipsec_replaced(ha->ike, p->conn_in);
		p->replaced = 1;
	}
	if (m->replaces != 0 &&
	    (old = ha_pair_find_in(&ha->t, m->replaces)) != NULL &&
	    !old->replaced) {
		(void)ike_ipsec_replaced(ha->ike, old->conn_in);
		old->replaced = 1;
	}
}

static void
delete_ipsec(struct hasync *ha, uint32_t conn_in)
{
	struct ha_pair	*p = ha_pair_find_in(&ha->t, conn_in);

	if (p == NULL) {
		ha_drop(ha, HA_DROP_UNKNOWN_SA, "delete of IPsec SA pair "
		    "conn-id %u", conn_in);
		return;
	}
	(void)ike_forget_ipsec(ha->ike, conn_in);
	ha_pair_del(&ha->t, p);
	ha->st.forgotten++;
}

static void
counters(struct hasync *ha, const struct ha_counters *c)
{
	uint64_t now = ha_now_ms(ha);

	for (int i = 0; i < c->n; i++) {
		const struct ha_counter *v = &c->v[i];
		struct ha_pair *p = ha_pair_find(&ha->t, v->conn_id);

		if (p == NULL) {
			/*
			 * deleted meanwhile, or not yet here: during a
			 * snapshot the counters stream overtakes the state
			 * stream (the SA brings its counters along)
			 */
			ha->st.counters_unknown++;
			continue;
		}
		if (v->conn_id == p->conn_in)
			counter_in(ha, p, v);
		else
			counter_out(ha, p, v);
	}
	if (!c->sweep)
		return;
	ha->last_sweep_ms = now;
	/* what the sweep did not list did not move: the rate decays */
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		if (p->out.at_ms != 0 &&
		    now - p->out.at_ms >= HA_SWEEP_REFRESH_MS)
			ctr_observe(&p->out, p->out.seq, now);
}

static void
bulk_begin(struct hasync *ha, const struct ha_bulk *b)
{
	if (b->epoch != ha->bulk_req_id) {
		ha_drop(ha, HA_DROP_STALE, "snapshot of an earlier request");
		return;
	}
	ha->bulk = RF_BULK_RUNNING;
	ha->bulk_epoch = b->epoch;
	ha->bulk_expect = *b;
	ha->bulk_got_isakmp = 0;
	ha->bulk_got_ipsec = 0;
	ha->bulk_got_ike2 = 0;
	ha->bulk_begin_us = ha_now_us(ha);
	ha->bulk_bytes = 0;
	for (struct ha_isakmp *e = ha->t.isakmp; e != NULL; e = e->next)
		e->seen = 0;
	for (struct ha_ike2 *e = ha->t.ike2; e != NULL; e = e->next)
		e->seen = 0;
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		p->seen = 0;
	ha_timer_stop(ha, HA_TIMER_RETRY);
	log_info(LOG_HA, "snapshot from the active: %u ISAKMP SAs, %u IKEv2 "
	    "SAs, %u IPsec SA pairs", b->isakmp_sas, b->ikev2_sas,
	    b->ipsec_sas);
	ha_rf_update(ha, "bulk sync started");
}

static void
bulk_end(struct hasync *ha, const struct ha_bulk *b)
{
	struct ha_isakmp *e, *en;
	struct ha_ike2	*e2, *e2n;
	struct ha_pair	*p, *pn;
	uint32_t	 gone = 0;

	if (ha->bulk != RF_BULK_RUNNING || b->epoch != ha->bulk_epoch) {
		ha_drop(ha, HA_DROP_STALE, "end of an earlier snapshot");
		return;
	}
	/* what this node held and the active no longer has */
	for (p = ha->t.pairs; p != NULL; p = pn) {
		pn = p->next;
		if (p->seen)
			continue;
		(void)ike_forget_ipsec(ha->ike, p->conn_in);
		ha_pair_del(&ha->t, p);
		gone++;
	}
	for (e = ha->t.isakmp; e != NULL; e = en) {
		en = e->next;
		if (e->seen)
			continue;
		(void)ike_forget_isakmp(ha->ike, e->conn_id);
		ha_isakmp_del(&ha->t, e);
		gone++;
	}
	for (e2 = ha->t.ike2; e2 != NULL; e2 = e2n) {
		e2n = e2->next;
		if (e2->seen)
			continue;
		(void)ike_forget_ike2(ha->ike, e2->conn_id);
		ha_ike2_del(&ha->t, e2);
		gone++;
	}
	ha->st.forgotten += gone;
	ha->bulk = RF_BULK_DONE;
	ha->bulk_last_us = ha_now_us(ha) - ha->bulk_begin_us;
	ha->bulk_hot_us = ha_now_us(ha) - ha->chan_up_us;
	ha->bulk_last_bytes = ha->bulk_bytes;
	ha->st.bulks_received++;
	log_info(LOG_HA, "snapshot complete: %u ISAKMP SAs, %u IKEv2 SAs, %u "
	    "IPsec SA pairs in %llu ms%s", ha->bulk_got_isakmp,
	    ha->bulk_got_ike2, ha->bulk_got_ipsec,
	    (unsigned long long)(ha->bulk_last_us / 1000),
	    gone > 0 ? " (SAs the active no longer has were removed)" : "");
	if (ha->bulk_got_isakmp != b->isakmp_sas ||
	    ha->bulk_got_ike2 != b->ikev2_sas ||
	    ha->bulk_got_ipsec != b->ipsec_sas)
		log_warnx(LOG_HA, "snapshot counts differ: %u/%u ISAKMP, "
		    "%u/%u IKEv2, %u/%u IPsec (refused imports are counted)",
		    ha->bulk_got_isakmp, b->isakmp_sas, ha->bulk_got_ike2,
		    b->ikev2_sas, ha->bulk_got_ipsec, b->ipsec_sas);
	ha_rf_update(ha, "bulk sync complete");
}

void
ha_apply(struct hasync *ha, enum ipc_stream s, const struct ha_msg *m)
{
	(void)s;
	if (ha->role != RF_ROLE_STANDBY) {
		ha_drop(ha, HA_DROP_ROLE, "%s while not standby",
		    ha_msg_name(m->type));
		return;
	}
	switch (m->type) {
	case HA_M_BULK_BEGIN:
		bulk_begin(ha, &m->u.bulk);
		break;
	case HA_M_BULK_END:
		bulk_end(ha, &m->u.bulk);
		break;
	case HA_M_ISAKMP:
		upsert_isakmp(ha, &m->u.isakmp);
		if (ha->bulk == RF_BULK_RUNNING)
			ha->bulk_got_isakmp++;
		break;
	case HA_M_ISAKMP_DELETE:
		delete_isakmp(ha, m->u.isakmp_delete);
		break;
	case HA_M_IKE2:
		upsert_ike2(ha, &m->u.ike2);
		if (ha->bulk == RF_BULK_RUNNING)
			ha->bulk_got_ike2++;
		break;
	case HA_M_IKE2_DELETE:
		delete_ike2(ha, m->u.ike2_delete);
		break;
	case HA_M_IPSEC:
		upsert_ipsec(ha, &m->u.ipsec);
		if (ha->bulk == RF_BULK_RUNNING)
			ha->bulk_got_ipsec++;
		break;
	case HA_M_IPSEC_DELETE:
		delete_ipsec(ha, m->u.ipsec_delete.conn_in);
		break;
	case HA_M_COUNTERS:
		counters(ha, &m->u.counters);
		break;
	default:
		ha_drop(ha, HA_DROP_STREAM, "%s", ha_msg_name(m->type));
		break;
	}
}

void
ha_forget_all(struct hasync *ha)
{
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		(void)ike_forget_ipsec(ha->ike, p->conn_in);
	for (struct ha_isakmp *e = ha->t.isakmp; e != NULL; e = e->next)
		(void)ike_forget_isakmp(ha->ike, e->conn_id);
	for (struct ha_ike2 *e = ha->t.ike2; e != NULL; e = e->next)
		(void)ike_forget_ike2(ha->ike, e->conn_id);
	ha_table_clear(&ha->t);
}
