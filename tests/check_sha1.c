/*
 * check_sha1 - the published SHA-1 test vectors, and any split of the
 * input giving the same digest
 */
#include <stdio.h>
#include <string.h>

#include "sha1.h"
#include "testlib.h"

/* hex - the digest of data as hex, into out (41 bytes) */
static void
hex(const void *data, size_t len, size_t step, char out[41])
{
	unsigned char d[SHA1_LEN];
	struct sha1 c;
	size_t i, n;

	sha1_init(&c);
	for (i = 0; i < len; i += n) {
		n = len - i < step ? len - i : step;
		sha1_update(&c, (const char *)data + i, n);
	}
	sha1_final(&c, d);
	for (i = 0; i < SHA1_LEN; i++)
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

/* sha1_suite - the cases */
static Suite *
sha1_suite(void)
{
	Suite *s = suite_create("sha1");
	TCase *tc = tcase_create("sha1");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vectors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(sha1_suite());
}
