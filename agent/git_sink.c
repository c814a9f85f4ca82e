/*
 * git_sink - commit generated files to a git repository (libgit2)
 *
 * DESCRIPTION
 *	The repository is the audit log of every routing change, so the
 *	order of writes matters: blobs and trees first, then the commit,
 *	then the branch, moved by compare-and-swap against the head read
 *	earlier. With fsync of the git directory on, a crash at any point
 *	leaves the branch at the old or at the new commit; objects written
 *	by an interrupted run are unreferenced and harmless.
 *
 *	The sink is one module in several files, one seam each (see
 *	git_int.h): this one opens the repository, remembers the branch
 *	head, and answers what the head and any commit say of themselves.
 *	Where the repository is and how a missing one is made (under a
 *	temporary name, renamed into place) is git_repo's concern; keeping
 *	a work tree equal to the branch after each move is git_worktree's.
 *
 * DIAGNOSTICS
 *	Every failure leaves "git_sink: PATH: what failed: why" in the
 *	diag (PATH is the remote's URL for remote operations), why being
 *	libgit2's message when libgit2 failed or the remote's reason when
 *	it refused a ref. ERR_NOTFOUND from git_sink_read, git_sink_read_at,
 *	git_sink_head, git_sink_branch_head and git_sink_fetch is an answer,
 *	not a failure, and records nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_repo.h"
#include "git_sink.h"

/* git_sink__lib_fail - record a libgit2 failure on what, return its code */
int
git_sink__lib_fail(struct diag *d, const char *path, const char *what)
{
	const git_error *e = git_error_last();

	diag_error(d, NULL, "git_sink: %s: %s: %s", path, what,
	    e && e->message ? e->message : "unknown error");
	return e && e->klass == GIT_ERROR_NOMEMORY ? ERR_NOMEM : ERR_IO;
}

/* git_sink__inval - record a refused argument, return ERR_INVAL */
int
git_sink__inval(struct diag *d, const char *path, const char *what)
{
	diag_error(d, NULL, "git_sink: %s: %s", path ? path : "(null)", what);
	return ERR_INVAL;
}

/* git_sink__nomem - record an allocation failure, return ERR_NOMEM */
int
git_sink__nomem(struct diag *d, const char *path)
{
	diag_error(d, NULL, "git_sink: %s: out of memory", path);
	return ERR_NOMEM;
}

/* git_sink__sys_fail - record a failed system call, return its code */
int
git_sink__sys_fail(struct diag *d, const char *path, const char *what)
{
	int err = errno;

	diag_error(d, NULL, "git_sink: %s: %s: %s", path, what,
	    strerror(err));
	return err == ENOMEM ? ERR_NOMEM : ERR_IO;
}

/* git_sink__path_problem - why path cannot be a file in the tree */
const char *
git_sink__path_problem(const char *path)
{
	const char *p, *c;
	size_t n;

	if (path == NULL || *path == '\0')
		return "empty path";
	if (*path == '/')
		return "absolute path";
	if (strlen(path) > GIT_SINK_PATH_MAX)
		return "path too long";
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "control character in path";
	for (c = path;; c += n + 1) {
		n = strcspn(c, "/");
		if (n == 0)
			return "empty path component";
		if ((n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return "'.' or '..' path component";
		if (n == 4 && !strncasecmp(c, ".git", 4))
			return "'.git' path component";
		if (c[n] == '\0')
			return NULL;
	}
}

/* cmp_file - order files by path, byte-wise */
static int
cmp_file(const void *a, const void *b)
{
	const struct git_sink_file *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* find_path - whether the sorted v holds exactly the path key[0..len) */
static int
find_path(const struct git_sink_file **v, size_t n, const char *key,
    size_t len)
{
	size_t lo = 0, hi = n, mid;
	const char *t;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		t = v[mid]->path;
		r = strncmp(key, t, len);
		if (r == 0)
			r = t[len] == '\0' ? 0 : -1;
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* git_sink__sorted_files - the files checked and sorted by path */
int
git_sink__sorted_files(const struct git_sink_file *files, size_t n,
    const struct git_sink_file ***out, struct diag *d)
{
	const struct git_sink_file **v;
	const char *why, *p;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && files == NULL)
		return git_sink__inval(d, "(files)", "no file array");
	v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return git_sink__nomem(d, "(files)");
	for (i = 0; i < n; i++) {
		if ((why = git_sink__path_problem(files[i].path)) != NULL) {
			rc = git_sink__inval(d, files[i].path, why);
			goto cleanup;
		}
		if (files[i].data == NULL && files[i].len > 0) {
			rc = git_sink__inval(d, files[i].path, "no data");
			goto cleanup;
		}
		v[i] = &files[i];
	}
	qsort(v, n, sizeof *v, cmp_file);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i - 1]->path, v[i]->path) == 0) {
			rc = git_sink__inval(d, v[i]->path, "duplicate path");
			goto cleanup;
		}
		for (p = strchr(v[i]->path, '/'); p; p = strchr(p + 1, '/'))
			if (find_path(v, n, v[i]->path,
			    (size_t)(p - v[i]->path))) {
				rc = git_sink__inval(d, v[i]->path, "a parent "
				    "directory is also given as a file");
				goto cleanup;
			}
	}
cleanup:
	if (rc < 0)
		free(v);
	else
		*out = v;
	return rc;
}

/* git_sink__read_head - (re)read the branch head; absent is unborn */
int
git_sink__read_head(struct git_sink *s, struct diag *d)
{
	git_oid id;
	int rc;

	rc = git_reference_name_to_id(&id, s->repo, s->refname);
	if (rc == GIT_ENOTFOUND) {
		s->has_head = 0;
		return 0;
	}
	if (rc < 0)
		return git_sink__lib_fail(d, s->path, "cannot read branch");
	s->head = id;
	s->has_head = 1;
	return 0;
}

/* git_sink__load_head - the head commit and its tree */
int
git_sink__load_head(struct git_sink *s, git_commit **commit, git_tree **tree,
    struct diag *d)
{
	int rc = 0;

	*commit = NULL;
	*tree = NULL;
	if (!s->has_head)
		return 0;
	if (git_commit_lookup(commit, s->repo, &s->head) < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read head commit");
		goto cleanup;
	}
	if (git_commit_tree(tree, *commit) < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read head tree");
		goto cleanup;
	}
cleanup:
	if (rc < 0) {
		git_commit_free(*commit);
		*commit = NULL;
	}
	return rc;
}

/* git_sink__lookup_commit - the commit named by hex; a malformed id, or
 * one that names no commit here, is the caller's mistake: ERR_INVAL */
int
git_sink__lookup_commit(struct git_sink *s, const char *hex,
    git_commit **out, struct diag *d)
{
	git_oid id;
	int rc;

	*out = NULL;
	if (hex == NULL || strlen(hex) != GIT_OID_HEXSZ ||
	    strspn(hex, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&id, hex) < 0)
		return git_sink__inval(d, hex, "not a commit id");
	rc = git_commit_lookup(out, s->repo, &id);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
		diag_error(d, NULL, "git_sink: %s: %s: no such commit", s->path,
		    hex);
		return ERR_INVAL;
	}
	if (rc < 0)
		return git_sink__lib_fail(d, hex, "cannot read commit");
	return 0;
}

/* git_sink__branch_ref - "refs/heads/BRANCH" for a valid branch name;
 * the deploy branch only when deploy_ok */
int
git_sink__branch_ref(struct git_sink *s, const char *branch, int deploy_ok,
    struct buf *ref, struct diag *d)
{
	int valid = 0;

	if (branch == NULL || strncmp(branch, "refs/", 5) == 0 ||
	    git_branch_name_is_valid(&valid, branch) < 0 || !valid)
		return git_sink__inval(d, branch, "invalid branch name");
	if (!deploy_ok && strcmp(branch, s->branch) == 0)
		return git_sink__inval(d, branch, "the deploy branch moves "
		    "only by compare-and-swap");
	if (buf_puts(ref, GIT_SINK_REF_PREFIX) < 0 || buf_puts(ref, branch) < 0)
		return git_sink__nomem(d, branch);
	return 0;
}

/* copy_message - the message of commit into *out (free()) */
static int
copy_message(struct git_sink *s, const git_commit *commit, char **out,
    struct diag *d)
{
	const char *msg = git_commit_message(commit);

	*out = strdup(msg ? msg : "");
	return *out ? 0 : git_sink__nomem(d, s->path);
}

/* git_sink_head_message - the head commit's message, copied */
int
git_sink_head_message(struct git_sink *s, char **out, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	int rc;

	*out = NULL;
	if (!s->has_head)
		return ERR_NOTFOUND;
	git_error_clear();
	rc = git_sink__load_head(s, &commit, &tree, d);
	if (rc == 0)
		rc = copy_message(s, commit, out, d);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* git_sink_message_at - the message of any commit, copied */
int
git_sink_message_at(struct git_sink *s, const char *commit_hex, char **out,
    struct diag *d)
{
	git_commit *commit = NULL;
	int rc;

	*out = NULL;
	git_error_clear();
	if ((rc = git_sink__lookup_commit(s, commit_hex, &commit, d)) == 0)
		rc = copy_message(s, commit, out, d);
	git_commit_free(commit);
	return rc;
}

/* git_sink_info_clear - release what git_sink_commit_info filled */
void
git_sink_info_clear(struct git_sink_info *info)
{
	free(info->message);
	free(info->author_email);
	free(info->committer_email);
	memset(info, 0, sizeof *info);
}

/* git_sink_commit_info - first parent, signatures and message */
int
git_sink_commit_info(struct git_sink *s, const char *commit_hex,
    struct git_sink_info *info, struct diag *d)
{
	git_commit *commit = NULL;
	const git_signature *a, *c;
	int rc;

	memset(info, 0, sizeof *info);
	git_error_clear();
	if ((rc = git_sink__lookup_commit(s, commit_hex, &commit, d)) < 0)
		goto cleanup;
	if (git_commit_parentcount(commit) > 0)
		git_oid_tostr(info->parent, sizeof info->parent,
		    git_commit_parent_id(commit, 0));
	a = git_commit_author(commit);
	c = git_commit_committer(commit);
	rc = copy_message(s, commit, &info->message, d);
	if (rc == 0 && ((info->author_email = strdup(a && a->email ?
	    a->email : "")) == NULL || (info->committer_email = strdup(c &&
	    c->email ? c->email : "")) == NULL))
		rc = git_sink__nomem(d, s->path);
cleanup:
	if (rc < 0)
		git_sink_info_clear(info);
	git_commit_free(commit);
	return rc;
}

/* git_sink_trailers - each trailer of a message, as git parses them */
int
git_sink_trailers(const char *message, git_sink_trailer_fn fn, void *ctx,
    struct diag *d)
{
	git_message_trailer_array arr = { NULL, 0, NULL };
	size_t i;
	int rc = 0;

	if (message == NULL)
		return git_sink__inval(d, "(message)", "no message");
	/* libgit2's allocator is set up by its initialization */
	if (git_libgit2_init() < 0)
		return git_sink__lib_fail(d, "(message)",
		    "cannot initialize libgit2");
	git_error_clear();
	if (git_message_trailers(&arr, message) < 0) {
		rc = git_sink__lib_fail(d, "(message)", "cannot read trailers");
		goto cleanup;
	}
	for (i = 0; rc == 0 && i < arr.count; i++)
		rc = fn(arr.trailers[i].key, arr.trailers[i].value, ctx);
cleanup:
	git_message_trailer_array_free(&arr);
	git_libgit2_shutdown();
	return rc;
}

/* open_repo - open (or create, as s->mode says) the repository of s */
static int
open_repo(struct git_sink *s, struct diag *d)
{
	git_buf dir = GIT_BUF_INIT;
	int rc;

	rc = git_repo_open(s->path, s->bare, s->branch, s->mode, &s->repo,
	    &s->fresh, d);
	if (rc < 0)
		return rc;
	if (git_repository_odb(&s->odb, s->repo) < 0 ||
	    git_repository_item_path(&dir, s->repo,
	    GIT_REPOSITORY_ITEM_OBJECTS) < 0)
		return git_sink__lib_fail(d, s->path,
		    "cannot open object database");
	free(s->objects);
	if ((s->objects = strdup(dir.ptr)) == NULL)
		rc = git_sink__nomem(d, s->path);
	git_buf_dispose(&dir);
	return rc;
}

/* git_sink_open - open or create the repository, read the branch head */
int
git_sink_open(const char *path, int bare, const char *branch,
    struct git_sink **out, struct diag *d)
{
	return git_sink_open_ext(path, bare, branch, GIT_SINK_CREATE, out, d);
}

/* git_sink_open_ext - open the repository as mode says, read the head */
int
git_sink_open_ext(const char *path, int bare, const char *branch,
    enum git_sink_mode mode, struct git_sink **out, struct diag *d)
{
	struct git_sink *s = NULL;
	struct buf ref = BUF_INIT;
	int rc = 0, valid = 0;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return git_sink__inval(d, "(repository)",
		    "empty repository path");
	if (git_libgit2_init() < 0)
		return git_sink__lib_fail(d, path, "cannot initialize libgit2");
	git_error_clear();
	if ((s = calloc(1, sizeof *s)) == NULL) {
		rc = git_sink__nomem(d, path);
		goto cleanup;
	}
	s->mode = mode;
	s->bare = bare;
	git_repo_new_init(&s->fresh);
	if (branch == NULL || strncmp(branch, "refs/", 5) == 0 ||
	    git_branch_name_is_valid(&valid, branch) < 0 || !valid) {
		rc = git_sink__inval(d, branch, "invalid branch name");
		goto cleanup;
	}
	/* every ref write reaches the disk before we go on; objects are
	 * synced by the object writer (git_pack) */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0) {
		rc = git_sink__lib_fail(d, path, "cannot enable fsync");
		goto cleanup;
	}
	if (buf_puts(&ref, GIT_SINK_REF_PREFIX) < 0 ||
	    buf_puts(&ref, branch) < 0 ||
	    (s->refname = buf_steal(&ref)) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    (s->branch = strdup(branch)) == NULL) {
		rc = git_sink__nomem(d, path);
		goto cleanup;
	}
	if ((rc = open_repo(s, d)) < 0)
		goto cleanup;
	rc = git_sink__read_head(s, d);
cleanup:
	buf_free(&ref);
	if (rc == 0)
		*out = s;
	else if (s)
		git_sink_close(s);      /* shuts libgit2 down as well */
	else
		git_libgit2_shutdown();
	return rc;
}

/* git_sink_keep - a repository made under a temporary name into place */
int
git_sink_keep(struct git_sink *s, struct diag *d)
{
	int rc, any;

	git_error_clear();
	if (s->fresh.dir == NULL)
		return 0;
	if (s->fresh.scratch)
		return git_sink__inval(d, s->path,
		    "a scratch repository is never kept");
	if ((rc = git_repo_has_branch(s->repo, s->path, &any, d)) < 0 || !any)
		return rc;
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	s->odb = NULL;
	s->repo = NULL;
	rc = git_repo_keep(s->path, &s->fresh, d);
	/* now an existing repository, opened as any other */
	rc = rc ? rc : open_repo(s, d);
	return rc ? rc : git_sink__read_head(s, d);
}

/* git_sink_close - release the repository and libgit2 */
void
git_sink_close(struct git_sink *s)
{
	if (s == NULL)
		return;
	if (s->zs_ready)
		deflateEnd(&s->zs);
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	git_repo_drop(&s->fresh);
	free(s->objects);
	free(s->path);
	free(s->branch);
	free(s->refname);
	free(s);
	git_libgit2_shutdown();
}

/* git_sink_refresh - re-read the branch head */
int
git_sink_refresh(struct git_sink *s, struct diag *d)
{
	git_error_clear();
	return git_sink__read_head(s, d);
}

/* git_sink_head - the head commit id in hex */
int
git_sink_head(struct git_sink *s, char oid_hex[41])
{
	if (!s->has_head) {
		oid_hex[0] = '\0';
		return ERR_NOTFOUND;
	}
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &s->head);
	return 0;
}
