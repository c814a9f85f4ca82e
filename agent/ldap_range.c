/*
 * ldap_range - Active Directory's ranged attributes, read whole
 *
 * DESCRIPTION
 *	Active Directory returns at most MaxValRange values of an
 *	attribute in one entry (1500 by default) and names what it sent
 *	with a range option, "member;range=0-1499", instead of the plain
 *	"member". For every such attribute of an entry the
 *	rest is read with base-scope searches of that entry asking for
 *	"member;range=1500-*", then from the end of each answer, until an
 *	answer's range ends in "*". ldap_range_rest hands every value on,
 *	in the server's order (a view puts them under the attribute's
 *	index); the entry ldap_range_resolve hands back holds them under
 *	the plain name (options removed), so filters and mappings see one
 *	attribute. Each answer must start where it was asked and hold
 *	exactly the values its range names; at most RANGE_ROUNDS_MAX
 *	follow-up searches are made per attribute. Anything else fails the
 *	search: a partial member list must never pass for the whole one.
 *	ldap_source_entry, which has no way to ask for the rest, refuses
 *	an entry with a range. Answers are read in place
 *	(ldap_get_attribute_ber): no copy but the one add makes.
 *
 * DIAGNOSTICS
 *	ERR_UNAVAIL, with the entry's DN as where, for a ranged attribute
 *	that cannot be read whole ("incomplete attribute member: ...: the
 *	result would be truncated"): a follow-up search failed, an
 *	answer's range is malformed, starts elsewhere than asked, holds a
 *	number of values other than its range says, or never ends.
 *	ERR_NOMEM.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ldap.h>

#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_range.h"
#include "ldap_source.h"

#define RANGE_ROUNDS_MAX 1024           /* follow-up searches per ranged
                                           attribute: 1.5 million values
                                           at AD's MaxValRange of 1500 */
#define RANGE_OPEN SIZE_MAX             /* the high end of "low-*" */

/* range_option - the "low-high" text of the range option of the
 * description name (len bytes; option names compare case-insensitively)
 * and its length; NULL when none */
static const char *
range_option(const char *name, size_t len, size_t *olen)
{
	const char *p = memchr(name, ';', len), *end = name + len;

	while (p != NULL) {
		p++;
		if ((size_t)(end - p) >= 6 &&
		    strncasecmp(p, "range=", 6) == 0) {
			p += 6;
			*olen = (size_t)(end - p);
			end = memchr(p, ';', *olen);
			if (end != NULL)
				*olen = (size_t)(end - p);
			return p;
		}
		p = memchr(p, ';', (size_t)(end - p));
	}
	return NULL;
}

/* base_len - the bytes of a description before its options */
static size_t
base_len(const char *name, size_t len)
{
	const char *semi = memchr(name, ';', len);

	return semi ? (size_t)(semi - name) : len;
}

/* same_base - two descriptions of one attribute, options aside */
static int
same_base(const char *a, size_t alen, const char *b, size_t blen)
{
	alen = base_len(a, alen);
	blen = base_len(b, blen);
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* parse_index - the decimal digits p[0..len) into *out, below SIZE_MAX;
 * digits only (strtoul would take a sign or leading spaces) */
static int
parse_index(const char *p, size_t len, size_t *out)
{
	size_t v = 0, i, digit;

	if (len == 0)
		return ERR_INVAL;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return ERR_INVAL;
		digit = (size_t)(p[i] - '0');
		if (v > (SIZE_MAX - 1 - digit) / 10)
			return ERR_INVAL;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

/* parse_range - "low-high" or "low-*" into *low and *high (RANGE_OPEN
 * for "*"); ERR_INVAL when malformed or high is below low */
static int
parse_range(const char *p, size_t len, size_t *low, size_t *high)
{
	const char *dash = memchr(p, '-', len);
	size_t n;

	if (dash == NULL)
		return ERR_INVAL;
	n = (size_t)(dash - p);
	if (parse_index(p, n, low) < 0)
		return ERR_INVAL;
	p = dash + 1;
	len -= n + 1;
	if (len == 1 && *p == '*') {
		*high = RANGE_OPEN;
		return 0;
	}
	if (parse_index(p, len, high) < 0 || *high < *low)
		return ERR_INVAL;
	return 0;
}

/* incomplete - record why attribute name (len bytes) of dn cannot be
 * read whole; returns ERR_UNAVAIL */
static int
incomplete(struct diag *d, const char *dn, const char *name, size_t len,
    const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
incomplete(struct diag *d, const char *dn, const char *name, size_t len,
    const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	diag_error(d, dn, "ldap_source: incomplete attribute %.*s: %s: the "
	    "result would be truncated", (int)base_len(name, len), name, why);
	return ERR_UNAVAIL;
}

/* range_count_ok - a closed range names exactly the values it holds */
static int
range_count_ok(size_t low, size_t high, size_t count)
{
	return high == RANGE_OPEN || (count > 0 && high - low == count - 1);
}

/* One attribute being read whole. */
struct reading {
	const struct ldap_range_conn *c;
	const char *dn;
	const char *name;       /* its plain name */
	size_t len;
	ldap_range_add_fn add;
	void *ctx;
	size_t values;          /* handed on so far, the entry's included */
	struct diag *d;
};

/* answer_values - the values of the answer's attribute an (of range
 * opt, olen bytes, from got_low to got_high), counted, then handed on */
static int
answer_values(struct reading *r, const char *want, struct berval *vals,
    const char *opt, size_t olen, size_t got_low, size_t got_high)
{
	size_t n = 0, i;
	int rc;

	while (vals != NULL && vals[n].bv_val != NULL)
		n++;
	if (!range_count_ok(got_low, got_high, n))
		return incomplete(r->d, r->dn, r->name, r->len, "the answer to "
		    "%s names range %.*s but holds %zu values", want,
		    (int)olen, opt, n);
	for (i = 0; i < n; i++)
		if ((rc = r->add(r->ctx, vals[i].bv_val, vals[i].bv_len)) < 0)
			return rc;
	r->values += n;
	return 0;
}

/* answer - the one entry of the answer to want: hand on the values of
 * its range of the attribute and set *high to where the range ends */
static int
answer(struct reading *r, LDAPMessage *msg, const char *want, size_t low,
    size_t *high)
{
	const struct ldap_range_conn *c = r->c;
	struct berval dn, an, *vals = NULL;
	BerElement *ber = NULL;
	size_t olen = 0, got_low = 0, got_high = 0;
	const char *opt;
	int found = 0, rc;

	if (ldap_get_dn_ber(c->ld, msg, &ber, &dn) != LDAP_SUCCESS) {
		rc = incomplete(r->d, r->dn, r->name, r->len, "cannot decode "
		    "the answer to %s", want);
		goto out;
	}
	for (;;) {
		if (ldap_get_attribute_ber(c->ld, msg, ber, &an, &vals) !=
		    LDAP_SUCCESS) {
			rc = incomplete(r->d, r->dn, r->name, r->len, "cannot "
			    "decode the answer to %s", want);
			goto out;
		}
		if (an.bv_val == NULL)
			break;
		opt = range_option(an.bv_val, an.bv_len, &olen);
		if (opt != NULL && same_base(an.bv_val, an.bv_len, r->name,
		    r->len)) {
			if (found++) {
				rc = incomplete(r->d, r->dn, r->name, r->len,
				    "the answer to %s holds two ranges", want);
				goto out;
			}
			if (parse_range(opt, olen, &got_low, &got_high) < 0) {
				rc = incomplete(r->d, r->dn, r->name, r->len,
				    "the answer to %s has a malformed range "
				    "\"%.*s\"", want, (int)olen, opt);
				goto out;
			}
			if (got_low != low) {
				rc = incomplete(r->d, r->dn, r->name, r->len,
				    "the answer to %s starts at value %zu",
				    want, got_low);
				goto out;
			}
			rc = answer_values(r, want, vals, opt, olen, got_low,
			    got_high);
			if (rc < 0)
				goto out;
		}
		if (vals != NULL)
			ber_memfree(vals);
		vals = NULL;
	}
	if (!found) {
		rc = incomplete(r->d, r->dn, r->name, r->len, "the answer to "
		    "%s holds no range of it", want);
		goto out;
	}
	*high = got_high;
	rc = 0;
out:
	/* older libldap versions assert on NULL: test each */
	if (vals != NULL)
		ber_memfree(vals);
	if (ber != NULL)
		ber_free(ber, 0);
	return rc;
}

/* fetch_range - one follow-up base search of the entry for
 * name;range=low-*: hand on the values of the answer and set *high to
 * where it ends (RANGE_OPEN: the last) */
static int
fetch_range(struct reading *r, size_t low, size_t *high)
{
	const struct ldap_range_conn *c = r->c;
	struct timeval tv = { c->timeout, 0 };
	LDAPMessage *res = NULL;
	char *want = NULL, *attrs[2];
	char *matched = NULL, *errmsg = NULL;
	char why[512];
	size_t wlen;
	int lrc, err, rc;

	if (r->len > SIZE_MAX - 64)
		return ERR_NOMEM;
	wlen = r->len + 64;
	want = malloc(wlen);
	if (want == NULL)
		return ERR_NOMEM;
	snprintf(want, wlen, "%.*s;range=%zu-*", (int)r->len, r->name, low);
	attrs[0] = want;
	attrs[1] = NULL;
	lrc = ldap_search_ext_s(c->ld, r->dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
	if (res == NULL) {
		ldap_source_describe(c->ld, lrc, why, sizeof why);
		rc = lrc == LDAP_NO_MEMORY ? ERR_NOMEM : incomplete(r->d, r->dn,
		    r->name, r->len, "%s: the search for %s failed: %s", c->uri,
		    want, why);
		goto out;
	}
	lrc = ldap_parse_result(c->ld, res, &err, &matched, &errmsg, NULL,
	    NULL, 0);
	if (lrc != LDAP_SUCCESS)
		err = lrc;
	if (err != LDAP_SUCCESS) {
		rc = err == LDAP_NO_MEMORY ? ERR_NOMEM : incomplete(r->d, r->dn,
		    r->name, r->len, "%s: the search for %s failed: %s%s%s%s",
		    c->uri, want, ldap_err2string(err),
		    errmsg && *errmsg ? " (" : "",
		    errmsg && *errmsg ? errmsg : "",
		    errmsg && *errmsg ? ")" : "");
		goto out;
	}
	if (ldap_count_entries(c->ld, res) != 1) {
		rc = incomplete(r->d, r->dn, r->name, r->len, "the search for "
		    "%s returned %d entries", want,
		    ldap_count_entries(c->ld, res));
		goto out;
	}
	rc = answer(r, ldap_first_entry(c->ld, res), want, low, high);
out:
	/* older libldap versions assert on NULL: test each */
	if (matched != NULL)
		ldap_memfree(matched);
	if (errmsg != NULL)
		ldap_memfree(errmsg);
	if (res != NULL)
		ldap_msgfree(res);
	free(want);
	return rc;
}

/* ldap_range_option - whether a description has a range option */
int
ldap_range_option(const char *name, size_t len)
{
	size_t olen;

	return range_option(name, len, &olen) != NULL;
}

/* ldap_range_rest - the values of a ranged attribute after the entry's */
int
ldap_range_rest(const struct ldap_range_conn *c, const char *dn,
    const char *name, size_t len, size_t count, const char *twice,
    size_t twicelen, ldap_range_add_fn add, void *ctx, struct diag *d)
{
	struct reading r = { c, dn, name, base_len(name, len), add, ctx,
	    count, d };
	const char *opt;
	size_t olen = 0, low, high, rounds;
	int rc;

	opt = range_option(name, len, &olen);
	if (opt == NULL)
		return 0;
	if (twice != NULL)
		return incomplete(d, dn, name, len, "the entry holds it twice "
		    "(%.*s and %.*s)", (int)twicelen, twice, (int)len, name);
	if (parse_range(opt, olen, &low, &high) < 0)
		return incomplete(d, dn, name, len, "malformed range "
		    "\"%.*s\"", (int)olen, opt);
	if (low != 0)
		return incomplete(d, dn, name, len, "the entry's values "
		    "start at value %zu", low);
	if (!range_count_ok(low, high, count))
		return incomplete(d, dn, name, len, "the entry names range "
		    "%.*s but holds %zu values", (int)olen, opt, count);
	for (rounds = 0; high != RANGE_OPEN; rounds++) {
		if (rounds == RANGE_ROUNDS_MAX)
			return incomplete(d, dn, name, len, "no end after %d "
			    "further searches (%zu values)", RANGE_ROUNDS_MAX,
			    r.values);
		rc = fetch_range(&r, high + 1, &high);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Where the values of a ranged attribute of an entry go. */
struct into_entry {
	struct entry *e;
	size_t i;
};

/* add_to_entry - one more value of attribute i */
static int
add_to_entry(void *ctx, const char *value, size_t len)
{
	struct into_entry *t = ctx;

	/* its name is its own: no other attribute of the entry has it */
	return entry_add_value(t->e, t->e->attrs[t->i].name, value, len);
}

/* ldap_range_resolve - every ranged attribute of e read whole */
int
ldap_range_resolve(LDAP *ld, const char *uri, int timeout, struct entry *e,
    struct diag *d)
{
	const struct ldap_range_conn c = { ld, uri, timeout };
	struct into_entry t = { e, 0 };
	const char *twice, *name;
	size_t i, j, len;
	char *plain;
	int rc;

	for (i = 0; i < e->count; i++) {
		name = e->attrs[i].name;
		len = strlen(name);
		if (!ldap_range_option(name, len))
			continue;
		twice = NULL;
		for (j = 0; j < e->count && twice == NULL; j++)
			if (j != i && entry_attr_name_eq(e->attrs[j].name,
			    name))
				twice = e->attrs[j].name;
		t.i = i;
		rc = ldap_range_rest(&c, e->dn, name, len, e->attrs[i].count,
		    twice, twice ? strlen(twice) : 0, add_to_entry, &t, d);
		if (rc < 0)
			return rc;
		plain = strndup(name, base_len(name, len));
		if (plain == NULL)
			return ERR_NOMEM;
		free(e->attrs[i].name);
		e->attrs[i].name = plain;
	}
	return 0;
}

/* ldap_range_in - whether an attribute of e has a range option */
int
ldap_range_in(const struct entry *e)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		if (ldap_range_option(e->attrs[i].name,
		    strlen(e->attrs[i].name)))
			return 1;
	return 0;
}
