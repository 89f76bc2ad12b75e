/*
 * crypto isakmp ..., crypto ipsec ..., crypto map ...: the global lines and
 * the policy, transform-set and crypto map sub-modes.
 *
 * Crypto is havpn's own domain, so an IOS crypto line havpn does not
 * support is an error, never a silent ignore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "conf_int.h"

/* A group havpn has but IKEv1 does not use (31), named as s; or NULL. */
static const struct alg_dh *
ikev2_group(const char *s, const char *prefix)
{
	long	 v;
	size_t	 n = strlen(prefix);

	if (strncasecmp(s, prefix, n) != 0 ||
	    conf_parse_uint(s + n, 1, 32, &v) == -1 ||
	    alg_dh((int)v) == NULL || alg_dh_ikev1((int)v) != NULL)
		return NULL;
	return alg_dh((int)v);
}

static int
group_ikev2_only(struct parser *p, const char *s, const char *prefix)
{
	char	 list[160];

	alg_dh_list(prefix, ", ", list, sizeof(list));
	return conf_perr(p, "\"%s\" (%s) is for IKEv2 only; IKEv1 takes %s",
	    s, ikev2_group(s, prefix)->name, list);
}

static int
parse_group(struct parser *p, const char *s, const char *prefix, int *out)
{
	long	 v;
	size_t	 n = strlen(prefix);
	char	 list[160];

	if (ikev2_group(s, prefix) != NULL)
		return group_ikev2_only(p, s, prefix);
	if (strncasecmp(s, prefix, n) != 0 ||
	    conf_parse_uint(s + n, 1, 32, &v) == -1 ||
	    alg_dh_ikev1((int)v) == NULL) {
		alg_dh_list(prefix, ", ", list, sizeof(list));
		return conf_perr(p, "\"%s\" is not a DH group havpn knows "
		    "(%s)", s, list);
	}
	*out = (int)v;
	return CMD_OK;
}

static void
policy_defaults(struct conf_isakmp_policy *pol)
{
	pol->enc = ALG_ENC_DES;
	pol->keylen = 0;
	pol->hash = ALG_HASH_SHA1;
	pol->auth = CONF_AUTH_RSA_SIG;
	pol->group = 1;
	pol->lifetime = 86400;
}

static int
cmd_isakmp_policy(struct parser *p, struct cline *l)
{
	struct config	*cf = p->cf;
	struct conf_isakmp_policy *pol;
	long		 prio;
	int		 i;

	if (l->nwords > 4 && conf_parse_uint(l->words[3], 1, 10000, &prio) == 0)
		return conf_perr(p,
		    "crypto isakmp policy %ld: unexpected \"%s\" "
		    "after the priority (a note pasted with the line? a "
		    "comment is a line of its own starting with !)", prio,
		    l->rest[4]);
	if (l->nwords != 4 ||
	    conf_parse_uint(l->words[3], 1, 10000, &prio) == -1)
		return conf_perr(p,
		    "crypto isakmp policy takes a priority from 1 "
		    "to 10000");
	for (i = 0; i < cf->npolicies; i++)
		if (cf->policies[i].priority == prio) {
			if (l->negate)
				break;
			return conf_perr(p,
			    "crypto isakmp policy %ld is already "
			    "defined at line %d", prio, cf->policies[i].line);
		}
	if (l->negate) {
		if (i == cf->npolicies)
			return conf_perr(p,
			    "no crypto isakmp policy %ld: no such "
			    "policy", prio);
		memmove(&cf->policies[i], &cf->policies[i + 1],
		    (size_t)(cf->npolicies - i - 1) * sizeof(*cf->policies));
		cf->npolicies--;
		return CMD_OK;
	}
	pol = ARRAY_PUSH(cf->policies, cf->npolicies);
	pol->line = l->lineno;
	pol->priority = (int)prio;
	policy_defaults(pol);
	conf_popen_mode(p, M_POLICY, cf->npolicies - 1, 0);
	return CMD_OK;
}

/* crypto isakmp key [0] KEY address ADDR [MASK] [no-xauth] */
static int
cmd_isakmp_key(struct parser *p, struct cline *l)
{
	struct conf_isakmp_key k, *kp;
	int	 ki = 3, i;

	if (l->negate)
		return conf_perr(p,
		    "\"no crypto isakmp key\" is not supported in "
		    "a configuration file: remove the line instead");
	memset(&k, 0, sizeof(k));
	if (conf_word_is(l, 3, "6") && !conf_word_is(l, 4, "address"))
		return conf_perr(p,
		    "crypto isakmp key 6: encrypted (type 6) keys "
		    "are not supported; give the key in clear text");
	if (conf_word_is(l, 3, "0") && l->nwords > 4 &&
	    !conf_word_is(l, 4, "address"))
		ki = 4;		/* key type 0: clear text */
	if (l->nwords < ki + 3 || !conf_word_is(l, ki + 1, "address"))
		return conf_perr(p, "crypto isakmp key takes KEY address ADDR "
		    "[MASK] [no-xauth]");
	if (strlen(l->words[ki]) > 128)
		return conf_perr(p, "crypto isakmp key: the key is longer than "
		    "128 characters");
	if (conf_secret_ok(p, l->words[ki], "crypto isakmp key", "key") == -1)
		return CMD_ERR;
	if (conf_parse_addr(p, l->words[ki + 2], &k.addr,
	    "crypto isakmp key address") == -1)
		return CMD_ERR;
	k.mask.s_addr = 0xffffffff;
	i = ki + 3;
	if (i < l->nwords && !conf_word_is(l, i, "no-xauth")) {
		if (conf_parse_mask(p, l->words[i], &k.mask) == -1)
			return CMD_ERR;
		i++;
	}
	if (conf_word_is(l, i, "no-xauth")) {
		k.no_xauth = 1;
		i++;
	}
	if (i != l->nwords)
		return conf_perr(p, "crypto isakmp key: unexpected \"%s\"",
		    l->words[i]);
	if ((k.addr.s_addr & ~k.mask.s_addr) != 0)
		return conf_perr(p, "crypto isakmp key: address %s has bits "
		    "outside its mask", l->words[ki + 2]);
	for (int j = 0; j < p->cf->nkeys; j++)
		if (p->cf->keys[j].addr.s_addr == k.addr.s_addr &&
		    p->cf->keys[j].mask.s_addr == k.mask.s_addr)
			return conf_perr(p, "crypto isakmp key: a key for this "
			    "address is already defined at line %d",
			    p->cf->keys[j].line);
	kp = ARRAY_PUSH(p->cf->keys, p->cf->nkeys);
	*kp = k;
	kp->line = l->lineno;
	kp->key = xstrdup(l->words[ki]);
	return CMD_OK;
}

/* crypto isakmp keepalive SECONDS [RETRY] [periodic | on-demand] */
static int
cmd_isakmp_keepalive(struct parser *p, struct cline *l)
{
	long	 secs, retry = 2;
	int	 i = 4, mode = CONF_DPD_ON_DEMAND;

	if (l->negate) {
		p->cf->dpd_interval = 0;
		p->cf->dpd_retry = 2;
		p->cf->dpd_mode = CONF_DPD_ON_DEMAND;
		return CMD_OK;
	}
	if (l->nwords < 4 ||
	    conf_parse_uint(l->words[3], 10, 3600, &secs) == -1)
		return conf_perr(p,
		    "crypto isakmp keepalive takes SECONDS from 10 "
		    "to 3600 [RETRY 2-60] [periodic | on-demand]");
	if (i < l->nwords &&
	    conf_parse_uint(l->words[i], 0, 1000000, &retry) == 0) {
		if (retry < 2 || retry > 60)
			return conf_perr(p, "crypto isakmp keepalive: retry "
			    "interval %ld is out of range (2-60)", retry);
		i++;
	}
	if (conf_word_is(l, i, "periodic")) {
		mode = CONF_DPD_PERIODIC;
		i++;
	} else if (conf_word_is(l, i, "on-demand"))
		i++;
	if (i != l->nwords)
		return conf_perr(p,
		    "crypto isakmp keepalive: unexpected \"%s\"",
		    l->words[i]);
	p->cf->dpd_interval = (int)secs;
	p->cf->dpd_retry = (int)retry;
	p->cf->dpd_mode = mode;
	return CMD_OK;
}

/* crypto isakmp peer address ADDR: opens the peer sub-mode */
static int
cmd_isakmp_peer(struct parser *p, struct cline *l)
{
	struct config	*cf = p->cf;
	struct conf_isakmp_peer *pe;
	struct in_addr	 a;
	int		 i;

	if (l->nwords != 5 || !conf_word_is(l, 3, "address"))
		return conf_perr(p, "crypto isakmp peer takes \"address ADDR\" "
		    "(hostname peers are not supported)");
	if (conf_parse_addr(p, l->words[4], &a, "crypto isakmp peer address") ==
	    -1)
		return CMD_ERR;
	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].addr.s_addr == a.s_addr)
			break;
	if (l->negate) {
		if (i == cf->npeers)
			return conf_perr(p,
			    "no crypto isakmp peer: no such peer");
		if (cf->peers[i].password != NULL)
			free_secret(cf->peers[i].password,
			    strlen(cf->peers[i].password));
		memmove(&cf->peers[i], &cf->peers[i + 1],
		    (size_t)(cf->npeers - i - 1) * sizeof(*cf->peers));
		cf->npeers--;
		return CMD_OK;
	}
	if (i == cf->npeers) {
		pe = ARRAY_PUSH(cf->peers, cf->npeers);
		pe->line = l->lineno;
		pe->addr = a;
	}
	conf_popen_mode(p, M_PEER, i, 0);
	return CMD_OK;
}

int
conf_mode_peer(struct parser *p, struct cline *l)
{
	struct conf_isakmp_peer *pe = &p->cf->peers[p->stack[p->depth - 1].idx];

	if (!conf_word_is(l, 0, "set") ||
	    !conf_word_is(l, 1, "aggressive-mode"))
		return CMD_UNKNOWN;
	if (conf_word_is(l, 2, "client-endpoint")) {
		if (l->negate) {
			pe->have_endpoint = 0;
			pe->endpoint.s_addr = 0;
			return CMD_OK;
		}
		if (l->nwords != 5 || !conf_word_is(l, 3, "ipv4-address"))
			return conf_perr(p,
			    "set aggressive-mode client-endpoint "
			    "takes \"ipv4-address ADDR\" (fqdn and user-fqdn "
			    "are not supported)");
		if (conf_parse_addr(p, l->words[4], &pe->endpoint,
		    "client-endpoint") == -1)
			return CMD_ERR;
		pe->have_endpoint = 1;
		return CMD_OK;
	}
	if (conf_word_is(l, 2, "password")) {
		if (pe->password != NULL)
			free_secret(pe->password, strlen(pe->password));
		pe->password = NULL;
		if (l->negate)
			return CMD_OK;
		if (l->nwords != 4 || strlen(l->words[3]) > 128)
			return conf_perr(p,
			    "set aggressive-mode password takes one "
			    "key of up to 128 characters");
		if (conf_secret_ok(p, l->words[3], "set aggressive-mode "
		    "password", "password") == -1)
			return CMD_ERR;
		pe->password = xstrdup(l->words[3]);
		return CMD_OK;
	}
	return conf_perr(p, "set aggressive-mode takes client-endpoint or "
	    "password");
}

static int
cmd_isakmp(struct parser *p, struct cline *l)
{
	long	 v;

	if (conf_word_is(l, 2, "policy"))
		return cmd_isakmp_policy(p, l);
	if (conf_word_is(l, 2, "key"))
		return cmd_isakmp_key(p, l);
	if (conf_word_is(l, 2, "peer"))
		return cmd_isakmp_peer(p, l);
	if (conf_word_is(l, 2, "keepalive"))
		return cmd_isakmp_keepalive(p, l);
	if (conf_word_is(l, 2, "aggressive-mode")) {
		if (l->nwords != 4 || !conf_word_is(l, 3, "disable"))
			return conf_perr(p, "expected \"crypto isakmp "
			    "aggressive-mode disable\"");
		p->cf->aggressive_disable = !l->negate;
		return CMD_OK;
	}
	if (conf_word_is(l, 2, "nat") && conf_word_is(l, 3, "keepalive")) {
		if (l->negate) {
			p->cf->nat_keepalive = 0;
			return CMD_OK;
		}
		if (l->nwords != 5 ||
		    conf_parse_uint(l->words[4], 5, 3600, &v) == -1)
			return conf_perr(p, "crypto isakmp nat keepalive takes "
			    "SECONDS from 5 to 3600");
		p->cf->nat_keepalive = (int)v;
		return CMD_OK;
	}
	if (l->nwords > 2 && strncasecmp(l->words[2], "policy", 6) == 0 &&
	    conf_parse_uint(l->words[2] + 6, 0, 1000000, &v) == 0)
		return conf_perr(p, "\"crypto isakmp %s\": a space is missing; "
		    "write \"crypto isakmp policy %s\"", l->words[2],
		    l->words[2] + 6);
	return conf_perr(p, "\"crypto isakmp %s\" is not supported by havpn",
	    l->nwords > 2 ? l->words[2] : "");
}

/*
 * ESP-ENC: esp-3des, esp-aes [128|192|256], esp-gcm [128|256];
 * ESP-AUTH: esp-md5-hmac ... esp-sha512-hmac.  Either order, as IOS.
 * The words and key sizes are alg/'s.
 */
static const char *
key_sizes(const struct alg_cipher *c, char *buf, size_t len)
{
	size_t	 n = 0;
	int	 k = 0;

	while (k < ALG_MAX_KEYSIZES && c->bits[k] != 0)
		k++;
	buf[0] = '\0';
	for (int i = 0; i < k && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%d", i == 0 ? "" :
		    i == k - 1 ? " or " : ", ", c->bits[i]);
	return buf;
}

/*
 * A family's words for a message, the last after last instead of ", ";
 * with sizes, a cipher's key sizes follow its word: "aes [128|192|256]".
 */
static const char *
cipher_words(const struct alg_cipher *t, size_t n, const char *last,
    int sizes, char *buf, size_t len)
{
	size_t	 k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && k < len; i++) {
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i == 0 ? "" :
		    i == n - 1 ? last : ", ", t[i].word);
		for (int j = 0; sizes && alg_cipher_varkey(&t[i]) &&
		    j < ALG_MAX_KEYSIZES && t[i].bits[j] != 0 && k < len; j++)
			k += (size_t)snprintf(buf + k, len - k, "%s%d",
			    j == 0 ? " [" : "|", t[i].bits[j]);
		if (sizes && alg_cipher_varkey(&t[i]) && k < len)
			k += (size_t)snprintf(buf + k, len - k, "]");
	}
	return buf;
}

static int
cmd_transform_set(struct parser *p, struct cline *l)
{
	struct conf_transform_set t, *tp;
	struct config	*cf = p->cf;
	int		 i = 4, have_enc = 0, have_auth = 0;
	long		 bits;
	const struct alg_cipher *c;
	const struct alg_hmac *h;
	char		 sizes[64];

	if (l->nwords < 4)
		return conf_perr(p, "crypto ipsec transform-set takes NAME "
		    "ESP-ENC [ESP-AUTH]");
	if (!conf_name_valid(l->words[3]))
		return conf_perr(p, "transform-set name \"%s\" is not valid",
		    l->words[3]);
	if (l->negate) {
		for (int j = 0; j < cf->ntsets; j++)
			if (strcmp(cf->tsets[j].name, l->words[3]) == 0) {
				free(cf->tsets[j].name);
				memmove(&cf->tsets[j], &cf->tsets[j + 1],
				    (size_t)(cf->ntsets - j - 1) *
				    sizeof(*cf->tsets));
				cf->ntsets--;
				return CMD_OK;
			}
		return conf_perr(p, "no transform-set named \"%s\"",
		    l->words[3]);
	}
	memset(&t, 0, sizeof(t));
	while (i < l->nwords) {
		const char *w = l->words[i++];

		if ((c = alg_esp_enc_by_word(w)) != NULL) {
			if (have_enc++)
				return conf_perr(p,
				    "transform-set %s: more than "
				    "one encryption transform", l->words[3]);
			t.enc = c->id;
			t.keylen = c->bits[0];
			if (!alg_cipher_varkey(c))
				continue;
			if (i < l->nwords &&
			    conf_parse_uint(l->words[i], 0, 100000,
			    &bits) == 0) {
				i++;
				if (alg_cipher_size(c, (int)bits) == -1)
					return conf_perr(p, "%s: key size %ld "
					    "is not valid (%s)", w, bits,
					    key_sizes(c, sizes, sizeof(sizes)));
				t.keylen = (int)bits;
			}
			continue;
		}
		if ((h = alg_esp_auth_by_word(w)) != NULL) {
			if (have_auth++)
				return conf_perr(p,
				    "transform-set %s: more than "
				    "one authentication transform",
				    l->words[3]);
			t.auth = h->id;
			continue;
		}
		if (strcasecmp(w, "esp-des") == 0 ||
		    strcasecmp(w, "esp-null") == 0 ||
		    strncasecmp(w, "ah-", 3) == 0 ||
		    strcasecmp(w, "comp-lzs") == 0 ||
		    strcasecmp(w, "esp-seal") == 0 ||
		    strcasecmp(w, "esp-gmac") == 0)
			return conf_perr(p,
			    "transform \"%s\" is not supported by "
			    "havpn", w);
		return conf_perr(p, "unknown transform \"%s\"", w);
	}
	if (!have_enc)
		return conf_perr(p, "transform-set %s has no ESP encryption "
		    "transform (%s)", l->words[3],
		    cipher_words(alg_esp_enc_table, alg_esp_enc_count, ", ", 0,
		    sizes, sizeof(sizes)));
	c = alg_esp_enc(t.enc);
	if (c->icv != 0 && have_auth)
		return conf_perr(p, "transform-set %s: %s authenticates "
		    "itself and takes no ESP-AUTH transform", l->words[3],
		    c->word);
	if (c->icv == 0 && !have_auth)
		return conf_perr(p, "transform-set %s: %s needs an ESP-AUTH "
		    "transform (esp-sha256-hmac, ...): ESP without "
		    "integrity is not offered", l->words[3], c->word);
	for (int j = 0; j < cf->ntsets; j++)
		if (strcmp(cf->tsets[j].name, l->words[3]) == 0)
			return conf_perr(p,
			    "transform-set %s is already defined "
			    "at line %d", l->words[3], cf->tsets[j].line);
	tp = ARRAY_PUSH(cf->tsets, cf->ntsets);
	*tp = t;
	tp->line = l->lineno;
	tp->name = xstrdup(l->words[3]);
	conf_popen_mode(p, M_TSET, cf->ntsets - 1, 0);
	return CMD_OK;
}

static int
cmd_ipsec_sa(struct parser *p, struct cline *l)
{
	long	 v;

	if (conf_word_is(l, 3, "lifetime")) {
		if (conf_word_is(l, 4, "seconds")) {
			if (l->negate) {
				p->cf->sa_life_seconds = 3600;
				return CMD_OK;
			}
			if (l->nwords != 6 ||
			    conf_parse_uint(l->words[5], 30, 86400, &v) == -1)
				return conf_perr(p,
				    "security-association lifetime "
				    "seconds takes 30 to 86400");
			p->cf->sa_life_seconds = (uint32_t)v;
			return CMD_OK;
		}
		if (conf_word_is(l, 4, "kilobytes")) {
			if (l->negate) {
				p->cf->sa_life_kbytes = 4608000;
				return CMD_OK;
			}
			if (l->nwords != 6 || conf_parse_uint(l->words[5], 2560,
			    4294967295L, &v) == -1)
				return conf_perr(p,
				    "security-association lifetime "
				    "kilobytes takes 2560 to 4294967295");
			p->cf->sa_life_kbytes = (uint32_t)v;
			return CMD_OK;
		}
		return conf_perr(p, "expected lifetime seconds N or lifetime "
		    "kilobytes N");
	}
	if (conf_word_is(l, 3, "replay") && conf_word_is(l, 4, "window-size")) {
		if (l->negate) {
			p->cf->replay_window = 64;
			return CMD_OK;
		}
		if (l->nwords != 6 ||
		    conf_parse_uint(l->words[5], 64, 1024, &v) == -1 ||
		    (v & (v - 1)) != 0)
			return conf_perr(p,
			    "replay window-size takes 64, 128, 256, "
			    "512 or 1024");
		p->cf->replay_window = (int)v;
		return CMD_OK;
	}
	return conf_perr(p, "\"crypto ipsec security-association %s\" is not "
	    "supported by havpn", l->nwords > 3 ? l->words[3] : "");
}

static struct conf_crypto_map *
map_get(struct config *cf, const char *name, int line)
{
	struct conf_crypto_map *m;

	for (int i = 0; i < cf->nmaps; i++)
		if (strcmp(cf->maps[i].name, name) == 0)
			return &cf->maps[i];
	m = ARRAY_PUSH(cf->maps, cf->nmaps);
	m->name = xstrdup(name);
	m->line = line;
	m->replay_in = 1000;
	m->replay_out = 1000;
	return m;
}

/* crypto map NAME redundancy replay-interval inbound N outbound N */
static int
cmd_map_replay(struct parser *p, struct cline *l)
{
	struct conf_crypto_map *m;
	long	 in, out;

	if (l->negate) {
		m = map_get(p->cf, l->words[2], l->lineno);
		m->replay_in = m->replay_out = 1000;
		m->replay_line = 0;
		return CMD_OK;
	}
	if (l->nwords != 9 || !conf_word_is(l, 4, "replay-interval") ||
	    !conf_word_is(l, 5, "inbound") || !conf_word_is(l, 7, "outbound"))
		return conf_perr(p, "expected crypto map NAME redundancy "
		    "replay-interval inbound N outbound N");
	if (conf_parse_uint(l->words[6], 1, 100000, &in) == -1)
		return conf_perr(p, "replay-interval inbound takes 1 to 100000 "
		    "packets");
	if (conf_parse_uint(l->words[8], 1, 100000, &out) == -1)
		return conf_perr(p,
		    "replay-interval outbound takes 1 to 100000 "
		    "packets");
	m = map_get(p->cf, l->words[2], l->lineno);
	if (m->replay_line != 0)
		return conf_perr(p,
		    "crypto map %s: replay-interval is already set "
		    "at line %d", m->name, m->replay_line);
	m->replay_in = (uint32_t)in;
	m->replay_out = (uint32_t)out;
	m->replay_line = l->lineno;
	return CMD_OK;
}

/* crypto map NAME SEQ [ipsec-isakmp] */
static int
cmd_map(struct parser *p, struct cline *l)
{
	struct conf_crypto_map *m;
	struct conf_map_entry *e;
	long	 seq;
	int	 i;

	if (l->nwords < 3 || !conf_name_valid(l->words[2]))
		return conf_perr(p, "crypto map takes NAME SEQ ipsec-isakmp");
	if (conf_word_is(l, 3, "redundancy"))
		return cmd_map_replay(p, l);
	if (conf_word_is(l, 3, "interface"))
		return conf_perr(p,
		    "\"crypto map %s interface ...\" is ASA syntax; "
		    "on IOS apply the map under the interface: \"interface "
		    "eth0\", then \" crypto map %s\"", l->words[2],
		    l->words[2]);
	if (l->nwords < 4 || conf_parse_uint(l->words[3], 1, 65535, &seq) == -1)
		return conf_perr(p, "crypto map %s: expected a sequence number "
		    "from 1 to 65535, then ipsec-isakmp", l->words[2]);
	if (l->nwords > 4 && (conf_word_is(l, 4, "match") ||
	    conf_word_is(l, 4, "set")))
		return conf_perr(p,
		    "\"crypto map %s %ld %s ...\" is ASA syntax; on "
		    "IOS open the entry with \"crypto map %s %ld "
		    "ipsec-isakmp\" and write \" %s\" under it",
		    l->words[2], seq, l->words[4], l->words[2], seq,
		    l->rest[4]);
	if (l->nwords > 4 && !conf_word_is(l, 4, "ipsec-isakmp"))
		return conf_perr(p,
		    "crypto map %s %ld %s is not supported (only "
		    "ipsec-isakmp)", l->words[2], seq, l->words[4]);
	if (l->nwords > 5)
		return conf_perr(p,
		    "crypto map %s %ld ipsec-isakmp: unexpected "
		    "\"%s\" (dynamic maps and profiles are not supported)",
		    l->words[2], seq, l->words[5]);
	m = map_get(p->cf, l->words[2], l->lineno);
	for (i = 0; i < m->nentries; i++)
		if (m->entries[i].seq == seq)
			return conf_perr(p,
			    "crypto map %s %ld is already defined "
			    "at line %d", m->name, seq, m->entries[i].line);
	if (l->negate)
		return conf_perr(p, "no crypto map %s %ld: no such entry",
		    m->name, seq);
	e = ARRAY_PUSH(m->entries, m->nentries);
	e->line = l->lineno;
	e->seq = (int)seq;
	conf_popen_mode(p, M_MAP, (int)(m - p->cf->maps), m->nentries - 1);
	return CMD_OK;
}

/*
 * crypto ipsec tunnel-interface NAME: havpn's TUN device for the userspace
 * data plane (default havpn0).  A Linux interface name: 1-15 characters,
 * no '/', no blanks, not "." or "..".
 */
static int
cmd_tunnel_interface(struct parser *p, struct cline *l)
{
	const char	*n;

	if (l->negate) {
		free(p->cf->tunnel_ifname);
		p->cf->tunnel_ifname = NULL;
		return CMD_OK;
	}
	if (l->nwords != 4)
		return conf_perr(p,
		    "crypto ipsec tunnel-interface takes one NAME");
	n = l->words[3];
	if (strlen(n) > 15 || strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
	    strpbrk(n, "/:") != NULL)
		return conf_perr(p, "tunnel-interface \"%s\" is not a valid "
		    "interface name (1-15 characters, no '/' or ':')", n);
	free(p->cf->tunnel_ifname);
	p->cf->tunnel_ifname = xstrdup(n);
	return CMD_OK;
}

int
conf_global_crypto(struct parser *p, struct cline *l)
{
	if (conf_word_is(l, 1, "isakmp"))
		return cmd_isakmp(p, l);
	if (conf_word_is(l, 1, "ipsec") && conf_word_is(l, 2, "transform-set"))
		return cmd_transform_set(p, l);
	if (conf_word_is(l, 1, "ipsec") &&
	    conf_word_is(l, 2, "security-association"))
		return cmd_ipsec_sa(p, l);
	if (conf_word_is(l, 1, "ipsec") &&
	    conf_word_is(l, 2, "tunnel-interface"))
		return cmd_tunnel_interface(p, l);
	if (conf_word_is(l, 1, "map"))
		return cmd_map(p, l);
	if (conf_word_is(l, 1, "ikev2"))
		return conf_global_ikev2(p, l);
	if (conf_word_is(l, 1, "ikev1") || (conf_word_is(l, 1, "ipsec") &&
	    conf_word_is(l, 2, "ikev1")))
		return conf_perr(p, "\"%s\" is ASA syntax; on IOS: \"crypto "
		    "isakmp policy N\" for an ikev1 policy, \"crypto ipsec "
		    "transform-set NAME ESP-ENC ESP-AUTH\" for an ikev1 "
		    "transform-set, and no enable line (havpn listens on its "
		    "addresses)", l->rest[0]);
	if (conf_word_is(l, 1, "pki") || conf_word_is(l, 1, "key"))
		return CMD_UNKNOWN;	/* certificates: see the ignore list */
	return conf_perr(p, "\"crypto %s\" is not supported by havpn",
	    l->nwords > 1 ? l->words[1] : "");
}

int
conf_mode_policy(struct parser *p, struct cline *l)
{
	struct conf_isakmp_policy *pol, def;
	long	 v;
	const char *w0 = l->words[0];
	const struct alg_cipher *c;
	const struct alg_hmac *h;
	char	 sizes[160];

	pol = &p->cf->policies[p->stack[p->depth - 1].idx];
	policy_defaults(&def);
	if (strcasecmp(w0, "encryption") == 0 || strcasecmp(w0, "encr") == 0) {
		if (l->negate) {
			pol->enc = def.enc;
			pol->keylen = 0;
			return CMD_OK;
		}
		c = l->nwords >= 2 ? alg_enc_by_word(l->words[1]) : NULL;
		if (c != NULL && !alg_cipher_varkey(c) && l->nwords == 2) {
			pol->enc = c->id;
			pol->keylen = 0;
		} else if (c != NULL && alg_cipher_varkey(c) &&
		    l->nwords <= 3) {
			v = c->bits[0];
			if (l->nwords == 3 &&
			    (conf_parse_uint(l->words[2], 1, 100000,
			    &v) == -1 || alg_cipher_size(c, (int)v) == -1))
				return conf_perr(p, "encryption %s takes %s",
				    c->word, key_sizes(c, sizes,
				    sizeof(sizes)));
			pol->enc = c->id;
			pol->keylen = (int)v;
		} else
			return conf_perr(p, "encryption takes %s",
			    cipher_words(alg_enc_table, alg_enc_count, " or ",
			    1, sizes, sizeof(sizes)));
		return CMD_OK;
	}
	if (strcasecmp(w0, "hash") == 0) {
		if (l->negate) {
			pol->hash = def.hash;
			return CMD_OK;
		}
		if (l->nwords == 2 && (h = alg_hash_by_word(l->words[1])) !=
		    NULL) {
			pol->hash = h->id;
			return CMD_OK;
		}
		alg_hash_list(" or ", sizes, sizeof(sizes));
		return conf_perr(p, "hash takes %s", sizes);
	}
	if (strcasecmp(w0, "authentication") == 0) {
		if (l->negate)
			pol->auth = def.auth;
		else if (conf_word_is(l, 1, "pre-share") && l->nwords == 2)
			pol->auth = CONF_AUTH_PSK;
		else if (conf_word_is(l, 1, "rsa-sig") && l->nwords == 2)
			pol->auth = CONF_AUTH_RSA_SIG;
		else if (conf_word_is(l, 1, "rsa-encr") ||
		    conf_word_is(l, 1, "ecdsa-sig"))
			return conf_perr(p,
			    "authentication %s is not supported "
			    "(pre-share only)", l->words[1]);
		else
			return conf_perr(p, "authentication takes pre-share or "
			    "rsa-sig");
		return CMD_OK;
	}
	if (strcasecmp(w0, "group") == 0) {
		int g;

		if (l->negate) {
			pol->group = def.group;
			return CMD_OK;
		}
		if (l->nwords == 2 && ikev2_group(l->words[1], "") != NULL)
			return group_ikev2_only(p, l->words[1], "");
		if (l->nwords != 2 ||
		    parse_group(p, l->words[1], "", &g) != CMD_OK) {
			alg_dh_list("", " or ", sizes, sizeof(sizes));
			return conf_perr(p, "group takes %s", sizes);
		}
		pol->group = g;
		return CMD_OK;
	}
	if (strcasecmp(w0, "lifetime") == 0) {
		if (l->negate) {
			pol->lifetime = def.lifetime;
			return CMD_OK;
		}
		if (l->nwords != 2 ||
		    conf_parse_uint(l->words[1], 60, 86400, &v) == -1)
			return conf_perr(p,
			    "lifetime takes 60 to 86400 seconds");
		pol->lifetime = (uint32_t)v;
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}

int
conf_mode_tset(struct parser *p, struct cline *l)
{
	struct conf_transform_set *t;

	t = &p->cf->tsets[p->stack[p->depth - 1].idx];
	if (!conf_word_is(l, 0, "mode"))
		return CMD_UNKNOWN;
	if (l->negate)
		t->transport = 0;
	else if (l->nwords == 2 && conf_word_is(l, 1, "tunnel"))
		t->transport = 0;
	else if (l->nwords == 2 && conf_word_is(l, 1, "transport"))
		t->transport = 1;
	else
		return conf_perr(p, "mode takes tunnel or transport");
	return CMD_OK;
}

static int
map_set(struct parser *p, struct cline *l, struct conf_map_entry *e)
{
	long	 v;
	int	 g;

	if (conf_word_is(l, 1, "peer")) {
		struct in_addr a;

		if (l->negate) {
			e->have_peer = 0;
			return CMD_OK;
		}
		if (l->nwords != 3)
			return conf_perr(p, "set peer takes one ADDR");
		if (conf_parse_addr(p, l->words[2], &a, "set peer") == -1)
			return CMD_ERR;
		if (e->have_peer)
			return conf_perr(p, "set peer: this entry has a peer "
			    "already; havpn supports one peer per crypto map "
			    "entry");
		e->have_peer = 1;
		e->peer = a;
		return CMD_OK;
	}
	if (conf_word_is(l, 1, "transform-set")) {
		if (!l->negate && (l->nwords < 3 || l->nwords > 8))
			return conf_perr(p, "set transform-set takes 1 to 6 "
			    "transform-set names");
		for (int i = 0; i < e->ntsets; i++)
			free(e->tsets[i]);
		free(e->tsets);
		e->tsets = NULL;
		e->ntsets = 0;
		if (l->negate)
			return CMD_OK;
		for (int i = 2; i < l->nwords; i++) {
			for (int j = 0; j < e->ntsets; j++)
				if (strcmp(e->tsets[j], l->words[i]) == 0)
					return conf_perr(p,
					    "set transform-set: %s "
					    "is named twice", l->words[i]);
			*ARRAY_PUSH(e->tsets, e->ntsets) =
			    xstrdup(l->words[i]);
		}
		e->tsets_line = l->lineno;
		return CMD_OK;
	}
	if (conf_word_is(l, 1, "pfs")) {
		if (l->negate) {
			e->pfs_group = 0;
			return CMD_OK;
		}
		if (l->nwords == 2) {
			e->pfs_group = 1;	/* IOS: set pfs = group1 */
			return CMD_OK;
		}
		if (l->nwords == 4 && conf_word_is(l, 2, "group"))
			return conf_perr(p,
			    "set pfs takes the group as one word: "
			    "\"set pfs group%s\", as IOS writes it",
			    l->words[3]);
		if (l->nwords != 3)
			return conf_perr(p,
			    "set pfs takes one DH group (group1, "
			    "group2, group5, group14, ...)");
		if (parse_group(p, l->words[2], "group", &g) != CMD_OK)
			return CMD_ERR;
		e->pfs_group = g;
		return CMD_OK;
	}
	if (conf_word_is(l, 1, "ikev2-profile"))
		return conf_map_ikev2_profile(p, l, e);
	if (conf_word_is(l, 1, "security-association") &&
	    conf_word_is(l, 2, "lifetime")) {
		if (conf_word_is(l, 3, "seconds")) {
			if (l->negate) {
				e->life_seconds = 0;
				return CMD_OK;
			}
			if (l->nwords != 5 ||
			    conf_parse_uint(l->words[4], 30, 86400, &v) == -1)
				return conf_perr(p, "set security-association "
				    "lifetime seconds takes 30 to 86400");
			e->life_seconds = (uint32_t)v;
			return CMD_OK;
		}
		if (conf_word_is(l, 3, "kilobytes")) {
			if (l->negate) {
				e->life_kbytes = 0;
				return CMD_OK;
			}
			if (l->nwords != 5 || conf_parse_uint(l->words[4], 2560,
			    4294967295L, &v) == -1)
				return conf_perr(p, "set security-association "
				    "lifetime kilobytes takes 2560 to "
				    "4294967295");
			e->life_kbytes = (uint32_t)v;
			return CMD_OK;
		}
		return conf_perr(p,
		    "expected set security-association lifetime "
		    "{seconds N | kilobytes N}");
	}
	return conf_perr(p, "\"set %s\" is not supported in a crypto map entry",
	    l->nwords > 1 ? l->words[1] : "");
}

int
conf_mode_map(struct parser *p, struct cline *l)
{
	struct mode_frame *f = &p->stack[p->depth - 1];
	struct conf_map_entry *e = &p->cf->maps[f->idx].entries[f->idx2];

	if (conf_word_is(l, 0, "set"))
		return map_set(p, l, e);
	if (conf_word_is(l, 0, "match") && conf_word_is(l, 1, "address")) {
		if (l->negate) {
			free(e->acl);
			e->acl = NULL;
			return CMD_OK;
		}
		if (l->nwords != 3 || !conf_name_valid(l->words[2]))
			return conf_perr(p,
			    "match address takes one ACL name or "
			    "number");
		free(e->acl);
		e->acl = xstrdup(l->words[2]);
		e->acl_line = l->lineno;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "reverse-route")) {
		if (l->nwords != 1)
			return conf_perr(p, "reverse-route takes no options in "
			    "havpn (static, remote-peer: not supported)");
		e->reverse_route = !l->negate;
		return CMD_OK;
	}
	return CMD_UNKNOWN;
}
