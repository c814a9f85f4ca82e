/*
 * ldap_source_int - what the files of the LDAP source share (private)
 *
 * The source is one module (include/ldap_source.h) in three files, one
 * seam each: the session, its connection and bind (ldap_source.c), the
 * paged search that streams entries (ldap_search.c), and an entry
 * message decoded into a struct entry or a view (ldap_entry.c). This
 * header is theirs alone.
 */
#ifndef SPLITSYNC_LDAP_SOURCE_INT_H
#define SPLITSYNC_LDAP_SOURCE_INT_H

#include <stddef.h>

#include <ldap.h>

#include "attrset.h"
#include "diag.h"
#include "entry.h"
#include "ldap_range.h"
#include "ldap_source.h"

struct ldap_source {
	LDAP *ld;
	char *uri;
	char *base;
	char *identity;         /* who the server says we are */
	int timeout;            /* seconds, per operation */
	int page_size;
};

/* An attribute of the set an entry message held, for its ranges. */
struct ldap_source__seen {
	size_t slot;
	const char *name;       /* the description, in the message */
	size_t len;
	size_t count;           /* values the message held */
};

/* What turns entry messages into views over one set, reused from one
 * entry to the next; the caller's, released with
 * ldap_source__viewer_free. */
struct ldap_source__viewer {
	struct viewbuf vb;
	struct ldap_source__seen *seen;
	size_t nseen, capseen;
};

/* ldap_source__convert - the search entry message msg as a struct entry
 * (caller frees with entry_free), every attribute as it came, ranged
 * ones included. ERR_UNAVAIL when the message cannot be decoded (not
 * recorded), ERR_NOMEM */
int ldap_source__convert(LDAP *ld, LDAPMessage *msg, struct entry **out);
/* ldap_source__viewer_init - a viewer over set; nothing allocated yet */
void ldap_source__viewer_init(struct ldap_source__viewer *v,
    const struct attrset *set);
void ldap_source__viewer_free(struct ldap_source__viewer *v);
/* ldap_source__view - the search entry message msg as a view over the
 * viewer's set into *out: values copied out of the message into the
 * viewer's scratch, attributes the set does not name skipped, a ranged
 * one it names read whole over c first. Borrowed from the viewer until
 * its next use. ERR_UNAVAIL when the message cannot be decoded or a
 * range read whole (recorded in d), ERR_NOMEM */
int ldap_source__view(const struct ldap_range_conn *c, LDAPMessage *msg,
    struct ldap_source__viewer *v, const struct entry_view **out,
    struct diag *d);

#endif
