/*
 * The userspace engine's internals, shared by engine.c (the ops table,
 * SAD and SPD), io.c (the packet loops), tun.c and rtnl.c.
 */
#ifndef HAVPN_ESP_ENGINE_H
#define HAVPN_ESP_ENGINE_H

#include <net/if.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ev.h>

#include "esp/esp.h"
#include "esp/esp_int.h"

#define RTPROT_HAVPN		97	/* marks havpn's rules and routes */
#define ESP_FWMARK		0x68617670	/* "havp": the engine's sockets */
#define ESP_RULE_FIXED		9000	/* IKE and the engine's own packets */
#define ESP_RULE_BASE		10000	/* + rank of the policy */
#define ESP_RULE_MAX		32000	/* main (32766) must stay after */

#define ESP_BATCH		64	/* packets per wake-up and syscall */
/* outbound slots: a batch, plus room for one more super-packet's segments */
#define ESP_TX_SLOTS		(ESP_BATCH + ESP_GSO_SEGS)
#define ESP_BUFSZ		(2048 + 256)
#define ESP_PKT_OFF		128	/* headroom before a packet */
#define ESP_SOCKBUF		(8 * 1024 * 1024)	/* socket buffers */
#define ESP_GSO_MAX		64	/* packets in one UDP GSO datagram */
#define ESP_GSO_BYTES		65000	/* and their bytes */
#define ESP_RXBUF		(ESP_PKT_OFF + 65536)	/* fits a GRO batch */
#define ESP_VNET_HDR		10	/* struct virtio_net_hdr */
#define ESP_GSOBUF		(ESP_VNET_HDR + 65536)
#define ESP_GSO_SEGS		48	/* slots kept free for one read */
#define ESP_GROBUF		65535	/* one coalesced write */
#define ESP_SPI_BUCKETS		4096	/* power of two */
#define ESP_CONN_BUCKETS	4096
#define ESP_REQID_BUCKETS	1024	/* outbound SAs by reqid */

/* One policy routing rule. */
struct esp_rule {
	uint32_t	 priority;
	uint32_t	 table;
	struct in_addr	 src;
	int		 src_len;
	struct in_addr	 dst;
	int		 dst_len;
	uint32_t	 fwmark;
	uint8_t		 proto;
	uint16_t	 sport;
	uint16_t	 dport;
};

struct esp_sa_rt {
	struct esp_sactx *c;
	struct esp_sa_rt *next_conn;
	struct esp_sa_rt *next_spi;	/* inbound only */
	/* outbound only: the reqid's bucket, newest first */
	struct esp_sa_rt *next_reqid;
	struct esp_sa_rt *prev_reqid;
	uint64_t	 serial;	/* newer SAs win for a reqid */
	uint64_t	 since_sync;	/* packets since counter_update */
	int		 soft_raised;
	int		 dead;		/* hard-expired, being removed */
	int		 bound;		/* policies sending on it (pol.out) */
};

struct esp_pol {
	struct esp_policy p;
	/*
	 * The current outbound SA: the newest whose selectors cover the
	 * policy's (out_covers), else the newest narrower one - a peer may
	 * negotiate a narrower pair inside an ACL entry - which carries only
	 * the flows it covers (esp_engine_out_for).
	 */
	struct esp_sa_rt *out;
	int		 out_covers;
	int		 ncover;	/* outbound SAs of its reqid covering it */
	struct esp_rule	 rule;
	int		 rule_installed;
	int		 route_installed;	/* reverse-route */
	uint64_t	 last_acquire_ms;
	uint64_t	 acquires;
	uint64_t	 nosa_drops;
	uint64_t	 packets;
	uint64_t	 hits;		/* matched by the SPD (esp_policy.hits) */
};

/* One packet slot of a batch. */
struct esp_slot {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 off;
	size_t		 len;
	struct esp_sa_rt *sa;
	struct sockaddr_in peer;
	struct sockaddr_in local;
	union {
		char		 c[CMSG_SPACE(sizeof(struct in_pktinfo)) +
				    CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	} cmsg;
};

struct esp_engine {
	struct esp_backend be;		/* first: the backend handle */
	struct ev_loop	*loop;
	char		 tun_name[IFNAMSIZ];
	int		 tun_fd;
	int		 tun_ifindex;
	int		 tun_mtu;
	int		 vnet;		/* IFF_VNET_HDR with offloads */
	uint8_t		*gsobuf;	/* one TUN read with offloads */
	/* the TCP train being coalesced for the TUN device (io.c) */
	uint8_t		*grobuf;
	const uint8_t	*gro_first;	/* in an rx slot, until the flush */
	size_t		 gro_first_len;
	const uint8_t	*gro_last;
	size_t		 gro_last_plen;
	size_t		 gro_len;	/* bytes in grobuf */
	size_t		 gro_mss;
	uint8_t		 gro_psh;
	uint8_t		 gro_proto;	/* IPPROTO_TCP or IPPROTO_UDP */
	size_t		 gro_thl;	/* its L4 header length */
	int		 gro_n;		/* segments in the train */
	int		 raw_fd;
	int		 udp_fd;	/* IKE's port 4500 socket, or -1 */
	int		 no_gso;	/* the kernel refused UDP GSO */
	esp_ike_input_fn ike_fn;
	void		*ike_arg;
	int		 nl_fd;
	int		 routing;	/* install rules and routes */
	uint32_t	 table;
	int		 fixed_rules;
	enum esp_outbound outbound;	/* HA: send, hold or drop */
	ev_io		 tun_w;
	ev_io		 raw_w;
	ev_io		 udp_w;
	ev_timer	 tick;

	struct esp_sa_rt *by_conn[ESP_CONN_BUCKETS];
	struct esp_sa_rt *by_spi[ESP_SPI_BUCKETS];
	/*
	 * Outbound SAs by reqid, each chain newest first (an SA is pushed at
	 * the head, and serials only grow), so the SA a policy sends on is
	 * found among its own reqid's SAs, newest first.  out_visits counts
	 * the SAs those searches look at (the unit tests' linearity guard).
	 */
	struct esp_sa_rt *by_reqid[ESP_REQID_BUCKETS];
	uint64_t	 out_visits;
	int		 nsas;
	uint64_t	 serial;
	/* SPIs handed out by alloc_spi and not yet in an SA */
	uint32_t	 reserved_spis[1024];
	unsigned	 nreserved;
	struct esp_pol	*pols;		/* sorted by priority, then id */
	int		 npols;

	struct esp_engine_stats st;
	uint64_t	 now_ms;	/* at the start of this wake-up */
	struct log_ratelimit rl_nospi;
	struct log_ratelimit rl_drop;
	struct log_ratelimit rl_send;
	struct log_ratelimit rl_trace;	/* debug crypto ipsec drops */

	struct esp_slot	*rx;		/* ESP_BATCH */
	struct esp_slot	*tx;		/* ESP_TX_SLOTS */
	struct mmsghdr	 mm[ESP_TX_SLOTS];
	struct iovec	 iov[ESP_TX_SLOTS];
	uint8_t		 ivpool[ESP_TX_SLOTS * ESP_MAX_IV];
};

/* engine.c */
struct esp_sa_rt *esp_engine_sa_by_spi(struct esp_engine *, uint32_t);
struct esp_pol	*esp_engine_spd_lookup(struct esp_engine *,
		    const struct esp_flow *);
void		 esp_engine_sa_used(struct esp_engine *, struct esp_sa_rt *);
/* The live outbound SA a packet of flow matching the policy goes on, or
 * NULL (acquire). */
struct esp_sa_rt *esp_engine_out(struct esp_engine *, const struct esp_pol *,
		    const struct esp_flow *);
void		 esp_engine_acquire(struct esp_engine *, struct esp_pol *,
		    const struct esp_flow *);

/*
 * The engine without its device, sockets, rules or timer: the ops table,
 * SAD, SPD, packet slots and, unless o says no_offload, the offload
 * buffers and every ESP_OFF_ bit in vnet.  Every descriptor is -1.
 * esp_userspace_new() builds on it; the engine fuzzer drives one through
 * the esp_io_*_input and esp_io_tun_* functions.  Freed by the ops'
 * destroy.
 */
struct esp_engine *esp_engine_new(struct ev_loop *,
		    const struct esp_userspace_opts *);

/* io.c */
int		 esp_io_start(struct esp_engine *);
void		 esp_io_stop(struct esp_engine *);
void		 esp_io_attach_udp(struct esp_engine *);
/* HA: hold stops reading the TUN device, drop reads and discards. */
void		 esp_io_set_outbound(struct esp_engine *, enum esp_outbound);
/*
 * The inbound path for one ESP packet at s->buf + s->off (s->len bytes):
 * decapsulate, check selectors, and leave the packet to write to the TUN
 * device at s->off/s->len.  0: deliver it; -1: dropped and counted.
 */
int		 esp_io_inbound(struct esp_engine *, struct esp_slot *);

/*
 * The packet paths behind the socket callbacks, on bytes already read
 * (the callbacks read, then call these; so does the engine fuzzer).
 *
 * Inbound, a datagram at s->buf + ESP_PKT_OFF as recvmmsg leaves it in
 * an rx slot: esp_io_udp_input() one from UDP port 4500, total bytes (with
 * UDP GRO several of seg bytes back to back, 0: one), each IKE (the
 * non-ESP marker, to ike_fn), a NAT-keepalive or ESP; esp_io_raw_input()
 * an IPv4 datagram of protocol 50 from the raw socket.  Their inner
 * packets go to the TUN device, a train of TCP or UDP segments held (in
 * the slots: each datagram of a batch needs its own) until
 * esp_io_rx_flush() ends the batch.
 */
void		 esp_io_udp_input(struct esp_engine *, struct esp_slot *,
		    size_t, size_t);
void		 esp_io_raw_input(struct esp_engine *, struct esp_slot *,
		    size_t);
void		 esp_io_rx_flush(struct esp_engine *);

/* The ESP packets of a batch from the TUN device, by their socket. */
struct esp_txq {
	int		 udp[ESP_TX_SLOTS];	/* tx slot indexes */
	int		 raw[ESP_TX_SLOTS];
	int		 nudp;
	int		 nraw;
};

/*
 * Outbound: esp_io_tun_vnet() finishes one read of r bytes with
 * IFF_VNET_HDR, in e->gsobuf, into slots tx[first ...] (first +
 * ESP_GSO_SEGS <= ESP_TX_SLOTS): the number filled, -1 if dropped
 * (counted).  esp_io_tun_packets() takes slots tx[first .. first + n),
 * each holding a packet at off/len: SPD, SA, encapsulation in place (the
 * IV from e->ivpool), queued on q for its socket, or dropped and counted.
 * esp_io_tun_send() sends what q holds and empties it.
 */
int		 esp_io_tun_vnet(struct esp_engine *, int, size_t);
void		 esp_io_tun_packets(struct esp_engine *, int, int,
		    struct esp_txq *);
void		 esp_io_tun_send(struct esp_engine *, struct esp_txq *);

/* tun.c */
/*
 * *vnet: non-zero asks for IFF_VNET_HDR and offloads; set to the ESP_OFF_
 * bits the kernel accepted (0: none).
 */
#define ESP_OFF_VNET	0x1
#define ESP_OFF_TSO	0x2
#define ESP_OFF_USO	0x4
int		 esp_tun_open(const char *, int, char *, int *, int *);

/* rtnl.c */
int		 esp_rtnl_rule(int, int, const struct esp_rule *);
int		 esp_rtnl_route(int, int, uint32_t, struct in_addr, int, int);
/* Remove every rule and route with RTPROT_HAVPN; how many, or -1. */
int		 esp_rtnl_sweep(int);

#endif
