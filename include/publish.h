/*
 * publish - from the directory copy to a commit
 *
 * The one path every job and the service take, so that the tables they
 * commit are the same function of the directory: build the model from a
 * mirror (domains and groups first, then mailboxes), render the layout,
 * list the routes, and commit when a table changed, with a message that
 * says what changed address by address. The service also commits its
 * state (the mirror's shards) and the cookie that state matches.
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

/* publish_model - build a finished model from the entries of m; owner
 * answers who owned an address before (NULL: nobody). Problems in the
 * data are reported in d. ERR_NOMEM (the only failure). */
int publish_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct diag *d);

/* publish_previous_owner - a model_owner_fn over a route listing */
const char *publish_previous_owner(const char *address, void *routes);

/* publish_read_routes - the head's route listing into *out (empty when
 * the branch or the listing does not exist); ERR_DATA, ERR_IO */
int publish_read_routes(struct git_sink *sink, struct routes *out,
    struct diag *d);

struct publish_request {
	const char *source;     /* for the Splitsync-Source trailer */
	const char *cookie;     /* NULL: no state committed */
	size_t cookie_len;
	const struct mirror *state;     /* committed with the cookie */
	int dry_run;            /* print changes and diff to out instead */
	int force;              /* commit even what the guard would hold */
};

struct publish_result {
	int committed;          /* a commit was made */
	int held;               /* the guard held the change */
	size_t changes;         /* route changes */
	char oid[41];           /* the branch head afterwards */
};

/* publish_commit - render m, compare with the head, commit. prev is the
 * head's listing (publish_read_routes). A model without mailboxes while
 * prev routes addresses is held (res->held, ERR_HELD) unless forced.
 * ERR_MOVED when the branch moved meanwhile; ERR_IO; ERR_NOMEM. */
int publish_commit(const struct config *cfg, struct git_sink *sink,
    const struct model *m, const struct routes *prev,
    const struct publish_request *req, const struct diag *problems,
    FILE *out, struct publish_result *res, struct diag *d);

/* publish_load_state - the mirror and cookie committed at the head;
 * *cookie is NULL when there is none (free() it). ERR_DATA, ERR_IO,
 * ERR_NOMEM. */
int publish_load_state(struct git_sink *sink, struct mirror *m,
    char **cookie, size_t *cookie_len, struct diag *d);

#endif
