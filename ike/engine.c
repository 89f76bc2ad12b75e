/*
 * The engine: creation, configuration, the HA role, listeners, tracing,
 * and the dispatch of every arriving datagram to its SA and exchange.
 *
 * Input path: non-ESP marker (port 4500) -> header checks -> SA lookup by
 * cookies (a first message with a zero responder cookie makes a responder
 * SA, within the half-open limits; a responder's datagrams count towards
 * what may go back until one carries our cookie: msg.c) -> the exchange's
 * handler, which checks for duplicates, decrypts, verifies and only then
 * changes state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <openssl/rand.h>

#include "ike/ike_int.h"

uint64_t
ike_now(struct ike *ike)
{
	return ike->io.now_ms(ike->io.arg);
}

void
ike_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1)
		fatalx(LOG_IKE, "RAND_bytes failed");
}

const char *
ike_addr(const struct sockaddr_in *sin, char *buf)
{
	return addr_str(sin->sin_addr, buf);
}

void
ike_trace(const struct ike_sa *sa, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sa == NULL)
		log_debug(LOG_IKE, "ISAKMP:%s", msg);
	else
		log_debug(LOG_IKE, "ISAKMP:(%u):%s", sa->conn_id, msg);
}

void
ike_trace_state(struct ike_sa *sa, enum ike_fsm st, const char *input)
{
	if (!log_debug_enabled(LOG_IKE))
		return;
	if (input != NULL)
		ike_trace(sa, "Input = %s", input);
	ike_trace(sa, "Old State = %s  New State = %s", ike_fsm_name(sa->state),
	    ike_fsm_name(st));
}

void
ike_warn_input(struct ike *ike, const struct sockaddr_in *from,
    const char *fmt, ...)
{
	char		 msg[512], a[INET_ADDRSTRLEN];
	uint64_t	 suppressed;
	va_list		 ap;

	if (!log_ratelimit_ok(&ike->rl_input, ike_now(ike), 1000, &suppressed))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (suppressed > 0)
		log_warnx(LOG_IKE, "IKE message from %s: %s (%llu similar "
		    "suppressed)", ike_addr(from, a), msg,
		    (unsigned long long)suppressed);
	else
		log_warnx(LOG_IKE, "IKE message from %s: %s", ike_addr(from, a),
		    msg);
}

void
ike_warn_limited(struct ike *ike, struct log_ratelimit *rl, const char *fmt,
    ...)
{
	char		 msg[512];
	uint64_t	 suppressed;
	va_list		 ap;

	if (!log_ratelimit_ok(rl, ike_now(ike), 1000, &suppressed))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (suppressed > 0)
		log_warnx(LOG_IKE, "%s (%llu similar suppressed)", msg,
		    (unsigned long long)suppressed);
	else
		log_warnx(LOG_IKE, "%s", msg);
}

static uint64_t
no_clock(void *arg)
{
	(void)arg;
	return time_mono_ms();
}

struct ike *
ike_new(struct esp_backend *be, const struct ike_io *io)
{
	struct ike	*ike = xcalloc(1, sizeof(*ike));
	struct esp_listener l;

	ike->io = *io;
	if (ike->io.now_ms == NULL)
		ike->io.now_ms = no_clock;
	ike->be = be;
	ike->active = 1;
	ike->next_conn_id = 1001;
	ike->next_ipsec_conn = 1;
	ike->next_reqid = 1;
	ike->retx_base_ms = IKE_RETX_BASE_MS;
	ike->retx_max = IKE_RETX_MAX;
	ike->halfopen_max = IKE_HALFOPEN_MAX;
	ike->halfopen_peer_max = IKE_HALFOPEN_PEER_MAX;
	/* the algorithms must be there before anything is negotiated */
	if (!ike_dh_supported(14) || !ike_dh_supported(19) ||
	    ike_hash_len(ALG_HASH_SHA256) == 0) {
		log_warnx(LOG_IKE, "OpenSSL does not provide the IKE "
		    "algorithms");
		free(ike);
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.arg = ike;
	l.acquire = ike_esp_acquire;
	l.expire = ike_esp_expire;
	l.invalid_spi = ike_esp_invalid_spi;
	if (esp_add_listener(be, &l) == -1) {
		log_warnx(LOG_IKE, "no room for another data plane listener");
		free(ike);
		return NULL;
	}
	ike->v2 = ike2_new(ike);
	return ike;
}

void
ike_free(struct ike *ike)
{
	if (ike == NULL)
		return;
	while (ike->sas != NULL)
		ike_sa_free(ike->sas);
	ike2_free(ike->v2);
	while (ike->children != NULL) {
		struct ike_child *c = ike->children;

		/* the data plane keeps its SAs; we only forget ours */
		ike->children = c->next;
		ike_timer_stop(ike, &c->t_soft);
		ike_timer_stop(ike, &c->t_hard);
		free_secret(c, sizeof(*c));
	}
	ike_spd_remove(ike);
	(void)esp_remove_listener(ike->be, ike);
	conf_free(ike->cf);
	free(ike->reqids);
	free(ike->heap.t);
	free(ike);
}

int
ike_configure(struct ike *ike, const struct config *cf)
{
	struct config	*copy = conf_dup(cf);

	if (copy == NULL) {
		log_warnx(LOG_IKE, "cannot copy the configuration");
		return -1;
	}
	ike_spd_remove(ike);
	conf_free(ike->cf);
	ike->cf = copy;
	return ike_spd_install(ike);
}

/* ---- HA role ------------------------------------------------------------- */

void
ike_timer_hold(struct ike *ike, struct ike_timer *t)
{
	if (t->idx >= 0) {
		ike_timer_stop(ike, t);
		t->held = 1;
	}
}

void
ike_timer_unhold(struct ike *ike, struct ike_timer *t)
{
	if (t->held)
		ike_timer_set(ike, t, t->when);
}

void
ike_set_active(struct ike *ike, int active)
{
	struct ike_sa	*sa, *next;
	struct ike_child *c;

	active = active != 0;
	if (ike->active == active)
		return;
	log_info(LOG_IKE, "IKE %s", active ? "active: initiating, DPD and "
	    "rekeying resume" : "standby: SAs held, nothing initiated");
	if (!active) {
		/* exchanges in flight are not continued elsewhere: drop */
		for (sa = ike->sas; sa != NULL; sa = next) {
			next = sa->next;
			if (!sa->established) {
				ike_sa_free(sa);
				continue;
			}
			ike_qm_free_all(sa);
			ike_timer_hold(ike, &sa->t_soft);
			ike_timer_hold(ike, &sa->t_hard);
			ike_timer_hold(ike, &sa->t_dpd);
			ike_timer_hold(ike, &sa->t_natka);
			ike_timer_stop(ike, &sa->t_retx);
		}
		for (c = ike->children; c != NULL; c = c->next) {
			c->rekeying = 0;
			ike_timer_hold(ike, &c->t_soft);
			ike_timer_hold(ike, &c->t_hard);
		}
		ike2_set_active(ike->v2, 0);
		ike->active = 0;
		return;
	}
	ike->active = 1;
	ike2_set_active(ike->v2, 1);
	for (sa = ike->sas; sa != NULL; sa = sa->next) {
		ike_timer_unhold(ike, &sa->t_soft);
		ike_timer_unhold(ike, &sa->t_hard);
		ike_timer_unhold(ike, &sa->t_dpd);
		ike_timer_unhold(ike, &sa->t_natka);
	}
	for (c = ike->children; c != NULL; c = c->next) {
		ike_timer_unhold(ike, &c->t_soft);
		ike_timer_unhold(ike, &c->t_hard);
	}
}

int
ike_is_active(const struct ike *ike)
{
	return ike->active;
}

/* ---- listeners ----------------------------------------------------------- */

int
ike_add_listener(struct ike *ike, const struct ike_listener *l)
{
	if (ike->nlisteners == IKE_MAX_LISTENERS)
		return -1;
	ike->listeners[ike->nlisteners++] = *l;
	return 0;
}

int
ike_remove_listener(struct ike *ike, const void *arg)
{
	int	 n = 0;

	for (int i = 0; i < ike->nlisteners;) {
		if (ike->listeners[i].arg != arg) {
			i++;
			continue;
		}
		memmove(&ike->listeners[i], &ike->listeners[i + 1],
		    (size_t)(ike->nlisteners - i - 1) *
		    sizeof(ike->listeners[0]));
		ike->nlisteners--;
		n++;
	}
	return n;
}

void
ike_emit_isakmp(struct ike *ike, struct ike_sa *sa, int up)
{
	struct ike_isakmp_state s;

	if (ike->nlisteners == 0 || !sa->established)
		return;
	ike_sa_export(sa, &s);
	for (int i = 0; i < ike->nlisteners; i++) {
		struct ike_listener *l = &ike->listeners[i];

		if (up && l->isakmp_up != NULL)
			l->isakmp_up(l->arg, &s);
		else if (!up && l->isakmp_updated != NULL)
			l->isakmp_updated(l->arg, &s);
	}
	OPENSSL_cleanse(&s, sizeof(s));
}

void
ike_emit_isakmp_deleted(struct ike *ike, struct ike_sa *sa)
{
	for (int i = 0; i < ike->nlisteners; i++)
		if (ike->listeners[i].isakmp_deleted != NULL)
			ike->listeners[i].isakmp_deleted(ike->listeners[i].arg,
			    sa->conn_id, sa->icookie, sa->rcookie);
}

void
ike_emit_ipsec(struct ike *ike, struct ike_child *c, int rekey,
    uint32_t old_conn_in)
{
	struct ike_ipsec_state s;

	if (ike->nlisteners == 0)
		return;
	ike_child_export(c, &s);
	for (int i = 0; i < ike->nlisteners; i++) {
		struct ike_listener *l = &ike->listeners[i];

		if (rekey && l->ipsec_rekeyed != NULL)
			l->ipsec_rekeyed(l->arg, &s, old_conn_in);
		else if (l->ipsec_up != NULL)
			l->ipsec_up(l->arg, &s);
	}
	OPENSSL_cleanse(&s, sizeof(s));
}

void
ike_emit_ipsec_deleted(struct ike *ike, struct ike_child *c)
{
	for (int i = 0; i < ike->nlisteners; i++)
		if (ike->listeners[i].ipsec_deleted != NULL)
			ike->listeners[i].ipsec_deleted(ike->listeners[i].arg,
			    c->conn_in, c->conn_out);
}

/* ---- input --------------------------------------------------------------- */

static const uint8_t zero8[8];

static void
input_first(struct ike *ike, const struct ike_hdr *h, const uint8_t *msg,
    size_t len, const struct sockaddr_in *local,
    const struct sockaddr_in *remote)
{
	struct ike_sa	*sa;

	if (h->exchange == IKE_EX_INFO) {
		/*
		 * An answer to our first message, before the peer's cookie:
		 * from the address we sent it to, to the one we sent it from
		 * (our cookie alone is in the clear on the path).
		 */
		sa = ike_sa_find(ike, h->icookie, NULL);
		if (sa != NULL && sa->initiator && !sa->established &&
		    sa->remote.sin_addr.s_addr == remote->sin_addr.s_addr &&
		    sa->local.sin_addr.s_addr == local->sin_addr.s_addr)
			ike_info_plain(ike, sa, h, msg, len);
		else {
			ike->st.bad_cookie++;
			ike_warn_input(ike, remote, "unprotected Informational "
			    "for a negotiation it is not part of: dropped");
		}
		return;
	}
	if ((h->exchange != IKE_EX_MAIN && h->exchange != IKE_EX_AGGRESSIVE) ||
	    h->msgid != 0 || (h->flags & IKE_FLAG_ENC)) {
		ike->st.bad_cookie++;
		ike_warn_input(ike, remote, "%s with a zero responder cookie "
		    "is not a first message: dropped",
		    ike_exchange_name(h->exchange));
		return;
	}
	sa = ike_sa_find_responder(ike, h->icookie, remote);
	if (sa != NULL && sa->state == IKE_DEAD) {
		ike->st.rx_dropped++;
		return;
	}
	if (sa != NULL) {
		/* a retransmitted first message: the exchange answers it */
		ike_msg_budget_rx(sa);
		if (sa->exchange == IKE_EX_MAIN)
			ike_mm_input(sa, h, msg, len);
		else
			ike_am_input(sa, h, msg, len);
		return;
	}
	if (h->exchange == IKE_EX_MAIN)
		ike_mm_respond(ike, h, msg, len, local, remote);
	else
		ike_am_respond(ike, h, msg, len, local, remote);
}

void
ike_input(struct ike *ike, const uint8_t *data, size_t len,
    const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	struct buf	 b;
	struct ike_hdr	 h;
	struct ike_sa	*sa;
	uint16_t	 notify;
	const char	*err;

	ike->st.rx++;
	if (!ike->active) {
		ike->st.not_active++;
		return;
	}
	ike->in_local = *local;
	ike->in_remote = *remote;
	ike->in_len = len;
	if (ntohs(local->sin_port) == IKE_NATT_PORT) {
		/* RFC 3948 2.3: a NAT-keepalive is one 0xff byte */
		if (len == 1 && data[0] == 0xff)
			return;
		if (len < 4 || memcmp(data, zero8, 4) != 0) {
			/* ESP in UDP belongs to the data plane */
			ike->st.rx_dropped++;
			return;
		}
		data += 4;
		len -= 4;
	}
	/* 3.1 of RFC 7296: the version octet's major number picks IKE */
	if (len > 17 && data[17] >> 4 == 2) {
		ike2_input(ike->v2, data, len, local, remote);
		return;
	}
	buf_init(&b, data, len);
	if (ike_hdr_parse(&b, &h, &notify, &err) == -1) {
		ike->st.malformed++;
		ike_warn_input(ike, remote, "failed its sanity check or is "
		    "malformed: %s", err);
		if (notify != 0 && len >= IKE_HDR_LEN)
			ike_msg_notify_plain(ike, local, remote, data,
			    data + 8, notify, IKE_PROTO_ISAKMP, NULL, 0);
		return;
	}
	if (memcmp(h.rcookie, zero8, 8) == 0) {
		input_first(ike, &h, data, len, local, remote);
		return;
	}
	sa = ike_sa_find(ike, h.icookie, h.rcookie);
	if (sa != NULL && sa->state == IKE_DEAD) {
		/* a failed negotiation the peer still retransmits into */
		ike->st.rx_dropped++;
		return;
	}
	if (sa == NULL) {
		char	 ic[17], rc[17];

		ike->st.bad_cookie++;
		hex_encode(h.icookie, 8, ic);
		hex_encode(h.rcookie, 8, rc);
		ike_warn_input(ike, remote, "%s with invalid cookies %s/%s "
		    "(no such SA)", ike_exchange_name(h.exchange), ic, rc);
		/* RFC 2408 5.2: INVALID-COOKIE, but not about notifies */
		if (h.exchange != IKE_EX_INFO)
			ike_msg_notify_plain(ike, local, remote, h.icookie,
			    h.rcookie, IKE_N_INVALID_COOKIE, IKE_PROTO_ISAKMP,
			    NULL, 0);
		return;
	}
	if (sa->remote.sin_addr.s_addr != remote->sin_addr.s_addr ||
	    sa->local.sin_addr.s_addr != local->sin_addr.s_addr) {
		ike->st.bad_cookie++;
		ike_warn_input(ike, remote, "cookies of an SA with another "
		    "peer: dropped");
		return;
	}
	if (sa->unverified)
		ike_p1_source_verified(sa, h.exchange);
	if (log_debug_enabled(LOG_IKE)) {
		char	 a[INET_ADDRSTRLEN];

		IKE_TRACE(sa, " received packet from %s dport %u sport %u "
		    "Global (%s) %s", ike_addr(remote, a),
		    ntohs(local->sin_port), ntohs(remote->sin_port),
		    sa->initiator ? "I" : "R", ike_fsm_show(sa->state));
	}
	switch (h.exchange) {
	case IKE_EX_MAIN:
	case IKE_EX_AGGRESSIVE:
		if (h.exchange != sa->exchange || h.msgid != 0) {
			ike->st.malformed++;
			ike_warn_input(ike, remote, "%s on a %s SA: dropped",
			    ike_exchange_name(h.exchange),
			    ike_exchange_name(sa->exchange));
			return;
		}
		if (sa->exchange == IKE_EX_MAIN)
			ike_mm_input(sa, &h, data, len);
		else
			ike_am_input(sa, &h, data, len);
		break;
	case IKE_EX_QUICK:
		ike_qm_input(sa, &h, data, len);
		break;
	case IKE_EX_INFO:
		if ((h.flags & IKE_FLAG_ENC) && sa->keys.enclen > 0)
			ike_info_input(sa, &h, data, len);
		else
			ike_info_plain(ike, sa, &h, data, len);
		break;
	default:
		ike->st.malformed++;
		ike_warn_input(ike, remote, "unsupported exchange %s",
		    ike_exchange_name(h.exchange));
		if (sa->established)
			(void)ike_info_send_notify(sa, IKE_PROTO_ISAKMP,
			    IKE_N_UNSUPPORTED_EXCHANGE_TYPE, NULL, 0, NULL, 0);
		break;
	}
}

/* ---- operator actions ---------------------------------------------------- */

static int
in_prefix(struct in_addr a, struct in_addr net, struct in_addr mask)
{
	return (a.s_addr & mask.s_addr) == (net.s_addr & mask.s_addr);
}

int
ike_test_acquire(struct ike *ike, const struct esp_selector *flow, char *err,
    size_t errlen)
{
	for (int i = 0; i < ike->nspd; i++) {
		const struct ike_spd *s = &ike->spd[i];

		if (!s->usable || !in_prefix(flow->src, s->sel.src,
		    s->sel.src_mask) || !in_prefix(flow->dst, s->sel.dst,
		    s->sel.dst_mask))
			continue;
		if (s->sel.proto != 0 && s->sel.proto != flow->proto)
			continue;
		if (s->sel.sport != 0 && s->sel.sport != flow->sport)
			continue;
		if (s->sel.dport != 0 && s->sel.dport != flow->dport)
			continue;
		if (!s->permit) {
			snprintf(err, errlen, "crypto map %s %d: access-list "
			    "entry %d denies the flow: it is not protected",
			    s->map, s->map_seq, s->ace + 1);
			return -1;
		}
		if (!ike->active) {
			snprintf(err, errlen, "IKE is standby: nothing is "
			    "initiated");
			return -1;
		}
		ike_esp_acquire(ike, s->id, flow);
		return 0;
	}
	snprintf(err, errlen, "no crypto map access-list entry matches the "
	    "flow");
	return -1;
}

int
ike_clear_isakmp(struct ike *ike, uint32_t conn_id)
{
	struct ike_sa	*sa, *next;
	int		 n = 0;

	for (sa = ike->sas; sa != NULL; sa = next) {
		next = sa->next;
		if (conn_id != 0 && sa->conn_id != conn_id)
			continue;
		ike_isakmp_delete(sa, 1, "clear crypto isakmp");
		n++;
		next = ike->sas;	/* the list may have changed */
		if (conn_id != 0)
			break;
	}
	return n;
}

int
ike_clear_sa(struct ike *ike, const struct in_addr *peer)
{
	struct ike_child *c, *next;
	int		 n = 0;

	for (c = ike->children; c != NULL; c = next) {
		next = c->next;
		if (peer != NULL && c->remote.s_addr != peer->s_addr)
			continue;
		ike_child_delete(c, 1, "clear crypto sa");
		n++;
	}
	return n;
}
