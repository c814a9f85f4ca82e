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
 * DIAGNOSTICS
 *	ERR_NOMEM.
 */
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "render.h"

/* domain_rows - domain-wide rows for name (a domain or an alias) */
static int
domain_rows(const struct model_domain *dm, const char *name,
    struct render_rows *r)
{
	char key[260];
	const char *fallback = dm->forward_unknown ? dm->relay : dm->local;
	int rc;

	rc = render_rows_add(r, "relay_domains", name, "OK");
	if (rc == 0 && dm->forward_unknown) {
		snprintf(key, sizeof key, "@%s", name);
		rc = render_rows_add(r, "relay_recipients", key, "OK");
	}
	if (rc == 0 && fallback)
		rc = render_rows_add(r, "transport", name, fallback);
	return rc;
}

/* recipient_rows - rows for one address as it appears on the wire */
static int
recipient_rows(const struct model_domain *dm, const char *address,
    const struct model_address *a, struct render_rows *r)
{
	int rc = 0;

	if (!dm->forward_unknown)
		rc = render_rows_add(r, "relay_recipients", address, "OK");
	if (rc == 0 && a->nexthop)
		rc = render_rows_add(r, "transport", address, a->nexthop);
	else if (rc == 0 && dm->forward_unknown)
		rc = render_rows_add(r, "transport", address, ":");
	return rc;
}

/* address_rows - an address and its twins in the alias domains */
static int
address_rows(const struct model *m, const struct model_address *a,
    struct render_rows *r)
{
	const struct model_domain *dm = model_domain_find(m, a->domain);
	const char *at = strchr(a->address, '@');
	char twin[600];
	size_t i;
	int rc;

	rc = recipient_rows(dm, a->address, a, r);
	/* Twins only from addresses in the domain itself. */
	if (strcmp(at + 1, dm->name) != 0)
		return rc;
	for (i = 0; rc == 0 && i < dm->naliases; i++) {
		snprintf(twin, sizeof twin, "%.*s@%s", (int)(at - a->address),
		    a->address, dm->aliases[i]);
		if (!render_address_known(m, twin))
			rc = recipient_rows(dm, twin, a, r);
	}
	return rc;
}

/* render_gateway - every row of the layout */
int
render_gateway(const struct model *m, struct render_rows *r)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < model_domain_count(m); i++) {
		const struct model_domain *dm = model_domain_at(m, i);

		rc = domain_rows(dm, dm->name, r);
		for (j = 0; rc == 0 && j < dm->naliases; j++)
			rc = domain_rows(dm, dm->aliases[j], r);
	}
	for (i = 0; rc == 0 && i < model_address_count(m); i++) {
		struct model_address a;

		rc = model_address_at(m, i, &a);
		rc = rc ? rc : address_rows(m, &a, r);
	}
	return rc;
}
