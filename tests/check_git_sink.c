/*
 * check_git_sink - tests of the git sink against the real git command
 *
 * Every test makes its own repository under testlib_tmpdir() and checks
 * what libgit2 wrote with git itself (log, show, ls-tree, fsck). Remote
 * tests push to and fetch from bare repositories over file:// URLs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* the signature git_sink_commit and git_sink_update share */
typedef int commit_fn(struct git_sink *, const struct git_sink_file *,
    size_t, const char *, const char *, const char *, int *, char[41],
    struct diag *);

/* commit_by - run fn, assert success, return *committed */
static int
commit_by(commit_fn *fn, struct git_sink *s, const struct git_sink_file *f,
    size_t n, const char *msg, char hex[41])
{
	struct diag d;
	int rc, committed = -1;

	diag_init(&d, NULL);
	rc = fn(s, f, n, msg, AUTHOR, EMAIL, &committed, hex, &d);
	ck_assert_msg(rc == 0, "%s: %s: %s", fn == git_sink_commit ?
	    "commit" : "update", err_str(rc), diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	diag_free(&d);
	ck_assert(committed == 0 || committed == 1);
	return committed;
}

/* commit - git_sink_commit, assert success, return *committed */
static int
commit(struct git_sink *s, const struct git_sink_file *f, size_t n,
    const char *msg, char hex[41])
{
	return commit_by(git_sink_commit, s, f, n, msg, hex);
}

/* update - git_sink_update, assert success, return *committed */
static int
update(struct git_sink *s, const struct git_sink_file *f, size_t n,
    const char *msg, char hex[41])
{
	return commit_by(git_sink_update, s, f, n, msg, hex);
}

/* file - a git_sink_file over a C string */
static struct git_sink_file
file(const char *path, const char *text)
{
	struct git_sink_file f = { path, text, strlen(text), 0 };

	return f;
}

/* gone - a git_sink_update change removing path */
static struct git_sink_file
gone(const char *path)
{
	struct git_sink_file f = { path, NULL, 0, 1 };

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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	static const char *nothing[] = { "missing", "c", "a/b/2" };
	struct git_sink_file f[5];
	struct git_sink *s;
	struct buf seen = BUF_INIT;
	struct diag d;
	char hex[41], first[41];
	size_t i;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	/* an unborn branch has no files */
	ck_assert_int_eq(git_sink_each_file(s, NULL, "a", each_seen, &seen,
	    &d), 0);
	ck_assert_uint_eq(seen.len, 0);
	f[0] = file("a/b/2", "two");
	f[1] = file("a/1", "one");
	f[2] = file("c", "see");
	f[3] = file("a/b/c/3", "three");
	f[4] = file("stop/here", "x");
	ck_assert_int_eq(commit(s, f, 5, "one", first), 1);
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
	f[0] = file("a/1", "uno");
	ck_assert_int_eq(commit(s, f, 1, "two", hex), 1);
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

/* git_id_is - assert that git printed exactly hex and a newline */
static void
git_id_is(const char *gitdir, const char *args, const char *hex)
{
	char *want = NULL;

	ck_assert_int_ge(asprintf(&want, "%s\n", hex), 0);
	git_is(gitdir, args, want);
	free(want);
}

/* commit_on - git_sink_commit_on, return its code */
static int
commit_on(struct git_sink *s, const char *branch, const char *parent,
    const struct git_sink_file *f, size_t n, const char *msg, int force,
    char hex[41], struct diag *d)
{
	return git_sink_commit_on(s, branch, parent, f, n, msg, AUTHOR, EMAIL,
	    force, hex, d);
}

/* commit_on_ok - commit_on, assert success */
static void
commit_on_ok(struct git_sink *s, const char *branch, const char *parent,
    const struct git_sink_file *f, size_t n, const char *msg, int force,
    char hex[41])
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = commit_on(s, branch, parent, f, n, msg, force, hex, &d);
	ck_assert_msg(rc == 0, "commit_on %s: %s: %s", branch, err_str(rc),
	    diag_last_error(&d));
	ck_assert_uint_eq(strlen(hex), 40);
	diag_free(&d);
}

START_TEST(t_commit_on)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char base[41], p1[41], p2[41], root[41], hex[41];
	size_t nerr;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "a lmtp\n");
	f[1] = file(".splitsync/routes", "r1\n");
	ck_assert_int_eq(commit(s, f, 2, "base", base), 1);

	/* created on the deploy head, which does not move */
	f[0] = file("transport", "a smtp\n");
	commit_on_ok(s, "proposal", base, f, 2, "proposal one", 0, p1);
	git_id_is(repo, "rev-parse proposal", p1);
	git_id_is(repo, "log -1 --format=%P proposal", base);
	git_id_is(repo, "rev-parse main", base);
	git_is(repo, "show proposal:transport", "a smtp\n");
	git_is(repo, "log -1 --format=%B proposal", "proposal one\n\n");
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	ck_assert_str_eq(hex, base);

	/* not forced: only created, never moved */
	f[0] = file("transport", "a other\n");
	ck_assert_int_eq(commit_on(s, "proposal", base, f, 2, "again", 0, hex,
	    &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "already exists"));
	git_id_is(repo, "rev-parse proposal", p1);
	nerr = d.nerrors;

	/* forced: moved wherever it was, here to a sibling of p1 */
	commit_on_ok(s, "proposal", base, f, 2, "proposal two", 1, p2);
	ck_assert_str_ne(p2, p1);
	git_id_is(repo, "rev-parse proposal", p2);
	git_id_is(repo, "log -1 --format=%P proposal", base);
	git_is(repo, "show proposal:transport", "a other\n");
	git_is(repo, "rev-list --count proposal", "2\n");

	/* an unchanged tree still makes the commit */
	commit_on_ok(s, "hold", p2, f, 2, "same tree", 0, hex);
	git_id_is(repo, "log -1 --format=%P hold", p2);
	git_is(repo, "diff --name-only proposal hold", "");

	/* no parent: a root commit */
	commit_on_ok(s, "orphan", NULL, f, 1, "root", 0, root);
	git_is(repo, "log --format=%P orphan", "\n");
	git_is(repo, "ls-tree -r --name-only orphan", "transport\n");

	ck_assert_int_eq(git_sink_branch_head(s, "proposal", hex), 0);
	ck_assert_str_eq(hex, p2);
	ck_assert_int_eq(git_sink_branch_head(s, "main", hex), 0);
	ck_assert_str_eq(hex, base);
	ck_assert_int_eq(git_sink_branch_head(s, "absent", hex), ERR_NOTFOUND);
	ck_assert_str_eq(hex, "");
	ck_assert_int_eq(git_sink_branch_head(s, "a..b", hex), ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, nerr);
	git_sink_close(s);
	fsck(repo);
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f = file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_int_eq(commit_on(s, bad[i].branch, bad[i].parent, &f, 1,
		    bad[i].msg, 1, hex, &d), ERR_INVAL);
		ck_assert_msg(strstr(diag_last_error(&d), bad[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
		ck_assert_str_eq(hex, "");
	}
	git_sink_close(s);
	/* refused before anything was written */
	git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	git_is(repo, "for-each-ref", "");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_branch_delete)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f = file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char base[41], hold[41], hex[41];

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "base", base), 1);
	f = file("transport", "u\n");
	commit_on_ok(s, "hold", base, &f, 1, "held", 0, hold);
	commit_on_ok(s, "hold-2", base, &f, 1, "held", 0, hex);
	git_id_is(repo, "rev-parse hold", hold);

	ck_assert_int_eq(git_sink_branch_delete(s, "hold", &d), 0);
	git_is(repo, "for-each-ref --format='%(refname)' refs/heads/",
	    "refs/heads/hold-2\nrefs/heads/main\n");
	ck_assert_int_eq(git_sink_branch_head(s, "hold", hex), ERR_NOTFOUND);
	/* absent: nothing to do */
	ck_assert_int_eq(git_sink_branch_delete(s, "hold", &d), 0);
	ck_assert_int_eq(git_sink_branch_delete(s, "never", &d), 0);
	ck_assert_uint_eq(d.nerrors, 0);
	/* the deploy branch is not deleted this way */
	ck_assert_int_eq(git_sink_branch_delete(s, "main", &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_branch_delete(s, "-x", &d), ERR_INVAL);
	git_id_is(repo, "rev-parse main", base);
	/* and it can be made again afterwards */
	commit_on_ok(s, "hold", base, &f, 1, "held again", 0, hex);
	git_sink_close(s);
	fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_read_at)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
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
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "v1\n");
	ck_assert_int_eq(commit(s, f, 1, "one\n\nbody", c1), 1);
	f[0] = file("transport", "v2\n");
	f[1] = file(".splitsync/state", "cookie\n");
	ck_assert_int_eq(commit(s, f, 2, "two", c2), 1);
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
	tree = git(repo, "rev-parse main^{tree}");
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git"), *out;
	char ids[sizeof trees / sizeof *trees][41];
	struct git_sink_file f[3];
	struct git_sink *s;
	struct diag d;
	size_t i, n;
	int equal, rc;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	for (i = 0; i < sizeof trees / sizeof *trees; i++) {
		for (n = 0; n < 3 && trees[i].files[n][0]; n++)
			f[n] = file(trees[i].files[n][0], trees[i].files[n][1]);
		commit_on_ok(s, trees[i].name, NULL, f, n, trees[i].name, 0,
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git"), *out;
	char ids[2][41];
	struct git_sink_file f[4];
	struct git_sink *s;
	struct seen_diff seen;
	struct diag d;
	size_t i, n;

	diag_init(&d, NULL);
	buf_init(&seen.text);
	s = open_ok(repo, 1, "main");
	for (i = 0; i < 2; i++) {
		for (n = 0; n < 4; n++)
			f[n] = file(files[i][n][0], files[i][n][1]);
		commit_on_ok(s, i ? "b" : "a", NULL, f, 4, "t", 0, ids[i]);
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

START_TEST(t_commit_child_and_info)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git"), *out;
	char head[41], child[41], now[41];
	struct git_sink_file f = file("transport", "x\n");
	struct git_sink_info info;
	struct git_sink *s;
	struct diag d;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "first", head), 1);
	ck_assert_int_eq(git_sink_commit_child(s, head, "second\n\nKey: v",
	    AUTHOR, EMAIL, child, &d), 0);
	/* No branch moved; the child has the parent's very tree. */
	ck_assert_int_eq(git_sink_head(s, now), 0);
	ck_assert_str_eq(now, head);
	out = git(repo, "rev-parse main");
	ck_assert_int_eq(strncmp(out, head, 40), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "test \"$(git --git-dir='%s' "
	    "rev-parse %s^{tree})\" = \"$(git --git-dir='%s' rev-parse "
	    "%s^{tree})\" && git --git-dir='%s' rev-parse %s^", repo, child,
	    repo, head, repo, child), 0);
	ck_assert_int_eq(strncmp(out, head, 40), 0);
	free(out);
	ck_assert_int_eq(git_sink_fast_forward(s, child, &d), 0);
	fsck(repo);
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

START_TEST(t_fast_forward)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f = file("transport", "t1\n");
	struct git_sink *s, *stale;
	struct diag d;
	char base[41], held[41], side[41], next[41], later[41], hex[41];
	char *msg;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "base", base), 1);
	f = file("transport", "t2\n");
	commit_on_ok(s, "hold", base, &f, 1, "held change", 0, held);
	f = file("transport", "t3\n");
	commit_on_ok(s, "side", base, &f, 1, "side change", 0, side);

	/* a person confirms the held change */
	stale = open_ok(repo, 1, "main");
	ck_assert_int_eq(git_sink_fast_forward(s, held, &d), 0);
	ck_assert_int_eq(git_sink_head(s, hex), 0);
	ck_assert_str_eq(hex, held);
	git_id_is(repo, "rev-parse main", held);
	ck_assert_int_eq(git_sink_head_message(s, &msg, &d), 0);
	ck_assert_str_eq(msg, "held change\n");
	free(msg);
	/* already there: nothing to do */
	ck_assert_int_eq(git_sink_fast_forward(s, held, &d), 0);
	git_id_is(repo, "rev-parse main", held);
	ck_assert_uint_eq(d.nerrors, 0);

	/* not a descendant of the head: refused */
	ck_assert_int_eq(git_sink_fast_forward(s, side, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "descendant"));
	ck_assert_int_eq(git_sink_fast_forward(s, base, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_reset_to(s, side, 0, &d), ERR_MOVED);
	git_id_is(repo, "rev-parse main", held);

	/* a sink that read the branch before it moved: compare-and-swap */
	f = file("transport", "t4\n");
	commit_on_ok(s, "next", held, &f, 1, "next", 0, next);
	ck_assert_int_eq(git_sink_fast_forward(stale, next, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved since"));
	git_id_is(repo, "rev-parse main", held);
	ck_assert_int_eq(git_sink_head(stale, hex), 0);
	ck_assert_str_eq(hex, base);
	ck_assert_int_eq(git_sink_refresh(stale, &d), 0);
	ck_assert_int_eq(git_sink_fast_forward(stale, next, &d), 0);
	git_id_is(repo, "rev-parse main", next);

	/* forced: any commit, still compare-and-swap */
	ck_assert_int_eq(git_sink_reset_to(s, side, 1, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_refresh(s, &d), 0);
	ck_assert_int_eq(git_sink_reset_to(s, side, 1, &d), 0);
	git_id_is(repo, "rev-parse main", side);
	/* and commits go on top of it */
	f = file("transport", "t5\n");
	ck_assert_int_eq(commit(s, &f, 1, "later", later), 1);
	git_id_is(repo, "rev-parse main~1", side);
	ck_assert_int_eq(git_sink_fast_forward(s, "nothex", &d), ERR_INVAL);
	git_sink_close(stale);
	git_sink_close(s);
	fsck(repo);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* bare_remote - a new bare repository dir/name; its URL into *url */
static char *
bare_remote(const char *dir, const char *name, char **url)
{
	char *path = join(dir, name), *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "git init -q --bare '%s'", path), 0);
	free(out);
	ck_assert_int_ge(asprintf(url, "file://%s", path), 0);
	return path;
}

/* push_rc - push branches (force: NULL or per branch), return the code */
static int
push_rc(struct git_sink *s, const char *url, const char *b1,
    const char *b2, const unsigned char *force, struct diag *d)
{
	const char *v[2] = { b1, b2 };

	return git_sink_push(s, url, v, b2 ? 2 : 1, force, d);
}

/* push_ok - push, assert success */
static void
push_ok(struct git_sink *s, const char *url, const char *b1,
    const char *b2, const unsigned char *force)
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = push_rc(s, url, b1, b2, force, &d);
	ck_assert_msg(rc == 0, "push %s: %s: %s", b1, err_str(rc),
	    diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	diag_free(&d);
}

/* fetch_ok - fetch a branch, assert success */
static void
fetch_ok(struct git_sink *s, const char *url, const char *branch,
    char hex[41])
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_fetch(s, url, branch, hex, &d);
	ck_assert_msg(rc == 0, "fetch %s: %s: %s", branch, err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
}

START_TEST(t_push_conflict)
{
	char *dir = testlib_tmpdir(), *url, *remote = bare_remote(dir,
	    "remote.git", &url);
	char *ra = join(dir, "a.git"), *rb = join(dir, "b.git"), *out;
	struct git_sink_file f;
	struct git_sink *a, *b;
	struct diag d;
	char ha[41], hb[41], hex[41], fetched[41];
	int committed;

	diag_init(&d, NULL);
	a = open_ok(ra, 1, "main");
	b = open_ok(rb, 1, "main");
	f = file("transport", "alice smtp\n");
	ck_assert_int_eq(commit(a, &f, 1, "change alice", ha), 1);
	push_ok(a, url, "main", NULL, NULL);
	git_is(remote, "log --format=%s main", "change alice\n");
	git_id_is(remote, "rev-parse main", ha);

	/* b computed from an older directory: its push is refused */
	f = file("transport", "bob smtp\n");
	ck_assert_int_eq(commit(b, &f, 1, "change bob", hb), 1);
	ck_assert_int_eq(push_rc(b, url, "main", NULL, NULL, &d), ERR_MOVED);
	ck_assert_msg(strstr(diag_last_error(&d), url) != NULL, "%s",
	    diag_last_error(&d));
	git_id_is(remote, "rev-parse main", ha);

	/* fetch, move onto the remote head, recompute, push again */
	fetch_ok(b, url, "main", fetched);
	ck_assert_str_eq(fetched, ha);
	out = git(rb, "for-each-ref --format='%(objectname) %(refname)' "
	    "refs/splitsync/remotes/");
	ck_assert_uint_eq(strlen(out), 41 + strlen("refs/splitsync/remotes/") +
	    16 + strlen("/main") + 1);
	ck_assert(strncmp(out, ha, 40) == 0);
	free(out);
	ck_assert_int_eq(git_sink_head(b, hex), 0);
	ck_assert_str_eq(hex, hb);          /* fetch moves nothing local */
	ck_assert_int_eq(git_sink_reset_to(b, fetched, 0, &d), ERR_MOVED);
	ck_assert_int_eq(git_sink_reset_to(b, fetched, 1, &d), 0);
	ck_assert_int_eq(git_sink_head(b, hex), 0);
	ck_assert_str_eq(hex, ha);
	f = file("transport", "alice smtp\nbob smtp\n");
	ck_assert_int_eq(commit(b, &f, 1, "change bob", hb), 1);
	push_ok(b, url, "main", NULL, NULL);
	git_is(remote, "log --format=%s main", "change bob\nchange alice\n");
	git_is(remote, "rev-list --merges --count main", "0\n");
	git_is(remote, "show main:transport", "alice smtp\nbob smtp\n");
	git_id_is(remote, "rev-parse main~1", ha);

	/* a pushes again from its stale view: refused; after a fetch it
	 * computes the same tree as the remote and commits nothing */
	f = file("transport", "alice smtp\nbob smtp\n");
	ck_assert_int_eq(commit(a, &f, 1, "change bob, seen by a", hex), 1);
	ck_assert_int_eq(push_rc(a, url, "main", NULL, NULL, &d), ERR_MOVED);
	fetch_ok(a, url, "main", fetched);
	ck_assert_str_eq(fetched, hb);
	ck_assert_int_eq(git_sink_reset_to(a, fetched, 1, &d), 0);
	committed = commit(a, &f, 1, "change bob", hex);
	ck_assert_int_eq(committed, 0);
	ck_assert_str_eq(hex, hb);
	push_ok(a, url, "main", NULL, NULL);    /* up to date */
	git_is(remote, "log --format=%s main", "change bob\nchange alice\n");
	/* an up-to-date fetch answers the same */
	fetch_ok(a, url, "main", hex);
	ck_assert_str_eq(hex, hb);

	git_sink_close(a);
	git_sink_close(b);
	fsck(remote);
	fsck(ra);
	fsck(rb);
	diag_free(&d);
	free(ra);
	free(rb);
	free(url);
	free(remote);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_push_branches)
{
	static const unsigned char forced[] = { 0, 1 };
	char *dir = testlib_tmpdir(), *url, *remote = bare_remote(dir,
	    "remote.git", &url);
	char *repo = join(dir, "r.git"), *lock = join(remote,
	    "refs/heads/main.lock");
	const char *gone[] = { "proposal" };
	struct git_sink_file f;
	struct git_sink *s;
	struct diag d;
	char base[41], p1[41], p2[41], hex[41];

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f = file("transport", "t1\n");
	ck_assert_int_eq(commit(s, &f, 1, "base", base), 1);
	f = file("transport", "t2\n");
	commit_on_ok(s, "proposal", base, &f, 1, "proposal one", 1, p1);
	push_ok(s, url, "main", "proposal", forced);
	git_id_is(remote, "rev-parse main", base);
	git_id_is(remote, "rev-parse proposal", p1);

	/* the proposal recomputed on the same head: a force-move */
	f = file("transport", "t3\n");
	commit_on_ok(s, "proposal", base, &f, 1, "proposal two", 1, p2);
	ck_assert_int_eq(push_rc(s, url, "proposal", NULL, NULL, &d),
	    ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), url));
	git_id_is(remote, "rev-parse proposal", p1);
	push_ok(s, url, "main", "proposal", forced);
	git_id_is(remote, "rev-parse proposal", p2);
	git_is(remote, "show proposal:transport", "t3\n");

	/* deleted here, then on the remote; absent ones are skipped */
	ck_assert_int_eq(git_sink_branch_delete(s, "proposal", &d), 0);
	ck_assert_int_eq(git_sink_push(s, url, gone, 1, NULL, &d),
	    ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no such branch"));
	ck_assert_int_eq(git_sink_push_delete(s, url, "proposal", &d), 0);
	git_is(remote, "for-each-ref --format='%(refname)'",
	    "refs/heads/main\n");
	ck_assert_int_eq(git_sink_push_delete(s, url, "proposal", &d), 0);
	ck_assert_int_eq(git_sink_push_delete(s, url, "never", &d), 0);
	ck_assert_int_eq(git_sink_push_delete(s, url, "main", &d), ERR_INVAL);
	git_id_is(remote, "rev-parse main", base);
	gone[0] = "a..b";
	ck_assert_int_eq(git_sink_push(s, url, gone, 1, NULL, &d), ERR_INVAL);

	/* a ref the remote refuses to write: reported per ref */
	f = file("transport", "t4\n");
	ck_assert_int_eq(commit(s, &f, 1, "four", hex), 1);
	ck_assert_int_eq(testlib_write(lock, "busy\n"), 0);
	ck_assert_int_eq(push_rc(s, url, "main", NULL, NULL, &d), ERR_IO);
	ck_assert_msg(strstr(diag_last_error(&d), "refs/heads/main: remote "
	    "refused: ") != NULL, "%s", diag_last_error(&d));
	git_id_is(remote, "rev-parse main", base);
	ck_assert_int_eq(unlink(lock), 0);
	push_ok(s, url, "main", NULL, NULL);
	git_id_is(remote, "rev-parse main", hex);

	/* the remote lost the branch: not found, tracking ref removed */
	fetch_ok(s, url, "main", p1);
	ck_assert_str_eq(p1, hex);
	free(git(remote, "update-ref -d refs/heads/main"));
	ck_assert_uint_eq(d.nerrors, 5);
	ck_assert_int_eq(git_sink_fetch(s, url, "main", hex, &d),
	    ERR_NOTFOUND);
	ck_assert_uint_eq(d.nerrors, 5);
	git_is(repo, "for-each-ref refs/splitsync/", "");
	git_sink_close(s);
	fsck(remote);
	diag_free(&d);
	free(lock);
	free(repo);
	free(url);
	free(remote);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_push_unreachable)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char *missing = join(dir, "missing.git"), *work = join(dir, "work");
	char *url = NULL, *out;
	struct {
		const char *url;
		int rc;
		const char *why;
	} bad[] = {
		{ NULL, ERR_UNAVAIL, "cannot reach remote" },
		{ NULL, ERR_UNAVAIL, "cannot reach remote" },
		{ "http://127.0.0.1:1/r.git", ERR_UNAVAIL, "cannot reach remote" },
		{ "file://host/r.git", ERR_INVAL, "absolute path" },
		{ "", ERR_INVAL, "empty remote URL" },
		{ NULL, ERR_IO, "non-bare" },
	};
	const char *main_branch[] = { "main" };
	struct git_sink_file f = file("transport", "t\n");
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int rc;

	ck_assert_int_ge(asprintf(&url, "file://%s", missing), 0);
	bad[0].url = url;
	bad[1].url = missing;
	ck_assert_int_eq(testlib_sh(&out, "git init -q '%s'", work), 0);
	free(out);
	bad[5].url = work;
	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, &f, 1, "one", hex), 1);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		rc = git_sink_push(s, bad[i].url, main_branch, 1, NULL, &d);
		ck_assert_msg(rc == bad[i].rc, "push %s: %s: %s", bad[i].url,
		    err_str(rc), diag_last_error(&d));
		ck_assert_msg(strstr(diag_last_error(&d), bad[i].why) != NULL &&
		    strstr(diag_last_error(&d), bad[i].url) != NULL, "%s",
		    diag_last_error(&d));
		if (i == 5)
			continue;       /* a non-bare repository is readable */
		rc = git_sink_fetch(s, bad[i].url, "main", hex, &d);
		ck_assert_msg(rc == bad[i].rc, "fetch %s: %s: %s", bad[i].url,
		    err_str(rc), diag_last_error(&d));
		ck_assert_str_eq(hex, "");
	}
	/* nothing was created where the remote should be */
	ck_assert_int_ne(access(missing, F_OK), 0);
	git_sink_close(s);
	diag_free(&d);
	free(work);
	free(url);
	free(missing);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

#define RACE_AGENTS 3
#define RACE_ROUNDS 6

/* race_agent - one agent's loop in a child process: each round adds
 * one line to the file "log" on top of the remote head, retrying
 * after a refused push; returns 0 or the failing code (no Check
 * assertions here: this runs outside the test process) */
static int
race_agent(const char *dir, const char *url, int who)
{
	const char *branch[] = { "main" };
	struct git_sink *s = NULL;
	struct git_sink_file f;
	struct buf text = BUF_INIT, msg = BUF_INIT;
	struct diag d;
	char *repo = NULL, *old = NULL, hex[41];
	size_t len;
	int i, tries, rc = ERR_NOMEM, committed;

	diag_init(&d, NULL);
	if (asprintf(&repo, "%s/agent%d.git", dir, who) < 0)
		goto out;
	if ((rc = git_sink_open(repo, 1, "main", &s, &d)) < 0)
		goto out;
	for (i = 0; i < RACE_ROUNDS; i++) {
		for (tries = 0;; tries++) {
			if (tries == 200) {
				rc = ERR_MOVED;
				goto out;
			}
			rc = git_sink_fetch(s, url, "main", hex, &d);
			if (rc == 0)
				rc = git_sink_reset_to(s, hex, 1, &d);
			else if (rc == ERR_NOTFOUND)
				rc = 0;
			if (rc < 0)
				goto out;
			rc = git_sink_read(s, "log", &old, &len, &d);
			if (rc < 0 && rc != ERR_NOTFOUND)
				goto out;
			buf_reset(&text);
			buf_reset(&msg);
			if (buf_puts(&text, old ? old : "") < 0 ||
			    buf_printf(&text, "agent %d change %d\n", who, i) < 0 ||
			    buf_printf(&msg, "agent %d change %d", who, i) < 0) {
				rc = ERR_NOMEM;
				goto out;
			}
			free(old);
			old = NULL;
			f.path = "log";
			f.data = text.data;
			f.len = text.len;
			if ((rc = git_sink_commit(s, &f, 1, msg.data, AUTHOR, EMAIL,
			    &committed, hex, &d)) < 0)
				goto out;
			rc = git_sink_push(s, url, branch, 1, NULL, &d);
			if (rc == 0)
				break;
			if (rc != ERR_MOVED)
				goto out;
		}
	}
out:
	if (rc < 0)
		fprintf(stderr, "agent %d: %s: %s\n", who, err_str(rc),
		    diag_last_error(&d));
	free(old);
	buf_free(&text);
	buf_free(&msg);
	git_sink_close(s);
	free(repo);
	diag_free(&d);
	return rc;
}

START_TEST(t_push_race)
{
	char *dir = testlib_tmpdir(), *url, *remote = bare_remote(dir,
	    "remote.git", &url);
	char *out, *line, *save = NULL, *want;
	pid_t pids[RACE_AGENTS];
	int i, j, status, seen[RACE_AGENTS][RACE_ROUNDS] = { { 0 } };
	int who, round, n = 0;

	for (i = 0; i < RACE_AGENTS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			/* The child's copies of the parent's strings go too,
			 * or memcheck counts them as lost in every agent. */
			who = race_agent(dir, url, i);
			free(url);
			free(remote);
			free(dir);
			_exit(who == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < RACE_AGENTS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "agent %d failed", i);
	}
	/* every change once, in one linear history */
	ck_assert_int_ge(asprintf(&want, "%d\n", RACE_AGENTS * RACE_ROUNDS),
	    0);
	git_is(remote, "rev-list --count main", want);
	free(want);
	git_is(remote, "rev-list --merges --count main", "0\n");
	out = git(remote, "show main:log");
	for (line = strtok_r(out, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_int_eq(sscanf(line, "agent %d change %d", &who, &round),
		    2);
		ck_assert(who >= 0 && who < RACE_AGENTS && round >= 0 &&
		    round < RACE_ROUNDS);
		ck_assert_int_eq(seen[who][round]++, 0);
		n++;
	}
	free(out);
	ck_assert_int_eq(n, RACE_AGENTS * RACE_ROUNDS);
	for (i = 0; i < RACE_AGENTS; i++)
		for (j = 0; j < RACE_ROUNDS; j++)
			ck_assert_int_eq(seen[i][j], 1);
	/* each commit message once as well */
	git_is(remote, "log --format=%s main | sort | uniq -d", "");
	fsck(remote);
	free(url);
	free(remote);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* update_rc - git_sink_update expected to fail: its code, the branch
 * and the sink's head unchanged, nothing committed */
static int
update_rc(struct git_sink *s, const char *repo,
    const struct git_sink_file *f, size_t n, struct diag *d)
{
	char hex[41], before[41], after[41], *ref, *ref2;
	int rc, committed = -1, had;

	had = git_sink_head(s, before) == 0;
	ref = git(repo, "for-each-ref");
	rc = git_sink_update(s, f, n, "refused", AUTHOR, EMAIL, &committed,
	    hex, d);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(committed, 0);
	ck_assert_ptr_nonnull(strstr(diag_last_error(d), "git_sink: "));
	ck_assert_int_eq(git_sink_head(s, after) == 0, had);
	if (had)
		ck_assert_str_eq(after, before);
	ref2 = git(repo, "for-each-ref");
	ck_assert_str_eq(ref2, ref);
	free(ref2);
	free(ref);
	return rc;
}

START_TEST(t_update)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[4];
	struct git_sink *s;
	char hex1[41], hex[41], *blob;

	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t1\n");
	f[1] = file("transport.d/3/f/a", "a1\n");
	f[2] = file("transport.d/3/f/b", "b1\n");
	f[3] = file("transport.d/0/0/0", "z1\n");
	ck_assert_int_eq(commit(s, f, 4, "full", hex1), 1);
	blob = git(repo, "rev-parse main:transport.d/0/0/0");

	/* a replaced file, a new one beside it, new nested directories */
	f[0] = file("transport.d/3/f/a", "a2\n");
	f[1] = file("transport.d/3/f/c", "c1\n");
	f[2] = file(".splitsync/mirror/1/2", "m\n");
	ck_assert_int_eq(update(s, f, 3, "one change", hex), 1);
	ck_assert_str_ne(hex, hex1);
	git_id_is(repo, "rev-parse main", hex);
	git_id_is(repo, "rev-parse main~1", hex1);
	git_is(repo, "log -1 --format=%s%n%an main", "one change\n" AUTHOR
	    "\n");
	git_is(repo, "ls-tree -r --name-only main",
	    ".splitsync/mirror/1/2\ntransport\ntransport.d/0/0/0\n"
	    "transport.d/3/f/a\ntransport.d/3/f/b\ntransport.d/3/f/c\n");
	git_is(repo, "show main:transport.d/3/f/a", "a2\n");
	git_is(repo, "show main:transport.d/3/f/c", "c1\n");
	git_is(repo, "show main:.splitsync/mirror/1/2", "m\n");
	git_is(repo, "show main:transport", "t1\n");
	/* untouched files and directories are the same objects */
	git_is(repo, "rev-parse main:transport.d/0/0/0", blob);
	git_is(repo, "diff --name-status main~1 main",
	    "A\t.splitsync/mirror/1/2\nM\ttransport.d/3/f/a\n"
	    "A\ttransport.d/3/f/c\n");
	free(blob);
	blob = git(repo, "rev-parse main~1:transport.d/0");
	git_is(repo, "rev-parse main:transport.d/0", blob);
	free(blob);
	git_sink_close(s);

	/* a fresh sink reads the head and updates on top of it */
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t2\n");
	ck_assert_int_eq(update(s, f, 1, "two", hex1), 1);
	git_id_is(repo, "rev-parse main~1", hex);
	git_is(repo, "show main:transport", "t2\n");
	git_is(repo, "rev-list --count main", "3\n");
	git_sink_close(s);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_remove)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[6];
	struct git_sink *s;
	char hex[41];

	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	f[1] = file("a/b/c", "c\n");
	f[2] = file("a/d", "d\n");
	f[3] = file("x/y/z", "z\n");
	f[4] = file("x/y/w", "w\n");
	ck_assert_int_eq(commit(s, f, 5, "full", hex), 1);

	/* the last file of a/b goes: a/b goes, a stays for a/d */
	f[0] = gone("a/b/c");
	f[1] = gone("x/y/z");
	ck_assert_int_eq(update(s, f, 2, "remove", hex), 1);
	git_is(repo, "ls-tree -r -t --name-only main",
	    "a\na/d\ntransport\nx\nx/y\nx/y/w\n");
	git_is(repo, "diff --name-status main~1 main", "D\ta/b/c\nD\tx/y/z\n");

	/* emptied directories go up to the root, with absent paths around:
	 * a missing file, a missing directory, a path under a file */
	f[0] = gone("x/y/w");
	f[1] = gone("x/y/nothing");
	f[2] = gone("no/such/dir");
	f[3] = gone("transport/under");
	f[4] = gone("a/d");
	f[5] = file("a/e", "e\n");
	ck_assert_int_eq(update(s, f, 6, "empty x", hex), 1);
	git_is(repo, "ls-tree -r -t --name-only main", "a\na/e\ntransport\n");

	/* only absent paths: nothing to commit */
	ck_assert_int_eq(update(s, f, 4, "absent", hex), 0);
	git_id_is(repo, "rev-parse main", hex);

	/* everything removed: the empty tree */
	f[0] = gone("a/e");
	f[1] = gone("transport");
	ck_assert_int_eq(update(s, f, 2, "all gone", hex), 1);
	git_is(repo, "ls-tree -r -t main", "");
	git_is(repo, "rev-list --count main", "4\n");
	git_sink_close(s);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_noop)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char *objects, *reflog, *out;
	struct git_sink_file f[3];
	struct git_sink *s;
	char hex[41], again[41];

	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	f[1] = file("d/e/f", "f\n");
	ck_assert_int_eq(commit(s, f, 2, "full", hex), 1);
	objects = git(repo, "count-objects");
	reflog = git(repo, "reflog main");

	/* the same content, an absent removal, no change at all */
	f[2] = gone("d/e/none");
	ck_assert_int_eq(update(s, f, 3, "same", again), 0);
	ck_assert_str_eq(again, hex);
	ck_assert_int_eq(update(s, f, 0, "none", again), 0);
	ck_assert_str_eq(again, hex);
	ck_assert_int_eq(update(s, NULL, 0, "none", again), 0);
	ck_assert_str_eq(again, hex);
	git_id_is(repo, "rev-parse main", hex);
	git_is(repo, "count-objects", objects);
	git_is(repo, "reflog main", reflog);
	ck_assert_int_eq(git_sink_head(s, again), 0);
	ck_assert_str_eq(again, hex);

	/* a file added then removed again: the old tree, no commit */
	f[2] = file("d/new", "n\n");
	ck_assert_int_eq(update(s, &f[2], 1, "add", again), 1);
	f[2] = gone("d/new");
	ck_assert_int_eq(update(s, &f[2], 1, "remove", hex), 1);
	out = git(repo, "rev-parse main~2^{tree}");
	git_is(repo, "rev-parse main^{tree}", out);
	free(out);
	ck_assert_int_eq(update(s, &f[2], 1, "again", again), 0);
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink *a, *b;
	struct git_sink_file f;
	struct diag d;
	char hex1[41], hexb[41], hex[41];

	diag_init(&d, NULL);
	a = open_ok(repo, 1, "main");
	f = file("transport", "v1\n");
	ck_assert_int_eq(commit(a, &f, 1, "a one", hex1), 1);
	b = open_ok(repo, 1, "main");
	f = file("other", "b\n");
	ck_assert_int_eq(update(b, &f, 1, "b two", hexb), 1);

	/* a still believes the branch is at hex1 */
	f = file("transport", "v3\n");
	ck_assert_int_eq(update_rc(a, repo, &f, 1, &d), ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "moved"));
	git_id_is(repo, "rev-parse main", hexb);
	git_is(repo, "show main:transport", "v1\n");
	git_is(repo, "ls-tree --name-only main", "other\ntransport\n");

	/* even when the update would change nothing on the new head */
	f = file("other", "b\n");
	ck_assert_int_eq(update_rc(a, repo, &f, 1, &d), ERR_MOVED);
	git_id_is(repo, "rev-parse main", hexb);

	/* after a refresh it goes on top of b's commit */
	ck_assert_int_eq(git_sink_refresh(a, &d), 0);
	f = file("transport", "v3\n");
	ck_assert_int_eq(update(a, &f, 1, "a three", hex), 1);
	git_id_is(repo, "rev-parse main~1", hexb);
	git_is(repo, "ls-tree --name-only main", "other\ntransport\n");
	git_is(repo, "log --format=%s main", "a three\nb two\na one\n");
	git_sink_close(a);
	git_sink_close(b);
	diag_free(&d);
	fsck(repo);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_update_invalid_path)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41], *objects;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	ck_assert_int_eq(commit(s, f, 1, "full", hex), 1);
	objects = git(repo, "count-objects");
	f[0] = file("new", "n\n");
	f[1] = file(bad_paths[_i], "x\n");
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
	f[1] = gone(bad_paths[_i]);
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
	ck_assert_uint_eq(d.nerrors, 2);
	git_is(repo, "count-objects", objects);
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char *objects, *out;
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];
	size_t i;
	int committed;

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	f[1] = file("a/b", "b\n");
	ck_assert_int_eq(commit(s, f, 2, "full", hex), 1);
	/* git adds a submodule link l beside them */
	ck_assert_int_eq(testlib_sh(&out, "export GIT_DIR='%s' && t=$({ git "
	    "ls-tree main; printf '160000 commit %%s\\tl\\n' "
	    "$(git rev-parse main); } | git mktree) && "
	    "git update-ref refs/heads/main $(git commit-tree -p main "
	    "-m link $t)", repo), 0);
	free(out);
	git_is(repo, "ls-tree --name-only main", "a\nl\ntransport\n");
	ck_assert_int_eq(git_sink_refresh(s, &d), 0);
	objects = git(repo, "count-objects");
	for (i = 0; i < sizeof sets / sizeof *sets; i++) {
		f[0] = sets[i].remove_a ? gone(sets[i].a) :
		    file(sets[i].a, "1\n");
		f[1] = sets[i].remove_b ? gone(sets[i].b) :
		    file(sets[i].b, "2\n");
		ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_INVAL);
		ck_assert_msg(strstr(diag_last_error(&d), sets[i].why) != NULL,
		    "%zu: %s", i, diag_last_error(&d));
	}
	/* data missing for a non-empty file; a bad message or author */
	f[0] = file("transport", "x\n");
	f[0].data = NULL;
	ck_assert_int_eq(update_rc(s, repo, f, 1, &d), ERR_INVAL);
	f[0] = file("transport", "x\n");
	ck_assert_int_eq(git_sink_update(s, f, 1, "", AUTHOR, EMAIL,
	    &committed, hex, &d), ERR_INVAL);
	ck_assert_int_eq(git_sink_update(s, f, 1, "m", AUTHOR,
	    "a<b@example.com", &committed, hex, &d), ERR_INVAL);
	git_is(repo, "count-objects", objects);
	git_is(repo, "show main:transport", "t\n");
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
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	struct git_sink_file f[2];
	struct git_sink *s;
	struct diag d;
	char hex[41];

	diag_init(&d, NULL);
	s = open_ok(repo, 1, "main");
	f[0] = file("transport", "t\n");
	f[1] = gone("old");
	ck_assert_int_eq(update_rc(s, repo, f, 2, &d), ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "main"));
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no commit"));
	ck_assert_int_eq(update_rc(s, repo, NULL, 0, &d), ERR_NOTFOUND);
	ck_assert_uint_eq(d.nerrors, 2);
	git_is(repo, "count-objects", "0 objects, 0 kilobytes\n");
	git_is(repo, "for-each-ref", "");
	/* git_sink_commit makes the first tree, then updates go on top */
	ck_assert_int_eq(commit(s, f, 1, "first", hex), 1);
	ck_assert_int_eq(update(s, f, 2, "same", hex), 0);
	f[1] = file("new", "n\n");
	ck_assert_int_eq(update(s, f, 2, "second", hex), 1);
	git_is(repo, "ls-tree --name-only main", "new\ntransport\n");
	git_sink_close(s);
	diag_free(&d);
	fsck(repo);
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
	char *dir = testlib_tmpdir(), *ra = join(dir, "a.git");
	char *rb = join(dir, "b.git"), *ta, *tb;
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
	a = open_ok(ra, 1, "main");
	b = open_ok(rb, 1, "main");
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
				ch[n++] = gone(m[i].path);
				m[i].live = 0;
			} else if (h <= 2 || (r == 0 && m[i].live)) {
				snprintf(m[i].text, sizeof m[i].text,
				    "round %d, %zu\n", r, i);
				m[i].live = 1;
				ch[n++] = file(m[i].path, m[i].text);
			}
			if (m[i].live)
				full[k++] = file(m[i].path, m[i].text);
		}
		if (r == 0)
			ck_assert_int_eq(commit(a, full, k, "base", hex), 1);
		else
			ck_assert_int_eq(update(a, ch, n, "round", hex), 1);
		ck_assert_int_eq(commit(b, full, k, "full", hex), 1);
		ta = git(ra, "rev-parse main^{tree}");
		tb = git(rb, "rev-parse main^{tree}");
		ck_assert_msg(strcmp(ta, tb) == 0, "round %d: %s vs %s", r, ta,
		    tb);
		free(ta);
		free(tb);
		if (r == 2)
			git_is(ra, "ls-tree main transport.d/1/2", "");
	}
	git_is(ra, "rev-list --count main", "4\n");
	git_sink_close(a);
	git_sink_close(b);
	fsck(ra);
	free(m);
	free(ch);
	free(full);
	free(ra);
	free(rb);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* count_value - the number after "name: " in git count-objects -v */
static long
count_value(const char *repo, const char *name)
{
	char *out = git(repo, "count-objects -v"), *p;
	long v;

	p = strstr(out, name);
	ck_assert_msg(p != NULL, "%s: %s", name, out);
	v = strtol(p + strlen(name) + 2, NULL, 10);
	free(out);
	return v;
}

#define NPACKED 300             /* files enough for a pack */

START_TEST(t_pack)
{
	char *dir = testlib_tmpdir(), *repo = join(dir, "r.git");
	char (*path)[32] = calloc(NPACKED, sizeof *path);
	char (*text)[32] = calloc(NPACKED, sizeof *text);
	struct git_sink_file *f = calloc(NPACKED, sizeof *f);
	struct git_sink *s;
	char hex[41], side[41], *got, *objects;
	size_t i, len;
	long loose;
	struct diag d;

	ck_assert(path && text && f);
	diag_init(&d, NULL);
	for (i = 0; i < NPACKED; i++) {
		snprintf(path[i], sizeof path[i], "t.d/%zx/%zx/%zu", i % 16,
		    i / 16 % 16, i);
		snprintf(text[i], sizeof text[i], "file %zu\n", i);
		f[i] = file(path[i], text[i]);
	}
	/* a first commit of many new objects: one pack, nothing loose */
	s = open_ok(repo, 1, "main");
	ck_assert_int_eq(commit(s, f, NPACKED, "full", hex), 1);
	ck_assert_int_eq(count_value(repo, "count"), 0);
	ck_assert_int_eq(count_value(repo, "packs"), 1);
	/* blobs, 16 + 1 trees and up to 256 below them, the commit */
	ck_assert_int_gt(count_value(repo, "in-pack"), NPACKED + 17);
	git_is(repo, "show main:t.d/3/0/3", "file 3\n");
	fsck(repo);
	/* the sink reads it back at once */
	ck_assert_int_eq(git_sink_read(s, "t.d/5/1/21", &got, &len, &d), 0);
	ck_assert_str_eq(got, "file 21\n");
	free(got);

	/* the same files: nothing written at all */
	objects = git(repo, "count-objects -v");
	ck_assert_int_eq(commit(s, f, NPACKED, "same", hex), 0);
	git_is(repo, "count-objects -v", objects);
	free(objects);

	/* a few changes among many files are loose objects, as before */
	snprintf(text[7], sizeof text[7], "changed\n");
	f[7] = file(path[7], text[7]);
	ck_assert_int_eq(commit(s, f, NPACKED, "one", hex), 1);
	loose = count_value(repo, "count");
	ck_assert_int_ge(loose, 5);     /* blob, 3 trees, commit */
	ck_assert_int_lt(loose, 10);
	ck_assert_int_eq(count_value(repo, "packs"), 1);
	git_is(repo, "show main:t.d/7/0/7", "changed\n");

	/* many changes in an update: a second pack */
	for (i = 0; i < NPACKED; i++) {
		snprintf(text[i], sizeof text[i], "update %zu\n", i);
		f[i] = i % 3 ? file(path[i], text[i]) : gone(path[i]);
	}
	ck_assert_int_eq(update(s, f, NPACKED, "many", hex), 1);
	ck_assert_int_eq(count_value(repo, "packs"), 2);
	ck_assert_int_eq(count_value(repo, "count"), loose);
	git_is(repo, "show main:t.d/1/0/1", "update 1\n");
	ck_assert_int_eq(git_sink_read(s, "t.d/0/0/0", &got, &len, &d),
	    ERR_NOTFOUND);

	/* and on another branch: a third */
	for (i = 0; i < NPACKED; i++) {
		snprintf(text[i], sizeof text[i], "side %zu\n", i);
		f[i] = file(path[i], text[i]);
	}
	commit_on_ok(s, "side", hex, f, NPACKED, "side", 0, side);
	ck_assert_int_eq(count_value(repo, "packs"), 3);
	ck_assert_int_eq(count_value(repo, "count"), loose);
	git_is(repo, "show side:t.d/2/0/2", "side 2\n");
	git_sink_close(s);
	fsck(repo);
	git_is(repo, "rev-list --count main", "3\n");

	/* a new sink reads the packs and commits on top */
	s = open_ok(repo, 1, "main");
	f[0] = file("t.d/0/0/0", "back\n");
	ck_assert_int_eq(update(s, f, 1, "back", hex), 1);
	git_is(repo, "show main:t.d/0/0/0", "back\n");
	git_is(repo, "show main:t.d/4/0/4", "update 4\n");
	git_sink_close(s);
	fsck(repo);
	diag_free(&d);
	free(path);
	free(text);
	free(f);
	free(repo);
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
	tcase_add_test(tc, t_each_file);
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
	tcase_add_test(tc, t_commit_on);
	tcase_add_test(tc, t_commit_on_refused);
	tcase_add_test(tc, t_branch_delete);
	tcase_add_test(tc, t_read_at);
	tcase_add_test(tc, t_tree_equal);
	tcase_add_test(tc, t_each_difference);
	tcase_add_test(tc, t_commit_child_and_info);
	tcase_add_test(tc, t_fast_forward);
	tcase_add_test(tc, t_update);
	tcase_add_test(tc, t_update_remove);
	tcase_add_test(tc, t_update_noop);
	tcase_add_test(tc, t_update_moved);
	tcase_add_loop_test(tc, t_update_invalid_path, 0,
	    sizeof bad_paths / sizeof *bad_paths);
	tcase_add_test(tc, t_update_invalid_sets);
	tcase_add_test(tc, t_update_unborn);
	suite_add_tcase(s, tc);
	/* many files, many fsyncs: slow on a loaded machine */
	tc = tcase_create("large");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_update_same_tree);
	tcase_add_test(tc, t_pack);
	suite_add_tcase(s, tc);
	tc = tcase_create("remote");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_push_conflict);
	tcase_add_test(tc, t_push_branches);
	tcase_add_test(tc, t_push_unreachable);
	tcase_add_test(tc, t_push_race);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_sink_suite()); }
