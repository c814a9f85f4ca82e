/*
 * layout - the tables of each layout and the shapes of their rows
 *
 * The definition is layouts/postfix.tables, compiled in by the build
 * (layouts/definition.awk writes it as layout_defs below) and read as it
 * is, by the same awk, by splitsync-deploy on the Postfix hosts: what
 * splitsync writes and what the hosts accept is one definition. A layout has tables; one of
 * them (domain_table) lists the managed domains; each table has the
 * shapes (key, value) its rows may take.
 *
 * Everything here is constant and static: pointers returned are
 * borrowed for the life of the program.
 */
#ifndef SPLITSYNC_LAYOUT_H
#define SPLITSYNC_LAYOUT_H

#include <stddef.h>
#include "model.h"

/* What a key or a value may be; the definition file names them
 * domain, address, @domain (keys and values), OK, nexthop, ":". */
enum layout_shape {
	LAYOUT_DOMAIN,          /* a managed domain */
	LAYOUT_ADDRESS,         /* an address of a managed domain */
	LAYOUT_AT_DOMAIN,       /* "@" and a managed domain */
	LAYOUT_OK,              /* the word OK */
	LAYOUT_NEXTHOP,         /* transport:destination, allowed transport */
	LAYOUT_DEFAULT          /* ":", default routing */
};

/* One shape of row of one table. */
struct layout_row {
	const char *table;
	enum layout_shape key;
	enum layout_shape value;
};

struct layout_def {
	const char *name;               /* "bluemind" */
	const char *domain_table;       /* the table of managed domains */
	const char *const *tables;      /* sorted bytewise, NULL-terminated */
	const struct layout_row *rows;  /* the shapes, in file order */
	size_t nrows;
};

/* The definition, generated from layouts/postfix.tables. */
extern const struct layout_def layout_defs[];
extern const size_t layout_ndefs;

/* layout_find - the layout called name, or NULL */
const struct layout_def *layout_find(const char *name);
/* layout_row_check - 0 when "key value" has one of the shapes lay lists
 * for table, the domains being those m manages and the nexthops using
 * the transports m allows; ERR_BUG otherwise (the model lets no such
 * value through: a renderer wrote it), with a static reason in *why
 * when why is not NULL */
int layout_row_check(const struct layout_def *lay, const char *table,
    const struct model *m, const char *key, const char *value,
    const char **why);

#endif
