/*
 * Test hooks into the IKEv2 codec (declared in wire.h), for the unit
 * tests and the fuzzer: a message parsed payload by payload with the
 * typed parsers and written again with the typed writers.  Writing what
 * was parsed gives the same bytes when the ignored fields were zero, and
 * a fixed point always.  The Makefile links module files named test_*.c
 * into the tests, fuzzers, test tools and benchmarks, never into havpnd.
 */
#include <stdint.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/v2/wire.h"

/* The encrypted payload as it came: its Next Payload kept, not linked. */
static void
copy_enc(struct ike2_wr *wr, const struct ike2_pls *pls,
    const struct ike2_pl *pl)
{
	size_t	 s = ike2_wr_begin(wr, pl->type);

	if (!wbuf_error(&wr->w))
		wr->w.p[s] = pls->enc_np;
	wr->np_off = SIZE_MAX;
	wbuf_put_bytes(&wr->w, buf_cur(&pl->body), buf_left(&pl->body));
	ike2_wr_end(wr, s);
}

static int
rewrite_pl(struct ike2_wr *wr, const struct ike2_pls *pls,
    const struct ike2_pl *pl, const char **err)
{
	static struct ike2_sa_pl sa;
	static struct ike2_ts_pl ts;
	static struct ike2_cp cp;
	struct ike2_ke	 ke;
	struct ike2_id	 id;
	struct ike2_auth auth;
	struct ike2_notify n;
	struct ike2_delete d;
	struct ike2_cert c;
	const uint8_t	*nonce;
	size_t		 len;

	switch (pl->type) {
	case IKE2_PL_SA:
		if (ike2_sa_parse(pl->body, &sa, err) == -1)
			return -1;
		ike2_wr_sa(wr, &sa);
		return 0;
	case IKE2_PL_KE:
		if (ike2_ke_parse(pl->body, &ke, err) == -1)
			return -1;
		ike2_wr_ke(wr, &ke);
		return 0;
	case IKE2_PL_IDI:
	case IKE2_PL_IDR:
		if (ike2_id_parse(pl->body, &id, err) == -1)
			return -1;
		ike2_wr_id(wr, pl->type, &id);
		return 0;
	case IKE2_PL_AUTH:
		if (ike2_auth_parse(pl->body, &auth, err) == -1)
			return -1;
		ike2_wr_auth(wr, &auth);
		return 0;
	case IKE2_PL_NONCE:
		if (ike2_nonce_parse(pl->body, &nonce, &len, err) == -1)
			return -1;
		ike2_wr_bytes(wr, pl->type, nonce, len);
		return 0;
	case IKE2_PL_N:
		if (ike2_notify_parse(pl->body, &n, err) == -1)
			return -1;
		ike2_wr_notify(wr, &n);
		return 0;
	case IKE2_PL_D:
		if (ike2_delete_parse(pl->body, &d, err) == -1)
			return -1;
		ike2_wr_delete(wr, &d);
		return 0;
	case IKE2_PL_CERT:
	case IKE2_PL_CERTREQ:
		if ((pl->type == IKE2_PL_CERT ?
		    ike2_cert_parse(pl->body, &c, err) :
		    ike2_certreq_parse(pl->body, &c, err)) == -1)
			return -1;
		ike2_wr_cert(wr, pl->type, &c);
		return 0;
	case IKE2_PL_TSI:
	case IKE2_PL_TSR:
		if (ike2_ts_parse(pl->body, &ts, err) == -1)
			return -1;
		ike2_wr_ts(wr, pl->type, &ts);
		return 0;
	case IKE2_PL_CP:
		if (ike2_cp_parse(pl->body, &cp, err) == -1)
			return -1;
		ike2_wr_cp(wr, &cp);
		return 0;
	case IKE2_PL_SK:
	case IKE2_PL_SKF:
		copy_enc(wr, pls, pl);
		return 0;
	}
	/* Vendor ID, EAP: opaque */
	ike2_wr_bytes(wr, pl->type, buf_cur(&pl->body), buf_left(&pl->body));
	return 0;
}

int
ike2_test_rewrite_pls(struct ike2_wr *wr, const struct ike2_pls *pls,
    const char **err)
{
	for (int i = 0; i < pls->n; i++)
		if (rewrite_pl(wr, pls, &pls->pl[i], err) == -1)
			return -1;
	return 0;
}

int
ike2_test_rewrite(const uint8_t *msg, size_t len, struct ike2_wr *wr,
    const char **err)
{
	static struct ike2_pls pls;
	struct ike2_hdr	 h;
	struct buf	 b;
	uint16_t	 notify;

	memset(&h, 0, sizeof(h));
	ike2_wr_init(wr, &h);
	buf_init(&b, msg, len);
	if (ike2_hdr_parse(&b, &h, &notify, err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, err) == -1)
		return -1;
	ike2_wr_cleanup(wr);
	ike2_wr_init(wr, &h);
	if (ike2_test_rewrite_pls(wr, &pls, err) == -1)
		return -1;
	ike2_wr_finish(wr);
	if (wbuf_error(&wr->w))
		return *err = "rewrite failed", -1;
	return 0;
}
