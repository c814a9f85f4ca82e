/*
 * listing_head - the route listing a commit holds, read only as much as
 * asked
 *
 * DESCRIPTION
 *	The form is found from the files: a domains file is the second
 *	form, its header giving the shard count; without one, a
 *	.splitsync/routes file or the shard 0 a sharded first form always
 *	has (.splitsync/routes.d/0, /0/0, ...) is the first form, its
 *	depth giving the count.
 *
 *	Who owned an address costs one routes shard and one owners shard
 *	(the second form) or one shard of the first form, each read and
 *	parsed once however many contested addresses it holds; a first
 *	form in one file is read once, whole. The whole listing, in
 *	either form, is for status and for the rare commit that finds
 *	the head's listing in another form or shard count.
 *
 * DIAGNOSTICS
 *	Repository failures as git_sink records them; a damaged listing
 *	file is ERR_DATA, named in d.
 */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hmap.h"
#include "layout.h"
#include "listing.h"
#include "routes.h"
#include "shard.h"
#include "snapshot.h"
#include "vec.h"

/* A routes shard or an owners shard read for owner look-ups. */
struct cached {
	size_t shard;
	int owners;                     /* 1: an owners shard */
	struct listing_rows rows;
	struct listing_owners own;
	struct routes first;            /* a first form's shard */
};

struct listing_head {
	struct git_sink *sink;
	char commit[41];                /* "" : the sink's head */
	enum listing_form form;
	struct listing_domains doms;    /* the second form's */
	size_t nshards;                 /* 0: one file */
	struct cached *cache;
	size_t ncache, capcache;
	struct hmap index;              /* (part, shard) -> cache */
	int error;
	struct diag *d;                 /* borrowed, for look-up failures */
};

/* read_path - the file at path of the listing's commit (*data NULL
 * when absent). ERR_INVAL, ERR_IO, ERR_NOMEM */
static int
read_path(struct listing_head *h, const char *path, char **data,
    size_t *len, struct diag *d)
{
	int rc;

	*data = NULL;
	*len = 0;
	if (*h->commit)
		rc = git_sink_read_at(h->sink, h->commit, path, data, len, d);
	else
		rc = git_sink_read(h->sink, path, data, len, d);
	if (rc == ERR_NOTFOUND) {
		*data = NULL;
		return 0;
	}
	return rc;
}

/* first_form - which first form the commit holds, if any */
static int
first_form(struct listing_head *h, struct diag *d)
{
	char path[SHARD_PATH_MAX], *data = NULL;
	size_t len, n;
	int rc;

	if ((rc = read_path(h, LAYOUT_LISTING_PATH, &data, &len, d)) < 0)
		return rc;
	if (data) {
		free(data);
		h->form = LISTING_FIRST;
		h->nshards = 0;
		return 0;
	}
	for (n = 16; n <= 65536; n *= 16) {
		if ((rc = layout_path(path, sizeof path, LAYOUT_PART_LISTING,
		    NULL, 0, n)) < 0 ||
		    (rc = read_path(h, path, &data, &len, d)) < 0)
			return rc;
		if (data) {
			free(data);
			h->form = LISTING_FIRST;
			h->nshards = n;
			return 0;
		}
	}
	h->form = LISTING_NONE;
	return 0;
}

/* listing_head_open - find the form, read the domains file */
int
listing_head_open(struct git_sink *sink, const char *commit,
    struct listing_head **out, struct diag *d)
{
	struct listing_head *h;
	char *data = NULL, head[41];
	size_t len;
	int rc;

	*out = NULL;
	if ((h = calloc(1, sizeof *h)) == NULL)
		return ERR_NOMEM;
	h->sink = sink;
	h->d = d;
	hmap_init(&h->index);
	if (commit)
		memcpy(h->commit, commit, 41);
	if (commit == NULL && git_sink_head(sink, head) < 0) {
		h->form = LISTING_NONE;         /* an unborn branch */
		*out = h;
		return 0;
	}
	rc = read_path(h, LAYOUT_DOMAINS_PATH, &data, &len, d);
	if (rc == 0 && data) {
		h->form = LISTING_SECOND;
		rc = listing_parse_domains(LAYOUT_DOMAINS_PATH, data, len,
		    &h->doms, d);
		h->nshards = h->doms.nshards;
	} else if (rc == 0) {
		rc = first_form(h, d);
	}
	free(data);
	if (rc < 0) {
		listing_head_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

/* listing_head_close - release everything read */
void
listing_head_close(struct listing_head *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->ncache; i++) {
		listing_rows_clear(&h->cache[i].rows);
		listing_owners_clear(&h->cache[i].own);
		routes_clear(&h->cache[i].first);
	}
	free(h->cache);
	hmap_free(&h->index);
	listing_domains_clear(&h->doms);
	free(h);
}

/* listing_head_form - its form */
enum listing_form
listing_head_form(const struct listing_head *h)
{
	return h->form;
}

/* listing_head_shards - its shard count */
size_t
listing_head_shards(const struct listing_head *h)
{
	return h->nshards;
}

/* listing_head_domains - its domains file */
const struct listing_domains *
listing_head_domains(const struct listing_head *h)
{
	return &h->doms;
}

/* listing_head_error - the first failed look-up */
int
listing_head_error(const struct listing_head *h)
{
	return h->error;
}

/* shard_file - the path of shard s of part in the head's own count */
static int
shard_file(const struct listing_head *h, enum layout_part part, size_t s,
    char path[SHARD_PATH_MAX])
{
	return layout_path(path, SHARD_PATH_MAX, part, NULL, h->nshards ? s : 0,
	    h->nshards);
}

/* listing_head_shard - shard s of the routes part */
int
listing_head_shard(struct listing_head *h, size_t s, struct listing_rows *out,
    struct diag *d)
{
	char path[SHARD_PATH_MAX], *data = NULL;
	size_t len;
	int rc;

	out->v = NULL;
	out->n = 0;
	if (h->form != LISTING_SECOND)
		return ERR_INVAL;
	rc = shard_file(h, LAYOUT_PART_LISTING, s, path);
	rc = rc ? rc : read_path(h, path, &data, &len, d);
	if (rc == 0 && data)
		rc = listing_parse_routes(path, data, len, &h->doms, out, d);
	free(data);
	return rc;
}

/* owners_shard - shard s of the owners part, parsed into out */
static int
owners_shard(struct listing_head *h, size_t s, struct listing_owners *out,
    struct diag *d)
{
	char path[SHARD_PATH_MAX], *data = NULL;
	size_t len;
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = shard_file(h, LAYOUT_PART_OWNERS, s, path);
	rc = rc ? rc : read_path(h, path, &data, &len, d);
	if (rc == 0 && data)
		rc = listing_parse_owners(path, data, len, out, d);
	free(data);
	return rc;
}

/* first_shard - shard s of a first form listing (the whole file for a
 * listing in one), parsed */
static int
first_shard(struct listing_head *h, size_t s, struct routes *out,
    struct diag *d)
{
	char path[SHARD_PATH_MAX], *data = NULL;
	size_t len;
	int rc;

	out->rows = NULL;
	out->count = 0;
	rc = shard_file(h, LAYOUT_PART_LISTING, s, path);
	rc = rc ? rc : read_path(h, path, &data, &len, d);
	if (rc == 0 && data)
		rc = routes_parse(path, data, len, out, d);
	free(data);
	return rc;
}

/* cached_eq - hmap equality: the cache entry val is (part, shard) */
static int
cached_eq(uint32_t val, const void *key, void *ctx)
{
	const struct listing_head *h = ctx;
	const size_t *k = key;

	return h->cache[val].shard == k[0] && (size_t)h->cache[val].owners ==
	    k[1];
}

/* cached - the cache entry of (owners, s), read when first asked */
static struct cached *
cached(struct listing_head *h, int owners, size_t s)
{
	size_t key[2] = { s, (size_t)owners };
	uint64_t hash = (uint64_t)s * 2 + (uint64_t)owners + 1;
	struct cached *c;
	uint32_t at;
	int rc;

	if ((at = hmap_find(&h->index, hash, cached_eq, key, h)) != HMAP_NONE)
		return &h->cache[at];
	if (vec_grow((void **)&h->cache, &h->capcache, h->ncache,
	    sizeof *h->cache) < 0)
		return NULL;
	c = &h->cache[h->ncache];
	memset(c, 0, sizeof *c);
	c->shard = s;
	c->owners = owners;
	if (owners)
		rc = owners_shard(h, s, &c->own, h->d);
	else if (h->form == LISTING_SECOND)
		rc = listing_head_shard(h, s, &c->rows, h->d);
	else
		rc = first_shard(h, s, &c->first, h->d);
	if (rc == 0 && hmap_put(&h->index, hash, (uint32_t)h->ncache) < 0)
		rc = ERR_NOMEM;
	if (rc < 0) {
		listing_rows_clear(&c->rows);
		listing_owners_clear(&c->own);
		routes_clear(&c->first);
		if (h->error == 0)
			h->error = rc;
		return NULL;
	}
	return &h->cache[h->ncache++];
}

/* find_row - a parsed routes shard's row of key */
static const struct listing_row *
find_row(const struct listing_rows *r, const char *key)
{
	size_t lo = 0, hi = r->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(key, r->v[mid].row.key);
		if (c == 0)
			return &r->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* shard_in - the shard of a key in the head's count */
static size_t
shard_in(const struct listing_head *h, const char *key, size_t len)
{
	return h->nshards ? shard_of(key, len, h->nshards) : 0;
}

/* listing_head_owner - who owned address, from its shards */
const char *
listing_head_owner(const char *address, void *ctx)
{
	struct listing_head *h = ctx;
	const struct route_row *fr;
	const struct listing_row *row;
	const struct listing_owner *o;
	struct cached *c;

	if (h->form == LISTING_NONE)
		return NULL;
	if ((c = cached(h, 0, shard_in(h, address, strlen(address)))) == NULL)
		return NULL;
	if (h->form == LISTING_FIRST) {
		fr = routes_find(&c->first, address);
		return fr == NULL ? NULL : *fr->id ? fr->id : fr->dn;
	}
	if ((row = find_row(&c->rows, address)) == NULL)
		return NULL;
	if ((c = cached(h, 1, shard_in(h, row->ref, LISTING_REF_LEN))) ==
	    NULL || (o = listing_owner_find(&c->own, row->ref)) == NULL)
		return NULL;
	return *o->id ? o->id : o->dn;
}

/* by_shard - rows in the order of their owners' shards */
struct fill {
	struct listing_row *row;
	size_t shard;
};

static int
fill_cmp(const void *a, const void *b)
{
	const struct fill *x = a, *y = b;

	return (x->shard > y->shard) - (x->shard < y->shard);
}

/* listing_head_fill - owners' ids and DNs, each owners shard read once */
int
listing_head_fill(struct listing_head *h, struct listing_row *const *rows,
    size_t n, struct diag *d)
{
	struct listing_owners own = { NULL, 0 };
	const struct listing_owner *o;
	struct fill *v;
	size_t i, have = (size_t)-1;
	int rc = 0;

	if (n == 0 || h->form != LISTING_SECOND)
		return 0;
	if ((v = malloc(n * sizeof *v)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		v[i].row = rows[i];
		v[i].shard = shard_in(h, rows[i]->ref, LISTING_REF_LEN);
	}
	qsort(v, n, sizeof *v, fill_cmp);
	for (i = 0; rc == 0 && i < n; i++) {
		struct route_row *r = &v[i].row->row;
		char *id, *dn;

		if (v[i].shard != have) {
			listing_owners_clear(&own);
			rc = owners_shard(h, v[i].shard, &own, d);
			have = v[i].shard;
		}
		if (rc < 0 || (o = listing_owner_find(&own, v[i].row->ref)) ==
		    NULL)
			continue;
		id = strdup(o->id);
		dn = strdup(o->dn);
		if (id == NULL || dn == NULL) {
			free(id);
			free(dn);
			rc = ERR_NOMEM;
			break;
		}
		free(r->id);
		free(r->dn);
		r->id = id;
		r->dn = dn;
	}
	listing_owners_clear(&own);
	free(v);
	return rc;
}

/* push - a copy of a row into a listing being gathered */
static int
push(struct routes *out, size_t *cap, const struct route_row *r)
{
	struct route_row *x;

	if (vec_grow((void **)&out->rows, cap, out->count,
	    sizeof *out->rows) < 0)
		return ERR_NOMEM;
	x = &out->rows[out->count];
	x->key = strdup(r->key);
	x->kind = strdup(r->kind);
	x->nexthop = strdup(r->nexthop);
	x->id = strdup(r->id);
	x->dn = strdup(r->dn);
	out->count++;
	if (!x->key || !x->kind || !x->nexthop || !x->id || !x->dn)
		return ERR_NOMEM;
	return 0;
}

/* row_cmp - rows by key */
static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct route_row *)a)->key,
	    ((const struct route_row *)b)->key);
}

/* What a walk over the second form's routes gathers. */
struct gather {
	struct listing_head *h;
	struct routes *out;
	size_t *cap;
	int without_owners;
	struct diag *d;
};

/* gather_shard - one routes shard, its owners filled in, into out */
static int
gather_shard(const char *path, const char *data, size_t len, void *ctx)
{
	struct gather *g = ctx;
	struct listing_rows rows = { NULL, 0 };
	struct listing_row **p = NULL;
	size_t i;
	int rc;

	rc = listing_parse_routes(path, data, len, &g->h->doms, &rows, g->d);
	if (rc == 0 && !g->without_owners && rows.n) {
		if ((p = malloc(rows.n * sizeof *p)) == NULL)
			rc = ERR_NOMEM;
		for (i = 0; rc == 0 && i < rows.n; i++)
			p[i] = &rows.v[i];
		rc = rc ? rc : listing_head_fill(g->h, p, rows.n, g->d);
	}
	for (i = 0; rc == 0 && i < rows.n; i++)
		rc = push(g->out, g->cap, &rows.v[i].row);
	free(p);
	listing_rows_clear(&rows);
	return rc;
}

/* second_all - the domains and every routes shard */
static int
second_all(struct listing_head *h, int without_owners, struct routes *out,
    struct diag *d)
{
	struct gather g = { h, out, NULL, without_owners, d };
	char *data = NULL;
	size_t cap = 0, i, len;
	int rc = 0;

	g.cap = &cap;
	for (i = 0; rc == 0 && i < h->doms.n; i++)
		rc = push(out, &cap, &h->doms.v[i].row);
	if (rc == 0 && h->nshards == 0) {
		rc = read_path(h, LAYOUT_LISTING_PATH, &data, &len, d);
		if (rc == 0 && data)
			rc = gather_shard(LAYOUT_LISTING_PATH, data, len, &g);
		free(data);
	} else if (rc == 0) {
		char dir[SHARD_PATH_MAX];

		rc = layout_dir(dir, sizeof dir, LAYOUT_PART_LISTING, NULL);
		rc = rc ? rc : git_sink_each_file(h->sink, *h->commit ?
		    h->commit : NULL, dir, gather_shard, &g, d);
	}
	if (rc == 0 && out->count > 1)
		qsort(out->rows, out->count, sizeof *out->rows, row_cmp);
	return rc;
}

/* first_all - the first form, whole: its file, or its shards sorted */
static int
first_all(struct listing_head *h, struct routes *out, struct diag *d)
{
	struct buf text = BUF_INIT;
	char dir[SHARD_PATH_MAX];
	int rc, found = 0;

	if (h->nshards == 0)
		rc = snapshot_read_file(h->sink, *h->commit ? h->commit : NULL,
		    LAYOUT_LISTING_PATH, &text, &found, d);
	else if ((rc = layout_dir(dir, sizeof dir, LAYOUT_PART_LISTING,
	    NULL)) == 0)
		rc = snapshot_read_sharded(h->sink, *h->commit ? h->commit :
		    NULL, dir, 0, &text, &found, NULL, d);
	if (rc == 0 && found)
		rc = routes_parse(LAYOUT_LISTING_PATH, text.data ? text.data :
		    "", text.len, out, d);
	buf_free(&text);
	return rc;
}

/* listing_head_all - the whole listing, either form */
int
listing_head_all(struct listing_head *h, int without_owners,
    struct routes *out, struct diag *d)
{
	int rc = 0;

	out->rows = NULL;
	out->count = 0;
	if (h->form == LISTING_FIRST)
		rc = first_all(h, out, d);
	else if (h->form == LISTING_SECOND)
		rc = second_all(h, without_owners, out, d);
	if (rc < 0)
		routes_clear(out);
	return rc;
}
