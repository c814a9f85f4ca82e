/*
 * model - the routing model: domains, mailboxes, addresses
 *
 * The mapping turns entries into domain specs and mailboxes; the model
 * validates them, keeps every address with exactly one owner, and
 * resolves each address to its final route. It is built in three
 * steps:
 *
 *	add     domains and mailboxes, in any order (a mailbox may come
 *	        before the domain of its addresses: they are checked at
 *	        build); a mailbox's route may be pending, decided at build
 *	        from its leaf mask and member keys by the decider given
 *	build   routes decided, values checked, addresses sorted; what no
 *	        previous commit can change (model_build)
 *	resolve each contested address to one owner: the one the previous
 *	        commit names, else the smallest id; again for another
 *	        previous commit whenever asked (model_resolve)
 *
 * model_finish does build and resolve at once. Renderers read the
 * finished model through the accessors below, which fill the caller's
 * structs with borrowed pointers, in sorted, stable order: the same
 * specs give the same model whatever the order they were added in.
 *
 * The store is compact: strings live in arenas (addresses, DNs) or are
 * interned (nexthops), an id in the form of a UUID or of 16 bytes in hex
 * is kept as its 16 bytes (their order is the order of the texts), an
 * address costs a claim of a dozen bytes beside its string, and the
 * routed addresses are found by a hash of their text.
 *
 * Nothing from an entry escapes its row: an address that is not a plain
 * RFC 5321 mailbox in a managed domain, or a nexthop that is not an
 * allowed transport with a valid host, is skipped and reported with the
 * entry's DN. Domain-wide keys come only from domain specs.
 */
#ifndef SPLITSYNC_MODEL_H
#define SPLITSYNC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "groups.h"

enum route_kind { ROUTE_NONE = 0, ROUTE_INTERNAL = 1, ROUTE_EXTERNAL = 2 };

#define MODEL_ROUTE_PENDING 3   /* decided at build (model_decider) */
#define MODEL_NONE UINT32_MAX   /* no slot, no mailbox */
#define MODEL_ID_MAX 40         /* a binary id as text, with its NUL */

/* What one domain is, from the mapping file or from a directory entry.
 * All strings owned by the spec (free with domain_spec_clear). */
struct domain_spec {
	char *name;             /* "example.com" */
	char **aliases;         /* alias domains */
	size_t naliases;
	char *relay;            /* split relay nexthop, "smtp:[host]:25"; NULL */
	int forward_unknown;    /* unknown recipients go to the relay */
	char *local;            /* local delivery nexthop; NULL: default */
	char *origin;           /* "file:line" or the entry's DN */
};

/* What the mapping extracted from one mailbox entry, not yet validated.
 * All strings owned by the spec (free with mailbox_spec_clear). */
struct mailbox_spec {
	char *id;               /* entryUUID, else the DN */
	char *dn;
	char **addresses;       /* lowercased, the default address first */
	size_t naddresses;
	enum route_kind route;
	char *nexthop;          /* per-mailbox nexthop override for the
	                           addresses that follow route, or NULL */
	unsigned char *external;/* NULL: every address follows route; else,
	                           for a routed mailbox, per address 1 =
	                           external, 0 = internal (partly external) */
};

void domain_spec_clear(struct domain_spec *d);
void mailbox_spec_clear(struct mailbox_spec *m);

/* A problem of a mailbox reported only once its route is known (the
 * mapping's notes): when says for which routes, as the decider's
 * note_applies reads it. */
struct model_note {
	unsigned when;
	enum diag_level level;
	enum diag_kind kind;
	const char *what;
};

/* One mailbox as the mapping reads it; everything borrowed for the
 * call of model_add. */
struct model_mailbox {
	const char *id;                 /* the id text; the DN when
	                                   id_is_dn */
	size_t idlen;
	int id_is_dn;
	const char *dn;
	const char *const *addresses;   /* default first */
	size_t naddresses;
	const unsigned char *external;  /* NULL, or per address 1 =
	                                   external */
	int route;                      /* enum route_kind, or
	                                   MODEL_ROUTE_PENDING */
	const char *nexthop;            /* a route given: the nexthop for
	                                   it, or NULL; pending: the value,
	                                   used when it applies to the route
	                                   decided */
	uint64_t leaves;                /* pending: the decider's input */
	const struct groups_keys *keys;
	const struct model_note *notes; /* pending: reported once decided */
	size_t nnotes;
};

/* How pending routes are decided, at build (the builder's: it knows
 * the mapping and the groups). route returns an enum route_kind or a
 * negative error, which model_build returns. */
struct model_decider {
	int (*route)(void *ctx, uint64_t leaves, const struct groups_keys *k);
	int (*nexthop_applies)(void *ctx, int route);
	int (*note_applies)(void *ctx, const struct model_note *n, int route);
	void *ctx;
};

/* A managed domain as the renderers see it. Borrowed from the model. */
struct model_domain {
	const char *name;
	const char *const *aliases;     /* sorted */
	size_t naliases;
	const char *relay;              /* NULL: none */
	int forward_unknown;
	const char *local;              /* NULL: default transport */
	const char *origin;
	uint32_t relay_hop;             /* relay and local as nexthop
	                                   references (0: none) */
	uint32_t local_hop;
};

/* One routed address, final; filled by model_address_at, its pointers
 * borrowed from the model (id may point into id_text: the struct is
 * not to be copied). */
struct model_address {
	const char *address;
	const char *domain;             /* managing domain (primary name) */
	enum route_kind route;          /* INTERNAL or EXTERNAL, never NONE */
	const char *nexthop;            /* NULL: default transport */
	const char *alias_of;           /* the mailbox's default address when
	                                   this one shares its route, else NULL */
	const char *id;
	const char *dn;
	char id_text[MODEL_ID_MAX];
};

/* One routed address by reference, for renderers (no id, no DN). */
struct model_route {
	const char *address;
	size_t len;                     /* of address */
	size_t local;                   /* bytes before its '@' */
	uint32_t domain;                /* model_domain_at index of the
	                                   managing domain */
	enum route_kind route;
	uint32_t nexthop;               /* 0: default transport, else
	                                   model_nexthop_text */
	uint32_t alias_of;              /* slot of the default address it
	                                   shares its route with, or
	                                   MODEL_NONE */
	uint32_t mailbox;               /* its owner */
};

struct model;

/* model_new - empty model whose nexthops may use only the given
 * transports (e.g. "smtp", "lmtp"); the array is copied. ERR_NOMEM */
int model_new(struct model **out, const char *const *transports,
    size_t ntransports);
void model_free(struct model *m);
/* model_set_max_addresses - at most max addresses of each mailbox
 * added from now on are considered (0, the default: no limit); the
 * rest are refused, reported once per mailbox with its DN and their
 * number (counted as that many refused values) */
void model_set_max_addresses(struct model *m, size_t max);
/* model_set_decider - how pending routes are decided (copied; its ctx
 * borrowed until the build) */
void model_set_decider(struct model *m, const struct model_decider *dec);
/* model_add_domain - validate and copy a domain. A name already managed,
 * an invalid name or local nexthop refuses the spec (ERR_DATA, reported
 * with the spec's origin); an invalid relay is dropped and
 * forward-unknown without a relay is turned off, both reported.
 * ERR_NOMEM. ERR_INVAL once the model is built. */
int model_add_domain(struct model *m, const struct domain_spec *spec,
    struct diag *d);
/* model_add - keep a mailbox (copied). A known route's nexthop is
 * checked now (a bad one is reported with the DN and dropped); its
 * addresses are checked at build, against the domains then known. A
 * mailbox routed none is not kept. 0, ERR_NOMEM; ERR_INVAL once
 * built or for a mailbox without a DN. */
int model_add(struct model *m, const struct model_mailbox *mb,
    struct diag *d);
/* model_add_mailbox - model_add of a spec (its route given) */
int model_add_mailbox(struct model *m, const struct mailbox_spec *spec,
    struct diag *d);
/* model_build - decide pending routes (reporting the notes that apply
 * and checking the nexthop that applies), check every address in the
 * order mailboxes were added (bad ones, and those beyond
 * max_addresses, reported with the DN and skipped; a mailbox with
 * none left reported and dropped), sort the addresses. No domain or
 * mailbox may be added afterwards. ERR_NOMEM, ERR_INVAL (built
 * already), ERR_BUG (a pending route without a decider), or the
 * decider's error. */
int model_build(struct model *m, struct diag *d);
/* model_owner_fn - who owned address in the last commit (an id), or
 * NULL; used to keep existing routes on conflicts. The string is
 * borrowed until the next call. */
typedef const char *(*model_owner_fn)(const char *address, void *ctx);
/* model_resolve - one owner per address of a built model: the
 * previous owner keeps the address, found by its id, or failing that
 * by an id that is the hex of the other's bytes; else the smallest id;
 * owner is asked about contested addresses only (NULL: nobody owned
 * anything). Each conflict is reported with both DNs, in address
 * order, then each external address whose domain has no relay. May be
 * called again (another previous commit): it starts over. ERR_INVAL
 * when not built. */
int model_resolve(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d);
/* model_finish - model_build then model_resolve. ERR_INVAL when built
 * already; errors as those. */
int model_finish(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d);

/* model_domain_count, model_domain_at - the domains; sorted by name once
 * the model is built, in the order they were added before */
size_t model_domain_count(const struct model *m);
const struct model_domain *model_domain_at(const struct model *m, size_t i);
/* model_domain_find - the domain that manages name (itself or as an
 * alias domain), or NULL */
const struct model_domain *model_domain_find(const struct model *m,
    const char *name);
/* model_transports - the transports a nexthop may use (borrowed, as
 * given to model_new); their number in *n */
const char *const *model_transports(const struct model *m, size_t *n);

/* The routed addresses of a resolved model, by slot 0..count-1 in
 * address order. */
size_t model_address_count(const struct model *m);
/* model_address_at - slot i into *out; ERR_INVAL (out untouched) for a
 * slot out of range or a model not resolved */
int model_address_at(const struct model *m, size_t i,
    struct model_address *out);
/* model_route_at - slot i by reference into *out; ERR_INVAL as above */
int model_route_at(const struct model *m, size_t i, struct model_route *out);
/* model_slot_address - the address of slot i (in range), borrowed */
const char *model_slot_address(const struct model *m, size_t i);
/* model_slot_len - the length of slot i's address (in range, resolved) */
size_t model_slot_len(const struct model *m, size_t i);
/* model_slot_domain - the model_domain_at index of the domain managing
 * slot i (in range, resolved) */
uint32_t model_slot_domain(const struct model *m, size_t i);
/* model_find - the slot of the routed address of len bytes at address,
 * or MODEL_NONE */
uint32_t model_find(const struct model *m, const char *address,
    size_t len);
/* model_nexthop_text - the nexthop a model_route names (ref not 0) */
const char *model_nexthop_text(const struct model *m, uint32_t ref);

/* The mailboxes, by index 0..model_mailbox_total-1 in the order added
 * (none-routed ones are not kept). */
size_t model_mailbox_total(const struct model *m);
/* model_mailbox_count - mailboxes that kept at least one address */
size_t model_mailbox_count(const struct model *m);
/* model_mailbox_kept - 1 when mailbox i routes an address (resolved) */
int model_mailbox_kept(const struct model *m, uint32_t i);
/* model_mailbox_dn - its DN, borrowed */
const char *model_mailbox_dn(const struct model *m, uint32_t i);
/* model_mailbox_id - its id text: borrowed, or written to buf */
const char *model_mailbox_id(const struct model *m, uint32_t i,
    char buf[MODEL_ID_MAX]);
/* model_each_lost - fn(address, id of the losing mailbox, ctx) for
 * every claim of a resolved model that lost a conflict; stops at and
 * returns a negative return of fn */
int model_each_lost(const struct model *m,
    int (*fn)(const char *address, const char *id, void *ctx), void *ctx);

#endif
