/*
 * build - from the directory copy to the routing model
 *
 * Two passes over the mirror: domains and groups first (a mailbox's
 * route may depend on any group), then mailboxes. Directory domains
 * are added in DN order after the mapping's own, so the model never
 * depends on the order entries arrived in. The same function serves
 * every job and the service, so the model they commit is the same
 * function of the directory.
 */
#ifndef SPLITSYNC_BUILD_H
#define SPLITSYNC_BUILD_H

#include <stddef.h>
#include "config.h"
#include "diag.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"

struct groups;

/* What the first pass over the mirror finds: every group entry, and the
 * domains directory entries describe, in the order the model takes them
 * (by DN). Owned; release with build_scan_clear. */
struct build_scan {
	struct groups *groups;
	struct domain_spec *domains;
	size_t ndomains;
};

/* build_scan_clear - release what a scan holds; s stays reusable */
void build_scan_clear(struct build_scan *s);

/* build_model - a finished model of the entries of m into *out (the
 * caller's: model_free); owner answers who owned an address before
 * (NULL: nobody). With keep, the first pass's scan goes there (what
 * keep held is released first), else it is released. Problems in the
 * data are reported in d; a gateway domain without a local nexthop is
 * warned about. ERR_NOMEM (the only failure). */
int build_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct build_scan *keep, struct diag *d);

/* build_listing_owner - a model_owner_fn over a route listing (a
 * struct routes): the id of an address's row, or its DN */
const char *build_listing_owner(const char *address, void *routes);

#endif
