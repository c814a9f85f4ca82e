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
 *	model_build (model_build.c) decides pending routes, checks and
 *	sorts the addresses into slots, one per address, and
 *	model_resolve picks the owner of each contested one. The
 *	accessors read the result.
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

#include "model_int.h"

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

/* model_drop_pending - the records pending routes were decided from */
void
model_drop_pending(struct model *m)
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
	model_drop_pending(m);
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

/* model_sort_names - sort the name index once domains are complete */
void
model_sort_names(struct model *m)
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

/* model_find_name - index of the domain managing name, or -1 */
long
model_find_name(const struct model *m, const char *name)
{
	return find_name_len(m, name, strlen(name));
}

/* model_check_nexthop - 0 when nexthop is acceptable; reports otherwise */
int
model_check_nexthop(const struct model *m, const char *nexthop,
    const char *what, const char *where, struct diag *d)
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
	if (model_find_name(m, name) >= 0) {
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
	if (copy.relay && model_check_nexthop(m, copy.relay, "split relay",
	    where, d) < 0) {
		free(copy.relay);
		copy.relay = NULL;
	}
	if (copy.local && model_check_nexthop(m, copy.local, "local nexthop",
	    where, d) < 0) {
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

/* model_id_of - the id of mailbox mb: borrowed, or written to buf */
const char *
model_id_of(const struct model *m, const struct mbox *mb,
    char buf[MODEL_ID_MAX])
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
	else if (in->nexthop && model_check_nexthop(m, in->nexthop,
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
	long i = model_find_name(m, name);

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
	out->id = model_id_of(m, mb, out->id_text);
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
	out->len = model_slot_len(m, i);
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

/* model_slot_len - the length of slot i's address: kept, since the
 * renderers and the listing ask for it for every row */
size_t
model_slot_len(const struct model *m, size_t i)
{
	const struct fin *f = &m->final[i];

	return f->len ? f->len : strlen(model_slot_address(m, i));
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
	struct model_addr_key k = { address, len };

	if (!m->built)
		return NONE;
	return hmap_find(&m->index, hash64(address, len), model_slot_eq, &k,
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
	return model_id_of(m, &m->mboxes[i], buf);
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
		    model_id_of(m, &m->mboxes[c->mbox], buf), ctx);
		if (rc < 0)
			return rc;
	}
	return 0;
}
