/*
 * havpnd's IKE module: the engine (ike/), its sockets (struct ike_net), a
 * libev timer that follows the engine's earliest deadline, and the data
 * plane it installs SAs in (d->esp, set by the data plane module, which
 * starts before this one).
 */
#include <stdlib.h>

#include "lib/lib.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "daemon/daemon.h"

struct mod_ike {
	struct havpnd	*d;
	struct ike_net	*net;
	ev_timer	 timer;
};

static struct mod_ike *mod;

static uint64_t
io_now(void *arg)
{
	(void)arg;
	return time_mono_ms();
}

static int
io_send(void *arg, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *p, size_t len)
{
	struct mod_ike	*m = arg;

	return ike_net_send(m->net, local, remote, p, len);
}

static void
rearm(struct mod_ike *m)
{
	uint64_t	 next = ike_next_deadline(m->d->ike), now;

	ev_timer_stop(m->d->loop, &m->timer);
	if (next == UINT64_MAX)
		return;
	now = time_mono_ms();
	ev_timer_set(&m->timer, next > now ? (double)(next - now) / 1000.0 :
	    0.0, 0.0);
	ev_timer_start(m->d->loop, &m->timer);
}

static void
io_timers_changed(void *arg)
{
	struct mod_ike	*m = arg;

	if (m->d->ike != NULL)
		rearm(m);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mod_ike	*m = w->data;

	(void)loop;
	(void)revents;
	ike_run_timers(m->d->ike);
	rearm(m);
}

int
mod_ike_start(struct havpnd *d)
{
	struct ike_io	 io;

	if (d->esp == NULL)
		fatalx(LOG_IKE, "the IKE module needs the data plane module");
	mod = xcalloc(1, sizeof(*mod));
	mod->d = d;
	mod->net = ike_net_new(d->loop, d->esp);
	ev_timer_init(&mod->timer, timer_cb, 0.0, 0.0);
	mod->timer.data = mod;
	io.arg = mod;
	io.now_ms = io_now;
	io.send = io_send;
	io.timers_changed = io_timers_changed;
	if ((d->ike = ike_new(d->esp, &io)) == NULL)
		goto fail;
	ike_net_set_engine(mod->net, d->ike);
	if (ike_configure(d->ike, d->cf) == -1)
		log_warnx(LOG_IKE, "some crypto map policies are not in the "
		    "data plane");
	if (ike_net_sync(mod->net, d->cf) == -1)
		log_warnx(LOG_IKE, "some IKE sockets could not be opened");
	rearm(mod);
	return 0;
fail:
	ike_net_free(mod->net);
	free(mod);
	mod = NULL;
	return -1;
}

void
mod_ike_stop(struct havpnd *d)
{
	if (mod == NULL)
		return;
	ev_timer_stop(d->loop, &mod->timer);
	ike_free(d->ike);
	d->ike = NULL;
	ike_net_free(mod->net);
	free(mod);
	mod = NULL;
}

void
mod_ike_reload(struct havpnd *d, const struct config *old)
{
	(void)old;
	if (mod == NULL)
		return;
	if (ike_configure(d->ike, d->cf) == -1)
		log_warnx(LOG_IKE, "reload: some crypto map policies are "
		    "not in the data plane");
	if (ike_net_sync(mod->net, d->cf) == -1)
		log_warnx(LOG_IKE, "reload: some IKE sockets could not be "
		    "opened");
	rearm(mod);
}
