/*
 * routes - the route listing kept beside the tables, and its changes
 *
 * DESCRIPTION
 *	The listing is the model reduced to one row per routing key, with
 *	the entry each row came from. It is committed with the tables
 *	(where: layout.h), read back on the next run, and compared row by row
 *	to describe a commit address by address.
 *
 * DIAGNOSTICS
 *	routes_parse reports a malformed line as "name:line"; everything
 *	else fails only for lack of memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "log.h"
#include "routes.h"

#define NFIELDS 5

/* route_row_clear - release one row's strings */
void
route_row_clear(struct route_row *r)
{
	free(r->key);
	free(r->kind);
	free(r->nexthop);
	free(r->id);
	free(r->dn);
}

/* routes_clear - release a listing */
void
routes_clear(struct routes *r)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		route_row_clear(&r->rows[i]);
	free(r->rows);
	r->rows = NULL;
	r->count = 0;
}

/* push_row - append a row made of copies of the five fields */
static int
push_row(struct routes *r, size_t *cap, const char *key, const char *kind,
    const char *nexthop, const char *id, const char *dn)
{
	struct route_row *row;

	if (r->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct route_row *p;

		if (ncap > SIZE_MAX / sizeof *p)
			return ERR_NOMEM;
		p = realloc(r->rows, ncap * sizeof *p);
		if (p == NULL)
			return ERR_NOMEM;
		r->rows = p;
		*cap = ncap;
	}
	row = &r->rows[r->count];
	row->key = strdup(key);
	row->kind = strdup(kind);
	row->nexthop = strdup(nexthop ? nexthop : "");
	row->id = strdup(id ? id : "");
	row->dn = strdup(dn ? dn : "");
	if (!row->key || !row->kind || !row->nexthop || !row->id || !row->dn) {
		route_row_clear(row);
		return ERR_NOMEM;
	}
	r->count++;
	return 0;
}

/* row_cmp - rows by key */
static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route_row *)a)->key,
	    ((const struct route_row *)b)->key);
}

/* routes_from_model - one row per address and per domain-wide key */
int
routes_from_model(const struct model *m, struct routes *out)
{
	size_t i, j, cap = 0;
	char *key = NULL;
	int rc = 0;

	out->rows = NULL;
	out->count = 0;
	for (i = 0; rc == 0 && i < model_address_count(m); i++) {
		struct model_address a;

		rc = model_address_at(m, i, &a);
		/* An id equal to the DN (no entryUUID) is not repeated. */
		rc = rc ? rc : push_row(out, &cap, a.address, a.route ==
		    ROUTE_EXTERNAL ? "external" : "internal", a.nexthop,
		    strcmp(a.id, a.dn) == 0 ? "" : a.id, a.dn);
	}
	for (i = 0; rc == 0 && i < model_domain_count(m); i++) {
		const struct model_domain *dm = model_domain_at(m, i);
		size_t klen = strlen(dm->name) + 2;

		key = malloc(klen);
		if (key == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		key[0] = '@';
		memcpy(key + 1, dm->name, klen - 1);
		rc = push_row(out, &cap, key, dm->forward_unknown ?
		    "unknown-relay" : "unknown-reject", dm->forward_unknown ?
		    dm->relay : "", "", dm->origin);
		free(key);
		key = NULL;
		for (j = 0; rc == 0 && j < dm->naliases; j++) {
			klen = strlen(dm->aliases[j]) + 2;
			key = malloc(klen);
			if (key == NULL) {
				rc = ERR_NOMEM;
				break;
			}
			key[0] = '@';
			memcpy(key + 1, dm->aliases[j], klen - 1);
			rc = push_row(out, &cap, key, "alias-domain", dm->name,
			    "", dm->origin);
			free(key);
			key = NULL;
		}
	}
	if (rc < 0) {
		routes_clear(out);
		return rc;
	}
	qsort(out->rows, out->count, sizeof *out->rows, row_cmp);
	return 0;
}

/* routes_put_field - append a field, percent-encoding what would break
 * a line */
int
routes_put_field(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	int rc = 0;

	/* Runs of plain bytes at once: a listing is millions of fields,
	 * nearly all plain. */
	for (; *p && rc == 0; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '%') {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			rc = buf_append(out, run, (size_t)(p - run));
			rc = rc ? rc : buf_append(out, esc, 3);
			run = p + 1;
		}
	}
	return rc ? rc : buf_append(out, run, (size_t)(p - run));
}

/* routes_field_len - what routes_put_field appends */
size_t
routes_field_len(const char *s)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)s; *p; p++)
		n += *p < 0x20 || *p == 0x7f || *p == '%' ? 3 : 1;
	return n;
}

/* routes_format - the listing as text */
int
routes_format(const struct routes *r, struct buf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < r->count; i++) {
		const struct route_row *row = &r->rows[i];

		rc = routes_put_field(out, row->key);
		rc = rc ? rc : buf_putc(out, '\t');
		rc = rc ? rc : routes_put_field(out, row->kind);
		rc = rc ? rc : buf_putc(out, '\t');
		rc = rc ? rc : routes_put_field(out, row->nexthop);
		rc = rc ? rc : buf_putc(out, '\t');
		rc = rc ? rc : routes_put_field(out, row->id);
		rc = rc ? rc : buf_putc(out, '\t');
		rc = rc ? rc : routes_put_field(out, row->dn);
		rc = rc ? rc : buf_putc(out, '\n');
	}
	return rc;
}

/* routes_decode_field - copy of [s, s+len) with %XX decoded, or NULL; a
 * decoded NUL or a bad escape fails (*bad set) */
char *
routes_decode_field(const char *s, size_t len, int *bad)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		/* routes_format never writes these raw: the file is damaged. */
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*bad = 1;
			break;
		}
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= len) {
			*bad = 1;
			break;
		}
		hi = buf_hexval(s[i + 1]);
		lo = buf_hexval(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			*bad = 1;
			break;
		}
		*o++ = (char)(hi * 16 + lo);
		i += 2;
	}
	*o = '\0';
	if (*bad) {
		free(out);
		return NULL;
	}
	return out;
}

/* routes_parse - read a listing */
int
routes_parse(const char *name, const char *data, size_t len,
    struct routes *out, struct diag *d)
{
	const char *p = data, *end = data + len, *nl, *f[NFIELDS + 1];
	char *field[NFIELDS];
	size_t line = 0, cap = 0, i, k;
	int rc = 0, bad;

	out->rows = NULL;
	out->count = 0;
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			diag_error(d, NULL, "%s:%zu: missing newline at end", name,
			    line);
			rc = ERR_DATA;
			goto cleanup;
		}
		f[0] = p;
		for (k = 1, i = 0; p + i < nl && k <= NFIELDS; i++)
			if (p[i] == '\t')
				f[k++] = p + i + 1;
		if (k != NFIELDS || memchr(f[NFIELDS - 1], '\t',
		    (size_t)(nl - f[NFIELDS - 1]))) {
			diag_error(d, NULL, "%s:%zu: expected %d fields", name,
			    line, NFIELDS);
			rc = ERR_DATA;
			goto cleanup;
		}
		f[NFIELDS] = nl + 1;
		bad = 0;
		for (k = 0; k < NFIELDS; k++)
			field[k] = NULL;
		for (k = 0; k < NFIELDS && !bad; k++) {
			field[k] = routes_decode_field(f[k],
			    (size_t)(f[k + 1] - f[k] - 1), &bad);
			if (field[k] == NULL && !bad)
				rc = ERR_NOMEM;
			if (field[k] == NULL)
				break;
		}
		if (field[0] && field[NFIELDS - 1] && !bad)
			rc = push_row(out, &cap, field[0], field[1], field[2],
			    field[3], field[4]);
		else if (rc == 0)
			bad = 1;
		for (k = 0; k < NFIELDS; k++)
			free(field[k]);
		if (bad) {
			diag_error(d, NULL, "%s:%zu: bad %%-escape or control "
			    "byte", name, line);
			rc = ERR_DATA;
		}
		if (rc < 0)
			goto cleanup;
		if (out->count > 1 && strcmp(out->rows[out->count - 2].key,
		    out->rows[out->count - 1].key) >= 0) {
			diag_error(d, NULL, "%s:%zu: keys out of order", name,
			    line);
			rc = ERR_DATA;
			goto cleanup;
		}
		p = nl + 1;
	}
	return 0;
cleanup:
	routes_clear(out);
	return rc;
}

/* routes_find - binary search by key */
const struct route_row *
routes_find(const struct routes *r, const char *key)
{
	size_t lo = 0, hi = r->count, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, r->rows[mid].key);
		if (c == 0)
			return &r->rows[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* routes_row_same - whether two rows route the same way */
int
routes_row_same(const struct route_row *a, const struct route_row *b)
{
	/* Without an entryUUID the DN is the owner's identity. */
	return strcmp(a->kind, b->kind) == 0 &&
	    strcmp(a->nexthop, b->nexthop) == 0 &&
	    strcmp(a->id, b->id) == 0 &&
	    (*a->id || strcmp(a->dn, b->dn) == 0);
}

/* routes_diff - merge the two sorted listings */
int
routes_diff(const struct routes *old, const struct routes *new,
    struct route_change **out, size_t *n)
{
	struct route_change *ch = NULL;
	size_t i = 0, j = 0, count = 0, cap = 0;
	int c;

	*out = NULL;
	*n = 0;
	while (i < old->count || j < new->count) {
		struct route_change one = { 0, NULL, NULL };

		if (i == old->count)
			c = 1;
		else if (j == new->count)
			c = -1;
		else
			c = strcmp(old->rows[i].key, new->rows[j].key);
		if (c < 0) {
			one.op = '-';
			one.old = &old->rows[i++];
		} else if (c > 0) {
			one.op = '+';
			one.new = &new->rows[j++];
		} else {
			one.op = '~';
			one.old = &old->rows[i++];
			one.new = &new->rows[j++];
			if (routes_row_same(one.old, one.new))
				continue;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct route_change *p;

			if (ncap > SIZE_MAX / sizeof *p)
				goto nomem;
			p = realloc(ch, ncap * sizeof *p);
			if (p == NULL)
				goto nomem;
			ch = p;
			cap = ncap;
		}
		ch[count++] = one;
	}
	*out = ch;
	*n = count;
	return 0;
nomem:
	free(ch);
	return ERR_NOMEM;
}

/* describe_row - "kind nexthop" */
static int
describe_row(struct buf *out, const struct route_row *r)
{
	if (*r->nexthop)
		return buf_printf(out, "%s %s", r->kind, r->nexthop);
	return buf_puts(out, r->kind);
}

/* routes_describe - one line for a change */
int
routes_describe(const struct route_change *c, struct buf *out)
{
	const struct route_row *cur = c->new ? c->new : c->old;
	int rc;

	rc = buf_printf(out, "%c %s: ", c->op, cur->key);
	if (rc == 0 && c->old)
		rc = describe_row(out, c->old);
	if (rc == 0 && c->old && c->new)
		rc = buf_puts(out, " -> ");
	if (rc == 0 && c->new)
		rc = describe_row(out, c->new);
	if (rc == 0 && *cur->dn) {
		/* A DN may hold any byte; a commit message line must not. */
		rc = buf_puts(out, " (");
		rc = rc ? rc : log_escape(out, cur->dn);
		rc = rc ? rc : buf_putc(out, ')');
	}
	return rc;
}

/* domain_cmp - counts by domain name */
static int
domain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct routes_domain *)a)->name,
	    ((const struct routes_domain *)b)->name);
}

/* managing - the managed domain an address row counts for into *dom:
 * its own, or the one its domain is an alias of; NULL when the listing
 * has neither. ERR_NOMEM */
static int
managing(const struct routes *r, const char *address, struct buf *key,
    const char **dom)
{
	const char *at = strrchr(address, '@');
	const struct route_row *row;

	*dom = NULL;
	if (at == NULL)
		return 0;
	buf_reset(key);
	if (buf_puts(key, at) < 0)
		return ERR_NOMEM;
	row = routes_find(r, key->data);
	if (row && strcmp(row->kind, "alias-domain") == 0)
		*dom = row->nexthop;
	else if (row)
		*dom = row->key + 1;
	return 0;
}

/* routes_domains - addresses per managed domain */
int
routes_domains(const struct routes *r, struct routes_domain **out,
    size_t *n)
{
	struct routes_domain *v = NULL, probe, *hit;
	struct buf key = BUF_INIT;
	const char *dom;
	size_t i, count = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < r->count; i++)
		count += r->rows[i].key[0] == '@' &&
		    strcmp(r->rows[i].kind, "alias-domain") != 0;
	if (count && (v = calloc(count, sizeof *v)) == NULL)
		return ERR_NOMEM;
	count = 0;
	/* Rows are sorted by key: "@name" rows come in name order. */
	for (i = 0; i < r->count; i++) {
		if (r->rows[i].key[0] != '@' ||
		    strcmp(r->rows[i].kind, "alias-domain") == 0)
			continue;
		v[count].name = r->rows[i].key + 1;
		v[count++].relayed = strcmp(r->rows[i].kind,
		    "unknown-relay") == 0;
	}
	for (i = 0; i < r->count; i++) {
		if (r->rows[i].key[0] == '@')
			continue;
		if ((rc = managing(r, r->rows[i].key, &key, &dom)) < 0)
			break;
		if (dom == NULL)
			continue;
		probe.name = dom;
		hit = count ? bsearch(&probe, v, count, sizeof *v,
		    domain_cmp) : NULL;
		if (hit == NULL)
			continue;
		if (strcmp(r->rows[i].kind, "external") == 0)
			hit->external++;
		else
			hit->internal++;
	}
	buf_free(&key);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

/* routes_print_domains - one line per managed domain */
int
routes_print_domains(FILE *out, const struct routes *r)
{
	struct routes_domain *v;
	size_t i, n;
	int rc;

	if ((rc = routes_domains(r, &v, &n)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		fprintf(out, "domain %s: %zu internal, %zu external, unknown "
		    "recipients %s\n", v[i].name, v[i].internal, v[i].external,
		    v[i].relayed ? "relayed" : "rejected");
	free(v);
	return 0;
}
