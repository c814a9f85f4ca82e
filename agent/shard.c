/*
 * shard - where a key lives when a file is split into shards
 *
 * DESCRIPTION
 *	Bounded files are what keeps a one-address change small in git:
 *	only the shard holding the key is rewritten, and only the few
 *	trees above it. The hash is FNV-1a, written down in the manual so
 *	that any tool can find a key's shard.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM; ERR_INVAL for a path that does not fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "shard.h"
#include "vec.h"

/* shard_hash - FNV-1a 32-bit */
uint32_t
shard_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

/* shard_of - the shard of key */
size_t
shard_of(const char *key, size_t len, size_t n)
{
	return shard_hash(key, len) & (n - 1);
}

/* shard_path - one directory level per hex digit */
int
shard_path(char *out, size_t len, const char *dir, size_t i, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t digits = 0, k, at;
	int w;

	for (k = n; k > 1; k >>= 4)
		digits++;
	w = snprintf(out, len, "%s", dir);
	if (w < 0 || (size_t)w + 2 * digits >= len)
		return ERR_INVAL;
	at = (size_t)w;
	for (k = digits; k > 0; k--) {
		out[at++] = '/';
		out[at++] = hex[(i >> (4 * (k - 1))) & 15];
	}
	out[at] = '\0';
	return 0;
}

/* shard_split - each line to its key's shard */
int
shard_split(const char *text, size_t len, char sep, size_t n,
    struct buf *shards)
{
	const char *p = text, *end = text + len, *nl, *key_end;
	struct buf *to;
	int rc = 0;

	while (rc == 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		key_end = memchr(p, sep, (size_t)(nl - p));
		if (key_end == NULL)
			key_end = nl;
		to = &shards[shard_of(p, (size_t)(key_end - p), n)];
		rc = buf_append(to, p, (size_t)(nl - p));
		rc = rc ? rc : buf_putc(to, '\n');
		p = nl + 1;
	}
	return rc;
}

struct line {
	const char *p;
	size_t len;             /* with its newline */
};

/* line_cmp - bytewise, as LC_ALL=C sort */
static int
line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* shard_join_sorted - every line of every part, sorted */
int
shard_join_sorted(const struct buf *parts, size_t n, struct buf *out)
{
	struct line *v = NULL;
	size_t i, count = 0, cap = 0, total = 0;
	const char *p, *end, *nl;
	int rc = 0;

	for (i = 0; i < n; i++) {
		p = parts[i].data;
		end = p + parts[i].len;
		for (; p && p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end - 1;
			if (vec_grow((void **)&v, &cap, count,
			    sizeof *v) < 0) {
				rc = ERR_NOMEM;
				goto cleanup;
			}
			v[count].p = p;
			v[count++].len = (size_t)(nl - p) + 1;
			total += (size_t)(nl - p) + 1;
		}
	}
	if (count)
		qsort(v, count, sizeof *v, line_cmp);
	rc = buf_grow(out, total);
	for (i = 0; rc == 0 && i < count; i++)
		rc = buf_append(out, v[i].p, v[i].len);
cleanup:
	free(v);
	return rc;
}
