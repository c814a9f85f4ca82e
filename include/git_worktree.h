/*
 * git_worktree - keep a repository's work tree in step with its branch
 *
 * Private to git_sink. A repository with a work tree (repository_bare =
 * no) has an index and files that git commit -a would take; the sink
 * commits trees, not them, so after the branch HEAD names moves they
 * are brought to its new tree, as git checkout does.
 */
#ifndef SPLITSYNC_GIT_WORKTREE_H
#define SPLITSYNC_GIT_WORKTREE_H

#include <git2.h>
#include "diag.h"

/* git_worktree_follow - refname (a full ref name) has moved: when repo
 * has a work tree and HEAD is refname, update the index and the work
 * tree to its commit. A file changed by hand (or an untracked one in
 * the way) is left as it is, its index entry follows the branch, and a
 * warning in d names it. Never fails: the branch has moved whatever
 * happens here, so problems are warnings in d ("git_sink: PATH: work
 * tree: ..."), and the next move catches up. */
void git_worktree_follow(git_repository *repo, const char *refname,
    const char *path, struct diag *d);

#endif
