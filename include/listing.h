/*
 * listing - the route listing of a commit, in its second form
 *
 * Beside the tables, a commit holds what the next run needs to keep
 * existing routes on conflicts and to say what changed, address by
 * address: the listing. In its second form it is three file sets
 * (their paths are layout.h's; N is table_shards):
 *
 *	.splitsync/domains      "# splitsync routes 2", "# shards N", then
 *	                        one line per managed domain and alias
 *	                        domain, sorted: "@name TAB kind TAB nexthop
 *	                        TAB origin TAB local TAB relay" (kind
 *	                        unknown-relay, unknown-reject or
 *	                        alias-domain; local and relay the defaults
 *	                        of its addresses, an alias domain's those
 *	                        of its domain)
 *	.splitsync/routes       per routed address, in the shard of its key:
 *	                        "key TAB i|e TAB nexthop TAB owner", sorted
 *	                        by key; the nexthop empty when it is the
 *	                        domain's default for that route (local for
 *	                        internal, relay for external)
 *	.splitsync/owners       per owner, in the shard of its reference:
 *	                        "owner TAB id TAB dn", sorted; id empty when
 *	                        it is the DN
 *
 * An owner is named by 16 characters: the first 12 bytes of the SHA-1
 * of its id (its DN when it has no id), in base64 with an alphabet in
 * ASCII order ("-0-9A-Z_a-z"), so the texts sort as the bytes do. Bytes
 * below 0x20, 0x7f and '%' are percent-encoded in every field, as in
 * the first form (routes.h), which is read as it is.
 *
 * listing.c writes and parses the form; listing_head.c reads the
 * listing a commit holds, whichever form, only as much as asked.
 */
#ifndef SPLITSYNC_LISTING_H
#define SPLITSYNC_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "diag.h"
#include "git_sink.h"
#include "layout.h"
#include "model.h"
#include "routes.h"

#define LISTING_VERSION_LINE "# splitsync routes 2"
#define LISTING_REF_LEN 16      /* characters of an owner reference */
#define LISTING_REF_BYTES 12

/* The parts of the second form. */
enum listing_part {
	LISTING_ROUTES,
	LISTING_OWNERS
};

/* The listing of a resolved model, ready to be written: owners named,
 * addresses and owners in their shards. Borrows the model. */
struct listing;

/* listing_new - the listing of m in nshards shards (0: one file each)
 * into *out (listing_free). ERR_NOMEM */
int listing_new(const struct model *m, size_t nshards, struct listing **out);
void listing_free(struct listing *l);
/* listing_shards - the shard count (1 for one file) */
size_t listing_shards(const struct listing *l);
/* listing_len - the bytes of shard s of part */
size_t listing_len(const struct listing *l, enum listing_part part,
    size_t s);
/* A shard of a part, as a generator for git_sink_tree_put_gen: ctx
 * points at one (borrowed while the sink uses it). */
struct listing_shard {
	const struct listing *listing;
	enum listing_part part;
	size_t shard;
};
int listing_gen(void *ctx, git_sink_emit_fn emit, void *ectx);
/* listing_text - shard s of part appended to out. ERR_NOMEM */
int listing_text(const struct listing *l, enum listing_part part,
    size_t s, struct buf *out);
/* listing_files - every file of l into f: the routes and owners
 * shards as generators over l (the contexts in *ctx, the caller's to
 * free() once f is written; l borrowed until then), the domains file
 * as text. ERR_NOMEM, ERR_INVAL */
int listing_files(const struct listing *l, struct layout_files *f,
    struct listing_shard **ctx);
/* listing_domains_text - the domains file appended to out. ERR_NOMEM */
int listing_domains_text(const struct listing *l, struct buf *out);
/* listing_ref - the owner reference of mailbox i (kept) as text into
 * out (LISTING_REF_LEN bytes and a NUL) */
void listing_ref(const struct listing *l, uint32_t i,
    char out[LISTING_REF_LEN + 1]);
/* listing_slots - the slots of shard s, in key order, their number in
 * *n (borrowed) */
const uint32_t *listing_slots(const struct listing *l, size_t s, size_t *n);
/* listing_model - the model listed */
const struct model *listing_model(const struct listing *l);

/* listing_ref_of - the owner reference of an identity (id, or the DN
 * without one) */
void listing_ref_of(const char *identity, char out[LISTING_REF_LEN + 1]);

/* One row of a domains file. Strings owned by the struct it is in. */
struct listing_domain {
	struct route_row row;   /* key "@name", kind, nexthop, id "", dn
	                           the origin */
	char *local;            /* "" when none */
	char *relay;
};

/* A parsed domains file. Release with listing_domains_clear. */
struct listing_domains {
	struct listing_domain *v;       /* sorted by key */
	size_t n;
	size_t nshards;                 /* of the listing: 0 one file */
};

/* listing_parse_domains - read a domains file (name for messages).
 * ERR_DATA (name:line in d) when it is damaged or of another version,
 * ERR_NOMEM */
int listing_parse_domains(const char *name, const char *data, size_t len,
    struct listing_domains *out, struct diag *d);
void listing_domains_clear(struct listing_domains *ds);
/* listing_domain_find - the row of domain (a name, no "@"), or NULL */
const struct listing_domain *listing_domain_find(
    const struct listing_domains *ds, const char *domain, size_t len);
/* listing_default - the nexthop an address of domain routed kind
 * ("internal", "external") has when its row leaves it empty */
const char *listing_default(const struct listing_domains *ds,
    const char *address, const char *kind);

/* Rows of one shard of the routes part, parsed: key, kind
 * ("internal", "external"), nexthop decoded (the default filled in),
 * owner reference; id and dn empty until listing_rows_owners. Strings
 * owned. */
struct listing_row {
	struct route_row row;
	char ref[LISTING_REF_LEN + 1];
};

struct listing_rows {
	struct listing_row *v;  /* sorted by key */
	size_t n;
};

/* listing_parse_routes - one shard of the routes part, its nexthops
 * decoded with ds. ERR_DATA (name:line in d), ERR_NOMEM */
int listing_parse_routes(const char *name, const char *data, size_t len,
    const struct listing_domains *ds, struct listing_rows *out,
    struct diag *d);
void listing_rows_clear(struct listing_rows *r);

/* One owner line. */
struct listing_owner {
	char ref[LISTING_REF_LEN + 1];
	char *id;               /* "" when the id is the DN */
	char *dn;
};

struct listing_owners {
	struct listing_owner *v;        /* sorted by ref */
	size_t n;
};

/* listing_parse_owners - one shard of the owners part. ERR_DATA,
 * ERR_NOMEM */
int listing_parse_owners(const char *name, const char *data, size_t len,
    struct listing_owners *out, struct diag *d);
void listing_owners_clear(struct listing_owners *o);
/* listing_owner_find - the owner named ref, or NULL */
const struct listing_owner *listing_owner_find(
    const struct listing_owners *o, const char *ref);

/*
 * The listing a commit holds (listing_head.c): its form found from its
 * files, read only as much as asked.
 */
enum listing_form {
	LISTING_NONE,           /* no listing (an unborn branch, or none) */
	LISTING_FIRST,          /* the first form (routes.h) */
	LISTING_SECOND
};

struct listing_head;

/* listing_head_open - the listing of commit (hex; NULL: the sink's
 * head) into *out (listing_head_close): its domains file read, its
 * form known. ERR_DATA (a damaged domains file, named in d), ERR_IO,
 * ERR_NOMEM */
int listing_head_open(struct git_sink *sink, const char *commit,
    struct listing_head **out, struct diag *d);
void listing_head_close(struct listing_head *h);
/* listing_head_form - its form */
enum listing_form listing_head_form(const struct listing_head *h);
/* listing_head_shards - its shard count (form 2; 0 one file) */
size_t listing_head_shards(const struct listing_head *h);
/* listing_head_domains - its domains file (form 2), borrowed */
const struct listing_domains *listing_head_domains(
    const struct listing_head *h);
/* listing_head_owner - a model_owner_fn: the id that owned address in
 * h (its DN when it had none), or NULL; reads the shards it needs, in
 * either form, once each. A read that fails answers NULL and is kept
 * for listing_head_error. */
const char *listing_head_owner(const char *address, void *h);
/* listing_head_error - the first failure of listing_head_owner (0) */
int listing_head_error(const struct listing_head *h);
/* listing_head_shard - shard s of the routes part of a second form
 * listing into *out. ERR_DATA, ERR_IO, ERR_NOMEM */
int listing_head_shard(struct listing_head *h, size_t s,
    struct listing_rows *out, struct diag *d);
/* listing_head_fill - the id and DN of the owner of each of the n rows
 * (rows parsed from h: their refs name owners of h) filled in, the
 * owners shards they live in read once each; a row whose owner is not
 * found keeps them empty. ERR_DATA, ERR_IO, ERR_NOMEM */
int listing_head_fill(struct listing_head *h, struct listing_row *const *rows,
    size_t n, struct diag *d);
/* listing_head_all - the whole listing, either form, as the first form's
 * rows (domain rows included, owners filled in unless without_owners),
 * into *out (routes_clear; empty with no listing). ERR_DATA, ERR_IO,
 * ERR_NOMEM */
int listing_head_all(struct listing_head *h, int without_owners,
    struct routes *out, struct diag *d);

#endif
