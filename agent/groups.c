/*
 * groups - group entries and nested membership
 *
 * SYNOPSIS
 *	#include "groups.h"
 *
 * DESCRIPTION
 *	groups_add() keeps, from each group entry, only what membership
 *	needs: its normalized DN, the normalized DNs of member and
 *	uniqueMember (the optional "#'0101'B" UID suffix of uniqueMember
 *	stripped), the memberUid values as they are, and the normalized
 *	DNs of its own memberOf. A DN seen again replaces the group.
 *
 *	groups_is_member() answers as BlueMind's LDAP import does for its
 *	split domain group, by the ways the caller allows: memberOf on the
 *	user names the group, the user's DN is a member or uniqueMember of
 *	it, or one of the user's uid values is a memberUid of it. Nested
 *	groups count: a group is inside another when the other lists it as
 *	member or uniqueMember, or when its own memberOf names the other
 *	(each way only when allowed). Cycles are harmless. A group need
 *	not have been added to be named: a user whose memberOf names it,
 *	or a group whose memberOf names it, is still found.
 *
 *	For each (group, ways) asked, the set of groups nested in it and
 *	the union of their member DNs and memberUid values are computed on
 *	first use and kept until the next groups_add, so each further
 *	question costs a few hash look-ups plus normalizing the user's DN
 *	and memberOf values.
 *
 *	DNs that do not parse never match anything; they are not errors.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM when memory runs out (nothing is half-changed then);
 *	ERR_INVAL for NULL arguments.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "errors.h"
#include "groups.h"

#define GROUPS_CACHE_MAX 16
#define NONE SIZE_MAX

/* An open-addressing hash of borrowed byte strings to a size_t. */
struct sm_slot {
	const char *key;        /* NULL = empty slot */
	size_t len;
	size_t val;
};

struct strmap {
	struct sm_slot *slots;
	size_t cap;             /* 0 or a power of two */
	size_t count;
};

struct sval {
	char *s;                /* len bytes, then a NUL */
	size_t len;
};

struct svec {
	struct sval *v;
	size_t n;
	size_t cap;
};

struct group {
	char *ndn;
	struct svec member;     /* normalized DNs */
	struct svec unique;     /* normalized DNs, UID suffix stripped */
	struct svec uids;       /* memberUid values, as they are */
	struct svec memberof;   /* normalized DNs */
};

/* What one (group, ways) question needs; keys borrow from the groups. */
struct gcache {
	char *raw;              /* group DN as asked */
	unsigned via;
	char *ndn;              /* NULL: the DN does not parse */
	struct strmap closure;  /* the group and every group nested in it */
	struct strmap members;  /* member and uniqueMember DNs of those */
	struct strmap uids;     /* memberUid values of those */
};

struct groups {
	struct group *v;
	size_t n;
	size_t cap;
	struct strmap index;    /* ndn -> position in v */
	struct gcache cache[GROUPS_CACHE_MAX];
	size_t ncache;
	size_t evict;           /* next slot to reuse when full */
};

/* sm_hash - FNV-1a */
static uint64_t
sm_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* sm_find - slot holding key, or the empty slot where it would go */
static struct sm_slot *
sm_find(const struct strmap *m, const char *key, size_t len)
{
	size_t mask = m->cap - 1, i = (size_t)sm_hash(key, len) & mask;

	while (m->slots[i].key != NULL && (m->slots[i].len != len ||
	    memcmp(m->slots[i].key, key, len) != 0))
		i = (i + 1) & mask;
	return &m->slots[i];
}

/* sm_get - 1 and *val when key is present, else 0 */
static int
sm_get(const struct strmap *m, const char *key, size_t len, size_t *val)
{
	const struct sm_slot *s;

	if (m->count == 0)
		return 0;
	s = sm_find(m, key, len);
	if (s->key == NULL)
		return 0;
	if (val != NULL)
		*val = s->val;
	return 1;
}

/* sm_grow - double the table (load stays at most one half) */
static int
sm_grow(struct strmap *m)
{
	struct strmap bigger;
	struct sm_slot *s;
	size_t i;

	if (m->cap > SIZE_MAX / 2 / sizeof *m->slots)
		return ERR_NOMEM;
	bigger.cap = m->cap ? m->cap * 2 : 16;
	bigger.count = m->count;
	bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
	if (bigger.slots == NULL)
		return ERR_NOMEM;
	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL)
			continue;
		s = sm_find(&bigger, m->slots[i].key, m->slots[i].len);
		*s = m->slots[i];
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

/* sm_insert - add key with val unless present; *valp points at its value
 * (valid until the next insert). 1 added, 0 present, ERR_NOMEM */
static int
sm_insert(struct strmap *m, const char *key, size_t len, size_t val,
    size_t **valp)
{
	struct sm_slot *s;

	if ((m->count + 1) * 2 > m->cap && sm_grow(m) < 0)
		return ERR_NOMEM;
	s = sm_find(m, key, len);
	if (valp != NULL)
		*valp = &s->val;
	if (s->key != NULL)
		return 0;
	s->key = key;
	s->len = len;
	s->val = val;
	m->count++;
	return 1;
}

/* sm_free - release the table (keys are borrowed) */
static void
sm_free(struct strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

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

/* group_clear - release what a group holds */
static void
group_clear(struct group *gr)
{
	free(gr->ndn);
	svec_free(&gr->member);
	svec_free(&gr->unique);
	svec_free(&gr->uids);
	svec_free(&gr->memberof);
	memset(gr, 0, sizeof *gr);
}

/* cache_clear - forget one cached question */
static void
cache_clear(struct gcache *c)
{
	free(c->raw);
	free(c->ndn);
	sm_free(&c->closure);
	sm_free(&c->members);
	sm_free(&c->uids);
	memset(c, 0, sizeof *c);
}

/* cache_drop - forget every cached question */
static void
cache_drop(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->ncache; i++)
		cache_clear(&g->cache[i]);
	g->ncache = 0;
	g->evict = 0;
}

/* groups_new - empty store */
int
groups_new(struct groups **out)
{
	if (out == NULL)
		return ERR_INVAL;
	*out = calloc(1, sizeof **out);
	return *out == NULL ? ERR_NOMEM : 0;
}

/* groups_free - release the store */
void
groups_free(struct groups *g)
{
	size_t i;

	if (g == NULL)
		return;
	cache_drop(g);
	for (i = 0; i < g->n; i++)
		group_clear(&g->v[i]);
	free(g->v);
	sm_free(&g->index);
	free(g);
}

/* strip_uid_suffix - length of a uniqueMember value without a trailing
 * unescaped "#'<bits>'B" (RFC 4517 NameAndOptionalUID) */
static size_t
strip_uid_suffix(const char *s, size_t len)
{
	size_t i, hash, bs;

	if (len < 4 || s[len - 1] != 'B' || s[len - 2] != '\'')
		return len;
	for (i = len - 2; i > 0 && (s[i - 1] == '0' || s[i - 1] == '1'); i--)
		;
	if (i < 2 || s[i - 1] != '\'' || s[i - 2] != '#')
		return len;
	hash = i - 2;
	for (bs = 0; bs < hash && s[hash - 1 - bs] == '\\'; bs++)
		;
	return bs % 2 ? len : hash;
}

/* push_dn - normalize one DN value into vec; a value that is not a DN
 * is skipped. 0 or ERR_NOMEM */
static int
push_dn(struct svec *vec, const struct entry_value *v, int strip)
{
	size_t len = strip ? strip_uid_suffix(v->data, v->len) : v->len;
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

/* group_load - copy what membership needs out of entry e */
static int
group_load(struct group *gr, const struct entry *e)
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

/* groups_add - remember (or replace) one group */
int
groups_add(struct groups *g, const struct entry *e)
{
	struct group gr;
	struct group *v;
	size_t pos, cap;
	int rc;

	if (g == NULL || e == NULL || e->dn == NULL)
		return ERR_INVAL;
	memset(&gr, 0, sizeof gr);
	rc = entry_dn_normalize(e->dn, &gr.ndn);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0 || *gr.ndn == '\0') {
		/* Nothing can name this group: nothing to remember. */
		rc = 0;
		goto out;
	}
	if ((rc = group_load(&gr, e)) < 0)
		goto out;
	if (sm_get(&g->index, gr.ndn, strlen(gr.ndn), &pos)) {
		/* Keep the old DN string: the index borrows it. */
		free(gr.ndn);
		gr.ndn = g->v[pos].ndn;
		g->v[pos].ndn = NULL;
		group_clear(&g->v[pos]);
		g->v[pos] = gr;
		memset(&gr, 0, sizeof gr);
		cache_drop(g);
		goto out;
	}
	if (g->n == g->cap) {
		if (g->cap > SIZE_MAX / 2 / sizeof *v) {
			rc = ERR_NOMEM;
			goto out;
		}
		cap = g->cap ? g->cap * 2 : 16;
		v = realloc(g->v, cap * sizeof *v);
		if (v == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		g->v = v;
		g->cap = cap;
	}
	rc = sm_insert(&g->index, gr.ndn, strlen(gr.ndn), g->n, NULL);
	if (rc < 0)
		goto out;
	rc = 0;
	g->v[g->n++] = gr;
	memset(&gr, 0, sizeof gr);
	cache_drop(g);
out:
	group_clear(&gr);
	return rc;
}

/* The breadth-first walk over nested groups of one question. */
struct walk {
	const struct groups *g;
	struct gcache *c;
	const char **queue;     /* closure members not yet expanded */
	size_t *qlen;
	size_t head;
	size_t tail;
	struct strmap rev;      /* memberOf DN -> first link */
	size_t *next;           /* links: next link, or NONE */
	size_t *grp;            /* links: the group whose memberOf it is */
};

/* walk_add - put a group into the closure, queued once */
static int
walk_add(struct walk *w, const char *ndn, size_t len)
{
	int rc = sm_insert(&w->c->closure, ndn, len, 0, NULL);

	if (rc == 1) {
		w->queue[w->tail] = ndn;
		w->qlen[w->tail++] = len;
	}
	return rc < 0 ? rc : 0;
}

/* walk_members - member DNs of one group: members, and known groups
 * nested */
static int
walk_members(struct walk *w, const struct svec *dns)
{
	size_t i;
	int rc;

	for (i = 0; i < dns->n; i++) {
		rc = sm_insert(&w->c->members, dns->v[i].s, dns->v[i].len, 0,
		    NULL);
		if (rc < 0)
			return rc;
		if (sm_get(&w->g->index, dns->v[i].s, dns->v[i].len, NULL) &&
		    (rc = walk_add(w, dns->v[i].s, dns->v[i].len)) < 0)
			return rc;
	}
	return 0;
}

/* walk_reverse - index groups by the DNs their memberOf names */
static int
walk_reverse(struct walk *w)
{
	const struct groups *g = w->g;
	size_t i, j, total = 0, k = 0, *head;
	int rc;

	for (i = 0; i < g->n; i++) {
		if (g->v[i].memberof.n > SIZE_MAX / sizeof(size_t) - total)
			return ERR_NOMEM;
		total += g->v[i].memberof.n;
	}
	if (total == 0)
		return 0;
	w->next = malloc(total * sizeof *w->next);
	w->grp = malloc(total * sizeof *w->grp);
	if (w->next == NULL || w->grp == NULL)
		return ERR_NOMEM;
	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->v[i].memberof.n; j++, k++) {
			w->grp[k] = i;
			rc = sm_insert(&w->rev, g->v[i].memberof.v[j].s,
			    g->v[i].memberof.v[j].len, k, &head);
			if (rc < 0)
				return rc;
			w->next[k] = rc == 1 ? NONE : *head;
			*head = k;
		}
	}
	return 0;
}

/* walk_run - closure, member DNs and memberUids of c's group */
static int
walk_run(struct walk *w)
{
	const struct groups *g = w->g;
	const struct group *gr;
	unsigned via = w->c->via;
	size_t len, pos, k, i;
	const char *x;
	int rc;

	if ((via & GROUPS_VIA_MEMBEROF) && (rc = walk_reverse(w)) < 0)
		return rc;
	if ((rc = walk_add(w, w->c->ndn, strlen(w->c->ndn))) < 0)
		return rc;
	while (w->head < w->tail) {
		x = w->queue[w->head];
		len = w->qlen[w->head++];
		if (sm_get(&g->index, x, len, &pos)) {
			gr = &g->v[pos];
			if ((via & GROUPS_VIA_MEMBER) &&
			    (rc = walk_members(w, &gr->member)) < 0)
				return rc;
			if ((via & GROUPS_VIA_UNIQUEMEMBER) &&
			    (rc = walk_members(w, &gr->unique)) < 0)
				return rc;
			for (i = 0; (via & GROUPS_VIA_MEMBERUID) &&
			    i < gr->uids.n; i++)
				if (sm_insert(&w->c->uids, gr->uids.v[i].s,
				    gr->uids.v[i].len, 0, NULL) < 0)
					return ERR_NOMEM;
		}
		if (!(via & GROUPS_VIA_MEMBEROF) ||
		    !sm_get(&w->rev, x, len, &k))
			continue;
		for (; k != NONE; k = w->next[k]) {
			gr = &g->v[w->grp[k]];
			if ((rc = walk_add(w, gr->ndn, strlen(gr->ndn))) < 0)
				return rc;
		}
	}
	return 0;
}

/* cache_build - answer the costly part of a question once */
static int
cache_build(const struct groups *g, struct gcache *c)
{
	struct walk w;
	int rc;

	rc = entry_dn_normalize(c->raw, &c->ndn);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0 || *c->ndn == '\0') {
		/* Never matches: remembered as such. */
		free(c->ndn);
		c->ndn = NULL;
		return 0;
	}
	memset(&w, 0, sizeof w);
	w.g = g;
	w.c = c;
	/* Every queued DN is the group asked or a distinct known group. */
	if (g->n >= SIZE_MAX / sizeof *w.qlen - 1)
		return ERR_NOMEM;
	w.queue = malloc((g->n + 1) * sizeof *w.queue);
	w.qlen = malloc((g->n + 1) * sizeof *w.qlen);
	if (w.queue == NULL || w.qlen == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	rc = walk_run(&w);
out:
	free(w.queue);
	free(w.qlen);
	free(w.next);
	free(w.grp);
	sm_free(&w.rev);
	return rc;
}

/* cache_get - the cached question, computed on first use */
static int
cache_get(struct groups *g, const char *group_dn, unsigned via,
    struct gcache **out)
{
	struct gcache c, *slot;
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < g->ncache; i++)
		if (g->cache[i].via == via &&
		    strcmp(g->cache[i].raw, group_dn) == 0) {
			*out = &g->cache[i];
			return 0;
		}
	memset(&c, 0, sizeof c);
	c.via = via;
	c.raw = strdup(group_dn);
	if (c.raw == NULL)
		return ERR_NOMEM;
	if ((rc = cache_build(g, &c)) < 0) {
		cache_clear(&c);
		return rc;
	}

	if (g->ncache < GROUPS_CACHE_MAX) {
		slot = &g->cache[g->ncache++];
	} else {
		slot = &g->cache[g->evict];
		g->evict = (g->evict + 1) % GROUPS_CACHE_MAX;
		cache_clear(slot);
	}
	*slot = c;
	*out = slot;
	return 0;
}

/* dn_in - normalize a DN value, look it up in a or b; 1, 0, ERR_NOMEM */
static int
dn_in(const struct entry_value *v, const struct strmap *a,
    const struct strmap *b)
{
	char *ndn = NULL;
	int rc, found;

	if (memchr(v->data, '\0', v->len) != NULL)
		return 0;
	rc = entry_dn_normalize(v->data, &ndn);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0)
		return 0;
	found = sm_get(a, ndn, strlen(ndn), NULL) ||
	    (b != NULL && sm_get(b, ndn, strlen(ndn), NULL));
	free(ndn);
	return found;
}

/* groups_is_member - is e inside group_dn, by the ways in via */
int
groups_is_member(struct groups *g, const char *group_dn,
    const struct entry *e, unsigned via)
{
	const struct strmap *also;
	const struct entry_attr *a;
	struct entry_value dn;
	struct gcache *c;
	size_t i, j;
	int rc;

	if (g == NULL || group_dn == NULL || e == NULL)
		return ERR_INVAL;
	via &= GROUPS_VIA_ANY;
	if (via == 0)
		return 0;
	if ((rc = cache_get(g, group_dn, via, &c)) < 0)
		return rc;
	if (c->ndn == NULL)
		return 0;
	for (i = 0; c->uids.count > 0 && i < e->count; i++) {
		a = &e->attrs[i];
		if (!entry_attr_name_eq(a->name, "uid"))
			continue;
		for (j = 0; j < a->count; j++)
			if (sm_get(&c->uids, a->values[j].data,
			    a->values[j].len, NULL))
				return 1;
	}
	if (c->members.count > 0 && e->dn != NULL) {
		dn.data = e->dn;
		dn.len = strlen(e->dn);
		if ((rc = dn_in(&dn, &c->members, NULL)) != 0)
			return rc;
	}
	if (!(via & GROUPS_VIA_MEMBEROF))
		return 0;
	/* A memberOf naming a group listed as a member of the closure
	 * counts too, even when that group's entry was not added. */
	also = c->members.count > 0 ? &c->members : NULL;
	for (i = 0; i < e->count; i++) {
		a = &e->attrs[i];
		if (!entry_attr_name_eq(a->name, "memberOf"))
			continue;
		for (j = 0; j < a->count; j++) {
			/* A group whose entry we hold says itself who is in
			 * it: memberOf is kept by an overlay whose updates a
			 * change feed does not always carry, so it can lag. */
			if ((via & ~GROUPS_VIA_MEMBEROF) &&
			    (rc = dn_in(&a->values[j], &g->index, NULL)) != 0) {
				if (rc < 0)
					return rc;
				continue;
			}
			if ((rc = dn_in(&a->values[j], &c->closure, also)) != 0)
				return rc;
		}
	}
	return 0;
}

/* groups_known - whether ndn names a group */
int
groups_known(const struct groups *g, const char *ndn)
{
	size_t pos;

	return sm_get(&g->index, ndn, strlen(ndn), &pos);
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
	struct svec x = { NULL, 0, 0 }, y = { NULL, 0, 0 }, none = { NULL, 0, 0 };
	size_t i;
	int same = a->n == b->n;

	if (same && (svec_join(a, &none, &x) < 0 || svec_join(b, &none, &y) < 0))
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
	struct group a, b;
	struct svec x = { NULL, 0, 0 }, y = { NULL, 0, 0 };
	size_t i = 0, j = 0;
	int rc, c, same;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	rc = group_load(&a, old);
	rc = rc ? rc : group_load(&b, new);
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
	group_clear(&a);
	group_clear(&b);
	return rc;
}
