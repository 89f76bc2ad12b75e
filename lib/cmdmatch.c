/* IOS-style matching of command words with abbreviations. */
#include <string.h>

#include "lib.h"

#define CMD_MAXWORDS	8

static int
split_words(const char *cmd, char words[CMD_MAXWORDS][32])
{
	int	 n = 0;
	size_t	 len;

	while (*cmd != '\0' && n < CMD_MAXWORDS) {
		while (*cmd == ' ')
			cmd++;
		len = strcspn(cmd, " ");
		if (len == 0)
			break;
		if (len >= 32)
			len = 31;
		memcpy(words[n], cmd, len);
		words[n++][len] = '\0';
		cmd += strcspn(cmd, " ");
	}
	return n;
}

/*
 * How many words of cmd argv matches (0: none).  At each place an argv
 * word must be a prefix of the command word and no other command's word
 * at that place (after the same earlier words) may also start with it,
 * unless it is an exact match.
 */
static int
match_one(const char *const *table, size_t n, size_t idx, int argc,
    char *const *argv, int *ambiguous)
{
	char	 w[CMD_MAXWORDS][32], o[CMD_MAXWORDS][32];
	int	 nw = split_words(table[idx], w), i;

	if (argc < nw)
		return 0;
	for (i = 0; i < nw; i++) {
		size_t	 alen = strlen(argv[i]);

		if (alen == 0 || strncmp(w[i], argv[i], alen) != 0)
			return 0;
		if (strcmp(w[i], argv[i]) == 0)
			continue;
		/* a prefix: another command word here must not share it */
		for (size_t j = 0; j < n; j++) {
			int	 no = split_words(table[j], o), k;

			if (j == idx || no <= i)
				continue;
			for (k = 0; k < i; k++)
				if (strcmp(o[k], w[k]) != 0)
					break;
			if (k == i && strcmp(o[i], w[i]) != 0 &&
			    strncmp(o[i], argv[i], alen) == 0)
				*ambiguous = 1;
		}
	}
	return nw;
}

int
cmd_match(const char *const *table, size_t n, int argc, char *const *argv,
    int *nwords, char *err, size_t errlen)
{
	int	 best = -1, bestlen = 0, tie = 0, amb = 0, m;

	for (size_t i = 0; i < n; i++) {
		int	 a = 0;

		m = match_one(table, n, i, argc, argv, &a);
		if (m == 0)
			continue;
		if (m > bestlen) {
			best = (int)i;
			bestlen = m;
			tie = 0;
			amb = a;
		} else if (m == bestlen)
			tie = 1;
	}
	if (best == -1) {
		snprintf(err, errlen, "unknown command \"%s\" (try help)",
		    argc > 0 ? argv[0] : "");
		return -1;
	}
	if (tie || amb) {
		snprintf(err, errlen, "ambiguous command: more than one "
		    "command starts that way (try help)");
		return -1;
	}
	*nwords = bestlen;
	return best;
}
