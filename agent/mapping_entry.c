/*
 * mapping_entry - the mapping on struct entry, through entry views
 *
 * SYNOPSIS
 *	#include "mapping.h"
 *
 * DESCRIPTION
 *	For code that still holds whole entries: mapping_classify()
 *	matches the filters by attribute name, allocating nothing;
 *	mapping_domain_from_entry() and mapping_mailbox_from_entry() make
 *	a view of the entry (its bytes borrowed) and give what the view
 *	functions give, as owning specs. A mailbox whose route waits for
 *	its groups has it decided at once: by groups_is_member() on the
 *	entry when a groups store is given, else by the entry's own
 *	memberOf; then the notes that apply for that route are reported.
 *
 * DIAGNOSTICS
 *	As the view functions (mapping_eval.c); a failed group look-up is
 *	returned as groups_is_member() returned it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "errors.h"
#include "filter.h"
#include "groups.h"
#include "mapping.h"
#include "mapping_int.h"

/* What a member-of leaf is answered from. */
struct asker {
	const struct mapping *m;
	struct groups *g;               /* NULL: the entry's memberOf only */
	const struct entry *e;
	const struct mapping_mailbox *mb;
};

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

/* mapping_domain_from_entry - a domain spec from a domain entry */
int
mapping_domain_from_entry(const struct mapping *m, const struct entry *e,
    struct domain_spec *out, struct diag *d)
{
	struct viewbuf vb;
	int rc;

	memset(out, 0, sizeof *out);
	viewbuf_init(&vb, NULL);
	rc = viewbuf_from_entry(&vb, m->set, e);
	if (rc == 0)
		rc = mapping_domain_from_view(m, viewbuf_view(&vb), out, d);
	viewbuf_free(&vb);
	return rc;
}

/* ask - whether the entry is in member-of leaf i's group */
static int
ask(void *ctx, size_t i)
{
	const struct asker *a = ctx;
	const struct mleaf *k = &a->m->mbox.mleaves[i];
	size_t j;

	if (a->g != NULL)
		return groups_is_member(a->g, k->group, a->e, k->via);
	if (!(k->via & GROUPS_VIA_MEMBEROF))
		return 0;
	for (j = 0; j < a->mb->keys.nmemberof; j++)
		if (a->mb->keys.memberof[j] == k->hash)
			return 1;
	return 0;
}

/* copy_spec - the owning spec of a mailbox routed route */
static int
copy_spec(const struct mapping *m, const struct mapping_mailbox *mb,
    int route, struct mailbox_spec *out)
{
	size_t i;

	out->route = (enum route_kind)route;
	if ((out->id = strndup(mb->id, mb->idlen)) == NULL ||
	    (out->dn = strdup(mb->dn)) == NULL)
		return ERR_NOMEM;
	if (mb->naddresses > 0 &&
	    (out->addresses = calloc(mb->naddresses, sizeof *out->addresses))
	    == NULL)
		return ERR_NOMEM;
	for (; out->naddresses < mb->naddresses; out->naddresses++)
		if ((out->addresses[out->naddresses] =
		    strdup(mb->addresses[out->naddresses])) == NULL)
			return ERR_NOMEM;
	if (mb->nexthop != NULL && mapping_nexthop_applies(m, route) &&
	    (out->nexthop = strdup(mb->nexthop)) == NULL)
		return ERR_NOMEM;
	if (mb->external != NULL && route != ROUTE_NONE) {
		if ((out->external = malloc(mb->naddresses)) == NULL)
			return ERR_NOMEM;
		for (i = 0; i < mb->naddresses; i++)
			out->external[i] = mb->external[i];
	}
	return 0;
}

/* mapping_mailbox_from_entry - a mailbox spec from a mailbox entry */
int
mapping_mailbox_from_entry(const struct mapping *m, const struct entry *e,
    struct groups *g, struct mailbox_spec *out, struct diag *d)
{
	struct mapping_scratch *s = NULL;
	struct mapping_mailbox mb;
	struct asker a;
	struct viewbuf vb;
	int rc, route;

	memset(out, 0, sizeof *out);
	viewbuf_init(&vb, NULL);
	rc = viewbuf_from_entry(&vb, m->set, e);
	if (rc == 0)
		rc = mapping_scratch_new(&s);
	if (rc == 0)
		rc = mapping_mailbox_from_view(m, s, viewbuf_view(&vb), &mb, d);
	if (rc < 0)
		goto cleanup;
	route = mb.route;
	if (route == MAPPING_ROUTE_PENDING) {
		a.m = m;
		a.g = g;
		a.e = e;
		a.mb = &mb;
		route = mapping_route_decide(m, mb.leaves, ask, &a);
		if (route < 0) {
			rc = route;
			goto cleanup;
		}
	}
	mapping_notes_emit(m, mb.notes, mb.nnotes, mb.dn, route, d);
	rc = copy_spec(m, &mb, route, out);
cleanup:
	mapping_scratch_free(s);
	viewbuf_free(&vb);
	if (rc < 0)
		mailbox_spec_clear(out);
	return rc;
}
