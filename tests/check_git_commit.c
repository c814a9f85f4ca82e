/*
 * check_git_commit - commits on the deploy branch and reading them back
 *
 * Every test makes its own repository under testlib_tmpdir() and checks
 * what the sink wrote with git itself (log, show, ls-tree, fsck).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR GITCMD_AUTHOR
#define EMAIL GITCMD_EMAIL
#define DATA "tests/data/git_sink/"

START_TEST(t_commit_bare)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "routes.git");
	char *t1 = gitcmd_data(DATA "transport.1"), *out, *want = NULL;
	const char *msg = "routes: 1 change\n\n"
	    "bob@example.com: none -> smtp:[relay.example.com]:25 "
	    "(uid=bob,ou=people,dc=example,dc=com)";
	struct git_sink_file f[2];
	struct git_sink *s;
	char hex[41], head[41];
	long when;

	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_head(s, head), ERR_NOTFOUND);
	gitcmd_git_is(repo, "rev-parse --is-bare-repository", "true\n");
	gitcmd_git_is(repo, "symbolic-ref HEAD", "refs/heads/main\n");
	f[0] = gitcmd_file("virtual_domains", "example.com OK\n");
	f[1] = gitcmd_file("transport", t1);
	ck_assert_int_eq(gitcmd_commit(s, f, 2, msg, hex), 1);
	ck_assert_uint_eq(strlen(hex), 40);
	ck_assert_int_eq(git_sink_head(s, head), 0);
	ck_assert_str_eq(head, hex);
	git_sink_close(s);

	ck_assert_int_ge(asprintf(&want, "%s|%s|%s|%s|%s|\n", hex, AUTHOR,
	    EMAIL, AUTHOR, EMAIL), 0);
	gitcmd_git_is(repo, "log --format='%H|%an|%ae|%cn|%ce|%P' main", want);
	free(want);
	/* the message is kept as given, with a final newline added */
	out = gitcmd_git(repo, "cat-file commit main");
	ck_assert_ptr_nonnull(strstr(out, "\n\nroutes: 1 change\n\n"));
	ck_assert_uint_gt(strlen(out), strlen(msg) + 1);
	ck_assert(strncmp(out + strlen(out) - strlen(msg) - 1, msg,
	    strlen(msg)) == 0);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	free(out);
	out = gitcmd_git(repo, "log -1 --format=%ct main");
	when = strtol(out, NULL, 10);
	ck_assert_int_le(labs(when - (long)time(NULL)), 300);
	free(out);
	gitcmd_git_is(repo, "show main:transport", t1);
	gitcmd_git_is(repo, "show main:virtual_domains", "example.com OK\n");
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    "transport\nvirtual_domains\n");
	gitcmd_fsck(repo);
	free(t1);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_identical_no_commit)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *objects, *out;
	struct git_sink_file f[3], g[3];
	struct git_sink *s;
	char hex[41], again[41];

	f[0] = gitcmd_file("transport", "a@example.com lmtp:core:2400\n");
	f[1] = gitcmd_file(".splitsync/routes", "a@example.com internal\n");
	f[2] = gitcmd_file("virtual_domains", "example.com OK\n");
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "first", hex), 1);
	objects = gitcmd_git(repo, "count-objects");
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "second", again), 0);
	ck_assert_str_eq(again, hex);
	git_sink_close(s);

	/* a new sink compares with the repository, in any file order */
	g[0] = f[2];
	g[1] = f[0];
	g[2] = f[1];
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, g, 3, "third", again), 0);
	ck_assert_str_eq(again, hex);
	git_sink_close(s);

	gitcmd_git_is(repo, "rev-list --count main", "1\n");
	gitcmd_git_is(repo, "log --format=%s main", "first\n");
	/* nothing was written the second and third time */
	out = gitcmd_git(repo, "count-objects");
	ck_assert_str_eq(out, objects);
	free(out);
	free(objects);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_nested_and_removed)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[5];
	struct git_sink *s;
	char hex[41];

	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t1\n");
	f[1] = gitcmd_file(".splitsync/routes", "r1\n");
	f[2] = gitcmd_file("a/b/c", "c\n");
	f[3] = gitcmd_file("a/d", "d\n");
	f[4] = gitcmd_file("a-b", "ab\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 5, "one", hex), 1);
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\na-b\na/b/c\na/d\ntransport\n");
	gitcmd_git_is(repo, "show main:a/b/c", "c\n");

	/* a/b/c and a-b removed, the state file changed */
	f[1] = gitcmd_file(".splitsync/routes", "r2\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "two", hex), 1);
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\ntransport\n");
	gitcmd_git_is(repo, "show main:.splitsync/routes", "r2\n");
	gitcmd_git_is(repo, "diff --name-status main~1 main",
	    "M\t.splitsync/routes\nD\ta-b\nD\ta/b/c\nD\ta/d\n");

	/* a directory becomes a file and back */
	f[2] = gitcmd_file("a", "now a file\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "three", hex), 1);
	gitcmd_git_is(repo, "cat-file -t main:a", "blob\n");
	f[2] = gitcmd_file("a/e", "e\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "four", hex), 1);
	gitcmd_git_is(repo, "cat-file -t main:a", "tree\n");
	gitcmd_git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\na/e\ntransport\n");
	gitcmd_git_is(repo, "rev-list --count main", "4\n");
	git_sink_close(s);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_read)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	static const char bin[] = { 'x', '\0', 'y' };
	static const char *missing[] = { "missing", ".splitsync", "a/b/c",
	    "transport/x" };
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41], *out;
	size_t len, i;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_read(s, "transport", &out, &len, &d),
	    ERR_NOTFOUND);
	ck_assert_ptr_null(out);
	f[0] = gitcmd_file("transport", "a@example.com lmtp:core:2400\n");
	f[1].path = ".splitsync/routes";
	f[1].data = bin;
	f[1].len = sizeof bin;
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "one", hex), 1);
	git_sink_close(s);

	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(git_sink_read(s, "transport", &out, &len, &d), 0);
	ck_assert_uint_eq(len, f[0].len);
	ck_assert_str_eq(out, f[0].data);
	free(out);
	ck_assert_int_eq(git_sink_read(s, ".splitsync/routes", &out, &len,
	    &d), 0);
	ck_assert_uint_eq(len, sizeof bin);
	ck_assert_mem_eq(out, bin, sizeof bin);
	ck_assert_int_eq(out[len], '\0');
	free(out);
	for (i = 0; i < sizeof missing / sizeof *missing; i++) {
		ck_assert_int_eq(git_sink_read(s, missing[i], &out, &len, &d),
		    ERR_NOTFOUND);
		ck_assert_ptr_null(out);
	}
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_int_eq(git_sink_read(s, "../transport", &out, &len, &d),
	    ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "../transport"));
	git_sink_close(s);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* each_seen - collect "path=data;" for t_each_file */
static int
each_seen(const char *path, const char *data, size_t len, void *ctx)
{
	struct buf *b = ctx;

	if (strcmp(path, "stop/here") == 0)
		return ERR_DATA;
	buf_printf(b, "%s=%.*s;", path, (int)len, data);
	return 0;
}

START_TEST(t_each_file)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	static const char *nothing[] = { "missing", "c", "a/b/2" };
	struct git_sink_file f[5];
	struct git_sink *s;
	struct buf seen = BUF_INIT;
	struct diag d;
	char hex[41], first[41];
	size_t i;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	/* an unborn branch has no files */
	ck_assert_int_eq(git_sink_each_file(s, NULL, "a", each_seen, &seen,
	    &d), 0);
	ck_assert_uint_eq(seen.len, 0);
	f[0] = gitcmd_file("a/b/2", "two");
	f[1] = gitcmd_file("a/1", "one");
	f[2] = gitcmd_file("c", "see");
	f[3] = gitcmd_file("a/b/c/3", "three");
	f[4] = gitcmd_file("stop/here", "x");
	ck_assert_int_eq(gitcmd_commit(s, f, 5, "one", first), 1);
	/* every file under the directory, at any depth, in path order */
	ck_assert_int_eq(git_sink_each_file(s, NULL, "a", each_seen, &seen,
	    &d), 0);
	ck_assert_str_eq(seen.data, "a/1=one;a/b/2=two;a/b/c/3=three;");
	for (i = 0; i < sizeof nothing / sizeof *nothing; i++) {
		buf_reset(&seen);
		ck_assert_int_eq(git_sink_each_file(s, NULL, nothing[i],
		    each_seen, &seen, &d), 0);
		ck_assert_uint_eq(seen.len, 0);
	}
	/* the callback's error stops the walk and comes back */
	ck_assert_int_eq(git_sink_each_file(s, NULL, "stop", each_seen, &seen,
	    &d), ERR_DATA);
	/* at an older commit */
	f[0] = gitcmd_file("a/1", "uno");
	ck_assert_int_eq(gitcmd_commit(s, f, 1, "two", hex), 1);
	buf_reset(&seen);
	ck_assert_int_eq(git_sink_each_file(s, first, "a/b", each_seen, &seen,
	    &d), 0);
	ck_assert_str_eq(seen.data, "a/b/2=two;a/b/c/3=three;");
	buf_reset(&seen);
	ck_assert_int_eq(git_sink_each_file(s, NULL, "a", each_seen, &seen,
	    &d), 0);
	ck_assert_str_eq(seen.data, "a/1=uno;");
	ck_assert_int_eq(git_sink_each_file(s, NULL, "../a", each_seen, &seen,
	    &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_each_file(s, "nope", "a", each_seen, &seen,
	    &d), ERR_INVAL);
	git_sink_close(s);
	buf_free(&seen);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_moved)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hex1[41], hexb[41], hex[41], *want;
	int committed = -1;

	diag_init(&d, NULL);
	a = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("transport", "v1\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "a one", hex1), 1);
	b = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("transport", "v2\n");
	ck_assert_int_eq(gitcmd_commit(b, &f, 1, "b two", hexb), 1);

	/* a still believes the branch is at hex1 */
	f = gitcmd_file("transport", "v3\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a three", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved"));
	ck_assert_int_eq(git_sink_head(a, hex), 0);
	ck_assert_str_eq(hex, hex1);
	ck_assert_int_ge(asprintf(&want, "%s\n", hexb), 0);
	gitcmd_git_is(repo, "rev-parse main", want);
	gitcmd_git_is(repo, "show main:transport", "v2\n");

	/* after a refresh the commit goes on top of b's */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	ck_assert_int_eq(git_sink_head(a, hex), 0);
	ck_assert_str_eq(hex, hexb);
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "a three", hex), 1);
	gitcmd_git_is(repo, "rev-parse main~1", want);
	gitcmd_git_is(repo, "show main:transport", "v3\n");
	gitcmd_git_is(repo, "log --format=%s main", "a three\nb two\na one\n");
	free(want);
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_moved_unborn)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hexb[41], hex[41], *want;
	int committed = -1;

	diag_init(&d, NULL);
	a = gitcmd_open(repo, 1, "main");
	b = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("transport", "from b\n");
	ck_assert_int_eq(gitcmd_commit(b, &f, 1, "b", hexb), 1);
	f = gitcmd_file("transport", "from a\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_int_eq(committed, 0);
	ck_assert_int_eq(git_sink_head(a, hex), ERR_NOTFOUND);
	ck_assert_int_ge(asprintf(&want, "%s\n", hexb), 0);
	gitcmd_git_is(repo, "rev-parse main", want);

	/* the same tree as the head once refreshed: nothing to commit */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	f = gitcmd_file("transport", "from b\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "same tree", hex), 0);
	ck_assert_str_eq(hex, hexb);
	f = gitcmd_file("transport", "from a\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "a again", hex), 1);

	/* another writer, git itself, rewinds the branch */
	free(gitcmd_git(repo, "update-ref refs/heads/main main~1"));
	f = gitcmd_file("transport", "from a, later\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a later", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	gitcmd_git_is(repo, "rev-parse main", want);
	free(want);

	/* the branch deleted meanwhile is not recreated */
	free(gitcmd_git(repo, "update-ref -d refs/heads/main"));
	ck_assert_int_eq(git_sink_refresh(b, &d), 0);
	ck_assert_int_eq(git_sink_head(b, hex), ERR_NOTFOUND);
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a later", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	gitcmd_git_is(repo, "for-each-ref refs/heads/", "");
	/* and a sink that saw it absent creates it */
	ck_assert_int_eq(gitcmd_commit(b, &f, 1, "b again", hex), 1);
	gitcmd_git_is(repo, "show main:transport", "from a, later\n");
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	gitcmd_fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

static const char *bad_branches[] = {
	"", "-main", "a..b", "a b", "HEAD", "main.lock", "refs/heads/main",
	"a~1", "a:b", "a^", "a?", "a*", "a[", "/main", "main/", "a//b",
	"a@{1}", "a\\b", "a\nb", "."
};

START_TEST(t_invalid_branch)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	const char *name = bad_branches[_i];
	struct git_sink *s = (struct git_sink *)&s;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_open(repo, 1, name, &s, &d), ERR_INVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d),
	    "invalid branch name"));
	/* refused before anything is created */
	ck_assert_int_ne(access(repo, F_OK), 0);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_null_branch)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *s = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_open(repo, 1, NULL, &s, &d), ERR_INVAL);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(d.nerrors, 1);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_unwritable)
{
	char *dir = testlib_tmpdir(), *plain = gitcmd_join(dir, "plain");
	char *repo = gitcmd_join(plain, "r.git");
	char *full = gitcmd_join(dir, "full");
	char *inside = gitcmd_join(full, "x");
	char *head = gitcmd_join(full, "HEAD");
	struct git_sink *s = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(testlib_write(plain, "not a directory\n"), 0);
	ck_assert_int_eq(git_sink_open(repo, 1, "main", &s, &d), ERR_IO);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(diag_last_error(&d), repo) != NULL, "%s",
	    diag_last_error(&d));
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "git_sink: "));

	/* a directory with other files in it is not taken over */
	ck_assert_int_eq(mkdir(full, 0700), 0);
	ck_assert_int_eq(testlib_write(inside, "x\n"), 0);
	ck_assert_int_eq(git_sink_open(full, 1, "main", &s, &d), ERR_IO);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), full));
	ck_assert_int_eq(access(inside, F_OK), 0);
	ck_assert_int_ne(access(head, F_OK), 0);
	diag_free(&d);
	free(head);
	free(inside);
	free(full);
	free(repo);
	free(plain);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* only the diff lines of a patch: drops index and hunk lines, whose
 * abbreviations and function context differ between implementations */
static char *
diff_lines(const char *text)
{
	struct buf b = BUF_INIT;
	const char *p = text, *e;
	size_t n;

	while (*p) {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) + 1 : strlen(p);
		if (strncmp(p, "index ", 6) != 0 && strncmp(p, "@@", 2) != 0)
			ck_assert_int_eq(buf_append(&b, p, n), 0);
		p += n;
	}
	ck_assert_int_eq(buf_puts(&b, ""), 0);
	return buf_steal(&b);
}

START_TEST(t_diff)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *t1 = gitcmd_data(DATA "transport.1");
	char *t2 = gitcmd_data(DATA "transport.2");
	char *ours, *theirs, *cli, hex[41];
	const char *pa, *pg, *pt;
	struct git_sink_file f[3];
	struct git_sink *s;
	struct buf out = BUF_INIT;
	struct diag d;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", t1);
	f[1] = gitcmd_file("gone", "old line\n");
	f[2] = gitcmd_file("same", "same line\n");
	/* unborn: every file is added */
	ck_assert_int_eq(git_sink_diff(s, f, 3, NULL, &out, &d), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "+++ b/transport\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "--- /dev/null\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "+same line\n"));
	buf_free(&out);
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "one", hex), 1);
	ck_assert_int_eq(git_sink_diff(s, f, 3, NULL, &out, &d), 0);
	ck_assert_uint_eq(out.len, 0);

	f[0] = gitcmd_file("transport", t2);
	f[1] = gitcmd_file("added", "new line\n");
	ck_assert_int_eq(git_sink_diff(s, f, 3, NULL, &out, &d), 0);
	ck_assert_ptr_nonnull(out.data);
	ck_assert_ptr_nonnull(strstr(out.data,
	    "diff --git a/transport b/transport\n"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "\n-bob@example.com smtp:[relay.example.com]:25\n"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "\n+bob@example.com lmtp:core.example.com:2400\n"));
	ck_assert_ptr_nonnull(strstr(out.data,
	    "\n+ivan@example.com smtp:[relay.example.com]:25\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\n--- a/gone\n+++ /dev/null\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\n-old line\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "\n+new line\n"));
	ck_assert_ptr_null(strstr(out.data, "a/same"));
	/* sorted by path */
	pa = strstr(out.data, "a/added");
	pg = strstr(out.data, "a/gone");
	pt = strstr(out.data, "a/transport");
	ck_assert(pa && pg && pt && pa < pg && pg < pt);

	/* the same lines as git's own diff once committed */
	ck_assert_int_eq(gitcmd_commit(s, f, 3, "two", hex), 1);
	cli = gitcmd_git(repo, "diff --no-color main~1 main");
	ours = diff_lines(out.data);
	theirs = diff_lines(cli);
	ck_assert_str_eq(ours, theirs);
	free(ours);
	free(theirs);
	free(cli);
	buf_free(&out);
	ck_assert_uint_eq(d.nerrors, 0);
	git_sink_close(s);
	diag_free(&d);
	gitcmd_fsck(repo);
	free(t1);
	free(t2);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_invalid_path)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct buf out = BUF_INIT;
	struct diag d;
	char hex[41], *got;
	size_t len;
	int committed = -1;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_file(gitcmd_bad_paths[_i], "x\n");
	ck_assert_int_eq(git_sink_commit(s, f, 2, "bad", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "git_sink: "));
	ck_assert_int_eq(git_sink_diff(s, f, 2, NULL, &out, &d), ERR_INVAL);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(git_sink_read(s, gitcmd_bad_paths[_i], &got, &len, &d),
	    ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, 3);
	git_sink_close(s);
	/* nothing was written */
	gitcmd_git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_invalid_sets)
{
	static const struct {
		const char *a, *b, *c;
		const char *why;
	} sets[] = {
		{ "transport", "transport", "x", "duplicate path" },
		{ "a", "a/b", "x", "also given as a file" },
		{ "d/a", "d/a-b", "d/a/b", "also given as a file" },
		{ "x", "y", "x", "duplicate path" },
	};
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[3];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int committed;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		f[0] = gitcmd_file(sets[i].a, "1\n");
		f[1] = gitcmd_file(sets[i].b, "2\n");
		f[2] = gitcmd_file(sets[i].c, "3\n");
		committed = -1;
		ck_assert_int_eq(git_sink_commit(s, f, 3, "bad", AUTHOR, EMAIL,
		    &committed, hex, &d), ERR_INVAL);
		ck_assert_int_eq(committed, 0);
		ck_assert_msg(strstr(diag_last_error(&d), sets[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
	}
	/* data missing for a non-empty file */
	f[0].path = "transport";
	f[0].data = NULL;
	f[0].len = 1;
	ck_assert_int_eq(git_sink_commit(s, f, 1, "bad", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	/* bad author, email, message: refused before any write */
	f[0] = gitcmd_file("transport", "t\n");
	ck_assert_int_eq(git_sink_commit(s, f, 1, "m", AUTHOR,
	    "a<b@example.com", &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_commit(s, f, 1, "m", "", EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_commit(s, f, 1, "", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_head(s, hex), ERR_NOTFOUND);
	git_sink_close(s);
	gitcmd_git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_non_bare)
{
	char *dir = testlib_tmpdir(), *work = gitcmd_join(dir, "work");
	char *gitdir = gitcmd_join(work, ".git"), *got;
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t len;
	struct stat st;
	int rc;

	diag_init(&d, NULL);
	s = gitcmd_open(work, 0, "routes/prod");
	ck_assert_int_eq(stat(gitdir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	f[0] = gitcmd_file("transport", "t\n");
	f[1] = gitcmd_file("etc/postfix/relay", "r\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "one", hex), 1);
	git_sink_close(s);

	gitcmd_git_is(gitdir, "rev-parse --is-bare-repository", "false\n");
	gitcmd_git_is(gitdir, "symbolic-ref HEAD", "refs/heads/routes/prod\n");
	gitcmd_git_is(gitdir, "show routes/prod:etc/postfix/relay", "r\n");
	s = gitcmd_open(work, 0, "routes/prod");
	rc = git_sink_read(s, "etc/postfix/relay", &got, &len, &d);
	ck_assert_msg(rc == 0, "read: %s: %s", err_str(rc),
	    diag_last_error(&d));
	ck_assert_str_eq(got, "r\n");
	free(got);
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "same", hex), 0);
	git_sink_close(s);
	gitcmd_fsck(gitdir);
	diag_free(&d);
	free(gitdir);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_existing)
{
	char *dir = testlib_tmpdir(), *empty = gitcmd_join(dir, "empty");
	char *other = gitcmd_join(dir, "other.git"), *out;
	struct git_sink_file f = gitcmd_file("transport", "t\n");
	struct git_sink *s;
	char hex[41];

	/* an empty directory is taken as the place for a new repository */
	ck_assert_int_eq(mkdir(empty, 0700), 0);
	s = gitcmd_open(empty, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "one", hex), 1);
	git_sink_close(s);
	gitcmd_git_is(empty, "show main:transport", "t\n");

	/* an existing repository keeps its HEAD; the branch is created */
	ck_assert_int_eq(testlib_sh(&out, "git init -q --bare '%s' && "
	    "git --git-dir='%s' symbolic-ref HEAD refs/heads/trunk", other,
	    other), 0);
	free(out);
	s = gitcmd_open(other, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "one", hex), 1);
	git_sink_close(s);
	gitcmd_git_is(other, "symbolic-ref HEAD", "refs/heads/trunk\n");
	gitcmd_git_is(other, "show main:transport", "t\n");
	gitcmd_fsck(other);
	gitcmd_fsck(empty);
	free(other);
	free(empty);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_read_at)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char c1[41], c2[41], *out, *tree;
	size_t len, i, nerr;
	struct {
		const char *commit, *path, *want;
	} reads[] = {
		{ c1, "transport", "v1\n" },
		{ c2, "transport", "v2\n" },
		{ c1, ".splitsync/state", NULL },
		{ c2, ".splitsync/state", "cookie\n" },
		{ c2, ".splitsync", NULL },
	};

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f[0] = gitcmd_file("transport", "v1\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 1, "one\n\nbody", c1), 1);
	f[0] = gitcmd_file("transport", "v2\n");
	f[1] = gitcmd_file(".splitsync/state", "cookie\n");
	ck_assert_int_eq(gitcmd_commit(s, f, 2, "two", c2), 1);
	for (i = 0; i < sizeof reads / sizeof *reads; i++) {
		nerr = d.nerrors;
		if (reads[i].want == NULL) {
			ck_assert_int_eq(git_sink_read_at(s, reads[i].commit,
			    reads[i].path, &out, &len, &d), ERR_NOTFOUND);
			ck_assert_ptr_null(out);
			ck_assert_uint_eq(d.nerrors, nerr);
			continue;
		}
		ck_assert_int_eq(git_sink_read_at(s, reads[i].commit,
		    reads[i].path, &out, &len, &d), 0);
		ck_assert_uint_eq(len, strlen(reads[i].want));
		ck_assert_str_eq(out, reads[i].want);
		free(out);
	}
	ck_assert_int_eq(git_sink_message_at(s, c1, &out, &d), 0);
	ck_assert_str_eq(out, "one\n\nbody\n");
	free(out);
	ck_assert_int_eq(git_sink_message_at(s, c2, &out, &d), 0);
	ck_assert_str_eq(out, "two\n");
	free(out);
	ck_assert_uint_eq(d.nerrors, 0);

	/* a bad id or path is the caller's mistake */
	ck_assert_int_eq(git_sink_message_at(s, "c1", &out, &d), ERR_INVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(git_sink_read_at(s, c1, "../x", &out, &len, &d),
	    ERR_INVAL);
	ck_assert_int_eq(git_sink_read_at(s, NULL, "transport", &out, &len,
	    &d), ERR_INVAL);
	/* a tree is not a commit */
	tree = gitcmd_git(repo, "rev-parse main^{tree}");
	ck_assert_uint_eq(strlen(tree), 41);
	tree[40] = '\0';
	ck_assert_int_eq(git_sink_read_at(s, tree, "transport", &out, &len,
	    &d), ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no such commit"));
	free(tree);
	ck_assert_uint_eq(d.nerrors, 4);
	git_sink_close(s);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST
START_TEST(t_commit_child_and_info)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git"), *out;
	char head[41], child[41], now[41];
	struct git_sink_file f = gitcmd_file("transport", "x\n");
	struct git_sink_info info;
	struct git_sink *s;
	struct diag d;

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "first", head), 1);
	ck_assert_int_eq(git_sink_commit_child(s, head, "second\n\nKey: v",
	    AUTHOR, EMAIL, child, &d), 0);
	/* No branch moved; the child has the parent's very tree. */
	ck_assert_int_eq(git_sink_head(s, now), 0);
	ck_assert_str_eq(now, head);
	out = gitcmd_git(repo, "rev-parse main");
	ck_assert_int_eq(strncmp(out, head, 40), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "test \"$(git --git-dir='%s' "
	    "rev-parse %s^{tree})\" = \"$(git --git-dir='%s' rev-parse "
	    "%s^{tree})\" && git --git-dir='%s' rev-parse %s^", repo, child,
	    repo, head, repo, child), 0);
	ck_assert_int_eq(strncmp(out, head, 40), 0);
	free(out);
	ck_assert_int_eq(git_sink_fast_forward(s, child, &d), 0);
	gitcmd_fsck(repo);
	/* What a commit says of itself. */
	ck_assert_int_eq(git_sink_commit_info(s, child, &info, &d), 0);
	ck_assert_str_eq(info.parent, head);
	ck_assert_str_eq(info.author_email, EMAIL);
	ck_assert_str_eq(info.committer_email, EMAIL);
	ck_assert_str_eq(info.message, "second\n\nKey: v\n");
	git_sink_info_clear(&info);
	ck_assert_int_eq(git_sink_commit_info(s, head, &info, &d), 0);
	ck_assert_str_eq(info.parent, "");
	git_sink_info_clear(&info);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_int_eq(git_sink_commit_info(s, "0123", &info, &d),
	    ERR_INVAL);
	ck_assert_ptr_null(info.message);
	ck_assert_int_eq(git_sink_commit_child(s, head, "", AUTHOR, EMAIL,
	    child, &d), ERR_INVAL);
	diag_free(&d);
	git_sink_close(s);
	testlib_rmrf(dir);
	free(repo);
	free(dir);
}
END_TEST

/* git_commit_suite - every test above */
static Suite *
git_commit_suite(void)
{
	Suite *s = suite_create("git_commit");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_commit_bare);
	tcase_add_test(tc, t_identical_no_commit);
	tcase_add_test(tc, t_nested_and_removed);
	tcase_add_test(tc, t_read);
	tcase_add_test(tc, t_each_file);
	tcase_add_test(tc, t_moved);
	tcase_add_test(tc, t_moved_unborn);
	tcase_add_loop_test(tc, t_invalid_branch, 0,
	    sizeof bad_branches / sizeof *bad_branches);
	tcase_add_test(tc, t_null_branch);
	tcase_add_test(tc, t_unwritable);
	tcase_add_test(tc, t_diff);
	tcase_add_loop_test(tc, t_invalid_path, 0, (int)gitcmd_nbad_paths);
	tcase_add_test(tc, t_invalid_sets);
	tcase_add_test(tc, t_non_bare);
	tcase_add_test(tc, t_existing);
	tcase_add_test(tc, t_read_at);
	tcase_add_test(tc, t_commit_child_and_info);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_commit_suite()); }
