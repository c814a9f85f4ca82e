/*
 * snapshot - the tables, the route listing and the service's state a
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
/* snapshot_table_text - the table name as committed: its file, or its
 * shards joined again when table_shards is above 0, appended to out;
 * *found set when it exists, *other when it is not laid out as
 * table_shards says. Errors as snapshot_read_sharded */
int snapshot_table_text(struct git_sink *sink, const char *commit,
    const char *name, int table_shards, struct buf *out, int *found,
    int *other, struct diag *d);
/* snapshot_tables_differ - 1 when some table of t differs from the one
 * committed (NULL: at the head; an unborn branch differs), also when it
 * is laid out otherwise or missing (an empty table is still a file with
 * table_shards 0); 0 when all are the same; a negative error (recorded
 * in d with the table's name) */
int snapshot_tables_differ(struct git_sink *sink, const char *commit,
    const struct tables *t, int table_shards, struct diag *d);

/* snapshot_read_routes - the head's route listing into *out (empty when
 * the branch or the listing does not exist), in shards when
 * table_shards says so (a listing in the other form is read too: the
 * setting may have changed since the last commit). ERR_DATA (a damaged
 * listing, named in d), ERR_IO, ERR_NOMEM */
int snapshot_read_routes(struct git_sink *sink, int table_shards,
    struct routes *out, struct diag *d);
/* snapshot_read_state - every shard of the service's state at commit
 * into m, whatever shard count wrote it (nothing when there is none).
 * ERR_DATA (a damaged shard, named in d), ERR_IO, ERR_NOMEM */
int snapshot_read_state(struct git_sink *sink, const char *commit,
    struct mirror *m, struct diag *d);

#endif
