/*
 * groups - group entries and nested membership
 *
 * Holds what membership needs from each group entry (DN, member,
 * uniqueMember, memberUid, memberOf) and answers "is this entry a member
 * of that group", nested groups included, cycles safe. DNs are compared
 * in normalized form (entry_dn_normalize).
 */
#ifndef SPLITSYNC_GROUPS_H
#define SPLITSYNC_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/* How membership is found, as BlueMind's import does: memberOf on the
 * user, member or uniqueMember (DNs) or memberUid (uid values) on groups.
 * GROUPS_VIA_ANY tries them all, except that a memberOf value naming a
 * group whose own entry was added is not consulted: that group's member
 * lists are the truth (memberOf is kept by an overlay whose updates
 * syncrepl does not always carry, so it can lag behind the group). */
enum {
	GROUPS_VIA_MEMBEROF = 1,
	GROUPS_VIA_MEMBER = 2,
	GROUPS_VIA_UNIQUEMEMBER = 4,
	GROUPS_VIA_MEMBERUID = 8,
	GROUPS_VIA_ANY = 15
};

/* What membership needs from one group entry, as hash64 values of
 * normalised DNs (dn.h) and of memberUid values as they are; borrowed
 * by the calls that take it. */
struct groups_entry {
	uint64_t dn;                    /* the group's own DN */
	const uint64_t *member;         /* member */
	size_t nmember;
	const uint64_t *unique;         /* uniqueMember, "#'...'B" stripped */
	size_t nunique;
	const uint64_t *uids;           /* memberUid */
	size_t nuids;
	const uint64_t *memberof;       /* the group's own memberOf */
	size_t nmemberof;
};

/* Who asks: a user's member keys, the same hashes. */
struct groups_keys {
	uint64_t dn;                    /* its normalised DN */
	const uint64_t *memberof;       /* its memberOf DNs */
	size_t nmemberof;
	const uint64_t *uids;           /* its uid values */
	size_t nuids;
};

struct groups;

int groups_new(struct groups **out);
void groups_free(struct groups *g);
/* groups_add - remember a group entry (copied); a DN seen again replaces
 * the earlier one. ERR_NOMEM */
int groups_add(struct groups *g, const struct entry *e);
/* groups_is_member - 1 when e is a member of group_dn, directly or
 * through nested groups, by the ways in via; 0 when not; ERR_NOMEM.
 * Results for a group are cached until the next groups_add. */
int groups_is_member(struct groups *g, const char *group_dn,
    const struct entry *e, unsigned via);

/* groups_known - 1 when the normalized DN ndn names a group added */
int groups_known(const struct groups *g, const char *ndn);
/* groups_member_change - how a group entry changed from old to new (both
 * given): when only member and uniqueMember values differ, fn(ndn, ctx)
 * for each normalized member DN that is in one version and not the
 * other, and 0; 1 when anything else membership depends on changed (the
 * DN, memberUid, memberOf), without calling fn; ERR_NOMEM, or fn's
 * negative return. */
int groups_member_change(const struct entry *old, const struct entry *new,
    int (*fn)(const char *ndn, void *ctx), void *ctx);

#endif
