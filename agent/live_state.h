/*
 * live_state - the insides of the live state (live.h)
 *
 * Shared by the two files of the live module, and by nothing else:
 * live.c (the state, its capture from a full build, what the next
 * commit writes) and live_batch.c (a batch of noted changes
 * recomputed and applied to it). Every array here is owned by the
 * struct live that holds it; rows are sorted by key.
 */
#ifndef SPLITSYNC_LIVE_STATE_H
#define SPLITSYNC_LIVE_STATE_H

#include <stddef.h>
#include "diag.h"
#include "entry.h"
#include "live.h"
#include "routes.h"

#define LIVE_MAX_NOTES 4096     /* a larger batch is rebuilt in full */
#define LIVE_MAX_ENTRIES 4096   /* entries recomputed for one batch */

struct live_lines {             /* one shard of a table: sorted lines */
	char **v;
	size_t n, cap;
};

struct live_rows {              /* one shard of the listing, by key */
	struct route_row **v;
	size_t n, cap;
};

struct live_lost {              /* a claim a conflict took away */
	char *address;
	char *id;
};

struct live_prob {              /* problems reported at one place */
	char *where;
	size_t rejected, conflicts;
};

struct live_dnslot {            /* the DN index: who has this DN */
	char *ndn;              /* NULL: empty */
	char *id;
};

struct live_pending {           /* a key changed since the commit */
	char *key;
	struct route_row *committed;    /* its row then; NULL: none */
};

struct live_noted {
	char *id;
	struct entry *old;      /* NULL: absent before */
};

struct live_family {            /* a domain and its alias domains */
	char **names;           /* names[0] the domain */
	size_t n;
};

struct live {
	int ready;
	char head[41];
	size_t nshards;                 /* tables and listing */
	size_t nstate;                  /* mirror shards */
	const char **tables;            /* static names from render */
	size_t ntables;
	struct live_lines *rows;        /* ntables * nshards */
	unsigned char *rows_dirty;
	struct live_rows *listing;      /* nshards */
	unsigned char *listing_dirty;
	unsigned char *state_dirty;     /* nstate */
	size_t nstate_dirty;
	int tables_changed;             /* since the last commit */
	struct groups *groups;
	struct domain_spec *domains;    /* from the directory, model order */
	size_t ndomains;
	struct live_family *families;
	size_t nfamilies;
	struct live_lost *lost;         /* by address, then id */
	size_t nlost, caplost;
	struct live_prob *probs;        /* by where */
	size_t nprobs, capprobs;
	size_t nrejected, nconflicts;
	size_t naddresses, nmodel_domains;
	size_t naddresses_committed;
	struct live_dnslot *dns;        /* normalized DN -> id, built on
	                                   the first group change */
	size_t capdns, ndns;
	struct live_pending *pending;   /* by key */
	size_t npending, cappending;
	struct live_noted *notes;
	size_t nnotes, capnotes;
	int overflow;
};

/* live_keyed_at - in a sorted array of items whose first member is
 * their char * key, the item of key, inserted zeroed with a copy of the
 * key when missing (*fresh set); NULL when memory runs out */
void *live_keyed_at(void **v, size_t *n, size_t *cap, size_t size,
    const char *key, int *fresh);
/* live_row_free - one listing row (NULL: nothing) */
void live_row_free(struct route_row *r);
/* live_row_copy - a deep copy of r (live_row_free), or NULL */
struct route_row *live_row_copy(const struct route_row *r);
/* live_reset - back to an empty, unready live (notes kept apart) */
void live_reset(struct live *l);
/* live_notes_clear - forget the noted changes */
void live_notes_clear(struct live *l);
/* live_listing_find - the row of key in its shard (borrowed), or NULL;
 * *shard its shard, *at where it is or would go */
struct route_row *live_listing_find(const struct live *l, const char *key,
    size_t *shard, size_t *at);
/* live_lost_cmp - lost claims by address, then id (for qsort) */
int live_lost_cmp(const void *a, const void *b);
/* live_lost_push - append a copy of one lost claim to *v (sorted
 * later). ERR_NOMEM */
int live_lost_push(struct live_lost **v, size_t *n, size_t *cap,
    const char *address, const char *id);
/* live_count_problems - items [from, d->count) of d into the counters
 * per place. ERR_NOMEM */
int live_count_problems(struct live *l, const struct diag *d, size_t from);
/* live_pending_at - the pending entry of key, created when missing
 * (NULL: no memory; *fresh when new) */
struct live_pending *live_pending_at(struct live *l, const char *key,
    int *fresh);

#endif
