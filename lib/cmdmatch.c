/*
 * IOS-style matching of command words with abbreviations.
 *
 * The words typed are resolved one place at a time against the commands
 * still possible: an exact word wins, else the one command word the typed
 * word starts.  When nothing fits, the report says where and what may
 * follow, as IOS's "% Invalid input", "% Incomplete command" and
 * "% Ambiguous command" followed by the list "?" would print.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define CMD_MAXWORDS	8
#define CMD_WORDLEN	32

struct cmd_words {
	char	 w[CMD_MAXWORDS][CMD_WORDLEN];
	int	 n;
};

static void
split_words(const char *cmd, struct cmd_words *cw)
{
	size_t	 len;

	cw->n = 0;
	while (*cmd != '\0' && cw->n < CMD_MAXWORDS) {
		while (*cmd == ' ')
			cmd++;
		len = strcspn(cmd, " ");
		if (len == 0)
			break;
		if (len >= CMD_WORDLEN)
			len = CMD_WORDLEN - 1;
		memcpy(cw->w[cw->n], cmd, len);
		cw->w[cw->n++][len] = '\0';
		cmd += strcspn(cmd, " ");
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append to err, never past errlen; *off keeps counting past the end. */
static void __attribute__((format(printf, 4, 5)))
put(char *err, size_t errlen, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = vsnprintf(*off < errlen ? err + *off : NULL,
	    *off < errlen ? errlen - *off : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		*off += (size_t)r;
}

/* The line typed, its words one space apart. */
static void
put_line(char *err, size_t errlen, size_t *off, int argc, char *const *argv)
{
	for (int k = 0; k < argc; k++)
		put(err, errlen, off, "%s%s", k > 0 ? " " : "", argv[k]);
}

/*
 * The distinct words at place pos of the live commands (those starting
 * with prefix, if not NULL), sorted, into out; how many.
 */
static int
next_words(const struct cmd_words *cw, const int *live, size_t n, int pos,
    const char *prefix, const char **out)
{
	int	 k = 0, j = 0;

	for (size_t i = 0; i < n; i++)
		if (live[i] && cw[i].n > pos && (prefix == NULL ||
		    strncmp(cw[i].w[pos], prefix, strlen(prefix)) == 0))
			out[k++] = cw[i].w[pos];
	qsort(out, (size_t)k, sizeof(*out), cmp_str);
	for (int i = 0; i < k; i++)
		if (j == 0 || strcmp(out[j - 1], out[i]) != 0)
			out[j++] = out[i];
	return j;
}

/* "After "show crypto" may follow:" and the list, one word a line. */
static void
put_list(char *err, size_t errlen, size_t *off, const struct cmd_words *cw,
    const int *live, size_t n, int pos, const char **words)
{
	int	 nw = next_words(cw, live, n, pos, NULL, words), cr = 0;
	size_t	 first = n;

	for (size_t i = 0; i < n; i++)
		if (live[i]) {
			if (first == n)
				first = i;
			if (cw[i].n == pos)
				cr = 1;
		}
	if (pos == 0)
		put(err, errlen, off, "A command starts with:\n");
	else {
		put(err, errlen, off, "After \"");
		for (int k = 0; k < pos; k++)
			put(err, errlen, off, "%s%s", k > 0 ? " " : "",
			    cw[first].w[k]);
		put(err, errlen, off, "\" may follow:\n");
	}
	for (int k = 0; k < nw; k++)
		put(err, errlen, off, "  %s\n", words[k]);
	if (cr)
		put(err, errlen, off, "  <cr>\n");
}

int
cmd_match(const char *const *table, const char *const *args, size_t n,
    int argc, char *const *argv, int *nwords, char *err, size_t errlen)
{
	struct cmd_words *cw;
	const char	**words;
	int		*live, pos, rc = -1, complete;
	size_t		 off = 0, caret = 0;

	cw = xcalloc(n + 1, sizeof(*cw));
	live = xcalloc(n + 1, sizeof(*live));
	words = xcalloc(n + 1, sizeof(*words));
	for (size_t i = 0; i < n; i++) {
		split_words(table[i], &cw[i]);
		live[i] = 1;
	}
	if (errlen > 0)
		err[0] = '\0';
	for (pos = 0; ; pos++) {
		int	 exact = 0, nm;

		complete = -1;
		for (size_t i = 0; i < n; i++)
			if (live[i] && cw[i].n == pos)
				complete = (int)i;
		if (pos == argc) {
			if (complete != -1) {
				*nwords = pos;
				rc = complete;
				goto done;
			}
			put(err, errlen, &off, "%% Incomplete command: \"");
			put_line(err, errlen, &off, argc, argv);
			put(err, errlen, &off, "\" needs another word.\n");
			put_list(err, errlen, &off, cw, live, n, pos, words);
			goto done;
		}
		for (size_t i = 0; i < n; i++)
			if (live[i] && cw[i].n > pos &&
			    strcmp(cw[i].w[pos], argv[pos]) == 0)
				exact = 1;
		nm = argv[pos][0] == '\0' ? 0 : next_words(cw, live, n, pos,
		    argv[pos], words);
		if (exact || nm == 1) {
			const char *w = exact ? argv[pos] : words[0];
			char	 keep[CMD_WORDLEN];

			snprintf(keep, sizeof(keep), "%s", w);
			for (size_t i = 0; i < n; i++)
				if (live[i] && (cw[i].n <= pos ||
				    strcmp(cw[i].w[pos], keep) != 0))
					live[i] = 0;
			continue;
		}
		if (nm > 1) {
			put(err, errlen, &off, "%% Ambiguous command: \"");
			put_line(err, errlen, &off, argc, argv);
			put(err, errlen, &off, "\"\n\"%s\" may be:\n",
			    argv[pos]);
			for (int k = 0; k < nm; k++)
				put(err, errlen, &off, "  %s\n", words[k]);
			goto done;
		}
		/* no command word here: the arguments of a complete command */
		if (complete != -1 && (args == NULL ||
		    args[complete][0] != '\0')) {
			*nwords = pos;
			rc = complete;
			goto done;
		}
		/* IOS: the line typed, a caret under the word that is wrong */
		put_line(err, errlen, &off, argc, argv);
		for (int k = 0; k < pos; k++)
			caret += strlen(argv[k]) + 1;
		put(err, errlen, &off, "\n%*s^\n", (int)caret, "");
		put(err, errlen, &off, "%% Invalid input detected at '^' "
		    "marker: \"%s\"\n", argv[pos]);
		put_list(err, errlen, &off, cw, live, n, pos, words);
		goto done;
	}
done:
	/* the report ends without a newline, as one message */
	if (rc == -1 && off > 0 && off <= errlen && err[off - 1] == '\n')
		err[off - 1] = '\0';
	free(words);
	free(live);
	free(cw);
	return rc;
}
