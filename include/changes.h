/*
 * changes - the route changes a commit makes, from the listing shards
 * that differ
 *
 * A commit's message lists its route changes by key ("+", "~", "-" and
 * the entry behind each), the guard weighs the routes it adds and
 * removes. Both come from comparing the head's listing with the one
 * about to be committed (listing.h), but only where the two can
 * differ: the tree writer knows which routes shards are not the
 * head's, and only those are read and parsed. The head's listing is
 * read whole when it cannot be compared shard by shard: in the first
 * form, in another shard count, or with other defaults for a domain's
 * nexthops.
 */
#ifndef SPLITSYNC_CHANGES_H
#define SPLITSYNC_CHANGES_H

#include <stddef.h>
#include "diag.h"
#include "listing.h"
#include "routes.h"

#define CHANGES_ALL ((size_t)-1)        /* list every change */

struct changes {
	size_t added, changed, removed;         /* every change */
	size_t routes_added, routes_removed;    /* of addresses ("@" keys
	                                           are not routes) */
	struct route_change *list;      /* the first ones by key */
	size_t nlist;
	/* private */
	struct route_row *made;         /* the new rows of list */
	size_t nmade;
	struct listing_row *kept;       /* the old rows of list */
	size_t nkept;
};

/* changes_init - no change */
void changes_init(struct changes *c);
/* changes_clear - release; c is empty again */
void changes_clear(struct changes *c);
/* changes_total - every change counted */
size_t changes_total(const struct changes *c);

/* changes_find - the changes from h's listing to l's into *c (cleared
 * first): a routes shard both have in the same count is compared only
 * when differs[s] (NULL: every one) says l's is not h's, or when l's is
 * empty (an empty shard is not committed, so the tree cannot tell);
 * every change is counted, the first limit by key listed with their
 * rows (the old ones with their owner's id and DN; CHANGES_ALL: every
 * change). ERR_DATA (a damaged listing of h, named in d), ERR_IO,
 * ERR_NOMEM */
int changes_find(struct listing_head *h, const struct listing *l,
    const unsigned char *differs, size_t limit, struct changes *c,
    struct diag *d);

#endif
