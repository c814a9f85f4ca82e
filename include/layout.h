/*
 * layout - the tables of each layout, the shapes of their rows, and
 * where each file of a commit lives
 *
 * The definition is layouts/postfix.tables, compiled in by the build
 * (layouts/definition.awk writes it as layout_defs below) and read as it
 * is, by the same awk, by splitsync-deploy on the Postfix hosts: what
 * splitsync writes and what the hosts accept is one definition. A layout has tables; one of
 * them (domain_table) lists the managed domains; each table has the
 * shapes (key, value) its rows may take.
 *
 * Everything in the definition is constant and static: pointers
 * returned are borrowed for the life of the program.
 *
 * A commit holds the tables, the route listing (listing.h: its
 * addresses, their owners and its domains) and the service's state
 * (its copy of the directory). This module alone names their paths and
 * says which files a commit holds (layout_files), for the full build
 * and the service's live state alike:
 *
 *	table_shards 0          "transport", ".splitsync/routes",
 *	                        ".splitsync/owners"
 *	table_shards N          "transport.d/3/f/a",
 *	                        ".splitsync/routes.d/3/f/a",
 *	                        ".splitsync/owners.d/3/f/a" (shard.h: one
 *	                        level per hex digit of the shard)
 *	the listing's domains   ".splitsync/domains", one file
 *	the state, always       ".splitsync/mirror/3f" (256 shards, the
 *	in shards               count with table_shards 0), else one level
 *	                        per hex digit: ".splitsync/mirror/3/f/a/c"
 *
 * Empty shards are not committed (fewer objects), except shard 0 of a
 * table, the routes or the owners: the directory of an empty table
 * still exists, and an empty table is still a table to deploy.
 */
#ifndef SPLITSYNC_LAYOUT_H
#define SPLITSYNC_LAYOUT_H

#include <stddef.h>
#include "buf.h"
#include "git_sink.h"
#include "model.h"
#include "shard.h"

#define LAYOUT_STATE_DIR ".splitsync"   /* what is not a table */
#define LAYOUT_LISTING_PATH LAYOUT_STATE_DIR "/routes"
#define LAYOUT_OWNERS_PATH LAYOUT_STATE_DIR "/owners"
#define LAYOUT_DOMAINS_PATH LAYOUT_STATE_DIR "/domains"
#define LAYOUT_MIRROR_DIR LAYOUT_STATE_DIR "/mirror"
#define LAYOUT_MIRROR_SHARDS 256        /* the state's, with tables in one
	                                   file each */

struct tables;

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

/* The parts of a commit. */
enum layout_part {
	LAYOUT_PART_TABLE,      /* a table, named */
	LAYOUT_PART_LISTING,    /* the route listing: its addresses */
	LAYOUT_PART_OWNERS,     /* ... their owners */
	LAYOUT_PART_DOMAINS,    /* ... its domains (one file: i, n ignored) */
	LAYOUT_PART_STATE       /* the service's state */
};

/* layout_path - the path of shard i of n of part (table: the table's
 * name, for LAYOUT_PART_TABLE only) into out, len at least
 * SHARD_PATH_MAX: n 0 is the part in one file (the state always has
 * shards). ERR_INVAL when it does not fit */
int layout_path(char *out, size_t len, enum layout_part part,
    const char *table, size_t i, size_t n);
/* layout_dir - the directory that holds the shards of part into out
 * ("transport.d", ".splitsync/routes.d", ".splitsync/owners.d",
 * ".splitsync/mirror"). ERR_INVAL when it does not fit, or for the
 * domains */
int layout_dir(char *out, size_t len, enum layout_part part,
    const char *table);
/* layout_keeps_empty - 1 when shard i of part is committed even empty
 * (see above) */
int layout_keeps_empty(enum layout_part part, size_t i);
/* layout_state_shards - the state's shard count with table_shards:
 * LAYOUT_MIRROR_SHARDS for tables in one file each, else 16 per table
 * shard, at most 65536, so that one entry's change rewrites a few KiB */
size_t layout_state_shards(int table_shards);
/* layout_table_of - the table (or other file) a committed path stands
 * for, into out (replaced): "transport" for "transport.d/3/f" and for
 * "transport". ERR_NOMEM */
int layout_table_of(const char *path, struct buf *out);

/* The files of one commit, as the git sink takes them. A whole set
 * (git_sink_commit, or a tree started empty) leaves an empty shard out;
 * an update (git_sink_update, or a tree started from the head) removes
 * it instead. Either way shard 0 of a table, the routes or the owners
 * stays. Paths are the set's; data is borrowed or the set's, as the
 * call that added it says; a file made by a generator has data NULL
 * (it goes only into a tree: layout_files_write). Release with
 * layout_files_clear. */
struct layout_files {
	struct git_sink_file *files;
	size_t count;
	/* private */
	int update;
	size_t cap, cappaths, capgens;
	char **paths;
	struct layout_gen *gens;        /* per file: generator, ctx, what */
	struct buf *texts;      /* what the set owns */
	size_t ntexts, captexts;
};

/* What a file of a set is, and its generator. */
struct layout_gen {
	git_sink_gen_fn gen;    /* NULL: data */
	void *ctx;
	enum layout_part part;
	size_t shard;
	int differs;            /* layout_files_write: not the head's */
};

/* layout_files_init - an empty set; update: for git_sink_update */
void layout_files_init(struct layout_files *f, int update);
/* layout_files_clear - release everything; f is empty again, of the
 * same kind */
void layout_files_clear(struct layout_files *f);
/* layout_files_put - shard i of n of part (see layout_path), its len
 * bytes of data borrowed until f is cleared. ERR_NOMEM, ERR_INVAL */
int layout_files_put(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, const char *data, size_t len);
/* layout_files_take - the same with text taken over (text is left
 * empty, on failure too). ERR_NOMEM, ERR_INVAL */
int layout_files_take(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, struct buf *text);
/* layout_files_put_gen - shard i of n of part, its len bytes made by
 * gen(ctx) (both borrowed until f is written). ERR_NOMEM, ERR_INVAL */
int layout_files_put_gen(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, size_t len, git_sink_gen_fn gen,
    void *ctx);
/* layout_files_write - every file of f into tree t (a whole set into a
 * tree started empty, an update into one started from the head: a
 * removal is removed), each file's differs set when the head does not
 * hold its content at its path. 1 when some file differs, else 0;
 * errors as git_sink_tree_put_gen and git_sink_tree_remove */
int layout_files_write(struct layout_files *f, struct git_sink_tree *t,
    struct diag *d);
/* layout_files_write_part - the same for the files of part alone */
int layout_files_write_part(struct layout_files *f, struct git_sink_tree *t,
    enum layout_part part, struct diag *d);
/* layout_files_tables - every table of t and the listing (its text;
 * NULL: none, it is added otherwise), in one file each (table_shards 0,
 * data borrowed) or cut into table_shards shards by key (owned).
 * ERR_NOMEM, ERR_INVAL */
int layout_files_tables(struct layout_files *f, int table_shards,
    const struct tables *t, const struct buf *listing);
/* layout_files_remove - an update removes shard i of n of part (the
 * domains, the routes or the owners); a path absent is no error.
 * ERR_NOMEM, ERR_INVAL */
int layout_files_remove(struct layout_files *f, enum layout_part part,
    size_t i, size_t n);
/* layout_tables_same - after git_sink_tree_finish: 1 when every table
 * of tb has the same file or shard directory (both names looked at: a
 * table whose form changed differs) in t as in commit (NULL: the head
 * t started on), 0 when one differs; errors as
 * git_sink_tree_entry_same_in */
int layout_tables_same(const struct git_sink_tree *t, const char *commit,
    const struct tables *tb, struct diag *d);
/* layout_files_state - the n shards of the state (n buffers, taken
 * over: each is left empty, on failure too; the array stays the
 * caller's). ERR_NOMEM, ERR_INVAL */
int layout_files_state(struct layout_files *f, struct buf *shards,
    size_t n);

#endif
