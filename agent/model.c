/*
 * model - the routing model: domains, mailboxes, addresses
 *
 * SYNOPSIS
 *	model_new(), model_add_domain()... and model_add()... in any
 *	order, model_build(), model_resolve() (again for another previous
 *	commit), then the read-only accessors.
 *
 * DESCRIPTION
 *	A mailbox is a record of a few dozen bytes (its id as 16 bytes
 *	when it is a UUID or 16 bytes in hex, else as text in the arena;
 *	its DN in the arena; its nexthop interned) and one claim per
 *	address (the address in the arena, the mailbox, and, once built,
 *	the domain and route). Nothing is checked against the domains
 *	before the build: entries come in any order.
 *
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
 *	claim that routes; final routes and nexthops are computed when
 *	asked, from the claim, its mailbox and its domain.
 *
 * DIAGNOSTICS
 *	Bad values are reported in the diag with the entry's DN
 *	(DIAG_REJECTED) and skipped; conflicts are reported as
 *	DIAG_CONFLICT. The addresses of a mailbox beyond the limit of
 *	model_set_max_addresses are refused in one item counted once per
 *	address. Only allocation failure (and the decider's errors) stops
 *	the model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "errors.h"
#include "hash.h"
#include "hmap.h"
#include "model.h"
#include "strsort.h"
#include "validate.h"
#include "vec.h"

#define NONE MODEL_NONE
#define MAX_DOMAINS 65535       /* a claim names its domain in 16 bits */

/* How a mailbox's id is kept. */
enum { ID_TEXT, ID_DN, ID_UUID, ID_HEX16 };

/* Claim flags. */
#define C_EXT_GIVEN 1           /* per-address flags were given */
#define C_EXT 2                 /* ... and this one is external */
#define C_VALID 4               /* built: a routed address */
#define C_LOST 8                /* resolved: lost a conflict */

struct claim {
	uint32_t addr;          /* in m->text */
	uint32_t mbox;
	uint16_t dom;           /* built: its domain, in the order added */
	uint8_t route;          /* built: the route of this address */
	uint8_t flags;
};

struct mbox {
	union {
		unsigned char bin[16];
		uint32_t text;          /* ID_TEXT: in m->text */
	} id;
	uint32_t dn;            /* in m->text */
	uint32_t nexthop;       /* in m->hops: the checked override, 0 */
	uint32_t first;         /* its claims */
	uint32_t nclaims;
	uint32_t def;           /* resolved: the slot of its default
	                           address, NONE */
	uint32_t pend;          /* a pending route's record, NONE */
	uint8_t idkind;
	uint8_t route;          /* enum route_kind, or pending */
};

/* What a pending route is decided from, until the build. */
struct pending {
	uint64_t leaves;
	uint64_t dnkey;
	uint32_t keys;          /* memberOf, then uid hashes in m->keys */
	uint32_t nmemberof, nuids;
	uint32_t notes, nnotes; /* in m->notes */
	uint32_t nexthop;       /* in m->hops: the value, unchecked; 0 */
};

struct note_rec {
	unsigned when;
	uint8_t level, kind;
	uint32_t what;          /* in m->text */
};

/* A mailbox with more addresses than max_addresses. */
struct excess {
	uint32_t mbox;
	uint32_t total;
	uint32_t from;          /* in m->text: the first one refused */
};

struct dom {
	struct domain_spec spec;        /* owned copy */
	struct model_domain view;
	uint32_t relay, local;          /* in m->hops; 0: none */
};

struct name_index {
	const char *name;               /* borrowed from a dom */
	size_t dom;
};

/* A slot's final route, computed once resolved: renderers read every
 * slot a few times, in order. */
struct fin {
	uint32_t hop;           /* in m->hops; 0: default transport */
	uint32_t alias;         /* the slot of the default address it shares
	                           its route with, NONE */
	uint16_t dom;           /* model_domain_at index */
	uint8_t route;
};

/* A contested address: its slot and its claims, sorted by id. */
struct group {
	uint32_t slot;
	uint32_t first;         /* in m->rivals */
	uint32_t n;
};

struct model {
	char **transports;
	size_t ntransports;
	struct dom *doms;
	size_t ndoms, capdoms;
	struct name_index *names;       /* every name and alias */
	size_t nnames, capnames;
	int names_sorted;
	uint32_t *dom_order;            /* built: by name -> as added */
	uint32_t *dom_rank;             /* built: as added -> by name */
	struct arena text;              /* addresses, DNs, ids, notes */
	struct strtab hops;             /* nexthops */
	struct mbox *mboxes;
	size_t nmboxes, capmboxes;
	struct claim *claims;
	size_t nclaims, capclaims;
	struct pending *pend;
	size_t npend, cappend;
	uint64_t *keys;
	size_t nkeys, capkeys;
	struct note_rec *notes;
	size_t nnotes, capnotes;
	struct excess *excess;          /* by mailbox */
	size_t nexcess, capexcess;
	uint32_t *view;                 /* built: per slot, a claim of its
	                                   address; resolved: the owner's */
	size_t nview;
	struct fin *final;              /* resolved: per slot */
	struct hmap index;              /* hash of an address -> its slot */
	struct group *groups;           /* by slot */
	size_t ngroups, capgroups;
	uint32_t *rivals;
	size_t nrivals, caprivals;
	size_t nkept;                   /* mailboxes with an address */
	size_t max_addresses;           /* per mailbox; 0: no limit */
	struct model_decider dec;
	int has_dec;
	int built, resolved;
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
	hmap_init(&m->index);
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

/* model_set_decider - how pending routes are decided */
void
model_set_decider(struct model *m, const struct model_decider *dec)
{
	m->dec = *dec;
	m->has_dec = 1;
}

/* drop_pending - the records pending routes were decided from */
static void
drop_pending(struct model *m)
{
	free(m->pend);
	free(m->keys);
	free(m->notes);
	m->pend = NULL;
	m->keys = NULL;
	m->notes = NULL;
	m->npend = m->cappend = m->nkeys = m->capkeys = 0;
	m->nnotes = m->capnotes = 0;
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
	free(m->names);
	free(m->dom_order);
	free(m->dom_rank);
	arena_free(&m->text);
	strtab_free(&m->hops);
	free(m->mboxes);
	free(m->claims);
	drop_pending(m);
	free(m->excess);
	free(m->view);
	free(m->final);
	hmap_free(&m->index);
	free(m->groups);
	free(m->rivals);
	free(m);
}

/* --- domains ------------------------------------------------------ */

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

/* find_name_len - index of the domain managing the len bytes at name,
 * or -1 */
static long
find_name_len(const struct model *m, const char *name, size_t len)
{
	size_t lo = 0, hi = m->nnames, mid;
	const char *s;
	int c;

	if (!m->names_sorted) {
		for (lo = 0; lo < m->nnames; lo++)
			if (strncmp(m->names[lo].name, name, len) == 0 &&
			    m->names[lo].name[len] == '\0')
				return (long)m->names[lo].dom;
		return -1;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		s = m->names[mid].name;
		c = strncmp(name, s, len);
		if (c == 0 && s[len] != '\0')
			c = -1;
		if (c == 0)
			return (long)m->names[mid].dom;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* find_name - index of the domain managing name, or -1 */
static long
find_name(const struct model *m, const char *name)
{
	return find_name_len(m, name, strlen(name));
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
	dm->view.relay_hop = dm->relay;
	dm->view.local_hop = dm->local;
}

/* intern - the strtab reference of s (NULL: 0) */
static int
intern(struct model *m, const char *s, uint32_t *ref)
{
	*ref = 0;
	return s ? strtab_intern(&m->hops, s, strlen(s), ref) : 0;
}

/* model_add_domain - validate and copy a domain */
int
model_add_domain(struct model *m, const struct domain_spec *spec,
    struct diag *d)
{
	struct domain_spec copy;
	const char *where = spec->origin ? spec->origin : "";
	size_t dom = m->ndoms, names_before = m->nnames, i;
	uint32_t relay = 0, local = 0;
	int rc;

	if (m->built || spec->name == NULL)
		return ERR_INVAL;
	if (m->ndoms == MAX_DOMAINS) {
		diag_add(d, DIAG_ERROR, DIAG_REJECTED, where, "domain \"%s\" "
		    "refused: more than %d domains", spec->name, MAX_DOMAINS);
		return ERR_DATA;
	}
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
	    sizeof *m->doms) < 0 || intern(m, copy.relay, &relay) < 0 ||
	    intern(m, copy.local, &local) < 0) {
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
	m->doms[dom].relay = relay;
	m->doms[dom].local = local;
	set_view(&m->doms[dom]);
	m->ndoms++;
	m->names_sorted = 0;
	return 0;
cleanup:
	domain_spec_clear(&copy);
	return rc;
}

/* --- mailboxes, added ------------------------------------------- */

/* hexval - a lowercase hex digit's value, else -1 */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* hex_bytes - n bytes from the 2n lowercase hex digits at s; 0 when
 * they are not that */
static int
hex_bytes(const char *s, size_t n, unsigned char *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = hexval((unsigned char)s[2 * i]);
		lo = hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

/* id_kind - how the id text of len bytes is kept: its 16 bytes when it
 * is a UUID in lowercase or 32 lowercase hex digits (text order and
 * byte order agree then), else as text */
static int
id_kind(const char *id, size_t len, unsigned char bin[16])
{
	if (len == 32 && memchr(id, '\0', len) == NULL &&
	    hex_bytes(id, 16, bin))
		return ID_HEX16;
	if (len == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' &&
	    id[23] == '-' && hex_bytes(id, 4, bin) &&
	    hex_bytes(id + 9, 2, bin + 4) && hex_bytes(id + 14, 2, bin + 6) &&
	    hex_bytes(id + 19, 2, bin + 8) && hex_bytes(id + 24, 6, bin + 10))
		return ID_UUID;
	return ID_TEXT;
}

/* put_hex - n bytes in lowercase hex at out */
static char *
put_hex(char *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = digits[b[i] >> 4];
		*out++ = digits[b[i] & 15];
	}
	return out;
}

/* id_text - the id of mailbox mb: borrowed, or written to buf */
static const char *
id_text(const struct model *m, const struct mbox *mb, char buf[MODEL_ID_MAX])
{
	char *p = buf;

	switch (mb->idkind) {
	case ID_TEXT:
		return arena_str(&m->text, mb->id.text);
	case ID_DN:
		return arena_str(&m->text, mb->dn);
	case ID_HEX16:
		*put_hex(buf, mb->id.bin, 16) = '\0';
		return buf;
	}
	p = put_hex(p, mb->id.bin, 4);
	*p++ = '-';
	p = put_hex(p, mb->id.bin + 4, 2);
	*p++ = '-';
	p = put_hex(p, mb->id.bin + 6, 2);
	*p++ = '-';
	p = put_hex(p, mb->id.bin + 8, 2);
	*p++ = '-';
	*put_hex(p, mb->id.bin + 10, 6) = '\0';
	return buf;
}

/* add_pending - the record a pending route is decided from */
static int
add_pending(struct model *m, const struct model_mailbox *in, uint32_t *out)
{
	const struct groups_keys *k = in->keys;
	struct pending *p;
	size_t i, nk = k ? k->nmemberof + k->nuids : 0;
	int rc;

	if (vec_grow((void **)&m->pend, &m->cappend, m->npend,
	    sizeof *m->pend) < 0 ||
	    vec_reserve((void **)&m->keys, &m->capkeys, m->nkeys + nk,
	    sizeof *m->keys) < 0 ||
	    vec_reserve((void **)&m->notes, &m->capnotes,
	    m->nnotes + in->nnotes, sizeof *m->notes) < 0)
		return ERR_NOMEM;
	p = &m->pend[m->npend];
	memset(p, 0, sizeof *p);
	p->leaves = in->leaves;
	p->keys = (uint32_t)m->nkeys;
	p->notes = (uint32_t)m->nnotes;
	if (k) {
		p->dnkey = k->dn;
		p->nmemberof = (uint32_t)k->nmemberof;
		p->nuids = (uint32_t)k->nuids;
		for (i = 0; i < k->nmemberof; i++)
			m->keys[m->nkeys + i] = k->memberof[i];
		for (i = 0; i < k->nuids; i++)
			m->keys[m->nkeys + k->nmemberof + i] = k->uids[i];
	}
	for (i = 0; i < in->nnotes; i++) {
		struct note_rec *r = &m->notes[m->nnotes + i];
		const struct model_note *n = &in->notes[i];

		r->when = n->when;
		r->level = (uint8_t)n->level;
		r->kind = (uint8_t)n->kind;
		if ((rc = arena_add(&m->text, n->what, strlen(n->what),
		    &r->what)) < 0)
			return rc;
	}
	if (in->nexthop && (rc = strtab_intern(&m->hops, in->nexthop,
	    strlen(in->nexthop), &p->nexthop)) < 0)
		return rc;
	p->nnotes = (uint32_t)in->nnotes;
	m->nkeys += nk;
	m->nnotes += in->nnotes;
	*out = (uint32_t)m->npend++;
	return 0;
}

/* add_claims - one claim per address considered; the first refused
 * beyond the limit is kept for its report */
static int
add_claims(struct model *m, const struct model_mailbox *in, uint32_t mbox)
{
	struct claim *c;
	struct excess *x;
	size_t i, n = in->naddresses;
	int rc;

	if (m->max_addresses > 0 && n > m->max_addresses) {
		n = m->max_addresses;
		if (vec_grow((void **)&m->excess, &m->capexcess, m->nexcess,
		    sizeof *m->excess) < 0)
			return ERR_NOMEM;
		x = &m->excess[m->nexcess];
		x->mbox = mbox;
		x->total = (uint32_t)in->naddresses;
		if ((rc = arena_add(&m->text, in->addresses[n],
		    strlen(in->addresses[n]), &x->from)) < 0)
			return rc;
		m->nexcess++;
	}
	if (n > UINT32_MAX - m->nclaims ||
	    vec_reserve((void **)&m->claims, &m->capclaims, m->nclaims + n,
	    sizeof *m->claims) < 0)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		c = &m->claims[m->nclaims + i];
		memset(c, 0, sizeof *c);
		c->mbox = mbox;
		if (in->external)
			c->flags = C_EXT_GIVEN | (in->external[i] ? C_EXT : 0);
		if ((rc = arena_add(&m->text, in->addresses[i],
		    strlen(in->addresses[i]), &c->addr)) < 0)
			return rc;
	}
	m->nclaims += n;
	return 0;
}

/* model_add - keep a mailbox */
int
model_add(struct model *m, const struct model_mailbox *in, struct diag *d)
{
	struct mbox *mb;
	size_t nclaims = m->nclaims, nexcess = m->nexcess, npend = m->npend;
	size_t nkeys = m->nkeys, nnotes = m->nnotes;
	const char *dn = in->dn;
	int rc = 0;

	if (m->built || in->dn == NULL || in->id == NULL)
		return ERR_INVAL;
	if (in->route == ROUTE_NONE)
		return 0;
	if (m->nmboxes >= UINT32_MAX - 1 ||
	    vec_grow((void **)&m->mboxes, &m->capmboxes, m->nmboxes,
	    sizeof *m->mboxes) < 0)
		return ERR_NOMEM;
	mb = &m->mboxes[m->nmboxes];
	memset(mb, 0, sizeof *mb);
	mb->def = NONE;
	mb->pend = NONE;
	mb->route = (uint8_t)in->route;
	mb->first = (uint32_t)m->nclaims;
	if ((rc = arena_add(&m->text, dn, strlen(dn), &mb->dn)) < 0)
		goto cleanup;
	if (in->id_is_dn || (in->idlen == strlen(dn) &&
	    memcmp(in->id, dn, in->idlen) == 0))
		mb->idkind = ID_DN;
	else
		mb->idkind = (uint8_t)id_kind(in->id, in->idlen, mb->id.bin);
	if (mb->idkind == ID_TEXT && (rc = arena_add(&m->text, in->id,
	    in->idlen, &mb->id.text)) < 0)
		goto cleanup;
	if (in->route == MODEL_ROUTE_PENDING)
		rc = add_pending(m, in, &mb->pend);
	else if (in->nexthop && check_nexthop(m, in->nexthop,
	    "mailbox nexthop", dn, d) == 0)
		rc = strtab_intern(&m->hops, in->nexthop, strlen(in->nexthop),
		    &mb->nexthop);
	rc = rc ? rc : add_claims(m, in, (uint32_t)m->nmboxes);
	if (rc < 0)
		goto cleanup;
	mb->nclaims = (uint32_t)(m->nclaims - mb->first);
	m->nmboxes++;
	return 0;
cleanup:
	m->nclaims = nclaims;
	m->nexcess = nexcess;
	m->npend = npend;
	m->nkeys = nkeys;
	m->nnotes = nnotes;
	return rc;
}

/* model_add_mailbox - a spec is a mailbox with its route given */
int
model_add_mailbox(struct model *m, const struct mailbox_spec *spec,
    struct diag *d)
{
	struct model_mailbox in;

	if (spec->id == NULL)
		return ERR_INVAL;
	memset(&in, 0, sizeof in);
	in.id = spec->id;
	in.idlen = strlen(spec->id);
	in.dn = spec->dn;
	in.addresses = (const char *const *)spec->addresses;
	in.naddresses = spec->naddresses;
	in.external = spec->external;
	in.route = (int)spec->route;
	in.nexthop = spec->nexthop;
	return model_add(m, &in, d);
}

/* --- the build ------------------------------------------------------ */

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
	if (check_nexthop(m, hop, "mailbox nexthop", dn, d) == 0)
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
		dom = find_name(m, at + 1);
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
	return strcmp(id_text(m, a, ta), id_text(m, b, tb));
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

/* slot_eq - hmap equality: the address of slot val is key */
struct addr_key {
	const char *s;
	size_t len;
};

static int
slot_eq(uint32_t val, const void *key, void *ctx)
{
	const struct model *m = ctx;
	const struct addr_key *k = key;
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
	sort_names(m);
	if ((rc = check_mailboxes(m, d)) < 0)
		return rc;
	drop_pending(m);
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
			if (same_owner(id_text(m, &m->mboxes[m->claims[r[k]].mbox],
			    buf), prev, pass))
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
	size_t i, k;
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

/* model_domain_count - managed domains */
size_t
model_domain_count(const struct model *m)
{
	return m->ndoms;
}

/* model_domain_at - i-th domain: by name once built */
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
	return m->resolved ? m->nview : 0;
}

/* model_address_at - slot i, every field */
int
model_address_at(const struct model *m, size_t i, struct model_address *out)
{
	const struct claim *c;
	const struct mbox *mb;
	const struct fin *f;

	if (!m->resolved || i >= m->nview)
		return ERR_INVAL;
	c = &m->claims[m->view[i]];
	mb = &m->mboxes[c->mbox];
	f = &m->final[i];
	out->address = arena_str(&m->text, c->addr);
	out->domain = m->doms[c->dom].spec.name;
	out->route = (enum route_kind)f->route;
	out->nexthop = f->hop ? strtab_str(&m->hops, f->hop) : NULL;
	out->alias_of = f->alias == NONE ? NULL :
	    arena_str(&m->text, m->claims[m->view[f->alias]].addr);
	out->dn = arena_str(&m->text, mb->dn);
	out->id = id_text(m, mb, out->id_text);
	return 0;
}

/* model_route_at - slot i by reference */
int
model_route_at(const struct model *m, size_t i, struct model_route *out)
{
	const struct claim *c;
	const struct fin *f;
	const char *at;

	if (!m->resolved || i >= m->nview)
		return ERR_INVAL;
	c = &m->claims[m->view[i]];
	f = &m->final[i];
	out->address = arena_str(&m->text, c->addr);
	out->len = strlen(out->address);
	at = memchr(out->address, '@', out->len);
	out->local = at ? (size_t)(at - out->address) : out->len;
	out->domain = f->dom;
	out->route = (enum route_kind)f->route;
	out->nexthop = f->hop;
	out->alias_of = f->alias;
	out->mailbox = c->mbox;
	return 0;
}

/* model_slot_address - the address of slot i */
const char *
model_slot_address(const struct model *m, size_t i)
{
	return arena_str(&m->text, m->claims[m->view[i]].addr);
}

/* model_slot_domain - the domain of slot i */
uint32_t
model_slot_domain(const struct model *m, size_t i)
{
	return m->final[i].dom;
}

/* model_find - the slot of an address, by its hash */
uint32_t
model_find(const struct model *m, const char *address, size_t len)
{
	struct addr_key k = { address, len };

	if (!m->built)
		return NONE;
	return hmap_find(&m->index, hash64(address, len), slot_eq, &k,
	    (void *)m);
}

/* model_nexthop_text - a nexthop reference's text */
const char *
model_nexthop_text(const struct model *m, uint32_t ref)
{
	return strtab_str(&m->hops, ref);
}

/* model_mailbox_total - mailboxes kept, routed or not yet */
size_t
model_mailbox_total(const struct model *m)
{
	return m->nmboxes;
}

/* model_mailbox_count - mailboxes that kept an address */
size_t
model_mailbox_count(const struct model *m)
{
	return m->nkept;
}

/* model_mailbox_kept - mailbox i routes an address */
int
model_mailbox_kept(const struct model *m, uint32_t i)
{
	return m->resolved && i < m->nmboxes && m->mboxes[i].def != NONE;
}

/* model_mailbox_dn - its DN */
const char *
model_mailbox_dn(const struct model *m, uint32_t i)
{
	return arena_str(&m->text, m->mboxes[i].dn);
}

/* model_mailbox_id - its id text */
const char *
model_mailbox_id(const struct model *m, uint32_t i, char buf[MODEL_ID_MAX])
{
	return id_text(m, &m->mboxes[i], buf);
}

/* model_each_lost - the claims a conflict took away, by address then
 * id */
int
model_each_lost(const struct model *m,
    int (*fn)(const char *address, const char *id, void *ctx), void *ctx)
{
	char buf[MODEL_ID_MAX];
	size_t i;
	int rc;

	for (i = 0; m->resolved && i < m->nrivals; i++) {
		const struct claim *c = &m->claims[m->rivals[i]];

		if (!(c->flags & C_LOST))
			continue;
		rc = fn(arena_str(&m->text, c->addr),
		    id_text(m, &m->mboxes[c->mbox], buf), ctx);
		if (rc < 0)
			return rc;
	}
	return 0;
}
