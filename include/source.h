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
/* source_name - how commits name the source ("ldif FILE", "URI BASE") */
int source_name(const struct source *s, struct buf *out);

#endif
