/*
 * check_live - the service's one-change-at-a-time commits give the
 * repository a full build gives.
 *
 * Two real repositories receive the same sequence of directory changes:
 * A through the live state (publish_run with req.live), B through the
 * full build every time. After every change both branches must hold the
 * same tree (tables, route listing and state, shard by shard) and
 * commit messages that say the same (summary, route changes and the
 * counts of refused values and conflicts). The directory is made to
 * hit the hard cases: conflicts, alias domain twins, a forward-unknown
 * domain, a domain from a directory entry, nested groups, renames,
 * removals, refused values.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "errors.h"
#include "git_sink.h"
#include "live.h"
#include "mapping.h"
#include "mirror.h"
#include "publish.h"
#include "rollout.h"
#include "testlib.h"

#define NUSERS 48
#define NSTEPS 120      /* SPLITSYNC_LIVE_STEPS=N walks longer */

static const char mapping_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<mapping xmlns=\"urn:splitsync:mapping:1\" name=\"live\">\n"
    "  <domain name=\"example.com\" relay=\"smtp:[legacy.example.com]:25\"\n"
    "          forward-unknown=\"false\" local=\"lmtp:core.example.com:2400\">\n"
    "    <alias>example.net</alias>\n"
    "  </domain>\n"
    "  <domain name=\"example.org\" relay=\"smtp:[legacy.example.org]:25\"\n"
    "          forward-unknown=\"true\">\n"
    "    <alias>example.info</alias>\n"
    "  </domain>\n"
    "  <domains filter=\"(objectClass=splitsyncDomain)\">\n"
    "    <name attribute=\"associatedDomain\"/>\n"
    "    <relay attribute=\"splitsyncRelay\" transport=\"smtp\" port=\"25\"/>\n"
    "    <forward-unknown attribute=\"splitsyncForwardUnknown\" true=\"yes\"/>\n"
    "  </domains>\n"
    "  <groups filter=\"(objectClass=groupOfNames)\"/>\n"
    "  <mailboxes filter=\"(&amp;(objectClass=inetOrgPerson)(mail=*))\">\n"
    "    <address attribute=\"mail\"/>\n"
    "    <address attribute=\"mailAlternateAddress\"/>\n"
    "    <routing default=\"internal\">\n"
    "      <route to=\"none\">\n"
    "        <equals attribute=\"description\" value=\"disabled\"/>\n"
    "      </route>\n"
    "      <route to=\"external\">\n"
    "        <member-of group=\"cn=legacy,ou=groups,dc=example,dc=com\"/>\n"
    "      </route>\n"
    "    </routing>\n"
    "    <nexthop attribute=\"description\" form=\"nexthop\"/>\n"
    "    <external-addresses attribute=\"splitsyncExternalAddress\"/>\n"
    "  </mailboxes>\n"
    "</mapping>\n";

static const char *const domains[] = {
	"example.com", "example.net", "example.org", "example.info",
	"example.de", "elsewhere.test"
};

/* A small local-part pool: the same address turns up in several
 * entries (conflicts) and in a domain and its alias (twins). */
static const char *const locals[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
	"ivan", "judy", "mallory", "olivia", "peggy", "rupert", "sybil",
	"trent", "victor", "walter", "x", "postmaster"
};

struct world {
	char *dir;
	struct config *cfg;
	struct mapping *map;
	struct git_sink *a, *b;
	struct mirror *mir;
	struct live *live;
	unsigned seed;
	int in_legacy[NUSERS];
	int in_team[NUSERS];
	int renamed[NUSERS];
	int present[NUSERS];
	size_t incremental, commits;
};

/* rnd - the test's own generator: the run is the same every time */
static unsigned
rnd(struct world *w, unsigned n)
{
	w->seed = w->seed * 1103515245u + 12345u;
	return (w->seed >> 8) % n;
}

/* address - a random address from the pools */
static void
address(struct world *w, char *out, size_t len)
{
	snprintf(out, len, "%s@%s", locals[rnd(w, 20)],
	    domains[rnd(w, 6)]);
}

/* user_dn - the DN of user i (renamed ones live elsewhere) */
static void
user_dn(const struct world *w, int i, char *out, size_t len)
{
	snprintf(out, len, "uid=u%d,ou=%s,dc=example,dc=com", i,
	    w->renamed[i] ? "moved" : "people");
}

/* user_id - entryUUID-like id of user i */
static void
user_id(int i, char *out, size_t len)
{
	snprintf(out, len, "00000000-0000-0000-0000-%012d", i);
}

/* note_put - what the service does with a change: note, then store */
static void
note_put(struct world *w, const char *id, struct entry *e)
{
	ck_assert_int_eq(live_note(w->live, id, mirror_get(w->mir, id)), 0);
	if (e) {
		ck_assert_int_ge(mirror_put(w->mir, id, e), 0);
		entry_free(e);
	} else {
		ck_assert_int_ge(mirror_remove(w->mir, id), 0);
	}
}

/* add_value - one attribute value */
static void
add_value(struct entry *e, const char *name, const char *value)
{
	ck_assert_int_eq(entry_add_value(e, name, value, strlen(value)), 0);
}

/* make_user - user i with fresh random addresses */
static struct entry *
make_user(struct world *w, int i)
{
	struct entry *e;
	char dn[128], id[64], a[96];
	unsigned k, n = rnd(w, 4);

	user_dn(w, i, dn, sizeof dn);
	user_id(i, id, sizeof id);
	ck_assert_int_eq(entry_new(&e, dn, NULL), 0);
	add_value(e, "objectClass", "inetOrgPerson");
	add_value(e, "entryUUID", id);
	snprintf(a, sizeof a, "u%d@%s", i, domains[rnd(w, 5)]);
	add_value(e, "mail", a);
	for (k = 0; k < n; k++) {
		address(w, a, sizeof a);
		add_value(e, "mailAlternateAddress", a);
	}
	switch (rnd(w, 12)) {
	case 0:
		add_value(e, "description", "disabled");
		break;
	case 1:
		add_value(e, "description", "smtp:[mx.example.com]:25");
		break;
	case 2:
		add_value(e, "mailAlternateAddress", "bad address@example.com");
		break;
	case 3:
		address(w, a, sizeof a);
		add_value(e, "splitsyncExternalAddress", a);
		break;
	}
	return e;
}

/* make_group - cn=legacy (members and the team) or the team */
static struct entry *
make_group(const struct world *w, int team)
{
	struct entry *e;
	char dn[128];
	int i, any = 0;

	ck_assert_int_eq(entry_new(&e, team ?
	    "cn=team,ou=groups,dc=example,dc=com" :
	    "cn=legacy,ou=groups,dc=example,dc=com", NULL), 0);
	add_value(e, "objectClass", "groupOfNames");
	add_value(e, "entryUUID", team ? "group-team" : "group-legacy");
	if (!team)
		add_value(e, "member", "cn=team,ou=groups,dc=example,dc=com");
	for (i = 0; i < NUSERS; i++) {
		if (!(team ? w->in_team[i] : w->in_legacy[i]))
			continue;
		user_dn(w, i, dn, sizeof dn);
		add_value(e, "member", dn);
		any = 1;
	}
	if (!any)
		add_value(e, "member", "cn=nobody,dc=example,dc=com");
	return e;
}

/* make_domain - the directory's own domain entry */
static struct entry *
make_domain(void)
{
	struct entry *e;

	ck_assert_int_eq(entry_new(&e,
	    "associatedDomain=example.de,ou=domains,dc=example,dc=com", NULL),
	    0);
	add_value(e, "objectClass", "splitsyncDomain");
	add_value(e, "entryUUID", "domain-de");
	add_value(e, "associatedDomain", "example.de");
	add_value(e, "splitsyncRelay", "legacy.example.de");
	add_value(e, "splitsyncForwardUnknown", "no");
	return e;
}

/* git_out - a git command's first line of output (free()) */
static char *
git_out(const char *repo, const char *args)
{
	char *out = NULL;
	int rc = testlib_sh(&out, "git --git-dir='%s' %s", repo, args);

	ck_assert_msg(rc == 0, "git %s: %s", args, out ? out : "");
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* message_core - the part of a commit message both paths must agree
 * on: summary and route changes (the conflicts listed differ: the live
 * path names only those of the entries it recomputed), and the counts */
static char *
message_core(const char *repo)
{
	char *out = NULL, *p, *cut;
	int rc = testlib_sh(&out, "git --git-dir='%s' log -1 --format=%%B main",
	    repo);

	ck_assert_int_eq(rc, 0);
	cut = strstr(out, "\nConflicts (existing");
	if (cut == NULL)
		cut = strstr(out, "\nSplitsync-Source:");
	ck_assert_ptr_nonnull(cut);
	p = strstr(cut, "\nSplitsync-Rejected:");
	ck_assert_ptr_nonnull(p);
	/* keep summary and changes, then the two counts */
	memmove(cut, p, strlen(p) + 1);
	cut = strstr(cut, "\nSplitsync-Conflicts:");
	cut += strcspn(cut + 1, "\n") + 1;
	*cut = '\0';
	/* a confirm names the held commit, which differs between the two
	 * repositories (its parent does) */
	p = strstr(out, "-held (");
	if (p != NULL && strlen(p) > 19 && p[19] == ')')
		memset(p + 7, 'x', 12);
	return out;
}

/* publish - one publish into a repository, live or in full; 1 when
 * the guard held it */
static int
publish(struct world *w, struct git_sink *sink, struct live *live)
{
	struct publish_request req;
	struct publish_result res;
	struct diag problems, d;
	int rc;

	memset(&req, 0, sizeof req);
	req.source = "test";
	req.state = w->mir;
	req.live = live;
	diag_init(&problems, NULL);
	diag_init(&d, NULL);
	rc = publish_run(w->cfg, sink, w->map, w->mir, &req, &problems, NULL,
	    &res, &d);
	ck_assert_msg(rc == 0 || rc == ERR_HELD, "publish: %d: %s", rc,
	    diag_last_error(&d));
	if (live && res.committed) {
		w->commits++;
		w->incremental += res.incremental;
	}
	diag_free(&problems);
	diag_free(&d);
	return rc == ERR_HELD;
}

/* same_repositories - A and B hold the same tree and say the same */
static void
same_repositories(struct world *w, int step)
{
	char *ra, *rb, *ta, *tb, *ma, *mb;

	ck_assert_int_ne(asprintf(&ra, "%s/a.git", w->dir), -1);
	ck_assert_int_ne(asprintf(&rb, "%s/b.git", w->dir), -1);
	ta = git_out(ra, "rev-parse main^{tree}");
	tb = git_out(rb, "rev-parse main^{tree}");
	if (strcmp(ta, tb) != 0) {
		char *diff = NULL;

		testlib_sh(&diff, "cd '%s' && git --git-dir=a.git fetch -q "
		    "./b.git main:refs/b && git --git-dir=a.git diff --stat "
		    "main refs/b && git --git-dir=a.git diff main refs/b | "
		    "head -40", w->dir);
		ck_abort_msg("step %d: trees differ: %s", step, diff);
	}
	ma = message_core(ra);
	mb = message_core(rb);
	ck_assert_msg(strcmp(ma, mb) == 0, "step %d: messages differ:\n"
	    "live:\n%s\nfull:\n%s", step, ma, mb);
	free(ra);
	free(rb);
	free(ta);
	free(tb);
	free(ma);
	free(mb);
}

/* The guards off: the walks compare commits, not holds. */
#define NO_GUARDS "guard_max_delete_percent = 0\nguard_max_delete_count = 0\n" \
	"guard_max_add_percent = 0\nguard_max_add_count = 0\n"

/* world_open - directory, configuration (guards: their settings),
 * mapping, two repositories */
static void
world_open(struct world *w, const char *layout, int shards,
    const char *guards)
{
	struct diag d;
	char *path, *conf, id[64];
	int i;

	memset(w, 0, sizeof *w);
	/* SPLITSYNC_LIVE_SEED=N walks elsewhere */
	w->seed = 20261126u + (unsigned)shards;
	if (getenv("SPLITSYNC_LIVE_SEED"))
		w->seed += (unsigned)strtoul(getenv("SPLITSYNC_LIVE_SEED"),
		    NULL, 10);
	w->dir = testlib_tmpdir();
	diag_init(&d, NULL);
	ck_assert_int_ne(asprintf(&path, "%s/mapping.xml", w->dir), -1);
	ck_assert_int_eq(testlib_write(path, mapping_xml), 0);
	free(path);
	ck_assert_int_ne(asprintf(&conf, "source = ldif\nldif = none.ldif\n"
	    "mapping = mapping.xml\nlayout = %s\nrepository = a.git\n"
	    "table_shards = %d\n%s", layout, shards, guards), -1);
	ck_assert_int_ne(asprintf(&path, "%s/splitsync.conf", w->dir), -1);
	ck_assert_int_eq(testlib_write(path, conf), 0);
	ck_assert_int_eq(config_load(path, &w->cfg, &d), 0);
	free(conf);
	free(path);
	ck_assert_int_eq(mapping_load(w->cfg->mapping, &w->map, &d), 0);
	ck_assert_int_ne(asprintf(&path, "%s/a.git", w->dir), -1);
	ck_assert_int_eq(git_sink_open(path, 1, "main", &w->a, &d), 0);
	free(path);
	ck_assert_int_ne(asprintf(&path, "%s/b.git", w->dir), -1);
	ck_assert_int_eq(git_sink_open(path, 1, "main", &w->b, &d), 0);
	free(path);
	ck_assert_int_eq(mirror_new(&w->mir), 0);
	ck_assert_int_eq(live_new(&w->live), 0);
	for (i = 0; i < NUSERS; i++) {
		struct entry *e;

		w->present[i] = 1;
		w->in_legacy[i] = rnd(w, 4) == 0;
		w->in_team[i] = rnd(w, 6) == 0;
		e = make_user(w, i);
		user_id(i, id, sizeof id);
		ck_assert_int_ge(mirror_put(w->mir, id, e), 0);
		entry_free(e);
	}
	note_put(w, "group-legacy", make_group(w, 0));
	note_put(w, "group-team", make_group(w, 1));
	note_put(w, "domain-de", make_domain());
	diag_free(&d);
}

/* world_close - release everything */
static void
world_close(struct world *w)
{
	live_free(w->live);
	mirror_free(w->mir);
	git_sink_close(w->a);
	git_sink_close(w->b);
	mapping_free(w->map);
	config_free(w->cfg);
	testlib_rmrf(w->dir);
	free(w->dir);
}

/* change - one random directory change, as the service receives it */
static void
change(struct world *w)
{
	int i = (int)rnd(w, NUSERS);
	unsigned op = rnd(w, 20);
	char id[64];

	user_id(i, id, sizeof id);
	if (op < 12) {                  /* new addresses, route, nexthop */
		if (w->present[i])
			note_put(w, id, make_user(w, i));
	} else if (op < 14) {           /* gone, or back */
		w->present[i] = !w->present[i];
		note_put(w, id, w->present[i] ? make_user(w, i) : NULL);
	} else if (op < 16) {           /* moved in the tree */
		w->renamed[i] = !w->renamed[i];
		if (w->present[i])
			note_put(w, id, make_user(w, i));
	} else if (op < 18) {           /* into or out of the split group */
		w->in_legacy[i] = !w->in_legacy[i];
		note_put(w, "group-legacy", make_group(w, 0));
	} else if (op < 19) {           /* the nested team */
		w->in_team[i] = !w->in_team[i];
		note_put(w, "group-team", make_group(w, 1));
	} else {                        /* two changes in one batch */
		if (w->present[i])
			note_put(w, id, make_user(w, i));
		i = (i + 1) % NUSERS;
		user_id(i, id, sizeof id);
		if (w->present[i])
			note_put(w, id, make_user(w, i));
	}
}

/* run - the random walk in one layout */
static void
run(const char *layout, int shards)
{
	struct world w;
	const char *env = getenv("SPLITSYNC_LIVE_STEPS");
	int step, nsteps = env ? atoi(env) : NSTEPS;

	world_open(&w, layout, shards, NO_GUARDS);
	publish(&w, w.a, w.live);
	publish(&w, w.b, NULL);
	same_repositories(&w, 0);
	for (step = 1; step <= nsteps; step++) {
		change(&w);
		publish(&w, w.a, w.live);
		publish(&w, w.b, NULL);
		same_repositories(&w, step);
	}
	/* The walk must have gone through the live path most of the time
	 * (group changes are built in full). */
	ck_assert_msg(w.incremental * 2 > w.commits, "%zu of %zu commits "
	    "incremental", w.incremental, w.commits);
	world_close(&w);
}

START_TEST(bluemind_walk_matches_full_builds)
{
	run("bluemind", 16);
}
END_TEST

START_TEST(gateway_walk_matches_full_builds)
{
	run("gateway", 256);
}
END_TEST

START_TEST(unsharded_tables_are_always_built_in_full)
{
	struct world w;
	int step;

	world_open(&w, "bluemind", 0, NO_GUARDS);
	publish(&w, w.a, w.live);
	publish(&w, w.b, NULL);
	for (step = 1; step <= 20; step++) {
		change(&w);
		publish(&w, w.a, w.live);
		publish(&w, w.b, NULL);
		same_repositories(&w, step);
	}
	ck_assert_uint_eq(w.incremental, 0);
	ck_assert_uint_gt(w.commits, 0);
	world_close(&w);
}
END_TEST

/* same_held - A and B hold the same change on main-held */
static void
same_held(struct world *w, int step)
{
	char *ra, *rb, *ta, *tb;

	ck_assert_int_ne(asprintf(&ra, "%s/a.git", w->dir), -1);
	ck_assert_int_ne(asprintf(&rb, "%s/b.git", w->dir), -1);
	ta = git_out(ra, "rev-parse main-held^{tree}");
	tb = git_out(rb, "rev-parse main-held^{tree}");
	ck_assert_msg(strcmp(ta, tb) == 0, "step %d: held trees differ",
	    step);
	free(ra);
	free(rb);
	free(ta);
	free(tb);
}

/* confirm - a person accepts the held change in one repository */
static void
confirm(struct world *w, struct git_sink *sink)
{
	struct diag d;
	char oid[41];

	diag_init(&d, NULL);
	ck_assert_msg(rollout_confirm(w->cfg, sink, "tester@example.org",
	    "2026-01-01T00:00:00Z", oid, &d) == 0, "confirm: "
	    "%s", diag_last_error(&d));
	diag_free(&d);
}

/* The guard of the live path and that of the full build hold the
 * same changes: with low limits, a walk holds now and then, in both
 * repositories alike; each hold is confirmed in both. */
START_TEST(guard_walk_holds_what_full_builds_hold)
{
	struct world w;
	int step, held_a, held_b, holds = 0;

	world_open(&w, "bluemind", 16, "guard_max_delete_percent = 0\n"
	    "guard_max_delete_count = 2\nguard_max_add_percent = 3\n"
	    "guard_max_add_count = 2\n");
	ck_assert_int_eq(publish(&w, w.a, w.live), 0);
	ck_assert_int_eq(publish(&w, w.b, NULL), 0);
	same_repositories(&w, 0);
	for (step = 1; step <= NSTEPS; step++) {
		change(&w);
		held_a = publish(&w, w.a, w.live);
		held_b = publish(&w, w.b, NULL);
		ck_assert_msg(held_a == held_b, "step %d: live %s, full %s",
		    step, held_a ? "held" : "committed",
		    held_b ? "held" : "committed");
		if (held_a) {
			same_held(&w, step);
			confirm(&w, w.a);
			confirm(&w, w.b);
			holds++;
		}
		same_repositories(&w, step);
	}
	ck_assert_msg(holds > 0 && w.incremental > 0, "%d holds, %zu "
	    "incremental commits", holds, w.incremental);
	world_close(&w);
}
END_TEST

/* live_suite - the cases */
static Suite *
live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("walk");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, bluemind_walk_matches_full_builds);
	tcase_add_test(tc, gateway_walk_matches_full_builds);
	tcase_add_test(tc, unsharded_tables_are_always_built_in_full);
	tcase_add_test(tc, guard_walk_holds_what_full_builds_hold);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(live_suite());
}
