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
 *	A full commit still hashes every file it is given; git_sink_update
 *	reads only the trees on the paths it changes (a sharded tree of
 *	tens of thousands of files costs what the change costs), and
 *	checks every path against the head before it writes anything.
 *
 *	A first commit of a sharded tree makes tens of thousands of
 *	objects; one fsynced file each took half a minute. So a commit of
 *	many files keeps its new objects in memory (an object store put in
 *	front of libgit2's own) and writes them as one pack and index, both
 *	fsynced, before the branch moves; when only a few turn out to be
 *	new they are written loose as before, so that small commits do
 *	not pile up small packs.
 *
 *	Where the repository is and how a missing one is made (under a
 *	temporary name, renamed into place) is git_repo's concern; keeping
 *	a work tree equal to the branch after each move is git_worktree's.
 *
 *	Besides the deploy branch the sink writes short-lived branches
 *	(a proposal for review, a change held by the guard), each
 *	one commit on top of a given parent; the deploy branch itself only
 *	moves by compare-and-swap, never by force.
 *
 *	Remotes are anonymous (a URL, nothing in the repository's
 *	configuration). The same callbacks serve push and fetch, so a
 *	credential hook for SSH has one place to go. A push writes the
 *	objects first and each remote ref last; a server updates each ref
 *	atomically against the value it advertised. libgit2's transport
 *	for local paths does not: it overwrites the ref without comparing.
 *	So for a local remote the sink holds an advisory lock (flock) on
 *	the remote's directory from the moment it reads the remote's refs
 *	until the refs are written: two agents pushing to one local remote
 *	take turns, and the second sees the first one's commit and is
 *	refused as non-fast-forward instead of overwriting it.
 *
 * DIAGNOSTICS
 *	Every failure leaves "git_sink: PATH: what failed: why" in the
 *	diag (PATH is the remote's URL for remote operations), why being
 *	libgit2's message when libgit2 failed or the remote's reason when
 *	it refused a ref. ERR_NOTFOUND from git_sink_read, git_sink_read_at,
 *	git_sink_head, git_sink_branch_head and git_sink_fetch is an answer,
 *	not a failure, and records nothing.
 */
#define _GNU_SOURCE     /* syncfs */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_repo.h"
#include "git_sink.h"
#include "git_tidy.h"
#include "git_worktree.h"
#include "hash.h"

#define REF_PREFIX "refs/heads/"
#define TRACK_PREFIX "refs/splitsync/remotes/"
#define TRACK_ID_LEN 16         /* hex digits naming a remote URL */
#define PATH_MAX_LEN 4096       /* longer paths are refused */
#define LOCK_WAIT_MS 30000      /* give up on a local remote's lock */
#define PACK_MIN 100            /* fewer new objects are written loose */
#define STAGE_PRIORITY 999      /* above libgit2's loose and pack stores */

/* the object store of a commit in progress: with on set, new objects
 * are kept in memory until stage_flush writes them out together (one
 * pack, or loose when they are few), before the branch moves; with on
 * clear, writes go to the loose store as libgit2's own would */
struct stage {
	git_odb_backend parent; /* first: libgit2 calls through it */
	git_odb_backend *mem;   /* mempack */
	git_odb_backend *loose;
	git_oid *ids;           /* the objects in mem, in write order */
	size_t n;
	size_t cap;
	int on;
};

struct git_sink {
	git_repository *repo;
	git_odb *odb;
	char *path;             /* repository path as given, for messages */
	char *branch;           /* "main" */
	char *refname;          /* "refs/heads/main" */
	git_oid head;           /* valid when has_head */
	int has_head;
	struct stage *stage;    /* owned by odb */
	enum git_sink_mode mode;
	int bare;
	struct git_repo_new fresh;      /* made here, not yet in place */
};

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

/* lookup_commit - the commit named by hex; a malformed id, or one that
 * names no commit here, is the caller's mistake: ERR_INVAL */
static int
lookup_commit(struct git_sink *s, const char *hex, git_commit **out,
    struct diag *d)
{
	git_oid id;
	int rc;

	*out = NULL;
	if (hex == NULL || strlen(hex) != GIT_OID_HEXSZ ||
	    strspn(hex, "0123456789abcdefABCDEF") != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&id, hex) < 0)
		return inval(d, hex, "not a commit id");
	rc = git_commit_lookup(out, s->repo, &id);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
		diag_error(d, NULL, "git_sink: %s: %s: no such commit", s->path,
		    hex);
		return ERR_INVAL;
	}
	if (rc < 0)
		return lib_fail(d, hex, "cannot read commit");
	return 0;
}

/* copy_message - the message of commit into *out (free()) */
static int
copy_message(struct git_sink *s, const git_commit *commit, char **out,
    struct diag *d)
{
	const char *msg = git_commit_message(commit);

	*out = strdup(msg ? msg : "");
	return *out ? 0 : nomem(d, s->path);
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
	rc = load_head(s, &commit, &tree, d);
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
	if ((rc = lookup_commit(s, commit_hex, &commit, d)) == 0)
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
	if ((rc = lookup_commit(s, commit_hex, &commit, d)) < 0)
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
		rc = nomem(d, s->path);
cleanup:
	if (rc < 0)
		git_sink_info_clear(info);
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

/* stage_read - a staged object; nothing when not staging */
static int
stage_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
    const git_oid *id)
{
	struct stage *st = (struct stage *)b;

	if (!st->on)
		return GIT_ENOTFOUND;
	return st->mem->read(data, len, type, st->mem, id);
}

/* stage_read_header - size and type of a staged object */
static int
stage_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
    const git_oid *id)
{
	struct stage *st = (struct stage *)b;

	if (!st->on)
		return GIT_ENOTFOUND;
	return st->mem->read_header(len, type, st->mem, id);
}

/* stage_exists - whether the object is staged */
static int
stage_exists(git_odb_backend *b, const git_oid *id)
{
	struct stage *st = (struct stage *)b;

	return st->on && st->mem->exists(st->mem, id);
}

/* stage_write - keep a new object in memory, or write it loose */
static int
stage_write(git_odb_backend *b, const git_oid *id, const void *data,
    size_t len, git_object_t type)
{
	struct stage *st = (struct stage *)b;
	git_oid *v;
	size_t cap;

	if (!st->on)
		return st->loose->write(st->loose, id, data, len, type);
	if (st->mem->exists(st->mem, id))
		return 0;
	if (st->n == st->cap) {
		if (st->cap > SIZE_MAX / 2 / sizeof *v)
			goto nomem;
		cap = st->cap ? st->cap * 2 : 256;
		if ((v = realloc(st->ids, cap * sizeof *v)) == NULL)
			goto nomem;
		st->ids = v;
		st->cap = cap;
	}
	if (st->mem->write(st->mem, id, data, len, type) < 0)
		return -1;
	git_oid_cpy(&st->ids[st->n++], id);
	return 0;
nomem:
	git_error_set_oom();
	return -1;
}

/* stage_free - release the stage with the object database */
static void
stage_free(git_odb_backend *b)
{
	struct stage *st = (struct stage *)b;

	if (st->mem)
		st->mem->free(st->mem);
	if (st->loose)
		st->loose->free(st->loose);
	free(st->ids);
	free(st);
}

/* stage_add - put the stage in front of the repository's stores */
static int
stage_add(struct git_sink *s, struct diag *d)
{
	git_buf dir = GIT_BUF_INIT;
	struct stage *st;
	int rc = 0;

	if ((st = calloc(1, sizeof *st)) == NULL)
		return nomem(d, s->path);
	if (git_odb_init_backend(&st->parent, GIT_ODB_BACKEND_VERSION) < 0 ||
	    git_repository_item_path(&dir, s->repo,
	    GIT_REPOSITORY_ITEM_OBJECTS) < 0 ||
	    git_mempack_new(&st->mem) < 0 ||
	    git_odb_backend_loose(&st->loose, dir.ptr, -1, 0, 0, 0) < 0) {
		rc = lib_fail(d, s->path, "cannot open object database");
		goto cleanup;
	}
	st->parent.read = stage_read;
	st->parent.read_header = stage_read_header;
	st->parent.exists = stage_exists;
	st->parent.write = stage_write;
	st->parent.free = stage_free;
	if (git_odb_add_backend(s->odb, &st->parent, STAGE_PRIORITY) < 0)
		rc = lib_fail(d, s->path, "cannot open object database");
cleanup:
	git_buf_dispose(&dir);
	if (rc < 0)
		stage_free(&st->parent);
	else
		s->stage = st;
	return rc;
}

/* stage_begin - keep the new objects of a commit in memory: they are
 * written together by stage_flush (nfiles is kept for the record of
 * why: any commit may make enough objects for a pack) */
static void
stage_begin(struct git_sink *s, size_t nfiles)
{
	(void)nfiles;
	s->stage->on = 1;
}

/* stage_end - drop what was not flushed, write loose again */
static void
stage_end(struct git_sink *s)
{
	struct stage *st = s->stage;

	if (st->on)
		git_mempack_reset(st->mem);
	st->n = 0;
	st->on = 0;
}

/* objects_sync - make every object file written since the last sync
 * durable, and the directories naming them: one syncfs(2) of the file
 * system holding the objects instead of two fsyncs per object */
static int
objects_sync(struct git_sink *s, struct diag *d)
{
	git_buf dir = GIT_BUF_INIT;
	int fd = -1, rc = 0;

	if (git_repository_item_path(&dir, s->repo,
	    GIT_REPOSITORY_ITEM_OBJECTS) < 0)
		return lib_fail(d, s->path, "cannot find the object store");
	fd = open(dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		diag_error(d, NULL, "git_sink: %s: cannot sync objects: %s",
		    s->path, strerror(errno));
		rc = ERR_IO;
	}
	if (fd >= 0)
		close(fd);
	git_buf_dispose(&dir);
	return rc;
}

/* stage_loose - write the staged objects one file each, without a
 * fsync each (libgit2's option is lifted for the writes), then sync
 * them all at once */
static int
stage_loose(struct git_sink *s, struct diag *d)
{
	struct stage *st = s->stage;
	git_object_t type;
	void *data;
	size_t i, len;
	int rc = 0;

	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0) < 0)
		return lib_fail(d, s->path, "cannot set fsync");
	for (i = 0; rc == 0 && i < st->n; i++) {
		if (st->mem->read(&data, &len, &type, st->mem, &st->ids[i]) < 0) {
			rc = lib_fail(d, s->path, "cannot read new object");
			break;
		}
		if (st->loose->write(st->loose, &st->ids[i], data, len, type) < 0)
			rc = lib_fail(d, s->path, "cannot write object");
		git_odb_backend_data_free(st->mem, data);
	}
	/* Refs are written with fsync again, whatever happened. */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0 && rc == 0)
		rc = lib_fail(d, s->path, "cannot set fsync");
	return rc ? rc : objects_sync(s, d);
}

/* pack_entry - one object as a pack holds it: git's type and size
 * prefix (4 bits of size, then 7 a byte), then the zlib stream */
static int
pack_entry(struct buf *pack, git_object_t type, const void *data,
    size_t len)
{
	unsigned char h[16];
	size_t n = 0, size = len;
	uLongf zlen;
	unsigned char c = (unsigned char)(((unsigned)type << 4) | (size & 15));

	for (size >>= 4; size; size >>= 7) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
	}
	h[n++] = c;
	if (buf_append(pack, h, n) < 0 ||
	    buf_grow(pack, compressBound((uLong)len)) < 0)
		return ERR_NOMEM;
	zlen = compressBound((uLong)len);
	/* Fast compression: these objects are written once, read rarely. */
	if (compress2((Bytef *)pack->data + pack->len, &zlen, data, (uLong)len,
	    Z_BEST_SPEED) != Z_OK)
		return ERR_NOMEM;
	pack->len += zlen;
	return 0;
}

/* pack_make - the staged objects as one pack (version 2, no deltas:
 * each object whole, so making it costs one compression each) */
static int
pack_make(struct git_sink *s, struct buf *pack, struct diag *d)
{
	struct stage *st = s->stage;
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	unsigned char sum[HASH_SHA1_LEN];
	hash_sha1_ctx c;
	git_object_t type;
	void *data;
	size_t i, len;
	int rc = 0;

	for (i = 0; i < 4; i++)
		head[8 + i] = (unsigned char)(st->n >> (24 - 8 * i));
	if (buf_append(pack, head, sizeof head) < 0)
		return nomem(d, s->path);
	for (i = 0; rc == 0 && i < st->n; i++) {
		if (st->mem->read(&data, &len, &type, st->mem, &st->ids[i]) < 0)
			return lib_fail(d, s->path, "cannot read new object");
		rc = pack_entry(pack, type, data, len);
		git_odb_backend_data_free(st->mem, data);
	}
	if (rc < 0)
		return nomem(d, s->path);
	hash_sha1_init(&c);
	hash_sha1_update(&c, pack->data, pack->len);
	hash_sha1_final(&c, sum);
	return buf_append(pack, sum, sizeof sum) < 0 ? nomem(d, s->path) : 0;
}

/* stage_flush - write the staged objects to disk, durably: many as one
 * pack and its index (the pack store fsyncs both), few loose */
static int
stage_flush(struct git_sink *s, struct diag *d)
{
	struct stage *st = s->stage;
	struct buf pack = BUF_INIT;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats;
	int rc, lock = -1;

	if (!st->on || st->n == 0)
		return 0;
	if (st->n < PACK_MIN || st->n > UINT32_MAX)
		return stage_loose(s, d);
	rc = pack_make(s, &pack, d);
	/* shared: only the cleaner of interrupted packs waits for us */
	rc = rc ? rc : git_tidy_pack_lock(s->repo, s->path, &lock, d);
	if (rc == 0 && (git_odb_write_pack(&wp, s->odb, NULL, NULL) < 0 ||
	    wp->append(wp, pack.data, pack.len, &stats) < 0 ||
	    wp->commit(wp, &stats) < 0))
		rc = lib_fail(d, s->path, "cannot write pack");
	if (wp)
		wp->free(wp);
	git_tidy_pack_unlock(lock);
	buf_free(&pack);
	return rc;
}

/* open_repo - open (or create, as s->mode says) the repository of s */
static int
open_repo(struct git_sink *s, struct diag *d)
{
	int rc;

	rc = git_repo_open(s->path, s->bare, s->branch, s->mode, &s->repo,
	    &s->fresh, d);
	if (rc < 0)
		return rc;
	if (git_repository_odb(&s->odb, s->repo) < 0)
		return lib_fail(d, s->path, "cannot open object database");
	return stage_add(s, d);
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
		return inval(d, "(repository)", "empty repository path");
	if (git_libgit2_init() < 0)
		return lib_fail(d, path, "cannot initialize libgit2");
	git_error_clear();
	if ((s = calloc(1, sizeof *s)) == NULL) {
		rc = nomem(d, path);
		goto cleanup;
	}
	s->mode = mode;
	s->bare = bare;
	git_repo_new_init(&s->fresh);
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
	if ((rc = open_repo(s, d)) < 0)
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

/* git_sink_keep - a repository made under a temporary name into place */
int
git_sink_keep(struct git_sink *s, struct diag *d)
{
	int rc, any;

	git_error_clear();
	if (s->fresh.dir == NULL)
		return 0;
	if (s->fresh.scratch)
		return inval(d, s->path, "a scratch repository is never kept");
	if ((rc = git_repo_has_branch(s->repo, s->path, &any, d)) < 0 || !any)
		return rc;
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	s->odb = NULL;
	s->repo = NULL;
	s->stage = NULL;
	rc = git_repo_keep(s->path, &s->fresh, d);
	/* now an existing repository, opened as any other */
	rc = rc ? rc : open_repo(s, d);
	return rc ? rc : read_head(s, d);
}

/* git_sink_close - release the repository and libgit2 */
void
git_sink_close(struct git_sink *s)
{
	if (s == NULL)
		return;
	git_odb_free(s->odb);
	git_repository_free(s->repo);
	git_repo_drop(&s->fresh);
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
	if ((why = path_problem(path)) != NULL)
		return inval(d, path, why);
	if ((rc = load_head(s, &commit, &tree, d)) == 0)
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
	if ((why = path_problem(path)) != NULL)
		return inval(d, path, why);
	if ((rc = lookup_commit(s, commit_hex, &commit, d)) < 0)
		goto cleanup;
	if (git_commit_tree(&tree, commit) < 0) {
		rc = lib_fail(d, commit_hex, "cannot read tree");
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
		w->rc = nomem(w->d, w->dir);
		return -1;
	}
	if (git_blob_lookup(&blob, w->s->repo, git_tree_entry_id(e)) < 0) {
		w->rc = lib_fail(w->d, w->path.data, "cannot read blob");
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
	if ((why = path_problem(dir)) != NULL)
		return inval(d, dir, why);
	if (commit_hex)
		rc = lookup_commit(s, commit_hex, &commit, d);
	else
		rc = load_head(s, &commit, &tree, d);
	if (rc < 0 || commit == NULL)
		goto cleanup;
	if (tree == NULL && git_commit_tree(&tree, commit) < 0) {
		rc = lib_fail(d, s->path, "cannot read tree");
		goto cleanup;
	}
	rc = git_tree_entry_bypath(&e, tree, dir);
	if (rc == GIT_ENOTFOUND ||
	    (rc == 0 && git_tree_entry_type(e) != GIT_OBJECT_TREE)) {
		rc = 0;
		goto cleanup;
	}
	if (rc < 0 || git_tree_lookup(&sub, s->repo, git_tree_entry_id(e)) < 0) {
		rc = lib_fail(d, dir, "cannot read directory");
		goto cleanup;
	}
	w.s = s;
	w.dir = dir;
	w.fn = fn;
	w.ctx = ctx;
	w.d = d;
	if (git_tree_walk(sub, GIT_TREEWALK_PRE, each_blob, &w) < 0)
		rc = w.rc < 0 ? w.rc : lib_fail(d, dir, "cannot walk directory");
cleanup:
	buf_free(&w.path);
	git_tree_entry_free(e);
	git_tree_free(sub);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

/* reflog_text - "what: subject of message" into log */
static int
reflog_text(struct buf *log, const char *what, const char *message)
{
	if (buf_puts(log, what) < 0 || buf_puts(log, ": ") < 0 ||
	    buf_append(log, message, strcspn(message, "\n")) < 0)
		return ERR_NOMEM;
	return 0;
}

/* ref_locked - a ref write that met the ref's lock file: a git
 * process at work, or one that died; ERR_BUSY (try again) */
static int
ref_locked(struct git_sink *s, const char *what, const char *branch,
    const char *refname, struct diag *d)
{
	diag_error(d, NULL, "git_sink: %s: cannot %s branch %s: another "
	    "process holds the lock (%s.lock; if no git process runs, it is "
	    "stale: remove it)", s->path, what, branch, refname);
	return ERR_BUSY;
}

/* swap_head - compare-and-swap the deploy branch from the head read to
 * id; the sink's head follows on success */
static int
swap_head(struct git_sink *s, const git_oid *id, const char *log,
    struct diag *d)
{
	git_reference *ref = NULL;
	int rc;

	if (s->has_head)
		rc = git_reference_create_matching(&ref, s->repo, s->refname,
		    id, 1, &s->head, log);
	else
		rc = git_reference_create(&ref, s->repo, s->refname, id, 0,
		    log);
	git_reference_free(ref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS ||
	    (rc == GIT_ENOTFOUND && s->has_head)) {
		diag_error(d, NULL, "git_sink: %s: cannot move branch %s: "
		    "it moved since it was read", s->path, s->branch);
		return ERR_MOVED;
	}
	if (rc == GIT_ELOCKED)
		return ref_locked(s, "move", s->branch, s->refname, d);
	if (rc < 0)
		return lib_fail(d, s->path, "cannot move branch");
	s->head = *id;
	s->has_head = 1;
	/* a work tree shows the branch, not what it was */
	git_worktree_follow(s->repo, s->refname, s->path, d);
	return 0;
}

/* what a new commit needs, checked before any object is written */
struct draft {
	git_signature *sig;
	struct buf msg;         /* the message with its final newline */
	const char *message;    /* msg.data, or the caller's when it had one */
};

/* draft_start - check the message and the author; release the draft
 * with draft_end whatever this returns */
static int
draft_start(struct git_sink *s, const char *message, const char *name,
    const char *email, struct draft *dr, struct diag *d)
{
	size_t n;
	int rc;

	dr->sig = NULL;
	buf_init(&dr->msg);
	dr->message = message;
	if (message == NULL || *message == '\0')
		return inval(d, s->path, "empty commit message");
	if (git_signature_now(&dr->sig, name ? name : "",
	    email ? email : "") < 0) {
		rc = lib_fail(d, s->path, "invalid author");
		return rc == ERR_IO ? ERR_INVAL : rc;
	}
	n = strlen(message);
	if (message[n - 1] != '\n') {
		if (buf_append(&dr->msg, message, n) < 0 ||
		    buf_putc(&dr->msg, '\n') < 0)
			return nomem(d, s->path);
		dr->message = dr->msg.data;
	}
	return 0;
}

/* draft_end - release what draft_start acquired */
static void
draft_end(struct draft *dr)
{
	git_signature_free(dr->sig);
	buf_free(&dr->msg);
}

/* build_tree - check files and write their tree; old is the tree to
 * reuse unchanged blobs and directories from (may be NULL) */
static int
build_tree(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const git_tree *old, git_oid *out, struct diag *d)
{
	const struct git_sink_file **v = NULL;
	int rc;

	if ((rc = sorted_files(files, nfiles, &v, d)) == 0)
		rc = build_dir(s, v, 0, nfiles, 0, old, out, d);
	free(v);
	return rc;
}

/* write_commit - the commit of tree_id on parent (NULL: a root) */
static int
write_commit(struct git_sink *s, const struct draft *dr,
    const git_oid *tree_id, const git_commit *parent, git_oid *out,
    struct diag *d)
{
	git_tree *tree = NULL;
	const git_commit *parents[1];
	int rc = 0;

	if (git_tree_lookup(&tree, s->repo, tree_id) < 0) {
		rc = lib_fail(d, s->path, "cannot read new tree");
		goto cleanup;
	}
	parents[0] = parent;
	if (git_commit_create(out, s->repo, NULL, dr->sig, dr->sig, NULL,
	    dr->message, tree, parent ? 1 : 0, parents) < 0)
		rc = lib_fail(d, s->path, "cannot write commit");
cleanup:
	git_tree_free(tree);
	return rc;
}

/* what the head holds at a path given to git_sink_update */
enum held {
	HELD_NONE,              /* nothing (also under a missing directory) */
	HELD_BLOB,
	HELD_LINK,              /* a submodule link */
	HELD_DIR,
	HELD_UNDER_FILE         /* a parent directory is a file */
};

/* held_at - what root holds at path, and the entry's id; only the
 * trees along the path are read */
static int
held_at(struct git_sink *s, const git_tree *root, const char *path,
    enum held *what, git_oid *id, struct diag *d)
{
	char name[PATH_MAX_LEN + 1];
	const git_tree_entry *e;
	const git_tree *t = root;
	git_tree *sub = NULL, *next = NULL;
	git_object_t type;
	const char *c = path;
	size_t n;
	int rc = 0;

	*what = HELD_NONE;
	for (;;) {
		n = strcspn(c, "/");    /* path_problem bounds it */
		memcpy(name, c, n);
		name[n] = '\0';
		if ((e = git_tree_entry_byname(t, name)) == NULL)
			break;
		type = git_tree_entry_type(e);
		if (c[n] == '\0') {
			*what = type == GIT_OBJECT_TREE ? HELD_DIR :
			    type == GIT_OBJECT_BLOB ? HELD_BLOB : HELD_LINK;
			git_oid_cpy(id, git_tree_entry_id(e));
			break;
		}
		if (type != GIT_OBJECT_TREE) {
			*what = HELD_UNDER_FILE;
			break;
		}
		if (git_tree_lookup(&next, s->repo, git_tree_entry_id(e)) < 0) {
			rc = lib_fail(d, path, "cannot read head tree");
			break;
		}
		git_tree_free(sub);
		t = sub = next;
		c += n + 1;
	}
	git_tree_free(sub);
	return rc;
}

/* update_tree - check the changes against old, then write their blobs
 * and the trees on their paths (libgit2 drops a directory left empty);
 * every refusal comes before any write */
static int
update_tree(struct git_sink *s, const struct git_sink_file *changes,
    size_t n, git_tree *old, git_oid *out, struct diag *d)
{
	const struct git_sink_file **v = NULL, *f;
	git_tree_update *u = NULL;
	struct held_entry {
		enum held what;
		git_oid id;
	} *h = NULL;
	size_t i, k = 0;
	int rc, same;

	if ((rc = sorted_files(changes, n, &v, d)) < 0)
		goto cleanup;
	if ((u = calloc(n ? n : 1, sizeof *u)) == NULL ||
	    (h = calloc(n ? n : 1, sizeof *h)) == NULL) {
		rc = nomem(d, s->path);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		f = v[i];
		if ((rc = held_at(s, old, f->path, &h[i].what, &h[i].id,
		    d)) < 0)
			goto cleanup;
		if (h[i].what == HELD_DIR)
			rc = inval(d, f->path, "a directory in the tree");
		else if (!f->remove && h[i].what == HELD_UNDER_FILE)
			rc = inval(d, f->path,
			    "a parent directory is a file in the tree");
		else if (!f->remove && h[i].what == HELD_LINK)
			rc = inval(d, f->path, "a submodule link in the tree");
		if (rc < 0)
			goto cleanup;
	}
	for (i = 0; i < n; i++) {
		f = v[i];
		if (f->remove) {
			/* absent: nothing to remove, and libgit2 would fail */
			if (h[i].what != HELD_BLOB && h[i].what != HELD_LINK)
				continue;
			u[k].action = GIT_TREE_UPDATE_REMOVE;
		} else {
			same = 0;
			if (h[i].what == HELD_BLOB && (rc = same_blob(s,
			    f->path, &h[i].id, f->data ? f->data : "", f->len,
			    &same, d)) < 0)
				goto cleanup;
			if (same)
				git_oid_cpy(&u[k].id, &h[i].id);
			else if (git_blob_create_from_buffer(&u[k].id, s->repo,
			    f->data ? f->data : "", f->len) < 0) {
				rc = lib_fail(d, f->path, "cannot write blob");
				goto cleanup;
			}
			u[k].action = GIT_TREE_UPDATE_UPSERT;
			u[k].filemode = GIT_FILEMODE_BLOB;
		}
		u[k++].path = f->path;
	}
	if (k == 0)
		git_oid_cpy(out, git_tree_id(old));
	else if (git_tree_create_updated(out, s->repo, old, k, u) < 0)
		rc = lib_fail(d, s->path, "cannot write tree");
cleanup:
	free(h);
	free(u);
	free(v);
	return rc;
}

/* commit_head - commit on the deploy branch's head: files are the
 * whole tree, or with update set the changes to the head's tree */
static int
commit_head(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, int update, const char *message,
    const char *author_name, const char *author_email, int *committed,
    char oid_hex[41], struct diag *d)
{
	struct draft dr;
	git_commit *head = NULL;
	git_tree *old = NULL;
	struct buf log = BUF_INIT;
	git_oid tree_id, id;
	int rc;

	*committed = 0;
	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = draft_start(s, message, author_name, author_email, &dr,
	    d)) < 0)
		goto cleanup;
	if ((rc = load_head(s, &head, &old, d)) < 0)
		goto cleanup;
	if (update && old == NULL) {
		diag_error(d, NULL, "git_sink: %s: cannot update branch %s: "
		    "it has no commit yet", s->path, s->branch);
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	stage_begin(s, nfiles);
	rc = update ? update_tree(s, files, nfiles, old, &tree_id, d) :
	    build_tree(s, files, nfiles, old, &tree_id, d);
	if (rc < 0)
		goto cleanup;
	if (old && git_oid_equal(&tree_id, git_tree_id(old))) {
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &s->head);
		goto cleanup;
	}
	if ((rc = write_commit(s, &dr, &tree_id, head, &id, d)) < 0 ||
	    (rc = stage_flush(s, d)) < 0)
		goto cleanup;
	if (reflog_text(&log, head ? "commit" : "commit (initial)",
	    dr.message) < 0) {
		rc = nomem(d, s->path);
		goto cleanup;
	}
	if ((rc = swap_head(s, &id, log.data, d)) < 0)
		goto cleanup;
	*committed = 1;
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	stage_end(s);
	buf_free(&log);
	draft_end(&dr);
	git_tree_free(old);
	git_commit_free(head);
	return rc;
}

/* git_sink_commit - write the whole tree, the commit, move the branch */
int
git_sink_commit(struct git_sink *s, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d)
{
	return commit_head(s, files, nfiles, 0, message, author_name,
	    author_email, committed, oid_hex, d);
}

/* git_sink_update - write only the changed paths, commit, move */
int
git_sink_update(struct git_sink *s, const struct git_sink_file *changes,
    size_t nchanges, const char *message, const char *author_name,
    const char *author_email, int *committed, char oid_hex[41],
    struct diag *d)
{
	return commit_head(s, changes, nchanges, 1, message, author_name,
	    author_email, committed, oid_hex, d);
}

/* branch_ref - "refs/heads/BRANCH" into ref for a valid branch name;
 * the deploy branch only when deploy_ok */
static int
branch_ref(struct git_sink *s, const char *branch, int deploy_ok,
    struct buf *ref, struct diag *d)
{
	int valid = 0;

	if (branch == NULL || strncmp(branch, "refs/", 5) == 0 ||
	    git_branch_name_is_valid(&valid, branch) < 0 || !valid)
		return inval(d, branch, "invalid branch name");
	if (!deploy_ok && strcmp(branch, s->branch) == 0)
		return inval(d, branch, "the deploy branch moves only by "
		    "compare-and-swap");
	if (buf_puts(ref, REF_PREFIX) < 0 || buf_puts(ref, branch) < 0)
		return nomem(d, branch);
	return 0;
}

/* git_sink_commit_on - one commit on a given parent, on another branch */
int
git_sink_commit_on(struct git_sink *s, const char *branch,
    const char *parent_hex, const struct git_sink_file *files,
    size_t nfiles, const char *message, const char *author_name,
    const char *author_email, int force, char oid_hex[41], struct diag *d)
{
	struct draft dr;
	struct buf ref = BUF_INIT, log = BUF_INIT;
	git_reference *r = NULL;
	git_commit *parent = NULL;
	git_tree *old = NULL;
	git_oid tree_id, id;
	int rc;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = draft_start(s, message, author_name, author_email, &dr,
	    d)) < 0)
		goto cleanup;
	if ((rc = branch_ref(s, branch, 0, &ref, d)) < 0)
		goto cleanup;
	if (parent_hex && (rc = lookup_commit(s, parent_hex, &parent, d)) < 0)
		goto cleanup;
	if (parent && git_commit_tree(&old, parent) < 0) {
		rc = lib_fail(d, parent_hex, "cannot read tree");
		goto cleanup;
	}
	stage_begin(s, nfiles);
	if ((rc = build_tree(s, files, nfiles, old, &tree_id, d)) < 0 ||
	    (rc = write_commit(s, &dr, &tree_id, parent, &id, d)) < 0 ||
	    (rc = stage_flush(s, d)) < 0)
		goto cleanup;
	if (reflog_text(&log, force ? "commit (force)" : "commit (created)",
	    dr.message) < 0) {
		rc = nomem(d, s->path);
		goto cleanup;
	}
	rc = git_reference_create(&r, s->repo, ref.data, &id, force ? 1 : 0,
	    log.data);
	if (rc == GIT_EEXISTS) {
		diag_error(d, NULL, "git_sink: %s: cannot create branch %s: "
		    "it already exists", s->path, branch);
		rc = ERR_MOVED;
		goto cleanup;
	}
	if (rc == GIT_ELOCKED) {
		rc = ref_locked(s, "move", branch, ref.data, d);
		goto cleanup;
	}
	if (rc < 0) {
		rc = lib_fail(d, s->path, "cannot move branch");
		goto cleanup;
	}
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	stage_end(s);
	git_reference_free(r);
	buf_free(&log);
	buf_free(&ref);
	draft_end(&dr);
	git_tree_free(old);
	git_commit_free(parent);
	return rc;
}

/* git_sink_commit_child - a commit on parent with the parent's tree */
int
git_sink_commit_child(struct git_sink *s, const char *parent_hex,
    const char *message, const char *author_name, const char *author_email,
    char oid_hex[41], struct diag *d)
{
	struct draft dr;
	git_commit *parent = NULL;
	git_oid id;
	int rc;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = draft_start(s, message, author_name, author_email, &dr,
	    d)) < 0)
		goto cleanup;
	if ((rc = lookup_commit(s, parent_hex, &parent, d)) < 0)
		goto cleanup;
	/* The tree exists already: only the commit object is new. */
	if ((rc = write_commit(s, &dr, git_commit_tree_id(parent), parent, &id,
	    d)) < 0)
		goto cleanup;
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	draft_end(&dr);
	git_commit_free(parent);
	return rc;
}

/* git_sink_branch_head - the commit a branch points at, read now; like
 * git_sink_head it answers without a diag */
int
git_sink_branch_head(struct git_sink *s, const char *branch,
    char oid_hex[41])
{
	struct buf ref = BUF_INIT;
	struct diag quiet;
	git_oid id;
	int rc;

	oid_hex[0] = '\0';
	diag_init(&quiet, NULL);
	if ((rc = branch_ref(s, branch, 1, &ref, &quiet)) < 0)
		goto cleanup;
	rc = git_reference_name_to_id(&id, s->repo, ref.data);
	if (rc == GIT_ENOTFOUND)
		rc = ERR_NOTFOUND;
	else if (rc < 0)
		rc = ERR_IO;
	else
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	diag_free(&quiet);
	buf_free(&ref);
	return rc;
}

/* git_sink_branch_delete - remove another branch; absent is done */
int
git_sink_branch_delete(struct git_sink *s, const char *branch,
    struct diag *d)
{
	struct buf ref = BUF_INIT;
	git_reference *r = NULL;
	int rc;

	git_error_clear();
	if ((rc = branch_ref(s, branch, 0, &ref, d)) < 0)
		goto cleanup;
	rc = git_reference_lookup(&r, s->repo, ref.data);
	if (rc == GIT_ENOTFOUND) {
		rc = 0;
		goto cleanup;
	}
	if (rc < 0) {
		rc = lib_fail(d, s->path, "cannot read branch");
		goto cleanup;
	}
	/* deleted only if still where it was just read */
	rc = git_reference_delete(r);
	if (rc == GIT_EMODIFIED) {
		diag_error(d, NULL, "git_sink: %s: cannot delete branch %s: "
		    "it moved since it was read", s->path, branch);
		rc = ERR_MOVED;
	} else if (rc == GIT_ELOCKED) {
		rc = ref_locked(s, "delete", branch, ref.data, d);
	} else if (rc < 0) {
		rc = lib_fail(d, s->path, "cannot delete branch");
	}
cleanup:
	git_reference_free(r);
	buf_free(&ref);
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

/* tree_leaves - every non-directory entry of a commit's tree, sorted */
static int
tree_leaves(struct git_sink *s, const git_commit *commit,
    struct leaves *l, struct diag *d)
{
	git_tree *tree = NULL;
	int rc = 0;

	if (git_commit_tree(&tree, commit) < 0) {
		rc = lib_fail(d, s->path, "cannot read tree");
		goto cleanup;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_leaf, l) < 0) {
		rc = l->rc < 0 ? nomem(d, s->path) :
		    lib_fail(d, s->path, "cannot read tree");
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
	if (skip && (why = path_problem(skip)) != NULL)
		return inval(d, skip, why);
	if ((rc = lookup_commit(s, a_hex, &a, d)) < 0 ||
	    (rc = lookup_commit(s, b_hex, &b, d)) < 0)
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
		return lib_fail(d, l->path, "cannot read blob");
	if (git_blob_rawsize(*blob) > SIZE_MAX)
		return nomem(d, l->path);
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
	if (skip && (why = path_problem(skip)) != NULL)
		return inval(d, skip, why);
	if ((rc = lookup_commit(s, a_hex, &a, d)) < 0 ||
	    (rc = lookup_commit(s, b_hex, &b, d)) < 0)
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

/* move_deploy - move the deploy branch to a commit that descends from
 * its head, or to any commit when force is set; compare-and-swap */
static int
move_deploy(struct git_sink *s, const char *hex, int force,
    const char *what, struct diag *d)
{
	git_commit *target = NULL;
	struct buf log = BUF_INIT;
	const git_oid *id;
	int rc;

	git_error_clear();
	if ((rc = lookup_commit(s, hex, &target, d)) < 0)
		goto cleanup;
	id = git_commit_id(target);
	if (s->has_head && git_oid_equal(id, &s->head))
		goto cleanup;
	if (s->has_head && !force) {
		rc = git_graph_descendant_of(s->repo, id, &s->head);
		if (rc < 0) {
			rc = lib_fail(d, hex, "cannot compare with the head");
			goto cleanup;
		}
		if (rc == 0) {
			diag_error(d, NULL, "git_sink: %s: cannot move branch %s "
			    "to %s: not a descendant of its head", s->path,
			    s->branch, hex);
			rc = ERR_MOVED;
			goto cleanup;
		}
	}
	if (buf_printf(&log, "%s: %s", what, hex) < 0) {
		rc = nomem(d, s->path);
		goto cleanup;
	}
	rc = swap_head(s, id, log.data, d);
cleanup:
	buf_free(&log);
	git_commit_free(target);
	return rc;
}

/* git_sink_fast_forward - move the deploy branch forward only */
int
git_sink_fast_forward(struct git_sink *s, const char *commit_hex,
    struct diag *d)
{
	return move_deploy(s, commit_hex, 0, "fast-forward", d);
}

/* git_sink_reset_to - move the deploy branch to a fetched commit */
int
git_sink_reset_to(struct git_sink *s, const char *commit_hex, int force,
    struct diag *d)
{
	return move_deploy(s, commit_hex, force,
	    force ? "reset (forced)" : "reset", d);
}

/* what a remote operation reports back through libgit2's callbacks */
struct remote_ctx {
	const char *url;
	struct diag *d;
	int rc;                 /* 0, or the worst refusal: ERR_MOVED, ERR_IO */
};

/* remote_credentials - no credential is configured yet: pass, so that
 * libgit2 reports the refusal (the place for an SSH key hook) */
static int
remote_credentials(git_credential **out, const char *url,
    const char *user, unsigned int allowed, void *payload)
{
	(void)out;
	(void)url;
	(void)user;
	(void)allowed;
	(void)payload;
	return GIT_PASSTHROUGH;
}

/* moved_reason - whether a remote's refusal means "the ref is not where
 * you thought": fetch, recompute and retry will do. A ref merely locked
 * is not: a lock left by a crash stays, so back off (ERR_IO) instead. */
static int
moved_reason(const char *why)
{
	static const char *const moved[] = {
		"non-fast-forward", "fetch first", "stale info",
		"already exists", "but expected"
	};
	size_t i;

	for (i = 0; i < sizeof moved / sizeof *moved; i++)
		if (strstr(why, moved[i]))
			return 1;
	return 0;
}

/* push_status - per-ref answer of the remote: NULL status is success */
static int
push_status(const char *refname, const char *status, void *payload)
{
	struct remote_ctx *c = payload;

	if (status == NULL)
		return 0;
	diag_error(c->d, NULL, "git_sink: %s: cannot push %s: remote refused: "
	    "%s", c->url, refname, status);
	if (!moved_reason(status))
		c->rc = ERR_IO;
	else if (c->rc == 0)
		c->rc = ERR_MOVED;
	return 0;
}

/* remote_callbacks - the callbacks of every remote operation */
static void
remote_callbacks(git_remote_callbacks *cb, struct remote_ctx *c)
{
	cb->credentials = remote_credentials;
	cb->push_update_reference = push_status;
	cb->payload = c;
}

/* remote_fail - record a failed remote operation, return our code:
 * ERR_AUTH when credentials or the certificate were refused,
 * ERR_UNAVAIL when the remote could not be reached or read (connecting
 * is always that), ERR_IO otherwise */
static int
remote_fail(struct diag *d, const char *url, const char *what,
    int code, int connecting)
{
	const git_error *e = git_error_last();
	int klass = e ? e->klass : GIT_ERROR_NONE;

	diag_error(d, NULL, "git_sink: %s: %s: %s", url, what,
	    e && e->message ? e->message : "unknown error");
	if (klass == GIT_ERROR_NOMEMORY)
		return ERR_NOMEM;
	if (code == GIT_EAUTH || code == GIT_ECERTIFICATE)
		return ERR_AUTH;
	if (connecting || klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH ||
	    klass == GIT_ERROR_HTTP || klass == GIT_ERROR_SSL)
		return ERR_UNAVAIL;
	return ERR_IO;
}

/* local_path - the directory of a local remote into *out (free()), or
 * NULL for a remote reached over the network. Local are the forms
 * libgit2 takes as local, file:///PATH and file://localhost/PATH
 * (percent-encoded), and a plain path: absolute, or naming a
 * directory. */
static int
local_path(const char *url, char **out, struct diag *d)
{
	struct stat st;
	const char *p;
	char *q;
	int hi, lo;

	*out = NULL;
	if (strncmp(url, "file://", 7) != 0) {
		if (strstr(url, "://") == NULL && (*url == '/' ||
		    (stat(url, &st) == 0 && S_ISDIR(st.st_mode))) &&
		    (*out = strdup(url)) == NULL)
			return nomem(d, url);
		return 0;
	}
	p = url + 7;
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return inval(d, url, "a file URL needs an absolute path");
	if ((*out = q = malloc(strlen(p) + 1)) == NULL)
		return nomem(d, url);
	for (; *p; p++) {
		if (*p == '%') {
			hi = buf_hexval(p[1]);
			lo = hi < 0 ? -1 : buf_hexval(p[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(*out);
				*out = NULL;
				return inval(d, url, "bad %-escape in file URL");
			}
			*q++ = (char)(hi * 16 + lo);
			p += 2;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return 0;
}

/* open_local - check that a local remote's directory is there and,
 * when lock is set, take its advisory lock into *fd, waiting at most
 * LOCK_WAIT_MS. ERR_UNAVAIL when the directory cannot be opened or
 * stays locked, ERR_IO when it cannot be locked at all. */
static int
open_local(const char *url, const char *path, int lock, int *fd,
    struct diag *d)
{
	struct timespec ts;
	long waited = 0, step = 5;
	int rc = ERR_UNAVAIL;

	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		diag_error(d, NULL, "git_sink: %s: cannot reach remote: %s",
		    url, strerror(errno));
		return ERR_UNAVAIL;
	}
	for (;;) {
		if (!lock || flock(*fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			diag_error(d, NULL, "git_sink: %s: cannot lock remote: %s",
			    url, strerror(errno));
			rc = ERR_IO;
			break;
		}
		if (waited >= LOCK_WAIT_MS) {
			diag_error(d, NULL, "git_sink: %s: cannot lock remote: "
			    "another push held it for %d ms", url, LOCK_WAIT_MS);
			break;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 100)
			step *= 2;
	}
	close(*fd);
	*fd = -1;
	return rc;
}

/* remote_open - an anonymous remote for url, connected in direction;
 * a local remote must exist, and is locked (*lockfd, else -1) when
 * pushing */
static int
remote_open(struct git_sink *s, const char *url, git_direction direction,
    struct remote_ctx *c, git_remote **out, int *lockfd, struct diag *d)
{
	git_remote_create_options co;
	git_remote_connect_options o;
	char *path = NULL;
	int rc;

	*out = NULL;
	*lockfd = -1;
	if (url == NULL || *url == '\0')
		return inval(d, "(remote)", "empty remote URL");
	if ((rc = local_path(url, &path, d)) < 0)
		goto cleanup;
	if (path && (rc = open_local(url, path,
	    direction == GIT_DIRECTION_PUSH, lockfd, d)) < 0)
		goto cleanup;
	if (direction != GIT_DIRECTION_PUSH && *lockfd >= 0) {
		close(*lockfd);         /* only checked */
		*lockfd = -1;
	}
	/* anonymous, as git_remote_create_anonymous makes it, but the URL
	 * is taken as configured: no url.*.insteadOf rewriting (whose
	 * lookup also leaks memory in libgit2 1.5) */
	if ((rc = git_remote_create_options_init(&co,
	    GIT_REMOTE_CREATE_OPTIONS_VERSION)) == 0) {
		co.repository = s->repo;
		co.name = NULL;
		co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
		rc = git_remote_create_with_opts(out, url, &co);
	}
	if (rc < 0) {
		rc = lib_fail(d, url, "invalid remote URL");
		if (rc == ERR_IO)
			rc = ERR_INVAL;
		goto cleanup;
	}
	if ((rc = git_remote_connect_options_init(&o,
	    GIT_REMOTE_CONNECT_OPTIONS_VERSION)) < 0) {
		rc = lib_fail(d, url, "cannot connect");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, c);
	if ((rc = git_remote_connect_ext(*out, direction, &o)) < 0)
		rc = remote_fail(d, url, "cannot reach remote", rc, 1);
cleanup:
	free(path);
	if (rc < 0) {
		git_remote_free(*out);
		*out = NULL;
		if (*lockfd >= 0)
			close(*lockfd);
		*lockfd = -1;
	}
	return rc;
}

/* remote_close - disconnect, free, then release the lock */
static void
remote_close(git_remote *remote, int lockfd)
{
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	if (lockfd >= 0)
		close(lockfd);          /* releases the flock */
}

/* advertised - the id the remote advertises for refname, or NULL */
static const git_oid *
advertised(git_remote *remote, const char *refname)
{
	const git_remote_head **heads;
	size_t i, n;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(heads[i]->name, refname) == 0)
			return &heads[i]->oid;
	return NULL;
}

/* free_specs - release refspec strings */
static void
free_specs(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* push_specs - "[+]refs/heads/B:refs/heads/B" per branch, or
 * ":refs/heads/B" when deleting; every branch name checked, and for a
 * push every branch must exist here */
static int
push_specs(struct git_sink *s, const char *url,
    const char *const *branches, size_t n, const unsigned char *force,
    int deleting, char ***out, struct diag *d)
{
	struct buf ref = BUF_INIT, spec = BUF_INIT;
	char **v;
	git_oid id;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && branches == NULL)
		return inval(d, url, "no branch list");
	if ((v = calloc(n ? n : 1, sizeof *v)) == NULL)
		return nomem(d, url);
	for (i = 0; i < n; i++) {
		buf_reset(&ref);
		buf_reset(&spec);
		if ((rc = branch_ref(s, branches[i], !deleting, &ref, d)) < 0)
			goto cleanup;
		if (!deleting) {
			rc = git_reference_name_to_id(&id, s->repo, ref.data);
			if (rc == GIT_ENOTFOUND) {
				diag_error(d, NULL, "git_sink: %s: cannot push %s: "
				    "no such branch here", url, branches[i]);
				rc = ERR_NOTFOUND;
				goto cleanup;
			}
			if (rc < 0) {
				rc = lib_fail(d, s->path, "cannot read branch");
				goto cleanup;
			}
		}
		if (buf_printf(&spec, "%s%s:%s",
		    !deleting && force && force[i] ? "+" : "",
		    deleting ? "" : ref.data, ref.data) < 0 ||
		    (v[i] = buf_steal(&spec)) == NULL) {
			rc = nomem(d, url);
			goto cleanup;
		}
	}
cleanup:
	buf_free(&ref);
	buf_free(&spec);
	if (rc < 0)
		free_specs(v, n);
	else
		*out = v;
	return rc;
}

/* push_refs - push the refspecs v[0..n) to url; a delete of a ref the
 * remote does not have is dropped before anything is sent */
static int
push_refs(struct git_sink *s, const char *url, char *const *v, size_t n,
    struct diag *d)
{
	struct remote_ctx c = { url, d, 0 };
	git_push_options o;
	git_remote *remote = NULL;
	git_strarray specs = { NULL, 0 };
	size_t i;
	int rc, lockfd = -1;

	if ((specs.strings = calloc(n ? n : 1, sizeof *specs.strings)) ==
	    NULL)
		return nomem(d, url);
	if ((rc = remote_open(s, url, GIT_DIRECTION_PUSH, &c, &remote,
	    &lockfd, d)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		if (v[i][0] != ':' || advertised(remote, v[i] + 1))
			specs.strings[specs.count++] = v[i];   /* borrowed */
	if (specs.count == 0)
		goto cleanup;
	if ((rc = git_push_options_init(&o, GIT_PUSH_OPTIONS_VERSION)) < 0) {
		rc = lib_fail(d, url, "cannot push");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, &c);
	rc = git_remote_upload(remote, &specs, &o);
	if (rc == GIT_ENONFASTFORWARD) {
		/* refused here, before anything was sent */
		remote_fail(d, url, "cannot push", rc, 0);
		rc = ERR_MOVED;
	} else if (rc < 0)
		rc = remote_fail(d, url, "cannot push", rc, 0);
	else
		rc = c.rc;
cleanup:
	remote_close(remote, lockfd);
	free(specs.strings);
	return rc;
}

/* git_sink_push - push branches to the same names on a remote */
int
git_sink_push(struct git_sink *s, const char *remote_url,
    const char *const *branches, size_t n, const unsigned char *force,
    struct diag *d)
{
	char **v = NULL;
	int rc;

	git_error_clear();
	if (n == 0)
		return 0;
	if ((rc = push_specs(s, remote_url ? remote_url : "(remote)",
	    branches, n, force, 0, &v, d)) == 0)
		rc = push_refs(s, remote_url, v, n, d);
	free_specs(v, n);
	return rc;
}

/* git_sink_push_delete - delete a branch on a remote */
int
git_sink_push_delete(struct git_sink *s, const char *remote_url,
    const char *branch, struct diag *d)
{
	char **v = NULL;
	int rc;

	git_error_clear();
	if ((rc = push_specs(s, remote_url ? remote_url : "(remote)",
	    &branch, 1, NULL, 1, &v, d)) == 0)
		rc = push_refs(s, remote_url, v, 1, d);
	free_specs(v, 1);
	return rc;
}

/* tracking_ref - "refs/splitsync/remotes/ID/BRANCH", ID naming the URL
 * by the first hex digits of its hash: stable across runs and hosts */
static int
tracking_ref(const char *url, const char *branch, struct buf *out,
    struct diag *d)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	if (git_odb_hash(&id, url, strlen(url), GIT_OBJECT_BLOB) < 0)
		return lib_fail(d, url, "cannot hash URL");
	git_oid_tostr(hex, sizeof hex, &id);
	if (buf_printf(out, "%s%.*s/%s", TRACK_PREFIX, TRACK_ID_LEN, hex,
	    branch) < 0)
		return nomem(d, url);
	return 0;
}

/* git_sink_fetch - fetch a remote branch into its tracking ref */
int
git_sink_fetch(struct git_sink *s, const char *remote_url,
    const char *branch, char oid_hex[41], struct diag *d)
{
	struct remote_ctx c = { remote_url, d, 0 };
	struct buf ref = BUF_INIT, track = BUF_INIT, spec = BUF_INIT;
	git_fetch_options o;
	git_remote *remote = NULL;
	git_commit *commit = NULL;
	git_strarray specs;
	const git_oid *adv;
	char *one[1];
	git_oid id;
	int rc, lockfd = -1, packfd;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = branch_ref(s, branch, 1, &ref, d)) < 0)
		goto cleanup;
	if ((rc = remote_open(s, remote_url, GIT_DIRECTION_FETCH, &c,
	    &remote, &lockfd, d)) < 0)
		goto cleanup;
	if ((rc = tracking_ref(remote_url, branch, &track, d)) < 0)
		goto cleanup;
	if ((adv = advertised(remote, ref.data)) == NULL) {
		/* gone from the remote: so is what we knew of it */
		rc = git_reference_remove(s->repo, track.data);
		if (rc < 0 && rc != GIT_ENOTFOUND) {
			rc = lib_fail(d, s->path, "cannot remove tracking ref");
			goto cleanup;
		}
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	if (buf_printf(&spec, "+%s:%s", ref.data, track.data) < 0) {
		rc = nomem(d, remote_url);
		goto cleanup;
	}
	one[0] = spec.data;
	specs.strings = one;
	specs.count = 1;
	if ((rc = git_fetch_options_init(&o, GIT_FETCH_OPTIONS_VERSION)) < 0) {
		rc = lib_fail(d, remote_url, "cannot fetch");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, &c);
	o.prune = GIT_FETCH_NO_PRUNE;
	o.update_fetchhead = 0;
	o.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	/* objects first (a pack: under the pack writers' lock), the
	 * tracking ref last */
	if ((rc = git_tidy_pack_lock(s->repo, s->path, &packfd, d)) < 0)
		goto cleanup;
	rc = git_remote_download(remote, &specs, &o);
	git_tidy_pack_unlock(packfd);
	if (rc < 0 || (rc = git_remote_update_tips(remote, &o.callbacks, 0,
	    GIT_REMOTE_DOWNLOAD_TAGS_NONE, "splitsync: fetch")) < 0) {
		rc = remote_fail(d, remote_url, "cannot fetch", rc, 0);
		goto cleanup;
	}
	if (git_reference_name_to_id(&id, s->repo, track.data) < 0) {
		rc = lib_fail(d, s->path, "cannot read tracking ref");
		goto cleanup;
	}
	if (git_commit_lookup(&commit, s->repo, &id) < 0) {
		rc = lib_fail(d, remote_url, "fetched branch is not a commit");
		goto cleanup;
	}
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	git_commit_free(commit);
	remote_close(remote, lockfd);
	buf_free(&spec);
	buf_free(&track);
	buf_free(&ref);
	return rc;
}
