/*
 * check_shard - shard paths, the hash administrators can reproduce, and
 * cutting a table into shards and joining it again
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "shard.h"
#include "testlib.h"

START_TEST(hash_is_fnv1a_32)
{
	/* The published FNV-1a test vectors. */
	static const struct {
		const char *in;
		uint32_t out;
	} v[] = {
		{ "", 0x811c9dc5u },
		{ "a", 0xe40c292cu },
		{ "foobar", 0xbf9cf968u },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++)
		ck_assert_uint_eq(shard_hash(v[i].in, strlen(v[i].in)),
		    v[i].out);
	ck_assert_uint_eq(shard_of("foobar", 6, 4096), 0xbf9cf968u & 4095);
}
END_TEST

START_TEST(paths_have_one_level_per_hex_digit)
{
	static const struct {
		size_t i, n;
		const char *path;
	} v[] = {
		{ 0x3, 16, "transport.d/3" },
		{ 0xf0, 256, "transport.d/f/0" },
		{ 0x3fa, 4096, "transport.d/3/f/a" },
		{ 0x3fa1, 65536, "transport.d/3/f/a/1" },
		{ 0, 4096, "transport.d/0/0/0" },
	};
	char out[SHARD_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++) {
		ck_assert_int_eq(shard_path(out, sizeof out, "transport.d",
		    v[i].i, v[i].n), 0);
		ck_assert_str_eq(out, v[i].path);
	}
	/* Too small for the path: refused, never cut short. */
	ck_assert_int_eq(shard_path(out, 12, "transport.d", 1, 16), ERR_INVAL);
}
END_TEST

START_TEST(split_then_join_gives_the_table_back)
{
	struct buf table = BUF_INIT, joined = BUF_INIT, *parts;
	size_t i, n = 16, lines = 0, total = 0;
	char line[128];

	/* A sorted table whose keys share prefixes (u1@, u10@, u100@). */
	for (i = 0; i < 500; i++) {
		snprintf(line, sizeof line, "u%zu@example.com smtp:[h%zu]:25\n",
		    i, i % 7);
		ck_assert_int_eq(buf_puts(&table, line), 0);
	}
	ck_assert_int_eq(shard_join_sorted(&table, 1, &joined), 0);
	buf_reset(&table);
	ck_assert_int_eq(buf_append(&table, joined.data, joined.len), 0);
	buf_reset(&joined);
	parts = calloc(n, sizeof *parts);
	ck_assert_ptr_nonnull(parts);
	ck_assert_int_eq(shard_split(table.data, table.len, ' ', n, parts), 0);
	for (i = 0; i < n; i++) {
		const char *p = parts[i].data, *end = p + parts[i].len;

		total += parts[i].len;
		/* every line is in the shard of its key */
		while (p && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t klen = strcspn(p, " ");

			ck_assert_ptr_nonnull(nl);
			ck_assert_uint_eq(shard_of(p, klen, n), i);
			lines++;
			p = nl + 1;
		}
	}
	ck_assert_uint_eq(lines, 500);
	ck_assert_uint_eq(total, table.len);
	ck_assert_int_eq(shard_join_sorted(parts, n, &joined), 0);
	ck_assert_uint_eq(joined.len, table.len);
	ck_assert_mem_eq(joined.data, table.data, table.len);
	for (i = 0; i < n; i++)
		buf_free(&parts[i]);
	free(parts);
	buf_free(&table);
	buf_free(&joined);
}
END_TEST

START_TEST(a_last_line_without_newline_gets_one)
{
	struct buf parts[16], joined = BUF_INIT;
	size_t i;

	for (i = 0; i < 16; i++)
		buf_init(&parts[i]);
	ck_assert_int_eq(shard_split("b 2\na 1", 7, ' ', 16, parts), 0);
	ck_assert_int_eq(shard_join_sorted(parts, 16, &joined), 0);
	ck_assert_uint_eq(joined.len, 8);
	ck_assert_mem_eq(joined.data, "a 1\nb 2\n", 8);
	for (i = 0; i < 16; i++)
		buf_free(&parts[i]);
	buf_free(&joined);
}
END_TEST

/* shard_suite - the cases */
static Suite *
shard_suite(void)
{
	Suite *s = suite_create("shard");
	TCase *tc = tcase_create("shard");

	tcase_add_test(tc, hash_is_fnv1a_32);
	tcase_add_test(tc, paths_have_one_level_per_hex_digit);
	tcase_add_test(tc, split_then_join_gives_the_table_back);
	tcase_add_test(tc, a_last_line_without_newline_gets_one);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(shard_suite());
}
