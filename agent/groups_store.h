/*
 * groups_store - the groups module's own types
 *
 * Shared by the files of the groups module (groups.c: the groups as
 * kept; groups_watch.c: the watches and their upkeep; groups_entry.c:
 * the entry adapters) and included by nothing else: the callers see
 * groups.h, where struct groups is opaque.
 */
#ifndef SPLITSYNC_GROUPS_STORE_H
#define SPLITSYNC_GROUPS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "groups.h"
#include "hmap.h"
#include "vec.h"

/* The lists of a group, in the order they are kept. */
enum {
	GROUPS_LMEMBER,
	GROUPS_LUNIQUE,
	GROUPS_LUIDS,
	GROUPS_LMEMBEROF,
	GROUPS_NLISTS
};

/* A closure member's state: in, or taken out while a suspect is
 * examined (it may come back before the change is over). */
enum { GROUPS_IN = 0, GROUPS_PENDING = 1 };

/* A group as kept: each list sorted, each value once, no 0. */
struct groups_rec {
	uint64_t dn;            /* 0: a free slot */
	uint64_t *keys;         /* the four lists, one after the other */
	uint32_t n[GROUPS_NLISTS];
};

/* One key noted in a watch's log, with its standings when first seen
 * (standings()). */
struct groups_crossing {
	uint64_t key;
	unsigned char space;    /* GROUPS_CROSS_DN or GROUPS_CROSS_UID */
	unsigned char was;
};

/* A watch: one target and ways, its closure kept up to date. */
struct groups_closure {
	uint64_t target;
	unsigned via;
	int stale;              /* upkeep ran out of memory: rebuild */
	int rebuilt;            /* drain says GROUPS_CROSS_ALL */
	int quiet;              /* being built: nothing is logged */
	struct hmap closure;    /* group DN -> GROUPS_IN or GROUPS_PENDING */
	struct hmap dns;        /* member DN -> listings by the closure */
	struct hmap uids;       /* memberUid value -> listings */
	struct groups_crossing *log;
	size_t nlog;
	size_t caplog;
	struct hmap logged;     /* (space, key) -> position in log */
};

/* Keys to visit, reused from one change to the next. */
struct groups_keyvec {
	uint64_t *v;
	size_t n;
	size_t cap;
};

/* A group DN as an adapter asked it, and its watch. */
struct groups_asked {
	char *dn;
	unsigned via;
	size_t handle;
};

struct groups {
	struct groups_rec *v;
	size_t n;
	size_t cap;
	uint32_t *spare;        /* slots of v freed by groups_remove */
	size_t nspare;
	size_t capspare;
	struct hmap index;      /* DN -> slot */
	struct hmap parents;    /* memberOf DN -> slot of a group naming it */
	struct groups_closure *w;       /* the watches, by handle */
	size_t nw;
	size_t capw;
	struct groups_keyvec queue;     /* groups to bring in */
	struct groups_keyvec suspects;  /* groups that lost a way in */
	struct groups_keyvec out;       /* groups taken out, to examine */
	struct groups_keyvec sorting;   /* room for groups.c's sort */
	uint64_t work;                  /* groups_work */
	struct groups_asked *asked;     /* groups_entry.c's, freed here */
	size_t nasked;
	size_t capasked;
};

/* groups_list - list l of a group */
static inline const uint64_t *
groups_list(const struct groups_rec *gr, int l)
{
	const uint64_t *p = gr->keys;
	int i;

	for (i = 0; i < l; i++)
		p += gr->n[i];
	return p;
}

/* groups_slot - the slot of the group dn, or HMAP_NONE */
static inline uint32_t
groups_slot(const struct groups *g, uint64_t dn)
{
	return dn == 0 ? HMAP_NONE : hmap_find(&g->index, dn, NULL, NULL,
	    NULL);
}

/* groups_keyvec_push - one more key; ERR_NOMEM */
static inline int
groups_keyvec_push(struct groups_keyvec *kv, uint64_t key)
{
	if (vec_grow((void **)&kv->v, &kv->cap, kv->n, sizeof *kv->v) < 0)
		return ERR_NOMEM;
	kv->v[kv->n++] = key;
	return 0;
}

/* groups_watch_upkeep - bring every watch up to date after the group
 * dn went from old to new (new has no lists when known is 0, the group
 * removed); a watch that runs out of memory is marked for a rebuild */
void groups_watch_upkeep(struct groups *g, uint64_t dn,
    const struct groups_rec *old, const struct groups_rec *new, int known);
/* groups_watch_known - note, before dn is put for the first time or
 * removed, what that changes for the watches (same failure rule) */
void groups_watch_known(struct groups *g, uint64_t dn);
/* groups_watch_clear - release what one watch holds */
void groups_watch_clear(struct groups_closure *w);

#endif
