/*
 * check_deploy - examples/postfix-deploy/splitsync-deploy, the MTA side
 *
 * Each test works in its own temp directory (tests/dfx.c): a bare
 * "upstream" repository and a work tree built with git commands from the
 * data sets of tests/data/deploy (c1: the BlueMind layout tables and a
 * .splitsync/ route listing; c2: bob migrated, one transport line
 * changed; gateway: the gateway layout), a Postfix configuration
 * directory with an empty main.cf, and SPLITSYNC_DEPLOY_RELOAD set to a
 * command that appends a line to a file, so reloads are counted.
 * Deployed tables are read back with Postfix's own postmap -q; a host
 * without postmap fails the suite.
 *
 * The sharded-layout tests commit with splitsync itself (SPLITSYNC_BIN):
 * resync of tests/data/deploy/splitsync (the quickstart directory, plus
 * generated users) with table_shards = 0, 16 or 256, and compare the
 * deployed tables with those of splitsync render -o, byte for byte.
 *
 * Commits that try to install something else than the tables of the
 * layout, or rows splitsync would never write, are in
 * check_deploy_hostile.
 *
 * DIAGNOSTICS
 *	Check's summary; a failed assertion names the command, its exit
 *	status and output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfx.h"
#include "testlib.h"

/* the nexthops of the data sets */
#define LEGACY DFX_LEGACY
#define CORE DFX_CORE

START_TEST(test_first_deploy)
{
	struct dfx f;
	char c1[65], *out = NULL, *text, *want;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "deployed", "transport",
	    NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_query(&f, "transport", "alice@example.com", CORE);
	dfx_expect_query(&f, "transport", "nobody@example.com", NULL);
	dfx_expect_query(&f, "virtual_domains", "example.net", "OK");
	dfx_expect_query(&f, "virtual_mailbox", "@example.org", "OK");
	dfx_expect_query(&f, "virtual_alias", "alice.martin@example.com",
	    "alice@example.com");
	dfx_expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_expect_deployed(&f, c1);
	/* the text next to each .db is the committed one */
	text = dfx_text(&f, "tables/transport");
	want = testlib_read(DFX_DATA "/c1/transport", NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	want[strlen(want) - 1] = '\0';
	ck_assert_str_eq(text, want);
	free(text);
	free(want);
	/* the route listing is not a table */
	ck_assert(!dfx_exists(&f, "tables/.splitsync"));
	ck_assert(!dfx_exists(&f, "tables/routes"));
	ck_assert(!dfx_exists(&f, "tables/routes.db"));
	dfx_expect_no_temp(&f);

	/* nothing new: quiet, no reload */
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(out == NULL || *out == '\0', "not quiet: %s", out);
	free(out);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_expect_deployed(&f, c1);
	dfx_free(&f);
}
END_TEST

#define ROUTES3 "bob@example.com\tinternal\t" CORE "\t\tuid=bob\n"

START_TEST(test_update)
{
	struct dfx f;
	char c1[65], c2[65], c3[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_deploy_ok(&f, "");
	dfx_stage(&f, "c1 c2");
	dfx_commit(&f, "c2", c2);
	/* -q: nothing said when all goes well */
	rc = dfx_deploy(&f, &out, "", "-q");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(out == NULL || *out == '\0', "-q said: %s", out);
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	dfx_expect_query(&f, "transport", "alice@example.com", CORE);
	dfx_expect_query(&f, "virtual_mailbox", "bob@example.com", "OK");
	ck_assert_int_eq(dfx_reloads(&f), 2);
	dfx_expect_deployed(&f, c2);
	dfx_expect_no_temp(&f);
	/* a commit that changes no table: recorded, no reload */
	dfx_stage(&f, "c1 c2");
	dfx_put(&f, ".splitsync/routes", ROUTES3, sizeof ROUTES3 - 1);
	dfx_commit(&f, "routes only", c3);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	dfx_expect_deployed(&f, c3);
	ck_assert_int_eq(dfx_reloads(&f), 2);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	dfx_expect_no_temp(&f);
	/* -f rebuilds and reloads all the same: a repair */
	dfx_ok(&f, "rm tables/transport.db");
	rc = dfx_deploy(&f, &out, "", "-u -f main");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(dfx_reloads(&f), 3);
	dfx_free(&f);
}
END_TEST

struct corrupt {
	const char *table;
	const char *text;
	size_t len;             /* 0: strlen(text) */
	const char *where;      /* table:line the message must name */
	const char *why;
};

#define MB2 "@example.org OK\nalice@example.com OK\n"
#define TR1 "alice@example.com " CORE "\n"
#define TRNUL TR1 "bob@example.com smtp:[legacy\0]:25\n"
/* commit 3's good change, which a refused commit must not bring */
#define ALIAS3 "@example.net @example.com\nrobert@example.com bob@example.com\n"

static const struct corrupt corrupt[] = {
	{ "virtual_mailbox", MB2 "erin@example.com\n", 0,
	    "virtual_mailbox:3:", "key without value" },
	{ "transport", TR1 "bob@example.com smtp:[legacy\001.example.com]:25\n",
	    0, "transport:2:", "control character" },
	{ "transport", TR1 "bob@example.com\t" LEGACY "\n", 0, "transport:2:",
	    "control character" },
	{ "transport", TR1 "bob@example.com " LEGACY "\r\n", 0,
	    "transport:2:", "carriage return" },
	{ "transport", TRNUL, sizeof TRNUL - 1, "transport:2:",
	    "control character" },
	{ "virtual_mailbox", MB2 " OK\n", 0, "virtual_mailbox:3:",
	    "empty key" },
	{ "virtual_mailbox", MB2 "erin@example.com \n", 0,
	    "virtual_mailbox:3:", "empty value" },
	{ "virtual_mailbox", MB2 "\nerin@example.com OK\n", 0,
	    "virtual_mailbox:3:", "empty line" },
	{ "virtual_mailbox", MB2 "#erin@example.com OK\n", 0,
	    "virtual_mailbox:3:", "#" },
	{ "transport", TR1 "bob@example.com smtp:[a]:25 smtp:[b]:25\n", 0,
	    "transport:2:", "more than one space" },
	{ "transport", TR1 "Alice@Example.com " LEGACY "\n", 0,
	    "transport:2:", "duplicate key (first at line 1)" },
	{ "virtual_domains", "example.com OK\nexample.org OK", 0,
	    "virtual_domains:2:", "no newline at end of file" },
};
#define NCORRUPT (sizeof corrupt / sizeof corrupt[0])

START_TEST(test_corrupt)
{
	/* one upstream for every case: each bad commit descends from the
	 * previous one, so only its bad line can be the reason to refuse */
	struct dfx f;
	char c1[65], c2[65], c3[65], *out = NULL, *before, *after;
	size_t i;
	int rc;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	before = dfx_text(&f, "tables/virtual_alias");
	ck_assert_ptr_nonnull(before);
	for (i = 0; i < NCORRUPT; i++) {
		const struct corrupt *c = &corrupt[i];

		/* a good change in one table, a bad line in another */
		dfx_stage(&f, "c1 c2");
		dfx_put(&f, "virtual_alias", ALIAS3, sizeof ALIAS3 - 1);
		dfx_put(&f, c->table, c->text,
		    c->len ? c->len : strlen(c->text));
		dfx_commit(&f, "c3", c3);
		rc = dfx_deploy(&f, &out, "", "");
		ck_assert_msg(rc == DFX_REFUSED, "case %zu: exit %d: %s", i, rc,
		    out ? out : "");
		dfx_expect_has(out, (const char *const[]){ c->where, c->why,
		    "nothing deployed", NULL });
		free(out);
		/* the tables of commit 2, untouched */
		dfx_expect_query(&f, "transport", "bob@example.com", CORE);
		dfx_expect_query(&f, "transport", "alice@example.com", CORE);
		dfx_expect_query(&f, "virtual_alias", "robert@example.com",
		    NULL);
		dfx_expect_query(&f, "virtual_mailbox", "bob@example.com",
		    "OK");
		dfx_expect_query(&f, "virtual_domains", "example.org", "OK");
		after = dfx_text(&f, "tables/virtual_alias");
		ck_assert_ptr_nonnull(after);
		ck_assert_msg(strcmp(after, before) == 0, "case %zu: %s", i,
		    after);
		free(after);
		dfx_expect_no_temp(&f);
		dfx_expect_deployed(&f, c2);
		ck_assert_int_eq(dfx_reloads(&f), 2);
	}
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_non_fast_forward)
{
	/* 0: upstream reset to commit 1, then a new commit; 1: a commit
	 * with no history in common */
	struct dfx f;
	char c1[65], c2[65], c3[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	if (_i == 0)
		dfx_ok(&f, "git -C work reset -q --hard HEAD~1");
	else
		dfx_ok(&f, "git -C work checkout -q --orphan other");
	dfx_stage(&f, "c1");
	dfx_put(&f, "virtual_alias", ALIAS3, sizeof ALIAS3 - 1);
	dfx_commit(&f, "rewritten", c3);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "refused",
	    "does not descend from the deployed commit", "nothing deployed",
	    NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	dfx_expect_query(&f, "virtual_alias", "robert@example.com", NULL);
	dfx_expect_deployed(&f, c2);
	ck_assert_int_eq(dfx_reloads(&f), 2);
	/* a dry run says the same */
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_int_eq(rc, DFX_REFUSED);
	free(out);
	/* taken on purpose: -f COMMIT -u */
	rc = dfx_deploy(&f, &out, "", "-u -f main");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_query(&f, "virtual_alias", "robert@example.com",
	    "bob@example.com");
	dfx_expect_deployed(&f, c3);
	ck_assert(!dfx_exists(&f, "state/held"));
	dfx_free(&f);
}
END_TEST

START_TEST(test_rollback)
{
	struct dfx f;
	char c1[65], c2[65], args[128], *out = NULL, *held;
	int rc;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	snprintf(args, sizeof args, "-f %s", c1);
	rc = dfx_deploy(&f, &out, "", args);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "held", NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 3);
	held = dfx_text(&f, "state/held");
	ck_assert_ptr_nonnull(held);
	ck_assert_str_eq(held, c1);
	free(held);
	/* held: the branch, a fast-forward from c1, is not followed */
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "held", "-u", NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 3);
	/* -u: follow the branch again */
	dfx_deploy_ok(&f, "-u");
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	dfx_expect_deployed(&f, c2);
	ck_assert(!dfx_exists(&f, "state/held"));
	ck_assert_int_eq(dfx_reloads(&f), 4);
	dfx_free(&f);
}
END_TEST

START_TEST(test_force_validates)
{
	struct dfx f;
	char c1[65], c2[65], args[128], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_deploy_ok(&f, "");
	dfx_stage(&f, "c1 c2");
	dfx_put(&f, "virtual_mailbox", MB2 "erin@example.com\n",
	    strlen(MB2 "erin@example.com\n"));
	dfx_commit(&f, "bad", c2);
	snprintf(args, sizeof args, "-f %s", c2);
	rc = dfx_deploy(&f, &out, "", args);
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "virtual_mailbox:3:",
	    NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_deployed(&f, c1);
	ck_assert(!dfx_exists(&f, "state/held"));
	/* a commit the mirror does not know */
	rc = dfx_deploy(&f, &out, "", "-f 0123456789abcdef");
	ck_assert_msg(rc == DFX_USAGE, "exit %d: %s", rc, out ? out : "");
	free(out);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_dry_run)
{
	struct dfx f;
	char c1[65], c2[65], *out = NULL, *text, *want;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	/* before the first deploy */
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "would deploy", c1,
	    "transport: new", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables"));
	dfx_expect_deployed(&f, NULL);
	ck_assert_int_eq(dfx_reloads(&f), 0);
	dfx_deploy_ok(&f, "");
	dfx_stage(&f, "c1 c2");
	dfx_commit(&f, "c2", c2);
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "would deploy", c2, c1,
	    "transport | 2 +-", "transport: changed",
	    "virtual_mailbox: unchanged", NULL });
	free(out);
	/* nothing changed */
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	text = dfx_text(&f, "tables/transport");
	want = testlib_read(DFX_DATA "/c1/transport", NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	want[strlen(want) - 1] = '\0';
	ck_assert_str_eq(text, want);
	free(text);
	free(want);
	dfx_expect_no_temp(&f);
	/* then the real run */
	dfx_deploy_ok(&f, "");
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_int_eq(rc, 0);
	dfx_expect_has(out, (const char *const[]){ "nothing to deploy", NULL });
	free(out);
	dfx_free(&f);
}
END_TEST

START_TEST(test_removed_table)
{
	/* a table removed upstream is kept, with a warning: main.cf may
	 * still name it, and a missing map stops Postfix routing mail */
	struct dfx f;
	char c1[65], c2[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_deploy_ok(&f, "");
	dfx_stage(&f, "c1 c2");
	dfx_ok(&f, "rm work/master_relay_transport");
	dfx_commit(&f, "c2", c2);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "warning",
	    "master_relay_transport", "kept", NULL });
	free(out);
	dfx_expect_deployed(&f, c2);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	dfx_expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	dfx_free(&f);
}
END_TEST

START_TEST(test_table_list)
{
	struct dfx f;
	char c1[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_ok(&f, "rm work/virtual_alias");
	dfx_commit(&f, "c1", c1);
	/* a table the commit lacks: refused */
	rc = dfx_deploy(&f, &out, "", "-t 'transport virtual_alias'");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "virtual_alias: refused: "
	    "no such table", NULL });
	free(out);
	/* a table of another layout: a usage error */
	rc = dfx_deploy(&f, &out, "", "-t 'transport relay_recipients'");
	ck_assert_msg(rc == DFX_USAGE, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "relay_recipients: not a "
	    "table of the bluemind layout", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables/transport"));
	dfx_expect_deployed(&f, NULL);
	dfx_deploy_ok(&f, "-t 'transport virtual_domains'");
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_query(&f, "virtual_domains", "example.com", "OK");
	ck_assert(!dfx_exists(&f, "tables/virtual_mailbox"));
	ck_assert(!dfx_exists(&f, "tables/virtual_mailbox.db"));
	dfx_expect_deployed(&f, c1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_gateway)
{
	struct dfx f;
	char c1[65];

	dfx_init(&f);
	dfx_stage(&f, "gateway");
	dfx_commit(&f, "gateway", c1);
	dfx_deploy_ok(&f, "-l gateway");
	dfx_expect_query(&f, "relay_domains", "example.org", "OK");
	dfx_expect_query(&f, "relay_recipients", "alice@example.com", "OK");
	dfx_expect_query(&f, "relay_recipients", "nobody@example.com", NULL);
	dfx_expect_query(&f, "transport", "example.org", LEGACY);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	ck_assert(!dfx_exists(&f, "tables/virtual_mailbox"));
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_postmap_fails)
{
	/* postmap fails on the last table: the ones already built are not
	 * installed either */
	struct dfx f;
	char c1[65], c2[65], *out = NULL, *real = NULL, wrapper[8192];
	int rc, n;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_deploy_ok(&f, "");
	dfx_stage(&f, "c1 c2");
	dfx_commit(&f, "c2", c2);
	rc = dfx_sh(&f, &real, "command -v postmap");
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(real);
	real[strcspn(real, "\n")] = '\0';
	n = snprintf(wrapper, sizeof wrapper, "#!/bin/sh\n"
	    "case \"$*\" in *virtual_mailbox*) "
	    "echo 'postmap: fatal: test: no space left' >&2; exit 1 ;; esac\n"
	    "exec '%s' \"$@\"\n", real);
	ck_assert(n > 0 && (size_t)n < sizeof wrapper);
	free(real);
	dfx_ok(&f, "mkdir bin");
	dfx_put(&f, "../bin/postmap", wrapper, strlen(wrapper));
	dfx_ok(&f, "chmod 755 bin/postmap");
	rc = dfx_deploy(&f, &out, "PATH=\"$PWD/bin:$PATH\"", "");
	ck_assert_msg(rc == DFX_CANTWRITE, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "postmap virtual_mailbox",
	    "no space left", "nothing deployed", NULL });
	free(out);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_no_temp(&f);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_lock)
{
	struct dfx f;
	char c1[65], *out = NULL, *flock = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_ok(&f, "mkdir state");
	if (dfx_sh(&f, &flock, "command -v flock") == 0) {
		rc = dfx_deploy(&f, &out, "flock \"$PWD/state/lock\"", "");
	} else {
		/* no flock: the script falls back to a lock directory */
		char cmd[128];

		snprintf(cmd, sizeof cmd, "mkdir state/lock.d && "
		    "echo %ld > state/lock.d/pid", (long)getpid());
		dfx_ok(&f, cmd);
		rc = dfx_deploy(&f, &out, "", "");
	}
	free(flock);
	ck_assert_msg(rc == DFX_LOCKED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "state/lock",
	    "another run is in progress", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables"));
	dfx_expect_deployed(&f, NULL);
	ck_assert_int_eq(dfx_reloads(&f), 0);
	dfx_free(&f);
}
END_TEST

START_TEST(test_leftovers)
{
	/* temp files of an interrupted run are removed by the next one */
	struct dfx f;
	char c1[65];

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_deploy_ok(&f, "");
	dfx_ok(&f, ": > tables/." DFX_TMP_MARK ".1.transport && "
	    ": > tables/." DFX_TMP_MARK ".1.transport.db && "
	    ": > state/." DFX_TMP_MARK ".1.deployed");
	dfx_deploy_ok(&f, "");
	dfx_expect_no_temp(&f);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_reload)
{
	struct dfx f;
	char c1[65], c2[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	/* the real command, Postfix not running: said, not a failure */
	dfx_ok(&f, "mkdir bin && printf '%s\\n' '#!/bin/sh' "
	    "'case \"$*\" in *reload*) echo \"postfix/postfix-script: fatal: "
	    "the Postfix mail system is not running\" >&2; exit 1 ;; "
	    "*status*) exit 1 ;; esac' 'exit 0' > bin/postfix && "
	    "chmod 755 bin/postfix");
	rc = dfx_deploy(&f, &out, "unset SPLITSYNC_DEPLOY_RELOAD; "
	    "PATH=\"$PWD/bin:$PATH\"", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "not running", NULL });
	free(out);
	dfx_expect_deployed(&f, c1);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	/* a reload that fails: reported; the tables stay deployed */
	dfx_stage(&f, "c1 c2");
	dfx_commit(&f, "c2", c2);
	rc = dfx_deploy(&f, &out, "SPLITSYNC_DEPLOY_RELOAD=false", "");
	ck_assert_msg(rc == DFX_UNAVAIL, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "reload", "deployed",
	    NULL });
	free(out);
	dfx_expect_deployed(&f, c2);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(dfx_reloads(&f), 0);
	dfx_free(&f);
}
END_TEST

struct usage_case {
	const char *args;
	const char *why;
};

static const struct usage_case usage_cases[] = {
	{ "", "-r REPO_URL is required" },
	{ "-r up.git -x", "usage:" },
	{ "-r up.git extra", "unexpected argument" },
	{ "-r up.git -t 'transport ../x'", "not a table name" },
	{ "-r up.git -t 'transport.db'", "not a table name" },
	{ "-r up.git -t ' '", "no table named" },
	{ "-r up.git -t 'transport transport'", "named twice" },
	{ "-r up.git -b 'a..b'", "not a branch name" },
	{ "-r -oops", "not a repository URL" },
	{ "-r up.git -f -x", "not a commit" },
};
#define NUSAGE (sizeof usage_cases / sizeof usage_cases[0])

START_TEST(test_usage)
{
	const struct usage_case *u = &usage_cases[_i];
	struct dfx f;
	char *out = NULL;
	int rc;

	dfx_init_dir(&f);
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -d \"$PWD/tables\" "
	    "-s \"$PWD/state\" -c \"$PWD/conf\" %s", f.top, u->args);
	ck_assert_msg(rc == DFX_USAGE, "%s: exit %d: %s", u->args, rc,
	    out ? out : "");
	dfx_expect_has(out, (const char *const[]){ u->why, NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "state"));
	ck_assert(!dfx_exists(&f, "tables"));
	dfx_free(&f);
}
END_TEST

START_TEST(test_lint)
{
	/* the shell parses it; shellcheck, where installed, finds nothing;
	 * the units pass systemd-analyze verify, where installed, with
	 * ExecStart pointing at the script of this tree */
	struct dfx f;
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "sh -n " DFX_SCRIPT);
	ck_assert_msg(rc == 0, "sh -n: %s", out ? out : "");
	free(out);
	rc = testlib_sh(&out, "! command -v shellcheck >/dev/null || "
	    "shellcheck -s sh " DFX_SCRIPT);
	ck_assert_msg(rc == 0, "shellcheck: %s", out ? out : "");
	free(out);
	dfx_init_dir(&f);
	if (dfx_sh(&f, NULL, "command -v systemd-analyze") != 0) {
		printf("check_deploy: systemd-analyze not installed: "
		    "units not verified\n");
		dfx_free(&f);
		return;
	}
	/* a unit with a known mistake first: verify must say so */
	rc = dfx_sh(&f, &out, "printf '[Service]\\nTyp=oneshot\\n"
	    "ExecStart=/bin/true\\n' > bad.service && "
	    "systemd-analyze verify --man=no ./bad.service");
	ck_assert_msg(out && strstr(out, "Typ"), "verify said nothing about "
	    "a bad unit: %d: %s", rc, out ? out : "");
	free(out);
	rc = dfx_sh(&f, &out, "for u in service timer path; do "
	    "sed 's|^ExecStart=/usr/local/sbin/|ExecStart=/bin/sh %s/"
	    "examples/postfix-deploy/|' '%s/" DFX_SCRIPT ".'$u "
	    "> splitsync-deploy.$u || exit 1; done && "
	    "grep -q '^ExecStart=/bin/sh /' splitsync-deploy.service && "
	    "systemd-analyze verify --man=no ./splitsync-deploy.service "
	    "./splitsync-deploy.timer ./splitsync-deploy.path", f.top, f.top);
	ck_assert_msg(rc == 0 && (out == NULL || *out == '\0'),
	    "systemd-analyze verify: %d: %s", rc, out ? out : "");
	free(out);
	dfx_free(&f);
}
END_TEST

/* The sharded layout, committed by splitsync itself. */

/* expect_layout - the head of repo holds transport and the route
 * listing as single files (shards 0), or as shards one directory level
 * per hex digit of the shard number (16: T.d/x, 256: T.d/x/y) */
static void
expect_layout(const struct dfx *f, const char *repo, int shards)
{
	char *out = NULL, *line, *save = NULL;
	const char *p;
	int rc, depth, slashes, nplain = 0, nshards = 0, nroutes = 0;

	depth = shards == 0 ? 0 : shards == 16 ? 1 : 2;
	rc = dfx_sh(f, &out, "git --git-dir='%s' ls-tree -r --name-only main",
	    repo);
	ck_assert_msg(rc == 0 && out, "ls-tree %s: %s", repo, out ? out : "");
	for (line = strtok_r(out, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "transport") == 0 ||
		    strcmp(line, ".splitsync/routes") == 0) {
			nplain++;
		} else if (strncmp(line, "transport.d/", 12) == 0) {
			for (slashes = 0, p = line; *p; p++)
				slashes += *p == '/';
			ck_assert_msg(slashes == depth, "%s: %d levels, "
			    "expected %d", line, slashes, depth);
			nshards++;
		} else if (strncmp(line, ".splitsync/routes.d/", 20) == 0) {
			nroutes++;
		}
	}
	free(out);
	if (shards == 0) {
		ck_assert_int_eq(nplain, 2);
		ck_assert_int_eq(nshards + nroutes, 0);
	} else {
		ck_assert_int_eq(nplain, 0);
		ck_assert_int_gt(nshards, 1);
		ck_assert_int_le(nshards, shards);
		ck_assert_int_gt(nroutes, 1);
	}
}

/* expect_same_tables - dirs a and b hold the same table texts, byte for
 * byte (.db files aside), the five of the BlueMind layout */
static void
expect_same_tables(const struct dfx *f, const char *a, const char *b)
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "diff -r -x '*.db' '%s' '%s' && "
	    "ls '%s' | grep -c -v '[.]db$'", a, b, a);
	/* a long diff would not fit in Check's message */
	ck_assert_msg(rc == 0, "%s and %s differ: %.2000s", a, b,
	    out ? out : "");
	ck_assert_msg(out && strtol(out, NULL, 10) == 5, "tables in %s: %s",
	    a, out ? out : "");
	free(out);
}

static const int shard_counts[] = { 16, 256 };

START_TEST(test_sharded_tables)
{
	/* the same directory committed in one file per table and in
	 * shards: the deployed tables are the same bytes, those of render */
	int shards = shard_counts[_i];
	struct dfx f;
	char *out = NULL;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 0);
	dfx_splitsync(&f, "resync", "--repo plain.git");
	expect_layout(&f, "plain.git", 0);
	dfx_set_shards(&f, shards);
	dfx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", shards);
	dfx_splitsync(&f, "render", "-o render");
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "transport.d, ",
	    " shards), new", "deployed", NULL });
	free(out);
	rc = dfx_deploy_from(&f, &out, "", "plain.git", "tables0", "state0",
	    "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	expect_same_tables(&f, "tables", "tables0");
	expect_same_tables(&f, "tables", "render");
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_query(&f, "transport", "alice@example.com", CORE);
	dfx_expect_query(&f, "transport", "u123@example.com", CORE);
	dfx_expect_query(&f, "transport", "nobody@example.com", NULL);
	dfx_expect_query(&f, "virtual_alias", "user.123@example.com",
	    "u123@example.com");
	dfx_expect_query(&f, "virtual_mailbox", "u299@example.com", "OK");
	dfx_expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	ck_assert_int_eq(dfx_reloads(&f), 2);
	dfx_expect_no_temp(&f);
	/* the route listing is no table, sharded or not */
	ck_assert(!dfx_exists(&f, "tables/routes"));
	ck_assert(!dfx_exists(&f, "tables/.splitsync"));
	dfx_free(&f);
}
END_TEST

START_TEST(test_sharded_switch)
{
	/* 0 to 16 shards and back: each switch is a commit that changes
	 * no deployed byte; a change made in shards deploys as usual */
	struct dfx f;
	char h0[65], h1[65], h2[65], h3[65], *out = NULL;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 0);
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_head(&f, "up.git", h0);
	dfx_deploy_ok(&f, "");
	dfx_ok(&f, "cp -R tables before");
	dfx_set_shards(&f, 16);
	dfx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", 16);
	dfx_head(&f, "up.git", h1);
	ck_assert_str_ne(h0, h1);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	dfx_expect_deployed(&f, h1);
	expect_same_tables(&f, "tables", "before");
	ck_assert_int_eq(dfx_reloads(&f), 1);

	/* bob migrated, committed in shards: a dry run first */
	dfx_edit_source(&f, "grep -v '^member: uid=bob,' $l");
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_head(&f, "up.git", h2);
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "would deploy", h2, h1,
	    "transport.d/", "transport: changed",
	    "virtual_domains: unchanged", NULL });
	free(out);
	dfx_expect_deployed(&f, h1);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_expect_no_temp(&f);
	dfx_deploy_ok(&f, "");
	dfx_expect_deployed(&f, h2);
	dfx_expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(dfx_reloads(&f), 2);
	dfx_splitsync(&f, "render", "-o render");
	expect_same_tables(&f, "tables", "render");

	/* back to one file per table */
	dfx_set_shards(&f, 0);
	dfx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", 0);
	dfx_head(&f, "up.git", h3);
	ck_assert_str_ne(h2, h3);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	dfx_expect_deployed(&f, h3);
	expect_same_tables(&f, "tables", "render");
	ck_assert_int_eq(dfx_reloads(&f), 2);
	dfx_free(&f);
}
END_TEST

START_TEST(test_sharded_empty_table)
{
	/* a sharded table that loses its last line keeps its shard 0,
	 * empty: it is deployed empty, as the unsharded commit would have
	 * it; a commit made elsewhere without T.d at all is deployed empty
	 * too, with a warning */
	struct dfx f;
	char c1[65], *out = NULL;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 16);
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_deploy_ok(&f, "");
	dfx_expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	dfx_edit_source(&f, "grep -v '^splitsyncForwardUnknown:' $l");
	dfx_splitsync(&f, "resync", "--repo up.git");
	rc = dfx_sh(&f, &out, "git --git-dir=up.git ls-tree -r main "
	    "master_relay_transport.d master_relay_transport");
	ck_assert_msg(rc == 0 && out && strcmp(out, "100644 blob "
	    "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\t"
	    "master_relay_transport.d/0\n") == 0, "not one empty shard 0: %s",
	    out ? out : "");
	free(out);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(strstr(out, "is kept") == NULL, "kept: %s", out);
	free(out);
	dfx_expect_query(&f, "master_relay_transport", "example.org", NULL);
	dfx_expect_query(&f, "transport", "bob@example.com", LEGACY);
	dfx_splitsync(&f, "render", "-o render");
	expect_same_tables(&f, "tables", "render");
	ck_assert_int_eq(dfx_reloads(&f), 2);

	/* the same table gone altogether, by a commit from elsewhere */
	dfx_ok(&f, "git clone -q -b main up.git work && cd work && "
	    "git rm -q -r master_relay_transport.d && "
	    "printf 'zed@example.com " CORE "\\n' >> transport.d/0");
	dfx_commit(&f, "no master_relay_transport.d", c1);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(strstr(out, "is kept") == NULL, "kept: %s", out);
	free(out);
	dfx_expect_query(&f, "master_relay_transport", "example.org", NULL);
	dfx_expect_query(&f, "transport", "zed@example.com", CORE);
	dfx_free(&f);
}
END_TEST

START_TEST(test_sharded_both)
{
	/* transport and transport.d in one commit: which is the table is
	 * unclear, so the commit is refused; -t still takes the others */
	struct dfx f;
	char c1[65], c2[65], *out = NULL, *before, *after;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 16);
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_head(&f, "up.git", c1);
	dfx_deploy_ok(&f, "");
	before = dfx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(before);
	dfx_ok(&f, "git clone -q -b main up.git work && cd work && "
	    "printf 'zed@example.com " CORE "\\n' > transport");
	dfx_commit(&f, "both", c2);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "transport is both a file "
	    "and a directory of shards (transport.d)", "nothing deployed",
	    NULL });
	free(out);
	rc = dfx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	free(out);
	rc = dfx_deploy(&f, &out, "", "-t transport");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "both a file", NULL });
	free(out);
	after = dfx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(after);
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	dfx_expect_query(&f, "transport", "zed@example.com", NULL);
	dfx_expect_deployed(&f, c1);
	ck_assert_int_eq(dfx_reloads(&f), 1);
	dfx_expect_no_temp(&f);
	/* -t names sharded tables as it names files */
	rc = dfx_deploy(&f, &out, "", "-t 'virtual_mailbox virtual_domains'");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "virtual_mailbox.d, ",
	    NULL });
	free(out);
	dfx_expect_deployed(&f, c2);
	dfx_expect_query(&f, "virtual_mailbox", "u007@example.com", "OK");
	dfx_free(&f);
}
END_TEST

/* Each edit breaks a shard of the work tree and prints what the script
 * must say about it. */
static const char *const shard_edits[] = {
	/* a line without value */
	"s=transport.d/$(LC_ALL=C ls transport.d | head -n 1) && "
	"printf 'erin@example.com\\n' >> $s && "
	"echo \"$s:$(($(wc -l < $s))): invalid line: key without value\"",
	/* the last line of a shard cut short */
	"s=transport.d/$(LC_ALL=C ls transport.d | head -n 1) && "
	"printf '%s' \"$(cat $s)\" > $s.new && mv $s.new $s && "
	"echo \"$s:$(($(wc -l < $s) + 1)): invalid line: "
	"no newline at end of file\"",
	/* a CRLF line end */
	"s=transport.d/$(LC_ALL=C ls transport.d | tail -n 1) && "
	"printf 'zed@example.com smtp:[a]:25\\r\\n' >> $s && "
	"echo \"$s:$(($(wc -l < $s))): invalid line: carriage return\"",
	/* a key in two shards */
	"set -- $(LC_ALL=C ls transport.d) && "
	"head -n 1 transport.d/$1 >> transport.d/$2 && "
	"echo \"transport.d/$2:$(($(wc -l < transport.d/$2))): invalid line: "
	"duplicate key (first at transport.d/$1:1)\"",
	/* a link among the shards */
	"ln -s \"$(LC_ALL=C ls transport.d | head -n 1)\" transport.d/z && "
	"echo 'transport.d/z: invalid shard: not a regular file'",
};
#define NSHARD_EDITS (sizeof shard_edits / sizeof shard_edits[0])

START_TEST(test_sharded_invalid)
{
	/* one upstream for every case, each bad commit descending from the
	 * previous one; the shard and line are named, nothing changes */
	struct dfx f;
	char c1[65], c2[65], *out = NULL, *want = NULL, *before, *after;
	size_t i;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 16);
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_head(&f, "up.git", c1);
	dfx_deploy_ok(&f, "");
	before = dfx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(before);
	dfx_ok(&f, "git clone -q -b main up.git work");
	for (i = 0; i < NSHARD_EDITS; i++) {
		rc = dfx_sh(&f, &want, "cd work && git rm -rqf . && "
		    "git checkout -q %s -- . && %s", c1, shard_edits[i]);
		ck_assert_msg(rc == 0 && want, "edit %zu: %s", i,
		    want ? want : "");
		want[strcspn(want, "\n")] = '\0';
		dfx_commit(&f, "bad shard", c2);
		rc = dfx_deploy(&f, &out, "", "");
		ck_assert_msg(rc == DFX_REFUSED, "case %zu: exit %d: %s", i, rc,
		    out ? out : "");
		dfx_expect_has(out, (const char *const[]){ want,
		    "nothing deployed", NULL });
		free(out);
		free(want);
		after = dfx_text(&f, "tables/transport");
		ck_assert_ptr_nonnull(after);
		ck_assert_msg(strcmp(after, before) == 0, "case %zu", i);
		free(after);
		dfx_expect_deployed(&f, c1);
		dfx_expect_no_temp(&f);
		ck_assert_int_eq(dfx_reloads(&f), 1);
	}
	free(before);
	dfx_free(&f);
}
END_TEST

/* deploy_suite - all of the above */
static Suite *
deploy_suite(void)
{
	Suite *s = suite_create("deploy");
	TCase *tc = tcase_create("deploy");
	TCase *tf = tcase_create("failures");
	TCase *ts = tcase_create("sharded");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_first_deploy);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_dry_run);
	tcase_add_test(tc, test_removed_table);
	tcase_add_test(tc, test_table_list);
	tcase_add_test(tc, test_gateway);
	tcase_add_test(tc, test_leftovers);
	tcase_add_test(tc, test_lint);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tf, 120);
	tcase_add_test(tf, test_corrupt);
	tcase_add_loop_test(tf, test_non_fast_forward, 0, 2);
	tcase_add_test(tf, test_force_validates);
	tcase_add_test(tf, test_postmap_fails);
	tcase_add_test(tf, test_lock);
	tcase_add_test(tf, test_reload);
	tcase_add_loop_test(tf, test_usage, 0, (int)NUSAGE);
	suite_add_tcase(s, tf);

	tcase_set_timeout(ts, 120);
	tcase_add_loop_test(ts, test_sharded_tables, 0,
	    (int)(sizeof shard_counts / sizeof shard_counts[0]));
	tcase_add_test(ts, test_sharded_switch);
	tcase_add_test(ts, test_sharded_empty_table);
	tcase_add_test(ts, test_sharded_both);
	tcase_add_test(ts, test_sharded_invalid);
	suite_add_tcase(s, ts);
	return s;
}

int
main(void)
{
	return testlib_main(deploy_suite());
}
