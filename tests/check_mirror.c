/*
 * check_mirror - the service's copy of the directory, and its committed
 * shards
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "errors.h"
#include "layout.h"
#include "mirror.h"
#include "shard.h"
#include "testlib.h"

/* make - an entry with a DN and "name: value" pairs (value bytes may
 * hold NUL: lengths are given) */
static struct entry *
make(const char *dn, const char *name, const char *value, size_t len)
{
	struct entry *e;

	ck_assert_int_eq(entry_new(&e, dn, NULL), 0);
	ck_assert_int_eq(entry_add_value(e, "objectClass", "person", 6), 0);
	if (name)
		ck_assert_int_eq(entry_add_value(e, name, value, len), 0);
	return e;
}

START_TEST(put_get_remove)
{
	struct mirror *m;
	struct entry *a = make("uid=a,dc=x", "mail", "a@x.org", 7);
	struct entry *a2 = make("uid=a,dc=x", "mail", "b@x.org", 7);
	const struct entry *got;
	char id[32];
	int i;

	ck_assert_int_eq(mirror_new(&m), 0);
	ck_assert_int_eq(mirror_put(m, "id-a", a), 1);
	ck_assert_int_eq(mirror_put(m, "id-a", a), 0);  /* unchanged */
	ck_assert_int_eq(mirror_put(m, "id-a", a2), 1);
	got = mirror_get(m, "id-a");
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_ne(got, a2);                      /* a copy */
	ck_assert_str_eq(entry_attr_get(got, "mail")->values[0].data,
	    "b@x.org");
	ck_assert_uint_eq(mirror_count(m), 1);
	/* Enough ids to grow the table several times, with removals. */
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		ck_assert_int_eq(mirror_put(m, id, a), 1);
		if (i % 3 == 0)
			ck_assert_int_eq(mirror_remove(m, id), 1);
	}
	ck_assert_uint_eq(mirror_count(m), 1 + 5000 - 1667);
	ck_assert_int_eq(mirror_remove(m, "id-0"), 0);
	ck_assert_ptr_null(mirror_get(m, "id-3"));
	ck_assert_ptr_nonnull(mirror_get(m, "id-4"));
	ck_assert_int_eq(mirror_remove(m, "id-a"), 1);
	ck_assert_ptr_null(mirror_get(m, "id-a"));
	mirror_free(m);
	entry_free(a);
	entry_free(a2);
}
END_TEST

START_TEST(entry_id)
{
	struct entry *e = make("uid=a,dc=x", "entryUUID",
	    "0A1B2C3D-0000-1111-2222-333344445555", 36);
	struct entry *f = make("uid=b,dc=x", NULL, NULL, 0);
	char *id;

	ck_assert_int_eq(mirror_entry_id(e, &id), 0);
	ck_assert_str_eq(id, "0a1b2c3d-0000-1111-2222-333344445555");
	free(id);
	ck_assert_int_eq(mirror_entry_id(f, &id), 0);
	ck_assert_str_eq(id, "uid=b,dc=x");
	free(id);
	entry_free(e);
	entry_free(f);
}
END_TEST

/* join - all shards as one text, for comparisons */
static char *
join(struct buf *shards)
{
	struct buf all = BUF_INIT;
	size_t i;

	for (i = 0; i < LAYOUT_MIRROR_SHARDS; i++) {
		ck_assert_int_eq(buf_printf(&all, "#%zu\n", i), 0);
		ck_assert_int_eq(buf_append(&all, shards[i].data, shards[i].len),
		    0);
		buf_free(&shards[i]);
	}
	free(shards);
	return buf_steal(&all);
}

START_TEST(shards_round_trip_and_stable)
{
	static const struct {
		const char *dn, *value;
		size_t len;
	} rows[] = {
		{ "uid=plain,dc=x", "plain@x.org", 11 },
		{ "uid=nl,dc=x", "a\nb: c", 6 },
		{ "uid=nul,dc=x", "a\0b", 3 },
		{ "uid=space,dc=x", " leading space", 14 },
		{ "uid=colon,dc=x", ":colon", 6 },
		{ "uid=utf8,dc=x", "\xc3\xa9l\xff", 4 },
		{ "uid=empty,dc=x", "", 0 },
		{ "uid=new\nline,dc=x", "x", 1 },
	};
	size_t n = sizeof rows / sizeof rows[0], i;
	struct mirror *fwd, *rev, *back;
	struct buf *shards;
	struct diag d;
	char id[32], name[SHARD_PATH_MAX], *one, *two, *three;

	diag_init(&d, NULL);
	ck_assert_int_eq(mirror_new(&fwd), 0);
	ck_assert_int_eq(mirror_new(&rev), 0);
	ck_assert_int_eq(mirror_new(&back), 0);
	for (i = 0; i < n; i++) {
		struct entry *e = make(rows[i].dn, "description", rows[i].value,
		    rows[i].len);

		snprintf(id, sizeof id, "id-%zu", i);
		ck_assert_int_eq(mirror_put(fwd, id, e), 1);
		entry_free(e);
	}
	for (i = n; i-- > 0;) {
		struct entry *e = make(rows[i].dn, "description", rows[i].value,
		    rows[i].len);

		snprintf(id, sizeof id, "id-%zu", i);
		ck_assert_int_eq(mirror_put(rev, id, e), 1);
		entry_free(e);
	}
	ck_assert_int_eq(mirror_shards(fwd, LAYOUT_MIRROR_SHARDS, &shards), 0);
	/* Load every shard back into a third mirror. */
	for (i = 0; i < LAYOUT_MIRROR_SHARDS; i++) {
		ck_assert_int_eq(layout_path(name, sizeof name,
		    LAYOUT_PART_STATE, NULL, i, LAYOUT_MIRROR_SHARDS), 0);
		ck_assert_int_eq(mirror_load(back, name, shards[i].data,
		    shards[i].len, &d), 0);
	}
	one = join(shards);
	ck_assert_int_eq(mirror_shards(rev, LAYOUT_MIRROR_SHARDS, &shards), 0);
	two = join(shards);
	ck_assert_int_eq(mirror_shards(back, LAYOUT_MIRROR_SHARDS, &shards), 0);
	three = join(shards);
	ck_assert_str_eq(one, two);     /* insertion order does not matter */
	ck_assert_str_eq(one, three);   /* nothing lost on the way */
	for (i = 0; i < n; i++) {
		const struct entry *e;

		snprintf(id, sizeof id, "id-%zu", i);
		e = mirror_get(back, id);
		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(e->dn, rows[i].dn);
		ck_assert_ptr_null(entry_attr_get(e, "splitsync-id"));
		ck_assert_uint_eq(entry_attr_get(e, "description")->values[0].len,
		    rows[i].len);
		ck_assert_mem_eq(entry_attr_get(e, "description")->values[0].data,
		    rows[i].value, rows[i].len);
	}
	free(one);
	free(two);
	free(three);
	mirror_free(fwd);
	mirror_free(rev);
	mirror_free(back);
	diag_free(&d);
}
END_TEST

START_TEST(damaged_shard_refused)
{
	static const char no_id[] = "dn: uid=a,dc=x\nobjectClass: person\n\n";
	static const char broken[] = "dn: uid=a,dc=x\nsplitsync-id: a\n"
	    "mail:: !!!\n\n";
	struct mirror *m;
	struct diag d;

	diag_init(&d, NULL);
	ck_assert_int_eq(mirror_new(&m), 0);
	ck_assert_int_eq(mirror_load(m, "shard", no_id, sizeof no_id - 1, &d),
	    ERR_DATA);
	ck_assert_int_eq(mirror_load(m, "shard", broken, sizeof broken - 1, &d),
	    ERR_DATA);
	ck_assert_msg(strstr(d.items[d.count - 1].where, "shard:3") ||
	    strstr(d.items[d.count - 1].what, "shard:3"), "%s: %s",
	    d.items[d.count - 1].where, d.items[d.count - 1].what);
	ck_assert_uint_eq(mirror_count(m), 0);
	mirror_free(m);
	diag_free(&d);
}
END_TEST

START_TEST(one_shard_alone_is_the_same_text)
{
	/* Sizes below and above the shard count, removals leaving
	 * tombstones, a table grown several times. */
	static const size_t sizes[] = { 0, 1, 7, 300, 2000 };
	static const size_t counts[] = { 16, 4096 };
	struct mirror *m;
	struct buf *all, one;
	char id[32];
	size_t si, ci, i;

	for (si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		ck_assert_int_eq(mirror_new(&m), 0);
		for (i = 0; i < sizes[si]; i++) {
			struct entry *e = make("cn=x,dc=example,dc=com",
			    "description", "v", 1);

			snprintf(id, sizeof id, "id-%zu", i);
			ck_assert_int_eq(mirror_put(m, id, e), 1);
			entry_free(e);
		}
		for (i = 0; i < sizes[si]; i += 3) {
			snprintf(id, sizeof id, "id-%zu", i);
			ck_assert_int_eq(mirror_remove(m, id), 1);
		}
		for (ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
			ck_assert_int_eq(mirror_shards(m, counts[ci], &all), 0);
			for (i = 0; i < counts[ci]; i++) {
				buf_init(&one);
				ck_assert_int_eq(mirror_shard_text(m, i,
				    counts[ci], &one), 0);
				ck_assert_uint_eq(one.len, all[i].len);
				if (one.len)
					ck_assert_mem_eq(one.data, all[i].data,
					    one.len);
				buf_free(&one);
				buf_free(&all[i]);
			}
			free(all);
		}
		mirror_free(m);
	}
}
END_TEST

START_TEST(shard_of_an_id_is_its_hash)
{
	ck_assert_uint_eq(mirror_shard_of("id-1", 256),
	    shard_hash("id-1", 4) & 255);
}
END_TEST

static Suite *
mirror_suite(void)
{
	Suite *s = suite_create("mirror");
	TCase *tc = tcase_create("mirror");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, put_get_remove);
	tcase_add_test(tc, entry_id);
	tcase_add_test(tc, shards_round_trip_and_stable);
	tcase_add_test(tc, damaged_shard_refused);
	tcase_add_test(tc, one_shard_alone_is_the_same_text);
	tcase_add_test(tc, shard_of_an_id_is_its_hash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(mirror_suite());
}
