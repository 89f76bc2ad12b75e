/*
 * The election, pure: events and the time in, actions out through
 * struct vrrp_fsm_ops.  No sockets, no clock, no logging.
 *
 * States (RFC 9568 6.4): Initialize, Backup, Master (shown as Init,
 * Standby, Active).
 *
 * Timers, each a deadline in microseconds, per group:
 *   Master_Down_Timer	Backup: max(3 x Master_Adver_Interval + Skew_Time,
 *			hold), or Skew_Time after a priority-0 advert
 *   Adver_Timer	Master: Advertisement_Interval
 *   GARP repeat	Master: a second gratuitous ARP burst, 5 s in
 *
 * Groups move together.  Groups form sets; a set has one state, one
 * effective priority and one preemption setting, those of its leader
 * (minus the tracking of every group in the set).  A group that leads
 * itself is a set of one, and then all of this is RFC 9568 6.4 word for
 * word.  For a set of several groups, each group still runs its own
 * timers and advertises on its own link, and:
 *
 *   - the set is operational only while every group's interface is up and
 *     no "track N shutdown" object is down; otherwise it is Initialize;
 *   - a Backup set becomes Master when the Master_Down_Timer of *every*
 *     group has expired: a better Active router still heard on any one
 *     link keeps the whole set Backup (a partition of one link never
 *     splits the node);
 *   - a Master set becomes Backup as soon as *any* group hears a better
 *     Active router; on a follower's link "better" is a strictly higher
 *     priority (the address tie-break is the leader link's alone, as the
 *     two nodes' addresses may compare differently on another link).
 *
 * Beyond RFC 9568: a Master hearing a lower priority answers with an
 * advert at once (RFC 9568 6.4.3 lets it; keepalived does) and, at most
 * once a second, a gratuitous ARP burst, so ARP caches heal after a
 * partition.  Preemption with "delay minimum S" honours lower-priority
 * adverts for S seconds after it first hears one, then preempts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "vrrp/vrrp_int.h"

#define ADV_US(cs)	((uint64_t)(cs) * 10000)

uint64_t
vrrp_skew_us(int prio, uint16_t master_adv_cs)
{
	return (uint64_t)(256 - prio) * ADV_US(master_adv_cs) / 256;
}

uint64_t
vrrp_master_down_us(int prio, uint16_t master_adv_cs, uint64_t hold_us)
{
	uint64_t mdi;

	mdi = 3 * ADV_US(master_adv_cs) + vrrp_skew_us(prio, master_adv_cs);
	return mdi > hold_us ? mdi : hold_us;
}

void
vrrp_fsm_init(struct vrrp_fsm *f, const struct vrrp_fsm_ops *ops, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	f->arg = arg;
	f->ready = 1;
}

void
vrrp_fsm_cleanup(struct vrrp_fsm *f)
{
	for (int i = 0; i < f->ngroups; i++)
		free(f->groups[i].tracks);
	free(f->groups);
	free(f->sets);
	free(f->tstates);
	memset(f, 0, sizeof(*f));
}

static void
group_set_conf(struct vrrp_fsm_group *g, const struct vrrp_fsm_gconf *c)
{
	free(g->tracks);
	g->c = *c;
	g->tracks = NULL;
	if (c->ntracks > 0) {
		g->tracks = xreallocarray(NULL, (size_t)c->ntracks,
		    sizeof(*g->tracks));
		memcpy(g->tracks, c->tracks,
		    (size_t)c->ntracks * sizeof(*g->tracks));
	}
	g->c.tracks = g->tracks;
}

int
vrrp_fsm_add_group(struct vrrp_fsm *f, const struct vrrp_fsm_gconf *c)
{
	struct vrrp_fsm_group *g;
	struct vrrp_fsm_set *s;
	int	 gi = f->ngroups;

	if (f->started || c->adv_cs == 0 || c->adv_cs > VRRP_MAX_INTERVAL ||
	    c->priority < 1 || c->priority > 254 ||
	    (c->leader >= 0 && (c->leader >= gi ||
	    f->groups[c->leader].c.leader != -1)))
		return -1;
	f->groups = xreallocarray(f->groups, (size_t)gi + 1,
	    sizeof(*f->groups));
	g = &f->groups[gi];
	memset(g, 0, sizeof(*g));
	group_set_conf(g, c);
	g->link_up = 1;
	g->master_adv_cs = c->adv_cs;
	f->ngroups++;
	if (c->leader >= 0) {
		g->set = f->groups[c->leader].set;
		return gi;
	}
	f->sets = xreallocarray(f->sets, (size_t)f->nsets + 1,
	    sizeof(*f->sets));
	s = &f->sets[f->nsets];
	memset(s, 0, sizeof(*s));
	s->leader = gi;
	s->state = VRRP_STATE_INIT;
	s->priority = c->priority;
	g->set = f->nsets++;
	return gi;
}

static int
track_up(const struct vrrp_fsm *f, int id)
{
	for (int i = 0; i < f->ntstates; i++)
		if (f->tstates[i].id == id)
			return f->tstates[i].up;
	return 0;	/* never reported: down, like a missing interface */
}

int
vrrp_fsm_track_up(const struct vrrp_fsm *f, int id)
{
	return track_up(f, id);
}

/*
 * The set's effective priority: the leader's, minus every down object's
 * decrement (an object tracked by several groups counts once, with its
 * largest decrement), within 1-254; 1 when not ready.  *shut: a down
 * object is tracked with "shutdown".
 */
static int
set_priority(const struct vrrp_fsm *f, int si, int *shut)
{
	const struct vrrp_fsm_set *s = &f->sets[si];
	struct vrrp_fsm_track *down = NULL;
	int	 prio = f->groups[s->leader].c.priority, ndown = 0, i;

	*shut = 0;
	for (int gi = 0; gi < f->ngroups; gi++) {
		const struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		for (int k = 0; k < g->c.ntracks; k++) {
			const struct vrrp_fsm_track *t = &g->c.tracks[k];

			if (track_up(f, t->id))
				continue;
			if (t->shutdown) {
				*shut = 1;
				continue;
			}
			for (i = 0; i < ndown; i++)
				if (down[i].id == t->id)
					break;
			if (i == ndown) {
				down = xreallocarray(down, (size_t)ndown + 1,
				    sizeof(*down));
				down[ndown++] = *t;
			} else if (t->decrement > down[i].decrement)
				down[i].decrement = t->decrement;
		}
	}
	for (i = 0; i < ndown; i++)
		prio -= down[i].decrement;
	free(down);
	if (prio < 1)
		prio = 1;
	if (prio > 254)
		prio = 254;
	if (!f->ready)
		prio = VRRP_NOT_READY_PRIO;
	return prio;
}

static int
set_preempt(const struct vrrp_fsm *f, const struct vrrp_fsm_set *s)
{
	return f->ready && !f->no_preempt && f->groups[s->leader].c.preempt;
}

static int
set_operational(const struct vrrp_fsm *f, int si)
{
	if (!f->started || f->sets[si].shut)
		return 0;
	for (int gi = 0; gi < f->ngroups; gi++)
		if (f->groups[gi].set == si && !f->groups[gi].link_up)
			return 0;
	return 1;
}

static uint64_t
group_mdi(const struct vrrp_fsm *f, const struct vrrp_fsm_group *g)
{
	return vrrp_master_down_us(f->sets[g->set].priority, g->master_adv_cs,
	    g->c.hold_us);
}

static void
send_advert(struct vrrp_fsm *f, int gi, int prio, uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];

	if (!g->link_up)
		return;
	f->ops->send(f->arg, gi, prio);
	g->adverts_tx++;
	if (prio == VRRP_PRIO_STOP)
		g->prio0_tx++;
	else
		g->adver_at = now + ADV_US(g->c.adv_cs);
}

static void
vip_off(struct vrrp_fsm *f, int gi)
{
	struct vrrp_fsm_group *g = &f->groups[gi];

	if (!g->vip_held)
		return;
	if (f->keep_vips) {
		/* the new active takes it: both hold it for a moment */
		g->vip_kept = 1;
		return;
	}
	f->ops->vip(f->arg, gi, 0);
	g->vip_held = 0;
	g->vip_kept = 0;
}

static void
garp(struct vrrp_fsm *f, int gi, uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];

	f->ops->garp(f->arg, gi);
	g->garps++;
	g->heal_at = now + VRRP_HEAL_GARP_US;
}

/* The state change of a set, its groups' actions done by the caller. */
static void
set_state(struct vrrp_fsm *f, int si, enum vrrp_state to, uint64_t now,
    const char *reason, int notify_role)
{
	struct vrrp_fsm_set *s = &f->sets[si];
	enum vrrp_state from = s->state;

	s->state = to;
	s->preempt_wait = 0;
	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		g->state_changes++;
		g->last_change = now;
		snprintf(g->reason, sizeof(g->reason), "%s", reason);
		f->ops->state(f->arg, gi, from, to, reason);
	}
	if (notify_role)
		f->ops->role(f->arg, s->leader, from, to, reason);
}

static void
enter_backup(struct vrrp_fsm *f, int si, uint64_t now, const char *reason)
{
	struct vrrp_fsm_set *s = &f->sets[si];
	enum vrrp_state from = s->state;

	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		vip_off(f, gi);
		if (from == VRRP_STATE_INIT) {
			g->master_adv_cs = g->c.adv_cs;
			g->master_known = 0;
		}
		g->adver_at = g->garp_at = 0;
		g->down_prio0 = 0;
		g->down_at = now + group_mdi(f, g);
	}
	set_state(f, si, VRRP_STATE_BACKUP, now, reason, 1);
}

static void
enter_master(struct vrrp_fsm *f, int si, uint64_t now, const char *reason)
{
	struct vrrp_fsm_set *s = &f->sets[si];

	/* before the VIPs: a listener may ready its data plane first */
	f->ops->role(f->arg, s->leader, s->state, VRRP_STATE_MASTER, reason);
	/* the advert first: an old Active router lets go before our GARP */
	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		g->down_at = 0;
		g->master_known = 0;
		send_advert(f, gi, s->priority, now);
		f->ops->vip(f->arg, gi, 1);
		g->vip_held = 1;
		g->vip_kept = 0;
		garp(f, gi, now);
		g->garp_at = now + VRRP_GARP_REPEAT_US;
	}
	set_state(f, si, VRRP_STATE_MASTER, now, reason, 0);
}

/* Leave Master or Backup for Initialize: priority 0 first if Master. */
static void
enter_init(struct vrrp_fsm *f, int si, uint64_t now, const char *reason)
{
	struct vrrp_fsm_set *s = &f->sets[si];

	if (s->state == VRRP_STATE_INIT)
		return;
	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		if (s->state == VRRP_STATE_MASTER)
			send_advert(f, gi, VRRP_PRIO_STOP, now);
		vip_off(f, gi);
		g->down_at = g->adver_at = g->garp_at = 0;
	}
	set_state(f, si, VRRP_STATE_INIT, now, reason, 1);
}

/* Operational again, or no longer: Initialize <-> Backup. */
static void
set_check_operational(struct vrrp_fsm *f, int si, uint64_t now,
    const char *why_up, const char *why_down)
{
	int	 op = set_operational(f, si);

	if (op && f->sets[si].state == VRRP_STATE_INIT)
		enter_backup(f, si, now, why_up);
	else if (!op && f->sets[si].state != VRRP_STATE_INIT)
		enter_init(f, si, now, why_down);
}

/* Priority and shutdown from the tracking and readiness, acted upon. */
static void
set_recompute(struct vrrp_fsm *f, int si, uint64_t now, const char *why)
{
	struct vrrp_fsm_set *s = &f->sets[si];
	int	 shut, prio = set_priority(f, si, &shut);
	int	 changed = prio != s->priority;

	s->priority = prio;
	s->shut = shut;
	if (!set_preempt(f, s))
		s->preempt_wait = 0;
	set_check_operational(f, si, now, why, why);
	/* a priority change is advertised at once (HSRP does; RFC silent) */
	if (changed && s->state == VRRP_STATE_MASTER)
		for (int gi = 0; gi < f->ngroups; gi++)
			if (f->groups[gi].set == si)
				send_advert(f, gi, prio, now);
}

void
vrrp_fsm_start(struct vrrp_fsm *f, uint64_t now)
{
	f->started = 1;
	for (int si = 0; si < f->nsets; si++) {
		int	 shut;

		f->sets[si].priority = set_priority(f, si, &shut);
		f->sets[si].shut = shut;
		/*
		 * RFC 9568 6.4.1: a non-owner goes to Backup and waits
		 * Master_Down_Interval (havpn is never the address owner).
		 */
		set_check_operational(f, si, now, "startup", "startup");
	}
}

void
vrrp_fsm_stop(struct vrrp_fsm *f, uint64_t now)
{
	for (int si = 0; si < f->nsets; si++)
		enter_init(f, si, now, "shutdown");
	f->started = 0;
}

void
vrrp_fsm_reconfigure(struct vrrp_fsm *f, int gi,
    const struct vrrp_fsm_gconf *c, uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];
	struct vrrp_fsm_gconf nc = *c;
	int	 adv_changed = c->adv_cs != g->c.adv_cs;

	if (c->adv_cs == 0 || c->adv_cs > VRRP_MAX_INTERVAL)
		return;
	nc.leader = g->c.leader;
	nc.vrid = g->c.vrid;
	nc.vip = g->c.vip;
	group_set_conf(g, &nc);
	if (adv_changed && f->sets[g->set].state == VRRP_STATE_MASTER)
		g->adver_at = now + ADV_US(g->c.adv_cs);
	set_recompute(f, g->set, now, "configuration changed");
}

static void
fmt_reason(char *buf, size_t len, const char *what, struct in_addr ip,
    int prio)
{
	char	 a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	snprintf(buf, len, "%s %d from %s", what, prio, a);
}

static void
record_master(struct vrrp_fsm_group *g, const struct vrrp_advert *a)
{
	g->master_known = 1;
	g->master_ip = a->src;
	g->master_prio = a->priority;
}

/* RFC 9568 6.4.2: an advert while Backup. */
static void
advert_backup(struct vrrp_fsm *f, int gi, const struct vrrp_advert *a,
    uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];
	struct vrrp_fsm_set *s = &f->sets[g->set];
	uint64_t delay = f->groups[s->leader].c.preempt_delay_us;

	if (a->priority == VRRP_PRIO_STOP) {
		/* "Set the Master_Down_Timer to Skew_Time" */
		g->down_at = now + vrrp_skew_us(s->priority, g->master_adv_cs);
		g->down_prio0 = 1;
		record_master(g, a);
		return;
	}
	if (!set_preempt(f, s) || a->priority >= s->priority)
		s->preempt_wait = 0;
	else if (delay > 0 && (s->preempt_wait == 0 ||
	    now - s->preempt_wait < delay)) {
		/* preempt delay: honour the lower master a while longer */
		if (s->preempt_wait == 0)
			s->preempt_wait = now;
	} else
		return;		/* "Discard the ADVERTISEMENT": preempting */
	/* learn the Active router's interval, restart the down timer */
	g->master_adv_cs = a->interval_cs;
	g->down_at = now + group_mdi(f, g);
	g->down_prio0 = 0;
	record_master(g, a);
}

/* RFC 9568 6.4.3: an advert while Master. */
static void
advert_master(struct vrrp_fsm *f, int gi, const struct vrrp_advert *a,
    uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];
	struct vrrp_fsm_set *s = &f->sets[g->set];
	char	 reason[128];
	int	 better;

	if (a->priority == VRRP_PRIO_STOP) {
		/* "Send an ADVERTISEMENT; Reset the Adver_Timer" */
		send_advert(f, gi, s->priority, now);
		return;
	}
	better = a->priority > s->priority ||
	    (a->priority == s->priority && gi == s->leader &&
	    ntohl(a->src.s_addr) > ntohl(g->c.local.s_addr));
	if (better) {
		g->master_adv_cs = a->interval_cs;
		fmt_reason(reason, sizeof(reason), a->priority > s->priority ?
		    "higher priority" : "equal priority, higher address,",
		    a->src, a->priority);
		enter_backup(f, g->set, now, reason);
		record_master(g, a);
		return;
	}
	/* a lower-priority Active router: force the election, heal ARP */
	send_advert(f, gi, s->priority, now);
	if (now >= g->heal_at)
		garp(f, gi, now);
}

void
vrrp_fsm_advert(struct vrrp_fsm *f, int gi, const struct vrrp_advert *a,
    uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];

	g->adverts_rx++;
	if (a->priority == VRRP_PRIO_STOP)
		g->prio0_rx++;
	/* RFC 5798 6.4.2: learn a different interval, do not drop it */
	if (a->interval_cs != g->c.adv_cs)
		g->interval_mismatch++;
	/* RFC 9568 7.1: MAY check the addresses; counted, not dropped */
	if (a->naddrs != 1 || a->addrs == NULL ||
	    memcmp(a->addrs, &g->c.vip.s_addr, 4) != 0)
		g->address_mismatch++;
	switch (f->sets[g->set].state) {
	case VRRP_STATE_INIT:
		break;
	case VRRP_STATE_BACKUP:
		advert_backup(f, gi, a, now);
		break;
	case VRRP_STATE_MASTER:
		advert_master(f, gi, a, now);
		break;
	}
}

static void
timer_backup(struct vrrp_fsm *f, int si, uint64_t now)
{
	char	 reason[128], a[INET_ADDRSTRLEN];
	int	 prio0 = -1;

	for (int gi = 0; gi < f->ngroups; gi++) {
		const struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		if (g->down_at > now)
			return;	/* a better router is still heard there */
		if (g->down_prio0)
			prio0 = gi;
	}
	if (prio0 >= 0) {
		inet_ntop(AF_INET, &f->groups[prio0].master_ip, a, sizeof(a));
		snprintf(reason, sizeof(reason), "Master_Down_Timer expired "
		    "(priority 0 from %s)", a);
	} else
		snprintf(reason, sizeof(reason), "Master_Down_Timer expired");
	enter_master(f, si, now, reason);
}

static void
timer_master(struct vrrp_fsm *f, int si, uint64_t now)
{
	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (g->set != si)
			continue;
		if (g->adver_at != 0 && now >= g->adver_at)
			send_advert(f, gi, f->sets[si].priority, now);
		if (g->garp_at != 0 && now >= g->garp_at) {
			g->garp_at = 0;
			garp(f, gi, now);
		}
	}
}

void
vrrp_fsm_timer(struct vrrp_fsm *f, uint64_t now)
{
	for (int si = 0; si < f->nsets; si++) {
		switch (f->sets[si].state) {
		case VRRP_STATE_INIT:
			break;
		case VRRP_STATE_BACKUP:
			timer_backup(f, si, now);
			break;
		case VRRP_STATE_MASTER:
			timer_master(f, si, now);
			break;
		}
	}
}

uint64_t
vrrp_fsm_next(const struct vrrp_fsm *f)
{
	uint64_t next = UINT64_MAX;

	for (int si = 0; si < f->nsets; si++) {
		const struct vrrp_fsm_set *s = &f->sets[si];
		uint64_t all_down = 0;

		for (int gi = 0; gi < f->ngroups; gi++) {
			const struct vrrp_fsm_group *g = &f->groups[gi];

			if (g->set != si)
				continue;
			if (s->state == VRRP_STATE_BACKUP &&
			    g->down_at > all_down)
				all_down = g->down_at;
			if (s->state != VRRP_STATE_MASTER)
				continue;
			if (g->adver_at != 0 && g->adver_at < next)
				next = g->adver_at;
			if (g->garp_at != 0 && g->garp_at < next)
				next = g->garp_at;
		}
		if (s->state == VRRP_STATE_BACKUP && all_down < next)
			next = all_down;
	}
	return next;
}

void
vrrp_fsm_link(struct vrrp_fsm *f, int gi, int up, uint64_t now)
{
	struct vrrp_fsm_group *g = &f->groups[gi];
	char	 up_r[64], down_r[64];

	up = up != 0;
	if (g->link_up == up)
		return;
	g->link_up = up;
	snprintf(up_r, sizeof(up_r), "interface of group %d up", g->c.vrid);
	snprintf(down_r, sizeof(down_r), "interface of group %d down",
	    g->c.vrid);
	set_check_operational(f, g->set, now, up_r, down_r);
}

void
vrrp_fsm_track(struct vrrp_fsm *f, int id, int up, uint64_t now)
{
	char	 why[64];
	int	 i;

	up = up != 0;
	for (i = 0; i < f->ntstates; i++)
		if (f->tstates[i].id == id)
			break;
	if (i == f->ntstates) {
		f->tstates = xreallocarray(f->tstates, (size_t)i + 1,
		    sizeof(*f->tstates));
		f->tstates[i].id = id;
		f->tstates[i].up = !up;
		f->ntstates++;
	}
	if (f->tstates[i].up == up)
		return;
	f->tstates[i].up = up;
	if (!f->started)
		return;
	snprintf(why, sizeof(why), "track %d %s", id, up ? "up" : "down");
	for (int si = 0; si < f->nsets; si++)
		set_recompute(f, si, now, why);
}

void
vrrp_fsm_set_ready(struct vrrp_fsm *f, int ready, uint64_t now)
{
	ready = ready != 0;
	if (f->ready == ready)
		return;
	f->ready = ready;
	if (!f->started)
		return;
	for (int si = 0; si < f->nsets; si++)
		set_recompute(f, si, now, ready ? "ready" : "not ready");
}

int
vrrp_fsm_handover(struct vrrp_fsm *f, uint64_t now)
{
	int	 master = 0, shut;

	for (int si = 0; si < f->nsets; si++)
		if (f->sets[si].state == VRRP_STATE_MASTER)
			master = 1;
	if (!master)
		return -1;
	/* not ready first: the down timers below use priority 1 */
	f->ready = 0;
	for (int si = 0; si < f->nsets; si++) {
		struct vrrp_fsm_set *s = &f->sets[si];

		s->priority = set_priority(f, si, &shut);
		s->preempt_wait = 0;
		if (s->state != VRRP_STATE_MASTER)
			continue;
		for (int gi = 0; gi < f->ngroups; gi++)
			if (f->groups[gi].set == si)
				send_advert(f, gi, VRRP_PRIO_STOP, now);
		f->keep_vips = 1;
		enter_backup(f, si, now, "planned handover");
		f->keep_vips = 0;
	}
	return 0;
}

int
vrrp_fsm_release_vips(struct vrrp_fsm *f)
{
	int	 n = 0;

	for (int gi = 0; gi < f->ngroups; gi++) {
		struct vrrp_fsm_group *g = &f->groups[gi];

		if (!g->vip_kept)
			continue;
		vip_off(f, gi);
		n++;
	}
	return n;
}

int
vrrp_fsm_takeover(struct vrrp_fsm *f, uint64_t now)
{
	int	 n = 0;

	for (int si = 0; si < f->nsets; si++) {
		if (f->sets[si].state != VRRP_STATE_BACKUP ||
		    !set_operational(f, si))
			continue;
		enter_master(f, si, now, "planned switchover");
		n++;
	}
	return n > 0 ? 0 : -1;
}

void
vrrp_fsm_hold_preempt(struct vrrp_fsm *f, int hold, uint64_t now)
{
	hold = hold != 0;
	if (f->no_preempt == hold)
		return;
	f->no_preempt = hold;
	if (!f->started)
		return;
	for (int si = 0; si < f->nsets; si++)
		set_recompute(f, si, now, hold ? "preemption held" :
		    "preemption as configured");
}

enum vrrp_state
vrrp_fsm_state(const struct vrrp_fsm *f, int gi)
{
	return f->sets[f->groups[gi].set].state;
}

int
vrrp_fsm_priority(const struct vrrp_fsm *f, int gi)
{
	return f->sets[f->groups[gi].set].priority;
}

int
vrrp_fsm_preempt(const struct vrrp_fsm *f, int gi)
{
	return set_preempt(f, &f->sets[f->groups[gi].set]);
}

uint64_t
vrrp_fsm_down_us(const struct vrrp_fsm *f, int gi)
{
	return group_mdi(f, &f->groups[gi]);
}
