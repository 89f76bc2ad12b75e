/*
 * The control protocol between havpnctl and havpnd.
 *
 * One request, one reply, over the UNIX stream socket (mode 0600):
 *
 *   request	{"command": "show crypto ipsec sa", "args": ["peer", "10.0.0.20"]}
 *		followed by a newline; "command" is a full name from the table
 *		below (havpnctl expands abbreviations first).
 *   reply	{"ok": true, "command": "...", "data": {...}}
 *		or {"ok": false, "error": "message"}
 *		and the daemon closes the connection.
 *
 * "data" holds every fact the command shows; havpnctl prints it in the IOS
 * layout, or as JSON with --json.  The table is shared by both programs so
 * that "havpnctl help" works without a daemon.
 */
#ifndef HAVPN_CTL_H
#define HAVPN_CTL_H

#define CTL_SOCKET_DEFAULT	"/run/havpn/havpnd.sock"
#define CTL_MAX_REQUEST		65536

/* X(ID, words, arguments, help) */
#define CTL_COMMANDS(X)							\
	X(SHOW_RUNNING, "show running-config", "[secrets]",		\
	    "the configuration, keys masked (secrets: in clear)")	\
	X(SHOW_VERSION, "show version", "",				\
	    "version, uptime, configuration file, process")		\
	X(SHOW_STANDBY, "show standby", "",				\
	    "the standby (VRRPv3) groups, in detail")			\
	X(SHOW_STANDBY_BRIEF, "show standby brief", "",			\
	    "the standby groups, one line each")			\
	X(SHOW_REDUNDANCY, "show redundancy", "",			\
	    "redundancy summary: my and the peer's RF state, mode, channel") \
	X(SHOW_REDUNDANCY_STATES, "show redundancy states", "",		\
	    "my and the peer's RF state (IOS names and numbers), switchover") \
	X(SHOW_REDUNDANCY_HISTORY, "show redundancy history", "",	\
	    "RF state changes, failovers and switchovers: reason, time")	\
	X(SHOW_REDUNDANCY_INTERDEV, "show redundancy inter-device", "",	\
	    "the inter-device channel: IPC/SCTP association, peer, streams") \
	X(SHOW_ISAKMP_SA, "show crypto isakmp sa", "[detail]",		\
	    "ISAKMP (IKEv1 phase 1) SAs: dst src state conn-id status")	\
	X(SHOW_IKEV2_SA, "show crypto ikev2 sa", "[detail]",		\
	    "IKEv2 SAs: tunnel-id, endpoints, status, algorithms")	\
	X(SHOW_IKEV2_SESSION, "show crypto ikev2 session", "[detail]",	\
	    "IKEv2 sessions: each IKE SA with its CHILD SAs and SPIs")	\
	X(SHOW_IKEV2_STATS, "show crypto ikev2 stats", "",		\
	    "IKEv2 SA counts and message counters")			\
	X(SHOW_ISAKMP_POLICY, "show crypto isakmp policy", "",		\
	    "the ISAKMP protection suites, by priority")		\
	X(SHOW_ISAKMP_STATS, "show crypto isakmp statistics", "",	\
	    "IKE message and negotiation counters")			\
	X(SHOW_ISAKMP_KEY, "show crypto isakmp key", "",		\
	    "the pre-shared keys, by peer address")			\
	X(SHOW_ISAKMP_PEERS, "show crypto isakmp peers", "",		\
	    "the peers of the ISAKMP SAs: address, port, local, phase 1 id") \
	X(SHOW_CRYPTO_MAP, "show crypto map", "[tag NAME]",		\
	    "crypto map entries: peer, ACL, lifetimes, PFS, transform sets") \
	X(SHOW_TRANSFORM_SET, "show crypto ipsec transform-set",	\
	    "[tag NAME]", "the transform sets and their mode")		\
	X(SHOW_IPSEC_SA, "show crypto ipsec sa", "[peer ADDR [detail]]", \
	    "IPsec SAs of the data plane: flows, counters, SPIs, lifetimes") \
	X(SHOW_IPSEC_SA_DETAIL, "show crypto ipsec sa detail", "",	\
	    "the same, with every drop counter of each flow")		\
	X(SHOW_IPSEC_SA_ADDRESS, "show crypto ipsec sa address", "",	\
	    "IPsec SAs by destination address")				\
	X(SHOW_IPSEC_SA_IDENTITY, "show crypto ipsec sa identity", "",	\
	    "the protected flows (proxy identities) and their peer")	\
	X(SHOW_ENGINE_CONNS, "show crypto engine connections active",	\
	    "", "every IKE and IPsec SA: conn id, algorithm, packets")	\
	X(SHOW_ACCESS_LISTS, "show access-lists", "[N|NAME]",		\
	    "access lists, each entry with the packets the data plane "	\
	    "matched")							\
	X(SHOW_CRYPTO_SESSION, "show crypto session", "[detail]",	\
	    "per peer: UP-ACTIVE, UP-IDLE, UP-NO-IKE, DOWN-NEGOTIATING, "\
	    "DOWN")							\
	X(SHOW_CRYPTO_HA, "show crypto ha", "[detail]",			\
	    "SA sync: SAs synced vs local, bulk, counter age, messages")	\
	X(CLEAR_ISAKMP, "clear crypto isakmp", "[CONN-ID]",		\
	    "delete ISAKMP SAs (all, or one), telling the peers")	\
	X(CLEAR_IKEV2_SA, "clear crypto ikev2 sa", "[CONN-ID]",		\
	    "delete IKEv2 SAs and their CHILD SAs, telling the peer") \
	X(CLEAR_SA, "clear crypto sa", "[peer ADDR]",			\
	    "delete IPsec SAs (all, or a peer's), telling the peers")	\
	X(CLEAR_SESSION, "clear crypto session", "[remote ADDR]",	\
	    "delete the ISAKMP and IPsec SAs (all, or a peer's)")	\
	X(REDUNDANCY_SWITCHOVER, "redundancy switchover", "[--force]",	\
	    "planned switchover (refused unless the peer is STANDBY HOT)")	\
	X(DEBUG_ISAKMP, "debug crypto isakmp", "",			\
	    "trace every IKE exchange step in the log")		\
	X(DEBUG_IKEV2, "debug crypto ikev2", "",			\
	    "trace every IKEv2 message in and out in the log")		\
	X(DEBUG_IPSEC, "debug crypto ipsec", "",			\
	    "trace IPsec SA install, delete, rekey and data plane drops") \
	X(DEBUG_HA, "debug crypto ha", "",				\
	    "trace the replication (sync messages, counters) in the log") \
	X(UNDEBUG_ALL, "undebug all", "",				\
	    "turn every debug trace off")				\
	X(TEST_ACQUIRE, "test crypto acquire",				\
	    "SRC DST [PROTO [SPORT DPORT]]",				\
	    "act as if the data plane saw a packet of this flow")	\
	X(TEST_HA_LOAD, "test redundancy synthetic-tunnels",		\
	    "N [SEED] [ikev2] | bump",					\
	    "bench tooling: N made-up tunnels on the active, or move their "\
	    "counters")

enum ctl_command_id {
#define CTL_ENUM(id, words, args, help)	CTL_##id,
	CTL_COMMANDS(CTL_ENUM)
#undef CTL_ENUM
	CTL_NCOMMANDS
};

static const char *const ctl_command_words[CTL_NCOMMANDS]
    __attribute__((unused)) = {
#define CTL_WORDS(id, words, args, help)	words,
	CTL_COMMANDS(CTL_WORDS)
#undef CTL_WORDS
};

static const char *const ctl_command_args[CTL_NCOMMANDS]
    __attribute__((unused)) = {
#define CTL_ARGS(id, words, args, help)	args,
	CTL_COMMANDS(CTL_ARGS)
#undef CTL_ARGS
};

static const char *const ctl_command_help[CTL_NCOMMANDS]
    __attribute__((unused)) = {
#define CTL_HELP(id, words, args, help)	help,
	CTL_COMMANDS(CTL_HELP)
#undef CTL_HELP
};

#endif
