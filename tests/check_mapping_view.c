/*
 * check_mapping_view - the mapping on entry views
 *
 * Every mapping file under mappings/, tests/ and examples/ is run over
 * every LDIF file there (and over a small directory made by the
 * benchmark's generator): classification, domains, mailboxes with the
 * groups the file holds, and the diagnostics of each entry. The result
 * is compared with tests/data/mapping/views.golden, recorded from the
 * entry path before entry views existed (SPLITSYNC_GOLDEN=write records
 * it again), once through the functions on struct entry and once
 * through the view functions: views built value by value, routes
 * decided from the leaf mask once the groups are known (asked of
 * groups.c, and of the hashes mapping_group_from_view gives through
 * hstore.c, which must agree), notes emitted for the final route. Then the view
 * functions one by one: group hashes, member keys, the leaf limit.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dn.h"
#include "errors.h"
#include "groups.h"
#include "hash.h"
#include "hstore.h"
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
	struct hstore hs;
	struct mapping_scratch *s;
	struct viewbuf vb;
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

/* What the member-of leaves of one mailbox are answered from. */
struct asking {
	struct run *r;
	const struct entry *e;
	const struct mapping_mailbox *mb;
	size_t calls;
};

/* ask - groups.c's answer, which the hashes must give too */
static int
ask(void *ctx, size_t leaf)
{
	struct asking *a = ctx;
	uint64_t group;
	unsigned via;
	int want, got;

	a->calls++;
	ck_assert_uint_lt(leaf, mapping_member_leaf_count(a->r->m));
	mapping_member_leaf(a->r->m, leaf, &group, &via);
	want = groups_is_member(a->r->g, mapping_member_leaf_dn(a->r->m, leaf),
	    a->e, via);
	ck_assert_int_ge(want, 0);
	got = hstore_member(&a->r->hs, &a->mb->keys, group, via);
	ck_assert_msg(got == want, "%s in %s by %u: hashes say %d, groups %d",
	    a->e->dn, mapping_member_leaf_dn(a->r->m, leaf), via, got, want);
	return want;
}

/* build_view - the view of e a source would build, value by value */
static const struct entry_view *
build_view(struct run *r, const struct entry *e)
{
	const struct entry_attr *a;
	size_t i, j;

	ck_assert_int_eq(viewbuf_begin(&r->vb, e->dn, strlen(e->dn),
	    e->origin), 0);
	for (i = 0; i < e->count; i++)
		for (a = &e->attrs[i], j = 0; j < a->count; j++)
			ck_assert_int_eq(viewbuf_add(&r->vb, a->name,
			    strlen(a->name), a->values[j].data,
			    a->values[j].len), 0);
	return viewbuf_view(&r->vb);
}

/* put_view_mailbox - a mailbox for its final route, as a spec shows */
static void
put_view_mailbox(struct buf *b, const struct mapping *m,
    const struct mapping_mailbox *mb, int route)
{
	struct mailbox_spec ms;
	char *id = strndup(mb->id, mb->idlen);

	ck_assert_ptr_nonnull(id);
	memset(&ms, 0, sizeof ms);
	ms.id = id;
	ms.dn = (char *)mb->dn;
	ms.addresses = (char **)mb->addresses;
	ms.naddresses = mb->naddresses;
	ms.route = (enum route_kind)route;
	ms.nexthop = mapping_nexthop_applies(m, route) ?
	    (char *)mb->nexthop : NULL;
	ms.external = route != ROUTE_NONE ? (unsigned char *)mb->external :
	    NULL;
	put_mailbox(b, 0, &ms);
	free(id);
}

/* view_path - entry_path through the view functions */
static int
view_path(const struct entry *e, void *ctx)
{
	struct run *r = ctx;
	const struct entry_view *v = build_view(r, e);
	unsigned cls = mapping_classify_view(r->m, v);
	struct mapping_mailbox mb;
	struct groups_entry ge;
	struct domain_spec ds;
	struct asking a;
	size_t from = r->d.count;
	int rc, route;

	ck_assert_uint_eq(cls, mapping_classify(r->m, e));
	if (cls == 0)
		return 0;
	if (r->pass == 1) {
		ck_assert_int_eq(buf_puts(r->out, "D "), 0);
		put_str(r->out, v->dn);
		ck_assert_int_eq(buf_printf(r->out, " class=%u\n", cls), 0);
		if (cls & MAPPING_GROUP) {
			ck_assert_int_eq(groups_add(r->g, e), 0);
			ck_assert_int_eq(mapping_group_from_view(r->m, r->s, v,
			    &ge), 0);
			hstore_put(&r->hs, &ge);
		}
		if (cls & MAPPING_DOMAIN) {
			rc = mapping_domain_from_view(r->m, v, &ds, &r->d);
			ck_assert(rc == 0 || rc == ERR_DATA);
			put_domain(r->out, rc, &ds);
			domain_spec_clear(&ds);
		}
	} else if (cls & MAPPING_MAILBOX) {
		ck_assert_int_eq(buf_puts(r->out, "M "), 0);
		put_str(r->out, v->dn);
		ck_assert_int_eq(buf_putc(r->out, '\n'), 0);
		ck_assert_int_eq(mapping_mailbox_from_view(r->m, r->s, v, &mb,
		    &r->d), 0);
		a.r = r;
		a.e = e;
		a.mb = &mb;
		a.calls = 0;
		route = mb.route;
		if (route == MAPPING_ROUTE_PENDING) {
			ck_assert_uint_gt(mapping_member_leaf_count(r->m), 0);
			route = mapping_route_decide(r->m, mb.leaves, ask, &a);
			ck_assert_uint_gt(a.calls, 0);
		} else {
			/* known as read: the groups cannot change it */
			ck_assert_int_eq(mapping_route_decide(r->m, mb.leaves,
			    ask, &a), route);
			ck_assert(mb.keys.dn == DN_HASH_NONE);
			ck_assert_uint_eq(mb.keys.nmemberof + mb.keys.nuids, 0);
		}
		ck_assert_int_ge(route, ROUTE_NONE);
		ck_assert_int_le(route, ROUTE_EXTERNAL);
		mapping_notes_emit(r->m, mb.notes, mb.nnotes, mb.dn, route,
		    &r->d);
		put_view_mailbox(r->out, r->m, &mb, route);
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
	ck_assert_int_eq(mapping_scratch_new(&r.s), 0);
	viewbuf_init(&r.vb, mapping_attrset(m));
	ck_assert_int_eq(buf_puts(out, "-- "), 0);
	put_str(out, name);
	ck_assert_int_eq(buf_putc(out, '\n'), 0);
	for (r.pass = 1; rc == 0 && r.pass <= 2; r.pass++)
		rc = ldif_read_file(ldif, fn, &r, &ld);
	if (rc != 0)
		ck_assert_int_eq(buf_printf(out, "  ldif rc=%d\n", rc), 0);
	groups_free(r.g);
	hstore_free(&r.hs);
	mapping_scratch_free(r.s);
	viewbuf_free(&r.vb);
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
	ck_assert_msg(testlib_sh(&out, "awk -v n=%d -f tests/bench/"
	    "directory.awk -f tests/bench/gen-directory.awk > '%s'",
	    BENCH_USERS, bench) == 0, "%s", out ? out : "");
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

/* every_file - fn over every mapping and directory file, compared with
 * the golden text */
static void
every_file(entry_source_fn fn, const char *what)
{
	struct buf out = BUF_INIT;
	char *dir = testlib_tmpdir();

	ck_assert_ptr_nonnull(dir);
	find_files(dir);
	ck_assert_uint_gt(found_xml.n, 4);
	ck_assert_uint_gt(found_ldif.n, 4);
	run_all(fn, dir, &out);
	compare_golden(&out, what);
	buf_free(&out);
	files_free(&found_xml);
	files_free(&found_ldif);
	testlib_rmrf(dir);
	free(dir);
}

START_TEST(test_entry_path)
{
	every_file(entry_path, "the entry path");
}
END_TEST

START_TEST(test_view_path)
{
	every_file(view_path, "the view path");
}
END_TEST

/* One attribute value; len 0 means strlen(value). */
struct kv {
	const char *name;
	const char *value;
	size_t len;
};

/* make_view - a view over m's set of dn with the values (name NULL
 * ends), in vb */
static const struct entry_view *
make_view(struct viewbuf *vb, const struct mapping *m, const char *dn,
    const struct kv *kv)
{
	viewbuf_init(vb, mapping_attrset(m));
	ck_assert_int_eq(viewbuf_begin(vb, dn, strlen(dn), NULL), 0);
	for (; kv->name != NULL; kv++)
		ck_assert_int_eq(viewbuf_add(vb, kv->name, strlen(kv->name),
		    kv->value, kv->len ? kv->len : strlen(kv->value)), 0);
	return viewbuf_view(vb);
}

/* load_ok - a mapping that must load */
static struct mapping *
load_ok(const char *path)
{
	struct mapping *m = NULL;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_msg(mapping_load(path, &m, &d) == 0, "%s: %s", path,
	    diag_last_error(&d));
	diag_free(&d);
	return m;
}

/* dnh - dn_hash of a DN that must be valid */
static uint64_t
dnh(const char *dn)
{
	uint64_t h;

	ck_assert_int_eq(dn_hash(dn, strlen(dn), &h), 0);
	return h;
}

/* sorted - whether n hashes are in increasing order, each once */
static int
sorted(const uint64_t *h, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (h[i - 1] >= h[i])
			return 0;
	return 1;
}

/* has_hash - whether h is among the n hashes */
static int
has_hash(const uint64_t *v, size_t n, uint64_t h)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == h)
			return 1;
	return 0;
}

/* A group entry as hashes: DNs normalised, the UID suffix stripped,
 * values that are no DN, hold a NUL or are empty left out, each list
 * sorted and each hash once. */
START_TEST(test_group_hashes)
{
	static const struct kv attrs[] = {
		{ "objectClass", "groupOfNames", 0 },
		{ "member", "uid=a,dc=x", 0 },
		{ "member;range=0-1", "UID=A, DC=X", 0 },
		{ "member", "not a dn", 0 },
		{ "member", "uid=n\0ul,dc=x", 12 },
		{ "Member", "cn=Sub\\2C Team,dc=x", 0 },
		{ "uniqueMember", "uid=b,dc=x#'0101'B", 0 },
		{ "uniqueMember", "uid=b,dc=x", 0 },
		{ "uniqueMember", "uid=c\\#'01'B,dc=x", 0 },
		{ "memberUid", "u1", 0 },
		{ "memberUid", "", 0 },
		{ "memberUid", "U1", 0 },
		{ "memberUid", "u\0", 2 },
		{ "memberOf", "cn=top,dc=x", 0 },
		{ NULL, NULL, 0 }
	};
	struct mapping *m = load_ok("tests/data/mapping/full.xml");
	struct mapping_scratch *s;
	struct groups_entry ge;
	struct viewbuf vb;
	const struct entry_view *v;

	ck_assert_int_eq(mapping_scratch_new(&s), 0);
	v = make_view(&vb, m, "CN=Staff, OU=Groups, DC=Example, DC=Com",
	    attrs);
	ck_assert_uint_eq(mapping_classify_view(m, v), MAPPING_GROUP);
	ck_assert_int_eq(mapping_group_from_view(m, s, v, &ge), 0);
	ck_assert(ge.dn == dnh("cn=staff,ou=groups,dc=example,dc=com"));
	ck_assert_uint_eq(ge.nmember, 2);
	ck_assert(sorted(ge.member, ge.nmember));
	ck_assert(has_hash(ge.member, ge.nmember, dnh("uid=a,dc=x")));
	ck_assert(has_hash(ge.member, ge.nmember,
	    dnh("cn=sub\\2c team,dc=x")));
	ck_assert_uint_eq(ge.nunique, 2);
	ck_assert(sorted(ge.unique, ge.nunique));
	ck_assert(has_hash(ge.unique, ge.nunique, dnh("uid=b,dc=x")));
	ck_assert(has_hash(ge.unique, ge.nunique, dnh("uid=c\\#'01'B,dc=x")));
	ck_assert_uint_eq(ge.nuids, 3);
	ck_assert(sorted(ge.uids, ge.nuids));
	ck_assert(has_hash(ge.uids, ge.nuids, hash64("u1", 2)));
	ck_assert(has_hash(ge.uids, ge.nuids, hash64("U1", 2)));
	ck_assert(has_hash(ge.uids, ge.nuids, hash64("u\0", 2)));
	ck_assert_uint_eq(ge.nmemberof, 1);
	ck_assert(ge.memberof[0] == dnh("cn=top,dc=x"));
	viewbuf_free(&vb);
	/* a DN that does not parse names no group */
	v = make_view(&vb, m, "not a dn", attrs);
	ck_assert_int_eq(mapping_group_from_view(m, s, v, &ge), 0);
	ck_assert(ge.dn == DN_HASH_NONE);
	ck_assert_uint_eq(ge.nmember + ge.nunique + ge.nuids + ge.nmemberof,
	    0);
	viewbuf_free(&vb);
	mapping_scratch_free(s);
	mapping_free(m);
}
END_TEST

/* What the member callback is asked, and answers. */
struct script {
	int answer[4];
	size_t asked[8];
	size_t n;
};

/* scripted - answer leaf i from the script, remembering the question */
static int
scripted(void *ctx, size_t leaf)
{
	struct script *sc = ctx;

	ck_assert_uint_lt(sc->n, 8);
	sc->asked[sc->n++] = leaf;
	return sc->answer[leaf];
}

/* routing.xml: member-of leaves, the member keys they need, the route
 * decided only when a member-of leaf decides, asking only what the
 * routes in order need */
START_TEST(test_member_leaves)
{
	static const struct kv plain[] = {
		{ "objectClass", "inetOrgPerson", 0 },
		{ "uid", "x", 0 },
		{ "mail", "X@Example.com", 0 },
		{ "memberOf", "CN=Legacy,OU=Groups,DC=example,DC=com", 0 },
		{ "memberOf", "not a dn", 0 },
		{ "memberOf;x-mirror", "cn=other,dc=example,dc=com", 0 },
		{ NULL, NULL, 0 }
	};
	static const struct kv disabled[] = {
		{ "objectClass", "inetOrgPerson", 0 },
		{ "mail", "d@example.com", 0 },
		{ "splitsyncDisabled", "TRUE", 0 },
		{ NULL, NULL, 0 }
	};
	struct mapping *m = load_ok("tests/data/mapping/routing.xml");
	struct mapping_scratch *s;
	struct mapping_mailbox mb;
	struct script sc;
	struct viewbuf vb;
	const struct entry_view *v;
	struct diag d;
	uint64_t group;
	unsigned via;

	diag_init(&d, NULL);
	ck_assert_int_eq(mapping_scratch_new(&s), 0);
	ck_assert_uint_eq(mapping_member_leaf_count(m), 2);
	mapping_member_leaf(m, 0, &group, &via);
	ck_assert_str_eq(mapping_member_leaf_dn(m, 0),
	    "cn=split,ou=groups,dc=example,dc=com");
	ck_assert(group == dnh("cn=split,ou=groups,dc=example,dc=com"));
	ck_assert_uint_eq(via, GROUPS_VIA_MEMBER);
	mapping_member_leaf(m, 1, &group, &via);
	ck_assert(group == dnh("cn=legacy,ou=groups,dc=example,dc=com"));
	ck_assert_uint_eq(via, GROUPS_VIA_MEMBEROF);

	v = make_view(&vb, m, "uid=x,ou=People,dc=example,dc=com", plain);
	ck_assert_int_eq(mapping_mailbox_from_view(m, s, v, &mb, &d), 0);
	ck_assert_int_eq(mb.route, MAPPING_ROUTE_PENDING);
	ck_assert_str_eq(mb.id, "uid=x,ou=People,dc=example,dc=com");
	ck_assert_int_eq(mb.id_is_dn, 1);
	ck_assert_uint_eq(mb.naddresses, 1);
	ck_assert_str_eq(mb.addresses[0], "x@example.com");
	/* member: the DN; memberOf: its DNs; no memberUid leaf: no uid */
	ck_assert(mb.keys.dn == dnh("uid=x,ou=people,dc=example,dc=com"));
	ck_assert_uint_eq(mb.keys.nmemberof, 2);
	ck_assert(mb.keys.memberof[0] ==
	    dnh("cn=legacy,ou=groups,dc=example,dc=com"));
	ck_assert(mb.keys.memberof[1] == dnh("cn=other,dc=example,dc=com"));
	ck_assert_uint_eq(mb.keys.nuids, 0);
	/* in split: the second route, the first member-of asked only */
	memset(&sc, 0, sizeof sc);
	sc.answer[0] = 1;
	ck_assert_int_eq(mapping_route_decide(m, mb.leaves, scripted, &sc),
	    ROUTE_EXTERNAL);
	ck_assert_uint_eq(sc.n, 1);
	ck_assert_uint_eq(sc.asked[0], 0);
	/* in legacy only: both asked, in route order */
	memset(&sc, 0, sizeof sc);
	sc.answer[1] = 1;
	ck_assert_int_eq(mapping_route_decide(m, mb.leaves, scripted, &sc),
	    ROUTE_EXTERNAL);
	ck_assert_uint_eq(sc.n, 2);
	ck_assert_uint_eq(sc.asked[1], 1);
	/* in neither: the attribute routes, then the default */
	memset(&sc, 0, sizeof sc);
	ck_assert_int_eq(mapping_route_decide(m, mb.leaves, scripted, &sc),
	    ROUTE_INTERNAL);
	/* a failed question is the answer */
	memset(&sc, 0, sizeof sc);
	sc.answer[0] = ERR_NOMEM;
	ck_assert_int_eq(mapping_route_decide(m, mb.leaves, scripted, &sc),
	    ERR_NOMEM);
	viewbuf_free(&vb);

	/* disabled: the first route holds before any member-of */
	v = make_view(&vb, m, "uid=d,dc=example,dc=com", disabled);
	ck_assert_int_eq(mapping_mailbox_from_view(m, s, v, &mb, &d), 0);
	ck_assert_int_eq(mb.route, ROUTE_NONE);
	ck_assert(mb.keys.dn == DN_HASH_NONE);
	ck_assert_uint_eq(mb.keys.nmemberof, 0);
	viewbuf_free(&vb);
	ck_assert_uint_eq(d.count, 0);
	diag_free(&d);
	mapping_scratch_free(s);
	mapping_free(m);
}
END_TEST

/* A mapping without member-of: every route decided as the entry is
 * read; a binary id in hex; problems that wait for the route. */
START_TEST(test_notes)
{
	static const struct kv attrs[] = {
		{ "objectClass", "inetOrgPerson", 0 },
		{ "mail", "A@example.com", 0 },
		{ "mailHost", "bad\0host", 8 },
		{ "mailHost", "Legacy.Example.com", 0 },
		{ "splitsyncExternalAddress", "b@example.com", 0 },
		{ "splitsyncExternalAddress", "n\0l", 3 },
		{ "description", "was legacy", 0 },
		{ NULL, NULL, 0 }
	};
	struct mapping *m = load_ok("tests/data/mapping/routing.xml");
	struct mapping_scratch *s;
	struct mapping_mailbox mb;
	struct viewbuf vb;
	const struct entry_view *v;
	struct diag d;
	size_t i;

	diag_init(&d, NULL);
	ck_assert_int_eq(mapping_scratch_new(&s), 0);
	v = make_view(&vb, m, "uid=a,dc=example,dc=com", attrs);
	ck_assert_int_eq(mapping_mailbox_from_view(m, s, v, &mb, &d), 0);
	/* nothing reported yet: all of it waits for the route */
	ck_assert_uint_eq(d.count, 0);
	ck_assert_int_eq(mb.route, MAPPING_ROUTE_PENDING);
	ck_assert_str_eq(mb.nexthop, "smtp:legacy.example.com:25");
	ck_assert_ptr_null(mb.external);
	ck_assert_uint_eq(mb.nnotes, 3);
	ck_assert_uint_eq(mb.notes[0].when, MAPPING_NOTE_NEXTHOP);
	ck_assert_str_eq(mb.notes[0].what,
	    "mailHost: a value with a NUL byte is refused");
	ck_assert_uint_eq(mb.notes[1].when, MAPPING_NOTE_ROUTED);
	ck_assert_str_eq(mb.notes[1].what, "splitsyncExternalAddress: "
	    "\"b@example.com\" is not an address of this mailbox; ignored");
	ck_assert_uint_eq(mb.notes[2].when, MAPPING_NOTE_ROUTED);
	for (i = 0; i < mb.nnotes; i++) {
		ck_assert_int_eq(mb.notes[i].level, DIAG_WARNING);
		ck_assert_int_eq(mb.notes[i].kind, DIAG_REJECTED);
		ck_assert_int_eq(mapping_note_applies(m, &mb.notes[i],
		    ROUTE_NONE), 0);
		ck_assert_int_eq(mapping_note_applies(m, &mb.notes[i],
		    ROUTE_EXTERNAL), 1);
		ck_assert_int_eq(mapping_note_applies(m, &mb.notes[i],
		    ROUTE_INTERNAL), i > 0);
	}
	ck_assert_int_eq(mapping_nexthop_applies(m, ROUTE_EXTERNAL), 1);
	ck_assert_int_eq(mapping_nexthop_applies(m, ROUTE_INTERNAL), 0);
	ck_assert_int_eq(mapping_nexthop_applies(m, ROUTE_NONE), 0);
	mapping_notes_emit(m, mb.notes, mb.nnotes, mb.dn, ROUTE_INTERNAL, &d);
	ck_assert_uint_eq(d.count, 2);
	ck_assert_str_eq(d.items[0].where, "uid=a,dc=example,dc=com");
	ck_assert_uint_eq(d.nrejected, 2);
	mapping_notes_emit(m, mb.notes, mb.nnotes, mb.dn, ROUTE_NONE, &d);
	ck_assert_uint_eq(d.count, 2);
	viewbuf_free(&vb);
	mapping_free(m);

	/* ids.xml: no member-of, a binary id */
	m = load_ok("tests/data/mapping/ids-hex.xml");
	ck_assert_uint_eq(mapping_member_leaf_count(m), 0);
	{
		static const struct kv hex[] = {
			{ "objectClass", "person", 0 },
			{ "objectClass", "inetOrgPerson", 0 },
			{ "GUID", "\x01\xab\0\xff", 4 },
			{ "mail", "h@example.com", 0 },
			{ NULL, NULL, 0 }
		};

		v = make_view(&vb, m, "cn=h,dc=example,dc=com", hex);
		ck_assert_int_eq(mapping_mailbox_from_view(m, s, v, &mb, &d),
		    0);
		ck_assert_int_ne(mb.route, MAPPING_ROUTE_PENDING);
		ck_assert_str_eq(mb.id, "01ab00ff");
		ck_assert_uint_eq(mb.idlen, 8);
		ck_assert_int_eq(mb.id_is_dn, 0);
		viewbuf_free(&vb);
	}
	diag_free(&d);
	mapping_scratch_free(s);
	mapping_free(m);
}
END_TEST

/* write_leaves - a mapping with n equals conditions on one route, the
 * first dups of them written twice more; its path (free()) */
static char *
write_leaves(const char *dir, size_t n, size_t dups)
{
	struct buf b = BUF_INIT;
	char *path;
	size_t i;

	ck_assert_int_ge(asprintf(&path, "%s/leaves-%zu.xml", dir, n), 0);
	ck_assert_int_eq(buf_puts(&b, "<?xml version=\"1.0\"?>\n"
	    "<mapping xmlns=\"urn:splitsync:mapping:1\">\n"
	    "  <domain name=\"example.com\"/>\n"
	    "  <mailboxes filter=\"(mail=*)\">\n"
	    "    <address attribute=\"mail\"/>\n"
	    "    <routing>\n"
	    "      <route to=\"external\"><any>\n"), 0);
	for (i = 0; i < n + dups; i++)
		ck_assert_int_eq(buf_printf(&b, "        <equals attribute="
		    "\"a%zu\" value=\"v\"/>\n", i < n ? i : i - n), 0);
	ck_assert_int_eq(buf_puts(&b, "      </any></route>\n"
	    "    </routing>\n  </mailboxes>\n</mapping>\n"), 0);
	ck_assert_int_eq(testlib_write(path, b.data), 0);
	buf_free(&b);
	return path;
}

/* At most 64 different attribute conditions: the 64th is bit 63, a
 * condition written again is the same leaf, the 65th is refused at
 * its line, once. */
START_TEST(test_leaf_limit)
{
	static const struct kv last[] = {
		{ "mail", "l@example.com", 0 }, { "A63", "V", 0 },
		{ NULL, NULL, 0 }
	};
	char *dir = testlib_tmpdir(), *path, where[512];
	struct mapping *m;
	struct mapping_scratch *s;
	struct mapping_mailbox mb;
	struct viewbuf vb;
	struct diag d;
	size_t i, n;

	ck_assert_ptr_nonnull(dir);
	diag_init(&d, NULL);
	path = write_leaves(dir, 64, 30);
	m = load_ok(path);
	ck_assert_int_eq(mapping_scratch_new(&s), 0);
	ck_assert_int_eq(mapping_mailbox_from_view(m, s, make_view(&vb, m,
	    "cn=l", last), &mb, &d), 0);
	ck_assert(mb.leaves == (uint64_t)1 << 63);
	ck_assert_int_eq(mb.route, ROUTE_EXTERNAL);
	viewbuf_free(&vb);
	mapping_scratch_free(s);
	mapping_free(m);
	free(path);

	path = write_leaves(dir, 70, 0);
	ck_assert_int_eq(mapping_load(path, &m, &d), ERR_CONFIG);
	ck_assert_ptr_null(m);
	/* the first condition is on line 8 */
	snprintf(where, sizeof where, "%s:%d", path, 8 + 64);
	for (i = n = 0; i < d.count; i++)
		if (strstr(d.items[i].what, "more than 64 different attribute "
		    "conditions") != NULL) {
			ck_assert_str_eq(d.items[i].where, where);
			n++;
		}
	ck_assert_uint_eq(n, 1);
	free(path);
	diag_free(&d);
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
	tcase_add_test(tc, test_view_path);
	tcase_add_test(tc, test_group_hashes);
	tcase_add_test(tc, test_member_leaves);
	tcase_add_test(tc, test_notes);
	tcase_add_test(tc, test_leaf_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(mapping_view_suite()); }
