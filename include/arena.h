/*
 * arena - strings stored once, named by 32-bit offsets
 *
 * An arena is one growing block of NUL-terminated byte strings that
 * are only ever added; a string is named by its offset, which stays
 * valid when the block moves (pointers from arena_str do not: they
 * last until the next add). Offset 0 is always the empty string, so 0
 * can stand for "none". An arena holds at most 4 GiB.
 *
 * A strtab is an arena where equal strings are stored once (interned):
 * the few distinct routes, nexthops and domains of a directory cost one
 * copy each, and equal offsets mean equal strings.
 */
#ifndef SPLITSYNC_ARENA_H
#define SPLITSYNC_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

struct arena {
	char *data;
	size_t len;
	size_t cap;
};

#define ARENA_INIT { NULL, 0, 0 }

/* arena_add - a copy of len bytes (then a NUL) into *off; ERR_NOMEM
 * (also when the arena would pass 4 GiB), the arena as it was */
int arena_add(struct arena *a, const void *data, size_t len, uint32_t *off);
/* arena_str - the string at off; borrowed until the next add */
static inline const char *
arena_str(const struct arena *a, uint32_t off)
{
	return a->data ? a->data + off : "";
}
/* arena_free - release everything; the arena is empty and reusable */
void arena_free(struct arena *a);

struct strtab {
	struct arena arena;
	struct hmap map;        /* hash64 of the bytes -> offset */
};

#define STRTAB_INIT { ARENA_INIT, HMAP_INIT }

/* strtab_intern - the offset of the string of len bytes, stored on
 * first use; ERR_NOMEM */
int strtab_intern(struct strtab *t, const void *data, size_t len,
    uint32_t *off);
/* strtab_find - its offset, or HMAP_NONE when it was never interned */
uint32_t strtab_find(const struct strtab *t, const void *data, size_t len);
static inline const char *
strtab_str(const struct strtab *t, uint32_t off)
{
	return arena_str(&t->arena, off);
}
void strtab_free(struct strtab *t);

#endif
