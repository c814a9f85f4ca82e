/*
 * entry - one directory entry as read from LDIF or LDAP
 *
 * DESCRIPTION
 *	A viewbuf keeps, per value added, its attribute's index and where
 *	its bytes are; viewbuf_view() groups them by index with a counting
 *	sort into one array of entry_value, so each attribute's values sit
 *	side by side in the order they came. Every array is reserved as
 *	values are added, so making the view cannot fail.
 *
 * DIAGNOSTICS
 *	Allocation failures return ERR_NOMEM and leave the entry as it was.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrset.h"
#include "buf.h"
#include "dn.h"
#include "entry.h"
#include "errors.h"
#include "vec.h"

/* entry_new - empty entry */
int
entry_new(struct entry **out, const char *dn, const char *origin)
{
	struct entry *e;

	*out = NULL;
	e = calloc(1, sizeof *e);
	if (e == NULL)
		return ERR_NOMEM;
	e->dn = strdup(dn);
	e->origin = origin ? strdup(origin) : NULL;
	if (e->dn == NULL || (origin && e->origin == NULL)) {
		entry_free(e);
		return ERR_NOMEM;
	}
	*out = e;
	return 0;
}

/* entry_free - release the entry and everything it holds */
void
entry_free(struct entry *e)
{
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->count; i++) {
		for (j = 0; j < e->attrs[i].count; j++)
			free(e->attrs[i].values[j].data);
		free(e->attrs[i].values);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	free(e->origin);
	free(e);
}

/* entry_dup - deep copy */
int
entry_dup(const struct entry *e, struct entry **out)
{
	struct entry *c;
	size_t i, j;
	int rc;

	*out = NULL;
	rc = entry_new(&c, e->dn, e->origin);
	for (i = 0; rc == 0 && i < e->count; i++)
		for (j = 0; rc == 0 && j < e->attrs[i].count; j++)
			rc = entry_add_value(c, e->attrs[i].name,
			    e->attrs[i].values[j].data, e->attrs[i].values[j].len);
	if (rc < 0) {
		entry_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* entry_equal - same DN, attributes and values, in order */
int
entry_equal(const struct entry *a, const struct entry *b)
{
	size_t i, j;

	if (strcmp(a->dn, b->dn) != 0 || a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++) {
		const struct entry_attr *x = &a->attrs[i], *y = &b->attrs[i];

		if (strcmp(x->name, y->name) != 0 || x->count != y->count)
			return 0;
		for (j = 0; j < x->count; j++)
			if (x->values[j].len != y->values[j].len ||
			    memcmp(x->values[j].data, y->values[j].data,
			    x->values[j].len) != 0)
				return 0;
	}
	return 1;
}

/* entry_attr_name_eq - compare base names, ignoring options */
int
entry_attr_name_eq(const char *attr, const char *name)
{
	size_t alen = strcspn(attr, ";"), nlen = strcspn(name, ";");

	return alen == nlen && strncasecmp(attr, name, alen) == 0;
}

/* find_exact - attribute with exactly this name (options included) */
static struct entry_attr *
find_exact(struct entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

/* entry_add_value - append one value */
int
entry_add_value(struct entry *e, const char *name, const void *data,
    size_t len)
{
	struct entry_attr *a;
	struct entry_value *vals;
	char *copy;
	size_t cap;
	int created = 0;

	if (len == SIZE_MAX)
		return ERR_NOMEM;
	copy = malloc(len + 1);
	if (copy == NULL)
		return ERR_NOMEM;
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	a = find_exact(e, name);
	if (a == NULL) {
		if (e->count == e->cap) {
			struct entry_attr *attrs;

			cap = e->cap ? e->cap * 2 : 8;
			attrs = realloc(e->attrs, cap * sizeof *attrs);
			if (attrs == NULL)
				goto nomem;
			e->attrs = attrs;
			e->cap = cap;
		}
		a = &e->attrs[e->count];
		memset(a, 0, sizeof *a);
		a->name = strdup(name);
		if (a->name == NULL)
			goto nomem;
		e->count++;
		created = 1;
	}
	if (a->count == a->cap) {
		cap = a->cap ? a->cap * 2 : 2;
		vals = realloc(a->values, cap * sizeof *vals);
		if (vals == NULL)
			goto nomem;
		a->values = vals;
		a->cap = cap;
	}
	a->values[a->count].data = copy;
	a->values[a->count].len = len;
	a->count++;
	return 0;
nomem:
	/* Leave the entry as it was: no attribute without values. */
	if (created) {
		free(a->name);
		free(a->values);
		e->count--;
	}
	free(copy);
	return ERR_NOMEM;
}

/* entry_attr_get - attribute by base name */
const struct entry_attr *
entry_attr_get(const struct entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->count; i++)
		if (entry_attr_name_eq(e->attrs[i].name, name))
			return &e->attrs[i];
	return NULL;
}

/* entry_value_next - the next value of an attribute of that base name */
const struct entry_value *
entry_value_next(struct entry_iter *it)
{
	const struct entry_attr *a;

	if (it->name == NULL)
		return NULL;
	for (; it->attr < it->e->count; it->attr++, it->value = 0) {
		a = &it->e->attrs[it->attr];
		if (it->value < a->count &&
		    entry_attr_name_eq(a->name, it->name))
			return &a->values[it->value++];
	}
	return NULL;
}

/* entry_value_first - start at the first attribute */
const struct entry_value *
entry_value_first(const struct entry *e, const char *name,
    struct entry_iter *it)
{
	it->e = e;
	it->name = name;
	it->attr = 0;
	it->value = 0;
	return entry_value_next(it);
}

/* bytes_caseeq - ASCII case-insensitive equality of len bytes */
static int
bytes_caseeq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* entry_has_value - case-insensitive value test over every attribute
 * with that base name ("member;range=0-1", "member;range=2-*") */
int
entry_has_value(const struct entry *e, const char *name, const char *data,
    size_t len)
{
	const struct entry_value *v;
	struct entry_iter it;

	for (v = entry_value_first(e, name, &it); v != NULL;
	    v = entry_value_next(&it))
		if (v->len == len && bytes_caseeq(v->data, data, len))
			return 1;
	return 0;
}

/* entry_dn_normalize - the normal form of dn.h, as a C string */
int
entry_dn_normalize(const char *dn, char **out)
{
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	rc = dn_normalize(dn, strlen(dn), &b);
	if (rc == 0 && (*out = buf_steal(&b)) == NULL)
		rc = ERR_NOMEM;
	buf_free(&b);
	return rc;
}

/*
 * Views: values grouped by attribute index, in a reusable scratch.
 */

/* One value as it came: its attribute's index, and where its bytes are
 * (ext, or at off in the scratch). */
struct viewbuf_value {
	size_t slot;
	const char *ext;
	size_t off;
	size_t len;
};

/* viewbuf_init - an empty scratch */
void
viewbuf_init(struct viewbuf *vb, const struct attrset *set)
{
	memset(vb, 0, sizeof *vb);
	vb->set = set;
	vb->originoff = SIZE_MAX;
}

/* viewbuf_free - release the scratch */
void
viewbuf_free(struct viewbuf *vb)
{
	free(vb->slots);
	free(vb->at);
	free(vb->pend);
	free(vb->vals);
	free(vb->bytes);
	viewbuf_init(vb, vb->set);
}

/* reset - room for the set's slots, no value yet */
static int
reset(struct viewbuf *vb)
{
	size_t n = vb->set ? attrset_count(vb->set) : 0, cap;

	vb->npend = 0;
	vb->len = 0;
	vb->dn = NULL;
	vb->originoff = SIZE_MAX;
	if (n > vb->capslots) {
		cap = vb->capslots;
		if (vec_reserve((void **)&vb->slots, &cap, n,
		    sizeof *vb->slots) < 0)
			return ERR_NOMEM;
		cap = vb->capslots;
		if (vec_reserve((void **)&vb->at, &cap, n, sizeof *vb->at) < 0)
			return ERR_NOMEM;
		vb->capslots = cap;
	}
	return 0;
}

/* put_bytes - len bytes and a NUL into the scratch at *off */
static int
put_bytes(struct viewbuf *vb, const void *data, size_t len, size_t *off)
{
	if (len > SIZE_MAX - vb->len - 1 || vec_reserve((void **)&vb->bytes,
	    &vb->cap, vb->len + len + 1, 1) < 0)
		return ERR_NOMEM;
	if (len)
		memcpy(vb->bytes + vb->len, data, len);
	vb->bytes[vb->len + len] = '\0';
	*off = vb->len;
	vb->len += len + 1;
	return 0;
}

/* pend_value - remember one value; the grouped array keeps pace, so
 * arranging them cannot fail */
static int
pend_value(struct viewbuf *vb, size_t slot, const char *ext, size_t off,
    size_t len)
{
	struct viewbuf_value *p;

	if (vec_grow((void **)&vb->pend, &vb->cappend, vb->npend,
	    sizeof *vb->pend) < 0 ||
	    vec_reserve((void **)&vb->vals, &vb->capvals, vb->npend + 1,
	    sizeof *vb->vals) < 0)
		return ERR_NOMEM;
	p = &vb->pend[vb->npend++];
	p->slot = slot;
	p->ext = ext;
	p->off = off;
	p->len = len;
	return 0;
}

/* viewbuf_begin - a new view */
int
viewbuf_begin(struct viewbuf *vb, const char *dn, size_t dnlen,
    const char *origin)
{
	if (reset(vb) < 0 || put_bytes(vb, dn, dnlen, &vb->dnoff) < 0)
		return ERR_NOMEM;
	vb->view.dnlen = dnlen;
	if (origin != NULL &&
	    put_bytes(vb, origin, strlen(origin), &vb->originoff) < 0)
		return ERR_NOMEM;
	return 0;
}

/* viewbuf_add - one value, copied */
int
viewbuf_add(struct viewbuf *vb, const char *name, size_t namelen,
    const void *value, size_t len)
{
	return viewbuf_add_slot(vb, vb->set ? attrset_find(vb->set, name,
	    namelen) : ATTRSET_NONE, value, len);
}

/* viewbuf_add_slot - one value of a slot, copied */
int
viewbuf_add_slot(struct viewbuf *vb, size_t slot, const void *value,
    size_t len)
{
	size_t off, mark = vb->len;

	if (slot == ATTRSET_NONE)
		return 0;
	if (put_bytes(vb, value, len, &off) < 0)
		return ERR_NOMEM;
	if (pend_value(vb, slot, NULL, off, len) < 0) {
		vb->len = mark;
		return ERR_NOMEM;
	}
	return 0;
}

/* viewbuf_view - group the values by slot (a counting sort) */
const struct entry_view *
viewbuf_view(struct viewbuf *vb)
{
	size_t n = vb->set ? attrset_count(vb->set) : 0, i, sum = 0;
	const struct viewbuf_value *p;
	struct entry_value *v;

	for (i = 0; i < n; i++)
		vb->slots[i].n = 0;
	for (i = 0; i < vb->npend; i++)
		vb->slots[vb->pend[i].slot].n++;
	for (i = 0; i < n; i++) {
		vb->at[i] = sum;
		vb->slots[i].v = vb->vals ? vb->vals + sum : NULL;
		sum += vb->slots[i].n;
	}
	for (i = 0; i < vb->npend; i++) {
		p = &vb->pend[i];
		v = &vb->vals[vb->at[p->slot]++];
		v->data = p->ext ? (char *)p->ext : vb->bytes + p->off;
		v->len = p->len;
	}
	if (vb->dn != NULL)
		vb->view.dn = vb->dn;
	else
		vb->view.dn = vb->bytes ? vb->bytes + vb->dnoff : "";
	vb->view.origin = vb->originoff == SIZE_MAX ? NULL :
	    vb->bytes + vb->originoff;
	vb->view.set = vb->set;
	vb->view.attrs = vb->slots;
	return &vb->view;
}

/* viewbuf_from_entry - a view of e, borrowing its bytes */
int
viewbuf_from_entry(struct viewbuf *vb, const struct attrset *set,
    const struct entry *e)
{
	const struct entry_attr *a;
	size_t i, j, slot;

	vb->set = set;
	if (reset(vb) < 0)
		return ERR_NOMEM;
	vb->dn = e->dn;
	vb->view.dnlen = strlen(e->dn);
	if (e->origin != NULL &&
	    put_bytes(vb, e->origin, strlen(e->origin), &vb->originoff) < 0)
		return ERR_NOMEM;
	for (i = 0; i < e->count; i++) {
		a = &e->attrs[i];
		slot = attrset_find(set, a->name, strlen(a->name));
		if (slot == ATTRSET_NONE)
			continue;
		for (j = 0; j < a->count; j++)
			if (pend_value(vb, slot, a->values[j].data, 0,
			    a->values[j].len) < 0)
				return ERR_NOMEM;
	}
	return 0;
}
