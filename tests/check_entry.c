/*
 * check_entry - tests of directory entries (agent/entry.c)
 *
 * Attribute lookup by base name (case and options ignored), value tests,
 * byte-exact storage of values, DN normalization.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "errors.h"
#include "testlib.h"

/* Values given with their length: they may hold NUL bytes. */
#define V(s) (s), sizeof(s) - 1

/* sample - an entry with options, ranges and a binary value */
static struct entry *
sample(void)
{
	struct entry *e;

	ck_assert_int_eq(entry_new(&e, "uid=alice,dc=example,dc=com",
	    "t:1"), 0);
	ck_assert_int_eq(entry_add_value(e, "cn", V("Alice")), 0);
	ck_assert_int_eq(entry_add_value(e, "cn;lang-fr", V("Alicia")), 0);
	ck_assert_int_eq(entry_add_value(e, "member;range=0-1499",
	    V("cn=g1")), 0);
	ck_assert_int_eq(entry_add_value(e, "mailAlternateAddress",
	    V("a@example.com")), 0);
	ck_assert_int_eq(entry_add_value(e, "mail", V("Alice@Example.COM")),
	    0);
	ck_assert_int_eq(entry_add_value(e, "mail", V("alice2@example.com")),
	    0);
	ck_assert_int_eq(entry_add_value(e, "jpegPhoto", V("a\0b")), 0);
	ck_assert_int_eq(entry_add_value(e, "description", V("")), 0);
	return e;
}

/* test_new - dn and origin are copied; origin may be absent */
START_TEST(test_new)
{
	char dn[] = "cn=x", origin[] = "f:3";
	struct entry *e;

	ck_assert_int_eq(entry_new(&e, dn, origin), 0);
	dn[0] = origin[0] = 'z';
	ck_assert_str_eq(e->dn, "cn=x");
	ck_assert_str_eq(e->origin, "f:3");
	ck_assert_uint_eq(e->count, 0);
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "", NULL), 0);
	ck_assert_str_eq(e->dn, "");
	ck_assert_ptr_null(e->origin);
	entry_free(e);
	entry_free(NULL);
}
END_TEST

/* test_add_value - values are stored byte for byte, NUL-terminated */
START_TEST(test_add_value)
{
	struct entry *e = sample();
	const struct entry_attr *a;
	char buf[] = "abc";

	a = entry_attr_get(e, "jpegPhoto");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->values[0].len, 3);
	ck_assert_mem_eq(a->values[0].data, "a\0b", 4);
	a = entry_attr_get(e, "description");
	ck_assert_uint_eq(a->values[0].len, 0);
	ck_assert_str_eq(a->values[0].data, "");
	/* The value is a copy. */
	ck_assert_int_eq(entry_add_value(e, "sn", buf, 3), 0);
	buf[0] = 'z';
	ck_assert_str_eq(entry_attr_get(e, "sn")->values[0].data, "abc");
	/* The same name in another case is the same attribute; the name
	 * keeps the spelling it first arrived with. */
	ck_assert_int_eq(entry_add_value(e, "MAIL", V("third@example.com")),
	    0);
	a = entry_attr_get(e, "mail");
	ck_assert_str_eq(a->name, "mail");
	ck_assert_uint_eq(a->count, 3);
	ck_assert_str_eq(a->values[2].data, "third@example.com");
	/* Different options make different attributes. */
	ck_assert_str_eq(entry_attr_get(e, "cn")->name, "cn");
	ck_assert_uint_eq(entry_attr_get(e, "cn")->count, 1);
	entry_free(e);
}
END_TEST

/* test_many_values - growth keeps order and content */
START_TEST(test_many_values)
{
	struct entry *e;
	const struct entry_attr *a;
	char name[16], val[16];
	size_t i;

	ck_assert_int_eq(entry_new(&e, "cn=x", NULL), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "a%zu", i % 37);
		snprintf(val, sizeof val, "v%zu", i);
		ck_assert_int_eq(entry_add_value(e, name, val, strlen(val)),
		    0);
	}
	ck_assert_uint_eq(e->count, 37);
	a = entry_attr_get(e, "a5");
	ck_assert_uint_eq(a->count, 27);
	ck_assert_str_eq(a->values[0].data, "v5");
	ck_assert_str_eq(a->values[26].data, "v967");
	entry_free(e);
}
END_TEST

struct lookup_case {
	const char *name;
	const char *found;      /* name of the attribute found, or NULL */
};

static const struct lookup_case lookups[] = {
	{ "cn", "cn" },
	{ "CN", "cn" },
	{ "cn;lang-de", "cn" },         /* options ignored on both sides */
	{ "member", "member;range=0-1499" },
	{ "MEMBER", "member;range=0-1499" },
	{ "member;range=1500-*", "member;range=0-1499" },
	{ "mailalternateaddress", "mailAlternateAddress" },
	{ "mail", "mail" },
	{ "mailAlternate", NULL },      /* a prefix is not a match */
	{ "c", NULL },
	{ "cnx", NULL },
	{ "", NULL },
	{ ";lang-fr", NULL },
	{ "uid", NULL },
};

/* test_attr_get - lookup by base name, case-insensitively */
START_TEST(test_attr_get)
{
	const struct lookup_case *c = &lookups[_i];
	struct entry *e = sample();
	const struct entry_attr *a = entry_attr_get(e, c->name);

	if (c->found == NULL)
		ck_assert_msg(a == NULL, "%s: found %s", c->name,
		    a ? a->name : "");
	else {
		ck_assert_msg(a != NULL, "%s: not found", c->name);
		ck_assert_str_eq(a->name, c->found);
	}
	entry_free(e);
}
END_TEST

struct name_case {
	const char *attr;
	const char *name;
	int eq;
};

static const struct name_case names[] = {
	{ "cn", "cn", 1 },
	{ "cn", "CN", 1 },
	{ "cn;lang-fr", "cn", 1 },
	{ "cn", "cn;binary", 1 },
	{ "member;range=0-1499", "member;range=1500-*", 1 },
	{ "cn", "c", 0 },
	{ "c", "cn", 0 },
	{ "cn;x", "cnx", 0 },
	{ "", "", 1 },
	{ "mail", "mailAlternateAddress", 0 },
};

/* test_name_eq - the comparison behind entry_attr_get */
START_TEST(test_name_eq)
{
	const struct name_case *c = &names[_i];

	ck_assert_msg(entry_attr_name_eq(c->attr, c->name) == c->eq,
	    "%s vs %s", c->attr, c->name);
	ck_assert_msg(entry_attr_name_eq(c->name, c->attr) == c->eq,
	    "%s vs %s (swapped)", c->name, c->attr);
}
END_TEST

struct value_case {
	const char *name;
	const char *data;
	size_t len;
	int has;
};

static const struct value_case values[] = {
	{ "mail", V("alice@example.com"), 1 },  /* stored Alice@Example.COM */
	{ "MAIL", V("ALICE@EXAMPLE.COM"), 1 },
	{ "mail", V("alice2@example.com"), 1 },  /* not only the first value */
	{ "mail", V("alice@example.co"), 0 },    /* a prefix */
	{ "mail", V("alice@example.comm"), 0 },
	{ "mail;lang-en", V("alice@example.com"), 1 },
	{ "mailAlternateAddress", V("A@EXAMPLE.COM"), 1 },
	{ "cn", V("alice"), 1 },
	{ "description", V(""), 1 },
	{ "description", V("x"), 0 },
	{ "uid", V("alice"), 0 },               /* no such attribute */
	{ "jpegPhoto", V("a\0c"), 0 },          /* no match past a NUL */
	{ "jpegPhoto", V("a"), 0 },
	{ "mail", V("alice@example.com\0"), 0 },
};

/* test_has_value - value test, ASCII case ignored */
START_TEST(test_has_value)
{
	const struct value_case *c = &values[_i];
	struct entry *e = sample();

	ck_assert_msg(entry_has_value(e, c->name, c->data, c->len) == c->has,
	    "%s: %s", c->name, c->data);
	entry_free(e);
}
END_TEST

struct dn_case {
	const char *dn;
	int rc;
	const char *norm;       /* expected when rc == 0 */
};

static const struct dn_case dns[] = {
	{ "CN=John Smith , DC=Example,DC=COM", 0,
	  "cn=john smith,dc=example,dc=com" },
	{ "cn = John,  dc = example", 0, "cn=john,dc=example" },
	{ "uid=alice,dc=example,dc=com", 0, "uid=alice,dc=example,dc=com" },
	{ "cn=Smith\\, John,dc=example", 0, "cn=smith\\2c john,dc=example" },
	{ "cn=Smith\\2C John,dc=example", 0, "cn=smith\\2c john,dc=example" },
	{ "cn=Smith\\2c John,DC=EXAMPLE", 0, "cn=smith\\2c john,dc=example" },
	{ "cn=a\\\"b,dc=x", 0, "cn=a\\22b,dc=x" },
	{ "cn=a\\=b", 0, "cn=a\\3db" },
	{ "cn=\\ a\\ ,dc=x", 0, "cn=\\20a\\20,dc=x" },
	{ "", 0, "" },
	{ "not a dn", ERR_INVAL, NULL },
	{ "cn=a,,dc=b", ERR_INVAL, NULL },
	{ "=x,dc=b", ERR_INVAL, NULL },
	{ "cn=a\"b,dc=x", ERR_INVAL, NULL },
	{ "cn=a,dc=b,", ERR_INVAL, NULL },
	{ "cn=a\\zz", ERR_INVAL, NULL },
};

/* test_dn_normalize - spaces, case and escapes canonicalized */
/* Values spread over ranged attributes, and values holding NUL. */
START_TEST(test_has_value_all_attributes)
{
	struct entry *e;

	ck_assert_int_eq(entry_new(&e, "cn=g,dc=example,dc=com", NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "member;range=0-1", "cn=a", 4), 0);
	ck_assert_int_eq(entry_add_value(e, "member;range=2-*", "cn=b", 4), 0);
	ck_assert_int_eq(entry_add_value(e, "jpegPhoto", "a\0B", 3), 0);
	ck_assert_int_eq(entry_has_value(e, "member", "cn=a", 4), 1);
	ck_assert_int_eq(entry_has_value(e, "member", "CN=B", 4), 1);
	ck_assert_int_eq(entry_has_value(e, "member", "cn=c", 4), 0);
	ck_assert_int_eq(entry_has_value(e, "jpegPhoto", "a\0b", 3), 1);
	ck_assert_int_eq(entry_has_value(e, "jpegPhoto", "a\0c", 3), 0);
	ck_assert_int_eq(entry_has_value(e, "jpegPhoto", "a", 1), 0);
	entry_free(e);
}
END_TEST

START_TEST(test_dn_normalize)
{
	const struct dn_case *c = &dns[_i];
	char *out = (char *)"unset";
	int rc;

	rc = entry_dn_normalize(c->dn, &out);
	ck_assert_msg(rc == c->rc, "%s: rc %d", c->dn, rc);
	if (c->rc == 0) {
		ck_assert_str_eq(out, c->norm);
		free(out);
	} else
		ck_assert_ptr_null(out);
}
END_TEST

/* test_dn_equivalent - spellings of one DN normalize to the same bytes */
START_TEST(test_dn_equivalent)
{
	static const char *const same[][2] = {
		{ "UID=Bob,OU=People,DC=Example,DC=Com",
		  "uid=bob, ou=people, dc=example, dc=com" },
		{ "cn=R\\C3\\A9mi,dc=x", "cn=R\xc3\xa9mi,dc=x" },
		{ "cn=a\\+b,dc=x", "CN=A\\2Bb,DC=X" },
		{ "o=Acme\\, Inc.", "O=acme\\2C inc." },
	};
	char *a, *b;
	size_t i;

	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		ck_assert_int_eq(entry_dn_normalize(same[i][0], &a), 0);
		ck_assert_int_eq(entry_dn_normalize(same[i][1], &b), 0);
		ck_assert_msg(strcmp(a, b) == 0, "%s -> %s, %s -> %s",
		    same[i][0], a, same[i][1], b);
		free(a);
		free(b);
	}
	/* Different DNs stay different. */
	ck_assert_int_eq(entry_dn_normalize("cn=a,dc=x", &a), 0);
	ck_assert_int_eq(entry_dn_normalize("cn=a\\,dc=x", &b), 0);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

/* Every value of every attribute of a base name, in the entry's
 * order: what entry_value_first and entry_value_next walk. */
static const struct iter_case {
	const char *name;
	const char *want;       /* the values joined with '|'; "" none */
} iter_cases[] = {
	{ "cn", "Alice|Alicia" },
	{ "CN", "Alice|Alicia" },
	{ "cn;lang-fr", "Alice|Alicia" },       /* options ignored */
	{ "mail", "Alice@Example.COM|alice2@example.com|b@example.com|"
	  "c@example.com" },
	{ "member", "cn=g1|cn=g2" },
	{ "description", "" },                  /* one empty value */
	{ "sn", "" },
	{ NULL, "" },
};

START_TEST(test_values_of_every_attribute)
{
	const struct iter_case *c = &iter_cases[_i];
	struct entry *e = sample();
	const struct entry_value *v;
	struct entry_iter it;
	char got[256] = "";
	size_t n = 0;

	/* after the sample's attributes, more of the same base names */
	ck_assert_int_eq(entry_add_value(e, "mail;lang-de", V("b@example.com")),
	    0);
	ck_assert_int_eq(entry_add_value(e, "MAIL;x-old", V("c@example.com")),
	    0);
	ck_assert_int_eq(entry_add_value(e, "member;range=1-*", V("cn=g2")), 0);
	for (v = entry_value_first(e, c->name, &it); v != NULL;
	    v = entry_value_next(&it)) {
		ck_assert_uint_lt(strlen(got) + v->len + 2, sizeof got);
		if (n++)
			strcat(got, "|");
		strncat(got, v->data, v->len);
	}
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: \"%s\"",
	    c->name ? c->name : "(null)", got);
	if (c->name && strcmp(c->name, "description") == 0)
		ck_assert_uint_eq(n, 1);
	/* at the end it stays at the end */
	ck_assert_ptr_null(entry_value_next(&it));
	entry_free(e);
}
END_TEST

/* entry_suite - every entry test */
static Suite *
entry_suite(void)
{
	Suite *s = suite_create("entry");
	TCase *tc = tcase_create("entry");

	tcase_add_test(tc, test_new);
	tcase_add_test(tc, test_add_value);
	tcase_add_test(tc, test_many_values);
	tcase_add_loop_test(tc, test_attr_get, 0,
	    (int)(sizeof lookups / sizeof lookups[0]));
	tcase_add_loop_test(tc, test_name_eq, 0,
	    (int)(sizeof names / sizeof names[0]));
	tcase_add_loop_test(tc, test_has_value, 0,
	    (int)(sizeof values / sizeof values[0]));
	tcase_add_loop_test(tc, test_dn_normalize, 0,
	    (int)(sizeof dns / sizeof dns[0]));
	tcase_add_test(tc, test_dn_equivalent);
	tcase_add_test(tc, test_has_value_all_attributes);
	tcase_add_loop_test(tc, test_values_of_every_attribute, 0,
	    sizeof iter_cases / sizeof *iter_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(entry_suite()); }
