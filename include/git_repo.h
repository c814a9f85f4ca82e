/*
 * git_repo - find and create the repository a git sink works in
 *
 * Private to git_sink: git_sink_open_ext (git_sink.h) documents the
 * modes and what a caller sees. Errors are recorded in d as git_sink's
 * own ("git_sink: PATH: what failed: why"), PATH being the repository
 * path as given, also while the repository sits under a temporary name.
 *
 * A repository is never created where it belongs: it is made under a
 * temporary name beside path (".NAME.splitsync-new-XXXXXX", locked with
 * flock(2) while its maker lives), synced, and renamed into place, so
 * path is at any moment absent, the directory it was, or a whole
 * repository. Temporary directories whose maker died are removed by the
 * next writer that opens path.
 */
#ifndef SPLITSYNC_GIT_REPO_H
#define SPLITSYNC_GIT_REPO_H

#include <git2.h>
#include "diag.h"
#include "git_sink.h"

/* A repository this process made and has not put in place. Owned by the
 * sink; zero it with git_repo_new_init, release it with git_repo_drop. */
struct git_repo_new {
	char *dir;              /* the repository (its work tree when not
	                           bare); NULL: none */
	char *remove;           /* what git_repo_drop removes: dir, or the
	                           scratch directory holding it */
	int lock;               /* fd of dir, flocked; -1: none */
	int scratch;            /* never put in place */
};

/* git_repo_new_init - an empty struct git_repo_new */
void git_repo_new_init(struct git_repo_new *fresh);

/* git_repo_open - open the repository at path for mode, creating it
 * as mode says (bare when bare is set, HEAD at refs/heads/<branch>):
 * *out is the caller's (git_repository_free, before git_repo_drop or
 * git_repo_keep); fresh says where a repository made under a temporary
 * name is. Writers (every mode but GIT_SINK_READ) are refused a
 * repository that belongs to another user; GIT_SINK_CREATE and
 * GIT_SINK_STAGE remove what interrupted writes left (git_tidy) and
 * the temporary directories of dead makers. ERR_NOTFOUND (GIT_SINK_READ,
 * nothing recorded), ERR_IO, ERR_NOMEM. */
int git_repo_open(const char *path, int bare, const char *branch,
    enum git_sink_mode mode, git_repository **out,
    struct git_repo_new *fresh, struct diag *d);

/* git_repo_has_branch - *any is 1 when repo has a branch (a ref under
 * refs/heads/), else 0; ERR_IO */
int git_repo_has_branch(git_repository *repo, const char *path, int *any,
    struct diag *d);

/* git_repo_keep - move the repository fresh holds into place at path
 * (its git_repository freed first), durably; fresh is released. Nothing
 * to do for an empty fresh. ERR_MOVED when path was made meanwhile by
 * another process (fresh is dropped), ERR_IO, ERR_INVAL for a scratch
 * repository. */
int git_repo_keep(const char *path, struct git_repo_new *fresh,
    struct diag *d);

/* git_repo_drop - remove what fresh holds and release it; an empty or
 * kept fresh is left as it is */
void git_repo_drop(struct git_repo_new *fresh);

#endif
