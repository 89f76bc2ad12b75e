/*
 * libFuzzer: the IKEv2 codec (ike/v2/payload.c).  A datagram goes through
 * the header and payload-chain parsers and every typed payload parser,
 * and is written again with the typed writers; an SK or SKF payload's
 * body is also read as if it were already decrypted (the inner chain).
 * The oracle: what was written parses, and writing it again gives the
 * same bytes (the canonical form is a fixed point).  Nothing may crash,
 * read out of bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/v2/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same_or_abort(const struct ike2_wr *a, const struct ike2_wr *b)
{
	if (a->w.len != b->w.len || memcmp(a->w.p, b->w.p, a->w.len) != 0)
		abort();
}

/* A whole message: rewritten, then rewritten again. */
static void
message(const uint8_t *data, size_t len)
{
	struct ike2_wr	 once, twice;
	const char	*err;

	if (ike2_test_rewrite(data, len, &once, &err) == 0) {
		if (ike2_test_rewrite(once.w.p, once.w.len, &twice, &err) == -1)
			abort();
		same_or_abort(&once, &twice);
		ike2_wr_cleanup(&twice);
	}
	ike2_wr_cleanup(&once);
}

/* A chain as the plaintext of an SK payload, rewritten under a header. */
static int
inner_rewrite(const uint8_t *p, size_t len, uint8_t np, struct ike2_wr *wr)
{
	static struct ike2_pls pls;
	struct ike2_hdr	 h;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	memset(&h, 0, sizeof(h));
	ike2_wr_init(wr, &h);
	buf_init(&b, p, len);
	if (ike2_pls_parse(&b, np, 1, &pls, &notify, &err) == -1 ||
	    ike2_test_rewrite_pls(wr, &pls, &err) == -1)
		return -1;
	if (wbuf_error(&wr->w))
		abort();
	return 0;
}

static void
inner(const uint8_t *data, size_t len)
{
	static struct ike2_pls pls;
	struct ike2_wr	 once, twice;
	struct ike2_hdr	 h;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;

	buf_init(&b, data, len);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1 ||
	    pls.enc == -1)
		return;
	if (inner_rewrite(data + pls.enc_off, pls.enc_len, pls.enc_np,
	    &once) == 0) {
		/* the header's Next Payload names the first inner payload */
		if (inner_rewrite(once.w.p + IKE2_HDR_LEN,
		    once.w.len - IKE2_HDR_LEN, once.w.p[16], &twice) == -1)
			abort();
		same_or_abort(&once, &twice);
		ike2_wr_cleanup(&twice);
	}
	ike2_wr_cleanup(&once);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	message(data, len);
	inner(data, len);
	return 0;
}
