/*
 * model_build - the model built: routes decided, addresses checked,
 * slots sorted, contested addresses resolved
 *
 * DESCRIPTION
 *	model_build decides pending routes, checks the addresses
 *	mailbox by mailbox in the order they came (so each entry's
 *	problems are reported together and in the order the previous
 *	version gave them), then sorts the valid claims by address (a
 *	radix sort, strsort.h) into slots, one per address; an address
 *	claimed more than once is a contested group, its claims sorted
 *	by id. A hash of each address finds its slot.
 *
 *	model_resolve picks each contested group's owner: the previous
 *	owner, found by its id as the listing holds it or by the same
 *	bytes in the other encoding (hex or text: listings written before
 *	each id attribute had one encoding hold some ids in the other),
 *	else the smallest id, so the result does not depend on the order
 *	entries arrived in. A mailbox's default address is its first
 *	claim that routes; final routes and nexthops are computed once
 *	resolved, from the claim, its mailbox and its domain.
 *
 * DIAGNOSTICS
 *	Bad values are reported in the diag with the entry's DN
 *	(DIAG_REJECTED) and skipped; conflicts are reported as
 *	DIAG_CONFLICT. Only allocation failure (and the decider's errors)
 *	stops the build.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hash.h"
#include "model_int.h"
#include "strsort.h"
#include "validate.h"
#include "vec.h"

/* decide - the route of a pending mailbox, its notes, its nexthop */
static int
decide(struct model *m, struct mbox *mb, struct diag *d)
{
	const struct pending *p = &m->pend[mb->pend];
	struct groups_keys k;
	struct model_note n;
	const char *dn = arena_str(&m->text, mb->dn);
	const char *hop;
	uint32_t i;
	int route;

	if (!m->has_dec)
		return ERR_BUG;
	k.dn = p->dnkey;
	k.memberof = m->keys + p->keys;
	k.nmemberof = p->nmemberof;
	k.uids = m->keys + p->keys + p->nmemberof;
	k.nuids = p->nuids;
	route = m->dec.route(m->dec.ctx, p->leaves, &k);
	if (route < 0)
		return route;
	mb->route = (uint8_t)route;
	for (i = 0; i < p->nnotes; i++) {
		const struct note_rec *r = &m->notes[p->notes + i];

		n.when = r->when;
		n.level = (enum diag_level)r->level;
		n.kind = (enum diag_kind)r->kind;
		n.what = arena_str(&m->text, r->what);
		if (m->dec.note_applies(m->dec.ctx, &n, route))
			diag_add(d, n.level, n.kind, dn, "%s", n.what);
	}
	if (route == ROUTE_NONE || p->nexthop == 0 ||
	    !m->dec.nexthop_applies(m->dec.ctx, route))
		return 0;
	hop = strtab_str(&m->hops, p->nexthop);
	if (model_check_nexthop(m, hop, "mailbox nexthop", dn, d) == 0)
		mb->nexthop = p->nexthop;
	return 0;
}

/* check_claims - the addresses of one routed mailbox, reported in the
 * order they came */
static void
check_claims(struct model *m, uint32_t i, const struct excess *x,
    struct diag *d)
{
	struct mbox *mb = &m->mboxes[i];
	const char *dn = arena_str(&m->text, mb->dn), *a, *at, *why;
	size_t kept = 0, j;
	long dom;

	/* An entry with thousands of addresses is a mistake or an attack:
	 * its first ones (the default first) route, the rest are refused
	 * in one report, not one line each. */
	if (x)
		diag_add_count(d, DIAG_WARNING, DIAG_REJECTED, dn,
		    x->total - mb->nclaims, "%zu of its %zu addresses refused "
		    "(from \"%s\" on): more than max_addresses_per_entry = "
		    "%zu; the first %zu are routed",
		    (size_t)(x->total - mb->nclaims), (size_t)x->total,
		    arena_str(&m->text, x->from), (size_t)mb->nclaims,
		    (size_t)mb->nclaims);
	for (j = mb->first; j < mb->first + mb->nclaims; j++) {
		struct claim *c = &m->claims[j];

		a = arena_str(&m->text, c->addr);
		why = NULL;
		if (validate_address(a, strlen(a), &why) < 0) {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, dn,
			    "address \"%s\" refused: %s", a,
			    why ? why : "invalid");
			continue;
		}
		at = strchr(a, '@');
		dom = model_find_name(m, at + 1);
		if (dom < 0) {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, dn,
			    "address \"%s\" refused: %s is not a managed "
			    "domain", a, at + 1);
			continue;
		}
		c->dom = (uint16_t)dom;
		if (c->flags & C_EXT_GIVEN)
			c->route = (c->flags & C_EXT) ? ROUTE_EXTERNAL :
			    ROUTE_INTERNAL;
		else
			c->route = mb->route;
		c->flags |= C_VALID;
		kept++;
	}
	if (kept == 0)
		diag_add(d, DIAG_WARNING, DIAG_REJECTED, dn,
		    "mailbox has no usable address; skipped");
}

/* check_mailboxes - routes decided, addresses checked, mailbox by
 * mailbox */
static int
check_mailboxes(struct model *m, struct diag *d)
{
	size_t i, x = 0;
	int rc;

	for (i = 0; i < m->nmboxes; i++) {
		struct mbox *mb = &m->mboxes[i];
		const struct excess *ex = NULL;

		while (x < m->nexcess && m->excess[x].mbox < i)
			x++;
		if (x < m->nexcess && m->excess[x].mbox == i)
			ex = &m->excess[x];
		if (mb->pend != NONE && (rc = decide(m, mb, d)) < 0)
			return rc;
		if (mb->route == ROUTE_NONE)
			continue;
		check_claims(m, (uint32_t)i, ex, d);
	}
	return 0;
}

/* dom_cmp_ctx - domains by name, for the order of model_domain_at */
static int
dom_cmp_ctx(const struct model *m, uint32_t a, uint32_t b)
{
	return strcmp(m->doms[a].spec.name, m->doms[b].spec.name);
}

/* sort_domains - dom_order and dom_rank (few domains: insertion) */
static int
sort_domains(struct model *m)
{
	size_t i, j, n = m->ndoms;
	uint32_t t;

	m->dom_order = calloc(n ? n : 1, sizeof *m->dom_order);
	m->dom_rank = calloc(n ? n : 1, sizeof *m->dom_rank);
	if (m->dom_order == NULL || m->dom_rank == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++)
		m->dom_order[i] = (uint32_t)i;
	for (i = 1; i < n; i++) {
		t = m->dom_order[i];
		for (j = i; j > 0 && dom_cmp_ctx(m, m->dom_order[j - 1], t) > 0;
		    j--)
			m->dom_order[j] = m->dom_order[j - 1];
		m->dom_order[j] = t;
	}
	for (i = 0; i < n; i++)
		m->dom_rank[m->dom_order[i]] = (uint32_t)i;
	return 0;
}

/* claim_word - strsort_word_fn over the claims' addresses */
static uint32_t
claim_word(void *ctx, uint32_t idx, size_t at)
{
	const struct model *m = ctx;

	return strsort_word(arena_str(&m->text, m->claims[idx].addr), at);
}

/* id_cmp - mailboxes by id text */
static int
id_cmp(const struct model *m, const struct mbox *a, const struct mbox *b)
{
	char ta[MODEL_ID_MAX], tb[MODEL_ID_MAX];

	if (a->idkind == b->idkind &&
	    (a->idkind == ID_UUID || a->idkind == ID_HEX16))
		return memcmp(a->id.bin, b->id.bin, 16);
	return strcmp(model_id_of(m, a, ta), model_id_of(m, b, tb));
}

/* rival_cmp - claims of one address by id, then DN, then the order
 * they came in */
static int
rival_cmp(const struct model *m, uint32_t a, uint32_t b)
{
	const struct claim *ca = &m->claims[a], *cb = &m->claims[b];
	const struct mbox *ma = &m->mboxes[ca->mbox], *mb = &m->mboxes[cb->mbox];
	int c;

	if (ca->mbox != cb->mbox) {
		if ((c = id_cmp(m, ma, mb)) != 0)
			return c;
		if ((c = strcmp(arena_str(&m->text, ma->dn),
		    arena_str(&m->text, mb->dn))) != 0)
			return c;
		return ca->mbox < cb->mbox ? -1 : 1;
	}
	return a < b ? -1 : a > b;
}

/* add_group - the claims v[0..n) of slot contest it: kept sorted by id */
static int
add_group(struct model *m, uint32_t slot, const uint32_t *v, size_t n)
{
	struct group *g;
	uint32_t *r, t;
	size_t i, j;

	if (vec_grow((void **)&m->groups, &m->capgroups, m->ngroups,
	    sizeof *m->groups) < 0 ||
	    vec_reserve((void **)&m->rivals, &m->caprivals, m->nrivals + n,
	    sizeof *m->rivals) < 0)
		return ERR_NOMEM;
	r = m->rivals + m->nrivals;
	memcpy(r, v, n * sizeof *r);
	for (i = 1; i < n; i++) {
		t = r[i];
		for (j = i; j > 0 && rival_cmp(m, r[j - 1], t) > 0; j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
	g = &m->groups[m->ngroups++];
	g->slot = slot;
	g->first = (uint32_t)m->nrivals;
	g->n = (uint32_t)n;
	m->nrivals += n;
	return 0;
}

/* model_slot_eq - hmap equality: the address of slot val is key */
int
model_slot_eq(uint32_t val, const void *key, void *ctx)
{
	const struct model *m = ctx;
	const struct model_addr_key *k = key;
	const char *a = arena_str(&m->text, m->claims[m->view[val]].addr);

	return strncmp(a, k->s, k->len) == 0 && a[k->len] == '\0';
}

/* make_slots - the valid claims sorted by address, one slot per
 * address, contested ones grouped, each slot found by its hash */
static int
make_slots(struct model *m)
{
	uint32_t *v = NULL;
	size_t i, j, n = 0;
	const char *a;
	int rc;

	for (i = 0; i < m->nclaims; i++)
		n += (m->claims[i].flags & C_VALID) != 0;
	v = malloc((n ? n : 1) * sizeof *v);
	m->view = malloc((n ? n : 1) * sizeof *m->view);
	if (v == NULL || m->view == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	for (i = 0, j = 0; i < m->nclaims; i++)
		if (m->claims[i].flags & C_VALID)
			v[j++] = (uint32_t)i;
	if ((rc = strsort(v, n, claim_word, m)) < 0)
		goto cleanup;
	for (i = 0; i < n; i = j) {
		a = arena_str(&m->text, m->claims[v[i]].addr);
		for (j = i + 1; j < n && strcmp(a, arena_str(&m->text,
		    m->claims[v[j]].addr)) == 0; j++)
			;
		if (j - i > 1 && (rc = add_group(m, (uint32_t)m->nview,
		    v + i, j - i)) < 0)
			goto cleanup;
		m->view[m->nview++] = j - i > 1 ?
		    m->rivals[m->groups[m->ngroups - 1].first] : v[i];
	}
	if ((rc = hmap_reserve(&m->index, m->nview)) < 0)
		goto cleanup;
	for (i = 0; i < m->nview; i++) {
		a = arena_str(&m->text, m->claims[m->view[i]].addr);
		if ((rc = hmap_put(&m->index, hash64(a, strlen(a)),
		    (uint32_t)i)) < 0)
			goto cleanup;
	}
cleanup:
	free(v);
	return rc;
}

/* model_build - routes decided, values checked, addresses sorted */
int
model_build(struct model *m, struct diag *d)
{
	int rc;

	if (m->built)
		return ERR_INVAL;
	model_sort_names(m);
	if ((rc = check_mailboxes(m, d)) < 0)
		return rc;
	model_drop_pending(m);
	free(m->excess);
	m->excess = NULL;
	m->nexcess = m->capexcess = 0;
	if ((rc = sort_domains(m)) < 0 || (rc = make_slots(m)) < 0)
		return rc;
	m->built = 1;
	return 0;
}

/* --- resolving ---------------------------------------------------- */

/* hex_of - whether hex is the lowercase hex of the bytes of s */
static int
hex_of(const char *hex, const char *s)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++, hex += 2)
		if (hex[0] != digits[*p >> 4] || hex[1] != digits[*p & 15])
			return 0;
	return *hex == '\0';
}

/* same_owner - id is the owner the listing names as prev: the same
 * text, or (pass 1) the same bytes in the other encoding, as listings
 * written before each id attribute had one encoding hold them: a
 * binary id whose bytes were printable as text, a text id that was not
 * printable ASCII in hex */
static int
same_owner(const char *id, const char *prev, int pass)
{
	if (pass == 0)
		return strcmp(id, prev) == 0;
	return hex_of(id, prev) || hex_of(prev, id);
}

/* previous_owner - the claim among r[0..n) of the owner the listing
 * names (prev, may be NULL), an exact id first; else 0, the smallest */
static size_t
previous_owner(const struct model *m, const uint32_t *r, size_t n,
    const char *prev)
{
	char buf[MODEL_ID_MAX];
	size_t k;
	int pass;

	for (pass = 0; prev != NULL && pass < 2; pass++)
		for (k = 0; k < n; k++)
			if (same_owner(model_id_of(m,
			    &m->mboxes[m->claims[r[k]].mbox], buf), prev, pass))
				return k;
	return 0;
}

/* resolve_group - the owner of one contested address */
static void
resolve_group(struct model *m, const struct group *g, model_owner_fn owner,
    void *ctx, struct diag *d)
{
	const uint32_t *r = m->rivals + g->first;
	const char *addr = arena_str(&m->text, m->claims[r[0]].addr);
	const char *prev = owner ? owner(addr, ctx) : NULL;
	size_t win = previous_owner(m, r, g->n, prev), k;
	const struct claim *w = &m->claims[r[win]];

	for (k = 0; k < g->n; k++) {
		struct claim *c = &m->claims[r[k]];

		if (k == win)
			continue;
		c->flags |= C_LOST;
		/* The same mailbox listing it twice: no rival. */
		if (c->mbox == w->mbox)
			continue;
		diag_add(d, DIAG_WARNING, DIAG_CONFLICT,
		    arena_str(&m->text, m->mboxes[c->mbox].dn),
		    "address %s is already routed for %s; the existing route "
		    "is kept", addr, arena_str(&m->text, m->mboxes[w->mbox].dn));
	}
	m->view[g->slot] = r[win];
}

/* final_route - route and nexthop of a claim that routes; *fallback
 * set when an external address falls back to internal for want of a
 * relay */
static void
final_route(const struct model *m, const struct claim *c, int *route,
    uint32_t *hop, int *fallback)
{
	const struct mbox *mb = &m->mboxes[c->mbox];
	const struct dom *dom = &m->doms[c->dom];

	*route = c->route;
	*hop = 0;
	*fallback = 0;
	if (*route == ROUTE_EXTERNAL) {
		*hop = mb->nexthop && mb->route == ROUTE_EXTERNAL ?
		    mb->nexthop : dom->relay;
		if (*hop == 0) {
			/* BlueMind does the same: no relay, no external. */
			*route = ROUTE_INTERNAL;
			*fallback = 1;
		}
	}
	if (*route == ROUTE_INTERNAL)
		*hop = mb->nexthop && mb->route == ROUTE_INTERNAL ?
		    mb->nexthop : dom->local;
}

/* model_resolve - one owner per address */
int
model_resolve(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d)
{
	size_t i, k, n;
	uint32_t c;
	int route, fallback;
	uint32_t hop;

	if (!m->built)
		return ERR_INVAL;
	for (i = 0; i < m->nrivals; i++)
		m->claims[m->rivals[i]].flags &= (uint8_t)~C_LOST;
	for (i = 0; i < m->ngroups; i++)
		resolve_group(m, &m->groups[i], owner, ctx, d);
	for (i = 0; i < m->nmboxes; i++)
		m->mboxes[i].def = NONE;
	/* A mailbox's default address: its first claim that routes. */
	m->nkept = 0;
	for (k = 0; k < m->nview; k++) {
		struct mbox *mb = &m->mboxes[m->claims[m->view[k]].mbox];

		c = m->view[k];
		if (mb->def == NONE)
			m->nkept++;
		if (mb->def == NONE || c < m->view[mb->def])
			mb->def = (uint32_t)k;
	}
	if (m->final == NULL &&
	    (m->final = malloc((m->nview ? m->nview : 1) *
	    sizeof *m->final)) == NULL)
		return ERR_NOMEM;
	for (k = 0; k < m->nview; k++) {
		const struct claim *cl = &m->claims[m->view[k]];
		struct fin *f = &m->final[k];

		final_route(m, cl, &route, &hop, &fallback);
		if (fallback)
			diag_add(d, DIAG_WARNING, DIAG_REJECTED,
			    arena_str(&m->text, m->mboxes[cl->mbox].dn),
			    "address %s is routed external but domain %s has "
			    "no split relay; delivered internally",
			    arena_str(&m->text, cl->addr),
			    m->doms[cl->dom].spec.name);
		f->hop = hop;
		n = strlen(arena_str(&m->text, cl->addr));
		f->len = n <= UINT8_MAX ? (uint8_t)n : 0;
		f->route = (uint8_t)route;
		f->dom = (uint16_t)m->dom_rank[cl->dom];
		f->alias = NONE;
	}
	/* With every final route known, the aliases: a default address
	 * is an earlier slot or a later one. */
	for (k = 0; k < m->nview; k++) {
		uint32_t def = m->mboxes[m->claims[m->view[k]].mbox].def;
		struct fin *f = &m->final[k];

		if (def != NONE && def != k && m->final[def].route ==
		    f->route && m->final[def].hop == f->hop)
			f->alias = def;
	}
	m->resolved = 1;
	return 0;
}

/* model_finish - build and resolve */
int
model_finish(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d)
{
	int rc = model_build(m, d);

	return rc ? rc : model_resolve(m, owner, ctx, d);
}

/* --- reading ------------------------------------------------------ */
