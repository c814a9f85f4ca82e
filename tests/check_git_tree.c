/*
 * check_git_tree - the tree writer: files put from memory or from a
 * generator, removed, in any order; "changed?" from ids alone (a file
 * the head holds is produced once, a new one twice); the head's tree
 * kept where nothing was given; commits on the deploy branch and on a
 * side branch of one tree; refusals that leave the tree as it was.
 * Checked with git itself (ls-tree, show, fsck).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR GITCMD_AUTHOR
#define EMAIL GITCMD_EMAIL

/* a generator over a C string that counts its calls */
struct counted {
	const char *text;
	int calls;
	const char *second;     /* NULL, or what the second call gives */
	int fail;               /* a negative return of every call */
};

/* gen_counted - the text in two pieces (or the second call's) */
static int
gen_counted(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	struct counted *c = ctx;
	const char *t = ++c->calls == 2 && c->second ? c->second : c->text;
	size_t n = strlen(t), half = n / 2;
	int rc;

	if (c->fail)
		return c->fail;
	if ((rc = emit(ectx, t, half)) < 0)
		return rc;
	return emit(ectx, t + half, n - half);
}

/* put_counted - put_gen of text at path: its result and gen's calls */
static int
put_counted(struct git_sink_tree *t, const char *path, const char *text,
    int *calls, struct diag *d)
{
	struct counted c = { text, 0, NULL, 0 };
	int rc;

	rc = git_sink_tree_put_gen(t, path, strlen(text), gen_counted, &c, d);
	*calls = c.calls;
	return rc;
}

/* new_tree - git_sink_tree_new, assert success */
static struct git_sink_tree *
new_tree(struct git_sink *s, int from_head)
{
	struct git_sink_tree *t = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_tree_new(s, from_head, &t, &d), 0);
	ck_assert_ptr_nonnull(t);
	diag_free(&d);
	return t;
}

/* finish - git_sink_tree_finish, assert success, return *same */
static int
finish(struct git_sink_tree *t)
{
	struct diag d;
	int same = -1;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_tree_finish(t, &same, &d), 0);
	ck_assert(same == 0 || same == 1);
	diag_free(&d);
	return same;
}

/* commit_tree - git_sink_tree_commit, assert success, return
 * *committed */
static int
commit_tree(struct git_sink_tree *t, const char *msg, char hex[41])
{
	struct diag d;
	int rc, committed = -1;

	diag_init(&d, NULL);
	rc = git_sink_tree_commit(t, msg, AUTHOR, EMAIL, &committed, hex, &d);
	ck_assert_msg(rc == 0, "tree commit: %s: %s", err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
	return committed;
}

/* put_ok - git_sink_tree_put, assert success, return its answer */
static int
put_ok(struct git_sink_tree *t, const char *path, const char *text)
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_tree_put(t, path, text, strlen(text), &d);
	ck_assert_msg(rc >= 0, "put %s: %s: %s", path, err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
	return rc;
}

/* base - a repository holding transport, a/b/c, a/d, l.d/1 and l.d/2 */
static struct git_sink *
base(const char *repo, char hex[41])
{
	struct git_sink_file f[5];
	struct git_sink *s = gitcmd_open(repo, 1, "main");

	f[0] = gitcmd_file("transport", "t1\n");
	f[1] = gitcmd_file("a/b/c", "c1\n");
	f[2] = gitcmd_file("a/d", "d1\n");
	f[3] = gitcmd_file("l.d/1", "one\n");
	f[4] = gitcmd_file("l.d/2", "two\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 5, "base", hex), 1);
	return s;
}

START_TEST(t_put_remove)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	char first[41], hex[41], *blob;
	int calls;

	diag_init(&d, NULL);
	s = base(repo, first);
	blob = gitcmd_git(repo, "rev-parse main:l.d");
	t = new_tree(s, 1);
	/* the same content: produced once, not written */
	ck_assert_int_eq(put_counted(t, "a/d", "d1\n", &calls, &d), 0);
	ck_assert_int_eq(calls, 1);
	/* changed and new: produced twice */
	ck_assert_int_eq(put_counted(t, "a/b/c", "c2\n", &calls, &d), 1);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(put_counted(t, "x/y/z", "z1\n", &calls, &d), 1);
	ck_assert_int_eq(calls, 2);
	/* the same content at another new path: already in the commit */
	ck_assert_int_eq(put_counted(t, "x/w", "z1\n", &calls, &d), 1);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(put_ok(t, "empty", ""), 1);
	ck_assert_int_eq(git_sink_tree_remove(t, "transport", &d), 0);
	ck_assert_int_eq(git_sink_tree_remove(t, "no/such/file", &d), 0);
	/* under a file of the head: nothing there to remove */
	ck_assert_int_eq(git_sink_tree_remove(t, "l.d/2/under", &d), 0);
	ck_assert_int_eq(finish(t), 0);
	/* the top-level names: untouched, changed, new, removed */
	ck_assert_int_eq(git_sink_tree_entry_same(t, "l.d"), 1);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "a"), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "x"), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "transport"), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "never"), 1);
	ck_assert_int_eq(commit_tree(t, "changes", hex), 1);
	git_sink_tree_free(t);
	ck_assert_uint_eq(d.nerrors, 0);
	gitcmd_id_is(repo, "rev-parse main~1", first);
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    "a/b/c\na/d\nempty\nl.d/1\nl.d/2\nx/w\nx/y/z\n");
	gitcmd_git_is(repo, "show main:a/b/c", "c2\n");
	gitcmd_git_is(repo, "show main:x/w", "z1\n");
	gitcmd_git_is(repo, "diff --name-status main~1 main",
	    "M\ta/b/c\nA\tempty\nD\ttransport\nA\tx/w\nA\tx/y/z\n");
	/* the directory nothing was given for is the head's object */
	gitcmd_git_is(repo, "rev-parse main:l.d", blob);
	free(blob);

	/* the last files of a directory go: so does the directory */
	t = new_tree(s, 1);
	ck_assert_int_eq(git_sink_tree_remove(t, "x/y/z", &d), 0);
	ck_assert_int_eq(git_sink_tree_remove(t, "x/w", &d), 0);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "x"), 0);
	ck_assert_int_eq(commit_tree(t, "x goes", hex), 1);
	git_sink_tree_free(t);
	gitcmd_git_is(repo, "ls-tree --name-only main", "a\nempty\nl.d\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_same_as_head)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	char first[41], hex[41], *objects, *reflog;
	int calls;

	diag_init(&d, NULL);
	s = base(repo, first);
	objects = gitcmd_git(repo, "count-objects -v");
	reflog = gitcmd_git(repo, "reflog main");
	/* every file again, in another order: the same tree */
	t = new_tree(s, 0);
	ck_assert_int_eq(put_counted(t, "l.d/2", "two\n", &calls, &d), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(put_ok(t, "a/d", "d1\n"), 0);
	ck_assert_int_eq(put_ok(t, "transport", "t1\n"), 0);
	ck_assert_int_eq(put_ok(t, "l.d/1", "one\n"), 0);
	ck_assert_int_eq(put_ok(t, "a/b/c", "c1\n"), 0);
	ck_assert_int_eq(finish(t), 1);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "a"), 1);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "transport"), 1);
	ck_assert_int_eq(commit_tree(t, "nothing", hex), 0);
	ck_assert_str_eq(hex, first);
	git_sink_tree_free(t);
	/* nothing given from the head: the same tree too */
	t = new_tree(s, 1);
	ck_assert_int_eq(finish(t), 1);
	ck_assert_int_eq(commit_tree(t, "nothing", hex), 0);
	git_sink_tree_free(t);
	gitcmd_git_is(repo, "count-objects -v", objects);
	gitcmd_git_is(repo, "reflog main", reflog);
	/* a file added and taken away again within one tree is refused,
	 * so: one tree adds it, the next removes it; the tree is the
	 * first one's again */
	t = new_tree(s, 1);
	ck_assert_int_eq(put_ok(t, "a/new", "n\n"), 1);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(commit_tree(t, "add", hex), 1);
	git_sink_tree_free(t);
	t = new_tree(s, 1);
	ck_assert_int_eq(git_sink_tree_remove(t, "a/new", &d), 0);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(commit_tree(t, "remove", hex), 1);
	git_sink_tree_free(t);
	free(objects);
	objects = gitcmd_git(repo, "rev-parse main~2^{tree}");
	gitcmd_git_is(repo, "rev-parse main^{tree}", objects);
	/* a full tree missing a file: not the same */
	t = new_tree(s, 0);
	ck_assert_int_eq(put_ok(t, "transport", "t1\n"), 0);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "transport"), 1);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "a"), 0);
	git_sink_tree_free(t);
	ck_assert_uint_eq(d.nerrors, 0);
	git_sink_close(s);
	free(objects);
	free(reflog);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_any_order)
{
	/* names whose git order is not their byte order as paths: a
	 * directory sorts as "name/", after "a-b" and "a.b", before "a0" */
	static const char *const paths[] = {
		"a0", "a/b", "a.b", "a-b", "a/a/x", "b", "a!/z", "A", "a/b0",
		"a/b.c/d", "a/b-c"
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *work = gitcmd_join(dir, "work"), *ours, *theirs = NULL, hex[41];
	struct git_sink_tree *t;
	struct git_sink *s;
	struct buf cmd = BUF_INIT;
	size_t i, n = sizeof paths / sizeof *paths;

	s = gitcmd_open(repo, 1, "main");
	t = new_tree(s, 0);
	for (i = n; i-- > 0;)
		ck_assert_int_eq(put_ok(t, paths[i], paths[i]), 1);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(commit_tree(t, "reversed", hex), 1);
	git_sink_tree_free(t);
	git_sink_close(s);
	gitcmd_fsck(repo);
	/* git's own index makes the same tree of the same files */
	ck_assert_int_eq(buf_printf(&cmd, "git init -q '%s' && cd '%s'", work,
	    work), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(buf_printf(&cmd, " && mkdir -p \"$(dirname "
		    "'%s')\" && printf '%%s' '%s' > '%s'", paths[i], paths[i],
		    paths[i]), 0);
	ck_assert_int_eq(buf_puts(&cmd, " && git add -A && git write-tree"),
	    0);
	ck_assert_int_eq(testlib_sh(&theirs, "%s", cmd.data), 0);
	ours = gitcmd_git(repo, "rev-parse main^{tree}");
	ck_assert_str_eq(ours, theirs);
	free(ours);
	free(theirs);
	buf_free(&cmd);
	free(work);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_refused)
{
	static const struct {
		const char *a, *b;
		int remove_a, remove_b;
		const char *why;
		const char *after;      /* a removal that works afterwards */
	} sets[] = {
		{ "x", "x", 0, 0, "duplicate path", NULL },
		{ "x", "x", 0, 1, "duplicate path", NULL },
		{ "a/d", "a/d", 1, 1, "duplicate path", NULL },
		{ "y", "y/z", 0, 0, "also given as a file", NULL },
		{ "y/z", "y", 0, 0, "also given as a file", NULL },
		{ "transport", "transport/z", 1, 0, "also given as a file",
		    NULL },
		{ "x", "a", 0, 0, "a directory in the tree", NULL },
		{ "x", "a", 0, 1, "a directory in the tree", NULL },
		{ "x", "transport/z", 0, 0, "a parent directory is a file",
		    "transport" },
		{ "x", "a/d/e", 0, 0, "a parent directory is a file", "a/d" },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct counted c = { "four", 0, NULL, 0 };
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	char first[41], hex[41], *objects;
	size_t i;
	int rc, committed;

	diag_init(&d, NULL);
	s = base(repo, first);
	objects = gitcmd_git(repo, "count-objects -v");
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		t = new_tree(s, 1);
		rc = sets[i].remove_a ? git_sink_tree_remove(t, sets[i].a, &d) :
		    git_sink_tree_put(t, sets[i].a, "1\n", 2, &d);
		ck_assert_int_ge(rc, 0);
		rc = sets[i].remove_b ? git_sink_tree_remove(t, sets[i].b, &d) :
		    git_sink_tree_put(t, sets[i].b, "2\n", 2, &d);
		ck_assert_msg(rc == ERR_INVAL, "%zu: %d", i, rc);
		ck_assert_msg(strstr(diag_last_error(&d), sets[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
		/* nothing is kept of a path that failed: not even the
		 * directories it made on its way */
		if (sets[i].after)
			ck_assert_int_eq(git_sink_tree_remove(t, sets[i].after,
			    &d), 0);
		git_sink_tree_free(t);
	}
	t = new_tree(s, 1);
	for (i = 0; i < gitcmd_nbad_paths; i++) {
		ck_assert_int_eq(git_sink_tree_put(t, gitcmd_bad_paths[i], "x",
		    1, &d), ERR_INVAL);
		ck_assert_int_eq(git_sink_tree_remove(t, gitcmd_bad_paths[i],
		    &d), ERR_INVAL);
	}
	/* a generator that gives another length, other bytes the second
	 * time, or fails */
	ck_assert_int_eq(git_sink_tree_put_gen(t, "g", 3, gen_counted, &c,
	    &d), ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "more than the 3"));
	c.calls = 0;
	ck_assert_int_eq(git_sink_tree_put_gen(t, "g", 5, gen_counted, &c,
	    &d), ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "fewer than the 5"));
	c.calls = 0;
	c.second = "FOUR";
	ck_assert_int_eq(git_sink_tree_put_gen(t, "g", 4, gen_counted, &c,
	    &d), ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "changed between"));
	ck_assert_int_eq(c.calls, 2);
	c.fail = ERR_DATA;
	ck_assert_int_eq(git_sink_tree_put_gen(t, "g", 4, gen_counted, &c,
	    &d), ERR_DATA);
	/* the tree still works: g is new, and commits */
	c.fail = 0;
	c.second = NULL;
	c.calls = 0;
	ck_assert_int_eq(git_sink_tree_put_gen(t, "g", 4, gen_counted, &c,
	    &d), 1);
	/* not finished: no commit; finished: no more paths */
	ck_assert_int_eq(git_sink_tree_commit(t, "m", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(git_sink_tree_put(t, "h", "h", 1, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_tree_remove(t, "a/d", &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_tree_finish(t, &rc, &d), ERR_INVAL);
	/* a bad message or author is refused before anything is written */
	ck_assert_int_eq(git_sink_tree_commit(t, "", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_tree_commit(t, "m", AUTHOR, "a<b@c",
	    &committed, hex, &d), ERR_INVAL);
	gitcmd_git_is(repo, "count-objects -v", objects);
	ck_assert_int_eq(commit_tree(t, "g", hex), 1);
	git_sink_tree_free(t);
	gitcmd_git_is(repo, "show main:g", "four");
	gitcmd_id_is(repo, "rev-parse main~1", first);
	git_sink_close(s);
	gitcmd_fsck(repo);
	free(objects);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_full_tree)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	char first[41], hex[41];

	diag_init(&d, NULL);
	s = base(repo, first);
	/* an empty tree takes only what it is given: paths under a file
	 * of the head or over its directories are no conflict, a removal
	 * only marks the path */
	t = new_tree(s, 0);
	ck_assert_int_eq(put_ok(t, "transport/now/a/dir", "x\n"), 1);
	ck_assert_int_eq(put_ok(t, "a", "now a file\n"), 1);
	ck_assert_int_eq(git_sink_tree_remove(t, "l.d", &d), 0);
	ck_assert_int_eq(git_sink_tree_put(t, "l.d", "x", 1, &d), ERR_INVAL);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(commit_tree(t, "other", hex), 1);
	git_sink_tree_free(t);
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    "a\ntransport/now/a/dir\n");
	/* everything gone: the empty tree */
	t = new_tree(s, 0);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(commit_tree(t, "empty", hex), 1);
	git_sink_tree_free(t);
	gitcmd_git_is(repo, "ls-tree -r main", "");
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* many_files - put n files m/X/N (X = N % 16) into t */
static void
many_files(struct git_sink_tree *t, size_t n, const char *what)
{
	char path[32], text[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "m/%zx/%zu", i % 16, i);
		snprintf(text, sizeof text, "%s %zu\n", what, i);
		ck_assert_int_eq(put_ok(t, path, text), 1);
	}
}

START_TEST(t_hold_refused)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *lock = gitcmd_join(repo, "refs/heads/main.lock");
	struct git_sink_tree *t;
	struct git_sink *s;
	struct diag d;
	char first[41], hex[41], held[41];
	int committed = -1;

	diag_init(&d, NULL);
	s = base(repo, first);
	t = new_tree(s, 1);
	many_files(t, 300, "held");
	ck_assert_int_eq(finish(t), 0);
	/* the deploy branch is locked: refused, its pack kept for now */
	ck_assert_int_eq(testlib_write(lock, "busy\n"), 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "refused", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_BUSY);
	ck_assert_int_eq(committed, 0);
	/* the hold branch takes the very tree */
	ck_assert_int_eq(git_sink_tree_commit_on(t, "hold", first, "held",
	    AUTHOR, EMAIL, 0, held, &d), 0);
	ck_assert_int_eq(git_sink_tree_commit_on(t, "hold", first, "again",
	    AUTHOR, EMAIL, 0, hex, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_tree_commit_on(t, "main", first, "deploy",
	    AUTHOR, EMAIL, 1, hex, &d), ERR_INVAL);
	git_sink_tree_free(t);
	ck_assert_int_eq(unlink(lock), 0);
	gitcmd_id_is(repo, "rev-parse main", first);
	gitcmd_id_is(repo, "rev-parse hold~1", first);
	gitcmd_git_is(repo, "show hold:m/3/19", "held 19\n");
	gitcmd_git_is(repo, "show hold:transport", "t1\n");
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 1);
	gitcmd_fsck(repo);
	/* confirmed: the deploy branch moves to it */
	ck_assert_int_eq(git_sink_fast_forward(s, held, &d), 0);
	gitcmd_id_is(repo, "rev-parse main", held);
	git_sink_close(s);
	ck_assert_uint_eq(d.nerrors, 3);
	diag_free(&d);
	free(lock);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_moved)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f = gitcmd_file("other", "b\n");
	struct git_sink_tree *t;
	struct git_sink *s, *b;
	struct diag d;
	char first[41], hex[41], other[41], *objects;
	int committed;

	diag_init(&d, NULL);
	s = base(repo, first);
	t = new_tree(s, 1);
	many_files(t, 300, "late");
	ck_assert_int_eq(finish(t), 0);
	/* another writer moves the branch first */
	b = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_update(b, &f, 1, "b", other), 1);
	git_sink_close(b);
	objects = gitcmd_git(repo, "count-objects");
	ck_assert_int_eq(git_sink_tree_commit(t, "late", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved"));
	/* found before anything was written */
	gitcmd_git_is(repo, "count-objects", objects);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 0);
	/* the sink refreshed, the tree is still on the old head */
	ck_assert_int_eq(git_sink_refresh(s, &d), 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "late", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no longer"));
	git_sink_tree_free(t);
	ck_assert_int_eq(gitcmd_count(repo, "packs"), 0);
	ck_assert_int_eq(gitcmd_count(repo, "garbage"), 0);
	gitcmd_id_is(repo, "rev-parse main", other);
	git_sink_close(s);
	free(objects);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_unborn)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_tree *t;
	struct git_sink *s;
	char hex[41];

	s = gitcmd_open(repo, 1, "main");
	/* from the head of an unborn branch: an empty start */
	t = new_tree(s, 1);
	ck_assert_int_eq(put_ok(t, "transport", "t\n"), 1);
	ck_assert_int_eq(finish(t), 0);
	ck_assert_int_eq(git_sink_tree_entry_same(t, "transport"), 0);
	ck_assert_int_eq(commit_tree(t, "first", hex), 1);
	git_sink_tree_free(t);
	git_sink_close(s);
	gitcmd_git_is(repo, "rev-list --count main", "1\n");
	gitcmd_git_is(repo, "log --format=%P main", "\n");
	gitcmd_git_is(repo, "show main:transport", "t\n");
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* one trailer, as "key=value;" */
static int
note_trailer(const char *key, const char *value, void *ctx)
{
	struct buf *b = ctx;

	if (strcmp(key, "Stop") == 0)
		return ERR_STOP;
	return buf_printf(b, "%s=%s;", key, value);
}

START_TEST(t_trailers)
{
	struct buf b = BUF_INIT;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_trailers("routes: 2 changes\n\nbody, "
	    "with: a colon\n\nSplitsync-Source: ldap\nSplitsync-Cookie: "
	    "rid=001,csn=x\n", note_trailer, &b, &d), 0);
	ck_assert_str_eq(b.data, "Splitsync-Source=ldap;Splitsync-Cookie="
	    "rid=001,csn=x;");
	buf_reset(&b);
	ck_assert_int_eq(git_sink_trailers("no trailers\n\njust: a body "
	    "line\nand another\n", note_trailer, &b, &d), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(git_sink_trailers("s\n\nA: 1\nStop: here\nB: 2\n",
	    note_trailer, &b, &d), ERR_STOP);
	ck_assert_str_eq(b.data, "A=1;");
	ck_assert_uint_eq(d.nerrors, 0);
	buf_free(&b);
	diag_free(&d);
}
END_TEST

/* git_tree_suite - every test above */
static Suite *
git_tree_suite(void)
{
	Suite *s = suite_create("git_tree");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_put_remove);
	tcase_add_test(tc, t_same_as_head);
	tcase_add_test(tc, t_any_order);
	tcase_add_test(tc, t_refused);
	tcase_add_test(tc, t_full_tree);
	tcase_add_test(tc, t_hold_refused);
	tcase_add_test(tc, t_moved);
	tcase_add_test(tc, t_unborn);
	tcase_add_test(tc, t_trailers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_tree_suite()); }
