/*
 * conf: the IOS-style configuration language of havpn.
 *
 * conf_load() reads one file into one immutable struct config; the other
 * modules only read it.  conf_print() prints it back in canonical IOS form,
 * and what it prints parses to an equal config (conf_equal()).
 *
 * Errors and warnings are reported as "FILE:LINE: message" through a
 * struct conf_diag; any error means no config is returned.
 */
#ifndef HAVPN_CONF_H
#define HAVPN_CONF_H

#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#include "alg/alg.h"

enum conf_auth {
	CONF_AUTH_PSK = 1,
	CONF_AUTH_RSA_SIG,	/* accepted with a warning, never usable */
};

enum conf_dpd_mode {
	CONF_DPD_ON_DEMAND = 0,	/* the IOS default */
	CONF_DPD_PERIODIC,
};

struct conf_isakmp_policy {
	int			 line;
	int			 priority;	/* 1-10000, lower first */
	enum alg_enc		 enc;
	int			 keylen;	/* aes: 128/192/256, else 0 */
	enum alg_hash		 hash;
	enum conf_auth		 auth;
	int			 group;
	uint32_t		 lifetime;	/* seconds */
};

/* Usable: neither des nor rsa-sig; an unusable policy is never offered. */
int	conf_policy_usable(const struct conf_isakmp_policy *);


struct conf_isakmp_key {
	int			 line;
	char			*key;
	struct in_addr		 addr;
	struct in_addr		 mask;		/* 255.255.255.255 for a host */
	int			 no_xauth;
};

/*
 * crypto isakmp peer address ADDR: per-peer phase 1 settings.  With
 * "set aggressive-mode client-endpoint ipv4-address A" havpn initiates
 * Aggressive Mode to ADDR, identifying itself as A; "set aggressive-mode
 * password KEY" gives the pre-shared key for it (else crypto isakmp key).
 */
struct conf_isakmp_peer {
	int			 line;
	struct in_addr		 addr;
	int			 have_endpoint;
	struct in_addr		 endpoint;	/* ID_IPV4_ADDR we send */
	char			*password;	/* NULL: crypto isakmp key */
};

/*
 * IKEv2 (crypto ikev2 ...), in the IOS dialect.  A crypto map entry uses
 * IKEv2 when it names a profile (set ikev2-profile).  Lists hold at most
 * CONF_IKEV2_MAXALG algorithms each, in the order written.
 */
#define CONF_IKEV2_MAXALG	8

/* encryption aes-cbc-128 ... aes-gcm-256 */
#define CONF_V2_FRAG_MTU	1280
#define CONF_V2_FRAG_MTU_MIN	160

struct conf_ikev2_enc {
	int			 gcm;		/* AES-GCM, 16-byte ICV (RFC
						   5282); else AES-CBC */
	int			 bits;		/* 128, 192 or 256 */
};

struct conf_ikev2_proposal {
	int			 line;
	char			*name;
	struct conf_ikev2_enc	 enc[CONF_IKEV2_MAXALG];
	int			 nenc;
	int			 enc_line;
	enum alg_hash		 integ[CONF_IKEV2_MAXALG];
	int			 ninteg;
	int			 integ_line;
	enum alg_hash		 prf[CONF_IKEV2_MAXALG];
	int			 nprf;		/* 0: the integrity list's */
	int			 prf_line;
	int			 group[CONF_IKEV2_MAXALG];
	int			 ngroup;
};

/* A name used on a line: checked once the whole file is read. */
struct conf_ref {
	char			*name;
	int			 line;
};

struct conf_ikev2_policy {
	int			 line;
	char			*name;
	struct conf_ref		*proposals;	/* in order */
	int			 nproposals;
	struct in_addr		*local;		/* match address local */
	int			 nlocal;	/* 0: any local address */
};

enum conf_id_type {
	CONF_ID_NONE = 0,	/* not given: the local address */
	CONF_ID_ADDRESS,
	CONF_ID_FQDN,
};

/* identity {address ADDR | fqdn NAME} */
struct conf_ike_id {
	enum conf_id_type	 type;
	struct in_addr		 addr;
	char			*fqdn;
};

/* A peer of an IKEv2 keyring. */
struct conf_ikev2_kpeer {
	int			 line;
	char			*name;
	int			 have_addr;
	struct in_addr		 addr;
	struct in_addr		 mask;		/* 255.255.255.255: a host */
	struct conf_ike_id	 id;		/* identity ... */
	char			*psk_local;	/* the key we sign with */
	char			*psk_remote;	/* the key the peer signs with */
};

struct conf_ikev2_keyring {
	int			 line;
	char			*name;
	struct conf_ikev2_kpeer	*peers;
	int			 npeers;
};

/* match identity remote {address ADDR [MASK] | fqdn NAME} */
struct conf_ikev2_match {
	enum conf_id_type	 type;
	struct in_addr		 addr;
	struct in_addr		 mask;
	char			*fqdn;
};

struct conf_ikev2_profile {
	int			 line;
	char			*name;
	struct conf_ikev2_match	*match;
	int			 nmatch;
	struct conf_ike_id	 local_id;	/* NONE: our address */
	int			 auth_local;	/* CONF_AUTH_PSK, 0: none */
	int			 auth_remote;
	struct conf_ref		 keyring;	/* keyring local NAME */
	uint32_t		 lifetime;	/* seconds, default 86400 */
	int			 dpd_interval;	/* 0: off */
	int			 dpd_retry;
	enum conf_dpd_mode	 dpd_mode;
};

struct conf_transform_set {
	int			 line;
	char			*name;
	enum alg_esp_enc	 enc;
	int			 keylen;	/* bits: 3des 192; aes/gcm 128-256 */
	enum alg_esp_auth	 auth;
	int			 transport;	/* mode transport; else tunnel */
};

/* Any address matched through a wildcard (inverse mask), as IOS ACLs do. */
struct conf_acl_addr {
	struct in_addr		 addr;
	struct in_addr		 wildcard;	/* any: 255.255.255.255 */
};

enum conf_portop {
	CONF_PORT_ANY = 0,
	CONF_PORT_EQ,
	CONF_PORT_NEQ,
	CONF_PORT_LT,
	CONF_PORT_GT,
	CONF_PORT_RANGE,
};

struct conf_acl_port {
	enum conf_portop	 op;
	uint16_t		 lo;
	uint16_t		 hi;		/* only for range */
};

#define CONF_PROTO_IP	0	/* "ip": any protocol */

struct conf_ace {
	int			 line;
	long			 seq;		/* IOS sequence: the order only */
	char			*remark;	/* a remark line: nothing else set */
	int			 permit;
	int			 proto;		/* 0 (ip) or 1-255 */
	struct conf_acl_addr	 src;
	struct conf_acl_port	 sport;
	struct conf_acl_addr	 dst;
	struct conf_acl_port	 dport;
	int			 established;
	int			 icmp_type;	/* -1: any */
	int			 icmp_code;	/* -1: any */
	int			 log;
};

struct conf_acl {
	int			 line;
	char			*name;		/* "100" or a name */
	int			 numbered;	/* access-list 100-199 */
	struct conf_ace		*aces;
	int			 naces;
};

struct conf_map_entry {
	int			 line;
	int			 seq;
	int			 have_peer;
	struct in_addr		 peer;
	char			**tsets;	/* transform-set names, in order */
	int			 ntsets;
	int			 tsets_line;	/* the set transform-set line */
	int			 pfs_group;	/* 0: no PFS */
	uint32_t		 life_seconds;	/* 0: the global lifetime */
	uint32_t		 life_kbytes;	/* 0: the global lifetime */
	char			*acl;		/* match address, NULL if none */
	int			 acl_line;	/* the match address line */
	int			 reverse_route;
	struct conf_ref		 ikev2_profile;	/* set ikev2-profile; NULL
						   name: IKEv1 */
};

struct conf_crypto_map {
	int			 line;		/* first line naming it */
	char			*name;
	struct conf_map_entry	*entries;	/* sorted by seq */
	int			 nentries;
	uint32_t		 replay_in;	/* redundancy replay-interval */
	uint32_t		 replay_out;
	int			 replay_line;	/* 0 if defaulted */
};

struct conf_track {
	int			 line;
	int			 id;		/* 1-1000 */
	char			*ifname;	/* interface ... line-protocol */
};

struct conf_standby_track {
	int			 id;
	int			 decrement;	/* default 10 */
	int			 shutdown;	/* shutdown instead of decrement */
};

struct conf_standby {
	int			 line;		/* first line of the group */
	int			 group;		/* 1-255: the VRRP VRID */
	int			 have_vip;
	struct in_addr		 vip;
	int			 priority;	/* 1-254, default 100 */
	int			 preempt;	/* off unless configured (HSRP) */
	int			 preempt_delay;	/* seconds, minimum */
	uint32_t		 hello_ms;	/* default 3000 */
	uint32_t		 hold_ms;	/* default 10000 */
	int			 timers_msec_hello; /* printed with msec */
	int			 timers_msec_hold;
	char			*name;		/* NULL: hsrp-IF-GRP */
	int			 checksum_rfc9568; /* vrrp checksum rfc9568;
						    * 0: with a pseudo-header */
	int			 have_peer;	/* standby GRP peer ADDR */
	struct in_addr		 peer;
	struct conf_standby_track *tracks;
	int			 ntracks;
};

struct conf_interface {
	int			 line;
	char			*name;		/* a Linux interface name */
	char			*description;
	int			 have_addr;
	struct in_addr		 addr;
	struct in_addr		 mask;
	struct conf_standby	*standby;
	int			 nstandby;
	char			*crypto_map;	/* NULL if none bound */
	int			 crypto_map_line;
	char			*redundancy;	/* standby group name, or NULL */
	int			 stateful;
};

struct conf_redundancy {
	int			 line;		/* 0: no redundancy inter-device */
	char			*scheme_group;	/* scheme standby NAME */
	int			 scheme_line;
	char			*security_key;	/* NULL: none configured */
	int			 key_line;
};

#define CONF_IPC_LANES		23	/* the default of "lanes" */
#define CONF_IPC_LANES_MAX	31

struct conf_ipc_assoc {
	int			 line;		/* 0: not configured */
	int			 id;
	int			 shutdown;	/* IOS default: shut */
	int			 have_protocol;	/* protocol sctp */
	uint16_t		 local_port;
	struct in_addr		 local_ip[2];
	int			 nlocal_ip;
	uint16_t		 remote_port;
	struct in_addr		 remote_ip[2];
	int			 nremote_ip;
	uint32_t		 rto_min_ms;	/* retransmit-timeout */
	uint32_t		 rto_max_ms;
	int			 path_retransmit;
	int			 assoc_retransmit;
	uint16_t		 encap_udp_port; /* 0: kernel SCTP */
	/* lanes N: more associations that carry the state stream (usrsctp) */
	int			 lanes;
	int			 encap_line;
};

struct config {
	char			*path;
	char			*hostname;

	struct conf_isakmp_policy *policies;	/* sorted by priority */
	int			 npolicies;
	struct conf_isakmp_key	*keys;
	int			 nkeys;
	struct conf_isakmp_peer	*peers;
	int			 npeers;
	int			 dpd_interval;	/* 0: keepalive off */
	int			 dpd_retry;
	enum conf_dpd_mode	 dpd_mode;
	int			 aggressive_disable;
	int			 nat_keepalive;	/* seconds, 0: off */
	/* crypto ikev2 cookie-challenge N: IKE_SA_INIT is answered with a
	 * COOKIE from N half-open IKEv2 SAs on; 0: from half the limit */
	int			 v2_cookie_challenge;
	/* crypto ikev2 fragmentation [mtu N]: the largest IP datagram of an
	 * IKEv2 fragment; 0: no line (CONF_V2_FRAG_MTU), -1: "no" */
	int			 v2_frag_mtu;

	struct conf_ikev2_proposal *v2proposals;
	int			 nv2proposals;
	struct conf_ikev2_policy *v2policies;
	int			 nv2policies;
	struct conf_ikev2_keyring *v2keyrings;
	int			 nv2keyrings;
	struct conf_ikev2_profile *v2profiles;
	int			 nv2profiles;

	struct conf_transform_set *tsets;
	int			 ntsets;
	uint32_t		 sa_life_seconds;	/* default 3600 */
	uint32_t		 sa_life_kbytes;	/* default 4608000 */
	int			 replay_window;		/* default 64 */
	char			*tunnel_ifname;	/* NULL: havpn0 (esp/) */

	struct conf_crypto_map	*maps;
	int			 nmaps;
	struct conf_acl		*acls;
	int			 nacls;
	struct conf_track	*tracks;
	int			 ntracks;
	struct conf_interface	*ifaces;
	int			 nifaces;

	struct conf_redundancy	 redundancy;
	struct conf_ipc_assoc	 ipc;
};

/*
 * Where diagnostics go: each is "FILE:LINE: [warning: ]message".  With
 * out NULL they are only counted.
 */
struct conf_diag {
	FILE			*out;
	int			 errors;
	int			 warnings;
};

/*
 * Report "FILE:LINE: [warning: ]message" (LINE 0: "FILE: message") and
 * count it; for checks outside conf/ that still belong to a line.
 */
void		 conf_report(struct conf_diag *, const char *, int, int,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

/*
 * Parse a file; NULL on any error (each reported through diag).  A file
 * that others may write (mode o+w) is refused: it holds the keys.
 */
struct config	*conf_load(const char *, struct conf_diag *);
/* Parse text held in memory; name is used in diagnostics. */
struct config	*conf_load_mem(const char *, const char *, size_t,
		    struct conf_diag *);

/*
 * What "havpnd -t" tells conf of the machine it runs on (conf itself
 * looks at nothing but the text).
 */
struct conf_host {
	int			 kernel_sctp;	/* SCTP sockets work */
};

/*
 * conf_load() with the checks of "havpnd -t": a configuration that loads
 * but cannot carry a tunnel or cannot sync (no usable isakmp policy, a
 * crypto map on no interface, a crypto ACL without a permit entry, a
 * stateful map without a security key, local-ip equal to remote-ip,
 * kernel SCTP asked of a kernel without it) is an error here, where
 * conf_load() only warns so that the daemon starts and a pair can be set
 * up step by step.  host is borrowed.
 */
struct config	*conf_load_strict(const char *, const struct conf_host *,
		    struct conf_diag *);
struct config	*conf_load_mem_strict(const char *, const char *, size_t,
		    const struct conf_host *, struct conf_diag *);
void		 conf_free(struct config *);
/* A deep copy (nothing shared with the original), or NULL. */
struct config	*conf_dup(const struct config *);

/* Canonical IOS form, secrets included: it parses back to the same. */
void		 conf_print(const struct config *, FILE *);
/* The same, into a string the caller frees. */
char		*conf_print_str(const struct config *);
/*
 * For show: with secrets 0 every secret (pre-shared key, aggressive-mode
 * password, security key) is CONF_MASK, which the parser refuses.
 */
#define CONF_MASK	"*****"
char		*conf_print_str_show(const struct config *, int);
/* Equal in every configured value (line numbers and path are ignored). */
int		 conf_equal(const struct config *, const struct config *);
/*
 * A key for exactly this address: "crypto isakmp key KEY address ADDR"
 * with a host mask, or an aggressive-mode password for it.  Aggressive
 * Mode is answered for such a peer only (a wildcard key never: HASH_R
 * would expose it to offline guessing).
 */
int		 conf_psk_for_host(const struct config *, struct in_addr);

/* Lookups. */
const struct conf_transform_set *conf_tset_find(const struct config *,
		    const char *);
const struct conf_acl	*conf_acl_find(const struct config *, const char *);
const struct conf_ikev2_proposal *conf_v2proposal_find(const struct config *,
		    const char *);
const struct conf_ikev2_keyring *conf_v2keyring_find(const struct config *,
		    const char *);
const struct conf_ikev2_profile *conf_v2profile_find(const struct config *,
		    const char *);
const struct conf_crypto_map *conf_map_find(const struct config *,
		    const char *);
const struct conf_track	*conf_track_find(const struct config *, int);
const struct conf_interface *conf_iface_find(const struct config *,
		    const char *);
/* The standby group with that name (default names included), or NULL. */
const struct conf_standby *conf_standby_by_name(const struct config *,
		    const char *, const struct conf_interface **);
/* A group's name: its configured name or hsrp-IF-GRP. */
const char	*conf_standby_name(const struct conf_interface *,
		    const struct conf_standby *, char *, size_t);

/* Names for show output and logs (the algorithms' own: alg/alg.h). */
/* An IKEv2 proposal's words: "aes-gcm-256"; "sha384". */
const char	*conf_v2enc_word(const struct conf_ikev2_enc *);
const char	*conf_v2hash_word(enum alg_hash);
/* The IOS transform words, e.g. "esp-aes 256 esp-sha256-hmac". */
void		 conf_tset_words(const struct conf_transform_set *, char *,
		    size_t);
/*
 * An access-list entry as its configuration line prints it after the
 * list's name: "permit ip 10.0.0.0 0.0.0.255 any" (truncated to fit).
 */
void		 conf_ace_words(const struct conf_ace *, char *, size_t);

#endif
