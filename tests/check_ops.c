/*
 * check_ops - operating splitsync: make install into a DESTDIR, status
 * as a monitoring check, the service's metrics file, no progress noise
 * off a terminal
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

#define QUICKSTART "examples/quickstart"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(install_then_check_installed_example)
{
	char *dest = testlib_tmpdir(), *out = NULL;
	int rc;

	ck_assert_ptr_nonnull(dest);
	rc = testlib_sh(&out, "make -s install DESTDIR='%s' PREFIX=/usr",
	    dest);
	ck_assert_msg(rc == 0, "make install: %s", out);
	free(out);
	rc = testlib_sh(&out, "'%s/usr/sbin/splitsync' check -c "
	    "'%s/usr/share/splitsync/examples/quickstart/splitsync.conf'", dest,
	    dest);
	ck_assert_msg(rc == 65, "installed check: %d: %s", rc, out);
	ck_assert_msg(strstr(out, "6 mailboxes, 10 addresses") != NULL, "%s",
	    out);
	free(out);
	rc = testlib_sh(&out, "ls '%s/usr/share/splitsync/mappings/"
	    "mapping.rng' '%s/usr/share/splitsync/mappings/bluemind.xml' "
	    "'%s/usr/share/man/man8/splitsync.8'", dest, dest, dest);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	/* the deploy script finds the installed layout definition, from
	 * the examples and from sbin */
	rc = testlib_sh(&out, "d='%s/usr' && cp \"$d/share/splitsync/examples/"
	    "postfix-deploy/splitsync-deploy\" \"$d/sbin/\" && "
	    "for s in \"$d/share/splitsync/examples/postfix-deploy\" "
	    "\"$d/sbin\"; do sh \"$s/splitsync-deploy\" -r x -l nosuch; "
	    "done; rm \"$d/sbin/splitsync-deploy\"", dest);
	ck_assert_msg(rc == 0 && strstr(out, "postfix-deploy/../../layouts/"
	    "postfix.tables (bluemind, gateway)") &&
	    strstr(out, "sbin/../share/splitsync/layouts/postfix.tables "
	    "(bluemind, gateway)"), "%s", out);
	free(out);
	rc = testlib_sh(&out, "make -s uninstall DESTDIR='%s' PREFIX=/usr && "
	    "find '%s' -type f | wc -l", dest, dest);
	ck_assert_msg(rc == 0 && atoi(out) == 0, "left after uninstall: %s",
	    out);
	free(out);
	testlib_rmrf(dest);
	free(dest);
}
END_TEST

/* status - run splitsync status; its exit, output in *out */
static int
status(const struct scenario *s, char **out)
{
	return testlib_sh(out, "'%s' status -c '%s'", testlib_bin(), s->conf);
}

START_TEST(status_verdicts)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	/* The quickstart has refused values and a conflict: a warning. */
	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	rc = status(&s, &out);
	ck_assert_msg(rc == 2 && strstr(out, "branch head: nothing yet on "
	    "main"), "%d: %s", rc, out);
	free(out);
	/* status only reads: it creates no repository */
	ck_assert_int_ne(access(s.repo, F_OK), 0);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	rc = status(&s, &out);
	ck_assert_msg(rc == 1, "%d: %s", rc, out);
	ck_assert_msg(strstr(out, "refused values: 2, conflicts: 1"), "%s",
	    out);
	ck_assert_msg(strstr(out, "domain example.org: 1 internal, 0 external"),
	    "%s", out);
	/* splitsync cannot know what the MTAs run: it names the branch. */
	ck_assert_msg(strstr(out, "branch head ") && !strstr(out, "deployed"),
	    "%s", out);
	free(out);
	/* check and status count the same addresses per domain (alice's
	 * address in the alias domain example.net included). */
	ck_assert_int_eq(testlib_sh(&out, "'%s' status -c '%s' | grep '^domain "
	    "' > '%s/status.txt'; '%s' check -c '%s' | grep '^domain ' > "
	    "'%s/check.txt'; diff '%s/check.txt' '%s/status.txt' && grep -q "
	    "'^domain example.com: 5 internal, 4 external' '%s/status.txt'",
	    testlib_bin(), s.conf, s.dir, testlib_bin(), s.conf, s.dir, s.dir,
	    s.dir, s.dir), 0);
	free(out);
	/* A held change: critical, and says how to accept it. */
	ck_assert_int_eq(testlib_sh(&out, "cp tests/data/resync/empty.ldif "
	    "'%s/directory.ldif'", s.dir), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 75);
	free(out);
	rc = status(&s, &out);
	ck_assert_msg(rc == 2 && strstr(out, "HELD") && strstr(out,
	    "splitsync confirm"), "%d: %s", rc, out);
	free(out);
	scenario_free(&s);
}
END_TEST

START_TEST(service_writes_metrics)
{
	struct scenario s;
	char *out = NULL, *pid = NULL, *text = NULL, *path;
	long waited;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "feed = poll\npoll_interval = 1\ndebounce = 0\n"
	    "metrics_file = metrics.prom\n");
	ck_assert_int_ne(asprintf(&path, "%s/metrics.prom", s.dir), -1);
	ck_assert_int_eq(testlib_sh(&pid, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), s.conf, s.dir), 0);
	for (waited = 0; waited < 20000; waited += 100) {
		free(text);
		text = testlib_read(path, NULL);
		if (text && strstr(text, "splitsync_commits_total 1\n"))
			break;
		sleep_ms(100);
	}
	ck_assert_msg(text && strstr(text, "splitsync_commits_total 1\n"),
	    "%s", text ? text : "(no metrics)");
	ck_assert_msg(strstr(text, "# TYPE splitsync_changes_applied_total "
	    "counter\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "splitsync_conflicts 1\n") != NULL, "%s",
	    text);
	ck_assert_msg(strstr(text, "splitsync_held_changes 0\n") != NULL, "%s",
	    text);
	free(text);
	rc = status(&s, &out);
	ck_assert_msg(rc == 1 && strstr(out, "directory: in step"), "%d: %s",
	    rc, out);
	free(out);
	kill((pid_t)atol(pid), SIGTERM);
	sleep_ms(500);
	free(pid);
	/* A service that has not heard from the directory for long. */
	ck_assert_int_eq(testlib_sh(&out, "sed -i "
	    "'s/^splitsync_last_sync_timestamp_seconds .*/"
	    "splitsync_last_sync_timestamp_seconds 1000/' '%s'", path), 0);
	free(out);
	rc = status(&s, &out);
	ck_assert_msg(rc == 2 && strstr(out, "NO CONTACT"), "%d: %s", rc, out);
	free(out);
	free(path);
	scenario_free(&s);
}
END_TEST

/* A metrics file that is not one: status answers at once, critical,
 * saying what the file is, whatever it points to. */
START_TEST(status_refuses_a_metrics_file_that_is_not_a_file)
{
	static const struct {
		const char *make;       /* shell, in the scratch directory */
		const char *says;
	} kinds[] = {
		{ "mkfifo metrics.prom", "is a FIFO, not a regular file" },
		{ "ln -s /dev/zero metrics.prom", "is a symbolic link" },
		{ "mkfifo fifo && ln -s fifo metrics.prom",
		  "is a symbolic link" },
		{ "mkdir metrics.prom", "is a directory, not a regular file" },
		{ "head -c 2000000 /dev/zero | tr '\\0' '#' > metrics.prom",
		  "larger than" },
	};
	struct scenario s;
	char *out = NULL;
	size_t i;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "metrics_file = metrics.prom\n");
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	for (i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		ck_assert_int_eq(testlib_sh(&out, "cd '%s' && rm -rf fifo "
		    "metrics.prom && %s", s.dir, kinds[i].make), 0);
		free(out);
		/* timeout(1): a status that hangs is the failure */
		rc = testlib_sh(&out, "timeout 20 '%s' status -c '%s'",
		    testlib_bin(), s.conf);
		ck_assert_msg(rc == 2, "%s: exit %d: %s", kinds[i].make, rc,
		    out);
		ck_assert_msg(strstr(out, "metrics.prom") && strstr(out,
		    kinds[i].says), "%s: %s", kinds[i].make, out);
		free(out);
	}
	scenario_free(&s);
}
END_TEST

/* wait_text - until the file holds text; its content (free()) */
static char *
wait_text(const char *path, const char *text)
{
	char *got = NULL;
	long waited;

	for (waited = 0; waited < 20000; waited += 100) {
		free(got);
		got = testlib_read(path, NULL);
		if (got && strstr(got, text))
			return got;
		sleep_ms(100);
	}
	ck_abort_msg("%s: no \"%s\" in:\n%s", path, text, got ? got : "(none)");
	return NULL;
}

/* A change held by the service is a commit (on the hold branch), and
 * status does not call the directory in step while it waits. */
START_TEST(service_hold_in_metrics_and_status)
{
	struct scenario s;
	char *out = NULL, *pid = NULL, *text, *path;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "feed = poll\npoll_interval = 1\ndebounce = 0\n"
	    "metrics_file = metrics.prom\n");
	ck_assert_int_ne(asprintf(&path, "%s/metrics.prom", s.dir), -1);
	ck_assert_int_eq(testlib_sh(&pid, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), s.conf, s.dir), 0);
	free(wait_text(path, "splitsync_commits_total 1\n"));
	ck_assert_int_eq(testlib_sh(&out, "cp tests/data/resync/empty.ldif "
	    "'%s/directory.ldif'", s.dir), 0);
	free(out);
	text = wait_text(path, "splitsync_held_changes 1\n");
	ck_assert_msg(strstr(text, "splitsync_commits_total 2\n") != NULL,
	    "%s", text);
	free(text);
	rc = status(&s, &out);
	ck_assert_msg(rc == 2 && strstr(out, "HELD") != NULL &&
	    strstr(out, "directory: in step") == NULL &&
	    strstr(out, "not in step: a change is held") != NULL,
	    "%d: %s", rc, out);
	free(out);
	kill((pid_t)atol(pid), SIGTERM);
	sleep_ms(500);
	free(pid);
	free(path);
	scenario_free(&s);
}
END_TEST

/* resync, the timer's way of keeping routing in step, writes the
 * metrics file too: status sees the directory answer. */
START_TEST(resync_writes_metrics)
{
	struct scenario s;
	char *out = NULL, *text, *path;
	long last;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "metrics_file = metrics.prom\n");
	ck_assert_int_ne(asprintf(&path, "%s/metrics.prom", s.dir), -1);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	text = testlib_read(path, NULL);
	ck_assert_msg(text && strstr(text, "splitsync_commits_total 1\n") &&
	    strstr(text, "splitsync_conflicts 1\n") &&
	    strstr(text, "splitsync_rejected_values 2\n"), "%s",
	    text ? text : "(no metrics)");
	last = atol(strstr(text, "\nsplitsync_last_sync_timestamp_seconds ") +
	    39);
	ck_assert_msg(labs(last - (long)time(NULL)) < 60, "%s", text);
	free(text);
	rc = status(&s, &out);
	ck_assert_msg(rc == 1 && strstr(out, "directory: in step"), "%d: %s",
	    rc, out);
	free(out);
	/* Nothing to commit: the counters stay. */
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	text = testlib_read(path, NULL);
	ck_assert_msg(text && strstr(text, "splitsync_commits_total 1\n"), "%s",
	    text ? text : "(no metrics)");
	free(text);
	/* A held change: counted, and flagged. */
	ck_assert_int_eq(testlib_sh(&out, "cp tests/data/resync/empty.ldif "
	    "'%s/directory.ldif'", s.dir), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 75);
	free(out);
	text = testlib_read(path, NULL);
	ck_assert_msg(text && strstr(text, "splitsync_commits_total 2\n") &&
	    strstr(text, "splitsync_held_changes 1\n"), "%s",
	    text ? text : "(no metrics)");
	free(text);
	/* Confirmed: a commit, and nothing held any more. */
	ck_assert_int_eq(testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	text = testlib_read(path, NULL);
	ck_assert_msg(text && strstr(text, "splitsync_commits_total 3\n") &&
	    strstr(text, "splitsync_held_changes 0\n"), "%s",
	    text ? text : "(no metrics)");
	free(text);
	free(path);
	scenario_free(&s);
}
END_TEST

/* mtime - the file's modification time, in full (free()) */
static char *
mtime(const char *path)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "stat -c %%y '%s'", path), 0);
	return out;
}

/* A service with nothing to do still rewrites its metrics file within
 * the interval status relies on, also between two far apart polls. */
START_TEST(idle_poll_service_rewrites_metrics)
{
	struct scenario s;
	char *pid = NULL, *path, *before, *after;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "feed = poll\npoll_interval = 3600\n"
	    "debounce = 0\nmetrics_file = metrics.prom\n"
	    "status_max_silence = 4\n");
	ck_assert_int_ne(asprintf(&path, "%s/metrics.prom", s.dir), -1);
	ck_assert_int_eq(testlib_sh(&pid, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), s.conf, s.dir), 0);
	free(wait_text(path, "splitsync_commits_total 1\n"));
	sleep_ms(300);
	before = mtime(path);
	sleep_ms(3500);
	after = mtime(path);
	ck_assert_msg(strcmp(before, after) != 0, "not rewritten since %s",
	    before);
	free(before);
	free(after);
	kill((pid_t)atol(pid), SIGTERM);
	sleep_ms(500);
	free(pid);
	free(path);
	scenario_free(&s);
}
END_TEST

START_TEST(no_progress_off_a_terminal)
{
	struct scenario s;
	char *out = NULL;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "awk 'BEGIN { for (i = 0; i < 3000; "
	    "i++) printf \"dn: uid=u%%d,ou=people,dc=example,dc=com\\n"
	    "objectClass: inetOrgPerson\\nuid: u%%d\\nmail: u%%d@example.com"
	    "\\n\\n\", i, i, i }' > '%s/directory.ldif' && '%s' resync -c '%s'",
	    s.dir, testlib_bin(), s.conf), 0);
	ck_assert_msg(strstr(out, "entries read") == NULL, "%s", out);
	ck_assert_msg(strchr(out, '\r') == NULL, "%s", out);
	free(out);
	scenario_free(&s);
}
END_TEST

static Suite *
ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("ops");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, install_then_check_installed_example);
	tcase_add_test(tc, status_verdicts);
	tcase_add_test(tc, service_writes_metrics);
	tcase_add_test(tc, status_refuses_a_metrics_file_that_is_not_a_file);
	tcase_add_test(tc, no_progress_off_a_terminal);
	tcase_add_test(tc, service_hold_in_metrics_and_status);
	tcase_add_test(tc, resync_writes_metrics);
	tcase_add_test(tc, idle_poll_service_rewrites_metrics);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(ops_suite());
}
