/*
 * esp: the data plane, behind one ops table.
 *
 * Whoever negotiates SAs (ike/) talks to a struct esp_backend through its
 * ops; the userspace engine, the kernel XFRM engine (later) and the test
 * fake implement it.  The data plane talks back to every struct
 * esp_listener added to the backend (an acquire for a packet that has no
 * SA, an expiry, a counter update, an unknown SPI).
 *
 * Every SA carries a conn_id chosen by its owner (ike/), unique on the
 * node and shown as "conn id" in show crypto ipsec sa; the ops are keyed by
 * it.  Inbound packets are matched by SPI inside the backend.
 *
 * Ownership: every pointer parameter is borrowed for the call; the backend
 * copies what it keeps (keys included, which it wipes on delete).
 */
#ifndef HAVPN_ESP_H
#define HAVPN_ESP_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "alg/alg.h"

enum esp_dir {
	ESP_IN,
	ESP_OUT,
};

/*
 * Traffic selectors: a flow, or a proxy identity pair (local, remote).
 * The masks are netmasks (255.255.255.0), not ACL wildcards; addresses and
 * masks in network byte order, ports in host byte order.
 */
struct esp_selector {
	struct in_addr	 src;
	struct in_addr	 src_mask;
	struct in_addr	 dst;
	struct in_addr	 dst_mask;
	uint8_t		 proto;		/* 0: any */
	uint16_t	 sport;		/* 0: any */
	uint16_t	 dport;		/* 0: any */
};

/* The same flows seen from the other end: source and destination swapped. */
void		 esp_selector_reverse(const struct esp_selector *,
		    struct esp_selector *);

#define ESP_MAX_ENC_KEY	36		/* AES-256 + 4-byte GCM salt */
#define ESP_MAX_AUTH_KEY 64		/* HMAC-SHA-512 */

struct esp_sa {
	uint32_t	 conn_id;
	uint32_t	 spi;
	enum esp_dir	 dir;
	uint32_t	 reqid;		/* pairs in/out SAs with their policy */
	/* outer addresses as seen from this node */
	struct in_addr	 local;
	struct in_addr	 remote;
	/* UDP encapsulation (RFC 3948): both 0 for raw ESP */
	uint16_t	 local_port;
	uint16_t	 remote_port;
	int		 tunnel;	/* else transport mode */
	enum alg_esp_enc enc;
	int		 enc_keybits;	/* cipher key bits, salt excluded */
	enum alg_esp_auth auth;
	uint8_t		 enc_key[ESP_MAX_ENC_KEY];
	size_t		 enc_key_len;	/* bytes, the GCM salt included */
	uint8_t		 auth_key[ESP_MAX_AUTH_KEY];
	size_t		 auth_key_len;
	int		 esn;		/* 64-bit sequence numbers */
	int		 replay_window;	/* packets: 64..1024; inbound only */
	/* the inner traffic this SA carries, in its own direction */
	struct esp_selector sel;
	/* lifetimes; 0: none.  Soft raises an expire(hard = 0) event. */
	uint32_t	 soft_secs;
	uint32_t	 hard_secs;
	uint64_t	 soft_bytes;
	uint64_t	 hard_bytes;
	/*
	 * Counter sync: raise counter_update every this many packets (the
	 * crypto map's replay-interval for the direction); 0: never.
	 */
	uint32_t	 sync_interval;
	/* what show crypto ipsec sa prints about where the SA came from */
	char		 map_name[65];
	int		 map_seq;
	int		 pfs_group;	/* 0: no PFS */
	char		 ifname[16];
};

/* The anti-replay state of an SA: what counter sync exports and imports. */
#define ESP_REPLAY_WORDS	16	/* 1024-bit window */
struct esp_replay_state {
	uint64_t	 seq_out;	/* last sequence number sent */
	uint64_t	 top;		/* highest sequence number received */
	uint32_t	 window;	/* bits in use: the SA's replay_window */
	uint64_t	 bitmap[ESP_REPLAY_WORDS];	/* bit i: top - i seen */
};

/*
 * An outbound SA's sequence numbers on this node (esp/seq.c): the last
 * number sent and the highest this node may send.  Two nodes of a pair
 * never send the same number on one SA, even both active at once.
 */
#define ESP_SEQ_ROOM	(1ULL << 24)	/* less left: rekey, not continue */
#define ESP_SEQ_SOFT	(1ULL << 22)	/* this close to the limit: rekey */
struct esp_seq {
	uint64_t	 out;		/* last sequence number sent */
	uint64_t	 limit;		/* the highest this node may send */
};

uint64_t	 esp_seq_max(int);
/* The highest number a node whose counter was set to s may send. */
uint64_t	 esp_seq_limit(uint64_t, int);
/* The counter set to s (never back), the limit from the result. */
void		 esp_seq_set(struct esp_seq *, uint64_t, int);
/*
 * Continue without exact counters from synced, the highest number known
 * from the other node: at the limit of it (or of our own, if higher).
 * -1, nothing changed: less than ESP_SEQ_ROOM would be left.
 */
int		 esp_seq_continue(struct esp_seq *, uint64_t, int);
/* Whether esp_seq_continue would succeed (0) or not (-1). */
int		 esp_seq_can_continue(const struct esp_seq *, uint64_t, int);

struct esp_sa_stats {
	uint64_t	 packets;	/* encaps (out) or decaps (in) */
	uint64_t	 bytes;		/* inner bytes */
	uint64_t	 send_errors;
	uint64_t	 recv_errors;
	uint64_t	 replay_drops;
	uint64_t	 auth_fails;
	uint64_t	 selector_drops;	/* inner packet outside the SA */
	uint64_t	 added_ms;	/* monotonic time the SA was added */
	uint64_t	 last_used_ms;	/* 0: never */
};

enum esp_policy_action {
	ESP_POLICY_PROTECT,		/* ACL permit: through an SA */
	ESP_POLICY_BYPASS,		/* ACL deny: exempt, forwarded in clear */
};

/* An outbound policy (SPD entry) from one crypto map ACL entry. */
struct esp_policy {
	uint32_t	 id;		/* chosen by the caller, unique */
	uint32_t	 reqid;		/* the SAs that carry it */
	uint32_t	 priority;	/* lower first: map seq, then ACL order */
	enum esp_policy_action action;
	struct esp_selector sel;	/* local -> remote */
	struct in_addr	 local;		/* outer local address (the VIP) */
	struct in_addr	 peer;		/* outer remote address */
	/*
	 * Optional (zero: unset).  reverse_route: the crypto map entry's
	 * reverse-route; the backend routes sel.dst into the data plane in
	 * the main table while the policy has an outbound SA and outbound
	 * traffic is not dropped (a standby keeps none; IOS RRI).
	 * The rest only labels show crypto ipsec sa for flows without SAs.
	 */
	int		 reverse_route;
	char		 map_name[65];
	int		 map_seq;
	char		 ifname[16];
	/*
	 * walk_policies only (add_policy ignores it): the packets the SPD
	 * matched to this policy, whatever became of them (show
	 * access-lists).
	 */
	uint64_t	 hits;
};

/*
 * What the data plane tells its users: each subscriber (ike/, hasync/, a
 * test tool) adds a listener of its own with esp_add_listener().
 * Callbacks may be NULL; arg is the listener's arg.
 */
struct esp_listener {
	void	*arg;
	/* a packet matched a PROTECT policy that has no outbound SA */
	void	(*acquire)(void *, uint32_t, const struct esp_selector *);
	/* a lifetime ran out: soft (rekey now) or hard (the SA is gone) */
	void	(*expire)(void *, uint32_t, int);
	/* an SA passed its sync_interval: its counters should be synced */
	void	(*counter_update)(void *, uint32_t);
	/*
	 * An ESP packet arrived for an SPI no inbound SA has (local, peer
	 * outer addresses); the data plane rate-limits these.  IKE tells the
	 * peer with an INVALID-SPI notification.
	 */
	void	(*invalid_spi)(void *, uint32_t, struct in_addr,
		    struct in_addr);
};

/*
 * Where the data plane hands IKE messages that arrive on port 4500: the
 * datagram as read (the 4-byte non-ESP marker included), its source and
 * the local address it was sent to.
 */
typedef void (*esp_ike_input_fn)(void *, const uint8_t *, size_t,
    const struct sockaddr_in *, const struct sockaddr_in *);

/* What show crypto ipsec sa needs of one SA; never any key. */
struct esp_sa_info {
	struct esp_sa	 sa;		/* keys zeroed */
	struct esp_sa_stats st;
	struct esp_replay_state replay;
	uint32_t	 iv_len;	/* bytes on the wire */
	uint64_t	 age_ms;
	uint64_t	 digest;	/* packets authenticated (made or checked) */
	uint64_t	 crypt;		/* packets encrypted or decrypted */
	uint64_t	 other_drops;	/* malformed, bad padding, next header */
	int		 udp_encap;
	int		 current;	/* outbound: a policy sends on it now */
	uint64_t	 seq_limit;	/* outbound: the highest it may send */
};

/* Engine-wide counters: packets that never reached an SA. */
struct esp_engine_stats {
	uint64_t	 tun_in;	/* packets read from the TUN device */
	uint64_t	 tun_out;	/* packets written to it */
	uint64_t	 esp_in;	/* ESP packets received */
	uint64_t	 esp_out;	/* ESP packets sent */
	uint64_t	 no_policy;	/* steered in, but no policy matches */
	uint64_t	 bypass_in_tun;	/* a BYPASS policy matched in the TUN */
	uint64_t	 no_sa;		/* PROTECT without an SA: acquire, drop */
	uint64_t	 acquires;	/* acquire events raised */
	uint64_t	 bad_spi;	/* inbound SPI of no SA */
	uint64_t	 malformed;	/* not IPv4, truncated, ... */
	uint64_t	 ike_in;	/* non-ESP marker: handed to IKE */
	uint64_t	 keepalives;	/* NAT-keepalives (0xff) */
	uint64_t	 send_errors;
	uint64_t	 tun_errors;
	uint64_t	 tun_gro;	/* packets written coalesced (TSO/USO) */
	uint64_t	 expires_soft;
	uint64_t	 expires_hard;
	uint64_t	 outbound_dropped;	/* ESP_OUTBOUND_DROP: not sent */
};

/*
 * HA (hasync): what the data plane does with traffic to encrypt.  A
 * standby never sends on the SAs it holds (DROP); a planned switchover
 * holds the inside traffic in the TUN queue for a moment (HOLD) so that
 * only one node ever sends on an SA.  Inbound is not affected.
 */
enum esp_outbound {
	ESP_OUTBOUND_SEND = 0,		/* encrypt and send: the default */
	ESP_OUTBOUND_HOLD,		/* read nothing: packets wait queued */
	ESP_OUTBOUND_DROP,		/* read and drop, counted */
};

typedef void (*esp_sa_walk_fn)(void *, const struct esp_sa_info *);
typedef void (*esp_policy_walk_fn)(void *, const struct esp_policy *);

struct esp_backend;

struct esp_backend_ops {
	const char	*name;
	/* a fresh inbound SPI, unused on the node (never below 256) */
	int	(*alloc_spi)(struct esp_backend *, uint32_t *);
	int	(*add_sa)(struct esp_backend *, const struct esp_sa *);
	/* change the outer addresses and ports (NAT-T, takeover) */
	int	(*update_sa)(struct esp_backend *, const struct esp_sa *);
	int	(*del_sa)(struct esp_backend *, uint32_t);
	int	(*query_sa)(struct esp_backend *, uint32_t,
		    struct esp_sa_stats *);
	int	(*get_replay)(struct esp_backend *, uint32_t,
		    struct esp_replay_state *);
	/*
	 * Outbound, set_replay sets the sequence number with esp_seq_set:
	 * never back, and the limit follows.  continue_out continues an
	 * outbound SA taken over without exact counters (esp_seq_continue
	 * with the highest number synced); *start is then its counter.
	 * -1: no such SA, or too little of its space left (rekey it).
	 * With start NULL, only whether it would succeed: nothing changes.
	 */
	int	(*set_replay)(struct esp_backend *, uint32_t,
		    const struct esp_replay_state *);
	int	(*continue_out)(struct esp_backend *, uint32_t, uint64_t,
		    uint64_t *);
	/*
	 * HA: the packets and bytes an SA carried on the other node, so that
	 * its counters and kilobyte lifetime continue here; its encrypted
	 * (decrypted) and digested (verified) counts become the packets, as
	 * IOS counts them.  0 or -1.
	 */
	int	(*set_traffic)(struct esp_backend *, uint32_t, uint64_t,
		    uint64_t);
	int	(*add_policy)(struct esp_backend *, const struct esp_policy *);
	int	(*del_policy)(struct esp_backend *, uint32_t);
	/*
	 * IKE's UDP socket on port 4500 (bound, maybe to a VIP not yet
	 * owned).  The userspace engine reads it from now on, takes the ESP
	 * packets and hands every packet with the non-ESP marker to ike_input;
	 * it also sends UDP-encapsulated ESP on it.  Returns 1 if the caller
	 * must stop reading fd itself, 0 if it keeps reading (a kernel
	 * backend, which sets UDP_ENCAP on it), -1 on error.
	 */
	int	(*attach_encap_socket)(struct esp_backend *, int,
		    esp_ike_input_fn, void *);
	/*
	 * IKE is going: stop handing packets to the function given to
	 * attach_encap_socket (they are dropped and counted); the backend
	 * keeps the socket for ESP and closes it when destroyed.  Optional
	 * (NULL for a backend whose attach returns 0).
	 */
	void	(*detach_encap_input)(struct esp_backend *);
	void	(*destroy)(struct esp_backend *);
	/* For show commands; optional (NULL: the backend cannot list). */
	int	(*walk_sas)(struct esp_backend *, esp_sa_walk_fn, void *);
	int	(*walk_policies)(struct esp_backend *, esp_policy_walk_fn,
		    void *);
	int	(*get_stats)(struct esp_backend *, struct esp_engine_stats *);
	/* HA: enum esp_outbound; optional (NULL: always SEND).  0 or -1. */
	int	(*set_outbound)(struct esp_backend *, enum esp_outbound);
};

/*
 * Every backend starts with this, zeroed.  Its listeners are called in
 * the order they were added; a callback may use the ops (add and delete
 * SAs) but must not add or remove listeners.
 */
#define ESP_MAX_LISTENERS	4
struct esp_backend {
	const struct esp_backend_ops *ops;
	struct esp_listener listeners[ESP_MAX_LISTENERS];
	int		 nlisteners;
};

/* Subscribe (the struct is copied); 0, or -1 if ESP_MAX_LISTENERS are. */
int		 esp_add_listener(struct esp_backend *,
		    const struct esp_listener *);
/* Unsubscribe every listener with this arg; returns how many. */
int		 esp_remove_listener(struct esp_backend *, const void *);

/*
 * The userspace engine of esp/engine.c: a TUN device, ESP over UDP 4500
 * (on IKE's socket, see attach_encap_socket) and raw ESP (protocol 50),
 * policy routing that steers each PROTECT policy's traffic into the TUN
 * device (table `table', rules of protocol 97), everything removed by
 * destroy and swept at start.  Runs on loop; NULL on failure (logged).
 */
struct ev_loop;
#define ESP_TUN_DEFAULT		"havpn0"
#define ESP_TABLE_DEFAULT	4500
struct esp_userspace_opts {
	const char	*tun_name;	/* NULL: ESP_TUN_DEFAULT */
	uint32_t	 table;		/* 0: ESP_TABLE_DEFAULT */
	int		 mtu;		/* of the TUN device; 0: 1400 */
	int		 no_routing;	/* no rules and routes (unit tests) */
	int		 no_offload;	/* no IFF_VNET_HDR, TSO, USO */
};
struct esp_backend *esp_userspace_new(struct ev_loop *,
		    const struct esp_userspace_opts *);
/* The TUN device's name (for logs and show). */
const char	*esp_userspace_tun_name(struct esp_backend *);

/*
 * show crypto ipsec sa (esp/show.c): the facts of a data plane, flows
 * grouped under interface and crypto map (cf: the interface a map is
 * bound to, when only the map is known; may be NULL), only peer's (NULL:
 * every peer), every SA's status STANDBY when standby says the node holds
 * them for a takeover.  The caller owns the object.
 */
struct config;
struct json_object;
struct json_object *esp_show_facts(struct esp_backend *,
		    const struct config *, const struct in_addr *, int);

/*
 * The record-only backend of esp/test_fake.c: unit tests of its users,
 * fuzzers and benchmarks (not linked into havpnd).
 */
struct esp_fake;
struct esp_backend *esp_fake_new(void);
/* The SA with this conn_id as added or updated last, or NULL. */
const struct esp_sa *esp_fake_sa(struct esp_backend *, uint32_t);
int		 esp_fake_nsas(struct esp_backend *);
int		 esp_fake_npolicies(struct esp_backend *);
/* Set the counters query_sa reports for an SA (tests of traffic-driven
 * behaviour, such as on-demand DPD); -1 if there is no such SA. */
int		 esp_fake_set_stats(struct esp_backend *, uint32_t,
		    const struct esp_sa_stats *);
/* The last mode set_outbound was given. */
enum esp_outbound esp_fake_outbound(struct esp_backend *);
/*
 * k packets on an outbound SA, as the engine numbers them: as many as its
 * limit allows (returned), the first numbered *first.
 */
uint64_t	 esp_fake_send(struct esp_backend *, uint32_t, uint64_t,
		    uint64_t *);
/*
 * Raise an event as if the data plane had: an acquire for a packet of
 * flow that matched policy reqid, an expiry (conn_id, hard), a counter
 * update (conn_id), an SPI unknown to it (spi, local, peer).
 */
void		 esp_fake_acquire(struct esp_backend *, uint32_t,
		    const struct esp_selector *);
void		 esp_fake_expire(struct esp_backend *, uint32_t, int);
void		 esp_fake_counter_update(struct esp_backend *, uint32_t);
void		 esp_fake_invalid_spi(struct esp_backend *, uint32_t,
		    struct in_addr, struct in_addr);

#endif
