/*
 * mapping_compile - a validated mapping document compiled into rules
 *
 * SYNOPSIS
 *	#include "mapping_int.h"
 *
 * DESCRIPTION
 *	mapping_compile() turns a document valid against the schema into
 *	an immutable struct mapping: every attribute read numbered in one
 *	attrset, filters compiled against it, static domains turned into
 *	domain_spec records, the attributes to request gathered. The
 *	routing conditions become a flat list of leaves (attribute tests,
 *	at most MAPPING_MAX_LEAVES different ones, and member-of tests,
 *	group DNs normalized and hashed) under a tree of not, any and all
 *	nodes; a leaf written twice is stored once.
 *	mapping_free() releases it; the accessors below read it.
 *
 * DIAGNOSTICS
 *	Every problem is an error at "file:line" of its element; all of
 *	them are reported before ERR_CONFIG is returned. ERR_NOMEM.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "attrset.h"
#include "buf.h"
#include "dn.h"
#include "errors.h"
#include "filter.h"
#include "mapping.h"
#include "mapping_int.h"
#include "vec.h"

#define DEFAULT_TRUE    "true yes 1"

/* What compiling needs. */
struct cc {
	const char *path;
	struct diag *d;
	struct mapping *m;
	size_t nerrors;
	int nomem;
	int has_groups;
	int needs_memberof;
	int too_many;           /* the leaf limit was reported */
	struct strv attrs;
};

/* free_routing - release a mailboxes rule's routing */
static void
free_routing(struct mailboxes_rule *r)
{
	size_t i;

	for (i = 0; i < r->nleaves; i++) {
		free(r->leaves[i].text);
		if (r->leaves[i].has_re)
			regfree(&r->leaves[i].re);
	}
	free(r->leaves);
	for (i = 0; i < r->nmleaves; i++)
		free(r->mleaves[i].group);
	free(r->mleaves);
	free(r->nodes);
	free(r->kids);
	free(r->routes);
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
	size_t i;

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
		free(r->alias_slots);
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
	free_routing(&m->mbox);
	free_host(&m->mbox.nexthop);
	free(m->mbox.ext_attr);
	free(m->filter);
	free_words(m->attrs, m->nattrs);
	attrset_free(m->set);
	free(m);
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
	mapping_report(c->d, DIAG_ERROR, c->path, xmlGetLineNo(n), "%s", text);
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
		copy = mapping_lower_dup(s, (size_t)(e - s));
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
	copy = mapping_lower_dup(s, (size_t)(e - s));
	xmlFree(v);
	if (copy == NULL)
		c->nomem = 1;
	return copy;
}

/* add_attr - remember an attribute the mapping reads (requested once
 * as first written, any case; numbered by its base name); its index,
 * or ATTRSET_NONE for no name */
static size_t
add_attr(struct cc *c, const char *name, size_t len)
{
	size_t i, slot = ATTRSET_NONE;
	int rc;

	if (name == NULL || len == 0)
		return ATTRSET_NONE;
	rc = attrset_add(c->m->set, name, len, &slot);
	if (rc == ERR_NOMEM)
		c->nomem = 1;
	for (i = 0; i < c->attrs.n; i++)
		if (strlen(c->attrs.v[i]) == len &&
		    strncasecmp(c->attrs.v[i], name, len) == 0)
			return slot;
	if (mapping_strv_push(&c->attrs, strndup(name, len)) < 0)
		c->nomem = 1;
	return slot;
}

/* add_attr_str - add_attr of a C string, or of nothing */
static size_t
add_attr_str(struct cc *c, const char *name)
{
	return name ? add_attr(c, name, strlen(name)) : ATTRSET_NONE;
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
	rc = filter_compile(*text, c->m->set, out, err, sizeof err);
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
	h->slot = add_attr_str(c, h->attr);
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

/* compile_node - one condition element into a node of r */
static size_t compile_node(struct cc *c, const xmlNode *n,
    struct mailboxes_rule *r);

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

/* new_node - a node of r without kids; its index, or SIZE_MAX when
 * memory ran out */
static size_t
new_node(struct cc *c, struct mailboxes_rule *r, enum node_kind kind,
    size_t leaf)
{
	struct node *x;

	if (vec_grow((void **)&r->nodes, &r->capnodes, r->nnodes,
	    sizeof *r->nodes) < 0) {
		c->nomem = 1;
		return SIZE_MAX;
	}
	x = &r->nodes[r->nnodes];
	x->kind = kind;
	x->leaf = leaf;
	x->first = 0;
	x->n = 0;
	return r->nnodes++;
}

/* compile_kids - the element children of n as the kids of node at,
 * side by side in r->kids */
static void
compile_kids(struct cc *c, const xmlNode *n, struct mailboxes_rule *r,
    size_t at)
{
	size_t k = count_elements(n), i = 0, *kids;
	const xmlNode *x;

	if (k == 0 || at == SIZE_MAX)
		return;
	if ((kids = calloc(k, sizeof *kids)) == NULL) {
		c->nomem = 1;
		return;
	}
	for (x = n->children; x != NULL; x = x->next)
		if (x->type == XML_ELEMENT_NODE)
			kids[i++] = compile_node(c, x, r);
	if (vec_reserve((void **)&r->kids, &r->capkids, r->nkids + k,
	    sizeof *r->kids) < 0) {
		c->nomem = 1;
	} else {
		memcpy(r->kids + r->nkids, kids, k * sizeof *kids);
		r->nodes[at].first = r->nkids;
		r->nodes[at].n = k;
		r->nkids += k;
	}
	free(kids);
}

/* compile_member_of - <member-of group= via=>: a member-of leaf, one
 * per group and ways */
static size_t
compile_member_of(struct cc *c, const xmlNode *n, struct mailboxes_rule *r)
{
	char *group = prop(c, n, "group", 0), *via = prop(c, n, "via", 0);
	struct mleaf k;
	size_t i = SIZE_MAX;
	int rc;

	memset(&k, 0, sizeof k);
	k.via = via_of(via);
	if (group != NULL) {
		/* groups_is_member() normalizes the DN it is given
		 * again: the hash is of that form too. */
		rc = entry_dn_normalize(group, &k.group);
		if (rc == 0 && *k.group != '\0')
			rc = dn_hash(k.group, strlen(k.group), &k.hash);
		if (rc == ERR_NOMEM)
			c->nomem = 1;
		else if (rc < 0 || k.group == NULL || *k.group == '\0')
			cc_error(c, n, "member-of group \"%s\": not a valid "
			    "DN", group);
	}
	if (k.via != GROUPS_VIA_MEMBEROF && !c->has_groups)
		cc_error(c, n, "member-of via=\"%s\" needs a <groups> "
		    "element: member, uniqueMember and memberUid are read "
		    "from group entries", via ? via : "any");
	if (k.via & GROUPS_VIA_MEMBEROF)
		c->needs_memberof = 1;
	free(group);
	free(via);
	if (k.group == NULL || *k.group == '\0') {
		free(k.group);
		return SIZE_MAX;
	}
	r->member_via |= k.via;
	for (i = 0; i < r->nmleaves; i++)
		if (r->mleaves[i].via == k.via &&
		    strcmp(r->mleaves[i].group, k.group) == 0)
			break;
	if (i < r->nmleaves) {
		free(k.group);
	} else if (vec_grow((void **)&r->mleaves, &r->capmleaves,
	    r->nmleaves, sizeof *r->mleaves) < 0) {
		free(k.group);
		c->nomem = 1;
		return SIZE_MAX;
	} else {
		r->mleaves[r->nmleaves++] = k;
	}
	return new_node(c, r, NODE_MEMBER, i);
}

/* same_leaf - whether a and b test the same thing */
static int
same_leaf(const struct leaf *a, const struct leaf *b)
{
	if (a->kind != b->kind || a->slot != b->slot)
		return 0;
	if (a->text == NULL || b->text == NULL)
		return a->text == b->text;
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* compile_leaf - <equals>, <present> or <matches>: an attribute leaf,
 * one per different test */
static size_t
compile_leaf(struct cc *c, const xmlNode *n, struct mailboxes_rule *r)
{
	struct leaf k;
	char *attr, err[256];
	size_t i;
	int rc;

	memset(&k, 0, sizeof k);
	attr = prop(c, n, "attribute", 0);
	k.slot = add_attr_str(c, attr);
	free(attr);
	if (is_el(n, "equals")) {
		k.kind = LEAF_EQUALS;
		k.text = prop(c, n, "value", 0);
	} else if (is_el(n, "present")) {
		k.kind = LEAF_PRESENT;
	} else {
		k.kind = LEAF_MATCHES;
		k.text = prop(c, n, "regex", 0);
	}
	k.len = k.text ? strlen(k.text) : 0;
	for (i = 0; i < r->nleaves; i++)
		if (same_leaf(&r->leaves[i], &k)) {
			free(k.text);
			return new_node(c, r, NODE_ATTR, i);
		}
	if (r->nleaves == MAPPING_MAX_LEAVES) {
		/* An entry's attribute conditions are one 64-bit word. */
		if (!c->too_many)
			cc_error(c, n, "more than %d different attribute "
			    "conditions (equals, present, matches) in "
			    "<routing>", MAPPING_MAX_LEAVES);
		c->too_many = 1;
		free(k.text);
		return SIZE_MAX;
	}
	if (k.kind == LEAF_MATCHES && k.text != NULL) {
		rc = regcomp(&k.re, k.text,
		    REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc == 0) {
			k.has_re = 1;
		} else if (rc == REG_ESPACE) {
			c->nomem = 1;
		} else {
			regerror(rc, &k.re, err, sizeof err);
			cc_error(c, n, "matches regex \"%s\": %s", k.text,
			    err);
		}
	}
	if (vec_grow((void **)&r->leaves, &r->capleaves, r->nleaves,
	    sizeof *r->leaves) < 0) {
		c->nomem = 1;
		if (k.has_re)
			regfree(&k.re);
		free(k.text);
		return SIZE_MAX;
	}
	r->leaves[r->nleaves] = k;
	return new_node(c, r, NODE_ATTR, r->nleaves++);
}

/* compile_node - one condition element */
static size_t
compile_node(struct cc *c, const xmlNode *n, struct mailboxes_rule *r)
{
	size_t at;

	if (is_el(n, "member-of"))
		return compile_member_of(c, n, r);
	if (is_el(n, "not") || is_el(n, "any") || is_el(n, "all")) {
		at = new_node(c, r, is_el(n, "not") ? NODE_NOT :
		    is_el(n, "any") ? NODE_ANY : NODE_ALL, 0);
		compile_kids(c, n, r, at);
		return at;
	}
	return compile_leaf(c, n, r);
}

/* compile_routing - <routing default=> and its routes, each an <all>
 * of its conditions */
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
		r->routes[i].node = new_node(c, r, NODE_ALL, 0);
		compile_kids(c, n, r, r->routes[i].node);
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

	r->id_slot = r->ext_slot = r->nexthop.slot = ATTRSET_NONE;
	compile_filter(c, n, "mailboxes", &r->filter_text, &r->filter);
	r->id_attr = prop(c, n, "id", 0);
	if (r->id_attr == NULL && !c->nomem &&
	    (r->id_attr = strdup("entryUUID")) == NULL)
		c->nomem = 1;
	r->id_slot = add_attr_str(c, r->id_attr);
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
			a->slot = add_attr_str(c, a->attr);
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
			r->ext_slot = add_attr_str(c, r->ext_attr);
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
		if (mapping_strv_push(&sv, strndup(s, len)) < 0) {
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
	size_t *slots;

	r->name_slot = r->fwd_slot = ATTRSET_NONE;
	r->relay.slot = r->local.slot = ATTRSET_NONE;
	compile_filter(c, n, "domains", &r->filter_text, &r->filter);
	r->relay_default = prop(c, n, "relay", 1);
	r->local_default = prop(c, n, "local", 1);
	s = prop(c, n, "forward-unknown", 1);
	r->fwd_default = s != NULL && strcmp(s, "true") == 0;
	free(s);
	for (k = n->children; k != NULL; k = k->next) {
		if (is_el(k, "name")) {
			r->name_attr = prop(c, k, "attribute", 0);
			r->name_slot = add_attr_str(c, r->name_attr);
		} else if (is_el(k, "alias")) {
			s = prop(c, k, "attribute", 0);
			if (s == NULL)
				continue;
			v = realloc(r->alias_attrs,
			    (r->nalias_attrs + 1) * sizeof *v);
			if (v != NULL)
				r->alias_attrs = v;
			slots = realloc(r->alias_slots,
			    (r->nalias_attrs + 1) * sizeof *slots);
			if (slots != NULL)
				r->alias_slots = slots;
			if (v == NULL || slots == NULL) {
				free(s);
				c->nomem = 1;
				continue;
			}
			slots[r->nalias_attrs] = add_attr(c, s, strlen(s));
			v[r->nalias_attrs++] = s;
		} else if (is_el(k, "relay")) {
			compile_host(c, k, "smtp", &r->relay);
		} else if (is_el(k, "local")) {
			compile_host(c, k, "lmtp", &r->local);
		} else if (is_el(k, "forward-unknown")) {
			r->fwd_attr = prop(c, k, "attribute", 0);
			r->fwd_slot = add_attr_str(c, r->fwd_attr);
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
		/* An alias written twice, or the name again, says nothing. */
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
	if (attrset_new(&m->set) < 0)
		return ERR_NOMEM;
	m->mbox.id_slot = m->mbox.ext_slot = ATTRSET_NONE;
	m->mbox.nexthop.slot = ATTRSET_NONE;
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
			for (i = 0; i < sizeof group_attrs /
			    sizeof *group_attrs; i++)
				add_attr(c, group_attrs[i],
				    strlen(group_attrs[i]));
		} else if (is_el(n, "mailboxes")) {
			compile_mailboxes(c, n, &m->mbox);
		}
	}
	if (c->needs_memberof)
		add_attr(c, "memberOf", strlen("memberOf"));
	m->member_slot = attrset_find(m->set, "member", 6);
	m->unique_slot = attrset_find(m->set, "uniqueMember", 12);
	m->memberuid_slot = attrset_find(m->set, "memberUid", 9);
	m->memberof_slot = attrset_find(m->set, "memberOf", 8);
	m->uid_slot = attrset_find(m->set, "uid", 3);
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

/* mapping_compile - a validated document into m */
int
mapping_compile(const char *path, const xmlNode *root, struct mapping *m,
    struct diag *d)
{
	struct cc c;
	int rc;

	memset(&c, 0, sizeof c);
	c.path = path;
	c.d = d;
	c.m = m;
	rc = compile(&c, root, m);
	mapping_strv_free(&c.attrs);
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

/* mapping_attrset - every attribute read, numbered */
const struct attrset *
mapping_attrset(const struct mapping *m)
{
	return m->set;
}
