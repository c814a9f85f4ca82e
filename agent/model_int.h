/*
 * model_int - what the files of the model module share
 *
 * The model is filled (model.c: domains, mailboxes and their claims;
 * the read-only accessors) and built (model_build.c: pending routes
 * decided, addresses checked and sorted into slots, contested ones
 * resolved). This header is theirs alone: the rest of the tree sees
 * model.h.
 */
#ifndef SPLITSYNC_MODEL_INT_H
#define SPLITSYNC_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hmap.h"
#include "model.h"

#define NONE MODEL_NONE
#define MAX_DOMAINS 65535       /* a claim names its domain in 16 bits */

/* How a mailbox's id is kept. */
enum { ID_TEXT, ID_DN, ID_UUID, ID_HEX16 };

/* Claim flags. */
#define C_EXT_GIVEN 1           /* per-address flags were given */
#define C_EXT 2                 /* ... and this one is external */
#define C_VALID 4               /* built: a routed address */
#define C_LOST 8                /* resolved: lost a conflict */

struct claim {
	uint32_t addr;          /* in m->text */
	uint32_t mbox;
	uint16_t dom;           /* built: its domain, in the order added */
	uint8_t route;          /* built: the route of this address */
	uint8_t flags;
};

struct mbox {
	union {
		unsigned char bin[16];
		uint32_t text;          /* ID_TEXT: in m->text */
	} id;
	uint32_t dn;            /* in m->text */
	uint32_t nexthop;       /* in m->hops: the checked override, 0 */
	uint32_t first;         /* its claims */
	uint32_t nclaims;
	uint32_t def;           /* resolved: the slot of its default
	                           address, NONE */
	uint32_t pend;          /* a pending route's record, NONE */
	uint8_t idkind;
	uint8_t route;          /* enum route_kind, or pending */
};

/* What a pending route is decided from, until the build. */
struct pending {
	uint64_t leaves;
	uint64_t dnkey;
	uint32_t keys;          /* memberOf, then uid hashes in m->keys */
	uint32_t nmemberof, nuids;
	uint32_t notes, nnotes; /* in m->notes */
	uint32_t nexthop;       /* in m->hops: the value, unchecked; 0 */
};

struct note_rec {
	unsigned when;
	uint8_t level, kind;
	uint32_t what;          /* in m->text */
};

/* A mailbox with more addresses than max_addresses. */
struct excess {
	uint32_t mbox;
	uint32_t total;
	uint32_t from;          /* in m->text: the first one refused */
};

struct dom {
	struct domain_spec spec;        /* owned copy */
	struct model_domain view;
	uint32_t relay, local;          /* in m->hops; 0: none */
};

struct name_index {
	const char *name;               /* borrowed from a dom */
	size_t dom;
};

/* A slot's final route, computed once resolved: renderers read every
 * slot a few times, in order. */
struct fin {
	uint32_t hop;           /* in m->hops; 0: default transport */
	uint32_t alias;         /* the slot of the default address it shares
	                           its route with, NONE */
	uint16_t dom;           /* model_domain_at index */
	uint8_t route;
	uint8_t len;            /* of the address; 0: longer than 255 */
};

/* A contested address: its slot and its claims, sorted by id. */
struct group {
	uint32_t slot;
	uint32_t first;         /* in m->rivals */
	uint32_t n;
};

struct model {
	char **transports;
	size_t ntransports;
	struct dom *doms;
	size_t ndoms, capdoms;
	struct name_index *names;       /* every name and alias */
	size_t nnames, capnames;
	int names_sorted;
	uint32_t *dom_order;            /* built: by name -> as added */
	uint32_t *dom_rank;             /* built: as added -> by name */
	struct arena text;              /* addresses, DNs, ids, notes */
	struct strtab hops;             /* nexthops */
	struct mbox *mboxes;
	size_t nmboxes, capmboxes;
	struct claim *claims;
	size_t nclaims, capclaims;
	struct pending *pend;
	size_t npend, cappend;
	uint64_t *keys;
	size_t nkeys, capkeys;
	struct note_rec *notes;
	size_t nnotes, capnotes;
	struct excess *excess;          /* by mailbox */
	size_t nexcess, capexcess;
	uint32_t *view;                 /* built: per slot, a claim of its
	                                   address; resolved: the owner's */
	size_t nview;
	struct fin *final;              /* resolved: per slot */
	struct hmap index;              /* hash of an address -> its slot */
	struct group *groups;           /* by slot */
	size_t ngroups, capgroups;
	uint32_t *rivals;
	size_t nrivals, caprivals;
	size_t nkept;                   /* mailboxes with an address */
	size_t max_addresses;           /* per mailbox; 0: no limit */
	struct model_decider dec;
	int has_dec;
	int built, resolved;
};

/* An address looked up by its hash (model_slot_eq's key). */
struct model_addr_key {
	const char *s;
	size_t len;
};

struct diag;

/* Shared by model.c and model_build.c. */
/* model_drop_pending - release what pending routes were decided from */
void model_drop_pending(struct model *m);
/* model_sort_names - sort the name index once domains are complete */
void model_sort_names(struct model *m);
/* model_find_name - index of the domain managing name, or -1 */
long model_find_name(const struct model *m, const char *name);
/* model_check_nexthop - 0 when nexthop is acceptable; reports in d
 * otherwise (ERR_INVAL) */
int model_check_nexthop(const struct model *m, const char *nexthop,
    const char *what, const char *where, struct diag *d);
/* model_id_of - the id of mailbox mb: borrowed, or written to buf */
const char *model_id_of(const struct model *m, const struct mbox *mb,
    char buf[MODEL_ID_MAX]);
/* model_slot_eq - hmap equality: the address of slot val is key (a
 * struct model_addr_key), ctx the model */
int model_slot_eq(uint32_t val, const void *key, void *ctx);

#endif
