/*
 * The replication's clock and timers, all through struct hasync_io: the
 * core reads no clock and arms no libev watcher of its own, so that the
 * unit tests can run two nodes under one stepped clock.
 *
 * Every timer is one-shot.  The core keeps which are armed (ha->timers),
 * so that "is it armed?" never asks the owner; a periodic timer (SWEEP,
 * PREEMPT, NEGO) is armed again by its own handler:
 *
 *   SWEEP	ha_session_start arms it (1 s); each sweep re-arms it;
 *		ha_session_stop stops it
 *   FLUSH	the first counter_update of a batch arms it (0 ms)
 *   RETRY	each snapshot request arms it (2 s); a BulkBegin, the
 *		channel going down or a role change stops it
 *   APPLY	ha_rf_update arms it (0 ms) unless it is armed
 *   SWITCHOVER	each switchover step arms it for its deadline, or polls
 *		(10 ms) while the old active drains
 *   PREEMPT	STANDBY HOT arms it (0 ms, then every 500 ms); any other
 *		state stops it
 *   NEGO	Backup before an Active router is heard (every 50 ms)
 */
#include "hasync/ha_int.h"

uint64_t
ha_now_us(const struct hasync *ha)
{
	return ha->io.now_us(ha->io.arg);
}

uint64_t
ha_now_ms(const struct hasync *ha)
{
	return ha->io.now_us(ha->io.arg) / 1000;
}

uint64_t
ha_wall_ms(const struct hasync *ha)
{
	return ha->io.wall_ms(ha->io.arg);
}

void
ha_timer_set(struct hasync *ha, enum ha_timer id, uint64_t delay_ms)
{
	ha->timers |= 1U << id;
	ha->io.timer_set(ha->io.arg, id, delay_ms);
}

void
ha_timer_stop(struct hasync *ha, enum ha_timer id)
{
	if ((ha->timers & (1U << id)) == 0)
		return;
	ha->timers &= ~(1U << id);
	ha->io.timer_stop(ha->io.arg, id);
}

int
ha_timer_armed(const struct hasync *ha, enum ha_timer id)
{
	return (ha->timers & (1U << id)) != 0;
}

void
hasync_timer_fire(struct hasync *ha, enum ha_timer id)
{
	if ((ha->timers & (1U << id)) == 0)
		return;		/* stopped meanwhile (the owner raced it) */
	ha->timers &= ~(1U << id);
	switch (id) {
	case HA_TIMER_SWEEP:
		ha_sweep_due(ha);
		break;
	case HA_TIMER_FLUSH:
		ha_flush_due(ha);
		break;
	case HA_TIMER_RETRY:
		ha_retry_due(ha);
		break;
	case HA_TIMER_APPLY:
		ha_apply_due(ha);
		break;
	case HA_TIMER_SWITCHOVER:
		ha_switchover_due(ha);
		break;
	case HA_TIMER_PREEMPT:
		ha_preempt_due(ha);
		break;
	case HA_TIMER_NEGO:
		ha_nego_due(ha);
		break;
	case HA_TIMER_REKEY:
		ha_rekey_due(ha);
		break;
	case HA_NTIMERS:
		break;
	}
}
