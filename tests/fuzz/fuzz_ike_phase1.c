/*
 * libFuzzer: the messages of phase 1 that authenticate, Main Mode 5 and 6
 * and Aggressive Mode 1 to 3.  Each input runs the unit tests' two-engine
 * pair (tests/unit/ike_pair.c) up to one message, takes the genuine
 * message off the queue and hands the receiver one built from the input
 * in its place, encrypted under the negotiated key with the IV the
 * receiver expects when the message is encrypted; so the fuzzed payloads
 * get past decryption into ike/main_mode.c's and aggressive.c's handling
 * (ID, HASH, notifications, the NAT-T payloads, the state that follows):
 *
 *   target  message           to  receiver's state  encrypted
 *   0       MM5 (IDii, HASH_I)  b   MM_KEY_EXCH       yes
 *   1       MM6 (IDir, HASH_R)  a   MM_KEY_EXCH       yes
 *   2       AM1 (SA, KE, Ni, ID) b  -                 no
 *   3       AM2 (... HASH_R)    a   AG_INIT_EXCH      no
 *   4       AM3 (HASH_I)        b   AG_INIT_EXCH      yes (clear taken too)
 *
 * Input: byte 0: the target (modulo 5) and, in bits 4-5, the ISAKMP
 * policy of both peers (suites[] below); byte 1: flags, bit 0 sends in
 * clear what should be encrypted, bit 1 sends the message twice, bit 2
 * lets the exchange go on afterwards (Quick Mode, answers, retransmits
 * and timeouts as the clock moves), bit 3 puts a behind a NAT, bit 4
 * has the NAT map a's ports anew just before the message, bit 5 once
 * the exchange has gone on as far as it can before the clock moves
 * (both: twice).  Then items, each a tag byte:
 *
 *   tag % 4 == 0  a payload from the input: its type, a 16-bit length
 *		   (modulo what is left) and its body
 *   tag % 4 == 1  payload number (next byte, modulo their count) of the
 *		   genuine message
 *   tag % 4 == 2  a HASH payload that is right for the ID payload
 *		   written last (AM3: for the ID of AM1), as the receiver
 *		   computes it (nothing in AM1)
 *   tag % 4 == 3  the rest of the genuine message's payloads from number
 *		   (next byte)
 *
 * No items: the genuine payloads, which complete the exchange.
 *
 * The NAT (as test_ike_exchange.c's test_nat_traversal): b knows a as
 * 10.0.0.1, a's port 500 as 40500 and 4500 as 44500 there, each one
 * higher after every new mapping; what b sends to a mapping it gave out
 * goes back to a, anything else to a's side is dropped.  NAT-D then
 * disagrees, a moves to port 4500 after MM4 (AM2) and MM5, MM6 and AM3
 * travel there behind the non-ESP marker; the message from the input
 * goes through the NAT too and reaches ike_input as the receiver's port
 * 4500 socket hands it over, marker included.  With bit 2, a sends NAT
 * keepalives every 5 s and R-U-THEREs every 10 s, and the clock moves
 * 11 s: after bit 5's new mapping, the R-U-THERE moves b's SAs, the
 * IPsec ones included, to a's new port.
 *
 * Nothing may crash, and phase 1 completes only with a valid HASH: a
 * receiver that is established after a message carrying neither a HASH
 * made here nor the genuine one is an authentication bypass.  The same
 * for the ports of the receiver's SA (RFC 3947 4): a responder follows
 * the initiator to port 4500, and to where its NAT maps it, only once
 * MM5 or AM3 is authenticated; an initiator moves to port 4500 after
 * AM2, and takes the responder's port from MM6, only once HASH_R is
 * verified.  So neither port may move after a message without such a
 * HASH; and behind the NAT a responder that MM5 or AM3 established must
 * answer where that message came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike_int.h"
#include "ike/wire.h"
#include "tests/unit/ike_pair.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NTARGETS	5
#define MAX_ITEMS	16
#define MAX_PLS		32

/* byte 1 */
#define F_CLEAR		0x01
#define F_TWICE		0x02
#define F_GO_ON		0x04
#define F_NAT		0x08
#define F_REMAP_BEFORE	0x10
#define F_REMAP_AFTER	0x20

/* the NAT: a's public ports for its 500 and 4500, before any remapping */
#define NAT_OUTSIDE	"10.0.0.1"
#define NAT_PUB_IKE	40500
#define NAT_PUB_NATT	44500

/* the ISAKMP policies: cheap groups, each cipher and hash once */
static const struct suite {
	const char	*p1;
	const char	*tset;
} suites[] = {
	{ " encr aes 256\n hash sha256\n group 19\n",
	    "esp-aes 256 esp-sha256-hmac" },
	{ " encr aes 128\n hash sha\n group 19\n", "esp-aes esp-sha-hmac" },
	{ " encr 3des\n hash md5\n group 1\n", "esp-3des esp-md5-hmac" },
	{ " encr aes 192\n hash sha512\n group 2\n", "esp-gcm 128" },
};
#define NSUITES	(sizeof(suites) / sizeof(suites[0]))

/* a initiates Aggressive Mode with b (the key for b's address) */
static const char am_peer[] =
    "crypto isakmp peer address 10.0.0.20\n"
    " set aggressive-mode client-endpoint ipv4-address 10.0.0.11\n"
    "crypto isakmp key";
/* behind the NAT, a keeps its mapping alive and b hears from it */
static const char nat_ka[] =
    "crypto isakmp nat keepalive 5\n"
    "crypto isakmp keepalive 10 periodic\n"
    "crypto isakmp key";

/* per target: the sender, the pair's steps before it, Aggressive Mode */
static const struct target {
	int		 from;
	int		 steps;
	int		 aggressive;
	int		 encrypted;
} targets[NTARGETS] = {
	{ 0, 4, 0, 1 },
	{ 1, 5, 0, 1 },
	{ 0, 0, 1, 0 },
	{ 1, 1, 1, 0 },
	{ 0, 2, 1, 1 },
};

/* [suite][NAT]: a's for Main and Aggressive Mode, b's */
static char	*conf_mm[NSUITES][2], *conf_am[NSUITES][2];
static char	*conf_b[NSUITES][2];
static FILE	*devnull;
static struct in_addr nat_outside;

/* One payload of the genuine message. */
struct gpl {
	uint8_t		 type;
	const uint8_t	*body;
	size_t		 len;
};

static char *
suite_conf(const char *base, const struct suite *s)
{
	char	*a, *b, *c, ts[128], pol[128];

	snprintf(pol, sizeof(pol), " authentication pre-share\n%s", s->p1);
	a = pair_edit(base, " encr aes 256\n hash sha256\n"
	    " authentication pre-share\n group 14\n", pol);
	snprintf(ts, sizeof(ts), "transform-set TS %s\n", s->tset);
	b = pair_edit(a, "transform-set TS esp-aes 256 esp-sha256-hmac\n",
	    ts);
	c = pair_edit(b, " set pfs group14\n", "");
	free(a);
	free(b);
	return c;
}

static void
setup(void)
{
	char	*b;

	pair_log_init();
	devnull = fopen("/dev/null", "w");
	addr_parse(NAT_OUTSIDE, &nat_outside);
	for (size_t i = 0; i < NSUITES; i++) {
		conf_mm[i][0] = suite_conf(pair_conf_a, &suites[i]);
		conf_am[i][0] = pair_edit(conf_mm[i][0], "crypto isakmp key",
		    am_peer);
		conf_mm[i][1] = pair_edit(conf_mm[i][0], "crypto isakmp key",
		    nat_ka);
		conf_am[i][1] = pair_edit(conf_am[i][0], "crypto isakmp key",
		    nat_ka);
		conf_b[i][0] = suite_conf(pair_conf_b, &suites[i]);
		/* b's peer is the NAT's outside address */
		b = pair_edit(conf_b[i][0], "address 10.0.0.11",
		    "address " NAT_OUTSIDE);
		conf_b[i][1] = pair_edit(b, "set peer 10.0.0.11",
		    "set peer " NAT_OUTSIDE);
		free(b);
	}
}

/*
 * The NAT in front of a (filter_arg: how many times it mapped a anew).
 * A mapping outlives a new one for a while: answers to any port given
 * out still reach a.
 */
static int
nat(struct pair *p, struct pair_msg *m)
{
	int		 gen = *(int *)p->filter_arg;
	uint16_t	 port;

	if (m->from == 0) {
		port = ntohs(m->src.sin_port) == IKE_PORT ? NAT_PUB_IKE :
		    NAT_PUB_NATT;
		m->src.sin_addr = nat_outside;
		m->src.sin_port = htons((uint16_t)(port + gen));
		return 1;
	}
	if (m->dst.sin_addr.s_addr != nat_outside.s_addr)
		return 0;	/* a's own address is not reachable from b */
	port = ntohs(m->dst.sin_port);
	if (port >= NAT_PUB_IKE && port <= NAT_PUB_IKE + gen)
		m->dst.sin_port = htons(IKE_PORT);
	else if (port >= NAT_PUB_NATT && port <= NAT_PUB_NATT + gen)
		m->dst.sin_port = htons(IKE_NATT_PORT);
	else
		return 0;	/* no such mapping */
	m->dst.sin_addr = p->n[0].addr;
	return 1;
}

/* The node's negotiation (there is one at most here), or NULL. */
static struct ike_sa *
node_sa(struct pair *p, int i)
{
	for (struct ike_sa *sa = p->n[i].ike->sas; sa != NULL; sa = sa->next)
		if (sa->state != IKE_DEAD)
			return sa;
	return NULL;
}

static struct ike_sa *
established_sa(struct pair *p, int i)
{
	for (struct ike_sa *sa = p->n[i].ike->sas; sa != NULL; sa = sa->next)
		if (sa->established)
			return sa;
	return NULL;
}

static int
node_established(struct pair *p, int i)
{
	return established_sa(p, i) != NULL;
}

/* A negotiation's ports, found again by its initiator cookie. */
struct ports {
	uint8_t		 icookie[IKE_COOKIE_LEN];
	in_port_t	 local;
	in_port_t	 remote;
};

static void
ports_get(const struct ike_sa *sa, struct ports *pt)
{
	memcpy(pt->icookie, sa->icookie, sizeof(pt->icookie));
	pt->local = sa->local.sin_port;
	pt->remote = sa->remote.sin_port;
}

/* 1 if either port is not what it was; a negotiation gone moved none. */
static int
ports_moved(struct pair *p, int i, const struct ports *pt)
{
	for (struct ike_sa *sa = p->n[i].ike->sas; sa != NULL; sa = sa->next)
		if (memcmp(sa->icookie, pt->icookie, IKE_COOKIE_LEN) == 0)
			return sa->local.sin_port != pt->local ||
			    sa->remote.sin_port != pt->remote;
	return 0;
}

/*
 * The genuine message's payloads: decrypted with the receiver's key and
 * IV when encrypted (into plain), then the payload chain as sent.
 */
static int
genuine(struct ike_sa *rsa, const uint8_t *msg, size_t mlen, uint8_t *plain,
    struct gpl *pl)
{
	struct ike_sa	*sa = rsa;
	uint8_t		 iv[IKE_MAX_BLOCK];
	size_t		 off = IKE_HDR_LEN;
	uint8_t		 np;
	int		 n = 0;

	if (mlen < IKE_HDR_LEN)
		abort();
	memcpy(plain, msg, mlen);
	if (msg[19] & IKE_FLAG_ENC) {
		memcpy(iv, sa->iv, sizeof(iv));
		if (ike_cipher(sa->alg.enc, sa->keys.enc, sa->keys.enclen, iv,
		    plain + IKE_HDR_LEN, mlen - IKE_HDR_LEN, 0) == -1)
			abort();
	}
	np = plain[16];
	while (np != IKE_PL_NONE && n < MAX_PLS && off + 4 <= mlen) {
		size_t	 len = be16_get(plain + off + 2);

		if (len < 4 || off + len > mlen)
			abort();	/* our own message: the harness broke */
		pl[n].type = np;
		pl[n].body = plain + off + 4;
		pl[n].len = len - 4;
		n++;
		np = plain[off];
		off += len;
	}
	return n;
}

static void
put(struct ike_wr *wr, uint8_t type, const uint8_t *body, size_t len,
    const uint8_t **idb, size_t *idlen)
{
	size_t	 b = ike_wr_begin(wr, type);

	wbuf_put_bytes(&wr->w, body, len);
	ike_wr_end(wr, b);
	if (type == IKE_PL_ID) {
		*idb = body;
		*idlen = len;
	}
}

/*
 * The message from the input in place of the genuine one (its header at
 * hdr): 1 if it carries a HASH that may be valid (made here, or the
 * genuine one).
 */
static int
build(struct pair *p, int t, const uint8_t *hdr, const struct gpl *pl,
    int npl, const uint8_t *data, size_t size, struct ike_wr *wr)
{
	const struct target *tg = &targets[t];
	/* who computes the HASH: the receiver, or b for AM2 (a has no keys) */
	struct ike_sa	*hsa = node_sa(p, t == 3 ? 1 : 1 - tg->from);
	const uint8_t	*idb = NULL;
	size_t		 idlen = 0, off = 0;
	int		 hashed = 0, items = 0;

	ike_wr_init(wr, hdr, hdr + 8, hdr[18], hdr[19] & ~IKE_FLAG_ENC, 0);
	if (size == 0)
		for (int k = 0; k < npl; k++) {
			put(wr, pl[k].type, pl[k].body, pl[k].len, &idb,
			    &idlen);
			hashed |= pl[k].type == IKE_PL_HASH;
		}
	while (off < size && items++ < MAX_ITEMS) {
		uint8_t	 tag = data[off++] % 4, k;
		size_t	 len;

		switch (tag) {
		case 0:
			if (size - off < 3)
				return hashed;
			k = data[off];
			len = be16_get(data + off + 1) % (size - off - 3 + 1);
			put(wr, k, data + off + 3, len, &idb, &idlen);
			off += 3 + len;
			break;
		case 1:
		case 3:
			if (off == size || npl == 0)
				return hashed;
			k = (uint8_t)(data[off++] % npl);
			do {
				put(wr, pl[k].type, pl[k].body, pl[k].len,
				    &idb, &idlen);
				hashed |= pl[k].type == IKE_PL_HASH;
			} while (tag == 3 && ++k < npl);
			break;
		case 2:
			if (t == 2 || hsa == NULL)
				break;
			if (t == 4) {
				idb = hsa->ida_b;
				idlen = hsa->ida_len;
			}
			ike_p1_write_hash(hsa, wr, t == 1 || t == 3, idb,
			    idlen);
			hashed = 1;
			break;
		}
	}
	return hashed;
}

/*
 * Encrypt as ike_msg_send() does, with the receiver's key and IV; the
 * sender's IV then follows from this message, as if it had sent it, so
 * that the exchange can go on.
 */
static int
seal(struct ike_sa *rsa, struct ike_sa *ssa, struct ike_wr *wr)
{
	struct wbuf	*w = &wr->w;
	uint8_t		 iv[IKE_MAX_BLOCK];
	size_t		 bs = ike_cipher_block(rsa->alg.enc);
	int		 rc;

	wbuf_put_zero(w, bs - (w->len - IKE_HDR_LEN) % bs);
	if (wbuf_error(w))
		return -1;
	w->p[19] |= IKE_FLAG_ENC;
	ike_wr_finish(wr);
	memcpy(iv, rsa->iv, sizeof(iv));
	rc = ike_cipher(rsa->alg.enc, rsa->keys.enc, rsa->keys.enclen, iv,
	    w->p + IKE_HDR_LEN, w->len - IKE_HDR_LEN, 1);
	if (rc == 0 && ssa != NULL)
		memcpy(ssa->iv, iv, sizeof(iv));
	return rc;
}

/*
 * Deliver the exchange's first n messages, until the next one heads the
 * queue; a retransmission is delivered but not counted.  With nothing
 * queued the clock moves: a responder holds an answer larger than what
 * an unverified initiator sent until the initiator retransmits
 * (docs/ike.md, "Amplification").  0, or -1 if nothing came within a
 * few timers or 30 s.
 */
static int
run_to(struct pair *p, int n)
{
	static uint8_t	 last[2][IKE_MAX_MSG];
	size_t		 lastlen[2] = { 0, 0 };
	int		 idle = 0;

	for (;;) {
		const struct pair_msg *m;
		int		 dup;

		if (p->nq == 0) {
			/* the next timer, its messages left queued */
			uint64_t next = UINT64_MAX;

			for (int i = 0; i < 2; i++) {
				uint64_t d = ike_next_deadline(p->n[i].ike);

				if (d < next)
					next = d;
			}
			if (++idle > 8 || next > p->now + 30000)
				return -1;
			if (next > p->now)
				p->now = next;
			for (int i = 0; i < 2; i++)
				ike_run_timers(p->n[i].ike);
			continue;
		}
		m = &p->q[0];
		dup = m->len == lastlen[m->from] &&
		    memcmp(m->data, last[m->from], m->len) == 0;
		if (!dup && n == 0)
			return 0;
		if (m->len > sizeof(last[0]))
			return -1;
		memcpy(last[m->from], m->data, m->len);
		lastlen[m->from] = m->len;
		pair_step(p);
		if (!dup)
			n--;
	}
}

static void
nop_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	(void)arg;
	(void)s;
}

static void
nop_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	(void)arg;
	(void)s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 plain[IKE_MAX_MSG];
	struct gpl	 pl[MAX_PLS];
	const struct target *tg;
	struct pair	*p;
	struct pair_msg	 m;
	struct ike_sa	*rsa, *est;
	struct ike_wr	 wr;
	struct ports	 before;
	uint8_t		*dgram = NULL;
	const uint8_t	*hdr;
	size_t		 suite, mk, dlen;
	int		 t, to, npl, hashed, flags, behind, gen = 0;

	if (size < 2)
		return 0;
	if (devnull == NULL)
		setup();
	t = data[0] % NTARGETS;
	tg = &targets[t];
	to = 1 - tg->from;
	suite = (size_t)(data[0] >> 4 & 3) % NSUITES;
	flags = data[1];
	behind = (flags & F_NAT) != 0;
	p = pair_new(tg->aggressive ? conf_am[suite][behind] :
	    conf_mm[suite][behind], conf_b[suite][behind]);
	if (behind) {
		p->filter = nat;
		p->filter_arg = &gen;
	}
	if (getenv("IKE_TRACE") == NULL) {
		log_set_debug(LOG_IKE, 0);
		log_set_stream(devnull);
	}
	if (pair_acquire(p, 0, "192.168.20.1", "172.21.91.1") == -1)
		abort();
	if (run_to(p, tg->steps) == -1 || p->q[0].from != tg->from)
		abort();
	/* the genuine message, off the queue and through the NAT */
	m = p->q[0];
	memmove(&p->q[0], &p->q[1], (size_t)(p->nq - 1) * sizeof(p->q[0]));
	p->nq--;
	if (behind && (flags & F_REMAP_BEFORE))
		gen++;
	if ((p->filter != NULL && !p->filter(p, &m)) ||
	    m.dst.sin_addr.s_addr != p->n[to].addr.s_addr)
		abort();	/* the pair would not deliver it: harness broke */
	/*
	 * To port 4500 it went behind the non-ESP marker, and ike_input
	 * takes it so (RFC 3948 2.2; ike/net.c and the data plane hand
	 * over the datagram whole): ours gets one too
	 */
	mk = ntohs(m.dst.sin_port) == IKE_NATT_PORT ? 4 : 0;
	if (m.len < mk || memcmp(m.data, "\0\0\0\0", mk) != 0)
		abort();
	hdr = m.data + mk;
	if ((rsa = node_sa(p, to)) == NULL && t != 2)
		abort();
	if (rsa != NULL)
		ports_get(rsa, &before);
	npl = genuine(rsa, hdr, m.len - mk, plain, pl);

	hashed = build(p, t, hdr, pl, npl, data + 2, size - 2, &wr);
	if (tg->encrypted && !(flags & F_CLEAR)) {
		if (seal(rsa, node_sa(p, tg->from), &wr) == -1)
			goto done;
	} else
		ike_wr_finish(&wr);
	if (wbuf_error(&wr.w))
		goto done;
	dlen = mk + wr.w.len;
	dgram = xcalloc(1, dlen);
	memcpy(dgram + mk, wr.w.p, wr.w.len);
	ike_input(p->n[to].ike, dgram, dlen, &m.dst, &m.src);
	if (flags & F_TWICE)
		ike_input(p->n[to].ike, dgram, dlen, &m.dst, &m.src);
	if (node_established(p, to) && !hashed && t != 2)
		abort();	/* phase 1 complete without its HASH */
	if (rsa != NULL && !hashed && ports_moved(p, to, &before))
		abort();	/* the port floated without authentication */
	if (behind && to == 1 && (est = established_sa(p, 1)) != NULL &&
	    (est->remote.sin_addr.s_addr != m.src.sin_addr.s_addr ||
	    est->remote.sin_port != m.src.sin_port ||
	    ntohs(est->local.sin_port) != IKE_NATT_PORT))
		abort();	/* b answers where a's NAT does not listen */
	if (flags & F_GO_ON) {
		pair_run(p, 64);
		if (behind && (flags & F_REMAP_AFTER))
			gen++;
		/* behind the NAT: a keepalive and an R-U-THERE */
		pair_advance(p, behind ? 11000 : 3000);
		pair_run(p, 64);
	}
	(void)ike_export_isakmp(p->n[to].ike, nop_isakmp, NULL);
	(void)ike_export_ipsec(p->n[to].ike, nop_ipsec, NULL);
 done:
	free(dgram);
	ike_wr_cleanup(&wr);
	free(m.data);
	pair_free(p);
	return 0;
}
