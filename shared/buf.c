/*
 * buf: the only place that turns wire bytes into integers and back.
 */
#include <string.h>

#include "buf.h"
#include "err.h"

void
buf_init(struct buf *b, void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
	b->bad = 0;
}

void
buf_init_ro(struct buf *b, const void *p, size_t len)
{
	/* Read-only use: the get functions never write through p. */
	buf_init(b, (void *)(uintptr_t)p, len);
}

size_t
buf_left(const struct buf *b)
{
	return b->len - b->off;
}

static uint8_t *
buf_take(struct buf *b, size_t n)
{
	uint8_t *at;

	if (b->bad || n > b->len - b->off) {
		b->bad = 1;
		return NULL;
	}
	at = b->p + b->off;
	b->off += n;
	return at;
}

static int
buf_get_be(struct buf *b, size_t n, uint64_t *v)
{
	const uint8_t *at = buf_take(b, n);
	uint64_t x = 0;
	size_t i;

	if (at == NULL)
		return PM_E_SHORT;
	for (i = 0; i < n; i++)
		x = (x << 8) | at[i];
	*v = x;
	return 0;
}

static int
buf_put_be(struct buf *b, size_t n, uint64_t v)
{
	uint8_t *at = buf_take(b, n);
	size_t i;

	if (at == NULL)
		return PM_E_SHORT;
	for (i = n; i > 0; i--, v >>= 8)
		at[i - 1] = (uint8_t)v;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	uint64_t x = 0;
	int r = buf_get_be(b, 1, &x);

	*v = (uint8_t)x;
	return r;
}

int
buf_get_u16(struct buf *b, uint16_t *v)
{
	uint64_t x = 0;
	int r = buf_get_be(b, 2, &x);

	*v = (uint16_t)x;
	return r;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	uint64_t x = 0;
	int r = buf_get_be(b, 4, &x);

	*v = (uint32_t)x;
	return r;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	return buf_get_be(b, 8, v);
}

int
buf_get_bytes(struct buf *b, void *dst, size_t n)
{
	const uint8_t *at = buf_take(b, n);

	if (at == NULL)
		return PM_E_SHORT;
	memcpy(dst, at, n);
	return 0;
}

int
buf_skip(struct buf *b, size_t n)
{
	return buf_take(b, n) == NULL ? PM_E_SHORT : 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put_be(b, 1, v);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	return buf_put_be(b, 2, v);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	return buf_put_be(b, 4, v);
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	return buf_put_be(b, 8, v);
}

int
buf_put_bytes(struct buf *b, const void *src, size_t n)
{
	uint8_t *at = buf_take(b, n);

	if (at == NULL)
		return PM_E_SHORT;
	memcpy(at, src, n);
	return 0;
}

int
buf_put_zero(struct buf *b, size_t n)
{
	uint8_t *at = buf_take(b, n);

	if (at == NULL)
		return PM_E_SHORT;
	memset(at, 0, n);
	return 0;
}
