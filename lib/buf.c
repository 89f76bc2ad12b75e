/*
 * The read cursor and the writer of lib.h.  Every read is bounds-checked
 * before it moves the cursor; every write is checked against the capacity
 * and, once one fails, the writer refuses the rest.
 */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

void
buf_init(struct buf *b, const void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
}

size_t
buf_left(const struct buf *b)
{
	return b->len - b->off;
}

const uint8_t *
buf_cur(const struct buf *b)
{
	return b->p + b->off;
}

int
buf_get_bytes(struct buf *b, void *out, size_t n)
{
	if (buf_left(b) < n)
		return -1;
	if (n > 0)
		memcpy(out, b->p + b->off, n);
	b->off += n;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get_bytes(b, v, 1);
}

int
buf_get_be16(struct buf *b, uint16_t *v)
{
	uint8_t	 x[2];

	if (buf_get_bytes(b, x, sizeof(x)) == -1)
		return -1;
	*v = be16_get(x);
	return 0;
}

int
buf_get_be32(struct buf *b, uint32_t *v)
{
	uint8_t	 x[4];

	if (buf_get_bytes(b, x, sizeof(x)) == -1)
		return -1;
	*v = be32_get(x);
	return 0;
}

int
buf_get_be64(struct buf *b, uint64_t *v)
{
	uint32_t hi, lo;
	size_t	 off = b->off;

	if (buf_get_be32(b, &hi) == -1 || buf_get_be32(b, &lo) == -1) {
		b->off = off;
		return -1;
	}
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
buf_get_sub(struct buf *b, size_t n, struct buf *sub)
{
	if (buf_left(b) < n)
		return -1;
	buf_init(sub, b->p + b->off, n);
	b->off += n;
	return 0;
}

int
buf_skip(struct buf *b, size_t n)
{
	if (buf_left(b) < n)
		return -1;
	b->off += n;
	return 0;
}

void
wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->len = 0;
	w->cap = cap;
	w->err = 0;
	w->dyn = 0;
}

void
wbuf_init_dyn(struct wbuf *w, size_t cap)
{
	if (cap == 0)
		cap = 64;
	wbuf_init(w, xmalloc(cap), cap);
	w->dyn = 1;
}

void
wbuf_cleanup(struct wbuf *w)
{
	if (w->dyn)
		free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

int
wbuf_error(const struct wbuf *w)
{
	return w->err ? -1 : 0;
}

/* Make room for n more bytes; 0, or -1 with err set. */
static int
wbuf_room(struct wbuf *w, size_t n)
{
	size_t	 cap;

	if (w->err)
		return -1;
	if (w->cap - w->len >= n)
		return 0;
	if (!w->dyn || n > SIZE_MAX / 2 - w->len) {
		w->err = 1;
		return -1;
	}
	cap = w->cap;
	while (cap - w->len < n)
		cap *= 2;
	w->p = xreallocarray(w->p, cap, 1);
	w->cap = cap;
	return 0;
}

void
wbuf_put_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (wbuf_room(w, n) == -1)
		return;
	if (n > 0)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void
wbuf_put_zero(struct wbuf *w, size_t n)
{
	if (wbuf_room(w, n) == -1)
		return;
	memset(w->p + w->len, 0, n);
	w->len += n;
}

void
wbuf_put_u8(struct wbuf *w, uint8_t v)
{
	wbuf_put_bytes(w, &v, 1);
}

void
wbuf_put_be16(struct wbuf *w, uint16_t v)
{
	uint8_t	 x[2];

	be16_put(x, v);
	wbuf_put_bytes(w, x, sizeof(x));
}

void
wbuf_put_be32(struct wbuf *w, uint32_t v)
{
	uint8_t	 x[4];

	be32_put(x, v);
	wbuf_put_bytes(w, x, sizeof(x));
}

void
wbuf_put_be64(struct wbuf *w, uint64_t v)
{
	wbuf_put_be32(w, (uint32_t)(v >> 32));
	wbuf_put_be32(w, (uint32_t)v);
}

size_t
wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t	 off = w->len;

	wbuf_put_zero(w, n);
	return off;
}

void
wbuf_set_be16(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->err || off > w->len || w->len - off < 2) {
		w->err = 1;
		return;
	}
	be16_put(w->p + off, v);
}

void
wbuf_set_be32(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->err || off > w->len || w->len - off < 4) {
		w->err = 1;
		return;
	}
	be32_put(w->p + off, v);
}
