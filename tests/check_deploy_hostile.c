/*
 * check_deploy_hostile - splitsync-deploy refuses what splitsync never
 * commits
 *
 * Whoever can push to the routing branch must not be able to install
 * anything on the Postfix hosts but the tables of the layout, holding
 * rows of the shapes splitsync writes (layouts/postfix.tables). Each
 * test deploys the good data sets of tests/data/deploy first (tests/dfx.c:
 * real git, real postmap), then offers hostile commits, each descending
 * from the last, so that only its hostile part can be the reason to
 * refuse it:
 *
 *	- trees built with git's plumbing (hash-object, mktree,
 *	  commit-tree): foreign file names (main.cf, sasl_passwd, "-rf",
 *	  names with a space, a newline or a non-ASCII byte, dot files),
 *	  a directory, a symbolic link or a submodule where a table is
 *	  expected, a file where the shards are expected, a submodule
 *	  among the shards;
 *	- table lines splitsync would never write: fan-out values, keys
 *	  and values outside the managed domains, catch-alls where the
 *	  layout has none, transports that are not allowed, in plain and
 *	  sharded tables, in both layouts;
 *	- a table directory that is the Postfix configuration directory,
 *	  however it is spelled.
 *
 * Each must be refused with a message naming the file (or table:line)
 * and exit 65 (64 for a bad -d), leaving the deployed tables, main.cf,
 * the recorded commit and Postfix (no reload) as they were.
 *
 * DIAGNOSTICS
 *	Check's summary; a failed assertion names the case, the command's
 *	exit status and its output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "dfx.h"
#include "testlib.h"

#define LEGACY DFX_LEGACY
#define CORE DFX_CORE

/* PUT - dfx_put of a string */
#define PUT(f, name, text) dfx_put((f), (name), (text), strlen(text))

/* Shell functions for the tree edits: G is git on the upstream
 * repository; the new tree is built in t.z (ls-tree -z format) from
 * the tree of $BASE; blob TEXT prints the id of a new blob; add MODE
 * TYPE ID NAME appends an entry; drop NAME removes one. */
#define TREE_PRELUDE \
	"G() { git --git-dir=up.git \"$@\"; } && " \
	"blob() { printf \"$1\" | G hash-object -w --stdin; } && " \
	"add() { printf '%s %s %s\\t%s\\0' \"$1\" \"$2\" \"$3\" \"$4\" " \
	">> t.z; } && " \
	"drop() { tr '\\0' '\\n' < t.z | grep -v \"\t$1\\$\" | " \
	"tr '\\n' '\\0' > t.y && mv t.y t.z; } && " \
	"G ls-tree -z \"$BASE\" > t.z && "

/* snapshot - every path under tables/ and conf/, and the checksum of
 * each file: what a refused commit must leave as it was (free()) */
static char *
snapshot(const struct dfx *f)
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "{ find tables conf -print; "
	    "find tables conf -type f -exec cksum {} +; "
	    "cat state/deployed; } 2>/dev/null | LC_ALL=C sort");
	ck_assert_msg(rc == 0 && out, "snapshot: %s", out ? out : "");
	return out;
}

/* expect_untouched - the host is as snapshot before said, the deployed
 * commit is deployed, nothing left behind, no reload beyond nreloads */
static void
expect_untouched(const struct dfx *f, const char *before,
    const char *deployed, int nreloads, const char *what)
{
	char *after = snapshot(f);

	ck_assert_msg(strcmp(after, before) == 0, "%s: the host changed:\n"
	    "%s\nwas:\n%s", what, after, before);
	free(after);
	dfx_expect_deployed(f, deployed);
	dfx_expect_no_temp(f);
	ck_assert_msg(dfx_reloads(f) == nreloads, "%s: %d reloads, not %d",
	    what, dfx_reloads(f), nreloads);
}

/* expect_refused - run the script with args: exit status want, every
 * string of has in its output */
static void
expect_refused(const struct dfx *f, const char *args, int want,
    const char *const *has, const char *what)
{
	char *out = NULL;
	int rc;

	rc = dfx_deploy(f, &out, "", args);
	ck_assert_msg(rc == want, "%s: %s: exit %d, not %d: %s", what, args,
	    rc, want, out ? out : "");
	dfx_expect_has(out, has);
	free(out);
}

/* hostile_commit - a commit on upstream main whose tree is the tree of
 * base edited by the shell commands edit (see TREE_PRELUDE) */
static void
hostile_commit(const struct dfx *f, const char *base, const char *edit)
{
	char *out = NULL;
	int rc;

	rc = dfx_sh(f, &out, "BASE=%s && %s%s && "
	    "tree=$(G mktree -z < t.z) && "
	    "c=$(G commit-tree -p main -m hostile \"$tree\") && "
	    "G update-ref refs/heads/main \"$c\" && rm t.z", base, TREE_PRELUDE,
	    edit);
	ck_assert_msg(rc == 0, "%s: exit %d: %s", edit, rc, out ? out : "");
	free(out);
}

struct tree_case {
	const char *edit;       /* shell, on top of the deployed tree */
	const char *name;       /* how the message names the entry */
	const char *why;
};

#define MAINCF "mynetworks = 0.0.0.0/0\\n"

static const struct tree_case tree_cases[] = {
	{ "add 100644 blob $(blob '" MAINCF "') main.cf",
	    "main.cf: ", "not a table of the bluemind layout" },
	{ "add 100644 blob $(blob 'smtp.example.com user:pw\\n') sasl_passwd",
	    "sasl_passwd: ", "not a table of the bluemind layout" },
	{ "add 100644 blob $(blob 'x\\n') -rf",
	    "-rf: ", "not a table of the bluemind layout" },
	{ "add 100644 blob $(blob '" MAINCF "') 'main cf'",
	    "\"main cf\": ", "not a table" },
	{ "add 100644 blob $(blob '" MAINCF "') \"$(printf 'main\\ncf')\"",
	    "\"main\\ncf\": ", "not a table" },
	{ "add 100644 blob $(blob '" MAINCF "') \"$(printf 'tr\\303\\242ns')\"",
	    "\"tr\\303\\242ns\": ", "not a table" },
	{ "add 100644 blob $(blob 'x\\n') .forward",
	    ".forward: ", "not a table of the bluemind layout" },
	{ "add 100644 blob $(blob '* OK\\n') .gitattributes",
	    ".gitattributes: ", "not a table" },
	/* a table of the other layout, a .db, a directory of no table */
	{ "add 100644 blob $(blob 'evil.test OK\\n') relay_domains",
	    "relay_domains: ", "not a table of the bluemind layout" },
	{ "add 100644 blob $(blob '') transport.db",
	    "transport.db: ", "not a table" },
	{ "add 040000 tree $(printf '100644 blob %s\\tmain.cf\\0' "
	    "$(blob '" MAINCF "') | G mktree -z) postfix",
	    "postfix: ", "not a table" },
	{ "add 040000 tree $(printf '100644 blob %s\\t0\\0' "
	    "$(blob 'evil.test OK\\n') | G mktree -z) relay_domains.d",
	    "relay_domains.d: ", "not a table" },
	/* where a table is expected */
	{ "drop transport && add 040000 tree $(printf '100644 blob %s\\tx\\0' "
	    "$(blob 'bob@example.com smtp:[legacy.example.com]:25\\n') | "
	    "G mktree -z) transport",
	    "transport: ", "a directory" },
	{ "drop virtual_alias && "
	    "add 120000 blob $(blob '/etc/postfix/main.cf') virtual_alias",
	    "virtual_alias: ", "a symbolic link" },
	{ "drop transport && add 160000 commit $(G rev-parse main) transport",
	    "transport: ", "a submodule" },
	{ "add 100644 blob $(blob 'x\\n') transport.d",
	    "transport.d: ", "not a directory" },
	{ "add 120000 blob $(blob '/etc/postfix') virtual_mailbox.d",
	    "virtual_mailbox.d: ", "not a directory" },
	/* splitsync's own directory, as something else */
	{ "drop .splitsync && add 100644 blob $(blob 'x\\n') .splitsync",
	    ".splitsync: ", "not a directory" },
	/* a submodule among the shards of a table */
	{ "drop transport && add 040000 tree $({ "
	    "printf '100644 blob %s\\t0\\0' $(G rev-parse \"$BASE:transport\") "
	    "&& printf '160000 commit %s\\t1\\0' $(G rev-parse main); } | "
	    "G mktree -z) transport.d",
	    "transport.d/1: ", "invalid shard: not a regular file" },
};
#define NTREE_CASES (sizeof tree_cases / sizeof tree_cases[0])

START_TEST(test_foreign_files)
{
	/* one upstream for every case; -t and -n refuse the same way */
	const struct tree_case *c = &tree_cases[_i];
	struct dfx f;
	char c1[65], c2[65], *before;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	before = snapshot(&f);
	hostile_commit(&f, c2, c->edit);
	expect_refused(&f, "", DFX_REFUSED, (const char *const[]){ c->name,
	    c->why, "nothing deployed", NULL }, c->edit);
	expect_untouched(&f, before, c2, 2, c->edit);
	expect_refused(&f, "-t transport", DFX_REFUSED,
	    (const char *const[]){ c->name, NULL }, c->edit);
	expect_refused(&f, "-n", DFX_REFUSED,
	    (const char *const[]){ c->name, NULL }, c->edit);
	expect_untouched(&f, before, c2, 2, c->edit);
	ck_assert(!dfx_exists(&f, "tables/main.cf"));
	ck_assert(!dfx_exists(&f, "tables/sasl_passwd"));
	ck_assert(!dfx_exists(&f, "tables/-rf"));
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_foreign_files_listed)
{
	/* every foreign name is said, not only the first */
	struct dfx f;
	char c1[65], c2[65], *before;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	before = snapshot(&f);
	hostile_commit(&f, c2, "add 100644 blob $(blob '" MAINCF "') main.cf "
	    "&& add 100644 blob $(blob 'x\\n') sasl_passwd && "
	    "add 100644 blob $(blob 'x\\n') .forward");
	expect_refused(&f, "", DFX_REFUSED, (const char *const[]){
	    "main.cf: ", "sasl_passwd: ", ".forward: ", "nothing deployed",
	    NULL }, "three foreign files");
	expect_untouched(&f, before, c2, 2, "three foreign files");
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_reproducer)
{
	/* a bare repository whose main holds transport and main.cf, and a
	 * table dir that is the Postfix configuration directory: refused
	 * as a usage error before anything is fetched; with a table dir of
	 * its own, main.cf is refused by name */
	struct dfx f;
	char *before, *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_ok(&f, "G() { git --git-dir=up.git \"$@\"; } && "
	    "t=$(printf 'bob@example.com " LEGACY "\\n' | "
	    "G hash-object -w --stdin) && "
	    "m=$(printf '" MAINCF "' | G hash-object -w --stdin) && "
	    "tree=$(printf '100644 blob %s\\ttransport\\n"
	    "100644 blob %s\\tmain.cf\\n' $t $m | G mktree) && "
	    "c=$(G commit-tree -m routes $tree) && "
	    "G update-ref refs/heads/main $c && "
	    "printf 'myhostname = mx.example.com\\n' > conf/main.cf");
	before = snapshot(&f);
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -r \"$PWD/up.git\" "
	    "-d \"$PWD/conf\" -s \"$PWD/state\" -c \"$PWD/conf\"", f.top);
	ck_assert_msg(rc == DFX_USAGE, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "-d", "conf",
	    "the Postfix configuration directory", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "state"));
	out = snapshot(&f);
	ck_assert_str_eq(out, before);
	free(out);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "main.cf: ",
	    "not a table of the bluemind layout", "nothing deployed", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables/main.cf"));
	ck_assert(!dfx_exists(&f, "tables/transport"));
	dfx_expect_deployed(&f, NULL);
	ck_assert_int_eq(dfx_reloads(&f), 0);
	out = dfx_text(&f, "conf/main.cf");
	ck_assert_str_eq(out, "myhostname = mx.example.com");
	free(out);
	free(before);
	dfx_free(&f);
}
END_TEST

/* -d spellings of the Postfix configuration directory (conf, made by
 * dfx_init_dir; link is a symbolic link to it) */
static const char *const conf_spellings[] = {
	"\"$PWD/conf\"",
	"\"$PWD/conf/\"",
	"\"$PWD/conf//\"",
	"\"$PWD/conf/.\"",
	"\"$PWD/link\"",
	"\"$PWD/link/\"",
	"\"$PWD/conf/new/..\"",
	"\"$PWD/conf/new/sub/../..\"",
	"\"$PWD/tables/../conf\"",
	"\"$PWD/conf/main.cf/..\"",
	"conf",
	"./link/new/../",
};
#define NCONF_SPELLINGS (sizeof conf_spellings / sizeof conf_spellings[0])

START_TEST(test_table_dir_is_config_dir)
{
	struct dfx f;
	char c1[65], *before, *out = NULL;
	const char *d = conf_spellings[_i];
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	dfx_ok(&f, "ln -s conf link && mkdir tables && "
	    "printf 'myhostname = mx.example.com\\n' > conf/main.cf");
	before = snapshot(&f);
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -r \"$PWD/up.git\" "
	    "-d %s -s \"$PWD/state\" -c \"$PWD/conf\"", f.top, d);
	ck_assert_msg(rc == DFX_USAGE, "-d %s: exit %d: %s", d, rc,
	    out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "-d ",
	    "the Postfix configuration directory", NULL });
	free(out);
	/* -c spelled otherwise, -d plain */
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -r \"$PWD/up.git\" "
	    "-d \"$PWD/conf\" -s \"$PWD/state\" -c %s", f.top, d);
	ck_assert_msg(rc == DFX_USAGE, "-c %s: exit %d: %s", d, rc,
	    out ? out : "");
	free(out);
	ck_assert(!dfx_exists(&f, "state"));
	ck_assert(!dfx_exists(&f, "conf/new"));
	out = snapshot(&f);
	ck_assert_msg(strcmp(out, before) == 0, "-d %s: changed:\n%s", d, out);
	free(out);
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_table_dir_inside_config_dir)
{
	/* a directory of its own under the configuration directory, the
	 * default layout of a host, is fine */
	struct dfx f;
	char c1[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -r \"$PWD/up.git\" "
	    "-d \"$PWD/conf/splitsync\" -s \"$PWD/state\" -c \"$PWD/conf/\"",
	    f.top);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, out ? out : "");
	free(out);
	ck_assert(dfx_exists(&f, "conf/splitsync/transport.db"));
	ck_assert(!dfx_exists(&f, "conf/transport"));
	dfx_free(&f);
}
END_TEST

struct line_case {
	const char *table;
	const char *text;
	const char *where;      /* table:line the message names */
	const char *why;
};

#define VA1 "@example.net @example.com\n" \
	"alice.martin@example.com alice@example.com\n"
#define TR2 "alice@example.com " CORE "\n" \
	"bob@example.com " CORE "\n"
/* commit 3's good change, which a refused commit must not bring */
#define VA3 VA1 "robert@example.com bob@example.com\n"
#define MB4 "@example.org OK\nalice@example.com OK\nbob@example.com OK\n" \
	"carol@example.com OK\n"

static const struct line_case line_cases[] = {
	/* fan-out: a copy of alice's mail elsewhere */
	{ "virtual_alias", VA1 "alice@example.com alice@example.com,"
	    "spy@evil.test\n", "virtual_alias:3:", "a list" },
	{ "virtual_alias", VA1 "bob@example.com bob@example.com,"
	    "alice@example.com\n", "virtual_alias:3:", "a list" },
	/* catch-alls */
	{ "virtual_alias", "@example.com spy@evil.test\n" VA1,
	    "virtual_alias:1:", "@domain expected" },
	{ "virtual_alias", "@example.com alice@example.com\n" VA1,
	    "virtual_alias:1:", "@domain expected" },
	{ "virtual_mailbox", "@example.com spy@evil.test\n" MB4,
	    "virtual_mailbox:1:", "OK expected" },
	{ "transport", "@example.com smtp:[evil.test]:25\n" TR2,
	    "transport:1:", "never in transport" },
	{ "transport", TR2 "example.com smtp:[evil.test]:25\n",
	    "transport:3:", "never in transport" },
	{ "transport", ".example.com smtp:[evil.test]:25\n" TR2,
	    "transport:1:", "not a domain" },
	{ "transport", "* smtp:[evil.test]:25\n" TR2, "transport:1:",
	    "not a domain" },
	{ "virtual_mailbox", MB4 "example.com OK\n", "virtual_mailbox:5:",
	    "never in virtual_mailbox" },
	{ "virtual_alias", VA1 "alice@example.com @example.net\n",
	    "virtual_alias:3:", "address expected" },
	/* outside the managed domains */
	{ "transport", TR2 "bob@evil.test " LEGACY "\n", "transport:3:",
	    "evil.test is not a managed domain" },
	{ "virtual_alias", VA1 "robert@example.com spy@evil.test\n",
	    "virtual_alias:3:", "evil.test is not a managed domain" },
	{ "virtual_alias", "@evil.test @example.com\n" VA1,
	    "virtual_alias:1:", "evil.test is not a managed domain" },
	{ "master_relay_transport", "evil.test " LEGACY "\n",
	    "master_relay_transport:1:", "evil.test is not a managed domain" },
	{ "virtual_mailbox", MB4 "spy@example.com.evil.test OK\n",
	    "virtual_mailbox:5:", "is not a managed domain" },
	/* values of the wrong shape */
	{ "virtual_domains", "evil.test spy\nexample.com OK\n",
	    "virtual_domains:1:", "OK expected" },
	{ "virtual_domains", "example.com OK\n*.example.com OK\n",
	    "virtual_domains:2:", "not a domain" },
	{ "master_relay_transport", "example.org :\n",
	    "master_relay_transport:1:", "transport:nexthop expected" },
	{ "virtual_mailbox", MB4 "dave@example.com REJECT\n",
	    "virtual_mailbox:5:", "OK expected" },
	{ "transport", TR2 "carol@example.com local:carol\n", "transport:3:",
	    "transport local is not allowed" },
	{ "transport", TR2 "carol@example.com error:5.1.1\n", "transport:3:",
	    "transport error is not allowed" },
	{ "transport", TR2 "carol@example.com smtp:[a.test]:25,"
	    "smtp:[b.test]:25\n", "transport:3:", "a list" },
	{ "transport", TR2 "carol@example.com smtp:[evil.test]:99999\n",
	    "transport:3:", "port" },
	{ "transport", TR2 "carol@example.com smtp:[2001:db8::1]:25\n",
	    "transport:3:", "ipv6:" },
	{ "transport", TR2 "carol@example.com smtp:\n", "transport:3:",
	    "empty destination" },
	{ "transport", TR2 "carol@example.com smtp:inet:evil.test:25\n",
	    "transport:3:", "inet:" },
	{ "transport", TR2 "carol@example.com alice@example.com\n",
	    "transport:3:", "transport:nexthop or" },
	{ "virtual_alias", VA1 "robert@example.com bob\n",
	    "virtual_alias:3:", "address expected" },
	{ "virtual_alias", VA1 "robert@example.com \"b o\"@example.com\n",
	    "virtual_alias:3:", "more than one space" },
	{ "virtual_alias", VA1 "robert@example.com bob@@example.com\n",
	    "virtual_alias:3:", "not one address" },
	{ "virtual_alias", VA1 "robert@example.com Bob@example.com\n",
	    "virtual_alias:3:", "invalid local part" },
	{ "transport", TR2 "carol@example.com smtp:[Legacy.example.com]:25\n",
	    "transport:3:", "not a domain" },
	/* a domain the commit drops, still used elsewhere */
	{ "virtual_domains", "example.com OK\nexample.net OK\n",
	    "transport:4:", "example.org is not a managed domain" },
};
#define NLINE_CASES (sizeof line_cases / sizeof line_cases[0])

START_TEST(test_hostile_lines)
{
	/* one upstream for every case, each bad commit descending from the
	 * previous one; the good change in virtual_alias does not come */
	struct dfx f;
	char c1[65], c2[65], c3[65], *before, msg[128];
	size_t i;

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	before = snapshot(&f);
	for (i = 0; i < NLINE_CASES; i++) {
		const struct line_case *c = &line_cases[i];

		snprintf(msg, sizeof msg, "case %zu (%s)", i, c->where);
		dfx_stage(&f, "c1 c2");
		if (strcmp(c->table, "virtual_alias") != 0)
			PUT(&f, "virtual_alias", VA3);
		PUT(&f, c->table, c->text);
		dfx_commit(&f, "hostile", c3);
		expect_refused(&f, "", DFX_REFUSED, (const char *const[]){
		    c->where, c->why, "nothing deployed", NULL }, msg);
		expect_untouched(&f, before, c2, 2, msg);
		dfx_expect_query(&f, "virtual_alias", "robert@example.com",
		    NULL);
	}
	/* -n says the same */
	expect_refused(&f, "-n", DFX_REFUSED, (const char *const[]){
	    line_cases[NLINE_CASES - 1].where, "would be refused", NULL },
	    "dry run");
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_good_lines_deploy)
{
	/* the same tables with only rows of the layout's shapes deploy,
	 * every allowed transport of the default list among them */
	struct dfx f;
	char c1[65], c2[65], c3[65];

	dfx_init(&f);
	dfx_deploy_c1_c2(&f, c1, c2);
	dfx_stage(&f, "c1 c2");
	PUT(&f, "transport", TR2 "carol@example.com relay:[10.0.0.1]\n"
	    "dave@example.org smtp:[ipv6:2001:db8::1]:25\n"
	    "erin@example.net smtp:mx.example.net\n"
	    "frank@example.com :\n");
	PUT(&f, "virtual_alias", VA3);
	dfx_commit(&f, "good", c3);
	dfx_deploy_ok(&f, "");
	dfx_expect_deployed(&f, c3);
	dfx_expect_query(&f, "transport", "carol@example.com",
	    "relay:[10.0.0.1]");
	dfx_expect_query(&f, "transport", "frank@example.com", ":");
	dfx_expect_query(&f, "virtual_alias", "robert@example.com",
	    "bob@example.com");
	ck_assert_int_eq(dfx_reloads(&f), 3);
	dfx_free(&f);
}
END_TEST

START_TEST(test_transports_option)
{
	/* -T narrows the transports; the commit using another is refused */
	struct dfx f;
	char c1[65], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	rc = dfx_deploy(&f, &out, "", "-T smtp");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "transport:1:",
	    "transport lmtp is not allowed", "nothing deployed", NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables/transport"));
	dfx_expect_deployed(&f, NULL);
	dfx_deploy_ok(&f, "-T 'smtp lmtp'");
	dfx_expect_deployed(&f, c1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_defaults_match_splitsync)
{
	/* the script's default layout and transports are splitsync's:
	 * each transport splitsync allows by default deploys, another one
	 * is refused; the default layout's tables deploy, the other's do
	 * not */
	struct config *cfg = NULL;
	struct dfx f;
	struct diag d;
	char c[65], line[256], *out = NULL;
	size_t i;
	int rc;

	diag_init(&d, NULL);
	ck_assert_int_eq(config_load("tests/data/config/minimal.cf", &cfg,
	    &d), 0);
	dfx_init(&f);
	dfx_stage(&f, "gateway");
	dfx_commit(&f, "gateway", c);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == (cfg->layout == CONFIG_LAYOUT_GATEWAY ? 0 :
	    DFX_REFUSED), "layout %s: exit %d: %s",
	    config_layout_name(cfg->layout), rc, out ? out : "");
	free(out);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == (cfg->layout == CONFIG_LAYOUT_BLUEMIND ? 0 :
	    DFX_REFUSED), "layout %s: exit %d: %s",
	    config_layout_name(cfg->layout), rc, out ? out : "");
	free(out);
	ck_assert_uint_gt(cfg->ntransports, 0);
	for (i = 0; i <= cfg->ntransports; i++) {
		const char *t = i < cfg->ntransports ? cfg->transports[i] :
		    "nosuch";

		dfx_stage(&f, "c1");
		snprintf(line, sizeof line, "alice@example.com "
		    "%s:[core.example.com]:2400\n", t);
		PUT(&f, "transport", line);
		dfx_commit(&f, t, c);
		rc = dfx_deploy(&f, &out, "", "");
		if (i < cfg->ntransports)
			ck_assert_msg(rc == 0, "%s: exit %d: %s", t, rc,
			    out ? out : "");
		else
			ck_assert_msg(rc == DFX_REFUSED && out &&
			    strstr(out, "transport nosuch is not allowed"),
			    "%s: exit %d: %s", t, rc, out ? out : "");
		free(out);
	}
	dfx_free(&f);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_gateway_layout)
{
	/* -l gateway: its tables deploy, the BlueMind ones are foreign,
	 * and its own shapes apply */
	struct dfx f;
	char c1[65], c2[65], *out = NULL, *before;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "gateway");
	dfx_commit(&f, "gateway", c1);
	dfx_deploy_ok(&f, "-l gateway");
	dfx_expect_query(&f, "relay_recipients", "@example.org", "OK");
	before = snapshot(&f);
	dfx_stage(&f, "gateway c1");
	dfx_commit(&f, "both layouts", c2);
	rc = dfx_deploy(&f, &out, "", "-l gateway");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "virtual_alias: ",
	    "not a table of the gateway layout", "virtual_domains: ",
	    NULL });
	free(out);
	expect_untouched(&f, before, c1, 1, "both layouts");
	dfx_stage(&f, "gateway");
	PUT(&f, "relay_recipients", "@example.org OK\n"
	    "alice@example.com OK\nexample.com OK\n");
	dfx_commit(&f, "domain key", c2);
	expect_refused(&f, "-l gateway", DFX_REFUSED, (const char *const[]){
	    "relay_recipients:3:", "never in relay_recipients", NULL },
	    "domain key");
	dfx_stage(&f, "gateway");
	PUT(&f, "transport", "@example.com " LEGACY "\n");
	dfx_commit(&f, "catch-all", c2);
	expect_refused(&f, "-l gateway", DFX_REFUSED, (const char *const[]){
	    "transport:1:", "never in transport", NULL }, "catch-all");
	dfx_stage(&f, "gateway");
	PUT(&f, "relay_domains", "example.com OK\n");
	dfx_commit(&f, "dropped domain", c2);
	expect_refused(&f, "-l gateway", DFX_REFUSED, (const char *const[]){
	    "relay_recipients:1:", "example.org is not a managed domain",
	    "transport:4:", NULL }, "dropped domain");
	expect_untouched(&f, before, c1, 1, "gateway");
	free(before);
	dfx_free(&f);
}
END_TEST

START_TEST(test_golden_tables_deploy)
{
	/* what splitsync renders (the golden tables of check_render) is
	 * what the script accepts: one definition for both */
	static const char *const layouts[] = { "bluemind", "gateway" };
	const char *layout = layouts[_i];
	struct dfx f;
	char c1[65], cmd[512];

	dfx_init(&f);
	snprintf(cmd, sizeof cmd, "cp '%s/tests/data/render/%s'/* work/",
	    f.top, layout);
	dfx_ok(&f, cmd);
	dfx_commit(&f, layout, c1);
	snprintf(cmd, sizeof cmd, "-l %s -T 'smtp lmtp'", layout);
	dfx_deploy_ok(&f, cmd);
	dfx_expect_deployed(&f, c1);
	dfx_free(&f);
}
END_TEST

START_TEST(test_sharded_hostile)
{
	/* shards of a commit splitsync made: a foreign line in a shard is
	 * named shard:line; the managed domains come from the shards of
	 * virtual_domains */
	struct dfx f;
	char c1[65], c2[65], *want = NULL, *before, *out = NULL;
	int rc;

	dfx_init_dir(&f);
	dfx_source(&f, 16);
	dfx_splitsync(&f, "resync", "--repo up.git");
	dfx_head(&f, "up.git", c1);
	dfx_deploy_ok(&f, "");
	before = snapshot(&f);
	dfx_ok(&f, "git clone -q -b main up.git work");
	rc = dfx_sh(&f, &want, "cd work && s=transport.d/$(LC_ALL=C ls "
	    "transport.d | head -n 1) && printf 'bob@evil.test "
	    LEGACY "\\n' >> $s && echo \"$s:$(($(wc -l < $s))): \"");
	ck_assert_msg(rc == 0 && want, "edit: %s", want ? want : "");
	want[strcspn(want, "\n")] = '\0';
	dfx_commit(&f, "foreign shard line", c2);
	expect_refused(&f, "", DFX_REFUSED, (const char *const[]){ want,
	    "evil.test is not a managed domain", "nothing deployed", NULL },
	    "shard");
	expect_untouched(&f, before, c1, 1, "shard");
	free(want);
	/* a domain dropped from the shards of virtual_domains */
	dfx_ok(&f, "cd work && git reset -q --hard HEAD~1 && "
	    "grep -l '^example.org ' -r virtual_domains.d | "
	    "xargs sed -i '/^example.org /d'");
	dfx_commit(&f, "dropped domain", c2);
	rc = dfx_deploy(&f, &out, "", "");
	ck_assert_msg(rc == DFX_REFUSED, "exit %d: %s", rc, out ? out : "");
	dfx_expect_has(out, (const char *const[]){ "transport.d/",
	    "example.org is not a managed domain", NULL });
	free(out);
	expect_untouched(&f, before, c1, 1, "dropped domain");
	free(before);
	dfx_free(&f);
}
END_TEST

struct usage_case {
	const char *args;
	const char *why;
};

static const struct usage_case usage_cases[] = {
	{ "-l nosuch", "-l nosuch: not a layout" },
	{ "-l ''", "not a layout" },
	{ "-T ''", "-T: no transport named" },
	{ "-T 'smtp Lmtp'", "-T Lmtp: not a transport name" },
	{ "-T 'smtp smtp:'", "not a transport name" },
	{ "-L /nonexistent", "-L /nonexistent: no readable postfix.tables" },
	{ "-t relay_domains", "-t relay_domains: not a table of the "
	    "bluemind layout" },
	{ "-l gateway -t virtual_alias", "not a table of the gateway layout" },
};
#define NUSAGE (sizeof usage_cases / sizeof usage_cases[0])

START_TEST(test_usage)
{
	const struct usage_case *u = &usage_cases[_i];
	struct dfx f;
	char *out = NULL;
	int rc;

	dfx_init_dir(&f);
	rc = dfx_sh(&f, &out, "sh '%s/" DFX_SCRIPT "' -r up.git "
	    "-d \"$PWD/tables\" -s \"$PWD/state\" -c \"$PWD/conf\" %s",
	    f.top, u->args);
	ck_assert_msg(rc == DFX_USAGE, "%s: exit %d: %s", u->args, rc,
	    out ? out : "");
	dfx_expect_has(out, (const char *const[]){ u->why, NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "state"));
	ck_assert(!dfx_exists(&f, "tables"));
	dfx_free(&f);
}
END_TEST

struct def_case {
	const char *text;       /* a layouts file */
	int status;
	const char *want;
};

static const struct def_case def_cases[] = {
	/* a file that drops virtual_alias from the layout: the table is
	 * then foreign */
	{ "layout bluemind virtual_domains\n"
	  "row bluemind virtual_domains domain OK\n"
	  "row bluemind virtual_mailbox address OK\n"
	  "row bluemind virtual_mailbox @domain OK\n"
	  "row bluemind transport address nexthop\n"
	  "row bluemind master_relay_transport domain nexthop\n",
	  DFX_REFUSED, "virtual_alias: not a table of the bluemind layout" },
	{ "# no rows\nlayout bluemind virtual_domains\n", DFX_INTERNAL,
	  "defs/postfix.tables:2: layout bluemind: no row for "
	  "virtual_domains" },
	{ "layout bluemind virtual_domains\n"
	  "row bluemind virtual_domains domain maybe\n", DFX_INTERNAL,
	  "defs/postfix.tables:2: unknown value shape maybe" },
	{ "layout bluemind virtual_domains\n"
	  "row bluemind virtual_domains domain OK extra\n", DFX_INTERNAL,
	  "defs/postfix.tables:2: " },
	{ "row bluemind virtual_domains domain OK\n", DFX_INTERNAL,
	  "defs/postfix.tables:1: row of an undeclared layout bluemind" },
};
#define NDEF_CASES (sizeof def_cases / sizeof def_cases[0])

START_TEST(test_layouts_file)
{
	/* -L names the directory of the definition; a broken one is an
	 * internal error that names file:line */
	const struct def_case *c = &def_cases[_i];
	struct dfx f;
	char c1[65], cmd[512], *out = NULL;
	int rc;

	dfx_init(&f);
	dfx_stage(&f, "c1");
	dfx_commit(&f, "c1", c1);
	snprintf(cmd, sizeof cmd, "mkdir defs && cp '%s/layouts/"
	    "definition.awk' '%s/layouts/rows.awk' defs/", f.top, f.top);
	dfx_ok(&f, cmd);
	PUT(&f, "../defs/postfix.tables", c->text);
	rc = dfx_deploy(&f, &out, "", "-L \"$PWD/defs\"");
	ck_assert_msg(rc == c->status, "case %d: exit %d: %s", _i, rc,
	    out ? out : "");
	dfx_expect_has(out, (const char *const[]){ c->want, NULL });
	free(out);
	ck_assert(!dfx_exists(&f, "tables/transport"));
	dfx_expect_deployed(&f, NULL);
	dfx_free(&f);
}
END_TEST

/* hostile_suite - all of the above */
static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("deploy_hostile");
	TCase *tt = tcase_create("trees");
	TCase *tl = tcase_create("lines");
	TCase *to = tcase_create("options");

	tcase_set_timeout(tt, 120);
	tcase_add_loop_test(tt, test_foreign_files, 0, (int)NTREE_CASES);
	tcase_add_test(tt, test_foreign_files_listed);
	tcase_add_test(tt, test_reproducer);
	tcase_add_loop_test(tt, test_table_dir_is_config_dir, 0,
	    (int)NCONF_SPELLINGS);
	tcase_add_test(tt, test_table_dir_inside_config_dir);
	suite_add_tcase(s, tt);

	tcase_set_timeout(tl, 300);
	tcase_add_test(tl, test_hostile_lines);
	tcase_add_test(tl, test_good_lines_deploy);
	tcase_add_test(tl, test_gateway_layout);
	tcase_add_loop_test(tl, test_golden_tables_deploy, 0, 2);
	tcase_add_test(tl, test_sharded_hostile);
	suite_add_tcase(s, tl);

	tcase_set_timeout(to, 120);
	tcase_add_test(to, test_transports_option);
	tcase_add_test(to, test_defaults_match_splitsync);
	tcase_add_loop_test(to, test_usage, 0, (int)NUSAGE);
	tcase_add_loop_test(to, test_layouts_file, 0, (int)NDEF_CASES);
	suite_add_tcase(s, to);
	return s;
}

int
main(void)
{
	return testlib_main(hostile_suite());
}
