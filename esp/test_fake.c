/*
 * The record-only backend: it keeps what it is told (SAs, policies, replay
 * state) and forwards no traffic.  Unit tests of ike/ and hasync/ use it to
 * see exactly what their module installed, and raise the data plane's
 * events through it.  Like every module file named test_*.c, it is linked
 * into the tests, fuzzers, test tools and benchmarks, never into havpnd.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "esp/esp_int.h"

#define FAKE_BUCKETS	4096	/* power of two */

struct fake_sa {
	struct fake_sa		*next;	/* hash chain by conn_id */
	struct esp_sa		 sa;
	struct esp_replay_state	 replay;	/* inbound */
	struct esp_seq		 seq;		/* outbound */
	struct esp_sa_stats	 stats;
};

struct esp_fake {
	struct esp_backend	 be;	/* first: the backend handle */
	struct fake_sa		*sas[FAKE_BUCKETS];	/* by conn_id */
	int			 nsas;
	struct esp_policy	*pols;
	int			 npols;
	uint32_t		 next_spi;
	enum esp_outbound	 outbound;
};

/* The link to the SA with this conn-id, or to the end of its chain. */
static struct fake_sa **
slot(struct esp_fake *f, uint32_t conn_id)
{
	struct fake_sa	**pp;

	pp = &f->sas[(conn_id * 2654435761u) >> 20 & (FAKE_BUCKETS - 1)];
	while (*pp != NULL && (*pp)->sa.conn_id != conn_id)
		pp = &(*pp)->next;
	return pp;
}

static struct fake_sa *
find_sa(struct esp_fake *f, uint32_t conn_id)
{
	return *slot(f, conn_id);
}

static int
fake_alloc_spi(struct esp_backend *be, uint32_t *spi)
{
	struct esp_fake *f = (struct esp_fake *)be;

	*spi = f->next_spi++;
	return 0;
}

static int
fake_add_sa(struct esp_backend *be, const struct esp_sa *sa)
{
	struct esp_fake *f = (struct esp_fake *)be;
	struct fake_sa	**pp = slot(f, sa->conn_id), *s;

	if (*pp != NULL)
		return -1;
	s = xcalloc(1, sizeof(*s));
	*pp = s;
	f->nsas++;
	s->sa = *sa;
	s->replay.window = (uint32_t)sa->replay_window;
	esp_seq_set(&s->seq, 0, sa->esn);
	return 0;
}

static int
fake_update_sa(struct esp_backend *be, const struct esp_sa *sa)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, sa->conn_id);

	if (s == NULL)
		return -1;
	s->sa = *sa;
	return 0;
}

static int
fake_del_sa(struct esp_backend *be, uint32_t conn_id)
{
	struct esp_fake *f = (struct esp_fake *)be;
	struct fake_sa	**pp = slot(f, conn_id), *s = *pp;

	if (s == NULL)
		return -1;
	*pp = s->next;
	f->nsas--;
	free_secret(s, sizeof(*s));
	return 0;
}

static int
fake_query_sa(struct esp_backend *be, uint32_t conn_id,
    struct esp_sa_stats *st)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL)
		return -1;
	*st = s->stats;
	return 0;
}

static int
fake_get_replay(struct esp_backend *be, uint32_t conn_id,
    struct esp_replay_state *r)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL)
		return -1;
	*r = s->replay;
	if (s->sa.dir == ESP_OUT)
		r->seq_out = s->seq.out;
	return 0;
}

static int
fake_set_replay(struct esp_backend *be, uint32_t conn_id,
    const struct esp_replay_state *r)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL)
		return -1;
	if (s->sa.dir == ESP_OUT) {
		if (r->seq_out > esp_seq_max(s->sa.esn))
			return -1;
		esp_seq_set(&s->seq, r->seq_out, s->sa.esn);
		return 0;
	}
	s->replay = *r;
	return 0;
}

static int
fake_continue_out(struct esp_backend *be, uint32_t conn_id, uint64_t synced,
    uint64_t *start)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL || s->sa.dir != ESP_OUT ||
	    esp_seq_can_continue(&s->seq, synced, s->sa.esn) == -1)
		return -1;
	if (start == NULL)
		return 0;
	(void)esp_seq_continue(&s->seq, synced, s->sa.esn);
	*start = s->seq.out;
	return 0;
}

static int
fake_set_traffic(struct esp_backend *be, uint32_t conn_id, uint64_t packets,
    uint64_t bytes)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL)
		return -1;
	s->stats.packets = packets;
	s->stats.bytes = bytes;
	return 0;
}

static int
fake_add_policy(struct esp_backend *be, const struct esp_policy *p)
{
	struct esp_fake *f = (struct esp_fake *)be;

	for (int i = 0; i < f->npols; i++)
		if (f->pols[i].id == p->id)
			return -1;
	f->pols = xreallocarray(f->pols, (size_t)f->npols + 1,
	    sizeof(*f->pols));
	f->pols[f->npols++] = *p;
	return 0;
}

static int
fake_del_policy(struct esp_backend *be, uint32_t id)
{
	struct esp_fake *f = (struct esp_fake *)be;

	for (int i = 0; i < f->npols; i++)
		if (f->pols[i].id == id) {
			f->pols[i] = f->pols[--f->npols];
			return 0;
		}
	return -1;
}

static int
fake_attach_encap_socket(struct esp_backend *be, int fd,
    esp_ike_input_fn fn, void *arg)
{
	(void)be;
	(void)fd;
	(void)fn;
	(void)arg;
	return 0;	/* the caller keeps reading its socket */
}

static void
fake_destroy(struct esp_backend *be)
{
	struct esp_fake *f = (struct esp_fake *)be;

	for (size_t b = 0; b < FAKE_BUCKETS; b++)
		while (f->sas[b] != NULL) {
			struct fake_sa *s = f->sas[b];

			f->sas[b] = s->next;
			free_secret(s, sizeof(*s));
		}
	free(f->pols);
	free(f);
}

static int
fake_set_outbound(struct esp_backend *be, enum esp_outbound mode)
{
	((struct esp_fake *)be)->outbound = mode;
	return 0;
}

static const struct esp_backend_ops fake_ops = {
	.name = "fake",
	.alloc_spi = fake_alloc_spi,
	.add_sa = fake_add_sa,
	.update_sa = fake_update_sa,
	.del_sa = fake_del_sa,
	.query_sa = fake_query_sa,
	.get_replay = fake_get_replay,
	.set_replay = fake_set_replay,
	.continue_out = fake_continue_out,
	.set_traffic = fake_set_traffic,
	.add_policy = fake_add_policy,
	.del_policy = fake_del_policy,
	.attach_encap_socket = fake_attach_encap_socket,
	.destroy = fake_destroy,
	.set_outbound = fake_set_outbound,
};

struct esp_backend *
esp_fake_new(void)
{
	struct esp_fake *f = xcalloc(1, sizeof(*f));

	f->be.ops = &fake_ops;
	f->next_spi = 0x10000100;
	return &f->be;
}

const struct esp_sa *
esp_fake_sa(struct esp_backend *be, uint32_t conn_id)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	return s != NULL ? &s->sa : NULL;
}

int
esp_fake_nsas(struct esp_backend *be)
{
	return ((struct esp_fake *)be)->nsas;
}

int
esp_fake_npolicies(struct esp_backend *be)
{
	return ((struct esp_fake *)be)->npols;
}

int
esp_fake_set_stats(struct esp_backend *be, uint32_t conn_id,
    const struct esp_sa_stats *st)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);

	if (s == NULL)
		return -1;
	s->stats = *st;
	return 0;
}

enum esp_outbound
esp_fake_outbound(struct esp_backend *be)
{
	return ((struct esp_fake *)be)->outbound;
}

void
esp_fake_acquire(struct esp_backend *be, uint32_t reqid,
    const struct esp_selector *flow)
{
	esp_emit_acquire(be, reqid, flow);
}

void
esp_fake_expire(struct esp_backend *be, uint32_t conn_id, int hard)
{
	esp_emit_expire(be, conn_id, hard);
}

void
esp_fake_counter_update(struct esp_backend *be, uint32_t conn_id)
{
	esp_emit_counter_update(be, conn_id);
}

void
esp_fake_invalid_spi(struct esp_backend *be, uint32_t spi,
    struct in_addr local, struct in_addr peer)
{
	esp_emit_invalid_spi(be, spi, local, peer);
}

uint64_t
esp_fake_send(struct esp_backend *be, uint32_t conn_id, uint64_t k,
    uint64_t *first)
{
	struct fake_sa	*s = find_sa((struct esp_fake *)be, conn_id);
	uint64_t	 n;

	if (s == NULL || s->sa.dir != ESP_OUT)
		return 0;
	*first = s->seq.out + 1;
	n = s->seq.limit - s->seq.out;
	if (n > k)
		n = k;
	s->seq.out += n;
	return n;
}
