/*
 * entry - one directory entry as read from LDIF or LDAP
 *
 * DIAGNOSTICS
 *	Allocation failures return ERR_NOMEM and leave the entry as it was.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dn.h"
#include "entry.h"
#include "errors.h"

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
