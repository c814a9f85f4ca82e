/*
 * ldap_range - Active Directory's ranged attributes, read whole
 *
 * Active Directory returns at most MaxValRange values of an attribute
 * in one entry and names the part it sent with a range option
 * ("member;range=0-1499"). ldap_range_resolve reads the rest with
 * base-scope searches of the entry and puts every value under the
 * plain name, or fails: a partial member list never passes for the
 * whole one.
 */
#ifndef SPLITSYNC_LDAP_RANGE_H
#define SPLITSYNC_LDAP_RANGE_H

#include <ldap.h>

#include "diag.h"
#include "entry.h"

/* ldap_range_resolve - every ranged attribute of e read whole over ld
 * (uri for messages, timeout in seconds per search), renamed to its
 * plain name; e is changed in place. 0, ERR_UNAVAIL (recorded with the
 * entry's DN), ERR_NOMEM */
int ldap_range_resolve(LDAP *ld, const char *uri, int timeout,
    struct entry *e, struct diag *d);
/* ldap_range_in - 1 when an attribute of e carries a range option */
int ldap_range_in(const struct entry *e);

#endif
