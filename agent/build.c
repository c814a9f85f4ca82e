/*
 * build - from the directory copy to the routing model
 *
 * DESCRIPTION
 *	The first pass collects groups and directory domains, the second
 *	maps mailboxes against those groups; model_finish then settles
 *	claims and conflicts against the previous owners.
 *
 * DIAGNOSTICS
 *	Data problems go to the diag given; ERR_DATA from the mapping is
 *	a problem of one entry, never a failure of the build.
 */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "errors.h"
#include "groups.h"
#include "routes.h"
#include "vec.h"

/* What the passes over the mirror accumulate. */
struct pass {
	const struct mapping *map;
	struct groups *groups;
	struct model *model;
	struct domain_spec *domains;    /* from the directory */
	size_t ndomains, capdomains;
	struct diag *d;
};

/* first_pass - domains and groups */
static int
first_pass(const struct entry *e, void *ctx)
{
	struct pass *b = ctx;
	unsigned cls = mapping_classify(b->map, e);
	int rc;

	if (cls & MAPPING_GROUP) {
		rc = groups_add(b->groups, e);
		if (rc < 0)
			return rc;
	}
	if (cls & MAPPING_DOMAIN) {
		if (vec_grow((void **)&b->domains, &b->capdomains, b->ndomains,
		    sizeof *b->domains) < 0)
			return ERR_NOMEM;
		memset(&b->domains[b->ndomains], 0, sizeof *b->domains);
		rc = mapping_domain_from_entry(b->map, e,
		    &b->domains[b->ndomains], b->d);
		if (rc == 0)
			b->ndomains++;
		else if (rc != ERR_DATA)
			return rc;
	}
	return 0;
}

/* origin_cmp - directory domains in DN order */
static int
origin_cmp(const void *a, const void *b)
{
	const struct domain_spec *x = a, *y = b;
	int c = strcmp(x->origin ? x->origin : "", y->origin ? y->origin : "");

	return c ? c : strcmp(x->name, y->name);
}

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

/* second_pass - mailboxes */
static int
second_pass(const struct entry *e, void *ctx)
{
	struct pass *b = ctx;
	struct mailbox_spec spec;
	int rc;

	if (!(mapping_classify(b->map, e) & MAPPING_MAILBOX))
		return 0;
	memset(&spec, 0, sizeof spec);
	rc = mapping_mailbox_from_entry(b->map, e, b->groups, &spec, b->d);
	if (rc == 0)
		rc = model_add_mailbox(b->model, &spec, b->d);
	mailbox_spec_clear(&spec);
	return rc == ERR_DATA ? 0 : rc;
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

/* build_model - two passes over the mirror into a finished model */
int
build_model(const struct config *cfg, const struct mapping *map,
    const struct mirror *m, model_owner_fn owner, void *owner_ctx,
    struct model **out, struct build_scan *keep, struct diag *d)
{
	struct pass b;
	struct build_scan scan;
	size_t i;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof b);
	b.map = map;
	b.d = d;
	rc = groups_new(&b.groups);
	if (rc == 0)
		rc = model_new(&b.model, (const char *const *)cfg->transports,
		    cfg->ntransports);
	if (rc == 0)
		model_set_max_addresses(b.model, (size_t)cfg->max_addresses);
	rc = rc ? rc : mirror_each(m, first_pass, &b);
	if (rc < 0)
		goto cleanup;
	/* Directory domains in DN order: the order entries arrived in
	 * does not matter. */
	if (b.ndomains)
		qsort(b.domains, b.ndomains, sizeof *b.domains, origin_cmp);
	for (i = 0; i < mapping_domain_count(map); i++) {
		rc = model_add_domain(b.model, mapping_domain_at(map, i), d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	for (i = 0; i < b.ndomains; i++) {
		rc = model_add_domain(b.model, &b.domains[i], d);
		if (rc < 0 && rc != ERR_DATA)
			goto cleanup;
	}
	rc = mirror_each(m, second_pass, &b);
	rc = rc ? rc : model_finish(b.model, owner, owner_ctx, d);
	if (rc < 0)
		goto cleanup;
	warn_gateway(cfg, b.model, d);
	*out = b.model;
	b.model = NULL;
cleanup:
	scan.groups = b.groups;
	scan.domains = b.domains;
	scan.ndomains = b.ndomains;
	if (rc == 0 && keep) {
		build_scan_clear(keep);
		*keep = scan;
	} else {
		build_scan_clear(&scan);
	}
	model_free(b.model);
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
