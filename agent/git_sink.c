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
 *	The tables can be large, so blobs are made straight from the
 *	caller's buffers, and a file whose size and hash match the head's
 *	blob is not written again; a directory whose entries all match the
 *	head's is not written either, so an unchanged tree costs no write.
 *
 * DIAGNOSTICS
 *	Every failure leaves "git_sink: PATH: what failed: why" in the
 *	diag, why being libgit2's message when libgit2 failed. ERR_NOTFOUND
 *	from git_sink_read and git_sink_head is an answer, not a failure,
 *	and records nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"

#define REF_PREFIX "refs/heads/"
#define PATH_MAX_LEN 4096       /* longer paths are refused */

struct git_sink {
	git_repository *repo;
	git_odb *odb;
	char *path;             /* repository path as given, for messages */
	char *branch;           /* "main" */
	char *refname;          /* "refs/heads/main" */
	git_oid head;           /* valid when has_head */
	int has_head;
};

/* one non-directory entry of the head tree, for git_sink_diff */
struct leaf {
	char *path;
	git_oid id;
	int blob;               /* 0 for a submodule link */
};

struct leaves {
	struct leaf *v;
	size_t n;
	size_t cap;
	int rc;                 /* our error code when the walk was stopped */
};

/* lib_fail - record a libgit2 failure on what, return its code */
static int
lib_fail(struct diag *d, const char *path, const char *what)
{
	const git_error *e = git_error_last();

	diag_error(d, NULL, "git_sink: %s: %s: %s", path, what,
	    e && e->message ? e->message : "unknown error");
	return e && e->klass == GIT_ERROR_NOMEMORY ? ERR_NOMEM : ERR_IO;
}

/* inval - record a refused argument, return ERR_INVAL */
static int
inval(struct diag *d, const char *path, const char *what)
{
	diag_error(d, NULL, "git_sink: %s: %s", path ? path : "(null)", what);
	return ERR_INVAL;
}

/* nomem - record an allocation failure, return ERR_NOMEM */
static int
nomem(struct diag *d, const char *path)
{
	diag_error(d, NULL, "git_sink: %s: out of memory", path);
	return ERR_NOMEM;
}

/* path_problem - why path cannot be a file in the tree, or NULL */
static const char *
path_problem(const char *path)
{
	const char *p, *c;
	size_t n;

	if (path == NULL || *path == '\0')
		return "empty path";
	if (*path == '/')
		return "absolute path";
	if (strlen(path) > PATH_MAX_LEN)
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

/* sorted_files - check files and return them sorted by path in *out
 * (free()); a path may not repeat nor be both a file and a directory */
static int
sorted_files(const struct git_sink_file *files, size_t n,
    const struct git_sink_file ***out, struct diag *d)
{
	const struct git_sink_file **v;
	const char *why, *p;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && files == NULL)
		return inval(d, "(files)", "no file array");
	v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return nomem(d, "(files)");
	for (i = 0; i < n; i++) {
		if ((why = path_problem(files[i].path)) != NULL) {
			rc = inval(d, files[i].path, why);
			goto cleanup;
		}
		if (files[i].data == NULL && files[i].len > 0) {
			rc = inval(d, files[i].path, "no data");
			goto cleanup;
		}
		v[i] = &files[i];
	}
	qsort(v, n, sizeof *v, cmp_file);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i - 1]->path, v[i]->path) == 0) {
			rc = inval(d, v[i]->path, "duplicate path");
			goto cleanup;
		}
		for (p = strchr(v[i]->path, '/'); p; p = strchr(p + 1, '/'))
			if (find_path(v, n, v[i]->path, (size_t)(p - v[i]->path))) {
				rc = inval(d, v[i]->path,
				    "a parent directory is also given as a file");
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

/* read_head - (re)read the branch head; an absent branch is unborn */
static int
read_head(struct git_sink *s, struct diag *d)
{
	git_oid id;
	int rc;

	rc = git_reference_name_to_id(&id, s->repo, s->refname);
	if (rc == GIT_ENOTFOUND) {
		s->has_head = 0;
		return 0;
	}
	if (rc < 0)
		return lib_fail(d, s->path, "cannot read branch");
	s->head = id;
	s->has_head = 1;
	return 0;
}

/* load_head - the head commit and its tree (NULL, NULL when unborn) */
static int
load_head(struct git_sink *s, git_commit **commit, git_tree **tree,
    struct diag *d)
{
	int rc = 0;

	*commit = NULL;
	*tree = NULL;
	if (!s->has_head)
		return 0;
	if (git_commit_lookup(commit, s->repo, &s->head) < 0) {
		rc = lib_fail(d, s->path, "cannot read head commit");
		goto cleanup;
	}
	if (git_commit_tree(tree, *commit) < 0) {
		rc = lib_fail(d, s->path, "cannot read head tree");
		goto cleanup;
	}
cleanup:
	if (rc < 0) {
		git_commit_free(*commit);
		*commit = NULL;
	}
	return rc;
}

/* git_sink_head_message - the head commit's message, copied */
int
git_sink_head_message(struct git_sink *s, char **out, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	const char *msg;
	int rc;

	*out = NULL;
	if (!s->has_head)
		return ERR_NOTFOUND;
	rc = load_head(s, &commit, &tree, d);
	if (rc < 0)
		return rc;
	msg = git_commit_message(commit);
	*out = strdup(msg ? msg : "");
	if (*out == NULL)
		rc = ERR_NOMEM;
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* same_blob - whether data hashes to the blob id (size checked first:
 * reading a header is far cheaper than hashing a large table) */
static int
same_blob(struct git_sink *s, const char *path, const git_oid *id,
    const char *data, size_t len, int *same, struct diag *d)
{
	git_object_t type;
	git_oid oid;
	size_t size;

	*same = 0;
	if (git_odb_read_header(&size, &type, s->odb, id) < 0)
		return lib_fail(d, path, "cannot read head blob");
	if (type != GIT_OBJECT_BLOB || size != len)
		return 0;
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0)
		return lib_fail(d, path, "cannot hash content");
	*same = git_oid_equal(&oid, id);
	return 0;
}

/* put_blob - the blob id of f, written only when the head's differs */
static int
put_blob(struct git_sink *s, const struct git_sink_file *f,
    const char *name, const git_tree *old, git_oid *out, struct diag *d)
{
	const git_tree_entry *e;
	const char *data = f->data ? f->data : "";
	int rc, same = 0;

	e = old ? git_tree_entry_byname(old, name) : NULL;
	if (e && git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		rc = same_blob(s, f->path, git_tree_entry_id(e), data, f->len,
		    &same, d);
		if (rc < 0)
			return rc;
		if (same) {
			git_oid_cpy(out, git_tree_entry_id(e));
			return 0;
		}
	}
	if (git_blob_create_from_buffer(out, s->repo, data, f->len) < 0)
		return lib_fail(d, f->path, "cannot write blob");
	return 0;
}

/* same_entries - whether the builder holds exactly the entries of old */
static int
same_entries(git_treebuilder *tb, const git_tree *old)
{
	const git_tree_entry *e, *te;
	size_t i, n = git_tree_entrycount(old);

	if (n != git_treebuilder_entrycount(tb))
		return 0;
	for (i = 0; i < n; i++) {
		e = git_tree_entry_byindex(old, i);
		te = git_treebuilder_get(tb, git_tree_entry_name(e));
		if (te == NULL ||
		    !git_oid_equal(git_tree_entry_id(te), git_tree_entry_id(e)) ||
		    git_tree_entry_filemode_raw(te) !=
		    git_tree_entry_filemode_raw(e))
			return 0;
	}
	return 1;
}

/* build_dir - the tree of v[lo..hi), whose paths share a directory
 * prefix of off bytes; old is the head's tree there (may be NULL) */
static int
build_dir(struct git_sink *s, const struct git_sink_file **v, size_t lo,
    size_t hi, size_t off, const git_tree *old, git_oid *out,
    struct diag *d)
{
	git_treebuilder *tb = NULL;
	git_tree *sub = NULL;
	const git_tree_entry *e;
	const char *name, *slash;
	char *dir = NULL;
	git_oid id;
	size_t i = lo, j, n;
	int rc = 0;

	if (git_treebuilder_new(&tb, s->repo, NULL) < 0) {
		rc = lib_fail(d, s->path, "cannot start a tree");
		goto cleanup;
	}
	while (i < hi) {
		name = v[i]->path + off;
		slash = strchr(name, '/');
		if (slash == NULL) {
			if ((rc = put_blob(s, v[i], name, old, &id, d)) < 0)
				goto cleanup;
			if (git_treebuilder_insert(NULL, tb, name, &id,
			    GIT_FILEMODE_BLOB) < 0) {
				rc = lib_fail(d, v[i]->path, "cannot add to tree");
				goto cleanup;
			}
			i++;
			continue;
		}
		/* sorted paths: a directory's files are contiguous */
		n = (size_t)(slash - name);
		for (j = i + 1; j < hi; j++)
			if (strncmp(v[j]->path + off, name, n + 1) != 0)
				break;
		if ((dir = strndup(name, n)) == NULL) {
			rc = nomem(d, v[i]->path);
			goto cleanup;
		}
		e = old ? git_tree_entry_byname(old, dir) : NULL;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, s->repo, git_tree_entry_id(e)) < 0) {
			rc = lib_fail(d, v[i]->path, "cannot read head tree");
			goto cleanup;
		}
		rc = build_dir(s, v, i, j, off + n + 1, sub, &id, d);
		if (rc < 0)
			goto cleanup;
		if (git_treebuilder_insert(NULL, tb, dir, &id,
		    GIT_FILEMODE_TREE) < 0) {
			rc = lib_fail(d, v[i]->path, "cannot add to tree");
			goto cleanup;
		}
		git_tree_free(sub);
		sub = NULL;
		free(dir);
		dir = NULL;
		i = j;
	}
	if (old && same_entries(tb, old))
		git_oid_cpy(out, git_tree_id(old));
	else if (git_treebuilder_write(out, tb) < 0)
		rc = lib_fail(d, lo < hi ? v[lo]->path : s->path,
		    "cannot write tree");
cleanup:
	git_tree_free(sub);
	free(dir);
	git_treebuilder_free(tb);
	return rc;
}

/* may_create - whether path is free for a new repository: absent, or
 * an empty directory */
static int
may_create(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int empty = 1;

	if (stat(path, &st) < 0)
		return errno == ENOENT;
	if (!S_ISDIR(st.st_mode) || (dp = opendir(path)) == NULL)
		return 0;
	while (empty && (de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(dp);
	return empty;
}

/* open_repo - open or create the repository of s */
static int
open_repo(struct git_sink *s, int bare, struct diag *d)
{
	git_repository_init_options o;
	int rc;

	rc = git_repository_open_ext(&s->repo, s->path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND && may_create(s->path)) {
		if (git_repository_init_options_init(&o,
		    GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0)
			return lib_fail(d, s->path, "cannot create repository");
		o.flags = GIT_REPOSITORY_INIT_MKPATH |
		    GIT_REPOSITORY_INIT_NO_REINIT |
		    (bare ? GIT_REPOSITORY_INIT_BARE : 0);
		o.initial_head = s->branch;
		rc = git_repository_init_ext(&s->repo, s->path, &o);
		/* made by someone else meanwhile: use theirs */
		if (rc == GIT_EEXISTS)
			rc = git_repository_open_ext(&s->repo, s->path,
			    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		if (rc < 0)
			return lib_fail(d, s->path, "cannot create repository");
	}
	if (rc < 0)
		return lib_fail(d, s->path, "cannot open repository");
	if (git_repository_odb(&s->odb, s->repo) < 0)
		return lib_fail(d, s->path, "cannot open object database");
	return 0;
}

/* git_sink_open - open or create the repository, read the branch head */
int
git_sink_open(const char *path, int bare, const char *branch,
    struct git_sink **out, struct diag *d)
{
	struct git_sink *s = NULL;
	struct buf ref = BUF_INIT;
	int rc = 0, valid = 0;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return inval(d, "(repository)", "empty repository path");
	if (git_libgit2_init() < 0)
		return lib_fail(d, path, "cannot initialize libgit2");
	git_error_clear();
	if ((s = calloc(1, sizeof *s)) == NULL) {
		rc = nomem(d, path);
		goto cleanup;
	}
	if (branch == NULL || strncmp(branch, "refs/", 5) == 0 ||
	    git_branch_name_is_valid(&valid, branch) < 0 || !valid) {
		rc = inval(d, branch, "invalid branch name");
		goto cleanup;
	}
	/* every object and ref write reaches the disk before we go on */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0) {
		rc = lib_fail(d, path, "cannot enable fsync");
		goto cleanup;
	}
	if (buf_puts(&ref, REF_PREFIX) < 0 || buf_puts(&ref, branch) < 0 ||
	    (s->refname = buf_steal(&ref)) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    (s->branch = strdup(branch)) == NULL) {
		rc = nomem(d, path);
		goto cleanup;
	}
	if ((rc = open_repo(s, bare, d)) < 0)
		goto cleanup;
	rc = read_head(s, d);
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

/* git_sink_close - release the repository and libgit2 */
void
git_sink_close(struct git_sink *s)
{
	if (s == NULL)
		return;
	git_odb_free(s->odb);
	git_repository_free(s->repo);
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
	return read_head(s, d);
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

/* git_sink_read - copy one file of the head out of libgit2 */
int
git_sink_read(struct git_sink *s, const char *path, char **out,
    size_t *len, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	const char *why;
	int rc;

	*out = NULL;
	*len = 0;
	git_error_clear();
	if ((why = path_problem(path)) != NULL)
		return inval(d, path, why);
	if ((rc = load_head(s, &commit, &tree, d)) < 0)
		goto cleanup;
	if (tree == NULL) {
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND ||
	    (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)) {
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	if (rc < 0) {
		rc = lib_fail(d, path, "cannot look up file");
		goto cleanup;
	}
	if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(e)) < 0) {
		rc = lib_fail(d, path, "cannot read blob");
		goto cleanup;
	}
	size = git_blob_rawsize(blob);
	if (size >= SIZE_MAX || (*out = malloc((size_t)size + 1)) == NULL) {
		rc = nomem(d, path);
		goto cleanup;
	}
	if (size > 0)
		memcpy(*out, git_blob_rawcontent(blob), (size_t)size);
	(*out)[size] = '\0';
	*len = (size_t)size;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* move_branch - compare-and-swap the branch from the head read to id */
static int
move_branch(struct git_sink *s, const git_oid *id, const char *message,
    struct diag *d)
{
	git_reference *ref = NULL;
	struct buf log = BUF_INIT;
	size_t n = strcspn(message, "\n");
	int rc;

	if (buf_puts(&log, s->has_head ? "commit: " : "commit (initial): ")
	    < 0 || buf_append(&log, message, n) < 0) {
		rc = nomem(d, s->path);
		goto cleanup;
	}
	if (s->has_head)
		rc = git_reference_create_matching(&ref, s->repo, s->refname,
		    id, 1, &s->head, log.data);
	else
		rc = git_reference_create(&ref, s->repo, s->refname, id, 0,
		    log.data);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS ||
	    (rc == GIT_ENOTFOUND && s->has_head)) {
		diag_error(d, NULL, "git_sink: %s: cannot move branch %s: "
		    "it moved since it was read", s->path, s->branch);
		rc = ERR_MOVED;
	} else if (rc < 0)
		rc = lib_fail(d, s->path, "cannot move branch");
cleanup:
	git_reference_free(ref);
	buf_free(&log);
	return rc;
}

/* git_sink_commit - write the tree, the commit, then move the branch */
int
git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d)
{
	const struct git_sink_file **v = NULL;
	git_commit *head = NULL;
	git_tree *old = NULL, *tree = NULL;
	git_signature *sig = NULL;
	struct buf msg = BUF_INIT;
	const git_commit *parents[1];
	git_oid tree_id, id;
	size_t n;
	int rc;

	*committed = 0;
	oid_hex[0] = '\0';
	git_error_clear();
	if (message == NULL || *message == '\0')
		return inval(d, s->path, "empty commit message");
	/* checked before any object is written */
	if (git_signature_now(&sig, author_name ? author_name : "",
	    author_email ? author_email : "") < 0) {
		rc = lib_fail(d, s->path, "invalid author");
		if (rc == ERR_IO)
			rc = ERR_INVAL;
		goto cleanup;
	}
	n = strlen(message);
	if (message[n - 1] != '\n') {
		if (buf_append(&msg, message, n) < 0 || buf_putc(&msg, '\n') < 0) {
			rc = nomem(d, s->path);
			goto cleanup;
		}
		message = msg.data;
	}
	if ((rc = sorted_files(files, nfiles, &v, d)) < 0)
		goto cleanup;
	if ((rc = load_head(s, &head, &old, d)) < 0)
		goto cleanup;
	if ((rc = build_dir(s, v, 0, nfiles, 0, old, &tree_id, d)) < 0)
		goto cleanup;
	if (old && git_oid_equal(&tree_id, git_tree_id(old))) {
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &s->head);
		goto cleanup;
	}
	if (git_tree_lookup(&tree, s->repo, &tree_id) < 0) {
		rc = lib_fail(d, s->path, "cannot read new tree");
		goto cleanup;
	}
	parents[0] = head;
	if (git_commit_create(&id, s->repo, NULL, sig, sig, NULL, message,
	    tree, head ? 1 : 0, parents) < 0) {
		rc = lib_fail(d, s->path, "cannot write commit");
		goto cleanup;
	}
	if ((rc = move_branch(s, &id, message, d)) < 0)
		goto cleanup;
	s->head = id;
	s->has_head = 1;
	*committed = 1;
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	buf_free(&msg);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(old);
	git_commit_free(head);
	free(v);
	return rc;
}

/* collect_leaf - tree walk callback: keep every non-directory entry */
static int
collect_leaf(const char *root, const git_tree_entry *e, void *payload)
{
	struct leaves *l = payload;
	struct leaf *v;
	git_object_t type = git_tree_entry_type(e);
	const char *name = git_tree_entry_name(e);
	size_t rlen = strlen(root), nlen = strlen(name), cap;

	if (type == GIT_OBJECT_TREE)
		return 0;
	if (l->n == l->cap) {
		if (l->cap > SIZE_MAX / 2 / sizeof *v)
			goto nomem;
		cap = l->cap ? l->cap * 2 : 16;
		if ((v = realloc(l->v, cap * sizeof *v)) == NULL)
			goto nomem;
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n];
	if ((v->path = malloc(rlen + nlen + 1)) == NULL)
		goto nomem;
	memcpy(v->path, root, rlen);
	memcpy(v->path + rlen, name, nlen + 1);
	git_oid_cpy(&v->id, git_tree_entry_id(e));
	v->blob = type == GIT_OBJECT_BLOB;
	l->n++;
	return 0;
nomem:
	l->rc = ERR_NOMEM;
	return -1;
}

/* cmp_leaf - order head entries by path, byte-wise */
static int
cmp_leaf(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* diff_one - append the patch of one path; old is the head's blob id
 * (NULL when absent), f the new content (NULL when removed) */
static int
diff_one(struct git_sink *s, const char *path, const git_oid *old,
    const struct git_sink_file *f, struct buf *out, struct diag *d)
{
	git_blob *blob = NULL;
	git_patch *patch = NULL;
	git_buf text = GIT_BUF_INIT;
	git_object_size_t size = 0;
	const char *od = NULL, *nd = NULL;
	size_t nlen = 0;
	int rc = 0, same = 0;

	if (f) {
		nd = f->data ? f->data : "";
		nlen = f->len;
	}
	if (old && f) {
		if ((rc = same_blob(s, path, old, nd, nlen, &same, d)) < 0 ||
		    same)
			goto cleanup;
	}
	if (old) {
		if (git_blob_lookup(&blob, s->repo, old) < 0) {
			rc = lib_fail(d, path, "cannot read head blob");
			goto cleanup;
		}
		size = git_blob_rawsize(blob);
		if (size > SIZE_MAX) {
			rc = nomem(d, path);
			goto cleanup;
		}
		od = git_blob_rawcontent(blob);
		if (od == NULL)
			od = "";
	}
	if (git_patch_from_buffers(&patch, od, (size_t)size, path, nd, nlen,
	    path, NULL) < 0 || git_patch_to_buf(&text, patch) < 0) {
		rc = lib_fail(d, path, "cannot make diff");
		goto cleanup;
	}
	if (buf_append(out, text.ptr, text.size) < 0)
		rc = nomem(d, path);
cleanup:
	git_buf_dispose(&text);
	git_patch_free(patch);
	git_blob_free(blob);
	return rc;
}

/* under - whether path lies in the directory dir (NULL: never) */
static int
under(const char *dir, const char *path)
{
	size_t n;

	if (dir == NULL)
		return 0;
	n = strlen(dir);
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* git_sink_diff - merge the sorted head entries with the sorted files */
int
git_sink_diff(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *skip, struct buf *out, struct diag *d)
{
	const struct git_sink_file **v = NULL;
	struct leaves l = { NULL, 0, 0, 0 };
	git_commit *head = NULL;
	git_tree *tree = NULL;
	const git_oid *old;
	size_t i = 0, j = 0;
	int rc, c;

	git_error_clear();
	if ((rc = sorted_files(files, nfiles, &v, d)) < 0)
		goto cleanup;
	if ((rc = load_head(s, &head, &tree, d)) < 0)
		goto cleanup;
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, collect_leaf,
	    &l) < 0) {
		rc = l.rc < 0 ? nomem(d, s->path) :
		    lib_fail(d, s->path, "cannot read head tree");
		goto cleanup;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof *l.v, cmp_leaf);
	while (i < nfiles || j < l.n) {
		if (i < nfiles && j < l.n)
			c = strcmp(v[i]->path, l.v[j].path);
		else
			c = i < nfiles ? -1 : 1;
		/* a submodule link has no content to compare: left out */
		old = c >= 0 && l.v[j].blob ? &l.v[j].id : NULL;
		if (under(skip, c <= 0 ? v[i]->path : l.v[j].path))
			rc = 0;
		else if (c < 0)
			rc = diff_one(s, v[i]->path, NULL, v[i], out, d);
		else if (c > 0)
			rc = old ? diff_one(s, l.v[j].path, old, NULL, out, d) : 0;
		else
			rc = diff_one(s, v[i]->path, old, v[i], out, d);
		if (rc < 0)
			goto cleanup;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
cleanup:
	for (i = 0; i < l.n; i++)
		free(l.v[i].path);
	free(l.v);
	git_tree_free(tree);
	git_commit_free(head);
	free(v);
	return rc;
}
