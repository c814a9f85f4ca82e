/*
 * live - the committed routing state kept in memory, updated change by
 * change
 *
 * DESCRIPTION
 *	The state is cut the way it is committed: each table and the
 *	route listing in table_shards shards (shard.h), each shard a
 *	sorted array, so a row is found by hashing its key and a binary
 *	search, and a changed shard is known without comparing anything.
 *	This file keeps the state: taken from a full build, noted changes,
 *	the shards the next commit writes; live_batch.c applies a batch.
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
#include "live_state.h"
#include "shard.h"

/* live_keyed_at - in a sorted array of items whose first member is their
 * char * key, the item of key, inserted zeroed with a copy of the key
 * when missing (*fresh set); NULL when memory runs out */
void *
live_keyed_at(void **v, size_t *n, size_t *cap, size_t size, const char *key,
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

/* --- the state ---------------------------------------------------- */

/* live_row_free - one listing row */
void
live_row_free(struct route_row *r)
{
	if (r == NULL)
		return;
	route_row_clear(r);
	free(r);
}

/* live_row_copy - a deep copy of r, or NULL */
struct route_row *
live_row_copy(const struct route_row *r)
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
		live_row_free(c);
		return NULL;
	}
	return c;
}

static void pending_clear(struct live *);
static int pending_from(struct live *, const struct route_change *,
    size_t);

/* live_notes_clear - forget the noted changes */
void
live_notes_clear(struct live *l)
{
	size_t i;

	for (i = 0; i < l->nnotes; i++) {
		free(l->notes[i].id);
		entry_free(l->notes[i].old);
	}
	l->nnotes = 0;
	l->overflow = 0;
}

/* live_reset - back to an empty, unready live (notes kept apart) */
void
live_reset(struct live *l)
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
			live_row_free(l->listing[i].v[j]);
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
	live_reset(l);
	live_notes_clear(l);
	free(l->notes);
	free(l);
}

/* live_invalidate - the next publish builds in full */
void
live_invalidate(struct live *l)
{
	if (l == NULL)
		return;
	live_reset(l);
	live_notes_clear(l);
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
	struct live_noted *n;
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

/* live_listing_find - the row of key in its shard; *at: where it is or
 * would go */
struct route_row *
live_listing_find(const struct live *l, const char *key, size_t *shard,
    size_t *at)
{
	const struct live_rows *s;
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

/* live_lost_cmp - by address, then id */
int
live_lost_cmp(const void *a, const void *b)
{
	const struct live_lost *x = a, *y = b;
	int c = strcmp(x->address, y->address);

	return c ? c : strcmp(x->id, y->id);
}

/* --- capture ----------------------------------------------------- */

/* live_lost_push - append a copy of one lost claim (sorted later) */
int
live_lost_push(struct live_lost **v, size_t *n, size_t *cap,
    const char *address, const char *id)
{
	struct live_lost *p;

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

	return live_lost_push(&l->lost, &l->nlost, &l->caplost, address, id);
}

/* prob_at - the counters of where, created when missing (NULL: no
 * memory) */
static struct live_prob *
prob_at(struct live *l, const char *where)
{
	int fresh;

	return live_keyed_at((void **)&l->probs, &l->nprobs, &l->capprobs,
	    sizeof *l->probs, where, &fresh);
}

/* live_count_problems - items [from, d->count) of d into the counters */
int
live_count_problems(struct live *l, const struct diag *d, size_t from)
{
	struct live_prob *p;
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
	struct live_lines *s;
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
	struct live_rows *s;
	size_t i;

	l->listing = calloc(l->nshards, sizeof *l->listing);
	l->listing_dirty = calloc(l->nshards, 1);
	if (l->listing == NULL || l->listing_dirty == NULL)
		return ERR_NOMEM;
	for (i = 0; i < next->count; i++) {
		const struct route_row *r = &next->rows[i];

		s = &l->listing[shard_of(r->key, strlen(r->key), l->nshards)];
		if (vec_grow((void **)&s->v, &s->cap, s->n,
		    sizeof *s->v) < 0 ||
		    (s->v[s->n] = live_row_copy(r)) == NULL)
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
		struct live_family *f = &l->families[l->nfamilies++];

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

	live_reset(l);
	live_notes_clear(l);
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
		qsort(l->lost, l->nlost, sizeof *l->lost, live_lost_cmp);
	rc = rc ? rc : live_count_problems(l, b->problems, 0);
	if (rc < 0) {
		live_reset(l);
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
			live_reset(l);
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

/* live_pending_at - the pending entry of key, created when missing (NULL:
 * no memory; *fresh when new) */
struct live_pending *
live_pending_at(struct live *l, const char *key, int *fresh)
{
	return live_keyed_at((void **)&l->pending, &l->npending, &l->cappending,
	    sizeof *l->pending, key, fresh);
}

/* pending_from - the changes of a build that was not committed; the
 * routed count of the commit follows from them */
static int
pending_from(struct live *l, const struct route_change *ch, size_t n)
{
	struct live_pending *p;
	size_t i;
	int fresh;

	for (i = 0; i < n; i++) {
		const struct route_row *any = ch[i].old ? ch[i].old : ch[i].new;

		if ((p = live_pending_at(l, any->key, &fresh)) == NULL)
			return ERR_NOMEM;
		if (ch[i].old &&
		    (p->committed = live_row_copy(ch[i].old)) == NULL)
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

/* pending_clear - a commit: nothing is pending */
static void
pending_clear(struct live *l)
{
	size_t i;

	for (i = 0; i < l->npending; i++) {
		free(l->pending[i].key);
		live_row_free(l->pending[i].committed);
	}
	l->npending = 0;
}

/* --- committing ---------------------------------------------------- */

/* listing_text - one listing shard as routes_format writes it */
static int
listing_text(const struct live_rows *s, struct buf *out)
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
	int rc = 0, all;

	for (ti = 0; rc == 0 && ti < l->ntables; ti++) {
		for (s = 0; rc == 0 && s < l->nshards; s++) {
			const struct live_lines *sh =
			    &l->rows[ti * l->nshards + s];

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
	for (s = 0; s < l->nshards && l->listing_dirty[s]; s++)
		;
	/* The whole listing rewritten in the first form, as after a
	 * capture on a head in the second: its other files go. */
	all = l->nshards > 0 && s == l->nshards;
	if (rc == 0 && all)
		rc = layout_files_remove(f, LAYOUT_PART_DOMAINS, 0, 0);
	for (s = 0; rc == 0 && all && s < l->nshards; s++)
		rc = layout_files_remove(f, LAYOUT_PART_OWNERS, s, l->nshards);
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
