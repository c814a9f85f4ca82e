/*
 * hstore - groups kept as the hashes mapping_group_from_view gives,
 * and membership answered from them as groups.h defines it
 *
 * A reference for the tests, written for clarity (every look-up a
 * scan): nested groups through member, uniqueMember and memberOf,
 * memberUid, cycles, and the rule that a memberOf value naming a group
 * whose entry is known is not consulted when other ways are allowed.
 * Allocation failures fail the test (Check).
 */
#ifndef SPLITSYNC_TESTS_HSTORE_H
#define SPLITSYNC_TESTS_HSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "groups.h"

/* One group as the hashes mapping_group_from_view gives. */
struct hgroup {
	uint64_t dn;
	uint64_t *lists[4];     /* member, uniqueMember, memberUid, memberOf */
	size_t n[4];
};

/* Groups kept as hashes: what the groups store is asked. */
struct hstore {
	struct hgroup *v;
	size_t n;
};

#define HSTORE_INIT { NULL, 0 }

/* hstore_free - release the groups; the store is empty again */
void hstore_free(struct hstore *hs);
/* hstore_find - the group whose DN hashes to h, or NULL */
const struct hgroup *hstore_find(const struct hstore *hs, uint64_t h);
/* hstore_put - keep a copy of a group's hashes (one whose DN is
 * DN_HASH_NONE is not kept); its DN again replaces it */
void hstore_put(struct hstore *hs, const struct groups_entry *ge);
/* hstore_member - 1 when the member keys are in group target by the
 * ways in via (GROUPS_VIA_*), nested groups included, else 0 */
int hstore_member(const struct hstore *hs, const struct groups_keys *keys,
    uint64_t target, unsigned via);

#endif
