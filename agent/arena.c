/*
 * arena - strings stored once, named by 32-bit offsets
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out or an arena would pass 4 GiB.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "errors.h"
#include "hash.h"

/* arena_add - append len bytes and a NUL */
int
arena_add(struct arena *a, const void *data, size_t len, uint32_t *off)
{
	size_t need, ncap;
	char *p;

	if (a->data == NULL) {
		/* offset 0: the empty string */
		if ((a->data = malloc(4096)) == NULL)
			return ERR_NOMEM;
		a->data[0] = '\0';
		a->len = 1;
		a->cap = 4096;
	}
	if (len > UINT32_MAX - a->len - 1)
		return ERR_NOMEM;
	need = a->len + len + 1;
	if (need > a->cap) {
		for (ncap = a->cap; ncap < need; ncap *= 2)
			;
		if ((p = realloc(a->data, ncap)) == NULL)
			return ERR_NOMEM;
		a->data = p;
		a->cap = ncap;
	}
	if (len)
		memcpy(a->data + a->len, data, len);
	a->data[a->len + len] = '\0';
	*off = (uint32_t)a->len;
	a->len = need;
	return 0;
}

/* arena_free - release */
void
arena_free(struct arena *a)
{
	free(a->data);
	memset(a, 0, sizeof *a);
}

/* The key strtab looks for: bytes and their length. */
struct key {
	const void *data;
	size_t len;
};

/* same - whether the string at off is key */
static int
same(uint32_t off, const void *key, void *ctx)
{
	const struct key *k = key;
	const struct arena *a = ctx;
	const char *s = a->data + off;

	return memcmp(s, k->data, k->len) == 0 && s[k->len] == '\0';
}

/* strtab_find - the offset of a stored string */
uint32_t
strtab_find(const struct strtab *t, const void *data, size_t len)
{
	struct key k = { data, len };

	if (len == 0)
		return 0;
	return hmap_find(&t->map, hash64(data, len), same, &k,
	    (void *)&t->arena);
}

/* strtab_intern - stored once */
int
strtab_intern(struct strtab *t, const void *data, size_t len, uint32_t *off)
{
	uint64_t h;
	uint32_t at;
	int rc;

	if (len == 0) {
		*off = 0;
		return 0;
	}
	if (memchr(data, '\0', len) != NULL)
		return ERR_INVAL;
	h = hash64(data, len);
	at = strtab_find(t, data, len);
	if (at != HMAP_NONE) {
		*off = at;
		return 0;
	}
	if ((rc = hmap_reserve(&t->map, t->map.count + 1)) < 0 ||
	    (rc = arena_add(&t->arena, data, len, &at)) < 0)
		return rc;
	*off = at;
	return hmap_put(&t->map, h, at);
}

/* strtab_free - release */
void
strtab_free(struct strtab *t)
{
	arena_free(&t->arena);
	hmap_free(&t->map);
}
