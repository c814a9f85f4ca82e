/*
 * hmap - the hash map of the whole tree
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones). A slot holds a 64-bit hash and a 32-bit value, 12 bytes;
 * the map never grows past three quarters full. The map does not know
 * keys: the caller hashes its key (hash.h) and, when two keys may
 * share a hash, passes an equality function that compares the key it
 * looks for with the one behind a stored value (a string in an arena,
 * an id in a record). Without one, equal hashes are equal keys: a set
 * of 64-bit hashes.
 *
 * Values are the caller's indices; HMAP_NONE is not a value. A map may
 * hold several values under one key (hmap_put does not look); hmap_find
 * then returns one of them and hmap_each walks them all.
 */
#ifndef SPLITSYNC_HMAP_H
#define SPLITSYNC_HMAP_H

#include <stddef.h>
#include <stdint.h>

#define HMAP_NONE UINT32_MAX

struct hmap {
	uint64_t *hashes;
	uint32_t *vals;         /* HMAP_NONE: an empty slot */
	size_t cap;             /* 0 or a power of two */
	size_t count;
};

/* hmap_eq_fn - 1 when the key behind stored value val is key */
typedef int (*hmap_eq_fn)(uint32_t val, const void *key, void *ctx);

#define HMAP_INIT { NULL, NULL, 0, 0 }

void hmap_init(struct hmap *m);
/* hmap_free - release the slots; the map is empty and reusable */
void hmap_free(struct hmap *m);
/* hmap_clear - forget every value, keep the slots */
void hmap_clear(struct hmap *m);
/* hmap_reserve - room for n values without growing; ERR_NOMEM */
int hmap_reserve(struct hmap *m, size_t n);
/* hmap_put - add val under hash (no look for an equal key first);
 * ERR_NOMEM leaves the map as it was; ERR_INVAL for HMAP_NONE */
int hmap_put(struct hmap *m, uint64_t hash, uint32_t val);
/* hmap_find - a value whose key is key (eq NULL: any value under
 * hash), or HMAP_NONE */
uint32_t hmap_find(const struct hmap *m, uint64_t hash, hmap_eq_fn eq,
    const void *key, void *ctx);
/* hmap_each - fn(val, ctx) for every value whose key is key, until fn
 * returns non-zero, which is returned (0 when all were called); the
 * map must not change meanwhile */
int hmap_each(const struct hmap *m, uint64_t hash, hmap_eq_fn eq,
    const void *key, void *ctx, int (*fn)(uint32_t val, void *fctx),
    void *fctx);
/* hmap_remove - take out the value val under hash; 1 when it was
 * there, else 0 */
int hmap_remove(struct hmap *m, uint64_t hash, uint32_t val);
/* hmap_replace - the value old under hash becomes new; 1 when old was
 * there, else 0 */
int hmap_replace(struct hmap *m, uint64_t hash, uint32_t old, uint32_t new);

#endif
