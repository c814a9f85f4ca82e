/*
 * listing - the route listing of a commit, in its second form
 *
 * DESCRIPTION
 *	Written from a resolved model: each owner named once by the SHA-1
 *	of its id (12 bytes kept per mailbox), the slots cut into the
 *	shards of their keys and the owners into those of their
 *	references (counting sorts, each shard in order), so a shard's
 *	length is known, and its text made, without anything kept but
 *	those indices. A shard's addresses come in slot order: key order.
 *
 *	An address's nexthop is written only when it is not its domain's
 *	default for its route: most addresses then cost their key, two
 *	letters and the owner's reference. Its DN and id are written once
 *	per owner.
 *
 *	Parsed back, a routes shard's nexthops are filled in from the
 *	domains file, so its rows compare as the first form's did.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM; parsing: ERR_DATA with "name:line: why" in d.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hash.h"
#include "layout.h"
#include "listing.h"
#include "shard.h"
#include "strsort.h"
#include "vec.h"

#define OUT_CHUNK (64u << 10)

/* base64 in ASCII order: texts sort as the bytes do */
static const char ref_alphabet[] =
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

struct listing {
	const struct model *m;
	size_t nshards;                 /* 1 for one file */
	unsigned char *refs;            /* LISTING_REF_BYTES per mailbox */
	uint32_t *slots;                /* shard after shard */
	size_t *slot_first;             /* nshards + 1 */
	size_t *routes_len;
	uint32_t *owners;               /* kept mailboxes, shard after shard,
	                                   each shard by reference */
	size_t *owner_first;
	size_t *owners_len;
};

/* encode_ref - 12 bytes as 16 characters */
static void
encode_ref(const unsigned char *b, char out[LISTING_REF_LEN + 1])
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i < LISTING_REF_BYTES; i += 3) {
		v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
		out[o++] = ref_alphabet[v >> 18 & 63];
		out[o++] = ref_alphabet[v >> 12 & 63];
		out[o++] = ref_alphabet[v >> 6 & 63];
		out[o++] = ref_alphabet[v & 63];
	}
	out[o] = '\0';
}

/* listing_ref_of - the reference of an identity */
void
listing_ref_of(const char *identity, char out[LISTING_REF_LEN + 1])
{
	unsigned char sum[HASH_SHA1_LEN];
	hash_sha1_ctx c;

	hash_sha1_init(&c);
	hash_sha1_update(&c, identity, strlen(identity));
	hash_sha1_final(&c, sum);
	encode_ref(sum, out);
}

/* listing_ref - mailbox i's reference */
void
listing_ref(const struct listing *l, uint32_t i, char out[LISTING_REF_LEN + 1])
{
	encode_ref(l->refs + (size_t)i * LISTING_REF_BYTES, out);
}

/* kind_letter - the one letter of a route */
static char
kind_letter(int route)
{
	return route == ROUTE_EXTERNAL ? 'e' : 'i';
}

/* row_hop - the nexthop text slot s writes: "" when it is the default */
static const char *
row_hop(const struct model *m, const struct model_route *a)
{
	const struct model_domain *dm = model_domain_at(m, a->domain);
	uint32_t def = a->route == ROUTE_EXTERNAL ? dm->relay_hop :
	    dm->local_hop;

	return a->nexthop == def || a->nexthop == 0 ? "" :
	    model_nexthop_text(m, a->nexthop);
}

/* routes_line_len - the bytes of slot s's line */
static size_t
routes_line_len(const struct model *m, uint32_t s)
{
	struct model_route a;

	model_route_at(m, s, &a);
	return routes_field_len(a.address) + 3 +
	    routes_field_len(row_hop(m, &a)) + 1 + LISTING_REF_LEN + 1;
}

/* owner_id - mailbox i's id as the owners file holds it: "" when it is
 * the DN */
static const char *
owner_id(const struct model *m, uint32_t i, char buf[MODEL_ID_MAX])
{
	const char *id = model_mailbox_id(m, i, buf);

	return strcmp(id, model_mailbox_dn(m, i)) == 0 ? "" : id;
}

/* owners_line_len - the bytes of mailbox i's owner line */
static size_t
owners_line_len(const struct model *m, uint32_t i)
{
	char buf[MODEL_ID_MAX];

	return LISTING_REF_LEN + 1 + routes_field_len(owner_id(m, i, buf)) +
	    1 + routes_field_len(model_mailbox_dn(m, i)) + 1;
}

/* ref_word - strsort_word_fn over owners' references (their text) */
static uint32_t
ref_word(void *ctx, uint32_t idx, size_t at)
{
	const struct listing *l = ctx;
	char ref[LISTING_REF_LEN + 1];

	listing_ref(l, idx, ref);
	return at < LISTING_REF_LEN ? strsort_word(ref, at) : 0;
}

/* bucket - the n items of v by shard (stable), first[] the offsets */
static int
bucket(uint32_t *v, size_t n, size_t nshards, const uint32_t *shard,
    size_t *first)
{
	uint32_t *out;
	size_t i, s, *at;

	if ((out = malloc((n ? n : 1) * sizeof *out)) == NULL ||
	    (at = calloc(nshards + 1, sizeof *at)) == NULL) {
		free(out);
		return ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		at[shard[i] + 1]++;
	for (s = 0; s < nshards; s++)
		at[s + 1] += at[s];
	memcpy(first, at, (nshards + 1) * sizeof *first);
	for (i = 0; i < n; i++)
		out[at[shard[i]]++] = v[i];
	memcpy(v, out, n * sizeof *v);
	free(out);
	free(at);
	return 0;
}

/* make_refs - each kept mailbox named */
static int
make_refs(struct listing *l)
{
	size_t i, n = model_mailbox_total(l->m);
	char buf[MODEL_ID_MAX];
	unsigned char sum[HASH_SHA1_LEN];
	hash_sha1_ctx c;
	const char *id;

	if ((l->refs = calloc(n ? n : 1, LISTING_REF_BYTES)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (!model_mailbox_kept(l->m, (uint32_t)i))
			continue;
		id = model_mailbox_id(l->m, (uint32_t)i, buf);
		hash_sha1_init(&c);
		hash_sha1_update(&c, id, strlen(id));
		hash_sha1_final(&c, sum);
		memcpy(l->refs + i * LISTING_REF_BYTES, sum, LISTING_REF_BYTES);
	}
	return 0;
}

/* make_slots - the slots in their shards, and each shard's length */
static int
make_slots(struct listing *l)
{
	size_t i, s, n = model_address_count(l->m);
	uint32_t *shard = NULL;
	const char *a;
	int rc = ERR_NOMEM;

	l->slots = malloc((n ? n : 1) * sizeof *l->slots);
	l->slot_first = calloc(l->nshards + 1, sizeof *l->slot_first);
	l->routes_len = calloc(l->nshards, sizeof *l->routes_len);
	shard = calloc(n ? n : 1, sizeof *shard);
	if (!l->slots || !l->slot_first || !l->routes_len || !shard)
		goto cleanup;
	for (i = 0; i < n; i++) {
		l->slots[i] = (uint32_t)i;
		if (l->nshards > 1) {
			a = model_slot_address(l->m, i);
			shard[i] = (uint32_t)shard_of(a, model_slot_len(l->m, i),
			    l->nshards);
		}
	}
	if ((rc = bucket(l->slots, n, l->nshards, shard, l->slot_first)) < 0)
		goto cleanup;
	for (s = 0; s < l->nshards; s++)
		for (i = l->slot_first[s]; i < l->slot_first[s + 1]; i++)
			l->routes_len[s] += routes_line_len(l->m, l->slots[i]);
cleanup:
	free(shard);
	return rc;
}

/* make_owners - the kept mailboxes in their shards, by reference */
static int
make_owners(struct listing *l)
{
	size_t i, s, n = 0, total = model_mailbox_total(l->m);
	char ref[LISTING_REF_LEN + 1];
	uint32_t *shard = NULL;
	int rc = ERR_NOMEM;

	l->owners = malloc((total ? total : 1) * sizeof *l->owners);
	l->owner_first = calloc(l->nshards + 1, sizeof *l->owner_first);
	l->owners_len = calloc(l->nshards, sizeof *l->owners_len);
	shard = calloc(total ? total : 1, sizeof *shard);
	if (!l->owners || !l->owner_first || !l->owners_len || !shard)
		goto cleanup;
	for (i = 0; i < total; i++) {
		if (!model_mailbox_kept(l->m, (uint32_t)i))
			continue;
		listing_ref(l, (uint32_t)i, ref);
		shard[n] = l->nshards > 1 ? (uint32_t)shard_of(ref,
		    LISTING_REF_LEN, l->nshards) : 0;
		l->owners[n++] = (uint32_t)i;
	}
	if ((rc = bucket(l->owners, n, l->nshards, shard, l->owner_first)) < 0)
		goto cleanup;
	for (s = 0; rc == 0 && s < l->nshards; s++) {
		size_t a = l->owner_first[s], b = l->owner_first[s + 1];

		rc = strsort(l->owners + a, b - a, ref_word, l);
		for (i = a; rc == 0 && i < b; i++)
			l->owners_len[s] += owners_line_len(l->m, l->owners[i]);
	}
cleanup:
	free(shard);
	return rc;
}

/* listing_new - the listing of a resolved model */
int
listing_new(const struct model *m, size_t nshards, struct listing **out)
{
	struct listing *l;
	int rc;

	*out = NULL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return ERR_NOMEM;
	l->m = m;
	l->nshards = nshards ? nshards : 1;
	rc = make_refs(l);
	rc = rc ? rc : make_slots(l);
	rc = rc ? rc : make_owners(l);
	if (rc < 0) {
		listing_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* listing_free - release a listing */
void
listing_free(struct listing *l)
{
	if (l == NULL)
		return;
	free(l->refs);
	free(l->slots);
	free(l->slot_first);
	free(l->routes_len);
	free(l->owners);
	free(l->owner_first);
	free(l->owners_len);
	free(l);
}

/* listing_shards - its shard count */
size_t
listing_shards(const struct listing *l)
{
	return l->nshards;
}

/* listing_model - the model */
const struct model *
listing_model(const struct listing *l)
{
	return l->m;
}

/* listing_len - the bytes of a shard */
size_t
listing_len(const struct listing *l, enum listing_part part, size_t s)
{
	if (s >= l->nshards)
		return 0;
	return part == LISTING_ROUTES ? l->routes_len[s] : l->owners_len[s];
}

/* listing_slots - a shard's slots */
const uint32_t *
listing_slots(const struct listing *l, size_t s, size_t *n)
{
	*n = s < l->nshards ? l->slot_first[s + 1] - l->slot_first[s] : 0;
	return l->slots + (s < l->nshards ? l->slot_first[s] : 0);
}

/* put_route - slot s's line */
static int
put_route(const struct listing *l, uint32_t s, struct buf *b)
{
	char ref[LISTING_REF_LEN + 1];
	struct model_route a;
	int rc;

	model_route_at(l->m, s, &a);
	listing_ref(l, a.mailbox, ref);
	rc = routes_put_field(b, a.address);
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : buf_putc(b, kind_letter(a.route));
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, row_hop(l->m, &a));
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : buf_append(b, ref, LISTING_REF_LEN);
	return rc ? rc : buf_putc(b, '\n');
}

/* put_owner - mailbox i's line */
static int
put_owner(const struct listing *l, uint32_t i, struct buf *b)
{
	char ref[LISTING_REF_LEN + 1], buf[MODEL_ID_MAX];
	int rc;

	listing_ref(l, i, ref);
	rc = buf_append(b, ref, LISTING_REF_LEN);
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, owner_id(l->m, i, buf));
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, model_mailbox_dn(l->m, i));
	return rc ? rc : buf_putc(b, '\n');
}

/* each_line - the lines of shard s of part into b, handed to fn each
 * time b holds a chunk (fn NULL: all of them stay in b) */
static int
each_line(const struct listing *l, enum listing_part part, size_t s,
    struct buf *b, git_sink_emit_fn fn, void *ctx)
{
	size_t i, from, to;
	int rc = 0;

	if (s >= l->nshards)
		return 0;
	from = part == LISTING_ROUTES ? l->slot_first[s] : l->owner_first[s];
	to = part == LISTING_ROUTES ? l->slot_first[s + 1] :
	    l->owner_first[s + 1];
	for (i = from; rc == 0 && i < to; i++) {
		rc = part == LISTING_ROUTES ? put_route(l, l->slots[i], b) :
		    put_owner(l, l->owners[i], b);
		if (rc == 0 && fn && b->len >= OUT_CHUNK) {
			rc = fn(ctx, b->data, b->len);
			buf_reset(b);
		}
	}
	if (rc == 0 && fn && b->len > 0)
		rc = fn(ctx, b->data, b->len);
	return rc;
}

/* listing_gen - a shard for the tree writer */
int
listing_gen(void *ctx, git_sink_emit_fn emit, void *ectx)
{
	const struct listing_shard *x = ctx;
	struct buf b = BUF_INIT;
	int rc;

	rc = each_line(x->listing, x->part, x->shard, &b, emit, ectx);
	buf_free(&b);
	return rc;
}

/* listing_text - a shard, appended */
int
listing_text(const struct listing *l, enum listing_part part, size_t s,
    struct buf *out)
{
	int rc = buf_grow(out, listing_len(l, part, s));

	return rc ? rc : each_line(l, part, s, out, NULL, NULL);
}

/* listing_files - every file of the listing into a set */
int
listing_files(const struct listing *l, struct layout_files *f,
    struct listing_shard **ctx)
{
	struct buf text = BUF_INIT;
	size_t s, n = l->nshards > 1 ? l->nshards : 0;
	int rc = 0;

	if ((*ctx = calloc(2 * l->nshards, sizeof **ctx)) == NULL)
		return ERR_NOMEM;
	for (s = 0; rc == 0 && s < 2 * l->nshards; s++) {
		struct listing_shard *x = &(*ctx)[s];

		x->listing = l;
		x->part = s < l->nshards ? LISTING_ROUTES : LISTING_OWNERS;
		x->shard = s % l->nshards;
		rc = layout_files_put_gen(f, x->part == LISTING_ROUTES ?
		    LAYOUT_PART_LISTING : LAYOUT_PART_OWNERS, NULL, x->shard,
		    n, listing_len(l, x->part, x->shard), listing_gen, x);
	}
	rc = rc ? rc : listing_domains_text(l, &text);
	rc = rc ? rc : layout_files_take(f, LAYOUT_PART_DOMAINS, NULL, 0, 0,
	    &text);
	buf_free(&text);
	return rc;
}

/* A domain line before it is sorted. */
struct dline {
	const char *name;       /* after the "@" */
	const struct model_domain *dm;
	int alias;
};

/* dline_cmp - domain lines by key */
static int
dline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dline *)a)->name,
	    ((const struct dline *)b)->name);
}

/* put_domain - one line of the domains file */
static int
put_domain(const struct dline *x, struct buf *b)
{
	const struct model_domain *dm = x->dm;
	int rc;

	rc = buf_putc(b, '@');
	rc = rc ? rc : routes_put_field(b, x->name);
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : buf_puts(b, x->alias ? "alias-domain" :
	    dm->forward_unknown ? "unknown-relay" : "unknown-reject");
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, x->alias ? dm->name :
	    dm->forward_unknown && dm->relay ? dm->relay : "");
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, dm->origin ? dm->origin : "");
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, dm->local ? dm->local : "");
	rc = rc ? rc : buf_putc(b, '\t');
	rc = rc ? rc : routes_put_field(b, dm->relay ? dm->relay : "");
	return rc ? rc : buf_putc(b, '\n');
}

/* listing_domains_text - the domains file */
int
listing_domains_text(const struct listing *l, struct buf *out)
{
	struct dline *v = NULL;
	size_t i, j, n = 0, cap = 0;
	int rc;

	for (i = 0; i < model_domain_count(l->m); i++) {
		const struct model_domain *dm = model_domain_at(l->m, i);

		for (j = 0; j <= dm->naliases; j++) {
			if (vec_grow((void **)&v, &cap, n, sizeof *v) < 0) {
				free(v);
				return ERR_NOMEM;
			}
			v[n].dm = dm;
			v[n].alias = j > 0;
			v[n++].name = j ? dm->aliases[j - 1] : dm->name;
		}
	}
	if (n)
		qsort(v, n, sizeof *v, dline_cmp);
	rc = buf_printf(out, "%s\n# shards %zu\n", LISTING_VERSION_LINE,
	    l->nshards > 1 ? l->nshards : (size_t)0);
	for (i = 0; rc == 0 && i < n; i++)
		rc = put_domain(&v[i], out);
	free(v);
	return rc;
}

/* --- parsing ------------------------------------------------------ */

/* next_line - the line at *p (without its newline) in [*p, end):
 * *len its bytes; 0 at the end, ERR_DATA without a final newline */
static int
next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return 0;
	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return ERR_DATA;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 1;
}

/* split - exactly n tab-separated fields of a line, decoded into
 * out[] (free() each; all NULL on failure). ERR_DATA, ERR_NOMEM */
static int
split(const char *line, size_t len, size_t n, char **out)
{
	const char *p = line, *end = line + len, *tab;
	size_t k;
	int bad = 0, rc = 0;

	for (k = 0; k < n; k++)
		out[k] = NULL;
	for (k = 0; rc == 0 && k < n; k++) {
		tab = memchr(p, '\t', (size_t)(end - p));
		if ((tab == NULL) != (k == n - 1)) {
			rc = ERR_DATA;
			break;
		}
		if (tab == NULL)
			tab = end;
		out[k] = routes_decode_field(p, (size_t)(tab - p), &bad);
		if (out[k] == NULL)
			rc = bad ? ERR_DATA : ERR_NOMEM;
		p = tab + 1;
	}
	if (rc < 0)
		for (k = 0; k < n; k++) {
			free(out[k]);
			out[k] = NULL;
		}
	return rc;
}

/* domain_clear - one domain row */
static void
domain_clear(struct listing_domain *x)
{
	free(x->row.key);
	free(x->row.kind);
	free(x->row.nexthop);
	free(x->row.id);
	free(x->row.dn);
	free(x->local);
	free(x->relay);
}

/* listing_domains_clear - release a domains file */
void
listing_domains_clear(struct listing_domains *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		domain_clear(&ds->v[i]);
	free(ds->v);
	memset(ds, 0, sizeof *ds);
}

/* parse_shards - "# shards N": N 0 or a power of 16 */
static int
parse_shards(const char *line, size_t len, size_t *n)
{
	char buf[32], *end;
	unsigned long v;

	if (len < 9 || len >= sizeof buf || memcmp(line, "# shards ", 9) != 0)
		return ERR_DATA;
	memcpy(buf, line + 9, len - 9);
	buf[len - 9] = '\0';
	v = strtoul(buf, &end, 10);
	if (*end != '\0' || !(v == 0 || v == 16 || v == 256 || v == 4096 ||
	    v == 65536))
		return ERR_DATA;
	*n = (size_t)v;
	return 0;
}

/* listing_parse_domains - read a domains file */
int
listing_parse_domains(const char *name, const char *data, size_t len,
    struct listing_domains *out, struct diag *d)
{
	const char *p = data, *end = data + len, *line = NULL;
	char *f[6];
	size_t n = 0, cap = 0, no = 0;
	int rc = 0, got;
	const char *why = "malformed line";

	memset(out, 0, sizeof *out);
	while (rc == 0 && (got = next_line(&p, end, &line, &n)) != 0) {
		struct listing_domain *x;

		no++;
		if (got < 0) {
			why = "missing newline at end";
			rc = ERR_DATA;
			break;
		}
		if (no == 1) {
			if (n != sizeof LISTING_VERSION_LINE - 1 ||
			    memcmp(line, LISTING_VERSION_LINE, n) != 0) {
				why = "not a listing of the second form";
				rc = ERR_DATA;
			}
			continue;
		}
		if (no == 2) {
			if ((rc = parse_shards(line, n, &out->nshards)) < 0)
				why = "expected \"# shards N\"";
			continue;
		}
		if ((rc = split(line, n, 6, f)) < 0) {
			why = "expected 6 fields, %-escaped";
			break;
		}
		if (f[0][0] != '@' || (out->n &&
		    strcmp(out->v[out->n - 1].row.key, f[0]) >= 0))
			rc = ERR_DATA;
		else if (vec_grow((void **)&out->v, &cap, out->n,
		    sizeof *out->v) < 0)
			rc = ERR_NOMEM;
		if (rc < 0) {
			why = "a key without \"@\", or out of order";
			for (n = 0; n < 6; n++)
				free(f[n]);
			break;
		}
		x = &out->v[out->n++];
		x->row.key = f[0];
		x->row.kind = f[1];
		x->row.nexthop = f[2];
		x->row.dn = f[3];
		x->local = f[4];
		x->relay = f[5];
		if ((x->row.id = strdup("")) == NULL)
			rc = ERR_NOMEM;
	}
	if (rc == 0 && no < 2) {
		why = "not a listing of the second form";
		rc = ERR_DATA;
	}
	if (rc == ERR_DATA)
		diag_error(d, NULL, "%s:%zu: %s", name, no ? no : 1, why);
	if (rc < 0)
		listing_domains_clear(out);
	return rc;
}

/* listing_domain_find - a domain's row */
const struct listing_domain *
listing_domain_find(const struct listing_domains *ds, const char *domain,
    size_t len)
{
	size_t lo = 0, hi = ds->n, mid;
	const char *k;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = ds->v[mid].row.key + 1;
		c = strncmp(domain, k, len);
		if (c == 0 && k[len] != '\0')
			c = -1;
		if (c == 0)
			return &ds->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* listing_default - an address's nexthop left out */
const char *
listing_default(const struct listing_domains *ds, const char *address,
    const char *kind)
{
	const char *at = strrchr(address, '@');
	const struct listing_domain *x;

	if (at == NULL || (x = listing_domain_find(ds, at + 1,
	    strlen(at + 1))) == NULL)
		return "";
	return strcmp(kind, "external") == 0 ? x->relay : x->local;
}

/* listing_rows_clear - release parsed rows */
void
listing_rows_clear(struct listing_rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].row.key);
		free(r->v[i].row.kind);
		free(r->v[i].row.nexthop);
		free(r->v[i].row.id);
		free(r->v[i].row.dn);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* ref_ok - 16 characters of the alphabet */
static int
ref_ok(const char *s)
{
	size_t i;

	for (i = 0; i < LISTING_REF_LEN; i++)
		if (s[i] == '\0' || strchr(ref_alphabet, s[i]) == NULL)
			return 0;
	return s[LISTING_REF_LEN] == '\0';
}

/* route_row_of - a parsed line's fields into a row */
static int
route_row_of(char **f, const struct listing_domains *ds,
    struct listing_row *x)
{
	const char *kind;

	memset(x, 0, sizeof *x);
	if ((f[1][0] != 'i' && f[1][0] != 'e') || f[1][1] != '\0' ||
	    !ref_ok(f[3]))
		return ERR_DATA;
	kind = f[1][0] == 'e' ? "external" : "internal";
	memcpy(x->ref, f[3], LISTING_REF_LEN + 1);
	x->row.key = f[0];
	x->row.kind = strdup(kind);
	x->row.nexthop = *f[2] ? f[2] : strdup(listing_default(ds, f[0], kind));
	x->row.id = strdup("");
	x->row.dn = strdup("");
	if (*f[2] == '\0')
		free(f[2]);
	free(f[1]);
	free(f[3]);
	if (!x->row.kind || !x->row.nexthop || !x->row.id || !x->row.dn)
		return ERR_NOMEM;
	return 0;
}

/* listing_parse_routes - one shard of the routes part */
int
listing_parse_routes(const char *name, const char *data, size_t len,
    const struct listing_domains *ds, struct listing_rows *out,
    struct diag *d)
{
	const char *p = data, *end = data + len, *line = NULL;
	size_t n = 0, cap = 0, no = 0, k;
	char *f[4];
	int rc = 0, got;
	const char *why = "expected 4 fields, %-escaped";

	out->v = NULL;
	out->n = 0;
	while (rc == 0 && (got = next_line(&p, end, &line, &n)) != 0) {
		no++;
		if (got < 0) {
			why = "missing newline at end";
			rc = ERR_DATA;
			break;
		}
		if ((rc = split(line, n, 4, f)) < 0)
			break;
		if (vec_grow((void **)&out->v, &cap, out->n,
		    sizeof *out->v) < 0) {
			for (k = 0; k < 4; k++)
				free(f[k]);
			rc = ERR_NOMEM;
			break;
		}
		rc = route_row_of(f, ds, &out->v[out->n]);
		if (rc == ERR_DATA) {
			why = "bad route or owner";
			for (k = 0; k < 4; k++)
				free(f[k]);
			break;
		}
		out->n++;
		if (rc == 0 && out->n > 1 && strcmp(out->v[out->n - 2].row.key,
		    out->v[out->n - 1].row.key) >= 0) {
			why = "keys out of order";
			rc = ERR_DATA;
		}
	}
	if (rc == ERR_DATA)
		diag_error(d, NULL, "%s:%zu: %s", name, no, why);
	if (rc < 0)
		listing_rows_clear(out);
	return rc;
}

/* listing_owners_clear - release parsed owners */
void
listing_owners_clear(struct listing_owners *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].id);
		free(o->v[i].dn);
	}
	free(o->v);
	o->v = NULL;
	o->n = 0;
}

/* listing_parse_owners - one shard of the owners part */
int
listing_parse_owners(const char *name, const char *data, size_t len,
    struct listing_owners *out, struct diag *d)
{
	const char *p = data, *end = data + len, *line = NULL;
	size_t n = 0, cap = 0, no = 0;
	char *f[3];
	int rc = 0, got;
	const char *why = "expected 3 fields, %-escaped";

	out->v = NULL;
	out->n = 0;
	while (rc == 0 && (got = next_line(&p, end, &line, &n)) != 0) {
		struct listing_owner *x;

		no++;
		if (got < 0) {
			why = "missing newline at end";
			rc = ERR_DATA;
			break;
		}
		if ((rc = split(line, n, 3, f)) < 0)
			break;
		if (!ref_ok(f[0]) || (out->n &&
		    strcmp(out->v[out->n - 1].ref, f[0]) >= 0))
			rc = ERR_DATA;
		else if (vec_grow((void **)&out->v, &cap, out->n,
		    sizeof *out->v) < 0)
			rc = ERR_NOMEM;
		if (rc < 0) {
			why = "bad or unsorted owner";
			free(f[0]);
			free(f[1]);
			free(f[2]);
			break;
		}
		x = &out->v[out->n++];
		memcpy(x->ref, f[0], LISTING_REF_LEN + 1);
		free(f[0]);
		x->id = f[1];
		x->dn = f[2];
	}
	if (rc == ERR_DATA)
		diag_error(d, NULL, "%s:%zu: %s", name, no, why);
	if (rc < 0)
		listing_owners_clear(out);
	return rc;
}

/* listing_owner_find - binary search by reference */
const struct listing_owner *
listing_owner_find(const struct listing_owners *o, const char *ref)
{
	size_t lo = 0, hi = o->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(ref, o->v[mid].ref);
		if (c == 0)
			return &o->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
