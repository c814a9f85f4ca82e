/*
 * check_git_repo - finding, creating and tidying the repository behind
 * git_sink_open: init skeletons left by an interrupted creation, kills
 * during creation, temporaries of interrupted pack writes, a repository
 * that belongs to another user, creation deferred until the first
 * branch exists, throwaway repositories for dry runs.
 *
 * Every test works under its own testlib_tmpdir() and checks the result
 * with git itself.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR "splitsync"
#define EMAIL "splitsync@example.com"
#define PACK_LOCK "splitsync-pack.lock"

/* open_ok - git_sink_open, assert success */
static struct git_sink *
open_ok(const char *path, int bare)
{
	struct git_sink *s = NULL;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_open(path, bare, "main", &s, &d);
	ck_assert_msg(rc == 0, "open %s: %s: %s", path, err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
	return s;
}

/* commit_one - commit transport = text, assert it was committed */
static void
commit_one(struct git_sink *s, const char *text)
{
	struct git_sink_file f = { "transport", text, strlen(text), 0 };
	struct diag d;
	char hex[41];
	int rc, committed = 0;

	diag_init(&d, NULL);
	rc = git_sink_commit(s, &f, 1, "routes", AUTHOR, EMAIL, &committed,
	    hex, &d);
	ck_assert_msg(rc == 0, "commit: %s: %s", err_str(rc),
	    diag_last_error(&d));
	ck_assert_int_eq(committed, 1);
	diag_free(&d);
}

/* entries - the names in dir, sorted, each followed by a space */
static char *
entries(const char *dir)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "ls -A '%s' | tr '\\n' ' '", dir),
	    0);
	return out;
}

/* entries_are - assert what dir holds */
static void
entries_are(const char *dir, const char *want)
{
	char *got = entries(dir);

	ck_assert_msg(strcmp(got, want) == 0, "%s holds [%s], want [%s]", dir,
	    got, want);
	free(got);
}

/* sh_ok - a shell command that must succeed */
static void
sh_ok(const char *cmd)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "%s", cmd);

	ck_assert_msg(rc == 0, "%s: %d: %s", cmd, rc, out ? out : "");
	free(out);
}

/* skeleton - what git_repository_init_ext leaves when it is stopped
 * before it writes HEAD: config, objects/pack/, refs/heads/ */
static void
skeleton(const char *gitdir, int bare)
{
	char *cmd = NULL;

	ck_assert_int_ge(asprintf(&cmd, "mkdir -p '%s/objects/pack' "
	    "'%s/refs/heads' && printf '[core]\\n\\tbare = %s\\n' > "
	    "'%s/config'", gitdir, gitdir, bare ? "true" : "false", gitdir),
	    0);
	sh_ok(cmd);
	free(cmd);
}

START_TEST(t_skeleton)
{
	int bare = _i == 0;
	char *dir = testlib_tmpdir();
	char *repo = gitcmd_join(dir, bare ? "r.git" : "work");
	char *gitdir = bare ? strdup(repo) : gitcmd_join(repo, ".git");
	struct git_sink *s;

	skeleton(gitdir, bare);
	s = open_ok(repo, bare);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	git_sink_close(s);
	gitcmd_is(gitdir, "refs/heads/main\n", "symbolic-ref HEAD");
	gitcmd_is(gitdir, "a smtp:[a.example.com]:25\n", "show main:transport");
	gitcmd_is(gitdir, bare ? "true\n" : "false\n",
	    "rev-parse --is-bare-repository");
	gitcmd_fsck(gitdir);
	entries_are(dir, bare ? "r.git " : "work ");
	free(gitdir);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* directories without HEAD that hold more than a skeleton: left alone */
static const struct {
	const char *file;       /* under the git directory ("" : beside) */
	const char *found;      /* what the message names */
} not_skeletons[] = {
	{ "objects/ab/cdef0123456789abcdef0123456789abcdef01", "objects/ab/" },
	{ "packed-refs", "packed-refs" },
	{ "refs/heads/main", "refs/heads/main" },
	{ "index", "index" },
	{ "../notes.txt", "notes.txt" },
};

START_TEST(t_not_a_skeleton)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "work");
	char *gitdir = gitcmd_join(repo, ".git"), *extra, *cmd = NULL;
	struct git_sink *s = NULL;
	struct diag d;

	skeleton(gitdir, 0);
	extra = gitcmd_join(gitdir, not_skeletons[_i].file);
	ck_assert_int_ge(asprintf(&cmd, "mkdir -p \"$(dirname '%s')\" && "
	    "echo data > '%s'", extra, extra), 0);
	sh_ok(cmd);
	free(cmd);
	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_open(repo, 0, "main", &s, &d), ERR_IO);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(diag_last_error(&d), repo) != NULL &&
	    strstr(diag_last_error(&d), not_skeletons[_i].found) != NULL,
	    "%s", diag_last_error(&d));
	/* nothing was removed */
	ck_assert_int_eq(access(extra, F_OK), 0);
	ck_assert_int_eq(access(gitdir, F_OK), 0);
	diag_free(&d);
	free(extra);
	free(gitdir);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_killed_creation)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *cmd = NULL;
	struct git_sink *s;
	struct diag d;
	pid_t pid;
	int i, status, fds[2];
	char c;

	ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", repo), 0);
	/* a kill at every moment of the creation: 0 to 48 ms after the
	 * child started, more than a creation takes */
	for (i = 0; i < 80; i++) {
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			diag_init(&d, NULL);
			s = NULL;
			if (write(fds[1], "x", 1) != 1)
				_exit(1);
			if (git_sink_open(repo, 1, "main", &s, &d) == 0)
				git_sink_close(s);
			_exit(0);
		}
		close(fds[1]);
		ck_assert_int_eq(read(fds[0], &c, 1), 1);
		close(fds[0]);
		usleep((useconds_t)(i * 600));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		/* whatever the moment: a repository, or nothing */
		s = open_ok(repo, 1);
		commit_one(s, "a smtp:[a.example.com]:25\n");
		git_sink_close(s);
		gitcmd_fsck(repo);
		/* what the killed one left beside it is gone too */
		entries_are(dir, "r.git ");
		sh_ok(cmd);
	}
	free(cmd);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* pack_temp - the temporary file of a pack write interrupted by a
 * kill, made the way every libgit2 pack write starts (a child process
 * killed with its pack half written); its name */
static char *
pack_temp(const char *repo)
{
	char *packdir = gitcmd_join(repo, "objects/pack"), *out = NULL;
	git_repository *r;
	git_odb *odb;
	git_odb_writepack *wp;
	git_indexer_progress stats;
	static const char head[] = "PACK\0\0\0\2\0\0\0\7";
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (git_libgit2_init() < 0 ||
		    git_repository_open(&r, repo) < 0 ||
		    git_repository_odb(&odb, r) < 0 ||
		    git_odb_write_pack(&wp, odb, NULL, NULL) < 0 ||
		    wp->append(wp, head, sizeof head - 1, &stats) < 0)
			_exit(1);
		raise(SIGKILL);         /* killed in the middle */
		_exit(1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && ls | grep '^pack_git2_'",
	    packdir), 0);
	out[strcspn(out, "\n")] = '\0';
	free(packdir);
	return out;
}

/* backdate - set a file's times minutes into the past */
static void
backdate(const char *path, int minutes)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= minutes * 60;
	t[1] = t[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* exists_in - whether dir/name exists */
static int
exists_in(const char *dir, const char *name)
{
	char *p = gitcmd_join(dir, name);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

/* lock_holder - a process that holds the pack writers' lock shared, as
 * a commit writing a pack does, until it is killed */
static pid_t
lock_holder(const char *repo)
{
	char *path = gitcmd_join(repo, PACK_LOCK), c = 0;
	int fds[2], fd;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = open(path, O_RDWR | O_CREAT, 0644);
		if (fd < 0 || flock(fd, LOCK_SH) < 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	free(path);
	return pid;
}

START_TEST(t_stale_pack_temporaries)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *packdir = gitcmd_join(repo, "objects/pack"), *killed, *p;
	static const char *const git_names[] = { "tmp_pack_Ab12Cd",
	    "tmp_idx_Ab12Cd" };
	struct git_sink *s;
	size_t i;
	pid_t holder;
	int status;

	s = open_ok(repo, 1);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	git_sink_close(s);
	killed = pack_temp(repo);
	p = gitcmd_join(packdir, killed);
	backdate(p, 10);
	free(p);
	for (i = 0; i < 2; i++) {
		p = gitcmd_join(packdir, git_names[i]);
		ck_assert_int_eq(testlib_write(p, "partial"), 0);
		backdate(p, 10);
		free(p);
	}
	/* a loose object's temporary of the sink's own object writer */
	p = gitcmd_join(repo, "objects/tmp_obj_Ab12Cd");
	ck_assert_int_eq(testlib_write(p, "partial"), 0);
	backdate(p, 10);
	free(p);
	/* a write that may still be going on: not a minute old */
	p = gitcmd_join(packdir, "pack_git2_Recent");
	ck_assert_int_eq(testlib_write(p, "PACK"), 0);
	free(p);
	p = gitcmd_join(repo, "objects/tmp_obj_Recent");
	ck_assert_int_eq(testlib_write(p, "partial"), 0);
	free(p);

	/* another process writing a pack: nothing is touched */
	holder = lock_holder(repo);
	s = open_ok(repo, 1);
	git_sink_close(s);
	ck_assert(exists_in(packdir, killed));
	ck_assert(exists_in(packdir, git_names[0]));
	kill(holder, SIGKILL);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);

	/* nobody writing: the stale ones go, the recent one stays */
	s = open_ok(repo, 1);
	ck_assert(!exists_in(packdir, killed));
	ck_assert(!exists_in(packdir, git_names[0]));
	ck_assert(!exists_in(packdir, git_names[1]));
	ck_assert(exists_in(packdir, "pack_git2_Recent"));
	p = gitcmd_join(repo, "objects");
	ck_assert(!exists_in(p, "tmp_obj_Ab12Cd"));
	ck_assert(exists_in(p, "tmp_obj_Recent"));
	free(p);
	commit_one(s, "b smtp:[b.example.com]:25\n");
	git_sink_close(s);
	p = gitcmd_join(packdir, "pack_git2_Recent");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	p = gitcmd_join(repo, "objects/tmp_obj_Recent");
	ck_assert_int_eq(unlink(p), 0);
	free(p);
	gitcmd_fsck(repo);
	gitcmd_is(repo, "2\n", "rev-list --count main");
	free(killed);
	free(packdir);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* give_away - chown -R the repository to nobody (root only) */
static void
give_away(const char *repo)
{
	char *cmd = NULL;

	ck_assert_msg(geteuid() == 0, "this test needs root: it gives a "
	    "repository to another user with chown");
	ck_assert_msg(getpwnam("nobody") != NULL, "no user nobody");
	ck_assert_int_ge(asprintf(&cmd, "chown -R nobody '%s'", repo), 0);
	sh_ok(cmd);
	free(cmd);
}

START_TEST(t_other_owner_refused)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *s;
	struct diag d;
	const char *msg;

	s = open_ok(repo, 1);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	git_sink_close(s);
	give_away(repo);
	diag_init(&d, NULL);
	s = NULL;
	ck_assert_int_eq(git_sink_open(repo, 1, "main", &s, &d), ERR_IO);
	ck_assert_ptr_null(s);
	msg = diag_last_error(&d);
	ck_assert_msg(strstr(msg, repo) && strstr(msg, "belongs to nobody") &&
	    strstr(msg, "run splitsync as nobody") && strstr(msg, "chown -R"),
	    "%s", msg);
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* open_mode - git_sink_open_ext, assert success */
static struct git_sink *
open_mode(const char *path, enum git_sink_mode mode)
{
	struct git_sink *s = NULL;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_open_ext(path, 1, "main", mode, &s, &d);
	ck_assert_msg(rc == 0, "open %s: %s: %s", path, err_str(rc),
	    diag_last_error(&d));
	diag_free(&d);
	return s;
}

/* keep_rc - git_sink_keep's code */
static int
keep_rc(struct git_sink *s)
{
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	rc = git_sink_keep(s, &d);
	ck_assert_msg(rc == 0 || d.nerrors > 0, "keep failed silently");
	diag_free(&d);
	return rc;
}

START_TEST(t_staged)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *other = gitcmd_join(dir, "other.git");
	char *raced = gitcmd_join(dir, "raced.git");
	struct git_sink *s, *s2;
	char head[41];

	/* nothing at the path until there is a branch to keep */
	s = open_mode(repo, GIT_SINK_STAGE);
	ck_assert_int_ne(access(repo, F_OK), 0);
	ck_assert_int_eq(git_sink_head(s, head), ERR_NOTFOUND);
	ck_assert_int_eq(keep_rc(s), 0);
	ck_assert_int_ne(access(repo, F_OK), 0);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	ck_assert_int_ne(access(repo, F_OK), 0);
	ck_assert_int_eq(keep_rc(s), 0);
	ck_assert_int_eq(access(repo, F_OK), 0);
	/* and work goes on in place */
	commit_one(s, "b smtp:[b.example.com]:25\n");
	git_sink_close(s);
	gitcmd_is(repo, "2\n", "rev-list --count main");
	gitcmd_is(repo, "refs/heads/main\n", "symbolic-ref HEAD");
	gitcmd_fsck(repo);
	entries_are(dir, "r.git ");

	/* not kept: gone with the sink, temporary name and all */
	s = open_mode(other, GIT_SINK_STAGE);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	git_sink_close(s);
	entries_are(dir, "r.git ");

	/* an existing repository: written in place, nothing to keep */
	s = open_mode(repo, GIT_SINK_STAGE);
	commit_one(s, "c smtp:[c.example.com]:25\n");
	gitcmd_is(repo, "3\n", "rev-list --count main");
	ck_assert_int_eq(keep_rc(s), 0);
	git_sink_close(s);

	/* made by another process meanwhile: theirs stays */
	s = open_mode(raced, GIT_SINK_STAGE);
	commit_one(s, "mine smtp:[a.example.com]:25\n");
	s2 = open_ok(raced, 1);
	commit_one(s2, "theirs smtp:[b.example.com]:25\n");
	git_sink_close(s2);
	ck_assert_int_eq(keep_rc(s), ERR_MOVED);
	git_sink_close(s);
	gitcmd_is(raced, "theirs smtp:[b.example.com]:25\n",
	    "show main:transport");
	entries_are(dir, "r.git raced.git ");
	free(raced);
	free(other);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_scratch)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *tmp = gitcmd_join(dir, "tmp"), *saved = getenv("TMPDIR");
	struct git_sink *s;
	struct diag d;
	char head[41], made[41];

	saved = saved ? strdup(saved) : NULL;
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(setenv("TMPDIR", tmp, 1), 0);
	s = open_mode(repo, GIT_SINK_SCRATCH);
	ck_assert_int_eq(git_sink_head(s, head), ERR_NOTFOUND);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_keep(s, &d), ERR_INVAL);
	diag_free(&d);
	ck_assert_int_ne(access(repo, F_OK), 0);
	git_sink_close(s);
	ck_assert_int_ne(access(repo, F_OK), 0);
	entries_are(tmp, "");

	/* an existing repository is used as it is */
	s = open_ok(repo, 1);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	ck_assert_int_eq(git_sink_head(s, made), 0);
	git_sink_close(s);
	s = open_mode(repo, GIT_SINK_SCRATCH);
	ck_assert_int_eq(git_sink_head(s, head), 0);
	ck_assert_str_eq(head, made);
	git_sink_close(s);
	entries_are(tmp, "");
	entries_are(dir, "r.git tmp ");
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	free(tmp);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_read_creates_nothing)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	struct git_sink *s = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_open_ext(repo, 1, "main", GIT_SINK_READ, &s,
	    &d), ERR_NOTFOUND);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(d.nerrors, 0);
	entries_are(dir, "");
	/* nor does it touch a skeleton */
	skeleton(repo, 1);
	ck_assert_int_eq(git_sink_open_ext(repo, 1, "main", GIT_SINK_READ, &s,
	    &d), ERR_NOTFOUND);
	entries_are(repo, "config objects refs ");
	diag_free(&d);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

START_TEST(t_other_owner_read)
{
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char made[41], head[41], *got = NULL, *out = NULL;
	struct git_sink *s;
	struct diag d;
	size_t len;

	s = open_ok(repo, 1);
	commit_one(s, "a smtp:[a.example.com]:25\n");
	ck_assert_int_eq(git_sink_head(s, made), 0);
	git_sink_close(s);
	give_away(repo);
	s = open_mode(repo, GIT_SINK_READ);
	ck_assert_int_eq(git_sink_head(s, head), 0);
	ck_assert_str_eq(head, made);
	diag_init(&d, NULL);
	ck_assert_int_eq(git_sink_read(s, "transport", &got, &len, &d), 0);
	ck_assert_str_eq(got, "a smtp:[a.example.com]:25\n");
	free(got);
	diag_free(&d);
	git_sink_close(s);
	/* and nothing in it changed hands */
	ck_assert_int_eq(testlib_sh(&out, "find '%s' ! -user nobody", repo), 0);
	ck_assert_msg(strcmp(out, "") == 0, "%s", out);
	free(out);
	free(repo);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_repo_suite - every test above */
static Suite *
git_repo_suite(void)
{
	Suite *s = suite_create("git_repo");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t_skeleton, 0, 2);
	tcase_add_loop_test(tc, t_not_a_skeleton, 0,
	    sizeof not_skeletons / sizeof *not_skeletons);
	tcase_add_test(tc, t_killed_creation);
	tcase_add_test(tc, t_stale_pack_temporaries);
	tcase_add_test(tc, t_other_owner_refused);
	tcase_add_test(tc, t_other_owner_read);
	tcase_add_test(tc, t_staged);
	tcase_add_test(tc, t_scratch);
	tcase_add_test(tc, t_read_creates_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_repo_suite()); }
