/*
 * check_validate - the syntax checks in front of every table
 *
 * Table-driven: each row is an input and the exact reason expected (NULL
 * when the value must be accepted). Lengths are given where the input
 * holds a NUL byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "testlib.h"
#include "validate.h"

struct vcase {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *why;	/* NULL: accepted */
};

#define OK(s)		{ s, 0, NULL }
#define BAD(s, w)	{ s, 0, w }
#define BADN(s, n, w)	{ s, n, w }

static const struct vcase domains[] = {
	OK("example.com"),
	OK("a.b"),
	OK("mail.example.com"),
	OK("a-b.example.com"),
	OK("a--b.example.com"),
	OK("xn--bcher-kva.example"),
	OK("1.example.com"),
	OK("0.0.0.example"),
	OK("example.123a"),
	OK("a1.b2"),
	BAD("", "empty domain"),
	BAD("example", "domain needs at least two labels"),
	BAD("com", "domain needs at least two labels"),
	BAD("Example.com", "uppercase letter in domain"),
	BAD("example.COM", "uppercase letter in domain"),
	BAD(".example.com", "domain starts with a dot"),
	BAD("example.com.", "domain ends with a dot"),
	BAD(".", "domain starts with a dot"),
	BAD("a..b", "empty label in domain"),
	BAD("-a.com", "label starts with a hyphen"),
	BAD("a-.com", "label ends with a hyphen"),
	BAD("a.-com", "label starts with a hyphen"),
	BAD("a.com-", "label ends with a hyphen"),
	BAD("1.2.3.4", "top-level label is all digits"),
	BAD("example.123", "top-level label is all digits"),
	BAD("*", "invalid character in domain"),
	BAD("*.example.com", "invalid character in domain"),
	BAD("a_b.example.com", "invalid character in domain"),
	BAD("@example.com", "invalid character in domain"),
	BAD("[192.0.2.1]", "invalid character in domain"),
	BAD("exa/mple.com", "invalid character in domain"),
	BAD("exa mple.com", "contains white space"),
	BAD("exa\tmple.com", "contains white space"),
	BAD("example.com\n", "contains a line break"),
	BAD("example.com\r", "contains a line break"),
	BADN("a\0b.com", 7, "contains a NUL byte"),
	BAD("a\001.com", "contains a control character"),
	BAD("a\177.com", "contains a control character"),
	BAD("b\xc3\xbc" "cher.de", "contains a non-ASCII byte"),
	BAD("\xff\xfe.com", "contains a non-ASCII byte"),
	BAD("example.com#x", "contains '#'"),
	BAD("a,b.com", "contains ','"),
	BAD("a:b.com", "contains ':'"),
};

static const struct vcase addresses[] = {
	OK("a@example.com"),
	OK("john.doe@example.com"),
	OK("john+tag@example.com"),
	OK("john+@example.com"),
	OK("0@example.com"),
	OK("a!$%&'*+-/=?^_`{|}~z@example.com"),
	OK("user@sub.example.co.uk"),
	OK("a.b.c@xn--bcher-kva.example"),
	BAD("", "empty address"),
	BAD("a@b.com\n", "contains a line break"),
	BAD("a b@x.com", "contains white space"),
	BAD(" a@x.com", "contains white space"),
	BAD("@example.com", "empty local part"),
	BAD("example.com", "no '@' in address"),
	BAD(".example.com", "no '@' in address"),
	BAD("*", "no '@' in address"),
	BAD("a@example.com#x", "contains '#'"),
	BAD("a#b@example.com", "contains '#'"),
	BAD("A@example.com", "uppercase letter in local part"),
	BAD("john.Doe@example.com", "uppercase letter in local part"),
	BAD("a@Example.com", "uppercase letter in domain"),
	BAD("j\xc3\xb6hn@example.com", "contains a non-ASCII byte"),
	BAD("j\xc3@example.com", "contains a non-ASCII byte"),
	BAD("a@ex\xe4mple.com", "contains a non-ASCII byte"),
	BAD("\"john\"@example.com", "quoted local parts are not supported"),
	BAD("jo\"hn@example.com", "quoted local parts are not supported"),
	BAD("\"john doe\"@example.com", "contains white space"),
	BAD("a@b@example.com", "more than one '@' in address"),
	BAD("a@", "empty domain"),
	BAD("a.@example.com", "local part ends with a dot"),
	BAD(".a@example.com", "local part starts with a dot"),
	BAD("a..b@example.com", "two dots in a row in local part"),
	BAD("a@example", "domain needs at least two labels"),
	BAD("a@1.2.3.4", "top-level label is all digits"),
	BAD("a@[192.0.2.1]", "invalid character in domain"),
	BAD("a@example.com.", "domain ends with a dot"),
	BAD("a@.example.com", "domain starts with a dot"),
	BAD("a@*", "invalid character in domain"),
	BAD("a(b)@example.com", "invalid character in local part"),
	BAD("a\\b@example.com", "invalid character in local part"),
	BAD("a<b>@example.com", "invalid character in local part"),
	BAD("a;b@example.com", "invalid character in local part"),
	BADN("a\0@example.com", 15, "contains a NUL byte"),
	BADN("a@example.com\0", 14, "contains a NUL byte"),
	BAD("a,b@example.com", "contains ','"),
	BAD("a:b@example.com", "contains ':'"),
	BAD("a@b.com\r\nrcpt@evil.example", "contains a line break"),
	BAD("a\033[1m@example.com", "contains a control character"),
};

static const struct vcase nexthops[] = {
	OK("smtp:relay.example.com"),
	OK("smtp:relay.example.com:25"),
	OK("smtp:relay.example.com:1"),
	OK("smtp:relay.example.com:65535"),
	OK("smtp:[relay.example.com]"),
	OK("smtp:[relay.example.com]:25"),
	OK("lmtp:[192.0.2.1]:2400"),
	OK("relay:[192.0.2.1]"),
	OK("relay:[0.0.0.0]"),
	OK("smtp:[255.255.255.255]:25"),
	OK("smtp:[ipv6:2001:db8::1]"),
	OK("smtp:[ipv6:2001:db8::1]:25"),
	OK("smtp:[ipv6:::1]"),
	OK("smtp:[ipv6:::]"),
	OK("smtp:[ipv6:fe80::]"),
	OK("smtp:[ipv6:2001:db8:0:0:0:0:0:1]"),
	OK("smtp:[ipv6:1:2:3:4:5:6:7::]"),
	OK("smtp:[ipv6:::ffff:192.0.2.1]:25"),
	OK("smtp:[ipv6:0:0:0:0:0:ffff:192.0.2.1]"),
	BAD("", "empty nexthop"),
	BAD("relay.example.com", "no ':' between transport and destination"),
	BAD(":relay.example.com", "empty transport"),
	BAD(":", "empty transport"),
	BAD("smtp:", "empty destination"),
	BAD("esmtp:relay.example.com", "transport not in the allowed list"),
	BAD("SMTP:relay.example.com", "transport not in the allowed list"),
	BAD("smt:relay.example.com", "transport not in the allowed list"),
	BAD("smtpx:relay.example.com", "transport not in the allowed list"),
	BAD("local:relay.example.com", "transport not in the allowed list"),
	BAD("smtp:relay.example.com:0", "port out of range 1..65535"),
	BAD("smtp:relay.example.com:65536", "port out of range 1..65535"),
	BAD("smtp:relay.example.com:100000", "port out of range 1..65535"),
	BAD("smtp:relay.example.com:025", "port has a leading zero"),
	BAD("smtp:relay.example.com:smtp", "port is not a number"),
	BAD("smtp:relay.example.com:-25", "port is not a number"),
	BAD("smtp:relay.example.com:", "empty port"),
	BAD("smtp:relay.example.com:25:26", "port is not a number"),
	BAD("smtp:[relay.example.com]:", "empty port"),
	BAD("smtp:[relay.example.com]:0", "port out of range 1..65535"),
	BAD("smtp:[relay.example.com", "missing ']'"),
	BAD("smtp:[relay.example.com]x", "garbage after ']'"),
	BAD("smtp:[relay.example.com]]", "garbage after ']'"),
	BAD("smtp:[]", "empty host in brackets"),
	BAD("smtp:[2001:db8::1]", "IPv6 address needs the ipv6: prefix"),
	BAD("smtp:[::1]:25", "IPv6 address needs the ipv6: prefix"),
	BAD("smtp:[IPv6:2001:db8::1]", "write the ipv6: prefix in lowercase"),
	BAD("smtp:[ipv6:2001:DB8::1]", "uppercase in IPv6 address"),
	BAD("smtp:[ipv6:]", "invalid IPv6 address"),
	BAD("smtp:[ipv6::]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:2001:db8::1::2]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:12345::1]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:1:2:3:4:5:6:7:8:9]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:1:2:3:4:5:6:7]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:1:2:3:4:5:6:7:8::]", "invalid IPv6 address"),
	BAD("smtp:[ipv6::1:2]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:1:2:]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:fe80::1%eth0]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:g::1]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:::ffff:256.0.0.1]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:::ffff:1.2.3]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:1.2.3.4::]", "invalid IPv6 address"),
	BAD("smtp:[ipv6:2001:db8::1]:65536", "port out of range 1..65535"),
	BAD("smtp:[1.2.3]", "invalid IPv4 address"),
	BAD("smtp:[1.2.3.256]", "invalid IPv4 address"),
	BAD("smtp:[01.2.3.4]", "invalid IPv4 address"),
	BAD("smtp:[1.2.3.4.5]", "invalid IPv4 address"),
	BAD("smtp:[1..3.4]", "invalid IPv4 address"),
	BAD("smtp:[1234.2.3.4]", "invalid IPv4 address"),
	BAD("smtp:1.2.3.4", "top-level label is all digits"),
	BAD("smtp:relay", "domain needs at least two labels"),
	BAD("smtp:Relay.example.com", "uppercase letter in domain"),
	BAD("smtp:*", "invalid character in domain"),
	BAD("smtp:[*]", "invalid character in domain"),
	BAD("smtp:.example.com", "domain starts with a dot"),
	BAD("smtp:relay.example.com.", "domain ends with a dot"),
	BAD("smtp:relay.example.com, smtp:other.example.com", "contains ','"),
	BAD("smtp:[192.0.2.1],[192.0.2.2]", "contains ','"),
	BAD("smtp:relay.example.com smtp:x.example.com",
	    "contains white space"),
	BAD("smtp:relay.example.com\n", "contains a line break"),
	BAD("smtp:relay.example.com\nx@example.com smtp:evil.example",
	    "contains a line break"),
	BAD("smtp:relay.example.com#x", "contains '#'"),
	BAD("smtp:relay.ex\xc3\xa4mple.com", "contains a non-ASCII byte"),
	BAD("smtp:relay.example.com\001", "contains a control character"),
	BAD("lmtp:unix:/var/run/lmtp", "inet: and unix: destinations are not supported"),
	BAD("lmtp:inet:core.example.com:2400",
	    "inet: and unix: destinations are not supported"),
	BAD("smtp:inet:relay.example.com",
	    "inet: and unix: destinations are not supported"),
};

static const char *const transports[] = { "smtp", "lmtp", "relay" };

/* check_case - run one row through fn and compare the reason */
static void
check_case(int (*fn)(const char *, size_t, const char **),
    const struct vcase *t)
{
	const char *why = "unset";
	size_t len = t->len ? t->len : strlen(t->in);
	int rc;

	rc = fn(t->in, len, &why);
	if (t->why == NULL) {
		ck_assert_msg(rc == 0, "\"%s\" refused: %s", t->in,
		    why ? why : "(null)");
		ck_assert_ptr_null(why);
	} else {
		ck_assert_msg(rc == ERR_INVAL, "\"%s\" accepted", t->in);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, t->why);
	}
	/* why may be NULL: same verdict */
	ck_assert_int_eq(fn(t->in, len, NULL), rc);
}

START_TEST(test_domain)
{
	check_case(validate_domain, &domains[_i]);
}
END_TEST

START_TEST(test_address)
{
	check_case(validate_address, &addresses[_i]);
}
END_TEST

START_TEST(test_nexthop)
{
	const struct vcase *t = &nexthops[_i];
	const char *why = "unset";
	int rc;

	rc = validate_nexthop(t->in, transports, 3, &why);
	if (t->why == NULL) {
		ck_assert_msg(rc == 0, "\"%s\" refused: %s", t->in,
		    why ? why : "(null)");
		ck_assert_ptr_null(why);
	} else {
		ck_assert_msg(rc == ERR_INVAL, "\"%s\" accepted", t->in);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, t->why);
	}
	ck_assert_int_eq(validate_nexthop(t->in, transports, 3, NULL), rc);
}
END_TEST

/* repeat - n copies of c, NUL-terminated (free()) */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

START_TEST(test_domain_lengths)
{
	char buf[600], *l63 = repeat('a', 63), *l64 = repeat('b', 64);
	const char *why;

	/* a label of 63 bytes is fine, 64 is not */
	snprintf(buf, sizeof buf, "%s.example.com", l63);
	ck_assert_int_eq(validate_domain(buf, strlen(buf), &why), 0);
	snprintf(buf, sizeof buf, "%s.example.com", l64);
	ck_assert_int_eq(validate_domain(buf, strlen(buf), &why), ERR_INVAL);
	ck_assert_str_eq(why, "label longer than 63 bytes");
	snprintf(buf, sizeof buf, "example.%s", l64);
	ck_assert_int_eq(validate_domain(buf, strlen(buf), &why), ERR_INVAL);
	ck_assert_str_eq(why, "label longer than 63 bytes");

	/* 4 * 63 + 3 dots = 255; trimmed to 253 it passes */
	snprintf(buf, sizeof buf, "%s.%s.%s.%s", l63, l63, l63, l63);
	ck_assert_uint_eq(strlen(buf), 255);
	ck_assert_int_eq(validate_domain(buf, 255, &why), ERR_INVAL);
	ck_assert_str_eq(why, "domain longer than 253 bytes");
	ck_assert_int_eq(validate_domain(buf, 254, &why), ERR_INVAL);
	ck_assert_str_eq(why, "domain longer than 253 bytes");
	ck_assert_int_eq(validate_domain(buf, 253, &why), 0);

	/* the length given is what counts, not the NUL */
	ck_assert_int_eq(validate_domain("example.com.evil", 11, &why), 0);
	ck_assert_int_eq(validate_domain(NULL, 0, &why), ERR_INVAL);
	ck_assert_str_eq(why, "empty domain");
	free(l63);
	free(l64);
}
END_TEST

START_TEST(test_address_lengths)
{
	char buf[700], *l64 = repeat('x', 64), *l65 = repeat('y', 65);
	char *l63 = repeat('d', 63);
	const char *why;

	snprintf(buf, sizeof buf, "%s@example.com", l64);
	ck_assert_int_eq(validate_address(buf, strlen(buf), &why), 0);
	snprintf(buf, sizeof buf, "%s@example.com", l65);
	ck_assert_int_eq(validate_address(buf, strlen(buf), &why), ERR_INVAL);
	ck_assert_str_eq(why, "local part longer than 64 bytes");

	/* 64 + 1 + 189 = 254: the longest address */
	snprintf(buf, sizeof buf, "%s@%s.%s.%.61s", l64, l63, l63, l63);
	ck_assert_uint_eq(strlen(buf), 254);
	ck_assert_int_eq(validate_address(buf, 254, &why), 0);
	snprintf(buf, sizeof buf, "%s@%s.%s.%.62s", l64, l63, l63, l63);
	ck_assert_uint_eq(strlen(buf), 255);
	ck_assert_int_eq(validate_address(buf, 255, &why), ERR_INVAL);
	ck_assert_str_eq(why, "address longer than 254 bytes");

	/* a valid prefix does not make a valid address */
	ck_assert_int_eq(validate_address("a@example.com", 12, &why), 0);
	ck_assert_int_eq(validate_address("a@example.com", 2, &why),
	    ERR_INVAL);
	ck_assert_str_eq(why, "empty domain");
	ck_assert_int_eq(validate_address(NULL, 0, &why), ERR_INVAL);
	ck_assert_str_eq(why, "empty address");
	free(l63);
	free(l64);
	free(l65);
}
END_TEST

START_TEST(test_nexthop_lists)
{
	static const char *const only_relay[] = { "relay-out" };
	static const char *const with_null[] = { NULL, "smtp" };
	const char *why;

	/* an empty or missing list allows nothing */
	ck_assert_int_eq(validate_nexthop("smtp:relay.example.com",
	    transports, 0, &why), ERR_INVAL);
	ck_assert_str_eq(why, "transport not in the allowed list");
	ck_assert_int_eq(validate_nexthop("smtp:relay.example.com", NULL, 3,
	    &why), ERR_INVAL);
	ck_assert_str_eq(why, "transport not in the allowed list");
	ck_assert_int_eq(validate_nexthop(NULL, transports, 3, &why),
	    ERR_INVAL);
	ck_assert_str_eq(why, "empty nexthop");

	/* exact match, whatever the list holds */
	ck_assert_int_eq(validate_nexthop("relay-out:[192.0.2.1]:25",
	    only_relay, 1, &why), 0);
	ck_assert_int_eq(validate_nexthop("relay:[192.0.2.1]:25",
	    only_relay, 1, &why), ERR_INVAL);
	ck_assert_int_eq(validate_nexthop("smtp:relay.example.com",
	    with_null, 2, &why), 0);

	/* long host names through the nexthop path */
	{
		char buf[400], *l64 = repeat('h', 64);

		snprintf(buf, sizeof buf, "smtp:[%s.example.com]:25", l64);
		ck_assert_int_eq(validate_nexthop(buf, transports, 3, &why),
		    ERR_INVAL);
		ck_assert_str_eq(why, "label longer than 63 bytes");
		free(l64);
	}
}
END_TEST

/* validate_suite - all of the above */
static Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_domain, 0,
	    (int)(sizeof domains / sizeof domains[0]));
	tcase_add_loop_test(tc, test_address, 0,
	    (int)(sizeof addresses / sizeof addresses[0]));
	tcase_add_loop_test(tc, test_nexthop, 0,
	    (int)(sizeof nexthops / sizeof nexthops[0]));
	tcase_add_test(tc, test_domain_lengths);
	tcase_add_test(tc, test_address_lengths);
	tcase_add_test(tc, test_nexthop_lists);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return testlib_main(validate_suite()); }
