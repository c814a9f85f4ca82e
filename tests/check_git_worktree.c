/*
 * check_git_worktree - a repository with a work tree (repository_bare =
 * no) keeps its index and files equal to the deploy branch after every
 * commit, update, tree commit, fast-forward and reset; a file changed
 * by hand is left as it is and reported. Checked with git status.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR "splitsync"
#define EMAIL "splitsync@example.com"

/* open_ok - a sink on a repository with a work tree */
static struct git_sink *
open_ok(const char *work)
{
	struct git_sink *s = NULL;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_open(work, 0, "main", &s, &d);
	ck_assert_msg(rc == 0, "open %s: %s: %s", work, err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
	return s;
}

/* file - a git_sink_file over a C string */
static struct git_sink_file
file(const char *path, const char *text)
{
	struct git_sink_file f = { path, text, strlen(text), 0 };

	return f;
}

/* commit_warned - git_sink_commit (or _update) must succeed; the
 * warnings it left, joined by newlines (free()) */
static char *
commit_warned(struct git_sink *s, const struct git_sink_file *f, size_t n,
    int update, char hex[41])
{
	struct buf w = BUF_INIT;
	struct diag d;
	size_t i;
	int rc, committed = 0;

	diag_init(&d, NULL);
	rc = (update ? git_sink_update : git_sink_commit)(s, f, n, "routes",
	    AUTHOR, EMAIL, &committed, hex, &d);
	ck_assert_msg(rc == 0, "commit: %s: %s", err_str(rc),
	    diag_last_error(&d));
	ck_assert_int_eq(committed, 1);
	for (i = 0; i < d.count; i++)
		if (d.items[i].level == DIAG_WARNING)
			ck_assert_int_eq(buf_printf(&w, "%s\n",
			    d.items[i].what), 0);
	diag_free(&d);
	return w.data ? buf_steal(&w) : strdup("");
}

/* commit_quiet - a commit that warns of nothing */
static void
commit_quiet(struct git_sink *s, const struct git_sink_file *f, size_t n,
    int update)
{
	char hex[41], *w = commit_warned(s, f, n, update, hex);

	ck_assert_msg(strcmp(w, "") == 0, "warned: %s", w);
	free(w);
}

/* clean - git status says nothing */
static void
clean(const char *work)
{
	char *st = gitcmd_status(work);

	ck_assert_msg(strcmp(st, "") == 0, "git status: %s", st);
	free(st);
}

/* holds - the work tree file has exactly text */
static void
holds(const char *work, const char *rel, const char *text)
{
	char *p = gitcmd_join(work, rel), *got = testlib_read(p, NULL);

	ck_assert_msg(got != NULL, "%s: missing", rel);
	ck_assert_str_eq(got, text);
	free(got);
	free(p);
}

/* absent - no such file in the work tree */
static void
absent(const char *work, const char *rel)
{
	char *p = gitcmd_join(work, rel);

	ck_assert_msg(access(p, F_OK) != 0, "%s is still there", rel);
	free(p);
}

START_TEST(t_follows_commits)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *gitdir = gitcmd_join(work, ".git");
	struct git_sink_file f[3];
	struct git_sink *s;
	char hex[41];
	struct diag d;

	s = open_ok(work);
	f[0] = file("transport", "a smtp:[a.example.com]:25\n");
	f[1] = file("virtual_domains", "example.com OK\n");
	f[2] = file("t.d/0/1", "shard\n");
	commit_quiet(s, f, 3, 0);
	clean(work);
	holds(work, "transport", "a smtp:[a.example.com]:25\n");
	holds(work, "t.d/0/1", "shard\n");
	/* a change, a removal */
	f[0] = file("transport", "b smtp:[b.example.com]:25\n");
	commit_quiet(s, f, 2, 0);
	clean(work);
	holds(work, "transport", "b smtp:[b.example.com]:25\n");
	absent(work, "t.d/0/1");
	absent(work, "t.d");
	/* the service's one-change commits */
	f[0] = file("virtual_domains", "example.com OK\nexample.net OK\n");
	f[1] = file("t.d/2/3", "another\n");
	commit_quiet(s, f, 2, 1);
	clean(work);
	holds(work, "virtual_domains", "example.com OK\nexample.net OK\n");
	holds(work, "t.d/2/3", "another\n");
	/* the branch moved back by a reset follows too */
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	diag_init(&d, NULL);
	free(gitcmd_out(gitdir, "branch old main~2"));
	{
		char *old = gitcmd_out(gitdir, "rev-parse old");

		old[40] = '\0';
		ck_assert_int_eq(git_sink_reset_to(s, old, 1, &d), 0);
		free(old);
	}
	diag_free(&d);
	clean(work);
	holds(work, "transport", "a smtp:[a.example.com]:25\n");
	holds(work, "t.d/0/1", "shard\n");
	git_sink_close(s);
	gitcmd_fsck(gitdir);
	free(gitdir);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_follows_tree_commits)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *gitdir = gitcmd_join(work, ".git"), path[32], text[32];
	struct git_sink_file f = file("transport", "a\n");
	struct git_sink_tree *t = NULL;
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int same, committed;

	diag_init(&d, NULL);
	s = open_ok(work);
	commit_quiet(s, &f, 1, 0);
	/* a tree from the head, a pack of many files: the work tree has
	 * them all once the branch moved */
	ck_assert_int_eq(git_sink_tree_new(s, 1, &t, &d), 0);
	ck_assert_int_eq(git_sink_tree_put(t, "transport", "b\n", 2, &d), 1);
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof path, "t.d/%zx/%zu", i % 16, i);
		snprintf(text, sizeof text, "shard %zu\n", i);
		ck_assert_int_eq(git_sink_tree_put(t, path, text, strlen(text),
		    &d), 1);
	}
	ck_assert_int_eq(git_sink_tree_finish(t, &same, &d), 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "many", AUTHOR, EMAIL,
	    &committed, hex, &d), 0);
	ck_assert_int_eq(committed, 1);
	git_sink_tree_free(t);
	clean(work);
	holds(work, "transport", "b\n");
	holds(work, "t.d/7/199", "shard 199\n");
	/* and loses what the next tree removes */
	ck_assert_int_eq(git_sink_tree_new(s, 1, &t, &d), 0);
	ck_assert_int_eq(git_sink_tree_remove(t, "t.d/7/199", &d), 0);
	ck_assert_int_eq(git_sink_tree_finish(t, &same, &d), 0);
	ck_assert_int_eq(git_sink_tree_commit(t, "one less", AUTHOR, EMAIL,
	    &committed, hex, &d), 0);
	git_sink_tree_free(t);
	clean(work);
	absent(work, "t.d/7/199");
	holds(work, "t.d/7/183", "shard 183\n");
	ck_assert_uint_eq(d.nerrors + d.nwarnings, 0);
	git_sink_close(s);
	gitcmd_fsck(gitdir);
	diag_free(&d);
	free(gitdir);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_hand_edits_stay)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *path = gitcmd_join(work, "transport"), *w, *st;
	char *extra = gitcmd_join(work, "relay_domains");
	struct git_sink_file f[3];
	struct git_sink *s;
	char hex[41];

	s = open_ok(work);
	f[0] = file("transport", "a smtp:[a.example.com]:25\n");
	f[1] = file("virtual_domains", "example.com OK\n");
	commit_quiet(s, f, 2, 0);
	/* an edit where the branch changes too: left, reported */
	ck_assert_int_eq(testlib_write(path, "by hand\n"), 0);
	f[0] = file("transport", "b smtp:[b.example.com]:25\n");
	f[1] = file("virtual_domains", "example.com OK\nexample.net OK\n");
	w = commit_warned(s, f, 2, 0, hex);
	ck_assert_msg(strstr(w, "transport: changed here by hand") != NULL,
	    "%s", w);
	free(w);
	holds(work, "transport", "by hand\n");
	holds(work, "virtual_domains", "example.com OK\nexample.net OK\n");
	st = gitcmd_status(work);
	ck_assert_str_eq(st, " M transport\n");
	free(st);
	/* an untracked file where the branch adds one */
	ck_assert_int_eq(testlib_write(extra, "mine\n"), 0);
	f[2] = file("relay_domains", "example.com OK\n");
	w = commit_warned(s, f, 3, 0, hex);
	ck_assert_msg(strstr(w, "relay_domains: changed here by hand") !=
	    NULL, "%s", w);
	free(w);
	holds(work, "relay_domains", "mine\n");
	/* put back as the branch has them: no edit any more, in step */
	ck_assert_int_eq(testlib_write(path, "b smtp:[b.example.com]:25\n"),
	    0);
	ck_assert_int_eq(testlib_write(extra, "example.com OK\n"), 0);
	f[1] = file("virtual_domains", "example.org OK\n");
	commit_quiet(s, f, 3, 0);
	clean(work);
	git_sink_close(s);
	free(extra);
	free(path);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_index_never_written)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *cmd = NULL;
	struct git_sink_file f[2];
	struct git_sink *s;
	char *out = NULL;

	/* what older versions left: commits, no index, no files */
	s = open_ok(work);
	f[0] = file("transport", "a smtp:[a.example.com]:25\n");
	f[1] = file("virtual_domains", "example.com OK\n");
	commit_quiet(s, f, 2, 0);
	git_sink_close(s);
	ck_assert_int_ne(asprintf(&cmd, "cd '%s' && rm -f .git/index "
	    "transport virtual_domains", work), -1);
	ck_assert_int_eq(testlib_sh(&out, "%s", cmd), 0);
	free(out);
	free(cmd);
	s = open_ok(work);
	f[0] = file("transport", "b smtp:[b.example.com]:25\n");
	commit_quiet(s, f, 2, 0);
	clean(work);
	holds(work, "virtual_domains", "example.com OK\n");
	git_sink_close(s);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_other_branch_checked_out)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *gitdir = gitcmd_join(work, ".git");
	struct git_sink_file f = file("transport", "a\n");
	struct git_sink *s;

	s = open_ok(work);
	commit_quiet(s, &f, 1, 0);
	free(gitcmd_out(gitdir, "--work-tree='%s' checkout -q -b mine", work));
	f = file("transport", "b\n");
	commit_quiet(s, &f, 1, 0);
	/* the work tree is the other branch's: untouched */
	holds(work, "transport", "a\n");
	clean(work);
	git_sink_close(s);
	free(gitdir);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_worktree_suite - every test above */
static Suite *
git_worktree_suite(void)
{
	Suite *s = suite_create("git_worktree");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_follows_commits);
	tcase_add_test(tc, t_follows_tree_commits);
	tcase_add_test(tc, t_hand_edits_stay);
	tcase_add_test(tc, t_index_never_written);
	tcase_add_test(tc, t_other_branch_checked_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_worktree_suite()); }
