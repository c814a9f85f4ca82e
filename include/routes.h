/*
 * routes - the route listing kept beside the tables, and its changes
 *
 * A commit carries, besides the tables, a listing of every route with
 * the entry it came from. It tells the next run who owned an address
 * (so conflicts keep existing routes) and what changed, address by
 * address, for the commit message. The rows here are the listing in
 * memory, one per routing key with its owner's id and DN, and its
 * first committed form, which the previous version wrote and this one
 * reads as it is: "key TAB kind TAB nexthop TAB id TAB dn", sorted by
 * key; bytes below 0x20, 0x7f and '%' percent-encoded; its path is
 * layout.h's. What is written now is the second form (listing.h).
 *
 * Kinds: "internal", "external" for addresses; "unknown-relay",
 * "unknown-reject" for a domain's unknown recipients (key "@domain");
 * "alias-domain" for an alias domain (key "@alias", nexthop the domain).
 */
#ifndef SPLITSYNC_ROUTES_H
#define SPLITSYNC_ROUTES_H

#include <stddef.h>
#include <stdio.h>
#include "buf.h"
#include "diag.h"
#include "model.h"

struct route_row {
	char *key;
	char *kind;
	char *nexthop;          /* "" when none */
	char *id;               /* "" when the id is the DN */
	char *dn;
};

struct routes {
	struct route_row *rows; /* sorted by key, unique */
	size_t count;
};

struct route_change {
	char op;                        /* '+', '-' or '~' */
	const struct route_row *old;    /* NULL for '+' */
	const struct route_row *new;    /* NULL for '-' */
};

/* routes_put_field - s appended percent-encoded as every field of a
 * listing is (either form). ERR_NOMEM */
int routes_put_field(struct buf *out, const char *s);
/* routes_field_len - the bytes routes_put_field appends for s */
size_t routes_field_len(const char *s);
/* routes_decode_field - a copy of the len bytes at s with %XX decoded
 * (free()); NULL with *bad set when they hold a control byte, a bad
 * escape or an encoded NUL, NULL alone when memory runs out */
char *routes_decode_field(const char *s, size_t len, int *bad);

/* routes_from_model - the listing of a finished model; ERR_NOMEM */
int routes_from_model(const struct model *m, struct routes *out);
/* routes_parse - read a listing; ERR_DATA (with "name:line" in d) */
int routes_parse(const char *name, const char *data, size_t len,
    struct routes *out, struct diag *d);
int routes_format(const struct routes *r, struct buf *out);
void routes_clear(struct routes *r);
/* route_row_clear - release one row's strings (the row itself is the
 * caller's) */
void route_row_clear(struct route_row *r);
/* routes_find - the row for key, or NULL; borrowed */
const struct route_row *routes_find(const struct routes *r, const char *key);
/* routes_row_same - 1 when two rows of one key route the same way and
 * come from the same owner (what routes_diff compares) */
int routes_row_same(const struct route_row *a, const struct route_row *b);
/* routes_diff - changes from old to new, in key order, into *out
 * (free()); rows are borrowed from old and new. ERR_NOMEM */
int routes_diff(const struct routes *old, const struct routes *new,
    struct route_change **out, size_t *n);
/* routes_describe - one line for a change, "+ key: kind nexthop (dn)",
 * "~ key: kind nexthop -> kind nexthop (dn)"; ERR_NOMEM */
int routes_describe(const struct route_change *c, struct buf *out);

/* Routed addresses of one managed domain. */
struct routes_domain {
	const char *name;       /* borrowed from the listing */
	size_t internal;
	size_t external;
	int relayed;            /* unknown recipients go to the relay */
};

/* routes_domains - one count per managed domain of r, in name order,
 * into *out (free(); NULL when there is none), *n of them. An address
 * in an alias domain counts for the domain it is an alias of: the
 * counts are those of the model's addresses (the alias domains' twins
 * the tables add are not addresses of their own). ERR_NOMEM */
int routes_domains(const struct routes *r, struct routes_domain **out,
    size_t *n);
/* routes_print_domains - "domain NAME: N internal, N external, unknown
 * recipients relayed|rejected", one line per managed domain (what check
 * and status print); ERR_NOMEM */
int routes_print_domains(FILE *out, const struct routes *r);

#endif
