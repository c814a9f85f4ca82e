/*
 * render_bluemind - the tables BlueMind generates for its Postfix
 *
 * DESCRIPTION
 *	virtual_domains     every managed domain and alias domain: OK
 *	virtual_mailbox     every address delivered as itself: OK; for a
 *	                    domain that forwards unknown recipients only
 *	                    "@domain OK" (everything is accepted)
 *	virtual_alias       an address that shares its mailbox's route is
 *	                    rewritten to the mailbox's default address; an
 *	                    alias domain is rewritten to its domain
 *	                    ("@alias @domain"), except addresses listed in
 *	                    it explicitly, which map to themselves so the
 *	                    domain-wide rewrite does not catch them
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
		snprintf(key, sizeof key, "@%s", dm->aliases[i]);
		snprintf(target, sizeof target, "@%s", dm->name);
		rc = render_rows_add(r, "virtual_domains", dm->aliases[i], "OK");
		rc = rc ? rc : render_rows_add(r, "virtual_alias", key, target);
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
	int rc = 0;

	if (a->alias_of)
		return render_rows_add(r, "virtual_alias", a->address,
		    a->alias_of);
	/* Listed in an alias domain: shield it from "@alias @domain". */
	if (strcmp(at + 1, a->domain) != 0)
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
	for (i = 0; rc == 0 && i < model_address_count(m); i++)
		rc = address_rows(m, model_address_at(m, i), r);
	return rc;
}
