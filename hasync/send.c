/*
 * The active's side of the sync: the snapshot a standby asks for, every
 * SA event after it in order, and the counters.
 *
 * Snapshot (docs/hasync.md, "Snapshot"): on a BulkRequest, every established
 * ISAKMP SA, IKEv2 SA and IPsec SA pair is exported from ike/ with its replay state
 * from esp/, packed into Batch records of up to HA_RECORD_MAX bytes, and
 * queued on the STATE stream between BulkBegin and BulkEnd.  Everything
 * is queued at once, so every later event lands behind it on the same
 * ordered stream: the standby applies the snapshot, then the events, in
 * the order they happened.  What is still queued from before (not yet
 * taken by ipc) is dropped first: the snapshot supersedes it, and the
 * queue never holds two.
 *
 * The queue's bound counts what follows the snapshot, never the snapshot
 * (hasync.c, docs/hasync.md "The state queue"); an SA's event replaces
 * its previous one while that is still queued.
 *
 * Counters (docs/hasync.md, "Counters"): the data plane raises
 * counter_update every replay-interval packets of an SA; the SA is marked
 * and, before the loop sleeps again, the latest value of every marked SA
 * is read and sent in one Counters message (coalesced: a value is read
 * when sent, never queued).  Every second a sweep sends every SA whose
 * counters moved since it was last sent, and ends with a sweep marker,
 * from which the standby learns that the SAs not listed did not move.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hasync/ha_int.h"

#define HA_CTR_CHUNK	200	/* counters per message: well under 60 KB */

/* ---- what is sent of an SA ----------------------------------------------- */

static int
replay_of(struct hasync *ha, uint32_t conn_id, struct ha_counter *c)
{
	struct esp_sa_stats st;

	memset(c, 0, sizeof(*c));
	c->conn_id = conn_id;
	if (ha->esp->ops->get_replay(ha->esp, conn_id, &c->r) == -1)
		return -1;
	if (ha->esp->ops->query_sa(ha->esp, conn_id, &st) == 0) {
		c->packets = st.packets;
		c->bytes = st.bytes;
	}
	/* only the direction's half: seq_out outbound, the window inbound */
	if (c->r.window == 0)
		c->r.top = 0;
	return 0;
}

static void
note_sent_in(struct ha_pair *p, const struct ha_counter *c)
{
	p->sent_top = c->r.top;
	p->sent_bm0 = c->r.bitmap[0];
}

/* The message for a pair, with both counters; the table notes them. */
static void
ipsec_msg(struct hasync *ha, const struct ike_ipsec_state *s,
    uint32_t replaces, struct ha_msg *m)
{
	struct ha_pair	*p = ha_pair_find_in(&ha->t, s->conn_in);

	if (p == NULL)
		p = ha_pair_add(&ha->t, s->conn_in, s->conn_out);
	ha_pair_note(p, s);
	memset(m, 0, sizeof(*m));
	m->type = HA_M_IPSEC;
	m->u.ipsec.st = *s;
	m->u.ipsec.replaces = replaces;
	if (replay_of(ha, s->conn_in, &m->u.ipsec.in) == 0 &&
	    m->u.ipsec.in.r.window == (uint32_t)s->replay_window) {
		m->u.ipsec.have_in = 1;
		note_sent_in(p, &m->u.ipsec.in);
	}
	if (replay_of(ha, s->conn_out, &m->u.ipsec.out) == 0) {
		m->u.ipsec.have_out = 1;
		m->u.ipsec.out.r.window = 0;
		memset(m->u.ipsec.out.r.bitmap, 0,
		    sizeof(m->u.ipsec.out.r.bitmap));
		p->sent_seq_out = m->u.ipsec.out.r.seq_out;
	}
}

/* ---- the snapshot -------------------------------------------------------- */

/* A bigger array for key material: the old one is wiped, not realloc'd. */
static void *
secret_grow(void *old, size_t n, size_t cap, size_t size)
{
	void	*p = xcalloc(cap, size);

	if (old != NULL) {
		memcpy(p, old, n * size);
		free_secret(old, n * size);
	}
	return p;
}

struct snap {
	struct hasync	*ha;
	struct ha_rec	 rec;
	/* ike exports newest first; the snapshot goes oldest first */
	struct ike_isakmp_state *is;
	size_t		 nis, cis;
	struct ike_ipsec_state *ps;
	size_t		 nps, cps;
	struct ike_ike2_state *i2;
	size_t		 ni2, ci2;
	struct ha_qrec	*head;
	struct ha_qrec	**tail;
	uint32_t	 nisakmp;
	uint32_t	 nipsec;
	uint32_t	 nike2;
	size_t		 bytes;
};

static void
snap_flush(struct snap *s)
{
	struct ha_qrec	*q;

	if (s->rec.n == 0)
		return;
	q = xcalloc(1, sizeof(*q));
	if (ha_rec_take(&s->rec, &q->p, &q->len) == -1)
		fatalx(LOG_HA, "empty snapshot record");
	s->bytes += q->len;
	*s->tail = q;
	s->tail = &q->next;
}

static void
snap_add(struct snap *s, const struct ha_msg *m)
{
	s->ha->st.tx_msgs[m->type]++;
	if (ha_rec_add(&s->rec, m) == 0)
		return;
	snap_flush(s);
	if (ha_rec_add(&s->rec, m) == -1)
		fatalx(LOG_HA, "%s does not fit a record",
		    ha_msg_name(m->type));
}

static void
collect_isakmp(void *arg, const struct ike_isakmp_state *st)
{
	struct snap	*s = arg;

	if (s->nis == s->cis) {
		s->cis = s->cis == 0 ? 64 : 2 * s->cis;
		s->is = secret_grow(s->is, s->nis, s->cis, sizeof(*s->is));
	}
	s->is[s->nis++] = *st;
}

static void
collect_ike2(void *arg, const struct ike_ike2_state *st)
{
	struct snap	*s = arg;

	if (s->ni2 == s->ci2) {
		s->ci2 = s->ci2 == 0 ? 16 : 2 * s->ci2;
		s->i2 = secret_grow(s->i2, s->ni2, s->ci2, sizeof(*s->i2));
	}
	s->i2[s->ni2++] = *st;
}

static void
collect_ipsec(void *arg, const struct ike_ipsec_state *st)
{
	struct snap	*s = arg;

	if (s->nps == s->cps) {
		s->cps = s->cps == 0 ? 64 : 2 * s->cps;
		s->ps = secret_grow(s->ps, s->nps, s->cps, sizeof(*s->ps));
	}
	s->ps[s->nps++] = *st;
}

/*
 * Oldest first: the standby imports conn-ids in ascending order (cheap
 * for ike) and adds a rekeyed pair's SAs after the pair it replaced, so
 * its data plane sends on the same, newest, outbound SA.  The IKEv2 SAs
 * (exported oldest first already) come before the pairs: a CHILD SA is
 * imported under its IKE SA.
 */
static void
snap_all(struct snap *s)
{
	struct ha_msg	 m;

	for (size_t i = s->nis; i-- > 0;) {
		(void)ha_isakmp_note(&s->ha->t, &s->is[i]);
		memset(&m, 0, sizeof(m));
		m.type = HA_M_ISAKMP;
		m.u.isakmp = s->is[i];
		snap_add(s, &m);
		s->nisakmp++;
	}
	for (size_t i = 0; i < s->ni2; i++) {
		(void)ha_ike2_note(&s->ha->t, &s->i2[i]);
		memset(&m, 0, sizeof(m));
		m.type = HA_M_IKE2;
		m.u.ike2 = s->i2[i];
		snap_add(s, &m);
		s->nike2++;
	}
	for (size_t i = s->nps; i-- > 0;) {
		ipsec_msg(s->ha, &s->ps[i], 0, &m);
		snap_add(s, &m);
		s->nipsec++;
	}
	OPENSSL_cleanse(&m, sizeof(m));
	if (s->is != NULL)
		free_secret(s->is, s->cis * sizeof(*s->is));
	if (s->ps != NULL)
		free_secret(s->ps, s->cps * sizeof(*s->ps));
	if (s->i2 != NULL)
		free_secret(s->i2, s->ci2 * sizeof(*s->i2));
}

void
ha_session_start(struct hasync *ha, uint64_t id)
{
	struct snap	 s;
	struct ha_msg	 m;
	uint64_t	 t0 = ha_now_us(ha);

	if (!ha->stateful) {
		ha_drop(ha, HA_DROP_CONFIG, "snapshot request, but no crypto "
		    "map is stateful here");
		return;
	}
	ha_session_stop(ha);
	ha->active_unsynced = 0;	/* the peer knows we are active */
	/* superseded: the standby will hold the snapshot and what follows */
	ha_state_drop(ha);
	ha_table_clear(&ha->t);
	memset(&s, 0, sizeof(s));
	s.ha = ha;
	s.tail = &s.head;
	ha_rec_init(&s.rec);
	(void)ike_export_isakmp(ha->ike, collect_isakmp, &s);
	(void)ike_export_ike2(ha->ike, collect_ike2, &s);
	(void)ike_export_ipsec(ha->ike, collect_ipsec, &s);
	snap_all(&s);
	snap_flush(&s);
	ha_rec_cleanup(&s.rec);

	memset(&m, 0, sizeof(m));
	m.type = HA_M_BULK_BEGIN;
	m.u.bulk.epoch = id;
	m.u.bulk.isakmp_sas = s.nisakmp;
	m.u.bulk.ipsec_sas = s.nipsec;
	m.u.bulk.ikev2_sas = s.nike2;
	ha->session = HA_SESSION_SYNCING;
	ha->session_id = id;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
	/* the records, behind BulkBegin, then BulkEnd */
	while (s.head != NULL) {
		struct ha_qrec *q = s.head;

		s.head = q->next;
		ha_state_enqueue(ha, q->p, q->len, HA_Q_SNAPSHOT);
		free(q);
	}
	m.type = HA_M_BULK_END;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
	ha->st.bulks_sent++;
	log_info(LOG_HA, "snapshot for the standby: %u ISAKMP SAs, %u IKEv2 "
	    "SAs, %u IPsec SA pairs, %zu bytes, built in %llu us", s.nisakmp,
	    s.nike2, s.nipsec, s.bytes,
	    (unsigned long long)(ha_now_us(ha) - t0));
	ha_timer_set(ha, HA_TIMER_SWEEP, HA_SWEEP_MS);
	ha_state_pump(ha);
}

void
ha_session_stop(struct hasync *ha)
{
	if (ha->session == HA_SESSION_NONE)
		return;
	ha->session = HA_SESSION_NONE;
	ha_timer_stop(ha, HA_TIMER_SWEEP);
	ha_timer_stop(ha, HA_TIMER_FLUSH);
	for (size_t i = 0; i < ha->ndirty; i++) {
		struct ha_pair *p = ha_pair_find(&ha->t, ha->dirty[i]);

		if (p != NULL)
			p->queued_in = p->queued_out = 0;
	}
	ha->ndirty = 0;
	log_info(LOG_HA, "sync session with the standby ended");
}

/* ---- incremental events (ike listener) ----------------------------------- */

static int
syncing(struct hasync *ha)
{
	return ha->session == HA_SESSION_SYNCING && ha->role ==
	    RF_ROLE_ACTIVE && ha->chan_up;
}

static void
on_isakmp(void *arg, const struct ike_isakmp_state *st)
{
	struct hasync	*ha = arg;
	struct ha_isakmp *e;
	struct ha_msg	 m;

	if (!syncing(ha))
		return;
	e = ha_isakmp_note(&ha->t, st);
	memset(&m, 0, sizeof(m));
	m.type = HA_M_ISAKMP;
	m.u.isakmp = *st;
	ha_send_sa(ha, &m, &e->queued);
	OPENSSL_cleanse(&m, sizeof(m));
}

static void
on_isakmp_deleted(void *arg, uint32_t conn_id, const uint8_t *ic,
    const uint8_t *rc)
{
	struct hasync	*ha = arg;
	struct ha_isakmp *e;
	struct ha_msg	 m;

	(void)ic;
	(void)rc;
	if (!syncing(ha))
		return;
	if ((e = ha_isakmp_find(&ha->t, conn_id)) != NULL)
		ha_isakmp_del(&ha->t, e);
	memset(&m, 0, sizeof(m));
	m.type = HA_M_ISAKMP_DELETE;
	m.u.isakmp_delete = conn_id;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
}

static void
on_ike2(void *arg, const struct ike_ike2_state *st)
{
	struct hasync	*ha = arg;
	struct ha_ike2	*e;
	struct ha_msg	 m;

	if (!syncing(ha))
		return;
	e = ha_ike2_note(&ha->t, st);
	memset(&m, 0, sizeof(m));
	m.type = HA_M_IKE2;
	m.u.ike2 = *st;
	/* an update of a rekey's new SA still queued: the standby must
	 * still move the CHILD SAs */
	if (e->queued != NULL && m.u.ike2.replaces == 0)
		m.u.ike2.replaces = e->queued->replaces;
	ha_send_sa(ha, &m, &e->queued);
	OPENSSL_cleanse(&m, sizeof(m));
}

static void
on_ike2_deleted(void *arg, uint32_t conn_id)
{
	struct hasync	*ha = arg;
	struct ha_ike2	*e;
	struct ha_msg	 m;

	if (!syncing(ha))
		return;
	if ((e = ha_ike2_find(&ha->t, conn_id)) != NULL)
		ha_ike2_del(&ha->t, e);
	memset(&m, 0, sizeof(m));
	m.type = HA_M_IKE2_DELETE;
	m.u.ike2_delete = conn_id;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
}

static void
send_ipsec(struct hasync *ha, const struct ike_ipsec_state *st,
    uint32_t replaces)
{
	struct ha_pair	*p;
	struct ha_msg	 m;

	if (!syncing(ha))
		return;
	ipsec_msg(ha, st, replaces, &m);
	p = ha_pair_find_in(&ha->t, st->conn_in);
	/* an update of a rekeyed pair still queued: the standby needs both */
	if (p->queued != NULL && m.u.ipsec.replaces == 0)
		m.u.ipsec.replaces = p->queued->replaces;
	ha_send_sa(ha, &m, &p->queued);
	OPENSSL_cleanse(&m, sizeof(m));
}

static void
on_ipsec(void *arg, const struct ike_ipsec_state *st)
{
	send_ipsec(arg, st, 0);
}

static void
on_ipsec_rekeyed(void *arg, const struct ike_ipsec_state *st, uint32_t old)
{
	send_ipsec(arg, st, old);
}

static void
on_ipsec_deleted(void *arg, uint32_t in, uint32_t out)
{
	struct hasync	*ha = arg;
	struct ha_pair	*p;
	struct ha_msg	 m;

	if (!syncing(ha))
		return;
	if ((p = ha_pair_find_in(&ha->t, in)) != NULL)
		ha_pair_del(&ha->t, p);
	memset(&m, 0, sizeof(m));
	m.type = HA_M_IPSEC_DELETE;
	m.u.ipsec_delete.conn_in = in;
	m.u.ipsec_delete.conn_out = out;
	(void)ha_send(ha, IPC_STREAM_STATE, &m);
}

void
ha_listen_ike(struct hasync *ha)
{
	struct ike_listener l;

	memset(&l, 0, sizeof(l));
	l.arg = ha;
	l.isakmp_up = on_isakmp;
	l.isakmp_updated = on_isakmp;
	l.isakmp_deleted = on_isakmp_deleted;
	l.ipsec_up = on_ipsec;
	l.ipsec_rekeyed = on_ipsec_rekeyed;
	l.ipsec_deleted = on_ipsec_deleted;
	l.ike2_up = on_ike2;
	l.ike2_updated = on_ike2;
	l.ike2_deleted = on_ike2_deleted;
	if (ike_add_listener(ha->ike, &l) == -1)
		fatalx(LOG_HA, "no room for another IKE listener");
}

/* ---- counters ------------------------------------------------------------ */

struct ctr_out {
	struct hasync	*ha;
	enum ipc_stream	 stream;
	struct ha_counter v[HA_CTR_CHUNK];
	int		 n;
	int		 exact;
	uint32_t	 total;
};

static void
ctr_send(struct ctr_out *o, int sweep)
{
	struct ha_msg	 m;

	if (o->n == 0 && !sweep)
		return;
	memset(&m, 0, sizeof(m));
	m.type = HA_M_COUNTERS;
	m.u.counters.v = o->v;
	m.u.counters.n = o->n;
	m.u.counters.sweep = sweep;
	if (ha_send(o->ha, o->stream, &m) == -1)
		o->ha->counters_lost = 1;	/* the next sweep sends all */
	else
		o->ha->st.counters_sent += (uint64_t)o->n;
	o->total += (uint32_t)o->n;
	o->n = 0;
}

static void
ctr_add(struct ctr_out *o, const struct ha_counter *c)
{
	o->v[o->n] = *c;
	o->v[o->n].exact = o->exact;
	if (++o->n == HA_CTR_CHUNK)
		ctr_send(o, 0);
}

/* Add a pair's counters that moved (all: both, whatever they are). */
static void
pair_counters(struct ctr_out *o, struct ha_pair *p, int all, int in,
    int out)
{
	struct ha_counter c;

	if (in && replay_of(o->ha, p->conn_in, &c) == 0 && (all ||
	    c.r.top != p->sent_top || c.r.bitmap[0] != p->sent_bm0)) {
		note_sent_in(p, &c);
		ctr_add(o, &c);
	}
	if (out && replay_of(o->ha, p->conn_out, &c) == 0 && (all ||
	    c.r.seq_out != p->sent_seq_out)) {
		c.r.window = 0;
		c.r.top = 0;
		memset(c.r.bitmap, 0, sizeof(c.r.bitmap));
		p->sent_seq_out = c.r.seq_out;
		ctr_add(o, &c);
	}
}

void
ha_esp_counter_update(void *arg, uint32_t conn_id)
{
	struct hasync	*ha = arg;
	struct ha_pair	*p;

	if (!syncing(ha) || (p = ha_pair_find(&ha->t, conn_id)) == NULL)
		return;
	if (conn_id == p->conn_in) {
		if (p->queued_in)
			return;
		p->queued_in = 1;
	} else {
		if (p->queued_out)
			return;
		p->queued_out = 1;
	}
	if (ha->ndirty == ha->dirty_cap) {
		ha->dirty_cap = ha->dirty_cap == 0 ? 256 : ha->dirty_cap * 2;
		ha->dirty = xreallocarray(ha->dirty, ha->dirty_cap,
		    sizeof(*ha->dirty));
	}
	ha->dirty[ha->ndirty++] = conn_id;
	if (!ha_timer_armed(ha, HA_TIMER_FLUSH))
		ha_timer_set(ha, HA_TIMER_FLUSH, 0);
}

void
ha_flush_due(struct hasync *ha)
{
	struct ctr_out	*o = xcalloc(1, sizeof(*o));

	o->ha = ha;
	o->stream = IPC_STREAM_COUNTERS;
	for (size_t i = 0; i < ha->ndirty; i++) {
		struct ha_pair *p = ha_pair_find(&ha->t, ha->dirty[i]);
		int	 in, out;

		if (p == NULL)
			continue;
		in = p->queued_in && ha->dirty[i] == p->conn_in;
		out = p->queued_out && ha->dirty[i] == p->conn_out;
		if (!in && !out)
			continue;
		if (in)
			p->queued_in = 0;
		if (out)
			p->queued_out = 0;
		pair_counters(o, p, 1, in, out);
	}
	ha->ndirty = 0;
	ctr_send(o, 0);
	free(o);
}

void
ha_sweep_due(struct hasync *ha)
{
	struct ctr_out	*o;
	int		 all = ha->counters_lost;

	/* periodic until ha_session_stop */
	ha_timer_set(ha, HA_TIMER_SWEEP, HA_SWEEP_MS);
	if (!syncing(ha))
		return;
	o = xcalloc(1, sizeof(*o));
	o->ha = ha;
	o->stream = IPC_STREAM_COUNTERS;
	ha->counters_lost = 0;
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		pair_counters(o, p, all, 1, 1);
	ctr_send(o, 1);
	ha->st.sweeps++;
	free(o);
}

uint32_t
ha_send_exact_counters(struct hasync *ha)
{
	struct ctr_out	*o = xcalloc(1, sizeof(*o));
	uint32_t	 n;

	o->ha = ha;
	o->stream = IPC_STREAM_STATE;
	o->exact = 1;
	for (struct ha_pair *p = ha->t.pairs; p != NULL; p = p->next)
		pair_counters(o, p, 1, 1, 1);
	ctr_send(o, 0);
	n = o->total;
	free(o);
	return n;
}
