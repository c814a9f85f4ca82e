/*
 * check_build - one pass over entry views into the routing model
 *
 * The quickstart directory and mapping, the entries handed to the
 * build in many orders (mailboxes before the groups that route them
 * and before the domain entries that manage their addresses): the
 * model, the reports and the counts are the same every time, and the
 * same as the service's path through its copy of the directory
 * (build_model over a mirror).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "config.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldif.h"
#include "mapping.h"
#include "mirror.h"
#include "model.h"
#include "routes.h"
#include "testlib.h"

#define LDIF "examples/quickstart/directory.ldif"
#define MAPPING "examples/quickstart/mapping.xml"

struct entries {
	struct entry **v;
	size_t n;
};

/* keep - ldif_read_file callback: a copy of each entry */
static int
keep(const struct entry *e, void *ctx)
{
	struct entries *x = ctx;
	struct entry *c;

	ck_assert_int_eq(entry_dup(e, &c), 0);
	x->v = realloc(x->v, (x->n + 1) * sizeof *x->v);
	ck_assert_ptr_nonnull(x->v);
	x->v[x->n++] = c;
	return 0;
}

/* next - a small deterministic generator */
static unsigned long
next(unsigned long *s)
{
	*s = *s * 6364136223846793005UL + 1442695040888963407UL;
	return *s >> 33;
}

/* text_of - the listing of a model and the reports, as one text */
static char *
text_of(const struct model *m, const struct diag *d)
{
	struct routes r = { NULL, 0 };
	struct buf b = BUF_INIT;
	char **lines;
	size_t i, j;

	ck_assert_int_eq(routes_from_model(m, &r), 0);
	ck_assert_int_eq(routes_format(&r, &b), 0);
	routes_clear(&r);
	/* the reports as a sorted set: entries come in another order */
	lines = calloc(d->count + 1, sizeof *lines);
	ck_assert_ptr_nonnull(lines);
	for (i = 0; i < d->count; i++)
		ck_assert_int_ge(asprintf(&lines[i], "%d %s: %s\n",
		    (int)d->items[i].kind, d->items[i].where,
		    d->items[i].what), 0);
	for (i = 1; i < d->count; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	for (i = 0; i < d->count; i++) {
		ck_assert_int_eq(buf_puts(&b, lines[i]), 0);
		free(lines[i]);
	}
	free(lines);
	ck_assert_int_eq(buf_printf(&b, "%zu mailboxes %zu rejected %zu "
	    "conflicts\n", model_mailbox_count(m), d->nrejected,
	    d->nconflicts), 0);
	return buf_steal(&b);
}

/* build_in - the entries in the order given, through views */
static char *
build_in(const struct config *cfg, const struct mapping *map,
    const struct entries *x, const size_t *order)
{
	struct build *b = NULL;
	struct viewbuf vb;
	struct diag d;
	size_t i;
	char *text;

	diag_init(&d, NULL);
	viewbuf_init(&vb, mapping_attrset(map));
	ck_assert_int_eq(build_new(cfg, map, &b), 0);
	for (i = 0; i < x->n; i++) {
		ck_assert_int_eq(viewbuf_from_entry(&vb, mapping_attrset(map),
		    x->v[order[i]]), 0);
		ck_assert_int_eq(build_entry(b, viewbuf_view(&vb), &d), 0);
	}
	ck_assert_uint_gt(build_used(b), 0);
	ck_assert_int_eq(build_finish(b, &d), 0);
	ck_assert_int_eq(build_finish(b, &d), ERR_INVAL);
	ck_assert_int_eq(build_entry(b, viewbuf_view(&vb), &d), ERR_INVAL);
	ck_assert_int_eq(build_resolve(b, NULL, NULL, &d), 0);
	text = text_of(build_model_of(b), &d);
	build_free(b);
	viewbuf_free(&vb);
	diag_free(&d);
	return text;
}

START_TEST(any_order_gives_the_same_model)
{
	struct entries x = { NULL, 0 };
	struct config *cfg = NULL;
	struct mapping *map = NULL;
	struct mirror *mir = NULL;
	struct model *m = NULL;
	struct diag d;
	size_t *order, i, j, p, t;
	unsigned long seed = 12345;
	char *ref, *got, *dir = testlib_tmpdir(), *path, *id;

	diag_init(&d, NULL);
	ck_assert_int_ge(asprintf(&path, "%s/splitsync.conf", dir), 0);
	ck_assert_int_eq(testlib_write(path, "source = ldif\nldif = x.ldif\n"
	    "mapping = x.xml\nrepository = r.git\n"), 0);
	ck_assert_int_eq(config_load(path, &cfg, &d), 0);
	free(path);
	ck_assert_int_eq(mapping_load(MAPPING, &map, &d), 0);
	ck_assert_int_eq(ldif_read_file(LDIF, keep, &x, &d), 0);
	ck_assert_uint_gt(x.n, 10);
	order = calloc(x.n, sizeof *order);
	ck_assert_ptr_nonnull(order);
	for (i = 0; i < x.n; i++)
		order[i] = i;
	ref = build_in(cfg, map, &x, order);
	/* the quickstart routes something, and reports something */
	ck_assert_ptr_nonnull(strstr(ref, "\texternal\t"));
	ck_assert_ptr_nonnull(strstr(ref, "\tinternal\t"));
	/* backwards: every mailbox before the groups and domains */
	for (i = 0; i < x.n; i++)
		order[i] = x.n - 1 - i;
	for (p = 0; p < 12; p++) {
		got = build_in(cfg, map, &x, order);
		ck_assert_msg(strcmp(ref, got) == 0, "order %zu:\n%s\n"
		    "expected:\n%s", p, got, ref);
		free(got);
		for (i = x.n; i > 1; i--) {
			j = next(&seed) % i;
			t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
	}
	/* the service's path: the same entries in its copy */
	ck_assert_int_eq(mirror_new(&mir), 0);
	for (i = 0; i < x.n; i++) {
		ck_assert_int_eq(mirror_entry_id(x.v[i], &id), 0);
		ck_assert_int_ge(mirror_put(mir, id, x.v[i]), 0);
		free(id);
	}
	diag_free(&d);
	ck_assert_int_eq(build_model(cfg, map, mir, NULL, NULL, &m, NULL, &d),
	    0);
	got = text_of(m, &d);
	ck_assert_msg(strcmp(ref, got) == 0, "from a mirror:\n%s\nexpected:"
	    "\n%s", got, ref);
	free(got);
	model_free(m);
	mirror_free(mir);
	free(ref);
	for (i = 0; i < x.n; i++)
		entry_free(x.v[i]);
	free(x.v);
	free(order);
	mapping_free(map);
	config_free(cfg);
	diag_free(&d);
	testlib_rmrf(dir);
	free(dir);
}
END_TEST

/* build_suite - all of the above */
static Suite *
build_suite(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("order");

	tcase_add_test(tc, any_order_gives_the_same_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(build_suite());
}
