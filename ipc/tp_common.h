/*
 * What the two SCTP transports (tp_kernel.c, tp_usrsctp.c) share: the
 * association's life, its reconnect timers, the reassembly of partial
 * deliveries and the facts "show" reports.  A transport embeds a struct
 * tp_common and names its socket operations in struct tp_sock_ops.
 *
 *   states	IDLE (no association; a reconnect may be pending),
 *		CONNECTING (INIT sent), UP
 *   timers	retry: the client's reconnect, after the core's back-off
 *		conn_timeout: a connect attempt unanswered in
 *		IPC_CONNECT_TIMEOUT_MS is counted lost
 *
 * No SCTP header is included here: the kernel's and usrsctp's define the
 * same names with other values, so a transport passes its stack's
 * association change codes in the ops.
 */
#ifndef HAVPN_IPC_TP_COMMON_H
#define HAVPN_IPC_TP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <json-c/json.h>

#include "conf/conf.h"
#include "ipc/ipc_int.h"

enum tp_state {
	TP_IDLE,
	TP_CONNECTING,
	TP_UP,
};

/* The sac_state values of SCTP_ASSOC_CHANGE (RFC 6458 6.1.1) of a stack. */
struct tp_sac_codes {
	int	 comm_up;
	int	 comm_lost;
	int	 restart;
	int	 shutdown_comp;
	int	 cant_str_assoc;
};

/*
 * A transport's socket operations, each given the transport:
 *   connect	start a connect attempt (the retry timer fired)
 *   close	close the association's socket if there is one (abort: send
 *		ABORT at once); the common part then resets the rest
 *   up		the association came up: set the stream priorities
 *   no_answer	optional: a connect attempt timed out, before it is lost
 */
struct tp_sock_ops {
	void			 (*connect)(struct ipc_tp *);
	void			 (*close)(struct ipc_tp *, int);
	void			 (*up)(struct ipc_tp *);
	void			 (*no_answer)(struct ipc_tp *);
	struct tp_sac_codes	 sac;
};

/* A message delivered in parts (SCTP partial delivery), put together. */
struct tp_reasm {
	uint8_t		*buf;
	size_t		 len;
	int		 big;	/* above IPC_REC_MAX: counted, not kept */
};

/*
 * Add a part; with eor, hand the whole message (or its being too large)
 * to the core through ipc_core_recv (lane -1) or ipc_core_lane_recv.
 */
void	tp_reasm_add(struct tp_reasm *, struct ipc *, int, int,
	    const uint8_t *, size_t, int);
/*
 * Clear keeps the buffer for the next association (one freed and
 * allocated again with every association churned the heap: the soak,
 * docs/benchmarks.md); free at the transport's end.
 */
void	tp_reasm_clear(struct tp_reasm *);
void	tp_reasm_free(struct tp_reasm *);

struct tp_common {
	struct ipc_tp			*tp;	/* the one embedding this */
	const struct tp_sock_ops	*ops;
	struct ipc			*ipc;
	struct ev_loop			*loop;
	struct conf_ipc_assoc		 a;
	int				 client;
	enum tp_state			 st;
	ev_timer			 retry;
	ev_timer			 conn_timeout;
	uint64_t			 up_since_ms;

	struct tp_reasm			 reasm[IPC_NSTREAMS];

	char				 last_event[160];
	uint64_t			 attempts;
	uint64_t			 restarts;
	uint64_t			 send_failed;
	/* associations accepted and closed at once */
	uint64_t			 refused_foreign; /* a source not
							    configured */
	uint64_t			 refused_sealed;  /* the channel in
							    use is sealed */
	struct log_ratelimit		 refuse_rl;
};

/* The SCTP stream scheduler's priorities: control, counters, state. */
extern const uint16_t tp_stream_prio[IPC_NSTREAMS];

/* a is copied; tp, ops, ipc and loop are borrowed for the transport's life. */
void	tp_common_init(struct tp_common *, struct ipc_tp *,
	    const struct tp_sock_ops *, struct ipc *, struct ev_loop *,
	    const struct conf_ipc_assoc *);
/* Stops the timers and closes the association (with ABORT). */
void	tp_common_cleanup(struct tp_common *);

void	tp_set_event(struct tp_common *, const char *);
/* Close the association (ops->close), back to IDLE, reassembly emptied. */
void	tp_close(struct tp_common *, int);
/* A connect attempt is under way: arm its timeout. */
void	tp_connect_started(struct tp_common *);
/* The client reconnects after the core's next back-off delay. */
void	tp_schedule_retry(struct tp_common *);
/* The association ended without us asking: tell the core, reconnect. */
void	tp_assoc_lost(struct tp_common *, const char *);
void	tp_assoc_up(struct tp_common *);
/*
 * The listener accepted an association (have_old: one is in use): 1 if
 * it takes the place of the one in use (closed, the core told), 0 if it
 * must be closed at once because the channel in use is sealed (counted).
 */
int	tp_accept_replaces(struct tp_common *, int);
/* An accepted association from a source not configured: counted, logged. */
void	tp_accept_foreign(struct tp_common *, const char *);
/* The ops' restart: abort and reconnect, the core has asked for it. */
void	tp_restart(struct tp_common *, const char *);

/* Notifications: an SCTP_ASSOC_CHANGE (state, error), a SHUTDOWN_EVENT. */
void	tp_on_assoc_change(struct tp_common *, int, unsigned);
void	tp_on_peer_shutdown(struct tp_common *);
/* A delivery (part of a message unless eor) on a stream; p is borrowed. */
void	tp_on_data(struct tp_common *, int, const uint8_t *, size_t, int);

/* SCTP_STATUS facts, zero when there is no association. */
struct tp_assoc_status {
	int		 instrms;
	int		 outstrms;
	int		 unackdata;
	int		 penddata;
	int64_t		 rwnd;
};

/*
 * The status facts both transports give, in two parts around the
 * transport's "paths": the association (listening: a server with no
 * association yet), then the attempt and restart counters.
 */
void	tp_status_assoc(struct tp_common *, json_object *, int,
	    const struct tp_assoc_status *);
void	tp_status_counters(struct tp_common *, json_object *);

#endif
