/*
 * check_upgrade - repositories written by splitsync 0.1.0, read and
 * converted by this version
 *
 * DESCRIPTION
 *	Each bundle of tests/data/upgrade (its README says how 0.1.0 made
 *	it) is cloned into a repository beside the directory and mapping
 *	it was made from, under the same names. A resync of the same
 *	directory commits nothing and leaves the tree as it was: the
 *	listing's first form is read as it is. A changed directory makes
 *	one commit whose message is the one 0.1.0 wrote for such a change
 *	(its lines checked by hand once, asserted here), whose tables are
 *	those a repository made by this version from the same history
 *	holds, byte for byte, and whose listing is in the second form. A
 *	further change is told from the second form, and status counts
 *	the routes of either form alike.
 *
 *	The conflict bundle: shared@example.com was kept for uid=zed by
 *	0.1.0 although uid=aaron's id is smaller; it stays with zed.
 *
 * DIAGNOSTICS
 *	A failed assertion names the bundle and what differs.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define DATA "tests/data/upgrade"
#define PROFILE "tests/data/profiles/bluemind"

/* How a bundle was made, and what 0.1.0 wrote for the change. */
struct bundle {
	const char *name;
	const char *mapping;    /* the file, copied under its own name */
	const char *ldif;       /* copied as directory.ldif */
	const char *extra;      /* configuration lines */
	const char *first;      /* the conflict: the first directory's sed
	                           script (NULL: one resync) */
	const char *changed;    /* the message of CHANGE, to its conflicts */
	const char *undone;     /* ... of UNDO after it */
};

#define BOB "(uid=bob,ou=people,dc=example,dc=com)\n"
#define PROFILE_RELAY "external smtp:legacy.example.com:25 "
#define QUICK_RELAY "external smtp:[legacy.example.com]:25 "
#define PROFILE_SUMMARY "splitsync: 1 added, 0 changed, 1 removed " \
	"(14 addresses, 3 domains)\n\n"
#define QUICK_SUMMARY "splitsync: 1 added, 0 changed, 1 removed " \
	"(13 addresses, 2 domains)\n\n"

static const struct bundle bundles[] = {
	{ "profile-bluemind-shards0", "mappings/bluemind.xml",
	    PROFILE "/directory.ldif", "table_shards = 0\n", NULL,
	    PROFILE_SUMMARY
	    "+ bob.two@example.com: " PROFILE_RELAY BOB
	    "- robert@example.com: " PROFILE_RELAY BOB,
	    PROFILE_SUMMARY
	    "- bob.two@example.com: " PROFILE_RELAY BOB
	    "+ robert@example.com: " PROFILE_RELAY BOB },
	{ "profile-bluemind-shards16", "mappings/bluemind.xml",
	    PROFILE "/directory.ldif", "table_shards = 16\n", NULL,
	    PROFILE_SUMMARY
	    "+ bob.two@example.com: " PROFILE_RELAY BOB
	    "- robert@example.com: " PROFILE_RELAY BOB,
	    PROFILE_SUMMARY
	    "- bob.two@example.com: " PROFILE_RELAY BOB
	    "+ robert@example.com: " PROFILE_RELAY BOB },
	{ "conflict-shards16", "examples/quickstart/mapping.xml",
	    DATA "/conflict.ldif", "table_shards = 16\n",
	    "/^dn: uid=aaron,/,$d",
	    QUICK_SUMMARY
	    "+ bob.two@example.com: " QUICK_RELAY BOB
	    "- robert@example.com: " QUICK_RELAY BOB,
	    QUICK_SUMMARY
	    "- bob.two@example.com: " QUICK_RELAY BOB
	    "+ robert@example.com: " QUICK_RELAY BOB },
};
#define NBUNDLES ((int)(sizeof bundles / sizeof bundles[0]))

static const char *const tables[] = {
	"virtual_domains", "virtual_mailbox", "virtual_alias", "transport",
	"master_relay_transport", NULL
};

/* The change every directory gets: bob's alias robert replaced. */
#define CHANGE "s/^mailAlternateAddress: robert@example.com$/" \
	"mailAlternateAddress: bob.two@example.com/"
#define UNDO "s/^mailAlternateAddress: bob.two@example.com$/" \
	"mailAlternateAddress: robert@example.com/"

/* setup - a scenario holding b's repository (cloned from its bundle,
 * or empty: fresh), its mapping and directory */
static void
setup(struct scenario *s, const struct bundle *b, int fresh)
{
	const char *map = strrchr(b->mapping, '/') + 1;
	char *conf = NULL, *out = NULL;
	int rc;

	scenario_new(s, b->mapping, NULL, NULL);
	ck_assert_int_ne(asprintf(&conf, "source = ldif\nldif = "
	    "directory.ldif\nmapping = %s\nlayout = bluemind\nrepository = "
	    "routing.git\nbranch = main\n%s", map, b->extra), -1);
	ck_assert_int_eq(testlib_write(s->conf, conf), 0);
	free(conf);
	rc = testlib_sh(&out, "cp '%s' '%s/%s' && cp '%s' '%s/directory.ldif' "
	    "&& rm -rf '%s'", b->mapping, s->dir, map, b->ldif, s->dir,
	    s->repo);
	ck_assert_msg(rc == 0, "%s: setup: %s", b->name, out);
	free(out);
	if (fresh)
		return;
	rc = testlib_sh(&out, "git clone -q --bare '" DATA "/%s.bundle' '%s'",
	    b->name, s->repo);
	ck_assert_msg(rc == 0, "%s: clone: %s", b->name, out);
	free(out);
}

/* edit - the directory changed by a sed script */
static void
edit(const struct scenario *s, const char *script)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "sed -i -e '%s' '%s/directory.ldif'", script,
	    s->dir);
	ck_assert_msg(rc == 0, "sed: %s", out);
	free(out);
}

/* resync - one resync of s; its output (free()) */
static char *
resync(const struct scenario *s, const char *name)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "'%s' resync -c '%s'", testlib_bin(), s->conf);
	ck_assert_msg(rc == 0, "%s: resync exits %d: %s", name, rc, out);
	return out;
}

/* git_out - a git command's output in s's repository (free()) */
static char *
git_out(const struct scenario *s, const char *args)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "git --git-dir='%s' %s", s->repo, args);
	ck_assert_msg(rc == 0, "git %s: %s", args, out);
	return out;
}

/* same_out - two repositories answer a git command alike */
static void
same_out(const struct scenario *a, const struct scenario *b,
    const char *args, const char *name)
{
	char *x = git_out(a, args), *y = git_out(b, args);

	ck_assert_msg(strcmp(x, y) == 0, "%s: git %s: %s against %s", name,
	    args, x, y);
	free(x);
	free(y);
}

/* message - the head's message, up to its conflicts or trailers */
static char *
message(const struct scenario *s)
{
	char *msg = git_out(s, "log -1 --format=%B main"), *end;

	if ((end = strstr(msg, "\nConflicts")) != NULL ||
	    (end = strstr(msg, "\nSplitsync-")) != NULL)
		*end = '\0';
	return msg;
}

/* second_form - the listing of the head is in the second form */
static void
second_form(const struct scenario *s, const char *name)
{
	char *top = git_out(s, "show main:.splitsync/domains");

	ck_assert_msg(strncmp(top, "# splitsync routes 2\n", 21) == 0,
	    "%s: the domains file begins %.40s", name, top);
	free(top);
}

/* domains_of - what status says of each domain (free()) */
static char *
domains_of(const struct scenario *s, const char *name)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "'%s' status -c '%s' | grep '^domain '",
	    testlib_bin(), s->conf);
	ck_assert_msg(rc == 0, "%s: status: %s", name, out);
	return out;
}

/* made_here - the repository this version makes from b's history
 * and the directory of s */
static void
made_here(struct scenario *fresh, const struct bundle *b,
    const struct scenario *s)
{
	char *out = NULL;
	int rc;

	setup(fresh, b, 1);
	if (b->first) {
		edit(fresh, b->first);
		free(resync(fresh, b->name));
		rc = testlib_sh(&out, "cp '%s' '%s/directory.ldif'", b->ldif,
		    fresh->dir);
		ck_assert_msg(rc == 0, "cp: %s", out);
		free(out);
		free(resync(fresh, b->name));
	}
	rc = testlib_sh(&out, "cp '%s/directory.ldif' '%s/directory.ldif'",
	    s->dir, fresh->dir);
	ck_assert_msg(rc == 0, "cp: %s", out);
	free(out);
	free(resync(fresh, b->name));
}

/* committed_once - a resync of s makes one commit, with message want
 * (to its conflicts) */
static void
committed_once(const struct scenario *s, const struct bundle *b,
    const char *want)
{
	char *before, *after, *out, *msg;

	before = git_out(s, "rev-list --count main");
	out = resync(s, b->name);
	ck_assert_msg(strstr(out, "committed ") != NULL, "%s: %s", b->name,
	    out);
	free(out);
	after = git_out(s, "rev-list --count main");
	ck_assert_msg(atoi(after) == atoi(before) + 1, "%s: %s commits, then "
	    "%s", b->name, before, after);
	free(before);
	free(after);
	msg = message(s);
	ck_assert_msg(strcmp(msg, want) == 0, "%s: the message:\n%s\nnot\n%s",
	    b->name, msg, want);
	free(msg);
}

START_TEST(same_directory_commits_nothing)
{
	const struct bundle *b = &bundles[_i];
	struct scenario s;
	char *tree, *after, *out;

	setup(&s, b, 0);
	tree = git_out(&s, "rev-parse main main^{tree}");
	out = resync(&s, b->name);
	ck_assert_msg(strstr(out, "no change") != NULL, "%s: %s", b->name,
	    out);
	free(out);
	after = git_out(&s, "rev-parse main main^{tree}");
	ck_assert_msg(strcmp(tree, after) == 0, "%s: %s became %s", b->name,
	    tree, after);
	free(tree);
	free(after);
	scenario_free(&s);
}
END_TEST

START_TEST(a_change_converts_the_listing)
{
	const struct bundle *b = &bundles[_i];
	struct scenario s, fresh;
	char args[128], *out, *before, *after;
	size_t i;

	setup(&s, b, 0);
	before = domains_of(&s, b->name);
	edit(&s, CHANGE);
	committed_once(&s, b, b->changed);
	second_form(&s, b->name);

	/* Tables and listing as this version writes them. */
	made_here(&fresh, b, &s);
	for (i = 0; tables[i]; i++) {
		snprintf(args, sizeof args, "ls-tree main %s %s.d",
		    tables[i], tables[i]);
		same_out(&s, &fresh, args, b->name);
	}
	same_out(&s, &fresh, "ls-tree -r main .splitsync", b->name);
	scenario_free(&fresh);

	/* Told from the second form, the same way; then nothing more. */
	edit(&s, UNDO);
	committed_once(&s, b, b->undone);
	second_form(&s, b->name);
	/* status reads either form: the same directory, the same counts */
	after = domains_of(&s, b->name);
	ck_assert_msg(strcmp(before, after) == 0, "%s: status said\n%s"
	    "before, now\n%s", b->name, before, after);
	free(before);
	free(after);
	out = resync(&s, b->name);
	ck_assert_msg(strstr(out, "no change") != NULL, "%s: a third resync: "
	    "%s", b->name, out);
	free(out);
	scenario_free(&s);
}
END_TEST

/* alias_of - the virtual_alias line of key in s's head (free()) */
static char *
alias_of(const struct scenario *s, const char *key)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "git --git-dir='%s' archive main virtual_alias.d "
	    "| tar -xOf - | grep '^%s '", s->repo, key);
	ck_assert_msg(rc == 0, "%s: not in virtual_alias: %s", key, out);
	return out;
}

START_TEST(conflict_stays_with_its_owner)
{
	const struct bundle *b = &bundles[NBUNDLES - 1];
	struct scenario s;
	char *out;

	setup(&s, b, 0);
	edit(&s, CHANGE);
	free(resync(&s, b->name));
	out = alias_of(&s, "shared@example.com");
	ck_assert_str_eq(out, "shared@example.com zed@example.com\n");
	free(out);
	out = git_out(&s, "log -1 --format=%B main");
	ck_assert_msg(strstr(out, "! uid=aaron,ou=people,dc=example,dc=com: "
	    "address shared@example.com is already routed for "
	    "uid=zed,ou=people,dc=example,dc=com; the existing route is "
	    "kept\n") != NULL, "%s", out);
	free(out);

	/* and still after a commit in the second form */
	edit(&s, UNDO);
	free(resync(&s, b->name));
	out = alias_of(&s, "shared@example.com");
	ck_assert_str_eq(out, "shared@example.com zed@example.com\n");
	free(out);
	scenario_free(&s);
}
END_TEST

static Suite *
upgrade_suite(void)
{
	Suite *s = suite_create("upgrade");
	TCase *tc = tcase_create("bundles");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, same_directory_commits_nothing, 0, NBUNDLES);
	tcase_add_loop_test(tc, a_change_converts_the_listing, 0, NBUNDLES);
	tcase_add_test(tc, conflict_stays_with_its_owner);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(upgrade_suite());
}
