/*
 * render - the model written as Postfix lookup tables
 *
 * DESCRIPTION
 *	Layouts are a small table looked up by name. A layout adds rows;
 *	this file sorts each table's rows (by key: the separator, a space,
 *	sorts before every byte a key may hold), removes exact duplicates
 *	and joins them into text. The layouts decide which tables exist:
 *	each table it names is emitted, even when empty, so postmap always
 *	finds every file.
 *
 * DIAGNOSTICS
 *	ERR_INVAL for an unknown layout, ERR_NOMEM.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "render.h"

struct layout {
	const char *name;
	const char *const *tables;      /* sorted */
	int (*render)(const struct model *, struct render_rows *);
};

static const char *const bluemind_tables[] = {
	"master_relay_transport", "transport", "virtual_alias",
	"virtual_domains", "virtual_mailbox", NULL
};

static const char *const gateway_tables[] = {
	"relay_domains", "relay_recipients", "transport", NULL
};

static const struct layout layouts[] = {
	{ "bluemind", bluemind_tables, render_bluemind },
	{ "gateway", gateway_tables, render_gateway },
};

struct row_list {
	char **lines;
	size_t count;
	size_t cap;
};

struct render_rows {
	const char *const *tables;
	struct row_list *lists;         /* one per table */
	size_t ntables;
};

/* find_layout - layout by name, or NULL */
static const struct layout *
find_layout(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (strcmp(layouts[i].name, name) == 0)
			return &layouts[i];
	return NULL;
}

/* render_layout_known - whether name is a layout */
int
render_layout_known(const char *name)
{
	return find_layout(name) != NULL;
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
		if (strcmp(r->tables[i], table) == 0)
			l = &r->lists[i];
	if (l == NULL)
		return ERR_INVAL;       /* a layout bug: undeclared table */
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

/* render_tables - run a layout */
int
render_tables(const char *layout, const struct model *m, struct tables *out)
{
	const struct layout *lay = find_layout(layout);
	struct render_rows rows = { NULL, NULL, 0 };
	size_t i, j, n = 0;
	int rc;

	out->items = NULL;
	out->count = 0;
	if (lay == NULL)
		return ERR_INVAL;
	while (lay->tables[n])
		n++;
	rows.tables = lay->tables;
	rows.ntables = n;
	rows.lists = calloc(n, sizeof *rows.lists);
	out->items = calloc(n, sizeof *out->items);
	if (rows.lists == NULL || out->items == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = lay->render(m, &rows);
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

/* render_address_known - binary search of the model's address view */
int
render_address_known(const struct model *m, const char *address)
{
	size_t lo = 0, hi = model_address_count(m), mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(address, model_address_at(m, mid)->address);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}
