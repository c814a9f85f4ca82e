/*
 * hmap - the hash map of the whole tree
 *
 * DESCRIPTION
 *	Linear probing from the slot the hash's low bits name. Removal
 *	shifts the following entries of the probe run back into the gap,
 *	so a lookup stops at the first empty slot and the map never fills
 *	with tombstones under the service's steady stream of changes.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out or a size would overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hmap.h"

/* hmap_init - an empty map */
void
hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof *m);
}

/* hmap_free - release the slots */
void
hmap_free(struct hmap *m)
{
	free(m->hashes);
	free(m->vals);
	hmap_init(m);
}

/* hmap_clear - empty every slot */
void
hmap_clear(struct hmap *m)
{
	if (m->cap)
		memset(m->vals, 0xff, m->cap * sizeof *m->vals);
	m->count = 0;
}

/* place - put (hash, val) into the first free slot of its run; the map
 * has room */
static void
place(uint64_t *hashes, uint32_t *vals, size_t cap, uint64_t hash,
    uint32_t val)
{
	size_t i = (size_t)hash & (cap - 1);

	while (vals[i] != HMAP_NONE)
		i = (i + 1) & (cap - 1);
	hashes[i] = hash;
	vals[i] = val;
}

/* resize - move every value into ncap slots */
static int
resize(struct hmap *m, size_t ncap)
{
	uint64_t *hashes;
	uint32_t *vals;
	size_t i;

	if (ncap > SIZE_MAX / sizeof *hashes)
		return ERR_NOMEM;
	hashes = malloc(ncap * sizeof *hashes);
	vals = malloc(ncap * sizeof *vals);
	if (hashes == NULL || vals == NULL) {
		free(hashes);
		free(vals);
		return ERR_NOMEM;
	}
	memset(vals, 0xff, ncap * sizeof *vals);
	for (i = 0; i < m->cap; i++)
		if (m->vals[i] != HMAP_NONE)
			place(hashes, vals, ncap, m->hashes[i], m->vals[i]);
	free(m->hashes);
	free(m->vals);
	m->hashes = hashes;
	m->vals = vals;
	m->cap = ncap;
	return 0;
}

/* hmap_reserve - at most three quarters full with n values */
int
hmap_reserve(struct hmap *m, size_t n)
{
	size_t ncap = m->cap ? m->cap : 16;

	if (n > SIZE_MAX / 4)
		return ERR_NOMEM;
	while (ncap / 4 * 3 < n) {
		if (ncap > SIZE_MAX / 2)
			return ERR_NOMEM;
		ncap *= 2;
	}
	return ncap == m->cap ? 0 : resize(m, ncap);
}

/* hmap_put - one more value */
int
hmap_put(struct hmap *m, uint64_t hash, uint32_t val)
{
	int rc;

	if (val == HMAP_NONE)
		return ERR_INVAL;
	if ((rc = hmap_reserve(m, m->count + 1)) < 0)
		return rc;
	place(m->hashes, m->vals, m->cap, hash, val);
	m->count++;
	return 0;
}

/* hmap_find - the first value of key */
uint32_t
hmap_find(const struct hmap *m, uint64_t hash, hmap_eq_fn eq,
    const void *key, void *ctx)
{
	size_t i;

	if (m->cap == 0)
		return HMAP_NONE;
	for (i = (size_t)hash & (m->cap - 1); m->vals[i] != HMAP_NONE;
	    i = (i + 1) & (m->cap - 1))
		if (m->hashes[i] == hash &&
		    (eq == NULL || eq(m->vals[i], key, ctx)))
			return m->vals[i];
	return HMAP_NONE;
}

/* hmap_each - every value of key */
int
hmap_each(const struct hmap *m, uint64_t hash, hmap_eq_fn eq,
    const void *key, void *ctx, int (*fn)(uint32_t val, void *fctx),
    void *fctx)
{
	size_t i;
	int rc;

	if (m->cap == 0)
		return 0;
	for (i = (size_t)hash & (m->cap - 1); m->vals[i] != HMAP_NONE;
	    i = (i + 1) & (m->cap - 1))
		if (m->hashes[i] == hash &&
		    (eq == NULL || eq(m->vals[i], key, ctx)) &&
		    (rc = fn(m->vals[i], fctx)) != 0)
			return rc;
	return 0;
}

/* slot_of - where (hash, val) sits, or SIZE_MAX */
static size_t
slot_of(const struct hmap *m, uint64_t hash, uint32_t val)
{
	size_t i;

	if (m->cap == 0)
		return SIZE_MAX;
	for (i = (size_t)hash & (m->cap - 1); m->vals[i] != HMAP_NONE;
	    i = (i + 1) & (m->cap - 1))
		if (m->hashes[i] == hash && m->vals[i] == val)
			return i;
	return SIZE_MAX;
}

/* hmap_remove - backward-shift deletion */
int
hmap_remove(struct hmap *m, uint64_t hash, uint32_t val)
{
	size_t gap = slot_of(m, hash, val), i, home, mask = m->cap - 1;

	if (gap == SIZE_MAX)
		return 0;
	m->vals[gap] = HMAP_NONE;
	m->count--;
	for (i = (gap + 1) & mask; m->vals[i] != HMAP_NONE;
	    i = (i + 1) & mask) {
		home = (size_t)m->hashes[i] & mask;
		/* i may move back to gap unless its home lies in (gap, i] */
		if (((i - home) & mask) >= ((i - gap) & mask)) {
			m->hashes[gap] = m->hashes[i];
			m->vals[gap] = m->vals[i];
			m->vals[i] = HMAP_NONE;
			gap = i;
		}
	}
	return 1;
}

/* hmap_replace - another value in the same slot */
int
hmap_replace(struct hmap *m, uint64_t hash, uint32_t old, uint32_t new)
{
	size_t i = slot_of(m, hash, old);

	if (i == SIZE_MAX || new == HMAP_NONE)
		return 0;
	m->vals[i] = new;
	return 1;
}
