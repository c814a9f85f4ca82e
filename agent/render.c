/*
 * render - the model written as Postfix lookup tables
 *
 * DESCRIPTION
 *	Renderers are a small table looked up by name; the tables of each
 *	layout and the shapes of their rows come from the layout
 *	definition (layout.h, layouts/postfix.tables). A table is
 *	rendered alone: the renderer runs over the whole model and the
 *	rows of that table are kept (16 bytes each: two references), each
 *	checked against the shapes of its table as it comes
 *	(layout_row_check, on the row's text put together in a scratch
 *	buffer). The rows are then cut into shards by the FNV-1a of their
 *	key (shard.h; a counting sort, stable), each shard sorted by its
 *	lines (strsort.h: the key, then the separator, a space, which
 *	sorts before every byte a key may hold, then the value) and its
 *	exact duplicates dropped. Text exists only when a shard's bytes
 *	are asked for; its length is known before.
 *
 *	Every table of the layout is rendered, even when empty, so
 *	postmap always finds every file.
 *
 * DIAGNOSTICS
 *	ERR_INVAL for an unknown layout or table, ERR_NOMEM; ERR_BUG when
 *	a renderer adds a row to a table the layout does not have, or a
 *	row of no shape the layout lists for its table: nothing is
 *	rendered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "errors.h"
#include "layout.h"
#include "render.h"
#include "shard.h"
#include "strsort.h"
#include "vec.h"

#define OUT_CHUNK (64u << 10)   /* a shard's text is emitted in pieces */

struct renderer {
	const char *layout;
	render_fn *render;
};

static const struct renderer renderers[] = {
	{ "bluemind", render_bluemind },
	{ "gateway", render_gateway },
};

/* One row: two references. */
struct row {
	uint32_t key, val;
	uint16_t ksub, vsub;
	uint8_t kkind, vkind;
};

struct render_rows {
	const struct layout_def *lay;
	const struct model *model;
	int want;                       /* the table rendered */
	struct row *rows;
	size_t n, cap;
	struct arena text;              /* RENDER_TEXT */
	struct buf key, value;          /* a row's text, for its check */
};

struct render_table {
	const char *name;
	const struct model *model;
	struct arena text;
	struct row *rows;               /* shard after shard */
	size_t *first;                  /* nshards + 1 offsets into rows */
	size_t *len;                    /* bytes of each shard's text */
	size_t nshards;                 /* 1 for a table in one file */
};

/* A piece of text. */
struct seg {
	const char *p;
	size_t n;
};

/* A row's line: key (one or two pieces), " ", value (one or two). */
struct line {
	struct seg s[5];
	int n;
	size_t len;
};

/* find_renderer - the renderer of a layout the definition has, or NULL */
static const struct renderer *
find_renderer(const char *layout)
{
	size_t i;

	if (layout_find(layout) == NULL)
		return NULL;
	for (i = 0; i < sizeof renderers / sizeof renderers[0]; i++)
		if (strcmp(renderers[i].layout, layout) == 0)
			return &renderers[i];
	return NULL;
}

/* render_layout_known - whether name is a layout with a renderer */
int
render_layout_known(const char *name)
{
	return find_renderer(name) != NULL;
}

/* count_tables - the tables of a definition */
static size_t
count_tables(const struct layout_def *lay)
{
	size_t n = 0;

	while (lay->tables[n])
		n++;
	return n;
}

/* render_table_count - the tables of a layout */
size_t
render_table_count(const char *layout)
{
	const struct layout_def *lay = layout_find(layout);

	return lay ? count_tables(lay) : 0;
}

/* ref_segs - the text of a reference, in one or two pieces at out;
 * their number */
static int
ref_segs(const struct model *m, const struct arena *text, uint8_t kind,
    uint32_t id, uint16_t sub, struct seg *out)
{
	const struct model_domain *dm;
	const char *a, *at;

	switch ((enum render_kind)kind) {
	case RENDER_ADDRESS:
		out[0].p = model_slot_address(m, id);
		out[0].n = model_slot_len(m, id);
		return 1;
	case RENDER_TWIN:
		a = model_slot_address(m, id);
		at = strchr(a, '@');
		dm = model_domain_at(m, model_slot_domain(m, id));
		out[0].p = a;
		out[0].n = (size_t)(at - a) + 1;
		out[1].p = dm->aliases[sub];
		out[1].n = strlen(out[1].p);
		return 2;
	case RENDER_NAME:
	case RENDER_AT_NAME:
		dm = model_domain_at(m, id);
		a = sub ? dm->aliases[sub - 1] : dm->name;
		if (kind == RENDER_NAME) {
			out[0].p = a;
			out[0].n = strlen(a);
			return 1;
		}
		out[0].p = "@";
		out[0].n = 1;
		out[1].p = a;
		out[1].n = strlen(a);
		return 2;
	case RENDER_OK:
		out[0].p = "OK";
		out[0].n = 2;
		return 1;
	case RENDER_DEFAULT:
		out[0].p = ":";
		out[0].n = 1;
		return 1;
	case RENDER_NEXTHOP:
		out[0].p = model_nexthop_text(m, id);
		out[0].n = strlen(out[0].p);
		return 1;
	case RENDER_TEXT:
		break;
	}
	out[0].p = arena_str(text, id);
	out[0].n = strlen(out[0].p);
	return 1;
}

/* line_of - the pieces of a row's line (without its newline) */
static void
line_of(const struct model *m, const struct arena *text,
    const struct row *w, struct line *l)
{
	int i;

	l->n = ref_segs(m, text, w->kkind, w->key, w->ksub, l->s);
	l->s[l->n].p = " ";
	l->s[l->n].n = 1;
	l->n++;
	l->n += ref_segs(m, text, w->vkind, w->val, w->vsub, l->s + l->n);
	for (l->len = 0, i = 0; i < l->n; i++)
		l->len += l->s[i].n;
}

/* key_hash - FNV-1a of a row's key, as shard_hash of its text */
static uint32_t
key_hash(const struct model *m, const struct arena *text,
    const struct row *w)
{
	struct seg s[2];
	uint32_t h = 2166136261u;
	int i, n = ref_segs(m, text, w->kkind, w->key, w->ksub, s);
	size_t k;

	for (i = 0; i < n; i++)
		for (k = 0; k < s[i].n; k++) {
			h ^= (unsigned char)s[i].p[k];
			h *= 16777619u;
		}
	return h;
}

/* put_segs - the pieces of a reference as one NUL-terminated text */
static int
put_segs(struct buf *b, const struct seg *s, int n)
{
	int i, rc = 0;

	buf_reset(b);
	for (i = 0; rc == 0 && i < n; i++)
		rc = buf_append(b, s[i].p, s[i].n);
	return rc ? rc : buf_grow(b, 0);
}

/* render_table_of - a table's index in the layout */
int
render_table_of(const struct render_rows *r, const char *table)
{
	int i;

	for (i = 0; r->lay->tables[i]; i++)
		if (strcmp(r->lay->tables[i], table) == 0)
			return i;
	return -1;
}

/* render_rows_want - whether rows of table t are kept */
int
render_rows_want(const struct render_rows *r, int t)
{
	return t == r->want;
}

/* render_rows_put - one row, checked, for the table rendered */
int
render_rows_put(struct render_rows *r, int t, struct render_ref key,
    struct render_ref value)
{
	struct seg s[2];
	struct row *w;
	int rc;

	if (t < 0 || (size_t)t >= count_tables(r->lay))
		return ERR_BUG;         /* a table the layout does not have */
	if (t != r->want)
		return 0;
	rc = put_segs(&r->key, s, ref_segs(r->model, &r->text, key.kind,
	    key.id, key.sub, s));
	rc = rc ? rc : put_segs(&r->value, s, ref_segs(r->model, &r->text,
	    value.kind, value.id, value.sub, s));
	if (rc < 0)
		return rc;
	if (layout_row_check(r->lay, r->lay->tables[t], r->model, r->key.data,
	    r->value.data, NULL) < 0)
		return ERR_BUG;
	if (vec_grow((void **)&r->rows, &r->cap, r->n, sizeof *r->rows) < 0)
		return ERR_NOMEM;
	w = &r->rows[r->n++];
	w->key = key.id;
	w->ksub = key.sub;
	w->kkind = key.kind;
	w->val = value.id;
	w->vsub = value.sub;
	w->vkind = value.kind;
	return 0;
}

/* render_rows_add - one row given as texts */
int
render_rows_add(struct render_rows *r, const char *table, const char *key,
    const char *value)
{
	int t = render_table_of(r, table);
	uint32_t k, v;
	int rc;

	if (t < 0)
		return ERR_BUG;
	if (t != r->want)
		return 0;
	rc = arena_add(&r->text, key, strlen(key), &k);
	rc = rc ? rc : arena_add(&r->text, value, strlen(value), &v);
	if (rc < 0)
		return rc;
	return render_rows_put(r, t, render_ref_of(RENDER_TEXT, k, 0),
	    render_ref_of(RENDER_TEXT, v, 0));
}

/* What the sort of one shard reads: each row's line, flat. */
struct sorting {
	const char *flat;
	const size_t *at;               /* per row: its line in flat */
};

/* flat_word - strsort_word_fn over the flat lines */
static uint32_t
flat_word(void *ctx, uint32_t idx, size_t at)
{
	const struct sorting *x = ctx;

	return strsort_word(x->flat + x->at[idx], at);
}

/* line_cmp_flat - a line against len bytes of flat text */
static int
line_cmp_flat(const struct line *l, const char *p, size_t len)
{
	size_t n, off = 0;
	int i, c;

	for (i = 0; i < l->n; i++) {
		n = l->s[i].n < len - off ? l->s[i].n : len - off;
		if ((c = memcmp(l->s[i].p, p + off, n)) != 0)
			return c;
		if (n < l->s[i].n)
			return 1;       /* the text ended first */
		off += n;
	}
	return off < len ? -1 : 0;
}

/* sort_shard - rows[0..n) sorted by their lines, duplicates dropped;
 * their new number into *kept, the bytes of their text into *len.
 * Each line is made once, flat, for the sort: a radix sort reads a
 * line a few times, and making it from its references each time
 * (lengths counted again) cost more than the sort itself. */
static int
sort_shard(struct render_table *rt, struct row *rows, size_t n,
    struct row *tmp, size_t *kept, size_t *len)
{
	struct sorting x;
	struct line l;
	char *flat = NULL, *p;
	size_t *at = NULL, i, j, k = 0, total = 0;
	uint32_t *v = NULL;
	int rc = ERR_NOMEM, si;

	*kept = 0;
	*len = 0;
	if (n == 0)
		return 0;
	if ((at = malloc(n * sizeof *at)) == NULL ||
	    (v = malloc(n * sizeof *v)) == NULL)
		goto cleanup;
	for (i = 0; i < n; i++) {
		line_of(rt->model, &rt->text, &rows[i], &l);
		at[i] = total;
		total += l.len + 1;
	}
	if ((flat = malloc(total)) == NULL)
		goto cleanup;
	for (i = 0, p = flat; i < n; i++) {
		line_of(rt->model, &rt->text, &rows[i], &l);
		for (si = 0; si < l.n; si++) {
			memcpy(p, l.s[si].p, l.s[si].n);
			p += l.s[si].n;
		}
		*p++ = '\0';
		v[i] = (uint32_t)i;
	}
	x.flat = flat;
	x.at = at;
	if ((rc = strsort(v, n, flat_word, &x)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		tmp[i] = rows[v[i]];
	for (i = 0; i < n; i++) {
		if (k && strcmp(flat + at[v[i - 1]], flat + at[v[i]]) == 0)
			continue;
		rows[k++] = tmp[i];
		j = v[i];
		*len += (j + 1 < n ? at[j + 1] : total) - at[j];
	}
	*kept = k;
cleanup:
	free(flat);
	free(v);
	free(at);
	return rc;
}

/* cut - the rows into their shards, each sorted */
static int
cut(struct render_table *rt, struct render_rows *r, size_t nshards)
{
	struct row *out = NULL, *tmp = NULL;
	uint32_t *shard = NULL;
	size_t *at = NULL, i, s, n = r->n, kept, from;
	int rc = ERR_NOMEM;

	rt->nshards = nshards ? nshards : 1;
	rt->first = calloc(rt->nshards + 1, sizeof *rt->first);
	rt->len = calloc(rt->nshards, sizeof *rt->len);
	at = calloc(rt->nshards + 1, sizeof *at);
	out = malloc((n ? n : 1) * sizeof *out);
	tmp = malloc((n ? n : 1) * sizeof *tmp);
	if (nshards > 1)
		shard = malloc((n ? n : 1) * sizeof *shard);
	if (!rt->first || !rt->len || !at || !out || !tmp ||
	    (nshards > 1 && !shard))
		goto cleanup;
	/* a counting sort by shard: each shard's rows in the order made */
	for (i = 0; i < n; i++) {
		s = nshards > 1 ? key_hash(rt->model, &rt->text, &r->rows[i]) &
		    (nshards - 1) : 0;
		if (shard)
			shard[i] = (uint32_t)s;
		at[s + 1]++;
	}
	for (s = 0; s < rt->nshards; s++)
		at[s + 1] += at[s];
	for (i = 0; i < n; i++)
		out[at[shard ? shard[i] : 0]++] = r->rows[i];
	/* at[s] is now where shard s ends; sort and pack each */
	rc = 0;
	for (from = 0, s = 0; rc == 0 && s < rt->nshards; s++) {
		size_t begin = s ? at[s - 1] : 0;

		rc = sort_shard(rt, out + begin, at[s] - begin, tmp, &kept,
		    &rt->len[s]);
		if (rc == 0 && from != begin)
			memmove(out + from, out + begin, kept * sizeof *out);
		rt->first[s] = from;
		from += kept;
	}
	rt->first[rt->nshards] = from;
	rt->rows = out;
	out = NULL;
cleanup:
	free(out);
	free(tmp);
	free(shard);
	free(at);
	return rc;
}

/* render_table_free - release a rendered table */
void
render_table_free(struct render_table *rt)
{
	if (rt == NULL)
		return;
	arena_free(&rt->text);
	free(rt->rows);
	free(rt->first);
	free(rt->len);
	free(rt);
}

/* table_with - table t of lay rendered by fn */
static int
table_with(const struct layout_def *lay, render_fn *fn, const struct model *m,
    size_t t, size_t nshards, struct render_table **out)
{
	struct render_rows r;
	struct render_table *rt;
	int rc;

	*out = NULL;
	if (t >= count_tables(lay))
		return ERR_INVAL;
	memset(&r, 0, sizeof r);
	r.lay = lay;
	r.model = m;
	r.want = (int)t;
	buf_init(&r.key);
	buf_init(&r.value);
	if ((rt = calloc(1, sizeof *rt)) == NULL)
		return ERR_NOMEM;
	rt->name = lay->tables[t];
	rt->model = m;
	rc = fn(m, &r);
	buf_free(&r.key);
	buf_free(&r.value);
	rt->text = r.text;
	rc = rc ? rc : cut(rt, &r, nshards);
	free(r.rows);
	if (rc < 0) {
		render_table_free(rt);
		return rc;
	}
	*out = rt;
	return 0;
}

/* render_table_new - one table of a layout */
int
render_table_new(const char *layout, const struct model *m, size_t t,
    size_t nshards, struct render_table **out)
{
	const struct renderer *r = find_renderer(layout);

	*out = NULL;
	if (r == NULL)
		return ERR_INVAL;
	return table_with(layout_find(layout), r->render, m, t, nshards, out);
}

/* render_table_name - the table's name */
const char *
render_table_name(const struct render_table *rt)
{
	return rt->name;
}

/* render_shard_len - bytes of a shard's text */
size_t
render_shard_len(const struct render_table *rt, size_t s)
{
	return s < rt->nshards ? rt->len[s] : 0;
}

/* each_piece - the text of shard s, in pieces of at most OUT_CHUNK */
static int
each_piece(const struct render_table *rt, size_t s,
    int (*fn)(void *ctx, const void *data, size_t n), void *ctx)
{
	char *buf;
	struct line l;
	size_t i, n = 0;
	int k, rc = 0;

	if (s >= rt->nshards || rt->first[s] == rt->first[s + 1])
		return 0;
	if ((buf = malloc(OUT_CHUNK)) == NULL)
		return ERR_NOMEM;
	for (i = rt->first[s]; rc == 0 && i < rt->first[s + 1]; i++) {
		line_of(rt->model, &rt->text, &rt->rows[i], &l);
		for (k = 0; rc == 0 && k <= l.n; k++) {
			const char *p = k < l.n ? l.s[k].p : "\n";
			size_t len = k < l.n ? l.s[k].n : 1, take;

			while (rc == 0 && len > 0) {
				take = OUT_CHUNK - n < len ? OUT_CHUNK - n : len;
				memcpy(buf + n, p, take);
				n += take;
				p += take;
				len -= take;
				if (n == OUT_CHUNK) {
					rc = fn(ctx, buf, n);
					n = 0;
				}
			}
		}
	}
	if (rc == 0 && n > 0)
		rc = fn(ctx, buf, n);
	free(buf);
	return rc;
}

/* append - each_piece into a buffer */
static int
append(void *ctx, const void *data, size_t n)
{
	return buf_append(ctx, data, n);
}

/* render_shard_text - a shard's text, appended */
int
render_shard_text(const struct render_table *rt, size_t s, struct buf *out)
{
	int rc = buf_grow(out, render_shard_len(rt, s));

	return rc ? rc : each_piece(rt, s, append, out);
}

/* render_shard_gen - a shard's text for the tree writer */
int
render_shard_gen(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	const struct render_shard *x = ctx;

	return each_piece(x->table, x->shard, emit, ectx);
}

/* render_table_has - a binary search of the line's shard */
int
render_table_has(const struct render_table *rt, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	size_t s = 0, lo, hi, mid;
	struct line l;
	int c;

	if (sp == NULL)
		return 0;
	if (rt->nshards > 1)
		s = shard_of(line, (size_t)(sp - line), rt->nshards);
	lo = rt->first[s];
	hi = rt->first[s + 1];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		line_of(rt->model, &rt->text, &rt->rows[mid], &l);
		c = line_cmp_flat(&l, line, len);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* tables_with - every table of lay, by fn, as text */
static int
tables_with(const struct layout_def *lay, render_fn *fn, const struct model *m,
    struct tables *out)
{
	struct render_table *rt;
	size_t i, n = count_tables(lay);
	int rc = 0;

	if ((out->items = calloc(n ? n : 1, sizeof *out->items)) == NULL)
		return ERR_NOMEM;
	for (i = 0; rc == 0 && i < n; i++) {
		out->items[i].name = lay->tables[i];
		buf_init(&out->items[i].text);
		out->count++;
		rc = table_with(lay, fn, m, i, 0, &rt);
		rc = rc ? rc : render_shard_text(rt, 0, &out->items[i].text);
		/* An empty table is still a file postmap can load. */
		rc = rc ? rc : buf_grow(&out->items[i].text, 0);
		if (rc == 0)
			render_table_free(rt);
	}
	if (rc < 0)
		render_tables_free(out);
	return rc;
}

/* render_tables - run the renderer of a layout, every table as text */
int
render_tables(const char *layout, const struct model *m, struct tables *out)
{
	const struct renderer *r = find_renderer(layout);

	out->items = NULL;
	out->count = 0;
	if (r == NULL)
		return ERR_INVAL;
	return tables_with(layout_find(layout), r->render, m, out);
}

/* render_tables_with - run fn under the tables and shapes of layout */
int
render_tables_with(const char *layout, render_fn *fn, const struct model *m,
    struct tables *out)
{
	const struct layout_def *lay = layout_find(layout);

	out->items = NULL;
	out->count = 0;
	if (lay == NULL)
		return ERR_INVAL;
	return tables_with(lay, fn, m, out);
}

/* render_tables_free - release rendered tables */
void
render_tables_free(struct tables *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		buf_free(&t->items[i].text);
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

/* render_address_known - the model's own index of its addresses */
int
render_address_known(const struct model *m, const char *address)
{
	return model_find(m, address, strlen(address)) != MODEL_NONE;
}

/* render_twin_known - local@domain routed, without a copy when short */
int
render_twin_known(const struct model *m, const char *local, size_t len,
    const char *domain)
{
	char buf[600];
	size_t dl = strlen(domain);

	if (len + dl > sizeof buf)
		return 0;       /* longer than any address the model keeps */
	memcpy(buf, local, len);
	memcpy(buf + len, domain, dl);
	return model_find(m, buf, len + dl) != MODEL_NONE;
}
