/*
 * git_tidy - what interrupted object writes leave in a repository
 *
 * Private to git_sink and git_repo. A pack write killed halfway leaves
 * its temporary file (megabytes at scale) in objects/pack/, and git gc
 * does not remove libgit2's names. Every pack write holds the lock
 * file GIT_TIDY_PACK_LOCK of the git directory shared; the cleaner
 * removes only while it holds it exclusively, so it never takes a pack
 * another splitsync process is writing, and only files untouched for a
 * minute, for writers that are not splitsync (git gc, a push into the
 * repository).
 */
#ifndef SPLITSYNC_GIT_TIDY_H
#define SPLITSYNC_GIT_TIDY_H

#include <git2.h>
#include "diag.h"

/* the lock file in the git directory (see git_sink.h) */
#define GIT_TIDY_PACK_LOCK "splitsync-pack.lock"

/* git_tidy_objects - remove objects/pack/pack_git2_*, tmp_pack_*,
 * tmp_idx_*, objects/tmp_object_git2_* and objects/tmp_obj_* untouched
 * for a minute, when no pack write holds the lock (else nothing:
 * another time). Best effort, never fails; a notice in d ("git_sink:
 * PATH: ...", PATH for messages) counts what went. */
void git_tidy_objects(git_repository *repo, const char *path,
    struct diag *d);

/* git_tidy_pack_lock - take the pack writers' lock of repo, shared, into
 * *fd (release with git_tidy_pack_unlock); ERR_IO, ERR_NOMEM */
int git_tidy_pack_lock(git_repository *repo, const char *path, int *fd,
    struct diag *d);
/* git_tidy_pack_unlock - release it; fd may be -1 */
void git_tidy_pack_unlock(int fd);

#endif
