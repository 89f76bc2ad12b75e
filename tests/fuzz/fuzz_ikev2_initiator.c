/*
 * libFuzzer: havpn as IKEv2 initiator (ike/v2/initiate.c) reading the
 * answers it gets.  Node b of the unit tests' pair starts an IKE SA to
 * node a on traffic.  With the input's first bit clear, each record is
 * an answer to b's IKE_SA_INIT in clear: flags, SPIr and the payload
 * chain after the header come from the fuzzer (what an attacker on the
 * path can send).  With it set, a answers IKE_SA_INIT genuinely and each
 * record is the plaintext of an answer to b's IKE_AUTH, sealed with the
 * SA's keys as a would (what a peer that holds the keys can send: IDr,
 * AUTH, the CHILD SA's SA and TSs, notifications).  A record: the first
 * payload's type, a flags octet (IKE_SA_INIT: the header's flags and,
 * bit 7, a zero SPIr), a 16-bit length and the chain.  The first
 * octet's bit 1 makes a seal its answers in RFC 7383 fragments of at most
 * 160 bytes, which b reassembles; bit 2 delivers them last to first.
 * Nothing may crash, leak or read out of bounds.
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

struct raw {
	uint8_t		 np;
	const uint8_t	*data;
	size_t		 len;
};

/* The chain as it is, its first type in the SK payload's header. */
static void
write_raw(struct ike2_wr *wr, void *arg)
{
	const struct raw *r = arg;

	wbuf_put_bytes(&wr->w, r->data, r->len);
	if (!wbuf_error(&wr->w))
		wr->w.p[wr->enc_start] = r->np;
}

static void
init_answer(struct ike2_sa *sb, const struct raw *r, uint8_t flags)
{
	struct ike2_hdr	 h;
	struct ike2_wr	 wr;

	memset(&h, 0, sizeof(h));
	memcpy(h.spii, sb->spii, IKE2_SPI_LEN);
	if (!(flags & 0x80))
		memset(h.spir, 0x5a, IKE2_SPI_LEN);
	h.exchange = IKE2_EX_IKE_SA_INIT;
	h.flags = flags & 0x3f;
	ike2_wr_init(&wr, &h);
	wbuf_put_bytes(&wr.w, r->data, r->len);
	ike2_wr_finish(&wr);
	if (!wbuf_error(&wr.w)) {
		wr.w.p[16] = r->np;	/* the first payload's type */
		pair_inject(p, 1, wr.w.p, wr.w.len, "10.0.0.11", 500, 500);
	}
	ike2_wr_cleanup(&wr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike2_sa	*sa = NULL, *sb;
	size_t		 off = 1;

	if (size < 1)
		return 0;
	if (p == NULL || runs++ % REBUILD_EVERY == 0) {
		char	*a = ike2_peer_conf(PSK), *b = ike2_peer_conf_b(PSK,
			    "19 14");

		if (p != NULL)
			pair_free(p);
		pair_log_init();
		p = pair_new(a, b);
		free(a);
		free(b);
		if (p == NULL)
			abort();
	}
	if (pair_acquire(p, 1, "172.21.91.10", "192.168.20.10") != 0 ||
	    (sb = p->n[1].ike->v2->sas) == NULL)
		abort();
	if (data[0] & 1) {
		/* a's genuine answer; b's IKE_AUTH is not delivered */
		if (pair_step(p) != 1 || pair_step(p) != 1 ||
		    sb->state != IKE2_I_AUTH ||
		    (sa = p->n[0].ike->v2->sas) == NULL)
			abort();
		pair_flush(p);
	} else
		pair_flush(p);
	p->n[0].ike->cf->v2_frag_mtu = data[0] & 2 ? 160 : 0;
	while (size - off >= 4) {
		struct raw	 r;
		uint8_t		 flags = data[off + 1];
		struct ike2_out	 m;

		r.np = data[off];
		r.len = be16_get(data + off + 2);
		off += 4;
		r.len %= size - off + 1;
		r.data = data + off;
		off += r.len;
		if (p->n[1].ike->v2->sas != sb)
			break;		/* b gave the SA up */
		memset(&m, 0, sizeof(m));
		if (sa == NULL)
			init_answer(sb, &r, flags);
		else if (ike2_seal(sa, IKE2_EX_IKE_AUTH, IKE2_FLAG_R, 1,
		    write_raw, &r, &m) == 0) {
			const uint8_t	*pk;
			size_t		 pklen;

			for (int i = 0; i < m.n; i++) {
				pk = ike2_out_packet(&m, data[0] & 4 ?
				    m.n - 1 - i : i, &pklen);
				pair_inject(p, 1, pk, pklen, "10.0.0.11",
				    ntohs(sb->remote.sin_port),
				    ntohs(sb->local.sin_port));
			}
			ike2_out_free(&m);
		}
		pair_flush(p);
	}
	/* every SA goes before the next run: the tables stay small */
	for (int i = 0; i < 2; i++)
		while (p->n[i].ike->v2->sas != NULL)
			ike2_sa_delete(p->n[i].ike->v2->sas, "fuzz run over");
	for (int i = 0; i < 2; i++)
		while (p->n[i].ike->children != NULL)
			ike_child_delete(p->n[i].ike->children, 0,
			    "fuzz run over");
	pair_flush(p);
	return 0;
}
