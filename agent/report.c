/*
 * report - the data problems of a build, to the log, each once
 *
 * DESCRIPTION
 *	A problem is named by 64 bits of the SHA-1 of its kind, place and
 *	text, and its place by 64 bits of the SHA-1 of the place: a
 *	collision would only keep one line out of the log. The report
 *	keeps the (place, problem) pairs it has logged, sorted, so a
 *	cover (diag_cover) replaces the pairs of its places only.
 *
 *	Lines are written as diag would have written them ("DN: what", at
 *	the item's level), in the order the build found them; the line
 *	saying how many problems of an entry were held back follows the
 *	others.
 *
 * DIAGNOSTICS
 *	None: out of memory, the history is left as it was (problems are
 *	logged again next time rather than never).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errors.h"
#include "report.h"
#include "hash.h"

struct pair {
	uint64_t place;
	uint64_t key;
};

struct report {
	struct pair *v;         /* sorted by place, then key; unique */
	size_t n;
};

/* What one entry wrote in one report_log call. */
struct place_count {
	uint64_t place;
	size_t lines[2];        /* rejected, conflicts logged */
	size_t held[2];         /* values held back */
	int summed;             /* its held-back line is written */
};

/* report_new - nothing reported yet */
int
report_new(struct report **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : ERR_NOMEM;
}

/* report_free - release the history */
void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r);
}

/* key64 - 64 bits of the SHA-1 of up to three strings, each ended */
static uint64_t
key64(const char *a, const char *b, const char *c)
{
	unsigned char out[HASH_SHA1_LEN];
	hash_sha1_ctx h;
	uint64_t v = 0;
	int i;

	hash_sha1_init(&h);
	hash_sha1_update(&h, a, strlen(a) + 1);
	if (b)
		hash_sha1_update(&h, b, strlen(b) + 1);
	if (c)
		hash_sha1_update(&h, c, strlen(c) + 1);
	hash_sha1_final(&h, out);
	for (i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return v;
}

/* is_data - a refused value or a conflict */
static int
is_data(const struct diag_item *it)
{
	return it->kind == DIAG_REJECTED || it->kind == DIAG_CONFLICT;
}

/* pair_of - the names of one item */
static struct pair
pair_of(const struct diag_item *it)
{
	struct pair p;

	p.place = key64(it->where, NULL, NULL);
	p.key = key64(it->kind == DIAG_REJECTED ? "r" : "c", it->where,
	    it->what);
	return p;
}

/* pair_cmp - by place, then key */
static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* u64_cmp - order of place hashes */
static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* place_cmp - a place count by its hash */
static int
place_cmp(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key;
	const struct place_count *p = elem;

	return k < p->place ? -1 : k > p->place;
}

/* known - whether r has logged p */
static int
known(const struct report *r, const struct pair *p)
{
	return r->n > 0 && bsearch(p, r->v, r->n, sizeof *r->v,
	    pair_cmp) != NULL;
}

/* places_of - one zeroed count per place of the data items, sorted */
static struct place_count *
places_of(const struct pair *pairs, size_t npairs, size_t *n)
{
	struct place_count *pc;
	uint64_t *h;
	size_t i, u = 0;

	*n = 0;
	h = malloc((npairs ? npairs : 1) * sizeof *h);
	pc = calloc(npairs ? npairs : 1, sizeof *pc);
	if (h == NULL || pc == NULL) {
		free(h);
		free(pc);
		return NULL;
	}
	for (i = 0; i < npairs; i++)
		h[i] = pairs[i].place;
	qsort(h, npairs, sizeof *h, u64_cmp);
	for (i = 0; i < npairs; i++)
		if (u == 0 || pc[u - 1].place != h[i])
			pc[u++].place = h[i];
	free(h);
	*n = u;
	return pc;
}

/* held_line - how many problems of one entry stayed out of the log */
static void
held_line(const struct log *log, const char *where,
    const struct place_count *p)
{
	if (p->held[0] && p->held[1])
		log_msg(log, LOG_LEVEL_WARNING, "%s: %zu more refused values "
		    "and %zu more conflicts of this entry not logged "
		    "(splitsync check lists them)", where, p->held[0],
		    p->held[1]);
	else
		log_msg(log, LOG_LEVEL_WARNING, "%s: %zu more %s of this entry "
		    "not logged (splitsync check lists them)", where,
		    p->held[0] + p->held[1], p->held[0] ? "refused values" :
		    "conflicts");
}

/* remember - the history after d: its pairs, and the others' where d
 * does not cover them */
static void
remember(struct report *r, const struct diag *d, const struct pair *pairs,
    size_t npairs)
{
	struct pair *v;
	uint64_t *cov = NULL;
	size_t i, n = 0, ncov = 0, keep = d->partial ? r->n : 0;

	v = malloc((keep + npairs ? keep + npairs : 1) * sizeof *v);
	if (v == NULL)
		return;
	if (d->partial) {
		cov = malloc((d->ncovered ? d->ncovered : 1) * sizeof *cov);
		if (cov == NULL) {
			free(v);
			return;
		}
		for (i = 0; i < d->ncovered; i++)
			cov[ncov++] = key64(d->covered[i], NULL, NULL);
		qsort(cov, ncov, sizeof *cov, u64_cmp);
		for (i = 0; i < r->n; i++)
			if (ncov == 0 || bsearch(&r->v[i].place, cov, ncov,
			    sizeof *cov, u64_cmp) == NULL)
				v[n++] = r->v[i];
	}
	memcpy(v + n, pairs, npairs * sizeof *pairs);
	n += npairs;
	if (n)
		qsort(v, n, sizeof *v, pair_cmp);
	keep = 0;
	for (i = 0; i < n; i++)
		if (keep == 0 || pair_cmp(&v[keep - 1], &v[i]) != 0)
			v[keep++] = v[i];
	free(cov);
	free(r->v);
	r->v = v;
	r->n = keep;
}

/* report_log - the problems r has not logged, then remember them all */
void
report_log(struct report *r, const struct diag *d, const struct log *log,
    struct report_counts *counts)
{
	static const enum log_level to_log[] = {
		LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_NOTICE
	};
	struct report_counts c = { 0, 0, 0, 0 };
	struct place_count *pc = NULL, *p;
	struct pair *pairs = NULL;
	size_t i, j, npairs = 0, nplaces = 0;
	int k;

	pairs = malloc((d->count ? d->count : 1) * sizeof *pairs);
	if (pairs == NULL)
		goto out;
	for (i = 0; i < d->count; i++)
		if (is_data(&d->items[i]))
			pairs[npairs++] = pair_of(&d->items[i]);
	pc = places_of(pairs, npairs, &nplaces);
	if (pc == NULL)
		goto out;
	for (i = 0, j = 0; i < d->count; i++) {
		const struct diag_item *it = &d->items[i];

		if (!is_data(it))
			continue;
		if (known(r, &pairs[j++])) {
			c.before += it->count;
			continue;
		}
		c.fresh += it->count;
		k = it->kind == DIAG_CONFLICT;
		p = bsearch(&pairs[j - 1].place, pc, nplaces, sizeof *pc,
		    place_cmp);
		if (p != NULL && p->lines[k] >= REPORT_PER_ENTRY) {
			p->held[k] += it->count;
			c.held_back += it->count;
			continue;
		}
		if (p != NULL)
			p->lines[k]++;
		c.logged++;
		if (*it->where)
			log_msg(log, to_log[it->level], "%s: %s", it->where,
			    it->what);
		else
			log_msg(log, to_log[it->level], "%s", it->what);
	}
	for (i = 0, j = 0; i < d->count; i++) {
		if (!is_data(&d->items[i]))
			continue;
		p = bsearch(&pairs[j++].place, pc, nplaces, sizeof *pc,
		    place_cmp);
		if (p == NULL || p->summed || (!p->held[0] && !p->held[1]))
			continue;
		p->summed = 1;
		held_line(log, d->items[i].where, p);
	}
	remember(r, d, pairs, npairs);
out:
	free(pairs);
	free(pc);
	if (counts)
		*counts = c;
}
