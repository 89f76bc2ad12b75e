/*
 * libFuzzer: the ISAKMP parser.  A datagram goes through the header and
 * payload-chain parsers and every typed payload parser, exactly as the
 * engine does before it looks at any state; nothing may crash, read out of
 * bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "ike/wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
		if (ike_sa_parse(pl->body, &sa, &n, &err) == 0)
			for (int i = 0; i < sa.nattrs; i++)
				if (!sa.attr[i].tv && sa.attr[i].len > 0 &&
				    sa.attr[i].val[sa.attr[i].len - 1] == 0xff)
					break;
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
