/*
 * mapping_load - mapping files read, parsed and validated
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
 *	the document is validated against that schema, and compiled
 *	(mapping_compile.c). The XML document is freed before returning.
 *
 *	libxml2 reports through callbacks attached to each parser and
 *	validation context, never through its process-wide handlers, so
 *	nothing is printed and nothing global is changed.
 *
 * DIAGNOSTICS
 *	Load problems are errors with "file:line" as where; all of a file's
 *	problems are reported before it is refused with ERR_CONFIG; what
 *	file_read_named() returns when the file cannot be read (file.h).
 *	ERR_BUG when the compiled-in schema cannot be used; ERR_NOMEM.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "errors.h"
#include "file.h"
#include "mapping.h"
#include "mapping_int.h"

extern const unsigned char mapping_schema_rng[];
extern const size_t mapping_schema_rng_len;

#define MAPPING_NS      "urn:splitsync:mapping:1"
#define RELAXNG_NS      "http://relaxng.org/ns/structure/1.0"

/* The structured error callback lost its mutable pointer in 2.12. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlErrorPtr xml_error_arg;
#endif

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

/* mapping_report - add one item at path:line (path alone when line <= 0) */
void
mapping_report(struct diag *d, enum diag_level level, const char *path,
    long line, const char *fmt, ...)
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

/* mapping_strv_push - append s (taken over; freed on failure) */
int
mapping_strv_push(struct strv *sv, char *s)
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

/* mapping_strv_free - release the strings and the array */
void
mapping_strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	memset(sv, 0, sizeof *sv);
}

/* mapping_strv_find - index of s (exact) in sv, or -1 */
long
mapping_strv_find(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return (long)i;
	return -1;
}

/* mapping_lower_dup - malloc'd copy of len bytes, ASCII letters lowercased */
char *
mapping_lower_dup(const char *s, size_t len)
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
		mapping_report(l->d, DIAG_WARNING, l->path, line, "%.*s",
		    (int)len, msg);
		return;
	}
	l->nerrors++;
	mapping_report(l->d, DIAG_ERROR, l->path, line, "%.*s", (int)len, msg);
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
	mapping_report(l->d, DIAG_ERROR, l->path, xmlSAX2GetLineNumber(ctx),
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
			mapping_report(l->d, DIAG_ERROR, l->path, 0,
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
			mapping_report(l->d, DIAG_ERROR, l->path, 0,
			    "not a well-formed XML document");
	}
	xmlFreeParserCtxt(p);
	if (doc == NULL)
		return ERR_CONFIG;
	if (xmlDocGetRootElement(doc) == NULL) {
		mapping_report(l->d, DIAG_ERROR, l->path, 0, "no root element");
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
			rc = mapping_strv_find(&va->values, (const char *)s) >=
			    0 ? 0 : mapping_strv_push(&va->values,
			    strdup((const char *)s));
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
			mapping_strv_free(&v->els[i].attrs[j].values);
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
			mapping_report(l->d, DIAG_ERROR, l->path, line,
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
			mapping_report(l->d, DIAG_ERROR, l->path, line,
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
			mapping_report(l->d, DIAG_ERROR, l->path, line,
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
			mapping_report(l->d, DIAG_ERROR, l->path,
			    xmlGetLineNo(n),
			    "entity references are not allowed in mapping "
			    "files");
			bad++;
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns == NULL ||
		    !xmlStrEqual(n->ns->href, BAD_CAST MAPPING_NS)) {
			mapping_report(l->d, DIAG_ERROR, l->path,
			    xmlGetLineNo(n),
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
			mapping_report(l->d, DIAG_ERROR, l->path,
			    xmlGetLineNo(n),
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
			mapping_report(l->d, DIAG_ERROR, l->path, 0,
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

/* mapping_load - parse, validate and compile a mapping file */
int
mapping_load(const char *path, struct mapping **out, struct diag *d)
{
	struct load l = { path, d, 0, 0 };
	struct mapping *m = NULL;
	xmlDoc *doc = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
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
	rc = mapping_compile(path, xmlDocGetRootElement(doc), m, d);
	if (rc < 0)
		goto cleanup;
	*out = m;
	m = NULL;
cleanup:
	mapping_free(m);
	xmlFreeDoc(doc);
	free(data);
	return rc;
}

