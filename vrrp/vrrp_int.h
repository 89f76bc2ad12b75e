/*
 * vrrp internals: the advert codec, the pure state machine, and the I/O
 * helpers (rtnetlink, sockets).  Not for use outside vrrp/ and its tests.
 */
#ifndef HAVPN_VRRP_INT_H
#define HAVPN_VRRP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "vrrp/vrrp.h"

/* ---- RFC 9568 constants ------------------------------------------------ */

#define VRRP_PROTO		112		/* IP protocol number */
#define VRRP_GROUP_ADDR		0xe0000012u	/* 224.0.0.18, host order */
#define VRRP_TTL		255		/* sent and required */
#define VRRP_TOS		0xc0		/* internetwork control */
#define VRRP_VERSION		3
#define VRRP_TYPE_ADVERT	1
#define VRRP_PRIO_STOP		0		/* the Active router leaves */
#define VRRP_PRIO_OWNER		255		/* the address owner */
#define VRRP_HDR_LEN		8		/* the fixed part */
#define VRRP_MAX_INTERVAL	4095		/* 12 bits of centiseconds */
#define VRRP_IP_HDR_LEN		20		/* the header we send */
#define VRRP_MAX_PKT		(60 + VRRP_HDR_LEN + 255 * 4)

/* The IPv4 checksum forms (RFC 9568 5.2.8 and the widespread variant). */
enum vrrp_cksum {
	VRRP_CKSUM_PSEUDO = 0,	/* with the pseudo-header: keepalived */
	VRRP_CKSUM_RFC9568,	/* the VRRP message only */
};

/*
 * Why an advert was dropped; the names are show standby's counter keys.
 * X(ENUM, name, what)
 */
#define VRRP_DROPS(X)							\
	X(IP, "ip", "not a well-formed unfragmented IPv4 packet")	\
	X(TTL, "ttl", "TTL other than 255")				\
	X(VERSION, "version", "not VRRP version 3")			\
	X(TYPE, "type", "not an advertisement")				\
	X(TRUNCATED, "truncated", "shorter than its header and addresses") \
	X(LENGTH, "length", "bytes after the addresses, or no address")	\
	X(CHECKSUM, "checksum", "checksum wrong in either form")	\
	X(INTERVAL, "interval", "advertisement interval 0")		\
	X(ADDRESS, "address", "not to 224.0.0.18 or from a bad source")	\
	X(VRID, "vrid", "no group with this VRID on the interface")	\
	X(PEER, "peer", "not the pair's other node")			\
	X(OWN, "own", "our own advert looped back")

enum vrrp_drop {
	VRRP_ACCEPT = -1,
#define VRRP_DROP_ENUM(e, n, w)	VRRP_DROP_##e,
	VRRP_DROPS(VRRP_DROP_ENUM)
#undef VRRP_DROP_ENUM
	VRRP_DROP_COUNT
};

/* A parsed advert; addrs points into the packet given to the parser. */
struct vrrp_advert {
	struct in_addr	 src;
	struct in_addr	 dst;
	uint8_t		 ttl;
	uint8_t		 vrid;
	uint8_t		 priority;
	uint8_t		 naddrs;
	uint16_t	 interval_cs;
	uint16_t	 checksum;
	enum vrrp_cksum	 form;		/* the checksum form that matched */
	const uint8_t	*addrs;		/* naddrs * 4 bytes, network order */
};

/* ---- codec.c: pure ----------------------------------------------------- */

/*
 * Parse one IPv4 packet as a raw socket delivers it (IP header first).
 * VRRP_ACCEPT, or the reason to drop it with *why set to a message.
 * Either checksum form is accepted; a->form says which one matched.
 */
enum vrrp_drop	 vrrp_advert_parse(const uint8_t *, size_t,
		    struct vrrp_advert *, const char **);
/* The 16-bit one's complement checksum of a VRRP message. */
uint16_t	 vrrp_checksum(const uint8_t *, size_t, struct in_addr,
		    struct in_addr, enum vrrp_cksum);
/*
 * Build a whole IPv4 packet (header for IP_HDRINCL, TTL 255, TOS 0xc0) with
 * one advert from src to 224.0.0.18.  Its length, or 0 if it does not fit.
 */
size_t		 vrrp_advert_build(uint8_t *, size_t, struct in_addr, uint8_t,
		    uint8_t, uint16_t, const struct in_addr *, int,
		    enum vrrp_cksum);
/* A gratuitous ARP request (sender = target = vip) as an ARP payload. */
#define VRRP_ARP_LEN	28
size_t		 vrrp_garp_build(uint8_t *, size_t, const uint8_t *,
		    struct in_addr);
const char	*vrrp_drop_name(enum vrrp_drop);

/* ---- fsm.c: the election, pure ----------------------------------------- */

/*
 * Times are microseconds of a monotonic clock the caller passes in; the
 * machine keeps no clock of its own.
 */
#define VRRP_GARP_REPEAT_US	(5ull * 1000000)  /* the second GARP burst */
#define VRRP_HEAL_GARP_US	(1ull * 1000000)  /* at most this often */
#define VRRP_NOT_READY_PRIO	1

uint64_t	 vrrp_skew_us(int, uint16_t);
uint64_t	 vrrp_master_down_us(int, uint16_t, uint64_t);

/* What the machine asks its owner to do; gi is the group's index. */
struct vrrp_fsm_ops {
	void	(*send)(void *, int, int);	/* an advert with priority */
	void	(*vip)(void *, int, int);	/* 1 add, 0 remove */
	void	(*garp)(void *, int);		/* a gratuitous ARP burst */
	void	(*state)(void *, int, enum vrrp_state, enum vrrp_state,
		    const char *);
	/*
	 * The set led by group gi changed state: called before the groups
	 * act when it becomes Master, after they acted otherwise.
	 */
	void	(*role)(void *, int, enum vrrp_state, enum vrrp_state,
		    const char *);
};

struct vrrp_fsm_track {
	int		 id;
	int		 decrement;
	int		 shutdown;
};

/* A group as the caller configures it. */
struct vrrp_fsm_gconf {
	uint8_t		 vrid;
	uint16_t	 adv_cs;	/* Advertisement_Interval */
	uint64_t	 hold_us;	/* floor of Master_Down_Interval */
	struct in_addr	 local;		/* the interface's primary address */
	struct in_addr	 vip;
	int		 priority;	/* 1-254 */
	int		 preempt;
	uint64_t	 preempt_delay_us;
	const struct vrrp_fsm_track *tracks;	/* copied */
	int		 ntracks;
	int		 leader;	/* the group it follows; -1: itself */
};

struct vrrp_fsm_group {
	struct vrrp_fsm_gconf c;
	struct vrrp_fsm_track *tracks;	/* owned copy of c.tracks */
	int		 set;
	int		 link_up;
	int		 vip_held;
	int		 vip_kept;	/* held past a planned handover */
	uint16_t	 master_adv_cs;	/* Master_Adver_Interval */
	uint64_t	 down_at;	/* Master_Down_Timer, 0: off */
	uint64_t	 adver_at;	/* Adver_Timer, 0: off */
	uint64_t	 garp_at;	/* the repeated GARP, 0: off */
	uint64_t	 heal_at;	/* no healing GARP before */
	int		 down_prio0;	/* the timer runs from a priority 0 */
	/* the other router heard last */
	int		 master_known;
	struct in_addr	 master_ip;
	int		 master_prio;
	/* counters and history */
	uint64_t	 adverts_rx;
	uint64_t	 adverts_tx;
	uint64_t	 prio0_rx;
	uint64_t	 prio0_tx;
	uint64_t	 interval_mismatch;
	uint64_t	 address_mismatch;
	uint64_t	 garps;
	uint64_t	 state_changes;
	uint64_t	 last_change;	/* 0: never */
	char		 reason[128];
};

/* Groups that move together, led by one of them. */
struct vrrp_fsm_set {
	int		 leader;
	enum vrrp_state	 state;
	int		 priority;	/* effective: advertised and compared */
	int		 shut;		/* a "track N shutdown" is down */
	uint64_t	 preempt_wait;	/* a lower master heard since; 0 none */
};

struct vrrp_fsm_tstate {
	int		 id;
	int		 up;
};

struct vrrp_fsm {
	const struct vrrp_fsm_ops *ops;
	void		*arg;
	struct vrrp_fsm_group *groups;
	int		 ngroups;
	struct vrrp_fsm_set *sets;
	int		 nsets;
	struct vrrp_fsm_tstate *tstates;
	int		 ntstates;
	int		 ready;
	int		 no_preempt;	/* hasync decides preemption itself */
	int		 keep_vips;	/* in a planned handover */
	int		 started;
};

void		 vrrp_fsm_init(struct vrrp_fsm *, const struct vrrp_fsm_ops *,
		    void *);
void		 vrrp_fsm_cleanup(struct vrrp_fsm *);
/* Before start: add the groups (a leader before its followers). */
int		 vrrp_fsm_add_group(struct vrrp_fsm *,
		    const struct vrrp_fsm_gconf *);
/* New parameters for group gi (same VRID, VIP and leader). */
void		 vrrp_fsm_reconfigure(struct vrrp_fsm *, int,
		    const struct vrrp_fsm_gconf *, uint64_t);
/* Events. */
void		 vrrp_fsm_start(struct vrrp_fsm *, uint64_t);
void		 vrrp_fsm_stop(struct vrrp_fsm *, uint64_t);
void		 vrrp_fsm_advert(struct vrrp_fsm *, int,
		    const struct vrrp_advert *, uint64_t);
void		 vrrp_fsm_timer(struct vrrp_fsm *, uint64_t);
void		 vrrp_fsm_link(struct vrrp_fsm *, int, int, uint64_t);
void		 vrrp_fsm_track(struct vrrp_fsm *, int, int, uint64_t);
void		 vrrp_fsm_set_ready(struct vrrp_fsm *, int, uint64_t);
/*
 * Planned: every Master set sends priority 0 and becomes Backup, keeping
 * its VIPs until vrrp_fsm_release_vips() (or any later state change);
 * -1 if no set is Master.
 */
int		 vrrp_fsm_handover(struct vrrp_fsm *, uint64_t);
/* The VIPs a planned handover kept: removed now.  How many. */
int		 vrrp_fsm_release_vips(struct vrrp_fsm *);
/* Planned: every operational Backup set becomes Master now; -1 if none. */
int		 vrrp_fsm_takeover(struct vrrp_fsm *, uint64_t);
void		 vrrp_fsm_hold_preempt(struct vrrp_fsm *, int, uint64_t);
/* The next deadline to call vrrp_fsm_timer() at; UINT64_MAX: none. */
uint64_t	 vrrp_fsm_next(const struct vrrp_fsm *);
/* Queries. */
enum vrrp_state	 vrrp_fsm_state(const struct vrrp_fsm *, int);
int		 vrrp_fsm_priority(const struct vrrp_fsm *, int);
int		 vrrp_fsm_preempt(const struct vrrp_fsm *, int);
uint64_t	 vrrp_fsm_down_us(const struct vrrp_fsm *, int);
int		 vrrp_fsm_track_up(const struct vrrp_fsm *, int);

/* ---- leader.c: which group leads, from the configuration (pure) -------- */

struct config;
struct conf_interface;
struct conf_standby;

/*
 * The leading group: the "scheme standby" group, else the group of the
 * first "crypto map ... redundancy NAME"; NULL if neither (every group is
 * then an election of its own).
 */
const struct conf_standby *vrrp_conf_leader(const struct config *,
		    const struct conf_interface **);

/* ---- netlink.c: rtnetlink ---------------------------------------------- */

struct vrrp_nl_link {
	int		 index;
	char		 name[16];
	int		 up;		/* IFF_UP and IFF_RUNNING */
};

struct vrrp_nl_addr {
	int		 index;
	struct in_addr	 addr;
	int		 prefixlen;
	int		 secondary;
};

/* A request socket's synchronous calls: 0 or -1 (errno set). */
int		 vrrp_nl_addr_add(int, int, struct in_addr, uint32_t);
int		 vrrp_nl_addr_del(int, int, struct in_addr, int);
int		 vrrp_nl_dump_links(int, struct vrrp_nl_link **, int *);
int		 vrrp_nl_dump_addrs(int, struct vrrp_nl_addr **, int *);
/*
 * Read the events waiting on a monitor socket: each link change and each
 * removed IPv4 address is passed to the callbacks.  -1 on a read error
 * other than EAGAIN (ENOBUFS: events were lost, dump again).
 */
int		 vrrp_nl_read_events(int,
		    void (*)(void *, const struct vrrp_nl_link *),
		    void (*)(void *, const struct vrrp_nl_addr *), void *);

#endif
