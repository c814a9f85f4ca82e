/*
 * buf - growable byte buffer
 *
 * DIAGNOSTICS
 *	Growing calls return ERR_NOMEM, leaving the buffer as it was.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vec.h"
#include "errors.h"

/* buf_init - empty buffer, no storage */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* buf_grow - room for extra more bytes plus the NUL */
int
buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return ERR_NOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return ERR_NOMEM;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = cap;
	return 0;
}

/* buf_append - append len bytes */
int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return ERR_NOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/* buf_puts - append a C string */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* buf_printf - append formatted text */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_INVAL;
	if (buf_grow(b, (size_t)n) < 0)
		return ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* buf_reset - empty, keep storage */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* buf_free - release storage */
void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* buf_steal - hand the data over */
char *
buf_steal(struct buf *b)
{
	char *p;

	if (b->data == NULL && buf_grow(b, 0) < 0)
		return NULL;
	p = b->data;
	buf_init(b);
	return p;
}

/* buf_hexval - value of a hex digit */
int
buf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
