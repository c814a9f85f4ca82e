/*
 * check_groups - group entries and nested membership
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "errors.h"
#include "groups.h"
#include "testlib.h"

/* An entry written as its DN and "name: value" lines. */
struct spec {
	const char *dn;
	const char *lines[8];
};

#define G(x) x ",ou=groups,dc=ex"
#define U(x) "uid=" x ",ou=people,dc=ex"

static const struct spec groups[] = {
	{ G("cn=direct"), { "member: " U("alice"),
	    "objectClass: groupOfNames" } },
	/* RFC 4517 NameAndOptionalUID: the suffix is not part of the DN */
	{ G("cn=uniq"), { "uniqueMember: " U("bob") "#'0101'B",
	    "uniqueMember: " U("carol") } },
	{ G("cn=posix"), { "memberUid: dave", "memberUid: Eve" } },
	/* three levels through member */
	{ G("cn=top"), { "member: " G("cn=mid") } },
	{ G("cn=mid"), { "member: " G("cn=leaf") } },
	{ G("cn=leaf"), { "member: " U("gina") } },
	/* three levels through the groups' own memberOf */
	{ G("cn=child"), { "memberOf: " G("cn=parent"),
	    "member: " U("hank") } },
	{ G("cn=parent"), { "memberOf: " G("cn=grand") } },
	{ G("cn=grand"), { "objectClass: groupOfNames" } },
	/* a cycle */
	{ G("cn=a"), { "member: " G("cn=b"), "member: " U("ivan") } },
	{ G("cn=b"), { "member: " G("cn=a"), "member: " U("judy") } },
	{ G("cn=other"), { "member: " U("zed") } },
	/* the DN written otherwise than the user's */
	{ G("cn=spaced"), { "member: UID=Alice, OU=People,  DC=EX" } },
	/* ranged members, as Active Directory sends them */
	{ G("cn=big"), { "member;range=0-1: " U("mia"),
	    "member;range=2-*: " U("noah") } },
	/* nested through uniqueMember, member list with garbage */
	{ G("cn=utop"), { "uniqueMember: " G("cn=uniq") "#'1'B",
	    "member: not a dn", "member:", "uniqueMember: ,,," } },
	/* a member group whose entry is not known */
	{ G("cn=top2"), { "member: " G("cn=unseen") } },
	/* a group naming, through memberOf, one that is not known */
	{ G("cn=ghostchild"), { "memberOf: " G("cn=ghost"),
	    "member: " U("lena") } },
	/* uniqueMember whose '#' is escaped: part of the DN */
	{ "cn=x\\#'1'B", { "member: " U("olga") } },
	{ G("cn=escaped"), { "uniqueMember: cn=x\\#'1'B" } },
};

static const struct spec users[] = {
	{ U("alice"), { "uid: alice" } },                         /* 0 */
	{ U("bob"), { "uid: bob" } },                             /* 1 */
	{ U("carol"), { "uid: carol" } },                         /* 2 */
	{ U("dave"), { "uid: dave" } },                           /* 3 */
	{ U("eve"), { "uid: eve" } },                             /* 4 */
	{ U("eve2"), { "uid: Eve" } },                            /* 5 */
	{ U("frank"), { "memberOf: CN=Direct,OU=Groups,DC=Ex" } }, /* 6 */
	{ U("gina"), { "uid: gina" } },                           /* 7 */
	{ U("hank"), { "uid: hank" } },                           /* 8 */
	{ U("ivan"), { "uid: ivan" } },                           /* 9 */
	{ U("judy"), { "uid: judy" } },                           /* 10 */
	{ U("karl"), { "uid: karl" } },                           /* 11 */
	{ U("zed"), { "uid: zed" } },                             /* 12 */
	{ "UID=ALICE,  ou=People,dc=EX", { "uid: x" } },          /* 13 */
	{ U("mia"), { "uid: mia" } },                             /* 14 */
	{ U("noah"), { "uid: noah" } },                           /* 15 */
	{ U("pat"), { "memberOf: " G("cn=unseen") } },            /* 16 */
	{ U("lena"), { "uid: lena" } },                           /* 17 */
	{ U("quinn"), { "memberOf: " G("cn=leaf") } },            /* 18 */
	{ U("rita"), { "memberOf: " G("cn=child") } },            /* 19 */
	{ "not a dn", { "uid: dave", "memberOf: " G("cn=other") } }, /* 20 */
	{ G("cn=b"), { "cn: b" } },                               /* 21 */
	{ G("cn=a"), { "cn: a" } },                               /* 22 */
	{ U("olga"), { "uid: olga" } },                           /* 23 */
	{ U("sam"), { "memberOf: garbage",
	    "memberOf: " G("cn=nope") } },                        /* 24 */
};

#define ANY GROUPS_VIA_ANY
#define MOF GROUPS_VIA_MEMBEROF
#define MEM GROUPS_VIA_MEMBER
#define UNQ GROUPS_VIA_UNIQUEMEMBER
#define UID GROUPS_VIA_MEMBERUID

static const struct member_case {
	const char *group;
	size_t user;
	unsigned via;
	int expect;
} member_cases[] = {
	/* direct member */
	{ G("cn=direct"), 0, ANY, 1 },
	{ G("cn=direct"), 0, MEM, 1 },
	{ G("cn=direct"), 0, MOF | UNQ | UID, 0 },
	{ G("cn=direct"), 1, ANY, 0 },
	{ "CN=DIRECT, OU=GROUPS, DC=EX", 0, ANY, 1 },
	/* uniqueMember, with and without the UID suffix */
	{ G("cn=uniq"), 1, ANY, 1 },
	{ G("cn=uniq"), 1, UNQ, 1 },
	{ G("cn=uniq"), 1, MEM, 0 },
	{ G("cn=uniq"), 2, UNQ, 1 },
	{ G("cn=uniq"), 0, ANY, 0 },
	/* memberUid compares uid values exactly */
	{ G("cn=posix"), 3, ANY, 1 },
	{ G("cn=posix"), 3, UID, 1 },
	{ G("cn=posix"), 3, MEM | UNQ | MOF, 0 },
	{ G("cn=posix"), 4, ANY, 0 },
	{ G("cn=posix"), 5, UID, 1 },
	{ G("cn=posix"), 0, ANY, 0 },
	/* memberOf on the user, DN written differently; a group whose
	 * entry is known is the truth when member lists count too */
	{ G("cn=direct"), 6, ANY, 0 },
	{ G("cn=direct"), 6, MOF, 1 },
	{ G("cn=direct"), 6, MEM | UNQ | UID, 0 },
	/* member nesting: two and three levels */
	{ G("cn=leaf"), 7, ANY, 1 },
	{ G("cn=mid"), 7, ANY, 1 },
	{ G("cn=top"), 7, ANY, 1 },
	{ G("cn=top"), 7, MEM, 1 },
	{ G("cn=top"), 7, UNQ | MOF | UID, 0 },
	{ G("cn=leaf"), 8, ANY, 0 },
	/* a user's memberOf naming a nested group */
	{ G("cn=top"), 18, ANY, 0 },
	{ G("cn=top"), 18, MOF, 0 },
	{ G("cn=top"), 18, MOF | MEM, 0 },
	/* memberOf nesting: the groups' own memberOf */
	{ G("cn=child"), 8, ANY, 1 },
	{ G("cn=parent"), 8, ANY, 1 },
	{ G("cn=grand"), 8, ANY, 1 },
	{ G("cn=grand"), 8, MEM, 0 },
	{ G("cn=grand"), 8, MEM | MOF, 1 },
	{ G("cn=grand"), 19, MOF, 1 },
	{ G("cn=parent"), 19, ANY, 0 },
	{ G("cn=child"), 7, ANY, 0 },
	/* a cycle: both members of both groups, nobody else */
	{ G("cn=a"), 9, ANY, 1 },
	{ G("cn=a"), 10, ANY, 1 },
	{ G("cn=b"), 9, ANY, 1 },
	{ G("cn=b"), 10, ANY, 1 },
	{ G("cn=a"), 11, ANY, 0 },
	{ G("cn=b"), 11, ANY, 0 },
	{ G("cn=a"), 21, ANY, 1 },
	{ G("cn=b"), 22, ANY, 1 },
	{ G("cn=a"), 22, ANY, 1 },
	/* unrelated groups */
	{ G("cn=other"), 0, ANY, 0 },
	{ G("cn=other"), 12, ANY, 1 },
	{ G("cn=direct"), 12, ANY, 0 },
	{ G("cn=top"), 12, ANY, 0 },
	/* DN case and spacing on either side */
	{ G("cn=spaced"), 0, ANY, 1 },
	{ G("cn=direct"), 13, ANY, 1 },
	{ G("cn=spaced"), 13, MEM, 1 },
	/* ranged member attributes */
	{ G("cn=big"), 14, ANY, 1 },
	{ G("cn=big"), 15, ANY, 1 },
	/* nested through uniqueMember with a suffix */
	{ G("cn=utop"), 1, ANY, 1 },
	{ G("cn=utop"), 2, UNQ, 1 },
	{ G("cn=utop"), 1, MEM, 0 },
	/* a member group not known, named by the user's memberOf */
	{ G("cn=top2"), 16, ANY, 1 },
	{ G("cn=top2"), 16, MOF, 0 },
	/* a group not known, named by a known group's memberOf */
	{ G("cn=ghost"), 17, ANY, 1 },
	{ G("cn=ghost"), 17, MEM, 0 },
	/* DNs that do not parse never match and are not errors */
	{ "not a dn", 0, ANY, 0 },
	{ "", 0, ANY, 0 },
	{ G("cn=posix"), 20, ANY, 1 },
	{ G("cn=other"), 20, ANY, 0 },
	{ G("cn=other"), 20, MEM, 0 },
	{ G("cn=nope"), 24, ANY, 1 },
	{ G("cn=direct"), 24, ANY, 0 },
	/* an escaped '#' is part of the DN, not a UID suffix */
	{ G("cn=escaped"), 23, ANY, 1 },
	/* no way allowed: never */
	{ G("cn=direct"), 0, 0, 0 },
};

/* make - build an entry from its spec */
static struct entry *
make(const struct spec *s)
{
	struct entry *e = NULL;
	const char *line, *colon, *v;
	char name[64];
	size_t i, n;

	ck_assert_int_eq(entry_new(&e, s->dn, NULL), 0);
	for (i = 0; i < 8 && (line = s->lines[i]) != NULL; i++) {
		colon = strchr(line, ':');
		ck_assert_ptr_nonnull(colon);
		n = (size_t)(colon - line);
		ck_assert_uint_lt(n, sizeof name);
		memcpy(name, line, n);
		name[n] = '\0';
		v = colon[1] == ' ' ? colon + 2 : colon + 1;
		ck_assert_int_eq(entry_add_value(e, name, v, strlen(v)), 0);
	}
	return e;
}

/* load - a store holding every group of the table */
static struct groups *
load(void)
{
	struct groups *g = NULL;
	struct entry *e;
	size_t i;

	ck_assert_int_eq(groups_new(&g), 0);
	for (i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		e = make(&groups[i]);
		ck_assert_int_eq(groups_add(g, e), 0);
		entry_free(e);
	}
	return g;
}

/* Failures of a table, reported together: row and reason, one a line. */
struct report {
	char text[4096];
	size_t len;
	int failed;
};

/* report_add - note one failing row (the text is cut when long) */
static void
report_add(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
report_add(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->failed++;
	if (r->len + 2 >= sizeof r->text)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof r->text - r->len - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < sizeof r->text - r->len - 1 ?
		    (size_t)n : sizeof r->text - r->len - 2;
	r->text[r->len++] = '\n';
	r->text[r->len] = '\0';
}

/* Each row on a fresh store, asked twice: computed, then cached. */
START_TEST(test_member_table)
{
	const size_t n = sizeof member_cases / sizeof member_cases[0];
	const struct member_case *c;
	struct report r = { "", 0, 0 };
	struct groups *g;
	struct entry *u;
	size_t i;
	int round, got;

	for (i = 0; i < n; i++) {
		c = &member_cases[i];
		g = load();
		u = make(&users[c->user]);
		for (round = 0; round < 2; round++)
			if ((got = groups_is_member(g, c->group, u, c->via)) !=
			    c->expect)
				report_add(&r, "row %zu: %s, user %s, via %u, "
				    "round %d: got %d", i, c->group,
				    users[c->user].dn, c->via, round, got);
		entry_free(u);
		groups_free(g);
	}
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    n, r.text);
}
END_TEST

/* Every question on one store, in order, then in reverse: cached
 * answers must not leak from one question into another. */
START_TEST(test_one_store)
{
	const size_t n = sizeof member_cases / sizeof member_cases[0];
	struct groups *g = load();
	const struct member_case *c;
	struct entry *u;
	size_t i, k;

	for (k = 0; k < 2 * n; k++) {
		i = k < n ? k : 2 * n - 1 - k;
		c = &member_cases[i];
		u = make(&users[c->user]);
		ck_assert_msg(groups_is_member(g, c->group, u, c->via) ==
		    c->expect, "case %zu", i);
		entry_free(u);
	}
	groups_free(g);
}
END_TEST

START_TEST(test_replace_invalidates)
{
	static const struct spec bobonly =
	    { G("cn=direct"), { "member: " U("bob") } };
	static const struct spec midnoleaf =
	    { "CN=Mid,OU=Groups,DC=Ex", { "member: " U("karl") } };
	static const struct spec newleaf =
	    { G("cn=new"), { "memberOf: " G("cn=top"),
	    "member: " U("alice") } };
	struct groups *g = load();
	struct entry *alice = make(&users[0]), *bob = make(&users[1]);
	struct entry *gina = make(&users[7]), *karl = make(&users[11]);
	struct entry *e;

	ck_assert_int_eq(groups_is_member(g, G("cn=direct"), alice, ANY), 1);
	ck_assert_int_eq(groups_is_member(g, G("cn=direct"), bob, ANY), 0);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), gina, ANY), 1);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), karl, ANY), 0);

	e = make(&bobonly);
	ck_assert_int_eq(groups_add(g, e), 0);
	entry_free(e);
	ck_assert_int_eq(groups_is_member(g, G("cn=direct"), alice, ANY), 0);
	ck_assert_int_eq(groups_is_member(g, G("cn=direct"), bob, ANY), 1);

	/* Replacing a nested group (DN spelled otherwise) changes the
	 * answer for the group above it. */
	e = make(&midnoleaf);
	ck_assert_int_eq(groups_add(g, e), 0);
	entry_free(e);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), gina, ANY), 0);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), karl, ANY), 1);

	/* A new group nested by its memberOf changes the answer too. */
	e = make(&newleaf);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), alice, ANY), 0);
	ck_assert_int_eq(groups_add(g, e), 0);
	entry_free(e);
	ck_assert_int_eq(groups_is_member(g, G("cn=top"), alice, ANY), 1);

	entry_free(alice);
	entry_free(bob);
	entry_free(gina);
	entry_free(karl);
	groups_free(g);
}
END_TEST

/* Long chains are walked without recursion, both ways. */
START_TEST(test_long_chain)
{
	const size_t n = 3000;
	struct groups *g = NULL;
	struct entry *e, *u;
	char dn[64], val[64];
	size_t i;

	ck_assert_int_eq(groups_new(&g), 0);
	for (i = 0; i < n; i++) {
		snprintf(dn, sizeof dn, "cn=m%zu,dc=ex", i);
		ck_assert_int_eq(entry_new(&e, dn, NULL), 0);
		if (i + 1 < n)
			snprintf(val, sizeof val, "cn=m%zu,dc=ex", i + 1);
		else
			snprintf(val, sizeof val, "uid=deep,dc=ex");
		ck_assert_int_eq(entry_add_value(e, "member", val,
		    strlen(val)), 0);
		ck_assert_int_eq(groups_add(g, e), 0);
		entry_free(e);

		snprintf(dn, sizeof dn, "cn=o%zu,dc=ex", i);
		ck_assert_int_eq(entry_new(&e, dn, NULL), 0);
		if (i > 0) {
			snprintf(val, sizeof val, "cn=o%zu,dc=ex", i - 1);
			ck_assert_int_eq(entry_add_value(e, "memberOf", val,
			    strlen(val)), 0);
		}
		if (i + 1 == n)
			ck_assert_int_eq(entry_add_value(e, "memberUid",
			    "deep", 4), 0);
		ck_assert_int_eq(groups_add(g, e), 0);
		entry_free(e);
	}
	ck_assert_int_eq(entry_new(&u, "uid=deep,dc=ex", NULL), 0);
	ck_assert_int_eq(entry_add_value(u, "uid", "deep", 4), 0);
	ck_assert_int_eq(groups_is_member(g, "cn=m0,dc=ex", u, MEM), 1);
	ck_assert_int_eq(groups_is_member(g, "cn=o0,dc=ex", u, MOF | UID), 1);
	ck_assert_int_eq(groups_is_member(g, "cn=o0,dc=ex", u, UID), 0);
	ck_assert_int_eq(groups_is_member(g, "cn=o0,dc=ex", u, MEM), 0);
	/* Many questions on one group: answered from the cache. */
	for (i = 0; i < 20000; i++)
		ck_assert_int_eq(groups_is_member(g, "cn=m0,dc=ex", u, MEM), 1);
	entry_free(u);
	groups_free(g);
}
END_TEST

/* More distinct questions than the cache keeps: answers stay right. */
START_TEST(test_many_targets)
{
	struct groups *g = load();
	struct entry *gina = make(&users[7]), *alice = make(&users[0]);
	char dn[64];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(dn, sizeof dn, "cn=none%d,dc=ex", i);
		ck_assert_int_eq(groups_is_member(g, dn, gina, ANY), 0);
		ck_assert_int_eq(groups_is_member(g, G("cn=top"), gina,
		    (unsigned)(i % 2 ? ANY : MEM)), 1);
		ck_assert_int_eq(groups_is_member(g, G("cn=top"), alice, ANY),
		    0);
	}
	entry_free(gina);
	entry_free(alice);
	groups_free(g);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct groups *g = NULL;
	struct entry *e;

	ck_assert_int_eq(groups_new(&g), 0);
	ck_assert_int_eq(entry_new(&e, "cn=x,dc=ex", NULL), 0);
	ck_assert_int_eq(groups_is_member(NULL, "cn=x", e, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_is_member(g, NULL, e, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_is_member(g, "cn=x", NULL, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_add(g, NULL), ERR_INVAL);
	/* A group whose own DN does not parse is accepted and ignored. */
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "not a dn", NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "member", "cn=x,dc=ex", 10), 0);
	ck_assert_int_eq(groups_add(g, e), 0);
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "cn=x,dc=ex", NULL), 0);
	ck_assert_int_eq(groups_is_member(g, "not a dn", e, ANY), 0);
	entry_free(e);
	groups_free(g);
	groups_free(NULL);
}
END_TEST

/* collect - member DNs a group change reports, joined by '|' */
static int
collect(const char *ndn, void *ctx)
{
	char *out = ctx;

	if (*out)
		strcat(out, "|");
	strcat(out, ndn);
	return 0;
}

START_TEST(test_member_change)
{
	static const struct {
		struct spec old, new;
		int rc;
		const char *members;    /* normalized, in sorted order */
	} v[] = {
		/* one goes, one comes; spelling and the UID suffix do not
		 * make a change */
		{ { G("cn=g"), { "member: " U("alice"), "member: " U("bob"),
		    "uniqueMember: " U("carol") "#'0101'B" } },
		  { G("cn=g"), { "member: UID=Bob,OU=People,DC=ex",
		    "uniqueMember: " U("carol"), "member: " U("dave") } },
		  0, "uid=alice,ou=people,dc=ex|uid=dave,ou=people,dc=ex" },
		/* nothing moved */
		{ { G("cn=g"), { "member: " U("alice") } },
		  { G("cn=g"), { "member: " U("alice"), "member: " U("alice") } },
		  0, "" },
		/* memberUid, memberOf and the DN are beyond it */
		{ { G("cn=g"), { "memberUid: alice" } },
		  { G("cn=g"), { "memberUid: bob" } }, 1, "" },
		{ { G("cn=g"), { "member: " U("alice") } },
		  { G("cn=g"), { "member: " U("alice"), "memberOf: " G("cn=top") } },
		  1, "" },
		{ { G("cn=g"), { "member: " U("alice") } },
		  { G("cn=h"), { "member: " U("alice") } }, 1, "" },
	};
	struct entry *a, *b;
	char got[512];
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		a = make(&v[i].old);
		b = make(&v[i].new);
		got[0] = '\0';
		ck_assert_int_eq(groups_member_change(a, b, collect, got),
		    v[i].rc);
		ck_assert_str_eq(got, v[i].members);
		entry_free(a);
		entry_free(b);
	}
}
END_TEST

START_TEST(test_known)
{
	struct groups *g = load();

	ck_assert_int_eq(groups_known(g, "cn=top,ou=groups,dc=ex"), 1);
	ck_assert_int_eq(groups_known(g, "uid=alice,ou=people,dc=ex"), 0);
	groups_free(g);
}
END_TEST

static Suite *
groups_suite(void)
{
	Suite *s = suite_create("groups");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_member_table);
	tcase_add_test(tc, test_one_store);
	tcase_add_test(tc, test_replace_invalidates);
	tcase_add_test(tc, test_long_chain);
	tcase_add_test(tc, test_many_targets);
	tcase_add_test(tc, test_member_change);
	tcase_add_test(tc, test_known);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(groups_suite());
}
