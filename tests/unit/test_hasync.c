/* hasync: the RF state derivation and history, the counter tracker. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "hasync/ctr.h"
#include "hasync/rf.h"

static void
test_rf_states(void **state)
{
	static const struct {
		struct rf_facts	 f;
		enum rf_state	 want;
	} t[] = {
		{ { 0, 1, RF_ROLE_ACTIVE, 1, 1, RF_BULK_DONE }, RF_DISABLED },
		{ { 1, 0, RF_ROLE_ACTIVE, 1, 1, RF_BULK_DONE },
		    RF_INITIALIZATION },
		{ { 1, 1, RF_ROLE_UNKNOWN, 1, 1, RF_BULK_DONE },
		    RF_NEGOTIATION },
		{ { 1, 1, RF_ROLE_ACTIVE, 0, 0, RF_BULK_NONE }, RF_ACTIVE },
		{ { 1, 1, RF_ROLE_STANDBY, 0, 1, RF_BULK_DONE },
		    RF_STANDBY_COLD },
		{ { 1, 1, RF_ROLE_STANDBY, 1, 0, RF_BULK_DONE },
		    RF_STANDBY_COLD },
		{ { 1, 1, RF_ROLE_STANDBY, 1, 1, RF_BULK_NONE },
		    RF_STANDBY_COLD },
		{ { 1, 1, RF_ROLE_STANDBY, 1, 1, RF_BULK_RUNNING },
		    RF_STANDBY_COLD_BULK },
		{ { 1, 1, RF_ROLE_STANDBY, 1, 1, RF_BULK_DONE },
		    RF_STANDBY_HOT },
	};

	(void)state;
	for (size_t i = 0; i < nitems(t); i++)
		assert_int_equal(rf_state_of(&t[i].f), t[i].want);
	assert_string_equal(rf_state_name(RF_STANDBY_COLD_BULK),
	    "STANDBY COLD-BULK");
	assert_int_equal(RF_STANDBY_HOT, 8);
	assert_int_equal(RF_ACTIVE, 13);
}

static void
test_rf_history(void **state)
{
	struct rf	 rf;
	struct rf_facts	 f = { 1, 1, RF_ROLE_STANDBY, 1, 1, RF_BULK_NONE };
	const struct rf_change *c;

	(void)state;
	rf_init(&rf, 1000);
	assert_int_equal(rf.state, RF_INITIALIZATION);
	assert_int_equal(rf_update(&rf, &f, "channel up", 2000), 1);
	assert_int_equal(rf.state, RF_STANDBY_COLD);
	/* the same state again is not a change */
	assert_int_equal(rf_update(&rf, &f, "again", 2100), 0);
	f.bulk = RF_BULK_RUNNING;
	rf_update(&rf, &f, "bulk begin", 3000);
	f.bulk = RF_BULK_DONE;
	rf_update(&rf, &f, "bulk end", 4000);
	assert_int_equal(rf.state, RF_STANDBY_HOT);
	c = rf_history(&rf, 0);
	assert_int_equal(c->from, RF_STANDBY_COLD_BULK);
	assert_int_equal(c->to, RF_STANDBY_HOT);
	assert_string_equal(c->reason, "bulk end");
	assert_true(c->wall_ms == 4000);
	assert_int_equal(rf_history(&rf, 3)->to, RF_INITIALIZATION);
	assert_null(rf_history(&rf, 4));
	/* the ring keeps the latest RF_HISTORY changes */
	for (int i = 0; i < 2 * RF_HISTORY; i++) {
		f.role = i % 2 ? RF_ROLE_ACTIVE : RF_ROLE_STANDBY;
		rf_update(&rf, &f, "flap", 5000 + (uint64_t)i);
	}
	assert_int_equal(rf.nhist, RF_HISTORY);
	assert_true(rf_history(&rf, 0)->wall_ms == 5000 + 2 * RF_HISTORY - 1);
	assert_true(rf_history(&rf, RF_HISTORY - 1)->wall_ms ==
	    5000 + RF_HISTORY);
}

static void
test_ctr_rate_and_jump(void **state)
{
	struct ctr_track t;
	uint64_t	 j;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_true(ctr_stale(&t, 5000, 3000));
	/* 1000 packets a second, an update every second */
	for (int i = 0; i <= 5; i++)
		ctr_observe(&t, 1000 * (uint64_t)i, 10000 + 1000 *
		    (uint64_t)i);
	assert_true(t.rate > 999 && t.rate < 1001);
	assert_false(ctr_stale(&t, 15500, 3000));
	/* 500 ms after the last update, 360 ms to notice the failure */
	j = ctr_jump(&t, 1000, 15500, 360);
	/* interval + floor + 1000/s * 0.86 s * 2 */
	assert_true(j >= 1000 + CTR_JUMP_FLOOR + 1700);
	assert_true(j <= 1000 + CTR_JUMP_FLOOR + 1740);
	/* the jump always covers what was really sent meanwhile */
	assert_true(5000 + j > 5000 + 1000 + 860);
	/* a burst raises the rate at once */
	ctr_observe(&t, 25000, 16000);
	assert_true(t.last_rate > 19999);
	assert_true(ctr_jump(&t, 1000, 16000, 360) > 2 * 20000 * 0.36);
	/* a late update with a lower value does not move the counter back */
	ctr_observe(&t, 24000, 16100);
	assert_true(t.seq == 25000);
	assert_true(ctr_stale(&t, 20000, 3000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rf_states),
		cmocka_unit_test(test_rf_history),
		cmocka_unit_test(test_ctr_rate_and_jump),
	};

	return cmocka_run_group_tests_name("hasync", tests, NULL, NULL);
}
