/*
 * mapping_eval - entry views evaluated against a compiled mapping
 *
 * SYNOPSIS
 *	#include "mapping.h"
 *
 * DESCRIPTION
 *	mapping_classify_view() says what an entry is for the mapping;
 *	mapping_domain_from_view() turns a domain entry into a
 *	domain_spec, mapping_group_from_view() a group entry into the
 *	hashes the groups store keeps, mapping_mailbox_from_view() a
 *	mailbox entry into a borrowed struct mapping_mailbox. Values are
 *	found by the index their attribute has in the mapping's attrset,
 *	lowercased (ASCII) and passed on; the model checks their syntax. A
 *	value with a NUL byte cannot be passed on as a C string: it is
 *	reported and skipped.
 *
 *	A mailbox's route is decided as far as its attribute conditions
 *	allow (mapping_route.c); when it waits for its groups, the member
 *	keys its member-of leaves need are hashed. What is reported only
 *	for a routed mailbox (refused external-addresses values) or only
 *	when its nexthop applies (refused nexthop values) is handed back
 *	as notes, in the order it was always reported, for the caller to
 *	emit for the final route.
 *
 *	The results of a mailbox or group live in a mapping_scratch: its
 *	strings in one buffer, its hashes in one array, reused entry after
 *	entry, so a directory read costs no allocation per value.
 *
 * DIAGNOSTICS
 *	Entry problems are reported with the entry's DN (DIAG_REJECTED).
 *	Allocation failure is ERR_NOMEM; a negative answer of the member
 *	callback is returned as it is.
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dn.h"
#include "errors.h"
#include "filter.h"
#include "hash.h"
#include "hmap.h"
#include "mapping.h"
#include "mapping_int.h"
#include "vec.h"

/* Address lists longer than this are kept unique through a map. */
#define SEEN_LINEAR 32

struct mapping_scratch {
	struct buf text;                /* strings, each ending in a NUL */
	struct buf tmp;                 /* one value being worked on */
	size_t *addr;                   /* the addresses' offsets in text, in
	                                   the order found */
	size_t naddr, capaddr;
	const char **ptrs;              /* the same as pointers */
	size_t capptrs;
	unsigned char *flags;
	size_t capflags;
	struct hmap seen;               /* hash64 of an address -> number */
	int seen_used;
	size_t moved;                   /* the default address, when it was
	                                   not found first, or SIZE_MAX */
	uint64_t *hashes;
	size_t nhashes, caphashes;
	struct mapping_note *notes;
	size_t *noteoff;                /* the notes' texts in text */
	size_t nnotes, capnotes, capnoteoff;
};

/* Where the problems of a value go: into d, or the notes of s. */
struct sink {
	struct diag *d;
	struct mapping_scratch *s;      /* NULL: d */
	unsigned when;
	const char *dn;
};

/* The key an address is looked up by in seen. */
struct addr_key {
	const char *data;
	size_t len;
};

static const struct entry_vals no_vals = { NULL, 0 };

/* mapping_scratch_new - an empty scratch */
int
mapping_scratch_new(struct mapping_scratch **out)
{
	*out = calloc(1, sizeof **out);
	return *out == NULL ? ERR_NOMEM : 0;
}

/* mapping_scratch_free - release the scratch */
void
mapping_scratch_free(struct mapping_scratch *s)
{
	if (s == NULL)
		return;
	buf_free(&s->text);
	buf_free(&s->tmp);
	free(s->addr);
	free(s->ptrs);
	free(s->flags);
	hmap_free(&s->seen);
	free(s->hashes);
	free(s->notes);
	free(s->noteoff);
	free(s);
}

/* scratch_reset - empty for the next entry, the storage kept */
static void
scratch_reset(struct mapping_scratch *s)
{
	buf_reset(&s->text);
	s->naddr = 0;
	s->nhashes = 0;
	s->nnotes = 0;
	if (s->seen_used)
		hmap_clear(&s->seen);
	s->seen_used = 0;
	s->moved = SIZE_MAX;
}

/* vals_of - the values of the attribute at slot (none for no slot) */
static const struct entry_vals *
vals_of(const struct entry_view *v, size_t slot)
{
	return slot == ATTRSET_NONE ? &no_vals : &v->attrs[slot];
}

/* has_nul - whether a value holds a NUL byte */
static int
has_nul(const struct entry_value *x)
{
	return memchr(x->data, '\0', x->len) != NULL;
}

/* lower_into - len bytes lowercased (ASCII) appended to b */
static int
lower_into(struct buf *b, const char *data, size_t len)
{
	size_t i, at = b->len;

	if (buf_append(b, data, len) < 0)
		return ERR_NOMEM;
	for (i = at; i < b->len; i++)
		if (b->data[i] >= 'A' && b->data[i] <= 'Z')
			b->data[i] = (char)(b->data[i] - 'A' + 'a');
	return 0;
}

/* refuse - a value cannot be used: reported with the DN, or kept as a
 * note; ERR_NOMEM when the note cannot be kept */
static int
refuse(struct sink *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
refuse(struct sink *k, const char *fmt, ...)
{
	struct mapping_scratch *s = k->s;
	struct buf own = BUF_INIT, *b = s ? &s->text : &own;
	size_t at = b->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n + 1) < 0) {
		buf_free(&own);
		return ERR_NOMEM;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + at, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	if (s == NULL) {
		/* the text as diag_add would have formatted it */
		diag_add(k->d, DIAG_WARNING, DIAG_REJECTED, k->dn, "%s",
		    b->data);
		buf_free(&own);
		return 0;
	}
	if (buf_putc(b, '\0') < 0 || vec_grow((void **)&s->notes,
	    &s->capnotes, s->nnotes, sizeof *s->notes) < 0 ||
	    vec_grow((void **)&s->noteoff, &s->capnoteoff, s->nnotes,
	    sizeof *s->noteoff) < 0)
		return ERR_NOMEM;
	s->notes[s->nnotes].when = k->when;
	s->notes[s->nnotes].level = DIAG_WARNING;
	s->notes[s->nnotes].kind = DIAG_REJECTED;
	s->notes[s->nnotes].what = NULL;
	s->noteoff[s->nnotes++] = at;
	return 0;
}

/* usable - 1 when value x of attribute attr can be passed on, 0 when it
 * holds a NUL byte (reported), ERR_NOMEM */
static int
usable(struct sink *k, const char *attr, const struct entry_value *x)
{
	int rc;

	if (!has_nul(x))
		return 1;
	rc = refuse(k, "%s: a value with a NUL byte is refused", attr);
	return rc < 0 ? rc : 0;
}

/* first_value - *out = the first usable, non-empty value of vals (of
 * attribute attr), or NULL; ERR_NOMEM */
static int
first_value(const struct entry_vals *vals, const char *attr, struct sink *k,
    const struct entry_value **out)
{
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < vals->n; i++) {
		if (vals->v[i].len == 0)
			continue;
		if ((rc = usable(k, attr, &vals->v[i])) < 0)
			return rc;
		if (rc == 1) {
			*out = &vals->v[i];
			return 0;
		}
	}
	return 0;
}

/* build_nexthop - "transport:[host]:port" from a host name or IP
 * address, appended to out (tmp: room to work in) */
static int
build_nexthop(const struct hostrule *h, const struct entry_value *x,
    struct buf *tmp, struct buf *out)
{
	unsigned char addr[16];
	size_t len = x->len;
	int bracket = !h->mx, v6 = 0, rc;
	char *p;

	buf_reset(tmp);
	if (lower_into(tmp, x->data, len) < 0)
		return ERR_NOMEM;
	if (h->whole)   /* a whole nexthop: the model validates it */
		return buf_append(out, tmp->data, len);
	p = tmp->data;
	/* A host already written in brackets keeps them. */
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p[len - 1] = '\0';
		p++;
		bracket = 1;
	}
	if (strncmp(p, "ipv6:", 5) == 0 && inet_pton(AF_INET6, p + 5, addr)
	    == 1) {
		p += 5;
		v6 = 1;
	} else if (inet_pton(AF_INET6, p, addr) == 1) {
		v6 = 1;
	} else if (inet_pton(AF_INET, p, addr) == 1) {
		bracket = 1;    /* an address has no MX to look up */
	}
	if (v6)
		rc = buf_printf(out, "%s:[ipv6:%s]", h->transport, p);
	else
		rc = buf_printf(out, bracket ? "%s:[%s]" : "%s:%s",
		    h->transport, p);
	if (rc == 0 && h->port)
		rc = buf_printf(out, ":%u", h->port);
	return rc;
}

/* host_from_view - *out = nexthop built from h's attribute, else a copy
 * of def (may be NULL); ERR_NOMEM */
static int
host_from_view(const struct hostrule *h, const char *def,
    const struct entry_view *v, char **out, struct diag *d)
{
	struct sink k = { d, NULL, 0, v->dn };
	struct buf tmp = BUF_INIT, b = BUF_INIT;
	const struct entry_value *x = NULL;
	int rc = 0;

	*out = NULL;
	if (h->attr != NULL)
		rc = first_value(vals_of(v, h->slot), h->attr, &k, &x);
	if (rc == 0 && x != NULL) {
		rc = build_nexthop(h, x, &tmp, &b);
		if (rc == 0 && (*out = buf_steal(&b)) == NULL)
			rc = ERR_NOMEM;
	} else if (rc == 0 && def != NULL && (*out = strdup(def)) == NULL) {
		rc = ERR_NOMEM;
	}
	buf_free(&tmp);
	buf_free(&b);
	return rc;
}

/* add_values - every usable value of vals (of attribute attr) into sv,
 * lowercased, once */
static int
add_values(struct strv *sv, const struct entry_vals *vals, const char *attr,
    struct sink *k)
{
	const struct entry_value *x;
	size_t i;
	char *s;
	int rc;

	for (i = 0; i < vals->n; i++) {
		x = &vals->v[i];
		if (x->len == 0)
			continue;
		if ((rc = usable(k, attr, x)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		if ((s = mapping_lower_dup(x->data, x->len)) == NULL)
			return ERR_NOMEM;
		if (mapping_strv_find(sv, s) >= 0)
			free(s);
		else if ((rc = mapping_strv_push(sv, s)) < 0)
			return rc;
	}
	return 0;
}

/* is_true - whether x is one of the true words (any case) */
static int
is_true(const struct domains_rule *r, const struct entry_value *x)
{
	size_t i;

	for (i = 0; i < r->ntrue_words; i++)
		if (strlen(r->true_words[i]) == x->len &&
		    strncasecmp(r->true_words[i], x->data, x->len) == 0)
			return 1;
	return 0;
}

/* mapping_classify_view - MAPPING_* bits for v */
unsigned
mapping_classify_view(const struct mapping *m, const struct entry_view *v)
{
	unsigned bits = 0;

	if (m->domrule && m->domrule->filter &&
	    filter_match_view(m->domrule->filter, v))
		bits |= MAPPING_DOMAIN;
	if (m->groups && filter_match_view(m->groups, v))
		bits |= MAPPING_GROUP;
	if (m->mbox.filter && filter_match_view(m->mbox.filter, v))
		bits |= MAPPING_MAILBOX;
	return bits;
}

/* mapping_domain_from_view - a domain spec from a domain entry */
int
mapping_domain_from_view(const struct mapping *m, const struct entry_view *v,
    struct domain_spec *out, struct diag *d)
{
	const struct domains_rule *r = m->domrule;
	struct sink k = { d, NULL, 0, v->dn };
	const struct entry_value *x;
	struct strv names = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return ERR_BUG;
	if (r->name_attr != NULL)
		rc = add_values(&names, vals_of(v, r->name_slot), r->name_attr,
		    &k);
	for (i = 0; rc == 0 && i < r->nalias_attrs; i++)
		rc = add_values(&names, vals_of(v, r->alias_slots[i]),
		    r->alias_attrs[i], &k);
	if (rc < 0)
		goto cleanup;
	if (names.n == 0 || names.v[0][0] == '\0') {
		diag_add(d, DIAG_ERROR, DIAG_REJECTED, v->dn,
		    "domain entry has no %s value; skipped", r->name_attr);
		rc = ERR_DATA;
		goto cleanup;
	}
	out->name = names.v[0];
	/* The other names, in order, are the aliases. */
	memmove(names.v, names.v + 1, names.n * sizeof *names.v);
	out->aliases = names.v;
	out->naliases = names.n - 1;
	memset(&names, 0, sizeof names);
	rc = ERR_NOMEM;
	if ((out->origin = strdup(v->dn)) == NULL)
		goto cleanup;
	if (host_from_view(&r->relay, r->relay_default, v, &out->relay, d) < 0
	    || host_from_view(&r->local, r->local_default, v, &out->local,
	    d) < 0)
		goto cleanup;
	out->forward_unknown = r->fwd_default;
	x = NULL;
	if (r->fwd_attr != NULL && first_value(vals_of(v, r->fwd_slot),
	    r->fwd_attr, &k, &x) < 0)
		goto cleanup;
	if (x != NULL)
		out->forward_unknown = is_true(r, x);
	rc = 0;
cleanup:
	mapping_strv_free(&names);
	if (rc < 0)
		domain_spec_clear(out);
	return rc;
}

/* hash_cmp - qsort order of hashes */
static int
hash_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* push_hash - one hash into s->hashes */
static int
push_hash(struct mapping_scratch *s, uint64_t h)
{
	if (vec_grow((void **)&s->hashes, &s->caphashes, s->nhashes,
	    sizeof *s->hashes) < 0)
		return ERR_NOMEM;
	s->hashes[s->nhashes++] = h;
	return 0;
}

/* push_dns - the dn_hash of each value of vals that is a DN (its UID
 * suffix stripped first when strip); ERR_NOMEM */
static int
push_dns(struct mapping_scratch *s, const struct entry_vals *vals,
    int strip)
{
	const struct entry_value *x;
	uint64_t h;
	size_t i, len;
	int rc;

	for (i = 0; i < vals->n; i++) {
		x = &vals->v[i];
		if (has_nul(x))
			continue;
		len = strip ? dn_strip_uid(x->data, x->len) : x->len;
		rc = dn_hash(x->data, len, &h);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc == 0 && push_hash(s, h) < 0)
			return ERR_NOMEM;
	}
	return 0;
}

/* push_uids - the hash64 of each non-empty value of vals, as it is */
static int
push_uids(struct mapping_scratch *s, const struct entry_vals *vals)
{
	size_t i;

	for (i = 0; i < vals->n; i++)
		if (vals->v[i].len > 0 &&
		    push_hash(s, hash64(vals->v[i].data, vals->v[i].len)) < 0)
			return ERR_NOMEM;
	return 0;
}

/* hashes_at - the hashes from number i on (NULL when there are none) */
static const uint64_t *
hashes_at(const struct mapping_scratch *s, size_t i)
{
	return s->hashes ? s->hashes + i : NULL;
}

/* sort_unique - hashes[from ..] sorted, each once; how many remain */
static size_t
sort_unique(struct mapping_scratch *s, size_t from)
{
	uint64_t *h = s->hashes + from;
	size_t n = s->nhashes - from, i, k = 0;

	if (n == 0)
		return 0;
	qsort(h, n, sizeof *h, hash_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || h[k - 1] != h[i])
			h[k++] = h[i];
	s->nhashes = from + k;
	return k;
}

/* mapping_group_from_view - a group entry's hashes */
int
mapping_group_from_view(const struct mapping *m, struct mapping_scratch *s,
    const struct entry_view *v, struct groups_entry *out)
{
	size_t at[4], n[4];
	int rc;

	memset(out, 0, sizeof *out);
	scratch_reset(s);
	rc = dn_hash(v->dn, v->dnlen, &out->dn);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc < 0)
		return 0;       /* nothing can name this group */
	at[0] = s->nhashes;
	if ((rc = push_dns(s, vals_of(v, m->member_slot), 0)) < 0)
		return rc;
	n[0] = sort_unique(s, at[0]);
	at[1] = s->nhashes;
	if ((rc = push_dns(s, vals_of(v, m->unique_slot), 1)) < 0)
		return rc;
	n[1] = sort_unique(s, at[1]);
	at[2] = s->nhashes;
	if ((rc = push_uids(s, vals_of(v, m->memberuid_slot))) < 0)
		return rc;
	n[2] = sort_unique(s, at[2]);
	at[3] = s->nhashes;
	if ((rc = push_dns(s, vals_of(v, m->memberof_slot), 0)) < 0)
		return rc;
	n[3] = sort_unique(s, at[3]);
	out->member = hashes_at(s, at[0]);
	out->nmember = n[0];
	out->unique = hashes_at(s, at[1]);
	out->nunique = n[1];
	out->uids = hashes_at(s, at[2]);
	out->nuids = n[2];
	out->memberof = hashes_at(s, at[3]);
	out->nmemberof = n[3];
	return 0;
}

/* mailbox_id - the id attribute's first value, else the DN, in the one
 * encoding of that attribute: a binary one (objectGUID) in lowercase
 * hex whatever its bytes, a text one as it is. A text value holding a
 * NUL byte is no id: reported, the DN is used. */
static int
mailbox_id(const struct mailboxes_rule *r, struct mapping_scratch *s,
    const struct entry_view *v, struct mapping_mailbox *out, size_t *off,
    struct diag *d)
{
	static const char hex[] = "0123456789abcdef";
	const struct entry_vals *vals = vals_of(v, r->id_slot);
	struct sink k = { d, NULL, 0, v->dn };
	const struct entry_value *x = vals->n ? &vals->v[0] : NULL;
	size_t i;
	int rc;

	*off = SIZE_MAX;
	out->id = v->dn;
	out->idlen = v->dnlen;
	out->id_is_dn = 1;
	if (x == NULL || x->len == 0)
		return 0;
	if (!r->id_hex) {
		if ((rc = usable(&k, r->id_attr, x)) <= 0)
			return rc;
		out->id = x->data;
		out->idlen = x->len;
		out->id_is_dn = 0;
		return 0;
	}
	*off = s->text.len;
	for (i = 0; i < x->len; i++)
		if (buf_putc(&s->text, hex[(unsigned char)x->data[i] >> 4]) < 0
		    || buf_putc(&s->text, hex[x->data[i] & 15]) < 0)
			return ERR_NOMEM;
	if (buf_putc(&s->text, '\0') < 0)
		return ERR_NOMEM;
	out->idlen = 2 * x->len;
	out->id_is_dn = 0;
	return 0;
}

/* addr_same - whether address number val is the key */
static int
addr_same(uint32_t val, const void *key, void *ctx)
{
	const struct mapping_scratch *s = ctx;
	const struct addr_key *k = key;
	const char *a = s->text.data + s->addr[val];

	return memcmp(a, k->data, k->len) == 0 && a[k->len] == '\0';
}

/* add_address - the address of len bytes at s->text + at (just
 * appended, NUL after it) kept unless already there; *index its
 * number. ERR_NOMEM */
static int
add_address(struct mapping_scratch *s, size_t at, size_t len, size_t *index)
{
	struct addr_key k = { s->text.data + at, len };
	uint64_t h = hash64(k.data, len);
	uint32_t found = HMAP_NONE;
	size_t i;

	if (s->seen_used) {
		found = hmap_find(&s->seen, h, addr_same, &k, s);
	} else {
		for (i = 0; i < s->naddr && found == HMAP_NONE; i++)
			if (addr_same((uint32_t)i, &k, s))
				found = (uint32_t)i;
	}
	if (found != HMAP_NONE) {
		s->text.len = at;       /* the copy is not needed */
		s->text.data[at] = '\0';
		*index = found;
		return 0;
	}
	if (s->naddr >= HMAP_NONE - 1 || vec_grow((void **)&s->addr,
	    &s->capaddr, s->naddr, sizeof *s->addr) < 0)
		return ERR_NOMEM;
	s->addr[s->naddr] = at;
	if (!s->seen_used && s->naddr + 1 > SEEN_LINEAR) {
		/* A long list: look addresses up by hash from now on. */
		if (hmap_reserve(&s->seen, 2 * SEEN_LINEAR) < 0)
			return ERR_NOMEM;
		s->seen_used = 1;
		for (i = 0; i < s->naddr; i++)
			if (hmap_put(&s->seen, hash64(s->text.data + s->addr[i],
			    strlen(s->text.data + s->addr[i])),
			    (uint32_t)i) < 0)
				return ERR_NOMEM;
	}
	if (s->seen_used && hmap_put(&s->seen, h, (uint32_t)s->naddr) < 0)
		return ERR_NOMEM;
	*index = s->naddr++;
	return 0;
}

/* collect_addresses - addresses per the <address> rules, default first */
static int
collect_addresses(const struct mailboxes_rule *r, struct mapping_scratch *s,
    const struct entry_view *v, struct diag *d)
{
	struct sink k = { d, NULL, 0, v->dn };
	const struct entry_vals *vals;
	const struct addrrule *ar;
	const struct entry_value *x;
	size_t i, j, plen, skip, at, index, primary = SIZE_MAX;
	int rc;

	for (i = 0; i < r->naddrs; i++) {
		ar = &r->addrs[i];
		vals = vals_of(v, ar->slot);
		for (j = 0; j < vals->n; j++) {
			x = &vals->v[j];
			if ((rc = usable(&k, ar->attr, x)) <= 0) {
				if (rc < 0)
					return rc;
				continue;
			}
			plen = ar->primary ? strlen(ar->primary) : 0;
			if (plen && x->len >= plen &&
			    memcmp(x->data, ar->primary, plen) == 0) {
				skip = plen;
			} else if (ar->prefix) {
				skip = strlen(ar->prefix);
				/* x500:, sip: and the like: no addresses */
				if (x->len < skip || strncasecmp(x->data,
				    ar->prefix, skip) != 0)
					continue;
				plen = 0;
			} else {
				skip = plen = 0;
			}
			at = s->text.len;
			if (lower_into(&s->text, x->data + skip, x->len - skip)
			    < 0 || buf_putc(&s->text, '\0') < 0)
				return ERR_NOMEM;
			rc = add_address(s, at, x->len - skip, &index);
			if (rc < 0)
				return rc;
			if (plen && primary == SIZE_MAX)
				primary = index;
		}
	}
	if (primary != SIZE_MAX && primary > 0)
		s->moved = primary;     /* it goes first */
	return 0;
}

/* final_of - where the address found as number i stands in the list
 * handed on: the default first, the others in the order found */
static size_t
final_of(const struct mapping_scratch *s, size_t i)
{
	if (s->moved == SIZE_MAX || i > s->moved)
		return i;
	return i == s->moved ? 0 : i + 1;
}

/* found_of - the inverse of final_of */
static size_t
found_of(const struct mapping_scratch *s, size_t i)
{
	if (s->moved == SIZE_MAX || i > s->moved)
		return i;
	return i == 0 ? s->moved : i - 1;
}

/* find_address - the place in the list handed on of the address equal
 * to the len bytes at data, or SIZE_MAX */
static size_t
find_address(const struct mapping_scratch *s, const char *data, size_t len)
{
	struct addr_key k = { data, len };
	uint32_t found = HMAP_NONE;
	size_t i;

	if (s->seen_used)
		found = hmap_find(&s->seen, hash64(data, len), addr_same, &k,
		    (void *)s);
	for (i = 0; !s->seen_used && i < s->naddr; i++)
		if (addr_same((uint32_t)i, &k, (void *)s))
			found = (uint32_t)i;
	return found == HMAP_NONE ? SIZE_MAX : final_of(s, found);
}

/* external_flags - partly external: exactly the addresses listed in the
 * external-addresses attribute are external; none when none is listed.
 * Its problems are notes for a routed mailbox. */
static int
external_flags(const struct mailboxes_rule *r, struct mapping_scratch *s,
    const struct entry_view *v, int *some, struct diag *d)
{
	struct sink k = { d, s, MAPPING_NOTE_ROUTED, v->dn };
	const struct entry_vals *vals = vals_of(v, r->ext_slot);
	const struct entry_value *x;
	size_t i, j, matched = 0;
	int rc;

	*some = 0;
	if (vals->n == 0 || s->naddr == 0)
		return 0;
	if (vec_reserve((void **)&s->flags, &s->capflags, s->naddr,
	    sizeof *s->flags) < 0)
		return ERR_NOMEM;
	memset(s->flags, 0, s->naddr);
	for (i = 0; i < vals->n; i++) {
		x = &vals->v[i];
		if ((rc = usable(&k, r->ext_attr, x)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		buf_reset(&s->tmp);
		if (lower_into(&s->tmp, x->data, x->len) < 0 ||
		    buf_putc(&s->tmp, '\0') < 0)
			return ERR_NOMEM;
		j = find_address(s, s->tmp.data, x->len);
		if (j != SIZE_MAX) {
			matched += !s->flags[j];
			s->flags[j] = 1;
		} else if ((rc = refuse(&k, "%s: \"%s\" is not an address of "
		    "this mailbox; ignored", r->ext_attr, s->tmp.data)) < 0) {
			return rc;
		}
	}
	*some = matched > 0;
	return 0;
}

/* member_keys - what the member-of leaves ask about the entry: its DN,
 * memberOf and uid values, hashed; where they start in s->hashes */
static int
member_keys(const struct mapping *m, struct mapping_scratch *s,
    const struct entry_view *v, struct groups_keys *keys, size_t *at)
{
	unsigned via = m->mbox.member_via;
	int rc;

	keys->dn = DN_HASH_NONE;
	if ((via & (GROUPS_VIA_MEMBER | GROUPS_VIA_UNIQUEMEMBER)) &&
	    dn_hash(v->dn, v->dnlen, &keys->dn) == ERR_NOMEM)
		return ERR_NOMEM;
	at[0] = s->nhashes;
	if ((via & GROUPS_VIA_MEMBEROF) &&
	    (rc = push_dns(s, vals_of(v, m->memberof_slot), 0)) < 0)
		return rc;
	keys->nmemberof = s->nhashes - at[0];
	at[1] = s->nhashes;
	if ((via & GROUPS_VIA_MEMBERUID) &&
	    (rc = push_uids(s, vals_of(v, m->uid_slot))) < 0)
		return rc;
	keys->nuids = s->nhashes - at[1];
	return 0;
}

/* mapping_mailbox_from_view - a mailbox entry, borrowed from s */
int
mapping_mailbox_from_view(const struct mapping *m, struct mapping_scratch *s,
    const struct entry_view *v, struct mapping_mailbox *out, struct diag *d)
{
	const struct mailboxes_rule *r = &m->mbox;
	struct sink k = { d, s, MAPPING_NOTE_NEXTHOP, v->dn };
	const struct entry_value *x = NULL;
	size_t idoff, hopoff = SIZE_MAX, at[2] = { 0, 0 }, i;
	int rc, some = 0;

	memset(out, 0, sizeof *out);
	scratch_reset(s);
	out->dn = v->dn;
	if ((rc = mailbox_id(r, s, v, out, &idoff, d)) < 0 ||
	    (rc = collect_addresses(r, s, v, d)) < 0)
		return rc;
	out->leaves = mapping_leaves(r, v);
	out->route = mapping_route_known(r, out->leaves);
	if (r->nexthop.attr != NULL && (out->route == MAPPING_ROUTE_PENDING ||
	    mapping_nexthop_applies(m, out->route))) {
		rc = first_value(vals_of(v, r->nexthop.slot), r->nexthop.attr,
		    &k, &x);
		if (rc == 0 && x != NULL) {
			hopoff = s->text.len;
			rc = build_nexthop(&r->nexthop, x, &s->tmp, &s->text);
			if (rc == 0)
				rc = buf_putc(&s->text, '\0');
		}
		if (rc < 0)
			return rc;
	}
	if (r->ext_attr != NULL && out->route != ROUTE_NONE &&
	    (rc = external_flags(r, s, v, &some, d)) < 0)
		return rc;
	if (out->route == MAPPING_ROUTE_PENDING &&
	    (rc = member_keys(m, s, v, &out->keys, at)) < 0)
		return rc;
	/* Everything is stored: the pointers stay valid now. */
	if (vec_reserve((void **)&s->ptrs, &s->capptrs, s->naddr,
	    sizeof *s->ptrs) < 0)
		return ERR_NOMEM;
	for (i = 0; i < s->naddr; i++)
		s->ptrs[i] = s->text.data + s->addr[found_of(s, i)];
	out->addresses = s->ptrs;
	out->naddresses = s->naddr;
	out->external = some ? s->flags : NULL;
	if (idoff != SIZE_MAX)
		out->id = s->text.data + idoff;
	if (hopoff != SIZE_MAX)
		out->nexthop = s->text.data + hopoff;
	for (i = 0; i < s->nnotes; i++)
		s->notes[i].what = s->text.data + s->noteoff[i];
	out->notes = s->notes;
	out->nnotes = s->nnotes;
	out->keys.memberof = hashes_at(s, at[0]);
	out->keys.uids = hashes_at(s, at[1]);
	return 0;
}
