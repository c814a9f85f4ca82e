/*
 * groups - group entries and nested membership, on hashes
 *
 * SYNOPSIS
 *	#include "groups.h"
 *
 * DESCRIPTION
 *	groups_put() keeps, of each group, its DN hash and four sorted,
 *	distinct lists of hashes: member, uniqueMember, memberUid and
 *	its own memberOf, 8 bytes a value, in one array. An index maps
 *	each DN to its group, another each memberOf DN to the groups
 *	that name it (the nesting the other way round). A group removed
 *	leaves its slot to the next one put.
 *
 *	Every change is made in two steps: first everything that can
 *	fail (the new lists, room in the indices), then the change
 *	itself, which cannot; the watches (groups_watch.c) are then
 *	brought up to date from the group's two versions.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out: the store is as it was.
 *	ERR_INVAL for NULL arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "groups.h"
#include "groups_store.h"
#include "hmap.h"
#include "vec.h"

/* groups_has - whether dn was put */
int
groups_has(const struct groups *g, uint64_t dn)
{
	return g != NULL && groups_slot(g, dn) != HMAP_NONE;
}

/* sort_keys - sort n keys, LSD radix a byte a pass (a pass whose byte
 * is the same in every key is skipped): hashes are uniform, and the
 * flat groups of some directories hold hundreds of thousands of
 * members; tmp has room for n */
static void
sort_keys(uint64_t *v, uint64_t *tmp, size_t n)
{
	uint32_t count[8][256], sum, c;
	uint64_t *src = v, *dst = tmp, *t, first, x;
	size_t i, j;
	int b;

	if (n < 32) {
		for (i = 1; i < n; i++) {
			for (x = v[i], j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	memset(count, 0, sizeof count);
	for (i = 0; i < n; i++)
		for (b = 0; b < 8; b++)
			count[b][v[i] >> (8 * b) & 0xff]++;
	first = v[0];
	for (b = 0; b < 8; b++) {
		if (count[b][first >> (8 * b) & 0xff] == n)
			continue;
		for (sum = 0, j = 0; j < 256; j++) {
			c = count[b][j];
			count[b][j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[b][src[i] >> (8 * b) & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
}

/* sort_unique - sort n keys, drop repeats and zeros; the count left */
static size_t
sort_unique(uint64_t *v, uint64_t *tmp, size_t n)
{
	size_t i, m = 0;

	sort_keys(v, tmp, n);
	for (i = 0; i < n; i++)
		if (v[i] != 0 && (m == 0 || v[m - 1] != v[i]))
			v[m++] = v[i];
	return m;
}

/* group_make - the stored form of e: its lists copied, sorted, each
 * value once; ERR_NOMEM */
static int
group_make(struct groups *g, const struct groups_entry *e,
    struct groups_rec *out)
{
	const uint64_t *src[GROUPS_NLISTS] = { e->member, e->unique, e->uids,
	    e->memberof };
	size_t n[GROUPS_NLISTS] = { e->nmember, e->nunique, e->nuids,
	    e->nmemberof };
	size_t total = 0, at = 0, m, most = 0;
	int l;

	memset(out, 0, sizeof *out);
	out->dn = e->dn;
	for (l = 0; l < GROUPS_NLISTS; l++) {
		if (n[l] > UINT32_MAX || n[l] > SIZE_MAX / 8 - total)
			return ERR_NOMEM;
		if (n[l] > 0 && src[l] == NULL)
			return ERR_INVAL;
		total += n[l];
		most = n[l] > most ? n[l] : most;
	}
	if (total == 0)
		return 0;
	if (vec_reserve((void **)&g->sorting.v, &g->sorting.cap, most,
	    sizeof *g->sorting.v) < 0 ||
	    (out->keys = malloc(total * sizeof *out->keys)) == NULL)
		return ERR_NOMEM;
	for (l = 0; l < GROUPS_NLISTS; l++) {
		if (n[l] > 0)
			memcpy(out->keys + at, src[l], n[l] * sizeof *src[l]);
		m = sort_unique(out->keys + at, g->sorting.v, n[l]);
		out->n[l] = (uint32_t)m;
		at += m;
	}
	return 0;
}

/* parents_set - index (add 1) or unindex (0) the memberOf of slot */
static void
parents_set(struct groups *g, uint32_t slot, int add)
{
	const struct groups_rec *gr = &g->v[slot];
	const uint64_t *p = groups_list(gr, GROUPS_LMEMBEROF);
	uint32_t i;

	for (i = 0; i < gr->n[GROUPS_LMEMBEROF]; i++)
		if (add)
			(void)hmap_put(&g->parents, p[i], slot);
		else
			hmap_remove(&g->parents, p[i], slot);
}

/* groups_put - add or replace one group */
int
groups_put(struct groups *g, const struct groups_entry *e)
{
	struct groups_rec new, old;
	uint32_t slot;
	int rc;

	if (g == NULL || e == NULL)
		return ERR_INVAL;
	if (e->dn == 0)
		return 0;
	if ((rc = group_make(g, e, &new)) < 0)
		return rc;
	slot = groups_slot(g, e->dn);
	/* Room first: from here on nothing fails. */
	rc = hmap_reserve(&g->parents, g->parents.count +
	    new.n[GROUPS_LMEMBEROF]);
	if (rc == 0 && slot == HMAP_NONE) {
		rc = hmap_reserve(&g->index, g->index.count + 1);
		if (rc == 0 && g->nspare == 0 && g->n >= HMAP_NONE - 1)
			rc = ERR_NOMEM;
		if (rc == 0 && g->nspare == 0)
			rc = vec_grow((void **)&g->v, &g->cap, g->n,
			    sizeof *g->v);
	}
	if (rc < 0) {
		free(new.keys);
		return rc;
	}
	memset(&old, 0, sizeof old);
	if (slot == HMAP_NONE) {
		groups_watch_known(g, e->dn);
		slot = g->nspare > 0 ? g->spare[--g->nspare] :
		    (uint32_t)g->n++;
		(void)hmap_put(&g->index, e->dn, slot);
	} else {
		parents_set(g, slot, 0);
		old = g->v[slot];
	}
	g->v[slot] = new;
	parents_set(g, slot, 1);
	groups_watch_upkeep(g, e->dn, &old, &new, 1);
	free(old.keys);
	return 0;
}

/* groups_remove - forget one group */
int
groups_remove(struct groups *g, uint64_t dn)
{
	struct groups_rec old, none;
	uint32_t slot;

	if (g == NULL)
		return ERR_INVAL;
	if ((slot = groups_slot(g, dn)) == HMAP_NONE)
		return 0;
	if (vec_grow((void **)&g->spare, &g->capspare, g->nspare,
	    sizeof *g->spare) < 0)
		return ERR_NOMEM;
	groups_watch_known(g, dn);
	parents_set(g, slot, 0);
	hmap_remove(&g->index, dn, slot);
	old = g->v[slot];
	memset(&g->v[slot], 0, sizeof g->v[slot]);
	g->spare[g->nspare++] = slot;
	memset(&none, 0, sizeof none);
	groups_watch_upkeep(g, dn, &old, &none, 0);
	free(old.keys);
	return 0;
}

/* groups_new - empty store */
int
groups_new(struct groups **out)
{
	if (out == NULL)
		return ERR_INVAL;
	*out = calloc(1, sizeof **out);
	return *out == NULL ? ERR_NOMEM : 0;
}

/* groups_free - release the store */
void
groups_free(struct groups *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		free(g->v[i].keys);
	free(g->v);
	free(g->spare);
	hmap_free(&g->index);
	hmap_free(&g->parents);
	for (i = 0; i < g->nw; i++)
		groups_watch_clear(&g->w[i]);
	free(g->w);
	free(g->queue.v);
	free(g->suspects.v);
	free(g->out.v);
	free(g->sorting.v);
	for (i = 0; i < g->nasked; i++)
		free(g->asked[i].dn);
	free(g->asked);
	free(g);
}

