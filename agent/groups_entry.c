/*
 * groups_entry - the entry-based interface of the groups store
 *
 * SYNOPSIS
 *	#include "groups.h"
 *
 * DESCRIPTION
 *	Adapters for the callers that still hold struct entry: they turn
 *	an entry into the hashes the store takes (groups.c) and go once
 *	those callers hand over hashes themselves.
 *
 *	groups_add() takes, from every attribute of the base names
 *	member, uniqueMember, memberUid and memberOf, the hash64 of each
 *	DN normalized with entry_dn_normalize (the optional "#'0101'B"
 *	UID suffix of uniqueMember stripped first) and of each memberUid
 *	value as it is. Values that are not DNs, and empty memberUid
 *	values, are left out: they never match anything.
 *
 *	groups_is_member() asks the watch of the group DN (made on the
 *	first question; each spelling of a DN is normalized once) with
 *	the entry's keys: its
 *	uid values and DN first, its memberOf values (normalized, the
 *	costly part) only when those did not answer. It forgets the
 *	store's crossings: a caller of this interface does not drain.
 *
 *	groups_member_change() compares two versions of a group entry
 *	in normalized text, as the caller needs the member DNs
 *	themselves.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out; ERR_INVAL for NULL arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dn.h"
#include "entry.h"
#include "errors.h"
#include "groups.h"
#include "groups_store.h"
#include "hash.h"
#include "vec.h"

/* A few keys of an entry: on the stack when they fit. */
#define KEYS_SMALL 16

struct keys {
	uint64_t small[KEYS_SMALL];
	uint64_t *v;
	size_t n;
	size_t cap;
};

/* keys_init - an empty list */
static void
keys_init(struct keys *k)
{
	k->v = k->small;
	k->n = 0;
	k->cap = KEYS_SMALL;
}

/* keys_free - release a list */
static void
keys_free(struct keys *k)
{
	if (k->v != k->small)
		free(k->v);
	keys_init(k);
}

/* keys_push - one more key; ERR_NOMEM */
static int
keys_push(struct keys *k, uint64_t key)
{
	uint64_t *v;

	if (k->n == k->cap) {
		if (k->cap > SIZE_MAX / 2 / sizeof *v)
			return ERR_NOMEM;
		v = malloc(2 * k->cap * sizeof *v);
		if (v == NULL)
			return ERR_NOMEM;
		memcpy(v, k->v, k->n * sizeof *v);
		if (k->v != k->small)
			free(k->v);
		k->v = v;
		k->cap *= 2;
	}
	k->v[k->n++] = key;
	return 0;
}

/* dn_key - the key of len bytes of a DN into *out, 0 when they are
 * not a DN; 0 or ERR_NOMEM */
static int
dn_key(const char *dn, size_t len, uint64_t *out)
{
	char *copy, *ndn = NULL;
	int rc;

	*out = 0;
	if (memchr(dn, '\0', len) != NULL)
		return 0;
	if ((copy = strndup(dn, len)) == NULL)
		return ERR_NOMEM;
	rc = entry_dn_normalize(copy, &ndn);
	free(copy);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc == 0 && *ndn != '\0')
		*out = hash64(ndn, strlen(ndn));
	free(ndn);
	return 0;
}

/* push_values - the keys of every value of attribute name: DNs
 * (unique: uniqueMember's suffix stripped) or, raw, values as they
 * are; ERR_NOMEM */
static int
push_values(const struct entry *e, const char *name, int raw, int unique,
    struct keys *k)
{
	const struct entry_value *v;
	struct entry_iter it;
	uint64_t key;
	int rc;

	for (v = entry_value_first(e, name, &it); v != NULL;
	    v = entry_value_next(&it)) {
		if (raw) {
			if (v->len == 0)
				continue;
			key = hash64(v->data, v->len);
		} else if ((rc = dn_key(v->data, unique ?
		    dn_strip_uid(v->data, v->len) : v->len,
		    &key)) < 0)
			return rc;
		if (key != 0 && (rc = keys_push(k, key)) < 0)
			return rc;
	}
	return 0;
}

/* groups_add - groups_put of an entry */
int
groups_add(struct groups *g, const struct entry *e)
{
	struct groups_entry ge;
	struct keys k[4];
	int i, rc;

	if (g == NULL || e == NULL || e->dn == NULL)
		return ERR_INVAL;
	for (i = 0; i < 4; i++)
		keys_init(&k[i]);
	memset(&ge, 0, sizeof ge);
	if ((rc = dn_key(e->dn, strlen(e->dn), &ge.dn)) < 0 || ge.dn == 0)
		goto cleanup;
	if ((rc = push_values(e, "member", 0, 0, &k[0])) < 0 ||
	    (rc = push_values(e, "uniqueMember", 0, 1, &k[1])) < 0 ||
	    (rc = push_values(e, "memberUid", 1, 0, &k[2])) < 0 ||
	    (rc = push_values(e, "memberOf", 0, 0, &k[3])) < 0)
		goto cleanup;
	ge.member = k[0].v;
	ge.nmember = k[0].n;
	ge.unique = k[1].v;
	ge.nunique = k[1].n;
	ge.uids = k[2].v;
	ge.nuids = k[2].n;
	ge.memberof = k[3].v;
	ge.nmemberof = k[3].n;
	rc = groups_put(g, &ge);
cleanup:
	for (i = 0; i < 4; i++)
		keys_free(&k[i]);
	return rc;
}

/* watch_dn - the watch of a group DN as written (one that does not
 * parse: the watch of 0), each spelling and ways normalized once */
static int
watch_dn(struct groups *g, const char *dn, unsigned via,
    size_t *handle)
{
	struct groups_asked a;
	char *ndn = NULL;
	uint64_t target = 0;
	size_t i;
	int rc;

	if (g == NULL || dn == NULL || handle == NULL)
		return ERR_INVAL;
	via &= GROUPS_VIA_ANY;
	for (i = 0; i < g->nasked; i++)
		if (g->asked[i].via == via && strcmp(g->asked[i].dn, dn) == 0) {
			*handle = g->asked[i].handle;
			return 0;
		}
	rc = entry_dn_normalize(dn, &ndn);
	if (rc == ERR_NOMEM)
		return rc;
	/* A DN that does not parse: the watch of 0, never a member. */
	if (rc == 0 && *ndn != '\0')
		target = hash64(ndn, strlen(ndn));
	free(ndn);
	if ((rc = groups_watch(g, target, via, &a.handle)) < 0)
		return rc;
	if (vec_grow((void **)&g->asked, &g->capasked, g->nasked,
	    sizeof *g->asked) < 0 || (a.dn = strdup(dn)) == NULL)
		return ERR_NOMEM;
	a.via = via;
	g->asked[g->nasked++] = a;
	*handle = a.handle;
	return 0;
}
/* groups_is_member - is e inside group_dn, by the ways in via */
int
groups_is_member(struct groups *g, const char *group_dn,
    const struct entry *e, unsigned via)
{
	struct groups_keys gk;
	struct keys uids, memberof;
	size_t handle;
	int rc;

	if (g == NULL || group_dn == NULL || e == NULL)
		return ERR_INVAL;
	via &= GROUPS_VIA_ANY;
	if (via == 0)
		return 0;
	if ((rc = watch_dn(g, group_dn, via, &handle)) < 0 ||
	    (rc = groups_drain(g, NULL, NULL)) < 0)
		return rc;
	keys_init(&uids);
	keys_init(&memberof);
	memset(&gk, 0, sizeof gk);
	if ((via & GROUPS_VIA_MEMBERUID) &&
	    (rc = push_values(e, "uid", 1, 0, &uids)) < 0)
		goto cleanup;
	if (e->dn != NULL && (via & (GROUPS_VIA_MEMBER |
	    GROUPS_VIA_UNIQUEMEMBER)) &&
	    (rc = dn_key(e->dn, strlen(e->dn), &gk.dn)) < 0)
		goto cleanup;
	gk.uids = uids.v;
	gk.nuids = uids.n;
	if ((rc = groups_contains(g, handle, &gk)) != 0 ||
	    !(via & GROUPS_VIA_MEMBEROF))
		goto cleanup;
	/* Only now the memberOf values: normalizing them is the cost. */
	if ((rc = push_values(e, "memberOf", 0, 0, &memberof)) < 0)
		goto cleanup;
	memset(&gk, 0, sizeof gk);
	gk.memberof = memberof.v;
	gk.nmemberof = memberof.n;
	rc = groups_contains(g, handle, &gk);
cleanup:
	keys_free(&uids);
	keys_free(&memberof);
	return rc;
}

/* groups_known - whether ndn names a group */
int
groups_known(const struct groups *g, const char *ndn)
{
	return g != NULL && ndn != NULL && *ndn != '\0' &&
	    groups_has(g, hash64(ndn, strlen(ndn)));
}
struct sval {
	char *s;                /* len bytes, then a NUL */
	size_t len;
};

struct svec {
	struct sval *v;
	size_t n;
	size_t cap;
};


/* A group entry's values in normalized text. */
struct gtext {
	struct svec member;     /* normalized DNs */
	struct svec unique;     /* normalized DNs, UID suffix stripped */
	struct svec uids;       /* memberUid values, as they are */
	struct svec memberof;   /* normalized DNs */
};


/* svec_push - take ownership of s */
static int
svec_push(struct svec *vec, char *s, size_t len)
{
	struct sval *v;
	size_t cap;

	if (vec->n == vec->cap) {
		if (vec->cap > SIZE_MAX / 2 / sizeof *v)
			return ERR_NOMEM;
		cap = vec->cap ? vec->cap * 2 : 4;
		v = realloc(vec->v, cap * sizeof *v);
		if (v == NULL)
			return ERR_NOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n].s = s;
	vec->v[vec->n].len = len;
	vec->n++;
	return 0;
}

/* svec_free - release every string */
static void
svec_free(struct svec *vec)
{
	size_t i;

	for (i = 0; i < vec->n; i++)
		free(vec->v[i].s);
	free(vec->v);
	memset(vec, 0, sizeof *vec);
}


/* gtext_clear - release what a group's text holds */
static void
gtext_clear(struct gtext *gr)
{
	svec_free(&gr->member);
	svec_free(&gr->unique);
	svec_free(&gr->uids);
	svec_free(&gr->memberof);
}


/* push_dn - normalize one DN value into vec; a value that is not a DN
 * is skipped. 0 or ERR_NOMEM */
static int
push_dn(struct svec *vec, const struct entry_value *v, int strip)
{
	size_t len = strip ? dn_strip_uid(v->data, v->len) : v->len;
	char *copy, *ndn = NULL;
	int rc;

	if (memchr(v->data, '\0', v->len) != NULL)
		return 0;
	copy = strndup(v->data, len);
	if (copy == NULL)
		return ERR_NOMEM;
	rc = entry_dn_normalize(copy, &ndn);
	free(copy);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0 || *ndn == '\0') {
		free(ndn);
		return 0;
	}
	if (svec_push(vec, ndn, strlen(ndn)) < 0) {
		free(ndn);
		return ERR_NOMEM;
	}
	return 0;
}

/* push_raw - copy one memberUid value into vec; empty ones skipped */
static int
push_raw(struct svec *vec, const struct entry_value *v)
{
	char *copy;

	if (v->len == 0)
		return 0;
	if (v->len == SIZE_MAX || (copy = malloc(v->len + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(copy, v->data, v->len);
	copy[v->len] = '\0';
	if (svec_push(vec, copy, v->len) < 0) {
		free(copy);
		return ERR_NOMEM;
	}
	return 0;
}

/* gtext_load - copy what membership needs out of entry e */
static int
gtext_load(struct gtext *gr, const struct entry *e)
{
	const struct entry_attr *a;
	size_t i, j;
	int rc = 0;

	/* Every attribute of each name: AD sends "member;range=..." parts. */
	for (i = 0; i < e->count && rc == 0; i++) {
		a = &e->attrs[i];
		for (j = 0; j < a->count && rc == 0; j++) {
			if (entry_attr_name_eq(a->name, "member"))
				rc = push_dn(&gr->member, &a->values[j], 0);
			else if (entry_attr_name_eq(a->name, "uniqueMember"))
				rc = push_dn(&gr->unique, &a->values[j], 1);
			else if (entry_attr_name_eq(a->name, "memberUid"))
				rc = push_raw(&gr->uids, &a->values[j]);
			else if (entry_attr_name_eq(a->name, "memberOf"))
				rc = push_dn(&gr->memberof, &a->values[j], 0);
		}
	}
	return rc;
}


/* sval_cmp - by bytes */
static int
sval_cmp(const void *a, const void *b)
{
	const struct sval *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* svec_join - every value of a and b in one sorted vector (borrowed
 * strings: free only out->v) */
static int
svec_join(const struct svec *a, const struct svec *b, struct svec *out)
{
	out->n = a->n + b->n;
	out->cap = out->n;
	out->v = malloc((out->n ? out->n : 1) * sizeof *out->v);
	if (out->v == NULL)
		return ERR_NOMEM;
	if (a->n)
		memcpy(out->v, a->v, a->n * sizeof *a->v);
	if (b->n)
		memcpy(out->v + a->n, b->v, b->n * sizeof *b->v);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, sval_cmp);
	return 0;
}

/* svec_same - the same values, in any order */
static int
svec_same(const struct svec *a, const struct svec *b)
{
	struct svec x = { NULL, 0, 0 }, y = { NULL, 0, 0 };
	struct svec none = { NULL, 0, 0 };
	size_t i;
	int same = a->n == b->n;

	if (same && (svec_join(a, &none, &x) < 0 ||
	    svec_join(b, &none, &y) < 0))
		same = -1;
	for (i = 0; same == 1 && i < a->n; i++)
		same = sval_cmp(&x.v[i], &y.v[i]) == 0;
	free(x.v);
	free(y.v);
	return same;
}

/* groups_member_change - the member DNs a change adds or removes */
int
groups_member_change(const struct entry *old, const struct entry *new,
    int (*fn)(const char *ndn, void *ctx), void *ctx)
{
	struct gtext a, b;
	struct svec x = { NULL, 0, 0 }, y = { NULL, 0, 0 };
	size_t i = 0, j = 0;
	int rc, c, same;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	rc = gtext_load(&a, old);
	rc = rc ? rc : gtext_load(&b, new);
	if (rc < 0)
		goto out;
	rc = 1;
	if (strcmp(old->dn, new->dn) != 0)
		goto out;
	if ((same = svec_same(&a.uids, &b.uids)) != 1 ||
	    (same = svec_same(&a.memberof, &b.memberof)) != 1) {
		rc = same < 0 ? ERR_NOMEM : 1;
		goto out;
	}
	rc = svec_join(&a.member, &a.unique, &x);
	rc = rc ? rc : svec_join(&b.member, &b.unique, &y);
	/* Merge the sorted versions; a value listed twice counts once. */
	while (rc == 0 && (i < x.n || j < y.n)) {
		if (i == x.n)
			c = 1;
		else if (j == y.n)
			c = -1;
		else
			c = sval_cmp(&x.v[i], &y.v[j]);
		if (c == 0) {
			const struct sval *v = &x.v[i];

			while (i < x.n && sval_cmp(&x.v[i], v) == 0)
				i++;
			while (j < y.n && sval_cmp(&y.v[j], v) == 0)
				j++;
			continue;
		}
		rc = fn(c < 0 ? x.v[i].s : y.v[j].s, ctx);
		if (c < 0)
			i++;
		else
			j++;
	}
out:
	free(x.v);
	free(y.v);
	gtext_clear(&a);
	gtext_clear(&b);
	return rc;
}
