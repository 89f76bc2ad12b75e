/*
 * The digest of the crypto configuration that both nodes must share (the
 * Hello carries it; a standby whose peer differs never becomes STANDBY
 * HOT).  SHA-256 over the canonical printed form (conf_print) cut down to
 * what an SA depends on:
 *
 *   every "crypto ..." block (ISAKMP policies, keys, peers, keepalive and
 *   NAT keepalive, aggressive-mode, IPsec transform-sets, global SA
 *   lifetimes and replay window, crypto maps with their entries and
 *   replay-intervals) except "crypto ipsec tunnel-interface" (local);
 *   the access-lists that a crypto map entry matches (numbered lines and
 *   named blocks);
 *   each interface's "crypto map NAME redundancy GROUP [stateful]" line,
 *   without the interface's name.
 *
 * Not covered (node-specific): hostname, interface addresses,
 * descriptions and standby groups, tracking, ipc, redundancy
 * inter-device (its key is checked by the channel itself).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "hasync/ha_int.h"

static int
acl_used(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nmaps; i++)
		for (int j = 0; j < cf->maps[i].nentries; j++)
			if (cf->maps[i].entries[j].acl != NULL &&
			    strcmp(cf->maps[i].entries[j].acl, name) == 0)
				return 1;
	return 0;
}

/* The name after "access-list " or "ip access-list extended ". */
static int
acl_line_used(const struct config *cf, const char *line, const char *prefix)
{
	char	 name[128];
	size_t	 n;

	line += strlen(prefix);
	n = strcspn(line, " ");
	if (n >= sizeof(name))
		return 0;
	memcpy(name, line, n);
	name[n] = '\0';
	return acl_used(cf, name);
}

void
ha_config_digest(const struct config *cf, uint8_t *out, char **textp)
{
	char		*all = conf_print_str(cf), *line, *save = NULL;
	size_t		 alllen = strlen(all);
	struct wbuf	 w;
	int		 keep = 0, in_iface = 0;
	unsigned int	 dlen = 0;

	wbuf_init_dyn(&w, 1024);
	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '!' || line[0] == '\0')
			continue;
		if (line[0] != ' ') {
			in_iface = strncmp(line, "interface ", 10) == 0;
			keep = 0;
			if (strncmp(line, "crypto ", 7) == 0)
				keep = strncmp(line, "crypto ipsec "
				    "tunnel-interface", 29) != 0;
			else if (strncmp(line, "access-list ", 12) == 0)
				keep = acl_line_used(cf, line, "access-list ");
			else if (strncmp(line, "ip access-list extended ",
			    24) == 0)
				keep = acl_line_used(cf, line,
				    "ip access-list extended ");
		} else if (in_iface) {
			if (strncmp(line, " crypto map ", 12) == 0) {
				wbuf_put_bytes(&w, "interface-", 10);
				wbuf_put_bytes(&w, line + 1, strlen(line) - 1);
				wbuf_put_u8(&w, '\n');
			}
			continue;
		}
		if (!keep)
			continue;
		wbuf_put_bytes(&w, line, strlen(line));
		wbuf_put_u8(&w, '\n');
	}
	wbuf_put_u8(&w, '\0');
	if (wbuf_error(&w) || EVP_Digest(w.p, w.len - 1, out, &dlen,
	    EVP_sha256(), NULL) != 1 || dlen != HA_DIGEST_LEN)
		fatalx(LOG_HA, "cannot digest the configuration");
	/* the keys are in the text: it stays in memory only while kept */
	if (textp != NULL)
		*textp = xstrdup((char *)w.p);
	free_secret(w.p, w.cap);
	free_secret(all, alllen);
}
