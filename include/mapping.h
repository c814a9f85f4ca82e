/*
 * mapping - XML mapping files compiled into rules
 *
 * A mapping file (mappings/mapping.rng, documented in docs/mapping.md)
 * says which directory entries are domains, groups and mailboxes, where
 * their addresses come from, and how each mailbox is routed. It is
 * validated against the schema compiled into the program, without
 * network access and without loading external entities or DTDs; any
 * error is reported as "file:line: what" and the mapping is refused.
 *
 * The data path evaluates entry views (entry.h) over the mapping's
 * attrset: each entry is classified once, then read as a domain, a
 * group (the hashes the groups store keeps) or a mailbox (borrowed from
 * a reusable scratch). A mailbox's route is decided as it is read when
 * no member-of condition is involved; otherwise the entry gives the
 * results of its attribute conditions (the leaf mask) and its member
 * keys, and the route is decided once the groups are known
 * (mapping_route_decide). The functions on struct entry do the same
 * through a view of the entry.
 */
#ifndef SPLITSYNC_MAPPING_H
#define SPLITSYNC_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "attrset.h"
#include "diag.h"
#include "entry.h"
#include "groups.h"
#include "model.h"

/* what an entry is for the mapping; an entry may be several at once */
enum {
	MAPPING_DOMAIN = 1,
	MAPPING_GROUP = 2,
	MAPPING_MAILBOX = 4
};

/* A mailbox whose route waits for its groups (mapping_route_decide). */
#define MAPPING_ROUTE_PENDING 3

/* When a mailbox's note applies. */
enum {
	MAPPING_NOTE_ROUTED = 1,        /* the mailbox is routed (not none) */
	MAPPING_NOTE_NEXTHOP = 2        /* its nexthop applies to its route */
};

/* A problem of a mailbox entry that is reported only for some routes:
 * a refused external-addresses value (a routed mailbox), a refused
 * nexthop value (a nexthop that applies). Where is the mailbox's DN. */
struct mapping_note {
	unsigned when;                  /* MAPPING_NOTE_* */
	enum diag_level level;
	enum diag_kind kind;
	const char *what;
};

/* A mailbox entry as the mapping reads it; borrowed from the scratch
 * (and the view) until the next call on that scratch. */
struct mapping_mailbox {
	const char *id;                 /* the canonical id text: hex of a
	                                   binary id, a text id, or the DN */
	size_t idlen;
	int id_is_dn;                   /* 1: there was no usable id */
	const char *dn;
	const char *const *addresses;   /* lowercased, default first, each
	                                   once; not validated (the model
	                                   does) */
	size_t naddresses;
	const unsigned char *external;  /* NULL, or per address 1 =
	                                   external (partly external); for
	                                   a routed mailbox only */
	int route;                      /* enum route_kind, or
	                                   MAPPING_ROUTE_PENDING */
	uint64_t leaves;                /* the attribute conditions' results,
	                                   for mapping_route_decide */
	struct groups_keys keys;        /* with a pending route: the member
	                                   keys its member-of leaves need */
	const char *nexthop;            /* from the nexthop attribute, or
	                                   NULL; for a route where
	                                   mapping_nexthop_applies */
	const struct mapping_note *notes; /* to report once the route is
	                                   known (mapping_notes_emit) */
	size_t nnotes;
};

struct mapping;
struct mapping_scratch;

/* mapping_load - parse, validate and compile path into *out (caller
 * frees with mapping_free). ERR_NOINPUT when the file is missing or
 * unreadable, ERR_CONFIG when it is not a regular file of at most 4 MiB
 * (file.h) or is invalid (file:line in d), ERR_UNAVAIL when it changed
 * while read, ERR_NOMEM, ERR_BUG when the built-in schema is unusable. */
int mapping_load(const char *path, struct mapping **out, struct diag *d);
void mapping_free(struct mapping *m);
/* mapping_filter - one search filter that selects every entry the
 * mapping uses (domains, groups, mailboxes); borrowed */
const char *mapping_filter(const struct mapping *m);
/* mapping_attributes - the attributes to request, NULL-terminated,
 * entryUUID included; borrowed */
const char *const *mapping_attributes(const struct mapping *m);
/* mapping_domain_count, mapping_domain_at - domains written in the
 * mapping file itself; borrowed */
size_t mapping_domain_count(const struct mapping *m);
const struct domain_spec *mapping_domain_at(const struct mapping *m,
    size_t i);
/* mapping_attrset - every attribute the mapping reads, numbered: the
 * set a source builds views over; borrowed */
const struct attrset *mapping_attrset(const struct mapping *m);

/* mapping_scratch_new - a scratch for the mapping_*_from_view calls
 * that lend their results (caller frees with mapping_scratch_free);
 * it grows to the largest entry and is reused. ERR_NOMEM */
int mapping_scratch_new(struct mapping_scratch **out);
void mapping_scratch_free(struct mapping_scratch *s);

/* mapping_classify_view - MAPPING_* bits for v (0: not used), each of
 * the mapping's filters evaluated once; v over mapping_attrset(m) */
unsigned mapping_classify_view(const struct mapping *m,
    const struct entry_view *v);
/* mapping_domain_from_view - fill *out (caller clears with
 * domain_spec_clear) from a domain entry. ERR_DATA when the entry
 * yields no usable domain (reported with its DN), ERR_BUG when the
 * mapping has no <domains>, ERR_NOMEM. */
int mapping_domain_from_view(const struct mapping *m,
    const struct entry_view *v, struct domain_spec *out, struct diag *d);
/* mapping_group_from_view - a group entry as the hashes the groups
 * store keeps (member and uniqueMember, its "#'...'B" stripped, and
 * memberOf as dn_hash of their DNs, memberUid as hash64 of the values;
 * values that are no DN, hold a NUL byte or are empty left out; each
 * list sorted, each hash once), borrowed from s until its next use.
 * out->dn is DN_HASH_NONE when the entry's DN names nothing: there is
 * no group to keep. ERR_NOMEM */
int mapping_group_from_view(const struct mapping *m,
    struct mapping_scratch *s, const struct entry_view *v,
    struct groups_entry *out);
/* mapping_mailbox_from_view - a mailbox entry into *out, borrowed from
 * s until its next use: id, addresses (prefixes stripped, lowercased,
 * default first, duplicates removed), external flags, nexthop, and the
 * route, or MAPPING_ROUTE_PENDING with the leaf mask and member keys
 * when a member-of leaf decides. Unusable values are reported with the
 * DN in d, except those reported only for some routes (out->notes).
 * ERR_NOMEM */
int mapping_mailbox_from_view(const struct mapping *m,
    struct mapping_scratch *s, const struct entry_view *v,
    struct mapping_mailbox *out, struct diag *d);

/* mapping_member_leaf_count - the member-of leaves: 0 means every route
 * is decided as the entry is read */
size_t mapping_member_leaf_count(const struct mapping *m);
/* mapping_member_leaf - leaf i: the dn_hash of its group's DN and the
 * ways (GROUPS_VIA_*) membership counts by */
void mapping_member_leaf(const struct mapping *m, size_t i,
    uint64_t *group, unsigned *via);
/* mapping_member_leaf_dn - leaf i's group DN, normalized; borrowed */
const char *mapping_member_leaf_dn(const struct mapping *m, size_t i);
/* mapping_route_decide - the route (enum route_kind) of a mailbox with
 * the attribute results leaves, once member(ctx, i) can say whether it
 * is in member-of leaf i's group (1 or 0); member is asked only what
 * the decision needs. A negative return of member is returned. */
int mapping_route_decide(const struct mapping *m, uint64_t leaves,
    int (*member)(void *ctx, size_t leaf), void *ctx);
/* mapping_nexthop_applies - 1 when a mailbox's nexthop attribute is
 * used for route, else 0 */
int mapping_nexthop_applies(const struct mapping *m, int route);
/* mapping_note_applies - 1 when note n is to be reported for a mailbox
 * routed route, else 0 */
int mapping_note_applies(const struct mapping *m,
    const struct mapping_note *n, int route);
/* mapping_notes_emit - add the notes that apply for route to d, with
 * where dn, in their order */
void mapping_notes_emit(const struct mapping *m,
    const struct mapping_note *notes, size_t n, const char *dn, int route,
    struct diag *d);

/* The same on a struct entry, through a view of it. */

/* mapping_classify - MAPPING_* bits for e (0: not used) */
unsigned mapping_classify(const struct mapping *m, const struct entry *e);
/* mapping_domain_from_entry - fill *out (caller clears with
 * domain_spec_clear) from a domain entry. ERR_DATA when the entry yields
 * no usable domain (reported with its DN), ERR_BUG when the mapping
 * has no <domains> (see mapping_classify), ERR_NOMEM. */
int mapping_domain_from_entry(const struct mapping *m, const struct entry *e,
    struct domain_spec *out, struct diag *d);
/* mapping_mailbox_from_entry - fill *out (caller clears with
 * mailbox_spec_clear) from a mailbox entry: id, DN, addresses (prefixes
 * stripped, lowercased, default first, duplicates removed), routing
 * decided by the rules, group membership answered by g, nexthop
 * override, partly external addresses. Values that cannot be used are
 * reported with the DN and skipped. g may be NULL (no group entries:
 * only the entry's own memberOf counts). ERR_NOMEM, or the error
 * groups_is_member() returned. */
int mapping_mailbox_from_entry(const struct mapping *m, const struct entry *e,
    struct groups *g, struct mailbox_spec *out, struct diag *d);

#endif
