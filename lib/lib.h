/*
 * lib: the helpers every havpn module may use.  No protocol of havpn's own
 * lives here; the IPv4 header and the Internet checksum do, because the
 * data plane and the election both read them.
 *
 *   buf	a bounded read cursor over untrusted bytes, and a writer that
 *		adds up its errors so a builder checks once at the end
 *   be	big-endian loads and stores at a known-good place in memory
 *   csum	the Internet checksum
 *   ip4	the IPv4 header: named offsets and the one parser, on the cursor
 *   log	tagged, levelled logging to stderr or syslog
 *   addr	IPv4 addresses and masks
 *   mem	allocation that never returns NULL, and key wiping
 *   time	the monotonic clock
 *   nl	rtnetlink requests (the kernel API; messages are the modules')
 */
#ifndef HAVPN_LIB_H
#define HAVPN_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netinet/in.h>

#define HAVPN_VERSION	"0.1.0"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- buf: reading untrusted bytes ------------------------------------- */

/*
 * A cursor borrows p; it never owns it.  Every getter returns 0 and moves
 * forward, or returns -1 and leaves the cursor where it was.
 */
struct buf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

void		 buf_init(struct buf *, const void *, size_t);
int		 buf_get_u8(struct buf *, uint8_t *);
int		 buf_get_be16(struct buf *, uint16_t *);
int		 buf_get_be32(struct buf *, uint32_t *);
int		 buf_get_be64(struct buf *, uint64_t *);
int		 buf_get_bytes(struct buf *, void *, size_t);
/* A bounded child cursor over the next n bytes; the parent skips them. */
int		 buf_get_sub(struct buf *, size_t, struct buf *);
int		 buf_skip(struct buf *, size_t);
size_t		 buf_left(const struct buf *);
/* The current position, valid for buf_left() bytes. */
const uint8_t	*buf_cur(const struct buf *);

/* ---- be: network byte order in place (the caller checked the room) ---- */

static inline uint16_t
be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- csum: the Internet checksum (RFC 1071) ---------------------------- */

/*
 * Add n bytes, as 16-bit big-endian words, to a running sum (start at 0);
 * an odd last byte is padded with a zero byte, so only the last piece of
 * a chained sum may have an odd length.
 */
uint32_t	 csum_add(uint32_t, const void *, size_t);
/*
 * Fold a sum to 16 bits and complement it: the value of the checksum
 * field, or 0 when the bytes summed include a correct checksum.
 */
uint16_t	 csum_fold(uint32_t);

/* ---- ip4: the IPv4 header (RFC 791 3.1) -------------------------------- */

/*
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The offsets are for code that writes a header, or edits or compares
 * one that ip4_parse() accepted; a received header is read only by
 * ip4_parse().
 */
#define IP4_OFF_VHL	0		/* version (high nibble), IHL */
#define IP4_OFF_TOS	1
#define IP4_OFF_LEN	2		/* total length, header included */
#define IP4_OFF_ID	4
#define IP4_OFF_FRAG	6		/* flags and fragment offset */
#define IP4_OFF_TTL	8
#define IP4_OFF_PROTO	9
#define IP4_OFF_SUM	10
#define IP4_OFF_SRC	12
#define IP4_OFF_DST	16
#define IP4_HDR_LEN	20		/* without options */
#define IP4_VHL_PLAIN	0x45		/* version 4, no options */
#define IP4_F_DF	0x4000		/* don't fragment */
#define IP4_F_MF	0x2000		/* more fragments */
#define IP4_FRAG_OFFSET	0x1fff		/* in 8-byte units */

struct ip4_hdr {
	size_t		 hlen;		/* bytes, options included */
	uint16_t	 totlen;
	uint16_t	 id;
	uint16_t	 frag;		/* flags and offset, as on the wire */
	uint8_t		 tos;
	uint8_t		 ttl;
	uint8_t		 proto;
	uint16_t	 sum;		/* not checked here */
	struct in_addr	 src;
	struct in_addr	 dst;
};

enum ip4_verdict {
	IP4_OK,
	IP4_MALFORMED,
	IP4_TRUNCATED,
};

/*
 * The IPv4 header at the cursor.  Checks: version 4, a header length of
 * at least 20 bytes within the buffer, a total length that covers the
 * header (IP4_MALFORMED) and ends within the buffer (IP4_TRUNCATED);
 * not the header checksum.  IP4_OK: *h holds the fields, *payload
 * is a bounded child cursor over what follows the header up to the total
 * length, and the cursor has moved past the datagram (what is left is
 * beyond its total length: link padding, TFC padding).  IP4_TRUNCATED:
 * *h holds the fields, for a caller that checks others first; the cursor
 * has not moved.  IP4_MALFORMED: nothing is set or moved.
 *
 * Inline: the data plane parses every packet's header once or twice.
 */
static inline enum ip4_verdict
ip4_parse(struct buf *b, struct ip4_hdr *h, struct buf *payload)
{
	const uint8_t	*p = b->p + b->off;
	size_t		 left = b->len - b->off, hlen;
	uint16_t	 totlen;

	if (left < IP4_HDR_LEN || (p[IP4_OFF_VHL] >> 4) != 4)
		return IP4_MALFORMED;
	hlen = (size_t)(p[IP4_OFF_VHL] & 0x0f) * 4;
	totlen = be16_get(p + IP4_OFF_LEN);
	if (hlen < IP4_HDR_LEN || hlen > left || totlen < hlen)
		return IP4_MALFORMED;
	h->hlen = hlen;
	h->totlen = totlen;
	h->id = be16_get(p + IP4_OFF_ID);
	h->frag = be16_get(p + IP4_OFF_FRAG);
	h->tos = p[IP4_OFF_TOS];
	h->ttl = p[IP4_OFF_TTL];
	h->proto = p[IP4_OFF_PROTO];
	h->sum = be16_get(p + IP4_OFF_SUM);
	h->src.s_addr = htonl(be32_get(p + IP4_OFF_SRC));
	h->dst.s_addr = htonl(be32_get(p + IP4_OFF_DST));
	if (totlen > left)
		return IP4_TRUNCATED;
	payload->p = p + hlen;
	payload->len = totlen - hlen;
	payload->off = 0;
	b->off += totlen;
	return IP4_OK;
}

/* ---- wbuf: building messages ------------------------------------------ */

/*
 * A writer over caller memory (wbuf_init) or its own growing memory
 * (wbuf_init_dyn, released with wbuf_cleanup).  A write that does not fit
 * sets err and writes nothing; later writes are ignored, so a builder
 * checks wbuf_error() once.
 */
struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 err;
	int		 dyn;
};

void		 wbuf_init(struct wbuf *, void *, size_t);
void		 wbuf_init_dyn(struct wbuf *, size_t);
void		 wbuf_cleanup(struct wbuf *);
void		 wbuf_put_u8(struct wbuf *, uint8_t);
void		 wbuf_put_be16(struct wbuf *, uint16_t);
void		 wbuf_put_be32(struct wbuf *, uint32_t);
void		 wbuf_put_be64(struct wbuf *, uint64_t);
void		 wbuf_put_bytes(struct wbuf *, const void *, size_t);
void		 wbuf_put_zero(struct wbuf *, size_t);
/* Reserve n bytes and return their offset (for lengths patched later). */
size_t		 wbuf_reserve(struct wbuf *, size_t);
void		 wbuf_set_be16(struct wbuf *, size_t, uint16_t);
void		 wbuf_set_be32(struct wbuf *, size_t, uint32_t);
int		 wbuf_error(const struct wbuf *);

/* ---- log ---------------------------------------------------------------- */

enum log_subsys {
	LOG_MAIN,
	LOG_CONF,
	LOG_CTL,
	LOG_IKE,
	LOG_ESP,
	LOG_VRRP,
	LOG_IPC,
	LOG_HA,
	LOG_IKEV2,	/* debug crypto ikev2's trace lines */
	LOG_NSUBSYS
};

/*
 * foreground: log to stderr with a time stamp, else to syslog.
 * verbose: also log_debug() for every subsystem.
 */
void		 log_init(const char *, int, int);
void		 log_set_debug(enum log_subsys, int);
int		 log_debug_enabled(enum log_subsys);
const char	*log_subsys_name(enum log_subsys);
/* Where lines go in the foreground; tests point it at a memstream. */
void		 log_set_stream(FILE *);

void		 log_warn(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_warnx(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_info(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 log_debug(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 fatal(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
void		 fatalx(enum log_subsys, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));

/*
 * A rate limit for log lines about repeated events (drops): at most one
 * line per interval; the number suppressed in between is reported.
 */
struct log_ratelimit {
	uint64_t	 last_ms;
	uint64_t	 suppressed;
};
/* Returns 1 if a line may be logged now; *suppressed gets the count. */
int		 log_ratelimit_ok(struct log_ratelimit *, uint64_t, uint64_t,
		    uint64_t *);

/* ---- addr --------------------------------------------------------------- */

/* Parse dotted quad; 0 or -1.  Result in network byte order. */
int		 addr_parse(const char *, struct in_addr *);
/* A netmask must be contiguous ones. */
int		 addr_mask_valid(struct in_addr);
int		 addr_mask_len(struct in_addr);
struct in_addr	 addr_mask_from_len(int);
/* Into a caller buffer of at least INET_ADDRSTRLEN; returns it. */
const char	*addr_str(struct in_addr, char *);
/* addr with mask or wildcard applied. */
int		 addr_match_wildcard(struct in_addr, struct in_addr,
		    struct in_addr);

/* ---- mem ---------------------------------------------------------------- */

void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
int		 xasprintf(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Wipe then free; NULL is a no-op. */
void		 free_secret(void *, size_t);

/* ---- hex ---------------------------------------------------------------- */

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void		 hex_encode(const void *, size_t, char *);
/* Returns the number of bytes, or -1 on a bad digit or odd length. */
int		 hex_decode(const char *, void *, size_t);

/* ---- cmdmatch: IOS-style command words ---------------------------------- */

/*
 * Match argv against a table of commands, each a string of words
 * ("show crypto isakmp sa").  Every argv word may be an unambiguous prefix
 * of the command word at its place, as on IOS ("sh cry isa sa"); an exact
 * word wins over longer ones it starts.  The words are resolved one place
 * at a time; where no command word fits, the words left are the arguments
 * of the command those before them complete.  args (NULL: every command
 * may take arguments) is a table of the same size: "" for a command that
 * takes none.  Returns the command's index and sets *nwords to the number
 * of argv words it took.  On failure -1, with err holding the IOS-style
 * report, several lines without a final newline:
 *   "% Invalid input detected at '^' marker: \"WORD\"" under the line
 *	typed and a caret at WORD, then the words that may follow;
 *   "% Incomplete command: \"LINE\" needs another word." and the words
 *	that may follow;
 *   "% Ambiguous command: \"LINE\"" and the words the abbreviation starts.
 */
int		 cmd_match(const char *const *, const char *const *, size_t,
		    int, char *const *, int *, char *, size_t);

/* ---- nl: rtnetlink requests --------------------------------------------- */

struct nlmsghdr;

/*
 * A NETLINK_ROUTE socket.  groups 0: for requests, blocking; else bound
 * to those multicast groups for events, non-blocking, with a 1 MiB
 * receive buffer.  The descriptor, or -1 with errno.
 */
int		 nl_open(unsigned int);

/*
 * A request built in caller memory (aligned for struct nlmsghdr): the
 * header with type and flags, a family header of hdrlen bytes (zeroed,
 * returned), then attributes.  A request that outgrows its memory is a
 * bug: fatalx().
 */
struct nl_req {
	struct nlmsghdr	*h;
	size_t		 cap;
};
void		*nl_req_init(struct nl_req *, void *, size_t, uint16_t,
		    uint16_t, size_t);
void		 nl_attr(struct nl_req *, uint16_t, const void *, size_t);
void		 nl_attr_u8(struct nl_req *, uint16_t, uint8_t);
void		 nl_attr_u32(struct nl_req *, uint16_t, uint32_t);
/*
 * Send a request (NLM_F_REQUEST and NLM_F_ACK added, a sequence number
 * set) on a request socket and wait for its acknowledgement: 0, or -1
 * with errno (the kernel's error, or the socket's).
 */
int		 nl_transact(int, struct nlmsghdr *);

/* ---- time --------------------------------------------------------------- */

uint64_t	 time_mono_ms(void);
uint64_t	 time_mono_us(void);

#endif
