/*
 * mirror - the agent's copy of the directory entries the mapping uses
 *
 * DESCRIPTION
 *	An open-addressing hash table of id -> entry. Committed shards are
 *	LDIF: each record carries its id first, in the pseudo-attribute
 *	"splitsync-id" (no directory schema uses that name), which is
 *	removed again on load.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM; a damaged shard is ERR_DATA with name:line.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vec.h"
#include "errors.h"
#include "ldif.h"
#include "mirror.h"
#include "shard.h"

#define ID_ATTR "splitsync-id"

struct slot {
	char *id;               /* NULL: empty; TOMBSTONE: removed */
	struct entry *e;
	uint32_t hash;
};

struct mirror {
	struct slot *slots;
	size_t cap;             /* power of two */
	size_t count;           /* live ids */
	size_t used;            /* live ids and tombstones */
};

/* A removed slot: keeps probe chains intact. Never written through. */
static const char tombstone_mark;
#define TOMBSTONE ((char *)&tombstone_mark)

/* fnv1a - the hash of an id; also picks its shard (shard.h) */
static uint32_t
fnv1a(const char *s)
{
	return shard_hash(s, strlen(s));
}

/* mirror_new - empty mirror */
int
mirror_new(struct mirror **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : ERR_NOMEM;
}

/* mirror_free - release every entry */
void
mirror_free(struct mirror *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].id && m->slots[i].id != TOMBSTONE) {
			free(m->slots[i].id);
			entry_free(m->slots[i].e);
		}
	}
	free(m->slots);
	free(m);
}

/* mirror_count - live entries */
size_t
mirror_count(const struct mirror *m)
{
	return m->count;
}

/* find - the slot holding id, or NULL */
static struct slot *
find(const struct mirror *m, const char *id, uint32_t h)
{
	size_t i, mask;

	if (m->cap == 0)
		return NULL;
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].id; i = (i + 1) & mask)
		if (m->slots[i].id != TOMBSTONE && m->slots[i].hash == h &&
		    strcmp(m->slots[i].id, id) == 0)
			return &m->slots[i];
	return NULL;
}

/* rehash - grow (or clean tombstones) so one more id fits */
static int
rehash(struct mirror *m)
{
	struct slot *old = m->slots, *slots;
	size_t oldcap = m->cap, cap, i, j;

	if ((m->used + 1) * 4 < m->cap * 3)
		return 0;
	cap = m->cap ? m->cap : 64;
	while ((m->count + 1) * 2 > cap)
		cap *= 2;
	if (cap > SIZE_MAX / sizeof *slots)
		return ERR_NOMEM;
	slots = calloc(cap, sizeof *slots);
	if (slots == NULL)
		return ERR_NOMEM;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == NULL || old[i].id == TOMBSTONE)
			continue;
		for (j = old[i].hash & (cap - 1); slots[j].id;
		    j = (j + 1) & (cap - 1))
			;
		slots[j] = old[i];
	}
	free(old);
	m->slots = slots;
	m->cap = cap;
	m->used = m->count;
	return 0;
}

/* mirror_entry_id - entryUUID, else DN */
int
mirror_entry_id(const struct entry *e, char **out)
{
	struct entry_iter it;
	const struct entry_value *v = entry_value_first(e, "entryUUID", &it);
	char *p;

	if (v && v->len && memchr(v->data, '\0', v->len) == NULL) {
		*out = strdup(v->data);
		for (p = *out; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	} else {
		*out = strdup(e->dn);
	}
	return *out ? 0 : ERR_NOMEM;
}

/* mirror_put - store a copy */
int
mirror_put(struct mirror *m, const char *id, const struct entry *e)
{
	uint32_t h = fnv1a(id);
	struct slot *s = find(m, id, h);
	struct entry *copy;
	size_t i, mask;
	char *idcopy;
	int rc;

	if (s && entry_equal(s->e, e))
		return 0;
	rc = entry_dup(e, &copy);
	if (rc < 0)
		return rc;
	if (s) {
		entry_free(s->e);
		s->e = copy;
		return 1;
	}
	idcopy = strdup(id);
	if (idcopy == NULL || rehash(m) < 0) {
		free(idcopy);
		entry_free(copy);
		return ERR_NOMEM;
	}
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].id && m->slots[i].id != TOMBSTONE;
	    i = (i + 1) & mask)
		;
	if (m->slots[i].id == NULL)
		m->used++;
	m->slots[i].id = idcopy;
	m->slots[i].e = copy;
	m->slots[i].hash = h;
	m->count++;
	return 1;
}

/* mirror_remove - forget one id */
int
mirror_remove(struct mirror *m, const char *id)
{
	struct slot *s = find(m, id, fnv1a(id));

	if (s == NULL)
		return 0;
	free(s->id);
	entry_free(s->e);
	s->id = TOMBSTONE;
	s->e = NULL;
	m->count--;
	return 1;
}

/* mirror_get - borrowed entry */
const struct entry *
mirror_get(const struct mirror *m, const char *id)
{
	struct slot *s = find(m, id, fnv1a(id));

	return s ? s->e : NULL;
}

/* mirror_each_id - every live slot */
int
mirror_each_id(const struct mirror *m,
    int (*fn)(const char *id, const struct entry *e, void *ctx), void *ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].id == NULL || m->slots[i].id == TOMBSTONE)
			continue;
		rc = fn(m->slots[i].id, m->slots[i].e, ctx);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct each_ctx {
	entry_source_fn fn;
	void *ctx;
};

/* each_entry - adapter for mirror_each */
static int
each_entry(const char *id, const struct entry *e, void *ctx)
{
	struct each_ctx *c = ctx;

	(void)id;
	return c->fn(e, c->ctx);
}

/* mirror_each - every entry */
int
mirror_each(const struct mirror *m, entry_source_fn fn, void *ctx)
{
	struct each_ctx c = { fn, ctx };

	return mirror_each_id(m, each_entry, &c);
}

/* mirror_shard_of - the shard of id */
size_t
mirror_shard_of(const char *id, size_t n)
{
	return fnv1a(id) & (n - 1);
}

/* slot_cmp - slots by id */
static int
slot_cmp(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->id,
	    (*(struct slot *const *)b)->id);
}

/* write_record - an entry with its id first */
static int
write_record(struct buf *out, const struct slot *s)
{
	struct entry *tmp;
	size_t i, j;
	int rc;

	/* The id goes first so a reader sees it before the attributes. */
	rc = entry_new(&tmp, s->e->dn, NULL);
	rc = rc ? rc : entry_add_value(tmp, ID_ATTR, s->id, strlen(s->id));
	for (i = 0; rc == 0 && i < s->e->count; i++)
		for (j = 0; rc == 0 && j < s->e->attrs[i].count; j++)
			rc = entry_add_value(tmp, s->e->attrs[i].name,
			    s->e->attrs[i].values[j].data,
			    s->e->attrs[i].values[j].len);
	rc = rc ? rc : ldif_write_entry(out, tmp);
	entry_free(tmp);
	return rc;
}

/* mirror_shards - the committed form */
int
mirror_shards(const struct mirror *m, size_t nshards, struct buf **out)
{
	struct slot **order = NULL;
	struct buf *shards;
	size_t i, n = 0;
	int rc = 0;

	*out = NULL;
	shards = calloc(nshards, sizeof *shards);
	order = calloc(m->count ? m->count : 1, sizeof *order);
	if (shards == NULL || order == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].id && m->slots[i].id != TOMBSTONE)
			order[n++] = &m->slots[i];
	if (n)
		qsort(order, n, sizeof *order, slot_cmp);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_record(&shards[order[i]->hash & (nshards - 1)],
		    order[i]);
	for (i = 0; rc == 0 && i < nshards; i++)
		if (shards[i].data == NULL)
			rc = buf_grow(&shards[i], 0);
cleanup:
	free(order);
	if (rc < 0 && shards) {
		for (i = 0; i < nshards; i++)
			buf_free(&shards[i]);
		free(shards);
		shards = NULL;
	}
	*out = shards;
	return rc;
}

/* push_slot - one more slot of the shard */
static int
push_slot(struct slot ***v, size_t *n, size_t *cap, struct slot *s)
{
	if (vec_grow((void **)v, cap, *n, sizeof **v) < 0)
		return ERR_NOMEM;
	(*v)[(*n)++] = s;
	return 0;
}

/* mirror_shard_text - one shard, its entries sorted by id. With at
 * least as many slots as shards, an entry of the shard starts probing
 * at a slot congruent to the shard, and linear probing keeps it in the
 * run of used slots from there: only those runs are read. */
int
mirror_shard_text(const struct mirror *m, size_t shard, size_t nshards,
    struct buf *out)
{
	struct slot **order = NULL, *s;
	size_t i, j, n = 0, cap = 0, mask = m->cap - 1;
	int rc = 0;

	for (i = m->cap >= nshards ? shard : 0; rc == 0 && i < m->cap;
	    i += m->cap >= nshards ? nshards : 1) {
		for (j = i; rc == 0 && m->slots[j].id; j = (j + 1) & mask) {
			s = &m->slots[j];
			if (s->id != TOMBSTONE && (s->hash & mask) == i &&
			    (s->hash & (nshards - 1)) == shard)
				rc = push_slot(&order, &n, &cap, s);
			if (((j + 1) & mask) == i)
				break;  /* a full table: once around */
		}
	}
	if (n)
		qsort(order, n, sizeof *order, slot_cmp);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_record(out, order[i]);
	rc = rc ? rc : buf_grow(out, 0);
	free(order);
	return rc;
}

struct load_ctx {
	struct mirror *m;
	struct diag *d;
};

/* load_one - strip the id attribute and store the entry */
static int
load_one(const struct entry *e, void *ctx)
{
	struct load_ctx *c = ctx;
	struct entry *copy = NULL;
	const char *id = NULL;
	size_t i, j;
	int rc;

	rc = entry_new(&copy, e->dn, NULL);
	for (i = 0; rc == 0 && i < e->count; i++) {
		if (strcmp(e->attrs[i].name, ID_ATTR) == 0) {
			if (e->attrs[i].count == 1)
				id = e->attrs[i].values[0].data;
			continue;
		}
		for (j = 0; rc == 0 && j < e->attrs[i].count; j++)
			rc = entry_add_value(copy, e->attrs[i].name,
			    e->attrs[i].values[j].data,
			    e->attrs[i].values[j].len);
	}
	if (rc == 0 && id == NULL) {
		diag_error(c->d, e->origin, "mirror record without its id");
		rc = ERR_DATA;
	}
	if (rc == 0)
		rc = mirror_put(c->m, id, copy);
	entry_free(copy);
	return rc < 0 ? rc : 0;
}

/* mirror_load - one committed shard */
int
mirror_load(struct mirror *m, const char *name, const char *data,
    size_t len, struct diag *d)
{
	struct load_ctx c = { m, d };

	if (len == 0)
		return 0;
	return ldif_read_buffer(name, data, len, load_one, &c, d);
}
