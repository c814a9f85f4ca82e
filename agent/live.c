/*
 * live - the committed routing state kept in memory, updated change by
 * change
 *
 * DESCRIPTION
 *	The state is cut the way it is committed: each table and the
 *	route listing in table_shards shards (shard.h), each shard a
 *	sorted array, so a row is found by hashing its key and a binary
 *	search, and a changed shard is known without comparing anything.
 *
 *	A batch of changes is recomputed on a small model: every domain,
 *	and the mailboxes of the affected entries. The affected addresses
 *	are the "families" of the addresses the changed entries claim
 *	before and after (local@domain in the domain and in each of its
 *	alias domains: a twin row in an alias domain depends on the
 *	address in its domain); the affected entries are the changed ones
 *	and every entry that claims an affected address (the owner in the
 *	listing, the losers of earlier conflicts), and the addresses those
 *	claim, until nothing new comes in. Conflicts then resolve exactly
 *	as in the full build, and rows of other addresses cannot change:
 *	rows depend only on their address family's claimants and domains.
 *
 *	Diagnostics are counted per place (the entry's DN as diag escapes
 *	it), so the totals stay those of the whole directory.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM, after which the live is not ready; LIVE_FULL for what
 *	is not done here.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vec.h"
#include "errors.h"
#include "groups.h"
#include "layout.h"
#include "live.h"
#include "log.h"
#include "shard.h"

#define LIVE_MAX_NOTES 4096     /* a larger batch is rebuilt in full */
#define LIVE_MAX_ENTRIES 4096   /* entries recomputed for one batch */

struct lines {                  /* one shard of a table: sorted lines */
	char **v;
	size_t n, cap;
};

struct rows {                   /* one shard of the listing, by key */
	struct route_row **v;
	size_t n, cap;
};

struct lost {                   /* a claim a conflict took away */
	char *address;
	char *id;
};

struct prob {                   /* problems reported at one place */
	char *where;
	size_t rejected, conflicts;
};

struct dnslot {                 /* the DN index: who has this DN */
	char *ndn;              /* NULL: empty */
	char *id;
};

struct pending {                /* a key changed since the commit */
	char *key;
	struct route_row *committed;    /* its row then; NULL: none */
};

struct note {
	char *id;
	struct entry *old;      /* NULL: absent before */
};

struct family {                 /* a domain and its alias domains */
	char **names;           /* names[0] the domain */
	size_t n;
};

struct strset {                 /* sorted, unique copies */
	char **v;
	size_t n, cap;
};

struct live {
	int ready;
	char head[41];
	size_t nshards;                 /* tables and listing */
	size_t nstate;                  /* mirror shards */
	const char **tables;            /* static names from render */
	size_t ntables;
	struct lines *rows;             /* ntables * nshards */
	unsigned char *rows_dirty;
	struct rows *listing;           /* nshards */
	unsigned char *listing_dirty;
	unsigned char *state_dirty;     /* nstate */
	size_t nstate_dirty;
	int tables_changed;             /* since the last commit */
	struct groups *groups;
	struct domain_spec *domains;    /* from the directory, model order */
	size_t ndomains;
	struct family *families;
	size_t nfamilies;
	struct lost *lost;              /* by address, then id */
	size_t nlost, caplost;
	struct prob *probs;             /* by where */
	size_t nprobs, capprobs;
	size_t nrejected, nconflicts;
	size_t naddresses, nmodel_domains;
	size_t naddresses_committed;
	struct dnslot *dns;             /* normalized DN -> id, built on
	                                   the first group change */
	size_t capdns, ndns;
	struct pending *pending;        /* by key */
	size_t npending, cappending;
	struct note *notes;
	size_t nnotes, capnotes;
	int overflow;
};

/* keyed_at - in a sorted array of items whose first member is their
 * char * key, the item of key, inserted zeroed with a copy of the key
 * when missing (*fresh set); NULL when memory runs out */
static void *
keyed_at(void **v, size_t *n, size_t *cap, size_t size, const char *key,
    int *fresh)
{
	char *base, *item, *copy;
	size_t lo = 0, hi = *n, mid;
	int c;

	*fresh = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(*(char **)((char *)*v + mid * size), key);
		if (c == 0)
			return (char *)*v + mid * size;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (vec_grow(v, cap, *n, size) < 0 || (copy = strdup(key)) == NULL)
		return NULL;
	base = *v;
	item = base + lo * size;
	memmove(item + size, item, (*n - lo) * size);
	memset(item, 0, size);
	*(char **)item = copy;
	(*n)++;
	*fresh = 1;
	return item;
}

/* --- small sorted sets ------------------------------------------- */

/* strset_find - index of s, or where it would go (*found set) */
static size_t
strset_find(const struct strset *set, const char *s, int *found)
{
	size_t lo = 0, hi = set->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(set->v[mid], s);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* strset_add - add a copy of s; *added (may be NULL) is the copy when
 * s was new, else NULL */
static int
strset_add(struct strset *set, const char *s, const char **added)
{
	char **slot;
	int fresh;

	slot = keyed_at((void **)&set->v, &set->n, &set->cap, sizeof *set->v,
	    s, &fresh);
	if (added)
		*added = slot && fresh ? *slot : NULL;
	return slot ? 0 : ERR_NOMEM;
}

/* strset_clear - release the copies */
static void
strset_clear(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

/* --- the state ---------------------------------------------------- */

/* row_free - one listing row */
static void
row_free(struct route_row *r)
{
	if (r == NULL)
		return;
	free(r->key);
	free(r->kind);
	free(r->nexthop);
	free(r->id);
	free(r->dn);
	free(r);
}

/* row_copy - a deep copy of r, or NULL */
static struct route_row *
row_copy(const struct route_row *r)
{
	struct route_row *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->key = strdup(r->key);
	c->kind = strdup(r->kind);
	c->nexthop = strdup(r->nexthop);
	c->id = strdup(r->id);
	c->dn = strdup(r->dn);
	if (!c->key || !c->kind || !c->nexthop || !c->id || !c->dn) {
		row_free(c);
		return NULL;
	}
	return c;
}

static void pending_clear(struct live *);
static int pending_from(struct live *, const struct route_change *,
    size_t);

/* notes_clear - forget the noted changes */
static void
notes_clear(struct live *l)
{
	size_t i;

	for (i = 0; i < l->nnotes; i++) {
		free(l->notes[i].id);
		entry_free(l->notes[i].old);
	}
	l->nnotes = 0;
	l->overflow = 0;
}

/* reset - back to an empty, unready live (notes kept apart) */
static void
reset(struct live *l)
{
	size_t i, j;

	l->ready = 0;
	for (i = 0; l->rows && i < l->ntables * l->nshards; i++) {
		for (j = 0; j < l->rows[i].n; j++)
			free(l->rows[i].v[j]);
		free(l->rows[i].v);
	}
	for (i = 0; l->listing && i < l->nshards; i++) {
		for (j = 0; j < l->listing[i].n; j++)
			row_free(l->listing[i].v[j]);
		free(l->listing[i].v);
	}
	free(l->rows);
	free(l->rows_dirty);
	free(l->listing);
	free(l->listing_dirty);
	free(l->state_dirty);
	free(l->tables);
	groups_free(l->groups);
	for (i = 0; i < l->ndomains; i++)
		domain_spec_clear(&l->domains[i]);
	free(l->domains);
	for (i = 0; i < l->nfamilies; i++) {
		for (j = 0; j < l->families[i].n; j++)
			free(l->families[i].names[j]);
		free(l->families[i].names);
	}
	free(l->families);
	for (i = 0; i < l->nlost; i++) {
		free(l->lost[i].address);
		free(l->lost[i].id);
	}
	free(l->lost);
	for (i = 0; i < l->nprobs; i++)
		free(l->probs[i].where);
	free(l->probs);
	pending_clear(l);
	free(l->pending);
	for (i = 0; i < l->capdns; i++) {
		free(l->dns[i].ndn);
		free(l->dns[i].id);
	}
	free(l->dns);
	memset(l, 0, offsetof(struct live, notes));
}

/* live_new - empty and not ready */
int
live_new(struct live **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : ERR_NOMEM;
}

/* live_free - everything */
void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	reset(l);
	notes_clear(l);
	free(l->notes);
	free(l);
}

/* live_invalidate - the next publish builds in full */
void
live_invalidate(struct live *l)
{
	if (l == NULL)
		return;
	reset(l);
	notes_clear(l);
}

/* live_ready - whether the state is that of head */
int
live_ready(const struct live *l, const char *head)
{
	return l && l->ready && strcmp(l->head, head) == 0;
}

/* live_note - remember the entry as it was before the change */
int
live_note(struct live *l, const char *id, const struct entry *old)
{
	struct note *n;
	size_t i;

	if (l == NULL || !l->ready || l->overflow)
		return 0;
	/* The first note of an id in a batch holds what was committed. */
	for (i = 0; i < l->nnotes; i++)
		if (strcmp(l->notes[i].id, id) == 0)
			return 0;
	if (l->nnotes == LIVE_MAX_NOTES) {
		l->overflow = 1;
		return 0;
	}
	if (vec_grow((void **)&l->notes, &l->capnotes, l->nnotes,
	    sizeof *l->notes) < 0)
		return ERR_NOMEM;
	n = &l->notes[l->nnotes];
	n->old = NULL;
	if ((n->id = strdup(id)) == NULL)
		return ERR_NOMEM;
	if (old && entry_dup(old, &n->old) < 0) {
		free(n->id);
		return ERR_NOMEM;
	}
	l->nnotes++;
	return 0;
}

/* --- lookups ----------------------------------------------------- */

/* key_len - the key of a table line: up to the first space */
static size_t
key_len(const char *line)
{
	return strcspn(line, " ");
}

/* lines_range - [*lo, *hi) the lines of key in a sorted shard */
static void
lines_range(const struct lines *s, const char *key, size_t *lo,
    size_t *hi)
{
	size_t a = 0, b = s->n, mid, klen = strlen(key), k;
	int c;

	/* Lines sort as their keys (no key byte is below '!'). */
	while (a < b) {
		mid = a + (b - a) / 2;
		k = key_len(s->v[mid]);
		c = strncmp(s->v[mid], key, k < klen ? k : klen);
		if (c == 0)
			c = (k > klen) - (k < klen);
		if (c < 0)
			a = mid + 1;
		else
			b = mid;
	}
	*lo = a;
	for (b = a; b < s->n && key_len(s->v[b]) == klen &&
	    strncmp(s->v[b], key, klen) == 0; b++)
		;
	*hi = b;
}

/* listing_find - the row of key in its shard; *at: where it is or
 * would go */
static struct route_row *
listing_find(const struct live *l, const char *key, size_t *shard,
    size_t *at)
{
	const struct rows *s;
	size_t lo = 0, hi, mid;
	int c;

	*shard = shard_of(key, strlen(key), l->nshards);
	s = &l->listing[*shard];
	hi = s->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(s->v[mid]->key, key);
		if (c == 0) {
			*at = mid;
			return s->v[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

/* owner_of - a model_owner_fn over the live listing */
static const char *
owner_of(const char *address, void *ctx)
{
	const struct route_row *r;
	size_t shard, at;

	r = listing_find(ctx, address, &shard, &at);
	if (r == NULL)
		return NULL;
	return *r->id ? r->id : r->dn;
}

/* lost_lower - first lost claim of address, by binary search */
static size_t
lost_lower(const struct live *l, const char *address)
{
	size_t lo = 0, hi = l->nlost, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(l->lost[mid].address, address) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* lost_cmp - by address, then id */
static int
lost_cmp(const void *a, const void *b)
{
	const struct lost *x = a, *y = b;
	int c = strcmp(x->address, y->address);

	return c ? c : strcmp(x->id, y->id);
}

/* family_of - the family of domain, or NULL */
static const struct family *
family_of(const struct live *l, const char *domain)
{
	size_t i, j;

	for (i = 0; i < l->nfamilies; i++)
		for (j = 0; j < l->families[i].n; j++)
			if (strcmp(l->families[i].names[j], domain) == 0)
				return &l->families[i];
	return NULL;
}

/* --- the DN index: group members are named by DN ---------------- */

/* dn_slot - the slot of ndn, or the empty one where it would go */
static struct dnslot *
dn_slot(const struct live *l, const char *ndn)
{
	size_t i = shard_hash(ndn, strlen(ndn)) & (l->capdns - 1);

	while (l->dns[i].ndn && strcmp(l->dns[i].ndn, ndn) != 0)
		i = (i + 1) & (l->capdns - 1);
	return &l->dns[i];
}

/* dn_put - ndn now belongs to id (taken over: both freed on failure) */
static int
dn_put(struct live *l, char *ndn, char *id)
{
	struct dnslot *s, *old;
	size_t i, cap;

	if ((l->ndns + 1) * 10 > l->capdns * 7) {
		cap = l->capdns ? l->capdns * 2 : 1024;
		old = l->dns;
		l->dns = calloc(cap, sizeof *l->dns);
		if (l->dns == NULL) {
			l->dns = old;
			free(ndn);
			free(id);
			return ERR_NOMEM;
		}
		i = l->capdns;
		l->capdns = cap;
		while (i-- > 0)
			if (old[i].ndn)
				*dn_slot(l, old[i].ndn) = old[i];
		free(old);
	}
	s = dn_slot(l, ndn);
	if (s->ndn) {
		free(s->ndn);
		free(s->id);
	} else {
		l->ndns++;
	}
	s->ndn = ndn;
	s->id = id;
	return 0;
}

/* dn_note - index the DN of one entry */
static int
dn_note(const char *id, const struct entry *e, void *ctx)
{
	char *ndn = NULL, *idc;
	int rc = entry_dn_normalize(e->dn, &ndn);

	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0) {
		free(ndn);
		return 0;       /* no group can name it */
	}
	if ((idc = strdup(id)) == NULL) {
		free(ndn);
		return ERR_NOMEM;
	}
	return dn_put(ctx, ndn, idc);
}

/* dn_index - the index, built once */
static int
dn_index(struct live *l, const struct mirror *mir)
{
	if (l->dns)
		return 0;
	return mirror_each_id(mir, dn_note, l);
}

/* dn_owner - the id that has ndn now, or NULL */
static const char *
dn_owner(const struct live *l, const struct mirror *mir, const char *ndn)
{
	const struct dnslot *s;
	const struct entry *e;
	char *now = NULL;
	int same;

	if (l->capdns == 0)
		return NULL;
	s = dn_slot(l, ndn);
	if (s->ndn == NULL || (e = mirror_get(mir, s->id)) == NULL)
		return NULL;
	/* Renamed since: the index keeps the old name too. */
	if (entry_dn_normalize(e->dn, &now) < 0) {
		free(now);
		return NULL;
	}
	same = strcmp(now, ndn) == 0;
	free(now);
	return same ? s->id : NULL;
}

/* --- capture ----------------------------------------------------- */

/* lost_push - append a copy of one lost claim (sorted later) */
static int
lost_push(struct lost **v, size_t *n, size_t *cap, const char *address,
    const char *id)
{
	struct lost *p;

	if (vec_grow((void **)v, cap, *n, sizeof **v) < 0)
		return ERR_NOMEM;
	p = &(*v)[*n];
	p->address = strdup(address);
	p->id = strdup(id);
	if (p->address == NULL || p->id == NULL) {
		free(p->address);
		free(p->id);
		return ERR_NOMEM;
	}
	(*n)++;
	return 0;
}

/* add_lost - one lost claim of the full build */
static int
add_lost(const char *address, const char *id, void *ctx)
{
	struct live *l = ctx;

	return lost_push(&l->lost, &l->nlost, &l->caplost, address, id);
}

/* prob_at - the counters of where, created when missing (NULL: no
 * memory) */
static struct prob *
prob_at(struct live *l, const char *where)
{
	int fresh;

	return keyed_at((void **)&l->probs, &l->nprobs, &l->capprobs,
	    sizeof *l->probs, where, &fresh);
}

/* count_problems - items [from, d->count) of d into the counters */
static int
count_problems(struct live *l, const struct diag *d, size_t from)
{
	struct prob *p;
	size_t i;

	for (i = from; i < d->count; i++) {
		const struct diag_item *it = &d->items[i];

		if (it->kind != DIAG_REJECTED && it->kind != DIAG_CONFLICT)
			continue;
		if ((p = prob_at(l, it->where)) == NULL)
			return ERR_NOMEM;
		if (it->kind == DIAG_REJECTED) {
			p->rejected += it->count;
			l->nrejected += it->count;
		} else {
			p->conflicts += it->count;
			l->nconflicts += it->count;
		}
	}
	return 0;
}

/* capture_tables - every line of every table into its shard */
static int
capture_tables(struct live *l, const struct tables *t)
{
	const char *p, *end, *nl;
	struct lines *s;
	size_t i;

	l->ntables = t->count;
	l->tables = calloc(t->count ? t->count : 1, sizeof *l->tables);
	l->rows = calloc(t->count * l->nshards + 1, sizeof *l->rows);
	l->rows_dirty = calloc(t->count * l->nshards + 1, 1);
	if (l->tables == NULL || l->rows == NULL || l->rows_dirty == NULL)
		return ERR_NOMEM;
	for (i = 0; i < t->count; i++) {
		l->tables[i] = t->items[i].name;
		p = t->items[i].text.data;
		end = p + t->items[i].text.len;
		for (; p && p < end; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			s = &l->rows[i * l->nshards + shard_of(p,
			    strcspn(p, " \n"), l->nshards)];
			if (vec_grow((void **)&s->v, &s->cap, s->n,
			    sizeof *s->v) < 0 ||
			    (s->v[s->n] = strndup(p, (size_t)(nl - p))) == NULL)
				return ERR_NOMEM;
			s->n++;
		}
	}
	return 0;
}

/* capture_listing - every row into its shard */
static int
capture_listing(struct live *l, const struct routes *next)
{
	struct rows *s;
	size_t i;

	l->listing = calloc(l->nshards, sizeof *l->listing);
	l->listing_dirty = calloc(l->nshards, 1);
	if (l->listing == NULL || l->listing_dirty == NULL)
		return ERR_NOMEM;
	for (i = 0; i < next->count; i++) {
		const struct route_row *r = &next->rows[i];

		s = &l->listing[shard_of(r->key, strlen(r->key), l->nshards)];
		if (vec_grow((void **)&s->v, &s->cap, s->n,
		    sizeof *s->v) < 0 || (s->v[s->n] = row_copy(r)) == NULL)
			return ERR_NOMEM;
		s->n++;
		if (r->key[0] != '@')
			l->naddresses++;
	}
	return 0;
}

/* capture_families - each domain with its alias domains */
static int
capture_families(struct live *l, const struct model *m)
{
	size_t i, j;

	l->nmodel_domains = model_domain_count(m);
	l->families = calloc(l->nmodel_domains + 1, sizeof *l->families);
	if (l->families == NULL)
		return ERR_NOMEM;
	for (i = 0; i < l->nmodel_domains; i++) {
		const struct model_domain *dm = model_domain_at(m, i);
		struct family *f = &l->families[l->nfamilies++];

		f->names = calloc(dm->naliases + 1, sizeof *f->names);
		if (f->names == NULL)
			return ERR_NOMEM;
		if ((f->names[f->n++] = strdup(dm->name)) == NULL)
			return ERR_NOMEM;
		for (j = 0; j < dm->naliases; j++)
			if ((f->names[f->n++] = strdup(dm->aliases[j])) == NULL)
				return ERR_NOMEM;
	}
	return 0;
}

/* live_serves - the one case the live path is made for: one change,
 * one small commit of the shards it touches, state included */
int
live_serves(const struct config *cfg, int state)
{
	return state && cfg->table_shards > 0 &&
	    cfg->rollout == CONFIG_ROLLOUT_DIRECT;
}

/* live_capture - the state of a full build */
int
live_capture(struct live *l, const struct config *cfg,
    const struct live_build *b, const char *head, int committed)
{
	int rc;

	reset(l);
	notes_clear(l);
	if (!live_serves(cfg, 1))
		return 0;
	l->nshards = (size_t)cfg->table_shards;
	l->nstate = layout_state_shards(cfg->table_shards);
	l->groups = b->scan->groups;
	l->domains = b->scan->domains;
	l->ndomains = b->scan->ndomains;
	memset(b->scan, 0, sizeof *b->scan);
	l->state_dirty = calloc(l->nstate, 1);
	rc = l->state_dirty ? 0 : ERR_NOMEM;
	rc = rc ? rc : capture_tables(l, b->tables);
	rc = rc ? rc : capture_listing(l, b->listing);
	rc = rc ? rc : capture_families(l, b->model);
	rc = rc ? rc : model_each_lost(b->model, add_lost, l);
	if (rc == 0 && l->nlost)
		qsort(l->lost, l->nlost, sizeof *l->lost, lost_cmp);
	rc = rc ? rc : count_problems(l, b->problems, 0);
	if (rc < 0) {
		reset(l);
		return rc;
	}
	l->naddresses_committed = l->naddresses;
	if (!committed) {
		/* The head holds the tables, not this listing and state. */
		memset(l->listing_dirty, 1, l->nshards);
		memset(l->state_dirty, 1, l->nstate);
		l->nstate_dirty = l->nstate;
		rc = pending_from(l, b->changes, b->nchanges);
		if (rc < 0) {
			reset(l);
			return rc;
		}
	}
	/* What diag counted itself is the truth for the totals. */
	l->nrejected = b->problems->nrejected;
	l->nconflicts = b->problems->nconflicts;
	snprintf(l->head, sizeof l->head, "%s", head);
	l->ready = 1;
	return 0;
}

/* --- a batch ----------------------------------------------------- */

struct batch {
	struct live *l;
	const struct config *cfg;
	const struct mapping *map;
	const struct mirror *mir;
	struct strset keys;             /* affected address families */
	struct strset ids;              /* entries recomputed */
	struct strset places;           /* their DNs, escaped as diag does */
	const char **keys_todo, **ids_todo;
	size_t nkeys_todo, capkeys_todo, nids_todo, capids_todo;
	struct mailbox_spec *specs;
	size_t nspecs, capspecs;
	struct diag *problems;
	struct diag quiet;
	int full;                       /* found what needs a full build */
};

/* add_key - an affected key, queued when new */
static int
add_key(struct batch *b, const char *key)
{
	const char *added;
	int rc = strset_add(&b->keys, key, &added);

	if (rc < 0 || added == NULL)
		return rc;
	if (vec_grow((void **)&b->keys_todo, &b->capkeys_todo,
	    b->nkeys_todo, sizeof *b->keys_todo) < 0)
		return ERR_NOMEM;
	b->keys_todo[b->nkeys_todo++] = added;
	return 0;
}

/* add_id - an affected entry, queued when new */
static int
add_id(struct batch *b, const char *id)
{
	const char *added;
	int rc = strset_add(&b->ids, id, &added);

	if (rc < 0 || added == NULL)
		return rc;
	if (b->ids.n > LIVE_MAX_ENTRIES)
		return LIVE_FULL;
	if (vec_grow((void **)&b->ids_todo, &b->capids_todo, b->nids_todo,
	    sizeof *b->ids_todo) < 0)
		return ERR_NOMEM;
	b->ids_todo[b->nids_todo++] = added;
	return 0;
}

/* add_place - a DN whose problems are counted again */
static int
add_place(struct batch *b, const char *dn)
{
	struct buf esc = BUF_INIT;
	int rc = log_escape(&esc, dn);

	rc = rc ? rc : buf_grow(&esc, 0);
	rc = rc ? rc : strset_add(&b->places, esc.data, NULL);
	buf_free(&esc);
	return rc;
}

/* add_family - every key of address's family */
static int
add_family(struct batch *b, const char *address)
{
	const char *at = strchr(address, '@');
	const struct family *f = at ? family_of(b->l, at + 1) : NULL;
	struct buf key = BUF_INIT;
	size_t i;
	int rc = 0;

	if (f == NULL)
		return add_key(b, address);
	for (i = 0; rc == 0 && i < f->n; i++) {
		buf_reset(&key);
		rc = buf_append(&key, address, (size_t)(at - address) + 1);
		rc = rc ? rc : buf_puts(&key, f->names[i]);
		rc = rc ? rc : add_key(b, key.data);
	}
	buf_free(&key);
	return rc;
}

/* old_addresses - the families an entry claimed before the change */
static int
old_addresses(struct batch *b, const struct entry *old)
{
	struct mailbox_spec spec;
	size_t i;
	int rc;

	rc = add_place(b, old->dn);
	if (rc < 0 || !(mapping_classify(b->map, old) & MAPPING_MAILBOX))
		return rc;
	memset(&spec, 0, sizeof spec);
	rc = mapping_mailbox_from_entry(b->map, old, b->l->groups, &spec,
	    &b->quiet);
	for (i = 0; rc == 0 && i < spec.naddresses; i++)
		rc = add_family(b, spec.addresses[i]);
	mailbox_spec_clear(&spec);
	return rc == ERR_DATA ? 0 : rc;
}

/* map_entry - the current mailbox of an affected entry, kept for the
 * model; its addresses join the affected keys */
static int
map_entry(struct batch *b, const char *id)
{
	const struct entry *e = mirror_get(b->mir, id);
	struct mailbox_spec *spec;
	size_t i;
	int rc;

	if (e == NULL)
		return 0;
	rc = add_place(b, e->dn);
	if (rc < 0 || !(mapping_classify(b->map, e) & MAPPING_MAILBOX))
		return rc;
	if (vec_grow((void **)&b->specs, &b->capspecs, b->nspecs,
	    sizeof *b->specs) < 0)
		return ERR_NOMEM;
	spec = &b->specs[b->nspecs];
	memset(spec, 0, sizeof *spec);
	rc = mapping_mailbox_from_entry(b->map, e, b->l->groups, spec,
	    b->problems);
	if (rc < 0) {
		mailbox_spec_clear(spec);
		return rc == ERR_DATA ? 0 : rc;
	}
	b->nspecs++;
	for (i = 0; rc == 0 && i < spec->naddresses; i++)
		rc = add_family(b, spec->addresses[i]);
	return rc;
}

/* claimants - the entries that claim key: its owner and the losers */
static int
claimants(struct batch *b, const char *key)
{
	const struct route_row *r;
	size_t shard, at, i;
	int rc = 0;

	r = listing_find(b->l, key, &shard, &at);
	if (r)
		rc = add_id(b, *r->id ? r->id : r->dn);
	for (i = lost_lower(b->l, key); rc == 0 && i < b->l->nlost &&
	    strcmp(b->l->lost[i].address, key) == 0; i++)
		rc = add_id(b, b->l->lost[i].id);
	return rc;
}

/* group_member - a member DN a group change adds or removes */
static int
group_member(const char *ndn, void *ctx)
{
	struct batch *b = ctx;
	const char *id;

	/* A nested group brings all of its members: built in full. */
	if (groups_known(b->l->groups, ndn)) {
		b->full = 1;
		return 0;
	}
	id = dn_owner(b->l, b->mir, ndn);
	return id ? add_id(b, id) : 0;
}

/* group_change - the members whose membership a group change moves;
 * the groups learn the new version. Only member and uniqueMember
 * changes of a group that stays a group are done here. */
static int
group_change(struct batch *b, const struct entry *old,
    const struct entry *now)
{
	int rc;

	if (old == NULL || now == NULL ||
	    (mapping_classify(b->map, old) & MAPPING_MAILBOX) ||
	    (mapping_classify(b->map, now) & MAPPING_MAILBOX) ||
	    !(mapping_classify(b->map, now) & MAPPING_GROUP))
		return LIVE_FULL;
	rc = dn_index(b->l, b->mir);
	rc = rc ? rc : groups_member_change(old, now, group_member, b);
	if (rc != 0 || b->full)
		return rc ? rc : LIVE_FULL;
	return groups_add(b->l->groups, now);
}

/* closure - affected keys and entries until nothing new comes in */
static int
closure(struct batch *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < b->l->nnotes; i++) {
		const struct note *n = &b->l->notes[i];
		unsigned cls = 0;
		const struct entry *now = mirror_get(b->mir, n->id);

		if (n->old)
			cls |= mapping_classify(b->map, n->old);
		if (now)
			cls |= mapping_classify(b->map, now);
		/* A domain reaches any number of entries. */
		if (cls & MAPPING_DOMAIN)
			return LIVE_FULL;
		if (cls & MAPPING_GROUP) {
			rc = group_change(b, n->old, now);
			continue;
		}
		rc = n->old ? old_addresses(b, n->old) : 0;
		rc = rc ? rc : add_id(b, n->id);
	}
	while (rc == 0 && (b->nids_todo || b->nkeys_todo)) {
		if (b->nids_todo)
			rc = map_entry(b, b->ids_todo[--b->nids_todo]);
		else
			rc = claimants(b, b->keys_todo[--b->nkeys_todo]);
	}
	return rc;
}

/* small_model - every domain and the affected mailboxes */
static int
small_model(struct batch *b, struct model **out)
{
	struct model *m = NULL;
	size_t i;
	int rc;

	rc = model_new(&m, (const char *const *)b->cfg->transports,
	    b->cfg->ntransports);
	if (rc == 0)
		model_set_max_addresses(m, (size_t)b->cfg->max_addresses);
	for (i = 0; rc == 0 && i < mapping_domain_count(b->map); i++) {
		rc = model_add_domain(m, mapping_domain_at(b->map, i),
		    &b->quiet);
		rc = rc == ERR_DATA ? 0 : rc;
	}
	for (i = 0; rc == 0 && i < b->l->ndomains; i++) {
		rc = model_add_domain(m, &b->l->domains[i], &b->quiet);
		rc = rc == ERR_DATA ? 0 : rc;
	}
	for (i = 0; rc == 0 && i < b->nspecs; i++)
		rc = model_add_mailbox(m, &b->specs[i], b->problems);
	rc = rc ? rc : model_finish(m, owner_of, b->l, b->problems);
	if (rc < 0) {
		model_free(m);
		m = NULL;
	}
	*out = m;
	return rc;
}

/* in_keys - whether the line's key is affected */
static int
in_keys(const struct batch *b, const char *p, size_t klen)
{
	size_t lo = 0, hi = b->keys.n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(b->keys.v[mid], p, klen);
		if (c == 0)
			c = b->keys.v[mid][klen] != '\0';
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* affected_lines - the lines of text whose key is affected, sorted */
static int
affected_lines(const struct batch *b, const struct buf *text,
    struct lines *out)
{
	const char *p = text->data, *end = p + text->len, *nl;

	for (; p && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (!in_keys(b, p, strcspn(p, " \n")))
			continue;
		if (vec_grow((void **)&out->v, &out->cap, out->n,
		    sizeof *out->v) < 0 ||
		    (out->v[out->n] = strndup(p, (size_t)(nl - p))) == NULL)
			return ERR_NOMEM;
		out->n++;
	}
	return 0;
}

/* replace_lines - the lines of key in shard s become new[lo..hi) */
static int
replace_lines(struct lines *s, const char *key, char **nv, size_t nlo,
    size_t nhi, int *changed)
{
	size_t lo, hi, i, nold, nnew = nhi - nlo;
	char *copies[64];

	lines_range(s, key, &lo, &hi);
	nold = hi - lo;
	*changed = nold != nnew;
	for (i = 0; !*changed && i < nnew; i++)
		*changed = strcmp(s->v[lo + i], nv[nlo + i]) != 0;
	if (!*changed)
		return 0;
	if (nnew > sizeof copies / sizeof *copies)
		return ERR_INVAL;       /* no address has that many rows */
	if (nnew > nold) {
		while (s->cap < s->n + nnew - nold)
			if (vec_grow((void **)&s->v, &s->cap, s->cap,
			    sizeof *s->v) < 0)
				return ERR_NOMEM;
	}
	for (i = 0; i < nnew; i++) {
		if ((copies[i] = strdup(nv[nlo + i])) == NULL) {
			while (i > 0)
				free(copies[--i]);
			return ERR_NOMEM;
		}
	}
	for (i = lo; i < hi; i++)
		free(s->v[i]);
	memmove(&s->v[lo + nnew], &s->v[hi], (s->n - hi) * sizeof *s->v);
	memcpy(&s->v[lo], copies, nnew * sizeof *copies);
	s->n = s->n - nold + nnew;
	return 0;
}

/* apply_tables - the affected rows of each table */
static int
apply_tables(struct batch *b, const struct tables *t, int *changed_any)
{
	struct live *l = b->l;
	struct lines fresh = { NULL, 0, 0 };
	size_t ti, k, lo, hi, shard;
	int rc = 0, changed;

	for (ti = 0; rc == 0 && ti < t->count && ti < l->ntables; ti++) {
		if (strcmp(t->items[ti].name, l->tables[ti]) != 0)
			return ERR_INVAL;       /* layouts differ: a bug */
		rc = affected_lines(b, &t->items[ti].text, &fresh);
		for (k = 0; rc == 0 && k < b->keys.n; k++) {
			const char *key = b->keys.v[k];
			struct lines tmp = fresh;

			/* the key's lines among the fresh ones */
			lines_range(&tmp, key, &lo, &hi);
			shard = shard_of(key, strlen(key), l->nshards);
			rc = replace_lines(&l->rows[ti * l->nshards + shard],
			    key, fresh.v, lo, hi, &changed);
			if (rc == 0 && changed) {
				l->rows_dirty[ti * l->nshards + shard] = 1;
				*changed_any = 1;
			}
		}
		for (k = 0; k < fresh.n; k++)
			free(fresh.v[k]);
		fresh.n = 0;
	}
	free(fresh.v);
	return rc;
}

/* pending_at - the pending entry of key, created when missing (NULL:
 * no memory; *fresh when new) */
static struct pending *
pending_at(struct live *l, const char *key, int *fresh)
{
	return keyed_at((void **)&l->pending, &l->npending, &l->cappending,
	    sizeof *l->pending, key, fresh);
}

/* retire - old leaves the listing: kept as the committed row of its
 * key when it is the first change since the commit, else freed */
static int
retire(struct live *l, const char *key, struct route_row *old)
{
	struct pending *p;
	int fresh;

	if ((p = pending_at(l, key, &fresh)) == NULL) {
		row_free(old);
		return ERR_NOMEM;
	}
	if (fresh)
		p->committed = old;
	else
		row_free(old);
	return 0;
}

/* apply_listing - the affected rows of the listing */
static int
apply_listing(struct batch *b, const struct routes *next)
{
	struct live *l = b->l;
	size_t k, shard, at;
	int rc = 0;

	for (k = 0; rc == 0 && k < b->keys.n; k++) {
		const char *key = b->keys.v[k];
		struct route_row *old = listing_find(l, key, &shard, &at);
		const struct route_row *nr = routes_find(next, key);
		struct rows *s = &l->listing[shard];
		struct route_row *copy;

		if (old == NULL && nr == NULL)
			continue;
		if (old && nr && routes_row_same(old, nr) &&
		    strcmp(old->dn, nr->dn) == 0)
			continue;
		l->listing_dirty[shard] = 1;
		if (nr == NULL) {
			memmove(&s->v[at], &s->v[at + 1],
			    (s->n - at - 1) * sizeof *s->v);
			s->n--;
			if (key[0] != '@')
				l->naddresses--;
			rc = retire(l, key, old);
			continue;
		}
		if ((copy = row_copy(nr)) == NULL)
			return ERR_NOMEM;
		if (old) {
			s->v[at] = copy;
			rc = retire(l, key, old);
			continue;
		}
		if (vec_grow((void **)&s->v, &s->cap, s->n,
		    sizeof *s->v) < 0) {
			row_free(copy);
			return ERR_NOMEM;
		}
		memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof *s->v);
		s->v[at] = copy;
		s->n++;
		if (key[0] != '@')
			l->naddresses++;
		rc = retire(l, key, NULL);
	}
	return rc;
}

/* pending_from - the changes of a build that was not committed; the
 * routed count of the commit follows from them */
static int
pending_from(struct live *l, const struct route_change *ch, size_t n)
{
	struct pending *p;
	size_t i;
	int fresh;

	for (i = 0; i < n; i++) {
		const struct route_row *any = ch[i].old ? ch[i].old : ch[i].new;

		if ((p = pending_at(l, any->key, &fresh)) == NULL)
			return ERR_NOMEM;
		if (ch[i].old && (p->committed = row_copy(ch[i].old)) == NULL)
			return ERR_NOMEM;
		if (any->key[0] == '@')
			continue;
		if (ch[i].op == '+')
			l->naddresses_committed--;
		else if (ch[i].op == '-')
			l->naddresses_committed++;
	}
	return 0;
}

/* pending_changes - every key whose route differs from the commit */
static int
pending_changes(struct live *l, struct live_update *up)
{
	size_t i, shard, at, cap = 0;

	for (i = 0; i < l->npending; i++) {
		const struct pending *p = &l->pending[i];
		const struct route_row *now = listing_find(l, p->key, &shard,
		    &at);
		struct route_change c = { 0, p->committed, now };

		if (p->committed == NULL && now == NULL)
			continue;
		if (p->committed && now && routes_row_same(p->committed, now))
			continue;
		c.op = p->committed == NULL ? '+' : now == NULL ? '-' : '~';
		if (vec_grow((void **)&up->changes, &cap, up->nchanges,
		    sizeof *up->changes) < 0)
			return ERR_NOMEM;
		up->changes[up->nchanges++] = c;
	}
	return 0;
}

/* pending_clear - a commit: nothing is pending */
static void
pending_clear(struct live *l)
{
	size_t i;

	for (i = 0; i < l->npending; i++) {
		free(l->pending[i].key);
		row_free(l->pending[i].committed);
	}
	l->npending = 0;
}

struct lost_ctx {
	struct batch *b;
	struct lost *v;
	size_t n, cap;
};

/* collect_lost - a lost claim of the small model, when affected */
static int
collect_lost(const char *address, const char *id, void *ctx)
{
	struct lost_ctx *c = ctx;

	if (!in_keys(c->b, address, strlen(address)))
		return 0;
	return lost_push(&c->v, &c->n, &c->cap, address, id);
}

/* apply_lost - the lost claims of the affected keys */
static int
apply_lost(struct batch *b, const struct model *m)
{
	struct live *l = b->l;
	struct lost_ctx c = { b, NULL, 0, 0 };
	size_t i, n = 0;
	int rc;

	rc = model_each_lost(m, collect_lost, &c);
	for (i = 0; rc == 0 && i < l->nlost; i++) {
		const char *a = l->lost[i].address;

		if (in_keys(b, a, strlen(a))) {
			free(l->lost[i].address);
			free(l->lost[i].id);
			continue;
		}
		l->lost[n++] = l->lost[i];
	}
	if (rc == 0)
		l->nlost = n;
	for (i = 0; rc == 0 && i < c.n; i++) {
		if (vec_grow((void **)&l->lost, &l->caplost, l->nlost,
		    sizeof *l->lost) < 0) {
			rc = ERR_NOMEM;
			break;
		}
		l->lost[l->nlost++] = c.v[i];
		c.v[i].address = c.v[i].id = NULL;
	}
	for (i = 0; i < c.n; i++) {
		free(c.v[i].address);
		free(c.v[i].id);
	}
	free(c.v);
	if (rc == 0 && l->nlost)
		qsort(l->lost, l->nlost, sizeof *l->lost, lost_cmp);
	return rc;
}

/* apply_problems - the places recomputed are counted again */
static int
apply_problems(struct batch *b, size_t from)
{
	struct live *l = b->l;
	size_t i, n = 0;

	for (i = 0; i < l->nprobs; i++) {
		int found;

		strset_find(&b->places, l->probs[i].where, &found);
		if (found) {
			l->nrejected -= l->probs[i].rejected;
			l->nconflicts -= l->probs[i].conflicts;
			free(l->probs[i].where);
			continue;
		}
		l->probs[n++] = l->probs[i];
	}
	l->nprobs = n;
	return count_problems(l, b->problems, from);
}

/* batch_free - release a batch */
static void
batch_free(struct batch *b)
{
	size_t i;

	strset_clear(&b->keys);
	strset_clear(&b->ids);
	strset_clear(&b->places);
	free(b->keys_todo);
	free(b->ids_todo);
	for (i = 0; i < b->nspecs; i++)
		mailbox_spec_clear(&b->specs[i]);
	free(b->specs);
	diag_free(&b->quiet);
}

/* live_update_clear - release an update */
void
live_update_clear(struct live_update *up)
{
	free(up->changes);
	memset(up, 0, sizeof *up);
}

/* live_apply - the noted changes, recomputed on a small model */
int
live_apply(struct live *l, const struct config *cfg,
    const struct mapping *map, const struct mirror *mir,
    struct live_update *up, struct diag *problems)
{
	struct batch b;
	struct model *m = NULL;
	struct tables t = { NULL, 0 };
	struct routes next = { NULL, 0 };
	size_t i, from = problems->count;
	int rc, changed = 0;

	memset(up, 0, sizeof *up);
	if (!l->ready || l->overflow) {
		notes_clear(l);
		return LIVE_FULL;
	}
	memset(&b, 0, sizeof b);
	b.l = l;
	b.cfg = cfg;
	b.map = map;
	b.mir = mir;
	b.problems = problems;
	diag_init(&b.quiet, NULL);
	rc = closure(&b);
	if (rc != 0)
		goto cleanup;   /* nothing changed yet */
	rc = small_model(&b, &m);
	rc = rc ? rc : render_tables(config_layout_name(cfg->layout), m, &t);
	rc = rc ? rc : routes_from_model(m, &next);
	if (rc < 0)
		goto cleanup;
	/* From here the state changes: a failure makes it unready. */
	rc = apply_tables(&b, &t, &changed);
	rc = rc ? rc : apply_listing(&b, &next);
	rc = rc ? rc : apply_lost(&b, m);
	rc = rc ? rc : apply_problems(&b, from);
	/* what problems holds is all there is at the places recomputed */
	for (i = 0; rc == 0 && i < b.places.n; i++)
		rc = diag_cover(problems, b.places.v[i]);
	for (i = 0; rc == 0 && l->dns && i < l->nnotes; i++) {
		const struct entry *e = mirror_get(mir, l->notes[i].id);

		rc = e ? dn_note(l->notes[i].id, e, l) : 0;
	}
	for (i = 0; rc == 0 && i < l->nnotes; i++) {
		size_t s = mirror_shard_of(l->notes[i].id, l->nstate);

		if (!l->state_dirty[s])
			l->nstate_dirty++;
		l->state_dirty[s] = 1;
	}
	if (rc < 0) {
		live_update_clear(up);
		reset(l);
		goto cleanup;
	}
	if (changed)
		l->tables_changed = 1;
	if (pending_changes(l, up) < 0) {
		live_update_clear(up);
		reset(l);
		rc = ERR_NOMEM;
		goto cleanup;
	}
	up->naddresses_before = l->naddresses_committed;
	up->tables_changed = l->tables_changed;
	up->naddresses = l->naddresses;
	up->ndomains = l->nmodel_domains;
	problems->nrejected = l->nrejected;
	problems->nconflicts = l->nconflicts;
cleanup:
	if (rc == LIVE_FULL)
		live_update_clear(up);
	notes_clear(l);
	routes_clear(&next);
	render_tables_free(&t);
	model_free(m);
	batch_free(&b);
	return rc;
}

/* --- committing ---------------------------------------------------- */

/* listing_text - one listing shard as routes_format writes it */
static int
listing_text(const struct rows *s, struct buf *out)
{
	struct routes r;
	size_t i;
	int rc;

	r.count = s->n;
	r.rows = malloc((s->n ? s->n : 1) * sizeof *r.rows);
	if (r.rows == NULL)
		return ERR_NOMEM;
	for (i = 0; i < s->n; i++)
		r.rows[i] = *s->v[i];
	rc = routes_format(&r, out);
	free(r.rows);           /* the rows themselves are borrowed */
	return rc;
}

/* state_files - the changed mirror shards; many at once in one pass */
static int
state_files(struct live *l, const struct mirror *mir,
    struct layout_files *f)
{
	struct buf *all = NULL, text = BUF_INIT;
	size_t i;
	int rc = 0;

	if (l->nstate_dirty > 8 && (rc = mirror_shards(mir, l->nstate,
	    &all)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < l->nstate; i++) {
		if (!l->state_dirty[i])
			continue;
		if (all) {
			text = all[i];
			buf_init(&all[i]);
		} else {
			rc = mirror_shard_text(mir, i, l->nstate, &text);
		}
		rc = rc ? rc : layout_files_take(f, LAYOUT_PART_STATE, NULL, i,
		    l->nstate, &text);
		buf_free(&text);
	}
	for (i = 0; all && i < l->nstate; i++)
		buf_free(&all[i]);
	free(all);
	return rc;
}

/* live_files - every shard changed since the last commit */
int
live_files(struct live *l, const struct mirror *mir,
    struct layout_files *f)
{
	struct buf text = BUF_INIT;
	size_t ti, s, i;
	int rc = 0;

	for (ti = 0; rc == 0 && ti < l->ntables; ti++) {
		for (s = 0; rc == 0 && s < l->nshards; s++) {
			const struct lines *sh = &l->rows[ti * l->nshards + s];

			if (!l->rows_dirty[ti * l->nshards + s])
				continue;
			for (i = 0; rc == 0 && i < sh->n; i++) {
				rc = buf_puts(&text, sh->v[i]);
				rc = rc ? rc : buf_putc(&text, '\n');
			}
			rc = rc ? rc : layout_files_take(f, LAYOUT_PART_TABLE,
			    l->tables[ti], s, l->nshards, &text);
			buf_free(&text);
		}
	}
	for (s = 0; rc == 0 && s < l->nshards; s++) {
		if (!l->listing_dirty[s])
			continue;
		rc = listing_text(&l->listing[s], &text);
		rc = rc ? rc : layout_files_take(f, LAYOUT_PART_LISTING, NULL,
		    s, l->nshards, &text);
		buf_free(&text);
	}
	return rc ? rc : state_files(l, mir, f);
}

/* live_committed - the files are in head now */
void
live_committed(struct live *l, const char *head)
{
	memset(l->rows_dirty, 0, l->ntables * l->nshards);
	memset(l->listing_dirty, 0, l->nshards);
	memset(l->state_dirty, 0, l->nstate);
	l->nstate_dirty = 0;
	l->tables_changed = 0;
	l->naddresses_committed = l->naddresses;
	pending_clear(l);
	snprintf(l->head, sizeof l->head, "%s", head);
}
