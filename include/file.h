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

#endif
