/*
 * gitcmd - the git command and the git sink, for the suites that check
 * what libgit2 and the sink wrote
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "gitcmd.h"

const char *const gitcmd_bad_paths[] = {
	"/etc/passwd", "../x", "a/../b", "a/..", "a//b", "a/", "", ".",
	"a/./b", ".git/config", "x/.GIT/y", "a\nb", "a\tb"
};
const size_t gitcmd_nbad_paths = sizeof gitcmd_bad_paths /
    sizeof *gitcmd_bad_paths;

/* run - git with a formatted argument list in dir (--git-dir or -C) */
static char *
run(const char *how, const char *dir, const char *fmt, va_list ap)
{
	char *args = NULL, *out = NULL;
	int rc;

	ck_assert_int_ge(vasprintf(&args, fmt, ap), 0);
	rc = testlib_sh(&out, "git %s'%s' %s", how, dir, args);
	ck_assert_msg(rc == 0, "git %s: exit %d: %s", args, rc,
	    out ? out : "");
	ck_assert_ptr_nonnull(out);
	free(args);
	return out;
}

/* gitcmd_out - output of git on a git directory */
char *
gitcmd_out(const char *gitdir, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = run("--git-dir=", gitdir, fmt, ap);
	va_end(ap);
	return out;
}

/* gitcmd_is - assert what git prints */
void
gitcmd_is(const char *gitdir, const char *want, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = run("--git-dir=", gitdir, fmt, ap);
	va_end(ap);
	ck_assert_msg(strcmp(out, want) == 0, "git %s: got [%s] want [%s]",
	    fmt, out, want);
	free(out);
}

/* gitcmd_git - output of git, the arguments as given */
char *
gitcmd_git(const char *gitdir, const char *args)
{
	return gitcmd_out(gitdir, "%s", args);
}

/* gitcmd_git_is - assert what git prints, the arguments as given */
void
gitcmd_git_is(const char *gitdir, const char *args, const char *want)
{
	char *out = gitcmd_git(gitdir, args);

	ck_assert_msg(strcmp(out, want) == 0, "git %s: got [%s] want [%s]",
	    args, out, want);
	free(out);
}

/* gitcmd_id_is - assert that git printed an id */
void
gitcmd_id_is(const char *gitdir, const char *args, const char *hex)
{
	char *want = NULL;

	ck_assert_int_ge(asprintf(&want, "%s\n", hex), 0);
	gitcmd_git_is(gitdir, args, want);
	free(want);
}

/* gitcmd_count - one number of git count-objects -v */
long
gitcmd_count(const char *gitdir, const char *name)
{
	char *out = gitcmd_git(gitdir, "count-objects -v"), *p, *line = NULL;
	long v;

	ck_assert_int_ge(asprintf(&line, "%s: ", name), 0);
	p = strncmp(out, line, strlen(line)) == 0 ? out : NULL;
	if (p == NULL) {
		free(line);
		line = NULL;
		ck_assert_int_ge(asprintf(&line, "\n%s: ", name), 0);
		p = strstr(out, line);
		ck_assert_msg(p != NULL, "%s: %s", name, out);
		p++;
	}
	v = strtol(p + strlen(name) + 2, NULL, 10);
	free(line);
	free(out);
	return v;
}

/* gitcmd_fsck - the repository is valid */
void
gitcmd_fsck(const char *gitdir)
{
	free(gitcmd_out(gitdir, "fsck --strict --no-progress"));
}

/* gitcmd_status - what git status says in a work tree */
char *
gitcmd_status(const char *workdir)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "git -C '%s' status --porcelain", workdir);

	ck_assert_msg(rc == 0, "git status: exit %d: %s", rc, out ? out : "");
	ck_assert_ptr_nonnull(out);
	return out;
}

/* gitcmd_join - a path joined */
char *
gitcmd_join(const char *a, const char *b)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

/* gitcmd_open - open a sink, assert success */
struct git_sink *
gitcmd_open(const char *path, int bare, const char *branch)
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
	rc = fn(s, f, n, msg, GITCMD_AUTHOR, GITCMD_EMAIL, &committed, hex,
	    &d);
	ck_assert_msg(rc == 0, "%s: %s: %s", fn == git_sink_commit ?
	    "commit" : "update", err_str(rc), diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	diag_free(&d);
	ck_assert(committed == 0 || committed == 1);
	return committed;
}

/* gitcmd_commit - git_sink_commit, assert success */
int
gitcmd_commit(struct git_sink *s, const struct git_sink_file *f, size_t n,
    const char *msg, char hex[41])
{
	return commit_by(git_sink_commit, s, f, n, msg, hex);
}

/* gitcmd_update - git_sink_update, assert success */
int
gitcmd_update(struct git_sink *s, const struct git_sink_file *f, size_t n,
    const char *msg, char hex[41])
{
	return commit_by(git_sink_update, s, f, n, msg, hex);
}

/* gitcmd_commit_on - git_sink_commit_on, assert success */
void
gitcmd_commit_on(struct git_sink *s, const char *branch, const char *parent,
    const struct git_sink_file *f, size_t n, const char *msg, int force,
    char hex[41])
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_commit_on(s, branch, parent, f, n, msg, GITCMD_AUTHOR,
	    GITCMD_EMAIL, force, hex, &d);
	ck_assert_msg(rc == 0, "commit_on %s: %s: %s", branch, err_str(rc),
	    diag_last_error(&d));
	ck_assert_uint_eq(strlen(hex), 40);
	diag_free(&d);
}

/* gitcmd_file - a git_sink_file over a C string */
struct git_sink_file
gitcmd_file(const char *path, const char *text)
{
	struct git_sink_file f = { path, text, strlen(text), 0 };

	return f;
}

/* gitcmd_gone - a git_sink_update change removing path */
struct git_sink_file
gitcmd_gone(const char *path)
{
	struct git_sink_file f = { path, NULL, 0, 1 };

	return f;
}

/* gitcmd_data - read a data file (free()) */
char *
gitcmd_data(const char *name)
{
	char *text = testlib_read(name, NULL);

	ck_assert_msg(text != NULL, "cannot read %s", name);
	return text;
}
