/*
 * filter - RFC 4515 search filters, parsed and evaluated locally
 *
 * SYNOPSIS
 *	#include "filter.h"
 *
 * DESCRIPTION
 *	filter_parse() compiles the string form of an LDAP search filter
 *	(RFC 4515) into a tree that filter_match_view() evaluates against
 *	an entry view and filter_match() against a struct entry, so that a
 *	mapping selects the same entries whether they come from an LDIF
 *	file, a search or a syncrepl update. Each item of the tree knows
 *	the index its attribute has in the attrset the filter was
 *	compiled against (filter_compile(), or a set of the filter's own),
 *	so a view's values are found without comparing names.
 *
 *	Accepted: & | ! with any nesting (up to FILTER_MAX_DEPTH levels),
 *	equality, presence, substrings, >=, <=, and ~= (evaluated as
 *	equality). Values may carry \XX escapes, and the legacy escapes
 *	\* \( \) \\ of RFC 1960. Attribute options are ignored in matching
 *	("member" finds "member;range=0-1499"). A text without outer
 *	parentheses is read as if it had them, as ldapsearch does. White
 *	space is allowed around the whole text and around the elements of
 *	& and | lists; inside an item it belongs to the value.
 *	The RFC 4526 absolute filters (&) (always true) and (|) (always
 *	false) are accepted.
 *
 *	Matching is ASCII-case-insensitive and length-exact: a value with a
 *	NUL byte equals only an assertion with the same NUL (\00).
 *	Ordering compares two decimal integers numerically (uidNumber,
 *	uSNChanged), anything else byte by byte after ASCII case folding
 *	(right for generalizedTime). (objectClass=*) is true for every
 *	entry, as it is on a server, even when the source did not return
 *	objectClass.
 *
 * DIAGNOSTICS
 *	filter_parse() returns ERR_INVAL with "at offset N: what" in err
 *	(N counts bytes from 0), ERR_NOMEM when memory runs out. Extensible
 *	match (":=") is refused with its own message.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrset.h"
#include "buf.h"
#include "entry.h"
#include "errors.h"
#include "filter.h"

#define FILTER_MAX_DEPTH 64
#define FILTER_MAX_LEN 65536

enum ftype {
	F_AND, F_OR, F_NOT, F_EQ, F_SUB, F_PRESENT, F_GE, F_LE
};

struct fval {
	char *data;
	size_t len;
};

struct filter {
	enum ftype type;
	char *attr;             /* description as written, options included */
	int always;             /* (objectClass=*): true for every entry */
	struct fval value;      /* F_EQ, F_GE, F_LE */
	struct fval initial;    /* F_SUB; len 0 = none */
	struct fval final;
	struct fval *any;
	size_t nany;
	struct filter **kids;   /* F_AND, F_OR, F_NOT */
	size_t nkids;
	size_t slot;            /* attr's index in set */
	const struct attrset *set;      /* the root's: compiled against */
	struct attrset *own;    /* the root's, when the set is its own */
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	int depth;
	char *err;
	size_t errlen;
};

static int parse_filter(struct parser *p, struct filter **out);

/* parse_error - record "at offset N: what" and return ERR_INVAL */
static int
parse_error(struct parser *p, size_t off, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "at offset %zu: %s", off, what);
	return ERR_INVAL;
}

/* peek - current byte, or 0 at the end of the text */
static int
peek(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->text[p->pos] : 0;
}

/* skip_space - white space between filter elements */
static void
skip_space(struct parser *p)
{
	while (p->pos < p->len && (p->text[p->pos] == ' ' ||
	    p->text[p->pos] == '\t' || p->text[p->pos] == '\n' ||
	    p->text[p->pos] == '\r'))
		p->pos++;
}

/* is_alpha - ASCII letter */
static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - ASCII digit */
static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* lower - ASCII-only case folding, independent of the locale */
static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* node_new - zeroed node of a type */
static struct filter *
node_new(enum ftype type)
{
	struct filter *f = calloc(1, sizeof *f);

	if (f != NULL)
		f->type = type;
	return f;
}

/* filter_free - release a tree (depth is bounded by the parser) */
void
filter_free(struct filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nkids; i++)
		filter_free(f->kids[i]);
	free(f->kids);
	for (i = 0; i < f->nany; i++)
		free(f->any[i].data);
	free(f->any);
	free(f->attr);
	free(f->value.data);
	free(f->initial.data);
	free(f->final.data);
	attrset_free(f->own);
	free(f);
}

/* add_kid - append a child to an and/or/not node */
static int
add_kid(struct filter *f, struct filter *kid)
{
	struct filter **kids;

	if (f->nkids >= SIZE_MAX / sizeof *kids - 1)
		return ERR_NOMEM;
	kids = realloc(f->kids, (f->nkids + 1) * sizeof *kids);
	if (kids == NULL)
		return ERR_NOMEM;
	f->kids = kids;
	f->kids[f->nkids++] = kid;
	return 0;
}

/* parse_attr - attribute description: (descr | numericoid) *(;option) */
static int
parse_attr(struct parser *p, char **out)
{
	size_t start = p->pos;
	int c = peek(p);

	*out = NULL;
	if (is_alpha(c)) {
		while (is_alpha(peek(p)) || is_digit(peek(p)) || peek(p) == '-')
			p->pos++;
	} else if (is_digit(c)) {
		for (;;) {
			if (!is_digit(peek(p)))
				return parse_error(p, p->pos,
				    "bad numeric OID in attribute description");
			if (peek(p) == '0' && p->pos + 1 < p->len &&
			    is_digit((unsigned char)p->text[p->pos + 1]))
				return parse_error(p, p->pos,
				    "leading zero in numeric OID");
			while (is_digit(peek(p)))
				p->pos++;
			if (peek(p) != '.')
				break;
			p->pos++;
		}
		if (memchr(p->text + start, '.', p->pos - start) == NULL)
			return parse_error(p, start,
			    "bad numeric OID in attribute description");
	} else if (c == ':') {
		return parse_error(p, p->pos,
		    "extensible match (':=') is not supported");
	} else {
		return parse_error(p, p->pos,
		    "expected an attribute description");
	}
	while (peek(p) == ';') {
		p->pos++;
		if (!(is_alpha(peek(p)) || is_digit(peek(p)) || peek(p) == '-'))
			return parse_error(p, p->pos,
			    "empty or bad attribute option");
		while (is_alpha(peek(p)) || is_digit(peek(p)) || peek(p) == '-')
			p->pos++;
	}
	*out = strndup(p->text + start, p->pos - start);
	return *out == NULL ? ERR_NOMEM : 0;
}

/* seg_take - copy the bytes of b into v (NUL-terminated) */
static int
seg_take(const struct buf *b, struct fval *v)
{
	if (b->len == SIZE_MAX)
		return ERR_NOMEM;
	v->data = malloc(b->len + 1);
	if (v->data == NULL)
		return ERR_NOMEM;
	if (b->len)
		memcpy(v->data, b->data, b->len);
	v->data[b->len] = '\0';
	v->len = b->len;
	return 0;
}

/* add_any - append one "any" part to a substring node */
static int
add_any(struct filter *f, const struct buf *b)
{
	struct fval *any;

	if (f->nany >= SIZE_MAX / sizeof *any - 1)
		return ERR_NOMEM;
	any = realloc(f->any, (f->nany + 1) * sizeof *any);
	if (any == NULL)
		return ERR_NOMEM;
	f->any = any;
	if (seg_take(b, &f->any[f->nany]) < 0)
		return ERR_NOMEM;
	f->nany++;
	return 0;
}

/*
 * parse_value - assertion value up to ')' or the end, unescaped. With
 * stars allowed, each unescaped '*' closes one segment: the segments
 * go to node f (initial, any, final) and *nstars counts them.
 */
static int
parse_value(struct parser *p, struct filter *f, int stars_ok, size_t *nstars)
{
	struct buf seg = BUF_INIT;
	int rc = 0, c, hi, lo;

	*nstars = 0;
	for (;;) {
		c = peek(p);
		if (c == ')' || p->pos >= p->len)
			break;
		if (c == '(') {
			rc = parse_error(p, p->pos,
			    "unescaped '(' in value (write \\28)");
			goto out;
		}
		if (c == '*') {
			if (!stars_ok) {
				rc = parse_error(p, p->pos,
				    "unescaped '*' in value (write \\2a)");
				goto out;
			}
			if (*nstars == 0) {
				if ((rc = seg_take(&seg, &f->initial)) < 0)
					goto out;
			} else if (seg.len > 0) {
				if ((rc = add_any(f, &seg)) < 0)
					goto out;
			}
			buf_reset(&seg);
			(*nstars)++;
			p->pos++;
			continue;
		}
		if (c == '\\') {
			hi = p->pos + 1 < p->len ?
			    buf_hexval((unsigned char)p->text[p->pos + 1]) : -1;
			lo = p->pos + 2 < p->len ?
			    buf_hexval((unsigned char)p->text[p->pos + 2]) : -1;
			if (hi >= 0 && lo >= 0) {
				c = hi * 16 + lo;
				p->pos += 3;
			} else if (p->pos + 1 < p->len &&
			    strchr("*()\\", p->text[p->pos + 1]) != NULL &&
			    p->text[p->pos + 1] != '\0') {
				/* RFC 1960 single-character escape */
				c = (unsigned char)p->text[p->pos + 1];
				p->pos += 2;
			} else {
				rc = parse_error(p, p->pos, "bad escape "
				    "(expected \\ and two hex digits)");
				goto out;
			}
		} else {
			p->pos++;
		}
		if (buf_putc(&seg, (char)c) < 0) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	if (*nstars == 0)
		rc = seg_take(&seg, &f->value);
	else
		rc = seg_take(&seg, &f->final);
out:
	buf_free(&seg);
	return rc;
}

/* parse_item - attr, operator and value of a simple filter */
static int
parse_item(struct parser *p, struct filter **out)
{
	struct filter *f;
	char *attr = NULL;
	size_t op, nstars;
	enum ftype type;
	int rc;

	*out = NULL;
	if ((rc = parse_attr(p, &attr)) < 0)
		return rc;
	op = p->pos;
	switch (peek(p)) {
	case '=':
		type = F_EQ;
		p->pos++;
		break;
	case '~':
	case '>':
	case '<':
		type = peek(p) == '>' ? F_GE : peek(p) == '<' ? F_LE : F_EQ;
		p->pos++;
		if (peek(p) != '=') {
			free(attr);
			return parse_error(p, p->pos, "expected '=' after '%c'",
			    p->text[op]);
		}
		p->pos++;
		break;
	case ':':
		free(attr);
		return parse_error(p, op,
		    "extensible match (':=') is not supported");
	default:
		free(attr);
		return parse_error(p, op, "expected '=', '~=', '>=' or '<='");
	}
	f = node_new(type);
	if (f == NULL) {
		free(attr);
		return ERR_NOMEM;
	}
	f->attr = attr;
	rc = parse_value(p, f, p->text[op] == '=', &nstars);
	if (rc < 0) {
		filter_free(f);
		return rc;
	}
	if (nstars > 0) {
		if (nstars == 1 && f->initial.len == 0 && f->final.len == 0) {
			f->type = F_PRESENT;
			f->always =
			    entry_attr_name_eq(f->attr, "objectClass") ||
			    entry_attr_name_eq(f->attr, "2.5.4.0");
		} else {
			f->type = F_SUB;
		}
	}
	*out = f;
	return 0;
}

/* parse_list - the filters of & or |, up to the closing ')' */
static int
parse_list(struct parser *p, struct filter *f)
{
	struct filter *kid;
	int rc;

	for (;;) {
		skip_space(p);
		if (peek(p) != '(')
			break;
		if ((rc = parse_filter(p, &kid)) < 0)
			return rc;
		if ((rc = add_kid(f, kid)) < 0) {
			filter_free(kid);
			return rc;
		}
	}
	if (peek(p) != ')' && p->pos < p->len)
		return parse_error(p, p->pos, "expected '(' or ')'");
	return 0;
}

/* parse_comp - what stands between a pair of parentheses */
static int
parse_comp(struct parser *p, struct filter **out)
{
	struct filter *f, *kid;
	enum ftype type;
	int rc;

	*out = NULL;
	if (++p->depth > FILTER_MAX_DEPTH)
		return parse_error(p, p->pos,
		    "filter nested deeper than %d levels", FILTER_MAX_DEPTH);
	skip_space(p);
	switch (peek(p)) {
	case '&':
	case '|':
	case '!':
		type = peek(p) == '&' ? F_AND : peek(p) == '|' ? F_OR : F_NOT;
		p->pos++;
		if ((f = node_new(type)) == NULL)
			return ERR_NOMEM;
		if (type != F_NOT) {
			rc = parse_list(p, f);
		} else {
			skip_space(p);
			if (peek(p) != '(') {
				rc = parse_error(p, p->pos,
				    "expected '(' after '!'");
			} else if ((rc = parse_filter(p, &kid)) == 0) {
				if ((rc = add_kid(f, kid)) < 0)
					filter_free(kid);
				skip_space(p);
			}
		}
		if (rc < 0) {
			filter_free(f);
			return rc;
		}
		break;
	default:
		if ((rc = parse_item(p, &f)) < 0)
			return rc;
		break;
	}
	p->depth--;
	*out = f;
	return 0;
}

/* parse_filter - "(" comp ")" */
static int
parse_filter(struct parser *p, struct filter **out)
{
	struct filter *f;
	int rc;

	*out = NULL;
	p->pos++;       /* the caller saw '(' */
	if ((rc = parse_comp(p, &f)) < 0)
		return rc;
	if (peek(p) != ')' || p->pos >= p->len) {
		filter_free(f);
		return parse_error(p, p->pos, "expected ')'");
	}
	p->pos++;
	*out = f;
	return 0;
}

/* parse_text - a filter text into a tree */
static int
parse_text(const char *text, struct filter **out, char *err, size_t errlen)
{
	struct parser p;
	struct filter *f = NULL;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		*err = '\0';
	if (text == NULL)
		return parse_error(&p, 0, "no filter");
	p.text = text;
	p.len = strnlen(text, FILTER_MAX_LEN + 1);
	if (p.len > FILTER_MAX_LEN)
		return parse_error(&p, FILTER_MAX_LEN,
		    "filter longer than %d bytes", FILTER_MAX_LEN);
	skip_space(&p);
	if (p.pos >= p.len)
		return parse_error(&p, p.pos, "empty filter");
	if (peek(&p) == '(') {
		rc = parse_filter(&p, &f);
	} else {
		/* ldapsearch style: "objectClass=person" */
		rc = parse_comp(&p, &f);
		if (rc == 0 && p.pos < p.len && peek(&p) == ')') {
			filter_free(f);
			return parse_error(&p, p.pos, "unbalanced ')'");
		}
	}
	if (rc < 0)
		return rc;
	skip_space(&p);
	if (p.pos < p.len) {
		filter_free(f);
		return parse_error(&p, p.pos,
		    "unexpected text after the filter");
	}
	*out = f;
	return 0;
}

/* bind - each item's attribute added to set, its index kept */
static int
bind(struct filter *f, struct attrset *set)
{
	size_t i;
	int rc;

	for (i = 0; i < f->nkids; i++)
		if ((rc = bind(f->kids[i], set)) < 0)
			return rc;
	if (f->attr == NULL)
		return 0;
	return attrset_add(set, f->attr, strlen(f->attr), &f->slot);
}

/* filter_compile - compile a filter text against set */
int
filter_compile(const char *text, struct attrset *set, struct filter **out,
    char *err, size_t errlen)
{
	struct filter *f;
	int rc;

	*out = NULL;
	if ((rc = parse_text(text, &f, err, errlen)) < 0)
		return rc;
	/* Parsed attribute descriptions are never empty: only memory
	 * can fail here. */
	if (bind(f, set) < 0) {
		filter_free(f);
		return ERR_NOMEM;
	}
	f->set = set;
	*out = f;
	return 0;
}

/* filter_parse - compile a filter text against a set of its own */
int
filter_parse(const char *text, struct filter **out, char *err,
    size_t errlen)
{
	struct attrset *set;
	int rc;

	*out = NULL;
	if (attrset_new(&set) < 0)
		return ERR_NOMEM;
	rc = filter_compile(text, set, out, err, errlen);
	if (rc < 0) {
		attrset_free(set);
		return rc;
	}
	(*out)->own = set;
	return 0;
}

/* filter_attrset - the set compiled against */
const struct attrset *
filter_attrset(const struct filter *f)
{
	return f->set;
}

/* ci_eq - equal length and bytes, ASCII case folded */
static int
ci_eq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* ci_find - first position >= from where needle occurs in hay[0..end) */
static int
ci_find(const char *hay, size_t from, size_t end, const struct fval *needle,
    size_t *at)
{
	size_t i;

	if (needle->len > end || from > end - needle->len)
		return 0;
	for (i = from; i <= end - needle->len; i++)
		if (ci_eq(hay + i, needle->data, needle->len)) {
			*at = i;
			return 1;
		}
	return 0;
}

/* sub_match - initial*any*...*final against one value */
static int
sub_match(const struct filter *f, const struct entry_value *v)
{
	size_t pos, end, at, i;

	if (f->initial.len > v->len || f->final.len > v->len - f->initial.len)
		return 0;
	if (!ci_eq(v->data, f->initial.data, f->initial.len) ||
	    !ci_eq(v->data + v->len - f->final.len, f->final.data,
	    f->final.len))
		return 0;
	pos = f->initial.len;
	end = v->len - f->final.len;
	for (i = 0; i < f->nany; i++) {
		if (!ci_find(v->data, pos, end, &f->any[i], &at))
			return 0;
		pos = at + f->any[i].len;
	}
	return 1;
}

/* is_integer - optional '-' then one or more decimal digits */
static int
is_integer(const char *s, size_t len)
{
	size_t i = len > 0 && s[0] == '-' ? 1 : 0;

	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* int_cmp - compare two integer texts of any length */
static int
int_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int aneg = a[0] == '-', bneg = b[0] == '-', sign, c;

	a += aneg, alen -= (size_t)aneg;
	b += bneg, blen -= (size_t)bneg;
	while (alen > 1 && a[0] == '0')
		a++, alen--;
	while (blen > 1 && b[0] == '0')
		b++, blen--;
	if (alen == 1 && a[0] == '0')
		aneg = 0;
	if (blen == 1 && b[0] == '0')
		bneg = 0;
	if (aneg != bneg)
		return aneg ? -1 : 1;
	sign = aneg ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -sign : sign;
	c = memcmp(a, b, alen);
	return c < 0 ? -sign : c > 0 ? sign : 0;
}

/* order_cmp - value against assertion: <0, 0, >0 */
static int
order_cmp(const struct entry_value *v, const struct fval *a)
{
	size_t n = v->len < a->len ? v->len : a->len, i;
	unsigned char x, y;

	if (is_integer(v->data, v->len) && is_integer(a->data, a->len))
		return int_cmp(v->data, v->len, a->data, a->len);
	for (i = 0; i < n; i++) {
		x = lower((unsigned char)v->data[i]);
		y = lower((unsigned char)a->data[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return v->len < a->len ? -1 : v->len > a->len ? 1 : 0;
}

/* value_match - one value against a simple filter */
static int
value_match(const struct filter *f, const struct entry_value *v)
{
	switch (f->type) {
	case F_EQ:
		return v->len == f->value.len &&
		    ci_eq(v->data, f->value.data, v->len);
	case F_SUB:
		return sub_match(f, v);
	case F_PRESENT:
		return 1;
	case F_GE:
		return order_cmp(v, &f->value) >= 0;
	case F_LE:
		return order_cmp(v, &f->value) <= 0;
	default:
		return 0;
	}
}

/* filter_match - evaluate (depth is bounded by the parser) */
int
filter_match(const struct filter *f, const struct entry *e)
{
	size_t i, j;

	if (f == NULL || e == NULL)
		return 0;
	switch (f->type) {
	case F_AND:
		for (i = 0; i < f->nkids; i++)
			if (!filter_match(f->kids[i], e))
				return 0;
		return 1;
	case F_OR:
		for (i = 0; i < f->nkids; i++)
			if (filter_match(f->kids[i], e))
				return 1;
		return 0;
	case F_NOT:
		return f->nkids == 1 && !filter_match(f->kids[0], e);
	default:
		break;
	}
	if (f->always)
		return 1;
	/* Every attribute with this base name: AD splits "member" into
	 * ranges, each its own attribute. */
	for (i = 0; i < e->count; i++) {
		if (!entry_attr_name_eq(e->attrs[i].name, f->attr))
			continue;
		for (j = 0; j < e->attrs[i].count; j++)
			if (value_match(f, &e->attrs[i].values[j]))
				return 1;
	}
	return 0;
}

/* match_view - evaluate against a view (depth bounded by the parser) */
static int
match_view(const struct filter *f, const struct entry_view *v)
{
	const struct entry_vals *vals;
	size_t i;

	switch (f->type) {
	case F_AND:
		for (i = 0; i < f->nkids; i++)
			if (!match_view(f->kids[i], v))
				return 0;
		return 1;
	case F_OR:
		for (i = 0; i < f->nkids; i++)
			if (match_view(f->kids[i], v))
				return 1;
		return 0;
	case F_NOT:
		return f->nkids == 1 && !match_view(f->kids[0], v);
	default:
		break;
	}
	if (f->always)
		return 1;
	/* The view holds every attribute of this base name together. */
	vals = &v->attrs[f->slot];
	for (i = 0; i < vals->n; i++)
		if (value_match(f, &vals->v[i]))
			return 1;
	return 0;
}

/* filter_match_view - evaluate against a view over f's set */
int
filter_match_view(const struct filter *f, const struct entry_view *v)
{
	if (f == NULL || v == NULL || v->set != f->set)
		return 0;
	return match_view(f, v);
}

/* filter_escape - RFC 4515 escaping, printable ASCII out */
int
filter_escape(struct buf *out, const void *value, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = value;
	size_t i, extra = 0;
	char esc[3];

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '*' || s[i] == '(' ||
		    s[i] == ')' || s[i] == '\\')
			extra++;
	if (extra > (SIZE_MAX - len) / 2 || buf_grow(out, len + 2 * extra) < 0)
		return ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '*' || s[i] == '(' ||
		    s[i] == ')' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = hex[s[i] >> 4];
			esc[2] = hex[s[i] & 15];
			if (buf_append(out, esc, 3) < 0)
				return ERR_NOMEM;
		} else if (buf_putc(out, (char)s[i]) < 0) {
			return ERR_NOMEM;
		}
	}
	return 0;
}
