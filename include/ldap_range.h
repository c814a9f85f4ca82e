/*
 * ldap_range - Active Directory's ranged attributes, read whole
 *
 * Active Directory returns at most MaxValRange values of an attribute
 * in one entry and names the part it sent with a range option
 * ("member;range=0-1499"). ldap_range_rest reads the rest with
 * base-scope searches of the entry and hands each value on in order;
 * ldap_range_resolve does it for every ranged attribute of a struct
 * entry and puts every value under the plain name. Either reads the
 * attribute whole or fails: a partial member list never passes for the
 * whole one.
 */
#ifndef SPLITSYNC_LDAP_RANGE_H
#define SPLITSYNC_LDAP_RANGE_H

#include <stddef.h>

#include <ldap.h>

#include "diag.h"
#include "entry.h"

/* The connection follow-up searches use; all borrowed. */
struct ldap_range_conn {
	LDAP *ld;
	const char *uri;        /* for messages */
	int timeout;            /* seconds per search */
};

/* ldap_range_add_fn - one more value of the attribute, in order; a
 * negative return stops the reading and is returned */
typedef int (*ldap_range_add_fn)(void *ctx, const char *value, size_t len);

/* ldap_range_option - 1 when the attribute description name (len bytes)
 * carries a range option, else 0 */
int ldap_range_option(const char *name, size_t len);
/* ldap_range_rest - the values of ranged attribute name (its
 * description as the entry dn gave it, len bytes, range option
 * included) after the count the entry held, read with base-scope
 * searches of dn over c, each handed to add in the server's order.
 * twice names another attribute of the entry with the same base name
 * (twicelen bytes), or is NULL: the entry cannot be read whole then.
 * 0, ERR_UNAVAIL (recorded with dn as where: the attribute cannot be
 * read whole), ERR_NOMEM, or what add returned */
int ldap_range_rest(const struct ldap_range_conn *c, const char *dn,
    const char *name, size_t len, size_t count, const char *twice,
    size_t twicelen, ldap_range_add_fn add, void *ctx, struct diag *d);
/* ldap_range_resolve - every ranged attribute of e read whole over ld
 * (uri for messages, timeout in seconds per search), renamed to its
 * plain name; e is changed in place. 0, ERR_UNAVAIL (recorded with the
 * entry's DN), ERR_NOMEM */
int ldap_range_resolve(LDAP *ld, const char *uri, int timeout,
    struct entry *e, struct diag *d);
/* ldap_range_in - 1 when an attribute of e carries a range option */
int ldap_range_in(const struct entry *e);

#endif
