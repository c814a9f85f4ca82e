/*
 * check_ldif - tests of the LDIF reader (agent/ldif.c)
 *
 * Accepted inputs are checked byte for byte (DN, attribute names with
 * their options, values); malformed ones for the error code, the line
 * named in the diagnostic and the fact that no entry was delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrset.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldif.h"
#include "source.h"
#include "testlib.h"
#include "viewcopy.h"

#define DATA_DIR "tests/data/ldif/"

/* What a source delivered, deep-copied: entries are only borrowed. */
struct got {
	struct entry **v;
	size_t n;
	size_t cap;
	size_t stop_after;      /* return stop_rc after this many (0: never) */
	int stop_rc;
};

/* got_free - release the copies */
static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		entry_free(g->v[i]);
	free(g->v);
	memset(g, 0, sizeof *g);
}

/* collect - entry_source_fn keeping a deep copy of each entry */
static int
collect(const struct entry *e, void *ctx)
{
	struct got *g = ctx;
	struct entry *copy;
	size_t i, j;

	ck_assert_int_eq(entry_new(&copy, e->dn, e->origin), 0);
	for (i = 0; i < e->count; i++)
		for (j = 0; j < e->attrs[i].count; j++)
			ck_assert_int_eq(entry_add_value(copy,
			    e->attrs[i].name, e->attrs[i].values[j].data,
			    e->attrs[i].values[j].len), 0);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 8;
		g->v = realloc(g->v, g->cap * sizeof *g->v);
		ck_assert_ptr_nonnull(g->v);
	}
	g->v[g->n++] = copy;
	if (g->stop_after && g->n == g->stop_after)
		return g->stop_rc;
	return 0;
}

/* count_only - entry_source_fn counting entries, keeping nothing */
static int
count_only(const struct entry *e, void *ctx)
{
	size_t *n = ctx;

	ck_assert_ptr_nonnull(e->dn);
	(*n)++;
	return 0;
}

/* attr_exact - attribute named exactly name (options included) */
static const struct entry_attr *
attr_exact(const struct entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		if (strcmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

/* last_item - the last diagnostic kept */
static const struct diag_item *
last_item(const struct diag *d)
{
	ck_assert_uint_gt(d->count, 0);
	return &d->items[d->count - 1];
}

struct dn_expect {
	const char *dn;         /* NULL ends the list */
	const char *origin;
};

struct val_expect {
	size_t entry;
	const char *attr;       /* exact name; NULL ends the list */
	size_t index;
	const char *bytes;
	size_t len;
};

struct ok_case {
	const char *title;
	const char *text;
	size_t len;
	size_t nentries;
	struct dn_expect dns[3];
	struct val_expect vals[6];
};

#define V(e, a, i, s) { (e), (a), (i), (s), sizeof(s) - 1 }
/* T - a text literal and its length, NUL bytes included */
#define T(s) (s), sizeof(s) - 1

static const struct ok_case ok_cases[] = {
	{ "minimal", T("dn: cn=a\ncn: a\n"), 1,
	  { { "cn=a", "t:1" } }, { V(0, "cn", 0, "a") } },
	{ "version and comment", T("version: 1\n# c\n\ndn: cn=a\ncn: a\n"), 1,
	  { { "cn=a", "t:4" } }, { V(0, "cn", 0, "a") } },
	{ "version then dn without empty line",
	  T("version: 1\ndn: cn=a\ncn: a\n"), 1,
	  { { "cn=a", "t:2" } }, { V(0, "cn", 0, "a") } },
	{ "version after comments",
	  T("# x\n# y\nversion: 1\n\ndn: cn=a\ncn: a"), 1,
	  { { "cn=a", "t:5" } }, { V(0, "cn", 0, "a") } },
	{ "leading spaces skipped, trailing kept",
	  T("dn:   cn=a\ncn:    x  \nsn:y\n"), 1,
	  { { "cn=a", "t:1" } },
	  { V(0, "cn", 0, "x  "), V(0, "sn", 0, "y") } },
	{ "empty values", T("dn: cn=a\ndescription:\ncn:: \nsn:   \n"), 1,
	  { { "cn=a", "t:1" } },
	  { V(0, "description", 0, ""), V(0, "cn", 0, ""),
	    V(0, "sn", 0, "") } },
	{ "base64 with NUL and newline",
	  T("dn: cn=a\njpegPhoto:: YQBiCmM=\n"), 1, { { "cn=a", "t:1" } },
	  { V(0, "jpegPhoto", 0, "a\0b\nc") } },
	{ "base64 padding forms",
	  T("dn: cn=a\nx:: YQ==\nx:: YWI=\nx::YWJj\n"), 1,
	  { { "cn=a", "t:1" } },
	  { V(0, "x", 0, "a"), V(0, "x", 1, "ab"), V(0, "x", 2, "abc") } },
	{ "base64 dn", T("dn:: Y249w4ltaWxl\ncn: x\n"), 1,
	  { { "cn=\xc3\x89mile", "t:1" } }, { V(0, "cn", 0, "x") } },
	{ "folded value, dn, name and base64",
	  T("dn: cn=a,\n dc=example\ndescr\n iption: one\n  two\n"
	  "jpegPhoto:: YQB\n iCmM=\n"), 1,
	  { { "cn=a,dc=example", "t:1" } },
	  { V(0, "description", 0, "one two"),
	    V(0, "jpegPhoto", 0, "a\0b\nc") } },
	{ "folded comment", T("# comment\n continued\ndn: cn=a\ncn: a\n"), 1,
	  { { "cn=a", "t:3" } }, { V(0, "cn", 0, "a") } },
	{ "comments inside and between records",
	  T("dn: cn=a\n# inside\n more\ncn: a\n\n# between\n\ndn: cn=b\n"
	  "cn: b\n"), 2, { { "cn=a", "t:1" }, { "cn=b", "t:8" } },
	  { V(0, "cn", 0, "a"), V(1, "cn", 0, "b") } },
	{ "CRLF", T("dn: cn=a\r\ncn: a\r\n\r\ndn: cn=b\r\ncn: b\r\n"), 2,
	  { { "cn=a", "t:1" }, { "cn=b", "t:4" } },
	  { V(0, "cn", 0, "a"), V(1, "cn", 0, "b") } },
	{ "CRLF folding", T("dn: cn=a\r\ndescription: x\r\n y\r\n \r\n"), 1,
	  { { "cn=a", "t:1" } }, { V(0, "description", 0, "xy") } },
	{ "many empty lines, no final line end",
	  T("\n\ndn: cn=a\ncn: a\n\n\n\ndn: cn=b\ncn: b"), 2,
	  { { "cn=a", "t:3" }, { "cn=b", "t:8" } },
	  { V(1, "cn", 0, "b") } },
	{ "options and numeric OID",
	  T("dn: cn=a\ncn;lang-en: A\nmember;range=0-1499: x\n"
	  "member;range=1500-*: y\n2.5.4.3: oid\n"
	  "userCertificate;binary:: AA==\n"), 1, { { "cn=a", "t:1" } },
	  { V(0, "cn;lang-en", 0, "A"), V(0, "member;range=0-1499", 0, "x"),
	    V(0, "member;range=1500-*", 0, "y"), V(0, "2.5.4.3", 0, "oid"),
	    V(0, "userCertificate;binary", 0, "\0") } },
	{ "repeated attribute and case of dn",
	  T("DN: cn=a\ncn: a\ncn: b\n"), 1,
	  { { "cn=a", "t:1" } }, { V(0, "cn", 0, "a"), V(0, "cn", 1, "b") } },
	{ "control characters and bad UTF-8 are data",
	  T("dn: cn=a\ndescription: \x01\t\x7f\xff\xfe z\n"), 1,
	  { { "cn=a", "t:1" } },
	  { V(0, "description", 0, "\x01\t\x7f\xff\xfe z") } },
	{ "a ':' or '<' inside a plain value", T("dn: cn=a\nx: a:b<c #d\n"), 1,
	  { { "cn=a", "t:1" } }, { V(0, "x", 0, "a:b<c #d") } },
	{ "empty input", T(""), 0, { { NULL, NULL } }, { V(0, NULL, 0, "") } },
	{ "comments only", T("# a\n#b\n\n"), 0, { { NULL, NULL } },
	  { V(0, NULL, 0, "") } },
	{ "version only", T("version: 1\n"), 0, { { NULL, NULL } },
	  { V(0, NULL, 0, "") } },
};

/* test_ok - an accepted input delivers exactly the expected entries */
START_TEST(test_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	struct got g = { 0 };
	struct diag d;
	const struct entry_attr *a;
	const struct val_expect *v;
	size_t i, len = c->len;
	int rc;

	diag_init(&d, NULL);
	rc = ldif_read_buffer("t", c->text, len, collect, &g, &d);
	ck_assert_msg(rc == 0, "%s: rc %d (%s: %s)", c->title, rc,
	    d.count ? d.items[0].where : "", diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_msg(g.n == c->nentries, "%s: %zu entries", c->title, g.n);
	for (i = 0; i < 3 && c->dns[i].dn; i++) {
		ck_assert_str_eq(g.v[i]->dn, c->dns[i].dn);
		ck_assert_str_eq(g.v[i]->origin, c->dns[i].origin);
	}
	for (v = c->vals; v < c->vals + 6 && v->attr; v++) {
		a = attr_exact(g.v[v->entry], v->attr);
		ck_assert_msg(a != NULL, "%s: no attribute %s", c->title,
		    v->attr);
		ck_assert_uint_gt(a->count, v->index);
		ck_assert_msg(a->values[v->index].len == v->len,
		    "%s: %s length %zu", c->title, v->attr,
		    a->values[v->index].len);
		ck_assert_mem_eq(a->values[v->index].data, v->bytes, v->len);
		ck_assert_int_eq(a->values[v->index].data[v->len], '\0');
	}
	got_free(&g);
	diag_free(&d);
}
END_TEST

struct bad_case {
	const char *title;
	const char *text;
	size_t len;
	size_t line;            /* expected in where, "t:LINE" */
	const char *what;       /* expected in the message */
};

static const struct bad_case bad_cases[] = {
	{ "URL value", T("dn: cn=a\ncn: a\njpegPhoto:< file:///x\n"), 3,
	  "URL values are not supported" },
	{ "URL dn", T("dn:< file:///x\ncn: a\n"), 1,
	  "URL values are not supported" },
	{ "changetype", T("dn: cn=a\nchangetype: add\ncn: a\n"), 2,
	  "change records are not supported; splitsync reads content LDIF" },
	{ "changetype after attributes",
	  T("dn: cn=a\ncn: a\nChangeType: modify\n"), 3,
	  "change records are not supported" },
	{ "control", T("dn: cn=a\ncontrol: 1.2.3 true\nchangetype: delete\n"),
	  2, "control: lines are not supported" },
	{ "first record without dn", T("cn: a\n"), 1,
	  "does not start with a dn: line" },
	{ "later record without dn", T("dn: cn=a\ncn: a\n\ncn: b\n"), 4,
	  "does not start with a dn: line" },
	{ "invalid base64 character", T("dn: cn=a\ncn:: ab*d\n"), 2,
	  "invalid base64 in the value of \"cn\"" },
	{ "base64 length", T("dn: cn=a\ncn:: abc\n"), 2, "invalid base64" },
	{ "base64 padding inside", T("dn: cn=a\ncn:: YQ==YWJj\n"), 2,
	  "invalid base64" },
	{ "base64 triple padding", T("dn: cn=a\ncn:: Y===\n"), 2,
	  "invalid base64" },
	{ "base64 trailing space", T("dn: cn=a\ncn:: YWJj \n"), 2,
	  "invalid base64" },
	{ "invalid base64 dn", T("dn:: !!!!\ncn: a\n"), 1,
	  "invalid base64 in the value of \"dn\"" },
	{ "line without colon", T("dn: cn=a\ncn a\n"), 2, "no ':'" },
	{ "continuation at the start", T(" dn: cn=a\ncn: a\n"), 1,
	  "continuation line" },
	{ "continuation after empty line", T("dn: cn=a\ncn: a\n\n x\n"), 4,
	  "continuation line" },
	{ "space in attribute", T("dn: cn=a\nc n: x\n"), 2,
	  "invalid attribute description \"c n\"" },
	{ "attribute starting with a digit", T("dn: cn=a\n1cn: x\n"), 2,
	  "invalid attribute description" },
	{ "attribute starting with '-'", T("dn: cn=a\n-cn: x\n"), 2,
	  "invalid attribute description" },
	{ "empty attribute", T("dn: cn=a\n: x\n"), 2,
	  "invalid attribute description" },
	{ "empty option", T("dn: cn=a\ncn;: x\n"), 2,
	  "invalid attribute description" },
	{ "underscore in option", T("dn: cn=a\ncn;lang_en: x\n"), 2,
	  "invalid attribute description" },
	{ "bad OID", T("dn: cn=a\n2.5..3: x\n"), 2,
	  "invalid attribute description" },
	{ "OID ending with a dot", T("dn: cn=a\n2.5.: x\n"), 2,
	  "invalid attribute description" },
	{ "incomplete range", T("dn: cn=a\nmember;range=1-: x\n"), 2,
	  "invalid attribute description" },
	{ "'=' outside a range", T("dn: cn=a\nmember;x=1: x\n"), 2,
	  "invalid attribute description" },
	{ "plain value starting with ':'", T("dn: cn=a\ncn: :x\n"), 2,
	  "starts with ':'" },
	{ "plain value starting with '<'", T("dn: cn=a\ncn: <x\n"), 2,
	  "starts with '<'" },
	{ "NUL in a plain value", T("dn: cn=a\ncn: a\0b\n"), 2,
	  "contains a NUL byte" },
	{ "CR in a plain value", T("dn: cn=a\ncn: a\rb\n"), 2,
	  "contains a carriage return" },
	{ "NUL in a plain dn", T("dn: cn=a\0b\ncn: a\n"), 1,
	  "contains a NUL byte" },
	{ "NUL in a base64 dn", T("dn:: YQBi\ncn: a\n"), 1,
	  "the dn contains a NUL byte" },
	{ "second dn in a record", T("dn: cn=a\ncn: a\ndn: cn=b\ncn: b\n"), 3,
	  "second dn: line" },
	{ "record without attributes", T("dn: cn=a\n\ndn: cn=b\ncn: b\n"), 1,
	  "no attributes" },
	{ "dn alone at the end", T("dn: cn=a\ncn: a\n\ndn: cn=b\n"), 4,
	  "no attributes" },
	{ "version 2", T("version: 2\n\ndn: cn=a\ncn: a\n"), 1,
	  "unsupported LDIF version" },
	{ "version garbage", T("version: 1x\n"), 1,
	  "unsupported LDIF version" },
	{ "error in the last record",
	  T("dn: cn=a\ncn: a\n\ndn: cn=b\ncn: b\n\n"
	  "dn: cn=c\ncn: <c\n"), 8, "starts with '<'" },
	{ "line numbers count folded lines",
	  T("dn: cn=a\ncn: a\ndescription: x\n y\n z\nbad line\n"), 6,
	  "no ':'" },
	{ "line numbers with CRLF", T("dn: cn=a\r\ncn: a\r\n\r\n x\r\n"), 4,
	  "continuation line" },
	{ "error on a folded line names its first line",
	  T("dn: cn=a\ncn: a\nc\n  n: x\n"), 3,
	  "invalid attribute description" },
};

/* test_bad - a malformed input: ERR_DATA, the right line, no entry */
START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct got g = { 0 };
	struct diag d;
	const struct diag_item *it;
	char where[32];
	size_t len = c->len;
	int rc;

	diag_init(&d, NULL);
	rc = ldif_read_buffer("t", c->text, len, collect, &g, &d);
	ck_assert_msg(rc == ERR_DATA, "%s: rc %d", c->title, rc);
	ck_assert_msg(g.n == 0, "%s: %zu entries delivered", c->title, g.n);
	ck_assert_uint_eq(d.nerrors, 1);
	it = last_item(&d);
	ck_assert_int_eq(it->level, DIAG_ERROR);
	snprintf(where, sizeof where, "t:%zu", c->line);
	ck_assert_msg(strcmp(it->where, where) == 0, "%s: where %s, want %s",
	    c->title, it->where, where);
	ck_assert_msg(strstr(it->what, c->what) != NULL, "%s: what \"%s\"",
	    c->title, it->what);
	got_free(&g);
	diag_free(&d);
}
END_TEST

static const char three[] =
    "dn: cn=a\ncn: a\n\ndn: cn=b\ncn: b\n\ndn: cn=c\ncn: c\n";

/* test_fn_error - what fn returns stops the source, unchanged */
START_TEST(test_fn_error)
{
	static const int codes[] = { ERR_STOP, ERR_HELD, ERR_NOMEM, -1000 };
	struct got g = { 0 };
	struct diag d;
	size_t i;

	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		diag_init(&d, NULL);
		g.stop_after = 2;
		g.stop_rc = codes[i];
		ck_assert_int_eq(ldif_read_buffer("t", three, strlen(three),
		    collect, &g, &d), codes[i]);
		ck_assert_uint_eq(g.n, 2);
		ck_assert_str_eq(g.v[1]->dn, "cn=b");
		/* The callback's own message is the one that counts. */
		ck_assert_uint_eq(d.count, 0);
		got_free(&g);
		diag_free(&d);
	}
	/* A positive return is not an error: reading goes on. */
	diag_init(&d, NULL);
	g.stop_after = 1;
	g.stop_rc = 1;
	ck_assert_int_eq(ldif_read_buffer("t", three, strlen(three), collect,
	    &g, &d), 0);
	ck_assert_uint_eq(g.n, 3);
	got_free(&g);
	diag_free(&d);
}
END_TEST

/* test_many - many entries, counted one at a time */
START_TEST(test_many)
{
	enum { N = 20000 };
	struct buf b = BUF_INIT;
	struct got g = { 0 };
	struct diag d;
	size_t i, n = 0;

	for (i = 0; i < N; i++)
		ck_assert_int_eq(buf_printf(&b, "dn: uid=u%zu,dc=example\n"
		    "uid: u%zu\nmail: u%zu@example.com\n\n", i, i, i), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_buffer("big", b.data, b.len, count_only,
	    &n, &d), 0);
	ck_assert_uint_eq(n, N);
	/* The last entry's origin counts every line before it. */
	g.stop_after = 0;
	ck_assert_int_eq(ldif_read_buffer("big", b.data, b.len, collect, &g,
	    &d), 0);
	ck_assert_uint_eq(g.n, N);
	ck_assert_str_eq(g.v[N - 1]->origin, "big:79997");
	ck_assert_str_eq(g.v[N - 1]->dn, "uid=u19999,dc=example");
	got_free(&g);
	diag_free(&d);
	buf_free(&b);
}
END_TEST

/* test_file_missing - ERR_NOINPUT naming the path and the reason */
START_TEST(test_file_missing)
{
	char *dir = testlib_tmpdir(), path[4096];
	struct got g = { 0 };
	struct diag d;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/missing.ldif", dir);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(path, collect, &g, &d), ERR_NOINPUT);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(d.nerrors, 1);
	ck_assert_str_eq(last_item(&d)->where, path);
	ck_assert_ptr_nonnull(strstr(last_item(&d)->what, strerror(ENOENT)));
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* test_file_not_regular - a directory, a FIFO or a device is refused at
 * once as a configuration mistake, saying what it is */
START_TEST(test_file_not_regular)
{
	char *dir = testlib_tmpdir(), fifo[4096], zero[4096];
	struct got g = { 0 };
	struct diag d;

	ck_assert_ptr_nonnull(dir);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(dir, collect, &g, &d), ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(last_item(&d)->what,
	    "is a directory, not a regular file"));
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* Would hang in open() without a writer if opened blocking. */
	ck_assert_int_eq(ldif_read_file(fifo, collect, &g, &d), ERR_CONFIG);
	ck_assert_str_eq(last_item(&d)->where, fifo);
	ck_assert_ptr_nonnull(strstr(last_item(&d)->what,
	    "is a FIFO, not a regular file"));
	/* Would never end if read. */
	snprintf(zero, sizeof zero, "%s/zero", dir);
	ck_assert_int_eq(symlink("/dev/zero", zero), 0);
	ck_assert_int_eq(ldif_read_file(zero, collect, &g, &d), ERR_CONFIG);
	ck_assert_str_eq(last_item(&d)->where, zero);
	ck_assert_ptr_nonnull(strstr(last_item(&d)->what,
	    "is a character device"));
	ck_assert_uint_eq(g.n, 0);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* test_file_tmp - a file written here is read with path:line origins */
START_TEST(test_file_tmp)
{
	char *dir = testlib_tmpdir(), path[4096], origin[4200];
	struct got g = { 0 };
	struct diag d;

	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof path, "%s/x.ldif", dir);
	ck_assert_int_eq(testlib_write(path, "version: 1\n\ndn: cn=a\ncn: a\n"
	    "\n\ndn: cn=b\ncn: b\n"), 0);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(path, collect, &g, &d), 0);
	ck_assert_uint_eq(g.n, 2);
	snprintf(origin, sizeof origin, "%s:7", path);
	ck_assert_str_eq(g.v[1]->origin, origin);
	got_free(&g);
	/* An empty file is valid and holds nothing. */
	ck_assert_int_eq(testlib_write(path, ""), 0);
	ck_assert_int_eq(ldif_read_file(path, collect, &g, &d), 0);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(d.nerrors, 0);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* test_file_content - the reference file with every accepted form */
START_TEST(test_file_content)
{
	struct got g = { 0 };
	struct diag d;
	const struct entry *e;
	const struct entry_attr *a;

	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(DATA_DIR "content.ldif", collect, &g,
	    &d), 0);
	ck_assert_uint_eq(g.n, 3);
	e = g.v[0];
	ck_assert_str_eq(e->dn, "uid=alice,ou=People,dc=example,dc=com");
	ck_assert_str_eq(e->origin, DATA_DIR "content.ldif:7");
	ck_assert_int_eq(entry_has_value(e, "mail", "alice@example.com", 17),
	    1);
	ck_assert_int_eq(entry_has_value(e, "description",
	    "a long value folded over two lines", 34), 1);
	ck_assert_ptr_nonnull(a = attr_exact(e, "cn;lang-fr"));
	ck_assert_str_eq(a->values[0].data, "Alice Exemple");
	ck_assert_ptr_nonnull(a = attr_exact(e, "jpegPhoto"));
	ck_assert_uint_eq(a->values[0].len, 5);
	ck_assert_mem_eq(a->values[0].data, "a\0b\nc", 5);
	ck_assert_ptr_nonnull(a = attr_exact(e, "displayName"));
	ck_assert_uint_eq(a->values[0].len, 0);
	ck_assert_ptr_nonnull(a = attr_exact(e, "2.5.4.4"));
	ck_assert_str_eq(a->values[0].data, "Example");

	e = g.v[1];
	ck_assert_str_eq(e->dn,
	    "cn=\xc3\x89mile Zola,ou=People,dc=example,dc=com");
	ck_assert_str_eq(e->origin, DATA_DIR "content.ldif:21");
	ck_assert_int_eq(entry_has_value(e, "cn", "\xc3\x89mile Zola", 11), 1);

	e = g.v[2];
	ck_assert_str_eq(e->origin, DATA_DIR "content.ldif:27");
	ck_assert_ptr_nonnull(a = attr_exact(e, "member;range=0-1"));
	ck_assert_uint_eq(a->count, 2);
	ck_assert_ptr_nonnull(a = attr_exact(e, "member;range=2-*"));
	ck_assert_uint_eq(a->count, 1);
	ck_assert_ptr_nonnull(a = attr_exact(e, "MEMBER"));
	ck_assert_str_eq(a->values[0].data,
	    "uid=carol,ou=People,dc=example,dc=com");
	got_free(&g);
	diag_free(&d);
}
END_TEST

/* test_file_crlf_and_data - CRLF file; control bytes pass as data */
START_TEST(test_file_crlf_and_data)
{
	static const char desc[] = "tab\there, bell\x07, bad utf-8 \xff\xfe, "
	    "trailing  ";
	struct got g = { 0 };
	struct diag d;
	const struct entry_attr *a;

	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(DATA_DIR "crlf.ldif", collect, &g,
	    &d), 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(g.v[0]->dn, "uid=bob,ou=People,dc=example,dc=com");
	ck_assert_int_eq(entry_has_value(g.v[0], "mail", "bob@example.com",
	    15), 1);
	ck_assert_str_eq(g.v[1]->origin, DATA_DIR "crlf.ldif:9");
	/* The last line has no line end and no CR left in it. */
	ck_assert_ptr_nonnull(a = attr_exact(g.v[1], "uid"));
	ck_assert_str_eq(a->values[0].data, "carol");
	got_free(&g);

	ck_assert_int_eq(ldif_read_file(DATA_DIR "data.ldif", collect, &g,
	    &d), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_ptr_nonnull(a = attr_exact(g.v[0], "description"));
	ck_assert_uint_eq(a->values[0].len, sizeof desc - 1);
	ck_assert_mem_eq(a->values[0].data, desc, sizeof desc - 1);
	ck_assert_ptr_nonnull(a = attr_exact(g.v[0], "mail"));
	ck_assert_str_eq(a->values[0].data,
	    "dave@example.com # not a comment");
	ck_assert_uint_eq(d.nerrors, 0);
	got_free(&g);
	diag_free(&d);
}
END_TEST

struct bad_file {
	const char *file;
	size_t line;
	const char *what;
};

static const struct bad_file bad_files[] = {
	{ "bad-url.ldif", 3, "URL values are not supported" },
	{ "bad-changetype.ldif", 4, "change records are not supported" },
	{ "bad-control.ldif", 2, "control: lines are not supported" },
	{ "bad-no-dn.ldif", 4, "does not start with a dn: line" },
	{ "bad-base64.ldif", 3, "invalid base64" },
	{ "bad-no-colon.ldif", 3, "no ':'" },
	{ "bad-continuation.ldif", 4, "continuation line" },
	{ "bad-attr.ldif", 3, "invalid attribute description" },
	{ "bad-late.ldif", 9, "starts with ':'" },
	{ "bad-nul.ldif", 3, "contains a NUL byte" },
	{ "bad-version.ldif", 1, "unsupported LDIF version" },
};

/* test_bad_file - malformed data files: path:line, nothing delivered */
START_TEST(test_bad_file)
{
	const struct bad_file *c = &bad_files[_i];
	struct got g = { 0 };
	struct diag d;
	char path[256], where[300];

	snprintf(path, sizeof path, DATA_DIR "%s", c->file);
	snprintf(where, sizeof where, "%s:%zu", path, c->line);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file(path, collect, &g, &d), ERR_DATA);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_str_eq(last_item(&d)->where, where);
	ck_assert_msg(strstr(last_item(&d)->what, c->what) != NULL,
	    "%s: what \"%s\"", c->file, last_item(&d)->what);
	diag_free(&d);
}
END_TEST

/*
 * Views: the same reading, values by attribute index of a set.
 */

/* What the views delivered: per view an entry holding, under each name
 * of the set, that index's values in order (copies: views are only
 * borrowed). */
struct vgot {
	const struct attrset *set;
	struct got g;
};

/* collect_view - entry_view_fn keeping a copy of each view */
static int
collect_view(const struct entry_view *v, void *ctx)
{
	struct vgot *vg = ctx;
	struct got *g = &vg->g;

	ck_assert_ptr_eq(v->set, vg->set);
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 8;
		g->v = realloc(g->v, g->cap * sizeof *g->v);
		ck_assert_ptr_nonnull(g->v);
	}
	g->v[g->n++] = viewcopy_entry(v);
	if (g->stop_after && g->n == g->stop_after)
		return g->stop_rc;
	return 0;
}

/* same_reading - the views read what the entries hold */
static void
same_reading(const struct got *entries, const struct vgot *views,
    const char *title)
{
	size_t k;

	ck_assert_msg(views->g.n == entries->n, "%s: %zu views, %zu entries",
	    title, views->g.n, entries->n);
	for (k = 0; k < entries->n; k++)
		viewcopy_same(entries->v[k], views->g.v[k], views->set, title);
}

/* vgot_free - the copies, and the set when it is the test's */
static void
vgot_free(struct vgot *vg, struct attrset *set)
{
	got_free(&vg->g);
	attrset_free(set);
}

/* test_view_ok - an accepted input gives as views what it gives as
 * entries, over a set of every name it holds */
START_TEST(test_view_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	struct got g = { 0 };
	struct vgot vg = { 0 };
	struct attrset *set;
	struct diag d;
	int rc;

	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_buffer("t", c->text, c->len, collect, &g,
	    &d), 0);
	set = viewcopy_set(g.v, g.n);
	vg.set = set;
	rc = ldif_read_buffer_view("t", c->text, c->len, set, collect_view,
	    &vg, &d);
	ck_assert_msg(rc == 0, "%s: rc %d (%s)", c->title, rc,
	    diag_last_error(&d));
	ck_assert_uint_eq(d.nerrors, 0);
	same_reading(&g, &vg, c->title);
	got_free(&g);
	vgot_free(&vg, set);
	diag_free(&d);
}
END_TEST

/* test_view_bad - a malformed input gives no view at all: the same
 * error, at the same line */
START_TEST(test_view_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct vgot vg = { 0 };
	struct attrset *set;
	struct diag d;
	char where[32];
	int rc;

	ck_assert_int_eq(attrset_new(&set), 0);
	ck_assert_int_eq(attrset_add(set, "cn", 2, NULL), 0);
	vg.set = set;
	diag_init(&d, NULL);
	rc = ldif_read_buffer_view("t", c->text, c->len, set, collect_view,
	    &vg, &d);
	ck_assert_msg(rc == ERR_DATA, "%s: rc %d", c->title, rc);
	ck_assert_msg(vg.g.n == 0, "%s: %zu views delivered", c->title,
	    vg.g.n);
	ck_assert_uint_eq(d.nerrors, 1);
	snprintf(where, sizeof where, "t:%zu", c->line);
	ck_assert_str_eq(last_item(&d)->where, where);
	ck_assert_msg(strstr(last_item(&d)->what, c->what) != NULL,
	    "%s: what \"%s\"", c->title, last_item(&d)->what);
	vgot_free(&vg, set);
	diag_free(&d);
}
END_TEST

/* test_view_fn_error - what fn returns stops the views, unchanged */
START_TEST(test_view_fn_error)
{
	static const int codes[] = { ERR_STOP, ERR_HELD, ERR_NOMEM, -1000 };
	struct vgot vg = { 0 };
	struct attrset *set;
	struct diag d;
	size_t i;

	ck_assert_int_eq(attrset_new(&set), 0);
	ck_assert_int_eq(attrset_add(set, "cn", 2, NULL), 0);
	vg.set = set;
	for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		diag_init(&d, NULL);
		vg.g.stop_after = 2;
		vg.g.stop_rc = codes[i];
		ck_assert_int_eq(ldif_read_buffer_view("t", three,
		    strlen(three), set, collect_view, &vg, &d), codes[i]);
		ck_assert_uint_eq(vg.g.n, 2);
		ck_assert_str_eq(vg.g.v[1]->dn, "cn=b");
		ck_assert_uint_eq(d.count, 0);
		got_free(&vg.g);
		diag_free(&d);
	}
	attrset_free(set);
}
END_TEST

/* test_view_file_content - the reference file as views: option
 * variants and ranges come under their base name, in file order */
START_TEST(test_view_file_content)
{
	static const char *const names[] = {
		"MEMBER", "cn", "jpegPhoto", "displayName", "sn", "absent"
	};
	static const char *const members[] = {
		"uid=alice,ou=People,dc=example,dc=com",
		"cn=\xc3\x89mile Zola,ou=People,dc=example,dc=com",
		"uid=bob,ou=People,dc=example,dc=com",
		"uid=carol,ou=People,dc=example,dc=com"
	};
	struct got g = { 0 };
	struct vgot vg = { 0 };
	struct attrset *set;
	const struct entry_attr *a;
	struct diag d;
	size_t i;

	ck_assert_int_eq(attrset_new(&set), 0);
	for (i = 0; i < sizeof names / sizeof *names; i++)
		ck_assert_int_eq(attrset_add(set, names[i], strlen(names[i]),
		    NULL), 0);
	vg.set = set;
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file_view(DATA_DIR "content.ldif", set,
	    collect_view, &vg, &d), 0);
	ck_assert_int_eq(ldif_read_file(DATA_DIR "content.ldif", collect, &g,
	    &d), 0);
	same_reading(&g, &vg, "content.ldif");
	ck_assert_uint_eq(vg.g.n, 3);
	ck_assert_str_eq(vg.g.v[2]->origin, DATA_DIR "content.ldif:27");
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[2], "member"));
	ck_assert_uint_eq(a->count, 4);
	for (i = 0; i < 4; i++)
		ck_assert_str_eq(a->values[i].data, members[i]);
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[0], "cn"));
	ck_assert_uint_eq(a->count, 2);
	ck_assert_str_eq(a->values[0].data, "Alice Example");
	ck_assert_str_eq(a->values[1].data, "Alice Exemple");
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[0], "jpegphoto"));
	ck_assert_uint_eq(a->values[0].len, 5);
	ck_assert_mem_eq(a->values[0].data, "a\0b\nc", 5);
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[0], "displayname"));
	ck_assert_uint_eq(a->values[0].len, 0);
	ck_assert_ptr_null(attr_exact(vg.g.v[0], "absent"));
	got_free(&g);
	vgot_free(&vg, set);
	diag_free(&d);
}
END_TEST

/* test_view_huge - an entry of 100 000 values and a value of 1 MiB,
 * folded and base64, between two small ones */
START_TEST(test_view_huge)
{
	enum { NMEMBERS = 100000, BIG = 1 << 20 };
	struct buf b = BUF_INIT, raw = BUF_INIT;
	struct got g = { 0 };
	struct vgot vg = { 0 };
	struct attrset *set;
	const struct entry_attr *a;
	struct diag d;
	char want[64];
	size_t i;

	ck_assert_int_eq(buf_puts(&b, "dn: cn=a\ncn: a\n\n"
	    "dn: cn=huge,dc=example\n"), 0);
	for (i = 0; i < NMEMBERS; i++)
		ck_assert_int_eq(buf_printf(&b, "member: uid=u%zu,dc=example\n",
		    i), 0);
	ck_assert_int_eq(buf_puts(&b, "jpegPhoto:: "), 0);
	for (i = 0; i < BIG; i++)
		ck_assert_int_eq(buf_putc(&raw, (char)(i * 7 % 251)), 0);
	/* base64 of raw, folded every 76 characters */
	{
		static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
		    "ghijklmnopqrstuvwxyz0123456789+/";
		const unsigned char *p = (const unsigned char *)raw.data;
		size_t col = 0;
		char q[4];

		for (i = 0; i + 2 < raw.len; i += 3) {
			q[0] = tab[p[i] >> 2];
			q[1] = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
			q[2] = tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
			q[3] = tab[p[i + 2] & 63];
			ck_assert_int_eq(buf_append(&b, q, 4), 0);
			if ((col += 4) >= 76) {
				ck_assert_int_eq(buf_puts(&b, "\n "), 0);
				col = 0;
			}
		}
		ck_assert_uint_eq(raw.len % 3, 1);
		q[0] = tab[p[i] >> 2];
		q[1] = tab[(p[i] & 3) << 4];
		q[2] = q[3] = '=';
		ck_assert_int_eq(buf_append(&b, q, 4), 0);
	}
	ck_assert_int_eq(buf_puts(&b, "\n\ndn: cn=z\ncn: z\n"), 0);
	ck_assert_int_eq(attrset_new(&set), 0);
	ck_assert_int_eq(attrset_add(set, "member", 6, NULL), 0);
	ck_assert_int_eq(attrset_add(set, "jpegPhoto", 9, NULL), 0);
	ck_assert_int_eq(attrset_add(set, "cn", 2, NULL), 0);
	vg.set = set;
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_buffer_view("huge", b.data, b.len, set,
	    collect_view, &vg, &d), 0);
	ck_assert_uint_eq(vg.g.n, 3);
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[1], "member"));
	ck_assert_uint_eq(a->count, NMEMBERS);
	for (i = 0; i < NMEMBERS; i += 9999) {
		snprintf(want, sizeof want, "uid=u%zu,dc=example", i);
		ck_assert_str_eq(a->values[i].data, want);
	}
	ck_assert_ptr_nonnull(a = attr_exact(vg.g.v[1], "jpegphoto"));
	ck_assert_uint_eq(a->values[0].len, BIG);
	ck_assert_mem_eq(a->values[0].data, raw.data, BIG);
	ck_assert_ptr_null(attr_exact(vg.g.v[1], "cn"));
	ck_assert_str_eq(vg.g.v[2]->dn, "cn=z");
	ck_assert_int_eq(ldif_read_buffer("huge", b.data, b.len, collect, &g,
	    &d), 0);
	same_reading(&g, &vg, "huge");
	got_free(&g);
	vgot_free(&vg, set);
	diag_free(&d);
	buf_free(&b);
	buf_free(&raw);
}
END_TEST

/* test_view_bad_file - malformed data files: path:line, no view; a
 * missing file is named */
START_TEST(test_view_bad_file)
{
	const struct bad_file *c = &bad_files[_i];
	struct vgot vg = { 0 };
	struct attrset *set;
	struct diag d;
	char path[256], where[300];

	ck_assert_int_eq(attrset_new(&set), 0);
	ck_assert_int_eq(attrset_add(set, "cn", 2, NULL), 0);
	vg.set = set;
	snprintf(path, sizeof path, DATA_DIR "%s", c->file);
	snprintf(where, sizeof where, "%s:%zu", path, c->line);
	diag_init(&d, NULL);
	ck_assert_int_eq(ldif_read_file_view(path, set, collect_view, &vg,
	    &d), ERR_DATA);
	ck_assert_uint_eq(vg.g.n, 0);
	ck_assert_str_eq(last_item(&d)->where, where);
	ck_assert_msg(strstr(last_item(&d)->what, c->what) != NULL,
	    "%s: what \"%s\"", c->file, last_item(&d)->what);
	ck_assert_int_eq(ldif_read_file_view(DATA_DIR "no-such.ldif", set,
	    collect_view, &vg, &d), ERR_NOINPUT);
	ck_assert_str_eq(last_item(&d)->where, DATA_DIR "no-such.ldif");
	ck_assert_uint_eq(vg.g.n, 0);
	vgot_free(&vg, set);
	diag_free(&d);
}
END_TEST

/* test_source_each_view - the configured LDIF source, through
 * source_each_view: the file's views, the same as its entries */
START_TEST(test_source_each_view)
{
	struct config cfg;
	struct source src;
	struct got g = { 0 };
	struct vgot vg = { 0 };
	struct attrset *set;
	struct diag d;

	memset(&cfg, 0, sizeof cfg);
	cfg.source = CONFIG_SOURCE_LDIF;
	cfg.ldif = (char *)DATA_DIR "content.ldif";
	diag_init(&d, NULL);
	ck_assert_int_eq(source_open(&src, &cfg, &d), 0);
	ck_assert_int_eq(source_each(&src, "(objectClass=*)", NULL, collect,
	    &g, &d), 0);
	set = viewcopy_set(g.v, g.n);
	vg.set = set;
	ck_assert_int_eq(source_each_view(&src, "(objectClass=*)", set,
	    collect_view, &vg, &d), 0);
	same_reading(&g, &vg, "source");
	ck_assert_uint_eq(vg.g.n, 3);
	source_close(&src);
	got_free(&g);
	vgot_free(&vg, set);
	diag_free(&d);
}
END_TEST

/* ldif_suite - every LDIF test */
static Suite *
ldif_suite(void)
{
	Suite *s = suite_create("ldif");
	TCase *tc = tcase_create("buffer");

	tcase_add_loop_test(tc, test_ok, 0,
	    (int)(sizeof ok_cases / sizeof ok_cases[0]));
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_fn_error);
	tcase_add_test(tc, test_many);
	tcase_add_loop_test(tc, test_view_ok, 0,
	    (int)(sizeof ok_cases / sizeof ok_cases[0]));
	tcase_add_loop_test(tc, test_view_bad, 0,
	    (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tc, test_view_fn_error);
	tcase_add_test(tc, test_view_huge);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_test(tc, test_file_missing);
	tcase_add_test(tc, test_file_not_regular);
	tcase_add_test(tc, test_file_tmp);
	tcase_add_test(tc, test_file_content);
	tcase_add_test(tc, test_file_crlf_and_data);
	tcase_add_loop_test(tc, test_bad_file, 0,
	    (int)(sizeof bad_files / sizeof bad_files[0]));
	tcase_add_test(tc, test_view_file_content);
	tcase_add_loop_test(tc, test_view_bad_file, 0,
	    (int)(sizeof bad_files / sizeof bad_files[0]));
	tcase_add_test(tc, test_source_each_view);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(ldif_suite()); }
