/*
 * check_git_sink - tests of the git sink against the real git command
 *
 * Every test makes its own repository under testlib_tmpdir() and checks
 * what libgit2 wrote with git itself (log, show, ls-tree, fsck).
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
#include "testlib.h"

#define DATA "tests/data/git_sink/"
#define AUTHOR "splitsync"
#define EMAIL "splitsync@example.com"

/* join - "a/b" (free()) */
static char *
join(const char *a, const char *b)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

/* git - run git on gitdir with args, assert success, return its output */
static char *
git(const char *gitdir, const char *args)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "git --git-dir='%s' %s", gitdir, args);

	ck_assert_msg(rc == 0, "git %s: exit %d: %s", args, rc,
	    out ? out : "");
	ck_assert_ptr_nonnull(out);
	return out;
}

/* git_is - assert that git's output equals want */
static void
git_is(const char *gitdir, const char *args, const char *want)
{
	char *out = git(gitdir, args);

	ck_assert_msg(strcmp(out, want) == 0, "git %s: got [%s] want [%s]",
	    args, out, want);
	free(out);
}

/* fsck - assert that git finds the repository valid */
static void
fsck(const char *gitdir)
{
	free(git(gitdir, "fsck --strict --no-progress"));
}

/* open_ok - open a sink, assert success */
static struct git_sink *
open_ok(const char *path, int bare, const char *branch)
{
	struct git_sink *s = NULL;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_open(path, bare, branch, &s, &d);
	ck_assert_msg(rc == 0, "open %s: %s: %s", path, err_str(rc),
	    diag_last_error(&d));
	ck_assert_ptr_nonnull(s);
	diag_free(&d);
	return s;
}

/* commit - commit files, assert success, return *committed */
static int
commit(struct git_sink *s, const struct git_sink_file *f, size_t n,
    const char *msg, char hex[41])
{
	struct diag d;
	int rc, committed = -1;

	diag_init(&d, NULL);
	rc = git_sink_commit(s, f, n, msg, AUTHOR, EMAIL, &committed, hex, &d);
	ck_assert_msg(rc == 0, "commit: %s: %s", err_str(rc),
	    diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	diag_free(&d);
	ck_assert(committed == 0 || committed == 1);
	return committed;
}

/* file - a git_sink_file over a C string */
static struct git_sink_file
file(const char *path, const char *text)
{
	struct git_sink_file f = { path, text, strlen(text) };

	return f;
}

/* data - read a data file of this suite (free()) */
static char *
data(const char *name)
{
	char *text = testlib_read(name, NULL);

	ck_assert_msg(text != NULL, "cannot read %s", name);
	return text;
}

START_TEST(t_commit_bare)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "routes.git");
	char *t1 = data(DATA "transport.1"), *out, *want = NULL;
	const char *msg = "routes: 1 change\n\n"
	    "bob@example.com: none -> smtp:[relay.example.com]:25 "
	    "(uid=bob,ou=people,dc=example,dc=com)";
	struct git_sink_file f[2];
	struct git_sink *s;
	char hex[41], head[41];
	long when;

	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(git_sink_head(s, head), ERR_NOTFOUND);
	git_is(repo, "rev-parse --is-bare-repository", "true\n");
	git_is(repo, "symbolic-ref HEAD", "refs/heads/main\n");
	f[0] = file("virtual_domains", "example.com OK\n");
	f[1] = file("transport", t1);
	ck_assert_int_eq(commit(s, f, 2, msg, hex), 1);
	ck_assert_uint_eq(strlen(hex), 40);
	ck_assert_int_eq(git_sink_head(s, head), 0);
	ck_assert_str_eq(head, hex);
	git_sink_close(s);

	ck_assert_int_ge(asprintf(&want, "%s|%s|%s|%s|%s|\n", hex, AUTHOR,
	    EMAIL, AUTHOR, EMAIL), 0);
	git_is(repo, "log --format='%H|%an|%ae|%cn|%ce|%P' main", want);
	free(want);
	/* the message is kept as given, with a final newline added */
	out = git(repo, "cat-file commit main");
	ck_assert_ptr_nonnull(strstr(out, "\n\nroutes: 1 change\n\n"));
	ck_assert_uint_gt(strlen(out), strlen(msg) + 1);
	ck_assert(strncmp(out + strlen(out) - strlen(msg) - 1, msg,
	    strlen(msg)) == 0);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	free(out);
	out = git(repo, "log -1 --format=%ct main");
	when = strtol(out, NULL, 10);
	ck_assert_int_le(labs(when - (long)time(NULL)), 300);
	free(out);
	git_is(repo, "show main:transport", t1);
	git_is(repo, "show main:virtual_domains", "example.com OK\n");
	git_is(repo, "ls-tree -r --name-only main",
	    "transport\nvirtual_domains\n");
	fsck(repo);
	free(t1);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_identical_no_commit)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char *objects, *out;
	struct git_sink_file f[3], g[3];
	struct git_sink *s;
	char hex[41], again[41];

	f[0] = file("transport", "a@example.com lmtp:core:2400\n");
	f[1] = file(".splitsync/routes", "a@example.com internal\n");
	f[2] = file("virtual_domains", "example.com OK\n");
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, f, 3, "first", hex), 1);
	objects = git(repo, "count-objects");
	ck_assert_int_eq(commit(s, f, 3, "second", again), 0);
	ck_assert_str_eq(again, hex);
	git_sink_close(s);

	/* a new sink compares with the repository, in any file order */
	g[0] = f[2];
	g[1] = f[0];
	g[2] = f[1];
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, g, 3, "third", again), 0);
	ck_assert_str_eq(again, hex);
	git_sink_close(s);

	git_is(repo, "rev-list --count main", "1\n");
	git_is(repo, "log --format=%s main", "first\n");
	/* nothing was written the second and third time */
	out = git(repo, "count-objects");
	ck_assert_str_eq(out, objects);
	free(out);
	free(objects);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_nested_and_removed)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[5];
	struct git_sink *s;
	char hex[41];

	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t1\n");
	f[1] = file(".splitsync/routes", "r1\n");
	f[2] = file("a/b/c", "c\n");
	f[3] = file("a/d", "d\n");
	f[4] = file("a-b", "ab\n");
	ck_assert_int_eq(commit(s, f, 5, "one", hex), 1);
	git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\na-b\na/b/c\na/d\ntransport\n");
	git_is(repo, "show main:a/b/c", "c\n");

	/* a/b/c and a-b removed, the state file changed */
	f[1] = file(".splitsync/routes", "r2\n");
	ck_assert_int_eq(commit(s, f, 2, "two", hex), 1);
	git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\ntransport\n");
	git_is(repo, "show main:.splitsync/routes", "r2\n");
	git_is(repo, "diff --name-status main~1 main",
	    "M\t.splitsync/routes\nD\ta-b\nD\ta/b/c\nD\ta/d\n");

	/* a directory becomes a file and back */
	f[2] = file("a", "now a file\n");
	ck_assert_int_eq(commit(s, f, 3, "three", hex), 1);
	git_is(repo, "cat-file -t main:a", "blob\n");
	f[2] = file("a/e", "e\n");
	ck_assert_int_eq(commit(s, f, 3, "four", hex), 1);
	git_is(repo, "cat-file -t main:a", "tree\n");
	git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/routes\na/e\ntransport\n");
	git_is(repo, "rev-list --count main", "4\n");
	git_sink_close(s);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_read)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	static const char bin[] = { 'x', '\0', 'y' };
	static const char *missing[] = { "missing", ".splitsync", "a/b/c",
	    "transport/x" };
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41], *out;
	size_t len, i;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(git_sink_read(s, "transport", &out, &len, &d),
	    ERR_NOTFOUND);
	ck_assert_ptr_null(out);
	f[0] = file("transport", "a@example.com lmtp:core:2400\n");
	f[1].path = ".splitsync/routes";
	f[1].data = bin;
	f[1].len = sizeof bin;
	ck_assert_int_eq(commit(s, f, 2, "one", hex), 1);
	git_sink_close(s);

	s = open_ok(repo, 1, "main");
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

START_TEST(t_moved)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hex1[41], hexb[41], hex[41], *want;
	int committed = -1;

	diag_init(&d, NULL);
	a = open_ok(repo, 1, "main");
	f = file("transport", "v1\n");
	ck_assert_int_eq(commit(a, &f, 1, "a one", hex1), 1);
	b = open_ok(repo, 1, "main");
	f = file("transport", "v2\n");
	ck_assert_int_eq(commit(b, &f, 1, "b two", hexb), 1);

	/* a still believes the branch is at hex1 */
	f = file("transport", "v3\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a three", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved"));
	ck_assert_int_eq(git_sink_head(a, hex), 0);
	ck_assert_str_eq(hex, hex1);
	ck_assert_int_ge(asprintf(&want, "%s\n", hexb), 0);
	git_is(repo, "rev-parse main", want);
	git_is(repo, "show main:transport", "v2\n");

	/* after a refresh the commit goes on top of b's */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	ck_assert_int_eq(git_sink_head(a, hex), 0);
	ck_assert_str_eq(hex, hexb);
	ck_assert_int_eq(commit(a, &f, 1, "a three", hex), 1);
	git_is(repo, "rev-parse main~1", want);
	git_is(repo, "show main:transport", "v3\n");
	git_is(repo, "log --format=%s main", "a three\nb two\na one\n");
	free(want);
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_moved_unborn)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hexb[41], hex[41], *want;
	int committed = -1;

	diag_init(&d, NULL);
	a = open_ok(repo, 1, "main");
	b = open_ok(repo, 1, "main");
	f = file("transport", "from b\n");
	ck_assert_int_eq(commit(b, &f, 1, "b", hexb), 1);
	f = file("transport", "from a\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	ck_assert_int_eq(committed, 0);
	ck_assert_int_eq(git_sink_head(a, hex), ERR_NOTFOUND);
	ck_assert_int_ge(asprintf(&want, "%s\n", hexb), 0);
	git_is(repo, "rev-parse main", want);

	/* the same tree as the head once refreshed: nothing to commit */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	f = file("transport", "from b\n");
	ck_assert_int_eq(commit(a, &f, 1, "same tree", hex), 0);
	ck_assert_str_eq(hex, hexb);
	f = file("transport", "from a\n");
	ck_assert_int_eq(commit(a, &f, 1, "a again", hex), 1);

	/* another writer, git itself, rewinds the branch */
	free(git(repo, "update-ref refs/heads/main main~1"));
	f = file("transport", "from a, later\n");
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a later", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	git_is(repo, "rev-parse main", want);
	free(want);

	/* the branch deleted meanwhile is not recreated */
	free(git(repo, "update-ref -d refs/heads/main"));
	ck_assert_int_eq(git_sink_refresh(b, &d), 0);
	ck_assert_int_eq(git_sink_head(b, hex), ERR_NOTFOUND);
	ck_assert_int_eq(git_sink_commit(a, &f, 1, "a later", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_MOVED);
	git_is(repo, "for-each-ref refs/heads/", "");
	/* and a sink that saw it absent creates it */
	ck_assert_int_eq(commit(b, &f, 1, "b again", hex), 1);
	git_is(repo, "show main:transport", "from a, later\n");
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	fsck(repo);
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
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
	char *dir = testlib_tmpdir(), *plain = join(dir, "plain");
	char *repo = join(plain, "r.git"), *full = join(dir, "full");
	char *inside = join(full, "x"), *head = join(full, "HEAD");
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char *t1 = data(DATA "transport.1"), *t2 = data(DATA "transport.2");
	char *ours, *theirs, *cli, hex[41];
	const char *pa, *pg, *pt;
	struct git_sink_file f[3];
	struct git_sink *s;
	struct buf out = BUF_INIT;
	struct diag d;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", t1);
	f[1] = file("gone", "old line\n");
	f[2] = file("same", "same line\n");
	/* unborn: every file is added */
	ck_assert_int_eq(git_sink_diff(s, f, 3, NULL, &out, &d), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "+++ b/transport\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "--- /dev/null\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "+same line\n"));
	buf_free(&out);
	ck_assert_int_eq(commit(s, f, 3, "one", hex), 1);
	ck_assert_int_eq(git_sink_diff(s, f, 3, NULL, &out, &d), 0);
	ck_assert_uint_eq(out.len, 0);

	f[0] = file("transport", t2);
	f[1] = file("added", "new line\n");
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
	ck_assert_int_eq(commit(s, f, 3, "two", hex), 1);
	cli = git(repo, "diff --no-color main~1 main");
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
	fsck(repo);
	free(t1);
	free(t2);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

static const char *bad_paths[] = {
	"/etc/passwd", "../x", "a/../b", "a/..", "a//b", "a/", "", ".",
	"a/./b", ".git/config", "x/.GIT/y", "a\nb", "a\tb"
};

START_TEST(t_invalid_path)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct buf out = BUF_INIT;
	struct diag d;
	char hex[41], *got;
	size_t len;
	int committed = -1;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	f[1] = file(bad_paths[_i], "x\n");
	ck_assert_int_eq(git_sink_commit(s, f, 2, "bad", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "git_sink: "));
	ck_assert_int_eq(git_sink_diff(s, f, 2, NULL, &out, &d), ERR_INVAL);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(git_sink_read(s, bad_paths[_i], &got, &len, &d),
	    ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, 3);
	git_sink_close(s);
	/* nothing was written */
	git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[3];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int committed;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		f[0] = file(sets[i].a, "1\n");
		f[1] = file(sets[i].b, "2\n");
		f[2] = file(sets[i].c, "3\n");
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
	f[0] = file("transport", "t\n");
	ck_assert_int_eq(git_sink_commit(s, f, 1, "m", AUTHOR,
	    "a<b@example.com", &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_commit(s, f, 1, "m", "", EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_commit(s, f, 1, "", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_head(s, hex), ERR_NOTFOUND);
	git_sink_close(s);
	git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_non_bare)
{
	char *dir = testlib_tmpdir(), *work = join(dir, "work");
	char *gitdir = join(work, ".git"), *got;
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t len;
	struct stat st;
	int rc;

	diag_init(&d, NULL);
	s = open_ok(work, 0, "routes/prod");
	ck_assert_int_eq(stat(gitdir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	f[0] = file("transport", "t\n");
	f[1] = file("etc/postfix/relay", "r\n");
	ck_assert_int_eq(commit(s, f, 2, "one", hex), 1);
	git_sink_close(s);

	git_is(gitdir, "rev-parse --is-bare-repository", "false\n");
	git_is(gitdir, "symbolic-ref HEAD", "refs/heads/routes/prod\n");
	git_is(gitdir, "show routes/prod:etc/postfix/relay", "r\n");
	s = open_ok(work, 0, "routes/prod");
	rc = git_sink_read(s, "etc/postfix/relay", &got, &len, &d);
	ck_assert_msg(rc == 0, "read: %s: %s", err_str(rc),
	    diag_last_error(&d));
	ck_assert_str_eq(got, "r\n");
	free(got);
	ck_assert_int_eq(commit(s, f, 2, "same", hex), 0);
	git_sink_close(s);
	fsck(gitdir);
	diag_free(&d);
	free(gitdir);
	free(work);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_existing)
{
	char *dir = testlib_tmpdir(), *empty = join(dir, "empty");
	char *other = join(dir, "other.git"), *out;
	struct git_sink_file f = file("transport", "t\n");
	struct git_sink *s;
	char hex[41];

	/* an empty directory is taken as the place for a new repository */
	ck_assert_int_eq(mkdir(empty, 0700), 0);
	s = open_ok(empty, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "one", hex), 1);
	git_sink_close(s);
	git_is(empty, "show main:transport", "t\n");

	/* an existing repository keeps its HEAD; the branch is created */
	ck_assert_int_eq(testlib_sh(&out, "git init -q --bare '%s' && "
	    "git --git-dir='%s' symbolic-ref HEAD refs/heads/trunk", other,
	    other), 0);
	free(out);
	s = open_ok(other, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "one", hex), 1);
	git_sink_close(s);
	git_is(other, "symbolic-ref HEAD", "refs/heads/trunk\n");
	git_is(other, "show main:transport", "t\n");
	fsck(other);
	fsck(empty);
	free(other);
	free(empty);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_sink_suite - every test above */
static Suite *
git_sink_suite(void)
{
	Suite *s = suite_create("git_sink");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, t_commit_bare);
	tcase_add_test(tc, t_identical_no_commit);
	tcase_add_test(tc, t_nested_and_removed);
	tcase_add_test(tc, t_read);
	tcase_add_test(tc, t_moved);
	tcase_add_test(tc, t_moved_unborn);
	tcase_add_loop_test(tc, t_invalid_branch, 0,
	    sizeof bad_branches / sizeof *bad_branches);
	tcase_add_test(tc, t_null_branch);
	tcase_add_test(tc, t_unwritable);
	tcase_add_test(tc, t_diff);
	tcase_add_loop_test(tc, t_invalid_path, 0,
	    sizeof bad_paths / sizeof *bad_paths);
	tcase_add_test(tc, t_invalid_sets);
	tcase_add_test(tc, t_non_bare);
	tcase_add_test(tc, t_existing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_sink_suite()); }
