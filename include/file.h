/*
 * file - files written outside git
 *
 * A file is written to a temp name in its directory, fsynced, given its
 * mode and renamed into place, so readers see the old file or the new
 * one, never half of one; the directory is fsynced after the rename so
 * the rename survives a crash.
 */
#ifndef SPLITSYNC_FILE_H
#define SPLITSYNC_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include "diag.h"

/* file_write_atomic - path holds data afterwards, or is as it was;
 * ERR_IO with "path: what failed: why" in d, ERR_NOMEM */
int file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct diag *d);

/* One file of a set; everything borrowed. */
struct file_data {
	const char *path;
	const char *data;
	size_t len;
};

/* file_write_set - the n files hold their data afterwards, or every one
 * is as it was: each target is checked to be absent or a regular file,
 * every file is written to a temp name and fsynced, then all are
 * renamed into place and their directories fsynced. On failure the
 * renames done are undone and every temp file is removed. ERR_IO with
 * "path: what failed: why" in d, ERR_NOMEM */
int file_write_set(const struct file_data *files, size_t n, mode_t mode,
    struct diag *d);

#endif
