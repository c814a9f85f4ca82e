/*
 * render - the model written as Postfix lookup tables
 *
 * One renderer per output layout, looked up by name; renderers do no
 * I/O and make no text: they hand on rows (a key and a value), each a
 * reference into the model (an address by its slot, an address's twin
 * in an alias domain, a domain's name, a nexthop, "OK", ":"). A table
 * is sorted by key, lowercase, byte-stable, one "key value" line each,
 * loadable by postmap. The tables of each layout, and the shapes their
 * rows may take, are those of the layout definition (layout.h,
 * layouts/postfix.tables):
 *
 *   bluemind: virtual_domains, virtual_mailbox, virtual_alias, transport,
 *             master_relay_transport (the tables BlueMind generates)
 *   gateway:  relay_domains, relay_recipients, transport (an MX in front
 *             of both servers)
 *
 * A table is rendered alone (render_table_new): its rows cut into the
 * shards of table_shards by their key (shard.h), each shard sorted and
 * its duplicates dropped; the text of a shard is made only when asked
 * (render_shard_gen: the blob a commit writes; render_shard_text). Every
 * row is checked against the definition as it comes: a row of another
 * shape is a renderer's bug (ERR_BUG), never the directory's doing,
 * since the model refuses bad values first.
 */
#ifndef SPLITSYNC_RENDER_H
#define SPLITSYNC_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "git_sink.h"
#include "model.h"

/* The text of a whole table (render_tables, render -o, the service). */
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
/* render_table_count - the tables of layout (0: no such layout) */
size_t render_table_count(const char *layout);

/* One table rendered: its rows by shard. */
struct render_table;

/* render_table_new - table t (0..render_table_count-1, the order of the
 * definition: sorted by name) of layout for m, in nshards shards (0:
 * one file) into *out (render_table_free). ERR_INVAL for an unknown
 * layout or table, ERR_NOMEM, ERR_BUG for a row the layout does not
 * allow. */
int render_table_new(const char *layout, const struct model *m, size_t t,
    size_t nshards, struct render_table **out);
void render_table_free(struct render_table *rt);
/* render_table_name - its name (static) */
const char *render_table_name(const struct render_table *rt);
/* render_shard_len - the bytes of shard s of rt's text */
size_t render_shard_len(const struct render_table *rt, size_t s);
/* render_shard_text - shard s of rt's text appended to out. ERR_NOMEM */
int render_shard_text(const struct render_table *rt, size_t s,
    struct buf *out);
/* A shard as a generator for git_sink_tree_put_gen: ctx points at one
 * (borrowed while the sink uses it). */
struct render_shard {
	const struct render_table *table;
	size_t shard;
};
int render_shard_gen(void *ctx, git_sink_emit_fn emit, void *ectx);
/* render_table_has - 1 when the line (len bytes, "key value" without
 * its newline) is a row of rt, else 0 */
int render_table_has(const struct render_table *rt, const char *line,
    size_t len);

/* render_tables - every table of layout, in one file each, as text
 * into *out (caller frees with render_tables_free; on error *out is
 * empty). ERR_INVAL for an unknown layout, ERR_NOMEM, ERR_BUG. */
int render_tables(const char *layout, const struct model *m,
    struct tables *out);
void render_tables_free(struct tables *t);

/*
 * For the layout implementations (render_<layout>.c): a renderer adds
 * the rows of every table of its definition; the table being rendered
 * keeps its own, the others' are dropped as they come
 * (render_rows_want says which tables are wanted, so a renderer can
 * skip work for the others).
 */
struct render_rows;
typedef int render_fn(const struct model *m, struct render_rows *r);

/* What a reference names. */
enum render_kind {
	RENDER_ADDRESS,         /* id: a slot: its address */
	RENDER_TWIN,            /* id: a slot, sub: an alias of its domain:
	                           the local part @ that alias */
	RENDER_NAME,            /* id: a domain (model_domain_at), sub 0:
	                           its name, sub k: its alias k - 1 */
	RENDER_AT_NAME,         /* the same, "@" first */
	RENDER_OK,              /* "OK" */
	RENDER_DEFAULT,         /* ":" (default routing) */
	RENDER_NEXTHOP,         /* id: a nexthop reference of the model */
	RENDER_TEXT             /* a text given to render_rows_add */
};

struct render_ref {
	uint32_t id;
	uint16_t sub;
	uint8_t kind;           /* enum render_kind */
};

/* render_ref_of - a reference */
static inline struct render_ref
render_ref_of(enum render_kind kind, uint32_t id, uint16_t sub)
{
	struct render_ref r;

	r.id = id;
	r.sub = sub;
	r.kind = (uint8_t)kind;
	return r;
}

/* render_table_of - the index of table in the layout being rendered,
 * or -1 when it has none */
int render_table_of(const struct render_rows *r, const char *table);
/* render_rows_want - 1 when rows of table t are kept now */
int render_rows_want(const struct render_rows *r, int t);
/* render_rows_put - one row for table t: kept when t is the table
 * rendered, checked first. ERR_NOMEM; ERR_BUG when the layout has no
 * such table or allows no such row */
int render_rows_put(struct render_rows *r, int t, struct render_ref key,
    struct render_ref value);
/* render_rows_add - one row "key value" for table, as texts (copied):
 * for renderers whose rows the model does not hold, and tests. Errors
 * as render_rows_put */
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
/* render_twin_known - 1 when the local part of len bytes (with its '@')
 * at local in domain is routed in m */
int render_twin_known(const struct model *m, const char *local, size_t len,
    const char *domain);

#endif
