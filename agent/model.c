/*
 * model - the routing model: domains, mailboxes, addresses
 *
 * SYNOPSIS
 *	model_new(), model_add_domain()..., model_add_mailbox()...,
 *	model_finish(), then the read-only accessors.
 *
 * DESCRIPTION
 *	Domains come first: they decide which addresses are managed.
 *	Each mailbox then contributes one claim per address. model_finish()
 *	sorts the claims by address, so every address with two claimants
 *	is found next to its rivals, resolves each conflict (the previous
 *	owner keeps the address; else the smallest id, so the result does
 *	not depend on the order entries arrived in), and resolves each
 *	surviving address to its route and nexthop. The previous owner is
 *	found by its id as the listing holds it, or by the same bytes in
 *	the other encoding (hex or text): listings written before each id
 *	attribute had one encoding hold some ids in the other.
 *
 * DIAGNOSTICS
 *	Bad values are reported in the diag with the entry's DN
 *	(DIAG_REJECTED) and skipped; conflicts are reported as
 *	DIAG_CONFLICT. The addresses of a mailbox beyond the limit of
 *	model_set_max_addresses are refused in one item counted once per
 *	address. Only allocation failure stops the model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "vec.h"
#include "errors.h"
#include "model.h"
#include "validate.h"

struct dom {
	struct domain_spec spec;        /* owned copy */
	struct model_domain view;
};

struct name_index {
	const char *name;               /* borrowed from a dom */
	size_t dom;
};

struct mbox {
	char *id;
	char *dn;
	char *nexthop;                  /* validated override, or NULL */
	enum route_kind route;
	size_t naddresses;              /* addresses kept after finish */
};

struct claim {
	char *address;
	size_t mbox;
	size_t order;                   /* position in the mailbox's list */
	size_t dom;
	enum route_kind route;          /* of this address */
	int lost;                       /* conflict lost */
};

struct model {
	char **transports;
	size_t ntransports;
	struct dom *doms;
	size_t ndoms, capdoms;
	struct name_index *names;       /* every name and alias, sorted */
	size_t nnames, capnames;
	int names_sorted;
	struct mbox *mboxes;
	size_t nmboxes, capmboxes;
	struct claim *claims;
	size_t nclaims, capclaims;
	struct model_address *addrs;    /* final, sorted by address */
	size_t naddrs;
	size_t nkept;                   /* mailboxes with an address */
	size_t *dom_order;              /* after finish: doms by name */
	size_t max_addresses;           /* per mailbox; 0: no limit */
	int mailboxes_started;          /* no domain may be added now */
	int finished;
};

/* strdup_or_null - copy s, or NULL for NULL; *fail set on ENOMEM */
static char *
strdup_or_null(const char *s, int *fail)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		*fail = 1;
	return c;
}

/* domain_spec_clear - release a domain spec's strings */
void
domain_spec_clear(struct domain_spec *d)
{
	size_t i;

	free(d->name);
	for (i = 0; i < d->naliases; i++)
		free(d->aliases[i]);
	free(d->aliases);
	free(d->relay);
	free(d->local);
	free(d->origin);
	memset(d, 0, sizeof *d);
}

/* mailbox_spec_clear - release a mailbox spec's strings */
void
mailbox_spec_clear(struct mailbox_spec *m)
{
	size_t i;

	free(m->id);
	free(m->dn);
	for (i = 0; i < m->naddresses; i++)
		free(m->addresses[i]);
	free(m->addresses);
	free(m->nexthop);
	free(m->external);
	memset(m, 0, sizeof *m);
}

/* model_new - empty model */
int
model_new(struct model **out, const char *const *transports,
    size_t ntransports)
{
	struct model *m;
	size_t i;

	*out = NULL;
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return ERR_NOMEM;
	m->transports = calloc(ntransports ? ntransports : 1,
	    sizeof *m->transports);
	if (m->transports == NULL)
		goto nomem;
	for (i = 0; i < ntransports; i++) {
		m->transports[i] = strdup(transports[i]);
		if (m->transports[i] == NULL)
			goto nomem;
		m->ntransports++;
	}
	*out = m;
	return 0;
nomem:
	model_free(m);
	return ERR_NOMEM;
}

/* model_set_max_addresses - addresses one mailbox may route */
void
model_set_max_addresses(struct model *m, size_t max)
{
	m->max_addresses = max;
}

/* model_free - release everything */
void
model_free(struct model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntransports; i++)
		free(m->transports[i]);
	free(m->transports);
	for (i = 0; i < m->ndoms; i++)
		domain_spec_clear(&m->doms[i].spec);
	free(m->doms);
	free(m->dom_order);
	free(m->names);
	for (i = 0; i < m->nmboxes; i++) {
		free(m->mboxes[i].id);
		free(m->mboxes[i].dn);
		free(m->mboxes[i].nexthop);
	}
	free(m->mboxes);
	for (i = 0; i < m->nclaims; i++)
		free(m->claims[i].address);
	free(m->claims);
	free(m->addrs);
	free(m);
}

/* name_cmp - order of the domain name index */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct name_index *)a)->name,
	    ((const struct name_index *)b)->name);
}

/* sort_names - sort the name index once domains are complete */
static void
sort_names(struct model *m)
{
	if (!m->names_sorted) {
		if (m->nnames)
			qsort(m->names, m->nnames, sizeof *m->names, name_cmp);
		m->names_sorted = 1;
	}
}

/* find_name - index of the domain managing name, or -1 */
static long
find_name(const struct model *m, const char *name)
{
	size_t lo = 0, hi = m->nnames, mid;
	int c;

	if (!m->names_sorted) {
		for (lo = 0; lo < m->nnames; lo++)
			if (strcmp(m->names[lo].name, name) == 0)
				return (long)m->names[lo].dom;
		return -1;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(name, m->names[mid].name);
		if (c == 0)
			return (long)m->names[mid].dom;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* check_nexthop - 0 when nexthop is acceptable; reports otherwise */
static int
check_nexthop(const struct model *m, const char *nexthop, const char *what,
    const char *where, struct diag *d)
{
	const char *why = NULL;

	if (validate_nexthop(nexthop, (const char *const *)m->transports,
	    m->ntransports, &why) == 0)
		return 0;
	diag_add(d, DIAG_WARNING, DIAG_REJECTED, where, "%s \"%s\" refused: %s",
	    what, nexthop, why ? why : "invalid");
	return ERR_DATA;
}

/* add_name - index one domain name; reports a name managed twice */
static int
add_name(struct model *m, const char *name, size_t dom, const char *where,
    struct diag *d)
{
	const char *why = NULL;

	if (validate_domain(name, strlen(name), &why) < 0) {
		diag_add(d, DIAG_ERROR, DIAG_REJECTED, where,
		    "domain \"%s\" refused: %s", name, why ? why : "invalid");
		return ERR_DATA;
	}
	if (find_name(m, name) >= 0) {
		diag_add(d, DIAG_ERROR, DIAG_CONFLICT, where,
		    "domain \"%s\" is already managed; this definition is "
		    "ignored", name);
		return ERR_DATA;
	}
	if (vec_grow((void **)&m->names, &m->capnames, m->nnames,
	    sizeof *m->names) < 0)
		return ERR_NOMEM;
	m->names[m->nnames].name = name;
	m->names[m->nnames].dom = dom;
	m->nnames++;
	return 0;
}

/* copy_domain - deep copy of a spec; ERR_NOMEM */
static int
copy_domain(struct domain_spec *dst, const struct domain_spec *src)
{
	int fail = 0;
	size_t i;

	memset(dst, 0, sizeof *dst);
	dst->name = strdup_or_null(src->name, &fail);
	dst->relay = strdup_or_null(src->relay, &fail);
	dst->local = strdup_or_null(src->local, &fail);
	dst->origin = strdup_or_null(src->origin ? src->origin : "", &fail);
	dst->forward_unknown = src->forward_unknown;
	if (src->naliases) {
		dst->aliases = calloc(src->naliases, sizeof *dst->aliases);
		if (dst->aliases == NULL)
			fail = 1;
		for (i = 0; dst->aliases && i < src->naliases; i++) {
			dst->aliases[i] = strdup_or_null(src->aliases[i], &fail);
			dst->naliases++;
		}
	}
	if (fail) {
		domain_spec_clear(dst);
		return ERR_NOMEM;
	}
	return 0;
}

/* str_cmp - qsort comparison of C strings */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* set_view - the renderers' view of a domain; its strings live on the
 * heap, so the view stays valid when the domain array moves */
static void
set_view(struct dom *dm)
{
	dm->view.name = dm->spec.name;
	dm->view.aliases = (const char *const *)dm->spec.aliases;
	dm->view.naliases = dm->spec.naliases;
	dm->view.relay = dm->spec.relay;
	dm->view.forward_unknown = dm->spec.forward_unknown;
	dm->view.local = dm->spec.local;
	dm->view.origin = dm->spec.origin;
}

/* model_add_domain - validate and copy a domain */
int
model_add_domain(struct model *m, const struct domain_spec *spec,
    struct diag *d)
{
	struct domain_spec copy;
	const char *where = spec->origin ? spec->origin : "";
	size_t dom = m->ndoms, names_before = m->nnames, i;
	int rc;

	if (m->mailboxes_started || m->finished || spec->name == NULL)
		return ERR_INVAL;
	rc = copy_domain(&copy, spec);
	if (rc < 0)
		return rc;
	if (copy.relay && check_nexthop(m, copy.relay, "split relay", where,
	    d) < 0) {
		free(copy.relay);
		copy.relay = NULL;
	}
	if (copy.local && check_nexthop(m, copy.local, "local nexthop", where,
	    d) < 0) {
		rc = ERR_DATA;
		goto cleanup;
	}
	if (copy.forward_unknown && copy.relay == NULL) {
		diag_add(d, DIAG_WARNING, DIAG_REJECTED, where,
		    "domain %s: forwarding unknown recipients needs a split "
		    "relay; unknown recipients will be rejected", copy.name);
		copy.forward_unknown = 0;
	}
	if (vec_grow((void **)&m->doms, &m->capdoms, m->ndoms,
	    sizeof *m->doms) < 0) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	rc = add_name(m, copy.name, dom, where, d);
	for (i = 0; rc == 0 && i < copy.naliases; i++)
		rc = add_name(m, copy.aliases[i], dom, where, d);
	if (rc < 0) {
		m->nnames = names_before;
		goto cleanup;
	}
	if (copy.naliases)
		qsort(copy.aliases, copy.naliases, sizeof *copy.aliases, str_cmp);
	m->doms[dom].spec = copy;
	set_view(&m->doms[dom]);
	m->ndoms++;
	m->names_sorted = 0;
	return 0;
cleanup:
	domain_spec_clear(&copy);
	return rc;
}

/* add_claim - record one address of a mailbox */
static int
add_claim(struct model *m, const char *address, size_t mbox, size_t order,
    size_t dom, enum route_kind route)
{
	struct claim *c;

	if (vec_grow((void **)&m->claims, &m->capclaims, m->nclaims,
	    sizeof *m->claims) < 0)
		return ERR_NOMEM;
	c = &m->claims[m->nclaims];
	c->address = strdup(address);
	if (c->address == NULL)
		return ERR_NOMEM;
	c->mbox = mbox;
	c->order = order;
	c->dom = dom;
	c->route = route;
	c->lost = 0;
	m->nclaims++;
	return 0;
}

/* model_add_mailbox - validate and copy a mailbox */
int
model_add_mailbox(struct model *m, const struct mailbox_spec *spec,
    struct diag *d)
{
	struct mbox *mb;
	const char *why, *at;
	size_t i, n, first_claim = m->nclaims, kept = 0;
	enum route_kind route;
	long dom;
	int rc = 0, fail = 0;

	if (m->finished || spec->dn == NULL || spec->id == NULL)
		return ERR_INVAL;
	m->mailboxes_started = 1;
	if (spec->route == ROUTE_NONE)
		return 0;
	sort_names(m);
	if (vec_grow((void **)&m->mboxes, &m->capmboxes, m->nmboxes,
	    sizeof *m->mboxes) < 0)
		return ERR_NOMEM;
	mb = &m->mboxes[m->nmboxes];
	memset(mb, 0, sizeof *mb);
	mb->id = strdup_or_null(spec->id, &fail);
	mb->dn = strdup_or_null(spec->dn, &fail);
	mb->route = spec->route;
	if (!fail && spec->nexthop && check_nexthop(m, spec->nexthop,
	    "mailbox nexthop", spec->dn, d) == 0)
		mb->nexthop = strdup_or_null(spec->nexthop, &fail);
	if (fail) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	/* An entry with thousands of addresses is a mistake or an attack:
	 * its first ones (the default first) route, the rest are refused
	 * in one report, not one line each. */
	n = spec->naddresses;
	if (m->max_addresses > 0 && n > m->max_addresses) {
		n = m->max_addresses;
		diag_add_count(d, DIAG_WARNING, DIAG_REJECTED, spec->dn,
		    spec->naddresses - n, "%zu of its %zu addresses refused "
		    "(from \"%s\" on): more than max_addresses_per_entry = "
		    "%zu; the first %zu are routed", spec->naddresses - n,
		    spec->naddresses, spec->addresses[n], n, n);
	}
	for (i = 0; i < n; i++) {
		const char *a = spec->addresses[i];

		why = NULL;
		if (validate_address(a, strlen(a), &why) < 0) {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, spec->dn,
			    "address \"%s\" refused: %s", a,
			    why ? why : "invalid");
			continue;
		}
		at = strchr(a, '@');
		dom = find_name(m, at + 1);
		if (dom < 0) {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, spec->dn,
			    "address \"%s\" refused: %s is not a managed "
			    "domain", a, at + 1);
			continue;
		}
		route = spec->route;
		if (spec->external)
			route = spec->external[i] ? ROUTE_EXTERNAL :
			    ROUTE_INTERNAL;
		rc = add_claim(m, a, m->nmboxes, i, (size_t)dom, route);
		if (rc < 0)
			goto cleanup;
		kept++;
	}
	if (kept == 0) {
		diag_add(d, DIAG_WARNING, DIAG_REJECTED, spec->dn,
		    "mailbox has no usable address; skipped");
		goto cleanup;
	}
	m->nmboxes++;
	return 0;
cleanup:
	while (m->nclaims > first_claim)
		free(m->claims[--m->nclaims].address);
	free(mb->id);
	free(mb->dn);
	free(mb->nexthop);
	return rc;
}

/* claim_cmp_ctx - claims by address, then by mailbox id (deterministic) */
static int
claim_cmp_ctx(const struct model *m, const struct claim *a,
    const struct claim *b)
{
	int c = strcmp(a->address, b->address);

	if (c)
		return c;
	c = strcmp(m->mboxes[a->mbox].id, m->mboxes[b->mbox].id);
	if (c)
		return c;
	c = strcmp(m->mboxes[a->mbox].dn, m->mboxes[b->mbox].dn);
	if (c)
		return c;
	if (a->mbox != b->mbox)
		return a->mbox < b->mbox ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* A qsort without a context argument: the claims carry what the order
 * needs through a pointer set for the duration of the sort. */
struct claim_sort {
	const struct model *m;
	struct claim *c;
};

/* sort_cmp - compare two claim_sort items */
static int
sort_cmp(const void *a, const void *b)
{
	const struct claim_sort *x = a, *y = b;

	return claim_cmp_ctx(x->m, x->c, y->c);
}

/* sort_claims - order claims by address then id */
static int
sort_claims(struct model *m)
{
	struct claim_sort *tmp;
	struct claim *sorted;
	size_t i;

	if (m->nclaims == 0)
		return 0;
	tmp = calloc(m->nclaims, sizeof *tmp);
	sorted = calloc(m->nclaims, sizeof *sorted);
	if (tmp == NULL || sorted == NULL) {
		free(tmp);
		free(sorted);
		return ERR_NOMEM;
	}
	for (i = 0; i < m->nclaims; i++) {
		tmp[i].m = m;
		tmp[i].c = &m->claims[i];
	}
	qsort(tmp, m->nclaims, sizeof *tmp, sort_cmp);
	for (i = 0; i < m->nclaims; i++)
		sorted[i] = *tmp[i].c;
	free(tmp);
	free(m->claims);
	m->claims = sorted;
	m->capclaims = m->nclaims;
	return 0;
}

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

/* previous_owner - the claim among [i, j) of the owner the listing
 * names (prev, may be NULL), an exact id first; else i, the smallest */
static size_t
previous_owner(const struct model *m, size_t i, size_t j, const char *prev)
{
	size_t k;
	int pass;

	for (pass = 0; prev != NULL && pass < 2; pass++)
		for (k = i; k < j; k++)
			if (same_owner(m->mboxes[m->claims[k].mbox].id, prev,
			    pass))
				return k;
	return i;
}

/* resolve_conflicts - one owner per address */
static void
resolve_conflicts(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d)
{
	size_t i = 0, j, k, win;
	const char *prev;

	while (i < m->nclaims) {
		j = i + 1;
		while (j < m->nclaims &&
		    strcmp(m->claims[j].address, m->claims[i].address) == 0)
			j++;
		if (j - i > 1) {
			/* Sorted by id: the first is the smallest. */
			prev = owner ? owner(m->claims[i].address, ctx) : NULL;
			win = previous_owner(m, i, j, prev);
			for (k = i; k < j; k++) {
				if (k == win)
					continue;
				m->claims[k].lost = 1;
				/* The same mailbox listing it twice: no rival. */
				if (m->claims[k].mbox == m->claims[win].mbox)
					continue;
				diag_add(d, DIAG_WARNING, DIAG_CONFLICT,
				    m->mboxes[m->claims[k].mbox].dn,
				    "address %s is already routed for %s; "
				    "the existing route is kept",
				    m->claims[k].address,
				    m->mboxes[m->claims[win].mbox].dn);
			}
		}
		i = j;
	}
}

/* final_route - route and nexthop of one surviving claim */
static void
final_route(const struct model *m, const struct claim *c,
    struct model_address *out, struct diag *d)
{
	const struct mbox *mb = &m->mboxes[c->mbox];
	const struct domain_spec *dom = &m->doms[c->dom].spec;

	out->route = c->route;
	out->nexthop = NULL;
	if (c->route == ROUTE_EXTERNAL) {
		if (mb->nexthop && mb->route == ROUTE_EXTERNAL)
			out->nexthop = mb->nexthop;
		else
			out->nexthop = dom->relay;
		if (out->nexthop == NULL) {
			/* BlueMind does the same: no relay, no external. */
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, mb->dn,
			    "address %s is routed external but domain %s has "
			    "no split relay; delivered internally",
			    c->address, dom->name);
			out->route = ROUTE_INTERNAL;
		}
	}
	if (out->route == ROUTE_INTERNAL) {
		if (mb->nexthop && mb->route == ROUTE_INTERNAL)
			out->nexthop = mb->nexthop;
		else
			out->nexthop = dom->local;
	}
}

/* same_route - whether two addresses are delivered the same way */
static int
same_route(const struct model_address *a, const struct model_address *b)
{
	if (a->route != b->route)
		return 0;
	if (a->nexthop == NULL || b->nexthop == NULL)
		return a->nexthop == b->nexthop;
	return strcmp(a->nexthop, b->nexthop) == 0;
}

/* build_views - the sorted address view and each domain's view */
static int
build_views(struct model *m, struct diag *d)
{
	size_t i, n = 0, *defaults = NULL;
	int rc = 0;

	m->addrs = calloc(m->nclaims ? m->nclaims : 1, sizeof *m->addrs);
	/* The default address of a mailbox: its first surviving claim. */
	defaults = calloc(m->nmboxes ? m->nmboxes : 1, sizeof *defaults);
	if (m->addrs == NULL || defaults == NULL) {
		rc = ERR_NOMEM;
		goto cleanup;
	}
	for (i = 0; i < m->nmboxes; i++)
		defaults[i] = SIZE_MAX;
	for (i = 0; i < m->nclaims; i++) {
		struct claim *c = &m->claims[i];
		size_t *best = &defaults[c->mbox];

		if (c->lost)
			continue;
		if (*best == SIZE_MAX || c->order < m->claims[*best].order)
			*best = i;
	}
	/* Claims are sorted, so the view is too; defaults index claims,
	 * which map one to one onto view slots built in the same pass. */
	for (i = 0; i < m->nclaims; i++) {
		struct claim *c = &m->claims[i];
		struct model_address *a = &m->addrs[n];

		if (c->lost)
			continue;
		a->address = c->address;
		a->domain = m->doms[c->dom].spec.name;
		a->id = m->mboxes[c->mbox].id;
		a->dn = m->mboxes[c->mbox].dn;
		a->alias_of = NULL;
		final_route(m, c, a, d);
		c->order = n;   /* from now on: the slot in the view */
		n++;
	}
	m->naddrs = n;
	m->nkept = 0;
	for (i = 0; i < m->nmboxes; i++) {
		if (defaults[i] != SIZE_MAX) {
			m->nkept++;
			defaults[i] = m->claims[defaults[i]].order;
		}
	}
	for (i = 0; i < m->nclaims; i++) {
		struct claim *c = &m->claims[i];
		const struct model_address *def;

		if (c->lost)
			continue;
		def = &m->addrs[defaults[c->mbox]];
		if (def != &m->addrs[c->order] && same_route(def,
		    &m->addrs[c->order]))
			m->addrs[c->order].alias_of = def->address;
	}
cleanup:
	free(defaults);
	return rc;
}

/* A qsort without a context argument: sort pointers to the views. */
static int
view_cmp(const void *a, const void *b)
{
	return strcmp((*(struct dom *const *)a)->spec.name,
	    (*(struct dom *const *)b)->spec.name);
}

/* sort_domains - the order model_domain_at gives once finished */
static int
sort_domains(struct model *m)
{
	struct dom **tmp;
	size_t i;

	m->dom_order = calloc(m->ndoms ? m->ndoms : 1, sizeof *m->dom_order);
	tmp = calloc(m->ndoms ? m->ndoms : 1, sizeof *tmp);
	if (m->dom_order == NULL || tmp == NULL) {
		free(tmp);
		return ERR_NOMEM;
	}
	for (i = 0; i < m->ndoms; i++)
		tmp[i] = &m->doms[i];
	if (m->ndoms)
		qsort(tmp, m->ndoms, sizeof *tmp, view_cmp);
	for (i = 0; i < m->ndoms; i++)
		m->dom_order[i] = (size_t)(tmp[i] - m->doms);
	free(tmp);
	return 0;
}

/* model_finish - resolve conflicts and build the views */
int
model_finish(struct model *m, model_owner_fn owner, void *ctx,
    struct diag *d)
{
	int rc;

	if (m->finished)
		return ERR_INVAL;
	sort_names(m);
	rc = sort_claims(m);
	if (rc < 0)
		return rc;
	resolve_conflicts(m, owner, ctx, d);
	rc = sort_domains(m);
	rc = rc ? rc : build_views(m, d);
	if (rc < 0)
		return rc;
	m->finished = 1;
	return 0;
}

/* model_domain_count - managed domains */
size_t
model_domain_count(const struct model *m)
{
	return m->ndoms;
}

/* model_domain_at - i-th domain in the order they were added */
const struct model_domain *
model_domain_at(const struct model *m, size_t i)
{
	if (i >= m->ndoms)
		return NULL;
	return &m->doms[m->dom_order ? m->dom_order[i] : i].view;
}

/* model_domain_find - the domain managing name */
const struct model_domain *
model_domain_find(const struct model *m, const char *name)
{
	long i = find_name(m, name);

	return i < 0 ? NULL : &m->doms[i].view;
}

/* model_transports - the allowed transports */
const char *const *
model_transports(const struct model *m, size_t *n)
{
	*n = m->ntransports;
	return (const char *const *)m->transports;
}

/* model_address_count - routed addresses */
size_t
model_address_count(const struct model *m)
{
	return m->naddrs;
}

/* model_address_at - i-th routed address in address order */
const struct model_address *
model_address_at(const struct model *m, size_t i)
{
	return i < m->naddrs ? &m->addrs[i] : NULL;
}

/* model_mailbox_count - mailboxes that kept an address */
size_t
model_mailbox_count(const struct model *m)
{
	return m->nkept;
}

/* model_each_lost - the claims a conflict took away */
int
model_each_lost(const struct model *m,
    int (*fn)(const char *address, const char *id, void *ctx), void *ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < m->nclaims; i++) {
		if (!m->claims[i].lost)
			continue;
		rc = fn(m->claims[i].address, m->mboxes[m->claims[i].mbox].id,
		    ctx);
		if (rc < 0)
			return rc;
	}
	return 0;
}
