/*
 * changes - the route changes a commit makes, from the listing shards
 * that differ
 *
 * DESCRIPTION
 *	Old rows come parsed from the head's shards (each its owner's
 *	reference), new ones are the listing's slots, in key order within
 *	a shard and across the whole listing alike: two sorted runs are
 *	merged, a key on one side only is added or removed, a key on both
 *	changed when its kind, its nexthop (defaults filled in) or its
 *	owner differ. The domains' own rows ("@name") are few: compared
 *	whole every time.
 *
 *	Every change is counted; the ones to list are kept in a heap by
 *	key, at most limit of them, so a change of every route costs its
 *	counts and a thousand rows, whatever the order the shards come in.
 *	Only the kept old rows get their owner's id and DN, read from the
 *	owners shards they name.
 *
 *	A head without a listing: every new row is added, listed in key
 *	order straight from the model.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM; what reading the head's listing returns.
 */
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "errors.h"
#include "vec.h"

#define NONE MODEL_NONE

/* A change found, before it is listed. */
struct found {
	const char *key;        /* borrowed from old or the model */
	char op;
	uint32_t slot;          /* the new address row, NONE */
	uint32_t dom;           /* the new domain row, NONE */
	struct listing_row *old;        /* owned, or NULL */
};

/* What one changes_find gathers. */
struct cx {
	struct listing_head *h;
	const struct listing *l;
	const struct model *m;
	struct changes *c;
	size_t limit;
	struct found *heap;             /* max-heap by key, at most limit */
	size_t nheap, capheap;
	struct route_row *doms;         /* the new domain rows, by key */
	size_t ndoms;
	struct diag *d;
};

/* changes_init - none */
void
changes_init(struct changes *c)
{
	memset(c, 0, sizeof *c);
}

/* changes_clear - release */
void
changes_clear(struct changes *c)
{
	size_t i;

	for (i = 0; i < c->nmade; i++)
		route_row_clear(&c->made[i]);
	for (i = 0; i < c->nkept; i++)
		route_row_clear(&c->kept[i].row);
	free(c->made);
	free(c->kept);
	free(c->list);
	changes_init(c);
}

/* changes_total - every change */
size_t
changes_total(const struct changes *c)
{
	return c->added + c->changed + c->removed;
}

/* old_free - one found change's old row */
static void
old_free(struct listing_row *old)
{
	if (old == NULL)
		return;
	route_row_clear(&old->row);
	free(old);
}

/* heap_up, heap_down - the max-heap of found changes by key */
static void
heap_up(struct found *h, size_t i)
{
	struct found t;

	while (i > 0 && strcmp(h[(i - 1) / 2].key, h[i].key) < 0) {
		t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct found *h, size_t n, size_t i)
{
	struct found t;
	size_t big, l;

	for (;;) {
		big = i;
		l = 2 * i + 1;
		if (l < n && strcmp(h[l].key, h[big].key) > 0)
			big = l;
		if (l + 1 < n && strcmp(h[l + 1].key, h[big].key) > 0)
			big = l + 1;
		if (big == i)
			return;
		t = h[i];
		h[i] = h[big];
		h[big] = t;
		i = big;
	}
}

/* take - one change: counted, kept when among the first by key; old
 * (a row of a parsed shard) is taken over */
static int
take(struct cx *x, char op, const char *key, uint32_t slot, uint32_t dom,
    struct listing_row *old)
{
	struct changes *c = x->c;
	struct listing_row *copy = NULL;
	struct found f;

	if (op == '+')
		c->added++;
	else if (op == '-')
		c->removed++;
	else
		c->changed++;
	if (*key != '@' && op == '+')
		c->routes_added++;
	else if (*key != '@' && op == '-')
		c->routes_removed++;
	if (x->limit == 0 || (x->nheap == x->limit &&
	    strcmp(key, x->heap[0].key) >= 0))
		return 0;
	if (old) {
		if ((copy = malloc(sizeof *copy)) == NULL)
			return ERR_NOMEM;
		*copy = *old;
		memset(old, 0, sizeof *old);
		key = op == '-' ? copy->row.key : key;
	}
	f.key = key;
	f.op = op;
	f.slot = slot;
	f.dom = dom;
	f.old = copy;
	if (x->nheap == x->limit) {
		old_free(x->heap[0].old);
		x->heap[0] = f;
		heap_down(x->heap, x->nheap, 0);
		return 0;
	}
	if (vec_grow((void **)&x->heap, &x->capheap, x->nheap,
	    sizeof *x->heap) < 0) {
		old_free(copy);
		return ERR_NOMEM;
	}
	x->heap[x->nheap++] = f;
	heap_up(x->heap, x->nheap - 1);
	return 0;
}

/* new_row - the new row of a slot (id "" when it is the DN) */
static int
new_row(const struct model *m, uint32_t slot, struct route_row *r)
{
	struct model_address a;

	memset(r, 0, sizeof *r);
	if (model_address_at(m, slot, &a) < 0)
		return ERR_INVAL;
	r->key = strdup(a.address);
	r->kind = strdup(a.route == ROUTE_EXTERNAL ? "external" : "internal");
	r->nexthop = strdup(a.nexthop ? a.nexthop : "");
	r->id = strdup(strcmp(a.id, a.dn) == 0 ? "" : a.id);
	r->dn = strdup(a.dn);
	if (!r->key || !r->kind || !r->nexthop || !r->id || !r->dn)
		return ERR_NOMEM;
	return 0;
}

/* same_address - whether an old row routes slot as the new one does */
static int
same_address(const struct cx *x, const struct listing_row *old,
    uint32_t slot, int *same)
{
	struct model_route a;
	struct route_row r;
	char ref[LISTING_REF_LEN + 1];
	const char *hop;
	int rc;

	model_route_at(x->m, slot, &a);
	hop = a.nexthop ? model_nexthop_text(x->m, a.nexthop) : "";
	*same = strcmp(old->row.kind, a.route == ROUTE_EXTERNAL ? "external" :
	    "internal") == 0 && strcmp(old->row.nexthop, hop) == 0;
	if (!*same)
		return 0;
	if (*old->ref) {
		listing_ref(x->l, a.mailbox, ref);
		*same = strcmp(ref, old->ref) == 0;
		return 0;
	}
	/* the first form names the owner by id, or by DN without one */
	if ((rc = new_row(x->m, slot, &r)) == 0)
		*same = routes_row_same(&old->row, &r);
	route_row_clear(&r);
	return rc;
}

/* merge - old rows (sorted) against the new slots (in key order) */
static int
merge(struct cx *x, struct listing_row *old, size_t nold,
    const uint32_t *slots, size_t nnew)
{
	size_t i = 0, j = 0;
	const char *a;
	int rc = 0, c, same;

	while (rc == 0 && (i < nold || j < nnew)) {
		a = j < nnew ? model_slot_address(x->m, slots[j]) : NULL;
		if (i == nold)
			c = 1;
		else if (j == nnew)
			c = -1;
		else
			c = strcmp(old[i].row.key, a);
		if (c < 0) {
			rc = take(x, '-', old[i].row.key, NONE, NONE, &old[i]);
			i++;
		} else if (c > 0) {
			rc = take(x, '+', a, slots[j], NONE, NULL);
			j++;
		} else {
			rc = same_address(x, &old[i], slots[j], &same);
			if (rc == 0 && !same)
				rc = take(x, '~', a, slots[j], NONE, &old[i]);
			i++;
			j++;
		}
	}
	return rc;
}

/* push_dom - one new domain row */
static int
push_dom(struct cx *x, size_t *cap, const char *at, const char *name,
    const char *kind, const char *nexthop, const char *origin)
{
	struct route_row *r;

	if (vec_grow((void **)&x->doms, cap, x->ndoms, sizeof *x->doms) < 0)
		return ERR_NOMEM;
	r = &x->doms[x->ndoms++];
	memset(r, 0, sizeof *r);
	if ((r->key = malloc(strlen(name) + 2)) != NULL) {
		r->key[0] = *at;
		strcpy(r->key + 1, name);
	}
	r->kind = strdup(kind);
	r->nexthop = strdup(nexthop ? nexthop : "");
	r->id = strdup("");
	r->dn = strdup(origin ? origin : "");
	if (!r->key || !r->kind || !r->nexthop || !r->id || !r->dn)
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

/* make_doms - the new domain rows, as the first form had them */
static int
make_doms(struct cx *x)
{
	size_t i, j, cap = 0;
	int rc = 0;

	for (i = 0; rc == 0 && i < model_domain_count(x->m); i++) {
		const struct model_domain *dm = model_domain_at(x->m, i);

		rc = push_dom(x, &cap, "@", dm->name, dm->forward_unknown ?
		    "unknown-relay" : "unknown-reject", dm->forward_unknown ?
		    dm->relay : "", dm->origin);
		for (j = 0; rc == 0 && j < dm->naliases; j++)
			rc = push_dom(x, &cap, "@", dm->aliases[j],
			    "alias-domain", dm->name, dm->origin);
	}
	if (rc == 0 && x->ndoms > 1)
		qsort(x->doms, x->ndoms, sizeof *x->doms, row_cmp);
	return rc;
}

/* merge_doms - old domain rows against the new */
static int
merge_doms(struct cx *x, struct listing_row *old, size_t nold)
{
	size_t i = 0, j = 0;
	int rc = 0, c;

	while (rc == 0 && (i < nold || j < x->ndoms)) {
		if (i == nold)
			c = 1;
		else if (j == x->ndoms)
			c = -1;
		else
			c = strcmp(old[i].row.key, x->doms[j].key);
		if (c < 0) {
			rc = take(x, '-', old[i].row.key, NONE, NONE, &old[i]);
			i++;
		} else if (c > 0) {
			rc = take(x, '+', x->doms[j].key, NONE, (uint32_t)j,
			    NULL);
			j++;
		} else {
			if (!routes_row_same(&old[i].row, &x->doms[j]))
				rc = take(x, '~', x->doms[j].key, NONE,
				    (uint32_t)j, &old[i]);
			i++;
			j++;
		}
	}
	return rc;
}

/* copy_row - a deep copy of a route row into a listing row */
static int
copy_row(const struct route_row *r, struct listing_row *out)
{
	memset(out, 0, sizeof *out);
	out->row.key = strdup(r->key);
	out->row.kind = strdup(r->kind);
	out->row.nexthop = strdup(r->nexthop);
	out->row.id = strdup(r->id);
	out->row.dn = strdup(r->dn);
	if (!out->row.key || !out->row.kind || !out->row.nexthop ||
	    !out->row.id || !out->row.dn)
		return ERR_NOMEM;
	return 0;
}

/* rows_of - route rows as listing rows without references, split into
 * domain rows and address rows (both sorted, as r is) */
static int
rows_of(const struct routes *r, struct listing_rows *doms,
    struct listing_rows *addrs)
{
	size_t i;
	int rc = 0;

	doms->v = calloc(r->count + 1, sizeof *doms->v);
	addrs->v = calloc(r->count + 1, sizeof *addrs->v);
	if (doms->v == NULL || addrs->v == NULL)
		return ERR_NOMEM;
	for (i = 0; rc == 0 && i < r->count; i++) {
		struct listing_rows *to = r->rows[i].key[0] == '@' ? doms :
		    addrs;

		rc = copy_row(&r->rows[i], &to->v[to->n++]);
	}
	return rc;
}

/* defaults_differ - whether a domain of both listings has other
 * defaults for its nexthops: rows that leave their nexthop empty then
 * changed in shards that did not */
static int
defaults_differ(const struct cx *x, const struct listing_domains *ds)
{
	size_t i, j;

	for (i = 0; i < model_domain_count(x->m); i++) {
		const struct model_domain *dm = model_domain_at(x->m, i);

		for (j = 0; j <= dm->naliases; j++) {
			const char *name = j ? dm->aliases[j - 1] : dm->name;
			const struct listing_domain *o =
			    listing_domain_find(ds, name, strlen(name));

			if (o && (strcmp(o->local, dm->local ? dm->local :
			    "") != 0 || strcmp(o->relay, dm->relay ? dm->relay :
			    "") != 0))
				return 1;
		}
	}
	return 0;
}

/* second_doms - the domains file's rows as listing rows */
static int
second_doms(const struct listing_domains *ds, struct listing_rows *out)
{
	size_t i;
	int rc = 0;

	out->v = calloc(ds->n + 1, sizeof *out->v);
	if (out->v == NULL)
		return ERR_NOMEM;
	for (i = 0; rc == 0 && i < ds->n; i++)
		rc = copy_row(&ds->v[i].row, &out->v[out->n++]);
	return rc;
}

/* lrow_cmp - listing rows by key */
static int
lrow_cmp(const void *a, const void *b)
{
	return strcmp(((const struct listing_row *)a)->row.key,
	    ((const struct listing_row *)b)->row.key);
}

/* whole_second - every routes shard of a second form head, as one
 * sorted run */
static int
whole_second(struct cx *x, struct listing_rows *out)
{
	size_t s, n = listing_head_shards(x->h), i, cap = 0;
	struct listing_rows one;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	for (s = 0; rc == 0 && s < (n ? n : 1); s++) {
		rc = listing_head_shard(x->h, s, &one, x->d);
		if (rc == 0 && vec_reserve((void **)&out->v, &cap,
		    out->n + one.n, sizeof *out->v) < 0)
			rc = ERR_NOMEM;
		for (i = 0; rc == 0 && i < one.n; i++)
			out->v[out->n++] = one.v[i];
		if (rc == 0)
			one.n = 0;      /* moved */
		listing_rows_clear(&one);
	}
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, lrow_cmp);
	return rc;
}

/* every_slot - the slots 0..n-1, key order */
static int
every_slot(size_t n, uint32_t **out)
{
	size_t i;

	if ((*out = malloc((n ? n : 1) * sizeof **out)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++)
		(*out)[i] = (uint32_t)i;
	return 0;
}

/* compare - the head's listing against the new one */
static int
compare(struct cx *x, const unsigned char *differs)
{
	struct listing_rows old = { NULL, 0 }, doms = { NULL, 0 };
	struct routes first = { NULL, 0 };
	enum listing_form form = listing_head_form(x->h);
	size_t s, n, nslots = model_address_count(x->m);
	const uint32_t *slots;
	uint32_t *all = NULL;
	int rc;

	if (form == LISTING_FIRST) {
		rc = listing_head_all(x->h, 0, &first, x->d);
		rc = rc ? rc : rows_of(&first, &doms, &old);
		rc = rc ? rc : every_slot(nslots, &all);
		rc = rc ? rc : merge(x, old.v, old.n, all, nslots);
	} else if (listing_head_shards(x->h) != (listing_shards(x->l) > 1 ?
	    listing_shards(x->l) : 0) ||
	    defaults_differ(x, listing_head_domains(x->h))) {
		rc = second_doms(listing_head_domains(x->h), &doms);
		rc = rc ? rc : whole_second(x, &old);
		rc = rc ? rc : every_slot(nslots, &all);
		rc = rc ? rc : merge(x, old.v, old.n, all, nslots);
	} else {
		rc = second_doms(listing_head_domains(x->h), &doms);
		for (s = 0; rc == 0 && s < listing_shards(x->l); s++) {
			slots = listing_slots(x->l, s, &n);
			if (differs && !differs[s] && n > 0)
				continue;       /* the head's very bytes */
			rc = listing_head_shard(x->h, s, &old, x->d);
			rc = rc ? rc : merge(x, old.v, old.n, slots, n);
			listing_rows_clear(&old);
		}
	}
	rc = rc ? rc : merge_doms(x, doms.v, doms.n);
	free(all);
	listing_rows_clear(&old);
	listing_rows_clear(&doms);
	routes_clear(&first);
	return rc;
}

/* all_added - a head without a listing: every new row, the first
 * limit listed in key order (domain rows among the addresses) */
static int
all_added(struct cx *x)
{
	size_t i = 0, j = 0, n = model_address_count(x->m);
	const char *a;
	int rc = 0;

	while (rc == 0 && (i < n || j < x->ndoms)) {
		a = i < n ? model_slot_address(x->m, i) : NULL;
		if (j < x->ndoms && (a == NULL ||
		    strcmp(x->doms[j].key, a) < 0)) {
			rc = take(x, '+', x->doms[j].key, NONE, (uint32_t)j,
			    NULL);
			j++;
		} else {
			rc = take(x, '+', a, (uint32_t)i, NONE, NULL);
			i++;
		}
	}
	return rc;
}

/* found_cmp - found changes by key */
static int
found_cmp(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->key,
	    ((const struct found *)b)->key);
}

/* make_list - the kept changes as route changes, their rows owned */
static int
make_list(struct cx *x)
{
	struct changes *c = x->c;
	struct listing_row **owners = NULL;
	size_t i, n = x->nheap, nowners = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	qsort(x->heap, n, sizeof *x->heap, found_cmp);
	c->list = calloc(n, sizeof *c->list);
	c->made = calloc(n, sizeof *c->made);
	c->kept = calloc(n, sizeof *c->kept);
	owners = calloc(n, sizeof *owners);
	if (!c->list || !c->made || !c->kept || !owners) {
		free(owners);
		return ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct found *f = &x->heap[i];
		struct route_change *ch = &c->list[c->nlist++];

		ch->op = f->op;
		if (f->old) {
			c->kept[c->nkept] = *f->old;
			free(f->old);
			f->old = NULL;
			ch->old = &c->kept[c->nkept].row;
			if (*c->kept[c->nkept].ref)
				owners[nowners++] = &c->kept[c->nkept];
			c->nkept++;
		}
		if (f->slot != NONE) {
			rc = rc ? rc : new_row(x->m, f->slot,
			    &c->made[c->nmade]);
			ch->new = &c->made[c->nmade++];
		} else if (f->dom != NONE) {
			/* moved: each domain row changes once at most */
			c->made[c->nmade] = x->doms[f->dom];
			memset(&x->doms[f->dom], 0, sizeof x->doms[f->dom]);
			ch->new = &c->made[c->nmade++];
		}
	}
	/* The owners of the old rows listed, once each shard. */
	rc = rc ? rc : listing_head_fill(x->h, owners, nowners, x->d);
	free(owners);
	return rc;
}

/* changes_find - compare, count, list */
int
changes_find(struct listing_head *h, const struct listing *l,
    const unsigned char *differs, size_t limit, struct changes *c,
    struct diag *d)
{
	struct cx x;
	size_t i;
	int rc;

	changes_clear(c);
	memset(&x, 0, sizeof x);
	x.h = h;
	x.l = l;
	x.m = listing_model(l);
	x.c = c;
	x.limit = limit;
	x.d = d;
	rc = make_doms(&x);
	if (rc == 0 && listing_head_form(h) == LISTING_NONE)
		rc = all_added(&x);
	else if (rc == 0)
		rc = compare(&x, differs);
	rc = rc ? rc : make_list(&x);
	for (i = 0; i < x.nheap; i++)
		old_free(x.heap[i].old);
	free(x.heap);
	for (i = 0; i < x.ndoms; i++)
		route_row_clear(&x.doms[i]);
	free(x.doms);
	if (rc < 0)
		changes_clear(c);
	return rc;
}
