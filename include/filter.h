/*
 * filter - RFC 4515 search filters, parsed and evaluated locally
 *
 * The same mapping filter decides which entries are mailboxes, groups or
 * domains whatever the source (LDIF file, search result, syncrepl
 * update), so it is evaluated here: against an entry view (by attribute
 * index, the filter compiled against the view's attrset) or against a
 * struct entry (by name). Supported:
 * & | ! = (with * substrings and presence) >= <= ~= (as equality).
 * Comparisons are ASCII-case-insensitive, which is right for the
 * attributes a mapping tests (mail, objectClass, DNs, flags).
 */
#ifndef SPLITSYNC_FILTER_H
#define SPLITSYNC_FILTER_H

#include <stddef.h>
#include "buf.h"
#include "entry.h"

struct attrset;
struct filter;

/* filter_parse - compile text into *out (caller frees with filter_free)
 * against a set of its own (filter_attrset). ERR_INVAL with a message
 * in err (at most errlen bytes) on bad syntax; ERR_NOMEM. */
int filter_parse(const char *text, struct filter **out, char *err,
    size_t errlen);
/* filter_compile - the same against set: the attributes the filter
 * tests are added to it, and the filter matches views over it */
int filter_compile(const char *text, struct attrset *set,
    struct filter **out, char *err, size_t errlen);
void filter_free(struct filter *f);
/* filter_attrset - the set f was compiled against; borrowed */
const struct attrset *filter_attrset(const struct filter *f);
/* filter_match - 1 when e matches f, else 0 */
int filter_match(const struct filter *f, const struct entry *e);
/* filter_match_view - 1 when v matches f, else 0; a view over another
 * set than f's matches nothing */
int filter_match_view(const struct filter *f, const struct entry_view *v);
/* filter_escape - append value escaped per RFC 4515 (\2a for '*', ...)
 * to out; ERR_NOMEM */
int filter_escape(struct buf *out, const void *value, size_t len);

#endif
