/*
 * render - the model written as Postfix lookup tables
 *
 * DESCRIPTION
 *	Renderers are a small table looked up by name; the tables of each
 *	layout and the shapes of their rows come from the layout
 *	definition (layout.h, layouts/postfix.tables). A renderer adds
 *	rows; each is checked against the shapes of its table as it comes
 *	(layout_row_check); this file then sorts each table's rows (by
 *	key: the separator, a space, sorts before every byte a key may
 *	hold), removes exact duplicates and joins them into text. Every
 *	table of the layout is emitted, even when empty, so postmap
 *	always finds every file.
 *
 * DIAGNOSTICS
 *	ERR_INVAL for an unknown layout, ERR_NOMEM; ERR_BUG when a
 *	renderer adds a row to a table the layout does not have, or a row
 *	of no shape the layout lists for its table: nothing is rendered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "layout.h"
#include "render.h"

struct renderer {
	const char *layout;
	render_fn *render;
};

static const struct renderer renderers[] = {
	{ "bluemind", render_bluemind },
	{ "gateway", render_gateway },
};

struct row_list {
	char **lines;
	size_t count;
	size_t cap;
};

struct render_rows {
	const struct layout_def *layout;
	const struct model *model;      /* what the rows must fit */
	struct row_list *lists;         /* one per table of the layout */
	size_t ntables;
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

/* render_rows_add - append "key value" to a table's list */
int
render_rows_add(struct render_rows *r, const char *table, const char *key,
    const char *value)
{
	struct row_list *l = NULL;
	size_t i, klen = strlen(key), vlen = strlen(value);
	char *line;

	for (i = 0; i < r->ntables; i++)
		if (strcmp(r->layout->tables[i], table) == 0)
			l = &r->lists[i];
	if (l == NULL)
		return ERR_BUG;         /* a table the layout does not have */
	if (layout_row_check(r->layout, table, r->model, key, value,
	    NULL) < 0)
		return ERR_BUG;
	if (l->count == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		char **p;

		if (ncap > SIZE_MAX / sizeof *p)
			return ERR_NOMEM;
		p = realloc(l->lines, ncap * sizeof *p);
		if (p == NULL)
			return ERR_NOMEM;
		l->lines = p;
		l->cap = ncap;
	}
	if (klen > SIZE_MAX - vlen - 2)
		return ERR_NOMEM;
	line = malloc(klen + vlen + 2);
	if (line == NULL)
		return ERR_NOMEM;
	memcpy(line, key, klen);
	line[klen] = ' ';
	memcpy(line + klen + 1, value, vlen + 1);
	l->lines[l->count++] = line;
	return 0;
}

/* line_cmp - qsort on C strings */
static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* join - sorted, deduplicated text of one list */
static int
join(struct row_list *l, struct buf *out)
{
	size_t i;
	int rc = 0;

	if (l->count)
		qsort(l->lines, l->count, sizeof *l->lines, line_cmp);
	for (i = 0; rc == 0 && i < l->count; i++) {
		if (i && strcmp(l->lines[i], l->lines[i - 1]) == 0)
			continue;
		rc = buf_puts(out, l->lines[i]);
		rc = rc ? rc : buf_putc(out, '\n');
	}
	return rc;
}

/* render_tables - run the renderer of a layout */
int
render_tables(const char *layout, const struct model *m, struct tables *out)
{
	const struct renderer *r = find_renderer(layout);

	out->items = NULL;
	out->count = 0;
	if (r == NULL)
		return ERR_INVAL;
	return render_tables_with(layout, r->render, m, out);
}

/* render_tables_with - run fn under the tables and shapes of layout */
int
render_tables_with(const char *layout, render_fn *fn, const struct model *m,
    struct tables *out)
{
	const struct layout_def *lay = layout_find(layout);
	struct render_rows rows = { NULL, NULL, NULL, 0 };
	size_t i, j, n = 0;
	int rc;

	out->items = NULL;
	out->count = 0;
	if (lay == NULL)
		return ERR_INVAL;
	while (lay->tables[n])
		n++;
	rows.layout = lay;
	rows.model = m;
	rows.ntables = n;
	rows.lists = calloc(n ? n : 1, sizeof *rows.lists);
	out->items = calloc(n ? n : 1, sizeof *out->items);
	if (rows.lists == NULL || out->items == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = fn(m, &rows);
	for (i = 0; rc == 0 && i < n; i++) {
		out->items[i].name = lay->tables[i];
		buf_init(&out->items[i].text);
		out->count++;
		rc = join(&rows.lists[i], &out->items[i].text);
		/* An empty table is still a file postmap can load. */
		if (rc == 0 && out->items[i].text.data == NULL)
			rc = buf_grow(&out->items[i].text, 0);
	}
cleanup:
	for (i = 0; rows.lists && i < n; i++) {
		for (j = 0; j < rows.lists[i].count; j++)
			free(rows.lists[i].lines[j]);
		free(rows.lists[i].lines);
	}
	free(rows.lists);
	if (rc < 0)
		render_tables_free(out);
	return rc;
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
