/*
 * The userspace engine: the ops table, the SAD and the SPD.
 *
 *   SAD	every SA by conn_id; inbound SAs also by SPI.  A policy's
 *		outbound SA is the newest outbound SA with its reqid, so a
 *		rekeyed SA takes over as soon as it is added (IOS's "current
 *		outbound spi") and the old one still decrypts until deleted.
 *   SPD	the policies in priority order; the first match wins.  Each
 *		policy is also a policy routing rule: PROTECT steers its
 *		selector into the TUN device's table, BYPASS (an ACL deny)
 *		sends its selector to the main table first, so exempt
 *		traffic never enters the TUN device.
 *
 * Timers: one tick a second checks lifetimes (soft: expire(0) once, hard:
 * the SA is deleted, then expire(1)).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <linux/rtnetlink.h>

#include "lib/lib.h"
#include "esp/engine.h"

static struct esp_engine *
eng(struct esp_backend *be)
{
	return (struct esp_engine *)be;
}

static unsigned
spi_hash(uint32_t spi)
{
	return (spi * 2654435761U) >> 20 & (ESP_SPI_BUCKETS - 1);
}

static unsigned
conn_hash(uint32_t id)
{
	return (id * 2654435761U) >> 20 & (ESP_CONN_BUCKETS - 1);
}

static struct esp_sa_rt *
sa_by_conn(struct esp_engine *e, uint32_t conn_id)
{
	struct esp_sa_rt *s;

	for (s = e->by_conn[conn_hash(conn_id)]; s != NULL; s = s->next_conn)
		if (s->c->sa.conn_id == conn_id)
			return s;
	return NULL;
}

struct esp_sa_rt *
esp_engine_sa_by_spi(struct esp_engine *e, uint32_t spi)
{
	struct esp_sa_rt *s;

	for (s = e->by_spi[spi_hash(spi)]; s != NULL; s = s->next_spi)
		if (s->c->sa.spi == spi)
			return s;
	return NULL;
}

static int
spi_taken(struct esp_engine *e, uint32_t spi)
{
	if (esp_engine_sa_by_spi(e, spi) != NULL)
		return 1;
	for (unsigned i = 0; i < nitems(e->reserved_spis); i++)
		if (e->reserved_spis[i] == spi)
			return 1;
	return 0;
}

static int
us_alloc_spi(struct esp_backend *be, uint32_t *spi)
{
	struct esp_engine *e = eng(be);
	uint32_t	 v;

	for (int tries = 0; tries < 64; tries++) {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return -1;
		if (v < 256 || spi_taken(e, v))
			continue;
		/* remembered until used, so two allocations never collide */
		e->reserved_spis[e->nreserved++ % nitems(e->reserved_spis)] = v;
		*spi = v;
		return 0;
	}
	return -1;
}

/* ---- policy routing ----------------------------------------------------- */

static int
prefix_len(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	int	 n = 0;

	/* a non-contiguous mask steers its covering prefix */
	while (n < 32 && (m & (0x80000000U >> n)))
		n++;
	return n;
}

static void
pol_rule(struct esp_engine *e, struct esp_pol *p, int rank)
{
	struct esp_rule	*r = &p->rule;
	int		 len;

	memset(r, 0, sizeof(*r));
	r->priority = ESP_RULE_BASE + (uint32_t)rank;
	if (r->priority > ESP_RULE_MAX)
		r->priority = ESP_RULE_MAX;
	r->table = p->p.action == ESP_POLICY_BYPASS ? RT_TABLE_MAIN :
	    e->table;
	len = prefix_len(p->p.sel.src_mask);
	r->src.s_addr = p->p.sel.src.s_addr & addr_mask_from_len(len).s_addr;
	r->src_len = len;
	len = prefix_len(p->p.sel.dst_mask);
	r->dst.s_addr = p->p.sel.dst.s_addr & addr_mask_from_len(len).s_addr;
	r->dst_len = len;
	r->proto = p->p.sel.proto;
	r->sport = p->p.sel.sport;
	r->dport = p->p.sel.dport;
}

static void
pol_rule_install(struct esp_engine *e, struct esp_pol *p, int rank)
{
	if (!e->routing)
		return;
	if (p->rule_installed) {
		if (p->rule.priority == ESP_RULE_BASE + (uint32_t)rank)
			return;
		(void)esp_rtnl_rule(e->nl_fd, 0, &p->rule);
		p->rule_installed = 0;
	}
	pol_rule(e, p, rank);
	if (esp_rtnl_rule(e->nl_fd, 1, &p->rule) == -1) {
		log_warn(LOG_ESP, "policy %u: rule priority %u", p->p.id,
		    p->rule.priority);
		return;
	}
	p->rule_installed = 1;
}

static void
pol_rule_remove(struct esp_engine *e, struct esp_pol *p)
{
	if (p->rule_installed && esp_rtnl_rule(e->nl_fd, 0, &p->rule) == -1)
		log_warn(LOG_ESP, "policy %u: removing rule", p->p.id);
	p->rule_installed = 0;
}

/*
 * reverse-route: the remote proxy routed into the TUN device (IOS RRI),
 * on the node that forwards only: a standby (outbound DROP) keeps no such
 * route, so a routing protocol redistributing them never draws traffic to
 * it; the routes come with the takeover.
 */
static void
pol_route_sync(struct esp_engine *e, struct esp_pol *p)
{
	int	 want = e->routing && p->p.reverse_route && p->out != NULL &&
	    p->p.action == ESP_POLICY_PROTECT &&
	    e->outbound != ESP_OUTBOUND_DROP;
	int	 len = prefix_len(p->p.sel.dst_mask);
	struct in_addr dst;

	if (want == p->route_installed)
		return;
	/* two policies may share a remote proxy: keep it while one wants it */
	for (int i = 0; !want && i < e->npols; i++) {
		struct esp_pol *q = &e->pols[i];

		if (q != p && q->route_installed &&
		    q->p.sel.dst.s_addr == p->p.sel.dst.s_addr &&
		    q->p.sel.dst_mask.s_addr == p->p.sel.dst_mask.s_addr) {
			p->route_installed = 0;
			return;
		}
	}
	dst.s_addr = p->p.sel.dst.s_addr & addr_mask_from_len(len).s_addr;
	if (esp_rtnl_route(e->nl_fd, want, RT_TABLE_MAIN, dst, len,
	    e->tun_ifindex) == -1) {
		char	 a[INET_ADDRSTRLEN];

		log_warn(LOG_ESP, "reverse-route %s/%d %s", addr_str(dst, a),
		    len, want ? "add" : "remove");
		return;
	}
	p->route_installed = want;
}

static int
fixed_rules(struct esp_engine *e, int add)
{
	struct esp_rule	 r[3];
	int		 rv = 0;

	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < nitems(r); i++) {
		r[i].priority = ESP_RULE_FIXED;
		r[i].table = RT_TABLE_MAIN;
	}
	/* the engine's own ESP packets, whatever their addresses */
	r[0].fwmark = ESP_FWMARK;
	/* IKE itself is never steered into the tunnel, as on IOS */
	r[1].proto = IPPROTO_UDP;
	r[1].sport = 500;
	r[2].proto = IPPROTO_UDP;
	r[2].sport = 4500;
	for (size_t i = 0; i < nitems(r); i++)
		if (esp_rtnl_rule(e->nl_fd, add, &r[i]) == -1)
			rv = -1;
	return rv;
}

/* ---- the SPD ------------------------------------------------------------ */

static int
pol_index(struct esp_engine *e, uint32_t id)
{
	for (int i = 0; i < e->npols; i++)
		if (e->pols[i].p.id == id)
			return i;
	return -1;
}

struct esp_pol *
esp_engine_spd_lookup(struct esp_engine *e, const struct esp_flow *f)
{
	for (int i = 0; i < e->npols; i++)
		if (esp_selector_match(&e->pols[i].p.sel, f))
			return &e->pols[i];
	return NULL;
}

static int
sa_covers(const struct esp_sa_rt *s, const struct esp_pol *p)
{
	return esp_selector_covers(&s->c->sa.sel, &p->p.sel);
}

static unsigned
reqid_hash(uint32_t reqid)
{
	return (reqid * 2654435761U) >> 22 & (ESP_REQID_BUCKETS - 1);
}

/*
 * The SA a policy sends on (struct esp_pol): the newest live outbound SA
 * of its reqid that covers it, else the newest of its reqid.  The reqid's
 * chain is newest first: the first covering SA is the answer, and with
 * none covering (ncover, skip already taken out) the first SA is.
 */
static struct esp_sa_rt *
pol_out(struct esp_engine *e, const struct esp_pol *p, struct esp_sa_rt *skip)
{
	struct esp_sa_rt *best = NULL;

	for (struct esp_sa_rt *s = e->by_reqid[reqid_hash(p->p.reqid)];
	    s != NULL; s = s->next_reqid) {
		e->out_visits++;
		if (s == skip || s->dead || s->c->sa.reqid != p->p.reqid)
			continue;
		if (p->ncover == 0 || sa_covers(s, p))
			return s;
		if (best == NULL)
			best = s;
	}
	return best;
}

/* The newest live outbound SA of the policy's reqid taking flow. */
static struct esp_sa_rt *
out_for(struct esp_engine *e, const struct esp_pol *p,
    const struct esp_flow *f)
{
	for (struct esp_sa_rt *s = e->by_reqid[reqid_hash(p->p.reqid)];
	    s != NULL; s = s->next_reqid) {
		e->out_visits++;
		if (!s->dead && s->c->sa.reqid == p->p.reqid &&
		    esp_selector_match(&s->c->sa.sel, f))
			return s;
	}
	return NULL;
}

struct esp_sa_rt *
esp_engine_out(struct esp_engine *e, const struct esp_pol *p,
    const struct esp_flow *f)
{
	struct esp_sa_rt *sa = p->out;

	/* a narrower SA (the only kind there is) takes only its flows */
	if (sa != NULL && !p->out_covers &&
	    !esp_selector_match(&sa->c->sa.sel, f))
		sa = out_for(e, p, f);
	return sa != NULL && !sa->dead ? sa : NULL;
}

static void
pol_set_out(struct esp_engine *e, struct esp_pol *p, struct esp_sa_rt *out)
{
	if (p->out != NULL)
		p->out->bound--;
	if (out != NULL)
		out->bound++;
	/* debug crypto ipsec: a rekeyed SA takes over, as IOS says it */
	if (out != p->out && out != NULL && log_debug_enabled(LOG_ESP)) {
		char	 peer[INET_ADDRSTRLEN];

		log_debug(LOG_ESP, "IPSEC(update_current_outbound_sa): policy "
		    "%u peer %s current outbound sa to SPI %08X (conn id %u)",
		    p->p.id, addr_str(out->c->sa.remote, peer),
		    out->c->sa.spi, out->c->sa.conn_id);
	}
	p->out = out;
	p->out_covers = out != NULL && sa_covers(out, p);
	pol_route_sync(e, p);
}

/*
 * The policies of reqid after an SA came or went; each policy's out is
 * pol_out's answer before the change.  newest: the SA just added (the
 * highest serial): it is the answer when it covers the policy; when it
 * does not, a covering current SA stays, and otherwise no SA covered, so
 * the newest is the answer.  skip: the SA going; only a policy sending on
 * it searches again (the others' answers do not change).
 */
static void
pols_rebind(struct esp_engine *e, uint32_t reqid, struct esp_sa_rt *skip,
    struct esp_sa_rt *newest)
{
	for (int i = 0; i < e->npols; i++) {
		struct esp_pol *p = &e->pols[i];

		if (p->p.reqid != reqid)
			continue;
		if (newest != NULL && sa_covers(newest, p))
			p->ncover++;
		if (skip != NULL && sa_covers(skip, p))
			p->ncover--;
		if (newest != NULL && p->out != NULL && p->out_covers &&
		    !sa_covers(newest, p))
			pol_route_sync(e, p);
		else if (newest != NULL)
			pol_set_out(e, p, newest);
		else if (p->out == skip)
			pol_set_out(e, p, pol_out(e, p, skip));
	}
}

static int
us_add_policy(struct esp_backend *be, const struct esp_policy *pol)
{
	struct esp_engine *e = eng(be);
	struct esp_pol	*p;
	int		 at;

	if (pol_index(e, pol->id) != -1) {
		log_warnx(LOG_ESP, "policy %u exists", pol->id);
		return -1;
	}
	if (pol->action != ESP_POLICY_PROTECT &&
	    pol->action != ESP_POLICY_BYPASS)
		return -1;
	for (at = 0; at < e->npols; at++) {
		const struct esp_policy *q = &e->pols[at].p;

		if (pol->priority < q->priority ||
		    (pol->priority == q->priority && pol->id < q->id))
			break;
	}
	e->pols = xreallocarray(e->pols, (size_t)e->npols + 1,
	    sizeof(*e->pols));
	memmove(&e->pols[at + 1], &e->pols[at],
	    (size_t)(e->npols - at) * sizeof(*e->pols));
	e->npols++;
	p = &e->pols[at];
	memset(p, 0, sizeof(*p));
	p->p = *pol;
	p->p.map_name[sizeof(p->p.map_name) - 1] = '\0';
	p->p.ifname[sizeof(p->p.ifname) - 1] = '\0';
	/* rules of the policies after it move one priority down */
	for (int i = e->npols - 1; i >= at; i--)
		pol_rule_install(e, &e->pols[i], i);
	for (struct esp_sa_rt *s = e->by_reqid[reqid_hash(pol->reqid)];
	    s != NULL; s = s->next_reqid)
		if (s->c->sa.reqid == pol->reqid && sa_covers(s, p))
			p->ncover++;
	if (pol->action == ESP_POLICY_PROTECT)
		pol_set_out(e, p, pol_out(e, p, NULL));
	log_debug(LOG_ESP, "policy %u reqid %u added (%s)", pol->id,
	    pol->reqid, pol->action == ESP_POLICY_PROTECT ? "protect" :
	    "bypass");
	return 0;
}

static int
us_del_policy(struct esp_backend *be, uint32_t id)
{
	struct esp_engine *e = eng(be);
	int		 at = pol_index(e, id);

	if (at == -1)
		return -1;
	pol_set_out(e, &e->pols[at], NULL);
	pol_rule_remove(e, &e->pols[at]);
	memmove(&e->pols[at], &e->pols[at + 1],
	    (size_t)(e->npols - at - 1) * sizeof(*e->pols));
	e->npols--;
	for (int i = at; i < e->npols; i++)
		pol_rule_install(e, &e->pols[i], i);
	/* another policy may now want the reverse route back */
	for (int i = 0; i < e->npols; i++)
		pol_route_sync(e, &e->pols[i]);
	return 0;
}

/* ---- the SAD ------------------------------------------------------------ */

static int
us_add_sa(struct esp_backend *be, const struct esp_sa *sa)
{
	struct esp_engine *e = eng(be);
	struct esp_sa_rt *s;
	struct esp_sactx *c;
	unsigned	 h;

	if (sa_by_conn(e, sa->conn_id) != NULL) {
		log_warnx(LOG_ESP, "SA conn id %u exists", sa->conn_id);
		return -1;
	}
	if (sa->dir == ESP_IN && (sa->spi < 256 ||
	    esp_engine_sa_by_spi(e, sa->spi) != NULL)) {
		log_warnx(LOG_ESP, "SA conn id %u: inbound SPI 0x%08x is in "
		    "use or reserved", sa->conn_id, sa->spi);
		return -1;
	}
	if (sa->replay_window != 0 && (sa->replay_window < 64 ||
	    sa->replay_window > 1024)) {
		log_warnx(LOG_ESP, "SA conn id %u: replay window %d",
		    sa->conn_id, sa->replay_window);
		return -1;
	}
	if ((c = esp_sactx_new(sa)) == NULL) {
		log_warnx(LOG_ESP, "SA conn id %u spi 0x%08x: transform or "
		    "key length not supported", sa->conn_id, sa->spi);
		return -1;
	}
	c->sa.map_name[sizeof(c->sa.map_name) - 1] = '\0';
	c->sa.ifname[sizeof(c->sa.ifname) - 1] = '\0';
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->serial = ++e->serial;
	h = conn_hash(sa->conn_id);
	s->next_conn = e->by_conn[h];
	e->by_conn[h] = s;
	if (sa->dir == ESP_IN) {
		h = spi_hash(sa->spi);
		s->next_spi = e->by_spi[h];
		e->by_spi[h] = s;
		for (unsigned i = 0; i < nitems(e->reserved_spis); i++)
			if (e->reserved_spis[i] == sa->spi)
				e->reserved_spis[i] = 0;
	}
	e->nsas++;
	if (sa->dir == ESP_OUT) {
		struct esp_sa_rt **head = &e->by_reqid[reqid_hash(sa->reqid)];

		s->next_reqid = *head;
		if (*head != NULL)
			(*head)->prev_reqid = s;
		*head = s;
		pols_rebind(e, sa->reqid, NULL, s);
	}
	if (log_debug_enabled(LOG_ESP)) {
		char	 dst[INET_ADDRSTRLEN], t[64];

		alg_esp_transform_ios(sa->enc, sa->enc_keybits, sa->auth, t,
		    sizeof(t));
		log_debug(LOG_ESP, "IPSEC(create_sa): sa created, %s sa_dest= "
		    "%s, sa_proto= 50, sa_spi= 0x%08X(%u), sa_trans= %s , "
		    "sa_conn_id= %u, reqid %u, sa_lifetime(k/sec)= "
		    "(%llu/%u)", sa->dir == ESP_IN ? "inbound" : "outbound",
		    addr_str(sa->dir == ESP_IN ? sa->local : sa->remote, dst),
		    sa->spi, sa->spi, t, sa->conn_id, sa->reqid,
		    (unsigned long long)(sa->hard_bytes / 1024),
		    sa->hard_secs);
	}
	return 0;
}

static int
us_update_sa(struct esp_backend *be, const struct esp_sa *sa)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), sa->conn_id);

	if (s == NULL)
		return -1;
	s->c->sa.local = sa->local;
	s->c->sa.remote = sa->remote;
	s->c->sa.local_port = sa->local_port;
	s->c->sa.remote_port = sa->remote_port;
	return 0;
}

static void
sa_unlink(struct esp_engine *e, struct esp_sa_rt *s)
{
	struct esp_sa_rt **pp;

	for (pp = &e->by_conn[conn_hash(s->c->sa.conn_id)]; *pp != NULL;
	    pp = &(*pp)->next_conn)
		if (*pp == s) {
			*pp = s->next_conn;
			break;
		}
	if (s->c->sa.dir == ESP_IN)
		for (pp = &e->by_spi[spi_hash(s->c->sa.spi)]; *pp != NULL;
		    pp = &(*pp)->next_spi)
			if (*pp == s) {
				*pp = s->next_spi;
				break;
			}
	e->nsas--;
	if (s->c->sa.dir == ESP_OUT) {
		if (s->prev_reqid != NULL)
			s->prev_reqid->next_reqid = s->next_reqid;
		else
			e->by_reqid[reqid_hash(s->c->sa.reqid)] =
			    s->next_reqid;
		if (s->next_reqid != NULL)
			s->next_reqid->prev_reqid = s->prev_reqid;
		s->next_reqid = s->prev_reqid = NULL;
		pols_rebind(e, s->c->sa.reqid, s, NULL);
	}
}

static void
sa_free(struct esp_sa_rt *s)
{
	esp_sactx_free(s->c);	/* wipes the keys */
	free(s);
}

static int
us_del_sa(struct esp_backend *be, uint32_t conn_id)
{
	struct esp_engine *e = eng(be);
	struct esp_sa_rt *s = sa_by_conn(e, conn_id);

	if (s == NULL)
		return -1;
	log_debug(LOG_ESP, "IPSEC(delete_sa): deleting SA, %s spi "
	    "0x%08X(%u), sa_conn_id= %u, %llu packets",
	    s->c->sa.dir == ESP_IN ? "inbound" : "outbound", s->c->sa.spi,
	    s->c->sa.spi, conn_id, (unsigned long long)s->c->st.packets);
	sa_unlink(e, s);
	sa_free(s);
	return 0;
}

static int
us_query_sa(struct esp_backend *be, uint32_t conn_id, struct esp_sa_stats *st)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), conn_id);

	if (s == NULL)
		return -1;
	*st = s->c->st;
	return 0;
}

static int
us_get_replay(struct esp_backend *be, uint32_t conn_id,
    struct esp_replay_state *r)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), conn_id);

	if (s == NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	esp_replay_export(&s->c->replay, r);
	r->seq_out = s->c->seq.out;
	return 0;
}

static int
us_set_replay(struct esp_backend *be, uint32_t conn_id,
    const struct esp_replay_state *r)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), conn_id);

	if (s == NULL)
		return -1;
	if (s->c->sa.dir == ESP_OUT) {
		if (r->seq_out > esp_seq_max(s->c->sa.esn))
			return -1;
		esp_seq_set(&s->c->seq, r->seq_out, s->c->sa.esn);
		return 0;
	}
	return esp_replay_import(&s->c->replay, r);
}

static int
us_continue_out(struct esp_backend *be, uint32_t conn_id, uint64_t synced,
    uint64_t *start)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), conn_id);

	if (s == NULL || s->c->sa.dir != ESP_OUT ||
	    esp_seq_can_continue(&s->c->seq, synced, s->c->sa.esn) == -1)
		return -1;
	if (start == NULL)
		return 0;
	(void)esp_seq_continue(&s->c->seq, synced, s->c->sa.esn);
	*start = s->c->seq.out;
	return 0;
}

static int
us_set_traffic(struct esp_backend *be, uint32_t conn_id, uint64_t packets,
    uint64_t bytes)
{
	struct esp_sa_rt *s = sa_by_conn(eng(be), conn_id);

	if (s == NULL)
		return -1;
	s->c->st.packets = packets;
	s->c->st.bytes = bytes;
	/* every packet carried was encrypted and authenticated (IOS counts) */
	s->c->crypt = packets;
	s->c->digest = packets;
	return 0;
}

static int
us_attach_encap_socket(struct esp_backend *be, int fd, esp_ike_input_fn fn,
    void *arg)
{
	struct esp_engine *e = eng(be);

	if (e->udp_fd != -1) {
		log_warnx(LOG_ESP, "an encapsulation socket is attached "
		    "already");
		return -1;
	}
	e->udp_fd = fd;
	e->ike_fn = fn;
	e->ike_arg = arg;
	esp_io_attach_udp(e);
	return 1;
}

static void
us_detach_encap_input(struct esp_backend *be)
{
	struct esp_engine *e = eng(be);

	e->ike_fn = NULL;
	e->ike_arg = NULL;
}

static void
sa_info(const struct esp_sa_rt *s, struct esp_sa_info *i, uint64_t now)
{
	const struct esp_sactx *c = s->c;

	memset(i, 0, sizeof(*i));
	i->sa = c->sa;
	OPENSSL_cleanse(i->sa.enc_key, sizeof(i->sa.enc_key));
	OPENSSL_cleanse(i->sa.auth_key, sizeof(i->sa.auth_key));
	i->st = c->st;
	esp_replay_export(&c->replay, &i->replay);
	i->replay.seq_out = c->seq.out;
	i->seq_limit = c->seq.limit;
	i->iv_len = (uint32_t)c->x.iv_len;
	i->age_ms = now - c->st.added_ms;
	i->digest = c->digest;
	i->crypt = c->crypt;
	i->other_drops = c->malformed + c->pad_drops + c->proto_drops;
	i->udp_encap = c->sa.remote_port != 0;
	i->current = s->bound > 0;
}

static int
us_walk_sas(struct esp_backend *be, esp_sa_walk_fn fn, void *arg)
{
	struct esp_engine *e = eng(be);
	struct esp_sa_info i;
	uint64_t	 now = time_mono_ms();

	for (int b = 0; b < ESP_CONN_BUCKETS; b++)
		for (struct esp_sa_rt *s = e->by_conn[b]; s != NULL;
		    s = s->next_conn) {
			sa_info(s, &i, now);
			fn(arg, &i);
		}
	OPENSSL_cleanse(&i, sizeof(i));
	return 0;
}

static int
us_walk_policies(struct esp_backend *be, esp_policy_walk_fn fn, void *arg)
{
	struct esp_engine *e = eng(be);
	struct esp_policy p;

	for (int i = 0; i < e->npols; i++) {
		p = e->pols[i].p;
		p.hits = e->pols[i].hits;
		fn(arg, &p);
	}
	return 0;
}

static int
us_get_stats(struct esp_backend *be, struct esp_engine_stats *st)
{
	*st = eng(be)->st;
	return 0;
}

/* ---- events ------------------------------------------------------------- */

void
esp_engine_acquire(struct esp_engine *e, struct esp_pol *p,
    const struct esp_flow *f)
{
	struct esp_selector sel;
	uint64_t	 now = time_mono_ms();

	e->st.no_sa++;
	p->nosa_drops++;
	/* once a second per policy while the SA is pending */
	if (p->last_acquire_ms != 0 && now - p->last_acquire_ms < 1000)
		return;
	p->last_acquire_ms = now;
	p->acquires++;
	e->st.acquires++;
	memset(&sel, 0, sizeof(sel));
	sel.src = f->src;
	sel.src_mask.s_addr = 0xffffffff;
	sel.dst = f->dst;
	sel.dst_mask.s_addr = 0xffffffff;
	sel.proto = f->proto;
	sel.sport = f->sport;
	sel.dport = f->dport;
	log_debug(LOG_ESP, "acquire for policy %u reqid %u", p->p.id,
	    p->p.reqid);
	esp_emit_acquire(&e->be, p->p.reqid, &sel);
}

void
esp_engine_sa_used(struct esp_engine *e, struct esp_sa_rt *s)
{
	uint32_t	 iv = s->c->sa.sync_interval;

	if (iv == 0 || ++s->since_sync < iv)
		return;
	s->since_sync = 0;
	esp_emit_counter_update(&e->be, s->c->sa.conn_id);
}

static int
hard_due(const struct esp_sactx *c, uint64_t age_ms)
{
	if (c->sa.hard_secs != 0 && age_ms >= c->sa.hard_secs * 1000ULL)
		return 1;
	if (c->sa.hard_bytes != 0 && c->st.bytes >= c->sa.hard_bytes)
		return 1;
	return c->sa.dir == ESP_OUT && c->seq.out >= c->seq.limit;
}

static int
soft_due(const struct esp_sactx *c, uint64_t age_ms)
{
	if (c->sa.soft_secs != 0 && age_ms >= c->sa.soft_secs * 1000ULL)
		return 1;
	if (c->sa.soft_bytes != 0 && c->st.bytes >= c->sa.soft_bytes)
		return 1;
	return c->sa.dir == ESP_OUT &&
	    c->seq.limit - c->seq.out <= ESP_SEQ_SOFT;
}

static void
tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct esp_engine *e = w->data;
	uint64_t	 now = time_mono_ms();
	uint32_t	*ids;
	int		 n = 0;

	(void)loop;
	(void)revents;
	if (e->nsas == 0)
		return;
	/* a snapshot: the events may add and delete SAs */
	ids = xreallocarray(NULL, (size_t)e->nsas, sizeof(*ids));
	for (int b = 0; b < ESP_CONN_BUCKETS; b++)
		for (struct esp_sa_rt *s = e->by_conn[b]; s != NULL &&
		    n < e->nsas; s = s->next_conn)
			ids[n++] = s->c->sa.conn_id;
	for (int i = 0; i < n; i++) {
		struct esp_sa_rt *s = sa_by_conn(e, ids[i]);
		uint64_t age;

		if (s == NULL)
			continue;
		age = now - s->c->st.added_ms;
		/*
		 * a hard expiry is always preceded by its soft one; a standby
		 * (outbound DROP) holds it back, as its IKE would not rekey:
		 * raised once the node sends
		 */
		if (!s->soft_raised && e->outbound != ESP_OUTBOUND_DROP &&
		    (soft_due(s->c, age) ||
		    hard_due(s->c, age))) {
			s->soft_raised = 1;
			e->st.expires_soft++;
			log_info(LOG_ESP, "SA conn id %u spi 0x%08x: soft "
			    "lifetime expired, rekey", ids[i], s->c->sa.spi);
			esp_emit_expire(&e->be, ids[i], 0);
			/* the event may have deleted it */
			if ((s = sa_by_conn(e, ids[i])) == NULL)
				continue;
		}
		if (hard_due(s->c, age)) {
			log_info(LOG_ESP, "SA conn id %u spi 0x%08x: hard "
			    "lifetime expired, deleted", ids[i],
			    s->c->sa.spi);
			sa_unlink(e, s);
			sa_free(s);
			e->st.expires_hard++;
			esp_emit_expire(&e->be, ids[i], 1);
		}
	}
	free(ids);
}

/* ---- life --------------------------------------------------------------- */

static void
us_destroy(struct esp_backend *be)
{
	struct esp_engine *e = eng(be);

	if (e->loop != NULL)
		ev_timer_stop(e->loop, &e->tick);
	esp_io_stop(e);
	while (e->npols > 0)
		us_del_policy(be, e->pols[e->npols - 1].p.id);
	for (int b = 0; b < ESP_CONN_BUCKETS; b++)
		while (e->by_conn[b] != NULL) {
			struct esp_sa_rt *s = e->by_conn[b];

			sa_unlink(e, s);
			sa_free(s);
		}
	if (e->routing) {
		if (e->fixed_rules)
			(void)fixed_rules(e, 0);
		/* whatever is left (the table's route goes with the TUN) */
		(void)esp_rtnl_sweep(e->nl_fd);
	}
	if (e->nl_fd != -1)
		close(e->nl_fd);
	if (e->tun_fd != -1)
		close(e->tun_fd);
	if (e->raw_fd != -1)
		close(e->raw_fd);
	free(e->pols);
	/* plaintext passed through them */
	for (int i = 0; e->rx != NULL && i < ESP_BATCH; i++)
		free_secret(e->rx[i].buf, e->rx[i].cap);
	for (int i = 0; e->tx != NULL && i < ESP_TX_SLOTS; i++)
		free_secret(e->tx[i].buf, e->tx[i].cap);
	free(e->rx);
	free(e->tx);
	if (e->gsobuf != NULL)
		free_secret(e->gsobuf, ESP_GSOBUF);
	if (e->grobuf != NULL)
		free_secret(e->grobuf, ESP_GROBUF);
	log_info(LOG_ESP, "userspace engine stopped, %s removed",
	    e->tun_name);
	free_secret(e, sizeof(*e));
}

static int
us_set_outbound(struct esp_backend *be, enum esp_outbound mode)
{
	struct esp_engine *e = eng(be);

	if (mode != ESP_OUTBOUND_SEND && mode != ESP_OUTBOUND_HOLD &&
	    mode != ESP_OUTBOUND_DROP)
		return -1;
	if (e->outbound != mode)
		log_debug(LOG_ESP, "outbound traffic: %s", mode ==
		    ESP_OUTBOUND_SEND ? "sent" : mode == ESP_OUTBOUND_HOLD ?
		    "held in the TUN queue" : "dropped (standby)");
	esp_io_set_outbound(e, mode);
	for (int i = 0; i < e->npols; i++)
		pol_route_sync(e, &e->pols[i]);
	return 0;
}

static const struct esp_backend_ops userspace_ops = {
	.name = "userspace",
	.alloc_spi = us_alloc_spi,
	.add_sa = us_add_sa,
	.update_sa = us_update_sa,
	.del_sa = us_del_sa,
	.query_sa = us_query_sa,
	.get_replay = us_get_replay,
	.set_replay = us_set_replay,
	.continue_out = us_continue_out,
	.set_traffic = us_set_traffic,
	.add_policy = us_add_policy,
	.del_policy = us_del_policy,
	.attach_encap_socket = us_attach_encap_socket,
	.detach_encap_input = us_detach_encap_input,
	.destroy = us_destroy,
	.walk_sas = us_walk_sas,
	.walk_policies = us_walk_policies,
	.get_stats = us_get_stats,
	.set_outbound = us_set_outbound,
};

static void *
resident(size_t n)
{
	void	*p = xmalloc(n);

	memset(p, 0, n);
	return p;
}

struct esp_engine *
esp_engine_new(struct ev_loop *loop, const struct esp_userspace_opts *o)
{
	struct esp_engine *e = xcalloc(1, sizeof(*e));

	e->be.ops = &userspace_ops;
	e->loop = loop;
	e->tun_fd = e->raw_fd = e->udp_fd = e->nl_fd = -1;
	e->table = o != NULL && o->table != 0 ? o->table : ESP_TABLE_DEFAULT;
	e->tun_mtu = o != NULL && o->mtu != 0 ? o->mtu : 1400;
	e->routing = o == NULL || !o->no_routing;
	/*
	 * Every buffer is written once now: resident from the start, at the
	 * size it keeps.  Left to the traffic, a receive buffer's pages
	 * became resident one by one as larger GRO batches landed in it,
	 * and the daemon's RSS crept up with nothing leaking (part of the
	 * soak's growth, docs/benchmarks.md "The soak").
	 */
	e->rx = xcalloc(ESP_BATCH, sizeof(*e->rx));
	e->tx = xcalloc(ESP_TX_SLOTS, sizeof(*e->tx));
	for (int i = 0; i < ESP_BATCH; i++) {
		e->rx[i].cap = ESP_RXBUF;
		e->rx[i].buf = resident(ESP_RXBUF);
	}
	for (int i = 0; i < ESP_TX_SLOTS; i++) {
		e->tx[i].cap = ESP_BUFSZ;
		e->tx[i].buf = resident(ESP_BUFSZ);
	}
	/*
	 * Offloads asked for: the TUN device may take fewer (esp_tun_open
	 * narrows vnet); the buffers stay until destroy in any case.
	 */
	if (o == NULL || !o->no_offload) {
		e->vnet = ESP_OFF_VNET | ESP_OFF_TSO | ESP_OFF_USO;
		e->gsobuf = resident(ESP_GSOBUF);
		e->grobuf = resident(ESP_GROBUF);
	}
	return e;
}

struct esp_backend *
esp_userspace_new(struct ev_loop *loop, const struct esp_userspace_opts *o)
{
	struct esp_engine *e = esp_engine_new(loop, o);
	const char	*name = o != NULL && o->tun_name != NULL ?
	    o->tun_name : ESP_TUN_DEFAULT;
	int		 swept;

	if (e->routing) {
		if ((e->nl_fd = nl_open(0)) == -1) {
			log_warn(LOG_ESP, "rtnetlink");
			goto fail;
		}
		/* a crashed run's rules and routes */
		if ((swept = esp_rtnl_sweep(e->nl_fd)) > 0)
			log_info(LOG_ESP, "removed %d rules and routes left by "
			    "an earlier run", swept);
	}
	if ((e->tun_fd = esp_tun_open(name, e->tun_mtu, e->tun_name,
	    &e->tun_ifindex, &e->vnet)) == -1)
		goto fail;
	if (e->routing) {
		struct in_addr any = { 0 };

		if (esp_rtnl_route(e->nl_fd, 1, e->table, any, 0,
		    e->tun_ifindex) == -1) {
			log_warn(LOG_ESP, "default route of table %u",
			    e->table);
			goto fail;
		}
		if (fixed_rules(e, 1) == -1) {
			log_warn(LOG_ESP, "policy routing rules");
			goto fail;
		}
		e->fixed_rules = 1;
	}
	if (esp_io_start(e) == -1)
		goto fail;
	ev_timer_init(&e->tick, tick, 1.0, 1.0);
	e->tick.data = e;
	ev_timer_start(loop, &e->tick);
	log_info(LOG_ESP, "userspace engine on %s (mtu %d, table %u%s%s%s)",
	    e->tun_name, e->tun_mtu, e->table, e->vnet ? ", offloads" : "",
	    e->vnet & ESP_OFF_TSO ? " tso" : "",
	    e->vnet & ESP_OFF_USO ? " uso" : "");
	return &e->be;
 fail:
	us_destroy(&e->be);
	return NULL;
}

const char *
esp_userspace_tun_name(struct esp_backend *be)
{
	return eng(be)->tun_name;
}
