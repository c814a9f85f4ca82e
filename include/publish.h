/*
 * publish - from the directory copy to a commit
 *
 * The one path every job and the service take, so that the tables they
 * commit are the same function of the directory: build the model from a
 * mirror (build.h), render the layout, list the routes, and commit when
 * a table changed, with a message that says what changed address by
 * address (message.h), where the rollout puts it (rollout.h), unless
 * the guard holds it (guard.h). The service also commits its state
 * (the mirror's shards) and the cookie that state matches; alone,
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
#include "mapping.h"
#include "mirror.h"

struct build;
struct live;

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
	struct build *build;    /* the one-shot jobs: the whole directory,
	                           read and finished (build_finish); each
	                           attempt resolves it against the head.
	                           NULL: built from the mirror each
	                           attempt */
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
 * ERR_NOMEM. What problems held before the call is kept; what an
 * attempt adds is forgotten when the next one starts over. m may be
 * NULL with req->build. */
int publish_run(const struct config *cfg, struct git_sink *sink,
    const struct mapping *map, const struct mirror *m,
    const struct publish_request *req, struct diag *problems, FILE *out,
    struct publish_result *res, struct diag *d);

/* publish_load_state - the mirror and cookie of the agent's last
 * commit (rollout_resume_point): its state into m, its cookie into
 * *cookie (NULL when there is none; free() it). ERR_DATA, ERR_IO,
 * ERR_NOMEM. */
int publish_load_state(const struct config *cfg, struct git_sink *sink,
    struct mirror *m, char **cookie, size_t *cookie_len, struct diag *d);

#endif
