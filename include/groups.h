/*
 * groups - group entries and nested membership, on hashes
 *
 * A group is the hash of its normalised DN and the hashes of its
 * members (member, uniqueMember: normalised DNs; memberUid: values as
 * they are) and of its own memberOf DNs. The store answers "is this
 * user, given by its member keys, inside target group T by these
 * ways", nested groups included, cycles safe. For each target a caller
 * watches, the store keeps the closure (the groups nested in it, and
 * per member key how many of them list it) up to date as groups are
 * put and removed, at a cost proportional to what changed, and tells
 * which keys crossed in or out since it last asked.
 *
 * Keys are hash64 values (hash.h); equal hashes are equal keys. The
 * key 0 stands for a value that is not a DN and never matches: it is
 * ignored wherever it is given.
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
 * syncrepl does not always carry, so it can lag behind the group). The
 * same holds for any ways that include memberOf and another. */
enum {
	GROUPS_VIA_MEMBEROF = 1,
	GROUPS_VIA_MEMBER = 2,
	GROUPS_VIA_UNIQUEMEMBER = 4,
	GROUPS_VIA_MEMBERUID = 8,
	GROUPS_VIA_ANY = 15
};

/* What membership needs from one group entry, as hash64 values of
 * normalised DNs (dn.h) and of memberUid values as they are; borrowed
 * by the calls that take it. Order and repetition do not matter. */
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

/* What crossed into or out of a watched closure: whom it concerns. */
enum {
	GROUPS_CROSS_DN = 1,    /* a member DN: the user with that DN */
	GROUPS_CROSS_UID,       /* a memberUid value: users with that uid */
	GROUPS_CROSS_GROUP,     /* a group DN: users whose memberOf names it */
	GROUPS_CROSS_ALL        /* key 0: anyone (the closure was rebuilt) */
};

/* groups_drain_fn - one crossing of watch handle: key now counts
 * (in 1) or no longer counts (in 0); a negative return stops the
 * drain, which returns it */
typedef int (*groups_drain_fn)(void *ctx, size_t handle, int kind,
    uint64_t key, int in);

struct groups;

/* groups_new - an empty store into *out (groups_free); ERR_NOMEM,
 * ERR_INVAL */
int groups_new(struct groups **out);
/* groups_free - release the store and its watches; NULL is allowed */
void groups_free(struct groups *g);

/* groups_put - add the group e->dn, or replace the one with that hash
 * (e is copied). A DN of 0 is ignored. Every watched closure is
 * updated. ERR_NOMEM leaves the store as it was; a watch that runs
 * out of memory while it is brought up to date is rebuilt at its next
 * question (groups_contains, groups_drain), which returns the error
 * if it fails again. ERR_INVAL for NULL arguments. */
int groups_put(struct groups *g, const struct groups_entry *e);
/* groups_remove - forget the group with DN hash dn (no error when
 * there is none); watches as for groups_put. 0 or ERR_INVAL. */
int groups_remove(struct groups *g, uint64_t dn);
/* groups_has - 1 when a group with DN hash dn was put, else 0 */
int groups_has(const struct groups *g, uint64_t dn);

/* groups_watch - a handle for the questions "inside target by the
 * ways via" (masked with GROUPS_VIA_ANY), the same for the same
 * pair, valid until groups_free. The first call for a pair computes
 * its closure; from then on it is kept up to date. The target need
 * not have been put (0: a watch that never matches). ERR_NOMEM,
 * ERR_INVAL. */
int groups_watch(struct groups *g, uint64_t target, unsigned via,
    size_t *handle);
/* groups_contains - 1 when the user with keys k is inside the watch's
 * target, directly or through nested groups, by its ways; 0 when not
 * (a few hash look-ups per key); ERR_NOMEM (a rebuild, see
 * groups_put), ERR_INVAL for a handle groups_watch did not give. */
int groups_contains(struct groups *g, size_t handle,
    const struct groups_keys *k);
/* groups_drain - fn for every key whose standing in a watch changed
 * since the watch was made or last drained, each once, with its
 * standing now (a key that went out and came back is not given);
 * the crossings given are forgotten. A user's answer can only have
 * changed when one of its keys is given: its DN (GROUPS_CROSS_DN),
 * one of its uid values (GROUPS_CROSS_UID), one of its memberOf
 * values (GROUPS_CROSS_GROUP). fn NULL forgets them all. 0,
 * ERR_NOMEM (a rebuild), or fn's negative return (the crossing it
 * refused and those after it are kept). */
int groups_drain(struct groups *g, groups_drain_fn fn, void *ctx);
/* groups_work - steps the watches' upkeep has taken so far (closure
 * nodes visited, member counts changed): what a change cost, for
 * tests and measurements */
uint64_t groups_work(const struct groups *g);

/*
 * The entry-based interface, adapters over the store above for the
 * callers that still hold struct entry (mapping.c, live.c,
 * publish.c); they go once those callers hand over hashes. DNs are
 * normalised with entry_dn_normalize and hashed with hash64.
 */

/* groups_add - groups_put of entry e (member, uniqueMember, memberUid,
 * memberOf of every attribute of those base names); a DN that does not
 * parse is ignored. ERR_NOMEM, ERR_INVAL */
int groups_add(struct groups *g, const struct entry *e);
/* groups_is_member - 1 when e is a member of group_dn, directly or
 * through nested groups, by the ways in via; 0 when not (a group DN
 * that does not parse never has members); ERR_NOMEM, ERR_INVAL. The
 * first question for a (group_dn, via) watches it (groups_watch);
 * every question forgets the crossings (groups_drain without fn), as
 * a caller of this interface does not drain. */
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
