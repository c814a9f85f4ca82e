/*
 * check_dn - DN normal forms: the plain form against libldap's over
 * written, generated and hostile DNs; hashes; the uniqueMember suffix;
 * what the plain form saves
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

#include "buf.h"
#include "dn.h"
#include "entry.h"
#include "errors.h"
#include "hash.h"
#include "testlib.h"

#define GENERATED 200000

/* expect - an assertion that costs nothing when it holds (Check's own
 * tell the parent process about each one) */
#define expect(cond, ...) do { \
	if (!(cond)) \
		ck_abort_msg(__VA_ARGS__); \
} while (0)

/* reference - libldap's normal form lowercased, as splitsync always
 * compared DNs: 0 and *out (free()), or ERR_INVAL */
static int
reference(const char *dn, size_t len, char **out)
{
	char *copy, *norm = NULL, *p;
	int rc;

	*out = NULL;
	if (memchr(dn, '\0', len) != NULL)
		return ERR_INVAL;
	copy = strndup(dn, len);
	expect(copy != NULL, "out of memory");
	rc = ldap_dn_normalize(copy, LDAP_DN_FORMAT_LDAPV3, &norm,
	    LDAP_DN_FORMAT_LDAPV3);
	free(copy);
	expect(rc != LDAP_NO_MEMORY, "out of memory");
	if (rc != LDAP_SUCCESS)
		return ERR_INVAL;
	*out = strdup(norm ? norm : "");
	expect(*out != NULL, "out of memory");
	ldap_memfree(norm);
	for (p = *out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

/* agree - dn_normalize gives libldap's answer for dn; 1 when the plain
 * form took it */
static int
agree(const char *dn, size_t len)
{
	struct buf got = BUF_INIT, fast = BUF_INIT;
	char *want, *shown;
	uint64_t h;
	int rc, ref, quick, hrc;

	ref = reference(dn, len, &want);
	rc = dn_normalize(dn, len, &got);
	hrc = dn_hash(dn, len, &h);
	shown = strndup(dn, len);
	expect(shown != NULL, "out of memory");
	expect(rc == ref, "\"%s\": rc %d, libldap %d", shown, rc, ref);
	if (rc == 0) {
		expect(got.len == strlen(want) && strcmp(got.data ?
		    got.data : "", want) == 0, "\"%s\": \"%s\", libldap \"%s\"",
		    shown, got.data ? got.data : "", want);
		if (want[0])
			expect(hrc == 0 && (h == hash64(want, strlen(want)) ||
			    (h == 1 && hash64(want, strlen(want)) == 0)),
			    "\"%s\": hash", shown);
		else
			expect(hrc == ERR_INVAL && h == DN_HASH_NONE,
			    "\"%s\": hash of the empty DN", shown);
	} else {
		expect(got.len == 0, "\"%s\": output left", shown);
		expect(hrc == ERR_INVAL && h == DN_HASH_NONE, "\"%s\": hash",
		    shown);
	}
	quick = dn_normalize_plain(dn, len, &fast);
	expect(quick == 0 || quick == ERR_NOTFOUND, "\"%s\": plain rc %d",
	    shown, quick);
	if (quick == 0)
		expect(rc == 0 && strcmp(fast.data, got.data) == 0,
		    "\"%s\": plain \"%s\"", shown, fast.data);
	free(want);
	free(shown);
	buf_free(&got);
	buf_free(&fast);
	return quick == 0;
}

/* Written cases: what each gives, and whether it is plain. */
static const struct {
	const char *dn;
	int rc;
	const char *norm;
	int plain;
} cases[] = {
	{ "uid=alice,ou=people,dc=example,dc=com", 0,
	  "uid=alice,ou=people,dc=example,dc=com", 1 },
	{ "UID=Alice, OU=People, DC=Example, DC=Com", 0,
	  "uid=alice,ou=people,dc=example,dc=com", 1 },
	{ "  cn = John  Smith , dc = x  ", 0, "cn=john  smith,dc=x", 1 },
	{ "cn=a%b*c(d)e/f:g?h@i[j]k{l}m|n~o!p$q&r's`t^u_v.w#x", 0,
	  "cn=a%b*c(d)e/f:g?h@i[j]k{l}m|n~o!p$q&r's`t^u_v.w#x", 1 },
	{ "c-n=x", 0, "c-n=x", 1 },
	{ "", 0, "", 1 },
	{ "cn=Smith\\, John,dc=x", 0, "cn=smith\\2c john,dc=x", 0 },
	{ "cn=\\41", 0, "cn=a", 0 },
	{ "cn=#41,dc=x", 0, "cn=#41,dc=x", 0 },
	{ "cn=a+sn=b,dc=x", 0, "cn=a+sn=b,dc=x", 0 },
	{ "cn=a=b", 0, "cn=a\\3db", 0 },
	{ "uid=Ren\xc3\xa9", 0, "uid=ren\\c3\\a9", 0 },
	{ "2.5.4.3=a", 0, "2.5.4.3=a", 0 },
	{ "cn;x-opt=a", 0, "cn=a", 0 },
	{ "cn=a\tb", 0, "cn=a\tb", 0 },
	{ "cn=,dc=x", 0, "cn=,dc=x", 0 },
	{ "cn=a\\20", 0, "cn=a\\20", 0 },
	{ "   ", ERR_INVAL, NULL, 0 },
	{ "not a dn", ERR_INVAL, NULL, 0 },
	{ "cn=a;dc=x", ERR_INVAL, NULL, 0 },
	{ "cn=a,,dc=x", ERR_INVAL, NULL, 0 },
	{ "cn=a,dc=x,", ERR_INVAL, NULL, 0 },
	{ ",cn=a", ERR_INVAL, NULL, 0 },
	{ "=a", ERR_INVAL, NULL, 0 },
	{ "cn=a\"b", ERR_INVAL, NULL, 0 },
	{ "cn=a<b", ERR_INVAL, NULL, 0 },
	{ "1cn=a", ERR_INVAL, NULL, 0 },
	{ "cn_x=a", ERR_INVAL, NULL, 0 },
	{ "cn=a\\", ERR_INVAL, NULL, 0 },
};

START_TEST(test_cases)
{
	struct buf out = BUF_INIT;
	const char *dn = cases[_i].dn;
	int rc;

	rc = dn_normalize(dn, strlen(dn), &out);
	ck_assert_msg(rc == cases[_i].rc, "\"%s\": rc %d", dn, rc);
	if (rc == 0)
		ck_assert_str_eq(out.data ? out.data : "", cases[_i].norm);
	ck_assert_msg(agree(dn, strlen(dn)) == cases[_i].plain,
	    "\"%s\": plain or not", dn);
	buf_free(&out);
}
END_TEST

/* next - a 64-bit xorshift, the same sequence every run */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* pick - one byte of the set */
static char
pick(uint64_t *s, const char *set)
{
	return set[next(s) % strlen(set)];
}

/* generated - DNs built as directories build them, with spaces, case
 * and now and then a byte from anywhere */
static size_t
generated(struct buf *b, uint64_t *s)
{
	static const char *const types[] = {
		"uid", "CN", "ou", "Dc", "o", "c", "l", "mail", "x-500id",
		"st", "2.5.4.3", "cn;lang-de"
	};
	static const char value[] =
	    "abcxyzABCXYZ0189 .-_@'!$%&*()/:?[]{}|~^`#";
	static const char rare[] =
	    "\\,+\"<>;=#\t\r\n\x01\x7f\x80\xc3\xa9\xff ";
	size_t rdns = 1 + next(s) % 5, i, j, n;
	int rc = 0;

	buf_reset(b);
	for (i = 0; i < rdns; i++) {
		if (i)
			rc |= buf_putc(b, ',');
		while (next(s) % 4 == 0)
			rc |= buf_putc(b, ' ');
		rc |= buf_puts(b, types[next(s) % (sizeof types /
		    sizeof *types)]);
		while (next(s) % 4 == 0)
			rc |= buf_putc(b, ' ');
		rc |= buf_putc(b, '=');
		n = next(s) % 12;
		for (j = 0; j < n; j++)
			rc |= buf_putc(b, next(s) % 40 == 0 ?
			    pick(s, rare) : pick(s, value));
		while (next(s) % 4 == 0)
			rc |= buf_putc(b, ' ');
	}
	expect(rc == 0, "out of memory");
	return b->len;
}

/* noise - any bytes of a DN's alphabet, in any order */
static size_t
noise(struct buf *b, uint64_t *s)
{
	static const char set[] = "cn=a, =+\\#\"0f;<>\t";
	size_t n = next(s) % 16, i;
	int rc = 0;

	buf_reset(b);
	for (i = 0; i < n; i++)
		rc |= buf_putc(b, pick(s, set));
	expect(rc == 0, "out of memory");
	return b->len;
}

START_TEST(test_generated)
{
	struct buf b = BUF_INIT;
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t i, quick = 0, len;

	for (i = 0; i < GENERATED; i++) {
		len = i % 4 == 3 ? noise(&b, &s) : generated(&b, &s);
		quick += (size_t)agree(b.data ? b.data : "", len);
	}
	/* most of the built ones are plain; the rest went to libldap */
	ck_assert_uint_gt(quick, GENERATED / 4);
	ck_assert_uint_lt(quick, GENERATED);
	buf_free(&b);
}
END_TEST

/* Long, deep and binary DNs. */
START_TEST(test_hostile)
{
	struct buf b = BUF_INIT;
	size_t i;
	uint64_t h;

	/* a NUL byte: no DN, whatever follows */
	ck_assert_int_eq(dn_normalize("cn=a\0b", 6, &b), ERR_INVAL);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(dn_hash("cn=a\0b", 6, &h), ERR_INVAL);
	ck_assert(h == DN_HASH_NONE);
	/* only the bytes given count */
	ck_assert_int_eq(dn_normalize("cn=A,dc=X garbage", 9, &b), 0);
	ck_assert_str_eq(b.data, "cn=a,dc=x");
	/* 64 KiB of RDNs, plain, then the same with an escape */
	buf_reset(&b);
	for (i = 0; b.len < 65536; i++)
		ck_assert_int_eq(buf_printf(&b, "%sOU=Unit %zu", i ? ", " : "",
		    i), 0);
	ck_assert_int_eq(agree(b.data, b.len), 1);
	ck_assert_int_eq(buf_puts(&b, ",cn=x\\2c"), 0);
	ck_assert_int_eq(agree(b.data, b.len), 0);
	/* one huge value, spaces and escapes */
	buf_reset(&b);
	ck_assert_int_eq(buf_puts(&b, "cn="), 0);
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(buf_putc(&b, i % 7 ? 'x' : ' '), 0);
	ck_assert_int_eq(agree(b.data, b.len), 1);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_puts(&b, "\\5c"), 0);
	ck_assert_int_eq(agree(b.data, b.len), 0);
	/* every single byte after a type */
	for (i = 1; i < 256; i++) {
		char dn[8] = "cn=a?b";

		dn[4] = (char)i;
		agree(dn, 6);
		dn[3] = (char)i;
		agree(dn, 6);
	}
	buf_free(&b);
}
END_TEST

/* Spellings of one DN hash alike; other DNs do not; what entry.c
 * gives is the normal form too. */
START_TEST(test_hash)
{
	static const char *const same[] = {
		"uid=bob,ou=people,dc=example,dc=com",
		"UID=Bob, OU=People, DC=Example, DC=Com",
		"uid=\\62ob,ou=people,dc=example,dc=com",
		" uid = bob ,ou=people,dc=example,dc=com ",
	};
	uint64_t first, h;
	char *norm;
	size_t i;

	ck_assert_int_eq(dn_hash(same[0], strlen(same[0]), &first), 0);
	ck_assert(first != DN_HASH_NONE);
	for (i = 1; i < sizeof same / sizeof *same; i++) {
		ck_assert_int_eq(dn_hash(same[i], strlen(same[i]), &h), 0);
		ck_assert_msg(h == first, "%s", same[i]);
		ck_assert_int_eq(entry_dn_normalize(same[i], &norm), 0);
		ck_assert_str_eq(norm, "uid=bob,ou=people,dc=example,dc=com");
		free(norm);
	}
	ck_assert_int_eq(dn_hash("uid=bob,ou=people", 17, &h), 0);
	ck_assert(h != first);
	ck_assert_int_eq(dn_hash("uid=bob\\,ou=people,dc=example,dc=com",
	    36, &h), 0);
	ck_assert(h != first);
	ck_assert_int_eq(dn_hash("", 0, &h), ERR_INVAL);
	ck_assert(h == DN_HASH_NONE);
	ck_assert_int_eq(dn_hash("not a dn", 8, &h), ERR_INVAL);
	ck_assert(h == DN_HASH_NONE);
	ck_assert_int_eq(entry_dn_normalize("not a dn", &norm), ERR_INVAL);
	ck_assert_ptr_null(norm);
}
END_TEST

START_TEST(test_strip_uid)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "uid=a,dc=x#'0101'B", "uid=a,dc=x" },
		{ "uid=a,dc=x#''B", "uid=a,dc=x" },
		{ "uid=a,dc=x", "uid=a,dc=x" },
		{ "uid=a\\#'01'B", "uid=a\\#'01'B" },
		{ "uid=a\\\\#'01'B", "uid=a\\\\" },
		{ "uid=a#'012'B", "uid=a#'012'B" },
		{ "#'1'B", "" },
		{ "'B", "'B" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof *v; i++)
		ck_assert_msg(dn_strip_uid(v[i].in, strlen(v[i].in)) ==
		    strlen(v[i].out), "%s", v[i].in);
}
END_TEST

/* by_ldap - what reference does, without assertions; 0 or -1 */
static int
by_ldap(const char *dn, char **out)
{
	char *norm = NULL, *p;

	*out = NULL;
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAPV3, &norm,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return -1;
	*out = strdup(norm ? norm : "");
	ldap_memfree(norm);
	if (*out == NULL)
		return -1;
	for (p = *out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

/* ms - milliseconds since start */
static double
ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* What the plain form saves on the DNs of a directory of 100 000
 * users, normalised once each: printed, and it must not be slower than
 * libldap's parser. */
START_TEST(test_cost)
{
	enum { N = 100000 };
	struct buf b = BUF_INIT;
	struct timespec t;
	double plain_ms, ldap_ms, hash_ms;
	char **dns, *norm;
	uint64_t h, sum = 0;
	size_t i, bad = 0;

	dns = calloc(N, sizeof *dns);
	ck_assert_ptr_nonnull(dns);
	for (i = 0; i < N; i++)
		ck_assert_int_ge(asprintf(&dns[i], "uid=user%zu,ou=People,"
		    "dc=example,dc=com", i), 0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	/* no assertion inside: each one is a message to Check's parent */
	for (i = 0; i < N; i++)
		bad += dn_normalize(dns[i], strlen(dns[i]), &b) != 0;
	plain_ms = ms(&t);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (i = 0; i < N; i++) {
		bad += dn_hash(dns[i], strlen(dns[i]), &h) != 0;
		sum += h;
	}
	hash_ms = ms(&t);
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (i = 0; i < N; i++) {
		bad += by_ldap(dns[i], &norm) != 0;
		free(norm);
	}
	ldap_ms = ms(&t);
	fprintf(stderr, "check_dn: %d DNs: plain form %.1f ms (hashed %.1f "
	    "ms), libldap %.1f ms\n", N, plain_ms, hash_ms, ldap_ms);
	ck_assert_uint_eq(bad, 0);
	ck_assert(sum != 0);
	ck_assert(plain_ms < ldap_ms);
	for (i = 0; i < N; i++)
		free(dns[i]);
	free(dns);
	buf_free(&b);
}
END_TEST

/* dn_suite - every test above */
static Suite *
dn_suite(void)
{
	Suite *s = suite_create("dn");
	TCase *tc = tcase_create("dn");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_cases, 0, sizeof cases / sizeof *cases);
	tcase_add_test(tc, test_generated);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_strip_uid);
	tcase_add_test(tc, test_cost);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(dn_suite()); }
