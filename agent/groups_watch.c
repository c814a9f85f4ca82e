/*
 * groups_watch - watched closures kept up to date, and the questions
 *
 * SYNOPSIS
 *	#include "groups.h"
 *
 * DESCRIPTION
 *	A watch is one question, "inside target T by ways V", kept
 *	answered: its closure (T and every group nested in it, by the
 *	ways V allows), and per member DN and per memberUid value the
 *	number of listings of it by groups of the closure. A user is
 *	inside when one of its uid values or its DN has a count, or,
 *	when V includes memberOf, one of its memberOf values names a
 *	group of the closure or a DN with a count; under more ways than
 *	memberOf alone a memberOf value naming a group that was put is
 *	not consulted (groups.h says why). Cycles are harmless: a group
 *	enters a closure once.
 *
 *	When a group is put or removed, each watch is brought up to
 *	date from the difference between the group's two versions. A
 *	member added or removed changes one count. A group that gains a
 *	way in (listed, named by its memberOf, put for the first time)
 *	is brought in with what it brings, walked breadth first. A group
 *	that loses one is a suspect: the suspects and what hangs below
 *	them in the closure are taken out, their listings uncounted;
 *	those of them that still have a way in from what stayed are
 *	brought back in with what they bring. Either costs the groups
 *	and listings it walks, never the whole closure; nothing recurses.
 *
 *	Before a key's standing can change (a count starts or stops, a
 *	group enters or leaves a closure or the store), the key is noted
 *	in the watch's log with its standings then, once per key until
 *	the next drain; groups_drain() hands on the keys whose standing
 *	differs now.
 *
 *	A watch costs a slot of a hash map (12 bytes, the map at most
 *	three quarters full) per group of its closure, per member DN and
 *	per memberUid value they list, and 16 bytes and a slot per key
 *	noted until the next drain.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out; a watch whose upkeep failed is
 *	rebuilt from scratch when it is next used, and its next drain
 *	says GROUPS_CROSS_ALL. ERR_BUG when a count to take away is not
 *	there (the watch is rebuilt too). ERR_INVAL for NULL arguments
 *	and handles not given out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "groups.h"
#include "groups_store.h"
#include "hmap.h"
#include "vec.h"

/* cl_state - a group's state in a watch's closure, or HMAP_NONE */
static uint32_t
cl_state(const struct groups_closure *w, uint64_t dn)
{
	return hmap_find(&w->closure, dn, NULL, NULL, NULL);
}

/* count_of - the listings of key in a count map */
static uint32_t
count_of(const struct hmap *m, uint64_t key)
{
	uint32_t c = hmap_find(m, key, NULL, NULL, NULL);

	return c == HMAP_NONE ? 0 : c;
}

/* standing - whether key counts, now, for the users it concerns */
static int
standing(const struct groups *g, const struct groups_closure *w, int kind,
    uint64_t key)
{
	switch (kind) {
	case GROUPS_CROSS_DN:
		return count_of(&w->dns, key) > 0;
	case GROUPS_CROSS_UID:
		return count_of(&w->uids, key) > 0;
	default:
		if (!(w->via & GROUPS_VIA_MEMBEROF))
			return 0;
		if ((w->via & ~GROUPS_VIA_MEMBEROF) &&
		    groups_slot(g, key) != HMAP_NONE)
			return 0;
		return cl_state(w, key) != HMAP_NONE ||
		    count_of(&w->dns, key) > 0;
	}
}

/* log_hash - where a key of a space (DN or UID) sits in the logged map */
static uint64_t
log_hash(int space, uint64_t key)
{
	return space == GROUPS_CROSS_UID ? ~key : key;
}

/* log_eq - the logged crossing val is (space, key) */
static int
log_eq(uint32_t val, const void *key, void *ctx)
{
	const struct groups_closure *w = ctx;
	const struct groups_crossing *c = key;

	return w->log[val].key == c->key && w->log[val].space == c->space;
}

/* standings - a key's standings as bits: for a DN, as a member DN
 * (bit 0) and as a memberOf value (bit 1); for a uid, bit 0 */
static unsigned char
standings(const struct groups *g, const struct groups_closure *w, int space,
    uint64_t key)
{
	if (space == GROUPS_CROSS_UID)
		return (unsigned char)standing(g, w, GROUPS_CROSS_UID, key);
	return (unsigned char)(standing(g, w, GROUPS_CROSS_DN, key) |
	    standing(g, w, GROUPS_CROSS_GROUP, key) << 1);
}

/* touch - note key of a space (GROUPS_CROSS_DN, which covers
 * GROUPS_CROSS_GROUP, or GROUPS_CROSS_UID) in the log, with its
 * standings before the change about to be made; ERR_NOMEM */
static int
touch(const struct groups *g, struct groups_closure *w, int space, uint64_t key)
{
	struct groups_crossing c;
	uint64_t h = log_hash(space, key);

	if (w->quiet)
		return 0;
	c.key = key;
	c.space = (unsigned char)space;
	if (hmap_find(&w->logged, h, log_eq, &c, w) != HMAP_NONE)
		return 0;
	if (w->nlog >= HMAP_NONE)
		return ERR_NOMEM;
	c.was = standings(g, w, space, key);
	if (vec_grow((void **)&w->log, &w->caplog, w->nlog, sizeof *w->log)
	    < 0 || hmap_put(&w->logged, h, (uint32_t)w->nlog) < 0)
		return ERR_NOMEM;
	w->log[w->nlog++] = c;
	return 0;
}

/* touch_group - touch for the users whose memberOf names dn, when the
 * watch's ways read memberOf */
static int
touch_group(const struct groups *g, struct groups_closure *w, uint64_t dn)
{
	if (!(w->via & GROUPS_VIA_MEMBEROF))
		return 0;
	return touch(g, w, GROUPS_CROSS_DN, dn);
}

/* count_add - one listing of key more (delta 1) or less (-1) in the
 * count map of kind; ERR_NOMEM */
static int
count_add(struct groups *g, struct groups_closure *w, int kind, uint64_t key,
    int delta)
{
	struct hmap *m = kind == GROUPS_CROSS_DN ? &w->dns : &w->uids;
	uint32_t c = hmap_find(m, key, NULL, NULL, NULL);
	int rc;

	g->work++;
	if (delta > 0 && c != HMAP_NONE) {
		if (c + 1 == HMAP_NONE)
			return ERR_NOMEM;
		hmap_replace(m, key, c, c + 1);
		return 0;
	}
	if (delta < 0 && c != HMAP_NONE && c > 1) {
		hmap_replace(m, key, c, c - 1);
		return 0;
	}
	if (delta < 0 && c == HMAP_NONE)
		return ERR_BUG;
	/* The key starts or stops counting. */
	if ((rc = touch(g, w, kind, key)) < 0)
		return rc;
	if (delta > 0)
		return hmap_put(m, key, 1);
	hmap_remove(m, key, c);
	return 0;
}

/* counted - whether list l of a group counts under the ways via */
static int
counted(unsigned via, int l)
{
	static const unsigned need[GROUPS_NLISTS] = { GROUPS_VIA_MEMBER,
	    GROUPS_VIA_UNIQUEMEMBER, GROUPS_VIA_MEMBERUID, 0 };

	return (via & need[l]) != 0;
}

/* The store and the watch being brought up to date, for callbacks. */
struct upkeep {
	struct groups *g;
	struct groups_closure *w;
};

/* mark_out - take dn out of the closure for now, to be examined; not
 * the target, not what is not in */
static int
mark_out(struct groups *g, struct groups_closure *w, uint64_t dn)
{
	int rc;

	if (dn == w->target || cl_state(w, dn) != GROUPS_IN)
		return 0;
	if ((rc = touch_group(g, w, dn)) < 0)
		return rc;
	hmap_replace(&w->closure, dn, GROUPS_IN, GROUPS_PENDING);
	return groups_keyvec_push(&g->out, dn);
}

/* push_child - queue a group naming the group being brought in */
static int
push_child(uint32_t slot, void *ctx)
{
	struct upkeep *u = ctx;

	return groups_keyvec_push(&u->g->queue, u->g->v[slot].dn);
}

/* mark_child - mark_out a group naming the one being taken out */
static int
mark_child(uint32_t slot, void *ctx)
{
	struct upkeep *u = ctx;

	return mark_out(u->g, u->w, u->g->v[slot].dn);
}

/* count_lists - the listings of the group dn counted in (delta 1) or
 * out (-1) of w, as its ways allow; coming in, the known groups it
 * lists that are not in are queued, going out, those in are marked
 * out; then the groups naming it in memberOf, likewise */
static int
count_lists(struct groups *g, struct groups_closure *w, uint64_t dn,
    int delta)
{
	struct upkeep u = { g, w };
	const struct groups_rec *gr;
	const uint64_t *k;
	uint32_t slot = groups_slot(g, dn), i;
	int l, kind, rc = 0;

	for (l = GROUPS_LMEMBER; slot != HMAP_NONE && rc == 0 &&
	    l <= GROUPS_LUIDS; l++) {
		if (!counted(w->via, l))
			continue;
		kind = l == GROUPS_LUIDS ? GROUPS_CROSS_UID : GROUPS_CROSS_DN;
		gr = &g->v[slot];
		k = groups_list(gr, l);
		for (i = 0; rc == 0 && i < gr->n[l]; i++) {
			if ((rc = count_add(g, w, kind, k[i], delta)) < 0 ||
			    l == GROUPS_LUIDS)
				continue;
			if (delta < 0)
				rc = mark_out(g, w, k[i]);
			else if (cl_state(w, k[i]) != GROUPS_IN &&
			    groups_slot(g, k[i]) != HMAP_NONE)
				rc = groups_keyvec_push(&g->queue, k[i]);
		}
	}
	if (rc == 0 && (w->via & GROUPS_VIA_MEMBEROF))
		rc = hmap_each(&g->parents, dn, NULL, NULL, NULL,
		    delta > 0 ? push_child : mark_child, &u);
	return rc;
}

/* bring_in - every queued group into w's closure, with the groups it
 * brings */
static int
bring_in(struct groups *g, struct groups_closure *w)
{
	uint64_t dn;
	uint32_t st;
	int rc;

	while (g->queue.n > 0) {
		dn = g->queue.v[--g->queue.n];
		if ((st = cl_state(w, dn)) == GROUPS_IN)
			continue;
		g->work++;
		if ((rc = touch_group(g, w, dn)) < 0)
			return rc;
		if (st == HMAP_NONE && (rc = hmap_put(&w->closure, dn,
		    GROUPS_IN)) < 0)
			return rc;
		if (st != HMAP_NONE)
			hmap_replace(&w->closure, dn, st, GROUPS_IN);
		if ((rc = count_lists(g, w, dn, 1)) < 0)
			return rc;
	}
	return 0;
}

/* way_in - whether group dn, out for now, still has a way in from
 * what is in: listed by it, or naming it in memberOf */
static int
way_in(const struct groups *g, const struct groups_closure *w, uint64_t dn)
{
	const struct groups_rec *gr;
	const uint64_t *p;
	uint32_t slot = groups_slot(g, dn), i;

	if (slot == HMAP_NONE)
		return 0;
	if (count_of(&w->dns, dn) > 0)
		return 1;
	if (!(w->via & GROUPS_VIA_MEMBEROF))
		return 0;
	gr = &g->v[slot];
	p = groups_list(gr, GROUPS_LMEMBEROF);
	for (i = 0; i < gr->n[GROUPS_LMEMBEROF]; i++)
		if (cl_state(w, p[i]) == GROUPS_IN)
			return 1;
	return 0;
}

/* take_out - the suspects and what hangs below them out of w's
 * closure, their listings uncounted; those still with a way in from
 * what stayed come back with what they bring */
static int
take_out(struct groups *g, struct groups_closure *w)
{
	size_t at;
	int rc = 0;

	g->out.n = 0;
	for (at = 0; rc == 0 && at < g->suspects.n; at++)
		rc = mark_out(g, w, g->suspects.v[at]);
	for (at = 0; rc == 0 && at < g->out.n; at++) {
		g->work++;
		rc = count_lists(g, w, g->out.v[at], -1);
	}
	for (at = 0; rc == 0 && at < g->out.n; at++)
		if (cl_state(w, g->out.v[at]) == GROUPS_PENDING &&
		    way_in(g, w, g->out.v[at]) &&
		    (rc = groups_keyvec_push(&g->queue, g->out.v[at])) == 0)
			rc = bring_in(g, w);
	for (at = 0; rc == 0 && at < g->out.n; at++)
		if (cl_state(w, g->out.v[at]) == GROUPS_PENDING)
			hmap_remove(&w->closure, g->out.v[at], GROUPS_PENDING);
	return rc;
}

/* diff_list - count what list l of a group in w's closure lost and
 * gained from old to new (both sorted); the groups it no longer lists
 * become suspects, the known ones it lists now are queued */
static int
diff_list(struct groups *g, struct groups_closure *w, int l,
    const struct groups_rec *old, const struct groups_rec *new)
{
	const uint64_t *a = groups_list(old, l), *b = groups_list(new, l);
	uint32_t i = 0, j = 0, na = old->n[l], nb = new->n[l];
	int kind = l == GROUPS_LUIDS ? GROUPS_CROSS_UID : GROUPS_CROSS_DN;
	int rc = 0;

	while (rc == 0 && (i < na || j < nb)) {
		if (j == nb || (i < na && a[i] < b[j])) {
			rc = count_add(g, w, kind, a[i], -1);
			if (rc == 0 && l != GROUPS_LUIDS &&
			    cl_state(w, a[i]) == GROUPS_IN)
				rc = groups_keyvec_push(&g->suspects, a[i]);
			i++;
		} else if (i == na || b[j] < a[i]) {
			rc = count_add(g, w, kind, b[j], 1);
			if (rc == 0 && l != GROUPS_LUIDS &&
			    cl_state(w, b[j]) != GROUPS_IN &&
			    groups_slot(g, b[j]) != HMAP_NONE)
				rc = groups_keyvec_push(&g->queue, b[j]);
			j++;
		} else {
			i++;
			j++;
		}
	}
	return rc;
}

/* lost_parent - whether a memberOf value of old, gone in new, names a
 * group of w's closure */
static int
lost_parent(const struct groups_closure *w, const struct groups_rec *old,
    const struct groups_rec *new)
{
	const uint64_t *a = groups_list(old, GROUPS_LMEMBEROF);
	const uint64_t *b = groups_list(new, GROUPS_LMEMBEROF);
	uint32_t i, j = 0;

	for (i = 0; i < old->n[GROUPS_LMEMBEROF]; i++) {
		while (j < new->n[GROUPS_LMEMBEROF] && b[j] < a[i])
			j++;
		if ((j == new->n[GROUPS_LMEMBEROF] || b[j] != a[i]) &&
		    cl_state(w, a[i]) == GROUPS_IN)
			return 1;
	}
	return 0;
}

/* upkeep - bring w up to date after the group dn went from old to new
 * (either may have no lists; new is absent when known is 0) */
static int
upkeep(struct groups *g, struct groups_closure *w, uint64_t dn,
    const struct groups_rec *old, const struct groups_rec *new, int known)
{
	int l, rc = 0;

	g->queue.n = 0;
	g->suspects.n = 0;
	if (cl_state(w, dn) == GROUPS_IN) {
		for (l = GROUPS_LMEMBER; rc == 0 && l <= GROUPS_LUIDS; l++)
			if (counted(w->via, l))
				rc = diff_list(g, w, l, old, new);
		if (rc == 0 && dn != w->target &&
		    (!known || ((w->via & GROUPS_VIA_MEMBEROF) &&
		    lost_parent(w, old, new))))
			rc = groups_keyvec_push(&g->suspects, dn);
	} else if (known) {
		/* Not in: a way in is new, or it is newly known. */
		if (way_in(g, w, dn))
			rc = groups_keyvec_push(&g->queue, dn);
	}
	if (rc == 0)
		rc = bring_in(g, w);
	if (rc == 0 && g->suspects.n > 0)
		rc = take_out(g, w);
	return rc;
}

/* log_forget - empty the log, giving back what a burst took */
static void
log_forget(struct groups_closure *w)
{
	if (w->nlog == 0)
		return;
	if (w->caplog > 1024 && w->nlog * 8 < w->caplog) {
		free(w->log);
		w->log = NULL;
		w->caplog = 0;
		hmap_free(&w->logged);
	} else {
		hmap_clear(&w->logged);
	}
	w->nlog = 0;
}

/* groups_watch_clear - release what a watch holds */
void
groups_watch_clear(struct groups_closure *w)
{
	hmap_free(&w->closure);
	hmap_free(&w->dns);
	hmap_free(&w->uids);
	hmap_free(&w->logged);
	free(w->log);
	memset(w, 0, sizeof *w);
}

/* watch_build - w's closure from scratch */
static int
watch_build(struct groups *g, struct groups_closure *w)
{
	int rc;

	hmap_free(&w->closure);
	hmap_free(&w->dns);
	hmap_free(&w->uids);
	log_forget(w);
	w->quiet = 1;
	g->queue.n = 0;
	rc = groups_keyvec_push(&g->queue, w->target);
	rc = rc ? rc : bring_in(g, w);
	w->quiet = 0;
	return rc;
}

/* watch_ready - rebuild a watch whose upkeep failed */
static int
watch_ready(struct groups *g, struct groups_closure *w)
{
	int rc;

	if (!w->stale)
		return 0;
	if ((rc = watch_build(g, w)) < 0)
		return rc;
	w->stale = 0;
	w->rebuilt = 1;
	return 0;
}

/* groups_watch_upkeep - every watch after the group dn went from old
 * to new */
void
groups_watch_upkeep(struct groups *g, uint64_t dn, const struct groups_rec *old,
    const struct groups_rec *new, int known)
{
	size_t i;

	for (i = 0; i < g->nw; i++)
		if (!g->w[i].stale &&
		    upkeep(g, &g->w[i], dn, old, new, known) < 0)
			g->w[i].stale = 1;
}

/* groups_watch_known - note, before dn is put for the first time or removed,
 * the memberOf standing of dn where a known group's memberOf is not
 * consulted */
void
groups_watch_known(struct groups *g, uint64_t dn)
{
	struct groups_closure *w;
	size_t i;

	for (i = 0; i < g->nw; i++) {
		w = &g->w[i];
		if (!w->stale && (w->via & ~GROUPS_VIA_MEMBEROF) &&
		    touch_group(g, w, dn) < 0)
			w->stale = 1;
	}
}

/* groups_watch - the watch of (target, via), made on first use */
int
groups_watch(struct groups *g, uint64_t target, unsigned via,
    size_t *handle)
{
	struct groups_closure *w;
	size_t i;
	int rc;

	if (g == NULL || handle == NULL)
		return ERR_INVAL;
	via &= GROUPS_VIA_ANY;
	for (i = 0; i < g->nw; i++)
		if (g->w[i].target == target && g->w[i].via == via) {
			*handle = i;
			return 0;
		}
	if (vec_grow((void **)&g->w, &g->capw, g->nw, sizeof *g->w) < 0)
		return ERR_NOMEM;
	w = &g->w[g->nw];
	memset(w, 0, sizeof *w);
	w->target = target;
	w->via = via;
	if ((rc = watch_build(g, w)) < 0) {
		groups_watch_clear(w);
		return rc;
	}
	*handle = g->nw++;
	return 0;
}

/* groups_contains - the question, for one user */
int
groups_contains(struct groups *g, size_t handle,
    const struct groups_keys *k)
{
	struct groups_closure *w;
	uint64_t mo;
	size_t i;
	int rc;

	if (g == NULL || k == NULL || handle >= g->nw)
		return ERR_INVAL;
	w = &g->w[handle];
	if ((rc = watch_ready(g, w)) < 0)
		return rc;
	for (i = 0; w->uids.count > 0 && i < k->nuids; i++)
		if (count_of(&w->uids, k->uids[i]) > 0)
			return 1;
	if (k->dn != 0 && count_of(&w->dns, k->dn) > 0)
		return 1;
	if (!(w->via & GROUPS_VIA_MEMBEROF))
		return 0;
	for (i = 0; i < k->nmemberof; i++) {
		if ((mo = k->memberof[i]) == 0)
			continue;
		/* A group put says itself who is in it: memberOf is kept
		 * by an overlay whose updates a change feed does not
		 * always carry, so it can lag. */
		if ((w->via & ~GROUPS_VIA_MEMBEROF) &&
		    groups_slot(g, mo) != HMAP_NONE)
			continue;
		if (cl_state(w, mo) != HMAP_NONE || count_of(&w->dns, mo) > 0)
			return 1;
	}
	return 0;
}

/* log_keep - keep the crossings from at on, for the next drain */
static void
log_keep(struct groups_closure *w, size_t at)
{
	size_t i;

	memmove(w->log, w->log + at, (w->nlog - at) * sizeof *w->log);
	w->nlog -= at;
	/* As many as were indexed: the slots are there. */
	hmap_clear(&w->logged);
	for (i = 0; i < w->nlog; i++)
		(void)hmap_put(&w->logged, log_hash(w->log[i].space,
		    w->log[i].key), (uint32_t)i);
}

/* drain_watch - hand on what crossed in watch h */
static int
drain_watch(struct groups *g, size_t h, groups_drain_fn fn, void *ctx)
{
	static const int kinds[2][2] = {
		{ GROUPS_CROSS_DN, GROUPS_CROSS_GROUP },
		{ GROUPS_CROSS_UID, 0 } };
	struct groups_closure *w = &g->w[h];
	struct groups_crossing *c;
	unsigned char now;
	size_t i;
	int b, kind, rc;

	if (w->rebuilt && fn != NULL &&
	    (rc = fn(ctx, h, GROUPS_CROSS_ALL, 0, 1)) < 0)
		return rc;
	w->rebuilt = 0;
	for (i = 0; fn != NULL && i < w->nlog; i++) {
		c = &w->log[i];
		now = standings(g, w, c->space, c->key);
		for (b = 0; b < 2; b++) {
			kind = kinds[c->space == GROUPS_CROSS_UID][b];
			if (((now ^ c->was) >> b & 1) == 0 || kind == 0)
				continue;
			if ((rc = fn(ctx, h, kind, c->key, now >> b & 1)) < 0) {
				log_keep(w, i);
				return rc;
			}
			/* given: not given again if the next one fails */
			c->was ^= (unsigned char)(1 << b);
		}
	}
	log_forget(w);
	return 0;
}

/* groups_drain - the crossings since the last drain */
int
groups_drain(struct groups *g, groups_drain_fn fn, void *ctx)
{
	size_t h;
	int rc;

	if (g == NULL)
		return ERR_INVAL;
	for (h = 0; h < g->nw; h++)
		if ((rc = watch_ready(g, &g->w[h])) < 0 ||
		    (rc = drain_watch(g, h, fn, ctx)) < 0)
			return rc;
	return 0;
}

/* groups_work - the upkeep's steps so far */
uint64_t
groups_work(const struct groups *g)
{
	return g == NULL ? 0 : g->work;
}

