/*
 * live_batch - a batch of noted changes applied to the live state
 *
 * DESCRIPTION
 *	The closure first: the changed entries, the address families
 *	they claim before and after, every entry that claims one of
 *	those (the listing's owner, earlier conflicts' losers), their
 *	addresses, until nothing new comes in. Those entries go through
 *	the mapping into a small model (every domain, their mailboxes),
 *	rendered as a full build renders; the rows of the affected keys
 *	then replace theirs in the state, shard by shard. A group change
 *	moves the members it adds or removes, found by DN; a nested group
 *	or a domain is built in full.
 *
 *	Nothing in the state changes before the small model is rendered:
 *	a batch that fails early leaves the state as it was; one that
 *	fails while applying leaves it unready.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM, after which the live is not ready; LIVE_FULL for what
 *	is not done here.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "groups.h"
#include "live.h"
#include "live_state.h"
#include "log.h"
#include "shard.h"
#include "vec.h"

/* --- small sorted sets ------------------------------------------- */

struct strset {                 /* sorted, unique copies */
	char **v;
	size_t n, cap;
};

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

	slot = live_keyed_at((void **)&set->v, &set->n, &set->cap,
	    sizeof *set->v, s, &fresh);
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

/* --- lookups ----------------------------------------------------- */

/* key_len - the key of a table line: up to the first space */
static size_t
key_len(const char *line)
{
	return strcspn(line, " ");
}

/* lines_range - [*lo, *hi) the lines of key in a sorted shard */
static void
lines_range(const struct live_lines *s, const char *key, size_t *lo,
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

/* owner_of - a model_owner_fn over the live listing */
static const char *
owner_of(const char *address, void *ctx)
{
	const struct route_row *r;
	size_t shard, at;

	r = live_listing_find(ctx, address, &shard, &at);
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

/* family_of - the family of domain, or NULL */
static const struct live_family *
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
static struct live_dnslot *
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
	struct live_dnslot *s, *old;
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
	const struct live_dnslot *s;
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
	const struct live_family *f = at ? family_of(b->l, at + 1) : NULL;
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

	r = live_listing_find(b->l, key, &shard, &at);
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
		const struct live_noted *n = &b->l->notes[i];
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
    struct live_lines *out)
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
replace_lines(struct live_lines *s, const char *key, char **nv, size_t nlo,
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
	struct live_lines fresh = { NULL, 0, 0 };
	size_t ti, k, lo, hi, shard;
	int rc = 0, changed;

	for (ti = 0; rc == 0 && ti < t->count && ti < l->ntables; ti++) {
		if (strcmp(t->items[ti].name, l->tables[ti]) != 0)
			return ERR_INVAL;       /* layouts differ: a bug */
		rc = affected_lines(b, &t->items[ti].text, &fresh);
		for (k = 0; rc == 0 && k < b->keys.n; k++) {
			const char *key = b->keys.v[k];
			struct live_lines tmp = fresh;

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

/* retire - old leaves the listing: kept as the committed row of its
 * key when it is the first change since the commit, else freed */
static int
retire(struct live *l, const char *key, struct route_row *old)
{
	struct live_pending *p;
	int fresh;

	if ((p = live_pending_at(l, key, &fresh)) == NULL) {
		live_row_free(old);
		return ERR_NOMEM;
	}
	if (fresh)
		p->committed = old;
	else
		live_row_free(old);
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
		struct route_row *old = live_listing_find(l, key, &shard, &at);
		const struct route_row *nr = routes_find(next, key);
		struct live_rows *s = &l->listing[shard];
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
		if ((copy = live_row_copy(nr)) == NULL)
			return ERR_NOMEM;
		if (old) {
			s->v[at] = copy;
			rc = retire(l, key, old);
			continue;
		}
		if (vec_grow((void **)&s->v, &s->cap, s->n,
		    sizeof *s->v) < 0) {
			live_row_free(copy);
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

/* pending_changes - every key whose route differs from the commit */
static int
pending_changes(struct live *l, struct live_update *up)
{
	size_t i, shard, at, cap = 0;

	for (i = 0; i < l->npending; i++) {
		const struct live_pending *p = &l->pending[i];
		const struct route_row *now = live_listing_find(l, p->key,
		    &shard, &at);
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

struct lost_ctx {
	struct batch *b;
	struct live_lost *v;
	size_t n, cap;
};

/* collect_lost - a lost claim of the small model, when affected */
static int
collect_lost(const char *address, const char *id, void *ctx)
{
	struct lost_ctx *c = ctx;

	if (!in_keys(c->b, address, strlen(address)))
		return 0;
	return live_lost_push(&c->v, &c->n, &c->cap, address, id);
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
		qsort(l->lost, l->nlost, sizeof *l->lost, live_lost_cmp);
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
	return live_count_problems(l, b->problems, from);
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
		live_notes_clear(l);
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
		live_reset(l);
		goto cleanup;
	}
	if (changed)
		l->tables_changed = 1;
	if (pending_changes(l, up) < 0) {
		live_update_clear(up);
		live_reset(l);
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
	live_notes_clear(l);
	routes_clear(&next);
	render_tables_free(&t);
	model_free(m);
	batch_free(&b);
	return rc;
}
