/*
 * git_tidy - what interrupted object writes leave in a repository
 *
 * DESCRIPTION
 *	libgit2 writes a pack to objects/pack/pack_git2_XXXXXX and renames
 *	it when it is whole; a loose object goes through
 *	objects/tmp_object_git2_XXXXXX the same way; git's own writers and
 *	the sink's (git_pack) use tmp_pack_ and tmp_idx_, and the sink's
 *	loose objects objects/tmp_obj_. A process killed meanwhile leaves the
 *	temporary behind for good. Writers of splitsync hold the lock file
 *	shared while they write a pack; a temporary is removed only while
 *	the cleaner holds it exclusively and once nothing has touched the
 *	file for TIDY_AGE seconds (a write by another program holds no
 *	lock, but does not pause that long).
 *
 * DIAGNOSTICS
 *	git_tidy_objects never fails: what it cannot examine or remove is
 *	left. A notice counts what it removed. git_tidy_pack_lock reports
 *	"git_sink: PATH: cannot lock splitsync-pack.lock: why".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_tidy.h"

#define TIDY_AGE 60             /* seconds a temporary must be untouched */

/* open_lock - the lock file of repo, created when missing; -1 */
static int
open_lock(git_repository *repo)
{
	struct buf path = BUF_INIT;
	int fd = -1;

	if (buf_printf(&path, "%s%s", git_repository_path(repo),
	    GIT_TIDY_PACK_LOCK) == 0)
		fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	else
		errno = ENOMEM;
	buf_free(&path);
	return fd;
}

/* tidy_dir - remove the files of dir whose names start with one of
 * prefixes and that were not touched for TIDY_AGE seconds */
static void
tidy_dir(const char *dir, const char *const *prefixes, size_t *n,
    unsigned long long *bytes)
{
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	DIR *dp = opendir(dir);
	size_t i;

	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		for (i = 0; prefixes[i]; i++)
			if (strncmp(de->d_name, prefixes[i],
			    strlen(prefixes[i])) == 0)
				break;
		if (prefixes[i] == NULL || fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    now - st.st_mtime < TIDY_AGE ||
		    unlinkat(dirfd(dp), de->d_name, 0) < 0)
			continue;
		(*n)++;
		*bytes += (unsigned long long)st.st_size;
	}
	closedir(dp);
}

/* git_tidy_objects - remove stale temporaries when no pack is written */
void
git_tidy_objects(git_repository *repo, const char *path, struct diag *d)
{
	static const char *const in_pack[] = {
		"pack_git2_", "tmp_pack_", "tmp_idx_", NULL
	};
	static const char *const in_objects[] = {
		"tmp_object_git2_", "tmp_obj_", NULL
	};
	git_buf objects = GIT_BUF_INIT;
	struct buf pack = BUF_INIT;
	unsigned long long bytes = 0;
	size_t n = 0;
	int fd = open_lock(repo);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		goto cleanup;   /* a pack is being written: another time */
	if (git_repository_item_path(&objects, repo,
	    GIT_REPOSITORY_ITEM_OBJECTS) < 0 ||
	    buf_printf(&pack, "%spack", objects.ptr) < 0)
		goto cleanup;
	tidy_dir(pack.data, in_pack, &n, &bytes);
	tidy_dir(objects.ptr, in_objects, &n, &bytes);
	if (n > 0)
		diag_add(d, DIAG_NOTICE, DIAG_GENERAL, NULL, "git_sink: %s: "
		    "removed %zu temporary files of interrupted writes (%llu "
		    "bytes)", path, n, bytes);
cleanup:
	if (fd >= 0)
		close(fd);
	git_buf_dispose(&objects);
	buf_free(&pack);
}

/* git_tidy_pack_lock - shared: pack writers exclude only the cleaner */
int
git_tidy_pack_lock(git_repository *repo, const char *path, int *fd,
    struct diag *d)
{
	int err;

	*fd = open_lock(repo);
	if (*fd >= 0 && flock(*fd, LOCK_SH) == 0)
		return 0;
	err = errno;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	diag_error(d, NULL, "git_sink: %s: cannot lock " GIT_TIDY_PACK_LOCK
	    ": %s", path, strerror(err));
	return err == ENOMEM ? ERR_NOMEM : ERR_IO;
}

/* git_tidy_pack_unlock - release the pack writers' lock */
void
git_tidy_pack_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
