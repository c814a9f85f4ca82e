/*
 * strsort - indices sorted by the byte strings they name
 *
 * DESCRIPTION
 *	Each level packs the next word of every string still tied above
 *	the index it stands for (word << 32 | index), sorts those by the
 *	word alone, stably (least significant byte first, one counting
 *	pass per byte, a pass skipped when every word has the same byte
 *	there; insertion for a few), and goes on one level down inside
 *	each run of equal words that does not end its strings. So a
 *	string is read where it differs from its neighbours, and no
 *	further.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM for the scratch arrays (16 bytes per index).
 */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "strsort.h"

#define SMALL 48        /* fewer are sorted by insertion */

/* strsort_word - four bytes of s from at, zero past its end */
uint32_t
strsort_word(const char *s, size_t at)
{
	const unsigned char *p = (const unsigned char *)s + at;
	uint32_t w = 0;
	int k;

	for (k = 0; k < 4; k++) {
		w <<= 8;
		if (*p)
			w |= *p++;
	}
	return w;
}

/* insertion - stable sort of a few packed items by their words */
static void
insertion(uint64_t *a, size_t n)
{
	size_t i, j;
	uint64_t x;

	for (i = 1; i < n; i++) {
		x = a[i];
		for (j = i; j > 0 && (a[j - 1] >> 32) > (x >> 32); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* radix - stable sort of packed items by their words, a byte a pass;
 * the result in a */
static void
radix(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[4][256], i, b, sum, c;
	uint64_t *from = a, *to = tmp, *t;
	int shift;

	memset(count, 0, sizeof count);
	for (i = 0; i < n; i++)
		for (b = 0; b < 4; b++)
			count[b][(a[i] >> (32 + 8 * b)) & 0xff]++;
	for (b = 0; b < 4; b++) {
		shift = 32 + 8 * (int)b;
		if (count[b][(from[0] >> shift) & 0xff] == n)
			continue;       /* one byte value: nothing to order */
		for (sum = 0, c = 0; c < 256; c++) {
			size_t k = count[b][c];

			count[b][c] = sum;
			sum += k;
		}
		for (i = 0; i < n; i++)
			to[count[b][(from[i] >> shift) & 0xff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof *a);
}

/* level - sort a[0..n) by the words at at, then each tie below */
static void
level(uint64_t *a, uint64_t *tmp, size_t n, strsort_word_fn word, void *ctx,
    size_t at)
{
	size_t i, j;
	uint64_t w;

	for (i = 0; i < n; i++)
		a[i] = (uint64_t)word(ctx, (uint32_t)a[i], at) << 32 |
		    (uint32_t)a[i];
	if (n <= SMALL)
		insertion(a, n);
	else
		radix(a, tmp, n);
	for (i = 0; i < n; i = j) {
		w = a[i] >> 32;
		for (j = i + 1; j < n && (a[j] >> 32) == w; j++)
			;
		/* a word ending in NUL ended every string of the run */
		if (j - i > 1 && (w & 0xff) != 0)
			level(a + i, tmp + i, j - i, word, ctx, at + 4);
	}
}

/* strsort - sort the indices by their strings */
int
strsort(uint32_t *v, size_t n, strsort_word_fn word, void *ctx)
{
	uint64_t *a, *tmp;
	size_t i;

	if (n < 2)
		return 0;
	if (n > SIZE_MAX / (2 * sizeof *a))
		return ERR_NOMEM;
	if ((a = malloc(2 * n * sizeof *a)) == NULL)
		return ERR_NOMEM;
	tmp = a + n;
	for (i = 0; i < n; i++)
		a[i] = v[i];
	level(a, tmp, n, word, ctx, 0);
	for (i = 0; i < n; i++)
		v[i] = (uint32_t)a[i];
	free(a);
	return 0;
}
