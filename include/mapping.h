/*
 * mapping - XML mapping files compiled into rules
 *
 * A mapping file (mappings/mapping.rng, documented in docs/mapping.md)
 * says which directory entries are domains, groups and mailboxes, where
 * their addresses come from, and how each mailbox is routed. It is
 * validated against the schema compiled into the program, without
 * network access and without loading external entities or DTDs; any
 * error is reported as "file:line: what" and the mapping is refused.
 */
#ifndef SPLITSYNC_MAPPING_H
#define SPLITSYNC_MAPPING_H

#include <stddef.h>
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

struct mapping;

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
