/*
 * rollout - where a change goes, and the remotes
 *
 * DESCRIPTION
 *	A side branch (proposal, hold) is always the deploy head plus one
 *	commit. It is left as it is when it already holds the same tables
 *	computed on the same deploy head (its Splitsync-Base trailer), so
 *	that the directory saying the same thing again moves nothing.
 *
 *	Local commits the remote lacks are dropped when an attempt starts
 *	from the remote's branch: the tables are a function of the
 *	directory, the attempt computes them again.
 *
 *	A confirm applies the held change only to the deploy head it was
 *	computed on: on any other, the guard's verdict may no longer hold.
 *
 * DIAGNOSTICS
 *	Failures are recorded in d (by git_sink, or here with the branch
 *	named) and returned.
 */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "message.h"
#include "rollout.h"

/* push_all - push the branches to every remote; deletions for the side
 * branches that no longer exist here */
static int
push_all(const struct config *cfg, struct git_sink *sink, struct diag *d)
{
	const char *branches[3];
	unsigned char force[3] = { 0, 1, 1 };
	char oid[41];
	size_t i, j;
	int rc = 0;

	branches[0] = cfg->branch;
	branches[1] = cfg->proposal_branch;
	branches[2] = cfg->hold_branch;
	for (i = 0; rc == 0 && i < cfg->nremotes; i++) {
		for (j = 0; rc == 0 && j < 3; j++) {
			if (git_sink_branch_head(sink, branches[j], oid) == 0)
				rc = git_sink_push(sink, cfg->remotes[i],
				    &branches[j], 1, &force[j], d);
			else if (j > 0)
				rc = git_sink_push_delete(sink, cfg->remotes[i],
				    branches[j], d);
		}
	}
	return rc;
}

/* sync_remote - the deploy branch as the first remote has it */
static int
sync_remote(const struct config *cfg, struct git_sink *sink,
    struct diag *d)
{
	char remote[41];
	int rc;

	if (cfg->nremotes == 0)
		return 0;
	rc = git_sink_fetch(sink, cfg->remotes[0], cfg->branch, remote, d);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	return git_sink_reset_to(sink, remote, 1, d);
}

/* rollout_run - fetch, attempt, push; again when pushed aside */
int
rollout_run(const struct config *cfg, struct git_sink *sink,
    const struct rollout_job *job, struct diag *d)
{
	int rc = 0, pushed, attempt;

	for (attempt = 0; attempt < ROLLOUT_ATTEMPTS; attempt++) {
		if (job->reset)
			job->reset(job->ctx);
		rc = git_sink_refresh(sink, d);
		rc = rc ? rc : sync_remote(cfg, sink, d);
		rc = rc ? rc : job->attempt(job->ctx);
		if (job->dry_run || (rc < 0 && rc != ERR_HELD))
			break;
		pushed = push_all(cfg, sink, d);
		if (pushed == ERR_MOVED)
			continue;
		if (pushed < 0)
			rc = pushed;
		break;
	}
	return rc;
}

/* rollout_target_of - held, proposed or deployed */
enum rollout_target
rollout_target_of(const struct config *cfg, int held)
{
	if (held)
		return ROLLOUT_HOLD;
	return cfg->rollout == CONFIG_ROLLOUT_REVIEW ? ROLLOUT_PROPOSAL :
	    ROLLOUT_DEPLOY;
}

/* same_base - whether the commit at oid was computed on base */
static int
same_base(struct git_sink *sink, const char *oid, const char *base,
    struct diag *d)
{
	struct message_trailers t;
	char *msg = NULL;
	int rc;

	rc = git_sink_message_at(sink, oid, &msg, d);
	rc = rc ? rc : message_parse(msg, &t);
	if (rc == 0) {
		rc = strcmp(t.base ? t.base : "", base) == 0;
		message_trailers_clear(&t);
	}
	free(msg);
	return rc;
}

/* side_commit - the proposal or hold branch: deploy head plus one
 * commit, moved only when its tables or its base would change */
static int
side_commit(const struct config *cfg, struct git_sink *sink,
    const char *branch, const char *base, const struct tables *t,
    struct git_sink_tree *tree, const char *msg, char oid[41], int *moved,
    struct diag *d)
{
	char cur[41];
	int rc, same;

	*moved = 0;
	if (git_sink_branch_head(sink, branch, cur) == 0) {
		/* its tree's ids against ours: nothing read back */
		same = layout_tables_same(tree, cur, t, d);
		if (same < 0)
			return same;
		rc = same ? same_base(sink, cur, base, d) : 0;
		if (rc < 0)
			return rc;
		if (rc == 1) {
			memcpy(oid, cur, 41);
			return 0;
		}
	}
	rc = git_sink_tree_commit_on(tree, branch, *base ? base : NULL, msg,
	    cfg->author_name, cfg->author_email, 1, oid, d);
	if (rc == 0)
		*moved = 1;
	return rc;
}

/* rollout_settle - both side branches go */
int
rollout_settle(const struct config *cfg, struct git_sink *sink,
    struct diag *d)
{
	int rc = git_sink_branch_delete(sink, cfg->proposal_branch, d);

	return rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch, d);
}

/* rollout_commit - onto the target, and the side branch left behind
 * deleted */
int
rollout_commit(const struct config *cfg, struct git_sink *sink,
    enum rollout_target target, const char *base, const struct tables *t,
    struct git_sink_tree *tree, const char *msg, char oid[41],
    int *moved, struct diag *d)
{
	int rc;

	switch (target) {
	case ROLLOUT_HOLD:
		rc = side_commit(cfg, sink, cfg->hold_branch, base, t, tree,
		    msg, oid, moved, d);
		return rc ? rc : git_sink_branch_delete(sink,
		    cfg->proposal_branch, d);
	case ROLLOUT_PROPOSAL:
		rc = side_commit(cfg, sink, cfg->proposal_branch, base, t,
		    tree, msg, oid, moved, d);
		return rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch,
		    d);
	case ROLLOUT_DEPLOY:
		break;
	}
	rc = git_sink_tree_commit(tree, msg, cfg->author_name,
	    cfg->author_email, moved, oid, d);
	return rc ? rc : rollout_settle(cfg, sink, d);
}

/* rollout_resume_point - the proposal in review, else the deploy head */
int
rollout_resume_point(const struct config *cfg, struct git_sink *sink,
    char at[41])
{
	if (cfg->rollout == CONFIG_ROLLOUT_REVIEW &&
	    git_sink_branch_head(sink, cfg->proposal_branch, at) == 0)
		return 0;
	return git_sink_head(sink, at) < 0 ? ERR_NOTFOUND : 0;
}

/* rollout_confirm - accept the held change: a commit on it records who
 * and when, and the deploy branch fast-forwards to that */
int
rollout_confirm(const struct config *cfg, struct git_sink *sink,
    const char *by, const char *at, char oid_hex[41], struct diag *d)
{
	struct message_trailers held_tr, tr;
	struct buf text = BUF_INIT;
	char held[41], head[41] = "", oid[41], *msg = NULL;
	int rc;

	message_trailers_init(&held_tr);
	rc = git_sink_refresh(sink, d);
	rc = rc ? rc : sync_remote(cfg, sink, d);
	if (rc < 0)
		return rc;
	if (git_sink_branch_head(sink, cfg->hold_branch, held) < 0) {
		diag_error(d, cfg->hold_branch, "no change is held");
		return ERR_NOTFOUND;
	}
	if (git_sink_head(sink, head) < 0)
		head[0] = '\0';
	rc = git_sink_message_at(sink, held, &msg, d);
	rc = rc ? rc : message_parse(msg, &held_tr);
	if (rc < 0)
		goto cleanup;
	if (*head && (held_tr.base == NULL ||
	    strcmp(held_tr.base, head) != 0)) {
		diag_error(d, cfg->hold_branch, "the held change was computed "
		    "on another head of %s; run resync again", cfg->branch);
		rc = ERR_MOVED;
		goto cleanup;
	}
	message_trailers_init(&tr);
	tr.held = held;
	tr.confirmed_by = by;
	tr.confirmed_at = at;
	rc = message_confirm(&text, msg, &tr, cfg->hold_branch, cfg->branch);
	rc = rc ? rc : git_sink_commit_child(sink, held, text.data,
	    cfg->author_name, cfg->author_email, oid, d);
	rc = rc ? rc : git_sink_fast_forward(sink, oid, d);
	rc = rc ? rc : git_sink_branch_delete(sink, cfg->hold_branch, d);
	rc = rc ? rc : push_all(cfg, sink, d);
	if (rc == 0)
		memcpy(oid_hex, oid, 41);
cleanup:
	message_trailers_clear(&held_tr);
	buf_free(&text);
	free(msg);
	return rc;
}
