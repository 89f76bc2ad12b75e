/*
 * ipc: the sealed SCTP channel between the two nodes of a pair
 * ("ipc zone default" / "association 1").
 *
 * One channel, three SCTP streams, opaque messages in and out:
 *
 *   IPC_STREAM_CONTROL	 hello, key confirmation, heartbeat, and the
 *			 replication's own control messages
 *   IPC_STREAM_STATE	 SA upserts and deletes, bulk snapshots
 *   IPC_STREAM_COUNTERS	 sequence numbers and replay windows
 *
 * Every stream is ordered (see docs/ipc.md); a bulk snapshot on STATE never
 * delays COUNTERS: each stream has its own queue, queues drain in priority
 * order CONTROL > COUNTERS > STATE, and the SCTP stream scheduler keeps the
 * same priority for what is already inside the association.
 *
 * Every message is sealed with AES-256-GCM under per-direction keys that
 * HKDF-SHA256 derives from "security key" and both sides' fresh nonces, so
 * a node with another key never gets the channel up; forged, replayed,
 * truncated and oversized records are dropped and counted.
 *
 * Two transports behind one ops table: SCTP over UDP through usrsctp
 * ("encapsulation udp PORT", RFC 6951) and kernel SCTP through libsctp.
 * Everything runs on the caller's libev loop; no thread is visible.
 */
#ifndef HAVPN_IPC_H
#define HAVPN_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>
#include <json-c/json.h>

struct config;
struct conf_diag;
struct ipc;

enum ipc_stream {
	IPC_STREAM_CONTROL = 0,
	IPC_STREAM_STATE = 1,
	IPC_STREAM_COUNTERS = 2,
	IPC_NSTREAMS
};

/* The largest message ipc_send() takes. */
#define IPC_MSG_MAX		65536

/*
 * What the peer told us in its hello and heartbeats.  node_id is a stable
 * name ("hostname" of its configuration, else its first local-ip);
 * incarnation changes at every start of the peer's process; role is
 * whatever the peer's ipc_set_role() last set (the replication uses the
 * IOS RF state numbers), 0 until set.
 */
struct ipc_peer {
	const char	*node_id;
	uint64_t	 incarnation;
	uint8_t		 role;
};

/*
 * The channel's events, called from the loop.  Every pointer passed to a
 * handler is borrowed for the duration of the call.  A handler may call
 * ipc_send(); it must not call ipc_free().
 *
 *   up		keys confirmed, the peer is known; messages flow
 *   down		the channel went down (reason for the operator); queued
 *		messages are discarded; it comes back by itself
 *   message	one authenticated message, in order within its stream
 *   writable	a stream whose ipc_send() failed with ENOBUFS has room again
 *   peer_role	a heartbeat carried a role other than the last one
 */
struct ipc_handlers {
	void	(*up)(void *, const struct ipc_peer *);
	void	(*down)(void *, const char *);
	void	(*message)(void *, enum ipc_stream, const uint8_t *, size_t);
	void	(*writable)(void *, enum ipc_stream);
	void	(*peer_role)(void *, uint8_t);
};

/*
 * Check what the configuration asks of this machine (kernel SCTP present
 * when no encapsulation is configured); report "FILE:LINE: message"
 * through diag.  0 or -1.
 */
int		 ipc_syscheck(const struct config *, struct conf_diag *);
/* 1 if this kernel opens SCTP sockets (havpnd -t tells conf). */
int		 ipc_kernel_has_sctp(void);

/*
 * A channel for the configuration's association (cf is borrowed: no
 * pointer into it is kept).  It starts connecting at once.  NULL with a
 * message in err (FILE:LINE: ...) when it cannot start at all.  An
 * association that is shut down, or has no "security key", gives a channel
 * that stays down and says why in ipc_status().  handlers is copied; arg is
 * passed back to them.
 */
struct ipc	*ipc_new(struct ev_loop *, const struct config *,
		    const struct ipc_handlers *, void *, char *, size_t);
/* Closes the association (ABORT); no handler is called.  NULL is a no-op. */
void		 ipc_free(struct ipc *);

/*
 * A new configuration: a changed association (addresses, ports,
 * transport, SCTP parameters) restarts the channel; a changed key or node
 * id re-runs the handshake; anything else keeps it.  0, or -1 with a
 * message in err and the old settings kept.
 */
int		 ipc_reload(struct ipc *, const struct config *, char *,
		    size_t);

/*
 * Seal and queue one message of len bytes (1..IPC_MSG_MAX; copied).
 * 0 when queued: it goes out in order within its stream, or is discarded
 * if the channel goes down first.  -1 with errno:
 *   ENOTCONN	the channel is not up
 *   EMSGSIZE	len is 0 or above IPC_MSG_MAX
 *   ENOBUFS	the stream's queue is full (see ipc_stream_room()); the
 *		writable handler fires when it has drained to half
 * Every refusal is counted per stream.  The queues hold 16 MiB for STATE
 * (a bulk snapshot of 10,000 tunnels, about 5 MB, fits whole), 4 MiB for
 * COUNTERS and 1 MiB for CONTROL.
 */
int		 ipc_send(struct ipc *, enum ipc_stream, const void *, size_t);
/* Bytes ipc_send() can still queue on a stream now. */
size_t		 ipc_stream_room(const struct ipc *, enum ipc_stream);
/* Messages queued and not yet handed to SCTP, over all streams. */
size_t		 ipc_queued(const struct ipc *);

int		 ipc_is_up(const struct ipc *);
/* The peer's facts while up, else NULL; valid until the next event. */
const struct ipc_peer *ipc_peer(const struct ipc *);
/* What our heartbeats carry from now on (sent at once when up). */
void		 ipc_set_role(struct ipc *, uint8_t);
/* Our own node id and incarnation. */
const char	*ipc_node_id(const struct ipc *);
uint64_t	 ipc_incarnation(const struct ipc *);

/*
 * Every fact about the channel into obj: state and reason, transport,
 * association and path states, peer node id / incarnation / role,
 * heartbeat age, per-stream counters, drops by reason (see docs/ipc.md
 * for the keys).
 */
void		 ipc_status(struct ipc *, json_object *);

const char	*ipc_stream_name(enum ipc_stream);

#endif
