/*
 * The association life both SCTP transports share; see ipc/tp_common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"
#include "ipc/tp_common.h"

/* The names "show" gives the states, as SCTP's (RFC 4960 4). */
static const char *const tp_state_names[] = {
	[TP_IDLE] = "CLOSED",
	[TP_CONNECTING] = "COOKIE_WAIT",
	[TP_UP] = "ESTABLISHED",
};

const uint16_t tp_stream_prio[IPC_NSTREAMS] = {
	[IPC_STREAM_CONTROL] = 0,
	[IPC_STREAM_COUNTERS] = 1,
	[IPC_STREAM_STATE] = 2,
};

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tp_common	*tc = w->data;

	(void)loop;
	(void)revents;
	tc->ops->connect(tc->tp);
}

static void
conn_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tp_common	*tc = w->data;

	(void)loop;
	(void)revents;
	if (tc->ops->no_answer != NULL)
		tc->ops->no_answer(tc->tp);
	tp_assoc_lost(tc, "no answer from the peer to INIT");
}

void
tp_common_init(struct tp_common *tc, struct ipc_tp *tp,
    const struct tp_sock_ops *ops, struct ipc *ipc, struct ev_loop *loop,
    const struct conf_ipc_assoc *a)
{
	memset(tc, 0, sizeof(*tc));
	tc->tp = tp;
	tc->ops = ops;
	tc->ipc = ipc;
	tc->loop = loop;
	tc->a = *a;
	tc->client = ipc_assoc_is_client(a) == 1;
	ev_init(&tc->retry, retry_cb);
	tc->retry.data = tc;
	ev_init(&tc->conn_timeout, conn_timeout_cb);
	tc->conn_timeout.data = tc;
}

void
tp_common_cleanup(struct tp_common *tc)
{
	ev_timer_stop(tc->loop, &tc->retry);
	tp_close(tc, 1);
	for (int s = 0; s < IPC_NSTREAMS; s++)
		tp_reasm_free(&tc->reasm[s]);
}

void
tp_set_event(struct tp_common *tc, const char *what)
{
	snprintf(tc->last_event, sizeof(tc->last_event), "%s", what);
}

static void
reasm_clear(struct tp_common *tc)
{
	for (int s = 0; s < IPC_NSTREAMS; s++)
		tp_reasm_clear(&tc->reasm[s]);
}

void
tp_close(struct tp_common *tc, int abort)
{
	ev_timer_stop(tc->loop, &tc->conn_timeout);
	tc->ops->close(tc->tp, abort);
	tc->st = TP_IDLE;
	reasm_clear(tc);
}

void
tp_connect_started(struct tp_common *tc)
{
	ev_timer_set(&tc->conn_timeout, IPC_CONNECT_TIMEOUT_MS / 1000.0, 0);
	ev_timer_start(tc->loop, &tc->conn_timeout);
}

void
tp_schedule_retry(struct tp_common *tc)
{
	uint32_t ms;

	if (!tc->client)
		return;
	ms = ipc_core_next_delay(tc->ipc);
	ev_timer_stop(tc->loop, &tc->retry);
	ev_timer_set(&tc->retry, ms / 1000.0, 0);
	ev_timer_start(tc->loop, &tc->retry);
}

void
tp_assoc_lost(struct tp_common *tc, const char *reason)
{
	tp_set_event(tc, reason);
	tp_close(tc, 1);
	ipc_core_assoc_down(tc->ipc, reason);
	tp_schedule_retry(tc);
}

void
tp_assoc_up(struct tp_common *tc)
{
	ev_timer_stop(tc->loop, &tc->conn_timeout);
	tc->st = TP_UP;
	tc->up_since_ms = time_mono_ms();
	tc->ops->up(tc->tp);
	tp_set_event(tc, "association up");
	ipc_core_assoc_up(tc->ipc);
}

int
tp_accept_replaces(struct tp_common *tc, int have_old)
{
	uint64_t	 sup;

	if (!have_old)
		return 1;
	if (ipc_core_sealed(tc->ipc)) {
		/* only a sealed record may end a sealed channel */
		tc->refused_sealed++;
		if (log_ratelimit_ok(&tc->refuse_rl, time_mono_ms(), 5000,
		    &sup))
			log_warnx(LOG_IPC, "a second association refused: the "
			    "channel in use is sealed (%llu similar lines "
			    "suppressed)", (unsigned long long)sup);
		return 0;
	}
	tp_close(tc, 1);
	ipc_core_assoc_down(tc->ipc, "the peer opened a new association");
	return 1;
}

void
tp_accept_foreign(struct tp_common *tc, const char *who)
{
	uint64_t	 sup;

	tc->refused_foreign++;
	if (log_ratelimit_ok(&tc->refuse_rl, time_mono_ms(), 5000, &sup))
		log_warnx(LOG_IPC, "association from %s refused: not a "
		    "configured remote-ip (%llu similar lines suppressed)",
		    who, (unsigned long long)sup);
}

void
tp_restart(struct tp_common *tc, const char *reason)
{
	tp_set_event(tc, reason);
	tp_close(tc, 1);
	tp_schedule_retry(tc);
}

void
tp_on_assoc_change(struct tp_common *tc, int state, unsigned error)
{
	const struct tp_sac_codes *sac = &tc->ops->sac;
	char		 buf[160];

	if (state == sac->comm_up) {
		if (tc->st != TP_UP)
			tp_assoc_up(tc);
	} else if (state == sac->restart) {
		/* the peer restarted under the same association */
		tc->restarts++;
		tp_set_event(tc, "peer restarted the association");
		ipc_core_assoc_up(tc->ipc);
	} else if (state == sac->comm_lost) {
		snprintf(buf, sizeof(buf), "association lost (SCTP error %u)",
		    error);
		tp_assoc_lost(tc, buf);
	} else if (state == sac->cant_str_assoc) {
		tp_assoc_lost(tc, "association could not start (peer "
		    "unreachable or refusing)");
	} else if (state == sac->shutdown_comp)
		tp_on_peer_shutdown(tc);
}

void
tp_on_peer_shutdown(struct tp_common *tc)
{
	tp_assoc_lost(tc, "the peer shut the association down");
}

void
tp_reasm_add(struct tp_reasm *ra, struct ipc *ipc, int lane, int sid,
    const uint8_t *p, size_t n, int eor)
{
	if (!ra->big) {
		if (ra->len + n > IPC_REC_MAX) {
			tp_reasm_clear(ra);
			ra->big = 1;
		} else {
			if (ra->buf == NULL)
				ra->buf = xmalloc(IPC_REC_MAX);
			memcpy(ra->buf + ra->len, p, n);
			ra->len += n;
		}
	}
	if (!eor)
		return;
	if (lane < 0)
		ipc_core_recv(ipc, sid, ra->big ? NULL : ra->buf,
		    ra->big ? 0 : ra->len, ra->big);
	else
		ipc_core_lane_recv(ipc, lane, sid, ra->big ? NULL : ra->buf,
		    ra->big ? 0 : ra->len, ra->big);
	ra->big = 0;
	ra->len = 0;
}

void
tp_reasm_clear(struct tp_reasm *ra)
{
	ra->len = 0;
	ra->big = 0;
}

void
tp_reasm_free(struct tp_reasm *ra)
{
	free(ra->buf);
	ra->buf = NULL;
	tp_reasm_clear(ra);
}

void
tp_on_data(struct tp_common *tc, int sid, const uint8_t *p, size_t n,
    int eor)
{
	if (sid < 0 || sid >= IPC_NSTREAMS)
		return;		/* SCTP_INITMSG allows IPC_NSTREAMS only */
	tp_reasm_add(&tc->reasm[sid], tc->ipc, -1, sid, p, n, eor);
}

void
tp_status_assoc(struct tp_common *tc, json_object *o, int listening,
    const struct tp_assoc_status *ss)
{
	json_object_object_add(o, "state", json_object_new_string(
	    listening ? "LISTEN" : tp_state_names[tc->st]));
	json_object_object_add(o, "side", json_object_new_string(
	    tc->client ? "client" : "server"));
	json_object_object_add(o, "local_port",
	    json_object_new_int(tc->a.local_port));
	json_object_object_add(o, "remote_port",
	    json_object_new_int(tc->a.remote_port));
	json_object_object_add(o, "uptime_ms", json_object_new_int64(
	    tc->st == TP_UP ? (int64_t)(time_mono_ms() - tc->up_since_ms) :
	    0));
	json_object_object_add(o, "last_event",
	    json_object_new_string(tc->last_event));
	json_object_object_add(o, "inbound_streams",
	    json_object_new_int(ss->instrms));
	json_object_object_add(o, "outbound_streams",
	    json_object_new_int(ss->outstrms));
	json_object_object_add(o, "unacked_chunks",
	    json_object_new_int(ss->unackdata));
	json_object_object_add(o, "pending_chunks",
	    json_object_new_int(ss->penddata));
	json_object_object_add(o, "peer_rwnd",
	    json_object_new_int64(ss->rwnd));
}

void
tp_status_counters(struct tp_common *tc, json_object *o)
{
	json_object_object_add(o, "attempts",
	    json_object_new_int64((int64_t)tc->attempts));
	json_object_object_add(o, "sctp_restarts",
	    json_object_new_int64((int64_t)tc->restarts));
	json_object_object_add(o, "refused_foreign",
	    json_object_new_int64((int64_t)tc->refused_foreign));
	json_object_object_add(o, "refused_sealed",
	    json_object_new_int64((int64_t)tc->refused_sealed));
}
