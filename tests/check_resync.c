/*
 * check_resync - the one-shot path end to end: the splitsync binary, a
 * real git repository, Postfix's postmap, and a real slapd.
 *
 * Each test copies a directory (LDIF) and a mapping into a temp dir,
 * runs the binary, then reads the committed tables back with git and
 * asks postmap what Postfix would answer for each recipient.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario.h"
#include "slapd.h"

#define QUICKSTART "examples/quickstart"
#define DATA "tests/data/resync"

static const char *const bluemind_tables[] = {
	"virtual_domains", "virtual_mailbox", "virtual_alias", "transport",
	"master_relay_transport", NULL
};

static const char *const gateway_tables[] = {
	"relay_domains", "relay_recipients", "transport", NULL
};

#define LOCAL "lmtp:core.example.com:2400"
#define LEGACY "smtp:[legacy.example.com]:25"

/* The routes of the quickstart directory, in the BlueMind layout. */
static void
expect_quickstart_bluemind(const struct scenario *s)
{
	scenario_extract(s, bluemind_tables);
	/* master domain: every user known */
	scenario_expect(s, "virtual_domains", "example.com", "OK");
	scenario_expect(s, "virtual_domains", "example.net", "OK");
	scenario_expect(s, "virtual_domains", "example.org", "OK");
	scenario_expect(s, "virtual_mailbox", "alice@example.com", "OK");
	scenario_expect(s, "transport", "alice@example.com", LOCAL);
	scenario_expect(s, "virtual_alias", "alice.martin@example.com",
	    "alice@example.com");
	scenario_expect(s, "virtual_alias", "alice@example.net", "alice@example.com");
	/* master mode: no catch-all for the alias domain, a twin for
	 * each address, unknown recipients rejected there too */
	scenario_expect(s, "virtual_alias", "@example.net", NULL);
	scenario_expect(s, "virtual_alias", "bob@example.net",
	    "bob@example.com");
	scenario_expect(s, "virtual_alias", "robert@example.net",
	    "bob@example.com");
	scenario_expect(s, "virtual_alias", "nobody@example.net", NULL);
	/* not migrated: known, relayed to the legacy server */
	scenario_expect(s, "virtual_mailbox", "bob@example.com", "OK");
	scenario_expect(s, "transport", "bob@example.com", LEGACY);
	scenario_expect(s, "virtual_alias", "robert@example.com", "bob@example.com");
	/* nested group */
	scenario_expect(s, "transport", "erin@example.com", LEGACY);
	/* partly external */
	scenario_expect(s, "transport", "carol@example.com", LOCAL);
	scenario_expect(s, "transport", "sales@example.com", LEGACY);
	scenario_expect(s, "virtual_mailbox", "sales@example.com", "OK");
	scenario_expect(s, "virtual_alias", "sales@example.com", NULL);
	/* master mode: unknown recipients are not listed: rejected */
	scenario_expect(s, "virtual_mailbox", "nobody@example.com", NULL);
	scenario_expect(s, "virtual_mailbox", "@example.com", NULL);
	scenario_expect(s, "master_relay_transport", "example.com", NULL);
	/* routing none */
	scenario_expect(s, "virtual_mailbox", "frank@example.com", NULL);
	scenario_expect(s, "transport", "frank@example.com", NULL);
	/* slave domain: everything accepted, unknown to the relay */
	scenario_expect(s, "virtual_mailbox", "@example.org", "OK");
	scenario_expect(s, "virtual_mailbox", "dave@example.org", NULL);
	scenario_expect(s, "transport", "dave@example.org", LOCAL);
	scenario_expect(s, "master_relay_transport", "example.org", LEGACY);
	/* hostile values refused, the rest of the entry kept */
	scenario_expect(s, "transport", "mallory@example.com", LOCAL);
	scenario_expect(s, "virtual_mailbox", "mallory@elsewhere.test", NULL);
	scenario_expect(s, "virtual_alias", "mallory@elsewhere.test", NULL);
	/* the conflict: alice keeps her address */
	scenario_expect(s, "virtual_alias", "alice@example.com", NULL);
}

START_TEST(quickstart_resync_commits_routes)
{
	struct scenario s;
	char *out = NULL, *msg = NULL;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	rc = scenario_run(&out, "resync -c ");
	free(out);
	ck_assert_int_eq(rc, 64);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "resync: %s", out);
	ck_assert_msg(strstr(out, "committed ") != NULL, "%s", out);
	free(out);
	ck_assert_int_eq(scenario_commits(&s), 1);
	expect_quickstart_bluemind(&s);

	/* The message: route by route, conflicts, trailers. */
	rc = testlib_sh(&msg, "git --git-dir='%s' log -1 --format=%%B main",
	    s.repo);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(msg, "+ bob@example.com: external " LEGACY
	    " (uid=bob,ou=people,dc=example,dc=com)") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "+ @example.org: unknown-relay") != NULL,
	    "%s", msg);
	ck_assert_msg(strstr(msg, "uid=mallory,ou=people,dc=example,dc=com: "
	    "address alice@example.com is already routed for "
	    "uid=alice,ou=people,dc=example,dc=com") != NULL, "%s", msg);
	ck_assert_msg(strstr(msg, "Splitsync-Layout: bluemind") != NULL, "%s",
	    msg);
	ck_assert_msg(strstr(msg, "Splitsync-Conflicts: 1") != NULL, "%s", msg);
	free(msg);

	/* Nothing changed: no second commit. */
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0 && strstr(out, "no change"), "%s", out);
	free(out);
	ck_assert_int_eq(scenario_commits(&s), 1);
	ck_assert_int_eq(testlib_sh(&out, "git --git-dir='%s' fsck --strict",
	    s.repo), 0);
	free(out);
	scenario_free(&s);
}
END_TEST

START_TEST(change_is_committed_route_by_route)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	/* Bob is migrated: he leaves the split group. */
	rc = testlib_sh(&out, "sed -i '/^member: uid=bob,/d' '%s/directory.ldif'",
	    s.dir);
	ck_assert_int_eq(rc, 0);
	free(out);

	/* A dry run shows the change and commits nothing. */
	before = scenario_head(&s);
	rc = testlib_sh(&out, "'%s' resync --dry-run -c '%s'", testlib_bin(),
	    s.conf);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, "~ bob@example.com: external " LEGACY
	    " -> internal " LOCAL) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "-bob@example.com " LEGACY) != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "+bob@example.com " LOCAL) != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, ".splitsync") == NULL, "state in diff: %s",
	    out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_eq(before, after);
	free(after);

	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	ck_assert_int_eq(scenario_commits(&s), 2);
	rc = testlib_sh(&out, "git --git-dir='%s' log -1 --format=%%B main",
	    s.repo);
	ck_assert_msg(strstr(out, "splitsync: 0 added, 2 changed, 0 removed")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "~ bob@example.com: external " LEGACY
	    " -> internal " LOCAL " (uid=bob,") != NULL, "%s", out);
	free(out);
	scenario_extract(&s, bluemind_tables);
	scenario_expect(&s, "transport", "bob@example.com", LOCAL);
	scenario_expect(&s, "transport", "erin@example.com", LEGACY);
	free(before);
	scenario_free(&s);
}
END_TEST

/* Changing table_shards rewrites the layout, not the routes: the next
 * commit finds the listing in the other form and changes no route. */
START_TEST(switching_table_shards_changes_no_route)
{
	static const int steps[] = { 0, 4096, 16 };
	struct scenario s;
	char *out = NULL;
	size_t i;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "table_shards = 16\n");
	ck_assert_int_eq(testlib_sh(&out, "'%s' -q resync -c '%s'",
	    testlib_bin(), s.conf), 0);
	free(out);
	for (i = 0; i < sizeof steps / sizeof *steps; i++) {
		rc = testlib_sh(&out, "sed -i 's/^table_shards = .*/"
		    "table_shards = %d/' '%s' && '%s' -q resync -c '%s' && "
		    "git --git-dir='%s' log -1 --format=%%s main && "
		    "git --git-dir='%s' ls-tree --name-only main", steps[i],
		    s.conf, testlib_bin(), s.conf, s.repo, s.repo);
		ck_assert_msg(rc == 0, "%s", out);
		ck_assert_msg(strstr(out, "splitsync: 0 added, 0 changed, "
		    "0 removed") != NULL, "table_shards = %d: %s", steps[i],
		    out);
		/* one layout at a time */
		ck_assert_msg((strstr(out, "\ntransport\n") != NULL) ==
		    (steps[i] == 0) && (strstr(out, "\ntransport.d\n") !=
		    NULL) == (steps[i] != 0), "table_shards = %d: %s", steps[i],
		    out);
		free(out);
	}
	ck_assert_int_eq(scenario_commits(&s), 4);
	scenario_free(&s);
}
END_TEST

/* A bad run leaves the branch exactly where it was. */
static void
expect_refused(const char *mapping, const char *ldif, int status,
    const char *message)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	before = scenario_head(&s);
	rc = testlib_sh(&out, "cp '%s' '%s/mapping.xml' && cp '%s' "
	    "'%s/directory.ldif'", mapping, s.dir, ldif, s.dir);
	ck_assert_int_eq(rc, 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == status, "expected %d, got %d: %s", status, rc, out);
	ck_assert_msg(strstr(out, message) != NULL, "expected \"%s\" in: %s",
	    message, out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(scenario_commits(&s), 1);
	free(before);
	free(after);
	scenario_free(&s);
}

START_TEST(malformed_ldif_keeps_last_commit)
{
	expect_refused(QUICKSTART "/mapping.xml", DATA "/malformed.ldif", 65,
	    "directory.ldif:9:");
}
END_TEST

START_TEST(invalid_mapping_keeps_last_commit)
{
	expect_refused(DATA "/invalid-mapping.xml", QUICKSTART
	    "/directory.ldif", 78, "mapping.xml:");
}
END_TEST

/* Input files the configuration names: a missing one is 66 (EX_NOINPUT),
 * one that is not a regular file 78, each named; the branch stays. */
START_TEST(input_files_have_their_exit_status)
{
	static const struct {
		const char *make;       /* shell, in the scratch directory */
		int status;
		const char *says;
	} cases[] = {
		{ "rm mapping.xml", 66, "mapping.xml: cannot open the mapping "
		  "file: No such file or directory" },
		{ "rm directory.ldif", 66, "directory.ldif: cannot open the "
		  "LDIF file: No such file or directory" },
		{ "rm mapping.xml && mkfifo mapping.xml", 78,
		  "mapping.xml: the mapping file is a FIFO, not a regular "
		  "file" },
		{ "rm directory.ldif && ln -s /dev/zero directory.ldif", 78,
		  "directory.ldif: the LDIF file is a character device, not a "
		  "regular file" },
		{ "mv splitsync.conf other.conf && mkfifo splitsync.conf", 78,
		  "splitsync.conf: the configuration file is a FIFO" },
		{ "rm splitsync.conf", 66, "splitsync.conf: cannot open the "
		  "configuration file" },
	};
	struct scenario s;
	char *out = NULL, *before, *after;
	size_t i;
	int rc;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
		    "/directory.ldif", NULL);
		ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'",
		    testlib_bin(), s.conf), 0);
		free(out);
		before = scenario_head(&s);
		ck_assert_int_eq(testlib_sh(&out, "cd '%s' && %s", s.dir,
		    cases[i].make), 0);
		free(out);
		rc = testlib_sh(&out, "timeout 20 '%s' resync -c '%s'",
		    testlib_bin(), s.conf);
		ck_assert_msg(rc == cases[i].status, "%s: exit %d, want %d: %s",
		    cases[i].make, rc, cases[i].status, out);
		ck_assert_msg(strstr(out, cases[i].says) != NULL,
		    "%s: no \"%s\" in: %s", cases[i].make, cases[i].says, out);
		free(out);
		after = scenario_head(&s);
		ck_assert_str_eq(before, after);
		free(before);
		free(after);
		scenario_free(&s);
	}
}
END_TEST

/* Another process holding the branch's lock: 75, try again; nothing
 * moved, and the next run goes through. */
START_TEST(locked_branch_is_try_again)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	before = scenario_head(&s);
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && sed -i "
	    "'s/^mail: dave@example.org$/&\\nmailAlternateAddress: "
	    "dave2@example.org/' directory.ldif && "
	    "touch routing.git/refs/heads/main.lock", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 75, "exit %d: %s", rc, out);
	ck_assert_msg(strstr(out, "another process holds the lock") != NULL &&
	    strstr(out, "main.lock") != NULL, "%s", out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_eq(before, after);
	free(after);
	ck_assert_int_eq(testlib_sh(&out, "rm '%s/routing.git/refs/heads/"
	    "main.lock'", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_ne(before, after);
	free(after);
	free(before);
	scenario_free(&s);
}
END_TEST

/* A lock on a side branch is contention too: the hold branch's lock
 * file makes a held change try again (75), never "cannot write". */
START_TEST(locked_hold_branch_is_try_again)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	ck_assert_int_eq(testlib_sh(&out, "cp '%s' '%s/directory.ldif' && "
	    "touch '%s/routing.git/refs/heads/main-held.lock'",
	    DATA "/empty.ldif", s.dir, s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 75 && strstr(out, "another process holds the "
	    "lock") != NULL && strstr(out, "main-held.lock") != NULL,
	    "exit %d: %s", rc, out);
	free(out);
	ck_assert_int_ne(testlib_sh(&out, "git -C '%s/routing.git' rev-parse "
	    "-q --verify refs/heads/main-held", s.dir), 0);
	free(out);
	scenario_free(&s);
}
END_TEST

START_TEST(empty_directory_is_held)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	expect_refused(QUICKSTART "/mapping.xml", DATA "/empty.ldif", 75,
	    "held");
	/* --force accepts it. */
	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	before = scenario_head(&s);
	ck_assert_int_eq(testlib_sh(&out, "cp '%s' '%s/directory.ldif'",
	    DATA "/empty.ldif", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync --force -c '%s'", testlib_bin(),
	    s.conf);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_ne(before, after);
	scenario_extract(&s, bluemind_tables);
	scenario_expect(&s, "transport", "alice@example.com", NULL);
	free(before);
	free(after);
	scenario_free(&s);
}
END_TEST

/* entries - what dir holds, one name a line (free()) */
static char *
entries(const char *dir)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "ls -A '%s'", dir), 0);
	return out;
}

START_TEST(dry_run_says_what_the_guard_would_do)
{
	struct scenario s;
	char *out = NULL, *before, *after, *refs, *now;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	before = scenario_head(&s);
	ck_assert_int_eq(testlib_sh(&refs, "git --git-dir='%s' for-each-ref",
	    s.repo), 0);
	ck_assert_int_eq(testlib_sh(&out, "cp '%s' '%s/directory.ldif'",
	    DATA "/empty.ldif", s.dir), 0);
	free(out);
	/* what the real run would do: hold, and exit 75 */
	rc = testlib_sh(&out, "'%s' resync --dry-run -c '%s'", testlib_bin(),
	    s.conf);
	ck_assert_msg(rc == 75, "dry run: %d: %s", rc, out);
	ck_assert_msg(strstr(out, "would be held: the directory yields no "
	    "mailbox") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "-bob@example.com ") != NULL, "%s", out);
	free(out);
	/* as --force would: not held */
	rc = testlib_sh(&out, "'%s' resync --dry-run --force -c '%s'",
	    testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "dry run, forced: %d: %s", rc, out);
	ck_assert_msg(strstr(out, "would be held") == NULL, "%s", out);
	ck_assert_msg(strstr(out, "-bob@example.com ") != NULL, "%s", out);
	free(out);
	/* and neither wrote anything */
	after = scenario_head(&s);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(testlib_sh(&now, "git --git-dir='%s' for-each-ref",
	    s.repo), 0);
	ck_assert_str_eq(now, refs);
	free(now);
	free(refs);
	free(before);
	free(after);
	scenario_free(&s);
}
END_TEST

START_TEST(dry_run_creates_no_repository)
{
	struct scenario s;
	char *out = NULL, *before, *after, *tmp;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_ne(asprintf(&tmp, "%s/tmp", s.dir), -1);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	before = entries(s.dir);
	rc = testlib_sh(&out, "TMPDIR='%s' '%s' resync --dry-run -c '%s'", tmp,
	    testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "dry run: %d: %s", rc, out);
	/* the diff against nothing: every table is new */
	ck_assert_msg(strstr(out, "+++ b/transport") != NULL &&
	    strstr(out, "+bob@example.com " LEGACY) != NULL, "%s", out);
	free(out);
	after = entries(s.dir);
	ck_assert_str_eq(before, after);
	free(after);
	after = entries(tmp);
	ck_assert_str_eq(after, "");
	free(after);
	free(before);
	free(tmp);
	scenario_free(&s);
}
END_TEST

START_TEST(failed_first_resync_creates_no_repository)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	/* malformed LDIF */
	scenario_new(&s, QUICKSTART "/mapping.xml", DATA "/malformed.ldif",
	    NULL);
	before = entries(s.dir);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 65, "%d: %s", rc, out);
	free(out);
	after = entries(s.dir);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	scenario_free(&s);
	/* a server that does not answer */
	scenario_new(&s, QUICKSTART "/mapping.xml", NULL, "source = ldap\n"
	    "ldap_uri = ldap://127.0.0.1:9\nldap_base = dc=example,dc=com\n"
	    "ldap_network_timeout = 2\n");
	before = entries(s.dir);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 69, "%d: %s", rc, out);
	free(out);
	after = entries(s.dir);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	scenario_free(&s);
}
END_TEST

/* Every line of every table: "key value", nothing else. */
static void
expect_clean_lines(const struct scenario *s, const char *const *tables)
{
	char *out = NULL;
	int rc;

	for (; *tables; tables++) {
		/* A key: an address, a domain or @domain; a value: OK, an
		 * address, @domain or a nexthop. */
		rc = testlib_sh(&out, "grep -nvE '^@?[a-z0-9.!#$%%&*+/=?^_`{|}~-]+"
		    "(@[a-z0-9.-]+)? [][a-zA-Z0-9.:@_-]+$' '%s/%s'", s->tables,
		    *tables);
		ck_assert_msg(rc == 1, "%s has a bad line: %s", *tables, out);
		free(out);
		out = NULL;
	}
}

START_TEST(hostile_values_never_reach_a_table)
{
	struct scenario s;
	char *out = NULL, *line;
	size_t i;
	int rc;
	static const char *const refused[] = {
		"uid=nl,ou=people,dc=example,dc=com: address \"evil@example.com\\x0a",
		"uid=space,ou=people,dc=example,dc=com: address \"a b@example.com\"",
		"uid=hash,ou=people,dc=example,dc=com: address \"x@example.com#y\"",
		"uid=star,ou=people,dc=example,dc=com: address \"*\"",
		"uid=dot,ou=people,dc=example,dc=com: address \".example.com\"",
		"uid=bare,ou=people,dc=example,dc=com: address \"example.com\"",
		"uid=outside,ou=people,dc=example,dc=com: address \"x@elsewhere.test\"",
		"uid=utf8,ou=people,dc=example,dc=com: address",
		"uid=nul,ou=people,dc=example,dc=com:",
		"uid=relay,ou=people,dc=example,dc=com:",
	};

	scenario_new(&s, DATA "/hostile-mapping.xml", DATA "/hostile.ldif",
	    NULL);
	rc = testlib_sh(&out, "'%s' check -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 65, "check: %d: %s", rc, out);
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ck_assert_msg(strstr(out, refused[i]) != NULL,
		    "check does not report \"%s\":\n%s", refused[i], out);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "resync: %s", out);
	free(out);
	scenario_extract(&s, bluemind_tables);
	expect_clean_lines(&s, bluemind_tables);
	/* The good values of the same entries are there. */
	scenario_expect(&s, "transport", "good.nl@example.com", LOCAL);
	scenario_expect(&s, "transport", "good.space@example.com", LOCAL);
	scenario_expect(&s, "transport", "good.relay@example.com", LEGACY);
	scenario_expect(&s, "virtual_mailbox", "@example.com", NULL);
	scenario_expect(&s, "transport", "example.com", NULL);
	/* No line carries a control character either. */
	rc = testlib_sh(&out, "cd '%s' && cat virtual_domains virtual_mailbox "
	    "virtual_alias transport master_relay_transport | LC_ALL=C "
	    "grep -c '[[:cntrl:]]'", s.tables);
	line = out;
	ck_assert_msg(rc == 1 || (line && atoi(line) == 0), "%s", out);
	free(out);
	scenario_free(&s);
}
END_TEST

START_TEST(render_and_gateway_layout)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "layout = gateway\n");
	rc = testlib_sh(&out, "'%s' render -c '%s' -o '%s'", testlib_bin(),
	    s.conf, s.tables);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	rc = testlib_sh(&out, "cd '%s' && for t in relay_domains "
	    "relay_recipients transport; do postmap -c . hash:$t || exit 1; "
	    "done; ls -a", s.tables);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(strstr(out, ".transport.") == NULL, "temp file left: %s",
	    out);
	free(out);
	expect_clean_lines(&s, gateway_tables);
	scenario_expect(&s, "relay_domains", "example.net", "OK");
	scenario_expect(&s, "relay_recipients", "alice@example.com", "OK");
	scenario_expect(&s, "relay_recipients", "alice@example.net", "OK");
	scenario_expect(&s, "relay_recipients", "robert@example.net", "OK");
	scenario_expect(&s, "relay_recipients", "nobody@example.com", NULL);
	scenario_expect(&s, "relay_recipients", "@example.org", "OK");
	scenario_expect(&s, "transport", "robert@example.net", LEGACY);
	scenario_expect(&s, "transport", "sales@example.com", LEGACY);
	scenario_expect(&s, "transport", "carol@example.com", LOCAL);
	scenario_expect(&s, "transport", "example.org", LEGACY);
	scenario_expect(&s, "transport", "dave@example.org", LOCAL);
	scenario_free(&s);
}
END_TEST

/* tables_snapshot - every file of dir with its bytes, one listing (ls
 * -a shows temp files too) */
static char *
tables_snapshot(const char *dir)
{
	char *out = NULL;

	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && ls -a && for f in "
	    "master_relay_transport transport virtual_alias virtual_domains "
	    "virtual_mailbox; do echo \"== $f\"; if [ -f $f ]; then cat $f; "
	    "else ls -ld $f | cut -c1; fi; done", dir), 0);
	return out;
}

/* add_users - users from..to-1, migrated, at the end of the scenario's
 * LDIF */
static void
add_users(const struct scenario *s, int from, int to)
{
	char *out = NULL;

	ck_assert_msg(testlib_sh(&out, "i=%d; while [ $i -lt %d ]; do "
	    "printf '\\ndn: uid=u%%d,ou=people,dc=example,dc=com\\n"
	    "objectClass: inetOrgPerson\\nobjectClass: splitsyncMailUser\\n"
	    "uid: u%%d\\ncn: U\\nsn: U\\nmail: user.number.%%d@example.com"
	    "\\n' $i $i $i; i=$((i+1)); done >> '%s/directory.ldif'", from,
	    to, s->dir) == 0, "%s", out);
	free(out);
}

/* A render that fails midway leaves every table as it was, and no
 * temp file: never transport new and virtual_alias old. */
START_TEST(failed_render_leaves_the_tables_as_they_were)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	rc = testlib_sh(&out, "'%s' render -c '%s' -o '%s'", testlib_bin(),
	    s.conf, s.tables);
	ck_assert_msg(rc == 0, "%s", out);
	free(out);
	add_users(&s, 0, 3);

	/* A later table's name is taken by a directory: its rename would
	 * fail after the earlier tables were replaced. */
	ck_assert_int_eq(testlib_sh(&out, "rm '%s/virtual_alias' && mkdir "
	    "'%s/virtual_alias'", s.tables, s.tables), 0);
	free(out);
	before = tables_snapshot(s.tables);
	rc = testlib_sh(&out, "'%s' render -c '%s' -o '%s'", testlib_bin(),
	    s.conf, s.tables);
	ck_assert_msg(rc == 73, "expected 73, got %d: %s", rc, out);
	ck_assert_msg(strstr(out, "virtual_alias: not a regular file") !=
	    NULL, "%s", out);
	free(out);
	after = tables_snapshot(s.tables);
	ck_assert_msg(strcmp(before, after) == 0, "tables changed:\n%s\n"
	    "---\n%s", before, after);
	free(before);
	free(after);

	/* The disk fills up while transport, the second table, is
	 * written, after master_relay_transport, which changes too (a
	 * file size limit stands in for the full disk). */
	ck_assert_int_eq(testlib_sh(&out, "rmdir '%s/virtual_alias' && '%s' "
	    "render -c '%s' -o '%s'", s.tables, testlib_bin(), s.conf,
	    s.tables), 0);
	free(out);
	add_users(&s, 3, 403);
	ck_assert_int_eq(testlib_sh(&out, "sed -i 's/^splitsyncRelay: .*/"
	    "splitsyncRelay: legacy2.example.com/' '%s/directory.ldif'",
	    s.dir), 0);
	free(out);
	before = tables_snapshot(s.tables);
	ck_assert_msg(strlen(before) < 8192, "%s", before);
	rc = testlib_sh(&out, "trap '' XFSZ; ulimit -f 16 && '%s' render -c "
	    "'%s' -o '%s'", testlib_bin(), s.conf, s.tables);
	ck_assert_msg(rc == 73, "expected 73, got %d: %s", rc, out);
	ck_assert_msg(strstr(out, "transport: cannot write") != NULL, "%s",
	    out);
	free(out);
	after = tables_snapshot(s.tables);
	ck_assert_msg(strcmp(before, after) == 0, "tables changed:\n%s\n"
	    "---\n%s", before, after);
	free(before);
	free(after);

	/* Once the cause is gone, every table is new. */
	rc = testlib_sh(&out, "'%s' render -c '%s' -o '%s' && grep -c "
	    "user.number '%s/transport'", testlib_bin(), s.conf, s.tables,
	    s.tables);
	ck_assert_msg(rc == 0 && strstr(out, "403\n") != NULL, "%s", out);
	free(out);
	scenario_free(&s);
}
END_TEST

/* big_entry - an entry uid=NAME with n addresses PREFIX0@DOMAIN... at
 * the end of the scenario's LDIF */
static void
big_entry(const struct scenario *s, const char *name, int n,
    const char *prefix, const char *domain)
{
	char *out = NULL;

	ck_assert_msg(testlib_sh(&out, "awk -v n=%d 'BEGIN { printf \"\\ndn: "
	    "uid=%s,ou=people,dc=example,dc=com\\nobjectClass: inetOrgPerson"
	    "\\nobjectClass: splitsyncMailUser\\nuid: %s\\ncn: %s\\nsn: %s"
	    "\\n\"; for (i = 0; i < n; i++) printf \"mail: %s%%d@%s\\n\", i "
	    "}' >> '%s/directory.ldif'", n, name, name, name, name, prefix,
	    domain, s->dir) == 0, "%s", out);
	free(out);
}

/* count - occurrences of needle in text */
static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)) != NULL; text += strlen(needle))
		n++;
	return n;
}

/* One entry claiming 5000 addresses someone else has, another with 3000
 * refused values (and so no usable address): a few lines each in the
 * log, every run, and a commit message with conflicts capped like route
 * changes. */
START_TEST(thousands_of_problems_make_a_few_lines)
{
	struct scenario s;
	char *out = NULL, *msg = NULL;
	int rc, run;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", "max_addresses_per_entry = 10000\n");
	big_entry(&s, "owner", 5000, "c", "example.com");
	big_entry(&s, "zcopycat", 5000, "c", "example.com");
	big_entry(&s, "typos", 3000, "t", "elsewhere.test");
	for (run = 0; run < 2; run++) {
		rc = testlib_sh(&out, "'%s' resync -c '%s' 2>&1 >/dev/null",
		    testlib_bin(), s.conf);
		ck_assert_msg(rc == 0, "%s", out);
		/* mallory's conflict, and five of zcopycat's */
		ck_assert_msg(count(out, "is already routed for") == 6, "%s",
		    out);
		ck_assert_msg(strstr(out, "warning: uid=zcopycat,ou=people,"
		    "dc=example,dc=com: 4995 more conflicts of this entry not "
		    "logged (splitsync check lists them)") != NULL, "%s", out);
		ck_assert_msg(count(out, "typos,ou=people,dc=example,dc=com: "
		    "address \"t") == 5, "%s", out);
		ck_assert_msg(strstr(out, "warning: uid=typos,ou=people,"
		    "dc=example,dc=com: 2996 more refused values of this entry "
		    "not logged") != NULL, "%s", out);
		ck_assert_msg(count(out, "\n") < 30, "%s", out);
		free(out);
	}
	rc = testlib_sh(&msg, "git --git-dir='%s' log -1 --format=%%B main",
	    s.repo);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(count(msg, "\n! ") == 1000, "%zu conflict lines",
	    count(msg, "\n! "));
	ck_assert_msg(strstr(msg, "\n... and 4001 more conflicts\n") != NULL,
	    "%s", strstr(msg, "Conflicts") ? strstr(msg, "Conflicts") : msg);
	ck_assert_msg(strstr(msg, "\n... and ") != NULL &&
	    strstr(msg, " more changes\n") != NULL, "route changes not capped");
	ck_assert_msg(strstr(msg, "Splitsync-Conflicts: 5001\n") != NULL &&
	    strstr(msg, "Splitsync-Rejected: 3003\n") != NULL, "%s",
	    strstr(msg, "Splitsync-Source") ? strstr(msg, "Splitsync-Source") :
	    msg);
	ck_assert_msg(strlen(msg) < 300000, "message of %zu bytes",
	    strlen(msg));
	free(msg);
	scenario_free(&s);
}
END_TEST

/* The default cap: an entry routes its first 1000 addresses, the rest
 * are refused in one line. */
START_TEST(an_entry_routes_at_most_1000_addresses)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	scenario_new(&s, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	big_entry(&s, "many", 1200, "m", "example.com");
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "%s", out);
	ck_assert_msg(count(out, "uid=many,") == 1, "%s", out);
	ck_assert_msg(strstr(out, "warning: uid=many,ou=people,dc=example,"
	    "dc=com: 200 of its 1200 addresses refused (from "
	    "\"m1000@example.com\" on): more than max_addresses_per_entry = "
	    "1000; the first 1000 are routed") != NULL, "%s", out);
	free(out);
	rc = testlib_sh(&out, "git --git-dir='%s' log -1 --format=%%B main",
	    s.repo);
	ck_assert_msg(strstr(out, "Splitsync-Rejected: 202\n") != NULL, "%s",
	    out);
	free(out);
	scenario_extract(&s, bluemind_tables);
	scenario_expect(&s, "virtual_mailbox", "m0@example.com", "OK");
	scenario_expect(&s, "virtual_alias", "m999@example.com",
	    "m0@example.com");
	scenario_expect(&s, "virtual_alias", "m1000@example.com", NULL);
	scenario_free(&s);
}
END_TEST

/* --- against a real slapd ------------------------------------------- */

static struct slapd sd;
static char ldap_ldif[512];

static void
slapd_setup(void)
{
	memset(&sd, 0, sizeof sd);
	ck_assert_msg(slapd_start(&sd, NULL) == 0, "slapd: %s", sd.output);
	ck_assert_msg(slapd_load(&sd, SLAPD_BASE_LDIF) == 0, "%s", sd.output);
	snprintf(ldap_ldif, sizeof ldap_ldif, "%s/quickstart.ldif", sd.dir);
	scenario_without_base(QUICKSTART "/directory.ldif", ldap_ldif);
	ck_assert_msg(slapd_load(&sd, ldap_ldif) == 0, "%s", sd.output);
}

static void
slapd_teardown(void)
{
	slapd_cleanup(&sd);
}

/* ldap_scratch - scratch area whose config reads sd over uri */
static void
ldap_scratch(struct scenario *s, const char *uri, const char *bind)
{
	char *extra;

	ck_assert_int_ne(asprintf(&extra, "source = ldap\nldap_uri = %s\n"
	    "ldap_base = %s\nldap_network_timeout = 2\nldap_timeout = 10\n%s",
	    uri, sd.base, bind), -1);
	scenario_new(s, QUICKSTART "/mapping.xml", NULL, extra);
	free(extra);
}

START_TEST(ldap_resync_master_slave_groups_partial)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	ldap_scratch(&s, sd.ldapi_uri, "ldap_sasl_mech = EXTERNAL\n");
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "resync: %s", out);
	free(out);
	expect_quickstart_bluemind(&s);
	rc = testlib_sh(&out, "git --git-dir='%s' log -1 --format=%%B main",
	    s.repo);
	ck_assert_msg(strstr(out, "Splitsync-Source: ldapi://") != NULL, "%s",
	    out);
	free(out);
	scenario_free(&s);
}
END_TEST

START_TEST(ldap_same_tables_as_ldif)
{
	struct scenario a, b;
	char *out = NULL;
	int rc;

	ldap_scratch(&a, sd.ldapi_uri, "ldap_sasl_mech = EXTERNAL\n");
	scenario_new(&b, QUICKSTART "/mapping.xml", QUICKSTART
	    "/directory.ldif", NULL);
	ck_assert_int_eq(testlib_sh(&out, "'%s' render -c '%s' -o '%s' && "
	    "'%s' render -c '%s' -o '%s'", testlib_bin(), a.conf, a.tables,
	    testlib_bin(), b.conf, b.tables), 0);
	free(out);
	rc = testlib_sh(&out, "diff -r '%s' '%s'", a.tables, b.tables);
	ck_assert_msg(rc == 0, "LDAP and LDIF disagree:\n%s", out);
	free(out);
	scenario_free(&a);
	scenario_free(&b);
}
END_TEST

/* An attribute with options beside the plain one, as slapd keeps it
 * (language tags): every address of each reaches the tables. */
START_TEST(ldap_every_attribute_of_a_base_name)
{
	struct scenario s;
	char *out = NULL;
	int rc;

	ck_assert_msg(slapd_modify(&sd,
	    "dn: uid=zoe,ou=people,dc=example,dc=com\n"
	    "changetype: add\n"
	    "objectClass: inetOrgPerson\n"
	    "objectClass: splitsyncMailUser\n"
	    "uid: zoe\ncn: Zoe\nsn: Zoe\n"
	    "mail: zoe@example.com\n"
	    "mail;lang-de: zoe.de@example.com\n"
	    "mailAlternateAddress;lang-fr: zoe.fr@example.com\n"
	    "mailAlternateAddress: zoe.alt@example.com\n") == 0, "%s",
	    sd.output);
	ldap_scratch(&s, sd.ldapi_uri, "ldap_sasl_mech = EXTERNAL\n");
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "resync: %s", out);
	free(out);
	scenario_extract(&s, bluemind_tables);
	scenario_expect(&s, "virtual_mailbox", "zoe@example.com", "OK");
	scenario_expect(&s, "transport", "zoe@example.com", LOCAL);
	scenario_expect(&s, "virtual_alias", "zoe.de@example.com",
	    "zoe@example.com");
	scenario_expect(&s, "virtual_alias", "zoe.fr@example.com",
	    "zoe@example.com");
	scenario_expect(&s, "virtual_alias", "zoe.alt@example.com",
	    "zoe@example.com");
	scenario_free(&s);
}
END_TEST

START_TEST(ldap_password_bind_and_failures)
{
	struct scenario s;
	char *out = NULL, *bind, *before;
	int rc;

	/* A good password file: commits. */
	ck_assert_int_ne(asprintf(&bind, "ldap_bind_dn = %s\n"
	    "ldap_bind_password_file = password\n", sd.root_dn), -1);
	ldap_scratch(&s, sd.ldap_uri, bind);
	free(bind);
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && umask 077 && "
	    "printf '%%s\\n' '%s' > password", s.dir, sd.root_pw), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 0, "resync: %s", out);
	ck_assert_msg(strstr(out, sd.root_pw) == NULL, "password logged");
	free(out);
	before = scenario_head(&s);

	/* Readable by others: refused before any connection. */
	ck_assert_int_eq(testlib_sh(&out, "chmod 644 '%s/password'", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 78, "world-readable password: %d %s", rc, out);
	free(out);

	/* Wrong password: 77, and the branch stays. */
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && rm password && umask 077 "
	    "&& echo wrong-password > password", s.dir), 0);
	free(out);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 77, "wrong password: %d %s", rc, out);
	ck_assert_msg(strstr(out, "wrong-password") == NULL, "password logged");
	free(out);
	out = scenario_head(&s);
	ck_assert_str_eq(before, out);
	free(out);
	free(before);
	scenario_free(&s);
}
END_TEST

/* has - out holds needle; the message shows both */
static void
has(const char *out, const char *needle, int want)
{
	ck_assert_msg((strstr(out, needle) != NULL) == want, "%s \"%s\" in:\n"
	    "%s", want ? "no" : "unexpected", needle, out);
}

/* -v and --log-level debug say where the agent connects, as whom, what
 * it asks and what it got, never the password. */
START_TEST(ldap_verbose_log_says_what_it_does)
{
	static const char *const levels[] = { "", "-v", "--log-level debug" };
	struct scenario s;
	char *out = NULL, *bind, *line;
	size_t i;
	int rc;

	ck_assert_int_ne(asprintf(&bind, "ldap_bind_dn = %s\n"
	    "ldap_bind_password_file = password\n", sd.reader_dn), -1);
	ldap_scratch(&s, sd.ldap_uri, bind);
	free(bind);
	ck_assert_int_eq(testlib_sh(&out, "cd '%s' && umask 077 && "
	    "printf '%%s\\n' '%s' > password", s.dir, sd.reader_pw), 0);
	free(out);
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		rc = testlib_sh(&out, "rm -rf '%s' && '%s' %s resync -c '%s'",
		    s.repo, testlib_bin(), levels[i], s.conf);
		ck_assert_msg(rc == 0, "%s: %s", levels[i], out);
		has(out, sd.reader_pw, 0);
		ck_assert_int_ne(asprintf(&line, "info: ldap_source: %s: "
		    "connected, bound as %s (simple bind, no TLS)",
		    sd.ldap_uri, sd.reader_dn), -1);
		has(out, line, i > 0);
		free(line);
		ck_assert_int_ne(asprintf(&line, "info: ldap_source: %s: "
		    "searching under %s (subtree), filter (|(objectClass="
		    "splitsyncDomain)(objectClass=groupOfNames)(&(objectClass="
		    "inetOrgPerson)(mail=*))), attributes objectClass "
		    "entryUUID associatedDomain", sd.ldap_uri, sd.base), -1);
		has(out, line, i > 0);
		free(line);
		has(out, " mail mailAlternateAddress ", i > 0);
		ck_assert_int_ne(asprintf(&line, "info: ldap_source: %s: "
		    "search under %s done: 10 entries in 1 pages, ",
		    sd.ldap_uri, sd.base), -1);
		has(out, line, i > 0);
		free(line);
		has(out, "info: job: source: 10 entries read in ", i > 0);
		/* the detail only in debug */
		has(out, ": connecting (network timeout 2 s)", i == 2);
		has(out, ": page 1: 10 entries", i == 2);
		free(out);
	}
	scenario_free(&s);
}
END_TEST

START_TEST(ldap_unreachable_keeps_last_commit)
{
	struct scenario s;
	char *out = NULL, *before, *after;
	int rc;

	ldap_scratch(&s, sd.ldapi_uri, "ldap_sasl_mech = EXTERNAL\n");
	ck_assert_int_eq(testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(),
	    s.conf), 0);
	free(out);
	before = scenario_head(&s);
	ck_assert_int_eq(slapd_stop(&sd), 0);
	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s.conf);
	ck_assert_msg(rc == 69, "unreachable: %d %s", rc, out);
	ck_assert_msg(strstr(out, "cannot connect") != NULL ||
	    strstr(out, "unavailable") != NULL, "%s", out);
	free(out);
	after = scenario_head(&s);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	scenario_free(&s);
}
END_TEST

static Suite *
resync_suite(void)
{
	Suite *s = suite_create("resync");
	TCase *tc = tcase_create("ldif");
	TCase *tl = tcase_create("ldap");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, quickstart_resync_commits_routes);
	tcase_add_test(tc, change_is_committed_route_by_route);
	tcase_add_test(tc, malformed_ldif_keeps_last_commit);
	tcase_add_test(tc, invalid_mapping_keeps_last_commit);
	tcase_add_test(tc, empty_directory_is_held);
	tcase_add_test(tc, input_files_have_their_exit_status);
	tcase_add_test(tc, locked_branch_is_try_again);
	tcase_add_test(tc, locked_hold_branch_is_try_again);
	tcase_add_test(tc, hostile_values_never_reach_a_table);
	tcase_add_test(tc, render_and_gateway_layout);
	tcase_add_test(tc, failed_render_leaves_the_tables_as_they_were);
	tcase_add_test(tc, thousands_of_problems_make_a_few_lines);
	tcase_add_test(tc, an_entry_routes_at_most_1000_addresses);
	tcase_add_test(tc, switching_table_shards_changes_no_route);
	tcase_add_test(tc, dry_run_says_what_the_guard_would_do);
	tcase_add_test(tc, dry_run_creates_no_repository);
	tcase_add_test(tc, failed_first_resync_creates_no_repository);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tl, 120);
	tcase_add_checked_fixture(tl, slapd_setup, slapd_teardown);
	tcase_add_test(tl, ldap_resync_master_slave_groups_partial);
	tcase_add_test(tl, ldap_same_tables_as_ldif);
	tcase_add_test(tl, ldap_password_bind_and_failures);
	tcase_add_test(tl, ldap_every_attribute_of_a_base_name);
	tcase_add_test(tl, ldap_unreachable_keeps_last_commit);
	tcase_add_test(tl, ldap_verbose_log_says_what_it_does);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	return testlib_main(resync_suite());
}
