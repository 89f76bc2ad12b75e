/* lib: the read cursor with every truncation, the writer, the Internet
 * checksum, the IPv4 header parser, addresses, hex, and the IOS command
 * matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lib/lib.h"
#include "daemon/ctl.h"

/* A small TLV record: type(1) length(2) value(length) then a be32 tail. */
static int
parse_record(const uint8_t *p, size_t len, uint8_t *type, uint32_t *tail,
    uint8_t *val, size_t *vlen)
{
	struct buf b, sub;
	uint16_t l;

	buf_init(&b, p, len);
	if (buf_get_u8(&b, type) == -1 || buf_get_be16(&b, &l) == -1 ||
	    buf_get_sub(&b, l, &sub) == -1 ||
	    buf_get_bytes(&sub, val, buf_left(&sub)) == -1 ||
	    buf_get_be32(&b, tail) == -1 || buf_left(&b) != 0)
		return -1;
	*vlen = l;
	return 0;
}

static void
test_buf_record_and_truncations(void **state)
{
	static const uint8_t rec[] = { 7, 0, 3, 'a', 'b', 'c', 0xde, 0xad,
	    0xbe, 0xef };
	uint8_t	 type, val[16];
	uint32_t tail;
	size_t	 vlen;

	(void)state;
	assert_int_equal(parse_record(rec, sizeof(rec), &type, &tail, val,
	    &vlen), 0);
	assert_int_equal(type, 7);
	assert_int_equal(vlen, 3);
	assert_memory_equal(val, "abc", 3);
	assert_int_equal(tail, 0xdeadbeef);
	for (size_t n = 0; n < sizeof(rec); n++)
		assert_int_equal(parse_record(rec, n, &type, &tail, val,
		    &vlen), -1);
	/* one byte too many is also an error: fixed size ends exactly */
	{
		uint8_t	 longer[sizeof(rec) + 1];

		memcpy(longer, rec, sizeof(rec));
		longer[sizeof(rec)] = 0;
		assert_int_equal(parse_record(longer, sizeof(longer), &type,
		    &tail, val, &vlen), -1);
	}
}

static void
test_buf_failure_does_not_move(void **state)
{
	static const uint8_t p[] = { 1, 2, 3 };
	struct buf b;
	uint32_t v32;
	uint64_t v64;
	uint16_t v16;
	struct buf sub;

	(void)state;
	buf_init(&b, p, sizeof(p));
	assert_int_equal(buf_get_be32(&b, &v32), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_be64(&b, &v64), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_sub(&b, 4, &sub), -1);
	assert_int_equal(buf_skip(&b, 4), -1);
	assert_int_equal(b.off, 0);
	assert_int_equal(buf_get_be16(&b, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(buf_left(&b), 1);
	assert_int_equal(*buf_cur(&b), 3);
}

static void
test_wbuf_fixed_overflow(void **state)
{
	uint8_t	 mem[6];
	struct wbuf w;
	size_t	 off;

	(void)state;
	wbuf_init(&w, mem, sizeof(mem));
	off = wbuf_reserve(&w, 2);
	wbuf_put_be32(&w, 0x01020304);
	wbuf_set_be16(&w, off, 0xbeef);
	assert_int_equal(wbuf_error(&w), 0);
	assert_int_equal(w.len, 6);
	assert_memory_equal(mem, "\xbe\xef\x01\x02\x03\x04", 6);
	wbuf_put_u8(&w, 9);		/* no room: error, nothing written */
	assert_int_equal(wbuf_error(&w), -1);
	assert_int_equal(w.len, 6);
	wbuf_put_u8(&w, 9);		/* later writes ignored */
	assert_int_equal(w.len, 6);
}

static void
test_wbuf_dynamic(void **state)
{
	struct wbuf w;
	struct buf b;
	uint64_t v;

	(void)state;
	wbuf_init_dyn(&w, 4);
	for (int i = 0; i < 1000; i++)
		wbuf_put_be64(&w, (uint64_t)i << 32 | (uint32_t)i);
	assert_int_equal(wbuf_error(&w), 0);
	assert_int_equal(w.len, 8000);
	buf_init(&b, w.p, w.len);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(buf_get_be64(&b, &v), 0);
		assert_true(v == ((uint64_t)i << 32 | (uint32_t)i));
	}
	assert_int_equal(buf_left(&b), 0);
	wbuf_cleanup(&w);
}

/*
 * RFC 1071 vectors, worked out by hand and with python3: the RFC's own
 * example (4.1), an IPv4 header (checksum field zero), odd lengths, and
 * sums whose carries wrap.
 */
static const struct {
	const char	*what;
	const uint8_t	*p;
	size_t		 len;
	uint16_t	 want;
} csum_vectors[] = {
	{ "RFC 1071 4.1", (const uint8_t *)"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7",
	    8, 0x220d },
	{ "IPv4 header", (const uint8_t *)"\x45\x00\x00\x73\x00\x00\x40"
	    "\x00\x40\x11\x00\x00\xc0\xa8\x00\x01\xc0\xa8\x00\xc7", 20,
	    0xb861 },
	{ "the same, 19 bytes", (const uint8_t *)"\x45\x00\x00\x73\x00\x00"
	    "\x40\x00\x40\x11\x00\x00\xc0\xa8\x00\x01\xc0\xa8\x00", 19,
	    0xb928 },
	{ "three bytes", (const uint8_t *)"\x01\x02\x03", 3, 0xfbfd },
	{ "one byte", (const uint8_t *)"\x01", 1, 0xfeff },
	{ "nothing", (const uint8_t *)"", 0, 0xffff },
	{ "a carry that wraps", (const uint8_t *)"\xff\xff\xff\xff", 4,
	    0x0000 },
};

static void
test_csum_vectors(void **state)
{
	static uint8_t	 big[70001];
	uint8_t		 hdr[20];
	uint32_t	 sum;

	(void)state;
	for (size_t i = 0; i < nitems(csum_vectors); i++) {
		uint16_t got = csum_fold(csum_add(0, csum_vectors[i].p,
		    csum_vectors[i].len));

		if (got != csum_vectors[i].want)
			print_message("%s\n", csum_vectors[i].what);
		assert_int_equal(got, csum_vectors[i].want);
	}
	/* 35000 words of 0xffff and an odd 0xff: carries above 32 bits */
	memset(big, 0xff, sizeof(big));
	assert_int_equal(csum_fold(csum_add(0, big, sizeof(big))), 0x00ff);
	/* a sum may be chained; only its last piece may be odd */
	memcpy(hdr, csum_vectors[1].p, sizeof(hdr));
	sum = csum_add(csum_add(0, hdr, 6), hdr + 6, 14);
	assert_int_equal(csum_fold(sum), 0xb861);
	sum = csum_add(csum_add(0, hdr, 16), hdr + 16, 3);
	assert_int_equal(csum_fold(sum), 0xb928);
	/* with its checksum in place, a header sums to zero */
	be16_put(hdr + 10, 0xb861);
	assert_int_equal(csum_fold(csum_add(0, hdr, sizeof(hdr))), 0);
}

/* A UDP datagram of 8 bytes in a 20-byte header, then 3 bytes of padding. */
static const uint8_t ip4_udp[] = {
	0x45, 0xc0, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00,
	0x40, 0x11, 0xab, 0xcd, 172, 21, 91, 37,
	192, 168, 20, 25,
	0x04, 0xd2, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,
	0xee, 0xee, 0xee,
};

static const struct {
	size_t		 at;
	uint8_t		 v;
	enum ip4_verdict want;
} ip4_bad[] = {
	{ 0, 0x65, IP4_MALFORMED },	/* version 6 */
	{ 0, 0x05, IP4_MALFORMED },	/* version 0 */
	{ 0, 0x44, IP4_MALFORMED },	/* IHL 4: 16 bytes */
	{ 0, 0x40, IP4_MALFORMED },	/* IHL 0 */
	{ 0, 0x47, IP4_OK },		/* 28 bytes: the total, no payload */
	{ 0, 0x48, IP4_MALFORMED },	/* 32 bytes: above the total */
	{ 0, 0x4f, IP4_MALFORMED },	/* 60 bytes: past the buffer */
	{ 3, 0x13, IP4_MALFORMED },	/* total 19: below the header */
	{ 3, 0x00, IP4_MALFORMED },	/* total 0 */
	{ 3, 0x14, IP4_OK },		/* total 20: no payload */
	{ 3, 0x1f, IP4_OK },		/* total 31: the whole buffer */
	{ 3, 0x20, IP4_TRUNCATED },	/* total 32: one beyond */
	{ 2, 0xff, IP4_TRUNCATED },	/* total 0xff1c */
};

static void
test_ip4_parse(void **state)
{
	uint8_t		 pkt[sizeof(ip4_udp)], opt[32];
	struct buf	 b, pl;
	struct ip4_hdr	 h;
	char		 a[INET_ADDRSTRLEN];

	(void)state;
	memset(&h, 0, sizeof(h));
	buf_init(&b, ip4_udp, sizeof(ip4_udp));
	assert_int_equal(ip4_parse(&b, &h, &pl), IP4_OK);
	assert_int_equal(h.hlen, 20);
	assert_int_equal(h.totlen, 28);
	assert_int_equal(h.tos, 0xc0);
	assert_int_equal(h.id, 0x1234);
	assert_int_equal(h.frag, IP4_F_DF);
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.proto, 17);
	assert_int_equal(h.sum, 0xabcd);
	assert_string_equal(addr_str(h.src, a), "172.21.91.37");
	assert_string_equal(addr_str(h.dst, a), "192.168.20.25");
	/* the payload ends at the total length; the padding stays behind */
	assert_ptr_equal(pl.p, ip4_udp + 20);
	assert_int_equal(buf_left(&pl), 8);
	assert_int_equal(buf_left(&b), 3);

	/* every truncation of the header is malformed, and moves nothing */
	for (size_t n = 0; n < 20; n++) {
		buf_init(&b, ip4_udp, n);
		assert_int_equal(ip4_parse(&b, &h, &pl), IP4_MALFORMED);
		assert_int_equal(b.off, 0);
	}
	/* a cut in the payload is a truncation: the fields are there */
	for (size_t n = 20; n < 28; n++) {
		memset(&h, 0, sizeof(h));
		buf_init(&b, ip4_udp, n);
		assert_int_equal(ip4_parse(&b, &h, &pl), IP4_TRUNCATED);
		assert_int_equal(b.off, 0);
		assert_int_equal(h.proto, 17);
		assert_int_equal(h.totlen, 28);
	}

	/* version, header length, total length (the byte at, set to v) */
	for (size_t i = 0; i < nitems(ip4_bad); i++) {
		enum ip4_verdict v;

		memcpy(pkt, ip4_udp, sizeof(pkt));
		pkt[ip4_bad[i].at] = ip4_bad[i].v;
		buf_init(&b, pkt, sizeof(pkt));
		if ((v = ip4_parse(&b, &h, &pl)) != ip4_bad[i].want)
			print_message("byte %zu = 0x%02x\n", ip4_bad[i].at,
			    ip4_bad[i].v);
		assert_int_equal(v, ip4_bad[i].want);
		if (v == IP4_OK)
			assert_int_equal(buf_left(&pl), h.totlen - h.hlen);
		else
			assert_int_equal(b.off, 0);
	}

	/* options: 24 bytes of header, a fragment, at an offset in a buffer */
	memset(opt, 0, sizeof(opt));
	opt[0] = 0xaa;
	memcpy(opt + 1, ip4_udp, 20);
	opt[1] = 0x46;
	opt[1 + 3] = 28;
	be16_put(opt + 1 + IP4_OFF_FRAG, IP4_F_MF | 185);
	opt[21] = 0x01;			/* NOP, then end of options */
	opt[25] = 0x42;			/* the payload's first byte */
	buf_init(&b, opt, 29);
	assert_int_equal(buf_skip(&b, 1), 0);
	assert_int_equal(ip4_parse(&b, &h, &pl), IP4_OK);
	assert_int_equal(h.hlen, 24);
	assert_int_equal(h.frag & IP4_F_MF, IP4_F_MF);
	assert_int_equal(h.frag & IP4_FRAG_OFFSET, 185);
	assert_int_equal(buf_left(&pl), 4);
	assert_int_equal(buf_cur(&pl)[0], 0x42);
	assert_int_equal(buf_left(&b), 0);
}

static void
test_addr(void **state)
{
	struct in_addr a, m, w;
	char	 s[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(addr_parse("192.168.20.25", &a), 0);
	assert_string_equal(addr_str(a, s), "192.168.20.25");
	assert_int_equal(addr_parse("192.168.20", &a), -1);
	assert_int_equal(addr_parse("256.1.1.1", &a), -1);
	assert_int_equal(addr_parse("1.2.3.4x", &a), -1);
	assert_int_equal(addr_parse("010.1.1.1", &a), -1);
	assert_int_equal(addr_parse("", &a), -1);
	assert_int_equal(addr_parse("0.0.0.0", &a), 0);
	assert_int_equal(addr_parse("255.255.255.192", &m), 0);
	assert_true(addr_mask_valid(m));
	assert_int_equal(addr_mask_len(m), 26);
	assert_int_equal(addr_parse("255.0.255.0", &m), 0);
	assert_false(addr_mask_valid(m));
	m = addr_mask_from_len(0);
	assert_true(addr_mask_valid(m));
	assert_int_equal(m.s_addr, 0);
	/* 172.21.90.0 0.0.1.255 matches 172.21.91.37, not 172.21.92.1 */
	addr_parse("172.21.90.0", &a);
	addr_parse("0.0.1.255", &w);
	addr_parse("172.21.91.37", &m);
	assert_true(addr_match_wildcard(m, a, w));
	addr_parse("172.21.92.1", &m);
	assert_false(addr_match_wildcard(m, a, w));
}

static void
test_hex(void **state)
{
	uint8_t	 b[4];
	char	 s[9];

	(void)state;
	hex_encode("\x00\xab\x10\xff", 4, s);
	assert_string_equal(s, "00ab10ff");
	assert_int_equal(hex_decode("00AB10ff", b, sizeof(b)), 4);
	assert_memory_equal(b, "\x00\xab\x10\xff", 4);
	assert_int_equal(hex_decode("abc", b, sizeof(b)), -1);
	assert_int_equal(hex_decode("zz", b, sizeof(b)), -1);
	assert_int_equal(hex_decode("0011223344", b, sizeof(b)), -1);
}

static const char *const table[] = {
	"show running-config",
	"show version",
	"show crypto isakmp sa",
	"show crypto isakmp policy",
	"show crypto ipsec sa",
	"show standby",
	"show standby brief",
	"redundancy switchover",
};

static int
match(const char *line, int *nw)
{
	char	 buf[128], *argv[16], *t, *save, err[1024];
	int	 argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	return cmd_match(table, NULL, nitems(table), argc, argv, nw, err,
	    sizeof(err));
}

static void
test_cmdmatch(void **state)
{
	int	 nw;

	(void)state;
	assert_int_equal(match("show running-config", &nw), 0);
	assert_int_equal(match("sh run", &nw), 0);
	assert_int_equal(match("sh ver", &nw), 1);
	assert_int_equal(match("sh cry isa sa", &nw), 2);
	assert_int_equal(match("sh cry isa pol", &nw), 3);
	assert_int_equal(match("sh cry ips sa peer 10.0.0.20", &nw), 4);
	assert_int_equal(nw, 4);
	assert_int_equal(match("show standby", &nw), 5);
	assert_int_equal(match("show standby brief", &nw), 6);
	assert_int_equal(match("sh stan br", &nw), 6);
	assert_int_equal(match("red sw", &nw), 7);
	assert_int_equal(match("show crypto i sa", &nw), -1);	/* isakmp/ipsec */
	assert_int_equal(match("sh", &nw), -1);
	assert_int_equal(match("show nothing", &nw), -1);
	assert_int_equal(match("frobnicate", &nw), -1);
}

/*
 * havpnctl's own table (daemon/ctl.h, with its arguments): the command
 * found and the words it took, or -1 and what the report must say.
 */
static const struct {
	const char	*line;
	int		 id;		/* -1: refused */
	int		 nwords;
	const char	*says[4];	/* in the report, in this order */
} ctl_cases[] = {
	{ "sh cr ips sa det", CTL_SHOW_IPSEC_SA_DETAIL, 5, { NULL } },
	{ "show crypto ipsec sa address", CTL_SHOW_IPSEC_SA_ADDRESS, 5,
	    { NULL } },
	{ "sh cr ips sa ide", CTL_SHOW_IPSEC_SA_IDENTITY, 5, { NULL } },
	/* no command word fits "p": the arguments of show crypto ipsec sa */
	{ "sh cr ips sa p 10.0.0.20", CTL_SHOW_IPSEC_SA, 4, { NULL } },
	{ "sh cr en co ac", CTL_SHOW_ENGINE_CONNS, 5, { NULL } },
	{ "sh acc 101", CTL_SHOW_ACCESS_LISTS, 2, { NULL } },
	{ "sh cr map tag M", CTL_SHOW_CRYPTO_MAP, 3, { NULL } },
	{ "sh cr ipsec tr", CTL_SHOW_TRANSFORM_SET, 4, { NULL } },
	{ "sh cr isa k", CTL_SHOW_ISAKMP_KEY, 4, { NULL } },
	{ "sh cr isa pe", CTL_SHOW_ISAKMP_PEERS, 4, { NULL } },
	/* an exact word wins over the longer word it starts */
	{ "clear crypto sa", CTL_CLEAR_SA, 3, { NULL } },
	{ "cl cr sess rem 10.0.0.20", CTL_CLEAR_SESSION, 3, { NULL } },
	{ "deb cr ips", CTL_DEBUG_IPSEC, 3, { NULL } },
	{ "und all", CTL_UNDEBUG_ALL, 2, { NULL } },
	{ "sh cr i", -1, 0, { "% Ambiguous command: \"sh cr i\"\n",
	    "\"i\" may be:\n", "  ipsec\n", "  isakmp" } },
	{ "sh cr isa p", -1, 0, { "% Ambiguous command", "  peers\n",
	    "  policy" } },
	{ "clear crypto s", -1, 0, { "  sa\n", "  session" } },
	{ "show crypto", -1, 0, { "% Incomplete command: \"show crypto\"",
	    "After \"show crypto\" may follow:\n", "  engine\n", "  map\n" } },
	{ "sh cr", -1, 0, { "% Incomplete command: \"sh cr\"",
	    "After \"show crypto\" may follow:\n" } },
	{ "show crypto frob sa", -1, 0, { "show crypto frob sa\n"
	    "            ^\n"
	    "% Invalid input detected at '^' marker: \"frob\"\n",
	    "After \"show crypto\" may follow:\n", "  isakmp\n",
	    "  session" } },
	/* a command without arguments: a word after it is wrong */
	{ "sh standby frob", -1, 0, { "sh standby frob\n           ^\n",
	    "\"frob\"\n", "  brief\n", "  <cr>" } },
	{ "frob", -1, 0, { "frob\n^\n", "A command starts with:\n",
	    "  show\n" } },
	{ "", -1, 0, { "% Incomplete command", "  clear\n" } },
};

static void
test_cmdmatch_reports(void **state)
{
	(void)state;
	for (size_t c = 0; c < nitems(ctl_cases); c++) {
		char	 buf[128], *argv[16], *t, *save, err[2048];
		const char *p;
		int	 argc = 0, nw = -1, id;

		snprintf(buf, sizeof(buf), "%s", ctl_cases[c].line);
		for (t = strtok_r(buf, " ", &save); t != NULL;
		    t = strtok_r(NULL, " ", &save))
			argv[argc++] = t;
		id = cmd_match(ctl_command_words, ctl_command_args,
		    CTL_NCOMMANDS, argc, argv, &nw, err, sizeof(err));
		if (id != ctl_cases[c].id)
			fail_msg("\"%s\": %d, not %d\n%s", ctl_cases[c].line,
			    id, ctl_cases[c].id, err);
		if (id != -1) {
			assert_int_equal(nw, ctl_cases[c].nwords);
			continue;
		}
		p = err;
		for (int k = 0; k < 4 && ctl_cases[c].says[k] != NULL; k++) {
			const char *q = strstr(p, ctl_cases[c].says[k]);

			if (q == NULL)
				fail_msg("\"%s\": no \"%s\" in\n%s",
				    ctl_cases[c].line, ctl_cases[c].says[k],
				    err);
			p = q + strlen(ctl_cases[c].says[k]);
		}
		/* one message: no newline at its end */
		assert_true(err[0] != '\0' && err[strlen(err) - 1] != '\n');
	}
}

/* A report cut to the buffer is still a string, whatever the size. */
static void
test_cmdmatch_small_buffer(void **state)
{
	char	*argv[] = { "show", "crypto" };
	char	 err[64];
	int	 nw;

	(void)state;
	for (size_t len = 1; len <= sizeof(err); len++) {
		memset(err, 'x', sizeof(err));
		assert_int_equal(cmd_match(ctl_command_words, ctl_command_args,
		    CTL_NCOMMANDS, 2, argv, &nw, err, len), -1);
		assert_true(strlen(err) < len);
	}
}

static void
test_ratelimit(void **state)
{
	struct log_ratelimit rl = { 0, 0 };
	uint64_t sup;

	(void)state;
	assert_true(log_ratelimit_ok(&rl, 1000, 500, &sup));
	assert_int_equal(sup, 0);
	assert_false(log_ratelimit_ok(&rl, 1100, 500, &sup));
	assert_false(log_ratelimit_ok(&rl, 1200, 500, &sup));
	assert_true(log_ratelimit_ok(&rl, 1600, 500, &sup));
	assert_int_equal(sup, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_record_and_truncations),
		cmocka_unit_test(test_buf_failure_does_not_move),
		cmocka_unit_test(test_wbuf_fixed_overflow),
		cmocka_unit_test(test_wbuf_dynamic),
		cmocka_unit_test(test_csum_vectors),
		cmocka_unit_test(test_ip4_parse),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_cmdmatch),
		cmocka_unit_test(test_cmdmatch_reports),
		cmocka_unit_test(test_cmdmatch_small_buffer),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
