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
	int domains, mailbox, alias, transport, relay;
};

/* REF - a reference */
#define REF(kind, id, sub) render_ref_of((kind), (uint32_t)(id), \
	(uint16_t)(sub))

/* domain_rows - the domain-wide rows of domain di */
static int
domain_rows(const struct tabs *t, uint32_t di, const struct model_domain *dm,
    struct render_rows *r)
{
	const struct render_ref ok = REF(RENDER_OK, 0, 0);
	size_t i;
	int rc;

	rc = render_rows_put(r, t->domains, REF(RENDER_NAME, di, 0), ok);
	if (rc == 0 && dm->forward_unknown) {
		rc = render_rows_put(r, t->mailbox, REF(RENDER_AT_NAME, di, 0),
		    ok);
		rc = rc ? rc : render_rows_put(r, t->relay,
		    REF(RENDER_NAME, di, 0), REF(RENDER_NEXTHOP, dm->relay_hop,
		    0));
	}
	for (i = 0; rc == 0 && i < dm->naliases; i++) {
		rc = render_rows_put(r, t->domains,
		    REF(RENDER_NAME, di, i + 1), ok);
		if (rc < 0 || !dm->forward_unknown)
			continue;
		rc = render_rows_put(r, t->alias, REF(RENDER_AT_NAME, di, i + 1),
		    REF(RENDER_AT_NAME, di, 0));
	}
	return rc;
}

/* twin_rows - the address in each alias domain, rewritten as the
 * address itself is delivered (master mode has no catch-all) */
static int
twin_rows(const struct model *m, const struct tabs *t,
    const struct model_domain *dm, uint32_t slot, const struct model_route *a,
    struct render_rows *r)
{
	struct render_ref target;
	size_t i;
	int rc = 0;

	if (!render_rows_want(r, t->alias) || dm->forward_unknown ||
	    strcmp(a->address + a->local + 1, dm->name) != 0)
		return 0;
	target = a->alias_of != MODEL_NONE ?
	    REF(RENDER_ADDRESS, a->alias_of, 0) : REF(RENDER_ADDRESS, slot, 0);
	for (i = 0; rc == 0 && i < dm->naliases; i++)
		if (!render_twin_known(m, a->address, a->local + 1,
		    dm->aliases[i]))
			rc = render_rows_put(r, t->alias, REF(RENDER_TWIN, slot,
			    i), target);
	return rc;
}

/* address_rows - the rows of one routed address */
static int
address_rows(const struct model *m, const struct tabs *t, uint32_t slot,
    const struct model_route *a, struct render_rows *r)
{
	const struct model_domain *dm = model_domain_at(m, a->domain);
	const struct render_ref key = REF(RENDER_ADDRESS, slot, 0);
	int rc;

	rc = twin_rows(m, t, dm, slot, a, r);
	if (rc == 0 && a->alias_of != MODEL_NONE)
		rc = render_rows_put(r, t->alias, key,
		    REF(RENDER_ADDRESS, a->alias_of, 0));
	if (rc < 0 || a->alias_of != MODEL_NONE)
		return rc;
	/* Listed in an alias domain: shield it from "@alias @domain". */
	if (dm->forward_unknown && strcmp(a->address + a->local + 1,
	    dm->name) != 0)
		rc = render_rows_put(r, t->alias, key, key);
	if (rc == 0 && !dm->forward_unknown)
		rc = render_rows_put(r, t->mailbox, key, REF(RENDER_OK, 0, 0));
	if (rc == 0 && a->nexthop)
		rc = render_rows_put(r, t->transport, key,
		    REF(RENDER_NEXTHOP, a->nexthop, 0));
	else if (rc == 0 && dm->forward_unknown)
		rc = render_rows_put(r, t->transport, key,
		    REF(RENDER_DEFAULT, 0, 0));
	return rc;
}

/* render_bluemind - every row of the layout */
int
render_bluemind(const struct model *m, struct render_rows *r)
{
	struct model_route a;
	struct tabs t;
	size_t i;
	int rc = 0;

	t.domains = render_table_of(r, "virtual_domains");
	t.mailbox = render_table_of(r, "virtual_mailbox");
	t.alias = render_table_of(r, "virtual_alias");
	t.transport = render_table_of(r, "transport");
	t.relay = render_table_of(r, "master_relay_transport");
	for (i = 0; rc == 0 && i < model_domain_count(m); i++)
		rc = domain_rows(&t, (uint32_t)i, model_domain_at(m, i), r);
	for (i = 0; rc == 0 && i < model_address_count(m); i++) {
		rc = model_route_at(m, i, &a);
		rc = rc ? rc : address_rows(m, &t, (uint32_t)i, &a, r);
	}
	return rc;
}
