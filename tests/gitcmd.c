/*
 * gitcmd - the git command, for suites that check what libgit2 wrote
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitcmd.h"

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
