/*
 * snapshot - the files, the shard directories and the service's state a
 * commit holds, read back
 *
 * DESCRIPTION
 *	The shard files under a directory (a table's T.d, the first form
 *	of the route listing) are joined and sorted again: the bytes the
 *	unsharded file would hold. A shard that is not at the depth the
 *	shard count asked for puts it is "another layout". Whether a
 *	table changed is not decided here: the tree writer compares ids.
 *
 * DIAGNOSTICS
 *	Repository failures are recorded in d by git_sink and returned;
 *	a missing file or branch is not a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "layout.h"
#include "shard.h"
#include "snapshot.h"

/* snapshot_read_file - one file, appended */
int
snapshot_read_file(struct git_sink *sink, const char *commit,
    const char *path, struct buf *out, int *found, struct diag *d)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (commit)
		rc = git_sink_read_at(sink, commit, path, &data, &len, d);
	else
		rc = git_sink_read(sink, path, &data, &len, d);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc == 0) {
		*found = 1;
		rc = buf_append(out, data, len);
	}
	free(data);
	return rc;
}

struct gather {
	struct buf all;
	size_t depth;           /* directory levels a shard path should have
	                           (0: any) */
	int found;
	int other_layout;       /* a shard of another table_shards */
};

/* gather_one - append one shard; note whether its depth is ours */
static int
gather_one(const char *path, const char *data, size_t len, void *ctx)
{
	struct gather *g = ctx;
	size_t levels = 0;
	const char *p;

	for (p = path; *p; p++)
		levels += *p == '/';
	g->found = 1;
	if (g->depth && levels != g->depth)
		g->other_layout = 1;
	return buf_append(&g->all, data, len);
}

/* shard_depth - directory levels under the table's own for n shards
 * (the shard directory itself counts one) */
static size_t
shard_depth(const char *dir, size_t n)
{
	size_t levels = 0;

	for (; *dir; dir++)
		levels += *dir == '/';
	for (; n > 1; n >>= 4)
		levels++;
	return levels;
}

/* snapshot_read_sharded - the shards under dir joined and sorted, in
 * one walk of the directory */
int
snapshot_read_sharded(struct git_sink *sink, const char *commit,
    const char *dir, size_t n, struct buf *out, int *found, int *other,
    struct diag *d)
{
	struct gather g;
	int rc;

	memset(&g, 0, sizeof g);
	buf_init(&g.all);
	g.depth = n ? shard_depth(dir, n) : 0;
	rc = git_sink_each_file(sink, commit, dir, gather_one, &g, d);
	rc = rc ? rc : shard_join_sorted(&g.all, 1, out);
	rc = rc ? rc : buf_grow(out, 0);
	buf_free(&g.all);
	*found = g.found;
	if (other)
		*other = g.other_layout;
	return rc;
}

struct load_state {
	struct mirror *m;
	struct diag *d;
};

/* load_one_shard - one committed shard of the state */
static int
load_one_shard(const char *path, const char *data, size_t len, void *ctx)
{
	struct load_state *ls = ctx;

	return mirror_load(ls->m, path, data, len, ls->d);
}

/* snapshot_read_state - every shard under the state's directory: the
 * state loads whatever table_shards wrote it, so changing the setting
 * keeps the state that goes with the cookie */
int
snapshot_read_state(struct git_sink *sink, const char *commit,
    struct mirror *m, struct diag *d)
{
	struct load_state ls = { m, d };
	char dir[SHARD_PATH_MAX];
	int rc = layout_dir(dir, sizeof dir, LAYOUT_PART_STATE, NULL);

	return rc ? rc : git_sink_each_file(sink, commit, dir, load_one_shard,
	    &ls, d);
}
