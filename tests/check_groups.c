/*
 * check_groups - group entries and nested membership: the store on
 * hashes, its watched closures kept up to date, and the entry adapters
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "errors.h"
#include "groupkeys.h"
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

/* put_spec - groups_put of a spec's hashed form */
static void
put_spec(struct groups *g, const struct spec *s)
{
	struct entry *e = make(s);
	struct groupkeys k;

	groupkeys_of(e, &k);
	ck_assert_int_eq(groups_put(g, &k.group), 0);
	groupkeys_clear(&k);
	entry_free(e);
}

/* put_all - every group of the table, first to last or the reverse */
static void
put_all(struct groups *g, int reverse)
{
	const size_t n = sizeof groups / sizeof groups[0];
	size_t i;

	for (i = 0; i < n; i++)
		put_spec(g, &groups[reverse ? n - 1 - i : i]);
}

/* load - a store holding every group of the table */
static struct groups *
load(void)
{
	struct groups *g = NULL;

	ck_assert_int_eq(groups_new(&g), 0);
	put_all(g, 0);
	return g;
}

/* load_entries - the same through the entry adapter */
static struct groups *
load_entries(void)
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

/* watch - the handle of (group, via) */
static size_t
watch(struct groups *g, const char *group, unsigned via)
{
	size_t h = SIZE_MAX;

	ck_assert_int_eq(groups_watch(g, groupkeys_dn(group), via, &h), 0);
	return h;
}

/* ask - groups_contains for a user given as a spec */
static int
ask(struct groups *g, size_t handle, const struct spec *user)
{
	struct entry *u = make(user);
	struct groupkeys k;
	int rc;

	groupkeys_of(u, &k);
	rc = groups_contains(g, handle, &k.user);
	groupkeys_clear(&k);
	entry_free(u);
	return rc;
}

/* is - the answer for a group, a user and ways on store g */
static int
is(struct groups *g, const char *group, const struct spec *user,
    unsigned via)
{
	return ask(g, watch(g, group, via), user);
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

/* Each row on fresh stores, asked twice: the closure computed when the
 * target is first watched (groups put before), kept up to date while
 * the groups are put (watched first, groups put in either order), and
 * through the entry adapter. */
START_TEST(test_member_table)
{
	const size_t n = sizeof member_cases / sizeof member_cases[0];
	static const char *const how[] = { "built", "kept", "kept reversed",
	    "adapter" };
	const struct member_case *c;
	struct report r = { "", 0, 0 };
	struct groups *g;
	struct entry *u;
	size_t i, h;
	int way, round, got;

	for (i = 0; i < n; i++) {
		c = &member_cases[i];
		for (way = 0; way < 4; way++) {
			if (way == 0 || way == 3) {
				g = way == 0 ? load() : load_entries();
				h = watch(g, c->group, c->via);
			} else {
				ck_assert_int_eq(groups_new(&g), 0);
				h = watch(g, c->group, c->via);
				put_all(g, way == 2);
			}
			u = make(&users[c->user]);
			for (round = 0; round < 2; round++) {
				got = way == 3 ? groups_is_member(g, c->group,
				    u, c->via) : ask(g, h, &users[c->user]);
				if (got != c->expect)
					report_add(&r, "row %zu (%s): %s, user "
					    "%s, via %u, round %d: got %d", i,
					    how[way], c->group,
					    users[c->user].dn, c->via, round,
					    got);
			}
			entry_free(u);
			groups_free(g);
		}
	}
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    4 * n, r.text);
}
END_TEST

/* Every question on one store, in order, then in reverse: one watch
 * must not leak into another. */
START_TEST(test_one_store)
{
	const size_t n = sizeof member_cases / sizeof member_cases[0];
	struct groups *g = load(), *a = load_entries();
	const struct member_case *c;
	struct entry *u;
	size_t i, k;

	for (k = 0; k < 2 * n; k++) {
		i = k < n ? k : 2 * n - 1 - k;
		c = &member_cases[i];
		ck_assert_msg(is(g, c->group, &users[c->user], c->via) ==
		    c->expect, "case %zu", i);
		u = make(&users[c->user]);
		ck_assert_msg(groups_is_member(a, c->group, u, c->via) ==
		    c->expect, "case %zu (adapter)", i);
		entry_free(u);
	}
	groups_free(g);
	groups_free(a);
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
	const struct spec *alice = &users[0], *bob = &users[1];
	const struct spec *gina = &users[7], *karl = &users[11];

	ck_assert_int_eq(is(g, G("cn=direct"), alice, ANY), 1);
	ck_assert_int_eq(is(g, G("cn=direct"), bob, ANY), 0);
	ck_assert_int_eq(is(g, G("cn=top"), gina, ANY), 1);
	ck_assert_int_eq(is(g, G("cn=top"), karl, ANY), 0);

	put_spec(g, &bobonly);
	ck_assert_int_eq(is(g, G("cn=direct"), alice, ANY), 0);
	ck_assert_int_eq(is(g, G("cn=direct"), bob, ANY), 1);

	/* Replacing a nested group (DN spelled otherwise) changes the
	 * answer for the group above it. */
	put_spec(g, &midnoleaf);
	ck_assert_int_eq(is(g, G("cn=top"), gina, ANY), 0);
	ck_assert_int_eq(is(g, G("cn=top"), karl, ANY), 1);

	/* A new group nested by its memberOf changes the answer too. */
	ck_assert_int_eq(is(g, G("cn=top"), alice, ANY), 0);
	put_spec(g, &newleaf);
	ck_assert_int_eq(is(g, G("cn=top"), alice, ANY), 1);

	/* And so does its removal, and the removal of a nested group. */
	ck_assert_int_eq(groups_remove(g, groupkeys_dn(G("cn=new"))), 0);
	ck_assert_int_eq(is(g, G("cn=top"), alice, ANY), 0);
	ck_assert_int_eq(groups_remove(g, groupkeys_dn(G("cn=mid"))), 0);
	ck_assert_int_eq(is(g, G("cn=top"), karl, ANY), 0);
	ck_assert_int_eq(groups_remove(g, groupkeys_dn(G("cn=mid"))), 0);
	groups_free(g);
}
END_TEST

/* chain_dn - the DN of link i of a chain */
static uint64_t
chain_dn(char kind, size_t i)
{
	char dn[64];

	snprintf(dn, sizeof dn, "cn=%c%zu,dc=ex", kind, i);
	return groupkeys_dn(dn);
}

/* Long chains are walked without recursion, both ways, whether the
 * target is watched before the links come or after. */
START_TEST(test_long_chain)
{
	const size_t n = 3000;
	struct groups *g = NULL;
	struct groups_entry e;
	struct groups_keys u;
	uint64_t next, deep = groupkeys_dn("uid=deep,dc=ex");
	uint64_t deepuid = groupkeys_uid("deep"), parent;
	size_t i, early, m0, o0, o0uid, o0mem;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		ck_assert_int_eq(groups_new(&g), 0);
		if (pass == 1)
			ck_assert_int_eq(groups_watch(g, chain_dn('m', 0),
			    MEM, &early), 0);
		for (i = 0; i < n; i++) {
			memset(&e, 0, sizeof e);
			e.dn = chain_dn('m', i);
			next = i + 1 < n ? chain_dn('m', i + 1) : deep;
			e.member = &next;
			e.nmember = 1;
			ck_assert_int_eq(groups_put(g, &e), 0);

			memset(&e, 0, sizeof e);
			e.dn = chain_dn('o', i);
			parent = i > 0 ? chain_dn('o', i - 1) : 0;
			e.memberof = &parent;
			e.nmemberof = i > 0;
			e.uids = &deepuid;
			e.nuids = i + 1 == n;
			ck_assert_int_eq(groups_put(g, &e), 0);
		}
		memset(&u, 0, sizeof u);
		u.dn = deep;
		u.uids = &deepuid;
		u.nuids = 1;
		ck_assert_int_eq(groups_watch(g, chain_dn('m', 0), MEM, &m0),
		    0);
		if (pass == 1)
			ck_assert_uint_eq(m0, early);
		ck_assert_int_eq(groups_watch(g, chain_dn('o', 0), MOF | UID,
		    &o0), 0);
		ck_assert_int_eq(groups_watch(g, chain_dn('o', 0), UID,
		    &o0uid), 0);
		ck_assert_int_eq(groups_watch(g, chain_dn('o', 0), MEM,
		    &o0mem), 0);
		ck_assert_int_eq(groups_contains(g, m0, &u), 1);
		ck_assert_int_eq(groups_contains(g, o0, &u), 1);
		ck_assert_int_eq(groups_contains(g, o0uid, &u), 0);
		ck_assert_int_eq(groups_contains(g, o0mem, &u), 0);
		/* Many questions on one watch. */
		for (i = 0; i < 20000; i++)
			ck_assert_int_eq(groups_contains(g, m0, &u), 1);
		/* Cut both chains in the middle, then mend them. */
		ck_assert_int_eq(groups_remove(g, chain_dn('m', n / 2)), 0);
		ck_assert_int_eq(groups_remove(g, chain_dn('o', n / 2)), 0);
		ck_assert_int_eq(groups_contains(g, m0, &u), 0);
		ck_assert_int_eq(groups_contains(g, o0, &u), 0);
		memset(&e, 0, sizeof e);
		e.dn = chain_dn('m', n / 2);
		next = chain_dn('m', n / 2 + 1);
		e.member = &next;
		e.nmember = 1;
		ck_assert_int_eq(groups_put(g, &e), 0);
		ck_assert_int_eq(groups_contains(g, m0, &u), 1);
		memset(&e, 0, sizeof e);
		e.dn = chain_dn('o', n / 2);
		parent = chain_dn('o', n / 2 - 1);
		e.memberof = &parent;
		e.nmemberof = 1;
		ck_assert_int_eq(groups_put(g, &e), 0);
		ck_assert_int_eq(groups_contains(g, o0, &u), 1);
		groups_free(g);
	}
}
END_TEST

/* Many targets, watched side by side: answers stay right. */
START_TEST(test_many_targets)
{
	struct groups *g = load();
	const struct spec *gina = &users[7], *alice = &users[0];
	char dn[64];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(dn, sizeof dn, "cn=none%d,dc=ex", i);
		ck_assert_int_eq(is(g, dn, gina, ANY), 0);
		ck_assert_int_eq(is(g, G("cn=top"), gina,
		    (unsigned)(i % 2 ? ANY : MEM)), 1);
		ck_assert_int_eq(is(g, G("cn=top"), alice, ANY), 0);
	}
	/* the same pair, the same handle */
	ck_assert_uint_eq(watch(g, G("cn=top"), ANY),
	    watch(g, "CN=Top, OU=Groups, DC=Ex", ANY | 16));
	ck_assert_uint_ne(watch(g, G("cn=top"), ANY),
	    watch(g, G("cn=top"), MEM));
	groups_free(g);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct groups_entry ge;
	struct groups_keys k;
	struct groups *g = NULL;
	struct entry *e;
	size_t h;

	memset(&ge, 0, sizeof ge);
	memset(&k, 0, sizeof k);
	ck_assert_int_eq(groups_new(NULL), ERR_INVAL);
	ck_assert_int_eq(groups_new(&g), 0);
	ck_assert_int_eq(entry_new(&e, "cn=x,dc=ex", NULL), 0);
	ck_assert_int_eq(groups_is_member(NULL, "cn=x", e, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_is_member(g, NULL, e, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_is_member(g, "cn=x", NULL, ANY), ERR_INVAL);
	ck_assert_int_eq(groups_add(g, NULL), ERR_INVAL);
	ck_assert_int_eq(groups_put(NULL, &ge), ERR_INVAL);
	ck_assert_int_eq(groups_put(g, NULL), ERR_INVAL);
	ck_assert_int_eq(groups_remove(NULL, 1), ERR_INVAL);
	ck_assert_int_eq(groups_watch(NULL, 1, ANY, &h), ERR_INVAL);
	ck_assert_int_eq(groups_watch(g, 1, ANY, NULL), ERR_INVAL);
	ck_assert_int_eq(groups_contains(g, 0, &k), ERR_INVAL);
	ck_assert_int_eq(groups_watch(g, 1, ANY, &h), 0);
	ck_assert_int_eq(groups_contains(g, h + 1, &k), ERR_INVAL);
	ck_assert_int_eq(groups_contains(g, h, NULL), ERR_INVAL);
	ck_assert_int_eq(groups_contains(NULL, h, &k), ERR_INVAL);
	ck_assert_int_eq(groups_drain(NULL, NULL, NULL), ERR_INVAL);
	/* A group whose own DN does not parse is accepted and ignored. */
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "not a dn", NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "member", "cn=x,dc=ex", 10), 0);
	ck_assert_int_eq(groups_add(g, e), 0);
	ck_assert_int_eq(groups_put(g, &ge), 0);
	ck_assert_int_eq(groups_has(g, 0), 0);
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "cn=x,dc=ex", NULL), 0);
	ck_assert_int_eq(groups_is_member(g, "not a dn", e, ANY), 0);
	entry_free(e);
	groups_free(g);
	groups_free(NULL);
}
END_TEST

/* What crosses when a nested group changes, for each way of asking. */
START_TEST(test_drain)
{
	static const struct spec midbob =
	    { G("cn=mid"), { "member: " G("cn=leaf"), "member: " U("bob") } };
	static const struct spec leafuid =
	    { G("cn=leaf"), { "member: " U("gina"), "memberUid: gina" } };
	static const struct spec parentmore =
	    { G("cn=parent"), { "memberOf: " G("cn=grand"),
	    "memberOf: " G("cn=other") } };
	struct groups *g = load();
	struct groupkeys_crossings c0, *c = &c0;
	uint64_t bob = groupkeys_dn(U("bob")), gina = groupkeys_dn(U("gina"));
	uint64_t leaf = groupkeys_dn(G("cn=leaf"));
	uint64_t child = groupkeys_dn(G("cn=child"));
	uint64_t parent = groupkeys_dn(G("cn=parent"));
	size_t mem, any, mof, uid;

	memset(c, 0, sizeof *c);
	mem = watch(g, G("cn=top"), MEM);
	any = watch(g, G("cn=top"), ANY);
	uid = watch(g, G("cn=top"), UID | MEM);
	mof = watch(g, G("cn=other"), MOF);
	/* nothing crossed since the watches were made */
	groupkeys_drain(g, c);
	ck_assert_uint_eq(c->n, 0);

	/* a member added two levels down: its DN, and for the ways
	 * through memberOf, the users whose memberOf names it */
	put_spec(g, &midbob);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, mem, GROUPS_CROSS_DN, bob, 1));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_DN, bob, 1));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_GROUP, bob, 1));
	ck_assert(groupkeys_has(c, uid, GROUPS_CROSS_DN, bob, 1));
	ck_assert_uint_eq(c->n, 4);
	groupkeys_drain(g, c);
	ck_assert_uint_eq(c->n, 0);

	/* a memberUid; then the nested group goes: all it brought */
	put_spec(g, &leafuid);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, uid, GROUPS_CROSS_UID, groupkeys_uid("gina"),
	    1));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_UID, groupkeys_uid("gina"),
	    1));
	ck_assert_uint_eq(c->n, 2);
	ck_assert_int_eq(groups_remove(g, leaf), 0);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, mem, GROUPS_CROSS_DN, gina, 0));
	ck_assert(groupkeys_has(c, uid, GROUPS_CROSS_DN, gina, 0));
	ck_assert(groupkeys_has(c, uid, GROUPS_CROSS_UID, groupkeys_uid("gina"),
	    0));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_DN, gina, 0));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_UID, groupkeys_uid("gina"),
	    0));
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_GROUP, gina, 0));
	/* cn=leaf is still listed by cn=mid, no longer a known group:
	 * a memberOf naming it counts again under any */
	ck_assert(groupkeys_has(c, any, GROUPS_CROSS_GROUP, leaf, 1));
	ck_assert_uint_eq(c->n, 7);

	/* out and back in between two drains: nothing */
	put_spec(g, &groups[5]);
	ck_assert_int_eq(groups_remove(g, leaf), 0);
	groupkeys_drain(g, c);
	ck_assert_uint_eq(c->n, 0);

	/* memberOf nesting: cn=parent named into cn=other brings
	 * cn=parent and cn=child into its closure */
	put_spec(g, &parentmore);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, mof, GROUPS_CROSS_GROUP, parent, 1));
	ck_assert(groupkeys_has(c, mof, GROUPS_CROSS_GROUP, child, 1));
	ck_assert_uint_eq(c->n, 2);
	ck_assert_int_eq(ask(g, mof, &users[19]), 1);

	/* a refused crossing is kept, and those after it */
	ck_assert_int_eq(groups_remove(g, parent), 0);
	c->n = 0;
	c->calls = 0;
	c->refuse_at = 2;
	ck_assert_int_eq(groups_drain(g, groupkeys_cross_fn, c), ERR_IO);
	ck_assert_uint_eq(c->n, 1);
	groupkeys_drain(g, c);
	ck_assert_uint_eq(c->n, 1);
	ck_assert(groupkeys_has(c, mof, GROUPS_CROSS_GROUP, parent, 0) ||
	    groupkeys_has(c, mof, GROUPS_CROSS_GROUP, child, 0));
	/* forgotten without a callback */
	put_spec(g, &parentmore);
	ck_assert_int_eq(groups_drain(g, NULL, NULL), 0);
	groupkeys_drain(g, c);
	ck_assert_uint_eq(c->n, 0);
	groupkeys_crossings_free(c);
	groups_free(g);
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
	struct groups *g = load(), *a = load_entries();

	ck_assert_int_eq(groups_has(g, groupkeys_dn(G("cn=top"))), 1);
	ck_assert_int_eq(groups_has(g, groupkeys_dn(U("alice"))), 0);
	ck_assert_int_eq(groups_known(a, "cn=top,ou=groups,dc=ex"), 1);
	ck_assert_int_eq(groups_known(a, "uid=alice,ou=people,dc=ex"), 0);
	ck_assert_int_eq(groups_remove(a, groupkeys_dn(G("cn=top"))), 0);
	ck_assert_int_eq(groups_known(a, "cn=top,ou=groups,dc=ex"), 0);
	groups_free(g);
	groups_free(a);
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
	tcase_add_test(tc, test_drain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(groups_suite());
}

