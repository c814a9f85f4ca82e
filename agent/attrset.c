/*
 * attrset - the attribute names a mapping reads, numbered
 *
 * SYNOPSIS
 *	#include "attrset.h"
 *
 * DESCRIPTION
 *	The names live in an arena, lowercased and as first written, their
 *	offsets in vectors indexed by number, and an hmap finds a number
 *	by hash64_lower of the base name; equal hashes are told apart by
 *	comparing the names, ASCII case folded. A look-up allocates
 *	nothing.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out, ERR_INVAL for an empty name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "attrset.h"
#include "errors.h"
#include "hash.h"
#include "hmap.h"
#include "vec.h"

struct attrset {
	struct arena names;
	uint32_t *offs;         /* index -> offset in names */
	uint32_t *spell;        /* index -> offset of the first spelling */
	size_t n;
	size_t cap;
	size_t capspell;
	struct hmap map;        /* hash64_lower(base name) -> index */
};

/* What a look-up compares with. */
struct key {
	const char *name;
	size_t len;
};

/* lower - ASCII lowercase */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* base_len - the bytes of name before its options */
static size_t
base_len(const char *name, size_t len)
{
	const char *semi = memchr(name, ';', len);

	return semi ? (size_t)(semi - name) : len;
}

/* same - whether name number val is the key, case folded */
static int
same(uint32_t val, const void *key, void *ctx)
{
	const struct attrset *s = ctx;
	const struct key *k = key;
	const char *name = arena_str(&s->names, s->offs[val]);
	size_t i;

	for (i = 0; i < k->len; i++)
		if (name[i] != lower(k->name[i]))
			return 0;
	return name[k->len] == '\0';
}

/* attrset_new - an empty set */
int
attrset_new(struct attrset **out)
{
	*out = calloc(1, sizeof **out);
	return *out == NULL ? ERR_NOMEM : 0;
}

/* attrset_free - release the set */
void
attrset_free(struct attrset *s)
{
	if (s == NULL)
		return;
	arena_free(&s->names);
	free(s->offs);
	free(s->spell);
	hmap_free(&s->map);
	free(s);
}

/* attrset_find - a name's index */
size_t
attrset_find(const struct attrset *s, const char *name, size_t len)
{
	struct key k;
	uint32_t val;

	k.name = name;
	k.len = base_len(name, len);
	if (k.len == 0 || s->n == 0)
		return ATTRSET_NONE;
	val = hmap_find(&s->map, hash64_lower(k.name, k.len), same, &k,
	    (void *)s);
	return val == HMAP_NONE ? ATTRSET_NONE : val;
}

/* attrset_add - a name's index, added when new */
int
attrset_add(struct attrset *s, const char *name, size_t len, size_t *index)
{
	char small[64], *low;
	size_t i, blen = base_len(name, len), found;
	uint32_t off, spell;
	int rc;

	if (blen == 0 || s->n >= HMAP_NONE - 1)
		return ERR_INVAL;
	found = attrset_find(s, name, blen);
	if (found != ATTRSET_NONE) {
		if (index != NULL)
			*index = found;
		return 0;
	}
	low = blen < sizeof small ? small : malloc(blen);
	if (low == NULL)
		return ERR_NOMEM;
	for (i = 0; i < blen; i++)
		low[i] = lower(name[i]);
	rc = vec_grow((void **)&s->offs, &s->cap, s->n, sizeof *s->offs);
	if (rc == 0)
		rc = vec_grow((void **)&s->spell, &s->capspell, s->n,
		    sizeof *s->spell);
	if (rc == 0)
		rc = hmap_reserve(&s->map, s->n + 1);
	if (rc == 0)
		rc = arena_add(&s->names, low, blen, &off);
	if (rc == 0)
		rc = arena_add(&s->names, name, blen, &spell);
	if (rc == 0)
		rc = hmap_put(&s->map, hash64_lower(low, blen), (uint32_t)s->n);
	if (low != small)
		free(low);
	if (rc < 0)
		return rc;
	s->offs[s->n] = off;
	s->spell[s->n] = spell;
	if (index != NULL)
		*index = s->n;
	s->n++;
	return 0;
}

/* attrset_count - how many names */
size_t
attrset_count(const struct attrset *s)
{
	return s->n;
}

/* attrset_name - name i */
const char *
attrset_name(const struct attrset *s, size_t i)
{
	return i < s->n ? arena_str(&s->names, s->offs[i]) : NULL;
}

/* attrset_spelling - name i as first written */
const char *
attrset_spelling(const struct attrset *s, size_t i)
{
	return i < s->n ? arena_str(&s->names, s->spell[i]) : NULL;
}
