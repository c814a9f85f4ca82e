/*
 * buf - growable byte buffer
 *
 * A struct buf owns its storage (malloc). data is NUL-terminated whenever
 * it is non-NULL, so text can be used as a C string; len excludes the NUL.
 * Every growing call returns 0 or ERR_NOMEM (the buffer is unchanged then).
 */
#ifndef SPLITSYNC_BUF_H
#define SPLITSYNC_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_init(struct buf *b);
/* buf_grow - make room for at least extra more bytes */
int buf_grow(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* buf_reset - empty the buffer, keep its storage */
void buf_reset(struct buf *b);
/* buf_free - release the storage; the buffer is empty and reusable */
void buf_free(struct buf *b);
/* buf_hexval - the value of one hex digit (either case), or -1 */
int buf_hexval(int c);
/* buf_steal - hand the NUL-terminated data to the caller (free()), or
 * NULL on allocation failure; the buffer is left empty */
char *buf_steal(struct buf *b);

#endif
