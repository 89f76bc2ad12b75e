/*
 * hasync/fields.h: the exported SA state (struct ike_isakmp_state,
 * struct ike_ike2_state and struct ike_ipsec_state, ike/ike.h) as the
 * sync carries it, one line a field.  Internal to hasync/.
 *
 * Generated from these lists: the range check and the copy of each field
 * from its protobuf message (IsakmpSa, Ikev2Sa, IpsecSa in hasync.proto)
 * into the struct, and from the struct into the message (msg.c); the fields of
 * show crypto ha detail (status.c); what the standby's table keeps of an
 * ISAKMP SA to see whether an update changed it (table.c).
 * tests/unit/test_hasync.c checks the lists against the .proto: every
 * field of IsakmpSa and IpsecSa is listed here or named as carried by
 * hand, and no other.
 *
 * F(name, kind, valid, why, show)
 *   name	the struct member, the protobuf field and the JSON key
 *   kind	the protobuf type and the member's C type (msg.c asserts the
 *		latter at compile time):
 *		U8, U16, U32	uint32 into uint8_t, uint16_t, uint32_t (a
 *				value that does not fit is refused)
 *		I32		int32 into int32_t
 *		U64		uint64 into uint64_t
 *		BOOL		bool into uint8_t (0 or 1)
 *		X32		fixed32 into uint32_t
 *		ADDR		fixed32 into struct in_addr (network order)
 *		BYTES		bytes of exactly the member's size (uint8_t[])
 *		STR		string, printable, at most the member's size
 *				less one (char[])
 *   valid	when a received value is taken: a C expression over v (the
 *		value) and p (the whole message, for a field checked
 *		against another, which then comes earlier in the list); the
 *		helpers it calls are in msg.c
 *   why	the reason of a refusal, after "isakmp-sa: " or "ipsec-sa: "
 *   show	SHOW: a field of show crypto ha detail (--json: key name,
 *		in list order; a number, a boolean, an address, hex bytes
 *		or a string by kind), HIDE: not shown
 *
 * The fields are checked in list order, then those carried by hand, and
 * a record fails at its first refused field.  Fields whose length or
 * layout comes from another field are carried by hand, each in one place
 * in msg.c, and named in the *_BY_HAND lists below.
 *
 * Adding a plain field: the member in ike/ike.h (and the engine's export
 * and import of it, which give it its meaning), one line here, and a
 * required field of the next unused number in hasync.proto (the lists
 * carry required fields only; docs/hasync.md says when a field must be
 * optional, and then carried by hand).  A field that an isakmp_updated
 * event can change goes in HA_ISAKMP_NOTED too.
 */
#ifndef HAVPN_HASYNC_FIELDS_H
#define HAVPN_HASYNC_FIELDS_H

#define HA_SHOW		1
#define HA_HIDE		0

/* struct ike_isakmp_state, message IsakmpSa */
#define HA_ISAKMP_FIELDS(F)						\
	F(version,	U32,	v == IKE_STATE_VERSION,			\
	    "another state version",	HIDE)				\
	F(conn_id,	U32,	v != 0,		"conn-id 0",	SHOW)	\
	F(icookie,	BYTES,	1,		"cookie length", SHOW)	\
	F(rcookie,	BYTES,	1,		"cookie length", SHOW)	\
	F(initiator,	BOOL,	1,		"initiator",	HIDE)	\
	F(exchange,	U8,	v == 2 || v == 4, "exchange type", HIDE) \
	F(local,	ADDR,	1,		"address",	SHOW)	\
	F(remote,	ADDR,	1,		"address",	SHOW)	\
	F(local_port,	U16,	v != 0,		"port",		SHOW)	\
	F(remote_port,	U16,	v != 0,		"port",		SHOW)	\
	F(peer_id,	ADDR,	1,		"peer ID",	HIDE)	\
	F(enc,		U8,	isakmp_keylen(p) != 0, "cipher", HIDE)	\
	F(keybits,	U16,	isakmp_keylen(p) != 0, "cipher", HIDE)	\
	F(hash,		U8,	isakmp_hashlen(p) != 0, "hash",	HIDE)	\
	F(group,	U16,	alg_dh(v) != NULL, "DH group",	HIDE)	\
	F(lifetime,	U32,	v != 0 && v <= 0x7fffffff, "lifetime",	\
	    SHOW)							\
	F(remaining,	U32,	v <= p->lifetime, "lifetime",	SHOW)	\
	F(peer_dpd,	BOOL,	1,		"DPD",		HIDE)	\
	F(dpd_seq_out,	U32,	1,		"DPD",		SHOW)	\
	F(dpd_seq_in,	U32,	1,		"DPD",		SHOW)	\
	F(natt,		U8,	v <= 2,		"NAT-T version", SHOW)	\
	F(nat_local,	BOOL,	1,		"NAT-T",	HIDE)	\
	F(nat_remote,	BOOL,	1,		"NAT-T",	HIDE)	\
	F(map,		STR,	1,		"crypto map name", HIDE) \
	F(map_seq,	I32,	v >= 0 && v <= 65535,			\
	    "crypto map sequence",	HIDE)

/*
 * IsakmpSa fields carried by hand (msg.c, take_isakmp_keys and
 * put_isakmp_keys; the message IDs in check_isakmp and fill_isakmp):
 * the keys and the IV, whose lengths come from the hash and the cipher
 * (the struct's prf_len, enc_key_len and iv_len travel as those
 * lengths), and the message IDs, a repeated field of the slots in use.
 */
#define HA_ISAKMP_BY_HAND(H)						\
	H(skeyid_d) H(skeyid_a) H(skeyid_e) H(enc_key) H(iv) H(msgids)

/*
 * What the standby's table keeps of an ISAKMP SA (table.c): an SA that
 * arrives again with any of these changed replaces the one installed (a
 * DPD sequence number, a NAT-T port, the message IDs of recent exchanges,
 * which a new active needs to drop replays); one that arrives with only
 * the time remaining changed is left as it is.
 */
#define HA_ISAKMP_NOTED(N)						\
	N(icookie) N(rcookie) N(local_port) N(remote_port)		\
	N(dpd_seq_out) N(dpd_seq_in) N(msgids)

/* struct ike_ike2_state, message Ikev2Sa */
#define HA_IKE2_FIELDS(F)						\
	F(version,	U32,	v == IKE_STATE_VERSION,			\
	    "another state version",	HIDE)				\
	F(conn_id,	U32,	v != 0,		"conn-id 0",	SHOW)	\
	F(spii,		BYTES,	1,		"SPI length",	SHOW)	\
	F(spir,		BYTES,	1,		"SPI length",	SHOW)	\
	F(state,	U8,	v == IKE2_STATE_READY ||		\
	    v == IKE2_STATE_REKEYED,	"state",	SHOW)		\
	F(replaces,	U32,	v != p->conn_id, "replaced SA",	HIDE)	\
	F(local,	ADDR,	1,		"address",	SHOW)	\
	F(remote,	ADDR,	1,		"address",	SHOW)	\
	F(local_port,	U16,	v != 0,		"port",		SHOW)	\
	F(remote_port,	U16,	v != 0,		"port",		SHOW)	\
	F(nat_local,	BOOL,	1,		"NAT",		HIDE)	\
	F(nat_remote,	BOOL,	1,		"NAT",		HIDE)	\
	F(enc,		U16,	ike2_suite_fits(p), "suite",	HIDE)	\
	F(keybits,	U16,	ike2_suite_fits(p), "suite",	HIDE)	\
	F(prf,		U8,	ike2_suite_fits(p), "suite",	HIDE)	\
	F(integ,	U8,	ike2_suite_fits(p), "suite",	HIDE)	\
	F(group,	U16,	alg_dh(v) != NULL, "DH group",	HIDE)	\
	F(profile,	STR,	1,		"profile name",	SHOW)	\
	F(id_local_type, U8,	1,		"identity",	HIDE)	\
	F(id_peer_type,	U8,	1,		"identity",	HIDE)	\
	F(next_in,	U32,	1,		"message ID",	SHOW)	\
	F(next_out,	U32,	1,		"message ID",	SHOW)	\
	F(peer_mid_sync, BOOL,	1,		"RFC 6311",	HIDE)	\
	F(peer_replay_sync, BOOL, 1,		"RFC 6311",	HIDE)	\
	F(lifetime,	U32,	v != 0 && v <= 0x7fffffff, "lifetime",	\
	    SHOW)							\
	F(remaining,	U32,	v <= p->lifetime, "lifetime",	SHOW)

/*
 * Ikev2Sa fields carried by hand (msg.c, take_ike2_rest and
 * put_ike2_rest): the keys, whose lengths come from the suite (the
 * struct's prf_len, integ_len and enc_len travel as those lengths), and
 * the identities, of any length up to IKE2_STATE_ID_MAX, and the
 * optional original role (absent from an earlier release: responder) and
 * fragmentation (absent: not negotiated).
 */
#define HA_IKE2_BY_HAND(H)						\
	H(sk_d) H(sk_ai) H(sk_ar) H(sk_ei) H(sk_er) H(sk_pi) H(sk_pr)	\
	H(id_local) H(id_peer) H(initiator) H(fragmentation)

/*
 * What the standby's table keeps of an IKEv2 SA (table.c): an SA that
 * arrives again with any of these changed replaces the one installed
 * (a rekey's REKEYED state, a port, the message IDs).
 */
#define HA_IKE2_NOTED(N)						\
	N(spii) N(spir) N(state) N(local_port) N(remote_port)		\
	N(next_in) N(next_out)

/* struct ike_ipsec_state, message IpsecSa */
#define HA_IPSEC_FIELDS(F)						\
	F(version,	U32,	v == IKE_STATE_VERSION,			\
	    "another state version",	HIDE)				\
	F(conn_in,	U32,	v != 0,		"conn-ids",	SHOW)	\
	F(conn_out,	U32,	v != 0 && v != p->conn_in, "conn-ids",	\
	    SHOW)							\
	F(spi_in,	X32,	v >= 256,	"SPI",		SHOW)	\
	F(spi_out,	X32,	v >= 256,	"SPI",		SHOW)	\
	F(reqid,	U32,	1,		"reqid",	HIDE)	\
	F(isakmp_conn_id, U32,	1,		"ISAKMP SA",	SHOW)	\
	F(initiator,	BOOL,	1,		"initiator",	HIDE)	\
	F(local,	ADDR,	1,		"address",	HIDE)	\
	F(remote,	ADDR,	1,		"address",	HIDE)	\
	F(local_port,	U16,	1,	"UDP encapsulation ports", SHOW) \
	F(remote_port,	U16,	(v == 0) == (p->local_port == 0),	\
	    "UDP encapsulation ports",	SHOW)				\
	F(tunnel,	BOOL,	1,		"mode",		HIDE)	\
	F(enc,		U8,	esp_enc_keylen(p) != 0, "cipher", HIDE)	\
	F(enc_keybits,	U16,	esp_enc_keylen(p) != 0, "cipher", HIDE)	\
	F(auth,		U8,	esp_auth_ok(p),	"integrity",	HIDE)	\
	F(life_secs,	U32,	v != 0 && v <= 0x7fffffff, "lifetime",	\
	    SHOW)							\
	F(remaining,	U32,	v <= p->life_secs, "lifetime",	SHOW)	\
	F(life_kbytes,	U64,	1,		"lifetime",	SHOW)	\
	F(pfs_group,	I32,	v == 0 || alg_dh(v) != NULL, "PFS group", \
	    HIDE)							\
	F(replay_window, I32,	v >= 0 && window_ok((uint32_t)v),	\
	    "replay window",		HIDE)				\
	F(map,		STR,	1,		"crypto map entry", HIDE) \
	F(map_seq,	I32,	v >= 0 && v <= 65535, "crypto map entry", \
	    HIDE)							\
	F(ace,		I32,	v >= 0 && v <= 1000000, "crypto map entry", \
	    HIDE)							\
	F(ifname,	STR,	1,		"interface name", HIDE)	\
	F(rekeyed,	BOOL,	1,		"rekeyed",	SHOW)	\
	F(v2_conn,	U32,	1,		"IKEv2 SA",	SHOW)

/*
 * IpsecSa fields carried by hand (msg.c, take_ipsec_rest, and
 * fill_ipsec after the listed fields): the keys, whose lengths come from
 * the transform (the struct's enc_key_len and auth_key_len travel as
 * those lengths); the selector, a message of its own; and what struct
 * ha_ipsec adds to the state: both counters and the pair a rekey
 * replaces.
 */
#define HA_IPSEC_BY_HAND(H)						\
	H(enc_key_in) H(enc_key_out) H(auth_key_in) H(auth_key_out)	\
	H(sel) H(counter_in) H(counter_out) H(replaces)

#endif
