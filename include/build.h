/*
 * build - from directory entries to the routing model
 *
 * One pass: each entry, as a source hands it on (an entry view over
 * the mapping's attrset), is classified once and becomes a record at
 * once: a group goes into the groups store (its hashes), a domain
 * entry's domain is kept aside, a mailbox goes into the model, its
 * route pending when a member-of condition decides it. No entry is
 * kept. At the finish, the mapping's domains then the directory's (in
 * DN order: the order entries arrived in does not matter) join the
 * model, the pending routes are decided against the groups, every
 * value is checked (model_build). What depends on the previous commit
 * (who owned a contested address) is settled by build_resolve, once
 * per previous commit asked about.
 *
 * The same functions serve every job and, through build_model, the
 * service's copy of the directory, so the model they commit is the
 * same function of the directory.
 */
#ifndef SPLITSYNC_BUILD_H
#define SPLITSYNC_BUILD_H

#include <stddef.h>
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"

struct groups;

/* What a build found besides its mailboxes: every group entry, and the
 * domains directory entries describe, in the order the model takes them
 * (by DN). Owned; release with build_scan_clear. */
struct build_scan {
	struct groups *groups;
	struct domain_spec *domains;
	size_t ndomains;
};

/* build_scan_clear - release what a scan holds; s stays reusable */
void build_scan_clear(struct build_scan *s);

struct build;

/* build_new - an empty build for cfg and map (both borrowed for the
 * life of the build) into *out (build_free). ERR_NOMEM */
int build_new(const struct config *cfg, const struct mapping *map,
    struct build **out);
/* build_free - release the build and its model; NULL is allowed */
void build_free(struct build *b);
/* build_entry - one entry view (over mapping_attrset of the map),
 * borrowed for the call; its problems go to d. An entry the mapping
 * does not use is ignored. ERR_NOMEM, ERR_INVAL once finished. */
int build_entry(struct build *b, const struct entry_view *v,
    struct diag *d);
/* build_used - entries the mapping used so far */
size_t build_used(const struct build *b);
/* build_finish - domains into the model, pending routes decided, every
 * value checked and reported in d (model_build). ERR_NOMEM, ERR_INVAL
 * when finished already. */
int build_finish(struct build *b, struct diag *d);
/* build_resolve - a finished build's conflicts settled against the
 * previous commit owner answers for (model_resolve; NULL: none), then
 * a warning in d for each domain without a local nexthop in the
 * gateway layout (the gateway is the MX: its internal mail cannot go
 * by MX). Again for another previous commit, starting over. ERR_INVAL
 * when not finished. */
int build_resolve(struct build *b, model_owner_fn owner, void *ctx,
    struct diag *d);
/* build_model_of - the build's model (borrowed; resolved once
 * build_resolve was called) */
const struct model *build_model_of(const struct build *b);
/* build_take - the model (*model, the caller's: model_free) and the
 * scan (*scan, when not NULL; what it held is released first) of a
 * finished build, which keeps neither */
void build_take(struct build *b, struct model **model,
    struct build_scan *scan);

/* build_model - a resolved model of the entries of the service's copy
 * m into *out (the caller's: model_free); owner answers who owned an
 * address before (NULL: nobody). With keep, the scan goes there (what
 * keep held is released first). Problems in the data are reported in
 * d. ERR_NOMEM (the only failure). */
int build_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct build_scan *keep, struct diag *d);

/* build_listing_owner - a model_owner_fn over a route listing (a
 * struct routes): the id of an address's row, or its DN */
const char *build_listing_owner(const char *address, void *routes);

#endif
