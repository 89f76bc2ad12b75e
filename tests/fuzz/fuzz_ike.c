/*
 * libFuzzer: the ISAKMP parser.  A datagram goes through the header and
 * payload-chain parsers and every typed payload parser, exactly as the
 * engine does before it looks at any state (an SA payload's transforms
 * decoded and traced as phase 1 and phase 2 ones); then into a responder
 * engine (record-only data plane, virtual clock) on port 500 or 4500.
 * Nothing may crash, read out of bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "ike/ike_int.h"

static const char responder_conf[] =
    "crypto isakmp policy 10\n encr aes 256\n hash sha256\n"
    " authentication pre-share\n group 19\n"
    "crypto isakmp policy 20\n encr 3des\n hash sha\n"
    " authentication pre-share\n group 2\n"
    "crypto isakmp key cisco123 address 0.0.0.0 0.0.0.0\n"
    "crypto isakmp keepalive 10 2 periodic\n"
    "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
    "crypto map vpn 10 ipsec-isakmp\n set peer 10.0.0.11\n"
    " set transform-set TS\n match address 110\n"
    "interface eth0\n ip address 10.0.0.20 255.255.255.0\n"
    " crypto map vpn\n"
    "access-list 110 permit ip 172.21.91.0 0.0.0.255 "
    "192.168.20.0 0.0.0.255\n";

static uint64_t	 fuzz_now = 1000000;
static struct ike *engine;
static struct esp_backend *be;
static struct config *cf;
static int	 runs;

static uint64_t
now_cb(void *arg)
{
	(void)arg;
	return fuzz_now;
}

static int
send_cb(void *arg, const struct sockaddr_in *l, const struct sockaddr_in *r,
    const uint8_t *p, size_t len)
{
	(void)arg;
	(void)l;
	(void)r;
	(void)p;
	(void)len;
	return 0;
}

static void
engine_input(const uint8_t *data, size_t len)
{
	struct sockaddr_in l, r;
	struct ike_io	 io = { NULL, now_cb, send_cb, NULL };

	if (engine != NULL && ++runs % 5000 == 0) {
		ike_free(engine);
		engine = NULL;
	}
	if (engine == NULL) {
		struct conf_diag d = { NULL, 0, 0 };

		log_init("fuzz", 1, 0);
		log_set_stream(fopen("/dev/null", "w"));
		if (cf == NULL)
			cf = conf_load_mem("fuzz", responder_conf,
			    strlen(responder_conf), &d);
		if (be == NULL)
			be = esp_fake_new();
		engine = ike_new(be, &io);
		if (cf == NULL || engine == NULL ||
		    ike_configure(engine, cf) == -1)
			abort();
	}
	memset(&l, 0, sizeof(l));
	l.sin_family = AF_INET;
	l.sin_addr.s_addr = htonl(0x0a000014);
	r = l;
	r.sin_addr.s_addr = htonl(0x0a00000b);
	/* the last byte picks the port: 4500 wants the non-ESP marker */
	l.sin_port = r.sin_port = htons(len > 0 && (data[len - 1] & 1) ?
	    4500 : 500);
	ike_input(engine, data, len, &l, &r);
	fuzz_now += 1500;
	ike_run_timers(engine);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Each transform as a phase 1 and as a phase 2 one, decoded and traced. */
static void
transforms(const struct ike_sa_pl *sa)
{
	struct ike_p1_offer o1;
	struct ike_p2_offer o2;

	log_set_debug(LOG_IKE, 1);
	for (int i = 0; i < sa->nxf; i++) {
		ike_p1_decode(sa, &sa->xf[i], &o1);
		ike_p1_trace(sa, &sa->xf[i]);
		(void)ike_p2_decode(sa, &sa->xf[i], &o2);
		ike_p2_trace(sa, &sa->xf[i], &o2);
	}
	log_set_debug(LOG_IKE, 0);
}

static void
typed(const struct ike_pl *pl)
{
	static struct ike_sa_pl sa;
	struct ike_attr	 attrs[16];
	struct ike_id	 id;
	struct ike_notify nt;
	struct ike_delete d;
	const char	*err;
	uint16_t	 n;
	int		 na;

	switch (pl->type) {
	case IKE_PL_SA:
		if (ike_sa_parse(pl->body, &sa, &n, &err) == -1)
			break;
		for (int i = 0; i < sa.nattrs; i++)
			if (!sa.attr[i].tv && sa.attr[i].len > 0 &&
			    sa.attr[i].val[sa.attr[i].len - 1] == 0xff)
				break;
		transforms(&sa);
		break;
	case IKE_PL_ID:
	case IKE_PL_NATOA:
	case IKE_PL_NATOA_DRAFT:
		(void)ike_id_parse(pl->body, &id, &err);
		break;
	case IKE_PL_N:
		if (ike_notify_parse(pl->body, &nt, &err) == 0 &&
		    nt.type == IKE_N_RESPONDER_LIFETIME) {
			struct buf b;

			buf_init(&b, nt.data, nt.datalen);
			(void)ike_attrs_parse(b, attrs, 16, &na, &err);
		}
		break;
	case IKE_PL_D:
		(void)ike_delete_parse(pl->body, &d, &err);
		break;
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_pls	 pls;
	uint16_t	 n;
	const char	*err;

	engine_input(data, len);
	buf_init(&b, data, len);
	if (ike_hdr_parse(&b, &h, &n, &err) == -1)
		return 0;
	/* encrypted bodies are fuzzed as if already decrypted */
	if (ike_pls_parse(&b, h.np, (h.flags & IKE_FLAG_ENC) ? 255 : 0, &pls,
	    &n, &err) == -1)
		return 0;
	for (int i = 0; i < pls.n; i++)
		typed(&pls.pl[i]);
	return 0;
}
