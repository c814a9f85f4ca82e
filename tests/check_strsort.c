/*
 * check_strsort - the radix sort of indices by their strings against
 * qsort with strcmp, on the strings that make it work hard: long
 * shared prefixes, prefixes of one another, duplicates, bytes above
 * 0x7f, lengths around every multiple of its word
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strsort.h"
#include "testlib.h"

struct set {
	char **s;
	size_t n;
};

/* word - strsort_word_fn over the set */
static uint32_t
word(void *ctx, uint32_t idx, size_t at)
{
	const struct set *x = ctx;

	ck_assert_uint_lt(idx, x->n);
	ck_assert_uint_le(at, strlen(x->s[idx]));
	return strsort_word(x->s[idx], at);
}

/* next - a small deterministic generator */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The reference: by strcmp (unsigned bytes), then by index. */
static const struct set *ref_set;

/* ref_cmp - qsort on indices */
static int
ref_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(ref_set->s[x], ref_set->s[y]);

	return c ? c : (x > y) - (x < y);
}

/* random_string - from a few prefixes, a few tails: many ties */
static char *
random_string(uint64_t *seed)
{
	static const char *const heads[] = {
		"", "a", "ab", "abc", "abcd", "abcde", "alexandre.dupont",
		"alexandre.dupond", "\xc3\xa9t\xc3\xa9", "zz", "postmaster",
		"firstname.lastname.with.a.long.common.prefix"
	};
	char buf[128];
	size_t h = next(seed) % (sizeof heads / sizeof heads[0]);
	size_t tail = next(seed) % 9, i;
	char *s;

	snprintf(buf, sizeof buf, "%s", heads[h]);
	for (i = 0; i < tail; i++)
		buf[strlen(heads[h]) + i] = "ab@.\x7f\x80z"[next(seed) % 7];
	buf[strlen(heads[h]) + tail] = '\0';
	s = strdup(buf);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* One size per loop index: tiny (insertion), around the cut-over,
 * and large (radix passes and deep ties). */
START_TEST(sorts_as_strcmp_does)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 47, 48, 49, 200, 5000,
	    60000 };
	size_t n = sizes[_i], i;
	uint64_t seed = 0x9e3779b97f4a7c15ull + n;
	struct set x;
	uint32_t *got, *want;

	x.n = n;
	x.s = calloc(n ? n : 1, sizeof *x.s);
	got = calloc(n ? n : 1, sizeof *got);
	want = calloc(n ? n : 1, sizeof *want);
	ck_assert(x.s && got && want);
	for (i = 0; i < n; i++) {
		x.s[i] = random_string(&seed);
		got[i] = want[i] = (uint32_t)i;
	}
	ck_assert_int_eq(strsort(got, n, word, &x), 0);
	ref_set = &x;
	qsort(want, n, sizeof *want, ref_cmp);
	for (i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "n %zu, slot %zu: %u \"%s\", "
		    "expected %u \"%s\"", n, i, got[i], x.s[got[i]], want[i],
		    x.s[want[i]]);
	for (i = 0; i < n; i++)
		free(x.s[i]);
	free(x.s);
	free(got);
	free(want);
}
END_TEST

/* Equal strings keep the order they were given in, not their index
 * order. */
START_TEST(equal_strings_keep_their_order)
{
	char *s[100];
	struct set x = { s, 100 };
	uint32_t v[100];
	size_t i;

	for (i = 0; i < 100; i++) {
		s[i] = i % 2 ? "same@example.com" : "other@example.com";
		v[i] = (uint32_t)(99 - i);
	}
	ck_assert_int_eq(strsort(v, 100, word, &x), 0);
	for (i = 0; i < 100; i++) {
		ck_assert_str_eq(s[v[i]], i < 50 ? "other@example.com" :
		    "same@example.com");
		if (i > 0 && i != 50)
			ck_assert_uint_lt(v[i], v[i - 1]);
	}
}
END_TEST

/* strsort_suite - all of the above */
static Suite *
strsort_suite(void)
{
	Suite *s = suite_create("strsort");
	TCase *tc = tcase_create("sort");

	tcase_add_loop_test(tc, sorts_as_strcmp_does, 0, 10);
	tcase_add_test(tc, equal_strings_keep_their_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(strsort_suite());
}
