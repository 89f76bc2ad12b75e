/*
 * The SAs the sync knows, by conn-id: ISAKMP SAs, IKEv2 SAs, and IPsec SA pairs
 * found by either of their two conn-ids.  Chained hashes of a fixed size
 * and a list of every entry for walks.
 */
#include <stdlib.h>
#include <string.h>

#include "hasync/ha_int.h"

static uint32_t
bucket(uint32_t id)
{
	/* conn-ids are dense and sequential: a multiplicative spread */
	return (id * 2654435761u) >> 18 & (HA_BUCKETS - 1);
}

void
ha_table_init(struct ha_table *t)
{
	memset(t, 0, sizeof(*t));
}

void
ha_table_clear(struct ha_table *t)
{
	while (t->isakmp != NULL)
		ha_isakmp_del(t, t->isakmp);
	while (t->ike2 != NULL)
		ha_ike2_del(t, t->ike2);
	while (t->pairs != NULL)
		ha_pair_del(t, t->pairs);
}

struct ha_isakmp *
ha_isakmp_find(struct ha_table *t, uint32_t id)
{
	struct ha_isakmp *e;

	for (e = t->isakmp_b[bucket(id)]; e != NULL; e = e->hnext)
		if (e->conn_id == id)
			return e;
	return NULL;
}

struct ha_isakmp *
ha_isakmp_add(struct ha_table *t, uint32_t id)
{
	struct ha_isakmp *e = xcalloc(1, sizeof(*e));
	uint32_t b = bucket(id);

	e->conn_id = id;
	e->hnext = t->isakmp_b[b];
	t->isakmp_b[b] = e;
	e->next = t->isakmp;
	if (t->isakmp != NULL)
		t->isakmp->prev = e;
	t->isakmp = e;
	t->nisakmp++;
	return e;
}

/* One field of HA_ISAKMP_NOTED (fields.h): noted, compared. */
#define NOTE(name)							\
	memcpy(&e->noted.name, &s->name, sizeof(e->noted.name));
#define SAME(name)							\
	if (memcmp(&e->noted.name, &s->name, sizeof(e->noted.name)) != 0) \
		return 0;

/* The table's entry for an ISAKMP SA (added if new), with what it notes. */
struct ha_isakmp *
ha_isakmp_note(struct ha_table *t, const struct ike_isakmp_state *s)
{
	struct ha_isakmp *e = ha_isakmp_find(t, s->conn_id);

	if (e == NULL)
		e = ha_isakmp_add(t, s->conn_id);
	HA_ISAKMP_NOTED(NOTE)
	return e;
}

int
ha_isakmp_same(const struct ha_isakmp *e, const struct ike_isakmp_state *s)
{
	HA_ISAKMP_NOTED(SAME)
	return 1;
}

void
ha_isakmp_del(struct ha_table *t, struct ha_isakmp *e)
{
	struct ha_isakmp **pp;

	for (pp = &t->isakmp_b[bucket(e->conn_id)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->isakmp = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	t->nisakmp--;
	free(e);
}

/* ---- IKEv2 SAs ----------------------------------------------------------- */

struct ha_ike2 *
ha_ike2_find(struct ha_table *t, uint32_t id)
{
	struct ha_ike2	*e;

	for (e = t->ike2_b[bucket(id)]; e != NULL; e = e->hnext)
		if (e->conn_id == id)
			return e;
	return NULL;
}

/* The table's entry for an IKEv2 SA (added if new), with what it notes. */
struct ha_ike2 *
ha_ike2_note(struct ha_table *t, const struct ike_ike2_state *s)
{
	struct ha_ike2	*e = ha_ike2_find(t, s->conn_id);
	uint32_t	 b = bucket(s->conn_id);

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->conn_id = s->conn_id;
		e->hnext = t->ike2_b[b];
		t->ike2_b[b] = e;
		e->next = t->ike2;
		if (t->ike2 != NULL)
			t->ike2->prev = e;
		t->ike2 = e;
		t->nike2++;
	}
	HA_IKE2_NOTED(NOTE)
	return e;
}

int
ha_ike2_same(const struct ha_ike2 *e, const struct ike_ike2_state *s)
{
	HA_IKE2_NOTED(SAME)
	return 1;
}

void
ha_ike2_del(struct ha_table *t, struct ha_ike2 *e)
{
	struct ha_ike2	**pp;

	for (pp = &t->ike2_b[bucket(e->conn_id)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->ike2 = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	t->nike2--;
	free(e);
}

/* ---- IPsec SA pairs ------------------------------------------------------ */

struct ha_pair *
ha_pair_find_in(struct ha_table *t, uint32_t id)
{
	struct ha_pair	*p;

	for (p = t->in_b[bucket(id)]; p != NULL; p = p->hnext_in)
		if (p->conn_in == id)
			return p;
	return NULL;
}

struct ha_pair *
ha_pair_find(struct ha_table *t, uint32_t id)
{
	struct ha_pair	*p;

	if ((p = ha_pair_find_in(t, id)) != NULL)
		return p;
	for (p = t->out_b[bucket(id)]; p != NULL; p = p->hnext_out)
		if (p->conn_out == id)
			return p;
	return NULL;
}

struct ha_pair *
ha_pair_add(struct ha_table *t, uint32_t in, uint32_t out)
{
	struct ha_pair	*p = xcalloc(1, sizeof(*p));
	uint32_t	 bi = bucket(in), bo = bucket(out);

	p->conn_in = in;
	p->conn_out = out;
	p->hnext_in = t->in_b[bi];
	t->in_b[bi] = p;
	p->hnext_out = t->out_b[bo];
	t->out_b[bo] = p;
	p->next = t->pairs;
	if (t->pairs != NULL)
		t->pairs->prev = p;
	t->pairs = p;
	t->npairs++;
	return p;
}

/* What the table notes of an IPsec SA pair's identity. */
void
ha_pair_note(struct ha_pair *p, const struct ike_ipsec_state *s)
{
	p->spi_in = s->spi_in;
	p->spi_out = s->spi_out;
	p->local_port = s->local_port;
	p->remote_port = s->remote_port;
}

void
ha_pair_del(struct ha_table *t, struct ha_pair *p)
{
	struct ha_pair	**pp;

	for (pp = &t->in_b[bucket(p->conn_in)]; *pp != NULL;
	    pp = &(*pp)->hnext_in)
		if (*pp == p) {
			*pp = p->hnext_in;
			break;
		}
	for (pp = &t->out_b[bucket(p->conn_out)]; *pp != NULL;
	    pp = &(*pp)->hnext_out)
		if (*pp == p) {
			*pp = p->hnext_out;
			break;
		}
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		t->pairs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	t->npairs--;
	free(p);
}
