/*
 * render - the model written as Postfix lookup tables
 *
 * One renderer per output layout, looked up by name; renderers do no
 * I/O. Every table is sorted by key, lowercase, byte-stable, one
 * "key value" line each, loadable by postmap.
 *
 *   bluemind: virtual_domains, virtual_mailbox, virtual_alias, transport,
 *             master_relay_transport (the tables BlueMind generates)
 *   gateway:  relay_domains, relay_recipients, transport (an MX in front
 *             of both servers)
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

/* render_layout_known - 1 when name is a layout, else 0 */
int render_layout_known(const char *name);
/* render_tables - render m in layout into *out (caller frees with
 * render_tables_free). ERR_INVAL for an unknown layout, ERR_NOMEM. */
int render_tables(const char *layout, const struct model *m,
    struct tables *out);
void render_tables_free(struct tables *t);

#endif
