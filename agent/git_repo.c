/*
 * git_repo - find and create the repository a git sink works in
 *
 * DESCRIPTION
 *	libgit2 creates a repository in place and writes HEAD last, so a
 *	creation stopped by a kill or a full disk used to leave a
 *	directory that is neither empty nor a repository, and every later
 *	run refused it. Here a new repository is made in a temporary
 *	directory beside its path, synced and renamed into place: path is
 *	absent, or what it was, or a whole repository. The temporary
 *	directory is flocked by its maker; one whose lock is free belongs
 *	to a process that died and is removed by the next writer. A
 *	skeleton left by an older version (config, empty objects/ and refs/
 *	trees, no HEAD) holds nothing and is made anew; anything more is
 *	left alone and described.
 *
 *	When path is an empty directory that cannot be replaced (a mount
 *	point, or its parent is not writable), the repository is made in
 *	it directly, as before; should that be interrupted, the skeleton
 *	rule above recovers it.
 *
 *	Files written into another user's repository would belong to the
 *	wrong user and break the service that owns it, so writers are
 *	refused such a repository with a message naming its owner. Readers
 *	open it with libgit2's owner validation (git's safe.directory rule)
 *	lifted for the call.
 *
 *	A writer also removes what interrupted object writes left
 *	(git_tidy).
 *
 * DIAGNOSTICS
 *	Errors read "git_sink: PATH: what failed: why" (this module acts
 *	for git_sink_open). A skeleton made anew is a notice. Removing
 *	the temporary directories of dead processes is best effort: what
 *	cannot be removed is left, silently.
 */
#define _GNU_SOURCE     /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_repo.h"
#include "git_tidy.h"

#define NEW_INFIX ".splitsync-new-"     /* .NAME.splitsync-new-XXXXXX */
#define SCRATCH_NAME "splitsync-scratch-XXXXXX"
#define WALK_FDS 16             /* nftw's open directories */
#define LOCK_TRIES 8            /* new temporary names before giving up */

/* what is at a repository's path when libgit2 finds no repository */
enum spot {
	SPOT_ABSENT,
	SPOT_EMPTY,             /* an empty directory */
	SPOT_SKELETON,          /* an init stopped before HEAD: no data */
	SPOT_TAKEN              /* anything else: left alone */
};

static int put_in_place(const char *path, struct git_repo_new *fresh,
    int loud, struct diag *d);

/* lib_fail - record a libgit2 failure on what, return its code */
static int
lib_fail(struct diag *d, const char *path, const char *what)
{
	const git_error *e = git_error_last();

	diag_error(d, NULL, "git_sink: %s: %s: %s", path, what,
	    e && e->message ? e->message : "unknown error");
	return e && e->klass == GIT_ERROR_NOMEMORY ? ERR_NOMEM : ERR_IO;
}

/* sys_fail - record a failed system call on what, return ERR_IO */
static int
sys_fail(struct diag *d, const char *path, const char *what, int err)
{
	diag_error(d, NULL, "git_sink: %s: %s: %s", path, what,
	    strerror(err));
	return err == ENOMEM ? ERR_NOMEM : ERR_IO;
}

/* nomem - record an allocation failure, return ERR_NOMEM */
static int
nomem(struct diag *d, const char *path)
{
	diag_error(d, NULL, "git_sink: %s: out of memory", path);
	return ERR_NOMEM;
}

/* is_dot - "." or "..", which a directory listing skips */
static int
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* join - "a/b" (free()), NULL when out of memory */
static char *
join(const char *a, const char *b)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", a, b) < 0 ? NULL : p;
}

/* split_path - the parent directory and the last name of path, trailing
 * slashes ignored ("." for a name without a directory); both free() */
static int
split_path(const char *path, char **parent, char **base)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 1 && path[n - 1] == '/')
		n--;
	*parent = NULL;
	slash = memrchr(path, '/', n);
	if (slash == NULL)
		*parent = strdup(".");
	else if (slash == path)
		*parent = strdup("/");
	else
		*parent = strndup(path, (size_t)(slash - path));
	*base = strndup(slash ? slash + 1 : path,
	    n - (slash ? (size_t)(slash + 1 - path) : 0));
	if (*parent == NULL || *base == NULL) {
		free(*parent);
		free(*base);
		*parent = *base = NULL;
		return ERR_NOMEM;
	}
	return 0;
}

/* remove_one - nftw callback of rm_tree */
static int
remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

/* rm_tree - remove path and everything under it; -1 with errno */
static int
rm_tree(const char *path)
{
	return nftw(path, remove_one, WALK_FDS, FTW_DEPTH | FTW_PHYS);
}

/* sync_one - nftw callback of sync_tree: every file and directory */
static int
sync_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	int fd, rc;

	(void)f;
	if (flag != FTW_F && flag != FTW_D && flag != FTW_DP)
		return 0;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return 0;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* sync_tree - fsync everything under path; -1 with errno */
static int
sync_tree(const char *path)
{
	return nftw(path, sync_one, WALK_FDS, FTW_PHYS);
}

/* sync_dir - fsync a directory (a rename in it is durable) */
static int
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* lock_dir - open dir and flock it exclusively without waiting; the fd,
 * or -1 (errno EWOULDBLOCK: someone holds it) */
static int
lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* make_locked_dir - a new directory from a mkdtemp template (rewritten
 * in place), flocked: *fd. A cleaner may take a name between mkdtemp
 * and flock; such a name is given up for another. -1 with errno. */
static int
make_locked_dir(char *name, size_t len, const char *templ, int *fd)
{
	struct stat mine, there;
	int tries, err;

	for (tries = 0; tries < LOCK_TRIES; tries++) {
		snprintf(name, len, "%s", templ);
		if (mkdtemp(name) == NULL)
			return -1;
		if ((*fd = lock_dir(name)) < 0) {
			if (errno == EWOULDBLOCK)
				continue;       /* a cleaner has it */
			err = errno;
			(void)rmdir(name);
			errno = err;
			return -1;
		}
		if (fstat(*fd, &mine) == 0 && mine.st_nlink > 0 &&
		    stat(name, &there) == 0 && there.st_ino == mine.st_ino &&
		    there.st_dev == mine.st_dev)
			return 0;
		close(*fd);
	}
	errno = EAGAIN;
	return -1;
}

/* clean_stale - remove the temporary directories beside path whose
 * makers died (their lock is free), when they are ours */
static void
clean_stale(const char *parent, const char *base)
{
	struct buf prefix = BUF_INIT;
	struct dirent *de;
	struct stat st;
	char *full;
	DIR *dp;
	int fd;

	if (buf_printf(&prefix, ".%s" NEW_INFIX, base) < 0 ||
	    (dp = opendir(parent)) == NULL) {
		buf_free(&prefix);
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, prefix.data, prefix.len) != 0 ||
		    (full = join(parent, de->d_name)) == NULL)
			continue;
		if ((fd = lock_dir(full)) >= 0) {
			/* removed while locked: a new maker cannot have it */
			if (fstat(fd, &st) == 0 && st.st_uid == geteuid())
				(void)rm_tree(full);
			close(fd);
		}
		free(full);
	}
	closedir(dp);
	buf_free(&prefix);
}

/* only_dirs - rel (under root) holds directories only; else the first
 * other thing into found */
static int
only_dirs(const char *root, const char *rel, struct buf *found)
{
	struct dirent *de;
	struct stat st;
	char *dir = join(root, rel), *sub = NULL;
	DIR *dp = dir ? opendir(dir) : NULL;
	int ok = dp != NULL;

	while (ok && (de = readdir(dp)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		free(sub);
		if ((sub = join(rel, de->d_name)) == NULL) {
			ok = 0;
			break;
		}
		if (fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
			buf_reset(found);
			(void)buf_puts(found, sub);
			ok = 0;
		} else {
			ok = only_dirs(root, sub, found);
		}
	}
	if (dp)
		closedir(dp);
	free(sub);
	free(dir);
	return ok;
}

/* template_file - a file an init copies from its template: a hook
 * sample, info/exclude */
static int
template_file(const char *dir, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(dir, "hooks") == 0)
		return n > 7 && strcmp(name + n - 7, ".sample") == 0;
	return strcmp(name, "exclude") == 0;
}

/* templates_only - the directory rel of gitdir holds only files an init
 * puts there (else the first other one into found) */
static int
templates_only(const char *gitdir, const char *rel, struct buf *found)
{
	char *dir = join(gitdir, rel);
	DIR *dp = dir ? opendir(dir) : NULL;
	struct dirent *de;
	struct stat st;
	int ok = dp != NULL;

	while (ok && (de = readdir(dp)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if (fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    !template_file(rel, de->d_name)) {
			buf_reset(found);
			(void)buf_printf(found, "%s/%s", rel, de->d_name);
			ok = 0;
		}
	}
	if (dp)
		closedir(dp);
	free(dir);
	return ok;
}

/* skeleton_entry - one entry of a git directory is what an init makes
 * before HEAD (else its name, or what is under it, into found) */
static int
skeleton_entry(const char *gitdir, const char *name, const struct stat *st,
    struct buf *found)
{
	if ((strcmp(name, "config") == 0 || strcmp(name, "description") == 0)
	    && S_ISREG(st->st_mode))
		return 1;
	if (S_ISDIR(st->st_mode) && (strcmp(name, "objects") == 0 ||
	    strcmp(name, "refs") == 0 || strcmp(name, "branches") == 0))
		return only_dirs(gitdir, name, found);
	if (S_ISDIR(st->st_mode) && (strcmp(name, "hooks") == 0 ||
	    strcmp(name, "info") == 0))
		return templates_only(gitdir, name, found);
	buf_reset(found);
	(void)buf_puts(found, name);
	return 0;
}

/* classify_gitdir - a git directory without HEAD: a skeleton, or taken
 * (found names what it holds) */
static enum spot
classify_gitdir(const char *gitdir, const char *prefix, struct buf *found)
{
	struct buf what = BUF_INIT;
	struct dirent *de;
	struct stat st;
	enum spot spot = SPOT_SKELETON;
	DIR *dp = opendir(gitdir);

	if (dp == NULL)
		return SPOT_TAKEN;
	while (spot == SPOT_SKELETON && (de = readdir(dp)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if (fstatat(dirfd(dp), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 ||
		    !skeleton_entry(gitdir, de->d_name, &st, &what)) {
			buf_reset(found);
			(void)buf_printf(found, "%s%s", prefix, what.data ?
			    what.data : de->d_name);
			spot = SPOT_TAKEN;
		}
	}
	closedir(dp);
	buf_free(&what);
	return spot;
}

/* classify - what is at path, which libgit2 found no repository at;
 * found names what a taken directory holds; -1 with errno when path
 * cannot be examined */
static int
classify(const char *path, enum spot *spot, struct buf *found)
{
	struct dirent *de;
	struct stat st;
	char *gitdir;
	DIR *dp;
	int n = 0, has_git = 0;

	buf_reset(found);
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return -1;
		*spot = SPOT_ABSENT;
		return 0;
	}
	*spot = SPOT_TAKEN;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		n++;
		if (strcmp(de->d_name, ".git") == 0)
			has_git = 1;
		else if (found->len == 0)
			(void)buf_puts(found, de->d_name);
	}
	closedir(dp);
	if (n == 0) {
		*spot = SPOT_EMPTY;
		return 0;
	}
	if (has_git && n > 1)
		return 0;       /* a work tree with files: taken */
	gitdir = has_git ? join(path, ".git") : strdup(path);
	if (gitdir == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (fstatat(AT_FDCWD, gitdir, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		char *head = join(gitdir, "HEAD");

		if (head && lstat(head, &st) < 0 && errno == ENOENT)
			*spot = classify_gitdir(gitdir, has_git ? ".git/" : "",
			    found);
		else
			(void)buf_puts(found, "HEAD");
		free(head);
	}
	free(gitdir);
	return 0;
}

/* clear_dir - remove everything in dir, keep dir */
static int
clear_dir(const char *dir)
{
	struct dirent *de;
	char *sub;
	DIR *dp = opendir(dir);
	int rc = 0;

	if (dp == NULL)
		return -1;
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if ((sub = join(dir, de->d_name)) == NULL) {
			errno = ENOMEM;
			rc = -1;
			break;
		}
		rc = rm_tree(sub);
		free(sub);
	}
	closedir(dp);
	return rc;
}

/* mkdir_parents - make dir and the directories above it */
static int
mkdir_parents(const char *dir)
{
	char *p = strdup(dir), *q;
	int rc = 0;

	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (q = p + 1; rc == 0; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		if (q[-1] != '/') {
			char c = *q;

			*q = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				rc = -1;
			*q = c;
		}
		if (*q == '\0')
			break;
	}
	free(p);
	return rc;
}

/* init_at - a new repository in the empty (or absent) directory dir */
static int
init_at(const char *dir, int bare, const char *branch, const char *path,
    git_repository **out, struct diag *d)
{
	git_repository_init_options o;

	if (git_repository_init_options_init(&o,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0)
		return lib_fail(d, path, "cannot create repository");
	o.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT |
	    (bare ? GIT_REPOSITORY_INIT_BARE : 0);
	o.initial_head = branch;
	if (git_repository_init_ext(out, dir, &o) < 0)
		return lib_fail(d, path, "cannot create repository");
	return 0;
}

/* user_name - the name of uid into buf, or its number */
static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

/* check_owner - a writer's repository must be the running user's: its
 * git directory and its work tree */
static int
check_owner(git_repository *repo, const char *path, struct diag *d)
{
	const char *dirs[2];
	char owner[64], me[64];
	struct stat st;
	size_t i;

	dirs[0] = git_repository_path(repo);
	dirs[1] = git_repository_workdir(repo);
	for (i = 0; i < 2; i++) {
		if (dirs[i] == NULL || stat(dirs[i], &st) < 0 ||
		    st.st_uid == geteuid())
			continue;
		user_name(st.st_uid, owner, sizeof owner);
		user_name(geteuid(), me, sizeof me);
		diag_error(d, NULL, "git_sink: %s: the repository belongs to "
		    "%s, not to %s who runs this (files written here would "
		    "belong to %s): run splitsync as %s (sudo -u %s splitsync "
		    "...), or, if the repository should be %s's, chown -R %s "
		    "%s", path, owner, me, me, owner, owner, me, me, path);
		return ERR_IO;
	}
	return 0;
}

/* open_any_owner - open path with libgit2's owner check lifted */
static int
open_any_owner(git_repository **out, const char *path)
{
	int was = 1, rc;

	if (git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &was) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) < 0)
		return -1;
	rc = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL);
	(void)git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, was);
	return rc;
}

/* open_existing - open the repository at path for mode; *missing set
 * (nothing recorded) when there is none */
static int
open_existing(const char *path, enum git_sink_mode mode,
    git_repository **out, int *missing, struct diag *d)
{
	struct buf why = BUF_INIT;
	const git_error *e;
	int rc;

	*missing = 0;
	if (mode == GIT_SINK_READ) {
		rc = open_any_owner(out, path);
		if (rc == GIT_ENOTFOUND)
			*missing = 1;
		return rc == 0 || *missing ? 0 :
		    lib_fail(d, path, "cannot open repository");
	}
	rc = git_repository_open_ext(out, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL);
	if (rc == 0) {
		if ((rc = check_owner(*out, path, d)) < 0) {
			git_repository_free(*out);
			*out = NULL;
			return rc;
		}
		/* a dry run removes nothing */
		if (mode != GIT_SINK_SCRATCH)
			git_tidy_objects(*out, path, d);
		return 0;
	}
	/* libgit2's owner check fails with a misleading message (not
	 * even GIT_EOWNER in every version): look for ourselves */
	e = git_error_last();
	(void)buf_puts(&why, e && e->message ? e->message : "unknown error");
	if (open_any_owner(out, path) == 0) {
		rc = check_owner(*out, path, d);
		git_repository_free(*out);
		*out = NULL;
		if (rc < 0)
			goto cleanup;
		rc = GIT_ERROR;
	} else if (rc == GIT_ENOTFOUND) {
		*missing = 1;
		rc = 0;
		goto cleanup;
	}
	diag_error(d, NULL, "git_sink: %s: cannot open repository: %s", path,
	    why.data ? why.data : "");
	rc = ERR_IO;
cleanup:
	buf_free(&why);
	return rc;
}

/* replaceable - an empty directory at path can be swapped for a new
 * one by rename: its parent is writable and it is no mount point */
static int
replaceable(const char *path, const char *parent)
{
	struct stat a, b;

	return access(parent, W_OK) == 0 && stat(path, &a) == 0 &&
	    stat(parent, &b) == 0 && a.st_dev == b.st_dev;
}

/* create_scratch - a throwaway repository under $TMPDIR */
static int
create_scratch(const char *path, const char *base, int bare,
    const char *branch, git_repository **out, struct git_repo_new *fresh,
    struct diag *d)
{
	const char *tmp = getenv("TMPDIR");
	struct buf b = BUF_INIT;
	int rc;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (buf_printf(&b, "%s/" SCRATCH_NAME, tmp) < 0)
		return nomem(d, path);
	if (mkdtemp(b.data) == NULL) {
		rc = sys_fail(d, path, "cannot make a scratch directory",
		    errno);
		buf_free(&b);
		return rc;
	}
	fresh->remove = buf_steal(&b);
	fresh->scratch = 1;
	if ((fresh->dir = join(fresh->remove, base)) == NULL)
		return nomem(d, path);
	return init_at(fresh->dir, bare, branch, path, out, d);
}

/* create_beside - a new repository under a temporary name beside path;
 * with mode GIT_SINK_CREATE renamed into place at once */
static int
create_beside(const char *path, const char *parent, const char *base,
    int bare, const char *branch, enum git_sink_mode mode,
    git_repository **out, struct git_repo_new *fresh, struct diag *d)
{
	struct buf templ = BUF_INIT;
	char *name = NULL;
	int rc;

	if (mkdir_parents(parent) < 0)
		return sys_fail(d, path, "cannot create repository", errno);
	if (buf_printf(&templ, "%s/.%s" NEW_INFIX "XXXXXX", parent, base) < 0 ||
	    (name = malloc(templ.len + 1)) == NULL) {
		rc = nomem(d, path);
		goto cleanup;
	}
	if (make_locked_dir(name, templ.len + 1, templ.data,
	    &fresh->lock) < 0) {
		rc = sys_fail(d, path, "cannot create repository", errno);
		free(name);
		goto cleanup;
	}
	fresh->dir = fresh->remove = name;
	rc = init_at(name, bare, branch, path, out, d);
	if (rc == 0 && sync_tree(name) < 0)
		rc = sys_fail(d, path, "cannot create repository", errno);
	if (rc < 0 || mode == GIT_SINK_STAGE)
		goto cleanup;
	git_repository_free(*out);
	*out = NULL;
	rc = put_in_place(path, fresh, 0, d);
	if (rc == ERR_MOVED)
		rc = 0;         /* made by someone else meanwhile: theirs */
cleanup:
	buf_free(&templ);
	return rc;
}

/* create - make the repository path lacks, as mode says */
static int
create(const char *path, int bare, const char *branch,
    enum git_sink_mode mode, git_repository **out,
    struct git_repo_new *fresh, struct diag *d)
{
	struct buf found = BUF_INIT;
	char *parent = NULL, *base = NULL;
	enum spot spot;
	int rc;

	if ((rc = split_path(path, &parent, &base)) < 0) {
		rc = nomem(d, path);
		goto cleanup;
	}
	if (classify(path, &spot, &found) < 0) {
		rc = sys_fail(d, path, "cannot create repository", errno);
		goto cleanup;
	}
	if (spot == SPOT_TAKEN) {
		if (found.len && strcmp(found.data, "HEAD") != 0)
			diag_error(d, NULL, "git_sink: %s: cannot create "
			    "repository: the directory is neither empty nor a "
			    "repository (it holds %s); left as it is: restore "
			    "what is missing, or move it away", path,
			    found.data);
		else
			diag_error(d, NULL, "git_sink: %s: cannot open "
			    "repository: not a valid repository", path);
		rc = ERR_IO;
		goto cleanup;
	}
	if (mode == GIT_SINK_SCRATCH) {
		/* a dry run changes nothing at path, a skeleton included */
		rc = create_scratch(path, base, bare, branch, out, fresh, d);
		goto cleanup;
	}
	if (spot == SPOT_SKELETON) {
		diag_add(d, DIAG_NOTICE, DIAG_GENERAL, NULL, "git_sink: %s: "
		    "an interrupted creation (a git directory without HEAD, "
		    "objects or refs) is made anew", path);
		if (clear_dir(path) < 0) {
			rc = sys_fail(d, path, "cannot remove the unfinished "
			    "repository", errno);
			goto cleanup;
		}
		spot = SPOT_EMPTY;
	}
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    strcmp(base, "/") == 0 ||
	    (spot == SPOT_EMPTY && !replaceable(path, parent)))
		rc = init_at(path, bare, branch, path, out, d);
	else
		rc = create_beside(path, parent, base, bare, branch, mode, out,
		    fresh, d);
cleanup:
	buf_free(&found);
	free(parent);
	free(base);
	return rc;
}

/* git_repo_new_init - nothing made yet */
void
git_repo_new_init(struct git_repo_new *fresh)
{
	fresh->dir = NULL;
	fresh->remove = NULL;
	fresh->lock = -1;
	fresh->scratch = 0;
}

/* git_repo_open - open or create the repository for a mode */
int
git_repo_open(const char *path, int bare, const char *branch,
    enum git_sink_mode mode, git_repository **out,
    struct git_repo_new *fresh, struct diag *d)
{
	char *parent = NULL, *base = NULL;
	int rc, missing;

	*out = NULL;
	if (mode != GIT_SINK_READ && mode != GIT_SINK_SCRATCH &&
	    split_path(path, &parent, &base) == 0)
		clean_stale(parent, base);
	free(parent);
	free(base);
	rc = open_existing(path, mode, out, &missing, d);
	if (rc < 0 || !missing)
		return rc;
	if (mode == GIT_SINK_READ)
		return ERR_NOTFOUND;
	rc = create(path, bare, branch, mode, out, fresh, d);
	/* put in place already: opened as any other */
	if (rc == 0 && *out == NULL) {
		rc = open_existing(path, mode, out, &missing, d);
		if (rc == 0 && missing)
			rc = sys_fail(d, path, "cannot open repository",
			    ENOENT);
	}
	if (rc < 0) {
		git_repository_free(*out);
		*out = NULL;
		git_repo_drop(fresh);
	}
	return rc;
}

/* git_repo_has_branch - whether repo has any branch */
int
git_repo_has_branch(git_repository *repo, const char *path, int *any,
    struct diag *d)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc;

	*any = 0;
	if (git_reference_iterator_glob_new(&it, repo, "refs/heads/*") < 0)
		return lib_fail(d, path, "cannot list branches");
	rc = git_reference_next(&ref, it);
	git_reference_free(ref);
	git_reference_iterator_free(it);
	if (rc == 0)
		*any = 1;
	else if (rc != GIT_ITEROVER)
		return lib_fail(d, path, "cannot list branches");
	return 0;
}

/* put_in_place - rename the new repository to path, durably;
 * ERR_MOVED (recorded only when loud) when path was made meanwhile.
 * fresh is released either way: kept, or dropped. */
static int
put_in_place(const char *path, struct git_repo_new *fresh, int loud,
    struct diag *d)
{
	char *parent = NULL, *base = NULL;
	int rc = 0, renamed = 0;

	if (split_path(path, &parent, &base) < 0)
		rc = nomem(d, path);
	/* what libgit2 wrote there reaches the disk before the name does */
	else if (syncfs(fresh->lock) < 0)
		rc = sys_fail(d, path, "cannot sync the new repository", errno);
	else if (rename(fresh->dir, path) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			rc = sys_fail(d, path, "cannot put the new repository "
			    "in place", errno);
		else if (loud) {
			diag_error(d, NULL, "git_sink: %s: another process "
			    "created the repository meanwhile; what this run "
			    "made is dropped: run again", path);
			rc = ERR_MOVED;
		} else
			rc = ERR_MOVED;
	} else {
		renamed = 1;
		if (sync_dir(parent) < 0)
			rc = sys_fail(d, path, "cannot sync its directory",
			    errno);
	}
	free(parent);
	free(base);
	if (renamed) {
		close(fresh->lock);
		free(fresh->dir);
		git_repo_new_init(fresh);
	} else {
		git_repo_drop(fresh);
	}
	return rc;
}

/* git_repo_keep - the new repository into place */
int
git_repo_keep(const char *path, struct git_repo_new *fresh, struct diag *d)
{
	if (fresh->dir == NULL)
		return 0;
	if (fresh->scratch) {
		diag_error(d, NULL, "git_sink: %s: a scratch repository is "
		    "never kept", path);
		return ERR_INVAL;
	}
	return put_in_place(path, fresh, 1, d);
}

/* git_repo_drop - remove what was not kept */
void
git_repo_drop(struct git_repo_new *fresh)
{
	if (fresh->remove)
		(void)rm_tree(fresh->remove);
	if (fresh->lock >= 0)
		close(fresh->lock);
	if (fresh->remove != fresh->dir)
		free(fresh->remove);
	free(fresh->dir);
	git_repo_new_init(fresh);
}
