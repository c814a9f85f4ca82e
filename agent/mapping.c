/*
 * mapping - XML mapping files compiled into rules
 *
 * SYNOPSIS
 *	#include "mapping.h"
 *
 * DESCRIPTION
 *	mapping_load() reads a mapping file into memory and parses it with
 *	libxml2 without network access, without loading a DTD and without
 *	expanding entities: a document type declaration stops the parser
 *	as soon as it is seen, before any entity is declared. Every element
 *	is then checked against the vocabulary of the schema compiled into
 *	the program (so an unknown element is reported on its own line),
 *	the document is validated against that schema, and compiled into an
 *	immutable struct mapping: filters parsed, regular expressions
 *	compiled, group DNs normalized, static domains turned into
 *	domain_spec records. The XML document is freed before returning.
 *
 *	libxml2 reports through callbacks attached to each parser and
 *	validation context, never through its process-wide handlers, so
 *	nothing is printed and nothing global is changed.
 *
 *	mapping_domain_from_entry() and mapping_mailbox_from_entry() turn a
 *	directory entry into a domain_spec or mailbox_spec. Values are
 *	lowercased (ASCII) and passed on; the model checks their syntax.
 *	A value with a NUL byte cannot be passed on as a C string: it is
 *	reported and skipped.
 *
 * DIAGNOSTICS
 *	Load problems are errors with "file:line" as where; all of a file's
 *	problems are reported before it is refused with ERR_CONFIG; what
 *	file_read_named() returns when the file cannot be read (file.h).
 *	ERR_BUG when the compiled-in schema cannot be used. Entry problems
 *	are reported with the entry's DN (DIAG_REJECTED). Allocation
 *	failure is ERR_NOMEM; a failed group lookup is returned as
 *	groups_is_member() returned it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "errors.h"
#include "file.h"
#include "filter.h"
#include "mapping.h"

extern const unsigned char mapping_schema_rng[];
extern const size_t mapping_schema_rng_len;

#define MAPPING_NS      "urn:splitsync:mapping:1"
#define RELAXNG_NS      "http://relaxng.org/ns/structure/1.0"
#define DEFAULT_TRUE    "true yes 1"

/* The structured error callback lost its mutable pointer in 2.12. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlErrorPtr xml_error_arg;
#endif

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

/* What the schema allows on one attribute of an element name, merged
 * over the element's definitions. */
struct vattr {
	char *name;
	int required;           /* every definition requires it */
	int seen;               /* in the definition being read */
	int any;                /* any value; else one of values */
	struct strv values;
};

struct velem {
	char *name;
	struct vattr *attrs;
	size_t nattrs;
	size_t ndefs;
};

/* The mapping vocabulary, read from the compiled-in schema. */
struct vocab {
	const xmlNode *grammar;
	struct velem *els;
	size_t nels;
};

#define VOCAB_DEPTH 32          /* nested patterns followed in the schema */

/* What loading needs while libxml2 calls back. */
struct load {
	const char *path;
	struct diag *d;
	size_t nerrors;
	int doctype;
};

/* What compiling needs. */
struct cc {
	const char *path;
	struct diag *d;
	size_t nerrors;
	int nomem;
	int has_groups;
	int needs_memberof;
	struct strv attrs;
};

/* report - add one item located at path:line (path alone when line <= 0) */
static void
report(struct diag *d, enum diag_level level, const char *path, long line,
    const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
report(struct diag *d, enum diag_level level, const char *path, long line,
    const char *fmt, ...)
{
	struct buf where = BUF_INIT;
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (line > 0 && buf_printf(&where, "%s:%ld", path, line) < 0)
		buf_free(&where);
	diag_add(d, level, DIAG_GENERAL, where.data ? where.data : path,
	    "%s", text);
	buf_free(&where);
}

/* strv_push - append s (taken over; freed on failure); 0 or ERR_NOMEM */
static int
strv_push(struct strv *sv, char *s)
{
	char **v;
	size_t cap;

	if (s == NULL)
		return ERR_NOMEM;
	if (sv->n + 1 >= sv->cap) {
		cap = sv->cap ? sv->cap * 2 : 8;
		if (cap > SIZE_MAX / sizeof *v) {
			free(s);
			return ERR_NOMEM;
		}
		v = realloc(sv->v, cap * sizeof *v);
		if (v == NULL) {
			free(s);
			return ERR_NOMEM;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

/* strv_free - release the strings and the array */
static void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof *sv);
}

/* strv_find - index of s (exact) in sv, or -1 */
static long
strv_find(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return (long)i;
	return -1;
}

/* lower_dup - malloc'd copy of len bytes, ASCII letters lowercased */
static char *
lower_dup(const char *s, size_t len)
{
	char *p;
	size_t i;

	if (len == SIZE_MAX)
		return NULL;
	p = malloc(len + 1);
	if (p == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	p[len] = '\0';
	return p;
}

/* free_cond - release one condition's contents */
static void
free_cond(struct cond *c)
{
	size_t i;

	free(c->attr);
	free(c->value);
	free(c->group);
	if (c->has_re)
		regfree(&c->re);
	for (i = 0; i < c->nkids; i++)
		free_cond(&c->kids[i]);
	free(c->kids);
}

/* free_host - release a hostrule's strings */
static void
free_host(struct hostrule *h)
{
	free(h->attr);
	free(h->transport);
}

/* free_words - release a string array of n items */
static void
free_words(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* mapping_free - release a compiled mapping */
void
mapping_free(struct mapping *m)
{
	struct domains_rule *r;
	size_t i, j;

	if (m == NULL)
		return;
	free(m->name);
	for (i = 0; i < m->ndomains; i++)
		domain_spec_clear(&m->domains[i]);
	free(m->domains);
	if ((r = m->domrule) != NULL) {
		free(r->filter_text);
		filter_free(r->filter);
		free(r->name_attr);
		free_words(r->alias_attrs, r->nalias_attrs);
		free_host(&r->relay);
		free(r->relay_default);
		free(r->fwd_attr);
		free_words(r->true_words, r->ntrue_words);
		free_host(&r->local);
		free(r->local_default);
		free(r);
	}
	free(m->groups_text);
	filter_free(m->groups);
	free(m->mbox.filter_text);
	filter_free(m->mbox.filter);
	free(m->mbox.id_attr);
	for (i = 0; i < m->mbox.naddrs; i++) {
		free(m->mbox.addrs[i].attr);
		free(m->mbox.addrs[i].prefix);
		free(m->mbox.addrs[i].primary);
	}
	free(m->mbox.addrs);
	for (i = 0; i < m->mbox.nroutes; i++) {
		for (j = 0; j < m->mbox.routes[i].nconds; j++)
			free_cond(&m->mbox.routes[i].conds[j]);
		free(m->mbox.routes[i].conds);
	}
	free(m->mbox.routes);
	free_host(&m->mbox.nexthop);
	free(m->mbox.ext_attr);
	free(m->filter);
	free_words(m->attrs, m->nattrs);
	free(m);
}

/*
 * Loading: file, parser, vocabulary, schema.
 */

/* on_error - record one libxml2 error or warning as path:line: message */
static void
on_error(struct load *l, xml_error_arg err)
{
	const char *msg = err->message ? err->message : "unknown XML error";
	size_t len = strlen(msg);
	long line = err->line;

	/* libxml2 messages end with a newline; the diag adds its own. */
	while (len > 0 && isspace((unsigned char)msg[len - 1]))
		len--;
	if (line <= 0 && err->node != NULL)
		line = xmlGetLineNo((const xmlNode *)err->node);
	if (err->level == XML_ERR_WARNING) {
		report(l->d, DIAG_WARNING, l->path, line, "%.*s", (int)len,
		    msg);
		return;
	}
	l->nerrors++;
	report(l->d, DIAG_ERROR, l->path, line, "%.*s", (int)len, msg);
}

/* on_parse_error - parser callback: the load state is ctxt->_private */
static void
on_parse_error(void *ctx, xml_error_arg err)
{
	xmlParserCtxtPtr p = ctx;

	on_error(p->_private, err);
}

/* on_valid_error - schema callback: the load state is ctx */
static void
on_valid_error(void *ctx, xml_error_arg err)
{
	on_error(ctx, err);
}

/* on_doctype - refuse a DTD before anything in it is read */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr p = ctx;
	struct load *l = p->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	l->doctype = 1;
	l->nerrors++;
	report(l->d, DIAG_ERROR, l->path, xmlSAX2GetLineNumber(ctx),
	    "DTDs are not allowed in mapping files");
	xmlStopParser(p);
}

/* parse_xml - parse len bytes named path into *out; errors in l */
static int
parse_xml(struct load *l, const char *data, size_t len, xmlDoc **out)
{
	xmlParserCtxtPtr p;
	xmlDoc *doc;
	xml_error_arg last;
	const int opts = XML_PARSE_NONET;

	*out = NULL;
	if (len > INT_MAX)
		return ERR_CONFIG;
	p = xmlNewParserCtxt();
	if (p == NULL)
		return ERR_NOMEM;
	p->_private = l;
	p->sax->serror = on_parse_error;
	p->sax->internalSubset = on_doctype;
	doc = xmlCtxtReadMemory(p, data, (int)len, l->path, NULL, opts);
	if (doc != NULL && (l->doctype || l->nerrors > 0 ||
	    doc->intSubset != NULL || doc->extSubset != NULL)) {
		if (!l->doctype && (doc->intSubset || doc->extSubset)) {
			l->nerrors++;
			report(l->d, DIAG_ERROR, l->path, 0,
			    "DTDs are not allowed in mapping files");
		}
		xmlFreeDoc(doc);
		doc = NULL;
	}
	if (doc == NULL && l->nerrors == 0) {
		/* Nothing came through the callback: say what we know. */
		last = xmlCtxtGetLastError(p);
		l->nerrors++;
		if (last != NULL && last->message != NULL)
			on_error(l, last);
		else
			report(l->d, DIAG_ERROR, l->path, 0,
			    "not a well-formed XML document");
	}
	xmlFreeParserCtxt(p);
	if (doc == NULL)
		return ERR_CONFIG;
	if (xmlDocGetRootElement(doc) == NULL) {
		report(l->d, DIAG_ERROR, l->path, 0, "no root element");
		xmlFreeDoc(doc);
		return ERR_CONFIG;
	}
	*out = doc;
	return 0;
}

/* rng_is - whether n is the RELAX NG element called name */
static int
rng_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    xmlStrEqual(n->ns->href, BAD_CAST RELAXNG_NS) &&
	    xmlStrEqual(n->name, BAD_CAST name);
}

/* rng_define - the <define> called name, or NULL */
static const xmlNode *
rng_define(const struct vocab *v, const xmlChar *name)
{
	const xmlNode *n;
	xmlChar *s;
	int eq;

	for (n = v->grammar->children; n != NULL; n = n->next) {
		if (!rng_is(n, "define"))
			continue;
		s = xmlGetNoNsProp(n, BAD_CAST "name");
		eq = s != NULL && xmlStrEqual(s, name);
		xmlFree(s);
		if (eq)
			return n;
	}
	return NULL;
}

/* rng_ref - the children of the define a <ref> names, or NULL */
static const xmlNode *
rng_ref(const struct vocab *v, const xmlNode *ref)
{
	xmlChar *name = xmlGetNoNsProp(ref, BAD_CAST "name");
	const xmlNode *def = name ? rng_define(v, name) : NULL;

	xmlFree(name);
	return def ? def->children : NULL;
}

/* vocab_values - the <value>s an attribute pattern allows; any when it
 * allows data or text */
static int
vocab_values(const struct vocab *v, struct vattr *va, const xmlNode *n,
    int depth)
{
	xmlChar *s;
	int rc;

	if (depth > VOCAB_DEPTH)
		return ERR_INVAL;
	for (; n != NULL; n = n->next) {
		if (rng_is(n, "value")) {
			s = xmlNodeGetContent(n);
			if (s == NULL)
				return ERR_NOMEM;
			rc = strv_find(&va->values, (const char *)s) >= 0 ? 0 :
			    strv_push(&va->values, strdup((const char *)s));
			xmlFree(s);
			if (rc < 0)
				return rc;
		} else if (rng_is(n, "data") || rng_is(n, "text")) {
			va->any = 1;
		} else if (rng_is(n, "ref")) {
			rc = vocab_values(v, va, rng_ref(v, n), depth + 1);
			if (rc < 0)
				return rc;
		} else if (rng_is(n, "choice")) {
			rc = vocab_values(v, va, n->children, depth + 1);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* vocab_attr - add or find attribute name of ve while reading one
 * definition of it */
static struct vattr *
vocab_attr(struct velem *ve, const xmlChar *name, int optional)
{
	struct vattr *va;
	size_t i;

	for (i = 0; i < ve->nattrs; i++)
		if (strcmp(ve->attrs[i].name, (const char *)name) == 0) {
			ve->attrs[i].seen = 1;
			if (optional)
				ve->attrs[i].required = 0;
			return &ve->attrs[i];
		}
	va = realloc(ve->attrs, (ve->nattrs + 1) * sizeof *va);
	if (va == NULL)
		return NULL;
	ve->attrs = va;
	va = &ve->attrs[ve->nattrs];
	memset(va, 0, sizeof *va);
	if ((va->name = strdup((const char *)name)) == NULL)
		return NULL;
	ve->nattrs++;
	va->seen = 1;
	/* An attribute an earlier definition lacked is never required. */
	va->required = !optional && ve->ndefs == 0;
	return va;
}

/* vocab_attrs - the attributes an element's content pattern allows */
static int
vocab_attrs(const struct vocab *v, struct velem *ve, const xmlNode *n,
    int optional, int depth)
{
	struct vattr *va;
	xmlChar *name;
	int rc = 0;

	if (depth > VOCAB_DEPTH)
		return ERR_INVAL;
	for (; n != NULL && rc == 0; n = n->next) {
		if (rng_is(n, "attribute")) {
			name = xmlGetNoNsProp(n, BAD_CAST "name");
			if (name == NULL)
				return ERR_INVAL;
			va = vocab_attr(ve, name, optional);
			xmlFree(name);
			if (va == NULL)
				return ERR_NOMEM;
			rc = vocab_values(v, va, n->children, depth + 1);
			if (rc == 0 && n->children == NULL)
				va->any = 1;
		} else if (rng_is(n, "optional") || rng_is(n, "zeroOrMore") ||
		    rng_is(n, "choice")) {
			rc = vocab_attrs(v, ve, n->children, 1, depth + 1);
		} else if (rng_is(n, "oneOrMore") || rng_is(n, "group") ||
		    rng_is(n, "interleave")) {
			rc = vocab_attrs(v, ve, n->children, optional,
			    depth + 1);
		} else if (rng_is(n, "ref")) {
			rc = vocab_attrs(v, ve, rng_ref(v, n), optional,
			    depth + 1);
		}
	}
	return rc;
}

/* vocab_element - merge one <element name=...> definition into v */
static int
vocab_element(struct vocab *v, const xmlNode *def)
{
	struct velem *ve = NULL;
	xmlChar *name = xmlGetNoNsProp(def, BAD_CAST "name");
	size_t i;
	int rc;

	if (name == NULL)
		return ERR_INVAL;
	for (i = 0; i < v->nels; i++)
		if (strcmp(v->els[i].name, (const char *)name) == 0)
			ve = &v->els[i];
	if (ve == NULL) {
		ve = realloc(v->els, (v->nels + 1) * sizeof *ve);
		if (ve == NULL) {
			xmlFree(name);
			return ERR_NOMEM;
		}
		v->els = ve;
		ve = &v->els[v->nels];
		memset(ve, 0, sizeof *ve);
		ve->name = strdup((const char *)name);
		if (ve->name == NULL) {
			xmlFree(name);
			return ERR_NOMEM;
		}
		v->nels++;
	}
	xmlFree(name);
	for (i = 0; i < ve->nattrs; i++)
		ve->attrs[i].seen = 0;
	rc = vocab_attrs(v, ve, def->children, 0, 0);
	/* Required only when every definition of the name requires it. */
	for (i = 0; i < ve->nattrs; i++)
		if (!ve->attrs[i].seen)
			ve->attrs[i].required = 0;
	ve->ndefs++;
	return rc;
}

/* vocab_build - every element definition under n */
static int
vocab_build(struct vocab *v, const xmlNode *n)
{
	int rc;

	for (; n != NULL; n = n->next) {
		if (rng_is(n, "element") && (rc = vocab_element(v, n)) < 0)
			return rc;
		if (n->type == XML_ELEMENT_NODE &&
		    (rc = vocab_build(v, n->children)) < 0)
			return rc;
	}
	return 0;
}

/* vocab_free - release what vocab_build made */
static void
vocab_free(struct vocab *v)
{
	size_t i, j;

	for (i = 0; i < v->nels; i++) {
		for (j = 0; j < v->els[i].nattrs; j++) {
			free(v->els[i].attrs[j].name);
			strv_free(&v->els[i].attrs[j].values);
		}
		free(v->els[i].attrs);
		free(v->els[i].name);
	}
	free(v->els);
	memset(v, 0, sizeof *v);
}

/* join_values - "a, b or c" (static text when memory runs out) */
static char *
join_values(const struct strv *sv)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sv->n && rc == 0; i++)
		rc = buf_printf(&b, "%s\"%s\"", i == 0 ? "" :
		    i + 1 == sv->n ? " or " : ", ", sv->v[i]);
	if (rc < 0)
		buf_free(&b);
	return buf_steal(&b);
}

/* value_allowed - whether s, white space trimmed as the schema's token
 * type does, is one of va's values */
static int
value_allowed(const struct vattr *va, const char *s)
{
	size_t i, len;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	for (i = 0; i < va->values.n; i++)
		if (strlen(va->values.v[i]) == len &&
		    strncmp(va->values.v[i], s, len) == 0)
			return 1;
	return 0;
}

/* check_attrs - report attributes of n the schema does not allow, values
 * outside a list, and missing required attributes; returns how many */
static size_t
check_attrs(struct load *l, const struct velem *ve, const xmlNode *n)
{
	const xmlAttr *a;
	const struct vattr *va;
	xmlChar *value;
	char *list;
	size_t i, bad = 0;
	long line = xmlGetLineNo(n);

	for (a = n->properties; a != NULL; a = a->next) {
		va = NULL;
		for (i = 0; a->ns == NULL && i < ve->nattrs; i++)
			if (xmlStrEqual(a->name, BAD_CAST ve->attrs[i].name))
				va = &ve->attrs[i];
		if (va == NULL) {
			report(l->d, DIAG_ERROR, l->path, line,
			    "element <%s> has no attribute \"%s%s%s\"",
			    ve->name, a->ns ? (const char *)a->ns->prefix : "",
			    a->ns ? ":" : "", (const char *)a->name);
			bad++;
			continue;
		}
		if (va->any)
			continue;
		value = xmlGetNoNsProp(n, a->name);
		if (value != NULL && !value_allowed(va, (const char *)value)) {
			list = join_values(&va->values);
			report(l->d, DIAG_ERROR, l->path, line,
			    "element <%s>: %s=\"%s\" must be %s", ve->name,
			    va->name, (const char *)value, list ? list : "?");
			free(list);
			bad++;
		}
		xmlFree(value);
	}
	for (i = 0; i < ve->nattrs; i++)
		if (ve->attrs[i].required &&
		    xmlHasNsProp(n, BAD_CAST ve->attrs[i].name, NULL) == NULL) {
			report(l->d, DIAG_ERROR, l->path, line,
			    "element <%s> needs attribute \"%s\"", ve->name,
			    ve->attrs[i].name);
			bad++;
		}
	return bad;
}

/* vocab_check - report elements and attributes foreign to the mapping
 * vocabulary and entity references; returns how many */
static size_t
vocab_check(struct load *l, const struct vocab *v, const xmlNode *n)
{
	const struct velem *ve;
	size_t bad = 0, i;

	for (; n != NULL; n = n->next) {
		if (n->type == XML_ENTITY_REF_NODE ||
		    n->type == XML_ENTITY_NODE) {
			report(l->d, DIAG_ERROR, l->path, xmlGetLineNo(n),
			    "entity references are not allowed in mapping "
			    "files");
			bad++;
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, BAD_CAST MAPPING_NS)) {
			report(l->d, DIAG_ERROR, l->path, xmlGetLineNo(n),
			    "element <%s> is not in namespace " MAPPING_NS
			    "%s%s%s", (const char *)n->name,
			    n->ns ? " (it is in " : "",
			    n->ns ? (const char *)n->ns->href : "",
			    n->ns ? ")" : "");
			bad++;
			continue;
		}
		ve = NULL;
		for (i = 0; i < v->nels; i++)
			if (xmlStrEqual(n->name, BAD_CAST v->els[i].name))
				ve = &v->els[i];
		if (ve == NULL) {
			report(l->d, DIAG_ERROR, l->path, xmlGetLineNo(n),
			    "unknown element <%s>", (const char *)n->name);
			bad++;
			continue;
		}
		bad += check_attrs(l, ve, n);
		bad += vocab_check(l, v, n->children);
	}
	return bad;
}

/* validate - check doc against the compiled-in schema; ERR_CONFIG when
 * invalid, ERR_BUG when the schema itself cannot be used */
static int
validate(struct load *l, xmlDoc *doc)
{
	struct load sl = { "mapping.rng", l->d, 0, 0 };
	struct vocab v;
	xmlDoc *schema_doc = NULL;
	xmlRelaxNGParserCtxtPtr pctxt = NULL;
	xmlRelaxNGPtr schema = NULL;
	xmlRelaxNGValidCtxtPtr vctxt = NULL;
	int rc, valid;

	memset(&v, 0, sizeof v);
	rc = parse_xml(&sl, (const char *)mapping_schema_rng,
	    mapping_schema_rng_len, &schema_doc);
	if (rc < 0) {
		rc = rc == ERR_NOMEM ? rc : ERR_BUG;
		goto cleanup;
	}
	v.grammar = xmlDocGetRootElement(schema_doc);
	rc = vocab_build(&v, v.grammar);
	if (rc < 0) {
		rc = rc == ERR_NOMEM ? rc : ERR_BUG;
		goto cleanup;
	}
	/* Names and attribute values first: libxml2's RELAX NG messages
	 * blame the parent of an unknown element and do not say which
	 * attribute is missing or which value is wrong. */
	if (vocab_check(l, &v, xmlDocGetRootElement(doc)) > 0) {
		l->nerrors++;
		rc = ERR_CONFIG;
		goto cleanup;
	}
	pctxt = xmlRelaxNGNewDocParserCtxt(schema_doc);
	if (pctxt == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	xmlRelaxNGSetParserStructuredErrors(pctxt, on_valid_error, &sl);
	schema = xmlRelaxNGParse(pctxt);
	if (schema == NULL) {
		diag_error(l->d, "mapping.rng", "the built-in mapping schema "
		    "cannot be used");
		rc = ERR_BUG;
		goto cleanup;
	}
	vctxt = xmlRelaxNGNewValidCtxt(schema);
	if (vctxt == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	xmlRelaxNGSetValidStructuredErrors(vctxt, on_valid_error, l);
	valid = xmlRelaxNGValidateDoc(vctxt, doc);
	if (valid != 0) {
		if (l->nerrors == 0)
			report(l->d, DIAG_ERROR, l->path, 0,
			    "does not follow the mapping schema");
		l->nerrors++;
		rc = valid > 0 ? ERR_CONFIG : ERR_BUG;
	}
cleanup:
	xmlRelaxNGFreeValidCtxt(vctxt);
	xmlRelaxNGFree(schema);
	xmlRelaxNGFreeParserCtxt(pctxt);
	xmlFreeDoc(schema_doc);
	vocab_free(&v);
	return rc;
}

/*
 * Compiling: a validated document into struct mapping.
 */

/* cc_error - report a compile error at node n */
static void
cc_error(struct cc *c, const xmlNode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
cc_error(struct cc *c, const xmlNode *n, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	c->nerrors++;
	report(c->d, DIAG_ERROR, c->path, xmlGetLineNo(n), "%s", text);
}

/* is_el - whether n is the element called name */
static int
is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    xmlStrEqual(n->name, BAD_CAST name);
}

/* prop - malloc'd copy of attribute name of n, NULL when absent (or out
 * of memory, which sets c->nomem); trimmed and lowercased on request */
static char *
prop(struct cc *c, const xmlNode *n, const char *name, int text)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	const char *s, *e;
	char *copy;

	if (v == NULL)
		return NULL;
	s = (const char *)v;
	e = s + strlen(s);
	if (text) {
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		copy = lower_dup(s, (size_t)(e - s));
	} else {
		copy = strdup(s);
	}
	xmlFree(v);
	if (copy == NULL)
		c->nomem = 1;
	return copy;
}

/* content - the element's text, trimmed and lowercased (malloc) */
static char *
content(struct cc *c, const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s, *e;
	char *copy;

	if (v == NULL) {
		c->nomem = 1;
		return NULL;
	}
	s = (const char *)v;
	e = s + strlen(s);
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	copy = lower_dup(s, (size_t)(e - s));
	xmlFree(v);
	if (copy == NULL)
		c->nomem = 1;
	return copy;
}

/* add_attr - remember an attribute the mapping reads (once, any case) */
static void
add_attr(struct cc *c, const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0)
		return;
	for (i = 0; i < c->attrs.n; i++)
		if (strlen(c->attrs.v[i]) == len &&
		    strncasecmp(c->attrs.v[i], name, len) == 0)
			return;
	if (strv_push(&c->attrs, strndup(name, len)) < 0)
		c->nomem = 1;
}

/* add_filter_attrs - the attribute types a (valid) filter tests */
static void
add_filter_attrs(struct cc *c, const char *f)
{
	size_t i, j;

	for (i = 0; f[i] != '\0'; i++) {
		if (f[i] == '\\' && f[i + 1] != '\0') {
			i++;
			continue;
		}
		if (f[i] != '(')
			continue;
		j = i + 1;
		while (f[j] == ' ')
			j++;
		if (!isalnum((unsigned char)f[j]))
			continue;
		i = j;
		while (isalnum((unsigned char)f[j]) || f[j] == '-' ||
		    f[j] == '.')
			j++;
		if (f[j] == ';' || f[j] == '=' || f[j] == '~' ||
		    f[j] == '<' || f[j] == '>' || f[j] == ':')
			add_attr(c, f + i, j - i);
		i = j - 1;
	}
}

/* compile_filter - parse attribute "filter" of n; what names it */
static void
compile_filter(struct cc *c, const xmlNode *n, const char *what,
    char **text, struct filter **out)
{
	char err[256];
	int rc;

	*out = NULL;
	*text = prop(c, n, "filter", 0);
	if (*text == NULL)
		return;
	err[0] = '\0';
	rc = filter_parse(*text, out, err, sizeof err);
	if (rc == ERR_NOMEM) {
		c->nomem = 1;
		return;
	}
	if (rc < 0) {
		cc_error(c, n, "%s filter: %s", what, err[0] ? err : "invalid");
		return;
	}
	add_filter_attrs(c, *text);
}

/* parse_port - checked decimal 1..65535 */
static int
parse_port(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return ERR_INVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return ERR_INVAL;
	*out = (unsigned)v;
	return 0;
}

/* compile_host - an element that builds a nexthop from an attribute */
static void
compile_host(struct cc *c, const xmlNode *n, const char *transport,
    struct hostrule *h)
{
	char *port, *mx;

	h->attr = prop(c, n, "attribute", 0);
	add_attr(c, h->attr, h->attr ? strlen(h->attr) : 0);
	h->transport = prop(c, n, "transport", 1);
	if (h->transport == NULL && !c->nomem &&
	    (h->transport = strdup(transport)) == NULL)
		c->nomem = 1;
	port = prop(c, n, "port", 1);
	if (port != NULL && parse_port(port, &h->port) < 0)
		cc_error(c, n, "port \"%s\": not a number from 1 to 65535",
		    port);
	free(port);
	mx = prop(c, n, "mx", 1);
	h->mx = mx != NULL && strcmp(mx, "true") == 0;
	free(mx);
	mx = prop(c, n, "form", 1);
	h->whole = mx != NULL && strcmp(mx, "nexthop") == 0;
	free(mx);
}

/* route_kind_of - "internal", "external", "none" */
static enum route_kind
route_kind_of(const char *s)
{
	if (s != NULL && strcmp(s, "external") == 0)
		return ROUTE_EXTERNAL;
	if (s != NULL && strcmp(s, "none") == 0)
		return ROUTE_NONE;
	return ROUTE_INTERNAL;
}

/* count_elements - element children of n */
static size_t
count_elements(const xmlNode *n)
{
	size_t k = 0;

	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			k++;
	return k;
}

/* compile_conds - the element children of n into a new array */
static void compile_conds(struct cc *c, const xmlNode *n,
    struct cond **out, size_t *nout);

/* via_of - member-of via= to GROUPS_VIA_* */
static unsigned
via_of(const char *s)
{
	if (s == NULL || strcmp(s, "any") == 0)
		return GROUPS_VIA_ANY;
	if (strcmp(s, "memberOf") == 0)
		return GROUPS_VIA_MEMBEROF;
	if (strcmp(s, "member") == 0)
		return GROUPS_VIA_MEMBER;
	if (strcmp(s, "uniqueMember") == 0)
		return GROUPS_VIA_UNIQUEMEMBER;
	return GROUPS_VIA_MEMBERUID;
}

/* compile_member_of - <member-of group= via=> */
static void
compile_member_of(struct cc *c, const xmlNode *n, struct cond *k)
{
	char *group = prop(c, n, "group", 0), *via = prop(c, n, "via", 0);
	int rc;

	k->via = via_of(via);
	if (group != NULL) {
		rc = entry_dn_normalize(group, &k->group);
		if (rc == ERR_NOMEM)
			c->nomem = 1;
		else if (rc < 0 || k->group == NULL || *k->group == '\0')
			cc_error(c, n, "member-of group \"%s\": not a valid "
			    "DN", group);
	}
	if (k->via != GROUPS_VIA_MEMBEROF && !c->has_groups)
		cc_error(c, n, "member-of via=\"%s\" needs a <groups> "
		    "element: member, uniqueMember and memberUid are read "
		    "from group entries", via ? via : "any");
	if (k->via & GROUPS_VIA_MEMBEROF)
		c->needs_memberof = 1;
	free(group);
	free(via);
}

/* compile_cond - one condition element */
static void
compile_cond(struct cc *c, const xmlNode *n, struct cond *k)
{
	char *regex;
	char err[256];
	int rc;

	if (is_el(n, "member-of")) {
		k->kind = COND_MEMBER_OF;
		compile_member_of(c, n, k);
		return;
	}
	if (is_el(n, "not") || is_el(n, "any") || is_el(n, "all")) {
		k->kind = is_el(n, "not") ? COND_NOT :
		    is_el(n, "any") ? COND_ANY : COND_ALL;
		compile_conds(c, n, &k->kids, &k->nkids);
		return;
	}
	k->attr = prop(c, n, "attribute", 0);
	add_attr(c, k->attr, k->attr ? strlen(k->attr) : 0);
	if (is_el(n, "equals")) {
		k->kind = COND_EQUALS;
		k->value = prop(c, n, "value", 0);
	} else if (is_el(n, "present")) {
		k->kind = COND_PRESENT;
	} else {
		k->kind = COND_MATCHES;
		regex = prop(c, n, "regex", 0);
		if (regex == NULL)
			return;
		rc = regcomp(&k->re, regex,
		    REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc == 0) {
			k->has_re = 1;
		} else if (rc == REG_ESPACE) {
			c->nomem = 1;
		} else {
			regerror(rc, &k->re, err, sizeof err);
			cc_error(c, n, "matches regex \"%s\": %s", regex, err);
		}
		free(regex);
	}
}

/* compile_conds - the element children of n into a new array */
static void
compile_conds(struct cc *c, const xmlNode *n, struct cond **out,
    size_t *nout)
{
	size_t k = count_elements(n), i = 0;

	*out = NULL;
	*nout = 0;
	if (k == 0)
		return;
	*out = calloc(k, sizeof **out);
	if (*out == NULL) {
		c->nomem = 1;
		return;
	}
	*nout = k;
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			compile_cond(c, n, &(*out)[i++]);
}

/* compile_routing - <routing default=> and its routes */
static void
compile_routing(struct cc *c, const xmlNode *n, struct mailboxes_rule *r)
{
	char *s = prop(c, n, "default", 1);
	size_t k = count_elements(n), i = 0;

	r->route_default = route_kind_of(s);
	free(s);
	if (k == 0)
		return;
	r->routes = calloc(k, sizeof *r->routes);
	if (r->routes == NULL) {
		c->nomem = 1;
		return;
	}
	r->nroutes = k;
	for (n = n->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		s = prop(c, n, "to", 1);
		r->routes[i].to = route_kind_of(s);
		free(s);
		compile_conds(c, n, &r->routes[i].conds, &r->routes[i].nconds);
		i++;
	}
}

/* binary_id_attr - an id attribute whose values are bytes, not text:
 * Active Directory's and Exchange's GUIDs and SIDs */
static int
binary_id_attr(const char *name)
{
	static const char *const binary[] = {
		"objectGUID", "objectSid", "mS-DS-ConsistencyGuid",
		"msExchMailboxGuid"
	};
	size_t i;

	for (i = 0; i < sizeof binary / sizeof *binary; i++)
		if (strcasecmp(name, binary[i]) == 0)
			return 1;
	return 0;
}

/* compile_mailboxes - <mailboxes> */
static void
compile_mailboxes(struct cc *c, const xmlNode *n, struct mailboxes_rule *r)
{
	struct addrrule *a;
	const xmlNode *k;
	char *s;

	compile_filter(c, n, "mailboxes", &r->filter_text, &r->filter);
	r->id_attr = prop(c, n, "id", 0);
	if (r->id_attr == NULL && !c->nomem &&
	    (r->id_attr = strdup("entryUUID")) == NULL)
		c->nomem = 1;
	add_attr(c, r->id_attr, r->id_attr ? strlen(r->id_attr) : 0);
	/* the schema allows "hex" and "text" only */
	s = prop(c, n, "id-encoding", 1);
	r->id_hex = s ? strcmp(s, "hex") == 0 :
	    r->id_attr != NULL && binary_id_attr(r->id_attr);
	free(s);
	r->route_default = ROUTE_INTERNAL;
	r->addrs = calloc(count_elements(n) + 1, sizeof *r->addrs);
	if (r->addrs == NULL) {
		c->nomem = 1;
		return;
	}
	for (k = n->children; k != NULL; k = k->next) {
		if (is_el(k, "address")) {
			a = &r->addrs[r->naddrs++];
			a->attr = prop(c, k, "attribute", 0);
			a->prefix = prop(c, k, "prefix", 0);
			a->primary = prop(c, k, "primary-prefix", 0);
			add_attr(c, a->attr, a->attr ? strlen(a->attr) : 0);
		} else if (is_el(k, "routing")) {
			compile_routing(c, k, r);
		} else if (is_el(k, "nexthop")) {
			compile_host(c, k, "smtp", &r->nexthop);
			s = prop(c, k, "applies-to", 1);
			r->nexthop_applies = s == NULL ||
			    strcmp(s, "both") == 0 ?
			    (1u << ROUTE_INTERNAL) | (1u << ROUTE_EXTERNAL) :
			    1u << route_kind_of(s);
			free(s);
		} else if (is_el(k, "external-addresses")) {
			r->ext_attr = prop(c, k, "attribute", 0);
			add_attr(c, r->ext_attr,
			    r->ext_attr ? strlen(r->ext_attr) : 0);
		}
	}
}

/* split_words - white-space separated words of s into a new array */
static void
split_words(struct cc *c, const char *s, char ***out, size_t *nout)
{
	struct strv sv = { NULL, 0, 0 };
	size_t len;

	while (s != NULL && *s != '\0') {
		while (isspace((unsigned char)*s))
			s++;
		len = strcspn(s, " \t\r\n");
		if (len == 0)
			break;
		if (strv_push(&sv, strndup(s, len)) < 0) {
			c->nomem = 1;
			break;
		}
		s += len;
	}
	*out = sv.v;
	*nout = sv.n;
}

/* compile_domains - <domains> */
static void
compile_domains(struct cc *c, const xmlNode *n, struct domains_rule *r)
{
	const xmlNode *k;
	char *s, *words;
	char **v;

	compile_filter(c, n, "domains", &r->filter_text, &r->filter);
	r->relay_default = prop(c, n, "relay", 1);
	r->local_default = prop(c, n, "local", 1);
	s = prop(c, n, "forward-unknown", 1);
	r->fwd_default = s != NULL && strcmp(s, "true") == 0;
	free(s);
	for (k = n->children; k != NULL; k = k->next) {
		if (is_el(k, "name")) {
			r->name_attr = prop(c, k, "attribute", 0);
			add_attr(c, r->name_attr,
			    r->name_attr ? strlen(r->name_attr) : 0);
		} else if (is_el(k, "alias")) {
			s = prop(c, k, "attribute", 0);
			if (s == NULL)
				continue;
			add_attr(c, s, strlen(s));
			v = realloc(r->alias_attrs,
			    (r->nalias_attrs + 1) * sizeof *v);
			if (v == NULL) {
				free(s);
				c->nomem = 1;
				continue;
			}
			r->alias_attrs = v;
			v[r->nalias_attrs++] = s;
		} else if (is_el(k, "relay")) {
			compile_host(c, k, "smtp", &r->relay);
		} else if (is_el(k, "local")) {
			compile_host(c, k, "lmtp", &r->local);
		} else if (is_el(k, "forward-unknown")) {
			r->fwd_attr = prop(c, k, "attribute", 0);
			add_attr(c, r->fwd_attr,
			    r->fwd_attr ? strlen(r->fwd_attr) : 0);
			words = prop(c, k, "true", 0);
			split_words(c, words ? words : DEFAULT_TRUE,
			    &r->true_words, &r->ntrue_words);
			if (r->ntrue_words == 0 && !c->nomem)
				cc_error(c, k, "forward-unknown: true= lists "
				    "no value");
			free(words);
		}
	}
}

/* compile_domain - a <domain> written in the mapping */
static void
compile_domain(struct cc *c, const xmlNode *n, struct domain_spec *ds)
{
	struct buf origin = BUF_INIT;
	const xmlNode *k;
	const char *base;
	char *s, *fwd;
	size_t i;

	ds->name = prop(c, n, "name", 1);
	ds->relay = prop(c, n, "relay", 1);
	ds->local = prop(c, n, "local", 1);
	fwd = prop(c, n, "forward-unknown", 1);
	ds->forward_unknown = fwd != NULL && strcmp(fwd, "true") == 0;
	free(fwd);
	/* The file name alone: the route listing must not depend on where
	 * the configuration happens to live. */
	base = strrchr(c->path, '/');
	if (buf_printf(&origin, "%s:%ld", base ? base + 1 : c->path,
	    xmlGetLineNo(n)) < 0)
		c->nomem = 1;
	ds->origin = buf_steal(&origin);
	if (ds->origin == NULL)
		c->nomem = 1;
	ds->aliases = calloc(count_elements(n) + 1, sizeof *ds->aliases);
	if (ds->aliases == NULL) {
		c->nomem = 1;
		return;
	}
	for (k = n->children; k != NULL; k = k->next) {
		if (!is_el(k, "alias"))
			continue;
		s = content(c, k);
		if (s == NULL)
			continue;
		/* An alias written twice, or equal to the name, says nothing. */
		for (i = 0; i < ds->naliases; i++)
			if (strcmp(ds->aliases[i], s) == 0)
				break;
		if (i < ds->naliases || (ds->name && strcmp(ds->name, s) == 0))
			free(s);
		else
			ds->aliases[ds->naliases++] = s;
	}
}

/* has_child - whether root has an element child called name */
static int
has_child(const xmlNode *root, const char *name)
{
	const xmlNode *n;

	for (n = root->children; n != NULL; n = n->next)
		if (is_el(n, name))
			return 1;
	return 0;
}

/* wrap_filter - append text to b as one parenthesized filter */
static int
wrap_filter(struct buf *b, const char *text)
{
	const char *s = text, *e = text + strlen(text);

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (*s == '(')
		return buf_append(b, s, (size_t)(e - s));
	if (buf_putc(b, '(') < 0 || buf_append(b, s, (size_t)(e - s)) < 0)
		return ERR_NOMEM;
	return buf_putc(b, ')');
}

/* build_filter - (|(domains)(groups)(mailboxes)) of the filters present */
static int
build_filter(struct mapping *m)
{
	const char *parts[3];
	struct buf b = BUF_INIT;
	size_t n = 0, i;
	int rc = 0;

	if (m->domrule && m->domrule->filter_text)
		parts[n++] = m->domrule->filter_text;
	if (m->groups_text)
		parts[n++] = m->groups_text;
	if (m->mbox.filter_text)
		parts[n++] = m->mbox.filter_text;
	if (n > 1)
		rc = buf_puts(&b, "(|");
	for (i = 0; i < n && rc == 0; i++)
		rc = wrap_filter(&b, parts[i]);
	if (rc == 0 && n > 1)
		rc = buf_putc(&b, ')');
	if (rc == 0)
		rc = (m->filter = buf_steal(&b)) ? 0 : ERR_NOMEM;
	buf_free(&b);
	return rc;
}

/* compile - a validated document into m; ERR_CONFIG or ERR_NOMEM */
static int
compile(struct cc *c, const xmlNode *root, struct mapping *m)
{
	static const char *const group_attrs[] = {
		"member", "uniqueMember", "memberUid", "memberOf", "uid"
	};
	const xmlNode *n;
	size_t i, k = 0;

	m->name = prop(c, root, "name", 0);
	c->has_groups = has_child(root, "groups");
	add_attr(c, "objectClass", strlen("objectClass"));
	add_attr(c, "entryUUID", strlen("entryUUID"));
	for (n = root->children; n != NULL; n = n->next)
		if (is_el(n, "domain"))
			k++;
	if (k > 0) {
		m->domains = calloc(k, sizeof *m->domains);
		if (m->domains == NULL)
			return ERR_NOMEM;
	}
	for (n = root->children; n != NULL; n = n->next) {
		if (is_el(n, "domain")) {
			compile_domain(c, n, &m->domains[m->ndomains++]);
		} else if (is_el(n, "domains")) {
			m->domrule = calloc(1, sizeof *m->domrule);
			if (m->domrule == NULL)
				return ERR_NOMEM;
			compile_domains(c, n, m->domrule);
		} else if (is_el(n, "groups")) {
			compile_filter(c, n, "groups", &m->groups_text,
			    &m->groups);
			for (i = 0; i < sizeof group_attrs / sizeof *group_attrs;
			    i++)
				add_attr(c, group_attrs[i],
				    strlen(group_attrs[i]));
		} else if (is_el(n, "mailboxes")) {
			compile_mailboxes(c, n, &m->mbox);
		}
	}
	if (c->needs_memberof)
		add_attr(c, "memberOf", strlen("memberOf"));
	if (c->nomem)
		return ERR_NOMEM;
	if (m->ndomains == 0 && m->domrule == NULL) {
		/* The schema says so too; kept for a schema edited badly. */
		cc_error(c, root, "a mapping needs a <domain> or a <domains>");
	}
	if (c->nerrors > 0)
		return ERR_CONFIG;
	if (build_filter(m) < 0)
		return ERR_NOMEM;
	m->attrs = c->attrs.v;
	m->nattrs = c->attrs.n;
	memset(&c->attrs, 0, sizeof c->attrs);
	if (m->attrs == NULL)
		return ERR_NOMEM;
	return 0;
}

/* mapping_load - parse, validate and compile a mapping file */
int
mapping_load(const char *path, struct mapping **out, struct diag *d)
{
	struct load l = { path, d, 0, 0 };
	struct cc c;
	struct mapping *m = NULL;
	xmlDoc *doc = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.path = path;
	c.d = d;
	xmlInitParser();
	rc = file_read_named(path, "mapping file", FILE_MAX_MAPPING, 0, &data,
	    &len, d);
	if (rc < 0)
		goto cleanup;
	rc = parse_xml(&l, data, len, &doc);
	if (rc < 0)
		goto cleanup;
	rc = validate(&l, doc);
	if (rc < 0)
		goto cleanup;
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = compile(&c, xmlDocGetRootElement(doc), m);
	if (rc < 0)
		goto cleanup;
	*out = m;
	m = NULL;
cleanup:
	mapping_free(m);
	strv_free(&c.attrs);
	xmlFreeDoc(doc);
	free(data);
	return rc;
}

/* mapping_filter - the one filter selecting every entry used */
const char *
mapping_filter(const struct mapping *m)
{
	return m->filter;
}

/* mapping_attributes - the attributes to request */
const char *const *
mapping_attributes(const struct mapping *m)
{
	return (const char *const *)m->attrs;
}

/* mapping_domain_count - static domains */
size_t
mapping_domain_count(const struct mapping *m)
{
	return m->ndomains;
}

/* mapping_domain_at - one static domain */
const struct domain_spec *
mapping_domain_at(const struct mapping *m, size_t i)
{
	return i < m->ndomains ? &m->domains[i] : NULL;
}

/* mapping_classify - MAPPING_* bits for e */
unsigned
mapping_classify(const struct mapping *m, const struct entry *e)
{
	unsigned bits = 0;

	if (m->domrule && m->domrule->filter &&
	    filter_match(m->domrule->filter, e))
		bits |= MAPPING_DOMAIN;
	if (m->groups && filter_match(m->groups, e))
		bits |= MAPPING_GROUP;
	if (m->mbox.filter && filter_match(m->mbox.filter, e))
		bits |= MAPPING_MAILBOX;
	return bits;
}

/*
 * Evaluation: one entry into a spec.
 */

/* usable - whether value v of attribute attr can be passed on; a value
 * with a NUL byte is reported with the DN */
static int
usable(const struct entry *e, const char *attr, const struct entry_value *v,
    struct diag *d)
{
	if (memchr(v->data, '\0', v->len) == NULL)
		return 1;
	diag_add(d, DIAG_WARNING, DIAG_REJECTED, e->dn,
	    "%s: a value with a NUL byte is refused", attr);
	return 0;
}

/* first_value - the first usable, non-empty value of attr (of every
 * attribute of that base name), or NULL */
static const struct entry_value *
first_value(const struct entry *e, const char *attr, struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;

	for (v = entry_value_first(e, attr, &it); v != NULL;
	    v = entry_value_next(&it))
		if (v->len > 0 && usable(e, attr, v, d))
			return v;
	return NULL;
}

/* build_nexthop - "transport:[host]:port" from a host name or IP */
static char *
build_nexthop(const struct hostrule *h, const struct entry_value *v)
{
	unsigned char addr[16];
	struct buf b = BUF_INIT;
	char *host, *p, *result = NULL;
	size_t len = v->len;
	int bracket = !h->mx, v6 = 0, rc;

	host = lower_dup(v->data, len);
	if (host == NULL || h->whole)
		return host;    /* a whole nexthop: the model validates it */
	p = host;
	/* A host already written in brackets keeps them. */
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p[len - 1] = '\0';
		p++;
		bracket = 1;
	}
	if (strncmp(p, "ipv6:", 5) == 0 && inet_pton(AF_INET6, p + 5, addr)
	    == 1) {
		p += 5;
		v6 = 1;
	} else if (inet_pton(AF_INET6, p, addr) == 1) {
		v6 = 1;
	} else if (inet_pton(AF_INET, p, addr) == 1) {
		bracket = 1;    /* an address has no MX to look up */
	}
	if (v6)
		rc = buf_printf(&b, "%s:[ipv6:%s]", h->transport, p);
	else
		rc = buf_printf(&b, bracket ? "%s:[%s]" : "%s:%s",
		    h->transport, p);
	if (rc == 0 && h->port)
		rc = buf_printf(&b, ":%u", h->port);
	if (rc == 0)
		result = buf_steal(&b);
	buf_free(&b);
	free(host);
	return result;
}

/* host_from_entry - *out = nexthop built from h's attribute, else a copy
 * of def (may be NULL); ERR_NOMEM */
static int
host_from_entry(const struct hostrule *h, const char *def,
    const struct entry *e, char **out, struct diag *d)
{
	const struct entry_value *v = first_value(e, h->attr, d);

	*out = NULL;
	if (v != NULL)
		*out = build_nexthop(h, v);
	else if (def != NULL)
		*out = strdup(def);
	else
		return 0;
	return *out ? 0 : ERR_NOMEM;
}

/* add_name - append a lowercased copy of v to sv unless already there */
static int
add_name(struct strv *sv, const struct entry_value *v)
{
	char *s = lower_dup(v->data, v->len);

	if (s == NULL)
		return ERR_NOMEM;
	if (strv_find(sv, s) >= 0) {
		free(s);
		return 0;
	}
	return strv_push(sv, s);
}

/* add_values - every usable value of attr into sv (lowercased, once) */
static int
add_values(struct strv *sv, const struct entry *e, const char *attr,
    struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	int rc;

	for (v = entry_value_first(e, attr, &it); v != NULL;
	    v = entry_value_next(&it)) {
		if (v->len == 0 || !usable(e, attr, v, d))
			continue;
		rc = add_name(sv, v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* is_true - whether v is one of the true words (any case) */
static int
is_true(const struct domains_rule *r, const struct entry_value *v)
{
	size_t i;

	for (i = 0; i < r->ntrue_words; i++)
		if (strlen(r->true_words[i]) == v->len &&
		    strncasecmp(r->true_words[i], v->data, v->len) == 0)
			return 1;
	return 0;
}

/* mapping_domain_from_entry - a domain spec from a domain entry */
int
mapping_domain_from_entry(const struct mapping *m, const struct entry *e,
    struct domain_spec *out, struct diag *d)
{
	const struct domains_rule *r = m->domrule;
	const struct entry_value *v;
	struct strv names = { NULL, 0, 0 };
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return ERR_BUG;
	rc = add_values(&names, e, r->name_attr, d);
	for (i = 0; rc == 0 && i < r->nalias_attrs; i++)
		rc = add_values(&names, e, r->alias_attrs[i], d);
	if (rc < 0)
		goto cleanup;
	if (names.n == 0 || names.v[0][0] == '\0') {
		diag_add(d, DIAG_ERROR, DIAG_REJECTED, e->dn,
		    "domain entry has no %s value; skipped", r->name_attr);
		rc = ERR_DATA;
		goto cleanup;
	}
	out->name = names.v[0];
	/* The other names, in order, are the aliases. */
	memmove(names.v, names.v + 1, names.n * sizeof *names.v);
	out->aliases = names.v;
	out->naliases = names.n - 1;
	memset(&names, 0, sizeof names);
	rc = ERR_NOMEM;
	if ((out->origin = strdup(e->dn)) == NULL)
		goto cleanup;
	if (host_from_entry(&r->relay, r->relay_default, e, &out->relay, d) < 0
	    || host_from_entry(&r->local, r->local_default, e, &out->local,
	    d) < 0)
		goto cleanup;
	out->forward_unknown = r->fwd_default;
	if ((v = first_value(e, r->fwd_attr, d)) != NULL)
		out->forward_unknown = is_true(r, v);
	rc = 0;
cleanup:
	strv_free(&names);
	if (rc < 0)
		domain_spec_clear(out);
	return rc;
}

/* member_of_direct - memberOf on the entry names group (no groups known) */
static int
member_of_direct(const struct cond *k, const struct entry *e)
{
	const struct entry_value *v;
	struct entry_iter it;
	char *norm;
	int rc, found = 0;

	for (v = entry_value_first(e, "memberOf", &it); v != NULL && !found;
	    v = entry_value_next(&it)) {
		if (memchr(v->data, '\0', v->len))
			continue;
		rc = entry_dn_normalize(v->data, &norm);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc < 0)
			continue;
		found = strcmp(norm, k->group) == 0;
		free(norm);
	}
	return found;
}

/* cond_eval - 1 when k holds for e, 0 when not, negative on error */
static int
cond_eval(const struct cond *k, const struct entry *e, struct groups *g)
{
	const struct entry_value *v;
	struct entry_iter it;
	size_t i;
	int rc;

	switch (k->kind) {
	case COND_MEMBER_OF:
		if (g != NULL)
			return groups_is_member(g, k->group, e, k->via);
		return (k->via & GROUPS_VIA_MEMBEROF) ?
		    member_of_direct(k, e) : 0;
	case COND_EQUALS:
		return entry_has_value(e, k->attr, k->value, strlen(k->value));
	case COND_PRESENT:
		return entry_value_first(e, k->attr, &it) != NULL;
	case COND_MATCHES:
		for (v = entry_value_first(e, k->attr, &it); v != NULL;
		    v = entry_value_next(&it))
			if (memchr(v->data, '\0', v->len) == NULL &&
			    regexec(&k->re, v->data, 0, NULL, 0) == 0)
				return 1;
		return 0;
	case COND_NOT:
		if (k->nkids == 0)
			return 0;
		rc = cond_eval(&k->kids[0], e, g);
		return rc < 0 ? rc : !rc;
	case COND_ANY:
		for (i = 0; i < k->nkids; i++)
			if ((rc = cond_eval(&k->kids[i], e, g)) != 0)
				return rc;
		return 0;
	case COND_ALL:
		for (i = 0; i < k->nkids; i++)
			if ((rc = cond_eval(&k->kids[i], e, g)) <= 0)
				return rc;
		return 1;
	}
	return 0;
}

/* decide_route - the first route whose conditions all hold, else the
 * default; negative on error */
static int
decide_route(const struct mailboxes_rule *r, const struct entry *e,
    struct groups *g, enum route_kind *out)
{
	size_t i, j;
	int rc;

	for (i = 0; i < r->nroutes; i++) {
		rc = 1;
		for (j = 0; j < r->routes[i].nconds; j++)
			if ((rc = cond_eval(&r->routes[i].conds[j], e, g)) <= 0)
				break;
		if (rc < 0)
			return rc;
		if (rc > 0) {
			*out = r->routes[i].to;
			return 0;
		}
	}
	*out = r->route_default;
	return 0;
}

/* mailbox_id - the id attribute's first value, else the DN, in the one
 * encoding of that attribute: a binary one (objectGUID) in lowercase
 * hex whatever its bytes, a text one as it is. A text value holding a
 * NUL byte is no id: reported, the DN is used. */
static char *
mailbox_id(const struct mailboxes_rule *r, const struct entry *e,
    struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	struct buf b = BUF_INIT;
	size_t i;

	v = entry_value_first(e, r->id_attr, &it);
	if (v == NULL || v->len == 0)
		return strdup(e->dn);
	if (!r->id_hex)
		return usable(e, r->id_attr, v, d) ? strdup(v->data) :
		    strdup(e->dn);
	for (i = 0; i < v->len; i++)
		if (buf_printf(&b, "%02x", (unsigned char)v->data[i]) < 0) {
			buf_free(&b);
			return NULL;
		}
	return buf_steal(&b);
}

/* collect_addresses - addresses per the <address> rules, default first */
static int
collect_addresses(const struct mailboxes_rule *r, const struct entry *e,
    struct strv *sv, struct diag *d)
{
	const struct addrrule *ar;
	const struct entry_value *v;
	struct entry_value tail;
	struct entry_iter it;
	long primary = -1, at;
	size_t i, plen;
	char *s;
	int rc;

	for (i = 0; i < r->naddrs; i++) {
		ar = &r->addrs[i];
		for (v = entry_value_first(e, ar->attr, &it); v != NULL;
		    v = entry_value_next(&it)) {
			if (!usable(e, ar->attr, v, d))
				continue;
			tail = *v;
			plen = ar->primary ? strlen(ar->primary) : 0;
			if (plen && v->len >= plen &&
			    memcmp(v->data, ar->primary, plen) == 0) {
				tail.data += plen;
				tail.len -= plen;
			} else if (ar->prefix) {
				plen = strlen(ar->prefix);
				/* x500:, sip: and the like are not addresses. */
				if (v->len < plen || strncasecmp(v->data,
				    ar->prefix, plen) != 0)
					continue;
				tail.data += plen;
				tail.len -= plen;
				plen = 0;
			} else {
				plen = 0;
			}
			s = lower_dup(tail.data, tail.len);
			if (s == NULL)
				return ERR_NOMEM;
			at = strv_find(sv, s);
			if (at < 0) {
				at = (long)sv->n;
				if ((rc = strv_push(sv, s)) < 0)
					return rc;
			} else {
				free(s);
			}
			if (plen && primary < 0)
				primary = at;
		}
	}
	if (primary > 0) {
		s = sv->v[primary];
		memmove(sv->v + 1, sv->v, (size_t)primary * sizeof *sv->v);
		sv->v[0] = s;
	}
	return 0;
}

/* external_flags - partly external: exactly the addresses listed in the
 * external-addresses attribute are external; NULL when none is listed */
static int
external_flags(const struct mailboxes_rule *r, const struct entry *e,
    struct mailbox_spec *out, struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	unsigned char *flags;
	size_t j, matched = 0;
	char *s;

	v = entry_value_first(e, r->ext_attr, &it);
	if (v == NULL || out->naddresses == 0)
		return 0;
	flags = calloc(out->naddresses, 1);
	if (flags == NULL)
		return ERR_NOMEM;
	for (; v != NULL; v = entry_value_next(&it)) {
		if (!usable(e, r->ext_attr, v, d))
			continue;
		s = lower_dup(v->data, v->len);
		if (s == NULL) {
			free(flags);
			return ERR_NOMEM;
		}
		for (j = 0; j < out->naddresses; j++)
			if (strcmp(out->addresses[j], s) == 0)
				break;
		if (j < out->naddresses) {
			matched += !flags[j];
			flags[j] = 1;
		} else {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, e->dn,
			    "%s: \"%s\" is not an address of this mailbox; "
			    "ignored", r->ext_attr, s);
		}
		free(s);
	}
	if (matched == 0) {
		free(flags);
		return 0;
	}
	out->external = flags;
	return 0;
}

/* mapping_mailbox_from_entry - a mailbox spec from a mailbox entry */
int
mapping_mailbox_from_entry(const struct mapping *m, const struct entry *e,
    struct groups *g, struct mailbox_spec *out, struct diag *d)
{
	const struct mailboxes_rule *r = &m->mbox;
	struct strv addrs = { NULL, 0, 0 };
	int rc;

	memset(out, 0, sizeof *out);
	rc = ERR_NOMEM;
	if ((out->id = mailbox_id(r, e, d)) == NULL ||
	    (out->dn = strdup(e->dn)) == NULL)
		goto cleanup;
	rc = collect_addresses(r, e, &addrs, d);
	if (rc < 0)
		goto cleanup;
	out->addresses = addrs.v;
	out->naddresses = addrs.n;
	memset(&addrs, 0, sizeof addrs);
	rc = decide_route(r, e, g, &out->route);
	if (rc < 0)
		goto cleanup;
	if (out->route != ROUTE_NONE && r->nexthop.attr != NULL &&
	    (r->nexthop_applies & (1u << out->route))) {
		rc = host_from_entry(&r->nexthop, NULL, e, &out->nexthop, d);
		if (rc < 0)
			goto cleanup;
	}
	if (out->route != ROUTE_NONE && r->ext_attr != NULL) {
		rc = external_flags(r, e, out, d);
		if (rc < 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	strv_free(&addrs);
	if (rc < 0)
		mailbox_spec_clear(out);
	return rc;
}
