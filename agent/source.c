/*
 * source - the configured directory source, whichever kind it is
 *
 * DIAGNOSTICS
 *	Those of ldap_source and ldif, recorded in the diag given.
 */
#include <stddef.h>

#include "errors.h"
#include "ldif.h"
#include "source.h"

/* source_open - connect when the source is a server */
int
source_open(struct source *s, const struct config *cfg, struct diag *d)
{
	s->cfg = cfg;
	s->ldap = NULL;
	if (cfg->source == CONFIG_SOURCE_LDAP)
		return ldap_source_open(&cfg->ldap, &s->ldap, d);
	return 0;
}

/* source_close - release the connection */
void
source_close(struct source *s)
{
	if (s->ldap)
		ldap_source_close(s->ldap);
	s->ldap = NULL;
}

/* source_each - one full pass over the directory */
int
source_each(struct source *s, const char *filter, const char *const *attrs,
    entry_source_fn fn, void *ctx, struct diag *d)
{
	if (s->ldap)
		return ldap_source_search(s->ldap, filter, attrs, fn, ctx, d);
	return ldif_read_file(s->cfg->ldif, fn, ctx, d);
}

/* source_each_view - one full pass, as views */
int
source_each_view(struct source *s, const char *filter,
    const struct attrset *set, entry_view_fn fn, void *ctx, struct diag *d)
{
	if (s->ldap)
		return ldap_source_search_view(s->ldap, filter, set, fn, ctx,
		    d);
	return ldif_read_file_view(s->cfg->ldif, set, fn, ctx, d);
}

/* source_name - how the commit trailer names the source */
int
source_name(const struct source *s, struct buf *out)
{
	if (s->ldap)
		return buf_printf(out, "%s %s", ldap_source_uri(s->ldap),
		    s->cfg->ldap.base);
	return buf_printf(out, "ldif %s", s->cfg->ldif);
}
