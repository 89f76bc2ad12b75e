/*
 * ipc: known answers for HKDF-SHA256 and the sealed record (vectors from
 * RFC 5869 and from an independent AES-GCM/HKDF implementation), forgery,
 * replay, reorder, every truncation of a record and of a hello, the key
 * schedule, and two channels in one process over loopback through
 * usrsctp (right key, wrong key, all three streams, a bulk burst).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"

static void
unhex(const char *s, uint8_t *out, size_t len)
{
	assert_int_equal(hex_decode(s, out, len), (int)len);
}

/* RFC 5869 A.1, test case 1 (SHA-256). */
static void
test_hkdf_rfc5869(void **state)
{
	uint8_t	 ikm[22], salt[13], info[10], okm[42], want[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5"
	    "bf34007208d5b887185865", want, sizeof(want));
	assert_int_equal(ipc_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt),
	    info, sizeof(info), okm, sizeof(okm)), 0);
	assert_memory_equal(okm, want, sizeof(want));
}

static const char kat_record[] =
    "01040200000000290102030405060708ae1b03133babba051a303983656acee3040a"
    "2314cee615af5444a7d83f6af27cc6888ef76e0078fd9c";
static const char kat_pt[] = "havpn counters 0123456789";

static void
kat_key(struct ipc_dirkey *k)
{
	uint8_t	 key[IPC_KEYLEN];

	for (int i = 0; i < IPC_KEYLEN; i++)
		key[i] = (uint8_t)i;
	memset(k, 0, sizeof(*k));
	assert_int_equal(ipc_dirkey_set(k, key), 0);
}

static void
test_seal_known_answer(void **state)
{
	struct ipc_dirkey k;
	uint8_t		 out[128], want[sizeof(kat_record) / 2];
	ssize_t		 n;

	(void)state;
	kat_key(&k);
	unhex(kat_record, want, sizeof(want));
	n = ipc_rec_seal(&k, IPC_REC_DATA, IPC_STREAM_COUNTERS,
	    0x0102030405060708ULL, kat_pt, strlen(kat_pt), out);
	assert_int_equal(n, (ssize_t)sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	ipc_dirkey_clear(&k);
}

static void
test_open_forgery_replay_truncation(void **state)
{
	struct ipc_dirkey k;
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		 rec[sizeof(kat_record) / 2], bad[sizeof(rec)];
	uint8_t		 pt[sizeof(rec)];
	ssize_t		 n;

	(void)state;
	unhex(kat_record, rec, sizeof(rec));
	kat_key(&k);

	/* every single-bit flip anywhere is refused, and moves nothing */
	for (size_t i = 0; i < sizeof(rec); i++) {
		memcpy(bad, rec, sizeof(rec));
		bad[i] ^= 0x01;
		if (ipc_rec_parse(bad, sizeof(bad), &r, &why, &err) == 0)
			assert_int_equal(ipc_rec_open(&k, &r, pt, &why), -1);
		assert_int_equal(k.seq[IPC_STREAM_COUNTERS], 0);
	}
	memcpy(bad, rec, sizeof(rec));
	bad[sizeof(bad) - 1] ^= 0x80;
	assert_int_equal(ipc_rec_parse(bad, sizeof(bad), &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&k, &r, pt, &why), -1);
	assert_int_equal(why, IPC_DROP_BAD_TAG);

	/* every truncation */
	for (size_t len = 0; len < sizeof(rec); len++) {
		assert_int_equal(ipc_rec_parse(rec, len, &r, &why, &err), -1);
		assert_int_equal(why, IPC_DROP_TRUNCATED);
	}
	/* a trailing byte */
	{
		uint8_t	 longer[sizeof(rec) + 1];

		memcpy(longer, rec, sizeof(rec));
		longer[sizeof(rec)] = 0;
		assert_int_equal(ipc_rec_parse(longer, sizeof(longer), &r,
		    &why, &err), -1);
		assert_int_equal(why, IPC_DROP_MALFORMED);
	}

	/* the genuine record opens once */
	assert_int_equal(ipc_rec_parse(rec, sizeof(rec), &r, &why, &err), 0);
	n = ipc_rec_open(&k, &r, pt, &why);
	assert_int_equal(n, (ssize_t)strlen(kat_pt));
	assert_memory_equal(pt, kat_pt, strlen(kat_pt));
	assert_int_equal(k.seq[IPC_STREAM_COUNTERS], 0x0102030405060708ULL);
	/* and is a replay the second time */
	assert_int_equal(ipc_rec_open(&k, &r, pt, &why), -1);
	assert_int_equal(why, IPC_DROP_REPLAY);
	ipc_dirkey_clear(&k);
}

static void
test_reorder_and_streams(void **state)
{
	struct ipc_dirkey tx, rx;
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		 r1[64], r2[64], r3[64], pt[64];
	ssize_t		 n1, n2, n3;

	(void)state;
	kat_key(&tx);
	kat_key(&rx);
	n1 = ipc_rec_seal(&tx, IPC_REC_DATA, 1, 1, "a", 1, r1);
	n2 = ipc_rec_seal(&tx, IPC_REC_DATA, 1, 2, "b", 1, r2);
	n3 = ipc_rec_seal(&tx, IPC_REC_DATA, 2, 1, "c", 1, r3);
	assert_true(n1 > 0 && n2 > 0 && n3 > 0);
	/* 2 before 1 on the same stream: 1 is then a reorder, dropped */
	assert_int_equal(ipc_rec_parse(r2, (size_t)n2, &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&rx, &r, pt, &why), 1);
	assert_int_equal(ipc_rec_parse(r1, (size_t)n1, &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&rx, &r, pt, &why), -1);
	assert_int_equal(why, IPC_DROP_REPLAY);
	/* another stream has its own counter */
	assert_int_equal(ipc_rec_parse(r3, (size_t)n3, &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&rx, &r, pt, &why), 1);
	assert_int_equal(pt[0], 'c');
	/* moving a record to another stream breaks its tag (stream in AAD) */
	r2[2] = 2;
	r2[15] = 9;
	assert_int_equal(ipc_rec_parse(r2, (size_t)n2, &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&rx, &r, pt, &why), -1);
	assert_int_equal(why, IPC_DROP_BAD_TAG);
	/* without a key: no_key */
	ipc_dirkey_clear(&rx);
	assert_int_equal(ipc_rec_parse(r3, (size_t)n3, &r, &why, &err), 0);
	assert_int_equal(ipc_rec_open(&rx, &r, pt, &why), -1);
	assert_int_equal(why, IPC_DROP_NO_KEY);
	ipc_dirkey_clear(&tx);
}

static void
test_parse_header_checks(void **state)
{
	uint8_t		 h[IPC_REC_HDRLEN + IPC_TAGLEN];
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;

	(void)state;
	memset(h, 0, sizeof(h));
	h[0] = 1;
	h[1] = IPC_REC_DATA;
	h[7] = IPC_TAGLEN;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), 0);
	h[0] = 2;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), -1);
	assert_int_equal(why, IPC_DROP_VERSION);
	h[0] = 1;
	h[1] = 9;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), -1);
	assert_int_equal(why, IPC_DROP_MALFORMED);
	h[1] = IPC_REC_DATA;
	h[2] = IPC_NSTREAMS;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), -1);
	assert_int_equal(why, IPC_DROP_MALFORMED);
	h[2] = 0;
	h[3] = 1;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), -1);
	h[3] = 0;
	/* a body above the maximum */
	h[4] = 0x00;
	h[5] = 0x02;
	assert_int_equal(ipc_rec_parse(h, sizeof(h), &r, &why, &err), -1);
	assert_int_equal(why, IPC_DROP_TOO_LARGE);
	/* a sealed body shorter than a tag */
	h[5] = 0;
	h[7] = 4;
	assert_int_equal(ipc_rec_parse(h, IPC_REC_HDRLEN + 4, &r, &why, &err),
	    -1);
	assert_int_equal(why, IPC_DROP_TRUNCATED);
}

static void
make_hello(struct ipc_hello *h, uint8_t role, const char *id, uint64_t inc,
    uint8_t fill)
{
	memset(h, 0, sizeof(*h));
	h->suite = IPC_SUITE_HKDF_SHA256_AES256GCM;
	h->role = role;
	snprintf(h->node_id, sizeof(h->node_id), "%s", id);
	h->incarnation = inc;
	memset(h->nonce, fill, sizeof(h->nonce));
}

static void
test_hello_codec(void **state)
{
	struct ipc_hello h, d;
	struct ipc_rec	 r;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		 rec[160];
	ssize_t		 n;

	(void)state;
	make_hello(&h, 13, "ha1", 0x1111, 0xaa);
	n = ipc_hello_encode(&h, rec, sizeof(rec));
	assert_true(n > IPC_REC_HDRLEN);
	assert_int_equal(ipc_rec_parse(rec, (size_t)n, &r, &why, &err), 0);
	assert_int_equal(r.type, IPC_REC_HELLO);
	assert_int_equal(ipc_hello_decode(r.body, r.bodylen, &d, &err), 0);
	assert_string_equal(d.node_id, "ha1");
	assert_int_equal(d.incarnation, 0x1111);
	assert_int_equal(d.role, 13);
	assert_memory_equal(d.nonce, h.nonce, sizeof(h.nonce));
	for (size_t len = 0; len < r.bodylen; len++)
		assert_int_equal(ipc_hello_decode(r.body, len, &d, &err), -1);
	/* a control character in the node id */
	rec[IPC_REC_HDRLEN + 5] = '\n';
	assert_int_equal(ipc_hello_decode(r.body, r.bodylen, &d, &err), -1);
	/* an unknown suite */
	rec[IPC_REC_HDRLEN + 5] = '1';
	rec[IPC_REC_HDRLEN + 1] = 7;
	assert_int_equal(ipc_hello_decode(r.body, r.bodylen, &d, &err), -1);
	/* node ids of 0 and 65 bytes do not encode */
	make_hello(&h, 0, "", 1, 0);
	assert_int_equal(ipc_hello_encode(&h, rec, sizeof(rec)), -1);
}

/*
 * The key schedule against an independent HKDF: ha1's role 13 makes its
 * hello sort after ha2's, so ha2 is A: ha1 sends with OKM[32..63].
 */
static void
test_key_schedule(void **state)
{
	static const char secret[] = "example-only-change-me-0123456789";
	struct ipc_hello h1, h2;
	struct ipc_keys	 k1, k2, kx;
	uint8_t		 r1[160], r2[160], okm[64], t[32];
	ssize_t		 n1, n2;

	(void)state;
	unhex("d58b62b4c90969ca677def67eb87bf24c82b70187e9de138080a935de6abd6"
	    "38", t, sizeof(t));
	unhex("110462b3464a8c63fd313d8a54f459512169b658217038c834e663c2702d63"
	    "210a70ebf90d36b26458f3962e1e6034c89b5037f108989332cf76b31d09b6"
	    "68c2", okm, sizeof(okm));
	make_hello(&h1, 13, "ha1", 0x1111, 0xaa);
	make_hello(&h2, 0, "ha2", 0x2222, 0xbb);
	n1 = ipc_hello_encode(&h1, r1, sizeof(r1));
	n2 = ipc_hello_encode(&h2, r2, sizeof(r2));
	assert_int_equal(ipc_derive_keys(secret, r1 + IPC_REC_HDRLEN,
	    (size_t)n1 - IPC_REC_HDRLEN, r2 + IPC_REC_HDRLEN,
	    (size_t)n2 - IPC_REC_HDRLEN, &k1), 0);
	assert_int_equal(ipc_derive_keys(secret, r2 + IPC_REC_HDRLEN,
	    (size_t)n2 - IPC_REC_HDRLEN, r1 + IPC_REC_HDRLEN,
	    (size_t)n1 - IPC_REC_HDRLEN, &k2), 0);
	assert_memory_equal(k1.transcript, t, sizeof(t));
	assert_memory_equal(k2.transcript, t, sizeof(t));
	assert_memory_equal(k1.tx, okm + 32, 32);
	assert_memory_equal(k1.rx, okm, 32);
	assert_memory_equal(k1.tx, k2.rx, 32);
	assert_memory_equal(k1.rx, k2.tx, 32);
	/* another secret: other keys */
	assert_int_equal(ipc_derive_keys("another-secret-0123456789",
	    r1 + IPC_REC_HDRLEN, (size_t)n1 - IPC_REC_HDRLEN,
	    r2 + IPC_REC_HDRLEN, (size_t)n2 - IPC_REC_HDRLEN, &kx), 0);
	assert_memory_not_equal(kx.tx, k1.tx, 32);
	/* our own hello reflected back is refused */
	assert_int_equal(ipc_derive_keys(secret, r1 + IPC_REC_HDRLEN,
	    (size_t)n1 - IPC_REC_HDRLEN, r1 + IPC_REC_HDRLEN,
	    (size_t)n1 - IPC_REC_HDRLEN, &kx), -1);
}

static void
test_heartbeat_codec(void **state)
{
	uint8_t		 b[80];
	uint64_t	 inc;
	uint8_t		 role;
	char		 id[IPC_NODE_ID_MAX + 1];
	const char	*err;
	ssize_t		 n;

	(void)state;
	n = ipc_hb_encode(42, 8, "ha2", b, sizeof(b));
	assert_int_equal(n, 13);
	assert_int_equal(ipc_hb_decode(b, (size_t)n, &inc, &role, id, &err), 0);
	assert_int_equal(inc, 42);
	assert_int_equal(role, 8);
	assert_string_equal(id, "ha2");
	for (ssize_t len = 0; len < n; len++)
		assert_int_equal(ipc_hb_decode(b, (size_t)len, &inc, &role, id,
		    &err), -1);
}

/* ---- two channels in one process over loopback ------------------------ */

struct end {
	struct ipc	*ipc;
	int		 up;
	int		 downs;
	uint64_t	 peer_inc;
	char		 peer_id[IPC_NODE_ID_MAX + 1];
	uint64_t	 msgs[IPC_NSTREAMS];
	uint64_t	 bytes[IPC_NSTREAMS];
	uint64_t	 last_state_ms;
	uint64_t	 max_counter_gap_ms;
	uint64_t	 last_counter_ms;
	int		 writable;
	int		 order_ok;
	uint32_t	 next[IPC_NSTREAMS];
	uint8_t		 peer_role;
	int		 turn_state;	/* state records this loop turn */
	int		 most_turn_state;
};

/* A new turn of the event loop (after it polled). */
static void
on_turn(struct ev_loop *loop, ev_check *w, int revents)
{
	struct end *e = w->data;

	(void)loop;
	(void)revents;
	e->turn_state = 0;
}

static void
on_up(void *arg, const struct ipc_peer *p)
{
	struct end *e = arg;

	e->up = 1;
	e->peer_inc = p->incarnation;
	snprintf(e->peer_id, sizeof(e->peer_id), "%s", p->node_id);
}

static void
on_down(void *arg, const char *reason)
{
	struct end *e = arg;

	(void)reason;
	e->up = 0;
	e->downs++;
}

static void
on_message(void *arg, enum ipc_stream s, const uint8_t *p, size_t len)
{
	struct end	*e = arg;
	uint32_t	 seq;

	e->msgs[s]++;
	e->bytes[s] += len;
	if (s == IPC_STREAM_STATE && ++e->turn_state > e->most_turn_state)
		e->most_turn_state = e->turn_state;
	if (len >= 4) {
		seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
		if (seq != e->next[s])
			e->order_ok = 0;
		e->next[s] = seq + 1;
	}
}

static void
on_writable(void *arg, enum ipc_stream s)
{
	struct end *e = arg;

	(void)s;
	e->writable++;
}

static void
on_role(void *arg, uint8_t role)
{
	struct end *e = arg;

	e->peer_role = role;
}

static const struct ipc_handlers handlers = {
	on_up, on_down, on_message, on_writable, on_role,
};

static struct config *
pair_config(const char *host, const char *lip, const char *rip, int port,
    const char *key)
{
	char		 text[1024];
	struct conf_diag d = { stderr, 0, 0 };
	struct config	*cf;

	snprintf(text, sizeof(text),
	    "hostname %s\n"
	    "ipc zone default\n"
	    " association 1\n"
	    "  no shutdown\n"
	    "  protocol sctp\n"
	    "   local-port 5000\n"
	    "    local-ip %s\n"
	    "    retransmit-timeout 300 1000\n"
	    "   remote-port 5000\n"
	    "    remote-ip %s\n"
	    "   encapsulation udp %d\n"
	    "redundancy inter-device\n"
	    " scheme standby VPN\n"
	    " security key %s\n"
	    "interface lo\n"
	    " standby 1 ip 10.99.99.1\n"
	    " standby 1 name VPN\n", host, lip, rip, port, key);
	cf = conf_load_mem("test.conf", text, strlen(text), &d);
	assert_non_null(cf);
	return cf;
}

static int
test_port(void)
{
	return 20000 + (int)(getpid() % 20000);
}

static int
run_until(struct ev_loop *loop, int (*done)(void *), void *arg, int ms)
{
	uint64_t end = time_mono_ms() + (uint64_t)ms;

	while (time_mono_ms() < end) {
		if (done(arg))
			return 1;
		ev_run(loop, EVRUN_ONCE);
	}
	return done(arg);
}

struct pair {
	struct end	 a;
	struct end	 b;
};

static int
both_up(void *arg)
{
	struct pair *p = arg;

	return p->a.up && p->b.up;
}

static void
pair_open(struct ev_loop *loop, struct pair *p, const char *keya,
    const char *keyb)
{
	struct config	*ca, *cb;
	char		 err[256];

	memset(p, 0, sizeof(*p));
	p->a.order_ok = p->b.order_ok = 1;
	ca = pair_config("nodea", "127.0.0.1", "127.0.0.2", test_port(), keya);
	cb = pair_config("nodeb", "127.0.0.2", "127.0.0.1", test_port(), keyb);
	p->a.ipc = ipc_new(loop, ca, &handlers, &p->a, err, sizeof(err));
	assert_non_null(p->a.ipc);
	p->b.ipc = ipc_new(loop, cb, &handlers, &p->b, err, sizeof(err));
	assert_non_null(p->b.ipc);
	/* both in one process: give b another incarnation */
	ipc_test_set_incarnation(p->b.ipc, ipc_incarnation(p->a.ipc) + 1);
	conf_free(ca);
	conf_free(cb);
}

static void
pair_close(struct pair *p)
{
	ipc_free(p->a.ipc);
	ipc_free(p->b.ipc);
}

static int64_t
status_int(struct ipc *ipc, const char *obj, const char *key)
{
	json_object	*o = json_object_new_object(), *v, *sub = o;
	int64_t		 r = -1;

	ipc_status(ipc, o);
	if (obj != NULL && !json_object_object_get_ex(o, obj, &sub))
		goto done;
	if (json_object_object_get_ex(sub, key, &v))
		r = json_object_get_int64(v);
done:
	json_object_put(o);
	return r;
}

static void
test_channel_up_and_streams(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;
	uint8_t		 msg[300];

	(void)state;
	pair_open(loop, &p, "correct-horse-battery-staple", "correct-horse-"
	    "battery-staple");
	assert_true(run_until(loop, both_up, &p, 5000));
	assert_string_equal(p.a.peer_id, "nodeb");
	assert_string_equal(p.b.peer_id, "nodea");
	assert_int_equal(p.a.peer_inc, ipc_incarnation(p.b.ipc));
	ipc_set_role(p.a.ipc, 13);

	for (uint32_t i = 0; i < 100; i++) {
		for (int s = 0; s < IPC_NSTREAMS; s++) {
			memset(msg, (int)s, sizeof(msg));
			msg[0] = (uint8_t)(i >> 24);
			msg[1] = (uint8_t)(i >> 16);
			msg[2] = (uint8_t)(i >> 8);
			msg[3] = (uint8_t)i;
			assert_int_equal(ipc_send(p.a.ipc, s, msg,
			    sizeof(msg)), 0);
		}
	}
	for (int i = 0; i < 200 && (p.b.msgs[0] + p.b.msgs[1] + p.b.msgs[2] <
	    300 || p.b.peer_role != 13); i++)
		ev_run(loop, EVRUN_ONCE);
	for (int s = 0; s < IPC_NSTREAMS; s++)
		assert_int_equal(p.b.msgs[s], 100);
	assert_true(p.b.order_ok);
	assert_int_equal(p.b.peer_role, 13);
	assert_int_equal(status_int(p.b.ipc, "drops", "bad_tag"), 0);
	assert_int_equal(status_int(p.b.ipc, "drops", "replay"), 0);

	/* limits: empty and oversized messages are refused */
	errno = 0;
	assert_int_equal(ipc_send(p.a.ipc, IPC_STREAM_STATE, msg, 0), -1);
	assert_int_equal(errno, EMSGSIZE);

	/* a replayed record and a forged one are dropped and counted */
	{
		size_t		 len;
		const uint8_t	*last;
		uint8_t		 forged[sizeof(msg) + 64];

		ipc_test_keep_last(p.a.ipc);
		assert_int_equal(ipc_send(p.a.ipc, IPC_STREAM_STATE, msg, 10),
		    0);
		last = ipc_test_last_record(p.a.ipc, IPC_STREAM_STATE, &len);
		assert_non_null(last);
		memcpy(forged, last, len);
		assert_int_equal(ipc_test_send_raw(p.a.ipc, IPC_STREAM_STATE,
		    forged, len), 0);
		forged[len - 1] ^= 1;
		forged[15]++;
		assert_int_equal(ipc_test_send_raw(p.a.ipc, IPC_STREAM_STATE,
		    forged, len), 0);
		assert_int_equal(ipc_test_send_raw(p.a.ipc, IPC_STREAM_STATE,
		    forged, len - 3), 0);
		for (int i = 0; i < 100 && status_int(p.b.ipc, "drops",
		    "truncated") < 1; i++)
			ev_run(loop, EVRUN_ONCE);
		assert_int_equal(status_int(p.b.ipc, "drops", "replay"), 1);
		assert_int_equal(status_int(p.b.ipc, "drops", "bad_tag"), 1);
		assert_int_equal(status_int(p.b.ipc, "drops", "truncated"), 1);
		assert_int_equal(p.b.msgs[IPC_STREAM_STATE], 101);
	}
	assert_true(p.a.up && p.b.up);
	pair_close(&p);
	ev_loop_destroy(loop);
}

/*
 * 5 MB on STATE (a bulk snapshot of 10,000 tunnels is about that) while
 * a counter message goes every millisecond or so: all arrive, in order,
 * and the counter stream keeps flowing during the burst.
 */
static int
bulk_done(void *arg)
{
	struct pair *p = arg;

	return p->b.bytes[IPC_STREAM_STATE] >= 5000u * 1000u;
}

static void
test_channel_bulk(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;
	static uint8_t	 msg[500];
	uint32_t	 sent = 0, csent = 0;
	uint64_t	 t0, t1;

	(void)state;
	pair_open(loop, &p, "correct-horse-battery-staple", "correct-horse-"
	    "battery-staple");
	assert_true(run_until(loop, both_up, &p, 5000));
	t0 = time_mono_us();
	while (!bulk_done(&p) && time_mono_us() - t0 < 20000000) {
		while (sent < 10000 && ipc_stream_room(p.a.ipc,
		    IPC_STREAM_STATE) >= sizeof(msg)) {
			msg[0] = (uint8_t)(sent >> 24);
			msg[1] = (uint8_t)(sent >> 16);
			msg[2] = (uint8_t)(sent >> 8);
			msg[3] = (uint8_t)sent;
			assert_int_equal(ipc_send(p.a.ipc, IPC_STREAM_STATE,
			    msg, sizeof(msg)), 0);
			sent++;
		}
		if (csent < 100000) {
			msg[0] = (uint8_t)(csent >> 24);
			msg[1] = (uint8_t)(csent >> 16);
			msg[2] = (uint8_t)(csent >> 8);
			msg[3] = (uint8_t)csent;
			if (ipc_send(p.a.ipc, IPC_STREAM_COUNTERS, msg, 40) ==
			    0)
				csent++;
		}
		ev_run(loop, EVRUN_NOWAIT);
	}
	t1 = time_mono_us();
	assert_true(bulk_done(&p));
	assert_true(p.b.order_ok);
	assert_true(p.b.msgs[IPC_STREAM_COUNTERS] > 0);
	print_message("bulk: 10000 x 500 B in %.1f ms over usrsctp/UDP "
	    "loopback, %llu counter messages meanwhile\n",
	    (double)(t1 - t0) / 1000.0,
	    (unsigned long long)p.b.msgs[IPC_STREAM_COUNTERS]);
	pair_close(&p);
	ev_loop_destroy(loop);
}

/* ---- lanes --------------------------------------------------------------- */

static int
lanes_up(void *arg)
{
	struct pair *p = arg;

	return p->a.up && p->b.up &&
	    status_int(p->a.ipc, "lanes", "up") == CONF_IPC_LANES &&
	    status_int(p->b.ipc, "lanes", "up") == CONF_IPC_LANES;
}

static void
send_numbered(struct ev_loop *loop, struct pair *p, uint32_t first,
    uint32_t n, size_t size)
{
	static uint8_t	 msg[20000];

	assert_true(size <= sizeof(msg) && size >= 4);
	for (uint32_t i = first; i < first + n;) {
		memset(msg, 0xa5, size);
		msg[0] = (uint8_t)(i >> 24);
		msg[1] = (uint8_t)(i >> 16);
		msg[2] = (uint8_t)(i >> 8);
		msg[3] = (uint8_t)i;
		if (ipc_stream_room(p->a.ipc, IPC_STREAM_STATE) < size) {
			ev_run(loop, EVRUN_ONCE);
			continue;
		}
		assert_int_equal(ipc_send(p->a.ipc, IPC_STREAM_STATE, msg,
		    size), 0);
		i++;
	}
}

static int
state_in(void *arg)
{
	struct pair *p = arg;

	return p->b.msgs[IPC_STREAM_STATE] >= p->b.next[IPC_STREAM_STATE] &&
	    p->b.msgs[IPC_STREAM_STATE] >= 2000;
}

static int
b_down(void *arg)
{
	struct pair *p = arg;

	return p->b.downs > 0;
}

/*
 * The state stream over the lanes: every lane proves the keys, 2,000
 * records of 20 kB spread over them arrive complete and in order; a lane
 * that ends while up ends the channel (what it carried may be lost), and
 * the channel comes back with its lanes.
 */
static void
test_channel_lanes(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;
	char		*log = NULL;
	size_t		 loglen = 0;
	FILE		*logf = open_memstream(&log, &loglen);
	ev_check	 turn;

	(void)state;
	assert_non_null(logf);
	log_set_stream(logf);
	pair_open(loop, &p, "correct-horse-battery-staple", "correct-horse-"
	    "battery-staple");
	assert_true(run_until(loop, lanes_up, &p, 8000));
	assert_int_equal(status_int(p.b.ipc, "lanes", "refused"), 0);
	ev_check_init(&turn, on_turn);
	turn.data = &p.b;
	ev_check_start(loop, &turn);
	/* every socket option took (the SACK per packet among them) */
	log_set_stream(stderr);
	fclose(logf);
	assert_non_null(strstr(log, "channel up"));
	assert_null(strstr(log, "usrsctp: setting"));
	free(log);
	send_numbered(loop, &p, 0, 2000, 20000);
	assert_true(run_until(loop, state_in, &p, 20000));
	assert_int_equal(p.b.msgs[IPC_STREAM_STATE], 2000);
	assert_true(p.b.order_ok);
	/* the lanes carried them, the first association none */
	assert_int_equal(status_int(p.b.ipc, "lanes", "state_msgs_received"),
	    2000);
	assert_int_equal(status_int(p.a.ipc, "lanes", "state_msgs_sent"),
	    2000);
	assert_int_equal(status_int(p.b.ipc, "lanes", "held_now"), 0);
	print_message("lanes: 2000 x 20 kB over %d lanes, at most %lld "
	    "records held for an earlier one, %d delivered in one turn of "
	    "the loop\n", CONF_IPC_LANES,
	    (long long)status_int(p.b.ipc, "lanes", "held_most"),
	    p.b.most_turn_state);
	/* a turn of the loop delivers a bounded number, the rest next turn */
	assert_true(p.b.most_turn_state <= IPC_STATE_TURN);
	ev_check_stop(loop, &turn);

	/* one lane's association aborted under the core */
	p.a.ipc->ops->lane_close(p.a.ipc->tp, 3);
	assert_true(run_until(loop, b_down, &p, 5000));
	assert_true(run_until(loop, lanes_up, &p, 10000));
	assert_int_equal(p.b.downs, 1);
	assert_int_equal(p.a.downs, 1);
	pair_close(&p);
	ev_loop_destroy(loop);
}

static int
lanes_refused(void *arg)
{
	struct pair *p = arg;

	return status_int(p->b.ipc, "lanes", "refused") >= CONF_IPC_LANES;
}

/*
 * The attack: associations that claim to be lanes without the channel's
 * key.  Their answer to the offer does not open, or is a HELLO (a new
 * channel, which the sealed one ignores), or never comes (closed after
 * the handshake timeout).  Each is closed and counted, none carries
 * state, and the channel stays up and carries the state stream itself.
 */
static void
forged_lanes(enum ipc_test_lane how, const char *drop)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;

	pair_open(loop, &p, "correct-horse-battery-staple", "correct-horse-"
	    "battery-staple");
	/* a connects (127.0.0.1 is the lower address) */
	ipc_test_forge_lanes(p.a.ipc, how);
	assert_true(run_until(loop, both_up, &p, 5000));
	assert_true(run_until(loop, lanes_refused, &p, 8000));
	assert_int_equal(status_int(p.b.ipc, "lanes", "up"), 0);
	if (drop != NULL)
		assert_true(status_int(p.b.ipc, "drops", drop) >=
		    CONF_IPC_LANES);
	p.b.next[IPC_STREAM_STATE] = 0;
	send_numbered(loop, &p, 0, 2000, 500);
	assert_true(run_until(loop, state_in, &p, 10000));
	assert_true(p.b.order_ok);
	assert_int_equal(status_int(p.b.ipc, "lanes", "state_msgs_received"),
	    0);
	assert_int_equal(p.a.downs + p.b.downs, 0);
	pair_close(&p);
	ev_loop_destroy(loop);
}

static void
test_channel_forged_lanes(void **state)
{
	(void)state;
	forged_lanes(IPC_TEST_LANE_BAD_TAG, "bad_tag");
	forged_lanes(IPC_TEST_LANE_HELLO, "malformed");
	forged_lanes(IPC_TEST_LANE_SILENT, NULL);
}

/* Seal a state record of a's with sequence seq and send it on a's first
 * association as it is. */
static void
send_state_at(struct pair *p, uint64_t seq, uint32_t num)
{
	uint8_t	 pt[8], rec[IPC_REC_HDRLEN + sizeof(pt) + IPC_TAGLEN];
	ssize_t	 n;

	memset(pt, 0, sizeof(pt));
	pt[0] = (uint8_t)(num >> 24);
	pt[1] = (uint8_t)(num >> 16);
	pt[2] = (uint8_t)(num >> 8);
	pt[3] = (uint8_t)num;
	n = ipc_rec_seal(&p->a.ipc->tx, IPC_REC_DATA, IPC_STREAM_STATE, seq,
	    pt, sizeof(pt), rec);
	assert_true(n > 0);
	assert_int_equal(ipc_test_send_raw(p->a.ipc, IPC_STREAM_STATE, rec,
	    (size_t)n), 0);
}

static int
b_replay(void *arg)
{
	struct pair *p = arg;

	return status_int(p->b.ipc, "drops", "replay") >= 1;
}

static int
b_has_3(void *arg)
{
	struct pair *p = arg;

	return p->b.msgs[IPC_STREAM_STATE] >= 3;
}

static int
b_down_twice(void *arg)
{
	struct pair *p = arg;

	return p->b.downs >= 2;
}

/*
 * The receiver's ring: records 3, 2 (and 3 again), then 1 are delivered
 * as 1, 2, 3; the second 3 is a replay.  A record further ahead than the
 * ring holds ends the channel; so does a gap that stays open longer than
 * IPC_REORDER_GAP_MS on a channel otherwise alive.
 */
static void
test_state_reorder(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;
	uint64_t	 base;

	(void)state;
	pair_open(loop, &p, "correct-horse-battery-staple", "correct-horse-"
	    "battery-staple");
	assert_true(run_until(loop, both_up, &p, 5000));
	base = p.a.ipc->tx.seq[IPC_STREAM_STATE];
	/* what a would seal next is taken here, by hand */
	p.a.ipc->tx.seq[IPC_STREAM_STATE] = base + 3;
	send_state_at(&p, base + 3, 2);
	send_state_at(&p, base + 2, 1);
	send_state_at(&p, base + 3, 2);
	assert_true(run_until(loop, b_replay, &p, 2000));
	assert_int_equal(p.b.msgs[IPC_STREAM_STATE], 0);
	assert_int_equal(status_int(p.b.ipc, "lanes", "held_now"), 2);
	assert_int_equal(status_int(p.b.ipc, "drops", "replay"), 1);
	send_state_at(&p, base + 1, 0);
	assert_true(run_until(loop, b_has_3, &p, 2000));
	assert_int_equal(p.b.msgs[IPC_STREAM_STATE], 3);
	assert_true(p.b.order_ok);
	assert_int_equal(status_int(p.b.ipc, "lanes", "held_now"), 0);

	p.a.ipc->tx.seq[IPC_STREAM_STATE] = base + 4 + IPC_REORDER_MAX;
	send_state_at(&p, base + 4 + IPC_REORDER_MAX, 3);
	assert_true(run_until(loop, b_down, &p, 2000));
	assert_non_null(strstr(p.b.ipc->reason, "ahead of the one expected"));

	assert_true(run_until(loop, both_up, &p, 5000));
	base = p.a.ipc->tx.seq[IPC_STREAM_STATE];
	p.a.ipc->tx.seq[IPC_STREAM_STATE] = base + 2;
	send_state_at(&p, base + 2, 0);
	assert_true(run_until(loop, b_down_twice, &p,
	    IPC_REORDER_GAP_MS + 2000));
	assert_non_null(strstr(p.b.ipc->reason, "missing for"));
	pair_close(&p);
	ev_loop_destroy(loop);
}

static int
handshake_failed(void *arg)
{
	struct pair *p = arg;

	return status_int(p->a.ipc, NULL, "handshakes_failed") >= 2 &&
	    status_int(p->b.ipc, NULL, "handshakes_failed") >= 2;
}

static void
test_channel_wrong_key(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct pair	 p;
	json_object	*o, *v;

	(void)state;
	pair_open(loop, &p, "correct-horse-battery-staple", "wrong-horse-"
	    "battery-staple");
	assert_true(run_until(loop, handshake_failed, &p, 8000));
	assert_false(p.a.up);
	assert_false(p.b.up);
	assert_int_equal(p.a.downs, 0);
	assert_true(status_int(p.a.ipc, "drops", "bad_tag") >= 1);
	o = json_object_new_object();
	ipc_status(p.a.ipc, o);
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_non_null(strstr(json_object_get_string(v), "security key"));
	json_object_put(o);
	errno = 0;
	assert_int_equal(ipc_send(p.a.ipc, IPC_STREAM_STATE, "x", 1), -1);
	assert_int_equal(errno, ENOTCONN);
	pair_close(&p);
	ev_loop_destroy(loop);
}

static void
test_no_key_and_shutdown(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct conf_diag d = { stderr, 0, 0 };
	struct config	*cf;
	struct ipc	*ipc;
	char		 err[256];
	json_object	*o, *v;
	static const char text[] =
	    "ipc zone default\n"
	    " association 1\n"
	    "  no shutdown\n"
	    "  protocol sctp\n"
	    "   local-port 5000\n"
	    "    local-ip 127.0.0.1\n"
	    "   remote-port 5000\n"
	    "    remote-ip 127.0.0.2\n"
	    "   encapsulation udp 9899\n";

	(void)state;
	cf = conf_load_mem("nokey.conf", text, strlen(text), &d);
	assert_non_null(cf);
	ipc = ipc_new(loop, cf, &handlers, NULL, err, sizeof(err));
	assert_non_null(ipc);
	o = json_object_new_object();
	ipc_status(ipc, o);
	assert_true(json_object_object_get_ex(o, "state", &v));
	assert_string_equal(json_object_get_string(v), "no-key");
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_non_null(strstr(json_object_get_string(v), "security key"));
	json_object_put(o);
	ipc_free(ipc);
	conf_free(cf);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_seal_known_answer),
		cmocka_unit_test(test_open_forgery_replay_truncation),
		cmocka_unit_test(test_reorder_and_streams),
		cmocka_unit_test(test_parse_header_checks),
		cmocka_unit_test(test_hello_codec),
		cmocka_unit_test(test_key_schedule),
		cmocka_unit_test(test_heartbeat_codec),
		cmocka_unit_test(test_no_key_and_shutdown),
		cmocka_unit_test(test_channel_up_and_streams),
		cmocka_unit_test(test_channel_wrong_key),
		cmocka_unit_test(test_channel_bulk),
		cmocka_unit_test(test_channel_lanes),
		cmocka_unit_test(test_channel_forged_lanes),
		cmocka_unit_test(test_state_reorder),
	};

	log_init("test_ipc", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
