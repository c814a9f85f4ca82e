/*
 * check_git_branch - side branches, moves of the deploy branch, and
 * comparisons of commits
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
/* commit_on - git_sink_commit_on, return its code */
static int
commit_on(struct git_sink *s, const char *branch, const char *parent,
    const struct git_sink_file *f, size_t n, const char *msg, int force,
    char hex[41], struct diag *d)
{
	return git_sink_commit_on(s, branch, parent, f, n, msg, AUTHOR, EMAIL,
	    force, hex, d);
}

START_TEST(t_commit_on)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char base[41], p1[41], p2[41], root[41], hex[41];
	size_t nerr;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "a lmtp\n");
	f[1] = gitcmd_file(".splitsync/routes", "r1\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "base", base), 1);

	/* created on the deploy head, which does not move */
	f[0] = gitcmd_file("transport", "a smtp\n");
	gitcmd_commit_on(s, "proposal", base, f, 2, "proposal one", 0, p1);
	gitcmd_id_is(repo, "rev-parse proposal", p1);
	gitcmd_id_is(repo, "log -1 --format=%P proposal", base);
	gitcmd_id_is(repo, "rev-parse main", base);
	gitcmd_git_is(repo, "show proposal:transport", "a smtp\n");
	gitcmd_git_is(repo, "log -1 --format=%B proposal", "proposal one\n\n");
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	ck_assert_str_eq(hex, base);

	/* not forced: only created, never moved */
	f[0] = gitcmd_file("transport", "a other\n");
	ck_assert_int_eq(commit_on(s, "proposal", base, f, 2, "again", 0, hex,
	    &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "already exists"));
	gitcmd_id_is(repo, "rev-parse proposal", p1);
	nerr = d.nerrors;

	/* forced: moved wherever it was, here to a sibling of p1 */
	gitcmd_commit_on(s, "proposal", base, f, 2, "proposal two", 1, p2);
	ck_assert_str_ne(p2, p1);
	gitcmd_id_is(repo, "rev-parse proposal", p2);
	gitcmd_id_is(repo, "log -1 --format=%P proposal", base);
	gitcmd_git_is(repo, "show proposal:transport", "a other\n");
	gitcmd_git_is(repo, "rev-list --count proposal", "2\n");

	/* an unchanged tree still makes the commit */
	gitcmd_commit_on(s, "hold", p2, f, 2, "same tree", 0, hex);
	gitcmd_id_is(repo, "log -1 --format=%P hold", p2);
	gitcmd_git_is(repo, "diff --name-only proposal hold", "");

	/* no parent: a root commit */
	gitcmd_commit_on(s, "orphan", NULL, f, 1, "root", 0, root);
	gitcmd_git_is(repo, "log --format=%P orphan", "\n");
	gitcmd_git_is(repo, "ls-tree -r --name-only orphan", "transport\n");

	ck_assert_int_eq(git_sink_branch_head(s, "proposal", hex), 0);
	ck_assert_str_eq(hex, p2);
	ck_assert_int_eq(git_sink_branch_head(s, "main", hex), 0);
	ck_assert_str_eq(hex, base);
	ck_assert_int_eq(git_sink_branch_head(s, "absent", hex), ERR_NOTFOUND);
	ck_assert_str_eq(hex, "");
	ck_assert_int_eq(git_sink_branch_head(s, "a..b", hex), ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, nerr);
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_commit_on_refused)
{
	static const struct {
		const char *branch, *parent, *msg, *why;
	} bad[] = {
		{ "main", NULL, "m", "deploy branch" },
		{ "a..b", NULL, "m", "invalid branch name" },
		{ "refs/heads/x", NULL, "m", "invalid branch name" },
		{ NULL, NULL, "m", "invalid branch name" },
		{ "x", "xyz", "m", "not a commit id" },
		{ "x", "0123456789012345678901234567890123456789", "m",
		    "no such commit" },
		{ "x", "g123456789012345678901234567890123456789", "m",
		    "not a commit id" },
		{ "x", NULL, "", "empty commit message" },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f = gitcmd_file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(commit_on(s, bad[i].branch, bad[i].parent, &f, 1,
		    bad[i].msg, 1, hex, &d), ERR_INVAL);
		ck_assert_msg(strstr(diag_last_error(&d), bad[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
		ck_assert_str_eq(hex, "");
	}
	git_sink_close(s);
	/* refused before anything was written */
	gitcmd_git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	gitcmd_git_is(repo, "for-each-ref", "");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_branch_delete)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f = gitcmd_file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char base[41], hold[41], hex[41];

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "base", base), 1);
	f = gitcmd_file("transport", "u\n");
	gitcmd_commit_on(s, "hold", base, &f, 1, "held", 0, hold);
	gitcmd_commit_on(s, "hold-2", base, &f, 1, "held", 0, hex);
	gitcmd_id_is(repo, "rev-parse hold", hold);

	ck_assert_int_eq(git_sink_branch_delete(s, "hold", &d), 0);
	gitcmd_git_is(repo, "for-each-ref --format='%(refname)' refs/heads/",
	    "refs/heads/hold-2\nrefs/heads/main\n");
	ck_assert_int_eq(git_sink_branch_head(s, "hold", hex), ERR_NOTFOUND);
	/* absent: nothing to do */
	ck_assert_int_eq(git_sink_branch_delete(s, "hold", &d), 0);
	ck_assert_int_eq(git_sink_branch_delete(s, "never", &d), 0);
	ck_assert_uint_eq(d.nerrors, 0);
	/* the deploy branch is not deleted this way */
	ck_assert_int_eq(git_sink_branch_delete(s, "main", &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_branch_delete(s, "-x", &d), ERR_INVAL);
	gitcmd_id_is(repo, "rev-parse main", base);
	/* and it can be made again afterwards */
	gitcmd_commit_on(s, "hold", base, &f, 1, "held again", 0, hex);
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_tree_equal)
{
	/* the commits to compare: path=content pairs, one per file */
	static const struct {
		const char *name;
		const char *files[3][2];
	} trees[] = {
		{ "a", { { "transport", "x\n" }, { ".splitsync/routes", "1\n" } } },
		{ "b", { { "transport", "x\n" }, { ".splitsync/routes", "2\n" } } },
		{ "c", { { "transport", "y\n" }, { ".splitsync/routes", "1\n" } } },
		{ "d", { { "transport", "x\n" } } },
		{ "e", { { "transport", "x\n" }, { ".splitsync", "file\n" } } },
		{ "f", { { "transport", "x\n" }, { ".splitsync-x/s", "1\n" } } },
		{ "g", { { "transport", "x\n" }, { "sub/.splitsync/s", "1\n" } } },
	};
	static const struct {
		int a, b;
		const char *skip;
		int equal;
	} cases[] = {
		{ 0, 0, NULL, 1 }, { 0, 1, NULL, 0 }, { 0, 1, ".splitsync", 1 },
		{ 0, 2, ".splitsync", 0 }, { 0, 3, ".splitsync", 1 },
		{ 3, 0, ".splitsync", 1 }, { 0, 3, NULL, 0 },
		{ 1, 3, ".splitsync", 1 }, { 3, 4, ".splitsync", 0 },
		{ 3, 5, ".splitsync", 0 }, { 3, 6, ".splitsync", 0 },
		{ 3, 6, "sub", 1 }, { 2, 3, ".splitsync", 0 },
		{ 0, 6, ".splitsync", 0 },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git"), *out;
	char ids[sizeof trees / sizeof *trees][41];
	struct git_sink_file f[3];
	struct git_sink *s;
	struct diag d;
	size_t i, n;
	int equal, rc;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	for (i = 0; i < sizeof trees / sizeof *trees; i++) {
		for (n = 0; n < 3 && trees[i].files[n][0]; n++)
			f[n] = gitcmd_file(trees[i].files[n][0],
			    trees[i].files[n][1]);
		gitcmd_commit_on(s, trees[i].name, NULL, f, n, trees[i].name, 0,
		    ids[i]);
	}
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		equal = -1;
		ck_assert_int_eq(git_sink_tree_equal(s, ids[cases[i].a],
		    ids[cases[i].b], cases[i].skip, &equal, &d), 0);
		ck_assert_msg(equal == cases[i].equal, "case %zu: %d", i, equal);
		/* git agrees */
		rc = testlib_sh(&out, "git --git-dir='%s' diff --quiet %s %s -- "
		    ". %s%s%s", repo, ids[cases[i].a], ids[cases[i].b],
		    cases[i].skip ? "':(exclude)" : "",
		    cases[i].skip ? cases[i].skip : "",
		    cases[i].skip ? "/'" : "");
		free(out);
		ck_assert_msg(rc == !cases[i].equal, "case %zu: git says %d", i,
		    rc);
	}
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_int_eq(git_sink_tree_equal(s, ids[0], ids[1], "../x",
	    &equal, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_tree_equal(s, ids[0], "x", NULL, &equal,
	    &d), ERR_INVAL);
	ck_assert_int_eq(equal, 0);
	git_sink_close(s);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* What git_sink_each_difference reported, as "path:a|b" lines. */
struct seen_diff {
	struct buf text;
};

/* note_diff - one difference into the text ("-" for an absent side) */
static int
note_diff(const char *path, const char *a, size_t alen, const char *b,
    size_t blen, void *ctx)
{
	struct seen_diff *s = ctx;

	buf_printf(&s->text, "%s:%.*s|%.*s\n", path, a ? (int)alen : 1,
	    a ? a : "-", b ? (int)blen : 1, b ? b : "-");
	return 0;
}

START_TEST(t_each_difference)
{
	static const char *const files[2][4][2] = {
		{ { "transport", "x\n" }, { "gone", "g\n" },
		  { ".splitsync/routes", "1\n" }, { "same", "s\n" } },
		{ { "transport", "y\n" }, { "new/file", "n\n" },
		  { ".splitsync/routes", "2\n" }, { "same", "s\n" } },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git"), *out;
	char ids[2][41];
	struct git_sink_file f[4];
	struct git_sink *s;
	struct seen_diff seen;
	struct diag d;
	size_t i, n;

	diag_init(&d, NULL);
	buf_init(&seen.text);
	s = gitcmd_open(repo, 1, "main");
	for (i = 0; i < 2; i++) {
		for (n = 0; n < 4; n++)
			f[n] = gitcmd_file(files[i][n][0], files[i][n][1]);
		gitcmd_commit_on(s, i ? "b" : "a", NULL, f, 4, "t", 0, ids[i]);
	}
	ck_assert_int_eq(git_sink_each_difference(s, ids[0], ids[1],
	    ".splitsync", note_diff, &seen, &d), 0);
	ck_assert_str_eq(seen.text.data, "gone:g\n|-\nnew/file:-|n\n\n"
	    "transport:x\n|y\n\n");
	/* git names the same paths */
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s' diff "
	    "--name-only %s %s -- . ':(exclude).splitsync/' | tr '\\n' ' '",
	    repo, ids[0], ids[1]), 0);
	ck_assert_str_eq(out, "gone new/file transport ");
	free(out);
	/* nothing between a commit and itself; .splitsync counts unskipped */
	buf_reset(&seen.text);
	ck_assert_int_eq(git_sink_each_difference(s, ids[0], ids[0], NULL,
	    note_diff, &seen, &d), 0);
	ck_assert_uint_eq(seen.text.len, 0);
	ck_assert_int_eq(git_sink_each_difference(s, ids[0], ids[1], NULL,
	    note_diff, &seen, &d), 0);
	ck_assert_ptr_nonnull(strstr(seen.text.data, ".splitsync/routes:1\n|"
	    "2\n"));
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_int_eq(git_sink_each_difference(s, ids[0], "nope", NULL,
	    note_diff, &seen, &d), ERR_INVAL);
	buf_free(&seen.text);
	diag_free(&d);
	git_sink_close(s);
	testlib_rmrf(dir);
	free(repo);
	free(dir);
}
END_TEST

START_TEST(t_fast_forward)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f = gitcmd_file("transport", "t1\n");
	struct git_sink *s, *stale;
	struct diag d;
	char base[41], held[41], side[41], next[41], later[41], hex[41];
	char *msg;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "base", base), 1);
	f = gitcmd_file("transport", "t2\n");
	gitcmd_commit_on(s, "hold", base, &f, 1, "held change", 0, held);
	f = gitcmd_file("transport", "t3\n");
	gitcmd_commit_on(s, "side", base, &f, 1, "side change", 0, side);

	/* a person confirms the held change */
	stale = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_fast_forward(s, held, &d), 0);
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	ck_assert_str_eq(hex, held);
	gitcmd_id_is(repo, "rev-parse main", held);
	ck_assert_int_eq(git_sink_head_message(s, &msg, &d), 0);
	ck_assert_str_eq(msg, "held change\n");
	free(msg);
	/* already there: nothing to do */
	ck_assert_int_eq(git_sink_fast_forward(s, held, &d), 0);
	gitcmd_id_is(repo, "rev-parse main", held);
	ck_assert_uint_eq(d.nerrors, 0);

	/* not a descendant of the head: refused */
	ck_assert_int_eq(git_sink_fast_forward(s, side, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "descendant"));
	ck_assert_int_eq(git_sink_fast_forward(s, base, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_reset_to(s, side, 0, &d), ERR_MOVED);
	gitcmd_id_is(repo, "rev-parse main", held);

	/* a sink that read the branch before it moved: compare-and-swap */
	f = gitcmd_file("transport", "t4\n");
	gitcmd_commit_on(s, "next", held, &f, 1, "next", 0, next);
	ck_assert_int_eq(git_sink_fast_forward(stale, next, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved since"));
	gitcmd_id_is(repo, "rev-parse main", held);
	ck_assert_int_eq(git_sink_head(stale, hex), 0);
	ck_assert_str_eq(hex, base);
	ck_assert_int_eq(git_sink_refresh(stale, &d), 0);
	ck_assert_int_eq(git_sink_fast_forward(stale, next, &d), 0);
	gitcmd_id_is(repo, "rev-parse main", next);

	/* forced: any commit, still compare-and-swap */
	ck_assert_int_eq(git_sink_reset_to(s, side, 1, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_refresh(s, &d), 0);
	ck_assert_int_eq(git_sink_reset_to(s, side, 1, &d), 0);
	gitcmd_id_is(repo, "rev-parse main", side);
	/* and commits go on top of it */
	f = gitcmd_file("transport", "t5\n");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "later", later), 1);
	gitcmd_id_is(repo, "rev-parse main~1", side);
	ck_assert_int_eq(git_sink_fast_forward(s, "nothex", &d), ERR_INVAL);
	git_sink_close(stale);
	git_sink_close(s);
	gitcmd_fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_branch_suite - every test above */
static Suite *
git_branch_suite(void)
{
	Suite *s = suite_create("git_branch");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_commit_on);
	tcase_add_test(tc, t_commit_on_refused);
	tcase_add_test(tc, t_branch_delete);
	tcase_add_test(tc, t_tree_equal);
	tcase_add_test(tc, t_each_difference);
	tcase_add_test(tc, t_fast_forward);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_branch_suite()); }
