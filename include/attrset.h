/*
 * attrset - the attribute names a mapping reads, numbered
 *
 * A set holds attribute base names: options such as ";lang-de" or
 * ";range=0-1499" dropped, lowercased, each name once, numbered from 0
 * in the order they were added. A name as it comes off the wire is
 * looked up whatever its case and options ("Member;range=0-1499" is
 * "member"), so a source resolves each attribute it reads to an index
 * once and evaluation works on indices. A set grows while a mapping is
 * compiled and is only read afterwards (any number of readers).
 */
#ifndef SPLITSYNC_ATTRSET_H
#define SPLITSYNC_ATTRSET_H

#include <stddef.h>
#include <stdint.h>

#define ATTRSET_NONE SIZE_MAX

struct attrset;

/* attrset_new - an empty set into *out (caller frees with attrset_free);
 * ERR_NOMEM */
int attrset_new(struct attrset **out);
void attrset_free(struct attrset *s);
/* attrset_add - the index of name's base name (the len bytes at name,
 * up to a ';'), added when new, into *index (may be NULL). ERR_INVAL
 * for an empty base name or a set of 2^32 - 1 names, ERR_NOMEM (the
 * set unchanged). */
int attrset_add(struct attrset *s, const char *name, size_t len,
    size_t *index);
/* attrset_find - the index of name's base name, any case, or
 * ATTRSET_NONE when the set does not hold it */
size_t attrset_find(const struct attrset *s, const char *name, size_t len);
/* attrset_count - how many names; indices are 0 .. count - 1 */
size_t attrset_count(const struct attrset *s);
/* attrset_name - name i, lowercased; borrowed, or NULL past the end */
const char *attrset_name(const struct attrset *s, size_t i);
/* attrset_spelling - name i as it was first added: its base name in
 * the case it was written in (what a source asks a server for, and
 * logs); borrowed, or NULL past the end */
const char *attrset_spelling(const struct attrset *s, size_t i);

#endif
