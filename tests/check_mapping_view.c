/*
 * check_mapping_view - the mapping over every directory file of the tree
 *
 * Every mapping file under mappings/, tests/ and examples/ is run over
 * every LDIF file there (and over a small directory made by the
 * benchmark's generator): classification, domains, mailboxes with the
 * groups the file holds, and the diagnostics of each entry. The result
 * is compared with tests/data/mapping/views.golden, recorded from the
 * entry path before entry views existed; SPLITSYNC_GOLDEN=write
 * records it again.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "errors.h"
#include "groups.h"
#include "ldif.h"
#include "mapping.h"
#include "testlib.h"

#define GOLDEN "tests/data/mapping/views.golden"
#define BENCH_USERS 60

/* The files found, sorted. */
struct files {
	char **v;
	size_t n;
};

/* One pass over one directory file. */
struct run {
	const struct mapping *m;
	struct groups *g;
	struct diag d;
	struct buf *out;
	int pass;
};

static struct files found_xml, found_ldif;

/* put_esc - bytes with anything unprintable (and '\') as \xHH */
static void
put_esc(struct buf *b, const char *s, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			ck_assert_int_eq(buf_putc(b, (char)c), 0);
		else
			ck_assert_int_eq(buf_printf(b, "\\x%02x", c), 0);
	}
}

/* put_str - a string or "-" for NULL */
static void
put_str(struct buf *b, const char *s)
{
	if (s == NULL)
		ck_assert_int_eq(buf_putc(b, '-'), 0);
	else
		put_esc(b, s, strlen(s));
}

/* put_diag - the items d gained from item from on */
static void
put_diag(struct buf *b, const struct diag *d, size_t from)
{
	static const char level[] = "EWN", kind[] = "GRC";
	size_t i;

	for (i = from; i < d->count; i++) {
		ck_assert_int_eq(buf_printf(b, "  diag %c%c ",
		    level[d->items[i].level], kind[d->items[i].kind]), 0);
		put_str(b, d->items[i].where);
		ck_assert_int_eq(buf_puts(b, " | "), 0);
		put_str(b, d->items[i].what);
		ck_assert_int_eq(buf_printf(b, " (%zu)\n", d->items[i].count),
		    0);
	}
}

/* put_domain - one domain spec */
static void
put_domain(struct buf *b, int rc, const struct domain_spec *ds)
{
	size_t i;

	ck_assert_int_eq(buf_printf(b, "  domain rc=%d", rc), 0);
	if (rc == 0) {
		ck_assert_int_eq(buf_puts(b, " name="), 0);
		put_str(b, ds->name);
		ck_assert_int_eq(buf_puts(b, " aliases="), 0);
		for (i = 0; i < ds->naliases; i++) {
			if (i)
				ck_assert_int_eq(buf_putc(b, ','), 0);
			put_str(b, ds->aliases[i]);
		}
		ck_assert_int_eq(buf_puts(b, " relay="), 0);
		put_str(b, ds->relay);
		ck_assert_int_eq(buf_printf(b, " fwd=%d local=",
		    ds->forward_unknown), 0);
		put_str(b, ds->local);
		ck_assert_int_eq(buf_puts(b, " origin="), 0);
		put_str(b, ds->origin);
	}
	ck_assert_int_eq(buf_putc(b, '\n'), 0);
}

/* put_mailbox - one mailbox spec */
static void
put_mailbox(struct buf *b, int rc, const struct mailbox_spec *ms)
{
	size_t i;

	ck_assert_int_eq(buf_printf(b, "  mailbox rc=%d", rc), 0);
	if (rc == 0) {
		ck_assert_int_eq(buf_puts(b, " id="), 0);
		put_str(b, ms->id);
		ck_assert_int_eq(buf_puts(b, " dn="), 0);
		put_str(b, ms->dn);
		ck_assert_int_eq(buf_printf(b, " route=%d nexthop=",
		    (int)ms->route), 0);
		put_str(b, ms->nexthop);
		ck_assert_int_eq(buf_puts(b, " addresses="), 0);
		for (i = 0; i < ms->naddresses; i++) {
			if (i)
				ck_assert_int_eq(buf_putc(b, ','), 0);
			put_str(b, ms->addresses[i]);
		}
		ck_assert_int_eq(buf_puts(b, " external="), 0);
		for (i = 0; ms->external != NULL && i < ms->naddresses; i++)
			ck_assert_int_eq(buf_putc(b,
			    ms->external[i] ? '1' : '0'), 0);
		if (ms->external == NULL)
			ck_assert_int_eq(buf_putc(b, '-'), 0);
	}
	ck_assert_int_eq(buf_putc(b, '\n'), 0);
}

/* entry_path - pass 1: classes, groups, domains; pass 2: mailboxes,
 * as the service and resync read a directory */
static int
entry_path(const struct entry *e, void *ctx)
{
	struct run *r = ctx;
	unsigned cls = mapping_classify(r->m, e);
	struct domain_spec ds;
	struct mailbox_spec ms;
	size_t from = r->d.count;
	int rc;

	if (cls == 0)
		return 0;
	if (r->pass == 1) {
		ck_assert_int_eq(buf_puts(r->out, "D "), 0);
		put_str(r->out, e->dn);
		ck_assert_int_eq(buf_printf(r->out, " class=%u\n", cls), 0);
		if (cls & MAPPING_GROUP)
			ck_assert_int_eq(groups_add(r->g, e), 0);
		if (cls & MAPPING_DOMAIN) {
			rc = mapping_domain_from_entry(r->m, e, &ds, &r->d);
			ck_assert(rc == 0 || rc == ERR_DATA);
			put_domain(r->out, rc, &ds);
			domain_spec_clear(&ds);
		}
	} else if (cls & MAPPING_MAILBOX) {
		ck_assert_int_eq(buf_puts(r->out, "M "), 0);
		put_str(r->out, e->dn);
		ck_assert_int_eq(buf_putc(r->out, '\n'), 0);
		rc = mapping_mailbox_from_entry(r->m, e, r->g, &ms, &r->d);
		ck_assert_int_eq(rc, 0);
		put_mailbox(r->out, rc, &ms);
		mailbox_spec_clear(&ms);
	}
	put_diag(r->out, &r->d, from);
	return 0;
}

/* run_pair - one mapping over one directory file, into out */
static void
run_pair(const struct mapping *m, const char *ldif, const char *name,
    entry_source_fn fn, struct buf *out)
{
	struct run r;
	struct diag ld;
	int rc = 0;

	memset(&r, 0, sizeof r);
	r.m = m;
	r.out = out;
	diag_init(&r.d, NULL);
	diag_init(&ld, NULL);
	ck_assert_int_eq(groups_new(&r.g), 0);
	ck_assert_int_eq(buf_puts(out, "-- "), 0);
	put_str(out, name);
	ck_assert_int_eq(buf_putc(out, '\n'), 0);
	for (r.pass = 1; rc == 0 && r.pass <= 2; r.pass++)
		rc = ldif_read_file(ldif, fn, &r, &ld);
	if (rc != 0)
		ck_assert_int_eq(buf_printf(out, "  ldif rc=%d\n", rc), 0);
	groups_free(r.g);
	diag_free(&r.d);
	diag_free(&ld);
}

/* found - nftw callback: keep the mapping and LDIF files */
static int
found(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct files *f;
	size_t len = strlen(path);
	char **v;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	if (strncmp(path, "build", 5) == 0)
		return 0;
	if (len > 4 && strcmp(path + strlen(path) - 4, ".xml") == 0)
		f = &found_xml;
	else if (len > 5 && strcmp(path + strlen(path) - 5, ".ldif") == 0)
		f = &found_ldif;
	else
		return 0;
	v = realloc(f->v, (f->n + 1) * sizeof *v);
	ck_assert_ptr_nonnull(v);
	f->v = v;
	ck_assert_ptr_nonnull(f->v[f->n++] = strdup(path));
	return 0;
}

/* path_cmp - qsort by path */
static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* files_free - release a list */
static void
files_free(struct files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* find_files - every mapping and LDIF file of the tree, sorted; the
 * benchmark's directory, made small, into dir */
static void
find_files(const char *dir)
{
	static const char *const roots[] = { "mappings", "tests", "examples" };
	char *out = NULL, *bench;
	size_t i;

	for (i = 0; i < sizeof roots / sizeof *roots; i++)
		ck_assert_int_eq(nftw(roots[i], found, 16, FTW_PHYS), 0);
	qsort(found_xml.v, found_xml.n, sizeof *found_xml.v, path_cmp);
	qsort(found_ldif.v, found_ldif.n, sizeof *found_ldif.v, path_cmp);
	ck_assert_int_ge(asprintf(&bench, "%s/bench.ldif", dir), 0);
	ck_assert_msg(testlib_sh(&out, "awk -v n=%d -f tests/bench/directory.awk "
	    "-f tests/bench/gen-directory.awk > '%s'", BENCH_USERS, bench) == 0,
	    "%s", out ? out : "");
	free(out);
	found_ldif.v = realloc(found_ldif.v,
	    (found_ldif.n + 1) * sizeof *found_ldif.v);
	ck_assert_ptr_nonnull(found_ldif.v);
	found_ldif.v[found_ldif.n++] = bench;
}

/* label - the name a file has in the golden text: the generated
 * directory's temp path is not part of it */
static const char *
label(const char *path, const char *dir)
{
	return strncmp(path, dir, strlen(dir)) == 0 ?
	    "(benchmark directory)" : path;
}

/* run_all - every mapping over every directory file through fn */
static void
run_all(entry_source_fn fn, const char *dir, struct buf *out)
{
	struct mapping *m;
	struct diag d;
	size_t i, j;
	int rc;

	for (i = 0; i < found_xml.n; i++) {
		ck_assert_int_eq(buf_puts(out, "== "), 0);
		put_str(out, found_xml.v[i]);
		ck_assert_int_eq(buf_putc(out, '\n'), 0);
		diag_init(&d, NULL);
		rc = mapping_load(found_xml.v[i], &m, &d);
		diag_free(&d);
		if (rc != 0) {
			ck_assert_int_eq(buf_printf(out, "  load rc=%d\n", rc),
			    0);
			continue;
		}
		for (j = 0; j < found_ldif.n; j++)
			run_pair(m, found_ldif.v[j],
			    label(found_ldif.v[j], dir), fn, out);
		mapping_free(m);
	}
}

/* compare_golden - out equals the golden text, or is written as it
 * with SPLITSYNC_GOLDEN=write; a difference names its first line */
static void
compare_golden(const struct buf *out, const char *what)
{
	const char *mode = getenv("SPLITSYNC_GOLDEN");
	char *want;
	size_t len, line = 1, i;
	FILE *f;

	if (mode != NULL && strcmp(mode, "write") == 0) {
		f = fopen(GOLDEN, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(out->data, 1, out->len, f), out->len);
		ck_assert_int_eq(fclose(f), 0);
		return;
	}
	want = testlib_read(GOLDEN, &len);
	ck_assert_msg(want != NULL, "%s: cannot read " GOLDEN, what);
	for (i = 0; i < len && i < out->len && want[i] == out->data[i]; i++)
		if (want[i] == '\n')
			line++;
	if (i < len || i < out->len) {
		const char *a = want + i, *b = out->data + i;

		while (a > want && a[-1] != '\n')
			a--, b--;
		ck_abort_msg("%s differs from " GOLDEN " at line %zu:\n"
		    "want: %.*s\ngot:  %.*s", what, line,
		    (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	free(want);
}

START_TEST(test_entry_path)
{
	struct buf out = BUF_INIT;
	char *dir = testlib_tmpdir();

	ck_assert_ptr_nonnull(dir);
	find_files(dir);
	ck_assert_uint_gt(found_xml.n, 4);
	ck_assert_uint_gt(found_ldif.n, 4);
	run_all(entry_path, dir, &out);
	compare_golden(&out, "the entry path");
	buf_free(&out);
	files_free(&found_xml);
	files_free(&found_ldif);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* mapping_view_suite - every test above */
static Suite *
mapping_view_suite(void)
{
	Suite *s = suite_create("mapping_view");
	TCase *tc = tcase_create("mapping_view");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_entry_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(mapping_view_suite()); }
