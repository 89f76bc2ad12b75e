/* Two IKE engines in one process: see ike_pair.h. */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ike_pair.h"

const char pair_conf_a[] =
    "hostname a\n"
    "crypto isakmp policy 10\n"
    " encr aes 256\n"
    " hash sha256\n"
    " authentication pre-share\n"
    " group 14\n"
    "crypto isakmp key cisco123 address 10.0.0.20\n"
    "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
    "crypto map vpn 10 ipsec-isakmp\n"
    " set peer 10.0.0.20\n"
    " set transform-set TS\n"
    " set pfs group14\n"
    " match address 110\n"
    "interface eth0\n"
    " ip address 10.0.0.11 255.255.255.0\n"
    " crypto map vpn\n"
    "access-list 110 permit ip 192.168.20.0 0.0.0.255 172.21.91.0 "
    "0.0.0.255\n";

const char pair_conf_b[] =
    "hostname b\n"
    "crypto isakmp policy 10\n"
    " encr aes 256\n"
    " hash sha256\n"
    " authentication pre-share\n"
    " group 14\n"
    "crypto isakmp key cisco123 address 10.0.0.11\n"
    "crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac\n"
    "crypto map vpn 10 ipsec-isakmp\n"
    " set peer 10.0.0.11\n"
    " set transform-set TS\n"
    " set pfs group14\n"
    " match address 110\n"
    "interface eth0\n"
    " ip address 10.0.0.20 255.255.255.0\n"
    " crypto map vpn\n"
    "access-list 110 permit ip 172.21.91.0 0.0.0.255 192.168.20.0 "
    "0.0.0.255\n";

char *
pair_edit(const char *conf, const char *from, const char *to)
{
	const char	*at = strstr(conf, from);
	char		*out;
	size_t		 pre;

	if (at == NULL)
		abort();
	pre = (size_t)(at - conf);
	out = xmalloc(strlen(conf) - strlen(from) + strlen(to) + 1);
	memcpy(out, conf, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

struct config *
pair_conf(const char *text)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf = conf_load_mem("test", text, strlen(text), &d);

	if (cf == NULL)
		abort();
	return cf;
}

static char	*log_buf;
static size_t	 log_len;
static FILE	*log_f;

void
pair_log_reset(void)
{
	if (getenv("IKE_TRACE") != NULL) {
		log_set_debug(LOG_IKE, 1);
		return;
	}
	if (log_f != NULL)
		fclose(log_f);
	free(log_buf);
	log_buf = NULL;
	log_len = 0;
	log_f = open_memstream(&log_buf, &log_len);
	log_set_stream(log_f);
	/* the trace too: tests look for its lines */
	log_set_debug(LOG_IKE, 1);
}

void
pair_log_init(void)
{
	log_init("test", 1, 0);
	pair_log_reset();
}

int
pair_log_has(const char *s)
{
	if (log_f == NULL)
		return 1;	/* tracing to stderr: not checked */
	fflush(log_f);
	return log_buf != NULL && strstr(log_buf, s) != NULL;
}

const char *
pair_log_text(void)
{
	if (log_f == NULL)
		return NULL;
	fflush(log_f);
	return log_buf != NULL ? log_buf : "";
}

struct io_arg {
	struct pair	*p;
	int		 node;
};

static struct io_arg io_args[64][2];
static int	 nio;

static uint64_t
now_cb(void *arg)
{
	return ((struct io_arg *)arg)->p->now;
}

static int
send_cb(void *arg, const struct sockaddr_in *local,
    const struct sockaddr_in *remote, const uint8_t *data, size_t len)
{
	struct io_arg	*a = arg;
	struct pair	*p = a->p;
	struct pair_msg	*m, w;

	p->n[a->node].sent++;
	if (p->wire != NULL) {
		w.from = a->node;
		w.src = *local;
		w.dst = *remote;
		w.data = (uint8_t *)data;
		w.len = len;
		p->wire(p, &w);
	}
	if (p->nq == (int)nitems(p->q))
		return -1;	/* the network is full: a loss */
	m = &p->q[p->nq++];
	m->from = a->node;
	m->src = *local;
	m->dst = *remote;
	m->data = xmalloc(len);
	memcpy(m->data, data, len);
	m->len = len;
	return 0;
}

static void
node_start(struct pair *p, int i)
{
	struct ike_io	 io;
	struct io_arg	*a;

	if (nio == (int)nitems(io_args))
		nio = 0;
	a = &io_args[nio++][i];
	a->p = p;
	a->node = i;
	memset(&io, 0, sizeof(io));
	io.arg = a;
	io.now_ms = now_cb;
	io.send = send_cb;
	p->n[i].ike = ike_new(p->n[i].be, &io);
	if (p->n[i].ike == NULL || ike_configure(p->n[i].ike, p->n[i].cf) == -1)
		abort();
}

struct pair *
pair_new(const char *a, const char *b)
{
	struct pair	*p = xcalloc(1, sizeof(*p));
	const char	*txt[2] = { a, b };

	pair_log_reset();
	const char	*addr[2] = { "10.0.0.11", "10.0.0.20" };

	p->now = 1000000;
	for (int i = 0; i < 2; i++) {
		addr_parse(addr[i], &p->n[i].addr);
		if (txt[i] == NULL)
			continue;
		p->n[i].be = esp_fake_new();
		/* the two fakes count SPIs from the same base: skew them */
		for (int k = 0; k < 16 * i; k++) {
			uint32_t spi;

			p->n[i].be->ops->alloc_spi(p->n[i].be, &spi);
		}
		p->n[i].cf = pair_conf(txt[i]);
		node_start(p, i);
	}
	return p;
}

void
pair_restart(struct pair *p, int i, int new_be)
{
	ike_free(p->n[i].ike);
	if (new_be) {
		p->n[i].be->ops->destroy(p->n[i].be);
		p->n[i].be = esp_fake_new();
	}
	node_start(p, i);
}

void
pair_flush(struct pair *p)
{
	for (int i = 0; i < p->nq; i++)
		free(p->q[i].data);
	p->nq = 0;
}

void
pair_free(struct pair *p)
{
	pair_flush(p);
	for (int i = 0; i < 2; i++) {
		ike_free(p->n[i].ike);
		if (p->n[i].be != NULL)
			p->n[i].be->ops->destroy(p->n[i].be);
		conf_free(p->n[i].cf);
	}
	free(p);
}

int
pair_step(struct pair *p)
{
	struct pair_msg	 m;
	int		 to;

	if (p->nq == 0)
		return 0;
	m = p->q[0];
	memmove(&p->q[0], &p->q[1], (size_t)(p->nq - 1) * sizeof(p->q[0]));
	p->nq--;
	to = 1 - m.from;
	if ((p->filter == NULL || p->filter(p, &m)) && p->n[to].ike != NULL &&
	    m.dst.sin_addr.s_addr == p->n[to].addr.s_addr)
		ike_input(p->n[to].ike, m.data, m.len, &m.dst, &m.src);
	free(m.data);
	return 1;
}

int
pair_run(struct pair *p, int max)
{
	int	 n = 0;

	while (n < max && pair_step(p))
		n++;
	return n;
}

void
pair_advance(struct pair *p, uint64_t ms)
{
	uint64_t end = p->now + ms;

	for (;;) {
		uint64_t next = UINT64_MAX;

		for (int i = 0; i < 2; i++)
			if (p->n[i].ike != NULL) {
				uint64_t d = ike_next_deadline(p->n[i].ike);

				if (d < next)
					next = d;
			}
		if (next > end)
			break;
		if (next > p->now)
			p->now = next;
		for (int i = 0; i < 2; i++)
			if (p->n[i].ike != NULL)
				ike_run_timers(p->n[i].ike);
		pair_run(p, 1000);
	}
	p->now = end;
}

struct one_sa {
	int			 n;
	struct ike_isakmp_state	 s;
};

static void
one_cb(void *arg, const struct ike_isakmp_state *s)
{
	struct one_sa	*o = arg;

	o->n++;
	o->s = *s;
}

int
pair_isakmp(struct pair *p, int i, struct ike_isakmp_state *s)
{
	struct one_sa	 o;

	memset(&o, 0, sizeof(o));
	ike_export_isakmp(p->n[i].ike, one_cb, &o);
	*s = o.s;
	return o.n == 1 ? 0 : -1;
}

static void
nop_isakmp(void *arg, const struct ike_isakmp_state *s)
{
	(void)arg;
	(void)s;
}

static void
nop_ipsec(void *arg, const struct ike_ipsec_state *s)
{
	(void)arg;
	(void)s;
}

int
pair_count_isakmp(struct pair *p, int i)
{
	return ike_export_isakmp(p->n[i].ike, nop_isakmp, NULL);
}

int
pair_count_ipsec(struct pair *p, int i)
{
	return ike_export_ipsec(p->n[i].ike, nop_ipsec, NULL);
}

int
pair_acquire(struct pair *p, int i, const char *src, const char *dst)
{
	struct esp_selector f;
	char		 err[256];

	memset(&f, 0, sizeof(f));
	addr_parse(src, &f.src);
	addr_parse(dst, &f.dst);
	return ike_test_acquire(p->n[i].ike, &f, err, sizeof(err));
}

void
pair_inject(struct pair *p, int i, const uint8_t *data, size_t len,
    const char *src, uint16_t sport, uint16_t dport)
{
	struct sockaddr_in l, r;

	memset(&l, 0, sizeof(l));
	l.sin_family = AF_INET;
	l.sin_addr = p->n[i].addr;
	l.sin_port = htons(dport);
	r = l;
	addr_parse(src, &r.sin_addr);
	r.sin_port = htons(sport);
	ike_input(p->n[i].ike, data, len, &l, &r);
}
