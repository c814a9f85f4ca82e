/*
 * check_entry - tests of directory entries (agent/entry.c)
 *
 * Attribute lookup by base name (case and options ignored), value tests,
 * byte-exact storage of values, DN normalization; attribute sets and
 * entry views (values by index, built value by value or from an entry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrset.h"
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

/* Names by base name, any case, numbered in the order added. */
START_TEST(test_attrset)
{
	struct attrset *s;
	char name[32];
	size_t i, at;

	ck_assert_int_eq(attrset_new(&s), 0);
	ck_assert_uint_eq(attrset_count(s), 0);
	ck_assert(attrset_find(s, "mail", 4) == ATTRSET_NONE);
	ck_assert_int_eq(attrset_add(s, "Mail", 4, &at), 0);
	ck_assert_uint_eq(at, 0);
	ck_assert_int_eq(attrset_add(s, "member;range=0-1499", 19, &at), 0);
	ck_assert_uint_eq(at, 1);
	ck_assert_int_eq(attrset_add(s, "MAIL;lang-de", 12, &at), 0);
	ck_assert_uint_eq(at, 0);
	ck_assert_uint_eq(attrset_count(s), 2);
	ck_assert_str_eq(attrset_name(s, 0), "mail");
	ck_assert_str_eq(attrset_name(s, 1), "member");
	ck_assert_ptr_null(attrset_name(s, 2));
	ck_assert_uint_eq(attrset_find(s, "mAiL", 4), 0);
	ck_assert_uint_eq(attrset_find(s, "mail;x-1;x-2", 12), 0);
	ck_assert_uint_eq(attrset_find(s, "Member;range=2-*", 16), 1);
	/* only the len bytes count */
	ck_assert_uint_eq(attrset_find(s, "mailHost", 4), 0);
	ck_assert(attrset_find(s, "mailHost", 8) == ATTRSET_NONE);
	ck_assert(attrset_find(s, "mai", 3) == ATTRSET_NONE);
	ck_assert(attrset_find(s, "", 0) == ATTRSET_NONE);
	ck_assert(attrset_find(s, ";x", 2) == ATTRSET_NONE);
	ck_assert_int_eq(attrset_add(s, "", 0, &at), ERR_INVAL);
	ck_assert_int_eq(attrset_add(s, ";range=1", 8, &at), ERR_INVAL);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "Attr%zu;opt", i);
		ck_assert_int_eq(attrset_add(s, name, strlen(name), &at), 0);
		ck_assert_uint_eq(at, i + 2);
	}
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "ATTR%zu", i);
		ck_assert_uint_eq(attrset_find(s, name, strlen(name)), i + 2);
	}
	ck_assert_uint_eq(attrset_count(s), 2002);
	attrset_free(s);
	attrset_free(NULL);
}
END_TEST

/* A name keeps the case it was first added in, without its options:
 * what a source asks a server for. */
START_TEST(test_attrset_spelling)
{
	struct attrset *s;

	ck_assert_int_eq(attrset_new(&s), 0);
	ck_assert_ptr_null(attrset_spelling(s, 0));
	ck_assert_int_eq(attrset_add(s, "objectClass", 11, NULL), 0);
	ck_assert_int_eq(attrset_add(s, "entryUUID;x-1", 13, NULL), 0);
	ck_assert_int_eq(attrset_add(s, "OBJECTCLASS", 11, NULL), 0);
	ck_assert_int_eq(attrset_add(s, "mail", 4, NULL), 0);
	ck_assert_uint_eq(attrset_count(s), 3);
	ck_assert_str_eq(attrset_spelling(s, 0), "objectClass");
	ck_assert_str_eq(attrset_spelling(s, 1), "entryUUID");
	ck_assert_str_eq(attrset_spelling(s, 2), "mail");
	ck_assert_ptr_null(attrset_spelling(s, 3));
	ck_assert_str_eq(attrset_name(s, 0), "objectclass");
	ck_assert_str_eq(attrset_name(s, 1), "entryuuid");
	attrset_free(s);
}
END_TEST

/* joined_vals - the values of one slot joined with '|' */
static void
joined_vals(const struct entry_vals *vals, char *out, size_t size)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < vals->n; i++) {
		ck_assert_uint_lt(strlen(out) + vals->v[i].len + 2, size);
		if (i)
			strcat(out, "|");
		strncat(out, vals->v[i].data, vals->v[i].len);
		/* every value ends in a NUL */
		ck_assert_int_eq(vals->v[i].data[vals->v[i].len], '\0');
	}
}

/* A view built value by value: the DN need not end in a NUL, names are
 * found whatever their case and options, values of one base name come
 * together in the order added, a value may hold a NUL, names the set
 * does not hold are skipped. */
START_TEST(test_view_built)
{
	static const char dn[] = "uid=zoe,dc=example,dc=comTRAILING";
	struct attrset *s;
	struct viewbuf vb;
	const struct entry_view *v;
	size_t mail, member, cn, sn;
	char got[256];

	ck_assert_int_eq(attrset_new(&s), 0);
	ck_assert_int_eq(attrset_add(s, "mail", 4, &mail), 0);
	ck_assert_int_eq(attrset_add(s, "member", 6, &member), 0);
	ck_assert_int_eq(attrset_add(s, "cn", 2, &cn), 0);
	ck_assert_int_eq(attrset_add(s, "sn", 2, &sn), 0);
	viewbuf_init(&vb, s);
	ck_assert_int_eq(viewbuf_begin(&vb, dn, 25, "z.ldif:7"), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "mail", 4, V("a@x")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "CN", 2, V("Zoe")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "mail;lang-de", 12, V("b@x")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "member;range=0-1", 16, V("m1")),
	    0);
	ck_assert_int_eq(viewbuf_add(&vb, "jpegPhoto", 9, V("\xff\xd8")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "MEMBER;range=2-*", 16, V("m2")),
	    0);
	ck_assert_int_eq(viewbuf_add(&vb, "Mail", 4, V("c\0d")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "mailx", 4, V("e@x")), 0);
	v = viewbuf_view(&vb);
	ck_assert_str_eq(v->dn, "uid=zoe,dc=example,dc=com");
	ck_assert_uint_eq(v->dnlen, 25);
	ck_assert_str_eq(v->origin, "z.ldif:7");
	ck_assert_ptr_eq(v->set, s);
	joined_vals(&v->attrs[mail], got, sizeof got);
	ck_assert_str_eq(got, "a@x|b@x|c|e@x");
	ck_assert_uint_eq(v->attrs[mail].n, 4);
	ck_assert_uint_eq(v->attrs[mail].v[2].len, 3);
	ck_assert_int_eq(memcmp(v->attrs[mail].v[2].data, "c\0d", 4), 0);
	joined_vals(&v->attrs[member], got, sizeof got);
	ck_assert_str_eq(got, "m1|m2");
	joined_vals(&v->attrs[cn], got, sizeof got);
	ck_assert_str_eq(got, "Zoe");
	ck_assert_uint_eq(v->attrs[sn].n, 0);
	/* the next entry replaces it whole */
	ck_assert_int_eq(viewbuf_begin(&vb, "cn=y", 4, NULL), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "sn", 2, V("")), 0);
	v = viewbuf_view(&vb);
	ck_assert_str_eq(v->dn, "cn=y");
	ck_assert_ptr_null(v->origin);
	ck_assert_uint_eq(v->attrs[mail].n, 0);
	ck_assert_uint_eq(v->attrs[member].n, 0);
	ck_assert_uint_eq(v->attrs[sn].n, 1);
	ck_assert_uint_eq(v->attrs[sn].v[0].len, 0);
	ck_assert_str_eq(v->attrs[sn].v[0].data, "");
	viewbuf_free(&vb);
	attrset_free(s);
}
END_TEST

/* Values added by index come with those added by name, in the order
 * added; an index the set does not hold is skipped. */
START_TEST(test_view_by_slot)
{
	struct attrset *s;
	struct viewbuf vb;
	const struct entry_view *v;
	size_t mail, cn;
	char got[256];

	ck_assert_int_eq(attrset_new(&s), 0);
	ck_assert_int_eq(attrset_add(s, "mail", 4, &mail), 0);
	ck_assert_int_eq(attrset_add(s, "cn", 2, &cn), 0);
	viewbuf_init(&vb, s);
	ck_assert_int_eq(viewbuf_begin(&vb, "cn=z", 4, NULL), 0);
	ck_assert_int_eq(viewbuf_add_slot(&vb, mail, V("a@x")), 0);
	ck_assert_int_eq(viewbuf_add(&vb, "mail", 4, V("b@x")), 0);
	ck_assert_int_eq(viewbuf_add_slot(&vb, ATTRSET_NONE, V("skip")), 0);
	ck_assert_int_eq(viewbuf_add_slot(&vb, mail, V("c\0d")), 0);
	ck_assert_int_eq(viewbuf_add_slot(&vb, cn, V("")), 0);
	v = viewbuf_view(&vb);
	joined_vals(&v->attrs[mail], got, sizeof got);
	ck_assert_str_eq(got, "a@x|b@x|c");
	ck_assert_uint_eq(v->attrs[mail].v[2].len, 3);
	ck_assert_int_eq(memcmp(v->attrs[mail].v[2].data, "c\0d", 4), 0);
	ck_assert_uint_eq(v->attrs[cn].n, 1);
	ck_assert_uint_eq(v->attrs[cn].v[0].len, 0);
	viewbuf_free(&vb);
	attrset_free(s);
}
END_TEST

/* The scratch grows to the largest entry, then is reused: entries no
 * larger than one seen before allocate nothing. */
START_TEST(test_view_reuse)
{
	struct attrset *s;
	struct viewbuf vb;
	const struct entry_view *v;
	size_t round, i, cap, cappend, capvals;
	char value[32];

	ck_assert_int_eq(attrset_new(&s), 0);
	ck_assert_int_eq(attrset_add(s, "member", 6, NULL), 0);
	ck_assert_int_eq(attrset_add(s, "cn", 2, NULL), 0);
	viewbuf_init(&vb, s);
	cap = cappend = capvals = 0;
	for (round = 0; round < 6; round++) {
		size_t n = round % 2 ? 10 : 5000;

		ck_assert_int_eq(viewbuf_begin(&vb, "cn=big", 6, "f:1"), 0);
		for (i = 0; i < n; i++) {
			snprintf(value, sizeof value, "cn=m%zu,dc=x", i);
			ck_assert_int_eq(viewbuf_add(&vb, "member", 6, value,
			    strlen(value)), 0);
		}
		v = viewbuf_view(&vb);
		ck_assert_uint_eq(v->attrs[0].n, n);
		ck_assert_str_eq(v->attrs[0].v[n - 1].data, value);
		ck_assert_uint_eq(v->attrs[1].n, 0);
		if (round >= 1) {
			ck_assert_uint_eq(vb.cap, cap);
			ck_assert_uint_eq(vb.cappend, cappend);
			ck_assert_uint_eq(vb.capvals, capvals);
		}
		cap = vb.cap;
		cappend = vb.cappend;
		capvals = vb.capvals;
	}
	viewbuf_free(&vb);
	attrset_free(s);
}
END_TEST

/* A view of an entry borrows its bytes and gives, per name, what
 * entry_value_first and entry_value_next walk. */
START_TEST(test_view_from_entry)
{
	static const char *const read[] = {
		"cn", "mail", "member", "description", "jpegPhoto", "sn",
		"mailAlternateAddress"
	};
	struct entry *e = sample();
	struct attrset *s;
	struct viewbuf vb;
	const struct entry_view *v;
	const struct entry_value *x;
	struct entry_iter it;
	size_t i, j, at;

	ck_assert_int_eq(entry_add_value(e, "mail;lang-de", V("b@x")), 0);
	ck_assert_int_eq(entry_add_value(e, "MAIL;x-old", V("c@x")), 0);
	ck_assert_int_eq(attrset_new(&s), 0);
	for (i = 0; i < sizeof read / sizeof *read; i++)
		ck_assert_int_eq(attrset_add(s, read[i], strlen(read[i]), NULL),
		    0);
	viewbuf_init(&vb, NULL);
	ck_assert_int_eq(viewbuf_from_entry(&vb, s, e), 0);
	v = viewbuf_view(&vb);
	ck_assert_ptr_eq(v->dn, e->dn);
	ck_assert_uint_eq(v->dnlen, strlen(e->dn));
	ck_assert_str_eq(v->origin, "t:1");
	for (i = 0; i < sizeof read / sizeof *read; i++) {
		at = attrset_find(s, read[i], strlen(read[i]));
		j = 0;
		for (x = entry_value_first(e, read[i], &it); x != NULL;
		    x = entry_value_next(&it), j++) {
			ck_assert_uint_lt(j, v->attrs[at].n);
			ck_assert_ptr_eq(v->attrs[at].v[j].data, x->data);
			ck_assert_uint_eq(v->attrs[at].v[j].len, x->len);
		}
		ck_assert_msg(j == v->attrs[at].n, "%s: %zu values", read[i],
		    v->attrs[at].n);
	}
	/* another entry over the same scratch */
	entry_free(e);
	ck_assert_int_eq(entry_new(&e, "cn=other", NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "cn", V("Other")), 0);
	ck_assert_int_eq(viewbuf_from_entry(&vb, s, e), 0);
	v = viewbuf_view(&vb);
	ck_assert_str_eq(v->dn, "cn=other");
	ck_assert_ptr_null(v->origin);
	ck_assert_uint_eq(v->attrs[0].n, 1);
	ck_assert_uint_eq(v->attrs[1].n, 0);
	viewbuf_free(&vb);
	entry_free(e);
	attrset_free(s);
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
	tcase_add_test(tc, test_attrset);
	tcase_add_test(tc, test_attrset_spelling);
	tcase_add_test(tc, test_view_by_slot);
	tcase_add_test(tc, test_view_built);
	tcase_add_test(tc, test_view_reuse);
	tcase_add_test(tc, test_view_from_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(entry_suite()); }
