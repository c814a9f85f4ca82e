/*
 * mapping_route - a mailbox's route from its routing conditions
 *
 * SYNOPSIS
 *	#include "mapping.h"
 *
 * DESCRIPTION
 *	The conditions of the <route>s are a list of leaves under a tree
 *	(mapping_compile.c). mapping_leaves() evaluates each attribute
 *	leaf of an entry once, into bit i of the leaf mask.
 *	mapping_route_known() reads the routes in order with the member-of
 *	leaves unknown (three-valued: true, false, unknown): the first
 *	route that holds decides, unless a route before it is unknown;
 *	then the route waits. mapping_route_decide() finishes it, asking
 *	the member callback only what the routes in order need, as the
 *	conditions have always been evaluated: <any> stops at the first
 *	kid that holds, <all> at the first that does not, <not> reads its
 *	first kid.
 *
 *	Some problems of a mailbox entry are reported only for some routes
 *	(notes): mapping_note_applies() and mapping_notes_emit() say which.
 *
 * DIAGNOSTICS
 *	A negative answer of the member callback is returned as it is.
 */
#include <regex.h>
#include <stdint.h>
#include <string.h>

#include "attrset.h"
#include "diag.h"
#include "entry.h"
#include "mapping.h"
#include "mapping_int.h"

static const struct entry_vals no_vals = { NULL, 0 };

/* leaf_holds - whether attribute leaf k holds for v */
static int
leaf_holds(const struct leaf *k, const struct entry_view *v)
{
	const struct entry_vals *vals = k->slot == ATTRSET_NONE ? &no_vals :
	    &v->attrs[k->slot];
	const struct entry_value *x;
	size_t i, j;

	switch (k->kind) {
	case LEAF_PRESENT:
		return vals->n > 0;
	case LEAF_EQUALS:
		for (i = 0; k->text != NULL && i < vals->n; i++) {
			x = &vals->v[i];
			if (x->len != k->len)
				continue;
			for (j = 0; j < x->len; j++) {
				char a = x->data[j], b = k->text[j];

				if (a >= 'A' && a <= 'Z')
					a = (char)(a - 'A' + 'a');
				if (b >= 'A' && b <= 'Z')
					b = (char)(b - 'A' + 'a');
				if (a != b)
					break;
			}
			if (j == x->len)
				return 1;
		}
		return 0;
	case LEAF_MATCHES:
		for (i = 0; k->has_re && i < vals->n; i++) {
			x = &vals->v[i];
			if (memchr(x->data, '\0', x->len) == NULL &&
			    regexec(&k->re, x->data, 0, NULL, 0) == 0)
				return 1;
		}
		return 0;
	}
	return 0;
}

/* mapping_leaves - the leaf mask of v */
uint64_t
mapping_leaves(const struct mailboxes_rule *r, const struct entry_view *v)
{
	uint64_t leaves = 0;
	size_t i;

	for (i = 0; i < r->nleaves; i++)
		if (leaf_holds(&r->leaves[i], v))
			leaves |= (uint64_t)1 << i;
	return leaves;
}

/* UNKNOWN - a condition that waits for a member-of leaf */
#define UNKNOWN 2

/* node_known - 1, 0, or UNKNOWN: what node x says before the groups
 * are known (depth bounded by the mapping file) */
static int
node_known(const struct mailboxes_rule *r, size_t x, uint64_t leaves)
{
	const struct node *n = &r->nodes[x];
	int res, k;
	size_t i;

	switch (n->kind) {
	case NODE_ATTR:
		return (int)((leaves >> n->leaf) & 1);
	case NODE_MEMBER:
		return UNKNOWN;
	case NODE_NOT:
		if (n->n == 0)
			return 0;
		k = node_known(r, r->kids[n->first], leaves);
		return k == UNKNOWN ? k : !k;
	case NODE_ANY:
		for (res = 0, i = 0; i < n->n; i++)
			if ((k = node_known(r, r->kids[n->first + i], leaves))
			    == 1)
				return 1;
			else if (k == UNKNOWN)
				res = UNKNOWN;
		return res;
	case NODE_ALL:
		for (res = 1, i = 0; i < n->n; i++)
			if ((k = node_known(r, r->kids[n->first + i], leaves))
			    == 0)
				return 0;
			else if (k == UNKNOWN)
				res = UNKNOWN;
		return res;
	}
	return 0;
}

/* node_decide - 1 or 0: what node x says, member asked in order as the
 * conditions are read; member's negative return */
static int
node_decide(const struct mailboxes_rule *r, size_t x, uint64_t leaves,
    int (*member)(void *, size_t), void *ctx)
{
	const struct node *n = &r->nodes[x];
	size_t i;
	int rc;

	switch (n->kind) {
	case NODE_ATTR:
		return (int)((leaves >> n->leaf) & 1);
	case NODE_MEMBER:
		rc = member(ctx, n->leaf);
		return rc < 0 ? rc : rc != 0;
	case NODE_NOT:
		if (n->n == 0)
			return 0;
		rc = node_decide(r, r->kids[n->first], leaves, member, ctx);
		return rc < 0 ? rc : !rc;
	case NODE_ANY:
		for (i = 0; i < n->n; i++)
			if ((rc = node_decide(r, r->kids[n->first + i], leaves,
			    member, ctx)) != 0)
				return rc;
		return 0;
	case NODE_ALL:
		for (i = 0; i < n->n; i++)
			if ((rc = node_decide(r, r->kids[n->first + i], leaves,
			    member, ctx)) <= 0)
				return rc;
		return 1;
	}
	return 0;
}

/* mapping_route_known - the route as the entry is read, or
 * MAPPING_ROUTE_PENDING */
int
mapping_route_known(const struct mailboxes_rule *r, uint64_t leaves)
{
	size_t i;
	int k;

	for (i = 0; i < r->nroutes; i++) {
		k = node_known(r, r->routes[i].node, leaves);
		if (k == 1)
			return (int)r->routes[i].to;
		if (k == UNKNOWN)
			return MAPPING_ROUTE_PENDING;
	}
	return (int)r->route_default;
}

/* mapping_route_decide - the first route whose conditions hold */
int
mapping_route_decide(const struct mapping *m, uint64_t leaves,
    int (*member)(void *ctx, size_t leaf), void *ctx)
{
	const struct mailboxes_rule *r = &m->mbox;
	size_t i;
	int rc;

	for (i = 0; i < r->nroutes; i++) {
		rc = node_decide(r, r->routes[i].node, leaves, member, ctx);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return (int)r->routes[i].to;
	}
	return (int)r->route_default;
}

/* mapping_nexthop_applies - whether the nexthop attribute is used */
int
mapping_nexthop_applies(const struct mapping *m, int route)
{
	return (route == ROUTE_INTERNAL || route == ROUTE_EXTERNAL) &&
	    m->mbox.nexthop.attr != NULL &&
	    (m->mbox.nexthop_applies & (1u << route)) != 0;
}

/* mapping_note_applies - whether a note is reported for route */
int
mapping_note_applies(const struct mapping *m, const struct mapping_note *n,
    int route)
{
	if (n->when & MAPPING_NOTE_NEXTHOP)
		return mapping_nexthop_applies(m, route);
	return route == ROUTE_INTERNAL || route == ROUTE_EXTERNAL;
}

/* mapping_notes_emit - the notes that apply, into d */
void
mapping_notes_emit(const struct mapping *m, const struct mapping_note *notes,
    size_t n, const char *dn, int route, struct diag *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mapping_note_applies(m, &notes[i], route))
			diag_add(d, notes[i].level, notes[i].kind, dn, "%s",
			    notes[i].what);
}

/* mapping_member_leaf_count - the member-of leaves */
size_t
mapping_member_leaf_count(const struct mapping *m)
{
	return m->mbox.nmleaves;
}

/* mapping_member_leaf - one member-of leaf's group hash and ways */
void
mapping_member_leaf(const struct mapping *m, size_t i, uint64_t *group,
    unsigned *via)
{
	*group = i < m->mbox.nmleaves ? m->mbox.mleaves[i].hash : 0;
	*via = i < m->mbox.nmleaves ? m->mbox.mleaves[i].via : 0;
}

/* mapping_member_leaf_dn - one member-of leaf's group DN */
const char *
mapping_member_leaf_dn(const struct mapping *m, size_t i)
{
	return i < m->mbox.nmleaves ? m->mbox.mleaves[i].group : NULL;
}
