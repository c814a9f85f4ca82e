/*
 * source - the configured directory source, whichever kind it is
 *
 * One pass over the whole directory for the one-shot jobs and for the
 * service's polls: an LDIF file read from disk, or a paged subtree
 * search on an LDAP server. A struct source is the caller's; open
 * connects (LDAP), close releases.
 */
#ifndef SPLITSYNC_SOURCE_H
#define SPLITSYNC_SOURCE_H

#include "attrset.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "ldap_source.h"

struct source {
	const struct config *cfg;       /* borrowed */
	struct ldap_source *ldap;       /* NULL for LDIF */
};

/* source_open - connect and bind when the source is a server; errors as
 * ldap_source_open */
int source_open(struct source *s, const struct config *cfg, struct diag *d);
void source_close(struct source *s);
/* source_each - one full pass: fn for every entry that filter selects
 * (LDAP; an LDIF file delivers all its entries); errors as
 * ldap_source_search or ldif_read_file */
int source_each(struct source *s, const char *filter,
    const char *const *attrs, entry_source_fn fn, void *ctx,
    struct diag *d);
/* source_each_view - the same pass, each entry handed to fn as it is
 * read, as a view over set (a server is asked for set's names, as
 * attrset_spelling gives them), borrowed for the call. The same
 * contract as source_each: 0 only when the whole read completed (a
 * truncated search is ERR_UNAVAIL); a negative return of fn stops the
 * pass and is returned. Views fn saw before a failure are whole, but
 * the read is not: keep nothing of it. Errors as
 * ldap_source_search_view or ldif_read_file_view */
int source_each_view(struct source *s, const char *filter,
    const struct attrset *set, entry_view_fn fn, void *ctx,
    struct diag *d);
/* source_name - how commits name the source ("ldif FILE", "URI BASE") */
int source_name(const struct source *s, struct buf *out);

#endif
