/*
 * ike/quick.c through two engines (tests/unit/ike_pair.c): the responder's
 * halves of QM1 when the data plane fails a step (no SPI, the inbound SA
 * refused: the exchange goes, nothing is sent, nothing is left, and the
 * peer's retransmission completes it once the data plane works), and every
 * state name the traces print is one the code has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "ike/ike_int.h"
#include "ike_pair.h"

static struct esp_backend_ops broken;

static int
no_spi(struct esp_backend *be, uint32_t *spi)
{
	(void)be;
	(void)spi;
	return -1;
}

static int
no_sa(struct esp_backend *be, const struct esp_sa *sa)
{
	(void)be;
	(void)sa;
	return -1;
}

/*
 * Phase 1 between a and b, then QM1 to b with b's data plane failing as
 * asked; returns the ops to put back before pair_free().
 */
static const struct esp_backend_ops *
qm1_to_broken_b(struct pair *p, int (*alloc_spi)(struct esp_backend *,
    uint32_t *), int (*add_sa)(struct esp_backend *, const struct esp_sa *))
{
	const struct esp_backend_ops *ops = p->n[1].be->ops;

	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	for (int i = 0; i < 6; i++)
		pair_step(p);	/* MM1..MM6; QM1 is queued */
	assert_int_equal(p->nq, 1);
	broken = *ops;
	if (alloc_spi != NULL)
		broken.alloc_spi = alloc_spi;
	if (add_sa != NULL)
		broken.add_sa = add_sa;
	p->n[1].be->ops = &broken;
	pair_log_reset();
	pair_step(p);		/* QM1 -> b */
	return ops;
}

/*
 * The failure was ours, not the peer's: once the data plane works again,
 * the initiator's retransmission of QM1 (2 s) completes the exchange
 * (before, its message ID counted as used and each retransmission was
 * dropped as a replay until the initiator gave up).
 */
static void
retransmission_completes(struct pair *p, const struct esp_backend_ops *ops)
{
	p->n[1].be->ops = ops;
	pair_advance(p, 2500);
	pair_run(p, 100);
	assert_int_equal(p->n[1].ike->st.replays, 0);
	assert_int_equal(p->n[0].ike->st.p2_ok, 1);
	assert_int_equal(p->n[1].ike->st.p2_ok, 1);
	assert_int_equal(p->n[0].ike->nchildren, 1);
	assert_int_equal(p->n[1].ike->nchildren, 1);
}

static void
test_responder_without_spi(void **state)
{
	struct pair	*p = pair_new(pair_conf_a, pair_conf_b);
	const struct esp_backend_ops *ops;

	(void)state;
	ops = qm1_to_broken_b(p, no_spi, NULL);
	assert_int_equal(p->n[1].ike->st.p2_fail, 1);
	assert_true(pair_log_has("failed: the data plane has no SPI"));
	/* the proposal was chosen; the SPI step is where it ended */
	assert_true(pair_log_has("atts are acceptable."));
	assert_false(pair_log_has("QM Responder gets spi"));
	assert_int_equal(p->nq, 0);
	assert_null(p->n[1].ike->sas->qms);
	assert_int_equal(esp_fake_nsas(p->n[1].be), 0);
	retransmission_completes(p, ops);
	pair_free(p);
}

static void
test_responder_inbound_refused(void **state)
{
	struct pair	*p = pair_new(pair_conf_a, pair_conf_b);
	const struct esp_backend_ops *ops;

	(void)state;
	ops = qm1_to_broken_b(p, NULL, no_sa);
	assert_int_equal(p->n[1].ike->st.p2_fail, 1);
	assert_true(pair_log_has("failed: the data plane refused the inbound "
	    "SA"));
	assert_true(pair_log_has("Old State = IKE_QM_READY  New State = "
	    "IKE_QM_SPI_STARVE"));
	/* QM2 is never built */
	assert_false(pair_log_has("IKE_GOT_SPI"));
	assert_int_equal(p->nq, 0);
	assert_null(p->n[1].ike->sas->qms);
	assert_int_equal(esp_fake_nsas(p->n[1].be), 0);
	retransmission_completes(p, ops);
	pair_free(p);
}

static const enum ike_fsm fsm_states[] = {
#define X(n, fsm, show)	IKE_##n,
	IKE_FSM_STATES(X)
#undef X
};
static const enum ike_qm_state qm_states[] = {
#define X(n, name)	QM_##n,
	IKE_QM_STATES(X)
#undef X
};

/* A state name of the code, or IOS's SPI wait (see ike_int.h). */
static int
known_state(const char *s, size_t len)
{
	const char	*spi_starve = "IKE_QM_SPI_STARVE";

	for (size_t i = 0; i < nitems(fsm_states); i++)
		if (strlen(ike_fsm_name(fsm_states[i])) == len &&
		    strncmp(ike_fsm_name(fsm_states[i]), s, len) == 0)
			return 1;
	for (size_t i = 0; i < nitems(qm_states); i++)
		if (strlen(ike_qm_state_name(qm_states[i])) == len &&
		    strncmp(ike_qm_state_name(qm_states[i]), s, len) == 0)
			return 1;
	return strlen(spi_starve) == len && strncmp(spi_starve, s, len) == 0;
}

/* Every "Old State = X  New State = Y" of the log; how many. */
static int
check_state_lines(void)
{
	const char	*t = pair_log_text(), *at, *old, *new;
	int		 n = 0;

	if (t == NULL)
		return -1;	/* tracing to stderr */
	for (at = t; (at = strstr(at, "Old State = ")) != NULL; at = new) {
		old = at + strlen("Old State = ");
		new = strstr(old, "  New State = ");
		assert_non_null(new);
		assert_true(known_state(old, (size_t)(new - old)));
		new += strlen("  New State = ");
		assert_true(known_state(new, strcspn(new, "\n")));
		n++;
	}
	return n;
}

static void
test_traced_states_exist(void **state)
{
	char		*am = pair_edit(pair_conf_a, "crypto isakmp key",
	    "crypto isakmp peer address 10.0.0.20\n"
	    " set aggressive-mode client-endpoint ipv4-address 10.0.0.11\n"
	    "crypto isakmp key");
	struct pair	*p;

	(void)state;
	/* Main Mode and Quick Mode, both roles */
	p = pair_new(pair_conf_a, pair_conf_b);
	pair_log_reset();
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	assert_int_equal(pair_count_ipsec(p, 1), 1);
	assert_true(check_state_lines() != 0);
	assert_true(pair_log_has("Old State = IKE_READY  New State = "
	    "IKE_I_MM1"));
	assert_true(pair_log_has("Old State = IKE_QM_READY  New State = "
	    "IKE_QM_I_QM1"));
	assert_true(pair_log_has("Old State = IKE_QM_SPI_STARVE  New State = "
	    "IKE_QM_R_QM2"));
	assert_true(pair_log_has("Old State = IKE_QM_R_QM2  New State = "
	    "IKE_QM_PHASE2_COMPLETE"));
	assert_true(pair_log_has("Old State = IKE_QM_I_QM1  New State = "
	    "IKE_QM_PHASE2_COMPLETE"));
	pair_free(p);

	/* Aggressive Mode, and a Quick Mode with the commit bit */
	p = pair_new(am, pair_conf_b);
	p->n[0].ike->set_commit = 1;
	pair_log_reset();
	assert_int_equal(pair_acquire(p, 0, "192.168.20.1", "172.21.91.1"), 0);
	pair_run(p, 100);
	pair_advance(p, 2000);	/* b's AM2 waits for a's AM1 again */
	assert_int_equal(pair_count_ipsec(p, 0), 1);
	assert_true(check_state_lines() != 0);
	assert_true(pair_log_has("New State = IKE_R_AM1"));
	pair_free(p);
	free(am);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_responder_without_spi),
		cmocka_unit_test(test_responder_inbound_refused),
		cmocka_unit_test(test_traced_states_exist),
	};

	pair_log_init();
	return cmocka_run_group_tests_name("ike_quick", tests, NULL, NULL);
}
