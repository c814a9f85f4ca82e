/*
 * snapshot - the files, the shard directories and the service's state a
 * commit holds, read back
 *
 * Every function reads at commit, a commit id (hex), or at the sink's
 * branch head when commit is NULL. Texts are appended to a buffer the
 * caller owns; a file, a directory or a branch that does not exist is
 * "not found" (*found 0), never an error.
 */
#ifndef SPLITSYNC_SNAPSHOT_H
#define SPLITSYNC_SNAPSHOT_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "git_sink.h"
#include "mirror.h"
#include "render.h"
#include "routes.h"

/* snapshot_read_file - the file path appended to out; *found set when
 * it exists (left as it was otherwise). ERR_INVAL, ERR_IO, ERR_NOMEM */
int snapshot_read_file(struct git_sink *sink, const char *commit,
    const char *path, struct buf *out, int *found, struct diag *d);
/* snapshot_read_sharded - every line of every shard under dir, sorted
 * (the file they were cut from), appended to out and NUL-terminated.
 * *found is set when a shard exists; *other (may be NULL) when one is
 * not where n shards put it (n 0: any place will do). ERR_INVAL,
 * ERR_IO, ERR_NOMEM */
int snapshot_read_sharded(struct git_sink *sink, const char *commit,
    const char *dir, size_t n, struct buf *out, int *found, int *other,
    struct diag *d);
/* snapshot_read_state - every shard of the service's state at commit
 * into m, whatever shard count wrote it (nothing when there is none).
 * ERR_DATA (a damaged shard, named in d), ERR_IO, ERR_NOMEM */
int snapshot_read_state(struct git_sink *sink, const char *commit,
    struct mirror *m, struct diag *d);

#endif
