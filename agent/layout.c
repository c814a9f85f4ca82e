/*
 * layout - the tables of each layout and the shapes of their rows
 *
 * DESCRIPTION
 *	The definition (layout_defs) is generated from
 *	layouts/postfix.tables by the build. layout_row_check is the last
 *	check a row passes before its table is written: the key and the
 *	value must have one of the shapes the definition lists for the
 *	table, with the syntax of validate.c and a domain the model
 *	manages. The model refuses every bad value long before, so a row
 *	that fails here was made by a renderer: a bug.
 *
 * DIAGNOSTICS
 *	layout_row_check returns ERR_BUG and a static reason.
 */
#include <string.h>

#include "errors.h"
#include "layout.h"
#include "validate.h"

/* layout_find - linear search: there are two layouts */
const struct layout_def *
layout_find(const char *name)
{
	size_t i;

	for (i = 0; i < layout_ndefs; i++)
		if (strcmp(layout_defs[i].name, name) == 0)
			return &layout_defs[i];
	return NULL;
}

/* managed - s is a domain name that m manages */
static int
managed(const struct model *m, const char *s)
{
	return validate_domain(s, strlen(s), NULL) == 0 &&
	    model_domain_find(m, s) != NULL;
}

/* shape_ok - whether s has shape */
static int
shape_ok(enum layout_shape shape, const char *s, const struct model *m)
{
	const char *const *transports;
	size_t n;

	switch (shape) {
	case LAYOUT_DOMAIN:
		return managed(m, s);
	case LAYOUT_ADDRESS:
		return validate_address(s, strlen(s), NULL) == 0 &&
		    managed(m, strchr(s, '@') + 1);
	case LAYOUT_AT_DOMAIN:
		return s[0] == '@' && managed(m, s + 1);
	case LAYOUT_OK:
		return strcmp(s, "OK") == 0;
	case LAYOUT_NEXTHOP:
		transports = model_transports(m, &n);
		return validate_nexthop(s, transports, n, NULL) == 0;
	case LAYOUT_DEFAULT:
		return strcmp(s, ":") == 0;
	}
	return 0;
}

/* layout_row_check - the row against the shapes of its table */
int
layout_row_check(const struct layout_def *lay, const char *table,
    const struct model *m, const char *key, const char *value,
    const char **why)
{
	/* the key's verdict per shape, computed once: -1 not yet */
	int key_ok[LAYOUT_DEFAULT + 1] = { -1, -1, -1, -1, -1, -1 };
	int found = 0, key_fits = 0;
	const struct layout_row *r;
	size_t i;

	for (i = 0; i < lay->nrows; i++) {
		r = &lay->rows[i];
		if (strcmp(r->table, table) != 0)
			continue;
		found = 1;
		if (key_ok[r->key] < 0)
			key_ok[r->key] = shape_ok(r->key, key, m);
		if (!key_ok[r->key])
			continue;
		key_fits = 1;
		if (shape_ok(r->value, value, m)) {
			if (why)
				*why = NULL;
			return 0;
		}
	}
	if (why)
		*why = !found ? "the layout has no such table" :
		    !key_fits ? "no shape of the table fits the key" :
		    "no shape of the table fits the value";
	return ERR_BUG;
}
