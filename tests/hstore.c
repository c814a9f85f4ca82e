/*
 * hstore - groups as hashes, membership from them (for the tests)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dn.h"
#include "groups.h"
#include "hstore.h"

/* A set of hashes, small. */
struct hset {
	uint64_t *v;
	size_t n;
};

/* hset_has - whether h is in the set */
static int
hset_has(const struct hset *x, uint64_t h)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->v[i] == h)
			return 1;
	return 0;
}

/* hset_add - h into the set; 1 when it was new */
static int
hset_add(struct hset *x, uint64_t h)
{
	if (hset_has(x, h))
		return 0;
	x->v = realloc(x->v, (x->n + 1) * sizeof *x->v);
	ck_assert_ptr_nonnull(x->v);
	x->v[x->n++] = h;
	return 1;
}

/* hstore_free - release the groups */
void
hstore_free(struct hstore *hs)
{
	size_t i, j;

	for (i = 0; i < hs->n; i++)
		for (j = 0; j < 4; j++)
			free(hs->v[i].lists[j]);
	free(hs->v);
	memset(hs, 0, sizeof *hs);
}

/* hstore_find - the group whose DN hashes to h, or NULL */
const struct hgroup *
hstore_find(const struct hstore *hs, uint64_t h)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (hs->v[i].dn == h)
			return &hs->v[i];
	return NULL;
}

/* hstore_put - keep a group's hashes; its DN again replaces it */
void
hstore_put(struct hstore *hs, const struct groups_entry *ge)
{
	const uint64_t *src[4] = { ge->member, ge->unique, ge->uids,
	    ge->memberof };
	const size_t n[4] = { ge->nmember, ge->nunique, ge->nuids,
	    ge->nmemberof };
	struct hgroup *g = (struct hgroup *)hstore_find(hs, ge->dn);
	size_t j;

	if (ge->dn == DN_HASH_NONE)
		return;
	if (g == NULL) {
		hs->v = realloc(hs->v, (hs->n + 1) * sizeof *hs->v);
		ck_assert_ptr_nonnull(hs->v);
		g = &hs->v[hs->n++];
		memset(g, 0, sizeof *g);
	}
	g->dn = ge->dn;
	for (j = 0; j < 4; j++) {
		free(g->lists[j]);
		g->lists[j] = malloc((n[j] ? n[j] : 1) * sizeof *src[j]);
		ck_assert_ptr_nonnull(g->lists[j]);
		if (n[j])
			memcpy(g->lists[j], src[j], n[j] * sizeof *src[j]);
		g->n[j] = n[j];
	}
}

/* in_list - whether list j of g holds h */
static int
in_list(const struct hgroup *g, int j, uint64_t h)
{
	size_t i;

	for (i = 0; i < g->n[j]; i++)
		if (g->lists[j][i] == h)
			return 1;
	return 0;
}

/* hstore_member - whether the member keys are in group target by the
 * ways in via, nested groups included, as groups.h defines it */
int
hstore_member(const struct hstore *hs, const struct groups_keys *keys,
    uint64_t target, unsigned via)
{
	struct hset closure = { NULL, 0 }, members = { NULL, 0 },
	    uids = { NULL, 0 };
	const struct hgroup *g;
	size_t head = 0, i, j;
	int found = 0, w;

	hset_add(&closure, target);
	while (head < closure.n) {
		uint64_t x = closure.v[head++];

		if ((g = hstore_find(hs, x)) != NULL) {
			for (w = 0; w < 2; w++) {
				if (!(via & (w ? GROUPS_VIA_UNIQUEMEMBER :
				    GROUPS_VIA_MEMBER)))
					continue;
				for (i = 0; i < g->n[w]; i++) {
					hset_add(&members, g->lists[w][i]);
					if (hstore_find(hs, g->lists[w][i]))
						hset_add(&closure,
						    g->lists[w][i]);
				}
			}
			for (i = 0; (via & GROUPS_VIA_MEMBERUID) &&
			    i < g->n[2]; i++)
				hset_add(&uids, g->lists[2][i]);
		}
		for (i = 0; (via & GROUPS_VIA_MEMBEROF) && i < hs->n; i++)
			if (in_list(&hs->v[i], 3, x))
				hset_add(&closure, hs->v[i].dn);
	}
	for (j = 0; !found && j < keys->nuids; j++)
		found = hset_has(&uids, keys->uids[j]);
	if (!found && keys->dn != DN_HASH_NONE)
		found = hset_has(&members, keys->dn);
	for (j = 0; !found && (via & GROUPS_VIA_MEMBEROF) &&
	    j < keys->nmemberof; j++) {
		/* a group whose entry is known says itself who is in it */
		if ((via & ~GROUPS_VIA_MEMBEROF) &&
		    hstore_find(hs, keys->memberof[j]))
			continue;
		found = hset_has(&closure, keys->memberof[j]) ||
		    hset_has(&members, keys->memberof[j]);
	}
	free(closure.v);
	free(members.v);
	free(uids.v);
	return found;
}

