/*
 * git_read - what the branch head and any commit hold, and their diffs
 *
 * DESCRIPTION
 *	Files are copied out of libgit2 for the caller, or handed over
 *	borrowed for the time of a callback when there are many (a tree
 *	walk). Comparisons start from object ids: two commits with the
 *	same tree id are equal without a walk, and a file whose id (or,
 *	against new content, whose size and then hash) matches is the same
 *	without being read.
 *
 * DIAGNOSTICS
 *	"git_sink: PATH: what failed: why"; a file or branch that does not
 *	exist is ERR_NOTFOUND for git_sink_read and git_sink_read_at, an
 *	answer that records nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_sink.h"

/* one non-directory entry of the head tree, for git_sink_diff */
struct leaf {
	char *path;
	git_oid id;
	unsigned mode;          /* raw file mode */
	int blob;               /* 0 for a submodule link */
};

struct leaves {
	struct leaf *v;
	size_t n;
	size_t cap;
	int rc;                 /* our error code when the walk was stopped */
};

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
		return git_sink__lib_fail(d, path, "cannot read head blob");
	if (type != GIT_OBJECT_BLOB || size != len)
		return 0;
	git_pack_id(GIT_OBJECT_BLOB, data, len, &oid);
	*same = git_oid_equal(&oid, id);
	return 0;
}

/* read_file_in - copy one file of tree (NULL: unborn) out of libgit2 */
static int
read_file_in(struct git_sink *s, const git_tree *tree, const char *path,
    char **out, size_t *len, struct diag *d)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_object_size_t size;
	int rc;

	if (tree == NULL)
		return ERR_NOTFOUND;
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND ||
	    (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_BLOB)) {
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	if (rc < 0) {
		rc = git_sink__lib_fail(d, path, "cannot look up file");
		goto cleanup;
	}
	if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(e)) < 0) {
		rc = git_sink__lib_fail(d, path, "cannot read blob");
		goto cleanup;
	}
	size = git_blob_rawsize(blob);
	if (size >= SIZE_MAX || (*out = malloc((size_t)size + 1)) == NULL) {
		rc = git_sink__nomem(d, path);
		goto cleanup;
	}
	if (size > 0)
		memcpy(*out, git_blob_rawcontent(blob), (size_t)size);
	(*out)[size] = '\0';
	*len = (size_t)size;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

/* git_sink_read - copy one file of the head out of libgit2 */
int
git_sink_read(struct git_sink *s, const char *path, char **out,
    size_t *len, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	const char *why;
	int rc;

	*out = NULL;
	*len = 0;
	git_error_clear();
	if ((why = git_sink__path_problem(path)) != NULL)
		return git_sink__inval(d, path, why);
	if ((rc = git_sink__load_head(s, &commit, &tree, d)) == 0)
		rc = read_file_in(s, tree, path, out, len, d);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* git_sink_read_at - copy one file of any commit out of libgit2 */
int
git_sink_read_at(struct git_sink *s, const char *commit_hex,
    const char *path, char **out, size_t *len, struct diag *d)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	const char *why;
	int rc;

	*out = NULL;
	*len = 0;
	git_error_clear();
	if ((why = git_sink__path_problem(path)) != NULL)
		return git_sink__inval(d, path, why);
	if ((rc = git_sink__lookup_commit(s, commit_hex, &commit, d)) < 0)
		goto cleanup;
	if (git_commit_tree(&tree, commit) < 0) {
		rc = git_sink__lib_fail(d, commit_hex, "cannot read tree");
		goto cleanup;
	}
	rc = read_file_in(s, tree, path, out, len, d);
cleanup:
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

struct each_file {
	struct git_sink *s;
	const char *dir;
	git_sink_each_file_fn fn;
	void *ctx;
	struct buf path;
	int rc;
	struct diag *d;
};

/* each_blob - git_tree_walk callback: hand one blob to the caller */
static int
each_blob(const char *root, const git_tree_entry *e, void *payload)
{
	struct each_file *w = payload;
	git_blob *blob = NULL;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	buf_reset(&w->path);
	if (buf_printf(&w->path, "%s/%s%s", w->dir, root,
	    git_tree_entry_name(e)) < 0) {
		w->rc = git_sink__nomem(w->d, w->dir);
		return -1;
	}
	if (git_blob_lookup(&blob, w->s->repo, git_tree_entry_id(e)) < 0) {
		w->rc = git_sink__lib_fail(w->d, w->path.data,
		    "cannot read blob");
		return -1;
	}
	w->rc = w->fn(w->path.data, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob), w->ctx);
	git_blob_free(blob);
	return w->rc < 0 ? -1 : 0;
}

/* git_sink_each_file - every file under dir, one tree walk */
int
git_sink_each_file(struct git_sink *s, const char *commit_hex,
    const char *dir, git_sink_each_file_fn fn, void *ctx, struct diag *d)
{
	struct each_file w;
	git_commit *commit = NULL;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *e = NULL;
	const char *why;
	int rc = 0;

	memset(&w, 0, sizeof w);
	buf_init(&w.path);
	git_error_clear();
	if ((why = git_sink__path_problem(dir)) != NULL)
		return git_sink__inval(d, dir, why);
	if (commit_hex)
		rc = git_sink__lookup_commit(s, commit_hex, &commit, d);
	else
		rc = git_sink__load_head(s, &commit, &tree, d);
	if (rc < 0 || commit == NULL)
		goto cleanup;
	if (tree == NULL && git_commit_tree(&tree, commit) < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read tree");
		goto cleanup;
	}
	rc = git_tree_entry_bypath(&e, tree, dir);
	if (rc == GIT_ENOTFOUND ||
	    (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_TREE)) {
		rc = 0;
		goto cleanup;
	}
	if (rc < 0 ||
	    git_tree_lookup(&sub, s->repo, git_tree_entry_id(e)) < 0) {
		rc = git_sink__lib_fail(d, dir, "cannot read directory");
		goto cleanup;
	}
	w.s = s;
	w.dir = dir;
	w.fn = fn;
	w.ctx = ctx;
	w.d = d;
	if (git_tree_walk(sub, GIT_TREEWALK_PRE, each_blob, &w) < 0)
		rc = w.rc < 0 ? w.rc : git_sink__lib_fail(d, dir,
		    "cannot walk directory");
cleanup:
	buf_free(&w.path);
	git_tree_entry_free(e);
	git_tree_free(sub);
	git_tree_free(tree);
	git_commit_free(commit);
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
	v->mode = (unsigned)git_tree_entry_filemode_raw(e);
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
			rc = git_sink__lib_fail(d, path,
			    "cannot read head blob");
			goto cleanup;
		}
		size = git_blob_rawsize(blob);
		if (size > SIZE_MAX) {
			rc = git_sink__nomem(d, path);
			goto cleanup;
		}
		od = git_blob_rawcontent(blob);
		if (od == NULL)
			od = "";
	}
	if (git_patch_from_buffers(&patch, od, (size_t)size, path, nd, nlen,
	    path, NULL) < 0 || git_patch_to_buf(&text, patch) < 0) {
		rc = git_sink__lib_fail(d, path, "cannot make diff");
		goto cleanup;
	}
	if (buf_append(out, text.ptr, text.size) < 0)
		rc = git_sink__nomem(d, path);
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
	if ((rc = git_sink__sorted_files(files, nfiles, &v, d)) < 0)
		goto cleanup;
	if ((rc = git_sink__load_head(s, &head, &tree, d)) < 0)
		goto cleanup;
	if (tree && git_tree_walk(tree, GIT_TREEWALK_PRE, collect_leaf,
	    &l) < 0) {
		rc = l.rc < 0 ? git_sink__nomem(d, s->path) :
		    git_sink__lib_fail(d, s->path, "cannot read head tree");
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
			rc = old ? diff_one(s, l.v[j].path, old, NULL, out,
			    d) : 0;
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

/* tree_leaves - every non-directory entry of a commit's tree, sorted */
static int
tree_leaves(struct git_sink *s, const git_commit *commit,
    struct leaves *l, struct diag *d)
{
	git_tree *tree = NULL;
	int rc = 0;

	if (git_commit_tree(&tree, commit) < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read tree");
		goto cleanup;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_leaf, l) < 0) {
		rc = l->rc < 0 ? git_sink__nomem(d, s->path) :
		    git_sink__lib_fail(d, s->path, "cannot read tree");
		goto cleanup;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp_leaf);
cleanup:
	git_tree_free(tree);
	return rc;
}

/* next_kept - the index of the first leaf from i not under skip */
static size_t
next_kept(const struct leaves *l, size_t i, const char *skip)
{
	while (i < l->n && under(skip, l->v[i].path))
		i++;
	return i;
}

/* git_sink_tree_equal - compare two commits' files outside skip */
int
git_sink_tree_equal(struct git_sink *s, const char *a_hex,
    const char *b_hex, const char *skip, int *equal, struct diag *d)
{
	struct leaves la = { NULL, 0, 0, 0 }, lb = { NULL, 0, 0, 0 };
	git_commit *a = NULL, *b = NULL;
	const char *why;
	size_t i, j;
	int rc;

	*equal = 0;
	git_error_clear();
	if (skip && (why = git_sink__path_problem(skip)) != NULL)
		return git_sink__inval(d, skip, why);
	if ((rc = git_sink__lookup_commit(s, a_hex, &a, d)) < 0 ||
	    (rc = git_sink__lookup_commit(s, b_hex, &b, d)) < 0)
		goto cleanup;
	if (git_oid_equal(git_commit_tree_id(a), git_commit_tree_id(b))) {
		*equal = 1;
		goto cleanup;
	}
	if (skip == NULL)
		goto cleanup;
	if ((rc = tree_leaves(s, a, &la, d)) < 0 ||
	    (rc = tree_leaves(s, b, &lb, d)) < 0)
		goto cleanup;
	i = next_kept(&la, 0, skip);
	j = next_kept(&lb, 0, skip);
	while (i < la.n && j < lb.n) {
		if (strcmp(la.v[i].path, lb.v[j].path) != 0 ||
		    !git_oid_equal(&la.v[i].id, &lb.v[j].id) ||
		    la.v[i].mode != lb.v[j].mode)
			goto cleanup;
		i = next_kept(&la, i + 1, skip);
		j = next_kept(&lb, j + 1, skip);
	}
	*equal = i == la.n && j == lb.n;
cleanup:
	for (i = 0; i < la.n; i++)
		free(la.v[i].path);
	for (j = 0; j < lb.n; j++)
		free(lb.v[j].path);
	free(la.v);
	free(lb.v);
	git_commit_free(a);
	git_commit_free(b);
	return rc;
}

/* leaf_bytes - the content of a leaf (a submodule link reads as
 * nothing) into *blob, data and len; NULL leaf: absent */
static int
leaf_bytes(struct git_sink *s, const struct leaf *l, git_blob **blob,
    const char **data, size_t *len, struct diag *d)
{
	*blob = NULL;
	*data = NULL;
	*len = 0;
	if (l == NULL)
		return 0;
	*data = "";
	if (!l->blob)
		return 0;
	if (git_blob_lookup(blob, s->repo, &l->id) < 0)
		return git_sink__lib_fail(d, l->path, "cannot read blob");
	if (git_blob_rawsize(*blob) > SIZE_MAX)
		return git_sink__nomem(d, l->path);
	*len = (size_t)git_blob_rawsize(*blob);
	if (git_blob_rawcontent(*blob))
		*data = git_blob_rawcontent(*blob);
	return 0;
}

/* one_difference - fn for a path that differs (a or b may be absent) */
static int
one_difference(struct git_sink *s, const struct leaf *a,
    const struct leaf *b, git_sink_difference_fn fn, void *ctx,
    struct diag *d)
{
	git_blob *ba = NULL, *bb = NULL;
	const char *da, *db;
	size_t la, lb;
	int rc;

	if (a && b && git_oid_equal(&a->id, &b->id) && a->mode == b->mode)
		return 0;
	rc = leaf_bytes(s, a, &ba, &da, &la, d);
	rc = rc ? rc : leaf_bytes(s, b, &bb, &db, &lb, d);
	if (rc == 0)
		rc = fn(a ? a->path : b->path, da, la, db, lb, ctx);
	git_blob_free(ba);
	git_blob_free(bb);
	return rc;
}

/* git_sink_each_difference - fn for every file two commits disagree on */
int
git_sink_each_difference(struct git_sink *s, const char *a_hex,
    const char *b_hex, const char *skip, git_sink_difference_fn fn,
    void *ctx, struct diag *d)
{
	struct leaves la = { NULL, 0, 0, 0 }, lb = { NULL, 0, 0, 0 };
	git_commit *a = NULL, *b = NULL;
	const char *why;
	size_t i, j;
	int rc, c;

	git_error_clear();
	if (skip && (why = git_sink__path_problem(skip)) != NULL)
		return git_sink__inval(d, skip, why);
	if ((rc = git_sink__lookup_commit(s, a_hex, &a, d)) < 0 ||
	    (rc = git_sink__lookup_commit(s, b_hex, &b, d)) < 0)
		goto cleanup;
	if (git_oid_equal(git_commit_tree_id(a), git_commit_tree_id(b)))
		goto cleanup;
	if ((rc = tree_leaves(s, a, &la, d)) < 0 ||
	    (rc = tree_leaves(s, b, &lb, d)) < 0)
		goto cleanup;
	i = next_kept(&la, 0, skip);
	j = next_kept(&lb, 0, skip);
	while (rc == 0 && (i < la.n || j < lb.n)) {
		c = i == la.n ? 1 : j == lb.n ? -1 :
		    strcmp(la.v[i].path, lb.v[j].path);
		rc = one_difference(s, c <= 0 ? &la.v[i] : NULL,
		    c >= 0 ? &lb.v[j] : NULL, fn, ctx, d);
		if (c <= 0)
			i = next_kept(&la, i + 1, skip);
		if (c >= 0)
			j = next_kept(&lb, j + 1, skip);
	}
cleanup:
	for (i = 0; i < la.n; i++)
		free(la.v[i].path);
	for (j = 0; j < lb.n; j++)
		free(lb.v[j].path);
	free(la.v);
	free(lb.v);
	git_commit_free(a);
	git_commit_free(b);
	return rc;
}

