/*
 * debug crypto ikev2: one line per IKEv2 message in or out (addresses,
 * SPIs, message ID, exchange, payloads) and one for the payloads inside
 * its Encrypted payload, logged under the IKEv2 subsystem.  Called at
 * the edges (input, sending, sealing), never from inside a decoder;
 * nothing is parsed unless the trace is on.  Never any key material.
 */
#include <stdarg.h>
#include <string.h>

#include "ike/v2/ike2_int.h"

void
ike2_trace(const struct ike2_sa *sa, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sa == NULL)
		log_debug(LOG_IKEV2, "%s", msg);
	else
		log_debug(LOG_IKEV2, "(SA ID = %u):%s", sa->conn_id, msg);
}

/* "SA KE No N(NAT_DETECTION_SOURCE_IP) ..." into buf. */
static void
payload_list(const struct ike2_pls *pls, char *buf, size_t len)
{
	size_t	 off = 0;

	buf[0] = '\0';
	for (int i = 0; i < pls->n && off < len; i++) {
		struct ike2_notify n;
		const char	*err;
		int		 r;

		if (pls->pl[i].type == IKE2_PL_N &&
		    ike2_notify_parse(pls->pl[i].body, &n, &err) == 0)
			r = snprintf(buf + off, len - off, "%sN(%s)",
			    i > 0 ? " " : "", ike2_notify_name(n.type));
		else
			r = snprintf(buf + off, len - off, "%s%s",
			    i > 0 ? " " : "",
			    ike2_payload_name(pls->pl[i].type));
		if (r < 0)
			break;
		off += (size_t)r;
	}
}

static void
spi_hex(const uint8_t *spi, char *out)
{
	for (int i = 0; i < IKE2_SPI_LEN; i++)
		snprintf(out + 2 * i, 3, "%02X", spi[i]);
}

void
ike2_trace_msg(struct ike2 *v2, int out, const uint8_t *data, size_t len,
    const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	struct ike2_hdr	 h;
	struct ike2_pls	 pls;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	char		 a[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN], si[17], sr[17];
	char		 list[512];

	if (!log_debug_enabled(LOG_IKEV2))
		return;
	buf_init(&b, data, len);
	if (ike2_hdr_parse(&b, &h, &notify, &err) == -1 ||
	    ike2_pls_parse(&b, h.np, 0, &pls, &notify, &err) == -1) {
		ike2_trace(NULL, "%s Packet [%s %s:%u] not parsed: %s",
		    out ? "Sending" : "Received", out ? "To" : "From",
		    ike_addr(remote, a), ntohs(remote->sin_port), err);
		return;
	}
	spi_hex(h.spii, si);
	spi_hex(h.spir, sr);
	payload_list(&pls, list, sizeof(list));
	ike2_trace(ike2_sa_find(v2, h.spii, h.spir), "%s Packet [%s %s:%u/"
	    "%s %s:%u] Initiator SPI : %s - Responder SPI : %s Message id: "
	    "%u IKEv2 %s Exchange %s Payload contents: %s",
	    out ? "Sending" : "Received", out ? "To" : "From",
	    ike_addr(remote, a), ntohs(remote->sin_port), out ? "From" : "To",
	    ike_addr(local, c), ntohs(local->sin_port), si, sr, h.msgid,
	    ike2_exchange_name(h.exchange),
	    h.flags & IKE2_FLAG_R ? "RESPONSE" : "REQUEST", list);
}

void
ike2_trace_inner(const struct ike2_sa *sa, int out, uint32_t msgid,
    const uint8_t *plain, size_t len, uint8_t np)
{
	struct ike2_pls	 pls;
	struct buf	 b;
	uint16_t	 notify;
	const char	*err;
	char		 list[512];

	if (!log_debug_enabled(LOG_IKEV2))
		return;
	buf_init(&b, plain, len);
	if (ike2_pls_parse(&b, np, 1, &pls, &notify, &err) == -1) {
		ike2_trace(sa, "Message id: %u: encrypted payloads not parsed: "
		    "%s", msgid, err);
		return;
	}
	payload_list(&pls, list, sizeof(list));
	ike2_trace(sa, "Message id: %u %s Payload contents: %s", msgid,
	    out ? "to encrypt:" : "decrypted:", list[0] != '\0' ? list :
	    "(none)");
}
