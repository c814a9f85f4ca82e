/*
 * ldap_source - the LDAP directory source
 *
 * A session tries the configured URIs in turn until one connects and
 * binds: simple bind with the password read from a file that group and
 * others cannot read, in a directory they cannot write (file.h),
 * SASL EXTERNAL (ldapi://), or anonymous. StartTLS
 * and ldaps:// verify the server certificate unless told otherwise.
 * Searches use the paged results control (RFC 2696) and the configured
 * network and operation timeouts, and hand each entry on as it arrives,
 * as a struct entry or as a view (entry.h). The password is never
 * logged.
 */
#ifndef SPLITSYNC_LDAP_SOURCE_H
#define SPLITSYNC_LDAP_SOURCE_H

#include <ldap.h>

#include "attrset.h"
#include "config.h"
#include "diag.h"
#include "entry.h"

struct ldap_source;

/* ldap_source_open - connect and bind. Returns 0 with *out (caller frees
 * with ldap_source_close); ERR_UNAVAIL when no URI could be reached (try
 * later); ERR_AUTH when the credentials were refused (retrying will not
 * help); ERR_CONFIG when the password file is unsafe (a link, its
 * owner or mode, its directory's) or either it or the CA file is not a
 * regular file; ERR_NOINPUT when one of them is missing or unreadable;
 * ERR_NOMEM. The reason is recorded in d. */
int ldap_source_open(const struct config_ldap *cfg, struct ldap_source **out,
    struct diag *d);
void ldap_source_close(struct ldap_source *s);
/* ldap_source_search - subtree search under the configured base with
 * filter, requesting attrs (NULL-terminated; NULL for all user
 * attributes plus entryUUID), page by page; fn is called for each entry
 * as it arrives, before the rest of its page. Pages may hold fewer
 * entries than the configured page size (Active Directory sends at most
 * 1000): only the server's cookie ends the search. An attribute that
 * comes back ranged ("member;range=0-1499", Active Directory) is read
 * whole with base-scope searches of its entry before fn sees the entry,
 * under its plain name ("member").
 * Returns 0 only when the search completed: a size limit, a time limit,
 * a lost connection or a ranged attribute that cannot be read whole is
 * ERR_UNAVAIL, so a truncated result is never mistaken for the whole
 * directory; the entries fn saw before are whole, but the caller keeps
 * nothing of a search that did not return 0. A negative return of fn
 * stops the search (abandoned: the session stays usable) and is
 * returned. Each entry is borrowed for the call. */
int ldap_source_search(struct ldap_source *s, const char *filter,
    const char *const *attrs, entry_source_fn fn, void *ctx,
    struct diag *d);
/* ldap_source_search_view - the same search, asking for the names of
 * set (attrset_spelling; an empty set asks for none), each entry handed
 * to fn as a view over set: values read out of the message into a
 * scratch reused from entry to entry (nothing allocated per value),
 * attributes set does not name skipped, a ranged attribute set names
 * read whole first (its further values after the entry's, under the
 * same index; a ranged attribute set does not name is not read). The
 * view is borrowed for the call. Returns and errors as
 * ldap_source_search. */
int ldap_source_search_view(struct ldap_source *s, const char *filter,
    const struct attrset *set, entry_view_fn fn, void *ctx,
    struct diag *d);
/* ldap_source_uri - the URI of the current connection; borrowed */
const char *ldap_source_uri(const struct ldap_source *s);
/* ldap_source_identity - who the connection is bound as: the server's
 * answer to WhoAmI (RFC 4532) without its "dn:", "anonymous", or the
 * configured bind DN when the server does not answer; borrowed */
const char *ldap_source_identity(const struct ldap_source *s);
/* ldap_source_base - the configured search base; borrowed */
const char *ldap_source_base(const struct ldap_source *s);
/* ldap_source_ldap - the connection's libldap handle, borrowed: valid
 * until ldap_source_close; for modules that run their own operations
 * on it (syncrepl) */
LDAP *ldap_source_ldap(struct ldap_source *s);
/* ldap_source_attr_list - attrs (NULL-terminated, or NULL) space
 * separated into out, cut at size, for log lines */
void ldap_source_attr_list(const char *const *attrs, char *out,
    size_t size);
/* ldap_source_describe - libldap's text for rc and the server's
 * diagnostic message on ld, "text (message)", into out */
void ldap_source_describe(LDAP *ld, int rc, char *out, size_t size);
/* ldap_source_entry - one search entry message of ld as a struct entry
 * (malloc throughout; caller frees with entry_free). ERR_UNAVAIL when
 * the message cannot be decoded or holds a ranged attribute (only
 * ldap_source_search reads the rest of one), ERR_NOMEM. */
int ldap_source_entry(LDAP *ld, LDAPMessage *msg, struct entry **out);

#endif
