/*
 * libFuzzer: havpn's IKEv2 responder past IKE_SA_INIT.  A scripted
 * initiator (tests/unit/ike2_peer.c) makes an IKE SA with the engine of
 * the unit tests' pair; the input is then a series of requests whose
 * plaintext it seals with the SA's keys: each record is an exchange
 * selector, a first payload type and a length-prefixed payload chain, so
 * IKE_AUTH (the identity, AUTH, SA, TS handling), INFORMATIONAL (Delete)
 * and CREATE_CHILD_SA see what the fuzzer writes after decryption.  The
 * genuine IKE_AUTH may come first (the input's first bit), so requests
 * also reach an established SA; with the second bit it announces RFC
 * 6311 and the engine, made standby and active again, sends its message
 * ID sync; with the third the SA is cleared (a Delete goes out); with
 * the fourth 541 s pass and the engine rekeys the IKE SA itself (its
 * profile's lifetime is 600 s), so answers reach rekey.c.  A
 * record whose selector has bit 6 set is an answer to the engine's
 * request instead (flags I and R, the message ID the selector's low two
 * bits), so the answers' handling (request.c) sees what the fuzzer
 * writes too.  Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/ike_int.h"
#include "ike/v2/ike2_int.h"
#include "../unit/ike_pair.h"
#include "../unit/ike2_peer.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PSK		"fuzz-psk"
#define REBUILD_EVERY	2000

static struct pair *p;
static int	 runs;

static const uint8_t exchanges[] = {
	IKE2_EX_IKE_AUTH, IKE2_EX_INFORMATIONAL, IKE2_EX_CREATE_CHILD_SA,
	IKE2_EX_IKE_SA_INIT,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike2_peer pe;
	size_t		 off = 1;

	if (size < 1)
		return 0;
	if (p == NULL || runs++ % REBUILD_EVERY == 0) {
		char	*conf = ike2_peer_conf(PSK), *c2;

		if (p != NULL)
			pair_free(p);
		pair_log_init();
		c2 = pair_edit(conf, " keyring local KR\n",
		    " keyring local KR\n lifetime 600\n");
		p = pair_new(c2, NULL);
		free(conf);
		free(c2);
		if (p == NULL)
			abort();
	}
	pe.psk = PSK;
	if (ike2_peer_sa_init(&pe, p, 19, 0) != 0)
		abort();	/* the genuine first exchange must work */
	if (data[0] & 1) {
		uint8_t	 body[1024], np;
		size_t	 len;

		pe.mid_sync = (data[0] & 2) != 0;
		len = ike2_peer_auth_body(&pe, body, sizeof(body), &np);
		if (ike2_peer_request(&pe, IKE2_EX_IKE_AUTH, np, body, len,
		    0) != 0)
			abort();
		if (data[0] & 2) {
			ike_set_active(p->n[0].ike, 0);
			ike_set_active(p->n[0].ike, 1);
			pair_advance(p, IKE2_MID_SYNC_DELAY_MS);
		}
		if (data[0] & 4)
			(void)ike2_clear_sa(p->n[0].ike, 0);
		if (data[0] & 8) {
			uint32_t id;

			pair_advance(p, 541000);
			(void)ike2_peer_take_request(&pe, &id);
		}
	}
	while (size - off >= 4) {
		uint8_t	 ex = exchanges[data[off] % sizeof(exchanges)];
		uint8_t	 np = data[off + 1];
		size_t	 len = be16_get(data + off + 2);

		off += 4;
		len %= size - off + 1;
		if (data[off - 4] & 0x40)
			ike2_peer_answer(&pe, data[off - 4] & 3, np,
			    data + off, len, 0);
		else {
			if (data[off - 4] & 0x80)	/* replays, gaps */
				pe.msgid = data[off - 4] & 3;
			(void)ike2_peer_request(&pe, ex, np, data + off, len,
			    0);
		}
		off += len;
	}
	if (runs % 64 == 0)
		pair_advance(p, 31000);	/* half-open SAs time out */
	/* every SA goes before the next run: the table stays small */
	while (p->n[0].ike->v2->sas != NULL)
		ike2_sa_delete(p->n[0].ike->v2->sas, "fuzz run over");
	pair_flush(p);
	return 0;
}
