/*
 * file - files written outside git: temp name, fsync, rename
 *
 * DESCRIPTION
 *	file_write_set writes a set of files that belong together (the
 *	tables of one render) so that a reader never sees some new and
 *	some old: every temporary is written and fsynced before the first
 *	rename. A target that exists is swapped with its temporary
 *	(renameat2 RENAME_EXCHANGE), so the old file sits under the
 *	temporary name until every rename went through and a failed
 *	rename can swap back what was already done. A file system without
 *	the exchange gets a plain rename (nothing to put back for that
 *	file, but the targets were checked to be regular files first).
 *
 * DIAGNOSTICS
 *	ERR_IO with the system's reason; the temp files are removed.
 */
#define _GNU_SOURCE     /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "errors.h"
#include "file.h"

/* sync_parent - make a rename in path's directory durable */
static int
sync_parent(const char *path, struct diag *d)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		rc = buf_puts(&dir, ".");
	else if (slash == path)
		rc = buf_puts(&dir, "/");
	else
		rc = buf_append(&dir, path, (size_t)(slash - path));
	if (rc < 0)
		return rc;
	fd = open(dir.data, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) < 0) {
		diag_error(d, dir.data, "cannot sync directory: %s",
		    strerror(errno));
		rc = ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	buf_free(&dir);
	return rc;
}

/* write_temp - data into a new temp file beside path, fsynced, with
 * mode; its name into tmp. ERR_IO (the temp removed), ERR_NOMEM */
static int
write_temp(const char *path, const char *data, size_t len, mode_t mode,
    struct buf *tmp, struct diag *d)
{
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc;

	/* A dot name beside the target: same file system, hidden. */
	buf_reset(tmp);
	if (slash)
		rc = buf_printf(tmp, "%.*s/.%s.XXXXXX", (int)(slash - path),
		    path, slash + 1);
	else
		rc = buf_printf(tmp, ".%s.XXXXXX", path);
	if (rc < 0)
		return rc;
	fd = mkstemp(tmp->data);
	if (fd < 0) {
		diag_error(d, path, "cannot create: %s", strerror(errno));
		buf_reset(tmp);
		return ERR_IO;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			diag_error(d, path, "cannot write: %s",
			    strerror(n < 0 ? errno : ENOSPC));
			rc = ERR_IO;
			goto cleanup;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		diag_error(d, path, "cannot sync: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	n = close(fd);
	fd = -1;
	if (n < 0) {
		diag_error(d, path, "cannot close: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		unlink(tmp->data);
		buf_reset(tmp);
	}
	return rc;
}

/* file_write_atomic - temp name, fsync, chmod, rename, sync dir */
int
file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct diag *d)
{
	struct buf tmp = BUF_INIT;
	int rc;

	rc = write_temp(path, data, len, mode, &tmp, d);
	if (rc < 0)
		goto cleanup;
	if (rename(tmp.data, path) < 0) {
		diag_error(d, path, "cannot rename: %s", strerror(errno));
		unlink(tmp.data);
		rc = ERR_IO;
		goto cleanup;
	}
	rc = sync_parent(path, d);
cleanup:
	buf_free(&tmp);
	return rc;
}

/* What file_write_set did to one file so far. */
enum placed { PLACED_NOT, PLACED_NEW, PLACED_SWAPPED, PLACED_RENAMED };

/* check_target - path is absent or a regular file (a rename onto a
 * directory would fail midway) */
static int
check_target(const char *path, int *exists, struct diag *d)
{
	struct stat st;

	*exists = 0;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		diag_error(d, path, "cannot stat: %s", strerror(errno));
		return ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, path, "not a regular file; nothing was written");
		return ERR_IO;
	}
	*exists = 1;
	return 0;
}

/* place - the temp file of one target into place: swapped with the old
 * file when there is one, so it can be put back */
static int
place(const char *tmp, const char *path, int exists, enum placed *how,
    struct diag *d)
{
	if (exists && renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
	    RENAME_EXCHANGE) == 0) {
		*how = PLACED_SWAPPED;
		return 0;
	}
	if (exists && errno != EINVAL && errno != ENOSYS &&
	    errno != EOPNOTSUPP) {
		diag_error(d, path, "cannot rename: %s", strerror(errno));
		return ERR_IO;
	}
	if (rename(tmp, path) < 0) {
		diag_error(d, path, "cannot rename: %s", strerror(errno));
		return ERR_IO;
	}
	*how = exists ? PLACED_RENAMED : PLACED_NEW;
	return 0;
}

/* unplace - undo place: the old file back under its name, the new one
 * gone */
static void
unplace(const char *tmp, const char *path, enum placed how)
{
	if (how == PLACED_SWAPPED)
		(void)renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
		    RENAME_EXCHANGE);
	else if (how == PLACED_NEW)
		(void)unlink(path);
}

/* same_dir - a and b name files of one directory */
static int
same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;

	return la == lb && memcmp(a, b, la) == 0;
}

/* file_write_set - every temp written and synced, then every rename */
int
file_write_set(const struct file_data *files, size_t n, mode_t mode,
    struct diag *d)
{
	struct buf *tmp = NULL;
	enum placed *how = NULL;
	int *exists = NULL;
	size_t i, done = 0;
	int rc = 0;

	tmp = calloc(n ? n : 1, sizeof *tmp);
	how = calloc(n ? n : 1, sizeof *how);
	exists = calloc(n ? n : 1, sizeof *exists);
	if (tmp == NULL || how == NULL || exists == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	for (i = 0; rc == 0 && i < n; i++)
		rc = check_target(files[i].path, &exists[i], d);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_temp(files[i].path, files[i].data, files[i].len,
		    mode, &tmp[i], d);
	for (; rc == 0 && done < n; done++)
		rc = place(tmp[done].data, files[done].path, exists[done],
		    &how[done], d);
	if (rc < 0) {
		/* done is the one that failed: undo those before it */
		while (done > 0) {
			done--;
			unplace(tmp[done].data, files[done].path, how[done]);
		}
		for (i = 0; i < n; i++)
			how[i] = PLACED_NOT;
	}
	for (i = 0; rc == 0 && i < n; i++)
		if (i == 0 || !same_dir(files[i].path, files[i - 1].path))
			rc = sync_parent(files[i].path, d);
cleanup:
	for (i = 0; tmp && i < n; i++) {
		/* a swapped temp name holds the old file now */
		if (tmp[i].data && *tmp[i].data && how &&
		    (how[i] == PLACED_NOT || how[i] == PLACED_SWAPPED))
			(void)unlink(tmp[i].data);
		buf_free(&tmp[i]);
	}
	free(tmp);
	free(how);
	free(exists);
	return rc;
}
