/*
 * ldap_entry - one search entry message, as an entry or as a view
 *
 * DESCRIPTION
 *	Both read the message in place: ldap_get_dn_ber and
 *	ldap_get_attribute_ber give the DN, each attribute description and
 *	its values as bervals pointing into the message, so libldap
 *	allocates one value array per attribute and copies nothing.
 *
 *	ldap_source__convert copies everything into a struct entry.
 *	ldap_source__view resolves each description to the set's index
 *	once (options ignored), copies the values of the attributes the set
 *	names into the viewer's scratch and skips the others, so reading
 *	an entry allocates nothing once the scratch has grown to the
 *	largest one. An attribute of the set that came ranged (Active
 *	Directory) is read whole (ldap_range_rest) before the view is
 *	made: its further values follow the entry's under the same index.
 *
 * DIAGNOSTICS
 *	ERR_UNAVAIL for a message that cannot be decoded ("URI: cannot
 *	decode an entry"; ldap_source__convert leaves the message to its
 *	caller) or a ranged attribute that cannot be read whole (see
 *	ldap_range). ERR_NOMEM.
 */
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "attrset.h"
#include "diag.h"
#include "entry.h"
#include "errors.h"
#include "ldap_range.h"
#include "ldap_source_int.h"
#include "vec.h"

/* ldap_source__convert - one search entry as a struct entry */
int
ldap_source__convert(LDAP *ld, LDAPMessage *msg, struct entry **out)
{
	struct berval dn, name, *vals = NULL;
	struct entry *e = NULL;
	BerElement *ber = NULL;
	char *text = NULL, *an;
	size_t i;
	int rc = ERR_UNAVAIL;

	*out = NULL;
	if (ldap_get_dn_ber(ld, msg, &ber, &dn) != LDAP_SUCCESS)
		goto out;
	text = strndup(dn.bv_val ? dn.bv_val : "", dn.bv_len);
	if (text == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = entry_new(&e, text, NULL);
	while (rc == 0) {
		if (ldap_get_attribute_ber(ld, msg, ber, &name, &vals) !=
		    LDAP_SUCCESS) {
			rc = ERR_UNAVAIL;
			break;
		}
		if (name.bv_val == NULL)
			break;
		/* entry_add_value takes names as C strings */
		an = strndup(name.bv_val, name.bv_len);
		rc = an != NULL ? 0 : ERR_NOMEM;
		for (i = 0; rc == 0 && vals != NULL && vals[i].bv_val != NULL;
		    i++)
			rc = entry_add_value(e, an, vals[i].bv_val,
			    vals[i].bv_len);
		free(an);
		if (vals != NULL)
			ber_memfree(vals);
		vals = NULL;
	}
	if (rc == 0) {
		*out = e;
		e = NULL;
	}
out:
	/* older libldap versions assert on NULL: test each */
	if (vals != NULL)
		ber_memfree(vals);
	if (ber != NULL)
		ber_free(ber, 0);
	free(text);
	entry_free(e);
	return rc;
}

/* ldap_source__viewer_init - a viewer over set */
void
ldap_source__viewer_init(struct ldap_source__viewer *v,
    const struct attrset *set)
{
	memset(v, 0, sizeof *v);
	viewbuf_init(&v->vb, set);
}

/* ldap_source__viewer_free - release the scratch */
void
ldap_source__viewer_free(struct ldap_source__viewer *v)
{
	viewbuf_free(&v->vb);
	free(v->seen);
	v->seen = NULL;
	v->nseen = v->capseen = 0;
}

/* seen - remember an attribute of the set the message held */
static int
seen(struct ldap_source__viewer *v, size_t slot, const struct berval *name,
    size_t count)
{
	struct ldap_source__seen *s;

	if (vec_grow((void **)&v->seen, &v->capseen, v->nseen,
	    sizeof *v->seen) < 0)
		return ERR_NOMEM;
	s = &v->seen[v->nseen++];
	s->slot = slot;
	s->name = name->bv_val;
	s->len = name->bv_len;
	s->count = count;
	return 0;
}

/* Where the further values of a ranged attribute go. */
struct into_view {
	struct viewbuf *vb;
	size_t slot;
};

/* add_to_view - one more value of the ranged attribute */
static int
add_to_view(void *ctx, const char *value, size_t len)
{
	struct into_view *t = ctx;

	return viewbuf_add_slot(t->vb, t->slot, value, len);
}

/* read_ranges - every ranged attribute the viewer saw, read whole: an
 * attribute is read whole only when no other of the entry shares its
 * index */
static int
read_ranges(const struct ldap_range_conn *c, struct ldap_source__viewer *v,
    const struct berval *dnbv, struct diag *d)
{
	const struct ldap_source__seen *s, *other;
	struct into_view t = { &v->vb, 0 };
	char *dn;
	size_t i, j;
	int rc = 0;

	/* the view's own copy moves as values are added */
	dn = strndup(dnbv->bv_val ? dnbv->bv_val : "", dnbv->bv_len);
	if (dn == NULL)
		return ERR_NOMEM;
	for (i = 0; rc == 0 && i < v->nseen; i++) {
		s = &v->seen[i];
		if (!ldap_range_option(s->name, s->len))
			continue;
		other = NULL;
		for (j = 0; j < v->nseen && other == NULL; j++)
			if (j != i && v->seen[j].slot == s->slot)
				other = &v->seen[j];
		t.slot = s->slot;
		rc = ldap_range_rest(c, dn, s->name, s->len, s->count,
		    other ? other->name : NULL, other ? other->len : 0,
		    add_to_view, &t, d);
	}
	free(dn);
	return rc;
}

/* ldap_source__view - one search entry as a view */
int
ldap_source__view(const struct ldap_range_conn *c, LDAPMessage *msg,
    struct ldap_source__viewer *v, const struct entry_view **out,
    struct diag *d)
{
	const struct attrset *set = v->vb.set;
	struct berval dn, name, *vals = NULL;
	BerElement *ber = NULL;
	size_t slot, n, ranged = 0;
	int rc, decoded = 0;

	*out = NULL;
	v->nseen = 0;
	rc = ERR_UNAVAIL;
	if (ldap_get_dn_ber(c->ld, msg, &ber, &dn) != LDAP_SUCCESS)
		goto out;
	rc = viewbuf_begin(&v->vb, dn.bv_val ? dn.bv_val : "", dn.bv_len,
	    NULL);
	while (rc == 0) {
		if (ldap_get_attribute_ber(c->ld, msg, ber, &name, &vals) !=
		    LDAP_SUCCESS) {
			rc = ERR_UNAVAIL;
			goto out;
		}
		if (name.bv_val == NULL)
			break;
		slot = attrset_find(set, name.bv_val, name.bv_len);
		for (n = 0; rc == 0 && slot != ATTRSET_NONE && vals != NULL &&
		    vals[n].bv_val != NULL; n++)
			rc = viewbuf_add_slot(&v->vb, slot, vals[n].bv_val,
			    vals[n].bv_len);
		if (rc == 0 && slot != ATTRSET_NONE)
			rc = seen(v, slot, &name, n);
		ranged += slot != ATTRSET_NONE &&
		    ldap_range_option(name.bv_val, name.bv_len);
		if (vals != NULL)
			ber_memfree(vals);
		vals = NULL;
	}
	decoded = 1;
	if (rc == 0 && ranged > 0)
		rc = read_ranges(c, v, &dn, d);
	if (rc == 0)
		*out = viewbuf_view(&v->vb);
out:
	if (!decoded && rc == ERR_UNAVAIL)
		diag_error(d, NULL, "ldap_source: %s: cannot decode an entry",
		    c->uri);
	/* older libldap versions assert on NULL: test each */
	if (vals != NULL)
		ber_memfree(vals);
	if (ber != NULL)
		ber_free(ber, 0);
	return rc;
}
