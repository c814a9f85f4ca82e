/*
 * check_git_update - commits of the changed paths alone (git_sink_update)
 *
 * Every test makes its own repository under testlib_tmpdir() and checks
 * what the sink wrote with git itself (log, show, ls-tree, fsck).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR GITCMD_AUTHOR
#define EMAIL GITCMD_EMAIL
/* update_rc - git_sink_update expected to fail: its code, the branch
 * and the sink's head unchanged, nothing committed */
static int
update_rc(struct git_sink *s, const char *repo,
    const struct git_sink_file *f, size_t n, struct diag *d)
{
	char hex[41], before[41], after[41], *ref, *ref2;
	int rc, committed = -1, had;

	had = git_sink_head(s, before) == 0;
	ref = gitcmd_git(repo, "for-each-ref");
	rc = git_sink_update(s, f, n, "refused", AUTHOR, EMAIL, &committed,
	    hex, d);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(d), "git_sink: "));
	ck_assert_int_eq(git_sink_head(s, after) == 0, had);
	if (had)
		ck_assert_str_eq(after, before);
	ref2 = gitcmd_git(repo, "for-each-ref");
	ck_assert_str_eq(ref2, ref);
	free(ref2);
	free(ref);
	return rc;
}

START_TEST(t_update)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[4];
	struct git_sink *s;
	char hex1[41], hex[41], *blob;

	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t1\n");
	f[1] = gitcmd_file("transport.d/3/f/a", "a1\n");
	f[2] = gitcmd_file("transport.d/3/f/b", "b1\n");
	f[3] = gitcmd_file("transport.d/0/0/0", "z1\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 4, "full", hex1), 1);
	blob = gitcmd_git(repo, "rev-parse main:transport.d/0/0/0");

	/* a replaced file, a new one beside it, new nested directories */
	f[0] = gitcmd_file("transport.d/3/f/a", "a2\n");
	f[1] = gitcmd_file("transport.d/3/f/c", "c1\n");
	f[2] = gitcmd_file(".splitsync/mirror/1/2", "m\n");
	ck_assert_int_eq(gitcmd_update(s, f, 3, "one change", hex), 1);
	ck_assert_str_ne(hex, hex1);
	gitcmd_id_is(repo, "rev-parse main", hex);
	gitcmd_id_is(repo, "rev-parse main~1", hex1);
	gitcmd_git_is(repo, "log -1 --format=%s%n%an main",
	    "one change\n" AUTHOR "\n");
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/mirror/1/2\ntransport\ntransport.d/0/0/0\n"
	    "transport.d/3/f/a\ntransport.d/3/f/b\ntransport.d/3/f/c\n");
	gitcmd_git_is(repo, "show main:transport.d/3/f/a", "a2\n");
	gitcmd_git_is(repo, "show main:transport.d/3/f/c", "c1\n");
	gitcmd_git_is(repo, "show main:.splitsync/mirror/1/2", "m\n");
	gitcmd_git_is(repo, "show main:transport", "t1\n");
	/* untouched files and directories are the same objects */
	gitcmd_git_is(repo, "rev-parse main:transport.d/0/0/0", blob);
	gitcmd_git_is(repo, "diff --name-status main~1 main",
	    "A\t.splitsync/mirror/1/2\nM\ttransport.d/3/f/a\n"
	    "A\ttransport.d/3/f/c\n");
	free(blob);
	blob = gitcmd_git(repo, "rev-parse main~1:transport.d/0");
	gitcmd_git_is(repo, "rev-parse main:transport.d/0", blob);
	free(blob);
	git_sink_close(s);

	/* a fresh sink reads the head and updates on top of it */
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t2\n");
	ck_assert_int_eq(gitcmd_update(s, f, 1, "two", hex1), 1);
	gitcmd_id_is(repo, "rev-parse main~1", hex);
	gitcmd_git_is(repo, "show main:transport", "t2\n");
	gitcmd_git_is(repo, "rev-list --count main", "3\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_remove)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[6];
	struct git_sink *s;
	char hex[41];

	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_file("a/b/c", "c\n");
	f[2] = gitcmd_file("a/d", "d\n");
	f[3] = gitcmd_file("x/y/z", "z\n");
	f[4] = gitcmd_file("x/y/w", "w\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 5, "full", hex), 1);

	/* the last file of a/b goes: a/b goes, a stays for a/d */
	f[0] = gitcmd_gone("a/b/c");
	f[1] = gitcmd_gone("x/y/z");
	ck_assert_int_eq(gitcmd_update(s, f, 2, "remove", hex), 1);
	gitcmd_git_is(repo, "ls-tree -r -t --name-only main",
	    "a\na/d\ntransport\nx\nx/y\nx/y/w\n");
	gitcmd_git_is(repo, "diff --name-status main~1 main",
	    "D\ta/b/c\nD\tx/y/z\n");

	/* emptied directories go up to the root, with absent paths around:
	 * a missing file, a missing directory, a path under a file */
	f[0] = gitcmd_gone("x/y/w");
	f[1] = gitcmd_gone("x/y/nothing");
	f[2] = gitcmd_gone("no/such/dir");
	f[3] = gitcmd_gone("transport/under");
	f[4] = gitcmd_gone("a/d");
	f[5] = gitcmd_file("a/e", "e\n");
	ck_assert_int_eq(gitcmd_update(s, f, 6, "empty x", hex), 1);
	gitcmd_git_is(repo, "ls-tree -r -t --name-only main",
	    "a\na/e\ntransport\n");

	/* only absent paths: nothing to commit */
	ck_assert_int_eq(gitcmd_update(s, f, 4, "absent", hex), 0);
	gitcmd_id_is(repo, "rev-parse main", hex);

	/* everything removed: the empty tree */
	f[0] = gitcmd_gone("a/e");
	f[1] = gitcmd_gone("transport");
	ck_assert_int_eq(gitcmd_update(s, f, 2, "all gone", hex), 1);
	gitcmd_git_is(repo, "ls-tree -r -t main", "");
	gitcmd_git_is(repo, "rev-list --count main", "4\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_noop)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *objects, *reflog, *out;
	struct git_sink_file f[3];
	struct git_sink *s;
	char hex[41], again[41];

	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_file("d/e/f", "f\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "full", hex), 1);
	objects = gitcmd_git(repo, "count-objects");
	reflog = gitcmd_git(repo, "reflog main");

	/* the same content, an absent removal, no change at all */
	f[2] = gitcmd_gone("d/e/none");
	ck_assert_int_eq(gitcmd_update(s, f, 3, "same", again), 0);
	ck_assert_str_eq(again, hex);
	ck_assert_int_eq(gitcmd_update(s, f, 0, "none", again), 0);
	ck_assert_str_eq(again, hex);
	ck_assert_int_eq(gitcmd_update(s, NULL, 0, "none", again), 0);
	ck_assert_str_eq(again, hex);
	gitcmd_id_is(repo, "rev-parse main", hex);
	gitcmd_git_is(repo, "count-objects", objects);
	gitcmd_git_is(repo, "reflog main", reflog);
	ck_assert_int_eq(git_sink_head(s, again), 0);
	ck_assert_str_eq(again, hex);

	/* a file added then removed again: the old tree, no commit */
	f[2] = gitcmd_file("d/new", "n\n");
	ck_assert_int_eq(gitcmd_update(s, &f[2], 1, "add", again), 1);
	f[2] = gitcmd_gone("d/new");
	ck_assert_int_eq(gitcmd_update(s, &f[2], 1, "remove", hex), 1);
	out = gitcmd_git(repo, "rev-parse main~2^{tree}");
	gitcmd_git_is(repo, "rev-parse main^{tree}", out);
	free(out);
	ck_assert_int_eq(gitcmd_update(s, &f[2], 1, "again", again), 0);
	ck_assert_str_eq(again, hex);
	git_sink_close(s);
	free(objects);
	free(reflog);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_moved)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hex1[41], hexb[41], hex[41];

	diag_init(&d, NULL);
	a = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("transport", "v1\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "a one", hex1), 1);
	b = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("other", "b\n");
	ck_assert_int_eq(gitcmd_update(b, &f, 1, "b two", hexb), 1);

	/* a still believes the branch is at hex1 */
	f = gitcmd_file("transport", "v3\n");
	ck_assert_int_eq(update_rc(a, repo, &f, 1, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved"));
	gitcmd_id_is(repo, "rev-parse main", hexb);
	gitcmd_git_is(repo, "show main:transport", "v1\n");
	gitcmd_git_is(repo, "ls-tree --name-only main", "other\ntransport\n");

	/* even when the update would change nothing on the new head */
	f = gitcmd_file("other", "b\n");
	ck_assert_int_eq(update_rc(a, repo, &f, 1, &d), ERR_MOVED);
	gitcmd_id_is(repo, "rev-parse main", hexb);

	/* after a refresh it goes on top of b's commit */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	f = gitcmd_file("transport", "v3\n");
	ck_assert_int_eq(gitcmd_update(a, &f, 1, "a three", hex), 1);
	gitcmd_id_is(repo, "rev-parse main~1", hexb);
	gitcmd_git_is(repo, "ls-tree --name-only main", "other\ntransport\n");
	gitcmd_git_is(repo, "log --format=%s main", "a three\nb two\na one\n");
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_invalid_path)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41], *objects;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 1, "full", hex), 1);
	objects = gitcmd_git(repo, "count-objects");
	f[0] = gitcmd_file("new", "n\n");
	f[1] = gitcmd_file(gitcmd_bad_paths[_i], "x\n");
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
	f[1] = gitcmd_gone(gitcmd_bad_paths[_i]);
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, 2);
	gitcmd_git_is(repo, "count-objects", objects);
	git_sink_close(s);
	free(objects);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_invalid_sets)
{
	/* against a head holding transport, a/b and l (a submodule link) */
	static const struct {
		const char *a, *b;
		int remove_a, remove_b;
		const char *why;
	} sets[] = {
		{ "x", "x", 0, 0, "duplicate path" },
		{ "x", "x", 0, 1, "duplicate path" },
		{ "a/b", "a/b", 1, 1, "duplicate path" },
		{ "y", "y/z", 0, 0, "also given as a file" },
		{ "transport", "transport/z", 1, 0, "also given as a file" },
		{ "a", "x", 0, 0, "a directory in the tree" },
		{ "a", "x", 1, 0, "a directory in the tree" },
		{ "transport/z", "x", 0, 0, "a parent directory is a file" },
		{ "a/b/c", "x", 0, 0, "a parent directory is a file" },
		{ "l", "x", 0, 0, "submodule link" },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *objects, *out;
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int committed;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_file("a/b", "b\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "full", hex), 1);
	/* git adds a submodule link l beside them */
	ck_assert_int_eq(testlib_sh(&out, "export GIT_DIR='%s' && t=$({ git "
	    "ls-tree main; printf '160000 commit %%s\\tl\\n' "
	    "$(git rev-parse main); } | git mktree) && "
	    "git update-ref refs/heads/main $(git commit-tree -p main "
	    "-m link $t)", repo), 0);
	free(out);
	gitcmd_git_is(repo, "ls-tree --name-only main", "a\nl\ntransport\n");
	ck_assert_int_eq(git_sink_refresh(s, &d), 0);
	objects = gitcmd_git(repo, "count-objects");
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		f[0] = sets[i].remove_a ? gitcmd_gone(sets[i].a) :
		    gitcmd_file(sets[i].a, "1\n");
		f[1] = sets[i].remove_b ? gitcmd_gone(sets[i].b) :
		    gitcmd_file(sets[i].b, "2\n");
		ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
		ck_assert_msg(strstr(diag_last_error(&d), sets[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
	}
	/* data missing for a non-empty file; a bad message or author */
	f[0] = gitcmd_file("transport", "x\n");
	f[0].data = NULL;
	ck_assert_int_eq(update_rc(s, repo, f, 1, &d), ERR_INVAL);
	f[0] = gitcmd_file("transport", "x\n");
	ck_assert_int_eq(git_sink_update(s, f, 1, "", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_update(s, f, 1, "m", AUTHOR,
	    "a<b@example.com", &committed, hex, &d), ERR_INVAL);
	gitcmd_git_is(repo, "count-objects", objects);
	gitcmd_git_is(repo, "show main:transport", "t\n");
	git_sink_close(s);
	free(objects);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_unborn)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_gone("old");
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "main"));
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no commit"));
	ck_assert_int_eq(update_rc(s, repo, NULL, 0, &d), ERR_NOTFOUND);
	ck_assert_uint_eq(d.nerrors, 2);
	gitcmd_git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	gitcmd_git_is(repo, "for-each-ref", "");
	/* git_sink_commit makes the first tree, then updates go on top */
	ck_assert_int_eq(gitcmd_commit(s, f, 1, "first", hex), 1);
	ck_assert_int_eq(gitcmd_update(s, f, 2, "same", hex), 0);
	f[1] = gitcmd_file("new", "n\n");
	ck_assert_int_eq(gitcmd_update(s, f, 2, "second", hex), 1);
	gitcmd_git_is(repo, "ls-tree --name-only main", "new\ntransport\n");
	git_sink_close(s);
	diag_free(&d);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* one file of the model in t_update_same_tree */
struct slot {
	char path[40];
	char text[40];
	int live;
};

#define NSLOTS 512              /* half of them start live */

START_TEST(t_update_same_tree)
{
	char *dir = testlib_tmpdir(), *ra = gitcmd_join(dir, "a.git");
	char *rb = gitcmd_join(dir, "b.git"), *ta, *tb;
	struct slot *m = calloc(NSLOTS, sizeof *m);
	struct git_sink_file *ch = calloc(NSLOTS, sizeof *ch);
	struct git_sink_file *full = calloc(NSLOTS, sizeof *full);
	struct git_sink *a, *b;
	char hex[41];
	size_t i, n, k;
	unsigned h;
	int r;

	ck_assert(m && ch && full);
	/* sharded like the mirror: 4 x 4 directories, then new ones */
	for (i = 0; i < NSLOTS; i++) {
		if (i < NSLOTS / 2)
			snprintf(m[i].path, sizeof m[i].path,
			    "transport.d/%zx/%zx/%03zx", i % 4, i / 4 % 4, i);
		else
			snprintf(m[i].path, sizeof m[i].path,
			    ".splitsync/mirror/%zx/%03zx", i % 8, i);
		snprintf(m[i].text, sizeof m[i].text, "base %zu\n", i);
		m[i].live = i < NSLOTS / 2;
	}
	a = gitcmd_open(ra, 1, "main");
	b = gitcmd_open(rb, 1, "main");
	for (r = 0; r < 4; r++) {
		n = k = 0;
		for (i = 0; i < NSLOTS; i++) {
			h = (unsigned)(i * 2654435761u + (unsigned)r * 40503u) >> 7;
			if (r == 2 && i < NSLOTS / 2 && i % 4 == 1 &&
			    i / 4 % 4 == 2)
				h = 0;  /* transport.d/1/2 emptied */
			else if (r == 0)
				h = 5;  /* the base commit: everything */
			else
				h %= 7;
			if (h == 0) {
				ch[n++] = gitcmd_gone(m[i].path);
				m[i].live = 0;
			} else if (h <= 2 || (r == 0 && m[i].live)) {
				snprintf(m[i].text, sizeof m[i].text,
				    "round %d, %zu\n", r, i);
				m[i].live = 1;
				ch[n++] = gitcmd_file(m[i].path, m[i].text);
			}
			if (m[i].live)
				full[k++] = gitcmd_file(m[i].path, m[i].text);
		}
		if (r == 0)
			ck_assert_int_eq(gitcmd_commit(a, full, k, "base", hex),
			    1);
		else
			ck_assert_int_eq(gitcmd_update(a, ch, n, "round", hex),
			    1);
		ck_assert_int_eq(gitcmd_commit(b, full, k, "full", hex), 1);
		ta = gitcmd_git(ra, "rev-parse main^{tree}");
		tb = gitcmd_git(rb, "rev-parse main^{tree}");
		ck_assert_msg(strcmp(ta, tb) == 0, "round %d: %s vs %s", r, ta,
		    tb);
		free(ta);
		free(tb);
		if (r == 2)
			gitcmd_git_is(ra, "ls-tree main transport.d/1/2", "");
	}
	gitcmd_git_is(ra, "rev-list --count main", "4\n");
	git_sink_close(a);
	git_sink_close(b);
	gitcmd_fsck(ra);
	free(m);
	free(ch);
	free(full);
	free(ra);
	free(rb);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_update_suite - every test above */
static Suite *
git_update_suite(void)
{
	Suite *s = suite_create("git_update");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_update);
	tcase_add_test(tc, t_update_remove);
	tcase_add_test(tc, t_update_noop);
	tcase_add_test(tc, t_update_moved);
	tcase_add_loop_test(tc, t_update_invalid_path, 0,
	    (int)gitcmd_nbad_paths);
	tcase_add_test(tc, t_update_invalid_sets);
	tcase_add_test(tc, t_update_unborn);
	tcase_add_test(tc, t_update_same_tree);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_update_suite()); }
