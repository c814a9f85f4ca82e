/*
 * check_hash - the published SHA-1 test vectors through hash_sha1 (any
 * split of the input giving the same digest), and hash64
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "testlib.h"

/* hex - the digest of data as hex, into out (41 bytes) */
static void
hex(const void *data, size_t len, size_t step, char out[41])
{
	unsigned char d[HASH_SHA1_LEN];
	hash_sha1_ctx c;
	size_t i, n;

	hash_sha1_init(&c);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		hash_sha1_update(&c, (const char *)data + i, n);
	}
	hash_sha1_final(&c, d);
	for (i = 0; i < HASH_SHA1_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

START_TEST(vectors)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	static char million[1000000];
	static const size_t steps[] = { 1, 3, 63, 64, 65, 1000, 1000000 };
	char out[41];
	size_t i, j;

	for (i = 0; i < sizeof v / sizeof *v; i++)
		for (j = 0; j < sizeof steps / sizeof *steps; j++) {
			hex(v[i].in, strlen(v[i].in), steps[j], out);
			ck_assert_str_eq(out, v[i].out);
		}
	memset(million, 'a', sizeof million);
	for (j = 0; j < sizeof steps / sizeof *steps; j++) {
		if (steps[j] < 63)
			continue;       /* the long one byte by byte is slow */
		hex(million, sizeof million, steps[j], out);
		ck_assert_str_eq(out, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	}
}
END_TEST

/* hash64 is a function of the bytes; hash64_lower of their lowercase;
 * the low bits a map uses spread over the buckets */
START_TEST(hash64_spreads)
{
	static unsigned buckets[64];
	char key[32];
	unsigned i, lo = UINT32_MAX, hi = 0;

	ck_assert_uint_eq(hash64("abc", 3), hash64("abc", 3));
	ck_assert_uint_ne(hash64("abc", 3), hash64("abd", 3));
	ck_assert_uint_ne(hash64("abc", 3), hash64("ABC", 3));
	ck_assert_uint_eq(hash64_lower("ABC", 3), hash64("abc", 3));
	ck_assert_uint_eq(hash64_lower("uid=A,dc=X", 10),
	    hash64("uid=a,dc=x", 10));
	ck_assert_uint_ne(hash64("", 0), hash64("\0", 1));
	for (i = 0; i < 64000; i++) {
		snprintf(key, sizeof key, "user%u@example.com", i);
		buckets[hash64(key, strlen(key)) & 63]++;
	}
	for (i = 0; i < 64; i++) {
		lo = buckets[i] < lo ? buckets[i] : lo;
		hi = buckets[i] > hi ? buckets[i] : hi;
	}
	/* 1000 expected per bucket */
	ck_assert_msg(lo > 850 && hi < 1150, "buckets %u..%u", lo, hi);
}
END_TEST

/* hash_suite - the cases */
static Suite *
hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("hash");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, hash64_spreads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(hash_suite());
}
