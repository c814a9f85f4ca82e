/*
 * check_guard - the one rule that holds a change for a person, over
 * the counts either path gives it
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "guard.h"
#include "routes.h"
#include "testlib.h"

/* load - a configuration with extra settings (free with config_free) */
static struct config *
load(const char *extra)
{
	struct config *cfg = NULL;
	struct diag d;
	char *dir = testlib_tmpdir(), *path, *text;

	diag_init(&d, NULL);
	ck_assert_int_ne(asprintf(&path, "%s/splitsync.conf", dir), -1);
	ck_assert_int_ne(asprintf(&text, "source = ldif\nldif = d.ldif\n"
	    "mapping = m.xml\nrepository = r.git\n%s", extra), -1);
	ck_assert_int_eq(testlib_write(path, text), 0);
	ck_assert_msg(config_load(path, &cfg, &d) == 0, "%s",
	    diag_last_error(&d));
	testlib_rmrf(dir);
	free(dir);
	free(path);
	free(text);
	diag_free(&d);
	return cfg;
}

struct verdict {
	const char *settings;
	struct guard_counts c;
	const char *why;        /* NULL: it may go */
};

#define U GUARD_UNKNOWN

static const struct verdict verdicts[] = {
	/* the defaults: 10 %, 500 removed; 100 %, 1000 added */
	{ "", { 100, 89, 0, 11, 50 },
	    "11 of 100 routes would be removed, more than "
	    "guard_max_delete_percent = 10%" },
	{ "", { 100, 90, 0, 10, 50 }, NULL },
	{ "", { 10000, 9499, 0, 501, 50 },
	    "501 routes would be removed, more than "
	    "guard_max_delete_count = 500" },
	{ "", { 100, 0, 0, 100, 0 },
	    "the directory yields no mailbox but the branch routes 100 "
	    "addresses" },
	{ "", { 0, 5000, 5000, 0, 4000 }, NULL },       /* a first load */
	{ "", { 2000, 3001, 1001, 0, 50 },
	    "1001 routes would be added, more than guard_max_add_count = "
	    "1000" },
	{ "", { 100, 201, 101, 0, 50 },
	    "101 routes would be added to 100, more than "
	    "guard_max_add_percent = 100%" },
	{ "", { 100, 200, 100, 0, 50 }, NULL },
	/* mailboxes not counted: nothing routed after counts as empty */
	{ "", { 5, 0, 0, 5, U }, "the change routes no address but the "
	    "branch routes 5 addresses" },
	{ "", { 5, 3, 0, 0, U }, NULL },
	{ "", { 0, 0, 0, 0, U }, NULL },
	/* limits at 0 are off; an empty directory still holds */
	{ "guard_max_delete_percent = 0\nguard_max_delete_count = 0\n"
	    "guard_max_add_percent = 0\nguard_max_add_count = 0\n",
	    { 100, 1, 50000, 100, 3 }, NULL },
	{ "guard_max_delete_percent = 0\nguard_max_delete_count = 0\n",
	    { 100, 0, 0, 100, 0 }, "the directory yields no mailbox but the "
	    "branch routes 100 addresses" },
	{ "guard_max_delete_percent = 50\nguard_max_delete_count = 2\n",
	    { 100, 97, 0, 3, 9 }, "3 routes would be removed, more than "
	    "guard_max_delete_count = 2" },
};

START_TEST(one_rule_says_when_and_why)
{
	const struct verdict *v = &verdicts[_i];
	struct config *cfg = load(v->settings);
	char why[256];
	int held;

	memset(why, 'x', sizeof why);
	held = guard_holds(cfg, &v->c, why, sizeof why);
	if (v->why == NULL) {
		ck_assert_msg(held == 0, "case %d held: %s", _i, why);
	} else {
		ck_assert_msg(held == 1, "case %d not held", _i);
		ck_assert_str_eq(why, v->why);
	}
	/* A short buffer gets a cut sentence, never an overflow. */
	if (v->why) {
		ck_assert_int_eq(guard_holds(cfg, &v->c, why, 8), 1);
		ck_assert_uint_eq(strlen(why), 7);
	}
	config_free(cfg);
}
END_TEST

START_TEST(routes_are_addresses_not_domains)
{
	struct route_row rows[] = {
		{ "@example.com", "unknown-relay", "smtp:[r]:25", "", "" },
		{ "@example.net", "alias-domain", "example.com", "", "" },
		{ "a@example.com", "internal", "", "", "uid=a" },
		{ "b@example.com", "external", "", "", "uid=b" },
		{ "c@example.com", "internal", "", "", "uid=c" },
	};
	struct routes r = { rows, 5 };
	struct route_change ch[] = {
		{ '+', NULL, &rows[0] },
		{ '+', NULL, &rows[2] },
		{ '-', &rows[1], NULL },
		{ '-', &rows[3], NULL },
		{ '-', &rows[4], NULL },
		{ '~', &rows[2], &rows[2] },
	};
	struct guard_counts c;

	memset(&c, 0, sizeof c);
	ck_assert_uint_eq(guard_routed(&r), 3);
	guard_count_changes(&c, ch, sizeof ch / sizeof *ch);
	ck_assert_uint_eq(c.added, 1);
	ck_assert_uint_eq(c.removed, 2);
}
END_TEST

/* guard_suite - the cases */
static Suite *
guard_suite(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("guard");

	tcase_add_loop_test(tc, one_rule_says_when_and_why, 0,
	    (int)(sizeof verdicts / sizeof *verdicts));
	tcase_add_test(tc, routes_are_addresses_not_domains);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(guard_suite());
}
