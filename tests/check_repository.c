/*
 * check_repository - the repository end to end, through the splitsync
 * binary: a first resync killed at any moment or run on a full disk
 * never blocks the next one, a repository of another user is refused
 * for writing and read by status, and a repository with a work tree
 * keeps it equal to the branch.
 *
 * The full disk is a small tmpfs, so that test needs root (as CI has);
 * so does chown to another user. Without them the tests fail, saying
 * why: they are never skipped.
 */
#define _GNU_SOURCE
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gitcmd.h"
#include "scenario.h"

#define QUICKSTART "examples/quickstart"

/* entries - what dir holds, one name a line (free()) */
static char *
entries(const char *dir)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "ls -A '%s'", dir), 0);
	return out;
}

/* resync - the binary's resync on a scenario; its exit status */
static int
resync(const struct scenario *s, const char *flags, char **out)
{
	return testlib_sh(out, "'%s' resync %s -c '%s'", testlib_bin(), flags,
	    s->conf);
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

/* sleep_ms - nap */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(killed_first_resync_never_blocks)
{
	struct scenario s;
	char *out = NULL, *after, *with_repo;
	int ms, rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	/* what a first run leaves */
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	with_repo = entries(s.dir);
	testlib_rmrf(s.repo);
	/* a kill at every moment of a first run, 0 to 200 ms in */
	for (ms = 0; ms <= 200; ms += 5) {
		rc = testlib_sh(&out, "'%s' resync -c '%s' > /dev/null 2>&1 & "
		    "sleep %d.%03d; kill -9 $! 2> /dev/null; wait; true",
		    testlib_bin(), s.conf, ms / 1000, ms % 1000);
		free(out);
		/* the next run works, and nothing else is left beside */
		rc = resync(&s, "", &out);
		ck_assert_msg(rc == 0, "after a kill at %d ms: %d: %s", ms, rc,
		    out);
		free(out);
		gitcmd_fsck(s.repo);
		after = entries(s.dir);
		ck_assert_msg(strcmp(after, with_repo) == 0, "at %d ms: %s", ms,
		    after);
		free(after);
		testlib_rmrf(s.repo);
	}
	free(with_repo);
	scenario_free(&s);
}
END_TEST

/* a small file system to fill: mounted around each test of its case */
static char *small;

static void
small_fs_setup(void)
{
	char *out = NULL;
	int rc;

	small = testlib_tmpdir();
	ck_assert_ptr_nonnull(small);
	rc = testlib_sh(&out, "mount -t tmpfs -o size=512k splitsync-test '%s'",
	    small);
	ck_assert_msg(rc == 0, "a full disk is a small tmpfs, which needs "
	    "root to mount: %s", out ? out : "");
	free(out);
}

static void
small_fs_teardown(void)
{
	char *out = NULL;

	testlib_sh(&out, "umount '%s'", small);
	free(out);
	testlib_rmrf(small);
	free(small);
	small = NULL;
}

START_TEST(first_resync_on_a_full_disk)
{
	struct scenario s;
	char *out = NULL, *repo = gitcmd_join(small, "routing.git"), *flags;
	char *cmd = NULL, *got;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_ne(asprintf(&flags, "--repo '%s'", repo), -1);
	/* less than 16 KiB left */
	ck_assert_int_ne(asprintf(&cmd, "cd '%s' && { dd if=/dev/zero of=fill "
	    "bs=4k 2> /dev/null; truncate -s -12k fill; }", small), -1);
	sh_ok(cmd);
	free(cmd);
	rc = resync(&s, flags, &out);
	ck_assert_msg(rc == 73, "full disk: %d: %s", rc, out);
	free(out);
	got = entries(small);
	ck_assert_str_eq(got, "fill\n");
	free(got);
	/* space again: the next run starts afresh */
	ck_assert_int_ne(asprintf(&cmd, "rm '%s/fill'", small), -1);
	sh_ok(cmd);
	free(cmd);
	rc = resync(&s, flags, &out);
	ck_assert_msg(rc == 0, "after the disk was freed: %d: %s", rc, out);
	free(out);
	gitcmd_fsck(repo);
	got = entries(small);
	ck_assert_str_eq(got, "routing.git\n");
	free(got);
	free(flags);
	free(repo);
	scenario_free(&s);
}
END_TEST

START_TEST(another_users_repository)
{
	struct scenario s;
	char *out = NULL, *cmd = NULL;
	int rc;

	ck_assert_msg(geteuid() == 0, "this test needs root: it gives the "
	    "repository to another user with chown");
	ck_assert_msg(getpwnam("nobody") != NULL, "no user nobody");
	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	ck_assert_int_ne(asprintf(&cmd, "chown -R nobody '%s'", s.repo), -1);
	sh_ok(cmd);
	free(cmd);
	/* writing is refused, saying whose it is and what to do */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 73, "%d: %s", rc, out);
	ck_assert_msg(strstr(out, "belongs to nobody") != NULL &&
	    strstr(out, "run splitsync as nobody") != NULL &&
	    strstr(out, "chown -R") != NULL, "%s", out);
	free(out);
	rc = testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 73 && strstr(out, "belongs to nobody"), "%d: %s",
	    rc, out);
	free(out);
	/* reading is not: status reports the branch head */
	rc = testlib_sh(&out, "'%s' status -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 1 && strstr(out, "branch head ") != NULL &&
	    strstr(out, "refused values: 2, conflicts: 1") != NULL, "%d: %s",
	    rc, out);
	free(out);
	/* and nothing there changed hands */
	ck_assert_int_eq(testlib_sh(&out, "find '%s' ! -user nobody", s.repo),
	    0);
	ck_assert_msg(strcmp(out, "") == 0, "%s", out);
	free(out);
	scenario_free(&s);
}
END_TEST

/* commits - the number of commits on main of a repository with a work
 * tree (scenario_commits reads bare ones) */
static int
commits(const struct scenario *s)
{
	char *out = NULL;
	int n = 0;

	if (testlib_sh(&out, "git -C '%s' rev-list --count main", s->repo)
	    == 0)
		n = atoi(out);
	free(out);
	return n;
}

/* work_tree_is_head - git status in the work tree says nothing, and
 * its transport is the branch's */
static void
work_tree_is_head(const struct scenario *s)
{
	char *status = gitcmd_status(s->repo), *gitdir, *want, *path, *got;

	ck_assert_msg(strcmp(status, "") == 0, "git status: %s", status);
	free(status);
	gitdir = gitcmd_join(s->repo, ".git");
	want = gitcmd_out(gitdir, "show main:transport");
	path = gitcmd_join(s->repo, "transport");
	got = testlib_read(path, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
	free(path);
	free(want);
	free(gitdir);
}

START_TEST(work_tree_follows_the_branch)
{
	struct scenario s;
	char *out = NULL, *cmd = NULL, *status, *text, *path;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "repository_bare = no\n");
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	work_tree_is_head(&s);
	/* a change: a second commit, the work tree follows */
	ck_assert_int_ne(asprintf(&cmd, "sed -i '/^member: uid=bob,/d' "
	    "'%s/directory.ldif'", s.dir), -1);
	sh_ok(cmd);
	free(cmd);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "committed "), "%d: %s", rc, out);
	free(out);
	ck_assert_int_eq(commits(&s), 2);
	work_tree_is_head(&s);
	/* nothing for git commit -a to take */
	rc = testlib_sh(&out, "git -C '%s' commit -a -m 'by hand'", s.repo);
	ck_assert_msg(rc == 1, "commit -a: %d: %s", rc, out);
	free(out);
	ck_assert_int_eq(commits(&s), 2);

	/* a hand edit stays, is reported, and the other files follow */
	path = gitcmd_join(s.repo, "transport");
	ck_assert_int_ne(asprintf(&cmd, "echo 'hand@example.com smtp:x' >> "
	    "'%s' && sed -i '/^member: uid=erin,/d' '%s/directory.ldif'", path,
	    s.dir), -1);
	sh_ok(cmd);
	free(cmd);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "transport: changed here by hand")
	    != NULL, "%d: %s", rc, out);
	free(out);
	text = testlib_read(path, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "hand@example.com smtp:x\n"));
	free(text);
	status = gitcmd_status(s.repo);
	ck_assert_str_eq(status, " M transport\n");
	free(status);
	/* put back by hand: in step again */
	ck_assert_int_ne(asprintf(&cmd, "git -C '%s' checkout -- transport",
	    s.repo), -1);
	sh_ok(cmd);
	free(cmd);
	work_tree_is_head(&s);
	free(path);
	scenario_free(&s);
}
END_TEST

START_TEST(work_tree_follows_the_service)
{
	struct scenario s;
	char *out = NULL, *cmd = NULL, *pid = NULL;
	int waited;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "repository_bare = no\ntable_shards = 16\n"
	    "feed = poll\npoll_interval = 1\ndebounce = 0\n");
	ck_assert_int_eq(testlib_sh(&pid, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), s.conf, s.dir), 0);
	for (waited = 0; waited < 20000 && commits(&s) < 1;
	    waited += 100)
		sleep_ms(100);
	ck_assert_int_eq(commits(&s), 1);
	sleep_ms(300);
	free(out);
	out = gitcmd_status(s.repo);
	ck_assert_msg(strcmp(out, "") == 0, "after the first commit: %s", out);
	free(out);
	/* one change: the service's one-change commit */
	ck_assert_int_ne(asprintf(&cmd, "sed -i '/^member: uid=bob,/d' "
	    "'%s/directory.ldif'", s.dir), -1);
	sh_ok(cmd);
	free(cmd);
	for (waited = 0; waited < 20000 && commits(&s) < 2;
	    waited += 100)
		sleep_ms(100);
	ck_assert_int_eq(commits(&s), 2);
	sleep_ms(300);
	out = gitcmd_status(s.repo);
	ck_assert_msg(strcmp(out, "") == 0, "after the second commit: %s", out);
	free(out);
	kill((pid_t)atol(pid), SIGTERM);
	sleep_ms(500);
	free(pid);
	scenario_free(&s);
}
END_TEST

static Suite *
repository_suite(void)
{
	Suite *s = suite_create("repository");
	TCase *tc = tcase_create("repository");
	TCase *tf = tcase_create("full disk");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, killed_first_resync_never_blocks);
	tcase_add_test(tc, another_users_repository);
	tcase_add_test(tc, work_tree_follows_the_branch);
	tcase_add_test(tc, work_tree_follows_the_service);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tf, 120);
	tcase_add_unchecked_fixture(tf, small_fs_setup, small_fs_teardown);
	tcase_add_test(tf, first_resync_on_a_full_disk);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	return testlib_main(repository_suite());
}
