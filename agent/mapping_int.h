/*
 * mapping_int - what the files of the mapping module share
 *
 * The mapping is loaded (mapping_load.c: file, XML, schema), compiled
 * (mapping_compile.c: the validated document into struct mapping) and
 * evaluated (mapping_eval.c: entries into specs). This header is theirs
 * alone: the rest of the tree sees mapping.h.
 */
#ifndef SPLITSYNC_MAPPING_INT_H
#define SPLITSYNC_MAPPING_INT_H

#include <regex.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "diag.h"
#include "filter.h"
#include "mapping.h"

/* A nexthop built from a host name or IP address read from an entry. */
struct hostrule {
	char *attr;             /* NULL: not configured */
	char *transport;
	unsigned port;          /* 0: none */
	int mx;                 /* 1: no brackets, the MX is looked up */
	int whole;              /* 1: the value is a whole nexthop */
};

enum cond_kind {
	COND_MEMBER_OF, COND_EQUALS, COND_PRESENT, COND_MATCHES,
	COND_NOT, COND_ANY, COND_ALL
};

struct cond {
	enum cond_kind kind;
	char *attr;             /* equals, present, matches */
	char *value;            /* equals */
	char *group;            /* member-of, normalized DN */
	unsigned via;           /* member-of, GROUPS_VIA_* */
	regex_t re;             /* matches */
	int has_re;
	struct cond *kids;      /* not, any, all */
	size_t nkids;
};

struct route {
	enum route_kind to;
	struct cond *conds;     /* all must hold */
	size_t nconds;
};

struct addrrule {
	char *attr;
	char *prefix;           /* NULL: values taken whole */
	char *primary;          /* primary-prefix, or NULL */
};

struct domains_rule {
	char *filter_text;
	struct filter *filter;
	char *name_attr;
	char **alias_attrs;
	size_t nalias_attrs;
	struct hostrule relay;
	char *relay_default;
	char *fwd_attr;
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
	int id_hex;                     /* 1: id values are bytes, in hex */
	struct addrrule *addrs;
	size_t naddrs;
	enum route_kind route_default;
	struct route *routes;
	size_t nroutes;
	struct hostrule nexthop;
	unsigned nexthop_applies;       /* bits 1 << ROUTE_* */
	char *ext_attr;
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
/* mapping_compile - a document valid against the schema into m (zeroed
 * by the caller; mapping_free releases it whatever the result): every
 * problem reported as path:line in d. ERR_CONFIG, ERR_NOMEM */
int mapping_compile(const char *path, const xmlNode *root, struct mapping *m,
    struct diag *d);

#endif
