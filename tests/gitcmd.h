/*
 * gitcmd - the git command, for suites that check what libgit2 wrote
 *
 * Every helper runs git through testlib_sh and asserts (Check) that it
 * succeeded; strings returned are the caller's (free()).
 */
#ifndef SPLITSYNC_TESTS_GITCMD_H
#define SPLITSYNC_TESTS_GITCMD_H

#include "testlib.h"

/* gitcmd_out - output of "git --git-dir=GITDIR ARGS" (must succeed) */
char *gitcmd_out(const char *gitdir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* gitcmd_is - assert that the output equals want exactly */
void gitcmd_is(const char *gitdir, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* gitcmd_fsck - assert that git fsck --strict finds gitdir valid */
void gitcmd_fsck(const char *gitdir);
/* gitcmd_status - "git status --porcelain" in the work tree workdir */
char *gitcmd_status(const char *workdir);
/* gitcmd_join - "a/b" (free()) */
char *gitcmd_join(const char *a, const char *b);

#endif
