/*
 * render - the model written as Postfix lookup tables
 *
 * One renderer per output layout, looked up by name; renderers do no
 * I/O. Every table is sorted by key, lowercase, byte-stable, one
 * "key value" line each, loadable by postmap. The tables of each layout,
 * and the shapes their rows may take, are those of the layout
 * definition (layout.h, layouts/postfix.tables):
 *
 *   bluemind: virtual_domains, virtual_mailbox, virtual_alias, transport,
 *             master_relay_transport (the tables BlueMind generates)
 *   gateway:  relay_domains, relay_recipients, transport (an MX in front
 *             of both servers)
 *
 * Every row is checked against the definition before any text is made:
 * a row of another shape is a renderer's bug (ERR_BUG), never the
 * directory's doing, since the model refuses bad values first.
 */
#ifndef SPLITSYNC_RENDER_H
#define SPLITSYNC_RENDER_H

#include <stddef.h>
#include "buf.h"
#include "model.h"

struct table {
	const char *name;       /* static: "transport", ... */
	struct buf text;        /* owned */
};

struct tables {
	struct table *items;    /* sorted by name */
	size_t count;
};

/* render_layout_known - 1 when name is a layout with a renderer, else 0 */
int render_layout_known(const char *name);
/* render_tables - render m in layout into *out (caller frees with
 * render_tables_free; on error *out is empty). ERR_INVAL for an unknown
 * layout, ERR_NOMEM, ERR_BUG for a row the layout does not allow. */
int render_tables(const char *layout, const struct model *m,
    struct tables *out);
void render_tables_free(struct tables *t);

/*
 * For the layout implementations (render_<layout>.c): a layout adds
 * "key value" rows to the tables of its definition; render.c checks
 * each against the shapes of its table, sorts them, drops exact
 * duplicates and writes the text.
 */
struct render_rows;
typedef int render_fn(const struct model *m, struct render_rows *r);
/* render_rows_add - one row "key value" for table; ERR_NOMEM; ERR_BUG
 * when the layout has no such table or allows no such row */
int render_rows_add(struct render_rows *r, const char *table,
    const char *key, const char *value);
/* render_tables_with - render_tables with fn as the renderer of layout
 * (whose tables and shapes apply): how a new renderer, or a test, runs
 * under a layout's definition */
int render_tables_with(const char *layout, render_fn *fn,
    const struct model *m, struct tables *out);
/* the renderers */
int render_bluemind(const struct model *m, struct render_rows *r);
int render_gateway(const struct model *m, struct render_rows *r);
/* render_address_known - 1 when address is routed in m */
int render_address_known(const struct model *m, const char *address);

#endif
