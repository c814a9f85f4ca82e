/*
 * check_git_remote - pushes to and fetches from bare repositories over
 * file:// URLs
 *
 * Every test makes its own repository under testlib_tmpdir() and checks
 * what the sink wrote with git itself (log, show, ls-tree, fsck).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "gitcmd.h"
#include "testlib.h"

#define AUTHOR GITCMD_AUTHOR
#define EMAIL GITCMD_EMAIL
/* bare_remote - a new bare repository dir/name; its URL into *url */
static char *
bare_remote(const char *dir, const char *name, char **url)
{
	char *path = gitcmd_join(dir, name), *out = NULL;

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
	char *ra = gitcmd_join(dir, "a.git"), *rb = gitcmd_join(dir, "b.git");
	char *out;
	struct git_sink_file f;
	struct git_sink *a, *b;
	struct diag d;
	char ha[41], hb[41], hex[41], fetched[41];
	int committed;

	diag_init(&d, NULL);
	a = gitcmd_open(ra, 1, "main");
	b = gitcmd_open(rb, 1, "main");
	f = gitcmd_file("transport", "alice smtp\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "change alice", ha), 1);
	push_ok(a, url, "main", NULL, NULL);
	gitcmd_git_is(remote, "log --format=%s main", "change alice\n");
	gitcmd_id_is(remote, "rev-parse main", ha);

	/* b computed from an older directory: its push is refused */
	f = gitcmd_file("transport", "bob smtp\n");
	ck_assert_int_eq(gitcmd_commit(b, &f, 1, "change bob", hb), 1);
	ck_assert_int_eq(push_rc(b, url, "main", NULL, NULL, &d), ERR_MOVED);
	ck_assert_msg(strstr(diag_last_error(&d), url) != NULL, "%s",
	    diag_last_error(&d));
	gitcmd_id_is(remote, "rev-parse main", ha);

	/* fetch, move onto the remote head, recompute, push again */
	fetch_ok(b, url, "main", fetched);
	ck_assert_str_eq(fetched, ha);
	out = gitcmd_git(rb, "for-each-ref --format='%(objectname) %(refname)' "
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
	f = gitcmd_file("transport", "alice smtp\nbob smtp\n");
	ck_assert_int_eq(gitcmd_commit(b, &f, 1, "change bob", hb), 1);
	push_ok(b, url, "main", NULL, NULL);
	gitcmd_git_is(remote, "log --format=%s main",
	    "change bob\nchange alice\n");
	gitcmd_git_is(remote, "rev-list --merges --count main", "0\n");
	gitcmd_git_is(remote, "show main:transport", "alice smtp\nbob smtp\n");
	gitcmd_id_is(remote, "rev-parse main~1", ha);

	/* a pushes again from its stale view: refused; after a fetch it
	 * computes the same tree as the remote and commits nothing */
	f = gitcmd_file("transport", "alice smtp\nbob smtp\n");
	ck_assert_int_eq(gitcmd_commit(a, &f, 1, "change bob, seen by a", hex),
	    1);
	ck_assert_int_eq(push_rc(a, url, "main", NULL, NULL, &d), ERR_MOVED);
	fetch_ok(a, url, "main", fetched);
	ck_assert_str_eq(fetched, hb);
	ck_assert_int_eq(git_sink_reset_to(a, fetched, 1, &d), 0);
	committed = gitcmd_commit(a, &f, 1, "change bob", hex);
	ck_assert_int_eq(committed, 0);
	ck_assert_str_eq(hex, hb);
	push_ok(a, url, "main", NULL, NULL);    /* up to date */
	gitcmd_git_is(remote, "log --format=%s main",
	    "change bob\nchange alice\n");
	/* an up-to-date fetch answers the same */
	fetch_ok(a, url, "main", hex);
	ck_assert_str_eq(hex, hb);

	git_sink_close(a);
	git_sink_close(b);
	gitcmd_fsck(remote);
	gitcmd_fsck(ra);
	gitcmd_fsck(rb);
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
	char *repo = gitcmd_join(dir, "r.git"), *lock = gitcmd_join(remote,
	    "refs/heads/main.lock");
	const char *gone[] = { "proposal" };
	struct git_sink_file f;
	struct git_sink *s;
	struct diag d;
	char base[41], p1[41], p2[41], hex[41];

	diag_init(&d, NULL);
	s = gitcmd_open(repo, 1, "main");
	f = gitcmd_file("transport", "t1\n");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "base", base), 1);
	f = gitcmd_file("transport", "t2\n");
	gitcmd_commit_on(s, "proposal", base, &f, 1, "proposal one", 1, p1);
	push_ok(s, url, "main", "proposal", forced);
	gitcmd_id_is(remote, "rev-parse main", base);
	gitcmd_id_is(remote, "rev-parse proposal", p1);

	/* the proposal recomputed on the same head: a force-move */
	f = gitcmd_file("transport", "t3\n");
	gitcmd_commit_on(s, "proposal", base, &f, 1, "proposal two", 1, p2);
	ck_assert_int_eq(push_rc(s, url, "proposal", NULL, NULL, &d),
	    ERR_MOVED);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), url));
	gitcmd_id_is(remote, "rev-parse proposal", p1);
	push_ok(s, url, "main", "proposal", forced);
	gitcmd_id_is(remote, "rev-parse proposal", p2);
	gitcmd_git_is(remote, "show proposal:transport", "t3\n");

	/* deleted here, then on the remote; absent ones are skipped */
	ck_assert_int_eq(git_sink_branch_delete(s, "proposal", &d), 0);
	ck_assert_int_eq(git_sink_push(s, url, gone, 1, NULL, &d),
	    ERR_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(diag_last_error(&d), "no such branch"));
	ck_assert_int_eq(git_sink_push_delete(s, url, "proposal", &d), 0);
	gitcmd_git_is(remote, "for-each-ref --format='%(refname)'",
	    "refs/heads/main\n");
	ck_assert_int_eq(git_sink_push_delete(s, url, "proposal", &d), 0);
	ck_assert_int_eq(git_sink_push_delete(s, url, "never", &d), 0);
	ck_assert_int_eq(git_sink_push_delete(s, url, "main", &d), ERR_INVAL);
	gitcmd_id_is(remote, "rev-parse main", base);
	gone[0] = "a..b";
	ck_assert_int_eq(git_sink_push(s, url, gone, 1, NULL, &d), ERR_INVAL);

	/* a ref the remote refuses to write: reported per ref */
	f = gitcmd_file("transport", "t4\n");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "four", hex), 1);
	ck_assert_int_eq(testlib_write(lock, "busy\n"), 0);
	ck_assert_int_eq(push_rc(s, url, "main", NULL, NULL, &d), ERR_IO);
	ck_assert_msg(strstr(diag_last_error(&d), "refs/heads/main: remote "
	    "refused: ") != NULL, "%s", diag_last_error(&d));
	gitcmd_id_is(remote, "rev-parse main", base);
	ck_assert_int_eq(unlink(lock), 0);
	push_ok(s, url, "main", NULL, NULL);
	gitcmd_id_is(remote, "rev-parse main", hex);

	/* the remote lost the branch: not found, tracking ref removed */
	fetch_ok(s, url, "main", p1);
	ck_assert_str_eq(p1, hex);
	free(gitcmd_git(remote, "update-ref -d refs/heads/main"));
	ck_assert_uint_eq(d.nerrors, 5);
	ck_assert_int_eq(git_sink_fetch(s, url, "main", hex, &d),
	    ERR_NOTFOUND);
	ck_assert_uint_eq(d.nerrors, 5);
	gitcmd_git_is(repo, "for-each-ref refs/splitsync/", "");
	git_sink_close(s);
	gitcmd_fsck(remote);
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
	char *dir = testlib_tmpdir(), *repo = gitcmd_join(dir, "r.git");
	char *missing = gitcmd_join(dir, "missing.git");
	char *work = gitcmd_join(dir, "work");
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
	struct git_sink_file f = gitcmd_file("transport", "t\n");
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
	s = gitcmd_open(repo, 1, "main");
	ck_assert_int_eq(gitcmd_commit(s, &f, 1, "one", hex), 1);
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
	gitcmd_git_is(remote, "rev-list --count main", want);
	free(want);
	gitcmd_git_is(remote, "rev-list --merges --count main", "0\n");
	out = gitcmd_git(remote, "show main:log");
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
	gitcmd_git_is(remote, "log --format=%s main | sort | uniq -d", "");
	gitcmd_fsck(remote);
	free(url);
	free(remote);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* git_remote_suite - every test above */
static Suite *
git_remote_suite(void)
{
	Suite *s = suite_create("git_remote");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_push_conflict);
	tcase_add_test(tc, t_push_branches);
	tcase_add_test(tc, t_push_unreachable);
	tcase_add_test(tc, t_push_race);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(git_remote_suite()); }
