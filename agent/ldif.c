/*
 * ldif - the LDIF file source (RFC 2849 content records)
 *
 * SYNOPSIS
 *	#include "ldif.h"
 *
 *	int ldif_read_file(path, fn, ctx, d)
 *	int ldif_read_buffer(name, data, len, fn, ctx, d)
 *	int ldif_read_file_view(path, set, fn, ctx, d)
 *	int ldif_read_buffer_view(name, data, len, set, fn, ctx, d)
 *
 * DESCRIPTION
 *	The input is held in memory whole and walked twice. The first pass
 *	only validates, so a malformed file delivers no entry at all. The
 *	second pass builds one entry at a time, hands it to fn and frees it:
 *	memory stays bounded by the file plus its largest entry, whatever
 *	the number of entries. Lines are read where they are in the input;
 *	only a folded line is joined into a scratch line first. The view
 *	functions build, instead of an entry, a view over set in one
 *	reused scratch (entry.h: viewbuf): a plain value is copied there
 *	straight from the input, a base64 one once decoded, values of
 *	attributes set does not name are skipped, and nothing is allocated
 *	per value once the scratch has grown to the largest entry.
 *
 *	Accepted: an optional "version: 1" first line, '#' comments (folded
 *	ones too), folded lines (a line starting with one space continues
 *	the previous one), LF or CRLF line ends, records separated by one
 *	or more empty lines, "dn:" and "dn::", "attr: value", "attr:: base64"
 *	(any bytes), "attr:" (an empty value), attribute options such as
 *	"cn;lang-en" and Active Directory's "member;range=0-1499".
 *
 *	A plain value is passed on byte for byte: invalid UTF-8 and control
 *	characters are data, judged per value by later stages. Only what
 *	RFC 2849's SAFE-STRING cannot hold is refused (a leading ':' or '<',
 *	a NUL or a carriage return): such values must be base64-encoded.
 *
 *	Each entry's origin is "name:line" of its dn line.
 *
 * DIAGNOSTICS
 *	When the file cannot be read, what file_read_named() returns
 *	(file.h: ERR_NOINPUT when it is missing or unreadable, ERR_CONFIG
 *	when it is not a regular file of at most 4 GiB, ERR_UNAVAIL when
 *	it changed while read), where = the path. ERR_DATA for malformed
 *	input, with where = "name:line": URL values, change records, control
 *	lines, a record without dn or without attributes, a line without
 *	':', a continuation line at the start of a record, an invalid
 *	attribute description or base64 value, a plain value SAFE-STRING
 *	cannot hold. ERR_NOMEM. A negative return of fn is returned
 *	unchanged, without a message of our own.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrset.h"
#include "buf.h"
#include "entry.h"
#include "errors.h"
#include "file.h"
#include "ldif.h"

/* Longest piece of a bad attribute description quoted in a message. */
#define NAME_SHOW 64

enum line_kind {
	LINE_EMPTY,     /* separates records */
	LINE_ORPHAN,    /* continuation with no line to continue */
	LINE_COMMENT,
	LINE_TEXT
};

struct parser {
	const char *name;       /* for "name:line" */
	const char *data;
	size_t len;
	size_t pos;             /* start of the next physical line */
	size_t next_no;         /* number of the next physical line */
	size_t line_no;         /* first physical line of the logical one */
	const char *ls;         /* current logical line: in data, or */
	size_t ln;
	struct buf line;        /* unfolded here when it was folded */
	const char *vs;         /* current value, decoded: in the line, */
	size_t vn;
	struct buf value;       /* or here (base64, a C string) */
	struct buf attr;        /* an attribute's name as a C string */
	struct buf where;       /* scratch for "name:line" */
	struct diag *d;
	int deliver;            /* 0: validating pass, 1: building pass */
	entry_source_fn fn;     /* entries, or */
	entry_view_fn vfn;      /* views over set */
	const struct attrset *set;
	void *ctx;
	struct entry *e;        /* entry being built (building pass) */
	struct viewbuf vb;      /* view being built (building pass) */
	size_t dn_no;           /* line of the current record's dn */
	size_t nvalues;         /* attribute lines in the current record */
};

/* where_at - "name:no" in the parser's scratch buffer, NULL when out of
 * memory */
static const char *
where_at(struct parser *p, size_t no)
{
	buf_reset(&p->where);
	if (buf_printf(&p->where, "%s:%zu", p->name, no) < 0)
		return NULL;
	return p->where.data;
}

/* fail - record a data error at line no; returns ERR_DATA */
static int
fail(struct parser *p, size_t no, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct parser *p, size_t no, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	diag_error(p->d, where_at(p, no), "%s", what);
	return ERR_DATA;
}

/* nomem - record an allocation failure at the current line */
static int
nomem(struct parser *p)
{
	diag_error(p->d, where_at(p, p->line_no), "out of memory");
	return ERR_NOMEM;
}

/* next_physical - the next physical line, its LF or CRLF removed; the
 * caller checks that one is left */
static void
next_physical(struct parser *p, const char **s, size_t *n)
{
	const char *start = p->data + p->pos;
	const char *nl = memchr(start, '\n', p->len - p->pos);
	size_t m = nl ? (size_t)(nl - start) : p->len - p->pos;

	p->pos += nl ? m + 1 : m;
	p->next_no++;
	if (m > 0 && start[m - 1] == '\r')
		m--;
	*s = start;
	*n = m;
}

/* next_logical - one logical line into p->ls: the line in the input
 * itself, or its continuations joined into p->line (comments are
 * skipped whole, not copied); 1, 0 at the end, or ERR_NOMEM */
static int
next_logical(struct parser *p, enum line_kind *kind)
{
	const char *s;
	size_t n;

	if (p->pos >= p->len)
		return 0;
	p->line_no = p->next_no;
	next_physical(p, &s, &n);
	buf_reset(&p->line);
	if (n == 0) {
		*kind = LINE_EMPTY;
		return 1;
	}
	/* Anything that could be continued has absorbed its continuations
	 * already, so a space here follows an empty line or starts the
	 * input. */
	if (s[0] == ' ') {
		*kind = LINE_ORPHAN;
		return 1;
	}
	*kind = s[0] == '#' ? LINE_COMMENT : LINE_TEXT;
	p->ls = s;
	p->ln = n;
	/* most lines are not folded: those are read where they are */
	if (p->pos >= p->len || p->data[p->pos] != ' ')
		return 1;
	if (*kind == LINE_TEXT && buf_append(&p->line, s, n) < 0)
		return nomem(p);
	while (p->pos < p->len && p->data[p->pos] == ' ') {
		next_physical(p, &s, &n);
		if (*kind == LINE_TEXT &&
		    buf_append(&p->line, s + 1, n - 1) < 0)
			return nomem(p);
	}
	p->ls = p->line.data;
	p->ln = p->line.len;
	return 1;
}

/* is_alpha - ASCII letter, whatever the locale */
static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - ASCII digit */
static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* keychars - n > 0 bytes of letters, digits and '-' */
static int
keychars(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alpha((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* digits - length of the run of digits at the start of s[0..n) */
static size_t
digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	return i;
}

/* numeric_oid - number *("." number) */
static int
numeric_oid(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		k = digits(s + i, n - i);
		if (k == 0)
			return 0;
		i += k;
		if (i == n)
			return 1;
		if (s[i] != '.')
			return 0;
		i++;
	}
}

/* range_option - Active Directory's "range=LOW-HIGH" or "range=LOW-*" */
static int
range_option(const char *s, size_t n)
{
	size_t i = 6, k;

	if (n < 6 || strncasecmp(s, "range=", 6) != 0)
		return 0;
	k = digits(s + i, n - i);
	if (k == 0)
		return 0;
	i += k;
	if (i == n || s[i] != '-')
		return 0;
	i++;
	if (i + 1 == n && s[i] == '*')
		return 1;
	k = digits(s + i, n - i);
	return k > 0 && i + k == n;
}

/* valid_attr_desc - RFC 2849 AttributeDescription: a name (a letter,
 * then letters, digits, '-') or a numeric OID, then ";option"s */
static int
valid_attr_desc(const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	size_t k = semi ? (size_t)(semi - s) : n;

	if (k == 0)
		return 0;
	if (is_digit((unsigned char)s[0])) {
		if (!numeric_oid(s, k))
			return 0;
	} else if (!is_alpha((unsigned char)s[0]) || !keychars(s, k))
		return 0;
	while (k < n) {
		size_t start = k + 1, olen;

		semi = memchr(s + start, ';', n - start);
		olen = semi ? (size_t)(semi - (s + start)) : n - start;
		if (!keychars(s + start, olen) &&
		    !range_option(s + start, olen))
			return 0;
		k = start + olen;
	}
	return 1;
}

/* b64_digit - value of one base64 character, or -1 */
static int
b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* decode_base64 - append the bytes s[0..n) encodes to out (padded
 * RFC 4648 base64); 1 when valid, 0 when not, ERR_NOMEM */
static int
decode_base64(struct buf *out, const char *s, size_t n)
{
	unsigned char b[3];
	size_t i, j, pad;
	int v[4];

	if (n % 4 != 0)
		return 0;
	if (buf_grow(out, n / 4 * 3) < 0)
		return ERR_NOMEM;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)s[i + j];

			/* '=' only pads the last group, at most twice. */
			if (c == '=' && j >= 2 && i + 4 == n) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[j] = b64_digit(c)) < 0)
				return 0;
		}
		b[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		b[1] = (unsigned char)((v[1] & 0x0f) << 4 | v[2] >> 2);
		b[2] = (unsigned char)((v[2] & 0x03) << 6 | v[3]);
		if (buf_append(out, b, 3 - pad) < 0)
			return ERR_NOMEM;
	}
	return 1;
}

/* decode_value - the value-spec after "attr:" (s[0..n)) into p->vs and
 * p->vn: a plain value where it is, a base64 one decoded into p->value;
 * attr (alen bytes) names the attribute in messages */
static int
decode_value(struct parser *p, const char *attr, size_t alen,
    const char *s, size_t n)
{
	const int a = (int)alen;
	size_t i = 0;
	int rc;

	if (n > 0 && s[0] == '<')
		return fail(p, p->line_no, "URL values are not supported "
		    "(\"%.*s:<\"): put the value inline or base64-encode it",
		    a, attr);
	if (n > 0 && s[0] == ':') {
		for (i = 1; i < n && s[i] == ' '; i++)
			;
		buf_reset(&p->value);
		rc = decode_base64(&p->value, s + i, n - i);
		if (rc < 0)
			return nomem(p);
		if (rc == 0)
			return fail(p, p->line_no,
			    "invalid base64 in the value of \"%.*s\"", a, attr);
		p->vs = p->value.data ? p->value.data : "";
		p->vn = p->value.len;
		return 0;
	}
	while (i < n && s[i] == ' ')
		i++;
	/* SAFE-STRING: what cannot be written plain must be base64. */
	if (i < n && (s[i] == ':' || s[i] == '<'))
		return fail(p, p->line_no, "the value of \"%.*s\" starts with "
		    "'%c': such a value must be base64-encoded (\"%.*s::\")",
		    a, attr, s[i], a, attr);
	if (memchr(s + i, '\0', n - i) != NULL)
		return fail(p, p->line_no, "the value of \"%.*s\" contains a "
		    "NUL byte: such a value must be base64-encoded "
		    "(\"%.*s::\")", a, attr, a, attr);
	if (memchr(s + i, '\r', n - i) != NULL)
		return fail(p, p->line_no, "the value of \"%.*s\" contains a "
		    "carriage return: such a value must be base64-encoded "
		    "(\"%.*s::\")", a, attr, a, attr);
	p->vs = s + i;
	p->vn = n - i;
	return 0;
}

/* value_text - the decoded value as a C string, copied into p->value
 * when it is read where it is; NULL when out of memory */
static const char *
value_text(struct parser *p)
{
	if (p->vs != p->value.data) {
		buf_reset(&p->value);
		if (buf_append(&p->value, p->vs, p->vn) < 0)
			return NULL;
	}
	return p->value.data ? p->value.data : "";
}

/* is_word - the base name of an attribute (its n bytes before any
 * option) is word, any case */
static int
is_word(const char *base, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(base, word, n) == 0;
}

/* version_line - "version: 1", the only version there is */
static int
version_line(struct parser *p, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	if (n - i != 1 || s[i] != '1')
		return fail(p, p->line_no,
		    "unsupported LDIF version line (expected \"version: 1\")");
	return 0;
}

/* start_record - a dn line opens a record */
static int
start_record(struct parser *p, const char *s, size_t n)
{
	const char *origin, *dn;
	int rc;

	if ((rc = decode_value(p, "dn", 2, s, n)) < 0)
		return rc;
	/* The DN becomes a C string: refuse rather than cut it short. */
	if (memchr(p->vs, '\0', p->vn) != NULL)
		return fail(p, p->line_no, "the dn contains a NUL byte");
	p->dn_no = p->line_no;
	p->nvalues = 0;
	if (!p->deliver)
		return 0;
	if ((origin = where_at(p, p->dn_no)) == NULL)
		return nomem(p);
	if (p->vfn != NULL) {
		if (viewbuf_begin(&p->vb, p->vs, p->vn, origin) < 0)
			return nomem(p);
	} else if ((dn = value_text(p)) == NULL ||
	    entry_new(&p->e, dn, origin) < 0)
		return nomem(p);
	return 0;
}

/* end_record - an empty line or the end closes a record: hand it out */
static int
end_record(struct parser *p)
{
	int rc;

	if (p->nvalues == 0)
		return fail(p, p->dn_no, "the record has a dn but no "
		    "attributes");
	if (!p->deliver)
		return 0;
	if (p->vfn != NULL)
		return (rc = p->vfn(viewbuf_view(&p->vb), p->ctx)) < 0 ? rc : 0;
	rc = p->fn(p->e, p->ctx);
	entry_free(p->e);
	p->e = NULL;
	return rc < 0 ? rc : 0;
}

/* attr_line - one "attr: value" line inside a record */
static int
attr_line(struct parser *p, const char *attr, size_t alen, const char *s,
    size_t n)
{
	const char *semi = memchr(attr, ';', alen);
	size_t blen = semi ? (size_t)(semi - attr) : alen;
	int rc;

	if (!valid_attr_desc(attr, alen))
		return fail(p, p->line_no, "invalid attribute description "
		    "\"%.*s\"", (int)(alen < NAME_SHOW ? alen : NAME_SHOW),
		    attr);
	if (is_word(attr, blen, "changetype"))
		return fail(p, p->line_no, "change records are not "
		    "supported; splitsync reads content LDIF");
	if (is_word(attr, blen, "control"))
		return fail(p, p->line_no, "control: lines are not "
		    "supported; splitsync reads content LDIF");
	if (is_word(attr, blen, "dn"))
		return fail(p, p->line_no, "a second dn: line in one record "
		    "(records are separated by an empty line)");
	if ((rc = decode_value(p, attr, alen, s, n)) < 0)
		return rc;
	p->nvalues++;
	if (!p->deliver)
		return 0;
	if (p->vfn != NULL)
		return viewbuf_add(&p->vb, attr, alen, p->vs, p->vn) < 0 ?
		    nomem(p) : 0;
	/* entry_add_value takes the name as a C string */
	buf_reset(&p->attr);
	if (buf_append(&p->attr, attr, alen) < 0 ||
	    entry_add_value(p->e, p->attr.data, p->vs, p->vn) < 0)
		return nomem(p);
	return 0;
}

/* text_line - dispatch one logical line that is not a comment */
static int
text_line(struct parser *p, int *first, int *in_record)
{
	const char *s = p->ls, *colon;
	size_t n = p->ln, alen;
	int rc;

	colon = memchr(s, ':', n);
	if (colon == NULL)
		return fail(p, p->line_no, "line has no ':' (expected "
		    "\"attribute: value\")");
	alen = (size_t)(colon - s);
	if (*first) {
		*first = 0;
		if (alen == 7 && strncasecmp(s, "version", 7) == 0)
			return version_line(p, colon + 1, n - alen - 1);
	}
	if (*in_record)
		return attr_line(p, s, alen, colon + 1, n - alen - 1);
	if (alen != 2 || strncasecmp(s, "dn", 2) != 0)
		return fail(p, p->line_no, "the record does not start with "
		    "a dn: line (found \"%.*s:\")",
		    (int)(alen < NAME_SHOW ? alen : NAME_SHOW), s);
	if ((rc = start_record(p, colon + 1, n - alen - 1)) < 0)
		return rc;
	*in_record = 1;
	return 0;
}

/* parse - one pass over the input */
static int
parse(struct parser *p)
{
	enum line_kind kind;
	int first = 1, in_record = 0, rc;

	while ((rc = next_logical(p, &kind)) > 0) {
		switch (kind) {
		case LINE_EMPTY:
			if (in_record) {
				in_record = 0;
				if ((rc = end_record(p)) < 0)
					return rc;
			}
			break;
		case LINE_ORPHAN:
			return fail(p, p->line_no, "continuation line "
			    "(starting with a space) at the start of a "
			    "record");
		case LINE_COMMENT:
			break;
		case LINE_TEXT:
			if ((rc = text_line(p, &first, &in_record)) < 0)
				return rc;
			break;
		}
	}
	if (rc < 0)
		return rc;
	return in_record ? end_record(p) : 0;
}

/* read_buffer - validate everything, then deliver entry by entry, as
 * entries to fn or as views over set to vfn */
static int
read_buffer(const char *name, const char *data, size_t len,
    entry_source_fn fn, entry_view_fn vfn, const struct attrset *set,
    void *ctx, struct diag *d)
{
	struct parser p;
	int rc;

	memset(&p, 0, sizeof p);
	p.name = name;
	p.data = data;
	p.len = len;
	p.next_no = 1;
	p.d = d;
	p.fn = fn;
	p.vfn = vfn;
	p.set = set;
	p.ctx = ctx;
	buf_init(&p.line);
	buf_init(&p.value);
	buf_init(&p.attr);
	buf_init(&p.where);
	viewbuf_init(&p.vb, set);

	rc = parse(&p);
	if (rc < 0)
		goto cleanup;
	p.pos = 0;
	p.next_no = 1;
	p.deliver = 1;
	rc = parse(&p);
cleanup:
	entry_free(p.e);
	viewbuf_free(&p.vb);
	buf_free(&p.line);
	buf_free(&p.value);
	buf_free(&p.attr);
	buf_free(&p.where);
	return rc;
}

/* read_file - read a regular file whole, then parse it */
static int
read_file(const char *path, entry_source_fn fn, entry_view_fn vfn,
    const struct attrset *set, void *ctx, struct diag *d)
{
	char *data = NULL;
	size_t size = 0;
	int rc;

	rc = file_read_named(path, "LDIF file", FILE_MAX_LDIF, 0, &data, &size,
	    d);
	if (rc == 0)
		rc = read_buffer(path, data, size, fn, vfn, set, ctx, d);
	free(data);
	return rc;
}

/* ldif_read_buffer - the entries of bytes in memory */
int
ldif_read_buffer(const char *name, const char *data, size_t len,
    entry_source_fn fn, void *ctx, struct diag *d)
{
	return read_buffer(name, data, len, fn, NULL, NULL, ctx, d);
}

/* ldif_read_file - the entries of a file */
int
ldif_read_file(const char *path, entry_source_fn fn, void *ctx,
    struct diag *d)
{
	return read_file(path, fn, NULL, NULL, ctx, d);
}

/* ldif_read_buffer_view - the views of bytes in memory */
int
ldif_read_buffer_view(const char *name, const char *data, size_t len,
    const struct attrset *set, entry_view_fn fn, void *ctx, struct diag *d)
{
	return read_buffer(name, data, len, NULL, fn, set, ctx, d);
}

/* ldif_read_file_view - the views of a file */
int
ldif_read_file_view(const char *path, const struct attrset *set,
    entry_view_fn fn, void *ctx, struct diag *d)
{
	return read_file(path, NULL, fn, set, ctx, d);
}

/* safe_string - whether RFC 2849 lets value be written as it is */
static int
safe_string(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return 1;
	if (v[0] == ' ' || v[0] == ':' || v[0] == '<' || v[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == 0 || c == '\n' || c == '\r' || c >= 0x80)
			return 0;
	}
	return 1;
}

/* put_base64 - append the base64 encoding of len bytes */
static int
put_base64(struct buf *out, const unsigned char *p, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i + 2 < len; i += 3) {
		q[0] = tab[p[i] >> 2];
		q[1] = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = tab[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		q[3] = tab[p[i + 2] & 63];
		rc = buf_append(out, q, 4);
	}
	if (rc == 0 && i < len) {
		q[0] = tab[p[i] >> 2];
		if (i + 1 < len) {
			q[1] = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
			q[2] = tab[(p[i + 1] & 15) << 2];
		} else {
			q[1] = tab[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		rc = buf_append(out, q, 4);
	}
	return rc;
}

/* put_line - "name: value" or "name:: base64" */
static int
put_line(struct buf *out, const char *name, const char *v, size_t len)
{
	int rc = buf_puts(out, name);

	if (rc == 0 && safe_string(v, len)) {
		rc = buf_puts(out, len ? ": " : ":");
		rc = rc ? rc : buf_append(out, v, len);
	} else if (rc == 0) {
		rc = buf_puts(out, ":: ");
		rc = rc ? rc : put_base64(out, (const unsigned char *)v, len);
	}
	return rc ? rc : buf_putc(out, '\n');
}

/* ldif_write_entry - one content record; lines are not folded */
int
ldif_write_entry(struct buf *out, const struct entry *e)
{
	size_t i, j;
	int rc;

	rc = put_line(out, "dn", e->dn, strlen(e->dn));
	for (i = 0; rc == 0 && i < e->count; i++)
		for (j = 0; rc == 0 && j < e->attrs[i].count; j++)
			rc = put_line(out, e->attrs[i].name,
			    e->attrs[i].values[j].data, e->attrs[i].values[j].len);
	return rc ? rc : buf_putc(out, '\n');
}
