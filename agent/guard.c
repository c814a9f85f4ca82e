/*
 * guard - when a change waits for a person
 *
 * DESCRIPTION
 *	In order: an empty directory facing a branch that routes mail,
 *	too many routes removed (count, then share), too many added
 *	(count, then share). The shares are of the routes at the deploy
 *	head; a branch that routes nothing has no share to lose and takes
 *	its first load whole. A limit of 0 is no limit.
 *
 * DIAGNOSTICS
 *	None: the verdict and its reason are the result.
 */
#include <stdio.h>

#include "guard.h"

/* guard_routed - rows that route an address */
size_t
guard_routed(const struct routes *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->count; i++)
		if (r->rows[i].key[0] != '@')
			n++;
	return n;
}

/* guard_count_changes - additions and removals of addresses */
void
guard_count_changes(struct guard_counts *c, const struct route_change *ch,
    size_t n)
{
	size_t i;

	c->added = c->removed = 0;
	for (i = 0; i < n; i++) {
		if (ch[i].op == '+' && ch[i].new->key[0] != '@')
			c->added++;
		else if (ch[i].op == '-' && ch[i].old->key[0] != '@')
			c->removed++;
	}
}

/* guard_holds - the rule */
int
guard_holds(const struct config *cfg, const struct guard_counts *c,
    char *why, size_t len)
{
	size_t routed = c->routed_before;
	int empty = c->mailboxes == GUARD_UNKNOWN ? c->routed_after == 0 :
	    c->mailboxes == 0;

	if (routed > 0 && empty) {
		if (c->mailboxes == GUARD_UNKNOWN)
			snprintf(why, len, "the change routes no address but "
			    "the branch routes %zu addresses", routed);
		else
			snprintf(why, len, "the directory yields no mailbox "
			    "but the branch routes %zu addresses", routed);
		return 1;
	}
	if (cfg->guard_count > 0 && c->removed > (size_t)cfg->guard_count) {
		snprintf(why, len, "%zu routes would be removed, more than "
		    "guard_max_delete_count = %d", c->removed,
		    cfg->guard_count);
		return 1;
	}
	if (cfg->guard_percent > 0 && routed > 0 &&
	    c->removed * 100 > (size_t)cfg->guard_percent * routed) {
		snprintf(why, len, "%zu of %zu routes would be removed, more "
		    "than guard_max_delete_percent = %d%%", c->removed, routed,
		    cfg->guard_percent);
		return 1;
	}
	if (routed == 0)
		return 0;       /* a first load goes whole */
	if (cfg->guard_add_count > 0 &&
	    c->added > (size_t)cfg->guard_add_count) {
		snprintf(why, len, "%zu routes would be added, more than "
		    "guard_max_add_count = %d", c->added, cfg->guard_add_count);
		return 1;
	}
	if (cfg->guard_add_percent > 0 &&
	    c->added * 100 > (size_t)cfg->guard_add_percent * routed) {
		snprintf(why, len, "%zu routes would be added to %zu, more "
		    "than guard_max_add_percent = %d%%", c->added, routed,
		    cfg->guard_add_percent);
		return 1;
	}
	return 0;
}
