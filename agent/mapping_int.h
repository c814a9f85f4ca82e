/*
 * mapping_int - what the files of the mapping module share
 *
 * The mapping is loaded (mapping_load.c: file, XML, schema), compiled
 * (mapping_compile.c: the validated document into struct mapping) and
 * evaluated (mapping_eval.c: entry views into specs and records;
 * mapping_route.c: routing conditions into routes; mapping_entry.c: the
 * same from a struct entry). This header is
 * theirs alone: the rest of the tree sees mapping.h.
 */
#ifndef SPLITSYNC_MAPPING_INT_H
#define SPLITSYNC_MAPPING_INT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "attrset.h"
#include "diag.h"
#include "filter.h"
#include "mapping.h"

/* A nexthop built from a host name or IP address read from an entry. */
struct hostrule {
	char *attr;             /* NULL: not configured */
	size_t slot;            /* attr's index in the mapping's set */
	char *transport;
	unsigned port;          /* 0: none */
	int mx;                 /* 1: no brackets, the MX is looked up */
	int whole;              /* 1: the value is a whole nexthop */
};

/* The routing conditions are leaves under a small tree. An attribute
 * leaf is evaluated once per entry as it is read, into bit i of the
 * entry's leaf mask; a member-of leaf is answered once the groups are
 * known. Equal leaves are stored once. */
#define MAPPING_MAX_LEAVES 64

enum leaf_kind { LEAF_EQUALS, LEAF_PRESENT, LEAF_MATCHES };

struct leaf {
	enum leaf_kind kind;
	size_t slot;            /* the attribute's index */
	char *text;             /* equals: the value; matches: the regex */
	size_t len;             /* of text */
	regex_t re;             /* matches */
	int has_re;
};

struct mleaf {
	char *group;            /* normalized DN */
	uint64_t hash;          /* dn_hash of it */
	unsigned via;           /* GROUPS_VIA_* */
};

enum node_kind { NODE_ATTR, NODE_MEMBER, NODE_NOT, NODE_ANY, NODE_ALL };

/* One node of a route's condition tree; its kids are
 * kids[first .. first + n) of the rule. */
struct node {
	enum node_kind kind;
	size_t leaf;            /* NODE_ATTR: bit; NODE_MEMBER: mleaf */
	size_t first;
	size_t n;
};

struct route {
	enum route_kind to;
	size_t node;            /* an ALL node over its conditions */
};

struct addrrule {
	char *attr;
	size_t slot;
	char *prefix;           /* NULL: values taken whole */
	char *primary;          /* primary-prefix, or NULL */
};

struct domains_rule {
	char *filter_text;
	struct filter *filter;
	char *name_attr;
	size_t name_slot;
	char **alias_attrs;
	size_t *alias_slots;
	size_t nalias_attrs;
	struct hostrule relay;
	char *relay_default;
	char *fwd_attr;
	size_t fwd_slot;
	char **true_words;
	size_t ntrue_words;
	int fwd_default;
	struct hostrule local;
	char *local_default;
};

struct mailboxes_rule {
	char *filter_text;
	struct filter *filter;
	char *id_attr;
	size_t id_slot;
	int id_hex;                     /* 1: id values are bytes, in hex */
	struct addrrule *addrs;
	size_t naddrs;
	enum route_kind route_default;
	struct route *routes;
	size_t nroutes;
	struct leaf *leaves;            /* at most MAPPING_MAX_LEAVES */
	size_t nleaves, capleaves;
	struct mleaf *mleaves;
	size_t nmleaves, capmleaves;
	unsigned member_via;            /* every way a member-of leaf asks */
	struct node *nodes;
	size_t nnodes, capnodes;
	size_t *kids;
	size_t nkids, capkids;
	struct hostrule nexthop;
	unsigned nexthop_applies;       /* bits 1 << ROUTE_* */
	char *ext_attr;
	size_t ext_slot;
};

struct mapping {
	char *name;
	struct domain_spec *domains;
	size_t ndomains;
	struct domains_rule *domrule;   /* NULL: no <domains> */
	char *groups_text;              /* NULL: no <groups> */
	struct filter *groups;
	struct mailboxes_rule mbox;
	char *filter;
	char **attrs;                   /* NULL-terminated */
	size_t nattrs;
	struct attrset *set;            /* every attribute read, numbered */
	/* what group entries and member keys are read from */
	size_t member_slot, unique_slot, memberuid_slot, memberof_slot;
	size_t uid_slot;
};

/* A growable array of malloc'd strings. */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};

/* mapping_report - add one item located at path:line (path alone when
 * line <= 0) */
void mapping_report(struct diag *d, enum diag_level level, const char *path,
    long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* mapping_strv_push - append s (taken over; freed on failure); 0 or
 * ERR_NOMEM */
int mapping_strv_push(struct strv *sv, char *s);
/* mapping_strv_free - release the strings and the array */
void mapping_strv_free(struct strv *sv);
/* mapping_strv_find - index of s (exact) in sv, or -1 */
long mapping_strv_find(const struct strv *sv, const char *s);
/* mapping_lower_dup - malloc'd copy of len bytes, ASCII letters
 * lowercased; NULL when memory runs out */
char *mapping_lower_dup(const char *s, size_t len);
/* mapping_leaves - the leaf mask of v: bit i set when attribute leaf i
 * of r holds */
uint64_t mapping_leaves(const struct mailboxes_rule *r,
    const struct entry_view *v);
/* mapping_route_known - the route of an entry with that leaf mask as
 * far as it is known without the groups, or MAPPING_ROUTE_PENDING */
int mapping_route_known(const struct mailboxes_rule *r, uint64_t leaves);
/* mapping_compile - a document valid against the schema into m (zeroed
 * by the caller; mapping_free releases it whatever the result): every
 * problem reported as path:line in d. ERR_CONFIG, ERR_NOMEM */
int mapping_compile(const char *path, const xmlNode *root, struct mapping *m,
    struct diag *d);

#endif
