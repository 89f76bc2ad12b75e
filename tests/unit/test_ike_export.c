/*
 * Export, import and the listener: the SAs of one engine are exported as
 * plain structs, imported into a fresh engine (a standby taking over),
 * and that engine continues them with the peer: a DPD exchange, a Quick
 * Mode rekey and Informational Deletes, all on the imported keys, IV and
 * sequence numbers.  The listener sees every event hasync needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike/ike_int.h"
#include "ike_pair.h"

struct events {
	int		 isakmp_up, isakmp_updated, isakmp_deleted;
	int		 ipsec_up, ipsec_rekeyed, ipsec_deleted;
	struct ike_isakmp_state isakmp[4];
	int		 nisakmp;
	struct ike_ipsec_state ipsec[8];
	int		 nipsec;
	uint32_t	 last_dpd_seq;
	uint32_t	 rekeyed_old;
};

static void
ev_isakmp_up(void *arg, const struct ike_isakmp_state *s)
{
	struct events	*e = arg;

	e->isakmp_up++;
	if (e->nisakmp < 4)
		e->isakmp[e->nisakmp++] = *s;
}

static void
ev_isakmp_updated(void *arg, const struct ike_isakmp_state *s)
{
	struct events	*e = arg;

	e->isakmp_updated++;
	e->last_dpd_seq = s->dpd_seq_out;
	/* the latest state replaces the copy hasync would keep */
	for (int i = 0; i < e->nisakmp; i++)
		if (e->isakmp[i].conn_id == s->conn_id)
			e->isakmp[i] = *s;
}

static void
ev_isakmp_deleted(void *arg, uint32_t id, const uint8_t *ic,
    const uint8_t *rc)
{
	struct events	*e = arg;

	(void)id;
	(void)ic;
	(void)rc;
	e->isakmp_deleted++;
}

static void
ev_ipsec_up(void *arg, const struct ike_ipsec_state *s)
{
	struct events	*e = arg;

	e->ipsec_up++;
	if (e->nipsec < 8)
		e->ipsec[e->nipsec++] = *s;
}

static void
ev_ipsec_rekeyed(void *arg, const struct ike_ipsec_state *s, uint32_t old)
{
	struct events	*e = arg;

	e->ipsec_rekeyed++;
	e->rekeyed_old = old;
	if (e->nipsec < 8)
		e->ipsec[e->nipsec++] = *s;
}

static void
ev_ipsec_deleted(void *arg, uint32_t in, uint32_t out)
{
	struct events	*e = arg;

	(void)in;
	(void)out;
	e->ipsec_deleted++;
}

static void
subscribe(struct ike *ike, struct events *e)
{
	struct ike_listener l = {
		.arg = e,
		.isakmp_up = ev_isakmp_up,
		.isakmp_updated = ev_isakmp_updated,
		.isakmp_deleted = ev_isakmp_deleted,
		.ipsec_up = ev_ipsec_up,
		.ipsec_rekeyed = ev_ipsec_rekeyed,
		.ipsec_deleted = ev_ipsec_deleted,
	};

	memset(e, 0, sizeof(*e));
	assert_int_equal(ike_add_listener(ike, &l), 0);
}

struct dump {
	struct ike_isakmp_state	 isakmp[4];
	int			 nisakmp;
	struct ike_ipsec_state	 ipsec[8];
	int			 nipsec;
};

static void
dump_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	struct dump	*d = arg;

	d->isakmp[d->nisakmp++] = *s;
}

static void
dump_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	struct dump	*d = arg;

	d->ipsec[d->nipsec++] = *s;
}

static char *
conf_with(const char *base, const char *life, int dpd)
{
	char	*a = pair_edit(base, "crypto isakmp key", dpd ?
	    "crypto isakmp keepalive 10 2 periodic\ncrypto isakmp key" :
	    "crypto isakmp key");
	char	*b, line[128];

	snprintf(line, sizeof(line), " match address 110\n set "
	    "security-association lifetime seconds %s\n", life);
	b = pair_edit(a, " match address 110\n", line);
	free(a);
	return b;
}

static void
test_export_import_continue(void **state)
{
	/* only a sends R-U-THEREs, so a's sequence numbers are the test */
	char		*ca = conf_with(pair_conf_a, "60", 1);
	char		*cb = conf_with(pair_conf_b, "3600", 0);
	struct pair	*p = pair_new(ca, cb);
	struct events	 ev, ev2;
	struct dump	 d;
	struct ike_isakmp_state s;
	const struct esp_sa *e1, *e2;
	uint32_t	 seq;

	(void)state;
	subscribe(p->n[0].ike, &ev);
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	assert_int_equal(ev.isakmp_up, 1);
	assert_int_equal(ev.ipsec_up, 1);
	/* what the listener got is what export gives */
	memset(&d, 0, sizeof(d));
	assert_int_equal(ike_export_isakmp(p->n[0].ike, dump_isakmp, &d), 1);
	assert_int_equal(ike_export_ipsec(p->n[0].ike, dump_ipsec, &d), 1);
	assert_memory_equal(d.isakmp[0].skeyid_a, ev.isakmp[0].skeyid_a, 32);
	assert_int_equal(d.ipsec[0].spi_in, ev.ipsec[0].spi_in);
	assert_memory_equal(d.ipsec[0].enc_key_in, ev.ipsec[0].enc_key_in, 32);
	/* a DPD on the original moves the sequence number: an update */
	pair_advance(p, 10500);
	assert_int_equal(p->n[0].ike->st.dpd_acked, 1);
	assert_true(ev.isakmp_updated >= 1);
	seq = ev.isakmp[0].dpd_seq_out;
	assert_int_equal(seq, ev.last_dpd_seq);
	memset(&d, 0, sizeof(d));
	ike_export_isakmp(p->n[0].ike, dump_isakmp, &d);
	ike_export_ipsec(p->n[0].ike, dump_ipsec, &d);
	assert_int_equal(d.isakmp[0].dpd_seq_out, seq);

	/* node a dies; a fresh engine and data plane import its SAs */
	pair_restart(p, 0, 1);
	subscribe(p->n[0].ike, &ev2);
	ike_set_active(p->n[0].ike, 0);		/* a standby imports */
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &d.isakmp[0]), 0);
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &d.ipsec[0], 1), 0);
	/* the same SA twice is refused */
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &d.isakmp[0]), -1);
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &d.ipsec[0], 1), -1);
	/* nothing runs while standby, and imports emit nothing */
	assert_int_equal(ike_next_deadline(p->n[0].ike), UINT64_MAX);
	assert_int_equal(ev2.isakmp_up + ev2.ipsec_up, 0);
	e1 = esp_fake_sa(p->n[0].be, d.ipsec[0].conn_out);
	assert_non_null(e1);
	assert_int_equal(e1->spi, d.ipsec[0].spi_out);
	assert_memory_equal(e1->enc_key, d.ipsec[0].enc_key_out, 32);
	e2 = esp_fake_sa(p->n[1].be, 0);
	(void)e2;
	assert_int_equal(pair_isakmp(p, 0, &s), 0);
	assert_int_equal(s.conn_id, d.isakmp[0].conn_id);
	assert_memory_equal(s.iv, d.isakmp[0].iv, 16);

	/* takeover: active, and the peer notices nothing */
	ike_set_active(p->n[0].ike, 1);
	/* DPD continues from the imported sequence number */
	pair_advance(p, 10500);
	assert_int_equal(p->n[0].ike->st.dpd_acked, 1);
	assert_int_equal(p->n[1].ike->st.hash_fail, 0);
	assert_int_equal(p->n[1].ike->st.decrypt_fail, 0);
	assert_int_equal(pair_isakmp(p, 0, &s), 0);
	assert_int_equal(s.dpd_seq_out, seq + 1);
	/* the Quick Mode rekey at 85-90 % of 60 s, under the imported keys */
	pair_advance(p, 35000);
	assert_int_equal(ev2.ipsec_rekeyed, 1);
	assert_int_equal(ev2.rekeyed_old, d.ipsec[0].conn_in);
	assert_int_equal(pair_count_ipsec(p, 1), 2);
	/* new conn-ids do not collide with the imported ones */
	assert_true(ev2.ipsec[0].conn_in > d.ipsec[0].conn_out);
	pair_advance(p, IKE_REKEY_GRACE_MS + 100);
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	assert_int_equal(pair_count_ipsec(p, 1), 1);
	assert_int_equal(ev2.ipsec_deleted, 1);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 2);
	/* Informational Deletes from the imported SA reach the peer */
	assert_int_equal(ike_clear_sa(p->n[0].ike, NULL), 1);
	pair_run(p, 100);
	assert_int_equal(pair_count_ipsec(p, 1), 0);
	assert_int_equal(esp_fake_nsas(p->n[1].be), 0);
	assert_int_equal(ike_clear_isakmp(p->n[0].ike, 0), 1);
	pair_run(p, 100);
	assert_int_equal(pair_count_isakmp(p, 1), 0);
	assert_int_equal(ev2.isakmp_deleted, 1);
	assert_int_equal(p->n[1].ike->st.hash_fail, 0);
	pair_free(p);
	free(ca);
	free(cb);
}

/* Inconsistent state is refused, never half-imported. */
static void
test_import_validation(void **state)
{
	struct pair	*p = pair_new(pair_conf_a, pair_conf_b);
	struct dump	 d;
	struct ike_isakmp_state s;
	struct ike_ipsec_state c;

	(void)state;
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	memset(&d, 0, sizeof(d));
	ike_export_isakmp(p->n[0].ike, dump_isakmp, &d);
	ike_export_ipsec(p->n[0].ike, dump_ipsec, &d);
	pair_restart(p, 0, 1);
	s = d.isakmp[0];
	s.version = 99;
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &s), -1);
	s = d.isakmp[0];
	s.hash = 77;
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &s), -1);
	s = d.isakmp[0];
	s.enc_key_len = 5;
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &s), -1);
	s = d.isakmp[0];
	s.group = 3;
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &s), -1);
	c = d.ipsec[0];
	c.conn_out = c.conn_in;
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &c, 1), -1);
	c = d.ipsec[0];
	c.enc_key_len = 200;
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &c, 1), -1);
	c = d.ipsec[0];
	c.enc = 9;
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &c, 1), -1);
	assert_int_equal(pair_count_isakmp(p, 0), 0);
	assert_int_equal(pair_count_ipsec(p, 0), 0);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 0);
	/* the good ones go in; install 0 leaves the data plane alone */
	assert_int_equal(ike_import_isakmp(p->n[0].ike, &d.isakmp[0]), 0);
	assert_int_equal(ike_import_ipsec(p->n[0].ike, &d.ipsec[0], 0), 0);
	assert_int_equal(esp_fake_nsas(p->n[0].be), 0);
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	pair_free(p);
}

/*
 * What hasync adds: forgetting an SA without a word to the peer, marking
 * a pair replaced by a rekey elsewhere, rekeying a pair now (its outbound
 * SA out of the data plane first), removing a listener.
 */
static void
test_forget_replace_rekey(void **state)
{
	struct pair	*p = pair_new(pair_conf_a, pair_conf_b);
	struct events	 ev;
	struct dump	 d;
	struct ike	*ike;
	int		 sent;

	(void)state;
	subscribe(p->n[0].ike, &ev);
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	ike = p->n[0].ike;
	memset(&d, 0, sizeof(d));
	ike_export_isakmp(ike, dump_isakmp, &d);
	ike_export_ipsec(ike, dump_ipsec, &d);

	/* rekey now, outbound stopped: no outbound SA until the new pair */
	assert_int_equal(ike_rekey_ipsec(ike, 9999, 1), -1);
	assert_int_equal(ike_rekey_ipsec(ike, d.ipsec[0].conn_out, 1), 0);
	assert_null(esp_fake_sa(p->n[0].be, d.ipsec[0].conn_out));
	assert_non_null(esp_fake_sa(p->n[0].be, d.ipsec[0].conn_in));
	pair_run(p, 100);
	assert_int_equal(ev.ipsec_rekeyed, 1);
	assert_int_equal(pair_count_ipsec(p, 0), 2);
	/* a replaced pair is not rekeyed again */
	assert_int_equal(ike_rekey_ipsec(ike, d.ipsec[0].conn_in, 0), -1);

	/* forget: gone from the engine and the data plane, nothing sent */
	sent = p->n[0].sent;
	assert_int_equal(ike_forget_ipsec(ike, d.ipsec[0].conn_in), 0);
	assert_null(esp_fake_sa(p->n[0].be, d.ipsec[0].conn_in));
	assert_int_equal(ike_forget_ipsec(ike, d.ipsec[0].conn_in), -1);
	assert_int_equal(ike_forget_isakmp(ike, d.isakmp[0].conn_id), 0);
	assert_int_equal(ike_forget_isakmp(ike, d.isakmp[0].conn_id), -1);
	assert_int_equal(pair_count_isakmp(p, 0), 0);
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	assert_int_equal(p->n[0].sent, sent);
	assert_int_equal(ev.ipsec_deleted + ev.isakmp_deleted, 0);

	/* replaced on another node: deleted 5 s later, not rekeyed */
	memset(&d, 0, sizeof(d));
	ike_export_ipsec(ike, dump_ipsec, &d);
	assert_int_equal(ike_ipsec_replaced(ike, d.ipsec[0].conn_in), 0);
	assert_int_equal(ike_ipsec_replaced(ike, 9999), -1);
	memset(&d, 0, sizeof(d));
	ike_export_ipsec(ike, dump_ipsec, &d);
	assert_true(d.ipsec[0].rekeyed);
	/* not rekeyed, but its outbound SA can still be taken out */
	assert_non_null(esp_fake_sa(p->n[0].be, d.ipsec[0].conn_out));
	assert_int_equal(ike_rekey_ipsec(ike, d.ipsec[0].conn_in, 1), -1);
	assert_null(esp_fake_sa(p->n[0].be, d.ipsec[0].conn_out));
	pair_advance(p, 4500);
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	pair_advance(p, 1000);
	assert_int_equal(pair_count_ipsec(p, 0), 0);
	assert_int_equal(ev.ipsec_deleted, 1);

	/* a removed listener hears nothing more */
	assert_int_equal(ike_remove_listener(ike, &ev), 1);
	assert_int_equal(ike_remove_listener(ike, &ev), 0);
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	assert_int_equal(ev.ipsec_up, 1);
	pair_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_import_continue),
		cmocka_unit_test(test_import_validation),
		cmocka_unit_test(test_forget_replace_rekey),
	};

	pair_log_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
