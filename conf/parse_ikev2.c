/*
 * The IKEv2 dialect of IOS: crypto ikev2 proposal, policy, keyring (with
 * its peers) and profile, and the checks across them once the file is
 * read.  A crypto map entry takes IKEv2 with "set ikev2-profile NAME".
 *
 *   crypto ikev2 proposal NAME
 *    encryption {aes-cbc-128|aes-cbc-192|aes-cbc-256|aes-gcm-128|aes-gcm-256}...
 *    integrity {sha1|sha256|sha384|sha512} ...
 *    prf {sha1|sha256|sha384|sha512} ...
 *    group {14|15|16|19|20|21|31} ...
 *   crypto ikev2 policy NAME
 *    proposal NAME ...
 *    match address local ADDR
 *   crypto ikev2 keyring NAME
 *    peer NAME
 *     address ADDR [MASK]
 *     identity {address ADDR | fqdn NAME}
 *     pre-shared-key [local|remote] [0] KEY
 *   crypto ikev2 profile NAME
 *    match identity remote {address ADDR [MASK] | fqdn NAME}
 *    identity local {address ADDR | fqdn NAME}
 *    authentication {local|remote} pre-share
 *    keyring local NAME
 *    lifetime SECONDS
 *    dpd INTERVAL RETRY {on-demand|periodic}
 *
 * Algorithm lists grow line by line, as on IOS (a second "encryption"
 * line adds to the first); "no encryption" empties the list.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "conf_int.h"

static const struct {
	const char	*word;
	int		 gcm;
	int		 bits;
} v2enc[] = {
	{ "aes-cbc-128", 0, 128 }, { "aes-cbc-192", 0, 192 },
	{ "aes-cbc-256", 0, 256 }, { "aes-gcm-128", 1, 128 },
	{ "aes-gcm-256", 1, 256 },
};

/* integrity and prf words: IOS names the hash with its size */
static const struct {
	const char	*word;
	enum alg_hash	 hash;
} v2hash[] = {
	{ "sha1", ALG_HASH_SHA1 }, { "sha256", ALG_HASH_SHA256 },
	{ "sha384", ALG_HASH_SHA384 }, { "sha512", ALG_HASH_SHA512 },
};

/* The DH groups of the dialect: 31 is Curve25519. */
static const int v2groups[] = { 14, 15, 16, 19, 20, 21, 31 };

const char *
conf_v2enc_word(const struct conf_ikev2_enc *e)
{
	for (size_t i = 0; i < nitems(v2enc); i++)
		if (v2enc[i].gcm == e->gcm && v2enc[i].bits == e->bits)
			return v2enc[i].word;
	return "?";
}

const char *
conf_v2hash_word(enum alg_hash h)
{
	for (size_t i = 0; i < nitems(v2hash); i++)
		if (v2hash[i].hash == h)
			return v2hash[i].word;
	return "?";
}

/* ---- helpers ------------------------------------------------------------- */

static void
ref_set(struct conf_ref *r, const char *name, int line)
{
	free(r->name);
	r->name = name != NULL ? xstrdup(name) : NULL;
	r->line = line;
}

static void
id_clear(struct conf_ike_id *id)
{
	free(id->fqdn);
	memset(id, 0, sizeof(*id));
}

/*
 * An FQDN as an identity: what IOS takes (letters, digits, '-', '.'),
 * 1-255 characters.
 */
static int
fqdn_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '-' || s[i] == '.' || s[i] == '_' ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* identity {address ADDR | fqdn NAME}, words from i on */
static int
parse_id(struct parser *p, struct cline *l, int i, const char *what,
    struct conf_ike_id *out)
{
	struct conf_ike_id id;

	memset(&id, 0, sizeof(id));
	if (l->nwords == i + 2 && conf_word_is(l, i, "address")) {
		if (conf_parse_addr(p, l->words[i + 1], &id.addr, what) == -1)
			return CMD_ERR;
		id.type = CONF_ID_ADDRESS;
	} else if (l->nwords == i + 2 && conf_word_is(l, i, "fqdn")) {
		if (!fqdn_valid(l->words[i + 1]))
			return conf_perr(p, "%s fqdn: \"%s\" is not a host "
			    "name (letters, digits, '-', '.', up to 255)",
			    what, l->words[i + 1]);
		id.type = CONF_ID_FQDN;
		id.fqdn = xstrdup(l->words[i + 1]);
	} else
		return conf_perr(p, "%s takes \"address ADDR\" or \"fqdn "
		    "NAME\"%s", what, i < l->nwords &&
		    !conf_word_is(l, i, "address") &&
		    !conf_word_is(l, i, "fqdn") ? " (email, key-id and dn "
		    "identities are not supported)" : "");
	id_clear(out);
	*out = id;
	return CMD_OK;
}

/* ---- crypto ikev2 {proposal|policy|keyring|profile} NAME ---------------- */

/* The index of the element of arr[0, n) named name, or -1. */
#define NAMED_FIND(arr, n, nm, out) do {				\
	(out) = -1;							\
	for (int i_ = 0; i_ < (n); i_++)				\
		if (strcmp((arr)[i_].name, (nm)) == 0) {		\
			(out) = i_;					\
			break;						\
		}							\
} while (0)

static void
proposal_free(struct conf_ikev2_proposal *x)
{
	free(x->name);
}

static void
policy_free(struct conf_ikev2_policy *x)
{
	for (int i = 0; i < x->nproposals; i++)
		free(x->proposals[i].name);
	free(x->proposals);
	free(x->local);
	free(x->name);
}

static void
kpeer_free(struct conf_ikev2_kpeer *x)
{
	free(x->name);
	id_clear(&x->id);
	if (x->psk_local != NULL)
		free_secret(x->psk_local, strlen(x->psk_local));
	if (x->psk_remote != NULL)
		free_secret(x->psk_remote, strlen(x->psk_remote));
}

static void
keyring_free(struct conf_ikev2_keyring *x)
{
	for (int i = 0; i < x->npeers; i++)
		kpeer_free(&x->peers[i]);
	free(x->peers);
	free(x->name);
}

static void
profile_free(struct conf_ikev2_profile *x)
{
	for (int i = 0; i < x->nmatch; i++)
		free(x->match[i].fqdn);
	free(x->match);
	id_clear(&x->local_id);
	free(x->keyring.name);
	free(x->name);
}

void
conf_free_ikev2(struct config *cf)
{
	for (int i = 0; i < cf->nv2proposals; i++)
		proposal_free(&cf->v2proposals[i]);
	free(cf->v2proposals);
	for (int i = 0; i < cf->nv2policies; i++)
		policy_free(&cf->v2policies[i]);
	free(cf->v2policies);
	for (int i = 0; i < cf->nv2keyrings; i++)
		keyring_free(&cf->v2keyrings[i]);
	free(cf->v2keyrings);
	for (int i = 0; i < cf->nv2profiles; i++)
		profile_free(&cf->v2profiles[i]);
	free(cf->v2profiles);
}

/*
 * Open the object named l->words[3] of arr (making it if new), or remove
 * it when the line is negated.  0: the index is in out.
 */
#define NAMED_OPEN(p, l, arr, n, freefn, out) do {			\
	NAMED_FIND(arr, n, (l)->words[3], out);				\
	if ((l)->negate) {						\
		if ((out) == -1)					\
			return conf_perr(p, "no crypto ikev2 %s %s: no "	\
			    "such %s", (l)->words[2], (l)->words[3],	\
			    (l)->words[2]);				\
		freefn(&(arr)[out]);					\
		memmove(&(arr)[out], &(arr)[(out) + 1],			\
		    (size_t)((n) - (out) - 1) * sizeof(*(arr)));	\
		(n)--;							\
		return CMD_OK;						\
	}								\
	if ((out) == -1) {						\
		ARRAY_PUSH(arr, n);					\
		(out) = (n) - 1;					\
		(arr)[out].line = (l)->lineno;				\
		(arr)[out].name = xstrdup((l)->words[3]);		\
	}								\
} while (0)

/*
 * [no] crypto ikev2 fragmentation [mtu N] (RFC 7383): without the line
 * havpn offers fragmentation with fragments of CONF_V2_FRAG_MTU; the line
 * alone means IOS's 576; "no" never offers it.
 */
static int
frag_line(struct parser *p, struct cline *l)
{
	long	 v = 576;

	if (l->negate) {
		if (l->nwords != 3)
			return conf_perr(p, "no crypto ikev2 fragmentation "
			    "takes no arguments");
		p->cf->v2_frag_mtu = -1;
		return CMD_OK;
	}
	if (l->nwords != 3 && (l->nwords != 5 || !conf_word_is(l, 3, "mtu") ||
	    conf_parse_uint(l->words[4], CONF_V2_FRAG_MTU_MIN, 1500,
	    &v) == -1))
		return conf_perr(p, "crypto ikev2 fragmentation takes "
		    "\"mtu N\", N from %d to 1500 bytes (the IP datagram of "
		    "a fragment)", CONF_V2_FRAG_MTU_MIN);
	p->cf->v2_frag_mtu = (int)v;
	return CMD_OK;
}

/* crypto ikev2 {proposal|policy|keyring|profile} NAME */
int
conf_global_ikev2(struct parser *p, struct cline *l)
{
	struct config	*cf = p->cf;
	enum conf_mode	 mode;
	int		 i;

	if (conf_word_is(l, 2, "cookie-challenge")) {
		long	 v;

		if (l->nwords != 4 || conf_parse_uint(l->words[3], 1, 1000,
		    &v) == -1)
			return conf_perr(p, "crypto ikev2 cookie-challenge "
			    "takes a number of half-open SAs from 1 to 1000");
		cf->v2_cookie_challenge = (int)v;
		return CMD_OK;
	}
	if (conf_word_is(l, 2, "fragmentation"))
		return frag_line(p, l);
	if (!conf_word_is(l, 2, "proposal") && !conf_word_is(l, 2, "policy") &&
	    !conf_word_is(l, 2, "keyring") && !conf_word_is(l, 2, "profile"))
		return conf_perr(p, "\"crypto ikev2 %s\" is not supported by "
		    "havpn (proposal, policy, keyring, profile, "
		    "cookie-challenge and fragmentation are)",
		    l->nwords > 2 ? l->words[2] : "");
	if (l->nwords != 4 || !conf_name_valid(l->words[3]))
		return conf_perr(p, "crypto ikev2 %s takes one NAME (1-64 "
		    "printable characters)", l->words[2]);
	if (conf_word_is(l, 3, "default"))
		return conf_perr(p, "crypto ikev2 %s default: havpn has no "
		    "built-in default %s; give yours a name", l->words[2],
		    l->words[2]);
	if (conf_word_is(l, 2, "proposal")) {
		mode = M_V2PROPOSAL;
		NAMED_OPEN(p, l, cf->v2proposals, cf->nv2proposals,
		    proposal_free, i);
	} else if (conf_word_is(l, 2, "policy")) {
		mode = M_V2POLICY;
		NAMED_OPEN(p, l, cf->v2policies, cf->nv2policies, policy_free,
		    i);
	} else if (conf_word_is(l, 2, "keyring")) {
		mode = M_V2KEYRING;
		NAMED_OPEN(p, l, cf->v2keyrings, cf->nv2keyrings, keyring_free,
		    i);
	} else {
		mode = M_V2PROFILE;
		NAMED_OPEN(p, l, cf->v2profiles, cf->nv2profiles, profile_free,
		    i);
		if (cf->v2profiles[i].lifetime == 0)
			cf->v2profiles[i].lifetime = 86400;
	}
	conf_popen_mode(p, mode, i, 0);
	return CMD_OK;
}

/* ---- proposal ------------------------------------------------------------ */

/* The words of an algorithm list, each checked, appended to the list. */
static int
v2enc_add(struct parser *p, struct cline *l, struct conf_ikev2_proposal *x)
{
	for (int i = 1; i < l->nwords; i++) {
		size_t	 k;

		for (k = 0; k < nitems(v2enc); k++)
			if (strcasecmp(l->words[i], v2enc[k].word) == 0)
				break;
		if (k == nitems(v2enc))
			return conf_perr(p, "encryption: \"%s\" is not one of "
			    "aes-cbc-128, aes-cbc-192, aes-cbc-256, "
			    "aes-gcm-128, aes-gcm-256", l->words[i]);
		for (int j = 0; j < x->nenc; j++)
			if (x->enc[j].gcm == v2enc[k].gcm &&
			    x->enc[j].bits == v2enc[k].bits)
				return conf_perr(p, "encryption: %s is named "
				    "twice", v2enc[k].word);
		if (x->nenc == CONF_IKEV2_MAXALG)
			return conf_perr(p, "encryption: at most %d "
			    "algorithms", CONF_IKEV2_MAXALG);
		x->enc[x->nenc].gcm = v2enc[k].gcm;
		x->enc[x->nenc++].bits = v2enc[k].bits;
	}
	x->enc_line = l->lineno;
	return CMD_OK;
}

static int
v2hash_add(struct parser *p, struct cline *l, enum alg_hash *list, int *n)
{
	for (int i = 1; i < l->nwords; i++) {
		size_t	 k;

		for (k = 0; k < nitems(v2hash); k++)
			if (strcasecmp(l->words[i], v2hash[k].word) == 0)
				break;
		if (k == nitems(v2hash))
			return conf_perr(p, "%s: \"%s\" is not one of sha1, "
			    "sha256, sha384, sha512%s", l->words[0],
			    l->words[i], strcasecmp(l->words[i], "md5") == 0 ?
			    " (md5 is not offered)" : "");
		for (int j = 0; j < *n; j++)
			if (list[j] == v2hash[k].hash)
				return conf_perr(p, "%s: %s is named twice",
				    l->words[0], v2hash[k].word);
		if (*n == CONF_IKEV2_MAXALG)
			return conf_perr(p, "%s: at most %d algorithms",
			    l->words[0], CONF_IKEV2_MAXALG);
		list[(*n)++] = v2hash[k].hash;
	}
	return CMD_OK;
}

static int
v2group_add(struct parser *p, struct cline *l, struct conf_ikev2_proposal *x)
{
	for (int i = 1; i < l->nwords; i++) {
		long	 v;
		size_t	 k = nitems(v2groups);

		if (conf_parse_uint(l->words[i], 1, 1000, &v) == 0)
			for (k = 0; k < nitems(v2groups); k++)
				if (v2groups[k] == v)
					break;
		if (k == nitems(v2groups))
			return conf_perr(p, "group: \"%s\" is not one of 14, "
			    "15, 16, 19, 20, 21, 31 (31 is Curve25519)",
			    l->words[i]);
		for (int j = 0; j < x->ngroup; j++)
			if (x->group[j] == v)
				return conf_perr(p, "group: %ld is named twice",
				    v);
		if (x->ngroup == CONF_IKEV2_MAXALG)
			return conf_perr(p, "group: at most %d groups",
			    CONF_IKEV2_MAXALG);
		x->group[x->ngroup++] = (int)v;
	}
	return CMD_OK;
}

int
conf_mode_v2proposal(struct parser *p, struct cline *l)
{
	struct conf_ikev2_proposal *x =
	    &p->cf->v2proposals[p->stack[p->depth - 1].idx];
	int	 bare = l->nwords < 2;

	if (conf_word_is(l, 0, "encryption")) {
		if (l->negate) {
			x->nenc = 0;
			return CMD_OK;
		}
		return bare ? conf_perr(p, "encryption takes one or more of "
		    "aes-cbc-128, aes-cbc-192, aes-cbc-256, aes-gcm-128, "
		    "aes-gcm-256") : v2enc_add(p, l, x);
	}
	if (conf_word_is(l, 0, "integrity")) {
		if (l->negate) {
			x->ninteg = 0;
			return CMD_OK;
		}
		x->integ_line = l->lineno;
		return bare ? conf_perr(p, "integrity takes one or more of "
		    "sha1, sha256, sha384, sha512") :
		    v2hash_add(p, l, x->integ, &x->ninteg);
	}
	if (conf_word_is(l, 0, "prf")) {
		if (l->negate) {
			x->nprf = 0;
			return CMD_OK;
		}
		x->prf_line = l->lineno;
		return bare ? conf_perr(p, "prf takes one or more of sha1, "
		    "sha256, sha384, sha512") :
		    v2hash_add(p, l, x->prf, &x->nprf);
	}
	if (conf_word_is(l, 0, "group")) {
		if (l->negate) {
			x->ngroup = 0;
			return CMD_OK;
		}
		return bare ? conf_perr(p, "group takes one or more of 14, 15, "
		    "16, 19, 20, 21, 31") : v2group_add(p, l, x);
	}
	return CMD_UNKNOWN;
}

/* ---- policy -------------------------------------------------------------- */

int
conf_mode_v2policy(struct parser *p, struct cline *l)
{
	struct conf_ikev2_policy *x =
	    &p->cf->v2policies[p->stack[p->depth - 1].idx];

	if (conf_word_is(l, 0, "proposal")) {
		if (l->negate) {
			for (int i = 0; i < x->nproposals; i++)
				free(x->proposals[i].name);
			x->nproposals = 0;
			return CMD_OK;
		}
		if (l->nwords < 2)
			return conf_perr(p, "proposal takes one or more "
			    "proposal names");
		for (int i = 1; i < l->nwords; i++) {
			struct conf_ref *r;

			for (int j = 0; j < x->nproposals; j++)
				if (strcmp(x->proposals[j].name,
				    l->words[i]) == 0)
					return conf_perr(p, "proposal %s is "
					    "named twice", l->words[i]);
			r = ARRAY_PUSH(x->proposals, x->nproposals);
			ref_set(r, l->words[i], l->lineno);
		}
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "match") && conf_word_is(l, 1, "address") &&
	    conf_word_is(l, 2, "local")) {
		struct in_addr	 a;

		if (l->negate) {
			x->nlocal = 0;
			return CMD_OK;
		}
		if (l->nwords != 4)
			return conf_perr(p, "match address local takes one "
			    "ADDR");
		if (conf_parse_addr(p, l->words[3], &a,
		    "match address local") == -1)
			return CMD_ERR;
		for (int i = 0; i < x->nlocal; i++)
			if (x->local[i].s_addr == a.s_addr)
				return conf_perr(p, "match address local %s: "
				    "already matched", l->words[3]);
		*ARRAY_PUSH(x->local, x->nlocal) = a;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "match"))
		return conf_perr(p, "a crypto ikev2 policy takes \"match "
		    "address local ADDR\" (match fvrf is not supported)");
	return CMD_UNKNOWN;
}

/* ---- keyring and its peers ----------------------------------------------- */

int
conf_mode_v2keyring(struct parser *p, struct cline *l)
{
	int			 ki = p->stack[p->depth - 1].idx, i;
	struct conf_ikev2_keyring *k = &p->cf->v2keyrings[ki];
	struct conf_ikev2_kpeer	*pe;

	if (!conf_word_is(l, 0, "peer"))
		return CMD_UNKNOWN;
	if (l->nwords != 2 || !conf_name_valid(l->words[1]))
		return conf_perr(p, "peer takes one NAME");
	NAMED_FIND(k->peers, k->npeers, l->words[1], i);
	if (l->negate) {
		if (i == -1)
			return conf_perr(p, "no peer %s: no such peer in "
			    "keyring %s", l->words[1], k->name);
		kpeer_free(&k->peers[i]);
		memmove(&k->peers[i], &k->peers[i + 1],
		    (size_t)(k->npeers - i - 1) * sizeof(*k->peers));
		k->npeers--;
		return CMD_OK;
	}
	if (i == -1) {
		pe = ARRAY_PUSH(k->peers, k->npeers);
		pe->line = l->lineno;
		pe->name = xstrdup(l->words[1]);
		i = k->npeers - 1;
	}
	conf_popen_mode(p, M_V2KPEER, ki, i);
	return CMD_OK;
}

static void
psk_set(char **slot, const char *key)
{
	if (*slot != NULL)
		free_secret(*slot, strlen(*slot));
	*slot = key != NULL ? xstrdup(key) : NULL;
}

/* pre-shared-key [local|remote] [0] KEY */
static int
kpeer_psk(struct parser *p, struct cline *l, struct conf_ikev2_kpeer *pe)
{
	int	 i = 1, local = 1, remote = 1;

	if (conf_word_is(l, 1, "local")) {
		remote = 0;
		i++;
	} else if (conf_word_is(l, 1, "remote")) {
		local = 0;
		i++;
	}
	if (l->negate) {
		if (local)
			psk_set(&pe->psk_local, NULL);
		if (remote)
			psk_set(&pe->psk_remote, NULL);
		return CMD_OK;
	}
	if (conf_word_is(l, i, "6") && l->nwords == i + 2)
		return conf_perr(p, "pre-shared-key 6: encrypted (type 6) keys "
		    "are not supported; give the key in clear text");
	if (conf_word_is(l, i, "0") && l->nwords == i + 2)
		i++;
	if (l->nwords != i + 1)
		return conf_perr(p, "pre-shared-key takes [local|remote] "
		    "[0] KEY");
	if (strlen(l->words[i]) > 128)
		return conf_perr(p, "pre-shared-key: the key is longer than "
		    "128 characters");
	if (conf_secret_ok(p, l->words[i], "pre-shared-key", "secret") == -1)
		return CMD_ERR;
	if (local)
		psk_set(&pe->psk_local, l->words[i]);
	if (remote)
		psk_set(&pe->psk_remote, l->words[i]);
	return CMD_OK;
}

int
conf_mode_v2kpeer(struct parser *p, struct cline *l)
{
	struct mode_frame *f = &p->stack[p->depth - 1];
	struct conf_ikev2_kpeer *pe =
	    &p->cf->v2keyrings[f->idx].peers[f->idx2];

	if (conf_word_is(l, 0, "address")) {
		struct in_addr	 a, m;

		if (l->negate) {
			pe->have_addr = 0;
			return CMD_OK;
		}
		if (l->nwords != 2 && l->nwords != 3)
			return conf_perr(p, "address takes ADDR [MASK]");
		if (conf_parse_addr(p, l->words[1], &a, "address") == -1)
			return CMD_ERR;
		m.s_addr = 0xffffffff;
		if (l->nwords == 3 && conf_parse_mask(p, l->words[2], &m) == -1)
			return CMD_ERR;
		if ((a.s_addr & ~m.s_addr) != 0)
			return conf_perr(p, "address %s has bits outside its "
			    "mask", l->words[1]);
		pe->have_addr = 1;
		pe->addr = a;
		pe->mask = m;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "identity")) {
		if (l->negate) {
			id_clear(&pe->id);
			return CMD_OK;
		}
		return parse_id(p, l, 1, "identity", &pe->id);
	}
	if (conf_word_is(l, 0, "pre-shared-key"))
		return kpeer_psk(p, l, pe);
	if (conf_word_is(l, 0, "hostname") || conf_word_is(l, 0, "description"))
		return conf_perr(p, "\"%s\" under a keyring peer is not "
		    "supported by havpn", l->words[0]);
	return CMD_UNKNOWN;
}

/* ---- profile ------------------------------------------------------------- */

static int
profile_match(struct parser *p, struct cline *l, struct conf_ikev2_profile *x)
{
	struct conf_ikev2_match m;

	memset(&m, 0, sizeof(m));
	if (l->negate) {
		for (int i = 0; i < x->nmatch; i++)
			free(x->match[i].fqdn);
		x->nmatch = 0;
		return CMD_OK;
	}
	if (conf_word_is(l, 3, "address") &&
	    (l->nwords == 5 || l->nwords == 6)) {
		if (conf_parse_addr(p, l->words[4], &m.addr,
		    "match identity remote address") == -1)
			return CMD_ERR;
		m.mask.s_addr = 0xffffffff;
		if (l->nwords == 6 &&
		    conf_parse_mask(p, l->words[5], &m.mask) == -1)
			return CMD_ERR;
		if ((m.addr.s_addr & ~m.mask.s_addr) != 0)
			return conf_perr(p, "match identity remote address %s "
			    "has bits outside its mask", l->words[4]);
		m.type = CONF_ID_ADDRESS;
	} else if (conf_word_is(l, 3, "fqdn") && l->nwords == 5) {
		if (!fqdn_valid(l->words[4]))
			return conf_perr(p, "match identity remote fqdn: \"%s\" "
			    "is not a host name", l->words[4]);
		m.type = CONF_ID_FQDN;
	} else
		return conf_perr(p, "match identity remote takes \"address "
		    "ADDR [MASK]\" or \"fqdn NAME\"");
	for (int i = 0; i < x->nmatch; i++) {
		const struct conf_ikev2_match *o = &x->match[i];

		if (o->type == m.type && (m.type == CONF_ID_FQDN ?
		    strcasecmp(o->fqdn, l->words[4]) == 0 :
		    o->addr.s_addr == m.addr.s_addr &&
		    o->mask.s_addr == m.mask.s_addr))
			return conf_perr(p, "match identity remote %s: "
			    "already matched", l->rest[3]);
	}
	if (m.type == CONF_ID_FQDN)
		m.fqdn = xstrdup(l->words[4]);
	*ARRAY_PUSH(x->match, x->nmatch) = m;
	return CMD_OK;
}

/* authentication {local|remote} pre-share */
static int
profile_auth(struct parser *p, struct cline *l, struct conf_ikev2_profile *x)
{
	int	*side;

	if (conf_word_is(l, 1, "local"))
		side = &x->auth_local;
	else if (conf_word_is(l, 1, "remote"))
		side = &x->auth_remote;
	else
		return conf_perr(p, "authentication takes local or remote, "
		    "then pre-share");
	if (l->negate) {
		*side = 0;
		return CMD_OK;
	}
	if (l->nwords == 3 && conf_word_is(l, 2, "pre-share")) {
		*side = CONF_AUTH_PSK;
		return CMD_OK;
	}
	if (l->nwords >= 3 && (conf_word_is(l, 2, "rsa-sig") ||
	    conf_word_is(l, 2, "ecdsa-sig") || conf_word_is(l, 2, "eap")))
		return conf_perr(p, "authentication %s %s is not supported "
		    "yet (pre-share only; certificates are listed in "
		    "docs/status.md)", l->words[1], l->words[2]);
	return conf_perr(p, "authentication %s takes pre-share", l->words[1]);
}

/* dpd INTERVAL RETRY {on-demand|periodic} */
static int
profile_dpd(struct parser *p, struct cline *l, struct conf_ikev2_profile *x)
{
	long	 iv, retry;

	if (l->negate) {
		x->dpd_interval = x->dpd_retry = 0;
		x->dpd_mode = CONF_DPD_ON_DEMAND;
		return CMD_OK;
	}
	if (l->nwords != 4 ||
	    (!conf_word_is(l, 3, "on-demand") &&
	    !conf_word_is(l, 3, "periodic")))
		return conf_perr(p, "dpd takes INTERVAL RETRY {on-demand | "
		    "periodic}");
	if (conf_parse_uint(l->words[1], 10, 3600, &iv) == -1)
		return conf_perr(p, "dpd interval %s is out of range "
		    "(10-3600 seconds)", l->words[1]);
	if (conf_parse_uint(l->words[2], 2, 60, &retry) == -1)
		return conf_perr(p, "dpd retry %s is out of range (2-60 "
		    "seconds)", l->words[2]);
	x->dpd_interval = (int)iv;
	x->dpd_retry = (int)retry;
	x->dpd_mode = conf_word_is(l, 3, "periodic") ? CONF_DPD_PERIODIC :
	    CONF_DPD_ON_DEMAND;
	return CMD_OK;
}

int
conf_mode_v2profile(struct parser *p, struct cline *l)
{
	struct conf_ikev2_profile *x =
	    &p->cf->v2profiles[p->stack[p->depth - 1].idx];
	long	 v;

	if (conf_word_is(l, 0, "match") && conf_word_is(l, 1, "identity") &&
	    conf_word_is(l, 2, "remote"))
		return profile_match(p, l, x);
	if (conf_word_is(l, 0, "match"))
		return conf_perr(p, "a crypto ikev2 profile takes \"match "
		    "identity remote ...\" (match certificate, fvrf and "
		    "address local are not supported)");
	if (conf_word_is(l, 0, "identity")) {
		if (!conf_word_is(l, 1, "local"))
			return conf_perr(p, "identity takes local, then "
			    "\"address ADDR\" or \"fqdn NAME\"");
		if (l->negate) {
			id_clear(&x->local_id);
			return CMD_OK;
		}
		return parse_id(p, l, 2, "identity local", &x->local_id);
	}
	if (conf_word_is(l, 0, "authentication"))
		return profile_auth(p, l, x);
	if (conf_word_is(l, 0, "keyring")) {
		if (l->negate) {
			ref_set(&x->keyring, NULL, 0);
			return CMD_OK;
		}
		if (l->nwords != 3 || !conf_word_is(l, 1, "local") ||
		    !conf_name_valid(l->words[2]))
			return conf_perr(p, "keyring takes \"local NAME\" "
			    "(aaa keyrings are not supported)");
		ref_set(&x->keyring, l->words[2], l->lineno);
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "lifetime")) {
		if (l->negate) {
			x->lifetime = 86400;
			return CMD_OK;
		}
		if (l->nwords != 2 ||
		    conf_parse_uint(l->words[1], 120, 86400, &v) == -1)
			return conf_perr(p, "lifetime takes 120 to 86400 "
			    "seconds");
		x->lifetime = (uint32_t)v;
		return CMD_OK;
	}
	if (conf_word_is(l, 0, "dpd"))
		return profile_dpd(p, l, x);
	return CMD_UNKNOWN;
}

/* ---- the crypto map entry ------------------------------------------------ */

int
conf_map_ikev2_profile(struct parser *p, struct cline *l,
    struct conf_map_entry *e)
{
	if (l->negate) {
		ref_set(&e->ikev2_profile, NULL, 0);
		return CMD_OK;
	}
	if (l->nwords != 3 || !conf_name_valid(l->words[2]))
		return conf_perr(p, "set ikev2-profile takes one profile NAME");
	ref_set(&e->ikev2_profile, l->words[2], l->lineno);
	return CMD_OK;
}

/* ---- checks across lines ------------------------------------------------- */

static void
check_proposal(const struct conf_ikev2_proposal *x, struct conf_notes *d)
{
	int	 gcm = 0, cbc = 0;

	for (int i = 0; i < x->nenc; i++) {
		gcm += x->enc[i].gcm;
		cbc += !x->enc[i].gcm;
	}
	if (x->nenc == 0)
		conf_note_add(d, x->line, 0, "crypto ikev2 proposal %s has no "
		    "encryption (encryption aes-cbc-256, say)", x->name);
	if (gcm > 0 && cbc > 0)
		conf_note_add(d, x->enc_line, 0, "crypto ikev2 proposal %s: "
		    "aes-gcm and aes-cbc cannot share a proposal (an AEAD "
		    "takes no integrity algorithm, RFC 7296 3.3); make two "
		    "proposals", x->name);
	else if (gcm > 0 && x->ninteg > 0)
		conf_note_add(d, x->integ_line, 0, "crypto ikev2 proposal %s: "
		    "integrity is not used with aes-gcm (its ICV is the "
		    "integrity, RFC 5282); remove the integrity line",
		    x->name);
	else if (gcm > 0 && x->nprf == 0)
		conf_note_add(d, x->line, 0, "crypto ikev2 proposal %s: a prf "
		    "is required with aes-gcm (prf sha256, say)", x->name);
	else if (cbc > 0 && x->ninteg == 0)
		conf_note_add(d, x->line, 0, "crypto ikev2 proposal %s: "
		    "aes-cbc needs an integrity algorithm (integrity sha256, "
		    "say)", x->name);
	if (x->ngroup == 0)
		conf_note_add(d, x->line, 0, "crypto ikev2 proposal %s has no "
		    "DH group (group 19, say)", x->name);
}

static void
check_keyring(const struct conf_ikev2_keyring *k, struct conf_notes *d)
{
	if (k->npeers == 0)
		conf_note_add(d, k->line, 1, "crypto ikev2 keyring %s has no "
		    "peer, so no profile can use it", k->name);
	for (int i = 0; i < k->npeers; i++) {
		const struct conf_ikev2_kpeer *pe = &k->peers[i];

		if (pe->psk_local == NULL || pe->psk_remote == NULL)
			conf_note_add(d, pe->line, 0, "keyring %s peer %s has "
			    "no %s (pre-shared-key [local|remote] KEY)",
			    k->name, pe->name, pe->psk_local == NULL &&
			    pe->psk_remote == NULL ? "key" :
			    pe->psk_local == NULL ? "local key" : "remote key");
		if (!pe->have_addr && pe->id.type == CONF_ID_NONE)
			conf_note_add(d, pe->line, 1, "keyring %s peer %s has "
			    "neither an address nor an identity, so it "
			    "matches no peer", k->name, pe->name);
	}
}

static void
check_profile(const struct config *cf, const struct conf_ikev2_profile *x,
    struct conf_notes *d)
{
	if (x->keyring.name == NULL)
		conf_note_add(d, x->line, 0, "crypto ikev2 profile %s has no "
		    "keyring (keyring local NAME)", x->name);
	else if (conf_v2keyring_find(cf, x->keyring.name) == NULL)
		conf_note_add(d, x->keyring.line, 0, "crypto ikev2 profile %s: "
		    "keyring %s is not defined (crypto ikev2 keyring %s)",
		    x->name, x->keyring.name, x->keyring.name);
	if (x->auth_local == 0 || x->auth_remote == 0)
		conf_note_add(d, x->line, 0, "crypto ikev2 profile %s has no "
		    "\"authentication %s pre-share\"", x->name,
		    x->auth_local == 0 ? "local" : "remote");
	if (x->nmatch == 0)
		conf_note_add(d, x->line, 1, "crypto ikev2 profile %s matches "
		    "no remote identity (match identity remote ...), so it "
		    "only initiates", x->name);
}

/* Does the profile's keyring have a peer with both keys for addr (what
 * havpn needs to initiate to it, ike/v2/initiate.c)? */
static int
keyring_has_peer(const struct config *cf, const struct conf_ikev2_profile *x,
    struct in_addr addr)
{
	const struct conf_ikev2_keyring *k = x->keyring.name != NULL ?
	    conf_v2keyring_find(cf, x->keyring.name) : NULL;

	for (int i = 0; k != NULL && i < k->npeers; i++)
		if (k->peers[i].have_addr && k->peers[i].psk_local != NULL &&
		    k->peers[i].psk_remote != NULL &&
		    (addr.s_addr & k->peers[i].mask.s_addr) ==
		    k->peers[i].addr.s_addr)
			return 1;
	return 0;
}

void
conf_validate_ikev2(struct config *cf, struct conf_notes *d)
{
	for (int i = 0; i < cf->nv2proposals; i++)
		check_proposal(&cf->v2proposals[i], d);
	for (int i = 0; i < cf->nv2policies; i++) {
		const struct conf_ikev2_policy *x = &cf->v2policies[i];

		if (x->nproposals == 0)
			conf_note_add(d, x->line, 0, "crypto ikev2 policy %s "
			    "has no proposal (proposal NAME)", x->name);
		for (int j = 0; j < x->nproposals; j++)
			if (conf_v2proposal_find(cf, x->proposals[j].name) ==
			    NULL)
				conf_note_add(d, x->proposals[j].line, 0,
				    "crypto ikev2 policy %s: proposal %s is "
				    "not defined", x->name,
				    x->proposals[j].name);
	}
	for (int i = 0; i < cf->nv2keyrings; i++)
		check_keyring(&cf->v2keyrings[i], d);
	for (int i = 0; i < cf->nv2profiles; i++)
		check_profile(cf, &cf->v2profiles[i], d);
	for (int i = 0; i < cf->nmaps; i++) {
		const struct conf_crypto_map *m = &cf->maps[i];

		for (int j = 0; j < m->nentries; j++) {
			const struct conf_ref *r = &m->entries[j].ikev2_profile;

			if (r->name == NULL)
				continue;
			if (conf_v2profile_find(cf, r->name) == NULL)
				conf_note_add(d, r->line, 0, "crypto map %s %d: "
				    "ikev2-profile %s is not defined (crypto "
				    "ikev2 profile %s)", m->name,
				    m->entries[j].seq, r->name, r->name);
			else if (m->entries[j].have_peer &&
			    !keyring_has_peer(cf, conf_v2profile_find(cf,
			    r->name), m->entries[j].peer))
				conf_note_add(d, r->line, 1, "crypto map %s "
				    "%d: the keyring of ikev2-profile %s has "
				    "no peer with both keys for the entry's "
				    "peer: havpn answers it but cannot "
				    "initiate", m->name, m->entries[j].seq,
				    r->name);
		}
	}
}
