/*
 * The configuration reader: lines, words, and the mode machine.
 *
 * Modes follow IOS.  A command that opens a sub-mode (crypto isakmp policy,
 * interface, ipc zone default, ...) pushes a frame; the lines after it are
 * placed as follows:
 *
 *   - Indentation first.  Once a block has an indented line, a line at the
 *     opener's indentation or less closes the block, and a line indented
 *     deeper than the opener belongs to the block alone.
 *   - Keywords when indentation is missing (a flat paste, as IOS accepts):
 *     the line is offered to the innermost open mode, then outwards; the
 *     first mode that accepts it takes it and the deeper modes close.
 *
 * A handler reports CMD_UNKNOWN for a word it does not know, CMD_ERR with
 * a message for a known command used wrongly, and only changes the config
 * when it returns CMD_OK, so that a line can be offered to several modes.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "conf_int.h"

void
conf_report(struct conf_diag *d, const char *file, int line, int warning,
    const char *fmt, ...)
{
	va_list	 ap;

	if (warning)
		d->warnings++;
	else
		d->errors++;
	if (d->out == NULL)
		return;
	if (line > 0)
		fprintf(d->out, "%s:%d: %s", file, line,
		    warning ? "warning: " : "");
	else
		fprintf(d->out, "%s: %s", file, warning ? "warning: " : "");
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

void
conf_note_add(struct conf_notes *ns, int line, int warning, const char *fmt,
    ...)
{
	struct conf_note *n;
	va_list	 ap;

	n = ARRAY_PUSH(ns->v, ns->n);
	n->line = line;
	n->seq = ns->n;
	n->warning = warning;
	va_start(ap, fmt);
	if (vasprintf(&n->text, fmt, ap) == -1)
		fatalx(LOG_CONF, "out of memory");
	va_end(ap);
	if (!warning)
		ns->errors++;
}

static int
note_cmp(const void *a, const void *b)
{
	const struct conf_note *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq - y->seq;
}

void
conf_notes_flush(struct conf_notes *ns, const char *file, struct conf_diag *d)
{
	if (ns->n > 1)
		qsort(ns->v, (size_t)ns->n, sizeof(*ns->v), note_cmp);
	for (int i = 0; i < ns->n; i++) {
		conf_report(d, file, ns->v[i].line, ns->v[i].warning, "%s",
		    ns->v[i].text);
		free(ns->v[i].text);
	}
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

int
conf_perr(struct parser *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return CMD_ERR;
}

void
conf_pwarn(struct parser *p, const char *fmt, ...)
{
	va_list	 ap;

	if (p->nwarn >= CONF_MAXWARN)
		return;
	va_start(ap, fmt);
	vsnprintf(p->warn[p->nwarn++], sizeof(p->warn[0]), fmt, ap);
	va_end(ap);
}

void
conf_popen_mode(struct parser *p, enum conf_mode m, int idx, int idx2)
{
	p->open = 1;
	p->open_mode = m;
	p->open_idx = idx;
	p->open_idx2 = idx2;
}

int
conf_word_is(const struct cline *l, int i, const char *w)
{
	return i < l->nwords && strcasecmp(l->words[i], w) == 0;
}

/* A decimal number in [min, max]; 0 or -1. */
int
conf_parse_uint(const char *s, long min, long max, long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (long)v;
	return 0;
}

int
conf_parse_addr(struct parser *p, const char *s, struct in_addr *a,
    const char *what)
{
	if (addr_parse(s, a) == -1) {
		conf_perr(p, "%s: \"%s\" is not an IPv4 address", what, s);
		return -1;
	}
	return 0;
}

int
conf_parse_mask(struct parser *p, const char *s, struct in_addr *m)
{
	if (addr_parse(s, m) == -1 || !addr_mask_valid(*m)) {
		conf_perr(p, "\"%s\" is not a netmask", s);
		return -1;
	}
	return 0;
}

int
conf_secret_ok(struct parser *p, const char *s, const char *what,
    const char *noun)
{
	if (strcmp(s, CONF_MASK) != 0)
		return 0;
	conf_perr(p, "%s: the %s is masked, as \"show running-config\" "
	    "prints it; \"show running-config secrets\" prints the real one",
	    what, noun);
	return -1;
}

/* Linux: 1-15 bytes, no '/', no blank, not "." or "..". */
int
conf_ifname_valid(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Names of transform-sets, maps, ACLs and groups: printable, 1-64. */
int
conf_name_valid(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Split one line.  Returns 0 for a line to parse, 1 for a blank or comment
 * line, -1 (with a message) for a line that cannot be read.
 */
static int
split_line(char *text, struct cline *l, char *err, size_t errlen)
{
	char	*s = text;
	int	 indent = 0;
	size_t	 n;

	/* rest[] points into an untouched copy, without trailing blanks */
	l->raw = xstrdup(text);
	for (n = strlen(l->raw); n > 0 && (l->raw[n - 1] == ' ' ||
	    l->raw[n - 1] == '\t'); n--)
		l->raw[n - 1] = '\0';
	l->nwords = 0;
	l->negate = 0;
	for (; *s == ' ' || *s == '\t'; s++)
		indent += *s == '\t' ? 8 - indent % 8 : 1;
	l->indent = indent;
	if (*s == '\0' || *s == '!')
		return 1;
	for (char *c = s; *c != '\0'; c++)
		if (!isprint((unsigned char)*c) && *c != '\t') {
			snprintf(err, errlen, "the line holds a control or "
			    "non-ASCII character (byte 0x%02x)",
			    (unsigned char)*c);
			return -1;
		}
	while (*s != '\0') {
		if (l->nwords == CONF_MAXWORDS) {
			snprintf(err, errlen, "too many words on one line "
			    "(more than %d)", CONF_MAXWORDS);
			return -1;
		}
		l->rest[l->nwords] = l->raw + (s - text);
		l->words[l->nwords++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0') {
			*s++ = '\0';
			while (*s == ' ' || *s == '\t')
				s++;
		}
	}
	return 0;
}

typedef int (*mode_fn)(struct parser *, struct cline *);

static mode_fn
mode_handler(enum conf_mode m)
{
	switch (m) {
	case M_GLOBAL:		return conf_mode_global;
	case M_POLICY:		return conf_mode_policy;
	case M_PEER:		return conf_mode_peer;
	case M_TSET:		return conf_mode_tset;
	case M_MAP:		return conf_mode_map;
	case M_ACL:		return conf_mode_acl;
	case M_IFACE:		return conf_mode_iface;
	case M_REDUNDANCY:	return conf_mode_redundancy;
	case M_IPC_ZONE:	return conf_mode_ipc_zone;
	case M_ASSOC:		return conf_mode_assoc;
	case M_SCTP:		return conf_mode_sctp;
	case M_LPORT:		return conf_mode_lport;
	case M_RPORT:		return conf_mode_rport;
	case M_V2PROPOSAL:	return conf_mode_v2proposal;
	case M_V2POLICY:	return conf_mode_v2policy;
	case M_V2KEYRING:	return conf_mode_v2keyring;
	case M_V2KPEER:		return conf_mode_v2kpeer;
	case M_V2PROFILE:	return conf_mode_v2profile;
	case M_IGNORED:
	case M_FAILED:		return NULL;
	}
	return NULL;
}

/*
 * The sub-mode a line would open if it were right, judged by its first
 * words only: where the lines under a failed header would have gone.
 */
static enum conf_mode
header_mode(const struct cline *l)
{
	if (conf_word_is(l, 0, "no"))
		return M_IGNORED;
	if (conf_word_is(l, 0, "interface"))
		return M_IFACE;
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "isakmp") &&
	    l->nwords > 2 && strncasecmp(l->words[2], "policy", 6) == 0)
		return M_POLICY;
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "isakmp") &&
	    conf_word_is(l, 2, "peer"))
		return M_PEER;
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "ipsec") &&
	    conf_word_is(l, 2, "transform-set"))
		return M_TSET;
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "map") &&
	    l->nwords > 3 &&
	    !conf_word_is(l, 3, "redundancy"))
		return M_MAP;
	if (conf_word_is(l, 0, "crypto") && conf_word_is(l, 1, "ikev2")) {
		if (conf_word_is(l, 2, "proposal"))
			return M_V2PROPOSAL;
		if (conf_word_is(l, 2, "policy"))
			return M_V2POLICY;
		if (conf_word_is(l, 2, "keyring"))
			return M_V2KEYRING;
		if (conf_word_is(l, 2, "profile"))
			return M_V2PROFILE;
	}
	if (conf_word_is(l, 0, "ip") && conf_word_is(l, 1, "access-list"))
		return M_ACL;
	if (conf_word_is(l, 0, "redundancy") &&
	    conf_word_is(l, 1, "inter-device"))
		return M_REDUNDANCY;
	if (conf_word_is(l, 0, "ipc") && conf_word_is(l, 1, "zone"))
		return M_IPC_ZONE;
	if (conf_word_is(l, 0, "association"))
		return M_ASSOC;
	if (conf_word_is(l, 0, "protocol"))
		return M_SCTP;
	if (conf_word_is(l, 0, "local-port"))
		return M_LPORT;
	if (conf_word_is(l, 0, "remote-port"))
		return M_RPORT;
	return M_IGNORED;
}

/*
 * Would mode m know this line's first word?  For a flat paste under a
 * failed header: such a line is the header's, not a new mistake.
 */
static int
mode_knows(enum conf_mode m, const struct cline *l)
{
	static const struct {
		enum conf_mode	 mode;
		const char	*word;
	} words[] = {
		{ M_POLICY, "encryption" }, { M_POLICY, "encr" },
		{ M_POLICY, "hash" }, { M_POLICY, "authentication" },
		{ M_POLICY, "group" }, { M_POLICY, "lifetime" },
		{ M_PEER, "set" }, { M_TSET, "mode" },
		{ M_MAP, "set" }, { M_MAP, "match" },
		{ M_MAP, "reverse-route" }, { M_MAP, "description" },
		{ M_ACL, "permit" }, { M_ACL, "deny" }, { M_ACL, "remark" },
		{ M_IFACE, "ip" }, { M_IFACE, "standby" },
		{ M_IFACE, "crypto" }, { M_IFACE, "description" },
		{ M_IFACE, "shutdown" }, { M_IFACE, "duplex" },
		{ M_IFACE, "speed" }, { M_IFACE, "nameif" },
		{ M_IFACE, "security-level" },
		{ M_REDUNDANCY, "scheme" }, { M_REDUNDANCY, "security" },
		{ M_IPC_ZONE, "association" }, { M_ASSOC, "shutdown" },
		{ M_ASSOC, "protocol" }, { M_SCTP, "local-port" },
		{ M_SCTP, "remote-port" }, { M_SCTP, "encapsulation" },
		{ M_SCTP, "lanes" },
		{ M_LPORT, "local-ip" }, { M_LPORT, "retransmit-timeout" },
		{ M_LPORT, "path-retransmit" }, { M_LPORT, "assoc-retransmit" },
		{ M_RPORT, "remote-ip" },
		{ M_V2PROPOSAL, "encryption" }, { M_V2PROPOSAL, "integrity" },
		{ M_V2PROPOSAL, "prf" }, { M_V2PROPOSAL, "group" },
		{ M_V2POLICY, "proposal" }, { M_V2POLICY, "match" },
		{ M_V2KEYRING, "peer" }, { M_V2KPEER, "address" },
		{ M_V2KPEER, "identity" }, { M_V2KPEER, "pre-shared-key" },
		{ M_V2PROFILE, "match" }, { M_V2PROFILE, "identity" },
		{ M_V2PROFILE, "authentication" }, { M_V2PROFILE, "keyring" },
		{ M_V2PROFILE, "lifetime" }, { M_V2PROFILE, "dpd" },
	};
	int	 w = conf_word_is(l, 0, "no") ? 1 : 0;
	long	 seq;

	if (m == M_ACL &&
	    conf_parse_uint(l->words[w], 1, 2147483647L, &seq) == 0)
		return 1;	/* a sequence number */
	for (size_t i = 0; i < nitems(words); i++)
		if (words[i].mode == m && conf_word_is(l, w, words[i].word))
			return 1;
	return 0;
}

/*
 * Offer the line to the frame at depth d.  A leading "no" is peeled off
 * into l->negate for the handler and put back afterwards, so that every
 * mode sees the line as written.
 */
static int
try_frame(struct parser *p, int d, struct cline *l)
{
	struct mode_frame *f = &p->stack[d];
	const char	*rest0 = l->rest[0];
	int		 r, depth = p->depth, neg;

	if (f->mode == M_IGNORED)
		return CMD_OK;
	if (f->mode == M_FAILED)	/* indented under it: skipped */
		return l->indent > f->opener_indent ? CMD_OK : CMD_UNKNOWN;
	neg = conf_word_is(l, 0, "no") && l->nwords > 1;
	if (neg) {
		memmove(&l->words[0], &l->words[1],
		    (size_t)(l->nwords - 1) * sizeof(l->words[0]));
		memmove(&l->rest[0], &l->rest[1],
		    (size_t)(l->nwords - 1) * sizeof(l->rest[0]));
		l->nwords--;
		l->negate = 1;
	}
	p->depth = d + 1;	/* handlers see their own frame on top */
	p->err[0] = '\0';
	p->nwarn = 0;
	p->open = 0;
	r = mode_handler(f->mode)(p, l);
	p->depth = depth;
	if (neg) {
		memmove(&l->words[1], &l->words[0],
		    (size_t)l->nwords * sizeof(l->words[0]));
		memmove(&l->rest[1], &l->rest[0],
		    (size_t)l->nwords * sizeof(l->rest[0]));
		l->words[0] = "no";
		l->rest[0] = rest0;
		l->nwords++;
		l->negate = 0;
	}
	return r;
}

static void
handle_line(struct parser *p, char *text, int lineno)
{
	struct cline	 l;
	char		 err[160];
	int		 d, strict, r, first_err = -1, taken = -1;
	char		 errmsg[256] = "";

	l.lineno = lineno;
	r = split_line(text, &l, err, sizeof(err));
	if (r == 1)
		goto done;
	if (r == -1) {
		conf_note_add(&p->notes, lineno, 0, "%s", err);
		goto done;
	}

	/* Indentation closes indented blocks the line is not inside. */
	while (p->depth > 1) {
		struct mode_frame *f = &p->stack[p->depth - 1];

		if (l.indent > f->opener_indent)
			break;
		if (f->block_indent != -1 && f->block_indent > f->opener_indent)
			p->depth--;
		else if (f->block_indent == -1 && (f->mode == M_IGNORED ||
		    (f->mode == M_FAILED && f->idx == M_IGNORED)))
			p->depth--;
		else
			break;
	}

	/* "exit" leaves the innermost sub-mode, as on IOS */
	if (conf_word_is(&l, 0, "exit") && l.nwords == 1) {
		if (p->depth > 1)
			p->depth--;
		else
			conf_note_add(&p->notes, lineno, 0, "exit outside "
			    "a sub-mode");
		goto done;
	}

	/*
	 * A line indented under the innermost open block belongs to it
	 * (strict); a line at its level is placed by keyword.
	 */
	strict = p->depth > 1 &&
	    l.indent > p->stack[p->depth - 1].opener_indent;

	for (d = p->depth - 1; d >= 0; d--) {
		r = try_frame(p, d, &l);
		if (r == CMD_OK) {
			taken = d;
			break;
		}
		if (r == CMD_ERR && first_err == -1) {
			first_err = d;
			/* every error has words, even one a handler forgot */
			if (p->err[0] == '\0')
				snprintf(errmsg, sizeof(errmsg),
				    "\"%s\" is not valid here", l.rest[0]);
			else
				snprintf(errmsg, sizeof(errmsg), "%s", p->err);
		}
		if (strict)
			break;
	}

	if (taken == -1) {
		struct mode_frame *top = &p->stack[p->depth - 1];

		/*
		 * A flat line under a failed header that the header's mode
		 * would have known: skipped, it is the header's mistake.
		 */
		if (top->mode == M_FAILED) {
			if (top->idx != M_IGNORED &&
			    mode_knows((enum conf_mode)top->idx, &l))
				goto done;
			p->depth--;
		}
		if (first_err != -1)
			conf_note_add(&p->notes, lineno, 0, "%s", errmsg);
		else if (strict && p->stack[p->depth - 1].mode != M_GLOBAL)
			conf_note_add(&p->notes, lineno, 0,
			    "unknown command \"%s\" in the block opened at "
			    "line %d", l.words[0],
			    p->stack[p->depth - 1].opener_line);
		else
			conf_note_add(&p->notes, lineno, 0,
			    "unknown command \"%s\"", l.words[0]);
		/* the lines under it are not reported again */
		if (p->depth < CONF_MAXDEPTH) {
			struct mode_frame *f = &p->stack[p->depth++];

			f->mode = M_FAILED;
			f->opener_indent = l.indent;
			f->opener_line = lineno;
			f->block_indent = -1;
			f->idx = header_mode(&l);
			f->idx2 = 0;
		}
		goto done;
	}

	for (int i = 0; i < p->nwarn; i++)
		conf_note_add(&p->notes, lineno, 1, "%s", p->warn[i]);
	/* the frame that took the line learns its block's indentation */
	if (taken > 0 && p->stack[taken].block_indent == -1)
		p->stack[taken].block_indent = l.indent;
	p->depth = taken + 1;
	if (p->open) {
		struct mode_frame *f;

		if (p->depth == CONF_MAXDEPTH)
			fatalx(LOG_CONF, "configuration nesting too deep");
		f = &p->stack[p->depth++];
		f->mode = p->open_mode;
		f->opener_indent = l.indent;
		f->block_indent = -1;
		f->idx = p->open_idx;
		f->idx2 = p->open_idx2;
		f->opener_line = lineno;
	}
done:
	free(l.raw);
}

static struct config *
config_new(const char *path)
{
	struct config	*cf = xcalloc(1, sizeof(*cf));

	cf->path = xstrdup(path);
	cf->sa_life_seconds = 3600;
	cf->sa_life_kbytes = 4608000;
	cf->replay_window = 64;
	cf->dpd_retry = 2;
	cf->ipc.shutdown = 1;
	cf->ipc.rto_min_ms = 1000;
	cf->ipc.rto_max_ms = 60000;
	cf->ipc.path_retransmit = 5;
	cf->ipc.assoc_retransmit = 10;
	cf->ipc.lanes = CONF_IPC_LANES;
	return cf;
}

static struct config *
load_mem(const char *name, const char *text, size_t len,
    const struct conf_host *host, struct conf_diag *diag)
{
	struct parser	 p;
	char		*buf, *line, *next;
	int		 lineno = 0, errors;
	size_t		 i;

	memset(&p, 0, sizeof(p));
	p.cf = config_new(name);
	p.file = name;
	p.depth = 1;
	p.stack[0].mode = M_GLOBAL;
	p.stack[0].opener_indent = -1;
	p.stack[0].block_indent = 0;

	for (i = 0; i < len; i++)
		if (text[i] == '\0') {
			conf_report(diag, name, 0, 0, "the file holds a NUL "
			    "byte: not a configuration file");
			conf_free(p.cf);
			return NULL;
		}
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (strlen(line) > 4096) {
			conf_note_add(&p.notes, lineno, 0, "line too long "
			    "(%zu bytes, at most 4096)", strlen(line));
			continue;
		}
		handle_line(&p, line, lineno);
	}
	free(buf);

	if (p.notes.errors == 0)
		conf_validate(p.cf, host, &p.notes);
	errors = p.notes.errors;
	conf_notes_flush(&p.notes, name, diag);
	if (errors > 0) {
		conf_free(p.cf);
		return NULL;
	}
	return p.cf;
}

struct config *
conf_load_mem(const char *name, const char *text, size_t len,
    struct conf_diag *diag)
{
	return load_mem(name, text, len, NULL, diag);
}

struct config *
conf_load_mem_strict(const char *name, const char *text, size_t len,
    const struct conf_host *host, struct conf_diag *diag)
{
	return load_mem(name, text, len, host, diag);
}

static struct config *
load_file(const char *path, const struct conf_host *host,
    struct conf_diag *diag)
{
	struct stat	 st;
	FILE		*f;
	char		*text = NULL;
	size_t		 len = 0, cap = 0, n;
	struct config	*cf;

	if ((f = fopen(path, "re")) == NULL) {
		conf_report(diag, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	/*
	 * The file holds the keys and decides where the tunnels go: one that
	 * anybody on the machine may write is refused (the mode of the file
	 * read, not of the path looked at before).
	 */
	if (fstat(fileno(f), &st) == -1) {
		conf_report(diag, path, 0, 0, "cannot stat: %s",
		    strerror(errno));
		fclose(f);
		return NULL;
	}
	if (st.st_mode & S_IWOTH) {
		conf_report(diag, path, 0, 0, "writable by others (mode %04o): "
		    "refused, anyone on the machine could change its keys and "
		    "peers (chmod o-w)", (unsigned)(st.st_mode & 07777));
		fclose(f);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap > (1u << 24)) {
				conf_report(diag, path, 0, 0, "file too large "
				    "(more than 16 MiB)");
				fclose(f);
				free(text);
				return NULL;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			text = xreallocarray(text, cap, 1);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		conf_report(diag, path, 0, 0, "read error: %s",
		    strerror(errno));
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	cf = load_mem(path, text, len, host, diag);
	free(text);
	return cf;
}

struct config *
conf_load(const char *path, struct conf_diag *diag)
{
	return load_file(path, NULL, diag);
}

struct config *
conf_load_strict(const char *path, const struct conf_host *host,
    struct conf_diag *diag)
{
	return load_file(path, host, diag);
}

void
conf_ace_cleanup(struct conf_ace *a)
{
	free(a->remark);
}

void
conf_free(struct config *cf)
{
	int	 i, j;

	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->hostname);
	free(cf->tunnel_ifname);
	free(cf->policies);
	for (i = 0; i < cf->nkeys; i++)
		free_secret(cf->keys[i].key, strlen(cf->keys[i].key));
	free(cf->keys);
	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].password != NULL)
			free_secret(cf->peers[i].password,
			    strlen(cf->peers[i].password));
	free(cf->peers);
	for (i = 0; i < cf->ntsets; i++)
		free(cf->tsets[i].name);
	free(cf->tsets);
	for (i = 0; i < cf->nmaps; i++) {
		struct conf_crypto_map *m = &cf->maps[i];

		for (j = 0; j < m->nentries; j++) {
			struct conf_map_entry *e = &m->entries[j];

			for (int k = 0; k < e->ntsets; k++)
				free(e->tsets[k]);
			free(e->tsets);
			free(e->acl);
			free(e->ikev2_profile.name);
		}
		free(m->entries);
		free(m->name);
	}
	free(cf->maps);
	conf_free_ikev2(cf);
	for (i = 0; i < cf->nacls; i++) {
		for (j = 0; j < cf->acls[i].naces; j++)
			conf_ace_cleanup(&cf->acls[i].aces[j]);
		free(cf->acls[i].aces);
		free(cf->acls[i].name);
	}
	free(cf->acls);
	for (i = 0; i < cf->ntracks; i++)
		free(cf->tracks[i].ifname);
	free(cf->tracks);
	for (i = 0; i < cf->nifaces; i++) {
		struct conf_interface *ifc = &cf->ifaces[i];

		for (j = 0; j < ifc->nstandby; j++) {
			free(ifc->standby[j].name);
			free(ifc->standby[j].tracks);
		}
		free(ifc->standby);
		free(ifc->name);
		free(ifc->description);
		free(ifc->crypto_map);
		free(ifc->redundancy);
	}
	free(cf->ifaces);
	free(cf->redundancy.scheme_group);
	if (cf->redundancy.security_key != NULL)
		free_secret(cf->redundancy.security_key,
		    strlen(cf->redundancy.security_key));
	free(cf);
}
