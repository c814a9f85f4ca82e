/*
 * viewcopy - entry views kept and compared, for the suites of sources
 *
 * A view is borrowed for the duration of a source's callback; a test
 * keeps it as an entry (viewcopy_entry) and checks afterwards that the
 * views of a source read what its entries hold (viewcopy_same): name by
 * name of the set, every value of every option variant, in order. The
 * functions assert (Check) instead of returning errors.
 */
#ifndef SPLITSYNC_TESTS_VIEWCOPY_H
#define SPLITSYNC_TESTS_VIEWCOPY_H

#include <stddef.h>

#include "attrset.h"
#include "entry.h"

/* viewcopy_entry - v as a new entry (entry_free): its DN and origin,
 * and under each name of its set (attrset_name, lowercased) that
 * index's values in order; asserts that the DN is dnlen bytes and that
 * every value ends in a NUL */
struct entry *viewcopy_entry(const struct entry_view *v);
/* viewcopy_set - a new set (attrset_free) of every attribute base name
 * the n entries hold, in the order met, and "absent", which none holds */
struct attrset *viewcopy_set(struct entry *const *e, size_t n);
/* viewcopy_same - asserts that copy (viewcopy_entry) has e's DN and
 * origin and, name by name of set, the values entry_value_first and
 * entry_value_next walk in e, and no other; what names the case in
 * failure messages */
void viewcopy_same(const struct entry *e, const struct entry *copy,
    const struct attrset *set, const char *what);

#endif
