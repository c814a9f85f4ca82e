/*
 * check_hmap - the hash map against a plain array kept beside it, the
 * arena and its interned strings, and the vector helper
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "errors.h"
#include "hmap.h"
#include "testlib.h"
#include "vec.h"

/* the model beside the map: which values are in, each with its hash */
#define NVALS 4000

/* next - a small deterministic generator */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* count_fn - count the values hmap_each gives */
static int
count_fn(uint32_t val, void *ctx)
{
	(void)val;
	(*(size_t *)ctx)++;
	return 0;
}

/* Random puts and removes, with hashes crowded into few buckets so
 * that probe runs are long and removals shift them: after each step
 * the map holds exactly the values the model holds. */
START_TEST(map_matches_a_model)
{
	static uint64_t hash_of[NVALS];
	static int in[NVALS];
	struct hmap m = HMAP_INIT;
	uint64_t s = 88172645463325252ull;
	size_t step, i, n;
	uint32_t v;

	for (i = 0; i < NVALS; i++)
		hash_of[i] = next(&s) % 97 * 1024;      /* 97 distinct hashes */
	for (step = 0; step < 60000; step++) {
		v = (uint32_t)(next(&s) % NVALS);
		if (in[v]) {
			ck_assert_int_eq(hmap_remove(&m, hash_of[v], v), 1);
			in[v] = 0;
		} else {
			ck_assert_int_eq(hmap_put(&m, hash_of[v], v), 0);
			in[v] = 1;
		}
		if (step % 997 != 0)
			continue;
		for (i = 0, n = 0; i < NVALS; i++) {
			n += (size_t)in[i];
			ck_assert_int_eq(hmap_remove(&m, hash_of[i], (uint32_t)i),
			    in[i]);
			if (in[i])
				ck_assert_int_eq(hmap_put(&m, hash_of[i],
				    (uint32_t)i), 0);
		}
		ck_assert_uint_eq(m.count, n);
	}
	/* every value under one hash, through hmap_each */
	for (i = 0, n = 0; i < NVALS; i++)
		n += in[i] && hash_of[i] == hash_of[0];
	i = 0;
	ck_assert_int_eq(hmap_each(&m, hash_of[0], NULL, NULL, NULL, count_fn,
	    &i), 0);
	ck_assert_uint_eq(i, n);
	ck_assert_int_eq(hmap_put(&m, 1, HMAP_NONE), ERR_INVAL);
	hmap_clear(&m);
	ck_assert_uint_eq(m.count, 0);
	ck_assert_uint_eq(hmap_find(&m, hash_of[0], NULL, NULL, NULL),
	    HMAP_NONE);
	hmap_free(&m);
}
END_TEST

/* equal strings share one offset; different ones do not; 0 is "" */
START_TEST(strings_are_interned)
{
	struct strtab t = STRTAB_INIT;
	uint32_t a, b, c, e;
	char key[32];
	size_t i;

	ck_assert_int_eq(strtab_intern(&t, "smtp:[relay]:25", 15, &a), 0);
	ck_assert_int_eq(strtab_intern(&t, "lmtp:core:2400", 14, &b), 0);
	ck_assert_int_eq(strtab_intern(&t, "smtp:[relay]:25", 15, &c), 0);
	ck_assert_int_eq(strtab_intern(&t, "", 0, &e), 0);
	ck_assert_uint_eq(a, c);
	ck_assert_uint_ne(a, b);
	ck_assert_uint_eq(e, 0);
	ck_assert_str_eq(strtab_str(&t, 0), "");
	ck_assert_str_eq(strtab_str(&t, b), "lmtp:core:2400");
	ck_assert_uint_eq(strtab_find(&t, "smtp:[relay]", 12), HMAP_NONE);
	ck_assert_int_eq(strtab_intern(&t, "a\0b", 3, &e), ERR_INVAL);
	/* offsets stay right while the arena moves */
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%zu", i);
		ck_assert_int_eq(strtab_intern(&t, key, strlen(key), &e), 0);
	}
	ck_assert_str_eq(strtab_str(&t, a), "smtp:[relay]:25");
	ck_assert_uint_eq(strtab_find(&t, "k19999", 6), e);
	strtab_free(&t);
}
END_TEST

/* vec_grow and vec_reserve refuse sizes that overflow */
START_TEST(vectors_grow_and_refuse_overflow)
{
	int *v = NULL;
	size_t cap = 0, n;

	for (n = 0; n < 1000; n++) {
		ck_assert_int_eq(vec_grow((void **)&v, &cap, n, sizeof *v), 0);
		v[n] = (int)n;
	}
	ck_assert_uint_ge(cap, 1000);
	ck_assert_int_eq(v[999], 999);
	ck_assert_int_eq(vec_reserve((void **)&v, &cap, SIZE_MAX / 2,
	    sizeof *v), ERR_NOMEM);
	ck_assert_int_eq(v[999], 999);
	free(v);
}
END_TEST

/* hmap_suite - the cases */
static Suite *
hmap_suite(void)
{
	Suite *s = suite_create("hmap");
	TCase *tc = tcase_create("hmap");

	tcase_add_test(tc, map_matches_a_model);
	tcase_add_test(tc, strings_are_interned);
	tcase_add_test(tc, vectors_grow_and_refuse_overflow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(hmap_suite());
}
