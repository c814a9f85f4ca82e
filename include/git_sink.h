/*
 * git_sink - commit generated files to a git repository (libgit2)
 *
 * The sink owns an open repository and one branch. A commit replaces the
 * whole tree with the given files; it is made only when the tree
 * differs from the branch head. Objects are written first and the ref
 * moves last, by compare-and-swap against the head that was read, so a
 * crash at any point leaves the repository valid and the branch either
 * at the old or at the new commit.
 */
#ifndef SPLITSYNC_GIT_SINK_H
#define SPLITSYNC_GIT_SINK_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"

struct git_sink_file {
	const char *path;       /* "transport", ".splitsync/routes" */
	const char *data;
	size_t len;
};

struct git_sink;

/* git_sink_open - open the repository at path, creating it (bare when
 * bare is set) when it does not exist. The branch need not exist yet.
 * ERR_IO with the reason in d, ERR_NOMEM. */
int git_sink_open(const char *path, int bare, const char *branch,
    struct git_sink **out, struct diag *d);
void git_sink_close(struct git_sink *s);
/* git_sink_read - the content of path at the branch head into *out
 * (free(); NUL-terminated, len excludes it). ERR_NOTFOUND when the
 * branch or the file does not exist; ERR_IO. */
int git_sink_read(struct git_sink *s, const char *path, char **out,
    size_t *len, struct diag *d);
/* git_sink_commit - make the branch's tree exactly files (paths may have
 * directories). When the tree equals the head's, nothing is written and
 * *committed is 0. Otherwise a commit with message is created on top of
 * the head read at git_sink_open or the last commit, *committed is 1 and
 * the commit id (hex) is stored in oid_hex. ERR_MOVED when the branch
 * moved meanwhile (nothing changed), ERR_IO, ERR_NOMEM. */
int git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d);
/* git_sink_diff - append to out the unified diff from the branch head to
 * files (every path, added, changed or removed); ERR_IO, ERR_NOMEM */
int git_sink_diff(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, struct buf *out, struct diag *d);

#endif
