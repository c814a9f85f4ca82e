/*
 * file - files outside git: the ones written, and the ones a
 * configuration names
 *
 * A file is written to a temp name in its directory, fsynced, given its
 * mode and renamed into place, so readers see the old file or the new
 * one, never half of one; the directory is fsynced after the rename so
 * the rename survives a crash.
 *
 * A file a configuration names (the configuration itself, the mapping,
 * the LDIF file, the password and CA files, the metrics file) is read
 * only when it is a regular file of at most its kind's size: anything
 * else (a FIFO, a device, a directory, a socket) is refused by its
 * kind, after a look and before it is opened, since opening a FIFO
 * waits for a writer and opening a device may act on it. The open
 * itself never waits (O_NONBLOCK) and never gains a controlling
 * terminal, and its result is checked again on the descriptor.
 * Symbolic links are followed, except with FILE_NOFOLLOW. A secret
 * (FILE_SECRET) is checked as OpenSMTPD checks its own: no symbolic
 * link, a regular file owned by root or by us that group and others
 * cannot access at all, in a directory owned by root or by us that
 * group and others cannot write (else anyone who can write there could
 * put another file in its place). The directory is the one the path
 * names, symbolic links in the path followed: the file is opened
 * relative to the very directory that was checked.
 *
 * Messages read "path: what", kind naming the file ("the mapping file is
 * a FIFO, not a regular file; refused").
 */
#ifndef SPLITSYNC_FILE_H
#define SPLITSYNC_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include "diag.h"

/* How large each kind of named file may be. */
#define FILE_MAX_CONFIG ((size_t)1 << 20)       /* configuration: 1 MiB */
#define FILE_MAX_MAPPING ((size_t)4 << 20)      /* mapping: 4 MiB */
#define FILE_MAX_LDIF ((size_t)4 << 30)         /* LDIF: 4 GiB */
#define FILE_MAX_SECRET ((size_t)64 << 10)      /* password: 64 KiB */
#define FILE_MAX_CA ((size_t)16 << 20)          /* CA certificates: 16 MiB */
#define FILE_MAX_METRICS ((size_t)1 << 20)      /* metrics: 1 MiB */

/* Flags of file_open_named and file_read_named. */
#define FILE_NOFOLLOW 1         /* a symbolic link is refused */
#define FILE_SECRET 2           /* a secret (implies FILE_NOFOLLOW) */

/* file_write_atomic - path holds data afterwards, or is as it was;
 * ERR_IO with "path: what failed: why" in d, ERR_NOMEM */
int file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct diag *d);

/* file_open_named - path opened for reading into *fd (the caller closes
 * it), its size in *size, after the checks above. kind names the file
 * in messages ("mapping file"). ERR_NOINPUT when it does not exist or
 * cannot be opened or looked at; ERR_CONFIG when it is not a file
 * splitsync reads (its type, its size above max, or for a secret its
 * owner, its mode or its directory's); ERR_NOMEM. *fd is -1 on error. */
int file_open_named(const char *path, const char *kind, size_t max,
    unsigned flags, int *fd, size_t *size, struct diag *d);

/* file_read_named - the whole file, checked as by file_open_named, into
 * *out (free(); NUL-terminated after its *len bytes). Errors as
 * file_open_named's, and ERR_NOINPUT when a read fails, ERR_UNAVAIL
 * when the file changed size while it was read (try again). *out is
 * NULL on error. */
int file_read_named(const char *path, const char *kind, size_t max,
    unsigned flags, char **out, size_t *len, struct diag *d);

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
