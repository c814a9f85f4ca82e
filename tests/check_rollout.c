/*
 * check_rollout - audited rollout: the deletion guard and its hold
 * branch, confirm, review mode's proposal branch, and agents sharing a
 * remote. LDIF directories (no server needed) and real repositories.
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
#define LOCAL "lmtp:core.example.com:2400"
#define LEGACY "smtp:[legacy.example.com]:25"

/* sh - a shell command that must succeed; its output (free()) */
static char *
sh_ok(const char *cmd)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "%s", cmd);

	ck_assert_msg(rc == 0, "%s: %d: %s", cmd, rc, out ? out : "");
	return out;
}

/* git - a git command on a repository, its trimmed output (free()) */
static char *
git(const char *repo, const char *args)
{
	char *cmd, *out;

	ck_assert_int_ne(asprintf(&cmd, "git --git-dir='%s' %s", repo, args),
	    -1);
	out = sh_ok(cmd);
	free(cmd);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* has_branch - whether the repository has refs/heads/name */
static int
has_branch(const char *repo, const char *name)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "git --git-dir='%s' rev-parse --verify -q "
	    "'refs/heads/%s'", repo, name);

	free(out);
	return rc == 0;
}

/* resync - run resync on a scenario; exit status, output in *out */
static int
resync(const struct scenario *s, const char *flags, char **out)
{
	return testlib_sh(out, "'%s' resync %s -c '%s'", testlib_bin(), flags,
	    s->conf);
}

/* many_users - an LDIF directory of n users in example.com */
static void
many_users(const struct scenario *s, int n)
{
	char *cmd;

	ck_assert_int_ne(asprintf(&cmd, "awk -v n=%d 'BEGIN { for (i = 0; "
	    "i < n; i++) printf \"dn: uid=u%%d,ou=people,dc=example,dc=com\\n"
	    "objectClass: inetOrgPerson\\nuid: u%%d\\nmail: u%%d@example.com"
	    "\\n\\n\", i, i, i }' > '%s/directory.ldif'", n, s->dir), -1);
	free(sh_ok(cmd));
	free(cmd);
}

START_TEST(guard_holds_mass_delete_until_confirmed)
{
	struct scenario s;
	char *out = NULL, *deployed, *held, *msg, *now, *tree;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "guard_max_delete_percent = 10\n"
	    "guard_max_delete_count = 500\n");
	many_users(&s, 100);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	/* 20 of 100 users vanish: more than 10 %. */
	many_users(&s, 80);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 75, "%d: %s", rc, out);
	ck_assert_msg(strstr(out, "20 of 100 routes would be removed") != NULL,
	    "%s", out);
	free(out);
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);
	free(now);
	ck_assert(has_branch(s.repo, "main-held"));
	msg = git(s.repo, "log -1 --format=%s main-held");
	ck_assert_msg(strstr(msg, "splitsync: held: 20 of 100") != NULL, "%s",
	    msg);
	free(msg);
	/* The held commit sits on the deploy head. */
	held = git(s.repo, "rev-parse main-held^");
	ck_assert_str_eq(held, deployed);
	free(held);
	held = git(s.repo, "rev-parse main-held");
	/* Running again holds the same thing: no new hold commit. */
	ck_assert_int_eq(resync(&s, "", &out), 75);
	free(out);
	now = git(s.repo, "rev-parse main-held");
	ck_assert_str_eq(now, held);
	free(now);
	tree = git(s.repo, "rev-parse main-held^{tree}");
	/* A person accepts it: a commit on the held one, with the held
	 * tree, says who and when. */
	rc = testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "%d: %s", rc, out);
	free(out);
	now = git(s.repo, "rev-parse main^");
	ck_assert_str_eq(now, held);
	free(now);
	now = git(s.repo, "rev-parse main^{tree}");
	ck_assert_str_eq(now, tree);
	free(now);
	free(tree);
	msg = git(s.repo, "log -1 --format=%s main");
	ck_assert_msg(strcmp(msg, "splitsync: confirmed: 20 of 100 routes "
	    "would be removed, more than guard_max_delete_percent = 10%") == 0,
	    "%s", msg);
	free(msg);
	msg = git(s.repo, "log -1 '--format=%(trailers:key=Splitsync-Held,"
	    "valueonly)' main");
	ck_assert_str_eq(msg, held);
	free(msg);
	rc = testlib_sh(&out, "git --git-dir='%s' log -1 --format=%%B main | "
	    "grep -E '^Splitsync-Confirmed-By: [^@ ]+@[^@ ]+$' && "
	    "git --git-dir='%s' log -1 --format=%%B main | grep -E "
	    "'^Splitsync-Confirmed-At: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})$'", s.repo, s.repo);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	ck_assert(!has_branch(s.repo, "main-held"));
	scenario_extract(&s, (const char *const[]){ "transport", NULL });
	scenario_expect(&s, "transport", "u79@example.com", LOCAL);
	scenario_expect(&s, "transport", "u80@example.com", NULL);
	/* Nothing more to hold or commit. */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "no change"), "%d: %s", rc, out);
	free(out);
	rc = testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 65, "confirm with nothing held: %d: %s", rc, out);
	free(out);
	free(held);
	free(deployed);
	scenario_free(&s);
}
END_TEST

START_TEST(guard_count_limit_and_force)
{
	struct scenario s;
	char *out = NULL, *deployed, *now;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "guard_max_delete_percent = 0\n"
	    "guard_max_delete_count = 5\n");
	many_users(&s, 100);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	many_users(&s, 95);             /* 5 removed: allowed */
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	free(deployed);
	deployed = scenario_head(&s);
	many_users(&s, 89);             /* 6 removed: held */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 75 && strstr(out, "6 routes would be removed"),
	    "%d: %s", rc, out);
	free(out);
	rc = resync(&s, "--force", &out);
	ck_assert_msg(rc == 0, "%d: %s", rc, out);
	free(out);
	now = scenario_head(&s);
	ck_assert_str_ne(now, deployed);
	free(now);
	ck_assert(!has_branch(s.repo, "main-held"));
	free(deployed);
	scenario_free(&s);
}
END_TEST

/* With the default limits: a first load is taken whole, a change that
 * adds more than 1000 routes, or more than doubles them, is held. */
START_TEST(guard_holds_mass_addition_until_confirmed)
{
	struct scenario s;
	char *out = NULL, *deployed, *held, *msg, *now;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	many_users(&s, 1200);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	many_users(&s, 100);    /* a removal, with the deletion guard off */
	ck_assert_int_eq(resync(&s, "--force", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	/* 1100 new addresses at once */
	many_users(&s, 1200);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 75, "%d: %s", rc, out);
	ck_assert_msg(strstr(out, "1100 routes would be added, more than "
	    "guard_max_add_count = 1000") != NULL, "%s", out);
	free(out);
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);
	free(now);
	msg = git(s.repo, "log -1 --format=%s main-held");
	ck_assert_msg(strstr(msg, "splitsync: held: 1100 routes would be "
	    "added") != NULL, "%s", msg);
	free(msg);
	held = git(s.repo, "rev-parse main-held");
	rc = testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "%d: %s", rc, out);
	free(out);
	/* the confirm commit sits on the held one */
	now = git(s.repo, "rev-parse main^");
	ck_assert_str_eq(now, held);
	free(now);
	ck_assert(!has_branch(s.repo, "main-held"));
	scenario_extract(&s, (const char *const[]){ "transport", NULL });
	scenario_expect(&s, "transport", "u1199@example.com", LOCAL);

	/* Below the count, but more than doubling: held too. */
	many_users(&s, 500);
	ck_assert_int_eq(resync(&s, "--force", &out), 0);
	free(out);
	many_users(&s, 1001);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 75 && strstr(out, "501 routes would be added "
	    "to 500, more than guard_max_add_percent = 100%"), "%d: %s", rc,
	    out);
	free(out);
	/* Doubling exactly is allowed. */
	many_users(&s, 1000);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "committed"), "%d: %s", rc, out);
	free(out);
	ck_assert(!has_branch(s.repo, "main-held"));
	free(held);
	free(deployed);
	scenario_free(&s);
}
END_TEST

START_TEST(guard_add_limits_can_be_set_and_turned_off)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "guard_max_add_count = 5\n"
	    "guard_max_add_percent = 0\n");
	many_users(&s, 100);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	many_users(&s, 105);            /* 5 added: allowed */
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	many_users(&s, 111);            /* 6 added: held */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 75 && strstr(out, "6 routes would be added, more "
	    "than guard_max_add_count = 5"), "%d: %s", rc, out);
	free(out);
	/* 0 turns the limit off. */
	rc = testlib_sh(&out, "sed -i 's/^guard_max_add_count = .*/"
	    "guard_max_add_count = 0/' '%s'", s.conf);
	ck_assert_int_eq(rc, 0);
	free(out);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "committed"), "%d: %s", rc, out);
	free(out);
	ck_assert(!has_branch(s.repo, "main-held"));
	scenario_free(&s);
}
END_TEST

START_TEST(hold_goes_away_when_the_directory_recovers)
{
	struct scenario s;
	char *out = NULL, *deployed, *now;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	free(sh_ok("true"));
	ck_assert_int_eq(testlib_sh(&out, "cp '%s/directory.ldif' '%s/good' && "
	    "cp tests/data/resync/empty.ldif '%s/directory.ldif'", s.dir, s.dir,
	    s.dir), 0);
	free(out);
	ck_assert_int_eq(resync(&s, "", &out), 75);
	free(out);
	ck_assert(has_branch(s.repo, "main-held"));
	ck_assert_int_eq(testlib_sh(&out, "cp '%s/good' '%s/directory.ldif'",
	    s.dir, s.dir), 0);
	free(out);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	ck_assert(!has_branch(s.repo, "main-held"));
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);
	free(now);
	free(deployed);
	scenario_free(&s);
}
END_TEST

START_TEST(review_proposal_follows_the_directory)
{
	struct scenario s;
	char *out = NULL, *deployed, *now, *msg, *base;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	/* Review rollout from now on. */
	free(sh_ok("true"));
	ck_assert_int_eq(testlib_sh(&out, "echo 'rollout = review' >> '%s'",
	    s.conf), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "sed -i '/^member: uid=bob,/d' "
	    "'%s/directory.ldif'", s.dir), 0);
	free(out);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	ck_assert_msg(strstr(out, "proposed ") != NULL, "%s", out);
	free(out);
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);        /* deploy branch untouched */
	free(now);
	ck_assert(has_branch(s.repo, "main-proposed"));
	base = git(s.repo, "rev-parse main-proposed^");
	ck_assert_str_eq(base, deployed);
	free(base);
	msg = git(s.repo, "log -1 --format=%B main-proposed | grep bob");
	ck_assert_msg(strstr(msg, "~ bob@example.com: external " LEGACY
	    " -> internal " LOCAL) != NULL, "%s", msg);
	free(msg);
	/* Another change: the proposal is redone on the deploy head, one
	 * commit holding both. */
	ck_assert_int_eq(testlib_sh(&out, "sed -i 's/^mail: dave@/mail: "
	    "david@/' '%s/directory.ldif'", s.dir), 0);
	free(out);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	base = git(s.repo, "rev-parse main-proposed^");
	ck_assert_str_eq(base, deployed);
	free(base);
	msg = git(s.repo, "log -1 --format=%B main-proposed | grep david");
	ck_assert_msg(strstr(msg, "+ david@example.org: internal") != NULL,
	    "%s", msg);
	free(msg);
	/* The directory goes back to what is deployed: no proposal. */
	ck_assert_int_eq(testlib_sh(&out, "cp '%s' '%s/directory.ldif'",
	    QUICKSTART "/directory.ldif", s.dir), 0);
	free(out);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	ck_assert(!has_branch(s.repo, "main-proposed"));
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);
	free(now);
	free(deployed);
	scenario_free(&s);
}
END_TEST

/* hand_commit - a commit made with git alone on main: the line added
 * to the table, with message msg */
static void
hand_commit(const struct scenario *s, const char *table, const char *line,
    const char *msg)
{
	char *out = NULL, *path;
	int rc;

	ck_assert_int_ne(asprintf(&path, "%s/hand.msg", s->dir), -1);
	ck_assert_int_eq(testlib_write(path, msg), 0);
	free(path);
	rc = testlib_sh(&out, "cd '%s' && R='%s' && git --git-dir=\"$R\" show "
	    "'main:%s' > hand && echo '%s' >> hand && GIT_INDEX_FILE=hand.idx "
	    "&& export GIT_INDEX_FILE && git --git-dir=\"$R\" read-tree main "
	    "&& "
	    "b=$(git --git-dir=\"$R\" hash-object -w hand) && "
	    "git --git-dir=\"$R\" update-index --cacheinfo 100644,$b,'%s' && "
	    "t=$(git --git-dir=\"$R\" write-tree) && c=$(git -c "
	    "user.name=Admin -c user.email=admin@example.com --git-dir=\"$R\" "
	    "commit-tree $t -p main -F hand.msg) && git --git-dir=\"$R\" "
	    "update-ref refs/heads/main $c", s->dir, s->repo, table, line,
	    table);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
}

/* A line added to a table by hand: status shows it, and the next
 * commit says it restores what the directory gives. */
START_TEST(hand_edit_is_reported_and_restored)
{
	struct scenario s;
	char *out = NULL, *msg, *hand;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	hand_commit(&s, "transport",
	    "extra@example.com smtp:[mx.example.com]:25", "quick fix\n");
	hand = scenario_head(&s);
	rc = testlib_sh(&out, "'%s' status -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc >= 1 && strstr(out, "HAND EDIT") != NULL &&
	    strstr(out, "transport") != NULL, "%d: %s", rc, out);
	free(out);
	/* The directory did not change: only the hand edit is undone. */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "hand edit detected on main") &&
	    strstr(out, "extra@example.com"), "%d: %s", rc, out);
	free(out);
	msg = git(s.repo, "log -1 --format=%s main");
	ck_assert_msg(strcmp(msg, "splitsync: 0 added, 0 changed, 0 removed, "
	    "1 line edited by hand restored (10 addresses, 2 domains)") == 0,
	    "%s", msg);
	free(msg);
	ck_assert_int_eq(testlib_sh(&msg, "git --git-dir='%s' log -1 "
	    "--format=%%B main", s.repo), 0);
	ck_assert_msg(strstr(msg, "transport: added by hand, removed: "
	    "extra@example.com smtp:[mx.example.com]:25\n") != NULL, "%s", msg);
	free(msg);
	msg = git(s.repo, "log -1 '--format=%(trailers:key=Splitsync-Hand-Edit,"
	    "valueonly)' main");
	ck_assert_str_eq(msg, hand);
	free(msg);
	msg = git(s.repo, "show main:transport | grep -c extra@ || true");
	ck_assert_str_eq(msg, "0");
	free(msg);
	rc = testlib_sh(&out, "'%s' status -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(strstr(out, "HAND EDIT") == NULL, "%d: %s", rc, out);
	free(out);
	/* And nothing more to do. */
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "no change"), "%d: %s", rc, out);
	free(out);
	free(hand);
	scenario_free(&s);
}
END_TEST

/* A person who pastes splitsync's message, trailers and all, into the
 * body of a commit of theirs has still edited by hand: only the last
 * paragraph of a message holds its trailers. */
START_TEST(hand_edit_quoting_splitsync_is_a_hand_edit)
{
	struct scenario s;
	char *out = NULL, *quoted, *msg, *hand;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&quoted, "git --git-dir='%s' log -1 "
	    "--format=%%B main", s.repo), 0);
	ck_assert_ptr_nonnull(strstr(quoted, "\nSplitsync-Layout: "));
	ck_assert_int_ne(asprintf(&msg, "keep extra@ on mx\n\nOn top of:\n\n"
	    "%s\nSigned-off-by: Admin <admin@example.com>\n", quoted), -1);
	hand_commit(&s, "transport",
	    "extra@example.com smtp:[mx.example.com]:25", msg);
	hand = scenario_head(&s);
	rc = testlib_sh(&out, "'%s' status -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc >= 1 && strstr(out, "HAND EDIT") != NULL, "%d: %s",
	    rc, out);
	free(out);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 0 && strstr(out, "hand edit detected on main"),
	    "%d: %s", rc, out);
	free(out);
	out = git(s.repo, "log -1 '--format=%(trailers:key=Splitsync-Hand-Edit,"
	    "valueonly)' main");
	ck_assert_str_eq(out, hand);
	free(out);
	free(hand);
	free(msg);
	free(quoted);
	scenario_free(&s);
}
END_TEST

/* --- agents sharing a remote -------------------------------------- */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(two_agents_one_remote)
{
	struct scenario a, b;
	char *extra, *out = NULL, *remote, *pa = NULL, *pb = NULL;
	int i, n, commits;
	long waited;

	remote = testlib_tmpdir();
	ck_assert_ptr_nonnull(remote);
	free(sh_ok("true"));
	ck_assert_int_eq(testlib_sh(&out, "git init -q --bare '%s/r.git'",
	    remote), 0);
	free(out);
	ck_assert_int_ne(asprintf(&extra, "remotes = file://%s/r.git\n"
	    "feed = poll\npoll_interval = 1\ndebounce = 0\n", remote), -1);
	scenario_new(&a, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", extra);
	scenario_new(&b, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", extra);
	free(extra);
	/* One directory for both agents. */
	ck_assert_int_eq(testlib_sh(&out, "ln -sf '%s/directory.ldif' "
	    "'%s/directory.ldif'", a.dir, b.dir), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&pa, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), a.conf, a.dir), 0);
	ck_assert_int_eq(testlib_sh(&pb, "'%s' run -c '%s' > '%s/log' 2>&1 & "
	    "echo $!", testlib_bin(), b.conf, b.dir), 0);
	sleep_ms(2500);
	/* Five changes, each seen by both agents at about the same time. */
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(testlib_sh(&out, "sed -i 's/^mail: "
		    "mallory@example.com/mail: mallory%d@example.com/; "
		    "s/^mail: mallory[0-9]*@example.com/mail: "
		    "mallory%d@example.com/' '%s/directory.ldif'", i, i, a.dir),
		    0);
		free(out);
		/* Until the remote has it. */
		for (waited = 0; waited < 20000; waited += 100) {
			n = testlib_sh(&out, "git --git-dir='%s/r.git' show "
			    "main:transport | grep -q 'mallory%d@'", remote, i);
			free(out);
			if (n == 0)
				break;
			sleep_ms(100);
		}
		ck_assert_msg(n == 0, "change %d never reached the remote", i);
	}
	sleep_ms(2500);
	kill((pid_t)atol(pa), SIGTERM);
	kill((pid_t)atol(pb), SIGTERM);
	sleep_ms(1000);
	/* Linear history, each change once: the first commit, then one
	 * per change. */
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s/r.git' rev-list "
	    "--count main", remote), 0);
	commits = atoi(out);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s/r.git' rev-list "
	    "--merges --count main", remote), 0);
	ck_assert_int_eq(atoi(out), 0);
	free(out);
	ck_assert_msg(commits == 6, "remote has %d commits, expected 6",
	    commits);
	free(pa);
	free(pb);
	scenario_free(&a);
	scenario_free(&b);
	testlib_rmrf(remote);
	free(remote);
}
END_TEST

/* wait_branch - until the branch exists (1) or is gone (0) */
static void
wait_branch(const char *repo, const char *name, int present)
{
	long waited;

	for (waited = 0; waited < 20000; waited += 100) {
		if (has_branch(repo, name) == present)
			return;
		sleep_ms(100);
	}
	ck_abort_msg("branch %s: expected %s", name, present ? "present" :
	    "absent");
}

START_TEST(service_keeps_holding_across_restart)
{
	struct scenario s;
	char *out = NULL, *pid = NULL, *deployed, *held = NULL, *now;
	int i;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "feed = poll\npoll_interval = 1\n"
	    "debounce = 0\n");
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	deployed = scenario_head(&s);
	ck_assert_int_eq(testlib_sh(&out, "cp '%s/directory.ldif' '%s/good' && "
	    "cp tests/data/resync/empty.ldif '%s/directory.ldif'", s.dir, s.dir,
	    s.dir), 0);
	free(out);
	for (i = 0; i < 2; i++) {
		/* Twice: the second agent finds the hold and keeps it. */
		ck_assert_int_eq(testlib_sh(&pid, "'%s' run -c '%s' >> '%s/log' "
		    "2>&1 & echo $!", testlib_bin(), s.conf, s.dir), 0);
		wait_branch(s.repo, "main-held", 1);
		sleep_ms(2500);
		kill((pid_t)atol(pid), SIGTERM);
		free(pid);
		sleep_ms(500);
		now = scenario_head(&s);
		ck_assert_str_eq(now, deployed);
		free(now);
		if (i == 0)
			held = git(s.repo, "rev-parse main-held");
	}
	now = git(s.repo, "rev-parse main-held");
	ck_assert_str_eq(now, held);            /* not redone on restart */
	free(now);
	/* The directory recovers: the hold goes away, nothing deployed. */
	ck_assert_int_eq(testlib_sh(&pid, "cp '%s/good' '%s/directory.ldif' && "
	    "'%s' run -c '%s' >> '%s/log' 2>&1 & echo $!", s.dir, s.dir,
	    testlib_bin(), s.conf, s.dir), 0);
	wait_branch(s.repo, "main-held", 0);
	kill((pid_t)atol(pid), SIGTERM);
	free(pid);
	sleep_ms(500);
	now = scenario_head(&s);
	ck_assert_str_eq(now, deployed);
	free(now);
	free(held);
	free(deployed);
	scenario_free(&s);
}
END_TEST

/* configurations whose branches git cannot hold apart */
static const char *const clashing_branches[] = {
	"hold_branch = main\n",
	"proposal_branch = main-held\n",
	"rollout = review\nhold_branch = main-proposed\n",
	"branch = HEAD\n",
	"branch = refs/heads/main\n",
	"hold_branch = main/held\n",
};

START_TEST(clashing_branches_are_refused)
{
	struct scenario s;
	char *out = NULL, *refs, *now, *cmd;
	FILE *fp;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(resync(&s, "", &out), 0);
	free(out);
	refs = git(s.repo, "for-each-ref --format='%(refname) %(objectname)'"
	    " | tr '\\n' ' '");
	many_users(&s, 10);     /* a change the refused runs must not make */
	fp = fopen(s.conf, "a");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_ge(fputs(clashing_branches[_i], fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	rc = testlib_sh(&out, "'%s' check -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 78, "check: %d: %s", rc, out);
	ck_assert_msg(strstr(out, "splitsync.conf:5: ") != NULL ||
	    strstr(out, "splitsync.conf:6: ") != NULL, "%s", out);
	free(out);
	rc = resync(&s, "", &out);
	ck_assert_msg(rc == 78, "resync: %d: %s", rc, out);
	free(out);
	rc = resync(&s, "--dry-run", &out);
	ck_assert_msg(rc == 78, "resync --dry-run: %d: %s", rc, out);
	free(out);
	rc = testlib_sh(&out, "'%s' confirm -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 78, "confirm: %d: %s", rc, out);
	free(out);
	/* the repository is as the good run left it */
	now = git(s.repo, "for-each-ref --format='%(refname) %(objectname)'"
	    " | tr '\\n' ' '");
	ck_assert_str_eq(now, refs);
	ck_assert_int_ne(asprintf(&cmd, "git --git-dir='%s' fsck --strict",
	    s.repo), -1);
	free(sh_ok(cmd));
	free(cmd);
	free(now);
	free(refs);
	scenario_free(&s);
}
END_TEST

static Suite *
rollout_suite(void)
{
	Suite *s = suite_create("rollout");
	TCase *tc = tcase_create("rollout");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, guard_holds_mass_delete_until_confirmed);
	tcase_add_test(tc, guard_count_limit_and_force);
	tcase_add_test(tc, guard_holds_mass_addition_until_confirmed);
	tcase_add_test(tc, guard_add_limits_can_be_set_and_turned_off);
	tcase_add_test(tc, hold_goes_away_when_the_directory_recovers);
	tcase_add_test(tc, review_proposal_follows_the_directory);
	tcase_add_test(tc, two_agents_one_remote);
	tcase_add_test(tc, service_keeps_holding_across_restart);
	tcase_add_loop_test(tc, clashing_branches_are_refused, 0,
	    sizeof clashing_branches / sizeof *clashing_branches);
	tcase_add_test(tc, hand_edit_is_reported_and_restored);
	tcase_add_test(tc, hand_edit_quoting_splitsync_is_a_hand_edit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(rollout_suite());
}
