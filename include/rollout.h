/*
 * rollout - where a change goes, and the remotes
 *
 * A change goes to the deploy branch (rollout direct), or to the
 * proposal branch, the deploy head plus one commit, for a person to
 * review and deploy (rollout review); a change the guard holds goes to
 * the hold branch instead, the deploy head plus one commit too, until
 * a person confirms it. Side commits (proposal, hold) carry the deploy
 * head they were computed on (Splitsync-Base, message.h), so a confirm
 * never applies a held change to a head it was not computed for. When
 * the directory agrees with the deploy head again, both side branches
 * go.
 *
 * With remotes, every attempt starts from the first remote's deploy
 * branch (another agent or a person may have moved it) and ends with a
 * push of the three branches to every remote; a push refused as
 * non-fast-forward means another agent got there first: fetch,
 * compute again (usually: nothing left to commit), push again, at most
 * ROLLOUT_ATTEMPTS times.
 */
#ifndef SPLITSYNC_ROLLOUT_H
#define SPLITSYNC_ROLLOUT_H

#include "config.h"
#include "diag.h"
#include "git_sink.h"
#include "layout.h"
#include "render.h"

#define ROLLOUT_ATTEMPTS 3

/* Where a change goes. */
enum rollout_target {
	ROLLOUT_DEPLOY,         /* the deploy branch */
	ROLLOUT_PROPOSAL,       /* the proposal branch */
	ROLLOUT_HOLD            /* the hold branch */
};

/* One job done against the branches: reset (may be NULL) forgets what
 * the last attempt found, before each attempt; attempt computes and
 * commits on the synced branch: 0, ERR_HELD (held changes are pushed
 * too: reviewers see the hold), or a failure (not pushed). */
struct rollout_job {
	void (*reset)(void *ctx);
	int (*attempt)(void *ctx);
	void *ctx;
	int dry_run;            /* nothing is pushed, nothing retried */
};

/* rollout_run - refresh the branch head, start from the first remote's
 * branch, run the attempt, push every branch to every remote; again
 * (at most ROLLOUT_ATTEMPTS times) when a push is refused because a
 * remote moved. What the last attempt returned, or the failure:
 * ERR_MOVED, ERR_UNAVAIL (a remote), ERR_AUTH, ERR_IO. */
int rollout_run(const struct config *cfg, struct git_sink *sink,
    const struct rollout_job *job, struct diag *d);

/* rollout_target_of - where a change goes: the hold branch when held,
 * else the deploy or the proposal branch, as cfg->rollout says */
enum rollout_target rollout_target_of(const struct config *cfg, int held);

/* rollout_commit - the change (the finished whole tree, started
 * empty, that holds tables t; message msg, computed on the deploy head
 * base, "" for an unborn branch) onto
 * target, and the side branch it leaves behind deleted (the hold
 * branch when proposed, the proposal when held, both when deployed).
 * A side branch is moved only when its tables differ or it was
 * computed on another base. *moved says whether target moved; oid is
 * its head after (the commit made, or the one that stays). ERR_MOVED
 * (the deploy branch moved meanwhile), ERR_BUSY, ERR_IO, ERR_NOMEM. */
int rollout_commit(const struct config *cfg, struct git_sink *sink,
    enum rollout_target target, const char *base, const struct tables *t,
    struct git_sink_tree *tree, const char *msg, char oid[41],
    int *moved, struct diag *d);

/* rollout_settle - the directory agrees with the deploy head: the
 * proposal and hold branches go. ERR_BUSY, ERR_IO */
int rollout_settle(const struct config *cfg, struct git_sink *sink,
    struct diag *d);

/* rollout_resume_point - the commit whose state the service resumes
 * from into at: the proposal branch's head in review rollout when
 * there is one, else the deploy head. ERR_NOTFOUND when neither
 * exists */
int rollout_resume_point(const struct config *cfg, struct git_sink *sink,
    char at[41]);

/* rollout_confirm - a person accepts the held change: a commit on the
 * hold branch's head, with its tree, says what was confirmed, by whom
 * (by, "user@host") and when (at, RFC 3339), with trailers
 * (message.h); the deploy branch fast-forwards to it, the hold branch
 * is deleted, and every branch is pushed. Its id into oid_hex.
 * ERR_NOTFOUND when nothing is held; ERR_MOVED when the held change
 * was computed on another deploy head (run resync again); ERR_IO;
 * ERR_UNAVAIL. */
int rollout_confirm(const struct config *cfg, struct git_sink *sink,
    const char *by, const char *at, char oid_hex[41], struct diag *d);

#endif
