/*
 * The crypto configuration and connection views an IOS engineer types:
 * show crypto map [tag NAME], show crypto isakmp key, show crypto ipsec
 * transform-set [tag NAME], show access-lists [N|NAME] (each entry's
 * packets from the data plane's SPD), show crypto ipsec sa detail |
 * address | identity, show crypto engine connections active, show crypto
 * isakmp peers, clear crypto session [remote ADDR], debug crypto ipsec.
 *
 * The configuration views read the running configuration; the rest ask
 * the data plane (esp/) and IKE (ike/) through their public interfaces.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/lib.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "daemon/daemon.h"

/* "WORD NAME" or nothing: NAME into *name (NULL: nothing); 0 or -1. */
static int
tag_arg(int argc, char **argv, const char *word, const char **name,
    const char *usage, char *err, size_t errlen)
{
	*name = NULL;
	if (argc == 0)
		return 0;
	if (argc == 2 && strlen(argv[0]) > 0 &&
	    strncmp(word, argv[0], strlen(argv[0])) == 0) {
		*name = argv[1];
		return 0;
	}
	snprintf(err, errlen, "usage: %s", usage);
	return -1;
}

/* ---- show crypto map ----------------------------------------------------- */

static json_object *
acl_lines(const struct conf_acl *acl)
{
	json_object	*arr = json_object_new_array();
	char		 w[256];

	for (int i = 0; acl != NULL && i < acl->naces; i++) {
		if (acl->aces[i].remark != NULL)
			continue;
		conf_ace_words(&acl->aces[i], w, sizeof(w));
		json_object_array_add(arr, json_object_new_string(w));
	}
	return arr;
}

static json_object *
map_entry_json(const struct config *cf, const struct conf_map_entry *e)
{
	json_object	*o = json_object_new_object(), *ts;
	const struct conf_acl *acl = e->acl != NULL ?
	    conf_acl_find(cf, e->acl) : NULL;
	char		 g[16], w[96];

	jadd_int(o, "seq", e->seq);
	jadd_str(o, "type", "ipsec-isakmp");
	if (e->have_peer)
		jadd_addr(o, "peer", e->peer);
	else
		jadd_str(o, "peer", NULL);
	/* IKEv2 entries: not negotiated yet (conf/parse_ikev2.c) */
	jadd_str(o, "ikev2_profile", e->ikev2_profile.name);
	jadd_str(o, "acl", e->acl);
	jadd_bool(o, "acl_defined", acl != NULL);
	jadd_bool(o, "acl_numbered", acl != NULL && acl->numbered);
	json_object_object_add(o, "acl_entries", acl_lines(acl));
	jadd_u64(o, "lifetime_kbytes", e->life_kbytes != 0 ? e->life_kbytes :
	    cf->sa_life_kbytes);
	jadd_u64(o, "lifetime_seconds", e->life_seconds != 0 ?
	    e->life_seconds : cf->sa_life_seconds);
	jadd_bool(o, "pfs", e->pfs_group != 0);
	snprintf(g, sizeof(g), "group%d", e->pfs_group);
	jadd_str(o, "dh_group", e->pfs_group != 0 ? g : "none");
	ts = json_object_new_array();
	for (int i = 0; i < e->ntsets; i++) {
		const struct conf_transform_set *t = conf_tset_find(cf,
		    e->tsets[i]);
		json_object *to = json_object_new_object();

		jadd_str(to, "name", e->tsets[i]);
		if (t != NULL)
			conf_tset_words(t, w, sizeof(w));
		jadd_str(to, "transforms", t != NULL ? w : NULL);
		json_object_array_add(ts, to);
	}
	json_object_object_add(o, "transform_sets", ts);
	jadd_bool(o, "reverse_route", e->reverse_route);
	/* IOS: disabled until it has a peer, an access list and a set */
	jadd_bool(o, "complete", e->have_peer && acl != NULL && e->ntsets > 0);
	return o;
}

int
cmd_show_crypto_map(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	const struct config *cf = d->cf;
	json_object	*maps = json_object_new_array();
	const char	*tag;

	if (tag_arg(argc, argv, "tag", &tag, "show crypto map [tag NAME]",
	    err, errlen) == -1)
		goto fail;
	if (tag != NULL && conf_map_find(cf, tag) == NULL) {
		snprintf(err, errlen, "no crypto map named %s", tag);
		goto fail;
	}
	for (int i = 0; i < cf->nmaps; i++) {
		const struct conf_crypto_map *m = &cf->maps[i];
		json_object	*o, *ents, *ifs;

		if (tag != NULL && strcmp(tag, m->name) != 0)
			continue;
		o = json_object_new_object();
		jadd_str(o, "name", m->name);
		ents = json_object_new_array();
		for (int j = 0; j < m->nentries; j++)
			json_object_array_add(ents,
			    map_entry_json(cf, &m->entries[j]));
		json_object_object_add(o, "entries", ents);
		ifs = json_object_new_array();
		for (int j = 0; j < cf->nifaces; j++) {
			const struct conf_interface *ifc = &cf->ifaces[j];
			json_object	*io;
			struct in_addr	 local;

			if (ifc->crypto_map == NULL ||
			    strcmp(ifc->crypto_map, m->name) != 0)
				continue;
			io = json_object_new_object();
			jadd_str(io, "name", ifc->name);
			if (ike_map_local(cf, ifc, &local) == 0)
				jadd_addr(io, "local_addr", local);
			else
				jadd_str(io, "local_addr", NULL);
			jadd_bool(io, "stateful", ifc->stateful);
			json_object_array_add(ifs, io);
		}
		json_object_object_add(o, "interfaces", ifs);
		json_object_array_add(maps, o);
	}
	json_object_object_add(data, "maps", maps);
	return 0;
fail:
	json_object_put(maps);
	return -1;
}

/* ---- show crypto isakmp key, show crypto ipsec transform-set ------------- */

int
cmd_show_isakmp_key(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	json_object	*arr;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	arr = json_object_new_array();
	for (int i = 0; i < d->cf->nkeys; i++) {
		const struct conf_isakmp_key *k = &d->cf->keys[i];
		json_object *o = json_object_new_object();

		/* havpn has no crypto keyring: every key is IOS's default */
		jadd_str(o, "keyring", "default");
		jadd_addr(o, "address", k->addr);
		jadd_addr(o, "mask", k->mask);
		jadd_str(o, "key", k->key);
		jadd_bool(o, "no_xauth", k->no_xauth);
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, "keys", arr);
	return 0;
}

int
cmd_show_transform_set(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	const struct config *cf = d->cf;
	json_object	*arr;
	const char	*tag;
	char		 w[96];

	if (tag_arg(argc, argv, "tag", &tag,
	    "show crypto ipsec transform-set [tag NAME]", err, errlen) == -1)
		return -1;
	if (tag != NULL && conf_tset_find(cf, tag) == NULL) {
		snprintf(err, errlen, "no transform set named %s", tag);
		return -1;
	}
	arr = json_object_new_array();
	for (int i = 0; i < cf->ntsets; i++) {
		const struct conf_transform_set *t = &cf->tsets[i];
		json_object *o;

		if (tag != NULL && strcmp(tag, t->name) != 0)
			continue;
		o = json_object_new_object();
		jadd_str(o, "name", t->name);
		conf_tset_words(t, w, sizeof(w));
		jadd_str(o, "transforms", w);
		jadd_str(o, "mode", t->transport ? "Transport" : "Tunnel");
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, "transform_sets", arr);
	return 0;
}

/* ---- show access-lists --------------------------------------------------- */

struct acl_hits {
	struct havpnd	*d;
	/* per ACL of the configuration, per entry */
	uint64_t	**hits;
};

/* One data plane policy: add its packets to the ACL entry it came from. */
static void
acl_hit(void *arg, const struct esp_policy *p)
{
	struct acl_hits	*h = arg;
	const struct config *cf = h->d->cf;
	const struct conf_crypto_map *m;
	char		 map[65];
	int		 seq, ace;

	if (ike_policy_origin(h->d->ike, p->id, map, sizeof(map), &seq,
	    &ace) == -1 || (m = conf_map_find(cf, map)) == NULL)
		return;
	for (int i = 0; i < m->nentries; i++) {
		if (m->entries[i].seq != seq || m->entries[i].acl == NULL)
			continue;
		for (int a = 0; a < cf->nacls; a++)
			if (strcmp(cf->acls[a].name, m->entries[i].acl) == 0 &&
			    ace < cf->acls[a].naces)
				h->hits[a][ace] += p->hits;
	}
}

int
cmd_show_access_lists(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	const struct config *cf = d->cf;
	struct acl_hits	 h;
	json_object	*arr;
	int		 counted;

	if (argc > 1) {
		snprintf(err, errlen, "usage: show access-lists [N|NAME]");
		return -1;
	}
	if (argc == 1 && conf_acl_find(cf, argv[0]) == NULL) {
		snprintf(err, errlen, "no access list named %s", argv[0]);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.d = d;
	h.hits = xcalloc((size_t)cf->nacls + 1, sizeof(*h.hits));
	for (int a = 0; a < cf->nacls; a++)
		h.hits[a] = xcalloc((size_t)cf->acls[a].naces + 1,
		    sizeof(**h.hits));
	counted = d->esp != NULL && d->ike != NULL &&
	    d->esp->ops->walk_policies != NULL;
	if (counted)
		d->esp->ops->walk_policies(d->esp, acl_hit, &h);
	arr = json_object_new_array();
	for (int a = 0; a < cf->nacls; a++) {
		const struct conf_acl *acl = &cf->acls[a];
		json_object	*o, *ents;
		char		 w[256];
		long		 seq = 0;

		if (argc == 1 && strcmp(argv[0], acl->name) != 0)
			continue;
		o = json_object_new_object();
		jadd_str(o, "name", acl->name);
		jadd_str(o, "type", "Extended");
		jadd_bool(o, "numbered", acl->numbered);
		ents = json_object_new_array();
		for (int i = 0; i < acl->naces; i++) {
			const struct conf_ace *x = &acl->aces[i];
			json_object *e;

			if (x->remark != NULL)
				continue;
			/* IOS numbers entries by ten unless given */
			seq = x->seq > 0 ? x->seq : seq + 10;
			e = json_object_new_object();
			jadd_int(e, "seq", seq);
			conf_ace_words(x, w, sizeof(w));
			jadd_str(e, "entry", w);
			jadd_u64(e, "matches", h.hits[a][i]);
			json_object_array_add(ents, e);
		}
		json_object_object_add(o, "entries", ents);
		json_object_array_add(arr, o);
	}
	json_object_object_add(data, "access_lists", arr);
	/* the counts come from the data plane's SPD (outbound, per entry) */
	jadd_bool(data, "matches_counted", counted);
	for (int a = 0; a < cf->nacls; a++)
		free(h.hits[a]);
	free(h.hits);
	return 0;
}

/* ---- show crypto ipsec sa detail | address | identity -------------------- */

static int
ipsec_sa_view(struct havpnd *d, int argc, const char *view, json_object *data,
    char *err, size_t errlen)
{
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	return ipsec_sa_facts(d, NULL, view, data, err, errlen);
}

int
cmd_show_ipsec_sa_detail(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	return ipsec_sa_view(d, argc, "detail", data, err, errlen);
}

int
cmd_show_ipsec_sa_address(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	return ipsec_sa_view(d, argc, "address", data, err, errlen);
}

int
cmd_show_ipsec_sa_identity(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	(void)argv;
	return ipsec_sa_view(d, argc, "identity", data, err, errlen);
}

/* ---- show crypto engine connections active ------------------------------- */

/* IOS's algorithm words: "AES256+SHA256", "3DES+MD5", "AES+SHA" */
static const char *
esp_alg(const struct esp_sa *sa, char *buf, size_t len)
{
	alg_esp_engine_name(sa->enc, sa->enc_keybits, sa->auth, buf, len);
	return buf;
}

static void
conn_ipsec(void *arg, const struct esp_sa_info *i)
{
	json_object	*arr = arg, *o = json_object_new_object();
	char		 a[32];

	jadd_u64(o, "id", i->sa.conn_id);
	jadd_str(o, "type", "IPsec");
	jadd_str(o, "algorithm", esp_alg(&i->sa, a, sizeof(a)));
	jadd_u64(o, "encrypt", i->sa.dir == ESP_OUT ? i->crypt : 0);
	jadd_u64(o, "decrypt", i->sa.dir == ESP_IN ? i->crypt : 0);
	jadd_u64(o, "last_seq", i->sa.dir == ESP_OUT ? i->replay.seq_out :
	    i->replay.top);
	jadd_addr(o, "ip_address", i->sa.local);
	jadd_u64(o, "spi", i->sa.spi);
	jadd_str(o, "direction", i->sa.dir == ESP_OUT ? "out" : "in");
	json_object_array_add(arr, o);
}

static int
conn_cmp(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(json_object_object_get(
	    *(json_object *const *)a, "id"));
	int64_t y = json_object_get_int64(json_object_object_get(
	    *(json_object *const *)b, "id"));

	return x < y ? -1 : x > y;
}

/* ike_show_isakmp_sa's facts, with detail: the ISAKMP SAs as they are. */
static json_object *
isakmp_facts(struct havpnd *d)
{
	json_object	*f = json_object_new_object();

	ike_show_isakmp_sa(d->ike, 1, f);
	return f;
}

int
cmd_show_engine_conns(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	json_object	*arr, *isa = NULL, *sas;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	arr = json_object_new_array();
	if (d->esp != NULL && d->esp->ops->walk_sas != NULL)
		d->esp->ops->walk_sas(d->esp, conn_ipsec, arr);
	if (d->ike != NULL) {
		isa = isakmp_facts(d);
		sas = json_object_object_get(isa, "sas");
		for (size_t i = 0; i < json_object_array_length(sas); i++) {
			json_object *s = json_object_array_get_idx(sas, i);
			json_object *o;
			const char *enc, *hash;
			char	 alg[48];
			int64_t	 bits;

			if (!json_object_get_boolean(json_object_object_get(s,
			    "established")))
				continue;
			enc = json_object_get_string(json_object_object_get(s,
			    "encryption"));
			hash = json_object_get_string(json_object_object_get(s,
			    "hash"));
			bits = json_object_get_int64(json_object_object_get(s,
			    "keybits"));
			/* IOS: the hash first for IKE ("SHA+AES256") */
			snprintf(alg, sizeof(alg), "%s+%s",
			    hash != NULL ? hash : "", enc != NULL ? enc : "");
			if (bits != 0 && bits != 128)
				snprintf(alg + strlen(alg), sizeof(alg) -
				    strlen(alg), "%lld", (long long)bits);
			for (char *p = alg; *p != '\0'; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			o = json_object_new_object();
			json_object_object_add(o, "id", json_object_get(
			    json_object_object_get(s, "conn_id")));
			jadd_str(o, "type", "IKE");
			jadd_str(o, "algorithm", alg);
			/* IKE messages; no sequence numbers: null */
			json_object_object_add(o, "encrypt", json_object_get(
			    json_object_object_get(s, "encrypted")));
			json_object_object_add(o, "decrypt", json_object_get(
			    json_object_object_get(s, "decrypted")));
			jadd_str(o, "last_seq", NULL);
			json_object_object_add(o, "ip_address", json_object_get(
			    json_object_object_get(s, "local")));
			json_object_array_add(arr, o);
		}
		json_object_put(isa);
	}
	json_object_array_sort(arr, conn_cmp);
	json_object_object_add(data, "connections", arr);
	return 0;
}

/* ---- show crypto isakmp peers -------------------------------------------- */

int
cmd_show_isakmp_peers(struct havpnd *d, int argc, char **argv,
    json_object *data, char *err, size_t errlen)
{
	json_object	*isa, *sas, *arr;

	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	if (d->ike == NULL) {
		snprintf(err, errlen, "IKE is not running");
		return -1;
	}
	isa = isakmp_facts(d);
	sas = json_object_object_get(isa, "sas");
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(sas); i++) {
		json_object *s = json_object_array_get_idx(sas, i), *o;
		const char *peer = json_object_get_string(
		    json_object_object_get(s, "remote"));
		const char *local = json_object_get_string(
		    json_object_object_get(s, "local"));
		int64_t	 port = json_object_get_int64(
		    json_object_object_get(s, "remote_port"));
		int	 dup = 0;

		/* one line per peer, as IOS keeps one peer structure */
		for (size_t j = 0; j < json_object_array_length(arr); j++) {
			json_object *p = json_object_array_get_idx(arr, j);

			if (strcmp(json_object_get_string(
			    json_object_object_get(p, "peer")), peer) == 0 &&
			    strcmp(json_object_get_string(
			    json_object_object_get(p, "local")), local) == 0 &&
			    json_object_get_int64(json_object_object_get(p,
			    "port")) == port)
				dup = 1;
		}
		if (dup)
			continue;
		o = json_object_new_object();
		jadd_str(o, "peer", peer);
		jadd_int(o, "port", port);
		jadd_str(o, "local", local);
		jadd_int(o, "local_port", json_object_get_int64(
		    json_object_object_get(s, "local_port")));
		/* the identity phase 1 authenticated, once it has */
		if (json_object_get_boolean(json_object_object_get(s,
		    "established")))
			json_object_object_add(o, "phase1_id", json_object_get(
			    json_object_object_get(s, "peer_id")));
		else
			jadd_str(o, "phase1_id", NULL);
		json_object_array_add(arr, o);
	}
	json_object_put(isa);
	json_object_object_add(data, "peers", arr);
	return 0;
}

/* ---- clear crypto session, debug crypto ipsec ---------------------------- */

int
cmd_clear_session(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	struct in_addr	 peer;
	json_object	*isa, *sas;
	int		 nipsec, nisakmp = 0;

	if (d->ike == NULL) {
		snprintf(err, errlen, "IKE is not running");
		return -1;
	}
	if (argc != 0 && (argc != 2 || strlen(argv[0]) == 0 ||
	    strncmp("remote", argv[0], strlen(argv[0])) != 0 ||
	    addr_parse(argv[1], &peer) == -1)) {
		snprintf(err, errlen, "usage: clear crypto session "
		    "[remote ADDR]");
		return -1;
	}
	/* the IPsec SAs first: their Deletes go under the ISAKMP SA */
	nipsec = ike_clear_sa(d->ike, argc == 0 ? NULL : &peer);
	if (argc == 0)
		nisakmp = ike_clear_isakmp(d->ike, 0);
	else {
		isa = isakmp_facts(d);
		sas = json_object_object_get(isa, "sas");
		for (size_t i = 0; i < json_object_array_length(sas); i++) {
			json_object *s = json_object_array_get_idx(sas, i);
			struct in_addr a;

			if (addr_parse(json_object_get_string(
			    json_object_object_get(s, "remote")), &a) == 0 &&
			    a.s_addr == peer.s_addr)
				nisakmp += ike_clear_isakmp(d->ike,
				    (uint32_t)json_object_get_int64(
				    json_object_object_get(s, "conn_id")));
		}
		json_object_put(isa);
	}
	jadd_int(data, "ipsec_cleared", nipsec);
	jadd_int(data, "isakmp_cleared", nisakmp);
	return 0;
}

int
cmd_debug_ipsec(struct havpnd *d, int argc, char **argv, json_object *data,
    char *err, size_t errlen)
{
	(void)d;
	(void)argv;
	if (cmd_no_args(argc, err, errlen) == -1)
		return -1;
	/* the data plane's SA, rekey and drop traces (esp/) */
	log_set_debug(LOG_ESP, 1);
	jadd_str(data, "message", "Crypto IPSEC debugging is on");
	return 0;
}
