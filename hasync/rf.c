/* The RF state: see rf.h. */
#include <stdio.h>
#include <string.h>

#include "hasync/rf.h"

const char *
rf_state_name(enum rf_state s)
{
	switch (s) {
	case RF_DISABLED:		return "DISABLED";
	case RF_INITIALIZATION:		return "INITIALIZATION";
	case RF_NEGOTIATION:		return "NEGOTIATION";
	case RF_STANDBY_COLD:		return "STANDBY COLD";
	case RF_STANDBY_COLD_BULK:	return "STANDBY COLD-BULK";
	case RF_STANDBY_HOT:		return "STANDBY HOT";
	case RF_ACTIVE:			return "ACTIVE";
	}
	return "UNKNOWN";
}

enum rf_state
rf_state_of(const struct rf_facts *f)
{
	if (!f->configured)
		return RF_DISABLED;
	if (!f->started)
		return RF_INITIALIZATION;
	switch (f->role) {
	case RF_ROLE_UNKNOWN:
		return RF_NEGOTIATION;
	case RF_ROLE_ACTIVE:
		return RF_ACTIVE;
	case RF_ROLE_STANDBY:
		break;
	}
	if (!f->channel_up || !f->config_match)
		return RF_STANDBY_COLD;
	switch (f->bulk) {
	case RF_BULK_RUNNING:
		return RF_STANDBY_COLD_BULK;
	case RF_BULK_DONE:
		return RF_STANDBY_HOT;
	case RF_BULK_NONE:
	case RF_BULK_REQUESTED:
		break;
	}
	return RF_STANDBY_COLD;
}

static void
record(struct rf *rf, enum rf_state from, enum rf_state to,
    const char *reason, uint64_t wall_ms)
{
	struct rf_change *c = &rf->hist[rf->next];

	c->wall_ms = wall_ms;
	c->from = from;
	c->to = to;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	rf->next = (rf->next + 1) % RF_HISTORY;
	if (rf->nhist < RF_HISTORY)
		rf->nhist++;
	rf->changes++;
}

void
rf_init(struct rf *rf, uint64_t wall_ms)
{
	memset(rf, 0, sizeof(*rf));
	rf->facts.configured = 1;
	rf->state = RF_INITIALIZATION;
	record(rf, RF_DISABLED, RF_INITIALIZATION, "start", wall_ms);
}

int
rf_update(struct rf *rf, const struct rf_facts *f, const char *reason,
    uint64_t wall_ms)
{
	enum rf_state s = rf_state_of(f);

	rf->facts = *f;
	if (s == rf->state)
		return 0;
	record(rf, rf->state, s, reason, wall_ms);
	rf->state = s;
	return 1;
}

const struct rf_change *
rf_history(const struct rf *rf, int i)
{
	if (i < 0 || i >= rf->nhist)
		return NULL;
	return &rf->hist[(rf->next - 1 - i + RF_HISTORY) % RF_HISTORY];
}
