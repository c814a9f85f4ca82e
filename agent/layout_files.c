/*
 * layout_files - where each file of a commit lives, and which files a
 * commit holds
 *
 * DESCRIPTION
 *	The one place that names the paths of tables, listing and state
 *	(layout.h). A table or the listing in shards is cut by key: a
 *	table's key ends at the first space, the listing's at the first
 *	tab (shard.h). The state's 256 shards keep the flat names of
 *	repositories written before tables had shards.
 *
 *	A set of files is whole (git_sink_commit: the tree is exactly
 *	the set, so an empty shard is left out) or an update
 *	(git_sink_update: an empty shard is a removal); shard 0 of a
 *	table or the listing is committed even empty either way.
 *
 * DIAGNOSTICS
 *	ERR_INVAL for a path that does not fit, ERR_NOMEM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "layout.h"
#include "render.h"
#include "shard.h"
#include "vec.h"

/* fits - snprintf's result w fits in len bytes */
static int
fits(int w, size_t len)
{
	return w >= 0 && (size_t)w < len ? 0 : ERR_INVAL;
}

/* layout_dir - the directory of a part's shards */
int
layout_dir(char *out, size_t len, enum layout_part part, const char *table)
{
	switch (part) {
	case LAYOUT_PART_TABLE:
		return fits(snprintf(out, len, "%s%s", table,
		    SHARD_DIR_SUFFIX), len);
	case LAYOUT_PART_LISTING:
		return fits(snprintf(out, len, "%s", LAYOUT_LISTING_PATH
		    SHARD_DIR_SUFFIX), len);
	case LAYOUT_PART_OWNERS:
		return fits(snprintf(out, len, "%s", LAYOUT_OWNERS_PATH
		    SHARD_DIR_SUFFIX), len);
	case LAYOUT_PART_DOMAINS:
		break;
	case LAYOUT_PART_STATE:
		return fits(snprintf(out, len, "%s", LAYOUT_MIRROR_DIR), len);
	}
	return ERR_INVAL;
}

/* layout_path - one file of a part */
int
layout_path(char *out, size_t len, enum layout_part part,
    const char *table, size_t i, size_t n)
{
	char dir[SHARD_PATH_MAX];
	int rc;

	if (part == LAYOUT_PART_DOMAINS)
		return fits(snprintf(out, len, "%s", LAYOUT_DOMAINS_PATH), len);
	if (n == 0 && part == LAYOUT_PART_TABLE)
		return fits(snprintf(out, len, "%s", table), len);
	if (n == 0 && part == LAYOUT_PART_LISTING)
		return fits(snprintf(out, len, "%s", LAYOUT_LISTING_PATH), len);
	if (n == 0 && part == LAYOUT_PART_OWNERS)
		return fits(snprintf(out, len, "%s", LAYOUT_OWNERS_PATH), len);
	if (n == 0)
		return ERR_INVAL;       /* the state has shards */
	if (part == LAYOUT_PART_STATE && n == LAYOUT_MIRROR_SHARDS)
		return fits(snprintf(out, len, "%s/%02zx", LAYOUT_MIRROR_DIR,
		    i), len);
	rc = layout_dir(dir, sizeof dir, part, table);
	return rc ? rc : shard_path(out, len, dir, i, n);
}

/* layout_keeps_empty - shard 0 of a table, the routes or the owners */
int
layout_keeps_empty(enum layout_part part, size_t i)
{
	return part != LAYOUT_PART_STATE && i == 0;
}

/* layout_state_shards - 16 state shards per table shard */
size_t
layout_state_shards(int table_shards)
{
	if (table_shards <= 0)
		return LAYOUT_MIRROR_SHARDS;
	return table_shards >= 4096 ? 65536 : (size_t)table_shards * 16;
}

/* layout_table_of - the first component without its shard suffix for
 * a shard, else the path */
int
layout_table_of(const char *path, struct buf *out)
{
	size_t n = strcspn(path, "/"), sl = sizeof SHARD_DIR_SUFFIX - 1;

	buf_reset(out);
	if (path[n] == '/' && n > sl &&
	    memcmp(path + n - sl, SHARD_DIR_SUFFIX, sl) == 0)
		return buf_append(out, path, n - sl);
	return buf_puts(out, path);
}

/* layout_files_init - empty */
void
layout_files_init(struct layout_files *f, int update)
{
	memset(f, 0, sizeof *f);
	f->update = update;
}

/* layout_files_clear - paths, owned texts, the list */
void
layout_files_clear(struct layout_files *f)
{
	int update = f->update;
	size_t i;

	for (i = 0; i < f->count; i++)
		free(f->paths[i]);
	for (i = 0; i < f->ntexts; i++)
		buf_free(&f->texts[i]);
	free(f->paths);
	free(f->gens);
	free(f->texts);
	free(f->files);
	layout_files_init(f, update);
}

/* add - one file at path; data borrowed, or made by g->gen */
static int
add(struct layout_files *f, const char *path, const char *data,
    size_t len, int remove, const struct layout_gen *g)
{
	if (vec_grow((void **)&f->files, &f->cap, f->count,
	    sizeof *f->files) < 0 || vec_grow((void **)&f->paths,
	    &f->cappaths, f->count, sizeof *f->paths) < 0 ||
	    vec_grow((void **)&f->gens, &f->capgens, f->count,
	    sizeof *f->gens) < 0)
		return ERR_NOMEM;
	if ((f->paths[f->count] = strdup(path)) == NULL)
		return ERR_NOMEM;
	memset(&f->files[f->count], 0, sizeof *f->files);
	f->files[f->count].path = f->paths[f->count];
	f->files[f->count].data = data;
	f->files[f->count].len = len;
	f->files[f->count].remove = remove;
	f->gens[f->count] = *g;
	f->count++;
	return 0;
}

/* put - one shard: an empty one is left out of a whole set, removed by
 * an update, unless the layout keeps it */
static int
put(struct layout_files *f, enum layout_part part, const char *table,
    size_t i, size_t n, const char *data, size_t len, git_sink_gen_fn gen,
    void *ctx)
{
	struct layout_gen g;
	char path[SHARD_PATH_MAX];
	int rc, gone = len == 0 && !layout_keeps_empty(part, i) &&
	    part != LAYOUT_PART_DOMAINS;

	if (gone && !f->update)
		return 0;
	memset(&g, 0, sizeof g);
	g.gen = gone ? NULL : gen;
	g.ctx = ctx;
	g.part = part;
	g.shard = i;
	rc = layout_path(path, sizeof path, part, table, i, n);
	return rc ? rc : add(f, path, data, len, gone, &g);
}

/* layout_files_put - one shard, data borrowed */
int
layout_files_put(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, const char *data, size_t len)
{
	return put(f, part, table, i, n, data, len, NULL, NULL);
}

/* layout_files_put_gen - one shard made by a generator */
int
layout_files_put_gen(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, size_t len, git_sink_gen_fn gen,
    void *ctx)
{
	if (gen == NULL)
		return ERR_INVAL;
	return put(f, part, table, i, n, NULL, len, gen, ctx);
}

/* write - the files of the set (of part only unless all) into a tree */
static int
write(struct layout_files *f, struct git_sink_tree *t, int all,
    enum layout_part part, struct diag *d)
{
	const struct git_sink_file *x;
	size_t i;
	int rc = 0, any = 0;

	for (i = 0; rc >= 0 && i < f->count; i++) {
		x = &f->files[i];
		if (!all && f->gens[i].part != part)
			continue;
		if (x->remove)
			rc = git_sink_tree_remove(t, x->path, d);
		else if (f->gens[i].gen)
			rc = git_sink_tree_put_gen(t, x->path, x->len,
			    f->gens[i].gen, f->gens[i].ctx, d);
		else
			rc = git_sink_tree_put(t, x->path, x->data, x->len, d);
		if (rc > 0) {
			f->gens[i].differs = 1;
			any = 1;
		}
	}
	return rc < 0 ? rc : any;
}

/* layout_files_write - the set into a tree */
int
layout_files_write(struct layout_files *f, struct git_sink_tree *t,
    struct diag *d)
{
	return write(f, t, 1, LAYOUT_PART_TABLE, d);
}

/* layout_files_write_part - the files of one part into a tree */
int
layout_files_write_part(struct layout_files *f, struct git_sink_tree *t,
    enum layout_part part, struct diag *d)
{
	return write(f, t, 0, part, d);
}

/* layout_files_take - one shard, text taken over */
int
layout_files_take(struct layout_files *f, enum layout_part part,
    const char *table, size_t i, size_t n, struct buf *text)
{
	struct buf *t;
	size_t before = f->count;
	int rc;

	if (text->len == 0) {
		buf_free(text);
		return layout_files_put(f, part, table, i, n, NULL, 0);
	}
	if (vec_grow((void **)&f->texts, &f->captexts, f->ntexts,
	    sizeof *f->texts) < 0) {
		buf_free(text);
		return ERR_NOMEM;
	}
	t = &f->texts[f->ntexts++];
	*t = *text;
	buf_init(text);
	rc = layout_files_put(f, part, table, i, n, t->data, t->len);
	if (rc < 0 && f->count == before)
		buf_free(&f->texts[--f->ntexts]);
	return rc;
}

/* cut - text in n shards by key (the key ends at sep), each taken over
 * as shard i of part */
static int
cut(struct layout_files *f, enum layout_part part, const char *table,
    const struct buf *text, char sep, size_t n)
{
	struct buf *shards;
	size_t i;
	int rc;

	if ((shards = calloc(n, sizeof *shards)) == NULL)
		return ERR_NOMEM;
	rc = shard_split(text->data ? text->data : "", text->len, sep, n,
	    shards);
	for (i = 0; rc == 0 && i < n; i++)
		rc = layout_files_take(f, part, table, i, n, &shards[i]);
	for (i = 0; i < n; i++)
		buf_free(&shards[i]);
	free(shards);
	return rc;
}

/* layout_files_tables - the tables and the listing */
int
layout_files_tables(struct layout_files *f, int table_shards,
    const struct tables *t, const struct buf *listing)
{
	size_t i, n = table_shards > 0 ? (size_t)table_shards : 0;
	int rc = 0;

	for (i = 0; rc == 0 && i < t->count; i++) {
		const struct table *tb = &t->items[i];

		if (n == 0)
			rc = layout_files_put(f, LAYOUT_PART_TABLE, tb->name, 0,
			    0, tb->text.data, tb->text.len);
		else
			rc = cut(f, LAYOUT_PART_TABLE, tb->name, &tb->text, ' ',
			    n);
	}
	if (rc == 0 && listing == NULL)
		return 0;
	if (rc == 0 && n == 0)
		rc = layout_files_put(f, LAYOUT_PART_LISTING, NULL, 0, 0,
		    listing->data, listing->len);
	else if (rc == 0)
		rc = cut(f, LAYOUT_PART_LISTING, NULL, listing, '\t', n);
	return rc;
}

/* layout_files_remove - shard i of n of part removed by an update */
int
layout_files_remove(struct layout_files *f, enum layout_part part,
    size_t i, size_t n)
{
	struct layout_gen g;
	char path[SHARD_PATH_MAX];
	int rc;

	memset(&g, 0, sizeof g);
	g.part = part;
	g.shard = i;
	rc = layout_path(path, sizeof path, part, NULL, i, n);
	return rc ? rc : add(f, path, NULL, 0, 1, &g);
}

/* entry_same - a top-level name as in commit (NULL: the head) */
static int
entry_same(const struct git_sink_tree *t, const char *commit,
    const char *name, struct diag *d)
{
	if (commit == NULL)
		return git_sink_tree_entry_same(t, name);
	return git_sink_tree_entry_same_in(t, commit, name, d);
}

/* layout_tables_same - every table's file or shard directory */
int
layout_tables_same(const struct git_sink_tree *t, const char *commit,
    const struct tables *tb, struct diag *d)
{
	char dir[SHARD_PATH_MAX];
	size_t i;
	int rc = 1;

	for (i = 0; rc == 1 && i < tb->count; i++) {
		/* either form: a table that changed form changed */
		rc = entry_same(t, commit, tb->items[i].name, d);
		if (rc == 1 && (rc = layout_dir(dir, sizeof dir,
		    LAYOUT_PART_TABLE, tb->items[i].name)) == 0)
			rc = entry_same(t, commit, dir, d);
	}
	return rc;
}

/* layout_files_state - the state's shards, taken over */
int
layout_files_state(struct layout_files *f, struct buf *shards, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = layout_files_take(f, LAYOUT_PART_STATE, NULL, i, n,
			    &shards[i]);
		else
			buf_free(&shards[i]);
	}
	return rc;
}
