/*
 * gitcmd - the git command and the git sink, for the suites that check
 * what libgit2 and the sink wrote
 *
 * Every helper runs git through testlib_sh, or calls the sink, and
 * asserts (Check) that it succeeded; strings returned are the caller's
 * (free()).
 */
#ifndef SPLITSYNC_TESTS_GITCMD_H
#define SPLITSYNC_TESTS_GITCMD_H

#include <stddef.h>

#include "git_sink.h"
#include "testlib.h"

/* the author of the suites' commits */
#define GITCMD_AUTHOR "splitsync"
#define GITCMD_EMAIL "splitsync@example.com"

/* gitcmd_out - output of "git --git-dir=GITDIR ARGS" (must succeed) */
char *gitcmd_out(const char *gitdir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* gitcmd_is - assert that the output equals want exactly */
void gitcmd_is(const char *gitdir, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* gitcmd_git - gitcmd_out with args taken as they are (no format:
 * "log --format=%s") */
char *gitcmd_git(const char *gitdir, const char *args);
/* gitcmd_git_is - gitcmd_is with args taken as they are */
void gitcmd_git_is(const char *gitdir, const char *args, const char *want);
/* gitcmd_id_is - assert that git args printed exactly hex and a newline */
void gitcmd_id_is(const char *gitdir, const char *args, const char *hex);
/* gitcmd_count - the number after "name: " in git count-objects -v
 * ("count": loose objects, "packs", "in-pack") */
long gitcmd_count(const char *gitdir, const char *name);
/* gitcmd_fsck - assert that git fsck --strict finds gitdir valid */
void gitcmd_fsck(const char *gitdir);
/* gitcmd_status - "git status --porcelain" in the work tree workdir */
char *gitcmd_status(const char *workdir);
/* gitcmd_join - "a/b" (free()) */
char *gitcmd_join(const char *a, const char *b);

/* paths every sink call refuses (gitcmd_nbad_paths of them) */
extern const char *const gitcmd_bad_paths[];
extern const size_t gitcmd_nbad_paths;

/* gitcmd_open - git_sink_open, asserting success */
struct git_sink *gitcmd_open(const char *path, int bare, const char *branch);
/* gitcmd_commit - git_sink_commit by GITCMD_AUTHOR, asserting success
 * and no error in its diag; *committed returned */
int gitcmd_commit(struct git_sink *s, const struct git_sink_file *f,
    size_t n, const char *msg, char hex[41]);
/* gitcmd_update - the same with git_sink_update */
int gitcmd_update(struct git_sink *s, const struct git_sink_file *f,
    size_t n, const char *msg, char hex[41]);
/* gitcmd_commit_on - git_sink_commit_on by GITCMD_AUTHOR, asserting
 * success */
void gitcmd_commit_on(struct git_sink *s, const char *branch,
    const char *parent, const struct git_sink_file *f, size_t n,
    const char *msg, int force, char hex[41]);
/* gitcmd_file - a git_sink_file over a C string (borrowed) */
struct git_sink_file gitcmd_file(const char *path, const char *text);
/* gitcmd_gone - a git_sink_update change removing path */
struct git_sink_file gitcmd_gone(const char *path);
/* gitcmd_data - a test data file, read whole (free()) */
char *gitcmd_data(const char *name);

#endif
