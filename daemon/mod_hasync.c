/*
 * The replication in havpnd, started last: it needs the data plane
 * (d->esp), IKE (d->ike) and the election (d->vrrp), and it owns the sync
 * channel (ipc/), whose handlers are its own; d->ipc points at the
 * channel for "show redundancy inter-device".  Without "redundancy
 * inter-device" it only keeps the channel (if configured) and touches
 * nothing else.  With it, the node starts as a standby (below), and
 * hasync subscribes to ike, esp and vrrp and decides from then on.
 *
 * hasync reads no clock and arms no timer of its own (struct hasync_io):
 * this module gives it the monotonic and the real clock, runs its timers
 * with libev, one watcher per enum ha_timer, and moves the election for
 * a planned switchover (vrrp_handover, vrrp_takeover).  HA_TIMER_FLUSH is
 * an ev_prepare, not a timer: it runs before the loop sleeps again, so
 * every counter update the data plane reports in one loop iteration goes
 * out in one message.
 */
#include <stdlib.h>
#include <time.h>

#include "lib/lib.h"
#include "daemon/daemon.h"
#include "esp/esp.h"
#include "hasync/hasync.h"
#include "ike/ike.h"
#include "vrrp/vrrp.h"

struct mod_hasync {
	struct havpnd	*d;
	struct mod_timer {
		struct mod_hasync *m;
		enum ha_timer	 id;
		ev_timer	 w;
	}		 t[HA_NTIMERS];
	ev_prepare	 flush;
};

static struct mod_hasync *mod;

static uint64_t
io_now_us(void *arg)
{
	(void)arg;
	return time_mono_us();
}

static uint64_t
io_wall_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
io_timer_set(void *arg, enum ha_timer id, uint64_t delay_ms)
{
	struct mod_hasync *m = arg;

	if (id == HA_TIMER_FLUSH) {
		/* (always set with delay 0: the next time the loop sleeps) */
		if (!ev_is_active(&m->flush))
			ev_prepare_start(m->d->loop, &m->flush);
		return;
	}
	ev_timer_stop(m->d->loop, &m->t[id].w);
	ev_timer_set(&m->t[id].w, (double)delay_ms / 1000.0, 0.0);
	ev_timer_start(m->d->loop, &m->t[id].w);
}

static void
io_timer_stop(void *arg, enum ha_timer id)
{
	struct mod_hasync *m = arg;

	if (id == HA_TIMER_FLUSH)
		ev_prepare_stop(m->d->loop, &m->flush);
	else
		ev_timer_stop(m->d->loop, &m->t[id].w);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mod_timer *t = w->data;

	(void)loop;
	(void)revents;
	if (t->m->d->ha != NULL)
		hasync_timer_fire(t->m->d->ha, t->id);
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct mod_hasync *m = w->data;

	(void)revents;
	ev_prepare_stop(loop, w);
	if (m->d->ha != NULL)
		hasync_timer_fire(m->d->ha, HA_TIMER_FLUSH);
}

static int
io_handover(void *arg)
{
	struct mod_hasync *m = arg;

	return m->d->vrrp != NULL ? vrrp_handover(m->d->vrrp) : -1;
}

static void
io_release(void *arg)
{
	struct mod_hasync *m = arg;

	if (m->d->vrrp != NULL)
		(void)vrrp_release_vips(m->d->vrrp);
}

static int
io_takeover(void *arg)
{
	struct mod_hasync *m = arg;

	return m->d->vrrp != NULL ? vrrp_takeover(m->d->vrrp) : -1;
}

static int
io_peer_active(void *arg)
{
	struct mod_hasync *m = arg;
	struct vrrp_group_info gi;
	int	 n = m->d->vrrp != NULL ? vrrp_ngroups(m->d->vrrp) : 0;

	for (int i = 0; i < n; i++)
		if (vrrp_group_info(m->d->vrrp, i, &gi) == 0 &&
		    gi.state == VRRP_STATE_BACKUP && gi.active_known &&
		    gi.active_priority > 0)
			return 1;
	return 0;
}

/* The election hears adverts from the other node only, once it is known. */
static int
vrrp_peer(void *arg, const char *ifname, struct in_addr *addr)
{
	struct mod_hasync *m = arg;

	return m->d->ha != NULL ? hasync_peer_addr(m->d->ha, ifname, addr) :
	    -1;
}

static void
stop_all(struct mod_hasync *m)
{
	for (int i = 0; i < HA_NTIMERS; i++)
		ev_timer_stop(m->d->loop, &m->t[i].w);
	ev_prepare_stop(m->d->loop, &m->flush);
}

/*
 * A standby until the election says otherwise: IKE initiates nothing and
 * the data plane sends nothing, from before hasync starts (it may find
 * the node already Active and take over at once).
 */
static void
standby_at_start(struct havpnd *d)
{
	/* hasync_new() refuses a replication without all three */
	if (!hasync_configured(d->cf) || d->ike == NULL || d->esp == NULL ||
	    d->vrrp == NULL)
		return;
	ike_set_active(d->ike, 0);
	if (d->esp->ops->set_outbound != NULL)
		(void)d->esp->ops->set_outbound(d->esp, ESP_OUTBOUND_DROP);
}

int
mod_hasync_start(struct havpnd *d)
{
	struct hasync_io io;
	char		 err[512];

	standby_at_start(d);
	mod = xcalloc(1, sizeof(*mod));
	mod->d = d;
	for (int i = 0; i < HA_NTIMERS; i++) {
		mod->t[i].m = mod;
		mod->t[i].id = (enum ha_timer)i;
		ev_timer_init(&mod->t[i].w, timer_cb, 0.0, 0.0);
		mod->t[i].w.data = &mod->t[i];
	}
	ev_prepare_init(&mod->flush, flush_cb);
	mod->flush.data = mod;
	io.arg = mod;
	io.now_us = io_now_us;
	io.wall_ms = io_wall_ms;
	io.timer_set = io_timer_set;
	io.timer_stop = io_timer_stop;
	io.handover = io_handover;
	io.takeover = io_takeover;
	io.release = io_release;
	io.peer_active = io_peer_active;
	d->ha = hasync_new(d->loop, &io, d->cf, d->ike, d->esp, d->vrrp, err,
	    sizeof(err));
	if (d->ha == NULL) {
		/* FILE:LINE: message, like every configuration error */
		fprintf(stderr, "%s\n", err);
		log_warnx(LOG_HA, "%s", err);
		stop_all(mod);
		free(mod);
		mod = NULL;
		return -1;
	}
	d->ipc = hasync_ipc(d->ha);
	if (d->vrrp != NULL && hasync_configured(d->cf))
		vrrp_set_peer_fn(d->vrrp, vrrp_peer, mod);
	return 0;
}

void
mod_hasync_stop(struct havpnd *d)
{
	if (d->vrrp != NULL)
		vrrp_set_peer_fn(d->vrrp, NULL, NULL);
	hasync_free(d->ha);
	d->ha = NULL;
	d->ipc = NULL;
	if (mod == NULL)
		return;
	stop_all(mod);
	free(mod);
	mod = NULL;
}

void
mod_hasync_reload(struct havpnd *d, const struct config *old)
{
	char	 err[512];

	(void)old;
	if (d->ha != NULL && hasync_reload(d->ha, d->cf, err,
	    sizeof(err)) == -1)
		log_warnx(LOG_HA, "reload: %s", err);
}
