/*
 * git_sink - commit generated files to a git repository (libgit2)
 *
 * The sink owns an open repository and one branch. A commit replaces the
 * whole tree with the given files; it is made only when the tree
 * differs from the branch head. Objects are written first and the ref
 * moves last, by compare-and-swap against the head that was read, so a
 * crash at any point leaves the repository valid and the branch either
 * at the old or at the new commit (fsync of the git directory is on).
 *
 * The sink remembers the branch head it read (at git_sink_open, at
 * git_sink_refresh, or the commit it made last); git_sink_read,
 * git_sink_diff and git_sink_commit work against that head. When another
 * process moves the branch, git_sink_commit fails with ERR_MOVED and
 * git_sink_refresh picks up the new head.
 *
 * Paths are relative, '/'-separated, without empty, "." , ".." or ".git"
 * components and without control characters; anything else is ERR_INVAL.
 * Every error leaves a message in d reading
 * "git_sink: PATH: what failed: why".
 */
#ifndef SPLITSYNC_GIT_SINK_H
#define SPLITSYNC_GIT_SINK_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"

struct git_sink_file {
	const char *path;       /* "transport", ".splitsync/routes" */
	const char *data;       /* borrowed; may be NULL when len is 0 */
	size_t len;
};

struct git_sink;

/* git_sink_open - open the repository at path, creating it (bare when
 * bare is set; HEAD pointing at branch) when path does not exist or is
 * an empty directory; an existing repository is opened as it is. branch
 * is a short name ("main"); the branch need not exist yet. ERR_INVAL for
 * an invalid branch name, ERR_IO with the reason in d, ERR_NOMEM. */
int git_sink_open(const char *path, int bare, const char *branch,
    struct git_sink **out, struct diag *d);
/* git_sink_close - release the sink; s may be NULL */
void git_sink_close(struct git_sink *s);
/* git_sink_refresh - re-read the branch head (another process may have
 * moved it); ERR_IO */
int git_sink_refresh(struct git_sink *s, struct diag *d);
/* git_sink_head - the head commit id (hex) into oid_hex; ERR_NOTFOUND
 * when the branch does not exist yet */
int git_sink_head(struct git_sink *s, char oid_hex[41]);
/* git_sink_head_message - the message of the head commit into *out
 * (free()). ERR_NOTFOUND on an unborn branch, ERR_IO, ERR_NOMEM. */
int git_sink_head_message(struct git_sink *s, char **out, struct diag *d);
/* git_sink_read - the content of path at the branch head into *out
 * (free(); NUL-terminated, len excludes it). ERR_NOTFOUND (nothing
 * recorded in d) when the branch or the file does not exist; ERR_INVAL,
 * ERR_IO, ERR_NOMEM. */
int git_sink_read(struct git_sink *s, const char *path, char **out,
    size_t *len, struct diag *d);
/* git_sink_commit - make the branch's tree exactly files (paths may have
 * directories; a file not given is removed). When the tree equals the
 * head's, nothing is written and *committed is 0. Otherwise a commit
 * with message (a final newline is added when missing) by author, as
 * author and committer at the current time, is created on top of the
 * head, *committed is 1 and the commit id (hex) is stored in oid_hex;
 * that commit becomes the head; when nothing is committed oid_hex holds
 * the head unchanged. ERR_INVAL (bad or duplicate path, a
 * path that is both a file and a directory, empty message, bad name or
 * email), ERR_MOVED when the branch moved since it was read (the branch
 * is left as it is), ERR_IO (also when the branch is locked by another
 * writer), ERR_NOMEM. */
int git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d);
/* git_sink_diff - append to out the unified diff ("a/PATH", "b/PATH",
 * sorted by path) from the branch head to files, for every path added,
 * changed or removed; nothing when they are equal. Paths under the
 * directory skip (NULL: none) are left out on both sides. ERR_INVAL (as
 * for git_sink_commit), ERR_IO, ERR_NOMEM. */
int git_sink_diff(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *skip, struct buf *out, struct diag *d);

#endif
