/*
 * conf internals: the line, the parser state, the modes and the helpers the
 * command handlers share.  Not for use outside conf/.
 */
#ifndef HAVPN_CONF_INT_H
#define HAVPN_CONF_INT_H

#include "conf.h"

#define CONF_MAXWORDS	48

/* One configuration line, split into words. */
struct cline {
	int		 lineno;
	int		 indent;		/* leading blanks, a tab counts 8 */
	int		 nwords;
	char		*words[CONF_MAXWORDS];
	const char	*rest[CONF_MAXWORDS];	/* the raw text from word i on */
	int		 negate;		/* a leading "no" was removed */
	char		*raw;			/* the line as written */
};

enum conf_mode {
	M_GLOBAL,
	M_POLICY,
	M_PEER,
	M_TSET,
	M_MAP,
	M_ACL,
	M_IFACE,
	M_REDUNDANCY,
	M_IPC_ZONE,
	M_ASSOC,
	M_SCTP,
	M_LPORT,
	M_RPORT,
	M_V2PROPOSAL,		/* crypto ikev2 proposal NAME */
	M_V2POLICY,
	M_V2KEYRING,
	M_V2KPEER,		/* peer NAME, under a keyring */
	M_V2PROFILE,
	M_IGNORED,		/* an ignored IOS block: its lines are skipped */
	M_FAILED,		/* under a line that failed: skipped silently */
};

struct mode_frame {
	enum conf_mode	 mode;
	int		 opener_indent;
	int		 opener_line;
	int		 block_indent;	/* -1 until the first line inside */
	int		 idx;		/* the object it edits; M_FAILED: the
					 * mode the line would have opened,
					 * or M_IGNORED */
	int		 idx2;
};

#define CONF_MAXDEPTH	8
#define CONF_MAXWARN	4

/*
 * CMD_ERR is -1 so that helpers returning conf_perr() also read as
 * "-1: error".
 */
enum cmd_result {
	CMD_ERR = -1,		/* a command of this mode, but wrong */
	CMD_OK = 0,
	CMD_UNKNOWN = 1,	/* not a command of this mode */
};

/*
 * Diagnostics are held until the whole file is read, then printed sorted
 * by line: a cross-line check reports after the parse but belongs between
 * the lines around it.
 */
struct conf_note {
	int		 line;
	int		 seq;		/* the order it was made, for ties */
	int		 warning;
	char		*text;
};

struct conf_notes {
	struct conf_note *v;
	int		 n;
	int		 errors;
};

struct parser {
	struct config	*cf;
	const char	*file;
	struct conf_notes notes;
	struct mode_frame stack[CONF_MAXDEPTH];
	int		 depth;

	/* set by a handler: the error, and warnings kept until it succeeds */
	char		 err[256];
	char		 warn[CONF_MAXWARN][256];
	int		 nwarn;
	/* a handler that opens a sub-mode sets these */
	int		 open;
	enum conf_mode	 open_mode;
	int		 open_idx;
	int		 open_idx2;
};

/* diagnostics */
void	 conf_note_add(struct conf_notes *, int, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* Print the notes in line order through diag, and empty the list. */
void	 conf_notes_flush(struct conf_notes *, const char *,
    struct conf_diag *);
int	 conf_perr(struct parser *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 conf_pwarn(struct parser *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 conf_popen_mode(struct parser *, enum conf_mode, int, int);

/* word helpers */
int	 conf_word_is(const struct cline *, int, const char *);
int	 conf_parse_uint(const char *, long, long, long *);
int	 conf_parse_addr(struct parser *, const char *, struct in_addr *,
	    const char *);
int	 conf_parse_mask(struct parser *, const char *, struct in_addr *);
int	 conf_ifname_valid(const char *);
int	 conf_name_valid(const char *);

/* command handlers, one per mode (conf/parse_*.c) */
int	 conf_mode_global(struct parser *, struct cline *);
int	 conf_mode_policy(struct parser *, struct cline *);
int	 conf_mode_peer(struct parser *, struct cline *);
int	 conf_mode_tset(struct parser *, struct cline *);
int	 conf_mode_map(struct parser *, struct cline *);
int	 conf_mode_acl(struct parser *, struct cline *);
int	 conf_mode_iface(struct parser *, struct cline *);
int	 conf_mode_redundancy(struct parser *, struct cline *);
int	 conf_mode_ipc_zone(struct parser *, struct cline *);
int	 conf_mode_assoc(struct parser *, struct cline *);
int	 conf_mode_sctp(struct parser *, struct cline *);
int	 conf_mode_lport(struct parser *, struct cline *);
int	 conf_mode_rport(struct parser *, struct cline *);
int	 conf_mode_v2proposal(struct parser *, struct cline *);
int	 conf_mode_v2policy(struct parser *, struct cline *);
int	 conf_mode_v2keyring(struct parser *, struct cline *);
int	 conf_mode_v2kpeer(struct parser *, struct cline *);
int	 conf_mode_v2profile(struct parser *, struct cline *);

/* global commands by area */
int	 conf_global_crypto(struct parser *, struct cline *);
int	 conf_global_ikev2(struct parser *, struct cline *);
/* set ikev2-profile NAME, under a crypto map entry */
int	 conf_map_ikev2_profile(struct parser *, struct cline *,
	    struct conf_map_entry *);
/* IKEv2's cross-line checks (conf/parse_ikev2.c) */
void	 conf_validate_ikev2(struct config *, struct conf_notes *);
void	 conf_free_ikev2(struct config *);
/*
 * A secret given on a line: refused if it is CONF_MASK, as show prints
 * it; "WHAT: the NOUN is masked, ..."; 0 or -1.
 */
int	 conf_secret_ok(struct parser *, const char *, const char *,
	    const char *);
int	 conf_global_acl(struct parser *, struct cline *);
int	 conf_global_track(struct parser *, struct cline *);
int	 conf_global_interface(struct parser *, struct cline *);
int	 conf_global_redundancy(struct parser *, struct cline *);
int	 conf_global_ipc(struct parser *, struct cline *);
/* IOS lines outside havpn: 1 and a warning if this one is one of them */
int	 conf_ignored_global(struct parser *, struct cline *, int *);
int	 conf_ignored_iface(struct parser *, struct cline *);

/* ACL pieces shared by numbered and named lists */
int	 conf_acl_parse_entry(struct parser *, struct cline *, int,
	    struct conf_ace *);
void	 conf_ace_cleanup(struct conf_ace *);
const char *conf_port_name(int, uint16_t);
int	 conf_port_parse(int, const char *, uint16_t *);
struct icmp_name { const char *name; int type; int code; };
const struct icmp_name *conf_icmp_by_name(const char *);
const struct icmp_name *conf_icmp_by_value(int, int);
const char *conf_proto_name(int);

/* cross-line checks (conf/validate.c) */
/* host NULL: conf_load(); else the stricter checks of havpnd -t */
int	 conf_validate(struct config *, const struct conf_host *,
	    struct conf_notes *);

/*
 * Growing arrays, only ever grown by ARRAY_PUSH: the room is the count
 * rounded up to a power of two, so a push reallocates when the count is
 * one (or zero), doubling it; one realloc per element copied the array
 * each time (a 10,000-line access list: seconds under ASan).
 */
static inline void *
array_grow(void *p, size_t n, size_t sz)
{
	if ((n & (n - 1)) == 0)
		p = xreallocarray(p, n == 0 ? 1 : 2 * n, sz);
	return p;
}
#define ARRAY_PUSH(arr, n)						\
	((arr) = array_grow((arr), (size_t)(n), sizeof(*(arr))),	\
	memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])

#endif
