/*
 * guard - when a change waits for a person
 *
 * A change that removes or adds more routes than the configuration
 * allows (guard_max_delete_count, guard_max_delete_percent,
 * guard_max_add_count, guard_max_add_percent), or an empty directory
 * facing a branch that routes mail, is far more often a broken source
 * than a real change: it is held. One rule over one set of counts,
 * whichever path (a full build, the service's live state) made them;
 * a branch that routes nothing yet takes its first load whole.
 */
#ifndef SPLITSYNC_GUARD_H
#define SPLITSYNC_GUARD_H

#include <stddef.h>
#include "config.h"
#include "routes.h"

#define GUARD_UNKNOWN ((size_t)-1)      /* a count not taken */

/* What a change does to the routes (addresses; a domain's "@domain"
 * rows are not routes). */
struct guard_counts {
	size_t routed_before;   /* routed at the deploy head */
	size_t routed_after;    /* routed once the change is made */
	size_t added;           /* routes the change adds */
	size_t removed;         /* routes it takes away */
	size_t mailboxes;       /* mailboxes the directory yields;
	                           GUARD_UNKNOWN when not counted: a change
	                           that leaves nothing routed then counts
	                           as an empty directory (no mailbox routes
	                           nothing), so such counts hold at least
	                           what the full count holds */
};

/* guard_routed - the routes a listing holds */
size_t guard_routed(const struct routes *r);

/* guard_count_changes - the routes ch (n changes) adds and removes
 * into c->added and c->removed */
void guard_count_changes(struct guard_counts *c,
    const struct route_change *ch, size_t n);

/* guard_holds - 1 when cfg's guard holds a change with counts c, with
 * why it does (a sentence, NUL-terminated, cut to len) in why; 0 when
 * it may go */
int guard_holds(const struct config *cfg, const struct guard_counts *c,
    char *why, size_t len);

#endif
