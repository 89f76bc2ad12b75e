/*
 * IPsec SA pairs: KEYMAT into keys, the SAs installed in the data plane
 * (struct esp_sa, every field), lifetimes, rekeying, deletion, and the
 * data plane's acquire and expire events.
 *
 * Timers of a pair:
 *   soft	rekey: the Quick Mode initiator at 85-90 % of the lifetime, the
 *		responder at 93 % (so one side usually rekeys first)
 *   hard	delete, with a Delete to the peer; a pair replaced by a rekey
 *		goes IKE_REKEY_GRACE_MS after the new one is up (traffic moves
 *		to the new outbound SA at once, the old inbound SA drains)
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_int.h"

static void child_soft_timeout(struct ike *, struct ike_timer *);
static void child_hard_timeout(struct ike *, struct ike_timer *);

struct ike_child *
ike_child_new(struct ike *ike)
{
	struct ike_child *c = xcalloc(1, sizeof(*c));

	c->ike = ike;
	ike_timer_init(&c->t_soft, child_soft_timeout, c);
	ike_timer_init(&c->t_hard, child_hard_timeout, c);
	return c;
}

static int
linked(const struct ike_child *c)
{
	return c->prev != NULL || c->ike->children == c;
}

/* The peer chooses its SPIs: its address goes into the bucket too. */
static unsigned int
spi_out_bucket(struct in_addr peer, uint32_t spi)
{
	return ike_bucket(spi ^ peer.s_addr * 0x9e3779b1u);
}

void
ike_child_link(struct ike_child *c)
{
	struct ike	*ike = c->ike;

	c->prev = NULL;
	c->next = ike->children;
	if (ike->children != NULL)
		ike->children->prev = c;
	ike->children = c;
	ike->nchildren++;
	IKE_CHAIN(ike->c_by_conn_in[ike_bucket(c->conn_in)], c, hnext_in);
	IKE_CHAIN(ike->c_by_conn_out[ike_bucket(c->conn_out)], c, hnext_out);
	IKE_CHAIN(ike->c_by_spi_in[ike_bucket(c->spi_in)], c, hnext_spi_in);
	IKE_CHAIN(ike->c_by_spi_out[spi_out_bucket(c->remote, c->spi_out)], c,
	    hnext_spi_out);
	IKE_CHAIN(ike->c_by_peer[ike_bucket(c->remote.s_addr)], c, hnext_peer);
}

static void
child_unlink(struct ike_child *c)
{
	struct ike	*ike = c->ike;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ike->children = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ike->nchildren--;
	IKE_UNCHAIN(ike->c_by_conn_in[ike_bucket(c->conn_in)], c, hnext_in);
	IKE_UNCHAIN(ike->c_by_conn_out[ike_bucket(c->conn_out)], c,
	    hnext_out);
	IKE_UNCHAIN(ike->c_by_spi_in[ike_bucket(c->spi_in)], c, hnext_spi_in);
	IKE_UNCHAIN(ike->c_by_spi_out[spi_out_bucket(c->remote, c->spi_out)],
	    c, hnext_spi_out);
	IKE_UNCHAIN(ike->c_by_peer[ike_bucket(c->remote.s_addr)], c,
	    hnext_peer);
}

static uint32_t
new_conn(struct ike *ike)
{
	uint32_t id;

	do {
		id = ike->next_ipsec_conn++;
		if (ike->next_ipsec_conn == 0)
			ike->next_ipsec_conn = 1;
	} while (id == 0 || ike_child_by_conn(ike, id) != NULL);
	return id;
}

/* RFC 2409 5.5: the KEYMAT of the SA with this SPI, split into its keys. */
static int
child_keymat(struct ike_sa *sa, struct ike_qm *q, uint32_t spi, size_t el,
    size_t al, uint8_t *ekey, uint8_t *akey)
{
	uint8_t		 km[ESP_MAX_ENC_KEY + ESP_MAX_AUTH_KEY];
	int		 rc = -1;

	if (ike_keymat(sa->alg.hash, sa->keys.d, sa->keys.len, q->gqm,
	    q->gqmlen, IKE_PROTO_ESP, spi, q->ni, q->nilen, q->nr, q->nrlen,
	    km, el + al) == -1)
		goto done;
	memcpy(ekey, km, el);
	memcpy(akey, km + el, al);
	rc = 0;
done:
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

int
ike_child_keys(struct ike_sa *sa, struct ike_qm *q, struct ike_child *c)
{
	struct ike	*ike = sa->ike;
	const struct ike_spd *spd = ike_spd_by_reqid(ike, q->reqid);
	size_t		 el, al;

	el = alg_esp_enc_keylen(q->xf.enc, (uint32_t)q->xf.keybits);
	if (el == 0 || el > ESP_MAX_ENC_KEY ||
	    alg_esp_auth_keylen(q->xf.auth, &al) == -1 || al > ESP_MAX_AUTH_KEY)
		return -1;
	c->spi_in = q->spi_in;
	c->spi_out = q->spi_out;
	c->reqid = q->reqid;
	c->isakmp_conn_id = sa->conn_id;
	c->initiator = q->initiator;
	c->local = sa->local.sin_addr;
	c->remote = sa->remote.sin_addr;
	if (q->xf.udp) {
		c->lport = ntohs(sa->local.sin_port);
		c->rport = ntohs(sa->remote.sin_port);
	}
	c->xf = q->xf;
	c->sel = q->sel;
	snprintf(c->map, sizeof(c->map), "%s", q->map);
	c->map_seq = q->map_seq;
	if (spd != NULL) {
		snprintf(c->ifname, sizeof(c->ifname), "%s", spd->ifname);
		c->ace = spd->ace;
	}
	c->replay_window = ike->cf->replay_window;
	c->ekey_len = el;
	c->akey_len = al;
	/* KEYMAT per direction, keyed by that SA's SPI */
	if (child_keymat(sa, q, q->spi_in, el, al, c->ekey_in,
	    c->akey_in) == -1 || child_keymat(sa, q, q->spi_out, el, al,
	    c->ekey_out, c->akey_out) == -1)
		return -1;
	ike_child_new_conns(c);
	return 0;
}

void
ike_child_new_conns(struct ike_child *c)
{
	c->conn_in = new_conn(c->ike);
	c->conn_out = new_conn(c->ike);
}

static uint32_t
soft_secs(const struct ike_child *c)
{
	uint32_t life = c->xf.life_secs, j;

	if (c->initiator) {
		ike_random(&j, sizeof(j));
		return life - life * 10 / 100 - j % (life * 5 / 100 + 1);
	}
	return life - life * 7 / 100;
}

static void
fill_esp(const struct ike_child *c, enum esp_dir dir, struct esp_sa *e)
{
	const struct conf_crypto_map *m = conf_map_find(c->ike->cf, c->map);

	memset(e, 0, sizeof(*e));
	e->dir = dir;
	e->reqid = c->reqid;
	e->local = c->local;
	e->remote = c->remote;
	e->local_port = c->lport;
	e->remote_port = c->rport;
	e->tunnel = c->xf.tunnel;
	e->enc = c->xf.enc;
	e->enc_keybits = c->xf.keybits;
	e->auth = c->xf.auth;
	e->enc_key_len = c->ekey_len;
	e->auth_key_len = c->akey_len;
	e->esn = 0;
	e->replay_window = dir == ESP_IN ? c->replay_window : 0;
	e->hard_secs = c->xf.life_secs;
	e->soft_secs = soft_secs(c);
	e->hard_bytes = c->xf.life_kbytes * 1024;
	e->soft_bytes = e->hard_bytes / 10 * 9;
	snprintf(e->map_name, sizeof(e->map_name), "%s", c->map);
	e->map_seq = c->map_seq;
	e->pfs_group = c->xf.group;
	snprintf(e->ifname, sizeof(e->ifname), "%s", c->ifname);
	if (dir == ESP_IN) {
		e->conn_id = c->conn_in;
		e->spi = c->spi_in;
		memcpy(e->enc_key, c->ekey_in, c->ekey_len);
		memcpy(e->auth_key, c->akey_in, c->akey_len);
		/* inbound traffic runs remote -> local */
		esp_selector_reverse(&c->sel, &e->sel);
		e->sync_interval = m != NULL ? m->replay_in : 0;
	} else {
		e->conn_id = c->conn_out;
		e->spi = c->spi_out;
		memcpy(e->enc_key, c->ekey_out, c->ekey_len);
		memcpy(e->auth_key, c->akey_out, c->akey_len);
		e->sel = c->sel;
		e->sync_interval = m != NULL ? m->replay_out : 0;
	}
}

/* The transform of the pair as "esp-aes 256 esp-sha-hmac" words. */
void
ike_child_tset_words(const struct ike_child *c, char *tw, size_t len)
{
	struct conf_transform_set t;

	memset(&t, 0, sizeof(t));
	t.enc = c->xf.enc;
	t.keylen = c->xf.keybits;
	t.auth = c->xf.auth;
	conf_tset_words(&t, tw, len);
}

static void
trace_create(const struct ike_child *c, const struct esp_sa *e)
{
	char	 tw[96], d[INET_ADDRSTRLEN];

	if (!log_debug_enabled(LOG_IKE))
		return;
	ike_child_tset_words(c, tw, sizeof(tw));
	log_debug(LOG_IKE, "IPSEC(create_sa): sa created,");
	log_debug(LOG_IKE, "  (sa) sa_dest= %s, sa_proto= 50,",
	    addr_str(e->dir == ESP_IN ? c->local : c->remote, d));
	log_debug(LOG_IKE, "    sa_spi= 0x%X(%u),", e->spi, e->spi);
	log_debug(LOG_IKE, "    sa_trans= %s , sa_conn_id= %u", tw,
	    e->conn_id);
	log_debug(LOG_IKE, "    sa_lifetime(k/sec)= (%llu/%u)",
	    (unsigned long long)c->xf.life_kbytes, c->xf.life_secs);
}

/* One SA of the pair into the data plane; e is scratch, wiped by the caller. */
static int
child_install_dir(struct ike_child *c, enum esp_dir dir, struct esp_sa *e)
{
	struct ike	*ike = c->ike;

	fill_esp(c, dir, e);
	if (ike->be->ops->add_sa(ike->be, e) == -1) {
		log_warnx(LOG_IKE, "data plane %s refused %s SA 0x%08x",
		    ike->be->ops->name, dir == ESP_IN ? "inbound" : "outbound",
		    dir == ESP_IN ? c->spi_in : c->spi_out);
		return -1;
	}
	trace_create(c, e);
	return 0;
}

int
ike_child_install(struct ike_child *c, int in, int out)
{
	struct esp_sa	 e;
	int		 rc = 0;

	if (in && !c->installed_in) {
		if (child_install_dir(c, ESP_IN, &e) == -1)
			rc = -1;
		else
			c->installed_in = 1;
	}
	if (out && !c->installed_out && rc == 0) {
		if (child_install_dir(c, ESP_OUT, &e) == -1)
			rc = -1;
		else
			c->installed_out = 1;
	}
	OPENSSL_cleanse(&e, sizeof(e));
	return rc;
}

void
ike_child_update(struct ike_child *c)
{
	struct ike	*ike = c->ike;
	struct esp_sa	 e;

	if (c->installed_in) {
		fill_esp(c, ESP_IN, &e);
		(void)ike->be->ops->update_sa(ike->be, &e);
	}
	if (c->installed_out) {
		fill_esp(c, ESP_OUT, &e);
		(void)ike->be->ops->update_sa(ike->be, &e);
	}
	OPENSSL_cleanse(&e, sizeof(e));
}

static int
same_sel(const struct esp_selector *a, const struct esp_selector *b)
{
	return a->src.s_addr == b->src.s_addr &&
	    a->src_mask.s_addr == b->src_mask.s_addr &&
	    a->dst.s_addr == b->dst.s_addr &&
	    a->dst_mask.s_addr == b->dst_mask.s_addr &&
	    a->proto == b->proto && a->sport == b->sport &&
	    a->dport == b->dport;
}

void
ike_child_timers_start(struct ike_child *c)
{
	struct ike	*ike = c->ike;
	uint64_t	 now = ike_now(ike), margin, soft;

	if (c->expire_ms == 0)
		c->expire_ms = now + (uint64_t)c->xf.life_secs * 1000;
	ike_timer_set(ike, &c->t_hard, c->expire_ms);
	if (c->rekeyed)
		return;
	/* the rekey comes this long before the end, even when imported */
	margin = ((uint64_t)c->xf.life_secs - soft_secs(c)) * 1000;
	soft = c->expire_ms > margin ? c->expire_ms - margin : now;
	ike_timer_set(ike, &c->t_soft, soft > now ? soft : now);
}

void
ike_child_superseded(struct ike_child *o)
{
	struct ike	*ike = o->ike;
	uint64_t	 now = ike_now(ike);

	o->rekeyed = 1;
	o->rekeying = 0;
	ike_timer_stop(ike, &o->t_soft);
	ike_timer_set(ike, &o->t_hard, o->expire_ms > now +
	    IKE_REKEY_GRACE_MS ? now + IKE_REKEY_GRACE_MS : o->expire_ms);
}

void
ike_child_up(struct ike_child *c, uint32_t old)
{
	struct ike	*ike = c->ike;
	char		 a[INET_ADDRSTRLEN], tw[96];

	ike_child_link(c);
	c->created_ms = ike_now(ike);
	ike_child_timers_start(c);
	ike->st.p2_ok++;
	ike_child_tset_words(c, tw, sizeof(tw));
	log_info(LOG_IKE, "IPSEC: %s SA pair with %s: in 0x%08x out 0x%08x, "
	    "%s, %u s, crypto map %s %d", old != 0 ? "rekeyed" : "new",
	    addr_str(c->remote, a), c->spi_in, c->spi_out, tw,
	    c->xf.life_secs, c->map, c->map_seq);
	ike_emit_ipsec(ike, c, old != 0, old);
}

void
ike_child_established(struct ike_child *c)
{
	struct ike	*ike = c->ike;
	struct ike_child *o;
	uint32_t	 old = 0;

	/* an older pair for the same flows is replaced: this is a rekey */
	for (o = ike_child_of_peer(ike, c->remote, NULL); o != NULL;
	    o = ike_child_of_peer(ike, c->remote, o)) {
		if (o == c || o->rekeyed || o->reqid != c->reqid ||
		    !same_sel(&o->sel, &c->sel))
			continue;
		ike_child_superseded(o);
		old = o->conn_in;
	}
	ike_child_up(c, old);
}

/*
 * Out of the data plane, the timers and the list, and freed; "why" (a
 * delete) logs it and tells the listeners, NULL (forget) does neither.
 */
static void
child_free(struct ike_child *c, const char *why)
{
	struct ike	*ike = c->ike;
	char		 a[INET_ADDRSTRLEN];

	if (c->installed_in)
		(void)ike->be->ops->del_sa(ike->be, c->conn_in);
	if (c->installed_out)
		(void)ike->be->ops->del_sa(ike->be, c->conn_out);
	ike_timer_stop(ike, &c->t_soft);
	ike_timer_stop(ike, &c->t_hard);
	if (linked(c)) {
		if (why != NULL) {
			log_info(LOG_IKE, "IPSEC: deleted SA pair with %s: in "
			    "0x%08x out 0x%08x (%s)", addr_str(c->remote, a),
			    c->spi_in, c->spi_out, why);
			ike_emit_ipsec_deleted(ike, c);
		}
		child_unlink(c);
	}
	free_secret(c, sizeof(*c));
}

void
ike_child_delete(struct ike_child *c, int notify, const char *why)
{
	struct ike	*ike = c->ike;
	struct ike_sa	*sa;

	if (notify && ike->active && c->v2_conn != 0)
		ike2_child_deleted(ike->v2, c);
	else if (notify && ike->active &&
	    (sa = ike_sa_find_peer(ike, c->local, c->remote)) != NULL) {
		uint8_t	 spi[4];

		be32_put(spi, c->spi_in);
		(void)ike_info_send_delete(sa, IKE_PROTO_ESP, 4, spi, 1);
	}
	child_free(c, why);
}

struct ike_child *
ike_child_by_spi_in(struct ike *ike, uint32_t spi)
{
	struct ike_child *c;

	ike->st.lookup_steps++;
	for (c = ike->c_by_spi_in[ike_bucket(spi)]; c != NULL;
	    c = c->hnext_spi_in) {
		ike->st.lookup_steps++;
		if (c->spi_in == spi)
			return c;
	}
	return NULL;
}

struct ike_child *
ike_child_by_spi_out(struct ike *ike, struct in_addr peer, uint32_t spi)
{
	struct ike_child *c;

	ike->st.lookup_steps++;
	for (c = ike->c_by_spi_out[spi_out_bucket(peer, spi)]; c != NULL;
	    c = c->hnext_spi_out) {
		ike->st.lookup_steps++;
		if (c->spi_out == spi && c->remote.s_addr == peer.s_addr)
			return c;
	}
	return NULL;
}

/* A pair's conn-ids are unique among both directions of every pair. */
struct ike_child *
ike_child_by_conn(struct ike *ike, uint32_t conn)
{
	struct ike_child *c;
	unsigned int	 b = ike_bucket(conn);

	ike->st.lookup_steps++;
	for (c = ike->c_by_conn_in[b]; c != NULL; c = c->hnext_in) {
		ike->st.lookup_steps++;
		if (c->conn_in == conn)
			return c;
	}
	for (c = ike->c_by_conn_out[b]; c != NULL; c = c->hnext_out) {
		ike->st.lookup_steps++;
		if (c->conn_out == conn)
			return c;
	}
	return NULL;
}

struct ike_child *
ike_child_of_peer(struct ike *ike, struct in_addr peer,
    struct ike_child *prev)
{
	struct ike_child *c;

	if (prev == NULL) {
		ike->st.lookup_steps++;
		c = ike->c_by_peer[ike_bucket(peer.s_addr)];
	} else
		c = prev->hnext_peer;
	for (; c != NULL; c = c->hnext_peer) {
		ike->st.lookup_steps++;
		/* IKEv1's pairs: an IKEv2 pair is its IKE SA's (ike/v2/) */
		if (c->remote.s_addr == peer.s_addr && c->v2_conn == 0)
			return c;
	}
	return NULL;
}

struct ike_child *
ike_child_live_for_reqid(struct ike *ike, uint32_t reqid, struct in_addr peer)
{
	struct ike_child *c;

	for (c = ike_child_of_peer(ike, peer, NULL); c != NULL;
	    c = ike_child_of_peer(ike, peer, c))
		if (c->reqid == reqid && !c->rekeyed && c->installed_out)
			return c;
	return NULL;
}

struct ike_child *
ike2_child_live_for_reqid(struct ike *ike, uint32_t reqid, struct in_addr peer)
{
	ike->st.lookup_steps++;
	for (struct ike_child *c = ike->c_by_peer[ike_bucket(peer.s_addr)];
	    c != NULL; c = c->hnext_peer) {
		ike->st.lookup_steps++;
		if (c->remote.s_addr == peer.s_addr && c->v2_conn != 0 &&
		    c->reqid == reqid && !c->rekeyed && c->installed_out)
			return c;
	}
	return NULL;
}

int
ike_children_want_dpd(struct ike *ike, struct in_addr peer, uint32_t v2_conn,
    uint64_t last_in, uint64_t idle_ms)
{
	uint64_t	 last_out = 0;

	ike->st.lookup_steps++;
	for (struct ike_child *c = ike->c_by_peer[ike_bucket(peer.s_addr)];
	    c != NULL; c = c->hnext_peer) {
		struct esp_sa_stats st;

		ike->st.lookup_steps++;
		if (c->remote.s_addr != peer.s_addr || c->v2_conn != v2_conn)
			continue;
		if (c->installed_in && ike->be->ops->query_sa(ike->be,
		    c->conn_in, &st) == 0 && st.last_used_ms > last_in)
			last_in = st.last_used_ms;
		if (c->installed_out && ike->be->ops->query_sa(ike->be,
		    c->conn_out, &st) == 0 && st.last_used_ms > last_out)
			last_out = st.last_used_ms;
	}
	return last_out > last_in && ike_now(ike) - last_in >= idle_ms;
}

void
ike_children_of_peer_delete(struct ike *ike, struct in_addr local,
    struct in_addr peer, int notify, const char *why)
{
	struct ike_child *c, *next;

	for (c = ike_child_of_peer(ike, peer, NULL); c != NULL; c = next) {
		next = ike_child_of_peer(ike, peer, c);
		if (c->local.s_addr == local.s_addr)
			ike_child_delete(c, notify, why);
	}
}

/* Negotiate a new pair for c's flows (rekey), or start phase 1 first. */
int
ike_child_rekey(struct ike_child *c)
{
	struct ike	*ike = c->ike;
	struct ike_sa	*sa;

	if (!ike->active || c->rekeyed || c->rekeying)
		return -1;
	if (c->v2_conn != 0) {
		/* CREATE_CHILD_SA under its IKE SA (ike/v2/child.c) */
		if (ike2_child_rekey(ike->v2, c) == -1)
			return -1;
		c->rekeying = 1;
		return 0;
	}
	if (ike_spd_by_reqid(ike, c->reqid) == NULL) {
		IKE_TRACE(NULL, " crypto map entry of SA 0x%08x is gone: not "
		    "rekeyed", c->spi_in);
		return -1;
	}
	c->rekeying = 1;
	if ((sa = ike_sa_find_peer(ike, c->local, c->remote)) != NULL) {
		if (ike_qm_initiate(sa, c->reqid, c->conn_in) == -1) {
			c->rekeying = 0;
			return -1;
		}
		return 0;
	}
	if ((sa = ike_sa_find_negotiating(ike, c->local, c->remote)) == NULL)
		sa = ike_p1_initiate(ike, c->local, c->remote, c->map,
		    c->map_seq, c->ifname);
	if (sa != NULL && sa->npending < (int)nitems(sa->pending)) {
		sa->pending[sa->npending++] = c->reqid;
		return 0;
	}
	c->rekeying = 0;
	return -1;
}

void
ike_child_forget(struct ike_child *c)
{
	child_free(c, NULL);
}

static void
child_soft_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_child *c = t->arg;

	IKE_TRACE(NULL, "IPSEC: SA 0x%08x nears the end of its lifetime: "
	    "rekeying", c->spi_in);
	(void)ike;
	(void)ike_child_rekey(c);
}

static void
child_hard_timeout(struct ike *ike, struct ike_timer *t)
{
	struct ike_child *c = t->arg;

	(void)ike;
	ike_child_delete(c, 1, c->rekeyed ? "replaced by a rekey" :
	    "lifetime expired");
}

/* ---- data plane events --------------------------------------------------- */

void
ike_esp_expire(void *arg, uint32_t conn_id, int hard)
{
	struct ike	*ike = arg;
	struct ike_child *c = ike_child_by_conn(ike, conn_id);

	if (c == NULL || !ike->active)
		return;
	if (hard) {
		/* the data plane already dropped it */
		if (conn_id == c->conn_in)
			c->installed_in = 0;
		else
			c->installed_out = 0;
		ike_child_delete(c, 1, "lifetime (volume) expired");
	} else
		(void)ike_child_rekey(c);
}

void
ike_esp_acquire(void *arg, uint32_t reqid, const struct esp_selector *flow)
{
	struct ike	*ike = arg;
	const struct ike_spd *spd = ike_spd_by_reqid(ike, reqid);
	const struct conf_map_entry *e;
	struct ike_sa	*sa;
	char		 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	(void)flow;
	if (!ike->active || spd == NULL || !spd->usable || !spd->permit)
		return;
	if (spd->v2profile[0] != '\0') {
		if (ike2_child_live_for_reqid(ike, reqid, spd->peer) == NULL)
			ike2_acquire(ike->v2, spd);
		return;
	}
	if (log_debug_enabled(LOG_IKE) && (e = ike_map_entry(ike->cf,
	    spd->map, spd->map_seq)) != NULL) {
		log_debug(LOG_IKE, "IPSEC(sa_request): ,");
		log_debug(LOG_IKE, "  (key eng. msg.) OUTBOUND local= %s:500, "
		    "remote= %s:500, crypto map %s %d", addr_str(spd->local, a),
		    addr_str(spd->peer, b), spd->map, spd->map_seq);
	}
	if (ike_child_live_for_reqid(ike, reqid, spd->peer) != NULL)
		return;
	for (struct ike_qm *q = ike->qms; q != NULL; q = q->all_next)
		if (q->reqid == reqid && q->state != QM_DONE &&
		    q->sa->remote.sin_addr.s_addr == spd->peer.s_addr)
			return;	/* under way */
	if ((sa = ike_sa_find_peer(ike, spd->local, spd->peer)) != NULL) {
		(void)ike_qm_initiate(sa, reqid, 0);
		return;
	}
	if ((sa = ike_sa_find_negotiating(ike, spd->local, spd->peer)) == NULL)
		sa = ike_p1_initiate(ike, spd->local, spd->peer, spd->map,
		    spd->map_seq, spd->ifname);
	if (sa == NULL)
		return;
	for (int i = 0; i < sa->npending; i++)
		if (sa->pending[i] == reqid)
			return;
	if (sa->npending < (int)nitems(sa->pending))
		sa->pending[sa->npending++] = reqid;
}

/*
 * The data plane got ESP for an SPI it does not know: tell the peer
 * (RFC 2408 3.14.1 INVALID-SPI), under the ISAKMP SA, once a second.
 */
void
ike_esp_invalid_spi(void *arg, uint32_t spi, struct in_addr local,
    struct in_addr peer)
{
	struct ike	*ike = arg;
	struct ike_sa	*sa;
	uint64_t	 suppressed;
	uint8_t		 s[4];
	char		 a[INET_ADDRSTRLEN];

	if (!ike->active ||
	    (sa = ike_sa_find_peer(ike, local, peer)) == NULL)
		return;
	if (!log_ratelimit_ok(&ike->rl_cookie, ike_now(ike), 1000,
	    &suppressed))
		return;
	log_info(LOG_IKE, "ISAKMP:(%u): ESP from %s with unknown SPI 0x%08x: "
	    "sending INVALID_SPI", sa->conn_id, addr_str(peer, a), spi);
	be32_put(s, spi);
	(void)ike_info_send_notify(sa, IKE_PROTO_ESP, IKE_N_INVALID_SPI, s, 4,
	    NULL, 0);
}

void
ike_child_export(const struct ike_child *c, struct ike_ipsec_state *s)
{
	uint64_t now = ike_now(c->ike);

	memset(s, 0, sizeof(*s));
	s->version = IKE_STATE_VERSION;
	s->conn_in = c->conn_in;
	s->conn_out = c->conn_out;
	s->spi_in = c->spi_in;
	s->spi_out = c->spi_out;
	s->reqid = c->reqid;
	s->isakmp_conn_id = c->isakmp_conn_id;
	s->initiator = (uint8_t)c->initiator;
	s->local = c->local;
	s->remote = c->remote;
	s->local_port = c->lport;
	s->remote_port = c->rport;
	s->tunnel = (uint8_t)c->xf.tunnel;
	s->enc = (uint8_t)c->xf.enc;
	s->enc_keybits = (uint16_t)c->xf.keybits;
	s->auth = (uint8_t)c->xf.auth;
	memcpy(s->enc_key_in, c->ekey_in, sizeof(s->enc_key_in));
	memcpy(s->enc_key_out, c->ekey_out, sizeof(s->enc_key_out));
	s->enc_key_len = (uint16_t)c->ekey_len;
	memcpy(s->auth_key_in, c->akey_in, sizeof(s->auth_key_in));
	memcpy(s->auth_key_out, c->akey_out, sizeof(s->auth_key_out));
	s->auth_key_len = (uint16_t)c->akey_len;
	s->sel = c->sel;
	s->life_secs = c->xf.life_secs;
	s->remaining = c->expire_ms > now ?
	    (uint32_t)((c->expire_ms - now + 999) / 1000) : 0;
	s->life_kbytes = c->xf.life_kbytes;
	s->pfs_group = c->xf.group;
	s->replay_window = c->replay_window;
	snprintf(s->map, sizeof(s->map), "%s", c->map);
	s->map_seq = c->map_seq;
	s->ace = c->ace;
	snprintf(s->ifname, sizeof(s->ifname), "%s", c->ifname);
	s->rekeyed = (uint8_t)c->rekeyed;
	s->v2_conn = c->v2_conn;
}
