/*
 * ike: IKEv1 (ISAKMP, RFC 2407/2408/2409) for havpn.
 *
 * One struct ike is the engine of a node: the ISAKMP SA table, Main,
 * Aggressive, Quick and Informational exchanges, DPD (RFC 3706), NAT-T
 * (RFC 3947), lifetimes and rekeying.  It installs IPsec SAs and the
 * crypto map policies through a struct esp_backend (esp/esp.h) and
 * receives the data plane's acquires and expiries as its listener.
 *
 * The engine does no I/O and reads no clock of its own: struct ike_io
 * gives it a clock and a way to send datagrams, and the owner feeds it the
 * datagrams that arrive (ike_input) and runs its timers (ike_next_deadline,
 * ike_run_timers).  havpnd does this with libev and the sockets of
 * struct ike_net; the unit tests pass messages between two engines through
 * a queue under a virtual clock.
 *
 * Ownership: every pointer parameter is borrowed for the call unless said
 * otherwise; the engine copies what it keeps (the configuration included,
 * so a reload never leaves it pointing into a freed config).
 */
#ifndef HAVPN_IKE_H
#define HAVPN_IKE_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "esp/esp.h"

struct config;
struct conf_interface;
struct ike;
struct ev_loop;
struct json_object;

/* ---- the engine ---------------------------------------------------------- */

struct ike_io {
	void		*arg;
	/* monotonic milliseconds */
	uint64_t	(*now_ms)(void *);
	/*
	 * Send one datagram from local to remote (ports included: 500, or
	 * 4500 with the non-ESP marker already in front of the message).
	 * 0, or -1 if it could not be sent (the engine retransmits anyway).
	 */
	int		(*send)(void *, const struct sockaddr_in *,
			    const struct sockaddr_in *, const uint8_t *,
			    size_t);
	/* the earliest timer moved: call ike_next_deadline() again */
	void		(*timers_changed)(void *);
};

/*
 * A new engine over a data plane (borrowed; the engine adds its listener
 * for acquires, expiries and unknown SPIs, and ike_free() removes it).
 * Active by default.  NULL if OpenSSL cannot provide the algorithms or
 * the data plane has no room for another listener (logged).
 */
struct ike	*ike_new(struct esp_backend *, const struct ike_io *);
/* Stops everything; IPsec SAs stay in the data plane.  NULL: no-op. */
void		 ike_free(struct ike *);

/*
 * Start with, or move to, a configuration (copied).  The crypto map
 * policies are (re)installed in the data plane; existing SAs are kept.
 * 0, or -1 if the data plane refused a policy (logged).
 */
int		 ike_configure(struct ike *, const struct config *);

/*
 * One datagram that arrived on local (address and port 500 or 4500) from
 * remote.  On port 4500 the data starts with the non-ESP marker (four
 * zero bytes) as on the wire; a one-byte NAT-keepalive is ignored.
 */
void		 ike_input(struct ike *, const uint8_t *, size_t,
		    const struct sockaddr_in *, const struct sockaddr_in *);

/* The earliest timer (monotonic ms), UINT64_MAX if none. */
uint64_t	 ike_next_deadline(struct ike *);
/* Run every timer that is due. */
void		 ike_run_timers(struct ike *);

/*
 * HA role.  Not active: the engine initiates nothing, sends no DPD, no
 * NAT keepalive and runs no rekey or expiry timers for its SAs (they are
 * held, ready to be continued), and drops what arrives; its sockets stay.
 * Becoming active again restarts the held timers.
 */
void		 ike_set_active(struct ike *, int);
int		 ike_is_active(const struct ike *);

/*
 * The local addresses IKE listens on for a configuration: for each
 * interface with a crypto map, the VIP of the map's redundancy group, else
 * the interface address.  Returns how many were written (at most max).
 */
int		 ike_local_addrs(const struct config *, struct in_addr *, int);
/* The local address of one interface's crypto map: 0, or -1 if none. */
int		 ike_map_local(const struct config *,
		    const struct conf_interface *, struct in_addr *);
/*
 * Where the data plane policy with this id comes from: the crypto map
 * (name into map), its entry's sequence number and the index of the ACL
 * entry in the entry's access list.  0, or -1 if IKE installed no such
 * policy.
 */
int		 ike_policy_origin(struct ike *, uint32_t, char *, size_t, int *,
		    int *);

/* ---- operator actions ---------------------------------------------------- */

/*
 * As if the data plane had seen a packet of this flow: the first crypto
 * map policy it matches (in map and ACL order) raises an acquire.
 * 0, or -1 with a reason (no policy matches, a deny entry matches, ...).
 */
int		 ike_test_acquire(struct ike *, const struct esp_selector *,
		    char *, size_t);
/* Delete ISAKMP SAs (conn_id 0: all), sending a Delete to each peer. */
int		 ike_clear_isakmp(struct ike *, uint32_t);
/* Delete IPsec SAs (peer NULL: all), sending Deletes. */
int		 ike_clear_sa(struct ike *, const struct in_addr *);

/* ---- state another node needs to continue an SA (hasync) ----------------- */

#define IKE_STATE_VERSION	1

/* An ISAKMP SA after phase 1: plain data, no pointers. */
struct ike_isakmp_state {
	uint32_t	 version;
	uint32_t	 conn_id;
	uint8_t		 icookie[8];
	uint8_t		 rcookie[8];
	uint8_t		 initiator;	/* we began phase 1 */
	uint8_t		 exchange;	/* 2 Main, 4 Aggressive */
	/* peers */
	struct in_addr	 local;
	struct in_addr	 remote;
	uint16_t	 local_port;	/* 500, or 4500 once floated */
	uint16_t	 remote_port;	/* as seen, NAT-mapped */
	struct in_addr	 peer_id;	/* the peer's ID_IPV4_ADDR */
	/* algorithms (alg/alg.h enums and IKE group numbers) */
	uint8_t		 enc;
	uint16_t	 keybits;
	uint8_t		 hash;
	uint16_t	 group;
	/* keys */
	uint8_t		 skeyid_d[64];
	uint8_t		 skeyid_a[64];
	uint8_t		 skeyid_e[64];
	uint16_t	 prf_len;
	uint8_t		 enc_key[32];
	uint16_t	 enc_key_len;
	/* the last CBC block of phase 1: every phase 2 IV derives from it */
	uint8_t		 iv[16];
	uint16_t	 iv_len;
	/* lifetime */
	uint32_t	 lifetime;	/* seconds negotiated */
	uint32_t	 remaining;	/* seconds left when exported */
	/* DPD (RFC 3706) */
	uint8_t		 peer_dpd;	/* the peer sent the DPD vendor ID */
	uint32_t	 dpd_seq_out;	/* next R-U-THERE sequence number */
	uint32_t	 dpd_seq_in;	/* last R-U-THERE sequence received */
	/* NAT-T (RFC 3947) */
	uint8_t		 natt;		/* 0 none, 1 RFC 3947, 2 draft 02/03 */
	uint8_t		 nat_local;	/* this node is behind a NAT */
	uint8_t		 nat_remote;	/* the peer is behind a NAT */
	/* message IDs of recent phase 2 / informational exchanges */
	uint32_t	 msgids[16];
	/* where it came from */
	char		 map[65];
	int32_t		 map_seq;
};

/* A pair of IPsec SAs (one Quick Mode): plain data, no pointers. */
struct ike_ipsec_state {
	uint32_t	 version;
	uint32_t	 conn_in;	/* data plane conn_ids */
	uint32_t	 conn_out;
	uint32_t	 spi_in;
	uint32_t	 spi_out;
	uint32_t	 reqid;
	uint32_t	 isakmp_conn_id;	/* the phase 1 that made it */
	uint8_t		 initiator;	/* we began the Quick Mode */
	struct in_addr	 local;
	struct in_addr	 remote;
	uint16_t	 local_port;	/* UDP encapsulation, else 0 */
	uint16_t	 remote_port;
	uint8_t		 tunnel;
	uint8_t		 enc;		/* enum alg_esp_enc */
	uint16_t	 enc_keybits;
	uint8_t		 auth;		/* enum alg_esp_auth */
	uint8_t		 enc_key_in[36];
	uint8_t		 enc_key_out[36];
	uint16_t	 enc_key_len;	/* GCM: the 4-byte salt included */
	uint8_t		 auth_key_in[64];
	uint8_t		 auth_key_out[64];
	uint16_t	 auth_key_len;
	/* the inner traffic, local -> remote (inbound is its mirror) */
	struct esp_selector sel;
	uint32_t	 life_secs;
	uint32_t	 remaining;	/* seconds left when exported */
	uint64_t	 life_kbytes;
	int32_t		 pfs_group;
	int32_t		 replay_window;
	char		 map[65];
	int32_t		 map_seq;
	int32_t		 ace;		/* access-list entry (0 = first) */
	char		 ifname[16];
	uint8_t		 rekeyed;	/* a newer pair replaced it */
	uint32_t	 v2_conn;	/* IKEv2: its IKE SA's conn_id; 0: IKEv1 */
};

/*
 * An IKEv2 IKE SA once authenticated (ike/v2/export.c): plain data, no
 * pointers.  Its CHILD SAs travel as struct ike_ipsec_state with v2_conn
 * set to its conn_id.
 */
#define IKE2_STATE_READY	1
#define IKE2_STATE_REKEYED	2	/* replaced, its Delete awaited */
#define IKE2_STATE_ID_MAX	255

struct ike_ike2_state {
	uint32_t	 version;
	uint32_t	 conn_id;	/* the Tunnel-id */
	uint8_t		 spii[8];
	uint8_t		 spir[8];
	uint8_t		 state;		/* IKE2_STATE_* */
	uint8_t		 initiator;	/* this pair is the original initiator
					   (2.2): a rekey of ours made it */
	uint8_t		 fragmentation;	/* RFC 7383 negotiated */
	uint32_t	 replaces;	/* a rekey: the old SA's conn_id, else 0 */
	struct in_addr	 local;
	struct in_addr	 remote;
	uint16_t	 local_port;	/* 500, or 4500 once moved */
	uint16_t	 remote_port;	/* as seen, NAT-mapped */
	uint8_t		 nat_local;	/* this node is behind a NAT */
	uint8_t		 nat_remote;	/* the peer is */
	/* the suite: enc as an IKEv2 transform ID (12 AES-CBC, 20
	 * AES-GCM-16), prf and integ enum alg_hash (integ 0 with GCM) */
	uint16_t	 enc;
	uint16_t	 keybits;
	uint8_t		 prf;
	uint8_t		 integ;
	uint16_t	 group;
	/* keys (2.14): lengths from the suite (ike2_state_keylens) */
	uint8_t		 sk_d[64];
	uint8_t		 sk_ai[64];
	uint8_t		 sk_ar[64];
	uint8_t		 sk_ei[36];
	uint8_t		 sk_er[36];
	uint8_t		 sk_pi[64];
	uint8_t		 sk_pr[64];
	uint16_t	 prf_len;	/* sk_d, sk_pi, sk_pr */
	uint16_t	 integ_len;	/* sk_ai, sk_ar */
	uint16_t	 enc_len;	/* sk_ei, sk_er */
	char		 profile[65];
	/* identities: ID type and data */
	uint8_t		 id_local_type;
	uint8_t		 id_local[IKE2_STATE_ID_MAX];
	uint16_t	 id_local_len;
	uint8_t		 id_peer_type;
	uint8_t		 id_peer[IKE2_STATE_ID_MAX];
	uint16_t	 id_peer_len;
	/*
	 * Message IDs (2.2): next_in the peer's next request as last
	 * replicated (an import accepts any higher one once, docs/hasync.md
	 * "IKEv2 message IDs"); next_out where a node that continues the SA
	 * starts its own requests: the active's reservation, beyond every
	 * ID it used.
	 */
	uint32_t	 next_in;
	uint32_t	 next_out;
	/* RFC 6311: the peer announced IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
	 * IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED */
	uint8_t		 peer_mid_sync;
	uint8_t		 peer_replay_sync;
	/* lifetime */
	uint32_t	 lifetime;	/* seconds */
	uint32_t	 remaining;	/* seconds left when exported (REKEYED:
					   until it goes without a Delete) */
};

/* Every established ISAKMP SA / IPsec SA pair, through fn; returns count. */
int		 ike_export_isakmp(struct ike *,
		    void (*)(void *, const struct ike_isakmp_state *), void *);
int		 ike_export_ipsec(struct ike *,
		    void (*)(void *, const struct ike_ipsec_state *), void *);
/*
 * Continue an SA another node negotiated.  Its timers start from the
 * remaining lifetime (only while active).  For IPsec SAs, install 1 adds
 * both SAs to the data plane; 0 if the caller puts them there itself.
 * 0, or -1 if the state is inconsistent (logged).
 */
int		 ike_import_isakmp(struct ike *,
		    const struct ike_isakmp_state *);
int		 ike_import_ipsec(struct ike *, const struct ike_ipsec_state *,
		    int);
/*
 * IKEv2 (ike/v2/export.c): every READY or REKEYED IKE SA, oldest first;
 * returns the count.  The import continues it with its SPIs, keys,
 * identities and message IDs (the peer's next request may come with any
 * ID from next_in on, once: docs/hasync.md); a state that replaces
 * another takes that one's CHILD SAs.  0, or -1 if the state is
 * inconsistent or its SPIs or conn_id are in use (logged).
 */
int		 ike_export_ike2(struct ike *,
		    void (*)(void *, const struct ike_ike2_state *), void *);
int		 ike_import_ike2(struct ike *, const struct ike_ike2_state *);
/* Forget an IKEv2 SA (by conn_id): no event, its CHILD SAs stay. */
int		 ike_forget_ike2(struct ike *, uint32_t);
/*
 * The key lengths of the state's suite (prf, integ, enc, keybits): 0
 * with them, or -1 if IKEv2 never negotiates it (hasync's range check).
 */
int		 ike2_state_keylens(const struct ike_ike2_state *, size_t *,
		    size_t *, size_t *);

/*
 * Forget an ISAKMP SA (by conn_id): no Delete to the peer, no listener
 * event; its IPsec SAs stay.  0, or -1 if there is no such SA.
 */
int		 ike_forget_isakmp(struct ike *, uint32_t);
/*
 * Forget an IPsec SA pair (by either conn_id): both SAs leave the data
 * plane, no Delete, no listener event.  0, or -1 if there is none.
 */
int		 ike_forget_ipsec(struct ike *, uint32_t);
/*
 * A rekey on another node replaced this pair (by either conn_id): it is
 * not rekeyed itself and is deleted IKE_REKEY_GRACE_MS (5 s) from now, or
 * from when the engine becomes active.  0, or -1 if there is none.
 */
int		 ike_ipsec_replaced(struct ike *, uint32_t);
/*
 * Rekey a pair (by either conn_id) now with Quick Mode, as its soft
 * lifetime would.  stop_out: first take its outbound SA out of the data
 * plane, so nothing more is sent on it (a possibly reused sequence
 * number) until the new pair is up; its inbound SA keeps receiving.
 * 0, or -1 if there is no such pair, it was replaced (its outbound SA
 * is still taken out if asked), or the engine is not active.
 */
int		 ike_rekey_ipsec(struct ike *, uint32_t, int);
/*
 * Only the first step of ike_rekey_ipsec(..., 1): the pair's outbound SA
 * leaves the data plane now, its rekey comes later.  0, or -1 if there is
 * no such pair or the engine is not active.
 */
int		 ike_stop_ipsec_out(struct ike *, uint32_t);
/* 1 while the pair (by either conn_id) is there and no rekey replaced it. */
int		 ike_ipsec_unreplaced(struct ike *, uint32_t);

/* ---- events for hasync --------------------------------------------------- */

/*
 * Callbacks may be NULL.  The state pointers are valid for the call only.
 * isakmp_updated follows every change another node must know: a DPD
 * sequence number, a NAT-T port change, the lifetime.
 */
struct ike_listener {
	void	*arg;
	void	(*isakmp_up)(void *, const struct ike_isakmp_state *);
	void	(*isakmp_updated)(void *, const struct ike_isakmp_state *);
	void	(*isakmp_deleted)(void *, uint32_t, const uint8_t *,
		    const uint8_t *);
	void	(*ipsec_up)(void *, const struct ike_ipsec_state *);
	/* a new pair replaced old_conn_in's pair (which stays until deleted) */
	void	(*ipsec_rekeyed)(void *, const struct ike_ipsec_state *,
		    uint32_t);
	void	(*ipsec_deleted)(void *, uint32_t, uint32_t);
	/*
	 * IKEv2 SAs: up once authenticated or made by a rekey (replaces
	 * then names the old one, whose CHILD SAs it took, and an update
	 * of the old one, REKEYED, follows); updated after a CREATE_CHILD_SA
	 * or a Delete it answered, a port change, a new reservation of our
	 * message IDs; deleted (conn_id) after its CHILD SAs' deletes.
	 */
	void	(*ike2_up)(void *, const struct ike_ike2_state *);
	void	(*ike2_updated)(void *, const struct ike_ike2_state *);
	void	(*ike2_deleted)(void *, uint32_t);
};

/* Subscribe (the struct is copied); at most IKE_MAX_LISTENERS. */
#define IKE_MAX_LISTENERS	4
int		 ike_add_listener(struct ike *, const struct ike_listener *);
/* Unsubscribe every listener with this arg; returns how many. */
int		 ike_remove_listener(struct ike *, const void *);

/* ---- status (JSON facts for havpnctl) ------------------------------------ */

void		 ike_show_isakmp_sa(struct ike *, int, struct json_object *);
void		 ike_show_policy(const struct config *, struct json_object *);
void		 ike_show_session(struct ike *, int, struct json_object *);
void		 ike_show_stats(struct ike *, struct json_object *);
/*
 * IKEv2 (ike/v2/show.c): show crypto ikev2 sa [detail], show crypto
 * ikev2 session [detail] (each IKE SA with its CHILD SAs), show crypto
 * ikev2 stats.
 */
void		 ike2_show_sa(struct ike *, int, struct json_object *);
void		 ike2_show_session(struct ike *, int, struct json_object *);
void		 ike2_show_stats(struct ike *, struct json_object *);
/*
 * Delete IKEv2 SAs (conn_id 0: all) with their CHILD SAs, here only: no
 * Delete goes to the peer (havpn sends no IKEv2 requests yet).  Returns
 * how many.
 */
int		 ike2_clear_sa(struct ike *, uint32_t);

/* ---- sockets for havpnd (ike/net.c) -------------------------------------- */

struct ike_net;

/*
 * UDP 500 and 4500 on each address of ike_local_addrs(), bound with
 * IP_FREEBIND (a VIP may be on the other node now).  Each 4500 socket is
 * offered to the data plane (attach_encap_socket).  The engine's ike_io
 * sends through ike_net_send with the ike_net as its arg.
 */
struct ike_net	*ike_net_new(struct ev_loop *, struct esp_backend *);
void		 ike_net_set_engine(struct ike_net *, struct ike *);
/* Open what a configuration needs and close the rest; 0 or -1. */
int		 ike_net_sync(struct ike_net *, const struct config *);
int		 ike_net_send(void *, const struct sockaddr_in *,
		    const struct sockaddr_in *, const uint8_t *, size_t);
void		 ike_net_free(struct ike_net *);

#endif
