/*
 * libFuzzer: the encrypted half of IKEv1.  Two engines in one process (the
 * unit tests' pair, tests/unit/ike_pair.c) complete Main Mode and a Quick
 * Mode with a known key; then each input is turned into a message that the
 * initiator encrypts under the established ISAKMP SA, with a valid HASH(1)
 * over the fuzzed payloads, and the responder takes it: so the decryption,
 * the payload decoders behind it and the Quick Mode and Informational
 * state handlers (ike/crypto.c, quick.c, info.c, ipsec.c) are reached, as
 * the parser-only target (fuzz_ike.c) cannot.  After each input the
 * responder's SAs are exported (ike/export.c); now and then the clock
 * moves so that the timers run.
 *
 * Input: byte 0 bit 0 picks the exchange (0 Informational, 1 Quick Mode),
 * bit 1 a message ID from the input rather than a fresh one; bytes 1-4
 * the message ID; then payloads, each a type byte, a 16-bit length (taken
 * modulo what is left) and the body.
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

#define MAX_PAYLOADS	16
#define REBUILD_EVERY	2000

static struct pair	*p;
static int		 runs;
static FILE		*devnull;

static void
isakmp_cb(void *arg, const struct ike_isakmp_state *s)
{
	(void)arg;
	(void)s;
}

static void
ipsec_cb(void *arg, const struct ike_ipsec_state *s)
{
	(void)arg;
	(void)s;
}

static void
build(void)
{
	if (p != NULL)
		pair_free(p);
	p = pair_new(pair_conf_a, pair_conf_b);
	/* the pair logs the trace into memory for the unit tests; here
	 * IKE_TRACE=1 sends it to stderr, else it goes nowhere */
	if (getenv("IKE_TRACE") == NULL) {
		log_set_debug(LOG_IKE, 0);
		log_set_stream(devnull);
	}
	if (pair_acquire(p, 0, "192.168.20.1", "172.21.91.1") == -1)
		abort();
	pair_run(p, 100);
	if (pair_count_ipsec(p, 1) != 1)
		abort();		/* the harness itself is broken */
}

/* a's established ISAKMP SA, or NULL once the input deleted it. */
static struct ike_sa *
a_sa(void)
{
	for (struct ike_sa *sa = p->n[0].ike->sas; sa != NULL; sa = sa->next)
		if (sa->established && sa->state != IKE_DEAD)
			return sa;
	return NULL;
}

static void
one(const uint8_t *data, size_t size)
{
	struct ike_sa	*sa;
	struct ike_wr	 wr;
	uint8_t		 iv[IKE_MAX_BLOCK];
	uint32_t	 msgid;
	size_t		 hoff, off = 5;
	int		 quick;

	if (size < 5 || (sa = a_sa()) == NULL)
		return;
	quick = data[0] & 1;
	msgid = (data[0] & 2) ? be32_get(data + 1) : ike_sa_new_msgid(sa);
	ike_wr_init(&wr, sa->icookie, sa->rcookie, quick ? IKE_EX_QUICK :
	    IKE_EX_INFO, IKE_FLAG_ENC, msgid);
	hoff = ike_msg_hash_begin(&wr, sa);
	for (int n = 0; n < MAX_PAYLOADS && size - off >= 3; n++) {
		uint8_t	 type = data[off];
		size_t	 len = be16_get(data + off + 1), b;

		off += 3;
		len %= size - off + 1;
		b = ike_wr_begin(&wr, type);
		wbuf_put_bytes(&wr.w, data + off, len);
		ike_wr_end(&wr, b);
		off += len;
	}
	if (ike_msg_hash_fill(&wr, sa, hoff, msgid, NULL, 0, 0) == -1 ||
	    ike_iv_phase2(sa->alg.hash, sa->alg.enc, sa->iv, msgid, iv) ==
	    -1) {
		ike_wr_cleanup(&wr);
		return;
	}
	(void)ike_msg_send(sa, &wr, 1, iv, NULL, 0);
	pair_run(p, 50);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (p == NULL) {
		pair_log_init();
		devnull = fopen("/dev/null", "w");
	}
	if (p == NULL || runs++ % REBUILD_EVERY == 0 || a_sa() == NULL ||
	    pair_count_isakmp(p, 1) == 0)
		build();
	one(data, size);
	(void)ike_export_isakmp(p->n[1].ike, isakmp_cb, NULL);
	(void)ike_export_ipsec(p->n[1].ike, ipsec_cb, NULL);
	if (runs % 64 == 0)
		pair_advance(p, 1000);
	pair_flush(p);
	return 0;
}
