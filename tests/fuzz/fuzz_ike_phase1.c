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
 * and timeouts as the clock moves).  Then items, each a tag byte:
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
 * Nothing may crash, and phase 1 completes only with a valid HASH: a
 * receiver that is established after a message carrying neither a HASH
 * made here nor the genuine one is an authentication bypass.
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

static char	*conf_mm[NSUITES][2], *conf_am[NSUITES];
static FILE	*devnull;

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
	pair_log_init();
	devnull = fopen("/dev/null", "w");
	for (size_t i = 0; i < NSUITES; i++) {
		conf_mm[i][0] = suite_conf(pair_conf_a, &suites[i]);
		conf_mm[i][1] = suite_conf(pair_conf_b, &suites[i]);
		conf_am[i] = pair_edit(conf_mm[i][0], "crypto isakmp key",
		    am_peer);
	}
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

static int
node_established(struct pair *p, int i)
{
	for (struct ike_sa *sa = p->n[i].ike->sas; sa != NULL; sa = sa->next)
		if (sa->established)
			return 1;
	return 0;
}

/*
 * The genuine message's payloads: decrypted with the receiver's key and
 * IV when encrypted (into plain), then the payload chain as sent.
 */
static int
genuine(struct ike_sa *rsa, struct pair_msg *m, uint8_t *plain,
    struct gpl *pl)
{
	struct ike_sa	*sa = rsa;
	uint8_t		 iv[IKE_MAX_BLOCK];
	size_t		 off = IKE_HDR_LEN;
	uint8_t		 np;
	int		 n = 0;

	if (m->len < IKE_HDR_LEN)
		abort();
	memcpy(plain, m->data, m->len);
	if (m->data[19] & IKE_FLAG_ENC) {
		memcpy(iv, sa->iv, sizeof(iv));
		if (ike_cipher(sa->alg.enc, sa->keys.enc, sa->keys.enclen, iv,
		    plain + IKE_HDR_LEN, m->len - IKE_HDR_LEN, 0) == -1)
			abort();
	}
	np = plain[16];
	while (np != IKE_PL_NONE && n < MAX_PLS && off + 4 <= m->len) {
		size_t	 len = be16_get(plain + off + 2);

		if (len < 4 || off + len > m->len)
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
 * The message from the input in place of the genuine m: 1 if it carries
 * a HASH that may be valid (made here, or the genuine one).
 */
static int
build(struct pair *p, int t, struct pair_msg *m, const struct gpl *pl,
    int npl, const uint8_t *data, size_t size, struct ike_wr *wr)
{
	const struct target *tg = &targets[t];
	/* who computes the HASH: the receiver, or b for AM2 (a has no keys) */
	struct ike_sa	*hsa = node_sa(p, t == 3 ? 1 : 1 - tg->from);
	const uint8_t	*idb = NULL;
	size_t		 idlen = 0, off = 0;
	int		 hashed = 0, items = 0;

	ike_wr_init(wr, m->data, m->data + 8, m->data[18],
	    m->data[19] & ~IKE_FLAG_ENC, 0);
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
	struct ike_sa	*rsa;
	struct ike_wr	 wr;
	size_t		 suite;
	int		 t, to, npl, hashed, clear;

	if (size < 2)
		return 0;
	if (devnull == NULL)
		setup();
	t = data[0] % NTARGETS;
	tg = &targets[t];
	to = 1 - tg->from;
	suite = (size_t)(data[0] >> 4 & 3) % NSUITES;
	clear = data[1] & 1;
	p = pair_new(tg->aggressive ? conf_am[suite] : conf_mm[suite][0],
	    conf_mm[suite][1]);
	if (getenv("IKE_TRACE") == NULL) {
		log_set_debug(LOG_IKE, 0);
		log_set_stream(devnull);
	}
	if (pair_acquire(p, 0, "192.168.20.1", "172.21.91.1") == -1)
		abort();
	if (run_to(p, tg->steps) == -1 || p->q[0].from != tg->from)
		abort();
	/* the genuine message, off the queue */
	m = p->q[0];
	memmove(&p->q[0], &p->q[1], (size_t)(p->nq - 1) * sizeof(p->q[0]));
	p->nq--;
	if ((rsa = node_sa(p, to)) == NULL && t != 2)
		abort();
	npl = genuine(rsa, &m, plain, pl);

	hashed = build(p, t, &m, pl, npl, data + 2, size - 2, &wr);
	if (tg->encrypted && !clear) {
		if (seal(rsa, node_sa(p, tg->from), &wr) == -1)
			goto done;
	} else
		ike_wr_finish(&wr);
	if (wbuf_error(&wr.w))
		goto done;
	ike_input(p->n[to].ike, wr.w.p, wr.w.len, &m.dst, &m.src);
	if (data[1] & 2)
		ike_input(p->n[to].ike, wr.w.p, wr.w.len, &m.dst, &m.src);
	if (node_established(p, to) && !hashed && t != 2)
		abort();	/* phase 1 complete without its HASH */
	if (data[1] & 4) {
		pair_run(p, 64);
		pair_advance(p, 3000);
		pair_run(p, 64);
	}
	(void)ike_export_isakmp(p->n[to].ike, nop_isakmp, NULL);
	(void)ike_export_ipsec(p->n[to].ike, nop_ipsec, NULL);
 done:
	ike_wr_cleanup(&wr);
	free(m.data);
	pair_free(p);
	return 0;
}
