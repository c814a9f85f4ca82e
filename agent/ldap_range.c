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
 *	answer's range ends in "*". The entry handed to the caller holds
 *	every value, in the server's order, under the plain name (options
 *	removed), so filters and mappings see one attribute. Each answer
 *	must start where it was asked and hold exactly the values its
 *	range names; at most RANGE_ROUNDS_MAX follow-up searches are made
 *	per attribute. Anything else fails the search: a partial member
 *	list must never pass for the whole one. ldap_source_entry, which
 *	has no way to ask for the rest, refuses an entry with a range.
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

/* The connection the follow-up searches use; all borrowed. */
struct conn {
	LDAP *ld;
	const char *uri;
	int timeout;            /* seconds */
};

/* range_option - the "low-high" text of name's range option (option
 * names compare case-insensitively) and its length; NULL when none */
static const char *
range_option(const char *name, size_t *len)
{
	const char *p;

	for (p = strchr(name, ';'); p != NULL; p = strchr(p, ';')) {
		p++;
		if (strncasecmp(p, "range=", 6) == 0) {
			p += 6;
			*len = strcspn(p, ";");
			return p;
		}
	}
	return NULL;
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

/* incomplete - record why attribute name of dn cannot be read whole;
 * returns ERR_UNAVAIL */
static int
incomplete(struct diag *d, const char *dn, const char *name,
    const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	diag_error(d, dn, "ldap_source: incomplete attribute %.*s: %s: the "
	    "result would be truncated", (int)strcspn(name, ";"), name, why);
	return ERR_UNAVAIL;
}

/* range_count_ok - a closed range names exactly the values it holds */
static int
range_count_ok(size_t low, size_t high, size_t count)
{
	return high == RANGE_OPEN || (count > 0 && high - low == count - 1);
}

/* fetch_range - one follow-up base search of e for name;range=low-*:
 * append the values of the answer to attribute i of e (already named
 * name) and set *high to where the answer ends (RANGE_OPEN: the last) */
static int
fetch_range(const struct conn *s, struct entry *e, size_t i, size_t low,
    size_t *high, struct diag *d)
{
	struct timeval tv = { s->timeout, 0 };
	const char *name = e->attrs[i].name, *opt;
	struct berval **vals = NULL;
	LDAPMessage *res = NULL, *msg;
	BerElement *ber = NULL;
	char *want = NULL, *attrs[2], *an = NULL;
	char *matched = NULL, *errmsg = NULL;
	char why[512];
	size_t wlen, olen, got_low = 0, got_high = 0, n;
	int lrc, err, found = 0, code, rc;

	if (strlen(name) > SIZE_MAX - 64)
		return ERR_NOMEM;
	wlen = strlen(name) + 64;
	want = malloc(wlen);
	if (want == NULL)
		return ERR_NOMEM;
	snprintf(want, wlen, "%s;range=%zu-*", name, low);
	attrs[0] = want;
	attrs[1] = NULL;
	lrc = ldap_search_ext_s(s->ld, e->dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
	if (res == NULL) {
		ldap_source_describe(s->ld, lrc, why, sizeof why);
		rc = lrc == LDAP_NO_MEMORY ? ERR_NOMEM : incomplete(d, e->dn,
		    name, "%s: the search for %s failed: %s", s->uri, want,
		    why);
		goto out;
	}
	lrc = ldap_parse_result(s->ld, res, &err, &matched, &errmsg, NULL,
	    NULL, 0);
	if (lrc != LDAP_SUCCESS)
		err = lrc;
	if (err != LDAP_SUCCESS) {
		rc = err == LDAP_NO_MEMORY ? ERR_NOMEM : incomplete(d, e->dn,
		    name, "%s: the search for %s failed: %s%s%s%s", s->uri,
		    want, ldap_err2string(err), errmsg && *errmsg ? " (" : "",
		    errmsg && *errmsg ? errmsg : "",
		    errmsg && *errmsg ? ")" : "");
		goto out;
	}
	if (ldap_count_entries(s->ld, res) != 1) {
		rc = incomplete(d, e->dn, name, "the search for %s returned "
		    "%d entries", want, ldap_count_entries(s->ld, res));
		goto out;
	}
	msg = ldap_first_entry(s->ld, res);
	for (an = ldap_first_attribute(s->ld, msg, &ber); an != NULL;
	    an = ldap_next_attribute(s->ld, msg, ber)) {
		opt = range_option(an, &olen);
		if (opt == NULL || !entry_attr_name_eq(an, name)) {
			ldap_memfree(an);
			continue;
		}
		if (found++) {
			rc = incomplete(d, e->dn, name, "the answer to %s "
			    "holds two ranges", want);
			goto out;
		}
		if (parse_range(opt, olen, &got_low, &got_high) < 0) {
			rc = incomplete(d, e->dn, name, "the answer to %s "
			    "has a malformed range \"%.*s\"", want, (int)olen,
			    opt);
			goto out;
		}
		if (got_low != low) {
			rc = incomplete(d, e->dn, name, "the answer to %s "
			    "starts at value %zu", want, got_low);
			goto out;
		}
		/* no values is NULL too: tell it from a decoding error */
		code = LDAP_SUCCESS;
		ldap_set_option(s->ld, LDAP_OPT_RESULT_CODE, &code);
		vals = ldap_get_values_len(s->ld, msg, an);
		if (vals == NULL &&
		    (ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &code) !=
		    LDAP_OPT_SUCCESS || code != LDAP_SUCCESS)) {
			rc = incomplete(d, e->dn, name, "cannot decode the "
			    "answer to %s", want);
			goto out;
		}
		n = vals != NULL ? (size_t)ldap_count_values_len(vals) : 0;
		if (!range_count_ok(got_low, got_high, n)) {
			rc = incomplete(d, e->dn, name, "the answer to %s "
			    "names range %.*s but holds %zu values", want,
			    (int)olen, opt, n);
			goto out;
		}
		for (n = 0; vals != NULL && vals[n] != NULL; n++) {
			rc = entry_add_value(e, name, vals[n]->bv_val,
			    vals[n]->bv_len);
			if (rc < 0)
				goto out;
		}
		if (vals != NULL)
			ldap_value_free_len(vals);
		vals = NULL;
		ldap_memfree(an);
	}
	an = NULL;
	if (!found) {
		rc = incomplete(d, e->dn, name, "the answer to %s holds no "
		    "range of it", want);
		goto out;
	}
	*high = got_high;
	rc = 0;
out:
	/* older libldap versions assert on NULL: test each */
	if (vals != NULL)
		ldap_value_free_len(vals);
	if (an != NULL)
		ldap_memfree(an);
	if (ber != NULL)
		ber_free(ber, 0);
	if (matched != NULL)
		ldap_memfree(matched);
	if (errmsg != NULL)
		ldap_memfree(errmsg);
	if (res != NULL)
		ldap_msgfree(res);
	free(want);
	return rc;
}

/* resolve_range - attribute i of e came with a range option: read the
 * rest and rename it to its plain name */
static int
resolve_range(const struct conn *s, struct entry *e, size_t i,
    struct diag *d)
{
	struct entry_attr *a = &e->attrs[i];
	const char *opt;
	size_t j, olen = 0, low, high, rounds;
	char *plain;

	opt = range_option(a->name, &olen);
	for (j = 0; j < e->count; j++)
		if (j != i && entry_attr_name_eq(e->attrs[j].name, a->name))
			return incomplete(d, e->dn, a->name, "the entry holds "
			    "it twice (%s and %s)", e->attrs[j].name, a->name);
	if (parse_range(opt, olen, &low, &high) < 0)
		return incomplete(d, e->dn, a->name, "malformed range "
		    "\"%.*s\"", (int)olen, opt);
	if (low != 0)
		return incomplete(d, e->dn, a->name, "the entry's values "
		    "start at value %zu", low);
	if (!range_count_ok(low, high, a->count))
		return incomplete(d, e->dn, a->name, "the entry names range "
		    "%.*s but holds %zu values", (int)olen, opt, a->count);
	plain = strndup(a->name, strcspn(a->name, ";"));
	if (plain == NULL)
		return ERR_NOMEM;
	free(a->name);
	a->name = plain;
	for (rounds = 0; high != RANGE_OPEN; rounds++) {
		int rc;

		if (rounds == RANGE_ROUNDS_MAX)
			return incomplete(d, e->dn, plain, "no end after %d "
			    "further searches (%zu values)", RANGE_ROUNDS_MAX,
			    e->attrs[i].count);
		/* fetch_range adds values to attribute i, never attributes */
		rc = fetch_range(s, e, i, high + 1, &high, d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ldap_range_resolve - every ranged attribute of e read whole */
int
ldap_range_resolve(LDAP *ld, const char *uri, int timeout, struct entry *e,
    struct diag *d)
{
	const struct conn c = { ld, uri, timeout };
	size_t i, len;
	int rc;

	for (i = 0; i < e->count; i++) {
		if (range_option(e->attrs[i].name, &len) == NULL)
			continue;
		rc = resolve_range(&c, e, i, d);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ldap_range_in - whether an attribute of e has a range option */
int
ldap_range_in(const struct entry *e)
{
	size_t i, len;

	for (i = 0; i < e->count; i++)
		if (range_option(e->attrs[i].name, &len) != NULL)
			return 1;
	return 0;
}
