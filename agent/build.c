/*
 * build - from directory entries to the routing model
 *
 * DESCRIPTION
 *	build_entry classifies an entry once and reads it for each thing
 *	it is: a group as the hashes the groups store keeps, a domain as
 *	a spec kept aside (few), a mailbox into the model with its route,
 *	or with the leaf mask and member keys that decide it later. Its
 *	problems are reported as it is read; the notes of a mailbox whose
 *	route is known are reported then too, those of a pending one once
 *	it is decided.
 *
 *	build_finish watches each member-of leaf's group in the groups
 *	store (its closure computed once, every group known) and hands
 *	the model a decider that asks the store, then builds the model.
 *
 * DIAGNOSTICS
 *	Data problems go to the diag given; ERR_DATA from the mapping is
 *	a problem of one entry, never a failure of the build.
 */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "dn.h"
#include "errors.h"
#include "groups.h"
#include "routes.h"
#include "vec.h"

struct build {
	const struct config *cfg;
	const struct mapping *map;
	struct mapping_scratch *scratch;
	struct model *model;
	struct groups *groups;
	struct domain_spec *domains;    /* from the directory */
	size_t ndomains, capdomains;
	struct model_note *notes;       /* a pending mailbox's, converted */
	size_t capnotes;
	size_t *handles;                /* per member-of leaf, its watch */
	const struct groups_keys *asking;       /* while deciding */
	size_t used;
	int finished;
};

/* build_scan_clear - groups and domains of a scan */
void
build_scan_clear(struct build_scan *s)
{
	size_t i;

	for (i = 0; i < s->ndomains; i++)
		domain_spec_clear(&s->domains[i]);
	free(s->domains);
	groups_free(s->groups);
	memset(s, 0, sizeof *s);
}

/* build_new - an empty build */
int
build_new(const struct config *cfg, const struct mapping *map,
    struct build **out)
{
	struct build *b;
	int rc;

	*out = NULL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		return ERR_NOMEM;
	b->cfg = cfg;
	b->map = map;
	rc = mapping_scratch_new(&b->scratch);
	rc = rc ? rc : groups_new(&b->groups);
	rc = rc ? rc : model_new(&b->model,
	    (const char *const *)cfg->transports, cfg->ntransports);
	if (rc < 0) {
		build_free(b);
		return rc;
	}
	model_set_max_addresses(b->model, (size_t)cfg->max_addresses);
	*out = b;
	return 0;
}

/* build_free - everything the build still holds */
void
build_free(struct build *b)
{
	struct build_scan s;

	if (b == NULL)
		return;
	s.groups = b->groups;
	s.domains = b->domains;
	s.ndomains = b->ndomains;
	build_scan_clear(&s);
	model_free(b->model);
	mapping_scratch_free(b->scratch);
	free(b->notes);
	free(b->handles);
	free(b);
}

/* add_domain - a directory entry's domain, kept for the finish */
static int
add_domain(struct build *b, const struct entry_view *v, struct diag *d)
{
	int rc;

	if (vec_grow((void **)&b->domains, &b->capdomains, b->ndomains,
	    sizeof *b->domains) < 0)
		return ERR_NOMEM;
	rc = mapping_domain_from_view(b->map, v, &b->domains[b->ndomains], d);
	if (rc == 0)
		b->ndomains++;
	return rc == ERR_DATA ? 0 : rc;
}

/* add_group - a group's hashes into the store */
static int
add_group(struct build *b, const struct entry_view *v)
{
	struct groups_entry ge;
	int rc;

	if ((rc = mapping_group_from_view(b->map, b->scratch, v, &ge)) < 0)
		return rc;
	return ge.dn == DN_HASH_NONE ? 0 : groups_put(b->groups, &ge);
}

/* add_mailbox - a mailbox into the model, its route given or pending */
static int
add_mailbox(struct build *b, const struct entry_view *v, struct diag *d)
{
	struct mapping_mailbox mb;
	struct model_mailbox in;
	size_t i;
	int rc;

	if ((rc = mapping_mailbox_from_view(b->map, b->scratch, v, &mb, d)) < 0)
		return rc;
	memset(&in, 0, sizeof in);
	in.id = mb.id;
	in.idlen = mb.idlen;
	in.id_is_dn = mb.id_is_dn;
	in.dn = mb.dn;
	in.addresses = mb.addresses;
	in.naddresses = mb.naddresses;
	in.external = mb.external;
	in.nexthop = mb.nexthop;
	if (mb.route == MAPPING_ROUTE_PENDING) {
		in.route = MODEL_ROUTE_PENDING;
		in.leaves = mb.leaves;
		in.keys = &mb.keys;
		if (vec_reserve((void **)&b->notes, &b->capnotes, mb.nnotes,
		    sizeof *b->notes) < 0)
			return ERR_NOMEM;
		for (i = 0; i < mb.nnotes; i++) {
			b->notes[i].when = mb.notes[i].when;
			b->notes[i].level = mb.notes[i].level;
			b->notes[i].kind = mb.notes[i].kind;
			b->notes[i].what = mb.notes[i].what;
		}
		in.notes = b->notes;
		in.nnotes = mb.nnotes;
	} else {
		in.route = mb.route;
		mapping_notes_emit(b->map, mb.notes, mb.nnotes, mb.dn, mb.route,
		    d);
	}
	return model_add(b->model, &in, d);
}

/* build_entry - one entry, read for what it is */
int
build_entry(struct build *b, const struct entry_view *v, struct diag *d)
{
	unsigned cls;
	int rc = 0;

	if (b->finished)
		return ERR_INVAL;
	if ((cls = mapping_classify_view(b->map, v)) == 0)
		return 0;
	b->used++;
	if (cls & MAPPING_GROUP)
		rc = add_group(b, v);
	if (rc == 0 && (cls & MAPPING_DOMAIN))
		rc = add_domain(b, v, d);
	if (rc == 0 && (cls & MAPPING_MAILBOX))
		rc = add_mailbox(b, v, d);
	return rc;
}

/* build_used - entries the mapping used */
size_t
build_used(const struct build *b)
{
	return b->used;
}

/* origin_cmp - directory domains in DN order */
static int
origin_cmp(const void *a, const void *b)
{
	const struct domain_spec *x = a, *y = b;
	int c = strcmp(x->origin ? x->origin : "", y->origin ? y->origin : "");

	return c ? c : strcmp(x->name, y->name);
}

/* member - whether the keys asked about are in leaf's group */
static int
member(void *ctx, size_t leaf)
{
	struct build *b = ctx;

	return groups_contains(b->groups, b->handles[leaf], b->asking);
}

/* decide_route - the decider's route: the mapping's conditions, its
 * member-of leaves answered by the groups store */
static int
decide_route(void *ctx, uint64_t leaves, const struct groups_keys *k)
{
	struct build *b = ctx;

	b->asking = k;
	return mapping_route_decide(b->map, leaves, member, b);
}

/* decide_nexthop - whether the nexthop applies to route */
static int
decide_nexthop(void *ctx, int route)
{
	const struct build *b = ctx;

	return mapping_nexthop_applies(b->map, route);
}

/* decide_note - whether a note is reported for route */
static int
decide_note(void *ctx, const struct model_note *n, int route)
{
	const struct build *b = ctx;
	struct mapping_note mn;

	mn.when = n->when;
	mn.level = n->level;
	mn.kind = n->kind;
	mn.what = n->what;
	return mapping_note_applies(b->map, &mn, route);
}

/* watch_leaves - a watch per member-of leaf, every group known */
static int
watch_leaves(struct build *b)
{
	size_t i, n = mapping_member_leaf_count(b->map);
	uint64_t group;
	unsigned via;
	int rc;

	if ((b->handles = calloc(n ? n : 1, sizeof *b->handles)) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		mapping_member_leaf(b->map, i, &group, &via);
		if ((rc = groups_watch(b->groups, group, via,
		    &b->handles[i])) < 0)
			return rc;
	}
	return 0;
}

/* build_finish - domains, pending routes, checks */
int
build_finish(struct build *b, struct diag *d)
{
	struct model_decider dec = { decide_route, decide_nexthop, decide_note,
	    NULL };
	size_t i;
	int rc;

	if (b->finished)
		return ERR_INVAL;
	b->finished = 1;
	/* Directory domains in DN order: the order entries arrived in
	 * does not matter. */
	if (b->ndomains)
		qsort(b->domains, b->ndomains, sizeof *b->domains, origin_cmp);
	for (i = 0; i < mapping_domain_count(b->map); i++) {
		rc = model_add_domain(b->model, mapping_domain_at(b->map, i), d);
		if (rc < 0 && rc != ERR_DATA)
			return rc;
	}
	for (i = 0; i < b->ndomains; i++) {
		rc = model_add_domain(b->model, &b->domains[i], d);
		if (rc < 0 && rc != ERR_DATA)
			return rc;
	}
	if ((rc = watch_leaves(b)) < 0)
		return rc;
	dec.ctx = b;
	model_set_decider(b->model, &dec);
	rc = model_build(b->model, d);
	b->asking = NULL;
	return rc;
}

/* warn_gateway - a gateway cannot hand internal mail on by MX: it is
 * the MX */
static void
warn_gateway(const struct config *cfg, const struct model *m,
    struct diag *d)
{
	size_t i;

	if (cfg->layout != CONFIG_LAYOUT_GATEWAY)
		return;
	for (i = 0; i < model_domain_count(m); i++)
		if (model_domain_at(m, i)->local == NULL)
			diag_warn(d, model_domain_at(m, i)->origin,
			    "domain %s has no local nexthop: the gateway layout "
			    "routes its internal recipients by MX",
			    model_domain_at(m, i)->name);
}

/* build_resolve - conflicts against a previous commit, then the
 * warnings of the whole model */
int
build_resolve(struct build *b, model_owner_fn owner, void *ctx,
    struct diag *d)
{
	int rc;

	if (!b->finished || b->model == NULL)
		return ERR_INVAL;
	if ((rc = model_resolve(b->model, owner, ctx, d)) < 0)
		return rc;
	warn_gateway(b->cfg, b->model, d);
	return 0;
}

/* build_model_of - the model */
const struct model *
build_model_of(const struct build *b)
{
	return b->model;
}

/* build_take - model and scan handed over */
void
build_take(struct build *b, struct model **model, struct build_scan *scan)
{
	*model = b->model;
	b->model = NULL;
	if (scan) {
		build_scan_clear(scan);
		scan->groups = b->groups;
		scan->domains = b->domains;
		scan->ndomains = b->ndomains;
		b->groups = NULL;
		b->domains = NULL;
		b->ndomains = b->capdomains = 0;
	}
}

/* What build_model's pass over the mirror needs. */
struct pass {
	struct build *b;
	struct viewbuf vb;
	const struct attrset *set;
	struct diag *d;
};

/* pass_one - one mirror entry, through a view of it */
static int
pass_one(const struct entry *e, void *ctx)
{
	struct pass *p = ctx;
	int rc = viewbuf_from_entry(&p->vb, p->set, e);

	return rc ? rc : build_entry(p->b, viewbuf_view(&p->vb), p->d);
}

/* build_model - the service's copy into a resolved model */
int
build_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct build_scan *keep, struct diag *d)
{
	struct pass p;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof p);
	p.set = mapping_attrset(map);
	p.d = d;
	viewbuf_init(&p.vb, p.set);
	rc = build_new(cfg, map, &p.b);
	rc = rc ? rc : mirror_each(m, pass_one, &p);
	rc = rc ? rc : build_finish(p.b, d);
	rc = rc ? rc : build_resolve(p.b, owner, owner_ctx, d);
	if (rc == 0)
		build_take(p.b, out, keep);
	viewbuf_free(&p.vb);
	build_free(p.b);
	return rc;
}

/* build_listing_owner - who owned address in a listing */
const char *
build_listing_owner(const char *address, void *routes)
{
	const struct route_row *row = routes_find(routes, address);

	if (row == NULL)
		return NULL;
	return *row->id ? row->id : row->dn;
}
