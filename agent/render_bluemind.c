/*
 * render_bluemind - the tables BlueMind generates for its Postfix
 *
 * DESCRIPTION
 *	virtual_domains     every managed domain and alias domain: OK
 *	virtual_mailbox     every address delivered as itself: OK; for a
 *	                    domain that forwards unknown recipients only
 *	                    "@domain OK" (everything is accepted)
 *	virtual_alias       an address that shares its mailbox's route is
 *	                    rewritten to the mailbox's default address;
 *	                    each address of a domain has its twin in every
 *	                    alias domain, rewritten the same way (an
 *	                    address listed in the alias domain itself wins).
 *	                    Only a domain that forwards unknown recipients
 *	                    gets "@alias @domain": in master mode such a
 *	                    catch-all would make Postfix accept any
 *	                    recipient of the alias domain at RCPT time.
 *	                    Under a catch-all, addresses listed in the alias
 *	                    domain map to themselves, so it cannot take them.
 *	transport           every address delivered as itself: its nexthop
 *	master_relay_transport
 *	                    a domain that forwards unknown recipients: its
 *	                    relay. Postfix tries "user@domain" in every
 *	                    transport table before "domain", so the
 *	                    per-address entries win.
 *
 *	An internal address without a nexthop in a forward-unknown domain
 *	gets ":" (default routing), or the domain entry would send it to
 *	the relay.
 *
 * DIAGNOSTICS
 *	ERR_NOMEM.
 */
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "render.h"

/* domain_rows - the domain-wide rows of one domain */
static int
domain_rows(const struct model_domain *dm, struct render_rows *r)
{
	char key[260], target[260];
	size_t i;
	int rc;

	rc = render_rows_add(r, "virtual_domains", dm->name, "OK");
	if (rc == 0 && dm->forward_unknown) {
		snprintf(key, sizeof key, "@%s", dm->name);
		rc = render_rows_add(r, "virtual_mailbox", key, "OK");
		rc = rc ? rc : render_rows_add(r, "master_relay_transport",
		    dm->name, dm->relay);
	}
	for (i = 0; rc == 0 && i < dm->naliases; i++) {
		rc = render_rows_add(r, "virtual_domains", dm->aliases[i], "OK");
		if (rc < 0 || !dm->forward_unknown)
			continue;
		snprintf(key, sizeof key, "@%s", dm->aliases[i]);
		snprintf(target, sizeof target, "@%s", dm->name);
		rc = render_rows_add(r, "virtual_alias", key, target);
	}
	return rc;
}

/* twin_rows - the address in each alias domain, rewritten as the
 * address itself is delivered (master mode has no catch-all) */
static int
twin_rows(const struct model *m, const struct model_domain *dm,
    const struct model_address *a, struct render_rows *r)
{
	const char *at = strchr(a->address, '@');
	const char *target = a->alias_of ? a->alias_of : a->address;
	char twin[600];
	size_t i;
	int rc = 0;

	if (dm->forward_unknown || strcmp(at + 1, dm->name) != 0)
		return 0;
	for (i = 0; rc == 0 && i < dm->naliases; i++) {
		snprintf(twin, sizeof twin, "%.*s@%s", (int)(at - a->address),
		    a->address, dm->aliases[i]);
		if (!render_address_known(m, twin))
			rc = render_rows_add(r, "virtual_alias", twin, target);
	}
	return rc;
}

/* address_rows - the rows of one routed address */
static int
address_rows(const struct model *m, const struct model_address *a,
    struct render_rows *r)
{
	const struct model_domain *dm = model_domain_find(m, a->domain);
	const char *at = strchr(a->address, '@');
	int rc;

	rc = twin_rows(m, dm, a, r);
	if (rc == 0 && a->alias_of)
		rc = render_rows_add(r, "virtual_alias", a->address,
		    a->alias_of);
	if (rc < 0 || a->alias_of)
		return rc;
	/* Listed in an alias domain: shield it from "@alias @domain". */
	if (dm->forward_unknown && strcmp(at + 1, a->domain) != 0)
		rc = render_rows_add(r, "virtual_alias", a->address, a->address);
	if (rc == 0 && !dm->forward_unknown)
		rc = render_rows_add(r, "virtual_mailbox", a->address, "OK");
	if (rc == 0 && a->nexthop)
		rc = render_rows_add(r, "transport", a->address, a->nexthop);
	else if (rc == 0 && dm->forward_unknown)
		rc = render_rows_add(r, "transport", a->address, ":");
	return rc;
}

/* render_bluemind - every row of the layout */
int
render_bluemind(const struct model *m, struct render_rows *r)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < model_domain_count(m); i++)
		rc = domain_rows(model_domain_at(m, i), r);
	for (i = 0; rc == 0 && i < model_address_count(m); i++) {
		struct model_address a;

		rc = model_address_at(m, i, &a);
		rc = rc ? rc : address_rows(m, &a, r);
	}
	return rc;
}
