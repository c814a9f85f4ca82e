/*
 * git_tree - a commit's tree, written path by path
 *
 * DESCRIPTION
 *	The caller hands files over one at a time, in any order, and
 *	nothing is read back to find out what changed: each file is hashed
 *	(its blob id, by a first call of its generator), the id compared
 *	with the one the base commit has at that path, and only a file
 *	whose id differs is produced a second time, compressed straight
 *	into the commit's objects (git_pack). Directories are computed
 *	bottom up when the tree is finished; one whose id equals the
 *	base's is not written. So a commit with nothing changed costs one
 *	hash per file and no write, and "did it change?" is answered by
 *	ids alone.
 *
 *	A directory is a node, a file or subdirectory of it an entry; an
 *	entry is found by a hash of its node and name, so a path costs one
 *	lookup per level, and none when it is in the directory of the path
 *	before (the common case: paths come grouped). A node holds the
 *	base's tree at its path, read once when the node is made, and a
 *	file's base id is a binary search in it: the base is never walked
 *	from the root per path.
 *
 *	A tree from the base (from_base) keeps every base entry it was
 *	not given, so its cost follows the number of paths given, not the
 *	size of the tree. Entries are ordered as git orders them (a
 *	directory sorts as "name/").
 *
 * DIAGNOSTICS
 *	"git_sink: PATH: why" for a refused path; failures of the object
 *	writer as git_pack records them. A failed put or remove leaves the
 *	tree as it was; a failed write spoils it.
 */
#define _GNU_SOURCE     /* qsort_r */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "arena.h"
#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_sink.h"
#include "hash.h"
#include "hmap.h"
#include "vec.h"

#define NONE UINT32_MAX
#define MODE_BLOB 0100644
#define MODE_TREE 040000

/* what an entry given to the tree is */
enum kind {
	E_FILE,
	E_DIR,                  /* a directory: a node */
	E_GONE                  /* removed */
};

/* a directory */
struct tnode {
	uint32_t parent;        /* NONE for the root */
	uint32_t ent;           /* its entry in the parent; NONE for the root */
	git_tree *base;         /* the base's tree at this path, or NULL */
	uint8_t under_file;     /* the base has a file here or above */
	uint8_t empty;          /* finished: nothing in it */
	git_oid id;             /* finished, not empty */
	uint32_t first, count;  /* finished: its entries in t->order */
};

/* a file or directory given to the tree */
struct tent {
	uint32_t node;          /* the directory holding it */
	uint32_t name;          /* in t->names */
	uint32_t nlen;
	uint32_t child;         /* E_DIR: its node */
	uint8_t kind;
	git_oid id;             /* E_FILE */
};

struct git_sink_tree {
	struct git_sink *s;
	struct git_pack *p;
	git_oid base_id;        /* the commit it started from */
	int has_base;
	int from_base;          /* entries not given are the base's */
	int finished;
	int same;               /* finished: equal to the base's tree */
	int spoilt;
	int dry;                /* ids only: nothing written */
	struct tnode *nodes;
	size_t nn, capn;
	struct tent *ents;
	size_t ne, cape;
	struct arena names;
	struct hmap map;        /* (node, name) -> entry */
	struct buf lastdir;     /* the directory of the last path given */
	uint32_t lastnode;      /* its node; NONE: none */
	uint32_t *order;        /* finished: entries grouped by node */
	git_oid root;           /* finished: the tree's id */
	struct buf rootbuf;     /* finished: the root tree's content */
	struct buf scratch;
};

/* the key of an entry in t->map */
struct ent_key {
	uint32_t node;
	const char *name;
	size_t len;
};

/* key_hash - the map hash of a name in a node */
static uint64_t
key_hash(uint32_t node, const char *name, size_t len)
{
	return hash64(name, len) ^ ((uint64_t)node * 0x9e3779b97f4a7c15ull);
}

/* key_eq - hmap equality of an entry and a key */
static int
key_eq(uint32_t val, const void *key, void *ctx)
{
	const struct git_sink_tree *t = ctx;
	const struct ent_key *k = key;
	const struct tent *e = &t->ents[val];

	return e->node == k->node && e->nlen == k->len &&
	    memcmp(arena_str(&t->names, e->name), k->name, k->len) == 0;
}

/* find_ent - the entry name[0..len) of node, or NONE */
static uint32_t
find_ent(const struct git_sink_tree *t, uint32_t node, const char *name,
    size_t len)
{
	struct ent_key k = { node, name, len };

	return hmap_find(&t->map, key_hash(node, name, len), key_eq, &k,
	    (void *)t);
}

/* add_ent - a new entry name[0..len) of node; its index into *out */
static int
add_ent(struct git_sink_tree *t, uint32_t node, const char *name,
    size_t len, enum kind kind, uint32_t *out)
{
	struct tent *e;
	uint32_t off;

	if (t->ne >= NONE - 1 || vec_grow((void **)&t->ents, &t->cape, t->ne,
	    sizeof *t->ents) < 0 || arena_add(&t->names, name, len, &off) < 0)
		return ERR_NOMEM;
	if (hmap_put(&t->map, key_hash(node, name, len), (uint32_t)t->ne) < 0)
		return ERR_NOMEM;
	e = &t->ents[t->ne];
	memset(e, 0, sizeof *e);
	e->node = node;
	e->name = off;
	e->nlen = (uint32_t)len;
	e->child = NONE;
	e->kind = (uint8_t)kind;
	*out = (uint32_t)t->ne++;
	return 0;
}

/* base_entry - the base's entry name[0..len) in node, or NULL */
static const git_tree_entry *
base_entry(const struct git_sink_tree *t, uint32_t node, const char *name,
    size_t len)
{
	char one[GIT_SINK_PATH_MAX + 1];

	if (t->nodes[node].base == NULL)
		return NULL;
	memcpy(one, name, len);
	one[len] = '\0';
	return git_tree_entry_byname(t->nodes[node].base, one);
}

/* add_node - a new directory name[0..len) in parent, with its entry;
 * its index into *out */
static int
add_node(struct git_sink_tree *t, uint32_t parent, const char *name,
    size_t len, const char *path, uint32_t *out, struct diag *d)
{
	const git_tree_entry *be;
	struct tnode *n;
	uint32_t ent;

	if (t->nn >= NONE - 1 || vec_grow((void **)&t->nodes, &t->capn, t->nn,
	    sizeof *t->nodes) < 0 || add_ent(t, parent, name, len, E_DIR,
	    &ent) < 0)
		return git_sink__nomem(d, path);
	n = &t->nodes[t->nn];
	memset(n, 0, sizeof *n);
	n->parent = parent;
	n->ent = ent;
	n->under_file = t->nodes[parent].under_file;
	t->ents[ent].child = (uint32_t)t->nn;
	*out = (uint32_t)t->nn++;
	be = base_entry(t, parent, name, len);
	if (be && git_tree_entry_type(be) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&n->base, t->s->repo,
		    git_tree_entry_id(be)) < 0)
			return git_sink__lib_fail(d, path,
			    "cannot read head tree");
	} else if (be)
		n->under_file = 1;
	return 0;
}

/* rollback - forget the entries and nodes made from marks on: a path
 * that failed leaves nothing */
static void
rollback(struct git_sink_tree *t, size_t ne, size_t nn, size_t names)
{
	const struct tent *e;

	while (t->ne > ne) {
		e = &t->ents[--t->ne];
		hmap_remove(&t->map, key_hash(e->node, arena_str(&t->names,
		    e->name), e->nlen), (uint32_t)t->ne);
	}
	while (t->nn > nn)
		git_tree_free(t->nodes[--t->nn].base);
	/* offset 0 stays the empty string */
	t->names.len = names ? names : t->names.data ? 1 : 0;
	t->lastnode = NONE;
}

/* walk - the node of path's directory, made as needed; the file name
 * into *leaf */
static int
walk(struct git_sink_tree *t, const char *path, uint32_t *node,
    const char **leaf, struct diag *d)
{
	const char *slash = strrchr(path, '/'), *c;
	size_t dlen, n;
	uint32_t at = 0, e;
	int rc;

	*leaf = slash ? slash + 1 : path;
	if (slash == NULL) {
		*node = 0;
		return 0;
	}
	dlen = (size_t)(slash - path);
	if (t->lastnode != NONE && t->lastdir.len == dlen &&
	    memcmp(t->lastdir.data, path, dlen) == 0) {
		*node = t->lastnode;
		return 0;
	}
	for (c = path; c < slash; c += n + 1) {
		n = strcspn(c, "/");
		e = find_ent(t, at, c, n);
		if (e == NONE) {
			if ((rc = add_node(t, at, c, n, path, &at, d)) < 0)
				return rc;
		} else if (t->ents[e].kind != E_DIR)
			return git_sink__inval(d, path,
			    "a parent directory is also given as a file");
		else
			at = t->ents[e].child;
	}
	buf_reset(&t->lastdir);
	if (buf_append(&t->lastdir, path, dlen) < 0)
		return git_sink__nomem(d, path);
	t->lastnode = at;
	*node = at;
	return 0;
}

/* usable - refuse calls on a tree that cannot take them */
static int
usable(struct git_sink_tree *t, const char *path, struct diag *d)
{
	const char *why;

	if (t->spoilt) {
		diag_error(d, NULL, "git_sink: %s: cannot write objects: an "
		    "earlier write failed", t->s->path);
		return ERR_IO;
	}
	if (t->finished)
		return git_sink__inval(d, path, "the tree is finished");
	if ((why = git_sink__path_problem(path)) != NULL)
		return git_sink__inval(d, path, why);
	return 0;
}

/* given_before - a refusal for a name node has an entry for already */
static int
given_before(const struct git_sink_tree *t, uint32_t e, const char *path,
    struct diag *d)
{
	return git_sink__inval(d, path, t->ents[e].kind == E_DIR ?
	    "a parent directory is also given as a file" : "duplicate path");
}

/* put - the file at path, from gen */
static int
put(struct git_sink_tree *t, const char *path, size_t len,
    git_sink_gen_fn gen, void *ctx, struct diag *d)
{
	size_t ne = t->ne, nn = t->nn, names = t->names.len;
	const git_tree_entry *be;
	const char *leaf;
	uint32_t node, e;
	git_oid id;
	int rc, changed;

	if ((rc = usable(t, path, d)) < 0)
		return rc;
	if ((rc = walk(t, path, &node, &leaf, d)) < 0)
		goto cleanup;
	if (t->from_base && t->nodes[node].under_file) {
		rc = git_sink__inval(d, path,
		    "a parent directory is a file in the tree");
		goto cleanup;
	}
	if ((e = find_ent(t, node, leaf, strlen(leaf))) != NONE) {
		rc = given_before(t, e, path, d);
		goto cleanup;
	}
	be = base_entry(t, node, leaf, strlen(leaf));
	if (t->from_base && be && git_tree_entry_type(be) == GIT_OBJECT_TREE) {
		rc = git_sink__inval(d, path, "a directory in the tree");
		goto cleanup;
	}
	if (t->from_base && be && git_tree_entry_type(be) != GIT_OBJECT_BLOB) {
		rc = git_sink__inval(d, path, "a submodule link in the tree");
		goto cleanup;
	}
	if ((rc = git_pack_hash(GIT_OBJECT_BLOB, len, gen, ctx, path, &id,
	    d)) < 0)
		goto cleanup;
	changed = !(be && git_tree_entry_type(be) == GIT_OBJECT_BLOB &&
	    git_tree_entry_filemode_raw(be) == MODE_BLOB &&
	    git_oid_equal(git_tree_entry_id(be), &id));
	if (changed && !t->dry && !git_pack_has(t->p, &id) &&
	    (rc = git_pack_put(t->p, GIT_OBJECT_BLOB, &id, len, gen, ctx, path,
	    d)) < 0)
		goto cleanup;
	if (add_ent(t, node, leaf, strlen(leaf), E_FILE, &e) < 0) {
		rc = git_sink__nomem(d, path);
		goto cleanup;
	}
	git_oid_cpy(&t->ents[e].id, &id);
	rc = changed;
cleanup:
	if (rc == ERR_IO || rc == ERR_BUG)
		t->spoilt = 1;
	if (rc < 0)
		rollback(t, ne, nn, names);
	return rc;
}

/* git_sink_tree_put_gen - a file produced by gen */
int
git_sink_tree_put_gen(struct git_sink_tree *t, const char *path,
    size_t len, git_sink_gen_fn gen, void *ctx, struct diag *d)
{
	git_error_clear();
	if (gen == NULL)
		return git_sink__inval(d, path, "no generator");
	return put(t, path, len, gen, ctx, d);
}

/* one buffer, as a generator */
struct mem {
	const void *data;
	size_t len;
};

/* mem_gen - the buffer in one piece */
static int
mem_gen(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	const struct mem *m = ctx;

	return m->len ? emit(ectx, m->data, m->len) : 0;
}

/* git_sink_tree_put - a file from memory */
int
git_sink_tree_put(struct git_sink_tree *t, const char *path,
    const void *data, size_t len, struct diag *d)
{
	struct mem m = { data, len };

	git_error_clear();
	if (data == NULL && len > 0)
		return git_sink__inval(d, path, "no data");
	return put(t, path, len, mem_gen, &m, d);
}

/* git_sink_tree_remove - a path of the base deleted */
int
git_sink_tree_remove(struct git_sink_tree *t, const char *path,
    struct diag *d)
{
	size_t ne = t->ne, nn = t->nn, names = t->names.len;
	const git_tree_entry *be;
	const char *leaf;
	uint32_t node, e;
	int rc;

	git_error_clear();
	if ((rc = usable(t, path, d)) < 0)
		return rc;
	if ((rc = walk(t, path, &node, &leaf, d)) < 0)
		goto cleanup;
	if ((e = find_ent(t, node, leaf, strlen(leaf))) != NONE) {
		rc = given_before(t, e, path, d);
		goto cleanup;
	}
	be = base_entry(t, node, leaf, strlen(leaf));
	if (t->from_base && be && git_tree_entry_type(be) == GIT_OBJECT_TREE) {
		rc = git_sink__inval(d, path, "a directory in the tree");
		goto cleanup;
	}
	if (add_ent(t, node, leaf, strlen(leaf), E_GONE, &e) < 0)
		rc = git_sink__nomem(d, path);
cleanup:
	if (rc < 0)
		rollback(t, ne, nn, names);
	return rc;
}

/* git_order - compare two names as git orders a tree's entries: byte
 * by byte, a directory as if its name ended in '/' */
static int
git_order(const char *a, size_t al, int adir, const char *b, size_t bl,
    int bdir)
{
	size_t n = al < bl ? al : bl;
	int r = memcmp(a, b, n), ca, cb;

	if (r != 0)
		return r;
	ca = al > n ? (unsigned char)a[n] : adir ? '/' : 0;
	cb = bl > n ? (unsigned char)b[n] : bdir ? '/' : 0;
	return ca - cb;
}

/* cmp_ent - qsort_r: entries (by index) of one node in git's order */
static int
cmp_ent(const void *a, const void *b, void *ctx)
{
	const struct git_sink_tree *t = ctx;
	const struct tent *x = &t->ents[*(const uint32_t *)a];
	const struct tent *y = &t->ents[*(const uint32_t *)b];

	return git_order(arena_str(&t->names, x->name), x->nlen,
	    x->kind == E_DIR, arena_str(&t->names, y->name), y->nlen,
	    y->kind == E_DIR);
}

/* in_order - whether the entries v[0..n) are in git's order already
 * (paths given sorted, the common case, need no sort) */
static int
in_order(const struct git_sink_tree *t, const uint32_t *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp_ent(&v[i - 1], &v[i], (void *)t) > 0)
			return 0;
	return 1;
}

/* group - t->order: the entries grouped by node (counting sort), each
 * group in git's order */
static int
group(struct git_sink_tree *t)
{
	uint32_t i, *at;
	size_t k;

	if ((t->order = calloc(t->ne ? t->ne : 1, sizeof *t->order)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < t->ne; i++)
		t->nodes[t->ents[i].node].count++;
	for (k = 0, i = 0; i < t->nn; i++) {
		t->nodes[i].first = (uint32_t)k;
		k += t->nodes[i].count;
		t->nodes[i].count = 0;
	}
	for (i = 0; i < t->ne; i++) {
		at = &t->nodes[t->ents[i].node].count;
		t->order[t->nodes[t->ents[i].node].first + (*at)++] = i;
	}
	for (i = 0; i < t->nn; i++)
		if (!in_order(t, t->order + t->nodes[i].first,
		    t->nodes[i].count))
			qsort_r(t->order + t->nodes[i].first, t->nodes[i].count,
			    sizeof *t->order, cmp_ent, t);
	return 0;
}

/* tree_line - one entry of a tree object: "MODE NAME\0" and the id */
static int
tree_line(struct buf *b, unsigned mode, const char *name, size_t len,
    const git_oid *id)
{
	int rc;

	/* the two modes the sink writes without printf, whose cost showed */
	if (mode == MODE_BLOB)
		rc = buf_append(b, "100644 ", 7);
	else if (mode == MODE_TREE)
		rc = buf_append(b, "40000 ", 6);
	else
		rc = buf_printf(b, "%o ", mode);
	if (rc < 0 || buf_append(b, name, len) < 0 || buf_putc(b, '\0') < 0 ||
	    buf_append(b, id->id, GIT_OID_RAWSZ) < 0)
		return ERR_NOMEM;
	return 0;
}

/* given_line - the line of a given entry (nothing for a removal or a
 * directory left empty) */
static int
given_line(struct git_sink_tree *t, const struct tent *e, struct buf *b)
{
	const char *name = arena_str(&t->names, e->name);

	if (e->kind == E_FILE)
		return tree_line(b, MODE_BLOB, name, e->nlen, &e->id);
	if (e->kind == E_DIR && !t->nodes[e->child].empty)
		return tree_line(b, MODE_TREE, name, e->nlen,
		    &t->nodes[e->child].id);
	return 0;
}

/* base_line - the line of an entry of the base kept as it is */
static int
base_line(const git_tree_entry *be, struct buf *b)
{
	const char *name = git_tree_entry_name(be);

	return tree_line(b, (unsigned)git_tree_entry_filemode_raw(be), name,
	    strlen(name), git_tree_entry_id(be));
}

/* node_content - the tree object of node into b: its given entries,
 * with the base's others for a tree from the base (a given entry
 * replaces the base's of the same name and kind; a removal takes the
 * base's file away) */
static int
node_content(struct git_sink_tree *t, const struct tnode *n, struct buf *b)
{
	const git_tree_entry *be;
	const struct tent *e;
	const char *bname;
	size_t i = 0, j = 0, nb;
	int c;

	nb = t->from_base && n->base ? git_tree_entrycount(n->base) : 0;
	while (i < n->count || j < nb) {
		e = i < n->count ? &t->ents[t->order[n->first + i]] : NULL;
		be = j < nb ? git_tree_entry_byindex(n->base, j) : NULL;
		if (e && be) {
			bname = git_tree_entry_name(be);
			c = git_order(arena_str(&t->names, e->name), e->nlen,
			    e->kind == E_DIR, bname, strlen(bname),
			    git_tree_entry_type(be) == GIT_OBJECT_TREE);
		} else
			c = e ? -1 : 1;
		if (c > 0) {
			if (base_line(be, b) < 0)
				return ERR_NOMEM;
			j++;
			continue;
		}
		if (given_line(t, e, b) < 0)
			return ERR_NOMEM;
		i++;
		j += c == 0;
	}
	return 0;
}

/* git_sink_tree_finish - the directories, bottom up */
int
git_sink_tree_finish(struct git_sink_tree *t, int *same, struct diag *d)
{
	struct tnode *n;
	struct mem m;
	size_t i;
	int rc = 0;

	*same = 0;
	git_error_clear();
	if (t->spoilt)
		return usable(t, "(tree)", d);
	if (t->finished)
		return git_sink__inval(d, t->s->path, "the tree is finished");
	if (group(t) < 0)
		return git_sink__nomem(d, t->s->path);
	/* a node's children are made after it: done before it here */
	for (i = t->nn; i-- > 0;) {
		n = &t->nodes[i];
		buf_reset(&t->scratch);
		if (node_content(t, n, &t->scratch) < 0) {
			rc = git_sink__nomem(d, t->s->path);
			goto cleanup;
		}
		if (t->scratch.len == 0 && i > 0) {
			n->empty = 1;
			continue;
		}
		m.data = t->scratch.data;
		m.len = t->scratch.len;
		git_pack_id(GIT_OBJECT_TREE, m.data, m.len, &n->id);
		if (t->dry || (n->base && git_oid_equal(&n->id,
		    git_tree_id(n->base))))
			continue;       /* the base's: there already */
		if ((rc = git_pack_put(t->p, GIT_OBJECT_TREE, &n->id, m.len,
		    mem_gen, &m, t->s->path, d)) < 0)
			goto cleanup;
	}
	/* the root came last */
	if (buf_append(&t->rootbuf, t->scratch.data, t->scratch.len) < 0) {
		rc = git_sink__nomem(d, t->s->path);
		goto cleanup;
	}
	git_oid_cpy(&t->root, &t->nodes[0].id);
	t->same = t->has_base && t->nodes[0].base &&
	    git_oid_equal(&t->root, git_tree_id(t->nodes[0].base));
	t->finished = 1;
	*same = t->same;
cleanup:
	if (rc < 0)
		t->spoilt = 1;
	return rc;
}

/* root_entry - the mode and id of name in the finished root; 0 when
 * it has none */
static int
root_entry(const struct git_sink_tree *t, const char *name, unsigned *mode,
    git_oid *id)
{
	const char *p = t->rootbuf.data, *end = p + t->rootbuf.len, *sp, *nul;

	while (p && p < end) {
		sp = memchr(p, ' ', (size_t)(end - p));
		nul = sp ? memchr(sp, '\0', (size_t)(end - sp)) : NULL;
		if (nul == NULL || (size_t)(end - nul) < 1 + GIT_OID_RAWSZ)
			return 0;
		if (strcmp(sp + 1, name) == 0) {
			*mode = (unsigned)strtoul(p, NULL, 8);
			git_oid_fromraw(id, (const unsigned char *)nul + 1);
			return 1;
		}
		p = nul + 1 + GIT_OID_RAWSZ;
	}
	return 0;
}

/* git_sink_tree_entry_same - a top-level name as in the base */
int
git_sink_tree_entry_same(const struct git_sink_tree *t, const char *name)
{
	const git_tree_entry *be;
	unsigned mode = 0;
	git_oid id;
	int here;

	if (!t->finished || name == NULL)
		return 0;
	here = root_entry(t, name, &mode, &id);
	be = t->nodes[0].base ? git_tree_entry_byname(t->nodes[0].base,
	    name) : NULL;
	if (!here || be == NULL)
		return !here && be == NULL;
	return mode == (unsigned)git_tree_entry_filemode_raw(be) &&
	    git_oid_equal(&id, git_tree_entry_id(be));
}

/* git_sink_tree_entry_same_in - a top-level name as in a commit */
int
git_sink_tree_entry_same_in(const struct git_sink_tree *t,
    const char *commit_hex, const char *name, struct diag *d)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const git_tree_entry *be;
	unsigned mode = 0;
	git_oid id;
	int here, rc;

	if (!t->finished || name == NULL)
		return 0;
	git_error_clear();
	if ((rc = git_sink__lookup_commit(t->s, commit_hex, &c, d)) < 0)
		return rc;
	if (git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return git_sink__lib_fail(d, t->s->path,
		    "cannot read the commit's tree");
	}
	here = root_entry(t, name, &mode, &id);
	be = git_tree_entry_byname(tree, name);
	if (!here || be == NULL)
		rc = !here && be == NULL;
	else
		rc = mode == (unsigned)git_tree_entry_filemode_raw(be) &&
		    git_oid_equal(&id, git_tree_entry_id(be));
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* git_sink__tree_start - a tree on base (NULL: none) */
int
git_sink__tree_start(struct git_sink *s, const git_commit *base,
    int from_base, struct git_sink_tree **out, struct diag *d)
{
	struct git_sink_tree *t;
	int rc = 0;

	*out = NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return git_sink__nomem(d, s->path);
	t->s = s;
	t->from_base = from_base;
	t->lastnode = NONE;
	hmap_init(&t->map);
	buf_init(&t->lastdir);
	buf_init(&t->rootbuf);
	buf_init(&t->scratch);
	if ((rc = git_pack_new(s, &t->p, d)) < 0)
		goto cleanup;
	if (vec_grow((void **)&t->nodes, &t->capn, 0, sizeof *t->nodes) < 0) {
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	memset(&t->nodes[0], 0, sizeof t->nodes[0]);
	t->nodes[0].parent = NONE;
	t->nodes[0].ent = NONE;
	t->nn = 1;
	if (base) {
		git_oid_cpy(&t->base_id, git_commit_id(base));
		t->has_base = 1;
		if (git_commit_tree(&t->nodes[0].base, base) < 0)
			rc = git_sink__lib_fail(d, s->path,
			    "cannot read head tree");
	}
cleanup:
	if (rc < 0)
		git_sink_tree_free(t);
	else
		*out = t;
	return rc;
}

/* git_sink_tree_new - a tree on the sink's head */
int
git_sink_tree_new(struct git_sink *s, int from_head,
    struct git_sink_tree **out, struct diag *d)
{
	git_commit *head = NULL;
	git_tree *tree = NULL;
	int rc;

	*out = NULL;
	git_error_clear();
	if ((rc = git_sink__load_head(s, &head, &tree, d)) == 0)
		rc = git_sink__tree_start(s, head, from_head != 0, out, d);
	git_tree_free(tree);
	git_commit_free(head);
	return rc;
}

/* git_sink_tree_new_dry - an empty tree that writes nothing */
int
git_sink_tree_new_dry(struct git_sink *s, struct git_sink_tree **out,
    struct diag *d)
{
	int rc = git_sink_tree_new(s, 0, out, d);

	if (rc == 0)
		(*out)->dry = 1;
	return rc;
}

/* ready - a finished tree that can be committed */
static int
ready(struct git_sink_tree *t, struct diag *d)
{
	if (t->dry)
		return git_sink__inval(d, t->s->path,
		    "a tree of ids only cannot be committed");
	if (t->spoilt)
		return usable(t, "(tree)", d);
	if (!t->finished)
		return git_sink__inval(d, t->s->path,
		    "the tree is not finished");
	return 0;
}

/* git_sink__tree_commit - the finished tree on the deploy branch */
int
git_sink__tree_commit(struct git_sink_tree *t,
    const struct git_sink_draft *dr, int *committed, char oid_hex[41],
    struct diag *d)
{
	struct git_sink *s = t->s;
	struct buf log = BUF_INIT;
	git_oid id;
	int rc;

	*committed = 0;
	oid_hex[0] = '\0';
	if ((rc = ready(t, d)) < 0)
		return rc;
	if (s->has_head != t->has_base || (s->has_head &&
	    !git_oid_equal(&s->head, &t->base_id))) {
		diag_error(d, NULL, "git_sink: %s: cannot commit on branch %s: "
		    "its head is no longer the one the tree was made on",
		    s->path, s->branch);
		return ERR_MOVED;
	}
	if (t->same) {
		git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &s->head);
		return 0;
	}
	/* a branch that moved already costs no write */
	if ((rc = git_sink__head_moved(s, d)) != 0)
		return rc < 0 ? rc : ERR_MOVED;
	if ((rc = git_sink__write_commit(s, t->p, dr, &t->root,
	    t->has_base ? &t->base_id : NULL, &id, d)) < 0 ||
	    (rc = git_pack_flush(t->p, d)) < 0)
		goto cleanup;
	if (git_sink__reflog_text(&log, t->has_base ? "commit" :
	    "commit (initial)", dr->message) < 0) {
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	if ((rc = git_sink__swap_head(s, &id, log.data, d)) < 0)
		goto cleanup;
	git_pack_used(t->p);
	*committed = 1;
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	if (rc == ERR_IO)
		t->spoilt = 1;
	buf_free(&log);
	return rc;
}

/* git_sink__tree_commit_on - the finished tree on a side branch */
int
git_sink__tree_commit_on(struct git_sink_tree *t, const char *ref,
    const char *branch, const git_commit *parent,
    const struct git_sink_draft *dr, int force, char oid_hex[41],
    struct diag *d)
{
	struct git_sink *s = t->s;
	struct buf log = BUF_INIT;
	git_oid id;
	int rc;

	oid_hex[0] = '\0';
	if ((rc = ready(t, d)) < 0)
		return rc;
	/* a branch that exists already costs no write */
	if (!force && git_reference_name_to_id(&id, s->repo, ref) == 0) {
		diag_error(d, NULL, "git_sink: %s: cannot create branch %s: "
		    "it already exists", s->path, branch);
		return ERR_MOVED;
	}
	if ((rc = git_sink__write_commit(s, t->p, dr, &t->root,
	    parent ? git_commit_id(parent) : NULL, &id, d)) < 0 ||
	    (rc = git_pack_flush(t->p, d)) < 0)
		goto cleanup;
	if (git_sink__reflog_text(&log, force ? "commit (force)" :
	    "commit (created)", dr->message) < 0) {
		rc = git_sink__nomem(d, s->path);
		goto cleanup;
	}
	if ((rc = git_sink__set_ref(s, ref, branch, &id, force, log.data,
	    d)) < 0)
		goto cleanup;
	git_pack_used(t->p);
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	if (rc == ERR_IO)
		t->spoilt = 1;
	buf_free(&log);
	return rc;
}

/* git_sink_tree_commit - commit on the deploy branch */
int
git_sink_tree_commit(struct git_sink_tree *t, const char *message,
    const char *author_name, const char *author_email, int *committed,
    char oid_hex[41], struct diag *d)
{
	struct git_sink_draft dr;
	int rc;

	*committed = 0;
	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__draft_start(t->s, message, author_name,
	    author_email, &dr, d)) == 0)
		rc = git_sink__tree_commit(t, &dr, committed, oid_hex, d);
	git_sink__draft_end(&dr);
	return rc;
}

/* git_sink_tree_commit_on - commit on a side branch */
int
git_sink_tree_commit_on(struct git_sink_tree *t, const char *branch,
    const char *parent_hex, const char *message, const char *author_name,
    const char *author_email, int force, char oid_hex[41], struct diag *d)
{
	struct git_sink_draft dr;
	struct buf ref = BUF_INIT;
	git_commit *parent = NULL;
	int rc;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__draft_start(t->s, message, author_name,
	    author_email, &dr, d)) < 0 ||
	    (rc = git_sink__branch_ref(t->s, branch, 0, &ref, d)) < 0)
		goto cleanup;
	if (parent_hex && (rc = git_sink__lookup_commit(t->s, parent_hex,
	    &parent, d)) < 0)
		goto cleanup;
	rc = git_sink__tree_commit_on(t, ref.data, branch, parent, &dr, force,
	    oid_hex, d);
cleanup:
	git_commit_free(parent);
	buf_free(&ref);
	git_sink__draft_end(&dr);
	return rc;
}

/* git_sink_tree_free - release the tree, drop what no commit used */
void
git_sink_tree_free(struct git_sink_tree *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nn; i++)
		git_tree_free(t->nodes[i].base);
	git_pack_free(t->p);
	free(t->nodes);
	free(t->ents);
	free(t->order);
	arena_free(&t->names);
	hmap_free(&t->map);
	buf_free(&t->lastdir);
	buf_free(&t->rootbuf);
	buf_free(&t->scratch);
	free(t);
}
