/*
 * model - the routing model: domains, mailboxes, addresses
 *
 * The mapping turns entries into domain_spec and mailbox_spec records;
 * the model validates them, keeps every address with exactly one owner,
 * and resolves each address to its final route. Renderers read the
 * model through the accessors below, which return borrowed, sorted,
 * stable views: the same specs give the same model whatever the order
 * they were added in.
 *
 * Nothing from an entry escapes its row: an address that is not a plain
 * RFC 5321 mailbox in a managed domain, or a nexthop that is not an
 * allowed transport with a valid host, is skipped and reported with the
 * entry's DN. Domain-wide keys come only from domain specs.
 */
#ifndef SPLITSYNC_MODEL_H
#define SPLITSYNC_MODEL_H

#include <stddef.h>
#include "diag.h"

enum route_kind { ROUTE_NONE = 0, ROUTE_INTERNAL = 1, ROUTE_EXTERNAL = 2 };

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

/* A managed domain as the renderers see it. Borrowed from the model. */
struct model_domain {
	const char *name;
	const char *const *aliases;     /* sorted */
	size_t naliases;
	const char *relay;              /* NULL: none */
	int forward_unknown;
	const char *local;              /* NULL: default transport */
	const char *origin;
};

/* One routed address, final. Borrowed from the model. */
struct model_address {
	const char *address;
	const char *domain;             /* managing domain (primary name) */
	enum route_kind route;          /* INTERNAL or EXTERNAL, never NONE */
	const char *nexthop;            /* NULL: default transport */
	const char *alias_of;           /* the mailbox's default address when
	                                   this one shares its route, else NULL */
	const char *id;
	const char *dn;
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
/* model_add_domain - validate and copy a domain. A name already managed,
 * an invalid name or local nexthop refuses the spec (ERR_DATA, reported
 * with the spec's origin); an invalid relay is dropped and
 * forward-unknown without a relay is turned off, both reported.
 * ERR_NOMEM. ERR_INVAL once a mailbox was added. */
int model_add_domain(struct model *m, const struct domain_spec *spec,
    struct diag *d);
/* model_add_mailbox - validate and copy a mailbox; bad values are
 * skipped and reported with the DN. A mailbox with no valid address is
 * dropped. 0, or ERR_NOMEM. */
int model_add_mailbox(struct model *m, const struct mailbox_spec *spec,
    struct diag *d);
/* model_owner_fn - who owned address in the last commit (an id), or
 * NULL; used to keep existing routes on conflicts */
typedef const char *(*model_owner_fn)(const char *address, void *ctx);
/* model_finish - resolve conflicts (the previous owner keeps the address,
 * found by its id, or failing that by an id that is the hex of the
 * other's bytes; else the smallest id; each conflict reported with
 * both DNs) and build
 * the sorted views. No mailbox may be added afterwards. ERR_NOMEM */
int model_finish(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d);

/* model_domain_count, model_domain_at - the domains; sorted by name once
 * the model is finished, in the order they were added before */
size_t model_domain_count(const struct model *m);
const struct model_domain *model_domain_at(const struct model *m, size_t i);
/* model_domain_find - the domain that manages name (itself or as an
 * alias domain), or NULL */
const struct model_domain *model_domain_find(const struct model *m,
    const char *name);
/* model_transports - the transports a nexthop may use (borrowed, as
 * given to model_new); their number in *n */
const char *const *model_transports(const struct model *m, size_t *n);
size_t model_address_count(const struct model *m);
const struct model_address *model_address_at(const struct model *m,
    size_t i);
/* model_each_lost - fn(address, id of the losing mailbox, ctx) for
 * every claim of a finished model that lost a conflict; stops at and
 * returns a negative return of fn */
int model_each_lost(const struct model *m,
    int (*fn)(const char *address, const char *id, void *ctx), void *ctx);
/* model_mailbox_count - mailboxes that kept at least one address */
size_t model_mailbox_count(const struct model *m);

#endif
