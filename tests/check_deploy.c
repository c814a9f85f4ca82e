/*
 * check_deploy - examples/postfix-deploy/splitsync-deploy, the MTA side
 *
 * Each test works in its own temp directory: a bare "upstream"
 * repository and a work tree built with git commands from the data sets
 * of tests/data/deploy (c1: the BlueMind layout tables and a
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
 * DIAGNOSTICS
 *	Check's summary; a failed assertion names the command, its exit
 *	status and output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#define SCRIPT "examples/postfix-deploy/splitsync-deploy"
#define DATA "tests/data/deploy"
#define LEGACY "smtp:[legacy.example.com]:25"
#define CORE "lmtp:core.example.com:2400"
#define TMP_MARK "splitsync-deploy-tmp"

enum { EX_REFUSED = 65, EX_UNAVAIL = 69, EX_CANTWRITE = 73, EX_LOCKED = 75,
	EX_USAGE = 64 };

struct fx {
	char *top;      /* the source tree: tests run from its top */
	char *dir;      /* this test's temp directory */
};

/* fx_sh - run a command in the test directory, with git isolated from
 * the host's configuration and the reload counted; exit status */
static int
fx_sh(const struct fx *f, char **out, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fx_sh(const struct fx *f, char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof cmd, "command too long");
	return testlib_sh(out, "cd '%s' && PATH=\"$PATH:/usr/sbin:/sbin\" && "
	    "export PATH HOME='%s' GIT_CONFIG_NOSYSTEM=1 "
	    "GIT_AUTHOR_NAME=splitsync GIT_AUTHOR_EMAIL=splitsync@example.com "
	    "GIT_COMMITTER_NAME=splitsync "
	    "GIT_COMMITTER_EMAIL=splitsync@example.com "
	    "SPLITSYNC_DEPLOY_RELOAD=\"echo reload >> '%s/reloads'\" && %s",
	    f->dir, f->dir, f->dir, cmd);
}

/* fx_ok - run a setup command that must succeed */
static void
fx_ok(const struct fx *f, const char *cmd)
{
	char *out = NULL;
	int rc = fx_sh(f, &out, "%s", cmd);

	ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, out ? out : "");
	free(out);
}

/* fx_init_dir - temp dir and a Postfix config dir with an empty main.cf */
static void
fx_init_dir(struct fx *f)
{
	char cwd[4096], *out = NULL;
	int rc;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	f->top = strdup(cwd);
	f->dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(f->top);
	ck_assert_ptr_nonnull(f->dir);
	rc = fx_sh(f, &out, "command -v postmap && mkdir conf && "
	    ": > conf/main.cf");
	ck_assert_msg(rc == 0, "postmap not found (install Postfix), or "
	    "no config dir: %s", out ? out : "");
	free(out);
}

/* fx_init - fx_init_dir, plus the upstream and work repositories */
static void
fx_init(struct fx *f)
{
	fx_init_dir(f);
	fx_ok(f, "git init -q --bare up.git && "
	    "git -C up.git symbolic-ref HEAD refs/heads/main && "
	    "git init -q work && "
	    "git -C work symbolic-ref HEAD refs/heads/main");
}

/* fx_free - remove the temp dir */
static void
fx_free(struct fx *f)
{
	testlib_rmrf(f->dir);
	free(f->dir);
	free(f->top);
}

/* fx_stage - make the work tree exactly the data sets named, applied
 * in order (later sets overlay earlier ones) */
static void
fx_stage(const struct fx *f, const char *sets)
{
	char *out = NULL;
	int rc;

	rc = fx_sh(f, &out, "cd work && git rm -rqf --ignore-unmatch . && "
	    "for s in %s; do cp -R '%s/" DATA "'/$s/. . || exit 1; done",
	    sets, f->top);
	ck_assert_msg(rc == 0, "stage %s: %s", sets, out ? out : "");
	free(out);
}

/* fx_put - write len bytes as work/name (NUL and CR included) */
static void
fx_put(const struct fx *f, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *fp;
	int n;

	n = snprintf(path, sizeof path, "%s/work/%s", f->dir, name);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* fx_commit - commit the work tree and force it onto upstream main;
 * the commit id into id */
static void
fx_commit(const struct fx *f, const char *msg, char id[static 65])
{
	char *out = NULL, *nl;
	int rc;

	rc = fx_sh(f, &out, "cd work && git add -A && git commit -qm '%s' && "
	    "git push -qf ../up.git HEAD:refs/heads/main && git rev-parse HEAD",
	    msg);
	ck_assert_msg(rc == 0, "commit %s: %s", msg, out ? out : "");
	ck_assert_ptr_nonnull(out);
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	ck_assert_msg(strlen(out) == 40 || strlen(out) == 64, "id: %s", out);
	strcpy(id, out);
	free(out);
}

/* fx_deploy_from - run the script with repository repo, table dir
 * tables and state dir state (names in the test dir); env is put before
 * the command (assignments, a wrapper), args after */
static int
fx_deploy_from(const struct fx *f, char **out, const char *env,
    const char *repo, const char *tables, const char *state,
    const char *args)
{
	return fx_sh(f, out, "%s sh '%s/" SCRIPT "' -r '%s/%s' "
	    "-d '%s/%s' -s '%s/%s' -c '%s/conf' %s", env, f->top,
	    f->dir, repo, f->dir, tables, f->dir, state, f->dir, args);
}

/* fx_deploy - run the script on this host's directories */
static int
fx_deploy(const struct fx *f, char **out, const char *env, const char *args)
{
	return fx_deploy_from(f, out, env, "up.git", "tables", "state", args);
}

/* deploy_ok - a run that must succeed */
static void
deploy_ok(const struct fx *f, const char *args)
{
	char *out = NULL;
	int rc = fx_deploy(f, &out, "", args);

	ck_assert_msg(rc == 0, "deploy %s: exit %d: %s", args, rc,
	    out ? out : "");
	free(out);
}

/* fx_text - a file of the test dir without its last newline, or NULL */
static char *
fx_text(const struct fx *f, const char *rel)
{
	char path[4096], *s;
	size_t len = 0;
	int n;

	n = snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	s = testlib_read(path, &len);
	if (s && len && s[len - 1] == '\n')
		s[len - 1] = '\0';
	return s;
}

/* fx_exists - 0/1: the path exists in the test dir */
static int
fx_exists(const struct fx *f, const char *rel)
{
	char path[4096];
	int n;

	n = snprintf(path, sizeof path, "%s/%s", f->dir, rel);
	ck_assert(n > 0 && (size_t)n < sizeof path);
	return access(path, F_OK) == 0;
}

/* reloads - how many times the reload command ran */
static int
reloads(const struct fx *f)
{
	char *s = fx_text(f, "reloads"), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	n = *s != '\0';
	for (p = s; *p; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* expect_deployed - STATE_DIR/deployed holds id (NULL: no such file) */
static void
expect_deployed(const struct fx *f, const char *id)
{
	char *s = fx_text(f, "state/deployed");

	if (id == NULL)
		ck_assert_msg(s == NULL, "deployed: %s", s);
	else
		ck_assert_msg(s && strcmp(s, id) == 0, "deployed: %s, not %s",
		    s ? s : "(none)", id);
	free(s);
}

/* expect_query - postmap -q key on the deployed table answers want
 * (NULL: not found) */
static void
expect_query(const struct fx *f, const char *table, const char *key,
    const char *want)
{
	char *out = NULL, *nl;
	int rc;

	rc = fx_sh(f, &out, "postmap -c conf -q '%s' 'hash:tables/%s'", key,
	    table);
	if (want == NULL) {
		ck_assert_msg(rc == 1, "%s %s: exit %d: %s", table, key, rc,
		    out ? out : "");
	} else {
		ck_assert_msg(rc == 0, "%s %s: exit %d: %s", table, key, rc,
		    out ? out : "");
		ck_assert_ptr_nonnull(out);
		if ((nl = strchr(out, '\n')) != NULL)
			*nl = '\0';
		ck_assert_msg(strcmp(out, want) == 0, "%s %s: %s, expected %s",
		    table, key, out, want);
	}
	free(out);
}

/* expect_no_temp - no temp file left in the table or state dir */
static void
expect_no_temp(const struct fx *f)
{
	char *out = NULL;

	fx_sh(f, &out, "ls -A tables state 2>/dev/null");
	ck_assert_msg(out == NULL || strstr(out, TMP_MARK) == NULL,
	    "temp file left: %s", out);
	free(out);
}

/* expect_has - out contains every string of the NULL-terminated list */
static void
expect_has(const char *out, const char *const *want)
{
	for (; *want; want++)
		ck_assert_msg(out && strstr(out, *want), "no \"%s\" in: %s",
		    *want, out ? out : "(nothing)");
}

/* deploy_c1_c2 - commits 1 and 2 upstream, each deployed */
static void
deploy_c1_c2(const struct fx *f, char c1[static 65], char c2[static 65])
{
	fx_stage(f, "c1");
	fx_commit(f, "c1", c1);
	deploy_ok(f, "");
	fx_stage(f, "c1 c2");
	fx_commit(f, "c2", c2);
	deploy_ok(f, "");
}

START_TEST(test_first_deploy)
{
	struct fx f;
	char c1[65], *out = NULL, *text, *want;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "deployed", "transport",
	    NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_query(&f, "transport", "alice@example.com", CORE);
	expect_query(&f, "transport", "nobody@example.com", NULL);
	expect_query(&f, "virtual_domains", "example.net", "OK");
	expect_query(&f, "virtual_mailbox", "@example.org", "OK");
	expect_query(&f, "virtual_alias", "alice.martin@example.com",
	    "alice@example.com");
	expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	ck_assert_int_eq(reloads(&f), 1);
	expect_deployed(&f, c1);
	/* the text next to each .db is the committed one */
	text = fx_text(&f, "tables/transport");
	want = testlib_read(DATA "/c1/transport", NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	want[strlen(want) - 1] = '\0';
	ck_assert_str_eq(text, want);
	free(text);
	free(want);
	/* the route listing is not a table */
	ck_assert(!fx_exists(&f, "tables/.splitsync"));
	ck_assert(!fx_exists(&f, "tables/routes"));
	ck_assert(!fx_exists(&f, "tables/routes.db"));
	expect_no_temp(&f);

	/* nothing new: quiet, no reload */
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(out == NULL || *out == '\0', "not quiet: %s", out);
	free(out);
	ck_assert_int_eq(reloads(&f), 1);
	expect_deployed(&f, c1);
	fx_free(&f);
}
END_TEST

#define ROUTES3 "bob@example.com\tinternal\t" CORE "\t\tuid=bob\n"

START_TEST(test_update)
{
	struct fx f;
	char c1[65], c2[65], c3[65], *out = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	deploy_ok(&f, "");
	fx_stage(&f, "c1 c2");
	fx_commit(&f, "c2", c2);
	/* -q: nothing said when all goes well */
	rc = fx_deploy(&f, &out, "", "-q");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(out == NULL || *out == '\0', "-q said: %s", out);
	free(out);
	expect_query(&f, "transport", "bob@example.com", CORE);
	expect_query(&f, "transport", "alice@example.com", CORE);
	expect_query(&f, "virtual_mailbox", "bob@example.com", "OK");
	ck_assert_int_eq(reloads(&f), 2);
	expect_deployed(&f, c2);
	expect_no_temp(&f);
	/* a commit that changes no table: recorded, no reload */
	fx_stage(&f, "c1 c2");
	fx_put(&f, ".splitsync/routes", ROUTES3, sizeof ROUTES3 - 1);
	fx_commit(&f, "routes only", c3);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	expect_deployed(&f, c3);
	ck_assert_int_eq(reloads(&f), 2);
	expect_query(&f, "transport", "bob@example.com", CORE);
	expect_no_temp(&f);
	/* -f rebuilds and reloads all the same: a repair */
	fx_ok(&f, "rm tables/transport.db");
	rc = fx_deploy(&f, &out, "", "-u -f main");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(reloads(&f), 3);
	fx_free(&f);
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
	struct fx f;
	char c1[65], c2[65], c3[65], *out = NULL, *before, *after;
	size_t i;
	int rc;

	fx_init(&f);
	deploy_c1_c2(&f, c1, c2);
	before = fx_text(&f, "tables/virtual_alias");
	ck_assert_ptr_nonnull(before);
	for (i = 0; i < NCORRUPT; i++) {
		const struct corrupt *c = &corrupt[i];

		/* a good change in one table, a bad line in another */
		fx_stage(&f, "c1 c2");
		fx_put(&f, "virtual_alias", ALIAS3, sizeof ALIAS3 - 1);
		fx_put(&f, c->table, c->text,
		    c->len ? c->len : strlen(c->text));
		fx_commit(&f, "c3", c3);
		rc = fx_deploy(&f, &out, "", "");
		ck_assert_msg(rc == EX_REFUSED, "case %zu: exit %d: %s", i, rc,
		    out ? out : "");
		expect_has(out, (const char *const[]){ c->where, c->why,
		    "nothing deployed", NULL });
		free(out);
		/* the tables of commit 2, untouched */
		expect_query(&f, "transport", "bob@example.com", CORE);
		expect_query(&f, "transport", "alice@example.com", CORE);
		expect_query(&f, "virtual_alias", "robert@example.com", NULL);
		expect_query(&f, "virtual_mailbox", "bob@example.com", "OK");
		expect_query(&f, "virtual_domains", "example.org", "OK");
		after = fx_text(&f, "tables/virtual_alias");
		ck_assert_ptr_nonnull(after);
		ck_assert_msg(strcmp(after, before) == 0, "case %zu: %s", i,
		    after);
		free(after);
		expect_no_temp(&f);
		expect_deployed(&f, c2);
		ck_assert_int_eq(reloads(&f), 2);
	}
	free(before);
	fx_free(&f);
}
END_TEST

START_TEST(test_non_fast_forward)
{
	/* 0: upstream reset to commit 1, then a new commit; 1: a commit
	 * with no history in common */
	struct fx f;
	char c1[65], c2[65], c3[65], *out = NULL;
	int rc;

	fx_init(&f);
	deploy_c1_c2(&f, c1, c2);
	if (_i == 0)
		fx_ok(&f, "git -C work reset -q --hard HEAD~1");
	else
		fx_ok(&f, "git -C work checkout -q --orphan other");
	fx_stage(&f, "c1");
	fx_put(&f, "virtual_alias", ALIAS3, sizeof ALIAS3 - 1);
	fx_commit(&f, "rewritten", c3);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "refused",
	    "does not descend from the deployed commit", "nothing deployed",
	    NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", CORE);
	expect_query(&f, "virtual_alias", "robert@example.com", NULL);
	expect_deployed(&f, c2);
	ck_assert_int_eq(reloads(&f), 2);
	/* a dry run says the same */
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_int_eq(rc, EX_REFUSED);
	free(out);
	/* taken on purpose: -f COMMIT -u */
	rc = fx_deploy(&f, &out, "", "-u -f main");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_query(&f, "virtual_alias", "robert@example.com",
	    "bob@example.com");
	expect_deployed(&f, c3);
	ck_assert(!fx_exists(&f, "state/held"));
	fx_free(&f);
}
END_TEST

START_TEST(test_rollback)
{
	struct fx f;
	char c1[65], c2[65], args[128], *out = NULL, *held;
	int rc;

	fx_init(&f);
	deploy_c1_c2(&f, c1, c2);
	snprintf(args, sizeof args, "-f %s", c1);
	rc = fx_deploy(&f, &out, "", args);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "held", NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 3);
	held = fx_text(&f, "state/held");
	ck_assert_ptr_nonnull(held);
	ck_assert_str_eq(held, c1);
	free(held);
	/* held: the branch, a fast-forward from c1, is not followed */
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "held", "-u", NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 3);
	/* -u: follow the branch again */
	deploy_ok(&f, "-u");
	expect_query(&f, "transport", "bob@example.com", CORE);
	expect_deployed(&f, c2);
	ck_assert(!fx_exists(&f, "state/held"));
	ck_assert_int_eq(reloads(&f), 4);
	fx_free(&f);
}
END_TEST

START_TEST(test_force_validates)
{
	struct fx f;
	char c1[65], c2[65], args[128], *out = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	deploy_ok(&f, "");
	fx_stage(&f, "c1 c2");
	fx_put(&f, "virtual_mailbox", MB2 "erin@example.com\n",
	    strlen(MB2 "erin@example.com\n"));
	fx_commit(&f, "bad", c2);
	snprintf(args, sizeof args, "-f %s", c2);
	rc = fx_deploy(&f, &out, "", args);
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "virtual_mailbox:3:", NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_deployed(&f, c1);
	ck_assert(!fx_exists(&f, "state/held"));
	/* a commit the mirror does not know */
	rc = fx_deploy(&f, &out, "", "-f 0123456789abcdef");
	ck_assert_msg(rc == EX_USAGE, "exit %d: %s", rc, out ? out : "");
	free(out);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 1);
	fx_free(&f);
}
END_TEST

START_TEST(test_dry_run)
{
	struct fx f;
	char c1[65], c2[65], *out = NULL, *text, *want;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	/* before the first deploy */
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "would deploy", c1,
	    "transport: new", NULL });
	free(out);
	ck_assert(!fx_exists(&f, "tables"));
	expect_deployed(&f, NULL);
	ck_assert_int_eq(reloads(&f), 0);
	deploy_ok(&f, "");
	fx_stage(&f, "c1 c2");
	fx_commit(&f, "c2", c2);
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "would deploy", c2, c1,
	    "transport | 2 +-", "transport: changed",
	    "virtual_mailbox: unchanged", NULL });
	free(out);
	/* nothing changed */
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 1);
	text = fx_text(&f, "tables/transport");
	want = testlib_read(DATA "/c1/transport", NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(want);
	want[strlen(want) - 1] = '\0';
	ck_assert_str_eq(text, want);
	free(text);
	free(want);
	expect_no_temp(&f);
	/* then the real run */
	deploy_ok(&f, "");
	expect_query(&f, "transport", "bob@example.com", CORE);
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_int_eq(rc, 0);
	expect_has(out, (const char *const[]){ "nothing to deploy", NULL });
	free(out);
	fx_free(&f);
}
END_TEST

START_TEST(test_removed_table)
{
	/* a table removed upstream is kept, with a warning: main.cf may
	 * still name it, and a missing map stops Postfix routing mail */
	struct fx f;
	char c1[65], c2[65], *out = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	deploy_ok(&f, "");
	fx_stage(&f, "c1 c2");
	fx_ok(&f, "rm work/master_relay_transport");
	fx_commit(&f, "c2", c2);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "warning",
	    "master_relay_transport", "kept", NULL });
	free(out);
	expect_deployed(&f, c2);
	expect_query(&f, "transport", "bob@example.com", CORE);
	expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	fx_free(&f);
}
END_TEST

START_TEST(test_table_list)
{
	struct fx f;
	char c1[65], *out = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	/* a table the commit lacks: refused */
	rc = fx_deploy(&f, &out, "", "-t 'transport relay_recipients'");
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "relay_recipients", NULL });
	free(out);
	ck_assert(!fx_exists(&f, "tables/transport"));
	expect_deployed(&f, NULL);
	deploy_ok(&f, "-t 'transport virtual_domains'");
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_query(&f, "virtual_domains", "example.com", "OK");
	ck_assert(!fx_exists(&f, "tables/virtual_mailbox"));
	ck_assert(!fx_exists(&f, "tables/virtual_mailbox.db"));
	expect_deployed(&f, c1);
	fx_free(&f);
}
END_TEST

START_TEST(test_gateway)
{
	struct fx f;
	char c1[65];

	fx_init(&f);
	fx_stage(&f, "gateway");
	fx_commit(&f, "gateway", c1);
	deploy_ok(&f, "");
	expect_query(&f, "relay_domains", "example.org", "OK");
	expect_query(&f, "relay_recipients", "alice@example.com", "OK");
	expect_query(&f, "relay_recipients", "nobody@example.com", NULL);
	expect_query(&f, "transport", "example.org", LEGACY);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	ck_assert(!fx_exists(&f, "tables/virtual_mailbox"));
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 1);
	fx_free(&f);
}
END_TEST

START_TEST(test_postmap_fails)
{
	/* postmap fails on the last table: the ones already built are not
	 * installed either */
	struct fx f;
	char c1[65], c2[65], *out = NULL, *real = NULL, wrapper[8192];
	int rc, n;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	deploy_ok(&f, "");
	fx_stage(&f, "c1 c2");
	fx_commit(&f, "c2", c2);
	rc = fx_sh(&f, &real, "command -v postmap");
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(real);
	real[strcspn(real, "\n")] = '\0';
	n = snprintf(wrapper, sizeof wrapper, "#!/bin/sh\n"
	    "case \"$*\" in *virtual_mailbox*) "
	    "echo 'postmap: fatal: test: no space left' >&2; exit 1 ;; esac\n"
	    "exec '%s' \"$@\"\n", real);
	ck_assert(n > 0 && (size_t)n < sizeof wrapper);
	free(real);
	fx_ok(&f, "mkdir bin");
	fx_put(&f, "../bin/postmap", wrapper, strlen(wrapper));
	fx_ok(&f, "chmod 755 bin/postmap");
	rc = fx_deploy(&f, &out, "PATH=\"$PWD/bin:$PATH\"", "");
	ck_assert_msg(rc == EX_CANTWRITE, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "postmap virtual_mailbox",
	    "no space left", "nothing deployed", NULL });
	free(out);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_no_temp(&f);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 1);
	fx_free(&f);
}
END_TEST

START_TEST(test_lock)
{
	struct fx f;
	char c1[65], *out = NULL, *flock = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	fx_ok(&f, "mkdir state");
	if (fx_sh(&f, &flock, "command -v flock") == 0) {
		rc = fx_deploy(&f, &out, "flock \"$PWD/state/lock\"", "");
	} else {
		/* no flock: the script falls back to a lock directory */
		char cmd[128];

		snprintf(cmd, sizeof cmd, "mkdir state/lock.d && "
		    "echo %ld > state/lock.d/pid", (long)getpid());
		fx_ok(&f, cmd);
		rc = fx_deploy(&f, &out, "", "");
	}
	free(flock);
	ck_assert_msg(rc == EX_LOCKED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "state/lock",
	    "another run is in progress", NULL });
	free(out);
	ck_assert(!fx_exists(&f, "tables"));
	expect_deployed(&f, NULL);
	ck_assert_int_eq(reloads(&f), 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_leftovers)
{
	/* temp files of an interrupted run are removed by the next one */
	struct fx f;
	char c1[65];

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	deploy_ok(&f, "");
	fx_ok(&f, ": > tables/." TMP_MARK ".1.transport && "
	    ": > tables/." TMP_MARK ".1.transport.db && "
	    ": > state/." TMP_MARK ".1.deployed");
	deploy_ok(&f, "");
	expect_no_temp(&f);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	ck_assert_int_eq(reloads(&f), 1);
	fx_free(&f);
}
END_TEST

START_TEST(test_reload)
{
	struct fx f;
	char c1[65], c2[65], *out = NULL;
	int rc;

	fx_init(&f);
	fx_stage(&f, "c1");
	fx_commit(&f, "c1", c1);
	/* the real command, Postfix not running: said, not a failure */
	fx_ok(&f, "mkdir bin && printf '%s\\n' '#!/bin/sh' "
	    "'case \"$*\" in *reload*) echo \"postfix/postfix-script: fatal: "
	    "the Postfix mail system is not running\" >&2; exit 1 ;; "
	    "*status*) exit 1 ;; esac' 'exit 0' > bin/postfix && "
	    "chmod 755 bin/postfix");
	rc = fx_deploy(&f, &out, "unset SPLITSYNC_DEPLOY_RELOAD; "
	    "PATH=\"$PWD/bin:$PATH\"", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "not running", NULL });
	free(out);
	expect_deployed(&f, c1);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	/* a reload that fails: reported; the tables stay deployed */
	fx_stage(&f, "c1 c2");
	fx_commit(&f, "c2", c2);
	rc = fx_deploy(&f, &out, "SPLITSYNC_DEPLOY_RELOAD=false", "");
	ck_assert_msg(rc == EX_UNAVAIL, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "reload", "deployed", NULL });
	free(out);
	expect_deployed(&f, c2);
	expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(reloads(&f), 0);
	fx_free(&f);
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
	struct fx f;
	char *out = NULL;
	int rc;

	fx_init_dir(&f);
	rc = fx_sh(&f, &out, "sh '%s/" SCRIPT "' -d \"$PWD/tables\" "
	    "-s \"$PWD/state\" -c \"$PWD/conf\" %s", f.top, u->args);
	ck_assert_msg(rc == EX_USAGE, "%s: exit %d: %s", u->args, rc,
	    out ? out : "");
	expect_has(out, (const char *const[]){ u->why, NULL });
	free(out);
	ck_assert(!fx_exists(&f, "state"));
	ck_assert(!fx_exists(&f, "tables"));
	fx_free(&f);
}
END_TEST

START_TEST(test_lint)
{
	/* the shell parses it; shellcheck, where installed, finds nothing;
	 * the units pass systemd-analyze verify, where installed, with
	 * ExecStart pointing at the script of this tree */
	struct fx f;
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "sh -n " SCRIPT);
	ck_assert_msg(rc == 0, "sh -n: %s", out ? out : "");
	free(out);
	rc = testlib_sh(&out, "! command -v shellcheck >/dev/null || "
	    "shellcheck -s sh " SCRIPT);
	ck_assert_msg(rc == 0, "shellcheck: %s", out ? out : "");
	free(out);
	fx_init_dir(&f);
	if (fx_sh(&f, NULL, "command -v systemd-analyze") != 0) {
		printf("check_deploy: systemd-analyze not installed: "
		    "units not verified\n");
		fx_free(&f);
		return;
	}
	/* a unit with a known mistake first: verify must say so */
	rc = fx_sh(&f, &out, "printf '[Service]\\nTyp=oneshot\\n"
	    "ExecStart=/bin/true\\n' > bad.service && "
	    "systemd-analyze verify --man=no ./bad.service");
	ck_assert_msg(out && strstr(out, "Typ"), "verify said nothing about "
	    "a bad unit: %d: %s", rc, out ? out : "");
	free(out);
	rc = fx_sh(&f, &out, "for u in service timer path; do "
	    "sed 's|^ExecStart=/usr/local/sbin/|ExecStart=/bin/sh %s/"
	    "examples/postfix-deploy/|' '%s/" SCRIPT ".'$u "
	    "> splitsync-deploy.$u || exit 1; done && "
	    "grep -q '^ExecStart=/bin/sh /' splitsync-deploy.service && "
	    "systemd-analyze verify --man=no ./splitsync-deploy.service "
	    "./splitsync-deploy.timer ./splitsync-deploy.path", f.top, f.top);
	ck_assert_msg(rc == 0 && (out == NULL || *out == '\0'),
	    "systemd-analyze verify: %d: %s", rc, out ? out : "");
	free(out);
	fx_free(&f);
}
END_TEST

/* The sharded layout, committed by splitsync itself. */

#define SRC DATA "/splitsync"
#define NUSERS 300              /* generated users: shards of every size */

/* fx_bin - the binary under test as an absolute path into out */
static void
fx_bin(const struct fx *f, char *out, size_t len)
{
	const char *b = testlib_bin();
	int n;

	if (b[0] == '/')
		n = snprintf(out, len, "%s", b);
	else
		n = snprintf(out, len, "%s/%s", f->top, b);
	ck_assert(n > 0 && (size_t)n < len);
}

/* fx_set_shards - table_shards = shards in src/splitsync.conf */
static void
fx_set_shards(const struct fx *f, int shards)
{
	char cmd[512];
	int n;

	n = snprintf(cmd, sizeof cmd, "grep -v '^table_shards' "
	    "src/splitsync.conf > src/conf.tmp && "
	    "mv src/conf.tmp src/splitsync.conf && "
	    "echo 'table_shards = %d' >> src/splitsync.conf", shards);
	ck_assert(n > 0 && (size_t)n < sizeof cmd);
	fx_ok(f, cmd);
}

/* fx_source - src/: the configuration, mapping and directory of the
 * data set, NUSERS generated users more (uNNN@example.com, alias
 * user.NNN@example.com, all migrated), table_shards = shards */
static void
fx_source(const struct fx *f, int shards)
{
	char cmd[2048];
	int n;

	n = snprintf(cmd, sizeof cmd, "mkdir src && cp '%s/" SRC "'/* src/ "
	    "&& i=0 && while [ $i -lt %d ]; do "
	    "printf '\\ndn: uid=u%%03d,ou=people,dc=example,dc=com\\n"
	    "objectClass: inetOrgPerson\\nuid: u%%03d\\ncn: U\\nsn: U\\n"
	    "mail: u%%03d@example.com\\n"
	    "mailAlternateAddress: user.%%03d@example.com\\n' "
	    "$i $i $i $i || exit 1; i=$((i + 1)); "
	    "done >> src/directory.ldif", f->top, NUSERS);
	ck_assert(n > 0 && (size_t)n < sizeof cmd);
	fx_ok(f, cmd);
	fx_set_shards(f, shards);
}

/* fx_edit_source - run a command on src/directory.ldif (as $l) */
static void
fx_edit_source(const struct fx *f, const char *cmd)
{
	char *out = NULL;
	int rc;

	rc = fx_sh(f, &out, "l=src/directory.ldif && %s > src/l.tmp && "
	    "! cmp -s src/l.tmp $l && mv src/l.tmp $l", cmd);
	ck_assert_msg(rc == 0, "%s: exit %d (no change?): %s", cmd, rc,
	    out ? out : "");
	free(out);
}

/* fx_splitsync - splitsync -q COMMAND -c src/splitsync.conf ARGS */
static void
fx_splitsync(const struct fx *f, const char *command, const char *args)
{
	char bin[4096], *out = NULL;
	int rc;

	fx_bin(f, bin, sizeof bin);
	rc = fx_sh(f, &out, "'%s' -q %s -c src/splitsync.conf %s", bin,
	    command, args);
	ck_assert_msg(rc == 0, "splitsync %s %s: exit %d: %s", command, args,
	    rc, out ? out : "");
	free(out);
}

/* fx_head - the commit id of main in repo */
static void
fx_head(const struct fx *f, const char *repo, char id[static 65])
{
	char *out = NULL;
	int rc;

	rc = fx_sh(f, &out, "git --git-dir='%s' rev-parse main", repo);
	ck_assert_msg(rc == 0 && out, "rev-parse %s: %s", repo,
	    out ? out : "");
	out[strcspn(out, "\n")] = '\0';
	ck_assert_msg(strlen(out) == 40 || strlen(out) == 64, "id: %s", out);
	strcpy(id, out);
	free(out);
}

/* expect_layout - the head of repo holds transport and the route
 * listing as single files (shards 0), or as shards one directory level
 * per hex digit of the shard number (16: T.d/x, 256: T.d/x/y) */
static void
expect_layout(const struct fx *f, const char *repo, int shards)
{
	char *out = NULL, *line, *save = NULL;
	const char *p;
	int rc, depth, slashes, nplain = 0, nshards = 0, nroutes = 0;

	depth = shards == 0 ? 0 : shards == 16 ? 1 : 2;
	rc = fx_sh(f, &out, "git --git-dir='%s' ls-tree -r --name-only main",
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
expect_same_tables(const struct fx *f, const char *a, const char *b)
{
	char *out = NULL;
	int rc;

	rc = fx_sh(f, &out, "diff -r -x '*.db' '%s' '%s' && "
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
	struct fx f;
	char *out = NULL;
	int rc;

	fx_init_dir(&f);
	fx_source(&f, 0);
	fx_splitsync(&f, "resync", "--repo plain.git");
	expect_layout(&f, "plain.git", 0);
	fx_set_shards(&f, shards);
	fx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", shards);
	fx_splitsync(&f, "render", "-o render");
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "transport.d, ",
	    " shards), new", "deployed", NULL });
	free(out);
	rc = fx_deploy_from(&f, &out, "", "plain.git", "tables0", "state0",
	    "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	expect_same_tables(&f, "tables", "tables0");
	expect_same_tables(&f, "tables", "render");
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_query(&f, "transport", "alice@example.com", CORE);
	expect_query(&f, "transport", "u123@example.com", CORE);
	expect_query(&f, "transport", "nobody@example.com", NULL);
	expect_query(&f, "virtual_alias", "user.123@example.com",
	    "u123@example.com");
	expect_query(&f, "virtual_mailbox", "u299@example.com", "OK");
	expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	ck_assert_int_eq(reloads(&f), 2);
	expect_no_temp(&f);
	/* the route listing is no table, sharded or not */
	ck_assert(!fx_exists(&f, "tables/routes"));
	ck_assert(!fx_exists(&f, "tables/.splitsync"));
	fx_free(&f);
}
END_TEST

START_TEST(test_sharded_switch)
{
	/* 0 to 16 shards and back: each switch is a commit that changes
	 * no deployed byte; a change made in shards deploys as usual */
	struct fx f;
	char h0[65], h1[65], h2[65], h3[65], *out = NULL;
	int rc;

	fx_init_dir(&f);
	fx_source(&f, 0);
	fx_splitsync(&f, "resync", "--repo up.git");
	fx_head(&f, "up.git", h0);
	deploy_ok(&f, "");
	fx_ok(&f, "cp -R tables before");
	fx_set_shards(&f, 16);
	fx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", 16);
	fx_head(&f, "up.git", h1);
	ck_assert_str_ne(h0, h1);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	expect_deployed(&f, h1);
	expect_same_tables(&f, "tables", "before");
	ck_assert_int_eq(reloads(&f), 1);

	/* bob migrated, committed in shards: a dry run first */
	fx_edit_source(&f, "grep -v '^member: uid=bob,' $l");
	fx_splitsync(&f, "resync", "--repo up.git");
	fx_head(&f, "up.git", h2);
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "would deploy", h2, h1,
	    "transport.d/", "transport: changed",
	    "virtual_domains: unchanged", NULL });
	free(out);
	expect_deployed(&f, h1);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	expect_no_temp(&f);
	deploy_ok(&f, "");
	expect_deployed(&f, h2);
	expect_query(&f, "transport", "bob@example.com", CORE);
	ck_assert_int_eq(reloads(&f), 2);
	fx_splitsync(&f, "render", "-o render");
	expect_same_tables(&f, "tables", "render");

	/* back to one file per table */
	fx_set_shards(&f, 0);
	fx_splitsync(&f, "resync", "--repo up.git");
	expect_layout(&f, "up.git", 0);
	fx_head(&f, "up.git", h3);
	ck_assert_str_ne(h2, h3);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "no table changed", NULL });
	free(out);
	expect_deployed(&f, h3);
	expect_same_tables(&f, "tables", "render");
	ck_assert_int_eq(reloads(&f), 2);
	fx_free(&f);
}
END_TEST

START_TEST(test_sharded_empty_table)
{
	/* a sharded table that loses its last line keeps its shard 0,
	 * empty: it is deployed empty, as the unsharded commit would have
	 * it; a commit made elsewhere without T.d at all is deployed empty
	 * too, with a warning */
	struct fx f;
	char c1[65], *out = NULL;
	int rc;

	fx_init_dir(&f);
	fx_source(&f, 16);
	fx_splitsync(&f, "resync", "--repo up.git");
	deploy_ok(&f, "");
	expect_query(&f, "master_relay_transport", "example.org", LEGACY);
	fx_edit_source(&f, "grep -v '^splitsyncForwardUnknown:' $l");
	fx_splitsync(&f, "resync", "--repo up.git");
	rc = fx_sh(&f, &out, "git --git-dir=up.git ls-tree -r main "
	    "master_relay_transport.d master_relay_transport");
	ck_assert_msg(rc == 0 && out && strcmp(out, "100644 blob "
	    "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\t"
	    "master_relay_transport.d/0\n") == 0, "not one empty shard 0: %s",
	    out ? out : "");
	free(out);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(strstr(out, "is kept") == NULL, "kept: %s", out);
	free(out);
	expect_query(&f, "master_relay_transport", "example.org", NULL);
	expect_query(&f, "transport", "bob@example.com", LEGACY);
	fx_splitsync(&f, "render", "-o render");
	expect_same_tables(&f, "tables", "render");
	ck_assert_int_eq(reloads(&f), 2);

	/* the same table gone altogether, by a commit from elsewhere */
	fx_ok(&f, "git clone -q -b main up.git work && cd work && "
	    "git rm -q -r master_relay_transport.d && "
	    "printf 'zed@example.com " CORE "\\n' >> transport.d/0");
	fx_commit(&f, "no master_relay_transport.d", c1);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	ck_assert_msg(strstr(out, "is kept") == NULL, "kept: %s", out);
	free(out);
	expect_query(&f, "master_relay_transport", "example.org", NULL);
	expect_query(&f, "transport", "zed@example.com", CORE);
	fx_free(&f);
}
END_TEST

START_TEST(test_sharded_both)
{
	/* transport and transport.d in one commit: which is the table is
	 * unclear, so the commit is refused; -t still takes the others */
	struct fx f;
	char c1[65], c2[65], *out = NULL, *before, *after;
	int rc;

	fx_init_dir(&f);
	fx_source(&f, 16);
	fx_splitsync(&f, "resync", "--repo up.git");
	fx_head(&f, "up.git", c1);
	deploy_ok(&f, "");
	before = fx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(before);
	fx_ok(&f, "git clone -q -b main up.git work && cd work && "
	    "printf 'zed@example.com " CORE "\\n' > transport");
	fx_commit(&f, "both", c2);
	rc = fx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "transport is both a file "
	    "and a directory of shards (transport.d)", "nothing deployed",
	    NULL });
	free(out);
	rc = fx_deploy(&f, &out, "", "-n");
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	free(out);
	rc = fx_deploy(&f, &out, "", "-t transport");
	ck_assert_msg(rc == EX_REFUSED, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "both a file", NULL });
	free(out);
	after = fx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(after);
	ck_assert_str_eq(after, before);
	free(after);
	free(before);
	expect_query(&f, "transport", "zed@example.com", NULL);
	expect_deployed(&f, c1);
	ck_assert_int_eq(reloads(&f), 1);
	expect_no_temp(&f);
	/* -t names sharded tables as it names files */
	rc = fx_deploy(&f, &out, "", "-t 'virtual_mailbox virtual_domains'");
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	expect_has(out, (const char *const[]){ "virtual_mailbox.d, ", NULL });
	free(out);
	expect_deployed(&f, c2);
	expect_query(&f, "virtual_mailbox", "u007@example.com", "OK");
	fx_free(&f);
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
	struct fx f;
	char c1[65], c2[65], *out = NULL, *want = NULL, *before, *after;
	size_t i;
	int rc;

	fx_init_dir(&f);
	fx_source(&f, 16);
	fx_splitsync(&f, "resync", "--repo up.git");
	fx_head(&f, "up.git", c1);
	deploy_ok(&f, "");
	before = fx_text(&f, "tables/transport");
	ck_assert_ptr_nonnull(before);
	fx_ok(&f, "git clone -q -b main up.git work");
	for (i = 0; i < NSHARD_EDITS; i++) {
		rc = fx_sh(&f, &want, "cd work && git rm -rqf . && "
		    "git checkout -q %s -- . && %s", c1, shard_edits[i]);
		ck_assert_msg(rc == 0 && want, "edit %zu: %s", i,
		    want ? want : "");
		want[strcspn(want, "\n")] = '\0';
		fx_commit(&f, "bad shard", c2);
		rc = fx_deploy(&f, &out, "", "");
		ck_assert_msg(rc == EX_REFUSED, "case %zu: exit %d: %s", i, rc,
		    out ? out : "");
		expect_has(out, (const char *const[]){ want,
		    "nothing deployed", NULL });
		free(out);
		free(want);
		after = fx_text(&f, "tables/transport");
		ck_assert_ptr_nonnull(after);
		ck_assert_msg(strcmp(after, before) == 0, "case %zu", i);
		free(after);
		expect_deployed(&f, c1);
		expect_no_temp(&f);
		ck_assert_int_eq(reloads(&f), 1);
	}
	free(before);
	fx_free(&f);
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
