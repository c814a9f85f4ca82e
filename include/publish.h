/*
 * publish - from the directory copy to a commit
 *
 * The one path every job and the service take, so that the tables they
 * commit are the same function of the directory: build the model from a
 * mirror (domains and groups first, then mailboxes), render the layout,
 * list the routes, and commit when a table changed, with a message that
 * says what changed address by address. The service also commits its
 * state (the mirror's shards) and the cookie that state matches; alone,
 * without a table change, when the deploy head has no cookie. Lines of
 * the tables changed by hand on the deploy branch are reported in the
 * commit that restores them.
 */
#ifndef SPLITSYNC_PUBLISH_H
#define SPLITSYNC_PUBLISH_H

#include <stddef.h>
#include <stdio.h>
#include "config.h"
#include "diag.h"
#include "git_sink.h"
#include "log.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"
#include "routes.h"

#define PUBLISH_COOKIE_TRAILER "Splitsync-Cookie"
#define PUBLISH_HELD_TRAILER "Splitsync-Held"
#define PUBLISH_CONFIRMED_BY_TRAILER "Splitsync-Confirmed-By"
#define PUBLISH_CONFIRMED_AT_TRAILER "Splitsync-Confirmed-At"

struct groups;
struct live;

/* What the first pass over the mirror finds: every group entry, and the
 * domains directory entries describe, in the order the model takes them
 * (by DN). Owned; release with publish_scan_clear. */
struct publish_scan {
	struct groups *groups;
	struct domain_spec *domains;
	size_t ndomains;
};

/* publish_scan_clear - release what a scan holds; s stays reusable */
void publish_scan_clear(struct publish_scan *s);

/* publish_model - build a finished model from the entries of m; owner
 * answers who owned an address before (NULL: nobody). Problems in the
 * data are reported in d. ERR_NOMEM (the only failure). */
int publish_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct diag *d);

/* publish_previous_owner - a model_owner_fn over a route listing */
const char *publish_previous_owner(const char *address, void *routes);

/* publish_read_routes - the head's route listing into *out (empty when
 * the branch or the listing does not exist), in shards when table_shards
 * says so (a listing in the other form is read too: the setting may have
 * changed since the last commit); ERR_DATA, ERR_IO */
int publish_read_routes(struct git_sink *sink, int table_shards,
    struct routes *out, struct diag *d);


struct publish_request {
	const char *source;     /* for the Splitsync-Source trailer */
	const char *cookie;     /* NULL: no cookie trailer */
	size_t cookie_len;
	const struct mirror *state;     /* committed too (NULL: none) */
	int dry_run;            /* print changes, diff and the guard's
	                           verdict to out instead ("would be held:
	                           REASON" and ERR_HELD, unless force) */
	int force;              /* commit even what the guard would hold */
	struct live *live;      /* the service's state kept between commits
	                           (NULL: build everything every time) */
};

struct publish_result {
	int committed;          /* the deploy branch moved */
	int proposed;           /* review: the proposal branch moved */
	int held;               /* the guard held the change */
	int held_commit;        /* ... and the hold branch moved */
	int state_saved;        /* no table changed, but the service's
	                           state was committed on the deploy branch
	                           (its head had no cookie to resume from) */
	int incremental;        /* made from the live state alone */
	size_t changes;         /* route changes */
	char oid[41];           /* the commit made, or the deploy head */
};

/* publish_run - the whole path from a mirror to the remotes: fetch the
 * first remote's branch (another agent may have moved it), build the
 * model against the deploy head's listing, render, and when a table
 * changed: hold it on the hold branch if the guard trips (ERR_HELD,
 * res->held; unless req->force), else commit it on the deploy branch
 * (rollout direct) or as the proposal branch (rollout review); then
 * push. When the tables equal the deploy head's, the proposal and hold
 * branches are deleted, and with req->state and req->cookie, in direct
 * rollout, a deploy head without a cookie gets a commit of the state
 * alone (res->state_saved). Lines changed by hand since splitsync's
 * last commit that the commit undoes are logged as a warning in d and
 * described in its message. A push refused as non-fast-forward starts
 * over from the fetch (a few times). Data problems go to problems;
 * failures to d: ERR_MOVED, ERR_UNAVAIL (a remote), ERR_IO,
 * ERR_NOMEM. */
int publish_run(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *m,
    const struct publish_request *req, struct diag *problems, FILE *out,
    struct publish_result *res, struct diag *d);

/* publish_confirm - a person accepts the held change: a commit on the
 * hold branch's commit, with its tree, says what was confirmed
 * ("splitsync: confirmed: WHY"), by whom (by, "user@host") and when (at,
 * RFC 3339) in PUBLISH_*_TRAILER trailers; the deploy branch
 * fast-forwards to it, the hold branch is deleted, and both are pushed.
 * ERR_NOTFOUND when nothing is held; ERR_MOVED when the held change was
 * computed on another deploy head (run resync again); ERR_IO;
 * ERR_UNAVAIL. */
int publish_confirm(const struct config *cfg, struct git_sink *sink,
    const char *by, const char *at, char oid_hex[41], struct diag *d);

/* publish_load_state - the mirror and cookie of the agent's last
 * commit: the proposal branch's head in review mode when there is one,
 * else the deploy head; *cookie is NULL when there is none (free() it).
 * ERR_DATA, ERR_IO, ERR_NOMEM. */
int publish_load_state(const struct config *cfg, struct git_sink *sink,
    struct mirror *m, char **cookie, size_t *cookie_len, struct diag *d);

#endif
