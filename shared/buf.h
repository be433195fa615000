/*
 * buf: bounds-checked big-endian reads and writes over a caller's memory
 * (OpenBSD ibuf, OpenSSH sshbuf). A read or write that does not fit fails
 * without consuming anything and marks the buffer bad, so a codec can do a
 * run of gets and check once at the end.
 */
#ifndef PM_BUF_H
#define PM_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *p;
	size_t len;	/* bytes available */
	size_t off;	/* read/write cursor */
	int bad;	/* set when any access did not fit */
};

void buf_init(struct buf *b, void *p, size_t len);
void buf_init_ro(struct buf *b, const void *p, size_t len);
size_t buf_left(const struct buf *b);

int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u16(struct buf *b, uint16_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_get_bytes(struct buf *b, void *dst, size_t n);
int buf_skip(struct buf *b, size_t n);

int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_bytes(struct buf *b, const void *src, size_t n);
int buf_put_zero(struct buf *b, size_t n);

#endif
