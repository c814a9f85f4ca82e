/*
 * groupkeys - the hashed forms of group and user entries, for the
 * suites that drive the groups store
 *
 * A DN is normalised with entry_dn_normalize and hashed with hash64;
 * a DN that does not parse, or normalises to "", hashes to 0 (never
 * matches). memberUid and uid values are hashed as they are, empty
 * ones left out. Every helper asserts (Check) on what must not fail.
 * The crossings groups_drain hands on are collected for comparison.
 */
#ifndef SPLITSYNC_TESTS_GROUPKEYS_H
#define SPLITSYNC_TESTS_GROUPKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "groups.h"

/* One entry's hashes; the arrays are owned (groupkeys_clear). */
struct groupkeys {
	struct groups_entry group;      /* for groups_put */
	struct groups_keys user;        /* for groups_contains */
	uint64_t *v[4];                 /* member, unique, uids, memberof */
	uint64_t *user_uids;
};

/* groupkeys_dn - hash64 of the normalised DN, 0 when it does not parse */
uint64_t groupkeys_dn(const char *dn);
/* groupkeys_uid - hash64 of a uid or memberUid value as it is */
uint64_t groupkeys_uid(const char *value);
/* groupkeys_of - both forms of e: as a group (member, uniqueMember
 * without its UID suffix, memberUid, memberOf) and as a user (DN,
 * memberOf, uid), every attribute of those base names */
void groupkeys_of(const struct entry *e, struct groupkeys *out);
void groupkeys_clear(struct groupkeys *k);

/* One crossing as groups_drain handed it on. */
struct groupkeys_cross {
	size_t handle;
	int kind;
	uint64_t key;
	int in;
};

/* The crossings of drains; zeroed to start, groupkeys_crossings_free. */
struct groupkeys_crossings {
	struct groupkeys_cross *v;
	size_t n;
	size_t cap;
	int refuse_at;          /* the call groupkeys_cross_fn refuses */
	int calls;
};

/* groupkeys_cross_fn - a groups_drain_fn noting each crossing in ctx,
 * a struct groupkeys_crossings; its call number refuse_at fails with
 * ERR_IO */
int groupkeys_cross_fn(void *ctx, size_t handle, int kind, uint64_t key,
    int in);
/* groupkeys_drain - c emptied, then the crossings of g now into it */
void groupkeys_drain(struct groups *g, struct groupkeys_crossings *c);
/* groupkeys_has - 1 when c holds that crossing exactly once */
int groupkeys_has(const struct groupkeys_crossings *c, size_t handle,
    int kind, uint64_t key, int in);
/* groupkeys_count - the crossings of one watch in c */
size_t groupkeys_count(const struct groupkeys_crossings *c, size_t handle);
void groupkeys_crossings_free(struct groupkeys_crossings *c);

#endif
