/*
 * render_gateway - tables for an MX in front of both servers
 *
 * DESCRIPTION
 *	The gateway accepts mail for the split domains and hands each
 *	recipient to the server that holds it; it rewrites nothing.
 *
 *	relay_domains       every managed domain and alias domain: OK
 *	relay_recipients    every routed address, and its twin in each
 *	                    alias domain of its domain: OK; for a domain
 *	                    that forwards unknown recipients "@domain OK"
 *	                    (and "@alias OK")
 *	transport           every address and twin: its nexthop; each
 *	                    domain (and alias): its local nexthop, or its
 *	                    relay when it forwards unknown recipients
 *
 *	An address listed explicitly wins over the twin of another one.
 *
 *	An internal address needs the domain's local nexthop here: without
 *	one Postfix routes it by MX, which from the MX itself is a loop
 *	(check warns about such domains). In a forward-unknown domain it
 *	still gets ":", so the domain's relay row does not take it.
 *
 *	Rows name what the model holds (an address by its slot, a twin
 *	by its slot and alias, a domain by its index): no text is made
 *	here.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM; ERR_BUG for a row the layout does not allow.
 */
#include <string.h>

#include "errors.h"
#include "render.h"

/* The tables, by their index in the layout. */
struct tabs {
	int domains, recipients, transport;
};

/* REF - a reference */
#define REF(kind, id, sub) render_ref_of((kind), (uint32_t)(id), \
	(uint16_t)(sub))

/* domain_rows - domain-wide rows of domain di's name (sub 0) or its
 * alias sub - 1 */
static int
domain_rows(const struct tabs *t, uint32_t di, const struct model_domain *dm,
    size_t sub, struct render_rows *r)
{
	uint32_t fallback = dm->forward_unknown ? dm->relay_hop : dm->local_hop;
	int rc;

	rc = render_rows_put(r, t->domains, REF(RENDER_NAME, di, sub),
	    REF(RENDER_OK, 0, 0));
	if (rc == 0 && dm->forward_unknown)
		rc = render_rows_put(r, t->recipients,
		    REF(RENDER_AT_NAME, di, sub), REF(RENDER_OK, 0, 0));
	if (rc == 0 && fallback)
		rc = render_rows_put(r, t->transport, REF(RENDER_NAME, di, sub),
		    REF(RENDER_NEXTHOP, fallback, 0));
	return rc;
}

/* recipient_rows - rows for one address as it appears on the wire */
static int
recipient_rows(const struct tabs *t, const struct model_domain *dm,
    struct render_ref key, const struct model_route *a,
    struct render_rows *r)
{
	int rc = 0;

	if (!dm->forward_unknown)
		rc = render_rows_put(r, t->recipients, key, REF(RENDER_OK, 0, 0));
	if (rc == 0 && a->nexthop)
		rc = render_rows_put(r, t->transport, key,
		    REF(RENDER_NEXTHOP, a->nexthop, 0));
	else if (rc == 0 && dm->forward_unknown)
		rc = render_rows_put(r, t->transport, key,
		    REF(RENDER_DEFAULT, 0, 0));
	return rc;
}

/* address_rows - an address and its twins in the alias domains */
static int
address_rows(const struct model *m, const struct tabs *t, uint32_t slot,
    const struct model_route *a, struct render_rows *r)
{
	const struct model_domain *dm = model_domain_at(m, a->domain);
	size_t i;
	int rc;

	rc = recipient_rows(t, dm, REF(RENDER_ADDRESS, slot, 0), a, r);
	/* Twins only from addresses in the domain itself. */
	if (strcmp(a->address + a->local + 1, dm->name) != 0)
		return rc;
	for (i = 0; rc == 0 && i < dm->naliases; i++)
		if (!render_twin_known(m, a->address, a->local + 1,
		    dm->aliases[i]))
			rc = recipient_rows(t, dm, REF(RENDER_TWIN, slot, i), a,
			    r);
	return rc;
}

/* render_gateway - every row of the layout */
int
render_gateway(const struct model *m, struct render_rows *r)
{
	struct model_route a;
	struct tabs t;
	size_t i, j;
	int rc = 0;

	t.domains = render_table_of(r, "relay_domains");
	t.recipients = render_table_of(r, "relay_recipients");
	t.transport = render_table_of(r, "transport");
	for (i = 0; rc == 0 && i < model_domain_count(m); i++) {
		const struct model_domain *dm = model_domain_at(m, i);

		for (j = 0; rc == 0 && j <= dm->naliases; j++)
			rc = domain_rows(&t, (uint32_t)i, dm, j, r);
	}
	for (i = 0; rc == 0 && i < model_address_count(m); i++) {
		rc = model_route_at(m, i, &a);
		rc = rc ? rc : address_rows(m, &t, (uint32_t)i, &a, r);
	}
	return rc;
}
