/*
 * validate - syntax checks for everything that reaches a table
 *
 * These are the last checks before a value is written into a Postfix
 * table, so they accept one canonical spelling and nothing else:
 *
 *	validate_domain: lowercase ASCII LDH labels of 1..63 bytes, no
 *	leading or trailing hyphen, at least two labels, 253 bytes at most,
 *	no trailing dot, and a top-level label that is not all digits (so
 *	"1.2.3.4" is not taken for a host name).
 *
 *	validate_address: exactly one '@'; a dot-atom local part (RFC 5321
 *	atext, lowercase only, 64 bytes at most); a domain as above; 254
 *	bytes at most (the RFC 5321 path limit less the angle brackets).
 *	Quoted local parts are refused: no table can key them safely.
 *
 *	validate_nexthop: "transport:destination" as transport(5) uses it,
 *	with a transport from the allowed list (exact match) and one of
 *	host, host:port, [host], [host]:port, [ipv4], [ipv4]:port,
 *	[ipv6:addr], [ipv6:addr]:port. The IPv6 form is the one smtp(8)
 *	documents ("[ipv6:address]"); a bare "[2001:db8::1]" is refused so
 *	that one route has one spelling. Ports are decimal 1..65535: a
 *	service name would depend on the services(5) file of whichever
 *	host runs Postfix, and the tables must mean the same everywhere.
 *	LMTP "inet:" and "unix:" destinations and nexthop lists are refused.
 *
 *	No value may contain white space, a line break, a control byte, a
 *	NUL, a non-ASCII byte, '#' or ',' (nor ':' outside a nexthop).
 * DIAGNOSTICS
 *	Each function returns 0 or ERR_INVAL; the reason is a short static
 *	string stored in *why when why is not NULL.
 */
#include <stddef.h>
#include <string.h>

#include "errors.h"
#include "validate.h"

#define DOMAIN_MAX	253
#define LABEL_MAX	63
#define LOCAL_MAX	64
#define ADDRESS_MAX	254
#define PORT_MAX	65535

/* refuse - store the reason, return ERR_INVAL */
static int
refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return ERR_INVAL;
}

/* pass - clear the reason, return 0 */
static int
pass(const char **why)
{
	if (why)
		*why = NULL;
	return 0;
}

/* is_lower - a..z (locale-independent) */
static int
is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

/* is_upper - A..Z */
static int
is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

/* is_digit - 0..9 */
static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* is_hex_lower - 0..9, a..f (the canonical IPv6 spelling) */
static int
is_hex_lower(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* hostile_byte - why a byte may never appear in any table value, or NULL */
static const char *
hostile_byte(unsigned char c)
{
	if (c == '\0')
		return "contains a NUL byte";
	if (c == '\n' || c == '\r')
		return "contains a line break";
	if (c == ' ' || c == '\t')
		return "contains white space";
	if (c < 0x20 || c == 0x7f)
		return "contains a control character";
	if (c >= 0x80)
		return "contains a non-ASCII byte";
	if (c == '#')
		return "contains '#'";
	if (c == ',')
		return "contains ','";
	return NULL;
}

/* scan_hostile - first hostile byte of s[0..len); ':' too unless allowed */
static const char *
scan_hostile(const char *s, size_t len, int colon_ok)
{
	const char *reason;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((reason = hostile_byte((unsigned char)s[i])) != NULL)
			return reason;
		if (!colon_ok && s[i] == ':')
			return "contains ':'";
	}
	return NULL;
}

/* is_atext - RFC 5321 atext, lowercase letters only */
static int
is_atext(unsigned char c)
{
	return is_lower(c) || is_digit(c)
	    || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* domain_check - validate_domain without the hostile-byte scan */
static int
domain_check(const char *s, size_t len, const char **why)
{
	size_t i, start, labels, n;
	int all_digits;
	unsigned char c;

	if (len == 0)
		return refuse(why, "empty domain");
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (is_upper(c))
			return refuse(why, "uppercase letter in domain");
		if (!is_lower(c) && !is_digit(c) && c != '-' && c != '.')
			return refuse(why, "invalid character in domain");
	}
	if (len > DOMAIN_MAX)
		return refuse(why, "domain longer than 253 bytes");
	if (s[0] == '.')
		return refuse(why, "domain starts with a dot");
	if (s[len - 1] == '.')
		return refuse(why, "domain ends with a dot");
	labels = 0;
	all_digits = 0;
	for (start = 0; start <= len; start += n + 1) {
		n = 0;
		all_digits = 1;
		while (start + n < len && s[start + n] != '.') {
			if (!is_digit((unsigned char)s[start + n]))
				all_digits = 0;
			n++;
		}
		if (n == 0)
			return refuse(why, "empty label in domain");
		if (n > LABEL_MAX)
			return refuse(why, "label longer than 63 bytes");
		if (s[start] == '-')
			return refuse(why, "label starts with a hyphen");
		if (s[start + n - 1] == '-')
			return refuse(why, "label ends with a hyphen");
		labels++;
	}
	if (labels < 2)
		return refuse(why, "domain needs at least two labels");
	if (all_digits)
		return refuse(why, "top-level label is all digits");
	return pass(why);
}

/* validate_domain - a lowercase DNS host name */
int
validate_domain(const char *s, size_t len, const char **why)
{
	const char *reason;

	if (s == NULL || len == 0)
		return refuse(why, "empty domain");
	if ((reason = scan_hostile(s, len, 0)) != NULL)
		return refuse(why, reason);
	return domain_check(s, len, why);
}

/* validate_address - local@domain with a lowercase dot-atom local part */
int
validate_address(const char *s, size_t len, const char **why)
{
	const char *reason, *at;
	size_t i, local;
	unsigned char c;

	if (s == NULL || len == 0)
		return refuse(why, "empty address");
	if ((reason = scan_hostile(s, len, 0)) != NULL)
		return refuse(why, reason);
	if (s[0] == '"')
		return refuse(why, "quoted local parts are not supported");
	if ((at = memchr(s, '@', len)) == NULL)
		return refuse(why, "no '@' in address");
	local = (size_t)(at - s);
	if (memchr(at + 1, '@', len - local - 1) != NULL)
		return refuse(why, "more than one '@' in address");
	if (len > ADDRESS_MAX)
		return refuse(why, "address longer than 254 bytes");
	if (local == 0)
		return refuse(why, "empty local part");
	if (local > LOCAL_MAX)
		return refuse(why, "local part longer than 64 bytes");
	for (i = 0; i < local; i++) {
		c = (unsigned char)s[i];
		if (c == '.')
			continue;
		if (is_upper(c))
			return refuse(why, "uppercase letter in local part");
		if (c == '"')
			return refuse(why, "quoted local parts are not supported");
		if (!is_atext(c))
			return refuse(why, "invalid character in local part");
	}
	if (s[0] == '.')
		return refuse(why, "local part starts with a dot");
	if (s[local - 1] == '.')
		return refuse(why, "local part ends with a dot");
	for (i = 1; i < local; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return refuse(why, "two dots in a row in local part");
	if (local + 1 == len)
		return refuse(why, "empty domain");
	return domain_check(at + 1, len - local - 1, why);
}

/* ipv4_ok - dotted quad, each part 0..255 without leading zeros */
static int
ipv4_ok(const char *s, size_t len)
{
	size_t i = 0, digits;
	unsigned value;
	int parts;

	for (parts = 0; parts < 4; parts++) {
		if (parts > 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
		value = 0;
		for (digits = 0; i < len && is_digit((unsigned char)s[i]);
		    digits++, i++) {
			if (digits == 3)
				return 0;
			value = value * 10 + (unsigned)(s[i] - '0');
		}
		if (digits == 0 || value > 255
		    || (digits > 1 && s[i - digits] == '0'))
			return 0;
	}
	return i == len;
}

/* ipv6_ok - RFC 4291 text form in lowercase, optional IPv4 tail */
static int
ipv6_ok(const char *s, size_t len)
{
	size_t i = 0, j, groups = 0;
	int compressed = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = 1;
		i = 2;
		if (i == len)
			return 1;
	} else if (len == 0 || s[0] == ':') {
		return 0;
	}
	for (;;) {
		for (j = i; j < len && is_hex_lower((unsigned char)s[j]); j++)
			;
		if (j < len && s[j] == '.') {
			/* an IPv4 tail ends the address and counts twice */
			if (!ipv4_ok(s + i, len - i))
				return 0;
			groups += 2;
			break;
		}
		if (j == i || j - i > 4)
			return 0;
		groups++;
		i = j;
		if (i == len)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < len && s[i] == ':') {
			if (compressed)
				return 0;
			compressed = 1;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return 0;
		}
		if (groups > 8)
			return 0;
	}
	return compressed ? groups <= 7 : groups == 8;
}

/* port_ok - decimal 1..65535 without leading zeros */
static int
port_ok(const char *s, size_t len, const char **why)
{
	unsigned long value = 0;
	size_t i;

	if (len == 0)
		return refuse(why, "empty port");
	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return refuse(why, "port is not a number");
	if (s[0] == '0' && len > 1)
		return refuse(why, "port has a leading zero");
	if (len > 5)
		return refuse(why, "port out of range 1..65535");
	for (i = 0; i < len; i++)
		value = value * 10 + (unsigned long)(s[i] - '0');
	if (value < 1 || value > PORT_MAX)
		return refuse(why, "port out of range 1..65535");
	return pass(why);
}

/* all_digits_dots - only digits and dots: meant as an IPv4 address */
static int
all_digits_dots(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_digit((unsigned char)s[i]) && s[i] != '.')
			return 0;
	return 1;
}

/* bracketed_ok - the inside of "[...]": ipv6:addr, IPv4 or host name */
static int
bracketed_ok(const char *s, size_t len, const char **why)
{
	size_t i;

	if (len == 0)
		return refuse(why, "empty host in brackets");
	if (len >= 5 && memcmp(s, "ipv6:", 5) == 0) {
		for (i = 5; i < len; i++)
			if (is_upper((unsigned char)s[i]))
				return refuse(why, "uppercase in IPv6 address");
		if (!ipv6_ok(s + 5, len - 5))
			return refuse(why, "invalid IPv6 address");
		return pass(why);
	}
	if (len >= 5 && (s[0] == 'I' || s[0] == 'i')
	    && (s[1] == 'P' || s[1] == 'p') && (s[2] == 'V' || s[2] == 'v')
	    && s[3] == '6' && s[4] == ':')
		return refuse(why, "write the ipv6: prefix in lowercase");
	if (memchr(s, ':', len) != NULL)
		return refuse(why, "IPv6 address needs the ipv6: prefix");
	if (all_digits_dots(s, len)) {
		if (!ipv4_ok(s, len))
			return refuse(why, "invalid IPv4 address");
		return pass(why);
	}
	return domain_check(s, len, why);
}

/* validate_nexthop - "transport:destination" for a transport(5) table */
int
validate_nexthop(const char *s, const char *const *transports,
    size_t ntransports, const char **why)
{
	const char *reason, *colon, *dest, *rb, *port;
	size_t len, tlen, dlen, i;
	int known = 0;

	if (s == NULL || *s == '\0')
		return refuse(why, "empty nexthop");
	len = strlen(s);
	if ((reason = scan_hostile(s, len, 1)) != NULL)
		return refuse(why, reason);
	if ((colon = strchr(s, ':')) == NULL)
		return refuse(why, "no ':' between transport and destination");
	tlen = (size_t)(colon - s);
	if (tlen == 0)
		return refuse(why, "empty transport");
	for (i = 0; i < ntransports && transports && !known; i++)
		if (transports[i] && strlen(transports[i]) == tlen
		    && memcmp(transports[i], s, tlen) == 0)
			known = 1;
	if (!known)
		return refuse(why, "transport not in the allowed list");
	dest = colon + 1;
	dlen = len - tlen - 1;
	if (dlen == 0)
		return refuse(why, "empty destination");
	if (strncmp(dest, "inet:", 5) == 0 || strncmp(dest, "unix:", 5) == 0)
		return refuse(why, "inet: and unix: destinations are not supported");
	if (dest[0] == '[') {
		if ((rb = strchr(dest, ']')) == NULL)
			return refuse(why, "missing ']'");
		if (bracketed_ok(dest + 1, (size_t)(rb - dest - 1), why) < 0)
			return ERR_INVAL;
		if (rb[1] == '\0')
			return pass(why);
		if (rb[1] != ':')
			return refuse(why, "garbage after ']'");
		port = rb + 2;
		return port_ok(port, strlen(port), why);
	}
	if ((port = strchr(dest, ':')) == NULL)
		return domain_check(dest, dlen, why);
	if (domain_check(dest, (size_t)(port - dest), why) < 0)
		return ERR_INVAL;
	port++;
	if (strchr(port, ':') != NULL)
		return refuse(why, "port is not a number");
	return port_ok(port, strlen(port), why);
}
