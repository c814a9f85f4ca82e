/*
 * groupkeys - the hashed forms of group and user entries, for the
 * suites that drive the groups store
 */
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "entry.h"
#include "errors.h"
#include "groupkeys.h"
#include "groups.h"
#include "hash.h"
#include "testlib.h"

enum { K_MEMBER, K_UNIQUE, K_UIDS, K_MEMBEROF };

/* dn_key - the key of len bytes of a DN (0: not a DN) */
static uint64_t
dn_key(const char *dn, size_t len)
{
	char *copy, *ndn = NULL;
	uint64_t h = 0;
	int rc;

	if (memchr(dn, '\0', len) != NULL)
		return 0;
	copy = strndup(dn, len);
	ck_assert_ptr_nonnull(copy);
	rc = entry_dn_normalize(copy, &ndn);
	free(copy);
	ck_assert_int_ne(rc, ERR_NOMEM);
	if (rc == 0 && *ndn != '\0')
		h = hash64(ndn, strlen(ndn));
	free(ndn);
	return h;
}

/* groupkeys_dn - the key of a DN */
uint64_t
groupkeys_dn(const char *dn)
{
	return dn_key(dn, strlen(dn));
}

/* groupkeys_uid - the key of a uid value */
uint64_t
groupkeys_uid(const char *value)
{
	return hash64(value, strlen(value));
}

/* collect - the keys of every value of attribute name into *out */
static size_t
collect(const struct entry *e, const char *name, int kind, uint64_t **out)
{
	const struct entry_value *v;
	struct entry_iter it;
	size_t n = 0, len;
	uint64_t h;

	*out = NULL;
	for (v = entry_value_first(e, name, &it); v != NULL;
	    v = entry_value_next(&it)) {
		if (kind == K_UIDS) {
			if (v->len == 0)
				continue;
			h = hash64(v->data, v->len);
		} else {
			len = kind == K_UNIQUE ?
			    dn_strip_uid(v->data, v->len) : v->len;
			if ((h = dn_key(v->data, len)) == 0)
				continue;
		}
		*out = realloc(*out, (n + 1) * sizeof **out);
		ck_assert_ptr_nonnull(*out);
		(*out)[n++] = h;
	}
	return n;
}

/* groupkeys_of - both hashed forms of e */
void
groupkeys_of(const struct entry *e, struct groupkeys *out)
{
	struct groups_entry *g = &out->group;
	struct groups_keys *u = &out->user;

	memset(out, 0, sizeof *out);
	g->dn = u->dn = groupkeys_dn(e->dn);
	g->nmember = collect(e, "member", K_MEMBER, &out->v[K_MEMBER]);
	g->member = out->v[K_MEMBER];
	g->nunique = collect(e, "uniqueMember", K_UNIQUE, &out->v[K_UNIQUE]);
	g->unique = out->v[K_UNIQUE];
	g->nuids = collect(e, "memberUid", K_UIDS, &out->v[K_UIDS]);
	g->uids = out->v[K_UIDS];
	g->nmemberof = collect(e, "memberOf", K_MEMBEROF,
	    &out->v[K_MEMBEROF]);
	g->memberof = out->v[K_MEMBEROF];
	u->memberof = g->memberof;
	u->nmemberof = g->nmemberof;
	u->nuids = collect(e, "uid", K_UIDS, &out->user_uids);
	u->uids = out->user_uids;
}

/* groupkeys_clear - release the arrays */
void
groupkeys_clear(struct groupkeys *k)
{
	size_t i;

	for (i = 0; i < 4; i++)
		free(k->v[i]);
	free(k->user_uids);
	memset(k, 0, sizeof *k);
}

/* groupkeys_cross_fn - note one crossing */
int
groupkeys_cross_fn(void *ctx, size_t handle, int kind, uint64_t key, int in)
{
	struct groupkeys_crossings *c = ctx;

	if (++c->calls == c->refuse_at)
		return ERR_IO;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = realloc(c->v, c->cap * sizeof *c->v);
		ck_assert_ptr_nonnull(c->v);
	}
	c->v[c->n].handle = handle;
	c->v[c->n].kind = kind;
	c->v[c->n].key = key;
	c->v[c->n].in = in;
	c->n++;
	return 0;
}

/* groupkeys_drain - the crossings now */
void
groupkeys_drain(struct groups *g, struct groupkeys_crossings *c)
{
	c->n = 0;
	c->calls = 0;
	c->refuse_at = 0;
	ck_assert_int_eq(groups_drain(g, groupkeys_cross_fn, c), 0);
}

/* groupkeys_has - exactly one crossing like that */
int
groupkeys_has(const struct groupkeys_crossings *c, size_t handle, int kind,
    uint64_t key, int in)
{
	size_t i;
	int n = 0;

	for (i = 0; i < c->n; i++)
		n += c->v[i].handle == handle && c->v[i].kind == kind &&
		    c->v[i].key == key && c->v[i].in == in;
	return n == 1;
}

/* groupkeys_count - crossings of one watch */
size_t
groupkeys_count(const struct groupkeys_crossings *c, size_t handle)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += c->v[i].handle == handle;
	return n;
}

/* groupkeys_crossings_free - release the crossings */
void
groupkeys_crossings_free(struct groupkeys_crossings *c)
{
	free(c->v);
	memset(c, 0, sizeof *c);
}
