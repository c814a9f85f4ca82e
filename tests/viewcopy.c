/*
 * viewcopy - entry views kept and compared (Check assertions)
 */
#include <string.h>

#include "testlib.h"
#include "viewcopy.h"

/* viewcopy_entry - a view as an entry of base names */
struct entry *
viewcopy_entry(const struct entry_view *v)
{
	const struct entry_value *x;
	struct entry *copy;
	size_t i, j;

	ck_assert_uint_eq(strlen(v->dn), v->dnlen);
	ck_assert_int_eq(entry_new(&copy, v->dn, v->origin), 0);
	for (i = 0; i < attrset_count(v->set); i++)
		for (j = 0; j < v->attrs[i].n; j++) {
			x = &v->attrs[i].v[j];
			ck_assert_int_eq(x->data[x->len], '\0');
			ck_assert_int_eq(entry_add_value(copy,
			    attrset_name(v->set, i), x->data, x->len), 0);
		}
	return copy;
}

/* viewcopy_set - every base name of the entries, and "absent" */
struct attrset *
viewcopy_set(struct entry *const *e, size_t n)
{
	struct attrset *set;
	size_t i, j;

	ck_assert_int_eq(attrset_new(&set), 0);
	for (i = 0; i < n; i++)
		for (j = 0; j < e[i]->count; j++)
			ck_assert_int_eq(attrset_add(set, e[i]->attrs[j].name,
			    strlen(e[i]->attrs[j].name), NULL), 0);
	ck_assert_int_eq(attrset_add(set, "absent", 6, NULL), 0);
	return set;
}

/* exact - the attribute of copy named exactly name */
static const struct entry_attr *
exact(const struct entry *copy, const char *name)
{
	size_t i;

	for (i = 0; i < copy->count; i++)
		if (strcmp(copy->attrs[i].name, name) == 0)
			return &copy->attrs[i];
	return NULL;
}

/* viewcopy_same - the copy of a view reads what e holds */
void
viewcopy_same(const struct entry *e, const struct entry *copy,
    const struct attrset *set, const char *what)
{
	const struct entry_value *x;
	const struct entry_attr *a;
	struct entry_iter it;
	const char *name;
	size_t i, j, held = 0;

	ck_assert_msg(strcmp(copy->dn, e->dn) == 0, "%s: DN %s, want %s",
	    what, copy->dn, e->dn);
	ck_assert_msg((copy->origin == NULL) == (e->origin == NULL) &&
	    (e->origin == NULL || strcmp(copy->origin, e->origin) == 0),
	    "%s: %s: origin", what, e->dn);
	for (i = 0; i < attrset_count(set); i++) {
		name = attrset_name(set, i);
		a = exact(copy, name);
		j = 0;
		for (x = entry_value_first(e, name, &it); x != NULL;
		    x = entry_value_next(&it), j++) {
			ck_assert_msg(a != NULL && j < a->count, "%s: %s: %s: "
			    "value %zu missing", what, e->dn, name, j);
			ck_assert_msg(a->values[j].len == x->len &&
			    memcmp(a->values[j].data, x->data, x->len) == 0,
			    "%s: %s: %s: value %zu differs", what, e->dn, name,
			    j);
		}
		ck_assert_msg(j == (a ? a->count : 0), "%s: %s: %s: %zu "
		    "values, want %zu", what, e->dn, name, a ? a->count : 0,
		    j);
		held += j > 0;
	}
	ck_assert_msg(copy->count == held, "%s: %s: %zu attributes, want "
	    "%zu", what, e->dn, copy->count, held);
}
