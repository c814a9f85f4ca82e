/*
 * file - files written outside git: temp name, fsync, rename
 *
 * DIAGNOSTICS
 *	ERR_IO with the system's reason; the temp file is removed.
 */
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

/* file_write_atomic - temp name, fsync, chmod, rename, sync dir */
int
file_write_atomic(const char *path, const char *data, size_t len,
    mode_t mode, struct diag *d)
{
	struct buf tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	size_t off = 0;
	ssize_t n;
	int fd = -1, rc;

	/* A dot name beside the target: same file system, hidden. */
	if (slash)
		rc = buf_printf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path),
		    path, slash + 1);
	else
		rc = buf_printf(&tmp, ".%s.XXXXXX", path);
	if (rc < 0)
		return rc;
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		diag_error(d, path, "cannot create: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
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
	if (rename(tmp.data, path) < 0) {
		diag_error(d, path, "cannot rename: %s", strerror(errno));
		rc = ERR_IO;
		goto cleanup;
	}
	rc = sync_parent(path, d);
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.data)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}
