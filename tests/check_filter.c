/*
 * check_filter - RFC 4515 filter parsing and local evaluation
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrset.h"
#include "buf.h"
#include "entry.h"
#include "errors.h"
#include "filter.h"
#include "testlib.h"

struct av {
	const char *attr;
	const char *data;
	size_t len;             /* 0: strlen(data) */
};

#define AV_END { NULL, NULL, 0 }

/* The entries the table rows refer to by index. */
static const struct av person[] = {
	{ "objectClass", "top", 0 },
	{ "objectClass", "person", 0 },
	{ "objectClass", "inetOrgPerson", 0 },
	{ "cn", "Alice Smith", 0 },
	{ "uid", "alice", 0 },
	{ "mail", "Alice@Example.COM", 0 },
	{ "mailAlternateAddress", "a.smith@example.com", 0 },
	{ "uidNumber", "1000", 0 },
	{ "modifyTimestamp", "20240315120000Z", 0 },
	{ "member;range=0-1", "cn=x,dc=example,dc=com", 0 },
	{ "member;range=2-*", "cn=y,dc=example,dc=com", 0 },
	{ "description", "a*b(c)d\\e", 0 },
	{ "nulval", "ab\0cd", 5 },
	{ "utf", "caf\xc3\xa9", 0 },
	{ "status", "migrated", 0 },
	{ "cn;lang-fr", "Alice Forgeron", 0 },
	{ "negative", "-5", 0 },
	AV_END
};

static const struct av bare[] = {
	{ "cn", "bare", 0 },
	{ "uSNChanged", "99", 0 },
	{ "emptyval", "", 0 },
	AV_END
};

/* A value that starts with '=' */
static const struct av odd[] = {
	{ "x-eq", "=a", 0 },
	AV_END
};

static const struct av *const entries[] = { person, bare, odd };
static const char *const dns[] = {
	"uid=alice,ou=people,dc=example,dc=com",
	"cn=bare,dc=example,dc=com",
	"cn=odd,dc=example,dc=com",
};

/* make_entry - build entry number i of entries[] */
static struct entry *
make_entry(size_t i)
{
	const struct av *a;
	struct entry *e = NULL;

	ck_assert_int_eq(entry_new(&e, dns[i], NULL), 0);
	for (a = entries[i]; a->attr != NULL; a++)
		ck_assert_int_eq(entry_add_value(e, a->attr, a->data,
		    a->len ? a->len : strlen(a->data)), 0);
	return e;
}

static const struct match_case {
	const char *filter;
	size_t entry;
	int expect;
} match_cases[] = {
	/* equality, case-insensitive on names and values */
	{ "(uid=alice)", 0, 1 },
	{ "(UID=ALICE)", 0, 1 },
	{ "(uid=alic)", 0, 0 },
	{ "(uid=alicea)", 0, 0 },
	{ "(mail=alice@example.com)", 0, 1 },
	{ "(objectClass=inetorgperson)", 0, 1 },
	{ "(objectClass=groupOfNames)", 0, 0 },
	{ "(nosuch=alice)", 0, 0 },
	{ "(cn=Alice Smith)", 0, 1 },
	{ "(uid==alice)", 0, 0 },
	{ "(x-eq==a)", 2, 1 },
	/* bytes >= 0x80 compare exactly */
	{ "(utf=caf\xc3\xa9)", 0, 1 },
	{ "(utf=CAF\xc3\xa9)", 0, 1 },
	{ "(utf=caf\\c3\\a9)", 0, 1 },
	{ "(utf=caf\\C3\\A9)", 0, 1 },
	{ "(utf=caf\xc3\x89)", 0, 0 },
	/* ~= is equality */
	{ "(uid~=ALICE)", 0, 1 },
	{ "(uid~=alic)", 0, 0 },
	/* presence */
	{ "(mail=*)", 0, 1 },
	{ "(fax=*)", 0, 0 },
	{ "(emptyval=*)", 1, 1 },
	{ "(objectClass=*)", 0, 1 },
	{ "(objectClass=*)", 1, 1 },
	{ "(objectclass=*)", 1, 1 },
	{ "(2.5.4.0=*)", 1, 1 },
	{ "(objectClass=top)", 1, 0 },
	/* empty equality value */
	{ "(emptyval=)", 1, 1 },
	{ "(cn=)", 1, 0 },
	/* substrings */
	{ "(mail=alice@*)", 0, 1 },
	{ "(mail=*@example.com)", 0, 1 },
	{ "(mail=*@EXAMPLE.com)", 0, 1 },
	{ "(mail=*@example.org)", 0, 0 },
	{ "(mail=a*e*@*.com)", 0, 1 },
	{ "(mail=*lic*xam*)", 0, 1 },
	{ "(mail=*xam*lic*)", 0, 0 },
	{ "(mail=alice*alice)", 0, 0 },
	{ "(cn=Alice*Smith)", 0, 1 },
	{ "(cn=Alice Smith*Smith)", 0, 0 },
	{ "(cn=A*i*i*h)", 0, 1 },
	{ "(cn=A*i*i*i*h)", 0, 0 },
	{ "(uid=alice*)", 0, 1 },
	{ "(uid=*alice)", 0, 1 },
	{ "(uid=*alice*)", 0, 1 },
	{ "(uid=alice*e)", 0, 0 },
	{ "(uid=a**e)", 0, 1 },
	{ "(uid=**)", 0, 1 },
	{ "(uid=**)", 1, 0 },
	{ "(fax=a*)", 0, 0 },
	/* ordering: integers numerically, the rest byte order */
	{ "(uidNumber>=1000)", 0, 1 },
	{ "(uidNumber>=1001)", 0, 0 },
	{ "(uidNumber<=1000)", 0, 1 },
	{ "(uidNumber<=999)", 0, 0 },
	{ "(uidNumber>=999)", 0, 1 },
	{ "(uidNumber>=0999)", 0, 1 },
	{ "(uidNumber<=10000)", 0, 1 },
	{ "(uSNChanged>=100)", 1, 0 },
	{ "(uSNChanged>=98)", 1, 1 },
	{ "(uSNChanged<=100)", 1, 1 },
	{ "(negative<=-4)", 0, 1 },
	{ "(negative<=-6)", 0, 0 },
	{ "(negative>=-10)", 0, 1 },
	{ "(negative>=0)", 0, 0 },
	{ "(modifyTimestamp>=20240315120000Z)", 0, 1 },
	{ "(modifyTimestamp>=20240315120001Z)", 0, 0 },
	{ "(modifyTimestamp<=20240315120001Z)", 0, 1 },
	{ "(modifyTimestamp>=20231231235959Z)", 0, 1 },
	{ "(modifyTimestamp<=20231231235959z)", 0, 0 },
	{ "(status>=MIGRATED)", 0, 1 },
	{ "(status<=migrate)", 0, 0 },
	{ "(status>=migratee)", 0, 0 },
	{ "(status<=migratee)", 0, 1 },
	{ "(status>=n)", 0, 0 },
	{ "(fax>=0)", 0, 0 },
	/* escapes */
	{ "(description=a\\2ab\\28c\\29d\\5ce)", 0, 1 },
	{ "(description=a\\*b\\(c\\)d\\\\e)", 0, 1 },
	{ "(description=a\\2Ab*)", 0, 1 },
	{ "(description=*\\28c\\29*)", 0, 1 },
	{ "(description=a*b)", 0, 0 },
	{ "(uid=\\61lice)", 0, 1 },
	{ "(uid=\\41LICE)", 0, 1 },
	/* NUL in values: lengths count */
	{ "(nulval=ab)", 0, 0 },
	{ "(nulval=ab\\00cd)", 0, 1 },
	{ "(nulval=AB\\00CD)", 0, 1 },
	{ "(nulval=ab\\00ce)", 0, 0 },
	{ "(nulval=ab*)", 0, 1 },
	{ "(nulval=*\\00*)", 0, 1 },
	{ "(uid=*\\00*)", 0, 0 },
	{ "(nulval=*cd)", 0, 1 },
	/* options: ignored in matching, on both sides */
	{ "(member=cn=x,dc=example,dc=com)", 0, 1 },
	{ "(member=cn=y,dc=example,dc=com)", 0, 1 },
	{ "(member=cn=z,dc=example,dc=com)", 0, 0 },
	{ "(cn=Alice Forgeron)", 0, 1 },
	{ "(cn;lang-fr=Alice Smith)", 0, 1 },
	{ "(cn;x-a;x-b=alice*)", 0, 1 },
	/* and, or, not, nesting */
	{ "(&(uid=alice)(mail=*))", 0, 1 },
	{ "(&(uid=alice)(fax=*))", 0, 0 },
	{ "(|(uid=bob)(mail=*))", 0, 1 },
	{ "(|(uid=bob)(fax=*))", 0, 0 },
	{ "(!(uid=bob))", 0, 1 },
	{ "(!(uid=alice))", 0, 0 },
	{ "(!(!(uid=alice)))", 0, 1 },
	{ "(&(objectClass=person)(|(status=migrated)(status=pending))"
	  "(!(mail=*@example.org)))", 0, 1 },
	{ "(&(objectClass=person)(|(status=gone)(status=pending)))", 0, 0 },
	{ "(|(&(uid=x)(cn=y))(&(uid=alice)(!(cn=bob))))", 0, 1 },
	{ "(&(uid=alice))", 0, 1 },
	{ "(|(uid=alice))", 0, 1 },
	/* RFC 4526 absolute true and false */
	{ "(&)", 1, 1 },
	{ "(|)", 1, 0 },
	{ "(!(|))", 0, 1 },
	/* without outer parentheses, as ldapsearch takes it */
	{ "objectClass=person", 0, 1 },
	{ "objectClass=person", 1, 0 },
	{ "uid=al*", 0, 1 },
	{ "&(uid=alice)(mail=*)", 0, 1 },
	{ "!(uid=alice)", 0, 0 },
	{ "uidNumber>=1000", 0, 1 },
	/* white space between elements */
	{ "  (uid=alice)  ", 0, 1 },
	{ "(& (uid=alice)\n\t(mail=*) )", 0, 1 },
	{ "( | (uid=bob) (uid=alice) )", 0, 1 },
	{ "(! (uid=bob))", 0, 1 },
	{ "(uid=alice )", 0, 0 },
	/* numeric OIDs and hyphenated names are valid descriptions */
	{ "(0.9.2342.19200300.100.1.1=alice)", 0, 0 },
	{ "(x-custom-attr=*)", 0, 0 },
};

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

START_TEST(test_match_table)
{
	const size_t n = sizeof match_cases / sizeof match_cases[0];
	const struct match_case *c;
	struct report r = { "", 0, 0 };
	struct filter *f;
	struct entry *e;
	char err[256];
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		c = &match_cases[i];
		f = NULL;
		if (filter_parse(c->filter, &f, err, sizeof err) != 0) {
			report_add(&r, "%s: %s", c->filter, err);
			continue;
		}
		e = make_entry(c->entry);
		if ((got = filter_match(f, e)) != c->expect)
			report_add(&r, "%s on entry %zu: got %d", c->filter,
			    c->entry, got);
		filter_free(f);
		entry_free(e);
	}
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    n, r.text);
}
END_TEST

/* The same rows over entry views: made from the entry, and built value
 * by value as a source builds them (every name given, the set keeping
 * what the filter tests), then compiled against a set shared with
 * other names; a view over another set matches nothing. */
START_TEST(test_match_table_views)
{
	const size_t n = sizeof match_cases / sizeof match_cases[0];
	const struct match_case *c;
	struct report r = { "", 0, 0 };
	struct viewbuf vb, wire;
	struct attrset *shared, *other;
	struct filter *f, *g;
	const struct av *a;
	struct entry *e;
	char err[256];
	size_t i;
	int got;

	viewbuf_init(&vb, NULL);
	for (i = 0; i < n; i++) {
		c = &match_cases[i];
		ck_assert_int_eq(filter_parse(c->filter, &f, err, sizeof err),
		    0);
		e = make_entry(c->entry);
		ck_assert_int_eq(viewbuf_from_entry(&vb, filter_attrset(f), e),
		    0);
		if ((got = filter_match_view(f, viewbuf_view(&vb))) !=
		    c->expect)
			report_add(&r, "%s on view %zu: got %d", c->filter,
			    c->entry, got);
		viewbuf_init(&wire, filter_attrset(f));
		ck_assert_int_eq(viewbuf_begin(&wire, dns[c->entry],
		    strlen(dns[c->entry]), NULL), 0);
		for (a = entries[c->entry]; a->attr != NULL; a++)
			ck_assert_int_eq(viewbuf_add(&wire, a->attr,
			    strlen(a->attr), a->data, a->len ? a->len :
			    strlen(a->data)), 0);
		if ((got = filter_match_view(f, viewbuf_view(&wire))) !=
		    c->expect)
			report_add(&r, "%s on built view %zu: got %d",
			    c->filter, c->entry, got);
		viewbuf_free(&wire);

		ck_assert_int_eq(attrset_new(&shared), 0);
		ck_assert_int_eq(attrset_add(shared, "zzz", 3, NULL), 0);
		ck_assert_int_eq(attrset_add(shared, "CN;lang-de", 10, NULL),
		    0);
		ck_assert_int_eq(filter_compile(c->filter, shared, &g, err,
		    sizeof err), 0);
		ck_assert_ptr_eq(filter_attrset(g), shared);
		ck_assert_int_eq(viewbuf_from_entry(&vb, shared, e), 0);
		if ((got = filter_match_view(g, viewbuf_view(&vb))) !=
		    c->expect)
			report_add(&r, "%s on a shared set's view %zu: got %d",
			    c->filter, c->entry, got);
		ck_assert_int_eq(attrset_new(&other), 0);
		ck_assert_int_eq(viewbuf_from_entry(&vb, other, e), 0);
		ck_assert_int_eq(filter_match_view(g, viewbuf_view(&vb)), 0);
		attrset_free(other);
		filter_free(g);
		attrset_free(shared);
		filter_free(f);
		entry_free(e);
	}
	viewbuf_free(&vb);
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    n, r.text);
}
END_TEST

static const struct error_case {
	const char *filter;
	const char *message;    /* how err starts */
} error_cases[] = {
	{ "", "at offset 0: empty filter" },
	{ "   ", "at offset 3: empty filter" },
	{ "(uid=alice", "at offset 10: expected ')'" },
	{ "(&(uid=a)(uid=b)", "at offset 16: expected ')'" },
	{ "(uid=alice))", "at offset 11: unexpected text" },
	{ "(uid=alice)(uid=bob)", "at offset 11: unexpected text" },
	{ "uid=alice)", "at offset 9: unbalanced ')'" },
	{ "()", "at offset 1: expected an attribute" },
	{ "(=alice)", "at offset 1: expected an attribute" },
	{ "(uid)", "at offset 4: expected '='" },
	{ "(uid alice)", "at offset 4: expected '='" },
	{ "(u_d=a)", "at offset 2: expected '='" },
	{ "(uid~a)", "at offset 5: expected '=' after '~'" },
	{ "(uid>a)", "at offset 5: expected '=' after '>'" },
	{ "(uid<a)", "at offset 5: expected '=' after '<'" },
	{ "(uid:=alice)", "at offset 4: extensible match (':=') is not" },
	{ "(uid:caseExactMatch:=alice)", "at offset 4: extensible match" },
	{ "(:dn:2.4.6.8.10:=x)", "at offset 1: extensible match" },
	{ "(uid=a(b)", "at offset 6: unescaped '('" },
	{ "(uidNumber>=1*)", "at offset 13: unescaped '*'" },
	{ "(uid~=a*)", "at offset 7: unescaped '*'" },
	{ "(uid=\\4)", "at offset 5: bad escape" },
	{ "(uid=\\zz)", "at offset 5: bad escape" },
	{ "(uid=ab\\", "at offset 7: bad escape" },
	{ "(&(uid=a)x)", "at offset 9: expected '(' or ')'" },
	{ "(!uid=a)", "at offset 2: expected '(' after '!'" },
	{ "(!(uid=a)(uid=b))", "at offset 9: expected ')'" },
	{ "(!)", "at offset 2: expected '(' after '!'" },
	{ "(cn;=a)", "at offset 4: empty or bad attribute option" },
	{ "(1.=a)", "at offset 3: bad numeric OID" },
	{ "(1=a)", "at offset 1: bad numeric OID" },
	{ "(01.2=a)", "at offset 1: leading zero" },
	{ "(-cn=a)", "at offset 1: expected an attribute" },
	{ "(&(|(!(uid=a", "at offset 12: expected ')'" },
};

START_TEST(test_error_table)
{
	const size_t n = sizeof error_cases / sizeof error_cases[0];
	const struct error_case *c;
	struct report r = { "", 0, 0 };
	struct filter *f;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		c = &error_cases[i];
		f = NULL;
		memset(err, 'x', sizeof err);
		err[sizeof err - 1] = '\0';
		rc = filter_parse(c->filter, &f, err, sizeof err);
		if (rc != ERR_INVAL || f != NULL)
			report_add(&r, "%s: rc %d", c->filter, rc);
		else if (strncmp(err, c->message, strlen(c->message)) != 0)
			report_add(&r, "%s: got \"%s\", want \"%s...\"",
			    c->filter, err, c->message);
		filter_free(f);
	}
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    n, r.text);
}
END_TEST

/* nested - n levels: n-1 times "(&" around one item */
static char *
nested(size_t n)
{
	char *s = malloc(2 * (n - 1) + 5 + (n - 1) + 1), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i + 1 < n; i++, p += 2)
		memcpy(p, "(&", 2);
	memcpy(p, "(a=b)", 5);
	p += 5;
	for (i = 0; i + 1 < n; i++)
		*p++ = ')';
	*p = '\0';
	return s;
}

START_TEST(test_depth)
{
	struct filter *f = NULL;
	struct entry *e;
	char err[256], *s;

	ck_assert_int_eq(entry_new(&e, "cn=x", NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "a", "b", 1), 0);
	s = nested(64);
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), 0);
	ck_assert_int_eq(filter_match(f, e), 1);
	filter_free(f);
	free(s);

	s = nested(65);
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), ERR_INVAL);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(err, "nested deeper than 64") != NULL, "%s", err);
	free(s);

	/* Far beyond the limit: refused without exhausting the stack. */
	s = nested(20000);
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), ERR_INVAL);
	ck_assert_msg(strncmp(err, "at offset 129: filter nested", 28) == 0,
	    "%s", err);
	free(s);

	/* Same for a chain of '!' */
	s = malloc(3 * 5000 + 6);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < 5000; i++)
		memcpy(s + 2 * i, "(!", 2);
	strcpy(s + 2 * 5000, "(a=b)");
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), ERR_INVAL);
	free(s);
	entry_free(e);
}
END_TEST

START_TEST(test_length_limit)
{
	struct filter *f = NULL;
	char err[256], *s;
	size_t n = 70000;

	s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', n);
	memcpy(s, "(cn=", 4);
	s[n - 1] = ')';
	s[n] = '\0';
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), ERR_INVAL);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(err, "longer than") != NULL, "%s", err);
	/* Just under the limit is fine. */
	s[60000] = ')';
	s[60001] = '\0';
	ck_assert_int_eq(filter_parse(s, &f, err, sizeof err), 0);
	filter_free(f);
	free(s);
}
END_TEST

START_TEST(test_error_buffer)
{
	struct filter *f = NULL;
	char err[12];

	/* No buffer at all, and a short one: still the right code. */
	ck_assert_int_eq(filter_parse("(uid=", &f, NULL, 0), ERR_INVAL);
	ck_assert_int_eq(filter_parse("(uid=", &f, err, sizeof err), ERR_INVAL);
	ck_assert_uint_eq(strlen(err), sizeof err - 1);
	ck_assert_int_eq(filter_parse(NULL, &f, err, sizeof err), ERR_INVAL);
	ck_assert_ptr_null(f);
	/* Success clears the message. */
	ck_assert_int_eq(filter_parse("(a=b)", &f, err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	filter_free(f);
}
END_TEST

static const struct escape_case {
	const char *in;
	size_t len;
	const char *out;
} escape_cases[] = {
	{ "alice", 5, "alice" },
	{ "a*b", 3, "a\\2ab" },
	{ "(x)", 3, "\\28x\\29" },
	{ "back\\slash", 10, "back\\5cslash" },
	{ "n\0l", 3, "n\\00l" },
	{ "caf\xc3\xa9", 5, "caf\\c3\\a9" },
	{ "tab\there\n", 9, "tab\\09here\\0a" },
	{ "del\x7f", 4, "del\\7f" },
	{ "", 0, "" },
	{ "a=b,c d~e>f<g", 13, "a=b,c d~e>f<g" },
};

START_TEST(test_escape_table)
{
	const size_t n = sizeof escape_cases / sizeof escape_cases[0];
	const struct escape_case *c;
	struct report r = { "", 0, 0 };
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		c = &escape_cases[i];
		buf_reset(&b);
		ck_assert_int_eq(buf_puts(&b, "pre:"), 0);
		ck_assert_int_eq(filter_escape(&b, c->in, c->len), 0);
		if (strncmp(b.data, "pre:", 4) != 0 ||
		    strcmp(b.data + 4, c->out) != 0)
			report_add(&r, "row %zu: got \"%s\", want \"pre:%s\"",
			    i, b.data, c->out);
	}
	buf_free(&b);
	ck_assert_msg(r.failed == 0, "%d of %zu rows failed:\n%s", r.failed,
	    n, r.text);
}
END_TEST

/* Every byte string escapes to printable ASCII and parses back to a
 * filter that matches exactly that value. */
START_TEST(test_escape_round_trip)
{
	unsigned char value[64], other[64];
	unsigned long seed = 12345;
	struct filter *f = NULL;
	struct entry *e, *e2;
	struct buf b = BUF_INIT;
	char err[256];
	size_t round, len, i;

	for (round = 0; round < 500; round++) {
		len = round < 256 ? 1 : round % 64;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245UL + 12345UL;
			value[i] = round < 256 ? (unsigned char)round :
			    (unsigned char)(seed >> 16);
		}
		buf_reset(&b);
		ck_assert_int_eq(buf_puts(&b, "(v="), 0);
		ck_assert_int_eq(filter_escape(&b, value, len), 0);
		ck_assert_int_eq(buf_putc(&b, ')'), 0);
		for (i = 0; i < b.len; i++)
			ck_assert_msg(b.data[i] >= 0x20 && b.data[i] < 0x7f,
			    "round %zu: byte %d at %zu", round,
			    (unsigned char)b.data[i], i);
		ck_assert_msg(filter_parse(b.data, &f, err, sizeof err) == 0,
		    "round %zu: %s: %s", round, b.data, err);
		ck_assert_int_eq(entry_new(&e, "cn=x", NULL), 0);
		ck_assert_int_eq(entry_add_value(e, "v", value, len), 0);
		ck_assert_msg(filter_match(f, e) == 1, "round %zu", round);
		/* One byte more, or one flipped to a non-letter: no match */
		memcpy(other, value, len);
		other[len] = '\0';
		ck_assert_int_eq(entry_new(&e2, "cn=x", NULL), 0);
		ck_assert_int_eq(entry_add_value(e2, "v", other, len + 1), 0);
		ck_assert_int_eq(filter_match(f, e2), 0);
		entry_free(e2);
		if (len > 0) {
			other[0] = value[0] == '0' ? '1' : '0';
			ck_assert_int_eq(entry_new(&e2, "cn=x", NULL), 0);
			ck_assert_int_eq(entry_add_value(e2, "v", other, len),
			    0);
			ck_assert_int_eq(filter_match(f, e2), 0);
			entry_free(e2);
		}
		filter_free(f);
		entry_free(e);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_free_null)
{
	struct entry *e;

	filter_free(NULL);
	ck_assert_int_eq(entry_new(&e, "cn=x", NULL), 0);
	ck_assert_int_eq(filter_match(NULL, e), 0);
	entry_free(e);
}
END_TEST

static Suite *
filter_suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_match_table);
	tcase_add_test(tc, test_match_table_views);
	tcase_add_test(tc, test_error_table);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_length_limit);
	tcase_add_test(tc, test_error_buffer);
	tcase_add_test(tc, test_escape_table);
	tcase_add_test(tc, test_escape_round_trip);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(filter_suite());
}
