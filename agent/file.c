/*
 * file - files outside git: written by temp name, fsync and rename;
 * read, when a configuration names them, only as regular files
 *
 * DESCRIPTION
 *	file_open_named looks at the path first (fstatat, not following
 *	a last symbolic link when asked) and refuses what is not a
 *	regular file without opening it; then opens it without waiting
 *	and checks the descriptor again, which is what counts. For a
 *	secret, the directory is opened first and checked on its
 *	descriptor, and the file is opened relative to it.
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
 *	Writing: ERR_IO with the system's reason; the temp files are
 *	removed. Reading: "path: ..." naming the kind of file; ERR_NOINPUT
 *	for a file that is missing or cannot be read, ERR_CONFIG for one
 *	that is not to be read (type, size, owner, mode, its directory),
 *	ERR_UNAVAIL for one that changed while being read.
 */
#define _GNU_SOURCE     /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
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

/* type_name - what a file that is not a regular one is, with its
 * article */
static const char *
type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a special file";
}

/* size_text - a cap as people write it: "4 MiB", "64 KiB", "100 bytes" */
static void
size_text(size_t n, char *out, size_t len)
{
	if (n >= ((size_t)1 << 30) && n % ((size_t)1 << 30) == 0)
		snprintf(out, len, "%zu GiB", n >> 30);
	else if (n >= ((size_t)1 << 20) && n % ((size_t)1 << 20) == 0)
		snprintf(out, len, "%zu MiB", n >> 20);
	else if (n >= ((size_t)1 << 10) && n % ((size_t)1 << 10) == 0)
		snprintf(out, len, "%zu KiB", n >> 10);
	else
		snprintf(out, len, "%zu bytes", n);
}

/* cannot - a failed system call on path: ERR_NOMEM for ENOMEM, else
 * ERR_NOINPUT, "cannot what the kind: why" */
static int
cannot(const char *path, const char *what, const char *kind, int err,
    struct diag *d)
{
	diag_error(d, path, "cannot %s the %s: %s", what, kind, strerror(err));
	return err == ENOMEM ? ERR_NOMEM : ERR_NOINPUT;
}

/* check_kind - path, as st says it is, is a regular file of at most
 * max bytes; else ERR_CONFIG, saying what it is */
static int
check_kind(const char *path, const char *kind, const struct stat *st,
    size_t max, struct diag *d)
{
	char cap[32];

	if (S_ISLNK(st->st_mode)) {
		diag_error(d, path, "the %s is a symbolic link; refused: name "
		    "the file itself", kind);
		return ERR_CONFIG;
	}
	if (!S_ISREG(st->st_mode)) {
		diag_error(d, path, "the %s is %s, not a regular file; refused",
		    kind, type_name(st->st_mode));
		return ERR_CONFIG;
	}
	if (st->st_size < 0 || (uintmax_t)st->st_size > max) {
		size_text(max, cap, sizeof cap);
		diag_error(d, path, "the %s is larger than %s (%jd bytes); "
		    "refused", kind, cap, (intmax_t)st->st_size);
		return ERR_CONFIG;
	}
	return 0;
}

/* safe_owner - root or the user we run as */
static int
safe_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* open_parent - the directory of a secret, opened and checked: owned by
 * root or us, not writable by group or others; *name is the secret's
 * name in it */
static int
open_parent(const char *path, const char *kind, int *dfd, const char **name,
    struct diag *d)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int rc, err;

	*dfd = -1;
	*name = slash ? slash + 1 : path;
	if (slash == NULL)
		rc = buf_puts(&dir, ".");
	else if (slash == path)
		rc = buf_puts(&dir, "/");
	else
		rc = buf_append(&dir, path, (size_t)(slash - path));
	if (rc < 0)
		return rc;
	*dfd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dfd < 0 || fstat(*dfd, &st) < 0) {
		err = errno;
		diag_error(d, path, "cannot open the directory of the %s, %s: "
		    "%s", kind, dir.data, strerror(err));
		rc = err == ENOMEM ? ERR_NOMEM : ERR_NOINPUT;
	} else if (!safe_owner(st.st_uid)) {
		diag_error(d, path, "the directory of the %s, %s, is owned by "
		    "uid %lu, not by root or by uid %lu; refused", kind,
		    dir.data, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		rc = ERR_CONFIG;
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		diag_error(d, path, "the directory of the %s, %s, is %s "
		    "(mode %04o): anyone who can write there can replace the "
		    "file; refused (chmod go-w)", kind, dir.data,
		    (st.st_mode & S_IWOTH) ? "world-writable" :
		    "group-writable",
		    (unsigned)(st.st_mode & 07777));
		rc = ERR_CONFIG;
	}
	if (rc < 0 && *dfd >= 0) {
		close(*dfd);
		*dfd = -1;
	}
	buf_free(&dir);
	return rc;
}

/* check_secret - a secret's owner and mode, on its descriptor */
static int
check_secret(const char *path, const char *kind, const struct stat *st,
    struct diag *d)
{
	if (!safe_owner(st->st_uid)) {
		diag_error(d, path, "the %s is owned by uid %lu, not by root "
		    "or by uid %lu; refused", kind, (unsigned long)st->st_uid,
		    (unsigned long)geteuid());
		return ERR_CONFIG;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		diag_error(d, path, "the %s's mode is %04o: group and others "
		    "must have no access (chmod 600); refused", kind,
		    (unsigned)(st->st_mode & 07777));
		return ERR_CONFIG;
	}
	return 0;
}

/* file_open_named - look, open without waiting, check the descriptor */
int
file_open_named(const char *path, const char *kind, size_t max,
    unsigned flags, int *fd, size_t *size, struct diag *d)
{
	const int oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	const char *name = path;
	struct stat st;
	int dfd = AT_FDCWD, nofollow, rc;

	*fd = -1;
	*size = 0;
	if (flags & FILE_SECRET)
		flags |= FILE_NOFOLLOW;
	nofollow = (flags & FILE_NOFOLLOW) != 0;
	if ((flags & FILE_SECRET) &&
	    (rc = open_parent(path, kind, &dfd, &name, d)) < 0)
		return rc;
	/* Look first: opening a device may act on it. */
	if (fstatat(dfd, name, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0) {
		rc = cannot(path, "open", kind, errno, d);
		goto cleanup;
	}
	if ((rc = check_kind(path, kind, &st, max, d)) < 0)
		goto cleanup;
	*fd = openat(dfd, name, oflags | (nofollow ? O_NOFOLLOW : 0));
	if (*fd < 0 && errno == ELOOP && nofollow) {
		/* it became a link since the look */
		st.st_mode = S_IFLNK;
		rc = check_kind(path, kind, &st, max, d);
		goto cleanup;
	}
	if (*fd < 0) {
		rc = cannot(path, "open", kind, errno, d);
		goto cleanup;
	}
	if (fstat(*fd, &st) < 0) {
		rc = cannot(path, "look at", kind, errno, d);
		goto cleanup;
	}
	/* The descriptor is what is read: it decides. */
	if ((rc = check_kind(path, kind, &st, max, d)) < 0 ||
	    ((flags & FILE_SECRET) && (rc = check_secret(path, kind, &st,
	    d)) < 0))
		goto cleanup;
	*size = (size_t)st.st_size;
cleanup:
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	if (dfd != AT_FDCWD)
		close(dfd);
	return rc;
}

/* changed - a file that is not the size it was a moment ago */
static int
changed(const char *path, const char *kind, struct diag *d)
{
	diag_error(d, path, "the %s changed while it was read; try again",
	    kind);
	return ERR_UNAVAIL;
}

/* file_read_named - open checked, read exactly the size seen */
int
file_read_named(const char *path, const char *kind, size_t max,
    unsigned flags, char **out, size_t *len, struct diag *d)
{
	char *data = NULL;
	size_t size, got = 0;
	ssize_t r;
	int fd, rc;

	*out = NULL;
	*len = 0;
	if (max >= SIZE_MAX)
		max = SIZE_MAX - 1;     /* room for the NUL */
	if ((rc = file_open_named(path, kind, max, flags, &fd, &size, d)) < 0)
		return rc;
	if ((data = malloc(size + 1)) == NULL) {
		diag_error(d, path, "out of memory reading the %s (%zu bytes)",
		    kind, size);
		rc = ERR_NOMEM;
		goto cleanup;
	}
	while (got < size) {
		r = read(fd, data + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cannot(path, "read", kind, errno, d);
			goto cleanup;
		}
		if (r == 0) {
			rc = changed(path, kind, d);
			goto cleanup;
		}
		got += (size_t)r;
	}
	/* One more byte: a file still being written would be cut short. */
	do
		r = read(fd, data + size, 1);
	while (r < 0 && errno == EINTR);
	if (r != 0) {
		rc = r < 0 ? cannot(path, "read", kind, errno, d) :
		    changed(path, kind, d);
		goto cleanup;
	}
	data[size] = '\0';
	*out = data;
	*len = size;
	data = NULL;
cleanup:
	free(data);
	close(fd);
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
